/*
 * store_admin.h - the CLI's statements: key and rule administration,
 * counts for stats and doctor. Every call runs inside
 * store_admin_begin/store_admin_end and works on read-only handles too
 * (except the writers). Values are copied out; nothing returned points
 * into SQLite. None of them reads or returns a key hash or a token.
 */
#ifndef AUTHGATE_STORE_ADMIN_H
#define AUTHGATE_STORE_ADMIN_H

#include "store.h"

/*
 * Opens the connection if needed and starts a transaction: a read
 * snapshot (write = 0) or BEGIN IMMEDIATE (write = 1, read-write handles
 * only). Returns 0, or -1 (see store_last_error).
 */
int	store_admin_begin(struct store *s, int write) UTIL_MUST_CHECK;

/* Commits (commit = 1) or rolls back. Returns 0, or -1 on a failed
 * commit (rolled back; see store_last_error). */
int	store_admin_end(struct store *s, int commit) UTIL_MUST_CHECK;

enum store_owner {
	STORE_OWNER_NONE = 0,	/* no such user or organization */
	STORE_OWNER_USER,
	STORE_OWNER_ORG
};

/* Whether id names a user or an organization. Returns the kind, or -1
 * on error. A database without organizations has no org owners. */
int	store_owner_kind(struct store *s, const char *id) UTIL_MUST_CHECK;

/*
 * The user's member.role list in the organization. 1 found (copied into
 * roles), 0 not a member, -1 error (also when it does not fit).
 */
int	store_member_roles(struct store *s, const char *org_id,
	    const char *user_id, char *roles, size_t rolesz) UTIL_MUST_CHECK;

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
int	store_key_insert(struct store *s, const struct store_key_new *k) UTIL_MUST_CHECK;

/*
 * Copies key old_id into a new row (same owner, name, metadata,
 * permissions, limits, granted role) with a new id, start, prefix, hash
 * and expiry, enabled; then disables old_id. 1 done, 0 no key old_id, -1
 * error.
 */
int	store_key_rotate(struct store *s, const char *old_id,
	    const struct store_key_new *k) UTIL_MUST_CHECK;

/*
 * Grants an organization's key a role (authgate_key_role), replacing any
 * earlier grant. Write transaction only. Returns 0, or -1 (also when the
 * table is missing: run authgate init).
 */
int	store_key_role_set(struct store *s, const char *key_id,
	    const char *role, const char *now) UTIL_MUST_CHECK;

/* One key by id. 1 found, 0 absent, -1 error. */
int	store_key_find(struct store *s, const char *id,
	    struct store_key_row *out) UTIL_MUST_CHECK;

/* Calls cb for every key, oldest first; cb returns 0 to go on, -1 to
 * stop. Returns 0, 1 when there is no apikey table, -1 on error. */
int	store_key_list(struct store *s,
	    int (*cb)(void *ctx, const struct store_key_row *row), void *ctx) UTIL_MUST_CHECK;

/* Sets enabled (0/1) and updatedAt = now. 1 changed, 0 no such key,
 * -1 error. */
int	store_key_set_enabled(struct store *s, const char *id, int enabled,
	    const char *now) UTIL_MUST_CHECK;

/* Inserts a rule (row->id ignored; a new id is chosen). Returns 0 with
 * *id set, or -1 (STORE_ERR_CONSTRAINT: a value the table refuses). */
int	store_rule_insert(struct store *s, const struct store_rule_row *row,
	    long long *id) UTIL_MUST_CHECK;

/* Replaces every column of rule row->id. 1 done, 0 no such rule, -1. */
int	store_rule_update(struct store *s, const struct store_rule_row *row) UTIL_MUST_CHECK;

/* Deletes rule id. 1 done, 0 no such rule, -1 error. */
int	store_rule_delete(struct store *s, long long id) UTIL_MUST_CHECK;

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
	    struct store_stats *out) UTIL_MUST_CHECK;

/* PRAGMA quick_check: 1 ok, 0 damaged (first problem in msg), -1 error. */
int	store_quick_check(struct store *s, char *msg, size_t msgsz) UTIL_MUST_CHECK;

#endif
