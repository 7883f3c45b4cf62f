#!/bin/bash
# authjs_db.sh - NextAuth v4 / Auth.js v5 database sessions through a real
# lighttpd (conf/lighttpd/authgate-proxy.conf) in front of the Express
# backend, on the databases the real adapters wrote
# (tests/vectors/authjs: Kysely's "User"/"Session" with ISO-8601 dates,
# Drizzle's "user"/"session" with epoch ms; make_db.mjs made them):
# `authgate init` on the app's database adds only authgate_* tables; the
# four cookie names; the identity the backend receives, with the
# organization and role from authgate's memberships (CLI and sqlite3
# shell, effective on the next request); expired and unknown tokens; a
# role rule; a session table of a shape authgate does not understand
# (503, never an allow) and its repair.
. "$(dirname "$0")/../lib/common.sh"
t_setup authjs_db

CONF="$T_ROOT/conf/lighttpd/authgate-proxy.conf"
BIN="$T_ROOT/build/asan/authgate"
CLI="$T_ROOT/cgi-bin/authgate"
VEC="$T_ROOT/tests/vectors/authjs"
printf '%s' "$T_SECRET" > "$T_DIR/better-auth.secret"
printf 'authjs-suite-webhook-secret' > "$T_DIR/webhook.secret"

# adapter_dump DB: the adapter's tables and rows (everything not authgate_*)
adapter_dump() {
	sqlite3 "$1" "select type, name, sql from sqlite_schema
	    where name not like '%authgate%' order by name" &&
	sqlite3 "$1" .dump | grep -v -i 'authgate' | grep '^INSERT'
}

# proxy_lighttpd NAME DB: lighttpd (shipped proxy config) on a free port
# for DB, its HTTP backend the Express app; sets PORT_<NAME>.
proxy_lighttpd() {
	local name=$1 db=$2 port i
	for i in 1 2 3; do
		port=$(t_port)
		mkdir -p "$T_DIR/$name"
		AUTHGATE_ROOT=$T_ROOT AUTHGATE_PORT=$port AUTHGATE_STATE=$T_DIR/$name \
		AUTHGATE_BIN=$BIN AUTHGATE_DB=$db \
		AUTHGATE_HTTP_BACKEND_PORT=$EXPRESS_PORT \
		AUTHGATE_FCGI_BACKEND_PORT=$EXPRESS_PORT \
		BETTER_AUTH_SECRET_FILE=$T_DIR/better-auth.secret \
		AUTHGATE_WEBHOOK_SECRET_FILE=$T_DIR/webhook.secret \
		ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 \
		    lighttpd -D -f "$CONF" >"$T_DIR/$name/error.log" 2>&1 &
		T_PIDS="$T_PIDS $!"
		if t_wait_port "$port" && kill -0 $! 2>/dev/null; then
			printf -v "PORT_$name" '%s' "$port"
			return 0
		fi
	done
	return 1
}

# get ID WANT PORT PATH [CURL-ARGS...]: a request for the Express app.
get() {
	local id=$1 want=$2 port=$3 path=$4; shift 4
	t_status "$id" "$want" -H 'Host: app.localhost' "$@" \
	    "http://127.0.0.1:$port$path"
}

# saw ID LINE: the backend received this exact header line (its body
# lists every header with "auth" in its name as received).
saw() {
	t_answered "$1" "$T_BODY_FILE" body || return
	if grep -q -x -F -- "$2" <(tr -d '\r' < "$T_BODY_FILE"); then t_pass "$1"
	else t_fail "$1" "backend did not get '$2': $(tr '\n' '|' < "$T_BODY_FILE")"; fi
}

# denied ID: authgate answered (JSON error) and the backend never ran.
denied() {
	t_answered "$1" "$T_BODY_FILE" body || return
	if grep -q '^backend:' "$T_BODY_FILE"; then
		t_fail "$1" "the backend answered a denied request"
	elif ! grep -q '"error":' "$T_BODY_FILE"; then
		t_fail "$1" "not authgate's answer: $(head -c 200 "$T_BODY_FILE")"
	else t_pass "$1"; fi
}

# --- the databases: the adapters' own, then authgate init --------------
for k in kysely drizzle; do
	db="$T_DIR/$k.db"
	sqlite3 "$db" < "$VEC/$k.sql"
	adapter_dump "$db" > "$T_DIR/$k.before"
	t_ok "init-$k-1" test -s "$T_DIR/$k.before"
	t_ok "init-$k-2" "$CLI" init --db "$db"
	t_ok "init-$k-3" "$CLI" init --db "$db"		# idempotent
	adapter_dump "$db" > "$T_DIR/$k.after"
	t_ok "init-$k-4" cmp -s "$T_DIR/$k.before" "$T_DIR/$k.after"
	t_same "init-$k-5" "$(sqlite3 "$db" "select count(*) from sqlite_schema
	    where name like 'authgate_membership%' or name = 'authgate_organization'")" 4
	sqlite3 "$db" "insert into authgate_rule (priority, path, access, min_role)
	    values (10, '/public/**', 'public', NULL),
	           (20, '/api/admin/**', 'authenticated', 'admin'),
	           (30, '/api/**', 'authenticated', NULL)"
done
KDB=$T_DIR/kysely.db
DDB=$T_DIR/drizzle.db
# stats counts the adapter's sessions (4 live, 1 expired)
t_same stats-K "$("$CLI" stats --db "$KDB" | grep '^live sessions')" 'live sessions: 4 (of 5)'
t_same stats-D "$("$CLI" stats --db "$DDB" | grep '^live sessions')" 'live sessions: 4 (of 5)'
# Drizzle's in WAL mode (the decision's no-snapshot path), Kysely's not
t_same init-wal "$(sqlite3 "$DDB" 'pragma journal_mode=wal')" wal

uid() { sqlite3 "$1" "select id from \"user\" where email = '$2'"; }
K_ALICE=$(uid "$KDB" alice@example.test); D_ALICE=$(uid "$DDB" alice@example.test)
K_CAROL=$(uid "$KDB" carol@example.test); D_CAROL=$(uid "$DDB" carol@example.test)
t_ok ids test -n "$K_ALICE" -a -n "$D_ALICE" -a -n "$K_CAROL" -a -n "$D_CAROL"
# alice by user id with the CLI; bob by e-mail in the sqlite3 shell
t_ok mem-1 "$CLI" member add --db "$KDB" --user "$K_ALICE" --org acme --role owner --org-id org_acme
t_ok mem-2 "$CLI" member add --db "$DDB" --user "$D_ALICE" --org acme --role owner --org-id org_acme
for db in "$KDB" "$DDB"; do
	sqlite3 "$db" "insert into authgate_membership (email, organization_id, role)
	    values ('BOB@example.test', 'org_acme', 'member')"
done

# --- servers --------------------------------------------------------------
EXPRESS_PORT=$(t_port)
t_express "$EXPRESS_PORT" || { t_fail setup "the Express backend did not start: $(tail -n 3 "$T_DIR/express.log")"; t_finish; }
proxy_lighttpd K "$KDB" || { t_fail setup "lighttpd (kysely) did not start: $(cat "$T_DIR/K/error.log")"; t_finish; }
proxy_lighttpd D "$DDB" || { t_fail setup "lighttpd (drizzle) did not start: $(cat "$T_DIR/D/error.log")"; t_finish; }

# --- per adapter: cookie names, identity, denials, roles ----------------
# tokens: make_db.mjs's (prefix ky/dz)
run_adapter() {
	local k=$1 p=$2 port=$3 db=$4 alice=$5 carol=$6
	local A5="$p-v5-0b9f4c62-6a51-4c47-9b1e-2f6f3d1a7c01"
	local A4="${p}v4a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8"
	local BOB="$p-v5-7d3e9a10-1c2b-4e5f-8a9b-0c1d2e3f4a5b"
	local CAROL="$p-v5-c4a7e2d9-5b6f-4a3c-9d8e-1f2a3b4c5d6e"
	local OLD="$p-expired-5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9"
	local n

	# the four cookie names
	get "$k-v5-1" 200 "$port" /api/projects -b "authjs.session-token=$A5"
	saw "$k-v5-2" "X-Auth-User-Id: $alice"
	saw "$k-v5-3" "X-Auth-User-Email: alice@example.test"
	saw "$k-v5-4" "X-Auth-User-Name: Alice Owner"
	saw "$k-v5-5" "X-Auth-Org-Id: org_acme"
	saw "$k-v5-6" "X-Auth-Org-Slug: acme"
	saw "$k-v5-7" "X-Auth-Role: owner"
	saw "$k-v5-8" "X-Auth-Method: session"
	saw "$k-v5-9" "X-Auth-Expires-At: 2099-01-01T00:00:00.000Z"
	get "$k-v5s-1" 200 "$port" /api/projects -b "__Secure-authjs.session-token=$A5"
	saw "$k-v5s-2" "X-Auth-User-Id: $alice"
	get "$k-v4-1" 200 "$port" /api/projects -b "next-auth.session-token=$A4"
	saw "$k-v4-2" "X-Auth-User-Id: $alice"
	saw "$k-v4-3" "X-Auth-Role: owner"
	get "$k-v4s-1" 200 "$port" /api/projects -b "__Secure-next-auth.session-token=$A4"
	saw "$k-v4s-2" "X-Auth-User-Id: $alice"
	# by e-mail (the row's case differs), from the sqlite3 shell
	get "$k-bob-1" 200 "$port" /api/projects -b "authjs.session-token=$BOB"
	saw "$k-bob-2" "X-Auth-User-Email: bob@example.test"
	saw "$k-bob-3" "X-Auth-Role: member"
	# denials
	get "$k-old-1" 401 "$port" /api/projects -b "authjs.session-token=$OLD"
	denied "$k-old-2"
	t_body "$k-old-3" 'session expired'
	get "$k-unk-1" 401 "$port" /api/projects -b "authjs.session-token=$A5-x"
	denied "$k-unk-2"
	get "$k-unk-3" 401 "$port" /api/projects -b "next-auth.session-token=nope"
	get "$k-none" 401 "$port" /api/projects
	get "$k-pub" 200 "$port" /public/info
	# a value shaped like a JWT session is never looked up as a token
	get "$k-jwe" 401 "$port" /api/projects -b "authjs.session-token=eyJhbGciOiJkaXIifQ.$A5"
	denied "$k-jwe-2"
	# a better-auth cookie finds nothing in an Auth.js database
	get "$k-ba" 401 "$port" /api/projects -b "better-auth.session_token=$A5"
	# the role rule: owner passes, member and no membership do not
	get "$k-role-1" 200 "$port" /api/admin/users -b "authjs.session-token=$A5"
	saw "$k-role-2" "X-Auth-Role: owner"
	get "$k-role-3" 403 "$port" /api/admin/users -b "authjs.session-token=$BOB"
	denied "$k-role-4"
	t_body "$k-role-5" 'admin role required'
	get "$k-role-6" 403 "$port" /api/admin/users -b "authjs.session-token=$CAROL"
	get "$k-role-7" 200 "$port" /api/projects -b "authjs.session-token=$CAROL"
	saw "$k-role-8" "X-Auth-User-Email: carol@example.test"
	t_nobody "$k-role-9" 'X-Auth-Role: .'
	# a membership added with the CLI counts on the next request ...
	t_ok "$k-cli-1" "$CLI" member add --db "$db" --user "$carol" --org acme --role admin
	get "$k-cli-2" 200 "$port" /api/admin/users -b "authjs.session-token=$CAROL"
	saw "$k-cli-3" "X-Auth-Role: admin"
	saw "$k-cli-4" "X-Auth-Org-Slug: acme"
	# ... and so does its removal
	t_ok "$k-cli-5" "$CLI" member remove --db "$db" --user "$carol" --org acme
	get "$k-cli-6" 403 "$port" /api/admin/users -b "authjs.session-token=$CAROL"
	# an edit in the sqlite3 shell, on the next request too
	sqlite3 "$db" "update authgate_membership set role = 'admin' where email = 'BOB@example.test'"
	get "$k-sh-1" 200 "$port" /api/admin/users -b "authjs.session-token=$BOB"
	saw "$k-sh-2" "X-Auth-Role: admin"
	sqlite3 "$db" "update authgate_membership set role = 'member' where email = 'BOB@example.test'"
	get "$k-sh-3" 403 "$port" /api/admin/users -b "authjs.session-token=$BOB"
	# the app signs alice out (deletes the session): refused at once
	sqlite3 "$db" "delete from session where sessionToken = '$A4'"
	get "$k-out-1" 401 "$port" /api/projects -b "next-auth.session-token=$A4"
	# the app extends a session (updateSession writes expires): honoured
	if [ "$p" = ky ]; then
		sqlite3 "$db" "update Session set expires = '2020-06-01T00:00:00.000Z' where sessionToken = '$OLD'"
		get "$k-ext-1" 401 "$port" /api/projects -b "authjs.session-token=$OLD"
		sqlite3 "$db" "update Session set expires = '2098-06-01T00:00:00.000Z' where sessionToken = '$OLD'"
	else
		sqlite3 "$db" "update session set expires = 4052419200000 where sessionToken = '$OLD'"
	fi
	get "$k-ext-2" 200 "$port" /api/projects -b "authjs.session-token=$OLD"
	saw "$k-ext-3" "X-Auth-Expires-At: 2098-06-01T00:00:00.000Z"
	# a session table authgate does not understand: 503, then repaired
	sqlite3 "$db" "alter table session add column token text"
	get "$k-shape-1" 503 "$port" /api/projects -b "authjs.session-token=$A5"
	denied "$k-shape-2"
	get "$k-shape-3" 503 "$port" /public/info
	"$CLI" doctor --db "$db" > "$T_DIR/$k.doctor" 2>&1
	t_has "$k-shape-doc" '^fail: table session has both token .* ambiguous' "$T_DIR/$k.doctor"
	sqlite3 "$db" "alter table session drop column token"
	get "$k-shape-4" 200 "$port" /api/projects -b "authjs.session-token=$A5"
	saw "$k-shape-5" "X-Auth-User-Id: $alice"
	sqlite3 "$db" "alter table session rename column expires to expiresAt"
	get "$k-shape-6" 503 "$port" /api/projects -b "authjs.session-token=$A5"
	sqlite3 "$db" "alter table session rename column expiresAt to expires"
	get "$k-shape-7" 200 "$port" /api/projects -b "authjs.session-token=$A5"
	# nothing of a token in the log
	n=$(grep -c -F -e "$A5" -e "$BOB" -e "$OLD" "$T_DIR/$k/error.log")
	t_same "$k-log-1" "$n" 0
	t_has "$k-log-2" 'ambiguous' "$T_DIR/$k/error.log"
}
run_adapter K ky "$PORT_K" "$KDB" "$K_ALICE" "$K_CAROL"
run_adapter D dz "$PORT_D" "$DDB" "$D_ALICE" "$D_CAROL"

# the adapters' tables were only ever read by authgate (the suite's own
# edits above aside): the user rows are as the adapters wrote them
t_same ro-1 "$(sqlite3 "$KDB" 'select count(*) from "User"')" 3
t_same ro-2 "$(sqlite3 "$DDB" 'select count(*) from "user"')" 3

# docs/idp.md's memberships walkthrough, line by line (its database in
# this suite's directory)
. "$T_ROOT/tests/lib/walkthrough.sh"
WALK_ID=ajs-walk t_walkthrough authjs-walk commands docs/idp.md
(export TMPDIR=$T_DIR; . "$T_DIR/checked.sh") > "$T_DIR/walk.log" 2> "$T_DIR/walk.err"
grep -E '^(ok|FAIL) ' "$T_DIR/walk.log"
T_PASS=$((T_PASS + $(grep -c '^ok ' "$T_DIR/walk.log")))
T_FAIL=$((T_FAIL + $(grep -c '^FAIL ' "$T_DIR/walk.log")))
t_ok ajs-walk-count test "$(grep -c '^ok ' "$T_DIR/walk.log")" -ge 12
t_has ajs-walk-out 'role=owner' "$T_DIR/walk.log"

t_cleanup
t_sanitizers asan-K "$T_DIR/K/error.log"
t_sanitizers asan-D "$T_DIR/D/error.log"
t_finish
