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
#define _GNU_SOURCE	/* statx: birth times */
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "log.h"
#include "store.h"
#include "util.h"

#define STORE_MAX_WSTMT	96	/* room for enum wstmt_id below */

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
	Q_KEY_ROLE,
	Q_COUNT
};

/*
 * Which file a connection is on, to notice it replaced under us: device,
 * inode and birth time (an inode number is soon reused; a birth time is
 * not; where the file system has none, btime is 0 and only the first two
 * count).
 */
struct file_id {
	int		 present;
	dev_t		 dev;
	ino_t		 ino;
	int64_t		 btime_ns;
};

#define STORE_REPLACE_CHECK_MS	250	/* a replaced file is noticed within 1 s */

struct store {
	sqlite3		*db;
	char		*path;
	enum store_mode	 mode;
	sqlite3_stmt	*q[Q_COUNT];
	sqlite3_stmt	*w[STORE_MAX_WSTMT];	/* writers only, see wst() */
	long long	 data_version;	/* last seen; -1 before first use */
	long long	 schema_version;
	long long	 bad_schema;	/* schema_version found unusable; -1 */
	char		 problem[256];	/* why it is unusable, for doctor */
	struct file_id	 file, wal, shm;	/* what this connection opened */
	int64_t		 checked_ms;	/* last replacement check */
	int		 in_read;
	int		 quiet;		/* record errors, do not log them */
	enum store_error last_kind;
	char		 last_msg[256];
	char		 skipped[256];	/* views store_init left out */
};

/*
 * The banned columns exist only with better-auth's admin plugin, and
 * activeOrganizationId only with its organization plugin. A variant per
 * shape, all constant text (indexed [banned][banExpires][activeOrg]):
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
static const char sql_key_role[] =
    "SELECT role FROM authgate_key_role WHERE key_id = ?1";

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

static enum store_error
error_kind(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_CANTOPEN:
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return STORE_ERR_OPEN;
	case SQLITE_READONLY:
		return STORE_ERR_READONLY;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return STORE_ERR_BUSY;
	case SQLITE_NOTADB:
	case SQLITE_CORRUPT:
		return STORE_ERR_CORRUPT;
	case SQLITE_CONSTRAINT:
		return STORE_ERR_CONSTRAINT;
	case SQLITE_ERROR:	/* our SQL is constant: a missing table/column */
		return STORE_ERR_SCHEMA;
	default:
		return STORE_ERR_OTHER;
	}
}

static void
store_err(struct store *s, const char *what, int rc)
{
	s->last_kind = error_kind(rc);
	snprintf(s->last_msg, sizeof(s->last_msg), "%s", s->db ?
	    sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
	if (!s->quiet)
		log_msg("store: %s failed: %s (%d): %s", what,
		    sqlite3_errstr(rc), rc, s->db ? sqlite3_errmsg(s->db) : "-");
}

static void
finalize_all(struct store *s)
{
	int i;

	for (i = 0; i < Q_COUNT; i++) {
		sqlite3_finalize(s->q[i]);
		s->q[i] = NULL;
	}
	for (i = 0; i < (int)(sizeof(s->w) / sizeof(s->w[0])); i++) {
		sqlite3_finalize(s->w[i]);
		s->w[i] = NULL;
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
	s->bad_schema = -1;
	memset(&s->file, 0, sizeof(s->file));
	memset(&s->wal, 0, sizeof(s->wal));
	memset(&s->shm, 0, sizeof(s->shm));
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

/* 1 if a table (not a view) of that name exists, 0 if not, -1 on error. */
static int
has_table(struct store *s, const char *table)
{
	sqlite3_stmt *st = NULL;
	int rc, found = -1;

	rc = sqlite3_prepare_v2(s->db, "SELECT 1 FROM sqlite_schema WHERE"
	    " type = 'table' AND name = ?1", -1, &st, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
		found = rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
	}
	if (found < 0)
		store_err(s, "schema probe", rc);
	sqlite3_finalize(st);
	return found;
}

/* Records why this schema cannot be used; logged once per schema. */
static void schema_problem(struct store *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
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
static int
table_ok(struct store *s, const char *table, const char *const *cols,
    int required)
{
	int rc;

	if ((rc = has_column(s, table, cols[0])) < 0)
		return -1;
	if (rc == 0) {
		/* no first column: is the table there at all? */
		if ((rc = has_table(s, table)) < 0)
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
		if ((rc = has_column(s, table, *cols)) < 0)
			return -1;
		if (rc == 0) {
			schema_problem(s, "table %s lacks column %s", table,
			    *cols);
			return -1;
		}
	}
	return 1;
}

/*
 * Prepares the lookups that depend on which tables and columns exist.
 * Called on connect and whenever schema_version moves. Returns 0, or -1
 * when the schema is not one the decision fully understands (problem
 * recorded) or on error.
 */
static int
prepare_lookups(struct store *s)
{
	int banned, ban_exp, active_org, org, member, key, ref;
	enum stmt_id id;

	for (id = Q_RULES; id < Q_COUNT; id++) {
		sqlite3_finalize(s->q[id]);
		s->q[id] = NULL;
	}
	s->problem[0] = '\0';
	if (table_ok(s, "user", cols_user, 1) != 1 ||
	    table_ok(s, "session", cols_session, 1) != 1 ||
	    table_ok(s, "authgate_rule", cols_rule, 1) != 1 ||
	    (org = table_ok(s, "organization", cols_org, 0)) < 0 ||
	    (member = table_ok(s, "member", cols_member, 0)) < 0 ||
	    (key = table_ok(s, "apikey", cols_apikey, 0)) < 0)
		return -1;
	if (org != member) {
		schema_problem(s, "table %s is there without table %s",
		    org ? "organization" : "member", org ? "member" :
		    "organization");
		return -1;
	}
	if ((banned = has_column(s, "user", "banned")) < 0 ||
	    (ban_exp = has_column(s, "user", "banExpires")) < 0 ||
	    (active_org = has_column(s, "session",
	    "activeOrganizationId")) < 0)
		return -1;
	if (prepare(s, Q_SESSION, sql_session[banned][ban_exp][active_org]) ||
	    prepare(s, Q_USER, sql_user[banned][ban_exp]) ||
	    prepare(s, Q_RULES, sql_rules))
		return -1;
	if (org && (prepare(s, Q_MEMBERSHIP, sql_membership) ||
	    prepare(s, Q_ORG, sql_org)))
		return -1;
	if (key) {
		if ((ref = has_column(s, "apikey", "referenceId")) < 0 ||
		    (!ref && has_column(s, "apikey", "userId") != 1)) {
			if (ref >= 0)
				schema_problem(s, "table %s lacks column %s",
				    "apikey", "referenceId (or userId)");
			return -1;
		}
		if (prepare(s, Q_APIKEY, ref ? sql_apikey_ref :
		    sql_apikey_user))
			return -1;
	}
	/* authgate's own grants for organization keys: absent in a database
	 * from before it existed, which then gives such keys no role. */
	if ((key = table_ok(s, "authgate_key_role", cols_key_role, 0)) < 0)
		return -1;
	if (key && prepare(s, Q_KEY_ROLE, sql_key_role))
		return -1;
	return 0;
}

/* Fills id from path + suffix; present = 0 when it does not exist. */
static void
file_id_of(const char *path, const char *suffix, struct file_id *id)
{
	char p[PATH_MAX + 8];
	struct statx sx;

	memset(id, 0, sizeof(*id));
	if (snprintf(p, sizeof(p), "%s%s", path, suffix) >= (int)sizeof(p) ||
	    statx(AT_FDCWD, p, 0, STATX_INO | STATX_BTIME, &sx) != 0)
		return;
	id->present = 1;
	id->dev = makedev(sx.stx_dev_major, sx.stx_dev_minor);
	id->ino = (ino_t)sx.stx_ino;
	if (sx.stx_mask & STATX_BTIME)
		id->btime_ns = (int64_t)sx.stx_btime.tv_sec * 1000000000 +
		    sx.stx_btime.tv_nsec;
}

static int
file_id_same(const struct file_id *a, const struct file_id *b)
{
	return a->present && b->present && a->dev == b->dev &&
	    a->ino == b->ino && a->btime_ns == b->btime_ns;
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
	    s->mode == STORE_READWRITE_EXISTING ? SQLITE_OPEN_READWRITE :
	    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
	rc = sqlite3_open_v2(s->path, &s->db, flags | SQLITE_OPEN_NOMUTEX,
	    NULL);
	if (rc != SQLITE_OK) {
		snprintf(err, errsz, "cannot open database %s: %s", s->path,
		    sqlite3_errstr(rc));
		s->last_kind = error_kind(rc);
		snprintf(s->last_msg, sizeof(s->last_msg), "%s",
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
	s->bad_schema = -1;
	file_id_of(s->path, "", &s->file);
	s->checked_ms = util_mono_ms();
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
	s->bad_schema = -1;
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

/*
 * The database file was replaced (mv of a restored or rebuilt copy) while
 * this connection had the old one open. SQLite pairs a database with its
 * -wal and -shm by name, so the old file's WAL must not be read as the new
 * file's: under an exclusive lock on the directory (every authgate process
 * takes it for this), remove the -wal and -shm if they are still the ones
 * this connection used, then reconnect. Returns 0, or -1 (then 503).
 */
static int
reconnect_replaced(struct store *s)
{
	struct file_id wal = s->wal, shm = s->shm, now;
	char dir[PATH_MAX], p[PATH_MAX + 8], err[PATH_MAX + 128];
	const char *slash;
	int dfd, rc = -1;

	log_msg("store: %s was replaced; reopening it", s->path);
	disconnect(s);
	slash = strrchr(s->path, '/');
	if (slash == NULL)
		snprintf(dir, sizeof(dir), ".");
	else if (util_copy(dir, sizeof(dir), s->path, slash == s->path ? 1 :
	    (size_t)(slash - s->path)) != 0)
		return -1;
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 ||
	    flock(dfd, LOCK_EX) != 0) {
		log_msg("store: cannot lock %s to reopen the database", dir);
		goto out;
	}
	file_id_of(s->path, "-wal", &now);
	if (wal.present && file_id_same(&wal, &now) &&
	    snprintf(p, sizeof(p), "%s-wal", s->path) < (int)sizeof(p) &&
	    unlink(p) != 0) {
		log_msg("store: cannot remove the replaced file's %s", p);
		goto out;
	}
	file_id_of(s->path, "-shm", &now);
	if (shm.present && file_id_same(&shm, &now) &&
	    snprintf(p, sizeof(p), "%s-shm", s->path) < (int)sizeof(p) &&
	    unlink(p) != 0) {
		log_msg("store: cannot remove the replaced file's %s", p);
		goto out;
	}
	if (connect_db(s, err, sizeof(err)) != 0) {
		if (!s->quiet)
			log_msg("store: %s", err);
		goto out;
	}
	rc = 0;
out:
	if (dfd >= 0)
		close(dfd);	/* drops the lock */
	return rc;
}

/* Which -wal and -shm this connection uses, once they exist. */
static void
note_files(struct store *s)
{
	if (!s->wal.present)
		file_id_of(s->path, "-wal", &s->wal);
	if (!s->shm.present)
		file_id_of(s->path, "-shm", &s->shm);
}

/*
 * At most every STORE_REPLACE_CHECK_MS: is the file at the path still the
 * one this connection has open? Reconnects if not. Returns 0 or -1.
 */
static int
check_replaced(struct store *s)
{
	struct file_id now;
	int64_t t = util_mono_ms();

	if (s->db == NULL || t - s->checked_ms < STORE_REPLACE_CHECK_MS)
		return 0;
	s->checked_ms = t;
	file_id_of(s->path, "", &now);
	if (!now.present) {
		/* Gone: the next open fails closed (or finds a new one). */
		disconnect(s);
		return 0;
	}
	if (file_id_same(&now, &s->file)) {
		/* -wal and -shm appear with the first writer: learn them */
		note_files(s);
		return 0;
	}
	return reconnect_replaced(s);
}

int
store_read_begin(struct store *s, int *changed)
{
	char err[PATH_MAX + 128];
	long long dv = 0, sv = 0;
	int rc;

	*changed = 0;
	if (check_replaced(s) != 0)
		return -1;
	if (s->db == NULL && connect_db(s, err, sizeof(err)) != 0) {
		if (!s->quiet)
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
	if (sv == s->bad_schema) {
		/* Known unusable: refuse at once, without probing or logging
		 * again, until the schema changes. */
		s->last_kind = STORE_ERR_SCHEMA;
		step_simple(s, Q_ROLLBACK);
		return -1;
	}
	if (sv != s->schema_version || s->q[Q_SESSION] == NULL) {
		if (prepare_lookups(s) != 0) {
			if (s->last_kind == STORE_ERR_SCHEMA) {
				s->bad_schema = sv;
				step_simple(s, Q_ROLLBACK);
				return -1;
			}
			goto fail_tx;
		}
		s->schema_version = sv;
		s->bad_schema = -1;
		*changed = 1;
		note_files(s);
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

/* The first eight columns of a rule query, in authgate_rule's order;
 * the strings point into the statement until its next step or reset. */
static void
rule_from(sqlite3_stmt *st, struct store_rule_row *r)
{
	memset(r, 0, sizeof(*r));
	r->id = sqlite3_column_int64(st, 0);
	r->priority = sqlite3_column_int64(st, 1);
	r->method = (const char *)sqlite3_column_text(st, 2);
	r->path = (const char *)sqlite3_column_text(st, 3);
	r->access = (const char *)sqlite3_column_text(st, 4);
	r->min_role = (const char *)sqlite3_column_text(st, 5);
	r->on_deny = (const char *)sqlite3_column_text(st, 6);
	r->redirect_to = (const char *)sqlite3_column_text(st, 7);
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
		rule_from(st, &r);
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

int
store_key_role_find(struct store *s, const char *key_id, char *role,
    size_t rolesz)
{
	sqlite3_stmt *st = s->q[Q_KEY_ROLE];
	int rc, over = 0;

	role[0] = '\0';
	if (st == NULL)
		return 0;	/* no grants table: no grants */
	sqlite3_bind_text(st, 1, key_id, -1, SQLITE_STATIC);
	if ((rc = step_row(s, st, "key role lookup")) == 1) {
		col_text(st, 0, role, rolesz, &over);
		if (over)
			rc = -1;
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc;
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
	rc = prepare_lookups(s);
	s->quiet = quiet;
	/* the lookups are prepared again by the next store_read_begin */
	s->schema_version = -1;
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

/* ------------------------------------------------------------------ */
/* Writers (the webhook, `authgate import`) and the CLI's administration
 * statements. Prepared on first use, so authorizer processes never
 * prepare them. */

enum wstmt_id {
	W_BEGIN,
	W_COMMIT,
	W_ROLLBACK,
	W_EVENT_INSERT,
	W_EVENT_OUTCOME,
	W_TOMB_GET,
	W_TOMB_PUT,
	W_VER_GET,
	W_VER_PUT,
	W_VER_DEL,
	W_PRUNE_EVENTS,
	W_PRUNE_TOMBS,
	W_USER_UPDATED,
	W_USER_UPSERT,
	W_USER_DEL_SESSIONS,
	W_USER_DEL_MEMBERS,
	W_USER_DEL_KEYS,
	W_USER_DEL_ACCOUNTS,
	W_USER_DEL,
	W_ORG_UPSERT,
	W_ORG_DEL_MEMBERS,
	W_ORG_DEL_KEYS,
	W_ORG_DEL_INVITES,
	W_ORG_CLEAR_SESSIONS,
	W_ORG_DEL,
	W_MEMBER_FIND,
	W_MEMBER_DEL_OTHERS,
	W_MEMBER_UPSERT,
	W_MEMBER_DEL,
	W_SESSION_UPDATED,
	W_SESSION_BY_TOKEN,
	W_SESSION_UPSERT,
	W_SESSION_DEL,
	W_KEY_UPDATED,
	W_KEY_UPSERT,
	W_KEY_DEL,
	/* administration (the CLI) */
	W_BEGIN_READ,
	W_OWNER_USER,
	W_OWNER_ORG,
	W_MEMBER_ROLES,
	W_KEY_LIST_REF,
	W_KEY_LIST_USER,
	W_KEY_GET_REF,
	W_KEY_GET_USER,
	W_KEY_INSERT_REF,
	W_KEY_INSERT_USER,
	W_KEY_ROTATE_REF,
	W_KEY_ROTATE_USER,
	W_KEY_ENABLE,
	W_KEY_ROLE_GET,
	W_KEY_ROLE_SET,
	W_KEY_ROLE_COPY,
	W_RULE_LIST,
	W_RULE_INSERT,
	W_RULE_UPDATE,
	W_RULE_DELETE,
	W_N_USERS,
	W_N_ORGS,
	W_N_MEMBERS,
	W_N_RULES,
	W_N_EVENTS,
	W_LAST_EVENT,
	W_SESSION_TIMES,
	W_KEY_STATES,
	W_JOURNAL_MODE,
	W_PAGE_COUNT,
	W_PAGE_SIZE,
	W_FREELIST,
	W_N_VIEWS,
	W_QUICK_CHECK,
	W_COUNT
};
_Static_assert(W_COUNT <= STORE_MAX_WSTMT, "raise STORE_MAX_WSTMT");

/* The columns of struct store_key_row, for either owner column. */
#define KEY_COLS(owner) \
    "k.id, k.name, k.start, k.prefix, k." owner ", " \
    META("organizationId") ", " META("role") ", k.enabled, k.expiresAt," \
    " k.createdAt"

/*
 * Upserts take absent fields as "keep": NOT NULL columns fall back to the
 * stored value in VALUES too, because SQLite checks NOT NULL before it
 * sees the conflict that turns the insert into an update.
 */
static const char *const wsql[W_COUNT] = {
	[W_BEGIN] = "BEGIN IMMEDIATE",
	[W_COMMIT] = "COMMIT",
	[W_ROLLBACK] = "ROLLBACK",
	[W_EVENT_INSERT] = "INSERT INTO authgate_event (id, type, received_at,"
	    " outcome) VALUES (?1, ?2, ?3, 'pending') ON CONFLICT (id) DO NOTHING",
	[W_EVENT_OUTCOME] = "UPDATE authgate_event SET outcome = ?2 WHERE id = ?1",
	[W_TOMB_GET] = "SELECT 1 FROM authgate_tombstone WHERE kind = ?1 AND"
	    " id = ?2",
	[W_TOMB_PUT] = "INSERT INTO authgate_tombstone (kind, id, deleted_at)"
	    " VALUES (?1, ?2, ?3) ON CONFLICT (kind, id) DO NOTHING",
	[W_VER_GET] = "SELECT version_ms FROM authgate_version WHERE kind = ?1"
	    " AND id = ?2",
	[W_VER_PUT] = "INSERT INTO authgate_version (kind, id, version_ms)"
	    " VALUES (?1, ?2, ?3) ON CONFLICT (kind, id) DO UPDATE SET"
	    " version_ms = excluded.version_ms",
	[W_VER_DEL] = "DELETE FROM authgate_version WHERE kind = ?1 AND id = ?2",
	[W_PRUNE_EVENTS] = "DELETE FROM authgate_event WHERE received_at < ?1",
	[W_PRUNE_TOMBS] = "DELETE FROM authgate_tombstone WHERE deleted_at < ?1",
	[W_USER_UPDATED] = "SELECT updatedAt FROM \"user\" WHERE id = ?1",
	[W_USER_UPSERT] = "INSERT INTO \"user\" (id, name, email, emailVerified,"
	    " image, createdAt, updatedAt, role, banned, banReason, banExpires)"
	    " VALUES (?1, coalesce(?2, ''),"
	    " coalesce(?3, (SELECT email FROM \"user\" WHERE id = ?1)), coalesce(?4, 0), ?5,"
	    " coalesce(?6, ?12), coalesce(?7, ?6, ?12), ?8, coalesce(?9, 0), ?10,"
	    " ?11) ON CONFLICT (id) DO UPDATE SET name = coalesce(?2, name),"
	    " email = coalesce(?3, email),"
	    " emailVerified = coalesce(?4, emailVerified),"
	    " image = coalesce(?5, image), updatedAt = coalesce(?7, updatedAt),"
	    " role = coalesce(?8, role), banned = coalesce(?9, banned),"
	    " banReason = CASE WHEN ?9 IS NOT NULL THEN ?10"
	    "  ELSE coalesce(?10, banReason) END,"
	    " banExpires = CASE WHEN ?9 IS NOT NULL THEN ?11"
	    "  ELSE coalesce(?11, banExpires) END",
	[W_USER_DEL_SESSIONS] = "DELETE FROM session WHERE userId = ?1",
	[W_USER_DEL_MEMBERS] = "DELETE FROM member WHERE userId = ?1",
	[W_USER_DEL_KEYS] = "DELETE FROM apikey WHERE referenceId = ?1",
	[W_USER_DEL_ACCOUNTS] = "DELETE FROM account WHERE userId = ?1",
	[W_USER_DEL] = "DELETE FROM \"user\" WHERE id = ?1",
	[W_ORG_UPSERT] = "INSERT INTO organization (id, name, slug, logo,"
	    " createdAt, metadata) VALUES (?1, coalesce(?2, ''),"
	    " coalesce(?3, ?1), ?4, coalesce(?5, ?6), ?7) ON CONFLICT (id) DO"
	    " UPDATE SET name = coalesce(?2, name), slug = coalesce(?3, slug),"
	    " logo = coalesce(?4, logo), metadata = coalesce(?7, metadata)",
	[W_ORG_DEL_MEMBERS] = "DELETE FROM member WHERE organizationId = ?1",
	[W_ORG_DEL_KEYS] = "DELETE FROM apikey WHERE referenceId = ?1",
	[W_ORG_DEL_INVITES] = "DELETE FROM invitation WHERE organizationId = ?1",
	[W_ORG_CLEAR_SESSIONS] = "UPDATE session SET activeOrganizationId = NULL"
	    " WHERE activeOrganizationId = ?1",
	[W_ORG_DEL] = "DELETE FROM organization WHERE id = ?1",
	[W_MEMBER_FIND] = "SELECT id FROM member WHERE organizationId = ?1 AND"
	    " userId = ?2 ORDER BY createdAt LIMIT 1",
	[W_MEMBER_DEL_OTHERS] = "DELETE FROM member WHERE organizationId = ?2"
	    " AND userId = ?3 AND id <> ?1",
	[W_MEMBER_UPSERT] = "INSERT INTO member (id, organizationId, userId,"
	    " role, createdAt) VALUES (?1,"
	    " coalesce(?2, (SELECT organizationId FROM member WHERE id = ?1)),"
	    " coalesce(?3, (SELECT userId FROM member WHERE id = ?1)),"
	    " coalesce(?4, 'member'),"
	    " coalesce(?5, ?6)) ON CONFLICT (id) DO UPDATE SET"
	    " role = coalesce(?4, role)",
	[W_MEMBER_DEL] = "DELETE FROM member WHERE id = ?1",
	[W_SESSION_UPDATED] = "SELECT updatedAt FROM session WHERE id = ?1",
	[W_SESSION_BY_TOKEN] = "SELECT id FROM session WHERE token = ?1",
	[W_SESSION_UPSERT] = "INSERT INTO session (id, expiresAt, token,"
	    " createdAt, updatedAt, ipAddress, userAgent, userId,"
	    " activeOrganizationId) VALUES (?1,"
	    " coalesce(?2, (SELECT expiresAt FROM session WHERE id = ?1)),"
	    " coalesce(?3, (SELECT token FROM session WHERE id = ?1)),"
	    " coalesce(?4, ?10),"
	    " coalesce(?5, ?4, ?10), ?6, ?7,"
	    " coalesce(?8, (SELECT userId FROM session WHERE id = ?1)), ?9)"
	    " ON CONFLICT (id) DO UPDATE"
	    " SET expiresAt = coalesce(?2, expiresAt),"
	    " token = coalesce(?3, token), updatedAt = coalesce(?5, updatedAt),"
	    " ipAddress = coalesce(?6, ipAddress),"
	    " userAgent = coalesce(?7, userAgent),"
	    " activeOrganizationId = CASE WHEN ?11 THEN ?9"
	    "  ELSE activeOrganizationId END",
	[W_SESSION_DEL] = "DELETE FROM session WHERE id = ?1",
	[W_KEY_UPDATED] = "SELECT updatedAt FROM apikey WHERE id = ?1",
	[W_KEY_UPSERT] = "INSERT INTO apikey (id, configId, name, start,"
	    " referenceId, prefix, key, enabled, expiresAt, createdAt,"
	    " updatedAt, permissions, metadata, rateLimitEnabled, requestCount)"
	    " VALUES (?1, coalesce(?2, 'default'), ?3, ?4,"
	    " coalesce(?5, (SELECT referenceId FROM apikey WHERE id = ?1)), ?6,"
	    " coalesce(?7, (SELECT key FROM apikey WHERE id = ?1)),"
	    " coalesce(?8, 1), ?9, coalesce(?10, ?14), coalesce(?11, ?10, ?14),"
	    " ?12, ?13, 0, 0) ON CONFLICT (id) DO UPDATE SET"
	    " configId = coalesce(?2, configId), name = coalesce(?3, name),"
	    " start = coalesce(?4, start),"
	    " referenceId = coalesce(?5, referenceId),"
	    " prefix = coalesce(?6, prefix), key = coalesce(?7, key),"
	    " enabled = coalesce(?8, enabled),"
	    " expiresAt = CASE WHEN ?15 THEN ?9 ELSE expiresAt END,"
	    " updatedAt = coalesce(?11, updatedAt),"
	    " permissions = coalesce(?12, permissions),"
	    " metadata = coalesce(?13, metadata)",
	[W_KEY_DEL] = "DELETE FROM apikey WHERE id = ?1",
	[W_BEGIN_READ] = "BEGIN",
	[W_OWNER_USER] = "SELECT 1 FROM \"user\" WHERE id = ?1",
	[W_OWNER_ORG] = "SELECT 1 FROM organization WHERE id = ?1",
	[W_MEMBER_ROLES] = "SELECT role FROM member WHERE organizationId = ?1"
	    " AND userId = ?2 ORDER BY createdAt LIMIT 1",
	/* Everything but the hash: no statement here selects apikey.key. */
	[W_KEY_LIST_REF] = "SELECT " KEY_COLS("referenceId") " FROM apikey k"
	    " ORDER BY k.createdAt, k.id",
	[W_KEY_LIST_USER] = "SELECT " KEY_COLS("userId") " FROM apikey k"
	    " ORDER BY k.createdAt, k.id",
	[W_KEY_GET_REF] = "SELECT " KEY_COLS("referenceId") " FROM apikey k"
	    " WHERE k.id = ?1",
	[W_KEY_GET_USER] = "SELECT " KEY_COLS("userId") " FROM apikey k"
	    " WHERE k.id = ?1",
	[W_KEY_INSERT_REF] = "INSERT INTO apikey (id, configId, name, start,"
	    " referenceId, prefix, key, enabled, expiresAt, createdAt,"
	    " updatedAt, metadata, rateLimitEnabled, requestCount)"
	    " VALUES (?1, 'default', ?2, ?3, ?4, ?5, ?6, 1, ?7, ?8, ?8, ?9, 0, 0)",
	[W_KEY_INSERT_USER] = "INSERT INTO apikey (id, name, start, userId,"
	    " prefix, key, enabled, expiresAt, createdAt, updatedAt, metadata)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, 1, ?7, ?8, ?8, ?9)",
	[W_KEY_ROTATE_REF] = "INSERT INTO apikey (id, configId, name, start,"
	    " referenceId, prefix, key, refillInterval, refillAmount,"
	    " lastRefillAt, enabled, rateLimitEnabled, rateLimitTimeWindow,"
	    " rateLimitMax, requestCount, remaining, lastRequest, expiresAt,"
	    " createdAt, updatedAt, permissions, metadata)"
	    " SELECT ?2, configId, name, ?3, referenceId, ?4, ?5,"
	    " refillInterval, refillAmount, lastRefillAt, 1, rateLimitEnabled,"
	    " rateLimitTimeWindow, rateLimitMax, 0, remaining, NULL, ?6, ?7, ?7,"
	    " permissions, metadata FROM apikey WHERE id = ?1",
	[W_KEY_ROTATE_USER] = "INSERT INTO apikey (id, name, start, userId,"
	    " prefix, key, enabled, expiresAt, createdAt, updatedAt,"
	    " permissions, metadata) SELECT ?2, name, ?3, userId, ?4, ?5, 1, ?6,"
	    " ?7, ?7, permissions, metadata FROM apikey WHERE id = ?1",
	[W_KEY_ENABLE] = "UPDATE apikey SET enabled = ?2, updatedAt = ?3"
	    " WHERE id = ?1",
	[W_KEY_ROLE_GET] = "SELECT role FROM authgate_key_role WHERE key_id = ?1",
	[W_KEY_ROLE_SET] = "INSERT OR REPLACE INTO authgate_key_role (key_id,"
	    " role, granted_at) VALUES (?1, ?2, ?3)",
	[W_KEY_ROLE_COPY] = "INSERT OR REPLACE INTO authgate_key_role (key_id,"
	    " role, granted_at, note) SELECT ?2, role, ?3, note FROM"
	    " authgate_key_role WHERE key_id = ?1",
	[W_RULE_LIST] = "SELECT id, priority, method, path, access, min_role,"
	    " on_deny, redirect_to, note FROM authgate_rule ORDER BY priority, id",
	[W_RULE_INSERT] = "INSERT INTO authgate_rule (priority, method, path,"
	    " access, min_role, on_deny, redirect_to, note) VALUES (?1, ?2, ?3,"
	    " ?4, ?5, coalesce(?6, 'auto'), ?7, ?8)",
	[W_RULE_UPDATE] = "UPDATE authgate_rule SET priority = ?2, method = ?3,"
	    " path = ?4, access = ?5, min_role = ?6, on_deny = coalesce(?7,"
	    " 'auto'), redirect_to = ?8, note = ?9 WHERE id = ?1",
	[W_RULE_DELETE] = "DELETE FROM authgate_rule WHERE id = ?1",
	[W_N_USERS] = "SELECT count(*) FROM \"user\"",
	[W_N_ORGS] = "SELECT count(*) FROM organization",
	[W_N_MEMBERS] = "SELECT count(*) FROM member",
	[W_N_RULES] = "SELECT count(*) FROM authgate_rule",
	[W_N_EVENTS] = "SELECT count(*), coalesce(sum(received_at >= ?1), 0)"
	    " FROM authgate_event",
	[W_LAST_EVENT] = "SELECT received_at, type FROM authgate_event"
	    " ORDER BY received_at DESC LIMIT 1",
	[W_SESSION_TIMES] = "SELECT expiresAt, updatedAt, createdAt FROM session",
	[W_KEY_STATES] = "SELECT enabled, expiresAt FROM apikey",
	[W_JOURNAL_MODE] = "PRAGMA journal_mode",
	[W_PAGE_COUNT] = "PRAGMA page_count",
	[W_PAGE_SIZE] = "PRAGMA page_size",
	[W_FREELIST] = "PRAGMA freelist_count",
	[W_N_VIEWS] = "SELECT count(*) FROM sqlite_schema WHERE type = 'view'"
	    " AND name LIKE 'authgate\\_%' ESCAPE '\\'",
	[W_QUICK_CHECK] = "PRAGMA quick_check(1)",
};

static const char *const kind_names[] = {
	[STORE_USER] = "user", [STORE_ORG] = "organization",
	[STORE_MEMBER] = "member", [STORE_SESSION] = "session",
	[STORE_APIKEY] = "apikey"
};

static const char *const outcome_names[] = {
	[STORE_APPLIED] = "applied", [STORE_STALE] = "stale",
	[STORE_TOMBSTONED] = "tombstoned", [STORE_ABSENT] = "absent",
	[STORE_DUPLICATE] = "duplicate", [STORE_IGNORED] = "ignored"
};

const char *
store_outcome_name(enum store_outcome o)
{
	if ((size_t)o >= sizeof(outcome_names) / sizeof(outcome_names[0]))
		return "?";
	return outcome_names[o];
}

/* The write statement, prepared on first use; NULL on error. */
static sqlite3_stmt *
wst(struct store *s, enum wstmt_id id)
{
	int rc;

	if (s->w[id] != NULL)
		return s->w[id];
	rc = sqlite3_prepare_v3(s->db, wsql[id], -1,
	    SQLITE_PREPARE_PERSISTENT, &s->w[id], NULL);
	if (rc != SQLITE_OK) {
		store_err(s, "prepare (write)", rc);
		s->w[id] = NULL;
	}
	return s->w[id];
}

static void
bind_opt(sqlite3_stmt *st, int i, const char *v)
{
	if (v != NULL)
		sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

static void
bind_bool(sqlite3_stmt *st, int i, int v)
{
	if (v < 0)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_int(st, i, v != 0);
}

/*
 * Runs a bound write statement to completion and resets it.
 * Returns 0, or the SQLite error code (logged).
 */
static int
run(struct store *s, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc == SQLITE_DONE || rc == SQLITE_ROW)
		return 0;
	store_err(s, what, rc);
	return rc;
}

/* Binds ?1 = a and runs. */
static int
run1(struct store *s, enum wstmt_id id, const char *a)
{
	sqlite3_stmt *st = wst(s, id);

	if (st == NULL)
		return SQLITE_ERROR;
	bind_opt(st, 1, a);
	return run(s, st, wsql[id]);
}

/* Binds ?1 = a, ?2 = b and runs. */
static int
run2(struct store *s, enum wstmt_id id, const char *a, const char *b)
{
	sqlite3_stmt *st = wst(s, id);

	if (st == NULL)
		return SQLITE_ERROR;
	bind_opt(st, 1, a);
	bind_opt(st, 2, b);
	return run(s, st, wsql[id]);
}

/* Steps a one-value query with ?1 (and ?2); copies text out.
 * Returns 1 row, 0 none, -1 error. */
static int
query_text(struct store *s, enum wstmt_id id, const char *a, const char *b,
    char *out, size_t outsz)
{
	sqlite3_stmt *st = wst(s, id);
	int rc, over = 0;

	if (st == NULL)
		return -1;
	bind_opt(st, 1, a);
	if (b != NULL)
		bind_opt(st, 2, b);
	rc = step_row(s, st, wsql[id]);
	if (rc == 1 && out != NULL)
		col_text(st, 0, out, outsz, &over);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc < 0 ? -1 : (rc == 1 && over ? -1 : rc);
}

static int
tombstoned(struct store *s, enum store_kind k, const char *id)
{
	if (id == NULL)
		return 0;
	return query_text(s, W_TOMB_GET, kind_names[k], id, NULL, 0);
}

/* Stored version of an object: authgate_version, else the row's
 * updatedAt. 1 known (*ms), 0 unknown, -1 error. */
static int
stored_version(struct store *s, enum store_kind k, const char *id,
    int64_t *ms)
{
	sqlite3_stmt *st = wst(s, W_VER_GET);
	enum wstmt_id upd;
	struct store_time t;
	int rc;

	if (st == NULL)
		return -1;
	bind_opt(st, 1, kind_names[k]);
	bind_opt(st, 2, id);
	rc = step_row(s, st, "version");
	if (rc == 1)
		*ms = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != 0)
		return rc;
	switch (k) {
	case STORE_USER: upd = W_USER_UPDATED; break;
	case STORE_SESSION: upd = W_SESSION_UPDATED; break;
	case STORE_APIKEY: upd = W_KEY_UPDATED; break;
	default: return 0;
	}
	if ((st = wst(s, upd)) == NULL)
		return -1;
	bind_opt(st, 1, id);
	rc = step_row(s, st, "updatedAt");
	if (rc == 1) {
		col_time(st, 0, &t);
		rc = t.present && !t.bad;
		*ms = t.ms;
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc;
}

static int
put_version(struct store *s, const struct store_object *o, const char *id)
{
	sqlite3_stmt *st;

	if (!o->has_version)
		return 0;
	if ((st = wst(s, W_VER_PUT)) == NULL)
		return SQLITE_ERROR;
	bind_opt(st, 1, kind_names[o->kind]);
	bind_opt(st, 2, id);
	sqlite3_bind_int64(st, 3, o->version_ms);
	return run(s, st, "version put");
}

static int
bury(struct store *s, enum store_kind k, const char *id, const char *now)
{
	sqlite3_stmt *st;
	int rc;

	if ((st = wst(s, W_TOMB_PUT)) == NULL)
		return SQLITE_ERROR;
	bind_opt(st, 1, kind_names[k]);
	bind_opt(st, 2, id);
	bind_opt(st, 3, now);
	if ((rc = run(s, st, "tombstone")) != 0)
		return rc;
	return run2(s, W_VER_DEL, kind_names[k], id);
}

static int
upsert_user(struct store *s, const struct store_object *o, const char *now)
{
	sqlite3_stmt *st = wst(s, W_USER_UPSERT);

	if (st == NULL)
		return SQLITE_ERROR;
	bind_opt(st, 1, o->id);
	bind_opt(st, 2, o->name);
	bind_opt(st, 3, o->email);
	bind_bool(st, 4, o->email_verified);
	bind_opt(st, 5, o->image);
	bind_opt(st, 6, o->created_at);
	bind_opt(st, 7, o->updated_at);
	bind_opt(st, 8, o->role);
	bind_bool(st, 9, o->banned);
	bind_opt(st, 10, o->ban_reason);
	bind_opt(st, 11, o->ban_expires);
	bind_opt(st, 12, now);
	return run(s, st, "user upsert");
}

static int
upsert_org(struct store *s, const struct store_object *o, const char *now)
{
	sqlite3_stmt *st = wst(s, W_ORG_UPSERT);

	if (st == NULL)
		return SQLITE_ERROR;
	bind_opt(st, 1, o->id);
	bind_opt(st, 2, o->name);
	bind_opt(st, 3, o->slug);
	bind_opt(st, 4, o->logo);
	bind_opt(st, 5, o->created_at);
	bind_opt(st, 6, now);
	bind_opt(st, 7, o->metadata);
	return run(s, st, "organization upsert");
}

static int
upsert_member(struct store *s, const struct store_object *o, const char *id,
    const char *now)
{
	sqlite3_stmt *st;
	int rc;

	if ((st = wst(s, W_MEMBER_DEL_OTHERS)) == NULL)
		return SQLITE_ERROR;
	bind_opt(st, 1, id);
	bind_opt(st, 2, o->organization_id);
	bind_opt(st, 3, o->user_id);
	if ((rc = run(s, st, "member dedupe")) != 0)
		return rc;
	if ((st = wst(s, W_MEMBER_UPSERT)) == NULL)
		return SQLITE_ERROR;
	bind_opt(st, 1, id);
	bind_opt(st, 2, o->organization_id);
	bind_opt(st, 3, o->user_id);
	bind_opt(st, 4, o->role);
	bind_opt(st, 5, o->created_at);
	bind_opt(st, 6, now);
	return run(s, st, "member upsert");
}

static int
upsert_session(struct store *s, const struct store_object *o,
    const char *now)
{
	sqlite3_stmt *st = wst(s, W_SESSION_UPSERT);

	if (st == NULL)
		return SQLITE_ERROR;
	bind_opt(st, 1, o->id);
	bind_opt(st, 2, o->expires_at);
	bind_opt(st, 3, o->token);
	bind_opt(st, 4, o->created_at);
	bind_opt(st, 5, o->updated_at);
	bind_opt(st, 6, o->ip_address);
	bind_opt(st, 7, o->user_agent);
	bind_opt(st, 8, o->user_id);
	bind_opt(st, 9, o->organization_id);
	bind_opt(st, 10, now);
	sqlite3_bind_int(st, 11, o->organization_id_present != 0);
	return run(s, st, "session upsert");
}

static int
upsert_key(struct store *s, const struct store_object *o, const char *now)
{
	sqlite3_stmt *st = wst(s, W_KEY_UPSERT);

	if (st == NULL)
		return SQLITE_ERROR;
	bind_opt(st, 1, o->id);
	bind_opt(st, 2, o->config_id);
	bind_opt(st, 3, o->name);
	bind_opt(st, 4, o->start);
	bind_opt(st, 5, o->user_id);
	bind_opt(st, 6, o->prefix);
	bind_opt(st, 7, o->key_hash);
	bind_bool(st, 8, o->enabled);
	bind_opt(st, 9, o->expires_at);
	bind_opt(st, 10, o->created_at);
	bind_opt(st, 11, o->updated_at);
	bind_opt(st, 12, o->permissions);
	bind_opt(st, 13, o->metadata);
	bind_opt(st, 14, now);
	sqlite3_bind_int(st, 15, o->expires_at_present != 0);
	return run(s, st, "api key upsert");
}

/* Deletes an object and what hangs off it. *gone = 1 if a row went. */
static int
delete_object(struct store *s, enum store_kind k, const char *id, int *gone)
{
	static const enum wstmt_id user_del[] = { W_USER_DEL_SESSIONS,
	    W_USER_DEL_MEMBERS, W_USER_DEL_KEYS, W_USER_DEL_ACCOUNTS,
	    W_USER_DEL };
	static const enum wstmt_id org_del[] = { W_ORG_DEL_MEMBERS,
	    W_ORG_DEL_KEYS, W_ORG_DEL_INVITES, W_ORG_CLEAR_SESSIONS,
	    W_ORG_DEL };
	static const enum wstmt_id member_del[] = { W_MEMBER_DEL };
	static const enum wstmt_id session_del[] = { W_SESSION_DEL };
	static const enum wstmt_id key_del[] = { W_KEY_DEL };
	const enum wstmt_id *list;
	size_t n, i;
	int rc;

	switch (k) {
	case STORE_USER: list = user_del; n = 5; break;
	case STORE_ORG: list = org_del; n = 5; break;
	case STORE_MEMBER: list = member_del; n = 1; break;
	case STORE_SESSION: list = session_del; n = 1; break;
	default: list = key_del; n = 1; break;
	}
	*gone = 0;
	for (i = 0; i < n; i++) {
		if ((rc = run1(s, list[i], id)) != 0)
			return rc;
		/* The object's own row is the last statement. */
		if (i == n - 1)
			*gone = sqlite3_changes(s->db) > 0;
	}
	return 0;
}

/*
 * Applies one object inside the caller's transaction.
 * Returns 0 with *out set, or an SQLite error code.
 */
static int
apply_object(struct store *s, const struct store_object *o, const char *now,
    enum store_outcome *out)
{
	char found[STORE_MAX_ID + 1], synth[2 * STORE_MAX_ID + 8];
	const char *id = o->id;
	int64_t have;
	int rc, gone;

	*out = STORE_APPLIED;
	/* A member may come without its id: find it by (org, user), or
	 * name a new one after them. */
	if (o->kind == STORE_MEMBER && id == NULL) {
		rc = query_text(s, W_MEMBER_FIND, o->organization_id,
		    o->user_id, found, sizeof(found));
		if (rc < 0)
			return SQLITE_ERROR;
		if (rc == 1) {
			id = found;
		} else if (o->action == STORE_DELETE) {
			*out = STORE_ABSENT;
			return 0;
		} else {
			snprintf(synth, sizeof(synth), "m_%s_%s",
			    o->organization_id, o->user_id);
			id = synth;
		}
	}
	/* A session may be revoked by token alone. */
	if (o->kind == STORE_SESSION && id == NULL && o->token != NULL) {
		rc = query_text(s, W_SESSION_BY_TOKEN, o->token, NULL, found,
		    sizeof(found));
		if (rc < 0)
			return SQLITE_ERROR;
		if (rc == 0) {
			*out = STORE_ABSENT;
			return 0;
		}
		id = found;
	}
	if (id == NULL)
		return SQLITE_MISUSE;

	if (o->action == STORE_DELETE) {
		if ((rc = delete_object(s, o->kind, id, &gone)) != 0)
			return rc;
		if ((rc = bury(s, o->kind, id, now)) != 0)
			return rc;
		*out = gone ? STORE_APPLIED : STORE_ABSENT;
		return 0;
	}

	/* Invariant: what was deleted stays deleted, and so does what hangs
	 * off a deleted user or organization. */
	if ((rc = tombstoned(s, o->kind, id)) != 0 ||
	    (o->kind != STORE_USER && o->kind != STORE_ORG &&
	    ((rc = tombstoned(s, STORE_USER, o->user_id)) != 0 ||
	    (o->kind == STORE_APIKEY &&
	    (rc = tombstoned(s, STORE_ORG, o->user_id)) != 0) ||
	    (o->kind == STORE_MEMBER &&
	    (rc = tombstoned(s, STORE_ORG, o->organization_id)) != 0)))) {
		if (rc < 0)
			return SQLITE_ERROR;
		*out = STORE_TOMBSTONED;
		return 0;
	}
	if (o->has_version) {
		rc = stored_version(s, o->kind, id, &have);
		if (rc < 0)
			return SQLITE_ERROR;
		if (rc == 1 && o->version_ms < have) {
			*out = STORE_STALE;
			return 0;
		}
	}
	switch (o->kind) {
	case STORE_USER: rc = upsert_user(s, o, now); break;
	case STORE_ORG: rc = upsert_org(s, o, now); break;
	case STORE_MEMBER: rc = upsert_member(s, o, id, now); break;
	case STORE_SESSION: rc = upsert_session(s, o, now); break;
	default: rc = upsert_key(s, o, now); break;
	}
	if (rc != 0)
		return rc;
	return put_version(s, o, id);
}

static int
busy_rc(int rc)
{
	return (rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED ?
	    -2 : -1;
}

static int
write_begin(struct store *s)
{
	char err[PATH_MAX + 128];
	sqlite3_stmt *st;
	int rc;

	if (check_replaced(s) != 0)
		return -1;
	if (s->db == NULL && connect_db(s, err, sizeof(err)) != 0) {
		log_msg("store: %s", err);
		return -1;
	}
	if ((st = wst(s, W_BEGIN)) == NULL)
		return -1;
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		store_err(s, "begin immediate", rc);
		return busy_rc(rc);
	}
	note_files(s);
	return 0;
}

static int
write_end(struct store *s, int commit)
{
	sqlite3_stmt *st = wst(s, commit ? W_COMMIT : W_ROLLBACK);
	int rc;

	if (st == NULL) {
		if (!sqlite3_get_autocommit(s->db))
			sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		store_err(s, commit ? "commit" : "rollback", rc);
		if (!sqlite3_get_autocommit(s->db))
			sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		return busy_rc(rc);
	}
	return 0;
}

static int
now_iso(char *buf, size_t sz, int64_t offset_ms)
{
	return util_time_format(util_now_ms() - offset_ms, buf, sz);
}

int
store_apply_event(struct store *s, const char *event_id,
    const char *event_type, const struct store_object *o,
    enum store_outcome *out)
{
	char now[UTIL_TIME_ISO_LEN + 1], cutoff[UTIL_TIME_ISO_LEN + 1];
	char tomb_cutoff[UTIL_TIME_ISO_LEN + 1];
	sqlite3_stmt *st;
	int rc;

	*out = STORE_IGNORED;
	if (now_iso(now, sizeof(now), 0) != 0 ||
	    now_iso(cutoff, sizeof(cutoff), STORE_RETENTION_MS) != 0 ||
	    now_iso(tomb_cutoff, sizeof(tomb_cutoff), STORE_TOMBSTONE_MS) != 0)
		return -1;
	if ((rc = write_begin(s)) != 0)
		return rc;
	if ((st = wst(s, W_EVENT_INSERT)) == NULL)
		goto fail;
	bind_opt(st, 1, event_id);
	bind_opt(st, 2, event_type);
	bind_opt(st, 3, now);
	if ((rc = run(s, st, "event insert")) != 0)
		goto fail_rc;
	if (sqlite3_changes(s->db) == 0) {
		*out = STORE_DUPLICATE;
		return write_end(s, 0) == 0 ? 0 : -1;
	}
	if (o != NULL && (rc = apply_object(s, o, now, out)) != 0)
		goto fail_rc;
	if (run2(s, W_EVENT_OUTCOME, event_id, store_outcome_name(*out)) ||
	    run1(s, W_PRUNE_EVENTS, cutoff) ||
	    run1(s, W_PRUNE_TOMBS, tomb_cutoff))
		goto fail;
	return write_end(s, 1);

fail_rc:
	write_end(s, 0);
	return (rc & 0xff) == SQLITE_CONSTRAINT ? -3 : busy_rc(rc);
fail:
	write_end(s, 0);
	return -1;
}

int
store_import_begin(struct store *s)
{
	return write_begin(s);
}

int
store_import_object(struct store *s, const struct store_object *o,
    enum store_outcome *out)
{
	char now[UTIL_TIME_ISO_LEN + 1];
	int rc;

	if (now_iso(now, sizeof(now), 0) != 0)
		return -1;
	if ((rc = apply_object(s, o, now, out)) != 0)
		return (rc & 0xff) == SQLITE_CONSTRAINT ? -3 : busy_rc(rc);
	return 0;
}

int
store_import_end(struct store *s, int commit)
{
	return write_end(s, commit);
}

/* ------------------------------------------------------------------ */
/* Administration: the CLI's reads and writes. */

void
store_set_quiet(struct store *s, int quiet)
{
	s->quiet = quiet;
}

enum store_error
store_last_error(const struct store *s, const char **msg)
{
	*msg = s->last_msg;
	return s->last_kind;
}

const char *
store_init_skipped(const struct store *s)
{
	return s->skipped;
}

int
store_admin_begin(struct store *s, int write)
{
	char err[PATH_MAX + 128];
	sqlite3_stmt *st;
	long long v;
	int rc;

	s->last_kind = STORE_ERR_NONE;
	s->last_msg[0] = '\0';
	if (write && s->mode == STORE_READONLY) {
		s->last_kind = STORE_ERR_READONLY;
		snprintf(s->last_msg, sizeof(s->last_msg), "opened read-only");
		return -1;
	}
	if (s->db == NULL && connect_db(s, err, sizeof(err)) != 0)
		return -1;
	if ((st = wst(s, write ? W_BEGIN : W_BEGIN_READ)) == NULL)
		return -1;
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		store_err(s, "begin", rc);
		return -1;
	}
	/* Touch the file now: a missing, locked or corrupt database shows
	 * itself here, not halfway through a command. */
	if ((rc = step_int(s->q[Q_SCHEMA_VERSION], &v)) != SQLITE_OK) {
		store_err(s, "schema_version", rc);
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	return 0;
}

int
store_admin_end(struct store *s, int commit)
{
	if (s->db == NULL || sqlite3_get_autocommit(s->db))
		return 0;
	return write_end(s, commit) == 0 ? 0 : -1;
}

/* Runs a one-row, one-integer statement (?1 bound to a when not NULL).
 * Returns 0 with *v set, or -1. */
static int
query_int(struct store *s, enum wstmt_id id, const char *a, long long *v)
{
	sqlite3_stmt *st = wst(s, id);
	int rc;

	if (st == NULL)
		return -1;
	if (a != NULL)
		bind_opt(st, 1, a);
	rc = step_row(s, st, wsql[id]);
	if (rc == 1)
		*v = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == 1 ? 0 : -1;
}

int
store_owner_kind(struct store *s, const char *id)
{
	int rc;

	if ((rc = query_text(s, W_OWNER_USER, id, NULL, NULL, 0)) != 0)
		return rc < 0 ? -1 : STORE_OWNER_USER;
	if ((rc = has_column(s, "organization", "id")) != 1)
		return rc < 0 ? -1 : STORE_OWNER_NONE;
	if ((rc = query_text(s, W_OWNER_ORG, id, NULL, NULL, 0)) != 0)
		return rc < 0 ? -1 : STORE_OWNER_ORG;
	return STORE_OWNER_NONE;
}

int
store_member_roles(struct store *s, const char *org_id, const char *user_id,
    char *roles, size_t rolesz)
{
	int rc;

	if ((rc = has_column(s, "member", "role")) != 1)
		return rc;
	return query_text(s, W_MEMBER_ROLES, org_id, user_id, roles, rolesz);
}

/*
 * Which owner column this database's apikey table has: 1 referenceId
 * (better-auth 1.4+, authgate's schema), 2 userId (older), 0 no usable
 * apikey table, -1 error.
 */
static int
key_variant(struct store *s)
{
	int rc;

	if ((rc = has_column(s, "apikey", "key")) != 1)
		return rc;
	if ((rc = has_column(s, "apikey", "referenceId")) != 0)
		return rc;
	if ((rc = has_column(s, "apikey", "userId")) != 1)
		return rc;
	return 2;
}

static int
no_key_table(struct store *s)
{
	s->last_kind = STORE_ERR_SCHEMA;
	snprintf(s->last_msg, sizeof(s->last_msg), "no apikey table");
	return -1;
}

static void
key_from(struct store *s, sqlite3_stmt *st, struct store_key_row *k)
{
	int kind;

	memset(k, 0, sizeof(*k));
	col_text(st, 0, k->id, sizeof(k->id), &k->oversize);
	col_text(st, 1, k->name, sizeof(k->name), &k->oversize);
	col_text(st, 2, k->start, sizeof(k->start), &k->oversize);
	col_text(st, 3, k->prefix, sizeof(k->prefix), &k->oversize);
	col_text(st, 4, k->owner, sizeof(k->owner), &k->oversize);
	col_text(st, 5, k->org, sizeof(k->org), &k->oversize);
	col_text(st, 6, k->role, sizeof(k->role), &k->oversize);
	k->enabled = col_bool(st, 7, 0);
	col_time(st, 8, &k->expires);
	col_time(st, 9, &k->created);
	kind = k->owner[0] != '\0' ? store_owner_kind(s, k->owner) : 0;
	k->owner_kind = kind > 0 ? (enum store_owner)kind : STORE_OWNER_NONE;
	/* An organization's key holds the role an admin granted it, never
	 * its metadata's (the decision reads it the same way). */
	if (k->owner_kind == STORE_OWNER_ORG) {
		k->role[0] = '\0';
		if (query_text(s, W_KEY_ROLE_GET, k->id, NULL, k->role,
		    sizeof(k->role)) < 0)
			k->role[0] = '\0';
	}
}

int
store_key_find(struct store *s, const char *id, struct store_key_row *out)
{
	sqlite3_stmt *st;
	int v, rc;

	memset(out, 0, sizeof(*out));
	if ((v = key_variant(s)) <= 0)
		return v < 0 ? -1 : 0;
	if ((st = wst(s, v == 1 ? W_KEY_GET_REF : W_KEY_GET_USER)) == NULL)
		return -1;
	bind_opt(st, 1, id);
	rc = step_row(s, st, "key get");
	if (rc == 1)
		key_from(s, st, out);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc;
}

int
store_key_list(struct store *s,
    int (*cb)(void *ctx, const struct store_key_row *row), void *ctx)
{
	struct store_key_row k;
	sqlite3_stmt *st;
	int v, rc, ret = 0;

	if ((v = key_variant(s)) <= 0)
		return v < 0 ? -1 : 1;
	if ((st = wst(s, v == 1 ? W_KEY_LIST_REF : W_KEY_LIST_USER)) == NULL)
		return -1;
	while ((rc = step_row(s, st, "key list")) == 1) {
		key_from(s, st, &k);
		if (cb(ctx, &k) != 0) {
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
bind_key(sqlite3_stmt *st, const struct store_key_new *k)
{
	bind_opt(st, 1, k->id);
	bind_opt(st, 2, k->name);
	bind_opt(st, 3, k->start);
	bind_opt(st, 4, k->owner);
	bind_opt(st, 5, k->prefix);
	bind_opt(st, 6, k->hash);
	bind_opt(st, 7, k->expires_at);
	bind_opt(st, 8, k->now);
	bind_opt(st, 9, k->metadata);
}

int
store_key_insert(struct store *s, const struct store_key_new *k)
{
	sqlite3_stmt *st;
	int v;

	if ((v = key_variant(s)) <= 0)
		return v < 0 ? -1 : no_key_table(s);
	if ((st = wst(s, v == 1 ? W_KEY_INSERT_REF : W_KEY_INSERT_USER)) ==
	    NULL)
		return -1;
	bind_key(st, k);
	return run(s, st, "key insert") == 0 ? 0 : -1;
}

int
store_key_rotate(struct store *s, const char *old_id,
    const struct store_key_new *k)
{
	sqlite3_stmt *st;
	int v;

	if ((v = key_variant(s)) <= 0)
		return v < 0 ? -1 : no_key_table(s);
	if ((st = wst(s, v == 1 ? W_KEY_ROTATE_REF : W_KEY_ROTATE_USER)) ==
	    NULL)
		return -1;
	bind_opt(st, 1, old_id);
	bind_opt(st, 2, k->id);
	bind_opt(st, 3, k->start);
	bind_opt(st, 4, k->prefix);
	bind_opt(st, 5, k->hash);
	bind_opt(st, 6, k->expires_at);
	bind_opt(st, 7, k->now);
	if (run(s, st, "key rotate") != 0)
		return -1;
	if (sqlite3_changes(s->db) == 0)
		return 0;
	/* the new key keeps an organization key's granted role */
	if ((st = wst(s, W_KEY_ROLE_COPY)) != NULL) {
		bind_opt(st, 1, old_id);
		bind_opt(st, 2, k->id);
		bind_opt(st, 3, k->now);
		if (run(s, st, "key role copy") != 0)
			return -1;
	}
	return store_key_set_enabled(s, old_id, 0, k->now) == 1 ? 1 : -1;
}

int
store_key_role_set(struct store *s, const char *key_id, const char *role,
    const char *now)
{
	sqlite3_stmt *st = wst(s, W_KEY_ROLE_SET);

	if (st == NULL)
		return -1;
	bind_opt(st, 1, key_id);
	bind_opt(st, 2, role);
	bind_opt(st, 3, now);
	return run(s, st, "key role") == 0 ? 0 : -1;
}

int
store_key_set_enabled(struct store *s, const char *id, int enabled,
    const char *now)
{
	sqlite3_stmt *st;
	int v;

	if ((v = key_variant(s)) <= 0)
		return v < 0 ? -1 : 0;
	if ((st = wst(s, W_KEY_ENABLE)) == NULL)
		return -1;
	bind_opt(st, 1, id);
	sqlite3_bind_int(st, 2, enabled != 0);
	bind_opt(st, 3, now);
	if (run(s, st, "key enable") != 0)
		return -1;
	return sqlite3_changes(s->db) > 0;
}

int
store_rules_list(struct store *s,
    int (*cb)(void *ctx, const struct store_rule_row *row), void *ctx)
{
	struct store_rule_row r;
	sqlite3_stmt *st;
	int rc, ret = 1;

	if ((rc = has_column(s, "authgate_rule", "note")) != 1)
		return rc;
	if ((st = wst(s, W_RULE_LIST)) == NULL)
		return -1;
	while ((rc = step_row(s, st, "rule list")) == 1) {
		rule_from(st, &r);
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
store_rule_insert(struct store *s, const struct store_rule_row *r,
    long long *id)
{
	sqlite3_stmt *st = wst(s, W_RULE_INSERT);

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, r->priority);
	bind_opt(st, 2, r->method);
	bind_opt(st, 3, r->path);
	bind_opt(st, 4, r->access);
	bind_opt(st, 5, r->min_role);
	bind_opt(st, 6, r->on_deny);
	bind_opt(st, 7, r->redirect_to);
	bind_opt(st, 8, r->note);
	if (run(s, st, "rule insert") != 0)
		return -1;
	*id = sqlite3_last_insert_rowid(s->db);
	return 0;
}

int
store_rule_update(struct store *s, const struct store_rule_row *r)
{
	sqlite3_stmt *st = wst(s, W_RULE_UPDATE);

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, r->id);
	sqlite3_bind_int64(st, 2, r->priority);
	bind_opt(st, 3, r->method);
	bind_opt(st, 4, r->path);
	bind_opt(st, 5, r->access);
	bind_opt(st, 6, r->min_role);
	bind_opt(st, 7, r->on_deny);
	bind_opt(st, 8, r->redirect_to);
	bind_opt(st, 9, r->note);
	if (run(s, st, "rule update") != 0)
		return -1;
	return sqlite3_changes(s->db) > 0;
}

int
store_rule_delete(struct store *s, long long id)
{
	sqlite3_stmt *st = wst(s, W_RULE_DELETE);

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	if (run(s, st, "rule delete") != 0)
		return -1;
	return sqlite3_changes(s->db) > 0;
}

/* count(*) of a table when it exists (probed by one of its columns),
 * else -1 in *v. Returns 0, or -1 on error. */
static int
count_if(struct store *s, const char *table, const char *column,
    enum wstmt_id id, long long *v)
{
	int rc;

	*v = -1;
	if ((rc = has_column(s, table, column)) != 1)
		return rc;
	return query_int(s, id, NULL, v);
}

static int
stats_sessions(struct store *s, int64_t now, struct store_stats *o)
{
	struct store_time t;
	sqlite3_stmt *st;
	int rc, col;

	o->sessions = o->sessions_live = -1;
	if ((rc = has_column(s, "session", "expiresAt")) != 1)
		return rc;
	if ((st = wst(s, W_SESSION_TIMES)) == NULL)
		return -1;
	o->sessions = o->sessions_live = 0;
	while ((rc = step_row(s, st, "sessions")) == 1) {
		o->sessions++;
		col_time(st, 0, &t);
		/* As the authorizer reads it: absent or unreadable is past. */
		if (t.present && !t.bad && t.ms > now)
			o->sessions_live++;
		for (col = 1; col <= 2; col++) {
			col_time(st, col, &t);
			if (t.present && !t.bad && t.ms > o->newest_session_ms)
				o->newest_session_ms = t.ms;
		}
	}
	sqlite3_reset(st);
	return rc < 0 ? -1 : 0;
}

static int
stats_keys(struct store *s, int64_t now, struct store_stats *o)
{
	struct store_time t;
	sqlite3_stmt *st;
	int rc;

	o->keys = o->keys_enabled = -1;
	if ((rc = has_column(s, "apikey", "enabled")) != 1)
		return rc;
	if ((st = wst(s, W_KEY_STATES)) == NULL)
		return -1;
	o->keys = o->keys_enabled = 0;
	while ((rc = step_row(s, st, "keys")) == 1) {
		o->keys++;
		col_time(st, 1, &t);
		if (col_bool(st, 0, 0) && !t.bad && !(t.present && t.ms <= now))
			o->keys_enabled++;
	}
	sqlite3_reset(st);
	return rc < 0 ? -1 : 0;
}

static int
stats_events(struct store *s, int64_t now, struct store_stats *o)
{
	char cutoff[UTIL_TIME_ISO_LEN + 1];
	sqlite3_stmt *st;
	int rc, over = 0;

	o->events = o->events_24h = -1;
	if ((rc = has_column(s, "authgate_event", "received_at")) != 1)
		return rc;
	if (util_time_format(now - 24LL * 3600 * 1000, cutoff,
	    sizeof(cutoff)) != 0 || (st = wst(s, W_N_EVENTS)) == NULL)
		return -1;
	bind_opt(st, 1, cutoff);
	if ((rc = step_row(s, st, "events")) == 1) {
		o->events = sqlite3_column_int64(st, 0);
		o->events_24h = sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != 1 || (st = wst(s, W_LAST_EVENT)) == NULL)
		return -1;
	if ((rc = step_row(s, st, "last event")) == 1) {
		col_text(st, 0, o->last_event_at, sizeof(o->last_event_at),
		    &over);
		col_text(st, 1, o->last_event_type,
		    sizeof(o->last_event_type), &over);
	}
	sqlite3_reset(st);
	return rc < 0 ? -1 : 0;
}

int
store_stats_get(struct store *s, int64_t now, struct store_stats *o)
{
	sqlite3_stmt *st;
	long long v;
	int rc, over = 0;

	memset(o, 0, sizeof(*o));
	if (count_if(s, "user", "id", W_N_USERS, &o->users) ||
	    count_if(s, "organization", "id", W_N_ORGS, &o->organizations) ||
	    count_if(s, "member", "id", W_N_MEMBERS, &o->members) ||
	    count_if(s, "authgate_rule", "id", W_N_RULES, &o->rules) ||
	    stats_sessions(s, now, o) || stats_keys(s, now, o) ||
	    stats_events(s, now, o))
		return -1;
	if ((st = wst(s, W_JOURNAL_MODE)) == NULL)
		return -1;
	rc = step_row(s, st, "journal_mode");
	if (rc == 1)
		col_text(st, 0, o->journal_mode, sizeof(o->journal_mode),
		    &over);
	sqlite3_reset(st);
	if (rc != 1 ||
	    query_int(s, W_PAGE_COUNT, NULL, &o->page_count) ||
	    query_int(s, W_PAGE_SIZE, NULL, &o->page_size) ||
	    query_int(s, W_FREELIST, NULL, &o->freelist) ||
	    query_int(s, W_N_VIEWS, NULL, &v))
		return -1;
	o->views = (int)v;
	if ((o->schema_version = store_schema_version(s)) < 0)
		return -1;
	return 0;
}

int
store_quick_check(struct store *s, char *msg, size_t msgsz)
{
	sqlite3_stmt *st = wst(s, W_QUICK_CHECK);
	int rc, over = 0;

	msg[0] = '\0';
	if (st == NULL)
		return -1;
	if ((rc = step_row(s, st, "quick_check")) == 1)
		col_text(st, 0, msg, msgsz, &over);
	sqlite3_reset(st);
	if (rc != 1)
		return -1;
	return strcmp(msg, "ok") == 0;
}
