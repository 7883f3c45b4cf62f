/*
 * store_read.c - the decision's reads: one snapshot per request, the
 * rules, a session or API key with its user, a membership, a key's
 * granted role.
 *
 * Runs on read-only handles. Trusts the database's shape only after
 * checking it: the tables and columns the decision reads are probed
 * whenever the schema changes, and a shape it does not fully understand
 * refuses every request (STORE_ERR_SCHEMA) instead of guessing. The few
 * statements that differ between schema variants are chosen from
 * constant strings, never built from data.
 */
#include <stdio.h>
#include <string.h>

#include "db.h"
#include "store_read.h"

/*
 * The lookups, one statement per credential so that a session or key and
 * everything the decision needs of it come from one snapshot. Columns that
 * only some better-auth set-ups have give variants, chosen when the schema
 * is probed, all constant text:
 * - ban: the admin plugin's banned and banExpires columns (0: neither,
 *   1: banned only, 2: both). Invariant: banned without banExpires is
 *   banned with no end, never "nobody is banned".
 * - org: the organization plugin (organization, member, and the
 *   session's activeOrganizationId).
 * - the apikey owner column (referenceId, or userId in older schemas), and
 *   authgate's own authgate_key_role table.
 * A user's roles in an organization are all of their member rows there,
 * comma separated (one row in practice; the highest role counts).
 */
#define BAN0	"NULL, NULL"
#define BAN1	"u.banned, NULL"
#define BAN2	"u.banned, u.banExpires"
#define ROLES(org, user) \
    "(SELECT group_concat(m.role) FROM member m WHERE m.organizationId = " \
    org " AND m.userId = " user ")"

#define SESSION(ban, org, join) \
    "SELECT s.id, s.expiresAt, u.id, u.email, u.name, " ban ", " org \
    " FROM session s JOIN \"user\" u ON u.id = s.userId" join \
    " WHERE s.token = ?1"
#define S_ORG	"o.id, o.slug, " ROLES("o.id", "u.id")
#define S_JOIN	" LEFT JOIN organization o ON o.id = s.activeOrganizationId"
#define NO_ORG	"NULL, NULL, NULL"
static const char *const sql_session[3][2] = {
	{ SESSION(BAN0, NO_ORG, ""), SESSION(BAN0, S_ORG, S_JOIN) },
	{ SESSION(BAN1, NO_ORG, ""), SESSION(BAN1, S_ORG, S_JOIN) },
	{ SESSION(BAN2, NO_ORG, ""), SESSION(BAN2, S_ORG, S_JOIN) },
};

#define APIKEY(owner, ban, org, join, grant, quota) \
    "SELECT k.id, k." owner ", k.enabled, k.expiresAt, " \
    DB_KEY_META("role") ", u.id, u.email, u.name, " ban ", " org ", " \
    grant ", " quota " FROM apikey k LEFT JOIN \"user\" u ON u.id = k." \
    owner join " WHERE k.key = ?1"
#define K_ORG	"ko.id, ko.slug, mo.id, mo.slug, " ROLES("mo.id", "u.id")
#define K_JOIN(owner) \
    " LEFT JOIN organization ko ON ko.id = k." owner \
    " LEFT JOIN organization mo ON mo.id = " DB_KEY_META("organizationId")
#define K_NO_ORG "NULL, NULL, NULL, NULL, NULL"
#define GRANT	"(SELECT r.role FROM authgate_key_role r WHERE r.key_id = k.id)"
/*
 * better-auth's usage quota: remaining (NULL: unlimited) and its refill.
 * 0: no remaining column (a key table from before the quota: every key
 * unlimited); 1: remaining without the whole refill set (no refill);
 * 2: remaining, refillInterval, refillAmount, lastRefillAt, createdAt.
 */
#define NO_RATE	", NULL, NULL, NULL, NULL, NULL, NULL"
#define Q0	"NULL, NULL, NULL, NULL, NULL" NO_RATE
#define Q1	"k.remaining, NULL, NULL, NULL, NULL" NO_RATE
#define Q2R	"k.remaining, k.refillInterval, k.refillAmount," \
		" k.lastRefillAt, k.createdAt"
#define Q2	Q2R NO_RATE
/* 3: and the rate limit: rateLimitEnabled, rateLimitTimeWindow,
 * rateLimitMax, requestCount, lastRequest, updatedAt. */
#define Q3	Q2R ", k.rateLimitEnabled, k.rateLimitTimeWindow," \
		" k.rateLimitMax, k.requestCount, k.lastRequest, k.updatedAt"
#define KEYQ(owner, ban, org, join, grant) \
	{ APIKEY(owner, ban, org, join, grant, Q0), \
	  APIKEY(owner, ban, org, join, grant, Q1), \
	  APIKEY(owner, ban, org, join, grant, Q2), \
	  APIKEY(owner, ban, org, join, grant, Q3) }
#define KEYS(owner, ban) \
	{ { KEYQ(owner, ban, K_NO_ORG, "", "NULL"), \
	    KEYQ(owner, ban, K_NO_ORG, "", GRANT) }, \
	  { KEYQ(owner, ban, K_ORG, K_JOIN(owner), "NULL"), \
	    KEYQ(owner, ban, K_ORG, K_JOIN(owner), GRANT) } }
/* [owner is referenceId][ban][org plugin][grants table][quota] */
static const char *const sql_apikey[2][3][2][2][4] = {
	{ KEYS("userId", BAN0), KEYS("userId", BAN1), KEYS("userId", BAN2) },
	{ KEYS("referenceId", BAN0), KEYS("referenceId", BAN1),
	  KEYS("referenceId", BAN2) },
};
static const char sql_org[] = "SELECT 1 FROM organization WHERE id = ?1";
static const char sql_member[] = "SELECT o.id, o.slug, "
    ROLES("o.id", "?1") " FROM organization o WHERE o.id = ?2";

/*
 * Auth.js / NextAuth database sessions, in the tables of the official
 * SQLite adapters: Kysely's "Session" and "User", Drizzle's "session"
 * and "user". SQLite's table names ignore case, so these are the tables
 * better-auth calls session and user, and a database holds one shape or
 * the other (probe decides which, from the columns). sessionToken is the
 * cookie's value; expires is ISO-8601 text (Kysely) or epoch ms
 * (Drizzle), both read by db_col_time; Kysely keys a session by id,
 * Drizzle by the token itself, which is never shown: no id then.
 */
/*
 * authgate's own memberships (db/schema.sql, authgate_membership), for
 * the user id and address expressions uid and email: AG_FIRST is the id
 * of the identity's oldest row among those with its user id or, when it
 * has none, those with its address (the column ignores case); joined as
 * k, AG_ORG gives that row's organization and every role the identity
 * holds there: rows with k's user id, or, for a row by address, with k's
 * address (the table's check makes a row one or the other, so the OR
 * takes only rows of k's kind). Index searches, no temporary tables.
 * One text for both users: the Auth.js session statement (one statement,
 * one read lock) and store_read_authgate_member.
 */
#define AG_FIRST(uid, email) \
    "(SELECT m.id FROM authgate_membership m WHERE m.user_id = " uid \
    " OR (" email " <> '' AND m.email = " email " AND NOT EXISTS" \
    " (SELECT 1 FROM authgate_membership n WHERE n.user_id = " uid "))" \
    " ORDER BY m.id LIMIT 1)"
#define AG_ORG \
    "o.id, o.slug, (SELECT group_concat(x.role) FROM authgate_membership x" \
    " WHERE x.organization_id = k.organization_id AND" \
    " (x.user_id = k.user_id OR x.email = k.email))"
#define AG_JOIN(join) \
    " " join " authgate_membership k ON k.id = t.mid " join \
    " authgate_organization o ON o.id = k.organization_id"

#define AUTHJS_T(sid, ban, mid) \
    "SELECT " sid " AS sid, s.expires AS expires, u.id AS uid, u.email" \
    " AS email, u.name AS name, " ban ", " mid " AS mid" \
    " FROM session s JOIN \"user\" u ON u.id = s.userId" \
    " WHERE s.sessionToken = ?1"
#define AUTHJS_M(sid, ban) \
    "SELECT t.* , " AG_ORG " FROM (" \
    AUTHJS_T(sid, ban, AG_FIRST("u.id", "u.email")) ") t" AG_JOIN("LEFT JOIN")
#define AUTHJS_0(sid, ban) \
    "SELECT t.*, NULL, NULL, NULL FROM (" AUTHJS_T(sid, ban, "NULL") ") t"
#define AUTHJS(sid, ban) { AUTHJS_0(sid, ban), AUTHJS_M(sid, ban) }
/* [ban][session has id][authgate's membership tables] */
static const char *const sql_authjs[3][2][2] = {
	{ AUTHJS("NULL", BAN0), AUTHJS("s.id", BAN0) },
	{ AUTHJS("NULL", BAN1), AUTHJS("s.id", BAN1) },
	{ AUTHJS("NULL", BAN2), AUTHJS("s.id", BAN2) },
};
static const char sql_membership[] =
    "SELECT " AG_ORG " FROM (SELECT " AG_FIRST("?1", "?2") " AS mid) t"
    AG_JOIN("JOIN");

/*
 * One statement for the decision and the CLI's listing. An authgate_rule
 * from before require_permission (authgate init adds it) has no rule that
 * requires a permission: a column that is not there cannot hold a
 * requirement, so its absence hides none.
 */
#define RULES(perm) \
    "SELECT id, priority, method, path, access, min_role, on_deny," \
    " redirect_to, note, " perm " FROM authgate_rule ORDER BY priority, id"
static const char sql_rules_perm[] = RULES("require_permission");
static const char sql_rules_old[] = RULES("NULL");

/*
 * Permissions, as "resource:action" items, comma separated. A session's
 * come from its role in authgate_role_permission. A key's from its
 * better-auth permissions JSON ({"projects":["read","write"]}); anything
 * else (malformed JSON, a value that is not an array of strings, a name
 * holding ',' or ':' that could forge an item) grants nothing.
 */
static const char sql_role_perms[] =
    "SELECT group_concat(permission) FROM (SELECT DISTINCT permission"
    " FROM authgate_role_permission WHERE role = ?1 ORDER BY permission)";
static const char sql_key_perms[] =
    "SELECT group_concat(j.key || ':' || v.value) FROM apikey k,"
    " json_each(CASE WHEN json_valid(k.permissions) AND"
    " json_type(k.permissions) = 'object' THEN k.permissions END) j,"
    " json_each(j.value) v WHERE k.id = ?1 AND j.type = 'array' AND"
    " v.type = 'text' AND instr(j.key, ',') = 0 AND instr(j.key, ':') = 0"
    " AND instr(v.value, ',') = 0 AND instr(v.value, ':') = 0";
static const char sql_schema_version[] = "PRAGMA schema_version";
static const char sql_data_version[] = "PRAGMA data_version";

/*
 * The columns the decision reads. A table the decision needs must be
 * there with every listed column; an optional table (a better-auth plugin
 * that may be off) may be absent, but if it is there it must be whole.
 * Invariant: a schema the code does not fully understand is a 503 for
 * every request, never a silent default ("no rules", "nobody banned").
 */
static const char *const cols_user[] = { "id", "email", "name", NULL };
static const char *const cols_session[] = { "id", "token", "userId",
	"expiresAt", NULL };
static const char *const cols_authjs_session[] = { "sessionToken", "userId",
	"expires", NULL };
static const char *const cols_ag_org[] = { "id", "slug", NULL };
static const char *const cols_ag_membership[] = { "id", "user_id", "email",
	"organization_id", "role", NULL };
static const char *const cols_rule[] = { "id", "priority", "method", "path",
	"access", "min_role", "on_deny", "redirect_to", NULL };
static const char *const cols_org[] = { "id", "slug", NULL };
static const char *const cols_member[] = { "organizationId", "userId",
	"role", "createdAt", NULL };
static const char *const cols_apikey[] = { "id", "key", "enabled",
	"expiresAt", "metadata", NULL };
static const char *const cols_key_role[] = { "key_id", "role", NULL };
static const char *const cols_role_perm[] = { "role", "permission", NULL };

/* The refill columns (better-auth's refillInterval, refillAmount,
 * lastRefillAt; createdAt when lastRefillAt is NULL). */
static const char *const cols_refill[] = { "refillInterval",
	"refillAmount", "lastRefillAt", "createdAt", NULL };
/* The rate-limit columns; updatedAt tells a newer key object. */
static const char *const cols_rate[] = { "rateLimitEnabled",
	"rateLimitTimeWindow", "rateLimitMax", "requestCount", "lastRequest",
	"updatedAt", NULL };

/*
 * Which quota variant (Q0..Q3) the apikey table allows. Invariant: a
 * missing remaining column means "unlimited" only because better-auth
 * had no quota then; a missing refill column means no refill, which can
 * only keep an exhausted key exhausted. The rate-limit columns came with
 * the same plugin: a table with some of them, or with them but without
 * the quota's, is not one better-auth made (a limit the decision would
 * silently drop): a problem. 0..3, or -1 (error recorded).
 */
static int
key_quota(struct store *s)
{
	int rc, i, q = 2, nrate = 0;

	for (i = 0; cols_rate[i] != NULL; i++) {
		if ((rc = schema_has_column(s, "apikey", cols_rate[i])) < 0)
			return -1;
		nrate += rc;
	}
	if ((rc = schema_has_column(s, "apikey", "remaining")) < 0)
		return -1;
	if (rc == 0)
		q = 0;
	for (i = 0; q == 2 && cols_refill[i] != NULL; i++)
		if ((rc = schema_has_column(s, "apikey", cols_refill[i])) <= 0) {
			if (rc < 0)
				return -1;
			q = 1;
		}
	/* updatedAt alone is not a rate limit (every version has it) */
	if (nrate == 0 || (nrate == 1 && schema_has_column(s, "apikey",
	    "updatedAt") == 1))
		return q;
	if (nrate != 6 || q != 2) {
		schema_problem(s, "table apikey has only part of better-auth's"
		    " rate-limit and quota columns");
		return -1;
	}
	return 3;
}

/*
 * Which sessions the session table holds: better-auth's (token,
 * expiresAt) or an Auth.js adapter's (sessionToken, expires). Invariant:
 * a table with both token columns is ambiguous (which one signs people
 * in?) and refused; one with neither is reported by schema_table_ok as
 * better-auth's table lacking its column. STORE_SHAPE_* or -1 (recorded).
 */
int
store_session_shape(struct store *s)
{
	int ba, aj;

	if ((ba = schema_has_column(s, "session", "token")) < 0 ||
	    (aj = schema_has_column(s, "session", "sessionToken")) < 0)
		return -1;
	if (ba && aj) {
		schema_problem(s, "table session has both token (better-auth)"
		    " and sessionToken (Auth.js): ambiguous");
		return -1;
	}
	return aj ? STORE_SHAPE_AUTHJS : STORE_SHAPE_BETTER_AUTH;
}

/*
 * Chooses the lookups that fit this schema. Called whenever
 * schema_version moves. Returns 0, or -1 when the schema is not one the
 * decision fully understands (problem recorded) or on error.
 */
static int
probe(struct store *s)
{
	int banned, ban_exp, active_org, org, member, key, ref = 1, grants;
	int ban, quota, rc, shape, sid = 0, ag_org, ag_mem;

	memset(&s->look, 0, sizeof(s->look));
	s->problem[0] = '\0';
	if ((shape = store_session_shape(s)) < 0 ||
	    schema_table_ok(s, "user", cols_user, 1) != 1 ||
	    schema_table_ok(s, "session", shape == STORE_SHAPE_AUTHJS ?
	    cols_authjs_session : cols_session, 1) != 1 ||
	    schema_table_ok(s, "authgate_rule", cols_rule, 1) != 1 ||
	    (org = schema_table_ok(s, "organization", cols_org, 0)) < 0 ||
	    (member = schema_table_ok(s, "member", cols_member, 0)) < 0 ||
	    (key = schema_table_ok(s, "apikey", cols_apikey, 0)) < 0)
		return -1;
	if (org != member) {
		schema_problem(s, "table %s is there without table %s",
		    org ? "organization" : "member", org ? "member" :
		    "organization");
		return -1;
	}
	/* authgate's memberships (Auth.js identities): absent in a database
	 * from before them, which then gives such identities no role */
	if ((ag_org = schema_table_ok(s, "authgate_organization", cols_ag_org,
	    0)) < 0 || (ag_mem = schema_table_ok(s, "authgate_membership",
	    cols_ag_membership, 0)) < 0)
		return -1;
	if (ag_org != ag_mem) {
		schema_problem(s, "table %s is there without table %s",
		    ag_org ? "authgate_organization" : "authgate_membership",
		    ag_org ? "authgate_membership" : "authgate_organization");
		return -1;
	}
	if (shape == STORE_SHAPE_AUTHJS &&
	    (sid = schema_has_column(s, "session", "id")) < 0)
		return -1;
	if ((banned = schema_has_column(s, "user", "banned")) < 0 ||
	    (ban_exp = schema_has_column(s, "user", "banExpires")) < 0 ||
	    (active_org = schema_has_column(s, "session",
	    "activeOrganizationId")) < 0)
		return -1;
	ban = banned ? 1 + ban_exp : 0;
	/* authgate's own grants for organization keys: absent in a database
	 * from before it existed, which then gives such keys no role. */
	if ((grants = schema_table_ok(s, "authgate_key_role", cols_key_role,
	    0)) < 0)
		return -1;
	/* the rule column and the role table came with issue 12: without
	 * them no rule requires a permission and no role grants one */
	if ((rc = schema_has_column(s, "authgate_rule",
	    "require_permission")) < 0 ||
	    (s->look.role_perms = schema_table_ok(s,
	    "authgate_role_permission", cols_role_perm, 0)) < 0)
		return -1;
	s->look.rules = rc ? sql_rules_perm : sql_rules_old;
	if (key) {
		if ((ref = schema_has_column(s, "apikey", "referenceId")) < 0 ||
		    (!ref && schema_has_column(s, "apikey", "userId") != 1)) {
			if (ref >= 0)
				schema_problem(s, "table %s lacks column %s",
				    "apikey", "referenceId (or userId)");
			return -1;
		}
		if ((quota = key_quota(s)) < 0)
			return -1;
		if ((s->look.key_perms = schema_has_column(s, "apikey",
		    "permissions")) < 0)
			return -1;
		s->look.apikey = sql_apikey[ref][ban][org][grants][quota];
	}
	s->look.orgs = org;
	s->look.memberships = ag_mem;
	if (shape == STORE_SHAPE_AUTHJS)
		s->look.authjs = sql_authjs[ban][sid][ag_mem];
	else
		s->look.session = sql_session[ban][org && active_org];
	s->look.probed = 1;
	return 0;
}

/* Runs a one-integer pragma. Returns 0, or -1 (recorded). */
static int
pragma_int(struct store *s, const char *sql, long long *v)
{
	sqlite3_stmt *st = db_stmt(s, sql);
	int rc;

	if (st == NULL)
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*v = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (rc != SQLITE_ROW) {
		db_err(s, sql, rc);
		return -1;
	}
	return 0;
}

int
store_read_begin(struct store *s, int *changed)
{
	long long dv = 0, sv = 0;

	*changed = 0;
	/* the mark before the snapshot: a commit after it only makes
	 * store_unchanged say "changed" once too often, never too seldom */
	db_note(s);
	if (db_begin(s, DB_TX_READ) != 0)
		goto fail;
	/* schema_version reads the file: this is where a missing, locked or
	 * corrupt database shows itself. */
	if (pragma_int(s, sql_schema_version, &sv) != 0 ||
	    pragma_int(s, sql_data_version, &dv) != 0)
		goto fail_tx;
	if (sv == s->bad_schema) {
		/* Known unusable: refuse at once, without probing or logging
		 * again, until the schema changes. */
		db_fail(s, STORE_ERR_SCHEMA, "%s", s->problem);
		db_abort(s);
		return -1;
	}
	if (sv != s->schema_version || !s->look.probed) {
		if (probe(s) != 0) {
			if (s->last_kind == STORE_ERR_SCHEMA) {
				s->bad_schema = sv;
				db_abort(s);
				return -1;
			}
			goto fail_tx;
		}
		s->schema_version = sv;
		s->bad_schema = -1;
		*changed = 1;
	}
	if (dv != s->data_version) {
		s->data_version = dv;
		*changed = 1;
	}
	return 0;

fail_tx:
	db_abort(s);
fail:
	/* Reconnect next time: the file may have been replaced or fixed. */
	db_disconnect(s);
	return -1;
}

unsigned long
store_generation(const struct store *s)
{
	return s->generation + 1;
}

int
store_unchanged(struct store *s)
{
	return s->look.probed && db_unchanged(s);
}

void
store_read_end(struct store *s)
{
	if (s->in_tx)
		db_abort(s);	/* a read: ending it is all there is to do */
}

const char *
store_schema_problem(const struct store *s)
{
	return s->problem;
}

int
store_decision_check(struct store *s)
{
	int quiet = s->quiet, rc;

	s->quiet = 1;
	rc = probe(s);
	s->quiet = quiet;
	s->schema_version = -1;		/* probed again by the next read */
	return rc;
}

struct rule_walk {
	int		with_note;
	int		(*cb)(void *ctx, const struct store_rule_row *row);
	void		*ctx;
};

static int
rule_row(void *ctx, sqlite3_stmt *st)
{
	struct rule_walk *w = ctx;
	struct store_rule_row r;

	memset(&r, 0, sizeof(r));
	r.t.id = sqlite3_column_int64(st, 0);
	r.t.priority = sqlite3_column_int64(st, 1);
	r.t.method = (const char *)sqlite3_column_text(st, 2);
	r.t.path = (const char *)sqlite3_column_text(st, 3);
	r.t.access = (const char *)sqlite3_column_text(st, 4);
	r.t.min_role = (const char *)sqlite3_column_text(st, 5);
	r.t.on_deny = (const char *)sqlite3_column_text(st, 6);
	r.t.redirect_to = (const char *)sqlite3_column_text(st, 7);
	r.t.require_permission = (const char *)sqlite3_column_text(st, 9);
	if (w->with_note)
		r.note = (const char *)sqlite3_column_text(st, 8);
	return w->cb(w->ctx, &r);
}

/* Calls cb for each rule; with_note says whether note is passed on.
 * 1 when every rule was passed on, 0 without a rules table, -1 on an
 * error or when cb stopped the walk. */
static int
rules_each(struct store *s, int with_note,
    int (*cb)(void *ctx, const struct store_rule_row *row), void *ctx)
{
	struct rule_walk w = { with_note, cb, ctx };
	sqlite3_stmt *st;
	const char *sql = s->look.rules;
	int rc;

	if (sql == NULL) {	/* the CLI, without a decision's probe */
		if ((rc = schema_has_column(s, "authgate_rule",
		    "require_permission")) < 0)
			return -1;
		sql = rc ? sql_rules_perm : sql_rules_old;
	}
	if ((st = db_stmt(s, sql)) == NULL)
		return schema_has_table(s, "authgate_rule") == 0 ? 0 : -1;
	return db_each(s, st, "rules", rule_row, &w) < 0 ? -1 : 1;
}

int
store_rules_load(struct store *s,
    int (*cb)(void *ctx, const struct store_rule_row *row), void *ctx)
{
	return rules_each(s, 0, cb, ctx);
}

int
store_rules_list(struct store *s,
    int (*cb)(void *ctx, const struct store_rule_row *row), void *ctx)
{
	return rules_each(s, 1, cb, ctx);
}

static void
user_from(sqlite3_stmt *st, int c, struct store_user *u)
{
	db_col_text(st, c, u->id, sizeof(u->id), &u->oversize);
	db_col_text(st, c + 1, u->email, sizeof(u->email), &u->oversize);
	db_col_text(st, c + 2, u->name, sizeof(u->name), &u->oversize);
	u->banned = db_col_bool(st, c + 3, 0);
	db_col_time(st, c + 4, &u->ban_expires);
}

/* An organization's id and slug, and (with roles) a user's member rows. */
static void
org_from(sqlite3_stmt *st, int c, int roles, struct store_membership *m)
{
	db_col_text(st, c, m->org_id, sizeof(m->org_id), &m->oversize);
	db_col_text(st, c + 1, m->slug, sizeof(m->slug), &m->oversize);
	if (roles < 0)
		return;
	m->member = sqlite3_column_type(st, roles) != SQLITE_NULL;
	db_col_text(st, roles, m->roles, sizeof(m->roles), &m->oversize);
}

int
store_session_find(struct store *s, const char *token, size_t n,
    struct store_session *out)
{
	sqlite3_stmt *st;
	int rc;

	memset(out, 0, sizeof(*out));
	if (s->look.session == NULL)
		return s->look.probed ? 0 : -1;	/* an Auth.js database */
	if ((st = db_stmt(s, s->look.session)) == NULL)
		return -1;
	sqlite3_bind_text(st, 1, token, (int)n, SQLITE_STATIC);
	if ((rc = db_step_row(s, st, "session lookup")) == 1) {
		db_col_text(st, 0, out->id, sizeof(out->id), &out->oversize);
		db_col_time(st, 1, &out->expires);
		user_from(st, 2, &out->user);
		org_from(st, 7, 9, &out->org);
	}
	db_done(st);
	return rc;
}

int
store_member_find(struct store *s, const char *user_id, const char *org_id,
    struct store_membership *m)
{
	sqlite3_stmt *st;
	int rc;

	memset(m, 0, sizeof(*m));
	if (!s->look.orgs)
		return 0;
	if ((st = db_stmt(s, sql_member)) == NULL)
		return -1;
	sqlite3_bind_text(st, 1, user_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, org_id, -1, SQLITE_STATIC);
	if ((rc = db_step_row(s, st, "member lookup")) == 1)
		org_from(st, 0, 2, m);
	db_done(st);
	return rc;
}

int
store_authjs_session_find(struct store *s, const char *token, size_t n,
    struct store_session *out)
{
	sqlite3_stmt *st;
	int rc;

	memset(out, 0, sizeof(*out));
	if (s->look.authjs == NULL)
		return s->look.probed ? 0 : -1;	/* better-auth's tables */
	if ((st = db_stmt(s, s->look.authjs)) == NULL)
		return -1;
	sqlite3_bind_text(st, 1, token, (int)n, SQLITE_STATIC);
	if ((rc = db_step_row(s, st, "auth.js session lookup")) == 1) {
		db_col_text(st, 0, out->id, sizeof(out->id), &out->oversize);
		db_col_time(st, 1, &out->expires);
		user_from(st, 2, &out->user);
		org_from(st, 8, 10, &out->org);	/* 7 is the row's id */
	}
	db_done(st);
	return rc;
}

int
store_read_authgate_member(struct store *s, const char *user_id,
    const char *email, struct store_membership *out)
{
	sqlite3_stmt *st;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!s->look.memberships)
		return s->look.probed ? 0 : -1;	/* no such tables */
	if ((st = db_stmt(s, sql_membership)) == NULL)
		return -1;
	db_bind_text(st, 1, user_id);
	db_bind_text(st, 2, email != NULL ? email : "");
	if ((rc = db_step_row(s, st, "membership lookup")) == 1) {
		org_from(st, 0, 2, out);
	}
	db_done(st);
	return rc;
}

int
store_org_exists(struct store *s, const char *id)
{
	if (!s->look.orgs && schema_has_table(s, "organization") != 1)
		return 0;
	return db_query_text(s, sql_org, id, NULL, NULL, 0);
}

/* A count column: 1 with *v set for an integer, 0 for NULL, -1 for
 * anything else (text, a fraction, a blob). */
static int
col_count(sqlite3_stmt *st, int col, long long *v)
{
	*v = 0;
	switch (sqlite3_column_type(st, col)) {
	case SQLITE_NULL:
		return 0;
	case SQLITE_INTEGER:
		*v = sqlite3_column_int64(st, col);
		return 1;
	default:
		return -1;
	}
}

/* Whether a column holds an explicit false (0, "0", "false"): better-
 * auth turns a key's rate limit off only so; NULL or anything else
 * leaves it on. */
static int
col_false(sqlite3_stmt *st, int col)
{
	const char *t;

	switch (sqlite3_column_type(st, col)) {
	case SQLITE_INTEGER:
	case SQLITE_FLOAT:
		return sqlite3_column_int64(st, col) == 0;
	case SQLITE_TEXT:
		t = (const char *)sqlite3_column_text(st, col);
		return t != NULL && (strcmp(t, "0") == 0 ||
		    strcmp(t, "false") == 0);
	default:
		return 0;
	}
}

/* remaining, refillInterval, refillAmount, lastRefillAt, createdAt,
 * then the rate limit's six, from column c on. A value that is not a
 * count reads as "bad" (remaining, a rate limit's window, max or count)
 * or "no refill" (the refill pair): all of them can only deny. */
static void
quota_from(sqlite3_stmt *st, int c, struct store_key_quota *q)
{
	int rc, w, m, n;

	memset(q, 0, sizeof(*q));
	rc = col_count(st, c, &q->remaining);
	q->limited = rc != 0;
	q->bad = rc < 0;
	if (col_count(st, c + 1, &q->refill_interval) < 0 ||
	    col_count(st, c + 2, &q->refill_amount) < 0)
		q->refill_interval = q->refill_amount = 0;
	db_col_time(st, c + 3, &q->last_refill);
	db_col_time(st, c + 4, &q->created);
	q->rate_enabled = !col_false(st, c + 5);
	w = col_count(st, c + 6, &q->rate_window);
	m = col_count(st, c + 7, &q->rate_max);
	n = col_count(st, c + 8, &q->request_count);
	db_col_time(st, c + 9, &q->last_request);
	db_col_time(st, c + 10, &q->updated);
	q->rate_on = q->rate_enabled && w > 0 && m > 0;
	if (q->rate_on && (n < 0 || q->rate_window < 0 || q->rate_max < 0 ||
	    q->last_request.bad))
		q->bad = 1;
	if (w < 0 || m < 0)
		q->bad = 1;
}

/* One probe of the key statement with one hash form. */
static int
apikey_probe(struct store *s, sqlite3_stmt *st, const char *hash,
    struct store_apikey *out)
{
	int rc;

	memset(out, 0, sizeof(*out));
	db_bind_text(st, 1, hash);
	if ((rc = db_step_row(s, st, "api key lookup")) == 1) {
		db_col_text(st, 0, out->id, sizeof(out->id), &out->oversize);
		db_col_text(st, 1, out->owner, sizeof(out->owner),
		    &out->oversize);
		out->enabled = db_col_bool(st, 2, 0);
		db_col_time(st, 3, &out->expires);
		db_col_text(st, 4, out->meta_role, sizeof(out->meta_role),
		    &out->oversize);
		user_from(st, 5, &out->user);
		org_from(st, 10, -1, &out->owner_org);
		org_from(st, 12, 14, &out->meta_org);
		db_col_text(st, 15, out->grant, sizeof(out->grant),
		    &out->oversize);
		quota_from(st, 16, &out->quota);
	}
	db_done(st);
	return rc;
}

int
store_apikey_find(struct store *s, const char *hash_b64url,
    const char *hash_hex, struct store_apikey *out)
{
	sqlite3_stmt *st;
	int rc;

	memset(out, 0, sizeof(*out));
	if (s->look.apikey == NULL)
		return 0;	/* no api-key plugin: no keys */
	if ((st = db_stmt(s, s->look.apikey)) == NULL)
		return -1;
	/* better-auth's base64url first; the hex form of Optare's docs
	 * second (two index probes: an OR would build a temporary table) */
	if ((rc = apikey_probe(s, st, hash_b64url, out)) != 0)
		return rc;
	return apikey_probe(s, st, hash_hex, out);
}

/* The quota columns of each variant, for one key by id (the CLI). */
#define KEY_QUOTA(q)	"SELECT " q " FROM apikey k WHERE k.id = ?1"
static const char *const sql_key_quota[4] = { KEY_QUOTA(Q0), KEY_QUOTA(Q1),
	KEY_QUOTA(Q2), KEY_QUOTA(Q3) };

int
store_key_quota(struct store *s, const char *id, struct store_key_quota *q)
{
	sqlite3_stmt *st;
	int v, rc;

	memset(q, 0, sizeof(*q));
	if ((v = schema_has_table(s, "apikey")) <= 0)
		return v;
	if ((v = key_quota(s)) < 0 || (st = db_stmt(s, sql_key_quota[v])) ==
	    NULL)
		return -1;
	db_bind_text(st, 1, id);
	if ((rc = db_step_row(s, st, "key quota")) == 1)
		quota_from(st, 0, q);
	db_done(st);
	return rc;
}

int
store_permissions(struct store *s, int of_key, const char *id, char *out,
    size_t outsz)
{
	int rc;

	out[0] = '\0';
	if (of_key ? !s->look.key_perms : !s->look.role_perms)
		return 0;
	rc = db_query_text(s, of_key ? sql_key_perms : sql_role_perms, id,
	    NULL, out, outsz);
	if (rc <= 0)
		out[0] = '\0';
	return rc < 0 ? -1 : 0;
}
