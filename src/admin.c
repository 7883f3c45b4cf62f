/*
 * admin.c - the decisions behind `authgate key` and `rule`: when a key
 * expires, why a rule is refused, which rules can never match.
 *
 * Pure: trusts its arguments no more than the CLI does, never prints (the
 * CLI renders every result), never speaks SQL (store_read.c does), never
 * touches a file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "policy.h"
#include "util.h"


/* ------------------------------------------------------------------ */
/* --expires */

int
admin_expiry_parse(const char *s, int64_t now, int64_t *at, int *never,
    const char **why)
{
	static const int64_t limit = ADMIN_MAX_EXPIRY_DAYS * 86400000LL;
	size_t n = strlen(s);
	uint64_t num;
	int64_t unit;

	*never = 0;
	*at = 0;
	*why = NULL;
	if (strcmp(s, "never") == 0) {
		*never = 1;
		return 0;
	}
	if (n >= 2 && s[n - 1] >= 'a' && s[n - 1] <= 'z' &&
	    strchr(s, '-') == NULL) {
		switch (s[n - 1]) {
		case 'm': unit = 60000LL; break;
		case 'h': unit = 3600000LL; break;
		case 'd': unit = 86400000LL; break;
		case 'w': unit = 7 * 86400000LL; break;
		default:
			*why = "takes a duration such as 90m, 12h, 30d or 8w,"
			    " a date such as 2026-12-31, or never";
			return -1;
		}
		if (util_parse_u64(s, n - 1, &num) != 0 || num == 0) {
			*why = "needs a whole number before the unit, such as"
			    " 30d";
			return -1;
		}
		if (num > (uint64_t)(limit / unit)) {
			*why = "is more than 100 years away";
			return -1;
		}
		*at = now + (int64_t)num * unit;
		return 0;
	}
	/* A date or a time; bare digits would be epoch ms, never meant. */
	if (strchr(s, '-') == NULL || s[0] == '-' ||
	    util_time_parse(s, n, at) != 0) {
		*why = "takes a duration such as 90m, 12h, 30d or 8w, a date"
		    " such as 2026-12-31, a time such as 2026-12-31T18:00:00Z,"
		    " or never";
		return -1;
	}
	if (*at <= now) {
		*why = "is not in the future";
		return -1;
	}
	if (*at - now > limit) {
		*why = "is more than 100 years away";
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Rule diagnostics */

const char *
admin_glob_problem(const char *g)
{
	size_t n = strlen(g), i;

	if (policy_glob_valid(g, n))
		return NULL;
	if (n == 0 || g[0] != '/')
		return "--path must start with '/', such as /api/**";
	if (n > POLICY_MAX_GLOB)
		return "--path is longer than 512 bytes";
	if (!util_header_value_ok(g, n))
		return "--path may not hold control characters";
	for (i = 0; i < n; i++) {
		if (g[i] == '\\' || g[i] == '?' || g[i] == '#' || g[i] == '%')
			return "--path matches the decoded path: write it"
			    " without '\\', '?', '#' or '%' escapes";
		if (g[i] == '/' && i + 1 < n && g[i + 1] == '/')
			return "--path may not hold an empty segment ('//')";
	}
	if (strstr(g, "**") != NULL)
		return "--path may use '**' only as its whole last segment,"
		    " as in /api/**";
	return "--path may not hold '.' or '..' segments";
}

const char *
admin_rule_problem(const char *why)
{
	static const struct {
		const char	*why;
		const char	*advice;
	} map[] = {
		{ "bad_method", "--method takes a comma list of methods from"
		    " IANA's HTTP method registry such as GET,HEAD, or any" },
		{ "bad_path", "--path is not a valid glob" },
		{ "bad_access", "--access must be one of public, authenticated,"
		    " session, api_key, deny" },
		{ "bad_min_role", "--min-role must be one of guest, member,"
		    " admin, owner, or none" },
		{ "bad_on_deny", "--on-deny must be auto, json or redirect" },
		{ "bad_require_permission", "--permission takes resource:action"
		    " items, comma separated, such as projects:write (letters,"
		    " digits, '_', '-', '.'), or none" },
		{ "bad_redirect_to", "--redirect-to must be a local path such"
		    " as /sign-in (one leading '/', no '?', '#', '\\' or"
		    " spaces)" },
	};
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (why != NULL && strcmp(why, map[i].why) == 0)
			return map[i].advice;
	return "the rule is not valid";
}

/* ------------------------------------------------------------------ */
/* Shadowing */

#define MAX_SEGS	(POLICY_MAX_GLOB / 2 + 1)

/* Splits a valid glob into segments after the leading '/'. A final "**"
 * segment is removed and reported in *rest. Returns the count. */
static size_t
glob_segs(const char *g, struct slice *seg, int *rest)
{
	size_t n = strlen(g), i = 1, k = 0;

	*rest = 0;
	if (n > 1 && g[n - 1] == '/')
		n--;		/* /a/b/ and /a/b match the same paths */
	if (n >= 3 && strcmp(g + n - 3, "/**") == 0) {
		*rest = 1;
		n -= 3;
		if (n == 0)
			return 0;	/* the glob "/" + "**": no fixed segment */
	}
	for (;;) {
		size_t s = i;

		while (i < n && g[i] != '/')
			i++;
		if (k < MAX_SEGS) {
			seg[k].p = g + s;
			seg[k].n = i - s;
			k++;
		}
		if (i >= n)
			break;
		i++;
	}
	return k;
}

static size_t
count_star(const struct slice *s)
{
	size_t i, c = 0;

	for (i = 0; i < s->n; i++)
		c += s->p[i] == '*';
	return c;
}

/* memcmp, or its ASCII-case-blind form under POLICY_FOLD_CASE. */
static int
same_bytes(const char *a, const char *b, size_t n, int flags)
{
	if (flags & POLICY_FOLD_CASE)
		return util_ieq(a, n, b, n);
	return memcmp(a, b, n) == 0;
}

/* 1 if every segment segment pattern b matches is matched by a. */
static int
seg_covers(const struct slice *a, const struct slice *b, int flags)
{
	size_t as = count_star(a), bs = count_star(b), pre, suf;
	size_t bpre, bsuf;

	if (a->n == b->n && same_bytes(a->p, b->p, a->n, flags))
		return 1;
	if (as > 0 && as == a->n)
		return 1;			/* "*" covers everything */
	if (bs == 0)
		return policy_segment_match(a->p, a->n, b->p, b->n, flags);
	if (as != 1)
		return 0;			/* unsure: say no */
	/* a = pre*suf; b = bpre*...*bsuf with at least one star. */
	pre = (size_t)((const char *)memchr(a->p, '*', a->n) - a->p);
	suf = a->n - pre - 1;
	bpre = (size_t)((const char *)memchr(b->p, '*', b->n) - b->p);
	for (bsuf = 0; bsuf < b->n && b->p[b->n - 1 - bsuf] != '*'; bsuf++)
		;
	return pre <= bpre && same_bytes(a->p, b->p, pre, flags) &&
	    suf <= bsuf && same_bytes(a->p + pre + 1, b->p + b->n - suf, suf,
	    flags);
}

int
admin_glob_covers(const char *a, const char *b, int flags)
{
	static struct slice as[MAX_SEGS], bs[MAX_SEGS];
	size_t an, bn, i;
	int arest, brest;

	an = glob_segs(a, as, &arest);
	bn = glob_segs(b, bs, &brest);
	if (arest) {
		/* a takes any path with its an segments first. */
		if (bn < an)
			return 0;
	} else if (brest || bn != an) {
		return 0;	/* a fixed length cannot cover b's lengths */
	}
	for (i = 0; i < an; i++)
		if (!seg_covers(&as[i], &bs[i], flags))
			return 0;
	return 1;
}

static size_t
add_by(size_t *by, size_t k, size_t bymax, size_t j)
{
	size_t x;

	for (x = 0; x < k; x++)
		if (by[x] == j)
			return k;
	if (k < bymax)
		by[k++] = j;
	return k;
}

size_t
admin_rule_shadowed(const struct policy_rule *rules, size_t n, size_t i,
    size_t *by, size_t bymax, int flags)
{
	const struct policy_rule *l = &rules[i];
	const char *m = l->methods;
	size_t j, k = 0;

	if (i >= n || bymax == 0)
		return 0;
	if (m[0] == '\0') {
		for (j = 0; j < i; j++)
			if (rules[j].methods[0] == '\0' &&
			    admin_glob_covers(rules[j].path, l->path, flags)) {
				by[0] = j;
				return 1;
			}
		return 0;
	}
	while (*m != '\0') {
		size_t mn = strcspn(m, ",");
		int found = 0;

		for (j = 0; j < i && !found; j++) {
			if (policy_method_takes(rules[j].methods, m, mn) &&
			    admin_glob_covers(rules[j].path, l->path, flags)) {
				k = add_by(by, k, bymax, j);
				found = 1;
			}
		}
		if (!found)
			return 0;
		m += mn;
		if (*m == ',')
			m++;
	}
	return k;
}

/* ------------------------------------------------------------------ */
/* Rules as the CLI handles them */

static char *
dup_or_null(const char *s, int *oom)
{
	char *d;

	if (s == NULL)
		return NULL;
	if ((d = strdup(s)) == NULL)
		*oom = 1;
	return d;
}

static void
rule_free(struct admin_rule *r)
{
	free((char *)r->t.method);
	free((char *)r->t.path);
	free((char *)r->t.access);
	free((char *)r->t.min_role);
	free((char *)r->t.on_deny);
	free((char *)r->t.redirect_to);
	free((char *)r->t.require_permission);
	free(r->note);
	memset(r, 0, sizeof(*r));
}

static int
collect_rule(void *ctx, const struct store_rule_row *row)
{
	struct admin_rules *rs = ctx;
	struct admin_rule *r;
	int oom = 0;

	if (rs->n == rs->cap) {
		size_t cap = rs->cap ? rs->cap * 2 : 16;
		struct admin_rule *v = realloc(rs->v, cap * sizeof(*v));

		if (v == NULL)
			return -1;
		rs->v = v;
		rs->cap = cap;
	}
	r = &rs->v[rs->n];
	memset(r, 0, sizeof(*r));
	r->t.id = row->t.id;
	r->t.priority = row->t.priority;
	r->t.method = dup_or_null(row->t.method, &oom);
	r->t.path = dup_or_null(row->t.path, &oom);
	r->t.access = dup_or_null(row->t.access, &oom);
	r->t.min_role = dup_or_null(row->t.min_role, &oom);
	r->t.on_deny = dup_or_null(row->t.on_deny, &oom);
	r->t.redirect_to = dup_or_null(row->t.redirect_to, &oom);
	r->t.require_permission = dup_or_null(row->t.require_permission,
	    &oom);
	r->note = dup_or_null(row->note, &oom);
	rs->n++;
	return oom ? -1 : 0;
}

void
admin_rules_shadow(struct admin_rules *rs)
{
	struct policy_rule *valid;
	size_t *map, nv = 0, i, k, x;
	size_t by[ADMIN_MAX_SHADOWERS];

	for (i = 0; i < rs->n; i++) {
		rs->v[i].nshadow = 0;
		rs->v[i].why = NULL;
		if (policy_rule_parse(&rs->v[i].t, &rs->v[i].r,
		    &rs->v[i].why) != 0 && rs->v[i].why == NULL)
			rs->v[i].why = "invalid";
	}
	if (rs->n == 0)
		return;
	valid = calloc(rs->n, sizeof(*valid));
	map = calloc(rs->n, sizeof(*map));
	if (valid == NULL || map == NULL)
		goto out;
	for (i = 0; i < rs->n; i++) {
		if (rs->v[i].why != NULL)
			continue;
		valid[nv] = rs->v[i].r;
		map[nv++] = i;
	}
	for (i = 0; i < nv; i++) {
		struct admin_rule *r = &rs->v[map[i]];

		k = admin_rule_shadowed(valid, nv, i, by,
		    ADMIN_MAX_SHADOWERS, rs->flags);
		for (x = 0; x < k; x++)
			r->shadowed_by[x] = valid[by[x]].id;
		r->nshadow = k;
	}
out:
	free(valid);
	free(map);
}

static int
rule_order(const void *a, const void *b)
{
	const struct admin_rule *x = a, *y = b;

	if (x->t.priority != y->t.priority)
		return x->t.priority < y->t.priority ? -1 : 1;
	if (x->t.id != y->t.id)
		return x->t.id < y->t.id ? -1 : 1;
	return 0;
}

void
admin_rules_sort(struct admin_rules *rs)
{
	if (rs->n > 1)
		qsort(rs->v, rs->n, sizeof(rs->v[0]), rule_order);
}

int
admin_rules_load(struct store *s, struct admin_rules *rs, int flags)
{
	int rc;

	memset(rs, 0, sizeof(*rs));
	rs->flags = flags;
	rc = store_rules_list(s, collect_rule, rs);
	if (rc < 0)
		return -1;
	admin_rules_shadow(rs);
	return rc;
}

void
admin_rules_free(struct admin_rules *rs)
{
	size_t i;

	for (i = 0; i < rs->n; i++)
		rule_free(&rs->v[i]);
	free(rs->v);
	memset(rs, 0, sizeof(*rs));
}

