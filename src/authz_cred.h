/*
 * authz_cred.h - private to the authz module (authz.c, authz_cred.c):
 * how authz_decide turns the credential it picked into an identity.
 * Each authz_by_* fills d->id and returns AUTH_OK, or leaves the deny in
 * d and returns AUTH_DENIED.
 */
#ifndef AUTHGATE_AUTHZ_CRED_H
#define AUTHGATE_AUTHZ_CRED_H

#include <stddef.h>
#include <stdint.h>

#include "authz.h"

/* Outcome of one credential check: authenticated, or d holds the deny. */
enum auth_rc {
	AUTH_DENIED = 0,
	AUTH_OK
};

/* Leaves a deny in d: its status, reason code and message. */
void	authz_deny(struct authz_decision *d, int status, const char *reason,
	    const char *message);

/* Keys the identity cache with a random key of this process. 0, or -1. */
int	authz_cache_init(struct authz *a);

/* Whether the Cookie header may hold an Auth.js session cookie. */
int	authz_has_authjs_cookie(const struct slice *c);

/* better-auth's session token v (n bytes; signed unless no secret is
 * set), from the Cookie header hdr (NULL: a Bearer token), also through
 * the trusted cookie cache. */
enum auth_rc authz_by_session(struct authz *a, const char *v, size_t n,
	    const struct slice *hdr, struct authz_decision *d, int64_t now);

/* An API key, raw; its limits are left in d->key_limits. */
enum auth_rc authz_by_api_key(struct authz *a, const struct slice *key,
	    struct authz_decision *d, int64_t now);

/* The Auth.js / NextAuth cookies when JWT secrets are configured. */
enum auth_rc authz_by_authjs(struct authz *a, const struct authz_input *in,
	    struct authz_decision *d, int64_t now);

/* An Auth.js / NextAuth cookie value when no JWT secret is configured. */
enum auth_rc authz_by_authjs_cookie(struct authz *a, const char *v,
	    size_t n, struct authz_decision *d, int64_t now);

#endif
