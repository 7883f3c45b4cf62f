/*
 * stateless.h - sessions that carry themselves: NextAuth v4 / Auth.js v5
 * JWT cookies, and better-auth's cookie cache (session_data), from the
 * Cookie header to an identity, with no session table involved.
 *
 * The keys are derived once (stateless_init, at start-up, before any
 * sandbox); a request costs a cookie scan, one or a few AES/HMAC passes
 * and a small JSON parse, and only when one of these cookies is there.
 * Organization and role are not here: the decision (authz) looks them
 * up in the membership tables.
 */
#ifndef AUTHGATE_STATELESS_H
#define AUTHGATE_STATELESS_H

#include <stddef.h>
#include <stdint.h>

#include "credential.h"
#include "jwe.h"
#include "util.h"

#define STATELESS_MAX_SECRETS	4	/* AUTH_SECRET, AUTH_SECRET_1..3 */
#define STATELESS_V5_NAMES	2	/* authjs.session-token, __Secure- */

struct stateless {
	struct jwe_key	 v4;		/* NEXTAUTH_SECRET: A256GCM, no salt */
	int		 v4_on;
	/* per cookie name: each secret's A256CBC-HS512 and A256GCM keys */
	struct jwe_key	 v5[STATELESS_V5_NAMES][2 * STATELESS_MAX_SECRETS];
	size_t		 nv5;		/* keys per name */
	int		 trust_cache;	/* AUTHGATE_TRUST_COOKIE_CACHE=1 */
	struct jwe_key	 ba_jwe;	/* better-auth's "jwe" cache key */
	int		 ba_jwe_on;
};

/* Who a stateless cookie says the request is. */
struct stateless_id {
	char	 user_id[JWE_MAX_CLAIM + 1];
	char	 email[JWE_MAX_CLAIM + 1];
	char	 name[JWE_MAX_CLAIM + 1];
	char	 session_id[JWE_MAX_CLAIM + 1];	/* jti, or the cache's session.id */
	char	 org_id[JWE_MAX_CLAIM + 1];	/* cache: activeOrganizationId */
	int64_t	 expires_ms;
};

enum stateless_rc {
	STATELESS_ABSENT = 0,	/* no such cookie: go on as without it */
	STATELESS_OK,		/* *id filled */
	STATELESS_NOT_JWT,	/* an Auth.js cookie that is no JWE: a
				 * database session token (authjsdb) */
	STATELESS_INVALID	/* present and wrong: *reason says why */
};

/*
 * Derives the keys: NextAuth v4 from nextauth (nn bytes, 0: none),
 * Auth.js v5 for both cookie names from each of the nauth secrets, and
 * the better-auth "jwe" cache key from ba_secret (bn bytes, 0: none)
 * when trust_cache. Runs jwe_self_test when any is on (known answers,
 * and OpenSSL's fetches done before any sandbox). Returns 0, or -1.
 */
int	stateless_init(struct stateless *st, const unsigned char *nextauth,
	    size_t nn, const unsigned char (*auth)[CRED_MAX_SECRET],
	    const size_t *auth_n, size_t nauth, const unsigned char *ba_secret,
	    size_t bn, int trust_cache) UTIL_MUST_CHECK;

/* Whether any Auth.js JWT can be accepted (a secret was given). */
int	stateless_authjs_on(const struct stateless *st);

/*
 * The Auth.js / NextAuth session cookie in a Cookie header (n bytes):
 * "__Secure-authjs.session-token", "authjs.session-token", then the two
 * next-auth names, each possibly in chunks. A JWE is decrypted with the
 * keys of its own name and its claims checked at now_ms (exp, nbf, 15 s
 * of tolerance). STATELESS_INVALID sets *reason to a stable code
 * ("jwt_expired", "jwt_invalid", "cookie_malformed", ...).
 */
enum stateless_rc stateless_authjs(const struct stateless *st,
	    const char *hdr, size_t n, int64_t now_ms, struct stateless_id *id,
	    const char **reason) UTIL_MUST_CHECK;

/*
 * better-auth's cookie cache, when trusted: "<prefix>.session_data" (or
 * "__Secure-"), in chunks or not, as any strategy (compact, jwt, jwe,
 * told apart by their shape), verified under mac (the prepared
 * BETTER_AUTH_SECRET) or one of its nold earlier ones (old; the "jwe"
 * strategy: the current secret only) and checked at now_ms; its
 * session.token must equal token (the verified session_token cookie's,
 * tn bytes). STATELESS_OK only then; any other answer means "look the
 * session up as usual" (*reason says why, for tests).
 */
enum stateless_rc stateless_cache(const struct stateless *st,
	    const char *hdr, size_t n, const char *prefix, const char *token,
	    size_t tn, struct cred_hmac *mac, struct cred_hmac *old,
	    size_t nold, int64_t now_ms,
	    struct stateless_id *id, const char **reason) UTIL_MUST_CHECK;

/* Wipes the keys. */
void	stateless_fini(struct stateless *st);

#endif
