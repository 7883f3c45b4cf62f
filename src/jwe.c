/*
 * jwe.c - compact JWE/JWS and better-auth's cookie cache, verified.
 *
 * Trusts nothing in a token: every part's length is checked before it is
 * decoded, the protected header is parsed only to refuse what is not
 * "dir" + A256GCM / A256CBC-HS512 (or HS256), and a tag or MAC is
 * compared with CRYPTO_memcmp before any plaintext is used. Plaintext
 * of a token that fails is wiped. Never logs: the caller logs a reason.
 */
#include <math.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>

#include "jwe.h"
#include "util.h"

#define MAX_HEADER_JSON	(JWE_MAX_HEADER_B64 * 3 / 4 + 1)
#define MAX_CT		(JWE_MAX_PLAIN + 16)	/* plaintext + CBC padding */
#define MAX_EXP_S	32503680000.0	/* year 3000: a number, not a date */

const char *
jwe_rc_name(enum jwe_rc rc)
{
	switch (rc) {
	case JWE_OK:		return "ok";
	case JWE_MALFORMED:	return "malformed";
	case JWE_UNSUPPORTED:	return "unsupported";
	case JWE_BAD_TAG:	return "bad_tag";
	case JWE_EXPIRED:	return "expired";
	case JWE_NOT_YET:	return "not_yet_valid";
	case JWE_BAD_CLAIMS:	return "bad_claims";
	default:		return "error";
	}
}

long
jwe_b64url_decode(const char *in, size_t n, unsigned char *out, size_t outsz)
{
	return util_b64url_decode(in, n, out, outsz);
}

int
jwe_hkdf_sha256(const unsigned char *ikm, size_t ikmn,
    const unsigned char *salt, size_t saltn, const unsigned char *info,
    size_t infon, unsigned char *out, size_t outn)
{
	static const unsigned char nosalt[1];
	EVP_PKEY_CTX *c;
	size_t len = outn;
	int ok;

	if (outn == 0 || outn > 255 * 32 || ikmn > INT32_MAX ||
	    saltn > INT32_MAX || infon > INT32_MAX)
		return -1;
	if ((c = EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, NULL)) == NULL)
		return -1;
	/* An empty salt is RFC 5869's default (HashLen zeros): HMAC pads
	 * an empty key with zeros, so both spell the same key. */
	ok = EVP_PKEY_derive_init(c) == 1 &&
	    EVP_PKEY_CTX_set_hkdf_md(c, EVP_sha256()) == 1 &&
	    EVP_PKEY_CTX_set1_hkdf_salt(c, saltn > 0 ? salt : nosalt,
	    (int)saltn) == 1 &&
	    EVP_PKEY_CTX_set1_hkdf_key(c, ikm, (int)ikmn) == 1 &&
	    EVP_PKEY_CTX_add1_hkdf_info(c, info, (int)infon) == 1 &&
	    EVP_PKEY_derive(c, out, &len) == 1 && len == outn;
	EVP_PKEY_CTX_free(c);
	if (!ok)
		OPENSSL_cleanse(out, outn);
	return ok ? 0 : -1;
}

int
jwe_key_derive(struct jwe_key *k, enum jwe_enc enc,
    const unsigned char *secret, size_t secretn, const char *salt,
    const char *info)
{
	memset(k, 0, sizeof(*k));
	k->enc = enc;
	k->n = enc == JWE_ENC_A256GCM ? 32 : 64;
	if (secretn == 0 || jwe_hkdf_sha256(secret, secretn,
	    (const unsigned char *)salt, strlen(salt),
	    (const unsigned char *)info, strlen(info), k->k, k->n) != 0) {
		OPENSSL_cleanse(k, sizeof(*k));
		return -1;
	}
	return 0;
}

int
jwe_a256gcm_decrypt(const unsigned char *key, const unsigned char *iv,
    const unsigned char *aad, size_t aadn, const unsigned char *ct, size_t n,
    const unsigned char *tag, unsigned char *out)
{
	EVP_CIPHER_CTX *c;
	unsigned char t[JWE_GCM_TAG];
	int len, rc = -1;

	if (n > INT32_MAX || aadn > INT32_MAX)
		return -1;
	if ((c = EVP_CIPHER_CTX_new()) == NULL)
		return -1;
	memcpy(t, tag, sizeof(t));
	if (EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), NULL, NULL, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, JWE_GCM_IV,
	    NULL) != 1 ||
	    EVP_DecryptInit_ex(c, NULL, NULL, key, iv) != 1 ||
	    EVP_DecryptUpdate(c, NULL, &len, aad, (int)aadn) != 1 ||
	    (n > 0 && EVP_DecryptUpdate(c, out, &len, ct, (int)n) != 1) ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, JWE_GCM_TAG, t) != 1)
		goto out;
	/* Invariant: out is used only when the final step verified the
	 * tag (OpenSSL compares it in constant time). */
	rc = EVP_DecryptFinal_ex(c, out + n, &len) == 1 ? 0 : 1;
out:
	EVP_CIPHER_CTX_free(c);
	if (rc != 0)
		OPENSSL_cleanse(out, n);
	return rc;
}

int
jwe_a256cbc_hs512_decrypt(const unsigned char *key, const unsigned char *iv,
    const unsigned char *aad, size_t aadn, const unsigned char *ct, size_t n,
    const unsigned char *tag, unsigned char *out, size_t *outn)
{
	unsigned char mac[64], al[8];
	EVP_MD_CTX *m = NULL;
	EVP_PKEY *pk = NULL;
	EVP_CIPHER_CTX *c = NULL;
	uint64_t bits = (uint64_t)aadn * 8;
	size_t i, ml = sizeof(mac);
	int len1 = 0, len2 = 0, rc = -1;

	*outn = 0;
	if (n == 0 || n % 16 != 0 || n > INT32_MAX)
		return 1;
	for (i = 0; i < 8; i++)
		al[i] = (unsigned char)(bits >> (56 - 8 * i));
	/* MAC first: AAD || IV || CT || AL under the first half of the key */
	if ((pk = EVP_PKEY_new_raw_private_key(EVP_PKEY_HMAC, NULL, key,
	    32)) == NULL || (m = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestSignInit(m, NULL, EVP_sha512(), NULL, pk) != 1 ||
	    EVP_DigestSignUpdate(m, aad, aadn) != 1 ||
	    EVP_DigestSignUpdate(m, iv, JWE_CBC_IV) != 1 ||
	    EVP_DigestSignUpdate(m, ct, n) != 1 ||
	    EVP_DigestSignUpdate(m, al, sizeof(al)) != 1 ||
	    EVP_DigestSignFinal(m, mac, &ml) != 1 || ml != sizeof(mac))
		goto out;
	/* Invariant: constant-time compare of the fixed-size tag, before
	 * a single byte is decrypted. */
	if (CRYPTO_memcmp(mac, tag, JWE_CBC_TAG) != 0) {
		rc = 1;
		goto out;
	}
	if ((c = EVP_CIPHER_CTX_new()) == NULL ||
	    EVP_DecryptInit_ex(c, EVP_aes_256_cbc(), NULL, key + 32,
	    iv) != 1 ||
	    EVP_DecryptUpdate(c, out, &len1, ct, (int)n) != 1)
		goto out;
	if (EVP_DecryptFinal_ex(c, out + len1, &len2) != 1) {
		rc = 1;		/* bad padding under a matching tag */
		goto out;
	}
	*outn = (size_t)len1 + (size_t)len2;
	rc = 0;
out:
	OPENSSL_cleanse(mac, sizeof(mac));
	EVP_MD_CTX_free(m);
	EVP_PKEY_free(pk);
	EVP_CIPHER_CTX_free(c);
	if (rc != 0) {
		OPENSSL_cleanse(out, n);
		*outn = 0;
	}
	return rc;
}

int
jwe_self_test(void)
{
	static const unsigned char gcm_ct[16] = {
	    0xce, 0xa7, 0x40, 0x3d, 0x4d, 0x60, 0x6b, 0x6e,
	    0x07, 0x4e, 0xc5, 0xd3, 0xba, 0xf3, 0x9d, 0x18 };
	static const unsigned char gcm_tag[16] = {
	    0xd0, 0xd1, 0xc8, 0xa7, 0x99, 0x99, 0x6b, 0xf0,
	    0x26, 0x5b, 0x98, 0xb5, 0xd4, 0x8a, 0xb9, 0x19 };
	static const unsigned char cbc_ct[16] = {
	    0x21, 0x9d, 0xb0, 0x1b, 0xe7, 0xdd, 0xf2, 0x40,
	    0xed, 0xa1, 0x52, 0x69, 0x39, 0x80, 0xf3, 0xc5 };
	static const unsigned char cbc_tag[32] = {
	    0xb9, 0x00, 0x11, 0xae, 0x82, 0x18, 0x91, 0x00,
	    0x29, 0x2d, 0x30, 0xf0, 0x91, 0x48, 0xf6, 0xd7,
	    0x43, 0x87, 0x82, 0xda, 0x80, 0xec, 0x31, 0xde,
	    0xb4, 0x8a, 0xb5, 0x69, 0xce, 0xa4, 0xf2, 0xad };
	unsigned char key[64], iv[16] = { 0 }, out[16];
	static const unsigned char zero[16];
	size_t i, on = 0;

	for (i = 0; i < sizeof(key); i++)
		key[i] = (unsigned char)i;
	if (jwe_a256cbc_hs512_decrypt(key, iv, NULL, 0, cbc_ct, 16, cbc_tag,
	    out, &on) != 0 || on != 8 || memcmp(out, "authgate", 8) != 0)
		return -1;
	memset(key, 0, sizeof(key));
	if (jwe_a256gcm_decrypt(key, iv, NULL, 0, gcm_ct, 16, gcm_tag,
	    out) != 0 || memcmp(out, zero, 16) != 0)
		return -1;
	return 0;
}

/* Splits tok at its dots into want parts. Returns 0, or -1 when the
 * count differs. */
static int
split(const char *tok, size_t n, struct slice *p, size_t want)
{
	size_t i, k = 0, start = 0;

	for (i = 0; i <= n; i++) {
		if (i < n && tok[i] != '.')
			continue;
		if (k == want)
			return -1;
		p[k].p = tok + start;
		p[k].n = i - start;
		k++;
		start = i + 1;
	}
	return k == want ? 0 : -1;
}

/* The name of a header member, or NULL: c must be a string. */
static int
str_is(const cJSON *c, const char *s)
{
	return cJSON_IsString(c) && c->valuestring != NULL &&
	    strcmp(c->valuestring, s) == 0;
}

/*
 * Reads a protected header: alg must be want_alg; for a JWE enc must be
 * A256GCM or A256CBC-HS512 (*enc), for a JWS absent; "zip" and "crit"
 * are refused, as is a member given twice.
 */
static enum jwe_rc
header_read(const struct slice *h, const char *want_alg, enum jwe_enc *enc)
{
	unsigned char js[MAX_HEADER_JSON + 1];
	const cJSON *m;
	cJSON *root;
	long jn;
	int nalg = 0, nenc = 0;
	enum jwe_rc rc = JWE_MALFORMED;

	if (h->n == 0 || h->n > JWE_MAX_HEADER_B64)
		return JWE_MALFORMED;
	if ((jn = jwe_b64url_decode(h->p, h->n, js, sizeof(js) - 1)) <= 0)
		return JWE_MALFORMED;
	root = cJSON_ParseWithLength((const char *)js, (size_t)jn);
	if (root == NULL || !cJSON_IsObject(root))
		goto out;
	rc = JWE_UNSUPPORTED;
	cJSON_ArrayForEach(m, root) {
		if (m->string == NULL)
			goto out;
		if (strcmp(m->string, "zip") == 0 ||
		    strcmp(m->string, "crit") == 0)
			goto out;
		if (strcmp(m->string, "alg") == 0) {
			if (nalg++ || !str_is(m, want_alg))
				goto out;
		} else if (strcmp(m->string, "enc") == 0) {
			if (nenc++ || enc == NULL)
				goto out;
			if (str_is(m, "A256GCM"))
				*enc = JWE_ENC_A256GCM;
			else if (str_is(m, "A256CBC-HS512"))
				*enc = JWE_ENC_A256CBC_HS512;
			else
				goto out;
		}
	}
	if (nalg != 1 || (enc != NULL && nenc != 1))
		goto out;
	rc = JWE_OK;
out:
	cJSON_Delete(root);
	return rc;
}

enum jwe_rc
jwe_decrypt(const char *tok, size_t n, const struct jwe_key *keys,
    size_t nkeys, char *plain, size_t plainsz, size_t *plainn)
{
	unsigned char iv[JWE_CBC_IV], tag[JWE_CBC_TAG], ct[MAX_CT];
	struct slice p[5];
	enum jwe_enc enc = 0;
	enum jwe_rc rc;
	size_t i, ivn, tagn, on = 0;
	long ctn;
	int r = 1;

	*plainn = 0;
	if (plainsz > 0)
		plain[0] = '\0';
	if (n == 0 || n > JWE_MAX_TOKEN || split(tok, n, p, 5) != 0)
		return JWE_MALFORMED;
	if ((rc = header_read(&p[0], "dir", &enc)) != JWE_OK)
		return rc;
	/* dir: no encrypted key; the lengths enc fixes, exactly */
	ivn = enc == JWE_ENC_A256GCM ? JWE_GCM_IV : JWE_CBC_IV;
	tagn = enc == JWE_ENC_A256GCM ? JWE_GCM_TAG : JWE_CBC_TAG;
	if (p[1].n != 0 || p[2].n != (ivn * 4 + 2) / 3 ||
	    p[4].n != (tagn * 4 + 2) / 3 || p[3].n == 0 ||
	    p[3].n > (MAX_CT * 4 + 2) / 3)
		return JWE_MALFORMED;
	if (jwe_b64url_decode(p[2].p, p[2].n, iv, sizeof(iv)) != (long)ivn ||
	    jwe_b64url_decode(p[4].p, p[4].n, tag, sizeof(tag)) !=
	    (long)tagn ||
	    (ctn = jwe_b64url_decode(p[3].p, p[3].n, ct, sizeof(ct))) <= 0)
		return JWE_MALFORMED;
	if ((size_t)ctn + 1 > plainsz)
		return JWE_MALFORMED;
	for (i = 0; i < nkeys && r == 1; i++) {
		if (keys[i].enc != enc)
			continue;
		/* AAD: the protected header as sent (RFC 7516 5.2 step 14) */
		if (enc == JWE_ENC_A256GCM) {
			r = jwe_a256gcm_decrypt(keys[i].k, iv,
			    (const unsigned char *)p[0].p, p[0].n, ct,
			    (size_t)ctn, tag, (unsigned char *)plain);
			on = (size_t)ctn;
		} else {
			r = jwe_a256cbc_hs512_decrypt(keys[i].k, iv,
			    (const unsigned char *)p[0].p, p[0].n, ct,
			    (size_t)ctn, tag, (unsigned char *)plain, &on);
		}
	}
	OPENSSL_cleanse(ct, (size_t)ctn);
	if (r != 0) {
		OPENSSL_cleanse(plain, plainsz);
		plain[0] = '\0';
		return r < 0 ? JWE_ERROR : JWE_BAD_TAG;
	}
	plain[on] = '\0';
	*plainn = on;
	return JWE_OK;
}

enum jwe_rc
jws_hs256_verify(const char *tok, size_t n, jwe_mac_fn mac, void *ctx,
    size_t nkeys, char *plain, size_t plainsz, size_t *plainn)
{
	unsigned char sig[33], want[32];
	struct slice p[3];
	enum jwe_rc rc;
	size_t i;
	long pn;
	int ok = 0;

	*plainn = 0;
	if (plainsz > 0)
		plain[0] = '\0';
	if (n == 0 || n > JWE_MAX_TOKEN || split(tok, n, p, 3) != 0)
		return JWE_MALFORMED;
	if ((rc = header_read(&p[0], "HS256", NULL)) != JWE_OK)
		return rc;
	if (p[2].n != 43 || jwe_b64url_decode(p[2].p, p[2].n, sig,
	    sizeof(sig)) != 32 || p[1].n == 0)
		return JWE_MALFORMED;
	for (i = 0; i < nkeys && !ok; i++) {
		if (mac(ctx, i, tok, p[0].n + 1 + p[1].n, want) != 0)
			break;
		/* Invariant: constant-time compare of fixed-size MACs. */
		ok = CRYPTO_memcmp(want, sig, 32) == 0;
	}
	OPENSSL_cleanse(want, sizeof(want));
	if (!ok)
		return JWE_BAD_TAG;
	pn = jwe_b64url_decode(p[1].p, p[1].n, (unsigned char *)plain,
	    plainsz > 0 ? plainsz - 1 : 0);
	if (pn <= 0) {
		OPENSSL_cleanse(plain, plainsz);
		plain[0] = '\0';
		return JWE_MALFORMED;
	}
	plain[pn] = '\0';
	*plainn = (size_t)pn;
	return JWE_OK;
}

/*
 * Copies a string member (absent or null: "", if optional) into dst.
 * 0, or -1 when it is another type, too long or holds a control byte.
 */
static int
claim_str(const cJSON *o, const char *name, char *dst, size_t dstsz,
    int required)
{
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(o, name);
	size_t n;

	dst[0] = '\0';
	if (m == NULL || cJSON_IsNull(m))
		return required ? -1 : 0;
	if (!cJSON_IsString(m) || m->valuestring == NULL)
		return -1;
	n = strlen(m->valuestring);
	if (required && n == 0)
		return -1;
	if (!util_header_value_ok(m->valuestring, n))
		return -1;
	return util_copy(dst, dstsz, m->valuestring, n);
}

/* A NumericDate (seconds) in range; 0, or -1. */
static int
claim_time(const cJSON *m, double *s)
{
	if (!cJSON_IsNumber(m) || !isfinite(m->valuedouble) ||
	    m->valuedouble < 0 || m->valuedouble > MAX_EXP_S)
		return -1;
	*s = m->valuedouble;
	return 0;
}

enum jwe_rc
jwe_claims_parse(const char *plain, size_t n, int64_t now_ms,
    struct jwe_claims *c)
{
	const cJSON *m;
	cJSON *root;
	double exp_s, nbf_s, now_s = (double)(now_ms / 1000);
	enum jwe_rc rc = JWE_BAD_CLAIMS;

	memset(c, 0, sizeof(*c));
	root = cJSON_ParseWithLength(plain, n);
	if (root == NULL || !cJSON_IsObject(root)) {
		rc = JWE_MALFORMED;
		goto out;
	}
	if (claim_time(cJSON_GetObjectItemCaseSensitive(root, "exp"),
	    &exp_s) != 0)
		goto out;
	/* jose's test, with its tolerance: exp <= now - skew is expired */
	if (exp_s <= now_s - JWE_CLOCK_SKEW_S) {
		rc = JWE_EXPIRED;
		goto out;
	}
	m = cJSON_GetObjectItemCaseSensitive(root, "nbf");
	if (m != NULL) {
		if (claim_time(m, &nbf_s) != 0)
			goto out;
		if (nbf_s > now_s + JWE_CLOCK_SKEW_S) {
			rc = JWE_NOT_YET;
			goto out;
		}
	}
	if (claim_str(root, "sub", c->sub, sizeof(c->sub), 1) != 0 ||
	    claim_str(root, "email", c->email, sizeof(c->email), 0) != 0 ||
	    claim_str(root, "name", c->name, sizeof(c->name), 0) != 0 ||
	    claim_str(root, "jti", c->jti, sizeof(c->jti), 0) != 0)
		goto out;
	c->exp_ms = (int64_t)exp_s * 1000;
	rc = JWE_OK;
out:
	cJSON_Delete(root);
	if (rc != JWE_OK)
		memset(c, 0, sizeof(*c));
	return rc;
}

/* A date as better-auth's JSON carries it: ISO text, or epoch ms. */
static int
bacache_time(const cJSON *m, int64_t *ms)
{
	if (cJSON_IsString(m) && m->valuestring != NULL)
		return util_time_parse(m->valuestring, strlen(m->valuestring),
		    ms);
	if (cJSON_IsNumber(m) && isfinite(m->valuedouble) &&
	    m->valuedouble >= 0 && m->valuedouble < MAX_EXP_S * 1000) {
		*ms = (int64_t)m->valuedouble;
		return 0;
	}
	return -1;
}

enum jwe_rc
jwe_bacache_parse(const char *plain, size_t n, int64_t cache_until_ms,
    int64_t now_ms, struct jwe_bacache *c)
{
	const cJSON *s, *u, *m;
	cJSON *root;
	double exp_s;
	enum jwe_rc rc = JWE_BAD_CLAIMS;

	memset(c, 0, sizeof(*c));
	root = cJSON_ParseWithLength(plain, n);
	if (root == NULL || !cJSON_IsObject(root)) {
		rc = JWE_MALFORMED;
		goto out;
	}
	s = cJSON_GetObjectItemCaseSensitive(root, "session");
	u = cJSON_GetObjectItemCaseSensitive(root, "user");
	if (!cJSON_IsObject(s) || !cJSON_IsObject(u) ||
	    !cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(root,
	    "updatedAt")))
		goto out;
	/* A version the app chose (cookieCache.version) says which caches it
	 * still honours; authgate cannot know, so only the default passes. */
	m = cJSON_GetObjectItemCaseSensitive(root, "version");
	if (m != NULL && !str_is(m, "1"))
		goto out;
	if (cache_until_ms < 0) {
		if (claim_time(cJSON_GetObjectItemCaseSensitive(root, "exp"),
		    &exp_s) != 0)
			goto out;
		cache_until_ms = (int64_t)exp_s * 1000;
	}
	c->cache_until_ms = cache_until_ms;
	if (bacache_time(cJSON_GetObjectItemCaseSensitive(s, "expiresAt"),
	    &c->expires_ms) != 0)
		goto out;
	if (cache_until_ms < now_ms || c->expires_ms < now_ms) {
		rc = JWE_EXPIRED;
		goto out;
	}
	if (claim_str(s, "token", c->token, sizeof(c->token), 1) != 0 ||
	    claim_str(s, "id", c->session_id, sizeof(c->session_id), 1) ||
	    claim_str(s, "activeOrganizationId", c->org_id,
	    sizeof(c->org_id), 0) != 0 ||
	    claim_str(u, "id", c->user_id, sizeof(c->user_id), 1) != 0 ||
	    claim_str(u, "email", c->email, sizeof(c->email), 0) != 0 ||
	    claim_str(u, "name", c->name, sizeof(c->name), 0) != 0)
		goto out;
	m = cJSON_GetObjectItemCaseSensitive(s, "userId");
	if (!str_is(m, c->user_id))
		goto out;
	/* A ban (admin plugin) is the database path's to judge exactly. */
	m = cJSON_GetObjectItemCaseSensitive(u, "banned");
	if (m != NULL && !cJSON_IsNull(m) && !cJSON_IsFalse(m))
		goto out;
	rc = JWE_OK;
out:
	cJSON_Delete(root);
	if (rc != JWE_OK)
		OPENSSL_cleanse(c, sizeof(*c));
	return rc;
}

/* The end of the JSON object that starts at js[i] ('{'), or 0. */
static size_t
object_end(const char *js, size_t n, size_t i)
{
	size_t depth = 0;
	int in_str = 0;

	for (; i < n; i++) {
		char ch = js[i];

		if (in_str) {
			if (ch == '\\')
				i++;
			else if (ch == '"')
				in_str = 0;
		} else if (ch == '"') {
			in_str = 1;
		} else if (ch == '{' || ch == '[') {
			depth++;
		} else if (ch == '}' || ch == ']') {
			if (depth == 0)
				return 0;
			if (--depth == 0)
				return ch == '}' ? i + 1 : 0;
		}
	}
	return 0;
}

enum jwe_rc
jwe_bacache_compact(const char *v, size_t n, jwe_mac_fn mac, void *ctx,
    size_t nkeys, char *plain, size_t plainsz, size_t *plainn,
    int64_t *until_ms)
{
	static const char head[] = "{\"session\":";
	static const char mid[] = ",\"expiresAt\":";
	static const char sig[] = ",\"signature\":\"";
	char js[JWE_MAX_TOKEN];
	unsigned char want[32], got[33];
	size_t e, d, ds, i, sn, mn;
	enum jwe_rc rc = JWE_MALFORMED;
	uint64_t until;
	long jn;
	int ok = 0;

	*plainn = 0;
	*until_ms = 0;
	if (plainsz > 0)
		plain[0] = '\0';
	if (n == 0 || n > JWE_MAX_TOKEN)
		return JWE_MALFORMED;
	if ((jn = jwe_b64url_decode(v, n, (unsigned char *)js,
	    sizeof(js))) <= 0)
		return JWE_MALFORMED;
	/* JSON.stringify's exact shape: {"session":S,"expiresAt":N,
	 * "signature":"<43>"}; anything else is not ours to reinterpret. */
	if ((size_t)jn < sizeof(head) + 2 ||
	    memcmp(js, head, sizeof(head) - 1) != 0)
		goto out;
	ds = sizeof(head) - 1;
	if (js[ds] != '{' || (e = object_end(js, (size_t)jn, ds)) == 0 ||
	    e - ds < 3)
		goto out;
	sn = e - ds;
	if ((size_t)jn - e < sizeof(mid) - 1 ||
	    memcmp(js + e, mid, sizeof(mid) - 1) != 0)
		goto out;
	d = e + sizeof(mid) - 1;
	for (i = d; i < (size_t)jn && js[i] >= '0' && js[i] <= '9'; i++)
		;
	if (i == d || i - d > 15 || (js[d] == '0' && i - d > 1) ||
	    util_parse_u64(js + d, i - d, &until) != 0)
		goto out;
	mn = i - e;	/* ,"expiresAt":N */
	/* The shape around the signature: sig is the constant key text
	 * ,"signature":" of better-auth's format, not a secret; the MAC
	 * itself is compared with CRYPTO_memcmp below. */
	if ((size_t)jn - i != sizeof(sig) - 1 + 43 + 2 ||
	    memcmp(js + i, sig, sizeof(sig) - 1) != 0 ||
	    js[jn - 2] != '"' || js[jn - 1] != '}' ||
	    jwe_b64url_decode(js + i + sizeof(sig) - 1, 43, got,
	    sizeof(got)) != 32)
		goto out;
	if (sn + 1 > plainsz || sn - 1 + mn + 1 > sizeof(js))
		goto out;
	/* The signed text: S without its '}', then ,"expiresAt":N and '}'.
	 * Built in plain, then plain gets S back once the MAC matched. */
	memcpy(plain, js + ds, sn - 1);
	if (sn - 1 + mn + 1 > plainsz) {
		rc = JWE_MALFORMED;
		goto out;
	}
	memcpy(plain + sn - 1, js + e, mn);
	plain[sn - 1 + mn] = '}';
	for (i = 0; i < nkeys && !ok; i++) {
		if (mac(ctx, i, plain, sn + mn, want) != 0)
			break;
		/* Invariant: constant-time compare of fixed-size MACs. */
		ok = CRYPTO_memcmp(want, got, 32) == 0;
	}
	if (!ok) {
		rc = JWE_BAD_TAG;
		goto out;
	}
	memcpy(plain, js + ds, sn);
	plain[sn] = '\0';
	*plainn = sn;
	*until_ms = (int64_t)until;
	rc = JWE_OK;
out:
	OPENSSL_cleanse(js, (size_t)jn);
	OPENSSL_cleanse(want, sizeof(want));
	if (rc != JWE_OK && plainsz > 0) {
		OPENSSL_cleanse(plain, plainsz);
		plain[0] = '\0';
	}
	return rc;
}
