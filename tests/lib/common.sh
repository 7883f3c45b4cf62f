# tests/lib/common.sh - shared helpers for the integration suites (bash).
#
# A suite sources this, calls t_setup NAME, runs cases with t_status /
# t_body / t_ok, and ends with t_finish, which prints "NAME: N passed,
# N failed". Servers are started on 127.0.0.1 on free ports, recorded by
# PID and killed by the EXIT trap. A check whose input is missing (no
# answer, no log, a failed query) fails; it never passes.
#
# The rest of tests/lib, each sourced after this file where needed:
#   matrix.sh       the specification every server suite runs
#   spelling.sh     every spelling of a path gets the canonical decision
#   webhook.sh      signed deliveries (Optare, Standard Webhooks)
#   cli.sh          checks on command-line runs
#   walkthrough.sh  README and docs/ walkthroughs against `make run`
#   fcgi_client.py  a FastCGI client for what cgi-fcgi cannot do
#   nats.sh         a three-node NATS cluster and hosts beside it (multi-host)
#   nats_pub.py     a raw NATS publisher (messages injected into the stream)

set -u
T_ROOT=${AUTHGATE_TEST_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
T_PASS=0
T_FAIL=0
T_PIDS=""
T_SECRET="test-secret-for-integration-0123456789abcdef"

t_setup() {
	# The suites send bad credentials by the hundred from one address
	# on purpose; the client throttle (AUTHGATE_FAIL_LIMIT, default 20
	# a minute) is tested by limits.sh, which sets its own budget.
	export AUTHGATE_FAIL_LIMIT=${AUTHGATE_FAIL_LIMIT:-0}
	T_NAME=$1
	T_DIR="$T_ROOT/tests/tmp/$T_NAME"
	rm -rf "$T_DIR"
	mkdir -p "$T_DIR"
	T_BODY_FILE="$T_DIR/body"
	T_HDR_FILE="$T_DIR/headers"
	trap t_cleanup EXIT
}

t_cleanup() {
	local p
	for p in $T_PIDS; do
		kill "$p" 2>/dev/null
	done
	for p in $T_PIDS; do
		for _ in 1 2 3 4 5 6 7 8 9 10; do
			kill -0 "$p" 2>/dev/null || break
			sleep 0.2
		done
		kill -9 "$p" 2>/dev/null
	done
	T_PIDS=""
}

t_pass() { T_PASS=$((T_PASS + 1)); echo "ok $1"; }
t_fail() { T_FAIL=$((T_FAIL + 1)); echo "FAIL $1: $2"; }

# t_ok ID CONDITION-COMMAND...: passes when the command succeeds.
t_ok() {
	local id=$1; shift
	if "$@"; then t_pass "$id"; else t_fail "$id" "command failed: $*"; fi
}

# t_same ID GOT WANT: GOT is WANT, and neither is empty: two commands that
# both failed print nothing, and that is no agreement.
t_same() {
	if [ -z "$2" ] || [ -z "$3" ]; then
		t_fail "$1" "nothing to compare: got '$2', want '$3'"
	elif [ "$2" = "$3" ]; then t_pass "$1"
	else t_fail "$1" "got '$2', want '$3'"; fi
}

# t_has ID ERE FILE...: some FILE matches ERE (a missing FILE fails).
t_has() {
	local id=$1 re=$2; shift 2
	if grep -a -E -q -- "$re" "$@"; then t_pass "$id"
	else t_fail "$id" "no /$re/ in $*"; fi
}

# t_lacks ID ERE FILE...: no FILE matches ERE (read as text). Every FILE
# must be there, not empty: a check on a missing log proves nothing, so it
# fails. A FILE written ?PATH may be absent or empty (a -wal file, say).
t_lacks() {
	local id=$1 re=$2 f p; shift 2
	local -a files=()
	for f in "$@"; do
		p=${f#\?}
		if [ "$p" = "$f" ] && { [ ! -f "$p" ] || [ ! -s "$p" ] || [ ! -r "$p" ]; }; then
			t_fail "$id" "$p is missing or empty: nothing to check"; return
		fi
		[ -f "$p" ] && [ -r "$p" ] && files+=("$p")
	done
	if [ ${#files[@]} -eq 0 ]; then t_fail "$id" "none of $* is there to check"
	elif grep -a -E -q -- "$re" "${files[@]}"; then
		t_fail "$id" "/$re/ found in $(grep -a -E -l -- "$re" "${files[@]}" | tr '\n' ' ')"
	else t_pass "$id"; fi
}

t_finish() {
	t_cleanup
	echo "$T_NAME: $T_PASS passed, $T_FAIL failed"
	[ "$T_FAIL" -eq 0 ] && [ "$T_PASS" -gt 0 ]
	exit $?
}

# A free TCP port on 127.0.0.1, below the kernel's range for outgoing
# connections (32768-60999), so a client socket cannot take it meanwhile.
# Suites that tests/run.sh runs side by side get disjoint ranges
# (T_PORT_LO..T_PORT_HI, default 20000..31999).
T_PORT_LO=${T_PORT_LO:-20000}
T_PORT_HI=${T_PORT_HI:-31999}
t_port() {
	local p
	while :; do
		p=$((T_PORT_LO + RANDOM % (T_PORT_HI - T_PORT_LO + 1)))
		# Nothing listens there, and no socket holds it as its local
		# port: a client socket in TIME-WAIT (without SO_REUSEADDR)
		# makes a server's bind fail with "Address already in use",
		# and the ranges the helpers use lie in the kernel's range for
		# outgoing connections (32768-60999).
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null &&
		    [ -z "$(ss -Htan "( sport = :$p )" 2>/dev/null)" ]; then
			echo "$p"
			return
		fi
	done
}

# t_free_port VAR...: sets each VAR to a free port, never one this suite
# was given before (a server started later may not have bound it yet).
T_MY_PORTS=" "
t_free_port() {
	local v p
	for v in "$@"; do
		p=$(t_port)
		while [[ $T_MY_PORTS == *" $p "* ]]; do p=$(t_port); done
		T_MY_PORTS="$T_MY_PORTS$p "
		printf -v "$v" %s "$p"
	done
}

# t_stopped ID PORT...: nothing listens on these ports any more, within
# 5 s (after t_cleanup: everything the suite started was stopped by its
# pid, and a process that is gone closes its sockets).
t_stopped() {
	local id=$1 p left i; shift
	for i in $(seq 1 50); do
		left=""
		for p in "$@"; do
			(exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && left="$left $p"
		done
		[ -z "$left" ] && break
		sleep 0.1
	done
	[ -z "$left" ] && [ $# -gt 0 ] && t_pass "$id" || t_fail "$id" "still listening after cleanup:$left"
}

# t_wait_port PORT: waits up to 10 s for something to listen.
# t_nginx_conf DIR WORKERS CONNECTIONS: writes DIR/nginx.conf, an nginx
# in the foreground run as www-data with its pid, logs and temporary files
# under DIR; the inside of its http block is read from stdin.
t_nginx_conf() {
	local d=$1
	mkdir -p "$d/tmp"
	{
		cat <<EOF
daemon off;
master_process on;
worker_processes $2;
user www-data www-data;
pid $d/nginx.pid;
error_log $d/error.log info;
events { worker_connections $3; }
http {
	access_log $d/access.log;
	client_body_temp_path $d/tmp/body;
	fastcgi_temp_path $d/tmp/fastcgi;
	proxy_temp_path $d/tmp/proxy;
	scgi_temp_path $d/tmp/scgi;
	uwsgi_temp_path $d/tmp/uwsgi;
EOF
		cat
		echo "}"
	} > "$d/nginx.conf"
}

t_wait_port() {
	local i
	for i in $(seq 1 100); do
		if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then
			return 0
		fi
		sleep 0.1
	done
	return 1
}

# t_db PATH: a fresh database with the schema, demo data and fixtures.
t_db() {
	rm -f "$1" "$1-wal" "$1-shm"
	"$T_ROOT/cgi-bin/authgate" init --db "$1" >/dev/null &&
	sqlite3 "$1" < "$T_ROOT/db/demo.sql" &&
	sqlite3 "$1" < "$T_ROOT/tests/integration/fixtures.sql"
}

# t_cookie TOKEN: the Cookie header value better-auth would set.
t_cookie() {
	BETTER_AUTH_SECRET=$T_SECRET "$T_ROOT/cgi-bin/authgate" cookie "$1"
}

# t_creds: the credentials of db/demo.sql and fixtures.sql under the
# names every suite uses: session cookies (OWNER ADMIN MEMBER GUEST NOORG
# EXPIRED BANNED TEMPBAN MULTI EVIL EPOCH EPOCH_OLD LIVE), raw API keys
# (KEY KEY_OFF KEY_EXP KEY_META KEY_ORG KEY_BAN KEY_HEX KEY_MIA_OWN
# KEY_NORA KEY_ORG_ADM KEY_EXHAUSTED KEY_REFILLED) and HTML, the Accept
# header of a browser.
t_creds() {
	OWNER=$(t_cookie demo-session-olivia-owner)
	ADMIN=$(t_cookie demo-session-adam-admin)
	MEMBER=$(t_cookie demo-session-mia-member)
	GUEST=$(t_cookie demo-session-gus-guest)
	NOORG=$(t_cookie demo-session-nora-noorg)
	EXPIRED=$(t_cookie demo-session-expired)
	BANNED=$(t_cookie test-session-bea-banned)
	TEMPBAN=$(t_cookie test-session-tim-tempban)
	MULTI=$(t_cookie test-session-max-multi)
	EVIL=$(t_cookie test-session-eve-inject)
	EPOCH=$(t_cookie test-session-epoch-ms)
	EPOCH_OLD=$(t_cookie test-session-epoch-ms-old)
	LIVE=$(t_cookie test-session-live-edit)
	KEY=ag_demo_member_key_7f3c9a1e5b2d4c6e8a0b1c2d3e4f5a6b
	KEY_OFF=ag_demo_disabled_key_00000000000000000000000000
	KEY_EXP=ag_test_expired_key_1111111111111111111111111
	KEY_META=ag_test_admin_meta_key_22222222222222222222222
	KEY_ORG=ag_test_org_owned_key_333333333333333333333333
	KEY_BAN=ag_test_banned_user_key_44444444444444444444444
	KEY_HEX=ag_test_hex_stored_key_555555555555555555555555
	KEY_MIA_OWN=ag_test_member_claims_owner_6666666666666666666
	KEY_NORA=ag_test_noorg_claims_owner_77777777777777777777
	KEY_ORG_ADM=ag_test_org_granted_admin_888888888888888888888
	KEY_EXHAUSTED=ag_test_exhausted_key_99999999999999999999999
	KEY_REFILLED=ag_test_refilled_key_aaaaaaaaaaaaaaaaaaaaaaaa
	HTML='Accept: text/html,application/xhtml+xml;q=0.9,*/*;q=0.8'
	[ -n "$MEMBER" ] && [ -n "$OWNER" ]
}

# t_lock_db DB [EXCLUSIVE]: an admin's sqlite3 holds DB's write lock
# (BEGIN IMMEDIATE, or EXCLUSIVE: readers wait too) from when this returns
# until t_unlock_db, instead of for a fixed time; fails when the lock was
# not taken within 10 s. (sqlite3 waits up to 5 s for a writer that holds
# the lock, and stops at an error: a BEGIN that failed never counts as
# a lock held.)
t_lock_db() {
	local i
	T_LOCK_FIFO="$T_DIR/lock.fifo"
	rm -f "$T_LOCK_FIFO" "$T_LOCK_FIFO.held"
	mkfifo "$T_LOCK_FIFO" || return 1
	sqlite3 "$1" < "$T_LOCK_FIFO" > "$T_DIR/lock.log" 2>&1 &
	T_LOCK_PID=$!
	exec {T_LOCK_FD}>"$T_LOCK_FIFO"
	printf '.timeout 5000\n.bail on\nBEGIN %s;\nUPDATE authgate_schema SET version = version;\n.shell touch %s.held\n' \
	    "${2:-IMMEDIATE}" "$T_LOCK_FIFO" >&"$T_LOCK_FD"
	for i in $(seq 1 100); do
		[ -e "$T_LOCK_FIFO.held" ] && return 0
		sleep 0.1
	done
	return 1
}

# t_unlock_db: commits t_lock_db's transaction and waits for its sqlite3.
t_unlock_db() {
	printf 'COMMIT;\n' >&"$T_LOCK_FD" 2>/dev/null
	exec {T_LOCK_FD}>&-
	wait "$T_LOCK_PID"
}

# t_rate_limited PREFIX DB URL: k_refilled (KEY_REFILLED) limited to one
# request a minute in DB; the first passes, the second is authgate's 429
# with Retry-After and its JSON message, whatever server is in between.
t_rate_limited() {
	sqlite3 "$2" "update apikey set remaining = NULL, rateLimitEnabled = 1, rateLimitTimeWindow = 60000, rateLimitMax = 1, requestCount = 0, lastRequest = NULL, updatedAt = '2031-01-01T00:00:00.000Z' where id = 'k_refilled'"
	t_status "$1-001" 200 -H "x-api-key: $KEY_REFILLED" "$3"
	t_status "$1-002" 429 -H "x-api-key: $KEY_REFILLED" "$3"
	t_header "$1-003" '^Retry-After: (59|60)'
	t_header "$1-004" '^Content-Type: application/json'
	t_header "$1-005" '^Cache-Control: no-store'
	t_body   "$1-006" '^\{"error":"Too Many Requests - API key rate limit exceeded"\}$'
	t_nobody "$1-007" '^(backend|X-Auth-User-Id)'
}

# t_lighttpd PORT STATE_DIR DB [BIN]: starts the shipped lighttpd.conf
# (T_LIGHTTPD_CONF: another config, e.g. a copy with more processes).
t_lighttpd() {
	local port=$1 state=$2 db=$3 bin=${4:-$T_ROOT/build/asan/authgate}
	mkdir -p "$state"
	AUTHGATE_ROOT=$T_ROOT AUTHGATE_PORT=$port AUTHGATE_STATE=$state \
	AUTHGATE_BIN=$bin AUTHGATE_DB=$db BETTER_AUTH_SECRET=$T_SECRET \
	ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 \
	    lighttpd -D -f "${T_LIGHTTPD_CONF:-$T_ROOT/lighttpd.conf}" \
	    >"$state/error.log" 2>&1 &
	T_LPID=$!
	T_PIDS="$T_PIDS $T_LPID"
	t_wait_port "$port"
}

# t_status ID WANT CURL-ARGS...: the HTTP status must be WANT. The body
# is kept in $T_BODY_FILE and the headers in $T_HDR_FILE; the last
# answer's files are removed first, so that a check on them after a
# request that got no answer fails instead of reading the old answer.
t_status() {
	local id=$1 want=$2 got; shift 2
	T_BODY_FILE="$T_DIR/body"
	T_HDR_FILE="$T_DIR/headers"
	rm -f "$T_BODY_FILE" "$T_HDR_FILE"
	got=$(curl -s -g --max-time 15 -o "$T_BODY_FILE" -D "$T_HDR_FILE" \
	    -w '%{http_code}' "$@")
	if [ "$got" = "$want" ]; then
		t_pass "$id"
	else
		t_fail "$id" "status $got, want $want ($*)"
	fi
}

# t_answered ID FILE WHAT: true when the last request left FILE (curl
# writes the body file for any answer, the header file always, empty when
# nothing came back); otherwise the check ID fails.
t_answered() {
	if [ -s "$T_HDR_FILE" ] && [ -e "$2" ]; then return 0; fi
	t_fail "$1" "no answer to check the $3 of"
	return 1
}

# t_body ID REGEX: the last body matches the extended regex.
t_body() {
	t_answered "$1" "$T_BODY_FILE" body || return
	if grep -E -q -- "$2" "$T_BODY_FILE"; then t_pass "$1"; else
		t_fail "$1" "body does not match /$2/: $(head -c 300 "$T_BODY_FILE")"
	fi
}

# t_nobody ID REGEX: the last body does not match.
t_nobody() {
	t_answered "$1" "$T_BODY_FILE" body || return
	if grep -E -q -- "$2" "$T_BODY_FILE"; then
		t_fail "$1" "body matches /$2/: $(head -c 300 "$T_BODY_FILE")"
	else t_pass "$1"; fi
}

# t_header ID REGEX: the last response headers match (case-insensitive).
t_header() {
	t_answered "$1" "$T_HDR_FILE" headers || return
	if grep -E -i -q -- "$2" "$T_HDR_FILE"; then t_pass "$1"; else
		t_fail "$1" "headers do not match /$2/: $(tr '\r\n' '  ' < "$T_HDR_FILE")"
	fi
}

t_noheader() {
	t_answered "$1" "$T_HDR_FILE" headers || return
	if grep -E -i -q -- "$2" "$T_HDR_FILE"; then
		t_fail "$1" "headers match /$2/"
	else t_pass "$1"; fi
}

# t_sanitizers ID LOG: no sanitizer report in the log. A log that is not
# there fails: the reports would have gone nowhere.
t_sanitizers() {
	if [ ! -f "$2" ] || [ ! -r "$2" ]; then
		t_fail "$1" "no log at $2 to look for sanitizer reports in"
	elif grep -E -q 'AddressSanitizer|LeakSanitizer|runtime error:|UndefinedBehaviorSanitizer' "$2"; then
		t_fail "$1" "sanitizer report in $2: $(grep -E -m 3 'Sanitizer|runtime error' "$2")"
	else t_pass "$1"; fi
}

# t_backends: builds the FastCGI echo backend into this suite's directory
# (suites run side by side must not rebuild one shared file under each
# other), once.
t_backends() {
	T_ECHO_FCGI="$T_DIR/echo_fcgi"
	[ -x "$T_ECHO_FCGI" ] || cc -O1 -o "$T_ECHO_FCGI" \
	    "$T_ROOT/tests/integration/backends/echo_fcgi.c" -lfcgi
}

# t_echo_fcgi PORT: the FastCGI echo backend on 127.0.0.1:PORT.
t_echo_fcgi() {
	t_backends || return 1
	spawn-fcgi -n -a 127.0.0.1 -p "$1" -- "$T_ECHO_FCGI" >/dev/null 2>&1 &
	T_PIDS="$T_PIDS $!"
	t_wait_port "$1"
}

# t_fcgiwrap PORT: fcgiwrap (CGI over FastCGI, as user www-data) on
# 127.0.0.1:PORT, logging to $T_DIR/fcgiwrap.log.
t_fcgiwrap() {
	spawn-fcgi -n -a 127.0.0.1 -p "$1" -u www-data -g www-data \
	    -- /usr/sbin/fcgiwrap >"$T_DIR/fcgiwrap.log" 2>&1 &
	T_PIDS="$T_PIDS $!"
	t_wait_port "$1"
}

# t_echo_http PORT: the HTTP echo backend on 127.0.0.1:PORT.
t_echo_http() {
	python3 "$T_ROOT/tests/integration/backends/echo_http.py" "$1" &
	T_PIDS="$T_PIDS $!"
	t_wait_port "$1"
}

# t_serve LISTEN DB [extra serve flags...]: `authgate serve` (sanitizer
# build) as user nobody; the database's directory is handed to nobody so
# SQLite can create its -shm and -wal files. Sets T_SERVE_PID and logs to
# $T_DIR/serve.log.
t_serve() {
	local listen=$1 db=$2; shift 2
	chown -R nobody:nogroup "$(dirname "$db")"
	env BETTER_AUTH_SECRET="$T_SECRET" \
	    ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 \
	    "$T_ROOT/build/asan/authgate" serve --listen "$listen" --user nobody \
	    --db "$db" "$@" >>"$T_DIR/serve.log" 2>&1 &
	T_SERVE_PID=$!
	T_PIDS="$T_PIDS $T_SERVE_PID"
	case $listen in
	/*) for _ in $(seq 1 100); do [ -S "$listen" ] && return 0; sleep 0.1; done; return 1 ;;
	*) t_wait_port "${listen##*:}" ;;
	esac
}

# t_express PORT: the Express test backend (tests/integration/backends/
# express/app.js) on 127.0.0.1:PORT. Fails when Node.js or its packages
# are missing (`make test` installs them). Sets T_EXPRESS_PID.
t_express() {
	local dir="$T_ROOT/tests/integration/backends/express"
	command -v node >/dev/null || { echo "node is not installed" >&2; return 1; }
	[ -e "$dir/node_modules/express/package.json" ] ||
		{ echo "express is not installed (make test runs npm ci in $dir)" >&2; return 1; }
	node "$dir/app.js" "$1" >>"$T_DIR/express.log" 2>&1 &
	T_EXPRESS_PID=$!
	T_PIDS="$T_PIDS $T_EXPRESS_PID"
	t_wait_port "$1"
}

# t_conns_to TARGET: how many connections are open to TARGET, a unix
# socket path (counted on the accepting side) or HOST:PORT (counted on
# the connecting side).
t_conns_to() {
	case $1 in
	/*) ss -xH | awk -v s="$1" '{ for (i = 1; i <= NF; i++) if ($i == s) n++ } END { print n + 0 }' ;;
	*) ss -tnH state established "( dport = :${1##*:} )" | wc -l ;;
	esac
}

# t_held_body ID PORT AUTHGATE BODY SIG WANT: a signed webhook POST to the
# server on 127.0.0.1:PORT that sends its headers and 10 bytes of BODY,
# stalls 1.5 s, then sends the rest. While it stalls, no connection to
# authgate (AUTHGATE, as for t_conns_to) may be open: the server must
# hold the body, not authgate (ID-a). The answer must be WANT (ID-b).
t_held_body() {
	local id=$1 port=$2 target=$3 body=$4 sig=$5 want=$6 n line fd
	if ! exec {fd}<>"/dev/tcp/127.0.0.1/$port"; then
		t_fail "$id" "cannot connect to 127.0.0.1:$port"; return
	fi
	printf 'POST /webhooks/optare HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nX-Optare-Signature: sha256=%s\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s' \
	    "$sig" "${#body}" "${body:0:10}" >&"$fd"
	sleep 1.5
	n=$(t_conns_to "$target")
	printf '%s' "${body:10}" >&"$fd"
	line=$(timeout 15 head -n 1 <&"$fd" | tr -d '\r')
	exec {fd}>&-
	if [ "$n" = 0 ]; then t_pass "$id-a"
	else t_fail "$id-a" "$n connection(s) to authgate while the body was incomplete"; fi
	case $line in
	"HTTP/1.1 $want "*) t_pass "$id-b" ;;
	*) t_fail "$id-b" "answer '$line', want $want" ;;
	esac
}

# t_fcgi ADDR VAR=VALUE...: one FastCGI request to ADDR (host:port or a
# unix socket path) with exactly these parameters, through libfcgi's
# cgi-fcgi client; prints the response (headers and body), nothing if the
# application closed the connection without answering.
# It gives up after T_FCGI_SECONDS (10 s; a liveness bound).
t_fcgi() {
	local addr=$1; shift
	env -i "$@" timeout "${T_FCGI_SECONDS:-10}" cgi-fcgi -bind -connect "$addr" 2>/dev/null
}

# t_check ADDR URI [VAR=VALUE...]: a request to the check endpoint of
# `authgate serve` at ADDR about "GET URI"; prints the answer.
t_check() {
	local addr=$1 uri=$2; shift 2
	t_fcgi "$addr" REQUEST_METHOD=GET REQUEST_URI=/_authgate/check \
	    AUTHGATE_MODE=check AUTHGATE_ORIGINAL_URI="$uri" \
	    AUTHGATE_ORIGINAL_METHOD=GET "$@"
}

# t_check_status ID WANT ADDR URI [VAR=VALUE...]: t_check's answer starts
# "Status: WANT".
t_check_status() {
	local id=$1 want=$2 got; shift 2
	got=$(t_check "$@" | head -n 1 | tr -d '\r')
	[ "$got" = "Status: $want" ] && t_pass "$id" || t_fail "$id" "got '$got', want 'Status: $want'"
}
