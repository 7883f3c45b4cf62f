# authgate - one flat Makefile. Targets: all run test bench soak fuzz clean.
# `make run` and `make test` install missing Debian packages when run as
# root; as another user they say which packages to install.

CC	?= cc
CFLAGS	?= -O2 -g
WARN	= -std=c11 -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wvla \
	  -Wmissing-prototypes -Wstrict-prototypes
DEFS	= -D_DEFAULT_SOURCE -D_FORTIFY_SOURCE=2
HARDEN	= -fstack-protector-strong -fPIE
LDHARD	= -pie -Wl,-z,relro,-z,now
SAN	= -fsanitize=address,undefined -fno-sanitize-recover=all \
	  -fno-omit-frame-pointer
LIBS	= -lfcgi -lsqlite3 -lcrypto -lcjson -lseccomp

SRCS	= src/util.c src/log.c src/request.c src/credential.c src/policy.c \
	  src/db.c src/schema.c src/store_read.c src/store_sync.c src/store_admin.c src/authz.c src/reply.c src/config.c src/cli.c \
	  src/event.c src/webhook.c src/gate.c src/fcgi_proto.c src/fcgi_server.c \
	  src/whproc.c src/serve.c src/main.c src/admin.c src/doctor.c \
	  src/opt.c src/cli_util.c src/cli_key.c src/cli_rule.c src/sandbox.c
HDRS	= $(wildcard src/*.h)
SCHEMA_C = build/schema_sql.c

BIN	= cgi-bin/authgate
ASAN_BIN = build/asan/authgate

PORT	?= 8080
DEMO_DB	?= db/authgate.db
RUN_DIR	?= build/run
DEMO_SECRET = demo-secret-change-me-0123456789abcdef
DEMO_WEBHOOK_SECRET = demo-webhook-secret-change-me

DEBS_BUILD = gcc make pkg-config libfcgi-dev libsqlite3-dev libssl-dev \
	     libcjson-dev libseccomp-dev
DEBS_RUN   = lighttpd sqlite3 curl openssl
DEBS_TEST  = $(DEBS_BUILD) $(DEBS_RUN) clang libclang-rt-14-dev spawn-fcgi \
	     libfcgi-bin lighttpd-modules-lua \
	     python3 apache2 nginx caddy fcgiwrap faketime

.PHONY: all run test bench soak fuzz clean deps-build deps-run deps-test \
	deps-node deps-node-debs asan db-demo

all: deps-build $(BIN)

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

$(BIN): $(SRCS) $(HDRS) $(SCHEMA_C)
	@mkdir -p cgi-bin
	$(CC) $(WARN) $(DEFS) $(CFLAGS) $(HARDEN) -Isrc -o $@ $(SRCS) \
	  $(SCHEMA_C) $(LDHARD) $(LIBS)

# The sanitizer build also has the sandbox's test hooks (src/sandbox.h):
# server-set parameters that make a worker call a forbidden system call.
# Never in $(BIN).
$(ASAN_BIN): $(SRCS) $(HDRS) $(SCHEMA_C)
	@mkdir -p build/asan
	$(CC) $(WARN) -D_DEFAULT_SOURCE -DAUTHGATE_TEST_HOOKS -O1 -g $(SAN) \
	  -Isrc -o $@ $(SRCS) \
	  $(SCHEMA_C) $(LIBS)

asan: $(ASAN_BIN)

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

test: deps-test $(ASAN_BIN) $(BIN) $(EXPRESS_DIR)/node_modules/.package-lock.json
	@tests/run.sh

bench: deps-test $(BIN) $(SCHEMA_C)
	$(call ensure_debs,wrk)
	@tests/bench/run.sh

# The long campaign (tests/soak/): mixed traffic for SOAK_SECONDS through
# lighttpd with every answer checked, then the fault suite. make test runs
# both, the campaign for 60 s.
SOAK_SECONDS ?= 600
soak: deps-test $(ASAN_BIN) $(BIN)
	@tests/soak/soak.sh $(SOAK_SECONDS); rc=$$?; \
	  tests/soak/faults.sh || rc=1; exit $$rc

FUZZ_SECONDS ?= 60
fuzz: deps-test $(SCHEMA_C)
	@tests/fuzz/run.sh $(FUZZ_SECONDS)

clean:
	rm -rf build cgi-bin/authgate tests/tmp $(EXPRESS_DIR)/node_modules
