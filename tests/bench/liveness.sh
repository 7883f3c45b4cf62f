#!/bin/bash
# tests/bench/liveness.sh - `make bench`: how long the answers take that
# `make test` only bounds (a liveness timeout, never a figure): prints
# figures, asserts nothing. Optimized build, 5 tries each, in ms:
#  1. a request to lighttpd.conf while an admin holds an EXCLUSIVE lock on
#     a rollback-journal store: authgate's 503 (lighttpd.sh lock-001)
#  2. a signed webhook delivery while an admin holds the write lock of a
#     WAL store: the 503 the sender retries on (webhook.sh lock-001)
#  3. the check endpoint of conf/lighttpd/authgate-proxy.conf (plain CGI)
#     answering a POST with a 900 KB body it never reads
#     (lighttpd_proxy.sh check-020)
#  4. `authgate serve`: five check requests beside an idle and a
#     slow-loris connection (serve.sh stall-001)
. "$(dirname "$0")/../lib/common.sh"
. "$T_ROOT/tests/lib/webhook.sh"
t_setup bench-liveness
BIN="$T_ROOT/cgi-bin/authgate"
WH_SECRET=bench-liveness-webhook-secret
export AUTHGATE_WEBHOOK_SECRET=$WH_SECRET
MEMBER=$(t_cookie demo-session-mia-member)

# ms CURL-ARGS...: "STATUS MS" of one request.
ms() {
	curl -s -g --max-time 30 -o /dev/null -w '%{http_code} %{time_total}\n' "$@" |
	    awk '{ printf "%s %d\n", $1, $2 * 1000 }'
}
# tries LABEL N CURL-ARGS...: N requests; prints LABEL, the statuses and
# min/median/max ms.
tries() {
	local label=$1 n=$2 i; shift 2
	for i in $(seq 1 "$n"); do ms "$@"; done | sort -k2 -n | awk -v l="$label" '
	    { st[$1]++; t[NR] = $2 }
	    END { s = ""; for (k in st) s = s k "x" st[k] " ";
	          printf "%-58s %s min %d median %d max %d ms\n", l, s, t[1], t[int((NR + 1) / 2)], t[NR] }'
}

# 1, 2: lighttpd.conf, a rollback-journal store and a WAL one
DB="$T_DIR/wal.db"
DBJ="$T_DIR/journal.db"
t_db "$DB" && t_db "$DBJ" || { echo "cannot build the databases"; exit 2; }
sqlite3 "$DBJ" 'pragma journal_mode=delete' >/dev/null
P1=$(t_port)
t_lighttpd "$P1" "$T_DIR/state1" "$DBJ" "$BIN" || { echo "lighttpd did not start"; exit 2; }
t_lock_db "$DBJ" EXCLUSIVE || { echo "no lock"; exit 2; }
tries "1. locked store (journal), a member's GET" 5 -b "$MEMBER" "http://127.0.0.1:$P1/api/projects"
t_unlock_db
tries "   the same, unlocked" 5 -b "$MEMBER" "http://127.0.0.1:$P1/api/projects"
t_cleanup
P2=$(t_port)
t_lighttpd "$P2" "$T_DIR/state2" "$DB" "$BIN" || { echo "lighttpd did not start"; exit 2; }
BODY=$(wh_event user.updated evt-bench-lock '{"id":"u_adam","name":"Adam Locked"}')
t_lock_db "$DB" || { echo "no lock"; exit 2; }
tries "2. write-locked store (WAL), a signed delivery" 5 -X POST \
    -H "X-Optare-Signature: sha256=$(wh_optare_sig "$BODY")" --data-binary "$BODY" "http://127.0.0.1:$P2/webhooks/optare"
t_unlock_db
t_cleanup

# 3: the proxy config's check endpoint, a POST with a body
P3=$(t_port)
printf '%s' "$T_SECRET" > "$T_DIR/better-auth.secret"
printf '%s\n' "$WH_SECRET" > "$T_DIR/webhook.secret"
mkdir -p "$T_DIR/state3"
AUTHGATE_ROOT=$T_ROOT AUTHGATE_PORT=$P3 AUTHGATE_STATE=$T_DIR/state3 AUTHGATE_BIN=$BIN \
AUTHGATE_DB=$DB AUTHGATE_HTTP_BACKEND_PORT=$(t_port) AUTHGATE_FCGI_BACKEND_PORT=$(t_port) \
BETTER_AUTH_SECRET_FILE=$T_DIR/better-auth.secret AUTHGATE_WEBHOOK_SECRET_FILE=$T_DIR/webhook.secret \
    lighttpd -D -f "$T_ROOT/conf/lighttpd/authgate-proxy.conf" > "$T_DIR/state3/error.log" 2>&1 &
T_PIDS="$T_PIDS $!"
t_wait_port "$P3" || { echo "lighttpd (proxy config) did not start"; exit 2; }
head -c 900000 /dev/zero > "$T_DIR/body900k"
tries "3. check endpoint, POST with a 900 KB body" 5 -b "$MEMBER" -X POST \
    --data-binary @"$T_DIR/body900k" -H 'X-Forwarded-Uri: /api/projects/1' \
    -H 'X-Forwarded-Method: POST' "http://127.0.0.1:$P3/_authgate/check"
tries "   the same without a body" 5 -b "$MEMBER" -H 'X-Forwarded-Uri: /api/projects/1' \
    -H 'X-Forwarded-Method: GET' "http://127.0.0.1:$P3/_authgate/check"
t_cleanup

# 4: authgate serve beside an idle and a slow-loris connection
P4=$(t_port)
mkdir -p "$T_DIR/serve"
cp "$DB" "$T_DIR/serve/s.db"
user=()
if [ "$(id -u)" = 0 ]; then chown -R nobody "$T_DIR/serve"; user=(--user nobody); fi
BETTER_AUTH_SECRET=$T_SECRET "$BIN" serve --listen "127.0.0.1:$P4" --workers 2 \
    --db "$T_DIR/serve/s.db" "${user[@]}" > "$T_DIR/serve.log" 2>&1 &
T_PIDS="$T_PIDS $!"
t_wait_port "$P4" || { echo "authgate serve did not start"; exit 2; }
check5() {
	local t0 i
	t0=$(date +%s%N)
	for i in 1 2 3 4 5; do
		env -i REQUEST_METHOD=GET REQUEST_URI=/_authgate/check AUTHGATE_MODE=check \
		    AUTHGATE_ORIGINAL_URI=/api/projects AUTHGATE_ORIGINAL_METHOD=GET HTTP_COOKIE="$MEMBER" \
		    timeout 10 cgi-fcgi -bind -connect "127.0.0.1:$P4" > /dev/null 2>&1
	done
	echo $(( ($(date +%s%N) - t0) / 1000000 ))
}
quiet=$(check5)
exec 7<>"/dev/tcp/127.0.0.1/$P4"	# connects, sends nothing
( printf '\001'; sleep 3; printf '\001' ) > "/dev/tcp/127.0.0.1/$P4" 2>/dev/null &
loris=$!
sleep 0.3
busy=$(check5)
exec 7<&-
kill "$loris" 2>/dev/null
printf '%-58s %d ms (alone: %d ms)\n' "4. serve: 5 check requests beside idle + slow-loris" "$busy" "$quiet"
t_cleanup
