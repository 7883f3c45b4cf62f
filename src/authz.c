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

#include "authz.h"
#include "credential.h"
#include "log.h"

enum cred_kind {
	KIND_NONE = 0,
	KIND_SESSION_COOKIE,
	KIND_SESSION_BEARER,
	KIND_API_KEY
};

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
	if (util_copy(a->cookie_prefix, sizeof(a->cookie_prefix), prefix,
	    strlen(prefix)) != 0)
		return -1;
	return 0;
}

void
authz_fini(struct authz *a)
{
	OPENSSL_cleanse(a->secret, sizeof(a->secret));
	a->secret_n = 0;
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
 * Sets the organization and roles of a user (session, or a user's key) in
 * org_id, from the user's own member row only: not a member, no
 * organization and no role. narrow: a key's metadata role, or NULL.
 * Invariant: narrow can lower the role, never raise it; key metadata is
 * chosen by clients in better-auth. Returns 0, or -1 on store error.
 */
static int
set_member_org(struct authz *a, struct authz_identity *id, const char *org_id,
    const char *user_id, const char *narrow, int *oversize)
{
	struct store_membership m;
	enum policy_role real, want;
	int rc;

	if (org_id[0] == '\0')
		return 0;
	rc = store_membership_find(a->store, org_id, user_id, &m);
	if (rc < 0)
		return -1;
	if (rc == 0 || !m.member)
		return 0;	/* no such org, or not theirs: ignored */
	if (m.oversize)
		*oversize = 1;
	memcpy(id->org_id, m.org_id, sizeof(id->org_id));
	memcpy(id->org_slug, m.slug, sizeof(id->org_slug));
	memcpy(id->roles, m.roles, sizeof(id->roles));
	if (narrow != NULL && narrow[0] != '\0') {
		real = policy_role_highest(m.roles, strlen(m.roles));
		want = policy_role_highest(narrow, strlen(narrow));
		if (want < real && set_roles(id, narrow) != 0)
			*oversize = 1;
	}
	return 0;
}

/*
 * An organization's own key: the organization is its owner, whatever the
 * metadata says, and the role is the one an admin granted it in
 * authgate_key_role (none without a grant). Returns 0, or -1 on error.
 */
static int
set_key_org(struct authz *a, struct authz_identity *id, const char *org_id,
    const char *key_id, int *oversize)
{
	struct store_membership m;
	char role[STORE_MAX_ROLES + 1];
	int rc;

	if ((rc = store_membership_find(a->store, org_id, "", &m)) < 0)
		return -1;
	if (rc == 0)
		return 0;	/* the organization is gone */
	if (m.oversize)
		*oversize = 1;
	memcpy(id->org_id, m.org_id, sizeof(id->org_id));
	memcpy(id->org_slug, m.slug, sizeof(id->org_slug));
	if ((rc = store_key_role_find(a->store, key_id, role,
	    sizeof(role))) < 0)
		return -1;
	if (rc == 1 && set_roles(id, role) != 0)
		*oversize = 1;
	return 0;
}

/* Outcome of one credential check: authenticated, or d holds the deny. */
enum auth_rc {
	AUTH_DENIED = 0,
	AUTH_OK
};

static enum auth_rc
by_session(struct authz *a, const char *v, size_t n, struct authz_decision *d,
    int64_t now)
{
	struct store_session s;
	size_t token_n = n;
	int rc, oversize = 0;

	if (a->secret_n > 0) {
		switch (cred_session_verify(v, n, a->secret, a->secret_n,
		    &token_n)) {
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
	rc = store_session_find(a->store, v, token_n, &s);
	if (rc < 0) {
		deny(d, 503, "store_error", "Service Unavailable - store error");
		return AUTH_DENIED;
	}
	if (rc == 0) {
		deny(d, 401, "session_unknown", "Unauthorized - invalid session");
		return AUTH_DENIED;
	}
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
	if (set_member_org(a, &d->id, s.org_id, s.user.id, NULL,
	    &oversize) != 0) {
		deny(d, 503, "store_error", "Service Unavailable - store error");
		return AUTH_DENIED;
	}
	if (s.oversize || s.user.oversize || oversize) {
		deny(d, 403, "identity_invalid", "Forbidden - invalid identity");
		return AUTH_DENIED;
	}
	return AUTH_OK;
}

static enum auth_rc
by_api_key(struct authz *a, const struct slice *key,
    struct authz_decision *d, int64_t now)
{
	char b64[CRED_HASH_B64URL_LEN + 1], hex[CRED_HASH_HEX_LEN + 1];
	struct store_apikey k;
	struct store_user u;
	int rc, oversize = 0, is_user = 0, is_org = 0;

	if (cred_apikey_hash(key->p, key->n, b64, hex) != 0) {
		deny(d, 503, "hash_error", "Service Unavailable - internal error");
		return AUTH_DENIED;
	}
	rc = store_apikey_find(a->store, b64, hex, &k);
	OPENSSL_cleanse(b64, sizeof(b64));
	OPENSSL_cleanse(hex, sizeof(hex));
	if (rc < 0) {
		deny(d, 503, "store_error", "Service Unavailable - store error");
		return AUTH_DENIED;
	}
	if (rc == 0) {
		deny(d, 401, "api_key_unknown", "Unauthorized - invalid API key");
		return AUTH_DENIED;
	}
	if (!k.enabled) {
		deny(d, 401, "api_key_disabled", "Unauthorized - API key disabled");
		return AUTH_DENIED;
	}
	if (store_time_past(&k.expires, now)) {
		deny(d, 401, "api_key_expired", "Unauthorized - API key expired");
		return AUTH_DENIED;
	}
	if (k.owner[0] != '\0') {
		if ((rc = store_user_find(a->store, k.owner, &u)) == 1)
			is_user = 1;
		else if (rc == 0 && (rc = store_org_exists(a->store,
		    k.owner)) == 1)
			is_org = 1;
		if (rc < 0) {
			deny(d, 503, "store_error",
			    "Service Unavailable - store error");
			return AUTH_DENIED;
		}
	}
	if (!is_user && !is_org) {
		deny(d, 401, "api_key_orphan", "Unauthorized - invalid API key");
		return AUTH_DENIED;
	}
	if (is_user) {
		if (banned(&u, now)) {
			deny(d, 403, "user_banned", "Forbidden - banned");
			return AUTH_DENIED;
		}
		if (u.oversize)
			oversize = 1;
		set_user(&d->id, &u);
		/* The metadata may name an organization of the owner's and a
		 * lower role there; nothing the owner does not hold. */
		rc = set_member_org(a, &d->id, k.meta_org, u.id, k.meta_role,
		    &oversize);
	} else {
		memcpy(d->id.remote_user, k.id, sizeof(d->id.remote_user));
		rc = set_key_org(a, &d->id, k.owner, k.id, &oversize);
	}
	if (rc != 0) {
		deny(d, 503, "store_error", "Service Unavailable - store error");
		return AUTH_DENIED;
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
	size_t cn = 0;
	int rc;

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
				deny(d, 401, "authorization_malformed",
				    "Unauthorized - malformed Authorization"
				    " header");
				return AUTH_DENIED;
			}
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
		switch (req_session_cookie_find(in->cookie.p, in->cookie.n,
		    a->cookie_prefix, strlen(a->cookie_prefix), cookie,
		    sizeof(cookie), &cn)) {
		case REQ_COOKIE_FOUND:
			sess.p = cookie;
			sess.n = cn;
			break;
		case REQ_COOKIE_ABSENT:
			break;
		case REQ_COOKIE_DUPLICATE:
			deny(d, 401, "cookie_duplicate",
			    "Unauthorized - conflicting session cookies");
			return AUTH_DENIED;
		case REQ_COOKIE_TOO_LONG:
			deny(d, 401, "cookie_too_long",
			    "Unauthorized - invalid session");
			return AUTH_DENIED;
		default:
			deny(d, 401, "cookie_malformed",
			    "Unauthorized - invalid session");
			return AUTH_DENIED;
		}
		if (sess.p != NULL)
			kind = KIND_SESSION_COOKIE;
	} else {
		kind = key.p != NULL ? KIND_API_KEY : KIND_SESSION_BEARER;
	}

	if (kind == KIND_NONE) {
		deny(d, 401, "no_credentials", "Unauthorized - sign in required");
		return AUTH_DENIED;
	}
	if (access == ACCESS_SESSION && kind == KIND_API_KEY) {
		deny(d, 401, "session_required",
		    "Unauthorized - session required");
		return AUTH_DENIED;
	}
	if (access == ACCESS_API_KEY && kind != KIND_API_KEY) {
		deny(d, 401, "api_key_required",
		    "Unauthorized - API key required");
		return AUTH_DENIED;
	}
	if (kind == KIND_API_KEY)
		arc = by_api_key(a, &key, d, now);
	else
		arc = by_session(a, sess.p, sess.n, d, now);
	OPENSSL_cleanse(cookie, sizeof(cookie));
	OPENSSL_cleanse(btok, sizeof(btok));
	return arc;
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

void
authz_decide(struct authz *a, const struct authz_input *in,
    struct authz_decision *d)
{
	const struct policy_rule *rule;
	enum policy_access access = ACCESS_AUTHENTICATED;
	enum policy_on_deny on_deny = ON_DENY_AUTO;
	const char *redirect_to = POLICY_DEFAULT_REDIRECT;
	enum policy_role need = ROLE_NONE, have;
	const char *refused;
	size_t pn;
	int changed;
	int64_t now;

	memset(d, 0, sizeof(*d));
	deny(d, 503, "internal", "Service Unavailable - internal error");
	d->rule_id = -1;
	d->access = ACCESS_AUTHENTICATED;

	if (store_read_begin(a->store, &changed) != 0) {
		const char *msg;

		if (store_last_error(a->store, &msg) == STORE_ERR_SCHEMA)
			deny(d, 503, "store_schema", "Service Unavailable -"
			    " store schema not understood");
		else
			deny(d, 503, "store_unavailable",
			    "Service Unavailable - store unavailable");
		return;
	}
	if ((changed || !a->rules_ok) && reload_rules(a) != 0) {
		deny(d, 503, "rules_invalid",
		    "Service Unavailable - rules unavailable");
		goto out;
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

	now = util_now_ms();
	deny(d, 503, "internal", "Service Unavailable - internal error");
	if (authenticate(a, in, access, d, now) != AUTH_OK) {
		memset(&d->id, 0, sizeof(d->id));
		maybe_redirect(in, on_deny, redirect_to, d);
		goto out;
	}
	if (!identity_ok(&d->id)) {
		memset(&d->id, 0, sizeof(d->id));
		deny(d, 403, "identity_invalid", "Forbidden - invalid identity");
		goto out;
	}
	have = policy_role_highest(d->id.roles, strlen(d->id.roles));
	memcpy(d->id.role, policy_role_name(have),
	    strlen(policy_role_name(have)) + 1);
	if (need != ROLE_NONE && have < need) {
		char msg[64];

		snprintf(msg, sizeof(msg), "Forbidden - %s role required",
		    policy_role_name(need));
		deny(d, 403, "role_required", msg);
		goto out;
	}
	d->status = 200;
	d->reason = "allow";
	d->message[0] = '\0';
out:
	store_read_end(a->store);
}
