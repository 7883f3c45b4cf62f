# tests/lib/webhook.sh - signed webhook deliveries, made as a sender makes
# them (openssl, no authgate code), for every suite that sends one. Source
# it after common.sh.
#   WH_SECRET   the Optare secret (HMAC-SHA256 key) a suite configured
#   SW_SECRET   a Standard Webhooks (Svix) secret, whsec_<base64 key>

# wh_optare_sig BODY [SECRET]: the hex HMAC-SHA256 that goes after
# "X-Optare-Signature: sha256=".
wh_optare_sig() {
	printf '%s' "$1" | openssl dgst -sha256 -hmac "${2:-$WH_SECRET}" -r | cut -d' ' -f1
}

# wh_sw_sig MSGID TS BODY [WHSEC]: the base64 HMAC-SHA256 of
# "MSGID.TS.BODY" under the key a whsec_ secret encodes, for
# "webhook-signature: v1,...".
wh_sw_sig() {
	local key s=${4:-$SW_SECRET}
	key=$(printf '%s' "${s#whsec_}" | base64 -d | od -An -tx1 | tr -d ' \n')
	printf '%s.%s.%s' "$1" "$2" "$3" | openssl dgst -sha256 -mac HMAC -macopt "hexkey:$key" -binary | base64
}

# wh_event TYPE ID DATA: an Optare event body with DATA, stamped now.
wh_event() {
	printf '{"id":"%s","type":"%s","timestamp":"%s","data":%s}' "$2" "$1" "$(date -u +%FT%T.000Z)" "$3"
}

# wh_role_event ID ROLE: Mia's membership of Acme now has ROLE.
wh_role_event() {
	wh_event member.role.changed "$1" '{"id":"m_mia","organizationId":"org_acme","userId":"u_mia","role":"'"$2"'"}'
}

# wh_post ID WANT BODY URL [CURL-ARGS...]: BODY delivered to URL with an
# Optare signature (t_status: the answer must be WANT).
wh_post() {
	local id=$1 want=$2 body=$3 url=$4; shift 4
	t_status "$id" "$want" -X POST -H "X-Optare-Signature: sha256=$(wh_optare_sig "$body")" \
	    "$@" --data-binary "$body" "$url"
}

# wh_post_sw ID WANT MSGID BODY URL [TS [WHSEC]]: BODY delivered with
# Standard Webhooks headers (the timestamp now unless TS is given).
wh_post_sw() {
	local id=$1 want=$2 mid=$3 body=$4 url=$5 ts=${6:-$(date +%s)} s=${7:-$SW_SECRET}
	t_status "$id" "$want" -X POST -H "webhook-id: $mid" -H "webhook-timestamp: $ts" \
	    -H "webhook-signature: v1,$(wh_sw_sig "$mid" "$ts" "$body" "$s")" --data-binary "$body" "$url"
}
