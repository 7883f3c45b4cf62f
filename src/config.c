/*
 * config.c - the environment, validated.
 *
 * Trusts the environment no more than a request: every value is length-
 * and shape-checked. Never prints a secret, not even in an error.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "config.h"

static int
set_path(char *dst, size_t dstsz, const char *name, const char *def,
    char *err, size_t errsz)
{
	const char *v = getenv(name);
	size_t i, n;

	if (v == NULL || *v == '\0')
		v = def;
	n = strlen(v);
	if (n == 0 || n >= dstsz || v[0] != '/' || (n > 1 && v[1] == '/')) {
		snprintf(err, errsz, "%s must be a URL path starting with one"
		    " '/' and at most %zu bytes", name, dstsz - 1);
		return -1;
	}
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v[i];
		if (util_is_control(c) || c == ' ' || c >= 0x80 || c == '?' ||
		    c == '#' ||
		    c == '%' || c == '\\') {
			snprintf(err, errsz, "%s must be a plain URL path"
			    " (no spaces, '?', '#', '%%' or '\\')", name);
			return -1;
		}
	}
	memcpy(dst, v, n + 1);
	return 0;
}

int
config_flag(int *dst, const char *name, char *err, size_t errsz)
{
	const char *v = getenv(name);

	*dst = 0;
	if (v == NULL || *v == '\0' || strcmp(v, "0") == 0)
		return 0;
	if (strcmp(v, "1") == 0) {
		*dst = 1;
		return 0;
	}
	snprintf(err, errsz, "%s must be 0 or 1", name);
	return -1;
}

/* Reads up to sz bytes of path into buf (*n of them). 0, or -1 with one
 * line in err. The caller wipes buf. */
static int
read_small(const char *path, char *buf, size_t sz, size_t *n, char *err,
    size_t errsz)
{
	ssize_t r;
	int fd;

	*n = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		snprintf(err, errsz, "cannot read %s: %s", path,
		    strerror(errno));
		return -1;
	}
	while (*n < sz && (r = read(fd, buf + *n, sz - *n)) > 0)
		*n += (size_t)r;
	close(fd);
	return 0;
}

long
config_read_secret_file(const char *path, unsigned char *out, size_t outsz,
    char *err, size_t errsz)
{
	char buf[CRED_MAX_SECRET + 2];
	ssize_t r;
	size_t n;

	if (read_small(path, buf, sizeof(buf), &n, err, errsz) != 0)
		return -1;
	/* First line only; a trailing newline from an editor is not secret. */
	for (r = 0; (size_t)r < n && buf[r] != '\n' && buf[r] != '\r'; r++)
		;
	n = (size_t)r;
	while (n > 0 && (buf[n - 1] == ' ' || buf[n - 1] == '\t'))
		n--;
	if (n > outsz || n > CRED_MAX_SECRET) {
		OPENSSL_cleanse(buf, sizeof(buf));
		snprintf(err, errsz, "secret in %s is longer than %d bytes",
		    path, CRED_MAX_SECRET);
		return -1;
	}
	memcpy(out, buf, n);
	OPENSSL_cleanse(buf, sizeof(buf));
	return (long)n;
}

static int
load_secret(struct config *c, char *err, size_t errsz)
{
	const char *v = getenv("BETTER_AUTH_SECRET");
	const char *f = getenv("BETTER_AUTH_SECRET_FILE");
	long n;

	c->secret_n = 0;
	if (v != NULL && *v != '\0' && f != NULL && *f != '\0') {
		snprintf(err, errsz, "set BETTER_AUTH_SECRET or"
		    " BETTER_AUTH_SECRET_FILE, not both");
		return -1;
	}
	if (f != NULL && *f != '\0') {
		n = config_read_secret_file(f, c->secret, sizeof(c->secret),
		    err, errsz);
		if (n < 0)
			return -1;
		if (n == 0) {
			snprintf(err, errsz, "BETTER_AUTH_SECRET_FILE %s is"
			    " empty", f);
			return -1;
		}
		c->secret_n = (size_t)n;
	} else if (v != NULL && *v != '\0') {
		if (strlen(v) > sizeof(c->secret)) {
			snprintf(err, errsz, "BETTER_AUTH_SECRET is longer than"
			    " %d bytes", CRED_MAX_SECRET);
			return -1;
		}
		c->secret_n = strlen(v);
		memcpy(c->secret, v, c->secret_n);
	}
	return 0;
}

/* An integer setting from lo to hi, dflt when unset. 0, or -1. */
static int
int_setting(int *dst, const char *name, int dflt, int lo, int hi, char *err,
    size_t errsz)
{
	const char *v = getenv(name);
	uint64_t u;

	*dst = dflt;
	if (v == NULL || *v == '\0')
		return 0;
	if (util_parse_u64(v, strlen(v), &u) != 0 || u < (uint64_t)lo ||
	    u > (uint64_t)hi) {
		snprintf(err, errsz, "%s must be a whole number from %d to %d",
		    name, lo, hi);
		return -1;
	}
	*dst = (int)u;
	return 0;
}

/*
 * The state file (usage.h; AUTHGATE_DB with ".state" appended unless
 * AUTHGATE_STATE_FILE names one) and the client throttle's budget.
 */
static int
load_limits(struct config *c, char *err, size_t errsz)
{
	const char *v = getenv("AUTHGATE_STATE_FILE");
	int n;

	if (v != NULL && *v != '\0')
		n = snprintf(c->state_file, sizeof(c->state_file), "%s", v);
	else
		n = snprintf(c->state_file, sizeof(c->state_file), "%s%s",
		    c->db, CONFIG_STATE_SUFFIX);
	if (n < 0 || (size_t)n >= sizeof(c->state_file)) {
		snprintf(err, errsz, "AUTHGATE_STATE_FILE is too long");
		return -1;
	}
	return int_setting(&c->fail_limit, "AUTHGATE_FAIL_LIMIT",
	    CONFIG_DEFAULT_FAIL_LIMIT, 0, 1000000, err, errsz) ||
	    int_setting(&c->fail_window, "AUTHGATE_FAIL_WINDOW",
	    CONFIG_DEFAULT_FAIL_WINDOW, 1, 86400, err, errsz) ||
	    int_setting(&c->fail_cooldown, "AUTHGATE_FAIL_COOLDOWN",
	    CONFIG_DEFAULT_FAIL_COOLDOWN, 1, 86400, err, errsz) ? -1 : 0;
}

int
config_load(struct config *c, char *err, size_t errsz)
{
	const char *v;
	size_t i, n;
	uint64_t mb;

	memset(c, 0, sizeof(*c));
	v = getenv("AUTHGATE_DB");
	if (v == NULL || *v == '\0')
		v = CONFIG_DEFAULT_DB;
	if (strlen(v) >= sizeof(c->db)) {
		snprintf(err, errsz, "AUTHGATE_DB is too long");
		return -1;
	}
	memcpy(c->db, v, strlen(v) + 1);

	if (load_secret(c, err, errsz) != 0)
		return -1;

	v = getenv("AUTHGATE_COOKIE_PREFIX");
	if (v == NULL || *v == '\0')
		v = CONFIG_DEFAULT_PREFIX;
	n = strlen(v);
	if (n > REQ_MAX_PREFIX) {
		snprintf(err, errsz, "AUTHGATE_COOKIE_PREFIX is longer than %d"
		    " bytes", REQ_MAX_PREFIX);
		return -1;
	}
	for (i = 0; i < n; i++) {
		char ch = v[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' ||
		    ch == '.')) {
			snprintf(err, errsz, "AUTHGATE_COOKIE_PREFIX may hold"
			    " only letters, digits, '-', '_' and '.'");
			return -1;
		}
	}
	memcpy(c->cookie_prefix, v, n + 1);

	if (set_path(c->webhook_path, sizeof(c->webhook_path),
	    "AUTHGATE_WEBHOOK_PATH", CONFIG_DEFAULT_WEBHOOK, err, errsz) ||
	    set_path(c->check_path, sizeof(c->check_path),
	    "AUTHGATE_CHECK_PATH", CONFIG_DEFAULT_CHECK, err, errsz))
		return -1;

	c->max_body = CONFIG_DEFAULT_MAX_BODY;
	v = getenv("AUTHGATE_MAX_BODY");
	if (v != NULL && *v != '\0') {
		if (util_parse_u64(v, strlen(v), &mb) != 0 || mb == 0 ||
		    mb > CONFIG_MAX_MAX_BODY) {
			snprintf(err, errsz, "AUTHGATE_MAX_BODY must be a byte"
			    " count from 1 to %d", CONFIG_MAX_MAX_BODY);
			return -1;
		}
		c->max_body = mb;
	}

	if (config_flag(&c->trust_forwarded, "AUTHGATE_TRUST_FORWARDED", err,
	    errsz) != 0 || config_flag(&c->case_sensitive,
	    "AUTHGATE_CASE_SENSITIVE", err, errsz) != 0 ||
	    load_limits(c, err, errsz) != 0)
		return -1;
	return config_load_ops(c, err, errsz);
}

/*
 * The lines of BETTER_AUTH_SECRET_FILE after the first (the current
 * secret, read by load_secret): earlier secrets, still accepted for
 * verification while sessions signed with them live on. Blank lines are
 * skipped; each line's trailing CR and blanks are not part of it.
 */
static int
load_old_secrets(struct config *c, const char *path, char *err, size_t errsz)
{
	static char buf[(CONFIG_MAX_OLD_SECRETS + 1) * (CRED_MAX_SECRET + 2) +
	    2];
	size_t n, i, start, len;
	int line = 0, rc = -1;

	if (read_small(path, buf, sizeof(buf), &n, err, errsz) != 0)
		return -1;
	if (n == sizeof(buf)) {
		snprintf(err, errsz, "BETTER_AUTH_SECRET_FILE %s holds more"
		    " than %d secrets or is too long", path,
		    CONFIG_MAX_OLD_SECRETS + 1);
		goto out;
	}
	for (i = 0, start = 0; i <= n; i++) {
		if (i < n && buf[i] != '\n')
			continue;
		len = i - start;
		while (len > 0 && (buf[start + len - 1] == '\r' ||
		    buf[start + len - 1] == ' ' || buf[start + len - 1] == '\t'))
			len--;
		if (line++ > 0 && len > 0) {
			if (c->nold == CONFIG_MAX_OLD_SECRETS) {
				snprintf(err, errsz, "BETTER_AUTH_SECRET_FILE"
				    " %s holds more than %d secrets", path,
				    CONFIG_MAX_OLD_SECRETS + 1);
				goto out;
			}
			if (len > CRED_MAX_SECRET || len < CONFIG_MIN_SECRET) {
				snprintf(err, errsz, "BETTER_AUTH_SECRET_FILE"
				    " %s: line %d must be %d to %d bytes", path,
				    line, CONFIG_MIN_SECRET, CRED_MAX_SECRET);
				goto out;
			}
			memcpy(c->secret_old[c->nold], buf + start, len);
			c->secret_old_n[c->nold++] = len;
		}
		start = i + 1;
	}
	rc = 0;
out:
	OPENSSL_cleanse(buf, sizeof(buf));
	return rc;
}

int
config_load_ops(struct config *c, char *err, size_t errsz)
{
	const char *v = getenv("AUTHGATE_METRICS_FILE");
	const char *f = getenv("BETTER_AUTH_SECRET_FILE");

	if (set_path(c->health_path, sizeof(c->health_path),
	    "AUTHGATE_HEALTH_PATH", CONFIG_DEFAULT_HEALTH, err, errsz) ||
	    set_path(c->metrics_path, sizeof(c->metrics_path),
	    "AUTHGATE_METRICS_PATH", CONFIG_DEFAULT_METRICS, err, errsz))
		return -1;
	if (strcmp(c->health_path, c->metrics_path) == 0 ||
	    strcmp(c->health_path, c->check_path) == 0 ||
	    strcmp(c->health_path, c->webhook_path) == 0 ||
	    strcmp(c->metrics_path, c->check_path) == 0 ||
	    strcmp(c->metrics_path, c->webhook_path) == 0) {
		snprintf(err, errsz, "AUTHGATE_HEALTH_PATH and"
		    " AUTHGATE_METRICS_PATH must differ from each other and"
		    " from the check and webhook paths");
		return -1;
	}
	c->metrics_file[0] = '\0';
	if (v != NULL && *v != '\0') {
		if (v[0] != '/' || strlen(v) >= sizeof(c->metrics_file)) {
			snprintf(err, errsz, "AUTHGATE_METRICS_FILE must be an"
			    " absolute path");
			return -1;
		}
		memcpy(c->metrics_file, v, strlen(v) + 1);
	}
	c->nold = 0;
	if (f != NULL && *f != '\0' && c->secret_n > 0)
		return load_old_secrets(c, f, err, errsz);
	return 0;
}

/* ------------------------------------------------------------------ */
/* The start-up checks on the session secret (kept apart from its
 * loading above, so that the two can change separately). */

int
config_secret_len_ok(size_t n, const char *name, char *err, size_t errsz)
{
	if (n == 0 || n >= CONFIG_MIN_SECRET)
		return 0;
	snprintf(err, errsz, "%s is shorter than %d bytes, as better-auth"
	    " refuses it; use your better-auth server's own secret (openssl"
	    " rand -base64 32 makes one)", name, CONFIG_MIN_SECRET);
	return -1;
}

int
config_secret_check(const struct config *c, int *unsigned_ok, char *err,
    size_t errsz)
{
	const char *v = getenv("BETTER_AUTH_SECRET");
	const char *f = getenv("BETTER_AUTH_SECRET_FILE");

	*unsigned_ok = 0;
	if (config_flag(unsigned_ok, "AUTHGATE_UNSIGNED_SESSIONS", err,
	    errsz) != 0)
		return -1;
	if (c->secret_n > 0) {
		*unsigned_ok = 0;	/* a secret given is always used */
		return config_secret_len_ok(c->secret_n, f != NULL &&
		    *f != '\0' ? "a BETTER_AUTH_SECRET_FILE secret" :
		    "BETTER_AUTH_SECRET", err, errsz);
	}
	/* Invariant: signatures go unchecked only when the admin said so;
	 * "BETTER_AUTH_SECRET=" (an unset template value, a typo) is not
	 * saying so. Unset altogether is SPEC 5's warning. */
	if (v != NULL && *v == '\0' && (f == NULL || *f == '\0') &&
	    !*unsigned_ok) {
		snprintf(err, errsz, "BETTER_AUTH_SECRET is empty, so session"
		    " cookie signatures would not be checked; set it (or"
		    " BETTER_AUTH_SECRET_FILE) to your better-auth server's"
		    " secret, or set AUTHGATE_UNSIGNED_SESSIONS=1 (serve:"
		    " --unsigned-sessions) to run without the check on"
		    " purpose");
		return -1;
	}
	return 0;
}

void
config_wipe(struct config *c)
{
	OPENSSL_cleanse(c->secret, sizeof(c->secret));
	c->secret_n = 0;
	OPENSSL_cleanse(c->secret_old, sizeof(c->secret_old));
	c->nold = 0;
}
