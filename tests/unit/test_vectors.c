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
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

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
