#!/bin/bash
# config_checks.sh - docs/configuration-checks.md as written: every `sh`
# block not marked <!-- not-run: ... --> runs in one scratch directory
# (in page order, so a later block may use an earlier one's files) with
# `authgate` on PATH; each line with a `test` or `grep` is a check, and
# the block fails at the first that does not hold (the commands between
# are expected to fail or not, as their `test $? = N` says). Also the
# page's own rules: every fence has a language, every not-run says why.
# docs: runs every sh block of docs/configuration-checks.md
. "$(dirname "$0")/../lib/common.sh"
t_setup config_checks
DOC="$T_ROOT/docs/configuration-checks.md"
mkdir -p "$T_DIR/bin" "$T_DIR/work"
ln -sf "$T_ROOT/build/asan/authgate" "$T_DIR/bin/authgate"
unset BETTER_AUTH_SECRET BETTER_AUTH_SECRET_FILE AUTHGATE_DB AUTHGATE_UNSIGNED_SESSIONS \
    AUTHGATE_COOKIE_PREFIX AUTHGATE_WEBHOOK_SECRET AUTHGATE_WEBHOOK_SECRET_FILE \
    NEXTAUTH_SECRET NEXTAUTH_SECRET_FILE AUTH_SECRET AUTH_SECRET_FILE \
    AUTH_SECRET_1 AUTH_SECRET_1_FILE AUTH_SECRET_2 AUTH_SECRET_2_FILE \
    AUTH_SECRET_3 AUTH_SECRET_3_FILE AUTHGATE_TRUST_COOKIE_CACHE
export ASAN_OPTIONS=detect_leaks=1

[ -s "$DOC" ] && t_pass doc-exists || { t_fail doc-exists "no $DOC"; t_finish; }
# split the page: block N's text in $T_DIR/blockN.sh, its state in blocks.txt
awk -v dir="$T_DIR" '
	/^<!-- not-run: .+ -->$/ { notrun = 1; next }
	/^```/ && !inside {
		inside = 1; lang = substr($0, 4); n++
		if (lang == "") print "nolang " n > (dir "/blocks.txt")
		else if (lang == "sh") print (notrun ? "notrun " : "run ") n > (dir "/blocks.txt")
		else print "other " n > (dir "/blocks.txt")
		notrun = 0; next
	}
	/^```$/ && inside { inside = 0; next }
	inside && lang == "sh" { print > (dir "/block" n ".sh") }
	!inside && !/^[[:space:]]*$/ { notrun = 0 }
' "$DOC"
if grep -q '^nolang' "$T_DIR/blocks.txt"; then
	t_fail doc-labels "fences without a language: $(grep '^nolang' "$T_DIR/blocks.txt" | tr '\n' ' ')"
else t_pass doc-labels; fi
runs=$(grep -c '^run ' "$T_DIR/blocks.txt")
[ "$runs" -ge 5 ] && t_pass doc-run-count || t_fail doc-run-count "only $runs sh blocks run"
while read -r state n; do
	[ "$state" = run ] || continue
	sed -E '/(^|; )(test|grep) /s/$/ || exit 1/' "$T_DIR/block$n.sh" > "$T_DIR/block$n.run"
	( cd "$T_DIR/work" && PATH="$T_DIR/bin:$PATH" bash "$T_DIR/block$n.run" ) \
	    > "$T_DIR/block$n.out" 2>&1
	rc=$?
	if [ "$rc" = 0 ]; then t_pass "doc-block-$n"; else
		t_fail "doc-block-$n" "exit $rc: $(tail -c 400 "$T_DIR/block$n.out"); last stderr: $(cat "$T_DIR/work/err.txt" 2>/dev/null | head -c 300)"
	fi
done < "$T_DIR/blocks.txt"
t_finish
