#!/bin/sh
# tests/bench/run.sh - `make bench` (after make has built cgi-bin/authgate
# and build/bench/*): tests/bench/bench.py measures authgate side by side
# with static files, the libfcgi floor and a reference decision, runs
# tests/bench/serve_p99.sh, prints every figure against issue 10's
# targets and writes tests/bench/RESULTS.md. Knobs: BENCH_QUICK=1,
# BENCH_ONLY=REGEX, BENCH_ROUNDS, BENCH_SECONDS, BENCH_CONNS, BENCH_THREADS,
# BENCH_SESSIONS, BENCH_PROFILE=0 (see bench.py). Then
# tests/bench/liveness.sh: how long the answers take that make test only
# bounds (a locked store, a held write lock, a body never read, slow
# clients beside check requests). Asserts nothing about speed: exits
# non-zero only when something could not run.
# Last, tests/bench/nats.sh: the multi-host figures (propagation delay
# and ingest rate with a JetStream cluster in the path); BENCH_ONLY=nats
# runs it alone.
cd "$(dirname "$0")/../.." || exit 2
if [ "${BENCH_ONLY:-}" = nats ]; then
	exec bash tests/bench/nats.sh
fi
nice -n 10 python3 tests/bench/bench.py || exit $?
echo
bash tests/bench/liveness.sh || exit $?
if [ -z "${BENCH_ONLY:-}" ] || echo nats | grep -Eq -- "$BENCH_ONLY"; then
	echo
	exec bash tests/bench/nats.sh
fi
