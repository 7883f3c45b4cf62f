/*
 * fuzz_request.c - libFuzzer target for request.c's parsers: the path
 * canonicalizer, the Cookie parser, Authorization and x-api-key, the
 * signed-token shape and navigation detection. The first byte picks the
 * parser; the rest is its input.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile int sink;	/* results nobody checks still count */

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char out[REQ_MAX_PATH + 1];
	const char *s = (const char *)data + 1;
	struct slice sl;
	size_t n, on = 0;

	if (size < 1)
		return 0;
	n = size - 1;
	switch (data[0] % 6) {
	case 0:
		if (req_path_canon(s, n, out, sizeof(out), &on) == REQ_PATH_OK) {
			/* Invariant: canonical output never holds what the
			 * canonicalizer promises to refuse. */
			if (on == 0 || out[0] != '/' || strstr(out, "//") ||
			    memchr(out, '\\', on) || memchr(out, '?', on) ||
			    memchr(out, '#', on) || memchr(out, '%', on) ||
			    memchr(out, ';', on) || strstr(out, "/../") ||
			    strstr(out, "/./") || strstr(out, "./") ||
			    strstr(out, " /") || (on > 1 &&
			    (out[on - 1] == '.' || out[on - 1] == ' ')))
				__builtin_trap();
		}
		break;
	case 1:
		if (req_session_cookie_find(s, n, "better-auth", 11, out,
		    REQ_MAX_COOKIE_VALUE + 1, &on) == REQ_COOKIE_FOUND &&
		    (on > REQ_MAX_COOKIE_VALUE || strlen(out) != on))
			__builtin_trap();
		/* NextAuth's / Auth.js's names: the same bounds */
		if (req_authjs_cookie_find(s, n, out, REQ_MAX_COOKIE_VALUE + 1,
		    &on) == REQ_COOKIE_FOUND && (on > REQ_MAX_COOKIE_VALUE ||
		    strlen(out) != on))
			__builtin_trap();
		sink += req_looks_like_jwe(s, n);
		break;
	case 2:
		if (req_authz_bearer(s, n, &sl) == REQ_AUTHZ_BEARER &&
		    (sl.n == 0 || sl.p < s || sl.p + sl.n > s + n))
			__builtin_trap();
		break;
	case 3:
		if (req_api_key(s, n, &sl) == 1 && sl.n == 0)
			__builtin_trap();
		sink += req_is_signed_token(s, n);
		break;
	case 4:
		sink += req_is_navigation(s, n / 2, s + n / 2, n - n / 2, s, n);
		break;
	default:
		sink += (int)req_percent_decode(s, n, out, sizeof(out));
		sink += (int)req_query_encode(s, n < 1000 ? n : 1000, out,
		    sizeof(out));
		break;
	}
	return 0;
}
