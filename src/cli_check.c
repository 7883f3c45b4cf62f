/*
 * cli_check.c - `authgate check`: the live decision, offline. Builds the
 * authz_input a server would pass from flags, calls authz_decide (the
 * same function the request loop calls, so the explanation is the
 * decision) and prints the outcome, the reason, the rule, the identity
 * and the reply, as text or as JSON from the reply's own shape.
 *
 * Trusts its flags no more than a request: a header it does not know is
 * refused, values are bounded. Never prints the cookie, key or secret it
 * was given.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <openssl/crypto.h>

#include "authz.h"
#include "cli_util.h"
#include "config.h"
#include "credential.h"
#include "reply.h"
#include "store_read.h"

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
		{ "x-http-method-override", &in->overrides[0] },
		{ "x-http-method", &in->overrides[1] },
		{ "x-method-override", &in->overrides[2] },
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
	cli_json_str_or_null(o, "user_id", id->user_id);
	cli_json_str_or_null(o, "email", id->email);
	cli_json_str_or_null(o, "name", id->name);
	cli_json_str_or_null(o, "org_id", id->org_id);
	cli_json_str_or_null(o, "org_slug", id->org_slug);
	cli_json_str_or_null(o, "role", id->role);
	cli_json_str_or_null(o, "roles", id->roles);
	cli_json_str_or_null(o, "method", id->method);
	cli_json_str_or_null(o, "session_id", id->session_id);
	cli_json_str_or_null(o, "api_key_id", id->api_key_id);
	cli_json_str_or_null(o, "expires_at", id->expires_at);
	cli_json_str_or_null(o, "remote_user", id->remote_user);
	cli_json_str_or_null(o, "permissions", id->perms);
	return o;
}

/* The reply as JSON: {"headers": {name: value}, "body": text}, from the
 * same shape the server renders (reply_shape), not parsed back. */
static void
reply_json_into(cJSON *doc, const struct authz_decision *d,
    enum reply_style rs)
{
	struct reply_shape sh;
	cJSON *h = cJSON_AddObjectToObject(doc, "headers");
	char body[6 * sizeof(d->message) + 16];
	size_t i;

	reply_shape(d, rs, &sh);
	snprintf(body, sizeof(body), "%d %s", sh.status,
	    reply_status_text(sh.status));
	if (h != NULL)
		cJSON_AddStringToObject(h, "Status", body);
	for (i = 0; h != NULL && i < sh.n && i < REPLY_MAX_HEADERS; i++)
		cJSON_AddStringToObject(h, sh.h[i].name, sh.h[i].value);
	if (sh.error != NULL &&
	    reply_error_body(sh.error, body, sizeof(body)) > 0)
		cJSON_AddStringToObject(doc, "body", body);
}

int
cli_check_main(int argc, char **argv)
{
	static struct authz az;
	static struct authz_decision d;
	static char reply[REPLY_MAX];
	char cookie[REQ_MAX_COOKIE_HEADER + 1], authz_hdr[REQ_MAX_AUTHZ + 1];
	struct authz_input in;
	struct config cfg;
	struct store *s = NULL;
	struct opt o[] = {
		{ "--method", OPT_VALUE, NULL, 0, { NULL } },
		{ "--path", OPT_VALUE, NULL, 0, { NULL } },
		{ "--cookie", OPT_VALUE, NULL, 0, { NULL } },
		{ "--bearer", OPT_VALUE, NULL, 0, { NULL } },
		{ "--header", OPT_MULTI, NULL, 0, { NULL } },
		{ "--reply", OPT_VALUE, NULL, 0, { NULL } },
		{ "--db", OPT_VALUE, NULL, 0, { NULL } },
		{ "--json", OPT_FLAG, NULL, 0, { NULL } },
		{ NULL, OPT_FLAG, NULL, 0, { NULL } }
	};
	const char *db, *v, *style, *msg, *pos[1];
	char err[512];
	int i, rc = 2, json, set_up = 0, npos, unsigned_ok;
	size_t n;
	enum reply_style rs = REPLY_AUTHORIZER;

	memset(&in, 0, sizeof(in));
	memset(&cfg, 0, sizeof(cfg));
	if (opt_wants_help(argc, argv, 2)) {
		fputs(usage_check, stdout);
		return 0;
	}
	if (opt_parse("check", "check", argc, argv, 2, o, pos, 0, &npos) != 0)
		return 2;
	json = opt_set(o, "--json");
	style = opt_val(o, "--reply");
	db = opt_val(o, "--db");
	if ((v = opt_val(o, "--method")) != NULL) {
		in.method.p = v;
		in.method.n = strlen(v);
	}
	if ((v = opt_val(o, "--path")) != NULL) {
		in.uri.p = v;
		in.uri.n = strlen(v);
	}
	if ((v = opt_val(o, "--cookie")) != NULL) {
		in.cookie.p = v;
		in.cookie.n = strlen(v);
	}
	if ((v = opt_val(o, "--bearer")) != NULL) {
		if (snprintf(authz_hdr, sizeof(authz_hdr), "Bearer %s", v) >=
		    (int)sizeof(authz_hdr))
			return cli_fail("check: --bearer value too long");
		in.authorization.p = authz_hdr;
		in.authorization.n = strlen(authz_hdr);
	}
	for (i = 0; i < opt_get(o, "--header")->set; i++)
		if (set_header(&in, opt_get(o, "--header")->multi[i]) < 0)
			return cli_fail("check: --header takes 'Name: value'");
	if (in.method.p == NULL || in.uri.p == NULL)
		return cli_fail("check: --method and --path are required");
	if (cli_method_ok("check", in.method.p, 0) != 0)
		return 2;
	if (style != NULL) {
		if (strcmp(style, "check") == 0)
			rs = REPLY_CHECK;
		else if (strcmp(style, "authorizer") != 0)
			return cli_fail("check: --reply takes authorizer (lighttpd,"
			    " Apache) or check (nginx, Caddy)");
	}
	/* The server's own start-up checks: check decides as it would. */
	if (config_load(&cfg, err, sizeof(err)) != 0 ||
	    config_secret_check(&cfg, &unsigned_ok, err, sizeof(err)) != 0) {
		config_wipe(&cfg);
		return cli_failf("check", "%s", err);
	}
	if (db != NULL)
		snprintf(cfg.db, sizeof(cfg.db), "%s", db);
	if (cli_db_exists("check", cfg.db) != 0)
		goto out;
	/* A key's quota and rate limit as the host counts them; `check`
	 * only evaluates (az.count_uses stays 0), it never uses a key. */
	cli_usage_open(cfg.db);
	/* A bare cookie value means the session cookie itself. */
	if (in.cookie.p != NULL && strchr(in.cookie.p, '=') == NULL) {
		if (snprintf(cookie, sizeof(cookie), "%s.session_token=%s",
		    cfg.cookie_prefix, in.cookie.p) >= (int)sizeof(cookie)) {
			rc = cli_fail("check: --cookie value too long");
			goto out;
		}
		in.cookie.p = cookie;
		in.cookie.n = strlen(cookie);
	}
	if (store_open(&s, cfg.db, STORE_READONLY, err, sizeof(err)) != 0 ||
	    authz_init(&az, s, cfg.secret, cfg.secret_n,
	    cfg.cookie_prefix, cfg.case_sensitive) != 0 ||
	    authz_add_secrets(&az, cfg.secret_old, cfg.secret_old_n,
	    cfg.nold) != 0) {
		rc = cli_fail("check: cannot set up the decision");
		goto out;
	}
	set_up = 1;
	store_set_quiet(s, 1);
	authz_decide(&az, &in, &d);
	n = reply_decision(&d, rs, reply, sizeof(reply));
	if (json) {
		cJSON *doc = cJSON_CreateObject(), *r;

		if (doc == NULL) {
			rc = cli_fail("out of memory");
			goto out;
		}
		cJSON_AddStringToObject(doc, "outcome", d.status == 200 ?
		    "allow" : "deny");
		cJSON_AddNumberToObject(doc, "status", d.status);
		cJSON_AddStringToObject(doc, "reason", d.reason);
		cli_json_str_or_null(doc, "message", d.message);
		cli_json_str_or_null(doc, "method", d.method);
		cli_json_str_or_null(doc, "path", d.path);
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
			cli_json_str_or_null(r, "require_permission",
			    d.need_perms);
		} else {
			cJSON_AddNullToObject(doc, "rule");
		}
		cJSON_AddItemToObject(doc, "identity", identity_json(&d.id));
		reply_json_into(doc, &d, rs);
		if (cli_print_json(doc) != 0) {
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
		if (d.need_perms[0] != '\0')
			printf("permissions: required=%s granted=%s\n",
			    d.need_perms, d.id.perms[0] ? d.id.perms : "-");
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
