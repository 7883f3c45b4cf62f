#!/bin/bash
# limits.sh - better-auth's API-key quotas and rate limits, and the client
# throttle, under a real lighttpd with 2 and then 4 authorizer processes
# sharing one state file: a quota spent by concurrent requests at exactly
# its count, rate-limit windows and Retry-After, a refill, a webhook with a
# newer key object restarting the count, lighttpd restarted in the middle
# of a window, guessing from one address banned while another address and
# other credentials are not, one log line per ban, and `key list` and
# `stats` showing it all.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/webhook.sh"
t_setup limits

DB="$T_DIR/authgate.db"
t_db "$DB" || { t_fail setup "cannot build the test database"; t_finish; }
t_creds || { t_fail setup "authgate cookie failed"; t_finish; }
WH_SECRET='optare-test-secret-0123456789'
export AUTHGATE_WEBHOOK_SECRET="$WH_SECRET"
export AUTHGATE_FAIL_LIMIT=5 AUTHGATE_FAIL_WINDOW=60 AUTHGATE_FAIL_COOLDOWN=30
AG="$T_ROOT/cgi-bin/authgate"
q() { sqlite3 "$DB" "$1"; }
# A newer updatedAt each time: the admin's edit is a newer key object.
STAMP=0
key_set() {
	STAMP=$((STAMP + 1))
	q "update apikey set $1, updatedAt = '2030-01-01T00:00:00.${STAMP}Z' where id = 'k_refilled'"
}
NOLIMIT="remaining = NULL, refillInterval = NULL, refillAmount = NULL, lastRefillAt = NULL, rateLimitEnabled = 0, rateLimitTimeWindow = NULL, rateLimitMax = NULL, requestCount = 0, lastRequest = NULL"

# burst N: N requests with the k_refilled key, 8 at a time; prints the
# count of each status, e.g. "7x200 13x401".
burst() {
	seq 1 "$1" | xargs -P 8 -I{} curl -s -o /dev/null -w '%{http_code}\n' \
	    --max-time 15 -H "x-api-key: $KEY_REFILLED" "$U/api/projects" |
	    sort | uniq -c | awk '{ printf "%s%dx%s", sep, $1, $2; sep = " " }'
}

# start PROCS: lighttpd with PROCS authorizer processes.
start() {
	sed "s/^var.authgate_procs = 2/var.authgate_procs = $1/" \
	    "$T_ROOT/lighttpd.conf" > "$T_DIR/lighttpd-$1.conf"
	grep -q "^var.authgate_procs = $1" "$T_DIR/lighttpd-$1.conf" || return 1
	PORT=$(t_port)
	T_LIGHTTPD_CONF="$T_DIR/lighttpd-$1.conf" t_lighttpd "$PORT" \
	    "$T_DIR/state" "$DB" || return 1
	U="http://127.0.0.1:$PORT"
	W="$U/webhooks/optare"
}

# stop: lighttpd and every authgate process it spawned (its children;
# other suites run beside this one) are gone.
stop() {
	local i k kids alive
	kids=$(pgrep -P "$T_LPID")
	kill "$T_LPID" 2>/dev/null
	for i in $(seq 1 100); do
		alive=0
		for k in $T_LPID $kids; do kill -0 "$k" 2>/dev/null && alive=1; done
		[ "$alive" = 0 ] && return 0
		sleep 0.1
	done
	kill -9 $kids 2>/dev/null
	return 1
}

for P in 2 4; do
	start "$P" || { t_fail "setup-$P" "lighttpd did not start: $(cat "$T_DIR/state/error.log")"; t_finish; }
	# the authorizer's processes (and the webhook's 2) share one file
	sleep 0.3
	n=$(pgrep -P "$T_LPID" -f "^$T_ROOT/build/asan/authgate\$" | wc -l)
	t_same "procs-$P" "$n" "$((P + 2))"

	# --- a quota of 7, spent by 20 concurrent requests: exactly 7 pass
	key_set "$NOLIMIT, remaining = 7"
	t_same "quota-$P-001" "$(burst 20)" "7x200 13x401"
	t_status "quota-$P-002" 401 -H "x-api-key: $KEY_REFILLED" "$U/api/projects"
	t_body "quota-$P-003" '^\{"error":"Unauthorized - API key usage exhausted"\}$'
	t_header "quota-$P-004" '^WWW-Authenticate: Bearer'
	# another key of the same user is not affected
	t_status "quota-$P-005" 200 -H "x-api-key: $KEY" "$U/api/projects"

	# --- a webhook with the IdP's newer key object: its values count
	wh_post "hook-$P-001" 200 "$(wh_event api_key.updated "evt-k-$P" '{"id":"k_refilled","remaining":3,"updatedAt":"2031-01-0'"$P"'T00:00:00.000Z"}')" "$W"
	t_same "hook-$P-002" "$(q "select remaining from apikey where id = 'k_refilled'")" "3"
	t_same "hook-$P-003" "$(burst 8)" "3x200 5x401"
	# an older one changes nothing
	wh_post "hook-$P-004" 200 "$(wh_event api_key.updated "evt-k-old-$P" '{"id":"k_refilled","remaining":50,"updatedAt":"2030-06-01T00:00:00.000Z"}')" "$W"
	t_body "hook-$P-005" '"outcome":"stale"'
	t_status "hook-$P-006" 401 -H "x-api-key: $KEY_REFILLED" "$U/api/projects"

	# --- a refill: remaining 0, 2 more after 1.5 s (not before)
	key_set "$NOLIMIT, remaining = 0, refillInterval = 1500, refillAmount = 2, lastRefillAt = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"
	t_status "refill-$P-001" 401 -H "x-api-key: $KEY_REFILLED" "$U/api/projects"
	sleep 1.7
	t_same "refill-$P-002" "$(burst 6)" "2x200 4x401"

	# --- a rate limit of 3 per 3 s: 10 concurrent, exactly 3 pass
	key_set "$NOLIMIT, rateLimitEnabled = 1, rateLimitTimeWindow = 3000, rateLimitMax = 3"
	t_same "rate-$P-001" "$(burst 10)" "3x200 7x429"
	t_status "rate-$P-002" 429 -H "x-api-key: $KEY_REFILLED" "$U/api/projects"
	t_body "rate-$P-003" '^\{"error":"Too Many Requests - API key rate limit exceeded"\}$'
	t_header "rate-$P-004" '^Retry-After: [123][[:space:]]*$'
	t_header "rate-$P-005" '^Content-Type: application/json'
	t_header "rate-$P-006" '^Cache-Control: no-store'
	# the window runs from the last allowed request: after it, 3 more
	sleep 3.2
	t_same "rate-$P-007" "$(burst 5)" "3x200 2x429"
	stop
done

# --- lighttpd restarted in the middle of a window and of a quota
start 2 || { t_fail setup-r "lighttpd did not restart"; t_finish; }
key_set "$NOLIMIT, remaining = 5"
t_same restart-001 "$(burst 3)" "3x200"
stop
start 2 || { t_fail setup-r2 "lighttpd did not restart"; t_finish; }
t_same restart-002 "$(burst 5)" "2x200 3x401"
key_set "$NOLIMIT, rateLimitEnabled = 1, rateLimitTimeWindow = 20000, rateLimitMax = 2"
t_same restart-003 "$(burst 2)" "2x200"
stop
start 4 || { t_fail setup-r3 "lighttpd did not restart"; t_finish; }
t_status restart-004 429 -H "x-api-key: $KEY_REFILLED" "$U/api/projects"
t_header restart-005 '^Retry-After: (1[0-9]|20)[[:space:]]*$'

# --- what the admin sees
out=$(AUTHGATE_DB=$DB "$AG" key list --db "$DB")
t_ok keylist-001 grep -Eq '^k_refilled .* 2/20s +20[0-9-]+T' <<<"$out"
t_ok keylist-002 grep -q 'REMAINING *RATE *LAST USE' <<<"$out"
t_ok keylist-003 grep -Eq '^k_exhausted .* 0 \(\+10/86400s\)' <<<"$out"
json=$("$AG" key list --db "$DB" --json)
t_same keylist-004 "$(jq -r '.[] | select(.id == "k_refilled") | "\(.rate_limit_max) \(.rate_limit_window_ms) \(.request_count)"' <<<"$json")" "2 20000 2"
t_same keylist-005 "$(jq -r '.[] | select(.id == "k_refilled") | .remaining' <<<"$json")" "null"
t_ok keylist-006 test "$(jq -r '.[] | select(.id == "k_refilled") | .last_use' <<<"$json")" != null

# --- `check` explains without spending anything
key_set "$NOLIMIT, remaining = 1"
quiet() { "$@" >/dev/null; }
t_ok check-001 quiet "$AG" check --db "$DB" --method GET --path /api/projects --header "x-api-key: $KEY_REFILLED"
t_ok check-002 quiet "$AG" check --db "$DB" --method GET --path /api/projects --header "x-api-key: $KEY_REFILLED"
t_status check-003 200 -H "x-api-key: $KEY_REFILLED" "$U/api/projects"
out=$("$AG" check --db "$DB" --method GET --path /api/projects --header "x-api-key: $KEY_REFILLED")
t_ok check-004 grep -q 'api_key_exhausted' <<<"$out"

# --- guessing from one address: 5 failures a minute, then 30 s of 429
LOG="$T_DIR/state/error.log"
for i in 1 2 3 4 5; do
	t_status "guess-00$i" 401 -H "x-api-key: ag_guess_$i" "$U/api/projects"
done
t_status guess-006 429 -H "x-api-key: ag_guess_6" "$U/api/projects"
t_body guess-007 '^\{"error":"Too Many Requests - too many failed credentials"\}$'
t_header guess-008 '^Retry-After: (29|30)[[:space:]]*$'
# bad session cookies count the same way, and a valid credential from the
# banned address waits too; a public path does not
t_status guess-009 429 -b "$MEMBER" "$U/api/projects"
t_status guess-010 429 -H "x-api-key: $KEY" "$U/api/projects"
t_status guess-011 200 "$U/api/health"
# another address: not affected, for valid and invalid credentials
t_status guess-012 200 --interface 127.0.0.2 -b "$MEMBER" "$U/api/projects"
t_status guess-013 401 --interface 127.0.0.2 -H "x-api-key: ag_guess_x" "$U/api/projects"
# a client header never names the address
t_status guess-014 429 -H "X-Forwarded-For: 127.0.0.9" -H "X-Real-IP: 127.0.0.9" -b "$MEMBER" "$U/api/projects"
for i in 1 2 3 4 5 6; do
	curl -s -o /dev/null -H "x-api-key: ag_more_$i" "$U/api/projects"
done
t_same guess-015 "$(grep -c 'throttle: client 127.0.0.1 banned' "$LOG")" 1
t_lacks guess-016 'ag_guess' "$LOG"
t_lacks guess-016b 'reason=client_throttled' "$LOG"	# the ban's line only
# the ban holds across the authorizer's processes and a restart
stop
start 2 || { t_fail setup-g "lighttpd did not restart"; t_finish; }
LOG="$T_DIR/state/error.log"
t_status guess-017 429 -b "$MEMBER" "$U/api/projects"
t_status guess-018 200 --interface 127.0.0.3 -b "$MEMBER" "$U/api/projects"

out=$("$AG" stats --db "$DB")
t_ok stats-001 grep -Eq '^limits .*: [1-9][0-9]* exhausted keys refused \(401\), [1-9][0-9]* rate-limited \(429\), [1-9][0-9]* throttled \(429\), 1 client bans$' <<<"$out"
json=$("$AG" stats --db "$DB" --json)
t_same stats-002 "$(jq -r .client_bans <<<"$json")" 1
t_ok stats-003 test "$(jq -r .keys_rate_limited_429 <<<"$json")" -gt 0
t_sanitizers san-001 "$T_DIR/state/error.log"
t_finish
