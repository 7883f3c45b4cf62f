#!/bin/bash
# webhook.sh - the webhook receiver under the shipped lighttpd.conf: every
# event kind end to end (the authorizer sees the change on the next
# request), duplicates, reordering, late creates after deletes, cascades,
# limits, a held write lock, concurrent traffic, and kill -9 in a burst.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/webhook.sh"
t_setup webhook

DB="$T_DIR/authgate.db"
t_db "$DB" || { t_fail setup "cannot build the test database"; t_finish; }
WH_SECRET='optare-test-secret-0123456789'
SW_SECRET='whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'
export AUTHGATE_WEBHOOK_SECRET="$WH_SECRET $SW_SECRET" AUTHGATE_MAX_BODY=65536
PORT=$(t_port)
t_lighttpd "$PORT" "$T_DIR/state" "$DB" || {
	t_fail setup "lighttpd did not start: $(cat "$T_DIR/state/error.log")"; t_finish; }
U="http://127.0.0.1:$PORT"
W="$U/webhooks/optare"
LOG="$T_DIR/state/error.log"

ev() { wh_event "$@"; }	# ev TYPE ID DATA: an event body
# send ID WANT BODY: delivers with an Optare signature.
send() { wh_post "$1" "$2" "$3" "$W" -H 'Content-Type: application/json'; }
# send_sw ID WANT MSGID BODY [TS]: delivers with Standard Webhooks headers.
send_sw() { wh_post_sw "$1" "$2" "$3" "$4" "$W" "${5:-}"; }
get() { t_status "$@"; }	# readability: an authorizer request
q() { sqlite3 "$DB" "$1"; }

NEW_COOKIE=$(t_cookie wh-session-token-1)
OWNER=$(t_cookie demo-session-olivia-owner)
NOW_ISO=$(date -u +%Y-%m-%dT%H:%M:%S.000Z)

# --- users, memberships and sessions arrive; the next request sees them
send ev-001 200 "$(ev user.created evt-u1 '{"id":"u_wh","name":"Webhook User","email":"wh@acme.test","emailVerified":true,"createdAt":"2026-05-01T00:00:00.000Z","updatedAt":"2026-05-01T00:00:00.000Z"}')"
t_body ev-002 '"outcome":"applied"'
send ev-003 200 "$(ev member.added evt-m1 '{"id":"m_wh","organizationId":"org_acme","userId":"u_wh","role":"member","createdAt":"2026-05-01T00:00:00.000Z"}')"
send ev-004 200 "$(ev session.created evt-s1 '{"id":"s_wh","token":"wh-session-token-1","userId":"u_wh","expiresAt":"2099-01-01T00:00:00.000Z","activeOrganizationId":"org_acme","createdAt":"2026-05-01T00:00:00.000Z","updatedAt":"2026-05-01T00:00:00.000Z"}')"
get ev-005 200 -b "$NEW_COOKIE" "$U/api/projects"
t_body ev-006 '^AUTH_USER_ID=u_wh$'
t_body ev-007 '^AUTH_ROLE=member$'
get ev-008 403 -b "$NEW_COOKIE" "$U/api/admin/x"

# --- role changes, by the main name and by each alias
send role-001 200 "$(ev member.role.changed evt-m2 '{"id":"m_wh","organizationId":"org_acme","userId":"u_wh","role":"admin"}')"
get role-002 200 -b "$NEW_COOKIE" "$U/api/admin/x"
send role-003 200 "$(ev organization_membership.updated evt-m3 '{"id":"m_wh","organization_id":"org_acme","user_id":"u_wh","role":"guest"}')"
get role-004 403 -b "$NEW_COOKIE" -X POST -d x "$U/api/projects/1"
send role-005 200 "$(ev organization.member.role_changed evt-m4 '{"id":"m_wh","organizationId":"org_acme","userId":"u_wh","role":["member","owner"]}')"
get role-006 200 -b "$NEW_COOKIE" "$U/api/admin/x"
t_body role-007 '^AUTH_ROLES=member,owner$'

# --- user updates, ban and unban, and an older update that must not win
send user-001 200 "$(ev user.updated evt-u2 '{"id":"u_wh","name":"Renamed","updatedAt":"2026-05-03T00:00:00.000Z"}')"
get user-002 200 -b "$NEW_COOKIE" "$U/api/projects"
t_body user-003 '^AUTH_USER_NAME=Renamed$'
t_body user-004 '^AUTH_USER_EMAIL=wh@acme.test$'	# untouched by a partial update
send user-005 200 "$(ev user.updated evt-u3 '{"id":"u_wh","name":"Older","updatedAt":"2026-05-02T00:00:00.000Z"}')"
t_body user-006 '"outcome":"stale"'
get user-007 200 -b "$NEW_COOKIE" "$U/api/projects"
t_body user-008 '^AUTH_USER_NAME=Renamed$'
send user-009 200 "$(ev user.updated evt-u4 '{"id":"u_wh","banned":true,"updated_at":1777766400000}')"
get user-010 403 -b "$NEW_COOKIE" "$U/api/projects"
send user-011 200 "$(ev user.updated evt-u5 '{"id":"u_wh","banned":false,"updatedAt":"2026-05-05T00:00:00.000Z"}')"
get user-012 200 -b "$NEW_COOKIE" "$U/api/projects"

# --- duplicates change nothing, even when the body differs
send dup-001 200 "$(ev user.updated evt-u2 '{"id":"u_wh","name":"Dup","updatedAt":"2026-05-09T00:00:00.000Z"}')"
t_body dup-002 '"outcome":"duplicate"'
get dup-003 200 -b "$NEW_COOKIE" "$U/api/projects"
t_body dup-004 '^AUTH_USER_NAME=Renamed$'
t_ok dup-005 test "$(q "select count(*) from authgate_event where id = 'evt-u2'")" = 1

# --- organizations
send org-001 200 "$(ev organization.updated evt-o1 '{"id":"org_acme","slug":"acme-inc","name":"Acme Inc"}')"
get org-002 200 -b "$NEW_COOKIE" "$U/api/projects"
t_body org-003 '^AUTH_ORG_SLUG=acme-inc$'
send org-004 200 "$(ev organization.created evt-o2 '{"id":"org_beta","name":"Beta","slug":"beta","createdAt":"2026-05-01T00:00:00.000Z"}')"
send org-005 200 "$(ev member.added evt-m5 '{"organizationId":"org_beta","userId":"u_wh","role":"owner"}')"
t_ok org-006 test "$(q "select role from member where organizationId = 'org_beta' and userId = 'u_wh'")" = owner
send org-007 200 "$(ev session.updated evt-s2 '{"id":"s_wh","activeOrganizationId":"org_beta","updatedAt":"2026-05-06T00:00:00.000Z"}')"
get org-008 200 -b "$NEW_COOKIE" "$U/api/projects"
t_body org-009 '^AUTH_ORG_ID=org_beta$'
t_body org-010 '^AUTH_ROLE=owner$'
send org-011 200 "$(ev api_key.created evt-k0 '{"id":"k_beta","key":"beta-org-key-0123456789","referenceId":"org_beta","configId":"org"}')"
get org-012 200 -H 'x-api-key: beta-org-key-0123456789' "$U/api/projects"
# deleting an organization removes what hangs off it
send org-013 200 "$(ev organization.deleted evt-o3 '{"id":"org_beta"}')"
get org-014 200 -b "$NEW_COOKIE" "$U/api/projects"
t_body org-015 '^AUTH_ORG_ID=$'
t_ok org-016 test "$(q "select count(*) from member where organizationId = 'org_beta'")" = 0
get org-017 401 -H 'x-api-key: beta-org-key-0123456789' "$U/api/projects"
send org-018 200 "$(ev member.added evt-m6 '{"organizationId":"org_beta","userId":"u_wh","role":"owner"}')"
t_body org-019 '"outcome":"tombstoned"'
send org-020 200 "$(ev organization.created evt-o4 '{"id":"org_beta","name":"Beta again","slug":"beta"}')"
t_body org-021 '"outcome":"tombstoned"'

# --- membership removal
send mem-001 200 "$(ev session.updated evt-s3 '{"id":"s_wh","activeOrganizationId":"org_acme"}')"
send mem-002 200 "$(ev organization.member.removed evt-m7 '{"id":"m_wh","organizationId":"org_acme","userId":"u_wh"}')"
get mem-003 403 -b "$NEW_COOKIE" "$U/api/admin/x"
get mem-004 200 -b "$NEW_COOKIE" "$U/api/projects"
t_body mem-005 '^AUTH_ORG_ID=$'
send mem-006 200 "$(ev member.role.changed evt-m8 '{"id":"m_wh","organizationId":"org_acme","userId":"u_wh","role":"owner"}')"
t_body mem-007 '"outcome":"tombstoned"'
get mem-008 403 -b "$NEW_COOKIE" "$U/api/admin/x"
send mem-009 200 "$(ev member.removed evt-m9 '{"organizationId":"org_acme","userId":"u_nobody"}')"
t_body mem-010 '"outcome":"absent"'

# --- API keys: raw keys are hashed on receipt and never stored
RAW='ag_webhook_raw_key_SHOULD_NOT_BE_STORED_42'
send key-001 200 "$(ev api_key.created evt-k1 '{"id":"k_wh","name":"ci","key":"'"$RAW"'","referenceId":"u_mia","prefix":"ag_","metadata":{"organizationId":"org_acme","role":"admin"},"createdAt":"2026-05-01T00:00:00.000Z","updatedAt":"2026-05-01T00:00:00.000Z"}')"
get key-002 200 -H "x-api-key: $RAW" "$U/api/projects"
t_body key-003 '^AUTH_API_KEY_ID=k_wh$'
t_body key-003a '^AUTH_ROLE=member$'	# metadata says admin: capped at Mia's role
get key-003b 403 -H "x-api-key: $RAW" "$U/api/admin/x"
t_ok key-004 test "$(q "select start from apikey where id = 'k_wh'")" = ag_web
sqlite3 "$DB" 'pragma wal_checkpoint(truncate)' >/dev/null
t_lacks key-005 "$RAW" "$DB" "?$DB-wal" "$LOG"	# not in the database, nor the log
send key-006 200 "$(ev api_key.updated evt-k2 '{"id":"k_wh","enabled":false,"updatedAt":"2026-05-02T00:00:00.000Z"}')"
get key-007 401 -H "x-api-key: $RAW" "$U/api/projects"
send key-008 200 "$(ev api_key.updated evt-k3 '{"id":"k_wh","enabled":true,"expiresAt":null,"updatedAt":"2026-05-03T00:00:00.000Z"}')"
get key-009 200 -H "x-api-key: $RAW" "$U/api/projects"
send key-010 200 "$(ev api_key.revoked evt-k4 '{"id":"k_wh"}')"
get key-011 401 -H "x-api-key: $RAW" "$U/api/projects"
send key-012 200 "$(ev api_key.created evt-k5 '{"id":"k_wh","key":"'"$RAW"'","referenceId":"u_mia"}')"
t_body key-013 '"outcome":"tombstoned"'
get key-014 401 -H "x-api-key: $RAW" "$U/api/projects"
HASHED=$(printf '%s' 'hashed-key-from-idp-777' | openssl dgst -sha256 -binary | base64 | tr '+/' '-_' | tr -d '=')
send key-015 200 "$(ev api_key.created evt-k6 '{"id":"k_hashed","hashedKey":"'"$HASHED"'","referenceId":"u_mia"}')"
get key-016 200 -H "x-api-key: hashed-key-from-idp-777" "$U/api/projects"
send key-017 200 "$(ev api_key.deleted evt-k7 '{"id":"k_hashed"}')"
get key-018 401 -H "x-api-key: hashed-key-from-idp-777" "$U/api/projects"

# --- sessions: expiry in the past, revocation, late create after revoke
send ses-001 200 "$(ev session.updated evt-s4 '{"id":"s_wh","expiresAt":1577836800000,"updatedAt":"2099-06-07T00:00:00.000Z"}')"
get ses-002 401 -b "$NEW_COOKIE" "$U/api/projects"
# evt-s3 carried no updatedAt, so its envelope time (now) is the
# session's version now: an update stamped before that is stale
send ses-002a 200 "$(ev session.updated evt-s4b '{"id":"s_wh","expiresAt":"2099-01-01T00:00:00Z","updatedAt":"2026-05-20T00:00:00.000Z"}')"
t_body ses-002b '"outcome":"stale"'
get ses-002c 401 -b "$NEW_COOKIE" "$U/api/projects"
send ses-003 200 "$(ev session.updated evt-s5 '{"id":"s_wh","expiresAt":"2099-01-01T00:00:00Z","updatedAt":"2099-06-08T00:00:00.000Z"}')"
get ses-004 200 -b "$NEW_COOKIE" "$U/api/projects"
send ses-005 200 "$(ev session.expired evt-s6 '{"id":"s_wh"}')"
get ses-006 401 -b "$NEW_COOKIE" "$U/api/projects"
send ses-007 200 "$(ev session.created evt-s7 '{"id":"s_wh","token":"wh-session-token-1","userId":"u_wh","expiresAt":"2099-01-01T00:00:00.000Z"}')"
t_body ses-008 '"outcome":"tombstoned"'
get ses-009 401 -b "$NEW_COOKIE" "$U/api/projects"
# revocation by token alone
send ses-010 200 "$(ev session.created evt-s8 '{"id":"s_wh2","token":"wh-session-token-2","userId":"u_wh","expiresAt":"2099-01-01T00:00:00.000Z"}')"
get ses-011 200 -b "$(t_cookie wh-session-token-2)" "$U/api/projects"
send ses-012 200 "$(ev session.deleted evt-s9 '{"token":"wh-session-token-2"}')"
get ses-013 401 -b "$(t_cookie wh-session-token-2)" "$U/api/projects"

# --- deleting a user removes sessions, memberships and keys
send del-001 200 "$(ev session.created evt-s10 '{"id":"s_wh3","token":"wh-session-token-3","userId":"u_wh","expiresAt":"2099-01-01T00:00:00.000Z"}')"
send del-002 200 "$(ev api_key.created evt-k8 '{"id":"k_wh2","key":"wh-user-key-2-abcdef","referenceId":"u_wh"}')"
get del-003 200 -H 'x-api-key: wh-user-key-2-abcdef' "$U/api/projects"
send del-004 200 "$(ev user.deleted evt-u6 '{"id":"u_wh"}')"
get del-005 401 -b "$(t_cookie wh-session-token-3)" "$U/api/projects"
get del-006 401 -H 'x-api-key: wh-user-key-2-abcdef' "$U/api/projects"
t_ok del-007 test "$(q "select (select count(*) from session where userId = 'u_wh') + (select count(*) from member where userId = 'u_wh') + (select count(*) from apikey where referenceId = 'u_wh')")" = 0
send del-008 200 "$(ev user.created evt-u7 '{"id":"u_wh","name":"Back","email":"wh2@acme.test"}')"
t_body del-009 '"outcome":"tombstoned"'
send del-010 200 "$(ev session.created evt-s11 '{"id":"s_wh4","token":"wh-session-token-4","userId":"u_wh","expiresAt":"2099-01-01T00:00:00.000Z"}')"
t_body del-011 '"outcome":"tombstoned"'
get del-012 401 -b "$(t_cookie wh-session-token-4)" "$U/api/projects"

# --- Standard Webhooks / Svix deliveries
send_sw sw-001 200 msg_sw_1 "$(printf '{"type":"user.updated","data":{"id":"u_mia","name":"Mia Via SW"}}')"
get sw-002 200 -b "$(t_cookie demo-session-mia-member)" "$U/api/projects"
t_body sw-003 '^AUTH_USER_NAME=Mia Via SW$'
t_ok sw-004 test "$(q "select count(*) from authgate_event where id = 'msg_sw_1'")" = 1
send_sw sw-005 400 msg_sw_2 '{"type":"user.updated","data":{"id":"u_mia","name":"Stale"}}' $(( $(date +%s) - 400 ))
t_body sw-006 'timestamp'
body='{"type":"user.updated","data":{"id":"u_mia","name":"Svix"}}'
ts=$(date +%s)
t_status sw-007 200 -X POST -H 'svix-id: msg_svix_1' -H "svix-timestamp: $ts" \
    -H "svix-signature: v1,AAAA v1,$(wh_sw_sig msg_svix_1 "$ts" "$body")" --data-binary "$body" "$W"

# --- refusals: nothing is applied
body="$(ev user.updated evt-bad1 '{"id":"u_mia","name":"Forged"}')"
t_status bad-001 400 -X POST -H "X-Optare-Signature: sha256=$(wh_optare_sig "$body x")" --data-binary "$body" "$W"
t_status bad-002 400 -X POST -H "X-Optare-Signature: $(wh_optare_sig "$body")" --data-binary "$body" "$W"	# bare hex
t_status bad-003 400 -X POST -H "X-Optare-Signature: sha256=$(wh_optare_sig "$body" | tr a-f A-F)" --data-binary "$body" "$W"
t_status bad-004 400 -X POST --data-binary "$body" "$W"	# unsigned
t_ok bad-005 test "$(q "select count(*) from authgate_event where id = 'evt-bad1'")" = 0
t_ok bad-006 test "$(q "select name from \"user\" where id = 'u_mia'")" = Svix
send bad-007 400 '{"id":"evt-bad2","timestamp":"'"$(date -u +%FT%TZ)"'","type":"user.updated","data":'	# signed, not JSON
t_body bad-008 'malformed JSON'
send bad-009 400 '{"id":"evt-bad3","data":{"id":"u_mia"}}'	# no type
send bad-010 400 "$(ev user.created evt-bad4 '{"name":"no id"}')"
t_body bad-011 'field id'
send bad-012 400 "$(ev user.created evt-bad5 '{"id":"u_x","email":"olivia@acme.test"}')"	# duplicate email
t_ok bad-013 test "$(q "select count(*) from authgate_event where id like 'evt-bad%'")" = 0
send unk-001 200 "$(ev invoice.paid evt-unknown '{"id":"inv_1"}')"
t_body unk-002 '"outcome":"ignored"'
grep -q 'webhook status=200 reason=unknown_type type=invoice.paid id=evt-unknown outcome=ignored' "$LOG" && t_pass unk-003 || t_fail unk-003 "no log line for the unknown type"

# --- methods and limits
t_status lim-001 405 "$W"
t_header lim-002 '^Allow: POST'
t_status lim-003 411 -X POST "$W"
head -c 70000 /dev/zero | tr '\0' 'a' > "$T_DIR/big"
t_status lim-004 413 -X POST -H 'X-Optare-Signature: sha256=00' --data-binary @"$T_DIR/big" "$W"
big=$(printf '{"id":"evt-big","timestamp":"'"$(date -u +%FT%TZ)"'","type":"user.updated","data":{"id":"u_mia","name":"Big"},"pad":"%s"}' "$(head -c 65000 /dev/zero | tr '\0' 'b')")
send lim-005 200 "$big"	# just under 64 KiB, signed: accepted

# --- pruning: events older than 7 days go, tombstones after 30 days; a
# tombstone outlives the event window, so a replay cannot undo a delete
q "insert into authgate_event values ('evt-ancient', 'user.updated', '2000-01-01T00:00:00.000Z', 'applied')"
q "insert into authgate_tombstone values ('session', 's_ancient', '2000-01-01T00:00:00.000Z')"
q "insert into authgate_tombstone values ('member', 'm_10days', '$(date -u -d '-10 days' +%FT%T.000Z)')"
send prune-001 200 "$(ev user.updated evt-prune '{"id":"u_mia","name":"Mia Member"}')"
t_ok prune-002 test "$(q "select count(*) from authgate_event where id = 'evt-ancient'") $(q "select count(*) from authgate_tombstone where id = 's_ancient'")" = "0 0"
t_ok prune-003 test "$(q "select count(*) from authgate_tombstone where id = 'm_10days'")" = 1

# --- a held write lock: 503 while it is held, to a sender that waits 5 s
# (a liveness bound; how long it takes is measured by tests/bench/
# locked.sh), reads go on, retry works
t_lock_db "$DB" || t_fail lock-000 "sqlite3 did not take the lock"
LOCKED_BODY="$(ev user.updated evt-lock '{"id":"u_adam","name":"Adam Locked"}')"
wh_post  lock-001 503 "$LOCKED_BODY" "$W" --max-time 5
t_header lock-003 '^Retry-After:'
get lock-004 200 -b "$(t_cookie demo-session-adam-admin)" "$U/api/projects"	# WAL readers go on
t_unlock_db
send lock-005 200 "$LOCKED_BODY"
t_body lock-006 '"outcome":"applied"'

# deliveries NAME: the bodies in $T_DIR/NAME.bodies (one a line), each
# signed, as a curl config of one POST each that prints "deliver STATUS"
# ($T_DIR/NAME.curl, for `curl -s -Z -K`: 4 senders at once, one process).
deliveries() {
	local n=0 b
	mkdir -p "$T_DIR/$1.d"
	while IFS= read -r b; do
		n=$((n + 1))
		[ "$n" = 1 ] || echo next
		printf '%s' "$b" > "$T_DIR/$1.d/$n.json"
		printf 'url = "%s"\nheader = "X-Optare-Signature: sha256=%s"\ndata-binary = "@%s"\noutput = "/dev/null"\nwrite-out = "deliver %%{http_code}\\n"\n' \
		    "$W" "$(wh_optare_sig "$b")" "$T_DIR/$1.d/$n.json"
	done < "$T_DIR/$1.bodies" > "$T_DIR/$1.curl"
}
send4() { curl -s -Z --parallel-max 4 -K "$T_DIR/$1.curl"; }

# --- concurrent deliveries and reads: zero errors, right final state
for i in $(seq 1 60); do
	ev user.updated "evt-c$i" '{"id":"u_olivia","name":"Olivia '"$i"'","updatedAt":'"$((1780000000000 + i))"'}'; echo
done > "$T_DIR/conc.bodies"
deliveries conc
for i in $(seq 1 200); do
	[ "$i" = 1 ] || echo next
	printf 'url = "%s/api/projects"\ncookie = "%s"\noutput = "/dev/null"\nwrite-out = "read %%{http_code}\\n"\n' "$U" "$OWNER"
done > "$T_DIR/reads.curl"
send4 conc > "$T_DIR/conc" &
CONC=$!
send4 reads > "$T_DIR/conc.reads"
wait $CONC
t_ok conc-001 test "$(grep -c '^deliver 200$' "$T_DIR/conc")" = 60
t_ok conc-002 test "$(grep -c '^read 200$' "$T_DIR/conc.reads")" = 200
t_ok conc-003 test "$(q "select name from \"user\" where id = 'u_olivia'")" = "Olivia 60"
t_ok conc-004 test "$(q 'pragma integrity_check')" = ok

# --- kill -9 in the middle of a burst, then redelivery of everything
for i in $(seq 1 80); do
	ev user.created "evt-k9-u$i" '{"id":"u_k9_'"$i"'","name":"K9 '"$i"'","email":"k9-'"$i"'@acme.test"}'; echo
	ev session.created "evt-k9-s$i" '{"id":"s_k9_'"$i"'","token":"k9-token-'"$i"'","userId":"u_k9_'"$i"'","expiresAt":"2099-01-01T00:00:00.000Z"}'; echo
done > "$T_DIR/burst.bodies"
deliveries burst
send4 burst > "$T_DIR/burst1" &
BURST=$!
# kill -9 every authgate lighttpd started, again and again, until the
# burst is over: events die half-applied, lighttpd starts new processes
kills=0
while kill -0 "$BURST" 2>/dev/null; do
	sleep 0.1
	pkill -9 -P "$T_LPID" 2>/dev/null && kills=$((kills + 1))
done
wait $BURST
killed=$(grep -v -c '^deliver 200$' "$T_DIR/burst1")
echo "# kill -9 $kills times: $killed of 160 deliveries were not acknowledged"
[ "$killed" -gt 0 ] && t_pass k9-000 || t_fail k9-000 "no delivery was interrupted: the test proved nothing"
# The sender redelivers everything until each delivery is acknowledged
# (lighttpd may answer 503 while it brings the killed backends back).
for round in 1 2 3 4 5 6 7 8 9 10; do
	send4 burst > "$T_DIR/burst2"
	[ "$(grep -c '^deliver 200$' "$T_DIR/burst2")" = 160 ] && break
	sleep 0.5
done
t_ok k9-001 test "$(grep -c '^deliver 200$' "$T_DIR/burst2")" = 160
t_ok k9-002 test "$(q "select count(*) from \"user\" where id like 'u_k9_%'")" = 80
t_ok k9-003 test "$(q "select count(*) from session where id like 's_k9_%'")" = 80
t_ok k9-004 test "$(q "select count(*) from authgate_event where id like 'evt-k9-%' and outcome = 'applied'")" = 160
t_ok k9-005 test "$(q 'pragma integrity_check')" = ok
get k9-006 200 -b "$(t_cookie k9-token-80)" "$U/api/projects"

# --- the log: one line per event, no body, no secret, no token
grep -q 'webhook status=200 reason=ok type=user.created id=evt-u1 outcome=applied' "$LOG" && t_pass log-001 || t_fail log-001 "no event line"
t_lacks log-002 "$WH_SECRET|${SW_SECRET#whsec_}|wh-session-token|Webhook User|hashed-key-from-idp" "$LOG"
t_sanitizers asan-001 "$LOG"
t_cleanup

# --- no secret configured: 503 for every delivery, the authorizer unaffected
unset AUTHGATE_WEBHOOK_SECRET
PORT2=$(t_port)
t_lighttpd "$PORT2" "$T_DIR/state2" "$DB" || t_fail nosecret-000 "lighttpd did not start"
body="$(ev user.updated evt-ns '{"id":"u_mia","name":"X"}')"
t_status nosecret-001 503 -X POST -H "X-Optare-Signature: sha256=$(wh_optare_sig "$body")" --data-binary "$body" "http://127.0.0.1:$PORT2/webhooks/optare"
grep -q 'reason=no_secret' "$T_DIR/state2/error.log" && t_pass nosecret-002 || t_fail nosecret-002 "no log line"
t_status nosecret-003 200 -b "$(t_cookie demo-session-mia-member)" "http://127.0.0.1:$PORT2/api/projects"
t_sanitizers asan-002 "$T_DIR/state2/error.log"
t_cleanup

# --- nothing is opened or created before a signature checks out, and a
# replay older than the event log's window is refused (issue 8, finding 5)
export AUTHGATE_WEBHOOK_SECRET="$WH_SECRET"
PORT3=$(t_port)
NODB="$T_DIR/nodb/authgate.db"
mkdir -p "$T_DIR/nodb"
t_lighttpd "$PORT3" "$T_DIR/state3" "$NODB" || t_fail nodb-000 "lighttpd did not start"
W3="http://127.0.0.1:$PORT3/webhooks/optare"
body="$(ev user.updated evt-nodb '{"id":"u_mia","name":"X"}')"
t_status nodb-001 400 -X POST --data-binary "$body" "$W3"	# unsigned
t_status nodb-002 400 -X POST -H "X-Optare-Signature: sha256=$(wh_optare_sig "$body x")" --data-binary "$body" "$W3"
t_ok nodb-003 test ! -e "$NODB"
t_ok nodb-004 test -d "$T_DIR/nodb" -a -z "$(ls -A "$T_DIR/nodb")"
t_cleanup
PORT4=$(t_port)
t_lighttpd "$PORT4" "$T_DIR/state4" "$DB" || t_fail replay-000 "lighttpd did not start"
W4="http://127.0.0.1:$PORT4/webhooks/optare"
old=$(date -u -d '-8 days' +%FT%TZ)
body='{"id":"evt-replay","type":"member.added","timestamp":"'"$old"'","data":{"id":"m_replay","organizationId":"org_acme","userId":"u_nora","role":"owner"}}'
t_status replay-001 400 -X POST -H "X-Optare-Signature: sha256=$(wh_optare_sig "$body")" --data-binary "$body" "$W4"
t_body replay-002 'older than the replay window'
t_ok replay-003 test "$(q "select count(*) from member where id = 'm_replay'")" = 0
body='{"id":"evt-nots","type":"member.added","data":{"id":"m_replay","organizationId":"org_acme","userId":"u_nora","role":"owner"}}'
t_status replay-004 400 -X POST -H "X-Optare-Signature: sha256=$(wh_optare_sig "$body")" --data-binary "$body" "$W4"
t_body replay-005 'needs a timestamp'
t_ok replay-006 test "$(q "select count(*) from authgate_event where id in ('evt-replay', 'evt-nots')")" = 0
t_sanitizers asan-003 "$T_DIR/state4/error.log"

t_finish
