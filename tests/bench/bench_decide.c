/*
 * bench_decide.c - `make bench`, in-process: authz_decide against the
 * reference decision (reference.c), in interleaved rounds.
 *
 *   bench_decide DB LABEL SECRET COOKIES KEYS MS ROUNDS
 *
 * COOKIES: Cookie header values, one a line (the first is the fixed
 * session, all of them the random rotation); KEYS: raw API keys, the
 * first is used. Every case runs ROUNDS times for about MS milliseconds,
 * authgate and the reference alternating (the order flips each round),
 * and prints one line per case and implementation:
 *   decide db=LABEL case=C impl=I ns=MEDIAN min=MIN max=MAX wall_ns=W n=N
 * ns is thread CPU time per decision (what another tenant of a shared
 * machine cannot inflate), wall_ns the median wall time. authz_decide is
 * called as gate.c calls it: an authz_input with every absent parameter
 * NULL, a decision struct reused across requests.
 * BENCH_CASE and BENCH_IMPL (environment) limit the run to one case or
 * implementation (for a profiler).
 * Not a test: no pass or fail; exits 1 only when a decision is not the
 * expected one (then the figures would measure the wrong path).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <unistd.h>

#include "authz.h"
#include "reference.h"

#define MAX_COOKIES	10000	/* the wrk rotation's size */
#define MAX_LINE	1024	/* a Cookie header of one session cookie */
#define MAX_ROUNDS	64

enum impl { AUTHGATE, REFERENCE };
enum kind { PUBLIC, DENY, SESSION, APIKEY, LIMITED };

struct bcase {
	const char	*name;
	enum kind	 kind;
	const char	*uri;
	int		 rotate;	/* cycle through every cookie */
	int		 want;
	int		 has_ref;
};

static const struct bcase cases[] = {
	{ "public",		PUBLIC,  "/api/health",  0, 200, 0 },
	{ "deny",		DENY,    "/b/ag/f.txt",  0, 401, 0 },
	{ "session_fixed",	SESSION, "/b/ag/f.txt",  0, 200, 1 },
	{ "session_random",	SESSION, "/b/ag/f.txt",  1, 200, 1 },
	{ "apikey_fixed",	APIKEY,  "/b/ag/f.txt",  0, 200, 1 },
	/* a key with a quota and a rate limit: a use counted in the
	 * state file on every decision */
	{ "apikey_limited",	LIMITED, "/b/ag/f.txt",  0, 200, 1 },
};

static struct authz az;
static struct authz_decision dec;
static struct ref *ref;
static struct ref_identity rid;
static char **cookies;
static size_t ncookies;
static char key[MAX_LINE], lkey[MAX_LINE];

static double
clock_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* Reads up to max non-empty lines of file. Returns the count, 0 on error. */
static size_t
read_lines(const char *path, char **out, size_t max)
{
	char line[MAX_LINE];
	FILE *f;
	size_t n = 0, len;

	if ((f = fopen(path, "r")) == NULL)
		return 0;
	while (n < max && fgets(line, sizeof(line), f) != NULL) {
		len = strcspn(line, "\r\n");
		line[len] = '\0';
		if (len > 0 && (out[n] = strdup(line)) != NULL)
			n++;
	}
	fclose(f);
	return n;
}

/* One decision of case c by implementation im, credential i. */
static int
decide_one(const struct bcase *c, enum impl im, size_t i)
{
	struct authz_input in;
	const char *ck = cookies[c->rotate ? i % ncookies : 0];
	const char *k = c->kind == LIMITED ? lkey : key;

	if (im == REFERENCE)
		return c->kind == APIKEY || c->kind == LIMITED ?
		    ref_apikey(ref, k, strlen(k), &rid) :
		    ref_session(ref, ck, strlen(ck), &rid);
	memset(&in, 0, sizeof(in));
	in.method.p = "GET";
	in.method.n = 3;
	in.uri.p = c->uri;
	in.uri.n = strlen(c->uri);
	if (c->kind == SESSION) {
		in.cookie.p = ck;
		in.cookie.n = strlen(ck);
	} else if (c->kind == APIKEY || c->kind == LIMITED) {
		in.api_key.p = k;
		in.api_key.n = strlen(k);
	}
	authz_decide(&az, &in, &dec);
	return dec.status;
}

/* Every credential the case uses once: the expected answer, or exit. */
static void
verify(const char *label, const struct bcase *c, enum impl im)
{
	size_t i, n = c->rotate ? ncookies : 1;
	int st;

	for (i = 0; i < n; i++) {
		if ((st = decide_one(c, im, i)) != c->want) {
			fprintf(stderr, "bench_decide: db=%s case=%s impl=%s:"
			    " credential %zu got %d (%s), want %d\n", label,
			    c->name, im == AUTHGATE ? "authgate" : "reference",
			    i, st, im == AUTHGATE ? dec.reason : "-", c->want);
			exit(1);
		}
	}
}

/* Runs for about ms; returns CPU ns per decision, wall ns in *wall. */
static double
timed(const struct bcase *c, enum impl im, double ms, double *wall, long *runs)
{
	double c0, w0, c1, w1, budget = ms * 1e6;
	size_t i = 0, j;

	c0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	w0 = clock_ns(CLOCK_MONOTONIC);
	do {
		for (j = 0; j < 256; j++, i++)
			(void)decide_one(c, im, i);
		c1 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	} while (c1 - c0 < budget);
	w1 = clock_ns(CLOCK_MONOTONIC);
	*wall = (w1 - w0) / (double)i;
	*runs += (long)i;
	return (c1 - c0) / (double)i;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int
main(int argc, char **argv)
{
	double cpu[2][MAX_ROUNDS], wall[2][MAX_ROUNDS], ms;
	long runs[2];
	struct store *s;
	char err[256], *keys[1], *lkeys[1], state[4096];
	const char *label, *only_case, *only_impl;
	size_t ci;
	int rounds, r, k, im;

	if (argc != 9) {
		fprintf(stderr, "usage: bench_decide DB LABEL SECRET COOKIES"
		    " KEYS LIMITED_KEY MS ROUNDS\n");
		return 2;
	}
	label = argv[2];
	only_case = getenv("BENCH_CASE");
	only_impl = getenv("BENCH_IMPL");
	ms = strtod(argv[7], NULL);
	rounds = (int)strtol(argv[8], NULL, 10);
	if (ms <= 0 || rounds < 1 || rounds > MAX_ROUNDS ||
	    (cookies = calloc(MAX_COOKIES, sizeof(*cookies))) == NULL ||
	    (ncookies = read_lines(argv[4], cookies, MAX_COOKIES)) == 0 ||
	    read_lines(argv[5], keys, 1) != 1 ||
	    read_lines(argv[6], lkeys, 1) != 1) {
		fprintf(stderr, "bench_decide: bad arguments or input files\n");
		return 2;
	}
	snprintf(key, sizeof(key), "%s", keys[0]);
	snprintf(lkey, sizeof(lkey), "%s", lkeys[0]);
	/* the host's state file next to the database, as the server maps
	 * it; uses are counted (a fresh file per run) */
	snprintf(state, sizeof(state), "%s.bench-state", argv[1]);
	unlink(state);
	if (usage_open(state, 0, err, sizeof(err)) != 0) {
		fprintf(stderr, "bench_decide: %s\n", err);
		return 2;
	}
	if (store_open(&s, argv[1], STORE_READONLY, err, sizeof(err)) != 0 ||
	    authz_init(&az, s, (const unsigned char *)argv[3], strlen(argv[3]),
	    "better-auth", 0) != 0 ||
	    (ref = ref_open(argv[1], (const unsigned char *)argv[3],
	    strlen(argv[3]))) == NULL) {
		fprintf(stderr, "bench_decide: cannot open %s: %s\n", argv[1],
		    err);
		return 2;
	}
	az.count_uses = 1;
	for (ci = 0; ci < sizeof(cases) / sizeof(cases[0]); ci++) {
		const struct bcase *c = &cases[ci];
		int nimpl = c->has_ref ? 2 : 1;

		if (only_case != NULL && strcmp(only_case, c->name) != 0)
			continue;
		if (only_impl != NULL && strcmp(only_impl, "authgate") == 0)
			nimpl = 1;
		for (im = 0; im < nimpl; im++)
			verify(label, c, (enum impl)im);
		runs[0] = runs[1] = 0;
		for (r = 0; r < rounds; r++) {
			for (k = 0; k < nimpl; k++) {
				im = (r % 2) ? nimpl - 1 - k : k;
				cpu[im][r] = timed(c, (enum impl)im, ms,
				    &wall[im][r], &runs[im]);
			}
		}
		for (im = 0; im < nimpl; im++) {
			double mn = cpu[im][0], mx = cpu[im][0];

			for (r = 1; r < rounds; r++) {
				mn = cpu[im][r] < mn ? cpu[im][r] : mn;
				mx = cpu[im][r] > mx ? cpu[im][r] : mx;
			}
			printf("decide db=%s case=%s impl=%s ns=%.0f min=%.0f"
			    " max=%.0f wall_ns=%.0f n=%ld\n", label, c->name,
			    im == AUTHGATE ? "authgate" : "reference",
			    median(cpu[im], rounds), mn, mx,
			    median(wall[im], rounds), runs[im]);
		}
		fflush(stdout);
	}
	ref_close(ref);
	authz_fini(&az);
	store_close(s);
	return 0;
}
