# tests/lib/walkthrough.sh - the walkthroughs of README.md and docs/ run
# line by line against `make run`, as a reader would follow them. Source it
# after common.sh. tests/lib/docs_check.py reads each suite's
# "t_walkthrough NAME [MODE] [FILE]" line to know which blocks a test runs:
# keep NAME and FILE literal there.

# t_make_run: `make run` on a free port ($PORT), with its own demo
# database ($T_DIR/authgate.db) and state; fails the suite when it does
# not start. lighttpd is make's grandchild: the EXIT trap stops it by its
# pid file too.
t_make_run() {
	PORT=$(t_port)
	make -C "$T_ROOT" -s run PORT="$PORT" DEMO_DB="$T_DIR/authgate.db" \
	    RUN_DIR="$T_DIR/run" > "$T_DIR/make-run.log" 2>&1 &
	T_PIDS="$T_PIDS $!"
	trap 'kill $(cat "$T_DIR/run/lighttpd.pid" 2>/dev/null) 2>/dev/null; t_cleanup' EXIT
	if ! t_wait_port "$PORT"; then
		t_fail setup "make run did not start: $(tail -n 5 "$T_DIR/make-run.log")"
		t_finish
	fi
}

# t_walkthrough NAME [MODE] [FILE]: the block of FILE (default README.md,
# relative to the checkout) between <!-- NAME:begin --> and
# <!-- NAME:end --> (without its fences and comments) as
# $T_DIR/walkthrough.sh, and as $T_DIR/checked.sh, the same lines made
# checks against this demo: each "curl ... # NNN" line a t_status
# $WALK_ID-NNN (default walk-NNN; the port made $PORT, db/authgate.db the
# test's database); with MODE "commands", every other command a check
# that it exits 0, or N when its line ends "# exit N". checked.sh runs
# from the checkout.
t_walkthrough() {
	local name=$1 mode=${2:-} file=${3:-README.md} line i=0 want id=${WALK_ID:-walk}
	if ! grep -q "<!-- $name:begin -->" "$T_ROOT/$file" 2>/dev/null; then
		t_fail setup "no <!-- $name:begin --> block in $file"
		t_finish
	fi
	sed -n "/<!-- $name:begin -->/,/<!-- $name:end -->/p" "$T_ROOT/$file" |
	    grep -v -e '^<!--' -e '^```' > "$T_DIR/walkthrough.sh"
	{
		echo 'cd "$T_ROOT"'
		while IFS= read -r line; do
			line=${line//db\/authgate.db/$T_DIR/authgate.db}
			if [[ $line =~ ^curl\ (.*)\ +#\ ([0-9]{3})$ ]]; then
				i=$((i + 1))
				printf 't_status %s-%03d %s %s\n' "$id" "$i" "${BASH_REMATCH[2]}" \
				    "${BASH_REMATCH[1]//127.0.0.1:8080/127.0.0.1:$PORT}"
			elif [ "$mode" != commands ] || [[ $line =~ ^[[:space:]]*(#.*)?$ ]]; then
				printf '%s\n' "$line"
			else
				i=$((i + 1))
				want=0
				[[ $line =~ \#\ exit\ ([0-9])$ ]] && want=${BASH_REMATCH[1]}
				printf '%s\n' "$line"
				printf '__rc=$?; [ "$__rc" = %s ] && t_pass %s-%03d || t_fail %s-%03d "exit $__rc, want %s: %s"\n' \
				    "$want" "$id" "$i" "$id" "$i" "$want" "$(printf '%q' "$line" | tr -d "\n")"
			fi
		done < "$T_DIR/walkthrough.sh"
	} > "$T_DIR/checked.sh"
}
