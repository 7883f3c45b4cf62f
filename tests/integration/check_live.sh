#!/bin/bash
# check_live.sh - `authgate check` agrees with the live authorizer. Every
# case of a large matrix (the cookies, keys, paths, methods and browser
# headers of lighttpd.sh) is sent through lighttpd with the shipped
# lighttpd.conf and given to `authgate check` with the same inputs; the
# status must be the same, and so must the identity the backend received
# (200), the Location (302) and the JSON body (401, 403).
. "$(dirname "$0")/../lib/common.sh"
t_setup check_live
AG="$T_ROOT/build/asan/authgate"
unset BETTER_AUTH_SECRET_FILE AUTHGATE_COOKIE_PREFIX AUTHGATE_DB

DB="$T_DIR/authgate.db"
t_db "$DB" || { t_fail setup "cannot build the test database"; t_finish; }
# a few more shapes: redirect-only and method-limited rules
sqlite3 "$DB" "insert into authgate_rule (id, priority, method, path, access, min_role, on_deny, redirect_to) values
  (20, 95, NULL, '/app/admin/**', 'session', 'admin', 'redirect', '/login'),
  (21, 96, 'GET', '/api/files/*.txt', 'public', NULL, 'json', NULL)"
PORT=$(t_port)
t_lighttpd "$PORT" "$T_DIR/state" "$DB" || { t_fail setup "lighttpd did not start: $(cat "$T_DIR/state/error.log")"; t_finish; }
U="http://127.0.0.1:$PORT"
export BETTER_AUTH_SECRET=$T_SECRET AUTHGATE_DB="$DB"
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1

OWNER=$(t_cookie demo-session-olivia-owner)
ADMIN=$(t_cookie demo-session-adam-admin)
MEMBER=$(t_cookie demo-session-mia-member)
GUEST=$(t_cookie demo-session-gus-guest)
NOORG=$(t_cookie demo-session-nora-noorg)
EXPIRED=$(t_cookie demo-session-expired)
BANNED=$(t_cookie test-session-bea-banned)
TEMPBAN=$(t_cookie test-session-tim-tempban)
MULTI=$(t_cookie test-session-max-multi)
EVIL=$(t_cookie test-session-eve-inject)
EPOCH=$(t_cookie test-session-epoch-ms)
EPOCH_OLD=$(t_cookie test-session-epoch-ms-old)
KEY=ag_demo_member_key_7f3c9a1e5b2d4c6e8a0b1c2d3e4f5a6b
KEY_OFF=ag_demo_disabled_key_00000000000000000000000000
KEY_EXP=ag_test_expired_key_1111111111111111111111111
KEY_META=ag_test_admin_meta_key_22222222222222222222222
KEY_ORG=ag_test_org_owned_key_333333333333333333333333
KEY_BAN=ag_test_banned_user_key_44444444444444444444444
KEY_HEX=ag_test_hex_stored_key_555555555555555555555555
SESS_BEARER=$(echo "${MEMBER#*=}" | sed 's/%3D/=/g; s/%2B/+/g; s/%2F/\//g')

# Credentials: a name and the request headers it stands for ('|' apart).
CREDS=(
	"anon|"
	"owner|Cookie: $OWNER"
	"admin|Cookie: $ADMIN"
	"member|Cookie: $MEMBER"
	"guest|Cookie: $GUEST"
	"noorg|Cookie: $NOORG"
	"expired|Cookie: $EXPIRED"
	"banned|Cookie: $BANNED"
	"tempban|Cookie: $TEMPBAN"
	"multi|Cookie: $MULTI"
	"evil|Cookie: $EVIL"
	"epoch|Cookie: $EPOCH"
	"epoch-old|Cookie: $EPOCH_OLD"
	"unsigned|Cookie: better-auth.session_token=demo-session-mia-member"
	"tampered|Cookie: ${MEMBER%???}AAA"
	"secure|Cookie: __Secure-$MEMBER"
	"among|Cookie: a=1; b=2; $MEMBER; c=3"
	"two|Cookie: $MEMBER; $ADMIN"
	"same-twice|Cookie: $MEMBER; $MEMBER"
	"empty|Cookie: better-auth.session_token="
	"key|x-api-key: $KEY"
	"key-bearer|Authorization: Bearer $KEY"
	"key-off|x-api-key: $KEY_OFF"
	"key-exp|x-api-key: $KEY_EXP"
	"key-meta|x-api-key: $KEY_META"
	"key-org|x-api-key: $KEY_ORG"
	"key-ban|x-api-key: $KEY_BAN"
	"key-hex|x-api-key: $KEY_HEX"
	"key-unknown|x-api-key: ag_unknown_key_000"
	"sess-bearer|Authorization: Bearer $SESS_BEARER"
	"basic|Authorization: Basic dXNlcjpwYXNz"
	"bearer-empty|Authorization: Bearer"
	"key-and-cookie|x-api-key: $KEY_OFF|Cookie: $MEMBER"
)
PATHS=(/api/health /api/projects /api/projects/1 /api/admin/users
	/api/internal/x /api/machine/jobs /app/ /app/dashboard /app/admin/x
	/api/unlisted/thing /api/files/a.txt)
ATTACKS=(/api/%61dmin/users /api/%68ealth /api/%68ealth/x /app/a%20b
	'/api/health?next=/api/admin/x' '/api/admin/users?/api/health'
	'/api/projects?x=/../health' /api/health/../admin/x /api/./admin/x
	/api/admin%2fx /api/admin%2Fx /api/admin%5cx //api/admin/x
	/api//admin/x /api/%zz /api/%4 /api/%252e%252e/admin /api/a%00b
	/api/a%0ab /api/health%3f/x /api/health%23/x /api/internal/%78
	/api/%2e%2e/admin /api/files/%61.txt)
HTML='Accept: text/html,application/xhtml+xml;q=0.9,*/*;q=0.8'

N=0
declare -A SEEN=()
# agree ID METHOD PATH HEADER...: one case through both.
agree() {
	local id=$1 m=$2 p=$3 h got want code; shift 3
	local -a curl_args=(-s -g --path-as-is --max-time 15 -o "$T_DIR/body"
	    -D "$T_DIR/headers" -w '%{http_code}') chk=(--method "$m" --path "$p")
	for h in "$@"; do
		[ -n "$h" ] || continue
		curl_args+=(-H "$h")
		chk+=(--header "$h")
	done
	case $m in
	HEAD) curl_args+=(-I) ;;
	GET) ;;
	*) curl_args+=(-X "$m" --data x) ;;
	esac
	N=$((N + 1))
	code=$(curl "${curl_args[@]}" "$U$p")
	"$AG" check "${chk[@]}" > "$T_DIR/check" 2>"$T_DIR/check.err"
	want=$(sed -n 's/^status: //p' "$T_DIR/check")
	if [ "$code" != "$want" ]; then
		t_fail "$id" "live $code, check ${want:-nothing} ($m $p $*): $(head -c 200 "$T_DIR/check.err")"
		return
	fi
	SEEN[$code]=$(( ${SEEN[$code]:-0} + 1 ))
	case $code in
	200)
		[ "$m" = HEAD ] && { t_pass "$id"; return; }
		got=$(grep -E '^(AUTH_[A-Z_]*|REMOTE_USER)=' "$T_DIR/body" | LC_ALL=C sort)
		want=$(sed -n 's/^Variable-\([A-Z_]*\): \(.*\)\r$/\1=\2/p' "$T_DIR/check" | LC_ALL=C sort)
		;;
	302)
		got=$(grep -i '^Location:' "$T_DIR/headers" | tr -d '\r')
		want=$(grep -i '^Location:' "$T_DIR/check" | tr -d '\r')
		;;
	401|403)
		[ "$m" = HEAD ] && { t_pass "$id"; return; }
		got=$(cat "$T_DIR/body")
		want=$(sed -n '/^reply:$/,$p' "$T_DIR/check" | sed '1,/^\r$/d')
		;;
	*)
		t_pass "$id"
		return
		;;
	esac
	if [ "$got" = "$want" ] && [ -n "$want" ]; then t_pass "$id"; else
		t_fail "$id" "$m $p ($*): live [$got] check [$want]"
	fi
}

# Every credential against every path, GET; writes where a rule is
# method-specific; browser navigations where redirects may happen.
for c in "${CREDS[@]}"; do
	name=${c%%|*}
	IFS='|' read -r -a hdrs <<< "${c#*|}"
	for p in "${PATHS[@]}"; do
		agree "get-$name-$p" GET "$p" "${hdrs[@]}"
	done
	agree "post-$name-projects" POST /api/projects/1 "${hdrs[@]}"
	agree "delete-$name-projects" DELETE /api/projects/1 "${hdrs[@]}"
	agree "post-$name-health" POST /api/health "${hdrs[@]}"
	agree "head-$name-health" HEAD /api/health "${hdrs[@]}"
	agree "nav-$name-app" GET /app/dashboard "${hdrs[@]}" "$HTML"
	agree "nav-$name-appadmin" GET /app/admin/x "${hdrs[@]}" "$HTML"
	agree "nav-$name-api" GET /api/projects "${hdrs[@]}" "$HTML"
done
# Path attacks, with and without a session, and as a browser.
for p in "${ATTACKS[@]}"; do
	agree "attack-anon-$p" GET "$p"
	agree "attack-member-$p" GET "$p" "Cookie: $MEMBER"
	agree "attack-admin-$p" GET "$p" "Cookie: $ADMIN"
	agree "attack-nav-$p" GET "$p" "$HTML"
done
# What makes a request a browser navigation.
for extra in "" "X-Requested-With: XMLHttpRequest" "Sec-Fetch-Mode: navigate" \
    "Sec-Fetch-Mode: cors" "Sec-Fetch-Mode: no-cors"; do
	agree "navmode-[$extra]-app" GET /app/dashboard "$HTML" "$extra"
	agree "navmode-[$extra]-expired" GET /app/ "$HTML" "$extra" "Cookie: $EXPIRED"
	agree "navmode-[$extra]-appadmin" GET /app/admin/x "$HTML" "$extra" "Cookie: $GUEST"
done
agree accept-json GET /app/dashboard 'Accept: application/json'
agree accept-any GET /app/dashboard 'Accept: */*'
agree method-odd GET /api/projects "Cookie: $MEMBER"
agree method-put PUT /api/projects/1 "Cookie: $GUEST"
agree method-patch PATCH /api/projects/1 "Cookie: $MEMBER"
agree method-options OPTIONS /api/projects "Cookie: $MEMBER"

# The same after live edits: check reads the file the server reads.
sqlite3 "$DB" "update member set role = 'admin' where id = 'm_mia'; update authgate_rule set access = 'deny' where id = 5"
for c in "member|Cookie: $MEMBER" "key|x-api-key: $KEY"; do
	name=${c%%|*}
	for p in /api/admin/users /api/machine/jobs /api/projects; do
		agree "edit-$name-$p" GET "$p" "${c#*|}"
	done
done

[ "$N" -ge 500 ] && t_pass count || t_fail count "only $N cases"
# the matrix exercises every kind of answer, many times
for code in 200 302 400 401 403; do
	[ "${SEEN[$code]:-0}" -ge 10 ] && t_pass "count-$code" || t_fail "count-$code" "only ${SEEN[$code]:-0} answers $code"
done
echo "answers: $(for c in "${!SEEN[@]}"; do printf '%s=%s ' "$c" "${SEEN[$c]}"; done)"
t_sanitizers asan "$T_DIR/state/error.log"
t_finish
