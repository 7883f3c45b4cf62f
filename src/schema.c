/*
 * schema.c - the schema: creating and migrating it (`authgate init`),
 * repairing the views, and the probes that tell whether a table has the
 * columns authgate reads.
 *
 * Runs authgate's own constant SQL (db/schema.sql and db/admin.sql, built
 * in) and nothing from the database. On an existing better-auth database
 * it adds only the authgate_* tables and views. Never drops or alters a
 * better-auth table.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "db.h"
#include "log.h"
#include "schema.h"

static const char sql_has_column[] =
    "SELECT 1 FROM pragma_table_info(?1) WHERE name = ?2";
static const char sql_has_table[] =
    "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?1";

int
schema_has_column(struct store *s, const char *table, const char *column)
{
	return db_query_text(s, sql_has_column, table, column, NULL, 0);
}

int
schema_has_table(struct store *s, const char *table)
{
	return db_query_text(s, sql_has_table, table, NULL, NULL, 0);
}

/* Records why this schema cannot be used; logged once per schema. */
void
schema_problem(struct store *s, const char *fmt, ...)
{
	va_list ap;

	s->last_kind = STORE_ERR_SCHEMA;
	va_start(ap, fmt);
	vsnprintf(s->problem, sizeof(s->problem), fmt, ap);
	va_end(ap);
	snprintf(s->last_msg, sizeof(s->last_msg), "%s", s->problem);
	if (!s->quiet)
		log_msg("store: %s; every request is refused (503) until it"
		    " is fixed (authgate doctor, authgate init)", s->problem);
}

/*
 * Checks one table: 1 present with every column, 0 absent (and optional),
 * -1 unusable (problem recorded) or error.
 */
int
schema_table_ok(struct store *s, const char *table, const char *const *cols,
    int required)
{
	int rc;

	if ((rc = schema_has_column(s, table, cols[0])) < 0)
		return -1;
	if (rc == 0) {
		/* no first column: is the table there at all? */
		if ((rc = schema_has_table(s, table)) < 0)
			return -1;
		if (rc == 0 && !required)
			return 0;
		if (rc == 0) {
			schema_problem(s, "table %s is missing", table);
			return -1;
		}
		schema_problem(s, "table %s lacks column %s", table, cols[0]);
		return -1;
	}
	for (cols++; *cols != NULL; cols++) {
		if ((rc = schema_has_column(s, table, *cols)) < 0)
			return -1;
		if (rc == 0) {
			schema_problem(s, "table %s lacks column %s", table,
			    *cols);
			return -1;
		}
	}
	return 1;
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

static const char sql_version[] = "SELECT max(version) FROM authgate_schema";

int
store_schema_version(struct store *s)
{
	long long v;

	if (s->db == NULL)
		return -1;
	if (schema_has_column(s, "authgate_schema", "version") != 1)
		return 0;
	if (db_query_int(s, sql_version, NULL, &v) != 0)
		return -1;
	return (int)v;
}

/*
 * The views db/schema.sql creates. SQLite accepts a view over a missing
 * table or column and fails only when it is used, or when any later
 * ALTER TABLE ... RENAME re-checks the schema: a broken view would break
 * better-auth's own migrations. So init drops the views this database
 * cannot serve, and says which.
 */
static const struct {
	const char	*name;
	const char	*drop;
} views[] = {
	{ "authgate_active_sessions",
	    "DROP VIEW IF EXISTS authgate_active_sessions" },
	{ "authgate_members", "DROP VIEW IF EXISTS authgate_members" },
	{ "authgate_keys", "DROP VIEW IF EXISTS authgate_keys" },
	{ "authgate_recent_events", "DROP VIEW IF EXISTS authgate_recent_events" },
	{ "authgate_rules", "DROP VIEW IF EXISTS authgate_rules" },
};

static int
drop_broken_views(struct store *s, char *err, size_t errsz)
{
	sqlite3_stmt *st = NULL;
	size_t i, o = 0;
	int rc;

	s->skipped[0] = '\0';
	/* The views use json_*(), which SQLite calls unsafe in a schema it
	 * does not trust. These are the views we just wrote ourselves; trust
	 * them for this check only (authgate's own queries never read
	 * views). */
	sqlite3_db_config(s->db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 1, NULL);
	if (sqlite3_prepare_v2(s->db,
	    "SELECT count(*) FROM pragma_table_info(?1)", -1, &st, NULL) !=
	    SQLITE_OK) {
		snprintf(err, errsz, "%s", sqlite3_errmsg(s->db));
		sqlite3_db_config(s->db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0,
		    NULL);
		return -1;
	}
	for (i = 0; i < sizeof(views) / sizeof(views[0]); i++) {
		sqlite3_bind_text(st, 1, views[i].name, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
		sqlite3_reset(st);
		if (rc == SQLITE_ROW)
			continue;
		if (exec_script(s, views[i].drop, err, errsz) != 0) {
			sqlite3_finalize(st);
			sqlite3_db_config(s->db, SQLITE_DBCONFIG_TRUSTED_SCHEMA,
			    0, NULL);
			return -1;
		}
		if (o < sizeof(s->skipped))
			o += (size_t)snprintf(s->skipped + o,
			    sizeof(s->skipped) - o, "%s%s", o ? ", " : "",
			    views[i].name);
	}
	sqlite3_finalize(st);
	sqlite3_db_config(s->db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
	return 0;
}

/*
 * Brings an older authgate_* table up to date, idempotently: columns
 * added since (CREATE TABLE IF NOT EXISTS leaves an existing table as it
 * was). Returns 0, or -1 with err set.
 */
static int
migrate(struct store *s, char *err, size_t errsz)
{
	int rc;

	if ((rc = schema_has_column(s, "authgate_rule",
	    "require_permission")) < 0) {
		snprintf(err, errsz, "%s", sqlite3_errmsg(s->db));
		return -1;
	}
	if (rc == 0 && exec_script(s, "ALTER TABLE authgate_rule ADD COLUMN"
	    " require_permission text", err, errsz))
		return -1;
	return 0;
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
	if ((existing = schema_has_column(s, "user", "id")) < 0) {
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
	if (migrate(s, err, errsz))
		goto out;
	if (drop_broken_views(s, err, errsz))
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

const char *
store_init_skipped(const struct store *s)
{
	return s->skipped;
}
