/*
 * store_read.h - the decision's lookups: one read snapshot per request,
 * the rules, a session or an API key and what hangs off them. Works on a
 * handle opened STORE_READONLY (or any other).
 */
#ifndef AUTHGATE_STORE_READ_H
#define AUTHGATE_STORE_READ_H

#include "store.h"

struct store_user {
	char		 id[STORE_MAX_ID + 1];
	char		 email[STORE_MAX_EMAIL + 1];
	char		 name[STORE_MAX_NAME + 1];
	int		 banned;	/* banned column true */
	struct store_time ban_expires;
	int		 oversize;	/* a value did not fit: deny */
};

/* An organization, and a user's member rows in it. */
struct store_membership {
	char		 org_id[STORE_MAX_ID + 1];	/* "": none */
	char		 slug[STORE_MAX_SLUG + 1];
	int		 member;	/* the user has a member row there */
	char		 roles[STORE_MAX_ROLES + 1];	/* their roles, comma list */
	int		 oversize;
};

/* A session with its user, and the user's membership in the session's
 * active organization (org.org_id "" when there is none). */
struct store_session {
	char		 id[STORE_MAX_ID + 1];
	struct store_time expires;
	struct store_user user;
	struct store_membership org;
	int		 oversize;
};

/*
 * better-auth's usage quota of a key, as stored: limited 0 means
 * remaining is NULL (or there is no such column): unlimited. A refill
 * pair of 0 means no refill. A value that can only be read as a limit
 * the decision cannot check sets bad (deny). authz turns it into
 * usage.h's limits.
 */
struct store_key_quota {
	int		 limited;	/* remaining is not NULL */
	int		 bad;		/* remaining is not an integer */
	long long	 remaining;
	long long	 refill_interval;	/* ms; 0: none */
	long long	 refill_amount;		/* 0: none */
	struct store_time last_refill;	/* lastRefillAt */
	struct store_time created;	/* createdAt: the base without one */
	/* the rate limit: on when rateLimitEnabled is not false and both
	 * the window (ms) and the max are set */
	int		 rate_enabled;
	int		 rate_on;
	long long	 rate_window;
	long long	 rate_max;
	long long	 request_count;	/* requestCount; NULL: 0 */
	struct store_time last_request;	/* lastRequest */
	struct store_time updated;	/* updatedAt: a newer key object */
};

/*
 * An API key with what the decision needs of its owner, in one read:
 * the owner is a user (user.id set) or an organization (owner_org.org_id
 * set; grant is the role an admin gave the key in authgate_key_role);
 * meta_org is the organization named by its metadata, with the owning
 * user's membership there.
 */
struct store_apikey {
	char		 id[STORE_MAX_ID + 1];
	char		 owner[STORE_MAX_ID + 1];	/* userId or referenceId */
	char		 meta_role[STORE_MAX_ROLES + 1];	/* metadata.role */
	int		 enabled;	/* NULL counts as disabled */
	struct store_time expires;
	struct store_user user;			/* user.id "": not a user */
	struct store_membership owner_org;	/* org_id "": not an org */
	char		 grant[STORE_MAX_ROLES + 1];	/* "" none */
	struct store_membership meta_org;	/* org_id "": none */
	struct store_key_quota quota;
	int		 oversize;
};

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
int	store_read_begin(struct store *s, int *changed) UTIL_MUST_CHECK;

/* Ends the snapshot begun by store_read_begin. */
void	store_read_end(struct store *s);

/*
 * Calls cb for every rule in priority, id order. cb returns 0 to go on,
 * -1 to stop with an error. Returns 1 if the rule table exists, 0 if it
 * does not (the default rule applies), -1 on error.
 */
int	store_rules_load(struct store *s,
	    int (*cb)(void *ctx, const struct store_rule_row *row), void *ctx) UTIL_MUST_CHECK;

/* Like store_rules_load, with note, for the CLI (inside
 * store_admin_begin): 1 table present, 0 no
 * authgate_rule table, -1 error. */
int	store_rules_list(struct store *s,
	    int (*cb)(void *ctx, const struct store_rule_row *row), void *ctx) UTIL_MUST_CHECK;

/*
 * Session by token, with its user and the user's membership in the
 * session's active organization, in one statement (one snapshot).
 * 1 found, 0 absent, -1 error.
 */
int	store_session_find(struct store *s, const char *token, size_t n,
	    struct store_session *out) UTIL_MUST_CHECK;

/*
 * API key whose stored hash equals the base64url form, else the hex form,
 * with its owner and organizations (see struct store_apikey), in one
 * statement. 1 found, 0 absent (or no apikey table), -1 error.
 */
int	store_apikey_find(struct store *s, const char *hash_b64url,
	    const char *hash_hex, struct store_apikey *out) UTIL_MUST_CHECK;

/*
 * The permissions (resource:action items, comma separated, "" none) of
 * an API key (of_key 1: id is apikey.id, from its permissions JSON) or of
 * a role (of_key 0: id is the role, from authgate_role_permission).
 * Returns 0, or -1 on an error or when the list does not fit outsz (out
 * is then ""). Without the column or table: 0 and "".
 */
/* The quota and rate limit of key id as stored (the CLI's listing).
 * 1 found, 0 no such key (or no key table), -1 error. */
int	store_key_quota(struct store *s, const char *id,
	    struct store_key_quota *q) UTIL_MUST_CHECK;

int	store_permissions(struct store *s, int of_key, const char *id,
	    char *out, size_t outsz) UTIL_MUST_CHECK;

/*
 * A user's membership in one organization, for a session that did not
 * come from the session table (better-auth's cookie cache): the
 * organization's id and slug, and the user's roles there (m->member 0
 * when the user has no member row). 1 found, 0 no such organization (or
 * no organization plugin), -1 error.
 */
int	store_member_find(struct store *s, const char *user_id,
	    const char *org_id, struct store_membership *m) UTIL_MUST_CHECK;

/*
 * Auth.js / NextAuth database session by its sessionToken (the cookie's
 * value, n bytes), with its user and the user's membership in authgate's
 * own tables (out->org, as store_read_authgate_member would give it for
 * the user's id and address), in one statement. out->id is "" for adapters
 * whose sessions have no id (Drizzle). 1 found, 0 absent (also when the
 * database holds better-auth's sessions instead), -1 error.
 */
int	store_authjs_session_find(struct store *s, const char *token, size_t n,
	    struct store_session *out) UTIL_MUST_CHECK;

/*
 * The organization and roles authgate itself gives an identity whose IdP
 * has none (NextAuth / Auth.js, database or JWT sessions), from
 * authgate_membership and authgate_organization: the rows with user_id,
 * or, when there are none, the rows with email (ignoring case; NULL or ""
 * matches nothing); the organization of the oldest such row, and all the
 * identity's roles there, comma separated. One statement. 1 found (out
 * filled, out->member set), 0 none (or no such tables: out empty), -1
 * error (deny with 503).
 */
int	store_read_authgate_member(struct store *s, const char *user_id,
	    const char *email, struct store_membership *out) UTIL_MUST_CHECK;

/* What store_session_shape finds in the session table. */
enum store_session_shape {
	STORE_SHAPE_BETTER_AUTH = 0,	/* token, expiresAt */
	STORE_SHAPE_AUTHJS		/* sessionToken, expires */
};

/*
 * Which kind of session table the database has (part of the probe that
 * store_read_begin runs when the schema changes; also for doctor and the
 * tests). A STORE_SHAPE_*, or -1: both token columns (ambiguous, the
 * problem recorded) or an error.
 */
int	store_session_shape(struct store *s) UTIL_MUST_CHECK;

/* 1 if an organization with this id exists, 0 if not, -1 error. */
int	store_org_exists(struct store *s, const char *id) UTIL_MUST_CHECK;

/*
 * Whether the database is known to be unchanged since the last
 * successful store_read_begin (no commit anywhere, not replaced), read
 * from SQLite's WAL index without a transaction. 1 unchanged, 0 changed
 * or cannot tell (not in WAL mode, no read yet): then start a snapshot
 * with store_read_begin. A lookup made outside a snapshot is consistent
 * with the cached rules when this says 1 both before and after it.
 */
int	store_unchanged(struct store *s);

/*
 * A number that changes whenever the store takes a new mark of the WAL
 * index (every read snapshot, whoever begins it): what was read under
 * one generation stays true while store_unchanged says so and the
 * generation is the same. Never 0.
 */
unsigned long	store_generation(const struct store *s);

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
int	store_decision_check(struct store *s) UTIL_MUST_CHECK;

#endif
