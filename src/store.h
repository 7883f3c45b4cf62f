/*
 * store.h - the SQLite mirror: better-auth's tables plus authgate_*.
 *
 * The only module that speaks SQL. Opaque struct store owns one
 * connection and its prepared statements. The authorizer opens it
 * read-only; lookups copy values out into caller structs of fixed size,
 * so no pointer into SQLite outlives a call.
 */
#ifndef AUTHGATE_STORE_H
#define AUTHGATE_STORE_H

#include <stddef.h>
#include <stdint.h>

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

struct store_user {
	char		 id[STORE_MAX_ID + 1];
	char		 email[STORE_MAX_EMAIL + 1];
	char		 name[STORE_MAX_NAME + 1];
	int		 banned;	/* banned column true */
	struct store_time ban_expires;
	int		 oversize;	/* a value did not fit: deny */
};

struct store_session {
	char		 id[STORE_MAX_ID + 1];
	char		 org_id[STORE_MAX_ID + 1];	/* activeOrganizationId */
	struct store_time expires;
	struct store_user user;
	int		 oversize;
};

struct store_apikey {
	char		 id[STORE_MAX_ID + 1];
	char		 owner[STORE_MAX_ID + 1];	/* userId or referenceId */
	char		 meta_org[STORE_MAX_ID + 1];	/* metadata.organizationId */
	char		 meta_role[STORE_MAX_ROLES + 1];	/* metadata.role */
	int		 enabled;	/* NULL counts as disabled */
	struct store_time expires;
	int		 oversize;
};

struct store_membership {
	char		 org_id[STORE_MAX_ID + 1];
	char		 slug[STORE_MAX_SLUG + 1];
	int		 member;	/* a member row exists */
	char		 roles[STORE_MAX_ROLES + 1];
	int		 oversize;
};

/* One authgate_rule row; strings are NULL for SQL NULL and are only
 * valid during the callback. */
struct store_rule_row {
	long long	 id;
	long long	 priority;
	const char	*method;
	const char	*path;
	const char	*access;
	const char	*min_role;
	const char	*on_deny;
	const char	*redirect_to;
	const char	*note;		/* store_rules_list only; else NULL */
};

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
	    char *err, size_t errsz);

/* Finalizes every statement and closes the connection. NULL is fine. */
void	store_close(struct store *s);

/*
 * Starts a read snapshot for one request. *changed is 1 when the data
 * may differ from the previous snapshot (first use, a commit by another
 * connection, a schema change, the file replaced), so cached rules must
 * be reloaded. At most every 250 ms it checks that the file at the path
 * is still the one open, and reopens it if it was replaced.
 * Returns 0, or -1 (store missing, corrupt, locked past the busy
 * timeout, or of a schema the decision does not fully understand:
 * store_last_error says STORE_ERR_SCHEMA and store_schema_problem why);
 * then the caller answers 503 and must not call store_read_end.
 */
int	store_read_begin(struct store *s, int *changed);

/* Ends the snapshot begun by store_read_begin. */
void	store_read_end(struct store *s);

/*
 * Calls cb for every rule in priority, id order. cb returns 0 to go on,
 * -1 to stop with an error. Returns 1 if the rule table exists, 0 if it
 * does not (the default rule applies), -1 on error.
 */
int	store_rules_load(struct store *s,
	    int (*cb)(void *ctx, const struct store_rule_row *row), void *ctx);

/* Session by token, joined with its user. 1 found, 0 absent, -1 error. */
int	store_session_find(struct store *s, const char *token, size_t n,
	    struct store_session *out);

/* User by id. 1 found, 0 absent, -1 error. */
int	store_user_find(struct store *s, const char *id,
	    struct store_user *out);

/*
 * Organization by id, with user's member row if any.
 * 1 organization found (out->member says whether user belongs), 0 no
 * such organization, -1 error.
 */
int	store_membership_find(struct store *s, const char *org_id,
	    const char *user_id, struct store_membership *out);

/*
 * API key whose stored hash equals either form. 1 found, 0 absent,
 * -1 error.
 */
int	store_apikey_find(struct store *s, const char *hash_b64url,
	    const char *hash_hex, struct store_apikey *out);

/* 1 if an organization with this id exists, 0 if not, -1 error. */
int	store_org_exists(struct store *s, const char *id);

/*
 * The role an admin granted an organization-owned key in
 * authgate_key_role (a table only the CLI and the sqlite3 shell write,
 * never the webhook). 1 found (copied into role), 0 none, -1 error.
 */
int	store_key_role_find(struct store *s, const char *key_id, char *role,
	    size_t rolesz);

/*
 * Why the schema cannot be used by the decision ("table apikey lacks
 * column enabled"), "" when it can or was not checked yet.
 */
const char	*store_schema_problem(const struct store *s);

/*
 * Inside store_admin_begin: would the decision understand this schema?
 * Returns 0, or -1 (STORE_ERR_SCHEMA with store_schema_problem saying
 * why, or another error).
 */
int	store_decision_check(struct store *s);

/*
 * Creates or migrates the schema (read-write handles only). On a
 * database that already holds better-auth's tables only authgate's own
 * tables are added. Writes the version and sets WAL on a new database.
 * Returns 0, or -1 with a reason in err.
 */
int	store_init(struct store *s, const char *ba_sql, const char *ag_sql,
	    char *err, size_t errsz);

/* Kinds of mirrored objects, as the webhook catalog names them. */
enum store_kind {
	STORE_USER = 0,
	STORE_ORG,
	STORE_MEMBER,
	STORE_SESSION,
	STORE_APIKEY
};

enum store_action {
	STORE_UPSERT = 0,	/* created, updated, added, role changed */
	STORE_DELETE		/* deleted, removed, revoked, expired */
};

/*
 * One normalized object from a webhook event or an import file. Strings
 * are NUL-terminated and NULL when the field was absent; dates are
 * already ISO-8601 text. Booleans are -1 when absent. webhook.c builds
 * it and keeps ownership; store_apply only reads it.
 */
struct store_object {
	enum store_kind		 kind;
	enum store_action	 action;
	const char		*id;		/* member: may be NULL */
	int64_t			 version_ms;	/* updatedAt or event time */
	int			 has_version;
	const char		*created_at;
	const char		*updated_at;
	/* user */
	const char		*name;		/* also organization, apikey */
	const char		*email;
	const char		*image;
	const char		*role;		/* user role; member role list */
	int			 email_verified;
	int			 banned;
	const char		*ban_reason;
	const char		*ban_expires;
	/* organization */
	const char		*slug;
	const char		*logo;
	const char		*metadata;	/* JSON text; also apikey */
	/* member, session, apikey */
	const char		*organization_id; /* session: activeOrganizationId */
	int			 organization_id_present; /* even if null */
	const char		*user_id;	/* apikey: the owner (referenceId) */
	const char		*token;
	const char		*expires_at;
	int			 expires_at_present;	/* even if null */
	const char		*ip_address;
	const char		*user_agent;
	const char		*key_hash;	/* base64url SHA-256, never raw */
	const char		*start;
	const char		*prefix;
	int			 enabled;
	const char		*permissions;
	const char		*config_id;
};

/* Outcome of applying one object or event. */
enum store_outcome {
	STORE_APPLIED = 0,
	STORE_STALE,		/* an older version than the one stored */
	STORE_TOMBSTONED,	/* deleted before: stays deleted */
	STORE_ABSENT,		/* delete of something we never had */
	STORE_DUPLICATE,	/* event id seen before: nothing done */
	STORE_IGNORED		/* unknown event type: recorded only */
};

const char	*store_outcome_name(enum store_outcome o);

/*
 * Applies one webhook event in one BEGIN IMMEDIATE transaction: records
 * event_id (a duplicate changes nothing), applies o (NULL for an unknown
 * type), prunes the event log past STORE_RETENTION_MS and tombstones past
 * STORE_TOMBSTONE_MS, and commits. Returns 0 with *out set once the change is durable, -2 when
 * the store stayed locked past the busy timeout, -3 when the object
 * breaks a constraint (a required field missing, a duplicate email),
 * -1 on any other error. Nothing is kept unless 0 is returned.
 */
int	store_apply_event(struct store *s, const char *event_id,
	    const char *event_type, const struct store_object *o,
	    enum store_outcome *out);

/*
 * Bulk load: store_import_begin opens one transaction, each
 * store_import_object applies one object with the same rules as a webhook
 * event (no event id), store_import_end commits (commit = 1) or rolls
 * back. Return values as store_apply_event.
 */
int	store_import_begin(struct store *s);
int	store_import_object(struct store *s, const struct store_object *o,
	    enum store_outcome *out);
int	store_import_end(struct store *s, int commit);

/* The schema version recorded by init, 0 if none, -1 on error. */
int	store_schema_version(struct store *s);

/*
 * The views store_init left out because this database lacks a table or
 * column they need (comma separated, "" when none). Valid until the next
 * store_init or store_close.
 */
const char	*store_init_skipped(const struct store *s);

/* ------------------------------------------------------------------ */
/* Administration (the CLI). Every call below runs inside
 * store_admin_begin/store_admin_end and works on read-only handles too
 * (except the writers). Values are copied out; nothing returned points
 * into SQLite. None of them reads or returns a key hash or a token. */

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
 * Opens the connection if needed and starts a transaction: a read
 * snapshot (write = 0) or BEGIN IMMEDIATE (write = 1, read-write handles
 * only). Returns 0, or -1 (see store_last_error).
 */
int	store_admin_begin(struct store *s, int write);

/* Commits (commit = 1) or rolls back. Returns 0, or -1 on a failed
 * commit (rolled back; see store_last_error). */
int	store_admin_end(struct store *s, int commit);

enum store_owner {
	STORE_OWNER_NONE = 0,	/* no such user or organization */
	STORE_OWNER_USER,
	STORE_OWNER_ORG
};

/* Whether id names a user or an organization. Returns the kind, or -1
 * on error. A database without organizations has no org owners. */
int	store_owner_kind(struct store *s, const char *id);

/*
 * The user's member.role list in the organization. 1 found (copied into
 * roles), 0 not a member, -1 error (also when it does not fit).
 */
int	store_member_roles(struct store *s, const char *org_id,
	    const char *user_id, char *roles, size_t rolesz);

#define STORE_MAX_KEY_START	32	/* better-auth keeps 6 characters */
#define STORE_MAX_KEY_PREFIX	64

/* One API key as the CLI shows it: everything but the hash. */
struct store_key_row {
	char		 id[STORE_MAX_ID + 1];
	char		 name[STORE_MAX_NAME + 1];
	char		 start[STORE_MAX_KEY_START + 1];
	char		 prefix[STORE_MAX_KEY_PREFIX + 1];
	char		 owner[STORE_MAX_ID + 1];	/* referenceId or userId */
	enum store_owner owner_kind;
	char		 org[STORE_MAX_ID + 1];		/* metadata.organizationId */
	char		 role[STORE_MAX_ROLES + 1];	/* metadata.role; for an
							   organization's key its
							   granted role */
	int		 enabled;
	struct store_time expires;
	struct store_time created;
	int		 oversize;	/* a value was cut to fit */
};

/* A new key row; the caller generated everything. Strings may be NULL
 * where the column is nullable (name, prefix, metadata, expires_at). */
struct store_key_new {
	const char	*id;
	const char	*name;
	const char	*start;
	const char	*prefix;
	const char	*hash;		/* base64url SHA-256 of the raw key */
	const char	*owner;		/* user or organization id */
	const char	*metadata;	/* JSON text */
	const char	*expires_at;	/* ISO-8601 */
	const char	*now;		/* ISO-8601: createdAt, updatedAt */
};

/* Inserts a key (enabled). Returns 0, or -1 (STORE_ERR_CONSTRAINT when
 * the id or hash is taken). Write transaction only. */
int	store_key_insert(struct store *s, const struct store_key_new *k);

/*
 * Copies key old_id into a new row (same owner, name, metadata,
 * permissions, limits, granted role) with a new id, start, prefix, hash
 * and expiry, enabled; then disables old_id. 1 done, 0 no key old_id, -1
 * error.
 */
int	store_key_rotate(struct store *s, const char *old_id,
	    const struct store_key_new *k);

/*
 * Grants an organization's key a role (authgate_key_role), replacing any
 * earlier grant. Write transaction only. Returns 0, or -1 (also when the
 * table is missing: run authgate init).
 */
int	store_key_role_set(struct store *s, const char *key_id,
	    const char *role, const char *now);

/* One key by id. 1 found, 0 absent, -1 error. */
int	store_key_find(struct store *s, const char *id,
	    struct store_key_row *out);

/* Calls cb for every key, oldest first; cb returns 0 to go on, -1 to
 * stop. Returns 0, 1 when there is no apikey table, -1 on error. */
int	store_key_list(struct store *s,
	    int (*cb)(void *ctx, const struct store_key_row *row), void *ctx);

/* Sets enabled (0/1) and updatedAt = now. 1 changed, 0 no such key,
 * -1 error. */
int	store_key_set_enabled(struct store *s, const char *id, int enabled,
	    const char *now);

/* Like store_rules_load, with note, for the CLI: 1 table present, 0 no
 * authgate_rule table, -1 error. */
int	store_rules_list(struct store *s,
	    int (*cb)(void *ctx, const struct store_rule_row *row), void *ctx);

/* Inserts a rule (row->id ignored; a new id is chosen). Returns 0 with
 * *id set, or -1 (STORE_ERR_CONSTRAINT: a value the table refuses). */
int	store_rule_insert(struct store *s, const struct store_rule_row *row,
	    long long *id);

/* Replaces every column of rule row->id. 1 done, 0 no such rule, -1. */
int	store_rule_update(struct store *s, const struct store_rule_row *row);

/* Deletes rule id. 1 done, 0 no such rule, -1 error. */
int	store_rule_delete(struct store *s, long long id);

/* Counts for `authgate stats` and `doctor`; -1 where a table is absent. */
struct store_stats {
	long long	 users;
	long long	 organizations;
	long long	 members;
	long long	 sessions;		/* all rows */
	long long	 sessions_live;		/* not expired, as authz reads dates */
	long long	 keys;
	long long	 keys_enabled;		/* enabled and not expired */
	long long	 rules;
	long long	 events;		/* in the log (7 days) */
	long long	 events_24h;
	char		 last_event_at[UTIL_TIME_ISO_LEN + 8];	/* "" none */
	char		 last_event_type[STORE_MAX_NAME + 1];
	int64_t		 newest_session_ms;	/* max updatedAt/createdAt; 0 none */
	char		 journal_mode[16];
	int		 schema_version;	/* authgate_schema, 0 none */
	long long	 page_count;
	long long	 page_size;
	long long	 freelist;
	int		 views;			/* authgate_* views present */
};

/* Fills out (now_ms: the clock for "live" and "24 h"). 0, or -1. */
int	store_stats_get(struct store *s, int64_t now_ms,
	    struct store_stats *out);

/* PRAGMA quick_check: 1 ok, 0 damaged (first problem in msg), -1 error. */
int	store_quick_check(struct store *s, char *msg, size_t msgsz);

#endif
