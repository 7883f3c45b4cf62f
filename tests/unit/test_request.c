/*
 * test_request.c - unit tests for src/request.c: the canonical path
 * (SPEC section 7), the Cookie header and the better-auth session cookie
 * (SPEC section 5), Authorization: Bearer, x-api-key, the signed-token
 * shape, browser-navigation detection and query encoding.
 *
 * Every limit is tried at N-1, N and N+1. Case ids are stable: a new case
 * gets a new id, an id never changes meaning.
 */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "request.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))
/* Length of a table string: explicit when given, else strlen. */
#define LEN(s, n)	((n) != 0 ? (size_t)(n) : strlen(s))

#define SESSION		"better-auth.session_token"
#define SESSION_N	(sizeof(SESSION) - 1)

/* Big scratch buffers, static so that the stack stays small. */
static char uri[3 * REQ_MAX_URI];
static char path[REQ_MAX_PATH + 1 + 16];
static char hdr[2 * REQ_MAX_COOKIE_HEADER];

/* ---- req_path_canon ----------------------------------------------- */

static void
test_path_table(void)
{
	static const struct {
		const char		*id;
		const char		*in;
		size_t			 n;	/* 0: strlen */
		enum req_path_rc	 rc;
		const char		*out;	/* for REQ_PATH_OK */
	} c[] = {
		/* plain paths */
		{ "req-path-001", "/", 0, REQ_PATH_OK, "/" },
		{ "req-path-002", "/api/x", 0, REQ_PATH_OK, "/api/x" },
		{ "req-path-003", "/a/", 0, REQ_PATH_OK, "/a/" },
		{ "req-path-004", "/a/b/c/", 0, REQ_PATH_OK, "/a/b/c/" },
		{ "req-path-005", "/a-b_c~d.e", 0, REQ_PATH_OK, "/a-b_c~d.e" },
		/* the query is cut at the first '?', never decoded */
		{ "req-path-006", "/a?b=../x", 0, REQ_PATH_OK, "/a" },
		{ "req-path-007", "/a?", 0, REQ_PATH_OK, "/a" },
		{ "req-path-008", "/a?x=%zz", 0, REQ_PATH_OK, "/a" },
		{ "req-path-009", "/a?b#c", 0, REQ_PATH_OK, "/a" },
		{ "req-path-010", "/a?b?c", 0, REQ_PATH_OK, "/a" },
		{ "req-path-011", "/?x", 0, REQ_PATH_OK, "/" },
		{ "req-path-012", "?", 0, REQ_PATH_NOT_ABSOLUTE, NULL },
		{ "req-path-013", "?a=1", 0, REQ_PATH_NOT_ABSOLUTE, NULL },
		/* fragment and backslash */
		{ "req-path-014", "/a#b", 0, REQ_PATH_FRAGMENT, NULL },
		{ "req-path-015", "/#", 0, REQ_PATH_FRAGMENT, NULL },
		{ "req-path-016", "/a\\b", 0, REQ_PATH_BACKSLASH, NULL },
		{ "req-path-017", "/a%5Cb", 0, REQ_PATH_BACKSLASH, NULL },
		{ "req-path-018", "/a%5cb", 0, REQ_PATH_BACKSLASH, NULL },
		{ "req-path-019", "/\\evil.com", 0, REQ_PATH_BACKSLASH, NULL },
		/* encoded delimiters: double encoding and smuggling */
		{ "req-path-020", "/a%2Fb", 0, REQ_PATH_ENCODED_SLASH, NULL },
		{ "req-path-021", "/a%2fb", 0, REQ_PATH_ENCODED_SLASH, NULL },
		{ "req-path-022", "/a%25b", 0, REQ_PATH_ENCODED_PERCENT, NULL },
		{ "req-path-023", "/a/%252e", 0, REQ_PATH_ENCODED_PERCENT, NULL },
		{ "req-path-024", "/a%3Fb", 0, REQ_PATH_ENCODED_DELIM, NULL },
		{ "req-path-025", "/a%3fb", 0, REQ_PATH_ENCODED_DELIM, NULL },
		{ "req-path-026", "/a%23b", 0, REQ_PATH_ENCODED_DELIM, NULL },
		{ "req-path-027", "/admin%2F..%2Fx", 0, REQ_PATH_ENCODED_SLASH,
		    NULL },
		/* control bytes, raw and encoded */
		{ "req-path-030", "/a%00b", 0, REQ_PATH_CONTROL, NULL },
		{ "req-path-031", "/a%0ab", 0, REQ_PATH_CONTROL, NULL },
		{ "req-path-032", "/a%0Db", 0, REQ_PATH_CONTROL, NULL },
		{ "req-path-033", "/a%09b", 0, REQ_PATH_CONTROL, NULL },
		{ "req-path-034", "/a%7Fb", 0, REQ_PATH_CONTROL, NULL },
		{ "req-path-035", "/a%1fb", 0, REQ_PATH_CONTROL, NULL },
		{ "req-path-036", "/a\x01" "b", 0, REQ_PATH_CONTROL, NULL },
		{ "req-path-037", "/a\tb", 0, REQ_PATH_CONTROL, NULL },
		{ "req-path-038", "/a\nb", 0, REQ_PATH_CONTROL, NULL },
		{ "req-path-039", "/a\rb", 0, REQ_PATH_CONTROL, NULL },
		{ "req-path-040", "/a\x7f", 0, REQ_PATH_CONTROL, NULL },
		{ "req-path-041", "/a\0b", 4, REQ_PATH_CONTROL, NULL },
		{ "req-path-042", "/a\0", 3, REQ_PATH_CONTROL, NULL },
		/* bad escapes */
		{ "req-path-045", "/a%", 0, REQ_PATH_BAD_ESCAPE, NULL },
		{ "req-path-046", "/a%4", 0, REQ_PATH_BAD_ESCAPE, NULL },
		{ "req-path-047", "/a%G1", 0, REQ_PATH_BAD_ESCAPE, NULL },
		{ "req-path-048", "/a%4g", 0, REQ_PATH_BAD_ESCAPE, NULL },
		{ "req-path-049", "/a%4?x", 0, REQ_PATH_BAD_ESCAPE, NULL },
		{ "req-path-050", "/a%?xx", 0, REQ_PATH_BAD_ESCAPE, NULL },
		{ "req-path-051", "/%", 0, REQ_PATH_BAD_ESCAPE, NULL },
		{ "req-path-052", "/a%%41", 0, REQ_PATH_BAD_ESCAPE, NULL },
		{ "req-path-053", "/a% 1", 0, REQ_PATH_BAD_ESCAPE, NULL },
		{ "req-path-054", "/a%-1", 0, REQ_PATH_BAD_ESCAPE, NULL },
		{ "req-path-055", "/a%+1", 0, REQ_PATH_BAD_ESCAPE, NULL },
		/* dot segments, raw and encoded */
		{ "req-path-060", "/a/./b", 0, REQ_PATH_DOT_SEGMENT, NULL },
		{ "req-path-061", "/a/../b", 0, REQ_PATH_DOT_SEGMENT, NULL },
		{ "req-path-062", "/a/%2e%2E/b", 0, REQ_PATH_DOT_SEGMENT, NULL },
		{ "req-path-063", "/a/.", 0, REQ_PATH_DOT_SEGMENT, NULL },
		{ "req-path-064", "/..", 0, REQ_PATH_DOT_SEGMENT, NULL },
		{ "req-path-065", "/a/.%2e", 0, REQ_PATH_DOT_SEGMENT, NULL },
		{ "req-path-066", "/.", 0, REQ_PATH_DOT_SEGMENT, NULL },
		{ "req-path-067", "/a/%2e/b", 0, REQ_PATH_DOT_SEGMENT, NULL },
		{ "req-path-068", "/a/%2E", 0, REQ_PATH_DOT_SEGMENT, NULL },
		{ "req-path-069", "/%2e%2e", 0, REQ_PATH_DOT_SEGMENT, NULL },
		{ "req-path-070", "/a/..?x", 0, REQ_PATH_DOT_SEGMENT, NULL },
		{ "req-path-071", "/./", 0, REQ_PATH_DOT_SEGMENT, NULL },
		{ "req-path-072", "/a/../", 0, REQ_PATH_DOT_SEGMENT, NULL },
		{ "req-path-073", "/api/%2e%2e/admin", 0, REQ_PATH_DOT_SEGMENT,
		    NULL },
		/* dots that are not dot segments */
		{ "req-path-075", "/a/.b", 0, REQ_PATH_OK, "/a/.b" },
		{ "req-path-076", "/a/..b", 0, REQ_PATH_OK, "/a/..b" },
		/* issue 8: a segment ending in '.' is refused (IIS drops it) */
		{ "req-path-077", "/a/...", 0, REQ_PATH_SEGMENT_END, NULL },
		{ "req-path-078", "/.well-known/x", 0, REQ_PATH_OK,
		    "/.well-known/x" },
		{ "req-path-079", "/a/b.", 0, REQ_PATH_SEGMENT_END, NULL },
		{ "req-path-080", "/a%2e", 0, REQ_PATH_SEGMENT_END, NULL },
		{ "req-path-081", "/a/b..", 0, REQ_PATH_SEGMENT_END, NULL },
		/* empty segments */
		{ "req-path-085", "//a", 0, REQ_PATH_EMPTY_SEGMENT, NULL },
		{ "req-path-086", "/a//b", 0, REQ_PATH_EMPTY_SEGMENT, NULL },
		{ "req-path-087", "/a//", 0, REQ_PATH_EMPTY_SEGMENT, NULL },
		{ "req-path-088", "//", 0, REQ_PATH_EMPTY_SEGMENT, NULL },
		{ "req-path-089", "//evil.com/x", 0, REQ_PATH_EMPTY_SEGMENT,
		    NULL },
		/* decoding once */
		{ "req-path-090", "/%61pi/x", 0, REQ_PATH_OK, "/api/x" },
		{ "req-path-091", "/%41%5A", 0, REQ_PATH_OK, "/AZ" },
		{ "req-path-092", "/caf%C3%A9", 0, REQ_PATH_OK,
		    "/caf\xc3\xa9" },
		{ "req-path-093", "/caf\xc3\xa9", 0, REQ_PATH_OK,
		    "/caf\xc3\xa9" },
		{ "req-path-094", "/a%20b", 0, REQ_PATH_OK, "/a b" },
		{ "req-path-095", "/%7e", 0, REQ_PATH_OK, "/~" },
		/* issue 8: ';' parameters and bytes that are not UTF-8 */
		{ "req-path-096", "/a%3Bb", 0, REQ_PATH_SEMICOLON, NULL },
		{ "req-path-097", "/%ff", 0, REQ_PATH_BAD_UTF8, NULL },
		/* path parameters, raw or encoded, anywhere (Tomcat, Jetty) */
		{ "req-path-120", "/api/admin;x=1/users", 0, REQ_PATH_SEMICOLON, NULL },
		{ "req-path-121", "/api/admin/users;jsessionid=1", 0, REQ_PATH_SEMICOLON, NULL },
		{ "req-path-122", "/api/admin/users;", 0, REQ_PATH_SEMICOLON, NULL },
		{ "req-path-123", "/;/api", 0, REQ_PATH_SEMICOLON, NULL },
		{ "req-path-124", "/a?b;c", 0, REQ_PATH_OK, "/a" },
		/* trailing dots and blanks, raw or encoded (IIS, Windows) */
		{ "req-path-125", "/api/admin./users", 0, REQ_PATH_SEGMENT_END, NULL },
		{ "req-path-126", "/api/admin%20/users", 0, REQ_PATH_SEGMENT_END, NULL },
		{ "req-path-127", "/api/admin/users%20", 0, REQ_PATH_SEGMENT_END, NULL },
		{ "req-path-128", "/api/admin/users%2E", 0, REQ_PATH_SEGMENT_END, NULL },
		{ "req-path-129", "/a/b/", 0, REQ_PATH_OK, "/a/b/" },
		{ "req-path-130", "/a.b/c", 0, REQ_PATH_OK, "/a.b/c" },
		{ "req-path-131", "/a b/c", 0, REQ_PATH_OK, "/a b/c" },
		{ "req-path-132", "/ a", 0, REQ_PATH_OK, "/ a" },
		{ "req-path-133", "/v1.0/x", 0, REQ_PATH_OK, "/v1.0/x" },
		/* UTF-8: well formed passes; overlong, surrogates, stray and
		 * cut sequences, past U+10FFFF are refused */
		{ "req-path-140", "/%C3%A9t%C3%A9", 0, REQ_PATH_OK, "/\xc3\xa9t\xc3\xa9" },
		{ "req-path-141", "/%E2%82%AC", 0, REQ_PATH_OK, "/\xe2\x82\xac" },
		{ "req-path-142", "/%F0%9F%98%80", 0, REQ_PATH_OK, "/\xf0\x9f\x98\x80" },
		{ "req-path-143", "/%C0%AF", 0, REQ_PATH_BAD_UTF8, NULL },
		{ "req-path-144", "/%C1%81", 0, REQ_PATH_BAD_UTF8, NULL },
		{ "req-path-145", "/%E0%80%AF", 0, REQ_PATH_BAD_UTF8, NULL },
		{ "req-path-146", "/%F0%80%80%AF", 0, REQ_PATH_BAD_UTF8, NULL },
		{ "req-path-147", "/%ED%A0%80", 0, REQ_PATH_BAD_UTF8, NULL },
		{ "req-path-148", "/%F4%90%80%80", 0, REQ_PATH_BAD_UTF8, NULL },
		{ "req-path-149", "/%80", 0, REQ_PATH_BAD_UTF8, NULL },
		{ "req-path-150", "/%C3", 0, REQ_PATH_BAD_UTF8, NULL },
		{ "req-path-151", "/%E2%82", 0, REQ_PATH_BAD_UTF8, NULL },
		{ "req-path-152", "/%C3%28", 0, REQ_PATH_BAD_UTF8, NULL },
		{ "req-path-153", "/\xc3", 0, REQ_PATH_BAD_UTF8, NULL },
		{ "req-path-154", "/%F8%88%80%80%80", 0, REQ_PATH_BAD_UTF8, NULL },
		{ "req-path-155", "/%F4%8F%BF%BF", 0, REQ_PATH_OK, "/\xf4\x8f\xbf\xbf" },
		{ "req-path-156", "/%EF%BF%BF", 0, REQ_PATH_OK, "/\xef\xbf\xbf" },
		/* letters whose Unicode case folds onto ASCII: admın (U+0131)
		 * is "admin" to Java's equalsIgnoreCase, the Kelvin sign k */
		{ "req-path-160", "/api/adm%C4%B1n", 0, REQ_PATH_FOLDS_TO_ASCII, NULL },
		{ "req-path-161", "/api/%C4%B0", 0, REQ_PATH_FOLDS_TO_ASCII, NULL },
		{ "req-path-162", "/api/ma%C5%BFter", 0, REQ_PATH_FOLDS_TO_ASCII, NULL },
		{ "req-path-163", "/api/%E2%84%AAey", 0, REQ_PATH_FOLDS_TO_ASCII, NULL },
		{ "req-path-164", "/api/\xe2\x84\xaa", 0, REQ_PATH_FOLDS_TO_ASCII, NULL },
		{ "req-path-165", "/api/%C4%B2", 0, REQ_PATH_OK, "/api/\xc4\xb2" },
		{ "req-path-166", "/api/%E2%84%AB", 0, REQ_PATH_OK, "/api/\xe2\x84\xab" },
		/* not absolute, empty */
		{ "req-path-100", "a/b", 0, REQ_PATH_NOT_ABSOLUTE, NULL },
		{ "req-path-101", "*", 0, REQ_PATH_NOT_ABSOLUTE, NULL },
		{ "req-path-102", "http://x/", 0, REQ_PATH_NOT_ABSOLUTE, NULL },
		{ "req-path-103", "%2Fa", 0, REQ_PATH_NOT_ABSOLUTE, NULL },
		{ "req-path-104", " /a", 0, REQ_PATH_NOT_ABSOLUTE, NULL },
		{ "req-path-105", "", 0, REQ_PATH_EMPTY, NULL },
	};
	size_t i, outn;

	for (i = 0; i < NELEM(c); i++) {
		enum req_path_rc rc;

		memset(path, 'z', sizeof(path));
		outn = 777;
		rc = req_path_canon(c[i].in, LEN(c[i].in, c[i].n), path,
		    REQ_MAX_PATH + 1, &outn);
		if (rc != c[i].rc)
			printf("  %s: got %s, want %s\n", c[i].id,
			    req_path_rc_name(rc), req_path_rc_name(c[i].rc));
		T_EQ_INT(c[i].id, rc, c[i].rc);
		if (c[i].rc == REQ_PATH_OK && rc == REQ_PATH_OK) {
			T_EQ_STR(c[i].id, path, c[i].out);
			T_EQ_INT(c[i].id, outn, strlen(c[i].out));
		}
	}

	/* NULL request target */
	outn = 777;
	T_EQ_INT("req-path-106", req_path_canon(NULL, 0, path,
	    REQ_MAX_PATH + 1, &outn), REQ_PATH_EMPTY);
	T_EQ_INT("req-path-107", outn, 0);
	/* explicit length: a "#" after n is not part of the target */
	T_EQ_INT("req-path-108", req_path_canon("/ab#x", 3, path,
	    REQ_MAX_PATH + 1, &outn), REQ_PATH_OK);
	T_EQ_STR("req-path-109", path, "/ab");
}

/* Fills uri with '/' + 'a' * (len - 1) (a valid path of len bytes). */
static void
fill_path(size_t len)
{
	uri[0] = '/';
	memset(uri + 1, 'a', len - 1);
}

static void
test_path_limits(void)
{
	enum req_path_rc rc;
	size_t outn;

	/* the request target, query included, is limited to REQ_MAX_URI */
	fill_path(REQ_MAX_URI - 1);
	rc = req_path_canon(uri, REQ_MAX_URI - 1, path, REQ_MAX_PATH + 1,
	    &outn);
	T_EQ_INT("req-path-110", rc, REQ_PATH_OK);
	T_EQ_INT("req-path-111", outn, REQ_MAX_URI - 1);

	fill_path(REQ_MAX_URI);
	rc = req_path_canon(uri, REQ_MAX_URI, path, REQ_MAX_PATH + 1, &outn);
	T_EQ_INT("req-path-112", rc, REQ_PATH_OK);
	T_EQ_INT("req-path-113", outn, REQ_MAX_URI);
	T_EQ_INT("req-path-114", strlen(path), REQ_MAX_URI);

	fill_path(REQ_MAX_URI + 1);
	rc = req_path_canon(uri, REQ_MAX_URI + 1, path, REQ_MAX_PATH + 1,
	    &outn);
	T_EQ_INT("req-path-115", rc, REQ_PATH_TOO_LONG);
	T_EQ_INT("req-path-116", outn, 0);

	/* the query counts: "/a?" + q... */
	memcpy(uri, "/a?", 3);
	memset(uri + 3, 'q', REQ_MAX_URI);
	rc = req_path_canon(uri, REQ_MAX_URI, path, REQ_MAX_PATH + 1, &outn);
	T_EQ_INT("req-path-117", rc, REQ_PATH_OK);
	T_EQ_STR("req-path-118", path, "/a");
	rc = req_path_canon(uri, REQ_MAX_URI + 1, path, REQ_MAX_PATH + 1,
	    &outn);
	T_EQ_INT("req-path-119", rc, REQ_PATH_TOO_LONG);

	/* encoded bytes count on the wire: 1 + 3 * 1365 = 4096 */
	{
		size_t k, len = 1;

		uri[0] = '/';
		for (k = 0; k < (REQ_MAX_URI - 1) / 3; k++, len += 3)
			memcpy(uri + len, "%41", 3);
		T_EQ_INT("req-path-120", len, REQ_MAX_URI);
		rc = req_path_canon(uri, len, path, REQ_MAX_PATH + 1, &outn);
		T_EQ_INT("req-path-121", rc, REQ_PATH_OK);
		T_EQ_INT("req-path-122", outn, 1 + (REQ_MAX_URI - 1) / 3);
		memcpy(uri + len, "%41", 3);
		rc = req_path_canon(uri, len + 3, path, REQ_MAX_PATH + 1,
		    &outn);
		T_EQ_INT("req-path-123", rc, REQ_PATH_TOO_LONG);
	}

	/* a very long hostile target is refused before it is read */
	memset(uri, '/', sizeof(uri));
	rc = req_path_canon(uri, sizeof(uri), path, REQ_MAX_PATH + 1, &outn);
	T_EQ_INT("req-path-124", rc, REQ_PATH_TOO_LONG);

	/* out must hold REQ_MAX_PATH + 1 bytes, whatever the input */
	rc = req_path_canon("/a", 2, path, REQ_MAX_PATH, &outn);
	T_CHECK("req-path-125", rc != REQ_PATH_OK);
	memset(path, 'z', 8);
	rc = req_path_canon("/a", 2, path, 1, &outn);
	T_CHECK("req-path-126", rc != REQ_PATH_OK);
	T_EQ_INT("req-path-127", path[0], '\0');
	T_EQ_INT("req-path-128", path[1], 'z');	/* nothing past outsz */
	rc = req_path_canon("/a", 2, path, 0, &outn);
	T_CHECK("req-path-129", rc != REQ_PATH_OK);
	T_EQ_INT("req-path-130", path[1], 'z');

	/* a heap buffer of exactly REQ_MAX_PATH + 1: ASan watches the end */
	{
		char *out = malloc(REQ_MAX_PATH + 1);

		T_CHECK("req-path-131", out != NULL);
		if (out != NULL) {
			fill_path(REQ_MAX_URI);
			rc = req_path_canon(uri, REQ_MAX_URI, out,
			    REQ_MAX_PATH + 1, &outn);
			T_EQ_INT("req-path-132", rc, REQ_PATH_OK);
			T_EQ_INT("req-path-133", out[REQ_MAX_PATH], '\0');
			free(out);
		}
	}
}

static void
test_path_names(void)
{
	static const struct {
		const char		*id;
		enum req_path_rc	 rc;
		const char		*name;
	} c[] = {
		{ "req-pname-001", REQ_PATH_OK, "ok" },
		{ "req-pname-002", REQ_PATH_EMPTY, "path_empty" },
		{ "req-pname-003", REQ_PATH_TOO_LONG, "path_too_long" },
		{ "req-pname-004", REQ_PATH_NOT_ABSOLUTE, "path_not_absolute" },
		{ "req-pname-005", REQ_PATH_CONTROL, "path_control" },
		{ "req-pname-006", REQ_PATH_BACKSLASH, "path_backslash" },
		{ "req-pname-007", REQ_PATH_ENCODED_SLASH,
		    "path_encoded_slash" },
		{ "req-pname-008", REQ_PATH_ENCODED_PERCENT,
		    "path_encoded_percent" },
		{ "req-pname-009", REQ_PATH_ENCODED_DELIM,
		    "path_encoded_delimiter" },
		{ "req-pname-010", REQ_PATH_FRAGMENT, "path_fragment" },
		{ "req-pname-011", REQ_PATH_BAD_ESCAPE, "path_bad_escape" },
		{ "req-pname-012", REQ_PATH_DOT_SEGMENT, "path_dot_segment" },
		{ "req-pname-013", REQ_PATH_EMPTY_SEGMENT,
		    "path_empty_segment" },
		{ "req-pname-030", REQ_PATH_SEMICOLON, "path_semicolon" },
		{ "req-pname-031", REQ_PATH_SEGMENT_END, "path_segment_end" },
		{ "req-pname-032", REQ_PATH_BAD_UTF8, "path_bad_utf8" },
		{ "req-pname-033", REQ_PATH_FOLDS_TO_ASCII,
		    "path_folds_to_ascii" },
	};
	size_t i, j;
	int distinct = 1;

	for (i = 0; i < NELEM(c); i++)
		T_EQ_STR(c[i].id, req_path_rc_name(c[i].rc), c[i].name);
	for (i = 0; i < NELEM(c); i++)
		for (j = i + 1; j < NELEM(c); j++)
			if (strcmp(req_path_rc_name(c[i].rc),
			    req_path_rc_name(c[j].rc)) == 0)
				distinct = 0;
	T_CHECK("req-pname-020", distinct);
	T_EQ_STR("req-pname-015",
	    req_path_rc_name((enum req_path_rc)(REQ_PATH_FOLDS_TO_ASCII + 1)),
	    "path_unknown");
	T_EQ_STR("req-pname-022", req_path_rc_name((enum req_path_rc)99),
	    "path_unknown");
}

/* ---- req_cookie_find ---------------------------------------------- */

static void
test_cookie_table(void)
{
	static const struct {
		const char		*id;
		const char		*hdr;
		size_t			 n;	/* 0: strlen */
		enum req_cookie_rc	 rc;
		const char		*val;	/* for FOUND */
	} c[] = {
		{ "req-cookie-001", SESSION "=abc", 0, REQ_COOKIE_FOUND, "abc" },
		{ "req-cookie-002", "a=1; " SESSION "=abc; b=2", 0,
		    REQ_COOKIE_FOUND, "abc" },
		{ "req-cookie-003", "a=1; b=2; " SESSION "=abc", 0,
		    REQ_COOKIE_FOUND, "abc" },
		{ "req-cookie-004", "a=1;  \t" SESSION "=abc\t ;b=2", 0,
		    REQ_COOKIE_FOUND, "abc" },
		{ "req-cookie-005", "a=1;" SESSION "=abc;b=2", 0,
		    REQ_COOKIE_FOUND, "abc" },
		{ "req-cookie-006", " " SESSION " = abc ", 0, REQ_COOKIE_FOUND,
		    "abc" },
		/* quoted, percent-encoded, unencoded */
		{ "req-cookie-007", SESSION "=\"abc\"", 0, REQ_COOKIE_FOUND,
		    "abc" },
		{ "req-cookie-008", SESSION "=tok.sig%3D", 0, REQ_COOKIE_FOUND,
		    "tok.sig=" },
		{ "req-cookie-009", SESSION "=a%2Bb%2Fc%3d", 0, REQ_COOKIE_FOUND,
		    "a+b/c=" },
		{ "req-cookie-010", SESSION "=tok.s+g/x=", 0, REQ_COOKIE_FOUND,
		    "tok.s+g/x=" },
		{ "req-cookie-011", SESSION "=\"tok.sig%3D\"", 0,
		    REQ_COOKIE_FOUND, "tok.sig=" },
		{ "req-cookie-012", SESSION "=a=b", 0, REQ_COOKIE_FOUND, "a=b" },
		/* a real better-auth 1.7.5 Set-Cookie value (tests/vectors) */
		{ "req-cookie-013", SESSION "=wVxWw2royLvtfA14J3OkSggAZf1isD4H."
		    "cTGAFPyxljpRG5fuCDk4HFriCp3FQKnv1bYihXbmhNI%3D", 0,
		    REQ_COOKIE_FOUND, "wVxWw2royLvtfA14J3OkSggAZf1isD4H."
		    "cTGAFPyxljpRG5fuCDk4HFriCp3FQKnv1bYihXbmhNI=" },
		/* empty value: a deleted cookie is absent */
		{ "req-cookie-020", SESSION "=", 0, REQ_COOKIE_ABSENT, NULL },
		{ "req-cookie-021", SESSION "=;", 0, REQ_COOKIE_ABSENT, NULL },
		{ "req-cookie-022", SESSION "=  ; a=1", 0, REQ_COOKIE_ABSENT,
		    NULL },
		{ "req-cookie-023", SESSION "=\"\"", 0, REQ_COOKIE_ABSENT, NULL },
		/* other names */
		{ "req-cookie-024", "x" SESSION "=abc", 0, REQ_COOKIE_ABSENT,
		    NULL },
		{ "req-cookie-025", SESSION "2=abc", 0, REQ_COOKIE_ABSENT, NULL },
		{ "req-cookie-026", "Better-Auth.session_token=abc", 0,
		    REQ_COOKIE_ABSENT, NULL },
		{ "req-cookie-027", "a=1; b=2", 0, REQ_COOKIE_ABSENT, NULL },
		{ "req-cookie-028", "better-auth.session=abc", 0,
		    REQ_COOKIE_ABSENT, NULL },
		{ "req-cookie-029", "__Secure-" SESSION "=abc", 0,
		    REQ_COOKIE_ABSENT, NULL },
		/* pairs without '=' */
		{ "req-cookie-030", SESSION, 0, REQ_COOKIE_ABSENT, NULL },
		{ "req-cookie-031", SESSION "; a=1", 0, REQ_COOKIE_ABSENT, NULL },
		{ "req-cookie-032", "junk; " SESSION "=abc; ;;", 0,
		    REQ_COOKIE_FOUND, "abc" },
		{ "req-cookie-033", "x=" SESSION "abc", 0, REQ_COOKIE_ABSENT,
		    NULL },
		{ "req-cookie-034", ";;;;", 0, REQ_COOKIE_ABSENT, NULL },
		{ "req-cookie-035", "", 0, REQ_COOKIE_ABSENT, NULL },
		/* duplicates */
		{ "req-cookie-040", SESSION "=abc; " SESSION "=abc", 0,
		    REQ_COOKIE_FOUND, "abc" },
		{ "req-cookie-041", SESSION "=abc; " SESSION "=abd", 0,
		    REQ_COOKIE_DUPLICATE, NULL },
		{ "req-cookie-042", SESSION "=; " SESSION "=abc", 0,
		    REQ_COOKIE_FOUND, "abc" },
		{ "req-cookie-043", SESSION "=abc; " SESSION "=", 0,
		    REQ_COOKIE_FOUND, "abc" },
		{ "req-cookie-044", SESSION "=a%3D; " SESSION "=a=", 0,
		    REQ_COOKIE_FOUND, "a=" },
		{ "req-cookie-045", SESSION "=\"abc\"; " SESSION "=abc", 0,
		    REQ_COOKIE_FOUND, "abc" },
		{ "req-cookie-046", SESSION "=abc; a=1; " SESSION "=ab", 0,
		    REQ_COOKIE_DUPLICATE, NULL },
		{ "req-cookie-047", SESSION "=abc; " SESSION "=abc; " SESSION
		    "=xyz", 0, REQ_COOKIE_DUPLICATE, NULL },
		{ "req-cookie-048", SESSION "=ab; " SESSION "=abc", 0,
		    REQ_COOKIE_DUPLICATE, NULL },
		/* malformed */
		{ "req-cookie-050", SESSION "=ab%", 0, REQ_COOKIE_MALFORMED,
		    NULL },
		{ "req-cookie-051", SESSION "=ab%zz", 0, REQ_COOKIE_MALFORMED,
		    NULL },
		{ "req-cookie-052", SESSION "=%4", 0, REQ_COOKIE_MALFORMED,
		    NULL },
		{ "req-cookie-053", SESSION "=a%4g", 0, REQ_COOKIE_MALFORMED,
		    NULL },
		{ "req-cookie-054", SESSION "=a%0Ab", 0, REQ_COOKIE_MALFORMED,
		    NULL },
		{ "req-cookie-055", SESSION "=a%00", 0, REQ_COOKIE_MALFORMED,
		    NULL },
		{ "req-cookie-056", SESSION "=a%7F", 0, REQ_COOKIE_MALFORMED,
		    NULL },
		{ "req-cookie-057", SESSION "=a%0D%0AX: 1", 0,
		    REQ_COOKIE_MALFORMED, NULL },
		{ "req-cookie-058", SESSION "=a\x01" "b", 0,
		    REQ_COOKIE_MALFORMED, NULL },
		{ "req-cookie-059", SESSION "=a\x7f", 0, REQ_COOKIE_MALFORMED,
		    NULL },
		{ "req-cookie-060", SESSION "=a\0b", SESSION_N + 4,
		    REQ_COOKIE_MALFORMED, NULL },
		{ "req-cookie-061", SESSION "=a\"b", 0, REQ_COOKIE_MALFORMED,
		    NULL },
		{ "req-cookie-062", SESSION "=\"abc", 0, REQ_COOKIE_MALFORMED,
		    NULL },
		{ "req-cookie-063", SESSION "=\"", 0, REQ_COOKIE_MALFORMED,
		    NULL },
		{ "req-cookie-064", SESSION "=a%22b", 0, REQ_COOKIE_MALFORMED,
		    NULL },
		/* a malformed cookie with another name is not ours to judge */
		{ "req-cookie-065", "other=%zz; " SESSION "=abc", 0,
		    REQ_COOKIE_FOUND, "abc" },
	};
	char out[REQ_MAX_COOKIE_VALUE + 1];
	size_t i, outn;

	for (i = 0; i < NELEM(c); i++) {
		enum req_cookie_rc rc;

		memset(out, 'z', sizeof(out));
		outn = 777;
		rc = req_cookie_find(c[i].hdr, LEN(c[i].hdr, c[i].n), SESSION,
		    SESSION_N, out, sizeof(out), &outn);
		T_EQ_INT(c[i].id, rc, c[i].rc);
		if (c[i].rc == REQ_COOKIE_FOUND && rc == REQ_COOKIE_FOUND) {
			T_EQ_STR(c[i].id, out, c[i].val);
			T_EQ_INT(c[i].id, outn, strlen(c[i].val));
		} else if (rc != REQ_COOKIE_FOUND &&
		    rc != REQ_COOKIE_DUPLICATE) {
			T_EQ_INT(c[i].id, outn, 0);
		}
	}

	/* a duplicate whose second copy is malformed never picks one */
	outn = 777;
	T_CHECK("req-cookie-066", req_cookie_find(SESSION "=abc; " SESSION
	    "=%zz", strlen(SESSION "=abc; " SESSION "=%zz"), SESSION,
	    SESSION_N, out, sizeof(out), &outn) != REQ_COOKIE_FOUND);

	/* NULL header */
	outn = 777;
	T_EQ_INT("req-cookie-067", req_cookie_find(NULL, 0, SESSION,
	    SESSION_N, out, sizeof(out), &outn), REQ_COOKIE_ABSENT);
	T_EQ_INT("req-cookie-068", outn, 0);

	/* explicit header length: the cookie after n is not seen */
	T_EQ_INT("req-cookie-069", req_cookie_find("a=1; " SESSION "=abc", 4,
	    SESSION, SESSION_N, out, sizeof(out), &outn), REQ_COOKIE_ABSENT);
	T_EQ_INT("req-cookie-070", req_cookie_find(SESSION "=abcdef",
	    SESSION_N + 4, SESSION, SESSION_N, out, sizeof(out), &outn),
	    REQ_COOKIE_FOUND);
	T_EQ_STR("req-cookie-071", out, "abc");

	/* another name: the function finds any cookie */
	T_EQ_INT("req-cookie-072", req_cookie_find("a=1; b=2", 8, "b", 1, out,
	    sizeof(out), &outn), REQ_COOKIE_FOUND);
	T_EQ_STR("req-cookie-073", out, "2");
}

/*
 * Builds "pad=ppp...; better-auth.session_token=abc" of exactly len bytes
 * into hdr. The filler cookie is someone else's, so its size is free.
 */
static void
fill_cookie_header(size_t len)
{
	static const char tail[] = "; " SESSION "=abc";
	size_t tn = sizeof(tail) - 1;

	memcpy(hdr, "pad=", 4);
	memset(hdr + 4, 'p', len - 4 - tn);
	memcpy(hdr + len - tn, tail, tn);
}

/* Builds SESSION=vvv (value of vlen bytes, quoted if q) into hdr. */
static size_t
fill_cookie_value(size_t vlen, int q)
{
	size_t n = 0;

	memcpy(hdr, SESSION "=", SESSION_N + 1);
	n = SESSION_N + 1;
	if (q)
		hdr[n++] = '"';
	memset(hdr + n, 'v', vlen);
	n += vlen;
	if (q)
		hdr[n++] = '"';
	return n;
}

static void
test_cookie_limits(void)
{
	char out[REQ_MAX_COOKIE_VALUE + 1];
	enum req_cookie_rc rc;
	size_t n, outn;

	/* the whole header: N-1, N, N+1 */
	fill_cookie_header(REQ_MAX_COOKIE_HEADER - 1);
	rc = req_cookie_find(hdr, REQ_MAX_COOKIE_HEADER - 1, SESSION,
	    SESSION_N, out, sizeof(out), &outn);
	T_EQ_INT("req-cookie-080", rc, REQ_COOKIE_FOUND);
	fill_cookie_header(REQ_MAX_COOKIE_HEADER);
	rc = req_cookie_find(hdr, REQ_MAX_COOKIE_HEADER, SESSION, SESSION_N,
	    out, sizeof(out), &outn);
	T_EQ_INT("req-cookie-081", rc, REQ_COOKIE_FOUND);
	T_EQ_STR("req-cookie-082", out, "abc");
	fill_cookie_header(REQ_MAX_COOKIE_HEADER + 1);
	rc = req_cookie_find(hdr, REQ_MAX_COOKIE_HEADER + 1, SESSION,
	    SESSION_N, out, sizeof(out), &outn);
	T_EQ_INT("req-cookie-083", rc, REQ_COOKIE_TOO_LONG);
	T_EQ_INT("req-cookie-084", outn, 0);

	/* our value: N-1, N, N+1 */
	n = fill_cookie_value(REQ_MAX_COOKIE_VALUE - 1, 0);
	rc = req_cookie_find(hdr, n, SESSION, SESSION_N, out, sizeof(out),
	    &outn);
	T_EQ_INT("req-cookie-085", rc, REQ_COOKIE_FOUND);
	T_EQ_INT("req-cookie-086", outn, REQ_MAX_COOKIE_VALUE - 1);
	n = fill_cookie_value(REQ_MAX_COOKIE_VALUE, 0);
	rc = req_cookie_find(hdr, n, SESSION, SESSION_N, out, sizeof(out),
	    &outn);
	T_EQ_INT("req-cookie-087", rc, REQ_COOKIE_FOUND);
	T_EQ_INT("req-cookie-088", outn, REQ_MAX_COOKIE_VALUE);
	T_EQ_INT("req-cookie-089", strlen(out), REQ_MAX_COOKIE_VALUE);
	n = fill_cookie_value(REQ_MAX_COOKIE_VALUE + 1, 0);
	rc = req_cookie_find(hdr, n, SESSION, SESSION_N, out, sizeof(out),
	    &outn);
	T_EQ_INT("req-cookie-090", rc, REQ_COOKIE_TOO_LONG);

	/* quotes are not counted */
	n = fill_cookie_value(REQ_MAX_COOKIE_VALUE, 1);
	rc = req_cookie_find(hdr, n, SESSION, SESSION_N, out, sizeof(out),
	    &outn);
	T_EQ_INT("req-cookie-091", rc, REQ_COOKIE_FOUND);
	T_EQ_INT("req-cookie-092", outn, REQ_MAX_COOKIE_VALUE);
	n = fill_cookie_value(REQ_MAX_COOKIE_VALUE - 1, 1);
	rc = req_cookie_find(hdr, n, SESSION, SESSION_N, out, sizeof(out),
	    &outn);
	T_EQ_INT("req-cookie-093", rc, REQ_COOKIE_FOUND);
	n = fill_cookie_value(REQ_MAX_COOKIE_VALUE + 1, 1);
	rc = req_cookie_find(hdr, n, SESSION, SESSION_N, out, sizeof(out),
	    &outn);
	T_EQ_INT("req-cookie-094", rc, REQ_COOKIE_TOO_LONG);

	/* a too-long duplicate is refused too */
	n = fill_cookie_value(REQ_MAX_COOKIE_VALUE + 1, 0);
	memmove(hdr + SESSION_N + 6, hdr, n);
	memcpy(hdr, SESSION "=abc; ", SESSION_N + 6);
	rc = req_cookie_find(hdr, n + SESSION_N + 6, SESSION, SESSION_N, out,
	    sizeof(out), &outn);
	T_CHECK("req-cookie-095", rc != REQ_COOKIE_FOUND);

	/* out smaller than the value: an error, never an overflow */
	{
		char *small = malloc(4);

		T_CHECK("req-cookie-096", small != NULL);
		if (small != NULL) {
			rc = req_cookie_find(SESSION "=abcdef", SESSION_N + 7,
			    SESSION, SESSION_N, small, 4, &outn);
			T_CHECK("req-cookie-097", rc != REQ_COOKIE_FOUND);
			rc = req_cookie_find(SESSION "=abc", SESSION_N + 4,
			    SESSION, SESSION_N, small, 4, &outn);
			T_EQ_INT("req-cookie-098", rc, REQ_COOKIE_FOUND);
			T_EQ_STR("req-cookie-099", small, "abc");
			free(small);
		}
	}

	/* 200 cookies in one header */
	{
		size_t k, len = 0;

		for (k = 0; k < 200; k++)
			len += (size_t)snprintf(hdr + len, sizeof(hdr) - len,
			    "%sc%zu=v%zu", k ? "; " : "", k, k);
		len += (size_t)snprintf(hdr + len, sizeof(hdr) - len,
		    "; %s=tok%%3D", SESSION);
		rc = req_cookie_find(hdr, len, SESSION, SESSION_N, out,
		    sizeof(out), &outn);
		T_EQ_INT("req-cookie-100", rc, REQ_COOKIE_FOUND);
		T_EQ_STR("req-cookie-101", out, "tok=");
		rc = req_cookie_find(hdr, len, "c199", 4, out, sizeof(out),
		    &outn);
		T_EQ_INT("req-cookie-102", rc, REQ_COOKIE_FOUND);
		T_EQ_STR("req-cookie-103", out, "v199");

		/* 200 copies of ours, all equal: FOUND; last differs: DUP */
		len = 0;
		for (k = 0; k < 200; k++)
			len += (size_t)snprintf(hdr + len, sizeof(hdr) - len,
			    "%s%s=same", k ? "; " : "", SESSION);
		rc = req_cookie_find(hdr, len, SESSION, SESSION_N, out,
		    sizeof(out), &outn);
		T_EQ_INT("req-cookie-104", rc, REQ_COOKIE_FOUND);
		hdr[len - 1] = 'X';
		rc = req_cookie_find(hdr, len, SESSION, SESSION_N, out,
		    sizeof(out), &outn);
		T_EQ_INT("req-cookie-105", rc, REQ_COOKIE_DUPLICATE);
	}
}

/* ---- req_session_cookie_find -------------------------------------- */

static void
test_session_cookie(void)
{
	static const struct {
		const char		*id;
		const char		*hdr;
		const char		*prefix;
		enum req_cookie_rc	 rc;
		const char		*val;
	} c[] = {
		{ "req-sess-001", SESSION "=plain", "better-auth",
		    REQ_COOKIE_FOUND, "plain" },
		{ "req-sess-002", "__Secure-" SESSION "=secure", "better-auth",
		    REQ_COOKIE_FOUND, "secure" },
		{ "req-sess-003", SESSION "=plain; __Secure-" SESSION "=secure",
		    "better-auth", REQ_COOKIE_FOUND, "secure" },
		{ "req-sess-004", "__Secure-" SESSION "=secure; " SESSION
		    "=plain", "better-auth", REQ_COOKIE_FOUND, "secure" },
		{ "req-sess-005", "myapp.session_token=x%3D", "myapp",
		    REQ_COOKIE_FOUND, "x=" },
		{ "req-sess-006", SESSION "=plain", "myapp", REQ_COOKIE_ABSENT,
		    NULL },
		{ "req-sess-007", "__Secure-myapp.session_token=s", "myapp",
		    REQ_COOKIE_FOUND, "s" },
		{ "req-sess-008", "__Secure-" SESSION "=; " SESSION "=plain",
		    "better-auth", REQ_COOKIE_FOUND, "plain" },
		{ "req-sess-009", "__Secure-" SESSION "=a; __Secure-" SESSION
		    "=b", "better-auth", REQ_COOKIE_DUPLICATE, NULL },
		{ "req-sess-010", "__Host-" SESSION "=h", "better-auth",
		    REQ_COOKIE_ABSENT, NULL },
		{ "req-sess-011", "__secure-" SESSION "=s", "better-auth",
		    REQ_COOKIE_ABSENT, NULL },
		{ "req-sess-012", "better-auth.session_data=d", "better-auth",
		    REQ_COOKIE_ABSENT, NULL },
		{ "req-sess-013", "a=1", "better-auth", REQ_COOKIE_ABSENT,
		    NULL },
		{ "req-sess-014", "__Secure-" SESSION "=%zz; " SESSION "=plain",
		    "better-auth", REQ_COOKIE_MALFORMED, NULL },
	};
	char out[REQ_MAX_COOKIE_VALUE + 1], prefix[REQ_MAX_PREFIX + 8];
	enum req_cookie_rc rc;
	size_t i, n, outn;

	for (i = 0; i < NELEM(c); i++) {
		outn = 777;
		rc = req_session_cookie_find(c[i].hdr, strlen(c[i].hdr),
		    c[i].prefix, strlen(c[i].prefix), out, sizeof(out), &outn);
		T_EQ_INT(c[i].id, rc, c[i].rc);
		if (c[i].rc == REQ_COOKIE_FOUND && rc == REQ_COOKIE_FOUND) {
			T_EQ_STR(c[i].id, out, c[i].val);
			T_EQ_INT(c[i].id, outn, strlen(c[i].val));
		}
	}

	/* prefix length: REQ_MAX_PREFIX - 1 and N work, N + 1 is refused */
	memset(prefix, 'p', sizeof(prefix));
	n = (size_t)snprintf(hdr, sizeof(hdr), "%.*s.session_token=v1",
	    REQ_MAX_PREFIX - 1, prefix);
	rc = req_session_cookie_find(hdr, n, prefix, REQ_MAX_PREFIX - 1, out,
	    sizeof(out), &outn);
	T_EQ_INT("req-sess-020", rc, REQ_COOKIE_FOUND);
	n = (size_t)snprintf(hdr, sizeof(hdr), "__Secure-%.*s.session_token=v2",
	    REQ_MAX_PREFIX, prefix);
	rc = req_session_cookie_find(hdr, n, prefix, REQ_MAX_PREFIX, out,
	    sizeof(out), &outn);
	T_EQ_INT("req-sess-021", rc, REQ_COOKIE_FOUND);
	T_EQ_STR("req-sess-022", out, "v2");
	n = (size_t)snprintf(hdr, sizeof(hdr), "__Secure-%.*s.session_token=v3",
	    REQ_MAX_PREFIX + 1, prefix);
	outn = 777;
	rc = req_session_cookie_find(hdr, n, prefix, REQ_MAX_PREFIX + 1, out,
	    sizeof(out), &outn);
	T_CHECK("req-sess-023", rc != REQ_COOKIE_FOUND);
	T_EQ_INT("req-sess-024", outn, 0);
	/* a much longer prefix must not overflow the name buffer */
	{
		static char big[4096];

		memset(big, 'b', sizeof(big));
		rc = req_session_cookie_find("a=1", 3, big, sizeof(big), out,
		    sizeof(out), &outn);
		T_CHECK("req-sess-025", rc != REQ_COOKIE_FOUND);
	}
	/* NULL header */
	rc = req_session_cookie_find(NULL, 0, "better-auth", 11, out,
	    sizeof(out), &outn);
	T_EQ_INT("req-sess-026", rc, REQ_COOKIE_ABSENT);
}

/* ---- req_authjs_cookie_find, req_looks_like_jwe ------------------- */

static void
test_authjs_cookie(void)
{
	static const struct {
		const char		*id;
		const char		*hdr;
		enum req_cookie_rc	 rc;
		const char		*val;
	} c[] = {
		{ "req-ajs-001", "next-auth.session-token=v4", REQ_COOKIE_FOUND,
		    "v4" },
		{ "req-ajs-002", "__Secure-next-auth.session-token=v4s",
		    REQ_COOKIE_FOUND, "v4s" },
		{ "req-ajs-003", "authjs.session-token=v5", REQ_COOKIE_FOUND,
		    "v5" },
		{ "req-ajs-004", "__Secure-authjs.session-token=v5s",
		    REQ_COOKIE_FOUND, "v5s" },
		/* __Secure- first, then v5 before v4 */
		{ "req-ajs-005", "authjs.session-token=plain; "
		    "__Secure-next-auth.session-token=sec", REQ_COOKIE_FOUND,
		    "sec" },
		{ "req-ajs-006", "next-auth.session-token=four; "
		    "authjs.session-token=five", REQ_COOKIE_FOUND, "five" },
		{ "req-ajs-007", "__Secure-next-auth.session-token=four; "
		    "__Secure-authjs.session-token=five", REQ_COOKIE_FOUND,
		    "five" },
		/* one name twice, two values: refused */
		{ "req-ajs-008", "authjs.session-token=a; "
		    "authjs.session-token=b", REQ_COOKIE_DUPLICATE, NULL },
		/* look-alikes are other cookies */
		{ "req-ajs-009", "authjs.session_token=x; "
		    "next-auth.session-token.0=y; Authjs.session-token=z",
		    REQ_COOKIE_ABSENT, NULL },
		{ "req-ajs-010", "better-auth.session_token=x", REQ_COOKIE_ABSENT,
		    NULL },
		{ "req-ajs-011", "authjs.session-token=", REQ_COOKIE_ABSENT, NULL },
		{ "req-ajs-012", "authjs.session-token=%zz", REQ_COOKIE_MALFORMED,
		    NULL },
	};
	static const struct {
		const char	*id;
		const char	*v;
		int		 jwe;
	} j[] = {
		{ "req-jwe-001", "0b9f4c62-6a51-4c47-9b1e-2f6f3d1a7c01", 0 },
		{ "req-jwe-002", "a1b2c3d4e5f60718293a4b5c6d7e8f90", 0 },
		{ "req-jwe-003", "eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIn0..iv.ct.tag",
		    1 },
		{ "req-jwe-004", "eyJ", 1 },
		{ "req-jwe-005", "ey", 0 },
		{ "req-jwe-006", "a.b", 0 },
		{ "req-jwe-007", "a.b.c", 1 },
		{ "req-jwe-008", "....", 1 },
		{ "req-jwe-009", "", 0 },
	};
	char out[REQ_MAX_COOKIE_VALUE + 1];
	enum req_cookie_rc rc;
	size_t i, outn;

	for (i = 0; i < NELEM(c); i++) {
		outn = 777;
		rc = req_authjs_cookie_find(c[i].hdr, strlen(c[i].hdr), out,
		    sizeof(out), &outn);
		T_EQ_INT(c[i].id, rc, c[i].rc);
		if (c[i].rc == REQ_COOKIE_FOUND && rc == REQ_COOKIE_FOUND) {
			T_EQ_STR(c[i].id, out, c[i].val);
			T_EQ_INT(c[i].id, outn, strlen(c[i].val));
		}
	}
	T_EQ_INT("req-ajs-013", req_authjs_cookie_find(NULL, 0, out,
	    sizeof(out), &outn), REQ_COOKIE_ABSENT);
	for (i = 0; i < NELEM(j); i++)
		T_EQ_INT(j[i].id, req_looks_like_jwe(j[i].v, strlen(j[i].v)),
		    j[i].jwe);
}

/* ---- req_authz_bearer --------------------------------------------- */

static void
test_bearer(void)
{
	static const struct {
		const char		*id;
		const char		*v;
		size_t			 n;	/* 0: strlen */
		enum req_authz_rc	 rc;
		const char		*tok;
	} c[] = {
		{ "req-bearer-001", "Bearer x", 0, REQ_AUTHZ_BEARER, "x" },
		{ "req-bearer-002", "bearer x", 0, REQ_AUTHZ_BEARER, "x" },
		{ "req-bearer-003", "BEARER  x  ", 0, REQ_AUTHZ_BEARER, "x" },
		{ "req-bearer-004", "Bearer\tabc\t", 0, REQ_AUTHZ_BEARER, "abc" },
		{ "req-bearer-005", " Bearer abc", 0, REQ_AUTHZ_BEARER, "abc" },
		{ "req-bearer-006", "BeArEr a.b=", 0, REQ_AUTHZ_BEARER, "a.b=" },
		{ "req-bearer-007", "Bearer wVxWw2royLvtfA14J3OkSggAZf1isD4H."
		    "cTGAFPyxljpRG5fuCDk4HFriCp3FQKnv1bYihXbmhNI=", 0,
		    REQ_AUTHZ_BEARER, "wVxWw2royLvtfA14J3OkSggAZf1isD4H."
		    "cTGAFPyxljpRG5fuCDk4HFriCp3FQKnv1bYihXbmhNI=" },
		/* other schemes are not ours */
		{ "req-bearer-010", "Basic abc", 0, REQ_AUTHZ_ABSENT, NULL },
		{ "req-bearer-011", "Digest username=\"x\"", 0, REQ_AUTHZ_ABSENT,
		    NULL },
		{ "req-bearer-012", "Bearerx abc", 0, REQ_AUTHZ_ABSENT, NULL },
		{ "req-bearer-013", "Bear abc", 0, REQ_AUTHZ_ABSENT, NULL },
		{ "req-bearer-014", "", 0, REQ_AUTHZ_ABSENT, NULL },
		{ "req-bearer-015", "abc", 0, REQ_AUTHZ_ABSENT, NULL },
		/* Bearer with a bad token */
		{ "req-bearer-020", "Bearer", 0, REQ_AUTHZ_MALFORMED, NULL },
		{ "req-bearer-021", "Bearer   ", 0, REQ_AUTHZ_MALFORMED, NULL },
		{ "req-bearer-022", "Bearer\t", 0, REQ_AUTHZ_MALFORMED, NULL },
		{ "req-bearer-023", "Bearer a b", 0, REQ_AUTHZ_MALFORMED, NULL },
		{ "req-bearer-024", "Bearer a\tb", 0, REQ_AUTHZ_MALFORMED, NULL },
		{ "req-bearer-025", "Bearer a\x01", 0, REQ_AUTHZ_MALFORMED,
		    NULL },
		{ "req-bearer-026", "Bearer a\x7f", 0, REQ_AUTHZ_MALFORMED,
		    NULL },
		{ "req-bearer-027", "Bearer caf\xc3\xa9", 0,
		    REQ_AUTHZ_MALFORMED, NULL },
		{ "req-bearer-028", "Bearer a\r\nX-Evil: 1", 0,
		    REQ_AUTHZ_MALFORMED, NULL },
		{ "req-bearer-029", "Bearer a\0b", 10, REQ_AUTHZ_MALFORMED,
		    NULL },
		{ "req-bearer-030", "Bearer \x80", 0, REQ_AUTHZ_MALFORMED, NULL },
	};
	struct slice tok;
	size_t i;

	for (i = 0; i < NELEM(c); i++) {
		enum req_authz_rc rc;

		tok.p = "junk";
		tok.n = 4;
		rc = req_authz_bearer(c[i].v, LEN(c[i].v, c[i].n), &tok);
		T_EQ_INT(c[i].id, rc, c[i].rc);
		if (c[i].rc == REQ_AUTHZ_BEARER && rc == REQ_AUTHZ_BEARER) {
			T_CHECK(c[i].id, tok.n == strlen(c[i].tok) &&
			    memcmp(tok.p, c[i].tok, tok.n) == 0);
		} else if (rc != REQ_AUTHZ_BEARER) {
			T_CHECK(c[i].id, tok.p == NULL && tok.n == 0);
		}
	}

	/* NULL header */
	T_EQ_INT("req-bearer-031", req_authz_bearer(NULL, 0, &tok),
	    REQ_AUTHZ_ABSENT);

	/* token length: REQ_MAX_CREDENTIAL - 1, N, N + 1 */
	memcpy(hdr, "Bearer ", 7);
	memset(hdr + 7, 'k', REQ_MAX_CREDENTIAL + 1);
	T_EQ_INT("req-bearer-040", req_authz_bearer(hdr,
	    7 + REQ_MAX_CREDENTIAL - 1, &tok), REQ_AUTHZ_BEARER);
	T_EQ_INT("req-bearer-041", req_authz_bearer(hdr,
	    7 + REQ_MAX_CREDENTIAL, &tok), REQ_AUTHZ_BEARER);
	T_EQ_INT("req-bearer-042", tok.n, REQ_MAX_CREDENTIAL);
	T_EQ_INT("req-bearer-043", req_authz_bearer(hdr,
	    7 + REQ_MAX_CREDENTIAL + 1, &tok), REQ_AUTHZ_MALFORMED);

	/* header length: REQ_MAX_AUTHZ - 1, N, N + 1 (short token, blanks) */
	memset(hdr, ' ', REQ_MAX_AUTHZ + 1);
	memcpy(hdr, "Bearer abc", 10);
	T_EQ_INT("req-bearer-044", req_authz_bearer(hdr, REQ_MAX_AUTHZ - 1,
	    &tok), REQ_AUTHZ_BEARER);
	T_EQ_INT("req-bearer-045", req_authz_bearer(hdr, REQ_MAX_AUTHZ,
	    &tok), REQ_AUTHZ_BEARER);
	T_CHECK("req-bearer-046", tok.n == 3 && memcmp(tok.p, "abc", 3) == 0);
	T_EQ_INT("req-bearer-047", req_authz_bearer(hdr, REQ_MAX_AUTHZ + 1,
	    &tok), REQ_AUTHZ_MALFORMED);
	/* a very long Bearer header */
	memset(hdr, 'k', sizeof(hdr));
	memcpy(hdr, "Bearer ", 7);
	T_EQ_INT("req-bearer-048", req_authz_bearer(hdr, sizeof(hdr), &tok),
	    REQ_AUTHZ_MALFORMED);
	/* a very long Basic header is still not ours */
	memcpy(hdr, "Basic  ", 7);
	T_EQ_INT("req-bearer-049", req_authz_bearer(hdr, sizeof(hdr), &tok),
	    REQ_AUTHZ_ABSENT);
}

/* ---- req_api_key -------------------------------------------------- */

static void
test_api_key(void)
{
	static const struct {
		const char	*id;
		const char	*v;
		size_t		 n;	/* 0: strlen */
		int		 rc;
		const char	*key;
	} c[] = {
		{ "req-key-001", "abc", 0, 1, "abc" },
		{ "req-key-002", "  abc\t", 0, 1, "abc" },
		{ "req-key-003", "\t ag_demo_member_key_7f3c9a1e5b2d4c6e8a0b1c2d3e4f5a6b ",
		    0, 1, "ag_demo_member_key_7f3c9a1e5b2d4c6e8a0b1c2d3e4f5a6b" },
		{ "req-key-004", "a-b_c.d~e+f/g=", 0, 1, "a-b_c.d~e+f/g=" },
		{ "req-key-005", "", 0, 0, NULL },
		{ "req-key-006", "   ", 0, 0, NULL },
		{ "req-key-007", "\t", 0, 0, NULL },
		{ "req-key-008", "a b", 0, -1, NULL },
		{ "req-key-009", "a\x01", 0, -1, NULL },
		{ "req-key-010", "a\x7f", 0, -1, NULL },
		{ "req-key-011", "caf\xc3\xa9", 0, -1, NULL },
		{ "req-key-012", "a\r\nX: 1", 0, -1, NULL },
		{ "req-key-013", "a\0b", 3, -1, NULL },
		{ "req-key-014", "a\nb", 0, -1, NULL },
	};
	struct slice key;
	size_t i;

	for (i = 0; i < NELEM(c); i++) {
		int rc;

		key.p = "junk";
		key.n = 4;
		rc = req_api_key(c[i].v, LEN(c[i].v, c[i].n), &key);
		T_EQ_INT(c[i].id, rc, c[i].rc);
		if (c[i].rc == 1 && rc == 1)
			T_CHECK(c[i].id, key.n == strlen(c[i].key) &&
			    memcmp(key.p, c[i].key, key.n) == 0);
		else if (rc != 1)
			T_CHECK(c[i].id, key.p == NULL && key.n == 0);
	}
	T_EQ_INT("req-key-015", req_api_key(NULL, 0, &key), 0);

	/* key length: REQ_MAX_CREDENTIAL - 1, N, N + 1 */
	memset(hdr, 'k', REQ_MAX_CREDENTIAL + 1);
	T_EQ_INT("req-key-020", req_api_key(hdr, REQ_MAX_CREDENTIAL - 1, &key),
	    1);
	T_EQ_INT("req-key-021", req_api_key(hdr, REQ_MAX_CREDENTIAL, &key), 1);
	T_EQ_INT("req-key-022", key.n, REQ_MAX_CREDENTIAL);
	T_EQ_INT("req-key-023", req_api_key(hdr, REQ_MAX_CREDENTIAL + 1, &key),
	    -1);
	/* header length: REQ_MAX_AUTHZ - 1, N, N + 1 (short key, blanks) */
	memset(hdr, ' ', REQ_MAX_AUTHZ + 1);
	memcpy(hdr + 10, "key", 3);
	T_EQ_INT("req-key-024", req_api_key(hdr, REQ_MAX_AUTHZ - 1, &key), 1);
	T_EQ_INT("req-key-025", req_api_key(hdr, REQ_MAX_AUTHZ, &key), 1);
	T_CHECK("req-key-026", key.n == 3 && memcmp(key.p, "key", 3) == 0);
	T_EQ_INT("req-key-027", req_api_key(hdr, REQ_MAX_AUTHZ + 1, &key), -1);
}

/* ---- req_is_signed_token ------------------------------------------ */

#define SIG44	"cTGAFPyxljpRG5fuCDk4HFriCp3FQKnv1bYihXbmhNI="

static void
test_signed_token(void)
{
	static const struct {
		const char	*id;
		const char	*v;
		int		 want;
	} c[] = {
		{ "req-signed-001", "wVxWw2royLvtfA14J3OkSggAZf1isD4H." SIG44, 1 },
		{ "req-signed-002", "t." SIG44, 1 },
		{ "req-signed-003", "a.b.c." SIG44, 1 },	/* last dot */
		{ "req-signed-004", "tok.cTGAFPyxljpRG5fuCDk4HFriCp3FQKnv1bYihXbmhN=",
		    0 },					/* 43 */
		{ "req-signed-005", "tok.cTGAFPyxljpRG5fuCDk4HFriCp3FQKnv1bYihXbmhNII=",
		    0 },					/* 45 */
		{ "req-signed-006", "tok.cTGAFPyxljpRG5fuCDk4HFriCp3FQKnv1bYihXbmhNIA",
		    0 },					/* no '=' */
		{ "req-signed-007", "tokcTGAFPyxljpRG5fuCDk4HFriCp3FQKnv1bYihXbmhNI=",
		    0 },					/* no dot */
		{ "req-signed-008", "." SIG44, 0 },		/* empty TOKEN */
		{ "req-signed-009", "", 0 },
		{ "req-signed-010", SIG44 ".", 0 },
		{ "req-signed-011", "tok." SIG44 ".x", 0 },
		{ "req-signed-012", "tok.cTGAFPyxljpRG5fuCDk4.HFriCp3FQKnv1bYihXbmhNI=",
		    0 },					/* dot in SIG */
		{ "req-signed-013", "ag_demo_member_key_7f3c9a1e5b2d4c6e8a0b1c2d3e4f5a6b",
		    0 },					/* an API key */
		/* "a 44-character padded base64 SIG": not base64 */
		{ "req-signed-015", "tok.!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!=",
		    0 },
		{ "req-signed-016", "tok.cTGAFPyxljpRG5fuCDk4HFriCp3FQKnv1bYihXbmhN-=",
		    0 },					/* url alphabet */
	};
	size_t i;

	for (i = 0; i < NELEM(c); i++)
		T_EQ_INT(c[i].id, req_is_signed_token(c[i].v, strlen(c[i].v)),
		    c[i].want);
	/* explicit length */
	T_EQ_INT("req-signed-017", req_is_signed_token("t." SIG44 "xyz",
	    2 + 44), 1);
	T_EQ_INT("req-signed-018", req_is_signed_token(NULL, 0), 0);
}

/* ---- req_is_navigation -------------------------------------------- */

static void
test_navigation(void)
{
	static const char browser[] = "text/html,application/xhtml+xml,"
	    "application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8";
	static const struct {
		const char	*id;
		const char	*accept;	/* NULL: absent */
		const char	*xrw;
		const char	*mode;
		int		 want;
	} c[] = {
		{ "req-nav-001", "text/html", NULL, NULL, 1 },
		{ "req-nav-002", browser, NULL, "navigate", 1 },
		{ "req-nav-003", browser, NULL, NULL, 1 },
		{ "req-nav-004", "TEXT/HTML", NULL, "NAVIGATE", 1 },
		{ "req-nav-005", "Text/Html", NULL, "Navigate", 1 },
		{ "req-nav-006", browser, "XMLHttpRequest", NULL, 0 },
		{ "req-nav-007", browser, "XMLHttpRequest", "navigate", 0 },
		{ "req-nav-008", browser, NULL, "cors", 0 },
		{ "req-nav-009", browser, NULL, "no-cors", 0 },
		{ "req-nav-010", browser, NULL, "same-origin", 0 },
		{ "req-nav-011", browser, NULL, "websocket", 0 },
		{ "req-nav-012", "application/json", NULL, NULL, 0 },
		{ "req-nav-013", "application/json", NULL, "navigate", 0 },
		{ "req-nav-014", "*/*", NULL, NULL, 0 },
		{ "req-nav-015", "*/*", NULL, "navigate", 0 },
		{ "req-nav-016", NULL, NULL, NULL, 0 },
		{ "req-nav-017", NULL, NULL, "navigate", 0 },
		{ "req-nav-018", "", NULL, NULL, 0 },
		{ "req-nav-019", "text/htm", NULL, NULL, 0 },
		{ "req-nav-020", "application/json, text/html;q=0.1", NULL,
		    NULL, 1 },
		{ "req-nav-021", browser, NULL, "navigatex", 0 },
		{ "req-nav-022", browser, "fetch", NULL, 0 },
	};
	size_t i;

	for (i = 0; i < NELEM(c); i++)
		T_EQ_INT(c[i].id, req_is_navigation(
		    c[i].accept, c[i].accept ? strlen(c[i].accept) : 0,
		    c[i].xrw, c[i].xrw ? strlen(c[i].xrw) : 0,
		    c[i].mode, c[i].mode ? strlen(c[i].mode) : 0), c[i].want);
	/* explicit lengths: "text/html" cut short is not text/html */
	T_EQ_INT("req-nav-023", req_is_navigation("text/html", 8, NULL, 0,
	    NULL, 0), 0);
	T_EQ_INT("req-nav-024", req_is_navigation("text/html", 9, NULL, 0,
	    "navigatex", 8), 1);
}

/* ---- req_query_encode --------------------------------------------- */

static void
test_query_encode(void)
{
	static const struct {
		const char	*id;
		const char	*in;
		const char	*want;
	} c[] = {
		{ "req-qenc-001", "/a/b", "/a/b" },
		{ "req-qenc-002", "AZaz09-._~", "AZaz09-._~" },
		{ "req-qenc-003", "/a b", "/a%20b" },
		{ "req-qenc-004", "?", "%3F" },
		{ "req-qenc-005", "&", "%26" },
		{ "req-qenc-006", "#", "%23" },
		{ "req-qenc-007", "%", "%25" },
		{ "req-qenc-008", "=", "%3D" },
		{ "req-qenc-009", "+", "%2B" },
		{ "req-qenc-010", "/caf\xc3\xa9", "/caf%C3%A9" },
		{ "req-qenc-011", "/a?x=1&y=2#f", "/a%3Fx%3D1%26y%3D2%23f" },
		{ "req-qenc-012", "\\", "%5C" },
		{ "req-qenc-013", ":@!$'()*,;", "%3A%40%21%24%27%28%29%2A%2C%3B" },
		{ "req-qenc-014", "\r\n", "%0D%0A" },
		{ "req-qenc-015", "\x7f\xff", "%7F%FF" },
		{ "req-qenc-016", "\"<>", "%22%3C%3E" },
	};
	char out[128];
	size_t i;

	for (i = 0; i < NELEM(c); i++) {
		size_t r;

		memset(out, 'z', sizeof(out));
		r = req_query_encode(c[i].in, strlen(c[i].in), out,
		    sizeof(out));
		T_EQ_INT(c[i].id, r, strlen(c[i].want));
		T_EQ_STR(c[i].id, out, c[i].want);
	}

	/* output size: the length + 1 is enough, one less is not */
	T_EQ_INT("req-qenc-020", req_query_encode("/a b", 4, out, 7), 6);
	T_EQ_STR("req-qenc-021", out, "/a%20b");
	T_EQ_INT("req-qenc-022", req_query_encode("/a b", 4, out, 6), 0);
	T_EQ_INT("req-qenc-023", req_query_encode("/a b", 4, out, 5), 0);
	T_EQ_INT("req-qenc-024", req_query_encode("/ab", 3, out, 4), 3);
	T_EQ_INT("req-qenc-025", req_query_encode("/ab", 3, out, 3), 0);
	T_EQ_INT("req-qenc-026", req_query_encode("/ab", 3, out, 0), 0);
	/* NUL inside the length is encoded, not a terminator */
	T_EQ_INT("req-qenc-027", req_query_encode("a\0b", 3, out,
	    sizeof(out)), 5);
	T_EQ_STR("req-qenc-028", out, "a%00b");

	/* the worst case fits 3 * REQ_MAX_PATH + 1 (authz's next buffer) */
	{
		static char big[3 * REQ_MAX_PATH + 1];

		memset(uri, ' ', REQ_MAX_PATH);
		T_EQ_INT("req-qenc-029", req_query_encode(uri, REQ_MAX_PATH,
		    big, sizeof(big)), 3 * REQ_MAX_PATH);
		T_EQ_INT("req-qenc-030", req_query_encode(uri, REQ_MAX_PATH,
		    big, sizeof(big) - 1), 0);
	}
}

/* ---- req_percent_decode ------------------------------------------- */

static void
test_percent_decode(void)
{
	static const struct {
		const char	*id;
		const char	*in;
		const char	*want;	/* NULL: -1 */
	} c[] = {
		{ "req-pdec-001", "abc", "abc" },
		{ "req-pdec-002", "a%20b", "a b" },
		{ "req-pdec-003", "tok.sig%3D", "tok.sig=" },
		{ "req-pdec-004", "%2b%2F%3d", "+/=" },
		{ "req-pdec-005", "%252e", "%2e" },	/* once only */
		{ "req-pdec-006", "", "" },
		{ "req-pdec-007", "%", NULL },
		{ "req-pdec-008", "%4", NULL },
		{ "req-pdec-009", "%zz", NULL },
		{ "req-pdec-010", "a%0ab", NULL },
		{ "req-pdec-011", "a%00", NULL },
		{ "req-pdec-012", "a%7f", NULL },
		{ "req-pdec-013", "a\x01", NULL },
		{ "req-pdec-014", "%C3%A9", "\xc3\xa9" },
	};
	char out[64];
	size_t i;

	for (i = 0; i < NELEM(c); i++) {
		long r = req_percent_decode(c[i].in, strlen(c[i].in), out,
		    sizeof(out));

		if (c[i].want == NULL) {
			T_EQ_INT(c[i].id, r, -1);
		} else {
			T_EQ_INT(c[i].id, r, strlen(c[i].want));
			T_EQ_STR(c[i].id, out, c[i].want);
		}
	}
	T_EQ_INT("req-pdec-020", req_percent_decode("a%20b", 5, out, 4), 3);
	T_EQ_INT("req-pdec-021", req_percent_decode("a%20b", 5, out, 3), -1);
	T_EQ_INT("req-pdec-022", req_percent_decode("", 0, out, 0), -1);
}

int
main(void)
{
	test_path_table();
	test_path_limits();
	test_path_names();
	test_cookie_table();
	test_cookie_limits();
	test_session_cookie();
	test_authjs_cookie();
	test_bearer();
	test_api_key();
	test_signed_token();
	test_navigation();
	test_query_encode();
	test_percent_decode();
	{
		char enc[64];

		/* encodeURIComponent of a better-auth cookie value */
		T_EQ_INT("req-penc-001", req_percent_encode("a.b+c/d=", 8,
		    "-_.!~*'()", enc, sizeof(enc)), 14);
		T_EQ_STR("req-penc-002", enc, "a.b%2Bc%2Fd%3D");
		T_EQ_INT("req-penc-003", req_percent_encode("x y", 3, "", enc,
		    sizeof(enc)), 5);
		T_EQ_STR("req-penc-004", enc, "x%20y");
		T_EQ_INT("req-penc-005", req_percent_encode("abc", 3, "", enc,
		    3), 0);	/* N: no room for the NUL */
		T_EQ_INT("req-penc-006", req_percent_encode("abc", 3, "", enc,
		    4), 3);	/* N + 1 */
		T_EQ_INT("req-penc-007", req_percent_encode("\0", 1, "", enc,
		    sizeof(enc)), 3);	/* a NUL byte is encoded, not kept */
	}
	return t_done("test_request");
}
