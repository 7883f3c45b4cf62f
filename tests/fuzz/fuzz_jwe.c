/*
 * fuzz_jwe.c - libFuzzer target for the stateless-cookie parsers: compact
 * JWE and JWS, better-auth's compact cookie cache, JWT claims, the cache
 * payload, base64url and chunked cookies. Must never crash; the first
 * byte picks the parser so one corpus reaches all of them.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <openssl/hmac.h>

#include "jwe.h"
#include "request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char secret[] = "fuzz-secret-0123456789abcdef0123456789";

static int
mac(void *ctx, size_t i, const void *msg, size_t n, unsigned char out[32])
{
	unsigned int len = 32;

	(void)ctx;
	(void)i;
	return HMAC(EVP_sha256(), secret, sizeof(secret) - 1, msg, n, out,
	    &len) != NULL ? 0 : -1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct jwe_key keys[2];
	static int ready;
	static char plain[JWE_MAX_TOKEN + 1], out[JWE_MAX_TOKEN + 1];
	unsigned char bin[256];
	struct jwe_claims c;
	struct jwe_bacache bc;
	const char *s = (const char *)data + 1;
	size_t n, pn;
	int64_t until;

	if (!ready) {
		if (jwe_key_derive(&keys[0], JWE_ENC_A256GCM,
		    (const unsigned char *)secret, sizeof(secret) - 1, "",
		    "NextAuth.js Generated Encryption Key") != 0 ||
		    jwe_key_derive(&keys[1], JWE_ENC_A256CBC_HS512,
		    (const unsigned char *)secret, sizeof(secret) - 1,
		    "authjs.session-token", "Auth.js Generated Encryption Key"
		    " (authjs.session-token)") != 0)
			__builtin_trap();
		ready = 1;
	}
	if (size == 0)
		return 0;
	n = size - 1;
	switch (data[0] % 7) {
	case 0:
		(void)jwe_decrypt(s, n, keys, 2, plain, sizeof(plain), &pn);
		break;
	case 1:
		(void)jws_hs256_verify(s, n, mac, NULL, 1, plain,
		    sizeof(plain), &pn);
		break;
	case 2:
		if (jwe_bacache_compact(s, n, mac, NULL, 1, plain,
		    sizeof(plain), &pn, &until) == JWE_OK && pn == 0)
			__builtin_trap();
		break;
	case 3:
		(void)jwe_claims_parse(s, n, 4000000000000LL, &c);
		break;
	case 4:
		(void)jwe_bacache_parse(s, n, -1, 4000000000000LL, &bc);
		break;
	case 5:
		(void)jwe_b64url_decode(s, n, bin, sizeof(bin));
		break;
	default:
		if (req_cookie_chunked(s, n, "authjs.session-token", 20, out,
		    sizeof(out), &pn) == REQ_COOKIE_FOUND &&
		    (pn == 0 || strlen(out) != pn))
			__builtin_trap();
		break;
	}
	return 0;
}
