# authgate - one flat Makefile.
# Targets: all man install uninstall run test bench soak fuzz clean.
# `make run` and `make test` install missing Debian packages when run as
# root; as another user they say which packages to install. `make`,
# `make man` and `make install` never install packages.
# Honours CC CFLAGS CPPFLAGS LDFLAGS PREFIX DESTDIR BINDIR MANDIR DOCDIR;
# builds objects, so `make -j` works and a change rebuilds only what
# depends on it. docs/install.md: installing, uninstalling, the .deb.

CC	?= cc
CFLAGS	?= -O2 -g
FUZZ_CC	?= clang
WARN	= -std=c11 -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wvla \
	  -Wmissing-prototypes -Wstrict-prototypes
DEFS	= -D_DEFAULT_SOURCE
HARDEN	= -fstack-protector-strong -fstack-clash-protection -fcf-protection \
	  -fPIE -U_FORTIFY_SOURCE -D_FORTIFY_SOURCE=3
LDHARD	= -pie -Wl,-z,relro,-z,now
SAN	= -fsanitize=address,undefined -fno-sanitize-recover=all \
	  -fno-omit-frame-pointer
LIBS	= -lfcgi -lsqlite3 -lcrypto -lcjson -lseccomp
# libnats only where bus.c is linked (the binary, and the units whose
# closure reaches it): the decision never calls it.
NATS_LIBS = -lnats
nats_libs = $(if $(filter bus,$(1)),$(NATS_LIBS))

# The modules, and for each the modules it may call. The unit test of a
# module links only what this list allows it, so a low layer that starts
# calling a higher one fails to link (docs/ARCHITECTURE.md).
MODULES	= util opt log metrics usage fcgi_proto request credential jwe stateless policy config sqlmem db schema \
	  store_read store_sync store_admin store_member authz_cred authz event reply webhook sandbox \
	  bus admin doctor gate serve whproc serve_conn fcgi_server cli_util cli_key \
	  cli_rule cli_check cli_member follow cli main schema_sql
D_util	=
D_opt	=
D_fcgi_proto =
D_log	= util
D_metrics = util
D_usage	= util
D_request = util
D_credential = util
D_jwe	= util
D_stateless = credential jwe request util
D_policy = util
D_config = util
D_sqlmem =
D_reply	= util
D_db	= log sqlmem util
D_schema = db
D_store_read = db schema
D_store_sync = db util
D_store_admin = db schema store_read util
D_store_member = db
D_authz_cred = credential db policy request stateless store_read usage util
D_authz	= authz_cred credential db log policy request stateless store_read usage util
D_event	= credential store_sync util
D_webhook = event store_sync util
D_sandbox = log
D_bus	= config log util
D_admin	= policy store_read util
D_doctor = admin config db store_admin store_read util webhook
D_gate	= authz bus db log metrics reply sandbox store_sync util webhook config
D_serve	= log metrics opt util
D_whproc = fcgi_proto gate log sandbox
D_serve_conn = fcgi_proto log
D_fcgi_server = fcgi_proto gate log sandbox serve serve_conn usage util webhook whproc
D_cli_util = config db policy store_admin usage util opt
D_cli_key = admin authz cli_util credential opt policy store_admin usage util reply
D_cli_rule = admin authz cli_util opt policy store_admin reply
D_cli_check = authz cli_util config opt policy reply store_read util
D_cli_member = cli_util opt policy store_admin store_member
D_follow = bus cli_util db log opt store_sync webhook
D_cli	= authz cli_check cli_key cli_member cli_rule cli_util config credential db doctor event \
	  follow opt policy reply request schema schema_sql store_admin store_sync usage util webhook
D_main	= authz bus cli config db fcgi_server gate log metrics reply sandbox \
	  serve usage util webhook
D_schema_sql =
# A module and everything it may reach.
closure	= $(sort $(1) $(foreach m,$(1),$(call closure,$(D_$(m)))))

SRCS	= $(filter-out build/%,$(MODULES:%=src/%.c))
HDRS	= $(wildcard src/*.h)
SCHEMA_C = build/schema_sql.c
OBJS	= $(MODULES:%=build/obj/%.o)
ASAN_OBJS = $(MODULES:%=build/asan/%.o)

BIN	= cgi-bin/authgate
ASAN_BIN = build/asan/authgate

# Unit tests (tests/unit/test_X.c) and what each links beyond the
# harness: its module's closure, nothing else.
UNIT	= $(patsubst tests/unit/%.c,%,$(wildcard tests/unit/test_*.c))
T_test_util = util
T_test_opt = opt
T_test_metrics = metrics
T_test_usage = usage
T_test_config = config
T_test_config_ops = config
T_test_sqlmem = sqlmem
T_test_request = request
T_test_credential = credential
T_test_jwe = jwe request
T_test_stateless = stateless
T_test_policy = policy
T_test_reply = reply
T_test_admin = admin credential
T_test_authz = authz schema schema_sql
T_test_vectors = authz schema schema_sql
T_test_events = webhook schema schema_sql
T_test_webhook = webhook
T_test_bus = bus
T_test_follow = follow
T_test_gate = gate
T_test_fcgi_proto = fcgi_proto
T_test_sandbox = sandbox db store_read schema schema_sql credential
T_test_store_read = store_read schema schema_sql
UNIT_BINS = $(UNIT:%=build/test/%)

# libFuzzer targets (tests/fuzz/fuzz_X.c), built by clang the same way.
FUZZ	= $(patsubst tests/fuzz/%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
T_fuzz_request = request
T_fuzz_credential = credential
T_fuzz_jwe = jwe request
T_fuzz_policy = policy
T_fuzz_webhook = webhook schema schema_sql
T_fuzz_fcgi = fcgi_proto
FUZZ_BINS = $(FUZZ:%=build/fuzz/%)

PORT	?= 8080
DEMO_DB	?= db/authgate.db
RUN_DIR	?= build/run
DEMO_SECRET = demo-secret-change-me-0123456789abcdef
DEMO_WEBHOOK_SECRET = demo-webhook-secret-change-me

DEBS_BUILD = gcc make pkg-config libfcgi-dev libsqlite3-dev libssl-dev \
	     libcjson-dev libseccomp-dev libnats-dev scdoc
DEBS_RUN   = lighttpd sqlite3 curl openssl
DEBS_TEST  = $(DEBS_BUILD) $(DEBS_RUN) clang libclang-rt-14-dev spawn-fcgi \
	     libfcgi-bin lighttpd-modules-lua nats-server \
	     python3 apache2 nginx caddy fcgiwrap faketime prometheus wrk jq \
	     $(DEBS_PACKAGE)
# tests/integration/package.sh: builds, lints and installs the .deb.
DEBS_PACKAGE = debhelper dpkg-dev lintian fakeroot scdoc man-db systemd
DEBS_BENCH = $(DEBS_BUILD) $(DEBS_RUN) python3 nginx wrk nats-server

.PHONY: all man install uninstall run test bench soak fuzz clean \
	deps-build deps-run deps-test deps-bench \
	deps-node deps-node-debs asan db-demo units fuzzers

all: $(BIN)

# Installs what is missing (root only); otherwise names it and stops.
# While it installs, policy-rc.d keeps Debian from starting the packages'
# services (apache2 and nginx would both want port 80; the tests start
# their own servers on 127.0.0.1).
define ensure_debs
	@missing=""; for p in $(1); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | \
	    grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing:$$missing"; \
	    nopolicy=; [ -e /usr/sbin/policy-rc.d ] || { nopolicy=1; \
	      printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; \
	      chmod 755 /usr/sbin/policy-rc.d; }; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	      apt-get install -y -qq $$missing >/dev/null; rc=$$?; \
	    [ -z "$$nopolicy" ] || rm -f /usr/sbin/policy-rc.d; \
	    [ $$rc = 0 ] || exit 1; \
	  else \
	    echo "missing Debian packages:$$missing (run as root or: sudo apt-get install$$missing)"; \
	    exit 1; \
	  fi; \
	fi
endef

deps-build:
	$(call ensure_debs,$(DEBS_BUILD))
deps-run:
	$(call ensure_debs,$(DEBS_BUILD) $(DEBS_RUN))
deps-test:
	$(call ensure_debs,$(DEBS_TEST))

# Node.js for the Express test backend: Debian's nodejs and npm, only when
# no `node`/`npm` is on the PATH (a Node.js from elsewhere is kept as is).
DEBS_NODE = nodejs npm
deps-node:
	@if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then \
	  $(MAKE) -s deps-node-debs; fi
deps-node-debs:
	$(call ensure_debs,$(DEBS_NODE))

# The Express test backend (tests/integration/backends/express): its
# packages, exactly as its committed package-lock.json names them, from
# the npm registry, installed once.
EXPRESS_DIR = tests/integration/backends/express
$(EXPRESS_DIR)/node_modules/.package-lock.json: $(EXPRESS_DIR)/package-lock.json \
    $(EXPRESS_DIR)/package.json
	@$(MAKE) -s deps-node
	cd $(EXPRESS_DIR) && npm ci --no-audit --no-fund --loglevel=error

# The schema authgate init runs: db/schema.sql, then the views of
# db/admin.sql (one source for both the CLI and the sqlite3 shell).
$(SCHEMA_C): db/schema.sql db/admin.sql
	@mkdir -p build
	{ echo '/* generated from db/schema.sql and db/admin.sql by make */'; \
	  echo 'extern const char schema_sql[];'; \
	  echo 'const char schema_sql[] ='; \
	  cat db/schema.sql db/admin.sql | sed -e 's/\\/\\\\/g' \
	    -e 's/"/\\"/g' -e 's/^/"/' -e 's/$$/\\n"/'; \
	  echo ';'; } > $@.tmp && mv $@.tmp $@

# Objects: the optimized, hardened build and the sanitizer build (which
# also has the sandbox's test hooks, src/sandbox.h: server-set parameters
# that make a worker call a forbidden system call; never in $(BIN)).
build/obj/%.o: src/%.c
	@mkdir -p build/obj
	$(CC) $(WARN) $(DEFS) $(CPPFLAGS) $(CFLAGS) $(HARDEN) -MMD -MP -Isrc \
	  -c -o $@ $<
build/obj/schema_sql.o: $(SCHEMA_C)
	@mkdir -p build/obj
	$(CC) $(CPPFLAGS) $(CFLAGS) $(HARDEN) -c -o $@ $<
build/asan/%.o: src/%.c
	@mkdir -p build/asan
	$(CC) $(WARN) $(DEFS) -DAUTHGATE_TEST_HOOKS $(CPPFLAGS) -O1 -g $(SAN) \
	  -MMD -MP -Isrc -c -o $@ $<
build/asan/schema_sql.o: $(SCHEMA_C)
	@mkdir -p build/asan
	$(CC) $(CPPFLAGS) -O1 -g $(SAN) -c -o $@ $<
build/fuzzobj/%.o: src/%.c
	@mkdir -p build/fuzzobj
	$(FUZZ_CC) $(WARN) $(DEFS) $(CPPFLAGS) -g -O1 \
	  -fsanitize=fuzzer-no-link,address,undefined \
	  -fno-sanitize-recover=all -MMD -MP -Isrc -c -o $@ $<
build/fuzzobj/schema_sql.o: $(SCHEMA_C)
	@mkdir -p build/fuzzobj
	$(FUZZ_CC) $(CPPFLAGS) -g -O1 -fsanitize=fuzzer-no-link,address \
	  -c -o $@ $<

-include $(wildcard build/obj/*.d build/asan/*.d build/fuzzobj/*.d \
	  build/test/*.d build/fuzz/*.d)

$(BIN): $(OBJS)
	@mkdir -p cgi-bin
	$(CC) $(CFLAGS) $(LDFLAGS) $(LDHARD) -o $@ $(OBJS) $(LIBS) $(NATS_LIBS)

$(ASAN_BIN): $(ASAN_OBJS)
	$(CC) $(LDFLAGS) $(SAN) -o $@ $(ASAN_OBJS) $(LIBS) $(NATS_LIBS)

# Each unit test links its closure only (secondary expansion: the list
# depends on the target's name).
.SECONDEXPANSION:
build/test/%: tests/unit/%.c \
    $$(addprefix build/asan/,$$(addsuffix .o,$$(call closure,$$(T_$$*))))
	@mkdir -p build/test
	$(CC) $(WARN) $(DEFS) -DAUTHGATE_TEST_HOOKS $(CPPFLAGS) -O1 -g $(SAN) \
	  -MMD -MP -Isrc -Itests/unit $(LDFLAGS) -o $@ $< \
	  $(addprefix build/asan/,$(addsuffix .o,$(call closure,$(T_$*)))) \
	  $(LIBS) $(call nats_libs,$(call closure,$(T_$*)))
build/fuzz/%: tests/fuzz/%.c \
    $$(addprefix build/fuzzobj/,$$(addsuffix .o,$$(call closure,$$(T_$$*))))
	@mkdir -p build/fuzz
	$(FUZZ_CC) $(WARN) $(DEFS) $(CPPFLAGS) -g -O1 \
	  -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	  -MMD -MP -Isrc $(LDFLAGS) -o $@ $< \
	  $(addprefix build/fuzzobj/,$(addsuffix .o,$(call closure,$(T_$*)))) \
	  $(LIBS) $(call nats_libs,$(call closure,$(T_$*)))

units: $(UNIT_BINS)
fuzzers: $(FUZZ_BINS)

asan: $(ASAN_BIN)

# Man pages, from one source each (docs/man/*.scd) by scdoc. scdoc is in
# DEBS_BUILD (make run/test install it as root); here it is only named.
# HY 0: the man macros would hyphenate again after scdoc's .nh, and split
# flags and variable names (--check-/path, AUTH-/GATE_DB) at line ends.
MANPAGES = build/man/authgate.8 build/man/authgate.db.5
man: $(MANPAGES)
build/man/%: docs/man/%.scd
	@command -v scdoc >/dev/null 2>&1 || { echo "make man: scdoc is" \
	  "missing (apt-get install scdoc): cannot build $@" >&2; exit 1; }
	@mkdir -p build/man
	scdoc < $< > $@.scd.tmp && \
	  sed 's/^\.nh$$/.nh\n.nr HY 0/' $@.scd.tmp > $@.tmp && \
	  rm $@.scd.tmp && mv $@.tmp $@

# make install: the program, the man pages, and as examples the configs
# for every server (conf/, lighttpd.conf), db/admin.sql, the systemd unit
# and its environment file. BINDIR/MANDIR/DOCDIR follow PREFIX; DESTDIR
# is prepended to each (packaging). The unit's ExecStart names BINDIR.
# make uninstall removes exactly the files install puts there (the same
# variables), then the directories it made when they are empty.
PREFIX	?= /usr/local
BINDIR	?= $(PREFIX)/sbin
MANDIR	?= $(PREFIX)/share/man
DOCDIR	?= $(PREFIX)/share/doc/authgate
EXDIR	= $(DOCDIR)/examples
INSTALL	?= install
# source:destination-under-$(EXDIR) for each example
EXAMPLES = conf/apache/authgate.conf:apache/authgate.conf \
	conf/caddy/Caddyfile:caddy/Caddyfile \
	lighttpd.conf:lighttpd/lighttpd.conf \
	conf/lighttpd/authgate-proxy.conf:lighttpd/authgate-proxy.conf \
	conf/lighttpd/authgate-identity.lua:lighttpd/authgate-identity.lua \
	conf/lighttpd/errors/authgate-400.html:lighttpd/errors/authgate-400.html \
	conf/nginx/authgate.conf:nginx/authgate.conf \
	$(foreach f,$(notdir $(wildcard conf/nginx/snippets/*.conf)),\
	  conf/nginx/snippets/$(f):nginx/snippets/$(f)) \
	conf/systemd/authgate.env:systemd/authgate.env \
	db/admin.sql:db/admin.sql
EX_DIRS	= apache caddy lighttpd/errors lighttpd nginx/snippets nginx systemd db

install: $(BIN) $(MANPAGES)
	$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man8 \
	  $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(DOCDIR) \
	  $(addprefix $(DESTDIR)$(EXDIR)/,$(EX_DIRS))
	$(INSTALL) -m 0755 $(BIN) $(DESTDIR)$(BINDIR)/authgate
	$(INSTALL) -m 0644 build/man/authgate.8 $(DESTDIR)$(MANDIR)/man8/authgate.8
	$(INSTALL) -m 0644 build/man/authgate.db.5 \
	  $(DESTDIR)$(MANDIR)/man5/authgate.db.5
	$(INSTALL) -m 0644 LICENSE $(DESTDIR)$(DOCDIR)/LICENSE
	@set -e; for e in $(EXAMPLES); do \
	  echo "$(INSTALL) -m 0644 $${e%%:*} $(DESTDIR)$(EXDIR)/$${e#*:}"; \
	  $(INSTALL) -m 0644 $${e%%:*} $(DESTDIR)$(EXDIR)/$${e#*:}; done
	sed -e 's#/usr/sbin/authgate#$(BINDIR)/authgate#g' \
	  conf/systemd/authgate.service > $(DESTDIR)$(EXDIR)/systemd/authgate.service
	chmod 0644 $(DESTDIR)$(EXDIR)/systemd/authgate.service
	sed -e 's#/usr/sbin/authgate#$(BINDIR)/authgate#g' \
	  conf/systemd/authgate-follow.service > \
	  $(DESTDIR)$(EXDIR)/systemd/authgate-follow.service
	chmod 0644 $(DESTDIR)$(EXDIR)/systemd/authgate-follow.service

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/authgate $(DESTDIR)$(MANDIR)/man8/authgate.8 \
	  $(DESTDIR)$(MANDIR)/man5/authgate.db.5 $(DESTDIR)$(DOCDIR)/LICENSE \
	  $(DESTDIR)$(EXDIR)/systemd/authgate.service \
	  $(DESTDIR)$(EXDIR)/systemd/authgate-follow.service
	@for e in $(EXAMPLES); do \
	  echo "rm -f $(DESTDIR)$(EXDIR)/$${e#*:}"; \
	  rm -f $(DESTDIR)$(EXDIR)/$${e#*:}; done
	@for d in $(addprefix $(DESTDIR)$(EXDIR)/,$(EX_DIRS)) $(DESTDIR)$(EXDIR) \
	  $(DESTDIR)$(DOCDIR); do \
	  [ ! -d $$d ] || rmdir $$d 2>/dev/null || echo "kept $$d (not empty)"; done

# The demo database: schema, then demo data, once (kept between runs).
db-demo: deps-run $(BIN)
	@if [ ! -e $(DEMO_DB) ]; then \
	  rm -f $(DEMO_DB).new $(DEMO_DB).new-wal $(DEMO_DB).new-shm && \
	  $(BIN) init --db $(DEMO_DB).new >/dev/null && \
	  sqlite3 $(DEMO_DB).new < db/demo.sql && \
	  mv $(DEMO_DB).new $(DEMO_DB) && \
	  echo "created $(DEMO_DB) with demo data"; \
	fi

run: deps-run $(BIN) db-demo
	@mkdir -p $(RUN_DIR)
	@echo "authgate demo on http://127.0.0.1:$(PORT)/ (Ctrl-C stops)"
	AUTHGATE_ROOT=$(CURDIR) AUTHGATE_PORT=$(PORT) \
	  AUTHGATE_STATE=$(abspath $(RUN_DIR)) AUTHGATE_BIN=$(CURDIR)/$(BIN) \
	  AUTHGATE_DB=$(abspath $(DEMO_DB)) BETTER_AUTH_SECRET=$(DEMO_SECRET) \
	  AUTHGATE_WEBHOOK_SECRET=$(DEMO_WEBHOOK_SECRET) \
	  lighttpd -D -f lighttpd.conf

test: deps-test $(EXPRESS_DIR)/node_modules/.package-lock.json
	@$(MAKE) -s $(ASAN_BIN) $(BIN) units fuzzers
	@tests/run.sh

# make bench (tests/bench/): figures, never a failure for a missed
# target. The in-process benchmark links the optimized objects of
# authz_decide's closure and the reference decision; the protocol floor
# is a libfcgi authorizer that always allows. BENCH_QUICK=1 for short
# rounds, BENCH_ONLY=REGEX to run some server variants only.
BENCH_DECIDE_OBJS = $(addprefix build/obj/,$(addsuffix .o,\
	$(call closure,authz schema_sql)))
BENCH_BINS = build/bench/bench_decide build/bench/floor
build/bench/bench_decide: tests/bench/bench_decide.c tests/bench/reference.c \
    tests/bench/reference.h $(BENCH_DECIDE_OBJS)
	@mkdir -p build/bench
	$(CC) $(WARN) $(DEFS) $(CPPFLAGS) $(CFLAGS) $(HARDEN) -Isrc \
	  $(LDFLAGS) $(LDHARD) -o $@ tests/bench/bench_decide.c \
	  tests/bench/reference.c $(BENCH_DECIDE_OBJS) $(LIBS)
build/bench/floor: tests/bench/floor.c
	@mkdir -p build/bench
	$(CC) $(WARN) $(DEFS) $(CPPFLAGS) $(CFLAGS) $(HARDEN) $(LDFLAGS) \
	  $(LDHARD) -o $@ $< -lfcgi

deps-bench:
	$(call ensure_debs,$(DEBS_BENCH))

bench: deps-bench
	@$(MAKE) -s $(BIN) $(BENCH_BINS)
	@tests/bench/run.sh

# The long campaign (tests/soak/): mixed traffic for SOAK_SECONDS through
# lighttpd with every answer checked, then the fault suite. make test runs
# both, the campaign for 60 s.
SOAK_SECONDS ?= 600
soak: deps-test $(ASAN_BIN) $(BIN)
	@tests/soak/soak.sh $(SOAK_SECONDS); rc=$$?; \
	  tests/soak/faults.sh || rc=1; exit $$rc

FUZZ_SECONDS ?= 60
fuzz: deps-test
	@$(MAKE) -s fuzzers
	@tests/fuzz/run.sh $(FUZZ_SECONDS)

clean:
	rm -rf build cgi-bin/authgate tests/tmp $(EXPRESS_DIR)/node_modules
