/*
 * serve_conn.h - the connections of one `authgate serve` worker: each
 * connection's state, deadline and bounded buffers, the table that holds
 * them, and what may be done to one (queue an answer, flush, close,
 * evict). Below fcgi_server.c, which reads requests and runs the loop:
 * nothing here reads a request or knows the webhook process.
 *
 * One worker is one thread: the table is a single global, SC.
 */
#ifndef AUTHGATE_SERVE_CONN_H
#define AUTHGATE_SERVE_CONN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "fcgi_proto.h"
#include "fcgi_server.h"
#include "gate.h"
#include "whproc.h"

#define NEVER		INT64_MAX
#define DROP_LOG_MS	10000		/* drop counts logged this often */

/* Reply records of one answer: one STDOUT record (an answer is shorter
 * than a record), the empty one, END_REQUEST. */
#define REPLY_RECORDS	(GATE_REPLY_MAX + 2 * FCGI_HEADER_LEN + FCGI_END_LEN)
#define SERVE_OUT_BUF	(SERVE_MGMT_ROOM + FCGI_MGMT_REPLY_MAX + REPLY_RECORDS)

_Static_assert(GATE_REPLY_MAX <= FCGI_MAX_CONTENT,
    "an answer fits in one STDOUT record");

enum cstate {
	CS_REQUEST = 0,	/* reading a request's parameters (deadline) */
	CS_BODY,	/* reading a webhook body (deadline by its length) */
	CS_WAIT,	/* the webhook process has the delivery */
	CS_IDLE,	/* kept alive between requests (capped, oldest out) */
	CS_CLOSING	/* answered: flush, then read until EOF, then close */
};

struct conn {
	int		 fd;		/* -1: gone while in CS_WAIT */
	uint32_t	 slot;
	uint32_t	 gen;
	enum cstate	 state;
	int64_t		 since;		/* entered the state */
	int64_t		 deadline;
	uint32_t	 events;	/* epoll interest registered */
	int		 dead;		/* close at the end of the event */
	int		 shut;		/* write side shut down */
	int		 peer_eof;
	struct fcgi_conn fc;
	char		*params;	/* FCGI_MAX_PARAMS_BYTES, per request */
	char		*body;		/* body_len bytes, webhook only */
	size_t		 body_len;
	size_t		 body_got;
	struct whproc_job job;		/* in CS_WAIT: the delivery */
	size_t		 in_off, in_len;
	size_t		 out_off, out_len;
	unsigned char	 in[SERVE_IN_BUF];
	unsigned char	 out[SERVE_OUT_BUF];
};

enum drop {
	DROP_PARAMS_DEADLINE = 0,
	DROP_BODY_DEADLINE,
	DROP_PROTOCOL,
	DROP_EVICTED,
	DROP_N
};


struct serve_conns {
	pid_t		 pid;
	int		 epfd;
	int		 stopping;	/* no connection is kept alive */
	size_t		 max_conns;
	struct conn	*conns[SERVE_MAX_CONNS];
	uint32_t	 gens[SERVE_MAX_CONNS];
	size_t		 nconns;
	size_t		 nstate[CS_CLOSING + 1];	/* connections per state */
	int64_t		 next_deadline;
	size_t		 drops[DROP_N];
	int64_t		 drop_logged;
};

extern struct serve_conns SC;

/* Counts a connection closed for d; logs the counts now and then. */
void	conn_drop_count(enum drop d, int64_t now);
/* Logs the drop counts, at most once per DROP_LOG_MS. */
void	conn_drop_flush(int64_t now);

/* Takes connection fd (non-blocking) into the table and epoll, in state
 * CS_REQUEST with its parameter deadline; closes fd if there is no room. */
void	conn_new(int fd, int64_t now);
/* Moves c to state st until deadline. */
void	conn_set_state(struct conn *c, enum cstate st, int64_t now,
	    int64_t deadline);
/* Closes and frees c now. Never for a connection the webhook process
 * still holds, except when that process is gone. */
void	conn_close(struct conn *c);
/* Gives up on c: closed at the end of the event, or, while the webhook
 * process holds its delivery, its socket closed and the answer dropped. */
void	conn_drop(struct conn *c);
/* Writes what c has queued, as far as the socket takes it. */
void	conn_flush(struct conn *c);
/* Brings epoll's interest in line with c's state; closes a dead one. */
void	conn_sync(struct conn *c);
/* The oldest connection in state st (other than keep), or NULL. */
struct conn *conn_oldest(enum cstate st, const struct conn *keep);
/* Makes room for one more connection; 1 if one was closed. */
int	conn_evict_one(int64_t now);
/* c is answered: flush, read until EOF, close. */
void	conn_to_closing(struct conn *c, int64_t now);
/* The active request is over: forget it, then keep or close c. */
void	conn_end_request(struct conn *c, int64_t now);
/* Queues the answer to the active request (reply, n bytes), ends it. */
void	conn_finish(struct conn *c, const char *reply, size_t n, int64_t now);

#endif
