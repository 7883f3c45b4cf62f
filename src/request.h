/*
 * request.h - pure parsing of the request environment: the canonical
 * path, cookies, the Authorization header, browser-navigation detection.
 *
 * Every input is hostile and comes with an explicit length. Nothing here
 * does I/O, allocates, or looks anything up; results are written into
 * caller buffers. These functions are the fuzzing surface.
 */
#ifndef AUTHGATE_REQUEST_H
#define AUTHGATE_REQUEST_H

#include <stddef.h>

#include "util.h"

#define REQ_MAX_URI		4096	/* request target incl. query; lighttpd's request line cap is 8 KiB */
#define REQ_MAX_PATH		REQ_MAX_URI	/* decoding never lengthens */
#define REQ_MAX_COOKIE_HEADER	8192	/* browsers and lighttpd cap a header near 8 KiB */
#define REQ_MAX_COOKIE_VALUE	512	/* better-auth's TOKEN.SIG is ~77 bytes encoded */
#define REQ_MAX_AUTHZ		1024	/* Authorization / x-api-key header length */
#define REQ_MAX_CREDENTIAL	512	/* a token or API key after parsing */
#define REQ_MAX_PREFIX		64	/* AUTHGATE_COOKIE_PREFIX */
#define REQ_MAX_CHUNK_VALUE	4096	/* browsers keep at most 4096 bytes of one cookie */
#define REQ_MAX_CHUNKS		8	/* NAME.0 .. NAME.7: twice what an 8 KiB header holds */

enum req_path_rc {
	REQ_PATH_OK = 0,
	REQ_PATH_EMPTY,			/* no request target at all */
	REQ_PATH_TOO_LONG,		/* over REQ_MAX_URI */
	REQ_PATH_NOT_ABSOLUTE,		/* does not start with '/' */
	REQ_PATH_CONTROL,		/* NUL, control or DEL, raw or encoded */
	REQ_PATH_BACKSLASH,		/* '\', raw or encoded */
	REQ_PATH_ENCODED_SLASH,		/* %2F */
	REQ_PATH_ENCODED_PERCENT,	/* %25: double encoding */
	REQ_PATH_ENCODED_DELIM,		/* %3F or %23: delimiter smuggling */
	REQ_PATH_FRAGMENT,		/* a raw '#' */
	REQ_PATH_BAD_ESCAPE,		/* '%' not followed by two hex digits */
	REQ_PATH_DOT_SEGMENT,		/* "." or ".." segment, raw or encoded */
	REQ_PATH_EMPTY_SEGMENT,		/* "//" */
	REQ_PATH_SEMICOLON,		/* ';': path parameters (Tomcat, Jetty) */
	REQ_PATH_SEGMENT_END,		/* a segment ending in '.' or ' ' (IIS) */
	REQ_PATH_BAD_UTF8,		/* not UTF-8, or overlong (%C0%AF is '/') */
	REQ_PATH_FOLDS_TO_ASCII		/* a letter whose case folds to ASCII */
};

/* Short stable name of a path verdict for logs and tests. */
const char	*req_path_rc_name(enum req_path_rc rc);

/*
 * Turns a request target (REQUEST_URI) into the canonical path that rules
 * match: the query is cut at the first '?', the rest percent-decoded once.
 * Rejects every form listed in enum req_path_rc: each is a spelling that
 * some common backend routes to another path than its bytes say (a ';'
 * parameter cut off, a trailing dot or blank dropped, an overlong UTF-8
 * '/', a dotless i or Kelvin sign that case-insensitive matching in Java
 * or .NET takes for i or k). A trailing '/' is kept (policy_match ignores
 * it). out must hold at least REQ_MAX_PATH + 1 bytes; *outn gets the
 * length.
 */
enum req_path_rc req_path_canon(const char *uri, size_t n, char *out,
	    size_t outsz, size_t *outn) UTIL_MUST_CHECK;

enum req_cookie_rc {
	REQ_COOKIE_ABSENT = 0,		/* not there, or there and empty */
	REQ_COOKIE_FOUND,
	REQ_COOKIE_DUPLICATE,		/* present twice with different values */
	REQ_COOKIE_TOO_LONG,		/* header or value over its limit */
	REQ_COOKIE_MALFORMED		/* bad percent escape or control byte */
};

/*
 * Finds cookie `name` in a Cookie header ("a=1; b=2"). The value is
 * unquoted and percent-decoded once into out (NUL-terminated). The same
 * name sent twice with the same value is FOUND; with different values it
 * is DUPLICATE (a tossed cookie must not pick the session).
 */
enum req_cookie_rc req_cookie_find(const char *hdr, size_t n,
	    const char *name, size_t name_n, char *out, size_t outsz,
	    size_t *outn) UTIL_MUST_CHECK;

/*
 * Finds the better-auth session cookie for `prefix`: first
 * "__Secure-<prefix>.session_token" (only settable over https), then
 * "<prefix>.session_token". Same results as req_cookie_find.
 */
enum req_cookie_rc req_session_cookie_find(const char *hdr, size_t n,
	    const char *prefix, size_t prefix_n, char *out, size_t outsz,
	    size_t *outn) UTIL_MUST_CHECK;

/*
 * Finds a cookie that its library may split in chunks (Auth.js, better-
 * auth's cookie cache): "name" itself, or "name.0", "name.1", ...
 * rejoined in numeric order, each value unquoted and percent-decoded
 * once, into out (NUL-terminated, *outn bytes). ABSENT when neither
 * form is there; MALFORMED when both forms are, when an index is
 * missing (a gap), has a leading zero or is not a number, or a value is
 * malformed; DUPLICATE when one name has two different values; TOO_LONG
 * when the header is over REQ_MAX_COOKIE_HEADER, a value over
 * REQ_MAX_CHUNK_VALUE, an index REQ_MAX_CHUNKS or above, or the whole
 * does not fit out. Only FOUND leaves anything in out.
 */
enum req_cookie_rc req_cookie_chunked(const char *hdr, size_t n,
	    const char *name, size_t name_n, char *out, size_t outsz,
	    size_t *outn) UTIL_MUST_CHECK;

/*
 * Finds the NextAuth v4 / Auth.js v5 session cookie, trying in turn
 * "__Secure-authjs.session-token", "__Secure-next-auth.session-token"
 * (only settable over https), "authjs.session-token",
 * "next-auth.session-token": the first name present decides (a cookie a
 * neighbour host tossed in without __Secure- never outranks one with it).
 * Same results as req_cookie_find. The value is either a database
 * session token or a JWT session (req_looks_like_jwe); chunked JWT
 * cookies (NAME.0, NAME.1) are not this function's.
 */
enum req_cookie_rc req_authjs_cookie_find(const char *hdr, size_t n,
	    char *out, size_t outsz, size_t *outn) UTIL_MUST_CHECK;

/*
 * Returns 1 if an Auth.js cookie value has the shape of a JWT session
 * (a compact JWE: two or more dots, or the "eyJ" of a JSON header in
 * base64url), 0 if it can only be a database session token (Auth.js
 * makes those from a UUID or hex: never a dot).
 */
int	req_looks_like_jwe(const char *v, size_t n);

enum req_authz_rc {
	REQ_AUTHZ_ABSENT = 0,		/* no header, or another scheme */
	REQ_AUTHZ_BEARER,		/* *tok is set */
	REQ_AUTHZ_MALFORMED		/* Bearer with an empty, long or bad token */
};

/*
 * Parses "Authorization: Bearer <token>" (scheme case-insensitive).
 * Other schemes (Basic, ...) are ABSENT: they are not ours to judge.
 */
enum req_authz_rc req_authz_bearer(const char *v, size_t n,
	    struct slice *tok) UTIL_MUST_CHECK;

/*
 * Checks an x-api-key header value: trims spaces and tabs and requires
 * visible ASCII only. Returns 1 and sets *key, 0 if empty, -1 if bad.
 */
int	req_api_key(const char *v, size_t n, struct slice *key) UTIL_MUST_CHECK;

/*
 * Returns 1 if the value has the shape of a better-auth signed token,
 * "TOKEN.SIG" with a 44-character padded base64 SIG after the last dot.
 */
int	req_is_signed_token(const char *v, size_t n);

/*
 * Returns 1 if the request looks like a browser navigation: Accept names
 * text/html, X-Requested-With is absent, Sec-Fetch-Mode absent or
 * "navigate". NULL pointers mean the header is absent.
 */
int	req_is_navigation(const char *accept, size_t accept_n,
	    const char *xrw, size_t xrw_n, const char *mode, size_t mode_n);

/*
 * Percent-decodes n bytes once into out (NUL-terminated). Returns the
 * decoded length, or -1 on a bad escape, a decoded control byte, or
 * when out is too small.
 */
long	req_percent_decode(const char *s, size_t n, char *out, size_t outsz) UTIL_MUST_CHECK;

/*
 * Percent-encodes n bytes: letters, digits and the bytes in keep stay,
 * everything else becomes %XX. Returns the length (out NUL-terminated),
 * or 0 if out is too small.
 */
size_t	req_percent_encode(const char *s, size_t n, const char *keep,
	    char *out, size_t outsz) UTIL_MUST_CHECK;

/*
 * Percent-encodes s for use as a query value (everything but RFC 3986
 * unreserved and '/'). Returns the length, or 0 if out is too small.
 */
size_t	req_query_encode(const char *s, size_t n, char *out, size_t outsz) UTIL_MUST_CHECK;

#endif
