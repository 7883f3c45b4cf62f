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
# Cases: the specification (tests/lib/matrix.sh: the decisions, the
# shape of a denial, the identity the backend receives, spoofed identity
# headers) through each; then Caddy's own: forged X-Forwarded-*, path
# guards, every path asked about,
# the spelling matrix (tests/lib/spelling.sh) through site 1 with the
# Express app behind it (a second Caddy) and through site 3, a long /app/
# URL's redirect, large bodies, the webhook and its body held by Caddy,
# the store unreadable and authgate unreachable.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/webhook.sh"
t_setup caddy

command -v caddy >/dev/null || { t_fail setup "caddy is not installed"; t_finish; }
[ -x /usr/sbin/fcgiwrap ] || { t_fail setup "fcgiwrap is not installed (apt-get install fcgiwrap)"; t_finish; }

DB="$T_DIR/db/authgate.db"
C="$T_DIR/caddy"
mkdir -p "$T_DIR/db"
t_db "$DB" || { t_fail setup "cannot build the test database"; t_finish; }
WH_SECRET=caddy-test-webhook-secret
printf '%s\n' "$WH_SECRET" > "$T_DIR/db/webhook.secret"

t_free_port AG_PORT
t_serve "127.0.0.1:$AG_PORT" "$DB" --workers 2 \
    --webhook-secret-file "$T_DIR/db/webhook.secret" ||
	{ t_fail setup "authgate serve did not start: $(tail -n 3 "$T_DIR/serve.log")"; t_finish; }

t_free_port HTTP_PORT FCGI_PORT CGI_PORT
t_echo_http "$HTTP_PORT" || t_fail setup "echo_http did not start"
t_echo_fcgi "$FCGI_PORT" || t_fail setup "echo_fcgi did not start"
t_fcgiwrap "$CGI_PORT" || t_fail setup "fcgiwrap did not start: $(cat "$T_DIR/fcgiwrap.log")"

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
	    -e "s#127\.0\.0\.1:8080\b#127.0.0.1:$cp#" \
	    -e "s#127\.0\.0\.1:8081\b#127.0.0.1:$cf#" \
	    -e "s#127\.0\.0\.1:8082\b#127.0.0.1:$cc#" \
	    -e "s#127\.0\.0\.1:9100\b#127.0.0.1:$AG_PORT#" \
	    -e "s#127\.0\.0\.1:3000\b#127.0.0.1:$hp#" \
	    -e "s#127\.0\.0\.1:9000\b#127.0.0.1:$FCGI_PORT#" \
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

t_free_port CP CF CC ADMIN_PORT
caddy_start "$C" "$CP" "$CF" "$CC" "$ADMIN_PORT" "$HTTP_PORT" ||
	{ t_fail setup "caddy did not start: $(grep -v "\"level\":\"info\"" "$C/caddy.log" | tail -n 5)"; t_finish; }

t_creds || { t_fail setup "authgate cookie failed"; t_finish; }

# --- the specification (tests/lib/matrix.sh) through each backend: the
# HTTP echo (p), the FastCGI echo (f), the demo CGI through fcgiwrap (c)
. "$T_ROOT/tests/lib/matrix.sh"
MX_HTTP_EMPTY=blank	# every X-Auth-* header arrives, empty when unknown
MX_ANON_REMOTE_USER=	# the map in the Caddyfile: empty without identity
mx_matrix p http "http://127.0.0.1:$CP"
mx_matrix f fcgi "http://127.0.0.1:$CF"
mx_matrix c cgi "http://127.0.0.1:$CC"
# A gap, reported: request_header -X-Auth-* does not match X.Auth.Method
# or X~Auth~Session~Id, which reach the HTTP and FastCGI backends (a
# backend that reads "." or "~" as "-" takes them for identity).
MX_SPOOF_PASSES="X.Auth.Method X~Auth~Session~Id"
mx_spoof p http "http://127.0.0.1:$CP"
mx_spoof f fcgi "http://127.0.0.1:$CF"
MX_SPOOF_PASSES=
mx_spoof c cgi "http://127.0.0.1:$CC"

# --- Caddy only
U="http://127.0.0.1:$CP"
# The original request comes from Caddy's placeholders, never from
# client headers (forward_auth overwrites X-Forwarded-*, and authgate
# ignores them anyway).
mx_forwarded "$U"
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
# the guard's refusal is JSON, like authgate's
t_header path-030 '^Content-Type: application/json'
t_header path-031 '^Cache-Control: no-store'
t_body   path-032 '^\{"error":"Bad Request - invalid path"\}$'
# the sign-in redirect is authgate's own 302, JSON body and all
t_status redir-001 302 -H 'Accept: text/html' "$U/app/dashboard"
t_header redir-002 '^Location: /sign-in\?next=/app/dashboard'
t_header redir-003 '^Content-Type: application/json'
t_body   redir-004 '^\{"error":"Unauthorized - sign in required"\}$'
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
t_free_port EXPRESS_PORT
t_express "$EXPRESS_PORT" || t_fail setup "the Express backend did not start: $(tail -n 3 "$T_DIR/express.log")"
t_free_port CP3 CF3 CC3 ADMIN_PORT3
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
BODY=$(wh_role_event evt-caddy-1 admin)
t_status hook-001 400 -X POST --data-binary "$BODY" "$U/webhooks/optare"
wh_post  hook-002 200 "$BODY" "$U/webhooks/optare"
t_status hook-003 200 -b "$MEMBER" "$U/api/admin/users"
t_status hook-004 405 "$U/webhooks/optare"
# Caddy holds a webhook body until it is complete (buffer_requests): a
# sender that stalls mid-body holds no authgate worker.
BODY=$(wh_role_event evt-caddy-2 member)
t_held_body hook-005 "$CP" "127.0.0.1:$AG_PORT" "$BODY" "$(wh_optare_sig "$BODY")" 200
t_status hook-006 403 -b "$MEMBER" "$U/api/admin/users"	# applied: member again

# Caddy wrote nothing outside the test directory, and the shipped file
# is in `caddy fmt` form.
if caddy fmt "$T_ROOT/conf/caddy/Caddyfile" | cmp -s - "$T_ROOT/conf/caddy/Caddyfile"; then
	t_pass conf-001; else t_fail conf-001 "conf/caddy/Caddyfile is not formatted (caddy fmt)"; fi
[ -s "$C/config/caddy/autosave.json" ] && t_pass conf-002 || t_fail conf-002 "no autosave.json under the test directory"

# The store unreadable: authgate's 503, never an allow (tests/lib/
# matrix.sh); the serve log names the original requests, holds no
# credential.
mx_store_down "$U" "$DB"
L="$T_DIR/serve.log"
mx_serve_log "$L"

# forward_auth copies authgate's 429 (a key's rate limit) as it is.
t_rate_limited rate "$DB" "$U/api/projects"

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
t_stopped stop-001 "$CP" "$CF" "$CC" "$ADMIN_PORT" "$CP3" "$CF3" "$CC3" "$ADMIN_PORT3" "$EXPRESS_PORT" "$HTTP_PORT" "$FCGI_PORT" "$CGI_PORT"

t_finish
