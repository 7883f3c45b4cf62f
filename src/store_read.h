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

/* Session by token, joined with its user. 1 found, 0 absent, -1 error. */
int	store_session_find(struct store *s, const char *token, size_t n,
	    struct store_session *out) UTIL_MUST_CHECK;

/* User by id. 1 found, 0 absent, -1 error. */
int	store_user_find(struct store *s, const char *id,
	    struct store_user *out) UTIL_MUST_CHECK;

/*
 * Organization by id, with user's member row if any.
 * 1 organization found (out->member says whether user belongs), 0 no
 * such organization, -1 error.
 */
int	store_membership_find(struct store *s, const char *org_id,
	    const char *user_id, struct store_membership *out) UTIL_MUST_CHECK;

/*
 * API key whose stored hash equals either form. 1 found, 0 absent,
 * -1 error.
 */
int	store_apikey_find(struct store *s, const char *hash_b64url,
	    const char *hash_hex, struct store_apikey *out) UTIL_MUST_CHECK;

/* 1 if an organization with this id exists, 0 if not, -1 error. */
int	store_org_exists(struct store *s, const char *id) UTIL_MUST_CHECK;

/*
 * The role an admin granted an organization-owned key in
 * authgate_key_role (a table only the CLI and the sqlite3 shell write,
 * never the webhook). 1 found (copied into role), 0 none, -1 error.
 */
int	store_key_role_find(struct store *s, const char *key_id, char *role,
	    size_t rolesz) UTIL_MUST_CHECK;

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
