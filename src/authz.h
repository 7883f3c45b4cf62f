/*
 * authz.h - the decision: may this request pass, and as whom?
 *
 * Ties the pure parsers (request, credential, policy) to the store. The
 * FastCGI loop, the check endpoint and `authgate check` all call
 * authz_decide, so the offline explanation is the live decision.
 * A decision starts as a 503 deny and becomes an allow only at the end.
 */
#ifndef AUTHGATE_AUTHZ_H
#define AUTHGATE_AUTHZ_H

#include <stddef.h>

#include "credential.h"
#include "policy.h"
#include "request.h"
#include "store_read.h"
#include "usage.h"
#include "util.h"

#define AUTHZ_MAX_METHOD	32	/* longest HTTP method we accept */
#define AUTHZ_MAX_NEXT		1024	/* encoded sign-in "next": the Location
					   header must fit every server's FastCGI
					   buffer (nginx: 4 KiB with the rest) */
#define AUTHZ_MAX_LOCATION	(POLICY_MAX_REDIRECT + 6 + AUTHZ_MAX_NEXT)
#define AUTHZ_MAX_PERMS		1024	/* a credential's permission list */
#define AUTHZ_OVERRIDES		3	/* method-override headers we refuse */
#define AUTHZ_MAX_OLD_SECRETS	3	/* earlier secrets still verified
					   (rotation; config.h's limit) */

/* What the web server told us; NULL .p means the parameter is absent. */
struct authz_input {
	struct slice	method;
	struct slice	uri;		/* request target, query included */
	struct slice	cookie;
	struct slice	authorization;
	struct slice	api_key;	/* x-api-key */
	struct slice	accept;
	struct slice	requested_with;	/* X-Requested-With */
	struct slice	fetch_mode;	/* Sec-Fetch-Mode */
	/* X-HTTP-Method-Override, X-HTTP-Method, X-Method-Override: a
	 * backend with method-override middleware routes by them. */
	struct slice	overrides[AUTHZ_OVERRIDES];
	/* the client's address as the web server saw it (REMOTE_ADDR, or
	 * the server-set AUTHGATE_CLIENT_ADDR): the throttle's key. Empty:
	 * not throttled (the CLI). */
	struct slice	client;
};

/* The identity handed to the backend; every field validated. */
struct authz_identity {
	char	user_id[STORE_MAX_ID + 1];
	char	email[STORE_MAX_EMAIL + 1];
	char	name[STORE_MAX_NAME + 1];
	char	org_id[STORE_MAX_ID + 1];
	char	org_slug[STORE_MAX_SLUG + 1];
	char	role[16];			/* highest known role */
	char	roles[STORE_MAX_ROLES + 1];	/* as stored */
	char	method[8];			/* "session" | "api_key" */
	char	session_id[STORE_MAX_ID + 1];
	char	api_key_id[STORE_MAX_ID + 1];
	char	expires_at[UTIL_TIME_ISO_LEN + 1];
	char	remote_user[STORE_MAX_ID + 1];
	/* what it is permitted (resource:action, comma separated): a key's
	 * permissions JSON, a session's role's authgate_role_permission
	 * rows. Read by the decision only when the rule requires a
	 * permission (empty otherwise, and never cached). Not a header. */
	char	perms[AUTHZ_MAX_PERMS + 1];
};

struct authz_decision {
	int			 status;	/* 200 302 400 401 403 429 503 */
	int			 retry_after;	/* s, for a 429 */
	char			 need_perms[POLICY_MAX_PERMS + 1];	/* the rule's */
	const char		*reason;	/* stable code for logs/tests */
	char			 message[128];	/* "Unauthorized - ..." */
	long long		 rule_id;	/* -1: default rule */
	long long		 rule_priority;
	char			 rule_path[POLICY_MAX_GLOB + 1];
	enum policy_access	 access;
	char			 method[AUTHZ_MAX_METHOD + 1];
	char			 path[REQ_MAX_PATH + 1];	/* canonical */
	char			 location[AUTHZ_MAX_LOCATION + 1];
	struct authz_identity	 id;
	/* the API key's quota and rate limit (usage.h), counted once the
	 * decision is an allow */
	struct usage_limits	 key_limits;
};

/*
 * The identity cache: what a credential authenticated as, valid only in
 * the store's generation it was read in (store_generation: every read
 * snapshot, whoever takes it, starts a new one, and the decision takes
 * one after any commit, checkpoint, replaced file or race) and only
 * until the credential expires. Slots are
 * found by a keyed digest of the credential; no credential is kept.
 */
#define AUTHZ_CACHE_SLOTS	128

struct authz_cached {
	unsigned char		 digest[32];	/* HMAC of kind and credential */
	unsigned long		 gen;		/* store_generation; 0: empty */
	char			 kind;		/* 's' session, 'k' API key */
	struct store_time	 expires;	/* the credential's end */
	struct authz_identity	 id;		/* as authenticate left it */
	struct usage_limits	 lim;		/* a key's, as the row said */
};

struct authz {
	struct store		*store;
	unsigned char		 secret[CRED_MAX_SECRET];
	size_t			 secret_n;	/* 0: signatures not checked */
	struct cred_hmac	 mac;		/* the secret, prepared */
	struct cred_hmac	 old_mac[AUTHZ_MAX_OLD_SECRETS];
	size_t			 nold;		/* earlier secrets, prepared */
	char			 cookie_prefix[REQ_MAX_PREFIX + 1];
	int			 match_flags;	/* POLICY_FOLD_CASE unless strict */
	int			 rules_ok;	/* cache valid and well formed */
	size_t			 nrules;
	struct policy_rule	 rules[POLICY_MAX_RULES];
	struct cred_hmac	 cache_mac;	/* a random key per process */
	int			 cache_on;	/* cache_mac is keyed */
	struct authz_cached	 cache[AUTHZ_CACHE_SLOTS];
	int			 count_uses;	/* 0: key uses are only
						   evaluated (`check`) */
};

/*
 * Prepares a decision context over an open store. secret may be NULL
 * (no signature check). case_sensitive: 0 matches rules ignoring letter
 * case (the default), 1 byte for byte (AUTHGATE_CASE_SENSITIVE=1). Copies
 * what it keeps. Returns 0, or -1.
 */
int	authz_init(struct authz *a, struct store *s,
	    const unsigned char *secret, size_t secret_n, const char *prefix,
	    int case_sensitive) UTIL_MUST_CHECK;

/*
 * The route function: the first steps of every decision, shared by the
 * live authorizer, `authgate check` and `authgate rule test`, so an
 * explanation cannot disagree with the decision. Checks the method and
 * the override headers (overrides may be NULL), canonicalizes the path
 * into path_out (REQ_MAX_PATH + 1 bytes, length in *path_n) and the
 * method into method_out (AUTHZ_MAX_METHOD + 1 bytes), then finds the
 * rule with policy_match (*rule NULL: the default, authenticated).
 * Returns NULL, or the stable reason of the 400 the request gets.
 */
const char	*authz_route(const struct policy_rule *rules, size_t nrules,
	    int match_flags, const struct slice *method, const struct slice *uri,
	    const struct slice *overrides, char *method_out, char *path_out,
	    size_t *path_n, const struct policy_rule **rule);

/*
 * Adds an earlier secret (rotation: sessions signed with it stay valid
 * until it is dropped). Cookies are still signed, by the CLI, with the
 * current one only. Returns 0, or -1 (no room, no current secret).
 */
int	authz_add_secret(struct authz *a, const unsigned char *secret,
	    size_t n) UTIL_MUST_CHECK;

/* authz_add_secret for each of n secrets (config.h's secret_old). */
int	authz_add_secrets(struct authz *a,
	    const unsigned char (*secrets)[CRED_MAX_SECRET], const size_t *lens,
	    size_t n) UTIL_MUST_CHECK;

/*
 * The health check: the same steps as a decision's snapshot (the store
 * readable, its schema one the decision understands, the rules loadable)
 * and no credential. Returns NULL when a decision could be made, else
 * the stable reason of the 503 every decision would get.
 */
const char	*authz_health(struct authz *a);

/*
 * Whether a key's usage quota is used up at now (epoch ms), as
 * better-auth's verification reads it, without counting this use:
 * remaining NULL is unlimited, above 0 is not exhausted; 0 (or less, or
 * not a number) is exhausted unless a refill is due: refillInterval and
 * refillAmount both above 0 and more than refillInterval ms passed since
 * lastRefillAt (createdAt when NULL). better-auth's test is "now - last >
 * refillInterval": at exactly the interval there is no refill yet.
 * Returns 1 exhausted, 0 not. Pure.
 */
int	authz_key_exhausted(const struct store_key_quota *q, int64_t now);

/* A key's quota and rate limit as the store read them, in usage.h's
 * terms (a date that is not one gives no refill; the base digest moves
 * with every field and updatedAt). */
void	authz_key_limits(const struct store_key_quota *q,
	    struct usage_limits *l);

/* Wipes the secret copy. Does not close the store. */
void	authz_fini(struct authz *a);

/*
 * Decides one request. Always fills d; never fails: errors become 503
 * (store), 400 (request) or 401/403 decisions. navigation is computed
 * from the input's Accept and Sec-Fetch headers.
 */
void	authz_decide(struct authz *a, const struct authz_input *in,
	    struct authz_decision *d);

#endif
