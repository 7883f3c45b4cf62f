/*
 * cli_util.c - helpers shared by the CLI's command files: one-line
 * errors, option parsing, opening the store for an admin command,
 * aligned tables and JSON output. Values from the database are made
 * terminal-safe before printing; nothing here prints a secret.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <limits.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <openssl/crypto.h>

#include "admin.h"
#include "cli_util.h"
#include "config.h"
#include "opt.h"
#include "policy.h"
#include "store.h"
#include "store_admin.h"
#include "usage.h"

/* ------------------------------------------------------------------ */
/* Small helpers */

int
cli_fail(const char *msg)
{
	fprintf(stderr, "authgate: %s\n", msg);
	return 2;
}

/* One error line: "authgate: <cmd>: <formatted>". Returns 2. */
int
cli_failf(const char *cmd, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "authgate: %s: %s\n", cmd, line);
	return 2;
}

/* Copies s for a terminal: control bytes become '?'. */
const char *
cli_term(const char *s, char *out, size_t outsz)
{
	size_t i;

	if (s == NULL)
		s = "";
	for (i = 0; s[i] != '\0' && i + 1 < outsz; i++)
		out[i] = util_is_control((unsigned char)s[i]) ? '?' : s[i];
	out[i] = '\0';
	return out;
}

const char *
cli_db_default(const char *flag)
{
	const char *e;

	if (flag != NULL)
		return flag;
	if ((e = getenv("AUTHGATE_DB")) != NULL && *e != '\0')
		return e;
	return CONFIG_DEFAULT_DB;
}

int
cli_parse_ll(const char *s, long long lo, long long hi, long long *v)
{
	uint64_t u;
	int neg = s[0] == '-';

	if (util_parse_u64(s + neg, strlen(s + neg), &u) != 0 ||
	    u > (uint64_t)CLI_MAX_PRIORITY * 10)
		return -1;
	*v = neg ? -(long long)u : (long long)u;
	return *v < lo || *v > hi ? -1 : 0;
}

/* ------------------------------------------------------------------ */
/* Opening the store for an admin command */

/* Whether the open admin command writes (set by admin_open). */
static int admin_writing;

/* Prints the one error line for the store's last error. Returns 2. */
int
cli_store_fail(const char *cmd, const char *db, struct store *s)
{
	const char *msg = "";
	enum store_error e = s != NULL ? store_last_error(s, &msg) :
	    STORE_ERR_OPEN;

	if (e == STORE_ERR_READONLY && !admin_writing)
		return cli_failf(cmd, "cannot read %s as this account: a WAL"
		    " database needs %s-shm, which this account cannot create"
		    " in that directory; run as the account that owns the"
		    " directory (see 'authgate doctor --db %s')", db, db, db);
	switch (e) {
	case STORE_ERR_OPEN:
		return cli_failf(cmd, "cannot open %s (%s); check the path and"
		    " that this account may read it (ls -l)", db, msg);
	case STORE_ERR_READONLY:
		return cli_failf(cmd, "%s is read-only for this account (%s); run"
		    " as the account that owns the file and its directory, or"
		    " fix their permissions", db, msg);
	case STORE_ERR_BUSY:
		return cli_failf(cmd, "%s is locked by another writer; try again"
		    " in a moment", db);
	case STORE_ERR_CORRUPT:
		return cli_failf(cmd, "%s is not a database or is damaged (%s);"
		    " run 'authgate doctor --db %s'", db, msg, db);
	case STORE_ERR_SCHEMA:
		return cli_failf(cmd, "%s lacks what authgate needs (%s); run"
		    " 'authgate init --db %s'", db, msg, db);
	case STORE_ERR_CONSTRAINT:
		return cli_failf(cmd, "%s refused the change (%s)", db, msg);
	default:
		return cli_failf(cmd, "%s: %s", db, msg[0] ? msg : "store error");
	}
}

/*
 * Whether db is an existing regular file: only `init` creates a
 * database, so every other command checks this before it opens one (a
 * mistyped --db never leaves an empty file behind). Prints one line and
 * returns 2 when it is not, else 0.
 */
int
cli_dispatch(const char *cmd, const char *usage, const struct cli_sub *subs,
    int argc, char **argv)
{
	const char *sub = argc > 2 ? argv[2] : NULL;
	char names[256];
	size_t i, n, len = 0;

	if (sub != NULL && (strcmp(sub, "--help") == 0 ||
	    strcmp(sub, "-h") == 0 || strcmp(sub, "help") == 0 ||
	    opt_wants_help(argc, argv, 3))) {
		fputs(usage, stdout);
		return 0;
	}
	for (n = 0; subs[n].name != NULL; n++)
		if (sub != NULL && strcmp(sub, subs[n].name) == 0)
			return subs[n].fn(argc, argv);
	names[0] = '\0';
	for (i = 0; i < n && len < sizeof(names); i++)
		len += (size_t)snprintf(names + len, sizeof(names) - len, "%s%s",
		    i == 0 ? "" : i + 1 == n ? " or " : ", ", subs[i].name);
	if (sub == NULL)
		return cli_failf(cmd, "which one: %s? see 'authgate %s --help'",
		    names, cmd);
	return cli_failf(cmd, "unknown subcommand '%.64s'; use %s", sub,
	    names);
}

void
cli_usage_open(const char *db)
{
	const char *v = getenv("AUTHGATE_STATE_FILE");
	char path[PATH_MAX], err[256];
	int n;

	if (v != NULL && *v != '\0')
		n = snprintf(path, sizeof(path), "%s", v);
	else
		n = snprintf(path, sizeof(path), "%s%s", db,
		    CONFIG_STATE_SUFFIX);
	if (n > 0 && (size_t)n < sizeof(path) && access(path, F_OK) == 0 &&
	    usage_open(path, 0, err, sizeof(err)) == 0)
		return;
	(void)usage_open(NULL, 0, err, sizeof(err));
}

int
cli_db_exists(const char *cmd, const char *db)
{
	struct stat st;

	if (stat(db, &st) != 0) {
		if (errno == ENOENT)
			return cli_failf(cmd, "no database at %s; create it with"
			    " 'authgate init --db %s', or give --db", db, db);
		return cli_failf(cmd, "cannot reach %s (%s); check the path and"
		    " the directories' permissions", db, strerror(errno));
	}
	if (!S_ISREG(st.st_mode))
		return cli_failf(cmd, "%s is not a database file; give --db FILE",
		    db);
	return 0;
}

/*
 * Opens db and begins a read (write = 0) or write transaction. A missing
 * file is an error, never created. Prints one line and returns 2 on
 * failure, 0 with *out set on success.
 */
int
cli_admin_open(const char *cmd, const char *db, int write, struct store **out)
{
	struct store *s = NULL;
	char err[512];

	*out = NULL;
	admin_writing = write;
	if (cli_db_exists(cmd, db) != 0)
		return 2;
	if (store_open(&s, db, write ? STORE_READWRITE_EXISTING :
	    STORE_READONLY, err, sizeof(err)) != 0)
		return cli_failf(cmd, "%s", err);
	store_set_quiet(s, 1);
	if (store_admin_begin(s, write) != 0) {
		cli_store_fail(cmd, db, s);
		store_close(s);
		return 2;
	}
	*out = s;
	return 0;
}

/* Commits (or rolls back) and closes. Prints a line on a failed commit
 * and returns 2, else rc. */
int
cli_admin_close(const char *cmd, const char *db, struct store *s, int commit,
    int rc)
{
	if (s == NULL)
		return rc;
	if (store_admin_end(s, commit) != 0) {
		rc = cli_store_fail(cmd, db, s);
		if (commit)
			rc = 2;
	}
	store_close(s);
	return rc;
}

void
cli_time_text(const struct store_time *t, const char *absent, char *out,
    size_t outsz)
{
	if (!t->present)
		snprintf(out, outsz, "%s", absent);
	else if (t->bad || util_time_format(t->ms, out, outsz) != 0)
		snprintf(out, outsz, "unreadable");
}

/* Prints rows of columns aligned; cells are already terminal-safe. */
void
cli_print_table(const char *const *head, size_t ncol, char **cells, size_t nrow)
{
	size_t w[16] = { 0 }, r, c, n;

	for (c = 0; c < ncol && c < 16; c++)
		w[c] = strlen(head[c]);
	for (r = 0; r < nrow; r++)
		for (c = 0; c < ncol && c < 16; c++)
			if ((n = strlen(cells[r * ncol + c])) > w[c])
				w[c] = n;
	for (r = 0; r <= nrow; r++) {
		for (c = 0; c < ncol; c++) {
			const char *v = r == 0 ? head[c] :
			    cells[(r - 1) * ncol + c];

			if (c + 1 < ncol)
				printf("%-*s  ", (int)w[c], v);
			else
				printf("%s\n", v);
		}
	}
}

void
cli_free_cells(char **cells, size_t n)
{
	size_t i;

	if (cells == NULL)
		return;
	for (i = 0; i < n; i++)
		free(cells[i]);
	free(cells);
}

/* Prints a cJSON document on stdout and frees it. Returns 0, or 2. */
int
cli_print_json(cJSON *doc)
{
	char *txt;

	if (doc == NULL)
		return cli_fail("out of memory");
	txt = cJSON_Print(doc);
	cJSON_Delete(doc);
	if (txt == NULL)
		return cli_fail("out of memory");
	printf("%s\n", txt);
	cJSON_free(txt);
	return 0;
}

void
cli_json_str_or_null(cJSON *o, const char *name, const char *v)
{
	if (v != NULL && v[0] != '\0')
		cJSON_AddStringToObject(o, name, v);
	else
		cJSON_AddNullToObject(o, name);
}

/* 1 if s is non-empty text of at most max bytes without control bytes. */
int
cli_valid_text(const char *s, size_t max)
{
	size_t n = strlen(s);

	return n > 0 && n <= max && util_header_value_ok(s, n);
}

/* 1 if s can be an id: valid text of at most STORE_MAX_ID, no blank. */
int
cli_valid_id(const char *s)
{
	return cli_valid_text(s, STORE_MAX_ID) && strchr(s, ' ') == NULL;
}

/* A terminal-safe copy of s for a table cell (NULL when out of memory). */
char *
cli_cell(const char *s)
{
	char buf[STORE_MAX_NAME + STORE_MAX_ID + 8];

	return strdup(cli_term(s, buf, sizeof(buf)));
}

int
cli_table_add(char ***cells, size_t *n, size_t *cap, size_t ncol,
    const char *const *row)
{
	size_t i, ncap;
	char **v;

	if (*n == *cap) {
		ncap = *cap ? *cap * 2 : 16;
		if ((v = realloc(*cells, ncap * ncol * sizeof(*v))) == NULL)
			return -1;
		*cells = v;
		*cap = ncap;
	}
	for (i = 0; i < ncol; i++) {
		if (((*cells)[*n * ncol + i] = cli_cell(row[i])) == NULL) {
			while (i-- > 0)
				free((*cells)[*n * ncol + i]);
			return -1;
		}
	}
	(*n)++;
	return 0;
}

int
cli_match_flags(const char *cmd, int *flags)
{
	char err[128];
	int strict;

	if (config_flag(&strict, "AUTHGATE_CASE_SENSITIVE", err,
	    sizeof(err)) != 0)
		return cli_failf(cmd, "%s", err);
	*flags = strict ? 0 : POLICY_FOLD_CASE;
	return 0;
}

/*
 * Checks each name of a --method value (one method, or a comma list when
 * list is set) against IANA's method registry (policy_method_known, the
 * list the rules are read with). Prints one line naming the first
 * unknown one and returns 2, else 0. The list's syntax (blanks, empty
 * names) is left to policy_rule_parse.
 */
int
cli_method_ok(const char *cmd, const char *v, int list)
{
	char shown[40];
	size_t i = 0, n = strlen(v), b, e;

	while (i <= n) {
		b = i;
		while (i < n && (list ? v[i] != ',' : 1))
			i++;
		e = i++;
		while (b < e && (v[b] == ' ' || v[b] == '\t'))
			b++;
		while (e > b && (v[e - 1] == ' ' || v[e - 1] == '\t'))
			e--;
		if ((b < e || !list) && policy_method_known(v + b, e - b) ==
		    NULL) {
			if (e - b >= sizeof(shown))
				e = b + sizeof(shown) - 1;
			memcpy(shown, v + b, e - b);
			shown[e - b] = '\0';
			return cli_failf(cmd, "unknown HTTP method '%s'; --method"
			    " takes %s from IANA's method registry, such as GET,"
			    " HEAD, POST, PUT, PATCH, DELETE, OPTIONS or"
			    " PROPFIND%s", cli_term(shown, shown, sizeof(shown)),
			    list ? "a comma list of methods" : "a method",
			    list ? ", or any" : "");
		}
	}
	return 0;
}
