#!/bin/bash
# serve.sh - `authgate serve` on its own, driven by libfcgi's cgi-fcgi
# client and our own (tests/lib/fcgi_client.py): root refusal, the unix
# socket's mode and owner, idle and slow-loris connections that must not
# stall other clients, a worker killed and restarted, SIGTERM with a
# request in flight; then the event loop: idle, slow-params and slow-body
# clients with a held write lock and webhook deliveries on a TCP and a
# unix listener while check requests keep answering, keep-conn, refused
# multiplexing, management records, hostile records, deadlines and caps,
# and a webhook process that dies.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/webhook.sh"
t_setup serve
AG="$T_ROOT/build/asan/authgate"
DB="$T_DIR/db/authgate.db"
mkdir -p "$T_DIR/db"
t_db "$DB" || { t_fail setup "cannot build the test database"; t_finish; }
MEMBER=$(t_cookie demo-session-mia-member)

fcgi() { t_check "$@"; }	# fcgi ADDR URI [VAR=VALUE...]: the answer
fcgi_status() { t_check_status "$@"; }	# fcgi_status ID WANT ADDR URI [VAR=VALUE...]
workers() { pgrep -P "$1" -c; }
FC="python3 $T_ROOT/tests/lib/fcgi_client.py"
# fcgi3 ADDR URI [VAR=VALUE...]: the first line of a check answer, with a
# 3 s bound on the whole request (liveness, not a timing figure)
fcgi3() { T_FCGI_SECONDS=3 t_check "$@" | head -n 1 | tr -d '\r'; }
# delivery N: a signed Optare body for user.updated with event id N
delivery() {
	printf '{"id":"%s","timestamp":"%s","type":"user.updated","data":{"id":"u_mia","name":"Mia Member"}}' \
	    "$1" "$(date -u +%FT%TZ)"
}

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

# --- only loopback or a unix socket, unless --public says otherwise
# (checked before the database, the secrets or the socket are touched)
for a in 0.0.0.0:1 192.0.2.1:1 '[::]:1' '[2001:db8::1]:1' '[::ffff:10.0.0.1]:1'; do
	"$AG" serve --listen "$a" --user nobody --db "$T_DIR/none.db" > "$T_DIR/out" 2>&1
	[ $? = 2 ] && [ "$(wc -l < "$T_DIR/out")" = 1 ] && grep -qF -- "--listen $a is not a loopback address; " "$T_DIR/out" &&
	    grep -q 'or add --public' "$T_DIR/out" &&
	    t_pass "public-$a" || t_fail "public-$a" "$(cat "$T_DIR/out")"
done
"$AG" serve --listen 0.0.0.0:1 --user nobody --public --public > "$T_DIR/out" 2>&1
[ $? = 2 ] && grep -q -- '--public given twice' "$T_DIR/out" && t_pass public-twice || t_fail public-twice "$(cat "$T_DIR/out")"
"$AG" serve --listen 0.0.0.0:1 --user nobody --public=1 > "$T_DIR/out" 2>&1
[ $? = 2 ] && grep -q -- '--public takes no value' "$T_DIR/out" && t_pass public-value || t_fail public-value "$(cat "$T_DIR/out")"
# loopback beyond 127.0.0.1, and 0.0.0.0 with --public, do start
t_free_port PP
: > "$T_DIR/serve.log"
t_serve "127.0.0.2:$PP" "$DB" --workers 1	# (t_serve waits on 127.0.0.1: not here)
for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.2/$PP") 2>/dev/null && break; sleep 0.1; done
(exec 3<>"/dev/tcp/127.0.0.2/$PP") 2>/dev/null && t_pass public-lo-001 || t_fail public-lo-001 "$(cat "$T_DIR/serve.log")"
kill "$T_SERVE_PID"; wait "$T_SERVE_PID" 2>/dev/null
t_free_port PP
: > "$T_DIR/serve.log"
t_serve "0.0.0.0:$PP" "$DB" --workers 1 --public && t_pass public-001 || t_fail public-001 "$(cat "$T_DIR/serve.log")"
fcgi_status public-002 "200 OK" "127.0.0.1:$PP" /api/projects HTTP_COOKIE="$MEMBER"
grep -q "warning: serve: --public: 0.0.0.0:$PP answers every host" "$T_DIR/serve.log" && t_pass public-003 || t_fail public-003 "$(cat "$T_DIR/serve.log")"
kill "$T_SERVE_PID"; wait "$T_SERVE_PID" 2>/dev/null
: > "$T_DIR/serve.log"
# secrets: an empty or short one stops start-up in one line, before
# listening; --unsigned-sessions runs without one, warned
for e in "BETTER_AUTH_SECRET=" "BETTER_AUTH_SECRET=0123456789012345678901234567890"; do
	env "$e" "$AG" serve --listen 127.0.0.1:1 --user nobody --db "$DB" > "$T_DIR/out" 2>&1
	[ $? = 2 ] && [ "$(wc -l < "$T_DIR/out")" = 1 ] && grep -Eq 'BETTER_AUTH_SECRET is (empty|shorter than 32 bytes)' "$T_DIR/out" &&
	    t_pass "secret-${#e}" || t_fail "secret-${#e}" "$(cat "$T_DIR/out")"
done
t_free_port PP
chown -R nobody:nogroup "$T_DIR/db"
env BETTER_AUTH_SECRET= ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 "$AG" serve --listen "127.0.0.1:$PP" \
    --user nobody --db "$DB" --workers 1 --unsigned-sessions >>"$T_DIR/serve.log" 2>&1 &
T_SERVE_PID=$!; T_PIDS="$T_PIDS $T_SERVE_PID"
t_wait_port "$PP" && t_pass unsigned-001 || t_fail unsigned-001 "$(cat "$T_DIR/serve.log")"
fcgi_status unsigned-002 "200 OK" "127.0.0.1:$PP" /api/projects HTTP_COOKIE="better-auth.session_token=demo-session-mia-member"
grep -q 'warning: AUTHGATE_UNSIGNED_SESSIONS=1: session cookie signatures are not checked' "$T_DIR/serve.log" &&
    t_pass unsigned-003 || t_fail unsigned-003 "$(cat "$T_DIR/serve.log")"
kill "$T_SERVE_PID"; wait "$T_SERVE_PID" 2>/dev/null
: > "$T_DIR/serve.log"

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

# --- an idle connection and a slow-loris one cost a descriptor, never a
# worker; both are closed after the parameter deadline
IDLE_OPEN=0
exec 7<>"/dev/tcp/127.0.0.1/$PORT" && IDLE_OPEN=1	# connects, sends nothing
( printf '\001'; sleep 3; printf '\001'; sleep 3; printf '\000' ) > "/dev/tcp/127.0.0.1/$PORT" 2>/dev/null &
LORIS=$!
sleep 0.3
# each answered within 3 s (a liveness bound: a stalled request would wait
# out a read timeout; tests/bench/liveness.sh measures how long they take)
ok=0
for i in 1 2 3 4 5; do
	[ "$(fcgi3 "$A" /api/projects HTTP_COOKIE="$MEMBER")" = "Status: 200 OK" ] && ok=$((ok + 1))
done
t_ok stall-001 test "$ok" = 5
# the idle connection is dropped after the parameter deadline (2 s): its
# end comes within 5 s (as soon as the server closes it, not after a
# fixed wait)
if [ "$IDLE_OPEN" != 1 ]; then
	t_fail stall-003 "the idle connection could not be opened"
elif read -r -t 5 -u 7 x 2>/dev/null || [ $? -gt 128 ]; then
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
# (the delivery waits for an admin's write lock, released after SIGTERM)
t_lock_db "$DB" || t_fail term-000 "sqlite3 did not take the lock"
BODY=$(wh_event user.updated evt-term '{"id":"u_mia","name":"Mia Term"}')
SIG=$(wh_optare_sig "$BODY")
( printf '%s' "$BODY" | env -i REQUEST_METHOD=POST REQUEST_URI=/webhooks/optare CONTENT_LENGTH=${#BODY} \
    HTTP_X_OPTARE_SIGNATURE="sha256=$SIG" timeout 15 cgi-fcgi -bind -connect "127.0.0.1:$PORT" > "$T_DIR/inflight" 2>&1 ) &
CLIENT=$!
sleep 0.5
kill -TERM "$T_SERVE_PID"
sleep 0.5
t_unlock_db
wait "$CLIENT"
grep -q '"outcome":"applied"' "$T_DIR/inflight" && t_pass term-001 || t_fail term-001 "in-flight request lost: $(cat "$T_DIR/inflight")"
t_ok term-002 test "$(sqlite3 "$DB" "select name from \"user\" where id = 'u_mia'")" = "Mia Term"
for _ in $(seq 1 50); do kill -0 "$T_SERVE_PID" 2>/dev/null || break; sleep 0.1; done
[ -n "$T_SERVE_PID" ] && ! kill -0 "$T_SERVE_PID" 2>/dev/null && t_pass term-003 || t_fail term-003 "serve still running"
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

# --- the event loop under attack: 50 idle connections, slow parameters,
# slow webhook bodies, kept-alive idlers and signed deliveries while an
# admin holds the write lock; check requests keep answering, each within
# 3 s, on a TCP and on a unix listener with two workers
WH_SECRET=serve-webhook-secret
attack_case() {	# attack_case PREFIX ADDR
	local id=$1 addr=$2 good=0 total=0 i want got
	# the admin's lock is taken before the attack starts (a sqlite3 that
	# met a delivery's write first would never hold it) and released
	# after the check requests, while the senders go on
	t_lock_db "$DB" || t_fail "$id-000" "sqlite3 did not take the lock: $(cat "$T_DIR/lock.log")"
	$FC attack "$addr" 8 "$WH_SECRET" > "$T_DIR/attack-$id" 2>&1 &
	local attacker=$!
	sleep 1
	for i in $(seq 1 24); do
		if [ $((i % 2)) = 0 ]; then
			want="Status: 200 OK"; got=$(fcgi3 "$addr" /api/projects HTTP_COOKIE="$MEMBER")
		else
			want="Status: 401 Unauthorized"; got=$(fcgi3 "$addr" /api/projects)
		fi
		total=$((total + 1))
		[ "$got" = "$want" ] && good=$((good + 1)) || echo "  $id check $i: got '$got', want '$want'"
		sleep 0.2
	done
	t_unlock_db
	wait "$attacker"
	[ "$good" = "$total" ] && t_pass "$id-001" || t_fail "$id-001" "$good of $total check requests answered correctly under attack"
	# the server closed the idle and slow clients (each was reopened),
	# and every delivery got an answer (200, or 503 for the sender to
	# retry while the lock was held), never a stall or a missing status
	awk '/^connections/ { for (i = 2; i <= NF; i++) { split($i, kv, "="); n[kv[1]] = kv[2] } }
	    END { exit !(n["idle"] > 50 && n["loris-params"] > 10 && n["loris-body"] > 10) }' "$T_DIR/attack-$id" &&
	    t_pass "$id-002" || t_fail "$id-002" "slow or idle clients were not dropped: $(cat "$T_DIR/attack-$id")"
	grep -q '^deliveries ' "$T_DIR/attack-$id" && ! grep -Eq '^deliveries.*(none|no-status|error)' "$T_DIR/attack-$id" &&
	    t_pass "$id-003" || t_fail "$id-003" "$(cat "$T_DIR/attack-$id")"
	# the lock is gone: a delivery is applied
	got=$($FC deliver "$addr" "$WH_SECRET" "$(delivery "evt-after-$id")" | head -n 1)
	[ "$got" = "200 OK" ] && t_pass "$id-004" || t_fail "$id-004" "delivery after the lock: $got"
}
AUTHGATE_WEBHOOK_SECRET=$WH_SECRET t_serve "127.0.0.1:$PORT" "$DB" --workers 2 || t_fail load-000 "serve did not start"
A="127.0.0.1:$PORT"
attack_case load-tcp "$A"
# a held lock made deliveries wait in the webhook process, not a worker
grep -q 'webhook status=503 reason=store_busy' "$T_DIR/serve.log" && t_pass load-tcp-005 || t_fail load-tcp-005 "no delivery met the held lock"

# --- keep-conn (nginx fastcgi_keep_conn): requests on one connection,
# one after the other and all sent at once, answered in order
$FC keep "$A" "$MEMBER" /api/projects /api/admin/x /api/projects > "$T_DIR/out"
t_ok keep-001 test "$(tr '\n' '|' < "$T_DIR/out")" = "1 200 OK|2 403 Forbidden|3 200 OK|"
$FC pipeline "$A" "$MEMBER" /api/projects /api/admin/x /api/internal/x /api/projects > "$T_DIR/out"
t_ok keep-002 test "$(tr '\n' '|' < "$T_DIR/out")" = "1 200 OK|2 403 Forbidden|3 403 Forbidden|4 200 OK|"
$FC keep "$A" - /api/projects /api/projects > "$T_DIR/out"
t_ok keep-003 test "$(tr '\n' '|' < "$T_DIR/out")" = "1 401 Unauthorized|2 401 Unauthorized|"
# multiplexing is refused: END_REQUEST (type 3) for id 2 with
# FCGI_CANT_MPX_CONN (1); request 1 goes on and is answered
$FC mpx "$A" "$MEMBER" > "$T_DIR/out"
t_ok mpx-001 grep -qx 'first 3 2 1' "$T_DIR/out"
t_ok mpx-002 grep -qx 'request1 200 OK 0' "$T_DIR/out"
# management records: GET_VALUES answered, unknown types get UNKNOWN_TYPE
$FC values "$A" > "$T_DIR/out"
t_ok values-001 grep -qx 'values 10 FCGI_MAX_CONNS=512 FCGI_MAX_REQS=512 FCGI_MPXS_CONNS=0' "$T_DIR/out"
t_ok values-002 grep -qx 'unknown 11 42' "$T_DIR/out"
# ABORT_REQUEST ends the request (no answer), the connection serves on
$FC abort "$A" > "$T_DIR/out"
t_ok abort-001 test "$(tr '\n' '|' < "$T_DIR/out")" = "abort stdout=0 status=0|after 401 Unauthorized|"

# --- hostile input: the connection is closed (parameters over a limit
# get a 400 first), and no worker dies
before=$(pgrep -P "$T_SERVE_PID" | sort | tr '\n' ' ')
n=0
for kw in "garbage:closed status=- end=-" "version:closed status=- end=-" \
    "begin-length:closed status=- end=-" "bad-type:closed status=- end=-" \
    "mgmt-oversize:closed status=- end=-" "order:closed status=- end=-" \
    "params-oversize:closed status=400 Bad Request end=0" \
    "value-oversize:closed status=400 Bad Request end=0" \
    "param-nul:closed status=400 Bad Request end=0" \
    "truncated-pair:closed status=400 Bad Request end=0" \
    "filter-role:closed status=- end=3"; do
	n=$((n + 1))
	got=$($FC hostile "$A" "${kw%%:*}")
	[ "$got" = "${kw#*:}" ] && t_pass "$(printf 'hostile-%03d' $n)" || t_fail "$(printf 'hostile-%03d' $n)" "${kw%%:*}: got '$got', want '${kw#*:}'"
done
t_ok hostile-012 test "$(pgrep -P "$T_SERVE_PID" | sort | tr '\n' ' ')" = "$before"
t_ok hostile-013 test "$(fcgi3 "$A" /api/projects HTTP_COOKIE="$MEMBER")" = "Status: 200 OK"
grep -q 'deny status=400 reason=params_too_large' "$T_DIR/serve.log" && t_pass hostile-014 || t_fail hostile-014 "no params_too_large line"

# --- deadlines: a client that sends nothing, or trickles its parameters
# or its webhook body, is closed by the server (liveness bounds); an idle
# kept-alive connection is not closed by the parameter deadline. The four
# clients are independent: they wait side by side.
$FC hold "$A" 1 idle 4 > "$T_DIR/dl1" & h1=$!
$FC hold "$A" 1 loris-params 4 > "$T_DIR/dl2" & h2=$!
$FC hold "$A" 1 loris-body 8 > "$T_DIR/dl3" & h3=$!
$FC hold "$A" 1 keepidle 3 > "$T_DIR/dl4" & h4=$!
wait "$h1" "$h2" "$h3" "$h4"
t_ok deadline-001 grep -q '^held 1 closed 1 ' "$T_DIR/dl1"
t_ok deadline-002 grep -q '^held 1 closed 1 ' "$T_DIR/dl2"
t_ok deadline-003 grep -q '^held 1 closed 1 ' "$T_DIR/dl3"
t_ok deadline-004 grep -q '^held 1 closed 0 ' "$T_DIR/dl4"

# --- the webhook process dies: its worker stops and is restarted, and
# deliveries and decisions go on
wpid=$(pgrep -P "$(pgrep -P "$T_SERVE_PID" | head -n 1)" | head -n 1)
if [ -n "$wpid" ]; then
	kill -9 "$wpid"
	for _ in $(seq 1 50); do grep -q "webhook process $wpid ended (signal 9)" "$T_DIR/serve.log" && break; sleep 0.1; done
	grep -q "webhook process $wpid ended (signal 9)" "$T_DIR/serve.log" && grep -q 'stops: its webhook process is gone' "$T_DIR/serve.log" &&
	    t_pass whproc-001 || t_fail whproc-001 "no line for the dead webhook process"
	for _ in $(seq 1 50); do grep -q 'died (exit 3); restarting' "$T_DIR/serve.log" && [ "$(workers "$T_SERVE_PID")" = 2 ] && break; sleep 0.1; done
	grep -q 'died (exit 3); restarting' "$T_DIR/serve.log" && t_pass whproc-002 || t_fail whproc-002 "the worker was not restarted"
else
	t_fail whproc-001 "no webhook process under the first worker"; t_fail whproc-002 "-"
fi
for i in 1 2 3 4; do $FC deliver "$A" "$WH_SECRET" "$(delivery "evt-whproc-$i")" | head -n 1; done > "$T_DIR/out"
t_ok whproc-003 test "$(sort -u "$T_DIR/out")" = "200 OK"
t_ok whproc-004 test "$(fcgi3 "$A" /api/projects HTTP_COOKIE="$MEMBER")" = "Status: 200 OK"
kill "$T_SERVE_PID"; wait "$T_SERVE_PID" 2>/dev/null

# --- the same attack on a unix socket
AUTHGATE_WEBHOOK_SECRET=$WH_SECRET t_serve "$SOCK" "$DB" --workers 2 || t_fail load-unix-000 "serve on a socket did not start"
attack_case load-unix "$SOCK"
kill "$T_SERVE_PID"; wait "$T_SERVE_PID" 2>/dev/null

# --- one worker: caps. Past SERVE_MAX_KEEPALIVE (64) idle kept-alive
# connections the oldest are closed; past SERVE_MAX_CONNS (512) the
# oldest unfinished ones give way, and a check request still gets in
t_serve "127.0.0.1:$PORT" "$DB" --workers 1 || t_fail cap-000 "serve did not start"
$FC hold "$A" 70 keepidle 2 > "$T_DIR/out"
t_ok cap-001 grep -q '^held 70 closed 6 first_closed 0,1,2,3,4,5$' "$T_DIR/out"
$FC hold "$A" 600 idle 1 > "$T_DIR/out" &
holder=$!
sleep 0.5
got=$(fcgi3 "$A" /api/projects HTTP_COOKIE="$MEMBER")
wait "$holder"
t_ok cap-002 test "$got" = "Status: 200 OK"
awk '/^held/ { exit !($2 == 600 && $4 >= 88) }' "$T_DIR/out" && t_pass cap-003 || t_fail cap-003 "$(head -c 300 "$T_DIR/out")"
# one worker, 50 idle and 10 slow clients: it still answers everyone
$FC hold "$A" 50 idle 3 > /dev/null &
h1=$!
$FC hold "$A" 10 loris-params 3 > /dev/null &
h2=$!
sleep 0.5
ok=0
for i in 1 2 3 4 5; do [ "$(fcgi3 "$A" /api/projects HTTP_COOKIE="$MEMBER")" = "Status: 200 OK" ] && ok=$((ok + 1)); done
wait "$h1" "$h2"
t_ok stall-005 test "$ok" = 5
t_ok cap-004 test "$(workers "$T_SERVE_PID")" = 1
kill "$T_SERVE_PID"; wait "$T_SERVE_PID" 2>/dev/null

t_sanitizers asan-001 "$T_DIR/serve.log"
t_finish
