/*
 * reference.h - the reference decision of `make bench`: what a
 * straightforward session or API-key check costs, for the ratio
 * authz_decide / reference.
 *
 * Independent of authgate's code: OpenSSL's one-shot HMAC and SHA-256,
 * one read-only SQLite connection, one prepared SELECT per credential
 * kind. No rules, no pragmas, no schema probing. Never a production
 * authorizer: it knows one cookie name and no route.
 */
#ifndef BENCH_REFERENCE_H
#define BENCH_REFERENCE_H

#include <stddef.h>

#define REF_MAX_SECRET	1024	/* as authgate's CRED_MAX_SECRET */
#define REF_MAX_FIELD	256	/* longest id, email or name copied out */

struct ref_identity {
	char	user_id[REF_MAX_FIELD];
	char	email[REF_MAX_FIELD];
	char	name[REF_MAX_FIELD];
	char	org_id[REF_MAX_FIELD];
	char	org_slug[REF_MAX_FIELD];
	char	role[REF_MAX_FIELD];
};

struct ref;

/*
 * Opens path read-only and prepares both statements. secret is copied.
 * Returns the context, or NULL (one line on stderr).
 */
struct ref	*ref_open(const char *path, const unsigned char *secret,
		    size_t secret_n);

/*
 * Decides a request by its Cookie header (cookie, n bytes): finds
 * better-auth.session_token, percent-decodes it, checks the HMAC-SHA256
 * signature in constant time, then one SELECT joins session, user,
 * organization and member for the active organization. Returns 200 with
 * id filled, 401 (no or bad credential, expired, banned), or 503.
 */
int	ref_session(struct ref *r, const char *cookie, size_t n,
	    struct ref_identity *id);

/*
 * Decides by a raw API key: SHA-256 to unpadded base64url, one SELECT
 * joining the key, its user and the membership of the organization in
 * its metadata. Returns 200 with id filled, 401, or 503.
 */
int	ref_apikey(struct ref *r, const char *key, size_t n,
	    struct ref_identity *id);

/* Finalizes the statements, closes the connection, wipes the secret. */
void	ref_close(struct ref *r);

#endif
