/*
 * whproc.c - the webhook process of an `authgate serve` worker: a child
 * that applies deliveries one at a time, and the worker's non-blocking
 * end of the pipe to it.
 *
 * Owns the child and the pipe; the worker owns the deliveries. Trusts its
 * worker (same binary, a socketpair nobody else holds) but still checks
 * every length against its limits before reading or writing by it. The
 * child blocks on SQLite and on the pipe, which is its whole job; the
 * worker's end never blocks.
 */
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "fcgi_proto.h"
#include "log.h"
#include "sandbox.h"
#include "whproc.h"

/* Reads exactly n bytes. Returns 1, 0 on EOF before any byte, -1. */
static int
read_full(int fd, void *buf, size_t n)
{
	size_t got = 0;
	ssize_t r;

	while (got < n) {
		r = read(fd, (char *)buf + got, n - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r == 0 && got == 0 ? 0 : -1;
		got += (size_t)r;
	}
	return 1;
}

static int
write_full(int fd, const void *buf, size_t n)
{
	size_t put = 0;
	ssize_t r;

	while (put < n) {
		r = write(fd, (const char *)buf + put, n - put);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		put += (size_t)r;
	}
	return 0;
}

struct block {
	const char	*p;
	size_t		 len;
	unsigned	 role;
};

static const char *
block_param(void *ctx, const char *name)
{
	const struct block *b = ctx;

	return fcgi_params_find(b->p, b->len, b->role, name);
}

/* The child: read a delivery, answer it through the gate, repeat. */
static int
child_main(int fd, struct gate *g)
{
	static char params[FCGI_MAX_PARAMS_BYTES];
	static char out[GATE_REPLY_MAX];
	struct gate_request rq;
	struct whproc_msg m;
	struct whproc_rep rep;
	struct block b;
	char *body;
	size_t n;
	char err[512];
	int r, rc = 1;

	/* A publisher connects before its sandbox closes the network. */
	if ((r = gate_bus_open(g, "authgate-webhook", err, sizeof(err))) < 0)
		log_msg("%s; deliveries get 503", err);
	if (sandbox_start(r > 0 ? SANDBOX_WEBHOOK_NET : SANDBOX_WEBHOOK,
	    g->cfg->db, 0))
		return 2;
	if ((body = malloc(g->cfg->max_body + 1)) == NULL)
		return 1;
	for (;;) {
		if ((r = read_full(fd, &m, sizeof(m))) == 0) {
			rc = 0;
			break;
		}
		if (r < 0 || m.params_len > sizeof(params) ||
		    m.body_len > g->cfg->max_body ||
		    fcgi_role_name(m.role) == NULL ||
		    read_full(fd, params, m.params_len) < 0 ||
		    read_full(fd, body, (size_t)m.body_len) < 0)
			break;
		b.p = params;
		b.len = m.params_len;
		b.role = m.role;
		rq.param = block_param;
		rq.ctx = &b;
		/* the body is wiped by the gate */
		n = gate_answer(g, &rq, body, (size_t)m.body_len, out,
		    sizeof(out));
		memset(&rep, 0, sizeof(rep));
		rep.slot = m.slot;
		rep.gen = m.gen;
		rep.len = (uint32_t)n;
		if (write_full(fd, &rep, sizeof(rep)) != 0 ||
		    write_full(fd, out, n) != 0)
			break;
	}
	OPENSSL_cleanse(body, g->cfg->max_body + 1);
	free(body);
	gate_fini(g);
	return rc;
}

int
whproc_start(struct whproc *w, struct gate *g, const int *close_fds,
    size_t nclose)
{
	size_t i;
	int sv[2];

	memset(w, 0, sizeof(*w));
	w->fd = -1;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
		return -1;
	if ((w->pid = fork()) < 0) {
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (w->pid == 0) {
		signal(SIGTERM, SIG_IGN);
		signal(SIGINT, SIG_IGN);
		close(sv[0]);
		for (i = 0; i < nclose; i++)
			close(close_fds[i]);
		_exit(child_main(sv[1], g));
	}
	close(sv[1]);
	w->fd = sv[0];
	if (fcntl(w->fd, F_SETFL, O_NONBLOCK) != 0) {
		whproc_stop(w, 1);
		return -1;
	}
	return 0;
}

int
whproc_queue(struct whproc *w, struct whproc_job *j, int64_t now)
{
	if (w->fd < 0 || w->n + w->waiting >= WHPROC_MAX_QUEUE)
		return -1;
	if (w->n == 0 && w->waiting == 0)
		w->progress = now;
	j->sent = 0;
	w->q[(w->head + w->n) % WHPROC_MAX_QUEUE] = j;
	w->n++;
	return 0;
}

int
whproc_send(struct whproc *w, void (*sent)(void *ctx, struct whproc_job *j),
    void *ctx)
{
	struct whproc_job *j;
	struct whproc_msg m;
	struct iovec iov[3];
	size_t total, skip, k;
	ssize_t r;
	int i;

	while (w->n > 0) {
		if (w->fd < 0)
			return -1;
		j = w->q[w->head];
		memset(&m, 0, sizeof(m));
		m.slot = j->slot;
		m.gen = j->gen;
		m.role = j->role;
		m.params_len = (uint32_t)j->params_len;
		m.body_len = j->body_len;
		total = sizeof(m) + j->params_len + j->body_len;
		iov[0].iov_base = &m;
		iov[0].iov_len = sizeof(m);
		iov[1].iov_base = (void *)j->params;
		iov[1].iov_len = j->params_len;
		iov[2].iov_base = (void *)j->body;
		iov[2].iov_len = j->body_len;
		for (skip = j->sent, i = 0; i < 3; i++) {
			k = skip < iov[i].iov_len ? skip : iov[i].iov_len;
			iov[i].iov_base = (char *)iov[i].iov_base + k;
			iov[i].iov_len -= k;
			skip -= k;
		}
		r = writev(w->fd, iov, 3);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 1;
		if (r <= 0)
			return -1;
		j->sent += (size_t)r;
		if (j->sent < total)
			continue;
		w->head = (w->head + 1) % WHPROC_MAX_QUEUE;
		w->n--;
		w->waiting++;
		sent(ctx, j);
	}
	return 0;
}

int
whproc_recv(struct whproc *w, int64_t now, void (*answer)(void *ctx,
    uint32_t slot, uint32_t gen, const char *reply, size_t len), void *ctx)
{
	struct whproc_rep rep;
	size_t used;
	ssize_t r;

	for (;;) {
		if (w->fd < 0)
			return -1;
		r = read(w->fd, w->rbuf + w->rlen, sizeof(w->rbuf) - w->rlen);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (r <= 0)
			return -1;
		w->rlen += (size_t)r;
		used = 0;
		while (w->rlen - used >= sizeof(rep)) {
			memcpy(&rep, w->rbuf + used, sizeof(rep));
			if (rep.len > GATE_REPLY_MAX || w->waiting == 0) {
				log_msg("serve: webhook process sent garbage");
				if (w->pid > 0)
					kill(w->pid, SIGKILL);
				return -1;
			}
			if (w->rlen - used - sizeof(rep) < rep.len)
				break;
			w->waiting--;
			w->progress = now;
			answer(ctx, rep.slot, rep.gen, (const char *)w->rbuf +
			    used + sizeof(rep), rep.len);
			used += sizeof(rep) + rep.len;
		}
		memmove(w->rbuf, w->rbuf + used, w->rlen - used);
		w->rlen -= used;
	}
}

int
whproc_hung(const struct whproc *w, int64_t now)
{
	return w->fd >= 0 && w->n + w->waiting > 0 &&
	    now - w->progress > WHPROC_HUNG_MS;
}

void
whproc_stop(struct whproc *w, int kill_first)
{
	int status = 0;

	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
	if (w->pid > 0) {
		if (kill_first)
			kill(w->pid, SIGKILL);
		if (waitpid(w->pid, &status, 0) == w->pid &&
		    !(WIFEXITED(status) && WEXITSTATUS(status) == 0))
			log_msg("serve: webhook process %d ended (%s %d)",
			    (int)w->pid, WIFSIGNALED(status) ? "signal" :
			    "exit", WIFSIGNALED(status) ? WTERMSIG(status) :
			    WEXITSTATUS(status));
	}
	w->pid = 0;
	w->n = 0;
	w->waiting = 0;
	w->rlen = 0;
}
