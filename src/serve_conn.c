/*
 * serve_conn.c - the connections of one `authgate serve` worker (see
 * serve_conn.h): their states and deadlines, buffers, answers queued and
 * flushed, closing and eviction.
 *
 * Never blocks: a write the socket does not take waits for EPOLLOUT.
 * Invariant: an answer leaves before its connection ends, and an empty
 * answer (no Status: an allow to lighttpd and Apache) is never sent.
 */
#include <sys/epoll.h>
#include <sys/socket.h>

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "log.h"
#include "serve_conn.h"

struct serve_conns SC;

/* Logs the drop counts, at most once per DROP_LOG_MS: a flood of slow
 * clients must not become a flood of log lines. */
void
conn_drop_flush(int64_t now)
{
	size_t i, any = 0;

	for (i = 0; i < DROP_N; i++)
		any += SC.drops[i];
	if (any == 0 || now - SC.drop_logged < DROP_LOG_MS)
		return;
	log_msg("serve: worker %d closed connections params_deadline=%zu"
	    " body_deadline=%zu protocol_error=%zu evicted=%zu", (int)SC.pid,
	    SC.drops[DROP_PARAMS_DEADLINE], SC.drops[DROP_BODY_DEADLINE],
	    SC.drops[DROP_PROTOCOL], SC.drops[DROP_EVICTED]);
	for (i = 0; i < DROP_N; i++)
		SC.drops[i] = 0;
	SC.drop_logged = now;
}

void
conn_drop_count(enum drop d, int64_t now)
{
	SC.drops[d]++;
	conn_drop_flush(now);
}

static void
set_deadline(struct conn *c, int64_t when)
{
	c->deadline = when;
	if (when < SC.next_deadline)
		SC.next_deadline = when;
}

void
conn_set_state(struct conn *c, enum cstate st, int64_t now,
    int64_t deadline)
{
	SC.nstate[c->state]--;
	SC.nstate[st]++;
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
void
conn_close(struct conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	SC.nstate[c->state]--;
	wipe_body(c);
	free(c->params);
	SC.conns[c->slot] = NULL;
	SC.gens[c->slot]++;
	SC.nconns--;
	free(c);
}

/* Gives up on c: closed at the end of the event, or, while the webhook
 * process holds its delivery, its socket closed and the answer dropped. */
void
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

void
conn_flush(struct conn *c)
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
void
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
	if (epoll_ctl(SC.epfd, EPOLL_CTL_MOD, c->fd, &ev) != 0)
		c->dead = 1;
	else
		c->events = want;
	if (c->dead)
		conn_close(c);
}

/* The oldest connection in state st (other than keep), or NULL. */
struct conn *
conn_oldest(enum cstate st, const struct conn *keep)
{
	struct conn *best = NULL, *c;
	size_t i;

	for (i = 0; i < SERVE_MAX_CONNS; i++) {
		if ((c = SC.conns[i]) == NULL || c == keep || c->state != st ||
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
int
conn_evict_one(int64_t now)
{
	struct conn *c;

	if ((c = conn_oldest(CS_CLOSING, NULL)) == NULL &&
	    (c = conn_oldest(CS_IDLE, NULL)) == NULL) {
		struct conn *a = conn_oldest(CS_REQUEST, NULL);
		struct conn *b = conn_oldest(CS_BODY, NULL);

		c = a == NULL || (b != NULL && b->since < a->since) ? b : a;
		if (c == NULL)
			return 0;
		conn_drop_count(DROP_EVICTED, now);
	}
	conn_close(c);
	return 1;
}

void
conn_to_closing(struct conn *c, int64_t now)
{
	conn_set_state(c, CS_CLOSING, now, now + SERVE_LINGER_MS);
}

static void
to_idle(struct conn *c, int64_t now)
{
	struct conn *o;

	conn_set_state(c, CS_IDLE, now, now + SERVE_KEEPALIVE_MS);
	if (SC.nstate[CS_IDLE] > SERVE_MAX_KEEPALIVE &&
	    (o = conn_oldest(CS_IDLE, c)) != NULL)
		conn_close(o);
}

/* The active request is over: forget it, then keep or close c. */
void
conn_end_request(struct conn *c, int64_t now)
{
	int keep = c->fc.keep_conn;

	fcgi_request_done(&c->fc);
	free(c->params);
	c->params = NULL;
	wipe_body(c);
	if (keep && !SC.stopping && c->fd >= 0)
		to_idle(c, now);
	else
		conn_to_closing(c, now);
}

/* Queues the answer to the active request (reply, n bytes) and ends it. */
void
conn_finish(struct conn *c, const char *reply, size_t n, int64_t now)
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
	conn_end_request(c, now);
	conn_flush(c);
}

void
conn_new(int fd, int64_t now)
{
	struct epoll_event ev;
	struct conn *c;
	size_t i;

	for (i = 0; i < SERVE_MAX_CONNS && SC.conns[i] != NULL; i++)
		;
	if (i == SERVE_MAX_CONNS || (c = malloc(sizeof(*c))) == NULL) {
		close(fd);
		return;
	}
	memset(c, 0, offsetof(struct conn, in));
	c->fd = fd;
	c->slot = (uint32_t)i;
	c->gen = SC.gens[i];
	fcgi_conn_init(&c->fc, (unsigned)SC.max_conns, (unsigned)SC.max_conns);
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.u64 = (uint64_t)c->gen << 32 | c->slot;
	if (epoll_ctl(SC.epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
		close(fd);
		free(c);
		return;
	}
	c->events = EPOLLIN;
	SC.conns[i] = c;
	SC.nconns++;
	SC.nstate[CS_REQUEST]++;
	/* Invariant: a new connection delivers its first request's
	 * parameters within SERVE_PARAMS_MS of connecting, or is closed. */
	c->state = CS_REQUEST;
	c->since = now;
	set_deadline(c, now + SERVE_PARAMS_MS);
}
