/*
 * fcgi_proto.c - FastCGI 1.0 records: an incremental parser for what a
 * web server sends, and the builders for what authgate answers.
 *
 * Owns no memory and does no I/O: state lives in the caller's struct
 * fcgi_conn, parameters in the caller's buffer, answers in the caller's
 * struct fcgi_out. Trusts nothing from the peer: every length is checked
 * against what is left of the record, the named limits and the caller's
 * buffer before it is used; a record that breaks the protocol is an error
 * and the caller closes the connection. Never handles more than one
 * request per connection at a time.
 */
#include <stdio.h>
#include <string.h>

#include "fcgi_proto.h"

/* What the content of the record being read is for. */
enum disp {
	DISP_SKIP = 0,	/* inactive id, DATA, unknown management type */
	DISP_MGMT,	/* BEGIN_REQUEST or GET_VALUES body: assembled */
	DISP_PARAMS,	/* appended to the parameter buffer */
	DISP_STDIN,	/* handed to the caller chunk by chunk */
	DISP_ABORT	/* skipped; the event comes at its end */
};

static const struct {
	const char	*name;
	size_t		 len;
} known_values[] = {
	{ "FCGI_MAX_CONNS", 14 },
	{ "FCGI_MAX_REQS", 13 },
	{ "FCGI_MPXS_CONNS", 15 },
};

static void
put_header(unsigned char *p, unsigned type, unsigned id, size_t clen,
    unsigned plen)
{
	p[0] = FCGI_VERSION_1;
	p[1] = (unsigned char)type;
	p[2] = (unsigned char)(id >> 8);
	p[3] = (unsigned char)id;
	p[4] = (unsigned char)(clen >> 8);
	p[5] = (unsigned char)clen;
	p[6] = (unsigned char)plen;
	p[7] = 0;
}

static void
emit_end(struct fcgi_out *o, unsigned id, unsigned ps)
{
	o->len += fcgi_build_end(o->p + o->len, o->cap - o->len, id, ps);
}

static void
emit_unknown_type(struct fcgi_out *o, unsigned type)
{
	unsigned char *p = o->p + o->len;

	put_header(p, FCGI_UNKNOWN_TYPE, 0, 8, 0);
	memset(p + FCGI_HEADER_LEN, 0, 8);
	p[FCGI_HEADER_LEN] = (unsigned char)type;
	o->len += FCGI_HEADER_LEN + 8;
}

/*
 * Reads one name-value length (1 byte below 0x80, else 4 bytes with the
 * top bit cleared) at *off of p (n bytes). Returns 0, or -1 if it runs
 * past n.
 */
static int
nv_len(const unsigned char *p, size_t n, size_t *off, size_t *len)
{
	if (*off >= n)
		return -1;
	if (p[*off] < 0x80) {
		*len = p[*off];
		*off += 1;
		return 0;
	}
	if (n - *off < 4)
		return -1;
	*len = ((size_t)(p[*off] & 0x7f) << 24) | ((size_t)p[*off + 1] << 16) |
	    ((size_t)p[*off + 2] << 8) | (size_t)p[*off + 3];
	*off += 4;
	return 0;
}

/*
 * Answers a GET_VALUES query (c->mgmt) with each known name at most once,
 * so the answer stays under FCGI_MGMT_REPLY_MAX whatever was asked.
 * Returns 0, or -1 if the query is badly encoded.
 */
static int
get_values(struct fcgi_conn *c, struct fcgi_out *o)
{
	unsigned char *rec = o->p + o->len, *w = rec + FCGI_HEADER_LEN;
	unsigned answered = 0;
	size_t off = 0, nl, vl, k;
	char val[16];
	int vn;

	while (off < c->mgmt_n) {
		if (nv_len(c->mgmt, c->mgmt_n, &off, &nl) != 0 ||
		    nv_len(c->mgmt, c->mgmt_n, &off, &vl) != 0 ||
		    nl > c->mgmt_n - off || vl > c->mgmt_n - off - nl)
			return -1;
		for (k = 0; k < sizeof(known_values) /
		    sizeof(known_values[0]); k++) {
			if (nl != known_values[k].len || memcmp(c->mgmt + off,
			    known_values[k].name, nl) != 0 ||
			    (answered & (1u << k)))
				continue;
			answered |= 1u << k;
			vn = snprintf(val, sizeof(val), "%u", k == 0 ?
			    c->max_conns : k == 1 ? c->max_reqs : 0u);
			if (vn <= 0 || (size_t)vn >= sizeof(val))
				return -1;
			*w++ = (unsigned char)nl;
			*w++ = (unsigned char)vn;
			memcpy(w, known_values[k].name, nl);
			w += nl;
			memcpy(w, val, (size_t)vn);
			w += vn;
		}
		off += nl + vl;
	}
	put_header(rec, FCGI_GET_VALUES_RESULT, 0,
	    (size_t)(w - rec) - FCGI_HEADER_LEN, 0);
	o->len += (size_t)(w - rec);
	return 0;
}

/*
 * Turns the raw parameter stream in pbuf into name\0value\0 pairs, in
 * place: each pair's length prefix is at least two bytes, as long as the
 * two NULs that replace it, so the write position never passes the read
 * position.
 */
static enum fcgi_params_status
params_finish(struct fcgi_conn *c)
{
	unsigned char *raw = (unsigned char *)c->pbuf;
	size_t r = 0, w = 0, n = c->plen_raw, nl, vl;

	while (r < n) {
		if (nv_len(raw, n, &r, &nl) != 0 ||
		    nv_len(raw, n, &r, &vl) != 0)
			return FCGI_P_TRUNCATED;
		if (nl > FCGI_MAX_PARAM_NAME)
			return FCGI_P_NAME_TOO_LONG;
		if (vl > FCGI_MAX_PARAM_VALUE)
			return FCGI_P_VALUE_TOO_LONG;
		if (nl > n - r || vl > n - r - nl)
			return FCGI_P_TRUNCATED;
		if (memchr(raw + r, '\0', nl) != NULL ||
		    memchr(raw + r + nl, '\0', vl) != NULL)
			return FCGI_P_NUL;
		memmove(raw + w, raw + r, nl);
		w += nl;
		raw[w++] = '\0';
		memmove(raw + w, raw + r + nl, vl);
		w += vl;
		raw[w++] = '\0';
		r += nl + vl;
	}
	c->pblock = w;
	return FCGI_P_OK;
}

static enum fcgi_event
fail(struct fcgi_conn *c, enum fcgi_error e)
{
	c->error = e;
	return FCGI_EV_ERROR;
}

/*
 * A header is complete: decides what its content is for. Returns an
 * event when the record needs no content to produce one, else
 * FCGI_EV_MORE.
 */
static enum fcgi_event
on_header(struct fcgi_conn *c, struct fcgi_out *o, enum disp *d)
{
	int active = c->req_id != 0 && c->id == c->req_id;

	*d = DISP_SKIP;
	if (c->hdr[0] != FCGI_VERSION_1)
		return fail(c, FCGI_E_VERSION);
	if (c->id == 0) {
		if (c->type != FCGI_GET_VALUES) {
			emit_unknown_type(o, c->type);
			return FCGI_EV_MORE;
		}
		if (c->clen > FCGI_MAX_MGMT_BODY)
			return fail(c, FCGI_E_MGMT);
		*d = DISP_MGMT;
		return FCGI_EV_MORE;
	}
	switch (c->type) {
	case FCGI_BEGIN_REQUEST:
		if (c->clen != 8)
			return fail(c, FCGI_E_BEGIN);
		*d = DISP_MGMT;
		return FCGI_EV_MORE;
	case FCGI_ABORT_REQUEST:
		if (active)
			*d = DISP_ABORT;
		return FCGI_EV_MORE;
	case FCGI_PARAMS:
		if (!active)
			return FCGI_EV_MORE;
		if (c->params_done)
			return fail(c, FCGI_E_ORDER);
		if (c->clen > 0) {
			*d = DISP_PARAMS;
			return FCGI_EV_MORE;
		}
		c->params_done = 1;
		if (c->params_status == FCGI_P_OK)
			c->params_status = params_finish(c);
		return FCGI_EV_PARAMS;
	case FCGI_STDIN:
		if (!active)
			return FCGI_EV_MORE;
		if (!c->params_done || c->stdin_done)
			return fail(c, FCGI_E_ORDER);
		if (c->clen > 0) {
			*d = DISP_STDIN;
			return FCGI_EV_MORE;
		}
		c->stdin_done = 1;
		return FCGI_EV_STDIN_END;
	case FCGI_DATA:
		return FCGI_EV_MORE;	/* FILTER only, which is refused */
	default:
		return fail(c, FCGI_E_TYPE);
	}
}

/* A BEGIN_REQUEST or GET_VALUES body is complete. */
static enum fcgi_event
on_mgmt(struct fcgi_conn *c, struct fcgi_out *o)
{
	unsigned role;
	int keep;

	if (c->id == 0)
		return get_values(c, o) == 0 ? FCGI_EV_MORE :
		    fail(c, FCGI_E_MGMT);
	role = (unsigned)c->mgmt[0] << 8 | c->mgmt[1];
	keep = (c->mgmt[2] & FCGI_KEEP_CONN) != 0;
	if (c->req_id != 0) {
		if (c->id == c->req_id)
			return fail(c, FCGI_E_BEGIN);
		emit_end(o, c->id, FCGI_CANT_MPX_CONN);
		return FCGI_EV_MORE;
	}
	if (role != FCGI_RESPONDER && role != FCGI_AUTHORIZER) {
		emit_end(o, c->id, FCGI_UNKNOWN_ROLE);
		return keep ? FCGI_EV_MORE : FCGI_EV_CLOSE;
	}
	fcgi_request_done(c);	/* a clean request state */
	c->req_id = c->id;
	c->role = role;
	c->keep_conn = keep;
	return FCGI_EV_BEGIN;
}

void
fcgi_conn_init(struct fcgi_conn *c, unsigned max_conns, unsigned max_reqs)
{
	memset(c, 0, sizeof(*c));
	c->max_conns = max_conns;
	c->max_reqs = max_reqs;
}

void
fcgi_set_params_buf(struct fcgi_conn *c, char *buf, size_t cap)
{
	c->pbuf = buf;
	c->pcap = buf != NULL ? cap : 0;
}

enum fcgi_event
fcgi_feed(struct fcgi_conn *c, const unsigned char *in, size_t n,
    size_t *used, struct fcgi_out *o, const unsigned char **data,
    size_t *data_n)
{
	enum fcgi_event ev = FCGI_EV_MORE;
	size_t off = 0, k, limit;

	*used = 0;
	*data = NULL;
	*data_n = 0;
	if (c->error != FCGI_E_NONE)
		return FCGI_EV_ERROR;
	while (off < n) {
		enum disp d;

		if (o->cap - o->len < FCGI_MGMT_REPLY_MAX) {
			ev = FCGI_EV_OUT;
			break;
		}
		if (!c->in_record) {
			k = FCGI_HEADER_LEN - c->hdr_n;
			if (k > n - off)
				k = n - off;
			memcpy(c->hdr + c->hdr_n, in + off, k);
			c->hdr_n += k;
			off += k;
			if (c->hdr_n < FCGI_HEADER_LEN)
				break;
			c->hdr_n = 0;
			c->in_record = 1;
			c->type = c->hdr[1];
			c->id = (unsigned)c->hdr[2] << 8 | c->hdr[3];
			c->clen = (size_t)c->hdr[4] << 8 | c->hdr[5];
			c->plen = c->hdr[6];
			c->mgmt_n = 0;
			ev = on_header(c, o, &d);
			c->disp = d;
			if (ev == FCGI_EV_ERROR)
				break;
			if (c->clen == 0 && d == DISP_ABORT)
				ev = FCGI_EV_ABORT;
			else if (c->clen == 0 && d == DISP_MGMT)
				ev = on_mgmt(c, o);
			if (c->clen == 0 && c->plen == 0)
				c->in_record = 0;
			if (ev != FCGI_EV_MORE)
				break;
			continue;
		}
		d = (enum disp)c->disp;
		if (c->clen > 0) {
			k = c->clen < n - off ? c->clen : n - off;
			switch (d) {
			case DISP_MGMT:
				memcpy(c->mgmt + c->mgmt_n, in + off, k);
				c->mgmt_n += k;
				break;
			case DISP_PARAMS:
				limit = c->pcap < FCGI_MAX_PARAMS_BYTES ?
				    c->pcap : FCGI_MAX_PARAMS_BYTES;
				if (c->params_status == FCGI_P_OK &&
				    k <= limit - c->plen_raw) {
					memcpy(c->pbuf + c->plen_raw, in + off,
					    k);
					c->plen_raw += k;
				} else {
					c->params_status = FCGI_P_TOO_LARGE;
				}
				break;
			case DISP_STDIN:
				*data = in + off;
				*data_n = k;
				ev = FCGI_EV_STDIN;
				break;
			default:
				break;
			}
			off += k;
			c->clen -= k;
			if (c->clen == 0 && d == DISP_MGMT)
				ev = on_mgmt(c, o);
			else if (c->clen == 0 && d == DISP_ABORT)
				ev = FCGI_EV_ABORT;
			if (c->clen == 0 && c->plen == 0)
				c->in_record = 0;
			if (ev != FCGI_EV_MORE)
				break;
			continue;
		}
		k = c->plen < n - off ? c->plen : n - off;
		off += k;
		c->plen -= k;
		if (c->plen == 0)
			c->in_record = 0;
	}
	*used = off;
	return ev;
}

void
fcgi_request_done(struct fcgi_conn *c)
{
	c->req_id = 0;
	c->role = 0;
	c->keep_conn = 0;
	c->params_done = 0;
	c->stdin_done = 0;
	c->pbuf = NULL;
	c->pcap = 0;
	c->plen_raw = 0;
	c->pblock = 0;
	c->params_status = FCGI_P_OK;
}

const char *
fcgi_role_name(unsigned role)
{
	switch (role) {
	case FCGI_RESPONDER:
		return "RESPONDER";
	case FCGI_AUTHORIZER:
		return "AUTHORIZER";
	case FCGI_FILTER:
		return "FILTER";
	default:
		return NULL;
	}
}

const char *
fcgi_params_find(const char *block, size_t len, unsigned role,
    const char *name)
{
	size_t off = 0, want = strlen(name);
	const char *nend, *vend;

	if (strcmp(name, "FCGI_ROLE") == 0)
		return fcgi_role_name(role);
	while (off < len) {
		if ((nend = memchr(block + off, '\0', len - off)) == NULL)
			return NULL;
		if ((vend = memchr(nend + 1, '\0', len - (size_t)(nend + 1 -
		    block))) == NULL)
			return NULL;
		if ((size_t)(nend - (block + off)) == want &&
		    memcmp(block + off, name, want) == 0)
			return nend + 1;
		off = (size_t)(vend + 1 - block);
	}
	return NULL;
}

const char *
fcgi_param(const struct fcgi_conn *c, const char *name)
{
	if (c->req_id == 0 || !c->params_done ||
	    c->params_status != FCGI_P_OK)
		return NULL;
	return fcgi_params_find(c->pbuf != NULL ? c->pbuf : "", c->pblock,
	    c->role, name);
}

size_t
fcgi_reply_size(size_t n)
{
	size_t records = n / FCGI_MAX_CONTENT + (n % FCGI_MAX_CONTENT != 0);

	return n + records * FCGI_HEADER_LEN + FCGI_HEADER_LEN + FCGI_END_LEN;
}

size_t
fcgi_build_reply(unsigned char *out, size_t outsz, unsigned id,
    const char *data, size_t n)
{
	size_t w = 0, k, need = fcgi_reply_size(n);

	if (id == 0 || id > 0xffff || outsz < need)
		return 0;
	while (n > 0) {
		k = n < FCGI_MAX_CONTENT ? n : FCGI_MAX_CONTENT;
		put_header(out + w, FCGI_STDOUT, id, k, 0);
		memcpy(out + w + FCGI_HEADER_LEN, data, k);
		w += FCGI_HEADER_LEN + k;
		data += k;
		n -= k;
	}
	put_header(out + w, FCGI_STDOUT, id, 0, 0);
	w += FCGI_HEADER_LEN;
	w += fcgi_build_end(out + w, outsz - w, id, FCGI_REQUEST_COMPLETE);
	return w;
}

size_t
fcgi_build_end(unsigned char *out, size_t outsz, unsigned id, unsigned ps)
{
	if (outsz < FCGI_END_LEN || id > 0xffff)
		return 0;
	put_header(out, FCGI_END_REQUEST, id, 8, 0);
	memset(out + FCGI_HEADER_LEN, 0, 8);	/* appStatus 0 */
	out[FCGI_HEADER_LEN + 4] = (unsigned char)ps;
	return FCGI_END_LEN;
}

const char *
fcgi_error_name(enum fcgi_error e)
{
	switch (e) {
	case FCGI_E_NONE:
		return "none";
	case FCGI_E_VERSION:
		return "bad_version";
	case FCGI_E_TYPE:
		return "bad_type";
	case FCGI_E_BEGIN:
		return "bad_begin";
	case FCGI_E_ORDER:
		return "bad_order";
	case FCGI_E_MGMT:
		return "bad_management";
	}
	return "unknown";
}

const char *
fcgi_params_status_name(enum fcgi_params_status s)
{
	switch (s) {
	case FCGI_P_OK:
		return "ok";
	case FCGI_P_TOO_LARGE:
		return "params_too_large";
	case FCGI_P_NAME_TOO_LONG:
		return "param_name_too_long";
	case FCGI_P_VALUE_TOO_LONG:
		return "param_value_too_long";
	case FCGI_P_NUL:
		return "param_nul";
	case FCGI_P_TRUNCATED:
		return "params_truncated";
	}
	return "unknown";
}
