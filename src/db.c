/*
 * db.c - the SQLite connection behind a struct store, and the small tools
 * every SQL-speaking file shares: the statement cache, transactions,
 * binding, stepping, column copies, errors.
 *
 * Owns one sqlite3 connection per handle. Trusts the file only as far as
 * SQLite does: defensive mode, untrusted schema, no extensions, a busy
 * timeout, extended result codes; values copied out with bounds and
 * flagged when they do not fit. Never builds SQL from data. Notices a
 * database file replaced on disk and reopens it, without reading the old
 * file's WAL as the new file's.
 */
#define _GNU_SOURCE	/* statx: birth times */
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "db.h"
#include "log.h"
#include "sqlmem.h"
#include "util.h"

static int	check_replaced(struct store *);

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

void
db_err(struct store *s, const char *what, int rc)
{
	s->last_kind = error_kind(rc);
	snprintf(s->last_msg, sizeof(s->last_msg), "%s", s->db ?
	    sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
	if (!s->quiet)
		log_msg("store: %s failed: %s (%d): %s", what,
		    sqlite3_errstr(rc), rc, s->db ? sqlite3_errmsg(s->db) : "-");
}

void
db_fail(struct store *s, enum store_error kind, const char *fmt, ...)
{
	va_list ap;

	s->last_kind = kind;
	va_start(ap, fmt);
	vsnprintf(s->last_msg, sizeof(s->last_msg), fmt, ap);
	va_end(ap);
}

int
store_time_past(const struct store_time *t, int64_t now)
{
	return t->present && (t->bad || t->ms <= now);
}

int
db_busy_rc(int rc)
{
	return (rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED ?
	    -2 : -1;
}

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

/* ------------------------------------------------------------------ */
/* The statement cache: open addressing on the SQL text's address. */

static size_t
slot_of(const char *sql)
{
	uintptr_t h = (uintptr_t)sql;

	h ^= h >> 17;
	h *= 0x9e3779b97f4a7c15ULL;
	return (size_t)(h >> 40) % DB_CACHE;
}

sqlite3_stmt *
db_stmt(struct store *s, const char *sql)
{
	size_t i = slot_of(sql), k;
	int rc;

	for (k = 0; k < DB_CACHE; k++, i = (i + 1) % DB_CACHE) {
		if (s->cache[i].sql == sql)
			return s->cache[i].st;
		if (s->cache[i].sql == NULL)
			break;
	}
	if (k == DB_CACHE || s->db == NULL) {
		db_fail(s, STORE_ERR_OTHER, "statement cache full");
		return NULL;
	}
	rc = sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
	    &s->cache[i].st, NULL);
	if (rc != SQLITE_OK) {
		db_err(s, "prepare", rc);
		sqlite3_finalize(s->cache[i].st);
		s->cache[i].st = NULL;
		return NULL;
	}
	s->cache[i].sql = sql;
	return s->cache[i].st;
}

void
db_cache_clear(struct store *s)
{
	size_t i;

	for (i = 0; i < DB_CACHE; i++) {
		sqlite3_finalize(s->cache[i].st);
		s->cache[i].st = NULL;
		s->cache[i].sql = NULL;
	}
}

/* ------------------------------------------------------------------ */
/* Connection */

/* Fills id from path + suffix; present = 0 when it does not exist. */
static void
file_id_of(const char *path, const char *suffix, struct db_file_id *id)
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
file_id_same(const struct db_file_id *a, const struct db_file_id *b)
{
	return a->present && b->present && a->dev == b->dev &&
	    a->ino == b->ino && a->btime_ns == b->btime_ns;
}

#define DB_SHM_MAP	4096	/* two WAL index headers and more */
#define DB_SHM_MIN	136	/* the headers and the checkpoint info */

/* Maps the -shm read-only once SQLite has it (WAL mode). Our own open
 * connection keeps any other from truncating it under the mapping. */
static void
shm_map(struct store *s)
{
	char p[PATH_MAX + 8];
	struct stat st;
	void *m;
	int fd;

	if (s->walidx != NULL || snprintf(p, sizeof(p), "%s-shm", s->path) >=
	    (int)sizeof(p) || (fd = open(p, O_RDONLY | O_CLOEXEC)) < 0)
		return;
	if (fstat(fd, &st) == 0 && st.st_size >= DB_SHM_MIN &&
	    (m = mmap(NULL, DB_SHM_MAP < st.st_size ? DB_SHM_MAP :
	    (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0)) != MAP_FAILED)
		s->walidx = m;
	close(fd);
}

static void
shm_unmap(struct store *s)
{
	if (s->walidx != NULL)
		munmap((void *)(uintptr_t)s->walidx, DB_SHM_MAP);
	s->walidx = NULL;
	s->seen_ok = 0;
}

/* The mark of the first header copy, which a writer updates last. */
static void
walmark(const volatile uint32_t *h, struct db_walmark *m)
{
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	m->change = h[2];	/* iChange */
	m->frame = h[4];	/* mxFrame */
	m->salt[0] = h[8];	/* aSalt */
	m->salt[1] = h[9];
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
}

void
db_note(struct store *s)
{
	s->generation++;
	s->seen_ok = 0;
	if (s->walidx == NULL && s->db != NULL)
		shm_map(s);
	if (s->walidx != NULL) {
		walmark(s->walidx, &s->seen);
		s->seen_ok = 1;
	}
}

int
db_unchanged(struct store *s)
{
	struct db_walmark now;

	if (!s->seen_ok || s->walidx == NULL || check_replaced(s) != 0 ||
	    !s->seen_ok || s->db == NULL)
		return 0;
	walmark(s->walidx, &now);
	return now.change == s->seen.change && now.frame == s->seen.frame &&
	    now.salt[0] == s->seen.salt[0] && now.salt[1] == s->seen.salt[1];
}

void
db_disconnect(struct store *s)
{
	shm_unmap(s);
	db_cache_clear(s);
	if (s->db != NULL)
		sqlite3_close(s->db);
	s->db = NULL;
	s->in_tx = 0;
	s->data_version = -1;
	s->schema_version = -1;
	s->bad_schema = -1;
	memset(&s->look, 0, sizeof(s->look));
	memset(&s->file, 0, sizeof(s->file));
	memset(&s->wal, 0, sizeof(s->wal));
	memset(&s->shm, 0, sizeof(s->shm));
}

/*
 * Process-wide SQLite settings, before its first use: authgate runs one
 * thread per process, so no mutexes, no memory statistics (both cost a
 * lock per allocation on the decision's path) and free lists in front of
 * malloc (sqlmem.c). If SQLite was initialised already, it keeps its own.
 */
static void
sqlite_once(void)
{
	static int done;

	if (done)
		return;
	done = 1;
	if (sqlite3_config(SQLITE_CONFIG_SINGLETHREAD) != SQLITE_OK)
		return;		/* initialised already: it keeps its own */
	(void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	(void)sqlmem_install();
}

#define BUSY_FIRST_US	250	/* the first retry: a commit takes about this */
#define BUSY_MAX_US	2000	/* the longest nap between tries */

static int64_t
mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/*
 * SQLite's busy handler. Its own (sqlite3_busy_timeout) naps 1, 2, 5,
 * 10, ... 100 ms between tries, so two webhook writers queue behind each
 * other in steps of tens of milliseconds. This one naps 250 us, doubling
 * up to 2 ms, so a waiter takes the lock about when it is released; it
 * gives up at the same deadlines (STORE_READ_BUSY_MS, STORE_WRITE_BUSY_MS).
 * Returns 1 to try again, 0 to give up (SQLITE_BUSY).
 */
static int
busy_wait(void *arg, int tries)
{
	struct store *s = arg;
	int64_t now = mono_us(), limit, nap;
	struct timespec ts;

	limit = (int64_t)(s->mode == STORE_READONLY ? STORE_READ_BUSY_MS :
	    STORE_WRITE_BUSY_MS) * 1000;
	if (tries == 0)
		s->busy_since_us = now;
	if (now - s->busy_since_us >= limit)
		return 0;
	nap = tries < 3 ? (int64_t)BUSY_FIRST_US << tries : BUSY_MAX_US;
	if (nap > limit - (now - s->busy_since_us))
		nap = limit - (now - s->busy_since_us);
	ts.tv_sec = 0;
	ts.tv_nsec = (long)nap * 1000;
	nanosleep(&ts, NULL);
	return 1;
}

int
db_connect(struct store *s, char *err, size_t errsz)
{
	int flags, rc, on = 1, off = 0;

	sqlite_once();
	flags = s->mode == STORE_READONLY ? SQLITE_OPEN_READONLY :
	    s->mode == STORE_READWRITE_EXISTING ? SQLITE_OPEN_READWRITE :
	    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
	rc = sqlite3_open_v2(s->path, &s->db, flags | SQLITE_OPEN_NOMUTEX,
	    NULL);
	if (rc != SQLITE_OK) {
		snprintf(err, errsz, "cannot open database %s: %s", s->path,
		    sqlite3_errstr(rc));
		db_fail(s, error_kind(rc), "%s", sqlite3_errstr(rc));
		db_disconnect(s);
		return -1;
	}
	sqlite3_extended_result_codes(s->db, 1);
	sqlite3_db_config(s->db, SQLITE_DBCONFIG_DEFENSIVE, on, NULL);
	sqlite3_db_config(s->db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, off, NULL);
	sqlite3_db_config(s->db, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, off,
	    NULL);
	sqlite3_busy_handler(s->db, busy_wait, s);
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
	if (mode == STORE_READWRITE && db_connect(s, err, errsz) != 0) {
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
	db_disconnect(s);
	free(s->path);
	free(s);
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
	struct db_file_id wal = s->wal, shm = s->shm, now;
	char dir[PATH_MAX], p[PATH_MAX + 8], err[PATH_MAX + 128];
	const char *slash, *suffix[2] = { "-wal", "-shm" };
	const struct db_file_id *was[2] = { &wal, &shm };
	int dfd, rc = -1, i;

	log_msg("store: %s was replaced; reopening it", s->path);
	db_disconnect(s);
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
	for (i = 0; i < 2; i++) {
		file_id_of(s->path, suffix[i], &now);
		if (!file_id_same(was[i], &now))
			continue;	/* gone, or already a new file's */
		if (snprintf(p, sizeof(p), "%s%s", s->path, suffix[i]) >=
		    (int)sizeof(p) || unlink(p) != 0) {
			log_msg("store: cannot remove the replaced file's %s",
			    p);
			goto out;
		}
	}
	if (db_connect(s, err, sizeof(err)) != 0) {
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
 * At most every DB_REPLACE_CHECK_MS: is the file at the path still the
 * one this connection has open? Reconnects if not. Returns 0 or -1.
 */
static int
check_replaced(struct store *s)
{
	struct db_file_id now;
	int64_t t = util_mono_ms();

	if (s->db == NULL || t - s->checked_ms < DB_REPLACE_CHECK_MS)
		return 0;
	s->checked_ms = t;
	file_id_of(s->path, "", &now);
	if (!now.present) {
		/* Gone: the next open fails closed (or finds a new one). */
		db_disconnect(s);
		return 0;
	}
	if (file_id_same(&now, &s->file)) {
		/* -wal and -shm appear with the first writer: learn them */
		note_files(s);
		return 0;
	}
	return reconnect_replaced(s);
}

/* ------------------------------------------------------------------ */
/* Transactions: the one way in and out. */

static const char sql_begin[] = "BEGIN";
static const char sql_begin_write[] = "BEGIN IMMEDIATE";
static const char sql_commit[] = "COMMIT";
static const char sql_rollback[] = "ROLLBACK";

int
db_begin(struct store *s, enum db_tx tx)
{
	char err[PATH_MAX + 128];
	sqlite3_stmt *st;
	int rc;

	s->last_kind = STORE_ERR_NONE;
	s->last_msg[0] = '\0';
	if (tx == DB_TX_WRITE && s->mode == STORE_READONLY) {
		db_fail(s, STORE_ERR_READONLY, "opened read-only");
		return -1;
	}
	if (check_replaced(s) != 0)
		return -1;
	if (s->db == NULL && db_connect(s, err, sizeof(err)) != 0) {
		if (!s->quiet)
			log_msg("store: %s", err);
		return -1;
	}
	if ((st = db_stmt(s, tx == DB_TX_WRITE ? sql_begin_write :
	    sql_begin)) == NULL)
		return -1;
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		db_err(s, tx == DB_TX_WRITE ? "begin immediate" : "begin", rc);
		/* Busy clears by itself; anything else (a file made read-only,
		 * a full disk, a damaged page) is looked at afresh next time,
		 * so service comes back when the fault clears. */
		if (db_busy_rc(rc) != -2)
			db_disconnect(s);
		return db_busy_rc(rc);
	}
	s->in_tx = 1;
	if (tx == DB_TX_WRITE)
		note_files(s);
	return 0;
}

int
db_end(struct store *s, int commit)
{
	sqlite3_stmt *st;
	int rc;

	if (s->db == NULL || sqlite3_get_autocommit(s->db)) {
		s->in_tx = 0;
		return 0;
	}
	s->in_tx = 0;
	st = db_stmt(s, commit ? sql_commit : sql_rollback);
	rc = st != NULL ? sqlite3_step(st) : SQLITE_ERROR;
	if (st != NULL)
		sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		db_err(s, commit ? "commit" : "rollback", rc);
		if (!sqlite3_get_autocommit(s->db))
			sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		rc = db_busy_rc(rc);
		if (rc != -2)
			db_disconnect(s);	/* as in db_begin */
		return rc;
	}
	return 0;
}

void
db_abort(struct store *s)
{
	if (db_end(s, 0) != 0)
		s->in_tx = 0;	/* db_end recorded it and dropped the line */
}

/* ------------------------------------------------------------------ */
/* Binding, stepping, columns */

void
db_bind_text(sqlite3_stmt *st, int i, const char *v)
{
	if (v != NULL)
		sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

void
db_bind_bool(sqlite3_stmt *st, int i, int v)
{
	if (v < 0)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_int(st, i, v != 0);
}

int
db_step_row(struct store *s, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	db_err(s, what, rc);
	return -1;
}

void
db_done(sqlite3_stmt *st)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

int
db_each(struct store *s, sqlite3_stmt *st, const char *what,
    int (*row)(void *ctx, sqlite3_stmt *st), void *ctx)
{
	int rc, ret = 0;

	while ((rc = db_step_row(s, st, what)) == 1) {
		if (row(ctx, st) != 0) {
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
db_run(struct store *s, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);

	db_done(st);
	if (rc == SQLITE_DONE || rc == SQLITE_ROW)
		return 0;
	db_err(s, what, rc);
	return rc;
}

int
db_exec(struct store *s, const char *sql, const char *a, const char *b)
{
	sqlite3_stmt *st = db_stmt(s, sql);

	if (st == NULL)
		return SQLITE_ERROR;
	if (a != NULL)
		db_bind_text(st, 1, a);
	if (b != NULL)
		db_bind_text(st, 2, b);
	return db_run(s, st, sql);
}

int
db_query_text(struct store *s, const char *sql, const char *a,
    const char *b, char *out, size_t outsz)
{
	sqlite3_stmt *st = db_stmt(s, sql);
	int rc, over = 0;

	if (st == NULL)
		return -1;
	if (a != NULL)
		db_bind_text(st, 1, a);
	if (b != NULL)
		db_bind_text(st, 2, b);
	rc = db_step_row(s, st, sql);
	if (rc == 1 && out != NULL)
		db_col_text(st, 0, out, outsz, &over);
	db_done(st);
	return rc < 0 ? -1 : (rc == 1 && over ? -1 : rc);
}

int
db_query_int(struct store *s, const char *sql, const char *a, long long *v)
{
	sqlite3_stmt *st = db_stmt(s, sql);
	int rc;

	*v = 0;
	if (st == NULL)
		return -1;
	if (a != NULL)
		db_bind_text(st, 1, a);
	if ((rc = db_step_row(s, st, sql)) == 1)
		*v = sqlite3_column_int64(st, 0);
	db_done(st);
	return rc == 1 ? 0 : -1;
}

void
db_col_text(sqlite3_stmt *st, int col, char *dst, size_t dstsz,
    int *oversize)
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

int
db_col_bool(sqlite3_stmt *st, int col, int null_value)
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
void
db_col_time(sqlite3_stmt *st, int col, struct store_time *t)
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
		t->ms = util_epoch_ms(v);
		return;
	default:
		txt = sqlite3_column_text(st, col);
		t->present = 1;
		if (txt == NULL || util_time_parse((const char *)txt,
		    (size_t)sqlite3_column_bytes(st, col), &v) != 0) {
			t->bad = 1;
			return;
		}
		/* decimal text is a number too; a date has a '-' */
		t->ms = strchr((const char *)txt, '-') == NULL ?
		    util_epoch_ms(v) : v;
	}
}
