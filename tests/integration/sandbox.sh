#!/bin/bash
# sandbox.sh - the sandbox of the processes that answer requests
# (src/sandbox.c), with the test hooks of the sanitizer build.
#
# `authgate serve --user nobody`, driven by cgi-fcgi: every worker runs
# with no_new_privs and a seccomp filter; a forbidden system call kills
# the worker with SIGSYS, the supervisor restarts it and the next request
# is answered; a client cannot reach the hooks (HTTP_ prefix); landlock
# keeps a worker to the database directory, and the database still works
# after it is replaced by mv; a sanitizer report comes out whole from
# inside the sandbox. Under the shipped lighttpd.conf, where no client can
# set a hook parameter: every authgate process is filtered, and a decision
# matrix and a webhook delivery work with nothing killed.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/webhook.sh"
t_setup sandbox
AG="$T_ROOT/build/asan/authgate"
DB="$T_DIR/db/authgate.db"
mkdir -p "$T_DIR/db"
t_db "$DB" || { t_fail setup "cannot build the test database"; t_finish; }
unset AUTHGATE_WEBHOOK_SECRET AUTHGATE_WEBHOOK_SECRET_FILE
WH_SECRET=sandbox-webhook-secret
t_creds || { t_fail setup "authgate cookie failed"; t_finish; }
LOG="$T_DIR/serve.log"

check() { t_check "$@"; }	# check ADDR URI [VAR=VALUE...]: the answer
check_status() { t_check_status "$@"; }	# check_status ID WANT ADDR URI [VAR=VALUE...]
# hook ID WANT-STATUS BODY-REGEX ADDR VAR=VALUE: a request carrying a hook.
hook() {
	local id=$1 want=$2 re=$3 addr=$4 out; shift 4
	out=$(check "$addr" /api/projects HTTP_COOKIE="$MEMBER" "$@")
	if [ "$(echo "$out" | head -n 1 | tr -d '\r')" = "Status: $want" ] &&
	    echo "$out" | grep -E -q -- "$re"; then t_pass "$id"
	else t_fail "$id" "$* answered: $(echo "$out" | tr '\r\n' '  ')"; fi
}
workers() { pgrep -P "$T_SERVE_PID" | sort; }
# each worker's webhook process (its only child)
whprocs() { local w; for w in $(workers); do pgrep -P "$w"; done | sort; }
n_whprocs() { [ "$(whprocs | wc -l)" = "$1" ]; }
deaths() { grep -c "died (signal $1); restarting" "$LOG"; }
deaths_are() { [ "$(deaths 31)" = "$1" ]; }	# re-read on every poll
# until_true SECONDS CMD...: polls CMD every 0.1 s.
until_true() {
	local n=$(($1 * 10)); shift
	while [ "$n" -gt 0 ]; do "$@" && return 0; sleep 0.1; n=$((n - 1)); done
	return 1
}
# sandboxed PID: /proc says no_new_privs and a seccomp filter.
sandboxed() {
	grep -q '^NoNewPrivs:[[:space:]]*1$' "/proc/$1/status" 2>/dev/null &&
	grep -q '^Seccomp:[[:space:]]*2$' "/proc/$1/status" 2>/dev/null
}
all_sandboxed() {
	local p n=0
	for p in "$@"; do sandboxed "$p" || return 1; n=$((n + 1)); done
	[ "$n" -gt 0 ]
}
n_workers() { [ "$(workers | wc -l)" = "$1" ]; }

# --- the hooks exist in the sanitizer build only
t_ok build-001 grep -a -q AUTHGATE_TEST_SYSCALL "$AG"
t_lacks build-002 AUTHGATE_TEST_ "$T_ROOT/cgi-bin/authgate"

# --- authgate serve: every worker is sandboxed
PORT=$(t_port)
A="127.0.0.1:$PORT"
AUTHGATE_WEBHOOK_SECRET=$WH_SECRET t_serve "$A" "$DB" --workers 2 ||
	t_fail serve-000 "serve did not start: $(cat "$LOG")"
check_status serve-001 "200 OK" "$A" /api/projects HTTP_COOKIE="$MEMBER"
until_true 5 n_workers 2
t_ok serve-002 until_true 5 all_sandboxed $(workers)
# the webhook processes too (they write the database, the workers do not)
until_true 5 n_whprocs 2
t_ok serve-005 until_true 5 all_sandboxed $(whprocs)
LANDLOCK=1
grep -q 'landlock unavailable' "$LOG" && LANDLOCK=0
[ "$LANDLOCK" = 1 ] || echo "note: no landlock in this kernel; expecting seccomp only"

# --- a forbidden system call kills the worker; it is restarted and the
# next request is answered
i=0
for call in socket execve kill; do
	i=$((i + 1))
	before=$(deaths 31)
	old=$(workers | tr '\n' ' ')
	out=$(check "$A" /api/projects HTTP_COOKIE="$MEMBER" AUTHGATE_TEST_SYSCALL=$call)
	# no answer, from a server that is there (an empty answer from no
	# server at all would prove nothing)
	if [ -n "$out" ]; then t_fail "kill-$i-1" "$call answered: $(echo "$out" | head -n 1)"
	elif ! kill -0 "$T_SERVE_PID" 2>/dev/null || ! (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
		t_fail "kill-$i-1" "no server to answer $call"
	else t_pass "kill-$i-1"; fi
	t_ok "kill-$i-2" until_true 5 deaths_are $((before + 1))
	t_ok "kill-$i-3" until_true 5 n_workers 2
	t_ok "kill-$i-4" test "$(workers | tr '\n' ' ')" != "$old"
	t_ok "kill-$i-5" until_true 5 all_sandboxed $(workers)
	check_status "kill-$i-6" "200 OK" "$A" /api/projects HTTP_COOKIE="$MEMBER"
done
# a client's header arrives with the HTTP_ prefix: no hook, nobody dies
before=$(deaths 31)
check_status client-001 "200 OK" "$A" /api/projects HTTP_COOKIE="$MEMBER" \
    HTTP_AUTHGATE_TEST_SYSCALL=1 HTTP_AUTHGATE_TEST_OPEN=/etc/passwd
check_status client-002 "403 Forbidden" "$A" /api/admin/x HTTP_COOKIE="$MEMBER" \
    HTTP_AUTHGATE_TEST_SYSCALL=socket
sleep 0.5
t_same client-003 "$(deaths 31)" "$before"

# --- landlock: nothing outside the database directory (DAC would allow
# all of these to nobody: the refusal is the sandbox's)
mkdir -p "$T_DIR/outside"
echo secret > "$T_DIR/outside/readable"
chmod 644 "$T_DIR/outside/readable"
chown -R nobody "$T_DIR/outside"
if [ "$LANDLOCK" = 1 ]; then
	hook fs-001 "403 Forbidden" EACCES "$A" AUTHGATE_TEST_OPEN=/etc/passwd
	hook fs-002 "403 Forbidden" EACCES "$A" AUTHGATE_TEST_OPEN="$T_DIR/outside/readable"
	hook fs-003 "403 Forbidden" EACCES "$A" AUTHGATE_TEST_OPEN="w:$T_DIR/outside/new"
	t_ok fs-004 test ! -e "$T_DIR/outside/new"
	hook fs-005 "403 Forbidden" EACCES "$A" AUTHGATE_TEST_OPEN="$T_ROOT/db/schema.sql"
else
	hook fs-001 "409 Error" 'open succeeded' "$A" AUTHGATE_TEST_OPEN=/etc/passwd
fi
# inside it, and /dev/urandom, all is as before
hook fs-010 "409 Error" 'open succeeded' "$A" AUTHGATE_TEST_OPEN="$DB"
hook fs-011 "409 Error" 'open succeeded' "$A" AUTHGATE_TEST_OPEN="w:$T_DIR/db/created"
t_ok fs-012 test -f "$T_DIR/db/created"
rm -f "$T_DIR/db/created"
hook fs-013 "409 Error" 'open succeeded' "$A" AUTHGATE_TEST_OPEN=/dev/urandom

# --- a webhook is applied from inside the sandbox (writes, commits)
BODY=$(wh_role_event evt-sandbox-1 admin)
SIG=$(wh_optare_sig "$BODY")
out=$(printf '%s' "$BODY" | t_fcgi "$A" REQUEST_METHOD=POST REQUEST_URI=/webhooks/optare \
    CONTENT_LENGTH=${#BODY} HTTP_X_OPTARE_SIGNATURE="sha256=$SIG")
echo "$out" | grep -q '"outcome":"applied"' && t_pass hook-001 || t_fail hook-001 "$(echo "$out" | tr '\r\n' '  ')"
check_status hook-002 "200 OK" "$A" /api/admin/x HTTP_COOKIE="$MEMBER"
t_ok hook-003 test "$(sqlite3 "$DB" "select role from member where id = 'm_mia'")" = admin

# --- the database replaced by mv (a restore): the running workers notice,
# lock the directory, remove the old -wal/-shm and reopen, all inside the
# sandbox; Mia's session is gone from the new file
NEXT="$T_DIR/db/next.db"
t_db "$NEXT" || t_fail replace-000 "cannot build the replacement"
sqlite3 "$NEXT" "delete from session where token = 'demo-session-mia-member'"
chown nobody "$NEXT"
before=$(deaths 31)
mv "$NEXT" "$DB"
gone() { [ "$(check "$A" /api/projects HTTP_COOKIE="$MEMBER" | head -n 1 | tr -d '\r')" = "Status: 401 Unauthorized" ]; }
t_ok replace-001 until_true 5 gone
ok=0
for _ in 1 2 3 4 5 6; do gone && ok=$((ok + 1)); done
t_ok replace-002 test "$ok" = 6
check_status replace-003 "200 OK" "$A" /api/admin/x HTTP_COOKIE="$ADMIN"
t_ok replace-004 grep -q 'was replaced; reopening' "$LOG"
t_lacks replace-005 'cannot (lock|remove)|cannot open database' "$LOG"
t_same replace-006 "$(deaths 31)" "$before"

# --- nothing was killed but on purpose, and no sanitizer report
t_ok serve-003 test "$(deaths 31)" = 3
t_ok serve-004 test "$(grep -c 'died' "$LOG")" = 3
t_sanitizers asan-001 "$LOG"
kill "$T_SERVE_PID"; wait "$T_SERVE_PID" 2>/dev/null
mv "$LOG" "$T_DIR/serve-1.log"

# --- a decision-only worker (no webhook secret): same answers, the
# webhook is refused, nobody dies
t_serve "$A" "$DB" --workers 2 || t_fail decide-000 "serve did not start: $(cat "$LOG")"
check_status decide-001 "401 Unauthorized" "$A" /api/projects
check_status decide-002 "200 OK" "$A" /api/admin/x HTTP_COOKIE="$ADMIN"
check_status decide-003 "401 Unauthorized" "$A" /api/projects HTTP_COOKIE="$MEMBER"
until_true 5 n_workers 2
t_ok decide-004 until_true 5 all_sandboxed $(workers)
until_true 5 n_whprocs 2
t_ok decide-008 until_true 5 all_sandboxed $(whprocs)
out=$(printf '{}' | t_fcgi "$A" REQUEST_METHOD=POST REQUEST_URI=/webhooks/optare CONTENT_LENGTH=2)
echo "$out" | head -n 1 | grep -q '^Status: 503' && t_pass decide-005 || t_fail decide-005 "$(echo "$out" | head -n 1)"
[ "$LANDLOCK" = 1 ] && hook decide-006 "403 Forbidden" EACCES "$A" AUTHGATE_TEST_OPEN=/etc/passwd
t_ok decide-007 test "$(grep -c 'died' "$LOG")" = 0
t_sanitizers asan-002 "$LOG"
kill "$T_SERVE_PID"; wait "$T_SERVE_PID" 2>/dev/null
mv "$LOG" "$T_DIR/serve-2.log"

# --- a sanitizer report from inside the sandbox is whole: symbolized
# frames and the summary, then the abort (abort_on_error=1), not SIGSYS
t_serve "$A" "$DB" --workers 1 || t_fail asan-010 "serve did not start: $(cat "$LOG")"
check "$A" /api/projects AUTHGATE_TEST_CRASH=heap-overflow > /dev/null
t_ok asan-011 until_true 10 grep -q 'died (signal 6); restarting' "$LOG"
t_ok asan-012 grep -q 'ERROR: AddressSanitizer: heap-buffer-overflow' "$LOG"
t_ok asan-013 grep -E -q ' in sandbox_test_hook .*src/sandbox\.c:[0-9]+' "$LOG"
t_ok asan-014 grep -q 'SUMMARY: AddressSanitizer: heap-buffer-overflow' "$LOG"
t_ok asan-015 test "$(grep -c 'signal 31' "$LOG")" = 0
check_status asan-016 "200 OK" "$A" /api/admin/x HTTP_COOKIE="$ADMIN"
kill "$T_SERVE_PID"; wait "$T_SERVE_PID" 2>/dev/null

# --- the shipped lighttpd.conf: authgate processes started by lighttpd
# (as root here) are sandboxed from the start; no client can set a hook.
# Run with the sanitizer build (P=light) and the shipped one (P=ship,
# cgi-bin/authgate, which has no hooks and no sanitizer allowances).
apps() { pgrep -P "$T_LPID" -x authgate | sort; }
n_apps() { [ "$(apps | wc -l)" -ge 4 ]; }	# 2 authorizers, 2 webhooks
# revoked URL: Mia's session is refused there (the new file is read)
revoked() { [ "$(curl -s -o /dev/null -w '%{http_code}' -b "$MEMBER" "$1/api/projects")" = 401 ]; }

# lighttpd_case P BIN
lighttpd_case() {
	local P=$1 bin=$2 ldb="$T_DIR/$1-db/authgate.db" lport start elog u body sig
	mkdir -p "$T_DIR/$P-db"
	t_db "$ldb" || t_fail "$P-000" "cannot build the lighttpd database"
	lport=$(t_port)
	AUTHGATE_WEBHOOK_SECRET=$WH_SECRET t_lighttpd "$lport" "$T_DIR/$P-state" "$ldb" "$bin" ||
		t_fail "$P-000" "lighttpd did not start: $(cat "$T_DIR/$P-state/error.log")"
	u="http://127.0.0.1:$lport"
	elog="$T_DIR/$P-state/error.log"
	t_ok "$P-001" until_true 10 n_apps
	t_ok "$P-002" until_true 5 all_sandboxed $(apps)
	start=$(apps | tr '\n' ' ')
	t_status "$P-010" 401 "$u/api/projects"
	t_status "$P-011" 200 -b "$MEMBER" "$u/api/projects"
	t_body   "$P-012" '^AUTH_USER_ID=u_mia$'
	t_status "$P-013" 403 -b "$MEMBER" "$u/api/admin/users"
	t_status "$P-014" 200 -b "$ADMIN" "$u/api/admin/users"
	t_status "$P-015" 200 -b "$OWNER" "$u/api/admin/users"
	t_status "$P-016" 403 -b "$GUEST" -X POST --data x "$u/api/projects/p1"
	t_status "$P-017" 401 -b "$EXPIRED" "$u/api/projects"
	t_status "$P-018" 403 -b "$BANNED" "$u/api/projects"
	t_status "$P-019" 200 -H "Authorization: Bearer $KEY" "$u/api/projects"
	t_status "$P-020" 200 -H "x-api-key: $KEY" "$u/api/projects"
	t_status "$P-021" 401 -H "Authorization: Bearer ag_no_such_key" "$u/api/projects"
	t_status "$P-022" 200 "$u/api/health"
	t_status "$P-023" 400 "$u/api/a%2fb"
	t_status "$P-024" 302 -H 'Accept: text/html' "$u/app/dashboard"
	# what a client sends arrives as HTTP_*: the hooks stay out of reach
	t_status "$P-030" 200 -b "$MEMBER" -H 'AUTHGATE_TEST_SYSCALL: 1' \
	    -H 'AUTHGATE-TEST-OPEN: /etc/passwd' -H 'AUTHGATE_TEST_CRASH: heap-overflow' "$u/api/projects"
	t_body   "$P-031" '^AUTH_USER_ID=u_mia$'
	# a webhook delivery is applied by a sandboxed responder, and the
	# authorizers see it on the next request
	body=$(wh_event member.role.changed "evt-$P" '{"id":"m_gus","organizationId":"org_acme","userId":"u_gus","role":"member"}')
	wh_post  "$P-040" 200 "$body" "$u/webhooks/optare"
	t_body   "$P-041" '"outcome":"applied"'
	t_status "$P-042" 200 -b "$GUEST" -X POST --data x "$u/api/projects/p1"
	t_status "$P-043" 400 -X POST -H "X-Optare-Signature: sha256=00" --data-binary "$body" "$u/webhooks/optare"
	# the database replaced by mv: the authorizers reopen it, inside the sandbox
	t_db "$T_DIR/$P-db/next.db" && sqlite3 "$T_DIR/$P-db/next.db" \
	    "delete from session where token = 'demo-session-mia-member'" &&
	    mv "$T_DIR/$P-db/next.db" "$ldb"
	# noticed within the replaced-file check (250 ms): polled, up to 5 s
	until_true 5 revoked "$u"
	t_status "$P-044" 401 -b "$MEMBER" "$u/api/projects"
	t_status "$P-045" 200 -b "$ADMIN" "$u/api/admin/users"
	# and the webhook responders write to the new file
	body=$(wh_event user.updated "evt-$P-2" '{"id":"u_adam","name":"Adam '"$P"'"}')
	wh_post  "$P-046" 200 "$body" "$u/webhooks/optare"
	t_ok "$P-047" test "$(sqlite3 "$ldb" "select name from \"user\" where id = 'u_adam'")" = "Adam $P"
	# the same processes answered everything: none died or was replaced
	t_same "$P-050" "$(apps | tr '\n' ' ')" "$start"
	t_lacks "$P-051" 'child (signalled|exited)|died|not serving' "$elog"
	t_sanitizers "$P-052" "$elog"
	kill "$T_LPID"; wait "$T_LPID" 2>/dev/null
}
lighttpd_case light "$AG"
lighttpd_case ship "$T_ROOT/cgi-bin/authgate"
t_finish
