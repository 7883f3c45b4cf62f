# tests/lib/spelling.sh - the spelling matrix (issue 8, finding 1), one
# copy for every server suite. Source it after common.sh.
#
# Question: can another spelling of a path get a different decision than
# the path itself, through a real server with its shipped config and a
# real backend behind it? A typical backend (Express with default options,
# tests/integration/backends/express) runs /api/admin/users for
# /API/Admin/Users/, and HEAD runs the GET handler; lighttpd's demo CGI
# (conf/demo/whoami.cgi) answers whatever its alias hands it.
#
#   spell_matrix PREFIX URL
#
# For each credential (member, admin, anon, key), each canonical path
# (below) and each spelling of it (spell_variants), one case
# "PREFIX-CRED-PATH-VARIANT", plus "PREFIX-CRED-PATH-canon" for the
# canonical spelling itself, which must get the decision the demo rules
# and fixtures give it (so the matrix can never pass by comparing two
# equally wrong answers).
#
# The oracle, per spelling (status S, backend handler H, identity I), with
# the canonical answer (S0, H0):
#   - S is 400 and no backend answered: refused, by authgate or by the
#     server itself. Always fine.
#   - the canonical was denied (401, 403): S must be S0 and no backend may
#     have answered.
#   - the canonical was allowed: S must not be a denial, a 400 with a
#     backend answer, or a 5xx; when a backend answered, the identity it
#     got must be the one the canonical decision hands over (so the
#     spelling met the same rule), and the handler must be the canonical's
#     (H0), or the backend's not-found handler, unless the canonical
#     reached no handler itself (e.g. /api with no route behind it).
#     Without a backend answer (the server or the backend does not route
#     this spelling: a 404, no handler) the decision was still an allow.
# A backend answers with X-Backend-Handler and X-Backend-Identity headers
# (Express app.js, whoami.cgi), so HEAD answers are judged as well.
#
# Settings, from the suite, each optional:
#   SPELL_CURL=(...)        extra curl arguments (a Host header, ...)
#   SPELL_REFUSED_404="V..." variant ids the server itself refuses with
#                           404 before anything runs; the suite says why.
#                           A 404 with no backend answer is then fine too.

SPELL_CURL=("${SPELL_CURL[@]}")
SPELL_REFUSED_404=${SPELL_REFUSED_404:-}

# The canonical paths: id, path, then the expected decision for member,
# admin, anon and key: a status (denied) or A (allowed). From db/demo.sql
# and tests/integration/fixtures.sql (rule 11: /api/projects/secret, GET
# only, admin).
SPELL_PATHS="
admin    /api/admin/users      403 A   401 403
internal /api/internal/metrics 403 403 403 403
secret   /api/projects/secret  403 A   401 403
health   /api/health           A   A   A   A
api      /api                  A   A   401 A
dash     /app/dashboard        A   A   401 401
"
SPELL_CREDS="member admin anon key"

# spell_init: credentials, once.
spell_init() {
	[ -n "${SPELL_MEMBER:-}" ] && return 0
	SPELL_MEMBER=$(t_cookie demo-session-mia-member)
	SPELL_ADMIN=$(t_cookie demo-session-adam-admin)
	SPELL_KEY=ag_demo_member_key_7f3c9a1e5b2d4c6e8a0b1c2d3e4f5a6b
}

# spell_cred_args CRED: the curl arguments for a credential, in SP_CRED.
spell_cred_args() {
	case $1 in
	member) SP_CRED=(-b "$SPELL_MEMBER") ;;
	admin) SP_CRED=(-b "$SPELL_ADMIN") ;;
	anon) SP_CRED=() ;;
	key) SP_CRED=(-H "x-api-key: $SPELL_KEY") ;;
	esac
}

# spell_identity CRED PATHID: the identity a backend must see on an allow.
spell_identity() {
	if [ "$2" = health ]; then echo "user=- role=- method=-"; return; fi
	case $1 in
	member) echo "user=u_mia role=member method=session" ;;
	admin) echo "user=u_adam role=admin method=session" ;;
	anon) echo "user=- role=- method=-" ;;
	key) echo "user=u_mia role=member method=api_key" ;;
	esac
}

# spell_pct C [upper]: the %XX escape of character C (of its upper-case
# form with "upper"), in lower-case hex for the plain form.
spell_pct() {
	local c=$1
	[ "${2:-}" = upper ] && { c=${c^^}; printf '%%%02X' "'$c"; return; }
	printf '%%%02x' "'$c"
}

# spell_variants PATH: "ID METHOD TARGET" lines, one per spelling. Every
# id is stable: it names what was done to the path, not a position.
spell_variants() {
	local p=$1 n i s first rest last enc_i out seg
	local -a S
	IFS=/ read -ra S <<< "${p#/}"
	n=${#S[@]}
	first=${S[0]}
	rest=""
	for ((i = 1; i < n; i++)); do rest="$rest/${S[$i]}"; done
	# letter case
	echo "c-up1 GET /${first^^}$rest"
	if [ "$n" -ge 2 ]; then
		out="/$first/${S[1]^^}"
		for ((i = 2; i < n; i++)); do out="$out/${S[$i]}"; done
		echo "c-up2 GET $out"
	fi
	out=""; for seg in "${S[@]}"; do out="$out/${seg^}"; done
	echo "c-title GET $out"
	[ "$n" -ge 2 ] && echo "c-upper GET ${p^^}"
	# trailing slash, alone and with case; HEAD for GET
	echo "s-slash GET $p/"
	echo "s-slash-up1 GET /${first^^}$rest/"
	echo "m-head HEAD $p"
	echo "m-head-up1 HEAD /${first^^}$rest"
	echo "m-head-slash HEAD $p/"
	# a percent-encoded letter: in the second segment (the first when
	# there is one), as itself and as its upper case; in the first
	enc_i=0; [ "$n" -ge 2 ] && enc_i=1
	out=""
	for ((i = 0; i < n; i++)); do
		seg=${S[$i]}
		[ "$i" = "$enc_i" ] && seg="$(spell_pct "${seg:0:1}")${seg:1}"
		out="$out/$seg"
	done
	echo "e-pct GET $out"
	out=""
	for ((i = 0; i < n; i++)); do
		seg=${S[$i]}
		[ "$i" = "$enc_i" ] && seg="$(spell_pct "${seg:0:1}" upper)${seg:1}"
		out="$out/$seg"
	done
	echo "e-pct-up GET $out"
	[ "$n" -ge 2 ] && echo "e-pct-first GET /$(spell_pct "${first:0:1}")${first:1}$rest"
	# path parameters (Tomcat, Jetty)
	echo "p-jsession GET $p;jsessionid=x"
	[ "$n" -ge 2 ] && echo "p-param-first GET /$first;x=1$rest"
	# trailing dots and spaces (IIS), at the end and on the first segment
	echo "t-dot GET $p."
	echo "t-space GET $p%20"
	if [ "$n" -ge 2 ]; then
		echo "t-dot-first GET /$first.$rest"
		echo "t-space-first GET /$first%20$rest"
	fi
	# empty and dot segments, plain and encoded
	if [ "$n" -ge 2 ]; then
		echo "d-dslash GET /$first/$rest"
		echo "d-dot GET /$first/.$rest"
		echo "d-dotdot GET /$first/x/..$rest"
		echo "d-pctdot GET /$first/%2e$rest"
		echo "d-pctdotdot GET /$first/x/%2e%2e$rest"
	else
		echo "d-dot GET /.$p"
		echo "d-dotdot GET /x/..$p"
		echo "d-pctdotdot GET /x/%2e%2e$p"
	fi
	echo "d-dslash-lead GET /$p"
	# encoded separators
	if [ "$n" -ge 2 ]; then
		echo "e-slash GET /$first${rest//\//%2F}"
		echo "e-slash-lc GET /$first${rest//\//%2f}"
		echo "e-bslash GET /$first${rest//\//%5C}"
	else
		echo "e-slash GET $p%2F"
		echo "e-bslash GET $p%5C"
	fi
}

# spell_batch URL: the canonical GET and every spelling of the path, for
# the credential in SP_CRED, in one curl (one connection, kept alive:
# a busy machine runs the matrix in seconds, not minutes). Prints one
# line per request: ID, TAB, status, TAB, handler (empty when no backend
# answered), TAB, the identity the backend saw.
spell_batch() {
	local U=$1 path=$2 vid m target first=1
	local -a args=()
	while read -r vid m target; do
		[ "$first" = 1 ] || args+=(--next)
		first=0
		args+=(-s -g --path-as-is --max-time 15 -o /dev/null "${SP_CRED[@]}" "${SPELL_CURL[@]}")
		[ "$m" = HEAD ] && args+=(-I)
		args+=(-w "$vid\t%{http_code}\t%header{x-backend-handler}\t%header{x-backend-identity}\n" "$U$target")
	done < <(echo "canon GET $path"; spell_variants "$path")
	curl "${args[@]}"
}

# spell_denial STATUS: true for the answers that are a denial.
spell_denial() {
	case $1 in 401|403|302) return 0 ;; esac
	return 1
}

# spell_matrix PREFIX URL: the whole matrix (see the top of this file).
spell_matrix() {
	local px=$1 U=$2 pid path want cred k vid m target
	local S0 H0 id ident wants routed out line
	local -A M T
	spell_init
	while read -r pid path wants; do
		[ -n "$pid" ] || continue
		set -- $wants
		# what each id asks for, for the failure messages
		T=()
		while read -r vid m target; do T[$vid]="$m $target"; done < <(spell_variants "$path")
		k=0
		for cred in $SPELL_CREDS; do
			k=$((k + 1))
			want=${!k}
			spell_cred_args "$cred"
			ident=$(spell_identity "$cred" "$pid")
			routed=1; [ "$pid" = api ] && routed=0
			out=$(spell_batch "$U" "$path")
			# the canonical spelling: the decision the rules give it
			IFS=$'\t' read -r vid SP_S SP_H SP_I <<< "$(grep -m 1 "^canon"$'\t' <<< "$out")"
			S0=${SP_S:-000} H0=${SP_H:-}
			id="$px-$cred-$pid-canon"
			if [ "$want" != A ]; then
				if [ "$S0" = "$want" ] && [ -z "$H0" ]; then t_pass "$id"
				else t_fail "$id" "status $S0 handler '$H0', want $want from authgate (GET $path)"; fi
			elif spell_denial "$S0" || [ "$S0" = 400 ] || [ "$S0" = 000 ] || [ "$S0" -ge 500 ]; then
				t_fail "$id" "status $S0, want an allow (GET $path)"
			elif [ "$routed" = 1 ] && { [ -z "$H0" ] || [ "$H0" = notfound ]; }; then
				t_fail "$id" "status $S0, no backend handler ran (GET $path)"
			elif [ -n "$H0" ] && [ "$SP_I" != "$ident" ]; then
				t_fail "$id" "the backend saw '$SP_I', want '$ident' (GET $path)"
			else
				t_pass "$id"
			fi
			# every spelling, judged against it; a request curl never
			# answered is a failure too
			M=()
			while IFS=$'\t' read -r vid SP_S SP_H SP_I; do
				[ "$vid" = canon ] && continue
				M[$vid]=1
				spell_judge "$px-$cred-$pid-$vid" "$vid" "$S0" "$H0" "$ident" \
				    "${T[$vid]} (canonical $path: $S0 '$H0')"
			done <<< "$out"
			for vid in "${!T[@]}"; do
				[ -n "${M[$vid]:-}" ] || t_fail "$px-$cred-$pid-$vid" "no answer for ${T[$vid]}"
			done
		done
	done <<< "$SPELL_PATHS"
}

# spell_judge ID VARIANT S0 H0 IDENTITY WHAT: the oracle, on SP_S/SP_H/SP_I.
spell_judge() {
	local id=$1 vid=$2 S0=$3 H0=$4 ident=$5 what=$6
	local got="status $SP_S handler '$SP_H' identity '$SP_I'"
	if [ "$SP_S" = 400 ] && [ -z "$SP_H" ]; then
		t_pass "$id"
	elif [ "$SP_S" = 404 ] && [ -z "$SP_H" ] &&
	    [[ " $SPELL_REFUSED_404 " == *" $vid "* ]]; then
		t_pass "$id"
	elif spell_denial "$S0"; then
		if [ "$SP_S" = "$S0" ] && [ -z "$SP_H" ]; then t_pass "$id"
		else t_fail "$id" "$got; the canonical spelling is denied $S0 ($what)"; fi
	elif spell_denial "$SP_S" || [ "$SP_S" = 400 ] || [ "$SP_S" = 000 ] || [ "$SP_S" -ge 500 ]; then
		t_fail "$id" "$got; the canonical spelling is allowed ($what)"
	elif [ -z "$SP_H" ]; then
		t_pass "$id"	# allowed; nothing behind routes this spelling
	elif [ "$SP_I" != "$ident" ]; then
		t_fail "$id" "$got; the backend must see '$ident' ($what)"
	elif [ "$SP_H" = "$H0" ] || [ "$SP_H" = notfound ] || [ -z "$H0" ] || [ "$H0" = notfound ]; then
		t_pass "$id"
	else
		t_fail "$id" "$got; another handler than the canonical's ($what)"
	fi
}

# spell_long_next PREFIX URL: a browser asking for a ~4000-character
# /app/ path without a session gets authgate's redirect to sign-in (its
# Location, with `next` capped by authgate, fits the server's buffers),
# and with a session an allow (never a 5xx).
spell_long_next() {
	local px=$1 U=$2 long
	spell_init
	long="/app/$(printf 'a%.0s' $(seq 1 3990))"
	t_status "$px-long-001" 302 "${SPELL_CURL[@]}" \
	    -H 'Accept: text/html,application/xhtml+xml;q=0.9,*/*;q=0.8' "$U$long"
	t_header "$px-long-002" '^Location: /sign-in(\?next=/app/a+)?'$'\r''?$'
	local n
	n=$(sed -n 's/^[Ll]ocation: //p' "$T_HDR_FILE" | tr -d '\r' | wc -c)
	if [ "$n" -gt 0 ] && [ "$n" -le 2048 ]; then t_pass "$px-long-003"
	else t_fail "$px-long-003" "Location is $n bytes (want 1..2048: authgate caps next)"; fi
	local got
	got=$(curl -s -g --max-time 15 "${SPELL_CURL[@]}" -b "$SPELL_MEMBER" \
	    -o /dev/null -w '%{http_code}' "$U$long")
	case $got in
	2??|404) t_pass "$px-long-004" ;;
	*) t_fail "$px-long-004" "status $got for a member on the long path, want an allow" ;;
	esac
}
