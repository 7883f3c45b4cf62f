/*
 * bench_decide.c DB SECRET N - times authz_decide, the whole decision
 * including its SQLite lookups, for the request kinds that matter:
 * a session allow, an API-key allow, an anonymous deny, a public path.
 * Prints nanoseconds per decision. Not a test: no pass or fail.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "authz.h"

static struct authz az;
static struct authz_decision d;

static double
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void
run(const char *label, const char *uri, const char *cookie, const char *key,
    long n, int want)
{
	struct authz_input in;
	double t0, t1;
	long i;

	memset(&in, 0, sizeof(in));
	in.method.p = "GET";
	in.method.n = 3;
	in.uri.p = uri;
	in.uri.n = strlen(uri);
	if (cookie) {
		in.cookie.p = cookie;
		in.cookie.n = strlen(cookie);
	}
	if (key) {
		in.api_key.p = key;
		in.api_key.n = strlen(key);
	}
	authz_decide(&az, &in, &d);	/* warm: rules, statements, pages */
	if (d.status != want) {
		fprintf(stderr, "bench: %s gave %d (%s), want %d\n", label,
		    d.status, d.reason, want);
		exit(1);
	}
	t0 = now_ns();
	for (i = 0; i < n; i++)
		authz_decide(&az, &in, &d);
	t1 = now_ns();
	printf("decide %-16s %8.0f ns/decision  (%ld runs)\n", label,
	    (t1 - t0) / n, n);
}

int
main(int argc, char **argv)
{
	struct store *s;
	char err[256];
	long n;

	if (argc != 5) {
		fprintf(stderr, "usage: bench_decide DB SECRET N COOKIE\n");
		return 2;
	}
	n = strtol(argv[3], NULL, 10);
	if (store_open(&s, argv[1], STORE_READONLY, err, sizeof(err)) != 0 ||
	    authz_init(&az, s, (const unsigned char *)argv[2], strlen(argv[2]),
	    "better-auth") != 0)
		return 2;
	run("session allow", "/api/projects", argv[4], NULL, n, 200);
	run("api key allow", "/api/projects", NULL,
	    "ag_demo_member_key_7f3c9a1e5b2d4c6e8a0b1c2d3e4f5a6b", n, 200);
	run("anonymous deny", "/api/projects", NULL, NULL, n, 401);
	run("public", "/api/health", NULL, NULL, n, 200);
	store_close(s);
	return 0;
}
