#!/bin/sh
# tests/run.sh - runs every suite (called by `make test`) and ends with one
# line "N passed, N failed" summed over all suites. Exits non-zero on any
# failure, and when a suite cannot run (a suite that cannot run has failed:
# it is counted as one failure, never as a pass).
set -u
cd "$(dirname "$0")/.." || exit 2
root=$(pwd)
export AUTHGATE_TEST_ROOT="$root"
out="$root/tests/tmp"
rm -rf "$out"
mkdir -p "$out"

total_pass=0
total_fail=0
run_t0=$(date +%s)

# Adds the counts from a suite's closing "...N passed, N failed" line and
# prints "SUITE: N passed, N failed (T s)", T its wall time in seconds.
tally() {
	suite=$1 log=$2 rc=$3 secs=$4
	line=$(grep -E '[0-9]+ passed, [0-9]+ failed$' "$log" | tail -n 1)
	if [ -z "$line" ]; then
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

# run_suite SUITE CMD...: runs CMD with its output in tests/tmp/SUITE.log.
run_suite() {
	suite=$1; shift
	log="$out/$suite.log"
	t0=$(now_ds)
	"$@" > "$log" 2>&1
	rc=$?
	t1=$(now_ds)
	tally "$suite" "$log" $rc "$(( (t1 - t0) / 10 )).$(( (t1 - t0) % 10 ))"
}

# Unit tests: one binary per tests/unit/test_*.c, linked with the sources
# (not main.c) under the sanitizers.
CC=${CC:-cc}
SAN="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
CFLAGS="-std=c11 -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wvla -Wmissing-prototypes -Wstrict-prototypes -D_DEFAULT_SOURCE -O1 -g $SAN -Isrc -Itests/unit"
LIBS="-lfcgi -lsqlite3 -lcrypto -lcjson"
srcs=$(ls src/*.c | grep -v '^src/main.c$')
mkdir -p "$out/unit"
for t in tests/unit/test_*.c; do
	[ -e "$t" ] || continue
	name=$(basename "$t" .c)
	bin="$out/unit/$name"
	if ! $CC $CFLAGS -o "$bin" "$t" $srcs build/schema_sql.c $LIBS > "$out/$name.build.log" 2>&1; then
		echo "FAIL $name: does not build; see $out/$name.build.log"
		cat "$out/$name.build.log" | head -n 20
		total_fail=$((total_fail + 1))
		continue
	fi
	run_suite "$name" env ASAN_OPTIONS=detect_leaks=1 "$bin"
done

# Integration suites: shell scripts against real servers.
for t in tests/integration/*.sh; do
	[ -e "$t" ] || continue
	name=$(basename "$t" .sh)
	run_suite "$name" bash "$t"
done

# The long-running proof, short: 60 s of checked mixed traffic, and the
# fault suite (make soak runs the campaign for 10 minutes).
run_suite soak bash tests/soak/soak.sh 60
run_suite faults bash tests/soak/faults.sh

# A short fuzzing run of every parser (make fuzz runs longer).
if command -v clang >/dev/null 2>&1; then
	run_suite fuzz sh tests/fuzz/run.sh 5
else
	echo "FAIL fuzz: clang is missing (make test installs it as root)"
	total_fail=$((total_fail + 1))
fi

echo "wall time: $(( $(date +%s) - run_t0 )) s"
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ] && [ "$total_pass" -gt 0 ]
