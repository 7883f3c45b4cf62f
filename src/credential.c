/*
 * credential.c - better-auth cookie signatures and API-key hashes.
 *
 * Trusts nothing about its input beyond the explicit lengths. Every MAC
 * comparison is CRYPTO_memcmp over fixed 32-byte digests, and every
 * digest that could help an attacker is wiped before return.
 */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "credential.h"
#include "util.h"

#define HMAC_BLOCK	64	/* SHA-256's block */

int
cred_hmac_init(struct cred_hmac *h, const unsigned char *secret, size_t n)
{
	unsigned char k[HMAC_BLOCK], pad[HMAC_BLOCK];
	EVP_MD_CTX *c[3] = { NULL, NULL, NULL };
	unsigned int kn = 0;
	int i, ok = 0;

	memset(h, 0, sizeof(*h));
	memset(k, 0, sizeof(k));
	/* HMAC: a key longer than a block is hashed first */
	if (n > HMAC_BLOCK) {
		if (EVP_Digest(secret, n, k, &kn, EVP_sha256(), NULL) != 1)
			goto out;
	} else if (n > 0) {
		memcpy(k, secret, n);
	}
	for (i = 0; i < 3; i++)
		if ((c[i] = EVP_MD_CTX_new()) == NULL)
			goto out;
	for (i = 0; i < HMAC_BLOCK; i++)
		pad[i] = k[i] ^ 0x36;
	if (EVP_DigestInit_ex(c[0], EVP_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(c[0], pad, sizeof(pad)) != 1)
		goto out;
	for (i = 0; i < HMAC_BLOCK; i++)
		pad[i] = k[i] ^ 0x5c;
	if (EVP_DigestInit_ex(c[1], EVP_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(c[1], pad, sizeof(pad)) != 1 ||
	    EVP_DigestInit_ex(c[2], EVP_sha256(), NULL) != 1)
		goto out;
	h->inner = c[0];
	h->outer = c[1];
	h->work = c[2];
	ok = 1;
out:
	OPENSSL_cleanse(k, sizeof(k));
	OPENSSL_cleanse(pad, sizeof(pad));
	if (!ok)
		for (i = 0; i < 3; i++)
			EVP_MD_CTX_free(c[i]);
	return ok ? 0 : -1;
}

void
cred_hmac_free(struct cred_hmac *h)
{
	/* EVP_MD_CTX_free cleanses the digest state it frees */
	EVP_MD_CTX_free(h->inner);
	EVP_MD_CTX_free(h->outer);
	EVP_MD_CTX_free(h->work);
	memset(h, 0, sizeof(*h));
}

int
cred_hmac_sum(struct cred_hmac *h, const void *msg, size_t n,
    unsigned char mac[32])
{
	unsigned char in[32];
	unsigned int len = 0;
	int ok;

	ok = h->work != NULL &&
	    EVP_MD_CTX_copy_ex(h->work, h->inner) == 1 &&
	    EVP_DigestUpdate(h->work, msg, n) == 1 &&
	    EVP_DigestFinal_ex(h->work, in, &len) == 1 && len == 32 &&
	    EVP_MD_CTX_copy_ex(h->work, h->outer) == 1 &&
	    EVP_DigestUpdate(h->work, in, sizeof(in)) == 1 &&
	    EVP_DigestFinal_ex(h->work, mac, &len) == 1 && len == 32;
	OPENSSL_cleanse(in, sizeof(in));
	return ok ? 0 : -1;
}

enum cred_rc
cred_session_check(const char *v, size_t n, struct cred_hmac *h,
    size_t *token_n)
{
	unsigned char want[32], got[33];
	enum cred_rc rc = CRED_MALFORMED;
	size_t dot;

	*token_n = 0;
	for (dot = n; dot > 0 && v[dot - 1] != '.'; dot--)
		;
	if (dot < 2 || n - dot != CRED_SIG_B64_LEN)
		return CRED_MALFORMED;
	if (util_b64_decode(v + dot, CRED_SIG_B64_LEN, got, sizeof(got)) != 32)
		goto out;
	if (cred_hmac_sum(h, v, dot - 1, want) != 0)
		goto out;
	/* Invariant: constant-time compare of two fixed-size MACs. */
	if (CRYPTO_memcmp(want, got, 32) != 0) {
		rc = CRED_BAD_SIGNATURE;
		goto out;
	}
	*token_n = dot - 1;
	rc = CRED_OK;
out:
	OPENSSL_cleanse(want, sizeof(want));
	OPENSSL_cleanse(got, sizeof(got));
	return rc;
}

enum cred_rc
cred_session_verify(const char *v, size_t n, const unsigned char *secret,
    size_t secret_n, size_t *token_n)
{
	struct cred_hmac h;
	enum cred_rc rc;

	*token_n = 0;
	if (cred_hmac_init(&h, secret, secret_n) != 0)
		return CRED_MALFORMED;
	rc = cred_session_check(v, n, &h, token_n);
	cred_hmac_free(&h);
	return rc;
}

size_t
cred_session_sign(const char *token, size_t n, const unsigned char *secret,
    size_t secret_n, char *out, size_t outsz)
{
	struct cred_hmac h;
	unsigned char mac[32];
	size_t len = 0;
	int rc;

	if (outsz < n + 1 + CRED_SIG_B64_LEN + 1)
		return 0;
	if (cred_hmac_init(&h, secret, secret_n) != 0)
		goto out;
	rc = cred_hmac_sum(&h, token, n, mac);
	cred_hmac_free(&h);
	if (rc != 0)
		goto out;
	memcpy(out, token, n);
	out[n] = '.';
	if (util_b64_encode(mac, 32, out + n + 1, outsz - n - 1, 0) !=
	    CRED_SIG_B64_LEN)
		goto out;
	len = n + 1 + CRED_SIG_B64_LEN;
out:
	OPENSSL_cleanse(mac, sizeof(mac));
	if (len == 0)
		out[0] = '\0';
	return len;
}

int
cred_apikey_hash(const char *key, size_t n, char *b64url, char *hex)
{
	unsigned char d[SHA256_DIGEST_LENGTH];

	if (SHA256((const unsigned char *)key, n, d) == NULL)
		return -1;
	if (util_b64_encode(d, sizeof(d), b64url, CRED_HASH_B64URL_LEN + 1,
	    1) != CRED_HASH_B64URL_LEN) {
		OPENSSL_cleanse(d, sizeof(d));
		return -1;
	}
	util_hex(d, sizeof(d), hex);
	OPENSSL_cleanse(d, sizeof(d));
	return 0;
}

int
cred_apikey_prefix_ok(const char *prefix)
{
	size_t i, n = strlen(prefix);

	if (n > CRED_MAX_KEY_PREFIX)
		return 0;
	for (i = 0; i < n; i++) {
		char c = prefix[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

size_t
cred_apikey_generate(const char *prefix, char *out, size_t outsz)
{
	unsigned char r[CRED_KEY_RANDOM_BYTES];
	size_t pn, len = 0;

	if (outsz > 0)
		out[0] = '\0';
	if (!cred_apikey_prefix_ok(prefix) || outsz < CRED_KEY_MAX + 1)
		return 0;
	pn = strlen(prefix);
	/* Invariant: key material comes from the private DRBG only. */
	if (RAND_priv_bytes(r, sizeof(r)) != 1)
		goto out;
	memcpy(out, prefix, pn);
	if (util_b64_encode(r, sizeof(r), out + pn, outsz - pn, 1) != 43)
		goto out;
	len = pn + 43;
out:
	OPENSSL_cleanse(r, sizeof(r));
	if (len == 0)
		OPENSSL_cleanse(out, outsz);
	return len;
}

int
cred_random_id(char *out, size_t outsz)
{
	static const char alnum[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	unsigned char r[64];
	size_t o = 0, i;

	if (outsz < CRED_ID_LEN + 1)
		return -1;
	while (o < CRED_ID_LEN) {
		if (RAND_bytes(r, sizeof(r)) != 1)
			return -1;
		/* 248 = 4 * 62: rejecting the rest keeps every
		 * character equally likely. */
		for (i = 0; i < sizeof(r) && o < CRED_ID_LEN; i++)
			if (r[i] < 248)
				out[o++] = alnum[r[i] % 62];
	}
	out[o] = '\0';
	return 0;
}
