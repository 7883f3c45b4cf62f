/*
 * db.h - the hardened SQLite connection behind struct store, for the
 * files that speak SQL (db.c, schema.c, store_read.c, store_sync.c,
 * store_admin.c) and no one else: nothing outside them includes this
 * header or <sqlite3.h>.
 *
 * One connection per handle, opened lazily; statements prepared once and
 * cached by their SQL text's address (each file keeps its SQL in static
 * arrays next to where it is used); one way to begin, commit and roll
 * back; a database file replaced on disk is noticed and reopened.
 */
#ifndef AUTHGATE_DB_H
#define AUTHGATE_DB_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "store.h"

#define DB_CACHE	256	/* statement slots: about 90 are used */
#define DB_REPLACE_CHECK_MS	250	/* a replaced file is noticed within 1 s */

/*
 * Which file a connection is on, to notice it replaced under us: device,
 * inode and birth time (an inode number is soon reused; a birth time is
 * not; where the file system has none, btime is 0 and only the first two
 * count).
 */
struct db_file_id {
	int		 present;
	dev_t		 dev;
	ino_t		 ino;
	int64_t		 btime_ns;
};

/*
 * An API key's metadata field, in SQL: metadata is JSON text, which some
 * better-auth versions store encoded twice (a JSON string holding JSON).
 * json_valid guards json_extract, which would otherwise fail the whole
 * statement on a bad row. For statements over "apikey k".
 */
#define DB_KEY_META(field) \
    "CASE WHEN json_valid(k.metadata) THEN" \
    " CASE WHEN json_type(k.metadata) = 'text'" \
    "  AND json_valid(json_extract(k.metadata, '$'))" \
    " THEN json_extract(json_extract(k.metadata, '$'), '$." field "')" \
    " ELSE json_extract(k.metadata, '$." field "') END END"

struct db_slot {
	const char	*sql;		/* the key: a static string's address */
	sqlite3_stmt	*st;
};

/* The decision's view of the schema: which variant of each lookup fits. */
struct db_lookups {
	int		 probed;	/* 0 until the schema was probed */
	const char	*session;	/* NULL: no better-auth sessions */
	const char	*authjs;	/* NULL: no Auth.js adapter sessions */
	int		 memberships;	/* authgate_membership exists */
	const char	*apikey;	/* NULL: no apikey table */
	int		 orgs;		/* organization + member tables */
	const char	*rules;		/* with or without require_permission */
	int		 role_perms;	/* authgate_role_permission exists */
	int		 key_perms;	/* apikey has permissions */
};

/*
 * What identifies the database's state in SQLite's WAL index (the -shm
 * file, mapped read-only): the header's change counter, incremented by
 * every commit, the last frame, and the WAL's salts, which change when it
 * restarts. Equal values mean nothing was committed in between.
 */
struct db_walmark {
	uint32_t	 change;
	uint32_t	 frame;
	uint32_t	 salt[2];
};

struct store {
	sqlite3			*db;
	char			*path;
	enum store_mode		 mode;
	struct db_slot		 cache[DB_CACHE];
	int			 in_tx;
	int			 quiet;		/* record errors, do not log */
	enum store_error	 last_kind;
	char			 last_msg[256];
	/* the file under the connection */
	struct db_file_id	 file, wal, shm;
	int64_t			 checked_ms;	/* last replacement check */
	int64_t			 busy_since_us;	/* db.c's busy handler */
	/* store_read.c: what the last snapshot saw */
	long long		 data_version;	/* -1 before first use */
	long long		 schema_version;
	long long		 bad_schema;	/* version found unusable; -1 */
	char			 problem[256];	/* why, for doctor */
	struct db_lookups	 look;
	/* the WAL index, for db_unchanged */
	const volatile uint32_t	*walidx;	/* the -shm mapped; NULL: not */
	struct db_walmark	 seen;		/* as of the last db_note */
	int			 seen_ok;
	unsigned long		 generation;	/* db_note calls: a new mark */
	/* schema.c */
	char			 skipped[256];	/* views init left out */
};

enum db_tx {
	DB_TX_READ = 0,		/* BEGIN: a snapshot at the first read */
	DB_TX_WRITE		/* BEGIN IMMEDIATE: the write lock now */
};

/* Connection. */
int	db_connect(struct store *s, char *err, size_t errsz) UTIL_MUST_CHECK;
void	db_disconnect(struct store *s);

/*
 * Begins a transaction, connecting first if needed and, at most every
 * DB_REPLACE_CHECK_MS, reopening a file replaced on disk. Returns 0,
 * -2 when the store stayed locked past the busy timeout, or -1 (see
 * store_last_error).
 */
int	db_begin(struct store *s, enum db_tx tx) UTIL_MUST_CHECK;

/* Commits (commit = 1) or rolls back; any failed commit is rolled back.
 * Returns 0, -2 busy, -1 error. Nothing to end is fine. */
int	db_end(struct store *s, int commit) UTIL_MUST_CHECK;

/* Rolls back, when nothing is left to decide: a failed rollback drops
 * the connection (see db_end), so there is nothing for the caller to do. */
void	db_abort(struct store *s);

/*
 * Notes the WAL index's mark before a snapshot begins (db_note), and
 * whether it still holds (db_unchanged: 1 nothing committed since the
 * last db_note and the file not replaced; 0 changed or cannot tell, as
 * when the database is not in WAL mode). Neither starts a transaction.
 */
void	db_note(struct store *s);
int	db_unchanged(struct store *s);

/* -2 for SQLITE_BUSY/LOCKED, else -1. */
int	db_busy_rc(int rc);

/* Errors: record (and log unless quiet) what failed. */
void	db_err(struct store *s, const char *what, int rc);
void	db_fail(struct store *s, enum store_error kind, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

/*
 * The prepared statement for sql (a string with static storage: its
 * address is the cache key), prepared on first use with
 * SQLITE_PREPARE_PERSISTENT. NULL on error (recorded).
 */
sqlite3_stmt	*db_stmt(struct store *s, const char *sql);

/* Finalizes every cached statement (on disconnect, or a schema change). */
void	db_cache_clear(struct store *s);

/* Binding: NULL text is SQL NULL; a bool < 0 is SQL NULL. */
void	db_bind_text(sqlite3_stmt *st, int i, const char *v);
void	db_bind_bool(sqlite3_stmt *st, int i, int v);

/* Steps a lookup: 1 row, 0 done, -1 error (recorded). The caller resets
 * the statement with db_done. */
int	db_step_row(struct store *s, sqlite3_stmt *st, const char *what) UTIL_MUST_CHECK;
void	db_done(sqlite3_stmt *st);

/* Steps st to its end, calling row(ctx, st) for each row; a non-zero
 * return from row stops the walk. Resets st. 0 when every row was seen,
 * -1 on an SQLite error (recorded) or when row stopped it. */
int	db_each(struct store *s, sqlite3_stmt *st, const char *what,
	    int (*row)(void *ctx, sqlite3_stmt *st), void *ctx) UTIL_MUST_CHECK;

/* Runs a bound statement to completion and resets it. Returns 0, or the
 * SQLite error code (recorded). */
int	db_run(struct store *s, sqlite3_stmt *st, const char *what) UTIL_MUST_CHECK;

/* Runs sql with ?1 = a and ?2 = b (NULL: not bound). 0, or an SQLite
 * error code. */
int	db_exec(struct store *s, const char *sql, const char *a, const char *b) UTIL_MUST_CHECK;

/* One text value of sql with ?1 = a, ?2 = b (NULL: not bound) into out
 * (may be NULL). 1 row, 0 none, -1 error or it did not fit. */
int	db_query_text(struct store *s, const char *sql, const char *a,
	    const char *b, char *out, size_t outsz) UTIL_MUST_CHECK;

/* One integer of sql with ?1 = a (NULL: not bound). 0, or -1 (also
 * when there is no row). */
int	db_query_int(struct store *s, const char *sql, const char *a,
	    long long *v) UTIL_MUST_CHECK;

/* Columns, copied out with bounds. col_text sets *oversize when a value
 * does not fit or holds a NUL; col_bool reads 0/1 and "true"/"1";
 * col_time reads ISO-8601 text and epoch seconds or milliseconds. */
void	db_col_text(sqlite3_stmt *st, int col, char *dst, size_t dstsz,
	    int *oversize);
int	db_col_bool(sqlite3_stmt *st, int col, int null_value);
void	db_col_time(sqlite3_stmt *st, int col, struct store_time *t);

/* schema.c: 1 / 0 / -1 (error recorded). */
int	schema_has_column(struct store *s, const char *table,
	    const char *column) UTIL_MUST_CHECK;
int	schema_has_table(struct store *s, const char *table) UTIL_MUST_CHECK;

/*
 * Checks one table the decision reads: 1 present with every column of
 * cols (NULL-terminated), 0 absent and optional, -1 unusable (the problem
 * recorded as STORE_ERR_SCHEMA, logged once unless quiet) or error.
 */
int	schema_table_ok(struct store *s, const char *table,
	    const char *const *cols, int required) UTIL_MUST_CHECK;

/* Records a schema the decision cannot use (STORE_ERR_SCHEMA). */
void	schema_problem(struct store *s, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

#endif
