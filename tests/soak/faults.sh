#!/bin/bash
# faults.sh - fault injection under the shipped lighttpd.conf (issue 8,
# item 8), each fault on its own throwaway database and lighttpd:
#   full-*   disk full during webhook writes (a size-limited tmpfs)
#   perm-*   WAL/SHM files the authgate processes (user nobody) cannot write
#   corrupt-* a corrupt page in the database file, then a good copy mv'd over
#   clock-*  the clock of the authgate processes jumps (libfaketime)
# During a fault every answer is the right one or 503, never a wrong allow;
# a delivery is refused with 503 and Retry-After and nothing of it is
# applied. After the fault: full service, and the tables hold exactly what
# was acknowledged, each event once.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/webhook.sh"
t_setup faults

ASAN="$T_ROOT/build/asan/authgate"
WH_SECRET='faults-optare-secret-0123456789'
SW_SECRET='whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'
export BETTER_AUTH_SECRET="$T_SECRET"
export AUTHGATE_WEBHOOK_SECRET="$WH_SECRET $SW_SECRET"
FAKETIME_LIB=/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1

# Mounts are undone by the EXIT trap too, whatever happened before.
MOUNTS=""
f_cleanup() {
	local m
	t_cleanup
	for m in $MOUNTS; do
		umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null
	done
	MOUNTS=""
}
trap f_cleanup EXIT

[ -x "$ASAN" ] || { t_fail setup "no sanitizer build at $ASAN"; t_finish; }
[ "$(id -u)" = 0 ] || { t_fail setup "the fault suite needs root (mount, chown)"; t_finish; }

t_creds || { t_fail setup "authgate cookie failed"; t_finish; }
ev() { wh_event "$@"; }	# ev TYPE ID DATA: an event body, stamped now (real time)

# wh ID WANT OUTCOME BODY [sw [TS]]: one delivery; the status must be WANT,
# a 200 must carry OUTCOME, a 503 must carry Retry-After.
wh() {
	local id=$1 want=$2 outcome=$3 body=$4 kind=${5:-optare} ts=${6:-$(date +%s)} got mid
	if [ "$kind" = sw ]; then
		mid=$(printf '%s' "$body" | sed -E 's/^\{"id":"([^"]*)".*/\1/')
		got=$(curl -s -g --max-time 15 -o "$T_DIR/wh.body" -D "$T_DIR/wh.hdr" -w '%{http_code}' \
		    -X POST -H "webhook-id: $mid-sw" -H "webhook-timestamp: $ts" \
		    -H "webhook-signature: v1,$(wh_sw_sig "$mid-sw" "$ts" "$body")" --data-binary "$body" "$W")
	else
		got=$(curl -s -g --max-time 15 -o "$T_DIR/wh.body" -D "$T_DIR/wh.hdr" -w '%{http_code}' \
		    -X POST -H "X-Optare-Signature: sha256=$(wh_optare_sig "$body")" \
		    -H 'Content-Type: application/json' --data-binary "$body" "$W")
	fi
	if [ "$got" != "$want" ]; then
		t_fail "$id" "webhook status $got, want $want: $(head -c 200 "$T_DIR/wh.body")"
	elif [ "$got" = 200 ] && ! grep -q "\"outcome\":\"$outcome\"" "$T_DIR/wh.body"; then
		t_fail "$id" "outcome $(cat "$T_DIR/wh.body"), want $outcome"
	elif [ "$got" = 503 ] && ! grep -q -i '^Retry-After: [0-9]' "$T_DIR/wh.hdr"; then
		t_fail "$id" "503 without Retry-After"
	else
		t_pass "$id"
	fi
}

# wh_until ID OUTCOME BODY: a sender retrying until the delivery is
# acknowledged (503 means retry); liveness bound 15 s.
wh_until() {
	local id=$1 outcome=$2 body=$3 i got
	for i in $(seq 1 30); do
		got=$(curl -s -g --max-time 15 -o "$T_DIR/wh.body" -w '%{http_code}' -X POST \
		    -H "X-Optare-Signature: sha256=$(wh_optare_sig "$body")" --data-binary "$body" "$W")
		[ "$got" = 503 ] || break
		sleep 0.5
	done
	if [ "$got" = 200 ] && grep -q "\"outcome\":\"$outcome\"" "$T_DIR/wh.body"; then
		t_pass "$id"
	else
		t_fail "$id" "delivery not acknowledged after the fault: $got $(head -c 200 "$T_DIR/wh.body")"
	fi
}

# probe ID MODE WANT CURL-ARGS: MODE strict (exactly WANT) or or503
# (WANT or 503: during a fault). Counts 503s in N503.
N503=0
probe() {
	local id=$1 mode=$2 want=$3 got; shift 3
	got=$(curl -s -g --max-time 15 -o "$T_DIR/probe.body" -w '%{http_code}' "$@")
	[ "$got" = 503 ] && N503=$((N503 + 1))
	if [ "$got" = "$want" ] || { [ "$mode" = or503 ] && [ "$got" = 503 ]; }; then
		t_pass "$id"
	else
		t_fail "$id" "status $got, want $want$([ "$mode" = or503 ] && echo ' or 503') ($*)"
	fi
}

# probes PREFIX MODE: the fixture identities; W_* override what changed.
probes() {
	local p=$1 m=$2
	probe "$p-owner" "$m" "${W_OLIVIA:-200}" -b "$OWNER" "$U/api/admin/users"
	probe "$p-admin" "$m" "${W_ADAM:-200}" -b "$ADMIN" "$U/api/admin/users"
	probe "$p-member-admin-path" "$m" "${W_MIA_ADMIN:-403}" -b "$MEMBER" "$U/api/admin/users"
	probe "$p-member" "$m" 200 -b "$MEMBER" "$U/api/projects"
	probe "$p-guest" "$m" "${W_GUS:-200}" -b "$GUEST" "$U/api/projects"
	probe "$p-guest-write" "$m" "${W_GUS_WRITE:-403}" -b "$GUEST" -X POST -d x "$U/api/projects/1"
	probe "$p-banned" "$m" 403 -b "$BANNED" "$U/api/projects"
	probe "$p-expired" "$m" 401 -b "$EXPIRED" "$U/api/projects"
	probe "$p-anonymous" "$m" 401 "$U/api/projects"
	probe "$p-public" "$m" 200 "$U/api/health"
	probe "$p-deny-rule" "$m" 403 -b "$OWNER" "$U/api/internal/metrics"
	probe "$p-key" "$m" "${W_KEY:-200}" -H "x-api-key: $KEY" "$U/api/projects"
	probe "$p-disabled-key" "$m" 401 -H "x-api-key: $KEY_OFF" "$U/api/projects"
}

# sql ID WANT QUERY: the query's output must be exactly WANT (a failed
# sqlite3 prints nothing, or an error, and fails the case). It reads a
# copy of the database and its WAL, taken while no delivery is in flight:
# our own sqlite3 must not checkpoint, remove or recreate the WAL and SHM
# files of the fault under test.
sql() {
	local got copy="$T_DIR/sqlcopy"
	rm -rf "$copy" && mkdir -p "$copy" && cp "$DB" "$copy/db" &&
	    { [ ! -e "$DB-wal" ] || cp "$DB-wal" "$copy/db-wal"; } &&
	    got=$(sqlite3 "$copy/db" "$3" 2>&1) || got="(cannot copy or read the database: $got)"
	if [ "$got" = "$2" ]; then t_pass "$1"; else t_fail "$1" "sqlite3 said '$got', want '$2'"; fi
}

# checkpoint ID: folds the WAL into the database file and truncates it.
checkpoint() {
	local got
	got=$(sqlite3 "$DB" 'pragma wal_checkpoint(truncate)' 2>&1)
	if [ "$got" = "0|0|0" ]; then t_pass "$1"; else t_fail "$1" "checkpoint: $got"; fi
}

# The authgate processes lighttpd started, sorted.
children() { ps -o pid=,comm= --ppid "$T_LPID" | awk '$2 == "authgate" { print $1 }' | sort -n | tr '\n' ' '; }

# f_lighttpd CONF: like t_lighttpd, with another config file (one that
# includes the shipped lighttpd.conf) and authgate binary $BIN.
f_lighttpd() {
	local conf=$1
	mkdir -p "$STATE"
	AUTHGATE_ROOT=$T_ROOT AUTHGATE_PORT=$PORT AUTHGATE_STATE=$STATE \
	AUTHGATE_BIN=$BIN AUTHGATE_DB=$DB BETTER_AUTH_SECRET=$T_SECRET \
	ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 \
	    lighttpd -D -f "$conf" >>"$STATE/error.log" 2>&1 &
	T_LPID=$!
	T_PIDS="$T_PIDS $T_LPID"
	t_wait_port "$PORT"
}

# start NAME DB [BIN]: a fresh lighttpd on DB (state in $T_DIR/NAME).
start() {
	STATE="$T_DIR/$1/state"
	DB=$2
	BIN=${3:-$ASAN}
	PORT=$(t_port)
	U="http://127.0.0.1:$PORT"
	W="$U/webhooks/optare"
	t_lighttpd "$PORT" "$STATE" "$DB" "$BIN" || {
		t_fail "$1-start" "lighttpd did not start: $(head -c 300 "$STATE/error.log")"
		return 1
	}
	LOG="$STATE/error.log"
	sleep 0.3
	PIDS0=$(children)
}

# finish PREFIX: no authgate process died, no sanitizer report; stops
# lighttpd and waits for its authgate processes to be gone (a leftover one
# would hold the database open through the next step; it is killed by PID).
finish() {
	local p left i
	t_same "$1-no-crash" "$(children)" "$PIDS0"	# (none at all is no proof)
	t_ok "$1-log" test -s "$LOG"
	t_sanitizers "$1-sanitizers" "$LOG"
	t_cleanup
	for i in $(seq 1 50); do
		left=""
		for p in $PIDS0; do kill -0 "$p" 2>/dev/null && left="$left $p"; done
		[ -z "$left" ] && break
		sleep 0.1
	done
	for p in $left; do kill -9 "$p" 2>/dev/null; done
	t_ok "$1-stopped" test -z "$left"
}

# ---------------------------------------------------------------- full-*
# The database on a 3 MB tmpfs. The WAL is checkpointed and truncated
# first, so that the next write must grow a file; then the disk is filled.
full_fault() {
	local mnt="$T_DIR/full/mnt" i
	mkdir -p "$mnt"
	mount -t tmpfs -o size=3m,mode=0755 tmpfs "$mnt" || { t_fail full-mount "cannot mount a tmpfs"; return; }
	MOUNTS="$MOUNTS $mnt"
	t_db "$mnt/authgate.db" || { t_fail full-db "cannot build the database"; return; }
	start full "$mnt/authgate.db" || return
	probes full-before strict

	E1=$(ev user.updated evt-full-1 '{"id":"u_adam","banned":true}')
	E2=$(ev session.revoked evt-full-2 '{"id":"s_gus"}')
	E3=$(ev member.role.changed evt-full-3 '{"id":"m_mia","organizationId":"org_acme","userId":"u_mia","role":"admin"}')
	E4=$(ev api_key.revoked evt-full-4 '{"id":"k_mia"}')
	E5=$(ev user.created evt-full-5 '{"id":"u_full","name":"Full Disk","email":"full@acme.test"}')
	E6=$(ev session.created evt-full-6 '{"id":"s_full","token":"full-session-token","userId":"u_full","expiresAt":"2099-01-01T00:00:00.000Z"}')

	checkpoint full-checkpoint
	dd if=/dev/zero of="$mnt/fill" bs=4k 2>/dev/null
	t_ok full-disk-is-full test "$(df --output=avail -k "$mnt" | tail -n 1 | tr -d ' ')" -eq 0

	N503=0
	for i in 1 2 3 4 5 6; do
		eval "wh full-deliver-$i 503 - \"\$E$i\""
	done
	# a sender retries: still refused, still nothing applied
	wh full-redeliver-1 503 - "$E1"
	t_ok full-logged grep -q 'webhook status=503 reason=store_error' "$LOG"
	# what E1..E6 change, and how many of them were recorded
	local state="(select banned from \"user\" where id = 'u_adam'),
	    (select count(*) from session where id = 's_gus'),
	    (select role from member where id = 'm_mia'),
	    (select count(*) from apikey where id = 'k_mia'),
	    (select count(*) from \"user\" where id = 'u_full'),
	    (select count(*) from session where id = 's_full'),
	    (select count(*) from authgate_event where id like 'evt-full-%')"
	sql full-nothing-applied "0|1|member|1|0|0|0" "select $state"
	probes full-during or503
	probe full-during-new-session or503 401 -b "$(t_cookie full-session-token)" "$U/api/projects"

	rm -f "$mnt/fill"
	wh_until full-after-1 applied "$E1"
	for i in 2 3 4 5 6; do
		eval "wh full-after-$i 200 applied \"\$E$i\""
	done
	for i in 1 2 3 4 5 6; do
		eval "wh full-again-$i 200 duplicate \"\$E$i\""
	done
	sql full-applied-once "1|0|admin|0|1|1|6|applied" "select $state,
	    (select group_concat(distinct outcome) from authgate_event where id like 'evt-full-%')"
	W_ADAM=403 W_GUS=401 W_GUS_WRITE=401 W_MIA_ADMIN=200 W_KEY=401 probes full-after strict
	probe full-after-new-session strict 200 -b "$(t_cookie full-session-token)" "$U/api/projects"
	sql full-integrity ok 'pragma integrity_check'
	finish full
	umount "$mnt" && MOUNTS=${MOUNTS/ $mnt/}
}

# ---------------------------------------------------------------- perm-*
# lighttpd and authgate as user nobody (root ignores file modes). The WAL
# and SHM files are made root's, mode 0644, while lighttpd is down; then
# it starts again on them.
perm_fault() {
	local dir="$T_DIR/perm/db" conf="$T_DIR/perm/nobody.conf"
	mkdir -p "$dir" "$T_DIR/perm/state"
	t_db "$dir/authgate.db" || { t_fail perm-db "cannot build the database"; return; }
	chown -R nobody:nogroup "$dir" "$T_DIR/perm/state"
	printf 'include "%s"\nserver.username = "nobody"\nserver.groupname = "nogroup"\n' \
	    "$T_ROOT/lighttpd.conf" > "$conf"
	STATE="$T_DIR/perm/state" DB="$dir/authgate.db" BIN=$ASAN PORT=$(t_port)
	U="http://127.0.0.1:$PORT" W="$U/webhooks/optare" LOG="$STATE/error.log"
	f_lighttpd "$conf" || { t_fail perm-start "lighttpd did not start: $(head -c 300 "$LOG")"; return; }
	sleep 0.3
	PIDS0=$(children)
	t_ok perm-as-nobody test "$(ps -o user= --ppid "$T_LPID" | sort -u | tr -d ' \n')" = nobody
	P1=$(ev user.updated evt-perm-1 '{"id":"u_adam","banned":true}')
	P2=$(ev session.revoked evt-perm-2 '{"id":"s_gus"}')
	wh perm-before-deliver 200 applied "$P1"
	W_ADAM=403 probes perm-before strict
	finish perm-before

	checkpoint perm-checkpoint
	# root's, and in a directory nobody cannot write (else SQLite, as
	# nobody, could remove and recreate them)
	rm -f "$DB-wal" "$DB-shm"
	touch "$DB-wal" "$DB-shm"
	chown root:root "$DB-wal" "$DB-shm" "$dir"
	chmod 0644 "$DB-wal" "$DB-shm"
	chmod 0755 "$dir"
	f_lighttpd "$conf" || { t_fail perm-restart "lighttpd did not start: $(head -c 300 "$LOG")"; return; }
	sleep 0.3
	PIDS0=$(children)
	: > "$T_DIR/perm/mark"
	wh perm-during-deliver 503 - "$P2"
	W_ADAM=403 probes perm-during or503
	t_ok perm-clear-error grep -E -q 'store: .*(readonly|read-only|unable to open|permission)' "$LOG"
	t_ok perm-fault-in-place test "$(stat -c %U "$DB-wal" "$DB-shm" | tr '\n' ' ')" = "root root "
	sql perm-nothing-applied "1|0" "select (select count(*) from session where id = 's_gus'),
	    (select count(*) from authgate_event where id = 'evt-perm-2')"

	# The fault clears: the files are the service user's again.
	chown nobody:nogroup "$DB-wal" "$DB-shm" "$dir"
	wh_until perm-after-deliver applied "$P2"
	wh perm-after-again 200 duplicate "$P2"
	W_ADAM=403 W_GUS=401 W_GUS_WRITE=401 probes perm-after strict
	sql perm-applied-once "1|0|1|1" "select (select banned from \"user\" where id = 'u_adam'),
	    (select count(*) from session where id = 's_gus'),
	    (select count(*) from authgate_event where id = 'evt-perm-1'),
	    (select count(*) from authgate_event where id = 'evt-perm-2')"
	finish perm
}

# ------------------------------------------------------------- corrupt-*
# A page of the session table overwritten with garbage (lighttpd down, so
# no process holds the page in its cache), then a good copy moved over the
# file while authgate runs: noticed within a second (device/inode check),
# and a revocation that only the restored copy holds takes effect.
corrupt_fault() {
	local dir="$T_DIR/corrupt" root ps t0 ms i
	mkdir -p "$dir"
	DB="$dir/authgate.db"
	t_db "$DB" || { t_fail corrupt-db "cannot build the database"; return; }
	start corrupt "$DB" || return
	C1=$(ev session.revoked evt-corrupt-1 '{"id":"s_adam"}')
	wh corrupt-before-deliver 200 applied "$C1"
	W_ADAM=401 probes corrupt-before strict
	# the backup: what was acknowledged so far, and one revocation more
	sqlite3 "$DB" ".backup '$dir/good.db'" &&
	    sqlite3 "$dir/good.db" "delete from session where id = 's_olivia'"
	sql corrupt-backup 0 "select count(*) from session where id = 's_adam'"
	finish corrupt-before

	checkpoint corrupt-checkpoint
	root=$(sqlite3 "$DB" "select rootpage from sqlite_schema where name = 'session'")
	ps=$(sqlite3 "$DB" 'pragma page_size')
	if [ -z "$root" ] || [ -z "$ps" ]; then
		t_fail corrupt-page "no root page for table session"
		return
	fi
	head -c "$ps" /dev/urandom | dd of="$DB" bs="$ps" seek=$((root - 1)) conv=notrunc 2>/dev/null
	t_ok corrupt-quick-check test "$(sqlite3 "$DB" 'pragma quick_check' 2>&1)" != ok

	start corrupt-during "$DB" || return
	N503=0
	W_ADAM=401 probes corrupt-during or503
	t_ok corrupt-detected test "$N503" -gt 0
	"$T_ROOT/cgi-bin/authgate" doctor --db "$DB" > "$dir/doctor.out" 2>&1
	t_ok corrupt-doctor-fails test $? -ne 0
	t_ok corrupt-doctor-names grep -E -i -q 'corrupt|malformed|quick_check' "$dir/doctor.out"

	# restore: mv a good copy over the file, as an admin would
	cp "$dir/good.db" "$dir/restore.db" && mv "$dir/restore.db" "$DB"
	t0=$(date +%s%N)
	for i in $(seq 1 100); do
		[ "$(curl -s -o /dev/null -w '%{http_code}' -b "$MEMBER" "$U/api/projects")" = 200 ] && break
		sleep 0.1
	done
	ms=$(( ($(date +%s%N) - t0) / 1000000 ))
	echo "# the restored file was noticed after about $ms ms"
	t_ok corrupt-restore-noticed test "$i" -lt 100
	W_ADAM=401 W_OLIVIA=401 probes corrupt-restored strict
	C2=$(ev user.updated evt-corrupt-2 '{"id":"u_gus","banned":true}')
	wh_until corrupt-restored-deliver applied "$C2"
	W_ADAM=401 W_OLIVIA=401 W_GUS=403 W_GUS_WRITE=403 probes corrupt-restored-after strict
	sql corrupt-restored-state "0|0|1|1|ok" "select (select count(*) from session where id = 's_adam'),
	    (select count(*) from session where id = 's_olivia'),
	    (select banned from \"user\" where id = 'u_gus'),
	    (select count(*) from authgate_event where id = 'evt-corrupt-2'),
	    (select quick_check from pragma_quick_check)"
	finish corrupt
}

# --------------------------------------------------------------- clock-*
# libfaketime in the authgate processes only (a wrapper as AUTHGATE_BIN),
# reading the offset from a file on every call: the clock jumps while the
# processes run.
clock_fault() {
	local dir="$T_DIR/clock" now
	mkdir -p "$dir"
	[ -r "$FAKETIME_LIB" ] || { t_fail clock-faketime "libfaketime is missing ($FAKETIME_LIB)"; return; }
	echo "+0" > "$dir/offset"
	cat > "$dir/authgate-faketime" <<EOF
#!/bin/sh
LD_PRELOAD=$FAKETIME_LIB FAKETIME_TIMESTAMP_FILE=$dir/offset FAKETIME_NO_CACHE=1
ASAN_OPTIONS="\${ASAN_OPTIONS:+\$ASAN_OPTIONS:}verify_asan_link_order=0"
export LD_PRELOAD FAKETIME_TIMESTAMP_FILE FAKETIME_NO_CACHE ASAN_OPTIONS
exec "$ASAN" "\$@"
EOF
	chmod 755 "$dir/authgate-faketime"
	DB="$dir/authgate.db"
	t_db "$DB" || { t_fail clock-db "cannot build the database"; return; }
	start clock "$DB" "$dir/authgate-faketime" || return
	t_ok clock-preloaded grep -q faketime "/proc/$(echo "$PIDS0" | cut -d' ' -f1)/maps"

	now=$(date +%s)
	C_SHORT=$(t_cookie clock-short-token)
	wh clock-setup-1 200 applied "$(ev session.created evt-clock-1 '{"id":"s_short","token":"clock-short-token","userId":"u_mia","expiresAt":'"$(( (now + 3600) * 1000 ))"',"activeOrganizationId":"org_acme"}')"
	wh clock-setup-2 200 applied "$(ev api_key.created evt-clock-2 '{"id":"k_short","key":"clock-short-key-0123456789","referenceId":"u_mia","expiresAt":'"$(( (now + 86400) * 1000 ))"'}')"
	wh clock-setup-3 200 applied "$(ev user.updated evt-clock-3 '{"id":"u_gus","banned":true,"banExpires":'"$(( (now + 3600) * 1000 ))"'}')"
	probe clock-now-short-session strict 200 -b "$C_SHORT" "$U/api/projects"
	probe clock-now-short-key strict 200 -H 'x-api-key: clock-short-key-0123456789' "$U/api/projects"
	W_GUS=403 W_GUS_WRITE=403 probes clock-now strict
	wh clock-now-sw 200 applied '{"id":"evt-clock-4","type":"user.updated","data":{"id":"u_nora","name":"Nora 4"}}' sw

	echo "+2d" > "$dir/offset"
	probe clock-ahead-short-session strict 401 -b "$C_SHORT" "$U/api/projects"
	probe clock-ahead-short-key strict 401 -H 'x-api-key: clock-short-key-0123456789' "$U/api/projects"
	probes clock-ahead strict	# Gus's ban has run out; 2099 sessions live on
	wh clock-ahead-sw 400 - '{"id":"evt-clock-5","type":"user.updated","data":{"id":"u_nora","name":"Nora 5"}}' sw
	t_ok clock-ahead-sw-reason grep -q 'tolerance' "$T_DIR/wh.body"
	wh clock-ahead-optare 200 applied "$(ev user.updated evt-clock-6 '{"id":"u_nora","name":"Nora 6"}')"

	echo "-1h" > "$dir/offset"
	probe clock-behind-short-session strict 200 -b "$C_SHORT" "$U/api/projects"
	W_GUS=403 W_GUS_WRITE=403 probes clock-behind strict
	wh clock-behind-sw 400 - '{"id":"evt-clock-7","type":"user.updated","data":{"id":"u_nora","name":"Nora 7"}}' sw

	echo "+0" > "$dir/offset"
	probe clock-back-short-session strict 200 -b "$C_SHORT" "$U/api/projects"
	probe clock-back-short-key strict 200 -H 'x-api-key: clock-short-key-0123456789' "$U/api/projects"
	W_GUS=403 W_GUS_WRITE=403 probes clock-back strict
	wh clock-back-sw 200 applied '{"id":"evt-clock-8","type":"user.updated","data":{"id":"u_nora","name":"Nora 8"}}' sw
	sql clock-events "evt-clock-1|applied
evt-clock-2|applied
evt-clock-3|applied
evt-clock-4-sw|applied
evt-clock-6|applied
evt-clock-8-sw|applied" "select id, outcome from authgate_event where id like 'evt-clock-%' order by id"
	sql clock-state "Nora 8|1" "select (select name from \"user\" where id = 'u_nora'),
	    (select banned from \"user\" where id = 'u_gus')"
	finish clock
}

# FAULTS="full clock" runs some of them (all by default).
for f in ${FAULTS:-full perm corrupt clock}; do
	case $f in
	full|perm|corrupt|clock) "${f}_fault" ;;
	*) t_fail setup "unknown fault $f" ;;
	esac
done
t_finish
