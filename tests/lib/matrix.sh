# tests/lib/matrix.sh - the specification every server suite runs against
# its server with the shipped config, one copy for all of them. Source it
# after common.sh and t_creds.
#
#   mx_matrix PREFIX KIND URL   who gets which answer, what a denial looks
#                               like, and the identity a backend receives
#   mx_spoof PREFIX KIND URL    identity headers sent by the client, one
#                               name at a time and all at once, on allowed,
#                               public and denied paths: no value of theirs
#                               reaches the backend, the real identity wins
# and, for the servers that ask `authgate serve`'s check endpoint (nginx,
# Caddy), with the case ids those suites gave them:
#   mx_forwarded URL            the original request is the server's own,
#                               never what X-Forwarded-* and the like say
#   mx_store_down URL DB        an unreadable store is a 503, never an allow
#   mx_serve_log LOG            what authgate logged of all this
#
# KIND is the backend behind URL, which says how it shows the identity it
# received:
#   http  tests/integration/backends/echo_http.py: X-Auth-* header lines
#   fcgi  tests/integration/backends/echo_fcgi.c: AUTH_* and REMOTE_USER
#         parameter lines
#   cgi   conf/demo/whoami.cgi: AUTH_* and REMOTE_USER variable lines
# Case ids are PREFIX-spec-SECTION-NNN (PREFIX-spec-spoof-... for
# mx_spoof); they never change meaning.
#
# Settings, from the suite (defaults in brackets):
#   MX_API    the API prefix on this backend [/api]: $MX_API/projects takes
#             any signed-in user
#   MX_ADMIN  an area for admins and owners [/api/admin]
#   MX_PUB    a path public by rule, GET [/api/health]
#   MX_SKIP   sections this backend cannot run, each with its reason in
#             the suite: app (the /app/ session area does not reach this
#             backend), apikeys ($MX_API takes no API keys, or is not a
#             JSON API), demo (the demo's /api/ rules are not at $MX_API),
#             location (/public/ does not reach this backend) [none]
#   MX_CURL   extra curl arguments for every request (a Host header) [()]
#   MX_HTTP_EMPTY  how an http backend sees an empty identity value:
#             absent (no header) or blank (the header, empty) [absent]
#   MX_ANON_REMOTE_USER  REMOTE_USER a cgi/fcgi backend gets without an
#             identity; unset: not checked [unset]
# Hooks, functions a suite may define (or redefine) after sourcing this
# file:
#   mx_before / mx_after   run around every request
#   mx_field KIND FIELD VALUE   true when the last answer shows identity
#             FIELD (USER_ID, ...; REMOTE_USER) as VALUE ('' = empty);
#             otherwise sets MX_WHY to what it saw (no subshell: it runs
#             a dozen times per answer)
#   mx_not_reached ID      the backend never saw the last request
#   mx_clean ID            no spoofed value in what came back

MX_API=${MX_API:-/api}
MX_ADMIN=${MX_ADMIN:-/api/admin}
MX_PUB=${MX_PUB:-/api/health}
MX_SKIP=${MX_SKIP:-}
MX_HTTP_EMPTY=${MX_HTTP_EMPTY:-absent}
[ "${MX_CURL+set}" = set ] || MX_CURL=()

# The identity fields in the order of the MX_ID_* lists below.
MX_FIELDS="USER_ID USER_EMAIL USER_NAME ORG_ID ORG_SLUG ROLE ROLES METHOD SESSION_ID API_KEY_ID EXPIRES_AT"
# Who the demo data and the fixtures say each credential is: the 11
# fields, then REMOTE_USER (checked on cgi and fcgi backends).
MX_ID_MIA=(u_mia mia@acme.test 'Mia Member' org_acme acme member member session s_mia '' 2099-01-01T00:00:00.000Z u_mia)
MX_ID_ADAM=(u_adam adam@acme.test 'Adam Admin' org_acme acme admin admin session s_adam '' 2099-01-01T00:00:00.000Z u_adam)
MX_ID_OLIVIA=(u_olivia olivia@acme.test 'Olivia Owner' org_acme acme owner owner session s_olivia '' 2099-01-01T00:00:00.000Z u_olivia)
MX_ID_MAX=(u_multi max@acme.test 'Max Multi' org_acme acme admin guest,admin session s_multi '' 2099-01-01T00:00:00.000Z u_multi)
MX_ID_NORA=(u_nora nora@example.test 'Nora Noorg' '' '' '' '' session s_nora '' 2099-01-01T00:00:00.000Z u_nora)
MX_ID_MIA_KEY=(u_mia mia@acme.test 'Mia Member' org_acme acme member member api_key '' k_mia '' u_mia)
MX_ID_ORG_KEY=('' '' '' org_acme acme '' '' api_key '' k_org '' k_org)
MX_ID_NONE=('' '' '' '' '' '' '' '' '' '' '')

# mx_has SECTION: true unless the suite skips SECTION.
mx_has() { [[ " $MX_SKIP " != *" $1 "* ]]; }

# mx_get ID WANT CURL-ARGS...: t_status through this backend.
mx_get() {
	local id=$1 want=$2; shift 2
	declare -F mx_before >/dev/null && mx_before
	t_status "$id" "$want" "${MX_CURL[@]}" "$@"
	declare -F mx_after >/dev/null && mx_after
	return 0
}

# mx_lines: the last body, one array element a line, in MX_LINES.
mx_lines() {
	MX_LINES=()
	[ -e "$T_BODY_FILE" ] && mapfile -t MX_LINES < "$T_BODY_FILE"
	MX_LINES=("${MX_LINES[@]%$'\r'}")
}

# mx_field KIND FIELD VALUE (the default): cgi and fcgi backends show
# "AUTH_FIELD=value" (always there, empty when unknown) and
# "REMOTE_USER=value"; an http backend shows "X-Auth-Field: value" once,
# and no header or a blank one for an empty value (MX_HTTP_EMPTY); header
# names compare without regard to case.
mx_field() {
	local kind=$1 f=$2 v=$3 l h val n=0 bad=0 name
	if [ "$kind" != http ]; then
		[ "$f" = REMOTE_USER ] || f=AUTH_$f
		for l in "${MX_LINES[@]}"; do
			[ "$l" = "$f=$v" ] && return 0
		done
		MX_WHY="$f not \"$v\""
		return 1
	fi
	[ "$f" = REMOTE_USER ] && return 0	# an http backend gets none
	name=x-auth-${f//_/-}; name=${name,,}
	for l in "${MX_LINES[@]}"; do
		[[ $l == *:* ]] || continue
		h=${l%%:*}
		[ "${h,,}" = "$name" ] || continue
		val=${l#*:}; val=${val# }
		n=$((n + 1))
		if [ -n "$v" ]; then [ "$val" = "$v" ] || bad=1
		else [ -z "${val// }" ] || bad=1; fi
	done
	if [ -n "$v" ] || [ "$MX_HTTP_EMPTY" = blank ]; then
		[ "$n" = 1 ] && [ "$bad" = 0 ] && return 0
	else
		[ "$n" = 0 ] && return 0
	fi
	MX_WHY="$name: $n header(s), want \"$v\""
	return 1
}

# mx_ident ID KIND VALUES...: the backend answered, and received exactly
# this identity: the 11 fields of MX_FIELDS, then REMOTE_USER (checked on
# cgi and fcgi backends; not when it is left out), and never "(null)".
mx_ident() {
	local id=$1 kind=$2 f bad="" l; shift 2
	mx_lines
	if [ "${#MX_LINES[@]}" = 0 ] || [[ ${MX_LINES[0]} != backend:* ]]; then
		t_fail "$id" "no backend answer to read the identity from: $(head -c 200 "$T_BODY_FILE" 2>/dev/null)"
		return
	fi
	for f in $MX_FIELDS REMOTE_USER; do
		[ $# -gt 0 ] || break
		mx_field "$kind" "$f" "$1" || bad="$bad $MX_WHY;"
		shift
	done
	for l in "${MX_LINES[@]}"; do
		[[ $l == *'(null)'* ]] && bad="$bad (null) in '$l';"
	done
	if [ -z "$bad" ]; then t_pass "$id"
	else t_fail "$id" "$bad body: $(tr '\n' '|' < "$T_BODY_FILE" | head -c 600)"; fi
}

# mx_anon ID KIND: the backend answered, and received no identity.
mx_anon() {
	if [ -n "${MX_ANON_REMOTE_USER+set}" ]; then
		mx_ident "$1" "$2" "${MX_ID_NONE[@]}" "$MX_ANON_REMOTE_USER"
	else
		mx_ident "$1" "$2" "${MX_ID_NONE[@]}"
	fi
}

# mx_not_reached ID (the default): no backend answered, and no error page
# of the server's stands in for authgate's answer.
mx_not_reached() { t_nobody "$1" '^backend|DOCTYPE'; }

# mx_clean ID (the default): the answer came, and no spoofed value is in
# its body (a backend's echo, or authgate's JSON) or headers.
mx_clean() {
	t_answered "$1" "$T_BODY_FILE" body || return
	if grep -q SPOOFED "$T_BODY_FILE" "$T_HDR_FILE"; then
		t_fail "$1" "a spoofed value came through: $(grep -h SPOOFED "$T_BODY_FILE" "$T_HDR_FILE" | head -20 | tr '\n' '|')"
	else t_pass "$1"; fi
}

# mx_matrix PREFIX KIND URL: the decisions, the shape of a denial, and
# what the backend receives.
mx_matrix() {
	local px=$1-spec k=$2 U=$3
	local A=$U$MX_API D=$U$MX_ADMIN P=$U$MX_PUB

	# anonymous on the API: authgate's JSON 401, as authgate wrote it
	mx_get   "$px-anon-001" 401 "$A/projects"
	t_header "$px-anon-002" '^WWW-Authenticate: Bearer realm="authgate"'
	t_header "$px-anon-003" '^Cache-Control: no-store'
	t_header "$px-anon-004" '^Content-Type: application/json'
	t_body   "$px-anon-005" '^\{"error":"Unauthorized - sign in required"\}$'
	t_noheader "$px-anon-006" '^Status:'
	mx_not_reached "$px-anon-007"
	# roles on the admin area: a role is a 403, never a challenge
	mx_get   "$px-role-001" 403 -b "$MEMBER" "$D/users"
	t_body   "$px-role-002" '^\{"error":"Forbidden - admin role required"\}$'
	t_noheader "$px-role-003" '^WWW-Authenticate'
	t_header "$px-role-004" '^Content-Type: application/json'
	t_header "$px-role-005" '^Cache-Control: no-store'
	mx_not_reached "$px-role-006"
	mx_get   "$px-role-007" 403 -b "$GUEST" "$D/users"
	mx_get   "$px-role-008" 200 -b "$ADMIN" "$D/users"
	mx_ident "$px-role-009" "$k" "${MX_ID_ADAM[@]}"
	mx_get   "$px-role-010" 200 -b "$OWNER" "$D/users"
	mx_ident "$px-role-011" "$k" "${MX_ID_OLIVIA[@]}"
	mx_get   "$px-role-012" 200 -b "$MULTI" "$D/users"	# guest,admin
	mx_ident "$px-role-013" "$k" "${MX_ID_MAX[@]}"
	# a member on an ordinary path: every value arrives, none is "(null)"
	mx_get   "$px-id-001" 200 -b "$MEMBER" "$A/projects"
	mx_ident "$px-id-002" "$k" "${MX_ID_MIA[@]}"
	mx_get   "$px-id-003" 200 -b "$NOORG" "$A/projects"	# in no organization
	mx_ident "$px-id-004" "$k" "${MX_ID_NORA[@]}"
	# sessions that must not pass
	mx_get   "$px-sess-001" 401 -b "$EXPIRED" "$A/projects"
	t_body   "$px-sess-002" '^\{"error":"Unauthorized - session expired"\}$'
	mx_not_reached "$px-sess-003"
	mx_get   "$px-sess-004" 401 -b "${MEMBER%???}AAA" "$A/projects"	# tampered
	mx_get   "$px-sess-005" 403 -b "$BANNED" "$A/projects"
	t_body   "$px-sess-006" '^\{"error":"Forbidden - banned"\}$'
	mx_not_reached "$px-sess-007"
	# a public rule: allowed, and no identity, whoever asks
	mx_get   "$px-pub-001" 200 "$P"
	mx_anon  "$px-pub-002" "$k"
	mx_get   "$px-pub-003" 200 -b "$MEMBER" "$P"
	mx_anon  "$px-pub-004" "$k"

	if mx_has apikeys; then
		# API keys on the API, and its JSON answers for browsers too
		mx_get   "$px-key-001" 200 -H "x-api-key: $KEY" "$A/projects"
		mx_ident "$px-key-002" "$k" "${MX_ID_MIA_KEY[@]}"
		mx_get   "$px-key-003" 200 -H "Authorization: Bearer $KEY" "$A/projects"
		mx_ident "$px-key-004" "$k" "${MX_ID_MIA_KEY[@]}"
		mx_get   "$px-key-005" 403 -H "x-api-key: $KEY" "$D/users"	# a member's key
		mx_get   "$px-key-006" 401 -H "x-api-key: $KEY_OFF" "$A/projects"
		t_body   "$px-key-007" '^\{"error":"Unauthorized - API key disabled"\}$'
		mx_get   "$px-key-008" 200 -H "x-api-key: $KEY_ORG" "$A/projects"
		mx_ident "$px-key-009" "$k" "${MX_ID_ORG_KEY[@]}"	# no user
		mx_get   "$px-key-010" 401 -H "$HTML" "$A/projects"	# the rule says json
		mx_not_reached "$px-key-011"
	fi
	if mx_has demo; then
		# the demo's other /api/ rules
		mx_get   "$px-demo-001" 401 -X POST --data x "$U/api/health"	# GET,HEAD only
		mx_get   "$px-demo-002" 403 -b "$OWNER" "$U/api/internal/x"	# closed to all
		t_body   "$px-demo-003" '^\{"error":"Forbidden - access denied"\}$'
		t_header "$px-demo-004" '^Content-Type: application/json'
		mx_not_reached "$px-demo-005"
		mx_get   "$px-demo-006" 200 -b "$GUEST" "$U/api/projects/1"
		mx_get   "$px-demo-007" 403 -b "$GUEST" -X POST --data x "$U/api/projects/1"
		t_body   "$px-demo-008" '^\{"error":"Forbidden - member role required"\}$'
		mx_not_reached "$px-demo-009"
		mx_get   "$px-demo-010" 200 -b "$MEMBER" -X POST --data 'name=x' "$U/api/projects/1"
		t_body   "$px-demo-011" '^backend: (http POST |POST |fastcgi )/api/projects/1$'
		mx_get   "$px-demo-012" 200 -H "Authorization: Bearer $KEY" "$U/api/machine/jobs"
		mx_ident "$px-demo-013" "$k" "${MX_ID_MIA_KEY[@]}"
		mx_get   "$px-demo-014" 401 -b "$MEMBER" "$U/api/machine/jobs"	# keys only
		mx_not_reached "$px-demo-015"
	fi
	if mx_has app; then
		# the web app (/app/, sessions only): browsers are sent to sign-in,
		# scripts get a 401
		mx_get   "$px-app-001" 302 -H "$HTML" "$U/app/dashboard"
		t_header "$px-app-002" '^Location: /sign-in\?next=/app/dashboard'$'\r''?$'
		t_header "$px-app-003" '^Cache-Control: no-store'
		t_noheader "$px-app-004" '^WWW-Authenticate'
		mx_not_reached "$px-app-005"
		mx_get   "$px-app-006" 302 -I -H "$HTML" "$U/app/dashboard"	# HEAD
		t_header "$px-app-007" '^Location: /sign-in\?next=/app/dashboard'
		mx_get   "$px-app-008" 401 -H "$HTML" -H 'X-Requested-With: XMLHttpRequest' "$U/app/dashboard"
		t_noheader "$px-app-009" '^Location:'
		mx_get   "$px-app-010" 401 -H "$HTML" -H 'Sec-Fetch-Mode: cors' "$U/app/dashboard"
		mx_get   "$px-app-011" 302 -H "$HTML" -H 'Sec-Fetch-Mode: navigate' "$U/app/"
		t_header "$px-app-012" '^Location: /sign-in\?next=/app/'$'\r''?$'
		mx_get   "$px-app-013" 302 -H "$HTML" -H 'Sec-Fetch-Mode: navigate' "$U/app/a%20b"
		t_header "$px-app-014" '^Location: /sign-in\?next=/app/a%20b'
		mx_get   "$px-app-015" 302 -H "$HTML" "$U/app/a%20b"
		t_header "$px-app-016" '^Location: /sign-in\?next=/app/a%20b'
		mx_get   "$px-app-017" 302 -H "$HTML" -b "$EXPIRED" "$U/app/"
		mx_get   "$px-app-018" 200 -b "$MEMBER" "$U/app/dashboard"
		mx_ident "$px-app-019" "$k" "${MX_ID_MIA[@]}"
		mx_get   "$px-app-020" 401 -H "x-api-key: $KEY" "$U/app/dashboard"
		t_body   "$px-app-021" '^\{"error":"Unauthorized - session required"\}$'
		mx_get   "$px-app-022" 401 -H "Authorization: Bearer $KEY" "$U/app/dashboard"
	fi
	if mx_has location; then
		# a path public by rule (/public/**) the backend serves
		mx_get   "$px-loc-001" 200 "$U/public/hello"
		mx_anon  "$px-loc-002" "$k"
		mx_get   "$px-loc-003" 200 -b "$MEMBER" "$U/public/hello"
		mx_anon  "$px-loc-004" "$k"
	fi
}

# Identity headers a client may send, every spelling a server could
# mistake for authgate's: the names authgate uses, in any case, with "_"
# for "-", without the X- prefix; REMOTE_USER's, X-Remote-User and
# X-Forwarded-User; FastCGI-style Variable-*. MX_SPOOF_ONE go one at a
# time, all of MX_SPOOF_ALL at once. A suite whose config also strips
# other names lists them in MX_SPOOF_MORE (sent with the others at once).
MX_SPOOF_ONE="X-Auth-User-Id x-auth-user-id X-AUTH-USER-ID X_Auth_User_Id x_auth_role X-Auth_User-Id Auth-User-Id Remote-User REMOTE-USER X-Auth-Api-Key-Id X-Forwarded-User x-remote-user"
MX_SPOOF_ALL="$MX_SPOOF_ONE x_auth_user_id Auth_User_Id REMOTE_USER remote-user
X-Auth-User-Email x-auth-user-email X-Auth-User-Name X-Auth-Org-Id x_auth_org_id
X_AUTH_ORG_ID X-Auth-Org-Slug X-Auth-Role X-AUTH-ROLE X_Auth_Role AUTH_ROLE
X-Auth-Roles x-Auth-Roles X-Auth-Method x_auth_method X.Auth.Method
X-Auth-Session-Id X~Auth~Session~Id X_Auth_Api_Key_Id X-Auth-Expires-At
X-Remote-User Variable-AUTH_USER_ID Variable-REMOTE_USER"
MX_SPOOF_MORE=${MX_SPOOF_MORE:-}
# MX_SPOOF_PASSES: names the server's shipped config is known to let
# through to this backend, set by the suite next to the report of the gap;
# they are left out (any letter case) until the config strips them.
MX_SPOOF_PASSES=${MX_SPOOF_PASSES:-}

# mx_passes NAME: true when NAME is in MX_SPOOF_PASSES.
mx_passes() { [[ " ${MX_SPOOF_PASSES,,} " == *" ${1,,} "* ]]; }

# mx_spoof_args: curl -H arguments for all of MX_SPOOF_ALL and
# MX_SPOOF_MORE at once (value SPOOFED<n>, n its place in that list),
# without MX_SPOOF_PASSES, in MX_SPOOF_ARGS.
mx_spoof_args() {
	local n i=0
	MX_SPOOF_ARGS=()
	for n in $MX_SPOOF_ALL $MX_SPOOF_MORE; do
		i=$((i + 1))
		mx_passes "$n" || MX_SPOOF_ARGS+=(-H "$n: SPOOFED$i")
	done
}

# mx_reports KIND NAME: true when a KIND backend would show header NAME
# if it arrived. whoami.cgi (cgi) shows only HTTP_* variables that name
# AUTH or REMOTE_USER; the echo backends (http, fcgi) show all of the
# names above.
mx_reports() {
	local v=${2^^}
	[ "$1" != cgi ] && return 0
	v=${v//[^A-Z0-9]/_}
	[[ $v == *AUTH* || $v == *REMOTE_USER* ]]
}

# mx_spoof PREFIX KIND URL: spoofed identity headers (values SPOOFED<n>)
# on an allowed path, a public rule and a public location; then all of
# them at once on allowed, public and denied paths.
mx_spoof() {
	local px=$1-spec-spoof k=$2 U=$3 n i=0
	local A=$U$MX_API D=$U$MX_ADMIN P=$U$MX_PUB
	local -a all
	mx_spoof_args
	all=("${MX_SPOOF_ARGS[@]}")
	for n in $MX_SPOOF_ONE; do
		i=$((i + 1))
		mx_reports "$k" "$n" && ! mx_passes "$n" || continue
		mx_get   "$px-$i-a" 200 -b "$MEMBER" -H "$n: SPOOFED$i" "$A/projects"
		mx_clean "$px-$i-b"
		mx_ident "$px-$i-c" "$k" "${MX_ID_MIA[@]}"
		mx_get   "$px-$i-d" 200 -H "$n: SPOOFED$i" "$P"
		mx_clean "$px-$i-e"
		if mx_has location; then
			mx_get   "$px-$i-f" 200 -H "$n: SPOOFED$i" "$U/public/x"
			mx_clean "$px-$i-g"
		fi
	done
	# REMOTE_USER from an unverified Basic header (a FastCGI pitfall)
	mx_get   "$px-basic-1" 200 -u SPOOFED:x "$P"
	mx_clean "$px-basic-2"
	mx_get   "$px-basic-3" 401 -u SPOOFED:x "$A/projects"
	mx_clean "$px-basic-4"
	if mx_has location; then
		mx_get   "$px-basic-5" 200 -u SPOOFED:x "$U/public/x"
		mx_clean "$px-basic-6"
	fi
	# all at once: allowed, public, denied
	mx_get   "$px-all-001" 200 -b "$MEMBER" "${all[@]}" "$A/projects"
	mx_clean "$px-all-002"
	mx_ident "$px-all-003" "$k" "${MX_ID_MIA[@]}"
	mx_get   "$px-all-004" 200 "${all[@]}" "$P"
	mx_clean "$px-all-005"
	mx_anon  "$px-all-006" "$k"
	mx_get   "$px-all-007" 401 "${all[@]}" "$A/projects"
	mx_clean "$px-all-008"
	mx_not_reached "$px-all-009"
	mx_get   "$px-all-010" 403 -b "$MEMBER" "${all[@]}" "$D/users"
	mx_clean "$px-all-011"
	mx_not_reached "$px-all-012"
	mx_get   "$px-all-013" 200 -b "$ADMIN" "${all[@]}" "$D/users"
	mx_clean "$px-all-014"
	mx_ident "$px-all-015" "$k" "${MX_ID_ADAM[@]}"
	# a role claimed by header on a path that needs it: still a 403
	mx_get   "$px-all-016" 403 -b "$MEMBER" -H 'X-Auth-Role: admin' -H 'X_Auth_Role: owner' "$D/users"
	mx_not_reached "$px-all-017"
	# the same name three times (a server may join them into one)
	mx_get   "$px-all-018" 200 -b "$MEMBER" -H 'X-Auth-User-Id: SPOOFED1' -H 'x-auth-user-id: SPOOFED2' -H 'X-AUTH-USER-ID: SPOOFED3' "$A/projects"
	mx_clean "$px-all-019"
	mx_ident "$px-all-020" "$k" "${MX_ID_MIA[@]}"
	if mx_has apikeys; then
		mx_get   "$px-all-021" 200 -H "x-api-key: $KEY" "${all[@]}" "$A/projects"
		mx_clean "$px-all-022"
		mx_ident "$px-all-023" "$k" "${MX_ID_MIA_KEY[@]}"
		# an organization's key: the empty user fields stay empty
		mx_get   "$px-all-024" 200 -H "x-api-key: $KEY_ORG" "${all[@]}" "$A/projects"
		mx_clean "$px-all-025"
		mx_ident "$px-all-026" "$k" "${MX_ID_ORG_KEY[@]}"
	fi
	if mx_has app; then
		mx_get   "$px-all-027" 302 -H "$HTML" "${all[@]}" "$U/app/x"
		mx_clean "$px-all-028"
		mx_not_reached "$px-all-029"
	fi
	if mx_has location; then
		mx_get   "$px-all-030" 200 "${all[@]}" "$U/public/x"
		mx_clean "$px-all-031"
		mx_anon  "$px-all-032" "$k"
	fi
}

# mx_forwarded URL (fwd-001..005, fwd-003b): the server names the original
# request from its own variables; headers a client sends that name another
# request change nothing, and a method override is refused (issue 8).
mx_forwarded() {
	local U=$1
	t_status fwd-001 401 -H 'X-Forwarded-Uri: /api/health' -H 'X-Forwarded-Method: GET' "$U/api/admin/x"
	t_status fwd-002 403 -b "$MEMBER" -H 'X-Forwarded-Uri: /api/health' "$U/api/admin/x"
	t_status fwd-003 400 -b "$GUEST" -X POST --data x -H 'X-Forwarded-Method: GET' \
	    -H 'X-HTTP-Method-Override: GET' "$U/api/projects/1"
	# X-Forwarded-Method alone changes nothing: the guest's POST stays a POST
	t_status fwd-003b 403 -b "$GUEST" -X POST --data x -H 'X-Forwarded-Method: GET' "$U/api/projects/1"
	t_status fwd-004 401 -H 'X-Original-URI: /api/health' -H 'Authgate-Original-Uri: /api/health' "$U/api/projects"
	t_status fwd-005 200 -H 'X-Forwarded-Uri: /api/admin/x' "$U/api/health"
}

# mx_store_down URL DB (store-001..005): the store unreadable (no session
# table) is authgate's 503 with Retry-After, never an allow, also on a
# path public by rule (authgate still decides); then it recovers.
mx_store_down() {
	local U=$1 db=$2
	sqlite3 "$db" "alter table session rename to session_off" || t_fail store-000 "sqlite3 failed"
	t_status store-001 503 -b "$OWNER" "$U/api/projects"
	t_body   store-002 'Service Unavailable'
	t_header store-003 '^Retry-After: 5'
	t_status store-004 503 "$U/public/x"
	sqlite3 "$db" "alter table session_off rename to session" || t_fail store-000 "sqlite3 failed"
	t_status store-005 200 -b "$OWNER" "$U/api/projects"
}

# mx_serve_log LOG (log-001..003, asan-001): after mx_matrix and mx_spoof,
# the deny lines name the original method, path and client; no
# credential, secret or spoofed value reached the log; no sanitizer
# report.
mx_serve_log() {
	t_has log-001 'deny status=403 reason=role_required method=POST path=/api/projects/1 client=127\.0\.0\.1' "$1"
	t_has log-002 'deny status=401 reason=no_credentials method=GET path=/api/projects client=127\.0\.0\.1 rule=6' "$1"
	t_lacks log-003 "demo-session|ag_demo|ag_test|session_token|$T_SECRET|SPOOFED" "$1"
	t_sanitizers asan-001 "$1"
}
