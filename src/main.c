/*
 * main.c - argv to cli | serve | the request loop: libfcgi on fd 0 (as
 * lighttpd and spawn-fcgi start authgate) or one plain CGI request.
 *
 * Trusts nothing in a request; gate.c decides every answer. Owns the
 * process-wide state (config, secrets, decision context) and the output
 * buffer, all static so the hot path never touches the heap. Reads a
 * body only when gate_plan asks for one (the webhook). The only writer of
 * reply bytes for libfcgi and CGI; `authgate serve` writes through
 * fcgi_server.c.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "authz.h"
#include "bus.h"
#include "cli.h"
#include "config.h"
#include "fcgi_server.h"
#include "gate.h"
#include "log.h"
#include "metrics.h"
#include "reply.h"
#include "sandbox.h"
#include "serve.h"
#include "store.h"
#include "usage.h"
#include "util.h"
#include "webhook.h"

static struct config		cfg;
static struct authz		az;
static struct webhook_secrets	secrets;
static struct bus_config	bus_cfg;	/* AUTHGATE_NATS_*: multi-host */
static struct gate		gate;
static char			out[GATE_REPLY_MAX];
static char			*body;		/* AUTHGATE_MAX_BODY + 1 */

/* A request's parameters: FastCGI params, or the CGI environment. */
struct params {
	FCGX_ParamArray	envp;	/* NULL: plain CGI */
};

static const char *
param(void *ctx, const char *name)
{
	const struct params *p = ctx;

	return p->envp != NULL ? FCGX_GetParam(name, p->envp) : getenv(name);
}

/* The one place reply bytes leave the process (libfcgi and CGI). */
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

/* One request over libfcgi streams (in/o NULL: plain CGI on stdio). */
static void
handle(struct params *p, FCGX_Stream *in, FCGX_Stream *o)
{
	struct gate_request rq = { param, p };
	uint64_t len;
	size_t n;

	switch (gate_plan(&gate, &rq, &len, out, sizeof(out), &n)) {
	case GATE_DONE:
		break;
	case GATE_BODY:
		if (body == NULL && (body = malloc(cfg.max_body + 1)) == NULL)
			n = gate_refuse(GATE_NO_MEMORY, NULL, out, sizeof(out));
		else if (read_body(in, (size_t)len) != 0)
			n = gate_refuse(GATE_BODY_SHORT, NULL, out, sizeof(out));
		else
			n = gate_answer(&gate, &rq, body, (size_t)len, out,
			    sizeof(out));
		break;
	default:
		n = gate_answer(&gate, &rq, NULL, 0, out, sizeof(out));
		break;
	}
	send_reply(o, out, n);
}

/*
 * What this process's sandbox allows: a process that applies deliveries
 * and publishes them connects to NATS first (docs/multihost.md).
 */
static enum sandbox_kind
main_sandbox_kind(void)
{
	char err[512];
	int r;

	if (secrets.n == 0)
		return SANDBOX_DECIDE;
	if ((r = gate_bus_open(&gate, "authgate-webhook", err,
	    sizeof(err))) < 0)
		log_msg("%s; deliveries get 503", err);
	return r > 0 ? SANDBOX_WEBHOOK_NET : SANDBOX_WEBHOOK;
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
	if (sandbox_start(main_sandbox_kind(), cfg.db, 0))
		return 2;
	while (FCGX_Accept_r(&req) >= 0) {
		p.envp = req.envp;
		handle(&p, req.in, req.out);
		FCGX_Finish_r(&req);
		usage_flush(util_now_ms());	/* after the answer left */
	}
	return 0;
}

/* One worker of `authgate serve`: authgate's own event-driven FastCGI
 * server over the listening socket all workers share. */
static int
worker_loop(int listen_fd)
{
	return fcgi_server_run(listen_fd, &gate, &secrets);
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
	int unsigned_ok;

	if (config_load(&cfg, err, sizeof(err)) != 0 ||
	    config_secret_check(&cfg, &unsigned_ok, err, sizeof(err)) != 0 ||
	    webhook_secrets_load(&secrets, err, sizeof(err)) != 0 ||
	    bus_config_load(&bus_cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "authgate: %s\n", err);
		return 2;
	}
	/* A page file that cannot be used costs the sharing, not the
	 * service (`authgate serve` mapped its page already). */
	if (metrics_open(cfg.metrics_file, err, sizeof(err)) != 0)
		log_msg("%s; counting in this process only", err);
	/* Key quotas and the throttle must hold across every process of
	 * the host: without the shared state file, none is served. */
	if (usage_open(cfg.state_file, access(cfg.db, F_OK) != 0, err,
	    sizeof(err)) != 0) {
		fprintf(stderr, "authgate: %s (set AUTHGATE_STATE_FILE to a"
		    " writable path)\n", err);
		return 2;
	}
	usage_throttle_set(cfg.fail_limit, cfg.fail_window, cfg.fail_cooldown);
	if (store_open(&s, cfg.db, STORE_READONLY, err, sizeof(err)) != 0) {
		fprintf(stderr, "authgate: %s\n", err);
		return 2;
	}
	if (authz_init(&az, s, cfg.secret, cfg.secret_n,
	    cfg.cookie_prefix, cfg.case_sensitive) != 0 ||
	    authz_add_secrets(&az, cfg.secret_old, cfg.secret_old_n,
	    cfg.nold) != 0 || authz_stateless(&az, cfg.nextauth_secret,
	    cfg.nextauth_secret_n, cfg.authjs_secret, cfg.authjs_secret_n,
	    cfg.nauthjs, cfg.trust_cookie_cache) != 0) {
		fprintf(stderr, "authgate: cannot set up the decision\n");
		authz_fini(&az);
		store_close(s);
		return 2;
	}
	az.count_uses = 1;
	if (cfg.secret_n == 0 && unsigned_ok)
		log_msg("warning: AUTHGATE_UNSIGNED_SESSIONS=1: session cookie"
		    " signatures are not checked (no BETTER_AUTH_SECRET)");
	else if (cfg.secret_n == 0)
		log_msg("warning: BETTER_AUTH_SECRET is not set; session"
		    " cookie signatures are not checked");
	if (cfg.trust_cookie_cache)
		log_msg("AUTHGATE_TRUST_COOKIE_CACHE=1: better-auth's cookie"
		    " cache decides without a session lookup; a revoked session"
		    " passes until its cache cookie expires");
	gate_init(&gate, &cfg, &az, &secrets);
	gate_set_bus(&gate, &bus_cfg);
	return 0;
}

/* `authgate serve`: the counters in a page every worker shares. */
static int
serve_setup(void)
{
	char err[256];

	if (metrics_open(NULL, err, sizeof(err)) != 0)
		log_msg("%s; each process counts for itself", err);
	return main_setup();
}

/*
 * SIGHUP in the supervisor of `authgate serve`: the settings and both
 * secret files again, validated and opened as at start into spares;
 * only when all of it works do they replace the running ones (for the
 * workers forked next). Returns 0, or logs one line and returns -1.
 */
static int
main_reload(void)
{
	static struct config		ncfg;
	static struct authz		naz;
	static struct webhook_secrets	nsecrets;
	struct store *s = NULL, *old;
	char err[512];

	memset(&naz, 0, sizeof(naz));
	if (config_load(&ncfg, err, sizeof(err)) != 0 ||
	    webhook_secrets_load(&nsecrets, err, sizeof(err)) != 0 ||
	    store_open(&s, ncfg.db, STORE_READONLY, err, sizeof(err)) != 0) {
		log_msg("serve: reload refused, the running configuration"
		    " stays: %s", err);
		goto fail;
	}
	if (authz_init(&naz, s, ncfg.secret, ncfg.secret_n,
	    ncfg.cookie_prefix, ncfg.case_sensitive) != 0 ||
	    authz_add_secrets(&naz, ncfg.secret_old,
	    ncfg.secret_old_n, ncfg.nold) != 0 || authz_stateless(&naz,
	    ncfg.nextauth_secret, ncfg.nextauth_secret_n, ncfg.authjs_secret,
	    ncfg.authjs_secret_n, ncfg.nauthjs,
	    ncfg.trust_cookie_cache) != 0) {
		log_msg("serve: reload refused, the running configuration"
		    " stays: cannot set up the decision");
		goto fail;
	}
	naz.count_uses = 1;
	/* The state file stays the one mapped at start (a new path needs a
	 * restart); the throttle's budget follows the new settings. */
	usage_throttle_set(ncfg.fail_limit, ncfg.fail_window,
	    ncfg.fail_cooldown);
	old = az.store;
	gate_fini(&gate);
	authz_fini(&az);
	store_close(old);
	config_wipe(&cfg);
	webhook_secrets_wipe(&secrets);
	cfg = ncfg;
	az = naz;
	secrets = nsecrets;
	/* The copies own the key state now: forget it here, unfreed. */
	memset(&naz, 0, sizeof(naz));
	config_wipe(&ncfg);
	webhook_secrets_wipe(&nsecrets);
	gate_init(&gate, &cfg, &az, &secrets);
	gate_set_bus(&gate, &bus_cfg);	/* the NATS settings stay */
	log_msg("serve: reloaded the configuration: %zu better-auth"
	    " secret(s), %zu webhook secret(s)", cfg.secret_n > 0 ?
	    1 + cfg.nold : 0, secrets.n);
	if (cfg.secret_n == 0)
		log_msg("warning: BETTER_AUTH_SECRET is not set; session"
		    " cookie signatures are not checked");
	return 0;
fail:
	authz_fini(&naz);
	memset(&naz, 0, sizeof(naz));
	store_close(s);
	config_wipe(&ncfg);
	webhook_secrets_wipe(&nsecrets);
	return -1;
}

int
main(int argc, char **argv)
{
	struct params p = { NULL };
	int rc;

	signal(SIGPIPE, SIG_IGN);
	if (argc > 1 && strcmp(argv[1], "serve") == 0) {
		serve_set_reload(main_reload);
		return serve_main(argc, argv, serve_setup, worker_loop);
	}
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
		fflush(stdout);
		usage_flush(util_now_ms());
		return 0;
	}
	if ((rc = main_setup()) != 0)
		return rc;
	rc = serve_fastcgi();
	gate_fini(&gate);
	authz_fini(&az);
	config_wipe(&cfg);
	webhook_secrets_wipe(&secrets);
	bus_config_wipe(&bus_cfg);
	return rc;
}
