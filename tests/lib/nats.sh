# tests/lib/nats.sh - a three-node nats-server cluster with JetStream on
# loopback and authgate hosts beside it (a mirror, a lighttpd and a
# follower each), for tests/integration/nats.sh and tests/bench/nats.sh.
# Source it after common.sh (and t_setup); BIN is the authgate to run.
# Node I's pid is NPID[I]; host H's database DB[H], URL URL[H], lighttpd
# LPID[H], follower FPID[H] with its log in $T_DIR/H/follow.log.

declare -a NPID CP RP MP
declare -A PORT DB URL LPID FPID

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
  routes: [ nats-route://127.0.0.1:${RP[0]}, nats-route://127.0.0.1:${RP[1]}, nats-route://127.0.0.1:${RP[2]} ]
}
CONF
	echo "$f"
}
nats_start() {	# nats_start I: (re)starts node I
	nats-server -c "$(nats_conf "$1")" >>"$T_DIR/n$1.log" 2>&1 &
	NPID[$1]=$!
	T_PIDS="$T_PIDS ${NPID[$1]}"
}
# js_ready I: node I answers /healthz with JetStream current.
js_ready() { curl -s --max-time 2 "http://127.0.0.1:${MP[$(($1-1))]}/healthz" | grep -q '"ok"'; }

# nats_cluster: three nodes started and ready (1, else some node is not),
# AUTHGATE_NATS_URL and the cluster key exported.
nats_cluster() {
	local c1 c2 c3 r1 r2 r3 m1 m2 m3 i
	t_free_port c1 c2 c3 r1 r2 r3 m1 m2 m3
	CP=($c1 $c2 $c3); RP=($r1 $r2 $r3); MP=($m1 $m2 $m3)
	for i in 1 2 3; do nats_start $i; done
	for i in 1 2 3; do
		for _ in $(seq 1 150); do js_ready $i && break; sleep 0.1; done
		js_ready $i || return 1
	done
	export AUTHGATE_NATS_URL="nats://127.0.0.1:$c1,nats://127.0.0.1:$c2,nats://127.0.0.1:$c3"
	export AUTHGATE_CLUSTER_KEY="$CLUSTER_KEY" AUTHGATE_NATS_REPLICAS=3
}

# nats_host H: host H's mirror (t_db) and lighttpd (t_lighttpd with BIN).
nats_host() {
	local h=$1
	DB[$h]="$T_DIR/$h/authgate.db"
	mkdir -p "$T_DIR/$h"
	t_db "${DB[$h]}" || return 1
	PORT[$h]=$(t_port)
	t_lighttpd "${PORT[$h]}" "$T_DIR/$h/state" "${DB[$h]}" "$BIN" || return 1
	LPID[$h]=$T_LPID
	URL[$h]="http://127.0.0.1:${PORT[$h]}"
}

# follower H [ARGS...]: host H's follower in the background (FPID[H]).
follower() {
	local h=$1; shift
	"$BIN" follow --db "${DB[$h]}" --name "host-$h" "$@" >>"$T_DIR/$h/follow.log" 2>&1 &
	FPID[$h]=$!
	T_PIDS="$T_PIDS ${FPID[$h]}"
}
# following H: H's follower has bound its consumer (the stream exists).
following() { grep -q "follow: consumer host-$1 " "$T_DIR/$1/follow.log" 2>/dev/null; }
# code HOST COOKIE: the authorizer's status for a session cookie at HOST.
code() { curl -s -o /dev/null --max-time 5 -w '%{http_code}' -b "$2" "${URL[$1]}/api/projects"; }
