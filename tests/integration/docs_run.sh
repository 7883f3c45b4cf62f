#!/bin/bash
# docs_run.sh - the runnable examples of docs/ that no other suite runs,
# line by line against `make run` (on a free port, with its own demo
# database), as a reader would paste them: each "curl ... # NNN" line must
# give that status, each "# exit N" line that exit code, and every other
# command must exit 0. The blocks sit between <!-- NAME:begin --> and
# <!-- NAME:end -->; tests/lib/docs_check.py reads the t_walkthrough lines
# below to know that they are run (keep NAME and FILE literal).
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/walkthrough.sh"
t_setup docs_run
t_make_run

# run_block ID: the block just extracted by t_walkthrough, with its checks
# counted; a block that checked nothing is a failure.
run_block() {
	local id=$1 p=$T_PASS f=$T_FAIL
	. "$T_DIR/checked.sh" > "$T_DIR/$id.log" 2>&1
	grep -E '^(ok|FAIL) ' "$T_DIR/$id.log"
	if [ $((T_PASS + T_FAIL - p - f)) -lt 3 ]; then
		t_fail "$id-count" "only $((T_PASS + T_FAIL - p - f)) checks ran"
	else t_pass "$id-count"; fi
	cd "$T_ROOT" || exit 2
}

WALK_ID=cli t_walkthrough docs-cli commands docs/cli.md
run_block cli
# what the examples printed is what cli.md says
grep -q '^authgate [0-9]' "$T_DIR/cli.log" && t_pass cli-version || t_fail cli-version "no version line"
grep -q '^Location: /sign-in?next=/app/dashboard' "$T_DIR/cli.log" && t_pass cli-redirect ||
    t_fail cli-redirect "check did not show the sign-in redirect"
grep -q '^better-auth.session_token=demo-session-mia-member\.' "$T_DIR/cli.log" && t_pass cli-cookie ||
    t_fail cli-cookie "cookie did not print the signed cookie"

WALK_ID=rules t_walkthrough docs-rules commands docs/rules.md
run_block rules
grep -q '^rule: id=3 ' "$T_DIR/rules.log" && t_pass rules-case || t_fail rules-case "/API/Admin/users/ did not meet rule 3"
grep -q 'could never match' "$T_DIR/rules.log" && t_pass rules-hidden || t_fail rules-hidden "a hidden rule was not refused"
t_ok rules-removed test "$(sqlite3 "$T_DIR/authgate.db" "select count(*) from authgate_rule where path = '/api/reports/**'")" = 0

WALK_ID=import t_walkthrough docs-import commands docs/idp.md
run_block import
grep -q '^identity: user=u_ann .*role=admin' "$T_DIR/import.log" && t_pass import-applied ||
    t_fail import-applied "the imported session did not decide as Ann, admin"
t_ok import-refused test "$(sqlite3 "$T_DIR/authgate.db" "select count(*) from \"user\" where id = 'u_bob'")" = 0

WALK_ID=admin-more t_walkthrough docs-admin-more commands docs/admin.md
run_block admin-more
t_ok admin-more-signout test "$(sqlite3 "$T_DIR/authgate.db" "select count(*) from session where userId = 'u_nora'")" = 0

WALK_ID=backup t_walkthrough docs-backup commands docs/operations.md
run_block backup
grep -qx 'ok' "$T_DIR/backup.log" && t_pass backup-integrity || t_fail backup-integrity "integrity_check did not say ok"
t_ok backup-gone test ! -e "$T_DIR/authgate.db.backup"
t_finish
