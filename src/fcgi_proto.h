/*
 * fcgi_proto.h - the FastCGI 1.0 wire protocol as a pure, incremental
 * codec for `authgate serve`: records in, events and management answers
 * out, reply records built into caller buffers.
 *
 * No I/O and no allocation: the caller owns every buffer (the connection
 * state, the parameter buffer, the output buffer). Every byte from the
 * peer is hostile: each length is checked against the record, the limits
 * below and the caller's buffer before it is used. One request at a time
 * per connection (FCGI_MPXS_CONNS is 0): a second request id gets
 * END_REQUEST with FCGI_CANT_MPX_CONN.
 */
#ifndef AUTHGATE_FCGI_PROTO_H
#define AUTHGATE_FCGI_PROTO_H

#include <stddef.h>
#include <stdint.h>

#define FCGI_HEADER_LEN		8
#define FCGI_VERSION_1		1
#define FCGI_MAX_CONTENT	65535	/* contentLength is 16 bits */

/* Record types. */
#define FCGI_BEGIN_REQUEST	1
#define FCGI_ABORT_REQUEST	2
#define FCGI_END_REQUEST	3
#define FCGI_PARAMS		4
#define FCGI_STDIN		5
#define FCGI_STDOUT		6
#define FCGI_STDERR		7
#define FCGI_DATA		8
#define FCGI_GET_VALUES		9
#define FCGI_GET_VALUES_RESULT	10
#define FCGI_UNKNOWN_TYPE	11

/* Roles, the BEGIN_REQUEST flag, END_REQUEST protocol statuses. */
#define FCGI_RESPONDER		1
#define FCGI_AUTHORIZER		2
#define FCGI_FILTER		3
#define FCGI_KEEP_CONN		1
#define FCGI_REQUEST_COMPLETE	0
#define FCGI_CANT_MPX_CONN	1
#define FCGI_OVERLOADED		2
#define FCGI_UNKNOWN_ROLE	3

/*
 * Limits. A web server sends a request's headers as parameters (HTTP_*
 * plus twenty-odd server variables), so they bound what one request may
 * make us hold; anything over them is refused, never passed.
 */
#define FCGI_MAX_PARAMS_BYTES	65536	/* nginx's default header buffers
					 * hold 32 KiB (4 x 8k); twice that
					 * for HTTP_ names and server vars */
#define FCGI_MAX_PARAM_NAME	1024	/* header names are tens of bytes;
					 * nginx and Apache cap a whole
					 * header line at 8 KiB */
#define FCGI_MAX_PARAM_VALUE	32768	/* four 8 KiB header lines; Caddy
					 * allows longer ones: refused (400) */
#define FCGI_MAX_MGMT_BODY	1024	/* GET_VALUES asks for three short
					 * names; a longer query is no
					 * web server's */
#define FCGI_MGMT_REPLY_MAX	128	/* out room for one management
					 * answer (GET_VALUES_RESULT with
					 * each name once: < 100 bytes) */
#define FCGI_END_LEN		(FCGI_HEADER_LEN + 8)	/* END_REQUEST */

/* What one fcgi_feed call stopped at. */
enum fcgi_event {
	FCGI_EV_MORE = 0,	/* all input consumed: feed more */
	FCGI_EV_OUT,		/* out has < FCGI_MGMT_REPLY_MAX free: flush */
	FCGI_EV_BEGIN,		/* a request became active (deadlines start) */
	FCGI_EV_PARAMS,		/* its parameters are complete: see
				 * params_status, then fcgi_param */
	FCGI_EV_STDIN,		/* a chunk of its stdin: *data, *data_n */
	FCGI_EV_STDIN_END,	/* its stdin ended (an empty STDIN record) */
	FCGI_EV_ABORT,		/* the server aborted it: end it now */
	FCGI_EV_CLOSE,		/* the codec refused a request (unknown role)
				 * that did not ask to keep the connection:
				 * flush out, then close */
	FCGI_EV_ERROR		/* protocol error (see error): close now */
};

enum fcgi_error {
	FCGI_E_NONE = 0,
	FCGI_E_VERSION,		/* version byte is not 1 */
	FCGI_E_TYPE,		/* a record type no web server sends */
	FCGI_E_BEGIN,		/* BEGIN_REQUEST body is not 8 bytes, or
				 * names the request already active */
	FCGI_E_ORDER,		/* PARAMS after their end, STDIN before the
				 * parameters ended or after stdin ended */
	FCGI_E_MGMT		/* GET_VALUES over FCGI_MAX_MGMT_BODY or
				 * badly encoded */
};

enum fcgi_params_status {
	FCGI_P_OK = 0,
	FCGI_P_TOO_LARGE,	/* over FCGI_MAX_PARAMS_BYTES (or the buffer) */
	FCGI_P_NAME_TOO_LONG,	/* a name over FCGI_MAX_PARAM_NAME */
	FCGI_P_VALUE_TOO_LONG,	/* a value over FCGI_MAX_PARAM_VALUE */
	FCGI_P_NUL,		/* a NUL byte in a name or value */
	FCGI_P_TRUNCATED	/* a pair runs past the end of the stream */
};

/* A caller-owned output buffer; the codec appends at len. */
struct fcgi_out {
	unsigned char	*p;
	size_t		 cap;
	size_t		 len;
};

/* One connection's protocol state. Plain data: fcgi_conn_init sets it. */
struct fcgi_conn {
	/* the record being read */
	unsigned char	 hdr[FCGI_HEADER_LEN];
	size_t		 hdr_n;
	unsigned	 type;
	unsigned	 id;
	size_t		 clen;		/* content bytes still to come */
	size_t		 plen;		/* padding bytes still to come */
	int		 in_record;	/* header complete */
	int		 disp;		/* what its content is for */
	unsigned char	 mgmt[FCGI_MAX_MGMT_BODY];	/* BEGIN, GET_VALUES */
	size_t		 mgmt_n;
	/* the active request; req_id 0: none */
	unsigned	 req_id;
	unsigned	 role;
	int		 keep_conn;
	int		 params_done;
	int		 stdin_done;
	/* its parameters: a caller buffer, raw stream, then name\0value\0 */
	char		*pbuf;
	size_t		 pcap;
	size_t		 plen_raw;	/* bytes of the stream seen */
	size_t		 pblock;	/* after FCGI_EV_PARAMS: block length */
	enum fcgi_params_status params_status;
	/* answers to GET_VALUES */
	unsigned	 max_conns;
	unsigned	 max_reqs;
	enum fcgi_error	 error;
};

/*
 * Clears c for a new connection. max_conns and max_reqs are what
 * GET_VALUES answers for FCGI_MAX_CONNS and FCGI_MAX_REQS.
 */
void	fcgi_conn_init(struct fcgi_conn *c, unsigned max_conns,
	    unsigned max_reqs);

/*
 * Hands c the buffer for the active request's parameters (call it on
 * FCGI_EV_BEGIN; cap is best FCGI_MAX_PARAMS_BYTES, the limit is the
 * smaller of the two). The caller keeps ownership; without a buffer every
 * parameter byte counts as over the limit.
 */
void	fcgi_set_params_buf(struct fcgi_conn *c, char *buf, size_t cap);

/*
 * Consumes bytes of in (n of them) until an event; *used says how many
 * (the caller feeds the rest next time). Management answers (GET_VALUES_
 * RESULT, UNKNOWN_TYPE, END_REQUEST for a refused request) are appended to
 * o; feed stops with FCGI_EV_OUT before it would need more room than o has
 * free. For FCGI_EV_STDIN, *data and *data_n point into in.
 */
enum fcgi_event	fcgi_feed(struct fcgi_conn *c, const unsigned char *in,
	    size_t n, size_t *used, struct fcgi_out *o,
	    const unsigned char **data, size_t *data_n);

/*
 * Marks the active request finished (the caller has queued its
 * END_REQUEST): its id becomes inactive, later records for it are
 * ignored, and the parameter buffer is forgotten (not freed).
 */
void	fcgi_request_done(struct fcgi_conn *c);

/*
 * The value of parameter name of the active request, or NULL. Valid from
 * FCGI_EV_PARAMS with params_status FCGI_P_OK until fcgi_request_done.
 * FCGI_ROLE comes from BEGIN_REQUEST, as libfcgi makes it, whatever the
 * server sent under that name.
 */
const char	*fcgi_param(const struct fcgi_conn *c, const char *name);

/*
 * Looks up name in a finished parameter block (name\0value\0..., len
 * bytes), with FCGI_ROLE answered by role (a FCGI_* role). NULL if absent.
 */
const char	*fcgi_params_find(const char *block, size_t len, unsigned role,
	    const char *name);

/* "RESPONDER", "AUTHORIZER", "FILTER", or NULL. */
const char	*fcgi_role_name(unsigned role);

/* Bytes fcgi_build_reply needs for a reply of n bytes. */
size_t	fcgi_reply_size(size_t n);

/*
 * Writes data (n bytes) as STDOUT records of at most FCGI_MAX_CONTENT,
 * the empty STDOUT record that ends the stream, and END_REQUEST
 * (appStatus 0, FCGI_REQUEST_COMPLETE) for request id into out.
 * Returns the length, or 0 if outsz is smaller than fcgi_reply_size(n).
 */
size_t	fcgi_build_reply(unsigned char *out, size_t outsz, unsigned id,
	    const char *data, size_t n);

/*
 * Writes one END_REQUEST record (appStatus 0, protocol status ps) into
 * out. Returns FCGI_END_LEN, or 0 if outsz is too small.
 */
size_t	fcgi_build_end(unsigned char *out, size_t outsz, unsigned id,
	    unsigned ps);

/* Stable names for logs. */
const char	*fcgi_error_name(enum fcgi_error e);
const char	*fcgi_params_status_name(enum fcgi_params_status s);

#endif
