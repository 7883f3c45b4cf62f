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
#include "authz_cred.h"
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
	return authz_cache_init(a);
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
	authz_deny(d, 429, reason, message);
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
	int64_t now, retry;

	/* the clock is read only here: an allow without limits costs none */
	if (d->status == 200 && strcmp(d->id.method, "api_key") == 0 &&
	    usage_limited(&d->key_limits)) {
		now = util_now_ms();
		switch (usage_key_use(d->id.api_key_id, &d->key_limits, now,
		    a->count_uses, &retry)) {
		case USAGE_OK:
			return;
		case USAGE_EXHAUSTED:
			authz_deny(d, 401, "api_key_exhausted",
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
			authz_deny(d, 503, "usage_unavailable", "Service Unavailable"
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
	    usage_client_failed(in->client.p, in->client.n,
	    (now = util_now_ms()))) {
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
		authz_deny(d, 401, "authorization_malformed",
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
				authz_deny(d, 401, "authorization_malformed",
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
			authz_deny(d, 401, "api_key_malformed",
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
		    authz_has_authjs_cookie(&in->cookie)) {
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
			authz_deny(d, 401, "cookie_duplicate",
			    "Unauthorized - conflicting session cookies");
			arc = AUTH_DENIED;
			cwipe = sizeof(cookie);
			goto out;
		case REQ_COOKIE_TOO_LONG:
			authz_deny(d, 401, "cookie_too_long",
			    "Unauthorized - invalid session");
			arc = AUTH_DENIED;
			cwipe = sizeof(cookie);
			goto out;
		default:
			authz_deny(d, 401, "cookie_malformed",
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
		authz_deny(d, 401, "no_credentials", "Unauthorized - sign in required");
		arc = AUTH_DENIED;
		goto out;
	}
	if (access == ACCESS_SESSION && kind == KIND_API_KEY) {
		authz_deny(d, 401, "session_required",
		    "Unauthorized - session required");
		arc = AUTH_DENIED;
		goto out;
	}
	if (access == ACCESS_API_KEY && kind != KIND_API_KEY) {
		authz_deny(d, 401, "api_key_required",
		    "Unauthorized - API key required");
		arc = AUTH_DENIED;
		goto out;
	}
	if (throttled(in, d, now)) {
		arc = AUTH_DENIED;
		goto out;
	}
	if (kind == KIND_API_KEY)
		arc = authz_by_api_key(a, &key, d, now);
	else if (kind == KIND_AUTHJS)
		arc = authz_by_authjs(a, in, d, now);
	else if (kind == KIND_AUTHJS_COOKIE)
		arc = authz_by_authjs_cookie(a, sess.p, sess.n, d, now);
	else
		arc = authz_by_session(a, sess.p, sess.n, kind == KIND_SESSION_COOKIE ?
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
	authz_deny(d, 503, "internal", "Service Unavailable - internal error");
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
				authz_deny(d, 503, "store_schema", "Service"
				    " Unavailable - store schema not"
				    " understood");
			else
				authz_deny(d, 503, "store_unavailable", "Service"
				    " Unavailable - store unavailable");
			return 0;
		}
		if ((changed || !a->rules_ok) && reload_rules(a) != 0) {
			authz_deny(d, 503, "rules_invalid",
			    "Service Unavailable - rules unavailable");
			goto out;
		}
	}
	if ((refused = authz_route(a->rules, a->nrules, a->match_flags,
	    &in->method, &in->uri, in->overrides, d->method, d->path, &pn,
	    &rule)) != NULL) {
		authz_deny(d, 400, refused, strcmp(refused, "bad_method") == 0 ?
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
		authz_deny(d, 403, "rule_deny", "Forbidden - access denied");
		goto out;
	}

	if (authenticate(a, in, access, d, util_now_ms()) != AUTH_OK) {
		memset(&d->id, 0, sizeof(d->id));
		maybe_redirect(in, on_deny, redirect_to, d);
		goto check;
	}
	if (!identity_ok(&d->id)) {
		memset(&d->id, 0, sizeof(d->id));
		authz_deny(d, 403, "identity_invalid", "Forbidden - invalid identity");
		goto check;
	}
	have = policy_role_highest(d->id.roles, strlen(d->id.roles));
	memcpy(d->id.role, policy_role_name(have),
	    strlen(policy_role_name(have)) + 1);
	if (need != ROLE_NONE && have < need) {
		char msg[64];

		snprintf(msg, sizeof(msg), "Forbidden - %s role required",
		    policy_role_name(need));
		authz_deny(d, 403, "role_required", msg);
		goto check;
	}
	if (rule != NULL && rule->perms[0] != '\0') {
		char miss[POLICY_MAX_PERMS + 1];

		if (load_perms(a, &d->id) != 0) {
			authz_deny(d, 503, "store_error", "Service Unavailable -"
			    " store error");
			goto check;
		}
		if (!policy_perms_granted(rule->perms, d->id.perms, miss,
		    sizeof(miss))) {
			authz_deny(d, 403, "permission_required", "");
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
