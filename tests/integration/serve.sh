#!/bin/bash
# serve.sh - `authgate serve` on its own, driven by libfcgi's cgi-fcgi
# client: root refusal, the unix socket's mode and owner, idle and
# slow-loris connections that must not stall other clients, a worker
# killed and restarted, SIGTERM with a request in flight.
. "$(dirname "$0")/../lib/common.sh"
t_setup serve
AG="$T_ROOT/build/asan/authgate"
DB="$T_DIR/db/authgate.db"
mkdir -p "$T_DIR/db"
t_db "$DB" || { t_fail setup "cannot build the test database"; t_finish; }
MEMBER=$(t_cookie demo-session-mia-member)

# fcgi ADDR URI [VAR=VALUE...]: one check-endpoint request; prints the
# response (headers and body).
fcgi() {
	local addr=$1 uri=$2; shift 2
	env -i REQUEST_METHOD=GET REQUEST_URI=/_authgate/check AUTHGATE_MODE=check \
	    AUTHGATE_ORIGINAL_URI="$uri" AUTHGATE_ORIGINAL_METHOD=GET "$@" \
	    timeout 10 cgi-fcgi -bind -connect "$addr" 2>/dev/null
}
# fcgi_status ID WANT ADDR URI [VAR=VALUE...]
fcgi_status() {
	local id=$1 want=$2 got; shift 2
	got=$(fcgi "$@" | head -n 1 | tr -d '\r')
	[ "$got" = "Status: $want" ] && t_pass "$id" || t_fail "$id" "got '$got', want 'Status: $want'"
}
workers() { pgrep -P "$1" -c; }

# --- refusals and flags
"$AG" serve --listen 127.0.0.1:1 --db "$DB" > "$T_DIR/out" 2>&1
[ $? = 2 ] && grep -q 'refusing to run as root; add --user' "$T_DIR/out" && t_pass root-001 || t_fail root-001 "$(cat "$T_DIR/out")"
"$AG" serve --listen 127.0.0.1:1 --user root --db "$DB" > "$T_DIR/out" 2>&1
[ $? = 2 ] && grep -q 'cannot drop privileges' "$T_DIR/out" && t_pass root-002 || t_fail root-002 "$(cat "$T_DIR/out")"
"$AG" serve --user nobody --db "$DB" > "$T_DIR/out" 2>&1
[ $? = 2 ] && grep -q -- '--listen' "$T_DIR/out" && t_pass flag-001 || t_fail flag-001 "$(cat "$T_DIR/out")"
"$AG" serve --listen 127.0.0.1:1 --user nobody --workers 0 > "$T_DIR/out" 2>&1
[ $? = 2 ] && t_pass flag-002 || t_fail flag-002 "--workers 0 accepted"
"$AG" serve --listen nowhere:x --user nobody > "$T_DIR/out" 2>&1
[ $? = 2 ] && t_pass flag-003 || t_fail flag-003 "bad --listen accepted"
"$AG" serve --listen 127.0.0.1:1 --user no-such-user-x > "$T_DIR/out" 2>&1
[ $? = 2 ] && grep -q 'no such user' "$T_DIR/out" && t_pass flag-004 || t_fail flag-004 "$(cat "$T_DIR/out")"
"$AG" serve --listen 127.0.0.1:1 --user nobody --frob 1 > "$T_DIR/out" 2>&1
[ $? = 2 ] && grep -q 'unknown option --frob' "$T_DIR/out" && t_pass flag-005 || t_fail flag-005 "$(cat "$T_DIR/out")"
"$AG" serve --listen 127.0.0.1:1 --user nobody --max-body abc > "$T_DIR/out" 2>&1
[ $? = 2 ] && grep -q 'AUTHGATE_MAX_BODY' "$T_DIR/out" && t_pass flag-006 || t_fail flag-006 "$(cat "$T_DIR/out")"

# --- TCP: answers, and the flags that stand for variables
PORT=$(t_port)
t_serve "127.0.0.1:$PORT" "$DB" --workers 3 --cookie-prefix better-auth || t_fail tcp-000 "serve did not start: $(cat "$T_DIR/serve.log")"
A="127.0.0.1:$PORT"
fcgi_status tcp-001 "200 OK" "$A" /api/projects HTTP_COOKIE="$MEMBER"
fcgi "$A" /api/projects HTTP_COOKIE="$MEMBER" > "$T_DIR/out"
grep -q '^X-Auth-User-Id: u_mia' "$T_DIR/out" && t_pass tcp-002 || t_fail tcp-002 "$(cat "$T_DIR/out")"
fcgi_status tcp-003 "401 Unauthorized" "$A" /api/projects
fcgi_status tcp-004 "403 Forbidden" "$A" /api/admin/x HTTP_COOKIE="$MEMBER"
t_ok tcp-005 test "$(workers "$T_SERVE_PID")" = 3
t_ok tcp-006 test "$(ps -o user= -p "$T_SERVE_PID" | tr -d ' ')" = nobody

# --- an idle connection and a slow-loris one hold one worker each, at most
# for the read deadline; the third worker serves everyone else meanwhile
exec 7<>"/dev/tcp/127.0.0.1/$PORT"	# connects, sends nothing
( printf '\001'; sleep 3; printf '\001'; sleep 3; printf '\000' ) > "/dev/tcp/127.0.0.1/$PORT" 2>/dev/null &
LORIS=$!
sleep 0.3
start=$(date +%s%N)
ok=0
for i in 1 2 3 4 5; do
	[ "$(fcgi "$A" /api/projects HTTP_COOKIE="$MEMBER" | head -n 1 | tr -d '\r')" = "Status: 200 OK" ] && ok=$((ok + 1))
done
ms=$(( ($(date +%s%N) - start) / 1000000 ))
t_ok stall-001 test "$ok" = 5
# stalled requests would each wait out a 5 s read timeout (25 s in all);
# the bound is generous so a busy machine does not fail it
[ "$ms" -lt 10000 ] && t_pass stall-002 || t_fail stall-002 "5 requests took ${ms} ms beside an idle connection"
# the idle connection is dropped after the read deadline
sleep 11
if read -r -t 1 -u 7 x 2>/dev/null || [ $? -gt 128 ]; then
	t_fail stall-003 "the idle connection is still open after the deadline"
else t_pass stall-003; fi
exec 7<&-
kill "$LORIS" 2>/dev/null
fcgi_status stall-004 "200 OK" "$A" /api/projects HTTP_COOKIE="$MEMBER"

# --- a worker that dies is restarted
victim=$(pgrep -P "$T_SERVE_PID" | head -n 1)
kill -9 "$victim"
for _ in $(seq 1 30); do [ "$(workers "$T_SERVE_PID")" = 3 ] && ! kill -0 "$victim" 2>/dev/null && break; sleep 0.1; done
t_ok crash-001 test "$(workers "$T_SERVE_PID")" = 3
grep -q "worker $victim died (signal 9); restarting" "$T_DIR/serve.log" && t_pass crash-002 || t_fail crash-002 "no restart line"
fcgi_status crash-003 "200 OK" "$A" /api/projects HTTP_COOKIE="$MEMBER"

# --- SIGTERM with a request in flight: it is finished, then serve exits
WH_SECRET=serve-webhook-secret
kill "$T_SERVE_PID"; wait "$T_SERVE_PID" 2>/dev/null
AUTHGATE_WEBHOOK_SECRET=$WH_SECRET t_serve "127.0.0.1:$PORT" "$DB" --workers 2 || t_fail term-000 "serve did not restart"
{ printf 'BEGIN IMMEDIATE;\nUPDATE authgate_schema SET version = version;\n.shell sleep 2\nCOMMIT;\n' | sqlite3 "$DB" >/dev/null 2>&1; } &
LOCKER=$!
sleep 0.3
BODY='{"id":"evt-term","timestamp":"'"$(date -u +%FT%TZ)"'","type":"user.updated","data":{"id":"u_mia","name":"Mia Term"}}'
SIG=$(printf '%s' "$BODY" | openssl dgst -sha256 -hmac "$WH_SECRET" -r | cut -d' ' -f1)
( printf '%s' "$BODY" | env -i REQUEST_METHOD=POST REQUEST_URI=/webhooks/optare CONTENT_LENGTH=${#BODY} \
    HTTP_X_OPTARE_SIGNATURE="sha256=$SIG" timeout 15 cgi-fcgi -bind -connect "127.0.0.1:$PORT" > "$T_DIR/inflight" 2>&1 ) &
CLIENT=$!
sleep 0.5
kill -TERM "$T_SERVE_PID"
wait "$CLIENT"
wait "$LOCKER"
grep -q '"outcome":"applied"' "$T_DIR/inflight" && t_pass term-001 || t_fail term-001 "in-flight request lost: $(cat "$T_DIR/inflight")"
t_ok term-002 test "$(sqlite3 "$DB" "select name from \"user\" where id = 'u_mia'")" = "Mia Term"
for _ in $(seq 1 50); do kill -0 "$T_SERVE_PID" 2>/dev/null || break; sleep 0.1; done
kill -0 "$T_SERVE_PID" 2>/dev/null && t_fail term-003 "serve still running" || t_pass term-003
wait "$T_SERVE_PID"; t_ok term-004 test $? = 0
grep -q 'serve: stopping' "$T_DIR/serve.log" && t_pass term-005 || t_fail term-005 "no stop line"

# --- a unix socket: mode 0660, owner and group as asked
SOCK="$T_DIR/run/authgate.sock"
mkdir -p "$T_DIR/run"
chown nobody "$T_DIR/run"	# the user may remove its socket on exit
t_serve "$SOCK" "$DB" --workers 1 --group www-data || t_fail unix-000 "serve on a socket did not start: $(tail -n 3 "$T_DIR/serve.log")"
t_ok unix-001 test "$(stat -c '%a %U %G' "$SOCK")" = "660 nobody www-data"
fcgi_status unix-002 "200 OK" "$SOCK" /api/projects HTTP_COOKIE="$MEMBER"
kill "$T_SERVE_PID"; wait "$T_SERVE_PID" 2>/dev/null
t_ok unix-003 test ! -e "$SOCK"
# a stale socket is replaced; any other file is left alone
: > "$T_DIR/run/notasocket"
chown nobody "$T_DIR/run/notasocket"
"$AG" serve --listen "$T_DIR/run/notasocket" --user nobody --db "$DB" > "$T_DIR/out" 2>&1
[ $? = 2 ] && grep -q 'not a socket' "$T_DIR/out" && t_pass unix-004 || t_fail unix-004 "$(cat "$T_DIR/out")"
t_ok unix-005 test -f "$T_DIR/run/notasocket"

t_sanitizers asan-001 "$T_DIR/serve.log"
t_finish
