/*
 * cli.c - `authgate <command>`: init, check, cookie, help, version.
 *
 * Trusts its arguments no more than a request. Errors are one line on
 * stderr that says what to do. Never prints a secret; `cookie` prints a
 * signed cookie for a token the admin chose, which is the point of it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

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
"commands:\n"
"  init [--db PATH]          create or migrate the schema (idempotent); on\n"
"                            a better-auth database add only authgate_*\n"
"  check --method M --path P [--cookie C] [--bearer K] [--header 'N: V']\n"
"        [--db PATH]         decide one request offline with the live code\n"
"                            and explain it; exit 0 allow, 1 deny, 2 error.\n"
"                            --cookie takes a Cookie header, or a bare\n"
"                            session cookie value\n"
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
"  AUTHGATE_REDIRECT_VIA_401=1 (nginx: a redirect comes as 401 + Location)\n";

static int
fail(const char *msg)
{
	fprintf(stderr, "authgate: %s\n", msg);
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

static int
cmd_init(int argc, char **argv)
{
	const char *db = NULL, *ag;
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
	if (db == NULL && (db = getenv("AUTHGATE_DB")) == NULL)
		db = CONFIG_DEFAULT_DB;
	if ((ag = strstr(schema_sql, SCHEMA_MARKER)) == NULL)
		return fail("init: built-in schema lacks its marker (build bug)");
	if ((ba = strndup(schema_sql, (size_t)(ag - schema_sql))) == NULL)
		return fail("out of memory");
	if (store_open(&s, db, STORE_READWRITE, err, sizeof(err)) != 0) {
		fprintf(stderr, "authgate: init: %s (does the directory"
		    " exist, and may you write to it?)\n", err);
		goto out;
	}
	if (store_init(s, ba, ag, err, sizeof(err)) != 0) {
		fprintf(stderr, "authgate: init: %s: %s\n", db, err);
		goto out;
	}
	v = store_schema_version(s);
	printf("authgate: %s ready (schema version %d)\n", db, v);
	rc = 0;
out:
	free(ba);
	store_close(s);
	return rc;
}

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
	if (db == NULL && (db = getenv("AUTHGATE_DB")) == NULL)
		db = CONFIG_DEFAULT_DB;
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
	const char *db = NULL, *v;
	char err[512];
	int i, rc = 2;
	size_t n;

	memset(&in, 0, sizeof(in));
	for (i = 2; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--method") == 0 || strcmp(a, "--path") == 0 ||
		    strcmp(a, "--cookie") == 0 || strcmp(a, "--bearer") == 0 ||
		    strcmp(a, "--header") == 0 || strcmp(a, "--db") == 0) {
			if ((v = flag_value(argc, argv, &i)) == NULL)
				return 2;
		} else {
			fprintf(stderr, "authgate: check: unknown option %s;"
			    " see 'authgate --help'\n", a);
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
		} else {
			db = v;
		}
	}
	if (in.method.p == NULL || in.uri.p == NULL)
		return fail("check: --method and --path are required");
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
	authz_decide(&az, &in, &d);
	printf("outcome: %s\n", d.status == 200 ? "allow" : "deny");
	printf("status: %d\n", d.status);
	printf("reason: %s\n", d.reason);
	if (d.rule_id >= 0)
		printf("rule: id=%lld priority=%lld path=%s access=%s\n",
		    d.rule_id, d.rule_priority, d.rule_path,
		    policy_access_name(d.access));
	else
		printf("rule: default (authenticated)\n");
	print_identity(&d.id);
	n = reply_decision(&d, REPLY_AUTHORIZER, reply, sizeof(reply));
	printf("reply:\n");
	fwrite(reply, 1, n, stdout);
	if (d.status == 503) {
		fprintf(stderr, "authgate: check: store %s unavailable (see"
		    " the log line above)\n", cfg.db);
		rc = 2;
	} else {
		rc = d.status == 200 ? 0 : 1;
	}
out:
	authz_fini(&az);
	store_close(s);
	config_wipe(&cfg);
	return rc;
}

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
	if (strcmp(c, "cookie") == 0)
		return cmd_cookie(argc, argv);
	if (strcmp(c, "import") == 0)
		return cmd_import(argc, argv);
	fprintf(stderr, "authgate: unknown command '%s'; see 'authgate"
	    " --help'\n", c);
	return 2;
}
