/*
 * test_policy.c - unit tests for src/policy.c: rule globs (SPEC section 6:
 * '*' within one segment, a trailing "**" segment = the rest), rule-row
 * validation, first-match selection, role ranking (SPEC section 5:
 * owner > admin > member > guest) and safe local redirect targets.
 *
 * Case ids are stable: a new case gets a new id, an id never changes
 * meaning.
 */
#include <string.h>

#include "harness.h"
#include "policy.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))
/* Length of a table string: explicit when given, else strlen. */
#define LEN(s, n)	((n) != 0 ? (size_t)(n) : strlen(s))

static char big[4 * POLICY_MAX_GLOB];

/* ---- policy_glob_valid -------------------------------------------- */

static void
test_glob_valid(void)
{
	static const struct {
		const char	*id;
		const char	*g;
		size_t		 n;	/* 0: strlen */
		int		 want;
	} c[] = {
		{ "pol-gv-001", "/", 0, 1 },
		{ "pol-gv-002", "/a", 0, 1 },
		{ "pol-gv-003", "/a/", 0, 1 },
		{ "pol-gv-004", "/api/*/items", 0, 1 },
		{ "pol-gv-005", "/files/*.txt", 0, 1 },
		{ "pol-gv-006", "/a/**", 0, 1 },
		{ "pol-gv-007", "/**", 0, 1 },
		{ "pol-gv-008", "/a/*", 0, 1 },
		{ "pol-gv-009", "/*", 0, 1 },
		{ "pol-gv-010", "/a-b_c~d.e", 0, 1 },
		{ "pol-gv-011", "/.well-known/*", 0, 1 },
		{ "pol-gv-012", "/a/..b", 0, 1 },
		{ "pol-gv-013", "/a/...", 0, 1 },
		{ "pol-gv-014", "/a/*b*c", 0, 1 },
		{ "pol-gv-015", "/api/*/**", 0, 1 },
		{ "pol-gv-016", "/caf\xc3\xa9/*", 0, 1 },
		/* not absolute */
		{ "pol-gv-020", "", 0, 0 },
		{ "pol-gv-021", "a", 0, 0 },
		{ "pol-gv-022", "a/b", 0, 0 },
		{ "pol-gv-023", "*", 0, 0 },
		{ "pol-gv-024", "**", 0, 0 },
		/* empty and dot segments */
		{ "pol-gv-025", "//", 0, 0 },
		{ "pol-gv-026", "//a", 0, 0 },
		{ "pol-gv-027", "/a//b", 0, 0 },
		{ "pol-gv-028", "/.", 0, 0 },
		{ "pol-gv-029", "/..", 0, 0 },
		{ "pol-gv-030", "/a/./b", 0, 0 },
		{ "pol-gv-031", "/a/../b", 0, 0 },
		{ "pol-gv-032", "/a/.", 0, 0 },
		{ "pol-gv-033", "/a/..", 0, 0 },
		{ "pol-gv-034", "/a/../**", 0, 0 },
		/* '**' only as the whole last segment */
		{ "pol-gv-035", "/**/a", 0, 0 },
		{ "pol-gv-036", "/a/**/b", 0, 0 },
		{ "pol-gv-037", "/a/b**", 0, 0 },
		{ "pol-gv-038", "/a/**b", 0, 0 },
		{ "pol-gv-039", "/**a", 0, 0 },
		{ "pol-gv-040", "/a/***", 0, 0 },
		{ "pol-gv-041", "/a/**/", 0, 0 },
		{ "pol-gv-042", "/a/*x**", 0, 0 },
		/* characters a canonical path never holds */
		{ "pol-gv-045", "/a?", 0, 0 },
		{ "pol-gv-046", "/a?b=1", 0, 0 },
		{ "pol-gv-047", "/a#", 0, 0 },
		{ "pol-gv-048", "/a%2Fb", 0, 0 },
		{ "pol-gv-049", "/a%", 0, 0 },
		{ "pol-gv-050", "/a\\b", 0, 0 },
		{ "pol-gv-051", "/a\tb", 0, 0 },
		{ "pol-gv-052", "/a\nb", 0, 0 },
		{ "pol-gv-053", "/a\rb", 0, 0 },
		{ "pol-gv-054", "/a\x7f", 0, 0 },
		{ "pol-gv-055", "/a\x01", 0, 0 },
		{ "pol-gv-056", "/a\0b", 4, 0 },
	};
	size_t i;

	for (i = 0; i < NELEM(c); i++)
		T_EQ_INT(c[i].id, policy_glob_valid(c[i].g, LEN(c[i].g,
		    c[i].n)), c[i].want);

	/* length: POLICY_MAX_GLOB - 1, N, N + 1 */
	big[0] = '/';
	memset(big + 1, 'a', sizeof(big) - 1);
	T_EQ_INT("pol-gv-060", policy_glob_valid(big, POLICY_MAX_GLOB - 1), 1);
	T_EQ_INT("pol-gv-061", policy_glob_valid(big, POLICY_MAX_GLOB), 1);
	T_EQ_INT("pol-gv-062", policy_glob_valid(big, POLICY_MAX_GLOB + 1), 0);
	T_EQ_INT("pol-gv-063", policy_glob_valid(big, sizeof(big)), 0);
	/* N, ending in a "**" segment */
	memcpy(big + POLICY_MAX_GLOB - 3, "/**", 3);
	T_EQ_INT("pol-gv-064", policy_glob_valid(big, POLICY_MAX_GLOB), 1);
	/* explicit length: a bad byte after n is not looked at */
	T_EQ_INT("pol-gv-065", policy_glob_valid("/a?", 2), 1);
	T_EQ_INT("pol-gv-066", policy_glob_valid(NULL, 0), 0);
}

/* ---- policy_glob_match -------------------------------------------- */

static void
test_glob_match(void)
{
	static const struct {
		const char	*id;
		const char	*g;
		const char	*p;
		int		 want;
	} c[] = {
		/* exact */
		{ "pol-gm-001", "/api/users", "/api/users", 1 },
		{ "pol-gm-002", "/api/users", "/api/users/", 0 },
		{ "pol-gm-003", "/api/users", "/api/user", 0 },
		{ "pol-gm-004", "/api/users", "/api/usersx", 0 },
		{ "pol-gm-005", "/api/users", "/api", 0 },
		{ "pol-gm-006", "/api/users", "/api/users/1", 0 },
		{ "pol-gm-007", "/a/", "/a/", 1 },
		{ "pol-gm-008", "/a/", "/a", 0 },
		{ "pol-gm-009", "/a", "/a/", 0 },
		/* case-sensitive */
		{ "pol-gm-010", "/api/users", "/API/users", 0 },
		{ "pol-gm-011", "/api/users", "/api/Users", 0 },
		{ "pol-gm-012", "/A/**", "/a/b", 0 },
		/* '*' within one segment */
		{ "pol-gm-015", "/api/*/items", "/api/x/items", 1 },
		{ "pol-gm-016", "/api/*/items", "/api/xyz-1.2/items", 1 },
		{ "pol-gm-017", "/api/*/items", "/api/x/y/items", 0 },
		{ "pol-gm-018", "/api/*/items", "/api//items", 0 },
		{ "pol-gm-019", "/api/*/items", "/api/items", 0 },
		{ "pol-gm-020", "/api/*/items", "/api/x/items/", 0 },
		{ "pol-gm-021", "/api/*", "/api/x", 1 },
		{ "pol-gm-022", "/api/*", "/api/x/y", 0 },
		{ "pol-gm-023", "/api/*", "/api", 0 },
		{ "pol-gm-024", "/*", "/x", 1 },
		{ "pol-gm-025", "/*", "/x/y", 0 },
		{ "pol-gm-026", "/*/x", "/a/x", 1 },
		/* prefix and suffix stars */
		{ "pol-gm-030", "/files/*.txt", "/files/a.txt", 1 },
		{ "pol-gm-031", "/files/*.txt", "/files/report.2026.txt", 1 },
		{ "pol-gm-032", "/files/*.txt", "/files/a.txt.bak", 0 },
		{ "pol-gm-033", "/files/*.txt", "/files/a.TXT", 0 },
		{ "pol-gm-034", "/files/*.txt", "/files/d/a.txt", 0 },
		{ "pol-gm-035", "/files/*.txt", "/files/atxt", 0 },
		{ "pol-gm-036", "/files/pre*", "/files/prefix", 1 },
		{ "pol-gm-037", "/files/pre*", "/files/pre", 1 },
		{ "pol-gm-038", "/files/pre*", "/files/pr", 0 },
		{ "pol-gm-039", "/files/pre*", "/files/prefix/x", 0 },
		{ "pol-gm-040", "/a/*b*c", "/a/xbyc", 1 },
		{ "pol-gm-041", "/a/*b*c", "/a/bc", 1 },
		{ "pol-gm-042", "/a/*b*c", "/a/xbycz", 0 },
		{ "pol-gm-043", "/a/*b*c", "/a/cb", 0 },
		{ "pol-gm-044", "/a/*a*a*b", "/a/aaaaaaaaaaaaaaaaaaaaaaaaaaaaab", 1 },
		{ "pol-gm-045", "/a/*a*a*b", "/a/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 0 },
		/* a trailing "**" segment: the base itself, or below it */
		{ "pol-gm-050", "/a/**", "/a", 1 },
		{ "pol-gm-051", "/a/**", "/a/", 1 },
		{ "pol-gm-052", "/a/**", "/a/b", 1 },
		{ "pol-gm-053", "/a/**", "/a/b/c", 1 },
		{ "pol-gm-054", "/a/**", "/a/b/c/", 1 },
		{ "pol-gm-055", "/a/**", "/ab", 0 },
		{ "pol-gm-056", "/a/**", "/ab/c", 0 },
		{ "pol-gm-057", "/a/**", "/b/a", 0 },
		{ "pol-gm-058", "/a/**", "/", 0 },
		{ "pol-gm-059", "/a/**", "/b", 0 },
		{ "pol-gm-060", "/api/admin/**", "/api/admin", 1 },
		{ "pol-gm-061", "/api/admin/**", "/api/administrator", 0 },
		{ "pol-gm-062", "/api/admin/**", "/api/admin/users/1", 1 },
		{ "pol-gm-063", "/api/*/**", "/api/x", 1 },
		{ "pol-gm-064", "/api/*/**", "/api/x/y/z", 1 },
		{ "pol-gm-065", "/api/*/**", "/api", 0 },
		{ "pol-gm-066", "/api/*/**", "/apix/y", 0 },
		/* the glob "/" + "**" matches everything */
		{ "pol-gm-070", "/**", "/", 1 },
		{ "pol-gm-071", "/**", "/a", 1 },
		{ "pol-gm-072", "/**", "/a/b/c/", 1 },
		{ "pol-gm-073", "/**", "/.well-known/x", 1 },
		/* "/" matches only "/" */
		{ "pol-gm-075", "/", "/", 1 },
		{ "pol-gm-076", "/", "/a", 0 },
		{ "pol-gm-077", "/", "", 0 },
		{ "pol-gm-078", "/a", "", 0 },
		/* bytes are bytes */
		{ "pol-gm-080", "/caf\xc3\xa9/*", "/caf\xc3\xa9/x", 1 },
		{ "pol-gm-081", "/caf\xc3\xa9/*", "/cafe/x", 0 },
	};
	size_t i;

	for (i = 0; i < NELEM(c); i++) {
		int got = policy_glob_match(c[i].g, strlen(c[i].g), c[i].p,
		    strlen(c[i].p), 0);

		if (got != c[i].want)
			printf("  %s: glob \"%s\" path \"%s\"\n", c[i].id,
			    c[i].g, c[i].p);
		T_EQ_INT(c[i].id, got, c[i].want);
	}
	/* explicit lengths */
	T_EQ_INT("pol-gm-082", policy_glob_match("/a/b", 2, "/a", 2, 0), 1);
	T_EQ_INT("pol-gm-083", policy_glob_match("/a", 2, "/a/b", 2, 0), 1);
	T_EQ_INT("pol-gm-084", policy_glob_match("/a", 2, "/a/b", 4, 0), 0);

	/* long paths and globs at their limits */
	{
		static char p[4097];

		p[0] = '/';
		memset(p + 1, 'x', sizeof(p) - 2);
		p[sizeof(p) - 1] = '\0';
		T_EQ_INT("pol-gm-085", policy_glob_match("/*", 2, p,
		    strlen(p), 0), 1);
		T_EQ_INT("pol-gm-086", policy_glob_match("/**", 3, p,
		    strlen(p), 0), 1);
		T_EQ_INT("pol-gm-087", policy_glob_match("/*y", 3, p,
		    strlen(p), 0), 0);
		/* many segments under a "**" segment */
		for (i = 2; i + 1 < sizeof(p) - 1; i += 2)
			p[i] = '/';
		T_EQ_INT("pol-gm-088", policy_glob_match("/x/**", 5, p,
		    strlen(p), 0), 1);
		T_EQ_INT("pol-gm-089", policy_glob_match("/*/*/**", 7, p,
		    strlen(p), 0), 1);
		T_EQ_INT("pol-gm-090", policy_glob_match("/y/**", 5, p,
		    strlen(p), 0), 0);
	}
}

/* ---- policy_rule_parse -------------------------------------------- */

/* A valid row to start every case from. */
static struct policy_rule_text
row(void)
{
	struct policy_rule_text t;

	memset(&t, 0, sizeof(t));
	t.id = 7;
	t.priority = 100;
	t.method = NULL;
	t.path = "/api/**";
	t.access = "authenticated";
	t.min_role = NULL;
	t.on_deny = NULL;
	t.redirect_to = NULL;
	return t;
}

/* Parses t; returns the rc, puts why (or "") into *why. */
static int
parse(const struct policy_rule_text *t, struct policy_rule *r,
    const char **why)
{
	int rc;

	*why = "unset";
	rc = policy_rule_parse(t, r, why);
	if (*why == NULL)
		*why = "";
	return rc;
}

static void
test_rule_parse(void)
{
	struct policy_rule_text t;
	struct policy_rule r;
	const char *why;
	size_t i;

	/* a full valid row */
	t = row();
	t.method = "GET,HEAD";
	t.min_role = "admin";
	t.on_deny = "redirect";
	t.redirect_to = "/login";
	T_EQ_INT("pol-rule-001", parse(&t, &r, &why), 0);
	T_EQ_INT("pol-rule-002", r.id, 7);
	T_EQ_INT("pol-rule-003", r.priority, 100);
	T_EQ_STR("pol-rule-004", r.methods, "GET,HEAD");
	T_EQ_STR("pol-rule-005", r.path, "/api/**");
	T_EQ_INT("pol-rule-006", r.access, ACCESS_AUTHENTICATED);
	T_EQ_INT("pol-rule-007", r.min_role, ROLE_ADMIN);
	T_EQ_INT("pol-rule-008", r.on_deny, ON_DENY_REDIRECT);
	T_EQ_STR("pol-rule-009", r.redirect_to, "/login");

	/* defaults */
	t = row();
	T_EQ_INT("pol-rule-010", parse(&t, &r, &why), 0);
	T_EQ_STR("pol-rule-011", r.methods, "");
	T_EQ_INT("pol-rule-012", r.min_role, ROLE_NONE);
	T_EQ_INT("pol-rule-013", r.on_deny, ON_DENY_AUTO);
	T_EQ_STR("pol-rule-014", r.redirect_to, "/sign-in");
	T_EQ_STR("pol-rule-015", r.redirect_to, POLICY_DEFAULT_REDIRECT);
	t.method = "";
	t.min_role = "";
	t.on_deny = "";
	t.redirect_to = "";
	T_EQ_INT("pol-rule-016", parse(&t, &r, &why), 0);
	T_EQ_STR("pol-rule-017", r.methods, "");
	T_EQ_INT("pol-rule-018", r.min_role, ROLE_NONE);
	T_EQ_INT("pol-rule-019", r.on_deny, ON_DENY_AUTO);
	T_EQ_STR("pol-rule-020", r.redirect_to, "/sign-in");
	/* negative and large ids/priorities are kept as given */
	t = row();
	t.id = -1;
	t.priority = -9000000000LL;
	T_EQ_INT("pol-rule-021", parse(&t, &r, &why), 0);
	T_EQ_INT("pol-rule-022", r.id, -1);
	T_CHECK("pol-rule-023", r.priority == -9000000000LL);

	/* method lists */
	{
		static const struct {
			const char	*id;
			const char	*m;
			const char	*want;	/* NULL: bad_method */
		} c[] = {
			{ "pol-rule-030", "GET", "GET" },
			{ "pol-rule-031", "GET,HEAD", "GET,HEAD" },
			{ "pol-rule-032", "get,head", "GET,HEAD" },
			{ "pol-rule-033", " GET , HEAD ", "GET,HEAD" },
			{ "pol-rule-034", "GET,\tPOST", "GET,POST" },
			{ "pol-rule-035", "PROPFIND,version-control",
			    "PROPFIND,VERSION-CONTROL" },
			{ "pol-rule-036", "GET,,POST", NULL },
			{ "pol-rule-037", "GET,", NULL },
			{ "pol-rule-038", ",GET", NULL },
			{ "pol-rule-039", ",", NULL },
			{ "pol-rule-040", "GET;POST", NULL },
			{ "pol-rule-041", "GET POST", NULL },
			{ "pol-rule-042", "G ET", NULL },
			{ "pol-rule-043", "GET\n", NULL },
			{ "pol-rule-044", "*", NULL },
			{ "pol-rule-045", "GET/1", NULL },
			{ "pol-rule-046", "GET, ,POST", NULL },
			/* only names in IANA's method registry */
			{ "pol-rule-052", "GTE", NULL },
			{ "pol-rule-053", "GET,GTE", NULL },
			{ "pol-rule-054", "M-SEARCH", NULL },	/* SSDP, not HTTP */
			{ "pol-rule-055", "PRI", NULL },
			{ "pol-rule-056", "GETX", NULL },
			{ "pol-rule-057", "GE", NULL },
			{ "pol-rule-058", "CONNECT,OPTIONS,TRACE,PATCH",
			    "CONNECT,OPTIONS,TRACE,PATCH" },
			{ "pol-rule-059", "MKCOL,COPY,MOVE,LOCK,UNLOCK",
			    "MKCOL,COPY,MOVE,LOCK,UNLOCK" },
			{ "pol-rule-060", "PROPPATCH,SEARCH,REPORT,QUERY",
			    "PROPPATCH,SEARCH,REPORT,QUERY" },
			{ "pol-rule-061", "Delete", "DELETE" },
			{ "pol-rule-062", "GET_", NULL },
		};

		for (i = 0; i < NELEM(c); i++) {
			int rc;

			t = row();
			t.method = c[i].m;
			rc = parse(&t, &r, &why);
			if (c[i].want != NULL) {
				T_EQ_INT(c[i].id, rc, 0);
				T_EQ_STR(c[i].id, r.methods, c[i].want);
			} else {
				T_EQ_INT(c[i].id, rc, -1);
				T_EQ_STR(c[i].id, why, "bad_method");
			}
		}
	}
	/* method list length: POLICY_MAX_METHODS - 1, N, N + 1 (31 "GET,"
	 * are 124 bytes; then "GET", "POST" or "PATCH") */
	big[0] = '\0';
	for (i = 0; i < 31; i++)
		strcat(big, "GET,");
	strcat(big, "GET");
	T_EQ_INT("pol-rule-047a", strlen(big), POLICY_MAX_METHODS - 1);
	t = row();
	t.method = big;
	T_EQ_INT("pol-rule-047", parse(&t, &r, &why), 0);
	strcpy(big + 124, "POST");
	T_EQ_INT("pol-rule-048", parse(&t, &r, &why), 0);
	T_EQ_INT("pol-rule-049", strlen(r.methods), POLICY_MAX_METHODS);
	strcpy(big + 124, "PATCH");
	T_EQ_INT("pol-rule-050", parse(&t, &r, &why), -1);
	T_EQ_STR("pol-rule-051", why, "bad_method");
	/* the one list: every name, any case, in the registry's spelling */
	T_EQ_STR("pol-meth-001", policy_method_known("GET", 3), "GET");
	T_EQ_STR("pol-meth-002", policy_method_known("propfind", 8),
	    "PROPFIND");
	T_CHECK("pol-meth-003", policy_method_known("GTE", 3) == NULL);
	T_CHECK("pol-meth-004", policy_method_known("GET", 2) == NULL);
	T_CHECK("pol-meth-005", policy_method_known("", 0) == NULL);
	T_CHECK("pol-meth-006", policy_method_known("*", 1) == NULL);
	T_EQ_STR("pol-meth-007", policy_method_known("BASELINE-CONTROL", 16),
	    "BASELINE-CONTROL");

	/* access */
	{
		static const struct {
			const char		*id;
			const char		*a;
			int			 rc;
			enum policy_access	 want;
		} c[] = {
			{ "pol-rule-055", "public", 0, ACCESS_PUBLIC },
			{ "pol-rule-056", "authenticated", 0, ACCESS_AUTHENTICATED },
			{ "pol-rule-057", "session", 0, ACCESS_SESSION },
			{ "pol-rule-058", "api_key", 0, ACCESS_API_KEY },
			{ "pol-rule-059", "deny", 0, ACCESS_DENY },
			{ "pol-rule-060", "Public", -1, 0 },
			{ "pol-rule-061", "", -1, 0 },
			{ "pol-rule-062", "public ", -1, 0 },
			{ "pol-rule-063", "apikey", -1, 0 },
			{ "pol-rule-064", "allow", -1, 0 },
			{ "pol-rule-065", "DENY", -1, 0 },
		};

		for (i = 0; i < NELEM(c); i++) {
			int rc;

			t = row();
			t.access = c[i].a;
			rc = parse(&t, &r, &why);
			T_EQ_INT(c[i].id, rc, c[i].rc);
			if (c[i].rc == 0)
				T_EQ_INT(c[i].id, r.access, c[i].want);
			else
				T_EQ_STR(c[i].id, why, "bad_access");
		}
		t = row();
		t.access = NULL;
		T_EQ_INT("pol-rule-066", parse(&t, &r, &why), -1);
		T_EQ_STR("pol-rule-067", why, "bad_access");
	}

	/* min_role */
	{
		static const struct {
			const char		*id;
			const char		*m;
			int			 rc;
			enum policy_role	 want;
		} c[] = {
			{ "pol-rule-070", "guest", 0, ROLE_GUEST },
			{ "pol-rule-071", "member", 0, ROLE_MEMBER },
			{ "pol-rule-072", "admin", 0, ROLE_ADMIN },
			{ "pol-rule-073", "owner", 0, ROLE_OWNER },
			{ "pol-rule-074", "Admin", -1, 0 },
			{ "pol-rule-075", "root", -1, 0 },
			{ "pol-rule-076", "admin,owner", -1, 0 },
			{ "pol-rule-077", " admin", -1, 0 },
			{ "pol-rule-078", "none", -1, 0 },
		};

		for (i = 0; i < NELEM(c); i++) {
			int rc;

			t = row();
			t.min_role = c[i].m;
			rc = parse(&t, &r, &why);
			T_EQ_INT(c[i].id, rc, c[i].rc);
			if (c[i].rc == 0)
				T_EQ_INT(c[i].id, r.min_role, c[i].want);
			else
				T_EQ_STR(c[i].id, why, "bad_min_role");
		}
	}

	/* on_deny */
	{
		static const struct {
			const char		*id;
			const char		*o;
			int			 rc;
			enum policy_on_deny	 want;
		} c[] = {
			{ "pol-rule-080", "auto", 0, ON_DENY_AUTO },
			{ "pol-rule-081", "json", 0, ON_DENY_JSON },
			{ "pol-rule-082", "redirect", 0, ON_DENY_REDIRECT },
			{ "pol-rule-083", "JSON", -1, 0 },
			{ "pol-rule-084", "html", -1, 0 },
			{ "pol-rule-085", "redirect ", -1, 0 },
			{ "pol-rule-086", "401", -1, 0 },
		};

		for (i = 0; i < NELEM(c); i++) {
			int rc;

			t = row();
			t.on_deny = c[i].o;
			rc = parse(&t, &r, &why);
			T_EQ_INT(c[i].id, rc, c[i].rc);
			if (c[i].rc == 0)
				T_EQ_INT(c[i].id, r.on_deny, c[i].want);
			else
				T_EQ_STR(c[i].id, why, "bad_on_deny");
		}
	}

	/* path */
	{
		static const char *const bad[] = { "", "api/**", "/a/../b",
		    "//a", "/a/**/b", "/a?x", "/a\\b", "/a\nb", "/a%2F" };
		char id[32];

		for (i = 0; i < NELEM(bad); i++) {
			t = row();
			t.path = bad[i];
			snprintf(id, sizeof(id), "pol-rule-%03zu", 90 + i);
			T_EQ_INT(id, parse(&t, &r, &why), -1);
			T_EQ_STR(id, why, "bad_path");
		}
		/* ids pol-rule-090 .. pol-rule-098 */
		t = row();
		t.path = NULL;
		T_EQ_INT("pol-rule-099", parse(&t, &r, &why), -1);
		T_EQ_STR("pol-rule-100", why, "bad_path");
	}
	/* path length: POLICY_MAX_GLOB - 1, N, N + 1 */
	big[0] = '/';
	memset(big + 1, 'p', sizeof(big) - 1);
	big[POLICY_MAX_GLOB - 1] = '\0';
	t = row();
	t.path = big;
	T_EQ_INT("pol-rule-101", parse(&t, &r, &why), 0);
	big[POLICY_MAX_GLOB - 1] = 'p';
	big[POLICY_MAX_GLOB] = '\0';
	T_EQ_INT("pol-rule-102", parse(&t, &r, &why), 0);
	T_EQ_INT("pol-rule-103", strlen(r.path), POLICY_MAX_GLOB);
	big[POLICY_MAX_GLOB] = 'p';
	big[POLICY_MAX_GLOB + 1] = '\0';
	T_EQ_INT("pol-rule-104", parse(&t, &r, &why), -1);
	T_EQ_STR("pol-rule-105", why, "bad_path");

	/* redirect_to: a local path without '?' */
	{
		static const struct {
			const char	*id;
			const char	*to;
			int		 rc;
		} c[] = {
			{ "pol-rule-110", "/login", 0 },
			{ "pol-rule-111", "/", 0 },
			{ "pol-rule-112", "/auth/sign-in", 0 },
			{ "pol-rule-113", "/login?x=1", -1 },
			{ "pol-rule-114", "/login?", -1 },
			{ "pol-rule-115", "//evil.com", -1 },
			{ "pol-rule-116", "https://evil.com", -1 },
			{ "pol-rule-117", "/\\evil.com", -1 },
			{ "pol-rule-118", "/a b", -1 },
			{ "pol-rule-119", "/a#b", -1 },
			{ "pol-rule-120", "javascript:alert(1)", -1 },
			{ "pol-rule-121", "login", -1 },
			{ "pol-rule-122", "/a\r\nSet-Cookie: x=1", -1 },
			{ "pol-rule-123", "/a\tb", -1 },
		};

		for (i = 0; i < NELEM(c); i++) {
			int rc;

			t = row();
			t.redirect_to = c[i].to;
			rc = parse(&t, &r, &why);
			T_EQ_INT(c[i].id, rc, c[i].rc);
			if (c[i].rc == 0)
				T_EQ_STR(c[i].id, r.redirect_to, c[i].to);
			else
				T_EQ_STR(c[i].id, why, "bad_redirect_to");
		}
	}
	/* redirect_to length: POLICY_MAX_REDIRECT - 1, N, N + 1 */
	big[0] = '/';
	memset(big + 1, 'r', sizeof(big) - 1);
	big[POLICY_MAX_REDIRECT - 1] = '\0';
	t = row();
	t.redirect_to = big;
	T_EQ_INT("pol-rule-124", parse(&t, &r, &why), 0);
	big[POLICY_MAX_REDIRECT - 1] = 'r';
	big[POLICY_MAX_REDIRECT] = '\0';
	T_EQ_INT("pol-rule-125", parse(&t, &r, &why), 0);
	T_EQ_INT("pol-rule-126", strlen(r.redirect_to), POLICY_MAX_REDIRECT);
	big[POLICY_MAX_REDIRECT] = 'r';
	big[POLICY_MAX_REDIRECT + 1] = '\0';
	T_EQ_INT("pol-rule-127", parse(&t, &r, &why), -1);
	T_EQ_STR("pol-rule-128", why, "bad_redirect_to");

	/* a successful parse leaves why NULL */
	t = row();
	why = "unset";
	T_EQ_INT("pol-rule-129", policy_rule_parse(&t, &r, &why), 0);
	T_CHECK("pol-rule-130", why == NULL);
}

/* ---- policy_match ------------------------------------------------- */

static void
test_match(void)
{
	static const struct policy_rule_text rows[] = {
		{ 1, 10, "GET,HEAD", "/api/public/**", "public", NULL, NULL,
		    NULL, NULL },
		{ 2, 20, NULL, "/api/admin/**", "authenticated", "admin", NULL,
		    NULL, NULL },
		{ 3, 30, "post", "/api/**", "session", NULL, NULL, NULL, NULL },
		{ 4, 40, " get , put ", "/api/**", "api_key", NULL, NULL, NULL, NULL },
		{ 5, 50, "", "/**", "deny", NULL, NULL, NULL, NULL },
	};
	static const struct {
		const char	*id;
		const char	*method;
		const char	*path;
		size_t		 nrules;
		long long	 want;	/* rule id, 0: NULL */
	} c[] = {
		{ "pol-match-001", "GET", "/api/public/x", 5, 1 },
		{ "pol-match-002", "HEAD", "/api/public/x", 5, 1 },
		{ "pol-match-003", "head", "/api/public", 5, 1 },
		{ "pol-match-004", "POST", "/api/public/x", 5, 3 },
		{ "pol-match-005", "DELETE", "/api/admin/x", 5, 2 },
		{ "pol-match-006", "GET", "/api/admin", 5, 2 },
		{ "pol-match-007", "POST", "/api/x", 5, 3 },
		{ "pol-match-008", "Post", "/api/x", 5, 3 },
		{ "pol-match-009", "GET", "/api/x", 5, 4 },
		{ "pol-match-010", "PUT", "/api/x", 5, 4 },
		{ "pol-match-011", "Get", "/api", 5, 4 },
		{ "pol-match-012", "DELETE", "/api/x", 5, 5 },
		{ "pol-match-013", "GET", "/other", 5, 5 },
		{ "pol-match-014", "GET", "/", 5, 5 },
		{ "pol-match-015", "GE", "/api/x", 5, 5 },
		{ "pol-match-016", "GETX", "/api/x", 5, 5 },
		{ "pol-match-017", "", "/api/x", 5, 5 },
		{ "pol-match-018", "GET", "/other", 4, 0 },
		{ "pol-match-019", "DELETE", "/api/x", 4, 0 },
		{ "pol-match-020", "GET", "/api/x", 0, 0 },
		{ "pol-match-021", "GET", "/API/x", 4, 0 },
		{ "pol-match-022", "GET", "/api/publicx", 5, 4 },
	};
	struct policy_rule rules[NELEM(rows)];
	const struct policy_rule *m;
	const char *why;
	size_t i;
	int ok = 1;

	for (i = 0; i < NELEM(rows); i++)
		if (policy_rule_parse(&rows[i], &rules[i], &why) != 0) {
			printf("  row %zu: %s\n", i, why);
			ok = 0;
		}
	T_CHECK("pol-match-000", ok);

	for (i = 0; i < NELEM(c); i++) {
		m = policy_match(rules, c[i].nrules, c[i].method,
		    strlen(c[i].method), c[i].path, strlen(c[i].path), 0);
		T_EQ_INT(c[i].id, m != NULL ? m->id : 0, c[i].want);
	}

	/* first match by array order, not by id or priority */
	{
		struct policy_rule two[2];
		struct policy_rule_text a = rows[4], b = rows[0];

		a.id = 9;
		b.id = 1;
		T_CHECK("pol-match-030", policy_rule_parse(&a, &two[0],
		    &why) == 0 && policy_rule_parse(&b, &two[1], &why) == 0);
		m = policy_match(two, 2, "GET", 3, "/api/public/x", 13, 0);
		T_EQ_INT("pol-match-031", m != NULL ? m->id : 0, 9);
		m = policy_match(two + 1, 1, "GET", 3, "/api/public/x", 13, 0);
		T_EQ_INT("pol-match-032", m != NULL ? m->id : 0, 1);
		/* the returned pointer is into the caller's array */
		m = policy_match(two, 2, "GET", 3, "/x", 2, 0);
		T_CHECK("pol-match-033", m == &two[0]);
	}
	/* NULL method: any method (rule 2 has none) */
	m = policy_match(rules + 1, 1, "BREW", 4, "/api/admin/x", 12, 0);
	T_EQ_INT("pol-match-034", m != NULL ? m->id : 0, 2);
	/* explicit lengths */
	m = policy_match(rules, 5, "GETX", 3, "/api/public/xyz", 11, 0);
	T_EQ_INT("pol-match-035", m != NULL ? m->id : 0, 1);
}

/* ---- policy_match: every spelling a backend routes alike (issue 8) -- */

static void
test_match_spellings(void)
{
	static const struct policy_rule_text rows[] = {
		{ 1, 10, "GET", "/api/health", "public", NULL, NULL, NULL, NULL },
		{ 2, 20, NULL, "/api/internal/**", "deny", NULL, NULL, NULL, NULL },
		{ 3, 30, NULL, "/api/admin/**", "authenticated", "admin", NULL,
		    NULL, NULL },
		{ 4, 35, NULL, "/api/projects/secret", "authenticated", "owner",
		    NULL, NULL, NULL },
		{ 5, 36, NULL, "/api/teams/*/billing/", "authenticated", "owner",
		    NULL, NULL, NULL },
		{ 6, 40, "POST,DELETE", "/api/projects/**", "authenticated",
		    "member", NULL, NULL, NULL },
		{ 7, 45, "HEAD", "/api/probe", "public", NULL, NULL, NULL, NULL },
		{ 8, 90, NULL, "/api/**", "authenticated", NULL, NULL, NULL, NULL },
	};
	static const struct {
		const char	*id;
		const char	*method;
		const char	*path;
		int		 flags;
		long long	 want;	/* rule id, 0: none */
	} c[] = {
		/* letter case: one rule, whatever the case (default) */
		{ "pol-sp-001", "GET", "/api/ADMIN/users", POLICY_FOLD_CASE, 3 },
		{ "pol-sp-002", "GET", "/API/admin/users", POLICY_FOLD_CASE, 3 },
		{ "pol-sp-003", "GET", "/Api/Admin/Users", POLICY_FOLD_CASE, 3 },
		{ "pol-sp-004", "GET", "/api/INTERNAL/metrics", POLICY_FOLD_CASE, 2 },
		{ "pol-sp-005", "GET", "/API/HEALTH", POLICY_FOLD_CASE, 1 },
		{ "pol-sp-006", "GET", "/api/Projects/SECRET", POLICY_FOLD_CASE, 4 },
		/* ... and byte for byte in the strict mode */
		{ "pol-sp-010", "GET", "/api/ADMIN/users", 0, 8 },
		{ "pol-sp-011", "GET", "/API/admin/users", 0, 0 },
		{ "pol-sp-012", "GET", "/api/admin/users", 0, 3 },
		/* non-ASCII bytes never fold */
		{ "pol-sp-015", "GET", "/api/\xc3\x89", POLICY_FOLD_CASE, 8 },
		/* an exact rule covers its trailing-slash form, both ways */
		{ "pol-sp-020", "GET", "/api/projects/secret/", POLICY_FOLD_CASE, 4 },
		{ "pol-sp-021", "GET", "/api/projects/secret/", 0, 4 },
		{ "pol-sp-022", "GET", "/api/health/", POLICY_FOLD_CASE, 1 },
		{ "pol-sp-023", "GET", "/api/teams/t1/billing", POLICY_FOLD_CASE, 5 },
		{ "pol-sp-024", "GET", "/api/teams/t1/billing/", POLICY_FOLD_CASE, 5 },
		{ "pol-sp-025", "GET", "/api/admin/", POLICY_FOLD_CASE, 3 },
		{ "pol-sp-026", "GET", "/api/", POLICY_FOLD_CASE, 8 },
		{ "pol-sp-027", "GET", "/", POLICY_FOLD_CASE, 0 },
		{ "pol-sp-028", "GET", "/api/projects/secret/x", POLICY_FOLD_CASE, 8 },
		/* HEAD meets GET's rules, and its own */
		{ "pol-sp-030", "HEAD", "/api/health", POLICY_FOLD_CASE, 1 },
		{ "pol-sp-031", "head", "/API/Health/", POLICY_FOLD_CASE, 1 },
		{ "pol-sp-032", "HEAD", "/api/probe", POLICY_FOLD_CASE, 7 },
		{ "pol-sp-033", "GET", "/api/probe", POLICY_FOLD_CASE, 8 },
		{ "pol-sp-034", "HEAD", "/api/projects/x", POLICY_FOLD_CASE, 8 },
		{ "pol-sp-035", "POST", "/api/health", POLICY_FOLD_CASE, 8 },
		{ "pol-sp-036", "delete", "/API/PROJECTS/x", POLICY_FOLD_CASE, 6 },
	};
	struct policy_rule rules[NELEM(rows)];
	const struct policy_rule *m;
	const char *why;
	size_t i;
	int ok = 1;

	for (i = 0; i < NELEM(rows); i++)
		if (policy_rule_parse(&rows[i], &rules[i], &why) != 0)
			ok = 0;
	T_CHECK("pol-sp-000", ok);
	for (i = 0; i < NELEM(c); i++) {
		m = policy_match(rules, NELEM(rows), c[i].method,
		    strlen(c[i].method), c[i].path, strlen(c[i].path),
		    c[i].flags);
		T_EQ_INT(c[i].id, m != NULL ? m->id : 0, c[i].want);
	}
	/* the method list as policy_match reads it */
	T_EQ_INT("pol-sp-040", policy_method_takes("GET", "HEAD", 4), 1);
	T_EQ_INT("pol-sp-041", policy_method_takes("HEAD", "GET", 3), 0);
	T_EQ_INT("pol-sp-042", policy_method_takes("POST,GET", "head", 4), 1);
	T_EQ_INT("pol-sp-043", policy_method_takes("POST", "HEAD", 4), 0);
	T_EQ_INT("pol-sp-044", policy_method_takes("", "HEAD", 4), 1);
	/* segments fold ASCII letters only */
	T_EQ_INT("pol-sp-050", policy_segment_match("AdMiN", 5, "admin", 5,
	    POLICY_FOLD_CASE), 1);
	T_EQ_INT("pol-sp-051", policy_segment_match("ad*", 3, "ADMIN", 5,
	    POLICY_FOLD_CASE), 1);
	T_EQ_INT("pol-sp-052", policy_segment_match("ad*", 3, "ADMIN", 5, 0),
	    0);
	T_EQ_INT("pol-sp-053", policy_segment_match("[", 1, "{", 1,
	    POLICY_FOLD_CASE), 0);
	T_EQ_INT("pol-sp-054", policy_segment_match("@", 1, "`", 1,
	    POLICY_FOLD_CASE), 0);
}

/* ---- roles -------------------------------------------------------- */

static void
test_roles(void)
{
	static const struct {
		const char		*id;
		const char		*list;
		enum policy_role	 want;
	} c[] = {
		{ "pol-role-001", "member,admin", ROLE_ADMIN },
		{ "pol-role-002", "guest, owner", ROLE_OWNER },
		{ "pol-role-003", "owner,guest", ROLE_OWNER },
		{ "pol-role-004", "guest", ROLE_GUEST },
		{ "pol-role-005", "member", ROLE_MEMBER },
		{ "pol-role-006", "admin", ROLE_ADMIN },
		{ "pol-role-007", "owner", ROLE_OWNER },
		{ "pol-role-008", "custom,member", ROLE_MEMBER },
		{ "pol-role-009", "billing", ROLE_NONE },
		{ "pol-role-010", "", ROLE_NONE },
		{ "pol-role-011", "Admin", ROLE_NONE },
		{ "pol-role-012", "OWNER,Member", ROLE_NONE },
		{ "pol-role-013", " admin ", ROLE_ADMIN },
		{ "pol-role-014", "admin,,member", ROLE_ADMIN },
		{ "pol-role-015", ",,,", ROLE_NONE },
		{ "pol-role-016", "member\t,\tadmin", ROLE_ADMIN },
		{ "pol-role-017", "adminx", ROLE_NONE },
		{ "pol-role-018", "xadmin,guest", ROLE_GUEST },
		{ "pol-role-019", "owner,admin,member,guest", ROLE_OWNER },
		{ "pol-role-020", "guest,member,admin,owner", ROLE_OWNER },
		{ "pol-role-021", "admin owner", ROLE_NONE },
		{ "pol-role-022", "member;admin", ROLE_NONE },
	};
	size_t i;

	for (i = 0; i < NELEM(c); i++)
		T_EQ_INT(c[i].id, policy_role_highest(c[i].list,
		    strlen(c[i].list)), c[i].want);
	/* explicit length */
	T_EQ_INT("pol-role-023", policy_role_highest("member,owner", 6),
	    ROLE_MEMBER);
	T_EQ_INT("pol-role-024", policy_role_highest(NULL, 0), ROLE_NONE);

	/* the order itself */
	T_CHECK("pol-role-030", ROLE_OWNER > ROLE_ADMIN &&
	    ROLE_ADMIN > ROLE_MEMBER && ROLE_MEMBER > ROLE_GUEST &&
	    ROLE_GUEST > ROLE_NONE);

	/* parse: exact, case-sensitive */
	T_EQ_INT("pol-role-031", policy_role_parse("guest", 5), ROLE_GUEST);
	T_EQ_INT("pol-role-032", policy_role_parse("member", 6), ROLE_MEMBER);
	T_EQ_INT("pol-role-033", policy_role_parse("admin", 5), ROLE_ADMIN);
	T_EQ_INT("pol-role-034", policy_role_parse("owner", 5), ROLE_OWNER);
	T_EQ_INT("pol-role-035", policy_role_parse("Admin", 5), ROLE_NONE);
	T_EQ_INT("pol-role-036", policy_role_parse("", 0), ROLE_NONE);
	T_EQ_INT("pol-role-037", policy_role_parse("admin ", 6), ROLE_NONE);
	T_EQ_INT("pol-role-038", policy_role_parse("adm", 3), ROLE_NONE);
	T_EQ_INT("pol-role-039", policy_role_parse("admins", 5), ROLE_ADMIN);
	T_EQ_INT("pol-role-040", policy_role_parse("owner\0", 6), ROLE_NONE);

	/* names */
	T_EQ_STR("pol-role-041", policy_role_name(ROLE_NONE), "");
	T_EQ_STR("pol-role-042", policy_role_name(ROLE_GUEST), "guest");
	T_EQ_STR("pol-role-043", policy_role_name(ROLE_MEMBER), "member");
	T_EQ_STR("pol-role-044", policy_role_name(ROLE_ADMIN), "admin");
	T_EQ_STR("pol-role-045", policy_role_name(ROLE_OWNER), "owner");
	T_CHECK("pol-role-046", policy_role_name((enum policy_role)99) !=
	    NULL);
	/* name and parse are inverses */
	{
		int r, ok = 1;

		for (r = ROLE_GUEST; r <= ROLE_OWNER; r++) {
			const char *nm = policy_role_name((enum policy_role)r);

			if (policy_role_parse(nm, strlen(nm)) !=
			    (enum policy_role)r)
				ok = 0;
		}
		T_CHECK("pol-role-047", ok);
	}

	/* access names */
	T_EQ_STR("pol-access-001", policy_access_name(ACCESS_PUBLIC), "public");
	T_EQ_STR("pol-access-002", policy_access_name(ACCESS_AUTHENTICATED),
	    "authenticated");
	T_EQ_STR("pol-access-003", policy_access_name(ACCESS_SESSION),
	    "session");
	T_EQ_STR("pol-access-004", policy_access_name(ACCESS_API_KEY),
	    "api_key");
	T_EQ_STR("pol-access-005", policy_access_name(ACCESS_DENY), "deny");
	T_CHECK("pol-access-006", policy_access_name((enum policy_access)99)
	    != NULL);
}

/* ---- policy_local_path_ok ----------------------------------------- */

static void
test_local_path(void)
{
	static const struct {
		const char	*id;
		const char	*s;
		size_t		 n;	/* 0: strlen */
		int		 want;
	} c[] = {
		{ "pol-local-001", "/", 0, 1 },
		{ "pol-local-002", "/sign-in", 0, 1 },
		{ "pol-local-003", "/auth/sign-in", 0, 1 },
		{ "pol-local-004", "/sign-in?next=%2Fapp", 0, 1 },
		{ "pol-local-005", "//evil", 0, 0 },
		{ "pol-local-006", "/\\evil", 0, 0 },
		{ "pol-local-007", "http://x", 0, 0 },
		{ "pol-local-008", "https://evil.com/", 0, 0 },
		{ "pol-local-009", "", 0, 0 },
		{ "pol-local-010", "/a b", 0, 0 },
		{ "pol-local-011", "/a#b", 0, 0 },
		{ "pol-local-012", "/a\\b", 0, 0 },
		{ "pol-local-013", "/a\tb", 0, 0 },
		{ "pol-local-014", "/a\r\nb", 0, 0 },
		{ "pol-local-015", "/a\x7f", 0, 0 },
		{ "pol-local-016", "/a\x01", 0, 0 },
		{ "pol-local-017", "/a\0b", 4, 0 },
		{ "pol-local-018", "sign-in", 0, 0 },
		{ "pol-local-019", "///evil", 0, 0 },
		{ "pol-local-020", "\\\\evil", 0, 0 },
		{ "pol-local-021", " /sign-in", 0, 0 },
		{ "pol-local-022", "javascript:alert(1)", 0, 0 },
	};
	size_t i;

	for (i = 0; i < NELEM(c); i++)
		T_EQ_INT(c[i].id, policy_local_path_ok(c[i].s, LEN(c[i].s,
		    c[i].n)), c[i].want);
	/* explicit length: "//" is only seen within n */
	T_EQ_INT("pol-local-023", policy_local_path_ok("//evil", 1), 1);
	T_EQ_INT("pol-local-024", policy_local_path_ok(NULL, 0), 0);
}

/* ---- require_permission ------------------------------------------ */

static void
test_perms(void)
{
	static const struct {
		const char	*id;
		const char	*s;
		int		 want;
	} c[] = {
		{ "pol-perm-001", "projects:write", 1 },
		{ "pol-perm-002", "projects:read,projects:write", 1 },
		{ "pol-perm-003", "a.b-c_d:E9", 1 },
		{ "pol-perm-004", "", 0 },
		{ "pol-perm-005", "projects", 0 },
		{ "pol-perm-006", "projects:", 0 },
		{ "pol-perm-007", ":write", 0 },
		{ "pol-perm-008", "a:b:c", 0 },
		{ "pol-perm-009", "a:b,", 0 },
		{ "pol-perm-010", ",a:b", 0 },
		{ "pol-perm-011", "a:b,,c:d", 0 },
		{ "pol-perm-012", "a:b, c:d", 0 },
		{ "pol-perm-013", "a :b", 0 },
		{ "pol-perm-014", "a:*", 0 },
	};
	struct policy_rule_text t;
	struct policy_rule r;
	const char *why;
	char miss[32];
	size_t i;

	for (i = 0; i < NELEM(c); i++)
		T_EQ_INT(c[i].id, policy_perms_valid(c[i].s, strlen(c[i].s)),
		    c[i].want);
	/* a rule: kept as written; NULL and "" require nothing; a bad list
	 * makes the rule invalid */
	t = row();
	t.require_permission = "projects:read,projects:write";
	T_EQ_INT("pol-perm-020", parse(&t, &r, &why), 0);
	T_EQ_STR("pol-perm-021", r.perms, "projects:read,projects:write");
	t.require_permission = NULL;
	T_EQ_INT("pol-perm-022", parse(&t, &r, &why), 0);
	T_EQ_STR("pol-perm-023", r.perms, "");
	t.require_permission = "";
	T_EQ_INT("pol-perm-024", parse(&t, &r, &why), 0);
	T_EQ_STR("pol-perm-025", r.perms, "");
	t.require_permission = "projects";
	T_EQ_INT("pol-perm-026", parse(&t, &r, &why), -1);
	T_EQ_STR("pol-perm-027", why, "bad_require_permission");
	/* granted: every item, exactly */
	T_EQ_INT("pol-perm-030", policy_perms_granted("projects:write",
	    "projects:read,projects:write", miss, sizeof(miss)), 1);
	T_EQ_INT("pol-perm-031", policy_perms_granted("projects:read,"
	    "projects:write", "projects:read", miss, sizeof(miss)), 0);
	T_EQ_STR("pol-perm-032", miss, "projects:write");
	T_EQ_INT("pol-perm-033", policy_perms_granted("projects:write", "",
	    miss, sizeof(miss)), 0);
	T_EQ_INT("pol-perm-034", policy_perms_granted("projects:write",
	    "projects:writer,xprojects:write", miss, sizeof(miss)), 0);
	T_EQ_INT("pol-perm-035", policy_perms_granted("a:b,c:d",
	    "c:d,a:b", miss, sizeof(miss)), 1);
	T_EQ_STR("pol-perm-036", miss, "");
}

int
main(void)
{
	test_glob_valid();
	test_perms();
	test_glob_match();
	test_rule_parse();
	test_match();
	test_match_spellings();
	test_roles();
	test_local_path();
	return t_done("test_policy");
}
