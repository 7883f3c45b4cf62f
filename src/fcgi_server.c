/*
 * fcgi_server.c - one worker of `authgate serve`: an epoll loop over the
 * shared listening socket and many non-blocking client connections, with
 * the webhook process (whproc.c) applying deliveries beside it.
 *
 * Owns the connections (each a bounded input and output buffer, a
 * parameter buffer per request, a webhook body while one is read), their
 * deadlines, and the pipe to the webhook process. Trusts nothing a client
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
#include "whproc.h"

#define TAG_LISTEN	0xffffffffu	/* epoll data: the listening socket */
#define TAG_WEBHOOK	0xfffffffeu	/* epoll data: the webhook process */
#define ACCEPT_BATCH	32		/* connections taken per wake-up */
#define ACCEPT_PAUSE_MS	100		/* out of descriptors: try again */
#define READS_PER_EVENT	4		/* then others get their turn */
#define DROP_LOG_MS	10000		/* drop counts logged this often */
#define NEVER		INT64_MAX

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

static struct {
	struct gate	*g;
	pid_t		 pid;
	int		 epfd;
	int		 lfd;
	int		 listening;
	int		 stopping;
	int64_t		 accept_after;
	size_t		 max_conns;
	struct conn	*conns[SERVE_MAX_CONNS];
	uint32_t	 gens[SERVE_MAX_CONNS];
	size_t		 nconns;
	size_t		 nstate[CS_CLOSING + 1];	/* connections per state */
	int64_t		 next_deadline;
	size_t		 drops[DROP_N];
	int64_t		 drop_logged;
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

/* Logs the drop counts, at most once per DROP_LOG_MS: a flood of slow
 * clients must not become a flood of log lines. */
static void
drop_flush(int64_t now)
{
	size_t i, any = 0;

	for (i = 0; i < DROP_N; i++)
		any += S.drops[i];
	if (any == 0 || now - S.drop_logged < DROP_LOG_MS)
		return;
	log_msg("serve: worker %d closed connections params_deadline=%zu"
	    " body_deadline=%zu protocol_error=%zu evicted=%zu", (int)S.pid,
	    S.drops[DROP_PARAMS_DEADLINE], S.drops[DROP_BODY_DEADLINE],
	    S.drops[DROP_PROTOCOL], S.drops[DROP_EVICTED]);
	for (i = 0; i < DROP_N; i++)
		S.drops[i] = 0;
	S.drop_logged = now;
}

static void
drop_count(enum drop d, int64_t now)
{
	S.drops[d]++;
	drop_flush(now);
}

static void
set_deadline(struct conn *c, int64_t when)
{
	c->deadline = when;
	if (when < S.next_deadline)
		S.next_deadline = when;
}

static void
set_state(struct conn *c, enum cstate st, int64_t now, int64_t deadline)
{
	S.nstate[c->state]--;
	S.nstate[st]++;
	c->state = st;
	c->since = now;
	set_deadline(c, deadline);
}

static void
wipe_body(struct conn *c)
{
	if (c->body != NULL) {
		OPENSSL_cleanse(c->body, c->body_got);
		free(c->body);
		c->body = NULL;
	}
	c->body_len = c->body_got = 0;
}

/* Closes and frees c now. Never called for a connection the webhook
 * process still holds, except when that process is gone. */
static void
conn_close(struct conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	S.nstate[c->state]--;
	wipe_body(c);
	free(c->params);
	S.conns[c->slot] = NULL;
	S.gens[c->slot]++;
	S.nconns--;
	free(c);
}

/* Gives up on c: closed at the end of the event, or, while the webhook
 * process holds its delivery, its socket closed and the answer dropped. */
static void
conn_drop(struct conn *c)
{
	if (c->state == CS_WAIT) {
		if (c->fd >= 0)
			close(c->fd);
		c->fd = -1;
		c->events = 0;
	} else {
		c->dead = 1;
	}
}

static void
flush(struct conn *c)
{
	ssize_t r;

	while (c->fd >= 0 && c->out_off < c->out_len) {
		r = write(c->fd, c->out + c->out_off, c->out_len - c->out_off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (r <= 0) {
			conn_drop(c);
			return;
		}
		c->out_off += (size_t)r;
	}
	c->out_off = c->out_len = 0;
	if (c->state == CS_CLOSING && !c->shut && c->fd >= 0) {
		/* Invariant: the answer leaves before the connection ends;
		 * the peer's EOF (or SERVE_LINGER_MS) closes it. */
		shutdown(c->fd, SHUT_WR);
		c->shut = 1;
		if (c->peer_eof)
			c->dead = 1;
	}
}

/* Brings epoll's interest in line with c's state; closes a dead one. */
static void
conn_sync(struct conn *c)
{
	struct epoll_event ev;
	uint32_t want = 0;

	if (c->dead) {
		conn_close(c);
		return;
	}
	if (c->fd < 0)
		return;
	switch (c->state) {
	case CS_WAIT:
		break;
	case CS_CLOSING:
		if (!c->peer_eof)
			want |= EPOLLIN;
		break;
	default:
		if (c->out_len < SERVE_MGMT_ROOM)
			want |= EPOLLIN;
		break;
	}
	if (c->out_len > c->out_off)
		want |= EPOLLOUT;
	if (want == c->events)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.events = want;
	ev.data.u64 = (uint64_t)c->gen << 32 | c->slot;
	if (epoll_ctl(S.epfd, EPOLL_CTL_MOD, c->fd, &ev) != 0)
		c->dead = 1;
	else
		c->events = want;
	if (c->dead)
		conn_close(c);
}

/* The oldest connection in state st (other than keep), or NULL. */
static struct conn *
oldest(enum cstate st, const struct conn *keep)
{
	struct conn *best = NULL, *c;
	size_t i;

	for (i = 0; i < SERVE_MAX_CONNS; i++) {
		if ((c = S.conns[i]) == NULL || c == keep || c->state != st ||
		    c->dead)
			continue;
		if (best == NULL || c->since < best->since)
			best = c;
	}
	return best;
}

/*
 * Makes room for one more connection: closes the oldest lingering one,
 * else the oldest idle kept-alive one, else the oldest that has not
 * delivered its request yet. Returns 1 if one was closed.
 */
static int
evict_one(int64_t now)
{
	struct conn *c;

	if ((c = oldest(CS_CLOSING, NULL)) == NULL &&
	    (c = oldest(CS_IDLE, NULL)) == NULL) {
		struct conn *a = oldest(CS_REQUEST, NULL);
		struct conn *b = oldest(CS_BODY, NULL);

		c = a == NULL || (b != NULL && b->since < a->since) ? b : a;
		if (c == NULL)
			return 0;
		drop_count(DROP_EVICTED, now);
	}
	conn_close(c);
	return 1;
}

static void
to_closing(struct conn *c, int64_t now)
{
	set_state(c, CS_CLOSING, now, now + SERVE_LINGER_MS);
}

static void
to_idle(struct conn *c, int64_t now)
{
	struct conn *o;

	set_state(c, CS_IDLE, now, now + SERVE_KEEPALIVE_MS);
	if (S.nstate[CS_IDLE] > SERVE_MAX_KEEPALIVE &&
	    (o = oldest(CS_IDLE, c)) != NULL)
		conn_close(o);
}

/* The active request is over: forget it, then keep or close c. */
static void
end_request(struct conn *c, int64_t now)
{
	int keep = c->fc.keep_conn;

	fcgi_request_done(&c->fc);
	free(c->params);
	c->params = NULL;
	wipe_body(c);
	if (keep && !S.stopping && c->fd >= 0)
		to_idle(c, now);
	else
		to_closing(c, now);
}

/* Queues the answer to the active request (reply, n bytes) and ends it. */
static void
finish(struct conn *c, const char *reply, size_t n, int64_t now)
{
	size_t k;

	if (c->out_off > 0) {
		memmove(c->out, c->out + c->out_off, c->out_len - c->out_off);
		c->out_len -= c->out_off;
		c->out_off = 0;
	}
	/* Room is there by construction: input is read only while fewer
	 * than SERVE_MGMT_ROOM bytes wait, and SERVE_OUT_BUF adds a reply.
	 * Invariant: an empty answer (no Status: an allow to lighttpd and
	 * Apache) is never sent; the connection is closed instead. */
	k = n == 0 ? 0 : fcgi_build_reply(c->out + c->out_len,
	    sizeof(c->out) - c->out_len, c->fc.req_id, reply, n);
	if (k == 0) {
		log_msg("serve: reply does not fit (%zu bytes); closing", n);
		conn_drop(c);
		return;
	}
	c->out_len += k;
	end_request(c, now);
	flush(c);
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
		finish(c, S.reply, gate_refuse(GATE_BUSY, NULL, S.reply,
		    sizeof(S.reply)), now);
		return;
	}
	set_state(c, CS_WAIT, now, NEVER);
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
		finish(c, S.reply, n, now);
		return;
	}
	switch (gate_plan(S.g, &rq, &len, S.reply, sizeof(S.reply), &n)) {
	case GATE_DONE:
		finish(c, S.reply, n, now);
		return;
	case GATE_BODY:
		break;
	default:
		n = gate_answer(S.g, &rq, NULL, 0, S.reply, sizeof(S.reply));
		finish(c, S.reply, n, now);
		return;
	}
	/* At the cap the body read longest gives way: a slow sender
	 * cannot keep deliveries out. */
	if (S.nstate[CS_BODY] >= SERVE_MAX_BODIES &&
	    (o = oldest(CS_BODY, c)) != NULL) {
		drop_count(DROP_EVICTED, now);
		conn_close(o);
	}
	if (S.wdead || S.nstate[CS_BODY] >= SERVE_MAX_BODIES) {
		finish(c, S.reply, gate_refuse(GATE_BUSY, NULL, S.reply,
		    sizeof(S.reply)), now);
		return;
	}
	/* Pages of a large buffer are touched only as bytes arrive. */
	if ((c->body = malloc(len > 0 ? (size_t)len : 1)) == NULL) {
		finish(c, S.reply, gate_refuse(GATE_NO_MEMORY, NULL, S.reply,
		    sizeof(S.reply)), now);
		return;
	}
	c->body_len = (size_t)len;
	c->body_got = 0;
	set_state(c, CS_BODY, now, now + SERVE_BODY_BASE_MS +
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
				set_state(c, CS_REQUEST, now,
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
				finish(c, S.reply, gate_refuse(GATE_BODY_SHORT,
				    NULL, S.reply, sizeof(S.reply)), now);
			break;
		case FCGI_EV_ABORT:
			/* out_len < SERVE_MGMT_ROOM + FCGI_MGMT_REPLY_MAX:
			 * an END_REQUEST fits */
			c->out_len += fcgi_build_end(c->out + c->out_len,
			    sizeof(c->out) - c->out_len, c->fc.req_id,
			    FCGI_REQUEST_COMPLETE);
			end_request(c, now);
			break;
		case FCGI_EV_CLOSE:
			to_closing(c, now);
			break;
		case FCGI_EV_ERROR:
			drop_count(DROP_PROTOCOL, now);
			conn_drop(c);
			break;
		}
		if (ev == FCGI_EV_MORE || ev == FCGI_EV_OUT)
			break;
	}
	if (c->in_off == c->in_len)
		c->in_off = c->in_len = 0;
	flush(c);
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
				to_closing(c, now);
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
conn_new(int fd, int64_t now)
{
	struct epoll_event ev;
	struct conn *c;
	size_t i;

	for (i = 0; i < SERVE_MAX_CONNS && S.conns[i] != NULL; i++)
		;
	if (i == SERVE_MAX_CONNS || (c = malloc(sizeof(*c))) == NULL) {
		close(fd);
		return;
	}
	memset(c, 0, offsetof(struct conn, in));
	c->fd = fd;
	c->slot = (uint32_t)i;
	c->gen = S.gens[i];
	fcgi_conn_init(&c->fc, (unsigned)S.max_conns, (unsigned)S.max_conns);
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.u64 = (uint64_t)c->gen << 32 | c->slot;
	if (epoll_ctl(S.epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
		close(fd);
		free(c);
		return;
	}
	c->events = EPOLLIN;
	S.conns[i] = c;
	S.nconns++;
	S.nstate[CS_REQUEST]++;
	/* Invariant: a new connection delivers its first request's
	 * parameters within SERVE_PARAMS_MS of connecting, or is closed. */
	c->state = CS_REQUEST;
	c->since = now;
	set_deadline(c, now + SERVE_PARAMS_MS);
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
	if (epoll_ctl(S.epfd, on ? EPOLL_CTL_ADD : EPOLL_CTL_DEL, S.lfd,
	    &ev) == 0)
		S.listening = on;
}

static void
accept_some(int64_t now)
{
	int fd, i;

	for (i = 0; i < ACCEPT_BATCH; i++) {
		if (S.nconns >= S.max_conns && !evict_one(now)) {
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
	if (epoll_ctl(S.epfd, EPOLL_CTL_MOD, S.wp.fd, &ev) == 0)
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
	    (int)S.pid);
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
		if ((c = S.conns[i]) == NULL || c->state != CS_WAIT)
			continue;
		if (c->fd < 0) {
			conn_close(c);
			continue;
		}
		finish(c, S.reply, gate_refuse(GATE_BUSY, NULL, S.reply,
		    sizeof(S.reply)), now);
		conn_sync(c);
	}
}

/* A delivery is written whole: the body lives on in the webhook process
 * only. */
static void
job_sent(void *ctx, struct whproc_job *j)
{
	struct conn *c = S.conns[j->slot];

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

	if (slot >= SERVE_MAX_CONNS || (c = S.conns[slot]) == NULL ||
	    c->gen != gen || c->state != CS_WAIT)
		return;
	if (c->fd < 0) {
		conn_close(c);	/* its client left meanwhile */
		return;
	}
	finish(c, reply, len, now);
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

	S.next_deadline = NEVER;
	for (i = 0; i < SERVE_MAX_CONNS; i++) {
		if ((c = S.conns[i]) == NULL)
			continue;
		if (c->deadline > now) {
			if (c->deadline < S.next_deadline)
				S.next_deadline = c->deadline;
			continue;
		}
		/* idle and lingering ones simply end */
		if (c->state == CS_REQUEST)
			drop_count(DROP_PARAMS_DEADLINE, now);
		else if (c->state == CS_BODY)
			drop_count(DROP_BODY_DEADLINE, now);
		conn_close(c);
	}
	if (!S.wdead && whproc_hung(&S.wp, now)) {
		log_msg("serve: webhook process answered nothing in %d s;"
		    " killing it", WHPROC_HUNG_MS / 1000);
		webhook_died(1);
	}
	if (S.next_deadline == NEVER || S.next_deadline > now + 1000)
		S.next_deadline = now + 1000;	/* drop counts, hung check */
	drop_flush(now);
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

	S.stopping = 1;
	listen_set(0);
	for (i = 0; i < SERVE_MAX_CONNS; i++) {
		if ((c = S.conns[i]) == NULL || c->state != CS_IDLE)
			continue;
		conn_read(c, now);
		if (S.conns[i] == c && c->state == CS_IDLE)
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
		if (!S.stopping)
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
	if (slot >= SERVE_MAX_CONNS || (c = S.conns[slot]) == NULL ||
	    c->gen != gen || c->fd < 0)
		return;		/* closed earlier in this batch */
	if (c->state == CS_WAIT && (e->events & (EPOLLHUP | EPOLLERR)) &&
	    c->out_len == c->out_off) {
		conn_drop(c);	/* the answer is dropped when it comes */
		return;
	}
	if (e->events & EPOLLOUT)
		flush(c);
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
	S.g = g;
	S.pid = getpid();
	S.lfd = listen_fd;
	S.wp.fd = -1;
	S.next_deadline = NEVER;
	S.drop_logged = now_ms() - DROP_LOG_MS;
	S.max_conns = SERVE_MAX_CONNS;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    rl.rlim_cur < SERVE_MAX_CONNS + SERVE_SPARE_FDS) {
		rl.rlim_cur = rl.rlim_max == RLIM_INFINITY ||
		    rl.rlim_max > SERVE_MAX_CONNS + SERVE_SPARE_FDS ?
		    SERVE_MAX_CONNS + SERVE_SPARE_FDS : rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
		if (getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
		    rl.rlim_cur < SERVE_MAX_CONNS + SERVE_SPARE_FDS)
			S.max_conns = rl.rlim_cur > 2 * SERVE_SPARE_FDS ?
			    rl.rlim_cur - SERVE_SPARE_FDS : SERVE_SPARE_FDS;
	}
	/* Every worker shares the socket; each takes what epoll hands it. */
	if ((k = fcntl(listen_fd, F_GETFL)) < 0 ||
	    fcntl(listen_fd, F_SETFL, k | O_NONBLOCK) != 0 ||
	    (S.epfd = epoll_create1(EPOLL_CLOEXEC)) < 0) {
		log_msg("serve: worker cannot set up its event loop");
		return 2;
	}
	fds[0] = S.epfd;
	fds[1] = S.lfd;
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.u64 = TAG_WEBHOOK;
	if (whproc_start(&S.wp, g, fds, 2) != 0 ||
	    epoll_ctl(S.epfd, EPOLL_CTL_ADD, S.wp.fd, &ev) != 0) {
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
		if (serve_stopping && !S.stopping)
			begin_stop(now);
		if (S.stopping && S.nconns == 0)
			break;
		if (!S.stopping && !S.listening && S.nconns < S.max_conns &&
		    now >= S.accept_after)
			listen_set(1);
		if (now >= S.next_deadline)
			sweep(now);
		wait = S.next_deadline - now;
		if (!S.listening && !S.stopping && S.accept_after > now &&
		    S.accept_after - now < wait)
			wait = S.accept_after - now;
		if (wait > 1000)
			wait = 1000;
		if (wait < 0)
			wait = 0;
		n = epoll_wait(S.epfd, evs, (int)(sizeof(evs) /
		    sizeof(evs[0])), (int)wait);
		if (n < 0 && errno != EINTR) {
			log_msg("serve: epoll_wait: %s", strerror(errno));
			break;
		}
		now = now_ms();
		for (k = 0; k < n; k++)
			on_event(&evs[k], now);
		if (S.wdead && !S.wfailed) {
			S.wfailed = 1;
			webhook_fail(now);
		}
	}

	rc = S.wdead ? 3 : 0;
	S.drop_logged = now_ms() - DROP_LOG_MS;
	drop_flush(now_ms());
	for (i = 0; i < SERVE_MAX_CONNS; i++)
		if ((c = S.conns[i]) != NULL)
			conn_close(c);
	if (!S.wdead)
		whproc_stop(&S.wp, 0);	/* EOF: it finishes, exits */
	close(S.epfd);
	return rc;
}
