/*
 * fuzz_credential.c - libFuzzer target for the cookie signature check,
 * dates and base64: must never crash, and a value that verifies must be
 * exactly what signing produces.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "credential.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const unsigned char secret[] = "fuzz-secret-0123456789abcdef0123456789";

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char again[1024], b64[64], hex[80];
	unsigned char bin[1024];
	size_t tn = 0;
	int64_t ms;

	if (cred_session_verify((const char *)data, size, secret,
	    sizeof(secret) - 1, &tn) == CRED_OK) {
		/* Invariant: only what sign() makes verifies. */
		if (cred_session_sign((const char *)data, tn, secret,
		    sizeof(secret) - 1, again, sizeof(again)) != size ||
		    memcmp(again, data, size) != 0)
			__builtin_trap();
	}
	/* Invariant: a key always hashes to both full-length forms. */
	if (size < 512 && (cred_apikey_hash((const char *)data, size, b64,
	    hex) != 0 || strlen(b64) != CRED_HASH_B64URL_LEN ||
	    strlen(hex) != CRED_HASH_HEX_LEN))
		__builtin_trap();
	if (util_time_parse((const char *)data, size, &ms) == 0 &&
	    util_time_format(ms, b64, sizeof(b64)) == 0 && b64[0] == '\0')
		__builtin_trap();
	if (util_b64_decode((const char *)data, size, bin, sizeof(bin)) >
	    (long)sizeof(bin))
		__builtin_trap();
	return 0;
}
