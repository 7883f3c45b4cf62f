/*
 * event.h - the IdP's objects as JSON turned into store objects (the
 * webhook catalog, SPEC section 8), and snapshot imports.
 *
 * Pure but for the allocations cJSON makes and `event_import`, which
 * writes through store_sync.h.
 */
#ifndef AUTHGATE_EVENT_H
#define AUTHGATE_EVENT_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "credential.h"
#include "store_sync.h"
#include "util.h"

/* Storage that outlives cJSON's strings for one object. */
struct event_norm {
	struct store_object	 o;
	char			 created[UTIL_TIME_ISO_LEN + 1];
	char			 updated[UTIL_TIME_ISO_LEN + 1];
	char			 ban_expires[UTIL_TIME_ISO_LEN + 1];
	char			 expires[UTIL_TIME_ISO_LEN + 1];
	char			 key_hash[CRED_HASH_B64URL_LEN + 1];
	char			 start[8];
	char			 roles[STORE_MAX_ROLES + 1];
	char			 lim[LIM_N][UTIL_TIME_ISO_LEN + 1];	/* key limits */
	char			*metadata;	/* cJSON_Print output, freed */
	char			*permissions;
	const char		*bad;		/* first problem, static text */
};

/*
 * Looks an event type up in the catalog, aliases included. Returns 1 and
 * sets *kind and *action, or 0 for a type authgate does not know.
 */
int	event_catalog(const char *type, enum store_kind *kind,
	    enum store_action *action);

/*
 * Fills nm->o from one JSON object of the given kind (webhook "data" or a
 * snapshot entry), with its strings kept in nm. ems/has_ems: the event's
 * own time, the version of an object without updatedAt. A raw "key" is
 * hashed and wiped in the JSON. Returns 0, or -1 with nm->bad naming the
 * first field that is missing or of the wrong shape. Free with
 * event_norm_free, also after -1; nm must start zeroed.
 */
int	event_normalize(struct event_norm *nm, enum store_kind kind,
	    enum store_action action, const cJSON *data, int64_t ems,
	    int has_ems) UTIL_MUST_CHECK;

/* Frees what event_normalize allocated and wipes the key hash. */
void	event_norm_free(struct event_norm *nm);

/*
 * The event's own time from its envelope: timestamp, createdAt or
 * occurredAt (camel or snake), ISO-8601 or epoch seconds/milliseconds.
 * Returns 1 with *ms set, or 0 when the body names none.
 */
int	event_time(const cJSON *root, int64_t *ms);

/*
 * Loads a snapshot (`authgate import`): a JSON object with arrays
 * "users", "organizations", "members", "sessions", "apiKeys" (snake_case
 * names accepted) of the webhook object shapes, applied in that order in
 * one transaction. Prints one line per rejected object to stderr and the
 * totals to stdout. Returns 0 (committed), or -1 (nothing kept). json is
 * wiped before return.
 */
int	event_import(struct store *s, char *json, size_t n) UTIL_MUST_CHECK;

#endif
