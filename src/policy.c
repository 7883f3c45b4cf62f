/*
 * policy.c - rule validation and matching, role ranking.
 *
 * Pure functions. Rule rows come from a table an admin edits by hand, so
 * they are validated as hostile too: a row that does not parse is
 * reported to the caller, which fails closed.
 */
#include <stdio.h>
#include <string.h>

#include "policy.h"
#include "util.h"

static const char *const access_names[] = {
	"public", "authenticated", "session", "api_key", "deny"
};
static const char *const role_names[] = {
	"", "guest", "member", "admin", "owner"
};
static const char *const on_deny_names[] = { "auto", "json", "redirect" };

const char *
policy_access_name(enum policy_access a)
{
	if ((size_t)a >= sizeof(access_names) / sizeof(access_names[0]))
		return "?";
	return access_names[a];
}

const char *
policy_role_name(enum policy_role r)
{
	if ((size_t)r >= sizeof(role_names) / sizeof(role_names[0]))
		return "";
	return role_names[r];
}

static int
lookup(const char *const *names, int count, const char *s)
{
	int i;

	for (i = 0; i < count; i++)
		if (strcmp(names[i], s) == 0)
			return i;
	return -1;
}

enum policy_role
policy_role_parse(const char *s, size_t n)
{
	int i;

	for (i = ROLE_GUEST; i <= ROLE_OWNER; i++)
		if (strlen(role_names[i]) == n && memcmp(role_names[i], s, n) == 0)
			return (enum policy_role)i;
	return ROLE_NONE;
}

enum policy_role
policy_role_highest(const char *list, size_t n)
{
	enum policy_role best = ROLE_NONE, r;
	size_t i = 0;

	while (i < n) {
		size_t s, e;

		s = i;
		while (i < n && list[i] != ',')
			i++;
		e = i++;
		while (s < e && (list[s] == ' ' || list[s] == '\t'))
			s++;
		while (e > s && (list[e - 1] == ' ' || list[e - 1] == '\t'))
			e--;
		r = policy_role_parse(list + s, e - s);
		if (r > best)
			best = r;
	}
	return best;
}

int
policy_glob_valid(const char *g, size_t n)
{
	size_t seg = 1;

	if (n == 0 || n > POLICY_MAX_GLOB || g[0] != '/')
		return 0;
	if (!util_header_value_ok(g, n))
		return 0;
	while (seg <= n) {
		size_t end = seg, k;

		while (end < n && g[end] != '/')
			end++;
		if (end == seg && end < n)
			return 0;	/* "//" */
		if ((end - seg == 1 && g[seg] == '.') ||
		    (end - seg == 2 && g[seg] == '.' && g[seg + 1] == '.'))
			return 0;
		for (k = seg; k < end; k++) {
			if (g[k] == '\\' || g[k] == '?' || g[k] == '#' ||
			    g[k] == '%')
				return 0;
			if (g[k] == '*' && k + 1 < end && g[k + 1] == '*') {
				/* '**' only as the whole, last segment */
				if (!(end - seg == 2 && end == n))
					return 0;
			}
		}
		seg = end + 1;
	}
	return 1;
}

static unsigned char
fold(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c;
}

static int
same(char a, char b, int flags)
{
	if (flags & POLICY_FOLD_CASE)
		return fold((unsigned char)a) == fold((unsigned char)b);
	return a == b;
}

int
policy_segment_match(const char *g, size_t gn, const char *p, size_t pn,
    int flags)
{
	size_t gi = 0, pi = 0, star_g = (size_t)-1, star_p = 0;

	while (pi < pn) {
		if (gi < gn && g[gi] == '*') {
			star_g = gi++;
			star_p = pi;
		} else if (gi < gn && same(g[gi], p[pi], flags)) {
			gi++;
			pi++;
		} else if (star_g != (size_t)-1) {
			gi = star_g + 1;
			pi = ++star_p;
		} else {
			return 0;
		}
	}
	while (gi < gn && g[gi] == '*')
		gi++;
	return gi == gn;
}

int
policy_glob_match(const char *g, size_t gn, const char *p, size_t pn,
    int flags)
{
	size_t gi = 0, pi = 0;

	/* A trailing ** segment: the part before it must match as a glob. */
	if (gn >= 3 && memcmp(g + gn - 3, "/**", 3) == 0) {
		size_t base = gn - 3;

		/* The path must be the base itself, or base + "/" + rest. */
		for (pi = 0; pi <= pn; pi++) {
			if (pi == pn || p[pi] == '/') {
				/* Try: base matches p[0..pi) */
				if (policy_glob_match(g, base, p, pi, flags) &&
				    (pi == pn || p[pi] == '/'))
					return 1;
			}
		}
		/* The glob of "/" + "**" alone: the base is empty, all paths match. */
		return base == 0 && pn >= 1 && p[0] == '/';
	}

	/* Segment by segment; both start with '/'. */
	while (gi < gn && pi < pn) {
		size_t ge = gi, pe = pi;

		if (g[gi] != '/' || p[pi] != '/')
			return 0;
		gi++;
		pi++;
		ge = gi;
		while (ge < gn && g[ge] != '/')
			ge++;
		pe = pi;
		while (pe < pn && p[pe] != '/')
			pe++;
		if (pe == pi && pe < pn)
			return 0;	/* an empty middle segment never matches */
		if (!policy_segment_match(g + gi, ge - gi, p + pi, pe - pi,
		    flags))
			return 0;
		gi = ge;
		pi = pe;
	}
	return gi == gn && pi == pn;
}

int
policy_method_takes(const char *list, const char *m, size_t mn)
{
	size_t i = 0, n = strlen(list);
	int head = util_ieq(m, mn, "HEAD", 4);

	if (n == 0)
		return 1;
	while (i < n) {
		size_t s = i, e;

		while (i < n && list[i] != ',')
			i++;
		e = i++;
		if (util_ieq(list + s, e - s, m, mn) ||
		    (head && util_ieq(list + s, e - s, "GET", 3)))
			return 1;
	}
	return 0;
}

/* Length without one trailing '/', unless the whole is "/". */
static size_t
strip_slash(const char *s, size_t n)
{
	return n > 1 && s[n - 1] == '/' ? n - 1 : n;
}

/* The literal head of a glob: up to its first '*', and for a trailing
 * "/" + "**" no further than the base, which matches on its own. */
static size_t
literal_head(const char *g, size_t gn)
{
	size_t i, lim = gn;

	if (gn >= 3 && memcmp(g + gn - 3, "/**", 3) == 0)
		lim = gn - 3;
	for (i = 0; i < lim && g[i] != '*'; i++)
		;
	return i;
}

static int
head_matches(const struct policy_rule *r, const char *p, size_t pn,
    int flags)
{
	size_t i;

	if (pn < r->lit_n)
		return 0;
	for (i = 0; i < r->lit_n; i++)
		if (!same(r->path[i], p[i], flags))
			return 0;
	return 1;
}

const struct policy_rule *
policy_match(const struct policy_rule *rules, size_t n, const char *method,
    size_t method_n, const char *path, size_t path_n, int flags)
{
	size_t i;

	/* Invariant: /a/b/ and /a/b meet the same rule (non-strict routing,
	 * the default of Express and most frameworks). */
	path_n = strip_slash(path, path_n);
	for (i = 0; i < n; i++) {
		const struct policy_rule *r = &rules[i];

		/* the literal head first: it turns most rules away in a
		 * few compares */
		if (!head_matches(r, path, path_n, flags) ||
		    !policy_method_takes(r->methods, method, method_n))
			continue;
		if (policy_glob_match(r->path, r->path_n, path, path_n, flags))
			return r;
	}
	return NULL;
}

int
policy_local_path_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || s[0] != '/')
		return 0;
	if (n >= 2 && (s[1] == '/' || s[1] == '\\'))
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (util_is_control(c) || c == ' ' || c == '\\' || c == '#')
			return 0;
	}
	return 1;
}

/*
 * The methods a rule and the CLI's --method may name: IANA's "Hypertext
 * Transfer Protocol (HTTP) Method Registry" (RFC 9110 and the WebDAV,
 * DeltaV, CalDAV, binding and redirect-ref RFCs), spelt as the registry
 * spells them. Left out: "*" (not a token; it stands for "any", which a
 * rule says with NULL) and PRI (the HTTP/2 connection preface, never a
 * request). A name outside this list is a typo ("GTE") that would
 * silently never match.
 */
static const char *const http_methods[] = {
	"ACL", "BASELINE-CONTROL", "BIND", "CHECKIN", "CHECKOUT", "CONNECT",
	"COPY", "DELETE", "GET", "HEAD", "LABEL", "LINK", "LOCK", "MERGE",
	"MKACTIVITY", "MKCALENDAR", "MKCOL", "MKREDIRECTREF", "MKWORKSPACE",
	"MOVE", "OPTIONS", "ORDERPATCH", "PATCH", "POST", "PROPFIND",
	"PROPPATCH", "PUT", "QUERY", "REBIND", "REPORT", "SEARCH", "TRACE",
	"UNBIND", "UNCHECKOUT", "UNLINK", "UNLOCK", "UPDATE",
	"UPDATEREDIRECTREF", "VERSION-CONTROL",
};

const char *
policy_method_known(const char *m, size_t n)
{
	size_t i;

	for (i = 0; i < sizeof(http_methods) / sizeof(http_methods[0]); i++)
		if (util_ieq(m, n, http_methods[i], strlen(http_methods[i])))
			return http_methods[i];
	return NULL;
}

/* Appends the registry's spelling of s[b..e) to out at *o; -1 if the
 * name is not a known method or out is full. */
static int
method_put(const char *s, size_t b, size_t e, char *out, size_t outsz,
    size_t *o)
{
	const char *k = policy_method_known(s + b, e - b);
	size_t kn;

	if (k == NULL || *o + (kn = strlen(k)) + 1 > outsz)
		return -1;
	memcpy(out + *o, k, kn);
	*o += kn;
	return 0;
}

/* Copies a comma list of known methods without blanks, in the
 * registry's spelling; -1 if a name is bad or unknown. */
static int
methods_parse(const char *s, char *out, size_t outsz)
{
	size_t i, o = 0, n = strlen(s), tok = 0, b = 0;

	for (i = 0; i < n; i++) {
		char c = s[i];

		if (c == ' ' || c == '\t') {
			/* blanks only around commas: "GET POST" is a typo */
			size_t j = i;

			while (j < n && (s[j] == ' ' || s[j] == '\t'))
				j++;
			if (tok > 0 && j < n && s[j] != ',')
				return -1;
			continue;
		}
		if (c == ',') {
			if (tok == 0 || method_put(s, b, b + tok, out, outsz,
			    &o) != 0 || o + 1 >= outsz)
				return -1;
			out[o++] = ',';
			tok = 0;
		} else if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    c == '-' || c == '_') {
			if (tok++ == 0)
				b = i;
		} else {
			return -1;
		}
	}
	if (tok > 0 && method_put(s, b, b + tok, out, outsz, &o) != 0)
		return -1;
	if (o > 0 && tok == 0)
		return -1;	/* trailing comma */
	out[o] = '\0';
	return 0;
}

static int
perm_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
}

int
policy_perms_valid(const char *s, size_t n)
{
	size_t i, side = 0;
	int colon = 0;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++) {
		if (perm_char(s[i])) {
			side++;
		} else if (s[i] == ':' && !colon && side > 0) {
			colon = 1;
			side = 0;
		} else if (s[i] == ',' && colon && side > 0) {
			colon = 0;
			side = 0;
		} else {
			return 0;
		}
	}
	return colon && side > 0;
}

/* Whether item (n bytes) is one of the comma separated list's items. */
static int
perm_in(const char *item, size_t n, const char *list)
{
	const char *p = list, *e;

	while (*p != '\0') {
		e = strchr(p, ',');
		if (e == NULL)
			e = p + strlen(p);
		if ((size_t)(e - p) == n && memcmp(p, item, n) == 0)
			return 1;
		p = *e == ',' ? e + 1 : e;
	}
	return 0;
}

int
policy_perms_granted(const char *need, const char *granted, char *miss,
    size_t missz)
{
	const char *p = need, *e;
	size_t n;

	if (missz > 0)
		miss[0] = '\0';
	while (*p != '\0') {
		e = strchr(p, ',');
		if (e == NULL)
			e = p + strlen(p);
		n = (size_t)(e - p);
		if (!perm_in(p, n, granted)) {
			if (missz > 0)
				snprintf(miss, missz, "%.*s", (int)n, p);
			return 0;
		}
		p = *e == ',' ? e + 1 : e;
	}
	return 1;
}

int
policy_rule_parse(const struct policy_rule_text *t, struct policy_rule *out,
    const char **why)
{
	int v;

	memset(out, 0, sizeof(*out));
	out->id = t->id;
	out->priority = t->priority;
	*why = NULL;

	if (t->method != NULL && methods_parse(t->method, out->methods,
	    sizeof(out->methods)) != 0) {
		*why = "bad_method";
		return -1;
	}
	if (t->path == NULL || !policy_glob_valid(t->path, strlen(t->path)) ||
	    util_copy(out->path, sizeof(out->path), t->path,
	    strlen(t->path)) != 0) {
		*why = "bad_path";
		return -1;
	}
	out->path_n = strip_slash(out->path, strlen(out->path));
	out->lit_n = literal_head(out->path, out->path_n);
	if (t->access == NULL || (v = lookup(access_names,
	    (int)(sizeof(access_names) / sizeof(access_names[0])),
	    t->access)) < 0) {
		*why = "bad_access";
		return -1;
	}
	out->access = (enum policy_access)v;
	if (t->min_role != NULL && t->min_role[0] != '\0') {
		out->min_role = policy_role_parse(t->min_role,
		    strlen(t->min_role));
		if (out->min_role == ROLE_NONE) {
			*why = "bad_min_role";
			return -1;
		}
	}
	if (t->on_deny == NULL || t->on_deny[0] == '\0') {
		out->on_deny = ON_DENY_AUTO;
	} else if ((v = lookup(on_deny_names,
	    (int)(sizeof(on_deny_names) / sizeof(on_deny_names[0])),
	    t->on_deny)) < 0) {
		*why = "bad_on_deny";
		return -1;
	} else {
		out->on_deny = (enum policy_on_deny)v;
	}
	if (t->redirect_to == NULL || t->redirect_to[0] == '\0') {
		memcpy(out->redirect_to, POLICY_DEFAULT_REDIRECT,
		    sizeof(POLICY_DEFAULT_REDIRECT));
	} else if (!policy_local_path_ok(t->redirect_to,
	    strlen(t->redirect_to)) || strchr(t->redirect_to, '?') != NULL ||
	    util_copy(out->redirect_to, sizeof(out->redirect_to),
	    t->redirect_to, strlen(t->redirect_to)) != 0) {
		*why = "bad_redirect_to";
		return -1;
	}
	if (t->require_permission != NULL && t->require_permission[0] !=
	    '\0' && (!policy_perms_valid(
	    t->require_permission, strlen(t->require_permission)) ||
	    util_copy(out->perms, sizeof(out->perms), t->require_permission,
	    strlen(t->require_permission)) != 0)) {
		*why = "bad_require_permission";
		return -1;
	}
	return 0;
}
