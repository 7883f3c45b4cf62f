#!/bin/bash
# lighttpd_proxy.sh - conf/lighttpd/authgate-proxy.conf and
# conf/lighttpd/authgate-identity.lua under a real lighttpd 1.4 with
# mod_magnet: the authgate authorizer in front of an HTTP backend
# (mod_proxy), a FastCGI backend (mod_fastcgi responder) and a CGI backend
# (mod_cgi), each echoing the identity it received: the specification
# (tests/lib/matrix.sh: the decisions, the shape of a denial, the identity
# a backend receives, client headers that imitate identity) through each,
# and what only this config does (HTTP/2, joined headers); the check endpoint
# and the webhook as plain CGI; the spelling matrix (tests/lib/
# spelling.sh) and a long /app/ URL with the Express app as the HTTP
# backend and with the demo CGI; and the configuration mistakes docs/lighttpd.md
# warns about, each shown to do what the page says.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/webhook.sh"
t_setup lighttpd_proxy

CONF="$T_ROOT/conf/lighttpd/authgate-proxy.conf"
BIN="$T_ROOT/build/asan/authgate"
DB="$T_DIR/authgate.db"
WH_SECRET="proxy-suite-webhook-secret"
ALL="$T_DIR/all-bodies"	# every body seen, for the "(null)" check
HTTP_LOG="$T_DIR/http-backend.log"	# every request the HTTP backend got
: > "$ALL"; : > "$HTTP_LOG"

# --- helpers --------------------------------------------------------------

# http_backend PORT: tests/integration/backends/echo_http.py's handler,
# also logging each request line and all its headers to $HTTP_LOG (so a
# test can prove that a denied request never reached it, and see headers
# the echo does not print).
http_backend() {
	python3 - "$1" "$HTTP_LOG" "$T_ROOT/tests/integration/backends/echo_http.py" 2>>"$T_DIR/http-backend.err" <<'PY' &
import http.server, importlib.util, sys
port, log, path = int(sys.argv[1]), sys.argv[2], sys.argv[3]
spec = importlib.util.spec_from_file_location("echo_http", path)
echo = importlib.util.module_from_spec(spec)
spec.loader.exec_module(echo)

class Logged(echo.Echo):
    def handle_one(self):
        with open(log, "a") as f:
            f.write(self.requestline + "\n" + "".join(
                "  %s: %s\n" % kv for kv in self.headers.items()))
        super().handle_one()
    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = handle_one

http.server.ThreadingHTTPServer(("127.0.0.1", port), Logged).serve_forever()
PY
	T_PIDS="$T_PIDS $!"
	wait_up $! "$1"
}

# wait_up PID PORT: waits up to 10 s for PORT to listen; fails at once if
# PID has exited (e.g. the port was taken after t_port chose it).
wait_up() {
	local i
	for i in $(seq 1 100); do
		kill -0 "$1" 2>/dev/null || return 1
		(exec 3<>"/dev/tcp/127.0.0.1/$2") 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# retry3 VAR CMD...: runs CMD with a fresh port in VAR, up to three times.
retry3() {
	local var=$1 i; shift
	for i in 1 2 3; do
		printf -v "$var" '%s' "$(t_port)"
		"$@" "${!var}" && return 0
	done
	return 1
}

# proxy_lighttpd PORT STATE CONF: lighttpd with CONF (the shipped config
# or a variant of it); the environment fills its env.* placeholders.
# Sets L_PID.
proxy_lighttpd() {
	mkdir -p "$2"
	AUTHGATE_ROOT=$T_ROOT AUTHGATE_PORT=$1 AUTHGATE_STATE=$2 \
	AUTHGATE_BIN=$BIN AUTHGATE_DB=$DB \
	AUTHGATE_HTTP_BACKEND_PORT=$HTTP_PORT \
	AUTHGATE_FCGI_BACKEND_PORT=$FCGI_PORT \
	BETTER_AUTH_SECRET_FILE=$T_DIR/better-auth.secret \
	AUTHGATE_WEBHOOK_SECRET_FILE=$T_DIR/webhook.secret \
	ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 \
	    lighttpd -D -f "$3" >"$2/error.log" 2>&1 &
	L_PID=$!
	T_PIDS="$T_PIDS $L_PID"
	wait_up "$L_PID" "$1"
}

# host_of BACKEND: the Host header that selects the backend in the config.
host_of() {
	case $1 in
	http) echo "Host: app.localhost" ;;
	fcgi) echo "Host: fcgi.localhost" ;;
	cgi) echo "Host: cgi.localhost" ;;
	esac
}

# req ID WANT BACKEND CURL-ARGS...: t_status through BACKEND (norm_body
# follows).
req() {
	local id=$1 want=$2 b=$3; shift 3
	REQ_BACKEND=$b
	HTTP_BEFORE=$(grep -c '^[A-Z]' "$HTTP_LOG")
	t_status "$id" "$want" -H "$(host_of "$b")" "$@"
	norm_body
}

# norm_body: the last body, kept in $ALL, and normalized into $T_DIR/norm
# and NORM: every header line "Name: v" the HTTP echo printed becomes
# HTTP_NAME=v (uppercase, non-alphanumerics to "_", as lighttpd names them
# for CGI/FastCGI), and whoami.cgi's label is dropped, so one set of
# checks fits all three backends.
norm_body() {
	cat "$T_BODY_FILE" >> "$ALL" 2>/dev/null
	sed 's/^client header (not identity): //' "$T_BODY_FILE" 2>/dev/null | awk '
	/^backend:/ { print; next }
	/^[!#$%&*+.^_`|~0-9A-Za-z-]+: / {
		i = index($0, ": "); n = toupper(substr($0, 1, i - 1))
		gsub(/[^A-Z0-9]/, "_", n); print "HTTP_" n "=" substr($0, i + 2); next
	}
	{ print }' > "$T_DIR/norm"
	mapfile -t NORM < "$T_DIR/norm"
}

# mx_field KIND FIELD VALUE (tests/lib/matrix.sh's hook): the backend got
# the header X-Auth-<FIELD> once with VALUE, or no such header when VALUE
# is empty; a CGI or FastCGI backend also the variable AUTH_<FIELD> with
# VALUE (empty allowed), and REMOTE_USER=VALUE for REMOTE_USER.
mx_field() {
	local kind=$1 f=$2 v=$3 l n=0 env=0 bad=0
	if [ "$f" = REMOTE_USER ]; then
		[ "$kind" = http ] && return 0
		for l in "${NORM[@]}"; do [ "$l" = "REMOTE_USER=$v" ] && return 0; done
		MX_WHY="REMOTE_USER not '$v'"; return 1
	fi
	for l in "${NORM[@]}"; do
		case $l in
		"HTTP_X_AUTH_$f="*) n=$((n + 1)); [ "$l" = "HTTP_X_AUTH_$f=$v" ] || bad=1 ;;
		"AUTH_$f=$v") env=1 ;;
		esac
	done
	if [ -z "$v" ] && [ "$n" -ne 0 ]; then MX_WHY="X-Auth-$f present"; return 1; fi
	if [ -n "$v" ] && { [ "$n" -ne 1 ] || [ "$bad" = 1 ]; }; then
		MX_WHY="X-Auth-$f not exactly '$v'"; return 1
	fi
	if [ "$kind" != http ] && [ "$env" = 0 ]; then MX_WHY="AUTH_$f not '$v'"; return 1; fi
	return 0
}

# clean ID (matrix.sh's mx_clean): an answer came, and none of the
# spoofed values reached the backend (the HTTP backend's request log is
# checked too when it got the request: it holds every header).
clean() {
	local last
	t_answered "$1" "$T_BODY_FILE" body || return
	last=$(awk '/^[A-Z]/ { buf = "" } { buf = buf $0 "\n" } END { printf "%s", buf }' "$HTTP_LOG")
	if grep -E -q 'olivia|owner|SPOOF' "$T_DIR/norm" "$T_HDR_FILE"; then
		t_fail "$1" "spoofed value reached the backend: $(grep -h -E 'olivia|owner|SPOOF' "$T_DIR/norm" "$T_HDR_FILE" | tr '\n' '|')"
	elif [ "$REQ_BACKEND" = http ] && [ "$(grep -c '^[A-Z]' "$HTTP_LOG")" -ne "$HTTP_BEFORE" ] &&
	    printf '%s' "$last" | grep -E -q 'olivia|owner|SPOOF'; then
		t_fail "$1" "spoofed header in the HTTP backend's request: $(printf '%s' "$last" | grep -E 'olivia|owner|SPOOF' | tr '\n' '|')"
	else t_pass "$1"; fi
}

# not_reached ID (matrix.sh's mx_not_reached): the answer is authgate's
# and the backend never saw the request (for the HTTP backend: its
# request log did not grow).
not_reached() {
	if ! t_answered "$1" "$T_BODY_FILE" body; then
		return
	elif grep -q '^backend:' "$T_BODY_FILE"; then
		t_fail "$1" "the backend answered a denied request"
	elif [ "$REQ_BACKEND" = http ] &&
	    [ "$(grep -c '^[A-Z]' "$HTTP_LOG")" -ne "$HTTP_BEFORE" ]; then
		t_fail "$1" "the HTTP backend received a denied request"
	elif ! grep -q '"error":' "$T_BODY_FILE"; then
		t_fail "$1" "not authgate's answer: $(head -c 200 "$T_BODY_FILE")"
	else t_pass "$1"; fi
}

# Client headers that imitate identity: every case, separator and prefix
# variant (lighttpd maps every non-alphanumeric to "_" for CGI/FastCGI).
SPOOF=(
	-H 'X-Auth-User-Id: u_olivia'
	-H 'x-auth-user-email: olivia@acme.test'
	-H 'X-AUTH-ROLE: owner'
	-H 'x-Auth-Roles: owner'
	-H 'X_Auth_User_Id: u_olivia'
	-H 'x_auth_org_id: SPOOF-org'
	-H 'X.Auth.Method: SPOOF-method'
	-H 'X~Auth~Session~Id: SPOOF-session'
	-H 'X-Auth-Api-Key-Id: SPOOF-key'
	-H 'X-Auth-Expires-At: SPOOF-never'
	-H 'X-Auth-Anything-Else: SPOOF-other'
	-H 'Auth-User-Id: u_olivia'
	-H 'AUTH_ROLE: owner'
	-H 'Remote-User: u_olivia'
	-H 'X-Remote-User: u_olivia'
	-H 'X-Forwarded-User: u_olivia'
	-H 'X-Forwarded-Email: olivia@acme.test'
	-H 'X-Forwarded-Groups: owner'
	-H 'X-Forwarded-Preferred-Username: olivia'
	-H 'Variable-AUTH_USER_ID: u_olivia'
)

# --- setup ----------------------------------------------------------------

t_db "$DB" || { t_fail setup "cannot build the test database"; t_finish; }
printf '%s' "$T_SECRET" > "$T_DIR/better-auth.secret"
printf '%s\n' "$WH_SECRET" > "$T_DIR/webhook.secret"
fcgi_backend() {
	t_backends || return 1
	spawn-fcgi -n -a 127.0.0.1 -p "$1" -- "$T_ECHO_FCGI" >/dev/null 2>&1 &
	T_PIDS="$T_PIDS $!"
	wait_up $! "$1"
}
main_lighttpd() { proxy_lighttpd "$1" "$T_DIR/state" "$CONF"; }
retry3 HTTP_PORT http_backend || { t_fail setup "HTTP backend did not start"; t_finish; }
retry3 FCGI_PORT fcgi_backend || { t_fail setup "FastCGI backend did not start"; t_finish; }
retry3 PORT main_lighttpd || {
	t_fail setup "lighttpd did not start: $(cat "$T_DIR/state/error.log")"
	t_finish
}
U="http://127.0.0.1:$PORT"

t_creds || { t_fail setup "authgate cookie failed"; t_finish; }
. "$T_ROOT/tests/lib/matrix.sh"

# --- the specification (tests/lib/matrix.sh), through each backend ------
# The Lua script also strips every other X-Auth-* name and the whole
# X-Forwarded-User family.
MX_SPOOF_MORE="X-Auth-Anything-Else X-Forwarded-Email X-Forwarded-Groups X-Forwarded-Preferred-Username"
mx_before() { HTTP_BEFORE=$(grep -c '^[A-Z]' "$HTTP_LOG"); }
mx_after() { norm_body; }
mx_not_reached() { not_reached "$1"; }
mx_clean() { clean "$1"; }
for b in http fcgi cgi; do
	REQ_BACKEND=$b
	MX_CURL=(-H "$(host_of "$b")")
	mx_matrix "$b" "$b" "$U"
	mx_spoof "$b" "$b" "$U"
	# lighttpd only: every client header over HTTP/2 too
	req "$b-spoof-018" 200 "$b" --http2-prior-knowledge -b "$MEMBER" "${SPOOF[@]}" "$U/api/projects"
	mx_ident "$b-spoof-019" "$b" "${MX_ID_MIA[@]}"
	clean "$b-spoof-020"
done
MX_CURL=()

# the value is always authgate's; the name may keep the client's spelling
req case-001 200 http -b "$MEMBER" -H 'x-auth-role: owner' "$U/api/projects"
t_body case-002 '^x-auth-role: member$'
# a header name with a space before the colon is refused by lighttpd's
# strict parser before anything runs
t_status strict-001 400 -b "$MEMBER" -H 'X-Auth-User-Id : u_olivia' "$U/api/projects"
t_header strict-002 '^Content-Type: application/json'	# lighttpd's own 400, as JSON
t_body   strict-003 '^\{"error":"Bad Request"\}$'
# a request with no headers at all (HTTP/1.0, no Host) still works
exec 3<>"/dev/tcp/127.0.0.1/$PORT"
printf 'GET /public/x HTTP/1.0\r\n\r\n' >&3
if head -c 200 <&3 | grep -q '^HTTP/1.0 200'; then t_pass strict-002; else t_fail strict-002 "no 200 for a bare HTTP/1.0 request"; fi
exec 3<&-

# --- plain CGI: the check endpoint --------------------------------------
CK="$U/_authgate/check"
t_status check-001 200 -b "$MEMBER" -H 'X-Forwarded-Uri: /api/projects' -H 'X-Forwarded-Method: GET' -H 'X-Auth-User-Id: u_olivia' -H 'X_Auth_Role: owner' "$CK"
t_header check-002 '^X-Auth-User-Id: u_mia'
t_header check-003 '^X-Auth-Role: member'
t_header check-004 '^X-Auth-Org-Slug: acme'
t_header check-005 '^X-Auth-Method: session'
t_noheader check-006 'olivia|owner|\(null\)'
# an empty value: lighttpd drops an empty response header; never "(null)"
t_noheader check-007 '^X-Auth-Api-Key-Id:.*[^[:space:]]'
t_status check-008 403 -b "$MEMBER" -H 'X-Forwarded-Uri: /api/admin/users' -H 'X-Forwarded-Method: GET' "$CK"
t_body   check-009 'admin role required'
t_status check-010 401 -H 'X-Forwarded-Uri: /api/projects' -H 'X-Forwarded-Method: GET' -H 'X-Auth-User-Id: u_olivia' "$CK"
t_header check-011 '^WWW-Authenticate: Bearer'
t_status check-012 302 -H "$HTML" -H 'X-Forwarded-Uri: /app/dashboard' -H 'X-Forwarded-Method: GET' "$CK"
t_header check-013 '^Location: /sign-in\?next=/app/dashboard'
t_status check-014 400 -b "$MEMBER" "$CK"	# no original request
t_status check-015 400 -b "$MEMBER" -H 'X-Forwarded-Uri: /api/health/../admin/x' -H 'X-Forwarded-Method: GET' "$CK"
t_status check-016 200 -H "x-api-key: $KEY" -H 'X-Forwarded-Uri: /api/machine/jobs' -H 'X-Forwarded-Method: POST' "$CK"
t_header check-017 '^X-Auth-Api-Key-Id: k_mia'
t_status check-018 200 -H 'X-Forwarded-Uri: /api/health' -H 'X-Forwarded-Method: GET' "$CK"
t_noheader check-019 '^X-Auth-[A-Za-z-]*:.*[^[:space:]]'
# a POST with a body: authgate never reads it and must not hang on it
# (answered within 10 s, a liveness bound; tests/bench/liveness.sh
# measures how long it takes)
head -c 900000 /dev/zero > "$T_DIR/body900k"
t_status check-020 200 --max-time 10 -b "$MEMBER" -X POST --data-binary @"$T_DIR/body900k" -H 'X-Forwarded-Uri: /api/projects/1' -H 'X-Forwarded-Method: POST' "$CK"
t_status check-022 403 -b "$GUEST" -X POST --data-binary @"$T_DIR/body900k" -H 'X-Forwarded-Uri: /api/projects/1' -H 'X-Forwarded-Method: POST' "$CK"
t_status check-023 200 -b "$MEMBER" -X POST -H 'Transfer-Encoding: chunked' --data-binary 'abc' -H 'X-Forwarded-Uri: /api/projects/1' -H 'X-Forwarded-Method: POST' "$CK"
# only the local forward-auth proxy may ask (it sets X-Forwarded-Uri)
t_status check-024 403 --interface 127.0.0.2 -b "$MEMBER" -H 'X-Forwarded-Uri: /api/projects' -H 'X-Forwarded-Method: GET' "$CK"
t_noheader check-025 '^X-Auth-'
t_nobody check-026 '"error"'	# lighttpd's own 403, authgate never ran

# --- plain CGI: the webhook --------------------------------------------
WH="$U/webhooks/optare"
BODY=$(wh_role_event evt-proxy-1 admin)
wh_post  wh-001 200 "$BODY" "$WH"
t_body   wh-002 '"outcome":"applied"'
# the next request through the proxy carries the new role
req wh-003 200 http -b "$MEMBER" "$U/api/admin/users"
t_body   wh-004 '^X-Auth-Role: admin$'
wh_post  wh-005 200 "$BODY" "$WH"
t_body   wh-006 '"outcome":"duplicate"'
t_status wh-007 400 -X POST -H "X-Optare-Signature: sha256=$(wh_optare_sig "$BODY")" --data-binary "${BODY/admin/owner}" "$WH"
t_status wh-008 400 -X POST --data-binary "$BODY" "$WH"	# unsigned
t_status wh-009 405 "$WH"
t_header wh-010 '^Allow: POST'
head -c 2000000 /dev/zero > "$T_DIR/body2m"
t_status wh-011 413 -X POST -H 'X-Optare-Signature: sha256=00' --data-binary @"$T_DIR/body2m" "$WH"
# a chunked delivery: lighttpd collects it and gives CONTENT_LENGTH
BODY=$(wh_role_event evt-proxy-2 member)
wh_post  wh-012 200 "$BODY" "$WH" -H 'Transfer-Encoding: chunked'
t_body   wh-013 '"outcome":"applied"'
req wh-014 403 http -b "$MEMBER" "$U/api/admin/users"
# Standard Webhooks signature (whsec_ secrets are base64)
SW_SECRET="whsec_$(printf 'std-secret-bytes-0123456789' | base64)"
printf '%s\n' "$SW_SECRET" >> "$T_DIR/webhook.secret"
BODY='{"timestamp":"'"$(date -u +%FT%TZ)"'","type":"user.updated","data":{"id":"u_mia","name":"Mia M.","email":"mia@acme.test","updatedAt":"2030-01-01T00:00:00.000Z"}}'
wh_post_sw wh-015 200 evt-proxy-3 "$BODY" "$WH"
req wh-016 200 fcgi -b "$MEMBER" "$U/api/projects"
t_body   wh-017 '^HTTP_X_AUTH_USER_NAME=Mia M\.$'
BODY='{"timestamp":"'"$(date -u +%FT%TZ)"'","type":"user.updated","data":{"id":"u_mia","name":"Mia Member","email":"mia@acme.test","updatedAt":"2031-01-01T00:00:00.000Z"}}'
wh_post_sw wh-018 200 evt-proxy-4 "$BODY" "$WH"

# --- the log ----------------------------------------------------------
# every body: never a "(null)"
t_lacks null-001 '\(null\)' "$ALL"
t_sanitizers asan-001 "$T_DIR/state/error.log"
grep -q 'deny status=401 reason=no_credentials method=GET path=/api/projects client=127.0.0.1 rule=6' "$T_DIR/state/error.log" &&
	t_pass log-001 || t_fail log-001 "no deny line in the error log"
t_lacks log-002 "demo-session|ag_demo|ag_test|session_token|$T_SECRET|$WH_SECRET" "$T_DIR/state/error.log"
# the script never failed (a Lua error would be logged and answered 500)
t_lacks log-003 'lua' "$T_DIR/state/error.log"
kill "$L_PID"; wait "$L_PID" 2>/dev/null

# --- every spelling of a path, through the shipped config ----------------
# A second lighttpd from the same file, its HTTP backend the Express app
# (Host app.*); its CGI backend is the demo CGI (Host cgi.*). The spelling
# matrix (tests/lib/spelling.sh) and a long /app/ URL through both.
. "$T_ROOT/tests/lib/spelling.sh"
express_backend() {
	node "$T_ROOT/tests/integration/backends/express/app.js" "$1" >>"$T_DIR/express.log" 2>&1 &
	T_PIDS="$T_PIDS $!"
	wait_up $! "$1"
}
spell_lighttpd() { HTTP_PORT=$EXPRESS_PORT proxy_lighttpd "$1" "$T_DIR/spell" "$CONF"; }
if [ ! -e "$T_ROOT/tests/integration/backends/express/node_modules/express/package.json" ]; then
	t_fail spell-000 "express is not installed (make test runs npm ci)"
elif ! retry3 EXPRESS_PORT express_backend; then
	t_fail spell-000 "the Express backend did not start: $(tail -n 3 "$T_DIR/express.log")"
elif ! retry3 SPORT spell_lighttpd; then
	t_fail spell-000 "lighttpd did not start: $(cat "$T_DIR/spell/error.log")"
else
	SPELL_CURL=(-H "Host: app.localhost")
	spell_matrix spell-http "http://127.0.0.1:$SPORT"
	spell_long_next spell-http "http://127.0.0.1:$SPORT"
	SPELL_CURL=(-H "Host: cgi.localhost")
	spell_matrix spell-cgi "http://127.0.0.1:$SPORT"
	spell_long_next spell-cgi "http://127.0.0.1:$SPORT"
	SPELL_CURL=()
	# every path is asked about, also outside /api/ and /app/
	req route-001 401 http "http://127.0.0.1:$SPORT/api"
	not_reached route-002
	req route-003 401 http "http://127.0.0.1:$SPORT/not-under-any-rule"
	not_reached route-004
	req route-005 403 http -b "$MEMBER" "http://127.0.0.1:$SPORT/API/Admin/users"
	not_reached route-006
	req route-007 403 fcgi -b "$MEMBER" "http://127.0.0.1:$SPORT/API/Admin/users"
	not_reached route-008
	kill "$L_PID"; wait "$L_PID" 2>/dev/null
	t_sanitizers spell-asan "$T_DIR/spell/error.log"
fi

# --- the mistakes docs/lighttpd.md warns about, each on a copy of the config
# variant NAME SED-SCRIPT: starts the config edited by sed; sets V and VPID.
variant() {
	local port
	sed "$2" "$CONF" > "$T_DIR/$1.conf"
	if cmp -s "$CONF" "$T_DIR/$1.conf"; then
		t_fail "$1" "the sed script changed nothing"; return 1
	fi
	variant_lighttpd() { proxy_lighttpd "$1" "$T_DIR/$VNAME" "$T_DIR/$VNAME.conf"; }
	VNAME=$1
	retry3 port variant_lighttpd || {
		t_fail "$1" "lighttpd did not start: $(cat "$T_DIR/$1/error.log")"; return 1; }
	V="http://127.0.0.1:$port"
	VPID=$L_PID
}
stop_variant() { kill "$VPID"; wait "$VPID" 2>/dev/null; t_sanitizers "$1" "$T_DIR/$2/error.log"; }

# response-start runs after the backend got the request: too late
if variant late 's/magnet.attract-raw-url-to/magnet.attract-response-start-to/'; then
	req late-001 200 http -b "$MEMBER" -H 'X-Auth-User-Id: u_olivia' "$V/api/projects"
	t_body late-002 '^X-Auth-User-Id: u_olivia$'
	req late-003 200 fcgi -b "$MEMBER" -H 'X.Auth.Role: owner' "$V/api/projects"
	t_body late-004 '^HTTP_X_AUTH_ROLE=owner$'	# "." becomes "_" too
	stop_variant late-005 late
fi
# attract-physical-path-to works as well as attract-raw-url-to
if variant physical 's/magnet.attract-raw-url-to/magnet.attract-physical-path-to/'; then
	req physical-001 200 http -b "$MEMBER" "${SPOOF[@]}" "$V/api/projects"
	mx_ident physical-002 http "${MX_ID_MIA[@]}"
	clean physical-003
	stop_variant physical-004 physical
fi
# mod_magnet's place in server.modules does not matter for this script
if variant magnetlast 's/"mod_setenv", "mod_magnet",/"mod_setenv",/; s/"mod_cgi", "mod_proxy" )/"mod_cgi", "mod_proxy", "mod_magnet" )/'; then
	req magnetlast-001 200 http -b "$MEMBER" "${SPOOF[@]}" "$V/api/projects"
	mx_ident magnetlast-002 http "${MX_ID_MIA[@]}"
	stop_variant magnetlast-003 magnetlast
fi
# mod_proxy before mod_fastcgi: the proxy claims /api/ first and the
# authorizer never runs
if variant proxyfirst 's/"mod_fastcgi", "mod_cgi", "mod_proxy"/"mod_proxy", "mod_fastcgi", "mod_cgi"/'; then
	req proxyfirst-001 200 http "$V/api/projects"
	t_body proxyfirst-002 '^backend: http GET /api/projects'
	stop_variant proxyfirst-003 proxyfirst
fi
# check-local left enabled on the authorizer: it never runs for proxied or
# aliased paths
if variant checklocal '0,/"check-local"          => "disable",/s//"check-local"          => "enable",/'; then
	req checklocal-001 200 http "$V/api/admin/users"
	t_body checklocal-002 '^backend: http GET /api/admin/users'
	req checklocal-003 200 cgi "$V/api/admin/users"
	stop_variant checklocal-004 checklocal
fi
# a fastcgi.server in an inner block replaces the outer one: an authorizer
# set only in an outer block is dropped where a backend sets its own
if variant merge 's|fastcgi.server = ( "/" => ( var.authgate_authorizer, var.fcgi_app ) )|fastcgi.server = ( "/" => ( var.fcgi_app ) )|; s|^# One if/else chain|$HTTP["url"] =~ "^/(api\|app)/" { fastcgi.server = ( "/" => ( var.authgate_authorizer ) ) }\n&|'; then
	req merge-001 401 http "$V/api/projects"	# the outer authorizer works ...
	req merge-002 200 fcgi "$V/api/projects"	# ... but not where it was replaced
	t_body merge-003 '^backend: fastcgi /api/projects'
	stop_variant merge-004 merge
fi
# "docroot" on the authorizer: after an allow lighttpd looks for a static
# file instead of asking the backend
if variant docroot 's|^  "check-local"          => "disable",|&\n  "docroot" => var.root + "/conf/demo/www",|'; then
	req docroot-001 404 http -b "$MEMBER" "$V/api/projects"
	stop_variant docroot-002 docroot
fi
# an identity value with a control character is never forwarded: 500
if variant ctrl "\$a setenv.add-environment = ( \"AUTH_USER_NAME\" => \"Eve$(printf '\t')X\" )"; then
	req ctrl-001 500 http "$V/public/x"
	t_nobody ctrl-002 '^backend:'
	grep -q 'control character in AUTH_USER_NAME' "$T_DIR/ctrl/error.log" &&
		t_pass ctrl-003 || t_fail ctrl-003 "no log line for the refused value"
	stop_variant ctrl-004 ctrl
fi

t_finish
