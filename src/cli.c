/*
 * cli.c - `authgate <command>`: the dispatch, and init, stats, doctor,
 * import, cookie, help, version (check, key and rule have files of their
 * own). Parses arguments and prints; the decisions live in authz.c and
 * admin.c, the SQL in the store_*.c files.
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
#include "follow.h"
#include "cli_util.h"
#include "config.h"
#include "doctor.h"
#include "credential.h"
#include "event.h"
#include "reply.h"
#include "schema.h"
#include "store_admin.h"
#include "usage.h"
#include "webhook.h"

#ifndef AUTHGATE_VERSION
#define AUTHGATE_VERSION "0.1.0"
#endif

#define SCHEMA_MARKER	"-- @authgate-tables"

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
"  member add|list|remove    organizations and roles of NextAuth / Auth.js\n"
"                            users, by user id or e-mail (see 'authgate\n"
"                            member --help')\n"
"  rule list [--json]        the rules in the order they are tried, with\n"
"                            invalid and unreachable ones marked\n"
"  rule add --path GLOB --access A [--method M] [--min-role R]\n"
"        [--permission P] [--on-deny D] [--redirect-to P]\n"
"        [--priority N] [--note T] [--force]\n"
"                            add a rule (validated; refused if it could\n"
"                            never match or hides another, unless --force)\n"
"  rule set ID [the flags of add]\n"
"                            change a rule the same way\n"
"  rule rm ID                remove a rule\n"
"  rule test --method M --path P [--json]\n"
"                            which rule a request meets (no credentials)\n"
"  stats [--json]            counts, journal mode, size, last event\n"
"  doctor [--user U] [--group G] [--secret-file F]\n"
"        [--webhook-secret-file F] [--json]\n"
"                            check a deployment as web server account U\n"
"                            (default www-data; --group G: as serve --user\n"
"                            U --group G runs); exit 1 if a check fails\n"
"  import FILE.json [--db PATH]\n"
"                            load a snapshot (arrays users, organizations,\n"
"                            members, sessions, apiKeys in the webhook\n"
"                            object shapes) in one transaction\n"
"  export [--db PATH]        the snapshot import reads back, on stdout\n"
"  follow [--name N] [--reset]\n"
"                            multi-host: apply what other hosts publish to\n"
"                            NATS JetStream (docs/multihost.md)\n"
"  cookie TOKEN              print the signed session cookie better-auth\n"
"                            would set for TOKEN (uses BETTER_AUTH_SECRET)\n"
"  serve --listen ADDR [--workers N] [--user U] [--group G]\n"
"        [--db PATH] [--secret-file F] [--webhook-secret-file F]\n"
"        [--cookie-prefix P] [--check-path P] [--webhook-path P]\n"
"        [--max-body N] [--trust-forwarded 0|1] [--case-sensitive 0|1]\n"
"        [--state-file F] [--fail-limit N] [--fail-window S]\n"
"        [--fail-cooldown S] [--public] [--unsigned-sessions]\n"
"        [--nextauth-secret-file F] [--auth-secret-file F]\n"
"        [--auth-secret-1-file F] [--auth-secret-2-file F]\n"
"        [--auth-secret-3-file F] [--trust-cookie-cache 0|1]\n"
"        [--nats-url U] [--nats-subject S] [--nats-stream S]\n"
"        [--nats-creds F] [--nats-ca F] [--nats-cert F] [--nats-key F]\n"
"        [--nats-timeout-ms N] [--nats-replicas N] [--nats-max-age S]\n"
"        [--cluster-key-file F]\n"
"                            listen on 127.0.0.1:PORT, [::1]:PORT or a unix\n"
"                            socket (mode 0660, owner U, group G; another\n"
"                            address only with --public) with N\n"
"                            worker processes (default 2); restarts dead\n"
"                            workers; SIGTERM finishes requests in flight.\n"
"                            As root, --user is required (root is dropped)\n"
"  help, --help              this text\n"
"  version, --version        the version\n"
"\n"
"environment:\n"
"  AUTHGATE_DB               database file (default db/authgate.db)\n"
"  BETTER_AUTH_SECRET        secret that signs session cookies (32 bytes or\n"
"                            more); unset: cookie signatures are not\n"
"                            checked (warning); set but empty: refused\n"
"  BETTER_AUTH_SECRET_FILE   read that secret from a file instead\n"
"  AUTHGATE_UNSIGNED_SESSIONS 1: run without a session secret on purpose\n"
"                            (an empty BETTER_AUTH_SECRET is then accepted)\n"
"  AUTHGATE_COOKIE_PREFIX    cookie prefix (default better-auth): cookies\n"
"                            <prefix>.session_token and\n"
"                            __Secure-<prefix>.session_token\n"
"  AUTHGATE_CHECK_PATH       check endpoint path (default /_authgate/check)\n"
"  AUTHGATE_WEBHOOK_PATH     webhook path (default /webhooks/optare)\n"
"  AUTHGATE_MAX_BODY         webhook body limit in bytes (default 1048576)\n"
"  AUTHGATE_HEALTH_PATH      health endpoint path, responder role only\n"
"                            (default /_authgate/health)\n"
"  AUTHGATE_METRICS_PATH     Prometheus metrics path, responder role only\n"
"                            (default /_authgate/metrics)\n"
"  AUTHGATE_METRICS_FILE     counters file shared by the processes a web\n"
"                            server spawns (serve shares its own page)\n"
"  AUTHGATE_TRUST_FORWARDED  1: the check endpoint may take the original\n"
"                            request from X-Forwarded-Uri/-Method (only\n"
"                            behind a proxy that overwrites them)\n"
"  AUTHGATE_CASE_SENSITIVE   1: rules match letter case exactly (default 0:\n"
"                            /API/Admin meets the rule for /api/admin)\n"
"  NEXTAUTH_SECRET           NextAuth v4's secret: accept its JWT session\n"
"                            cookies (next-auth.session-token)\n"
"  AUTH_SECRET, AUTH_SECRET_1..AUTH_SECRET_3\n"
"                            Auth.js v5's secrets (rotation: any opens a\n"
"                            cookie): accept authjs.session-token JWTs\n"
"  NEXTAUTH_SECRET_FILE, AUTH_SECRET_FILE, AUTH_SECRET_N_FILE\n"
"                            the same secrets from files (not both)\n"
"  AUTHGATE_TRUST_COOKIE_CACHE 1: decide from better-auth's cookie cache\n"
"                            (<prefix>.session_data) without a session\n"
"                            lookup; a revoked session passes until the\n"
"                            cache cookie expires (default 0)\n"
"  AUTHGATE_WEBHOOK_SECRET, AUTHGATE_WEBHOOK_SECRET_FILE\n"
"                            webhook signing secrets (see docs/idp.md)\n"
"  AUTHGATE_STATE_FILE       the host's API-key use counts and client bans,\n"
"                            shared by every process (default AUTHGATE_DB\n"
"                            with .state appended; see docs/limits.md)\n"
"  AUTHGATE_FAIL_LIMIT       failed credentials one client address may send\n"
"                            per window before a ban (default 20; 0: off)\n"
"  AUTHGATE_FAIL_WINDOW      that window in seconds (default 60)\n"
"  AUTHGATE_FAIL_COOLDOWN    the ban in seconds (default 300)\n"
"\n"
"check endpoint parameters (set by the server config, never by clients):\n"
"  AUTHGATE_MODE=check, AUTHGATE_ORIGINAL_URI, AUTHGATE_ORIGINAL_METHOD,\n"
"  AUTHGATE_REDIRECT_VIA_401=1 (nginx: a redirect comes as 401 + Location)\n"
"  AUTHGATE_CLIENT_ADDR (any role: the client's address for the throttle\n"
"  instead of REMOTE_ADDR, behind a trusted proxy)\n"
"\n"
"exit codes: 0 success (check: allow), 1 check: deny, rule test: refused,\n"
"doctor: a check failed; 2 usage or store error.\n";

static const char usage_init[] =
"usage: authgate init [--db PATH]\n"
"Creates the database (mode 0660 at most) or migrates it, and the views\n"
"for the sqlite3 shell; idempotent. On a better-auth database it adds\n"
"only the authgate_* tables and views. The only command that creates a\n"
"database file.\n";

static const char usage_import[] =
"usage: authgate import [--db PATH] [--] FILE.json\n"
"Loads a snapshot in one transaction: a JSON object whose only keys are\n"
"the arrays users, organizations, members (or memberships), sessions and\n"
"apiKeys (or api_keys), each at most once, of the webhook object shapes.\n"
"Any bad object, unknown or repeated key: nothing is imported, exit 2.\n"
"The database must exist ('authgate init' first).\n";

static const char usage_cookie[] =
"usage: authgate cookie [--] TOKEN\n"
"Prints the session cookie better-auth would set for TOKEN (1 to 255\n"
"bytes), signed with BETTER_AUTH_SECRET (or BETTER_AUTH_SECRET_FILE).\n"
"A TOKEN that starts with '-' goes after '--'.\n";

static const char usage_stats[] =
"usage: authgate stats [--json] [--db PATH]\n"
"users, organizations, members, live sessions, enabled keys, rules,\n"
"webhook events in the last 24 h and the last one, journal mode, file\n"
"size, schema version.\n";

static const char usage_doctor[] =
"usage: authgate doctor [--user U] [--group G] [--secret-file F]\n"
"                       [--webhook-secret-file F] [--json] [--db PATH]\n"
"Checks a deployment as the web server account U (default www-data), with\n"
"its groups as a server that spawns authgate gives them; with --group G,\n"
"as 'authgate serve --user U --group G' runs it (G alone). A fix names\n"
"only groups that exist (G, or U's primary group: nogroup for nobody).\n"
"Checks:\n"
"the database is readable by U through every directory, U can create\n"
"the WAL files, no file is world-readable, the secrets (from the\n"
"environment, or the files given) are set and long enough, the schema\n"
"and the rules are sound, and the clock is sane. Prints one line per\n"
"finding, 'ok|warn|fail: what — fix: how'. Exit 0 without failures, 1\n"
"with any, 2 on a usage error.\n";



/* ------------------------------------------------------------------ */
/* init */

static int
cmd_init(int argc, char **argv)
{
	struct opt o[] = {
		{ "--db", OPT_VALUE, NULL, 0, { NULL } },
		{ NULL, OPT_FLAG, NULL, 0, { NULL } }
	};
	const char *db, *ag, *skipped, *pos[1];
	char err[512], *ba = NULL;
	struct store *s = NULL;
	int rc = 2, v, npos;

	if (opt_wants_help(argc, argv, 2)) {
		fputs(usage_init, stdout);
		return 0;
	}
	if (opt_parse("init", "init", argc, argv, 2, o, pos, 0, &npos) != 0)
		return 2;
	db = cli_db_default(opt_val(o, "--db"));
	if ((ag = strstr(schema_sql, SCHEMA_MARKER)) == NULL)
		return cli_fail("init: built-in schema lacks its marker (build bug)");
	if ((ba = strndup(schema_sql, (size_t)(ag - schema_sql))) == NULL)
		return cli_fail("out of memory");
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

static int
cmd_cookie(int argc, char **argv)
{
	char signed_tok[REQ_MAX_CREDENTIAL + 1], enc[3 * sizeof(signed_tok)];
	struct opt o[] = {
		{ NULL, OPT_FLAG, NULL, 0, { NULL } }
	};
	const char *pos[1], *tok;
	struct config cfg;
	char err[512];
	int rc = 2, npos;

	/* Invariant: "--help" or any other option is never signed as a
	 * token; a token that starts with '-' comes after "--". */
	if (opt_wants_help(argc, argv, 2)) {
		fputs(usage_cookie, stdout);
		return 0;
	}
	if (opt_parse("cookie", "cookie", argc, argv, 2, o, pos, 1,
	    &npos) != 0)
		return 2;
	if (npos != 1)
		return cli_fail("cookie: which TOKEN? usage: authgate cookie"
		    " [--] TOKEN");
	tok = pos[0];
	if (config_load(&cfg, err, sizeof(err)) != 0)
		return cli_fail(err);
	if (cfg.secret_n == 0) {
		config_wipe(&cfg);
		return cli_fail("cookie: set BETTER_AUTH_SECRET (or"
		    " BETTER_AUTH_SECRET_FILE) first");
	}
	if (config_secret_len_ok(cfg.secret_n, "BETTER_AUTH_SECRET", err,
	    sizeof(err)) != 0) {
		config_wipe(&cfg);
		return cli_failf("cookie", "%s", err);
	}
	if (strlen(tok) == 0 || strlen(tok) > 255)
		goto out;
	if (cred_session_sign(tok, strlen(tok), cfg.secret,
	    cfg.secret_n, signed_tok, sizeof(signed_tok)) == 0 ||
	    /* encodeURIComponent, as better-auth sets it */
	    req_percent_encode(signed_tok, strlen(signed_tok), "-_.!~*'()",
	    enc, sizeof(enc)) == 0)
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
	struct opt o[] = {
		{ "--db", OPT_VALUE, NULL, 0, { NULL } },
		{ NULL, OPT_FLAG, NULL, 0, { NULL } }
	};
	const char *db, *file, *pos[1];
	struct store *s = NULL;
	char err[512], *json = NULL;
	FILE *f = NULL;
	long n;
	int rc = 2, npos, v;

	if (opt_wants_help(argc, argv, 2)) {
		fputs(usage_import, stdout);
		return 0;
	}
	if (opt_parse("import", "import", argc, argv, 2, o, pos, 1,
	    &npos) != 0)
		return 2;
	if (npos == 0)
		return cli_fail("import: which file? usage: authgate import"
		    " [--db PATH] [--] FILE.json");
	file = pos[0];
	db = cli_db_default(opt_val(o, "--db"));
	if ((f = fopen(file, "rb")) == NULL) {
		fprintf(stderr, "authgate: import: cannot read %s (%s)\n", file,
		    strerror(errno));
		return 2;
	}
	/* Only init creates a database: a mistyped --db is an error. */
	if (cli_db_exists("import", db) != 0)
		goto out;
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
	if (store_open(&s, db, STORE_READWRITE_EXISTING, err,
	    sizeof(err)) != 0) {
		fprintf(stderr, "authgate: import: %s\n", err);
		goto out;
	}
	store_set_quiet(s, 1);
	if (store_admin_begin(s, 0) != 0) {
		rc = cli_store_fail("import", db, s);
		goto out;
	}
	v = store_schema_version(s);
	if (store_admin_end(s, 0) != 0) {
		rc = cli_store_fail("import", db, s);
		goto out;
	}
	if (v <= 0) {
		fprintf(stderr, "authgate: import: %s has no authgate schema;"
		    " run 'authgate init --db %s' first\n", db, db);
		goto out;
	}
	rc = event_import(s, json, (size_t)n) == 0 ? 0 : 2;
out:
	if (f != NULL)
		fclose(f);
	free(json);
	store_close(s);
	return rc;
}

/* ------------------------------------------------------------------ */
/* export */

static const char usage_export[] =
"usage: authgate export [--db PATH]\n"
"Writes a snapshot of the mirror (users, organizations, members,\n"
"sessions, apiKeys with their hashed keys) as JSON on stdout, in the\n"
"shape 'authgate import' reads back: bootstraps another host's mirror\n"
"(docs/multihost.md). It holds session tokens: keep it like the database.\n";

static const char *const export_names[STORE_EXPORT_SECTIONS] = {
	"users", "organizations", "members", "sessions", "apiKeys"
};

static int
export_row_json(void *ctx, int section, const struct store_export_col *c,
    int n)
{
	cJSON *arr = cJSON_GetObjectItemCaseSensitive((cJSON *)ctx,
	    export_names[section]), *o, *v;
	int i;

	if (arr == NULL || (o = cJSON_CreateObject()) == NULL)
		return -1;
	cJSON_AddItemToArray(arr, o);
	for (i = 0; i < n; i++) {
		/* the stored hash goes back as hashedKey (key is a raw key) */
		const char *name = section == 4 && strcmp(c[i].name, "key") ==
		    0 ? "hashedKey" : c[i].name;

		switch (c[i].type) {
		case STORE_EXPORT_INT:
			v = cJSON_CreateNumber((double)c[i].i);
			break;
		case STORE_EXPORT_REAL:
			v = cJSON_CreateNumber(c[i].d);
			break;
		case STORE_EXPORT_TEXT:
			v = cJSON_CreateString(c[i].t);
			break;
		default:
			v = NULL;	/* absent: import keeps its default */
			continue;
		}
		if (v == NULL)
			return -1;
		cJSON_AddItemToObject(o, name, v);
	}
	return 0;
}

static int
cmd_export(int argc, char **argv)
{
	struct opt o[] = {
		{ "--db", OPT_VALUE, NULL, 0, { NULL } },
		{ NULL, OPT_FLAG, NULL, 0, { NULL } }
	};
	const char *db, *pos[1];
	struct store *s = NULL;
	cJSON *root = NULL;
	char err[512], *text = NULL;
	int rc = 2, npos, i;

	if (opt_wants_help(argc, argv, 2)) {
		fputs(usage_export, stdout);
		return 0;
	}
	if (opt_parse("export", "export", argc, argv, 2, o, pos, 0,
	    &npos) != 0)
		return 2;
	db = cli_db_default(opt_val(o, "--db"));
	if (cli_db_exists("export", db) != 0)
		return 2;
	if (store_open(&s, db, STORE_READWRITE_EXISTING, err,
	    sizeof(err)) != 0) {
		fprintf(stderr, "authgate: export: %s\n", err);
		return 2;
	}
	store_set_quiet(s, 1);
	if ((root = cJSON_CreateObject()) == NULL)
		goto out;
	for (i = 0; i < STORE_EXPORT_SECTIONS; i++)
		if (cJSON_AddArrayToObject(root, export_names[i]) == NULL)
			goto out;
	if (store_export(s, export_row_json, root) != 0) {
		rc = cli_store_fail("export", db, s);
		goto out;
	}
	if ((text = cJSON_PrintUnformatted(root)) == NULL ||
	    printf("%s\n", text) < 0 || fflush(stdout) != 0) {
		fprintf(stderr, "authgate: export: cannot write the snapshot\n");
		goto out;
	}
	rc = 0;
out:
	if (text != NULL) {
		OPENSSL_cleanse(text, strlen(text));
		free(text);
	}
	cJSON_Delete(root);
	store_close(s);
	return rc;
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
		{ "--db", OPT_VALUE, NULL, 0, { NULL } },
		{ "--json", OPT_FLAG, NULL, 0, { NULL } },
		{ NULL, OPT_FLAG, NULL, 0, { NULL } }
	};
	struct store_stats st;
	struct store *s = NULL;
	const char *pos[1], *db;
	char a[64], b[64], c[64], type[STORE_MAX_NAME + 1];
	long long main_sz, wal_sz;
	int64_t notes[USAGE_NOTE_N], bans;
	int have_usage;
	int npos, rc;

	if (opt_wants_help(argc, argv, 2)) {
		fputs(usage_stats, stdout);
		return 0;
	}
	if (opt_parse(cmd, "stats", argc, argv, 2, o, pos, 0, &npos) != 0)
		return 2;
	db = cli_db_default(opt_val(o, "--db"));
	if ((rc = cli_admin_open(cmd, db, 0, &s)) != 0)
		return rc;
	if (store_stats_get(s, util_now_ms(), &st) != 0) {
		rc = cli_store_fail(cmd, db, s);
		return cli_admin_close(cmd, db, s, 0, rc);
	}
	main_sz = file_size(db, "");
	wal_sz = file_size(db, "-wal");
	cli_usage_open(db);
	have_usage = usage_totals(notes, &bans) == 0;
	if (opt_set(o, "--json")) {
		cJSON *doc = cJSON_CreateObject();

		if (doc == NULL)
			return cli_admin_close(cmd, db, s, 0, cli_fail("out of memory"));
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
		cli_json_str_or_null(doc, "last_event_at", st.last_event_at);
		cli_json_str_or_null(doc, "last_event_type", st.last_event_type);
		cJSON_AddStringToObject(doc, "journal_mode", st.journal_mode);
		cJSON_AddNumberToObject(doc, "schema_version",
		    st.schema_version);
		json_count(doc, "file_bytes", main_sz);
		json_count(doc, "wal_bytes", wal_sz);
		cJSON_AddNumberToObject(doc, "pages", (double)st.page_count);
		cJSON_AddNumberToObject(doc, "page_size", (double)st.page_size);
		cJSON_AddNumberToObject(doc, "free_pages", (double)st.freelist);
		cJSON_AddNumberToObject(doc, "views", st.views);
		/* the host's state file: answers since it was made */
		json_count(doc, "keys_exhausted_401", have_usage ?
		    notes[USAGE_NOTE_EXHAUSTED] : -1);
		json_count(doc, "keys_rate_limited_429", have_usage ?
		    notes[USAGE_NOTE_RATE_LIMITED] : -1);
		json_count(doc, "clients_throttled_429", have_usage ?
		    notes[USAGE_NOTE_THROTTLED] : -1);
		json_count(doc, "client_bans", have_usage ? bans : -1);
		rc = cli_print_json(doc);
		return cli_admin_close(cmd, db, s, 0, rc);
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
		    cli_term(st.last_event_type, type, sizeof(type)));
	else
		printf("last event: none\n");
	if (have_usage)
		printf("limits (since the state file was made): %lld exhausted"
		    " keys refused (401), %lld rate-limited (429), %lld"
		    " throttled (429), %lld client bans\n",
		    (long long)notes[USAGE_NOTE_EXHAUSTED],
		    (long long)notes[USAGE_NOTE_RATE_LIMITED],
		    (long long)notes[USAGE_NOTE_THROTTLED], (long long)bans);
	return cli_admin_close(cmd, db, s, 0, 0);
}

/* ------------------------------------------------------------------ */
/* doctor */

static int
cmd_doctor(int argc, char **argv)
{
	static const char *cmd = "doctor";
	static struct doctor_report rep;
	struct opt o[] = {
		{ "--user", OPT_VALUE, NULL, 0, { NULL } },
		{ "--group", OPT_VALUE, NULL, 0, { NULL } },
		{ "--secret-file", OPT_VALUE, NULL, 0, { NULL } },
		{ "--webhook-secret-file", OPT_VALUE, NULL, 0, { NULL } },
		{ "--db", OPT_VALUE, NULL, 0, { NULL } },
		{ "--json", OPT_FLAG, NULL, 0, { NULL } },
		{ NULL, OPT_FLAG, NULL, 0, { NULL } }
	};
	struct store *s = NULL;
	const char *pos[1], *db, *user, *group, *v, *m;
	char err[512];
	size_t i;
	int npos, exists;

	if (opt_wants_help(argc, argv, 2)) {
		fputs(usage_doctor, stdout);
		return 0;
	}
	if (opt_parse(cmd, "doctor", argc, argv, 2, o, pos, 0, &npos) != 0)
		return 2;
	db = cli_db_default(opt_val(o, "--db"));
	user = opt_val(o, "--user");
	if (user == NULL)
		user = "www-data";
	if (!cli_valid_id(user))
		return cli_failf(cmd, "--user takes an account name such as"
		    " www-data");
	group = opt_val(o, "--group");
	if (group != NULL && !cli_valid_id(group))
		return cli_failf(cmd, "--group takes a group name such as"
		    " www-data");
	/* The flags stand for the server's environment, as serve's do. */
	if ((v = opt_val(o, "--secret-file")) != NULL &&
	    (unsetenv("BETTER_AUTH_SECRET") != 0 ||
	    setenv("BETTER_AUTH_SECRET_FILE", v, 1) != 0))
		return cli_fail("out of memory");
	if ((v = opt_val(o, "--webhook-secret-file")) != NULL &&
	    (unsetenv("AUTHGATE_WEBHOOK_SECRET") != 0 ||
	    setenv("AUTHGATE_WEBHOOK_SECRET_FILE", v, 1) != 0))
		return cli_fail("out of memory");

	memset(&rep, 0, sizeof(rep));
	doctor_files(&rep, db, user, group, &exists);
	doctor_secrets(&rep, user, group);
	if (exists) {
		if (store_open(&s, db, STORE_READONLY, err, sizeof(err)) != 0) {
			doctor_report_add(&rep, DOCTOR_FAIL, "db.open", NULL,
			    "%s", err);
		} else {
			store_set_quiet(s, 1);
			if (store_admin_begin(s, 0) != 0) {
				store_last_error(s, &m);
				doctor_report_add(&rep, DOCTOR_FAIL, "db.open",
				    "check the file with 'sqlite3 DB"
				    " \"pragma quick_check\"' or restore a"
				    " backup", "cannot read %s: %s", db, m);
			} else {
				doctor_store(&rep, s, db, util_now_ms());
				if (store_admin_end(s, 0) != 0)
					doctor_report_add(&rep, DOCTOR_FAIL,
					    "db.read", NULL, "the read of %s"
					    " did not end cleanly", db);
			}
			store_close(s);
		}
	}
	if (opt_set(o, "--json")) {
		cJSON *doc = cJSON_CreateObject(), *arr, *f;

		if (doc == NULL)
			return cli_fail("out of memory");
		cJSON_AddStringToObject(doc, "database", db);
		cJSON_AddStringToObject(doc, "user", user);
		cJSON_AddNumberToObject(doc, "ok", (double)rep.count[DOCTOR_OK]);
		cJSON_AddNumberToObject(doc, "warnings",
		    (double)rep.count[DOCTOR_WARN]);
		cJSON_AddNumberToObject(doc, "failures",
		    (double)rep.count[DOCTOR_FAIL]);
		arr = cJSON_AddArrayToObject(doc, "findings");
		for (i = 0; arr != NULL && i < rep.n; i++) {
			if ((f = cJSON_CreateObject()) == NULL)
				break;
			cJSON_AddStringToObject(f, "level",
			    doctor_level_name(rep.f[i].level));
			cJSON_AddStringToObject(f, "check", rep.f[i].check);
			cJSON_AddStringToObject(f, "what", rep.f[i].what);
			cli_json_str_or_null(f, "fix", rep.f[i].fix);
			cJSON_AddItemToArray(arr, f);
		}
		if (cli_print_json(doc) != 0)
			return 2;
	} else {
		for (i = 0; i < rep.n; i++) {
			char what[DOCTOR_MAX_TEXT], fix[DOCTOR_MAX_TEXT];

			if (rep.f[i].fix[0] != '\0')
				printf("%s: %s — fix: %s\n",
				    doctor_level_name(rep.f[i].level),
				    cli_term(rep.f[i].what, what, sizeof(what)),
				    cli_term(rep.f[i].fix, fix, sizeof(fix)));
			else
				printf("%s: %s\n",
				    doctor_level_name(rep.f[i].level),
				    cli_term(rep.f[i].what, what, sizeof(what)));
		}
		printf("doctor: %zu ok, %zu warning%s, %zu failure%s\n",
		    rep.count[DOCTOR_OK], rep.count[DOCTOR_WARN],
		    rep.count[DOCTOR_WARN] == 1 ? "" : "s",
		    rep.count[DOCTOR_FAIL],
		    rep.count[DOCTOR_FAIL] == 1 ? "" : "s");
	}
	return rep.count[DOCTOR_FAIL] > 0 ? 1 : 0;
}

/* ------------------------------------------------------------------ */

int
cli_main(int argc, char **argv)
{
	const char *c = argv[1];

	if (strcmp(c, "help") == 0 || strcmp(c, "--help") == 0 ||
	    strcmp(c, "-h") == 0 || strcmp(c, "version") == 0 ||
	    strcmp(c, "--version") == 0) {
		struct opt o[] = { { NULL, OPT_FLAG, NULL, 0, { NULL } } };
		const char *pos[1];
		int npos, help = c[0] == 'h' || strcmp(c, "--help") == 0 ||
		    strcmp(c, "-h") == 0;

		if (!opt_wants_help(argc, argv, 2) &&
		    opt_parse(help ? "help" : "version", help ? "help" :
		    "version", argc, argv, 2, o, pos, 0, &npos) != 0)
			return 2;
		if (help || opt_wants_help(argc, argv, 2))
			fputs(usage, stdout);
		else
			printf("authgate %s\n", AUTHGATE_VERSION);
		return 0;
	}
	if (strcmp(c, "init") == 0)
		return cmd_init(argc, argv);
	if (strcmp(c, "check") == 0)
		return cli_check_main(argc, argv);
	if (strcmp(c, "key") == 0)
		return cli_key_main(argc, argv);
	if (strcmp(c, "rule") == 0)
		return cli_rule_main(argc, argv);
	if (strcmp(c, "member") == 0)
		return cli_member_main(argc, argv);
	if (strcmp(c, "stats") == 0)
		return cmd_stats(argc, argv);
	if (strcmp(c, "doctor") == 0)
		return cmd_doctor(argc, argv);
	if (strcmp(c, "cookie") == 0)
		return cmd_cookie(argc, argv);
	if (strcmp(c, "import") == 0)
		return cmd_import(argc, argv);
	if (strcmp(c, "export") == 0)
		return cmd_export(argc, argv);
	if (strcmp(c, "follow") == 0)
		return follow_main(argc, argv);
	fprintf(stderr, "authgate: unknown command '%s'; see 'authgate"
	    " --help'\n", c);
	return 2;
}
