/*
 * event.c - the IdP's objects as JSON (webhook event data, snapshot
 * entries) turned into store objects: the event catalog with its aliases,
 * camelCase and snake_case fields, ISO and epoch dates, raw API keys
 * hashed on receipt.
 *
 * Trusts nothing in the JSON: every field is type-, length- and
 * shape-checked, and the first bad one is named. Runs only on bodies whose
 * signature webhook.c has checked (or on a file an admin imports). Never
 * logs a value; never keeps a raw key (it is hashed and wiped in place).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <openssl/crypto.h>

#include "credential.h"
#include "event.h"
#include "request.h"
#include "util.h"

static const struct {
	const char		*type;
	enum store_kind		 kind;
	enum store_action	 action;
} catalog[] = {
	{ "user.created", STORE_USER, STORE_UPSERT },
	{ "user.updated", STORE_USER, STORE_UPSERT },
	{ "user.deleted", STORE_USER, STORE_DELETE },
	{ "organization.created", STORE_ORG, STORE_UPSERT },
	{ "organization.updated", STORE_ORG, STORE_UPSERT },
	{ "organization.deleted", STORE_ORG, STORE_DELETE },
	{ "member.added", STORE_MEMBER, STORE_UPSERT },
	{ "organization.member.added", STORE_MEMBER, STORE_UPSERT },
	{ "organization_membership.created", STORE_MEMBER, STORE_UPSERT },
	{ "member.role.changed", STORE_MEMBER, STORE_UPSERT },
	{ "organization.member.role_changed", STORE_MEMBER, STORE_UPSERT },
	{ "organization_membership.updated", STORE_MEMBER, STORE_UPSERT },
	{ "member.removed", STORE_MEMBER, STORE_DELETE },
	{ "organization.member.removed", STORE_MEMBER, STORE_DELETE },
	{ "organization_membership.deleted", STORE_MEMBER, STORE_DELETE },
	{ "session.created", STORE_SESSION, STORE_UPSERT },
	{ "session.updated", STORE_SESSION, STORE_UPSERT },
	{ "session.revoked", STORE_SESSION, STORE_DELETE },
	{ "session.expired", STORE_SESSION, STORE_DELETE },
	{ "session.deleted", STORE_SESSION, STORE_DELETE },
	{ "api_key.created", STORE_APIKEY, STORE_UPSERT },
	{ "api_key.updated", STORE_APIKEY, STORE_UPSERT },
	{ "api_key.revoked", STORE_APIKEY, STORE_DELETE },
	{ "api_key.deleted", STORE_APIKEY, STORE_DELETE },
};

int
event_catalog(const char *type, enum store_kind *kind,
    enum store_action *action)
{
	size_t i;

	for (i = 0; i < sizeof(catalog) / sizeof(catalog[0]); i++)
		if (strcmp(catalog[i].type, type) == 0) {
			*kind = catalog[i].kind;
			*action = catalog[i].action;
			return 1;
		}
	return 0;
}

void
event_norm_free(struct event_norm *nm)
{
	cJSON_free(nm->metadata);
	cJSON_free(nm->permissions);
	OPENSSL_cleanse(nm->key_hash, sizeof(nm->key_hash));
	nm->metadata = nm->permissions = NULL;
}

/* The member named camel, else snake; NULL if neither. */
static const cJSON *
field(const cJSON *obj, const char *camel, const char *snake)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, camel);

	if (v == NULL && snake != NULL)
		v = cJSON_GetObjectItemCaseSensitive(obj, snake);
	return v;
}

/* A string field of at most max bytes without control characters.
 * Absent or null: NULL. Anything else sets nm->bad. */
static const char *
text(struct event_norm *nm, const cJSON *obj, const char *camel, const char *snake,
    size_t max)
{
	const cJSON *v = field(obj, camel, snake);
	size_t n;

	if (v == NULL || cJSON_IsNull(v))
		return NULL;
	if (!cJSON_IsString(v) || v->valuestring == NULL) {
		if (nm->bad == NULL)
			nm->bad = camel;
		return NULL;
	}
	n = strlen(v->valuestring);
	if (n > max || !util_header_value_ok(v->valuestring, n)) {
		if (nm->bad == NULL)
			nm->bad = camel;
		return NULL;
	}
	return v->valuestring;
}

/* An id: a non-empty text field; also accepts a nested {"id": ...}. */
static const char *
ident(struct event_norm *nm, const cJSON *obj, const char *camel, const char *snake,
    const char *nested)
{
	const char *v = text(nm, obj, camel, snake, STORE_MAX_ID);
	const cJSON *o;

	if (v == NULL && nested != NULL &&
	    cJSON_IsObject(o = cJSON_GetObjectItemCaseSensitive(obj, nested)))
		v = text(nm, o, "id", NULL, STORE_MAX_ID);
	if (v != NULL && *v == '\0') {
		if (nm->bad == NULL)
			nm->bad = camel;
		return NULL;
	}
	return v;
}

/* A date: ISO-8601 text or epoch milliseconds, normalized to ISO text.
 * *ms gets the value when ms is not NULL. */
static const char *
date(struct event_norm *nm, const cJSON *obj, const char *camel, const char *snake,
    char *buf, size_t bufsz, int64_t *ms, int *present)
{
	const cJSON *v = field(obj, camel, snake);
	int64_t t;

	if (present != NULL)
		*present = v != NULL;
	if (v == NULL || cJSON_IsNull(v))
		return NULL;
	if (cJSON_IsNumber(v) && v->valuedouble >= 0 &&
	    v->valuedouble < 9.0e15) {
		t = util_epoch_ms((int64_t)v->valuedouble);
	} else if (!cJSON_IsString(v) || util_time_parse(v->valuestring,
	    strlen(v->valuestring), &t) != 0) {
		if (nm->bad == NULL)
			nm->bad = camel;
		return NULL;
	}
	if (util_time_format(t, buf, bufsz) != 0) {
		if (nm->bad == NULL)
			nm->bad = camel;
		return NULL;
	}
	if (ms != NULL)
		*ms = t;
	return buf;
}

/* true/false, 0/1: -1 when absent. */
static int
boolean(struct event_norm *nm, const cJSON *obj, const char *camel,
    const char *snake)
{
	const cJSON *v = field(obj, camel, snake);

	if (v == NULL || cJSON_IsNull(v))
		return -1;
	if (cJSON_IsBool(v))
		return cJSON_IsTrue(v);
	if (cJSON_IsNumber(v) && (v->valuedouble == 0 || v->valuedouble == 1))
		return v->valuedouble == 1;
	if (nm->bad == NULL)
		nm->bad = camel;
	return -1;
}

/* A count (an integer, 0 or more, within a double's exact range) as SQL
 * text in buf; NULL for null or absent (*present tells which). */
static const char *
count(struct event_norm *nm, const cJSON *obj, const char *camel,
    const char *snake, char *buf, size_t bufsz, int *present)
{
	const cJSON *v = field(obj, camel, snake);

	*present = v != NULL;
	if (v == NULL || cJSON_IsNull(v))
		return NULL;
	if (!cJSON_IsNumber(v) || v->valuedouble < 0 ||
	    v->valuedouble > 9007199254740991.0 ||
	    v->valuedouble != (double)(int64_t)v->valuedouble) {
		if (nm->bad == NULL)
			nm->bad = camel;
		return NULL;
	}
	snprintf(buf, bufsz, "%lld", (long long)v->valuedouble);
	return buf;
}

/* better-auth's key limits into o->lim (store_sync.h's enum store_lim). */
static void
key_limits(struct event_norm *nm, const cJSON *data)
{
	static const struct {
		const char *camel, *snake;
		int date;
	} f[LIM_N] = {
		[LIM_REMAINING] = { "remaining", NULL, 0 },
		[LIM_REFILL_INTERVAL] = { "refillInterval", "refill_interval",
		    0 },
		[LIM_REFILL_AMOUNT] = { "refillAmount", "refill_amount", 0 },
		[LIM_LAST_REFILL_AT] = { "lastRefillAt", "last_refill_at", 1 },
		[LIM_RATE_ENABLED] = { "rateLimitEnabled",
		    "rate_limit_enabled", 2 },
		[LIM_RATE_WINDOW] = { "rateLimitTimeWindow",
		    "rate_limit_time_window", 0 },
		[LIM_RATE_MAX] = { "rateLimitMax", "rate_limit_max", 0 },
		[LIM_REQUEST_COUNT] = { "requestCount", "request_count", 0 },
		[LIM_LAST_REQUEST] = { "lastRequest", "last_request", 1 },
	};
	struct store_object *o = &nm->o;
	int i, b;

	for (i = 0; i < LIM_N; i++) {
		if (f[i].date == 1) {
			o->lim[i] = date(nm, data, f[i].camel, f[i].snake,
			    nm->lim[i], sizeof(nm->lim[i]), NULL,
			    &o->lim_present[i]);
		} else if (f[i].date == 2) {
			o->lim_present[i] = field(data, f[i].camel,
			    f[i].snake) != NULL;
			if ((b = boolean(nm, data, f[i].camel, f[i].snake)) >= 0)
				o->lim[i] = b ? "1" : "0";
		} else {
			o->lim[i] = count(nm, data, f[i].camel, f[i].snake,
			    nm->lim[i], sizeof(nm->lim[i]), &o->lim_present[i]);
		}
	}
}

/* A role: "admin", "member,admin" or ["member", "admin"]. */
static const char *
roles(struct event_norm *nm, const cJSON *obj)
{
	const cJSON *v = field(obj, "role", "roles"), *e;
	size_t n = 0, k;

	if (v == NULL || cJSON_IsNull(v))
		return NULL;
	if (cJSON_IsString(v))
		return text(nm, obj, "role", "roles", STORE_MAX_ROLES);
	if (!cJSON_IsArray(v))
		goto bad;
	cJSON_ArrayForEach(e, v) {
		if (!cJSON_IsString(e) || (k = strlen(e->valuestring)) == 0 ||
		    !util_header_value_ok(e->valuestring, k) ||
		    n + k + 2 > sizeof(nm->roles))
			goto bad;
		if (n > 0)
			nm->roles[n++] = ',';
		memcpy(nm->roles + n, e->valuestring, k);
		n += k;
	}
	nm->roles[n] = '\0';
	return n > 0 ? nm->roles : NULL;
bad:
	if (nm->bad == NULL)
		nm->bad = "role";
	return NULL;
}

/* JSON text of an object field (metadata, permissions). */
static char *
json_text(struct event_norm *nm, const cJSON *obj, const char *camel)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, camel);

	if (v == NULL || cJSON_IsNull(v))
		return NULL;
	if (cJSON_IsString(v))
		return strdup(v->valuestring);	/* already JSON text */
	if (cJSON_IsObject(v) || cJSON_IsArray(v))
		return cJSON_PrintUnformatted(v);
	if (nm->bad == NULL)
		nm->bad = camel;
	return NULL;
}

/*
 * Fills nm->o from data. Returns 0, or -1 with nm->bad naming the first
 * field that is missing or malformed.
 */
int
event_normalize(struct event_norm *nm, enum store_kind kind, enum store_action action,
    const cJSON *data, int64_t event_ms, int has_event_ms)
{
	struct store_object *o = &nm->o;
	int64_t upd = 0;
	const cJSON *k;

	memset(o, 0, sizeof(*o));
	o->kind = kind;
	o->action = action;
	o->email_verified = o->banned = o->enabled = -1;
	if (!cJSON_IsObject(data)) {
		nm->bad = "data";
		return -1;
	}
	o->id = ident(nm, data, "id", NULL, NULL);
	o->created_at = date(nm, data, "createdAt", "created_at", nm->created,
	    sizeof(nm->created), NULL, NULL);
	o->updated_at = date(nm, data, "updatedAt", "updated_at", nm->updated,
	    sizeof(nm->updated), &upd, NULL);
	if (o->updated_at != NULL) {
		o->version_ms = upd;
		o->has_version = 1;
	} else if (has_event_ms) {
		o->version_ms = event_ms;
		o->has_version = 1;
	}

	switch (kind) {
	case STORE_USER:
		o->name = text(nm, data, "name", NULL, STORE_MAX_NAME);
		o->email = text(nm, data, "email", NULL, STORE_MAX_EMAIL);
		o->image = text(nm, data, "image", NULL, 2048);
		o->role = text(nm, data, "role", NULL, STORE_MAX_ROLES);
		o->email_verified = boolean(nm, data, "emailVerified",
		    "email_verified");
		o->banned = boolean(nm, data, "banned", NULL);
		o->ban_reason = text(nm, data, "banReason", "ban_reason", 1024);
		o->ban_expires = date(nm, data, "banExpires", "ban_expires",
		    nm->ban_expires, sizeof(nm->ban_expires), NULL, NULL);
		break;
	case STORE_ORG:
		o->name = text(nm, data, "name", NULL, STORE_MAX_NAME);
		o->slug = text(nm, data, "slug", NULL, STORE_MAX_SLUG);
		o->logo = text(nm, data, "logo", NULL, 2048);
		o->metadata = nm->metadata = json_text(nm, data, "metadata");
		break;
	case STORE_MEMBER:
		o->organization_id = ident(nm, data, "organizationId",
		    "organization_id", "organization");
		o->user_id = ident(nm, data, "userId", "user_id", "user");
		o->role = roles(nm, data);
		if (o->id == NULL && (o->organization_id == NULL ||
		    o->user_id == NULL) && nm->bad == NULL)
			nm->bad = "id";
		break;
	case STORE_SESSION:
		o->token = text(nm, data, "token", NULL, REQ_MAX_CREDENTIAL);
		o->user_id = ident(nm, data, "userId", "user_id", "user");
		o->expires_at = date(nm, data, "expiresAt", "expires_at",
		    nm->expires, sizeof(nm->expires), NULL,
		    &o->expires_at_present);
		o->organization_id = text(nm, data, "activeOrganizationId",
		    "active_organization_id", STORE_MAX_ID);
		o->organization_id_present = field(data,
		    "activeOrganizationId", "active_organization_id") != NULL;
		o->ip_address = text(nm, data, "ipAddress", "ip_address", 64);
		o->user_agent = text(nm, data, "userAgent", "user_agent", 1024);
		if (o->id == NULL && o->token == NULL && nm->bad == NULL)
			nm->bad = "id";
		break;
	case STORE_APIKEY:
		o->name = text(nm, data, "name", NULL, STORE_MAX_NAME);
		o->user_id = ident(nm, data, "referenceId", "reference_id",
		    NULL);
		if (o->user_id == NULL)
			o->user_id = ident(nm, data, "userId", "user_id", NULL);
		o->prefix = text(nm, data, "prefix", NULL, 64);
		o->start = text(nm, data, "start", NULL, 64);
		o->enabled = boolean(nm, data, "enabled", NULL);
		o->expires_at = date(nm, data, "expiresAt", "expires_at",
		    nm->expires, sizeof(nm->expires), NULL,
		    &o->expires_at_present);
		o->config_id = text(nm, data, "configId", "config_id", 64);
		o->metadata = nm->metadata = json_text(nm, data, "metadata");
		o->permissions = nm->permissions = json_text(nm, data,
		    "permissions");
		key_limits(nm, data);
		/* Invariant: a raw key is hashed here and never stored. */
		k = field(data, "key", NULL);
		if (cJSON_IsString(k) && k->valuestring[0] != '\0') {
			char hex[CRED_HASH_HEX_LEN + 1];
			size_t kn = strlen(k->valuestring);

			if (kn > REQ_MAX_CREDENTIAL || cred_apikey_hash(
			    k->valuestring, kn, nm->key_hash, hex) != 0) {
				if (nm->bad == NULL)
					nm->bad = "key";
			} else {
				o->key_hash = nm->key_hash;
				if (o->start == NULL && util_copy(nm->start,
				    sizeof(nm->start), k->valuestring,
				    kn < 6 ? kn : 6) == 0)
					o->start = nm->start;
			}
			OPENSSL_cleanse(hex, sizeof(hex));
			OPENSSL_cleanse(k->valuestring, kn);
		} else if (k != NULL && !cJSON_IsNull(k) && nm->bad == NULL) {
			nm->bad = "key";
		}
		if (o->key_hash == NULL) {
			const char *h = text(nm, data, "hashedKey",
			    "hashed_key", CRED_HASH_HEX_LEN);
			size_t hn = h ? strlen(h) : 0;

			if (h != NULL && hn != CRED_HASH_B64URL_LEN &&
			    hn != CRED_HASH_HEX_LEN) {
				if (nm->bad == NULL)
					nm->bad = "hashedKey";
			} else {
				o->key_hash = h;
			}
		}
		break;
	}
	if (o->id == NULL && kind != STORE_MEMBER && kind != STORE_SESSION &&
	    nm->bad == NULL)
		nm->bad = "id";
	return nm->bad == NULL ? 0 : -1;
}

/* The event's own time (for objects without updatedAt). */
int
event_time(const cJSON *root, int64_t *ms)
{
	static const char *const names[] = { "timestamp", "createdAt",
	    "created_at", "occurredAt", "occurred_at" };
	const cJSON *v;
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		v = cJSON_GetObjectItemCaseSensitive(root, names[i]);
		if (cJSON_IsNumber(v) && v->valuedouble > 0 &&
		    v->valuedouble < 9.0e15) {
			/* seconds, as Standard Webhooks headers use */
			*ms = util_epoch_ms((int64_t)v->valuedouble);
			return 1;
		}
		if (cJSON_IsString(v) && util_time_parse(v->valuestring,
		    strlen(v->valuestring), ms) == 0)
			return 1;
	}
	return 0;
}

/* A snapshot's arrays, in the order they are applied. */
static const struct {
	const char		*camel, *snake;
	enum store_kind		 kind;
} sections[] = {
	{ "users", NULL, STORE_USER },
	{ "organizations", NULL, STORE_ORG },
	{ "members", "memberships", STORE_MEMBER },
	{ "sessions", NULL, STORE_SESSION },
	{ "apiKeys", "api_keys", STORE_APIKEY },
};
#define NSECTIONS	(sizeof(sections) / sizeof(sections[0]))

/*
 * Every top-level key of a snapshot must name one of the sections, and
 * each section may come once (its camelCase and snake_case names count
 * as one): a misspelt "user" or a second "users" would otherwise import
 * less than the admin meant, with exit 0. Prints one line naming the key
 * and returns -1, or returns 0.
 */
static int
import_keys_check(const cJSON *root)
{
	const cJSON *e;
	int seen[NSECTIONS] = { 0 };
	char name[65];
	size_t i;

	cJSON_ArrayForEach(e, root) {
		/* the key as the terminal may show it */
		for (i = 0; e->string != NULL && e->string[i] != '\0' &&
		    i + 1 < sizeof(name); i++)
			name[i] = util_is_control((unsigned char)e->string[i]) ?
			    '?' : e->string[i];
		name[i] = '\0';
		for (i = 0; i < NSECTIONS; i++)
			if (e->string != NULL &&
			    (strcmp(e->string, sections[i].camel) == 0 ||
			    (sections[i].snake != NULL &&
			    strcmp(e->string, sections[i].snake) == 0)))
				break;
		if (i == NSECTIONS) {
			fprintf(stderr, "authgate: import: unknown top-level"
			    " key \"%s\" (expected users, organizations,"
			    " members, sessions, apiKeys); nothing was"
			    " imported\n", name);
			return -1;
		}
		if (seen[i]++) {
			fprintf(stderr, "authgate: import: top-level key"
			    " \"%s\" given twice%s; nothing was imported\n",
			    name, sections[i].snake != NULL ?
			    " (or in both spellings)" : "");
			return -1;
		}
	}
	return 0;
}

int
event_import(struct store *s, char *json, size_t n)
{
	size_t counts[6] = { 0 }, i, bad = 0, total = 0;
	enum store_outcome out;
	const cJSON *arr, *e;
	cJSON *root;
	int rc, ret = -1, idx;

	root = cJSON_ParseWithLength(json, n);
	if (!cJSON_IsObject(root)) {
		fprintf(stderr, "authgate: import: not a JSON object with"
		    " arrays users, organizations, members, sessions,"
		    " apiKeys\n");
		goto out;
	}
	if (import_keys_check(root) != 0)
		goto out;
	if (store_import_begin(s) != 0) {
		fprintf(stderr, "authgate: import: cannot start a write"
		    " transaction (store busy or read-only?)\n");
		goto out;
	}
	for (i = 0; i < NSECTIONS; i++) {
		arr = field(root, sections[i].camel, sections[i].snake);
		if (arr == NULL)
			continue;
		if (!cJSON_IsArray(arr)) {
			fprintf(stderr, "authgate: import: %s is not an"
			    " array\n", sections[i].camel);
			bad++;
			continue;
		}
		idx = 0;
		cJSON_ArrayForEach(e, arr) {
			struct event_norm nm;

			memset(&nm, 0, sizeof(nm));
			total++;
			if (event_normalize(&nm, sections[i].kind, STORE_UPSERT,
			    e, 0, 0) != 0) {
				fprintf(stderr, "authgate: import: %s[%d]:"
				    " invalid or missing field %s\n",
				    sections[i].camel, idx, nm.bad);
				bad++;
			} else if ((rc = store_import_object(s, &nm.o,
			    &out)) != 0) {
				fprintf(stderr, "authgate: import: %s[%d]: %s\n",
				    sections[i].camel, idx, rc == -3 ?
				    "breaks a constraint (missing field or"
				    " duplicate email/slug/token?)" :
				    "store error");
				bad++;
			} else {
				counts[out]++;
			}
			event_norm_free(&nm);
			idx++;
		}
	}
	if (bad > 0) {
		if (store_import_end(s, 0) != 0)
			fprintf(stderr, "authgate: import: rollback failed\n");
		fprintf(stderr, "authgate: import: %zu of %zu objects"
		    " rejected; nothing was imported\n", bad, total);
		goto out;
	}
	if (store_import_end(s, 1) != 0) {
		fprintf(stderr, "authgate: import: commit failed; nothing was"
		    " imported\n");
		goto out;
	}
	printf("authgate: imported %zu objects: %zu applied, %zu stale,"
	    " %zu tombstoned\n", total, counts[STORE_APPLIED],
	    counts[STORE_STALE], counts[STORE_TOMBSTONED]);
	ret = 0;
out:
	cJSON_Delete(root);
	OPENSSL_cleanse(json, n);
	return ret;
}
