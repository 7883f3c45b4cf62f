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

#define STORE_MAX_ID		128	/* better-auth ids are 32 chars, UUIDs 36 */
#define STORE_MAX_EMAIL		320	/* RFC 5321 local@domain upper bound */
#define STORE_MAX_NAME		256
#define STORE_MAX_SLUG		128
#define STORE_MAX_ROLES		256	/* "owner,admin,member,guest" and custom */
#define STORE_SCHEMA_VERSION	1	/* authgate_schema.version written by init */
#define STORE_READ_BUSY_MS	1000	/* every request waits on it: keep short */
#define STORE_WRITE_BUSY_MS	3000	/* senders time out near 5 s: answer 503 first */
#define STORE_RETENTION_MS	(7LL * 24 * 3600 * 1000)	/* event log, tombstones */

struct store;

enum store_mode {
	STORE_READONLY = 0,
	STORE_READWRITE
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
};

/*
 * Creates a handle for the database at path. Nothing is opened yet for
 * STORE_READONLY: the connection is (re)made by store_read_begin, so an
 * authorizer started before the file exists recovers by itself.
 * STORE_READWRITE opens (creating the file) at once.
 * Returns 0, or -1 with a one-line reason in err.
 */
int	store_open(struct store **out, const char *path, enum store_mode mode,
	    char *err, size_t errsz);

/* Finalizes every statement and closes the connection. NULL is fine. */
void	store_close(struct store *s);

/*
 * Starts a read snapshot for one request. *changed is 1 when the data
 * may differ from the previous snapshot (first use, a commit by another
 * connection, a schema change), so cached rules must be reloaded.
 * Returns 0, or -1 (store missing, corrupt, locked past the busy
 * timeout, or not an authgate/better-auth database); then the caller
 * answers 503 and must not call store_read_end.
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
 * type), prunes the event log and tombstones past STORE_RETENTION_MS, and
 * commits. Returns 0 with *out set once the change is durable, -2 when
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

#endif
