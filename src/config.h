/*
 * config.h - settings from the environment (SPEC section 3).
 *
 * Read once at start-up. A bad or missing required setting stops the
 * program with one line on stderr before anything is served. Secrets are
 * kept only here and in the modules that need them, and wiped at exit.
 */
#ifndef AUTHGATE_CONFIG_H
#define AUTHGATE_CONFIG_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "credential.h"
#include "request.h"

#define CONFIG_MAX_URL_PATH	256	/* webhook and check endpoint paths */
#define CONFIG_DEFAULT_DB	"db/authgate.db"
#define CONFIG_DEFAULT_PREFIX	"better-auth"
#define CONFIG_DEFAULT_WEBHOOK	"/webhooks/optare"
#define CONFIG_DEFAULT_CHECK	"/_authgate/check"
#define CONFIG_DEFAULT_MAX_BODY	(1024 * 1024)
#define CONFIG_MAX_MAX_BODY	(64 * 1024 * 1024)	/* a snapshot belongs in import */
#define CONFIG_MIN_SECRET	32	/* better-auth warns below 32 */
#define CONFIG_DEFAULT_HEALTH	"/_authgate/health"
#define CONFIG_DEFAULT_METRICS	"/_authgate/metrics"
#define CONFIG_STATE_SUFFIX	".state"	/* AUTHGATE_DB's, by default */
#define CONFIG_DEFAULT_FAIL_LIMIT	20	/* failed credentials ... */
#define CONFIG_DEFAULT_FAIL_WINDOW	60	/* ... per this many s ... */
#define CONFIG_DEFAULT_FAIL_COOLDOWN	300	/* ... then a ban this long */
#define CONFIG_MAX_OLD_SECRETS	3	/* BETTER_AUTH_SECRET_FILE lines after
					 * the first: enough for a rotation
					 * or two in progress */

struct config {
	char		db[PATH_MAX];
	unsigned char	secret[CRED_MAX_SECRET];
	size_t		secret_n;		/* 0: not configured */
	char		cookie_prefix[REQ_MAX_PREFIX + 1];
	char		webhook_path[CONFIG_MAX_URL_PATH + 1];
	char		check_path[CONFIG_MAX_URL_PATH + 1];
	uint64_t	max_body;
	int		trust_forwarded;
	int		case_sensitive;		/* AUTHGATE_CASE_SENSITIVE=1 */
	/* Secret rotation: the earlier secrets of BETTER_AUTH_SECRET_FILE
	 * (its lines after the first), accepted when verifying only. */
	unsigned char	secret_old[CONFIG_MAX_OLD_SECRETS][CRED_MAX_SECRET];
	size_t		secret_old_n[CONFIG_MAX_OLD_SECRETS];
	size_t		nold;
	char		health_path[CONFIG_MAX_URL_PATH + 1];
	char		metrics_path[CONFIG_MAX_URL_PATH + 1];
	char		metrics_file[PATH_MAX];	/* "": none */
	/* usage.h: key quotas, rate limits and the client throttle */
	char		state_file[PATH_MAX];	/* AUTHGATE_STATE_FILE */
	int		fail_limit;		/* 0: no throttle */
	int		fail_window;		/* s */
	int		fail_cooldown;		/* s */
};

/*
 * Fills c from the environment. Returns 0, or -1 with one line in err
 * naming the variable and what is wrong with it.
 */
int	config_load(struct config *c, char *err, size_t errsz) UTIL_MUST_CHECK;

/*
 * A 0/1 setting from the environment; unset or empty is 0. Returns 0, or
 * -1 with one line in err when it is anything else.
 */
int	config_flag(int *dst, const char *name, char *err, size_t errsz) UTIL_MUST_CHECK;

/*
 * The start-up checks on the session secret, for everything that decides
 * (the FastCGI and CGI loop, serve, check): a secret shorter than
 * CONFIG_MIN_SECRET is refused; "BETTER_AUTH_SECRET=" (set, empty, and
 * no file) is refused unless AUTHGATE_UNSIGNED_SESSIONS=1. Sets
 * *unsigned_ok when the decision runs without a secret on purpose (the
 * caller logs the warning). Returns 0, or -1 with one line in err.
 */
int	config_secret_check(const struct config *c, int *unsigned_ok,
	    char *err, size_t errsz) UTIL_MUST_CHECK;

/* 0 when a session secret of n bytes (0: none) is long enough, else -1
 * with one line in err that names it as name. One secret at a time, so
 * a file of several secrets checks each line. */
int	config_secret_len_ok(size_t n, const char *name, char *err,
	    size_t errsz) UTIL_MUST_CHECK;

/*
 * The operations settings (config_load calls it last): the health and
 * metrics paths, AUTHGATE_METRICS_FILE, and the earlier secrets of a
 * BETTER_AUTH_SECRET_FILE. Returns 0, or -1 with one line in err.
 */
int	config_load_ops(struct config *c, char *err, size_t errsz) UTIL_MUST_CHECK;

/* Wipes the secrets held in c. */
void	config_wipe(struct config *c);

/*
 * Reads a secret file (first line, trailing CR/LF and blanks removed)
 * into out. Returns the length, or -1 with err set.
 */
long	config_read_secret_file(const char *path, unsigned char *out,
	    size_t outsz, char *err, size_t errsz) UTIL_MUST_CHECK;

#endif
