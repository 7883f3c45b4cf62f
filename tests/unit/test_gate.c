/*
 * test_gate.c - unit tests for src/gate.c: what a request needs before it
 * can be answered, decided from its parameters alone (the webhook's 405,
 * 411, 400, 413 and 503 come before any body byte is read), the 404 for
 * other paths, and the answers a transport gives when it gives up. Every
 * answer starts with "Status: ". The decision itself (authz) and the
 * webhook's store are tested elsewhere; these cases never reach them.
 *
 * Case ids are stable: a new case gets a new id, an id never changes
 * meaning.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gate.h"
#include "harness.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))
#define STARTS(buf, lit)	(strncmp((buf), (lit), sizeof(lit) - 1) == 0)

/* Parameters as "NAME=VALUE\n" lines; a value stays valid for the
 * next 15 lookups, as the gate holds several at once. */
static const char *
lines_param(void *ctx, const char *name)
{
	static char vals[16][512];
	static unsigned k;
	char *val = vals[k++ % 16];
	const char *p = ctx, *nl;
	size_t n = strlen(name), vn;

	while (p != NULL && *p != '\0') {
		nl = strchr(p, '\n');
		if (strncmp(p, name, n) == 0 && p[n] == '=') {
			vn = (nl ? (size_t)(nl - p) : strlen(p)) - n - 1;
			memcpy(val, p + n + 1, vn);
			val[vn] = '\0';
			return val;
		}
		p = nl ? nl + 1 : NULL;
	}
	return NULL;
}

static struct config cfg;
static struct authz az;
static struct webhook_secrets none, one;
static char out[GATE_REPLY_MAX];

static const struct {
	const char	*id;
	int		 secret;	/* a webhook secret is configured */
	const char	*params;
	enum gate_plan	 want;
	const char	*status;	/* GATE_DONE: first line */
	uint64_t	 len;		/* GATE_BODY: body length */
} plans[] = {
	{ "gate-001", 1, "REQUEST_URI=/webhooks/optare\nREQUEST_METHOD=GET\n",
	  GATE_DONE, "Status: 405 Method Not Allowed", 0 },
	{ "gate-002", 1, "REQUEST_URI=/webhooks/optare\n", GATE_DONE,
	  "Status: 405 Method Not Allowed", 0 },
	{ "gate-003", 1, "REQUEST_URI=/webhooks/optare\nREQUEST_METHOD=POST\n",
	  GATE_DONE, "Status: 411 Length Required", 0 },
	{ "gate-004", 1, "REQUEST_URI=/webhooks/optare\nREQUEST_METHOD=POST\n"
	  "CONTENT_LENGTH=\n", GATE_DONE, "Status: 411 Length Required", 0 },
	{ "gate-005", 1, "REQUEST_URI=/webhooks/optare\nREQUEST_METHOD=POST\n"
	  "CONTENT_LENGTH=12x\n", GATE_DONE, "Status: 400 Bad Request", 0 },
	{ "gate-006", 1, "REQUEST_URI=/webhooks/optare\nREQUEST_METHOD=POST\n"
	  "CONTENT_LENGTH=-1\n", GATE_DONE, "Status: 400 Bad Request", 0 },
	/* AUTHGATE_MAX_BODY (1000 here) at N-1, N, N+1 */
	{ "gate-007", 1, "REQUEST_URI=/webhooks/optare\nREQUEST_METHOD=POST\n"
	  "CONTENT_LENGTH=999\n", GATE_BODY, NULL, 999 },
	{ "gate-008", 1, "REQUEST_URI=/webhooks/optare\nREQUEST_METHOD=POST\n"
	  "CONTENT_LENGTH=1000\n", GATE_BODY, NULL, 1000 },
	{ "gate-009", 1, "REQUEST_URI=/webhooks/optare\nREQUEST_METHOD=POST\n"
	  "CONTENT_LENGTH=1001\n", GATE_DONE, "Status: 413 Content Too Large",
	  0 },
	{ "gate-010", 1, "REQUEST_URI=/webhooks/optare?x=1\nREQUEST_METHOD=POST\n"
	  "CONTENT_LENGTH=0\n", GATE_BODY, NULL, 0 },
	/* no secret: 503 before the body */
	{ "gate-011", 0, "REQUEST_URI=/webhooks/optare\nREQUEST_METHOD=POST\n"
	  "CONTENT_LENGTH=10\n", GATE_DONE, "Status: 503 Service Unavailable",
	  0 },
	/* the authorizer and check roles never need a body */
	{ "gate-012", 1, "REQUEST_URI=/api/x\nREQUEST_METHOD=POST\n"
	  "CONTENT_LENGTH=10\n", GATE_NOW, NULL, 0 },
	{ "gate-013", 1, "REQUEST_URI=/webhooks/optare\nREQUEST_METHOD=POST\n"
	  "CONTENT_LENGTH=10\nFCGI_ROLE=AUTHORIZER\n", GATE_NOW, NULL, 0 },
	{ "gate-014", 1, "REQUEST_URI=/webhooks/optare\nREQUEST_METHOD=POST\n"
	  "CONTENT_LENGTH=10\nAUTHGATE_MODE=check\n", GATE_NOW, NULL, 0 },
	{ "gate-015", 1, "REQUEST_URI=/webhooks/optare\nREQUEST_METHOD=POST\n"
	  "CONTENT_LENGTH=10\nFCGI_APACHE_ROLE=AUTHENTICATOR\n", GATE_NOW,
	  NULL, 0 },
	{ "gate-016", 1, "REQUEST_URI=/webhooks/optarex\nREQUEST_METHOD=POST\n"
	  "CONTENT_LENGTH=10\n", GATE_NOW, NULL, 0 },
};

static void
test_plan(void)
{
	struct gate g;
	struct gate_request rq;
	uint64_t len;
	size_t i, n;
	enum gate_plan got;

	for (i = 0; i < NELEM(plans); i++) {
		gate_init(&g, &cfg, &az, plans[i].secret ? &one : &none);
		rq.param = lines_param;
		rq.ctx = (void *)plans[i].params;
		memset(out, 0, sizeof(out));
		got = gate_plan(&g, &rq, &len, out, sizeof(out), &n);
		T_EQ_INT(plans[i].id, got, plans[i].want);
		if (plans[i].want == GATE_DONE) {
			T_CHECK(plans[i].id, n > 0 && n < sizeof(out) &&
			    strncmp(out, plans[i].status,
			    strlen(plans[i].status)) == 0 &&
			    out[strlen(plans[i].status)] == '\r');
			T_EQ_INT(plans[i].id, len, 0);
		} else {
			T_EQ_INT(plans[i].id, n, 0);
			T_EQ_INT(plans[i].id, len, plans[i].len);
		}
		gate_fini(&g);
	}
}

static void
test_answers(void)
{
	static const struct {
		const char		*id;
		enum gate_refusal	 why;
		const char		*status;
	} refusals[] = {
		{ "gate-ref-001", GATE_BODY_SHORT, "Status: 400 Bad Request\r\n" },
		{ "gate-ref-002", GATE_NO_MEMORY,
		  "Status: 503 Service Unavailable\r\n" },
		{ "gate-ref-003", GATE_BUSY, "Status: 503 Service Unavailable\r\n" },
		{ "gate-ref-004", GATE_PARAMS_BAD, "Status: 400 Bad Request\r\n" },
	};
	struct gate g;
	struct gate_request rq = { lines_param,
	    (void *)"REQUEST_URI=/elsewhere\nREQUEST_METHOD=GET\n" };
	size_t i, n;

	for (i = 0; i < NELEM(refusals); i++) {
		n = gate_refuse(refusals[i].why, "why", out, sizeof(out));
		T_CHECK(refusals[i].id, n > 0 && n < sizeof(out) &&
		    strncmp(out, refusals[i].status,
		    strlen(refusals[i].status)) == 0);
		T_CHECK(refusals[i].id, strstr(out, "Cache-Control: no-store") &&
		    strstr(out, "Content-Type: application/json"));
	}
	T_CHECK("gate-ref-005", strstr(out, "Retry-After") == NULL);
	gate_refuse(GATE_BUSY, NULL, out, sizeof(out));
	T_CHECK("gate-ref-006", strstr(out, "\r\nRetry-After: 5\r\n") != NULL);
	/* neither a decision nor the webhook: 404, never an allow */
	gate_init(&g, &cfg, &az, &one);
	n = gate_answer(&g, &rq, NULL, 0, out, sizeof(out));
	T_CHECK("gate-404-001", n > 0 && STARTS(out, "Status: 404 Not Found\r\n"));
	/* too small a buffer: the fixed 503, never a reply without Status */
	n = gate_answer(&g, &rq, NULL, 0, out, 40);
	T_CHECK("gate-404-002", n == 0 || STARTS(out, "Status: "));
	gate_fini(&g);
}

/* Health and metrics in the responder role, the cases that never reach
 * the store (the store's cases are in tests/integration/ops.sh). */
static void
test_ops(void)
{
	static const struct {
		const char	*id;
		const char	*params;
		const char	*status;
		const char	*has;
	} cases[] = {
		{ "gate-ops-001", "REQUEST_URI=/_authgate/metrics\n"
		  "REQUEST_METHOD=GET\n", "Status: 200 OK\r\n",
		  "\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8"
		  "\r\n" },
		{ "gate-ops-002", "REQUEST_URI=/_authgate/metrics?x=1\n"
		  "REQUEST_METHOD=HEAD\n", "Status: 200 OK\r\n",
		  "\n# TYPE authgate_decisions_total counter\n" },
		{ "gate-ops-003", "REQUEST_URI=/_authgate/metrics\n"
		  "REQUEST_METHOD=POST\n", "Status: 405 Method Not Allowed\r\n",
		  "\r\nAllow: GET, HEAD\r\n" },
		{ "gate-ops-004", "REQUEST_URI=/_authgate/health\n"
		  "REQUEST_METHOD=DELETE\n", "Status: 405 Method Not Allowed\r\n",
		  "\r\nCache-Control: no-store\r\n" },
		{ "gate-ops-005", "REQUEST_URI=/_authgate/metrics/x\n"
		  "REQUEST_METHOD=GET\n", "Status: 404 Not Found\r\n", "" },
		{ "gate-ops-006", "REQUEST_URI=/_authgate/metrics\n"
		  "REQUEST_METHOD=GET\n", "Status: 200 OK\r\n",
		  "\r\nCache-Control: no-store\r\n" },
	};
	struct gate g;
	struct gate_request rq;
	uint64_t len;
	size_t i, n;

	gate_init(&g, &cfg, &az, &one);
	for (i = 0; i < NELEM(cases); i++) {
		rq.param = lines_param;
		rq.ctx = (void *)cases[i].params;
		T_EQ_INT(cases[i].id, gate_plan(&g, &rq, &len, out, sizeof(out),
		    &n), GATE_NOW);
		memset(out, 0, sizeof(out));
		n = gate_answer(&g, &rq, NULL, 0, out, sizeof(out));
		T_CHECK(cases[i].id, n > 0 && n < sizeof(out) &&
		    strncmp(out, cases[i].status, strlen(cases[i].status)) == 0 &&
		    strstr(out, cases[i].has) != NULL);
	}
	gate_fini(&g);
}

/*
 * Multi-host: a process connects to NATS only when publishing is on AND
 * it applies deliveries (a secret is configured): an authorizer-only
 * process never does, whatever the settings.
 */
static void
test_bus(void)
{
	static struct bus_config off, on;
	struct gate g;
	char err[256];

	on.enabled = 1;
	gate_init(&g, &cfg, &az, &one);
	T_EQ_INT("gate-bus-001", gate_bus_open(&g, "t", err, sizeof(err)), 0);
	gate_set_bus(&g, &off);
	T_EQ_INT("gate-bus-002", gate_bus_open(&g, "t", err, sizeof(err)), 0);
	gate_init(&g, &cfg, &az, &none);
	gate_set_bus(&g, &on);
	T_EQ_INT("gate-bus-003", gate_bus_open(&g, "t", err, sizeof(err)), 0);
	T_CHECK("gate-bus-004", g.bus == NULL);
	gate_fini(&g);
}

int
main(void)
{
	memset(&cfg, 0, sizeof(cfg));
	snprintf(cfg.db, sizeof(cfg.db), "/nonexistent/authgate-test.db");
	snprintf(cfg.webhook_path, sizeof(cfg.webhook_path), "/webhooks/optare");
	snprintf(cfg.check_path, sizeof(cfg.check_path), "/_authgate/check");
	snprintf(cfg.health_path, sizeof(cfg.health_path), "/_authgate/health");
	snprintf(cfg.metrics_path, sizeof(cfg.metrics_path),
	    "/_authgate/metrics");
	cfg.max_body = 1000;
	one.n = 1;
	test_plan();
	test_answers();
	test_ops();
	test_bus();
	return t_done("test_gate");
}
