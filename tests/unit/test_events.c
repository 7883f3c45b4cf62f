/*
 * test_events.c - event normalization and application, below the web
 * server: webhook_handle over a real SQLite file. Checks the catalog and
 * its aliases, camelCase and snake_case fields, ISO and epoch-ms dates,
 * role lists, nested ids, key hashing, the answers for malformed events,
 * and the ordering rules (duplicate, stale, tombstoned).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/hmac.h>
#include <sqlite3.h>

#include "harness.h"
#include "util.h"
#include "schema.h"
#include "webhook.h"

#define DB	"tests/tmp/unit-events.db"
#define SECRET	"events-secret"

extern const char schema_sql[];

static struct webhook_secrets ws;
static struct store *st;
static sqlite3 *db;

/* Delivers body with a valid Optare signature (and an X-Optare-Event
 * header when type is not NULL); returns the status. */
static char fresh[UTIL_TIME_ISO_LEN + 1];	/* a minute ago, set in main */
static int opened;	/* how often webhook_handle asked for the store */
static int exact;	/* 1: deliver the body as it is, no timestamp added */

static struct store *
open_st(void *ctx)
{
	(void)ctx;
	opened++;
	return st;
}

static int
deliver_as(const char *body, const char *type, struct webhook_result *r)
{
	unsigned char mac[32];
	unsigned int len = 0;
	char hex[65], hdr[80], *copy;
	struct webhook_headers h;

	/* Optare bodies carry their time; the table leaves it out for
	 * brevity, so a fresh one goes in front (the same for every event,
	 * so a resent body still has the same hash). */
	if (!exact && body[0] == '{' && strstr(body, "\"timestamp\"") == NULL) {
		if ((copy = malloc(strlen(body) + 64)) == NULL)
			return -1;
		snprintf(copy, strlen(body) + 64, "{\"timestamp\":\"%s\",%s",
		    fresh, body + 1);
	} else if ((copy = strdup(body)) == NULL) {
		return -1;
	}
	HMAC(EVP_sha256(), SECRET, (int)strlen(SECRET),
	    (const unsigned char *)copy, strlen(copy), mac, &len);
	util_hex(mac, 32, hex);
	snprintf(hdr, sizeof(hdr), "sha256=%s", hex);
	memset(&h, 0, sizeof(h));
	h.optare_signature = hdr;
	h.event = type;
	webhook_handle(&ws, open_st, NULL, &h, copy, strlen(copy), r);
	free(copy);
	return r->status;
}

static int
deliver(const char *body, struct webhook_result *r)
{
	return deliver_as(body, NULL, r);
}

/* One text value from the database ("" for NULL, "?" on error). */
static const char *
q(const char *sql)
{
	static char buf[512];
	sqlite3_stmt *s = NULL;

	snprintf(buf, sizeof(buf), "?");
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK) {
		int rc = sqlite3_step(s);
		if (rc == SQLITE_ROW) {
			const unsigned char *t = sqlite3_column_text(s, 0);
			snprintf(buf, sizeof(buf), "%s", t ? (const char *)t : "");
		} else if (rc == SQLITE_DONE) {
			snprintf(buf, sizeof(buf), "(none)");
		}
	}
	sqlite3_finalize(s);
	return buf;
}

struct ev_case {
	const char	*id;
	const char	*body;
	int		 status;
	const char	*outcome;	/* NULL: not checked */
	const char	*sql;		/* then this query ... */
	const char	*want;		/* ... must give this */
};

static const struct ev_case cases[] = {
	{ "evn-001", "{\"id\":\"e1\",\"type\":\"user.created\",\"data\":{\"id\":\"u1\",\"name\":\"One\",\"email\":\"one@x.test\",\"emailVerified\":true,\"createdAt\":\"2026-01-01T00:00:00Z\",\"updatedAt\":\"2026-01-01T00:00:00Z\"}}",
	  200, "applied", "select name || '|' || email || '|' || emailVerified || '|' || updatedAt from \"user\" where id = 'u1'", "One|one@x.test|1|2026-01-01T00:00:00.000Z" },
	{ "evn-002", "{\"id\":\"e1\",\"type\":\"user.created\",\"data\":{\"id\":\"u1\",\"name\":\"Changed\",\"email\":\"one@x.test\"}}",
	  200, "duplicate", "select name from \"user\" where id = 'u1'", "One" },
	/* epoch milliseconds and snake_case */
	{ "evn-003", "{\"id\":\"e2\",\"type\":\"user.updated\",\"data\":{\"id\":\"u1\",\"email_verified\":false,\"updated_at\":1769904000000}}",
	  200, "applied", "select emailVerified || '|' || updatedAt from \"user\" where id = 'u1'", "0|2026-02-01T00:00:00.000Z" },
	{ "evn-004", "{\"id\":\"e3\",\"type\":\"user.updated\",\"data\":{\"id\":\"u1\",\"name\":\"Old\",\"updatedAt\":\"2026-01-15T00:00:00Z\"}}",
	  200, "stale", "select name from \"user\" where id = 'u1'", "One" },
	{ "evn-005", "{\"id\":\"e4\",\"type\":\"organization.created\",\"data\":{\"id\":\"o1\",\"name\":\"Org\",\"slug\":\"org\",\"metadata\":{\"plan\":\"pro\"}}}",
	  200, "applied", "select slug || '|' || metadata from organization where id = 'o1'", "org|{\"plan\":\"pro\"}" },
	/* the event type from the "event" field, nested ids, a role list */
	{ "evn-006", "{\"id\":\"e5\",\"event\":\"organization.member.added\",\"data\":{\"organization\":{\"id\":\"o1\"},\"user\":{\"id\":\"u1\"},\"role\":[\"member\",\"admin\"]}}",
	  200, "applied", "select role from member where organizationId = 'o1' and userId = 'u1'", "member,admin" },
	{ "evn-007", "{\"id\":\"e6\",\"type\":\"organization_membership.updated\",\"data\":{\"organization_id\":\"o1\",\"user_id\":\"u1\",\"role\":\"owner\"}}",
	  200, "applied", "select role || '|' || count(*) from member where organizationId = 'o1' and userId = 'u1'", "owner|1" },
	{ "evn-008", "{\"id\":\"e7\",\"type\":\"session.created\",\"data\":{\"id\":\"s1\",\"token\":\"tok1\",\"user_id\":\"u1\",\"expires_at\":4070908800000,\"active_organization_id\":\"o1\",\"ip_address\":\"192.0.2.1\"}}",
	  200, "applied", "select expiresAt || '|' || activeOrganizationId || '|' || ipAddress from session where id = 's1'", "2099-01-01T00:00:00.000Z|o1|192.0.2.1" },
	/* activeOrganizationId: null clears it, absent keeps it */
	{ "evn-009", "{\"id\":\"e8\",\"type\":\"session.updated\",\"data\":{\"id\":\"s1\",\"userAgent\":\"curl\"}}",
	  200, "applied", "select activeOrganizationId || '|' || userAgent from session where id = 's1'", "o1|curl" },
	{ "evn-010", "{\"id\":\"e9\",\"type\":\"session.updated\",\"data\":{\"id\":\"s1\",\"activeOrganizationId\":null}}",
	  200, "applied", "select coalesce(activeOrganizationId, 'NULL') from session where id = 's1'", "NULL" },
	/* keys: raw hashed, start derived, hex or base64url hashedKey */
	{ "evn-011", "{\"id\":\"e10\",\"type\":\"api_key.created\",\"data\":{\"id\":\"k1\",\"key\":\"ag_secret_value_1\",\"userId\":\"u1\",\"permissions\":{\"files\":[\"read\"]}}}",
	  200, "applied", "select key || '|' || start || '|' || referenceId || '|' || enabled || '|' || permissions from apikey where id = 'k1'",
	  "xFQcndyxWPWdUaGZK9j_ngqSqQ9OmtAGCXkB6l0FMcE|ag_sec|u1|1|{\"files\":[\"read\"]}" },
	{ "evn-012", "{\"id\":\"e11\",\"type\":\"api_key.created\",\"data\":{\"id\":\"k2\",\"hashedKey\":\"e2b11234f12544d302015a565dfa23f2789c8302830f6e04bc1ab9fb16e629f7\",\"referenceId\":\"o1\"}}",
	  200, "applied", "select key from apikey where id = 'k2'", "e2b11234f12544d302015a565dfa23f2789c8302830f6e04bc1ab9fb16e629f7" },
	{ "evn-013", "{\"id\":\"e12\",\"type\":\"api_key.created\",\"data\":{\"id\":\"k3\",\"hashedKey\":\"tooshort\",\"referenceId\":\"u1\"}}",
	  400, NULL, "select count(*) from apikey where id = 'k3'", "0" },
	{ "evn-014", "{\"id\":\"e13\",\"type\":\"api_key.updated\",\"data\":{\"id\":\"k1\",\"enabled\":0,\"expiresAt\":\"2030-01-01\"}}",
	  200, "applied", "select enabled || '|' || expiresAt from apikey where id = 'k1'", "0|2030-01-01T00:00:00.000Z" },
	/* malformed events are refused and leave no trace */
	{ "evn-015", "{\"id\":\"e14\",\"type\":\"user.created\",\"data\":{\"name\":\"no id\"}}",
	  400, NULL, "select count(*) from authgate_event where id = 'e14'", "0" },
	{ "evn-016", "{\"id\":\"e15\",\"type\":\"user.updated\",\"data\":{\"id\":\"u1\",\"createdAt\":\"yesterday\"}}",
	  400, NULL, "select count(*) from authgate_event where id = 'e15'", "0" },
	{ "evn-017", "{\"id\":\"e16\",\"type\":\"user.updated\",\"data\":{\"id\":\"u1\",\"banned\":\"yes\"}}",
	  400, NULL, "select banned from \"user\" where id = 'u1'", "0" },
	{ "evn-018", "{\"id\":\"e17\",\"type\":\"user.updated\",\"data\":\"u1\"}",
	  400, NULL, NULL, NULL },
	{ "evn-019", "{\"id\":\"e18\",\"type\":\"user.updated\",\"data\":{\"id\":\"\"}}",
	  400, NULL, NULL, NULL },
	{ "evn-020", "[1,2,3]", 400, NULL, NULL, NULL },
	{ "evn-021", "{\"id\":\"e19\",\"data\":{}}", 400, NULL, NULL, NULL },
	/* a new user without the required email breaks a constraint: 400 */
	{ "evn-022", "{\"id\":\"e20\",\"type\":\"user.created\",\"data\":{\"id\":\"u2\",\"name\":\"No Mail\"}}",
	  400, NULL, "select count(*) from \"user\" where id = 'u2'", "0" },
	/* unknown types are recorded and acknowledged */
	{ "evn-023", "{\"id\":\"e21\",\"type\":\"billing.invoice.paid\",\"data\":{}}",
	  200, "ignored", "select outcome from authgate_event where id = 'e21'", "ignored" },
	/* no id anywhere: the body's hash is the id, so a resend is a duplicate */
	{ "evn-024", "{\"type\":\"user.updated\",\"data\":{\"id\":\"u1\",\"image\":\"a.png\"}}",
	  200, "applied", "select count(*) from authgate_event where id like 'sha256:%'", "1" },
	{ "evn-025", "{\"type\":\"user.updated\",\"data\":{\"id\":\"u1\",\"image\":\"a.png\"}}",
	  200, "duplicate", NULL, NULL },
	/* deletes cascade and bury */
	{ "evn-026", "{\"id\":\"e22\",\"type\":\"organization.deleted\",\"data\":{\"id\":\"o1\"}}",
	  200, "applied", "select (select count(*) from member where organizationId = 'o1') || '|' || (select count(*) from apikey where id = 'k2') || '|' || (select coalesce(activeOrganizationId, 'NULL') from session where id = 's1')", "0|0|NULL" },
	{ "evn-027", "{\"id\":\"e23\",\"type\":\"member.added\",\"data\":{\"organizationId\":\"o1\",\"userId\":\"u1\",\"role\":\"owner\"}}",
	  200, "tombstoned", "select count(*) from member where organizationId = 'o1'", "0" },
	{ "evn-028", "{\"id\":\"e24\",\"type\":\"user.deleted\",\"data\":{\"id\":\"u1\"}}",
	  200, "applied", "select (select count(*) from session where userId = 'u1') || '|' || (select count(*) from apikey where referenceId = 'u1') || '|' || (select count(*) from authgate_version where id = 'u1')", "0|0|0" },
	{ "evn-029", "{\"id\":\"e25\",\"type\":\"user.deleted\",\"data\":{\"id\":\"u1\"}}",
	  200, "absent", NULL, NULL },
	{ "evn-030", "{\"id\":\"e26\",\"type\":\"api_key.created\",\"data\":{\"id\":\"k9\",\"key\":\"k9-raw\",\"referenceId\":\"u1\"}}",
	  200, "tombstoned", "select count(*) from apikey where id = 'k9'", "0" },
	/* a session revoked before it was ever created stays revoked */
	{ "evn-031", "{\"id\":\"e27\",\"type\":\"session.revoked\",\"data\":{\"id\":\"s_early\"}}",
	  200, "absent", NULL, NULL },
	{ "evn-032", "{\"id\":\"e28\",\"type\":\"session.created\",\"data\":{\"id\":\"s_early\",\"token\":\"t\",\"userId\":\"u3\",\"expiresAt\":\"2099-01-01\"}}",
	  200, "tombstoned", "select count(*) from session where id = 's_early'", "0" },
};

int
main(void)
{
	struct webhook_result r;
	char err[256], *ba, *ag;
	size_t i;

	if (system("mkdir -p tests/tmp") != 0 ||
	    util_time_format(util_now_ms() - 60000, fresh, sizeof(fresh)) != 0)
		return 1;
	unlink(DB);
	unlink(DB "-wal");
	unlink(DB "-shm");
	setenv("AUTHGATE_WEBHOOK_SECRET", SECRET, 1);
	unsetenv("AUTHGATE_WEBHOOK_SECRET_FILE");
	T_EQ_INT("evn-init-1", webhook_secrets_load(&ws, err, sizeof(err)), 0);
	T_EQ_INT("evn-init-2", store_open(&st, DB, STORE_READWRITE, err,
	    sizeof(err)), 0);
	ag = strstr(schema_sql, "-- @authgate-tables");
	ba = strndup(schema_sql, (size_t)(ag - schema_sql));
	T_EQ_INT("evn-init-3", store_init(st, ba, ag, err, sizeof(err)), 0);
	free(ba);
	T_EQ_INT("evn-init-4", sqlite3_open(DB, &db), SQLITE_OK);

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct ev_case *c = &cases[i];

		T_EQ_INT(c->id, deliver(c->body, &r), c->status);
		if (c->outcome != NULL)
			T_EQ_STR(c->id, store_outcome_name(r.outcome),
			    c->outcome);
		if (c->sql != NULL)
			T_EQ_STR(c->id, q(c->sql), c->want);
	}

	/* No raw key anywhere in the file. */
	T_EQ_STR("evn-040", q("select count(*) from apikey where key like"
	    " '%secret_value%' or start = 'ag_secret_value_1'"), "0");
	/* A body with a bad signature is never parsed or recorded. */
	{
		struct webhook_headers h;
		char body[] = "{\"id\":\"e99\",\"type\":\"user.created\","
		    "\"data\":{\"id\":\"u9\",\"email\":\"9@x.test\"}}";

		memset(&h, 0, sizeof(h));
		h.optare_signature = "sha256=00000000000000000000000000000000"
		    "00000000000000000000000000000000";
		opened = 0;
		webhook_handle(&ws, open_st, NULL, &h, body, strlen(body), &r);
		T_EQ_INT("evn-041", r.status, 400);
		T_EQ_INT("evn-041b", opened, 0);	/* the store was not touched */
		T_EQ_STR("evn-042", r.reason, "signature_mismatch");
		T_EQ_STR("evn-043", q("select count(*) from authgate_event"
		    " where id = 'e99'"), "0");
		T_CHECK("evn-044", body[0] == '\0' && body[10] == '\0');	/* wiped */
	}
	/* The unsigned X-Optare-Event header cannot rename a signed body. */
	{
		struct webhook_headers h;
		unsigned char mac[32];
		unsigned int len = 0;
		char body[] = "{\"id\":\"e98\",\"type\":\"user.updated\","
		    "\"data\":{\"id\":\"u9\"}}", hex[65], hdr[80];

		HMAC(EVP_sha256(), SECRET, (int)strlen(SECRET),
		    (const unsigned char *)body, strlen(body), mac, &len);
		util_hex(mac, 32, hex);
		snprintf(hdr, sizeof(hdr), "sha256=%s", hex);
		memset(&h, 0, sizeof(h));
		h.optare_signature = hdr;
		h.event = "user.deleted";
		webhook_handle(&ws, open_st, NULL, &h, body, strlen(body), &r);
		T_EQ_INT("evn-046", r.status, 400);
		T_EQ_STR("evn-047", r.reason, "type_mismatch");
	}
	/* The header alone names the type when the body has none. */
	{
		char body[] = "{\"id\":\"e97\",\"data\":{\"id\":\"u1\"}}";

		T_EQ_INT("evn-048", deliver_as(body, "user.deleted", &r), 200);
		T_EQ_STR("evn-049", store_outcome_name(r.outcome), "absent");
	}
	/* No secret: 503, nothing parsed. */
	{
		static struct webhook_secrets none;
		char body[] = "{}";

		opened = 0;
		webhook_handle(&none, open_st, NULL,
		    &(struct webhook_headers){ 0 }, body, 2, &r);
		T_EQ_INT("evn-045", r.status, 503);
		T_EQ_INT("evn-045b", opened, 0);
	}
	/* Replay window: a body older than the event log's 7 days is refused
	 * before anything is recorded; one just inside it is applied. */
	{
		char old[UTIL_TIME_ISO_LEN + 1], body[256];

		T_EQ_INT("evn-049b", util_time_format(util_now_ms() -
		    STORE_RETENTION_MS - 60000, old, sizeof(old)), 0);
		snprintf(body, sizeof(body), "{\"id\":\"e_old\",\"type\":"
		    "\"member.added\",\"timestamp\":\"%s\",\"data\":{"
		    "\"organizationId\":\"o5\",\"userId\":\"u5\","
		    "\"role\":\"admin\"}}", old);
		T_EQ_INT("evn-050", deliver(body, &r), 400);
		T_EQ_STR("evn-051", r.reason, "event_too_old");
		T_EQ_STR("evn-052", q("select count(*) from authgate_event"
		    " where id = 'e_old'"), "0");
		T_EQ_INT("evn-052b", util_time_format(util_now_ms() -
		    STORE_RETENTION_MS + 600000, old, sizeof(old)), 0);
		snprintf(body, sizeof(body), "{\"id\":\"e_edge\",\"type\":"
		    "\"billing.x\",\"timestamp\":\"%s\",\"data\":{}}", old);
		T_EQ_INT("evn-053", deliver(body, &r), 200);
		/* epoch seconds and milliseconds count the same way */
		snprintf(body, sizeof(body), "{\"id\":\"e_old2\",\"type\":"
		    "\"billing.x\",\"timestamp\":%lld,\"data\":{}}",
		    (long long)((util_now_ms() - STORE_RETENTION_MS) / 1000 - 60));
		T_EQ_INT("evn-054", deliver(body, &r), 400);
		snprintf(body, sizeof(body), "{\"id\":\"e_old3\",\"type\":"
		    "\"billing.x\",\"createdAt\":%lld,\"data\":{}}",
		    (long long)(util_now_ms() - STORE_RETENTION_MS - 60000));
		exact = 1;
		T_EQ_INT("evn-055", deliver(body, &r), 400);
		exact = 0;
	}
	/* An Optare-signed body without any time of its own is refused: its
	 * signature alone would let it be replayed forever. */
	{
		struct webhook_headers h;
		unsigned char mac[32];
		unsigned int len = 0;
		char body[] = "{\"id\":\"e_nots\",\"type\":\"user.updated\","
		    "\"data\":{\"id\":\"u9\"}}", hex[65], hdr[80];

		HMAC(EVP_sha256(), SECRET, (int)strlen(SECRET),
		    (const unsigned char *)body, strlen(body), mac, &len);
		util_hex(mac, 32, hex);
		snprintf(hdr, sizeof(hdr), "sha256=%s", hex);
		memset(&h, 0, sizeof(h));
		h.optare_signature = hdr;
		opened = 0;
		webhook_handle(&ws, open_st, NULL, &h, body, strlen(body), &r);
		T_EQ_INT("evn-056", r.status, 400);
		T_EQ_STR("evn-057", r.reason, "timestamp_missing");
		T_EQ_INT("evn-058", opened, 0);
	}
	/* Tombstones outlive the replay window: one 10 days old survives the
	 * prune that runs with every event; one past 30 days goes. */
	{
		char body[] = "{\"id\":\"e_prune\",\"type\":\"billing.y\","
		    "\"data\":{}}";

		sqlite3_exec(db, "insert into authgate_tombstone values"
		    " ('member', 'm_10d', strftime('%Y-%m-%dT%H:%M:%fZ', 'now',"
		    " '-10 days')), ('member', 'm_31d', strftime("
		    "'%Y-%m-%dT%H:%M:%fZ', 'now', '-31 days'))", NULL, NULL, NULL);
		T_EQ_INT("evn-059", deliver(body, &r), 200);
		T_EQ_STR("evn-060", q("select group_concat(id) from"
		    " authgate_tombstone where id like 'm_%d'"), "m_10d");
	}

	sqlite3_close(db);
	store_close(st);
	webhook_secrets_wipe(&ws);
	return t_done("test_events");
}
