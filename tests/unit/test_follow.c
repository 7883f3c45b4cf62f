/*
 * test_follow.c - `authgate follow` before it connects anywhere: a usage
 * error, no AUTHGATE_NATS_URL, a missing cluster key, and --help, each
 * with its exit code (integration: tests/integration/nats.sh).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "follow.h"
#include "harness.h"

static int
run(const char *a, const char *b, const char *c)
{
	char *argv[6] = { (char *)"authgate", (char *)"follow", NULL, NULL,
	    NULL, NULL };
	int argc = 2;

	if (a != NULL)
		argv[argc++] = (char *)a;
	if (b != NULL)
		argv[argc++] = (char *)b;
	if (c != NULL)
		argv[argc++] = (char *)c;
	return follow_main(argc, argv);
}

int
main(void)
{
	unsetenv("AUTHGATE_NATS_URL");
	unsetenv("AUTHGATE_CLUSTER_KEY");
	unsetenv("AUTHGATE_CLUSTER_KEY_FILE");
	T_EQ_INT("follow-001", run("--bogus", NULL, NULL), 2);
	T_EQ_INT("follow-002", run("--db", "/nonexistent/x.db", NULL), 2);
	setenv("AUTHGATE_NATS_URL", "nats://127.0.0.1:1", 1);
	T_EQ_INT("follow-003", run("--db", "/nonexistent/x.db", NULL), 2);
	setenv("AUTHGATE_CLUSTER_KEY", "0123456789abcdef0123456789abcdef", 1);
	/* settings fine, no database: refused before any connection */
	T_EQ_INT("follow-004", run("--db", "/nonexistent/x.db", NULL), 2);
	T_EQ_INT("follow-005", run("--name", NULL, NULL), 2);	/* no value */
	T_EQ_INT("follow-006", run("--help", NULL, NULL), 0);
	return t_done("test_follow");
}
