/*
 * request.c - pure parsers for what the web server hands us: the request
 * target, the Cookie header, Authorization and x-api-key, Accept.
 *
 * Trusts nothing: every parameter may be attacker-chosen. Checks lengths
 * against the REQ_MAX_* limits first, then parses with explicit lengths.
 * Never does I/O, never allocates, never logs (a parse error must not
 * leak the header that failed).
 */
#include <string.h>

#include "request.h"

static const char *const path_rc_names[] = {
	"ok", "path_empty", "path_too_long", "path_not_absolute",
	"path_control", "path_backslash", "path_encoded_slash",
	"path_encoded_percent", "path_encoded_delimiter", "path_fragment",
	"path_bad_escape", "path_dot_segment", "path_empty_segment",
	"path_semicolon", "path_segment_end", "path_bad_utf8",
	"path_folds_to_ascii"
};

const char *
req_path_rc_name(enum req_path_rc rc)
{
	if ((size_t)rc >= sizeof(path_rc_names) / sizeof(path_rc_names[0]))
		return "path_unknown";
	return path_rc_names[rc];
}

static int
hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Checks that s holds well-formed UTF-8: no overlong forms, no surrogates,
 * nothing past U+10FFFF, and none of the four letters that Unicode case
 * folding maps onto ASCII (U+0130 and U+0131 onto i, U+017F onto s,
 * U+212A onto k). Returns REQ_PATH_OK or the verdict.
 */
static enum req_path_rc
utf8_check(const unsigned char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned char c = s[i];
		unsigned long cp;
		size_t len, k;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			len = 2;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			len = 3;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			len = 4;
			cp = c & 0x07;
		} else {
			return REQ_PATH_BAD_UTF8;	/* 80-C1, F5-FF */
		}
		if (n - i < len)
			return REQ_PATH_BAD_UTF8;
		for (k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return REQ_PATH_BAD_UTF8;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return REQ_PATH_BAD_UTF8;
		if (cp == 0x130 || cp == 0x131 || cp == 0x17f || cp == 0x212a)
			return REQ_PATH_FOLDS_TO_ASCII;
		i += len;
	}
	return REQ_PATH_OK;
}

/* An output buffer's state before anything is written to it: empty. */
static void
out_clear(char *out, size_t outsz, size_t *outn)
{
	*outn = 0;
	if (outsz > 0)
		out[0] = '\0';
}

enum req_path_rc
req_path_canon(const char *uri, size_t n, char *out, size_t outsz,
    size_t *outn)
{
	enum req_path_rc rc;
	size_t i, o = 0, seg;

	out_clear(out, outsz, outn);
	if (uri == NULL || n == 0)
		return REQ_PATH_EMPTY;
	if (n > REQ_MAX_URI)
		return REQ_PATH_TOO_LONG;
	if (outsz < REQ_MAX_PATH + 1)
		return REQ_PATH_TOO_LONG;
	if (uri[0] != '/')
		return REQ_PATH_NOT_ABSOLUTE;

	for (i = 0; i < n && uri[i] != '?'; i++) {
		unsigned char c = (unsigned char)uri[i];

		if (c == '#')
			return REQ_PATH_FRAGMENT;
		if (c == '\\')
			return REQ_PATH_BACKSLASH;
		if (util_is_control(c))
			return REQ_PATH_CONTROL;
		if (c == '%') {
			int hi, lo;

			if (n - i < 3)
				return REQ_PATH_BAD_ESCAPE;
			hi = hexval((unsigned char)uri[i + 1]);
			lo = hexval((unsigned char)uri[i + 2]);
			if (hi < 0 || lo < 0)
				return REQ_PATH_BAD_ESCAPE;
			c = (unsigned char)(hi << 4 | lo);
			i += 2;
			if (c == '/')
				return REQ_PATH_ENCODED_SLASH;
			if (c == '%')
				return REQ_PATH_ENCODED_PERCENT;
			if (c == '?' || c == '#')
				return REQ_PATH_ENCODED_DELIM;
			if (c == '\\')
				return REQ_PATH_BACKSLASH;
			if (util_is_control(c))
				return REQ_PATH_CONTROL;
		}
		out[o++] = (char)c;
	}
	out[o] = '\0';

	/* Segments of the decoded path; slashes here are all raw slashes. */
	for (seg = 1; seg <= o; ) {
		size_t end = seg;

		while (end < o && out[end] != '/')
			end++;
		if (end == seg && end < o)
			return REQ_PATH_EMPTY_SEGMENT;
		if ((end - seg == 1 && out[seg] == '.') ||
		    (end - seg == 2 && out[seg] == '.' && out[seg + 1] == '.'))
			return REQ_PATH_DOT_SEGMENT;
		if (memchr(out + seg, ';', end - seg) != NULL)
			return REQ_PATH_SEMICOLON;
		if (end > seg && (out[end - 1] == '.' || out[end - 1] == ' '))
			return REQ_PATH_SEGMENT_END;
		seg = end + 1;
	}
	if ((rc = utf8_check((const unsigned char *)out, o)) != REQ_PATH_OK)
		return rc;
	*outn = o;
	return REQ_PATH_OK;
}

static int
is_ws(char c)
{
	return c == ' ' || c == '\t';
}

long
req_percent_decode(const char *s, size_t n, char *out, size_t outsz)
{
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '%') {
			int hi, lo;

			if (n - i < 3)
				return -1;
			hi = hexval((unsigned char)s[i + 1]);
			lo = hexval((unsigned char)s[i + 2]);
			if (hi < 0 || lo < 0)
				return -1;
			c = (unsigned char)(hi << 4 | lo);
			i += 2;
		}
		if (util_is_control(c) || o + 1 >= outsz)
			return -1;
		out[o++] = (char)c;
	}
	if (o >= outsz)
		return -1;
	out[o] = '\0';
	return (long)o;
}

/*
 * Decodes one cookie value (already trimmed) into out.
 * Returns the decoded length, or -1 (malformed) / -2 (too long).
 */
static long
cookie_value_decode(const char *v, size_t n, char *out, size_t outsz)
{
	long dn;

	if (n >= 2 && v[0] == '"' && v[n - 1] == '"') {
		v++;
		n -= 2;
	}
	if (n > REQ_MAX_COOKIE_VALUE)
		return -2;
	if (outsz < n + 1)
		return -2;
	dn = req_percent_decode(v, n, out, outsz);
	if (dn < 0 || memchr(out, '"', (size_t)dn) != NULL)
		return -1;
	return dn;
}

enum req_cookie_rc
req_cookie_find(const char *hdr, size_t n, const char *name, size_t name_n,
    char *out, size_t outsz, size_t *outn)
{
	char other[REQ_MAX_COOKIE_VALUE + 1];
	enum req_cookie_rc rc = REQ_COOKIE_ABSENT;
	size_t i = 0;

	out_clear(out, outsz, outn);
	if (hdr == NULL || n == 0)
		return REQ_COOKIE_ABSENT;
	if (n > REQ_MAX_COOKIE_HEADER)
		return REQ_COOKIE_TOO_LONG;

	while (i < n) {
		size_t start, eq, end, ks, ke, vs, ve;
		long dn;

		start = i;
		while (i < n && hdr[i] != ';')
			i++;
		end = i++;		/* skip the ';' */
		ks = start;
		while (ks < end && is_ws(hdr[ks]))
			ks++;
		for (eq = ks; eq < end && hdr[eq] != '='; eq++)
			;
		if (eq == end)
			continue;	/* no '=': not a cookie pair */
		ke = eq;
		while (ke > ks && is_ws(hdr[ke - 1]))
			ke--;
		if (ke - ks != name_n || memcmp(hdr + ks, name, name_n) != 0)
			continue;
		vs = eq + 1;
		ve = end;
		while (vs < ve && is_ws(hdr[vs]))
			vs++;
		while (ve > vs && is_ws(hdr[ve - 1]))
			ve--;
		if (ve == vs)
			continue;	/* empty: a deleted cookie */

		/* The first value goes to out; a later one must equal it. */
		if (rc == REQ_COOKIE_ABSENT)
			dn = cookie_value_decode(hdr + vs, ve - vs, out, outsz);
		else
			dn = cookie_value_decode(hdr + vs, ve - vs, other,
			    sizeof(other));
		if (dn == -2)
			return REQ_COOKIE_TOO_LONG;
		if (dn < 0)
			return REQ_COOKIE_MALFORMED;
		if (dn == 0)
			continue;
		if (rc == REQ_COOKIE_ABSENT) {
			*outn = (size_t)dn;
			rc = REQ_COOKIE_FOUND;
		} else if ((size_t)dn != *outn ||
		    memcmp(other, out, (size_t)dn) != 0) {
			out_clear(out, outsz, outn);
			return REQ_COOKIE_DUPLICATE;
		}
	}
	return rc;
}

/* A value span of one cookie pair, trimmed and unquoted. */
struct span {
	size_t	s, e;
};

/* Whether two raw spans of hdr hold the same bytes. */
static int
span_eq(const char *hdr, const struct span *a, size_t s, size_t e)
{
	return a->e - a->s == e - s && memcmp(hdr + a->s, hdr + s, e - s) == 0;
}

/*
 * Records the span [s, e) for chunk index idx (-1: the unchunked name).
 * Returns a req_cookie_rc: FOUND to go on, else the verdict.
 */
static enum req_cookie_rc
chunk_note(const char *hdr, struct span *whole, int *have_whole,
    struct span *chunk, unsigned *mask, long idx, size_t s, size_t e)
{
	struct span *dst;
	int seen;

	if (e - s > REQ_MAX_CHUNK_VALUE)
		return REQ_COOKIE_TOO_LONG;
	if (idx < 0) {
		dst = whole;
		seen = *have_whole;
		*have_whole = 1;
	} else {
		if (idx >= REQ_MAX_CHUNKS)
			return REQ_COOKIE_TOO_LONG;
		dst = &chunk[idx];
		seen = (*mask >> idx) & 1;
		*mask |= 1u << idx;
	}
	if (seen)
		return span_eq(hdr, dst, s, e) ? REQ_COOKIE_FOUND :
		    REQ_COOKIE_DUPLICATE;
	dst->s = s;
	dst->e = e;
	return REQ_COOKIE_FOUND;
}

/* Decodes one chunk's value onto the end of out; -1 malformed, -2 long. */
static long
chunk_append(const char *v, size_t n, char *out, size_t outsz, size_t at)
{
	long dn;

	if (n >= 2 && v[0] == '"' && v[n - 1] == '"') {
		v++;
		n -= 2;
	}
	if (at + n + 1 > outsz)
		return -2;
	dn = req_percent_decode(v, n, out + at, outsz - at);
	if (dn < 0 || memchr(out + at, '"', (size_t)dn) != NULL)
		return -1;
	return dn;
}

enum req_cookie_rc
req_cookie_chunked(const char *hdr, size_t n, const char *name, size_t name_n,
    char *out, size_t outsz, size_t *outn)
{
	struct span whole = { 0, 0 }, chunk[REQ_MAX_CHUNKS];
	enum req_cookie_rc rc;
	unsigned mask = 0;
	size_t i = 0, o = 0, k;
	int have_whole = 0;
	long idx, dn;

	out_clear(out, outsz, outn);
	if (hdr == NULL || n == 0)
		return REQ_COOKIE_ABSENT;
	if (n > REQ_MAX_COOKIE_HEADER)
		return REQ_COOKIE_TOO_LONG;
	while (i < n) {
		size_t start, eq, end, ks, ke, vs, ve;

		start = i;
		while (i < n && hdr[i] != ';')
			i++;
		end = i++;
		ks = start;
		while (ks < end && is_ws(hdr[ks]))
			ks++;
		for (eq = ks; eq < end && hdr[eq] != '='; eq++)
			;
		if (eq == end)
			continue;
		ke = eq;
		while (ke > ks && is_ws(hdr[ke - 1]))
			ke--;
		if (ke - ks < name_n || memcmp(hdr + ks, name, name_n) != 0)
			continue;
		if (ke - ks == name_n) {
			idx = -1;
		} else if (hdr[ks + name_n] == '.' && ke - ks > name_n + 1) {
			/* ".N": digits only, no leading zero, bounded */
			idx = 0;
			for (k = ks + name_n + 1; k < ke; k++) {
				if (hdr[k] < '0' || hdr[k] > '9')
					break;
				if (idx > REQ_MAX_CHUNKS)
					break;
				idx = idx * 10 + (hdr[k] - '0');
			}
			if (k < ke && (hdr[k] < '0' || hdr[k] > '9'))
				continue;	/* "name.x": another cookie */
			if ((hdr[ks + name_n + 1] == '0' && ke - ks > name_n + 2))
				return REQ_COOKIE_MALFORMED;
			if (k < ke)
				return REQ_COOKIE_TOO_LONG;
		} else {
			continue;
		}
		vs = eq + 1;
		ve = end;
		while (vs < ve && is_ws(hdr[vs]))
			vs++;
		while (ve > vs && is_ws(hdr[ve - 1]))
			ve--;
		if (ve == vs)
			continue;	/* empty: a deleted cookie or chunk */
		rc = chunk_note(hdr, &whole, &have_whole, chunk, &mask, idx,
		    vs, ve);
		if (rc != REQ_COOKIE_FOUND)
			return rc;
	}
	if (!have_whole && mask == 0)
		return REQ_COOKIE_ABSENT;
	/* both forms, or a gap: not one value the library wrote */
	if ((have_whole && mask != 0) || (mask & (mask + 1)) != 0)
		return REQ_COOKIE_MALFORMED;
	if (have_whole) {
		dn = chunk_append(hdr + whole.s, whole.e - whole.s, out, outsz,
		    0);
		o = dn > 0 ? (size_t)dn : 0;
	} else {
		for (k = 0, dn = 0; k < REQ_MAX_CHUNKS && (mask >> k & 1) &&
		    dn >= 0; k++) {
			dn = chunk_append(hdr + chunk[k].s, chunk[k].e -
			    chunk[k].s, out, outsz, o);
			if (dn >= 0)
				o += (size_t)dn;
		}
	}
	if (dn < 0 || o == 0) {
		if (outsz > 0)
			memset(out, 0, o < outsz ? o + 1 : outsz);
		out_clear(out, outsz, outn);
		return dn == -2 ? REQ_COOKIE_TOO_LONG : REQ_COOKIE_MALFORMED;
	}
	*outn = o;
	return REQ_COOKIE_FOUND;
}

enum req_cookie_rc
req_session_cookie_find(const char *hdr, size_t n, const char *prefix,
    size_t prefix_n, char *out, size_t outsz, size_t *outn)
{
	static const char secure[] = "__Secure-";
	static const char suffix[] = ".session_token";
	char name[sizeof(secure) + REQ_MAX_PREFIX + sizeof(suffix)];
	enum req_cookie_rc rc;
	size_t len;

	*outn = 0;
	if (prefix_n > REQ_MAX_PREFIX)
		return REQ_COOKIE_ABSENT;
	len = 0;
	memcpy(name, secure, sizeof(secure) - 1);
	len += sizeof(secure) - 1;
	memcpy(name + len, prefix, prefix_n);
	len += prefix_n;
	memcpy(name + len, suffix, sizeof(suffix) - 1);
	len += sizeof(suffix) - 1;

	rc = req_cookie_find(hdr, n, name, len, out, outsz, outn);
	if (rc != REQ_COOKIE_ABSENT)
		return rc;
	return req_cookie_find(hdr, n, name + sizeof(secure) - 1,
	    len - (sizeof(secure) - 1), out, outsz, outn);
}

enum req_cookie_rc
req_authjs_cookie_find(const char *hdr, size_t n, char *out, size_t outsz,
    size_t *outn)
{
	/* Invariant: __Secure- forms first, v5 before v4 at each level. */
	static const char *const names[] = {
		"__Secure-authjs.session-token",
		"__Secure-next-auth.session-token",
		"authjs.session-token",
		"next-auth.session-token",
	};
	enum req_cookie_rc rc = REQ_COOKIE_ABSENT;
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		rc = req_cookie_find(hdr, n, names[i], strlen(names[i]), out,
		    outsz, outn);
		if (rc != REQ_COOKIE_ABSENT)
			break;
	}
	return rc;
}

int
req_looks_like_jwe(const char *v, size_t n)
{
	size_t i, dots = 0;

	if (n >= 3 && memcmp(v, "eyJ", 3) == 0)
		return 1;
	for (i = 0; i < n; i++)
		if (v[i] == '.')
			dots++;
	return dots >= 2;
}

static int
visible_ascii(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] == ' ' || util_is_control((unsigned char)s[i]) ||
		    (unsigned char)s[i] >= 0x80)
			return 0;
	return 1;
}

enum req_authz_rc
req_authz_bearer(const char *v, size_t n, struct slice *tok)
{
	size_t i = 0, s, e;

	tok->p = NULL;
	tok->n = 0;
	if (v == NULL || n == 0)
		return REQ_AUTHZ_ABSENT;
	while (i < n && is_ws(v[i]))
		i++;
	s = i;
	while (i < n && !is_ws(v[i]))
		i++;
	if (!util_ieq(v + s, i - s, "Bearer", 6))
		return REQ_AUTHZ_ABSENT;
	if (n > REQ_MAX_AUTHZ)
		return REQ_AUTHZ_MALFORMED;
	while (i < n && is_ws(v[i]))
		i++;
	e = n;
	while (e > i && is_ws(v[e - 1]))
		e--;
	if (e == i || e - i > REQ_MAX_CREDENTIAL || !visible_ascii(v + i, e - i))
		return REQ_AUTHZ_MALFORMED;
	tok->p = v + i;
	tok->n = e - i;
	return REQ_AUTHZ_BEARER;
}

int
req_api_key(const char *v, size_t n, struct slice *key)
{
	size_t s = 0, e = n;

	key->p = NULL;
	key->n = 0;
	if (v == NULL)
		return 0;
	if (n > REQ_MAX_AUTHZ)
		return -1;
	while (s < e && is_ws(v[s]))
		s++;
	while (e > s && is_ws(v[e - 1]))
		e--;
	if (e == s)
		return 0;
	if (e - s > REQ_MAX_CREDENTIAL || !visible_ascii(v + s, e - s))
		return -1;
	key->p = v + s;
	key->n = e - s;
	return 1;
}

int
req_is_signed_token(const char *v, size_t n)
{
	size_t dot, i;

	if (n < 46)
		return 0;
	for (dot = n; dot > 0 && v[dot - 1] != '.'; dot--)
		;
	if (dot < 2)	/* no dot, or an empty TOKEN */
		return 0;
	if (n - dot != 44 || v[n - 1] != '=')
		return 0;
	for (i = dot; i < n - 1; i++)
		if (!((v[i] >= 'A' && v[i] <= 'Z') || (v[i] >= 'a' &&
		    v[i] <= 'z') || (v[i] >= '0' && v[i] <= '9') ||
		    v[i] == '+' || v[i] == '/'))
			return 0;
	return 1;
}

static int
contains_ci(const char *h, size_t hn, const char *needle, size_t nn)
{
	size_t i;

	for (i = 0; i + nn <= hn; i++)
		if (util_ieq(h + i, nn, needle, nn))
			return 1;
	return 0;
}

int
req_is_navigation(const char *accept, size_t accept_n, const char *xrw,
    size_t xrw_n, const char *mode, size_t mode_n)
{
	if (accept == NULL || !contains_ci(accept, accept_n, "text/html", 9))
		return 0;
	if (xrw != NULL && xrw_n > 0)
		return 0;
	if (mode != NULL && mode_n > 0 && !util_ieq(mode, mode_n, "navigate", 8))
		return 0;
	return 1;
}

size_t
req_percent_encode(const char *s, size_t n, const char *keep, char *out,
    size_t outsz)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		int k = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || (c != '\0' &&
		    strchr(keep, c) != NULL);

		if (o + (k ? 1 : 3) >= outsz)
			return 0;
		if (k) {
			out[o++] = (char)c;
		} else {
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	if (o >= outsz)
		return 0;
	out[o] = '\0';
	return o;
}

size_t
req_query_encode(const char *s, size_t n, char *out, size_t outsz)
{
	return req_percent_encode(s, n, "-._~/", out, outsz);
}
