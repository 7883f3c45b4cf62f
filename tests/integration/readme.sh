#!/bin/bash
# readme.sh - README.md's walkthrough, run line by line against `make run`
# (on a free port, with its own demo database): each curl line must give
# the status written in its comment; then the README's second block (a
# live rule change and `authgate check`), each command checked too.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/walkthrough.sh"
t_setup readme
t_make_run
t_walkthrough walkthrough
n=$(grep -c '^curl .*# [0-9][0-9][0-9]$' "$T_DIR/walkthrough.sh")
[ "$n" -ge 20 ] && t_pass walk-count || t_fail walk-count "only $n curl lines found"
# Each "curl ... # NNN" line is a checked call; other lines run as is.
. "$T_DIR/checked.sh"

# The identity sample printed in the README is what the backend shows.
t_status walk-sample 200 -b "$MEMBER" "http://127.0.0.1:$PORT/api/projects"
t_body walk-sample-user '^AUTH_USER_ID=u_mia$'
t_body walk-sample-org '^AUTH_ORG_SLUG=acme$'

# The live rule change and the offline explanation that follow it, with
# the walkthrough's variables ($ADMIN, $MEMBER) still set.
WALK_ID=more t_walkthrough walkthrough-more commands README.md
n=$(grep -c '^curl .*# [0-9][0-9][0-9]$' "$T_DIR/walkthrough.sh")
[ "$n" -ge 2 ] && t_pass more-count || t_fail more-count "only $n curl lines found"
. "$T_DIR/checked.sh" > "$T_DIR/more.log" 2>&1
cat "$T_DIR/more.log"
grep -q '^reason: role_required$' "$T_DIR/more.log" && t_pass more-check-reason ||
    t_fail more-check-reason "authgate check did not print reason: role_required"
t_finish
