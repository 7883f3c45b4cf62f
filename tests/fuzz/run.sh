#!/bin/sh
# tests/fuzz/run.sh [SECONDS] - runs each libFuzzer target (built by make
# with clang, ASan + UBSan + fuzzer) over its committed seeds for a short
# time (default 5 s each; `make fuzz` passes longer). A crash is a failed
# case; its input is kept in tests/tmp/fuzz/ for a new unit test.
set -u
cd "$(dirname "$0")/../.." || exit 2
secs=${1:-5}
out=tests/tmp/fuzz
mkdir -p "$out"
pass=0 fail=0
for t in tests/fuzz/fuzz_*.c; do
	name=$(basename "$t" .c)
	corpus=tests/fuzz/corpus/${name#fuzz_}
	bin="build/fuzz/$name"	# built by make (make fuzzers)
	if [ ! -x "$bin" ]; then
		echo "FAIL $name: $bin was not built (make fuzzers)"
		fail=$((fail + 1))
		continue
	fi
	mkdir -p "$out/$name.corpus"
	if "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
	    -artifact_prefix="$out/$name-" "$out/$name.corpus" "$corpus" \
	    > "$out/$name.log" 2>&1; then
		echo "ok $name ($(grep -o 'stat::number_of_executed_units: [0-9]*' "$out/$name.log" || tail -n 1 "$out/$name.log"))"
		pass=$((pass + 1))
	else
		echo "FAIL $name: see $out/$name.log and $out/$name-*"
		fail=$((fail + 1))
	fi
done
echo "fuzz: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
