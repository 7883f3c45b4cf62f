#!/bin/bash
# nginx.sh - authgate behind a real nginx (Debian 12's nginx 1.22,
# auth_request) with the shipped conf/nginx/authgate.conf and snippets,
# templated only for ports and paths. authgate serve (sanitizer build)
# listens on a unix socket owned by nobody:www-data, nginx's workers run
# as www-data. Three server blocks, one per backend kind:
#   p  proxy_pass to the HTTP echo backend (echo_http.py)
#   f  fastcgi_pass to the FastCGI echo backend (echo_fcgi, spawn-fcgi)
#   c  fastcgi_pass to fcgiwrap running conf/demo/whoami.cgi (CGI)
# Cases: the allow/deny/role/redirect matrix through each, the identity
# the backend receives, spoofed identity headers on allowed, public and
# denied paths, forged X-Forwarded-*, path guards, every path asked about,
# the spelling matrix (tests/lib/spelling.sh) through server 1 with the
# Express app behind it (a third nginx) and through server 3, a long
# /app/ URL's redirect, large bodies, the webhook and its body held by
# nginx, locations added to a copy of the config (a second nginx), the
# store unreadable and authgate unreachable.
. "$(dirname "$0")/../lib/common.sh"
t_setup nginx

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

command -v nginx >/dev/null || { t_fail setup "nginx is not installed"; t_finish; }
[ -x /usr/sbin/fcgiwrap ] || { t_fail setup "fcgiwrap is not installed (apt-get install fcgiwrap)"; t_finish; }

DB="$T_DIR/db/authgate.db"
mkdir -p "$T_DIR/db" "$T_DIR/run"
# The socket's directory belongs to authgate's user (as /run/authgate
# would), so it can remove the socket when it stops.
chown nobody:nogroup "$T_DIR/run"
t_db "$DB" || { t_fail setup "cannot build the test database"; t_finish; }
WH_SECRET=nginx-test-webhook-secret
printf '%s\n' "$WH_SECRET" > "$T_DIR/db/webhook.secret"

SOCK="$T_DIR/run/authgate.sock"
t_serve "$SOCK" "$DB" --group www-data --workers 2 \
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

# nginx_start DIR NP NF NC HTTP_BACKEND_PORT: an nginx in DIR running the
# shipped files, with only the documented literal ports and paths
# replaced; a top-level nginx.conf of the test's own (pid, logs, temp
# paths under DIR) includes them like Debian's does.
nginx_start() {
	local d=$1 np=$2 nf=$3 nc=$4 hp=$5 p
	mkdir -p "$d/snippets" "$d/tmp"
	cp "$T_ROOT"/conf/nginx/snippets/authgate-*.conf "$d/snippets/"
	sed -e "s#127\.0\.0\.1:8080#127.0.0.1:$np#" \
	    -e "s#127\.0\.0\.1:8081#127.0.0.1:$nf#" \
	    -e "s#127\.0\.0\.1:8082#127.0.0.1:$nc#" \
	    -e "s#unix:/run/authgate/authgate\.sock#unix:$SOCK#" \
	    -e "s#127\.0\.0\.1:3000#127.0.0.1:$hp#" \
	    -e "s#127\.0\.0\.1:9000#127.0.0.1:$FCGI_PORT#" \
	    -e "s#unix:/run/fcgiwrap\.socket#127.0.0.1:$CGI_PORT#" \
	    -e "s#/usr/lib/cgi-bin/whoami\.cgi#$T_ROOT/conf/demo/whoami.cgi#" \
	    "$T_ROOT/conf/nginx/authgate.conf" > "$d/authgate.conf"
	cat > "$d/nginx.conf" <<EOF
daemon off;
master_process on;
worker_processes 2;
user www-data www-data;
pid $d/nginx.pid;
error_log $d/error.log info;
events { worker_connections 256; }
http {
	access_log $d/access.log;
	client_body_temp_path $d/tmp/body;
	fastcgi_temp_path $d/tmp/fastcgi;
	proxy_temp_path $d/tmp/proxy;
	scgi_temp_path $d/tmp/scgi;
	uwsgi_temp_path $d/tmp/uwsgi;
	include authgate.conf;
}
EOF
	if ! nginx -t -p "$d" -c "$d/nginx.conf" >"$d/test.log" 2>&1; then
		echo "nginx -t: $(cat "$d/test.log")" >> "$d/error.log"
		return 1
	fi
	nginx -p "$d" -c "$d/nginx.conf" 2>>"$d/error.log" &
	T_PIDS="$T_PIDS $!"
	for p in "$np" "$nf" "$nc"; do
		t_wait_port "$p" || return 1
	done
}

free_port NP; free_port NF; free_port NC
N="$T_DIR/nginx"
nginx_start "$N" "$NP" "$NF" "$NC" "$HTTP_PORT" ||
	{ t_fail setup "nginx did not start: $(tail -n 5 "$N/error.log")"; t_finish; }

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

# id_is ID KIND FIELD VALUE: the backend got identity FIELD (AUTH_ name)
# with VALUE. The HTTP backend gets X-Auth-* headers, where nginx leaves
# out the empty ones; FastCGI and CGI get AUTH_* parameters, always.
id_is() {
	local id=$1 kind=$2 field=$3 value=$4 h
	if [ "$kind" = p ]; then
		h=X-$(echo "$field" | tr '[:upper:]_' '[:lower:]-' |
		    sed -E 's/(^|-)([a-z])/\1\u\2/g')
		if [ -z "$value" ]; then t_nobody "$id" "^$h:"
		else t_body "$id" "^$h: $value\$"; fi
	else
		t_body "$id" "^$field=$value\$"
	fi
}

# matrix KIND URL: the decisions and what the backend receives.
matrix() {
	local k=$1 U=$2
	# anonymous: JSON 401 for APIs and scripts, 302 for browsers
	t_status "$k-anon-001" 401 "$U/api/projects"
	t_header "$k-anon-002" '^WWW-Authenticate: Bearer realm="authgate"'
	t_header "$k-anon-003" '^Cache-Control: no-store'
	t_header "$k-anon-004" '^Content-Type: application/json'
	t_body   "$k-anon-005" '^\{"error":"Unauthorized - '
	t_body   "$k-anon-005a" '^\{"error":"Unauthorized - sign in required"\}$'
	t_nobody "$k-anon-006" '^backend'
	t_status "$k-anon-007" 302 -H "$HTML" "$U/app/dashboard"
	t_header "$k-anon-008" '^Location: /sign-in\?next=/app/dashboard'
	t_header "$k-anon-009" '^Cache-Control: no-store'
	t_status "$k-anon-010" 401 -H "$HTML" -H 'X-Requested-With: XMLHttpRequest' "$U/app/dashboard"
	t_noheader "$k-anon-011" '^Location:'
	t_status "$k-anon-012" 401 -H "$HTML" -H 'Sec-Fetch-Mode: cors' "$U/app/dashboard"
	t_status "$k-anon-013" 302 -H "$HTML" -H 'Sec-Fetch-Mode: navigate' "$U/app/a%20b"
	t_header "$k-anon-014" '^Location: /sign-in\?next=/app/a%20b'
	t_status "$k-anon-015" 401 -H "$HTML" "$U/api/projects"	# rule says json
	# public paths: through authgate (/api/health) and outside it (/)
	t_status "$k-pub-001" 200 "$U/api/health"
	id_is    "$k-pub-002" "$k" AUTH_USER_ID ""
	t_status "$k-pub-003" 200 -b "$MEMBER" "$U/api/health"
	id_is    "$k-pub-004" "$k" AUTH_USER_ID ""
	t_status "$k-pub-005" 200 "$U/public/hello"
	t_body   "$k-pub-006" '^backend'
	t_status "$k-pub-007" 401 -X POST --data x "$U/api/health"	# GET,HEAD only
	t_status "$k-pub-008" 403 -b "$OWNER" "$U/api/internal/x"
	t_header "$k-pub-009" '^Content-Type: application/json'
	t_body   "$k-pub-010" '^\{"error":"Forbidden'
	t_body   "$k-pub-011" '^\{"error":"Forbidden - access denied"\}$'
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
	t_noheader "$k-role-014" '^WWW-Authenticate'
	# authgate's own message survives auth_request (X-Authgate-Error)
	t_body   "$k-role-013a" '^\{"error":"Forbidden - admin role required"\}$'
	t_noheader "$k-role-013b" '^X-Authgate-Error'
	t_status "$k-role-015" 403 -b "$GUEST" "$U/api/admin/users"
	t_status "$k-role-016" 200 -b "$GUEST" "$U/api/projects/1"
	t_status "$k-role-017" 403 -b "$GUEST" -X POST --data x "$U/api/projects/1"
	t_status "$k-role-018" 200 -b "$MEMBER" -X POST --data x "$U/api/projects/1"
	[ "$k" = f ] || t_body "$k-role-019" 'POST /api/projects/1'
	t_status "$k-role-020" 200 -b "$MULTI" "$U/api/admin/users"
	id_is    "$k-role-021" "$k" AUTH_ROLES guest,admin
	t_status "$k-role-022" 200 -b "$NOORG" "$U/api/projects"
	id_is    "$k-role-023" "$k" AUTH_ORG_ID ""
	id_is    "$k-role-024" "$k" AUTH_ROLE ""
	t_status "$k-role-025" 200 -b "$MEMBER" "$U/app/"
	id_is    "$k-role-026" "$k" AUTH_USER_NAME "Mia Member"
	# sessions and keys that must not pass, keys that must
	t_status "$k-sess-001" 401 -b "$EXPIRED" "$U/api/projects"
	t_body   "$k-sess-001a" '^\{"error":"Unauthorized - session expired"\}$'
	t_status "$k-sess-002" 302 -H "$HTML" -b "$EXPIRED" "$U/app/"
	t_status "$k-sess-003" 403 -b "$BANNED" "$U/api/projects"
	t_status "$k-sess-004" 401 -b "${MEMBER%???}AAA" "$U/api/projects"
	t_status "$k-key-001" 200 -H "x-api-key: $KEY" "$U/api/projects"
	id_is    "$k-key-002" "$k" AUTH_METHOD api_key
	id_is    "$k-key-003" "$k" AUTH_API_KEY_ID k_mia
	id_is    "$k-key-004" "$k" AUTH_SESSION_ID ""
	t_status "$k-key-005" 200 -H "Authorization: Bearer $KEY" "$U/api/machine/jobs"
	t_status "$k-key-006" 401 -b "$MEMBER" "$U/api/machine/jobs"
	t_status "$k-key-007" 401 -H "x-api-key: $KEY" "$U/app/dashboard"
	t_status "$k-key-008" 401 -H "x-api-key: $KEY_OFF" "$U/api/projects"
	t_status "$k-key-009" 200 -H "x-api-key: $KEY_ORG" "$U/api/projects"
	id_is    "$k-key-010" "$k" AUTH_USER_ID ""
	if [ "$k" != p ]; then
		t_body "$k-key-011" '^REMOTE_USER=k_org$'	# the map in authgate.conf
		t_status "$k-key-012" 200 -b "$MEMBER" "$U/api/projects"
		t_body "$k-key-013" '^REMOTE_USER=u_mia$'
	fi
}

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

# spoof KIND URL: client-sent identity headers, one variant at a time,
# on an allowed path, a public rule behind authgate and a public
# location; then all of them at once on denied paths. The value must
# never reach the backend, and the real identity must win.
SPOOF_NAMES="X-Auth-User-Id x-auth-user-id X-AUTH-USER-ID X_Auth_User_Id x_auth_role X-Auth_User-Id Auth-User-Id Remote-User REMOTE-USER X-Auth-Api-Key-Id X-Forwarded-User x-remote-user"
spoof() {
	local k=$1 U=$2 n i=0 all=()
	for n in $SPOOF_NAMES; do
		i=$((i + 1))
		all+=(-H "$n: SPOOFED$i")
		t_clean "$k-spoof-$i-a" 200 -b "$MEMBER" -H "$n: SPOOFED$i" "$U/api/projects"
		id_is    "$k-spoof-$i-b" "$k" AUTH_USER_ID u_mia
		t_clean "$k-spoof-$i-c" 200 -H "$n: SPOOFED$i" "$U/api/health"
		t_clean "$k-spoof-$i-d" 200 -H "$n: SPOOFED$i" "$U/public/x"
	done
	# REMOTE_USER from an unverified Basic header (fastcgi_params' pitfall)
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

matrix p "http://127.0.0.1:$NP"
matrix f "http://127.0.0.1:$NF"
matrix c "http://127.0.0.1:$NC"
spoof p "http://127.0.0.1:$NP"
spoof f "http://127.0.0.1:$NF"
spoof c "http://127.0.0.1:$NC"

U="http://127.0.0.1:$NP"
# The redirect is a plain 302: no Bearer challenge on it.
t_status redir-001 302 -H "$HTML" "$U/app/dashboard"
t_noheader redir-002 '^WWW-Authenticate'
t_header redir-003 '^Location: /sign-in\?next=/app/dashboard'
# a bare 401 keeps exactly one challenge
t_status redir-004 401 "$U/api/projects"
[ "$(grep -ci '^WWW-Authenticate:' "$T_HDR_FILE")" = 1 ] && t_pass redir-005 ||
	t_fail redir-005 "$(grep -ci '^WWW-Authenticate:' "$T_HDR_FILE") WWW-Authenticate headers"

# The original request comes from nginx's variables, never from headers.
t_status fwd-001 401 -H 'X-Forwarded-Uri: /api/health' -H 'X-Forwarded-Method: GET' "$U/api/admin/x"
t_status fwd-002 403 -b "$MEMBER" -H 'X-Forwarded-Uri: /api/health' "$U/api/admin/x"
# an override header naming another method is refused outright (issue 8)
t_status fwd-003 400 -b "$GUEST" -X POST --data x -H 'X-Forwarded-Method: GET' \
    -H 'X-HTTP-Method-Override: GET' "$U/api/projects/1"
# X-Forwarded-Method alone changes nothing: the guest's POST stays a POST
t_status fwd-003b 403 -b "$GUEST" -X POST --data x -H 'X-Forwarded-Method: GET' "$U/api/projects/1"
t_status fwd-004 401 -H 'X-Original-URI: /api/health' -H 'Authgate-Original-Uri: /api/health' "$U/api/projects"
t_status fwd-005 200 -H 'X-Forwarded-Uri: /api/admin/x' "$U/api/health"
# the check endpoint is internal
t_status fwd-006 404 "$U/_authgate/check"
t_status fwd-007 404 -H 'X-Forwarded-Uri: /api/health' "$U/_authgate/check"

# Paths: what authgate refuses comes back as its 400 (through
# @authgate_500), what nginx's guard refuses is nginx's 400, and an
# encoded letter still meets its rule.
t_status path-001 400 -b "$MEMBER" "$U/api/a%0ab"
t_header path-002 '^Content-Type: application/json'
t_body   path-003 'Bad Request'
t_status path-004 400 -b "$MEMBER" "$U/api/health%3f/x"
t_status path-005 400 -b "$MEMBER" "$U/api/health%23/x"
t_status path-006 403 -b "$MEMBER" "$U/api/%61dmin/users"
t_status path-007 200 -b "$ADMIN" "$U/api/%61dmin/users"
t_status path-008 400 -b "$MEMBER" "$U/api/admin%2Fx"
t_status path-009 400 "$U/api/..%2Fpublic/x"		# public to nginx, /api/ to a backend
t_status path-010 400 --path-as-is "$U/api/../public/x"
t_status path-011 400 --path-as-is "$U/public/../api/admin/x"
t_status path-012 400 "$U/public/%2e%2e/api/admin/x"
t_status path-013 400 "$U/api//admin/x"
t_status path-014 400 "$U/api/x%5cy"
t_status path-015 200 "$U/api/health?next=%2Fapi%2F..%2Fadmin"	# the query is not a path
t_status path-016 403 -b "$MEMBER" "$U/api/admin/users?/api/health"
t_status path-017 401 "$U/api/%68ealth/x"

# Every path goes through authgate (auth_request at server level): public
# paths are public by rule, and what no rule names needs a sign-in.
t_status route-001 401 "$U/not-under-any-rule"
t_body   route-002 '^\{"error":"Unauthorized - sign in required"\}$'
t_status route-003 200 -b "$MEMBER" "$U/not-under-any-rule"
t_body   route-004 '^X-Auth-User-Id: u_mia$'
t_status route-005 401 "$U/api"			# no slash: still /api/**
t_status route-006 403 -b "$MEMBER" "$U/API/Admin/users"	# letter case
t_nobody route-007 '^backend'

# The spelling matrix (tests/lib/spelling.sh) through server 1 with the
# Express app behind it (a second nginx from the same files, its HTTP
# backend Express), and through server 3 with the demo CGI; a long /app/
# URL still gets its redirect through both.
. "$T_ROOT/tests/lib/spelling.sh"
free_port EXPRESS_PORT
t_express "$EXPRESS_PORT" || t_fail setup "the Express backend did not start: $(tail -n 3 "$T_DIR/express.log")"
free_port NP3; free_port NF3; free_port NC3
if nginx_start "$T_DIR/nginx3" "$NP3" "$NF3" "$NC3" "$EXPRESS_PORT"; then
	spell_matrix spell-p "http://127.0.0.1:$NP3"
	spell_long_next spell-p "http://127.0.0.1:$NP3"
else
	t_fail spell-p-000 "third nginx did not start: $(tail -n 5 "$T_DIR/nginx3/error.log")"
fi
spell_matrix spell-c "http://127.0.0.1:$NC"
spell_long_next spell-c "http://127.0.0.1:$NC"

# Bodies: authgate is asked without the body; a denied upload is answered
# without waiting for it, an allowed one reaches the backend.
head -c 600000 /dev/zero > "$T_DIR/big"
head -c 3000000 /dev/zero > "$T_DIR/huge"
t_status body-001 401 -X POST --data-binary @"$T_DIR/big" "$U/api/projects/1"
t_status body-002 403 -b "$GUEST" -X POST --data-binary @"$T_DIR/big" "$U/api/projects/1"
t_status body-003 200 -b "$MEMBER" -X POST --data-binary @"$T_DIR/big" "$U/api/projects/1"
t_status body-004 200 -b "$MEMBER" -X POST --data-binary @"$T_DIR/big" "http://127.0.0.1:$NF/api/projects/1"
t_status body-005 413 -b "$MEMBER" -X POST --data-binary @"$T_DIR/huge" "$U/api/projects/1"	# client_max_body_size 1m
t_status body-006 401 -X POST -H 'Content-Length: 900000' --data-binary x --max-time 5 "$U/api/projects/1"

# The webhook through nginx: unsigned refused, signed applied.
BODY='{"id":"evt-nginx-1","timestamp":"'"$(date -u +%FT%TZ)"'","type":"member.role.changed","data":{"id":"m_mia","organizationId":"org_acme","userId":"u_mia","role":"admin"}}'
SIG=$(printf '%s' "$BODY" | openssl dgst -sha256 -hmac "$WH_SECRET" -r | cut -d' ' -f1)
t_status hook-001 400 -X POST --data-binary "$BODY" "$U/webhooks/optare"
t_status hook-002 200 -X POST -H "X-Optare-Signature: sha256=$SIG" --data-binary "$BODY" "$U/webhooks/optare"
t_status hook-003 200 -b "$MEMBER" "$U/api/admin/users"
t_status hook-004 405 "$U/webhooks/optare"
# nginx holds a webhook body until it is complete (fastcgi_request_
# buffering): a sender that stalls mid-body holds no authgate worker.
BODY='{"id":"evt-nginx-2","timestamp":"'"$(date -u +%FT%TZ)"'","type":"member.role.changed","data":{"id":"m_mia","organizationId":"org_acme","userId":"u_mia","role":"member"}}'
SIG=$(printf '%s' "$BODY" | openssl dgst -sha256 -hmac "$WH_SECRET" -r | cut -d' ' -f1)
t_held_body hook-005 "$NP" "$SOCK" "$BODY" "$SIG" 200
t_status hook-006 403 -b "$MEMBER" "$U/api/admin/users"	# applied: member again

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

# A location added later inherits the check: auth_request is set at
# server level in the shipped file. A second nginx runs a copy of server
# 1 with two locations added, the only change to the shipped file: a
# regex location that proxies to the backend (checked, on any path and in
# any case), and one that answers by itself with `return` (nginx runs
# `return` before any check: nothing there reaches a backend).
N2="$T_DIR/nginx2"
mkdir -p "$N2/snippets" "$N2/tmp"
cp "$N"/snippets/*.conf "$N2/snippets/"
free_port NP2
# server 1 only, on a new port, with the locations before `location /`
awk -v port="$NP" -v port2="$NP2" '
	/^# 2\. A FastCGI/ { exit }
	{ sub("127\\.0\\.0\\.1:" port ";", "127.0.0.1:" port2 ";") }
	/^\tlocation \/ \{/ && !done {
		print "\tlocation ~ \\.php$ { include snippets/authgate-proxy.conf; proxy_pass http://app_http; }"
		print "\tlocation = /ping { return 200 \"pong\\n\"; }"; done = 1 }
	{ print }' "$N/authgate.conf" > "$N2/authgate.conf"
sed -e "s#$N/#$N2/#g" "$N/nginx.conf" > "$N2/nginx.conf"
nginx -p "$N2" -c "$N2/nginx.conf" 2>>"$N2/error.log" &
T_PIDS="$T_PIDS $!"
if t_wait_port "$NP2"; then
	t_status regex-001 401 "http://127.0.0.1:$NP2/api/x.php"
	t_nobody regex-002 '^backend'
	t_status regex-003 200 -b "$MEMBER" "http://127.0.0.1:$NP2/api/x.php"
	t_body   regex-004 '^X-Auth-User-Id: u_mia$'
	t_status regex-005 401 "http://127.0.0.1:$NP2/x.php"	# no rule: authenticated
	t_nobody regex-006 '^backend'
	t_status regex-007 401 "http://127.0.0.1:$NP2/API/X.PHP"
	t_status regex-008 200 "http://127.0.0.1:$NP2/ping"
	t_body   regex-009 '^pong$'
else
	t_fail regex-000 "second nginx did not start: $(tail -n 3 "$N2/error.log")"
fi

# authgate unreachable: 503, never an allow.
kill "$T_SERVE_PID"
for _ in $(seq 1 50); do [ -S "$SOCK" ] || break; sleep 0.1; done
t_status down-001 503 -b "$OWNER" "$U/api/projects"
t_header down-002 '^Retry-After: 5'
t_body   down-003 'Service Unavailable'
t_status down-004 503 "$U/api/health"
t_status down-005 503 "$U/public/x"	# every path is asked about
t_sanitizers asan-002 "$L"

# Everything this suite started is stopped by its pid: nothing is left
# listening on its ports.
t_cleanup
sleep 0.3
left=""
for p in "$NP" "$NF" "$NC" "$NP2" "$NP3" "$NF3" "$NC3" "$EXPRESS_PORT" "$HTTP_PORT" "$FCGI_PORT" "$CGI_PORT"; do
	(exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && left="$left $p"
done
[ -z "$left" ] && t_pass stop-001 || t_fail stop-001 "still listening after cleanup:$left"

t_finish
