#!/bin/bash
# docs.sh - the rules every page of README.md and docs/ keeps, checked by
# tests/lib/docs_check.py on the tree: every fenced block has a language
# label; every sh block is run by a suite (between the markers of a block
# some tests/integration/*.sh runs with t_walkthrough) or is preceded by
# <!-- not-run: REASON -->; every relative link and #anchor resolves;
# README.md has at most 300 lines. First the checker itself, on small
# trees that break each rule once (a checker that cannot fail proves
# nothing).
. "$(dirname "$0")/../lib/common.sh"
t_setup docs
CHECK="$T_ROOT/tests/lib/docs_check.py"

# fixture NAME: a small tree in $T_DIR/NAME that keeps every rule; the
# cases below break one rule each.
fixture() {
	local d="$T_DIR/$1"
	mkdir -p "$d/docs" "$d/tests/integration"
	cat > "$d/README.md" <<-'MD'
	# Demo

	See [the guide](docs/guide.md#a-heading-with-code-and-dots), [run it](#run-it).

	## Run it

	<!-- walk:begin -->
	```sh
	echo run by a test
	```
	<!-- walk:end -->

	<!-- not-run: needs root -->

	```sh
	rm -rf /
	```
	MD
	cat > "$d/docs/guide.md" <<-'MD'
	# Guide

	## A heading with `code`, and dots...

	```text
	plain
	```

	Back to [the README](../README.md#run-it) and [the dir](../docs/).
	MD
	printf 'WALK_ID=x t_walkthrough walk commands README.md\n' > "$d/tests/integration/x.sh"
}

# expect ID WANT_RC PATTERN TREE: the checker's exit code on TREE is
# WANT_RC, and (when given) its output has PATTERN.
expect() {
	local id=$1 want=$2 pat=$3 tree=$4 rc
	python3 "$CHECK" "$tree" > "$T_DIR/$id.out" 2>&1
	rc=$?
	if [ "$rc" != "$want" ]; then
		t_fail "$id" "exit $rc, want $want: $(head -3 "$T_DIR/$id.out")"
	elif [ -n "$pat" ] && ! grep -q -- "$pat" "$T_DIR/$id.out"; then
		t_fail "$id" "no '$pat' in: $(head -3 "$T_DIR/$id.out")"
	else t_pass "$id"; fi
}

fixture clean
expect self-clean 0 '0 problems' "$T_DIR/clean"

fixture nolabel
printf '\n```\nno label\n```\n' >> "$T_DIR/nolabel/docs/guide.md"
expect self-no-label 1 'guide.md:.*without a language label' "$T_DIR/nolabel"

fixture unrun
printf '\n```sh\necho nobody runs me\n```\n' >> "$T_DIR/unrun/docs/guide.md"
expect self-unrun 1 'guide.md:.*sh block no test runs' "$T_DIR/unrun"

fixture bashblock
printf '\n```bash\necho nobody runs me\n```\n' >> "$T_DIR/bashblock/docs/guide.md"
expect self-bash 1 'sh block no test runs' "$T_DIR/bashblock"

fixture noreason
printf '\n<!-- not-run: -->\n```sh\necho x\n```\n' >> "$T_DIR/noreason/docs/guide.md"
expect self-no-reason 1 'sh block no test runs' "$T_DIR/noreason"

fixture notrun
printf '\n<!-- not-run: talks to a real IdP -->\n```sh\necho x\n```\n' >> "$T_DIR/notrun/docs/guide.md"
expect self-not-run-ok 0 '' "$T_DIR/notrun"

# markers a suite registers for another file do not count here
fixture wrongfile
printf '\n<!-- walk:begin -->\n```sh\necho x\n```\n<!-- walk:end -->\n' >> "$T_DIR/wrongfile/docs/guide.md"
expect self-wrong-file 1 'which no suite registers for docs/guide.md' "$T_DIR/wrongfile"

fixture unregistered
rm "$T_DIR/unregistered/tests/integration/x.sh"
expect self-unregistered 1 'README.md:.*no suite registers' "$T_DIR/unregistered"

fixture commented
printf '# t_walkthrough walk commands README.md\n' > "$T_DIR/commented/tests/integration/x.sh"
expect self-commented 1 'no suite registers' "$T_DIR/commented"

fixture badlink
printf '\nSee [gone](missing.md).\n' >> "$T_DIR/badlink/docs/guide.md"
expect self-bad-link 1 'link to missing.md: no such file' "$T_DIR/badlink"

fixture badanchor
printf '\nSee [gone](../README.md#no-such-heading) and [here](#nor-here).\n' >> "$T_DIR/badanchor/docs/guide.md"
expect self-bad-anchor 1 'README.md#no-such-heading: no heading' "$T_DIR/badanchor"
grep -q '#nor-here: no heading' "$T_DIR/self-bad-anchor.out" && t_pass self-bad-local-anchor ||
    t_fail self-bad-local-anchor "a link to a missing local anchor passed"

fixture codelink
printf '\nIn code, `[not a link](missing.md)` is text.\n```text\n[nor](missing.md)\n```\n' >> "$T_DIR/codelink/docs/guide.md"
expect self-code-link 0 '' "$T_DIR/codelink"

fixture long
seq 1 300 | sed 's/^/line /' >> "$T_DIR/long/README.md"
expect self-long 1 'README.md has 3[0-9][0-9] lines' "$T_DIR/long"

fixture unclosed
printf '\n```text\nnever closed\n' >> "$T_DIR/unclosed/docs/guide.md"
expect self-unclosed 1 'never closed' "$T_DIR/unclosed"

# The tree itself.
python3 "$CHECK" "$T_ROOT" > "$T_DIR/tree.out" 2>&1
rc=$?
cat "$T_DIR/tree.out"
[ "$rc" = 0 ] && t_pass docs-tree || t_fail docs-tree "$(grep -c '^FAIL' "$T_DIR/tree.out") problems (above)"
# every page of docs/ is linked from the README
for f in "$T_ROOT"/docs/*.md; do
	n=docs/$(basename "$f")
	grep -q "]($n" "$T_ROOT/README.md" && t_pass "docs-linked-$n" || t_fail "docs-linked-$n" "README.md does not link $n"
done
t_finish
