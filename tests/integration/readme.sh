#!/bin/bash
# readme.sh - the README's walkthrough, run line by line against `make run`
# (on a free port, with its own demo database): each curl line must give
# the status written in its comment.
. "$(dirname "$0")/../lib/common.sh"
t_setup readme
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

# The walkthrough block, between its markers, without the fences.
sed -n '/<!-- walkthrough:begin -->/,/<!-- walkthrough:end -->/p' "$T_ROOT/README.md" |
    grep -v -e '^<!--' -e '^```' > "$T_DIR/walkthrough.sh"
n=$(grep -c '^curl .*# [0-9][0-9][0-9]$' "$T_DIR/walkthrough.sh")
[ "$n" -ge 20 ] && t_pass walk-count || t_fail walk-count "only $n curl lines found"

# Each "curl ... # NNN" line becomes a checked call; other lines run as is.
i=0
{
	while IFS= read -r line; do
		if [[ $line =~ ^curl\ (.*)\ +#\ ([0-9]{3})$ ]]; then
			i=$((i + 1))
			args=${BASH_REMATCH[1]//127.0.0.1:8080/127.0.0.1:$PORT}
			printf 't_status walk-%03d %s %s\n' "$i" "${BASH_REMATCH[2]}" "$args"
		else
			printf '%s\n' "$line"
		fi
	done < "$T_DIR/walkthrough.sh"
} > "$T_DIR/checked.sh"
. "$T_DIR/checked.sh"

# The identity sample printed in the README is what the backend shows.
t_status walk-sample 200 -b "$MEMBER" "http://127.0.0.1:$PORT/api/projects"
t_body walk-sample-user '^AUTH_USER_ID=u_mia$'
t_body walk-sample-org '^AUTH_ORG_SLUG=acme$'
t_finish
