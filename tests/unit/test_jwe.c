/*
 * test_jwe.c - unit tests for src/jwe.c (stateless session cookies) and
 * req_cookie_chunked (src/request.c).
 *
 * Known answers: HKDF from RFC 5869 appendix A (cases 1 and 3),
 * AES-256-GCM from McGrew and Viega's GCM paper (test case 14),
 * A256CBC-HS512 from RFC 7518 appendix B.3. Tokens come from the real
 * libraries (tests/vectors/authjs/vectors.json, made by next-auth 4,
 * @auth/core and better-auth). Case ids are stable.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <openssl/hmac.h>

#include "harness.h"
#include "jwe.h"
#include "request.h"

#define VECTORS	"tests/vectors/authjs/vectors.json"
#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))
#define V4_INFO	"NextAuth.js Generated Encryption Key"
#define BA_INFO	"BetterAuth.js Generated Encryption Key"

static size_t
unhex(const char *h, unsigned char *out, size_t outsz)
{
	size_t n = 0;
	unsigned v;

	while (*h != '\0') {
		if (*h == ' ') {
			h++;
			continue;
		}
		if (n == outsz || sscanf(h, "%2x", &v) != 1)
			return 0;
		out[n++] = (unsigned char)v;
		h += 2;
	}
	return n;
}

static void
tohex(const unsigned char *in, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", in[i]);
	out[2 * n] = '\0';
}

static size_t
b64url(const unsigned char *in, size_t n, char *out, size_t outsz)
{
	return util_b64_encode(in, n, out, outsz, 1);
}

/* ---- base64url ------------------------------------------------------ */

static void
test_b64url(void)
{
	static const struct {
		const char *id, *in;
		long want;
		const char *hex;
	} c[] = {
		{ "b64u-001", "", 0, "" },
		{ "b64u-002", "QQ", 1, "41" },
		{ "b64u-003", "QUI", 2, "4142" },
		{ "b64u-004", "QUJD", 3, "414243" },
		{ "b64u-005", "-_8", 2, "fbff" },
		{ "b64u-006", "QR", -1, NULL },		/* non-canonical bits */
		{ "b64u-007", "Q", -1, NULL },		/* no byte ends there */
		{ "b64u-008", "QQ==", -1, NULL },	/* padding refused */
		{ "b64u-009", "+/8", -1, NULL },	/* standard alphabet */
		{ "b64u-010", "QU.J", -1, NULL },
	};
	unsigned char out[16];
	char hex[40];
	size_t i;
	long n;

	for (i = 0; i < NELEM(c); i++) {
		n = jwe_b64url_decode(c[i].in, strlen(c[i].in), out,
		    sizeof(out));
		T_EQ_INT(c[i].id, n, c[i].want);
		if (n >= 0 && c[i].hex != NULL) {
			tohex(out, (size_t)n, hex);
			T_EQ_STR(c[i].id, hex, c[i].hex);
		}
	}
	T_EQ_INT("b64u-011", jwe_b64url_decode("QUJD", 4, out, 2), -1);
}

/* ---- HKDF ----------------------------------------------------------- */

static void
test_hkdf(void)
{
	unsigned char ikm[22], salt[13], info[10], okm[42];
	char hex[85];
	size_t i;

	memset(ikm, 0x0b, sizeof(ikm));
	for (i = 0; i < sizeof(salt); i++)
		salt[i] = (unsigned char)i;
	for (i = 0; i < sizeof(info); i++)
		info[i] = (unsigned char)(0xf0 + i);
	T_EQ_INT("hkdf-001", jwe_hkdf_sha256(ikm, 22, salt, 13, info, 10, okm,
	    42), 0);
	tohex(okm, 42, hex);
	T_EQ_STR("hkdf-001", hex, "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a"
	    "5a4c5db02d56ecc4c5bf34007208d5b887185865");
	/* case 3: no salt, no info (NextAuth v4 uses salt "") */
	T_EQ_INT("hkdf-002", jwe_hkdf_sha256(ikm, 22, NULL, 0, NULL, 0, okm,
	    42), 0);
	tohex(okm, 42, hex);
	T_EQ_STR("hkdf-002", hex, "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1"
	    "879ec3454e5f3c738d2d9d201395faa4b61a96c8");
	T_EQ_INT("hkdf-003", jwe_hkdf_sha256(ikm, 22, NULL, 0, NULL, 0, okm,
	    0), -1);
}

/* ---- AES-256-GCM ---------------------------------------------------- */

static void
test_gcm(void)
{
	unsigned char key[32] = { 0 }, iv[12] = { 0 }, ct[16], tag[16],
	    out[16], zero[16] = { 0 };
	char id[32];
	size_t i;

	(void)unhex("cea7403d4d606b6e074ec5d3baf39d18", ct, sizeof(ct));
	(void)unhex("d0d1c8a799996bf0265b98b5d48ab919", tag, sizeof(tag));
	T_EQ_INT("gcm-001", jwe_a256gcm_decrypt(key, iv, NULL, 0, ct, 16, tag,
	    out), 0);
	T_CHECK("gcm-001", memcmp(out, zero, 16) == 0);
	for (i = 0; i < 16; i++) {
		tag[i] ^= 0x01;
		snprintf(id, sizeof(id), "gcm-002-tag%02zu", i);
		memset(out, 0xee, sizeof(out));
		T_EQ_INT(id, jwe_a256gcm_decrypt(key, iv, NULL, 0, ct, 16, tag,
		    out), 1);
		T_CHECK(id, memcmp(out, zero, 16) == 0);	/* wiped */
		tag[i] ^= 0x01;
	}
	ct[3] ^= 0x80;
	T_EQ_INT("gcm-003", jwe_a256gcm_decrypt(key, iv, NULL, 0, ct, 16, tag,
	    out), 1);
	ct[3] ^= 0x80;
	T_EQ_INT("gcm-004", jwe_a256gcm_decrypt(key, iv, (const unsigned char
	    *)"x", 1, ct, 16, tag, out), 1);	/* AAD counts */
}

/* ---- A256CBC-HS512: RFC 7518 B.3 ------------------------------------ */

static void
test_cbc(void)
{
	static const char p[] = "A cipher system must not be required to be"
	    " secret, and it must be able to fall into the hands of the enemy"
	    " without inconvenience";
	static const char a[] = "The second principle of Auguste Kerckhoffs";
	unsigned char key[64], iv[16], ct[160], tag[32], out[160];
	size_t i, on, ctn;
	char id[32];

	for (i = 0; i < 64; i++)
		key[i] = (unsigned char)i;
	(void)unhex("1a f3 8c 2d c2 b9 6f fd d8 66 94 09 23 41 bc 04", iv, 16);
	ctn = unhex("4a ff aa ad b7 8c 31 c5 da 4b 1b 59 0d 10 ff bd"
	    "3d d8 d5 d3 02 42 35 26 91 2d a0 37 ec bc c7 bd"
	    "82 2c 30 1d d6 7c 37 3b cc b5 84 ad 3e 92 79 c2"
	    "e6 d1 2a 13 74 b7 7f 07 75 53 df 82 94 10 44 6b"
	    "36 eb d9 70 66 29 6a e6 42 7e a7 5c 2e 08 46 a1"
	    "1a 09 cc f5 37 0d c8 0b fe cb ad 28 c7 3f 09 b3"
	    "a3 b7 5e 66 2a 25 94 41 0a e4 96 b2 e2 e6 60 9e"
	    "31 e6 e0 2c c8 37 f0 53 d2 1f 37 ff 4f 51 95 0b"
	    "be 26 38 d0 9d d7 a4 93 09 30 80 6d 07 03 b1 f6", ct, sizeof(ct));
	(void)unhex("4d d3 b4 c0 88 a7 f4 5c 21 68 39 64 5b 20 12 bf"
	    "2e 62 69 a8 c5 6a 81 6d bc 1b 26 77 61 95 5b c5", tag, 32);
	T_EQ_INT("cbc-000", ctn, 144);
	T_EQ_INT("cbc-001", jwe_a256cbc_hs512_decrypt(key, iv,
	    (const unsigned char *)a, strlen(a), ct, ctn, tag, out, &on), 0);
	T_EQ_INT("cbc-001", on, strlen(p));
	T_CHECK("cbc-001", on == strlen(p) && memcmp(out, p, on) == 0);
	for (i = 0; i < 32; i++) {
		tag[i] ^= 0x40;
		snprintf(id, sizeof(id), "cbc-002-tag%02zu", i);
		T_EQ_INT(id, jwe_a256cbc_hs512_decrypt(key, iv,
		    (const unsigned char *)a, strlen(a), ct, ctn, tag, out,
		    &on), 1);
		T_EQ_INT(id, on, 0);
		tag[i] ^= 0x40;
	}
	iv[0] ^= 1;
	T_EQ_INT("cbc-003", jwe_a256cbc_hs512_decrypt(key, iv,
	    (const unsigned char *)a, strlen(a), ct, ctn, tag, out, &on), 1);
	iv[0] ^= 1;
	T_EQ_INT("cbc-004", jwe_a256cbc_hs512_decrypt(key, iv,
	    (const unsigned char *)a, strlen(a) - 1, ct, ctn, tag, out, &on),
	    1);
	T_EQ_INT("cbc-007", jwe_self_test(), 0);
	T_EQ_INT("cbc-005", jwe_a256cbc_hs512_decrypt(key, iv,
	    (const unsigned char *)a, strlen(a), ct, ctn - 1, tag, out, &on),
	    1);	/* not whole blocks */
	key[0] ^= 1;	/* the MAC half */
	T_EQ_INT("cbc-006", jwe_a256cbc_hs512_decrypt(key, iv,
	    (const unsigned char *)a, strlen(a), ct, ctn, tag, out, &on), 1);
}

/* ---- tokens from the real libraries -------------------------------- */

static cJSON *vec;
static struct jwe_key keys[16];
static size_t nkeys;

static const char *
secret(const char *name)
{
	const cJSON *s = cJSON_GetObjectItem(cJSON_GetObjectItem(vec,
	    "secrets"), name);

	return cJSON_IsString(s) ? s->valuestring : "";
}

/* The keys authgate derives for a cookie name, with these secrets. */
static void
keys_for(const char *cookie, const char *const *secrets, size_t nsec)
{
	char info[160];
	size_t i;
	int v4 = strstr(cookie, "next-auth") != NULL;

	nkeys = 0;
	for (i = 0; i < nsec; i++) {
		const unsigned char *s = (const unsigned char *)secrets[i];

		if (v4) {
			if (jwe_key_derive(&keys[nkeys], JWE_ENC_A256GCM, s,
			    strlen(secrets[i]), "", V4_INFO) == 0)
				nkeys++;
			continue;
		}
		snprintf(info, sizeof(info), "Auth.js Generated Encryption Key"
		    " (%s)", cookie);
		if (jwe_key_derive(&keys[nkeys], JWE_ENC_A256CBC_HS512, s,
		    strlen(secrets[i]), cookie, info) == 0)
			nkeys++;
		if (jwe_key_derive(&keys[nkeys], JWE_ENC_A256GCM, s,
		    strlen(secrets[i]), cookie, info) == 0)
			nkeys++;
	}
}

static enum jwe_rc
open_token(const char *tok, size_t n, struct jwe_claims *c)
{
	char plain[JWE_MAX_PLAIN + 1];
	size_t pn;
	enum jwe_rc rc;

	rc = jwe_decrypt(tok, n, keys, nkeys, plain, sizeof(plain), &pn);
	if (rc != JWE_OK)
		return rc;
	return jwe_claims_parse(plain, pn, util_now_ms(), c);
}

static const char *
str(const cJSON *o, const char *k)
{
	const cJSON *m = cJSON_GetObjectItem(o, k);

	return cJSON_IsString(m) ? m->valuestring : "";
}

static void
test_vectors(void)
{
	const char *sec[2];
	const cJSON *c;
	struct jwe_claims cl;
	enum jwe_rc rc;
	char id[64];
	int n = 0;

	cJSON_ArrayForEach(c, cJSON_GetObjectItem(vec, "authjs")) {
		const char *cookie = str(c, "cookie"), *v = str(c, "value");

		if (strstr(cookie, "next-auth") != NULL) {
			sec[0] = secret("NEXTAUTH_SECRET");
			keys_for(cookie, sec, 1);
		} else {
			sec[0] = secret("AUTH_SECRET");
			sec[1] = secret("AUTH_SECRET_1");
			keys_for(cookie, sec, 2);
		}
		rc = open_token(v, strlen(v), &cl);
		snprintf(id, sizeof(id), "vec-%s", str(c, "id"));
		if (strcmp(str(c, "expect"), "allow") == 0) {
			T_EQ_STR(id, jwe_rc_name(rc), "ok");
			T_EQ_STR(id, cl.sub, str(c, "user_id"));
			T_EQ_STR(id, cl.email, str(c, "email"));
			T_EQ_STR(id, cl.name, str(c, "name"));
			T_EQ_STR(id, cl.jti, str(c, "jti"));
		} else {
			T_EQ_STR(id, jwe_rc_name(rc), str(c, "reason"));
		}
		n++;
	}
	T_CHECK("vec-count", n >= 13);
}

/* A vector's token by id. */
static const char *
token(const char *id)
{
	const cJSON *c;

	cJSON_ArrayForEach(c, cJSON_GetObjectItem(vec, "authjs"))
		if (strcmp(str(c, "id"), id) == 0)
			return str(c, "value");
	return "";
}

/* Replaces part k (0-4) of a compact JWE with repl into out. */
static void
swap_part(const char *tok, int k, const char *repl, char *out, size_t outsz)
{
	const char *p = tok, *e;
	size_t o = 0;
	int i;

	for (i = 0; i < 5; i++) {
		e = strchr(p, '.');
		if (e == NULL)
			e = p + strlen(p);
		if (i > 0)
			o += (size_t)snprintf(out + o, outsz - o, ".");
		if (i == k)
			o += (size_t)snprintf(out + o, outsz - o, "%s", repl);
		else
			o += (size_t)snprintf(out + o, outsz - o, "%.*s",
			    (int)(e - p), p);
		p = *e ? e + 1 : e;
	}
}

static void
test_tamper(void)
{
	static const char *const heads[][2] = {
		{ "hdr-001", "{\"alg\":\"A256KW\",\"enc\":\"A256GCM\"}" },
		{ "hdr-002", "{\"alg\":\"dir\",\"enc\":\"A128GCM\"}" },
		{ "hdr-003", "{\"alg\":\"dir\",\"enc\":\"A256GCM\",\"zip\":\"DEF\"}" },
		{ "hdr-004", "{\"alg\":\"dir\",\"enc\":\"A256GCM\",\"crit\":[\"exp\"]}" },
		{ "hdr-005", "{\"alg\":\"none\",\"enc\":\"A256GCM\"}" },
		{ "hdr-006", "{\"alg\":\"dir\",\"alg\":\"dir\",\"enc\":\"A256GCM\"}" },
		{ "hdr-007", "{\"enc\":\"A256GCM\"}" },
		{ "hdr-008", "{\"alg\":\"dir\"}" },
		{ "hdr-009", "{\"alg\":\"HS256\",\"enc\":\"A256GCM\"}" },
		{ "hdr-010", "{\"alg\":\"dir\",\"enc\":\"A256CBC-HS256\"}" },
	};
	const char *sec[1] = { secret("NEXTAUTH_SECRET") };
	const char *v4 = token("v4-alice"), *v5 = token("v5-bob");
	char buf[JWE_MAX_TOKEN + 8], b64[256], id[48];
	unsigned char tag[32];
	struct jwe_claims cl;
	const char *dot;
	size_t i, n;
	long tn;
	enum jwe_rc rc;

	keys_for("next-auth.session-token", sec, 1);
	T_EQ_STR("tamper-000", jwe_rc_name(open_token(v4, strlen(v4), &cl)),
	    "ok");
	for (i = 0; i < NELEM(heads); i++) {
		n = b64url((const unsigned char *)heads[i][1],
		    strlen(heads[i][1]), b64, sizeof(b64));
		T_CHECK(heads[i][0], n > 0);
		swap_part(v4, 0, b64, buf, sizeof(buf));
		rc = open_token(buf, strlen(buf), &cl);
		T_CHECK(heads[i][0], rc == JWE_UNSUPPORTED);
	}
	/* the header bytes are the AAD: a same-meaning header fails the tag */
	n = b64url((const unsigned char *)"{\"enc\":\"A256GCM\",\"alg\":\"dir\"}",
	    29, b64, sizeof(b64));
	swap_part(v4, 0, b64, buf, sizeof(buf));
	T_EQ_STR("tamper-001", jwe_rc_name(open_token(buf, strlen(buf), &cl)),
	    "bad_tag");
	/* every tag byte of v4 (GCM) and v5 (CBC) flipped */
	for (i = 0; i < 2; i++) {
		const char *t = i == 0 ? v4 : v5;
		size_t k, tagn;

		if (i == 1) {
			const char *s5[2] = { secret("AUTH_SECRET"),
			    secret("AUTH_SECRET_1") };
			keys_for("authjs.session-token", s5, 2);
		}
		dot = strrchr(t, '.');
		tn = jwe_b64url_decode(dot + 1, strlen(dot + 1), tag,
		    sizeof(tag));
		tagn = i == 0 ? 16 : 32;
		T_EQ_INT("tamper-002", tn, (long)tagn);
		for (k = 0; k < tagn; k++) {
			tag[k] ^= 0x01;
			(void)b64url(tag, tagn, b64, sizeof(b64));
			swap_part(t, 4, b64, buf, sizeof(buf));
			snprintf(id, sizeof(id), "tamper-003-%s-tag%02zu",
			    i == 0 ? "gcm" : "cbc", k);
			T_EQ_STR(id, jwe_rc_name(open_token(buf, strlen(buf),
			    &cl)), "bad_tag");
			tag[k] ^= 0x01;
		}
		/* a ciphertext character changed */
		snprintf(buf, sizeof(buf), "%s", t);
		dot = strchr(strchr(strchr(buf, '.') + 1, '.') + 1, '.');
		buf[dot - buf + 3] = buf[dot - buf + 3] == 'A' ? 'B' : 'A';
		T_EQ_STR("tamper-004", jwe_rc_name(open_token(buf, strlen(buf),
		    &cl)), "bad_tag");
	}
	/* truncated and extra parts, wrong lengths */
	keys_for("next-auth.session-token", sec, 1);
	{
		static const struct {
			const char *id;
			int part;
			const char *repl;
		} t[] = {
			{ "trunc-001", 2, "" },			/* no IV */
			{ "trunc-002", 2, "AAAAAAAAAAAAAAAAAAAA" },	/* 15-byte IV */
			{ "trunc-003", 4, "AAAAAAAAAAAAAAAAAAAA" },	/* 15-byte tag */
			{ "trunc-004", 4, "" },
			{ "trunc-005", 3, "" },			/* no ciphertext */
			{ "trunc-006", 1, "AAAA" },		/* an encrypted key */
			{ "trunc-007", 0, "" },
			{ "trunc-008", 0, "e30" },		/* {} */
			{ "trunc-009", 0, "bm90IGpzb24" },	/* "not json" */
		};
		for (i = 0; i < NELEM(t); i++) {
			swap_part(v4, t[i].part, t[i].repl, buf, sizeof(buf));
			rc = open_token(buf, strlen(buf), &cl);
			T_CHECK(t[i].id, rc == JWE_MALFORMED ||
			    rc == JWE_UNSUPPORTED);
		}
	}
	n = strlen(v4);
	T_EQ_STR("trunc-010", jwe_rc_name(open_token(v4, n - 1, &cl)),
	    "malformed");
	dot = strrchr(v4, '.');
	T_EQ_STR("trunc-011", jwe_rc_name(open_token(v4, (size_t)(dot - v4),
	    &cl)), "malformed");		/* four parts */
	snprintf(buf, sizeof(buf), "%s.", v4);
	T_EQ_STR("trunc-012", jwe_rc_name(open_token(buf, n + 1, &cl)),
	    "malformed");			/* six parts */
	memset(buf, 'A', sizeof(buf));
	memcpy(buf, v4, n);
	T_EQ_STR("trunc-013", jwe_rc_name(open_token(buf, JWE_MAX_TOKEN + 1,
	    &cl)), "malformed");		/* over the limit */
	T_EQ_STR("trunc-014", jwe_rc_name(open_token("", 0, &cl)), "malformed");
	/* a wrong secret, and the right one among several (rotation) */
	{
		const char *two[2] = { secret("FOREIGN_SECRET"),
		    secret("NEXTAUTH_SECRET") };
		keys_for("next-auth.session-token", two, 1);
		T_EQ_STR("secret-001", jwe_rc_name(open_token(v4, n, &cl)),
		    "bad_tag");
		keys_for("next-auth.session-token", two, 2);
		T_EQ_STR("secret-002", jwe_rc_name(open_token(v4, n, &cl)),
		    "ok");
		keys_for("next-auth.session-token", NULL, 0);
		T_EQ_STR("secret-003", jwe_rc_name(open_token(v4, n, &cl)),
		    "bad_tag");
	}
	/* v5: the cookie name is the salt; swapped, nothing opens */
	{
		const char *s5[1] = { secret("AUTH_SECRET") };
		const char *sec5 = token("v5-bob-secure");

		keys_for("authjs.session-token", s5, 1);
		T_EQ_STR("salt-001", jwe_rc_name(open_token(sec5,
		    strlen(sec5), &cl)), "bad_tag");
		keys_for("__Secure-authjs.session-token", s5, 1);
		T_EQ_STR("salt-002", jwe_rc_name(open_token(sec5,
		    strlen(sec5), &cl)), "ok");
		T_EQ_STR("salt-003", jwe_rc_name(open_token(v5, strlen(v5),
		    &cl)), "bad_tag");
		/* only the rotated secret made it */
		v5 = token("v5-rotated-secret");
		keys_for("authjs.session-token", s5, 1);
		T_EQ_STR("rotate-001", jwe_rc_name(open_token(v5, strlen(v5),
		    &cl)), "bad_tag");
		s5[0] = secret("AUTH_SECRET_1");
		keys_for("authjs.session-token", s5, 1);
		T_EQ_STR("rotate-002", jwe_rc_name(open_token(v5, strlen(v5),
		    &cl)), "ok");
	}
}

/* ---- claims and time ------------------------------------------------ */

static void
test_claims(void)
{
	static const int64_t now = 4000000000000LL;	/* ms, 2096 */
	static const struct {
		const char *id, *json, *want;
	} c[] = {
		{ "clm-001", "{\"sub\":\"u1\",\"exp\":4000000100}", "ok" },
		{ "clm-002", "{\"sub\":\"u1\",\"exp\":3999999986}", "ok" },	/* 14 s late */
		{ "clm-003", "{\"sub\":\"u1\",\"exp\":3999999985}", "expired" },/* 15 s */
		{ "clm-004", "{\"sub\":\"u1\",\"exp\":3999999984}", "expired" },
		{ "clm-005", "{\"sub\":\"u1\",\"exp\":1}", "expired" },
		{ "clm-006", "{\"sub\":\"u1\",\"exp\":4000000100,\"nbf\":4000000015}", "ok" },
		{ "clm-007", "{\"sub\":\"u1\",\"exp\":4000000100,\"nbf\":4000000016}", "not_yet_valid" },
		{ "clm-008", "{\"sub\":\"u1\",\"exp\":4000000100,\"nbf\":\"x\"}", "bad_claims" },
		{ "clm-009", "{\"sub\":\"u1\"}", "bad_claims" },
		{ "clm-010", "{\"sub\":\"u1\",\"exp\":\"4000000100\"}", "bad_claims" },
		{ "clm-011", "{\"exp\":4000000100}", "bad_claims" },
		{ "clm-012", "{\"sub\":\"\",\"exp\":4000000100}", "bad_claims" },
		{ "clm-013", "{\"sub\":7,\"exp\":4000000100}", "bad_claims" },
		{ "clm-014", "{\"sub\":\"u1\",\"email\":5,\"exp\":4000000100}", "bad_claims" },
		{ "clm-015", "{\"sub\":\"u1\",\"name\":\"a\\nb\",\"exp\":4000000100}", "bad_claims" },
		{ "clm-016", "{\"sub\":\"u1\",\"email\":null,\"name\":null,\"exp\":4000000100}", "ok" },
		{ "clm-017", "[1]", "malformed" },
		{ "clm-018", "{\"sub\":\"u1\",\"exp\":1e300}", "bad_claims" },
		{ "clm-019", "{\"sub\":\"u1\",\"exp\":-5}", "bad_claims" },
	};
	struct jwe_claims cl;
	char json[600];
	size_t i;

	for (i = 0; i < NELEM(c); i++)
		T_EQ_STR(c[i].id, jwe_rc_name(jwe_claims_parse(c[i].json,
		    strlen(c[i].json), now, &cl)), c[i].want);
	T_CHECK("clm-016", jwe_claims_parse(c[15].json, strlen(c[15].json),
	    now, &cl) == JWE_OK);
	T_EQ_STR("clm-016", cl.sub, "u1");
	T_EQ_STR("clm-016", cl.email, "");
	T_EQ_INT("clm-016", cl.exp_ms, 4000000100000LL);
	/* a sub at the limit, and one over it */
	for (i = 0; i < 2; i++) {
		int len = JWE_MAX_CLAIM + (int)i;
		snprintf(json, sizeof(json), "{\"sub\":\"%0*d\",\"exp\":"
		    "4000000100}", len, 0);
		T_EQ_STR(i ? "clm-021" : "clm-020", jwe_rc_name(
		    jwe_claims_parse(json, strlen(json), now, &cl)), i ?
		    "bad_claims" : "ok");
	}
}

/* ---- chunked cookies ------------------------------------------------ */

static void
test_chunks(void)
{
	static const char *N = "authjs.session-token";
	static const struct {
		const char *id, *hdr;
		enum req_cookie_rc want;
		const char *value;
	} c[] = {
		{ "chunk-001", "authjs.session-token=abc", REQ_COOKIE_FOUND, "abc" },
		{ "chunk-002", "authjs.session-token.0=ab; authjs.session-token.1=cd", REQ_COOKIE_FOUND, "abcd" },
		{ "chunk-003", "authjs.session-token.1=cd; x=1; authjs.session-token.0=ab", REQ_COOKIE_FOUND, "abcd" },
		{ "chunk-004", "authjs.session-token.0=ab; authjs.session-token.2=ef", REQ_COOKIE_MALFORMED, "" },	/* gap */
		{ "chunk-005", "authjs.session-token.1=cd", REQ_COOKIE_MALFORMED, "" },	/* no .0 */
		{ "chunk-006", "authjs.session-token=ab; authjs.session-token.0=cd", REQ_COOKIE_MALFORMED, "" },
		{ "chunk-007", "authjs.session-token.01=ab", REQ_COOKIE_MALFORMED, "" },
		{ "chunk-008", "authjs.session-token.8=ab", REQ_COOKIE_TOO_LONG, "" },
		{ "chunk-009", "authjs.session-token.99999999999999999999=a", REQ_COOKIE_TOO_LONG, "" },
		{ "chunk-010", "authjs.session-token.0=ab; authjs.session-token.0=xy", REQ_COOKIE_DUPLICATE, "" },
		{ "chunk-011", "authjs.session-token.0=ab; authjs.session-token.0=ab", REQ_COOKIE_FOUND, "ab" },
		{ "chunk-012", "authjs.session-token.x=ab", REQ_COOKIE_ABSENT, "" },
		{ "chunk-013", "authjs.session-tokens=ab; __Secure-authjs.session-token=zz", REQ_COOKIE_ABSENT, "" },
		{ "chunk-014", "authjs.session-token.0=a%ZZ", REQ_COOKIE_MALFORMED, "" },
		{ "chunk-015", "authjs.session-token=", REQ_COOKIE_ABSENT, "" },
		{ "chunk-016", "authjs.session-token.0=\"ab\"; authjs.session-token.1=c%2Ed", REQ_COOKIE_FOUND, "abc.d" },
		{ "chunk-017", "", REQ_COOKIE_ABSENT, "" },
	};
	static char hdr[REQ_MAX_COOKIE_HEADER + 64], out[JWE_MAX_TOKEN + 1];
	enum req_cookie_rc rc;
	size_t i, on, o;

	for (i = 0; i < NELEM(c); i++) {
		rc = req_cookie_chunked(c[i].hdr, strlen(c[i].hdr), N,
		    strlen(N), out, sizeof(out), &on);
		T_EQ_INT(c[i].id, rc, c[i].want);
		T_EQ_STR(c[i].id, out, c[i].value);
	}
	/* a chunk of REQ_MAX_CHUNK_VALUE bytes, then one byte more */
	for (i = 0; i < 2; i++) {
		o = (size_t)snprintf(hdr, sizeof(hdr), "%s.0=", N);
		memset(hdr + o, 'a', REQ_MAX_CHUNK_VALUE + i);
		hdr[o + REQ_MAX_CHUNK_VALUE + i] = '\0';
		rc = req_cookie_chunked(hdr, strlen(hdr), N, strlen(N), out,
		    sizeof(out), &on);
		T_EQ_INT(i ? "chunk-019" : "chunk-018", rc, i ?
		    REQ_COOKIE_TOO_LONG : REQ_COOKIE_FOUND);
	}
	/* the whole not fitting the caller's buffer */
	rc = req_cookie_chunked(c[1].hdr, strlen(c[1].hdr), N, strlen(N), out,
	    4, &on);
	T_EQ_INT("chunk-020", rc, REQ_COOKIE_TOO_LONG);
	/* the real chunked session: chunks from vectors.json, rejoined */
	{
		const cJSON *v, *ch;
		int k = 0;

		cJSON_ArrayForEach(v, cJSON_GetObjectItem(vec, "authjs"))
			if (strcmp(str(v, "id"), "v5-chunked") == 0)
				break;
		o = 0;
		cJSON_ArrayForEach(ch, cJSON_GetObjectItem(v, "chunks"))
			o += (size_t)snprintf(hdr + o, sizeof(hdr) - o,
			    "%s%s.%d=%s", k ? "; " : "", N, k, ch->valuestring),
			    k++;
		T_CHECK("chunk-021", k >= 2);
		rc = req_cookie_chunked(hdr, o, N, strlen(N), out,
		    sizeof(out), &on);
		T_EQ_INT("chunk-021", rc, REQ_COOKIE_FOUND);
		T_EQ_STR("chunk-021", out, str(v, "value"));
	}
}

/* ---- better-auth's cookie cache ------------------------------------- */

struct hctx {
	const char *secrets[3];
	size_t n;
};

static int
hmac_i(void *ctx, size_t i, const void *msg, size_t n, unsigned char out[32])
{
	struct hctx *h = ctx;
	unsigned int len = 32;

	return HMAC(EVP_sha256(), h->secrets[i], (int)strlen(h->secrets[i]),
	    msg, n, out, &len) != NULL && len == 32 ? 0 : -1;
}

static enum jwe_rc
ba_open(const char *strategy, const char *v, struct hctx *h, int64_t now,
    struct jwe_bacache *bc)
{
	char plain[JWE_MAX_TOKEN + 1];
	struct jwe_key k;
	int64_t until = -1;
	size_t pn;
	enum jwe_rc rc;

	if (strcmp(strategy, "compact") == 0)
		rc = jwe_bacache_compact(v, strlen(v), hmac_i, h, h->n, plain,
		    sizeof(plain), &pn, &until);
	else if (strcmp(strategy, "jwt") == 0)
		rc = jws_hs256_verify(v, strlen(v), hmac_i, h, h->n, plain,
		    sizeof(plain), &pn);
	else {
		if (jwe_key_derive(&k, JWE_ENC_A256CBC_HS512,
		    (const unsigned char *)h->secrets[0],
		    strlen(h->secrets[0]), "better-auth-session", BA_INFO) != 0)
			return JWE_ERROR;
		rc = jwe_decrypt(v, strlen(v), &k, 1, plain, sizeof(plain),
		    &pn);
	}
	if (rc != JWE_OK)
		return rc;
	return jwe_bacache_parse(plain, pn, until, now, bc);
}

static void
test_bacache(void)
{
	struct hctx good = { { NULL }, 1 }, bad = { { NULL }, 1 },
	    both = { { NULL }, 2 };
	struct jwe_bacache bc;
	const cJSON *c;
	char id[64], buf[JWE_MAX_TOKEN + 1];
	int n = 0;

	good.secrets[0] = secret("BETTER_AUTH_SECRET");
	bad.secrets[0] = secret("FOREIGN_SECRET");
	both.secrets[0] = bad.secrets[0];
	both.secrets[1] = good.secrets[0];
	cJSON_ArrayForEach(c, cJSON_GetObjectItem(vec, "better_auth_cache")) {
		const char *st = str(c, "strategy"), *v = str(c,
		    "session_data");
		enum jwe_rc rc = ba_open(st, v, &good, util_now_ms(), &bc);
		size_t len = strlen(v);

		snprintf(id, sizeof(id), "ba-%s", str(c, "id"));
		if (strcmp(str(c, "expect"), "allow") == 0) {
			T_EQ_STR(id, jwe_rc_name(rc), "ok");
			T_EQ_STR(id, bc.user_id, str(c, "user_id"));
			T_EQ_STR(id, bc.email, str(c, "email"));
			T_EQ_STR(id, bc.name, str(c, "name"));
			T_EQ_STR(id, bc.session_id, str(c, "session_id"));
			T_EQ_STR(id, bc.token, str(c, "token"));
			T_CHECK(id, bc.cache_until_ms > 2114380800000LL);	/* 2037 */
			/* the same at the cache's last millisecond, not after */
			T_EQ_STR(id, jwe_rc_name(ba_open(st, v, &good,
			    bc.cache_until_ms > bc.expires_ms ? bc.expires_ms :
			    bc.cache_until_ms, &bc)), "ok");
			T_EQ_STR(id, jwe_rc_name(ba_open(st, v, &good,
			    4136400000000LL + 86400000LL * 3650, &bc)),
			    "expired");
			if (strcmp(st, "jwe") != 0) {
				T_EQ_STR(id, jwe_rc_name(ba_open(st, v, &both,
				    util_now_ms(), &bc)), "ok");
			}
			T_EQ_STR(id, jwe_rc_name(ba_open(st, v, &bad,
			    util_now_ms(), &bc)), "bad_tag");
			/* a character near the end (signature or tag) */
			snprintf(buf, sizeof(buf), "%s", v);
			buf[len - 3] = buf[len - 3] == 'A' ? 'B' : 'A';
			T_CHECK(id, ba_open(st, buf, &good, util_now_ms(),
			    &bc) != JWE_OK);
			/* a character in the middle (the payload) */
			snprintf(buf, sizeof(buf), "%s", v);
			buf[len / 2] = buf[len / 2] == 'A' ? 'B' : 'A';
			T_CHECK(id, ba_open(st, buf, &good, util_now_ms(),
			    &bc) != JWE_OK);
			T_CHECK(id, ba_open(st, v, &good, util_now_ms(),
			    &bc) == JWE_OK && ba_open(st, v, &good,
			    util_now_ms(), &bc) == JWE_OK);
			T_EQ_STR(id, jwe_rc_name(ba_open(st, v + 1, &good,
			    util_now_ms(), &bc)), st[0] == 'c' ? "malformed" :
			    jwe_rc_name(ba_open(st, v + 1, &good, util_now_ms(),
			    &bc)));
		} else {
			T_EQ_STR(id, jwe_rc_name(rc), "expired");
		}
		n++;
	}
	T_CHECK("ba-count", n >= 6);
}

static cJSON *
load(const char *path)
{
	static char buf[256 * 1024];
	FILE *f = fopen(path, "rb");
	size_t n;

	if (f == NULL)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return cJSON_Parse(buf);
}

int
main(void)
{
	vec = load(VECTORS);
	T_CHECK("load", vec != NULL);
	if (vec == NULL)
		return t_done("test_jwe");
	test_b64url();
	test_hkdf();
	test_gcm();
	test_cbc();
	test_vectors();
	test_tamper();
	test_claims();
	test_chunks();
	test_bacache();
	cJSON_Delete(vec);
	return t_done("test_jwe");
}
