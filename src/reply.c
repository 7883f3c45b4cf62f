/*
 * reply.c - CGI response text for every answer authgate gives.
 *
 * Trusts the decision's identity only because authz validated it; still
 * re-checks every value that lands in a header. Never writes to a file
 * descriptor.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "reply.h"

static const char fallback[] =
    "Status: 503 Service Unavailable\r\n"
    "Cache-Control: no-store\r\n"
    "Content-Type: application/json\r\n"
    "\r\n"
    "{\"error\":\"Service Unavailable - internal error\"}\n";

struct buf {
	char	*p;
	size_t	 sz;
	size_t	 n;
	int	 overflow;
};

static void __attribute__((format(printf, 2, 3)))
put(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int w;

	if (b->overflow)
		return;
	va_start(ap, fmt);
	w = vsnprintf(b->p + b->n, b->sz - b->n, fmt, ap);
	va_end(ap);
	if (w < 0 || (size_t)w >= b->sz - b->n) {
		b->overflow = 1;
		return;
	}
	b->n += (size_t)w;
}

static size_t
finish(struct buf *b)
{
	if (b->overflow || b->n == 0) {
		if (b->sz < sizeof(fallback))
			return 0;
		memcpy(b->p, fallback, sizeof(fallback));
		return sizeof(fallback) - 1;
	}
	return b->n;
}

const char *
reply_status_text(int status)
{
	switch (status) {
	case 200: return "OK";
	case 302: return "Found";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 411: return "Length Required";
	case 413: return "Content Too Large";
	case 429: return "Too Many Requests";
	case 503: return "Service Unavailable";
	default: return "Error";
	}
}

static int
value_ok(const char *s)
{
	for (; *s != '\0'; s++)
		if (util_is_control((unsigned char)*s))
			return 0;
	return 1;
}

/* JSON string body for messages; they are ours, but escape anyway. */
static void
put_json_error(struct buf *b, const char *msg)
{
	put(b, "{\"error\":\"");
	for (; *msg != '\0'; msg++) {
		if (*msg == '"' || *msg == '\\')
			put(b, "\\%c", *msg);
		else if ((unsigned char)*msg < 0x20)
			put(b, "\\u%04x", (unsigned char)*msg);
		else
			put(b, "%c", *msg);
	}
	put(b, "\"}\n");
}

size_t
reply_error_body(const char *message, char *buf, size_t bufsz)
{
	struct buf b = { buf, bufsz, 0, 0 };

	put_json_error(&b, message);
	return b.overflow ? 0 : b.n;
}

/* The header block of a JSON answer; extra and extra2 are optional
 * whole header lines without CRLF. */
static void
put_head(struct buf *b, int status, const char *extra, const char *extra2)
{
	const char *x[2] = { extra, extra2 };
	int i;

	put(b, "Status: %d %s\r\n", status, reply_status_text(status));
	put(b, "Cache-Control: no-store\r\nContent-Type: application/json\r\n");
	for (i = 0; i < 2; i++) {
		if (x[i] == NULL)
			continue;
		if (!value_ok(x[i]))
			b->overflow = 1;
		put(b, "%s\r\n", x[i]);
	}
	put(b, "\r\n");
}

/* A deny with up to two extra header lines and the JSON error body. */
static size_t
deny_reply(int status, const char *message, const char *extra,
    const char *extra2, char *buf, size_t bufsz)
{
	struct buf b = { buf, bufsz, 0, 0 };

	put_head(&b, status, extra, extra2);
	put_json_error(&b, message);
	return finish(&b);
}

size_t
reply_error(int status, const char *message, const char *extra, char *buf,
    size_t bufsz)
{
	return deny_reply(status, message, extra, NULL, buf, bufsz);
}

size_t
reply_json(int status, const char *json, const char *extra, char *buf,
    size_t bufsz)
{
	struct buf b = { buf, bufsz, 0, 0 };

	put_head(&b, status, extra, NULL);
	if (!value_ok(json))
		b.overflow = 1;
	put(&b, "%s\n", json);
	return finish(&b);
}

size_t
reply_text(const char *ctype, const char *text, size_t n, char *buf,
    size_t bufsz)
{
	struct buf b = { buf, bufsz, 0, 0 };

	put(&b, "Status: 200 OK\r\nCache-Control: no-store\r\n");
	put(&b, "Content-Type: %s\r\n\r\n", ctype);
	if (b.overflow || n > b.sz - b.n)
		return 0;
	memcpy(b.p + b.n, text, n);
	b.n += n;
	return b.n;
}

size_t
reply_redirect_as_401(const struct authz_decision *d, char *buf, size_t bufsz)
{
	struct buf b = { buf, bufsz, 0, 0 };

	if (d->status != 302 || d->location[0] == '\0' ||
	    !value_ok(d->location))
		return reply_decision(d, REPLY_CHECK, buf, bufsz);
	put(&b, "Status: 401 Unauthorized\r\n");
	/* No WWW-Authenticate: nginx copies it onto the browser's redirect,
	 * which is not a Bearer challenge. */
	put(&b, "Cache-Control: no-store\r\nContent-Type: application/json\r\n");
	put(&b, "Location: %s\r\n\r\n", d->location);
	put_json_error(&b, d->message);
	return finish(&b);
}

struct field {
	const char	*var;		/* Variable- header (authorizer) */
	const char	*header;	/* X-Auth- header (check endpoint) */
	size_t		 off;
};

#define F(v, h, m) { "Variable-" v, h, offsetof(struct authz_identity, m) }
static const struct field fields[] = {
	F("AUTH_USER_ID", "X-Auth-User-Id", user_id),
	F("AUTH_USER_EMAIL", "X-Auth-User-Email", email),
	F("AUTH_USER_NAME", "X-Auth-User-Name", name),
	F("AUTH_ORG_ID", "X-Auth-Org-Id", org_id),
	F("AUTH_ORG_SLUG", "X-Auth-Org-Slug", org_slug),
	F("AUTH_ROLE", "X-Auth-Role", role),
	F("AUTH_ROLES", "X-Auth-Roles", roles),
	F("AUTH_METHOD", "X-Auth-Method", method),
	F("AUTH_SESSION_ID", "X-Auth-Session-Id", session_id),
	F("AUTH_API_KEY_ID", "X-Auth-Api-Key-Id", api_key_id),
	F("AUTH_EXPIRES_AT", "X-Auth-Expires-At", expires_at),
	F("REMOTE_USER", NULL, remote_user),
};
#undef F

static void
add(struct reply_shape *sh, const char *name, const char *value)
{
	if (sh->n < REPLY_MAX_HEADERS) {
		sh->h[sh->n].name = name;
		sh->h[sh->n].value = value;
	}
	sh->n++;	/* past the array: reply_decision answers 503 */
}

void
reply_shape(const struct authz_decision *d, enum reply_style style,
    struct reply_shape *sh)
{
	size_t i;

	memset(sh, 0, sizeof(*sh));
	sh->status = d->status;
	if (d->status != 200) {
		add(sh, "Cache-Control", "no-store");
		add(sh, "Content-Type", "application/json");
		if (d->status == 401)
			add(sh, "WWW-Authenticate", "Bearer realm=\"authgate\"");
		else if (d->status == 302)
			add(sh, "Location", d->location);
		else if (d->status == 503)
			add(sh, "Retry-After", "5");
		else if (d->status == 429) {
			snprintf(sh->retry, sizeof(sh->retry), "%d",
			    d->retry_after > 0 ? d->retry_after : 1);
			add(sh, "Retry-After", sh->retry);
		}
		/* The check endpoint repeats the message in X-Authgate-Error:
		 * nginx's auth_request drops the body and builds its own. */
		if (style == REPLY_CHECK && d->message[0] != '\0' &&
		    strpbrk(d->message, "\"\\") == NULL)
			add(sh, "X-Authgate-Error", d->message);
		sh->error = d->message;
		return;
	}
	/* An authorizer allow is read by the server, not the client: Apache's
	 * mod_authnz_fcgi would pass any other header on to the response
	 * (every allowed page would turn no-store). */
	if (style == REPLY_CHECK) {
		add(sh, "Cache-Control", "no-store");
		add(sh, "Content-Type", "application/json");
	}
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		const char *v = (const char *)&d->id + fields[i].off;

		if (style == REPLY_AUTHORIZER)
			add(sh, fields[i].var, v);
		else if (fields[i].header != NULL)
			add(sh, fields[i].header, v);
	}
}

size_t
reply_decision(const struct authz_decision *d, enum reply_style style,
    char *buf, size_t bufsz)
{
	struct buf b = { buf, bufsz, 0, 0 };
	struct reply_shape sh;
	size_t i;

	reply_shape(d, style, &sh);
	if (sh.n > REPLY_MAX_HEADERS ||
	    (sh.status == 302 && d->location[0] == '\0'))
		b.overflow = 1;
	/* Every identity value of an allow, also those this style does not
	 * send: a bad one means the identity is not what authz checked. */
	for (i = 0; sh.status == 200 && i < sizeof(fields) / sizeof(fields[0]);
	    i++)
		if (!value_ok((const char *)&d->id + fields[i].off))
			b.overflow = 1;
	put(&b, "Status: %d %s\r\n", sh.status,
	    reply_status_text(sh.status));
	for (i = 0; i < sh.n && i < REPLY_MAX_HEADERS; i++) {
		/* Invariant: no control byte reaches a header (authz checked;
		 * a miss here becomes a 503, not an allow). */
		if (!value_ok(sh.h[i].value)) {
			b.overflow = 1;
			break;
		}
		put(&b, "%s: %s\r\n", sh.h[i].name, sh.h[i].value);
	}
	put(&b, "\r\n");
	if (sh.error != NULL)
		put_json_error(&b, sh.error);
	return finish(&b);
}
