#!/bin/bash
# check_live.sh - `authgate check` agrees with the live authorizer. Every
# case of a large matrix (the cookies, keys, paths, methods and browser
# headers of lighttpd.sh) is sent through lighttpd with the shipped
# lighttpd.conf and given to `authgate check` with the same inputs; the
# status must be the same, and so must the identity the backend received
# (200), the Location (302) and the JSON body (401, 403). The cases go in
# two batches (before and after live edits): all requests of a batch
# through one curl, over kept-alive connections, and the `authgate check`
# runs in two streams beside it; then each case is compared.
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

t_creds || { t_fail setup "authgate cookie failed"; t_finish; }
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

# Queued cases: id, method, path, request headers (one per line).
declare -a C_ID=() C_M=() C_P=() C_H=()
N=0 FROM=0
declare -A SEEN=()
# agree ID METHOD PATH HEADER...: queues one case for the next batch.
agree() {
	local h
	C_ID[N]=$1 C_M[N]=$2 C_P[N]=$3 C_H[N]=""
	shift 3
	for h in "$@"; do [ -z "$h" ] || C_H[N]+="$h"$'\n'; done
	N=$((N + 1))
}

# live FROM TO: the requests FROM..TO-1 through lighttpd, in one curl;
# "I STATUS" lines in $T_DIR/live/codes, answers in $T_DIR/live/I.*
live() {
	local i h
	local -a a=()
	for ((i = $1; i < $2; i++)); do
		[ "$i" = "$1" ] || a+=(--next)
		a+=(-s -g --path-as-is --max-time 15 -o "$T_DIR/live/$i.body"
		    -D "$T_DIR/live/$i.hdr" -w "$i %{http_code}\n")
		while IFS= read -r h; do [ -z "$h" ] || a+=(-H "$h"); done <<< "${C_H[i]}"
		case ${C_M[i]} in
		HEAD) a+=(-I) ;;
		GET) ;;
		*) a+=(-X "${C_M[i]}" --data x) ;;
		esac
		a+=("$U${C_P[i]}")
	done
	curl "${a[@]}" > "$T_DIR/live/codes"
}

# offline FROM TO STEP: `authgate check` for every STEP-th case from FROM.
offline() {
	local i h
	local -a a
	for ((i = $1; i < $2; i += $3)); do
		a=(--method "${C_M[i]}" --path "${C_P[i]}")
		while IFS= read -r h; do [ -z "$h" ] || a+=(--header "$h"); done <<< "${C_H[i]}"
		"$AG" check "${a[@]}" > "$T_DIR/check/$i.out" 2> "$T_DIR/check/$i.err"
	done
}

# same A B: the line lists A and B (newline-separated) hold the same
# lines, in any order, and are not empty.
same() {
	local l n=0
	local -A c=()
	while IFS= read -r l; do [ -z "$l" ] || { c[$l]=$(( ${c[$l]:-0} + 1 )); n=$((n + 1)); }; done <<< "$1"
	while IFS= read -r l; do [ -z "$l" ] || { c[$l]=$(( ${c[$l]:-0} - 1 )); n=$((n - 1)); }; done <<< "$2"
	[ -n "$2" ] && [ "$n" = 0 ] || return 1
	for l in "${!c[@]}"; do [ "${c[$l]}" = 0 ] || return 1; done
}

# judge I CODE: case I, answered CODE live, against its check output.
judge() {
	local i=$1 code=$2 id=${C_ID[$1]} m=${C_M[$1]} l want="" got="" exp="" part=head
	local what="$m ${C_P[$1]} (${C_H[$1]//$'\n'/ })"
	local -a out=() lv=()
	[ -e "$T_DIR/check/$i.out" ] && mapfile -t out < "$T_DIR/check/$i.out"
	for l in "${out[@]}"; do [[ $l == "status: "* ]] && want=${l#status: }; done
	if [ "$code" != "$want" ]; then
		t_fail "$id" "live $code, check ${want:-nothing} ($what): $(head -c 200 "$T_DIR/check/$i.err")"
		return
	fi
	SEEN[$code]=$(( ${SEEN[$code]:-0} + 1 ))
	case $code in
	200|401|403) [ "$m" = HEAD ] && { t_pass "$id"; return; } ;;
	302) ;;
	*) t_pass "$id"; return ;;
	esac
	# the check's reply: headers, then the body after the empty line
	for l in "${out[@]}"; do
		case $part in
		head) [ "$l" = reply: ] && part=reply ;;
		reply)
			if [ "$l" = $'\r' ]; then part=body
			elif [ "$code" = 200 ] && [[ $l =~ ^Variable-([A-Z_]*):\ (.*)$'\r'$ ]]; then
				exp+="${BASH_REMATCH[1]}=${BASH_REMATCH[2]}"$'\n'
			elif [ "$code" = 302 ] && [[ $l == Location:* ]]; then exp=${l%$'\r'}
			fi ;;
		body) [ "$code" = 302 ] || exp+="$l"$'\n' ;;
		esac
	done
	case $code in
	200)
		[ -e "$T_DIR/live/$i.body" ] && mapfile -t lv < "$T_DIR/live/$i.body"
		for l in "${lv[@]}"; do [[ $l =~ ^(AUTH_[A-Z_]*|REMOTE_USER)= ]] && got+="$l"$'\n'; done
		same "$got" "$exp" && { t_pass "$id"; return; } ;;
	302)
		[ -e "$T_DIR/live/$i.hdr" ] && mapfile -t lv < "$T_DIR/live/$i.hdr"
		for l in "${lv[@]}"; do [[ ${l,,} == location:* ]] && got=${l%$'\r'}; done
		[ -n "$exp" ] && [ "$got" = "$exp" ] && { t_pass "$id"; return; } ;;
	*)
		[ -e "$T_DIR/live/$i.body" ] && got=$(< "$T_DIR/live/$i.body")
		exp=${exp%$'\n'}
		while [[ $exp == *$'\n' ]]; do exp=${exp%$'\n'}; done
		[ -n "$exp" ] && [ "$got" = "$exp" ] && { t_pass "$id"; return; } ;;
	esac
	t_fail "$id" "$what: live [$got] check [$exp]"
}

# batch: the cases queued since the last batch, through both, compared.
batch() {
	local i code pids=()
	rm -rf "$T_DIR/live" "$T_DIR/check"
	mkdir -p "$T_DIR/live" "$T_DIR/check"
	live "$FROM" "$N" & pids+=($!)
	offline "$FROM" "$N" 2 & pids+=($!)
	offline "$((FROM + 1))" "$N" 2 & pids+=($!)
	wait "${pids[@]}"
	local -A codes=()
	while read -r i code; do codes[$i]=$code; done < "$T_DIR/live/codes"
	for ((i = FROM; i < N; i++)); do judge "$i" "${codes[$i]:-000}"; done
	FROM=$N
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

batch

# The same after live edits: check reads the file the server reads.
sqlite3 "$DB" "update member set role = 'admin' where id = 'm_mia'; update authgate_rule set access = 'deny' where id = 5"
for c in "member|Cookie: $MEMBER" "key|x-api-key: $KEY"; do
	name=${c%%|*}
	for p in /api/admin/users /api/machine/jobs /api/projects; do
		agree "edit-$name-$p" GET "$p" "${c#*|}"
	done
done

batch

[ "$N" -ge 500 ] && t_pass count || t_fail count "only $N cases"
# the matrix exercises every kind of answer, many times
for code in 200 302 400 401 403; do
	[ "${SEEN[$code]:-0}" -ge 10 ] && t_pass "count-$code" || t_fail "count-$code" "only ${SEEN[$code]:-0} answers $code"
done
echo "answers: $(for c in "${!SEEN[@]}"; do printf '%s=%s ' "$c" "${SEEN[$c]}"; done)"
t_sanitizers asan "$T_DIR/state/error.log"
t_finish
