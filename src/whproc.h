/*
 * whproc.h - the webhook process of an `authgate serve` worker, and the
 * pipe the worker hands it deliveries through.
 *
 * Applying a delivery is a SQLite write that may wait for a lock (3 s
 * busy timeout); the worker's event loop must never wait with it. So each
 * worker forks one webhook process at start: the worker reads a delivery
 * whole, queues it here, and answers the client when the process does.
 * Only that process holds the webhook secrets and opens the database for
 * writing. It applies deliveries one at a time, in order, and exits on
 * EOF after the one in hand.
 */
#ifndef AUTHGATE_WHPROC_H
#define AUTHGATE_WHPROC_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#include "gate.h"

#define WHPROC_MAX_QUEUE	8	/* deliveries handed over and not yet
					 * answered (3 s busy timeout each);
					 * more get 503 */
#define WHPROC_HUNG_MS		30000	/* nothing answered this long with
					 * deliveries waiting: killed */

/* One delivery, owned by the caller until whproc_send reports it sent
 * (params and body must stay valid until then). */
struct whproc_job {
	uint32_t	 slot;		/* the caller's ids, echoed back */
	uint32_t	 gen;
	uint32_t	 role;		/* FCGI_RESPONDER / FCGI_AUTHORIZER */
	const char	*params;	/* name\0value\0... */
	size_t		 params_len;
	const char	*body;
	size_t		 body_len;
	size_t		 sent;		/* bytes of the message written */
};

/* The wire format of the pipe (one binary, so native byte order). */
struct whproc_msg {
	uint32_t	slot;
	uint32_t	gen;
	uint32_t	role;
	uint32_t	params_len;
	uint64_t	body_len;
};

struct whproc_rep {
	uint32_t	slot;
	uint32_t	gen;
	uint32_t	len;
	uint32_t	pad;
};

struct whproc {
	pid_t			 pid;
	int			 fd;		/* non-blocking; -1: gone */
	struct whproc_job	*q[WHPROC_MAX_QUEUE];	/* not fully sent */
	size_t			 head, n;
	size_t			 waiting;	/* sent, not answered */
	int64_t			 progress;	/* last answer, or first job */
	unsigned char		 rbuf[sizeof(struct whproc_rep) +
				    GATE_REPLY_MAX];
	size_t			 rlen;
};

/*
 * Forks the webhook process over g (which it uses to verify and apply).
 * The child closes the close_fds (nclose of them), ignores SIGTERM and
 * SIGINT (its worker's stop is not its own), and serves until EOF.
 * Returns 0 with w->fd non-blocking, or -1.
 */
int	whproc_start(struct whproc *w, struct gate *g, const int *close_fds,
	    size_t nclose);

/*
 * Queues j for sending. Returns 0, or -1 when WHPROC_MAX_QUEUE
 * deliveries are outstanding or the process is gone (the caller answers
 * 503).
 */
int	whproc_queue(struct whproc *w, struct whproc_job *j, int64_t now);

/*
 * Writes queued deliveries without blocking; calls sent(ctx, j) for each
 * one written whole (its body may then be freed). Returns 1 if bytes are
 * still pending (wait until w->fd is writable), 0 if all are written, -1
 * if the process is gone.
 */
int	whproc_send(struct whproc *w, void (*sent)(void *ctx,
	    struct whproc_job *j), void *ctx);

/*
 * Reads answers without blocking; calls answer(ctx, slot, gen, reply,
 * len) for each (reply valid during the call). Returns 0, or -1 if the
 * process is gone or sent garbage (then it is killed).
 */
int	whproc_recv(struct whproc *w, int64_t now, void (*answer)(void *ctx,
	    uint32_t slot, uint32_t gen, const char *reply, size_t len),
	    void *ctx);

/* Returns 1 if deliveries are outstanding and none was answered for
 * WHPROC_HUNG_MS. */
int	whproc_hung(const struct whproc *w, int64_t now);

/*
 * Closes the pipe and waits for the process: it finishes the delivery in
 * hand, sees EOF and exits. kill_first: SIGKILL it first (hung). Logs how
 * it ended unless it exited 0. Forgets every queued job.
 */
void	whproc_stop(struct whproc *w, int kill_first);

#endif
