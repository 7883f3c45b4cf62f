#!/bin/bash
# admin.sh - the administration commands (issue 5): key create|list|
# revoke|rotate, rule list|add|set|rm|test, check --json, stats, doctor,
# init's views and db/admin.sql; every flag, bad input, missing and
# read-only database, non-existent ids and the exit codes; that errors
# are one line and no secret is printed; and, through the shipped
# lighttpd.conf, that a key the CLI creates is accepted, and refused once
# revoked or rotated, and that rule edits apply on the next request.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/cli.sh"
t_setup admin
AG="$T_ROOT/build/asan/authgate"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
unset BETTER_AUTH_SECRET BETTER_AUTH_SECRET_FILE AUTHGATE_DB AUTHGATE_COOKIE_PREFIX \
    AUTHGATE_WEBHOOK_SECRET AUTHGATE_WEBHOOK_SECRET_FILE
NOBODY="setpriv --reuid=65534 --regid=65534 --clear-groups"

# t_bad ID CMD...: a usage or store error: exit 2, one line on stderr
# that names the command, nothing on stdout.
t_bad() {
	local id=$1; shift
	t_run "$id" 2 "$@"
	t_err1 "$id-line"
	[ ! -s "$T_DIR/out" ] && t_pass "$id-noout" || t_fail "$id-noout" "stdout: $(head -c 200 "$T_DIR/out")"
}
q() { sqlite3 "$DB" "$1"; }
json() { python3 -c "import json,sys; d=json.load(open('$T_DIR/out')); print($1)"; }
b64hash() { printf '%s' "$1" | openssl dgst -sha256 -binary | base64 -w0 | tr '+/' '-_' | tr -d '='; }
# near OFFSET ISO: ISO is within two minutes of now + OFFSET (date -d syntax).
near() {
	local want got
	want=$(date -u -d "$1" +%s); got=$(date -u -d "$2" +%s 2>/dev/null) || return 1
	[ $((got - want)) -le 120 ] && [ $((want - got)) -le 120 ]
}

DB="$T_DIR/authgate.db"
t_db "$DB" || { t_fail setup "cannot build the test database"; t_finish; }
export AUTHGATE_DB="$DB"

# --- help for every command; a bare group is a usage error
t_run help-001 0 "$AG" key --help
for w in create list revoke rotate --name --user --org --role --expires --prefix --json --force --db; do
	grep -q -- "$w" "$T_DIR/out" && t_pass "help-key-$w" || t_fail "help-key-$w" "key --help lacks $w"
done
t_run help-002 0 "$AG" rule --help
for w in list add set rm test --path --access --method --min-role --on-deny --redirect-to --priority --note --force; do
	grep -q -- "$w" "$T_DIR/out" && t_pass "help-rule-$w" || t_fail "help-rule-$w" "rule --help lacks $w"
done
t_run help-003 0 "$AG" stats --help
t_run help-004 0 "$AG" doctor --help
t_out help-005 -- '--user'
t_run help-006 0 "$AG" check --help
t_out help-007 -- '--json'
t_run help-008 0 "$AG" --help
for w in 'key create' 'key list' 'key revoke' 'key rotate' 'rule list' 'rule add' 'rule set' 'rule rm' 'rule test' stats doctor; do
	grep -q -- "$w" "$T_DIR/out" && t_pass "help-main-$w" || t_fail "help-main-$w" "--help lacks $w"
done
t_bad help-009 "$AG" key
t_err help-009b "which one: create, list, revoke or rotate"
t_bad help-010 "$AG" rule
t_bad help-011 "$AG" key frob
t_err help-012 "unknown subcommand 'frob'"
t_bad help-013 "$AG" rule frob
t_run help-014 0 "$AG" key create --help

# --- init creates the views, again and again, and only authgate_* objects
views() { sqlite3 "$1" "select group_concat(name, ' ') from (select name from sqlite_schema where type = 'view' order by name)"; }
t_ok init-001 test "$(views "$DB")" = "authgate_active_sessions authgate_keys authgate_members authgate_recent_events authgate_rules"
t_run init-002 0 "$AG" init --db "$DB"
t_ok init-003 test "$(views "$DB")" = "authgate_active_sessions authgate_keys authgate_members authgate_recent_events authgate_rules"
t_noout init-004 'left out'
# the views never show a token or a key hash
# (a view whose columns or rows cannot be read fails: no columns and no
# rows would show no secret either)
cols="" unread=""
for v in authgate_active_sessions authgate_members authgate_keys authgate_recent_events authgate_rules; do
	c=$(sqlite3 "$DB" "select name from pragma_table_info('$v')") && [ -n "$c" ] || unread="$unread $v"
	cols="$cols $(echo $c)"
done
if [ -n "$unread" ]; then t_fail init-005 "cannot read the columns of:$unread"
else case " $cols " in *" token "*|*" key "*|*" hash "*) t_fail init-005 "a view shows a secret column: $cols" ;; *) t_pass init-005 ;; esac; fi
if ! rows=$(sqlite3 "$DB" 'select * from authgate_active_sessions; select * from authgate_keys' 2>&1) || [ -z "$rows" ]; then
	t_fail init-006 "cannot read the views: $rows"
elif grep -q -e demo-session -e 4rESNPElRNMCAVpWXfoj8nicgwKDD24EvBq5 <<< "$rows"; then
	t_fail init-006 "a view printed a token or hash"; else t_pass init-006; fi
t_ok init-007 test "$(q "select count(*) from authgate_active_sessions")" = "$(( $(q "select count(*) from session") - 2 ))"	# s_expired, s_ms_old
t_ok init-008 test "$(q "select state from authgate_keys where id = 'k_old'")" = disabled
t_ok init-009 test "$(q "select state from authgate_keys where id = 'k_expired'")" = expired
t_ok init-010 test "$(q "select org_id || ' ' || role from authgate_keys where id = 'k_meta'")" = "org_acme admin"
t_ok init-011 test "$(q "select owner_kind || ' ' || org_id from authgate_keys where id = 'k_org'")" = "organization org_acme"
t_ok init-012 test "$(q "select expires_at from authgate_active_sessions where session_id = 's_ms'")" = "2099-01-01T00:00:00.000Z"
t_ok init-013 test "$(q "select role from authgate_members where user_id = 'u_multi'")" = "guest,admin"
t_ok init-014 test "$(q "select group_concat(id) from authgate_rules")" = "1,2,3,11,4,5,6,7,8,9,10"
# a better-auth database without the organization and api-key plugins:
# the views that need them are left out, and ALTER TABLE still works
sqlite3 "$T_DIR/bare.db" 'create table "user" (id text primary key, name text, email text); create table session (id text primary key, token text, userId text, expiresAt date, activeOrganizationId text, createdAt date, updatedAt date, ipAddress text, userAgent text)'
t_run init-015 0 "$AG" init --db "$T_DIR/bare.db"
t_out init-016 'left out.*authgate_active_sessions, authgate_members, authgate_keys'
t_ok init-017 test "$(views "$T_DIR/bare.db")" = "authgate_recent_events authgate_rules"
t_ok init-018 sqlite3 "$T_DIR/bare.db" 'alter table session rename to session2; alter table session2 rename to session'
t_ok init-019 test "$(sqlite3 "$T_DIR/bare.db" "select count(*) from sqlite_schema where type = 'table' and name not like 'authgate%'")" = 2
# the views have one source, db/admin.sql, which init runs after schema.sql
t_ok init-020 test "$(grep -c -i '^create view' "$T_ROOT/db/schema.sql")" = 0
t_ok init-021 test "$(grep -c -i '^create view' "$T_ROOT/db/admin.sql")" = 5
cp "$DB" "$T_DIR/adminsql.db"
t_ok init-022 sqlite3 "$T_DIR/adminsql.db" ".read $T_ROOT/db/admin.sql"
t_ok init-023 test "$(views "$T_DIR/adminsql.db")" = "authgate_active_sessions authgate_keys authgate_members authgate_recent_events authgate_rules"
# every recipe in db/admin.sql runs
grep -E '^--     sqlite3 ' "$T_ROOT/db/admin.sql" | sed 's/^--     //' | grep -v 'drop view' > "$T_DIR/recipes.sh"
n=0; bad=0
while IFS= read -r line; do
	n=$((n + 1))
	( DB="$T_DIR/adminsql.db"; eval "$line" ) >/dev/null 2>"$T_DIR/recipe.err" || { bad=$((bad + 1)); echo "recipe failed: $line: $(cat "$T_DIR/recipe.err")"; }
done < "$T_DIR/recipes.sh"
[ "$n" -ge 12 ] && [ "$bad" = 0 ] && t_pass init-024 || t_fail init-024 "$bad of $n recipes failed"

# a real better-auth database gets all five views, and they read it
cp "$T_ROOT/tests/vectors/betterauth/betterauth.db" "$T_DIR/ba.db"
t_run init-026 0 "$AG" init --db "$T_DIR/ba.db"
t_ok init-027 test "$(views "$T_DIR/ba.db")" = "authgate_active_sessions authgate_keys authgate_members authgate_recent_events authgate_rules"
t_ok init-028 test "$(sqlite3 "$T_DIR/ba.db" "select count(*) from authgate_keys where owner_kind = 'user'")" -gt 0
t_same init-029 "$(sqlite3 "$T_DIR/ba.db" "select count(*) from authgate_members")" "$(sqlite3 "$T_DIR/ba.db" "select count(*) from member")"
t_run init-030 0 "$AG" key list --db "$T_DIR/ba.db"
t_run init-031 0 "$AG" stats --db "$T_DIR/ba.db"
# a new database is never world-readable (it holds session tokens)
( umask 022; "$AG" init --db "$T_DIR/mode.db" >/dev/null )
t_ok init-025 test "$(stat -c %a "$T_DIR/mode.db")" = 640

# --- key create: the better-auth apikey layout, only a hash stored
t_run key-001 0 "$AG" key create --name ci-deploy --user u_mia --org org_acme --role member --expires 30d
t_err1 key-002
t_err key-003 'only time the key is shown'
K1=$(sed -n 's/^key: //p' "$T_DIR/out")
K1_ID=$(sed -n 's/^id: //p' "$T_DIR/out")
[[ $K1 =~ ^ag_[A-Za-z0-9_-]{43}$ ]] && t_pass key-004 || t_fail key-004 "key format: $K1"
[[ $K1_ID =~ ^[A-Za-z0-9]{32}$ ]] && t_pass key-005 || t_fail key-005 "id format: $K1_ID"
t_out key-006 '^name: ci-deploy$'
t_out key-007 '^owner: user u_mia$'
t_out key-008 '^organization: org_acme$'
t_out key-009 '^role: member$'
t_ok key-010 near '+30 days' "$(sed -n 's/^expires: //p' "$T_DIR/out")"
row=$(q "select configId, name, start, prefix, referenceId, enabled, rateLimitEnabled, requestCount from apikey where id = '$K1_ID'")
t_ok key-011 test "$row" = "default|ci-deploy|${K1:0:6}|ag_|u_mia|1|0|0"
t_ok key-012 test "$(q "select key from apikey where id = '$K1_ID'")" = "$(b64hash "$K1")"
t_ok key-013 test "$(q "select json_extract(metadata, '$.organizationId') || ',' || json_extract(metadata, '$.role') from apikey where id = '$K1_ID'")" = "org_acme,member"
t_ok key-014 test "$(q "select expiresAt like '____-__-__T__:__:__.___Z' and createdAt like '____-__-__T__:__:__.___Z' and createdAt = updatedAt from apikey where id = '$K1_ID'")" = 1
t_lacks key-015 "$K1" "$DB" "?$DB-wal"	# the raw key is not in the database
# --json, an organization's key, never-expiring, other prefixes
t_run key-016 0 "$AG" key create --name org-bot --org org_acme --role admin --json --prefix acme_live_
t_noerr key-017
K2=$(json 'd["key"]'); K2_ID=$(json 'd["id"]')
t_ok key-018 test "$(json 'd["owner"], d["owner_kind"], d["org_id"], d["role"], d["expires_at"]')" = "org_acme organization org_acme admin None"
[[ $K2 =~ ^acme_live_[A-Za-z0-9_-]{43}$ ]] && t_pass key-019 || t_fail key-019 "key format: $K2"
# issue 8: an organization key's role is a grant, not client-settable metadata
t_ok key-020 test "$(q "select referenceId || '|' || coalesce(expiresAt, 'null') || '|' || coalesce(metadata, 'null') || '|' || start || '|' || (select role from authgate_key_role where key_id = '$K2_ID') from apikey where id = '$K2_ID'")" = "org_acme|null|null|acme_l|admin"
t_run key-021 0 "$AG" key create --name plain --user u_nora --prefix '' --expires never
K3=$(sed -n 's/^key: //p' "$T_DIR/out"); K3_ID=$(sed -n 's/^id: //p' "$T_DIR/out")
[[ $K3 =~ ^[A-Za-z0-9_-]{43}$ ]] && t_pass key-022 || t_fail key-022 "key format: $K3"
t_ok key-023 test "$(q "select coalesce(prefix, 'null') || coalesce(metadata, 'null') || coalesce(expiresAt, 'null') from apikey where id = '$K3_ID'")" = nullnullnull
Y=$(( $(date -u +%Y) + 1 ))
t_run key-024 0 "$AG" key create --name dated --user u_mia --expires "$Y-12-31"
t_out key-025 "^expires: $Y-12-31T00:00:00.000Z$"
t_run key-026 0 "$AG" key create --name timed --user u_mia --expires "$Y-06-30T18:30:00Z" --json
t_ok key-027 test "$(json 'd["expires_at"]')" = "$Y-06-30T18:30:00.000Z"
for u in 90m 12h 8w; do
	t_run "key-028-$u" 0 "$AG" key create --name "dur-$u" --user u_mia --expires "$u" --json
done
t_ok key-029 near '+8 weeks' "$(json 'd["expires_at"]')"
K_FORCE_ID=
t_run key-030 0 "$AG" key create --name forced --user u_nora --org org_acme --force --json
t_run key-031 0 "$AG" key create --name outrank --user u_gus --org org_acme --role admin --force --json
t_run key-032 0 "$AG" key create --name=eq-form --user=u_mia --json	# --flag=value
t_ok key-033 test "$(json 'd["name"]')" = eq-form
# bad input: one line, exit 2, nothing stored
before=$(q "select count(*) from apikey")
t_bad key-100 "$AG" key create --user u_mia
t_err key-101 -- '--name is required'
t_bad key-102 "$AG" key create --name x
t_err key-103 -- '--user ID, --org ID'
t_bad key-104 "$AG" key create --name x --user u_nobody
t_err key-105 'no user with id u_nobody'
t_bad key-106 "$AG" key create --name x --org org_nope
t_err key-107 'no organization with id org_nope'
t_bad key-108 "$AG" key create --name x --org u_mia
t_bad key-109 "$AG" key create --name x --user org_acme
t_bad key-110 "$AG" key create --name x --user u_mia --role superuser
t_err key-111 -- '--role must be one of guest, member, admin, owner'
for e in 30x 0d d 30 -5d 2020-01-01 36501d 2026-13-01 tomorrow 99999999999999999999d "30 d" ""; do
	t_bad "key-112-[$e]" "$AG" key create --name x --user u_mia --expires "$e"
	grep -q -- '--expires' "$T_DIR/err" && t_pass "key-113-[$e]" || t_fail "key-113-[$e]" "error does not name --expires: $(cat "$T_DIR/err")"
done
t_bad key-114 "$AG" key create --name x --user u_mia --prefix 'ag.'
t_err key-115 -- '--prefix'
t_bad key-116 "$AG" key create --name x --user u_mia --prefix "$(printf 'p%.0s' $(seq 1 33))"
t_bad key-117 "$AG" key create --name x --user u_mia --bogus
t_err key-118 'unknown option --bogus'
t_bad key-119 "$AG" key create --name x --user u_mia --name y
t_err key-120 'given twice'
t_bad key-121 "$AG" key create --user u_mia --name
t_err key-122 'needs a value'
t_bad key-123 "$AG" key create --name "$(printf 'a\tb')" --user u_mia
t_bad key-124 "$AG" key create --name "$(printf 'n%.0s' $(seq 1 257))" --user u_mia
t_bad key-125 "$AG" key create --name x --user u_nora --org org_acme
t_err key-126 'not a member of org_acme'
t_bad key-127 "$AG" key create --name x --user u_mia --org org_acme --role owner
t_err key-128 'above u_mia.s own role'
t_bad key-133 "$AG" key create --name x --user u_mia --role admin
t_err key-134 -- '--role needs --org'
t_bad key-129 "$AG" key create --name x --user u_mia --json --json
t_bad key-130 "$AG" key create --name x --user u_mia extra-arg
t_bad key-131 "$AG" key create --name x --user u_mia --json=1
t_ok key-132 test "$(q "select count(*) from apikey")" = "$before"
# issue 8: a role outside an organization is refused even with --force (the
# decision gives a key no role without an organization of its owner's)
t_bad key-135 "$AG" key create --name x-forced --user u_nora --role admin --force --json
t_err key-136 -- '--role needs --org'
# an organization's key: --role is a grant in authgate_key_role, not metadata
t_run key-137 0 "$AG" key create --name org-granted --org org_acme --role admin --json
K_GRANT=$(json 'd["id"]')
t_ok key-138 test "$(q "select role from authgate_key_role where key_id = '$K_GRANT'")" = admin
t_ok key-139 test "$(q "select coalesce(metadata, 'NULL') from apikey where id = '$K_GRANT'")" = NULL
t_run key-140 0 "$AG" key rotate "$K_GRANT" --json
K_GRANT2=$(json 'd["id"]')
t_ok key-141 test "$(q "select role from authgate_key_role where key_id = '$K_GRANT2'")" = admin

# --- key list: never a secret
t_run list-001 0 "$AG" key list
t_noerr list-002
t_out list-003 '^ID +NAME +START +OWNER +ORG +ROLE +ENABLED +EXPIRES +CREATED +REMAINING +RATE +LAST USE$'
t_out list-004 "^$K1_ID +ci-deploy +${K1:0:6} +user:u_mia +org_acme +member +yes +$(q "select expiresAt from apikey where id = '$K1_ID'") +$(q "select createdAt from apikey where id = '$K1_ID'") +unlimited +- +-$"
t_out list-005 "^$K2_ID +org-bot +acme_l +org:org_acme +org_acme +admin +yes +never"
t_out list-006 '^k_old +Revoked key +ag_demo +user:u_mia +- +- +no '
t_out list-007 '^k_expired .*2020-01-01T00:00:00.000Z \(expired\)'
# no key or hash in what key list printed (stdout must be there to read)
SECRETS_RE="$K1|$K2|$K3|$(b64hash "$K1")|$(b64hash "$K2")|4rESNPElRNMCAVpWXfoj8nicgwKDD24EvBq5|a1cfcdd79af6039acddd69b4ea3bc39a"
t_lacks list-008 "$SECRETS_RE" "$T_DIR/out" "?$T_DIR/err"
t_run list-009 0 "$AG" key list --json
t_same list-010 "$(json 'len(d)')" "$(q 'select count(*) from apikey')"
t_ok list-011 test "$(json 'sorted(d[0].keys())')" = "['created_at', 'enabled', 'expired', 'expires_at', 'id', 'last_use', 'name', 'org_id', 'owner', 'owner_kind', 'prefix', 'rate_limit_enabled', 'rate_limit_max', 'rate_limit_window_ms', 'refill_amount', 'refill_interval_ms', 'remaining', 'request_count', 'role', 'start', 'uses_here']"
t_ok list-012 test "$(json '[k["expired"] for k in d if k["id"]=="k_expired"][0]')" = True
t_lacks list-013 "$SECRETS_RE" "$T_DIR/out"
t_run list-014 0 "$AG" key list --user u_nora
t_ok list-015 test "$(grep -c . "$T_DIR/out")" = 4	# header + plain + forced + x-forced
t_run list-016 0 "$AG" key list --org org_acme --json
t_ok list-017 test "$(json 'all(k["org_id"] == "org_acme" for k in d) and len(d) >= 5')" = True
t_run list-018 0 "$AG" key list --user u_nobody
t_out list-019 '^no keys match'
t_bad list-020 "$AG" key list --frob
t_bad list-021 "$AG" key list extra
t_bad list-022 "$AG" key list --db "$T_DIR/missing.db"
t_err list-023 "no database at $T_DIR/missing.db; create it with 'authgate init"
t_ok list-024 test ! -e "$T_DIR/missing.db"	# never created by a typo
t_bad list-025 "$AG" key list --db "$T_DIR/bare.db"
t_err list-026 'no apikey table'
printf 'not a database at all, just text\n%.0s' $(seq 1 100) > "$T_DIR/junk.db"
t_bad list-027 "$AG" key list --db "$T_DIR/junk.db"
t_err list-028 'not a database'
t_bad list-029 "$AG" key list --db "$T_DIR"
t_err list-030 'not a database file'
: > "$T_DIR/empty.db"
t_bad list-031 "$AG" key list --db "$T_DIR/empty.db"
t_bad list-035 "$AG" init --db "$T_DIR/junk.db"
t_err list-036 'init: .*junk.db: file is not a database'
# control characters stored in a name do not reach the terminal
q "update apikey set name = 'evil' || char(27) || '[31m' || char(10) || 'x' where id = '$K3_ID'"
t_run list-032 0 "$AG" key list
if grep -q "$(printf '\033')" "$T_DIR/out"; then t_fail list-033 "an escape reached the terminal"; else t_pass list-033; fi
t_out list-034 "^$K3_ID +evil\?\[31m\?x "

# --- key revoke and rotate
t_run rev-001 0 "$AG" key revoke "$K3_ID"
t_out rev-002 "^revoked key $K3_ID "
t_ok rev-003 test "$(q "select enabled from apikey where id = '$K3_ID'")" = 0
t_ok rev-004 test "$(q "select updatedAt > createdAt from apikey where id = '$K3_ID'")" = 1
t_run rev-005 0 "$AG" key revoke "$K3_ID"
t_out rev-006 'already revoked'
t_bad rev-007 "$AG" key revoke no-such-key
t_err rev-008 "no key with id no-such-key; see 'authgate key list'"
t_bad rev-009 "$AG" key revoke
t_bad rev-010 "$AG" key revoke a b
t_bad rev-011 "$AG" key revoke k_mia --frob
t_run rot-001 0 "$AG" key rotate "$K1_ID"
K1B=$(sed -n 's/^key: //p' "$T_DIR/out"); K1B_ID=$(sed -n 's/^id: //p' "$T_DIR/out")
t_out rot-002 "^replaces: $K1_ID \(now disabled\)$"
t_out rot-003 '^role: member$'
t_ok rot-004 test "$(q "select enabled from apikey where id = '$K1_ID'")" = 0
t_ok rot-005 test "$(q "select name || '|' || referenceId || '|' || enabled || '|' || metadata || '|' || configId from apikey where id = '$K1B_ID'")" = "ci-deploy|u_mia|1|$(q "select metadata from apikey where id = '$K1_ID'")|default"
t_same rot-006 "$(q "select expiresAt from apikey where id = '$K1B_ID'")" "$(q "select expiresAt from apikey where id = '$K1_ID'")"
t_ok rot-007 test "$(q "select key from apikey where id = '$K1B_ID'")" = "$(b64hash "$K1B")"
[ "$K1B" != "$K1" ] && t_pass rot-008 || t_fail rot-008 "same key"
t_bad rot-009 "$AG" key rotate "$K1_ID"	# revoked
t_err rot-010 'is revoked'
t_run rot-011 0 "$AG" key rotate "$K3_ID" --force --json
t_ok rot-012 test "$(json 'd["replaces"]')" = "$K3_ID"
t_bad rot-013 "$AG" key rotate k_expired
t_err rot-014 'has expired; give the new key --expires'
t_run rot-015 0 "$AG" key rotate k_expired --expires 7d --json
t_ok rot-016 near '+7 days' "$(json 'd["expires_at"]')"
t_run rot-017 0 "$AG" key rotate "$K2_ID" --prefix ag_ --expires never --json
K2B=$(json 'd["key"]'); K2B_ID=$(json 'd["id"]')
[[ $K2B =~ ^ag_ ]] && t_pass rot-018 || t_fail rot-018 "prefix not applied"
t_ok rot-019 test "$(json 'd["owner_kind"], d["org_id"], d["role"]')" = "organization org_acme admin"
t_bad rot-020 "$AG" key rotate no-such-key
t_bad rot-021 "$AG" key rotate
t_bad rot-022 "$AG" key rotate k_mia --expires 0d

# --- issue 12: a rule's require_permission through the CLI
PMEMBER=$(t_cookie demo-session-mia-member)
t_run perm-001 0 "$AG" rule add --path '/api/perm/**' --access authenticated --permission projects:read,projects:write --priority 1
t_out perm-002 'added rule [0-9]+: priority 1, any method, /api/perm/\*\*, authenticated, permission projects:read,projects:write, on deny auto'
PERM_ID=$(q "select id from authgate_rule where path = '/api/perm/**'")
t_ok perm-003 test "$(q "select require_permission from authgate_rule where id = $PERM_ID")" = projects:read,projects:write
t_run perm-004 0 "$AG" rule list
t_out perm-005 "^$PERM_ID +1 +any +/api/perm/\*\* +authenticated +- +projects:read,projects:write +auto "
t_run perm-006 0 "$AG" rule test --method GET --path /api/perm/x
t_out perm-007 '^require_permission: projects:read,projects:write$'
t_run perm-008 1 env BETTER_AUTH_SECRET="$T_SECRET" "$AG" check --method GET --path /api/perm/x --cookie "$PMEMBER"
t_out perm-009 '^reason: permission_required$'
t_out perm-010 '^permissions: required=projects:read,projects:write granted=-$'
q "insert into authgate_role_permission values ('member', 'projects:read'), ('member', 'projects:write')"
t_run perm-011 0 env BETTER_AUTH_SECRET="$T_SECRET" "$AG" check --method GET --path /api/perm/x --cookie "$PMEMBER"
t_out perm-012 '^permissions: required=projects:read,projects:write granted=projects:read,projects:write$'
t_run perm-013 2 "$AG" rule set "$PERM_ID" --permission projects
t_err perm-014 'resource:action'
t_run perm-015 2 "$AG" rule add --path '/api/perm2/**' --access public --permission a:b --priority 2
t_err perm-016 '--permission has no effect on a public rule'
t_run perm-017 0 "$AG" rule set "$PERM_ID" --permission none
t_ok perm-018 test "$(q "select coalesce(require_permission, 'NULL') from authgate_rule where id = $PERM_ID")" = NULL
t_run perm-019 0 "$AG" rule rm "$PERM_ID"
q "delete from authgate_role_permission"
# init brings a database of an older authgate up to date, idempotently
OLD="$T_DIR/old-perm.db"
t_db "$OLD" || t_fail perm-020 "cannot build the test database"
sqlite3 "$OLD" "drop view authgate_rules; alter table authgate_rule drop column require_permission; drop table authgate_role_permission" && t_pass perm-020 || t_fail perm-020 "cannot make the old shape"
t_ok perm-021 test "$(sqlite3 "$OLD" "select count(*) from pragma_table_info('authgate_rule') where name = 'require_permission'")" = 0
t_run perm-022 0 env BETTER_AUTH_SECRET="$T_SECRET" "$AG" check --db "$OLD" --method GET --path /api/projects --cookie "$PMEMBER"	# old shape: still decided
t_run perm-023 0 "$AG" init --db "$OLD"
t_ok perm-024 test "$(sqlite3 "$OLD" "select count(*) from pragma_table_info('authgate_rule') where name = 'require_permission'")" = 1
t_ok perm-025 test "$(sqlite3 "$OLD" "select count(*) from sqlite_schema where name = 'authgate_role_permission'")" = 1
t_ok perm-026 test "$(sqlite3 "$OLD" "select group_concat(id) from authgate_rule")" = "$(q "select group_concat(id) from authgate_rule")"
t_run perm-027 0 "$AG" init --db "$OLD"
t_ok perm-028 test "$(sqlite3 "$OLD" "select count(*) from pragma_table_info('authgate_rule') where name = 'require_permission'")" = 1

# --- rules: list, add, set, rm, test
t_run rule-001 0 "$AG" rule list
t_out rule-002 '^ID +PRIO +METHOD +PATH +ACCESS +MIN_ROLE +PERMISSION +ON_DENY +REDIRECT +STATUS +NOTE$'
t_out rule-003 '^3 +30 +any +/api/admin/\*\* +authenticated +admin +- +json +- +ok +admins and owners$'
t_noout rule-004 'UNREACHABLE|INVALID'
t_run rule-005 0 "$AG" rule list --json
t_ok rule-006 test "$(json '[r["id"] for r in d]')" = "[1, 2, 3, 11, 4, 5, 6, 7, 8, 9, 10]"
t_ok rule-007 test "$(json 'd[4]["method"], d[4]["min_role"], d[6]["shadowed_by"], d[0]["valid"]')" = "POST,PUT,PATCH,DELETE member [] True"
# add: validated, ordered, refused when it could never match
t_run rule-010 0 "$AG" rule add --path '/api/billing/**' --access authenticated --min-role owner --priority 25 --note 'billing: owners'
t_out rule-011 '^added rule 12: priority 25, any method, /api/billing/\*\*, authenticated, min role owner, on deny auto, note: billing: owners; tried after rule 2, before rule 3$'
t_ok rule-012 test "$(q "select priority || coalesce(method, 'null') || path || access || min_role || on_deny || coalesce(redirect_to, 'null') || note from authgate_rule where id = 12")" = "25null/api/billing/**authenticatedownerautonullbilling: owners"
t_run rule-013 2 "$AG" rule add --path '/api/reports/**' --access authenticated
t_err1 rule-014
t_err rule-015 'could never match: rule 6 \(priority 90, any method /api/\*\*\) is tried first.*--priority below 90'
t_run rule-016 2 "$AG" rule add --path '/api/**' --access public --priority 1
t_err1 rule-017
t_err rule-018 'would never match again.*1 \(/api/health\), 2 \(/api/internal/\*\*\)'
t_run rule-019 0 "$AG" rule add --path '/api/reports/**' --access authenticated --force
t_err rule-020 'warning: rule 13 can never match'
t_run rule-021 0 "$AG" rule list
t_out rule-022 '^13 +100 .*UNREACHABLE \(after rule 6\)'
t_out rule-023 '1 unreachable rule'
t_run rule-024 0 "$AG" rule rm 13
t_out rule-025 '^removed rule 13: priority 100, any method, /api/reports/\*\*, authenticated, on deny auto$'
t_run rule-026 0 "$AG" rule add --path /api/open --access public --method get,head --on-deny json --priority 15
t_ok rule-027 test "$(q "select method from authgate_rule where path = '/api/open'")" = get,head
t_run rule-028 0 "$AG" rule add --path '/app/admin/**' --access session --min-role admin --on-deny redirect --redirect-to /login --priority 99
t_run rule-029 0 "$AG" rule add --path '/x' --access deny --method any --priority 60
t_ok rule-030 test "$(q "select coalesce(method, 'null') from authgate_rule where path = '/x'")" = null
for bad in \
    "--access public" \
    "--path /x" \
    "--path api/x --access public" \
    "--path /api//x --access public" \
    "--path /api/**/x --access public" \
    "--path /api/../x --access public" \
    "--path /api/%2e --access public" \
    "--path /x --access bogus" \
    "--path /x --access public --min-role admin" \
    "--path /x --access deny --min-role admin" \
    "--path /x --access session --min-role root" \
    "--path /x --access session --on-deny maybe" \
    "--path /x --access session --on-deny json --redirect-to /login" \
    "--path /x --access session --redirect-to //evil.example" \
    "--path /x --access session --redirect-to /a?b" \
    "--path /x --access session --method GET;POST" \
    "--path /x --access session --priority abc" \
    "--path /x --access session --priority 1e3" \
    "--path /x --access session --priority 1000000001" \
    "--path /x --access session --frob" \
    "--path /x --access session extra"; do
	# shellcheck disable=SC2086
	t_bad "rule-040-[$bad]" "$AG" rule add $bad
done
t_run rule-041 2 "$AG" rule add --path /x --access session --method 'GET POST'
t_err rule-042 -- '--method takes a comma list'
t_run rule-043 2 "$AG" rule add --path '/a/**/b' --access public
t_err rule-044 "'\*\*' only as its whole last segment"
t_run rule-045 2 "$AG" rule add --path /x --access session --redirect-to '//evil.example'
t_err rule-046 -- '--redirect-to must be a local path'
t_run rule-047 0 "$AG" rule add --path /neg --access public --priority -5
t_ok rule-048 test "$(q "select priority from authgate_rule where path = '/neg'")" = -5
# set: partial changes, validated the same way
t_run rule-050 0 "$AG" rule set 12 --min-role admin --note ''
t_out rule-051 '^updated rule 12: priority 25, any method, /api/billing/\*\*, authenticated, min role admin, on deny auto; tried after rule 2, before rule 3$'
t_ok rule-052 test "$(q "select min_role || coalesce(note, 'null') from authgate_rule where id = 12")" = adminnull
t_run rule-053 0 "$AG" rule set 12 --min-role none --method POST
t_ok rule-054 test "$(q "select coalesce(min_role, 'null') || method from authgate_rule where id = 12")" = nullPOST
t_run rule-055 2 "$AG" rule set 12 --priority 95
t_err rule-056 'could never match: rule 6'
t_run rule-057 2 "$AG" rule set 6 --priority 1
t_err rule-058 'would never match again'
t_bad rule-059 "$AG" rule set 12
t_err rule-060 'nothing to change'
t_bad rule-061 "$AG" rule set 999 --priority 3
t_err rule-062 "no rule with id 999; see 'authgate rule list'"
t_bad rule-063 "$AG" rule set abc --priority 3
t_bad rule-064 "$AG" rule set 12 --access nope
t_bad rule-065 "$AG" rule set --priority 3
t_ok rule-066 test "$(q "select priority from authgate_rule where id = 12")" = 25
# rm
t_bad rule-070 "$AG" rule rm 999
t_err rule-071 'no rule with id 999'
t_bad rule-072 "$AG" rule rm abc
t_bad rule-073 "$AG" rule rm 0
t_bad rule-074 "$AG" rule rm
t_bad rule-075 "$AG" rule rm 1 2
# test: which rule meets a request
t_run rule-080 0 "$AG" rule test --method GET --path /api/admin/users
t_out rule-081 '^rule: id=3 priority=30 path=/api/admin/\*\* access=authenticated$'
t_out rule-082 '^min_role: admin$'
t_out rule-083 '^also matches \(never reached for this request\): rule 6 \(/api/\*\*\)$'
t_run rule-084 0 "$AG" rule test --method GET --path /nowhere
t_out rule-085 '^rule: default \(authenticated\)$'
t_run rule-086 1 "$AG" rule test --method GET --path /api/../admin
t_out rule-087 '^refused: 400 path_dot_segment'
t_bad rule-088 "$AG" rule test --method 'G T' --path /api/x	# not a method: refused, as GTE
t_err rule-089 "unknown HTTP method 'G T'"
t_run rule-090 0 "$AG" rule test --method GET --path '/api/%61dmin/users?x=1' --json
t_ok rule-091 test "$(json 'd["path"], d["rule"]["id"], d["access"], d["also_matching"]')" = "/api/admin/users 3 authenticated [6]"
t_run rule-092 0 "$AG" rule test --method post --path /api/projects/7
t_out rule-093 '^rule: id=4 '
t_bad rule-094 "$AG" rule test --path /x
t_bad rule-095 "$AG" rule test --method GET
# a rule broken in the sqlite3 shell: list marks it, test and check say 503
q "insert into authgate_rule (id, priority, path, access) values (90, 1, 'no-slash', 'public')"
t_run rule-100 0 "$AG" rule list
t_out rule-101 '^90 +1 .*INVALID \(bad_path\)'
t_out rule-102 '1 invalid rule: every request is answered 503'
t_run rule-103 1 "$AG" rule test --method GET --path /api/x
t_out rule-104 'refused: 503 rules_invalid: rule 90 is invalid'
t_run rule-105 2 "$AG" check --method GET --path /api/health
t_out rule-106 '^reason: rules_invalid$'
t_err rule-107 'rule 90 is invalid \(bad_path\); every request gets 503 until it is fixed'
t_err1 rule-107-line
t_run rule-108 0 "$AG" rule rm 90
# methods: only names from IANA's registry, on every --method and in a row
t_bad rule-110 "$AG" rule add --path /api/typo --access public --method GTE
t_err rule-111 "rule add: unknown HTTP method 'GTE'; --method takes a comma list"
t_bad rule-112 "$AG" rule add --path /api/typo --access public --method GET,GTE
t_err rule-113 "unknown HTTP method 'GTE'"
t_ok rule-114 test "$(q "select count(*) from authgate_rule where path = '/api/typo'")" = 0
t_bad rule-115 "$AG" rule set 3 --method M-SEARCH
t_bad rule-116 "$AG" rule test --method GTE --path /api/x
t_err rule-117 "rule test: unknown HTTP method 'GTE'"
t_bad rule-118 "$AG" check --method GTE --path /api/x
t_err rule-119 "check: unknown HTTP method 'GTE'"
t_run rule-120 0 "$AG" rule add --path /dav/** --access authenticated --method propfind,MKCOL,Version-Control --priority 70
t_ok rule-121 test "$(q "select method from authgate_rule where path = '/dav/**'")" = propfind,MKCOL,Version-Control
t_run rule-122 0 "$AG" rule test --method PROPFIND --path /dav/x
t_out rule-123 "^rule: id=$(q "select id from authgate_rule where path = '/dav/**'") "
t_run rule-124 0 "$AG" rule rm "$(q "select id from authgate_rule where path = '/dav/**'")"
# a row naming an unknown method, written in the sqlite3 shell: invalid, 503
q "insert into authgate_rule (id, priority, method, path, access) values (91, 1, 'GET,GTE', '/api/x', 'public')"
t_run rule-125 0 "$AG" rule list
t_out rule-126 '^91 +1 +GET,GTE .*INVALID \(bad_method\)'
t_run rule-127 1 "$AG" rule test --method GET --path /api/health
t_out rule-128 'refused: 503 rules_invalid: rule 91 is invalid'
t_run rule-129 2 "$AG" check --method GET --path /api/health
t_out rule-130 '^status: 503$'
t_err rule-131 'rule 91 is invalid \(bad_method\); every request gets 503 until it is fixed'
t_run rule-132 0 "$AG" rule rm 91
t_bad rule-109 "$AG" rule list --db "$T_DIR/missing.db"
sqlite3 "$T_DIR/norules.db" 'create table "user" (id text primary key)'
t_bad rule-110 "$AG" rule list --db "$T_DIR/norules.db"
t_err rule-111 "no authgate_rule table; run 'authgate init"
t_bad rule-112 "$AG" rule add --db "$T_DIR/norules.db" --path /x --access public

# --- check: JSON for scripts, the check-endpoint reply, exit codes
export BETTER_AUTH_SECRET=$T_SECRET
MEMBER=$(t_cookie demo-session-mia-member)
t_run check-001 0 "$AG" check --method GET --path /api/projects --cookie "$MEMBER" --json
t_noerr check-002
t_ok check-003 test "$(json 'd["outcome"], d["status"], d["reason"], d["rule"]["id"], d["rule"]["priority"], d["rule"]["path"], d["rule"]["access"]')" = "allow 200 allow 6 90 /api/** authenticated"
t_ok check-004 test "$(json 'd["identity"]["user_id"], d["identity"]["role"], d["identity"]["api_key_id"], d["signatures_checked"]')" = "u_mia member None True"
t_ok check-005 test "$(json 'd["headers"]["Status"], d["headers"]["Variable-AUTH_USER_ID"], d["headers"]["Variable-REMOTE_USER"]')" = "200 OK u_mia u_mia"
t_run check-006 1 "$AG" check --method GET --path /app/x --header 'Accept: text/html' --json
t_ok check-007 test "$(json 'd["status"], d["headers"]["Location"], d["rule"]["id"]')" = "302 /sign-in?next=/app/x 7"
t_run check-008 1 "$AG" check --method GET --path /api/admin/x --cookie "$MEMBER" --json
t_ok check-009 test "$(json 'd["status"], d["reason"], d["message"], d["identity"]["user_id"], d["body"]')" = '403 role_required Forbidden - admin role required u_mia {"error":"Forbidden - admin role required"}'
t_run check-010 0 "$AG" check --method GET --path /api/projects --cookie "$MEMBER" --reply check
t_out check-011 '^X-Auth-User-Id: u_mia'
t_out check-012 '^X-Auth-Api-Key-Id: '
t_noout check-013 '^Variable-'
t_run check-014 0 "$AG" check --method GET --path /api/health --json
t_ok check-015 test "$(json 'd["rule"]["access"], d["reason"]')" = "public public"
t_run check-016 0 "$AG" check --method GET --path /nowhere --cookie "$MEMBER" --json
t_ok check-017 test "$(json 'd["rule"], d["access"], d["outcome"]')" = "None authenticated allow"
t_bad check-018 "$AG" check --method GET --path /x --reply nginx
t_run check-019 2 "$AG" check --method GET --path /x --db "$T_DIR/missing.db"
t_err1 check-019-line
t_err check-020 "no database at $T_DIR/missing.db; create it with 'authgate init"
t_bad check-021 "$AG" check --method GET --path /x --db "$T_DIR/missing.db" --json
t_ok check-022 test ! -e "$T_DIR/missing.db"
t_run check-023 1 "$AG" check --method GET --path /api/x --bearer "$K1" --json	# rotated away
t_ok check-024 test "$(json 'd["reason"]')" = api_key_disabled
t_run check-025 0 "$AG" check --method GET --path /api/x --bearer "$K1B"
t_out check-026 "^identity: user=u_mia .*org=org_acme .*role=member .*method=api_key .*api_key=$K1B_ID "
t_out check-027 '^signatures: checked$'
BETTER_AUTH_SECRET= AUTHGATE_UNSIGNED_SESSIONS=1 t_run check-028 1 "$AG" check --method GET --path /api/x
t_out check-029 '^signatures: not checked'
# neither output form carries the credential it was given
t_run check-030 0 "$AG" check --method GET --path /api/x --cookie "$MEMBER" --json
t_run check-031 0 "$AG" check --method GET --path /api/x --bearer "$K1B" --json
if grep -q -e "${MEMBER#*=}" -e "$K1B" -e demo-session -e "$T_SECRET" "$T_DIR/out"; then t_fail check-032 "check printed a credential"; else t_pass check-032; fi

# --- stats
t_run stats-001 0 "$AG" stats
t_noerr stats-002
t_out stats-003 "^users: $(q 'select count(*) from "user"')$"
t_out stats-004 '^organizations: 1$'
t_out stats-005 "^members: $(q 'select count(*) from member')$"
live=$(q "select count(*) from authgate_active_sessions")
t_out stats-006 "^live sessions: $live \(of $(q 'select count(*) from session')\)$"
keys_on=$(q "select count(*) from authgate_keys where state = 'active'")
t_out stats-007 "^enabled api keys: $keys_on \(of $(q 'select count(*) from apikey')\)$"
t_out stats-008 "^rules: $(q 'select count(*) from authgate_rule')$"
t_out stats-009 '^journal mode: wal$'
t_out stats-010 '^schema version: 1$'
t_out stats-011 '^webhook events, last 24 h: 0 \(0 kept\)$'
t_out stats-012 '^last event: none$'
t_out stats-013 '^file size: [0-9.]+ (B|KiB|MiB) \(wal '
now=$(date -u +%Y-%m-%dT%H:%M:%S.000Z)
q "insert into authgate_event values ('evt-a', 'user.updated', '$now', 'applied'), ('evt-b', 'member.added', '2020-01-01T00:00:00.000Z', 'applied')"
t_run stats-014 0 "$AG" stats --json
t_ok stats-015 test "$(json 'd["users"], d["sessions_live"], d["api_keys_enabled"], d["events"], d["events_24h"], d["last_event_at"], d["last_event_type"], d["journal_mode"], d["schema_version"], d["views"]')" = "$(q 'select count(*) from "user"') $live $keys_on 2 1 $now user.updated wal 1 5"
t_ok stats-016 test "$(json 'd["file_bytes"] > 0')" = True
t_run stats-017 0 "$AG" stats --db "$T_DIR/bare.db"
t_out stats-018 '^organizations: - \(no table\)$'
t_out stats-019 '^enabled api keys: - \(no table\) \(of - \(no table\)\)$'
t_bad stats-020 "$AG" stats --db "$T_DIR/missing.db"
t_bad stats-021 "$AG" stats --db "$T_DIR/junk.db"
t_bad stats-022 "$AG" stats --frob
t_bad stats-023 "$AG" stats extra

# --- read-only databases: as another account, one line, nothing changed
mkdir -p "$T_DIR/ro"
cp "$DB" "$T_DIR/ro/a.db"
chmod 755 "$T_DIR/ro"; chmod 644 "$T_DIR/ro/a.db"
before=$(md5sum < "$T_DIR/ro/a.db")
t_bad ro-001 $NOBODY "$AG" key create --db "$T_DIR/ro/a.db" --name x --user u_mia
t_err ro-002 'is read-only for this account'
t_bad ro-003 $NOBODY "$AG" key revoke k_mia --db "$T_DIR/ro/a.db"
t_bad ro-004 $NOBODY "$AG" key rotate k_mia --db "$T_DIR/ro/a.db"
t_bad ro-005 $NOBODY "$AG" rule add --db "$T_DIR/ro/a.db" --path /x --access public --priority 1
t_bad ro-006 $NOBODY "$AG" rule rm 1 --db "$T_DIR/ro/a.db"
t_bad ro-007 $NOBODY "$AG" rule set 1 --priority 2 --db "$T_DIR/ro/a.db"
# reading a WAL database needs its -shm file: explained, not a mystery
t_bad ro-008 $NOBODY "$AG" key list --db "$T_DIR/ro/a.db"
t_err ro-009 'a WAL database needs .*-shm.*authgate doctor'
# ... and the decision the server would make there is a 503, not an allow
t_run ro-019 2 $NOBODY "$AG" check --method GET --path /api/health --db "$T_DIR/ro/a.db"
t_out ro-020 '^status: 503$'
t_out ro-021 '^reason: store_unavailable$'
# a read-only file in a writable directory: reads work, writes do not
chmod 1777 "$T_DIR/ro"; chmod 444 "$T_DIR/ro/a.db"
t_run ro-010 0 $NOBODY "$AG" key list --db "$T_DIR/ro/a.db"
t_run ro-011 0 $NOBODY "$AG" rule list --db "$T_DIR/ro/a.db"
t_run ro-012 0 $NOBODY "$AG" stats --db "$T_DIR/ro/a.db"
t_bad ro-013 $NOBODY "$AG" key create --db "$T_DIR/ro/a.db" --name x --user u_mia
t_err ro-014 'is read-only for this account'
t_bad ro-015 $NOBODY "$AG" rule add --db "$T_DIR/ro/a.db" --path /x --access public --priority 1
t_ok ro-016 test "$(md5sum < "$T_DIR/ro/a.db")" = "$before"
# an unreadable file
chmod 600 "$T_DIR/ro/a.db"
t_bad ro-017 $NOBODY "$AG" key list --db "$T_DIR/ro/a.db"
t_err ro-018 'cannot open'
# a locked database: the writer says so instead of hanging (within 10 s,
# a liveness bound; the lock is held until both have answered)
t_lock_db "$DB" || t_fail lock-000 "sqlite3 did not take the lock"
t_bad lock-001 timeout 10 "$AG" key revoke k_mia
t_err lock-002 'locked by another writer; try again'
t_run lock-003 0 timeout 10 "$AG" key list	# readers are not blocked in WAL mode
t_unlock_db

# --- through lighttpd: CLI keys are accepted, then refused once revoked
# or rotated; rule edits apply on the next request
PORT=$(t_port)
t_lighttpd "$PORT" "$T_DIR/state" "$DB" || { t_fail live-000 "lighttpd did not start: $(cat "$T_DIR/state/error.log")"; t_finish; }
U="http://127.0.0.1:$PORT"
t_run live-001 0 "$AG" key create --name live --user u_adam --org org_acme --role admin
KL=$(sed -n 's/^key: //p' "$T_DIR/out"); KL_ID=$(sed -n 's/^id: //p' "$T_DIR/out")
t_status live-002 200 -H "x-api-key: $KL" "$U/api/admin/users"
t_body   live-003 "^AUTH_API_KEY_ID=$KL_ID$"
t_body   live-004 '^AUTH_USER_ID=u_adam$'
t_body   live-005 '^AUTH_ROLE=admin$'
t_body   live-006 '^AUTH_METHOD=api_key$'
t_status live-007 200 -H "Authorization: Bearer $KL" "$U/api/machine/jobs"
t_run live-008 0 "$AG" key revoke "$KL_ID"
t_status live-009 401 -H "x-api-key: $KL" "$U/api/admin/users"
t_body   live-010 'API key disabled'
t_status live-011 401 -H "Authorization: Bearer $KL" "$U/api/machine/jobs"
# an organization's key
t_run live-012 0 "$AG" key create --name live-org --org org_acme --role member --json
KO=$(json 'd["key"]'); KO_ID=$(json 'd["id"]')
t_status live-013 200 -H "x-api-key: $KO" "$U/api/projects/1" -X POST --data x
t_body   live-014 '^AUTH_ORG_ID=org_acme$'
t_body   live-015 "^REMOTE_USER=$KO_ID$"
t_status live-016 403 -H "x-api-key: $KO" "$U/api/admin/users"
# rotate: the old key stops, the new one works
t_run live-017 0 "$AG" key rotate "$KO_ID" --json
KO2=$(json 'd["key"]'); KO2_ID=$(json 'd["id"]')
t_status live-018 401 -H "x-api-key: $KO" "$U/api/projects"
t_status live-019 200 -H "x-api-key: $KO2" "$U/api/projects"
t_body   live-020 "^AUTH_API_KEY_ID=$KO2_ID$"
# an expired key (the clock moved past it)
t_run live-021 0 "$AG" key create --name short --user u_mia --expires 90m --json
KS=$(json 'd["key"]'); KS_ID=$(json 'd["id"]')
t_status live-022 200 -H "x-api-key: $KS" "$U/api/projects"
t_body   live-023 "^AUTH_EXPIRES_AT=$(q "select expiresAt from apikey where id = '$KS_ID'")$"
q "update apikey set expiresAt = '2020-01-01T00:00:00.000Z' where id = '$KS_ID'"
t_status live-024 401 -H "x-api-key: $KS" "$U/api/projects"
# rule edits from the CLI
t_status live-030 200 "$U/api/open"	# added above as public
t_run live-031 0 "$AG" rule rm "$(q "select id from authgate_rule where path = '/api/open'")"
t_status live-032 401 "$U/api/open"
ADMIN=$(t_cookie demo-session-adam-admin)
t_status live-033 200 -b "$ADMIN" "$U/api/admin/users"
t_run live-034 0 "$AG" rule set 3 --min-role owner
t_status live-035 403 -b "$ADMIN" "$U/api/admin/users"
t_body   live-036 'owner role required'
t_run live-037 0 "$AG" rule set 3 --min-role admin
t_status live-038 200 -b "$ADMIN" "$U/api/admin/users"
t_status live-039 302 -H 'Accept: application/json' "$U/app/admin/x"	# on-deny redirect, to /login
t_header live-040 '^Location: /login\?next=/app/admin/x'
t_status live-041 403 -b "$MEMBER" -H 'Accept: text/html' "$U/app/admin/x"	# a role is a 403, never a redirect
# HEAD follows GET's rules (issue 8): a GET rule in front of rule 1 (GET,HEAD)
# takes HEAD too, so rule 1 would never match again and add refuses it
t_run live-044 2 "$AG" rule add --path /api/health --access deny --method GET --priority 5
t_run live-045 0 "$AG" rule add --path /api/health --access deny --method GET --priority 5 --force
t_status live-042 403 "$U/api/health"
t_status live-043 403 -I "$U/api/health"	# HEAD meets the GET rule first
# a rule row naming an unknown method: every request is a 503 (SPEC 6)
q "insert into authgate_rule (id, priority, method, path, access) values (92, 200, 'GTE', '/nowhere', 'public')"
t_status live-046 503 "$U/api/health"
t_status live-047 503 -b "$ADMIN" "$U/api/admin/users"
q "delete from authgate_rule where id = 92"
t_status live-048 403 "$U/api/health"
# Each worker keeps its connection and decides without a read transaction
# while the file is unchanged (issue 10): a change another process commits
# is seen by the very next request, whichever worker takes it. Twenty
# requests warm both workers first.
tally() {	# tally CURL-ARGS...: twenty requests, "STATUS:COUNT ..." sorted
	local i
	for i in $(seq 1 20); do
		curl -s -o /dev/null -w '%{http_code}\n' "$@"
	done | sort | uniq -c | awk '{ printf "%s:%s ", $2, $1 }'
}
fast() {	# fast ID WANT CURL-ARGS...
	local id=$1 want=$2 got; shift 2
	got=$(tally "$@")
	if [ "$got" = "$want" ]; then t_pass "$id"; else t_fail "$id" "want $want, got $got"; fi
}
t_run live-046 0 "$AG" rule rm "$(q "select id from authgate_rule where path = '/api/health' and access = 'deny'")"
fast live-047 '200:20 ' "$U/api/health"
q "update authgate_rule set access = 'deny' where id = 1"
fast live-048 '403:20 ' "$U/api/health"
q "update authgate_rule set access = 'public' where id = 1"
fast live-049 '200:20 ' "$U/api/health"
fast live-050 '200:20 ' -b "$MEMBER" "$U/api/projects"
q "update session set expiresAt = '2020-01-01T00:00:00.000Z' where token = 'demo-session-mia-member'"
fast live-051 '401:20 ' -b "$MEMBER" "$U/api/projects"
q "update session set expiresAt = '2099-01-01T00:00:00.000Z' where token = 'demo-session-mia-member'"
fast live-052 '200:20 ' -b "$MEMBER" "$U/api/projects"
q "delete from session where token = 'demo-session-mia-member'"
fast live-053 '401:20 ' -b "$MEMBER" "$U/api/projects"
t_sanitizers live-asan "$T_DIR/state/error.log"
t_lacks live-log "$KL|$KO|$KS" "$T_DIR/state/error.log"	# no key reached the log
t_cleanup

# --- doctor: a deployment laid out as docs/operations.md says, seen as nobody
unset BETTER_AUTH_SECRET
D="$T_DIR/deploy"
mkdir -p "$D/lib" "$D/etc"
install -d -o root -g nogroup -m 0770 "$D/lib/authgate"
install -d -o root -g nogroup -m 0750 "$D/etc/authgate"
DDB="$D/lib/authgate/authgate.db"
"$AG" init --db "$DDB" >/dev/null
chgrp nogroup "$DDB"; chmod 0660 "$DDB"
openssl rand -base64 48 | tr -d '\n' > "$D/etc/authgate/better-auth.secret"
printf 'whsec_%s\n' "$(openssl rand -base64 32)" > "$D/etc/authgate/webhook.secret"
chgrp nogroup "$D/etc/authgate/"*.secret; chmod 0640 "$D/etc/authgate/"*.secret
"$AG" rule add --db "$DDB" --path '/api/**' --access authenticated --priority 90 >/dev/null
SEC=(--secret-file "$D/etc/authgate/better-auth.secret" --webhook-secret-file "$D/etc/authgate/webhook.secret")
doc() { t_run "$@"; }
doc doc-001 0 "$AG" doctor --db "$DDB" --user nobody "${SEC[@]}"
t_noout doc-002 '^(warn|fail):'
t_out doc-003 '^ok: nobody can read '
t_out doc-004 '^ok: nobody can create the -wal and -shm files in '
t_out doc-005 '^ok: BETTER_AUTH_SECRET is set'
t_out doc-006 '^ok: 1 webhook secret set$'
t_out doc-007 '^ok: schema version 1$'
t_out doc-008 '^ok: journal mode wal$'
t_out doc-009 '^ok: quick_check ok$'
t_out doc-010 '^ok: 1 rules, all valid, none shadowed$'
t_out doc-011 '^ok: clock 20'
t_out doc-012 '^doctor: [0-9]+ ok, 0 warnings, 0 failures$'
t_noerr doc-013
if grep -q -e "$(cat "$D/etc/authgate/better-auth.secret")" -e "$(cut -c7- "$D/etc/authgate/webhook.secret")" "$T_DIR/out"; then
	t_fail doc-014 "doctor printed a secret"; else t_pass doc-014; fi
# each finding is one line "level: what — fix: how"
grep -v '^doctor: ' "$T_DIR/out" | grep -E -v '^(ok: .*|(warn|fail): .* — fix: .+)$' > "$T_DIR/badlines"
[ ! -s "$T_DIR/badlines" ] && t_pass doc-015 || t_fail doc-015 "malformed lines: $(cat "$T_DIR/badlines")"
# secrets from the environment as the server would get them
BETTER_AUTH_SECRET_FILE="$D/etc/authgate/better-auth.secret" AUTHGATE_WEBHOOK_SECRET_FILE="$D/etc/authgate/webhook.secret" \
    doc doc-016 0 "$AG" doctor --db "$DDB" --user nobody
# what goes wrong, and the fix it names
chmod 0664 "$DDB"
doc doc-020 1 "$AG" doctor --db "$DDB" --user nobody "${SEC[@]}"
t_out doc-021 "^fail: $DDB is readable by every account on this host \(mode 0664\).* — fix: chmod o-rwx $DDB$"
t_out doc-022 '^doctor: .* 1 failure$'
chmod 0660 "$DDB"; chgrp root "$DDB"
doc doc-023 1 "$AG" doctor --db "$DDB" --user nobody "${SEC[@]}"
t_out doc-024 "^fail: nobody cannot read $DDB \(mode 0660, owner root:root\).* — fix: chgrp nogroup $DDB && chmod g\+r $DDB$"	# nobody's group is nogroup on Debian
t_out doc-025 "^warn: nobody cannot write $DDB"
# as 'authgate serve --user nobody --group www-data' runs: www-data alone
doc doc-025a 1 "$AG" doctor --db "$DDB" --user nobody --group www-data "${SEC[@]}"
t_out doc-025b "^ok: account nobody \(uid 65534\) with group www-data only, as 'authgate serve --user nobody --group www-data' runs$"
t_out doc-025c "^fail: nobody cannot reach $DDB: directory $D/lib/authgate is not searchable .* — fix: chgrp www-data $D/lib/authgate && chmod g\+x $D/lib/authgate$"
t_bad doc-025d "$AG" doctor --user nobody --group 'bad group'
doc doc-025e 1 "$AG" doctor --db "$DDB" --user nobody --group no-such-group-x "${SEC[@]}"
t_out doc-025f '^fail: there is no group no-such-group-x on this host — fix: '
# the documented setup: files in group www-data, serve --group www-data
chgrp www-data "$DDB" "$D/lib/authgate" "$D/etc/authgate" "$D/etc/authgate/"*.secret
for f in "$DDB-wal" "$DDB-shm"; do [ -e "$f" ] && chgrp www-data "$f"; done
doc doc-025g 0 "$AG" doctor --db "$DDB" --user nobody --group www-data "${SEC[@]}"
t_noout doc-025h '^(warn|fail):'
# without --group, nobody has only its own group (nogroup): every fix
# says so, and no fix names a group this host lacks
doc doc-025i 1 "$AG" doctor --db "$DDB" --user nobody "${SEC[@]}"
t_out doc-025j "^fail: nobody cannot reach $DDB: .* — fix: chgrp nogroup $D/lib/authgate && chmod g\+x $D/lib/authgate$"
t_out doc-025k "fix: chgrp nogroup .*better-auth.secret && chmod 0640"
bad_groups=$(grep -o 'chgrp [^ ]*' "$T_DIR/out" | cut -d' ' -f2 | sort -u | while read -r g; do getent group "$g" >/dev/null || echo "$g"; done)
[ -z "$bad_groups" ] && t_pass doc-025l || t_fail doc-025l "fix names groups this host lacks: $bad_groups"
chgrp nogroup "$DDB" "$D/lib/authgate" "$D/etc/authgate" "$D/etc/authgate/"*.secret
for f in "$DDB-wal" "$DDB-shm"; do [ -e "$f" ] && chgrp nogroup "$f"; done
chmod 0750 "$D/lib/authgate"
doc doc-026 1 "$AG" doctor --db "$DDB" --user nobody "${SEC[@]}"
t_out doc-027 "^fail: nobody cannot create $DDB-wal and $DDB-shm: directory $D/lib/authgate is not writable.* — fix: chgrp nogroup $D/lib/authgate && chmod g\+rwx,o-w $D/lib/authgate$"
chmod 0700 "$D/lib/authgate"
doc doc-028 1 "$AG" doctor --db "$DDB" --user nobody "${SEC[@]}"
t_out doc-029 "^fail: nobody cannot reach $DDB: directory $D/lib/authgate is not searchable"
chmod 0777 "$D/lib/authgate"
doc doc-030 1 "$AG" doctor --db "$DDB" --user nobody "${SEC[@]}"
t_out doc-031 "^fail: directory $D/lib/authgate is writable by every account"
chmod 0770 "$D/lib/authgate"
# secrets
doc doc-040 1 "$AG" doctor --db "$DDB" --user nobody --webhook-secret-file "$D/etc/authgate/webhook.secret"
t_out doc-041 '^fail: BETTER_AUTH_SECRET is not set: session cookie signatures are not checked — fix: '
printf 'short-secret\n' > "$D/etc/authgate/short.secret"; chgrp nogroup "$D/etc/authgate/short.secret"; chmod 0640 "$D/etc/authgate/short.secret"
doc doc-042 1 "$AG" doctor --db "$DDB" --user nobody --secret-file "$D/etc/authgate/short.secret" --webhook-secret-file "$D/etc/authgate/webhook.secret"
t_out doc-043 '^fail: BETTER_AUTH_SECRET is shorter than 32 bytes'
BETTER_AUTH_SECRET= doc doc-043a 1 "$AG" doctor --db "$DDB" --user nobody --webhook-secret-file "$D/etc/authgate/webhook.secret"
t_out doc-043b '^fail: BETTER_AUTH_SECRET is set but empty: authgate refuses to start — fix: .*AUTHGATE_UNSIGNED_SESSIONS=1'
BETTER_AUTH_SECRET= AUTHGATE_UNSIGNED_SESSIONS=1 doc doc-043c 0 "$AG" doctor --db "$DDB" --user nobody --webhook-secret-file "$D/etc/authgate/webhook.secret"
t_out doc-043d '^warn: AUTHGATE_UNSIGNED_SESSIONS=1: session cookie signatures are not checked, on purpose — fix: '
AUTHGATE_UNSIGNED_SESSIONS=x doc doc-043e 1 "$AG" doctor --db "$DDB" --user nobody "${SEC[@]}"
t_out doc-043f 'AUTHGATE_UNSIGNED_SESSIONS must be 0 or 1'
BETTER_AUTH_SECRET=demo-secret-change-me-0123456789abcdef AUTHGATE_WEBHOOK_SECRET=demo-webhook-secret-change-me \
    doc doc-044 1 "$AG" doctor --db "$DDB" --user nobody
t_out doc-045 '^fail: BETTER_AUTH_SECRET is the public demo secret'
t_out doc-046 '^fail: a webhook secret is the public demo secret'
chmod 0644 "$D/etc/authgate/better-auth.secret"
doc doc-047 1 "$AG" doctor --db "$DDB" --user nobody "${SEC[@]}"
t_out doc-048 "^fail: BETTER_AUTH_SECRET_FILE $D/etc/authgate/better-auth.secret is readable by every account"
chmod 0600 "$D/etc/authgate/better-auth.secret"
doc doc-049 1 "$AG" doctor --db "$DDB" --user nobody "${SEC[@]}"
t_out doc-050 "^fail: nobody cannot read BETTER_AUTH_SECRET_FILE"
chmod 0640 "$D/etc/authgate/better-auth.secret"
doc doc-051 0 "$AG" doctor --db "$DDB" --user nobody --secret-file "$D/etc/authgate/better-auth.secret"
t_out doc-052 '^warn: no webhook secret'
AUTHGATE_WEBHOOK_SECRET=short doc doc-053 0 "$AG" doctor --db "$DDB" --user nobody --secret-file "$D/etc/authgate/better-auth.secret"
t_out doc-054 '^warn: a webhook secret is shorter than 24 bytes'
AUTHGATE_MAX_BODY=x doc doc-055 1 "$AG" doctor --db "$DDB" --user nobody "${SEC[@]}"
t_out doc-056 '^fail: configuration: AUTHGATE_MAX_BODY'
# rules
"$AG" rule add --db "$DDB" --path '/api/x' --access public --force >/dev/null 2>&1
doc doc-060 0 "$AG" doctor --db "$DDB" --user nobody "${SEC[@]}"
t_out doc-061 '^warn: rule 2 \(/api/x\) can never match: rule 1 comes first and takes all its requests — fix: '
sqlite3 "$DDB" "insert into authgate_rule (id, priority, path, access) values (3, 1, 'bad', 'public')"
doc doc-062 1 "$AG" doctor --db "$DDB" --user nobody "${SEC[@]}"
t_out doc-063 '^fail: rule 3 is invalid \(bad_path\): every request is answered 503'
sqlite3 "$DDB" "update authgate_rule set path = '/ok', method = 'GTE' where id = 3"
doc doc-066a 1 "$AG" doctor --db "$DDB" --user nobody "${SEC[@]}"
t_out doc-066b '^fail: rule 3 is invalid \(bad_method\): every request is answered 503.* — fix: authgate rule set 3 .*IANA'
sqlite3 "$DDB" 'delete from authgate_rule'
doc doc-064 0 "$AG" doctor --db "$DDB" --user nobody "${SEC[@]}"
t_out doc-065 '^warn: no rules: '
# the clock, against the newest webhook event
sqlite3 "$DDB" "insert into authgate_event values ('evt-future', 'user.updated', '2099-01-01T00:00:00.000Z', 'applied')"
doc doc-066 0 "$AG" doctor --db "$DDB" --user nobody "${SEC[@]}"
t_out doc-067 '^warn: the newest webhook event was received at 2099-01-01T00:00:00.000Z, after now'
sqlite3 "$DDB" "delete from authgate_event"
# ... and against the sessions the IdP created
sqlite3 "$DDB" "insert into \"user\" (id, name, email, emailVerified, createdAt, updatedAt) values ('u_c', 'C', 'c@x.test', 1, '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z');
    insert into session (id, token, userId, expiresAt, createdAt, updatedAt) values ('s_c', 'tok-c', 'u_c', '2099-01-01T00:00:00.000Z', '2099-01-01T00:00:00.000Z', '2099-01-01T00:00:00.000Z')"
doc doc-068 0 "$AG" doctor --db "$DDB" --user nobody "${SEC[@]}"
t_out doc-069 '^warn: sessions were created up to [0-9]+ min after this host.s now'
sqlite3 "$DDB" "delete from session; delete from \"user\""
# SQLite run as root gives the -wal and -shm files it creates the owner
# and mode of the database (so a root CLI never locks the server out)
chown nobody:nogroup "$DDB"
printf 'select count(*) from authgate_rule;\n.shell stat -c %%U:%%G:%%a %s-wal %s-shm\n' "$DDB" "$DDB" | sqlite3 "$DDB" > "$T_DIR/out" 2>&1
t_ok doc-090 test "$(tail -n 2 "$T_DIR/out" | tr '\n' ' ')" = "nobody:nogroup:660 nobody:nogroup:660 "
chown root:nogroup "$DDB"
# the database itself
sqlite3 "$DDB" 'pragma journal_mode=delete' >/dev/null
doc doc-070 0 "$AG" doctor --db "$DDB" --user nobody "${SEC[@]}"
t_out doc-071 '^warn: journal mode is delete, not wal'
doc doc-072 1 "$AG" doctor --db "$D/lib/authgate/none.db" --user nobody "${SEC[@]}"
t_out doc-073 "^fail: no database at $D/lib/authgate/none.db .* — fix: authgate init --db $D/lib/authgate/none.db"
cp "$T_DIR/junk.db" "$D/lib/authgate/junk.db"; chgrp nogroup "$D/lib/authgate/junk.db"; chmod 0660 "$D/lib/authgate/junk.db"
doc doc-074 1 "$AG" doctor --db "$D/lib/authgate/junk.db" --user nobody "${SEC[@]}"
t_out doc-075 '^fail: cannot read .*junk.db: file is not a database'
doc doc-076 1 "$AG" doctor --db "$T_DIR/bare.db" --user nobody "${SEC[@]}"
t_out doc-077 'views for the sqlite3 shell|no better-auth'
doc doc-078 1 "$AG" doctor --db "$DDB" --user no-such-account "${SEC[@]}"
t_out doc-079 '^fail: there is no account no-such-account on this host — fix: pass the account'
doc doc-080 0 "$AG" doctor --db "$DDB" --user nobody "${SEC[@]}" --json
t_ok doc-081 test "$(json 'd["failures"], d["user"], sorted(d["findings"][0].keys())')" = "0 nobody ['check', 'fix', 'level', 'what']"
t_bad doc-082 "$AG" doctor --frob
t_bad doc-083 "$AG" doctor --user 'bad user'
( cd "$D" && "$AG" doctor --db lib/authgate/authgate.db --user nobody "${SEC[@]}" > "$T_DIR/out" 2>&1 )
t_out doc-085 '^warn: database path lib/authgate/authgate.db is relative'

t_finish
