/*
 * test_config_ops.c - unit tests for src/config.c's operations settings
 * (config_load_ops through config_load): the health and metrics paths and
 * their collisions, AUTHGATE_METRICS_FILE, and the earlier secrets of a
 * BETTER_AUTH_SECRET_FILE (secret rotation): lines after the first, blank
 * lines skipped, CR and trailing blanks trimmed, each line's length at
 * its limits, the count at its limit, and no secret in an error.
 *
 * Case ids are stable: a new case gets a new id, an id never changes
 * meaning.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "harness.h"

static struct config c;
static char err[512];
static char file[64];

#define S32	"current-secret-0123456789abcdefg"	/* 32 bytes */
#define O40	"earlier-secret-0123456789abcdefghijklmno"	/* 40 bytes */

/* Writes text to the secret file and loads the configuration. */
static int
load_with(const char *text)
{
	FILE *f = fopen(file, "w");

	if (f == NULL || fputs(text, f) < 0 || fclose(f) != 0)
		return -2;
	setenv("BETTER_AUTH_SECRET_FILE", file, 1);
	err[0] = '\0';
	return config_load(&c, err, sizeof(err));
}

static char big[2 * CRED_MAX_SECRET + 64];

int
main(void)
{
	unsetenv("BETTER_AUTH_SECRET");
	snprintf(file, sizeof(file), "/tmp/authgate-test-config-%d",
	    (int)getpid());

	/* defaults */
	T_EQ_INT("cfg-001", load_with(S32 "\n"), 0);
	T_EQ_STR("cfg-002", c.health_path, "/_authgate/health");
	T_EQ_STR("cfg-003", c.metrics_path, "/_authgate/metrics");
	T_EQ_STR("cfg-004", c.metrics_file, "");
	T_EQ_INT("cfg-005", c.nold, 0);
	T_EQ_INT("cfg-006", c.secret_n, 32);

	/* rotation: the second line is an earlier secret */
	T_EQ_INT("cfg-010", load_with(S32 "\n" O40 "\n"), 0);
	T_EQ_INT("cfg-011", c.secret_n, 32);
	T_CHECK("cfg-012", memcmp(c.secret, S32, 32) == 0);
	T_EQ_INT("cfg-013", c.nold, 1);
	T_CHECK("cfg-014", c.secret_old_n[0] == 40 &&
	    memcmp(c.secret_old[0], O40, 40) == 0);
	/* CRLF, trailing blanks and blank lines */
	T_EQ_INT("cfg-015", load_with(S32 "\r\n\r\n" O40 " \t\r\n\n"), 0);
	T_CHECK("cfg-016", c.nold == 1 && c.secret_old_n[0] == 40);
	/* no trailing newline */
	T_EQ_INT("cfg-017", load_with(S32 "\n" O40), 0);
	T_EQ_INT("cfg-018", c.nold, 1);
	/* a line of 31 bytes is refused, and the error holds no secret */
	T_EQ_INT("cfg-020", load_with(S32 "\n" "short-secret-0123456789abcdefgh\n"),
	    -1);
	T_CHECK("cfg-021", strstr(err, "line 2") != NULL &&
	    strstr(err, "short-secret") == NULL && strstr(err, "current") ==
	    NULL);
	/* CONFIG_MAX_OLD_SECRETS (3) earlier secrets, then one more */
	T_EQ_INT("cfg-022", load_with(S32 "\n" O40 "\n" O40 "\n" O40 "\n"), 0);
	T_EQ_INT("cfg-023", c.nold, 3);
	T_EQ_INT("cfg-024", load_with(S32 "\n" O40 "\n" O40 "\n" O40 "\n" O40
	    "\n"), -1);
	T_CHECK("cfg-025", strstr(err, "more than 4 secrets") != NULL);
	/* a line of CRED_MAX_SECRET bytes, then one more */
	memcpy(big, S32 "\n", 33);
	memset(big + 33, 'x', CRED_MAX_SECRET);
	big[33 + CRED_MAX_SECRET] = '\0';
	T_EQ_INT("cfg-026", load_with(big), 0);
	T_CHECK("cfg-027", c.nold == 1 && c.secret_old_n[0] == CRED_MAX_SECRET);
	memset(big + 33, 'x', CRED_MAX_SECRET + 1);
	big[34 + CRED_MAX_SECRET] = '\0';
	T_EQ_INT("cfg-028", load_with(big), -1);
	/* wiped */
	T_EQ_INT("cfg-029", load_with(S32 "\n" O40 "\n"), 0);
	config_wipe(&c);
	T_CHECK("cfg-030", c.nold == 0 && c.secret_old[0][0] == 0);

	/* paths */
	setenv("AUTHGATE_HEALTH_PATH", "/healthz", 1);
	setenv("AUTHGATE_METRICS_PATH", "/metrics", 1);
	T_EQ_INT("cfg-040", load_with(S32 "\n"), 0);
	T_CHECK("cfg-041", strcmp(c.health_path, "/healthz") == 0 &&
	    strcmp(c.metrics_path, "/metrics") == 0);
	setenv("AUTHGATE_HEALTH_PATH", "/_authgate/check", 1);
	T_EQ_INT("cfg-042", load_with(S32 "\n"), -1);
	T_CHECK("cfg-043", strstr(err, "AUTHGATE_HEALTH_PATH") != NULL);
	setenv("AUTHGATE_HEALTH_PATH", "/metrics", 1);
	T_EQ_INT("cfg-044", load_with(S32 "\n"), -1);
	setenv("AUTHGATE_HEALTH_PATH", "/health?x", 1);
	T_EQ_INT("cfg-045", load_with(S32 "\n"), -1);
	unsetenv("AUTHGATE_HEALTH_PATH");
	setenv("AUTHGATE_METRICS_PATH", "/webhooks/optare", 1);
	T_EQ_INT("cfg-046", load_with(S32 "\n"), -1);
	unsetenv("AUTHGATE_METRICS_PATH");
	/* the page file: absolute only */
	setenv("AUTHGATE_METRICS_FILE", "run/metrics", 1);
	T_EQ_INT("cfg-050", load_with(S32 "\n"), -1);
	T_CHECK("cfg-051", strstr(err, "AUTHGATE_METRICS_FILE") != NULL);
	setenv("AUTHGATE_METRICS_FILE", "/run/authgate/metrics", 1);
	T_EQ_INT("cfg-052", load_with(S32 "\n"), 0);
	T_EQ_STR("cfg-053", c.metrics_file, "/run/authgate/metrics");
	unsetenv("AUTHGATE_METRICS_FILE");
	config_wipe(&c);
	unlink(file);
	return t_done("test_config_ops");
}
