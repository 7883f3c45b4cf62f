/*
 * test_webhook.c - webhook signatures against what the real libraries
 * decided (tests/vectors/webhook, made by standardwebhooks 1.1.1, svix
 * 1.99.1 and @optare/optareid-js 0.2.2's verifySignature), plus secret
 * loading. Where authgate is deliberately stricter than a library, the
 * case is listed in `stricter` with the reason.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "harness.h"
#include "util.h"
#include "webhook.h"

#define VECTORS "tests/vectors/webhook/vectors.json"

/* Cases where a library accepts and authgate refuses, on purpose. */
static const char *const stricter[] = {
	/* the entry must be exactly "v1,<base64>" */
	"sw.quirk.entry_with_extra_comma_field",
	/* the signed content uses the timestamp header as sent; the library
	 * re-formats a parseInt()ed number */
	"sw.quirk.timestamp_leading_zero",
	"sw.quirk.timestamp_trailing_garbage",
	/* HMAC over the raw bytes (SPEC 8); the library hashes a UTF-8
	 * decoding with replacement characters */
	"sw.quirk.invalid_utf8_body.library_signature",
	/* "sha256=" + exactly 64 lowercase hex digits, nothing after */
	"optare.trailing_equals_junk",
	"optare.trailing_equals",
};

/* ... and where authgate accepts what a library refuses. */
static const char *const looser[] = {
	/* the raw-bytes HMAC is the one SPEC defines */
	"sw.quirk.invalid_utf8_body.raw_bytes_signature",
};

static int
listed(const char *const *list, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(list[i], name) == 0)
			return 1;
	return 0;
}

static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *b = NULL;
	long n;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 &&
	    fseek(f, 0, SEEK_SET) == 0 && (b = malloc((size_t)n + 1)) != NULL &&
	    fread(b, 1, (size_t)n, f) == (size_t)n) {
		b[n] = '\0';
		*len = (size_t)n;
	} else {
		free(b);
		b = NULL;
	}
	fclose(f);
	return b;
}

static const char *
str(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Header lookup, case-insensitive, as CGI upper-cases them anyway. */
static const char *
hdr(const cJSON *headers, const char *name)
{
	const cJSON *h;

	cJSON_ArrayForEach(h, headers)
		if (util_ieq(h->string, strlen(h->string), name, strlen(name)) &&
		    cJSON_IsString(h))
			return h->valuestring;
	return NULL;
}

/* The server's view of a vector's headers: HTTP_SVIX_ID is svix-id. */
static const char *
param_of(void *ctx, const char *name)
{
	char h[64];
	size_t i, n;

	if (strncmp(name, "HTTP_", 5) != 0 || (n = strlen(name + 5)) >= sizeof(h))
		return NULL;
	for (i = 0; i < n; i++)
		h[i] = name[5 + i] == '_' ? '-' : name[5 + i];
	h[n] = '\0';
	return hdr(ctx, h);
}

static int
load(struct webhook_secrets *ws, const char *secret)
{
	char err[256];

	unsetenv("AUTHGATE_WEBHOOK_SECRET_FILE");
	setenv("AUTHGATE_WEBHOOK_SECRET", secret, 1);
	return webhook_secrets_load(ws, err, sizeof(err));
}

/* Body bytes of a case: body_base64 when present (exact bytes). */
static size_t
body_of(const cJSON *c, const char *b64key, const char *txtkey,
    unsigned char *out, size_t outsz)
{
	const char *b64 = str(c, b64key), *t = str(c, txtkey);
	long n;

	if (b64 != NULL) {
		n = util_b64_decode(b64, strlen(b64), out, outsz);
		return n < 0 ? 0 : (size_t)n;
	}
	if (t == NULL || strlen(t) >= outsz)
		return 0;
	memcpy(out, t, strlen(t));
	return strlen(t);
}

static void
run_sw(const cJSON *section)
{
	static unsigned char body[65536];
	static struct webhook_secrets ws;
	const cJSON *c;
	char id[160];

	cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(section,
	    "cases")) {
		const cJSON *headers = cJSON_GetObjectItemCaseSensitive(c,
		    "headers");
		const cJSON *lr = cJSON_GetObjectItemCaseSensitive(c,
		    "library_result");
		const char *name = str(c, "name");
		struct webhook_headers h;
		int want, got;
		size_t n;

		n = body_of(c, "body_base64", "body", body, sizeof(body));
		/* the server's own header choice: svix-* win when present */
		webhook_headers_read(&h, param_of, (void *)headers);
		want = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(lr,
		    "valid"));
		if (listed(stricter, sizeof(stricter) / sizeof(stricter[0]),
		    name))
			want = 0;
		if (listed(looser, sizeof(looser) / sizeof(looser[0]), name))
			want = 1;
		snprintf(id, sizeof(id), "wh-vec:%s", name);
		T_EQ_INT(id, load(&ws, str(c, "secret")), 0);
		got = webhook_verify(&ws, &h, (const char *)body, n,
		    (int64_t)cJSON_GetObjectItemCaseSensitive(c,
		    "now")->valuedouble) == WEBHOOK_OK;
		T_EQ_INT(id, got, want);
		webhook_secrets_wipe(&ws);
	}
}

static void
run_optare(const cJSON *section)
{
	static unsigned char body[65536];
	static struct webhook_secrets ws;
	const cJSON *c;
	char id[160];

	cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(section,
	    "cases")) {
		const char *name = str(c, "name"), *secret = str(c, "secret");
		const cJSON *lr = cJSON_GetObjectItemCaseSensitive(c,
		    "library_result");
		struct webhook_headers h;
		int want, got;
		size_t n;

		if (secret == NULL || *secret == '\0')
			continue;	/* an empty secret cannot be configured */
		memset(&h, 0, sizeof(h));
		n = body_of(c, "payload_base64", "payload", body, sizeof(body));
		h.optare_signature = str(c, "signature");
		want = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(lr,
		    "valid"));
		if (listed(stricter, sizeof(stricter) / sizeof(stricter[0]),
		    name))
			want = 0;
		snprintf(id, sizeof(id), "wh-vec:%s", name);
		T_EQ_INT(id, load(&ws, secret), 0);
		got = webhook_verify(&ws, &h, (const char *)body, n, 0) ==
		    WEBHOOK_OK;
		T_EQ_INT(id, got, want);
		webhook_secrets_wipe(&ws);
	}
}

/* Cluster signatures: a vector computed by Python's hmac, then every
 * signed piece changed in turn. */
static void
test_cluster(void)
{
	static const unsigned char key[33] = "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk";
	static const unsigned char other[33] = "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkj";
	const char *body = "{\"a\":1}";
	char sig[WEBHOOK_CLUSTER_SIG_LEN + 1], bad[WEBHOOK_CLUSTER_SIG_LEN + 1];
	size_t n = strlen(body);

	T_EQ_INT("wh-cl-001", webhook_cluster_sign(key, 32, "evt_1",
	    "session.revoked", body, n, sig), 0);
	T_EQ_STR("wh-cl-002", sig, "v1=0e75f179b2b257c10dd17fe9e0f065c0d4febd9"
	    "f9e0851f2377c6c4951444b5b");
	T_EQ_INT("wh-cl-003", webhook_cluster_verify(key, 32, "evt_1",
	    "session.revoked", sig, body, n), WEBHOOK_OK);
	T_EQ_INT("wh-cl-004", webhook_cluster_verify(other, 32, "evt_1",
	    "session.revoked", sig, body, n), WEBHOOK_MISMATCH);
	T_EQ_INT("wh-cl-005", webhook_cluster_verify(key, 32, "evt_2",
	    "session.revoked", sig, body, n), WEBHOOK_MISMATCH);
	T_EQ_INT("wh-cl-006", webhook_cluster_verify(key, 32, "evt_1",
	    "session.created", sig, body, n), WEBHOOK_MISMATCH);
	T_EQ_INT("wh-cl-007", webhook_cluster_verify(key, 32, "evt_1",
	    "session.revoked", sig, "{\"a\":2}", n), WEBHOOK_MISMATCH);
	/* an id/type boundary shifted into the other piece */
	T_EQ_INT("wh-cl-008", webhook_cluster_verify(key, 32, "evt_1\nsession",
	    ".revoked", sig, body, n), WEBHOOK_MALFORMED);
	T_EQ_INT("wh-cl-009", webhook_cluster_verify(key, 32, NULL,
	    "session.revoked", sig, body, n), WEBHOOK_NO_SIGNATURE);
	T_EQ_INT("wh-cl-010", webhook_cluster_verify(key, 32, "evt_1",
	    "session.revoked", NULL, body, n), WEBHOOK_NO_SIGNATURE);
	memcpy(bad, sig, sizeof(bad));
	bad[10] = 'G';
	T_EQ_INT("wh-cl-011", webhook_cluster_verify(key, 32, "evt_1",
	    "session.revoked", bad, body, n), WEBHOOK_MALFORMED);
	T_EQ_INT("wh-cl-012", webhook_cluster_verify(key, 32, "evt_1",
	    "session.revoked", "v1=00", body, n), WEBHOOK_MALFORMED);
	memcpy(bad, sig, sizeof(bad));
	bad[3] = bad[3] == '0' ? '1' : '0';
	T_EQ_INT("wh-cl-013", webhook_cluster_verify(key, 32, "evt_1",
	    "session.revoked", bad, body, n), WEBHOOK_MISMATCH);
	T_EQ_INT("wh-cl-014", webhook_cluster_verify(key, 0, "evt_1",
	    "session.revoked", sig, body, n), WEBHOOK_MALFORMED);
	T_EQ_INT("wh-cl-015", webhook_cluster_sign(key, 0, "evt_1",
	    "session.revoked", body, n, sig), -1);
}

int
main(void)
{
	static struct webhook_secrets ws;
	struct webhook_headers h;
	char *json, err[256];
	size_t len = 0;
	cJSON *root;
	const cJSON *sec;

	json = slurp(VECTORS, &len);
	T_CHECK("wh-000", json != NULL);
	if (json == NULL)
		return t_done("test_webhook");
	root = cJSON_ParseWithLength(json, len);
	T_CHECK("wh-001", root != NULL);
	run_sw(cJSON_GetObjectItemCaseSensitive(root, "standard_webhooks"));
	run_sw(cJSON_GetObjectItemCaseSensitive(root, "svix"));
	run_optare(cJSON_GetObjectItemCaseSensitive(root, "optare"));

	/* Rotation: both secrets configured at once, either signature works. */
	sec = cJSON_GetObjectItemCaseSensitive(root, "secrets");
	{
		char both[600];

		snprintf(both, sizeof(both), "%s  %s\n", str(sec, "sw_previous"),
		    str(sec, "sw_current"));
		T_EQ_INT("wh-rot-001", load(&ws, both), 0);
		T_EQ_INT("wh-rot-002", ws.n, 2);
		webhook_secrets_wipe(&ws);
	}

	/* No signature headers at all. */
	memset(&h, 0, sizeof(h));
	T_EQ_INT("wh-010", load(&ws, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"), 0);
	T_EQ_INT("wh-011", webhook_verify(&ws, &h, "{}", 2, 0),
	    WEBHOOK_NO_SIGNATURE);
	h.id = "msg_1";
	h.timestamp = "1767225600";
	T_EQ_INT("wh-012", webhook_verify(&ws, &h, "{}", 2, 1767225600),
	    WEBHOOK_NO_SIGNATURE);
	h.signature = "v1,AAAA";
	h.timestamp = "";
	T_EQ_INT("wh-013", webhook_verify(&ws, &h, "{}", 2, 1767225600),
	    WEBHOOK_MALFORMED);
	h.timestamp = "1767225600";
	T_EQ_INT("wh-014", webhook_verify(&ws, &h, "{}", 2, 1767225600),
	    WEBHOOK_MISMATCH);
	h.timestamp = "1767225299";
	T_EQ_INT("wh-015", webhook_verify(&ws, &h, "{}", 2, 1767225600),
	    WEBHOOK_STALE);
	webhook_secrets_wipe(&ws);

	/* Secret configuration. */
	unsetenv("AUTHGATE_WEBHOOK_SECRET");
	unsetenv("AUTHGATE_WEBHOOK_SECRET_FILE");
	T_EQ_INT("wh-020", webhook_secrets_load(&ws, err, sizeof(err)), 0);
	T_EQ_INT("wh-021", ws.n, 0);
	T_EQ_INT("wh-022", load(&ws, "whsec_***notbase64***"), -1);
	T_CHECK("wh-023", strstr(err, "notbase64") == NULL);
	T_EQ_INT("wh-024", load(&ws, "a b c d e f g h i"), -1);	/* 9 > 8 */
	T_EQ_INT("wh-025", load(&ws, "a b c d e f g h"), 0);
	T_EQ_INT("wh-026", ws.n, 8);
	{
		char big[WEBHOOK_MAX_SECRET + 2];

		memset(big, 'x', sizeof(big) - 1);
		big[WEBHOOK_MAX_SECRET] = '\0';
		T_EQ_INT("wh-027", load(&ws, big), 0);	/* N */
		big[WEBHOOK_MAX_SECRET] = 'x';
		big[WEBHOOK_MAX_SECRET + 1] = '\0';
		T_EQ_INT("wh-028", load(&ws, big), -1);	/* N + 1 */
	}
	setenv("AUTHGATE_WEBHOOK_SECRET", "x", 1);
	setenv("AUTHGATE_WEBHOOK_SECRET_FILE", "/dev/null", 1);
	T_EQ_INT("wh-029", webhook_secrets_load(&ws, err, sizeof(err)), -1);
	unsetenv("AUTHGATE_WEBHOOK_SECRET");
	T_EQ_INT("wh-030", webhook_secrets_load(&ws, err, sizeof(err)), -1);	/* empty file */
	setenv("AUTHGATE_WEBHOOK_SECRET_FILE", "/nonexistent/secret", 1);
	T_EQ_INT("wh-031", webhook_secrets_load(&ws, err, sizeof(err)), -1);
	/* The file holds one secret per line, blanks and all: a secret with
	 * a space is one secret, never two weaker ones. */
	{
		const char *path = "tests/tmp/wh-secrets";
		FILE *f = fopen(path, "w");

		T_CHECK("wh-032", f != NULL);
		if (f != NULL) {
			fputs("correct horse battery\r\n\nwhsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n", f);
			fclose(f);
		}
		setenv("AUTHGATE_WEBHOOK_SECRET_FILE", path, 1);
		T_EQ_INT("wh-033", webhook_secrets_load(&ws, err, sizeof(err)), 0);
		T_EQ_INT("wh-034", (int)ws.n, 2);
		T_EQ_INT("wh-035", (int)ws.s[0].raw_n, 21);
		T_CHECK("wh-036", memcmp(ws.s[0].raw, "correct horse battery",
		    21) == 0);
		T_CHECK("wh-037", ws.s[1].sw_n > 0);
		webhook_secrets_wipe(&ws);
		/* the environment variable still splits on blanks */
		unsetenv("AUTHGATE_WEBHOOK_SECRET_FILE");
		setenv("AUTHGATE_WEBHOOK_SECRET", "one two", 1);
		T_EQ_INT("wh-038", webhook_secrets_load(&ws, err, sizeof(err)), 0);
		T_EQ_INT("wh-039", (int)ws.n, 2);
		unsetenv("AUTHGATE_WEBHOOK_SECRET");
		unlink(path);
	}
	unsetenv("AUTHGATE_WEBHOOK_SECRET_FILE");
	webhook_secrets_wipe(&ws);

	/* Verdict names are stable. */
	T_EQ_STR("wh-040", webhook_verdict_name(WEBHOOK_MISMATCH),
	    "signature_mismatch");
	T_EQ_STR("wh-041", webhook_verdict_name((enum webhook_verdict)99), "?");

	test_cluster();
	cJSON_Delete(root);
	free(json);
	return t_done("test_webhook");
}
