/*
 * reply.h - renders a decision as CGI/FastCGI response headers and body.
 *
 * Pure formatting into a caller buffer; main.c is the one place that
 * writes the bytes out. Invariant: every reply starts with "Status: ",
 * because a FastCGI authorizer reply without one is an allow.
 */
#ifndef AUTHGATE_REPLY_H
#define AUTHGATE_REPLY_H

#include <stddef.h>

#include "authz.h"

#define REPLY_MAX	16384	/* headers + JSON body; identity is bounded */

enum reply_style {
	REPLY_AUTHORIZER = 0,	/* lighttpd/Apache: Variable-AUTH_* on allow,
				 * and no other header beside Status */
	REPLY_CHECK		/* nginx/Caddy: X-Auth-* on allow, always all;
				 * X-Authgate-Error: <message> on a deny */
};

/*
 * Formats d into buf. Returns the length; if buf is too small the reply
 * is replaced by a fixed 503 (never an allow), which always fits in
 * REPLY_MAX.
 */
size_t	reply_decision(const struct authz_decision *d, enum reply_style style,
	    char *buf, size_t bufsz);

/*
 * Formats a redirect decision (302) as a 401 that still names the
 * target in Location, for nginx auth_request, which turns any status but
 * 2xx, 401 and 403 into a 500; its config redirects on that header. No
 * WWW-Authenticate: nginx would copy it onto the browser's redirect.
 */
size_t	reply_redirect_as_401(const struct authz_decision *d, char *buf,
	    size_t bufsz);

/*
 * Formats a plain JSON error answer: Status, Cache-Control, Content-Type
 * and {"error": message}. extra (may be NULL) is one more header line
 * without CRLF. Falls back to a fixed 503 like reply_decision.
 */
size_t	reply_error(int status, const char *message, const char *extra,
	    char *buf, size_t bufsz);

/*
 * Formats a JSON answer whose body the caller built (it must be valid
 * JSON without control characters). Same headers as reply_error.
 */
size_t	reply_json(int status, const char *json, const char *extra, char *buf,
	    size_t bufsz);

/* Reason phrase for the statuses authgate sends. */
const char	*reply_status_text(int status);

#endif
