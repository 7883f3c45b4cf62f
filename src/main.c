/*
 * main.c - the FastCGI/CGI loop: role dispatch and the one place that
 * writes replies.
 *
 * Trusts nothing in a request. Owns the process-wide state (config,
 * store handle, decision context) and the output buffer, all static so
 * the hot path never touches the heap. Never reads a request body in
 * the authorizer or check roles. Every reply starts with "Status:".
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "authz.h"
#include "cli.h"
#include "config.h"
#include "log.h"
#include "reply.h"
#include "sandbox.h"
#include "serve.h"
#include "store.h"
#include "webhook.h"

static struct config		cfg;
static struct authz		az;
static struct authz_decision	dec;
static char			out[REPLY_MAX];
static struct webhook_secrets	secrets;
static struct store		*wstore;	/* read-write, webhook only */
static char			*body;		/* AUTHGATE_MAX_BODY + 1 */

enum role {
	ROLE_AUTHORIZER,	/* lighttpd authorizer, Apache mod_authnz_fcgi */
	ROLE_CHECK,		/* nginx auth_request, Caddy forward_auth */
	ROLE_WEBHOOK,
	ROLE_OTHER
};

/* A request's parameters: FastCGI params, or the CGI environment. */
struct params {
	FCGX_ParamArray	envp;	/* NULL: plain CGI */
};

static const char *
param(const struct params *p, const char *name)
{
	return p->envp != NULL ? FCGX_GetParam(name, p->envp) : getenv(name);
}

static struct slice
slice_of(const char *v)
{
	struct slice s = { v, v != NULL ? strlen(v) : 0 };
	return s;
}

/* The one place reply bytes leave the process. */
static void
send_reply(FCGX_Stream *o, const char *buf, size_t n)
{
	if (o != NULL) {
		FCGX_PutStr(buf, (int)n, o);
	} else {
		fwrite(buf, 1, n, stdout);
		fflush(stdout);
	}
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
role_of(const struct params *p)
{
	const char *r = param(p, "FCGI_ROLE");
	const char *ar = param(p, "FCGI_APACHE_ROLE");
	const char *mode = param(p, "AUTHGATE_MODE");
	const char *uri = param(p, "REQUEST_URI");

	if (ar != NULL && (strcmp(ar, "AUTHENTICATOR") == 0 ||
	    strcmp(ar, "AUTHORIZER") == 0))
		return ROLE_AUTHORIZER;
	if (r != NULL && strcmp(r, "AUTHORIZER") == 0)
		return ROLE_AUTHORIZER;
	if ((mode != NULL && strcmp(mode, "check") == 0) ||
	    path_is(uri, cfg.check_path))
		return ROLE_CHECK;
	if (path_is(uri, cfg.webhook_path))
		return ROLE_WEBHOOK;
	return ROLE_OTHER;
}

static void
log_deny(const struct params *p, const struct authz_decision *d)
{
	char path[256], method[40], client[64];

	log_msg("deny status=%d reason=%s method=%s path=%s client=%s"
	    " rule=%lld", d->status, d->reason,
	    log_clean(d->method, strlen(d->method), method, sizeof(method)),
	    log_clean(d->path, strlen(d->path), path, sizeof(path)),
	    log_clean(param(p, "REMOTE_ADDR"),
	    param(p, "REMOTE_ADDR") ? strlen(param(p, "REMOTE_ADDR")) : 0,
	    client, sizeof(client)), d->rule_id);
}

static void
decide(const struct params *p, enum role role, FCGX_Stream *o)
{
	struct authz_input in;
	const char *v;
	size_t n;

	memset(&in, 0, sizeof(in));
	if (role == ROLE_CHECK) {
		/* Only server-set parameters (no HTTP_ prefix) name the
		 * original request, unless forwarded headers are trusted. */
		in.uri = slice_of(param(p, "AUTHGATE_ORIGINAL_URI"));
		in.method = slice_of(param(p, "AUTHGATE_ORIGINAL_METHOD"));
		if (cfg.trust_forwarded && in.uri.p == NULL)
			in.uri = slice_of(param(p, "HTTP_X_FORWARDED_URI"));
		if (cfg.trust_forwarded && in.method.p == NULL)
			in.method = slice_of(param(p,
			    "HTTP_X_FORWARDED_METHOD"));
		if (in.uri.p == NULL || in.method.p == NULL) {
			log_msg("deny status=400 reason=check_no_original"
			    " (set AUTHGATE_ORIGINAL_URI and"
			    " AUTHGATE_ORIGINAL_METHOD in the server config)");
			n = reply_error(400, "Bad Request - original request"
			    " unknown", NULL, out, sizeof(out));
			send_reply(o, out, n);
			return;
		}
	} else {
		in.uri = slice_of(param(p, "REQUEST_URI"));
		in.method = slice_of(param(p, "REQUEST_METHOD"));
	}
	in.cookie = slice_of(param(p, "HTTP_COOKIE"));
	in.authorization = slice_of(param(p, "HTTP_AUTHORIZATION"));
	in.api_key = slice_of(param(p, "HTTP_X_API_KEY"));
	in.accept = slice_of(param(p, "HTTP_ACCEPT"));
	in.requested_with = slice_of(param(p, "HTTP_X_REQUESTED_WITH"));
	in.fetch_mode = slice_of(param(p, "HTTP_SEC_FETCH_MODE"));
	in.overrides[0] = slice_of(param(p, "HTTP_X_HTTP_METHOD_OVERRIDE"));
	in.overrides[1] = slice_of(param(p, "HTTP_X_HTTP_METHOD"));
	in.overrides[2] = slice_of(param(p, "HTTP_X_METHOD_OVERRIDE"));

	authz_decide(&az, &in, &dec);
	if (dec.status != 200)
		log_deny(p, &dec);
	if (role == ROLE_CHECK && dec.status == 302 &&
	    (v = param(p, "AUTHGATE_REDIRECT_VIA_401")) != NULL &&
	    strcmp(v, "1") == 0)
		n = reply_redirect_as_401(&dec, out, sizeof(out));
	else
		n = reply_decision(&dec, role == ROLE_CHECK ? REPLY_CHECK :
		    REPLY_AUTHORIZER, out, sizeof(out));
	send_reply(o, out, n);
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
	char err[512];

	(void)ctx;
	if (wstore == NULL && store_open(&wstore, cfg.db, STORE_READWRITE,
	    err, sizeof(err)) != 0) {
		log_msg("webhook reason=store_unavailable: %s", err);
		wstore = NULL;
		return NULL;
	}
	return wstore;
}

/* Reads exactly n body bytes into body. Returns 0, or -1 if short. */
static int
read_body(FCGX_Stream *in, size_t n)
{
	size_t got = 0;
	int r;

	while (got < n) {
		size_t want = n - got > 65536 ? 65536 : n - got;

		if (in != NULL)
			r = FCGX_GetStr(body + got, (int)want, in);
		else
			r = (int)fread(body + got, 1, want, stdin);
		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	return 0;
}

static void
webhook_reply(FCGX_Stream *o, int status, const char *msg, const char *extra)
{
	size_t n = reply_error(status, msg, extra, out, sizeof(out));

	send_reply(o, out, n);
}

/* The webhook receiver: bounded body, then webhook_handle. */
static void
webhook(const struct params *p, FCGX_Stream *in, FCGX_Stream *o)
{
	struct webhook_headers h;
	struct webhook_result r;
	const char *method = param(p, "REQUEST_METHOD");
	const char *cl = param(p, "CONTENT_LENGTH");
	char type[64], id[80], json[128];
	uint64_t len;
	size_t n;

	if (method == NULL || strcmp(method, "POST") != 0) {
		webhook_reply(o, 405, "Method Not Allowed - POST only",
		    "Allow: POST");
		return;
	}
	if (cl == NULL || *cl == '\0') {
		webhook_reply(o, 411, "Length Required", NULL);
		return;
	}
	if (util_parse_u64(cl, strlen(cl), &len) != 0) {
		webhook_reply(o, 400, "Bad Request - invalid Content-Length",
		    NULL);
		return;
	}
	if (len > cfg.max_body) {
		log_msg("webhook status=413 reason=body_too_large bytes=%llu",
		    (unsigned long long)len);
		webhook_reply(o, 413, "Content Too Large", NULL);
		return;
	}
	if (secrets.n == 0) {
		log_msg("webhook status=503 reason=no_secret (set"
		    " AUTHGATE_WEBHOOK_SECRET or _FILE)");
		webhook_reply(o, 503, "Service Unavailable - webhook secret"
		    " not configured", "Retry-After: 60");
		return;
	}
	if (body == NULL && (body = malloc(cfg.max_body + 1)) == NULL) {
		webhook_reply(o, 503, "Service Unavailable - out of memory",
		    "Retry-After: 5");
		return;
	}
	if (read_body(in, (size_t)len) != 0) {
		log_msg("webhook status=400 reason=body_short");
		webhook_reply(o, 400, "Bad Request - body shorter than"
		    " Content-Length", NULL);
		return;
	}
	webhook_headers_read(&h, param_get, (void *)p);
	webhook_handle(&secrets, webhook_store, NULL, &h, body, (size_t)len,
	    &r);
	log_msg("webhook status=%d reason=%s type=%s id=%s outcome=%s",
	    r.status, r.reason,
	    log_clean(r.type, strlen(r.type), type, sizeof(type)),
	    log_clean(r.id, strlen(r.id), id, sizeof(id)),
	    r.status == 200 ? store_outcome_name(r.outcome) : "-");
	if (r.status == 200) {
		snprintf(json, sizeof(json), "{\"ok\":true,\"outcome\":\"%s\"}",
		    store_outcome_name(r.outcome));
		n = reply_json(200, json, NULL, out, sizeof(out));
		send_reply(o, out, n);
	} else {
		webhook_reply(o, r.status, r.message, r.status == 503 ?
		    "Retry-After: 5" : NULL);
	}
}

#ifdef AUTHGATE_TEST_HOOKS
/* Test builds only: the sandbox's hooks (sandbox.h). Returns 1 if answered. */
static int
test_hook(const struct params *p, FCGX_Stream *o)
{
	const char *what;
	int st;

	if ((st = sandbox_test_hook(param(p, "AUTHGATE_TEST_SYSCALL"),
	    param(p, "AUTHGATE_TEST_OPEN"), param(p, "AUTHGATE_TEST_CRASH"),
	    &what)) == 0)
		return 0;
	send_reply(o, out, reply_error(st, what, NULL, out, sizeof(out)));
	return 1;
}
#endif

static void
handle(const struct params *p, FCGX_Stream *in, FCGX_Stream *o)
{
	enum role role = role_of(p);
	size_t n;

#ifdef AUTHGATE_TEST_HOOKS
	if (test_hook(p, o))
		return;
#endif
	switch (role) {
	case ROLE_AUTHORIZER:
	case ROLE_CHECK:
		decide(p, role, o);
		return;
	case ROLE_WEBHOOK:
		webhook(p, in, o);
		return;
	default:
		n = reply_error(404, "Not Found", NULL, out, sizeof(out));
		break;
	}
	send_reply(o, out, n);
}

static int
serve_fastcgi(void)
{
	FCGX_Request req;
	struct params p;

	if (FCGX_Init() != 0 || FCGX_InitRequest(&req, 0, 0) != 0) {
		fprintf(stderr, "authgate: cannot initialise FastCGI\n");
		return 2;
	}
	if (sandbox_start(secrets.n ? SANDBOX_WEBHOOK : SANDBOX_DECIDE, cfg.db,
	    0))
		return 2;
	while (FCGX_Accept_r(&req) >= 0) {
		p.envp = req.envp;
		handle(&p, req.in, req.out);
		FCGX_Finish_r(&req);
	}
	return 0;
}

/*
 * One worker of `authgate serve`: accepts connections itself (so SIGTERM
 * is noticed between requests and each connection gets its timeouts),
 * then lets libfcgi read the request from that connection.
 */
static int
worker_loop(int listen_fd)
{
	FCGX_Request req;
	struct params p;
	int fd;

	if (FCGX_Init() != 0 || FCGX_InitRequest(&req, -1, 0) != 0)
		return 2;
	if (sandbox_start(secrets.n ? SANDBOX_WEBHOOK : SANDBOX_DECIDE, cfg.db,
	    0))
		return 2;
	while (!serve_stopping) {
		if ((fd = serve_accept(listen_fd, 1000)) < 0)
			continue;
		/* libfcgi reads from ipcFd when it is set; keepConnection
		 * stops FCGX_Accept_r from closing it before it starts. */
		req.ipcFd = fd;
		req.keepConnection = 1;
		serve_deadline(SERVE_READ_DEADLINE_S);
		if (FCGX_Accept_r(&req) == 0) {
			p.envp = req.envp;
			handle(&p, req.in, req.out);
		}
		serve_deadline(0);
		/* One request per connection: the server may not hold a worker
		 * with an idle kept-alive connection. */
		req.keepConnection = 0;
		FCGX_Finish_r(&req);
		if (req.ipcFd >= 0) {
			close(req.ipcFd);
			req.ipcFd = -1;
		}
	}
	return 0;
}

/*
 * Loads the configuration and opens the store for the request loop.
 * Returns 0, or prints one line and returns 2.
 */
static int
main_setup(void)
{
	char err[512];
	struct store *s;

	if (config_load(&cfg, err, sizeof(err)) != 0 ||
	    webhook_secrets_load(&secrets, err, sizeof(err)) != 0) {
		fprintf(stderr, "authgate: %s\n", err);
		return 2;
	}
	if (store_open(&s, cfg.db, STORE_READONLY, err, sizeof(err)) != 0) {
		fprintf(stderr, "authgate: %s\n", err);
		return 2;
	}
	if (authz_init(&az, s, cfg.secret, cfg.secret_n,
	    cfg.cookie_prefix, cfg.case_sensitive) != 0) {
		fprintf(stderr, "authgate: cannot set up the decision\n");
		store_close(s);
		return 2;
	}
	if (cfg.secret_n == 0)
		log_msg("warning: BETTER_AUTH_SECRET is not set; session"
		    " cookie signatures are not checked");
	return 0;
}

int
main(int argc, char **argv)
{
	struct params p = { NULL };
	int rc;

	signal(SIGPIPE, SIG_IGN);
	if (argc > 1 && strcmp(argv[1], "serve") == 0)
		return serve_main(argc, argv, main_setup, worker_loop);
	if (argc > 1)
		return cli_main(argc, argv);

	if (FCGX_IsCGI()) {
		if (getenv("GATEWAY_INTERFACE") == NULL) {
			fprintf(stderr, "authgate: not started by a web server"
			    " (no FastCGI socket on fd 0, no CGI environment);"
			    " see 'authgate --help'\n");
			return 2;
		}
		if ((rc = main_setup()) != 0) {
			/* Fail closed even as CGI: the server gets a 503. */
			size_t n = reply_error(503, "Service Unavailable -"
			    " misconfigured", NULL, out, sizeof(out));
			send_reply(NULL, out, n);
			return rc;
		}
		handle(&p, NULL, NULL);
		return 0;
	}
	if ((rc = main_setup()) != 0)
		return rc;
	rc = serve_fastcgi();
	authz_fini(&az);
	config_wipe(&cfg);
	webhook_secrets_wipe(&secrets);
	return rc;
}
