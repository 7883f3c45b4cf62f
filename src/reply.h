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

#define REPLY_MAX_HEADERS	16	/* the most a decision sends: 12 + 4 */

/* One header of an answer; the strings point into the decision or are
 * static. */
struct reply_header {
	const char	*name;
	const char	*value;
};

/* A decision's answer as its parts, before it is rendered. */
struct reply_shape {
	int			 status;
	struct reply_header	 h[REPLY_MAX_HEADERS];
	size_t			 n;
	const char		*error;	/* the JSON body's message; NULL: none */
	char			 retry[16];	/* a 429's Retry-After value */
};

/*
 * The headers and body a decision is answered with, in order (Status is
 * the status field). Valid while d is. reply_decision renders exactly
 * this; `authgate check --json` shows it.
 */
void	reply_shape(const struct authz_decision *d, enum reply_style style,
	    struct reply_shape *sh);

/*
 * Formats d into buf. Returns the length; if buf is too small, or a
 * value holds a control byte, the reply is replaced by a fixed 503 (never
 * an allow), which always fits in REPLY_MAX.
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

/*
 * A 200 text answer (the metrics): Status first, Cache-Control:
 * no-store, Content-Type ctype, then the n bytes of text. Returns the
 * length, or 0 when it does not fit.
 */
size_t	reply_text(const char *ctype, const char *text, size_t n, char *buf,
	    size_t bufsz);

/*
 * The JSON body of a deny, {"error":"<message>"} and a newline, escaped
 * as every answer escapes it. Returns the length, or 0 if buf is too
 * small.
 */
size_t	reply_error_body(const char *message, char *buf, size_t bufsz);

/* Reason phrase for the statuses authgate sends. */
const char	*reply_status_text(int status);

#endif
