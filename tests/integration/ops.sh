#!/bin/bash
# ops.sh - what an operator runs authgate with: the health endpoint
# (200 through nginx -> authgate serve; 503 for a store that is gone or
# whose schema lacks a column; in the authorizer and check roles the
# health path is decided by the rules like any other), the metrics (the
# counters move by exactly the traffic sent across two workers, every
# worker answers the same figures, a real Prometheus from Debian's
# package scrapes them through nginx and its HTTP API shows them, a
# killed worker counts as a restart), the page file of the spawned form
# (lighttpd), the snippets that route them past the check in Caddy and
# Apache, and SIGHUP: better-auth and webhook secret rotation under
# load through nginx with no failed answer, a bad secret file refused
# with one log line while the old configuration keeps serving.
# docs/monitoring.md describes what is checked here; its nginx and
# lighttpd snippets are the configurations below.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/webhook.sh"
t_setup ops
AG="$T_ROOT/build/asan/authgate"
command -v nginx >/dev/null || { t_fail setup "nginx is not installed"; t_finish; }
command -v prometheus >/dev/null || { t_fail setup "prometheus is not installed (Debian package prometheus)"; t_finish; }
command -v wrk >/dev/null || { t_fail setup "wrk is not installed"; t_finish; }
t_creds || { t_fail setup "cannot sign the test cookies"; t_finish; }

mkdir -p "$T_DIR/db" "$T_DIR/etc" "$T_DIR/db2"
DB="$T_DIR/db/authgate.db"
t_db "$DB" || { t_fail setup "cannot build the test database"; t_finish; }
OLD=$T_SECRET
NEW="ops-rotated-secret-0123456789abcdefghijklmnop"
W1="ops-webhook-secret-one"
W2="ops-webhook-secret-two"
SECRET_FILE="$T_DIR/etc/better-auth.secret"
WH_FILE="$T_DIR/etc/webhook.secret"
# put_secret FILE LINE...: the file the supervisor re-reads on SIGHUP,
# readable by the serve user only (it has dropped root by then)
put_secret() {
	local f=$1; shift
	printf '%s\n' "$@" > "$f.tmp" && chown nobody:nogroup "$f.tmp" &&
	    chmod 0600 "$f.tmp" && mv "$f.tmp" "$f"
}
put_secret "$SECRET_FILE" "$OLD"
put_secret "$WH_FILE" "$W1"
chown -R nobody:nogroup "$T_DIR/db"

# up PID PORT: PID listens on PORT within 10 s; fails as soon as PID is
# gone (it could not bind), and then stops nothing else.
up() {
	local i
	for i in $(seq 1 100); do
		(exec 3<>"/dev/tcp/127.0.0.1/$2") 2>/dev/null && return 0
		kill -0 "$1" 2>/dev/null || return 1
		sleep 0.1
	done
	kill "$1" 2>/dev/null
	return 1
}
# try3 COMMAND...: a start tried up to three times, each with new ports.
# The ports of the test ranges lie in the kernel's range for outgoing
# connections, so a client socket of this or another suite may take a
# port between the check that it is free and the server's bind.
try3() { "$@" || "$@" || "$@"; }

# serve_start VAR DB LOG [flags...]: authgate serve (sanitizer build) as
# nobody with the secret files, on a free port put in VAR; sets
# SERVE_PID.
serve_start() {
	local var=$1 db=$2 log=$3; shift 3
	t_free_port "$var"
	env ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 "$AG" serve \
	    --listen "127.0.0.1:${!var}" --user nobody --db "$db" \
	    --secret-file "$SECRET_FILE" --webhook-secret-file "$WH_FILE" \
	    "$@" >>"$log" 2>&1 &
	SERVE_PID=$!
	T_PIDS="$T_PIDS $SERVE_PID"
	up "$SERVE_PID" "${!var}"
}
# fcgi ADDR URI [VAR=VALUE...]: a responder request straight to serve
fcgi() {
	local addr=$1 uri=$2; shift 2
	t_fcgi "$addr" REQUEST_METHOD=GET REQUEST_URI="$uri" "$@"
}
first() { head -n 1 | tr -d '\r'; }
# metric TEXT-FILE SELECTOR: the sum of the samples whose line starts
# with SELECTOR (a name, or a name with the first labels), 0 if none
metric() {
	awk -v s="$2" 'index($0, s) == 1 { n += $NF } END { printf "%d\n", n }' "$1"
}
# scrape FILE: the metrics page through nginx into FILE
scrape() { curl -s --max-time 10 -o "$1" -w '%{http_code}' "$U/_authgate/metrics"; }
# reloads: how many reloads the supervisor logged
reloads() { grep -c 'serve: reloaded the configuration' "$T_DIR/serve.log"; }
refusals() { grep -c 'serve: reload refused' "$T_DIR/serve.log"; }
# hup: SIGHUP to serve, then wait (10 s at most) for its log line
hup() {
	local before ok=$(reloads) bad=$(refusals) i
	kill -HUP "$SERVE_PID"
	for i in $(seq 1 100); do
		[ "$(reloads)" != "$ok" ] || [ "$(refusals)" != "$bad" ] && return 0
		sleep 0.1
	done
	return 1
}
workers() { pgrep -P "$SERVE_PID" | sort; }

try3 serve_start SP "$DB" "$T_DIR/serve.log" --workers 2 ||
	{ t_fail setup "authgate serve did not start: $(tail -n 3 "$T_DIR/serve.log")"; t_finish; }
A="127.0.0.1:$SP"

# --- nginx in front: the check endpoint for every location, health and
# metrics as their own responder locations, metrics for loopback only
N="$T_DIR/nginx"
mkdir -p "$N/tmp" "$N/www"
echo backend > "$N/www/index.html"
nginx_start() {
t_free_port NP
t_nginx_conf "$N" 2 512 <<EOF
	upstream authgate {
		server 127.0.0.1:$SP;
		keepalive 8;
	}
	server {
		listen 127.0.0.1:$NP;
		root $N/www;
		auth_request /_authgate/check;
		location = /_authgate/check {
			internal;
			fastcgi_pass authgate;
			fastcgi_keep_conn on;
			fastcgi_pass_request_body off;
			fastcgi_param CONTENT_LENGTH "";
			fastcgi_param REQUEST_METHOD \$request_method;
			fastcgi_param REQUEST_URI /_authgate/check;
			fastcgi_param AUTHGATE_MODE check;
			fastcgi_param AUTHGATE_ORIGINAL_URI \$request_uri;
			fastcgi_param AUTHGATE_ORIGINAL_METHOD \$request_method;
			fastcgi_param REMOTE_ADDR \$remote_addr;
			fastcgi_param HTTP_COOKIE \$http_cookie;
		}
		location = /_authgate/health {
			auth_request off;
			fastcgi_pass authgate;
			fastcgi_keep_conn on;
			fastcgi_param REQUEST_METHOD \$request_method;
			fastcgi_param REQUEST_URI \$request_uri;
		}
		location = /_authgate/metrics {
			auth_request off;
			allow 127.0.0.1;
			deny all;
			fastcgi_pass authgate;
			fastcgi_keep_conn on;
			fastcgi_param REQUEST_METHOD \$request_method;
			fastcgi_param REQUEST_URI \$request_uri;
		}
		location = /webhooks/optare {
			auth_request off;
			fastcgi_pass authgate;
			fastcgi_param REQUEST_METHOD \$request_method;
			fastcgi_param REQUEST_URI \$request_uri;
			fastcgi_param CONTENT_TYPE \$content_type;
			fastcgi_param CONTENT_LENGTH \$content_length;
			fastcgi_param HTTP_X_OPTARE_SIGNATURE \$http_x_optare_signature;
		}
		location / {
			try_files /index.html =404;
		}
	}
EOF
nginx -t -p "$N" -c "$N/nginx.conf" >"$N/test.log" 2>&1 ||
	{ t_fail setup "nginx -t: $(cat "$N/test.log")"; t_finish; }
nginx -p "$N" -c "$N/nginx.conf" 2>>"$N/error.log" &
T_PIDS="$T_PIDS $!"
up $! "$NP"
}
try3 nginx_start || t_fail setup "nginx did not start: $(tail -n 3 "$N/error.log")"
U="http://127.0.0.1:$NP"

# --- health
t_status health-001 200 "$U/_authgate/health"
t_body health-002 '^\{"status":"ok"\}$'
t_header health-003 '^Cache-Control: no-store'
t_status health-004 200 -I "$U/_authgate/health"
t_status health-005 405 -X POST "$U/_authgate/health"
# never a credential: a bad cookie changes nothing
t_status health-006 200 -H "Cookie: better-auth.session_token=forged.x" "$U/_authgate/health"
# the status is the first header line (what a FastCGI server reads)
t_same health-007 "$(fcgi "$A" /_authgate/health | first)" "Status: 200 OK"
# the check role: the health path of the original request is decided by
# the rules (default: authenticated), never answered 200
t_same health-008 "$(t_check "$A" /_authgate/health | first)" "Status: 401 Unauthorized"
t_same health-009 "$(t_check "$A" /_authgate/metrics | first)" "Status: 401 Unauthorized"
# the authorizer role (Apache mod_authnz_fcgi's parameter): the rules
t_same health-010 "$(fcgi "$A" /_authgate/health FCGI_APACHE_ROLE=AUTHORIZER | first)" "Status: 401 Unauthorized"
t_same health-011 "$(fcgi "$A" /_authgate/metrics FCGI_APACHE_ROLE=AUTHORIZER | first)" "Status: 401 Unauthorized"
# ... and with a rule that denies it, 403: the rules decide
sqlite3 "$DB" "INSERT INTO authgate_rule(priority, path, access) VALUES (1, '/_authgate/**', 'deny');"
t_same health-012 "$(fcgi "$A" /_authgate/health FCGI_APACHE_ROLE=AUTHORIZER HTTP_COOKIE="$OWNER" | first)" "Status: 403 Forbidden"
t_same health-013 "$(t_check "$A" /_authgate/health HTTP_COOKIE="$OWNER" | first)" "Status: 403 Forbidden"
sqlite3 "$DB" "DELETE FROM authgate_rule WHERE path = '/_authgate/**';"
chown -R nobody:nogroup "$T_DIR/db"
t_status health-014 200 "$U/_authgate/health"

# a store that is gone, and one whose schema lacks a column: 503, and a
# decision at that moment agrees (503 too)
DB2="$T_DIR/db2/authgate.db"
t_db "$DB2" && chown -R nobody:nogroup "$T_DIR/db2"
SERVE1_PID=$SERVE_PID
try3 serve_start SP2 "$DB2" "$T_DIR/serve2.log" --workers 1 ||
	t_fail health-020 "second serve did not start: $(tail -n 3 "$T_DIR/serve2.log")"
SERVE2_PID=$SERVE_PID
SERVE_PID=$SERVE1_PID
A2="127.0.0.1:$SP2"
t_same health-021 "$(fcgi "$A2" /_authgate/health | first)" "Status: 200 OK"
mv "$DB2" "$DB2.away"
sleep 1.2	# a replaced or removed file is noticed within a second
fcgi "$A2" /_authgate/health > "$T_DIR/h503"
t_same health-022 "$(first < "$T_DIR/h503")" "Status: 503 Service Unavailable"
t_has health-023 '^\{"status":"unavailable","reason":"store_unavailable"\}' "$T_DIR/h503"
t_same health-024 "$(t_check "$A2" /api/projects HTTP_COOKIE="$MEMBER" | first)" "Status: 503 Service Unavailable"
mv "$DB2.away" "$DB2"
sleep 1.2
t_same health-025 "$(fcgi "$A2" /_authgate/health | first)" "Status: 200 OK"
sqlite3 "$DB2" 'ALTER TABLE session RENAME COLUMN "expiresAt" TO "expiry";' &&
	chown -R nobody:nogroup "$T_DIR/db2"
fcgi "$A2" /_authgate/health > "$T_DIR/hschema"
t_same health-026 "$(first < "$T_DIR/hschema")" "Status: 503 Service Unavailable"
t_has health-027 '"reason":"store_schema"' "$T_DIR/hschema"
t_same health-028 "$(t_check "$A2" /api/projects HTTP_COOKIE="$MEMBER" | first)" "Status: 503 Service Unavailable"
t_has health-029 'health status=503 reason=store_schema' "$T_DIR/serve2.log"
kill "$SERVE2_PID"

# --- metrics: exactly the traffic sent, across both workers
t_same metrics-001 "$(scrape "$T_DIR/m0")" 200
t_has metrics-002 '^# TYPE authgate_decisions_total counter$' "$T_DIR/m0"
t_has metrics-003 '^# TYPE authgate_decision_duration_seconds histogram$' "$T_DIR/m0"
t_has metrics-004 '^authgate_metrics_shared 1$' "$T_DIR/m0"
t_has metrics-005 '^Content-Type: text/plain; version=0.0.4' <(curl -s -D - -o /dev/null "$U/_authgate/metrics")
# metrics for loopback only (nginx's allow/deny): from another address 403
t_status metrics-006 403 --interface 127.0.0.2 "$U/_authgate/metrics"
A0=$(metric "$T_DIR/m0" 'authgate_decisions_total{outcome="allow"')
D0=$(metric "$T_DIR/m0" 'authgate_decisions_total{outcome="deny"')
C0=$(metric "$T_DIR/m0" 'authgate_decision_duration_seconds_count')
for i in 1 2 3 4 5 6 7; do curl -s --max-time 10 -o /dev/null "$U/api/projects"; done
for i in 1 2 3 4 5; do curl -s --max-time 10 -o /dev/null -H "Cookie: $MEMBER" "$U/api/projects"; done
scrape "$T_DIR/m1" >/dev/null
t_same metrics-010 "$(( $(metric "$T_DIR/m1" 'authgate_decisions_total{outcome="deny"') - D0 ))" 7
t_same metrics-011 "$(( $(metric "$T_DIR/m1" 'authgate_decisions_total{outcome="allow"') - A0 ))" 5
t_same metrics-012 "$(( $(metric "$T_DIR/m1" 'authgate_decision_duration_seconds_count') - C0 ))" 12
t_has metrics-013 '^authgate_decisions_total\{outcome="deny",reason="no_credentials"\} [1-9]' "$T_DIR/m1"
# one page for all: each new connection may land on either worker, and
# every one of them answers the same figures
t_same metrics-014 "$(workers | wc -l)" 2
same=0
for i in 1 2 3 4 5 6 7 8; do
	fcgi "$A" /_authgate/metrics > "$T_DIR/mw"
	[ "$(metric "$T_DIR/mw" 'authgate_decisions_total{outcome="deny"')" = "$(metric "$T_DIR/m1" 'authgate_decisions_total{outcome="deny"')" ] && same=$((same + 1))
done
t_same metrics-015 "$same" 8
# and it is one page, not one per worker: with the second worker stopped
# the first decides 3 requests; with the first stopped the second reports
# them (a stopped worker's wake-up is taken over within its 1 s turn)
W1P=$(workers | head -n 1)
W2P=$(workers | tail -n 1)
kill -STOP "$W2P"
for i in 1 2 3; do t_check "$A" /api/projects > /dev/null; done
kill -CONT "$W2P"
kill -STOP "$W1P"
fcgi "$A" /_authgate/metrics > "$T_DIR/mw2"
kill -CONT "$W1P"
t_same metrics-016 "$(( $(metric "$T_DIR/mw2" 'authgate_decisions_total{outcome="deny"') - $(metric "$T_DIR/m1" 'authgate_decisions_total{outcome="deny"') ))" 3
# webhook deliveries by verdict, store errors
WH_SECRET=$W1
V0=$(metric "$T_DIR/m1" 'authgate_webhook_deliveries_total{verdict="applied"')
B0=$(metric "$T_DIR/m1" 'authgate_webhook_deliveries_total{verdict="bad_signature"')
wh_post metrics-020 200 "$(wh_event user.updated ops-m-1 '{"id":"u_mia","name":"Mia Member"}')" "$U/webhooks/optare"
WH_SECRET=wrong-secret wh_post metrics-021 400 "$(wh_event user.updated ops-m-2 '{"id":"u_mia","name":"Mia"}')" "$U/webhooks/optare"
scrape "$T_DIR/m2" >/dev/null
t_same metrics-022 "$(( $(metric "$T_DIR/m2" 'authgate_webhook_deliveries_total{verdict="applied"') - V0 ))" 1
t_same metrics-023 "$(( $(metric "$T_DIR/m2" 'authgate_webhook_deliveries_total{verdict="bad_signature"') - B0 ))" 1

# --- Caddy: the snippet of docs/monitoring.md, before the check
if command -v caddy >/dev/null; then
	C="$T_DIR/caddy"
	mkdir -p "$C/home" "$C/data" "$C/config"
	caddy_start() {
	t_free_port CDP CDA
	cat > "$C/Caddyfile" <<EOF
{
	admin 127.0.0.1:$CDA
	auto_https off
}
http://127.0.0.1:$CDP {
	route {
		@authgate_metrics_outside {
			path /_authgate/metrics
			not remote_ip 127.0.0.1 ::1
		}
		respond @authgate_metrics_outside 403
		@authgate_ops path /_authgate/health /_authgate/metrics
		reverse_proxy @authgate_ops 127.0.0.1:$SP {
			transport fastcgi
		}
		respond "backend" 200
	}
}
EOF
	chown -R nobody:nogroup "$C"
	cenv=(env HOME="$C/home" XDG_DATA_HOME="$C/data" XDG_CONFIG_HOME="$C/config"
	    setpriv --reuid=nobody --regid=nogroup --clear-groups)
	"${cenv[@]}" caddy run --config "$C/Caddyfile" --adapter caddyfile >>"$C/caddy.log" 2>&1 &
	T_PIDS="$T_PIDS $!"
	up $! "$CDP"
	}
	if try3 caddy_start; then
		t_status caddy-001 200 "http://127.0.0.1:$CDP/_authgate/health"
		t_body caddy-002 '^\{"status":"ok"\}$'
		t_status caddy-003 200 "http://127.0.0.1:$CDP/_authgate/metrics"
		t_has caddy-004 '^authgate_metrics_shared 1$' "$T_BODY_FILE"
		t_status caddy-005 403 --interface 127.0.0.2 "http://127.0.0.1:$CDP/_authgate/metrics"
		t_status caddy-006 200 --interface 127.0.0.2 "http://127.0.0.1:$CDP/_authgate/health"
	else
		t_fail caddy-000 "caddy did not start: $(tail -n 3 "$C/caddy.log")"
	fi
else
	t_fail caddy-000 "caddy is not installed"
fi

# --- Apache: the snippet of docs/monitoring.md after the <Location "/">
# that asks authgate (mod_authnz_fcgi), both to authgate serve
if command -v apache2 >/dev/null; then
	AP="$T_DIR/apache"
	M=/etc/apache2/mods-available
	mkdir -p "$AP/run"
	apache_start() {
	t_free_port APP
	cat > "$AP/httpd.conf" <<EOF
ServerRoot "$AP"
DefaultRuntimeDir "$AP/run"
PidFile "$AP/run/apache2.pid"
Mutex file:$AP/run default
ErrorLog "$AP/error.log"
LogLevel warn
User nobody
Group nogroup
Listen 127.0.0.1:$APP
ServerName 127.0.0.1
Include $M/mpm_event.load
Include $M/authn_core.load
Include $M/authz_core.load
Include $M/authz_host.load
Include $M/authz_user.load
Include $M/authnz_fcgi.load
Include $M/proxy.load
Include $M/proxy_fcgi.load
<Directory />
    AllowOverride None
    Require all denied
</Directory>
AuthnzFcgiDefineProvider authn authgate fcgi://127.0.0.1:$SP/
<Location "/">
    AuthType authgate
    AuthName authgate
    AuthnzFcgiCheckAuthnProvider authgate Authoritative On RequireBasicAuth Off UserExpr "%{reqenv:REMOTE_USER}" DefaultUser -
    Require valid-user
</Location>
<Location "/_authgate/health">
    AuthType None
    Require all granted
    ProxyPass "fcgi://127.0.0.1:$SP/_authgate/health"
</Location>
<Location "/_authgate/metrics">
    AuthType None
    Require ip 127.0.0.1 ::1
    ProxyPass "fcgi://127.0.0.1:$SP/_authgate/metrics"
</Location>
EOF
	apache2 -t -f "$AP/httpd.conf" > "$AP/configtest.log" 2>&1 || return 1
	setsid apache2 -DFOREGROUND -f "$AP/httpd.conf" >> "$AP/error.log" 2>&1 &
	T_PIDS="$T_PIDS $!"
	up $! "$APP"
	}
	if try3 apache_start; then
		AU="http://127.0.0.1:$APP"
		t_status apache-001 200 "$AU/_authgate/health"
		t_body apache-002 '^\{"status":"ok"\}$'
		t_status apache-003 200 "$AU/_authgate/metrics"
		t_has apache-004 '^authgate_metrics_shared 1$' "$T_BODY_FILE"
		t_status apache-005 403 --interface 127.0.0.2 "$AU/_authgate/metrics"
		# the rest is still asked about: anonymous is 401
		t_status apache-006 401 "$AU/api/projects"
	else
		t_fail apache-000 "apache2 did not start: $(tail -n 3 "$AP/configtest.log" "$AP/error.log")"
	fi
else
	t_fail apache-000 "apache2 is not installed"
fi

# --- a real Prometheus scrapes them through nginx
P="$T_DIR/prometheus"
mkdir -p "$P/data"
prom_start() {
t_free_port PP
cat > "$P/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: authgate
    metrics_path: /_authgate/metrics
    static_configs:
      - targets: ['127.0.0.1:$NP']
EOF
prometheus --config.file="$P/prometheus.yml" --storage.tsdb.path="$P/data" \
    --web.listen-address="127.0.0.1:$PP" >>"$P/log" 2>&1 &
T_PIDS="$T_PIDS $!"
up $! "$PP"
}
try3 prom_start || t_fail prom-000 "prometheus did not start: $(tail -n 3 "$P/log")"
# promq QUERY: the first value Prometheus' HTTP API gives for QUERY
promq() {
	curl -s --max-time 5 -G "http://127.0.0.1:$PP/api/v1/query" --data-urlencode "query=$1" |
	    python3 -c 'import json,sys
r = json.load(sys.stdin)["data"]["result"]
print(int(float(r[0]["value"][1])) if r else "")' 2>/dev/null
}
scrape "$T_DIR/m2" >/dev/null	# (Apache's case above decided one more)
WANT_DENY=$(metric "$T_DIR/m2" 'authgate_decisions_total{outcome="deny"')
got=""
for i in $(seq 1 150); do
	got=$(promq 'sum(authgate_decisions_total{outcome="deny"})')
	[ "$got" = "$WANT_DENY" ] && break
	sleep 0.2
done
t_same prom-001 "$got" "$WANT_DENY"
t_same prom-002 "$(promq 'up{job="authgate"}')" 1
t_same prom-003 "$(promq 'sum(authgate_decisions_total{outcome="allow",reason="allow"})')" "$(metric "$T_DIR/m2" 'authgate_decisions_total{outcome="allow",reason="allow"}')"
t_same prom-004 "$(promq 'authgate_webhook_deliveries_total{verdict="applied"}')" "$(metric "$T_DIR/m2" 'authgate_webhook_deliveries_total{verdict="applied"}')"
curl -s -G "http://127.0.0.1:$PP/api/v1/query" --data-urlencode 'query=authgate_decisions_total' > "$T_DIR/prom.json"
t_has prom-005 '"__name__":"authgate_decisions_total"' "$T_DIR/prom.json"
t_has prom-006 '"outcome":"deny","reason":"no_credentials"' "$T_DIR/prom.json"

# --- a killed worker is restarted and counted
R0=$(metric "$T_DIR/m2" 'authgate_worker_restarts_total')
victim=$(workers | head -n 1)
kill -9 "$victim"
for i in $(seq 1 50); do
	[ "$(workers | wc -l)" = 2 ] && ! workers | grep -qx "$victim" && break
	sleep 0.1
done
t_same restart-001 "$(workers | wc -l)" 2
scrape "$T_DIR/m3" >/dev/null
t_same restart-002 "$(( $(metric "$T_DIR/m3" 'authgate_worker_restarts_total') - R0 ))" 1

# --- the spawned form: lighttpd starts authgate (authorizer for every
# path, responder for health and metrics, 2 processes each); all four
# processes count into AUTHGATE_METRICS_FILE
L="$T_DIR/lighttpd"
MF="$L/metrics.page"
mkdir -p "$L/www"
lighttpd_start() {
t_free_port LP
cat > "$L/lighttpd.conf" <<EOF
server.modules = ( "mod_access", "mod_fastcgi" )
server.document-root = "$L/www"
server.bind = "127.0.0.1"
server.port = $LP
server.pid-file = "$L/pid"
server.errorlog = "$L/error.log"
var.ag_env = ( "AUTHGATE_DB" => "$DB", "AUTHGATE_METRICS_FILE" => "$MF",
               "BETTER_AUTH_SECRET" => "$OLD",
               "ASAN_OPTIONS" => "detect_leaks=0:abort_on_error=1" )
\$HTTP["url"] =~ "^/_authgate/(health|metrics)\$" {
  \$HTTP["url"] == "/_authgate/metrics" {
    \$HTTP["remote-ip"] != "127.0.0.1" { url.access-deny = ( "" ) }
  }
  fastcgi.server = ( "/_authgate/" => ((
    "mode" => "responder", "bin-path" => "$AG",
    "socket" => "$L/resp.sock", "check-local" => "disable",
    "max-procs" => 2, "bin-environment" => var.ag_env )) )
}
else {
  fastcgi.server = ( "/" => ((
    "mode" => "authorizer", "bin-path" => "$AG",
    "socket" => "$L/authz.sock", "check-local" => "disable",
    "max-procs" => 2, "bin-environment" => var.ag_env )) )
}
EOF
lighttpd -D -f "$L/lighttpd.conf" >>"$L/stderr.log" 2>&1 &
T_PIDS="$T_PIDS $!"
up $! "$LP"
}
if try3 lighttpd_start; then
	LU="http://127.0.0.1:$LP"
	t_status spawn-001 200 "$LU/_authgate/health"
	t_body spawn-002 '^\{"status":"ok"\}$'
	t_status spawn-003 200 "$LU/_authgate/metrics"
	t_has spawn-004 '^authgate_metrics_shared 1$' "$T_BODY_FILE"
	t_status spawn-005 403 --interface 127.0.0.2 "$LU/_authgate/metrics"
	t_ok spawn-006 test "$(stat -c '%s %a' "$MF")" = "16384 640"
	cp "$T_BODY_FILE" "$T_DIR/l0"
	for i in 1 2 3 4; do curl -s --max-time 10 -o /dev/null "$LU/api/projects"; done
	for i in 1 2 3; do curl -s --max-time 10 -o /dev/null -H "Cookie: $MEMBER" "$LU/api/projects"; done
	# the health path here is the authorizer's: decided by the rules
	t_status spawn-007 401 "$LU/_authgate/health/"
	ok=0
	for i in 1 2 3 4 5 6; do
		curl -s --max-time 10 -o "$T_DIR/l1" "$LU/_authgate/metrics"
		[ "$(( $(metric "$T_DIR/l1" 'authgate_decisions_total{outcome="deny"') - $(metric "$T_DIR/l0" 'authgate_decisions_total{outcome="deny"') ))" = 5 ] &&
		[ "$(( $(metric "$T_DIR/l1" 'authgate_decisions_total{outcome="allow"') - $(metric "$T_DIR/l0" 'authgate_decisions_total{outcome="allow"') ))" = 3 ] &&
		    ok=$((ok + 1))
	done
	t_same spawn-008 "$ok" 6
	t_ok spawn-009 test "$(pgrep -c -f "^$AG\$")" -ge 4
else
	t_fail spawn-000 "lighttpd did not start: $(tail -n 3 "$L/error.log" "$L/stderr.log")"
fi

# --- SIGHUP: better-auth secret rotation under load
NEWC=$(BETTER_AUTH_SECRET=$NEW "$T_ROOT/cgi-bin/authgate" cookie demo-session-mia-member)
t_status rot-001 200 -H "Cookie: $MEMBER" "$U/api/projects"
t_status rot-002 401 -H "Cookie: $NEWC" "$U/api/projects"	# not yet
# wrk: protected requests through nginx -> serve with the old cookie
# while the file gets a new first line and serve reloads three times
: > "$N/error.log"	# (metrics-006's 403 was logged there)
wrk -t2 -c8 -d6s -H "Cookie: $MEMBER" "$U/api/projects" > "$T_DIR/wrk1" 2>&1 &
WRK=$!
sleep 1
put_secret "$SECRET_FILE" "$NEW" "$OLD"
hup || t_fail rot-003 "no reload logged"
sleep 1
hup || t_fail rot-003 "no second reload logged"
sleep 1
hup || t_fail rot-003 "no third reload logged"
wait "$WRK"
t_has rot-004 '[0-9]+ requests in' "$T_DIR/wrk1"
t_lacks rot-005 'Non-2xx|Socket errors' "$T_DIR/wrk1"
t_same rot-006 "$(awk '/requests in/ { print ($1 > 100) }' "$T_DIR/wrk1")" 1
t_lacks rot-007 'upstream prematurely closed|\[(error|crit|alert|emerg)\]' "?$N/error.log" "$T_DIR/wrk1"
t_status rot-008 200 -H "Cookie: $NEWC" "$U/api/projects"	# new: accepted
t_status rot-009 200 -H "Cookie: $MEMBER" "$U/api/projects"	# old: still
# authgate check explains what serve decides: the old cookie verifies
BETTER_AUTH_SECRET_FILE=$SECRET_FILE "$AG" check --db "$DB" --method GET \
    --path /api/projects --cookie "${MEMBER#*=}" > "$T_DIR/chk1" 2>&1
t_has rot-020 '^reason: allow$' "$T_DIR/chk1"
# the old workers are gone, two new ones serve
for i in $(seq 1 100); do [ "$(workers | wc -l)" = 2 ] && break; sleep 0.1; done
t_same rot-010 "$(workers | wc -l)" 2
# a reload is no restart
scrape "$T_DIR/m4" >/dev/null
t_same rot-011 "$(( $(metric "$T_DIR/m4" 'authgate_worker_restarts_total') - R0 ))" 1
# the second rotation drops the old secret: the old cookie is 401, under
# load with the new one
wrk -t2 -c8 -d4s -H "Cookie: $NEWC" "$U/api/projects" > "$T_DIR/wrk2" 2>&1 &
WRK=$!
sleep 1
put_secret "$SECRET_FILE" "$NEW"
hup || t_fail rot-012 "no reload logged"
wait "$WRK"
t_lacks rot-013 'Non-2xx|Socket errors' "$T_DIR/wrk2"
t_status rot-014 401 -H "Cookie: $MEMBER" "$U/api/projects"
BETTER_AUTH_SECRET_FILE=$SECRET_FILE "$AG" check --db "$DB" --method GET \
    --path /api/projects --cookie "${MEMBER#*=}" > "$T_DIR/chk2" 2>&1
t_has rot-021 '^reason: session_bad_signature$' "$T_DIR/chk2"
t_status rot-015 200 -H "Cookie: $NEWC" "$U/api/projects"
# a bad secret file: one log line, the running configuration stays
bad0=$(refusals)
put_secret "$SECRET_FILE" "$NEW" "too-short"
hup || t_fail bad-001 "nothing logged"
t_same bad-002 "$(( $(refusals) - bad0 ))" 1
t_has bad-003 'serve: reload refused, the running configuration stays: BETTER_AUTH_SECRET_FILE .* line 2 must be' "$T_DIR/serve.log"
t_lacks bad-004 'too-short|ops-rotated-secret' "$T_DIR/serve.log"
t_status bad-005 200 -H "Cookie: $NEWC" "$U/api/projects"
printf '%s\n' "$NEW" > "$SECRET_FILE.tmp"; chmod 0600 "$SECRET_FILE.tmp"; mv "$SECRET_FILE.tmp" "$SECRET_FILE"	# root's, unreadable to nobody
hup || t_fail bad-006 "nothing logged"
t_same bad-007 "$(( $(refusals) - bad0 ))" 2
t_has bad-008 'reload refused.*cannot read .*better-auth.secret: Permission denied' "$T_DIR/serve.log"
t_status bad-009 200 -H "Cookie: $NEWC" "$U/api/projects"
t_status bad-010 200 "$U/_authgate/health"
put_secret "$SECRET_FILE" "$NEW"

# --- webhook secret rotation the same way
WH_SECRET=$W1 wh_post wrot-001 200 "$(wh_event user.updated ops-w-1 '{"id":"u_mia","name":"Mia M"}')" "$U/webhooks/optare"
WH_SECRET=$W2 wh_post wrot-002 400 "$(wh_event user.updated ops-w-2 '{"id":"u_mia","name":"Mia M"}')" "$U/webhooks/optare"
put_secret "$WH_FILE" "$W2" "$W1"
hup || t_fail wrot-003 "no reload logged"
WH_SECRET=$W1 wh_post wrot-004 200 "$(wh_event user.updated ops-w-3 '{"id":"u_mia","name":"Mia M"}')" "$U/webhooks/optare"
WH_SECRET=$W2 wh_post wrot-005 200 "$(wh_event user.updated ops-w-4 '{"id":"u_mia","name":"Mia M"}')" "$U/webhooks/optare"
put_secret "$WH_FILE" "$W2"
hup || t_fail wrot-006 "no reload logged"
WH_SECRET=$W1 wh_post wrot-007 400 "$(wh_event user.updated ops-w-5 '{"id":"u_mia","name":"Mia M"}')" "$U/webhooks/optare"
WH_SECRET=$W2 wh_post wrot-008 200 "$(wh_event user.updated ops-w-6 '{"id":"u_mia","name":"Mia M"}')" "$U/webhooks/optare"
t_lacks wrot-009 "$W1|$W2" "$T_DIR/serve.log"

t_sanitizers san-001 "$T_DIR/serve.log"
t_sanitizers san-002 "$T_DIR/serve2.log"
t_sanitizers san-003 "$L/error.log"
t_finish
