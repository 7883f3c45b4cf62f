/*
 * store_sync.h - applying the IdP's changes: one webhook event in one
 * transaction (exactly once, in order, tombstone-aware), or a snapshot
 * import in one transaction. Read-write handles only.
 */
#ifndef AUTHGATE_STORE_SYNC_H
#define AUTHGATE_STORE_SYNC_H

#include "store.h"

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
	/* apikey: better-auth's quota and rate limit (enum store_lim), as
	 * SQL text the INTEGER columns take; present even if null (null is
	 * a value: unlimited, no refill), absent keeps the stored one */
	const char		*lim[9];
	int			 lim_present[9];
};

/* The key limit fields of store_object.lim, in better-auth's names:
 * remaining, refillInterval, refillAmount, lastRefillAt,
 * rateLimitEnabled, rateLimitTimeWindow, rateLimitMax, requestCount,
 * lastRequest. */
enum store_lim {
	LIM_REMAINING = 0, LIM_REFILL_INTERVAL, LIM_REFILL_AMOUNT,
	LIM_LAST_REFILL_AT, LIM_RATE_ENABLED, LIM_RATE_WINDOW, LIM_RATE_MAX,
	LIM_REQUEST_COUNT, LIM_LAST_REQUEST, LIM_N
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
	    enum store_outcome *out) UTIL_MUST_CHECK;

/*
 * Bulk load: store_import_begin opens one transaction, each
 * store_import_object applies one object with the same rules as a webhook
 * event (no event id), store_import_end commits (commit = 1) or rolls
 * back. Return values as store_apply_event.
 */
int	store_import_begin(struct store *s) UTIL_MUST_CHECK;
int	store_import_object(struct store *s, const struct store_object *o,
	    enum store_outcome *out) UTIL_MUST_CHECK;
int	store_import_end(struct store *s, int commit) UTIL_MUST_CHECK;

/*
 * Export (`authgate export`, the snapshot import reads back): every row
 * of user, organization, member, session and apikey, in that order, in
 * one read snapshot, handed to fn column by column (names as in the
 * table; values copied before the next row). Holds tokens and key
 * hashes: the caller writes them only where the admin asked. Returns 0,
 * -2 busy, -1 error or when fn returned non-zero.
 */
#define STORE_EXPORT_SECTIONS	5
#define STORE_EXPORT_MAX_COLS	64	/* better-auth's apikey has ~25 */

enum store_export_type {
	STORE_EXPORT_NULL = 0, STORE_EXPORT_INT, STORE_EXPORT_REAL,
	STORE_EXPORT_TEXT
};

struct store_export_col {
	const char		*name;
	enum store_export_type	 type;
	int64_t			 i;
	double			 d;
	const char		*t;
};

typedef int (*store_export_fn)(void *ctx, int section,
	    const struct store_export_col *c, int n);

int	store_export(struct store *s, store_export_fn fn, void *ctx)
	    UTIL_MUST_CHECK;

#endif
