/*
 * test_store_read.c - the decision's reads on the session tables of the
 * Auth.js adapters: which shape the probe finds (better-auth, Auth.js,
 * ambiguous, incomplete), the lookup by sessionToken on the databases
 * the real adapters wrote (tests/vectors/authjs: Kysely's ISO-8601 text
 * dates, Drizzle's epoch milliseconds), other date spellings, a schema
 * changed under an open handle, and authgate's own memberships
 * (store_read_authgate_member). Real SQLite files, one line per case.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "harness.h"
#include "schema.h"
#include "store_read.h"

#define DB	"tests/tmp/test_store_read.db"
#define Y2099	4070908800000LL		/* 2099-01-01T00:00:00Z */
#define Y2020	1577836800000LL		/* 2020-01-01T00:00:00Z */

extern const char schema_sql[];

static sqlite3 *db;
static struct store *st;

static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *b = NULL;
	long n;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 &&
	    fseek(f, 0, SEEK_SET) == 0 && (b = malloc((size_t)n + 1)) != NULL &&
	    fread(b, 1, (size_t)n, f) == (size_t)n)
		b[n] = '\0';
	else {
		free(b);
		b = NULL;
	}
	fclose(f);
	return b;
}

static int
sql(const char *s)
{
	int rc = sqlite3_exec(db, s, NULL, NULL, NULL);

	if (rc != SQLITE_OK)
		printf("  sql failed: %.80s: %s\n", s, sqlite3_errmsg(db));
	return rc == SQLITE_OK;
}

/* `authgate init` (store_init, as cmd_init calls it) on the file. */
static int
init(void)
{
	const char *ag = strstr(schema_sql, "-- @authgate-tables");
	struct store *w = NULL;
	char err[256], *ba;
	int ok;

	if (ag == NULL || (ba = strndup(schema_sql,
	    (size_t)(ag - schema_sql))) == NULL)
		return 0;
	ok = store_open(&w, DB, STORE_READWRITE, err, sizeof(err)) == 0 &&
	    store_init(w, ba, ag, err, sizeof(err)) == 0;
	if (!ok)
		printf("  init failed: %s\n", err);
	store_close(w);
	free(ba);
	return ok;
}

/* A fresh database from the dump at path (NULL: none) and the SQL in
 * setup (NULL: none), then `authgate init` on it (what it adds on an
 * IdP's database; on an empty one, better-auth's tables too), and a
 * read-only store on it. Returns 1 on success. */
static int
fresh(const char *path, const char *setup, int authgate_tables)
{
	char *dump = path != NULL ? slurp(path) : NULL;
	char err[256];
	int ok;

	store_close(st);
	st = NULL;
	if (db != NULL)
		sqlite3_close(db);
	unlink(DB);
	unlink(DB "-wal");
	unlink(DB "-shm");
	ok = sqlite3_open(DB, &db) == SQLITE_OK &&
	    (path == NULL || (dump != NULL && sql(dump))) &&
	    (setup == NULL || sql(setup)) &&
	    (!authgate_tables || init()) &&
	    store_open(&st, DB, STORE_READONLY, err, sizeof(err)) == 0;
	free(dump);
	if (st != NULL)
		store_set_quiet(st, 1);
	return ok;
}

/* store_read_begin: 0 usable, -1 refused; ends the snapshot. */
static int
begin(void)
{
	int changed;

	if (store_read_begin(st, &changed) != 0)
		return -1;
	store_read_end(st);
	return 0;
}

/* Looks an Auth.js token up in a snapshot: 1 / 0 / -1 as the store. */
static int
find(const char *tok, struct store_session *out)
{
	int changed, rc;

	if (store_read_begin(st, &changed) != 0)
		return -2;
	rc = store_authjs_session_find(st, tok, strlen(tok), out);
	store_read_end(st);
	return rc;
}

static int
member(const char *uid, const char *email, struct store_membership *m)
{
	int changed, rc;

	if (store_read_begin(st, &changed) != 0)
		return -2;
	rc = store_read_authgate_member(st, uid, email, m);
	store_read_end(st);
	return rc;
}

static int
problem_has(const char *what)
{
	return strstr(store_schema_problem(st), what) != NULL;
}

/* The Kysely database: ISO-8601 text dates, a session id. */
static void
kysely_cases(void)
{
	struct store_session s;
	int changed;

	T_CHECK("sr-ky-1", fresh("tests/vectors/authjs/kysely.sql", NULL, 1));
	T_EQ_INT("sr-ky-2", begin(), 0);
	T_EQ_INT("sr-ky-3", store_read_begin(st, &changed), 0);
	T_EQ_INT("sr-ky-4", store_session_shape(st), STORE_SHAPE_AUTHJS);
	/* a better-auth token finds nothing here, and is no error */
	T_EQ_INT("sr-ky-5", store_session_find(st, "tok", 3, &s), 0);
	store_read_end(st);
	T_EQ_INT("sr-ky-6", find("ky-v5-0b9f4c62-6a51-4c47-9b1e-2f6f3d1a7c01",
	    &s), 1);
	T_EQ_STR("sr-ky-7", s.user.email, "alice@example.test");
	T_EQ_STR("sr-ky-8", s.user.name, "Alice Owner");
	T_EQ_INT("sr-ky-9", s.expires.present && !s.expires.bad, 1);
	T_EQ_INT("sr-ky-10", s.expires.ms, Y2099);
	T_EQ_INT("sr-ky-11", strlen(s.id) > 0, 1);
	T_EQ_INT("sr-ky-12", s.org.org_id[0], '\0');
	T_EQ_INT("sr-ky-13", find("ky-expired-5e6f7a8b-9c0d-4e1f-a2b3-"
	    "c4d5e6f7a8b9", &s), 1);
	T_EQ_INT("sr-ky-14", s.expires.ms, Y2020);
	T_EQ_INT("sr-ky-15", store_time_past(&s.expires, Y2020 + 1), 1);
	T_EQ_INT("sr-ky-16", find("ky-v5-unknown", &s), 0);
	/* a prefix or a different case of a token is another token */
	T_EQ_INT("sr-ky-17", find("ky-v5-0b9f4c62", &s), 0);
	T_EQ_INT("sr-ky-18", find("KY-V5-0B9F4C62-6A51-4C47-9B1E-2F6F3D1A7C01",
	    &s), 0);
	/* the v4 token (64 hex characters after the prefix) */
	T_EQ_INT("sr-ky-19", find("kyv4a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4"
	    "e5f60718293a4b5c6d7e8", &s), 1);
}

/* The Drizzle database: integer epoch ms, no session id. */
static void
drizzle_cases(void)
{
	struct store_session s;

	T_CHECK("sr-dz-1", fresh("tests/vectors/authjs/drizzle.sql", NULL, 1));
	T_EQ_INT("sr-dz-2", begin(), 0);
	T_EQ_INT("sr-dz-3", find("dz-v5-7d3e9a10-1c2b-4e5f-8a9b-0c1d2e3f4a5b",
	    &s), 1);
	T_EQ_STR("sr-dz-4", s.user.email, "bob@example.test");
	T_EQ_INT("sr-dz-5", s.expires.ms, Y2099);
	T_EQ_STR("sr-dz-6", s.id, "");
	T_EQ_INT("sr-dz-7", find("dz-expired-5e6f7a8b-9c0d-4e1f-a2b3-"
	    "c4d5e6f7a8b9", &s), 1);
	T_EQ_INT("sr-dz-8", s.expires.ms, Y2020);
	/* Kysely's token in Drizzle's database: absent */
	T_EQ_INT("sr-dz-9", find("ky-v5-0b9f4c62-6a51-4c47-9b1e-2f6f3d1a7c01",
	    &s), 0);
}

/* expires spelled other ways an app may leave it: each is read as the
 * same instant, or as unreadable (which only ever denies). */
static void
date_cases(void)
{
	static const struct {
		const char	*id;
		const char	*value;		/* SQL literal */
		int		 bad;
		long long	 ms;
	} c[] = {
		{ "sr-date-1", "4070908800000", 0, Y2099 },	/* Drizzle ms */
		{ "sr-date-2", "4070908800", 0, Y2099 },	/* seconds */
		{ "sr-date-3", "'2099-01-01T00:00:00.000Z'", 0, Y2099 },
		{ "sr-date-4", "'2099-01-01T00:00:00Z'", 0, Y2099 },
		{ "sr-date-5", "'4070908800000'", 0, Y2099 },	/* ms as text */
		{ "sr-date-6", "'tomorrow'", 1, 0 },
		{ "sr-date-7", "'2099-13-01T00:00:00Z'", 1, 0 },
		{ "sr-date-8", "''", 1, 0 },
		{ "sr-date-9", "4070908800000.0", 0, Y2099 },
	};
	struct store_session s;
	char q[256];
	size_t i;

	T_CHECK("sr-date-0", fresh("tests/vectors/authjs/drizzle.sql", NULL, 1));
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		snprintf(q, sizeof(q), "update session set expires = %s where"
		    " sessionToken = 'dz-v5-c4a7e2d9-5b6f-4a3c-9d8e-"
		    "1f2a3b4c5d6e'", c[i].value);
		if (!sql(q)) {
			T_CHECK(c[i].id, 0);
			continue;
		}
		if (find("dz-v5-c4a7e2d9-5b6f-4a3c-9d8e-1f2a3b4c5d6e", &s) != 1) {
			T_CHECK(c[i].id, 0);
			continue;
		}
		T_EQ_INT(c[i].id, s.expires.bad, c[i].bad);
		if (!c[i].bad)
			T_EQ_INT(c[i].id, s.expires.ms, c[i].ms);
		else	/* Invariant: unreadable is past */
			T_EQ_INT(c[i].id, store_time_past(&s.expires, 0), 1);
	}
}

/* Shapes the probe must refuse (503), and the one it must accept. */
static void
shape_cases(void)
{
	struct store_session s;
	int changed;

	/* better-auth's own schema */
	T_CHECK("sr-shape-1", fresh(NULL, NULL, 1));
	T_EQ_INT("sr-shape-2", store_read_begin(st, &changed), 0);
	T_EQ_INT("sr-shape-3", store_session_shape(st),
	    STORE_SHAPE_BETTER_AUTH);
	T_EQ_INT("sr-shape-4", store_authjs_session_find(st, "x", 1, &s), 0);
	store_read_end(st);

	/* both token columns: ambiguous */
	T_CHECK("sr-shape-5", fresh("tests/vectors/authjs/drizzle.sql", NULL, 1) &&
	    sql("alter table session add column token text"));
	T_EQ_INT("sr-shape-6", begin(), -1);
	T_CHECK("sr-shape-7", problem_has("ambiguous"));
	T_EQ_INT("sr-shape-8", store_last_error(st, &(const char *){ NULL }),
	    STORE_ERR_SCHEMA);

	/* neither token column */
	T_CHECK("sr-shape-9", fresh(NULL, "create table \"user\""
	    " (id text, email text, name text); create table session"
	    " (id text, userId text, expires integer)", 1));
	T_EQ_INT("sr-shape-10", begin(), -1);
	T_CHECK("sr-shape-11", problem_has("lacks column token"));

	/* Auth.js shape without expires */
	T_CHECK("sr-shape-12", fresh(NULL, "create table \"user\""
	    " (id text, email text, name text); create table session"
	    " (sessionToken text, userId text)", 1));
	T_EQ_INT("sr-shape-13", begin(), -1);
	T_CHECK("sr-shape-14", problem_has("lacks column expires"));

	/* a user table without email */
	T_CHECK("sr-shape-15", fresh(NULL, "create table \"user\""
	    " (id text, name text); create table session"
	    " (sessionToken text, userId text, expires integer)", 1));
	T_EQ_INT("sr-shape-16", begin(), -1);
	T_CHECK("sr-shape-17", problem_has("lacks column email"));

	/* memberships without organizations */
	T_CHECK("sr-shape-18", fresh("tests/vectors/authjs/kysely.sql", NULL, 1) &&
	    sql("drop table authgate_organization"));
	T_EQ_INT("sr-shape-19", begin(), -1);
	T_CHECK("sr-shape-20", problem_has("authgate_membership is there"
	    " without"));

	/* no authgate tables at all (init not run): no rules, refused */
	T_CHECK("sr-shape-21", fresh("tests/vectors/authjs/kysely.sql", NULL, 0));
	T_EQ_INT("sr-shape-22", begin(), -1);
	T_CHECK("sr-shape-23", problem_has("authgate_rule"));

	/* a schema changed under an open, probed handle is probed again */
	T_CHECK("sr-shape-24", fresh("tests/vectors/authjs/kysely.sql", NULL, 1));
	T_EQ_INT("sr-shape-25", begin(), 0);
	T_CHECK("sr-shape-26", sql("alter table Session add column token"
	    " text"));
	T_EQ_INT("sr-shape-27", begin(), -1);
	T_CHECK("sr-shape-28", problem_has("ambiguous"));
	T_CHECK("sr-shape-29", sql("alter table Session drop column token"));
	T_EQ_INT("sr-shape-30", begin(), 0);
	/* ... and the better-auth layout replacing it is noticed too */
	T_CHECK("sr-shape-31", sql("alter table Session rename column"
	    " sessionToken to token"));
	T_EQ_INT("sr-shape-32", begin(), -1);
	T_CHECK("sr-shape-33", problem_has("expiresAt"));
}

static void
membership_cases(void)
{
	struct store_membership m;

	T_CHECK("sr-mem-1", fresh("tests/vectors/authjs/kysely.sql", NULL, 1));
	T_EQ_INT("sr-mem-2", member("u1", "a@x.test", &m), 0);
	T_EQ_INT("sr-mem-3", m.member, 0);
	T_CHECK("sr-mem-4", sql(
	    "insert into authgate_organization (id, slug) values"
	    " ('o1', 'one'), ('o2', 'two');"
	    "insert into authgate_membership (id, user_id, email,"
	    " organization_id, role) values"
	    " (10, NULL, 'A@X.test', 'o2', 'admin'),"
	    " (11, 'u1', NULL, 'o1', 'member'),"
	    " (12, 'u1', NULL, 'o2', 'owner'),"
	    " (13, 'u1', NULL, 'o1', 'guest'),"
	    " (14, NULL, 'b@x.test', 'o1', 'owner')"));
	/* by user id: the oldest row's organization, all roles there */
	T_EQ_INT("sr-mem-5", member("u1", "a@x.test", &m), 1);
	T_EQ_STR("sr-mem-6", m.org_id, "o1");
	T_EQ_STR("sr-mem-7", m.slug, "one");
	T_EQ_INT("sr-mem-8", m.member, 1);
	T_CHECK("sr-mem-9", strstr(m.roles, "member") != NULL &&
	    strstr(m.roles, "guest") != NULL && strstr(m.roles, "owner") == NULL);
	/* by address, letter case ignored, only without user-id rows */
	T_EQ_INT("sr-mem-10", member("u9", "a@x.test", &m), 1);
	T_EQ_STR("sr-mem-11", m.org_id, "o2");
	T_EQ_STR("sr-mem-12", m.roles, "admin");
	/* no address: nothing by address; "" never matches */
	T_EQ_INT("sr-mem-13", member("u9", NULL, &m), 0);
	T_EQ_INT("sr-mem-14", member("u9", "", &m), 0);
	/* a row naming a missing organization gives nothing */
	T_CHECK("sr-mem-15", sql("insert into authgate_membership (id, user_id,"
	    " organization_id, role) values (1, 'u2', 'gone', 'owner')"));
	T_EQ_INT("sr-mem-16", member("u2", NULL, &m), 0);
	/* another user's address is not this user's */
	T_EQ_INT("sr-mem-17", member("u3", "b@x.test", &m), 1);
	T_EQ_STR("sr-mem-18", m.roles, "owner");
	T_EQ_INT("sr-mem-19", member("u3", "c@x.test", &m), 0);
	/* the session statement carries the same membership: by address
	 * (no row has alice's user id), letter case ignored */
	{
		struct store_session ss;

		T_CHECK("sr-mem-22", sql("insert into authgate_membership"
		    " (id, email, organization_id, role) values (20,"
		    " 'ALICE@example.test', 'o2', 'admin'), (21,"
		    " 'alice@example.test', 'o2', 'guest')"));
		T_EQ_INT("sr-mem-23", find("ky-v5-0b9f4c62-6a51-4c47-9b1e-"
		    "2f6f3d1a7c01", &ss), 1);
		T_EQ_STR("sr-mem-24", ss.org.org_id, "o2");
		T_EQ_STR("sr-mem-25", ss.org.slug, "two");
		T_EQ_INT("sr-mem-26", ss.org.member, 1);
		T_CHECK("sr-mem-27", strstr(ss.org.roles, "admin") != NULL &&
		    strstr(ss.org.roles, "guest") != NULL);
		/* carol: no row, no organization */
		T_EQ_INT("sr-mem-28", find("ky-v5-c4a7e2d9-5b6f-4a3c-9d8e-"
		    "1f2a3b4c5d6e", &ss), 1);
		T_EQ_INT("sr-mem-29", ss.org.org_id[0] == '\0' &&
		    !ss.org.member, 1);
	}
	/* a database from before the tables: no membership, no error */
	T_CHECK("sr-mem-20", sql("drop table authgate_membership;"
	    " drop table authgate_organization"));
	T_EQ_INT("sr-mem-21", member("u1", "a@x.test", &m), 0);
	{
		struct store_session ss;

		T_EQ_INT("sr-mem-30", find("ky-v5-0b9f4c62-6a51-4c47-9b1e-"
		    "2f6f3d1a7c01", &ss), 1);
		T_EQ_INT("sr-mem-31", ss.org.org_id[0], '\0');
	}
}

int
main(void)
{
	if (system("mkdir -p tests/tmp") != 0)
		return 1;
	kysely_cases();
	drizzle_cases();
	date_cases();
	shape_cases();
	membership_cases();
	store_close(st);
	sqlite3_close(db);
	return t_done("test_store_read");
}
