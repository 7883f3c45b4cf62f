/*
 * fcgi_server.c - one worker of `authgate serve`: an epoll loop over the
 * shared listening socket and many non-blocking client connections, with
 * the webhook process (whproc.c) applying deliveries beside it.
 *
 * Reads requests off the connections (serve_conn.c holds them: each a
 * bounded input and output buffer, a parameter buffer per request, a
 * webhook body while one is read, a deadline) and owns the pipe to the
 * webhook process. Trusts nothing a client
 * sends: bytes go through fcgi_proto.c, requests to gate.c only once
 * complete. Never blocks on a client: a slow or idle one costs a
 * descriptor until its deadline, and at the connection cap the oldest
 * idle or unfinished connection is closed first. Never writes to the
 * database in this process: deliveries are handed to the webhook process,
 * whose SQLite write may wait for a lock while decisions go on here.
 */
#define _GNU_SOURCE	/* accept4, EPOLLEXCLUSIVE */
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "fcgi_proto.h"
#include "fcgi_server.h"
#include "log.h"
#include "sandbox.h"
#include "serve.h"
#include "serve_conn.h"
#include "usage.h"
#include "util.h"
#include "whproc.h"

#define TAG_LISTEN	0xffffffffu	/* epoll data: the listening socket */
#define TAG_WEBHOOK	0xfffffffeu	/* epoll data: the webhook process */
#define ACCEPT_BATCH	32		/* connections taken per wake-up */
#define ACCEPT_PAUSE_MS	100		/* out of descriptors: try again */
#define READS_PER_EVENT	4		/* then others get their turn */

static struct {
	struct gate	*g;
	int		 lfd;
	int		 listening;
	int64_t		 accept_after;
	struct whproc	 wp;		/* the webhook process */
	int		 wdead;
	int		 wfailed;	/* webhook_fail has run */
	uint32_t	 wevents;
	char		 reply[GATE_REPLY_MAX];
} S;

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *
conn_param(void *ctx, const char *name)
{
	const struct conn *c = ctx;

	return fcgi_param(&c->fc, name);
}

static void	webhook_send(void);

/* The body is complete: hand the delivery to the webhook process. */
static void
dispatch(struct conn *c, int64_t now)
{
	c->job.slot = c->slot;
	c->job.gen = c->gen;
	c->job.role = c->fc.role;
	c->job.params = c->params;
	c->job.params_len = c->fc.pblock;
	c->job.body = c->body;
	c->job.body_len = c->body_len;
	if (S.wdead || whproc_queue(&S.wp, &c->job, now) != 0) {
		conn_finish(c, S.reply, gate_refuse(GATE_BUSY, NULL, S.reply,
		    sizeof(S.reply)), now);
		return;
	}
	conn_set_state(c, CS_WAIT, now, NEVER);
	webhook_send();
}

/* The active request's parameters are complete. */
static void
on_params(struct conn *c, int64_t now)
{
	struct gate_request rq = { conn_param, c };
	struct conn *o;
	uint64_t len;
	size_t n;

	if (c->fc.params_status != FCGI_P_OK) {
		n = gate_refuse(GATE_PARAMS_BAD, fcgi_params_status_name(
		    c->fc.params_status), S.reply, sizeof(S.reply));
		conn_finish(c, S.reply, n, now);
		return;
	}
	switch (gate_plan(S.g, &rq, &len, S.reply, sizeof(S.reply), &n)) {
	case GATE_DONE:
		conn_finish(c, S.reply, n, now);
		return;
	case GATE_BODY:
		break;
	default:
		n = gate_answer(S.g, &rq, NULL, 0, S.reply, sizeof(S.reply));
		conn_finish(c, S.reply, n, now);
		return;
	}
	/* At the cap the body read longest gives way: a slow sender
	 * cannot keep deliveries out. */
	if (SC.nstate[CS_BODY] >= SERVE_MAX_BODIES &&
	    (o = conn_oldest(CS_BODY, c)) != NULL) {
		conn_drop_count(DROP_EVICTED, now);
		conn_close(o);
	}
	if (S.wdead || SC.nstate[CS_BODY] >= SERVE_MAX_BODIES) {
		conn_finish(c, S.reply, gate_refuse(GATE_BUSY, NULL, S.reply,
		    sizeof(S.reply)), now);
		return;
	}
	/* Pages of a large buffer are touched only as bytes arrive. */
	if ((c->body = malloc(len > 0 ? (size_t)len : 1)) == NULL) {
		conn_finish(c, S.reply, gate_refuse(GATE_NO_MEMORY, NULL, S.reply,
		    sizeof(S.reply)), now);
		return;
	}
	c->body_len = (size_t)len;
	c->body_got = 0;
	conn_set_state(c, CS_BODY, now, now + SERVE_BODY_BASE_MS +
	    (int64_t)(len / (SERVE_BODY_RATE / 1000)));
	if (len == 0)
		dispatch(c, now);
}

static void
on_stdin(struct conn *c, const unsigned char *d, size_t n, int64_t now)
{
	size_t k;

	if (c->state != CS_BODY)
		return;
	/* Bytes past CONTENT_LENGTH are ignored, as libfcgi reads only
	 * that many. */
	k = c->body_len - c->body_got;
	if (k > n)
		k = n;
	memcpy(c->body + c->body_got, d, k);
	c->body_got += k;
	if (c->body_got == c->body_len)
		dispatch(c, now);
}

/* Runs the codec over c's input until it is used up or c must wait. */
static void
conn_process(struct conn *c, int64_t now)
{
	const unsigned char *d;
	struct fcgi_out o;
	enum fcgi_event ev;
	size_t used, dn;

	while (c->in_off < c->in_len && !c->dead && c->fd >= 0 &&
	    (c->state == CS_REQUEST || c->state == CS_BODY ||
	    c->state == CS_IDLE)) {
		if (c->out_off > 0) {
			memmove(c->out, c->out + c->out_off,
			    c->out_len - c->out_off);
			c->out_len -= c->out_off;
			c->out_off = 0;
		}
		if (c->out_len >= SERVE_MGMT_ROOM)
			break;
		o.p = c->out;
		o.cap = SERVE_MGMT_ROOM + FCGI_MGMT_REPLY_MAX;
		o.len = c->out_len;
		ev = fcgi_feed(&c->fc, c->in + c->in_off, c->in_len - c->in_off,
		    &used, &o, &d, &dn);
		c->in_off += used;
		c->out_len = o.len;
		switch (ev) {
		case FCGI_EV_MORE:
		case FCGI_EV_OUT:
			break;
		case FCGI_EV_BEGIN:
			if (c->state == CS_IDLE)
				conn_set_state(c, CS_REQUEST, now,
				    now + SERVE_PARAMS_MS);
			if (c->params == NULL)
				c->params = malloc(FCGI_MAX_PARAMS_BYTES);
			/* No buffer: every parameter is over the limit, and
			 * the request is refused (400), never passed. */
			fcgi_set_params_buf(&c->fc, c->params,
			    FCGI_MAX_PARAMS_BYTES);
			break;
		case FCGI_EV_PARAMS:
			on_params(c, now);
			break;
		case FCGI_EV_STDIN:
			on_stdin(c, d, dn, now);
			break;
		case FCGI_EV_STDIN_END:
			if (c->state == CS_BODY)
				conn_finish(c, S.reply, gate_refuse(GATE_BODY_SHORT,
				    NULL, S.reply, sizeof(S.reply)), now);
			break;
		case FCGI_EV_ABORT:
			/* out_len < SERVE_MGMT_ROOM + FCGI_MGMT_REPLY_MAX:
			 * an END_REQUEST fits */
			c->out_len += fcgi_build_end(c->out + c->out_len,
			    sizeof(c->out) - c->out_len, c->fc.req_id,
			    FCGI_REQUEST_COMPLETE);
			conn_end_request(c, now);
			break;
		case FCGI_EV_CLOSE:
			conn_to_closing(c, now);
			break;
		case FCGI_EV_ERROR:
			conn_drop_count(DROP_PROTOCOL, now);
			conn_drop(c);
			break;
		}
		if (ev == FCGI_EV_MORE || ev == FCGI_EV_OUT)
			break;
	}
	if (c->in_off == c->in_len)
		c->in_off = c->in_len = 0;
	conn_flush(c);
}

static void
conn_read(struct conn *c, int64_t now)
{
	static unsigned char sink[4096];
	ssize_t r;
	int i;

	for (i = 0; i < READS_PER_EVENT && !c->dead && c->fd >= 0; i++) {
		if (c->in_off < c->in_len)
			conn_process(c, now);	/* leftovers first */
		if (c->state == CS_WAIT || c->dead || c->fd < 0)
			return;
		if (c->state == CS_CLOSING) {
			r = read(c->fd, sink, sizeof(sink));
		} else {
			if (c->out_len >= SERVE_MGMT_ROOM)
				return;
			if (c->in_off > 0) {
				memmove(c->in, c->in + c->in_off,
				    c->in_len - c->in_off);
				c->in_len -= c->in_off;
				c->in_off = 0;
			}
			if (c->in_len == sizeof(c->in))
				return;
			r = read(c->fd, c->in + c->in_len,
			    sizeof(c->in) - c->in_len);
		}
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (r < 0) {
			conn_drop(c);
			return;
		}
		if (r == 0) {
			/* The peer is done sending: what is unanswered
			 * cannot complete; what is answered still leaves. */
			c->peer_eof = 1;
			if (c->out_len > c->out_off && c->state != CS_BODY &&
			    c->state != CS_REQUEST)
				conn_to_closing(c, now);
			else
				c->dead = 1;
			return;
		}
		if (c->state == CS_CLOSING)
			continue;
		c->in_len += (size_t)r;
		conn_process(c, now);
	}
}

static void
listen_set(int on)
{
	struct epoll_event ev;

	if (on == S.listening)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN | EPOLLEXCLUSIVE;
	ev.data.u64 = TAG_LISTEN;
	if (epoll_ctl(SC.epfd, on ? EPOLL_CTL_ADD : EPOLL_CTL_DEL, S.lfd,
	    &ev) == 0)
		S.listening = on;
}

static void
accept_some(int64_t now)
{
	int fd, i;

	for (i = 0; i < ACCEPT_BATCH; i++) {
		if (SC.nconns >= SC.max_conns && !conn_evict_one(now)) {
			listen_set(0);	/* back when one closes */
			return;
		}
		fd = accept4(S.lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd >= 0) {
			conn_new(fd, now);
			continue;
		}
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return;
		if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO)
			continue;
		/* EMFILE, ENFILE, ENOBUFS, ENOMEM: pause, do not spin. */
		log_msg("serve: accept: %s; pausing", strerror(errno));
		listen_set(0);
		S.accept_after = now + ACCEPT_PAUSE_MS;
		return;
	}
}

/* ---- the webhook process (whproc.c) ------------------------------- */

static void
webhook_want(uint32_t want)
{
	struct epoll_event ev;

	if (S.wp.fd < 0 || want == S.wevents)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.events = want;
	ev.data.u64 = TAG_WEBHOOK;
	if (epoll_ctl(SC.epfd, EPOLL_CTL_MOD, S.wp.fd, &ev) == 0)
		S.wevents = want;
}

/*
 * The webhook process is gone (or hung: killed): no delivery is handed
 * out any more, and the worker stops, so that the supervisor starts a
 * fresh one with a fresh webhook process. The deliveries it held are
 * answered by webhook_fail, from the loop, where no connection is in use.
 */
static void
webhook_died(int kill_first)
{
	if (S.wdead)
		return;
	S.wdead = 1;
	whproc_stop(&S.wp, kill_first);
	log_msg("serve: worker %d stops: its webhook process is gone",
	    (int)SC.pid);
	serve_stopping = 1;
}

/*
 * Every delivery the dead webhook process held or would have been given
 * gets 503: the sender retries, and event ids make a retry of an event
 * that was applied after all a no-op.
 */
static void
webhook_fail(int64_t now)
{
	struct conn *c;
	size_t i;

	for (i = 0; i < SERVE_MAX_CONNS; i++) {
		if ((c = SC.conns[i]) == NULL || c->state != CS_WAIT)
			continue;
		if (c->fd < 0) {
			conn_close(c);
			continue;
		}
		conn_finish(c, S.reply, gate_refuse(GATE_BUSY, NULL, S.reply,
		    sizeof(S.reply)), now);
		conn_sync(c);
	}
}

/* A delivery is written whole: the body lives on in the webhook process
 * only. */
static void
job_sent(void *ctx, struct whproc_job *j)
{
	struct conn *c = SC.conns[j->slot];

	(void)ctx;
	if (c != NULL && c->body != NULL) {
		OPENSSL_cleanse(c->body, c->body_got);
		free(c->body);
		c->body = NULL;
	}
}

static void
webhook_send(void)
{
	int r = whproc_send(&S.wp, job_sent, NULL);

	if (r < 0)
		webhook_died(0);
	else
		webhook_want(r == 1 ? EPOLLIN | EPOLLOUT : EPOLLIN);
}

/* The webhook process answered a delivery: pass the answer on. */
static void
job_answer(void *ctx, uint32_t slot, uint32_t gen, const char *reply,
    size_t len)
{
	int64_t now = *(const int64_t *)ctx;
	struct conn *c;

	if (slot >= SERVE_MAX_CONNS || (c = SC.conns[slot]) == NULL ||
	    c->gen != gen || c->state != CS_WAIT)
		return;
	if (c->fd < 0) {
		conn_close(c);	/* its client left meanwhile */
		return;
	}
	conn_finish(c, reply, len, now);
	conn_process(c, now);	/* a request the client sent meanwhile */
	conn_sync(c);
}

static void
webhook_recv(int64_t now)
{
	if (whproc_recv(&S.wp, now, job_answer, &now) != 0)
		webhook_died(0);
}

/* ---- the loop ----------------------------------------------------- */

static void
sweep(int64_t now)
{
	struct conn *c;
	size_t i;

	SC.next_deadline = NEVER;
	for (i = 0; i < SERVE_MAX_CONNS; i++) {
		if ((c = SC.conns[i]) == NULL)
			continue;
		if (c->deadline > now) {
			if (c->deadline < SC.next_deadline)
				SC.next_deadline = c->deadline;
			continue;
		}
		/* idle and lingering ones simply end */
		if (c->state == CS_REQUEST)
			conn_drop_count(DROP_PARAMS_DEADLINE, now);
		else if (c->state == CS_BODY)
			conn_drop_count(DROP_BODY_DEADLINE, now);
		conn_close(c);
	}
	if (!S.wdead && whproc_hung(&S.wp, now)) {
		log_msg("serve: webhook process answered nothing in %d s;"
		    " killing it", WHPROC_HUNG_MS / 1000);
		webhook_died(1);
	}
	if (SC.next_deadline == NEVER || SC.next_deadline > now + 1000)
		SC.next_deadline = now + 1000;	/* drop counts, hung check */
	conn_drop_flush(now);
}

/*
 * SIGTERM (a stop, or a reload's graceful replacement): accept nothing
 * more and let requests in hand finish (the supervisor waits
 * SERVE_STOP_GRACE_S). A kept-alive connection is read once more, so a
 * request already sent on it is answered, then closed (nginx retries a
 * request on a cached connection that closed). A connection accepted
 * whose request has not arrived yet keeps its parameter deadline: its
 * client has sent, or is about to send, a request that must not fail.
 */
static void
begin_stop(int64_t now)
{
	struct conn *c;
	size_t i;

	SC.stopping = 1;
	listen_set(0);
	for (i = 0; i < SERVE_MAX_CONNS; i++) {
		if ((c = SC.conns[i]) == NULL || c->state != CS_IDLE)
			continue;
		conn_read(c, now);
		if (SC.conns[i] == c && c->state == CS_IDLE)
			c->dead = 1;
		conn_sync(c);
	}
}

static void
on_event(const struct epoll_event *e, int64_t now)
{
	uint32_t slot = (uint32_t)e->data.u64, gen = (uint32_t)(e->data.u64 >>
	    32);
	struct conn *c;

	if (slot == TAG_LISTEN) {
		if (!SC.stopping)
			accept_some(now);
		return;
	}
	if (slot == TAG_WEBHOOK) {
		if (e->events & EPOLLOUT)
			webhook_send();
		if (!S.wdead && (e->events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
			webhook_recv(now);
		return;
	}
	if (slot >= SERVE_MAX_CONNS || (c = SC.conns[slot]) == NULL ||
	    c->gen != gen || c->fd < 0)
		return;		/* closed earlier in this batch */
	if (c->state == CS_WAIT && (e->events & (EPOLLHUP | EPOLLERR)) &&
	    c->out_len == c->out_off) {
		conn_drop(c);	/* the answer is dropped when it comes */
		return;
	}
	if (e->events & EPOLLOUT)
		conn_flush(c);
	if (!c->dead && c->fd >= 0 &&
	    (e->events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		conn_read(c, now);
	conn_sync(c);
}

int
fcgi_server_run(int listen_fd, struct gate *g,
    struct webhook_secrets *secrets)
{
	struct epoll_event evs[64], ev;
	struct rlimit rl;
	struct conn *c;
	int64_t now, wait;
	size_t i;
	int n, k, rc, fds[2];

	memset(&S, 0, sizeof(S));
	memset(&SC, 0, sizeof(SC));
	S.g = g;
	SC.pid = getpid();
	S.lfd = listen_fd;
	S.wp.fd = -1;
	SC.next_deadline = NEVER;
	SC.drop_logged = now_ms() - DROP_LOG_MS;
	SC.max_conns = SERVE_MAX_CONNS;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    rl.rlim_cur < SERVE_MAX_CONNS + SERVE_SPARE_FDS) {
		rl.rlim_cur = rl.rlim_max == RLIM_INFINITY ||
		    rl.rlim_max > SERVE_MAX_CONNS + SERVE_SPARE_FDS ?
		    SERVE_MAX_CONNS + SERVE_SPARE_FDS : rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
		if (getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
		    rl.rlim_cur < SERVE_MAX_CONNS + SERVE_SPARE_FDS)
			SC.max_conns = rl.rlim_cur > 2 * SERVE_SPARE_FDS ?
			    rl.rlim_cur - SERVE_SPARE_FDS : SERVE_SPARE_FDS;
	}
	/* Every worker shares the socket; each takes what epoll hands it. */
	if ((k = fcntl(listen_fd, F_GETFL)) < 0 ||
	    fcntl(listen_fd, F_SETFL, k | O_NONBLOCK) != 0 ||
	    (SC.epfd = epoll_create1(EPOLL_CLOEXEC)) < 0) {
		log_msg("serve: worker cannot set up its event loop");
		return 2;
	}
	fds[0] = SC.epfd;
	fds[1] = S.lfd;
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.u64 = TAG_WEBHOOK;
	if (whproc_start(&S.wp, g, fds, 2) != 0 ||
	    epoll_ctl(SC.epfd, EPOLL_CTL_ADD, S.wp.fd, &ev) != 0) {
		log_msg("serve: worker cannot start its webhook process");
		return 2;
	}
	S.wevents = EPOLLIN;
	/* Invariant: the process that parses client input holds no
	 * webhook secret; only the webhook process verifies signatures. */
	webhook_secrets_wipe(secrets);
	/* From here on: the database directory, no new process or socket;
	 * only the webhook process may still be stopped (sandbox.h). */
	if (sandbox_start(SANDBOX_DECIDE, g->cfg->db, S.wp.pid))
		return 2;
	listen_set(1);

	for (;;) {
		now = now_ms();
		if (serve_stopping && !SC.stopping)
			begin_stop(now);
		if (SC.stopping && SC.nconns == 0)
			break;
		if (!SC.stopping && !S.listening && SC.nconns < SC.max_conns &&
		    now >= S.accept_after)
			listen_set(1);
		if (now >= SC.next_deadline)
			sweep(now);
		wait = SC.next_deadline - now;
		if (!S.listening && !SC.stopping && S.accept_after > now &&
		    S.accept_after - now < wait)
			wait = S.accept_after - now;
		if (wait > 1000)
			wait = 1000;
		if (wait < 0)
			wait = 0;
		n = epoll_wait(SC.epfd, evs, (int)(sizeof(evs) /
		    sizeof(evs[0])), (int)wait);
		if (n < 0 && errno != EINTR) {
			log_msg("serve: epoll_wait: %s", strerror(errno));
			break;
		}
		now = now_ms();
		for (k = 0; k < n; k++)
			on_event(&evs[k], now);
		if (n > 0)
			usage_flush(util_now_ms());	/* once a second */
		if (S.wdead && !S.wfailed) {
			S.wfailed = 1;
			webhook_fail(now);
		}
	}

	rc = S.wdead ? 3 : 0;
	SC.drop_logged = now_ms() - DROP_LOG_MS;
	conn_drop_flush(now_ms());
	for (i = 0; i < SERVE_MAX_CONNS; i++)
		if ((c = SC.conns[i]) != NULL)
			conn_close(c);
	if (!S.wdead)
		whproc_stop(&S.wp, 0);	/* EOF: it finishes, exits */
	close(SC.epfd);
	return rc;
}
