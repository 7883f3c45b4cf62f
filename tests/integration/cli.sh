#!/bin/bash
# cli.sh - the command line and plain CGI: help, init (fresh, again, on a
# real better-auth database), check, cookie, configuration errors, and the
# check endpoint answered as a single CGI request.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/cli.sh"
t_setup cli
AG="$T_ROOT/build/asan/authgate"
export ASAN_OPTIONS=detect_leaks=1
unset BETTER_AUTH_SECRET BETTER_AUTH_SECRET_FILE AUTHGATE_DB AUTHGATE_COOKIE_PREFIX


# --- help names every command and variable
t_run help-001 0 "$AG" --help
for w in init check cookie help version AUTHGATE_DB BETTER_AUTH_SECRET \
    BETTER_AUTH_SECRET_FILE AUTHGATE_COOKIE_PREFIX AUTHGATE_CHECK_PATH \
    AUTHGATE_WEBHOOK_PATH AUTHGATE_MAX_BODY AUTHGATE_TRUST_FORWARDED \
    AUTHGATE_WEBHOOK_SECRET AUTHGATE_ORIGINAL_URI AUTHGATE_ORIGINAL_METHOD \
    AUTHGATE_MODE -- --db --method --path --cookie --bearer --header; do
	[ "$w" = "--" ] && continue
	grep -q -- "$w" "$T_DIR/out" && t_pass "help-$w" || t_fail "help-$w" "--help does not mention $w"
done
t_run help-002 0 "$AG" version
t_out help-003 '^authgate [0-9]+\.[0-9]+\.[0-9]+$'
t_run help-004 2 "$AG" frobnicate
t_err help-005 "unknown command 'frobnicate'"
t_err1 help-006
t_run help-007 2 "$AG"		# fd 0 is not a socket, no CGI environment
t_err help-008 'not started by a web server'

# --- every command and subcommand: --help and -h print usage on stdout
# and exit 0; an unknown option, long or short, is one line and exit 2;
# nothing is created on the way
cd "$T_DIR" || exit 1
for c in init check "key create" "key list" "key revoke" "key rotate" \
    "rule list" "rule add" "rule set" "rule rm" "rule test" stats doctor \
    import cookie serve help version; do
	id="opts-$(echo "$c" | tr ' ' _)"
	for h in --help -h; do
		# shellcheck disable=SC2086
		t_run "$id$h" 0 "$AG" $c $h
		t_out "$id$h-usage" '^usage: authgate'
		t_noerr "$id$h-noerr"
	done
	for bad in --bogus -x --bogus=1; do
		# shellcheck disable=SC2086
		t_run "$id$bad" 2 "$AG" $c $bad
		t_err "$id$bad-msg" "^authgate: .*(unknown option ${bad%%=*}|unknown subcommand)"
		t_err1 "$id$bad-line"
	done
done
t_ok opts-nothing-created test ! -e "$T_DIR/db/authgate.db"
cd "$T_ROOT" || exit 1
t_run opts-top-001 2 "$AG" --bogus
t_err1 opts-top-002
# a positional argument that starts with '-' only after "--"
t_run opts-pos-001 2 "$AG" key revoke -k_1 --db "$T_DIR/none.db"
t_err opts-pos-002 'unknown option -k_1'
t_run opts-pos-003 2 "$AG" import -snap.json --db "$T_DIR/none.db"
t_err opts-pos-004 'unknown option -snap.json'
t_run opts-pos-005 2 "$AG" import --db "$T_DIR/none.db" -- -snap.json
t_err opts-pos-006 'cannot read -snap.json'
t_run opts-pos-007 2 "$AG" stats extra
t_err opts-pos-008 "unexpected argument 'extra'"
# cookie: --help is never signed, "-" tokens only after "--"
export BETTER_AUTH_SECRET=cli-test-secret-0123456789abcdef-0123
t_run cookie-h-001 0 "$AG" cookie --help
t_noout cookie-h-002 'session_token'
t_run cookie-h-003 2 "$AG" cookie -tok
t_noout cookie-h-004 'session_token'
t_run cookie-h-005 0 "$AG" cookie -- -tok
t_out cookie-h-006 '^better-auth\.session_token=-tok\.'
t_run cookie-h-007 0 "$AG" cookie -- --help
t_out cookie-h-008 '^better-auth\.session_token=--help\.'
t_run cookie-h-009 2 "$AG" cookie
t_err1 cookie-h-010
t_run cookie-h-011 2 "$AG" cookie a b
t_err1 cookie-h-012
unset BETTER_AUTH_SECRET

# --- init: fresh, idempotent
DB="$T_DIR/a.db"
t_run init-001 0 "$AG" init --db "$DB"
t_out init-002 'schema version 1'
t_ok init-003 test "$(sqlite3 "$DB" 'pragma journal_mode')" = wal
tables=$(sqlite3 "$DB" "select group_concat(name, ' ') from (select name from sqlite_schema where type = 'table' order by name)")
t_ok init-004 test "$tables" = "account apikey authgate_event authgate_key_role authgate_membership authgate_organization authgate_role_permission authgate_rule authgate_schema authgate_tombstone authgate_version invitation member organization session user verification"
sqlite3 "$DB" < "$T_ROOT/db/demo.sql"
# dump_sum DB: a checksum of the whole database, nothing if it cannot be read
dump_sum() { local d; d=$(sqlite3 "$1" .dump) && [ -n "$d" ] && printf '%s' "$d" | md5sum; }
before=$(dump_sum "$DB")
t_run init-005 0 "$AG" init --db "$DB"
t_same init-006 "$(dump_sum "$DB")" "$before"
AUTHGATE_DB="$T_DIR/env.db" t_run init-007 0 "$AG" init
t_ok init-008 test -s "$T_DIR/env.db"
t_run init-009 2 "$AG" init --db "$T_DIR/no/such/dir/x.db"
t_err init-010 'cannot open database'
t_err1 init-011
t_run init-012 2 "$AG" init --bogus
t_err init-013 'unknown option --bogus'
t_run init-014 2 "$AG" init --db
t_err init-015 'needs a value'
# on a real better-auth database: add authgate_* only, touch nothing else
cp "$T_ROOT/tests/vectors/betterauth/betterauth.db" "$T_DIR/ba.db"
# (each prints nothing when a query fails, so that t_same fails)
ba_schema() { sqlite3 "$1" "select type, name, sql from sqlite_schema where tbl_name not like 'authgate_%' order by name"; }
ba_data() {
	local t d all=""
	for t in user session account verification organization member invitation apikey; do
		d=$(sqlite3 "$1" "select * from \"$t\" order by id") || return 1
		all="$all$d"
	done
	[ -n "$all" ] && printf '%s' "$all" | md5sum
}
s1=$(ba_schema "$T_DIR/ba.db"); d1=$(ba_data "$T_DIR/ba.db"); j1=$(sqlite3 "$T_DIR/ba.db" 'pragma journal_mode')
t_run init-020 0 "$AG" init --db "$T_DIR/ba.db"
t_same init-021 "$(ba_schema "$T_DIR/ba.db")" "$s1"
t_same init-022 "$(ba_data "$T_DIR/ba.db")" "$d1"
t_same init-023 "$(sqlite3 "$T_DIR/ba.db" 'pragma journal_mode')" "$j1"
t_ok init-024 test "$(sqlite3 "$T_DIR/ba.db" "select count(*) from sqlite_schema where name like 'authgate_%' and type = 'table'")" = 9   # with authgate_membership, authgate_organization (issue 13)
t_run init-025 0 "$AG" init --db "$T_DIR/ba.db"

# --- check: exit codes and what it prints
export BETTER_AUTH_SECRET=$T_SECRET
t_db "$T_DIR/c.db"
export AUTHGATE_DB="$T_DIR/c.db"
MEMBER=$(t_cookie demo-session-mia-member)
t_run check-001 0 "$AG" check --method GET --path /api/projects --cookie "$MEMBER"
t_out check-002 '^outcome: allow$'
t_out check-003 '^rule: id=6 priority=90 path=/api/\*\* access=authenticated$'
t_out check-004 'identity: user=u_mia .*role=member'
t_out check-005 '^Variable-AUTH_USER_ID: u_mia'
t_run check-006 1 "$AG" check --method GET --path /api/admin/x --cookie "$MEMBER"
t_out check-007 '^reason: role_required$'
t_run check-008 1 "$AG" check --method GET --path /app/x --header 'Accept: text/html'
t_out check-009 '^Location: /sign-in\?next=/app/x'
t_run check-010 0 "$AG" check --method GET --path /api/x --bearer ag_demo_member_key_7f3c9a1e5b2d4c6e8a0b1c2d3e4f5a6b
t_run check-011 0 "$AG" check --method GET --path /api/x --header 'x-api-key: ag_demo_member_key_7f3c9a1e5b2d4c6e8a0b1c2d3e4f5a6b'
t_run check-012 0 "$AG" check --method GET --path /api/x --cookie "${MEMBER#*=}"	# bare value
t_run check-013 2 "$AG" check --method GET --path /api/x --db "$T_DIR/missing.db"
t_err check-014 'no database at .*/missing.db; create it with'
t_run check-015 2 "$AG" check --path /api/x
t_err check-016 'required'
t_run check-017 2 "$AG" check --method GET --path /api/x --frob
t_run check-018 1 "$AG" check --method GET --path '/api/../x'
t_out check-019 '^status: 400$'
t_run check-020 0 "$AG" check --method GET --path /api/health
t_out check-021 '^reason: public$'
t_run check-022 2 "$AG" check --method GET --path /api/x --header 'no colon'

# --- cookie: what better-auth would set
t_run cookie-001 0 "$AG" cookie demo-session-mia-member
t_ok cookie-002 test "$(cat "$T_DIR/out")" = "$MEMBER"
BETTER_AUTH_SECRET= t_run cookie-003 2 "$AG" cookie x
t_err cookie-004 'set BETTER_AUTH_SECRET'
t_run cookie-005 2 "$AG" cookie

# --- configuration errors stop start-up with one line, no secret in it
printf '%s\n' "$T_SECRET" > "$T_DIR/secret"
chmod 600 "$T_DIR/secret"
BETTER_AUTH_SECRET_FILE="$T_DIR/secret" t_run conf-001 2 "$AG" check --method GET --path /x
t_err conf-002 'not both'
t_err1 conf-003
if grep -q "$T_SECRET" "$T_DIR/err"; then t_fail conf-004 "secret echoed"; else t_pass conf-004; fi
( unset BETTER_AUTH_SECRET; BETTER_AUTH_SECRET_FILE="$T_DIR/secret" t_run conf-005 0 "$AG" check --method GET --path /api/projects --cookie "$MEMBER" )
T_PASS=$((T_PASS + 1))	# the subshell's pass is not seen here; conf-006 re-checks
( unset BETTER_AUTH_SECRET; BETTER_AUTH_SECRET_FILE="$T_DIR/secret" "$AG" check --method GET --path /api/projects --cookie "$MEMBER" >/dev/null 2>&1 ) && t_pass conf-006 || t_fail conf-006 "secret file not used"
T_PASS=$((T_PASS - 1))
( unset BETTER_AUTH_SECRET; BETTER_AUTH_SECRET_FILE="$T_DIR/nope" "$AG" check --method GET --path /x >/dev/null 2>"$T_DIR/err" ); rc=$?
[ $rc = 2 ] && grep -q 'cannot read' "$T_DIR/err" && t_pass conf-007 || t_fail conf-007 "missing secret file: exit $rc"
AUTHGATE_MAX_BODY=abc t_run conf-008 2 "$AG" check --method GET --path /x
t_err conf-009 'AUTHGATE_MAX_BODY'
AUTHGATE_MAX_BODY=0 t_run conf-010 2 "$AG" check --method GET --path /x
AUTHGATE_COOKIE_PREFIX='bad prefix' t_run conf-011 2 "$AG" check --method GET --path /x
t_err conf-012 'AUTHGATE_COOKIE_PREFIX'
AUTHGATE_CHECK_PATH='relative' t_run conf-013 2 "$AG" check --method GET --path /x
AUTHGATE_WEBHOOK_PATH='/a b' t_run conf-014 2 "$AG" check --method GET --path /x
AUTHGATE_TRUST_FORWARDED=yes t_run conf-015 2 "$AG" check --method GET --path /x
# a custom cookie prefix
AUTHGATE_COOKIE_PREFIX=myapp t_run conf-016 0 "$AG" check --method GET --path /api/projects --cookie "myapp.session_token=${MEMBER#*=}"
AUTHGATE_COOKIE_PREFIX=myapp t_run conf-017 1 "$AG" check --method GET --path /api/projects --cookie "$MEMBER"
# without a secret, on purpose, the token alone is looked up (and the log warns)
BETTER_AUTH_SECRET= AUTHGATE_UNSIGNED_SESSIONS=1 t_run conf-018 0 "$AG" check --method GET --path /api/projects --cookie "better-auth.session_token=demo-session-mia-member"
BETTER_AUTH_SECRET= AUTHGATE_UNSIGNED_SESSIONS=1 t_run conf-019 1 "$AG" check --method GET --path /api/projects --cookie "better-auth.session_token=no-such-token"
# an empty secret is not "on purpose": refused in one line
BETTER_AUTH_SECRET= t_run sec-001 2 "$AG" check --method GET --path /api/projects
t_err sec-002 '^authgate: check: BETTER_AUTH_SECRET is empty, so session cookie signatures would not be checked; .*AUTHGATE_UNSIGNED_SESSIONS=1'
t_err1 sec-003
BETTER_AUTH_SECRET= AUTHGATE_UNSIGNED_SESSIONS=yes t_run sec-004 2 "$AG" check --method GET --path /api/projects
t_err sec-005 'AUTHGATE_UNSIGNED_SESSIONS must be 0 or 1'
BETTER_AUTH_SECRET= AUTHGATE_UNSIGNED_SESSIONS=0 t_run sec-006 2 "$AG" check --method GET --path /api/projects
# an empty secret file: refused (to run unsigned, name no file)
: > "$T_DIR/empty.secret"
( unset BETTER_AUTH_SECRET; BETTER_AUTH_SECRET_FILE="$T_DIR/empty.secret" AUTHGATE_UNSIGNED_SESSIONS=1 t_run sec-007 2 "$AG" check --method GET --path /x )
t_err sec-008 'BETTER_AUTH_SECRET_FILE .*empty.secret is empty'
# shorter than 32 bytes: refused as better-auth refuses it (31, 32)
BETTER_AUTH_SECRET=0123456789012345678901234567890 t_run sec-010 2 "$AG" check --method GET --path /api/projects
t_err sec-011 '^authgate: check: BETTER_AUTH_SECRET is shorter than 32 bytes, as better-auth refuses it'
t_err1 sec-012
BETTER_AUTH_SECRET=01234567890123456789012345678901 t_run sec-013 1 "$AG" check --method GET --path /api/projects
printf 'short-secret\n' > "$T_DIR/short.secret"
( unset BETTER_AUTH_SECRET; BETTER_AUTH_SECRET_FILE="$T_DIR/short.secret" t_run sec-014 2 "$AG" check --method GET --path /x )
t_err sec-015 'BETTER_AUTH_SECRET_FILE secret is shorter than 32 bytes'
t_noout sec-016 'short-secret'
grep -q 'short-secret' "$T_DIR/err" && t_fail sec-017 "secret printed" || t_pass sec-017
BETTER_AUTH_SECRET=short-secret t_run sec-018 2 "$AG" cookie tok
t_err sec-019 'cookie: BETTER_AUTH_SECRET is shorter than 32 bytes'
# the FastCGI/CGI start-up refuses the same (a CGI request gets a 503)
for e in "BETTER_AUTH_SECRET=" "BETTER_AUTH_SECRET=0123456789012345678901234567890"; do
	env -i PATH="$PATH" GATEWAY_INTERFACE=CGI/1.1 AUTHGATE_DB="$T_DIR/c.db" "$e" \
	    REQUEST_METHOD=GET REQUEST_URI=/_authgate/check AUTHGATE_ORIGINAL_URI=/api/health \
	    AUTHGATE_ORIGINAL_METHOD=GET "$AG" </dev/null > "$T_DIR/out" 2>"$T_DIR/err"
	t_ok "sec-cgi-${#e}" test "$(head -n 1 "$T_DIR/out")" = $'Status: 503 Service Unavailable\r'
	t_err "sec-cgi-${#e}-msg" 'BETTER_AUTH_SECRET is (empty|shorter than 32 bytes)'
done
env -i PATH="$PATH" GATEWAY_INTERFACE=CGI/1.1 AUTHGATE_DB="$T_DIR/c.db" BETTER_AUTH_SECRET= AUTHGATE_UNSIGNED_SESSIONS=1 \
    REQUEST_METHOD=GET REQUEST_URI=/_authgate/check AUTHGATE_ORIGINAL_URI=/api/health \
    AUTHGATE_ORIGINAL_METHOD=GET "$AG" </dev/null > "$T_DIR/out" 2>"$T_DIR/err"
t_ok sec-cgi-unsigned test "$(head -n 1 "$T_DIR/out")" = $'Status: 200 OK\r'
t_err sec-cgi-unsigned-warn 'warning: AUTHGATE_UNSIGNED_SESSIONS=1: session cookie signatures are not checked'

# --- plain CGI: the check endpoint as one CGI request
cgi() {
	env -i PATH="$PATH" ASAN_OPTIONS=detect_leaks=1 GATEWAY_INTERFACE=CGI/1.1 \
	    AUTHGATE_DB="$T_DIR/c.db" BETTER_AUTH_SECRET="$T_SECRET" "$@" "$AG" </dev/null
}
cgi REQUEST_METHOD=GET REQUEST_URI=/_authgate/check AUTHGATE_ORIGINAL_URI=/api/projects \
    AUTHGATE_ORIGINAL_METHOD=GET HTTP_COOKIE="$MEMBER" REMOTE_ADDR=127.0.0.1 > "$T_DIR/out" 2>"$T_DIR/err"
t_ok cgi-001 test "$(head -n 1 "$T_DIR/out")" = $'Status: 200 OK\r'
for h in X-Auth-User-Id X-Auth-User-Email X-Auth-User-Name X-Auth-Org-Id X-Auth-Org-Slug \
    X-Auth-Role X-Auth-Roles X-Auth-Method X-Auth-Session-Id X-Auth-Api-Key-Id X-Auth-Expires-At; do
	grep -q "^$h: " "$T_DIR/out" && t_pass "cgi-hdr-$h" || t_fail "cgi-hdr-$h" "missing $h"
done
t_out cgi-002 '^X-Auth-User-Id: u_mia'
t_out cgi-003 '^X-Auth-Api-Key-Id: '
if grep -q '^Variable-' "$T_DIR/out"; then t_fail cgi-004 "Variable- in a check answer"; else t_pass cgi-004; fi
cgi REQUEST_METHOD=GET REQUEST_URI=/_authgate/check AUTHGATE_ORIGINAL_URI=/api/admin/x \
    AUTHGATE_ORIGINAL_METHOD=GET HTTP_COOKIE="$MEMBER" > "$T_DIR/out" 2>"$T_DIR/err"
t_ok cgi-005 test "$(head -n 1 "$T_DIR/out")" = $'Status: 403 Forbidden\r'
t_err cgi-006 'deny status=403 reason=role_required method=GET path=/api/admin/x'
# the original request comes only from server-set parameters
cgi REQUEST_METHOD=GET REQUEST_URI=/_authgate/check HTTP_X_FORWARDED_URI=/api/health \
    HTTP_X_FORWARDED_METHOD=GET > "$T_DIR/out" 2>"$T_DIR/err"
t_ok cgi-007 test "$(head -n 1 "$T_DIR/out")" = $'Status: 400 Bad Request\r'
cgi REQUEST_METHOD=GET REQUEST_URI=/_authgate/check HTTP_X_FORWARDED_URI=/api/health \
    HTTP_X_FORWARDED_METHOD=GET AUTHGATE_TRUST_FORWARDED=1 > "$T_DIR/out" 2>"$T_DIR/err"
t_ok cgi-008 test "$(head -n 1 "$T_DIR/out")" = $'Status: 200 OK\r'
cgi REQUEST_METHOD=GET REQUEST_URI=/other AUTHGATE_MODE=check AUTHGATE_ORIGINAL_URI=/api/projects \
    AUTHGATE_ORIGINAL_METHOD=GET > "$T_DIR/out" 2>"$T_DIR/err"
t_ok cgi-009 test "$(head -n 1 "$T_DIR/out")" = $'Status: 401 Unauthorized\r'
cgi REQUEST_METHOD=GET REQUEST_URI=/elsewhere > "$T_DIR/out" 2>"$T_DIR/err"
t_ok cgi-010 test "$(head -n 1 "$T_DIR/out")" = $'Status: 404 Not Found\r'
# a broken configuration still answers, with a 503
cgi REQUEST_METHOD=GET REQUEST_URI=/_authgate/check AUTHGATE_MAX_BODY=x > "$T_DIR/out" 2>"$T_DIR/err"
t_ok cgi-011 test "$(head -n 1 "$T_DIR/out")" = $'Status: 503 Service Unavailable\r'
t_err cgi-012 'AUTHGATE_MAX_BODY'

# --- import: a whole snapshot in one transaction, same rules as webhooks
cat > "$T_DIR/snap.json" <<'EOS'
{
  "users": [
    {"id": "u_imp1", "name": "Imp One", "email": "imp1@acme.test", "createdAt": "2026-01-01T00:00:00.000Z", "updatedAt": "2026-01-01T00:00:00.000Z"},
    {"id": "u_imp2", "name": "Imp Two", "email": "imp2@acme.test", "created_at": 1767225600000, "updated_at": 1767225600000, "banned": true}
  ],
  "organizations": [{"id": "org_imp", "name": "Imp Org", "slug": "imp"}],
  "members": [{"id": "m_imp1", "organizationId": "org_imp", "userId": "u_imp1", "role": "owner"},
              {"organization_id": "org_imp", "user_id": "u_imp2", "role": ["member", "admin"]}],
  "sessions": [{"id": "s_imp1", "token": "imp-token-1", "userId": "u_imp1", "expiresAt": "2099-01-01T00:00:00.000Z", "activeOrganizationId": "org_imp"},
               {"id": "s_imp2", "token": "imp-token-2", "userId": "u_imp2", "expiresAt": 4070908800000, "activeOrganizationId": "org_imp"}],
  "apiKeys": [{"id": "k_imp1", "key": "imp-raw-key-0000000000001", "referenceId": "u_imp1", "metadata": {"organizationId": "org_imp"}}]
}
EOS
t_run imp-001 0 "$AG" import "$T_DIR/snap.json"
t_out imp-002 'imported 8 objects: 8 applied'
t_run imp-003 0 "$AG" check --method GET --path /api/admin/x --cookie "$(t_cookie imp-token-1)"
t_out imp-004 'user=u_imp1 .*slug=imp role=owner'
t_run imp-005 1 "$AG" check --method GET --path /api/projects --cookie "$(t_cookie imp-token-2)"
t_out imp-006 '^reason: user_banned$'
t_run imp-007 0 "$AG" check --method GET --path /api/projects --header 'x-api-key: imp-raw-key-0000000000001'
t_lacks imp-008 'imp-raw-key' "$T_DIR/c.db" "?$T_DIR/c.db-wal"	# no raw key stored
t_ok imp-009 test "$(sqlite3 "$T_DIR/c.db" "select role from member where userId = 'u_imp2'")" = member,admin
t_run imp-010 0 "$AG" import "$T_DIR/snap.json"	# again: nothing changes
# one bad object: nothing at all is imported
cat > "$T_DIR/bad.json" <<'EOS'
{"users": [{"id": "u_imp3", "name": "Three", "email": "imp3@acme.test"}, {"name": "no id"}]}
EOS
t_run imp-011 2 "$AG" import "$T_DIR/bad.json"
t_err imp-012 'users\[1\]: invalid or missing field id'
t_err imp-013 'nothing was imported'
t_ok imp-014 test "$(sqlite3 "$T_DIR/c.db" "select count(*) from \"user\" where id = 'u_imp3'")" = 0
printf 'not json' > "$T_DIR/notjson.json"
t_run imp-015 2 "$AG" import "$T_DIR/notjson.json"
t_run imp-016 2 "$AG" import "$T_DIR/missing.json"
t_err imp-017 'cannot read'
t_run imp-018 2 "$AG" import
sqlite3 "$T_DIR/a-plain.db" 'create table t(x)'	# a database, not authgate's
t_run imp-019 2 "$AG" import "$T_DIR/snap.json" --db "$T_DIR/a-plain.db"
t_err imp-020 "run 'authgate init"
# deleted objects stay deleted on import too
sqlite3 "$T_DIR/c.db" "insert into authgate_tombstone values ('user', 'u_gone', '$(date -u +%Y-%m-%dT%H:%M:%S.000Z)')"
printf '{"users":[{"id":"u_gone","name":"Gone","email":"gone@acme.test"}]}' > "$T_DIR/gone.json"
t_run imp-021 0 "$AG" import "$T_DIR/gone.json"
t_out imp-022 '1 tombstoned'
# unknown or repeated top-level keys: refused, the key named, nothing written
before=$(dump_sum "$T_DIR/c.db")
printf '{"user":[{"id":"u_typo","name":"T","email":"typo@acme.test"}]}' > "$T_DIR/typo.json"
t_run imp-023 2 "$AG" import "$T_DIR/typo.json"
t_err imp-024 'unknown top-level key "user"'
t_err1 imp-025
printf '{"users":[],"users":[{"id":"u_twice","name":"T","email":"twice@acme.test"}]}' > "$T_DIR/twice.json"
t_run imp-026 2 "$AG" import "$T_DIR/twice.json"
t_err imp-027 'top-level key "users" given twice'
printf '{"apiKeys":[],"api_keys":[]}' > "$T_DIR/both.json"
t_run imp-028 2 "$AG" import "$T_DIR/both.json"
t_err imp-029 '"api_keys" given twice'
printf '{}' > "$T_DIR/empty.json"
t_run imp-030 0 "$AG" import "$T_DIR/empty.json"	# an empty snapshot is no mistake
t_same imp-031 "$(dump_sum "$T_DIR/c.db")" "$before"

# --- only init creates a database: every other way in leaves no file
# nofile ID PATH: PATH (and its -wal, -shm, -journal) does not exist
nofile() { local f; for f in "$2" "$2-wal" "$2-shm" "$2-journal"; do [ -e "$f" ] && { t_fail "$1" "$f created: $(ls -l "$f")"; return; }; done; t_pass "$1"; }
ND="$T_DIR/nodb.db"
t_run nodb-001 2 "$AG" import "$T_DIR/missing.json" --db "$ND"
t_err1 nodb-002
nofile nodb-003 "$ND"
t_run nodb-004 2 "$AG" import "$T_DIR/snap.json" --db "$ND"
t_err nodb-005 "^authgate: import: no database at $ND; create it with 'authgate init"
t_err1 nodb-006
nofile nodb-007 "$ND"
AUTHGATE_DB="$ND" t_run nodb-008 2 "$AG" import "$T_DIR/snap.json"
nofile nodb-009 "$ND"
for c in "check --method GET --path /" "stats" "key list" "rule list" \
    "rule test --method GET --path /api/x" "key revoke k_x" "rule rm 1"; do
	id="nodb-$(echo "$c" | tr ' /' '__' | tr -s _)"
	# shellcheck disable=SC2086
	t_run "$id-exit" 2 "$AG" $c --db "$ND"
	t_err "$id-msg" "no database at $ND"
	t_err1 "$id-line"
	nofile "$id-file" "$ND"
done
# the webhook (a plain CGI delivery, signed): 503, no file
NB='{"id":"evt-nodb","timestamp":"'"$(date -u +%FT%TZ)"'","type":"user.updated","data":{"id":"u_x","name":"X"}}'
NS=$(printf '%s' "$NB" | openssl dgst -sha256 -hmac cgi-secret -r | cut -d' ' -f1)
printf '%s' "$NB" | env -i PATH="$PATH" GATEWAY_INTERFACE=CGI/1.1 AUTHGATE_DB="$ND" \
    AUTHGATE_WEBHOOK_SECRET=cgi-secret REQUEST_METHOD=POST REQUEST_URI=/webhooks/optare \
    CONTENT_LENGTH=${#NB} HTTP_X_OPTARE_SIGNATURE="sha256=$NS" "$AG" > "$T_DIR/out" 2>"$T_DIR/err"
t_ok nodb-wh-001 test "$(head -n 1 "$T_DIR/out")" = $'Status: 503 Service Unavailable\r'
nofile nodb-wh-002 "$ND"

# --- the webhook as a plain CGI request
WH_BODY='{"id":"evt-cgi-1","timestamp":"'"$(date -u +%FT%TZ)"'","type":"user.updated","data":{"id":"u_mia","name":"Mia CGI"}}'
WH_SIG=$(printf '%s' "$WH_BODY" | openssl dgst -sha256 -hmac cgi-secret -r | cut -d' ' -f1)
printf '%s' "$WH_BODY" | env -i PATH="$PATH" ASAN_OPTIONS=detect_leaks=1 GATEWAY_INTERFACE=CGI/1.1 \
    AUTHGATE_DB="$T_DIR/c.db" AUTHGATE_WEBHOOK_SECRET=cgi-secret REQUEST_METHOD=POST \
    REQUEST_URI=/webhooks/optare CONTENT_LENGTH=${#WH_BODY} HTTP_X_OPTARE_SIGNATURE="sha256=$WH_SIG" \
    "$AG" > "$T_DIR/out" 2>"$T_DIR/err"
t_ok whcgi-001 test "$(head -n 1 "$T_DIR/out")" = $'Status: 200 OK\r'
t_out whcgi-002 '"outcome":"applied"'
t_ok whcgi-003 test "$(sqlite3 "$T_DIR/c.db" "select name from \"user\" where id = 'u_mia'")" = "Mia CGI"
env -i PATH="$PATH" GATEWAY_INTERFACE=CGI/1.1 AUTHGATE_DB="$T_DIR/c.db" AUTHGATE_WEBHOOK_SECRET=cgi-secret \
    REQUEST_METHOD=POST REQUEST_URI=/webhooks/optare "$AG" < /dev/null > "$T_DIR/out" 2>"$T_DIR/err"
t_ok whcgi-004 test "$(head -n 1 "$T_DIR/out")" = $'Status: 411 Length Required\r'
printf 'short' | env -i PATH="$PATH" GATEWAY_INTERFACE=CGI/1.1 AUTHGATE_DB="$T_DIR/c.db" AUTHGATE_WEBHOOK_SECRET=cgi-secret \
    REQUEST_METHOD=POST REQUEST_URI=/webhooks/optare CONTENT_LENGTH=100 "$AG" > "$T_DIR/out" 2>"$T_DIR/err"
t_ok whcgi-005 test "$(head -n 1 "$T_DIR/out")" = $'Status: 400 Bad Request\r'
env -i PATH="$PATH" GATEWAY_INTERFACE=CGI/1.1 AUTHGATE_DB="$T_DIR/c.db" AUTHGATE_WEBHOOK_SECRET_FILE=/nonexistent \
    REQUEST_METHOD=POST REQUEST_URI=/webhooks/optare CONTENT_LENGTH=2 "$AG" < /dev/null > "$T_DIR/out" 2>"$T_DIR/err"
t_ok whcgi-006 test "$(head -n 1 "$T_DIR/out")" = $'Status: 503 Service Unavailable\r'
t_err whcgi-007 'AUTHGATE_WEBHOOK_SECRET_FILE'

t_finish
