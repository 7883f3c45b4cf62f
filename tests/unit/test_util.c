/*
 * test_util.c - unit tests for src/util.c: bounded copies, ASCII
 * case-insensitive compare, header-value validation, base64 (RFC 4648
 * vectors), hex, ISO-8601 / epoch-ms time parsing and formatting, and the
 * bounded decimal parser.
 *
 * Case ids are stable: a new case gets a new id, an id never changes
 * meaning. Cases that could trip a sanitizer run in a child process so
 * that one crash does not hide every later result.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "util.h"

/* Length of a table string: explicit when given, else strlen. */
#define LEN(s, n)	((n) != 0 ? (size_t)(n) : strlen(s))

/*
 * Runs fn in a child; returns 1 if it exited 0 (fn returned 1), 0 if it
 * returned 0, crashed, or a sanitizer stopped it.
 */
static int
in_child(int (*fn)(void))
{
	pid_t pid;
	int st;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return 0;
	if (pid == 0)
		_exit(fn() ? 0 : 1);
	if (waitpid(pid, &st, 0) != pid)
		return 0;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

/* ---- util_copy ---------------------------------------------------- */

static void
test_copy(void)
{
	char buf[8];

	T_EQ_INT("util-copy-001", util_copy(buf, 4, "abc", 3), 0);
	T_EQ_STR("util-copy-002", buf, "abc");

	memcpy(buf, "zzzzzzz", 8);
	T_EQ_INT("util-copy-003", util_copy(buf, 4, "abcd", 4), -1);
	T_EQ_STR("util-copy-004", buf, "");	/* left empty, not truncated */

	memcpy(buf, "zzzzzzz", 8);
	T_EQ_INT("util-copy-005", util_copy(buf, 4, "abcdefg", 7), -1);
	T_EQ_STR("util-copy-006", buf, "");

	T_EQ_INT("util-copy-007", util_copy(buf, 1, "", 0), 0);
	T_EQ_STR("util-copy-008", buf, "");

	memcpy(buf, "zzzzzzz", 8);
	T_EQ_INT("util-copy-009", util_copy(buf, 0, "a", 1), -1);
	T_CHECK("util-copy-010", memcmp(buf, "zzzzzzz", 8) == 0);

	/* explicit length: copies n bytes, not up to the NUL */
	T_EQ_INT("util-copy-011", util_copy(buf, sizeof(buf), "abcdef", 2), 0);
	T_EQ_STR("util-copy-012", buf, "ab");

	/* n = dstsz - 1 fits exactly */
	T_EQ_INT("util-copy-013", util_copy(buf, 8, "1234567", 7), 0);
	T_EQ_STR("util-copy-014", buf, "1234567");
	T_EQ_INT("util-copy-015", util_copy(buf, 7, "1234567", 7), -1);
}

/* ---- util_ieq ----------------------------------------------------- */

static void
test_ieq(void)
{
	T_EQ_INT("util-ieq-001", util_ieq("Bearer", 6, "bearer", 6), 1);
	T_EQ_INT("util-ieq-002", util_ieq("BEARER", 6, "bearer", 6), 1);
	T_EQ_INT("util-ieq-003", util_ieq("Bearer", 6, "Bearex", 6), 0);
	T_EQ_INT("util-ieq-004", util_ieq("Bearer", 6, "Bearer ", 7), 0);
	T_EQ_INT("util-ieq-005", util_ieq("", 0, "", 0), 1);
	/* only ASCII folds: '@' (0x40) and '`' (0x60) are not a pair */
	T_EQ_INT("util-ieq-006", util_ieq("@", 1, "`", 1), 0);
	T_EQ_INT("util-ieq-007", util_ieq("[", 1, "{", 1), 0);
	T_EQ_INT("util-ieq-008", util_ieq("\xc3\xa9", 2, "\xc3\x89", 2), 0);
}

/* ---- util_header_value_ok ----------------------------------------- */

static void
test_header_value(void)
{
	static const struct {
		const char	*id;
		const char	*s;
		size_t		 n;	/* 0: strlen */
		int		 want;
	} c[] = {
		{ "util-hdr-001", "abc", 0, 1 },
		{ "util-hdr-002", "alice@acme.test", 0, 1 },
		{ "util-hdr-003", "a b ~!", 0, 1 },
		{ "util-hdr-004", "a\rb", 0, 0 },
		{ "util-hdr-005", "a\nb", 0, 0 },
		{ "util-hdr-006", "a\r\nX-Evil: 1", 0, 0 },
		{ "util-hdr-007", "a\0b", 3, 0 },
		{ "util-hdr-008", "a\tb", 0, 0 },
		{ "util-hdr-009", "a\x7f", 0, 0 },
		{ "util-hdr-010", "\x01", 0, 0 },
		{ "util-hdr-011", "\x1f", 0, 0 },
		{ "util-hdr-012", "Zo\xc3\xab", 0, 1 },	/* UTF-8 passes */
		{ "util-hdr-013", "\x80\xff", 0, 1 },
		{ "util-hdr-014", "\x1b[31m", 0, 0 },
		{ "util-hdr-015", "abc\0", 4, 0 },	/* NUL at the end */
	};
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++)
		T_EQ_INT(c[i].id, util_header_value_ok(c[i].s,
		    LEN(c[i].s, c[i].n)), c[i].want);
	T_EQ_INT("util-hdr-016", util_header_value_ok("", 0), 1);
	/* explicit length: a CR past n is not looked at */
	T_EQ_INT("util-hdr-017", util_header_value_ok("ab\r", 2), 1);
}

/* ---- base64 ------------------------------------------------------- */

static void
test_b64_encode(void)
{
	/* RFC 4648 section 10 */
	static const struct {
		const char	*id;
		const char	*in;
		const char	*std;
		const char	*url;
	} v[] = {
		{ "util-b64-001", "", "", "" },
		{ "util-b64-002", "f", "Zg==", "Zg" },
		{ "util-b64-003", "fo", "Zm8=", "Zm8" },
		{ "util-b64-004", "foo", "Zm9v", "Zm9v" },
		{ "util-b64-005", "foob", "Zm9vYg==", "Zm9vYg" },
		{ "util-b64-006", "fooba", "Zm9vYmE=", "Zm9vYmE" },
		{ "util-b64-007", "foobar", "Zm9vYmFy", "Zm9vYmFy" },
		/* the two alphabets differ in 62 and 63 */
		{ "util-b64-008", "\xfb\xff", "+/8=", "-_8" },
		{ "util-b64-009", "\xff\xff\xff", "////", "____" },
		{ "util-b64-010", "\xfb\xef\xbe", "++++", "----" },
	};
	char out[64], id[32];
	size_t i, r;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		size_t n = strlen(v[i].in);

		memset(out, 'z', sizeof(out));
		r = util_b64_encode((const unsigned char *)v[i].in, n, out,
		    sizeof(out), 0);
		snprintf(id, sizeof(id), "%s-std", v[i].id);
		T_EQ_INT(id, r, strlen(v[i].std));
		T_EQ_STR(id, out, v[i].std);

		memset(out, 'z', sizeof(out));
		r = util_b64_encode((const unsigned char *)v[i].in, n, out,
		    sizeof(out), 1);
		snprintf(id, sizeof(id), "%s-url", v[i].id);
		T_EQ_INT(id, r, strlen(v[i].url));
		T_EQ_STR(id, out, v[i].url);
	}

	/* output size: encoded length + 1 (NUL) is exactly enough */
	T_EQ_INT("util-b64-020", util_b64_encode((const unsigned char *)
	    "foobar", 6, out, 9, 0), 8);
	T_EQ_STR("util-b64-021", out, "Zm9vYmFy");
	T_EQ_INT("util-b64-022", util_b64_encode((const unsigned char *)
	    "foobar", 6, out, 8, 0), 0);
	T_EQ_INT("util-b64-023", util_b64_encode((const unsigned char *)
	    "f", 1, out, 5, 0), 4);
	T_EQ_INT("util-b64-024", util_b64_encode((const unsigned char *)
	    "f", 1, out, 4, 0), 0);
	T_EQ_INT("util-b64-025", util_b64_encode((const unsigned char *)
	    "f", 1, out, 3, 1), 2);
	T_EQ_INT("util-b64-026", util_b64_encode((const unsigned char *)
	    "f", 1, out, 2, 1), 0);
	T_EQ_INT("util-b64-027", util_b64_encode((const unsigned char *)
	    "fo", 2, out, 4, 1), 3);
	T_EQ_INT("util-b64-028", util_b64_encode((const unsigned char *)
	    "fo", 2, out, 3, 1), 0);

	/* a 32-byte digest: 44 padded chars, 43 unpadded url chars */
	{
		unsigned char d[32];

		memset(d, 0xab, sizeof(d));
		T_EQ_INT("util-b64-029", util_b64_encode(d, 32, out, 45, 0),
		    44);
		T_EQ_INT("util-b64-030", out[43], '=');
		T_EQ_INT("util-b64-031", util_b64_encode(d, 32, out, 44, 0),
		    0);
		T_EQ_INT("util-b64-032", util_b64_encode(d, 32, out, 44, 1),
		    43);
		T_EQ_INT("util-b64-033", util_b64_encode(d, 32, out, 43, 1),
		    0);
	}
}

static void
test_b64_decode(void)
{
	static const struct {
		const char	*id;
		const char	*in;
		const char	*want;	/* NULL: must fail */
	} c[] = {
		/* RFC 4648 section 10 */
		{ "util-b64d-001", "", "" },
		{ "util-b64d-002", "Zg==", "f" },
		{ "util-b64d-003", "Zm8=", "fo" },
		{ "util-b64d-004", "Zm9v", "foo" },
		{ "util-b64d-005", "Zm9vYg==", "foob" },
		{ "util-b64d-006", "Zm9vYmE=", "fooba" },
		{ "util-b64d-007", "Zm9vYmFy", "foobar" },
		{ "util-b64d-008", "+/8=", "\xfb\xff" },
		/* invalid characters */
		{ "util-b64d-010", "Zm9v!A==", NULL },
		{ "util-b64d-011", "-_8=", NULL },	/* url alphabet */
		{ "util-b64d-012", "Zm9_", NULL },
		{ "util-b64d-013", "Zm 9", NULL },
		{ "util-b64d-014", "Zm9\n", NULL },
		{ "util-b64d-015", "Zm9v\xc3\xa9==", NULL },
		/* bad padding */
		{ "util-b64d-020", "Zg", NULL },		/* unpadded */
		{ "util-b64d-021", "Zg=", NULL },
		{ "util-b64d-022", "Z===", NULL },
		{ "util-b64d-023", "====", NULL },
		{ "util-b64d-024", "Zg==Zg==", NULL },	/* pad inside */
		{ "util-b64d-025", "Zm=v", NULL },
		{ "util-b64d-026", "Zg=A", NULL },
		{ "util-b64d-027", "Zm9vY", NULL },
		{ "util-b64d-028", "=Zm9", NULL },
		{ "util-b64d-029", "Zm9vYg===", NULL },
		/* non-canonical: unused low bits set */
		{ "util-b64d-030", "Zh==", NULL },	/* canonical Zg== */
		{ "util-b64d-031", "Zm9=", NULL },	/* canonical Zm8= */
		{ "util-b64d-032", "Zm//", "f\x6f\xff" },	/* all bits used */
	};
	unsigned char out[64];
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		long r;

		memset(out, 0, sizeof(out));
		r = util_b64_decode(c[i].in, strlen(c[i].in), out,
		    sizeof(out));
		if (c[i].want == NULL) {
			T_EQ_INT(c[i].id, r, -1);
		} else {
			T_EQ_INT(c[i].id, r, strlen(c[i].want));
			T_CHECK(c[i].id, r >= 0 && memcmp(out, c[i].want,
			    (size_t)r) == 0);
		}
	}

	/* output too small: exact size works, one less fails */
	T_EQ_INT("util-b64d-040", util_b64_decode("Zm9vYmFy", 8, out, 6), 6);
	T_EQ_INT("util-b64d-041", util_b64_decode("Zm9vYmFy", 8, out, 5), -1);
	T_EQ_INT("util-b64d-042", util_b64_decode("Zm9vYg==", 8, out, 4), 4);
	T_EQ_INT("util-b64d-043", util_b64_decode("Zm9vYg==", 8, out, 3), -1);
	T_EQ_INT("util-b64d-044", util_b64_decode("", 0, out, 0), 0);
	T_EQ_INT("util-b64d-045", util_b64_decode("Zg==", 4, out, 0), -1);

	/* explicit length: trailing bytes beyond n are ignored */
	T_EQ_INT("util-b64d-046", util_b64_decode("Zm9v!!!!", 4, out,
	    sizeof(out)), 3);

	/* a 44-char HMAC signature decodes to 32 bytes; 33-byte room */
	T_EQ_INT("util-b64d-047", util_b64_decode(
	    "ZhAPwbZTp4OZfFc18ADksUlONzVmXHudi5whkJ+mxO8=", 44, out, 33), 32);
	/* the same without the pad is 43 chars: rejected */
	T_EQ_INT("util-b64d-048", util_b64_decode(
	    "ZhAPwbZTp4OZfFc18ADksUlONzVmXHudi5whkJ+mxO8", 43, out, 33), -1);

	/* round trip over every byte value */
	{
		unsigned char all[256], back[256];
		char enc[400];
		size_t en;
		long dn;

		for (i = 0; i < 256; i++)
			all[i] = (unsigned char)i;
		en = util_b64_encode(all, 256, enc, sizeof(enc), 0);
		T_EQ_INT("util-b64d-049", en, 344);
		dn = util_b64_decode(enc, en, back, sizeof(back));
		T_EQ_INT("util-b64d-050", dn, 256);
		T_CHECK("util-b64d-051", memcmp(all, back, 256) == 0);
	}
}

/* ---- util_hex ----------------------------------------------------- */

static void
test_hex(void)
{
	char out[16];

	memset(out, 'z', sizeof(out));
	util_hex((const unsigned char *)"\x00\x01\xab\xff", 4, out);
	T_EQ_STR("util-hex-001", out, "0001abff");
	util_hex((const unsigned char *)"", 0, out);
	T_EQ_STR("util-hex-002", out, "");
	util_hex((const unsigned char *)"\x10\x9f", 2, out);
	T_EQ_STR("util-hex-003", out, "109f");	/* lowercase */
	memset(out, 'z', sizeof(out));
	util_hex((const unsigned char *)"\xde\xad", 2, out);
	T_EQ_INT("util-hex-004", out[4], '\0');
	T_EQ_INT("util-hex-005", out[5], 'z');	/* writes 2n + 1 only */
}

/* ---- util_parse_u64 ----------------------------------------------- */

static void
test_parse_u64(void)
{
	static const struct {
		const char	*id;
		const char	*s;
		int		 rc;
		uint64_t	 v;
	} c[] = {
		{ "util-u64-001", "0", 0, 0 },
		{ "util-u64-002", "123", 0, 123 },
		{ "util-u64-003", "007", 0, 7 },
		{ "util-u64-004", "99999999999999999", 0,
		    99999999999999999ULL },			/* 17 */
		{ "util-u64-005", "999999999999999999", 0,
		    999999999999999999ULL },			/* 18 */
		{ "util-u64-006", "000000000000000001", 0, 1 },	/* 18 */
		{ "util-u64-007", "1000000000000000000", -1, 0 },	/* 19 */
		{ "util-u64-008", "18446744073709551615", -1, 0 },
		{ "util-u64-009", "", -1, 0 },
		{ "util-u64-010", "-1", -1, 0 },
		{ "util-u64-011", "+1", -1, 0 },
		{ "util-u64-012", "12a", -1, 0 },
		{ "util-u64-013", " 1", -1, 0 },
		{ "util-u64-014", "1 ", -1, 0 },
		{ "util-u64-015", "0x10", -1, 0 },
		{ "util-u64-016", "1.5", -1, 0 },
		{ "util-u64-017", "\xd9\xa1", -1, 0 },	/* Arabic-Indic 1 */
	};
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		uint64_t v = 424242;
		int rc = util_parse_u64(c[i].s, strlen(c[i].s), &v);

		T_EQ_INT(c[i].id, rc, c[i].rc);
		if (c[i].rc == 0)
			T_CHECK(c[i].id, v == c[i].v);
		else
			T_CHECK(c[i].id, v == 424242);	/* untouched */
	}
	{
		uint64_t v = 0;

		/* explicit length */
		T_EQ_INT("util-u64-018", util_parse_u64("12x", 2, &v), 0);
		T_CHECK("util-u64-019", v == 12);
	}
}

/* ---- util_time_parse ---------------------------------------------- */

/* Values computed independently with Python's datetime. */
#define MS_2026_11_23_15	INT64_C(1795446000000)

static void
test_time_parse(void)
{
	static const struct {
		const char	*id;
		const char	*s;
		int		 rc;
		int64_t		 ms;
	} c[] = {
		{ "util-time-001", "2026-11-23T15:00:00.000Z", 0,
		    MS_2026_11_23_15 },
		{ "util-time-002", "2026-11-23T15:00:00Z", 0, MS_2026_11_23_15 },
		{ "util-time-003", "2026-11-23T15:00:00", 0, MS_2026_11_23_15 },
		{ "util-time-004", "2026-11-23 15:00:00", 0, MS_2026_11_23_15 },
		{ "util-time-005", "2026-11-23 15:00:00.000Z", 0,
		    MS_2026_11_23_15 },
		{ "util-time-006", "2026-11-23T15:00:00+02:00", 0,
		    INT64_C(1795438800000) },
		{ "util-time-007", "2026-11-23T17:00:00+02:00", 0,
		    MS_2026_11_23_15 },
		{ "util-time-008", "2026-11-23T15:00:00-05:30", 0,
		    INT64_C(1795465800000) },
		{ "util-time-009", "2026-11-23T09:30:00-05:30", 0,
		    MS_2026_11_23_15 },
		{ "util-time-010", "2026-11-23T15:00:00.000+00:00", 0,
		    MS_2026_11_23_15 },
		{ "util-time-011", "2026-11-23", 0, INT64_C(1795392000000) },
		{ "util-time-012", "1795446000000", 0, MS_2026_11_23_15 },
		{ "util-time-013", "0", 0, 0 },
		{ "util-time-014", "999999999999999999", 0,
		    INT64_C(999999999999999999) },		/* 18 digits */
		{ "util-time-015", "2026-11-23T15:00:00.5Z", 0,
		    MS_2026_11_23_15 + 500 },
		{ "util-time-016", "2026-11-23T15:00:00.123456Z", 0,
		    MS_2026_11_23_15 + 123 },
		{ "util-time-017", "2000-02-29T12:34:56.789Z", 0,
		    INT64_C(951827696789) },
		{ "util-time-018", "1969-12-31T23:59:59.999Z", 0, -1 },
		{ "util-time-019", "2099-12-31T23:59:59.000Z", 0,
		    INT64_C(4102444799000) },
		{ "util-time-020", "1970-01-01T00:00:00.000Z", 0, 0 },
		{ "util-time-021", "2024-02-29", 0, INT64_C(1709164800000) },
		{ "util-time-022", "9999-12-31T23:59:59.999Z", 0,
		    INT64_C(253402300799999) },
		{ "util-time-023", "2026-11-23T15:00:00+0200", 0,
		    INT64_C(1795438800000) },

		/* not a date */
		{ "util-time-040", "", -1, 0 },
		{ "util-time-041", "garbage", -1, 0 },
		{ "util-time-042", "1000000000000000000", -1, 0 },	/* 19 */
		{ "util-time-043", "-1", -1, 0 },
		{ "util-time-044", "12a", -1, 0 },
		{ "util-time-045", "2026/11/23", -1, 0 },
		{ "util-time-046", "26-11-23", -1, 0 },
		{ "util-time-047", "2026-1-23", -1, 0 },
		{ "util-time-048", " 2026-11-23", -1, 0 },
		{ "util-time-049", "2026-11-23 ", -1, 0 },
		{ "util-time-050", "2026-11-23x", -1, 0 },
		{ "util-time-051", "2026-11-23T", -1, 0 },
		{ "util-time-052", "2026-11-23T15", -1, 0 },
		{ "util-time-053", "2026-11-23T15:00:00.Z", -1, 0 },
		{ "util-time-054", "2026-11-23T15:00:00ZZ", -1, 0 },
		{ "util-time-055", "2026-11-23T15:00:00+2:00", -1, 0 },
		{ "util-time-056", "2026-11-23T15:00:00+", -1, 0 },
		{ "util-time-057", "2026-11-23Z", -1, 0 },
		/* out of range */
		{ "util-time-060", "2026-13-01", -1, 0 },
		{ "util-time-061", "2026-00-10", -1, 0 },
		{ "util-time-062", "2026-11-32", -1, 0 },
		{ "util-time-063", "2026-11-00", -1, 0 },
		{ "util-time-064", "2026-11-23T24:00:00Z", -1, 0 },
		{ "util-time-065", "2026-11-23T15:60:00Z", -1, 0 },
		{ "util-time-066", "2026-11-23T15:00:61Z", -1, 0 },
		{ "util-time-067", "2026-11-23T15:00:00+24:00", -1, 0 },
		{ "util-time-068", "2026-11-23T15:00:00+02:60", -1, 0 },
		{ "util-time-069", "2026-02-30", -1, 0 },	/* no Feb 30 */
		{ "util-time-070", "2026-04-31", -1, 0 },	/* April: 30 */
		{ "util-time-071", "2025-02-29", -1, 0 },	/* not leap */
		{ "util-time-072", "1900-02-29", -1, 0 },	/* not leap */
	};
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		int64_t ms = 4242;
		int rc = util_time_parse(c[i].s, strlen(c[i].s), &ms);

		T_EQ_INT(c[i].id, rc, c[i].rc);
		if (c[i].rc == 0 && rc == 0)
			T_EQ_INT(c[i].id, ms, c[i].ms);
	}

	{
		int64_t ms = 0;

		/* explicit length: bytes after n are not part of the date */
		T_EQ_INT("util-time-080", util_time_parse(
		    "2026-11-23T15:00:00.000Zjunk", 24, &ms), 0);
		T_EQ_INT("util-time-081", ms, MS_2026_11_23_15);
		/* a NUL inside the length is garbage */
		T_EQ_INT("util-time-082", util_time_parse(
		    "2026-11-23T15:00:00.000Z\0", 25, &ms), -1);
		T_EQ_INT("util-time-083", util_time_parse(
		    "2026-11-23T15:00:00.000Z", 23, &ms), 0);	/* no Z */
		T_EQ_INT("util-time-084", util_time_parse("2026-11-23", 7,
		    &ms), -1);
	}
}

/* ---- util_time_format --------------------------------------------- */

static int
fmt_int64_min(void)
{
	char out[32];

	return util_time_format(INT64_MIN, out, sizeof(out)) == -1;
}

static void
test_time_format(void)
{
	static const struct {
		const char	*id;
		int64_t		 ms;
		const char	*want;	/* NULL: -1 */
	} c[] = {
		{ "util-fmt-001", 0, "1970-01-01T00:00:00.000Z" },
		{ "util-fmt-002", MS_2026_11_23_15, "2026-11-23T15:00:00.000Z" },
		{ "util-fmt-003", INT64_C(951827696789),
		    "2000-02-29T12:34:56.789Z" },
		{ "util-fmt-004", -1, "1969-12-31T23:59:59.999Z" },
		{ "util-fmt-005", -1000, "1969-12-31T23:59:59.000Z" },
		{ "util-fmt-006", -1500, "1969-12-31T23:59:58.500Z" },
		{ "util-fmt-007", -999, "1969-12-31T23:59:59.001Z" },
		{ "util-fmt-008", 1, "1970-01-01T00:00:00.001Z" },
		{ "util-fmt-009", 999, "1970-01-01T00:00:00.999Z" },
		{ "util-fmt-010", INT64_C(4102444799000),
		    "2099-12-31T23:59:59.000Z" },
		{ "util-fmt-011", INT64_C(253402300799999),
		    "9999-12-31T23:59:59.999Z" },
		/* year 10000 does not fit the 24-char form */
		{ "util-fmt-012", INT64_C(253402300800000), NULL },
		{ "util-fmt-013", INT64_MAX, NULL },
		{ "util-fmt-014", MS_2026_11_23_15 + 10, "2026-11-23T15:00:00.010Z" },
	};
	char out[64];
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		int rc;

		memset(out, 0, sizeof(out));
		rc = util_time_format(c[i].ms, out, sizeof(out));
		if (c[i].want == NULL) {
			T_EQ_INT(c[i].id, rc, -1);
		} else {
			T_EQ_INT(c[i].id, rc, 0);
			T_EQ_STR(c[i].id, out, c[i].want);
		}
	}

	/* buffer: UTIL_TIME_ISO_LEN + 1 is enough, one less is not */
	T_EQ_INT("util-fmt-020", util_time_format(0, out,
	    UTIL_TIME_ISO_LEN + 1), 0);
	T_EQ_INT("util-fmt-021", strlen(out), UTIL_TIME_ISO_LEN);
	T_EQ_INT("util-fmt-022", util_time_format(0, out, UTIL_TIME_ISO_LEN),
	    -1);
	T_EQ_INT("util-fmt-023", util_time_format(0, out, 0), -1);

	/* round trip: format(parse(x)) == x, parse(format(ms)) == ms */
	{
		static const int64_t ms[] = { 0, -1, -1500, 1, 999,
		    MS_2026_11_23_15, INT64_C(951827696789),
		    INT64_C(253402300799999) };
		int ok = 1;

		for (i = 0; i < sizeof(ms) / sizeof(ms[0]); i++) {
			int64_t back = 0;

			if (util_time_format(ms[i], out, sizeof(out)) != 0 ||
			    util_time_parse(out, strlen(out), &back) != 0 ||
			    back != ms[i]) {
				printf("round trip %lld -> %s -> %lld\n",
				    (long long)ms[i], out, (long long)back);
				ok = 0;
			}
		}
		T_CHECK("util-fmt-030", ok);
	}
	{
		int64_t back = 0;

		T_EQ_INT("util-fmt-031", util_time_parse(
		    "2026-11-23T17:00:00.250+02:00", 29, &back), 0);
		T_EQ_INT("util-fmt-032", util_time_format(back, out,
		    sizeof(out)), 0);
		T_EQ_STR("util-fmt-033", out, "2026-11-23T15:00:00.250Z");
	}

	/* INT64_MIN (a hostile integer date column): -1, no overflow */
	T_CHECK("util-fmt-040", in_child(fmt_int64_min));
}

/* ---- util_now_ms -------------------------------------------------- */

static void
test_now(void)
{
	int64_t now = util_now_ms();

	/* after 2020-01-01 and before 2200-01-01 */
	T_CHECK("util-now-001", now > INT64_C(1577836800000));
	T_CHECK("util-now-002", now < INT64_C(7258118400000));
}

int
main(void)
{
	test_copy();
	test_ieq();
	test_header_value();
	test_b64_encode();
	test_b64_decode();
	test_hex();
	test_parse_u64();
	test_time_parse();
	test_time_format();
	test_now();
	return t_done("test_util");
}
