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
 * The banned columns exist only with better-auth's admin plugin, and
 * activeOrganizationId only with its organization plugin. A variant per
 * shape (indexed [banned][banExpires][activeOrg]).
 * Invariant: banned without banExpires is banned with no end, never
 * "nobody is banned".
 */
#define SESSION_SQL(ban, exp, org) \
    "SELECT s.id, s.expiresAt, " org ", u.id, u.email, u.name, " ban ", " exp \
    " FROM session s JOIN \"user\" u ON u.id = s.userId WHERE s.token = ?1"
static const char *const sql_session[2][2][2] = {
	{ { SESSION_SQL("NULL", "NULL", "NULL"),
	    SESSION_SQL("NULL", "NULL", "s.activeOrganizationId") },
	  { SESSION_SQL("NULL", "NULL", "NULL"),
	    SESSION_SQL("NULL", "NULL", "s.activeOrganizationId") } },
	{ { SESSION_SQL("u.banned", "NULL", "NULL"),
	    SESSION_SQL("u.banned", "NULL", "s.activeOrganizationId") },
	  { SESSION_SQL("u.banned", "u.banExpires", "NULL"),
	    SESSION_SQL("u.banned", "u.banExpires", "s.activeOrganizationId") } },
};
#define USER_SQL(ban, exp) \
    "SELECT id, email, name, " ban ", " exp " FROM \"user\" WHERE id = ?1"
static const char *const sql_user[2][2] = {
	{ USER_SQL("NULL", "NULL"), USER_SQL("NULL", "NULL") },
	{ USER_SQL("banned", "NULL"), USER_SQL("banned", "banExpires") },
};
static const char sql_membership[] =
    "SELECT o.id, o.slug, m.id IS NOT NULL, m.role"
    " FROM organization o"
    " LEFT JOIN member m ON m.organizationId = o.id AND m.userId = ?2"
    " WHERE o.id = ?1"
    " ORDER BY m.createdAt LIMIT 1";
static const char sql_org[] = "SELECT 1 FROM organization WHERE id = ?1";

static const char sql_apikey_user[] =
    "SELECT k.id, k.userId, k.enabled, k.expiresAt, "
    DB_KEY_META("organizationId") ", " DB_KEY_META("role")
    " FROM apikey k WHERE k.key = ?1 OR k.key = ?2 LIMIT 1";
static const char sql_apikey_ref[] =
    "SELECT k.id, k.referenceId, k.enabled, k.expiresAt, "
    DB_KEY_META("organizationId") ", " DB_KEY_META("role")
    " FROM apikey k WHERE k.key = ?1 OR k.key = ?2 LIMIT 1";

/* One statement for the decision and the CLI's listing. */
static const char sql_rules[] =
    "SELECT id, priority, method, path, access, min_role, on_deny,"
    " redirect_to, note FROM authgate_rule ORDER BY priority, id";
static const char sql_key_role[] =
    "SELECT role FROM authgate_key_role WHERE key_id = ?1";
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
static const char *const cols_rule[] = { "id", "priority", "method", "path",
	"access", "min_role", "on_deny", "redirect_to", NULL };
static const char *const cols_org[] = { "id", "slug", NULL };
static const char *const cols_member[] = { "organizationId", "userId",
	"role", "createdAt", NULL };
static const char *const cols_apikey[] = { "id", "key", "enabled",
	"expiresAt", "metadata", NULL };
static const char *const cols_key_role[] = { "key_id", "role", NULL };

/*
 * Chooses the lookups that fit this schema. Called whenever
 * schema_version moves. Returns 0, or -1 when the schema is not one the
 * decision fully understands (problem recorded) or on error.
 */
static int
probe(struct store *s)
{
	int banned, ban_exp, active_org, org, member, key, ref;

	memset(&s->look, 0, sizeof(s->look));
	s->problem[0] = '\0';
	if (schema_table_ok(s, "user", cols_user, 1) != 1 ||
	    schema_table_ok(s, "session", cols_session, 1) != 1 ||
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
	if ((banned = schema_has_column(s, "user", "banned")) < 0 ||
	    (ban_exp = schema_has_column(s, "user", "banExpires")) < 0 ||
	    (active_org = schema_has_column(s, "session",
	    "activeOrganizationId")) < 0)
		return -1;
	if (key) {
		if ((ref = schema_has_column(s, "apikey", "referenceId")) < 0 ||
		    (!ref && schema_has_column(s, "apikey", "userId") != 1)) {
			if (ref >= 0)
				schema_problem(s, "table %s lacks column %s",
				    "apikey", "referenceId (or userId)");
			return -1;
		}
		s->look.apikey = ref ? sql_apikey_ref : sql_apikey_user;
	}
	/* authgate's own grants for organization keys: absent in a database
	 * from before it existed, which then gives such keys no role. */
	if ((s->look.key_roles = schema_table_ok(s, "authgate_key_role",
	    cols_key_role, 0)) < 0)
		return -1;
	s->look.orgs = org;
	s->look.session = sql_session[banned][ban_exp][active_org];
	s->look.user = sql_user[banned][ban_exp];
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
	if (sv != s->schema_version || s->look.session == NULL) {
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

/* Calls cb for each rule; with_note says whether note is passed on. */
static int
rules_each(struct store *s, int with_note,
    int (*cb)(void *ctx, const struct store_rule_row *row), void *ctx)
{
	sqlite3_stmt *st;
	struct store_rule_row r;
	int rc, ret = 1;

	if ((st = db_stmt(s, sql_rules)) == NULL)
		return schema_has_table(s, "authgate_rule") == 0 ? 0 : -1;
	while ((rc = db_step_row(s, st, "rules")) == 1) {
		memset(&r, 0, sizeof(r));
		r.t.id = sqlite3_column_int64(st, 0);
		r.t.priority = sqlite3_column_int64(st, 1);
		r.t.method = (const char *)sqlite3_column_text(st, 2);
		r.t.path = (const char *)sqlite3_column_text(st, 3);
		r.t.access = (const char *)sqlite3_column_text(st, 4);
		r.t.min_role = (const char *)sqlite3_column_text(st, 5);
		r.t.on_deny = (const char *)sqlite3_column_text(st, 6);
		r.t.redirect_to = (const char *)sqlite3_column_text(st, 7);
		if (with_note)
			r.note = (const char *)sqlite3_column_text(st, 8);
		if (cb(ctx, &r) != 0) {
			ret = -1;
			break;
		}
	}
	if (rc < 0)
		ret = -1;
	sqlite3_reset(st);
	return ret;
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

int
store_session_find(struct store *s, const char *token, size_t n,
    struct store_session *out)
{
	sqlite3_stmt *st;
	int rc;

	memset(out, 0, sizeof(*out));
	if (s->look.session == NULL ||
	    (st = db_stmt(s, s->look.session)) == NULL)
		return -1;
	sqlite3_bind_text(st, 1, token, (int)n, SQLITE_STATIC);
	if ((rc = db_step_row(s, st, "session lookup")) == 1) {
		db_col_text(st, 0, out->id, sizeof(out->id), &out->oversize);
		db_col_time(st, 1, &out->expires);
		db_col_text(st, 2, out->org_id, sizeof(out->org_id),
		    &out->oversize);
		user_from(st, 3, &out->user);
	}
	db_done(st);
	return rc;
}

int
store_user_find(struct store *s, const char *id, struct store_user *out)
{
	sqlite3_stmt *st;
	int rc;

	memset(out, 0, sizeof(*out));
	if (s->look.user == NULL || (st = db_stmt(s, s->look.user)) == NULL)
		return -1;
	db_bind_text(st, 1, id);
	if ((rc = db_step_row(s, st, "user lookup")) == 1)
		user_from(st, 0, out);
	db_done(st);
	return rc;
}

int
store_membership_find(struct store *s, const char *org_id,
    const char *user_id, struct store_membership *out)
{
	sqlite3_stmt *st;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!s->look.orgs)
		return 0;	/* no organization plugin: no organizations */
	if ((st = db_stmt(s, sql_membership)) == NULL)
		return -1;
	db_bind_text(st, 1, org_id);
	db_bind_text(st, 2, user_id);
	if ((rc = db_step_row(s, st, "membership lookup")) == 1) {
		db_col_text(st, 0, out->org_id, sizeof(out->org_id),
		    &out->oversize);
		db_col_text(st, 1, out->slug, sizeof(out->slug),
		    &out->oversize);
		out->member = sqlite3_column_int(st, 2) != 0;
		db_col_text(st, 3, out->roles, sizeof(out->roles),
		    &out->oversize);
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
	db_bind_text(st, 1, hash_b64url);
	db_bind_text(st, 2, hash_hex);
	if ((rc = db_step_row(s, st, "api key lookup")) == 1) {
		db_col_text(st, 0, out->id, sizeof(out->id), &out->oversize);
		db_col_text(st, 1, out->owner, sizeof(out->owner),
		    &out->oversize);
		out->enabled = db_col_bool(st, 2, 0);
		db_col_time(st, 3, &out->expires);
		db_col_text(st, 4, out->meta_org, sizeof(out->meta_org),
		    &out->oversize);
		db_col_text(st, 5, out->meta_role, sizeof(out->meta_role),
		    &out->oversize);
	}
	db_done(st);
	return rc;
}

int
store_key_role_find(struct store *s, const char *key_id, char *role,
    size_t rolesz)
{
	role[0] = '\0';
	if (!s->look.key_roles)
		return 0;	/* no grants table: no grants */
	return db_query_text(s, sql_key_role, key_id, NULL, role, rolesz);
}
