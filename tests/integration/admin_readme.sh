#!/bin/bash
# admin_readme.sh - the README's "ten everyday tasks" (Administration),
# run line by line against `make run` (on a free port, with its own demo
# database), as an admin would follow it on a fresh machine: each curl
# line must give the status in its comment, each "# exit N" line that
# exit code, and every other command must succeed.
#
# The block sits between <!-- admin-walkthrough:begin --> and
# <!-- admin-walkthrough:end --> in README.md.
. "$(dirname "$0")/../lib/common.sh"
t_setup admin_readme

SRC="$T_ROOT/README.md"
if ! grep -q '<!-- admin-walkthrough:begin -->' "$SRC" 2>/dev/null; then
	t_fail setup "no <!-- admin-walkthrough:begin --> block in README.md"
	t_finish
fi

PORT=$(t_port)
make -C "$T_ROOT" -s run PORT="$PORT" DEMO_DB="$T_DIR/authgate.db" \
    RUN_DIR="$T_DIR/run" > "$T_DIR/make-run.log" 2>&1 &
T_PIDS="$T_PIDS $!"
if ! t_wait_port "$PORT"; then
	t_fail setup "make run did not start: $(tail -n 5 "$T_DIR/make-run.log")"
	t_finish
fi
# lighttpd is make's grandchild: stop it by its pid file too.
trap 'kill $(cat "$T_DIR/run/lighttpd.pid" 2>/dev/null) 2>/dev/null; t_cleanup' EXIT

# The block, between its markers, without the fences.
sed -n '/<!-- admin-walkthrough:begin -->/,/<!-- admin-walkthrough:end -->/p' "$SRC" |
    grep -v -e '^<!--' -e '^```' > "$T_DIR/walkthrough.sh"
n=$(grep -c '^curl .*# [0-9][0-9][0-9]$' "$T_DIR/walkthrough.sh")
[ "$n" -ge 10 ] && t_pass walk-curl-count || t_fail walk-curl-count "only $n curl lines"
n=$(grep -c '^# [0-9]*\. ' "$T_DIR/walkthrough.sh")
[ "$n" -ge 10 ] && t_pass walk-task-count || t_fail walk-task-count "only $n numbered tasks"
for c in 'key create' 'key list' 'key rotate' 'key revoke' 'rule add' 'rule test' \
    'rule set' 'rule rm' 'rule list' 'check ' 'stats' 'doctor' authgate_active_sessions authgate_keys; do
	grep -q -- "$c" "$T_DIR/walkthrough.sh" && t_pass "walk-has-$c" || t_fail "walk-has-$c" "the walkthrough does not show $c"
done

# Paths and the port of the demo become this test's; each line becomes a
# checked call; the CLI runs from the checkout, as the README says.
i=0
{
	echo 'cd "$T_ROOT"'
	while IFS= read -r line; do
		line=${line//db\/authgate.db/$T_DIR/authgate.db}
		if [[ $line =~ ^curl\ (.*)\ +#\ ([0-9]{3})$ ]]; then
			i=$((i + 1))
			args=${BASH_REMATCH[1]//127.0.0.1:8080/127.0.0.1:$PORT}
			printf 't_status walk-%03d %s %s\n' "$i" "${BASH_REMATCH[2]}" "$args"
		elif [[ $line =~ ^[[:space:]]*(#.*)?$ ]]; then
			printf '%s\n' "$line"
		else
			i=$((i + 1))
			want=0
			[[ $line =~ \#\ exit\ ([0-9])$ ]] && want=${BASH_REMATCH[1]}
			printf '%s\n' "$line"
			printf '__rc=$?; [ "$__rc" = %s ] && t_pass walk-%03d || t_fail walk-%03d "exit $__rc, want %s: %s"\n' \
			    "$want" "$i" "$i" "$want" "$(printf '%q' "$line" | tr -d "\n")"
		fi
	done < "$T_DIR/walkthrough.sh"
} > "$T_DIR/checked.sh"
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
grep -v '^key: ' "$T_DIR/walk.log" | grep -E -q -e 'ag_[A-Za-z0-9_-]{43}' -e "$(sqlite3 "$DB" "select key from apikey where name = 'ci-deploy' limit 1")" &&
	t_fail walk-after-005 "a key or hash was printed" || t_pass walk-after-005
# the walkthrough can be followed again on the same demo
p=$T_PASS f=$T_FAIL
{ . "$T_DIR/checked.sh"; } > "$T_DIR/walk2.log" 2>&1
T_PASS=$p T_FAIL=$f
if grep -q '^FAIL ' "$T_DIR/walk2.log"; then
	t_fail walk-again "second run: $(grep '^FAIL ' "$T_DIR/walk2.log" | head -3)"
else t_pass walk-again; fi
t_finish
