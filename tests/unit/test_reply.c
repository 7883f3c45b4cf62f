/*
 * test_reply.c - unit tests for src/reply.c: the CGI/FastCGI answer for
 * every decision (SPEC section 7). Invariants checked everywhere:
 * "Status: " is the first line, no "HTTP_" prefix, Cache-Control: no-store
 * and Content-Type: application/json on every answer, and nothing that
 * cannot be rendered safely ever turns into an allow.
 *
 * Decisions are built by hand (memset 0, then fields). Case ids are
 * stable: a new case gets a new id, an id never changes meaning.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "reply.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))
#define HAS(buf, s)	(strstr((buf), (s)) != NULL)
/* buf starts with the string literal lit */
#define STARTS(buf, lit)	(strncmp((buf), (lit), sizeof(lit) - 1) == 0)

static char buf[2 * REPLY_MAX];
static struct authz_decision dec;

/* Every identity field, its Variable- name and X-Auth- header. */
static const struct {
	const char	*var;
	const char	*hdr;	/* NULL: authorizer only */
	size_t		 off;
	size_t		 size;
} fields[] = {
#define F(v, h, m) { v, h, offsetof(struct authz_identity, m), \
	sizeof(((struct authz_identity *)0)->m) }
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
#undef F
};

static char *
field(struct authz_decision *d, size_t i)
{
	return (char *)&d->id + fields[i].off;
}

/* Copies v into a field of size sz, cut to fit (a cut value still
 * holds its first bad byte in every case used here). */
static void
set_n(char *dst, size_t sz, const char *v)
{
	snprintf(dst, sz, "%s", v);
}
#define set(dst, v)	set_n((dst), sizeof(dst), (v))

/* A full session allow as authz would make it. */
static void
allow(struct authz_decision *d)
{
	memset(d, 0, sizeof(*d));
	d->status = 200;
	d->reason = "allow";
	d->rule_id = 3;
	set(d->path, "/api/x");
	set(d->method, "GET");
	set(d->id.user_id, "vOwsj6r1SKUIP3jJzufAEmuKIwdQSoVq");
	set(d->id.email, "alice@acme.test");
	set(d->id.name, "Alice Owner");
	set(d->id.org_id, "ZXYNdjlniVEZ0QXL44j3yD7tzdu4D22o");
	set(d->id.org_slug, "acme");
	set(d->id.role, "owner");
	set(d->id.roles, "owner,member");
	set(d->id.method, "session");
	set(d->id.session_id, "paNlqFLu8m1YsCcr1oyxR9dZZNwZiE1Z");
	set(d->id.expires_at, "2099-12-31T23:59:59.000Z");
	set(d->id.remote_user, "vOwsj6r1SKUIP3jJzufAEmuKIwdQSoVq");
}

static void
deny(struct authz_decision *d, int status, const char *msg)
{
	memset(d, 0, sizeof(*d));
	d->status = status;
	d->reason = "test";
	d->rule_id = -1;
	set(d->message, msg);
}

/* Renders into buf (NUL-terminated by the callee), returns the length. */
static size_t
render(const struct authz_decision *d, enum reply_style style)
{
	memset(buf, 'z', sizeof(buf));
	return reply_decision(d, style, buf, REPLY_MAX);
}

/* Checks the invariants every answer must keep; one id per caller. */
static void
common(const char *id, size_t n)
{
	T_CHECK(id, n > 0 && n < REPLY_MAX);
	T_CHECK(id, buf[n] == '\0');
	T_EQ_INT(id, strlen(buf), n);
	T_CHECK(id, STARTS(buf, "Status: "));
	T_CHECK(id, HAS(buf, "\r\nCache-Control: no-store\r\n"));
	T_CHECK(id, HAS(buf, "\r\nContent-Type: application/json\r\n"));
	T_CHECK(id, HAS(buf, "\r\n\r\n"));
	T_CHECK(id, !HAS(buf, "HTTP_"));
}

/* An authorizer allow: the invariants of common(), except that beside
 * Status it carries nothing but Variable- lines (Apache would pass any
 * other header to the client). */
static void
common_authz_allow(const char *id, size_t n)
{
	T_CHECK(id, n > 0 && n < REPLY_MAX);
	T_CHECK(id, buf[n] == '\0');
	T_EQ_INT(id, strlen(buf), n);
	T_CHECK(id, STARTS(buf, "Status: 200 OK\r\n"));
	T_CHECK(id, HAS(buf, "\r\n\r\n"));
	T_CHECK(id, !HAS(buf, "HTTP_"));
	T_CHECK("reply-allow-030", !HAS(buf, "Cache-Control"));
	T_CHECK("reply-allow-031", !HAS(buf, "Content-Type"));
}

/* The header block (up to the blank line), copied for line checks. */
static char head[REPLY_MAX];

static void
split_head(void)
{
	const char *e = strstr(buf, "\r\n\r\n");
	size_t n = e != NULL ? (size_t)(e - buf) + 2 : 0;

	memcpy(head, buf, n);
	head[n] = '\0';
}

/* Returns 1 if every header line ends in CRLF and holds no bare CR/LF. */
static int
lines_clean(void)
{
	const char *p;

	for (p = head; *p != '\0'; p++) {
		if (*p == '\r' && p[1] != '\n')
			return 0;
		if (*p == '\n' && (p == head || p[-1] != '\r'))
			return 0;
	}
	return 1;
}

/* ---- allow -------------------------------------------------------- */

static void
test_allow_authorizer(void)
{
	char want[512];
	size_t i, n;

	allow(&dec);
	n = render(&dec, REPLY_AUTHORIZER);
	common_authz_allow("reply-allow-001", n);
	T_CHECK("reply-allow-002", STARTS(buf, "Status: 200 OK\r\n"));
	split_head();
	T_CHECK("reply-allow-003", lines_clean());
	for (i = 0; i < NELEM(fields); i++) {
		snprintf(want, sizeof(want), "\r\nVariable-%s: %s\r\n",
		    fields[i].var, field(&dec, i));
		/* AUTH_API_KEY_ID is empty for a session; only the others */
		if (field(&dec, i)[0] == '\0')
			continue;
		if (!HAS(head, want))
			printf("  missing %s", want);
		T_CHECK("reply-allow-004", HAS(head, want));
	}
	T_CHECK("reply-allow-005", HAS(head,
	    "\r\nVariable-AUTH_USER_ID: vOwsj6r1SKUIP3jJzufAEmuKIwdQSoVq\r\n"));
	T_CHECK("reply-allow-006", HAS(head,
	    "\r\nVariable-REMOTE_USER: vOwsj6r1SKUIP3jJzufAEmuKIwdQSoVq\r\n"));
	T_CHECK("reply-allow-007", HAS(head,
	    "\r\nVariable-AUTH_METHOD: session\r\n"));
	T_CHECK("reply-allow-008", HAS(head,
	    "\r\nVariable-AUTH_ROLES: owner,member\r\n"));
	T_CHECK("reply-allow-009", !HAS(buf, "X-Auth-"));
	T_CHECK("reply-allow-010", !HAS(buf, "WWW-Authenticate"));
	T_CHECK("reply-allow-011", !HAS(buf, "Location:"));
	/* Status: is the first line and appears once */
	T_CHECK("reply-allow-012", strstr(buf + 1, "Status:") == NULL);

	/* an API-key allow */
	allow(&dec);
	set(dec.id.method, "api_key");
	dec.id.session_id[0] = '\0';
	set(dec.id.api_key_id, "5Jl9LzJRHTsqhAvC8Eopo9c3l9Y9EsQS");
	n = render(&dec, REPLY_AUTHORIZER);
	common_authz_allow("reply-allow-013", n);
	T_CHECK("reply-allow-014", HAS(buf,
	    "\r\nVariable-AUTH_API_KEY_ID: 5Jl9LzJRHTsqhAvC8Eopo9c3l9Y9EsQS\r\n"));
	T_CHECK("reply-allow-015", HAS(buf,
	    "\r\nVariable-AUTH_METHOD: api_key\r\n"));

	/* UTF-8 in a name passes unchanged */
	allow(&dec);
	set(dec.id.name, "Zo\xc3\xab M\xc3\xbcller");
	n = render(&dec, REPLY_AUTHORIZER);
	common_authz_allow("reply-allow-016", n);
	T_CHECK("reply-allow-017", STARTS(buf, "Status: 200"));
	T_CHECK("reply-allow-018", HAS(buf,
	    "\r\nVariable-AUTH_USER_NAME: Zo\xc3\xab M\xc3\xbcller\r\n"));

	/* every field set: all twelve Variable- lines, each exactly once */
	allow(&dec);
	set(dec.id.api_key_id, "k1");
	n = render(&dec, REPLY_AUTHORIZER);
	common_authz_allow("reply-allow-019", n);
	split_head();
	{
		int ok = 1;

		for (i = 0; i < NELEM(fields); i++) {
			const char *hit;

			snprintf(want, sizeof(want), "\r\nVariable-%s: %s\r\n",
			    fields[i].var, field(&dec, i));
			hit = strstr(head, want);
			if (hit == NULL || strstr(hit + 1, want) != NULL) {
				printf("  %s not there once\n", fields[i].var);
				ok = 0;
			}
		}
		T_CHECK("reply-allow-020", ok);
	}
}

static void
test_allow_check(void)
{
	char want[512];
	size_t i, n;

	allow(&dec);
	n = render(&dec, REPLY_CHECK);
	common("reply-check-001", n);
	T_CHECK("reply-check-002", STARTS(buf, "Status: 200 OK\r\n"));
	split_head();
	T_CHECK("reply-check-003", lines_clean());
	for (i = 0; i < NELEM(fields); i++) {
		if (fields[i].hdr == NULL)
			continue;
		snprintf(want, sizeof(want), "\r\n%s: %s", fields[i].hdr,
		    field(&dec, i));
		if (!HAS(head, want))
			printf("  missing %s\n", want);
		T_CHECK("reply-check-004", HAS(head, want));
	}
	T_CHECK("reply-check-005", !HAS(buf, "Variable-"));
	T_CHECK("reply-check-006", HAS(head,
	    "\r\nX-Auth-User-Email: alice@acme.test\r\n"));
	T_CHECK("reply-check-007", HAS(head,
	    "\r\nX-Auth-Expires-At: 2099-12-31T23:59:59.000Z\r\n"));

	/* every header always present, even when empty */
	memset(&dec.id, 0, sizeof(dec.id));
	set(dec.id.user_id, "u1");
	set(dec.id.method, "api_key");
	set(dec.id.api_key_id, "k1");
	n = render(&dec, REPLY_CHECK);
	common("reply-check-008", n);
	T_CHECK("reply-check-009", STARTS(buf, "Status: 200"));
	split_head();
	for (i = 0; i < NELEM(fields); i++) {
		if (fields[i].hdr == NULL)
			continue;
		snprintf(want, sizeof(want), "\r\n%s:", fields[i].hdr);
		if (!HAS(head, want))
			printf("  missing %s\n", want);
		T_CHECK("reply-check-010", HAS(head, want));
	}
	T_CHECK("reply-check-011", lines_clean());
	T_CHECK("reply-check-012", HAS(head, "\r\nX-Auth-User-Id: u1\r\n"));
	T_CHECK("reply-check-013", HAS(head, "\r\nX-Auth-Api-Key-Id: k1\r\n"));
}

/* An identity value that could split a header never becomes an allow. */
static void
test_allow_injection(void)
{
	static const char *const bad[] = {
		"a\r\nX-Evil: 1", "a\nb", "a\rb", "a\tb", "a\x7f", "\x01",
		"\x1b[0m",
	};
	size_t i, k, n;
	enum reply_style st;
	int ok = 1, any = 0;

	for (st = REPLY_AUTHORIZER; st <= REPLY_CHECK; st++) {
		for (i = 0; i < NELEM(fields); i++) {
			for (k = 0; k < NELEM(bad); k++) {
				allow(&dec);
				set_n(field(&dec, i), fields[i].size, bad[k]);
				n = render(&dec, st);
				any++;
				if (n == 0 || !STARTS(buf, "Status: 503") || HAS(buf, "X-Evil") ||
				    HAS(buf, "Variable-") ||
				    HAS(buf, "X-Auth-")) {
					printf("  style %d field %s value %zu:"
					    " not a 503\n", (int)st,
					    fields[i].var, k);
					ok = 0;
				}
			}
		}
	}
	T_CHECK("reply-inject-001", ok && any > 0);

	/* the spelled-out case from the brief */
	allow(&dec);
	set(dec.id.email, "alice@acme.test\r\nVariable-AUTH_ROLE: owner");
	n = render(&dec, REPLY_AUTHORIZER);
	common("reply-inject-002", n);
	T_CHECK("reply-inject-003", STARTS(buf, "Status: 503"));
	T_CHECK("reply-inject-004", !HAS(buf, "Status: 200"));
	T_CHECK("reply-inject-005", !HAS(buf, "alice"));
	n = render(&dec, REPLY_CHECK);
	T_CHECK("reply-inject-006", STARTS(buf, "Status: 503"));
	T_CHECK("reply-inject-007", !HAS(buf, "alice"));

	/* a bad value in a field that comes last (REMOTE_USER) */
	allow(&dec);
	set(dec.id.remote_user, "u\n");
	n = render(&dec, REPLY_AUTHORIZER);
	T_CHECK("reply-inject-008", STARTS(buf, "Status: 503"));
	T_CHECK("reply-inject-009", !HAS(buf, "Variable-AUTH_USER_ID"));
}

/* ---- denials ------------------------------------------------------ */

static void
test_deny(void)
{
	size_t n;

	/* 401 */
	deny(&dec, 401, "Unauthorized - invalid session");
	n = render(&dec, REPLY_AUTHORIZER);
	common("reply-401-001", n);
	T_CHECK("reply-401-002", STARTS(buf, "Status: 401 Unauthorized\r\n"));
	T_CHECK("reply-401-003", HAS(buf,
	    "\r\nWWW-Authenticate: Bearer realm=\"authgate\"\r\n"));
	T_CHECK("reply-401-004", HAS(buf,
	    "\r\n\r\n{\"error\":\"Unauthorized - invalid session\"}"));
	T_CHECK("reply-401-005", !HAS(buf, "Variable-"));
	T_CHECK("reply-401-006", !HAS(buf, "Location:"));
	n = render(&dec, REPLY_CHECK);
	common("reply-401-007", n);
	T_CHECK("reply-401-008", STARTS(buf, "Status: 401"));
	T_CHECK("reply-401-009", HAS(buf,
	    "\r\nWWW-Authenticate: Bearer realm=\"authgate\"\r\n"));
	T_CHECK("reply-401-010", !HAS(buf, "X-Auth-"));
	/* a deny never carries identity, even if the struct holds some */
	allow(&dec);
	dec.status = 401;
	set(dec.message, "Unauthorized - session expired");
	n = render(&dec, REPLY_AUTHORIZER);
	T_CHECK("reply-401-011", STARTS(buf, "Status: 401"));
	T_CHECK("reply-401-012", !HAS(buf, "Variable-") &&
	    !HAS(buf, "alice"));
	n = render(&dec, REPLY_CHECK);
	T_CHECK("reply-401-013", !HAS(buf, "X-Auth-") && !HAS(buf, "alice"));

	/* 302 */
	deny(&dec, 302, "Unauthorized - sign in required");
	set(dec.location, "/sign-in?next=%2Fapp%2Fx");
	n = render(&dec, REPLY_AUTHORIZER);
	common("reply-302-001", n);
	T_CHECK("reply-302-002", STARTS(buf, "Status: 302 Found\r\n"));
	T_CHECK("reply-302-003", HAS(buf,
	    "\r\nLocation: /sign-in?next=%2Fapp%2Fx\r\n"));
	T_CHECK("reply-302-004", !HAS(buf, "Variable-"));
	/* no Location: never a bare 302 */
	dec.location[0] = '\0';
	n = render(&dec, REPLY_AUTHORIZER);
	common("reply-302-005", n);
	T_CHECK("reply-302-006", STARTS(buf, "Status: 503"));
	T_CHECK("reply-302-007", !HAS(buf, "Location"));
	/* Location with CR/LF: 503, not a split header */
	set(dec.location, "/sign-in\r\nSet-Cookie: x=1");
	n = render(&dec, REPLY_AUTHORIZER);
	common("reply-302-008", n);
	T_CHECK("reply-302-009", STARTS(buf, "Status: 503"));
	T_CHECK("reply-302-010", !HAS(buf, "Set-Cookie"));
	set(dec.location, "/sign-in\x7f");
	n = render(&dec, REPLY_AUTHORIZER);
	T_CHECK("reply-302-011", STARTS(buf, "Status: 503"));
	/* the longest Location authz can make still fits REPLY_MAX */
	memset(dec.location, 'L', AUTHZ_MAX_LOCATION);
	dec.location[0] = '/';
	dec.location[AUTHZ_MAX_LOCATION] = '\0';
	n = render(&dec, REPLY_AUTHORIZER);
	common("reply-302-012", n);
	T_CHECK("reply-302-013", STARTS(buf, "Status: 302"));
	T_CHECK("reply-302-014", HAS(buf, "\r\nLocation: /LLL"));

	/* 403 */
	deny(&dec, 403, "Forbidden - admin role required");
	n = render(&dec, REPLY_AUTHORIZER);
	common("reply-403-001", n);
	T_CHECK("reply-403-002", STARTS(buf, "Status: 403 Forbidden\r\n"));
	T_CHECK("reply-403-003", HAS(buf,
	    "\r\n\r\n{\"error\":\"Forbidden - admin role required\"}"));
	T_CHECK("reply-403-004", !HAS(buf, "WWW-Authenticate"));
	deny(&dec, 403, "Forbidden - banned");
	n = render(&dec, REPLY_CHECK);
	common("reply-403-005", n);
	T_CHECK("reply-403-006", HAS(buf, "{\"error\":\"Forbidden - banned\"}"));

	/* 400 */
	deny(&dec, 400, "Bad Request - invalid path");
	n = render(&dec, REPLY_AUTHORIZER);
	common("reply-400-001", n);
	T_CHECK("reply-400-002", STARTS(buf, "Status: 400 Bad Request\r\n"));
	T_CHECK("reply-400-003", HAS(buf,
	    "\r\n\r\n{\"error\":\"Bad Request - invalid path\"}"));

	/* 503 */
	deny(&dec, 503, "Service Unavailable - store error");
	n = render(&dec, REPLY_AUTHORIZER);
	common("reply-503-001", n);
	T_CHECK("reply-503-002", STARTS(buf, "Status: 503 Service Unavailable\r\n"));
	T_CHECK("reply-503-003", HAS(buf, "\r\nRetry-After: "));
	T_CHECK("reply-503-004", HAS(buf,
	    "\r\n\r\n{\"error\":\"Service Unavailable - store error\"}"));
	n = render(&dec, REPLY_CHECK);
	common("reply-503-005", n);
	T_CHECK("reply-503-006", HAS(buf, "\r\nRetry-After: "));

	/* a zeroed decision (status 0) is never an allow */
	memset(&dec, 0, sizeof(dec));
	n = render(&dec, REPLY_AUTHORIZER);
	T_CHECK("reply-zero-001", n > 0 && STARTS(buf, "Status: "));
	T_CHECK("reply-zero-002", !STARTS(buf, "Status: 2"));
	T_CHECK("reply-zero-003", !HAS(buf, "Variable-"));
}

/* JSON bodies: quotes, backslashes and controls are escaped. */
static void
test_json(void)
{
	size_t n;

	deny(&dec, 403, "Forbidden - \"x\" \\ y");
	n = render(&dec, REPLY_AUTHORIZER);
	common("reply-json-001", n);
	T_CHECK("reply-json-002", HAS(buf,
	    "{\"error\":\"Forbidden - \\\"x\\\" \\\\ y\"}"));
	deny(&dec, 403, "Forbidden\r\nX-Evil: 1");
	n = render(&dec, REPLY_AUTHORIZER);
	common("reply-json-003", n);
	T_CHECK("reply-json-004", HAS(buf,
	    "{\"error\":\"Forbidden\\u000d\\u000aX-Evil: 1\"}"));
	split_head();
	T_CHECK("reply-json-005", !HAS(head, "X-Evil"));
	/* nothing after the blank line holds a raw CR or LF but the end */
	{
		const char *body = strstr(buf, "\r\n\r\n") + 4;

		T_CHECK("reply-json-006", strchr(body, '\r') == NULL);
		T_CHECK("reply-json-007", strchr(body, '\n') == NULL ||
		    strchr(body, '\n')[1] == '\0');
	}
	/* the longest message authz can hold */
	memset(&dec, 0, sizeof(dec));
	dec.status = 403;
	memset(dec.message, '"', sizeof(dec.message) - 1);
	n = render(&dec, REPLY_AUTHORIZER);
	common("reply-json-008", n);
	T_CHECK("reply-json-009", STARTS(buf, "Status: 403"));
}

/* ---- buffer sizes ------------------------------------------------- */

/*
 * For every bufsz from 0 to full + 1: the result is 0, or a
 * NUL-terminated reply shorter than bufsz that starts with "Status: "
 * and is either the whole answer or the fixed 503. Heap buffers of the
 * exact size, so ASan sees any write past the end.
 */
static int
sweep(const struct authz_decision *d, enum reply_style st, size_t full,
    const char *want_status, size_t *fallback_min)
{
	size_t sz;
	int ok = 1;

	*fallback_min = 0;
	for (sz = 0; sz <= full + 1; sz++) {
		char *b = malloc(sz > 0 ? sz : 1);
		size_t r;

		if (b == NULL)
			return 0;
		r = reply_decision(d, st, b, sz);
		if (r != 0) {
			if (r >= sz || b[r] != '\0' || strlen(b) != r ||
			    !STARTS(b, "Status: ")) {
				printf("  bufsz %zu: bad reply\n", sz);
				ok = 0;
			} else if (sz > full) {
				if (r != full || strncmp(b, want_status,
				    strlen(want_status)) != 0) {
					printf("  bufsz %zu: not whole\n", sz);
					ok = 0;
				}
			} else if (!STARTS(b, "Status: 503")) {
				printf("  bufsz %zu: truncated reply is not "
				    "the 503: %.20s\n", sz, b);
				ok = 0;
			} else if (*fallback_min == 0) {
				*fallback_min = sz;
			}
		} else if (sz > full) {
			printf("  bufsz %zu: 0 though it fits\n", sz);
			ok = 0;
		} else if (*fallback_min != 0) {
			printf("  bufsz %zu: 0 after the 503 fit\n", sz);
			ok = 0;
		}
		free(b);
	}
	return ok;
}

static void
test_sizes(void)
{
	size_t full, fb = 0, fb2 = 0, n;

	allow(&dec);
	full = render(&dec, REPLY_AUTHORIZER);
	T_CHECK("reply-size-001", sweep(&dec, REPLY_AUTHORIZER, full,
	    "Status: 200", &fb));
	/* the fixed 503 fits somewhere below the full allow */
	T_CHECK("reply-size-002", fb > 0 && fb <= full);
	full = render(&dec, REPLY_CHECK);
	T_CHECK("reply-size-003", sweep(&dec, REPLY_CHECK, full,
	    "Status: 200", &fb2));
	T_EQ_INT("reply-size-004", fb2, fb);

	deny(&dec, 401, "Unauthorized - invalid session");
	full = render(&dec, REPLY_AUTHORIZER);
	T_CHECK("reply-size-005", sweep(&dec, REPLY_AUTHORIZER, full,
	    "Status: 401", &fb2));

	deny(&dec, 302, "Unauthorized - sign in required");
	set(dec.location, "/sign-in?next=%2Fapp");
	full = render(&dec, REPLY_AUTHORIZER);
	T_CHECK("reply-size-006", sweep(&dec, REPLY_AUTHORIZER, full,
	    "Status: 302", &fb2));

	/* the fixed 503 itself: exact, and one byte short gives 0 */
	allow(&dec);
	memset(buf, 'z', sizeof(buf));
	n = reply_decision(&dec, REPLY_AUTHORIZER, buf, fb);
	T_CHECK("reply-size-007", n > 0 && n < fb);
	T_CHECK("reply-size-008", STARTS(buf, "Status: 503 Service Unavailable\r\n"));
	T_CHECK("reply-size-009", HAS(buf, "\r\nCache-Control: no-store\r\n"));
	T_CHECK("reply-size-010", HAS(buf,
	    "\r\nContent-Type: application/json\r\n"));
	T_CHECK("reply-size-011", HAS(buf, "\r\n\r\n{\"error\":"));
	T_CHECK("reply-size-012", !HAS(buf, "Variable-"));
	T_EQ_INT("reply-size-013", reply_decision(&dec, REPLY_AUTHORIZER, buf,
	    fb - 1), 0);
	T_EQ_INT("reply-size-014", reply_decision(&dec, REPLY_AUTHORIZER, buf,
	    0), 0);
	T_EQ_INT("reply-size-015", reply_decision(&dec, REPLY_AUTHORIZER, buf,
	    10), 0);

	/* the largest identity fits REPLY_MAX in both styles */
	{
		size_t i;

		allow(&dec);
		for (i = 0; i < NELEM(fields); i++) {
			memset(field(&dec, i), 'v', fields[i].size - 1);
			field(&dec, i)[fields[i].size - 1] = '\0';
		}
		n = render(&dec, REPLY_AUTHORIZER);
		common_authz_allow("reply-size-016", n);
		T_CHECK("reply-size-017", STARTS(buf, "Status: 200"));
		n = render(&dec, REPLY_CHECK);
		common("reply-size-018", n);
		T_CHECK("reply-size-019", STARTS(buf, "Status: 200"));
	}
}

/* ---- reply_error and status text ---------------------------------- */

static void
test_error(void)
{
	static const int st[] = { 200, 302, 400, 401, 403, 404, 405, 411, 413,
	    503 };
	char line[64];
	size_t i, n;
	int ok = 1;

	n = reply_error(405, "Method Not Allowed", "Allow: POST", buf,
	    REPLY_MAX);
	common("reply-err-001", n);
	T_CHECK("reply-err-002", STARTS(buf, "Status: 405 Method Not Allowed\r\n"));
	T_CHECK("reply-err-003", HAS(buf, "\r\nAllow: POST\r\n"));
	T_CHECK("reply-err-004", HAS(buf,
	    "\r\n\r\n{\"error\":\"Method Not Allowed\"}"));
	n = reply_error(413, "Content Too Large", NULL, buf, REPLY_MAX);
	common("reply-err-005", n);
	T_CHECK("reply-err-006", STARTS(buf, "Status: 413 Content Too Large\r\n"));

	/* an extra header with CR or LF or a control: the fixed 503 */
	n = reply_error(403, "Forbidden", "X-Foo: a\rb", buf, REPLY_MAX);
	common("reply-err-007", n);
	T_CHECK("reply-err-008", STARTS(buf, "Status: 503"));
	T_CHECK("reply-err-009", !HAS(buf, "X-Foo"));
	n = reply_error(403, "Forbidden", "X-Foo: a\r\nX-Evil: 1", buf,
	    REPLY_MAX);
	T_CHECK("reply-err-010", STARTS(buf, "Status: 503"));
	T_CHECK("reply-err-011", !HAS(buf, "X-Evil"));
	n = reply_error(200, "x", "X-Foo: \n", buf, REPLY_MAX);
	T_CHECK("reply-err-012", STARTS(buf, "Status: 503"));
	n = reply_error(403, "Forbidden", "X-Foo: a\tb", buf, REPLY_MAX);
	T_CHECK("reply-err-013", STARTS(buf, "Status: 503"));
	n = reply_error(403, "Forbidden", "X-Foo: a\x7f", buf, REPLY_MAX);
	T_CHECK("reply-err-014", STARTS(buf, "Status: 503"));

	/* every status starts with its Status line */
	for (i = 0; i < NELEM(st); i++) {
		snprintf(line, sizeof(line), "Status: %d %s\r\n", st[i],
		    reply_status_text(st[i]));
		n = reply_error(st[i], "m", NULL, buf, REPLY_MAX);
		if (n == 0 || strncmp(buf, line, strlen(line)) != 0 ||
		    !HAS(buf, "\r\nCache-Control: no-store\r\n") ||
		    !HAS(buf, "\r\nContent-Type: application/json\r\n"))
			ok = 0;
	}
	T_CHECK("reply-err-015", ok);
	/* and every decision status too, both styles */
	ok = 1;
	for (i = 0; i < NELEM(st); i++) {
		enum reply_style s;

		for (s = REPLY_AUTHORIZER; s <= REPLY_CHECK; s++) {
			deny(&dec, st[i], "m");
			if (st[i] == 200)
				allow(&dec);
			if (st[i] == 302)
				set(dec.location, "/sign-in");
			n = render(&dec, s);
			snprintf(line, sizeof(line), "Status: %d ", st[i]);
			if (n == 0 || strncmp(buf, line, strlen(line)) != 0) {
				printf("  status %d style %d: %.30s\n", st[i],
				    (int)s, buf);
				ok = 0;
			}
		}
	}
	T_CHECK("reply-err-016", ok);

	/* a tiny buffer: fixed 503 or 0, never part of the answer */
	n = reply_error(403, "Forbidden", NULL, buf, 20);
	T_EQ_INT("reply-err-017", n, 0);
	n = reply_error(403, "Forbidden", NULL, buf, 0);
	T_EQ_INT("reply-err-018", n, 0);

	/* reason phrases */
	T_EQ_STR("reply-text-001", reply_status_text(200), "OK");
	T_EQ_STR("reply-text-002", reply_status_text(302), "Found");
	T_EQ_STR("reply-text-003", reply_status_text(400), "Bad Request");
	T_EQ_STR("reply-text-004", reply_status_text(401), "Unauthorized");
	T_EQ_STR("reply-text-005", reply_status_text(403), "Forbidden");
	T_EQ_STR("reply-text-006", reply_status_text(405),
	    "Method Not Allowed");
	T_EQ_STR("reply-text-007", reply_status_text(411), "Length Required");
	T_EQ_STR("reply-text-008", reply_status_text(503),
	    "Service Unavailable");
	T_CHECK("reply-text-009", reply_status_text(599) != NULL &&
	    strpbrk(reply_status_text(599), "\r\n") == NULL);
}

/* nginx: a redirect decision answered as 401 that keeps Location. */
static void
test_redirect_as_401(void)
{
	size_t n;

	deny(&dec, 302, "Unauthorized - sign in required");
	set(dec.location, "/sign-in?next=/app/x");
	memset(buf, 'z', sizeof(buf));
	n = reply_redirect_as_401(&dec, buf, REPLY_MAX);
	common("reply-r401-001", n);
	T_CHECK("reply-r401-002", STARTS(buf, "Status: 401 Unauthorized\r\n"));
	T_CHECK("reply-r401-003", HAS(buf, "\r\nLocation: /sign-in?next=/app/x\r\n"));
	T_CHECK("reply-r401-004", !HAS(buf, "WWW-Authenticate"));
	T_CHECK("reply-r401-005", HAS(buf, "{\"error\":\"Unauthorized - sign in required\"}"));
	/* anything but a 302 is rendered as the check endpoint would */
	deny(&dec, 403, "Forbidden - admin role required");
	n = reply_redirect_as_401(&dec, buf, REPLY_MAX);
	T_CHECK("reply-r401-006", STARTS(buf, "Status: 403 Forbidden\r\n"));
	/* a Location with a control byte is never sent */
	deny(&dec, 302, "Unauthorized - sign in required");
	set(dec.location, "/sign-in\r\nX-Evil: 1");
	n = reply_redirect_as_401(&dec, buf, REPLY_MAX);
	T_CHECK("reply-r401-007", n > 0 && !HAS(buf, "X-Evil") &&
	    !STARTS(buf, "Status: 200"));
}

/* The check endpoint repeats a deny's message in X-Authgate-Error (nginx
 * drops the body); the authorizer role does not need it. */
static void
test_error_header(void)
{
	size_t n;

	deny(&dec, 403, "Forbidden - admin role required");
	n = render(&dec, REPLY_CHECK);
	common("reply-xerr-001", n);
	T_CHECK("reply-xerr-002", HAS(buf,
	    "\r\nX-Authgate-Error: Forbidden - admin role required\r\n"));
	n = render(&dec, REPLY_AUTHORIZER);
	T_CHECK("reply-xerr-003", !HAS(buf, "X-Authgate-Error"));
	deny(&dec, 401, "Unauthorized - session expired");
	n = render(&dec, REPLY_CHECK);
	T_CHECK("reply-xerr-004", HAS(buf, "\r\nWWW-Authenticate: Bearer"
	    " realm=\"authgate\"\r\n") && HAS(buf,
	    "\r\nX-Authgate-Error: Unauthorized - session expired\r\n"));
	/* a message a JSON string could not hold as is stays out */
	deny(&dec, 403, "Forbidden - \"quoted\"");
	n = render(&dec, REPLY_CHECK);
	common("reply-xerr-005", n);
	T_CHECK("reply-xerr-006", !HAS(buf, "X-Authgate-Error"));
	/* and a control byte never reaches a header */
	deny(&dec, 403, "Forbidden\r\nX-Evil: 1");
	n = render(&dec, REPLY_CHECK);
	T_CHECK("reply-xerr-007", !HAS(buf, "X-Evil: 1\r\n") &&
	    !STARTS(buf, "Status: 200"));
}

int
main(void)
{
	test_error_header();
	test_redirect_as_401();
	test_allow_authorizer();
	test_allow_check();
	test_allow_injection();
	test_deny();
	test_json();
	test_sizes();
	test_error();
	return t_done("test_reply");
}
