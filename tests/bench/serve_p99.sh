#!/bin/bash
# tests/bench/serve_p99.sh - `make bench`: check-request latency through
# `authgate serve` (optimized build, --workers 2), unloaded and then while
# 50 idle clients, slow-parameter and slow-body clients, kept-alive idlers
# and signed webhook deliveries attack the same socket and an admin holds
# the write lock. Prints p50/p99 of both and the p99 ratio (issue 8's
# target: within 3x). Prints figures, asserts nothing.
set -u
cd "$(dirname "$0")/../.." || exit 2
root=$(pwd)
out=$root/tests/tmp/bench-serve
rm -rf "$out"; mkdir -p "$out/db"
N=${BENCH_SERVE_REQUESTS:-2000}
SECRET=bench-secret-0123456789abcdef0123456789
WH=bench-webhook-secret
DB=$out/db/bench.db
FC="python3 $root/tests/lib/fcgi_client.py"

cgi-bin/authgate init --db "$DB" >/dev/null || exit 2
sqlite3 "$DB" < db/demo.sql || exit 2
COOKIE=$(BETTER_AUTH_SECRET=$SECRET cgi-bin/authgate cookie demo-session-mia-member)
port=$((20000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 12000))
user=()
if [ "$(id -u)" = 0 ]; then
	chown -R nobody "$out/db"
	user=(--user nobody)
fi
BETTER_AUTH_SECRET=$SECRET AUTHGATE_WEBHOOK_SECRET=$WH cgi-bin/authgate serve \
    --listen "127.0.0.1:$port" --workers 2 --db "$DB" "${user[@]}" > "$out/serve.log" 2>&1 &
spid=$!
trap 'kill $spid 2>/dev/null; kill $(jobs -p) 2>/dev/null' EXIT
for _ in $(seq 1 50); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done

echo "== authgate serve: $N check requests, one connection each (python client)"
$FC latency "127.0.0.1:$port" 200 "$COOKIE" > /dev/null	# warm-up
quiet=$($FC latency "127.0.0.1:$port" "$N" "$COOKIE")
echo "unloaded:     $quiet"

secs=$(( N / 150 + 10 ))
{ printf 'BEGIN IMMEDIATE;\nUPDATE authgate_schema SET version = version;\n.shell sleep %d\nCOMMIT;\n' "$secs" | sqlite3 "$DB" >/dev/null 2>&1; } &
$FC attack "127.0.0.1:$port" "$secs" "$WH" > "$out/attack" 2>&1 &
attacker=$!
sleep 2
loaded=$($FC latency "127.0.0.1:$port" "$N" "$COOKIE")
echo "under attack: $loaded"
wait "$attacker"
sed 's/^/  attack /' "$out/attack"
q=$(echo "$quiet" | sed -E 's/.*p99_ms=([0-9.]+).*/\1/')
l=$(echo "$loaded" | sed -E 's/.*p99_ms=([0-9.]+).*/\1/')
awk -v q="$q" -v l="$l" 'BEGIN { if (q > 0) printf "p99 under attack / unloaded: %.2fx (target: within 3x)\n", l / q }'
