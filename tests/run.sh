#!/bin/bash
# tests/run.sh - runs every suite (called by `make test`) and ends with one
# line "N passed, N failed" summed over all suites. Exits non-zero on any
# failure, and when a suite cannot run (a suite that cannot run has failed:
# it is counted as one failure, never as a pass).
#
# Suites run RUN_JOBS at a time (default 2: two cores, and most suites
# spend their time waiting on servers), longest first. They share
# nothing: each writes under tests/tmp/SUITE, kills only what it started,
# and each runner picks ports from its own range (T_PORT_LO..T_PORT_HI,
# read by t_port). A suite's failures and its line "SUITE: N passed,
# N failed (T s)", T its wall time, are printed when it ends.
# RUN_JOBS=1 runs one suite at a time; RUN_ONLY="SUITE ..." only these.
set -u
cd "$(dirname "$0")/.." || exit 2
root=$(pwd)
export AUTHGATE_TEST_ROOT="$root"
out="$root/tests/tmp"
rm -rf "$out"
mkdir -p "$out"
RUN_JOBS=${RUN_JOBS:-2}

total_pass=0
total_fail=0
run_t0=$(date +%s)

# Adds the counts from a suite's closing "...N passed, N failed" line and
# prints "SUITE: N passed, N failed (T s)".
tally() {
	local suite=$1 log=$2 rc=$3 secs=$4 line p f
	line=$(grep -E '[0-9]+ passed, [0-9]+ failed$' "$log" | tail -n 1)
	if [ -z "$line" ]; then
		grep -E '^(FAIL|not ok)' "$log" | head -n 50
		echo "FAIL $suite: no result line (exit $rc, $secs s); see $log"
		total_fail=$((total_fail + 1))
		return
	fi
	p=$(echo "$line" | sed -E 's/^(.*[^0-9])?([0-9]+) passed, [0-9]+ failed$/\2/')
	f=$(echo "$line" | sed -E 's/.* ([0-9]+) failed$/\1/')
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "FAIL $suite: exit $rc with no failed case; see $log"
		f=1
	fi
	total_pass=$((total_pass + p))
	total_fail=$((total_fail + f))
	grep -E '^(FAIL|not ok)' "$log" | head -n 50
	echo "$suite: $p passed, $f failed ($secs s)"
}

# now_ds: the time in tenths of a second.
now_ds() { echo $(( $(date +%s%N) / 100000000 )); }

# unit_test T: tests/unit/T.c's binary, built by make with the sanitizers
# and linked with only the modules it may reach (Makefile).
unit_test() {
	if [ ! -x "build/test/$1" ]; then
		echo "FAIL $1: build/test/$1 was not built (make units)"
		return 2
	fi
	ASAN_OPTIONS=detect_leaks=1 "build/test/$1"
}

# The suites, longest first (so that the two runners end together); the
# unit tests fill the gaps at the end.
QUEUE=(serve lighttpd_proxy soak caddy admin check_live nginx webhook fuzz
    apache faults lighttpd cli readme admin_readme)
for t in tests/integration/*.sh; do	# any suite not named above
	n=$(basename "$t" .sh)
	[[ " ${QUEUE[*]} " == *" $n "* ]] || QUEUE+=("$n")
done
for t in tests/unit/test_*.c; do [ -e "$t" ] && QUEUE+=("$(basename "$t" .c)"); done
# RUN_ONLY="SUITE ...": just these (while working on them).
if [ -n "${RUN_ONLY:-}" ]; then
	only=()
	for s in "${QUEUE[@]}"; do [[ " $RUN_ONLY " == *" $s "* ]] && only+=("$s"); done
	QUEUE=("${only[@]}")
fi

# job SUITE: the command that runs SUITE.
job() {
	case $1 in
	test_*) unit_test "$1" ;;
	# the long-running proof, short: 60 s of checked mixed traffic, and
	# the fault suite (make soak runs the campaign for 10 minutes)
	soak) bash tests/soak/soak.sh 60 ;;
	faults) bash tests/soak/faults.sh ;;
	# a short fuzzing run of every parser (make fuzz runs longer)
	fuzz)
		if command -v clang >/dev/null 2>&1; then sh tests/fuzz/run.sh 5
		else echo "FAIL fuzz: clang is missing (make test installs it as root)"; return 2; fi ;;
	*) bash "tests/integration/$1.sh" ;;
	esac
}

declare -A NAME_OF SLOT_OF
free=()
for ((i = 0; i < RUN_JOBS; i++)); do free+=("$i"); done
# start SUITE SLOT: runs SUITE in the background with the ports of SLOT.
start() {
	(
		export T_PORT_LO=$((20000 + $2 * 12000 / RUN_JOBS))
		export T_PORT_HI=$((20000 + ($2 + 1) * 12000 / RUN_JOBS - 1))
		t0=$(now_ds)
		job "$1" > "$out/$1.log" 2>&1
		rc=$?
		echo "$rc $(( $(now_ds) - t0 ))" > "$out/$1.result"
	) &
	NAME_OF[$!]=$1 SLOT_OF[$!]=$2
}
# reap: waits for a suite to end (its runner writes SUITE.result last, or
# dies), tallies it, frees its slot.
reap() {
	local pid name rc ds
	while :; do
		for pid in "${!NAME_OF[@]}"; do
			name=${NAME_OF[$pid]}
			if [ -e "$out/$name.result" ] || ! kill -0 "$pid" 2>/dev/null; then
				wait "$pid"
				read -r rc ds < "$out/$name.result" 2>/dev/null || { rc=2 ds=0; }
				tally "$name" "$out/$name.log" "$rc" "$((ds / 10)).$((ds % 10))"
				free+=("${SLOT_OF[$pid]}")
				unset "NAME_OF[$pid]" "SLOT_OF[$pid]"
				return
			fi
		done
		sleep 0.5
	done
}
for s in "${QUEUE[@]}"; do
	[ "${#free[@]}" -gt 0 ] || reap
	start "$s" "${free[0]}"
	free=("${free[@]:1}")
done
while [ "${#NAME_OF[@]}" -gt 0 ]; do reap; done

echo "wall time: $(( $(date +%s) - run_t0 )) s"
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ] && [ "$total_pass" -gt 0 ]
