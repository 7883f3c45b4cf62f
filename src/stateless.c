/*
 * stateless.c - Auth.js / NextAuth JWT cookies and better-auth's cookie
 * cache, from the Cookie header to an identity.
 *
 * Trusts a cookie only after its tag or MAC matched under a key derived
 * from a configured secret, and its times checked. Never logs and never
 * keeps a cookie: every buffer that held one is wiped before return.
 * The key derivations follow the libraries (see docs/idp.md):
 *  - NextAuth v4: HKDF-SHA256(NEXTAUTH_SECRET, salt "", info "NextAuth.js
 *    Generated Encryption Key", 32), A256GCM;
 *  - Auth.js v5: HKDF-SHA256(AUTH_SECRET, salt = cookie name, info
 *    "Auth.js Generated Encryption Key (<cookie name>)", 64 for
 *    A256CBC-HS512, 32 for A256GCM);
 *  - better-auth "jwe" cache: HKDF-SHA256(secret, salt
 *    "better-auth-session", info "BetterAuth.js Generated Encryption
 *    Key", 64), A256CBC-HS512; "jwt": HS256 under the secret; "compact":
 *    HMAC-SHA256 under the secret (jwe.h).
 */
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "request.h"
#include "stateless.h"

#define V4_INFO		"NextAuth.js Generated Encryption Key"
#define V5_INFO		"Auth.js Generated Encryption Key (%s)"
#define BA_SALT		"better-auth-session"
#define BA_INFO		"BetterAuth.js Generated Encryption Key"

static const char *const v5_names[STATELESS_V5_NAMES] = {
	"__Secure-authjs.session-token", "authjs.session-token"
};
static const char *const v4_names[2] = {
	"__Secure-next-auth.session-token", "next-auth.session-token"
};

int
stateless_init(struct stateless *st, const unsigned char *nextauth,
    size_t nn, const unsigned char (*auth)[CRED_MAX_SECRET],
    const size_t *auth_n, size_t nauth, const unsigned char *ba_secret,
    size_t bn, int trust_cache)
{
	char info[96];
	size_t i, j;

	memset(st, 0, sizeof(*st));
	if (nauth > STATELESS_MAX_SECRETS)
		return -1;
	if (nn > 0) {
		if (jwe_key_derive(&st->v4, JWE_ENC_A256GCM, nextauth, nn, "",
		    V4_INFO) != 0)
			goto fail;
		st->v4_on = 1;
	}
	for (j = 0; j < STATELESS_V5_NAMES; j++) {
		snprintf(info, sizeof(info), V5_INFO, v5_names[j]);
		for (i = 0; i < nauth; i++)
			if (jwe_key_derive(&st->v5[j][2 * i],
			    JWE_ENC_A256CBC_HS512, auth[i], auth_n[i],
			    v5_names[j], info) != 0 ||
			    jwe_key_derive(&st->v5[j][2 * i + 1],
			    JWE_ENC_A256GCM, auth[i], auth_n[i], v5_names[j],
			    info) != 0)
				goto fail;
	}
	st->nv5 = 2 * nauth;
	st->trust_cache = trust_cache;
	if (trust_cache && bn > 0) {
		if (jwe_key_derive(&st->ba_jwe, JWE_ENC_A256CBC_HS512,
		    ba_secret, bn, BA_SALT, BA_INFO) != 0)
			goto fail;
		st->ba_jwe_on = 1;
	}
	if ((st->v4_on || st->nv5 > 0 || trust_cache) && jwe_self_test() != 0)
		goto fail;
	return 0;
fail:
	stateless_fini(st);
	return -1;
}

int
stateless_authjs_on(const struct stateless *st)
{
	return st->v4_on || st->nv5 > 0;
}

void
stateless_fini(struct stateless *st)
{
	OPENSSL_cleanse(st, sizeof(*st));
}

static size_t
dots(const char *v, size_t n)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++)
		k += v[i] == '.';
	return k;
}

static const char *
cookie_reason(enum req_cookie_rc rc)
{
	switch (rc) {
	case REQ_COOKIE_DUPLICATE:	return "cookie_duplicate";
	case REQ_COOKIE_TOO_LONG:	return "cookie_too_long";
	default:			return "cookie_malformed";
	}
}

/* Copies a checked claim into an identity field; -1 when it is longer. */
static int
put(char *dst, size_t dstsz, const char *src)
{
	return util_copy(dst, dstsz, src, strlen(src));
}

enum stateless_rc
stateless_authjs(const struct stateless *st, const char *hdr, size_t n,
    int64_t now_ms, struct stateless_id *id, const char **reason)
{
	static char tok[JWE_MAX_TOKEN + 1], plain[JWE_MAX_PLAIN + 1];
	const struct jwe_key *keys = NULL;
	struct jwe_claims c;
	enum stateless_rc rc = STATELESS_INVALID;
	enum req_cookie_rc crc = REQ_COOKIE_ABSENT;
	enum jwe_rc jrc;
	size_t i, tn = 0, pn = 0, nkeys = 0;

	memset(id, 0, sizeof(*id));
	*reason = "cookie_malformed";
	/* The __Secure- forms first (only https can set them: a plain
	 * cookie a neighbour host tossed in never outranks one), v5 before
	 * v4 in each: the order req_authjs_cookie_find uses for a database
	 * session's token, so both read the same cookie. */
	for (i = 0; i < 4 && crc == REQ_COOKIE_ABSENT; i++) {
		int v5 = i % 2 == 0;
		const char *name = v5 ? v5_names[i / 2] : v4_names[i / 2];

		crc = req_cookie_chunked(hdr, n, name, strlen(name), tok,
		    sizeof(tok), &tn);
		if (crc == REQ_COOKIE_FOUND) {
			keys = v5 ? st->v5[i / 2] : &st->v4;
			nkeys = v5 ? st->nv5 : (size_t)st->v4_on;
		}
	}
	if (crc == REQ_COOKIE_ABSENT)
		return STATELESS_ABSENT;
	if (crc != REQ_COOKIE_FOUND) {
		*reason = cookie_reason(crc);
		goto out;
	}
	if (dots(tok, tn) != 4) {
		rc = STATELESS_NOT_JWT;		/* a database session token */
		*reason = "authjs_not_jwt";
		goto out;
	}
	jrc = jwe_decrypt(tok, tn, keys, nkeys, plain, sizeof(plain), &pn);
	if (jrc == JWE_OK)
		jrc = jwe_claims_parse(plain, pn, now_ms, &c);
	switch (jrc) {
	case JWE_OK:
		break;
	case JWE_EXPIRED:
		*reason = "jwt_expired";
		goto out;
	case JWE_NOT_YET:
		*reason = "jwt_not_yet_valid";
		goto out;
	case JWE_BAD_TAG:
		*reason = "jwt_bad_tag";	/* another secret, or altered */
		goto out;
	case JWE_UNSUPPORTED:
		*reason = "jwt_unsupported";
		goto out;
	default:
		*reason = "jwt_invalid";
		goto out;
	}
	if (put(id->user_id, sizeof(id->user_id), c.sub) != 0 ||
	    put(id->email, sizeof(id->email), c.email) != 0 ||
	    put(id->name, sizeof(id->name), c.name) != 0 ||
	    put(id->session_id, sizeof(id->session_id), c.jti) != 0) {
		*reason = "jwt_invalid";
		goto out;
	}
	id->expires_ms = c.exp_ms;
	rc = STATELESS_OK;
	*reason = "jwt";
out:
	OPENSSL_cleanse(tok, tn + 1 < sizeof(tok) ? tn + 1 : sizeof(tok));
	OPENSSL_cleanse(plain, pn + 1 < sizeof(plain) ? pn + 1 :
	    sizeof(plain));
	OPENSSL_cleanse(&c, sizeof(c));
	if (rc != STATELESS_OK)
		memset(id, 0, sizeof(*id));
	return rc;
}

struct macs {
	struct cred_hmac	*cur;
	struct cred_hmac	*old;
	size_t			 nold;
};

/* jwe_mac_fn over the better-auth secret (0) and its earlier ones. */
static int
mac_i(void *ctx, size_t i, const void *msg, size_t n, unsigned char out[32])
{
	struct macs *m = ctx;

	if (i > m->nold)
		return -1;
	return cred_hmac_sum(i == 0 ? m->cur : &m->old[i - 1], msg, n, out);
}

enum stateless_rc
stateless_cache(const struct stateless *st, const char *hdr, size_t n,
    const char *prefix, const char *token, size_t tn, struct cred_hmac *mac,
    struct cred_hmac *old, size_t nold, int64_t now_ms,
    struct stateless_id *id, const char **reason)
{
	static char v[JWE_MAX_TOKEN + 1], plain[JWE_MAX_TOKEN + 1];
	char name[sizeof("__Secure-") + REQ_MAX_PREFIX + sizeof(".session_data")];
	struct macs m = { mac, old, nold };
	struct jwe_bacache bc;
	enum stateless_rc rc = STATELESS_INVALID;
	enum req_cookie_rc crc = REQ_COOKIE_ABSENT;
	enum jwe_rc jrc = JWE_MALFORMED;
	int64_t until = -1;
	size_t i, vn = 0, pn = 0, nd;

	memset(id, 0, sizeof(*id));
	memset(&bc, 0, sizeof(bc));
	*reason = "cache_off";
	if (!st->trust_cache || mac == NULL)
		return STATELESS_ABSENT;
	for (i = 0; i < 2 && crc == REQ_COOKIE_ABSENT; i++) {
		if ((size_t)snprintf(name, sizeof(name), "%s%s.session_data",
		    i == 0 ? "__Secure-" : "", prefix) >= sizeof(name))
			return STATELESS_ABSENT;
		crc = req_cookie_chunked(hdr, n, name, strlen(name), v,
		    sizeof(v), &vn);
	}
	*reason = "cache_absent";
	if (crc == REQ_COOKIE_ABSENT)
		return STATELESS_ABSENT;
	if (crc != REQ_COOKIE_FOUND) {
		*reason = cookie_reason(crc);
		goto out;
	}
	/* the strategy, from the shape: compact has no dot */
	nd = dots(v, vn);
	if (nd == 0)
		jrc = jwe_bacache_compact(v, vn, mac_i, &m, 1 + nold, plain,
		    sizeof(plain), &pn, &until);
	else if (nd == 2)
		jrc = jws_hs256_verify(v, vn, mac_i, &m, 1 + nold, plain,
		    sizeof(plain), &pn);
	else if (nd == 4 && st->ba_jwe_on)
		jrc = jwe_decrypt(v, vn, &st->ba_jwe, 1, plain, sizeof(plain),
		    &pn);
	if (jrc == JWE_OK)
		jrc = jwe_bacache_parse(plain, pn, until, now_ms, &bc);
	if (jrc != JWE_OK) {
		*reason = jrc == JWE_EXPIRED ? "cache_expired" :
		    jrc == JWE_BAD_TAG ? "cache_bad_signature" :
		    "cache_invalid";
		goto out;
	}
	/* Invariant: the cache speaks for the session cookie it was set
	 * with, never for another one sent beside it. */
	if (strlen(bc.token) != tn || CRYPTO_memcmp(bc.token, token, tn) != 0) {
		*reason = "cache_other_session";
		goto out;
	}
	if (put(id->user_id, sizeof(id->user_id), bc.user_id) != 0 ||
	    put(id->email, sizeof(id->email), bc.email) != 0 ||
	    put(id->name, sizeof(id->name), bc.name) != 0 ||
	    put(id->session_id, sizeof(id->session_id), bc.session_id) != 0 ||
	    put(id->org_id, sizeof(id->org_id), bc.org_id) != 0) {
		*reason = "cache_invalid";
		goto out;
	}
	id->expires_ms = bc.expires_ms;
	rc = STATELESS_OK;
	*reason = "cache";
out:
	OPENSSL_cleanse(v, vn + 1 < sizeof(v) ? vn + 1 : sizeof(v));
	OPENSSL_cleanse(plain, pn + 1 < sizeof(plain) ? pn + 1 :
	    sizeof(plain));
	OPENSSL_cleanse(&bc, sizeof(bc));
	if (rc != STATELESS_OK)
		memset(id, 0, sizeof(*id));
	return rc;
}
