#!/bin/bash
# authjs_jwt.sh - stateless session cookies under a real lighttpd 1.4 with
# the shipped conf/lighttpd/authgate-proxy.conf in front of the Express
# backend: NextAuth v4 and Auth.js v5 JWT cookies (tests/vectors/authjs,
# made by next-auth, @auth/core and better-auth) allowed with their
# identity, denied when expired, altered, under another secret or salt, or
# in broken chunks; and better-auth's cookie cache, off (a revoked
# session's cache cookie does not pass) and on (it passes until the cache
# expires: the documented trade-off), a bad cache cookie falling back to
# the session lookup.
. "$(dirname "$0")/../lib/common.sh"
t_setup authjs_jwt

CONF="$T_ROOT/conf/lighttpd/authgate-proxy.conf"
BIN="$T_ROOT/build/asan/authgate"
VEC="$T_ROOT/tests/vectors/authjs/vectors.json"
DB="$T_DIR/authgate.db"

# v ID [FIELD]: a field (default value) of an Auth.js case in vectors.json
v() { jq -r --arg id "$1" --arg f "${2:-value}" '.authjs[] | select(.id == $id) | .[$f]' "$VEC"; }
# ba ID FIELD: a field of a better-auth cookie-cache case
ba() { jq -r --arg id "$1" --arg f "$2" '.better_auth_cache[] | select(.id == $id) | .[$f]' "$VEC"; }
secret() { jq -r --arg n "$1" '.secrets[$n]' "$VEC"; }

[ -r "$VEC" ] && command -v jq >/dev/null || { t_fail setup "no $VEC or no jq"; t_finish; }
t_db "$DB" || { t_fail setup "cannot build the test database"; t_finish; }
umask 077
secret BETTER_AUTH_SECRET > "$T_DIR/better-auth.secret"
secret NEXTAUTH_SECRET > "$T_DIR/nextauth.secret"
secret AUTH_SECRET > "$T_DIR/auth.secret"
secret AUTH_SECRET_1 > "$T_DIR/auth1.secret"
umask 022

# The better-auth users and sessions the cache vectors name, in
# authgate's store as the webhook would have put them.
for id in ba-compact ba-jwt ba-jwe; do
	sqlite3 "$DB" "insert into \"user\" (id, name, email, emailVerified, createdAt, updatedAt)
	    values ('$(ba $id user_id)', '$(ba $id name)', '$(ba $id email)', 0,
	    '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z');
	  insert into session (id, token, userId, expiresAt, createdAt, updatedAt)
	    values ('$(ba $id session_id)', '$(ba $id token)', '$(ba $id user_id)',
	    '$(ba $id session_expires_at)', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z');" ||
		t_fail setup "cannot insert the $id session"
done

# start_lighttpd NAME TRUST: lighttpd + authorizer with the secrets above
# and AUTHGATE_TRUST_COOKIE_CACHE=TRUST; sets URL_<NAME>.
start_lighttpd() {
	local name=$1 trust=$2 port i
	for i in 1 2 3; do
		port=$(t_port)
		mkdir -p "$T_DIR/$name"
		AUTHGATE_ROOT=$T_ROOT AUTHGATE_PORT=$port AUTHGATE_STATE=$T_DIR/$name \
		AUTHGATE_BIN=$BIN AUTHGATE_DB=$DB \
		AUTHGATE_HTTP_BACKEND_PORT=$EXPRESS_PORT AUTHGATE_FCGI_BACKEND_PORT=1 \
		BETTER_AUTH_SECRET_FILE=$T_DIR/better-auth.secret \
		AUTHGATE_WEBHOOK_SECRET_FILE=$T_DIR/better-auth.secret \
		NEXTAUTH_SECRET_FILE=$T_DIR/nextauth.secret \
		AUTH_SECRET_FILE=$T_DIR/auth.secret AUTH_SECRET_1_FILE=$T_DIR/auth1.secret \
		AUTHGATE_TRUST_COOKIE_CACHE=$trust \
		ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 \
		    lighttpd -D -f "$CONF" >"$T_DIR/$name/error.log" 2>&1 &
		T_PIDS="$T_PIDS $!"
		if t_wait_port "$port"; then
			printf -v "URL_$name" 'http://127.0.0.1:%s' "$port"
			return 0
		fi
	done
	return 1
}

EXPRESS_PORT=$(t_port)
t_express "$EXPRESS_PORT" || { t_fail setup "the Express backend did not start: $(tail -n 3 "$T_DIR/express.log")"; t_finish; }
start_lighttpd off 0 || { t_fail setup "lighttpd did not start: $(cat "$T_DIR/off/error.log")"; t_finish; }
start_lighttpd on 1 || { t_fail setup "lighttpd did not start: $(cat "$T_DIR/on/error.log")"; t_finish; }
U=$URL_off

# --- NextAuth v4 (A256GCM, NEXTAUTH_SECRET) ---------------------------------
t_status v4-001 200 -b "next-auth.session-token=$(v v4-alice)" "$U/api/projects"
t_header v4-002 '^X-Backend-Identity: user=user-alice-0001 role=- method=session'
t_body   v4-003 '^X-Auth-User-Email: alice@acme\.test$'
t_body   v4-004 '^X-Auth-User-Name: Alice Owner$'
t_body   v4-005 "^X-Auth-Session-Id: $(v v4-alice jti)\$"
t_body   v4-006 '^X-Auth-Expires-At: 2100-01-01T00:00:00\.000Z$'
t_status v4-007 200 -b "__Secure-next-auth.session-token=$(v v4-alice-secure)" "$U/api/projects"
t_header v4-008 '^X-Backend-Identity: user=user-alice-0001 '
t_status v4-009 401 -b "next-auth.session-token=$(v v4-expired)" "$U/api/projects"
t_body   v4-010 'Unauthorized - session expired'
t_status v4-011 401 -b "next-auth.session-token=$(v v4-foreign-secret)" "$U/api/projects"
t_body   v4-012 'Unauthorized - invalid session'
# a JWT session has no organization yet: role rules deny it
t_status v4-013 403 -b "next-auth.session-token=$(v v4-alice)" "$U/api/admin/users"
# the web app's session-only rule takes it; the machine rule does not
t_status v4-014 200 -b "next-auth.session-token=$(v v4-alice)" "$U/app/dashboard"
t_status v4-015 401 -b "next-auth.session-token=$(v v4-alice)" "$U/api/machine/jobs"

# --- Auth.js v5 (A256CBC-HS512 and A256GCM, AUTH_SECRET + AUTH_SECRET_1) ----
t_status v5-001 200 -b "authjs.session-token=$(v v5-bob)" "$U/api/projects"
t_header v5-002 '^X-Backend-Identity: user=user-bob-0002 role=- method=session'
t_body   v5-003 '^X-Auth-User-Email: bob@acme\.test$'
t_status v5-004 200 -b "__Secure-authjs.session-token=$(v v5-bob-secure)" "$U/api/projects"
t_status v5-005 200 -b "authjs.session-token=$(v v5-rotated-secret)" "$U/api/projects"
t_status v5-006 200 -b "authjs.session-token=$(v v5-a256gcm)" "$U/api/projects"
t_body   v5-007 '^X-Auth-Session-Id: jti-gcm-0001$'
t_status v5-008 401 -b "authjs.session-token=$(v v5-expired)" "$U/api/projects"
t_body   v5-009 'Unauthorized - session expired'
t_status v5-010 401 -b "authjs.session-token=$(v v5-foreign-secret)" "$U/api/projects"
t_status v5-011 401 -b "authjs.session-token=$(v v5-wrong-salt)" "$U/api/projects"
t_status v5-012 401 -b "authjs.session-token=$(v v5-nbf-future)" "$U/api/projects"
# tampered: one character of the tag, then of the ciphertext
TOK=$(v v5-bob)
t_status v5-013 401 -b "authjs.session-token=${TOK%?}$([ "${TOK: -1}" = A ] && echo B || echo A)" "$U/api/projects"
MID=$(( ${#TOK} / 2 ))
t_status v5-014 401 -b "authjs.session-token=${TOK:0:MID}$([ "${TOK:MID:1}" = A ] && echo B || echo A)${TOK:MID+1}" "$U/api/projects"
# chunked: NAME.0 and NAME.1 rejoined (in either order), a gap, an oversize
# chunk (as a Cookie header: curl -b drops a cookie line over 4 KiB)
C0=$(jq -r '.authjs[] | select(.id == "v5-chunked") | .chunks[0]' "$VEC")
C1=$(jq -r '.authjs[] | select(.id == "v5-chunked") | .chunks[1]' "$VEC")
t_status chunk-001 200 -H "Cookie: authjs.session-token.0=$C0; authjs.session-token.1=$C1" "$U/api/projects"
t_header chunk-002 '^X-Backend-Identity: user=user-bob-0002 '
t_status chunk-003 200 -H "Cookie: authjs.session-token.1=$C1; authjs.session-token.0=$C0" "$U/api/projects"
t_status chunk-004 401 -H "Cookie: authjs.session-token.1=$C1" "$U/api/projects"
t_status chunk-005 401 -H "Cookie: authjs.session-token.0=$C0; authjs.session-token.2=$C1" "$U/api/projects"
t_status chunk-006 401 -H "Cookie: authjs.session-token.0=$C0" "$U/api/projects"	# cut short
BIG=$(head -c 4097 /dev/zero | tr '\0' A)
t_status chunk-007 401 -H "Cookie: authjs.session-token.0=$BIG" "$U/api/projects"
# a database session token (no JWE): not ours to find, never an allow
t_status db-001 401 -b "authjs.session-token=5b0c7a3e-0d6f-4b8e-9a51-3c2d1e0f9a88" "$U/api/projects"

# --- better-auth's cookie cache ---------------------------------------------
# cache_cookie ID: the session_token and session_data cookies better-auth set
cache_cookie() { printf 'better-auth.session_token=%s; better-auth.session_data=%s' "$(ba "$1" session_token)" "$(ba "$1" session_data)"; }
for s in compact jwt jwe; do
	t_status "cache-$s-001" 200 -b "$(cache_cookie ba-$s)" "$URL_off/api/projects"
	t_header "cache-$s-002" "^X-Backend-Identity: user=$(ba ba-$s user_id) "
	t_status "cache-$s-003" 200 -b "$(cache_cookie ba-$s)" "$URL_on/api/projects"
	t_body   "cache-$s-004" "^X-Auth-Session-Id: $(ba ba-$s session_id)\$"
done
# the sessions are revoked (the webhook deletes the rows)
sqlite3 "$DB" "delete from session where id in ('$(ba ba-compact session_id)', '$(ba ba-jwt session_id)', '$(ba ba-jwe session_id)')" ||
	t_fail cache-000 "cannot revoke"
for s in compact jwt jwe; do
	# off: the session token is looked up, and it is gone
	t_status "revoked-$s-001" 401 -b "$(cache_cookie ba-$s)" "$URL_off/api/projects"
	# on: the cache cookie still speaks for it until it expires (the trade-off)
	t_status "revoked-$s-002" 200 -b "$(cache_cookie ba-$s)" "$URL_on/api/projects"
	t_header "revoked-$s-003" "^X-Backend-Identity: user=$(ba ba-$s user_id) role=- method=session"
	t_body   "revoked-$s-004" "^X-Auth-User-Email: $(ba ba-$s email)\$"
	# an expired cache cookie falls back to the lookup: 401
	t_status "revoked-$s-005" 401 -b "$(cache_cookie ba-$s-expired)" "$URL_on/api/projects"
done
# a bad cache cookie falls back, never allows: altered, or another session's
D=$(ba ba-compact session_data)
t_status bad-001 401 -b "better-auth.session_token=$(ba ba-compact session_token); better-auth.session_data=${D:0:40}$([ "${D:40:1}" = A ] && echo B || echo A)${D:41}" "$URL_on/api/projects"
t_status bad-002 401 -b "better-auth.session_token=$(ba ba-jwt session_token); better-auth.session_data=$(ba ba-compact session_data)" "$URL_on/api/projects"
t_status bad-003 401 -b "better-auth.session_token=$(ba ba-compact session_token); better-auth.session_data=not-a-cache" "$URL_on/api/projects"
# no valid session_token signature: the cache is not even read
t_status bad-004 401 -b "better-auth.session_token=$(ba ba-compact token).AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA%3D; better-auth.session_data=$(ba ba-compact session_data)" "$URL_on/api/projects"
# the session back in the store: a bad cache cookie falls back to it (200)
sqlite3 "$DB" "insert into session (id, token, userId, expiresAt, createdAt, updatedAt)
    values ('$(ba ba-compact session_id)', '$(ba ba-compact token)', '$(ba ba-compact user_id)',
    '$(ba ba-compact session_expires_at)', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')" ||
	t_fail bad-000 "cannot restore"
t_status bad-005 200 -b "better-auth.session_token=$(ba ba-compact session_token); better-auth.session_data=not-a-cache" "$URL_on/api/projects"
t_status bad-006 200 -b "$(cache_cookie ba-compact-expired | sed "s|^better-auth.session_token=[^;]*|better-auth.session_token=$(ba ba-compact session_token)|")" "$URL_on/api/projects"

# --- the logs ---------------------------------------------------------------
t_cleanup
for n in off on; do
	t_sanitizers "asan-$n" "$T_DIR/$n/error.log"
done
t_has log-001 'reason=jwt_expired' "$T_DIR/off/error.log"
t_has log-002 'reason=jwt_bad_tag' "$T_DIR/off/error.log"
t_has log-003 'TRUST_COOKIE_CACHE=1' "$T_DIR/on/error.log"
t_lacks log-004 "$(v v4-alice | cut -c 40-80)|$(ba ba-compact token)|$(secret NEXTAUTH_SECRET)|$(secret AUTH_SECRET)" "$T_DIR/off/error.log" "$T_DIR/on/error.log"
t_finish
