#!/bin/bash
# caddy.sh - authgate behind a real Caddy (Debian 12's caddy 2.6,
# forward_auth with the FastCGI transport) with the shipped
# conf/caddy/Caddyfile, templated only for ports and paths. authgate
# serve (sanitizer build) listens on TCP; Caddy runs as nobody with its
# state under the test directory. Three sites, one per backend kind:
#   p  reverse_proxy to the HTTP echo backend (echo_http.py)
#   f  reverse_proxy + transport fastcgi to the FastCGI echo backend
#   c  reverse_proxy + transport fastcgi to fcgiwrap running
#      conf/demo/whoami.cgi (Caddy has no CGI module)
# Cases: the allow/deny/role/redirect matrix through each, the identity
# the backend receives, spoofed identity headers on allowed, public and
# denied paths, forged X-Forwarded-*, path guards, every path asked about,
# the spelling matrix (tests/lib/spelling.sh) through site 1 with the
# Express app behind it (a second Caddy) and through site 3, a long /app/
# URL's redirect, large bodies, the webhook and its body held by Caddy,
# the store unreadable and authgate unreachable.
. "$(dirname "$0")/../lib/common.sh"
t_setup caddy

# free_port VAR: sets VAR to a free port. Like t_port, but below the
# kernel's ephemeral range (32768 and up), where a busy machine's outgoing
# connections cannot hold the port between the check and the bind, and
# never the same port twice in one run.
T_MY_PORTS=" "
free_port() {
	local p
	while :; do
		p=$((20000 + RANDOM % 12000))
		case $T_MY_PORTS in *" $p "*) continue ;; esac
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			T_MY_PORTS="$T_MY_PORTS$p "
			printf -v "$1" %s "$p"
			return
		fi
	done
}

command -v caddy >/dev/null || { t_fail setup "caddy is not installed"; t_finish; }
[ -x /usr/sbin/fcgiwrap ] || { t_fail setup "fcgiwrap is not installed (apt-get install fcgiwrap)"; t_finish; }

DB="$T_DIR/db/authgate.db"
C="$T_DIR/caddy"
mkdir -p "$T_DIR/db"
t_db "$DB" || { t_fail setup "cannot build the test database"; t_finish; }
WH_SECRET=caddy-test-webhook-secret
printf '%s\n' "$WH_SECRET" > "$T_DIR/db/webhook.secret"

free_port AG_PORT
t_serve "127.0.0.1:$AG_PORT" "$DB" --workers 2 \
    --webhook-secret-file "$T_DIR/db/webhook.secret" ||
	{ t_fail setup "authgate serve did not start: $(tail -n 3 "$T_DIR/serve.log")"; t_finish; }

free_port HTTP_PORT; t_echo_http "$HTTP_PORT" || t_fail setup "echo_http did not start"
# The FastCGI echo backend, built into this suite's directory (the
# shared copy in tests/tmp may be rebuilt by another suite meanwhile).
free_port FCGI_PORT
cc -O1 -o "$T_DIR/echo_fcgi" "$T_ROOT/tests/integration/backends/echo_fcgi.c" -lfcgi ||
	t_fail setup "cannot build echo_fcgi"
spawn-fcgi -n -a 127.0.0.1 -p "$FCGI_PORT" -- "$T_DIR/echo_fcgi" >/dev/null 2>&1 &
T_PIDS="$T_PIDS $!"
t_wait_port "$FCGI_PORT" || t_fail setup "echo_fcgi did not start"
free_port CGI_PORT
spawn-fcgi -n -a 127.0.0.1 -p "$CGI_PORT" -u www-data -g www-data \
    -- /usr/sbin/fcgiwrap >"$T_DIR/fcgiwrap.log" 2>&1 &
T_PIDS="$T_PIDS $!"
t_wait_port "$CGI_PORT" || t_fail setup "fcgiwrap did not start: $(cat "$T_DIR/fcgiwrap.log")"

# caddy_start DIR CP CF CC ADMIN_PORT HTTP_BACKEND_PORT: a Caddy in DIR
# running the shipped Caddyfile with only the documented literal ports
# and paths replaced, as an unprivileged user (Debian runs it as caddy),
# writing only under DIR. (`caddy run &` is the process whose pid is
# recorded, so that t_cleanup stops Caddy itself.)
caddy_start() {
	local d=$1 cp=$2 cf=$3 cc=$4 ap=$5 hp=$6 p
	local -a cenv
	mkdir -p "$d/home" "$d/data" "$d/config"
	sed -e "s#localhost:2019#127.0.0.1:$ap#" \
	    -e "s#127\.0\.0\.1:8080#127.0.0.1:$cp#" \
	    -e "s#127\.0\.0\.1:8081#127.0.0.1:$cf#" \
	    -e "s#127\.0\.0\.1:8082#127.0.0.1:$cc#" \
	    -e "s#127\.0\.0\.1:9100#127.0.0.1:$AG_PORT#" \
	    -e "s#127\.0\.0\.1:3000#127.0.0.1:$hp#" \
	    -e "s#127\.0\.0\.1:9000#127.0.0.1:$FCGI_PORT#" \
	    -e "s#unix//run/fcgiwrap\.socket#127.0.0.1:$CGI_PORT#" \
	    -e "s#/usr/lib/cgi-bin/whoami\.cgi#$T_ROOT/conf/demo/whoami.cgi#" \
	    "$T_ROOT/conf/caddy/Caddyfile" > "$d/Caddyfile"
	chown -R nobody:nogroup "$d"
	cenv=(env HOME="$d/home" XDG_DATA_HOME="$d/data" XDG_CONFIG_HOME="$d/config"
	    setpriv --reuid=nobody --regid=nogroup --clear-groups)
	if ! "${cenv[@]}" caddy validate --config "$d/Caddyfile" --adapter caddyfile >"$d/validate.log" 2>&1; then
		echo "caddy validate: $(tail -n 3 "$d/validate.log")" >> "$d/caddy.log"
		return 1
	fi
	"${cenv[@]}" caddy run --config "$d/Caddyfile" --adapter caddyfile >>"$d/caddy.log" 2>&1 &
	T_PIDS="$T_PIDS $!"
	for p in "$cp" "$cf" "$cc"; do
		t_wait_port "$p" || return 1
	done
}

free_port CP; free_port CF; free_port CC; free_port ADMIN_PORT
caddy_start "$C" "$CP" "$CF" "$CC" "$ADMIN_PORT" "$HTTP_PORT" ||
	{ t_fail setup "caddy did not start: $(grep -v "\"level\":\"info\"" "$C/caddy.log" | tail -n 5)"; t_finish; }

OWNER=$(t_cookie demo-session-olivia-owner)
ADMIN=$(t_cookie demo-session-adam-admin)
MEMBER=$(t_cookie demo-session-mia-member)
GUEST=$(t_cookie demo-session-gus-guest)
NOORG=$(t_cookie demo-session-nora-noorg)
EXPIRED=$(t_cookie demo-session-expired)
BANNED=$(t_cookie test-session-bea-banned)
MULTI=$(t_cookie test-session-max-multi)
KEY=ag_demo_member_key_7f3c9a1e5b2d4c6e8a0b1c2d3e4f5a6b
KEY_OFF=ag_demo_disabled_key_00000000000000000000000000
KEY_ORG=ag_test_org_owned_key_333333333333333333333333
HTML='Accept: text/html,application/xhtml+xml;q=0.9,*/*;q=0.8'

# t_clean ID WANT CURL-ARGS...: status WANT and no spoofed value in what
# came back (the backend's echo, or authgate's JSON on a deny).
t_clean() {
	local id=$1 want=$2 got; shift 2
	T_BODY_FILE="$T_DIR/body"
	T_HDR_FILE="$T_DIR/headers"
	got=$(curl -s -g --max-time 15 -o "$T_BODY_FILE" -D "$T_HDR_FILE" \
	    -w '%{http_code}' "$@")
	if [ "$got" != "$want" ]; then
		t_fail "$id" "status $got, want $want ($*)"
	elif grep -q SPOOFED "$T_BODY_FILE" "$T_HDR_FILE"; then
		t_fail "$id" "a spoofed value came through: $(grep -h SPOOFED "$T_BODY_FILE" "$T_HDR_FILE" | head -3)"
	else
		t_pass "$id"
	fi
}

# id_is ID KIND FIELD VALUE: the backend got identity FIELD (AUTH_ name)
# with VALUE. The HTTP backend gets X-Auth-* request headers, every one
# present on checked paths (empty when unknown); FastCGI and CGI get
# AUTH_* parameters from the env lines of the Caddyfile.
id_is() {
	local id=$1 kind=$2 field=$3 value=$4 h
	if [ "$kind" = p ]; then
		h=X-$(echo "$field" | tr '[:upper:]_' '[:lower:]-' |
		    sed -E 's/(^|-)([a-z])/\1\u\2/g')
		t_body "$id" "^$h: ?$value\$"
	else
		t_body "$id" "^$field=$value\$"
	fi
}

# matrix KIND URL: the decisions and what the backend receives.
matrix() {
	local k=$1 U=$2
	# anonymous: authgate's own answers reach the client unchanged
	t_status "$k-anon-001" 401 "$U/api/projects"
	t_header "$k-anon-002" '^WWW-Authenticate: Bearer realm="authgate"'
	t_header "$k-anon-003" '^Cache-Control: no-store'
	t_header "$k-anon-004" '^Content-Type: application/json'
	t_body   "$k-anon-005" '^\{"error":"Unauthorized - sign in required"\}'
	t_noheader "$k-anon-006" '^Status:'
	t_status "$k-anon-007" 302 -H "$HTML" "$U/app/dashboard"
	t_header "$k-anon-008" '^Location: /sign-in\?next=/app/dashboard'
	t_noheader "$k-anon-009" '^WWW-Authenticate'
	t_status "$k-anon-010" 401 -H "$HTML" -H 'X-Requested-With: XMLHttpRequest' "$U/app/dashboard"
	t_noheader "$k-anon-011" '^Location:'
	t_status "$k-anon-012" 401 -H "$HTML" -H 'Sec-Fetch-Mode: cors' "$U/app/dashboard"
	t_status "$k-anon-013" 302 -H "$HTML" -H 'Sec-Fetch-Mode: navigate' "$U/app/a%20b"
	t_header "$k-anon-014" '^Location: /sign-in\?next=/app/a%20b'
	t_status "$k-anon-015" 401 -H "$HTML" "$U/api/projects"	# rule says json
	# public: a public rule behind forward_auth, and a path outside it
	t_status "$k-pub-001" 200 "$U/api/health"
	id_is    "$k-pub-002" "$k" AUTH_USER_ID ""
	id_is    "$k-pub-003" "$k" AUTH_ROLE ""
	t_status "$k-pub-004" 200 -b "$MEMBER" "$U/api/health"
	id_is    "$k-pub-005" "$k" AUTH_USER_ID ""
	t_status "$k-pub-006" 200 "$U/public/hello"
	t_body   "$k-pub-007" '^backend'
	t_status "$k-pub-008" 401 -X POST --data x "$U/api/health"	# GET,HEAD only
	t_status "$k-pub-009" 403 -b "$OWNER" "$U/api/internal/x"
	t_body   "$k-pub-010" '^\{"error":"Forbidden - access denied"\}'
	# roles
	t_status "$k-role-001" 200 -b "$OWNER" "$U/api/admin/users"
	id_is    "$k-role-002" "$k" AUTH_USER_ID u_olivia
	id_is    "$k-role-003" "$k" AUTH_ROLE owner
	id_is    "$k-role-004" "$k" AUTH_ORG_ID org_acme
	id_is    "$k-role-005" "$k" AUTH_ORG_SLUG acme
	id_is    "$k-role-006" "$k" AUTH_METHOD session
	id_is    "$k-role-007" "$k" AUTH_SESSION_ID s_olivia
	id_is    "$k-role-008" "$k" AUTH_EXPIRES_AT 2099-01-01T00:00:00.000Z
	id_is    "$k-role-009" "$k" AUTH_USER_EMAIL olivia@acme.test
	id_is    "$k-role-010" "$k" AUTH_API_KEY_ID ""
	t_status "$k-role-011" 200 -b "$ADMIN" "$U/api/admin/users"
	id_is    "$k-role-012" "$k" AUTH_ROLE admin
	t_status "$k-role-013" 403 -b "$MEMBER" "$U/api/admin/users"
	t_body   "$k-role-014" 'Forbidden - admin role required'
	t_noheader "$k-role-015" '^WWW-Authenticate'
	t_status "$k-role-016" 403 -b "$GUEST" "$U/api/admin/users"
	t_status "$k-role-017" 200 -b "$GUEST" "$U/api/projects/1"
	t_status "$k-role-018" 403 -b "$GUEST" -X POST --data x "$U/api/projects/1"
	t_body   "$k-role-019" 'Forbidden - member role required'
	t_status "$k-role-020" 200 -b "$MEMBER" -X POST --data x "$U/api/projects/1"
	[ "$k" = f ] || t_body "$k-role-021" 'POST /api/projects/1'
	t_status "$k-role-022" 200 -b "$MULTI" "$U/api/admin/users"
	id_is    "$k-role-023" "$k" AUTH_ROLES guest,admin
	t_status "$k-role-024" 200 -b "$NOORG" "$U/api/projects"
	id_is    "$k-role-025" "$k" AUTH_ORG_ID ""
	id_is    "$k-role-026" "$k" AUTH_ROLE ""
	t_status "$k-role-027" 200 -b "$MEMBER" "$U/app/"
	id_is    "$k-role-028" "$k" AUTH_USER_NAME "Mia Member"
	# sessions and keys
	t_status "$k-sess-001" 401 -b "$EXPIRED" "$U/api/projects"
	t_body   "$k-sess-002" 'expired'
	t_status "$k-sess-003" 302 -H "$HTML" -b "$EXPIRED" "$U/app/"
	t_status "$k-sess-004" 403 -b "$BANNED" "$U/api/projects"
	t_body   "$k-sess-005" 'Forbidden - banned'
	t_status "$k-sess-006" 401 -b "${MEMBER%???}AAA" "$U/api/projects"
	t_status "$k-key-001" 200 -H "x-api-key: $KEY" "$U/api/projects"
	id_is    "$k-key-002" "$k" AUTH_METHOD api_key
	id_is    "$k-key-003" "$k" AUTH_API_KEY_ID k_mia
	id_is    "$k-key-004" "$k" AUTH_SESSION_ID ""
	t_status "$k-key-005" 200 -H "Authorization: Bearer $KEY" "$U/api/machine/jobs"
	t_status "$k-key-006" 401 -b "$MEMBER" "$U/api/machine/jobs"
	t_status "$k-key-007" 401 -H "x-api-key: $KEY" "$U/app/dashboard"
	t_status "$k-key-008" 401 -H "x-api-key: $KEY_OFF" "$U/api/projects"
	t_body   "$k-key-009" 'disabled'
	t_status "$k-key-010" 200 -H "x-api-key: $KEY_ORG" "$U/api/projects"
	id_is    "$k-key-011" "$k" AUTH_USER_ID ""
	if [ "$k" != p ]; then
		t_body "$k-key-012" '^REMOTE_USER=k_org$'	# the map in the Caddyfile
		t_status "$k-key-013" 200 -b "$MEMBER" "$U/api/projects"
		t_body "$k-key-014" '^REMOTE_USER=u_mia$'
		t_status "$k-key-015" 200 "$U/public/x"
		t_body "$k-key-016" '^REMOTE_USER=$'
		t_body "$k-key-017" '^AUTH_USER_ID=$'
	fi
}

# spoof KIND URL: client-sent identity headers, one variant at a time,
# on an allowed path, a public rule behind forward_auth and a public
# path; then all of them at once on denied paths. The value must never
# reach the backend, and the real identity must win.
SPOOF_NAMES="X-Auth-User-Id x-auth-user-id X-AUTH-USER-ID X_Auth_User_Id x_auth_role X-Auth_User-Id Auth-User-Id Remote-User REMOTE-USER X-Auth-Api-Key-Id X-Forwarded-User x-remote-user"
spoof() {
	local k=$1 U=$2 n i=0 all=()
	for n in $SPOOF_NAMES; do
		i=$((i + 1))
		all+=(-H "$n: SPOOFED$i")
		t_clean "$k-spoof-$i-a" 200 -b "$MEMBER" -H "$n: SPOOFED$i" "$U/api/projects"
		id_is   "$k-spoof-$i-b" "$k" AUTH_USER_ID u_mia
		t_clean "$k-spoof-$i-c" 200 -H "$n: SPOOFED$i" "$U/api/health"
		t_clean "$k-spoof-$i-d" 200 -H "$n: SPOOFED$i" "$U/public/x"
	done
	t_clean "$k-spoof-basic-1" 200 -u SPOOFED:x "$U/public/x"
	t_clean "$k-spoof-basic-2" 200 -u SPOOFED:x "$U/api/health"
	t_clean "$k-spoof-basic-3" 401 -u SPOOFED:x "$U/api/projects"
	t_clean  "$k-spoof-all-1" 401 "${all[@]}" "$U/api/projects"
	t_nobody "$k-spoof-all-2" "^backend"
	t_clean  "$k-spoof-all-3" 403 -b "$MEMBER" "${all[@]}" "$U/api/admin/users"
	t_nobody "$k-spoof-all-4" "^backend"
	t_clean  "$k-spoof-all-5" 302 -H "$HTML" "${all[@]}" "$U/app/x"
	t_clean  "$k-spoof-all-6" 200 -b "$MEMBER" "${all[@]}" "$U/api/projects"
	id_is    "$k-spoof-all-7" "$k" AUTH_ROLE member
	t_clean  "$k-spoof-all-8" 200 -H "x-api-key: $KEY" "${all[@]}" "$U/api/projects"
	id_is    "$k-spoof-all-9" "$k" AUTH_SESSION_ID ""
}

matrix p "http://127.0.0.1:$CP"
matrix f "http://127.0.0.1:$CF"
matrix c "http://127.0.0.1:$CC"
spoof p "http://127.0.0.1:$CP"
spoof f "http://127.0.0.1:$CF"
spoof c "http://127.0.0.1:$CC"

U="http://127.0.0.1:$CP"
# The original request comes from Caddy's placeholders, never from
# client headers (forward_auth overwrites X-Forwarded-*, and authgate
# ignores them anyway).
t_status fwd-001 401 -H 'X-Forwarded-Uri: /api/health' -H 'X-Forwarded-Method: GET' "$U/api/admin/x"
t_status fwd-002 403 -b "$MEMBER" -H 'X-Forwarded-Uri: /api/health' "$U/api/admin/x"
# an override header naming another method is refused outright (issue 8)
t_status fwd-003 400 -b "$GUEST" -X POST --data x -H 'X-Forwarded-Method: GET' \
    -H 'X-HTTP-Method-Override: GET' "$U/api/projects/1"
# X-Forwarded-Method alone changes nothing: the guest's POST stays a POST
t_status fwd-003b 403 -b "$GUEST" -X POST --data x -H 'X-Forwarded-Method: GET' "$U/api/projects/1"
t_status fwd-004 401 -H 'X-Original-URI: /api/health' -H 'Authgate-Original-Uri: /api/health' "$U/api/projects"
t_status fwd-005 200 -H 'X-Forwarded-Uri: /api/admin/x' "$U/api/health"
# /_authgate/check from outside is a path like any other: asked about
# (no rule names it: a sign-in is needed), never authgate's endpoint
t_status fwd-006 401 -H 'X-Forwarded-Uri: /api/health' "$U/_authgate/check"
t_nobody fwd-007 '^backend'
t_status fwd-008 200 -b "$MEMBER" "$U/_authgate/check"
t_body   fwd-009 '^backend: http GET /_authgate/check'

# Paths: authgate's 400s arrive as they are; the guard refuses targets
# whose raw and cleaned forms differ; an encoded letter meets its rule.
t_status path-001 400 -b "$MEMBER" "$U/api/a%0ab"
t_body   path-002 'Bad Request'
t_status path-003 400 -b "$MEMBER" "$U/api/health%3f/x"
t_status path-004 400 -b "$MEMBER" "$U/api/health%23/x"
t_status path-005 403 -b "$MEMBER" "$U/api/%61dmin/users"
t_status path-006 200 -b "$ADMIN" "$U/api/%61dmin/users"
t_status path-007 400 -b "$MEMBER" "$U/api/admin%2Fx"
t_status path-008 400 "$U/api/..%2Fpublic/x"		# public to Caddy, /api/ to a backend
t_status path-009 400 --path-as-is "$U/api/../public/x"
t_status path-010 400 --path-as-is "$U/public/../api/admin/x"
t_status path-011 400 "$U/public/%2e%2e/api/admin/x"
t_status path-012 400 "$U/api//admin/x"
t_status path-013 400 "$U/public/x%5cy"
t_status path-014 200 "$U/api/health?next=%2Fapi%2F..%2Fadmin"	# the query is not a path
t_status path-015 403 -b "$MEMBER" "$U/api/admin/users?/api/health"
t_status path-016 401 "$U/api/%68ealth/x"
t_status path-017 200 "$U/public/a.b/..c/.d"		# dots inside names are fine

# Every path goes through authgate (forward_auth without a matcher):
# public paths are public by rule, and what no rule names needs a sign-in.
t_status route-001 401 "$U/not-under-any-rule"
t_status route-002 200 -b "$MEMBER" "$U/not-under-any-rule"
t_body   route-003 '^X-Auth-User-Id: u_mia$'
t_status route-004 401 "$U/api"			# no slash: still /api/**
t_nobody route-005 '^backend'
t_status route-006 403 -b "$MEMBER" "$U/API/Admin/users"	# letter case
t_nobody route-007 '^backend'
# Caddy's path matcher ignores case: this takes the webhook route, and
# authgate answers 404 to what is not its webhook path. No backend.
t_status route-008 404 -X POST --data '{}' "$U/WEBHOOKS/optare"
t_nobody route-009 '^backend'

# The spelling matrix (tests/lib/spelling.sh) through site 1 with the
# Express app behind it (a second Caddy from the same file, its HTTP
# backend Express), and through site 3 with the demo CGI; a long /app/
# URL still gets its redirect through both.
. "$T_ROOT/tests/lib/spelling.sh"
free_port EXPRESS_PORT
t_express "$EXPRESS_PORT" || t_fail setup "the Express backend did not start: $(tail -n 3 "$T_DIR/express.log")"
free_port CP3; free_port CF3; free_port CC3; free_port ADMIN_PORT3
if caddy_start "$T_DIR/caddy3" "$CP3" "$CF3" "$CC3" "$ADMIN_PORT3" "$EXPRESS_PORT"; then
	spell_matrix spell-p "http://127.0.0.1:$CP3"
	spell_long_next spell-p "http://127.0.0.1:$CP3"
else
	t_fail spell-p-000 "second caddy did not start: $(grep -v "\"level\":\"info\"" "$T_DIR/caddy3/caddy.log" | tail -n 5)"
fi
spell_matrix spell-c "http://127.0.0.1:$CC"
spell_long_next spell-c "http://127.0.0.1:$CC"

# Bodies: forward_auth asks with GET and no body; a denied upload is
# answered without waiting for it, an allowed one reaches the backend.
head -c 8000000 /dev/zero > "$T_DIR/big"
t_status body-001 401 -X POST --data-binary @"$T_DIR/big" "$U/api/projects/1"
t_status body-002 403 -b "$GUEST" -X POST --data-binary @"$T_DIR/big" "$U/api/projects/1"
t_status body-003 200 -b "$MEMBER" -X POST --data-binary @"$T_DIR/big" "$U/api/projects/1"
t_status body-004 200 -b "$MEMBER" -X POST --data-binary @"$T_DIR/big" "http://127.0.0.1:$CF/api/projects/1"
t_status body-005 401 -X POST -H 'Content-Length: 900000' --data-binary x --max-time 5 "$U/api/projects/1"

# The webhook through Caddy: unsigned refused, signed applied.
BODY='{"id":"evt-caddy-1","timestamp":"'"$(date -u +%FT%TZ)"'","type":"member.role.changed","data":{"id":"m_mia","organizationId":"org_acme","userId":"u_mia","role":"admin"}}'
SIG=$(printf '%s' "$BODY" | openssl dgst -sha256 -hmac "$WH_SECRET" -r | cut -d' ' -f1)
t_status hook-001 400 -X POST --data-binary "$BODY" "$U/webhooks/optare"
t_status hook-002 200 -X POST -H "X-Optare-Signature: sha256=$SIG" --data-binary "$BODY" "$U/webhooks/optare"
t_status hook-003 200 -b "$MEMBER" "$U/api/admin/users"
t_status hook-004 405 "$U/webhooks/optare"
# Caddy holds a webhook body until it is complete (buffer_requests): a
# sender that stalls mid-body holds no authgate worker.
BODY='{"id":"evt-caddy-2","timestamp":"'"$(date -u +%FT%TZ)"'","type":"member.role.changed","data":{"id":"m_mia","organizationId":"org_acme","userId":"u_mia","role":"member"}}'
SIG=$(printf '%s' "$BODY" | openssl dgst -sha256 -hmac "$WH_SECRET" -r | cut -d' ' -f1)
t_held_body hook-005 "$CP" "127.0.0.1:$AG_PORT" "$BODY" "$SIG" 200
t_status hook-006 403 -b "$MEMBER" "$U/api/admin/users"	# applied: member again

# Caddy wrote nothing outside the test directory, and the shipped file
# is in `caddy fmt` form.
if caddy fmt "$T_ROOT/conf/caddy/Caddyfile" | cmp -s - "$T_ROOT/conf/caddy/Caddyfile"; then
	t_pass conf-001; else t_fail conf-001 "conf/caddy/Caddyfile is not formatted (caddy fmt)"; fi
[ -s "$C/config/caddy/autosave.json" ] && t_pass conf-002 || t_fail conf-002 "no autosave.json under the test directory"

# The store unreadable (no session table): authgate's 503, never an allow.
sqlite3 "$DB" "alter table session rename to session_off"
t_status store-001 503 -b "$OWNER" "$U/api/projects"
t_body   store-002 'Service Unavailable'
t_header store-003 '^Retry-After: 5'
t_status store-004 503 "$U/public/x"	# public by rule: authgate still decides
sqlite3 "$DB" "alter table session_off rename to session"
t_status store-005 200 -b "$OWNER" "$U/api/projects"

# The serve log: deny lines name the original method and path and the
# client, and no credential.
L="$T_DIR/serve.log"
grep -q 'deny status=403 reason=role_required method=POST path=/api/projects/1 client=127.0.0.1' "$L" &&
	t_pass log-001 || t_fail log-001 "no deny line with the original method"
grep -q 'deny status=401 reason=no_credentials method=GET path=/api/projects client=127.0.0.1 rule=6' "$L" &&
	t_pass log-002 || t_fail log-002 "no deny line for /api/projects"
if grep -E -q "demo-session|ag_demo|ag_test|session_token|$T_SECRET|SPOOFED" "$L"; then
	t_fail log-003 "a credential or header value reached the log"
else t_pass log-003; fi
t_sanitizers asan-001 "$L"

# authgate unreachable: Caddy's 502, never an allow.
kill "$T_SERVE_PID"
for _ in $(seq 1 50); do (exec 3<>"/dev/tcp/127.0.0.1/$AG_PORT") 2>/dev/null || break; sleep 0.1; done
t_status down-001 502 -b "$OWNER" "$U/api/projects"
t_nobody down-002 '^backend'
t_status down-003 502 "$U/api/health"
t_status down-004 502 "$U/public/x"	# every path is asked about
t_nobody down-005 '^backend'
t_sanitizers asan-002 "$L"

# Everything this suite started is stopped by its pid: nothing is left
# listening on its ports.
t_cleanup
sleep 0.3
left=""
for p in "$CP" "$CF" "$CC" "$ADMIN_PORT" "$CP3" "$CF3" "$CC3" "$ADMIN_PORT3" "$EXPRESS_PORT" "$HTTP_PORT" "$FCGI_PORT" "$CGI_PORT"; do
	(exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && left="$left $p"
done
[ -z "$left" ] && t_pass stop-001 || t_fail stop-001 "still listening after cleanup:$left"

t_finish
