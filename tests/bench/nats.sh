#!/bin/bash
# tests/bench/nats.sh - `make bench` (BENCH_ONLY=nats runs it alone): the
# multi-host figures of docs/multihost.md with a JetStream in the path.
# Three nats-server nodes (R3 stream), hosts A, B, C (optimized build,
# lighttpd, a follower each), and host D without NATS for comparison:
#  1. propagation delay: from a revocation's 200 at A until the session
#     gets 401 at B and at C (BENCH_NATS_REVOKE revocations, p50/p99);
#  2. ingest: BENCH_NATS_EVENTS deliveries from 4 concurrent senders, to A
#     (committed, published, acknowledged by the stream) and to D (local
#     commit only): deliveries per second, and how long until the last one
#     is applied at B and C.
# Prints figures; asserts nothing about speed (exit non-zero only when
# something could not run).
. "$(dirname "$0")/../lib/common.sh"
. "$T_ROOT/tests/lib/webhook.sh"
. "$T_ROOT/tests/lib/nats.sh"
t_setup bench-nats
BIN="$T_ROOT/cgi-bin/authgate"
WH_SECRET=bench-nats-webhook-secret
CLUSTER_KEY=bench-nats-cluster-key-0123456789abcdef0123
REVOKE=${BENCH_NATS_REVOKE:-50}
EVENTS=${BENCH_NATS_EVENTS:-400}
export AUTHGATE_WEBHOOK_SECRET=$WH_SECRET

command -v nats-server >/dev/null || { echo "bench-nats: nats-server is not installed" >&2; exit 1; }
# D first: started before the NATS settings exist, it never publishes.
nats_host d || { echo "bench-nats: host d did not start" >&2; exit 1; }
nats_cluster || { echo "bench-nats: the nats-server cluster did not start" >&2; exit 1; }
for h in a b c; do nats_host $h || { echo "bench-nats: host $h did not start" >&2; exit 1; }; done
for h in a b c; do
	follower $h
	for _ in $(seq 1 100); do following $h && break; sleep 0.1; done
	following $h || { echo "bench-nats: follower $h did not start" >&2; exit 1; }
done

ev() { wh_event "$1" "$2" "$3"; }
post() {	# post URL BODY: the status
	curl -s -o /dev/null -w '%{http_code}' --max-time 10 -X POST \
	    -H "X-Optare-Signature: sha256=$(wh_optare_sig "$2")" --data-binary "$2" "$1"
}
sess() { ev session.created "bn-sc-$1" '{"id":"bn_s'"$1"'","token":"bn-token-'"$1"'","userId":"u_mia","expiresAt":"2099-01-01T00:00:00.000Z","activeOrganizationId":"org_acme","createdAt":"2026-05-01T00:00:00.000Z","updatedAt":"2026-05-01T00:00:00.000Z"}'; }
pct() {	# pct P: the P-th percentile (nearest rank) of the numbers on stdin
	sort -n | awk -v p="$1" '{a[NR]=$1} END {i=int(NR*p/100+0.999); if (i<1) i=1; print a[i]}'
}

# 1. propagation delay
for i in $(seq 1 "$REVOKE"); do post "${URL[a]}/webhooks/optare" "$(sess "$i")" >/dev/null; done
last=$(t_cookie "bn-token-$REVOKE")
for _ in $(seq 1 200); do [ "$(code c "$last")" = 200 ] && [ "$(code b "$last")" = 200 ] && break; sleep 0.05; done
: > "$T_DIR/delays"
for i in $(seq 1 "$REVOKE"); do
	ck=$(t_cookie "bn-token-$i")
	body=$(ev session.revoked "bn-sr-$i" '{"id":"bn_s'"$i"'","token":"bn-token-'"$i"'","userId":"u_mia"}')
	[ "$(post "${URL[a]}/webhooks/optare" "$body")" = 200 ] || echo "bench-nats: revocation $i not accepted" >&2
	t0=$(date +%s%N); b=0; c=0; end=$((t0 + 10000000000))
	while [ $((b + c)) -lt 2 ] && [ "$(date +%s%N)" -lt "$end" ]; do
		[ $b = 1 ] || [ "$(code b "$ck")" != 401 ] || b=1
		[ $c = 1 ] || [ "$(code c "$ck")" != 401 ] || c=1
	done
	echo $(( ($(date +%s%N) - t0) / 1000000 )) >> "$T_DIR/delays"
done
echo "nats propagation delay (revocation 200 at A -> 401 at B and C, $REVOKE revocations, ms, includes curl polling):" \
    "p50 $(pct 50 < "$T_DIR/delays"), p99 $(pct 99 < "$T_DIR/delays"), max $(pct 100 < "$T_DIR/delays")"

# 2. ingest: 4 concurrent senders, each posting its share in turn
ingest() {	# ingest HOST PREFIX: "RATE OKCOUNT", deliveries per second
	python3 - "${PORT[$1]}" "$2" "$EVENTS" "$WH_SECRET" <<'PY'
import hashlib, hmac, http.client, json, sys, threading, time
port, prefix, n, secret = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4].encode()
ok = [0]
lock = threading.Lock()
def sender(j):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    for k in range(j + 1, n + 1, 4):
        body = json.dumps({"id": "%s-%d" % (prefix, k), "type": "user.updated",
                           "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
                           "data": {"id": "u_mia", "name": "Mia %s%d" % (prefix, k),
                                    "updatedAt": "2026-07-01T00:00:00.%03dZ" % (k % 1000)}}).encode()
        sig = hmac.new(secret, body, hashlib.sha256).hexdigest()
        c.request("POST", "/webhooks/optare", body, {"X-Optare-Signature": "sha256=" + sig,
                                                     "Content-Type": "application/json"})
        r = c.getresponse(); r.read()
        if r.status == 200:
            with lock:
                ok[0] += 1
t0 = time.time()
ts = [threading.Thread(target=sender, args=(j,)) for j in range(4)]
[t.start() for t in ts]; [t.join() for t in ts]
print(int(n / (time.time() - t0)), ok[0])
PY
}
applied() {	# applied HOST PREFIX: events of PREFIX in HOST's log
	sqlite3 "${DB[$1]}" "select count(*) from authgate_event where id like '$2-%'"
}
read -r RD OKD <<<"$(ingest d plain)"
t0=$(date +%s%N)
read -r RA OKA <<<"$(ingest a js)"
for _ in $(seq 1 600); do
	[ "$(applied b js)" = "$EVENTS" ] && [ "$(applied c js)" = "$EVENTS" ] && break
	sleep 0.05
done
t1=$(date +%s%N)
echo "nats ingest ($EVENTS deliveries, 4 senders): without NATS $RD/s ($OKD answered 200);" \
    "with JetStream (R3) in the path $RA/s ($OKA answered 200);" \
    "all applied at B and C $(( (t1 - t0) / 1000000 )) ms after the first was sent" \
    "(B $(applied b js), C $(applied c js) of $EVENTS)"
t_cleanup
