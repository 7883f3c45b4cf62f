/*
 * gate.h - which answer a request gets: the authorizer, the check
 * endpoint, the webhook, or 404.
 *
 * Transport-agnostic: a request is a parameter lookup (FastCGI params or
 * CGI variables) plus, for the webhook only, the body bytes the caller
 * has already read. Answers are written into caller buffers, "Status:"
 * first, always. The libfcgi loop, plain CGI and `authgate serve`'s own
 * FastCGI server (fcgi_server.c) all call this module, so every transport
 * gives the same answer byte for byte.
 */
#ifndef AUTHGATE_GATE_H
#define AUTHGATE_GATE_H

#include <stddef.h>
#include <stdint.h>

#include "authz.h"
#include "bus.h"
#include "config.h"
#include "reply.h"
#include "store.h"
#include "webhook.h"

#define GATE_REPLY_MAX	REPLY_MAX	/* every answer fits in this */

/* Looks up one request parameter; NULL when absent. */
typedef const char *(*gate_param_fn)(void *ctx, const char *name);

struct gate_request {
	gate_param_fn	 param;
	void		*ctx;
};

/*
 * The per-process state of the request path. cfg, az and secrets are
 * owned by the caller and must outlive the gate; the webhook's read-write
 * store is owned here and opened on the first verified delivery.
 */
struct gate {
	const struct config		*cfg;
	struct authz			*az;
	const struct webhook_secrets	*secrets;
	int				 webhook_ready;	/* a secret exists */
	struct store			*wstore;
	const struct bus_config		*bus_cfg;	/* NULL: no NATS */
	struct bus			*bus;		/* gate_bus_open */
	struct authz_decision		 dec;
};

/* What a request needs before gate_answer may be called. */
enum gate_plan {
	GATE_NOW = 0,	/* no body: call gate_answer with no body */
	GATE_BODY,	/* webhook: read *body_len bytes, then gate_answer */
	GATE_DONE	/* refused from the parameters alone: reply in out */
};

/* Why a transport gives up on a request before the gate could answer. */
enum gate_refusal {
	GATE_BODY_SHORT = 0,	/* the body ended before Content-Length */
	GATE_NO_MEMORY,		/* no buffer for the body */
	GATE_BUSY,		/* too many bodies or deliveries in flight */
	GATE_PARAMS_BAD		/* parameters over a limit or malformed */
};

/*
 * Prepares g over caller-owned state; webhook_ready is taken from
 * secrets now, so the caller may wipe the secrets later in a process that
 * never applies deliveries. Never fails.
 */
void	gate_init(struct gate *g, const struct config *cfg, struct authz *az,
	    const struct webhook_secrets *secrets);

/*
 * Multi-host: deliveries are published to the stream c names (when
 * c->enabled) before they are answered 2xx. c is owned by the caller and
 * must outlive the gate. Call after gate_init.
 */
void	gate_set_bus(struct gate *g, const struct bus_config *c);

/*
 * In a process that applies deliveries, before its sandbox: connects to
 * NATS when publishing is on. Returns 1 when connected (the process needs
 * SANDBOX_WEBHOOK_NET), 0 when publishing is off, -1 with err set (the
 * process answers every delivery 503 until restarted, and logs why).
 */
int	gate_bus_open(struct gate *g, const char *name, char *err,
	    size_t errsz);

/* Closes the webhook store and the NATS connection if they were opened. */
void	gate_fini(struct gate *g);

/*
 * Decides, from the parameters alone, what rq needs. The authorizer and
 * check roles never read a body (GATE_NOW). A webhook request is checked
 * for its method and CONTENT_LENGTH (405, 411, 400, 413) and for a
 * configured secret (503) before any body byte is read: then GATE_DONE
 * with the reply in out (outsz >= GATE_REPLY_MAX) and its length in *n.
 * Otherwise GATE_BODY with *body_len <= cfg->max_body.
 */
enum gate_plan	gate_plan(struct gate *g, const struct gate_request *rq,
	    uint64_t *body_len, char *out, size_t outsz, size_t *n);

/*
 * Answers rq into out (outsz >= GATE_REPLY_MAX); returns the length.
 * body/body_n: the body gate_plan asked for (NULL/0 for GATE_NOW). The
 * body is wiped before return. Per request errors become answers.
 */
size_t	gate_answer(struct gate *g, const struct gate_request *rq, char *body,
	    size_t body_n, char *out, size_t outsz);

/*
 * Formats (and logs) the answer for a request the transport gave up on.
 * reason (may be NULL) is the log code of GATE_PARAMS_BAD. Returns the
 * length; always a deny or 503 with "Status:" first.
 */
size_t	gate_refuse(enum gate_refusal why, const char *reason, char *out,
	    size_t outsz);

#endif
