/*
 * webhook.c - signed deliveries from the identity provider.
 *
 * Trusts nothing until the signature over the raw bytes checks out
 * against a configured secret; even then every field is length- and
 * shape-checked before it reaches the store. Never logs a secret, a
 * signature, a body or any value from it except the event type and id.
 * Raw API keys are hashed on receipt and wiped with the body.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <openssl/sha.h>

#include "event.h"
#include "util.h"
#include "webhook.h"

static const char *const verdict_names[] = {
	"ok", "signature_missing", "signature_malformed",
	"timestamp_stale", "signature_mismatch"
};

const char *
webhook_verdict_name(enum webhook_verdict v)
{
	if ((size_t)v >= sizeof(verdict_names) / sizeof(verdict_names[0]))
		return "?";
	return verdict_names[v];
}

/* Adds one secret token (not NUL-terminated) to ws. */
static int
add_secret(struct webhook_secrets *ws, const char *t, size_t n, char *err,
    size_t errsz)
{
	struct webhook_secret *sec;
	const char *b = t;
	size_t bn = n;
	long dn;

	if (ws->n >= WEBHOOK_MAX_SECRETS) {
		snprintf(err, errsz, "more than %d webhook secrets",
		    WEBHOOK_MAX_SECRETS);
		return -1;
	}
	if (n > WEBHOOK_MAX_SECRET) {
		snprintf(err, errsz, "webhook secret %zu is longer than %d"
		    " bytes", ws->n + 1, WEBHOOK_MAX_SECRET);
		return -1;
	}
	sec = &ws->s[ws->n];
	memcpy(sec->raw, t, n);
	sec->raw_n = n;
	/* Standard Webhooks keys are base64 after an optional "whsec_". */
	if (bn > 6 && memcmp(b, "whsec_", 6) == 0) {
		b += 6;
		bn -= 6;
	}
	dn = util_b64_decode(b, bn, sec->sw, sizeof(sec->sw));
	sec->sw_n = dn > 0 ? (size_t)dn : 0;
	if (sec->sw_n == 0 && n > 6 && memcmp(t, "whsec_", 6) == 0) {
		snprintf(err, errsz, "webhook secret %zu starts with whsec_"
		    " but is not valid base64", ws->n + 1);
		OPENSSL_cleanse(sec, sizeof(*sec));
		return -1;
	}
	ws->n++;
	return 0;
}

/*
 * Adds each secret of a list: separated by blanks (the environment
 * variable, lines = 0), or one per line (the file, lines = 1: the whole
 * line but a trailing CR, so a secret may contain blanks). Empty entries
 * are skipped.
 */
static int
add_list(struct webhook_secrets *ws, const char *v, size_t n, int lines,
    char *err, size_t errsz)
{
	size_t i = 0, s, e;

	while (i < n) {
		if (!lines)
			while (i < n && strchr(" \t\r\n", v[i]) != NULL)
				i++;
		s = i;
		while (i < n && (lines ? v[i] != '\n' :
		    strchr(" \t\r\n", v[i]) == NULL))
			i++;
		e = i;
		if (lines && e > s && v[e - 1] == '\r')
			e--;
		if (e > s && add_secret(ws, v + s, e - s, err, errsz) != 0)
			return -1;
		if (lines && i < n)
			i++;	/* the newline */
	}
	return 0;
}

int
webhook_secrets_load(struct webhook_secrets *ws, char *err, size_t errsz)
{
	const char *v = getenv("AUTHGATE_WEBHOOK_SECRET");
	const char *f = getenv("AUTHGATE_WEBHOOK_SECRET_FILE");
	char buf[WEBHOOK_MAX_SECRETS * (WEBHOOK_MAX_SECRET + 2) + 1];
	FILE *fp;
	size_t n;
	int rc;

	memset(ws, 0, sizeof(*ws));
	if (v != NULL && *v != '\0' && f != NULL && *f != '\0') {
		snprintf(err, errsz, "set AUTHGATE_WEBHOOK_SECRET or"
		    " AUTHGATE_WEBHOOK_SECRET_FILE, not both");
		return -1;
	}
	if (v != NULL && *v != '\0')
		return add_list(ws, v, strlen(v), 0, err, errsz);
	if (f == NULL || *f == '\0')
		return 0;
	if ((fp = fopen(f, "re")) == NULL) {
		snprintf(err, errsz, "cannot read AUTHGATE_WEBHOOK_SECRET_FILE"
		    " %s", f);
		return -1;
	}
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	if (n == sizeof(buf) - 1) {
		OPENSSL_cleanse(buf, sizeof(buf));
		snprintf(err, errsz, "AUTHGATE_WEBHOOK_SECRET_FILE %s is too"
		    " large", f);
		return -1;
	}
	if (memchr(buf, '\0', n) != NULL) {
		OPENSSL_cleanse(buf, sizeof(buf));
		snprintf(err, errsz, "AUTHGATE_WEBHOOK_SECRET_FILE %s holds a NUL"
		    " byte", f);
		return -1;
	}
	rc = add_list(ws, buf, n, 1, err, errsz);
	OPENSSL_cleanse(buf, sizeof(buf));
	if (rc == 0 && ws->n == 0) {
		snprintf(err, errsz, "AUTHGATE_WEBHOOK_SECRET_FILE %s holds no"
		    " secret", f);
		return -1;
	}
	return rc;
}

void
webhook_secrets_wipe(struct webhook_secrets *ws)
{
	OPENSSL_cleanse(ws, sizeof(*ws));
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;	/* lowercase only, as the format says */
}

/* HMAC-SHA256 over up to three pieces. Returns 0 or -1. */
static int
mac3(const unsigned char *key, size_t kn, const char *a, size_t an,
    const char *b, size_t bn, const char *c, size_t cn, unsigned char out[32])
{
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *mc = mac != NULL ? EVP_MAC_CTX_new(mac) : NULL;
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string("digest", (char *)"SHA256", 0),
		OSSL_PARAM_construct_end()
	};
	size_t outl = 0;
	int ok;

	ok = mc != NULL && EVP_MAC_init(mc, key, kn, params) == 1 &&
	    EVP_MAC_update(mc, (const unsigned char *)a, an) == 1 &&
	    (bn == 0 || EVP_MAC_update(mc, (const unsigned char *)b, bn) == 1) &&
	    (cn == 0 || EVP_MAC_update(mc, (const unsigned char *)c, cn) == 1) &&
	    EVP_MAC_final(mc, out, &outl, 32) == 1 && outl == 32;
	EVP_MAC_CTX_free(mc);
	EVP_MAC_free(mac);
	return ok ? 0 : -1;
}

static enum webhook_verdict
verify_optare(const struct webhook_secrets *ws, const char *hdr,
    const char *body, size_t n)
{
	unsigned char want[32], got[32];
	enum webhook_verdict v = WEBHOOK_MISMATCH;
	size_t i;

	/* Invariant: the "sha256=" prefix and 64 lowercase hex digits. */
	if (strncmp(hdr, "sha256=", 7) != 0 || strlen(hdr) != 7 + 64)
		return WEBHOOK_MALFORMED;
	for (i = 0; i < 32; i++) {
		int hi = hexval(hdr[7 + 2 * i]), lo = hexval(hdr[8 + 2 * i]);
		if (hi < 0 || lo < 0)
			return WEBHOOK_MALFORMED;
		got[i] = (unsigned char)(hi << 4 | lo);
	}
	for (i = 0; i < ws->n && v != WEBHOOK_OK; i++) {
		if (mac3(ws->s[i].raw, ws->s[i].raw_n, body, n, NULL, 0, NULL,
		    0, want) != 0)
			continue;
		if (CRYPTO_memcmp(want, got, 32) == 0)
			v = WEBHOOK_OK;
	}
	OPENSSL_cleanse(want, sizeof(want));
	OPENSSL_cleanse(got, sizeof(got));
	return v;
}

static enum webhook_verdict
verify_standard(const struct webhook_secrets *ws,
    const struct webhook_headers *h, const char *body, size_t n,
    int64_t now_s)
{
	unsigned char want[32], got[33];
	enum webhook_verdict v = WEBHOOK_MISMATCH;
	const char *sig = h->signature;
	uint64_t ts;
	size_t i, idn, tsn, sn;

	if (h->id == NULL || h->timestamp == NULL || sig == NULL)
		return WEBHOOK_NO_SIGNATURE;
	idn = strlen(h->id);
	tsn = strlen(h->timestamp);
	sn = strlen(sig);
	if (idn == 0 || idn > WEBHOOK_MAX_EVENT_ID || sn > WEBHOOK_MAX_SIG_HEADER ||
	    util_parse_u64(h->timestamp, tsn, &ts) != 0)
		return WEBHOOK_MALFORMED;
	if ((int64_t)ts < now_s - WEBHOOK_TOLERANCE_S ||
	    (int64_t)ts > now_s + WEBHOOK_TOLERANCE_S)
		return WEBHOOK_STALE;

	for (i = 0; i < ws->n; i++) {
		size_t p = 0;

		if (ws->s[i].sw_n == 0)
			continue;
		/* content = id "." timestamp "." body, pieces hashed in turn */
		{
			char idts[WEBHOOK_MAX_EVENT_ID + 32];
			int k = snprintf(idts, sizeof(idts), "%s.%s.", h->id,
			    h->timestamp);
			if (k < 0 || (size_t)k >= sizeof(idts) ||
			    mac3(ws->s[i].sw, ws->s[i].sw_n, idts, (size_t)k,
			    body, n, NULL, 0, want) != 0)
				continue;
		}
		/* "v1,<b64> v1,<b64> ...": unknown versions are skipped */
		while (p < sn) {
			size_t s, e;

			while (p < sn && sig[p] == ' ')
				p++;
			s = p;
			while (p < sn && sig[p] != ' ')
				p++;
			e = p;
			if (e - s < 4 || strncmp(sig + s, "v1,", 3) != 0)
				continue;
			if (util_b64_decode(sig + s + 3, e - s - 3, got,
			    sizeof(got)) != 32)
				continue;
			if (CRYPTO_memcmp(want, got, 32) == 0) {
				v = WEBHOOK_OK;
				break;
			}
		}
		if (v == WEBHOOK_OK)
			break;
	}
	OPENSSL_cleanse(want, sizeof(want));
	OPENSSL_cleanse(got, sizeof(got));
	return v;
}

void
webhook_headers_read(struct webhook_headers *h, webhook_param_fn get,
    void *ctx)
{
	memset(h, 0, sizeof(*h));
	h->optare_signature = get(ctx, "HTTP_X_OPTARE_SIGNATURE");
	h->event = get(ctx, "HTTP_X_OPTARE_EVENT");
	if (get(ctx, "HTTP_SVIX_ID") != NULL) {
		h->id = get(ctx, "HTTP_SVIX_ID");
		h->timestamp = get(ctx, "HTTP_SVIX_TIMESTAMP");
		h->signature = get(ctx, "HTTP_SVIX_SIGNATURE");
	} else {
		h->id = get(ctx, "HTTP_WEBHOOK_ID");
		h->timestamp = get(ctx, "HTTP_WEBHOOK_TIMESTAMP");
		h->signature = get(ctx, "HTTP_WEBHOOK_SIGNATURE");
	}
}

enum webhook_verdict
webhook_verify(const struct webhook_secrets *ws,
    const struct webhook_headers *h, const char *body, size_t n,
    int64_t now_s)
{
	if (h->optare_signature != NULL)
		return verify_optare(ws, h->optare_signature, body, n);
	return verify_standard(ws, h, body, n, now_s);
}

static void
result(struct webhook_result *r, int status, const char *reason,
    const char *message)
{
	r->status = status;
	r->reason = reason;
	snprintf(r->message, sizeof(r->message), "%s", message);
}

/*
 * The part of a delivery after its bytes are verified: parse, choose the
 * type and event id, check the body's age, normalize, apply. type_hdr is
 * a signed or body-checked type (may be NULL), signed_id an id the
 * signature covered (NULL: the body's id, else its hash); need_time says
 * the signature covered no time, so the body must carry one. Fills r.
 */
static void
apply_verified(webhook_store_fn open_store, void *store_ctx,
    const char *type_hdr, const char *signed_id, int need_time,
    const char *body, size_t n, struct webhook_result *r)
{
	struct store *s;
	unsigned char digest[SHA256_DIGEST_LENGTH];
	const cJSON *t, *data;
	struct event_norm nm;
	cJSON *root = NULL;
	const char *type = NULL;
	enum store_kind kind;
	enum store_action action;
	int64_t ems = 0, now_ms = util_now_ms();
	int rc, has_ems, found = 0;

	memset(&nm, 0, sizeof(nm));
	root = cJSON_ParseWithLength(body, n);
	if (!cJSON_IsObject(root)) {
		result(r, 400, "json_malformed", "Bad Request - malformed JSON");
		goto out;
	}
	if (cJSON_IsString(t = cJSON_GetObjectItemCaseSensitive(root,
	    "type")) || cJSON_IsString(t = cJSON_GetObjectItemCaseSensitive(
	    root, "event")))
		type = t->valuestring;
	if (type_hdr != NULL && type_hdr[0] != '\0') {
		/* Invariant: the unsigned X-Optare-Event header may name the
		 * type only where the signed body does not contradict it. */
		if (type != NULL && strcmp(type, type_hdr) != 0) {
			result(r, 400, "type_mismatch", "Bad Request -"
			    " X-Optare-Event differs from the body's type");
			goto out;
		}
		type = type_hdr;
	}
	if (type == NULL || strlen(type) >= sizeof(r->type) ||
	    !util_header_value_ok(type, strlen(type))) {
		result(r, 400, "type_missing", "Bad Request - event type"
		    " missing");
		goto out;
	}
	memcpy(r->type, type, strlen(type) + 1);

	/* Event id: the signed header, else the body's id, else its hash. */
	if (signed_id != NULL) {
		if (strlen(signed_id) > WEBHOOK_MAX_EVENT_ID ||
		    !util_header_value_ok(signed_id, strlen(signed_id)) ||
		    util_copy(r->id, sizeof(r->id), signed_id,
		    strlen(signed_id)) != 0) {
			result(r, 400, "id_malformed", "Bad Request - event id");
			goto out;
		}
	} else if (cJSON_IsString(t = cJSON_GetObjectItemCaseSensitive(root,
	    "id")) && t->valuestring[0] != '\0' &&
	    strlen(t->valuestring) <= WEBHOOK_MAX_EVENT_ID &&
	    util_header_value_ok(t->valuestring, strlen(t->valuestring))) {
		memcpy(r->id, t->valuestring, strlen(t->valuestring) + 1);
	} else {
		SHA256((const unsigned char *)body, n, digest);
		memcpy(r->id, "sha256:", 7);
		util_hex(digest, 24, r->id + 7);
	}

	/* Invariant: no delivery older than the event log's window is
	 * applied, so a replay cannot outlive the record of its event id.
	 * Optare signatures cover no time of their own: the body's must. */
	has_ems = event_time(root, &ems);
	if (!has_ems && need_time) {
		result(r, 400, "timestamp_missing", "Bad Request - an"
		    " Optare-signed event needs a timestamp");
		goto out;
	}
	if (has_ems && ems < now_ms - STORE_RETENTION_MS) {
		result(r, 400, "event_too_old", "Bad Request - event older"
		    " than the replay window (7 days)");
		goto out;
	}

	if ((found = event_catalog(type, &kind, &action)) == 1) {
		data = cJSON_GetObjectItemCaseSensitive(root, "data");
		if (event_normalize(&nm, kind, action, data, ems,
		    has_ems) != 0) {
			char msg[96];

			snprintf(msg, sizeof(msg), "Bad Request - invalid or"
			    " missing field %s", nm.bad);
			result(r, 400, "event_malformed", msg);
			goto out;
		}
	}
	if ((s = open_store(store_ctx)) == NULL) {
		result(r, 503, "store_unavailable", "Service Unavailable -"
		    " store unavailable");
		goto out;
	}
	rc = store_apply_event(s, r->id, r->type, found ? &nm.o : NULL,
	    &r->outcome);
	if (rc == 0) {
		result(r, 200, found ? "ok" : "unknown_type", "");
	} else if (rc == -3) {
		result(r, 400, "event_rejected", "Bad Request - the event"
		    " breaks a store constraint (missing field?)");
	} else if (rc == -2) {
		result(r, 503, "store_busy", "Service Unavailable - store"
		    " busy, retry");
	} else {
		result(r, 503, "store_error", "Service Unavailable - store"
		    " error, retry");
	}
out:
	event_norm_free(&nm);
	cJSON_Delete(root);
}

void
webhook_handle(const struct webhook_secrets *ws, webhook_store_fn open_store,
    void *store_ctx, const struct webhook_headers *h, char *body, size_t n,
    struct webhook_result *r)
{
	webhook_handle_pub(ws, open_store, store_ctx, NULL, NULL, h, body, n,
	    r);
}

void
webhook_handle_pub(const struct webhook_secrets *ws,
    webhook_store_fn open_store, void *store_ctx, webhook_publish_fn pub,
    void *pub_ctx, const struct webhook_headers *h, char *body, size_t n,
    struct webhook_result *r)
{
	enum webhook_verdict v;

	memset(r, 0, sizeof(*r));
	result(r, 503, "internal", "Service Unavailable - internal error");
	if (ws->n == 0) {
		result(r, 503, "no_secret", "Service Unavailable - webhook"
		    " secret not configured");
		goto out;
	}
	v = webhook_verify(ws, h, body, n, util_now_ms() / 1000);
	if (v != WEBHOOK_OK) {
		result(r, 400, webhook_verdict_name(v), v == WEBHOOK_STALE ?
		    "Bad Request - timestamp outside tolerance" :
		    "Bad Request - invalid signature");
		goto out;
	}
	/* Verified: now, and only now, parse. webhook_verify took the
	 * webhook-id only at most WEBHOOK_MAX_EVENT_ID. */
	apply_verified(open_store, store_ctx, h->event,
	    h->id != NULL && h->optare_signature == NULL ? h->id : NULL,
	    h->optare_signature != NULL, body, n, r);
	/* Invariant: a 2xx with publishing on means "in the stream too";
	 * a duplicate is published again (the stream deduplicates by id),
	 * so an earlier commit whose publish failed is completed now. */
	if (r->status == 200 && pub != NULL &&
	    pub(pub_ctx, r->id, r->type, body, n) != 0)
		result(r, 503, "stream_unavailable", "Service Unavailable -"
		    " event stream unavailable, retry");
out:
	/* Invariant: the body (tokens, raw keys) does not outlive us. */
	OPENSSL_cleanse(body, n);
}

/* The bytes a cluster signature covers; see webhook.h. */
static int
cluster_mac(const unsigned char *key, size_t kn, const char *id,
    const char *type, const char *body, size_t n, unsigned char out[32])
{
	char head[WEBHOOK_MAX_EVENT_ID + 128];
	int k;

	if (!util_header_value_ok(id, strlen(id)) ||
	    !util_header_value_ok(type, strlen(type)))
		return -1;
	k = snprintf(head, sizeof(head), "%s\n%s\n%s\n", WEBHOOK_CLUSTER_V1,
	    id, type);
	if (k < 0 || (size_t)k >= sizeof(head))
		return -1;
	return mac3(key, kn, head, (size_t)k, body, n, NULL, 0, out);
}

int
webhook_cluster_sign(const unsigned char *key, size_t kn, const char *id,
    const char *type, const char *body, size_t n,
    char out[WEBHOOK_CLUSTER_SIG_LEN + 1])
{
	unsigned char mac[32];

	if (kn == 0 || cluster_mac(key, kn, id, type, body, n, mac) != 0)
		return -1;
	memcpy(out, "v1=", 3);
	util_hex(mac, 32, out + 3);
	out[WEBHOOK_CLUSTER_SIG_LEN] = '\0';
	OPENSSL_cleanse(mac, sizeof(mac));
	return 0;
}

enum webhook_verdict
webhook_cluster_verify(const unsigned char *key, size_t kn, const char *id,
    const char *type, const char *sig, const char *body, size_t n)
{
	unsigned char want[32], got[32];
	enum webhook_verdict v = WEBHOOK_MISMATCH;
	size_t i;

	if (id == NULL || type == NULL || sig == NULL)
		return WEBHOOK_NO_SIGNATURE;
	if (strlen(sig) != WEBHOOK_CLUSTER_SIG_LEN ||
	    strncmp(sig, "v1=", 3) != 0 || id[0] == '\0' ||
	    strlen(id) > WEBHOOK_MAX_EVENT_ID || type[0] == '\0' ||
	    strlen(type) >= 64)
		return WEBHOOK_MALFORMED;
	for (i = 0; i < 32; i++) {
		int hi = hexval(sig[3 + 2 * i]), lo = hexval(sig[4 + 2 * i]);
		if (hi < 0 || lo < 0)
			return WEBHOOK_MALFORMED;
		got[i] = (unsigned char)(hi << 4 | lo);
	}
	if (kn == 0 || cluster_mac(key, kn, id, type, body, n, want) != 0)
		v = WEBHOOK_MALFORMED;
	else if (CRYPTO_memcmp(want, got, 32) == 0)
		v = WEBHOOK_OK;
	OPENSSL_cleanse(want, sizeof(want));
	OPENSSL_cleanse(got, sizeof(got));
	return v;
}

void
webhook_follow(const unsigned char *key, size_t kn,
    webhook_store_fn open_store, void *store_ctx, const char *id,
    const char *type, const char *sig, char *body, size_t n,
    struct webhook_result *r)
{
	enum webhook_verdict v;

	memset(r, 0, sizeof(*r));
	result(r, 503, "internal", "Service Unavailable - internal error");
	v = webhook_cluster_verify(key, kn, id, type, sig, body, n);
	if (v != WEBHOOK_OK) {
		result(r, 400, webhook_verdict_name(v), "invalid cluster"
		    " signature");
		goto out;
	}
	/* Verified by the cluster key: the id and type are signed. The
	 * original delivery's time was checked where it was received. */
	apply_verified(open_store, store_ctx, type, id, 0, body, n, r);
out:
	OPENSSL_cleanse(body, n);
}
