#!/bin/sh
# tests/fuzz/run.sh [SECONDS] - builds each libFuzzer target with clang
# (ASan + UBSan + fuzzer) and runs it over its committed seeds for a short
# time (default 5 s each; `make fuzz` passes longer). A crash is a failed
# case; its input is kept in tests/tmp/fuzz/ for a new unit test.
set -u
cd "$(dirname "$0")/../.." || exit 2
secs=${1:-5}
out=tests/tmp/fuzz
mkdir -p "$out"
pass=0 fail=0
# the warnings every binary is built with (Makefile WARN)
WARN="-Wall -Wextra -Werror -Wshadow -Wformat=2 -Wvla -Wmissing-prototypes -Wstrict-prototypes"
FLAGS="-std=c11 $WARN -D_DEFAULT_SOURCE -g -O1 -fno-sanitize-recover=all -Isrc"
# The sources (not main.c), instrumented for libFuzzer, compiled once
# (two at a time) for every target.
# A source that does not compile leaves no object: every target's link
# fails then, and $out/obj/NAME.o.log says why.
mkdir -p "$out/obj"
srcs="$(ls src/*.c | grep -v -e '^src/main.c$') build/schema_sql.c"
objs=""
for s in $srcs; do objs="$objs $out/obj/$(basename "$s" .c).o"; done
for s in $srcs; do echo "$s $out/obj/$(basename "$s" .c).o"; done |
    xargs -P 2 -n 2 sh -c 'clang $0 -fsanitize=fuzzer-no-link,address,undefined -c -o "$2" "$1" > "$2.log" 2>&1 || rm -f "$2"' "$FLAGS"
for t in tests/fuzz/fuzz_*.c; do
	name=$(basename "$t" .c)
	corpus=tests/fuzz/corpus/${name#fuzz_}
	bin="$out/$name"
	if ! clang $FLAGS -fsanitize=fuzzer,address,undefined -o "$bin" "$t" $objs \
	    -lfcgi -lsqlite3 -lcrypto -lcjson > "$out/$name.build.log" 2>&1; then
		echo "FAIL $name: does not build; see $out/$name.build.log"
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
