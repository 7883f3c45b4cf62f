/*
 * reference.c - the reference decision (see reference.h): the yardstick
 * authz_decide is measured against in tests/bench/bench_decide.c.
 *
 * Trusts the database's shape (the benchmark built it). Written the
 * plain way a careful programmer would, without tuning: parse, verify,
 * one SELECT, copy out. Never logs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <sqlite3.h>

#include "reference.h"

#define COOKIE_NAME	"better-auth.session_token="
#define MAX_VALUE	512	/* a decoded TOKEN.SIG; better-auth's are ~77 */
#define SIG_B64		44	/* padded base64 of 32 bytes */

struct ref {
	sqlite3		*db;
	sqlite3_stmt	*session;
	sqlite3_stmt	*apikey;
	unsigned char	 secret[REF_MAX_SECRET];
	size_t		 secret_n;
};

static const char sql_session[] =
    "SELECT u.id, u.email, u.name, u.banned, o.id, o.slug, m.role"
    " FROM session s JOIN \"user\" u ON u.id = s.userId"
    " LEFT JOIN organization o ON o.id = s.activeOrganizationId"
    " LEFT JOIN member m ON m.organizationId = s.activeOrganizationId"
    "  AND m.userId = s.userId"
    " WHERE s.token = ?1 AND s.expiresAt > ?2";
static const char sql_apikey[] =
    "SELECT u.id, u.email, u.name, u.banned, o.id, o.slug, m.role"
    " FROM apikey k JOIN \"user\" u ON u.id = k.referenceId"
    " LEFT JOIN organization o"
    "  ON o.id = json_extract(k.metadata, '$.organizationId')"
    " LEFT JOIN member m ON m.organizationId = o.id AND m.userId = u.id"
    " WHERE k.key = ?1 AND k.enabled = 1"
    "  AND (k.expiresAt IS NULL OR k.expiresAt > ?2)";

struct ref *
ref_open(const char *path, const unsigned char *secret, size_t secret_n)
{
	struct ref *r;

	if (secret_n > REF_MAX_SECRET || (r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	memcpy(r->secret, secret, secret_n);
	r->secret_n = secret_n;
	if (sqlite3_open_v2(path, &r->db, SQLITE_OPEN_READONLY, NULL) !=
	    SQLITE_OK ||
	    sqlite3_prepare_v3(r->db, sql_session, -1,
	    SQLITE_PREPARE_PERSISTENT, &r->session, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v3(r->db, sql_apikey, -1,
	    SQLITE_PREPARE_PERSISTENT, &r->apikey, NULL) != SQLITE_OK) {
		fprintf(stderr, "reference: %s: %s\n", path,
		    r->db ? sqlite3_errmsg(r->db) : "no memory");
		ref_close(r);
		return NULL;
	}
	return r;
}

void
ref_close(struct ref *r)
{
	if (r == NULL)
		return;
	sqlite3_finalize(r->session);
	sqlite3_finalize(r->apikey);
	sqlite3_close(r->db);
	OPENSSL_cleanse(r->secret, sizeof(r->secret));
	free(r);
}

/* Now as ISO-8601 text with milliseconds, better-auth's date form. */
static void
now_iso(char out[32])
{
	struct timespec ts;
	struct tm tm;
	size_t n;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + n, 32 - n, ".%03ldZ", ts.tv_nsec / 1000000);
}

static void
copy_col(sqlite3_stmt *st, int i, char *out)
{
	const unsigned char *v = sqlite3_column_text(st, i);
	int n = sqlite3_column_bytes(st, i);

	if (v == NULL || n >= REF_MAX_FIELD)
		n = 0;
	memcpy(out, v ? (const char *)v : "", (size_t)n);
	out[n] = '\0';
}

/* Binds the credential and now, steps once, copies the identity out. */
static int
lookup(sqlite3_stmt *st, const char *cred, size_t n, struct ref_identity *id)
{
	char now[32];
	int rc, status = 503;

	now_iso(now);
	if (sqlite3_bind_text(st, 1, cred, (int)n, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(st, 2, now, -1, SQLITE_STATIC) != SQLITE_OK)
		goto out;
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		status = 401;
	} else if (rc == SQLITE_ROW) {
		if (sqlite3_column_int(st, 3) != 0) {
			status = 401;	/* banned */
			goto out;
		}
		copy_col(st, 0, id->user_id);
		copy_col(st, 1, id->email);
		copy_col(st, 2, id->name);
		copy_col(st, 4, id->org_id);
		copy_col(st, 5, id->org_slug);
		copy_col(st, 6, id->role);
		status = 200;
	}
out:
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return status;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
ref_session(struct ref *r, const char *cookie, size_t n,
    struct ref_identity *id)
{
	char v[MAX_VALUE];
	unsigned char mac[EVP_MAX_MD_SIZE], sig[48];
	unsigned int macn = 0;
	const char *p, *end = cookie + n, *dot = NULL;
	size_t vn = 0, tn;
	int hi, lo;

	/* Find the cookie at the start or after "; ". */
	for (p = cookie; p + sizeof(COOKIE_NAME) - 1 <= end; p++) {
		if ((p == cookie || p[-1] == ' ' || p[-1] == ';') &&
		    memcmp(p, COOKIE_NAME, sizeof(COOKIE_NAME) - 1) == 0)
			break;
	}
	if (p + sizeof(COOKIE_NAME) - 1 > end)
		return 401;
	for (p += sizeof(COOKIE_NAME) - 1; p < end && *p != ';'; p++) {
		if (vn == sizeof(v) - 1)
			return 401;
		if (*p == '%' && end - p > 2 && (hi = hexval(p[1])) >= 0 &&
		    (lo = hexval(p[2])) >= 0) {
			v[vn++] = (char)(hi << 4 | lo);
			p += 2;
		} else
			v[vn++] = *p;
	}
	v[vn] = '\0';
	if ((dot = strrchr(v, '.')) == NULL || vn - (size_t)(dot + 1 - v) !=
	    SIG_B64)
		return 401;
	tn = (size_t)(dot - v);
	if (EVP_DecodeBlock(sig, (const unsigned char *)dot + 1, SIG_B64) != 33 ||
	    HMAC(EVP_sha256(), r->secret, (int)r->secret_n,
	    (const unsigned char *)v, tn, mac, &macn) == NULL || macn != 32 ||
	    CRYPTO_memcmp(mac, sig, 32) != 0)
		return 401;
	return lookup(r->session, v, tn, id);
}

int
ref_apikey(struct ref *r, const char *key, size_t n, struct ref_identity *id)
{
	unsigned char d[SHA256_DIGEST_LENGTH];
	char b64[48];
	int len, i;

	if (n == 0 || n > 256 || SHA256((const unsigned char *)key, n, d) ==
	    NULL)
		return 401;
	len = EVP_EncodeBlock((unsigned char *)b64, d, sizeof(d));
	while (len > 0 && b64[len - 1] == '=')
		len--;
	for (i = 0; i < len; i++) {
		if (b64[i] == '+')
			b64[i] = '-';
		else if (b64[i] == '/')
			b64[i] = '_';
	}
	return lookup(r->apikey, b64, (size_t)len, id);
}
