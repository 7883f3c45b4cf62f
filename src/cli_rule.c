/*
 * cli_rule.c - `authgate rule list|add|set|rm|test`: authgate_rule rows,
 * validated with the authorizer's own parser; a rule an earlier one
 * hides is refused unless forced.
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
#include "cli_util.h"
#include "reply.h"
#include "store.h"
#include "store_admin.h"

static const char usage_rule[] =
"usage: authgate rule list [--json]\n"
"       authgate rule add --path GLOB --access A [--method M] [--min-role R]\n"
"                         [--permission P] [--on-deny D] [--redirect-to P]\n"
"                         [--priority N] [--note T] [--force]\n"
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
"--permission  resource:action[,...] all required after --min-role (a\n"
"            key's permissions JSON, a session's role's rows in\n"
"            authgate_role_permission) | none (default)\n"
"--on-deny   auto (default: browsers are redirected) | json | redirect\n"
"--redirect-to  local path for redirects (default /sign-in)\n"
"--priority  lower is tried first (default 100); ties by id\n"
"add and set refuse a rule that could never match (an earlier rule takes\n"
"all its requests) or that would hide a later rule, unless --force.\n"
"Rule edits apply on the next request.\n";


/* ------------------------------------------------------------------ */
/* rule */

/* The rule as one phrase: "priority 30, any method, /api/admin/ + **,
 * authenticated, min role admin, on deny json". */
static void
rule_phrase(const struct admin_rule *r, char *out, size_t sz)
{
	char note[CLI_MAX_NOTE + 1], m[POLICY_MAX_METHODS + 1];
	char p[POLICY_MAX_GLOB + 1], a[32], role[32], od[32];
	char to[POLICY_MAX_REDIRECT + 1], perm[POLICY_MAX_PERMS + 1];

	/* Rows edited in the shell may hold anything: keep it printable.
	 * A phrase cut short by a huge note is still a fine message. */
	if (snprintf(out, sz, "priority %lld, %s, %s, %s%s%s%s%s, on deny %s%s%s%s%s",
	    r->t.priority, r->t.method ? cli_term(r->t.method, m, sizeof(m)) :
	    "any method", cli_term(r->t.path ? r->t.path : "?", p, sizeof(p)),
	    cli_term(r->t.access ? r->t.access : "?", a, sizeof(a)),
	    r->t.min_role ? ", min role " : "",
	    r->t.min_role ? cli_term(r->t.min_role, role, sizeof(role)) : "",
	    r->t.require_permission ? ", permission " : "",
	    r->t.require_permission ? cli_term(r->t.require_permission, perm,
	    sizeof(perm)) : "",
	    cli_term(r->t.on_deny ? r->t.on_deny : "auto", od, sizeof(od)),
	    r->t.redirect_to ? " to " : "",
	    r->t.redirect_to ? cli_term(r->t.redirect_to, to, sizeof(to)) : "",
	    r->note ? ", note: " : "",
	    r->note ? cli_term(r->note, note, sizeof(note)) : "") < 0)
		out[0] = '\0';
}

static int
rule_id_arg(const char *cmd, const char *s, long long *id)
{
	if (cli_parse_ll(s, 1, LLONG_MAX / 2, id) != 0)
		return cli_failf(cmd, "a rule id is a positive number, such as 3"
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
	cli_json_str_or_null(o, "method", r->t.method);
	cli_json_str_or_null(o, "path", r->t.path);
	cli_json_str_or_null(o, "access", r->t.access);
	cli_json_str_or_null(o, "min_role", r->t.min_role);
	cli_json_str_or_null(o, "on_deny", r->t.on_deny);
	cli_json_str_or_null(o, "redirect_to", r->t.redirect_to);
	cli_json_str_or_null(o, "require_permission",
	    r->t.require_permission);
	cli_json_str_or_null(o, "note", r->note);
	cJSON_AddBoolToObject(o, "valid", r->why == NULL);
	cli_json_str_or_null(o, "invalid_reason", r->why);
	a = cJSON_AddArrayToObject(o, "shadowed_by");
	for (i = 0; a != NULL && i < r->nshadow; i++)
		cJSON_AddItemToArray(a, cJSON_CreateNumber(
		    (double)r->shadowed_by[i]));
	return o;
}

#define RULE_COLS_N	11

/*
 * The start of every rule command: open the database at db (for writing
 * or not) and load its rules as the live decision matches them
 * (rs->flags). Returns 0 with *s open and rs loaded (*present: the table
 * exists), or the exit code after one error line.
 */
static int
rules_open(const char *cmd, const char *db, int write, struct store **s,
    struct admin_rules *rs, int *present)
{
	int flags, rc;

	*present = 0;
	if (cli_match_flags(cmd, &flags) != 0)
		return 2;
	if ((rc = cli_admin_open(cmd, db, write, s)) != 0)
		return rc;
	if ((*present = admin_rules_load(*s, rs, flags)) < 0) {
		cli_store_fail(cmd, db, *s);
		return 2;
	}
	return 0;
}

static int
rule_list(int argc, char **argv)
{
	static const char *cmd = "rule list";
	static const char *const head[RULE_COLS_N] = { "ID", "PRIO", "METHOD",
	    "PATH", "ACCESS", "MIN_ROLE", "PERMISSION", "ON_DENY", "REDIRECT",
	    "STATUS", "NOTE" };
	struct opt o[] = {
		{ "--db", OPT_VALUE, NULL, 0, { NULL } },
		{ "--json", OPT_FLAG, NULL, 0, { NULL } },
		{ NULL, OPT_FLAG, NULL, 0, { NULL } }
	};
	struct admin_rules rs;
	struct store *s = NULL;
	const char *pos[1], *db;
	char **cells = NULL, buf[64], status[96], note[CLI_MAX_NOTE + 1];
	size_t i, c;
	int npos, r, rc, bad = 0, shadowed = 0;

	memset(&rs, 0, sizeof(rs));
	if (opt_parse(cmd, "rule", argc, argv, 3, o, pos, 0, &npos) != 0)
		return 2;
	db = cli_db_default(opt_val(o, "--db"));
	if ((rc = rules_open(cmd, db, 0, &s, &rs, &r)) != 0)
		goto out;
	rc = 2;
	if (r == 0) {
		cli_failf(cmd, "%s has no authgate_rule table; run 'authgate init"
		    " --db %s'", db, db);
		goto out;
	}
	if (opt_set(o, "--json")) {
		cJSON *arr = cJSON_CreateArray();

		for (i = 0; arr != NULL && i < rs.n; i++)
			cJSON_AddItemToArray(arr, rule_json(&rs.v[i]));
		rc = cli_print_json(arr);
		goto out;
	}
	if (rs.n == 0) {
		printf("no rules: every path needs a session or an API key"
		    " (the default rule); add some with 'authgate rule add'\n");
		rc = 0;
		goto out;
	}
	if ((cells = calloc(rs.n * RULE_COLS_N, sizeof(*cells))) == NULL) {
		cli_fail("out of memory");
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
		row[2] = cli_cell(x->t.method ? x->t.method : "any");
		row[3] = cli_cell(x->t.path);
		row[4] = cli_cell(x->t.access);
		row[5] = cli_cell(x->t.min_role ? x->t.min_role : "-");
		row[6] = cli_cell(x->t.require_permission ?
		    x->t.require_permission : "-");
		row[7] = cli_cell(x->t.on_deny ? x->t.on_deny : "auto");
		row[8] = cli_cell(x->t.redirect_to ? x->t.redirect_to : "-");
		row[9] = strdup(status);
		row[10] = strdup(x->note ? cli_term(x->note, note, sizeof(note)) :
		    "");
		for (c = 0; c < RULE_COLS_N; c++)
			if (row[c] == NULL) {
				cli_fail("out of memory");
				goto out;
			}
	}
	cli_print_table(head, RULE_COLS_N, cells, rs.n);
	if (bad > 0)
		printf("%d invalid rule%s: every request is answered 503 until"
		    " fixed ('authgate rule set ID ...' or 'rule rm ID')\n",
		    bad, bad == 1 ? "" : "s");
	if (shadowed > 0)
		printf("%d unreachable rule%s: an earlier rule takes all their"
		    " requests\n", shadowed, shadowed == 1 ? "" : "s");
	rc = 0;
out:
	cli_free_cells(cells, rs.n * RULE_COLS_N);
	admin_rules_free(&rs);
	return cli_admin_close(cmd, db, s, 0, rc);
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
		if (cli_parse_ll(v, -CLI_MAX_PRIORITY, CLI_MAX_PRIORITY, &pri) != 0)
			return cli_failf(cmd, "--priority takes a whole number"
			    " from -1000000000 to 1000000000 (lower is tried"
			    " first)");
		r->t.priority = pri;
	}
	if ((v = opt_val(o, "--note")) != NULL && v[0] != '\0' &&
	    !cli_valid_text(v, CLI_MAX_NOTE))
		return cli_failf(cmd, "--note takes up to %d bytes without control"
		    " characters", CLI_MAX_NOTE);
	if ((v = opt_val(o, "--method")) != NULL && (strcmp(v, "any") == 0 ||
	    strcmp(v, "ANY") == 0))
		v = "";
	else if (v != NULL && cli_method_ok(cmd, v, 1) != 0)
		return 2;
	if (set_text(&r->t.method, v, NULL) ||
	    set_text(&r->t.path, opt_val(o, "--path"), NULL) ||
	    set_text(&r->t.access, opt_val(o, "--access"), NULL) ||
	    set_text(&r->t.min_role, opt_val(o, "--min-role"), "none") ||
	    set_text(&r->t.on_deny, opt_val(o, "--on-deny"), NULL) ||
	    set_text(&r->t.redirect_to, opt_val(o, "--redirect-to"), NULL) ||
	    set_text(&r->t.require_permission, opt_val(o, "--permission"),
	    "none") ||
	    set_text((const char **)&r->note, opt_val(o, "--note"), NULL))
		return cli_fail("out of memory");
	if (opt_set(o, "--access") && r->t.access == NULL)
		return cli_failf(cmd, "%s", admin_rule_problem("bad_access"));
	if (opt_set(o, "--path") && r->t.path == NULL)
		return cli_failf(cmd, "--path must start with '/', such as"
		    " /api/**");
	if (policy_rule_parse(&r->t, &pr, &why) != 0) {
		if (why != NULL && strcmp(why, "bad_path") == 0 &&
		    r->t.path != NULL && admin_glob_problem(r->t.path) != NULL)
			return cli_failf(cmd, "%s", admin_glob_problem(r->t.path));
		return cli_failf(cmd, "%s", admin_rule_problem(why));
	}
	if (pr.min_role != ROLE_NONE && (pr.access == ACCESS_PUBLIC ||
	    pr.access == ACCESS_DENY))
		return cli_failf(cmd, "--min-role has no effect on a %s rule; drop"
		    " it, or use --access authenticated", r->t.access);
	if (pr.perms[0] != '\0' && (pr.access == ACCESS_PUBLIC ||
	    pr.access == ACCESS_DENY))
		return cli_failf(cmd, "--permission has no effect on a %s rule;"
		    " drop it, or use --access authenticated", r->t.access);
	if (r->t.redirect_to != NULL && pr.on_deny == ON_DENY_JSON)
		return cli_failf(cmd, "--redirect-to needs --on-deny auto or"
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
		{ "--path", OPT_VALUE, NULL, 0, { NULL } },
		{ "--access", OPT_VALUE, NULL, 0, { NULL } },
		{ "--method", OPT_VALUE, NULL, 0, { NULL } },
		{ "--min-role", OPT_VALUE, NULL, 0, { NULL } },
		{ "--permission", OPT_VALUE, NULL, 0, { NULL } },
		{ "--on-deny", OPT_VALUE, NULL, 0, { NULL } },
		{ "--redirect-to", OPT_VALUE, NULL, 0, { NULL } },
		{ "--priority", OPT_VALUE, NULL, 0, { NULL } },
		{ "--note", OPT_VALUE, NULL, 0, { NULL } },
		{ "--db", OPT_VALUE, NULL, 0, { NULL } },
		{ "--force", OPT_FLAG, NULL, 0, { NULL } },
		{ NULL, OPT_FLAG, NULL, 0, { NULL } }
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
	if (opt_parse(cmd, "rule", argc, argv, 3, o, pos, add ? 0 : 1,
	    &npos) != 0)
		return 2;
	if (!add && (npos != 1 || rule_id_arg(cmd, pos[0], &id) != 0))
		return npos != 1 ? cli_failf(cmd, "which rule? authgate rule set"
		    " ID --flag value (ids: 'authgate rule list')") : 2;
	if (add && (!opt_set(o, "--path") || !opt_set(o, "--access")))
		return cli_failf(cmd, "--path and --access are required, such as"
		    " --path '/api/billing/**' --access authenticated");
	if (!add) {
		for (k = 0; o[k].name != NULL; k++)
			if (o[k].set && strcmp(o[k].name, "--db") != 0 &&
			    strcmp(o[k].name, "--force") != 0)
				break;
		if (o[k].name == NULL)
			return cli_failf(cmd, "nothing to change; give a flag such"
			    " as --priority 25 (see 'authgate rule --help')");
	}
	force = opt_set(o, "--force");
	db = cli_db_default(opt_val(o, "--db"));
	if ((rc = rules_open(cmd, db, 1, &s, &before, &r)) != 0)
		goto out;
	rc = 2;
	if (admin_rules_load(s, &after, before.flags) < 0) {
		cli_store_fail(cmd, db, s);
		goto out;
	}
	if (r == 0) {
		cli_failf(cmd, "%s has no authgate_rule table; run 'authgate init"
		    " --db %s'", db, db);
		goto out;
	}
	for (i = 0; i < after.n; i++)
		if (after.v[i].t.id > maxid)
			maxid = after.v[i].t.id;
	if (add) {
		if ((x = rules_append(&after)) == NULL) {
			cli_fail("out of memory");
			goto out;
		}
		/* The id SQLite will give it: max(rowid) + 1. */
		x->t.id = id = maxid + 1;
		x->t.priority = 100;
	} else if ((x = rule_by_id(&after, id)) == NULL) {
		cli_failf(cmd, "no rule with id %lld; see 'authgate rule list'",
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

		cli_failf(cmd, "this rule could never match: rule %lld (priority"
		    " %lld, %s %s) is tried first and takes all its requests;"
		    " give it --priority below %lld, or --force", e->t.id,
		    e->t.priority, e->t.method ? e->t.method : "any method",
		    e->t.path, e->t.priority);
		goto out;
	}
	if (!force && newly_shadowed(cmd, &after, &before, id, 0) > 0)
		goto out;
	memset(&row, 0, sizeof(row));
	row.t = x->t;
	row.t.id = id;
	row.note = x->note;
	if (add) {
		long long got;

		if (store_rule_insert(s, &row, &got) != 0) {
			cli_store_fail(cmd, db, s);
			goto out;
		}
		if (got != id) {	/* the order text would be wrong */
			x->t.id = id = got;
			admin_rules_sort(&after);
		}
	} else if ((r = store_rule_update(s, &row)) != 1) {
		if (r == 0)
			cli_failf(cmd, "no rule with id %lld", id);
		else
			cli_store_fail(cmd, db, s);
		goto out;
	}
	if (store_admin_end(s, 1) != 0) {
		cli_store_fail(cmd, db, s);
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
	return cli_admin_close(cmd, db, s, 0, rc);
}

static int
rule_rm(int argc, char **argv)
{
	static const char *cmd = "rule rm";
	struct opt o[] = {
		{ "--db", OPT_VALUE, NULL, 0, { NULL } }, { NULL, OPT_FLAG, NULL, 0, { NULL } }
	};
	struct admin_rules rs;
	struct admin_rule *x;
	struct store *s = NULL;
	const char *pos[1], *db;
	char phrase[2400];
	long long id;
	int npos, r, rc;

	memset(&rs, 0, sizeof(rs));
	if (opt_parse(cmd, "rule", argc, argv, 3, o, pos, 1, &npos) != 0)
		return 2;
	if (npos != 1)
		return cli_failf(cmd, "which rule? authgate rule rm ID (ids:"
		    " 'authgate rule list')");
	if (rule_id_arg(cmd, pos[0], &id) != 0)
		return 2;
	db = cli_db_default(opt_val(o, "--db"));
	if ((rc = rules_open(cmd, db, 1, &s, &rs, &r)) != 0)
		goto out;
	rc = 2;
	if ((x = rule_by_id(&rs, id)) == NULL) {
		cli_failf(cmd, "no rule with id %lld; see 'authgate rule list'",
		    id);
		goto out;
	}
	rule_phrase(x, phrase, sizeof(phrase));
	if ((r = store_rule_delete(s, id)) != 1 ||
	    store_admin_end(s, 1) != 0) {
		if (r == 0)
			cli_failf(cmd, "no rule with id %lld", id);
		else
			cli_store_fail(cmd, db, s);
		goto out;
	}
	printf("removed rule %lld: %s\n", id, phrase);
	rc = 0;
out:
	admin_rules_free(&rs);
	return cli_admin_close(cmd, db, s, 0, rc);
}

static int
rule_test(int argc, char **argv)
{
	static const char *cmd = "rule test";
	struct opt o[] = {
		{ "--method", OPT_VALUE, NULL, 0, { NULL } },
		{ "--path", OPT_VALUE, NULL, 0, { NULL } },
		{ "--db", OPT_VALUE, NULL, 0, { NULL } },
		{ "--json", OPT_FLAG, NULL, 0, { NULL } },
		{ NULL, OPT_FLAG, NULL, 0, { NULL } }
	};
	static char path[REQ_MAX_PATH + 1];
	struct policy_rule *valid = NULL;
	const struct policy_rule *m = NULL;
	struct admin_rules rs;
	struct store *s = NULL;
	const char *pos[1], *db, *method, *uri, *refused = NULL;
	long long invalid_id = -1;
	size_t i, nv = 0, pn = 0, k;
	int npos, r, rc, json, flags;

	memset(&rs, 0, sizeof(rs));
	if (opt_parse(cmd, "rule", argc, argv, 3, o, pos, 0, &npos) != 0)
		return 2;
	method = opt_val(o, "--method");
	uri = opt_val(o, "--path");
	json = opt_set(o, "--json");
	if (method == NULL || uri == NULL)
		return cli_failf(cmd, "--method and --path are required, such as"
		    " --method GET --path /api/admin/users");
	if (cli_method_ok(cmd, method, 0) != 0)
		return 2;
	db = cli_db_default(opt_val(o, "--db"));
	if ((rc = rules_open(cmd, db, 0, &s, &rs, &r)) != 0)
		goto out;
	rc = 2;
	flags = rs.flags;
	if ((valid = calloc(rs.n + 1, sizeof(*valid))) == NULL) {
		cli_fail("out of memory");
		goto out;
	}
	for (i = 0; i < rs.n; i++) {
		if (rs.v[i].why != NULL && invalid_id < 0)
			invalid_id = rs.v[i].t.id;
		if (rs.v[i].why == NULL)
			valid[nv++] = rs.v[i].r;
	}
	/* The live decision's own route function, so the explanation is
	 * the decision. */
	{
		struct slice sm = { method, strlen(method) };
		struct slice su = { uri, strlen(uri) };
		char mbuf[AUTHZ_MAX_METHOD + 1];

		/* as live: an invalid rule is a 503 before the request's
		 * own shape is looked at */
		if (invalid_id >= 0)
			refused = "rules_invalid";
		else
			refused = authz_route(valid, nv, flags, &sm, &su, NULL,
			    mbuf, path, &pn, &m);
	}
	if (json) {
		cJSON *doc = cJSON_CreateObject(), *x, *also;

		if (doc == NULL) {
			cli_fail("out of memory");
			goto out;
		}
		cli_json_str_or_null(doc, "path", refused == NULL ? path : NULL);
		cli_json_str_or_null(doc, "refused", refused);
		if (m != NULL && (x = cJSON_AddObjectToObject(doc, "rule")) !=
		    NULL) {
			cJSON_AddNumberToObject(x, "id", (double)m->id);
			cJSON_AddNumberToObject(x, "priority",
			    (double)m->priority);
			cJSON_AddStringToObject(x, "path", m->path);
			cJSON_AddStringToObject(x, "access",
			    policy_access_name(m->access));
			cli_json_str_or_null(x, "min_role",
			    policy_role_name(m->min_role));
			cli_json_str_or_null(x, "require_permission",
			    m->perms[0] != '\0' ? m->perms : NULL);
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
			    path, pn, flags) != NULL)
				cJSON_AddItemToArray(also, cJSON_CreateNumber(
				    (double)valid[k].id));
		if (cli_print_json(doc) != 0)
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
			printf("require_permission: %s\n", m->perms[0] !=
			    '\0' ? m->perms : "-");
			for (k = 0; k < nv; k++)
				if (valid + k > m && policy_match(&valid[k], 1,
				    method, strlen(method), path, pn, flags) != NULL)
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
	return cli_admin_close(cmd, db, s, 0, rc);
}

static int
rule_add(int argc, char **argv)
{
	return rule_write(argc, argv, 1);
}

static int
rule_set(int argc, char **argv)
{
	return rule_write(argc, argv, 0);
}

int
cli_rule_main(int argc, char **argv)
{
	static const struct cli_sub subs[] = {
		{ "list", rule_list },
		{ "add", rule_add },
		{ "set", rule_set },
		{ "rm", rule_rm },
		{ "test", rule_test },
		{ NULL, NULL }
	};

	return cli_dispatch("rule", usage_rule, subs, argc, argv);
}

