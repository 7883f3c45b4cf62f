/*
 * store.c - every SQL statement authgate runs, and the connection that
 * runs them.
 *
 * Owns one sqlite3 connection per process and its statements, prepared
 * once (SQLITE_PREPARE_PERSISTENT) and reset after each use. Trusts the
 * file only as far as SQLite does: defensive mode, untrusted schema,
 * values copied out with bounds and flagged when they do not fit. Never
 * builds SQL from data: the few statements that differ between schema
 * variants are chosen from constant strings.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "log.h"
#include "store.h"
#include "util.h"

enum stmt_id {
	Q_DATA_VERSION,
	Q_SCHEMA_VERSION,
	Q_BEGIN,
	Q_COMMIT,
	Q_ROLLBACK,
	Q_RULES,
	Q_SESSION,
	Q_USER,
	Q_MEMBERSHIP,
	Q_ORG,
	Q_APIKEY,
	Q_COUNT
};

struct store {
	sqlite3		*db;
	char		*path;
	enum store_mode	 mode;
	sqlite3_stmt	*q[Q_COUNT];
	long long	 data_version;	/* last seen; -1 before first use */
	long long	 schema_version;
	int		 in_read;
};

/* The banned columns exist only with better-auth's admin plugin. */
static const char sql_session_banned[] =
    "SELECT s.id, s.expiresAt, s.activeOrganizationId,"
    " u.id, u.email, u.name, u.banned, u.banExpires"
    " FROM session s JOIN \"user\" u ON u.id = s.userId"
    " WHERE s.token = ?1";
static const char sql_session_plain[] =
    "SELECT s.id, s.expiresAt, s.activeOrganizationId,"
    " u.id, u.email, u.name, NULL, NULL"
    " FROM session s JOIN \"user\" u ON u.id = s.userId"
    " WHERE s.token = ?1";
static const char sql_user_banned[] =
    "SELECT id, email, name, banned, banExpires FROM \"user\" WHERE id = ?1";
static const char sql_user_plain[] =
    "SELECT id, email, name, NULL, NULL FROM \"user\" WHERE id = ?1";
static const char sql_membership[] =
    "SELECT o.id, o.slug, m.id IS NOT NULL, m.role"
    " FROM organization o"
    " LEFT JOIN member m ON m.organizationId = o.id AND m.userId = ?2"
    " WHERE o.id = ?1"
    " ORDER BY m.createdAt LIMIT 1";
static const char sql_org[] = "SELECT 1 FROM organization WHERE id = ?1";

/*
 * metadata is JSON text; some better-auth versions store it encoded
 * twice (a JSON string holding JSON). json_valid guards json_extract,
 * which would otherwise fail the whole statement on a bad row.
 */
#define META(field) \
    "CASE WHEN json_valid(k.metadata) THEN" \
    " CASE WHEN json_type(k.metadata) = 'text'" \
    "  AND json_valid(json_extract(k.metadata, '$'))" \
    " THEN json_extract(json_extract(k.metadata, '$'), '$." field "')" \
    " ELSE json_extract(k.metadata, '$." field "') END END"

static const char sql_apikey_user[] =
    "SELECT k.id, k.userId, k.enabled, k.expiresAt, "
    META("organizationId") ", " META("role")
    " FROM apikey k WHERE k.key = ?1 OR k.key = ?2 LIMIT 1";
static const char sql_apikey_ref[] =
    "SELECT k.id, k.referenceId, k.enabled, k.expiresAt, "
    META("organizationId") ", " META("role")
    " FROM apikey k WHERE k.key = ?1 OR k.key = ?2 LIMIT 1";

static const char sql_rules[] =
    "SELECT id, priority, method, path, access, min_role, on_deny,"
    " redirect_to FROM authgate_rule ORDER BY priority, id";

static void
store_err(struct store *s, const char *what, int rc)
{
	log_msg("store: %s failed: %s (%d): %s", what, sqlite3_errstr(rc), rc,
	    s->db ? sqlite3_errmsg(s->db) : "-");
}

static void
finalize_all(struct store *s)
{
	int i;

	for (i = 0; i < Q_COUNT; i++) {
		sqlite3_finalize(s->q[i]);
		s->q[i] = NULL;
	}
}

static void
disconnect(struct store *s)
{
	finalize_all(s);
	if (s->db != NULL)
		sqlite3_close(s->db);
	s->db = NULL;
	s->in_read = 0;
	s->data_version = -1;
	s->schema_version = -1;
}

static int
prepare(struct store *s, enum stmt_id id, const char *sql)
{
	int rc;

	sqlite3_finalize(s->q[id]);
	s->q[id] = NULL;
	rc = sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
	    &s->q[id], NULL);
	if (rc != SQLITE_OK) {
		store_err(s, "prepare", rc);
		return -1;
	}
	return 0;
}

/* 1 if table has column, 0 if not, -1 on error. */
static int
has_column(struct store *s, const char *table, const char *column)
{
	sqlite3_stmt *st = NULL;
	int rc, found = -1;

	rc = sqlite3_prepare_v2(s->db,
	    "SELECT 1 FROM pragma_table_info(?1) WHERE name = ?2", -1, &st,
	    NULL);
	if (rc != SQLITE_OK)
		goto out;
	sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, column, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		found = 1;
	else if (rc == SQLITE_DONE)
		found = 0;
out:
	if (found < 0)
		store_err(s, "schema probe", rc);
	sqlite3_finalize(st);
	return found;
}

/*
 * Prepares the lookups that depend on which tables and columns exist.
 * Called on connect and whenever schema_version moves. Returns 0, or -1
 * when the database lacks better-auth's session/user tables.
 */
static int
prepare_lookups(struct store *s)
{
	int banned, t;
	enum stmt_id id;

	for (id = Q_RULES; id < Q_COUNT; id++) {
		sqlite3_finalize(s->q[id]);
		s->q[id] = NULL;
	}
	if ((t = has_column(s, "session", "token")) != 1 ||
	    has_column(s, "user", "email") != 1) {
		if (t >= 0)
			log_msg("store: no better-auth session/user tables;"
			    " run 'authgate init'");
		return -1;
	}
	if ((banned = has_column(s, "user", "banned")) < 0)
		return -1;
	if (banned && has_column(s, "user", "banExpires") != 1)
		banned = 0;
	if (prepare(s, Q_SESSION, banned ? sql_session_banned :
	    sql_session_plain) || prepare(s, Q_USER, banned ?
	    sql_user_banned : sql_user_plain))
		return -1;

	if (has_column(s, "member", "role") == 1 &&
	    has_column(s, "organization", "slug") == 1) {
		if (prepare(s, Q_MEMBERSHIP, sql_membership) ||
		    prepare(s, Q_ORG, sql_org))
			return -1;
	}
	if (has_column(s, "apikey", "key") == 1) {
		if (has_column(s, "apikey", "userId") == 1) {
			if (prepare(s, Q_APIKEY, sql_apikey_user))
				return -1;
		} else if (has_column(s, "apikey", "referenceId") == 1) {
			if (prepare(s, Q_APIKEY, sql_apikey_ref))
				return -1;
		}
	}
	if (has_column(s, "authgate_rule", "access") == 1 &&
	    prepare(s, Q_RULES, sql_rules))
		return -1;
	return 0;
}

/*
 * Opens the connection and the statements every mode needs. Returns 0,
 * or -1 with the reason in err (the caller decides whether to log it).
 */
static int
connect_db(struct store *s, char *err, size_t errsz)
{
	int flags, rc, on = 1, off = 0;

	flags = s->mode == STORE_READONLY ? SQLITE_OPEN_READONLY :
	    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
	rc = sqlite3_open_v2(s->path, &s->db, flags | SQLITE_OPEN_NOMUTEX,
	    NULL);
	if (rc != SQLITE_OK) {
		snprintf(err, errsz, "cannot open database %s: %s", s->path,
		    sqlite3_errstr(rc));
		disconnect(s);
		return -1;
	}
	sqlite3_extended_result_codes(s->db, 1);
	sqlite3_db_config(s->db, SQLITE_DBCONFIG_DEFENSIVE, on, NULL);
	sqlite3_db_config(s->db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, off, NULL);
	sqlite3_db_config(s->db, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, off,
	    NULL);
	sqlite3_busy_timeout(s->db, s->mode == STORE_READONLY ?
	    STORE_READ_BUSY_MS : STORE_WRITE_BUSY_MS);
	if (prepare(s, Q_DATA_VERSION, "PRAGMA data_version") ||
	    prepare(s, Q_SCHEMA_VERSION, "PRAGMA schema_version") ||
	    prepare(s, Q_BEGIN, "BEGIN") ||
	    prepare(s, Q_COMMIT, "COMMIT") ||
	    prepare(s, Q_ROLLBACK, "ROLLBACK")) {
		snprintf(err, errsz, "cannot prepare statements on %s",
		    s->path);
		disconnect(s);
		return -1;
	}
	s->data_version = -1;
	s->schema_version = -1;
	return 0;
}

int
store_open(struct store **out, const char *path, enum store_mode mode,
    char *err, size_t errsz)
{
	struct store *s;

	*out = NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (s->path = strdup(path)) == NULL) {
		free(s);
		snprintf(err, errsz, "out of memory");
		return -1;
	}
	s->mode = mode;
	s->data_version = -1;
	s->schema_version = -1;
	if (mode == STORE_READWRITE && connect_db(s, err, errsz) != 0) {
		store_close(s);
		return -1;
	}
	*out = s;
	return 0;
}

void
store_close(struct store *s)
{
	if (s == NULL)
		return;
	disconnect(s);
	free(s->path);
	free(s);
}

/* Runs a one-row integer pragma statement. Returns 0, or the error rc. */
static int
step_int(sqlite3_stmt *st, long long *v)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW) {
		*v = sqlite3_column_int64(st, 0);
		rc = SQLITE_OK;
	}
	sqlite3_reset(st);
	return rc;
}

static void
step_simple(struct store *s, enum stmt_id id)
{
	sqlite3_step(s->q[id]);
	sqlite3_reset(s->q[id]);
}

int
store_read_begin(struct store *s, int *changed)
{
	char err[PATH_MAX + 128];
	long long dv = 0, sv = 0;
	int rc;

	*changed = 0;
	if (s->db == NULL && connect_db(s, err, sizeof(err)) != 0) {
		log_msg("store: %s", err);
		return -1;
	}
	rc = sqlite3_step(s->q[Q_BEGIN]);
	sqlite3_reset(s->q[Q_BEGIN]);
	if (rc != SQLITE_DONE) {
		store_err(s, "begin", rc);
		goto fail;
	}
	/* schema_version reads the file: this is where a missing, locked or
	 * corrupt database shows itself. */
	if ((rc = step_int(s->q[Q_SCHEMA_VERSION], &sv)) != SQLITE_OK) {
		store_err(s, "schema_version", rc);
		goto fail_tx;
	}
	if ((rc = step_int(s->q[Q_DATA_VERSION], &dv)) != SQLITE_OK) {
		store_err(s, "data_version", rc);
		goto fail_tx;
	}
	if (sv != s->schema_version || s->q[Q_SESSION] == NULL) {
		if (prepare_lookups(s) != 0)
			goto fail_tx;
		s->schema_version = sv;
		*changed = 1;
	}
	if (dv != s->data_version) {
		s->data_version = dv;
		*changed = 1;
	}
	s->in_read = 1;
	return 0;

fail_tx:
	step_simple(s, Q_ROLLBACK);
fail:
	/* Reconnect next time: the file may have been replaced or fixed. */
	disconnect(s);
	return -1;
}

void
store_read_end(struct store *s)
{
	if (s->db == NULL || !s->in_read)
		return;
	step_simple(s, Q_COMMIT);
	s->in_read = 0;
}

/* Copies a text column; sets *oversize when it does not fit. */
static void
col_text(sqlite3_stmt *st, int col, char *dst, size_t dstsz, int *oversize)
{
	const unsigned char *t = sqlite3_column_text(st, col);
	size_t n = (size_t)sqlite3_column_bytes(st, col);

	if (t == NULL) {
		dst[0] = '\0';
		return;
	}
	if (util_copy(dst, dstsz, (const char *)t, n) != 0 ||
	    strlen(dst) != n)	/* an embedded NUL is as bad as too long */
		*oversize = 1;
}

/* Booleans: INTEGER 0/1 (better-auth), or text "true"/"1". */
static int
col_bool(sqlite3_stmt *st, int col, int null_value)
{
	const unsigned char *t;

	switch (sqlite3_column_type(st, col)) {
	case SQLITE_NULL:
		return null_value;
	case SQLITE_INTEGER:
	case SQLITE_FLOAT:
		return sqlite3_column_int64(st, col) != 0;
	default:
		t = sqlite3_column_text(st, col);
		return t != NULL && (strcmp((const char *)t, "1") == 0 ||
		    strcmp((const char *)t, "true") == 0);
	}
}

/*
 * Dates: ISO-8601 text (Kysely) or epoch milliseconds (Drizzle, Prisma).
 * Integers below 1e11 can only be epoch seconds (ms would be 1973), so
 * they are scaled: Drizzle's "timestamp" mode stores seconds.
 */
static void
col_time(sqlite3_stmt *st, int col, struct store_time *t)
{
	const unsigned char *txt;
	int64_t v;

	memset(t, 0, sizeof(*t));
	switch (sqlite3_column_type(st, col)) {
	case SQLITE_NULL:
		return;
	case SQLITE_INTEGER:
	case SQLITE_FLOAT:
		v = sqlite3_column_int64(st, col);
		t->present = 1;
		t->ms = (v >= 0 && v < 100000000000LL) ? v * 1000 : v;
		return;
	default:
		txt = sqlite3_column_text(st, col);
		t->present = 1;
		if (txt == NULL || util_time_parse((const char *)txt,
		    (size_t)sqlite3_column_bytes(st, col), &v) != 0) {
			t->bad = 1;
			return;
		}
		if (v >= 0 && v < 100000000000LL &&
		    strchr((const char *)txt, '-') == NULL)
			v *= 1000;
		t->ms = v;
	}
}

/* Steps a lookup: 1 row, 0 done, -1 error (statement reset by caller). */
static int
step_row(struct store *s, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	store_err(s, what, rc);
	return -1;
}

int
store_rules_load(struct store *s,
    int (*cb)(void *ctx, const struct store_rule_row *row), void *ctx)
{
	sqlite3_stmt *st = s->q[Q_RULES];
	struct store_rule_row r;
	int rc, ret = 1;

	if (st == NULL)
		return 0;
	while ((rc = step_row(s, st, "rules")) == 1) {
		r.id = sqlite3_column_int64(st, 0);
		r.priority = sqlite3_column_int64(st, 1);
		r.method = (const char *)sqlite3_column_text(st, 2);
		r.path = (const char *)sqlite3_column_text(st, 3);
		r.access = (const char *)sqlite3_column_text(st, 4);
		r.min_role = (const char *)sqlite3_column_text(st, 5);
		r.on_deny = (const char *)sqlite3_column_text(st, 6);
		r.redirect_to = (const char *)sqlite3_column_text(st, 7);
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

static void
user_from(sqlite3_stmt *st, int c, struct store_user *u)
{
	col_text(st, c, u->id, sizeof(u->id), &u->oversize);
	col_text(st, c + 1, u->email, sizeof(u->email), &u->oversize);
	col_text(st, c + 2, u->name, sizeof(u->name), &u->oversize);
	u->banned = col_bool(st, c + 3, 0);
	col_time(st, c + 4, &u->ban_expires);
}

int
store_session_find(struct store *s, const char *token, size_t n,
    struct store_session *out)
{
	sqlite3_stmt *st = s->q[Q_SESSION];
	int rc;

	memset(out, 0, sizeof(*out));
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, token, (int)n, SQLITE_STATIC);
	if ((rc = step_row(s, st, "session lookup")) == 1) {
		col_text(st, 0, out->id, sizeof(out->id), &out->oversize);
		col_time(st, 1, &out->expires);
		col_text(st, 2, out->org_id, sizeof(out->org_id),
		    &out->oversize);
		user_from(st, 3, &out->user);
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc;
}

int
store_user_find(struct store *s, const char *id, struct store_user *out)
{
	sqlite3_stmt *st = s->q[Q_USER];
	int rc;

	memset(out, 0, sizeof(*out));
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if ((rc = step_row(s, st, "user lookup")) == 1)
		user_from(st, 0, out);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc;
}

int
store_membership_find(struct store *s, const char *org_id,
    const char *user_id, struct store_membership *out)
{
	sqlite3_stmt *st = s->q[Q_MEMBERSHIP];
	int rc;

	memset(out, 0, sizeof(*out));
	if (st == NULL)
		return 0;	/* no organization plugin: no organizations */
	sqlite3_bind_text(st, 1, org_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, user_id, -1, SQLITE_STATIC);
	if ((rc = step_row(s, st, "membership lookup")) == 1) {
		col_text(st, 0, out->org_id, sizeof(out->org_id),
		    &out->oversize);
		col_text(st, 1, out->slug, sizeof(out->slug), &out->oversize);
		out->member = sqlite3_column_int(st, 2) != 0;
		col_text(st, 3, out->roles, sizeof(out->roles),
		    &out->oversize);
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc;
}

int
store_org_exists(struct store *s, const char *id)
{
	sqlite3_stmt *st = s->q[Q_ORG];
	int rc;

	if (st == NULL)
		return 0;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	rc = step_row(s, st, "organization lookup");
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc;
}

int
store_apikey_find(struct store *s, const char *hash_b64url,
    const char *hash_hex, struct store_apikey *out)
{
	sqlite3_stmt *st = s->q[Q_APIKEY];
	int rc;

	memset(out, 0, sizeof(*out));
	if (st == NULL)
		return 0;	/* no api-key plugin: no keys */
	sqlite3_bind_text(st, 1, hash_b64url, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, hash_hex, -1, SQLITE_STATIC);
	if ((rc = step_row(s, st, "api key lookup")) == 1) {
		col_text(st, 0, out->id, sizeof(out->id), &out->oversize);
		col_text(st, 1, out->owner, sizeof(out->owner),
		    &out->oversize);
		out->enabled = col_bool(st, 2, 0);
		col_time(st, 3, &out->expires);
		col_text(st, 4, out->meta_org, sizeof(out->meta_org),
		    &out->oversize);
		col_text(st, 5, out->meta_role, sizeof(out->meta_role),
		    &out->oversize);
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc;
}

/* Runs a script of statements; returns 0 or -1 with err set. */
static int
exec_script(struct store *s, const char *sql, char *err, size_t errsz)
{
	char *msg = NULL;
	int rc;

	rc = sqlite3_exec(s->db, sql, NULL, NULL, &msg);
	if (rc != SQLITE_OK) {
		snprintf(err, errsz, "%s", msg ? msg : sqlite3_errstr(rc));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

int
store_schema_version(struct store *s)
{
	sqlite3_stmt *st = NULL;
	int v = -1, rc;

	if (s->db == NULL)
		return -1;
	if (has_column(s, "authgate_schema", "version") != 1)
		return 0;
	rc = sqlite3_prepare_v2(s->db,
	    "SELECT max(version) FROM authgate_schema", -1, &st, NULL);
	if (rc == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

int
store_init(struct store *s, const char *ba_sql, const char *ag_sql,
    char *err, size_t errsz)
{
	int existing, fresh, ret = -1;
	char *msg = NULL;

	if (s->mode != STORE_READWRITE) {
		snprintf(err, errsz, "store opened read-only");
		return -1;
	}
	if ((existing = has_column(s, "user", "id")) < 0) {
		snprintf(err, errsz, "%s", sqlite3_errmsg(s->db));
		return -1;
	}
	/* A brand-new file has no tables at all. */
	fresh = 0;
	if (!existing) {
		sqlite3_stmt *st = NULL;
		if (sqlite3_prepare_v2(s->db,
		    "SELECT count(*) FROM sqlite_schema", -1, &st, NULL) ==
		    SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
			fresh = sqlite3_column_int(st, 0) == 0;
		sqlite3_finalize(st);
	}
	if (fresh && exec_script(s, "PRAGMA journal_mode=WAL", err, errsz))
		return -1;
	if (exec_script(s, "BEGIN IMMEDIATE", err, errsz))
		return -1;
	/* Invariant: on a better-auth database we add only authgate_*. */
	if (!existing && exec_script(s, ba_sql, err, errsz))
		goto out;
	if (exec_script(s, ag_sql, err, errsz))
		goto out;
	if (exec_script(s, "COMMIT", err, errsz))
		goto out;
	ret = 0;
out:
	if (ret != 0) {
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, &msg);
		sqlite3_free(msg);
	}
	return ret;
}
