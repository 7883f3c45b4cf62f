/*
 * test_vectors.c - what the real better-auth issued must be accepted, and
 * what it would reject (or what SPEC rejects) must be denied.
 *
 * tests/vectors/betterauth/ holds a database made by better-auth 1.7.5
 * and vectors.json, both written by gen.mjs there. This drives the whole
 * decision (authz_decide) over a copy of that database to which `authgate
 * init` added only its own tables (no rules in them), so the default
 * rule ('authenticated') applies. The untouched file, without
 * authgate_rule, is refused: no rules table is never "no rules".
 *
 * Then the keys with better-auth's usage fields ("uses"): each is used
 * as many times in a row as better-auth's own verifyApiKey was, with
 * uses counted, and every answer is compared with better-auth's answer
 * at that use. Last, keys with permissions ("permission_cases") against
 * rules requiring them, compared with verifyApiKey's permissions check.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <sqlite3.h>

#include "authz.h"
#include "schema.h"
#include "harness.h"

#define VECTORS	"tests/vectors/betterauth/vectors.json"
#define SRC_DB	"tests/vectors/betterauth/betterauth.db"
#define DB	"tests/tmp/vectors-betterauth.db"

extern const char schema_sql[];

static struct authz az;
static struct authz_decision d;

static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 &&
	    fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n + 1)) != NULL) {
		if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
			free(buf);
			buf = NULL;
		} else {
			buf[n] = '\0';
		}
	}
	fclose(f);
	return buf;
}

static const char *
str(const cJSON *c, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(c, k);
	return cJSON_IsString(v) ? v->valuestring : "";
}

static const cJSON *
get(const cJSON *c, const char *k)
{
	return cJSON_GetObjectItemCaseSensitive(c, k);
}

static long long
num(const cJSON *c, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(c, k);

	return cJSON_IsNumber(v) ? (long long)v->valuedouble : -1;
}

/* One decision for the API key val (an x-api-key header) at uri. */
static void
decide_key(const char *val, const char *uri)
{
	struct authz_input in;

	memset(&in, 0, sizeof(in));
	in.method.p = "GET";
	in.method.n = 3;
	in.uri.p = uri;
	in.uri.n = strlen(uri);
	in.api_key.p = val;
	in.api_key.n = strlen(val);
	authz_decide(&az, &in, &d);
}

/*
 * The usage keys, uses counted as the authorizer counts them: every
 * answer must be the expected one, and better-auth's own answer at that
 * use (in authgate's terms) wherever vectors.json says the two agree; a
 * disagreement must be one gen.mjs explains.
 */
static void
uses_check(const cJSON *root)
{
	const cJSON *u, *st, *exp, *baa, *tai;
	char id[160];
	long long n, want;
	int agrees, same;

	az.count_uses = 1;
	T_CHECK("vec-020", cJSON_GetArraySize(get(root, "uses")) >= 9);
	cJSON_ArrayForEach(u, get(root, "uses")) {
		snprintf(id, sizeof(id), "vec-use:%s", str(u, "id"));
		T_CHECK(id, cJSON_GetArraySize(get(u, "uses")) >= 2);
		n = 0;
		cJSON_ArrayForEach(st, get(u, "uses")) {
			n++;
			exp = get(st, "expect");
			baa = get(st, "better_auth_as_authgate");
			decide_key(str(u, "value"), "/api/vectors/uses");
			snprintf(id, sizeof(id), "vec-use:%s:%lld",
			    str(u, "id"), n);
			T_EQ_INT(id, num(st, "n"), n);
			T_EQ_INT(id, d.status, num(exp, "status"));
			T_EQ_STR(id, d.reason, str(exp, "reason"));
			if (d.status == 200) {
				T_EQ_STR(id, d.id.api_key_id,
				    str(u, "api_key_id"));
				T_EQ_STR(id, d.id.user_id, str(u, "user_id"));
			} else {
				T_EQ_STR(id, d.id.api_key_id, "");
			}
			/* better-auth's answer, or an explained difference */
			snprintf(id, sizeof(id), "vec-use-ba:%s:%lld",
			    str(u, "id"), n);
			agrees = cJSON_IsTrue(get(st, "better_auth_agrees"));
			same = num(baa, "status") == num(exp, "status") &&
			    strcmp(str(baa, "reason"), str(exp, "reason")) == 0;
			T_EQ_INT(id, agrees, same);
			if (agrees) {
				T_EQ_INT(id, d.status, num(baa, "status"));
				T_EQ_STR(id, d.reason, str(baa, "reason"));
			} else {
				T_CHECK(id, strlen(str(st,
				    "better_auth_differs_because")) > 0 &&
				    strstr(str(st, "better_auth_differs_because"),
				    "unexplained") == NULL);
			}
			/* Retry-After: better-auth's tryAgainIn (ms) in whole
			 * seconds, rounded up, within a second */
			tai = get(get(st, "better_auth"), "tryAgainIn");
			if (d.status == 429 && cJSON_IsNumber(tai)) {
				want = ((long long)tai->valuedouble + 999) / 1000;
				T_CHECK(id, d.retry_after >= want - 1 &&
				    d.retry_after <= want + 1);
			}
		}
	}
}

/*
 * The keys with permissions: one rule per case (its own path, access
 * api_key, require_permission), added to the copy by a second
 * connection as an admin in sqlite3 would; authgate must allow exactly
 * when better-auth's verifyApiKey granted the same permissions.
 */
static void
perms_check(const cJSON *root)
{
	const cJSON *c;
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	char id[160], path[64];
	int i = 0, ok;

	T_CHECK("vec-030", cJSON_GetArraySize(get(root,
	    "permission_cases")) >= 5);
	ok = sqlite3_open(DB, &db) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, "insert into authgate_rule (priority,"
	    " path, access, require_permission) values (?, ?, 'api_key', ?)",
	    -1, &st, NULL) == SQLITE_OK;
	cJSON_ArrayForEach(c, get(root, "permission_cases")) {
		snprintf(path, sizeof(path), "/api/vperm/%d", ++i);
		ok = ok && sqlite3_bind_int(st, 1, i) == SQLITE_OK &&
		    sqlite3_bind_text(st, 2, path, -1, SQLITE_TRANSIENT) ==
		    SQLITE_OK && sqlite3_bind_text(st, 3,
		    str(c, "require_permission"), -1, SQLITE_TRANSIENT) ==
		    SQLITE_OK && sqlite3_step(st) == SQLITE_DONE &&
		    sqlite3_reset(st) == SQLITE_OK;
	}
	T_CHECK("vec-031", ok);
	sqlite3_finalize(st);
	sqlite3_close(db);

	i = 0;
	cJSON_ArrayForEach(c, get(root, "permission_cases")) {
		int allow = strcmp(str(c, "expect"), "allow") == 0;

		snprintf(path, sizeof(path), "/api/vperm/%d", ++i);
		decide_key(str(c, "value"), path);
		snprintf(id, sizeof(id), "vec-perm:%s", str(c, "id"));
		T_EQ_INT(id, d.status, allow ? 200 : 403);
		T_EQ_STR(id, d.reason, allow ? "allow" : "permission_required");
		T_EQ_INT(id, num(c, "expect_status"), d.status);
		T_EQ_STR(id, str(c, "expect_reason"), d.reason);
		if (!allow)
			T_CHECK(id, strstr(d.message, "missing permission") !=
			    NULL);
		snprintf(id, sizeof(id), "vec-perm-ba:%s", str(c, "id"));
		T_CHECK(id, cJSON_IsTrue(get(c, "better_auth_agrees")));
		T_EQ_INT(id, cJSON_IsTrue(get(get(c, "better_auth"), "valid")),
		    allow);
	}
}

/* The reason codes authgate gives for each kind of refusal. */
static int
reason_matches(const char *want, const struct authz_decision *dd)
{
	static const struct { const char *want, *got; int status; } map[] = {
		{ "banned", "user_banned", 403 },
		{ "expired", "session_expired", 401 },
		{ "tampered", "session_bad_signature", 401 },
		{ "tampered", "session_malformed", 401 },
		{ "foreign_secret", "session_bad_signature", 401 },
		{ "unknown", "session_unknown", 401 },
		{ "unknown_key", "api_key_unknown", 401 },
		{ "disabled_key", "api_key_disabled", 401 },
		{ "expired_key", "api_key_expired", 401 },
	};
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(map[i].want, want) == 0 &&
		    strcmp(map[i].got, dd->reason) == 0 &&
		    map[i].status == dd->status)
			return 1;
	return 0;
}

int
main(void)
{
	char *json = slurp(VECTORS), err[256], id[160];
	const cJSON *cases, *c;
	struct store *s = NULL;
	cJSON *root;
	const char *secret;
	{
		char uerr[128];

		T_EQ_INT("vec-usage", usage_open(NULL, 0, uerr,
		    sizeof(uerr)), 0);
	}

	T_CHECK("vec-000", json != NULL);
	if (json == NULL)
		return t_done("test_vectors");
	root = cJSON_Parse(json);
	T_CHECK("vec-001", root != NULL);
	secret = str(root, "secret");
	T_CHECK("vec-002", strlen(secret) >= 32);
	/* the untouched better-auth file: 503, the schema is not whole */
	T_EQ_INT("vec-003a", store_open(&s, SRC_DB, STORE_READONLY, err,
	    sizeof(err)), 0);
	T_EQ_INT("vec-003b", authz_init(&az, s, (const unsigned char *)secret,
	    strlen(secret), "better-auth", 0), 0);
	{
		struct authz_input in;

		memset(&in, 0, sizeof(in));
		in.method.p = "GET";
		in.method.n = 3;
		in.uri.p = "/api/x";
		in.uri.n = 6;
		authz_decide(&az, &in, &d);
		T_EQ_INT("vec-003c", d.status, 503);
		T_EQ_STR("vec-003d", d.reason, "store_schema");
	}
	authz_fini(&az);
	store_close(s);
	/* a copy with authgate's tables added as `authgate init` does */
	T_EQ_INT("vec-003e", system("mkdir -p tests/tmp && rm -f " DB "*"
	    " && cp " SRC_DB " " DB), 0);
	T_EQ_INT("vec-003f", store_open(&s, DB, STORE_READWRITE, err,
	    sizeof(err)), 0);
	{
		const char *ag = strstr(schema_sql, "-- @authgate-tables");
		char *ba = ag != NULL ? strndup(schema_sql,
		    (size_t)(ag - schema_sql)) : NULL;

		T_EQ_INT("vec-003g", ba != NULL && store_init(s, ba, ag, err,
		    sizeof(err)) == 0, 1);
		free(ba);
	}
	store_close(s);
	T_EQ_INT("vec-003", store_open(&s, DB, STORE_READONLY, err,
	    sizeof(err)), 0);
	T_EQ_INT("vec-004", authz_init(&az, s, (const unsigned char *)secret,
	    strlen(secret), "better-auth", 0), 0);

	cases = cJSON_GetObjectItemCaseSensitive(root, "cases");
	T_CHECK("vec-005", cJSON_GetArraySize(cases) >= 40);
	cJSON_ArrayForEach(c, cases) {
		struct authz_input in;
		const char *hdr = str(c, "header"), *val = str(c, "value");
		const char *cid = str(c, "id");

		memset(&in, 0, sizeof(in));
		in.method.p = "GET";
		in.method.n = 3;
		in.uri.p = "/api/vectors?x=1";
		in.uri.n = strlen(in.uri.p);
		if (strcmp(hdr, "Cookie") == 0) {
			/* value is the Cookie header; strip "Cookie: " if any */
			in.cookie.p = val;
			in.cookie.n = strlen(val);
		} else if (strcmp(hdr, "Authorization") == 0) {
			in.authorization.p = val;
			in.authorization.n = strlen(val);
		} else {
			in.api_key.p = val;
			in.api_key.n = strlen(val);
		}
		authz_decide(&az, &in, &d);

		if (strcmp(str(c, "expect"), "allow") == 0) {
			snprintf(id, sizeof(id), "vec-allow:%s", cid);
			T_EQ_INT(id, d.status, 200);
			T_EQ_STR(id, d.id.user_id, str(c, "user_id"));
			T_EQ_STR(id, d.id.email, str(c, "email"));
			T_EQ_STR(id, d.id.name, str(c, "name"));
			T_EQ_STR(id, d.id.org_id, str(c, "org_id"));
			T_EQ_STR(id, d.id.org_slug, str(c, "org_slug"));
			T_EQ_STR(id, d.id.role, str(c, "role"));
			T_EQ_STR(id, d.id.roles, str(c, "roles"));
			T_EQ_STR(id, d.id.method, str(c, "method"));
			T_EQ_STR(id, d.id.session_id, str(c, "session_id"));
			T_EQ_STR(id, d.id.api_key_id, str(c, "api_key_id"));
			T_EQ_STR(id, d.id.expires_at, str(c, "expires_at"));
		} else {
			snprintf(id, sizeof(id), "vec-deny:%s", cid);
			T_CHECK(id, d.status == 401 || d.status == 403);
			if (!reason_matches(str(c, "reason"), &d))
				printf("  %s: got %d %s\n", cid, d.status,
				    d.reason);
			T_CHECK(id, reason_matches(str(c, "reason"), &d));
			T_EQ_STR(id, d.id.user_id, "");
		}
	}

	uses_check(root);
	perms_check(root);

	/* The same cookies must fail under another secret. */
	authz_fini(&az);
	T_EQ_INT("vec-010", authz_init(&az, s,
	    (const unsigned char *)"another-secret-another-secret-0000", 34,
	    "better-auth", 0), 0);
	cJSON_ArrayForEach(c, cases) {
		struct authz_input in;

		if (strcmp(str(c, "header"), "Cookie") != 0)
			continue;
		memset(&in, 0, sizeof(in));
		in.method.p = "GET";
		in.method.n = 3;
		in.uri.p = "/api/vectors";
		in.uri.n = strlen(in.uri.p);
		in.cookie.p = str(c, "value");
		in.cookie.n = strlen(in.cookie.p);
		authz_decide(&az, &in, &d);
		snprintf(id, sizeof(id), "vec-other-secret:%s", str(c, "id"));
		T_CHECK(id, d.status == 401);
	}
	authz_fini(&az);
	store_close(s);
	cJSON_Delete(root);
	free(json);
	return t_done("test_vectors");
}
