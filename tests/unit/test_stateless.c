/*
 * test_stateless.c - unit tests for src/stateless.c: which cookie, which
 * key, what identity, for NextAuth v4 / Auth.js v5 JWT cookies and
 * better-auth's cookie cache. Tokens from the real libraries
 * (tests/vectors/authjs/vectors.json). Case ids are stable.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "harness.h"
#include "stateless.h"

#define VECTORS	"tests/vectors/authjs/vectors.json"

static cJSON *vec;
static char hdr[16384];

static const char *
str(const cJSON *o, const char *k)
{
	const cJSON *m = cJSON_GetObjectItem(o, k);

	return cJSON_IsString(m) ? m->valuestring : "";
}

static const cJSON *
find(const char *list, const char *id)
{
	const cJSON *c;

	cJSON_ArrayForEach(c, cJSON_GetObjectItem(vec, list))
		if (strcmp(str(c, "id"), id) == 0)
			return c;
	return NULL;
}

static const char *
secret(const char *name)
{
	return str(cJSON_GetObjectItem(vec, "secrets"), name);
}

/* A stateless context with the vectors' secrets (nextauth 0: without). */
static int
setup(struct stateless *st, int nextauth, size_t nauth, int trust)
{
	static unsigned char auth[2][CRED_MAX_SECRET];
	size_t an[2];
	const char *na = secret("NEXTAUTH_SECRET"), *ba =
	    secret("BETTER_AUTH_SECRET");

	an[0] = strlen(secret("AUTH_SECRET"));
	an[1] = strlen(secret("AUTH_SECRET_1"));
	memcpy(auth[0], secret("AUTH_SECRET"), an[0]);
	memcpy(auth[1], secret("AUTH_SECRET_1"), an[1]);
	return stateless_init(st, (const unsigned char *)na,
	    nextauth ? strlen(na) : 0, (const unsigned char (*)[CRED_MAX_SECRET])
	    auth, an, nauth, (const unsigned char *)ba, strlen(ba), trust);
}

static void
test_authjs(void)
{
	static struct stateless st, st4;
	struct stateless_id id;
	const char *why;
	const cJSON *c;
	char cid[64];
	enum stateless_rc rc;
	int n = 0;

	T_EQ_INT("sl-000", setup(&st, 1, 2, 0), 0);
	T_CHECK("sl-000", stateless_authjs_on(&st));
	cJSON_ArrayForEach(c, cJSON_GetObjectItem(vec, "authjs")) {
		snprintf(hdr, sizeof(hdr), "theme=dark; %s=%s; x=1",
		    str(c, "cookie"), str(c, "value"));
		rc = stateless_authjs(&st, hdr, strlen(hdr), util_now_ms(), &id,
		    &why);
		snprintf(cid, sizeof(cid), "sl-%s", str(c, "id"));
		if (strcmp(str(c, "expect"), "allow") == 0) {
			T_EQ_INT(cid, rc, STATELESS_OK);
			T_EQ_STR(cid, id.user_id, str(c, "user_id"));
			T_EQ_STR(cid, id.email, str(c, "email"));
			T_EQ_STR(cid, id.name, str(c, "name"));
			T_EQ_STR(cid, id.session_id, str(c, "jti"));
			T_CHECK(cid, id.expires_ms / 1000 == (int64_t)
			    cJSON_GetObjectItem(c, "exp")->valuedouble);
		} else {
			T_EQ_INT(cid, rc, STATELESS_INVALID);
			T_CHECK(cid, strncmp(why, "jwt_", 4) == 0);
			T_EQ_STR(cid, id.user_id, "");
		}
		n++;
	}
	T_CHECK("sl-count", n >= 13);

	/* no cookie, other cookies, a database token */
	T_EQ_INT("sl-001", stateless_authjs(&st, "", 0, util_now_ms(), &id,
	    &why), STATELESS_ABSENT);
	snprintf(hdr, sizeof(hdr), "better-auth.session_token=abc; a=b");
	T_EQ_INT("sl-002", stateless_authjs(&st, hdr, strlen(hdr),
	    util_now_ms(), &id, &why), STATELESS_ABSENT);
	snprintf(hdr, sizeof(hdr), "authjs.session-token=5b0c7a3e-0d6f-4b8e");
	T_EQ_INT("sl-003", stateless_authjs(&st, hdr, strlen(hdr),
	    util_now_ms(), &id, &why), STATELESS_NOT_JWT);
	/* chunks: the real chunked cookie; a gap */
	c = find("authjs", "v5-chunked");
	snprintf(hdr, sizeof(hdr), "authjs.session-token.1=%s; "
	    "authjs.session-token.0=%s",
	    cJSON_GetArrayItem(cJSON_GetObjectItem(c, "chunks"), 1)->valuestring,
	    cJSON_GetArrayItem(cJSON_GetObjectItem(c, "chunks"), 0)->valuestring);
	T_EQ_INT("sl-004", stateless_authjs(&st, hdr, strlen(hdr),
	    util_now_ms(), &id, &why), STATELESS_OK);
	T_EQ_STR("sl-004", id.user_id, "user-bob-0002");
	snprintf(hdr, sizeof(hdr), "authjs.session-token.1=%s",
	    cJSON_GetArrayItem(cJSON_GetObjectItem(c, "chunks"), 1)->valuestring);
	T_EQ_INT("sl-005", stateless_authjs(&st, hdr, strlen(hdr),
	    util_now_ms(), &id, &why), STATELESS_INVALID);
	T_EQ_STR("sl-005", why, "cookie_malformed");
	/* a v5 cookie under the v4 name: another key, another derivation */
	snprintf(hdr, sizeof(hdr), "next-auth.session-token=%s",
	    str(find("authjs", "v5-bob"), "value"));
	T_EQ_INT("sl-006", stateless_authjs(&st, hdr, strlen(hdr),
	    util_now_ms(), &id, &why), STATELESS_INVALID);
	/* v5 wins over v4 when both are sent */
	snprintf(hdr, sizeof(hdr), "next-auth.session-token=%s; "
	    "authjs.session-token=%s", str(find("authjs", "v4-alice"), "value"),
	    str(find("authjs", "v5-bob"), "value"));
	T_EQ_INT("sl-007", stateless_authjs(&st, hdr, strlen(hdr),
	    util_now_ms(), &id, &why), STATELESS_OK);
	T_EQ_STR("sl-007", id.user_id, "user-bob-0002");
	/* without NEXTAUTH_SECRET a v4 cookie opens under nothing */
	T_EQ_INT("sl-008", setup(&st4, 0, 0, 0), 0);
	T_CHECK("sl-008", !stateless_authjs_on(&st4));
	snprintf(hdr, sizeof(hdr), "next-auth.session-token=%s",
	    str(find("authjs", "v4-alice"), "value"));
	T_EQ_INT("sl-009", stateless_authjs(&st4, hdr, strlen(hdr),
	    util_now_ms(), &id, &why), STATELESS_INVALID);
	/* only the rotated secret opens v5-rotated-secret */
	T_EQ_INT("sl-010", setup(&st4, 1, 1, 0), 0);
	snprintf(hdr, sizeof(hdr), "authjs.session-token=%s",
	    str(find("authjs", "v5-rotated-secret"), "value"));
	T_EQ_INT("sl-011", stateless_authjs(&st4, hdr, strlen(hdr),
	    util_now_ms(), &id, &why), STATELESS_INVALID);
	T_EQ_INT("sl-012", stateless_authjs(&st, hdr, strlen(hdr),
	    util_now_ms(), &id, &why), STATELESS_OK);
	stateless_fini(&st);
	stateless_fini(&st4);
}

static void
test_cache(void)
{
	static struct stateless on, off;
	struct cred_hmac mac, foreign;
	struct stateless_id id;
	const char *why, *ba = secret("BETTER_AUTH_SECRET");
	const cJSON *c;
	char cid[64], token[128];
	enum stateless_rc rc;
	size_t tn;

	T_EQ_INT("cache-000", setup(&on, 0, 0, 1), 0);
	T_EQ_INT("cache-000", setup(&off, 0, 0, 0), 0);
	T_EQ_INT("cache-000", cred_hmac_init(&mac, (const unsigned char *)ba,
	    strlen(ba)), 0);
	T_EQ_INT("cache-000", cred_hmac_init(&foreign, (const unsigned char *)
	    secret("FOREIGN_SECRET"), strlen(secret("FOREIGN_SECRET"))), 0);
	cJSON_ArrayForEach(c, cJSON_GetObjectItem(vec, "better_auth_cache")) {
		snprintf(hdr, sizeof(hdr), "better-auth.session_data=%s; y=2",
		    str(c, "session_data"));
		snprintf(token, sizeof(token), "%s", str(c, "token"));
		tn = strlen(token);
		snprintf(cid, sizeof(cid), "cache-%s", str(c, "id"));
		rc = stateless_cache(&on, hdr, strlen(hdr), "better-auth",
		    token, tn, &mac, NULL, 0, util_now_ms(), &id, &why);
		if (strcmp(str(c, "expect"), "allow") == 0) {
			T_EQ_INT(cid, rc, STATELESS_OK);
			T_EQ_STR(cid, id.user_id, str(c, "user_id"));
			T_EQ_STR(cid, id.session_id, str(c, "session_id"));
			T_EQ_STR(cid, id.email, str(c, "email"));
			T_EQ_STR(cid, id.org_id, "");
			/* off: never read */
			T_EQ_INT(cid, stateless_cache(&off, hdr, strlen(hdr),
			    "better-auth", token, tn, &mac, NULL, 0,
			    util_now_ms(), &id, &why), STATELESS_ABSENT);
			/* another session's token beside it */
			token[0] = token[0] == 'A' ? 'B' : 'A';
			T_EQ_INT(cid, stateless_cache(&on, hdr, strlen(hdr),
			    "better-auth", token, tn, &mac, NULL, 0,
			    util_now_ms(), &id, &why), STATELESS_INVALID);
			T_EQ_STR(cid, why, "cache_other_session");
			token[0] = str(c, "token")[0];
			/* the right secret as an earlier one (compact, jwt) */
			if (strcmp(str(c, "strategy"), "jwe") != 0)
				T_EQ_INT(cid, stateless_cache(&on, hdr,
				    strlen(hdr), "better-auth", token, tn,
				    &foreign, &mac, 1, util_now_ms(), &id,
				    &why), STATELESS_OK);
			if (strcmp(str(c, "strategy"), "jwe") != 0)
				T_EQ_INT(cid, stateless_cache(&on, hdr,
				    strlen(hdr), "better-auth", token, tn,
				    &foreign, NULL, 0, util_now_ms(), &id,
				    &why), STATELESS_INVALID);
			else {
				/* jwe: the key is derived from the secret */
				static struct stateless other;
				const char *f = secret("FOREIGN_SECRET");

				T_EQ_INT(cid, stateless_init(&other, NULL, 0,
				    NULL, NULL, 0, (const unsigned char *)f,
				    strlen(f), 1), 0);
				T_EQ_INT(cid, stateless_cache(&other, hdr,
				    strlen(hdr), "better-auth", token, tn,
				    &mac, NULL, 0, util_now_ms(), &id, &why),
				    STATELESS_INVALID);
				T_EQ_STR(cid, why, "cache_bad_signature");
				stateless_fini(&other);
			}
			/* another prefix: not our cookie */
			T_EQ_INT(cid, stateless_cache(&on, hdr, strlen(hdr),
			    "myapp", token, tn, &mac, NULL, 0, util_now_ms(),
			    &id, &why), STATELESS_ABSENT);
		} else {
			T_EQ_INT(cid, rc, STATELESS_INVALID);
			T_EQ_STR(cid, why, "cache_expired");
		}
	}
	/* the __Secure- name, and none at all */
	c = find("better_auth_cache", "ba-jwt");
	snprintf(hdr, sizeof(hdr), "__Secure-better-auth.session_data=%s",
	    str(c, "session_data"));
	T_EQ_INT("cache-001", stateless_cache(&on, hdr, strlen(hdr),
	    "better-auth", str(c, "token"), strlen(str(c, "token")), &mac,
	    NULL, 0, util_now_ms(), &id, &why), STATELESS_OK);
	T_EQ_INT("cache-002", stateless_cache(&on, "a=b", 3, "better-auth",
	    "t", 1, &mac, NULL, 0, util_now_ms(), &id, &why),
	    STATELESS_ABSENT);
	snprintf(hdr, sizeof(hdr), "better-auth.session_data=a.b");
	T_EQ_INT("cache-003", stateless_cache(&on, hdr, strlen(hdr),
	    "better-auth", "t", 1, &mac, NULL, 0, util_now_ms(), &id, &why),
	    STATELESS_INVALID);
	cred_hmac_free(&mac);
	cred_hmac_free(&foreign);
	stateless_fini(&on);
	stateless_fini(&off);
}

static cJSON *
load(const char *path)
{
	static char buf[256 * 1024];
	FILE *f = fopen(path, "rb");
	size_t n;

	if (f == NULL)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return cJSON_Parse(buf);
}

int
main(void)
{
	vec = load(VECTORS);
	T_CHECK("load", vec != NULL);
	if (vec == NULL)
		return t_done("test_stateless");
	test_authjs();
	test_cache();
	cJSON_Delete(vec);
	return t_done("test_stateless");
}
