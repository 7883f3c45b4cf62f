# tests/lib/cli.sh - checks on command-line runs, for the suites that
# drive authgate's CLI (admin.sh, cli.sh). Source it after common.sh.

# t_run ID WANT_EXIT CMD...: runs CMD (no stdin), keeps its stdout in
# $T_DIR/out and its stderr in $T_DIR/err; the exit code must be WANT_EXIT.
t_run() {
	local id=$1 want=$2 rc; shift 2
	"$@" >"$T_DIR/out" 2>"$T_DIR/err" </dev/null
	rc=$?
	if [ "$rc" = "$want" ]; then t_pass "$id"; else
		t_fail "$id" "exit $rc, want $want: $(head -c 300 "$T_DIR/err") $(head -c 200 "$T_DIR/out")"
	fi
}
# t_out / t_noout / t_err ID ERE: the last run's stdout has (has not),
# its stderr has, a line matching ERE.
t_out() { grep -E -q -- "$2" "$T_DIR/out" && t_pass "$1" || t_fail "$1" "stdout lacks /$2/: $(head -c 400 "$T_DIR/out")"; }
t_noout() {
	[ -e "$T_DIR/out" ] || { t_fail "$1" "no run to check"; return; }
	grep -E -q -- "$2" "$T_DIR/out" && t_fail "$1" "stdout has /$2/: $(head -c 400 "$T_DIR/out")" || t_pass "$1"
}
t_err() { grep -E -q -- "$2" "$T_DIR/err" && t_pass "$1" || t_fail "$1" "stderr lacks /$2/: $(head -c 400 "$T_DIR/err")"; }
# t_err1 ID: the last run's stderr is exactly one line.
t_err1() { [ "$(wc -l < "$T_DIR/err")" -eq 1 ] && t_pass "$1" || t_fail "$1" "stderr is not one line: $(cat "$T_DIR/err")"; }
# t_noerr ID: the last run printed nothing on stderr.
t_noerr() { [ -e "$T_DIR/err" ] && [ ! -s "$T_DIR/err" ] && t_pass "$1" || t_fail "$1" "stderr not empty: $(head -c 300 "$T_DIR/err")"; }
