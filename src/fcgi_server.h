/*
 * fcgi_server.h - one worker of `authgate serve`: an event-driven FastCGI
 * server over the listening socket every worker shares, and the webhook
 * process it starts.
 *
 * Slow or idle clients cost a file descriptor and a bounded buffer, never
 * a worker: every connection is non-blocking, a request goes to gate.c
 * only once it is complete, and each phase of a connection has a deadline.
 * Webhook deliveries are applied by a separate process (one per worker,
 * whproc.c), so a SQLite write that waits on a lock never delays a
 * decision.
 */
#ifndef AUTHGATE_FCGI_SERVER_H
#define AUTHGATE_FCGI_SERVER_H

#include "gate.h"
#include "webhook.h"

#define SERVE_MAX_CONNS		512	/* per worker; below the usual 1024
					 * open files, spares kept */
#define SERVE_SPARE_FDS		32	/* stderr, epoll, the store, SQLite's
					 * WAL and shm, the webhook pipe */
#define SERVE_MAX_KEEPALIVE	64	/* idle kept-alive connections per
					 * worker (nginx fastcgi_keep_conn);
					 * past it the oldest is closed */
#define SERVE_PARAMS_MS		2000	/* a web server sends a request's
					 * parameters at once */
#define SERVE_BODY_BASE_MS	5000	/* a webhook body: 5 s, plus */
#define SERVE_BODY_RATE		65536	/* 1 s per 64 KiB (nginx and Caddy
					 * buffer bodies: they send at once) */
#define SERVE_KEEPALIVE_MS	75000	/* longer than nginx's upstream
					 * keepalive_timeout (60 s), so
					 * nginx closes an idle one first */
#define SERVE_LINGER_MS		2000	/* after the last answer: read
					 * until EOF, so unread input cannot
					 * turn our close into a reset */
#define SERVE_MAX_BODIES	16	/* webhook bodies being read per
					 * worker; at the cap the one read
					 * longest is dropped */
#define SERVE_IN_BUF		8192	/* bytes read per connection at once */
#define SERVE_MGMT_ROOM		1024	/* unsent management answers before
					 * a connection stops being read */

/*
 * Runs one worker on listen_fd (shared with the other workers) until
 * serve_stopping is set and every request it holds is answered. Starts
 * the webhook process first, then wipes secrets in this process: the
 * worker parses hostile input and never needs a webhook secret. g must
 * have been set up by gate_init. Returns the exit code: 0 after a stop,
 * 2 if it cannot start, 3 if the webhook process died (the supervisor
 * starts a fresh worker).
 */
int	fcgi_server_run(int listen_fd, struct gate *g,
	    struct webhook_secrets *secrets);

#endif
