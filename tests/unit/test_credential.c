/*
 * test_credential.c - unit tests for src/credential.c: better-auth's
 * signed session cookie (SPEC section 5: TOKEN.SIG, SIG = padded standard
 * base64 of HMAC-SHA256(key = secret bytes, msg = TOKEN)) and the two
 * stored forms of an API key (base64url without padding and lowercase
 * hex of SHA-256).
 *
 * Expected MACs and digests were computed independently with Python's
 * hmac/hashlib, or come from a real better-auth 1.7.5 server
 * (tests/vectors/betterauth). Case ids are stable: a new case gets a new
 * id, an id never changes meaning.
 */
#include <stdlib.h>
#include <string.h>

#include "credential.h"
#include "harness.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

#define DEMO_SECRET	"demo-secret-change-me-0123456789abcdef"
#define DEMO_TOKEN	"demo-session-mia-member"
#define DEMO_SIG	"ZhAPwbZTp4OZfFc18ADksUlONzVmXHudi5whkJ+mxO8="

/* better-auth 1.7.5: "cookie-alice" of tests/vectors/betterauth/vectors.json
 * as committed in f1880fc (each run of gen.mjs makes new tokens) */
#define BA_SECRET	"authgate-test-secret-0123456789abcdef0123456789"
#define BA_FOREIGN	"foreign-better-auth-secret-ZYXWVUTSRQ9876543210zyxw"
#define BA_TOKEN	"wVxWw2royLvtfA14J3OkSggAZf1isD4H"
#define BA_SIG		"cTGAFPyxljpRG5fuCDk4HFriCp3FQKnv1bYihXbmhNI="

#define S(x)		((const unsigned char *)(x))

static enum cred_rc
verify(const char *v, const char *secret, size_t *token_n)
{
	return cred_session_verify(v, strlen(v), S(secret), strlen(secret),
	    token_n);
}

/* ---- cred_session_sign -------------------------------------------- */

static void
test_sign(void)
{
	static const struct {
		const char	*id;
		const char	*secret;
		const char	*token;
		const char	*want;
	} c[] = {
		{ "cred-sign-001", DEMO_SECRET, DEMO_TOKEN,
		    DEMO_TOKEN "." DEMO_SIG },
		{ "cred-sign-002", BA_SECRET, BA_TOKEN, BA_TOKEN "." BA_SIG },
		/* RFC 4231 test case 2 (HMAC-SHA256, key "Jefe") */
		{ "cred-sign-003", "Jefe", "what do ya want for nothing?",
		    "what do ya want for nothing?."
		    "W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM=" },
		/* dots inside TOKEN are signed as part of it */
		{ "cred-sign-004", DEMO_SECRET, "a.b.c",
		    "a.b.c.J3zZS92ZKg9buwNk54oO72x6qEUE6EKg1j5jcYIjz3E=" },
		{ "cred-sign-005", "k", "x",
		    "x.w47ciBXISJ9kc4l49EAI+FljRVRfC6po72/PXFPlcYk=" },
	};
	char out[256];
	size_t i, r;

	for (i = 0; i < NELEM(c); i++) {
		memset(out, 'z', sizeof(out));
		r = cred_session_sign(c[i].token, strlen(c[i].token),
		    S(c[i].secret), strlen(c[i].secret), out, sizeof(out));
		T_EQ_INT(c[i].id, r, strlen(c[i].want));
		T_EQ_STR(c[i].id, out, c[i].want);
	}

	/* out: TOKEN + '.' + 44 + NUL is enough, one byte less is not */
	r = cred_session_sign(DEMO_TOKEN, 23, S(DEMO_SECRET),
	    strlen(DEMO_SECRET), out, 23 + 1 + CRED_SIG_B64_LEN + 1);
	T_EQ_INT("cred-sign-010", r, 23 + 1 + CRED_SIG_B64_LEN);
	memset(out, 'z', sizeof(out));
	r = cred_session_sign(DEMO_TOKEN, 23, S(DEMO_SECRET),
	    strlen(DEMO_SECRET), out, 23 + 1 + CRED_SIG_B64_LEN);
	T_EQ_INT("cred-sign-011", r, 0);
	T_EQ_INT("cred-sign-012", out[23 + 1 + CRED_SIG_B64_LEN], 'z');
	r = cred_session_sign(DEMO_TOKEN, 23, S(DEMO_SECRET),
	    strlen(DEMO_SECRET), out, 0);
	T_EQ_INT("cred-sign-013", r, 0);

	/* explicit lengths: only n bytes of TOKEN, secret_n of secret */
	r = cred_session_sign(DEMO_TOKEN "-and-more", 23, S(DEMO_SECRET
	    "-and-more"), strlen(DEMO_SECRET), out, sizeof(out));
	T_EQ_INT("cred-sign-014", r, 68);
	T_EQ_STR("cred-sign-015", out, DEMO_TOKEN "." DEMO_SIG);
}

/* ---- cred_session_verify ------------------------------------------ */

static void
test_verify_ok(void)
{
	size_t tn;
	char out[600], tok[512];
	size_t i, r;

	tn = 777;
	T_EQ_INT("cred-verify-001", verify(DEMO_TOKEN "." DEMO_SIG,
	    DEMO_SECRET, &tn), CRED_OK);
	T_EQ_INT("cred-verify-002", tn, strlen(DEMO_TOKEN));

	/* the value a real better-auth server put in its cookie */
	tn = 777;
	T_EQ_INT("cred-verify-003", verify(BA_TOKEN "." BA_SIG, BA_SECRET,
	    &tn), CRED_OK);
	T_EQ_INT("cred-verify-004", tn, strlen(BA_TOKEN));

	/* TOKEN with dots: the last dot splits */
	tn = 777;
	T_EQ_INT("cred-verify-005", verify(
	    "a.b.c.J3zZS92ZKg9buwNk54oO72x6qEUE6EKg1j5jcYIjz3E=", DEMO_SECRET,
	    &tn), CRED_OK);
	T_EQ_INT("cred-verify-006", tn, 5);

	/* explicit length: trailing bytes after n are not part of it */
	tn = 777;
	T_EQ_INT("cred-verify-007", cred_session_verify(
	    DEMO_TOKEN "." DEMO_SIG "garbage", 68, S(DEMO_SECRET),
	    strlen(DEMO_SECRET), &tn), CRED_OK);
	T_EQ_INT("cred-verify-008", tn, 23);

	/* round trip, tokens of several lengths (1..511) */
	{
		int ok = 1;

		for (i = 1; i < sizeof(tok); i += 37) {
			size_t k;

			for (k = 0; k < i; k++)
				tok[k] = (char)('a' + (k * 7 + i) % 26);
			r = cred_session_sign(tok, i, S(DEMO_SECRET),
			    strlen(DEMO_SECRET), out, sizeof(out));
			tn = 0;
			if (r != i + 45 || cred_session_verify(out, r,
			    S(DEMO_SECRET), strlen(DEMO_SECRET), &tn) !=
			    CRED_OK || tn != i) {
				printf("  round trip failed at length %zu\n", i);
				ok = 0;
			}
		}
		T_CHECK("cred-verify-009", ok);
	}
	/* round trip with a binary 1024-byte secret */
	{
		unsigned char sec[1024];

		for (i = 0; i < sizeof(sec); i++)
			sec[i] = (unsigned char)(i * 31 + 7);
		r = cred_session_sign("t", 1, sec, sizeof(sec), out,
		    sizeof(out));
		T_EQ_INT("cred-verify-010", r, 46);
		T_EQ_INT("cred-verify-011", cred_session_verify(out, r, sec,
		    sizeof(sec), &tn), CRED_OK);
		sec[1023] ^= 1;
		T_EQ_INT("cred-verify-012", cred_session_verify(out, r, sec,
		    sizeof(sec), &tn), CRED_BAD_SIGNATURE);
	}
}

static void
test_verify_bad(void)
{
	static const struct {
		const char	*id;
		const char	*v;
		const char	*secret;
		enum cred_rc	 want;
	} c[] = {
		/* wrong secret */
		{ "cred-bad-001", DEMO_TOKEN "." DEMO_SIG, "demo-secret",
		    CRED_BAD_SIGNATURE },
		{ "cred-bad-002", DEMO_TOKEN "." DEMO_SIG,
		    "demo-secret-change-me-0123456789abcdeF", CRED_BAD_SIGNATURE },
		{ "cred-bad-003", DEMO_TOKEN "." DEMO_SIG, DEMO_SECRET "x",
		    CRED_BAD_SIGNATURE },
		{ "cred-bad-004", BA_TOKEN "." BA_SIG, BA_FOREIGN,
		    CRED_BAD_SIGNATURE },
		/* tampered TOKEN */
		{ "cred-bad-005", "demo-session-mia-membex." DEMO_SIG,
		    DEMO_SECRET, CRED_BAD_SIGNATURE },
		{ "cred-bad-006", "Demo-session-mia-member." DEMO_SIG,
		    DEMO_SECRET, CRED_BAD_SIGNATURE },
		{ "cred-bad-007", "demo-session-mia-membe." DEMO_SIG,
		    DEMO_SECRET, CRED_BAD_SIGNATURE },
		{ "cred-bad-008", "demo-session-mia-member2." DEMO_SIG,
		    DEMO_SECRET, CRED_BAD_SIGNATURE },
		{ "cred-bad-009", "x.demo-session-mia-member." DEMO_SIG,
		    DEMO_SECRET, CRED_BAD_SIGNATURE },
		{ "cred-bad-010", "demo-session-mia-owner." DEMO_SIG,
		    DEMO_SECRET, CRED_BAD_SIGNATURE },
		/* tampered SIG: first char, middle, '+', last data char */
		{ "cred-bad-011", DEMO_TOKEN ".A"
		    "hAPwbZTp4OZfFc18ADksUlONzVmXHudi5whkJ+mxO8=", DEMO_SECRET,
		    CRED_BAD_SIGNATURE },
		{ "cred-bad-012", DEMO_TOKEN ".ZhAPwbZTp4OZfFc18ADksUlONzVm"
		    "YHudi5whkJ+mxO8=", DEMO_SECRET, CRED_BAD_SIGNATURE },
		{ "cred-bad-013", DEMO_TOKEN ".ZhAPwbZTp4OZfFc18ADksUlONzVm"
		    "XHudi5whkJ/mxO8=", DEMO_SECRET, CRED_BAD_SIGNATURE },
		/* '8' -> '4': still canonical (low bits zero), MAC differs */
		{ "cred-bad-014", DEMO_TOKEN ".ZhAPwbZTp4OZfFc18ADksUlONzVm"
		    "XHudi5whkJ+mxO4=", DEMO_SECRET, CRED_BAD_SIGNATURE },
		/* SIG of another TOKEN under the same secret */
		{ "cred-bad-015", DEMO_TOKEN "." BA_SIG, DEMO_SECRET,
		    CRED_BAD_SIGNATURE },
		/* lowercase/uppercase swap in SIG */
		{ "cred-bad-016", DEMO_TOKEN ".zhAPwbZTp4OZfFc18ADksUlONzVm"
		    "XHudi5whkJ+mxO8=", DEMO_SECRET, CRED_BAD_SIGNATURE },

		/* malformed: SIG length 43 / 45, padding */
		{ "cred-bad-020", DEMO_TOKEN ".ZhAPwbZTp4OZfFc18ADksUlONzVm"
		    "XHudi5whkJ+mxO8", DEMO_SECRET, CRED_MALFORMED },
		{ "cred-bad-021", DEMO_TOKEN ".ZhAPwbZTp4OZfFc18ADksUlONzVm"
		    "XHudi5whkJ+mxO8==", DEMO_SECRET, CRED_MALFORMED },
		{ "cred-bad-022", DEMO_TOKEN ".hAPwbZTp4OZfFc18ADksUlONzVm"
		    "XHudi5whkJ+mxO8=", DEMO_SECRET, CRED_MALFORMED },
		{ "cred-bad-023", DEMO_TOKEN ".ZhAPwbZTp4OZfFc18ADksUlONzVm"
		    "XHudi5whkJ+mxO8A", DEMO_SECRET, CRED_MALFORMED },
		{ "cred-bad-024", DEMO_TOKEN ".ZhAPwbZTp4OZfFc18ADksUlONzVm"
		    "XHudi5whkJ+mxA==", DEMO_SECRET, CRED_MALFORMED },
		/* the percent-encoded cookie form must be decoded first */
		{ "cred-bad-025", DEMO_TOKEN ".ZhAPwbZTp4OZfFc18ADksUlONzVm"
		    "XHudi5whkJ%2BmxO8%3D", DEMO_SECRET, CRED_MALFORMED },
		{ "cred-bad-026", DEMO_TOKEN ".ZhAPwbZTp4OZfFc18ADksUlONzVm"
		    "XHudi5whkJ+mxO8%3D", DEMO_SECRET, CRED_MALFORMED },
		/* non-base64 characters, incl. the url alphabet */
		{ "cred-bad-027", DEMO_TOKEN ".ZhAPwbZTp4OZfFc18ADksUlONzVm"
		    "XHudi5whkJ-mxO8=", DEMO_SECRET, CRED_MALFORMED },
		{ "cred-bad-028", DEMO_TOKEN ".ZhAPwbZTp4OZfFc18ADksUlONzVm"
		    "XHudi5whkJ_mxO8=", DEMO_SECRET, CRED_MALFORMED },
		{ "cred-bad-029", DEMO_TOKEN ".ZhAPwbZTp4OZfFc18ADksUlONzVm"
		    "XHudi5whkJ mxO8=", DEMO_SECRET, CRED_MALFORMED },
		{ "cred-bad-030", DEMO_TOKEN ".ZhAPwbZTp4OZfFc18ADksUlONzVm"
		    "XHudi5whkJ!mxO8=", DEMO_SECRET, CRED_MALFORMED },
		{ "cred-bad-031", DEMO_TOKEN ".=hAPwbZTp4OZfFc18ADksUlONzVm"
		    "XHudi5whkJ+mxO8=", DEMO_SECRET, CRED_MALFORMED },
		/* '8' -> '9': unused low bits set, non-canonical */
		{ "cred-bad-032", DEMO_TOKEN ".ZhAPwbZTp4OZfFc18ADksUlONzVm"
		    "XHudi5whkJ+mxO9=", DEMO_SECRET, CRED_MALFORMED },
		/* shape */
		{ "cred-bad-033", DEMO_TOKEN DEMO_SIG, DEMO_SECRET,
		    CRED_MALFORMED },				/* no dot */
		{ "cred-bad-034", "." DEMO_SIG, DEMO_SECRET, CRED_MALFORMED },
		{ "cred-bad-035", "", DEMO_SECRET, CRED_MALFORMED },
		{ "cred-bad-036", ".", DEMO_SECRET, CRED_MALFORMED },
		{ "cred-bad-037", DEMO_TOKEN ".", DEMO_SECRET, CRED_MALFORMED },
		{ "cred-bad-038", DEMO_TOKEN, DEMO_SECRET, CRED_MALFORMED },
		{ "cred-bad-039", DEMO_TOKEN "." DEMO_SIG ".", DEMO_SECRET,
		    CRED_MALFORMED },
		{ "cred-bad-040", DEMO_TOKEN "." DEMO_SIG "\n", DEMO_SECRET,
		    CRED_MALFORMED },
		{ "cred-bad-041", DEMO_TOKEN "." DEMO_SIG " ", DEMO_SECRET,
		    CRED_MALFORMED },
		{ "cred-bad-042", DEMO_TOKEN ".ZhAPwbZTp4OZfFc18ADksUlO.zVm"
		    "XHudi5whkJ+mxO8=", DEMO_SECRET, CRED_MALFORMED },
		/* SIG first, then TOKEN */
		{ "cred-bad-043", DEMO_SIG "." DEMO_TOKEN, DEMO_SECRET,
		    CRED_MALFORMED },
	};
	size_t i, tn;

	for (i = 0; i < NELEM(c); i++) {
		enum cred_rc rc;

		tn = 777;
		rc = verify(c[i].v, c[i].secret, &tn);
		T_EQ_INT(c[i].id, rc, c[i].want);
		T_EQ_INT(c[i].id, tn, 0);
	}

	/* every single-character change of SIG (44 positions) is refused */
	{
		char v[] = DEMO_TOKEN "." DEMO_SIG;
		size_t k, base = strlen(DEMO_TOKEN) + 1, vn = sizeof(v) - 1;
		int ok = 1;

		for (k = 0; k < CRED_SIG_B64_LEN; k++) {
			char save = v[base + k];

			v[base + k] = save == 'A' ? 'B' : 'A';
			if (cred_session_verify(v, vn, S(DEMO_SECRET),
			    strlen(DEMO_SECRET), &tn) == CRED_OK) {
				printf("  SIG position %zu accepted\n", k);
				ok = 0;
			}
			v[base + k] = save;
		}
		T_CHECK("cred-bad-044", ok);
		/* and every bit flip of TOKEN */
		for (k = 0; k < strlen(DEMO_TOKEN) * 8; k++) {
			v[k / 8] ^= (char)(1 << (k % 8));
			if (cred_session_verify(v, vn, S(DEMO_SECRET),
			    strlen(DEMO_SECRET), &tn) == CRED_OK) {
				printf("  TOKEN bit %zu accepted\n", k);
				ok = 0;
			}
			v[k / 8] ^= (char)(1 << (k % 8));
		}
		T_CHECK("cred-bad-045", ok);
		/* unchanged it still verifies */
		T_EQ_INT("cred-bad-046", cred_session_verify(v, vn,
		    S(DEMO_SECRET), strlen(DEMO_SECRET), &tn), CRED_OK);
	}

	/* NUL inside TOKEN is part of what is signed */
	{
		char out[128];
		size_t r = cred_session_sign("a\0b", 3, S(DEMO_SECRET),
		    strlen(DEMO_SECRET), out, sizeof(out));

		T_EQ_INT("cred-bad-047", r, 48);
		T_EQ_INT("cred-bad-048", cred_session_verify(out, r,
		    S(DEMO_SECRET), strlen(DEMO_SECRET), &tn), CRED_OK);
		out[1] = 'x';
		T_EQ_INT("cred-bad-049", cred_session_verify(out, r,
		    S(DEMO_SECRET), strlen(DEMO_SECRET), &tn),
		    CRED_BAD_SIGNATURE);
	}
	/* an empty value with a NULL pointer */
	T_EQ_INT("cred-bad-050", cred_session_verify(NULL, 0, S(DEMO_SECRET),
	    strlen(DEMO_SECRET), &tn), CRED_MALFORMED);
}

/* ---- cred_apikey_hash --------------------------------------------- */

static void
test_apikey_hash(void)
{
	static char longkey[4096];
	static const struct {
		const char	*id;
		const char	*key;
		size_t		 n;	/* length of longkey when key is NULL */
		const char	*b64url;
		const char	*hex;
	} c[] = {
		{ "cred-hash-001",
		    "ag_demo_member_key_7f3c9a1e5b2d4c6e8a0b1c2d3e4f5a6b", 0,
		    "4rESNPElRNMCAVpWXfoj8nicgwKDD24EvBq5-xbmKfc",
		    "e2b11234f12544d302015a565dfa23f2789c8302830f6e04bc1ab9fb"
		    "16e629f7" },
		{ "cred-hash-002", "", 0,
		    "47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU",
		    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b"
		    "7852b855" },
		/* a key issued by better-auth 1.7.5; b64url is its DB row */
		{ "cred-hash-003",
		    "IlBlYoBarMVMiIHgnBleZkqrfpcxakqYbNfryCTxtcfnBTUZGIjbpUoj"
		    "lEBWsAuZ", 0,
		    "hYZQKM_YcdravipRLL7Gub6ItwLTOD_tVYfa0pZrxtw",
		    "85865028cfd871dadabe2a512cbec6b9be88b702d3383fed5587dad2"
		    "966bc6dc" },
		/* 512 'k' */
		{ "cred-hash-004", NULL, 512,
		    "eJpJ_P4g3M3bD5JmNFmJrlHDMzhH3zvEVADRsEAzpWU",
		    "789a49fcfe20dccddb0f9266345989ae51c3333847df3bc45400d1b0"
		    "4033a565" },
	};
	char b64[CRED_HASH_B64URL_LEN + 1 + 8], hex[CRED_HASH_HEX_LEN + 1 + 8];
	size_t i;

	memset(longkey, 'k', sizeof(longkey));
	for (i = 0; i < NELEM(c); i++) {
		const char *k = c[i].key != NULL ? c[i].key : longkey;
		size_t n = c[i].key != NULL ? strlen(c[i].key) : c[i].n;

		memset(b64, 'z', sizeof(b64));
		memset(hex, 'z', sizeof(hex));
		T_EQ_INT(c[i].id, cred_apikey_hash(k, n, b64, hex), 0);
		T_EQ_STR(c[i].id, b64, c[i].b64url);
		T_EQ_STR(c[i].id, hex, c[i].hex);
		/* exactly 43 + NUL and 64 + NUL are written */
		T_CHECK(c[i].id, strlen(b64) == CRED_HASH_B64URL_LEN &&
		    b64[CRED_HASH_B64URL_LEN + 1] == 'z');
		T_CHECK(c[i].id, strlen(hex) == CRED_HASH_HEX_LEN &&
		    hex[CRED_HASH_HEX_LEN + 1] == 'z');
	}
	/* no padding, no '+' or '/' in any url form */
	T_CHECK("cred-hash-005", strchr(b64, '=') == NULL &&
	    strchr(b64, '+') == NULL && strchr(b64, '/') == NULL);

	/* explicit length: the key is n bytes, not up to the NUL */
	T_EQ_INT("cred-hash-006", cred_apikey_hash(
	    "ag_demo_member_key_7f3c9a1e5b2d4c6e8a0b1c2d3e4f5a6bEXTRA", 51,
	    b64, hex), 0);
	T_EQ_STR("cred-hash-007", b64,
	    "4rESNPElRNMCAVpWXfoj8nicgwKDD24EvBq5-xbmKfc");
	/* a one-byte difference changes both forms */
	T_EQ_INT("cred-hash-008", cred_apikey_hash(
	    "ag_demo_member_key_7f3c9a1e5b2d4c6e8a0b1c2d3e4f5a6c", 51,
	    b64, hex), 0);
	T_CHECK("cred-hash-009", strcmp(b64,
	    "4rESNPElRNMCAVpWXfoj8nicgwKDD24EvBq5-xbmKfc") != 0);
	/* a long key (4096 bytes) hashes without trouble */
	T_EQ_INT("cred-hash-010", cred_apikey_hash(longkey, sizeof(longkey),
	    b64, hex), 0);
	T_EQ_INT("cred-hash-011", strlen(b64), CRED_HASH_B64URL_LEN);
	/* heap-exact output buffers (ASan watches the ends) */
	{
		char *hb = malloc(CRED_HASH_B64URL_LEN + 1);
		char *hh = malloc(CRED_HASH_HEX_LEN + 1);

		T_CHECK("cred-hash-012", hb != NULL && hh != NULL);
		if (hb != NULL && hh != NULL) {
			T_EQ_INT("cred-hash-013", cred_apikey_hash("", 0, hb,
			    hh), 0);
			T_EQ_STR("cred-hash-014", hh, "e3b0c44298fc1c149afbf4c8"
			    "996fb92427ae41e4649b934ca495991b7852b855");
		}
		free(hb);
		free(hh);
	}
}

int
main(void)
{
	test_sign();
	test_verify_ok();
	test_verify_bad();
	test_apikey_hash();
	return t_done("test_credential");
}
