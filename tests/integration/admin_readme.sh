#!/bin/bash
# admin_readme.sh - the "ten everyday tasks" of docs/admin.md,
# run line by line against `make run` (on a free port, with its own demo
# database), as an admin would follow it on a fresh machine: each curl
# line must give the status in its comment, each "# exit N" line that
# exit code, and every other command must succeed.
#
# The block sits between <!-- admin-walkthrough:begin --> and
# <!-- admin-walkthrough:end --> in docs/admin.md.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/walkthrough.sh"
t_setup admin_readme
t_make_run
# Paths and the port of the demo become this test's; each line becomes a
# checked call; the CLI runs from the checkout, as docs/admin.md says.
t_walkthrough admin-walkthrough commands docs/admin.md
n=$(grep -c '^curl .*# [0-9][0-9][0-9]$' "$T_DIR/walkthrough.sh")
[ "$n" -ge 10 ] && t_pass walk-curl-count || t_fail walk-curl-count "only $n curl lines"
n=$(grep -c '^# [0-9]*\. ' "$T_DIR/walkthrough.sh")
[ "$n" -ge 10 ] && t_pass walk-task-count || t_fail walk-task-count "only $n numbered tasks"
for c in 'key create' 'key list' 'key rotate' 'key revoke' 'rule add' 'rule test' \
    'rule set' 'rule rm' 'rule list' 'check ' 'stats' 'doctor' authgate_active_sessions authgate_keys; do
	grep -q -- "$c" "$T_DIR/walkthrough.sh" && t_pass "walk-has-$c" || t_fail "walk-has-$c" "the walkthrough does not show $c"
done

. "$T_DIR/checked.sh" > "$T_DIR/walk.log" 2> "$T_DIR/walk.err"
grep -E '^(ok|FAIL) ' "$T_DIR/walk.log"

# What the walkthrough did is there to see afterwards.
DB="$T_DIR/authgate.db"
t_ok walk-after-001 test "$(sqlite3 "$DB" "select count(*) from authgate_keys where name = 'ci-deploy' and state = 'disabled'")" -ge 2
t_ok walk-after-002 test "$(sqlite3 "$DB" "select count(*) from authgate_rule where path = '/api/billing/**'")" = 0
t_ok walk-after-003 test "$(sqlite3 "$DB" "select role from member where id = 'm_mia'")" = member
t_ok walk-after-004 test "$(sqlite3 "$DB" "select banned from \"user\" where id = 'u_mia'")" = 0
# no key, hash, cookie or secret in what the CLI printed, but each new
# key once, in its own "key:" line
hash=$(sqlite3 "$DB" "select key from apikey where name = 'ci-deploy' limit 1")
grep -v '^key: ' "$T_DIR/walk.log" > "$T_DIR/walk.nokeys"
if [ -z "$hash" ]; then t_fail walk-after-005 "no ci-deploy key hash to look for"
else t_lacks walk-after-005 "ag_[A-Za-z0-9_-]{43}|$hash" "$T_DIR/walk.nokeys"; fi
# the walkthrough can be followed again on the same demo
# (every check of the first run passes again: a second run that checked
# nothing is no second run)
p=$T_PASS f=$T_FAIL
{ . "$T_DIR/checked.sh"; } > "$T_DIR/walk2.log" 2>&1
T_PASS=$p T_FAIL=$f
n1=$(grep -c '^ok ' "$T_DIR/walk.log") n2=$(grep -c '^ok ' "$T_DIR/walk2.log")
if grep -q '^FAIL ' "$T_DIR/walk2.log"; then
	t_fail walk-again "second run: $(grep '^FAIL ' "$T_DIR/walk2.log" | head -3)"
elif [ "$n2" -eq 0 ] || [ "$n2" != "$n1" ]; then
	t_fail walk-again "second run: $n2 checks passed, the first $n1"
else t_pass walk-again; fi
t_finish
