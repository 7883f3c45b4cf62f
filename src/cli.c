/*
 * cli.c - `authgate <command>`: init, check, key, rule, stats, doctor,
 * import, cookie, help, version. Parses arguments and prints; the
 * decisions live in authz.c and admin.c, the SQL in store.c.
 *
 * Trusts its arguments no more than a request. Every error is one line
 * on stderr that says what to do, and the exit code is 2 (usage or
 * store error); `check` exits 1 on a deny and `doctor` on a failed
 * check. Never prints a token, key hash, cookie or secret: the one
 * exception is the new key `key create` and `key rotate` print once,
 * and `cookie`, which prints a signed cookie for a token the admin
 * chose, which is the point of it. Values read from the database are
 * printed with control characters replaced, so a stored name cannot
 * drive the admin's terminal.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>
#include <openssl/crypto.h>

#include "admin.h"
#include "authz.h"
#include "cli.h"
#include "config.h"
#include "credential.h"
#include "reply.h"
#include "store.h"
#include "webhook.h"

#ifndef AUTHGATE_VERSION
#define AUTHGATE_VERSION "0.1.0"
#endif

#define SCHEMA_MARKER	"-- @authgate-tables"
#define CLI_MAX_OPTS	24	/* flags of the largest command */
#define CLI_MAX_POS	4	/* positional arguments */
#define CLI_MAX_NOTE	512	/* rule note */
#define CLI_MAX_PRIORITY 1000000000LL	/* priorities are small numbers */
#define CLI_KEY_START	6	/* better-auth's startingCharactersLength */
#define CLI_DEFAULT_PREFIX "ag_"

extern const char schema_sql[];		/* db/schema.sql, built in */

static const char usage[] =
"usage: authgate [command] [options]\n"
"\n"
"Without a command authgate serves one FastCGI connection on fd 0 (as\n"
"lighttpd, spawn-fcgi or Apache start it), or a single CGI request when\n"
"fd 0 is not a socket and GATEWAY_INTERFACE is set. It answers as an\n"
"authorizer (FCGI_ROLE=AUTHORIZER, Apache mod_authnz_fcgi) and as the\n"
"check endpoint for nginx auth_request and Caddy forward_auth\n"
"(AUTHGATE_MODE=check or the path AUTHGATE_CHECK_PATH).\n"
"\n"
"commands (each takes --db PATH; 'authgate COMMAND --help' for more):\n"
"  init [--db PATH]          create or migrate the schema and the views\n"
"                            (idempotent); on a better-auth database add\n"
"                            only authgate_* tables and views\n"
"  check --method M --path P [--cookie C] [--bearer K] [--header 'N: V']\n"
"        [--reply authorizer|check] [--json] [--db PATH]\n"
"                            decide one request offline with the live code\n"
"                            and explain it; exit 0 allow, 1 deny, 2 error.\n"
"                            --cookie takes a Cookie header, or a bare\n"
"                            session cookie value\n"
"  key create --name N (--user ID | --org ID | both) [--role R]\n"
"        [--expires 30d|2026-12-31|never] [--prefix P] [--json]\n"
"                            issue an API key; it is printed once, only\n"
"                            its hash is stored\n"
"  key list [--user ID] [--org ID] [--json]\n"
"                            keys without their secrets\n"
"  key revoke ID             disable a key at once\n"
"  key rotate ID [--expires E] [--prefix P] [--json]\n"
"                            a new key with the same owner and role; the\n"
"                            old one is disabled\n"
"  rule list [--json]        the rules in the order they are tried, with\n"
"                            invalid and unreachable ones marked\n"
"  rule add --path GLOB --access A [--method M] [--min-role R]\n"
"        [--on-deny D] [--redirect-to P] [--priority N] [--note T]\n"
"        [--force]           add a rule (validated; refused if it could\n"
"                            never match or hides another, unless --force)\n"
"  rule set ID [the flags of add]\n"
"                            change a rule the same way\n"
"  rule rm ID                remove a rule\n"
"  rule test --method M --path P [--json]\n"
"                            which rule a request meets (no credentials)\n"
"  stats [--json]            counts, journal mode, size, last event\n"
"  doctor [--user U] [--secret-file F] [--webhook-secret-file F] [--json]\n"
"                            check a deployment as web server account U\n"
"                            (default www-data); exit 1 if a check fails\n"
"  import FILE.json [--db PATH]\n"
"                            load a snapshot (arrays users, organizations,\n"
"                            members, sessions, apiKeys in the webhook\n"
"                            object shapes) in one transaction\n"
"  cookie TOKEN              print the signed session cookie better-auth\n"
"                            would set for TOKEN (uses BETTER_AUTH_SECRET)\n"
"  serve --listen ADDR [--workers N] [--user U] [--group G]\n"
"        [--db PATH] [--secret-file F] [--webhook-secret-file F]\n"
"        [--cookie-prefix P] [--check-path P] [--webhook-path P]\n"
"        [--max-body N] [--trust-forwarded 0|1]\n"
"                            listen on 127.0.0.1:PORT, [::1]:PORT or a unix\n"
"                            socket (mode 0660, owner U, group G) with N\n"
"                            worker processes (default 2); restarts dead\n"
"                            workers; SIGTERM finishes requests in flight.\n"
"                            As root, --user is required (root is dropped)\n"
"  help, --help              this text\n"
"  version, --version        the version\n"
"\n"
"environment:\n"
"  AUTHGATE_DB               database file (default db/authgate.db)\n"
"  BETTER_AUTH_SECRET        secret that signs session cookies; without it\n"
"                            cookie signatures are not checked (warning)\n"
"  BETTER_AUTH_SECRET_FILE   read that secret from a file instead\n"
"  AUTHGATE_COOKIE_PREFIX    cookie prefix (default better-auth): cookies\n"
"                            <prefix>.session_token and\n"
"                            __Secure-<prefix>.session_token\n"
"  AUTHGATE_CHECK_PATH       check endpoint path (default /_authgate/check)\n"
"  AUTHGATE_WEBHOOK_PATH     webhook path (default /webhooks/optare)\n"
"  AUTHGATE_MAX_BODY         webhook body limit in bytes (default 1048576)\n"
"  AUTHGATE_TRUST_FORWARDED  1: the check endpoint may take the original\n"
"                            request from X-Forwarded-Uri/-Method (only\n"
"                            behind a proxy that overwrites them)\n"
"  AUTHGATE_WEBHOOK_SECRET, AUTHGATE_WEBHOOK_SECRET_FILE\n"
"                            webhook signing secrets (see README)\n"
"\n"
"check endpoint parameters (set by the server config, never by clients):\n"
"  AUTHGATE_MODE=check, AUTHGATE_ORIGINAL_URI, AUTHGATE_ORIGINAL_METHOD,\n"
"  AUTHGATE_REDIRECT_VIA_401=1 (nginx: a redirect comes as 401 + Location)\n"
"\n"
"exit codes: 0 success (check: allow), 1 check: deny, rule test: refused,\n"
"doctor: a check failed; 2 usage or store error.\n";

static const char usage_key[] =
"usage: authgate key create --name N (--user ID | --org ID) [--role R]\n"
"                           [--expires E] [--prefix P] [--json] [--force]\n"
"       authgate key list [--user ID] [--org ID] [--json]\n"
"       authgate key revoke ID\n"
"       authgate key rotate ID [--expires E] [--prefix P] [--json] [--force]\n"
"every form takes --db PATH (default $AUTHGATE_DB, else db/authgate.db)\n"
"\n"
"create   a key from 32 random bytes: PREFIX + base64url, printed once;\n"
"         only its SHA-256 is stored (better-auth's apikey layout).\n"
"         --user ID: the user's key; --org ID: the organization's key;\n"
"         both: the user's key acting in that organization (the user\n"
"         must be a member). --role guest|member|admin|owner sets the\n"
"         role in metadata (it needs --org; above the user's own role\n"
"         there needs --force).\n"
"         --expires 90m|12h|30d|8w, 2026-12-31 (00:00 UTC),\n"
"         2026-12-31T18:00:00Z, or never (default). --prefix default ag_\n"
"list     id, name, start, owner, organization, role, enabled, expiry,\n"
"         creation; never the key or its hash\n"
"revoke   sets enabled = 0: the next request with the key is refused\n"
"rotate   a new key with the old one's owner, name, role and expiry\n"
"         (or --expires); the old key is disabled in the same commit\n";

static const char usage_rule[] =
"usage: authgate rule list [--json]\n"
"       authgate rule add --path GLOB --access A [--method M] [--min-role R]\n"
"                         [--on-deny D] [--redirect-to P] [--priority N]\n"
"                         [--note T] [--force]\n"
"       authgate rule set ID [any flag of add]\n"
"       authgate rule rm ID\n"
"       authgate rule test --method M --path P [--json]\n"
"every form takes --db PATH (default $AUTHGATE_DB, else db/authgate.db)\n"
"\n"
"--path      glob on the decoded path: '*' within one segment, a final\n"
"            '/**' the rest (and the prefix itself)\n"
"--access    public | authenticated | session | api_key | deny\n"
"--method    GET,HEAD ... or any (default)\n"
"--min-role  guest | member | admin | owner | none (default)\n"
"--on-deny   auto (default: browsers are redirected) | json | redirect\n"
"--redirect-to  local path for redirects (default /sign-in)\n"
"--priority  lower is tried first (default 100); ties by id\n"
"add and set refuse a rule that could never match (an earlier rule takes\n"
"all its requests) or that would hide a later rule, unless --force.\n"
"Rule edits apply on the next request.\n";

static const char usage_stats[] =
"usage: authgate stats [--json] [--db PATH]\n"
"users, organizations, members, live sessions, enabled keys, rules,\n"
"webhook events in the last 24 h and the last one, journal mode, file\n"
"size, schema version.\n";

static const char usage_doctor[] =
"usage: authgate doctor [--user U] [--secret-file F]\n"
"                       [--webhook-secret-file F] [--json] [--db PATH]\n"
"Checks a deployment as the web server account U (default www-data):\n"
"the database is readable by U through every directory, U can create\n"
"the WAL files, no file is world-readable, the secrets (from the\n"
"environment, or the files given) are set and long enough, the schema\n"
"and the rules are sound, and the clock is sane. Prints one line per\n"
"finding, 'ok|warn|fail: what — fix: how'. Exit 0 without failures, 1\n"
"with any, 2 on a usage error.\n";

static const char usage_check[] =
"usage: authgate check --method M --path P [--cookie C] [--bearer K]\n"
"                      [--header 'N: V']... [--reply authorizer|check]\n"
"                      [--json] [--db PATH]\n"
"Runs the live decision offline and prints the outcome, the reason code,\n"
"the rule that matched, the identity and the reply the server would\n"
"send (--reply check: as the nginx/Caddy check endpoint answers).\n"
"--header passes Accept, X-Requested-With, Sec-Fetch-Mode, Cookie,\n"
"Authorization or x-api-key. Reads BETTER_AUTH_SECRET like the server.\n"
"Exit 0 allow, 1 deny, 2 usage or store error.\n";

/* ------------------------------------------------------------------ */
/* Small helpers */

static int
fail(const char *msg)
{
	fprintf(stderr, "authgate: %s\n", msg);
	return 2;
}

/* One error line: "authgate: <cmd>: <formatted>". Returns 2. */
static int __attribute__((format(printf, 2, 3)))
failf(const char *cmd, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "authgate: %s: %s\n", cmd, line);
	return 2;
}

/* Returns the value after a flag, or NULL (and complains) if missing. */
static const char *
flag_value(int argc, char **argv, int *i)
{
	if (*i + 1 >= argc) {
		fprintf(stderr, "authgate: %s needs a value; see 'authgate"
		    " --help'\n", argv[*i]);
		return NULL;
	}
	return argv[++*i];
}

/* Copies s for a terminal: control bytes become '?'. */
static const char *
term(const char *s, char *out, size_t outsz)
{
	size_t i;

	if (s == NULL)
		s = "";
	for (i = 0; s[i] != '\0' && i + 1 < outsz; i++)
		out[i] = ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) ? '?' :
		    s[i];
	out[i] = '\0';
	return out;
}

static const char *
db_default(const char *flag)
{
	const char *e;

	if (flag != NULL)
		return flag;
	if ((e = getenv("AUTHGATE_DB")) != NULL && *e != '\0')
		return e;
	return CONFIG_DEFAULT_DB;
}

static int
parse_ll(const char *s, long long lo, long long hi, long long *v)
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
/* Options: --name value, --name=value, and boolean flags. */

enum opt_kind {
	OPT_VALUE = 0,
	OPT_FLAG
};

struct opt {
	const char	*name;		/* "--db" */
	enum opt_kind	 kind;
	const char	*value;		/* OPT_VALUE: NULL when absent */
	int		 set;		/* given at all */
};

/*
 * Parses argv[first..] against opts; positional arguments go to pos
 * (at most maxpos). Prints one error line and returns -1 on an unknown
 * option, a missing value, a repeated option or too many arguments.
 */
static int
parse_opts(const char *cmd, const char *help, int argc, char **argv,
    int first, struct opt *opts, const char **pos, int maxpos, int *npos)
{
	int i, k;

	*npos = 0;
	for (i = first; i < argc; i++) {
		const char *a = argv[i], *eq;
		size_t nl;

		if (a[0] != '-' || a[1] == '\0') {
			if (*npos >= maxpos) {
				failf(cmd, "unexpected argument '%s'; see"
				    " 'authgate %s --help'", a, help);
				return -1;
			}
			pos[(*npos)++] = a;
			continue;
		}
		eq = strchr(a, '=');
		nl = eq != NULL ? (size_t)(eq - a) : strlen(a);
		for (k = 0; opts[k].name != NULL; k++)
			if (strlen(opts[k].name) == nl &&
			    strncmp(opts[k].name, a, nl) == 0)
				break;
		if (opts[k].name == NULL) {
			failf(cmd, "unknown option %.*s; see 'authgate %s"
			    " --help'", (int)(nl > 64 ? 64 : nl), a, help);
			return -1;
		}
		if (opts[k].set) {
			failf(cmd, "%s given twice", opts[k].name);
			return -1;
		}
		opts[k].set = 1;
		if (opts[k].kind == OPT_FLAG) {
			if (eq != NULL) {
				failf(cmd, "%s takes no value", opts[k].name);
				return -1;
			}
			continue;
		}
		if (eq != NULL) {
			opts[k].value = eq + 1;
		} else if (i + 1 < argc) {
			opts[k].value = argv[++i];
		} else {
			failf(cmd, "%s needs a value; see 'authgate %s"
			    " --help'", opts[k].name, help);
			return -1;
		}
	}
	return 0;
}

static struct opt *
opt_get(struct opt *opts, const char *name)
{
	int k;

	for (k = 0; opts[k].name != NULL; k++)
		if (strcmp(opts[k].name, name) == 0)
			return &opts[k];
	return NULL;
}

static const char *
opt_val(struct opt *opts, const char *name)
{
	struct opt *o = opt_get(opts, name);

	return o != NULL ? o->value : NULL;
}

static int
opt_set(struct opt *opts, const char *name)
{
	struct opt *o = opt_get(opts, name);

	return o != NULL && o->set;
}

static int
wants_help(int argc, char **argv, int first)
{
	int i;

	for (i = first; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0)
			return 1;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Opening the store for an admin command */

/* Whether the open admin command writes (set by admin_open). */
static int admin_writing;

/* Prints the one error line for the store's last error. Returns 2. */
static int
store_fail(const char *cmd, const char *db, struct store *s)
{
	const char *msg = "";
	enum store_error e = s != NULL ? store_last_error(s, &msg) :
	    STORE_ERR_OPEN;

	if (e == STORE_ERR_READONLY && !admin_writing)
		return failf(cmd, "cannot read %s as this account: a WAL"
		    " database needs %s-shm, which this account cannot create"
		    " in that directory; run as the account that owns the"
		    " directory (see 'authgate doctor --db %s')", db, db, db);
	switch (e) {
	case STORE_ERR_OPEN:
		return failf(cmd, "cannot open %s (%s); check the path and"
		    " that this account may read it (ls -l)", db, msg);
	case STORE_ERR_READONLY:
		return failf(cmd, "%s is read-only for this account (%s); run"
		    " as the account that owns the file and its directory, or"
		    " fix their permissions", db, msg);
	case STORE_ERR_BUSY:
		return failf(cmd, "%s is locked by another writer; try again"
		    " in a moment", db);
	case STORE_ERR_CORRUPT:
		return failf(cmd, "%s is not a database or is damaged (%s);"
		    " run 'authgate doctor --db %s'", db, msg, db);
	case STORE_ERR_SCHEMA:
		return failf(cmd, "%s lacks what authgate needs (%s); run"
		    " 'authgate init --db %s'", db, msg, db);
	case STORE_ERR_CONSTRAINT:
		return failf(cmd, "%s refused the change (%s)", db, msg);
	default:
		return failf(cmd, "%s: %s", db, msg[0] ? msg : "store error");
	}
}

/*
 * Opens db and begins a read (write = 0) or write transaction. A missing
 * file is an error, never created. Prints one line and returns 2 on
 * failure, 0 with *out set on success.
 */
static int
admin_open(const char *cmd, const char *db, int write, struct store **out)
{
	struct store *s = NULL;
	struct stat st;
	char err[512];

	*out = NULL;
	admin_writing = write;
	if (stat(db, &st) != 0) {
		if (errno == ENOENT)
			return failf(cmd, "no database at %s; create it with"
			    " 'authgate init --db %s', or give --db", db, db);
		return failf(cmd, "cannot reach %s (%s); check the path and"
		    " the directories' permissions", db, strerror(errno));
	}
	if (!S_ISREG(st.st_mode))
		return failf(cmd, "%s is not a database file; give --db FILE",
		    db);
	if (store_open(&s, db, write ? STORE_READWRITE_EXISTING :
	    STORE_READONLY, err, sizeof(err)) != 0)
		return failf(cmd, "%s", err);
	store_set_quiet(s, 1);
	if (store_admin_begin(s, write) != 0) {
		store_fail(cmd, db, s);
		store_close(s);
		return 2;
	}
	*out = s;
	return 0;
}

/* Commits (or rolls back) and closes. Prints a line on a failed commit
 * and returns 2, else rc. */
static int
admin_close(const char *cmd, const char *db, struct store *s, int commit,
    int rc)
{
	if (s == NULL)
		return rc;
	if (store_admin_end(s, commit) != 0) {
		rc = store_fail(cmd, db, s);
		if (commit)
			rc = 2;
	}
	store_close(s);
	return rc;
}

static void
time_text(const struct store_time *t, const char *absent, char *out,
    size_t outsz)
{
	if (!t->present)
		snprintf(out, outsz, "%s", absent);
	else if (t->bad || util_time_format(t->ms, out, outsz) != 0)
		snprintf(out, outsz, "unreadable");
}

/* Prints rows of columns aligned; cells are already terminal-safe. */
static void
print_table(const char *const *head, size_t ncol, char **cells, size_t nrow)
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

static void
free_cells(char **cells, size_t n)
{
	size_t i;

	if (cells == NULL)
		return;
	for (i = 0; i < n; i++)
		free(cells[i]);
	free(cells);
}

/* Prints a cJSON document on stdout and frees it. Returns 0, or 2. */
static int
print_json(cJSON *doc)
{
	char *txt;

	if (doc == NULL)
		return fail("out of memory");
	txt = cJSON_Print(doc);
	cJSON_Delete(doc);
	if (txt == NULL)
		return fail("out of memory");
	printf("%s\n", txt);
	cJSON_free(txt);
	return 0;
}

static void
json_str_or_null(cJSON *o, const char *name, const char *v)
{
	if (v != NULL && v[0] != '\0')
		cJSON_AddStringToObject(o, name, v);
	else
		cJSON_AddNullToObject(o, name);
}

/* ------------------------------------------------------------------ */
/* init */

static int
cmd_init(int argc, char **argv)
{
	const char *db = NULL, *ag, *skipped;
	char err[512], *ba = NULL;
	struct store *s = NULL;
	int i, rc = 2, v;

	for (i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--db") == 0) {
			if ((db = flag_value(argc, argv, &i)) == NULL)
				return 2;
		} else {
			fprintf(stderr, "authgate: init: unknown option %s;"
			    " see 'authgate --help'\n", argv[i]);
			return 2;
		}
	}
	db = db_default(db);
	if ((ag = strstr(schema_sql, SCHEMA_MARKER)) == NULL)
		return fail("init: built-in schema lacks its marker (build bug)");
	if ((ba = strndup(schema_sql, (size_t)(ag - schema_sql))) == NULL)
		return fail("out of memory");
	/* A new database is never readable by every account: it holds
	 * session tokens. SQLite gives the -wal and -shm files its mode. */
	umask(umask(0) | S_IRWXO);
	if (store_open(&s, db, STORE_READWRITE, err, sizeof(err)) != 0) {
		fprintf(stderr, "authgate: init: %s (does the directory"
		    " exist, and may you write to it?)\n", err);
		goto out;
	}
	store_set_quiet(s, 1);	/* one line: ours, below */
	if (store_init(s, ba, ag, err, sizeof(err)) != 0) {
		fprintf(stderr, "authgate: init: %s: %s\n", db, err);
		goto out;
	}
	v = store_schema_version(s);
	printf("authgate: %s ready (schema version %d)\n", db, v);
	skipped = store_init_skipped(s);
	if (skipped[0] != '\0')
		printf("authgate: views left out (this database lacks tables"
		    " or columns they read): %s\n", skipped);
	rc = 0;
out:
	free(ba);
	store_close(s);
	return rc;
}

/* ------------------------------------------------------------------ */
/* cookie */

/* encodeURIComponent: keep A-Z a-z 0-9 - _ . ! ~ * ' ( ) */
static int
uri_component(const char *s, char *out, size_t outsz)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;

	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		int keep = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || strchr("-_.!~*'()", c) != NULL;

		if (o + 4 >= outsz)
			return -1;
		if (keep) {
			out[o++] = (char)c;
		} else {
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	out[o] = '\0';
	return 0;
}

static int
cmd_cookie(int argc, char **argv)
{
	char signed_tok[REQ_MAX_CREDENTIAL + 1], enc[3 * sizeof(signed_tok)];
	struct config cfg;
	char err[512];
	int rc = 2;

	if (argc != 3)
		return fail("usage: authgate cookie TOKEN");
	if (config_load(&cfg, err, sizeof(err)) != 0)
		return fail(err);
	if (cfg.secret_n == 0)
		return fail("cookie: set BETTER_AUTH_SECRET (or"
		    " BETTER_AUTH_SECRET_FILE) first");
	if (strlen(argv[2]) == 0 || strlen(argv[2]) > 255)
		goto out;
	if (cred_session_sign(argv[2], strlen(argv[2]), cfg.secret,
	    cfg.secret_n, signed_tok, sizeof(signed_tok)) == 0 ||
	    uri_component(signed_tok, enc, sizeof(enc)) != 0)
		goto out;
	printf("%s.session_token=%s\n", cfg.cookie_prefix, enc);
	rc = 0;
out:
	if (rc != 0)
		fprintf(stderr, "authgate: cookie: TOKEN must be 1 to 255"
		    " bytes\n");
	config_wipe(&cfg);
	OPENSSL_cleanse(signed_tok, sizeof(signed_tok));
	return rc;
}

/* ------------------------------------------------------------------ */
/* import */

#define IMPORT_MAX_FILE	(1024L * 1024 * 1024)	/* 1 GiB of JSON is a lot of users */

static int
cmd_import(int argc, char **argv)
{
	const char *db = NULL, *file = NULL;
	struct store *s = NULL;
	char err[512], *json = NULL;
	FILE *f = NULL;
	long n;
	int i, rc = 2;

	for (i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--db") == 0) {
			if ((db = flag_value(argc, argv, &i)) == NULL)
				return 2;
		} else if (argv[i][0] == '-' && argv[i][1] != '\0') {
			fprintf(stderr, "authgate: import: unknown option %s;"
			    " see 'authgate --help'\n", argv[i]);
			return 2;
		} else if (file == NULL) {
			file = argv[i];
		} else {
			return fail("import: one FILE.json only");
		}
	}
	if (file == NULL)
		return fail("usage: authgate import FILE.json [--db PATH]");
	db = db_default(db);
	if ((f = fopen(file, "rb")) == NULL) {
		fprintf(stderr, "authgate: import: cannot read %s\n", file);
		return 2;
	}
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    n > IMPORT_MAX_FILE || fseek(f, 0, SEEK_SET) != 0) {
		fprintf(stderr, "authgate: import: %s is unreadable or larger"
		    " than 1 GiB\n", file);
		goto out;
	}
	if ((json = malloc((size_t)n + 1)) == NULL ||
	    fread(json, 1, (size_t)n, f) != (size_t)n) {
		fprintf(stderr, "authgate: import: cannot read %s\n", file);
		goto out;
	}
	if (store_open(&s, db, STORE_READWRITE, err, sizeof(err)) != 0) {
		fprintf(stderr, "authgate: import: %s\n", err);
		goto out;
	}
	if (store_schema_version(s) <= 0) {
		fprintf(stderr, "authgate: import: %s has no authgate schema;"
		    " run 'authgate init --db %s' first\n", db, db);
		goto out;
	}
	rc = webhook_import(s, json, (size_t)n) == 0 ? 0 : 2;
out:
	if (f != NULL)
		fclose(f);
	free(json);
	store_close(s);
	return rc;
}

/* ------------------------------------------------------------------ */
/* check */

/* Splits "Name: value" into the matching input field. */
static int
set_header(struct authz_input *in, const char *h)
{
	const char *colon = strchr(h, ':');
	struct { const char *name; struct slice *dst; } map[] = {
		{ "cookie", &in->cookie },
		{ "authorization", &in->authorization },
		{ "x-api-key", &in->api_key },
		{ "accept", &in->accept },
		{ "x-requested-with", &in->requested_with },
		{ "sec-fetch-mode", &in->fetch_mode },
	};
	size_t i, nl;
	const char *v;

	if (colon == NULL)
		return -1;
	nl = (size_t)(colon - h);
	v = colon + 1;
	while (*v == ' ' || *v == '\t')
		v++;
	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		if (util_ieq(h, nl, map[i].name, strlen(map[i].name))) {
			map[i].dst->p = v;
			map[i].dst->n = strlen(v);
			return 0;
		}
	}
	return 1;	/* a header the decision does not read */
}

static void
print_identity(const struct authz_identity *id)
{
	printf("identity: user=%s email=%s org=%s slug=%s role=%s roles=%s"
	    " method=%s session=%s api_key=%s expires=%s\n",
	    id->user_id[0] ? id->user_id : "-",
	    id->email[0] ? id->email : "-",
	    id->org_id[0] ? id->org_id : "-",
	    id->org_slug[0] ? id->org_slug : "-",
	    id->role[0] ? id->role : "-", id->roles[0] ? id->roles : "-",
	    id->method[0] ? id->method : "-",
	    id->session_id[0] ? id->session_id : "-",
	    id->api_key_id[0] ? id->api_key_id : "-",
	    id->expires_at[0] ? id->expires_at : "-");
}

static cJSON *
identity_json(const struct authz_identity *id)
{
	cJSON *o = cJSON_CreateObject();

	if (o == NULL)
		return NULL;
	json_str_or_null(o, "user_id", id->user_id);
	json_str_or_null(o, "email", id->email);
	json_str_or_null(o, "name", id->name);
	json_str_or_null(o, "org_id", id->org_id);
	json_str_or_null(o, "org_slug", id->org_slug);
	json_str_or_null(o, "role", id->role);
	json_str_or_null(o, "roles", id->roles);
	json_str_or_null(o, "method", id->method);
	json_str_or_null(o, "session_id", id->session_id);
	json_str_or_null(o, "api_key_id", id->api_key_id);
	json_str_or_null(o, "expires_at", id->expires_at);
	json_str_or_null(o, "remote_user", id->remote_user);
	return o;
}

/* The reply as JSON: {"headers": {name: value}, "body": text}. */
static void
reply_json_into(cJSON *doc, const char *reply, size_t n)
{
	cJSON *h = cJSON_AddObjectToObject(doc, "headers");
	const char *p = reply, *end = reply + n;
	char name[128], value[1024];

	while (h != NULL && p < end) {
		const char *eol = memchr(p, '\r', (size_t)(end - p));
		const char *colon;
		size_t ln;

		if (eol == NULL)
			break;
		ln = (size_t)(eol - p);
		if (ln == 0) {
			p = eol + 2;
			break;		/* end of headers */
		}
		colon = memchr(p, ':', ln);
		if (colon != NULL && (size_t)(colon - p) < sizeof(name)) {
			const char *v = colon + 1;

			memcpy(name, p, (size_t)(colon - p));
			name[colon - p] = '\0';
			while (v < eol && *v == ' ')
				v++;
			snprintf(value, sizeof(value), "%.*s",
			    (int)(eol - v), v);
			cJSON_AddStringToObject(h, name, value);
		}
		p = eol + 2;
	}
	if (p < end) {
		char *body = strndup(p, (size_t)(end - p));

		if (body != NULL)
			cJSON_AddStringToObject(doc, "body", body);
		free(body);
	}
}

static int
cmd_check(int argc, char **argv)
{
	static struct authz az;
	static struct authz_decision d;
	static char reply[REPLY_MAX];
	char cookie[REQ_MAX_COOKIE_HEADER + 1], authz_hdr[REQ_MAX_AUTHZ + 1];
	struct authz_input in;
	struct config cfg;
	struct store *s = NULL;
	const char *db = NULL, *v, *style = NULL, *msg;
	char err[512];
	int i, rc = 2, json = 0, set_up = 0;
	size_t n;
	enum reply_style rs = REPLY_AUTHORIZER;

	memset(&in, 0, sizeof(in));
	memset(&cfg, 0, sizeof(cfg));
	if (wants_help(argc, argv, 2)) {
		fputs(usage_check, stdout);
		return 0;
	}
	for (i = 2; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--json") == 0) {
			json = 1;
			continue;
		}
		if (strcmp(a, "--method") == 0 || strcmp(a, "--path") == 0 ||
		    strcmp(a, "--cookie") == 0 || strcmp(a, "--bearer") == 0 ||
		    strcmp(a, "--header") == 0 || strcmp(a, "--db") == 0 ||
		    strcmp(a, "--reply") == 0) {
			if ((v = flag_value(argc, argv, &i)) == NULL)
				return 2;
		} else {
			fprintf(stderr, "authgate: check: unknown option %s;"
			    " see 'authgate check --help'\n", a);
			return 2;
		}
		if (strcmp(a, "--method") == 0) {
			in.method.p = v;
			in.method.n = strlen(v);
		} else if (strcmp(a, "--path") == 0) {
			in.uri.p = v;
			in.uri.n = strlen(v);
		} else if (strcmp(a, "--cookie") == 0) {
			in.cookie.p = v;
			in.cookie.n = strlen(v);
		} else if (strcmp(a, "--bearer") == 0) {
			if (snprintf(authz_hdr, sizeof(authz_hdr), "Bearer %s",
			    v) >= (int)sizeof(authz_hdr))
				return fail("check: --bearer value too long");
			in.authorization.p = authz_hdr;
			in.authorization.n = strlen(authz_hdr);
		} else if (strcmp(a, "--header") == 0) {
			int hr = set_header(&in, v);
			if (hr < 0)
				return fail("check: --header takes 'Name:"
				    " value'");
		} else if (strcmp(a, "--reply") == 0) {
			style = v;
		} else {
			db = v;
		}
	}
	if (in.method.p == NULL || in.uri.p == NULL)
		return fail("check: --method and --path are required");
	if (style != NULL) {
		if (strcmp(style, "check") == 0)
			rs = REPLY_CHECK;
		else if (strcmp(style, "authorizer") != 0)
			return fail("check: --reply takes authorizer (lighttpd,"
			    " Apache) or check (nginx, Caddy)");
	}
	if (config_load(&cfg, err, sizeof(err)) != 0)
		return fail(err);
	if (db != NULL)
		snprintf(cfg.db, sizeof(cfg.db), "%s", db);
	/* A bare cookie value means the session cookie itself. */
	if (in.cookie.p != NULL && strchr(in.cookie.p, '=') == NULL) {
		if (snprintf(cookie, sizeof(cookie), "%s.session_token=%s",
		    cfg.cookie_prefix, in.cookie.p) >= (int)sizeof(cookie)) {
			rc = fail("check: --cookie value too long");
			goto out;
		}
		in.cookie.p = cookie;
		in.cookie.n = strlen(cookie);
	}
	if (store_open(&s, cfg.db, STORE_READONLY, err, sizeof(err)) != 0 ||
	    authz_init(&az, s, cfg.secret, cfg.secret_n,
	    cfg.cookie_prefix) != 0) {
		rc = fail("check: cannot set up the decision");
		goto out;
	}
	set_up = 1;
	store_set_quiet(s, 1);
	authz_decide(&az, &in, &d);
	n = reply_decision(&d, rs, reply, sizeof(reply));
	if (json) {
		cJSON *doc = cJSON_CreateObject(), *r;

		if (doc == NULL) {
			rc = fail("out of memory");
			goto out;
		}
		cJSON_AddStringToObject(doc, "outcome", d.status == 200 ?
		    "allow" : "deny");
		cJSON_AddNumberToObject(doc, "status", d.status);
		cJSON_AddStringToObject(doc, "reason", d.reason);
		json_str_or_null(doc, "message", d.message);
		json_str_or_null(doc, "method", d.method);
		json_str_or_null(doc, "path", d.path);
		cJSON_AddBoolToObject(doc, "signatures_checked",
		    cfg.secret_n > 0);
		cJSON_AddStringToObject(doc, "access",
		    policy_access_name(d.access));
		if (d.rule_id >= 0 && (r = cJSON_AddObjectToObject(doc,
		    "rule")) != NULL) {
			cJSON_AddNumberToObject(r, "id", (double)d.rule_id);
			cJSON_AddNumberToObject(r, "priority",
			    (double)d.rule_priority);
			cJSON_AddStringToObject(r, "path", d.rule_path);
			cJSON_AddStringToObject(r, "access",
			    policy_access_name(d.access));
		} else {
			cJSON_AddNullToObject(doc, "rule");
		}
		cJSON_AddItemToObject(doc, "identity", identity_json(&d.id));
		reply_json_into(doc, reply, n);
		if (print_json(doc) != 0) {
			rc = 2;
			goto out;
		}
	} else {
		printf("outcome: %s\n", d.status == 200 ? "allow" : "deny");
		printf("status: %d\n", d.status);
		printf("reason: %s\n", d.reason);
		if (d.path[0] != '\0')
			printf("path: %s\n", d.path);
		if (d.rule_id >= 0)
			printf("rule: id=%lld priority=%lld path=%s"
			    " access=%s\n", d.rule_id, d.rule_priority,
			    d.rule_path, policy_access_name(d.access));
		else
			printf("rule: default (authenticated)\n");
		print_identity(&d.id);
		printf("signatures: %s\n", cfg.secret_n > 0 ? "checked" :
		    "not checked (BETTER_AUTH_SECRET is not set)");
		printf("reply:\n");
		fwrite(reply, 1, n, stdout);
		if (n > 0 && reply[n - 1] != '\n')
			putchar('\n');
	}
	if (d.status == 503) {
		/* rules_invalid: the decision itself has said which rule, on
		 * one line, as the server logs it; nothing to add. */
		if (strcmp(d.reason, "rules_invalid") != 0) {
			store_last_error(s, &msg);
			fprintf(stderr, "authgate: check: store %s unavailable"
			    " (%s); run 'authgate doctor --db %s'\n", cfg.db,
			    msg[0] ? msg : "see above", cfg.db);
		}
		rc = 2;
	} else {
		rc = d.status == 200 ? 0 : 1;
	}
out:
	if (set_up)
		authz_fini(&az);
	store_close(s);
	config_wipe(&cfg);
	return rc;
}

/* ------------------------------------------------------------------ */
/* key */

static const char *
owner_kind_name(enum store_owner k)
{
	return k == STORE_OWNER_USER ? "user" : k == STORE_OWNER_ORG ?
	    "organization" : "unknown";
}

/* Formats now as ISO-8601; returns 0 or -1. */
static int
now_text(char *out, size_t sz)
{
	return util_time_format(util_now_ms(), out, sz);
}

/* Prints a new key once (human or JSON) and wipes nothing: the caller
 * owns key and wipes it. */
static int
print_new_key(int json, const char *key, const char *id, const char *name,
    const char *owner, enum store_owner kind, const char *org,
    const char *role, const char *expires, const char *replaces)
{
	char b1[STORE_MAX_NAME + 1], b2[STORE_MAX_ROLES + 1];

	if (json) {
		cJSON *doc = cJSON_CreateObject();

		if (doc == NULL)
			return fail("out of memory");
		cJSON_AddStringToObject(doc, "key", key);
		cJSON_AddStringToObject(doc, "id", id);
		cJSON_AddStringToObject(doc, "name", name);
		cJSON_AddStringToObject(doc, "owner", owner);
		cJSON_AddStringToObject(doc, "owner_kind",
		    owner_kind_name(kind));
		json_str_or_null(doc, "org_id", org);
		json_str_or_null(doc, "role", role);
		json_str_or_null(doc, "expires_at", expires);
		if (replaces != NULL)
			cJSON_AddStringToObject(doc, "replaces", replaces);
		return print_json(doc);
	}
	printf("key: %s\n", key);
	printf("id: %s\n", id);
	printf("name: %s\n", term(name, b1, sizeof(b1)));
	printf("owner: %s %s\n", owner_kind_name(kind),
	    term(owner, b1, sizeof(b1)));
	printf("organization: %s\n", org != NULL && org[0] ?
	    term(org, b1, sizeof(b1)) : "-");
	printf("role: %s\n", role != NULL && role[0] ?
	    term(role, b2, sizeof(b2)) : "-");
	printf("expires: %s\n", expires != NULL && expires[0] ? expires :
	    "never");
	if (replaces != NULL)
		printf("replaces: %s (now disabled)\n", replaces);
	fflush(stdout);
	fprintf(stderr, "authgate: this is the only time the key is shown;"
	    " only its hash is stored\n");
	return 0;
}

/* A fresh id, key, its hash and start. Returns 0, or 2 (printed). */
static int
mint_key(const char *cmd, const char *prefix, char *id, char *key,
    char *hash, char *start)
{
	char hex[CRED_HASH_HEX_LEN + 1];
	size_t n;

	if (cred_random_id(id, CRED_ID_LEN + 1) != 0 ||
	    (n = cred_apikey_generate(prefix, key, CRED_KEY_MAX + 1)) == 0 ||
	    cred_apikey_hash(key, n, hash, hex) != 0)
		return failf(cmd, "the random generator failed; try again");
	OPENSSL_cleanse(hex, sizeof(hex));
	memcpy(start, key, CLI_KEY_START);
	start[CLI_KEY_START] = '\0';
	return 0;
}

static int
valid_text(const char *s, size_t max)
{
	size_t n = strlen(s);

	return n > 0 && n <= max && util_header_value_ok(s, n);
}

static int
valid_id(const char *s)
{
	return valid_text(s, STORE_MAX_ID) && strchr(s, ' ') == NULL;
}

static int
key_create(int argc, char **argv)
{
	static const char *cmd = "key create";
	struct opt o[] = {
		{ "--name", OPT_VALUE, NULL, 0 }, { "--user", OPT_VALUE, NULL, 0 },
		{ "--org", OPT_VALUE, NULL, 0 }, { "--role", OPT_VALUE, NULL, 0 },
		{ "--expires", OPT_VALUE, NULL, 0 },
		{ "--prefix", OPT_VALUE, NULL, 0 }, { "--db", OPT_VALUE, NULL, 0 },
		{ "--json", OPT_FLAG, NULL, 0 }, { "--force", OPT_FLAG, NULL, 0 },
		{ NULL, OPT_FLAG, NULL, 0 }
	};
	char id[CRED_ID_LEN + 1], key[CRED_KEY_MAX + 1], start[16];
	char hash[CRED_HASH_B64URL_LEN + 1], roles[STORE_MAX_ROLES + 1];
	char expires[UTIL_TIME_ISO_LEN + 1] = "", now[UTIL_TIME_ISO_LEN + 1];
	const char *pos[1], *name, *user, *org, *role, *exp, *prefix, *db;
	const char *why;
	char *meta = NULL;
	struct store_key_new k;
	struct store *s = NULL;
	enum store_owner kind;
	int64_t at;
	int npos, never, r, rc = 2, force;

	if (parse_opts(cmd, "key", argc, argv, 3, o, pos, 0, &npos) != 0)
		return 2;
	name = opt_val(o, "--name");
	user = opt_val(o, "--user");
	org = opt_val(o, "--org");
	role = opt_val(o, "--role");
	exp = opt_val(o, "--expires");
	prefix = opt_val(o, "--prefix");
	db = db_default(opt_val(o, "--db"));
	force = opt_set(o, "--force");
	if (name == NULL)
		return failf(cmd, "--name is required (a label such as"
		    " 'ci-deploy'); see 'authgate key --help'");
	if (!valid_text(name, STORE_MAX_NAME))
		return failf(cmd, "--name must be 1 to %d bytes without"
		    " control characters", STORE_MAX_NAME);
	if (user == NULL && org == NULL)
		return failf(cmd, "say whose key it is: --user ID, --org ID,"
		    " or both");
	if ((user != NULL && !valid_id(user)) || (org != NULL &&
	    !valid_id(org)))
		return failf(cmd, "--user and --org take an id such as u_mia"
		    " (see 'authgate key --help')");
	if (role != NULL && policy_role_parse(role, strlen(role)) ==
	    ROLE_NONE)
		return failf(cmd, "--role must be one of guest, member, admin,"
		    " owner");
	if (exp != NULL && admin_expiry_parse(exp, util_now_ms(), &at, &never,
	    &why) != 0)
		return failf(cmd, "--expires %s", why);
	if (exp != NULL && !never &&
	    util_time_format(at, expires, sizeof(expires)) != 0)
		return failf(cmd, "--expires is out of range");
	if (role != NULL && org == NULL && !force)
		return failf(cmd, "--role needs --org: a role is held in an"
		    " organization, and a user's key without one would carry"
		    " it everywhere (--force to allow it)");
	if (prefix == NULL)
		prefix = CLI_DEFAULT_PREFIX;
	if (!cred_apikey_prefix_ok(prefix))
		return failf(cmd, "--prefix takes up to %d letters, digits,"
		    " '_' or '-', such as ag_ or acme_live_",
		    CRED_MAX_KEY_PREFIX);

	if ((rc = admin_open(cmd, db, 1, &s)) != 0)
		return rc;
	rc = 2;
	if (user != NULL) {
		if ((r = store_owner_kind(s, user)) < 0) {
			store_fail(cmd, db, s);
			goto out;
		}
		if (r != STORE_OWNER_USER) {
			failf(cmd, "no user with id %s in %s; see sqlite3 %s"
			    " 'select id, email from \"user\"'", user, db, db);
			goto out;
		}
	}
	if (org != NULL) {
		if ((r = store_owner_kind(s, org)) < 0) {
			store_fail(cmd, db, s);
			goto out;
		}
		if (r != STORE_OWNER_ORG) {
			failf(cmd, "no organization with id %s in %s; see"
			    " sqlite3 %s 'select id, slug from organization'",
			    org, db, db);
			goto out;
		}
	}
	if (user != NULL && org != NULL) {
		r = store_member_roles(s, org, user, roles, sizeof(roles));
		if (r < 0) {
			store_fail(cmd, db, s);
			goto out;
		}
		if (r == 0 && !force) {
			failf(cmd, "user %s is not a member of %s; add the"
			    " membership first, drop --org, or --force", user,
			    org);
			goto out;
		}
		if (r == 1 && role != NULL && !force &&
		    policy_role_parse(role, strlen(role)) >
		    policy_role_highest(roles, strlen(roles))) {
			failf(cmd, "--role %s is above %s's own role in %s;"
			    " a key should not outrank its owner (--force to"
			    " allow it)", role, user, org);
			goto out;
		}
	}
	kind = user != NULL ? STORE_OWNER_USER : STORE_OWNER_ORG;
	if ((user != NULL && org != NULL) || role != NULL) {
		cJSON *m = cJSON_CreateObject();

		if (m == NULL) {
			fail("out of memory");
			goto out;
		}
		if (user != NULL && org != NULL)
			cJSON_AddStringToObject(m, "organizationId", org);
		if (role != NULL)
			cJSON_AddStringToObject(m, "role", role);
		meta = cJSON_PrintUnformatted(m);
		cJSON_Delete(m);
		if (meta == NULL) {
			fail("out of memory");
			goto out;
		}
	}
	if (mint_key(cmd, prefix, id, key, hash, start) != 0 ||
	    now_text(now, sizeof(now)) != 0)
		goto out;
	memset(&k, 0, sizeof(k));
	k.id = id;
	k.name = name;
	k.start = start;
	k.prefix = prefix[0] ? prefix : NULL;
	k.hash = hash;
	k.owner = user != NULL ? user : org;
	k.metadata = meta;
	k.expires_at = expires[0] ? expires : NULL;
	k.now = now;
	if (store_key_insert(s, &k) != 0) {
		store_fail(cmd, db, s);
		goto out;
	}
	if (store_admin_end(s, 1) != 0) {
		store_fail(cmd, db, s);
		goto out;
	}
	rc = print_new_key(opt_set(o, "--json"), key, id, name, k.owner, kind,
	    org, role, expires, NULL);
out:
	OPENSSL_cleanse(key, sizeof(key));
	OPENSSL_cleanse(hash, sizeof(hash));
	cJSON_free(meta);
	return admin_close(cmd, db, s, 0, rc);
}

struct key_list_ctx {
	const char	*user;
	const char	*org;
	int		 json;
	cJSON		*arr;
	char		**cells;
	size_t		 n;
	size_t		 cap;
	int		 oom;
};

#define KEY_COLS_N	9

static char *
cell(const char *s)
{
	char buf[STORE_MAX_NAME + STORE_MAX_ID + 8];

	return strdup(term(s, buf, sizeof(buf)));
}

static int
collect_key(void *ctx, const struct store_key_row *k)
{
	struct key_list_ctx *c = ctx;
	char exp[UTIL_TIME_ISO_LEN + 16], cre[UTIL_TIME_ISO_LEN + 16];
	char owner[STORE_MAX_ID + 16], org[STORE_MAX_ID + 1];
	const char *row[KEY_COLS_N];
	size_t i;

	/* An organization's own key acts in that organization. */
	snprintf(org, sizeof(org), "%s", k->org[0] ? k->org :
	    k->owner_kind == STORE_OWNER_ORG ? k->owner : "");
	if (c->user != NULL && strcmp(c->user, k->owner) != 0)
		return 0;
	if (c->org != NULL && strcmp(c->org, org) != 0)
		return 0;
	time_text(&k->expires, "never", exp, sizeof(exp));
	time_text(&k->created, "-", cre, sizeof(cre));
	if (c->json) {
		cJSON *o = cJSON_CreateObject();

		if (o == NULL) {
			c->oom = 1;
			return -1;
		}
		cJSON_AddStringToObject(o, "id", k->id);
		json_str_or_null(o, "name", k->name);
		json_str_or_null(o, "start", k->start);
		json_str_or_null(o, "prefix", k->prefix);
		json_str_or_null(o, "owner", k->owner);
		cJSON_AddStringToObject(o, "owner_kind",
		    owner_kind_name(k->owner_kind));
		json_str_or_null(o, "org_id", org);
		json_str_or_null(o, "role", k->role);
		cJSON_AddBoolToObject(o, "enabled", k->enabled);
		json_str_or_null(o, "expires_at", k->expires.present ? exp :
		    NULL);
		cJSON_AddBoolToObject(o, "expired", k->expires.present &&
		    (k->expires.bad || k->expires.ms <= util_now_ms()));
		json_str_or_null(o, "created_at", k->created.present ? cre :
		    NULL);
		cJSON_AddItemToArray(c->arr, o);
		return 0;
	}
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 16;
		char **v = realloc(c->cells, cap * KEY_COLS_N * sizeof(*v));

		if (v == NULL) {
			c->oom = 1;
			return -1;
		}
		c->cells = v;
		c->cap = cap;
	}
	snprintf(owner, sizeof(owner), "%s:%s", k->owner_kind ==
	    STORE_OWNER_USER ? "user" : k->owner_kind == STORE_OWNER_ORG ?
	    "org" : "?", k->owner);
	if (k->expires.present && !k->expires.bad &&
	    k->expires.ms <= util_now_ms())
		strncat(exp, " (expired)", sizeof(exp) - strlen(exp) - 1);
	row[0] = k->id;
	row[1] = k->name[0] ? k->name : "-";
	row[2] = k->start[0] ? k->start : "-";
	row[3] = owner;
	row[4] = org[0] ? org : "-";
	row[5] = k->role[0] ? k->role : "-";
	row[6] = k->enabled ? "yes" : "no";
	row[7] = exp;
	row[8] = cre;
	for (i = 0; i < KEY_COLS_N; i++)
		if ((c->cells[c->n * KEY_COLS_N + i] = cell(row[i])) == NULL)
			c->oom = 1;
	c->n++;
	return c->oom ? -1 : 0;
}

static int
key_list(int argc, char **argv)
{
	static const char *cmd = "key list";
	static const char *const head[KEY_COLS_N] = { "ID", "NAME", "START",
	    "OWNER", "ORG", "ROLE", "ENABLED", "EXPIRES", "CREATED" };
	struct opt o[] = {
		{ "--user", OPT_VALUE, NULL, 0 }, { "--org", OPT_VALUE, NULL, 0 },
		{ "--db", OPT_VALUE, NULL, 0 }, { "--json", OPT_FLAG, NULL, 0 },
		{ NULL, OPT_FLAG, NULL, 0 }
	};
	struct key_list_ctx c;
	struct store *s = NULL;
	const char *pos[1], *db;
	int npos, r, rc;

	if (parse_opts(cmd, "key", argc, argv, 3, o, pos, 0, &npos) != 0)
		return 2;
	db = db_default(opt_val(o, "--db"));
	memset(&c, 0, sizeof(c));
	c.user = opt_val(o, "--user");
	c.org = opt_val(o, "--org");
	c.json = opt_set(o, "--json");
	if (c.json && (c.arr = cJSON_CreateArray()) == NULL)
		return fail("out of memory");
	if ((rc = admin_open(cmd, db, 0, &s)) != 0) {
		cJSON_Delete(c.arr);
		return rc;
	}
	r = store_key_list(s, collect_key, &c);
	if (r < 0 || c.oom) {
		rc = c.oom ? fail("out of memory") : store_fail(cmd, db, s);
		cJSON_Delete(c.arr);
	} else if (r == 1) {
		rc = failf(cmd, "%s has no apikey table; run 'authgate init"
		    " --db %s'", db, db);
		cJSON_Delete(c.arr);
	} else if (c.json) {
		rc = print_json(c.arr);
	} else if (c.n == 0) {
		printf("no keys%s; issue one with 'authgate key create'\n",
		    c.user || c.org ? " match" : "");
		rc = 0;
	} else {
		print_table(head, KEY_COLS_N, c.cells, c.n);
		rc = 0;
	}
	free_cells(c.cells, c.n * KEY_COLS_N);
	return admin_close(cmd, db, s, 0, rc);
}

static int
key_revoke(int argc, char **argv)
{
	static const char *cmd = "key revoke";
	struct opt o[] = {
		{ "--db", OPT_VALUE, NULL, 0 }, { NULL, OPT_FLAG, NULL, 0 }
	};
	struct store_key_row k;
	char now[UTIL_TIME_ISO_LEN + 1], nb[STORE_MAX_NAME + 1];
	struct store *s = NULL;
	const char *pos[1], *db;
	int npos, r, rc;

	if (parse_opts(cmd, "key", argc, argv, 3, o, pos, 1, &npos) != 0)
		return 2;
	if (npos != 1)
		return failf(cmd, "which key? authgate key revoke ID (ids:"
		    " 'authgate key list')");
	db = db_default(opt_val(o, "--db"));
	if ((rc = admin_open(cmd, db, 1, &s)) != 0)
		return rc;
	rc = 2;
	if ((r = store_key_find(s, pos[0], &k)) < 0) {
		store_fail(cmd, db, s);
		goto out;
	}
	if (r == 0) {
		failf(cmd, "no key with id %s; see 'authgate key list'",
		    pos[0]);
		goto out;
	}
	if (!k.enabled) {
		printf("key %s (%s) was already revoked\n", k.id,
		    term(k.name, nb, sizeof(nb)));
		rc = 0;
		goto out;
	}
	if (now_text(now, sizeof(now)) != 0 ||
	    store_key_set_enabled(s, k.id, 0, now) != 1 ||
	    store_admin_end(s, 1) != 0) {
		store_fail(cmd, db, s);
		goto out;
	}
	printf("revoked key %s (%s): the next request with it is refused\n",
	    k.id, term(k.name, nb, sizeof(nb)));
	rc = 0;
out:
	return admin_close(cmd, db, s, 0, rc);
}

static int
key_rotate(int argc, char **argv)
{
	static const char *cmd = "key rotate";
	struct opt o[] = {
		{ "--expires", OPT_VALUE, NULL, 0 },
		{ "--prefix", OPT_VALUE, NULL, 0 }, { "--db", OPT_VALUE, NULL, 0 },
		{ "--json", OPT_FLAG, NULL, 0 }, { "--force", OPT_FLAG, NULL, 0 },
		{ NULL, OPT_FLAG, NULL, 0 }
	};
	char id[CRED_ID_LEN + 1], key[CRED_KEY_MAX + 1], start[16];
	char hash[CRED_HASH_B64URL_LEN + 1], now[UTIL_TIME_ISO_LEN + 1];
	char expires[UTIL_TIME_ISO_LEN + 1] = "", org[STORE_MAX_ID + 1];
	const char *pos[1], *exp, *prefix, *db, *why;
	struct store_key_row old;
	struct store_key_new k;
	struct store *s = NULL;
	int64_t at, nowms = util_now_ms();
	int npos, never = 0, r, rc;

	memset(key, 0, sizeof(key));
	memset(hash, 0, sizeof(hash));
	if (parse_opts(cmd, "key", argc, argv, 3, o, pos, 1, &npos) != 0)
		return 2;
	if (npos != 1)
		return failf(cmd, "which key? authgate key rotate ID (ids:"
		    " 'authgate key list')");
	exp = opt_val(o, "--expires");
	prefix = opt_val(o, "--prefix");
	db = db_default(opt_val(o, "--db"));
	if (exp != NULL && admin_expiry_parse(exp, nowms, &at, &never,
	    &why) != 0)
		return failf(cmd, "--expires %s", why);
	if (exp != NULL && !never &&
	    util_time_format(at, expires, sizeof(expires)) != 0)
		return failf(cmd, "--expires is out of range");
	if (prefix != NULL && !cred_apikey_prefix_ok(prefix))
		return failf(cmd, "--prefix takes up to %d letters, digits,"
		    " '_' or '-'", CRED_MAX_KEY_PREFIX);
	if ((rc = admin_open(cmd, db, 1, &s)) != 0)
		return rc;
	rc = 2;
	if ((r = store_key_find(s, pos[0], &old)) < 0) {
		store_fail(cmd, db, s);
		goto out;
	}
	if (r == 0) {
		failf(cmd, "no key with id %s; see 'authgate key list'",
		    pos[0]);
		goto out;
	}
	if (!old.enabled && !opt_set(o, "--force")) {
		failf(cmd, "key %s is revoked; issue a new key with 'authgate"
		    " key create' (or --force to rotate it anyway)", old.id);
		goto out;
	}
	if (exp == NULL && old.expires.present) {
		if (old.expires.bad || old.expires.ms <= nowms) {
			failf(cmd, "key %s has expired; give the new key"
			    " --expires (such as 90d) or --expires never",
			    old.id);
			goto out;
		}
		util_time_format(old.expires.ms, expires, sizeof(expires));
	}
	if (prefix == NULL)
		prefix = cred_apikey_prefix_ok(old.prefix) ? old.prefix :
		    CLI_DEFAULT_PREFIX;
	if (mint_key(cmd, prefix, id, key, hash, start) != 0 ||
	    now_text(now, sizeof(now)) != 0)
		goto out;
	memset(&k, 0, sizeof(k));
	k.id = id;
	k.start = start;
	k.prefix = prefix[0] ? prefix : NULL;
	k.hash = hash;
	k.expires_at = expires[0] ? expires : NULL;
	k.now = now;
	if ((r = store_key_rotate(s, old.id, &k)) != 1 ||
	    store_admin_end(s, 1) != 0) {
		if (r == 0)
			failf(cmd, "no key with id %s", old.id);
		else
			store_fail(cmd, db, s);
		goto out;
	}
	snprintf(org, sizeof(org), "%s", old.org[0] ? old.org :
	    old.owner_kind == STORE_OWNER_ORG ? old.owner : "");
	rc = print_new_key(opt_set(o, "--json"), key, id, old.name, old.owner,
	    old.owner_kind, org, old.role, expires, old.id);
out:
	OPENSSL_cleanse(key, sizeof(key));
	OPENSSL_cleanse(hash, sizeof(hash));
	return admin_close(cmd, db, s, 0, rc);
}

static int
cmd_key(int argc, char **argv)
{
	const char *sub = argc > 2 ? argv[2] : NULL;

	if (sub == NULL)
		return failf("key", "which one: create, list, revoke or rotate? see 'authgate key"
		    " --help'");
	if (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0 ||
	    strcmp(sub, "help") == 0 || wants_help(argc, argv, 3)) {
		fputs(usage_key, stdout);
		return 0;
	}
	if (strcmp(sub, "create") == 0)
		return key_create(argc, argv);
	if (strcmp(sub, "list") == 0)
		return key_list(argc, argv);
	if (strcmp(sub, "revoke") == 0)
		return key_revoke(argc, argv);
	if (strcmp(sub, "rotate") == 0)
		return key_rotate(argc, argv);
	return failf("key", "unknown subcommand '%.64s'; use create, list,"
	    " revoke or rotate", sub);
}

/* ------------------------------------------------------------------ */
/* rule */

/* The rule as one phrase: "priority 30, any method, /api/admin/ + **,
 * authenticated, min role admin, on deny json". */
static void
rule_phrase(const struct admin_rule *r, char *out, size_t sz)
{
	char note[CLI_MAX_NOTE + 1], m[POLICY_MAX_METHODS + 1];
	char p[POLICY_MAX_GLOB + 1], a[32], role[32], od[32];
	char to[POLICY_MAX_REDIRECT + 1];

	/* Rows edited in the shell may hold anything: keep it printable.
	 * A phrase cut short by a huge note is still a fine message. */
	if (snprintf(out, sz, "priority %lld, %s, %s, %s%s%s, on deny %s%s%s%s%s",
	    r->t.priority, r->t.method ? term(r->t.method, m, sizeof(m)) :
	    "any method", term(r->t.path ? r->t.path : "?", p, sizeof(p)),
	    term(r->t.access ? r->t.access : "?", a, sizeof(a)),
	    r->t.min_role ? ", min role " : "",
	    r->t.min_role ? term(r->t.min_role, role, sizeof(role)) : "",
	    term(r->t.on_deny ? r->t.on_deny : "auto", od, sizeof(od)),
	    r->t.redirect_to ? " to " : "",
	    r->t.redirect_to ? term(r->t.redirect_to, to, sizeof(to)) : "",
	    r->note ? ", note: " : "",
	    r->note ? term(r->note, note, sizeof(note)) : "") < 0)
		out[0] = '\0';
}

static int
rule_id_arg(const char *cmd, const char *s, long long *id)
{
	if (parse_ll(s, 1, LLONG_MAX / 2, id) != 0)
		return failf(cmd, "a rule id is a positive number, such as 3"
		    " (see 'authgate rule list')");
	return 0;
}

static cJSON *
rule_json(const struct admin_rule *r)
{
	cJSON *o = cJSON_CreateObject(), *a;
	size_t i;

	if (o == NULL)
		return NULL;
	cJSON_AddNumberToObject(o, "id", (double)r->t.id);
	cJSON_AddNumberToObject(o, "priority", (double)r->t.priority);
	json_str_or_null(o, "method", r->t.method);
	json_str_or_null(o, "path", r->t.path);
	json_str_or_null(o, "access", r->t.access);
	json_str_or_null(o, "min_role", r->t.min_role);
	json_str_or_null(o, "on_deny", r->t.on_deny);
	json_str_or_null(o, "redirect_to", r->t.redirect_to);
	json_str_or_null(o, "note", r->note);
	cJSON_AddBoolToObject(o, "valid", r->why == NULL);
	json_str_or_null(o, "invalid_reason", r->why);
	a = cJSON_AddArrayToObject(o, "shadowed_by");
	for (i = 0; a != NULL && i < r->nshadow; i++)
		cJSON_AddItemToArray(a, cJSON_CreateNumber(
		    (double)r->shadowed_by[i]));
	return o;
}

#define RULE_COLS_N	10

static int
rule_list(int argc, char **argv)
{
	static const char *cmd = "rule list";
	static const char *const head[RULE_COLS_N] = { "ID", "PRIO", "METHOD",
	    "PATH", "ACCESS", "MIN_ROLE", "ON_DENY", "REDIRECT", "STATUS",
	    "NOTE" };
	struct opt o[] = {
		{ "--db", OPT_VALUE, NULL, 0 }, { "--json", OPT_FLAG, NULL, 0 },
		{ NULL, OPT_FLAG, NULL, 0 }
	};
	struct admin_rules rs;
	struct store *s = NULL;
	const char *pos[1], *db;
	char **cells = NULL, buf[64], status[96], note[CLI_MAX_NOTE + 1];
	size_t i, c;
	int npos, r, rc, bad = 0, shadowed = 0;

	memset(&rs, 0, sizeof(rs));
	if (parse_opts(cmd, "rule", argc, argv, 3, o, pos, 0, &npos) != 0)
		return 2;
	db = db_default(opt_val(o, "--db"));
	if ((rc = admin_open(cmd, db, 0, &s)) != 0)
		return rc;
	rc = 2;
	if ((r = admin_rules_load(s, &rs)) < 0) {
		store_fail(cmd, db, s);
		goto out;
	}
	if (r == 0) {
		failf(cmd, "%s has no authgate_rule table; run 'authgate init"
		    " --db %s'", db, db);
		goto out;
	}
	if (opt_set(o, "--json")) {
		cJSON *arr = cJSON_CreateArray();

		for (i = 0; arr != NULL && i < rs.n; i++)
			cJSON_AddItemToArray(arr, rule_json(&rs.v[i]));
		rc = print_json(arr);
		goto out;
	}
	if (rs.n == 0) {
		printf("no rules: every path needs a session or an API key"
		    " (the default rule); add some with 'authgate rule add'\n");
		rc = 0;
		goto out;
	}
	if ((cells = calloc(rs.n * RULE_COLS_N, sizeof(*cells))) == NULL) {
		fail("out of memory");
		goto out;
	}
	for (i = 0; i < rs.n; i++) {
		const struct admin_rule *x = &rs.v[i];
		char **row = &cells[i * RULE_COLS_N];

		if (x->why != NULL) {
			bad++;
			snprintf(status, sizeof(status), "INVALID (%s)",
			    x->why);
		} else if (x->nshadow > 0) {
			shadowed++;
			snprintf(status, sizeof(status), "UNREACHABLE (after"
			    " rule %lld)", x->shadowed_by[0]);
		} else {
			snprintf(status, sizeof(status), "ok");
		}
		snprintf(buf, sizeof(buf), "%lld", x->t.id);
		row[0] = strdup(buf);
		snprintf(buf, sizeof(buf), "%lld", x->t.priority);
		row[1] = strdup(buf);
		row[2] = cell(x->t.method ? x->t.method : "any");
		row[3] = cell(x->t.path);
		row[4] = cell(x->t.access);
		row[5] = cell(x->t.min_role ? x->t.min_role : "-");
		row[6] = cell(x->t.on_deny ? x->t.on_deny : "auto");
		row[7] = cell(x->t.redirect_to ? x->t.redirect_to : "-");
		row[8] = strdup(status);
		row[9] = strdup(x->note ? term(x->note, note, sizeof(note)) :
		    "");
		for (c = 0; c < RULE_COLS_N; c++)
			if (row[c] == NULL) {
				fail("out of memory");
				goto out;
			}
	}
	print_table(head, RULE_COLS_N, cells, rs.n);
	if (bad > 0)
		printf("%d invalid rule%s: every request is answered 503 until"
		    " fixed ('authgate rule set ID ...' or 'rule rm ID')\n",
		    bad, bad == 1 ? "" : "s");
	if (shadowed > 0)
		printf("%d unreachable rule%s: an earlier rule takes all their"
		    " requests\n", shadowed, shadowed == 1 ? "" : "s");
	rc = 0;
out:
	free_cells(cells, rs.n * RULE_COLS_N);
	admin_rules_free(&rs);
	return admin_close(cmd, db, s, 0, rc);
}

/* Replaces an owned string of a rule text; "" (or clear) sets NULL. */
static int
set_text(const char **dst, const char *v, const char *clear)
{
	char *d = NULL;

	if (v == NULL)
		return 0;
	if (v[0] != '\0' && (clear == NULL || strcmp(v, clear) != 0) &&
	    (d = strdup(v)) == NULL)
		return -1;
	free((char *)*dst);
	*dst = d;
	return 0;
}

/*
 * Applies the rule flags to r (strings owned by r). Prints one line and
 * returns 2 on a bad value, 0 otherwise.
 */
static int
apply_rule_flags(const char *cmd, struct opt *o, struct admin_rule *r)
{
	const char *v, *why;
	struct policy_rule pr;
	long long pri;

	if ((v = opt_val(o, "--priority")) != NULL) {
		if (parse_ll(v, -CLI_MAX_PRIORITY, CLI_MAX_PRIORITY, &pri) != 0)
			return failf(cmd, "--priority takes a whole number"
			    " from -1000000000 to 1000000000 (lower is tried"
			    " first)");
		r->t.priority = pri;
	}
	if ((v = opt_val(o, "--note")) != NULL && v[0] != '\0' &&
	    !valid_text(v, CLI_MAX_NOTE))
		return failf(cmd, "--note takes up to %d bytes without control"
		    " characters", CLI_MAX_NOTE);
	if ((v = opt_val(o, "--method")) != NULL && (strcmp(v, "any") == 0 ||
	    strcmp(v, "ANY") == 0))
		v = "";
	if (set_text(&r->t.method, v, NULL) ||
	    set_text(&r->t.path, opt_val(o, "--path"), NULL) ||
	    set_text(&r->t.access, opt_val(o, "--access"), NULL) ||
	    set_text(&r->t.min_role, opt_val(o, "--min-role"), "none") ||
	    set_text(&r->t.on_deny, opt_val(o, "--on-deny"), NULL) ||
	    set_text(&r->t.redirect_to, opt_val(o, "--redirect-to"), NULL) ||
	    set_text((const char **)&r->note, opt_val(o, "--note"), NULL))
		return fail("out of memory");
	if (opt_set(o, "--access") && r->t.access == NULL)
		return failf(cmd, "%s", admin_rule_problem("bad_access"));
	if (opt_set(o, "--path") && r->t.path == NULL)
		return failf(cmd, "--path must start with '/', such as"
		    " /api/**");
	if (policy_rule_parse(&r->t, &pr, &why) != 0) {
		if (why != NULL && strcmp(why, "bad_path") == 0 &&
		    r->t.path != NULL && admin_glob_problem(r->t.path) != NULL)
			return failf(cmd, "%s", admin_glob_problem(r->t.path));
		return failf(cmd, "%s", admin_rule_problem(why));
	}
	if (pr.min_role != ROLE_NONE && (pr.access == ACCESS_PUBLIC ||
	    pr.access == ACCESS_DENY))
		return failf(cmd, "--min-role has no effect on a %s rule; drop"
		    " it, or use --access authenticated", r->t.access);
	if (r->t.redirect_to != NULL && pr.on_deny == ON_DENY_JSON)
		return failf(cmd, "--redirect-to needs --on-deny auto or"
		    " redirect");
	return 0;
}

/*
 * Rules that an add or set made unreachable (compared with before),
 * other than the changed rule itself. Prints them on one line (an error,
 * or a warning when warn is set) and returns how many.
 */
static int
newly_shadowed(const char *cmd, const struct admin_rules *after,
    const struct admin_rules *before, long long changed, int warn)
{
	char list[512];
	size_t i, j, o = 0;
	int n = 0, was, w;

	list[0] = '\0';
	for (i = 0; i < after->n; i++) {
		const struct admin_rule *x = &after->v[i];

		if (x->nshadow == 0 || x->t.id == changed)
			continue;
		was = 0;
		for (j = 0; j < before->n; j++)
			if (before->v[j].t.id == x->t.id)
				was = before->v[j].nshadow > 0;
		if (was)
			continue;
		n++;
		if (o < sizeof(list)) {
			w = snprintf(list + o, sizeof(list) - o, "%s%lld (%s)",
			    o ? ", " : "", x->t.id, x->t.path);
			o = w < 0 ? sizeof(list) : o + (size_t)w;
		}
	}
	if (n > 0)
		fprintf(stderr, "authgate: %s: %s%s would never match again,"
		    " because rule %lld takes all %s requests first: %s%s\n",
		    cmd, warn ? "warning: " : "", n == 1 ? "a rule" :
		    "rules", changed, n == 1 ? "its" : "their", list, warn ?
		    "" : "; narrow --path or --method, change --priority, or"
		    " --force");
	return n;
}

static struct admin_rule *
rule_by_id(struct admin_rules *rs, long long id)
{
	size_t i;

	for (i = 0; i < rs->n; i++)
		if (rs->v[i].t.id == id)
			return &rs->v[i];
	return NULL;
}

/* Copies the rule at src into a fresh owned entry appended to rs. */
static struct admin_rule *
rules_append(struct admin_rules *rs)
{
	if (rs->n == rs->cap) {
		size_t cap = rs->cap ? rs->cap * 2 : 16;
		struct admin_rule *v = realloc(rs->v, cap * sizeof(*v));

		if (v == NULL)
			return NULL;
		rs->v = v;
		rs->cap = cap;
	}
	memset(&rs->v[rs->n], 0, sizeof(rs->v[0]));
	return &rs->v[rs->n++];
}

static void
rule_neighbors(const struct admin_rules *rs, long long id, char *out,
    size_t sz)
{
	size_t i;

	out[0] = '\0';
	for (i = 0; i < rs->n; i++) {
		if (rs->v[i].t.id != id)
			continue;
		if (i > 0 && i + 1 < rs->n)
			snprintf(out, sz, "; tried after rule %lld, before"
			    " rule %lld", rs->v[i - 1].t.id, rs->v[i + 1].t.id);
		else if (i > 0)
			snprintf(out, sz, "; tried last, after rule %lld",
			    rs->v[i - 1].t.id);
		else if (i + 1 < rs->n)
			snprintf(out, sz, "; tried first, before rule %lld",
			    rs->v[i + 1].t.id);
	}
}

/* rule add (id < 0) and rule set (id: the rule to change). */
static int
rule_write(int argc, char **argv, int add)
{
	const char *cmd = add ? "rule add" : "rule set";
	struct opt o[] = {
		{ "--path", OPT_VALUE, NULL, 0 },
		{ "--access", OPT_VALUE, NULL, 0 },
		{ "--method", OPT_VALUE, NULL, 0 },
		{ "--min-role", OPT_VALUE, NULL, 0 },
		{ "--on-deny", OPT_VALUE, NULL, 0 },
		{ "--redirect-to", OPT_VALUE, NULL, 0 },
		{ "--priority", OPT_VALUE, NULL, 0 },
		{ "--note", OPT_VALUE, NULL, 0 },
		{ "--db", OPT_VALUE, NULL, 0 },
		{ "--force", OPT_FLAG, NULL, 0 },
		{ NULL, OPT_FLAG, NULL, 0 }
	};
	struct admin_rules before, after;
	struct admin_rule *x = NULL;
	struct store_rule_row row;
	struct store *s = NULL;
	const char *pos[1], *db;
	char phrase[2400], where[128];
	long long id = 0, maxid = 0;
	size_t i;
	int npos, r, rc, force, k;

	memset(&before, 0, sizeof(before));
	memset(&after, 0, sizeof(after));
	if (parse_opts(cmd, "rule", argc, argv, 3, o, pos, add ? 0 : 1,
	    &npos) != 0)
		return 2;
	if (!add && (npos != 1 || rule_id_arg(cmd, pos[0], &id) != 0))
		return npos != 1 ? failf(cmd, "which rule? authgate rule set"
		    " ID --flag value (ids: 'authgate rule list')") : 2;
	if (add && (!opt_set(o, "--path") || !opt_set(o, "--access")))
		return failf(cmd, "--path and --access are required, such as"
		    " --path '/api/billing/**' --access authenticated");
	if (!add) {
		for (k = 0; o[k].name != NULL; k++)
			if (o[k].set && strcmp(o[k].name, "--db") != 0 &&
			    strcmp(o[k].name, "--force") != 0)
				break;
		if (o[k].name == NULL)
			return failf(cmd, "nothing to change; give a flag such"
			    " as --priority 25 (see 'authgate rule --help')");
	}
	force = opt_set(o, "--force");
	db = db_default(opt_val(o, "--db"));
	if ((rc = admin_open(cmd, db, 1, &s)) != 0)
		return rc;
	rc = 2;
	if ((r = admin_rules_load(s, &before)) < 0 ||
	    admin_rules_load(s, &after) < 0) {
		store_fail(cmd, db, s);
		goto out;
	}
	if (r == 0) {
		failf(cmd, "%s has no authgate_rule table; run 'authgate init"
		    " --db %s'", db, db);
		goto out;
	}
	for (i = 0; i < after.n; i++)
		if (after.v[i].t.id > maxid)
			maxid = after.v[i].t.id;
	if (add) {
		if ((x = rules_append(&after)) == NULL) {
			fail("out of memory");
			goto out;
		}
		/* The id SQLite will give it: max(rowid) + 1. */
		x->t.id = id = maxid + 1;
		x->t.priority = 100;
	} else if ((x = rule_by_id(&after, id)) == NULL) {
		failf(cmd, "no rule with id %lld; see 'authgate rule list'",
		    id);
		goto out;
	}
	if (apply_rule_flags(cmd, o, x) != 0)
		goto out;
	admin_rules_sort(&after);
	admin_rules_shadow(&after);
	x = rule_by_id(&after, id);
	if (x->nshadow > 0 && !force) {
		struct admin_rule *e = rule_by_id(&after, x->shadowed_by[0]);

		failf(cmd, "this rule could never match: rule %lld (priority"
		    " %lld, %s %s) is tried first and takes all its requests;"
		    " give it --priority below %lld, or --force", e->t.id,
		    e->t.priority, e->t.method ? e->t.method : "any method",
		    e->t.path, e->t.priority);
		goto out;
	}
	if (!force && newly_shadowed(cmd, &after, &before, id, 0) > 0)
		goto out;
	memset(&row, 0, sizeof(row));
	row.id = id;
	row.priority = x->t.priority;
	row.method = x->t.method;
	row.path = x->t.path;
	row.access = x->t.access;
	row.min_role = x->t.min_role;
	row.on_deny = x->t.on_deny;
	row.redirect_to = x->t.redirect_to;
	row.note = x->note;
	if (add) {
		long long got;

		if (store_rule_insert(s, &row, &got) != 0) {
			store_fail(cmd, db, s);
			goto out;
		}
		if (got != id) {	/* the order text would be wrong */
			x->t.id = id = got;
			admin_rules_sort(&after);
		}
	} else if ((r = store_rule_update(s, &row)) != 1) {
		if (r == 0)
			failf(cmd, "no rule with id %lld", id);
		else
			store_fail(cmd, db, s);
		goto out;
	}
	if (store_admin_end(s, 1) != 0) {
		store_fail(cmd, db, s);
		goto out;
	}
	if (force) {
		if (x->nshadow > 0)
			fprintf(stderr, "authgate: %s: warning: rule %lld can"
			    " never match: rule %lld takes all its requests"
			    " first\n", cmd, id, x->shadowed_by[0]);
		newly_shadowed(cmd, &after, &before, id, 1);
	}
	x = rule_by_id(&after, id);
	rule_phrase(x, phrase, sizeof(phrase));
	rule_neighbors(&after, id, where, sizeof(where));
	printf("%s rule %lld: %s%s\n", add ? "added" : "updated", id, phrase,
	    where);
	rc = 0;
out:
	admin_rules_free(&before);
	admin_rules_free(&after);
	return admin_close(cmd, db, s, 0, rc);
}

static int
rule_rm(int argc, char **argv)
{
	static const char *cmd = "rule rm";
	struct opt o[] = {
		{ "--db", OPT_VALUE, NULL, 0 }, { NULL, OPT_FLAG, NULL, 0 }
	};
	struct admin_rules rs;
	struct admin_rule *x;
	struct store *s = NULL;
	const char *pos[1], *db;
	char phrase[2400];
	long long id;
	int npos, r, rc;

	memset(&rs, 0, sizeof(rs));
	if (parse_opts(cmd, "rule", argc, argv, 3, o, pos, 1, &npos) != 0)
		return 2;
	if (npos != 1)
		return failf(cmd, "which rule? authgate rule rm ID (ids:"
		    " 'authgate rule list')");
	if (rule_id_arg(cmd, pos[0], &id) != 0)
		return 2;
	db = db_default(opt_val(o, "--db"));
	if ((rc = admin_open(cmd, db, 1, &s)) != 0)
		return rc;
	rc = 2;
	if ((r = admin_rules_load(s, &rs)) < 0) {
		store_fail(cmd, db, s);
		goto out;
	}
	if ((x = rule_by_id(&rs, id)) == NULL) {
		failf(cmd, "no rule with id %lld; see 'authgate rule list'",
		    id);
		goto out;
	}
	rule_phrase(x, phrase, sizeof(phrase));
	if ((r = store_rule_delete(s, id)) != 1 ||
	    store_admin_end(s, 1) != 0) {
		if (r == 0)
			failf(cmd, "no rule with id %lld", id);
		else
			store_fail(cmd, db, s);
		goto out;
	}
	printf("removed rule %lld: %s\n", id, phrase);
	rc = 0;
out:
	admin_rules_free(&rs);
	return admin_close(cmd, db, s, 0, rc);
}

static int
rule_test(int argc, char **argv)
{
	static const char *cmd = "rule test";
	struct opt o[] = {
		{ "--method", OPT_VALUE, NULL, 0 }, { "--path", OPT_VALUE, NULL, 0 },
		{ "--db", OPT_VALUE, NULL, 0 }, { "--json", OPT_FLAG, NULL, 0 },
		{ NULL, OPT_FLAG, NULL, 0 }
	};
	static char path[REQ_MAX_PATH + 1];
	struct policy_rule *valid = NULL;
	const struct policy_rule *m = NULL;
	struct admin_rules rs;
	struct store *s = NULL;
	const char *pos[1], *db, *method, *uri, *refused = NULL;
	long long invalid_id = -1;
	size_t i, nv = 0, pn = 0, k;
	enum req_path_rc prc = REQ_PATH_OK;
	int npos, r, rc, json;

	memset(&rs, 0, sizeof(rs));
	if (parse_opts(cmd, "rule", argc, argv, 3, o, pos, 0, &npos) != 0)
		return 2;
	method = opt_val(o, "--method");
	uri = opt_val(o, "--path");
	json = opt_set(o, "--json");
	if (method == NULL || uri == NULL)
		return failf(cmd, "--method and --path are required, such as"
		    " --method GET --path /api/admin/users");
	db = db_default(opt_val(o, "--db"));
	if ((rc = admin_open(cmd, db, 0, &s)) != 0)
		return rc;
	rc = 2;
	if ((r = admin_rules_load(s, &rs)) < 0) {
		store_fail(cmd, db, s);
		goto out;
	}
	if ((valid = calloc(rs.n + 1, sizeof(*valid))) == NULL) {
		fail("out of memory");
		goto out;
	}
	for (i = 0; i < rs.n; i++) {
		if (rs.v[i].why != NULL && invalid_id < 0)
			invalid_id = rs.v[i].t.id;
		if (rs.v[i].why == NULL)
			valid[nv++] = rs.v[i].r;
	}
	/* The same checks as authz_decide, in the same order. */
	for (i = 0; method[i] != '\0'; i++)
		if (!((method[i] >= 'A' && method[i] <= 'Z') ||
		    (method[i] >= 'a' && method[i] <= 'z') ||
		    method[i] == '-' || method[i] == '_'))
			break;
	if (method[i] != '\0' || i == 0 || i > AUTHZ_MAX_METHOD)
		refused = "bad_method";
	else if ((prc = req_path_canon(uri, strlen(uri), path, sizeof(path),
	    &pn)) != REQ_PATH_OK)
		refused = req_path_rc_name(prc);
	else if (invalid_id >= 0)
		refused = "rules_invalid";
	else
		m = policy_match(valid, nv, method, strlen(method), path, pn);
	if (json) {
		cJSON *doc = cJSON_CreateObject(), *x, *also;

		if (doc == NULL) {
			fail("out of memory");
			goto out;
		}
		json_str_or_null(doc, "path", refused == NULL ? path : NULL);
		json_str_or_null(doc, "refused", refused);
		if (m != NULL && (x = cJSON_AddObjectToObject(doc, "rule")) !=
		    NULL) {
			cJSON_AddNumberToObject(x, "id", (double)m->id);
			cJSON_AddNumberToObject(x, "priority",
			    (double)m->priority);
			cJSON_AddStringToObject(x, "path", m->path);
			cJSON_AddStringToObject(x, "access",
			    policy_access_name(m->access));
			json_str_or_null(x, "min_role",
			    policy_role_name(m->min_role));
		} else {
			cJSON_AddNullToObject(doc, "rule");
		}
		if (refused == NULL)
			cJSON_AddStringToObject(doc, "access",
			    policy_access_name(m != NULL ? m->access :
			    ACCESS_AUTHENTICATED));
		also = cJSON_AddArrayToObject(doc, "also_matching");
		for (k = 0; refused == NULL && m != NULL && also != NULL &&
		    k < nv; k++)
			if (valid[k].id != m->id && valid + k > m &&
			    policy_match(&valid[k], 1, method, strlen(method),
			    path, pn) != NULL)
				cJSON_AddItemToArray(also, cJSON_CreateNumber(
				    (double)valid[k].id));
		if (print_json(doc) != 0)
			goto out;
	} else if (refused != NULL) {
		if (invalid_id >= 0 && strcmp(refused, "rules_invalid") == 0)
			printf("refused: 503 rules_invalid: rule %lld is"
			    " invalid, so every request gets 503 (see 'authgate"
			    " rule list')\n", invalid_id);
		else
			printf("refused: 400 %s: the request is answered 400"
			    " before any rule is tried\n", refused);
	} else {
		printf("path: %s\n", path);
		if (m != NULL) {
			printf("rule: id=%lld priority=%lld path=%s access=%s\n",
			    m->id, m->priority, m->path,
			    policy_access_name(m->access));
			printf("min_role: %s\n", m->min_role != ROLE_NONE ?
			    policy_role_name(m->min_role) : "-");
			for (k = 0; k < nv; k++)
				if (valid + k > m && policy_match(&valid[k], 1,
				    method, strlen(method), path, pn) != NULL)
					printf("also matches (never reached"
					    " for this request): rule %lld"
					    " (%s)\n", valid[k].id,
					    valid[k].path);
		} else {
			printf("rule: default (authenticated)\n");
		}
	}
	rc = refused != NULL ? 1 : 0;
out:
	free(valid);
	admin_rules_free(&rs);
	return admin_close(cmd, db, s, 0, rc);
}

static int
cmd_rule(int argc, char **argv)
{
	const char *sub = argc > 2 ? argv[2] : NULL;

	if (sub == NULL)
		return failf("rule", "which one: list, add, set, rm or test? see 'authgate rule"
		    " --help'");
	if (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0 ||
	    strcmp(sub, "help") == 0 || wants_help(argc, argv, 3)) {
		fputs(usage_rule, stdout);
		return 0;
	}
	if (strcmp(sub, "list") == 0)
		return rule_list(argc, argv);
	if (strcmp(sub, "add") == 0)
		return rule_write(argc, argv, 1);
	if (strcmp(sub, "set") == 0)
		return rule_write(argc, argv, 0);
	if (strcmp(sub, "rm") == 0)
		return rule_rm(argc, argv);
	if (strcmp(sub, "test") == 0)
		return rule_test(argc, argv);
	return failf("rule", "unknown subcommand '%.64s'; use list, add, set,"
	    " rm or test", sub);
}

/* ------------------------------------------------------------------ */
/* stats */

static void
size_text(long long bytes, char *out, size_t sz)
{
	if (bytes < 0)
		snprintf(out, sz, "-");
	else if (bytes < 10 * 1024)
		snprintf(out, sz, "%lld B", bytes);
	else if (bytes < 10LL * 1024 * 1024)
		snprintf(out, sz, "%.1f KiB", bytes / 1024.0);
	else
		snprintf(out, sz, "%.1f MiB", bytes / 1048576.0);
}

static long long
file_size(const char *path, const char *suffix)
{
	char p[PATH_MAX + 8];
	struct stat st;

	snprintf(p, sizeof(p), "%s%s", path, suffix);
	return stat(p, &st) == 0 ? (long long)st.st_size : -1;
}

static void
count_text(long long v, char *out, size_t sz)
{
	if (v < 0)
		snprintf(out, sz, "- (no table)");
	else
		snprintf(out, sz, "%lld", v);
}

static void
json_count(cJSON *o, const char *name, long long v)
{
	if (v < 0)
		cJSON_AddNullToObject(o, name);
	else
		cJSON_AddNumberToObject(o, name, (double)v);
}

static int
cmd_stats(int argc, char **argv)
{
	static const char *cmd = "stats";
	struct opt o[] = {
		{ "--db", OPT_VALUE, NULL, 0 }, { "--json", OPT_FLAG, NULL, 0 },
		{ NULL, OPT_FLAG, NULL, 0 }
	};
	struct store_stats st;
	struct store *s = NULL;
	const char *pos[1], *db;
	char a[64], b[64], c[64], type[STORE_MAX_NAME + 1];
	long long main_sz, wal_sz;
	int npos, rc;

	if (wants_help(argc, argv, 2)) {
		fputs(usage_stats, stdout);
		return 0;
	}
	if (parse_opts(cmd, "stats", argc, argv, 2, o, pos, 0, &npos) != 0)
		return 2;
	db = db_default(opt_val(o, "--db"));
	if ((rc = admin_open(cmd, db, 0, &s)) != 0)
		return rc;
	if (store_stats_get(s, util_now_ms(), &st) != 0) {
		rc = store_fail(cmd, db, s);
		return admin_close(cmd, db, s, 0, rc);
	}
	main_sz = file_size(db, "");
	wal_sz = file_size(db, "-wal");
	if (opt_set(o, "--json")) {
		cJSON *doc = cJSON_CreateObject();

		if (doc == NULL)
			return admin_close(cmd, db, s, 0, fail("out of memory"));
		cJSON_AddStringToObject(doc, "database", db);
		json_count(doc, "users", st.users);
		json_count(doc, "organizations", st.organizations);
		json_count(doc, "members", st.members);
		json_count(doc, "sessions", st.sessions);
		json_count(doc, "sessions_live", st.sessions_live);
		json_count(doc, "api_keys", st.keys);
		json_count(doc, "api_keys_enabled", st.keys_enabled);
		json_count(doc, "rules", st.rules);
		json_count(doc, "events", st.events);
		json_count(doc, "events_24h", st.events_24h);
		json_str_or_null(doc, "last_event_at", st.last_event_at);
		json_str_or_null(doc, "last_event_type", st.last_event_type);
		cJSON_AddStringToObject(doc, "journal_mode", st.journal_mode);
		cJSON_AddNumberToObject(doc, "schema_version",
		    st.schema_version);
		json_count(doc, "file_bytes", main_sz);
		json_count(doc, "wal_bytes", wal_sz);
		cJSON_AddNumberToObject(doc, "pages", (double)st.page_count);
		cJSON_AddNumberToObject(doc, "page_size", (double)st.page_size);
		cJSON_AddNumberToObject(doc, "free_pages", (double)st.freelist);
		cJSON_AddNumberToObject(doc, "views", st.views);
		rc = print_json(doc);
		return admin_close(cmd, db, s, 0, rc);
	}
	printf("database: %s\n", db);
	size_text(main_sz, a, sizeof(a));
	size_text(wal_sz, b, sizeof(b));
	printf("file size: %s (wal %s, %lld of %lld pages free)\n", a, b,
	    st.freelist, st.page_count);
	printf("schema version: %d\n", st.schema_version);
	printf("journal mode: %s\n", st.journal_mode);
	count_text(st.users, a, sizeof(a));
	printf("users: %s\n", a);
	count_text(st.organizations, a, sizeof(a));
	printf("organizations: %s\n", a);
	count_text(st.members, a, sizeof(a));
	printf("members: %s\n", a);
	count_text(st.sessions_live, a, sizeof(a));
	count_text(st.sessions, b, sizeof(b));
	printf("live sessions: %s (of %s)\n", a, b);
	count_text(st.keys_enabled, a, sizeof(a));
	count_text(st.keys, b, sizeof(b));
	printf("enabled api keys: %s (of %s)\n", a, b);
	count_text(st.rules, a, sizeof(a));
	printf("rules: %s\n", a);
	count_text(st.events_24h, a, sizeof(a));
	count_text(st.events, c, sizeof(c));
	printf("webhook events, last 24 h: %s (%s kept)\n", a, c);
	if (st.last_event_at[0] != '\0')
		printf("last event: %s (%s)\n", st.last_event_at,
		    term(st.last_event_type, type, sizeof(type)));
	else
		printf("last event: none\n");
	return admin_close(cmd, db, s, 0, 0);
}

/* ------------------------------------------------------------------ */
/* doctor */

static int
cmd_doctor(int argc, char **argv)
{
	static const char *cmd = "doctor";
	static struct admin_report rep;
	struct opt o[] = {
		{ "--user", OPT_VALUE, NULL, 0 },
		{ "--secret-file", OPT_VALUE, NULL, 0 },
		{ "--webhook-secret-file", OPT_VALUE, NULL, 0 },
		{ "--db", OPT_VALUE, NULL, 0 }, { "--json", OPT_FLAG, NULL, 0 },
		{ NULL, OPT_FLAG, NULL, 0 }
	};
	struct store *s = NULL;
	const char *pos[1], *db, *user, *v, *m;
	char err[512];
	size_t i;
	int npos, exists;

	if (wants_help(argc, argv, 2)) {
		fputs(usage_doctor, stdout);
		return 0;
	}
	if (parse_opts(cmd, "doctor", argc, argv, 2, o, pos, 0, &npos) != 0)
		return 2;
	db = db_default(opt_val(o, "--db"));
	user = opt_val(o, "--user");
	if (user == NULL)
		user = "www-data";
	if (!valid_id(user))
		return failf(cmd, "--user takes an account name such as"
		    " www-data");
	/* The flags stand for the server's environment, as serve's do. */
	if ((v = opt_val(o, "--secret-file")) != NULL &&
	    (unsetenv("BETTER_AUTH_SECRET") != 0 ||
	    setenv("BETTER_AUTH_SECRET_FILE", v, 1) != 0))
		return fail("out of memory");
	if ((v = opt_val(o, "--webhook-secret-file")) != NULL &&
	    (unsetenv("AUTHGATE_WEBHOOK_SECRET") != 0 ||
	    setenv("AUTHGATE_WEBHOOK_SECRET_FILE", v, 1) != 0))
		return fail("out of memory");

	memset(&rep, 0, sizeof(rep));
	admin_doctor_files(&rep, db, user, &exists);
	admin_doctor_secrets(&rep, user);
	if (exists) {
		if (store_open(&s, db, STORE_READONLY, err, sizeof(err)) != 0) {
			admin_report_add(&rep, ADMIN_FAIL, "db.open", NULL,
			    "%s", err);
		} else {
			store_set_quiet(s, 1);
			if (store_admin_begin(s, 0) != 0) {
				store_last_error(s, &m);
				admin_report_add(&rep, ADMIN_FAIL, "db.open",
				    "check the file with 'sqlite3 DB"
				    " \"pragma quick_check\"' or restore a"
				    " backup", "cannot read %s: %s", db, m);
			} else {
				admin_doctor_store(&rep, s, db, util_now_ms());
				store_admin_end(s, 0);
			}
			store_close(s);
		}
	}
	if (opt_set(o, "--json")) {
		cJSON *doc = cJSON_CreateObject(), *arr, *f;

		if (doc == NULL)
			return fail("out of memory");
		cJSON_AddStringToObject(doc, "database", db);
		cJSON_AddStringToObject(doc, "user", user);
		cJSON_AddNumberToObject(doc, "ok", (double)rep.count[ADMIN_OK]);
		cJSON_AddNumberToObject(doc, "warnings",
		    (double)rep.count[ADMIN_WARN]);
		cJSON_AddNumberToObject(doc, "failures",
		    (double)rep.count[ADMIN_FAIL]);
		arr = cJSON_AddArrayToObject(doc, "findings");
		for (i = 0; arr != NULL && i < rep.n; i++) {
			if ((f = cJSON_CreateObject()) == NULL)
				break;
			cJSON_AddStringToObject(f, "level",
			    admin_level_name(rep.f[i].level));
			cJSON_AddStringToObject(f, "check", rep.f[i].check);
			cJSON_AddStringToObject(f, "what", rep.f[i].what);
			json_str_or_null(f, "fix", rep.f[i].fix);
			cJSON_AddItemToArray(arr, f);
		}
		if (print_json(doc) != 0)
			return 2;
	} else {
		for (i = 0; i < rep.n; i++) {
			char what[ADMIN_MAX_TEXT], fix[ADMIN_MAX_TEXT];

			if (rep.f[i].fix[0] != '\0')
				printf("%s: %s — fix: %s\n",
				    admin_level_name(rep.f[i].level),
				    term(rep.f[i].what, what, sizeof(what)),
				    term(rep.f[i].fix, fix, sizeof(fix)));
			else
				printf("%s: %s\n",
				    admin_level_name(rep.f[i].level),
				    term(rep.f[i].what, what, sizeof(what)));
		}
		printf("doctor: %zu ok, %zu warning%s, %zu failure%s\n",
		    rep.count[ADMIN_OK], rep.count[ADMIN_WARN],
		    rep.count[ADMIN_WARN] == 1 ? "" : "s",
		    rep.count[ADMIN_FAIL],
		    rep.count[ADMIN_FAIL] == 1 ? "" : "s");
	}
	return rep.count[ADMIN_FAIL] > 0 ? 1 : 0;
}

/* ------------------------------------------------------------------ */

int
cli_main(int argc, char **argv)
{
	const char *c = argv[1];

	if (strcmp(c, "help") == 0 || strcmp(c, "--help") == 0 ||
	    strcmp(c, "-h") == 0) {
		fputs(usage, stdout);
		return 0;
	}
	if (strcmp(c, "version") == 0 || strcmp(c, "--version") == 0) {
		printf("authgate %s\n", AUTHGATE_VERSION);
		return 0;
	}
	if (strcmp(c, "init") == 0)
		return cmd_init(argc, argv);
	if (strcmp(c, "check") == 0)
		return cmd_check(argc, argv);
	if (strcmp(c, "key") == 0)
		return cmd_key(argc, argv);
	if (strcmp(c, "rule") == 0)
		return cmd_rule(argc, argv);
	if (strcmp(c, "stats") == 0)
		return cmd_stats(argc, argv);
	if (strcmp(c, "doctor") == 0)
		return cmd_doctor(argc, argv);
	if (strcmp(c, "cookie") == 0)
		return cmd_cookie(argc, argv);
	if (strcmp(c, "import") == 0)
		return cmd_import(argc, argv);
	fprintf(stderr, "authgate: unknown command '%s'; see 'authgate"
	    " --help'\n", c);
	return 2;
}
