/*
 * test_admin.c - unit tests for src/admin.c (the administrator's
 * decisions: --expires parsing, glob diagnostics, which rules can never
 * match) and the key material helpers in src/credential.c.
 *
 * The shadowing check must be sound: adm-sound-* enumerates glob pairs
 * and paths and fails if admin_glob_covers(a, b) ever claims a covers b
 * while some path matches b and not a. Case ids are stable.
 */
#include <stdint.h>
#include <string.h>

#include "admin.h"
#include "credential.h"
#include "harness.h"
#include "policy.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))
#define NOW		1795446000000LL		/* 2026-11-23T15:00:00Z */
#define DAY		86400000LL

/* ---- admin_expiry_parse ------------------------------------------- */

static void
test_expiry(void)
{
	static const struct {
		const char	*id;
		const char	*s;
		int		 rc;
		int		 never;
		int64_t		 at;	/* checked when rc == 0 && !never */
	} c[] = {
		{ "adm-exp-001", "never", 0, 1, 0 },
		{ "adm-exp-002", "30d", 0, 0, NOW + 30 * DAY },
		{ "adm-exp-003", "12h", 0, 0, NOW + 12 * 3600000LL },
		{ "adm-exp-004", "90m", 0, 0, NOW + 90 * 60000LL },
		{ "adm-exp-005", "2w", 0, 0, NOW + 14 * DAY },
		{ "adm-exp-006", "1d", 0, 0, NOW + DAY },
		{ "adm-exp-007", "36500d", 0, 0, NOW + 36500 * DAY },
		{ "adm-exp-008", "36501d", -1, 0, 0 },	/* limit + 1 */
		{ "adm-exp-009", "5214w", 0, 0, NOW + 5214 * 7 * DAY },
		{ "adm-exp-010", "5215w", -1, 0, 0 },
		{ "adm-exp-011", "0d", -1, 0, 0 },
		{ "adm-exp-012", "d", -1, 0, 0 },
		{ "adm-exp-013", "30", -1, 0, 0 },	/* bare digits */
		{ "adm-exp-014", "30x", -1, 0, 0 },
		{ "adm-exp-015", "30 d", -1, 0, 0 },
		{ "adm-exp-016", "-5d", -1, 0, 0 },
		{ "adm-exp-017", "", -1, 0, 0 },
		{ "adm-exp-018", "Never", -1, 0, 0 },
		{ "adm-exp-019", "2026-12-31", 0, 0, 1798675200000LL },
		{ "adm-exp-020", "2026-12-31T18:00:00Z", 0, 0,
		    1798740000000LL },
		{ "adm-exp-021", "2026-12-31T18:00:00+02:00", 0, 0,
		    1798732800000LL },
		{ "adm-exp-022", "2020-01-01", -1, 0, 0 },	/* past */
		{ "adm-exp-023", "2026-11-23T15:00:00Z", -1, 0, 0 }, /* now */
		{ "adm-exp-024", "2026-11-23T15:00:01Z", 0, 0, NOW + 1000 },
		{ "adm-exp-025", "2026-13-01", -1, 0, 0 },
		{ "adm-exp-026", "2026-02-30", -1, 0, 0 },
		{ "adm-exp-027", "2200-01-01", -1, 0, 0 },	/* > 100 y */
		{ "adm-exp-028", "99999999999999999999d", -1, 0, 0 },
		{ "adm-exp-029", "1795446000001", -1, 0, 0 },	/* epoch ms */
		{ "adm-exp-030", "2026-12-31x", -1, 0, 0 },
	};
	size_t i;

	for (i = 0; i < NELEM(c); i++) {
		int64_t at = -1;
		int never = -1, rc;
		const char *why = NULL;

		rc = admin_expiry_parse(c[i].s, NOW, &at, &never, &why);
		T_EQ_INT(c[i].id, rc, c[i].rc);
		if (rc == 0) {
			T_EQ_INT(c[i].id, never, c[i].never);
			if (!c[i].never)
				T_EQ_INT(c[i].id, at, c[i].at);
		} else {
			T_CHECK(c[i].id, why != NULL && why[0] != '\0');
		}
	}
}

/* ---- admin_glob_problem ------------------------------------------- */

static void
test_glob_problem(void)
{
	static const struct {
		const char	*id;
		const char	*g;
		const char	*want;	/* substring; NULL: valid */
	} c[] = {
		{ "adm-gp-001", "/api/**", NULL },
		{ "adm-gp-002", "/", NULL },
		{ "adm-gp-003", "api", "start with '/'" },
		{ "adm-gp-004", "", "start with '/'" },
		{ "adm-gp-005", "/api//x", "empty segment" },
		{ "adm-gp-006", "/api/**/x", "'**'" },
		{ "adm-gp-007", "/api/a**", "'**'" },
		{ "adm-gp-008", "/api/../x", "'..'" },
		{ "adm-gp-009", "/api/./x", "'..'" },
		{ "adm-gp-010", "/api/%2e", "escapes" },
		{ "adm-gp-011", "/api/x?y", "escapes" },
		{ "adm-gp-012", "/api/\\x", "escapes" },
		{ "adm-gp-013", "/api/x\ny", "control" },
	};
	size_t i;

	for (i = 0; i < NELEM(c); i++) {
		const char *p = admin_glob_problem(c[i].g);

		if (c[i].want == NULL)
			T_CHECK(c[i].id, p == NULL);
		else
			T_CHECK(c[i].id, p != NULL &&
			    strstr(p, c[i].want) != NULL);
	}
	T_CHECK("adm-rp-001", strstr(admin_rule_problem("bad_access"),
	    "--access") != NULL);
	T_CHECK("adm-rp-002", strstr(admin_rule_problem("bad_min_role"),
	    "--min-role") != NULL);
	T_CHECK("adm-rp-003", strstr(admin_rule_problem("bad_on_deny"),
	    "--on-deny") != NULL);
	T_CHECK("adm-rp-004", strstr(admin_rule_problem("bad_method"),
	    "--method") != NULL);
	T_CHECK("adm-rp-005", strstr(admin_rule_problem("bad_redirect_to"),
	    "--redirect-to") != NULL);
	T_CHECK("adm-rp-006", admin_rule_problem("whatever") != NULL);
}

/* ---- admin_glob_covers: what it must see --------------------------- */

static void
test_covers(void)
{
	static const struct {
		const char	*id;
		const char	*a;
		const char	*b;
		int		 want;
	} c[] = {
		{ "adm-cov-001", "/api/**", "/api/admin/**", 1 },
		{ "adm-cov-002", "/api/**", "/api/x", 1 },
		{ "adm-cov-003", "/api/**", "/api", 1 },
		{ "adm-cov-004", "/api/**", "/api/", 1 },
		{ "adm-cov-005", "/api/**", "/api/**", 1 },
		{ "adm-cov-006", "/api/**", "/apix", 0 },
		{ "adm-cov-007", "/api/**", "/**", 0 },
		{ "adm-cov-008", "/**", "/anything/at/all", 1 },
		{ "adm-cov-009", "/**", "/", 1 },
		{ "adm-cov-010", "/**", "/**", 1 },
		{ "adm-cov-011", "/api/admin/**", "/api/**", 0 },
		{ "adm-cov-012", "/api/*", "/api/x", 1 },
		{ "adm-cov-013", "/api/*", "/api/x/y", 0 },
		{ "adm-cov-014", "/api/*", "/api/**", 0 },
		{ "adm-cov-015", "/api/*/**", "/api/x/**", 1 },
		{ "adm-cov-016", "/api/*/**", "/api", 0 },
		{ "adm-cov-017", "/api/v*", "/api/v1", 1 },
		{ "adm-cov-018", "/api/v*", "/api/v1*", 1 },
		{ "adm-cov-019", "/api/v*", "/api/x*", 0 },
		{ "adm-cov-020", "/f/*.txt", "/f/a*.txt", 1 },
		{ "adm-cov-021", "/f/*.txt", "/f/*.md", 0 },
		{ "adm-cov-022", "/f/a*b", "/f/ab", 1 },
		{ "adm-cov-023", "/f/a*b", "/f/a*", 0 },
		{ "adm-cov-024", "/f/*a*", "/f/xay", 1 },	/* literal b */
		{ "adm-cov-025", "/f/*a*", "/f/x*a*", 0 },	/* unsure: no */
		{ "adm-cov-026", "/x", "/x", 1 },
		/* issue 8: an exact rule also takes its trailing-slash form */
		{ "adm-cov-027", "/x", "/x/", 1 },
		{ "adm-cov-028", "/x/", "/x", 1 },
		{ "adm-cov-029", "/", "/", 1 },
		{ "adm-cov-030", "/*", "/", 1 },	/* '*' matches "" */
		{ "adm-cov-031", "/a/*/c", "/a/b/c", 1 },
		{ "adm-cov-032", "/a/*/c", "/a/b/d", 0 },
		{ "adm-cov-033", "/a/b/**", "/a/*/**", 0 },
		{ "adm-cov-034", "/a/**", "/a/b*/c/**", 1 },
	};
	size_t i;

	for (i = 0; i < NELEM(c); i++)
		T_EQ_INT(c[i].id, admin_glob_covers(c[i].a, c[i].b, 0),
		    c[i].want);
}

/* ---- admin_glob_covers: never wrong -------------------------------- */

static const char *const sound_globs[] = {
	"/", "/**", "/*", "/a", "/a/", "/a/**", "/a/*", "/a/*/**", "/a*",
	"/*a", "/a*b", "/*a*", "/ab", "/b", "/a/b", "/a/b/**", "/a/*/b",
	"/*/b", "/*/**", "/a*/**", "/ab*", "/*b", "/a/b*", "/a/*b",
	"/a/b/", "/**/", NULL
};
static const char *const sound_segs[] = { "", "a", "b", "ab", "ba",
	"aab", "abb", "x" };

/* Every path of 1 to 3 segments over sound_segs. */
static int
for_paths(int (*fn)(const char *p, void *ctx), void *ctx)
{
	char p[64];
	size_t n = NELEM(sound_segs), i, j, k;

	for (i = 0; i < n; i++) {
		snprintf(p, sizeof(p), "/%s", sound_segs[i]);
		if (fn(p, ctx))
			return 1;
		for (j = 0; j < n; j++) {
			if (sound_segs[i][0] == '\0')
				continue;	/* no empty middle segment */
			snprintf(p, sizeof(p), "/%s/%s", sound_segs[i],
			    sound_segs[j]);
			if (fn(p, ctx))
				return 1;
			for (k = 0; k < n; k++) {
				if (sound_segs[j][0] == '\0')
					continue;
				snprintf(p, sizeof(p), "/%s/%s/%s",
				    sound_segs[i], sound_segs[j],
				    sound_segs[k]);
				if (fn(p, ctx))
					return 1;
			}
		}
	}
	return 0;
}

struct pair {
	const char	*a;
	const char	*b;
	const char	*witness;
	char		 buf[64];
};

/* 1 if the live route function sends GET p to a rule with this glob. */
static int
routes(const char *glob, const char *p)
{
	struct policy_rule_text t = { 1, 1, NULL, glob, "public", NULL, NULL,
	    NULL, NULL };
	struct policy_rule r;
	const char *why;

	return policy_rule_parse(&t, &r, &why) == 0 &&
	    policy_match(&r, 1, "GET", 3, p, strlen(p), 0) != NULL;
}

/* 1 (stop) when p matches b but not a. */
static int
counterexample(const char *p, void *ctx)
{
	struct pair *pr = ctx;

	if (routes(pr->b, p) && !routes(pr->a, p)) {
		snprintf(pr->buf, sizeof(pr->buf), "%s", p);
		pr->witness = pr->buf;
		return 1;
	}
	return 0;
}

static void
test_sound(void)
{
	size_t i, j, claimed = 0;
	int bad = 0;

	for (i = 0; sound_globs[i] != NULL; i++) {
		if (!policy_glob_valid(sound_globs[i], strlen(sound_globs[i])))
			continue;
		for (j = 0; sound_globs[j] != NULL; j++) {
			struct pair pr = { sound_globs[i], sound_globs[j],
			    NULL, "" };

			if (!policy_glob_valid(pr.b, strlen(pr.b)) ||
			    !admin_glob_covers(pr.a, pr.b, 0))
				continue;
			claimed++;
			if (for_paths(counterexample, &pr)) {
				bad++;
				printf("FAIL adm-sound-001: %s said to cover"
				    " %s, but %s matches only the latter\n",
				    pr.a, pr.b, pr.witness);
			}
		}
	}
	T_EQ_INT("adm-sound-001", bad, 0);
	T_CHECK("adm-sound-002", claimed > 40);	/* it does claim things */
}

/* ---- admin_rule_shadowed ------------------------------------------- */

static struct policy_rule
mk(long long id, const char *methods, const char *path)
{
	struct policy_rule_text t;
	struct policy_rule r;
	const char *why;

	memset(&t, 0, sizeof(t));
	t.id = id;
	t.priority = id;
	t.method = methods;
	t.path = path;
	t.access = "authenticated";
	if (policy_rule_parse(&t, &r, &why) != 0)
		printf("FAIL adm-mk: rule %lld does not parse (%s)\n", id, why);
	return r;
}

static void
test_shadowed(void)
{
	struct policy_rule demo[7];
	struct policy_rule r[4];
	size_t by[ADMIN_MAX_SHADOWERS], i, n;

	/* db/demo.sql's rules: none is shadowed. */
	demo[0] = mk(1, "GET,HEAD", "/api/health");
	demo[1] = mk(2, NULL, "/api/internal/**");
	demo[2] = mk(3, NULL, "/api/admin/**");
	demo[3] = mk(4, "POST,PUT,PATCH,DELETE", "/api/projects/**");
	demo[4] = mk(5, NULL, "/api/machine/**");
	demo[5] = mk(6, NULL, "/api/**");
	demo[6] = mk(7, NULL, "/app/**");
	for (i = 0, n = 0; i < 7; i++)
		n += admin_rule_shadowed(demo, 7, i, by, NELEM(by), 0);
	T_EQ_INT("adm-sh-001", n, 0);

	/* A catch-all first hides everything after it. */
	r[0] = mk(1, NULL, "/api/**");
	r[1] = mk(2, NULL, "/api/admin/**");
	r[2] = mk(3, "GET", "/api/x");
	r[3] = mk(4, NULL, "/app/**");
	T_EQ_INT("adm-sh-002", admin_rule_shadowed(r, 4, 0, by, 4, 0), 0);
	T_EQ_INT("adm-sh-003", admin_rule_shadowed(r, 4, 1, by, 4, 0), 1);
	T_EQ_INT("adm-sh-004", by[0], 0);
	T_EQ_INT("adm-sh-005", admin_rule_shadowed(r, 4, 2, by, 4, 0), 1);
	T_EQ_INT("adm-sh-006", admin_rule_shadowed(r, 4, 3, by, 4, 0), 0);

	/* A method list covers only its methods. */
	r[0] = mk(1, "GET", "/api/**");
	r[1] = mk(2, "GET,POST", "/api/x");
	r[2] = mk(3, NULL, "/api/x");
	T_EQ_INT("adm-sh-007", admin_rule_shadowed(r, 3, 1, by, 4, 0), 0);
	T_EQ_INT("adm-sh-008", admin_rule_shadowed(r, 3, 2, by, 4, 0), 0);
	r[1] = mk(2, "get", "/api/x");	/* methods are case-insensitive */
	T_EQ_INT("adm-sh-009", admin_rule_shadowed(r, 3, 1, by, 4, 0), 1);

	/* Two earlier rules together take both methods. */
	r[0] = mk(1, "GET", "/api/**");
	r[1] = mk(2, "POST", "/api/x/**");
	r[2] = mk(3, "GET,POST", "/api/x/y");
	r[3] = mk(4, "GET,POST,PUT", "/api/x/y");
	T_EQ_INT("adm-sh-010", admin_rule_shadowed(r, 4, 2, by, 4, 0), 2);
	T_CHECK("adm-sh-011", (by[0] == 0 && by[1] == 1) ||
	    (by[0] == 1 && by[1] == 0));
	T_EQ_INT("adm-sh-012", admin_rule_shadowed(r, 4, 3, by, 4, 0), 0);
	/* ... but an any-method rule is never covered by method lists. */
	r[3] = mk(4, NULL, "/api/x/y");
	T_EQ_INT("adm-sh-013", admin_rule_shadowed(r, 4, 3, by, 4, 0), 0);

	/* Identical rules: the second never matches. */
	r[0] = mk(1, NULL, "/a/*");
	r[1] = mk(2, NULL, "/a/*");
	T_EQ_INT("adm-sh-014", admin_rule_shadowed(r, 2, 1, by, 4, 0), 1);
	/* Out of range and no room are "reachable". */
	T_EQ_INT("adm-sh-015", admin_rule_shadowed(r, 2, 2, by, 4, 0), 0);
	T_EQ_INT("adm-sh-016", admin_rule_shadowed(r, 2, 1, by, 0, 0), 0);
}

/* ---- credential.c: keys and ids ------------------------------------ */

static void
test_keys(void)
{
	char k1[CRED_KEY_MAX + 1], k2[CRED_KEY_MAX + 1], id[CRED_ID_LEN + 1];
	char b64[CRED_HASH_B64URL_LEN + 1], hex[CRED_HASH_HEX_LEN + 1];
	char pfx[CRED_MAX_KEY_PREFIX + 2];
	size_t n, i;
	int ok = 1;

	n = cred_apikey_generate("ag_", k1, sizeof(k1));
	T_EQ_INT("adm-key-001", n, 3 + 43);
	T_EQ_INT("adm-key-002", strlen(k1), 46);
	T_CHECK("adm-key-003", strncmp(k1, "ag_", 3) == 0);
	for (i = 3; i < n; i++)
		if (!((k1[i] >= 'A' && k1[i] <= 'Z') ||
		    (k1[i] >= 'a' && k1[i] <= 'z') ||
		    (k1[i] >= '0' && k1[i] <= '9') || k1[i] == '-' ||
		    k1[i] == '_'))
			ok = 0;
	T_CHECK("adm-key-004", ok);	/* base64url, no padding */
	T_EQ_INT("adm-key-005", cred_apikey_generate("ag_", k2, sizeof(k2)),
	    46);
	T_CHECK("adm-key-006", strcmp(k1, k2) != 0);
	T_EQ_INT("adm-key-007", cred_apikey_generate("", k2, sizeof(k2)), 43);
	T_EQ_INT("adm-key-008", cred_apikey_generate("ag.", k2, sizeof(k2)),
	    0);
	T_EQ_INT("adm-key-009", cred_apikey_generate("ag_", k2, CRED_KEY_MAX),
	    0);	/* buffer N-1 */
	memset(pfx, 'p', CRED_MAX_KEY_PREFIX);
	pfx[CRED_MAX_KEY_PREFIX] = '\0';
	T_EQ_INT("adm-key-010", cred_apikey_generate(pfx, k2, sizeof(k2)),
	    CRED_KEY_MAX);			/* prefix at N */
	pfx[CRED_MAX_KEY_PREFIX] = 'p';
	pfx[CRED_MAX_KEY_PREFIX + 1] = '\0';
	T_EQ_INT("adm-key-011", cred_apikey_prefix_ok(pfx), 0);	/* N+1 */
	T_EQ_INT("adm-key-012", cred_apikey_prefix_ok("acme_live-1"), 1);
	T_EQ_INT("adm-key-013", cred_apikey_prefix_ok("a b"), 0);
	T_EQ_INT("adm-key-014", cred_apikey_prefix_ok("a%"), 0);
	/* The stored form authz looks up: base64url SHA-256 of the key. */
	T_EQ_INT("adm-key-015", cred_apikey_hash(k1, strlen(k1), b64, hex), 0);
	T_EQ_INT("adm-key-016", strlen(b64), CRED_HASH_B64URL_LEN);

	T_EQ_INT("adm-id-001", cred_random_id(id, sizeof(id)), 0);
	T_EQ_INT("adm-id-002", strlen(id), CRED_ID_LEN);
	for (i = 0, ok = 1; i < CRED_ID_LEN; i++)
		if (!((id[i] >= 'A' && id[i] <= 'Z') ||
		    (id[i] >= 'a' && id[i] <= 'z') ||
		    (id[i] >= '0' && id[i] <= '9')))
			ok = 0;
	T_CHECK("adm-id-003", ok);
	T_EQ_INT("adm-id-004", cred_random_id(id, CRED_ID_LEN), -1);
	strcpy(k2, id);
	T_EQ_INT("adm-id-005", cred_random_id(id, sizeof(id)), 0);
	T_CHECK("adm-id-006", strcmp(k2, id) != 0);
}

int
main(void)
{
	test_expiry();
	test_glob_problem();
	test_covers();
	test_sound();
	test_shadowed();
	test_keys();
	return t_done("test_admin");
}
