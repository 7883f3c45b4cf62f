/*
 * fuzz_fcgi.c - libFuzzer target for fcgi_proto.c, the FastCGI codec of
 * `authgate serve`. The first byte picks a chunk size; the rest is what
 * a hostile peer sends. The input is fed whole and in chunks, driven as
 * fcgi_server.c drives it (a parameter buffer on each begin, the request
 * ended on stdin end and abort, a reply built on params).
 *
 * Invariants (a violation traps): feed never claims more bytes than it
 * was given, never writes past the output buffer, stdin chunks lie inside
 * the input, a finished parameter block is NUL-terminated and every value
 * found in it lies inside it; and the two feedings produce the same
 * events, the same stdin bytes and the same management answers.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fcgi_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct result {
	unsigned long	hash;		/* events, stdin bytes and out bytes */
	size_t		events;
};

static void
mix(struct result *r, const unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		r->hash = r->hash * 1000003u ^ p[i];
}

static void
mixv(struct result *r, unsigned v)
{
	unsigned char b[4] = { (unsigned char)v, (unsigned char)(v >> 8),
	    (unsigned char)(v >> 16), (unsigned char)(v >> 24) };

	mix(r, b, 4);
}

static void
check_params(const struct fcgi_conn *c)
{
	static const char *names[] = { "REQUEST_URI", "FCGI_ROLE", "A", "",
	    "HTTP_COOKIE", "CONTENT_LENGTH" };
	const char *v;
	size_t i;

	if (c->params_status != FCGI_P_OK)
		return;
	if (c->pblock > FCGI_MAX_PARAMS_BYTES ||
	    (c->pblock > 0 && c->pbuf[c->pblock - 1] != '\0'))
		__builtin_trap();
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		v = fcgi_param(c, names[i]);
		if (v != NULL && strcmp(names[i], "FCGI_ROLE") != 0 &&
		    (v < c->pbuf || v + strlen(v) >= c->pbuf + c->pblock))
			__builtin_trap();
	}
}

static void
drive(const unsigned char *in, size_t n, size_t step, struct result *r)
{
	static char params[FCGI_MAX_PARAMS_BYTES];
	static unsigned char obuf[FCGI_MGMT_REPLY_MAX * 4];
	static unsigned char reply[256];
	struct fcgi_out o = { obuf, sizeof(obuf), 0 };
	struct fcgi_conn c;
	const unsigned char *d;
	size_t off = 0, used, dn, end;
	enum fcgi_event ev;

	memset(r, 0, sizeof(*r));
	fcgi_conn_init(&c, 512, 512);
	while (off < n) {
		end = step == 0 || n - off < step ? n : off + step;
		ev = fcgi_feed(&c, in + off, end - off, &used, &o, &d, &dn);
		if (used > end - off || o.len > o.cap)
			__builtin_trap();
		off += used;
		/* management answers, as if flushed at once */
		mix(r, o.p, o.len);
		o.len = 0;
		if (ev == FCGI_EV_MORE || ev == FCGI_EV_OUT)
			continue;	/* OUT: o was just flushed */
		if (ev != FCGI_EV_STDIN) {
			mixv(r, (unsigned)ev);
			r->events++;
		}
		switch (ev) {
		case FCGI_EV_BEGIN:
			fcgi_set_params_buf(&c, params, sizeof(params));
			break;
		case FCGI_EV_PARAMS:
			mixv(r, (unsigned)c.params_status);
			check_params(&c);
			if (fcgi_build_reply(reply, sizeof(reply), c.req_id,
			    "Status: 403\r\n\r\n", 15) == 0)
				__builtin_trap();
			break;
		case FCGI_EV_STDIN:
			if (d < in || dn == 0 || d + dn > in + n)
				__builtin_trap();
			mix(r, d, dn);
			break;
		case FCGI_EV_STDIN_END:
		case FCGI_EV_ABORT:
			fcgi_request_done(&c);
			break;
		case FCGI_EV_CLOSE:
		case FCGI_EV_ERROR:
			mixv(r, (unsigned)c.error);
			return;
		default:
			break;
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct result whole, chunked;

	if (size < 1)
		return 0;
	drive(data + 1, size - 1, 0, &whole);
	drive(data + 1, size - 1, (size_t)data[0] % 17 + 1, &chunked);
	if (whole.hash != chunked.hash || whole.events != chunked.events)
		__builtin_trap();
	return 0;
}
