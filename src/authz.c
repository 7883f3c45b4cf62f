/*
 * authz.c - one decision per request, from parsed input and the store.
 *
 * Trusts the store's contents only after validating them (lengths,
 * controls, dates) and the request not at all. Never writes a reply and
 * never logs a credential: it fills a struct authz_decision that main.c
 * (or the CLI) renders. Every path that does not reach the end of
 * decide_auth leaves a deny in place.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "authz.h"
#include "credential.h"
#include "log.h"

enum cred_kind {
	KIND_NONE = 0,
	KIND_SESSION_COOKIE,
	KIND_SESSION_BEARER,
	KIND_API_KEY,
	KIND_AUTHJS,		/* Auth.js cookies, JWT secrets configured */
	KIND_AUTHJS_COOKIE	/* an Auth.js cookie, no JWT secret */
};

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
static int
cache_init(struct authz *a)
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

int
authz_init(struct authz *a, struct store *s, const unsigned char *secret,
    size_t secret_n, const char *prefix, int case_sensitive)
{
	memset(a, 0, sizeof(*a));
	a->store = s;
	a->match_flags = case_sensitive ? 0 : POLICY_FOLD_CASE;
	if (secret_n > sizeof(a->secret))
		return -1;
	if (secret != NULL && secret_n > 0)
		memcpy(a->secret, secret, secret_n);
	a->secret_n = secret_n;
	if (secret_n > 0 && cred_hmac_init(&a->mac, a->secret, secret_n) != 0)
		return -1;
	if (util_copy(a->cookie_prefix, sizeof(a->cookie_prefix), prefix,
	    strlen(prefix)) != 0)
		return -1;
	return cache_init(a);
}

int
authz_add_secret(struct authz *a, const unsigned char *secret, size_t n)
{
	if (a->secret_n == 0 || a->nold == AUTHZ_MAX_OLD_SECRETS || n == 0 ||
	    cred_hmac_init(&a->old_mac[a->nold], secret, n) != 0)
		return -1;
	a->nold++;
	return 0;
}

int
authz_add_secrets(struct authz *a,
    const unsigned char (*secrets)[CRED_MAX_SECRET], const size_t *lens,
    size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (authz_add_secret(a, secrets[i], lens[i]) != 0)
			return -1;
	return 0;
}

int
authz_stateless(struct authz *a, const unsigned char *nextauth, size_t nn,
    const unsigned char (*auth)[CRED_MAX_SECRET], const size_t *auth_n,
    size_t nauth, int trust_cache)
{
	if (trust_cache && a->secret_n == 0)
		return -1;
	return stateless_init(&a->st, nextauth, nn, auth, auth_n, nauth,
	    a->secret, a->secret_n, trust_cache);
}

void
authz_fini(struct authz *a)
{
	size_t i;

	stateless_fini(&a->st);
	OPENSSL_cleanse(a->secret, sizeof(a->secret));
	a->secret_n = 0;
	cred_hmac_free(&a->mac);
	cred_hmac_free(&a->cache_mac);
	a->cache_on = 0;
	for (i = 0; i < a->nold; i++)
		cred_hmac_free(&a->old_mac[i]);
	a->nold = 0;
}

static void
deny(struct authz_decision *d, int status, const char *reason,
    const char *message)
{
	d->status = status;
	d->reason = reason;
	snprintf(d->message, sizeof(d->message), "%s", message);
}

struct load_ctx {
	struct authz	*a;
	int		 bad;
};

static int
load_rule(void *ctx, const struct store_rule_row *row)
{
	struct load_ctx *lc = ctx;
	const char *why;

	if (lc->a->nrules >= POLICY_MAX_RULES) {
		log_msg("rules: more than %d rules", POLICY_MAX_RULES);
		lc->bad = 1;
		return -1;
	}
	if (policy_rule_parse(&row->t, &lc->a->rules[lc->a->nrules],
	    &why) != 0) {
		log_msg("rules: rule %lld is invalid (%s); every request gets"
		    " 503 until it is fixed", row->t.id, why);
		lc->bad = 1;
		return -1;
	}
	lc->a->nrules++;
	return 0;
}

/* Reloads the rule cache; leaves rules_ok 0 on any problem. */
static int
reload_rules(struct authz *a)
{
	struct load_ctx lc = { a, 0 };
	int rc;

	a->rules_ok = 0;
	a->nrules = 0;
	rc = store_rules_load(a->store, load_rule, &lc);
	if (rc != 1 || lc.bad) {	/* no rules table is not "no rules" */
		a->nrules = 0;
		return -1;
	}
	a->rules_ok = 1;
	return 0;
}

static int
method_ok(const struct slice *m)
{
	size_t i;

	if (m->p == NULL || m->n == 0 || m->n > AUTHZ_MAX_METHOD)
		return 0;
	for (i = 0; i < m->n; i++) {
		char c = m->p[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    c == '-' || c == '_'))
			return 0;
	}
	return 1;
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

/* Outcome of one credential check: authenticated, or d holds the deny. */
enum auth_rc {
	AUTH_DENIED = 0,
	AUTH_OK
};

/* A credential lookup's result rc: 1 when found; else the deny is in d
 * (503 for a store error, 401 with unknown/message for no such row). */
static int
found(int rc, struct authz_decision *d, const char *unknown,
    const char *message)
{
	if (rc < 0)
		deny(d, 503, "store_error", "Service Unavailable - store error");
	else if (rc == 0)
		deny(d, 401, unknown, message);
	return rc > 0;
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
			deny(d, 503, "store_error",
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
		deny(d, 503, "store_error", "Service Unavailable - store error");
		return -1;
	}
	set_member_org(&d->id, &m, NULL, &oversize);
	if (oversize) {
		deny(d, 403, "identity_invalid", "Forbidden - invalid identity");
		return -1;
	}
	return 0;
}

/* Whether the Cookie header may hold an Auth.js session cookie. */
static int
has_authjs_cookie(const struct slice *c)
{
	static const char needle[] = "session-token";
	size_t i, k = sizeof(needle) - 1;

	for (i = 0; c->p != NULL && i + k <= c->n; i++)
		if (c->p[i] == 's' && memcmp(c->p + i, needle, k) == 0)
			return 1;
	return 0;
}

static enum auth_rc
by_session(struct authz *a, const char *v, size_t n, const struct slice *hdr,
    struct authz_decision *d, int64_t now)
{
	struct store_session s;
	struct authz_cached *e;
	unsigned char dg[32];
	size_t token_n = n;
	enum cred_rc cr;
	size_t i;
	int rc, oversize = 0;

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
			deny(d, 401, "session_malformed",
			    "Unauthorized - invalid session");
			return AUTH_DENIED;
		default:
			deny(d, 401, "session_bad_signature",
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
	if (!found(rc, d, "session_unknown", "Unauthorized - invalid session"))
		return AUTH_DENIED;
	if (!s.expires.present || store_time_past(&s.expires, now)) {
		deny(d, 401, "session_expired", "Unauthorized - session expired");
		return AUTH_DENIED;
	}
	if (banned(&s.user, now)) {
		deny(d, 403, "user_banned", "Forbidden - banned");
		return AUTH_DENIED;
	}
	set_user(&d->id, &s.user);
	memcpy(d->id.session_id, s.id, sizeof(d->id.session_id));
	memcpy(d->id.method, "session", sizeof("session"));
	if (util_time_format(s.expires.ms, d->id.expires_at,
	    sizeof(d->id.expires_at)) != 0)
		oversize = 1;	/* a date no header can carry */
	set_member_org(&d->id, &s.org, NULL, &oversize);
	if (s.oversize || s.user.oversize || oversize) {
		deny(d, 403, "identity_invalid", "Forbidden - invalid identity");
		return AUTH_DENIED;
	}
	cache_put(a, e, 's', dg, &s.expires, &d->id);
	return AUTH_OK;
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
	int rc, oversize = 0;

	e = cache_slot(a, v, n, dg);
	if (cache_hit(a, e, 'd', dg, now)) {
		d->id = e->id;
		return AUTH_OK;
	}
	rc = store_authjs_session_find(a->store, v, n, &s);
	if (!found(rc, d, "session_unknown", "Unauthorized - invalid session"))
		return AUTH_DENIED;
	if (!s.expires.present || store_time_past(&s.expires, now)) {
		deny(d, 401, "session_expired", "Unauthorized - session expired");
		return AUTH_DENIED;
	}
	if (banned(&s.user, now)) {
		deny(d, 403, "user_banned", "Forbidden - banned");
		return AUTH_DENIED;
	}
	set_user(&d->id, &s.user);
	memcpy(d->id.session_id, s.id, sizeof(d->id.session_id));
	memcpy(d->id.method, "session", sizeof("session"));
	if (util_time_format(s.expires.ms, d->id.expires_at,
	    sizeof(d->id.expires_at)) != 0)
		oversize = 1;
	set_member_org(&d->id, &s.org, NULL, &oversize);
	if (s.oversize || s.user.oversize || oversize) {
		deny(d, 403, "identity_invalid", "Forbidden - invalid identity");
		return AUTH_DENIED;
	}
	cache_put(a, e, 'd', dg, &s.expires, &d->id);
	return AUTH_OK;
}

/*
 * The NextAuth v4 / Auth.js v5 session cookie when no JWT secret is
 * configured: a database session token, or a JWT this host cannot open
 * (401, never an allow).
 */
static enum auth_rc
by_authjs_cookie(struct authz *a, const char *v, size_t n,
    struct authz_decision *d, int64_t now)
{
	if (req_looks_like_jwe(v, n)) {
		deny(d, 401, "jwt_no_secret", "Unauthorized - invalid session");
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
		    (deny(d, 401, "jwt_invalid", "Unauthorized - invalid"
		    " session"), AUTH_DENIED) : by_authjs_db(a, v, n, d, now);
		break;
	case REQ_COOKIE_DUPLICATE:
		deny(d, 401, "cookie_duplicate",
		    "Unauthorized - conflicting session cookies");
		break;
	case REQ_COOKIE_TOO_LONG:
		deny(d, 401, "cookie_too_long", "Unauthorized - invalid session");
		break;
	default:	/* absent after all, or malformed */
		deny(d, 401, "cookie_malformed",
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
static enum auth_rc
by_authjs(struct authz *a, const struct authz_input *in,
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
		deny(d, 401, "no_credentials", "Unauthorized - sign in required");
		return AUTH_DENIED;
	case STATELESS_NOT_JWT:
		/* an Auth.js database session: the adapter's tables */
		return by_authjs_token(a, in, d, now);
	default:
		deny(d, 401, why, strcmp(why, "jwt_expired") == 0 ?
		    "Unauthorized - session expired" :
		    "Unauthorized - invalid session");
		return AUTH_DENIED;
	}
	if (set_stateless(&d->id, &sid) != 0) {
		deny(d, 403, "identity_invalid", "Forbidden - invalid identity");
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

static enum auth_rc
by_api_key(struct authz *a, const struct slice *key,
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
		deny(d, 503, "hash_error", "Service Unavailable - internal error");
		return AUTH_DENIED;
	}
	rc = store_apikey_find(a->store, b64, hex, &k);
	OPENSSL_cleanse(b64, sizeof(b64));
	OPENSSL_cleanse(hex, sizeof(hex));
	if (!found(rc, d, "api_key_unknown", "Unauthorized - invalid API key"))
		return AUTH_DENIED;
	if (!k.enabled) {
		deny(d, 401, "api_key_disabled", "Unauthorized - API key disabled");
		return AUTH_DENIED;
	}
	if (store_time_past(&k.expires, now)) {
		deny(d, 401, "api_key_expired", "Unauthorized - API key expired");
		return AUTH_DENIED;
	}
	/* The quota and rate limit are counted when the decision is an
	 * allow (key_use), on a cache hit too: the cache keeps the limits
	 * as the row said (a newer row is a new generation), never a count. */
	authz_key_limits(&k.quota, &d->key_limits);
	is_user = k.user.id[0] != '\0';
	is_org = !is_user && k.owner_org.org_id[0] != '\0';
	if (!is_user && !is_org) {
		deny(d, 401, "api_key_orphan", "Unauthorized - invalid API key");
		return AUTH_DENIED;
	}
	if (is_user) {
		if (banned(&k.user, now)) {
			deny(d, 403, "user_banned", "Forbidden - banned");
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
		deny(d, 403, "identity_invalid", "Forbidden - invalid identity");
		return AUTH_DENIED;
	}
	cache_put(a, e, 'k', dg, &k.expires, &d->id);
	if (e != NULL)
		e->lim = d->key_limits;
	return AUTH_OK;
}

static int
identity_ok(const struct authz_identity *id)
{
	const char *f[] = { id->user_id, id->email, id->name, id->org_id,
	    id->org_slug, id->roles, id->session_id, id->api_key_id,
	    id->remote_user };
	size_t i;

	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		if (!util_header_value_ok(f[i], strlen(f[i])))
			return 0;
	return 1;
}

/* A 429 with its Retry-After (whole seconds, rounded up). */
static void
too_many(struct authz_decision *d, const char *reason, const char *message,
    int64_t retry_ms)
{
	deny(d, 429, reason, message);
	d->retry_after = (int)((retry_ms + 999) / 1000);
	if (d->retry_after < 1)
		d->retry_after = 1;
}

/* Whether the client's address is banned for failed credentials (the
 * deny is then in d). Costs one atomic load while nobody is banned. */
static int
throttled(const struct authz_input *in, struct authz_decision *d,
    int64_t now)
{
	int64_t retry;

	if (in->client.n == 0 ||
	    !usage_client_banned(in->client.p, in->client.n, now, &retry))
		return 0;
	too_many(d, "client_throttled", "Too Many Requests - too many failed"
	    " credentials", retry);
	return 1;
}

/* The reasons that say a presented credential was wrong (a guess, not
 * an expired or banned one): they count against the client's budget. */
static int
failed_credential(const char *reason)
{
	static const char *const r[] = { "session_malformed",
		"session_bad_signature", "session_unknown", "api_key_malformed",
		"api_key_unknown", "cookie_malformed", "authorization_malformed",
		"jwt_bad_tag", "jwt_invalid", "jwt_unsupported", NULL };
	size_t i;

	for (i = 0; r[i] != NULL; i++)
		if (strcmp(reason, r[i]) == 0)
			return 1;
	return 0;
}

/*
 * After the decision, once per request (decide may run twice): an
 * allow by a limited key counts one use, or turns into its 401/429/503;
 * a failed credential counts against the client's address, and the one
 * that exhausts its budget is answered 429 and logged (once per ban).
 */
static void
after(struct authz *a, const struct authz_input *in,
    struct authz_decision *d)
{
	char addr[64];
	int64_t now = util_now_ms(), retry;

	if (d->status == 200 && strcmp(d->id.method, "api_key") == 0 &&
	    usage_limited(&d->key_limits)) {
		switch (usage_key_use(d->id.api_key_id, &d->key_limits, now,
		    a->count_uses, &retry)) {
		case USAGE_OK:
			return;
		case USAGE_EXHAUSTED:
			deny(d, 401, "api_key_exhausted",
			    "Unauthorized - API key usage exhausted");
			if (a->count_uses)
				usage_note(USAGE_NOTE_EXHAUSTED);
			break;
		case USAGE_RATE_LIMITED:
			too_many(d, "api_key_rate_limited", "Too Many Requests"
			    " - API key rate limit exceeded", retry);
			if (a->count_uses)
				usage_note(USAGE_NOTE_RATE_LIMITED);
			break;
		default:
			deny(d, 503, "usage_unavailable", "Service Unavailable"
			    " - usage state unavailable");
			break;
		}
		memset(&d->id, 0, sizeof(d->id));
		return;
	}
	if (d->status == 429)	/* throttled() said so, in decide */
		usage_note(USAGE_NOTE_THROTTLED);
	else if (d->status != 200 && in->client.n > 0 && d->reason != NULL &&
	    failed_credential(d->reason) &&
	    usage_client_failed(in->client.p, in->client.n, now)) {
		log_msg("throttle: client %s banned after too many failed"
		    " credentials", log_clean(in->client.p, in->client.n,
		    addr, sizeof(addr)));
		(void)usage_client_banned(in->client.p, in->client.n, now,
		    &retry);
		too_many(d, "client_throttled", "Too Many Requests - too many"
		    " failed credentials", retry);
		usage_note(USAGE_NOTE_THROTTLED);
	}
}

/*
 * Picks the credential the rule's access allows. Explicit headers win
 * over the cookie: an API client that sends one means it. AUTH_OK with
 * the identity filled in, or AUTH_DENIED with the deny in d.
 */
static enum auth_rc
authenticate(struct authz *a, const struct authz_input *in,
    enum policy_access access, struct authz_decision *d, int64_t now)
{
	enum auth_rc arc;
	char cookie[REQ_MAX_COOKIE_VALUE + 1], btok[REQ_MAX_CREDENTIAL + 1];
	struct slice bearer, key = { NULL, 0 }, sess = { NULL, 0 };
	enum cred_kind kind = KIND_NONE;
	enum req_cookie_rc crc;
	size_t cn = 0, cwipe = 0, bwipe = 0;
	int rc, authjs = 0;

	switch (req_authz_bearer(in->authorization.p, in->authorization.n,
	    &bearer)) {
	case REQ_AUTHZ_MALFORMED:
		deny(d, 401, "authorization_malformed",
		    "Unauthorized - malformed Authorization header");
		return AUTH_DENIED;
	case REQ_AUTHZ_BEARER:
		/* better-auth's bearer plugin also takes the cookie's
		 * percent-encoded form of TOKEN.SIG. */
		if (memchr(bearer.p, '%', bearer.n) != NULL) {
			long bn = req_percent_decode(bearer.p, bearer.n, btok,
			    sizeof(btok));
			if (bn <= 0) {
				OPENSSL_cleanse(btok, sizeof(btok));
				deny(d, 401, "authorization_malformed",
				    "Unauthorized - malformed Authorization"
				    " header");
				return AUTH_DENIED;
			}
			bwipe = (size_t)bn + 1;
			bearer.p = btok;
			bearer.n = (size_t)bn;
		}
		if (req_is_signed_token(bearer.p, bearer.n))
			sess = bearer;
		else
			key = bearer;
		break;
	default:
		break;
	}
	if (key.p == NULL && sess.p == NULL) {
		rc = req_api_key(in->api_key.p, in->api_key.n, &key);
		if (rc < 0) {
			deny(d, 401, "api_key_malformed",
			    "Unauthorized - malformed x-api-key header");
			return AUTH_DENIED;
		}
	}
	if (key.p == NULL && sess.p == NULL) {
		/* better-auth's cookie first (one scan when it is there),
		 * then NextAuth's / Auth.js's */
		crc = req_session_cookie_find(in->cookie.p, in->cookie.n,
		    a->cookie_prefix, strlen(a->cookie_prefix), cookie,
		    sizeof(cookie), &cn);
		/* Invariant: no better-auth cookie costs one substring scan;
		 * with JWT secrets configured, by_authjs reads the Auth.js
		 * cookies itself (chunked JWTs, or a database token). */
		if (crc == REQ_COOKIE_ABSENT && stateless_authjs_on(&a->st) &&
		    has_authjs_cookie(&in->cookie)) {
			kind = KIND_AUTHJS;
			goto chosen;
		}
		if (crc == REQ_COOKIE_ABSENT) {
			crc = req_authjs_cookie_find(in->cookie.p,
			    in->cookie.n, cookie, sizeof(cookie), &cn);
			authjs = 1;
		}
		switch (crc) {
		case REQ_COOKIE_FOUND:
			sess.p = cookie;
			sess.n = cn;
			cwipe = cn + 1;
			break;
		case REQ_COOKIE_ABSENT:
			break;
		case REQ_COOKIE_DUPLICATE:
			deny(d, 401, "cookie_duplicate",
			    "Unauthorized - conflicting session cookies");
			arc = AUTH_DENIED;
			cwipe = sizeof(cookie);
			goto out;
		case REQ_COOKIE_TOO_LONG:
			deny(d, 401, "cookie_too_long",
			    "Unauthorized - invalid session");
			arc = AUTH_DENIED;
			cwipe = sizeof(cookie);
			goto out;
		default:
			deny(d, 401, "cookie_malformed",
			    "Unauthorized - invalid session");
			arc = AUTH_DENIED;
			cwipe = sizeof(cookie);
			goto out;
		}
		if (sess.p != NULL)
			kind = authjs ? KIND_AUTHJS_COOKIE :
			    KIND_SESSION_COOKIE;
	} else {
		kind = key.p != NULL ? KIND_API_KEY : KIND_SESSION_BEARER;
	}
chosen:
	if (kind == KIND_NONE) {
		deny(d, 401, "no_credentials", "Unauthorized - sign in required");
		arc = AUTH_DENIED;
		goto out;
	}
	if (access == ACCESS_SESSION && kind == KIND_API_KEY) {
		deny(d, 401, "session_required",
		    "Unauthorized - session required");
		arc = AUTH_DENIED;
		goto out;
	}
	if (access == ACCESS_API_KEY && kind != KIND_API_KEY) {
		deny(d, 401, "api_key_required",
		    "Unauthorized - API key required");
		arc = AUTH_DENIED;
		goto out;
	}
	if (throttled(in, d, now)) {
		arc = AUTH_DENIED;
		goto out;
	}
	if (kind == KIND_API_KEY)
		arc = by_api_key(a, &key, d, now);
	else if (kind == KIND_AUTHJS)
		arc = by_authjs(a, in, d, now);
	else if (kind == KIND_AUTHJS_COOKIE)
		arc = by_authjs_cookie(a, sess.p, sess.n, d, now);
	else
		arc = by_session(a, sess.p, sess.n, kind == KIND_SESSION_COOKIE ?
		    &in->cookie : NULL, d, now);
out:
	/* only what was written: a full wipe of both buffers per request
	 * cost more than the HMAC */
	OPENSSL_cleanse(cookie, cwipe);
	OPENSSL_cleanse(btok, bwipe);
	return arc;
}

/*
 * The permissions of an authenticated identity, read only when a rule
 * asks for one (a statement per such request; none otherwise): a key's
 * from its permissions JSON, a session's from the rows of its highest
 * role. Within a decision without a snapshot, the final unchanged-check
 * covers this read like the others. 0, or -1 on a store error.
 */
static int
load_perms(struct authz *a, struct authz_identity *id)
{
	id->perms[0] = '\0';
	if (strcmp(id->method, "api_key") == 0)
		return store_permissions(a->store, 1, id->api_key_id, id->perms,
		    sizeof(id->perms));
	if (id->roles[0] == '\0')
		return 0;
	return store_permissions(a->store, 0, policy_role_name(
	    policy_role_highest(id->roles, strlen(id->roles))), id->perms,
	    sizeof(id->perms));
}

/* Turns a 401 into a redirect when the rule or the client asks for it. */
static void
maybe_redirect(const struct authz_input *in, enum policy_on_deny on_deny,
    const char *target, struct authz_decision *d)
{
	char next[3 * REQ_MAX_PATH + 1];
	size_t nn;
	int nav;

	if (d->status != 401 || on_deny == ON_DENY_JSON)
		return;
	nav = req_is_navigation(in->accept.p, in->accept.n,
	    in->requested_with.p, in->requested_with.n, in->fetch_mode.p,
	    in->fetch_mode.n);
	if (on_deny == ON_DENY_AUTO && !nav)
		return;
	nn = req_query_encode(d->path, strlen(d->path), next, sizeof(next));
	/* Invariant: the Location header fits every server's buffer. A path
	 * too long to come back to is dropped, not the redirect. */
	if (nn == 0 || nn > AUTHZ_MAX_NEXT)
		nn = (size_t)snprintf(d->location, sizeof(d->location), "%s",
		    target);
	else
		nn = (size_t)snprintf(d->location, sizeof(d->location),
		    "%s?next=%s", target, next);
	if (nn >= sizeof(d->location)) {
		d->location[0] = '\0';
		return;
	}
	d->status = 302;
}

const char *
authz_route(const struct policy_rule *rules, size_t nrules, int match_flags,
    const struct slice *method, const struct slice *uri,
    const struct slice *overrides, char *method_out, char *path_out,
    size_t *path_n, const struct policy_rule **rule)
{
	enum req_path_rc prc;
	size_t i;

	*rule = NULL;
	*path_n = 0;
	method_out[0] = '\0';
	path_out[0] = '\0';
	if (!method_ok(method))
		return "bad_method";
	memcpy(method_out, method->p, method->n);
	method_out[method->n] = '\0';
	/* Invariant: the method a backend routes by is the method the rules
	 * saw; an override header naming another one is refused. */
	for (i = 0; overrides != NULL && i < AUTHZ_OVERRIDES; i++)
		if (overrides[i].p != NULL && !util_ieq(overrides[i].p,
		    overrides[i].n, method->p, method->n))
			return "method_override";
	prc = req_path_canon(uri->p, uri->n, path_out, REQ_MAX_PATH + 1,
	    path_n);
	if (prc != REQ_PATH_OK)
		return req_path_rc_name(prc);
	*rule = policy_match(rules, nrules, method_out, method->n, path_out,
	    *path_n, match_flags);
	return NULL;
}

/* A decision's starting state: a 503 deny, nothing matched, no identity.
 * The large buffers (path, location) are set before they are read. */
static void
decision_reset(struct authz_decision *d)
{
	deny(d, 503, "internal", "Service Unavailable - internal error");
	d->rule_id = -1;
	d->rule_priority = 0;
	d->rule_path[0] = '\0';
	d->need_perms[0] = '\0';
	d->access = ACCESS_AUTHENTICATED;
	d->method[0] = '\0';
	d->path[0] = '\0';
	d->location[0] = '\0';
	d->retry_after = 0;
	memset(&d->id, 0, sizeof(d->id));
	memset(&d->key_limits, 0, sizeof(d->key_limits));
}

/*
 * One attempt at the decision. snapshot 1: inside a read snapshot (the
 * rules reloaded if the data changed). snapshot 0: from the cached rules,
 * the store known unchanged, each lookup its own statement. Returns 1
 * when an attempt without a snapshot saw a commit land meanwhile: then
 * the caller decides again with one.
 */
static int
decide(struct authz *a, const struct authz_input *in,
    struct authz_decision *d, int snapshot)
{
	const struct policy_rule *rule;
	enum policy_access access = ACCESS_AUTHENTICATED;
	enum policy_on_deny on_deny = ON_DENY_AUTO;
	const char *redirect_to = POLICY_DEFAULT_REDIRECT;
	enum policy_role need = ROLE_NONE, have;
	const char *refused;
	size_t pn;
	int changed, again = 0;

	decision_reset(d);
	if (snapshot) {
		if (store_read_begin(a->store, &changed) != 0) {
			const char *msg;

			if (store_last_error(a->store, &msg) ==
			    STORE_ERR_SCHEMA)
				deny(d, 503, "store_schema", "Service"
				    " Unavailable - store schema not"
				    " understood");
			else
				deny(d, 503, "store_unavailable", "Service"
				    " Unavailable - store unavailable");
			return 0;
		}
		if ((changed || !a->rules_ok) && reload_rules(a) != 0) {
			deny(d, 503, "rules_invalid",
			    "Service Unavailable - rules unavailable");
			goto out;
		}
	}
	if ((refused = authz_route(a->rules, a->nrules, a->match_flags,
	    &in->method, &in->uri, in->overrides, d->method, d->path, &pn,
	    &rule)) != NULL) {
		deny(d, 400, refused, strcmp(refused, "bad_method") == 0 ?
		    "Bad Request - invalid method" : strcmp(refused,
		    "method_override") == 0 ? "Bad Request - method override"
		    " not allowed" : "Bad Request - invalid path");
		goto out;
	}
	if (rule != NULL) {
		access = rule->access;
		need = rule->min_role;
		on_deny = rule->on_deny;
		redirect_to = rule->redirect_to;
		d->rule_id = rule->id;
		d->rule_priority = rule->priority;
		memcpy(d->rule_path, rule->path, sizeof(d->rule_path));
		memcpy(d->need_perms, rule->perms, sizeof(d->need_perms));
	}
	d->access = access;

	if (access == ACCESS_PUBLIC) {
		d->status = 200;
		d->reason = "public";
		d->message[0] = '\0';
		goto out;
	}
	if (access == ACCESS_DENY) {
		deny(d, 403, "rule_deny", "Forbidden - access denied");
		goto out;
	}

	if (authenticate(a, in, access, d, util_now_ms()) != AUTH_OK) {
		memset(&d->id, 0, sizeof(d->id));
		maybe_redirect(in, on_deny, redirect_to, d);
		goto check;
	}
	if (!identity_ok(&d->id)) {
		memset(&d->id, 0, sizeof(d->id));
		deny(d, 403, "identity_invalid", "Forbidden - invalid identity");
		goto check;
	}
	have = policy_role_highest(d->id.roles, strlen(d->id.roles));
	memcpy(d->id.role, policy_role_name(have),
	    strlen(policy_role_name(have)) + 1);
	if (need != ROLE_NONE && have < need) {
		char msg[64];

		snprintf(msg, sizeof(msg), "Forbidden - %s role required",
		    policy_role_name(need));
		deny(d, 403, "role_required", msg);
		goto check;
	}
	if (rule != NULL && rule->perms[0] != '\0') {
		char miss[POLICY_MAX_PERMS + 1];

		if (load_perms(a, &d->id) != 0) {
			deny(d, 503, "store_error", "Service Unavailable -"
			    " store error");
			goto check;
		}
		if (!policy_perms_granted(rule->perms, d->id.perms, miss,
		    sizeof(miss))) {
			deny(d, 403, "permission_required", "");
			/* an item is [A-Za-z0-9_.-:]: nothing to escape */
			snprintf(d->message, sizeof(d->message), "Forbidden -"
			    " missing permission %.96s", miss);
			goto check;
		}
	}
	d->status = 200;
	d->reason = "allow";
	d->message[0] = '\0';
check:
	/* Invariant: a decision read outside a snapshot stands only if no
	 * commit landed while it read: then the rules and what the lookups
	 * saw are one state of the database. */
	if (!snapshot && !store_unchanged(a->store))
		again = 1;
out:
	if (snapshot)
		store_read_end(a->store);
	return again;
}

const char *
authz_health(struct authz *a)
{
	const char *msg, *why = NULL;
	int changed;

	if (store_read_begin(a->store, &changed) != 0)
		return store_last_error(a->store, &msg) == STORE_ERR_SCHEMA ?
		    "store_schema" : "store_unavailable";
	if ((changed || !a->rules_ok) && reload_rules(a) != 0)
		why = "rules_invalid";
	store_read_end(a->store);
	return why;
}

void
authz_decide(struct authz *a, const struct authz_input *in,
    struct authz_decision *d)
{
	/* The store unchanged since the rules were read: no snapshot (no
	 * transaction, no lock) for a public path, one statement for a
	 * credential. Otherwise, or if a commit raced, one snapshot. */
	if (!a->rules_ok || !store_unchanged(a->store) ||
	    decide(a, in, d, 0) != 0)
		(void)decide(a, in, d, 1);
	after(a, in, d);
}
