/*
 * test_config.c - the session secret's start-up checks
 * (config_secret_check, config_secret_len_ok): empty, short at 31, 32
 * and 33 bytes, AUTHGATE_UNSIGNED_SESSIONS, and that no message holds
 * the secret.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "harness.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

static const char s31[] = "0123456789012345678901234567890";
static const char s32[] = "01234567890123456789012345678901";
static const char s33[] = "012345678901234567890123456789012";

static void
clear(void)
{
	unsetenv("BETTER_AUTH_SECRET");
	unsetenv("BETTER_AUTH_SECRET_FILE");
	unsetenv("AUTHGATE_UNSIGNED_SESSIONS");
}

/* Loads the environment and checks it; -2 when config_load refuses. */
static int
check(int *unsigned_ok, char *err, size_t errsz)
{
	struct config c;
	int rc;

	err[0] = '\0';
	if (config_load(&c, err, errsz) != 0)
		return -2;
	rc = config_secret_check(&c, unsigned_ok, err, errsz);
	config_wipe(&c);
	return rc;
}

static void
test_secret(void)
{
	static const struct {
		const char	*id;
		const char	*secret;	/* NULL: unset */
		const char	*unsigned_flag;	/* NULL: unset */
		int		 want;		/* rc */
		int		 want_unsigned;
		const char	*msg;		/* in err, or NULL */
	} c[] = {
		{ "cfg-sec-001", NULL, NULL, 0, 0, NULL },	/* SPEC 5: warned */
		{ "cfg-sec-002", "", NULL, -1, 0, "BETTER_AUTH_SECRET is empty" },
		{ "cfg-sec-003", "", "1", 0, 1, NULL },
		{ "cfg-sec-004", "", "0", -1, 0, "AUTHGATE_UNSIGNED_SESSIONS=1" },
		{ "cfg-sec-005", "", "yes", -1, 0, "must be 0 or 1" },
		{ "cfg-sec-006", NULL, "1", 0, 1, NULL },
		{ "cfg-sec-007", s31, NULL, -1, 0, "shorter than 32 bytes" },
		{ "cfg-sec-008", s32, NULL, 0, 0, NULL },
		{ "cfg-sec-009", s33, NULL, 0, 0, NULL },
		{ "cfg-sec-010", "x", NULL, -1, 0, "better-auth refuses it" },
		/* a secret given is used even with the flag */
		{ "cfg-sec-011", s32, "1", 0, 0, NULL },
		{ "cfg-sec-012", s31, "1", -1, 0, "shorter than 32 bytes" },
	};
	char err[512], id[64];
	size_t i;
	int u, rc;

	for (i = 0; i < NELEM(c); i++) {
		clear();
		if (c[i].secret != NULL)
			setenv("BETTER_AUTH_SECRET", c[i].secret, 1);
		if (c[i].unsigned_flag != NULL)
			setenv("AUTHGATE_UNSIGNED_SESSIONS", c[i].unsigned_flag,
			    1);
		u = -1;
		rc = check(&u, err, sizeof(err));
		T_EQ_INT(c[i].id, rc, c[i].want);
		snprintf(id, sizeof(id), "%s-unsigned", c[i].id);
		if (rc == 0)
			T_EQ_INT(id, u, c[i].want_unsigned);
		snprintf(id, sizeof(id), "%s-msg", c[i].id);
		if (c[i].msg != NULL)
			T_CHECK(id, strstr(err, c[i].msg) != NULL);
		snprintf(id, sizeof(id), "%s-nosecret", c[i].id);
		if (c[i].secret != NULL && c[i].secret[0] != '\0')
			T_CHECK(id, strstr(err, c[i].secret) == NULL);
	}
	clear();
	/* one secret at a time, as the lines of a file are checked */
	T_EQ_INT("cfg-len-001", config_secret_len_ok(0, "S", err, sizeof(err)),
	    0);
	T_EQ_INT("cfg-len-002", config_secret_len_ok(31, "line 2", err,
	    sizeof(err)), -1);
	T_CHECK("cfg-len-003", strncmp(err, "line 2 is shorter", 17) == 0);
	T_EQ_INT("cfg-len-004", config_secret_len_ok(32, "S", err, sizeof(err)),
	    0);
}

int
main(void)
{
	test_secret();
	return t_done("test_config");
}
