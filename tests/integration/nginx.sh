#!/bin/bash
# nginx.sh - authgate behind a real nginx (Debian 12's nginx 1.22,
# auth_request) with the shipped conf/nginx/authgate.conf and snippets,
# templated only for ports and paths. authgate serve (sanitizer build)
# listens on a unix socket owned by nobody:www-data, nginx's workers run
# as www-data. Three server blocks, one per backend kind:
#   p  proxy_pass to the HTTP echo backend (echo_http.py)
#   f  fastcgi_pass to the FastCGI echo backend (echo_fcgi, spawn-fcgi)
#   c  fastcgi_pass to fcgiwrap running conf/demo/whoami.cgi (CGI)
# Cases: the specification (tests/lib/matrix.sh: the decisions, the
# shape of a denial, the identity the backend receives, spoofed identity
# headers) through each; then nginx's own: X-Authgate-Error kept inside,
# one challenge, forged X-Forwarded-*, path guards, every path asked about,
# the spelling matrix (tests/lib/spelling.sh) through server 1 with the
# Express app behind it (a third nginx) and through server 3, a long
# /app/ URL's redirect, large bodies, the webhook and its body held by
# nginx, locations added to a copy of the config (a second nginx), the
# store unreadable and authgate unreachable.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/webhook.sh"
t_setup nginx

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

t_free_port HTTP_PORT FCGI_PORT CGI_PORT
t_echo_http "$HTTP_PORT" || t_fail setup "echo_http did not start"
t_echo_fcgi "$FCGI_PORT" || t_fail setup "echo_fcgi did not start"
t_fcgiwrap "$CGI_PORT" || t_fail setup "fcgiwrap did not start: $(cat "$T_DIR/fcgiwrap.log")"

# nginx_start DIR NP NF NC HTTP_BACKEND_PORT: an nginx in DIR running the
# shipped files, with only the documented literal ports and paths
# replaced; a top-level nginx.conf of the test's own (pid, logs, temp
# paths under DIR) includes them like Debian's does.
nginx_start() {
	local d=$1 np=$2 nf=$3 nc=$4 hp=$5 p
	mkdir -p "$d/snippets" "$d/tmp"
	cp "$T_ROOT"/conf/nginx/snippets/authgate-*.conf "$d/snippets/"
	sed -e "s#127\.0\.0\.1:8080\b#127.0.0.1:$np#" \
	    -e "s#127\.0\.0\.1:8081\b#127.0.0.1:$nf#" \
	    -e "s#127\.0\.0\.1:8082\b#127.0.0.1:$nc#" \
	    -e "s#unix:/run/authgate/authgate\.sock#unix:$SOCK#" \
	    -e "s#127\.0\.0\.1:3000\b#127.0.0.1:$hp#" \
	    -e "s#127\.0\.0\.1:9000\b#127.0.0.1:$FCGI_PORT#" \
	    -e "s#unix:/run/fcgiwrap\.socket#127.0.0.1:$CGI_PORT#" \
	    -e "s#/usr/lib/cgi-bin/whoami\.cgi#$T_ROOT/conf/demo/whoami.cgi#" \
	    "$T_ROOT/conf/nginx/authgate.conf" > "$d/authgate.conf"
	echo "	include authgate.conf;" | t_nginx_conf "$d" 2 256
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

t_free_port NP NF NC
N="$T_DIR/nginx"
nginx_start "$N" "$NP" "$NF" "$NC" "$HTTP_PORT" ||
	{ t_fail setup "nginx did not start: $(tail -n 5 "$N/error.log")"; t_finish; }

t_creds || { t_fail setup "authgate cookie failed"; t_finish; }

# --- the specification (tests/lib/matrix.sh) through each backend: the
# HTTP echo (p), the FastCGI echo (f), the demo CGI through fcgiwrap (c)
. "$T_ROOT/tests/lib/matrix.sh"
MX_HTTP_EMPTY=absent	# nginx leaves out a header whose value is empty
MX_ANON_REMOTE_USER=	# the map in authgate.conf: empty without identity
mx_matrix p http "http://127.0.0.1:$NP"
mx_matrix f fcgi "http://127.0.0.1:$NF"
mx_matrix c cgi "http://127.0.0.1:$NC"
mx_spoof p http "http://127.0.0.1:$NP"
mx_spoof f fcgi "http://127.0.0.1:$NF"
mx_spoof c cgi "http://127.0.0.1:$NC"

# --- nginx only
# authgate's own message survives auth_request through X-Authgate-Error,
# and that header stays between nginx and authgate
for k in p:$NP f:$NF c:$NC; do
	t_status "${k%%:*}-role-013" 403 -b "$MEMBER" "http://127.0.0.1:${k#*:}/api/admin/users"
	t_noheader "${k%%:*}-role-013b" '^X-Authgate-Error'
done

U="http://127.0.0.1:$NP"
# a bare 401 keeps exactly one challenge (the redirect has none:
# p-spec-app-004)
t_status redir-004 401 "$U/api/projects"
[ "$(grep -ci '^WWW-Authenticate:' "$T_HDR_FILE")" = 1 ] && t_pass redir-005 ||
	t_fail redir-005 "$(grep -ci '^WWW-Authenticate:' "$T_HDR_FILE") WWW-Authenticate headers"

# The original request comes from nginx's variables, never from headers.
mx_forwarded "$U"
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
# nginx's own 400 (the guard) is JSON too, like authgate's
t_status path-020 400 "$U/api//admin/x"
t_header path-021 '^Content-Type: application/json'
t_header path-022 '^Cache-Control: no-store'
t_body   path-023 '^\{"error":"Bad Request"\}$'
t_status path-024 400 -H 'Host: a b' "$U/public/x"	# a Host nginx refuses
t_header path-025 '^Content-Type: application/json'
# the sign-in redirect: a 302 with authgate's Location and a JSON body
t_status redir-001 302 -H 'Accept: text/html' "$U/app/dashboard"
t_header redir-002 '^Location: /sign-in\?next=/app/dashboard'
t_header redir-003 '^Content-Type: application/json'
t_header redir-004 '^Cache-Control: no-store'
t_body   redir-005 '^\{"error":"Unauthorized - sign in required"\}$'
t_noheader redir-006 '^WWW-Authenticate'

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
t_free_port EXPRESS_PORT
t_express "$EXPRESS_PORT" || t_fail setup "the Express backend did not start: $(tail -n 3 "$T_DIR/express.log")"
t_free_port NP3 NF3 NC3
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
BODY=$(wh_role_event evt-nginx-1 admin)
t_status hook-001 400 -X POST --data-binary "$BODY" "$U/webhooks/optare"
wh_post  hook-002 200 "$BODY" "$U/webhooks/optare"
t_status hook-003 200 -b "$MEMBER" "$U/api/admin/users"
t_status hook-004 405 "$U/webhooks/optare"
# nginx holds a webhook body until it is complete (fastcgi_request_
# buffering): a sender that stalls mid-body holds no authgate worker.
BODY=$(wh_role_event evt-nginx-2 member)
t_held_body hook-005 "$NP" "$SOCK" "$BODY" "$(wh_optare_sig "$BODY")" 200
t_status hook-006 403 -b "$MEMBER" "$U/api/admin/users"	# applied: member again

# The store unreadable: authgate's 503, never an allow (tests/lib/
# matrix.sh); the serve log names the original requests, holds no
# credential.
mx_store_down "$U" "$DB"
L="$T_DIR/serve.log"
mx_serve_log "$L"

# A location added later inherits the check: auth_request is set at
# server level in the shipped file. A second nginx runs a copy of server
# 1 with two locations added, the only change to the shipped file: a
# regex location that proxies to the backend (checked, on any path and in
# any case), and one that answers by itself with `return` (nginx runs
# `return` before any check: nothing there reaches a backend).
N2="$T_DIR/nginx2"
mkdir -p "$N2/snippets" "$N2/tmp"
cp "$N"/snippets/*.conf "$N2/snippets/"
t_free_port NP2
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

# 429s (a key's rate limit, a throttled client) reach the client as 429
# with authgate's Retry-After and message, not as auth_request's 500.
t_rate_limited rate "$DB" "$U/api/projects"

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
t_stopped stop-001 "$NP" "$NF" "$NC" "$NP2" "$NP3" "$NF3" "$NC3" "$EXPRESS_PORT" "$HTTP_PORT" "$FCGI_PORT" "$CGI_PORT"

t_finish
