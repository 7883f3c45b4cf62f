/*
 * fuzz_webhook.c - libFuzzer target for the webhook: signature
 * verification over hostile headers, and (with a valid signature made
 * here) JSON normalization and application to an in-memory store.
 * Input: "sig-header\nid\ntimestamp\nbody".
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/hmac.h>

#include "util.h"
#include "schema.h"
#include "webhook.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
extern const char schema_sql[];

static struct webhook_secrets ws;
static struct store *st;

static void
setup(void)
{
	char err[256], *ba, *ag;

	setenv("AUTHGATE_WEBHOOK_SECRET", "fuzz-secret whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", 1);
	if (webhook_secrets_load(&ws, err, sizeof(err)) != 0 ||
	    store_open(&st, ":memory:", STORE_READWRITE, err, sizeof(err)) != 0)
		abort();
	ag = strstr(schema_sql, "-- @authgate-tables");
	ba = strndup(schema_sql, (size_t)(ag - schema_sql));
	if (store_init(st, ba, ag, err, sizeof(err)) != 0)
		abort();
	free(ba);
}

static struct store *
the_store(void *ctx)
{
	(void)ctx;
	return st;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char buf[70000], stamped[70100];
	struct webhook_headers h;
	struct webhook_result r;
	const char *part[4] = { "", "", "", "" };
	unsigned char mac[32];
	unsigned int len;
	char *p, sig[80], hex[65];
	size_t bn;
	int i;

	if (st == NULL)
		setup();
	if (size >= sizeof(buf))
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	p = buf;
	for (i = 0; i < 4 && p != NULL; i++) {
		part[i] = p;
		if ((p = strchr(p, '\n')) != NULL && i < 3)
			*p++ = '\0';
	}
	bn = strlen(part[3]);
	memset(&h, 0, sizeof(h));
	h.id = part[1];
	h.timestamp = part[2];
	h.signature = part[0];
	webhook_verify(&ws, &h, part[3], bn, 1767225600);
	h.optare_signature = part[0];
	webhook_verify(&ws, &h, part[3], bn, 1767225600);

	/* Past the signature: sign the body properly and apply it. A body
	 * object gets a fresh timestamp first (unless it names one), so the
	 * fuzzer reaches the normalizer, not only the replay check. */
	if (part[3][0] == '{' && strstr(part[3], "timestamp") == NULL &&
	    bn + 48 < sizeof(stamped)) {
		int k = snprintf(stamped, sizeof(stamped), "{\"timestamp\":%lld,",
		    (long long)util_now_ms());

		memcpy(stamped + k, part[3] + 1, bn);	/* with its NUL */
		part[3] = stamped;
		bn = strlen(stamped);
	}
	HMAC(EVP_sha256(), "fuzz-secret", 11, (const unsigned char *)part[3],
	    bn, mac, &len);
	util_hex(mac, 32, hex);
	memcpy(sig, "sha256=", 7);
	memcpy(sig + 7, hex, 65);
	h.optare_signature = sig;
	webhook_handle(&ws, the_store, NULL, &h, (char *)part[3], bn, &r);
	if (r.status != 200 && r.status != 400 && r.status != 503)
		__builtin_trap();
	return 0;
}
