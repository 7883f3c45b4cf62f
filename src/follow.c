/*
 * follow.c - `authgate follow`: one durable JetStream pull consumer per
 * host, each message verified with the cluster key and applied through
 * webhook_follow (the webhook's own parse and store_apply_event: exactly
 * once by event id, order-safe, tombstone-aware), acknowledged only after
 * the local commit.
 *
 * Trusts nothing on the bus: a message without a valid cluster signature
 * is logged (reason and stream sequence, never its content) and
 * terminated so that it cannot block the consumer. A store that is busy
 * or failing is retried in place, in order; nothing is acknowledged
 * before it is durable here.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "bus.h"
#include "cli_util.h"
#include "follow.h"
#include "log.h"
#include "opt.h"
#include "store.h"
#include "webhook.h"

#define FOLLOW_BATCH	64	/* messages per fetch */
#define FOLLOW_WAIT_MS	1000	/* a fetch's wait: how soon SIGTERM is seen */
#define FOLLOW_RETRY_MS	200	/* a busy store, a lost connection */

static volatile sig_atomic_t	stopping;

struct follower {
	const struct bus_config	*cfg;
	const char		*db;
	struct store		*s;
	unsigned long long	 applied, refused;
};

static const char usage_follow[] =
"usage: authgate follow [--db PATH] [--name NAME] [--reset]\n"
"Applies the deliveries other hosts published to the NATS JetStream\n"
"stream, in order, through the webhook's own code, and acknowledges\n"
"each only after it is committed here. NAME (default: the host name)\n"
"names this host's durable consumer: a restart resumes where it stopped.\n"
"--reset starts the consumer again at the stream's first message (after\n"
"'authgate import' of a peer's 'authgate export').\n"
"Settings: AUTHGATE_NATS_URL, AUTHGATE_CLUSTER_KEY(_FILE), see\n"
"docs/multihost.md. Exit 3: behind the stream's retention.\n";

static void
on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR && !stopping)
		;
}

static struct store *
follow_store(void *ctx)
{
	struct follower *f = ctx;
	char err[512];

	if (f->s == NULL && store_open(&f->s, f->db,
	    STORE_READWRITE_EXISTING, err, sizeof(err)) != 0) {
		log_msg("follow reason=store_unavailable: %s", err);
		f->s = NULL;
	}
	return f->s;
}

/* One message: verify, apply, and say whether to ack or terminate. */
static enum bus_verdict
follow_apply(void *ctx, struct bus_msg *m)
{
	struct follower *f = ctx;
	struct webhook_result r;
	char id[80], type[80], *copy;

	if ((copy = malloc(m->n + 1)) == NULL)
		return BUS_STOP;
	for (;;) {
		memcpy(copy, m->data, m->n);
		/* copy is wiped by webhook_follow */
		webhook_follow(f->cfg->key, f->cfg->key_n, follow_store, f,
		    m->id, m->type, m->sig, copy, m->n, &r);
		if (r.status != 503 || stopping)
			break;
		log_msg("follow seq=%llu status=503 reason=%s: retrying",
		    (unsigned long long)m->seq, r.reason);
		sleep_ms(FOLLOW_RETRY_MS);
	}
	free(copy);
	log_clean(m->id != NULL ? m->id : "-", m->id != NULL ?
	    strlen(m->id) : 1, id, sizeof(id));
	log_clean(m->type != NULL ? m->type : "-", m->type != NULL ?
	    strlen(m->type) : 1, type, sizeof(type));
	if (r.status == 200) {
		f->applied++;
		log_msg("follow seq=%llu status=200 type=%s id=%s outcome=%s",
		    (unsigned long long)m->seq, type, id,
		    store_outcome_name(r.outcome));
		return BUS_ACK;
	}
	if (r.status == 503)
		return BUS_STOP;
	/* Invariant: refused for good (no or a bad cluster signature, a
	 * malformed event): logged without content, never applied, and
	 * terminated so the consumer moves on. */
	f->refused++;
	log_msg("follow seq=%llu status=%d reason=%s type=%s id=%s: refused,"
	    " not applied", (unsigned long long)m->seq, r.status, r.reason,
	    type, id);
	return BUS_TERM;
}

int
follow_main(int argc, char **argv)
{
	struct opt o[] = {
		{ "--db", OPT_VALUE, NULL, 0, { NULL } },
		{ "--name", OPT_VALUE, NULL, 0, { NULL } },
		{ "--reset", OPT_FLAG, NULL, 0, { NULL } },
		{ NULL, OPT_FLAG, NULL, 0, { NULL } }
	};
	static struct bus_config cfg;
	struct follower f;
	struct sigaction sa;
	struct bus *b = NULL;
	const char *pos[1], *name;
	char host[256], err[1024];
	int npos, r, rc = 1;

	if (opt_wants_help(argc, argv, 2)) {
		fputs(usage_follow, stdout);
		return 0;
	}
	if (opt_parse("follow", "follow", argc, argv, 2, o, pos, 0,
	    &npos) != 0)
		return 2;
	memset(&f, 0, sizeof(f));
	f.db = cli_db_default(opt_val(o, "--db"));
	if ((name = opt_val(o, "--name")) == NULL) {
		if (gethostname(host, sizeof(host)) != 0)
			return cli_fail("follow: no host name; use --name");
		host[sizeof(host) - 1] = '\0';
		/* a NATS name has no dots: the host part only */
		host[strcspn(host, ".")] = '\0';
		name = host;
	}
	if (bus_config_load(&cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "authgate: follow: %s\n", err);
		return 2;
	}
	if (!cfg.enabled) {
		fprintf(stderr, "authgate: follow: AUTHGATE_NATS_URL is not"
		    " set (see docs/multihost.md)\n");
		return 2;
	}
	f.cfg = &cfg;
	if (cli_db_exists("follow", f.db) != 0) {
		rc = 2;
		goto out;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (bus_open(&b, &cfg, name, err, sizeof(err)) != 0) {
		fprintf(stderr, "authgate: follow: %s\n", err);
		goto out;
	}
	/* NATS may come up after us: wait for the stream, not forever for
	 * a signal. */
	while ((r = bus_follow_start(b, name, opt_set(o, "--reset"), err,
	    sizeof(err))) == -1 && !stopping) {
		log_msg("follow: %s; retrying", err);
		sleep_ms(1000);
	}
	if (r != 0 || stopping) {
		if (r == -2) {
			log_msg("follow: ERROR: %s", err);
			fprintf(stderr, "authgate: follow: %s\n", err);
			rc = 3;
		} else if (r != 0) {
			fprintf(stderr, "authgate: follow: %s\n", err);
		} else {
			rc = 0;
		}
		goto out;
	}
	log_msg("follow: consumer %s on stream %s (subject %s), store %s",
	    name, cfg.stream, cfg.subject, f.db);
	while (!stopping) {
		r = bus_follow_fetch(b, FOLLOW_BATCH, FOLLOW_WAIT_MS,
		    follow_apply, &f);
		if (r == -1)
			sleep_ms(FOLLOW_RETRY_MS);
	}
	log_msg("follow: stopping: %llu applied, %llu refused", f.applied,
	    f.refused);
	rc = 0;
out:
	bus_close(b);
	store_close(f.s);
	bus_config_wipe(&cfg);
	return rc;
}
