/*
 * authz_cred.c - the decision's credential half: a session cookie, a
 * Bearer token, an API key, an Auth.js / NextAuth cookie or better-auth's
 * cookie cache, to an identity (user, organization, roles), through the
 * identity cache.
 *
 * Trusts the store's contents only after validating them (lengths,
 * controls, dates) and the credential not at all: a signature is checked
 * before any lookup, and every path that does not end in AUTH_OK leaves a
 * deny in the decision. Never logs a credential. Part of the authz module
 * (authz_cred.h is private to authz.c and this file).
 */
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "authz.h"
#include "authz_cred.h"
#include "credential.h"

/* Leaves a deny in d: its status, reason code and message. */
void
authz_deny(struct authz_decision *d, int status, const char *reason,
    const char *message)
{
	d->status = status;
	d->reason = reason;
	snprintf(d->message, sizeof(d->message), "%s", message);
}

/*
 * The identity cache (authz.h). Only successes are kept, and a hit skips
 * the signature check: the entry was made from these exact bytes after
 * that check passed under the same secret. A user with a ban is never
 * kept (a ban that ends changes nothing kept), and a ban, a revocation,
 * a role change all arrive by a commit, which starts a new generation.
 * What a credential's use changes without a commit by the decision
 * itself (better-auth's key quotas and rate limits) cannot be answered
 * from here: such a check must run on every request, hit or miss.
 */
int
authz_cache_init(struct authz *a)
{
	unsigned char k[32];
	int rc;

	if (RAND_bytes(k, sizeof(k)) != 1)
		return -1;
	rc = cred_hmac_init(&a->cache_mac, k, sizeof(k));
	OPENSSL_cleanse(k, sizeof(k));
	a->cache_on = rc == 0;
	return rc;
}

/* The credential's slot, its digest in dg; NULL: no digest, no caching. */
static struct authz_cached *
cache_slot(struct authz *a, const char *v, size_t n, unsigned char dg[32])
{
	if (!a->cache_on || cred_hmac_sum(&a->cache_mac, v, n, dg) != 0)
		return NULL;
	return &a->cache[((size_t)dg[0] | (size_t)dg[1] << 8) %
	    AUTHZ_CACHE_SLOTS];
}

/* Whether e holds the identity of this credential, now. */
static int
cache_hit(const struct authz *a, const struct authz_cached *e, char kind,
    const unsigned char dg[32], int64_t now)
{
	return e != NULL && e->gen == store_generation(a->store) &&
	    e->kind == kind &&
	    CRYPTO_memcmp(e->digest, dg, 32) == 0 &&
	    !store_time_past(&e->expires, now);
}

static void
cache_put(const struct authz *a, struct authz_cached *e, char kind,
    const unsigned char dg[32], const struct store_time *expires,
    const struct authz_identity *id)
{
	if (e == NULL)
		return;
	memcpy(e->digest, dg, 32);
	e->gen = store_generation(a->store);
	e->kind = kind;
	e->expires = *expires;
	e->id = *id;
}

static int
banned(const struct store_user *u, int64_t now)
{
	if (!u->banned)
		return 0;
	if (!u->ban_expires.present || u->ban_expires.bad)
		return 1;
	return u->ban_expires.ms > now;
}

static void
set_user(struct authz_identity *id, const struct store_user *u)
{
	memcpy(id->user_id, u->id, sizeof(id->user_id));
	memcpy(id->email, u->email, sizeof(id->email));
	memcpy(id->name, u->name, sizeof(id->name));
	memcpy(id->remote_user, u->id, sizeof(id->remote_user));
}

/* Copies a role list into the identity; -1 (deny) if it does not fit. */
static int
set_roles(struct authz_identity *id, const char *roles)
{
	return util_copy(id->roles, sizeof(id->roles), roles, strlen(roles));
}

/*
 * Sets the organization and roles of a user (a session, or a user's key)
 * from the user's own member rows in m: not a member, no organization and
 * no role. narrow: a key's metadata role, or NULL.
 * Invariant: narrow can lower the role, never raise it; key metadata is
 * chosen by clients in better-auth.
 */
static void
set_member_org(struct authz_identity *id, const struct store_membership *m,
    const char *narrow, int *oversize)
{
	enum policy_role real, want;

	if (m->org_id[0] == '\0' || !m->member)
		return;		/* no such org, or not theirs: ignored */
	if (m->oversize)
		*oversize = 1;
	memcpy(id->org_id, m->org_id, sizeof(id->org_id));
	memcpy(id->org_slug, m->slug, sizeof(id->org_slug));
	memcpy(id->roles, m->roles, sizeof(id->roles));
	if (narrow != NULL && narrow[0] != '\0') {
		real = policy_role_highest(m->roles, strlen(m->roles));
		want = policy_role_highest(narrow, strlen(narrow));
		if (want < real && set_roles(id, narrow) != 0)
			*oversize = 1;
	}
}

/*
 * An organization's own key: the organization is its owner, whatever the
 * metadata says, and the role is the one an admin granted it in
 * authgate_key_role (none without a grant).
 */
static void
set_key_org(struct authz_identity *id, const struct store_apikey *k,
    int *oversize)
{
	if (k->owner_org.oversize)
		*oversize = 1;
	memcpy(id->org_id, k->owner_org.org_id, sizeof(id->org_id));
	memcpy(id->org_slug, k->owner_org.slug, sizeof(id->org_slug));
	if (k->grant[0] != '\0' && set_roles(id, k->grant) != 0)
		*oversize = 1;
}

void
authz_key_limits(const struct store_key_quota *q, struct usage_limits *l)
{
	const struct store_time *base;

	memset(l, 0, sizeof(*l));
	l->limited = q->limited;
	l->bad = q->bad;
	l->remaining = q->remaining;
	l->refill_interval = q->refill_interval;
	l->refill_amount = q->refill_amount;
	/* lastRefillAt, else createdAt; one that is not a date: no refill */
	base = q->last_refill.present ? &q->last_refill : &q->created;
	if (base->present && !base->bad) {
		l->last_refill = base->ms;
		l->refill_dated = 1;
	}
	l->rate_on = q->rate_on;
	l->rate_window = q->rate_window;
	l->rate_max = q->rate_max;
	l->request_count = q->request_count;
	if (q->last_request.present && !q->last_request.bad)
		l->last_request = q->last_request.ms;
	usage_limits_seal(l, q->updated.present ? q->updated.ms : 0);
}

int
authz_key_exhausted(const struct store_key_quota *q, int64_t now)
{
	struct usage_limits l;
	struct usage_count c;
	int64_t retry;

	authz_key_limits(q, &l);
	l.rate_on = 0;
	memset(&c, 0, sizeof(c));
	return usage_step(&c, &l, now, &retry) == USAGE_EXHAUSTED;
}

/* A credential lookup's result rc: 1 when found; else the deny is in d
 * (503 for a store error, 401 with unknown/message for no such row). */
static int
found(int rc, struct authz_decision *d, const char *unknown,
    const char *message)
{
	if (rc < 0)
		authz_deny(d, 503, "store_error", "Service Unavailable - store error");
	else if (rc == 0)
		authz_deny(d, 401, unknown, message);
	return rc > 0;
}

/*
 * A session lookup's result (rc, the row s) to the identity in d, kept
 * in cache slot e under kind: the one reading of a session row,
 * better-auth's or an Auth.js adapter's. Unknown, expired, a banned
 * user or a value no header can carry is a deny.
 */
static enum auth_rc
session_found(struct authz *a, int rc, const struct store_session *s,
    struct authz_cached *e, char kind, const unsigned char dg[32],
    struct authz_decision *d, int64_t now)
{
	int oversize = 0;

	if (!found(rc, d, "session_unknown", "Unauthorized - invalid session"))
		return AUTH_DENIED;
	if (!s->expires.present || store_time_past(&s->expires, now)) {
		authz_deny(d, 401, "session_expired",
		    "Unauthorized - session expired");
		return AUTH_DENIED;
	}
	if (banned(&s->user, now)) {
		authz_deny(d, 403, "user_banned", "Forbidden - banned");
		return AUTH_DENIED;
	}
	set_user(&d->id, &s->user);
	memcpy(d->id.session_id, s->id, sizeof(d->id.session_id));
	memcpy(d->id.method, "session", sizeof("session"));
	if (util_time_format(s->expires.ms, d->id.expires_at,
	    sizeof(d->id.expires_at)) != 0)
		oversize = 1;	/* a date no header can carry */
	set_member_org(&d->id, &s->org, NULL, &oversize);
	if (s->oversize || s->user.oversize || oversize) {
		authz_deny(d, 403, "identity_invalid",
		    "Forbidden - invalid identity");
		return AUTH_DENIED;
	}
	cache_put(a, e, kind, dg, &s->expires, &d->id);
	return AUTH_OK;
}

/*
 * An identity from a stateless cookie: user, session id (jti, or the
 * cache's session.id), expiry, method "session"; no organization yet.
 * -1 when a value does not fit a header field.
 */
static int
set_stateless(struct authz_identity *id, const struct stateless_id *s)
{
	memset(id, 0, sizeof(*id));
	if (util_copy(id->user_id, sizeof(id->user_id), s->user_id,
	    strlen(s->user_id)) != 0 ||
	    util_copy(id->email, sizeof(id->email), s->email,
	    strlen(s->email)) != 0 ||
	    util_copy(id->name, sizeof(id->name), s->name,
	    strlen(s->name)) != 0 ||
	    util_copy(id->session_id, sizeof(id->session_id), s->session_id,
	    strlen(s->session_id)) != 0 ||
	    util_time_format(s->expires_ms, id->expires_at,
	    sizeof(id->expires_at)) != 0) {
		memset(id, 0, sizeof(*id));
		return -1;
	}
	memcpy(id->remote_user, id->user_id, sizeof(id->remote_user));
	memcpy(id->method, "session", sizeof("session"));
	return 0;
}

/*
 * better-auth's cookie cache, trusted (AUTHGATE_TRUST_COOKIE_CACHE=1),
 * for the session token tok (tn bytes) whose signature was verified:
 * 1 with the identity in d and no session lookup; 0 when the cache
 * cookie is absent or anything is wrong with it (the caller looks the
 * session up as usual, never allows on it); -1 with a 503 in d when the
 * membership lookup failed. Invariant: the trade-off is documented
 * (docs/security.md): a revoked session passes until its cache cookie
 * expires.
 */
static int
by_cache(struct authz *a, const struct slice *hdr, const char *tok,
    size_t tn, struct authz_decision *d, int64_t now)
{
	struct stateless_id sid;
	struct store_membership m;
	const char *why;
	int rc, oversize = 0;

	if (stateless_cache(&a->st, hdr->p, hdr->n, a->cookie_prefix, tok, tn,
	    &a->mac, a->old_mac, a->nold, now, &sid, &why) != STATELESS_OK)
		return 0;
	if (set_stateless(&d->id, &sid) != 0)
		return 0;
	if (sid.org_id[0] != '\0') {
		rc = store_member_find(a->store, sid.user_id, sid.org_id, &m);
		if (rc < 0) {
			memset(&d->id, 0, sizeof(d->id));
			authz_deny(d, 503, "store_error",
			    "Service Unavailable - store error");
			return -1;
		}
		if (rc == 1)
			set_member_org(&d->id, &m, NULL, &oversize);
		if (oversize) {
			memset(&d->id, 0, sizeof(d->id));
			return 0;
		}
	}
	return 1;
}

/*
 * Organization and role of an Auth.js / NextAuth JWT identity: from
 * authgate's own membership tables, by user id, else by e-mail address
 * (store_read_authgate_member). 0, or -1 with a 503 in d on a store
 * error or a value no header can carry.
 */
static int
authjs_membership(struct authz *a, struct authz_decision *d)
{
	struct store_membership m;
	int oversize = 0;

	if (store_read_authgate_member(a->store, d->id.user_id, d->id.email,
	    &m) < 0) {
		authz_deny(d, 503, "store_error", "Service Unavailable - store error");
		return -1;
	}
	set_member_org(&d->id, &m, NULL, &oversize);
	if (oversize) {
		authz_deny(d, 403, "identity_invalid", "Forbidden - invalid identity");
		return -1;
	}
	return 0;
}

/* Whether the Cookie header may hold an Auth.js session cookie. */
int
authz_has_authjs_cookie(const struct slice *c)
{
	static const char needle[] = "session-token";
	size_t i, k = sizeof(needle) - 1;

	for (i = 0; c->p != NULL && i + k <= c->n; i++)
		if (c->p[i] == 's' && memcmp(c->p + i, needle, k) == 0)
			return 1;
	return 0;
}

enum auth_rc
authz_by_session(struct authz *a, const char *v, size_t n,
    const struct slice *hdr, struct authz_decision *d, int64_t now)
{
	struct store_session s;
	struct authz_cached *e;
	unsigned char dg[32];
	size_t token_n = n;
	enum cred_rc cr;
	size_t i;
	int rc;

	e = cache_slot(a, v, n, dg);
	if (cache_hit(a, e, 's', dg, now)) {
		d->id = e->id;
		return AUTH_OK;
	}
	if (a->secret_n > 0) {
		/* The current secret first; earlier ones while rotating. */
		cr = cred_session_check(v, n, &a->mac, &token_n);
		for (i = 0; cr != CRED_OK && cr != CRED_MALFORMED &&
		    i < a->nold; i++)
			cr = cred_session_check(v, n, &a->old_mac[i], &token_n);
		switch (cr) {
		case CRED_OK:
			break;
		case CRED_MALFORMED:
			authz_deny(d, 401, "session_malformed",
			    "Unauthorized - invalid session");
			return AUTH_DENIED;
		default:
			authz_deny(d, 401, "session_bad_signature",
			    "Unauthorized - invalid session");
			return AUTH_DENIED;
		}
	} else if (req_is_signed_token(v, n)) {
		token_n = n - 45;	/* TOKEN of TOKEN.SIG, unverified */
	}
	/* The cookie cache only with a verified signature (a secret is
	 * required for trust_cache), and only for a cookie. */
	if (hdr != NULL && a->st.trust_cache && a->secret_n > 0) {
		rc = by_cache(a, hdr, v, token_n, d, now);
		if (rc != 0)
			return rc > 0 ? AUTH_OK : AUTH_DENIED;
	}
	rc = store_session_find(a->store, v, token_n, &s);
	return session_found(a, rc, &s, e, 's', dg, d, now);
}

/*
 * An Auth.js / NextAuth database session: the cookie's value is the
 * adapter's sessionToken, unsigned (Auth.js signs nothing here; the token
 * is 32 random bytes). Organization and role come from authgate's own
 * membership tables, by user id, else by e-mail address, in the same
 * statement (store_authjs_session_find).
 */
static enum auth_rc
by_authjs_db(struct authz *a, const char *v, size_t n,
    struct authz_decision *d, int64_t now)
{
	struct store_session s;
	struct authz_cached *e;
	unsigned char dg[32];
	int rc;

	e = cache_slot(a, v, n, dg);
	if (cache_hit(a, e, 'd', dg, now)) {
		d->id = e->id;
		return AUTH_OK;
	}
	rc = store_authjs_session_find(a->store, v, n, &s);
	return session_found(a, rc, &s, e, 'd', dg, d, now);
}

/*
 * The NextAuth v4 / Auth.js v5 session cookie when no JWT secret is
 * configured: a database session token, or a JWT this host cannot open
 * (401, never an allow).
 */
enum auth_rc
authz_by_authjs_cookie(struct authz *a, const char *v, size_t n,
    struct authz_decision *d, int64_t now)
{
	if (req_looks_like_jwe(v, n)) {
		authz_deny(d, 401, "jwt_no_secret", "Unauthorized - invalid session");
		return AUTH_DENIED;
	}
	return by_authjs_db(a, v, n, d, now);
}

/* A cookie by_authjs found not to be a JWT: the database session token,
 * read from the header again (the first Auth.js name present). */
static enum auth_rc
by_authjs_token(struct authz *a, const struct authz_input *in,
    struct authz_decision *d, int64_t now)
{
	char v[REQ_MAX_COOKIE_VALUE + 1];
	enum auth_rc arc = AUTH_DENIED;
	size_t n = 0;

	switch (req_authjs_cookie_find(in->cookie.p, in->cookie.n, v,
	    sizeof(v), &n)) {
	case REQ_COOKIE_FOUND:
		arc = req_looks_like_jwe(v, n) ?
		    (authz_deny(d, 401, "jwt_invalid", "Unauthorized - invalid"
		    " session"), AUTH_DENIED) : by_authjs_db(a, v, n, d, now);
		break;
	case REQ_COOKIE_DUPLICATE:
		authz_deny(d, 401, "cookie_duplicate",
		    "Unauthorized - conflicting session cookies");
		break;
	case REQ_COOKIE_TOO_LONG:
		authz_deny(d, 401, "cookie_too_long", "Unauthorized - invalid session");
		break;
	default:	/* absent after all, or malformed */
		authz_deny(d, 401, "cookie_malformed",
		    "Unauthorized - invalid session");
		break;
	}
	OPENSSL_cleanse(v, n + 1 < sizeof(v) ? n + 1 : sizeof(v));
	return arc;
}

/*
 * The Auth.js / NextAuth cookies when JWT secrets are configured: a JWT
 * session (chunks rejoined, opened by stateless.c), or, for a value that
 * is no JWT, the database session token (by_authjs_token).
 */
enum auth_rc
authz_by_authjs(struct authz *a, const struct authz_input *in,
    struct authz_decision *d, int64_t now)
{
	struct stateless_id sid;
	struct authz_cached *e;
	struct store_time until;
	unsigned char dg[32];
	const char *why;

	/* The identity cache, keyed by the whole Cookie header (the JWT is
	 * in there, maybe in chunks), until the JWT's exp: a hit skips the
	 * decryption, as it skips the HMAC of a better-auth cookie. */
	e = cache_slot(a, in->cookie.p, in->cookie.n, dg);
	if (cache_hit(a, e, 'j', dg, now)) {
		d->id = e->id;
		return AUTH_OK;
	}
	switch (stateless_authjs(&a->st, in->cookie.p, in->cookie.n, now,
	    &sid, &why)) {
	case STATELESS_OK:
		break;
	case STATELESS_ABSENT:
		authz_deny(d, 401, "no_credentials", "Unauthorized - sign in required");
		return AUTH_DENIED;
	case STATELESS_NOT_JWT:
		/* an Auth.js database session: the adapter's tables */
		return by_authjs_token(a, in, d, now);
	default:
		authz_deny(d, 401, why, strcmp(why, "jwt_expired") == 0 ?
		    "Unauthorized - session expired" :
		    "Unauthorized - invalid session");
		return AUTH_DENIED;
	}
	if (set_stateless(&d->id, &sid) != 0) {
		authz_deny(d, 403, "identity_invalid", "Forbidden - invalid identity");
		return AUTH_DENIED;
	}
	if (authjs_membership(a, d) != 0)
		return AUTH_DENIED;
	until.present = 1;
	until.bad = 0;
	until.ms = sid.expires_ms;
	cache_put(a, e, 'j', dg, &until, &d->id);
	return AUTH_OK;
}

enum auth_rc
authz_by_api_key(struct authz *a, const struct slice *key,
    struct authz_decision *d, int64_t now)
{
	char b64[CRED_HASH_B64URL_LEN + 1], hex[CRED_HASH_HEX_LEN + 1];
	struct store_apikey k;
	struct authz_cached *e;
	unsigned char dg[32];
	int rc, oversize = 0, is_user, is_org;

	e = cache_slot(a, key->p, key->n, dg);
	if (cache_hit(a, e, 'k', dg, now)) {
		d->id = e->id;
		d->key_limits = e->lim;
		return AUTH_OK;
	}
	if (cred_apikey_hash(key->p, key->n, b64, hex) != 0) {
		authz_deny(d, 503, "hash_error", "Service Unavailable - internal error");
		return AUTH_DENIED;
	}
	rc = store_apikey_find(a->store, b64, hex, &k);
	OPENSSL_cleanse(b64, sizeof(b64));
	OPENSSL_cleanse(hex, sizeof(hex));
	if (!found(rc, d, "api_key_unknown", "Unauthorized - invalid API key"))
		return AUTH_DENIED;
	if (!k.enabled) {
		authz_deny(d, 401, "api_key_disabled", "Unauthorized - API key disabled");
		return AUTH_DENIED;
	}
	if (store_time_past(&k.expires, now)) {
		authz_deny(d, 401, "api_key_expired", "Unauthorized - API key expired");
		return AUTH_DENIED;
	}
	/* The quota and rate limit are counted when the decision is an
	 * allow (key_use), on a cache hit too: the cache keeps the limits
	 * as the row said (a newer row is a new generation), never a count. */
	authz_key_limits(&k.quota, &d->key_limits);
	is_user = k.user.id[0] != '\0';
	is_org = !is_user && k.owner_org.org_id[0] != '\0';
	if (!is_user && !is_org) {
		authz_deny(d, 401, "api_key_orphan", "Unauthorized - invalid API key");
		return AUTH_DENIED;
	}
	if (is_user) {
		if (banned(&k.user, now)) {
			authz_deny(d, 403, "user_banned", "Forbidden - banned");
			return AUTH_DENIED;
		}
		if (k.user.oversize)
			oversize = 1;
		set_user(&d->id, &k.user);
		/* The metadata may name an organization of the owner's and a
		 * lower role there; nothing the owner does not hold. */
		set_member_org(&d->id, &k.meta_org, k.meta_role, &oversize);
	} else {
		memcpy(d->id.remote_user, k.id, sizeof(d->id.remote_user));
		set_key_org(&d->id, &k, &oversize);
	}
	memcpy(d->id.api_key_id, k.id, sizeof(d->id.api_key_id));
	memcpy(d->id.method, "api_key", sizeof("api_key"));
	if (k.expires.present && util_time_format(k.expires.ms,
	    d->id.expires_at, sizeof(d->id.expires_at)) != 0)
		oversize = 1;
	if (k.oversize || oversize) {
		authz_deny(d, 403, "identity_invalid", "Forbidden - invalid identity");
		return AUTH_DENIED;
	}
	cache_put(a, e, 'k', dg, &k.expires, &d->id);
	if (e != NULL)
		e->lim = d->key_limits;
	return AUTH_OK;
}
