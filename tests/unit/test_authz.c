/*
 * test_authz.c - the decision itself (authz_decide), table-driven, over a
 * real SQLite file built from db/schema.sql, db/demo.sql and
 * tests/integration/fixtures.sql: roles against rules, every access kind,
 * redirects, spellings, key metadata that only narrows, organization key
 * grants, bans, invalid rules and schemas that fail closed. One line per
 * case; the server suites prove the same through real web servers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "authz.h"
#include "credential.h"
#include "harness.h"

#define DB	"tests/tmp/test_authz.db"
#define SECRET	"unit-secret-for-authz-0123456789abcdef"

extern const char schema_sql[];

static struct authz az;
static struct authz_decision d;
static sqlite3 *db;

/* Raw keys of the fixtures (their hashes are in fixtures.sql/demo.sql). */
#define K_MIA		"ag_demo_mia_key_0000000000000000000000000000"
#define K_META		"ag_test_admin_meta_key_22222222222222222222222"
#define K_ORG		"ag_test_org_owned_key_333333333333333333333333"
#define K_MIA_OWN	"ag_test_member_claims_owner_6666666666666666666"
#define K_NORA		"ag_test_noorg_claims_owner_77777777777777777777"
#define K_ORG_ADM	"ag_test_org_granted_admin_888888888888888888888"
#define K_EXHAUSTED	"ag_test_exhausted_key_99999999999999999999999"
#define K_REFILLED	"ag_test_refilled_key_aaaaaaaaaaaaaaaaaaaaaaaa"

static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *b = NULL;
	long n;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 &&
	    fseek(f, 0, SEEK_SET) == 0 && (b = malloc((size_t)n + 1)) != NULL &&
	    fread(b, 1, (size_t)n, f) == (size_t)n)
		b[n] = '\0';
	else {
		free(b);
		b = NULL;
	}
	fclose(f);
	return b;
}

static int
exec_file(const char *path)
{
	char *sql = slurp(path);
	int rc = sql != NULL && sqlite3_exec(db, sql, NULL, NULL, NULL) ==
	    SQLITE_OK;

	free(sql);
	return rc;
}

static int
sql(const char *s)
{
	int rc = sqlite3_exec(db, s, NULL, NULL, NULL);

	if (rc != SQLITE_OK)
		printf("  sql failed: %s: %s\n", s, sqlite3_errmsg(db));
	return rc == SQLITE_OK;
}

/* One request: what the web server would pass. */
struct req {
	const char	*method;
	const char	*uri;
	const char	*session;	/* token, signed here; NULL: none */
	const char	*key;		/* x-api-key; NULL: none */
	const char	*accept;
	const char	*override;	/* X-HTTP-Method-Override */
};

static const char *client;	/* the address the server saw, or NULL */

static void
decide(const struct req *r)
{
	static char cookie[512];
	struct authz_input in;
	char signed_tok[256];
	size_t n;

	memset(&in, 0, sizeof(in));
	in.method.p = r->method;
	in.method.n = strlen(r->method);
	in.uri.p = r->uri;
	in.uri.n = strlen(r->uri);
	if (r->session != NULL) {
		n = cred_session_sign(r->session, strlen(r->session),
		    (const unsigned char *)SECRET, strlen(SECRET), signed_tok,
		    sizeof(signed_tok));
		snprintf(cookie, sizeof(cookie), "better-auth.session_token=%.*s",
		    (int)n, signed_tok);
		in.cookie.p = cookie;
		in.cookie.n = strlen(cookie);
	}
	if (r->key != NULL) {
		in.api_key.p = r->key;
		in.api_key.n = strlen(r->key);
	}
	if (r->accept != NULL) {
		in.accept.p = r->accept;
		in.accept.n = strlen(r->accept);
	}
	if (r->override != NULL) {
		in.overrides[0].p = r->override;
		in.overrides[0].n = strlen(r->override);
	}
	if (client != NULL) {
		in.client.p = client;
		in.client.n = strlen(client);
	}
	authz_decide(&az, &in, &d);
}

#define OLIVIA	"demo-session-olivia-owner"
#define ADAM	"demo-session-adam-admin"
#define MIA	"demo-session-mia-member"
#define GUS	"demo-session-gus-guest"
#define NORA	"demo-session-nora-noorg"
#define EXPIRED	"demo-session-expired"
#define BEA	"test-session-bea-banned"
#define TIM	"test-session-tim-tempban"
#define MULTI	"test-session-max-multi"

static const struct {
	const char	*id;
	struct req	 r;
	int		 status;
	const char	*reason;
	const char	*role;		/* NULL: not checked */
	const char	*org;		/* NULL: not checked */
} cases[] = {
	/* access kinds: public, deny, authenticated, session, api_key */
	{ "authz-001", { "GET", "/api/health", NULL, NULL, NULL, NULL }, 200, "public", "", "" },
	{ "authz-002", { "GET", "/api/internal/x", OLIVIA, NULL, NULL, NULL }, 403, "rule_deny", NULL, NULL },
	{ "authz-003", { "GET", "/api/projects", NULL, NULL, NULL, NULL }, 401, "no_credentials", NULL, NULL },
	{ "authz-004", { "GET", "/api/projects", MIA, NULL, NULL, NULL }, 200, "allow", "member", "org_acme" },
	{ "authz-005", { "GET", "/app/home", NULL, K_MIA, NULL, NULL }, 401, "session_required", NULL, NULL },
	{ "authz-006", { "GET", "/api/machine/x", MIA, NULL, NULL, NULL }, 401, "api_key_required", NULL, NULL },
	{ "authz-007", { "GET", "/api/machine/x", NULL, K_MIA, NULL, NULL }, 200, "allow", "member", "org_acme" },
	{ "authz-008", { "GET", "/other/x", MIA, NULL, NULL, NULL }, 200, "allow", NULL, NULL },	/* default */
	{ "authz-009", { "GET", "/other/x", NULL, NULL, NULL, NULL }, 401, "no_credentials", NULL, NULL },
	/* roles against min_role */
	{ "authz-010", { "GET", "/api/admin/x", OLIVIA, NULL, NULL, NULL }, 200, "allow", "owner", "org_acme" },
	{ "authz-011", { "GET", "/api/admin/x", ADAM, NULL, NULL, NULL }, 200, "allow", "admin", NULL },
	{ "authz-012", { "GET", "/api/admin/x", MIA, NULL, NULL, NULL }, 403, "role_required", NULL, NULL },
	{ "authz-013", { "GET", "/api/admin/x", GUS, NULL, NULL, NULL }, 403, "role_required", NULL, NULL },
	{ "authz-014", { "GET", "/api/admin/x", NORA, NULL, NULL, NULL }, 403, "role_required", "", "" },
	{ "authz-015", { "POST", "/api/projects/1", GUS, NULL, NULL, NULL }, 403, "role_required", NULL, NULL },
	{ "authz-016", { "GET", "/api/projects/1", GUS, NULL, NULL, NULL }, 200, "allow", "guest", NULL },
	{ "authz-017", { "GET", "/api/admin/x", MULTI, NULL, NULL, NULL }, 200, "allow", "admin", NULL },
	/* sessions that must not pass */
	{ "authz-020", { "GET", "/api/projects", EXPIRED, NULL, NULL, NULL }, 401, "session_expired", NULL, NULL },
	{ "authz-021", { "GET", "/api/projects", "no-such-token", NULL, NULL, NULL }, 401, "session_unknown", NULL, NULL },
	{ "authz-022", { "GET", "/api/projects", BEA, NULL, NULL, NULL }, 403, "user_banned", NULL, NULL },
	{ "authz-023", { "GET", "/api/projects", TIM, NULL, NULL, NULL }, 200, "allow", NULL, NULL },	/* ban over */
	/* redirects: auto for a browser navigation, json otherwise */
	{ "authz-030", { "GET", "/app/home", NULL, NULL, "text/html", NULL }, 302, "no_credentials", NULL, NULL },
	{ "authz-031", { "GET", "/app/home", NULL, NULL, "application/json", NULL }, 401, "no_credentials", NULL, NULL },
	{ "authz-032", { "GET", "/api/projects", NULL, NULL, "text/html", NULL }, 401, "no_credentials", NULL, NULL },	/* json rule */
	{ "authz-033", { "GET", "/app/home", MIA, NULL, "text/html", NULL }, 200, "allow", NULL, NULL },
	/* spellings: one rule per handler, or 400 */
	{ "authz-040", { "GET", "/api/ADMIN/users", MIA, NULL, NULL, NULL }, 403, "role_required", NULL, NULL },
	{ "authz-041", { "GET", "/API/Admin/Users/", MIA, NULL, NULL, NULL }, 403, "role_required", NULL, NULL },
	{ "authz-042", { "GET", "/api/INTERNAL/metrics", OLIVIA, NULL, NULL, NULL }, 403, "rule_deny", NULL, NULL },
	{ "authz-043", { "HEAD", "/API/HEALTH/", NULL, NULL, NULL, NULL }, 200, "public", NULL, NULL },
	{ "authz-044", { "GET", "/api/admin;x/users", OLIVIA, NULL, NULL, NULL }, 400, "path_semicolon", NULL, NULL },
	{ "authz-045", { "GET", "/api/admin./users", OLIVIA, NULL, NULL, NULL }, 400, "path_segment_end", NULL, NULL },
	{ "authz-046", { "GET", "/api/adm%C4%B1n/users", OLIVIA, NULL, NULL, NULL }, 400, "path_folds_to_ascii", NULL, NULL },
	{ "authz-047", { "GET", "/api/%C0%AF", OLIVIA, NULL, NULL, NULL }, 400, "path_bad_utf8", NULL, NULL },
	{ "authz-048", { "POST", "/api/projects/1", GUS, NULL, NULL, "GET" }, 400, "method_override", NULL, NULL },
	{ "authz-049", { "POST", "/api/projects/1", MIA, NULL, NULL, "post" }, 200, "allow", NULL, NULL },
	{ "authz-050", { "G ET", "/api/projects", MIA, NULL, NULL, NULL }, 400, "bad_method", NULL, NULL },
	/* key metadata only narrows */
	{ "authz-060", { "GET", "/api/admin/x", NULL, K_META, NULL, NULL }, 403, "role_required", NULL, NULL },
	{ "authz-061", { "GET", "/api/projects", NULL, K_META, NULL, NULL }, 200, "allow", "guest", "org_acme" },
	{ "authz-062", { "GET", "/api/projects", NULL, K_MIA_OWN, NULL, NULL }, 200, "allow", "member", "org_acme" },
	{ "authz-063", { "GET", "/api/projects", NULL, K_NORA, NULL, NULL }, 200, "allow", "", "" },
	{ "authz-064", { "GET", "/api/admin/x", NULL, K_NORA, NULL, NULL }, 403, "role_required", NULL, NULL },
	/* organization keys: their own org, an admin's grant or no role */
	{ "authz-065", { "GET", "/api/admin/x", NULL, K_ORG_ADM, NULL, NULL }, 200, "allow", "admin", "org_acme" },
	{ "authz-066", { "GET", "/api/projects", NULL, K_ORG, NULL, NULL }, 200, "allow", "", "org_acme" },
	{ "authz-067", { "GET", "/api/admin/x", NULL, K_ORG, NULL, NULL }, 403, "role_required", NULL, NULL },
	/* better-auth's usage quota: remaining 0, a refill due */
	{ "authz-068", { "GET", "/api/projects", NULL, K_EXHAUSTED, NULL, NULL }, 401, "api_key_exhausted", NULL, NULL },
	{ "authz-069", { "GET", "/api/projects", NULL, K_REFILLED, NULL, NULL }, 200, "allow", "member", "org_acme" },
};

static void
run_cases(void)
{
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		decide(&cases[i].r);
		T_EQ_INT(cases[i].id, d.status, cases[i].status);
		T_EQ_STR(cases[i].id, d.reason, cases[i].reason);
		if (cases[i].role != NULL)
			T_EQ_STR(cases[i].id, d.id.role, cases[i].role);
		if (cases[i].org != NULL)
			T_EQ_STR(cases[i].id, d.id.org_id, cases[i].org);
	}
}

/*
 * The quota's arithmetic at its edges (authz_key_exhausted is pure):
 * better-auth refills when more than refillInterval ms have passed.
 */
static void
quota_cases(void)
{
	struct store_key_quota q;
	const int64_t day = 86400000, t0 = 1767225600000LL;

	memset(&q, 0, sizeof(q));
	T_EQ_INT("quota-001", authz_key_exhausted(&q, t0), 0);	/* NULL */
	q.limited = 1;
	T_EQ_INT("quota-002", authz_key_exhausted(&q, t0), 1);	/* 0 */
	q.remaining = 1;
	T_EQ_INT("quota-003", authz_key_exhausted(&q, t0), 0);
	q.remaining = -1;
	T_EQ_INT("quota-004", authz_key_exhausted(&q, t0), 1);
	q.remaining = 5;
	q.bad = 1;			/* not an integer: fail closed */
	T_EQ_INT("quota-005", authz_key_exhausted(&q, t0), 1);
	q.bad = 0;
	q.remaining = 0;
	q.refill_interval = day;
	q.refill_amount = 10;
	q.last_refill.present = 1;
	q.last_refill.ms = t0;
	T_EQ_INT("quota-010", authz_key_exhausted(&q, t0 + day - 1), 1);
	T_EQ_INT("quota-011", authz_key_exhausted(&q, t0 + day), 1);
	T_EQ_INT("quota-012", authz_key_exhausted(&q, t0 + day + 1), 0);
	T_EQ_INT("quota-013", authz_key_exhausted(&q, t0 - 1), 1);
	/* no lastRefillAt: createdAt is the base */
	q.last_refill.present = 0;
	q.created.present = 1;
	q.created.ms = t0 + 5;
	T_EQ_INT("quota-014", authz_key_exhausted(&q, t0 + day + 5), 1);
	T_EQ_INT("quota-015", authz_key_exhausted(&q, t0 + day + 6), 0);
	/* neither date, or a bad one: no refill */
	q.created.present = 0;
	T_EQ_INT("quota-016", authz_key_exhausted(&q, t0 + 9 * day), 1);
	q.last_refill.present = 1;
	q.last_refill.bad = 1;
	T_EQ_INT("quota-017", authz_key_exhausted(&q, t0 + 9 * day), 1);
	q.last_refill.bad = 0;
	/* a refill needs both an interval and an amount */
	q.refill_amount = 0;
	T_EQ_INT("quota-018", authz_key_exhausted(&q, t0 + 9 * day), 1);
	q.refill_amount = 10;
	q.refill_interval = 0;
	T_EQ_INT("quota-019", authz_key_exhausted(&q, t0 + 9 * day), 1);
	/* the far past as a base does not overflow into "not due" */
	q.refill_interval = day;
	q.last_refill.ms = INT64_MIN + 1;
	T_EQ_INT("quota-020", authz_key_exhausted(&q, t0), 0);
}

/* A schema change, a decision, the change undone. */
static void
drift(const char *id, const char *change, const char *undo,
    const struct req *r, int status, const char *reason)
{
	T_CHECK(id, sql(change));
	decide(r);
	T_EQ_INT(id, d.status, status);
	T_EQ_STR(id, d.reason, reason);
	T_CHECK(id, sql(undo));
}

int
main(void)
{
	static const struct req member = { "GET", "/api/projects", MIA, NULL,
	    NULL, NULL };
	static const struct req tim = { "GET", "/api/projects", TIM, NULL,
	    NULL, NULL };
	struct store *s = NULL;
	char err[256], long_uri[3200];

	if (system("mkdir -p tests/tmp") != 0)
		return 1;
	unlink(DB);
	unlink(DB "-wal");
	unlink(DB "-shm");
	T_EQ_INT("authz-init-1", sqlite3_open(DB, &db), SQLITE_OK);
	/* WAL, as authgate init leaves it: the decision's fast path (no
	 * snapshot while the WAL index says nothing changed) runs here */
	T_CHECK("authz-init-5", sql("pragma journal_mode = wal"));
	T_CHECK("authz-init-2", sql(schema_sql));
	T_CHECK("authz-init-3", exec_file("db/demo.sql"));
	T_CHECK("authz-init-4", exec_file("tests/integration/fixtures.sql"));
	T_EQ_INT("authz-init-6", store_open(&s, DB, STORE_READONLY, err,
	    sizeof(err)), 0);
	store_set_quiet(s, 1);
	/* the host's key counts in this process's memory */
	T_EQ_INT("authz-init-8", usage_open(NULL, 0, err, sizeof(err)), 0);
	T_EQ_INT("authz-init-7", authz_init(&az, s,
	    (const unsigned char *)SECRET, strlen(SECRET), "better-auth", 0),
	    0);
	{
		char b64[CRED_HASH_B64URL_LEN + 1], hex[CRED_HASH_HEX_LEN + 1];
		char q[256];

		/* the demo key's raw value is not in the repository: give
		 * k_mia a key this test knows */
		T_EQ_INT("authz-init-9", cred_apikey_hash(K_MIA, strlen(K_MIA),
		    b64, hex), 0);
		snprintf(q, sizeof(q), "update apikey set key = '%s' where id"
		    " = 'k_mia'", b64);
		T_CHECK("authz-init-8", sql(q));
	}

	run_cases();
	quota_cases();

	/* a long path: the redirect keeps its target, drops the next */
	memset(long_uri, 'x', sizeof(long_uri) - 1);
	memcpy(long_uri, "/app/", 5);
	long_uri[sizeof(long_uri) - 1] = '\0';
	decide(&(struct req){ "GET", long_uri, NULL, NULL, "text/html", NULL });
	T_EQ_INT("authz-070", d.status, 302);
	T_EQ_STR("authz-071", d.location, "/sign-in");
	decide(&(struct req){ "GET", "/app/a b", NULL, NULL, "text/html",
	    NULL });
	T_EQ_STR("authz-072", d.location, "/sign-in?next=/app/a%20b");

	/* the strict mode: letter case counts */
	az.match_flags = 0;
	decide(&(struct req){ "GET", "/api/ADMIN/users", MIA, NULL, NULL,
	    NULL });
	T_EQ_INT("authz-080", d.status, 200);
	T_EQ_INT("authz-081", d.rule_id, 6);
	az.match_flags = POLICY_FOLD_CASE;

	/* invalid rules: 503 for everything, until fixed */
	T_CHECK("authz-090", sql("insert into authgate_rule (id, priority,"
	    " path, access) values (99, 1, 'no-slash', 'public')"));
	decide(&member);
	T_EQ_INT("authz-091", d.status, 503);
	T_EQ_STR("authz-092", d.reason, "rules_invalid");
	decide(&(struct req){ "GET", "/api/health", NULL, NULL, NULL, NULL });
	T_EQ_INT("authz-093", d.status, 503);
	T_CHECK("authz-094", sql("delete from authgate_rule where id = 99"));
	decide(&member);
	T_EQ_INT("authz-095", d.status, 200);

	/* schemas the decision does not fully understand: 503 */
	drift("authz-100", "alter table authgate_rule rename to r_off",
	    "alter table r_off rename to authgate_rule", &member, 503,
	    "store_schema");
	drift("authz-101", "alter table apikey rename column enabled to"
	    " active", "alter table apikey rename column active to enabled",
	    &member, 503, "store_schema");
	drift("authz-102", "alter table member rename column role to r",
	    "alter table member rename column r to role", &member, 503,
	    "store_schema");
	drift("authz-103", "alter table member rename to m_off",
	    "alter table m_off rename to member", &member, 503,
	    "store_schema");
	drift("authz-104", "alter table authgate_rule rename column path to p",
	    "alter table authgate_rule rename column p to path", &member, 503,
	    "store_schema");
	/* banned without banExpires: banned for good */
	drift("authz-105", "alter table \"user\" drop column banExpires",
	    "alter table \"user\" add column banExpires date", &tim, 403,
	    "user_banned");
	T_CHECK("authz-106", sql("update \"user\" set banExpires ="
	    " '2020-01-01T00:00:00.000Z' where id = 'u_tim'"));
	decide(&tim);
	T_EQ_INT("authz-107", d.status, 200);
	/* no apikey table at all (the plugin is off): keys are unknown */
	drift("authz-108", "alter table apikey rename to k_off",
	    "alter table k_off rename to apikey", &(struct req){ "GET",
	    "/api/projects", NULL, K_MIA, NULL, NULL }, 401,
	    "api_key_unknown");

	/* the quota through the decision: the refill boundary read from
	 * the database, columns an older key table lacks, odd values */
	{
		static const struct req ex = { "GET", "/api/projects", NULL,
		    K_EXHAUSTED, NULL, NULL };

		/* lastRefillAt a day ago less a second: not due; a day and
		 * a second ago: due */
		T_CHECK("quota-030", sql("update apikey set lastRefillAt ="
		    " strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-86399 seconds')"
		    " where id = 'k_exhausted'"));
		decide(&ex);
		T_EQ_STR("quota-031", d.reason, "api_key_exhausted");
		T_CHECK("quota-032", sql("update apikey set lastRefillAt ="
		    " strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-86401 seconds')"
		    " where id = 'k_exhausted'"));
		decide(&ex);
		T_EQ_STR("quota-033", d.reason, "allow");
		/* epoch ms, as some adapters store dates */
		T_CHECK("quota-034", sql("update apikey set lastRefillAt ="
		    " 4070908800000 where id = 'k_exhausted'"));
		decide(&ex);
		T_EQ_STR("quota-035", d.reason, "api_key_exhausted");
		T_CHECK("quota-036", sql("update apikey set remaining = NULL"
		    " where id = 'k_exhausted'"));
		decide(&ex);
		T_EQ_STR("quota-037", d.reason, "allow");
		T_CHECK("quota-038", sql("update apikey set remaining = 'lots'"
		    " where id = 'k_exhausted'"));
		decide(&ex);
		T_EQ_STR("quota-039", d.reason, "api_key_exhausted");
		T_CHECK("quota-040", sql("update apikey set remaining = 0"
		    " where id = 'k_exhausted'"));
		/* better-auth's plugin brought the quota and the rate
		 * limit together: a table with the rate-limit columns but
		 * without a quota column is not one it made (a limit the
		 * decision would drop): 503, never unlimited */
		T_CHECK("quota-040b", sql("drop view authgate_keys"));
		drift("quota-041", "alter table apikey drop column remaining",
		    "alter table apikey add column remaining integer", &ex,
		    503, "store_schema");
		T_CHECK("quota-042", sql("update apikey set remaining = 0"
		    " where id in ('k_exhausted', 'k_refilled')"));
		drift("quota-043", "alter table apikey drop column"
		    " refillAmount", "alter table apikey add column"
		    " refillAmount integer", &(struct req){ "GET",
		    "/api/projects", NULL, K_REFILLED, NULL, NULL }, 503,
		    "store_schema");
		/* without any rate-limit column: the quota alone is read */
		drift("quota-046", "alter table apikey drop column"
		    " rateLimitEnabled; alter table apikey drop column"
		    " rateLimitTimeWindow; alter table apikey drop column"
		    " rateLimitMax; alter table apikey drop column requestCount;"
		    " alter table apikey drop column lastRequest", "alter table"
		    " apikey add column rateLimitEnabled integer; alter table"
		    " apikey add column rateLimitTimeWindow integer; alter table"
		    " apikey add column rateLimitMax integer; alter table apikey"
		    " add column requestCount integer; alter table apikey add"
		    " column lastRequest date", &ex, 401, "api_key_exhausted");
		/* only some of them: 503 */
		drift("quota-047", "alter table apikey drop column"
		    " rateLimitMax", "alter table apikey add column"
		    " rateLimitMax integer", &ex, 503, "store_schema");
		T_CHECK("quota-044", sql("update apikey set refillAmount = 10"
		    " where id in ('k_exhausted', 'k_refilled')"));
		decide(&(struct req){ "GET", "/api/projects", NULL,
		    K_REFILLED, NULL, NULL });
		T_EQ_STR("quota-045", d.reason, "allow");
	}

	/* uses counted on the host (usage.c), on a cache hit too */
	{
		static const struct req kr = { "GET", "/api/projects", NULL,
		    K_REFILLED, NULL, NULL };
		static const struct req bad = { "GET", "/api/projects", NULL,
		    "ag_not_a_key_of_anyone_000000000000000000000", NULL,
		    NULL };
		int i, ok = 0;

		az.count_uses = 1;
		T_CHECK("use-001", sql("update apikey set remaining = 2,"
		    " refillInterval = NULL, refillAmount = NULL"
		    " where id = 'k_refilled'"));
		for (i = 0; i < 2; i++) {
			decide(&kr);
			ok += d.status == 200;
		}
		T_EQ_INT("use-002", ok, 2);
		decide(&kr);
		T_EQ_INT("use-003", d.status, 401);
		T_EQ_STR("use-004", d.reason, "api_key_exhausted");
		T_EQ_STR("use-005", d.id.api_key_id, "");
		/* a newer key object (the IdP's values) restarts the count */
		T_CHECK("use-006", sql("update apikey set remaining = 1"
		    " where id = 'k_refilled'"));
		decide(&kr);
		T_EQ_INT("use-007", d.status, 200);
		decide(&kr);
		T_EQ_STR("use-008", d.reason, "api_key_exhausted");
		/* the rate limit: 2 per minute, then 429 with Retry-After */
		T_CHECK("use-010", sql("update apikey set remaining = NULL,"
		    " rateLimitEnabled = 1, rateLimitTimeWindow = 60000,"
		    " rateLimitMax = 2, requestCount = 0, lastRequest = NULL"
		    " where id = 'k_refilled'"));
		decide(&kr);
		T_EQ_INT("use-011", d.status, 200);
		decide(&kr);
		T_EQ_INT("use-012", d.status, 200);
		decide(&kr);
		T_EQ_INT("use-013", d.status, 429);
		T_EQ_STR("use-014", d.reason, "api_key_rate_limited");
		T_CHECK("use-015", d.retry_after >= 59 && d.retry_after <= 60);
		/* rateLimitEnabled false: no limit */
		T_CHECK("use-016", sql("update apikey set rateLimitEnabled = 0"
		    " where id = 'k_refilled'"));
		decide(&kr);
		T_EQ_INT("use-017", d.status, 200);
		/* `check` evaluates: nothing counted */
		T_CHECK("use-018", sql("update apikey set rateLimitEnabled ="
		    " NULL, remaining = 1 where id = 'k_refilled'"));
		az.count_uses = 0;
		decide(&kr);
		decide(&kr);
		T_EQ_INT("use-019", d.status, 200);
		az.count_uses = 1;
		decide(&kr);
		T_EQ_INT("use-020", d.status, 200);
		decide(&kr);
		T_CHECK("use-021", d.status == 429 || d.status == 401);
		T_CHECK("use-022", sql("update apikey set remaining = 0,"
		    " refillInterval = 86400000, refillAmount = 10,"
		    " rateLimitEnabled = 0, rateLimitTimeWindow = NULL,"
		    " rateLimitMax = NULL where id = 'k_refilled'"));

		/* the throttle: 20 failed credentials a minute per address */
		client = "203.0.113.5";
		for (i = 0, ok = 0; i < 20; i++) {
			decide(&bad);
			ok += d.status == 401;
		}
		T_EQ_INT("use-030", ok, 20);
		decide(&bad);
		T_EQ_INT("use-031", d.status, 429);
		T_EQ_STR("use-032", d.reason, "client_throttled");
		T_CHECK("use-033", d.retry_after == 300);
		/* a valid credential from that address waits too */
		decide(&(struct req){ "GET", "/api/projects", MIA, NULL, NULL,
		    NULL });
		T_EQ_INT("use-034", d.status, 429);
		/* a public path does not */
		decide(&(struct req){ "GET", "/", NULL, NULL, NULL, NULL });
		T_EQ_INT("use-035", d.status, 200);
		/* another address is not affected */
		client = "203.0.113.6";
		decide(&(struct req){ "GET", "/api/projects", MIA, NULL, NULL,
		    NULL });
		T_EQ_INT("use-036", d.status, 200);
		decide(&bad);
		T_EQ_INT("use-037", d.status, 401);
		/* expired or revoked credentials are not guesses */
		client = "203.0.113.7";
		for (i = 0, ok = 0; i < 30; i++) {
			decide(&(struct req){ "GET", "/api/projects", NULL,
			    K_EXHAUSTED, NULL, NULL });
			ok += d.status == 401;
		}
		T_EQ_INT("use-038", ok, 30);
		client = NULL;
	}

	/* require_permission: a key's permissions JSON, a session's role
	 * through authgate_role_permission */
	{
		static const struct req kmia = { "GET", "/api/perm/x", NULL,
		    K_MIA, NULL, NULL };
		static const struct req kgus = { "GET", "/api/perm/x", NULL,
		    K_META, NULL, NULL };
		static const struct req smia = { "GET", "/api/perm/x", MIA,
		    NULL, NULL, NULL };
		static const struct req sgus = { "GET", "/api/perm/x", GUS,
		    NULL, NULL, NULL };

		T_CHECK("perm-001", sql("insert into authgate_rule (id,"
		    " priority, path, access, require_permission) values (60,"
		    " 1, '/api/perm/**', 'authenticated',"
		    " 'projects:read,projects:write')"));
		T_CHECK("perm-002", sql("update apikey set permissions ="
		    " '{\"projects\":[\"read\",\"write\"]}' where id ="
		    " 'k_mia'"));
		T_CHECK("perm-003", sql("update apikey set permissions ="
		    " '{\"projects\":[\"read\"]}' where id = 'k_meta'"));
		decide(&kmia);
		T_EQ_STR("perm-004", d.reason, "allow");
		decide(&kgus);
		T_EQ_INT("perm-005", d.status, 403);
		T_EQ_STR("perm-006", d.reason, "permission_required");
		T_EQ_STR("perm-007", d.message,
		    "Forbidden - missing permission projects:write");
		/* malformed or odd JSON grants nothing */
		T_CHECK("perm-008", sql("update apikey set permissions ="
		    " '{\"projects\":\"read,write\"}' where id = 'k_mia'"));
		decide(&kmia);
		T_EQ_STR("perm-009", d.reason, "permission_required");
		T_CHECK("perm-010", sql("update apikey set permissions ="
		    " '{\"projects\":[\"read\",\"write' where id = 'k_mia'"));
		decide(&kmia);
		T_EQ_STR("perm-011", d.reason, "permission_required");
		T_CHECK("perm-012", sql("update apikey set permissions ="
		    " '{\"x\":[\"y,projects:read,projects:write\"]}'"
		    " where id = 'k_mia'"));
		decide(&kmia);
		T_EQ_STR("perm-013", d.reason, "permission_required");
		T_CHECK("perm-014", sql("update apikey set permissions = NULL"
		    " where id = 'k_mia'"));
		decide(&kmia);
		T_EQ_STR("perm-015", d.reason, "permission_required");
		/* sessions: their role's rows */
		decide(&smia);
		T_EQ_STR("perm-020", d.reason, "permission_required");
		T_CHECK("perm-021", sql("insert into authgate_role_permission"
		    " values ('member', 'projects:read'), ('member',"
		    " 'projects:write'), ('guest', 'projects:read')"));
		decide(&smia);
		T_EQ_STR("perm-022", d.reason, "allow");
		decide(&smia);		/* a cache hit keeps them */
		T_EQ_STR("perm-023", d.reason, "allow");
		decide(&sgus);
		T_EQ_STR("perm-024", d.message,
		    "Forbidden - missing permission projects:write");
		T_CHECK("perm-025", sql("delete from authgate_role_permission"
		    " where role = 'member' and permission ="
		    " 'projects:write'"));
		decide(&smia);
		T_EQ_STR("perm-026", d.reason, "permission_required");
		/* a list that does not parse: an invalid rule, 503 for all */
		T_CHECK("perm-030", sql("update authgate_rule set"
		    " require_permission = 'projects' where id = 60"));
		decide(&member);
		T_EQ_STR("perm-031", d.reason, "rules_invalid");
		/* an authgate_rule without the column: nothing required; no
		 * role table: no role grants anything */
		drift("perm-032", "drop view authgate_rules; alter table"
		    " authgate_rule drop column"
		    " require_permission", "alter table authgate_rule add"
		    " column require_permission text", &sgus, 200, "allow");
		T_CHECK("perm-033", sql("update authgate_rule set"
		    " require_permission = 'projects:read' where id = 60"));
		decide(&sgus);
		T_EQ_STR("perm-034", d.reason, "allow");
		drift("perm-035", "alter table authgate_role_permission rename"
		    " to rp_off", "alter table rp_off rename to"
		    " authgate_role_permission", &sgus, 403,
		    "permission_required");
		T_CHECK("perm-036", sql("delete from authgate_rule where id ="
		    " 60"));
	}

	/* the identity cache: a second request is a hit, and every change
	 * made by another connection, or the clock, is seen by the next
	 * decision */
	{
		static const struct req post = { "POST", "/api/projects", MIA,
		    NULL, NULL, NULL };
		static const struct req key = { "GET", "/api/projects", NULL,
		    K_MIA, NULL, NULL };
		static const struct req brief = { "GET", "/api/projects",
		    "test-session-brief", NULL, NULL, NULL };
		static char cookie[512];
		struct authz_input in;
		char tok[256];
		size_t n;

		decide(&post);
		T_EQ_INT("cache-001", d.status, 200);
		decide(&post);
		T_EQ_INT("cache-002", d.status, 200);
		T_EQ_STR("cache-003", d.id.role, "member");
		T_CHECK("cache-004", sql("update member set role = 'guest'"
		    " where id = 'm_mia'"));
		decide(&post);
		T_EQ_INT("cache-005", d.status, 403);
		T_EQ_STR("cache-006", d.reason, "role_required");
		T_CHECK("cache-007", sql("update member set role = 'member'"
		    " where id = 'm_mia'"));
		decide(&post);
		T_EQ_INT("cache-008", d.status, 200);
		T_CHECK("cache-009", sql("update \"user\" set banned = 1,"
		    " banExpires = NULL where id = 'u_mia'"));
		decide(&post);
		T_EQ_STR("cache-010", d.reason, "user_banned");
		T_CHECK("cache-011", sql("update \"user\" set banned = 0"
		    " where id = 'u_mia'"));

		/* a snapshot taken by someone else (the health check) after
		 * a commit does not make the cache's old reading current */
		decide(&post);
		T_EQ_INT("cache-040", d.status, 200);
		T_CHECK("cache-041", sql("update member set role = 'guest'"
		    " where id = 'm_mia'"));
		T_CHECK("cache-042", authz_health(&az) == NULL);
		decide(&post);
		T_EQ_STR("cache-043", d.reason, "role_required");
		T_CHECK("cache-044", sql("update member set role = 'member'"
		    " where id = 'm_mia'"));

		/* the same token with another signature is not the entry */
		decide(&post);
		T_EQ_INT("cache-012", d.status, 200);
		n = cred_session_sign(MIA, strlen(MIA), (const unsigned char *)
		    "another-secret-0123456789abcdef0123", 35, tok,
		    sizeof(tok));
		snprintf(cookie, sizeof(cookie),
		    "better-auth.session_token=%.*s", (int)n, tok);
		memset(&in, 0, sizeof(in));
		in.method.p = "GET";
		in.method.n = 3;
		in.uri.p = "/api/projects";
		in.uri.n = strlen(in.uri.p);
		in.cookie.p = cookie;
		in.cookie.n = strlen(cookie);
		authz_decide(&az, &in, &d);
		T_EQ_STR("cache-013", d.reason, "session_bad_signature");

		/* keys: a hit, then a revocation */
		decide(&key);
		T_EQ_INT("cache-020", d.status, 200);
		decide(&key);
		T_EQ_INT("cache-021", d.status, 200);
		T_EQ_STR("cache-022", d.id.method, "api_key");
		T_CHECK("cache-023", sql("update apikey set enabled = 0 where"
		    " id = 'k_mia'"));
		decide(&key);
		T_EQ_STR("cache-024", d.reason, "api_key_disabled");
		T_CHECK("cache-025", sql("update apikey set enabled = 1 where"
		    " id = 'k_mia'"));

		/* a deleted session */
		T_CHECK("cache-030", sql("insert into session (id, token,"
		    " userId, expiresAt, activeOrganizationId, createdAt,"
		    " updatedAt) values ('s_brief', 'test-session-brief',"
		    " 'u_mia', strftime('%Y-%m-%dT%H:%M:%fZ', 'now',"
		    " '+1.2 seconds'), 'org_acme', '2026-01-01T00:00:00.000Z',"
		    " '2026-01-01T00:00:00.000Z')"));
		decide(&brief);
		T_EQ_INT("cache-031", d.status, 200);
		decide(&brief);
		T_EQ_INT("cache-032", d.status, 200);
		/* its expiry passes with no commit at all */
		usleep(1400 * 1000);
		decide(&brief);
		T_EQ_STR("cache-033", d.reason, "session_expired");
		T_CHECK("cache-034", sql("update session set expiresAt ="
		    " '2099-01-01T00:00:00.000Z' where id = 's_brief'"));
		decide(&brief);
		T_EQ_INT("cache-035", d.status, 200);
		T_CHECK("cache-036", sql("delete from session where id ="
		    " 's_brief'"));
		decide(&brief);
		T_EQ_STR("cache-037", d.reason, "session_unknown");
	}

	authz_fini(&az);
	store_close(s);
	sqlite3_close(db);
	return t_done("test_authz");
}
