/*
 * store.h - the SQLite mirror: better-auth's tables plus authgate_*,
 * behind one opaque handle. This header is what every user of a store
 * shares: opening, closing, errors, dates, rule rows. The operations live
 * in one header per kind of user:
 *   store_read.h   the decision's lookups (read-only)
 *   store_sync.h   applying webhook events and imports
 *   store_admin.h  the CLI's key, rule and stats statements
 *   schema.h       creating and checking the schema
 * Only db.c, schema.c and store_*.c speak SQL (see db.h). Lookups copy
 * values out into caller structs of fixed size, so no pointer into SQLite
 * outlives a call.
 */
#ifndef AUTHGATE_STORE_H
#define AUTHGATE_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "policy.h"
#include "util.h"

#define STORE_MAX_ID		128	/* better-auth ids are 32 chars, UUIDs 36 */
#define STORE_MAX_EMAIL		320	/* RFC 5321 local@domain upper bound */
#define STORE_MAX_NAME		256
#define STORE_MAX_SLUG		128
#define STORE_MAX_ROLES		256	/* "owner,admin,member,guest" and custom */
#define STORE_SCHEMA_VERSION	1	/* authgate_schema.version written by init */
#define STORE_READ_BUSY_MS	1000	/* every request waits on it: keep short */
#define STORE_WRITE_BUSY_MS	3000	/* senders time out near 5 s: answer 503 first */
#define STORE_RETENTION_MS	(7LL * 24 * 3600 * 1000)	/* event log; older events are refused */
/* Invariant: tombstones outlive the event-log window several times over, so
 * no event young enough to be accepted can find its tombstone pruned. */
#define STORE_TOMBSTONE_MS	(30LL * 24 * 3600 * 1000)

struct store;

enum store_mode {
	STORE_READONLY = 0,
	STORE_READWRITE,		/* creates the file if absent */
	STORE_READWRITE_EXISTING	/* the CLI's writers: never creates */
};

/* A date column: absent (NULL), unreadable, or epoch milliseconds. */
struct store_time {
	int	 present;	/* 0: SQL NULL */
	int	 bad;		/* present but neither ISO-8601 nor a number */
	int64_t	 ms;
};

/*
 * Whether a date is at or before now (epoch ms): the one reading of
 * expiry for the decision and the counts. An absent date (NULL) is never
 * past. Invariant: an unreadable date is treated as already past.
 */
int	store_time_past(const struct store_time *t, int64_t now);

/* One authgate_rule row: the rule as text (policy_rule_parse validates
 * it) and the admin's note. Strings are NULL for SQL NULL and are only
 * valid during the callback. */
struct store_rule_row {
	struct policy_rule_text	 t;
	const char		*note;	/* store_rules_list only; else NULL */
};

/* What kind of failure the last error was, for a one-line CLI message. */
enum store_error {
	STORE_ERR_NONE = 0,
	STORE_ERR_OPEN,		/* the file cannot be opened */
	STORE_ERR_READONLY,	/* not writable by this user (file or dir) */
	STORE_ERR_BUSY,		/* locked past the busy timeout */
	STORE_ERR_CORRUPT,	/* not a database, or damaged */
	STORE_ERR_SCHEMA,	/* a table or column authgate needs is missing */
	STORE_ERR_CONSTRAINT,	/* a row breaks a constraint (duplicate, ...) */
	STORE_ERR_OTHER
};

/*
 * quiet = 1: errors are only recorded (store_last_error), not logged;
 * the CLI prints its own one line. Default 0 (servers log every error).
 */
void	store_set_quiet(struct store *s, int quiet);

/*
 * The last error's kind, and SQLite's message for it in *msg (never
 * NULL; "" when none). The message names tables or files, never values.
 */
enum store_error store_last_error(const struct store *s, const char **msg);

/*
 * Creates a handle for the database at path. Nothing is opened yet for
 * STORE_READONLY: the connection is (re)made by store_read_begin, so an
 * authorizer started before the file exists recovers by itself.
 * STORE_READWRITE opens (creating the file) at once.
 * STORE_READWRITE_EXISTING connects in store_admin_begin and never
 * creates the file, so a mistyped --db is an error, not a new database.
 * Returns 0, or -1 with a one-line reason in err.
 */
int	store_open(struct store **out, const char *path, enum store_mode mode,
	    char *err, size_t errsz) UTIL_MUST_CHECK;

/* Finalizes every statement and closes the connection. NULL is fine. */
void	store_close(struct store *s);

#endif
