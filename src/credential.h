/*
 * credential.h - the cryptography of credentials: better-auth's signed
 * session cookie and the stored form of API keys.
 *
 * Pure functions over (pointer, length); OpenSSL is used here (and in the
 * webhook) only. Secrets passed in are never copied, logged or kept.
 */
#ifndef AUTHGATE_CREDENTIAL_H
#define AUTHGATE_CREDENTIAL_H

#include <stddef.h>

#include "util.h"

#define CRED_MAX_SECRET		1024	/* BETTER_AUTH_SECRET bytes */
#define CRED_SIG_B64_LEN	44	/* padded base64 of an HMAC-SHA256 */
#define CRED_HASH_B64URL_LEN	43	/* unpadded base64url of a SHA-256 */
#define CRED_HASH_HEX_LEN	64

enum cred_rc {
	CRED_OK = 0,
	CRED_MALFORMED,		/* not TOKEN.SIG with a 44-char base64 SIG */
	CRED_BAD_SIGNATURE	/* well formed, but the MAC does not match */
};

/*
 * HMAC-SHA256 under one key, prepared once: the key's inner and outer
 * SHA-256 states, so a message costs two digests of its own length and
 * no allocation. Holds secret-derived state: free it with cred_hmac_free.
 */
struct cred_hmac {
	void	*inner;		/* EVP_MD_CTX, keyed with K ^ ipad */
	void	*outer;		/* EVP_MD_CTX, keyed with K ^ opad */
	void	*work;		/* EVP_MD_CTX, scratch */
};

/* Prepares h for secret (n bytes, any length). Returns 0, or -1. */
int	cred_hmac_init(struct cred_hmac *h, const unsigned char *secret,
	    size_t n) UTIL_MUST_CHECK;

/* Frees and wipes h; a zeroed h is fine. */
void	cred_hmac_free(struct cred_hmac *h);

/* HMAC-SHA256 of msg (n bytes) under h into mac. Returns 0, or -1. */
int	cred_hmac_sum(struct cred_hmac *h, const void *msg, size_t n,
	    unsigned char mac[32]) UTIL_MUST_CHECK;

/*
 * cred_session_verify with a prepared key: the decision's hot path.
 */
enum cred_rc cred_session_check(const char *v, size_t n,
	    struct cred_hmac *h, size_t *token_n) UTIL_MUST_CHECK;

/*
 * Verifies a decoded better-auth cookie value "TOKEN.SIG": SIG must be
 * the padded standard base64 of HMAC-SHA256(key = secret bytes, TOKEN),
 * compared in constant time. On CRED_OK *token_n is the length of TOKEN
 * (the prefix of v up to the last dot).
 */
enum cred_rc cred_session_verify(const char *v, size_t n,
	    const unsigned char *secret, size_t secret_n, size_t *token_n) UTIL_MUST_CHECK;

/*
 * Signs TOKEN the way better-auth does: writes "TOKEN.SIG" into out.
 * Returns the length, or 0 when out is too small. Used by the CLI and
 * tests to mint cookies for a known token.
 */
size_t	cred_session_sign(const char *token, size_t n,
	    const unsigned char *secret, size_t secret_n, char *out,
	    size_t outsz) UTIL_MUST_CHECK;

/*
 * The two stored forms of an API key: unpadded base64url of SHA-256(key)
 * (better-auth) and lowercase hex of the same digest (Optare's example).
 * b64url needs CRED_HASH_B64URL_LEN + 1 bytes, hex CRED_HASH_HEX_LEN + 1.
 * Returns 0, or -1 if hashing failed.
 */
int	cred_apikey_hash(const char *key, size_t n, char *b64url, char *hex) UTIL_MUST_CHECK;

#define CRED_KEY_RANDOM_BYTES	32	/* 256 bits: beyond any guessing */
#define CRED_MAX_KEY_PREFIX	32	/* "ag_", "acme_live_": short labels */
#define CRED_KEY_MAX		(CRED_MAX_KEY_PREFIX + 43)	/* + base64url(32) */
#define CRED_ID_LEN		32	/* better-auth's generateId length */

/*
 * A new API key: prefix (may be "", at most CRED_MAX_KEY_PREFIX of
 * [A-Za-z0-9_-]) followed by the unpadded base64url of
 * CRED_KEY_RANDOM_BYTES from the OS CSPRNG (OpenSSL's private DRBG,
 * seeded by getrandom). out needs CRED_KEY_MAX + 1 bytes. Returns the
 * length, or 0 (bad prefix, small buffer, no randomness). The caller
 * owns the key and wipes it with OPENSSL_cleanse.
 */
size_t	cred_apikey_generate(const char *prefix, char *out, size_t outsz) UTIL_MUST_CHECK;

/* Returns 1 if prefix is acceptable to cred_apikey_generate. */
int	cred_apikey_prefix_ok(const char *prefix);

/*
 * A random identifier of CRED_ID_LEN characters from [A-Za-z0-9], like
 * better-auth's generateId. out needs CRED_ID_LEN + 1 bytes.
 * Returns 0, or -1 when the CSPRNG fails.
 */
int	cred_random_id(char *out, size_t outsz) UTIL_MUST_CHECK;

#endif
