/*
 * gate.c - which answer a request gets: role dispatch for the authorizer
 * (lighttpd, Apache mod_authnz_fcgi), the check endpoint (nginx, Caddy),
 * the webhook and 404.
 *
 * Trusts nothing in a request: every parameter is hostile and handed to
 * the parsers with its length. Never reads a body itself and never writes
 * to a socket: the transport reads the body gate_plan asked for and sends
 * the bytes gate_answer wrote. Never reads a body in the authorizer or
 * check roles. Every answer starts with "Status:".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gate.h"
#include "log.h"
#include "metrics.h"
#include "reply.h"
#include "sandbox.h"
#include "util.h"

enum role {
	ROLE_AUTHORIZER,	/* lighttpd authorizer, Apache mod_authnz_fcgi */
	ROLE_CHECK,		/* nginx auth_request, Caddy forward_auth */
	ROLE_WEBHOOK,
	ROLE_HEALTH,		/* responder role only: never an allow */
	ROLE_METRICS,
	ROLE_OTHER
};

static const char *
param(const struct gate_request *rq, const char *name)
{
	return rq->param(rq->ctx, name);
}

static struct slice
slice_of(const char *v)
{
	struct slice s = { v, v != NULL ? strlen(v) : 0 };
	return s;
}

/* Length of the path part of a request target (up to '?'). */
static size_t
path_len(const char *uri)
{
	size_t n = 0;

	while (uri[n] != '\0' && uri[n] != '?')
		n++;
	return n;
}

static int
path_is(const char *uri, const char *want)
{
	return uri != NULL && path_len(uri) == strlen(want) &&
	    memcmp(uri, want, strlen(want)) == 0;
}

static enum role
role_of(const struct gate *g, const struct gate_request *rq)
{
	const char *r = param(rq, "FCGI_ROLE");
	const char *ar = param(rq, "FCGI_APACHE_ROLE");
	const char *mode = param(rq, "AUTHGATE_MODE");
	const char *uri = param(rq, "REQUEST_URI");

	if (ar != NULL && (strcmp(ar, "AUTHENTICATOR") == 0 ||
	    strcmp(ar, "AUTHORIZER") == 0))
		return ROLE_AUTHORIZER;
	if (r != NULL && strcmp(r, "AUTHORIZER") == 0)
		return ROLE_AUTHORIZER;
	if ((mode != NULL && strcmp(mode, "check") == 0) ||
	    path_is(uri, g->cfg->check_path))
		return ROLE_CHECK;
	if (path_is(uri, g->cfg->webhook_path))
		return ROLE_WEBHOOK;
	/* Invariant: reached in the responder role only; in the authorizer
	 * and check roles these paths are decided by the rules like any
	 * other, since a 200 there would be an allow. */
	if (path_is(uri, g->cfg->health_path))
		return ROLE_HEALTH;
	if (path_is(uri, g->cfg->metrics_path))
		return ROLE_METRICS;
	return ROLE_OTHER;
}

static void
log_deny(const struct gate_request *rq, const struct authz_decision *d)
{
	char path[256], method[40], client[64];
	const char *ra = param(rq, "REMOTE_ADDR");

	log_msg("deny status=%d reason=%s method=%s path=%s client=%s"
	    " rule=%lld", d->status, d->reason,
	    log_clean(d->method, strlen(d->method), method, sizeof(method)),
	    log_clean(d->path, strlen(d->path), path, sizeof(path)),
	    log_clean(ra, ra ? strlen(ra) : 0, client, sizeof(client)),
	    d->rule_id);
}

static size_t
decide(struct gate *g, const struct gate_request *rq, enum role role,
    char *out, size_t outsz)
{
	struct authz_input in;
	struct authz_decision *d = &g->dec;
	const char *v;
	uint64_t t0;

	memset(&in, 0, sizeof(in));
	if (role == ROLE_CHECK) {
		/* Only server-set parameters (no HTTP_ prefix) name the
		 * original request, unless forwarded headers are trusted. */
		in.uri = slice_of(param(rq, "AUTHGATE_ORIGINAL_URI"));
		in.method = slice_of(param(rq, "AUTHGATE_ORIGINAL_METHOD"));
		if (g->cfg->trust_forwarded && in.uri.p == NULL)
			in.uri = slice_of(param(rq, "HTTP_X_FORWARDED_URI"));
		if (g->cfg->trust_forwarded && in.method.p == NULL)
			in.method = slice_of(param(rq,
			    "HTTP_X_FORWARDED_METHOD"));
		if (in.uri.p == NULL || in.method.p == NULL) {
			log_msg("deny status=400 reason=check_no_original"
			    " (set AUTHGATE_ORIGINAL_URI and"
			    " AUTHGATE_ORIGINAL_METHOD in the server config)");
			return reply_error(400, "Bad Request - original request"
			    " unknown", NULL, out, outsz);
		}
	} else {
		in.uri = slice_of(param(rq, "REQUEST_URI"));
		in.method = slice_of(param(rq, "REQUEST_METHOD"));
	}
	in.cookie = slice_of(param(rq, "HTTP_COOKIE"));
	in.authorization = slice_of(param(rq, "HTTP_AUTHORIZATION"));
	in.api_key = slice_of(param(rq, "HTTP_X_API_KEY"));
	in.accept = slice_of(param(rq, "HTTP_ACCEPT"));
	in.requested_with = slice_of(param(rq, "HTTP_X_REQUESTED_WITH"));
	in.fetch_mode = slice_of(param(rq, "HTTP_SEC_FETCH_MODE"));
	in.overrides[0] = slice_of(param(rq, "HTTP_X_HTTP_METHOD_OVERRIDE"));
	in.overrides[1] = slice_of(param(rq, "HTTP_X_HTTP_METHOD"));
	in.overrides[2] = slice_of(param(rq, "HTTP_X_METHOD_OVERRIDE"));
	/* The throttle's key: what the server saw, never a client header
	 * (a server config behind a proxy sets AUTHGATE_CLIENT_ADDR). */
	in.client = slice_of(param(rq, "AUTHGATE_CLIENT_ADDR"));
	if (in.client.p == NULL)
		in.client = slice_of(param(rq, "REMOTE_ADDR"));

	t0 = metrics_now_ns();
	authz_decide(g->az, &in, d);
	metrics_decision(d->status, d->reason, metrics_now_ns() - t0);
	if (d->status == 503 && strncmp(d->reason, "store_", 6) == 0)
		metrics_store_error();
	/* A banned client's requests are not logged one by one (the ban
	 * was, once: authz.c); a flood of them must not flood the log. */
	if (d->status != 200 && strcmp(d->reason, "client_throttled") != 0)
		log_deny(rq, d);
	if (role == ROLE_CHECK && d->status == 302 &&
	    (v = param(rq, "AUTHGATE_REDIRECT_VIA_401")) != NULL &&
	    strcmp(v, "1") == 0)
		return reply_redirect_as_401(d, out, outsz);
	return reply_decision(d, role == ROLE_CHECK ? REPLY_CHECK :
	    REPLY_AUTHORIZER, out, outsz);
}

static const char *
param_get(void *ctx, const char *name)
{
	return param(ctx, name);
}

/* The webhook's read-write store, opened on the first verified delivery. */
static struct store *
webhook_store(void *ctx)
{
	struct gate *g = ctx;
	char err[512];

	/* Never creates the file: only `authgate init` makes a database. */
	if (g->wstore == NULL && store_open(&g->wstore, g->cfg->db,
	    STORE_READWRITE_EXISTING, err, sizeof(err)) != 0) {
		log_msg("webhook reason=store_unavailable: %s", err);
		g->wstore = NULL;
		return NULL;
	}
	return g->wstore;
}

/* The webhook's checks on the parameters alone: 0 to read the body, or
 * the length of the refusal written into out. */
static size_t
webhook_plan(struct gate *g, const struct gate_request *rq,
    uint64_t *len, char *out, size_t outsz)
{
	const char *method = param(rq, "REQUEST_METHOD");
	const char *cl = param(rq, "CONTENT_LENGTH");

	if (method == NULL || strcmp(method, "POST") != 0)
		return reply_error(405, "Method Not Allowed - POST only",
		    "Allow: POST", out, outsz);
	if (cl == NULL || *cl == '\0')
		return reply_error(411, "Length Required", NULL, out, outsz);
	if (util_parse_u64(cl, strlen(cl), len) != 0)
		return reply_error(400, "Bad Request - invalid Content-Length",
		    NULL, out, outsz);
	if (*len > g->cfg->max_body) {
		log_msg("webhook status=413 reason=body_too_large bytes=%llu",
		    (unsigned long long)*len);
		return reply_error(413, "Content Too Large", NULL, out, outsz);
	}
	if (!g->webhook_ready) {
		log_msg("webhook status=503 reason=no_secret (set"
		    " AUTHGATE_WEBHOOK_SECRET or _FILE)");
		return reply_error(503, "Service Unavailable - webhook secret"
		    " not configured", "Retry-After: 60", out, outsz);
	}
	return 0;
}

/* A delivery's verdict for the metrics (metrics.h's names). */
static const char *
delivery_verdict(const struct webhook_result *r)
{
	if (r->status == 200)
		return store_outcome_name(r->outcome);
	if (r->status == 503)
		return "unavailable";
	if (strncmp(r->reason, "signature", 9) == 0 ||
	    strncmp(r->reason, "timestamp", 9) == 0)
		return "bad_signature";
	return "rejected";
}

static int
get_or_head(const struct gate_request *rq)
{
	const char *m = param(rq, "REQUEST_METHOD");

	return m != NULL && (strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0);
}

/*
 * The health endpoint: 200 when a decision could be made now (the
 * decision's own snapshot checks, authz_health), else 503 with the
 * reason. Reads no credential and no other parameter.
 */
static size_t
health(struct gate *g, const struct gate_request *rq, char *out,
    size_t outsz)
{
	const char *why;
	char json[96];

	if (!get_or_head(rq))
		return reply_error(405, "Method Not Allowed - GET or HEAD",
		    "Allow: GET, HEAD", out, outsz);
	if ((why = authz_health(g->az)) == NULL)
		return reply_json(200, "{\"status\":\"ok\"}", NULL, out,
		    outsz);
	log_msg("health status=503 reason=%s", why);
	snprintf(json, sizeof(json), "{\"status\":\"unavailable\","
	    "\"reason\":\"%s\"}", why);
	return reply_json(503, json, "Retry-After: 5", out, outsz);
}

/* The metrics endpoint: every counter in Prometheus' text format. */
static size_t
metrics(const struct gate_request *rq, char *out, size_t outsz)
{
	static char text[GATE_REPLY_MAX - 256];
	size_t n;

	if (!get_or_head(rq))
		return reply_error(405, "Method Not Allowed - GET or HEAD",
		    "Allow: GET, HEAD", out, outsz);
	if ((n = metrics_render(text, sizeof(text))) == 0 ||
	    (n = reply_text("text/plain; version=0.0.4; charset=utf-8", text,
	    n, out, outsz)) == 0)
		return reply_error(503, "Service Unavailable - metrics do not"
		    " fit", NULL, out, outsz);
	return n;
}

/* Publishes a committed delivery, signed with the cluster key. */
static int
gate_publish(void *ctx, const char *id, const char *type, const char *body,
    size_t n)
{
	struct gate *g = ctx;
	char sig[WEBHOOK_CLUSTER_SIG_LEN + 1];

	if (g->bus == NULL) {
		log_msg("nats: not connected (see the start-up log); answering"
		    " 503");
		return -1;
	}
	if (webhook_cluster_sign(g->bus_cfg->key, g->bus_cfg->key_n, id,
	    type, body, n, sig) != 0)
		return -1;
	return bus_publish(g->bus, id, type, sig, body, n);
}

/* The webhook receiver, once the body is read: webhook_handle. */
static size_t
webhook_apply(struct gate *g, const struct gate_request *rq, char *body,
    size_t n, char *out, size_t outsz)
{
	struct webhook_headers h;
	struct webhook_result r;
	char type[64], id[80], json[128];
	static char empty[1];

	if (body == NULL) {
		body = empty;
		n = 0;
	}
	webhook_headers_read(&h, param_get, (void *)rq);
	webhook_handle_pub(g->secrets, webhook_store, g, g->bus_cfg != NULL &&
	    g->bus_cfg->enabled ? gate_publish : NULL, g, &h, body, n, &r);
	metrics_webhook(delivery_verdict(&r));
	if (r.status == 503 && strncmp(r.reason, "store_", 6) == 0)
		metrics_store_error();
	log_msg("webhook status=%d reason=%s type=%s id=%s outcome=%s",
	    r.status, r.reason,
	    log_clean(r.type, strlen(r.type), type, sizeof(type)),
	    log_clean(r.id, strlen(r.id), id, sizeof(id)),
	    r.status == 200 ? store_outcome_name(r.outcome) : "-");
	if (r.status == 200) {
		snprintf(json, sizeof(json), "{\"ok\":true,\"outcome\":\"%s\"}",
		    store_outcome_name(r.outcome));
		return reply_json(200, json, NULL, out, outsz);
	}
	return reply_error(r.status, r.message, r.status == 503 ?
	    "Retry-After: 5" : NULL, out, outsz);
}

void
gate_init(struct gate *g, const struct config *cfg, struct authz *az,
    const struct webhook_secrets *secrets)
{
	memset(g, 0, sizeof(*g));
	g->cfg = cfg;
	g->az = az;
	g->secrets = secrets;
	g->webhook_ready = secrets->n > 0;
}

void
gate_set_bus(struct gate *g, const struct bus_config *c)
{
	g->bus_cfg = c;
}

int
gate_bus_open(struct gate *g, const char *name, char *err, size_t errsz)
{
	if (g->bus_cfg == NULL || !g->bus_cfg->enabled || !g->webhook_ready)
		return 0;
	if (g->bus != NULL)
		return 1;
	if (bus_open(&g->bus, g->bus_cfg, name, err, errsz) != 0)
		return -1;
	return 1;
}

void
gate_fini(struct gate *g)
{
	bus_close(g->bus);
	g->bus = NULL;
	store_close(g->wstore);
	g->wstore = NULL;
}

#ifdef AUTHGATE_TEST_HOOKS
/*
 * Test builds only: the sandbox's hooks (sandbox.h), for the serve
 * worker and lighttpd's processes alike. Returns the answer's length, or
 * 0 when the request carries no hook parameter.
 */
static size_t
test_hook(const struct gate_request *rq, char *out, size_t outsz)
{
	const char *what;
	int st;

	if ((st = sandbox_test_hook(param(rq, "AUTHGATE_TEST_SYSCALL"),
	    param(rq, "AUTHGATE_TEST_OPEN"), param(rq, "AUTHGATE_TEST_CRASH"),
	    &what)) == 0)
		return 0;
	return reply_error(st, what, NULL, out, outsz);
}
#endif

enum gate_plan
gate_plan(struct gate *g, const struct gate_request *rq, uint64_t *body_len,
    char *out, size_t outsz, size_t *n)
{
	*body_len = 0;
	*n = 0;
#ifdef AUTHGATE_TEST_HOOKS
	if ((*n = test_hook(rq, out, outsz)) != 0)
		return GATE_DONE;
#endif
	if (role_of(g, rq) != ROLE_WEBHOOK)
		return GATE_NOW;
	if ((*n = webhook_plan(g, rq, body_len, out, outsz)) != 0) {
		metrics_webhook(strncmp(out, "Status: 503", 11) == 0 ?
		    "unavailable" : "refused");
		*body_len = 0;
		return GATE_DONE;
	}
	return GATE_BODY;
}

size_t
gate_answer(struct gate *g, const struct gate_request *rq, char *body,
    size_t body_n, char *out, size_t outsz)
{
	enum role role = role_of(g, rq);

	switch (role) {
	case ROLE_AUTHORIZER:
	case ROLE_CHECK:
		return decide(g, rq, role, out, outsz);
	case ROLE_WEBHOOK:
		return webhook_apply(g, rq, body, body_n, out, outsz);
	case ROLE_HEALTH:
		return health(g, rq, out, outsz);
	case ROLE_METRICS:
		return metrics(rq, out, outsz);
	default:
		return reply_error(404, "Not Found", NULL, out, outsz);
	}
}

size_t
gate_refuse(enum gate_refusal why, const char *reason, char *out,
    size_t outsz)
{
	switch (why) {
	case GATE_BODY_SHORT:
		log_msg("webhook status=400 reason=body_short");
		return reply_error(400, "Bad Request - body shorter than"
		    " Content-Length", NULL, out, outsz);
	case GATE_NO_MEMORY:
		return reply_error(503, "Service Unavailable - out of memory",
		    "Retry-After: 5", out, outsz);
	case GATE_BUSY:
		log_msg("webhook status=503 reason=busy (deliveries in"
		    " flight at their limit)");
		return reply_error(503, "Service Unavailable - busy, retry",
		    "Retry-After: 5", out, outsz);
	case GATE_PARAMS_BAD:
	default:
		log_msg("deny status=400 reason=%s (FastCGI parameters over"
		    " a limit or malformed)", reason != NULL ? reason :
		    "params_bad");
		return reply_error(400, "Bad Request - request headers too"
		    " large or malformed", NULL, out, outsz);
	}
}
