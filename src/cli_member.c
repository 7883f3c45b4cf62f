/*
 * cli_member.c - `authgate member add|list|remove`: authgate's own
 * memberships, the organization and role of identities whose IdP has
 * none (NextAuth v4 / Auth.js v5), by the IdP's user id or by e-mail.
 * Writes only authgate_membership and authgate_organization.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli_util.h"
#include "policy.h"
#include "store_admin.h"
#include "store_member.h"

static const char usage_member[] =
"usage: authgate member add (--user ID | --email E) --org SLUG --role R\n"
"                           [--org-id ID] [--org-name N]\n"
"       authgate member list [--json]\n"
"       authgate member remove (--user ID | --email E) --org SLUG [--role R]\n"
"every form takes --db PATH (default $AUTHGATE_DB, else db/authgate.db)\n"
"\n"
"The organization and roles of NextAuth / Auth.js identities (their IdP\n"
"has none), in authgate_membership and authgate_organization: by the\n"
"user id the IdP gives (the adapter's user.id, a JWT's sub) or by e-mail\n"
"address (letter case ignored; used only for identities that have no row\n"
"by user id). An identity's organization is that of its oldest row; its\n"
"roles are all its rows there. better-auth sessions and keys never read\n"
"these rows. Changes apply on the next request.\n"
"add      R is guest, member, admin or owner. The organization SLUG is\n"
"         created when no organization has it, with id --org-id (default\n"
"         SLUG) and name --org-name\n"
"list     every row: id, user or e-mail, organization, role, creation\n"
"remove   the identity's rows in SLUG (with --role: only that role)\n";

#define MEMBER_COLS_N	6

/* Fills w from --user / --email; 0, or 2 (printed). */
static int
who_from(const char *cmd, struct opt *o, struct store_member_who *w)
{
	w->user_id = opt_val(o, "--user");
	w->email = opt_val(o, "--email");
	if ((w->user_id == NULL) == (w->email == NULL))
		return cli_failf(cmd, "give one of --user ID or --email E");
	if (w->user_id != NULL && !cli_valid_id(w->user_id))
		return cli_failf(cmd, "--user takes an id of up to %d visible"
		    " characters", STORE_MAX_ID);
	if (w->email != NULL && (!cli_valid_text(w->email, STORE_MAX_EMAIL) ||
	    strchr(w->email, '@') == NULL || strchr(w->email, ' ') != NULL))
		return cli_failf(cmd, "--email takes an address"
		    " (local@domain)");
	return 0;
}

static int
role_ok(const char *cmd, const char *role)
{
	if (policy_role_parse(role, strlen(role)) == ROLE_NONE)
		return cli_failf(cmd, "--role takes guest, member, admin or"
		    " owner");
	return 0;
}

/* Opens the store for writing and checks the tables; 0 or 2. */
static int
member_open(const char *cmd, const char *db, int write, struct store **s)
{
	int rc;

	if ((rc = cli_admin_open(cmd, db, write, s)) != 0)
		return rc;
	if ((rc = store_member_tables(*s)) < 0)
		return cli_store_fail(cmd, db, *s);
	if (rc == 0)
		return cli_failf(cmd, "%s has no authgate_membership table;"
		    " run 'authgate init --db %s' (it adds only authgate_*"
		    " tables)", db, db);
	return 0;
}

static int
member_add(int argc, char **argv)
{
	static const char *cmd = "member add";
	struct opt o[] = {
		{ "--user", OPT_VALUE, NULL, 0, { NULL } },
		{ "--email", OPT_VALUE, NULL, 0, { NULL } },
		{ "--org", OPT_VALUE, NULL, 0, { NULL } },
		{ "--role", OPT_VALUE, NULL, 0, { NULL } },
		{ "--org-id", OPT_VALUE, NULL, 0, { NULL } },
		{ "--org-name", OPT_VALUE, NULL, 0, { NULL } },
		{ "--db", OPT_VALUE, NULL, 0, { NULL } },
		{ NULL, OPT_FLAG, NULL, 0, { NULL } }
	};
	struct store_member_who w;
	struct store *s = NULL;
	const char *pos[1], *db, *slug, *role, *org_id, *name;
	int npos, rc, r;

	if (opt_parse(cmd, "member", argc, argv, 3, o, pos, 0, &npos) != 0)
		return 2;
	if ((rc = who_from(cmd, o, &w)) != 0)
		return rc;
	slug = opt_val(o, "--org");
	role = opt_val(o, "--role");
	org_id = opt_val(o, "--org-id");
	name = opt_val(o, "--org-name");
	if (slug == NULL || !cli_valid_id(slug) ||
	    strlen(slug) > STORE_MAX_SLUG)
		return cli_failf(cmd, "--org takes the organization's slug");
	if (role == NULL)
		return cli_failf(cmd, "--role is required (guest, member, admin"
		    " or owner)");
	if ((rc = role_ok(cmd, role)) != 0)
		return rc;
	if (org_id != NULL && !cli_valid_id(org_id))
		return cli_failf(cmd, "--org-id takes an id of up to %d visible"
		    " characters", STORE_MAX_ID);
	if (name != NULL && !cli_valid_text(name, STORE_MAX_NAME))
		return cli_failf(cmd, "--org-name takes up to %d characters",
		    STORE_MAX_NAME);
	db = cli_db_default(opt_val(o, "--db"));
	if ((rc = member_open(cmd, db, 1, &s)) != 0)
		goto out;
	rc = 2;
	if ((r = store_member_add(s, &w, slug, org_id, name, role)) < 0 ||
	    store_admin_end(s, 1) != 0) {
		cli_store_fail(cmd, db, s);
		goto out;
	}
	printf("%s %s %s as %s in %s\n", r ? "added" : "already there:",
	    w.user_id != NULL ? "user" : "e-mail", w.user_id != NULL ?
	    w.user_id : w.email, role, slug);
	rc = 0;
out:
	return cli_admin_close(cmd, db, s, 0, rc);
}

static int
member_remove(int argc, char **argv)
{
	static const char *cmd = "member remove";
	struct opt o[] = {
		{ "--user", OPT_VALUE, NULL, 0, { NULL } },
		{ "--email", OPT_VALUE, NULL, 0, { NULL } },
		{ "--org", OPT_VALUE, NULL, 0, { NULL } },
		{ "--role", OPT_VALUE, NULL, 0, { NULL } },
		{ "--db", OPT_VALUE, NULL, 0, { NULL } },
		{ NULL, OPT_FLAG, NULL, 0, { NULL } }
	};
	struct store_member_who w;
	struct store *s = NULL;
	const char *pos[1], *db, *slug, *role;
	long long n;
	int npos, rc;

	if (opt_parse(cmd, "member", argc, argv, 3, o, pos, 0, &npos) != 0)
		return 2;
	if ((rc = who_from(cmd, o, &w)) != 0)
		return rc;
	slug = opt_val(o, "--org");
	role = opt_val(o, "--role");
	if (slug == NULL || !cli_valid_id(slug))
		return cli_failf(cmd, "--org takes the organization's slug");
	if (role != NULL && (rc = role_ok(cmd, role)) != 0)
		return rc;
	db = cli_db_default(opt_val(o, "--db"));
	if ((rc = member_open(cmd, db, 1, &s)) != 0)
		goto out;
	rc = 2;
	if ((n = store_member_remove(s, &w, slug, role)) < 0 ||
	    store_admin_end(s, 1) != 0) {
		cli_store_fail(cmd, db, s);
		goto out;
	}
	if (n == 0) {
		cli_failf(cmd, "no such membership in %s", slug);
		goto out;
	}
	printf("removed %lld row%s: the next request sees it\n", n,
	    n == 1 ? "" : "s");
	rc = 0;
out:
	return cli_admin_close(cmd, db, s, 0, rc);
}

struct list_ctx {
	int	 json;
	cJSON	*arr;
	char	**cells;
	size_t	 n;
	size_t	 cap;
	int	 oom;
};

static int
collect(void *ctx, const struct store_member_row *r)
{
	struct list_ctx *c = ctx;
	char id[32], who[STORE_MAX_EMAIL + 8];
	const char *row[MEMBER_COLS_N];

	if (c->json) {
		cJSON *o = cJSON_CreateObject();

		if (o == NULL) {
			c->oom = 1;
			return -1;
		}
		cJSON_AddNumberToObject(o, "id", (double)r->id);
		cli_json_str_or_null(o, "user_id", r->user_id);
		cli_json_str_or_null(o, "email", r->email);
		cli_json_str_or_null(o, "org_id", r->org_id);
		cli_json_str_or_null(o, "org_slug", r->org_slug);
		cli_json_str_or_null(o, "role", r->role);
		cli_json_str_or_null(o, "created_at", r->created_at);
		cJSON_AddItemToArray(c->arr, o);
		return 0;
	}
	snprintf(id, sizeof(id), "%lld", r->id);
	snprintf(who, sizeof(who), "%s:%s", r->user_id[0] ? "user" : "email",
	    r->user_id[0] ? r->user_id : r->email);
	row[0] = id;
	row[1] = who;
	row[2] = r->org_slug[0] ? r->org_slug : "-";
	row[3] = r->org_id[0] ? r->org_id : "-";
	row[4] = r->role[0] ? r->role : "-";
	row[5] = r->created_at[0] ? r->created_at : "-";
	if (cli_table_add(&c->cells, &c->n, &c->cap, MEMBER_COLS_N,
	    row) != 0) {
		c->oom = 1;
		return -1;
	}
	return 0;
}

static int
member_list(int argc, char **argv)
{
	static const char *cmd = "member list";
	static const char *const head[MEMBER_COLS_N] = { "ID", "IDENTITY",
	    "ORG", "ORG_ID", "ROLE", "CREATED" };
	struct opt o[] = {
		{ "--json", OPT_FLAG, NULL, 0, { NULL } },
		{ "--db", OPT_VALUE, NULL, 0, { NULL } },
		{ NULL, OPT_FLAG, NULL, 0, { NULL } }
	};
	struct list_ctx c;
	struct store *s = NULL;
	const char *pos[1], *db;
	int npos, rc;

	memset(&c, 0, sizeof(c));
	if (opt_parse(cmd, "member", argc, argv, 3, o, pos, 0, &npos) != 0)
		return 2;
	c.json = opt_set(o, "--json");
	db = cli_db_default(opt_val(o, "--db"));
	if ((rc = member_open(cmd, db, 0, &s)) != 0)
		goto out;
	if (c.json && (c.arr = cJSON_CreateArray()) == NULL) {
		rc = cli_fail("out of memory");
		goto out;
	}
	if (store_member_list(s, collect, &c) != 0) {
		rc = c.oom ? cli_fail("out of memory") :
		    cli_store_fail(cmd, db, s);
		cJSON_Delete(c.arr);
		goto out;
	}
	if (c.json)
		rc = cli_print_json(c.arr);
	else {
		cli_print_table(head, MEMBER_COLS_N, c.cells, c.n);
		rc = 0;
	}
out:
	cli_free_cells(c.cells, c.n * MEMBER_COLS_N);
	return cli_admin_close(cmd, db, s, 0, rc);
}

int
cli_member_main(int argc, char **argv)
{
	static const struct cli_sub subs[] = {
		{ "add", member_add },
		{ "list", member_list },
		{ "remove", member_remove },
		{ NULL, NULL }
	};

	return cli_dispatch("member", usage_member, subs, argc, argv);
}
