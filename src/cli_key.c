/*
 * cli_key.c - `authgate key create|list|revoke|rotate`: API keys in
 * better-auth's apikey layout. A new key is printed once; only its
 * SHA-256 is stored, and nothing here prints a hash.
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
#include "credential.h"
#include "reply.h"
#include "store.h"
#include "store_admin.h"
#include "usage.h"

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
"         must be a member, or --force). --role guest|member|admin|owner\n"
"         needs --org. With --user it goes into the key's metadata and\n"
"         can only narrow: the key never holds more than the user's own\n"
"         role there (above it needs --force, and is capped anyway).\n"
"         Without --user it is the organization key's role, granted in\n"
"         authgate_key_role (keys without a grant hold no role).\n"
"         --expires 90m|12h|30d|8w, 2026-12-31 (00:00 UTC),\n"
"         2026-12-31T18:00:00Z, or never (default). --prefix default ag_\n"
"list     id, name, start, owner, organization, role, enabled, expiry,\n"
"         creation; never the key or its hash\n"
"revoke   sets enabled = 0: the next request with the key is refused\n"
"rotate   a new key with the old one's owner, name, role and expiry\n"
"         (or --expires); the old key is disabled in the same commit\n";


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
			return cli_fail("out of memory");
		cJSON_AddStringToObject(doc, "key", key);
		cJSON_AddStringToObject(doc, "id", id);
		cJSON_AddStringToObject(doc, "name", name);
		cJSON_AddStringToObject(doc, "owner", owner);
		cJSON_AddStringToObject(doc, "owner_kind",
		    owner_kind_name(kind));
		cli_json_str_or_null(doc, "org_id", org);
		cli_json_str_or_null(doc, "role", role);
		cli_json_str_or_null(doc, "expires_at", expires);
		if (replaces != NULL)
			cJSON_AddStringToObject(doc, "replaces", replaces);
		return cli_print_json(doc);
	}
	printf("key: %s\n", key);
	printf("id: %s\n", id);
	printf("name: %s\n", cli_term(name, b1, sizeof(b1)));
	printf("owner: %s %s\n", owner_kind_name(kind),
	    cli_term(owner, b1, sizeof(b1)));
	printf("organization: %s\n", org != NULL && org[0] ?
	    cli_term(org, b1, sizeof(b1)) : "-");
	printf("role: %s\n", role != NULL && role[0] ?
	    cli_term(role, b2, sizeof(b2)) : "-");
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
		return cli_failf(cmd, "the random generator failed; try again");
	OPENSSL_cleanse(hex, sizeof(hex));
	memcpy(start, key, CLI_KEY_START);
	start[CLI_KEY_START] = '\0';
	return 0;
}

/* The options of every command that makes a key (create, rotate), in
 * this order after the command's own, and the table's end. */
#define KEY_NEW_OPTS \
		{ "--expires", OPT_VALUE, NULL, 0, { NULL } }, \
		{ "--prefix", OPT_VALUE, NULL, 0, { NULL } }, \
		{ "--db", OPT_VALUE, NULL, 0, { NULL } }, \
		{ "--json", OPT_FLAG, NULL, 0, { NULL } }, \
		{ "--force", OPT_FLAG, NULL, 0, { NULL } }, \
		{ NULL, OPT_FLAG, NULL, 0, { NULL } }

static int
key_create(int argc, char **argv)
{
	static const char *cmd = "key create";
	struct opt o[] = {
		{ "--name", OPT_VALUE, NULL, 0, { NULL } },
		{ "--user", OPT_VALUE, NULL, 0, { NULL } },
		{ "--org", OPT_VALUE, NULL, 0, { NULL } },
		{ "--role", OPT_VALUE, NULL, 0, { NULL } },
		KEY_NEW_OPTS
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

	if (opt_parse(cmd, "key", argc, argv, 3, o, pos, 0, &npos) != 0)
		return 2;
	name = opt_val(o, "--name");
	user = opt_val(o, "--user");
	org = opt_val(o, "--org");
	role = opt_val(o, "--role");
	exp = opt_val(o, "--expires");
	prefix = opt_val(o, "--prefix");
	db = cli_db_default(opt_val(o, "--db"));
	force = opt_set(o, "--force");
	if (name == NULL)
		return cli_failf(cmd, "--name is required (a label such as"
		    " 'ci-deploy'); see 'authgate key --help'");
	if (!cli_valid_text(name, STORE_MAX_NAME))
		return cli_failf(cmd, "--name must be 1 to %d bytes without"
		    " control characters", STORE_MAX_NAME);
	if (user == NULL && org == NULL)
		return cli_failf(cmd, "say whose key it is: --user ID, --org ID,"
		    " or both");
	if ((user != NULL && !cli_valid_id(user)) || (org != NULL &&
	    !cli_valid_id(org)))
		return cli_failf(cmd, "--user and --org take an id such as u_mia"
		    " (see 'authgate key --help')");
	if (role != NULL && policy_role_parse(role, strlen(role)) ==
	    ROLE_NONE)
		return cli_failf(cmd, "--role must be one of guest, member, admin,"
		    " owner");
	if (exp != NULL && admin_expiry_parse(exp, util_now_ms(), &at, &never,
	    &why) != 0)
		return cli_failf(cmd, "--expires %s", why);
	if (exp != NULL && !never &&
	    util_time_format(at, expires, sizeof(expires)) != 0)
		return cli_failf(cmd, "--expires is out of range");
	if (role != NULL && org == NULL)
		return cli_failf(cmd, "--role needs --org: a role is held in an"
		    " organization");
	if (prefix == NULL)
		prefix = CLI_DEFAULT_PREFIX;
	if (!cred_apikey_prefix_ok(prefix))
		return cli_failf(cmd, "--prefix takes up to %d letters, digits,"
		    " '_' or '-', such as ag_ or acme_live_",
		    CRED_MAX_KEY_PREFIX);

	if ((rc = cli_admin_open(cmd, db, 1, &s)) != 0)
		return rc;
	rc = 2;
	if (user != NULL) {
		if ((r = store_owner_kind(s, user)) < 0) {
			cli_store_fail(cmd, db, s);
			goto out;
		}
		if (r != STORE_OWNER_USER) {
			cli_failf(cmd, "no user with id %s in %s; see sqlite3 %s"
			    " 'select id, email from \"user\"'", user, db, db);
			goto out;
		}
	}
	if (org != NULL) {
		if ((r = store_owner_kind(s, org)) < 0) {
			cli_store_fail(cmd, db, s);
			goto out;
		}
		if (r != STORE_OWNER_ORG) {
			cli_failf(cmd, "no organization with id %s in %s; see"
			    " sqlite3 %s 'select id, slug from organization'",
			    org, db, db);
			goto out;
		}
	}
	if (user != NULL && org != NULL) {
		r = store_member_roles(s, org, user, roles, sizeof(roles));
		if (r < 0) {
			cli_store_fail(cmd, db, s);
			goto out;
		}
		if (r == 0 && !force) {
			cli_failf(cmd, "user %s is not a member of %s; add the"
			    " membership first, drop --org, or --force", user,
			    org);
			goto out;
		}
		if (r == 1 && role != NULL && !force &&
		    policy_role_parse(role, strlen(role)) >
		    policy_role_highest(roles, strlen(roles))) {
			cli_failf(cmd, "--role %s is above %s's own role in %s;"
			    " a key never outranks its owner: it would be"
			    " capped at %s (--force to store it anyway)", role,
			    user, org, roles);
			goto out;
		}
	}
	kind = user != NULL ? STORE_OWNER_USER : STORE_OWNER_ORG;
	/* metadata only for a user's key; an organization's role is a grant */
	if (user != NULL && org != NULL) {
		cJSON *m = cJSON_CreateObject();

		if (m == NULL) {
			cli_fail("out of memory");
			goto out;
		}
		cJSON_AddStringToObject(m, "organizationId", org);
		if (role != NULL)
			cJSON_AddStringToObject(m, "role", role);
		meta = cJSON_PrintUnformatted(m);
		cJSON_Delete(m);
		if (meta == NULL) {
			cli_fail("out of memory");
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
	if (store_key_insert(s, &k) != 0 || (user == NULL && role != NULL &&
	    store_key_role_set(s, id, role, now) != 0)) {
		cli_store_fail(cmd, db, s);
		goto out;
	}
	if (store_admin_end(s, 1) != 0) {
		cli_store_fail(cmd, db, s);
		goto out;
	}
	rc = print_new_key(opt_set(o, "--json"), key, id, name, k.owner, kind,
	    org, role, expires, NULL);
out:
	OPENSSL_cleanse(key, sizeof(key));
	OPENSSL_cleanse(hash, sizeof(hash));
	cJSON_free(meta);
	return cli_admin_close(cmd, db, s, 0, rc);
}

struct key_list_ctx {
	struct store	*s;
	const char	*user;
	const char	*org;
	int		 json;
	cJSON		*arr;
	char		**cells;
	size_t		 n;
	size_t		 cap;
	int		 oom;
};

#define KEY_COLS_N	12

/*
 * A key's quota and rate limit as the decision applies them now: the
 * mirror's values, or this host's count when it was started from them
 * (usage.h). Fills the texts of the REMAINING, RATE and LAST USE cells
 * and, with o, the JSON fields. 0, or -1 on a store error.
 */
static int
key_usage(struct store *s, const char *id, cJSON *o, char *rem,
    size_t remsz, char *rate, size_t ratesz, char *last, size_t lastsz)
{
	struct store_key_quota q;
	struct usage_limits l;
	struct usage_count c;
	struct store_time t = { 1, 0, 0 };
	int64_t remaining, count;
	int rc, host;

	snprintf(rem, remsz, "-");
	snprintf(rate, ratesz, "-");
	snprintf(last, lastsz, "-");
	if ((rc = store_key_quota(s, id, &q)) <= 0)
		return rc;
	authz_key_limits(&q, &l);
	host = usage_key_peek(id, &c) == 1;
	remaining = host && c.base == l.base ? c.remaining : l.remaining;
	count = host && c.base == l.base ? c.request_count : l.request_count;
	if (l.bad)
		snprintf(rem, remsz, "invalid");
	else if (!l.limited)
		snprintf(rem, remsz, "unlimited");
	else if (l.refill_interval > 0 && l.refill_amount > 0)
		snprintf(rem, remsz, "%lld (+%lld/%llds)",
		    (long long)remaining, (long long)l.refill_amount,
		    (long long)(l.refill_interval / 1000));
	else
		snprintf(rem, remsz, "%lld", (long long)remaining);
	if (l.rate_on)
		snprintf(rate, ratesz, "%lld/%llds", (long long)l.rate_max,
		    (long long)(l.rate_window / 1000));
	if (host && c.last_use > 0) {
		t.ms = c.last_use;
		cli_time_text(&t, "-", last, lastsz);
	}
	if (o == NULL)
		return 0;
	if (l.limited && !l.bad)
		cJSON_AddNumberToObject(o, "remaining", (double)remaining);
	else
		cJSON_AddNullToObject(o, "remaining");
	cJSON_AddNumberToObject(o, "refill_interval_ms",
	    (double)l.refill_interval);
	cJSON_AddNumberToObject(o, "refill_amount", (double)l.refill_amount);
	cJSON_AddBoolToObject(o, "rate_limit_enabled", l.rate_on);
	cJSON_AddNumberToObject(o, "rate_limit_max", (double)l.rate_max);
	cJSON_AddNumberToObject(o, "rate_limit_window_ms",
	    (double)l.rate_window);
	cJSON_AddNumberToObject(o, "request_count", (double)count);
	cJSON_AddNumberToObject(o, "uses_here", host ? (double)c.uses : 0);
	cli_json_str_or_null(o, "last_use", host && c.last_use > 0 ? last :
	    NULL);
	return 0;
}

static int
collect_key(void *ctx, const struct store_key_row *k)
{
	struct key_list_ctx *c = ctx;
	char exp[UTIL_TIME_ISO_LEN + 16], cre[UTIL_TIME_ISO_LEN + 16];
	char owner[STORE_MAX_ID + 16], org[STORE_MAX_ID + 1];
	char rem[64], rate[48], last[UTIL_TIME_ISO_LEN + 16];
	const char *row[KEY_COLS_N];

	/* An organization's own key acts in that organization. */
	snprintf(org, sizeof(org), "%s", k->org[0] ? k->org :
	    k->owner_kind == STORE_OWNER_ORG ? k->owner : "");
	if (c->user != NULL && strcmp(c->user, k->owner) != 0)
		return 0;
	if (c->org != NULL && strcmp(c->org, org) != 0)
		return 0;
	cli_time_text(&k->expires, "never", exp, sizeof(exp));
	cli_time_text(&k->created, "-", cre, sizeof(cre));
	if (c->json) {
		cJSON *o = cJSON_CreateObject();

		if (o == NULL) {
			c->oom = 1;
			return -1;
		}
		cJSON_AddStringToObject(o, "id", k->id);
		cli_json_str_or_null(o, "name", k->name);
		cli_json_str_or_null(o, "start", k->start);
		cli_json_str_or_null(o, "prefix", k->prefix);
		cli_json_str_or_null(o, "owner", k->owner);
		cJSON_AddStringToObject(o, "owner_kind",
		    owner_kind_name(k->owner_kind));
		cli_json_str_or_null(o, "org_id", org);
		cli_json_str_or_null(o, "role", k->role);
		cJSON_AddBoolToObject(o, "enabled", k->enabled);
		cli_json_str_or_null(o, "expires_at", k->expires.present ? exp :
		    NULL);
		cJSON_AddBoolToObject(o, "expired", k->expires.present &&
		    (k->expires.bad || k->expires.ms <= util_now_ms()));
		cli_json_str_or_null(o, "created_at", k->created.present ? cre :
		    NULL);
		cJSON_AddItemToArray(c->arr, o);
		if (key_usage(c->s, k->id, o, rem, sizeof(rem), rate,
		    sizeof(rate), last, sizeof(last)) != 0)
			return -1;
		return 0;
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
	if (key_usage(c->s, k->id, NULL, rem, sizeof(rem), rate, sizeof(rate),
	    last, sizeof(last)) != 0)
		return -1;
	row[9] = rem;
	row[10] = rate;
	row[11] = last;
	if (cli_table_add(&c->cells, &c->n, &c->cap, KEY_COLS_N, row) != 0) {
		c->oom = 1;
		return -1;
	}
	return 0;
}

static int
key_list(int argc, char **argv)
{
	static const char *cmd = "key list";
	static const char *const head[KEY_COLS_N] = { "ID", "NAME", "START",
	    "OWNER", "ORG", "ROLE", "ENABLED", "EXPIRES", "CREATED",
	    "REMAINING", "RATE", "LAST USE" };
	struct opt o[] = {
		{ "--user", OPT_VALUE, NULL, 0, { NULL } },
		{ "--org", OPT_VALUE, NULL, 0, { NULL } },
		{ "--db", OPT_VALUE, NULL, 0, { NULL } },
		{ "--json", OPT_FLAG, NULL, 0, { NULL } },
		{ NULL, OPT_FLAG, NULL, 0, { NULL } }
	};
	struct key_list_ctx c;
	struct store *s = NULL;
	const char *pos[1], *db;
	int npos, r, rc;

	if (opt_parse(cmd, "key", argc, argv, 3, o, pos, 0, &npos) != 0)
		return 2;
	db = cli_db_default(opt_val(o, "--db"));
	memset(&c, 0, sizeof(c));
	c.user = opt_val(o, "--user");
	c.org = opt_val(o, "--org");
	c.json = opt_set(o, "--json");
	if (c.json && (c.arr = cJSON_CreateArray()) == NULL)
		return cli_fail("out of memory");
	if ((rc = cli_admin_open(cmd, db, 0, &s)) != 0) {
		cJSON_Delete(c.arr);
		return rc;
	}
	c.s = s;
	cli_usage_open(db);
	r = store_key_list(s, collect_key, &c);
	if (r < 0 || c.oom) {
		rc = c.oom ? cli_fail("out of memory") : cli_store_fail(cmd, db, s);
		cJSON_Delete(c.arr);
	} else if (r == 1) {
		rc = cli_failf(cmd, "%s has no apikey table; run 'authgate init"
		    " --db %s'", db, db);
		cJSON_Delete(c.arr);
	} else if (c.json) {
		rc = cli_print_json(c.arr);
	} else if (c.n == 0) {
		printf("no keys%s; issue one with 'authgate key create'\n",
		    c.user || c.org ? " match" : "");
		rc = 0;
	} else {
		cli_print_table(head, KEY_COLS_N, c.cells, c.n);
		rc = 0;
	}
	cli_free_cells(c.cells, c.n * KEY_COLS_N);
	return cli_admin_close(cmd, db, s, 0, rc);
}

/*
 * The start of revoke and rotate: open db for writing and find key id.
 * Returns 0 with *s open and *k filled, or the exit code after one error
 * line (*s may be open: the caller closes it).
 */
static int
key_open(const char *cmd, const char *db, const char *id, struct store **s,
    struct store_key_row *k)
{
	int r, rc;

	if ((rc = cli_admin_open(cmd, db, 1, s)) != 0)
		return rc;
	if ((r = store_key_find(*s, id, k)) < 0)
		return cli_store_fail(cmd, db, *s);
	if (r == 0)
		return cli_failf(cmd, "no key with id %s; see 'authgate key"
		    " list'", id);
	return 0;
}

static int
key_revoke(int argc, char **argv)
{
	static const char *cmd = "key revoke";
	struct opt o[] = {
		{ "--db", OPT_VALUE, NULL, 0, { NULL } }, { NULL, OPT_FLAG, NULL, 0, { NULL } }
	};
	struct store_key_row k;
	char now[UTIL_TIME_ISO_LEN + 1], nb[STORE_MAX_NAME + 1];
	struct store *s = NULL;
	const char *pos[1], *db;
	int npos, rc;

	if (opt_parse(cmd, "key", argc, argv, 3, o, pos, 1, &npos) != 0)
		return 2;
	if (npos != 1)
		return cli_failf(cmd, "which key? authgate key revoke ID (ids:"
		    " 'authgate key list')");
	db = cli_db_default(opt_val(o, "--db"));
	if ((rc = key_open(cmd, db, pos[0], &s, &k)) != 0)
		goto out;
	rc = 2;
	if (!k.enabled) {
		printf("key %s (%s) was already revoked\n", k.id,
		    cli_term(k.name, nb, sizeof(nb)));
		rc = 0;
		goto out;
	}
	if (now_text(now, sizeof(now)) != 0 ||
	    store_key_set_enabled(s, k.id, 0, now) != 1 ||
	    store_admin_end(s, 1) != 0) {
		cli_store_fail(cmd, db, s);
		goto out;
	}
	printf("revoked key %s (%s): the next request with it is refused\n",
	    k.id, cli_term(k.name, nb, sizeof(nb)));
	rc = 0;
out:
	return cli_admin_close(cmd, db, s, 0, rc);
}

static int
key_rotate(int argc, char **argv)
{
	static const char *cmd = "key rotate";
	struct opt o[] = {
		KEY_NEW_OPTS
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
	if (opt_parse(cmd, "key", argc, argv, 3, o, pos, 1, &npos) != 0)
		return 2;
	if (npos != 1)
		return cli_failf(cmd, "which key? authgate key rotate ID (ids:"
		    " 'authgate key list')");
	exp = opt_val(o, "--expires");
	prefix = opt_val(o, "--prefix");
	db = cli_db_default(opt_val(o, "--db"));
	if (exp != NULL && admin_expiry_parse(exp, nowms, &at, &never,
	    &why) != 0)
		return cli_failf(cmd, "--expires %s", why);
	if (exp != NULL && !never &&
	    util_time_format(at, expires, sizeof(expires)) != 0)
		return cli_failf(cmd, "--expires is out of range");
	if (prefix != NULL && !cred_apikey_prefix_ok(prefix))
		return cli_failf(cmd, "--prefix takes up to %d letters, digits,"
		    " '_' or '-'", CRED_MAX_KEY_PREFIX);
	if ((rc = key_open(cmd, db, pos[0], &s, &old)) != 0)
		goto out;
	rc = 2;
	if (!old.enabled && !opt_set(o, "--force")) {
		cli_failf(cmd, "key %s is revoked; issue a new key with 'authgate"
		    " key create' (or --force to rotate it anyway)", old.id);
		goto out;
	}
	if (exp == NULL && old.expires.present) {
		if (old.expires.bad || old.expires.ms <= nowms) {
			cli_failf(cmd, "key %s has expired; give the new key"
			    " --expires (such as 90d) or --expires never",
			    old.id);
			goto out;
		}
		if (util_time_format(old.expires.ms, expires,
		    sizeof(expires)) != 0) {
			cli_failf(cmd, "key %s expires at a date out of range;"
			    " give --expires", old.id);
			goto out;
		}
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
			cli_failf(cmd, "no key with id %s", old.id);
		else
			cli_store_fail(cmd, db, s);
		goto out;
	}
	snprintf(org, sizeof(org), "%s", old.org[0] ? old.org :
	    old.owner_kind == STORE_OWNER_ORG ? old.owner : "");
	rc = print_new_key(opt_set(o, "--json"), key, id, old.name, old.owner,
	    old.owner_kind, org, old.role, expires, old.id);
out:
	OPENSSL_cleanse(key, sizeof(key));
	OPENSSL_cleanse(hash, sizeof(hash));
	return cli_admin_close(cmd, db, s, 0, rc);
}

int
cli_key_main(int argc, char **argv)
{
	static const struct cli_sub subs[] = {
		{ "create", key_create },
		{ "list", key_list },
		{ "revoke", key_revoke },
		{ "rotate", key_rotate },
		{ NULL, NULL }
	};

	return cli_dispatch("key", usage_key, subs, argc, argv);
}

