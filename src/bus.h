/*
 * bus.h - the NATS JetStream stream that carries verified deliveries
 * from the host that received them to every other host's mirror
 * (docs/multihost.md).
 *
 * The only user of <nats/nats.h>. Off unless AUTHGATE_NATS_URL is set;
 * the decision never calls it. The bus is not trusted: what a follower
 * takes from it is verified by webhook.c against the cluster key before
 * anything is parsed. Never logs a key, a signature or a body.
 */
#ifndef AUTHGATE_BUS_H
#define AUTHGATE_BUS_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

#define BUS_MAX_URL		2048	/* a comma list of a few servers */
#define BUS_MAX_NAME		64	/* stream, consumer: NATS names */
#define BUS_MAX_SUBJECT		128
#define BUS_MAX_KEY		256	/* bytes of the cluster key */
#define BUS_MIN_KEY		32	/* an HMAC-SHA256 key of 256 bits */
#define BUS_DEFAULT_SUBJECT	"authgate.events"
#define BUS_DEFAULT_STREAM	"AUTHGATE"
#define BUS_DEFAULT_TIMEOUT_MS	2000	/* a stream ack; the IdP waits longer */
#define BUS_DEFAULT_MAX_AGE_S	(7 * 24 * 3600)	/* = the event log's window */

/* The message headers (besides Nats-Msg-Id = the event id). */
#define BUS_H_ID	"Authgate-Event-Id"
#define BUS_H_TYPE	"Authgate-Event-Type"
#define BUS_H_SIG	"Authgate-Signature"

struct bus_config {
	int		enabled;		/* AUTHGATE_NATS_URL set */
	char		url[BUS_MAX_URL];
	char		subject[BUS_MAX_SUBJECT];
	char		stream[BUS_MAX_NAME];
	char		creds[PATH_MAX];	/* "": none */
	char		ca[PATH_MAX];
	char		cert[PATH_MAX];
	char		cert_key[PATH_MAX];
	int64_t		timeout_ms;
	int64_t		replicas;		/* for a stream authgate creates */
	int64_t		max_age_s;
	unsigned char	key[BUS_MAX_KEY];	/* AUTHGATE_CLUSTER_KEY(_FILE) */
	size_t		key_n;
};

/*
 * Fills c from AUTHGATE_NATS_URL, _SUBJECT, _STREAM, _CREDS, _CA, _CERT,
 * _KEY, _TIMEOUT_MS, _REPLICAS, _MAX_AGE and AUTHGATE_CLUSTER_KEY or
 * AUTHGATE_CLUSTER_KEY_FILE. No URL: c->enabled = 0 and nothing else is
 * required. With a URL the cluster key is required (>= BUS_MIN_KEY
 * bytes). Returns 0, or -1 with one line in err (never the key).
 */
int	bus_config_load(struct bus_config *c, char *err, size_t errsz)
	    UTIL_MUST_CHECK;

/* Wipes the cluster key. */
void	bus_config_wipe(struct bus_config *c);

struct bus;

/*
 * Connects to c->url (retrying in the background when no server answers
 * yet: a publish then fails until one does) as client name. Reads the
 * credential and TLS files now, so it may be called before a sandbox
 * closes the filesystem. Returns 0 with *b set, or -1 with err set.
 */
int	bus_open(struct bus **b, const struct bus_config *c, const char *name,
	    char *err, size_t errsz) UTIL_MUST_CHECK;

/* Closes the connection; b may be NULL. */
void	bus_close(struct bus *b);

/*
 * Publishes one event (id, type, signature header value, body) to the
 * stream with Nats-Msg-Id = id, and waits up to c->timeout_ms for the
 * stream's acknowledgement. Creates the stream first if it does not
 * exist. Returns 0 once the stream holds it (also when the stream says
 * it is a duplicate), -1 otherwise (logged, without the body).
 */
int	bus_publish(struct bus *b, const char *id, const char *type,
	    const char *sig, const char *body, size_t n) UTIL_MUST_CHECK;

/* One message as a follower sees it; the strings are NULL when their
 * header is absent. data is the caller's to wipe (a copy). */
struct bus_msg {
	const char	*id;
	const char	*type;
	const char	*sig;
	char		*data;
	size_t		 n;
	uint64_t	 seq;		/* stream sequence */
};

enum bus_verdict {
	BUS_ACK = 0,	/* applied (or a duplicate): acknowledge */
	BUS_TERM,	/* refused for good: never deliver it again */
	BUS_STOP	/* shutting down: leave it for redelivery */
};

/*
 * Binds a durable pull consumer named durable to the stream (creating
 * both if needed). reset = 1 deletes the consumer first so that it starts
 * again at the stream's first message (after a bootstrap from a
 * snapshot). Returns 0; -2 when the consumer's position (or, for a new
 * consumer, the stream's start) lies before the stream's first
 * sequence: events were dropped by retention and the mirror must be
 * bootstrapped (err says so); -1 on any other error.
 */
int	bus_follow_start(struct bus *b, const char *durable, int reset,
	    char *err, size_t errsz) UTIL_MUST_CHECK;

typedef enum bus_verdict (*bus_apply_fn)(void *ctx, struct bus_msg *m);

/*
 * Fetches up to batch messages (waiting up to wait_ms for the first),
 * hands each to fn in stream order, and acks or terminates it as fn
 * says, right after fn returns. Returns the number handled (0 when
 * none came), -2 when fn said BUS_STOP, -1 on a connection error.
 */
int	bus_follow_fetch(struct bus *b, int batch, int64_t wait_ms,
	    bus_apply_fn fn, void *ctx);

#endif
