#!/bin/sh
# tests/bench/run.sh - `make bench`: prints figures, asserts nothing.
#  1. authz_decide in-process (optimized build) over a database with
#     BENCH_SESSIONS sessions (default 100000): ns per decision.
#  2. Through lighttpd with wrk: a request the authorizer denies (401, no
#     backend) against lighttpd answering a static file, and the ratio.
#  3. tests/bench/serve_p99.sh: `authgate serve` check latency unloaded
#     and under slow/idle clients with a held write lock (p99 ratio).
#  4. tests/bench/liveness.sh: how long the answers take that make test
#     only bounds (a locked store, a held write lock, a body never read,
#     slow clients beside check requests).
set -u
cd "$(dirname "$0")/../.." || exit 2
root=$(pwd)
out=tests/tmp/bench
rm -rf "$out"; mkdir -p "$out"
N=${BENCH_SESSIONS:-100000}
SECRET=bench-secret-0123456789abcdef0123456789
DB="$out/bench.db"

cgi-bin/authgate init --db "$DB" >/dev/null || exit 2
sqlite3 "$DB" < db/demo.sql || exit 2
sqlite3 "$DB" <<EOS || exit 2
WITH RECURSIVE i(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM i WHERE n < $N)
INSERT INTO session (id, token, userId, expiresAt, activeOrganizationId, createdAt, updatedAt)
SELECT 'bs_' || n, 'bench-token-' || n, 'u_mia', '2099-01-01T00:00:00.000Z', 'org_acme',
       '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z' FROM i;
EOS
COOKIE=$(BETTER_AUTH_SECRET=$SECRET cgi-bin/authgate cookie "bench-token-$((N / 2))")
cc -std=c11 -O2 -D_DEFAULT_SOURCE -Isrc -o "$out/bench_decide" tests/bench/bench_decide.c \
    $(ls src/*.c | grep -v src/main.c) build/schema_sql.c -lfcgi -lsqlite3 -lcrypto -lcjson -lseccomp || exit 2
echo "== authz_decide, $N sessions in $(du -h "$DB" | cut -f1) of SQLite"
"$out/bench_decide" "$DB" "$SECRET" 200000 "$COOKIE" || exit 1

echo "== through lighttpd (wrk, 2 threads, 16 connections, 5 s each)"
port=$((20000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 30000))
mkdir -p "$out/state"
AUTHGATE_ROOT=$root AUTHGATE_PORT=$port AUTHGATE_STATE=$root/$out/state \
AUTHGATE_BIN=$root/cgi-bin/authgate AUTHGATE_DB=$root/$DB BETTER_AUTH_SECRET=$SECRET \
    lighttpd -D -f lighttpd.conf > "$out/state/error.log" 2>&1 &
lpid=$!
trap 'kill $lpid 2>/dev/null' EXIT
sleep 1
rps() { wrk -t2 -c16 -d5s "$@" 2>/dev/null | awk '/Requests\/sec/ {print $2}'; }
static=$(rps "http://127.0.0.1:$port/")
deny=$(rps "http://127.0.0.1:$port/api/projects")
echo "lighttpd static file         $static req/s"
echo "lighttpd + authgate 401      $deny req/s"
awk -v a="$static" -v b="$deny" 'BEGIN { if (a > 0) printf "authorizer round trip costs %.1f%% of static throughput (ratio %.2f)\n", (1 - b / a) * 100, b / a }'
grep -c 'deny status=401' "$out/state/error.log" | sed 's/^/deny lines logged: /'

echo
bash tests/bench/serve_p99.sh

echo
bash tests/bench/liveness.sh
