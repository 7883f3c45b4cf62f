/*
 * test_fcgi_proto.c - unit tests for src/fcgi_proto.c, the FastCGI codec
 * of `authgate serve`.
 *
 * Each case is one line: the records a peer sends, written in a small
 * notation, and the trace of events and management answers the codec
 * must produce. Every case runs twice, fed whole and fed one byte at a
 * time; both must give the same trace (stdin chunks are summed). Every
 * limit is tried at N-1, N and N+1. Case ids are stable: a new case gets
 * a new id, an id never changes meaning.
 *
 * Notation (tokens separated by blanks; a token may end in +N, N padding
 * bytes):
 *   B<id>:<role>:<flags>   BEGIN_REQUEST
 *   P<id>:n=v,n=v          PARAMS record with these pairs; "P1:" ends them.
 *                          n or v "@N": N bytes of 'x'; a leading "!" on a
 *                          pair writes both lengths in the 4-byte form
 *   I<id>:text             STDIN record; "I1:" ends stdin
 *   A<id>                  ABORT_REQUEST
 *   G:n,n                  GET_VALUES (id 0) asking for these names
 *   R<type>:<id>:<hex>     any record with this content
 *   H<hex>                 raw bytes
 * Trace: begin, params(<status>) followed by [NAME=value] for each name
 * the case looks up, stdin(<bytes>), stdin_end, abort, close,
 * error(<name>), and the records found in out: end(<id>,<status>),
 * unknown(<type>), values(<n=v;...>). The runner ends the active request
 * after stdin_end and abort, as the server does once it has answered.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fcgi_proto.h"
#include "harness.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))
#define MAX_INPUT	(4 * 65536)

static unsigned char input[MAX_INPUT];
static size_t input_n;
static char params_buf[FCGI_MAX_PARAMS_BYTES];
static char trace[8192];

static void
put(const void *p, size_t n)
{
	if (input_n + n > sizeof(input)) {
		fprintf(stderr, "test input too long\n");
		exit(2);
	}
	memcpy(input + input_n, p, n);
	input_n += n;
}

static void
record(unsigned type, unsigned id, const unsigned char *c, size_t n,
    unsigned pad)
{
	unsigned char h[8] = { 1, (unsigned char)type, (unsigned char)(id >> 8),
	    (unsigned char)id, (unsigned char)(n >> 8), (unsigned char)n,
	    (unsigned char)pad, 0 };
	static const unsigned char zeros[256];

	put(h, 8);
	put(c, n);
	put(zeros, pad);
}

static size_t
put_len(unsigned char *w, size_t len, int four)
{
	if (len < 128 && !four) {
		w[0] = (unsigned char)len;
		return 1;
	}
	w[0] = (unsigned char)(0x80 | (len >> 24));
	w[1] = (unsigned char)(len >> 16);
	w[2] = (unsigned char)(len >> 8);
	w[3] = (unsigned char)len;
	return 4;
}

/* "@N" is N bytes of 'x'; anything else is itself. */
static size_t
expand(const char *s, size_t n, unsigned char *out)
{
	size_t k;

	if (n > 1 && s[0] == '@') {
		k = strtoul(s + 1, NULL, 10);
		memset(out, 'x', k);
		return k;
	}
	memcpy(out, s, n);
	return n;
}

/* Encodes "n=v,n=v" (up to end) as name-value pairs into out. */
static size_t
pairs(const char *s, const char *end, unsigned char *out, int values)
{
	static unsigned char name[70000], val[70000];
	size_t w = 0, nn, vn;

	while (s < end) {
		const char *comma = memchr(s, ',', (size_t)(end - s));
		const char *pe = comma ? comma : end, *eq;
		int four = *s == '!';

		if (four)
			s++;
		eq = values ? memchr(s, '=', (size_t)(pe - s)) : NULL;
		nn = expand(s, (size_t)((eq ? eq : pe) - s), name);
		vn = eq ? expand(eq + 1, (size_t)(pe - eq - 1), val) : 0;
		w += put_len(out + w, nn, four);
		w += put_len(out + w, vn, four);
		memcpy(out + w, name, nn);
		w += nn;
		memcpy(out + w, val, vn);
		w += vn;
		s = comma ? comma + 1 : end;
	}
	return w;
}

static size_t
unhex(const char *s, size_t n, unsigned char *out)
{
	size_t i;
	unsigned v;

	for (i = 0; i + 1 < n; i += 2) {
		sscanf(s + i, "%2x", &v);
		out[i / 2] = (unsigned char)v;
	}
	return n / 2;
}

/* Builds input from the notation. */
static void
build(const char *script)
{
	static unsigned char c[140000];
	const char *s = script;

	input_n = 0;
	while (*s != '\0') {
		const char *e = strchr(s, ' '), *plus, *colon;
		unsigned pad = 0, id = 0, type = 0, role, flags;
		size_t n = 0;

		if (e == NULL)
			e = s + strlen(s);
		plus = memchr(s, '+', (size_t)(e - s));
		if (plus != NULL && s[0] != 'H') {
			pad = (unsigned)strtoul(plus + 1, NULL, 10);
			e = plus;
		}
		colon = memchr(s, ':', (size_t)(e - s));
		switch (s[0]) {
		case 'B':
			sscanf(s + 1, "%u:%u:%u", &id, &role, &flags);
			c[0] = (unsigned char)(role >> 8);
			c[1] = (unsigned char)role;
			c[2] = (unsigned char)flags;
			memset(c + 3, 0, 5);
			record(FCGI_BEGIN_REQUEST, id, c, 8, pad);
			break;
		case 'P':
		case 'I':
			id = (unsigned)strtoul(s + 1, NULL, 10);
			if (s[0] == 'P')
				n = pairs(colon + 1, e, c, 1);
			else
				n = expand(colon + 1, (size_t)(e - colon - 1),
				    c);
			record(s[0] == 'P' ? FCGI_PARAMS : FCGI_STDIN, id, c, n,
			    pad);
			break;
		case 'A':
			id = (unsigned)strtoul(s + 1, NULL, 10);
			record(FCGI_ABORT_REQUEST, id, c, 0, pad);
			break;
		case 'G':
			n = pairs(colon + 1, e, c, 0);
			record(FCGI_GET_VALUES, 0, c, n, pad);
			break;
		case 'R':
			sscanf(s + 1, "%u:%u", &type, &id);
			colon = strchr(colon + 1, ':');
			n = unhex(colon + 1, (size_t)(e - colon - 1), c);
			record(type, id, c, n, pad);
			break;
		case 'H':
			n = unhex(s + 1, (size_t)(e - s - 1), c);
			put(c, n);
			break;
		default:
			fprintf(stderr, "bad script token %s\n", s);
			exit(2);
		}
		s = *e == '\0' ? e : e + 1;
		while (*s == ' ' || *s == '+' || (*s >= '0' && *s <= '9'))
			s++;
	}
}

static void add(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
add(const char *fmt, ...)
{
	size_t l = strlen(trace);
	va_list ap;

	if (l > 0 && l < sizeof(trace) - 1)
		trace[l++] = ' ';
	va_start(ap, fmt);
	vsnprintf(trace + l, sizeof(trace) - l, fmt, ap);
	va_end(ap);
}

/* Appends the records in out[from..len) to the trace. */
static void
decode_out(const unsigned char *o, size_t from, size_t len)
{
	char vals[512];
	size_t p = from, clen, off, vl, nl;

	while (p + 8 <= len) {
		const unsigned char *c = o + p + 8;
		unsigned id = (unsigned)o[p + 2] << 8 | o[p + 3];

		clen = (size_t)o[p + 4] << 8 | o[p + 5];
		switch (o[p + 1]) {
		case FCGI_END_REQUEST:
			add("end(%u,%u)", id, c[4]);
			break;
		case FCGI_UNKNOWN_TYPE:
			add("unknown(%u)", c[0]);
			break;
		case FCGI_GET_VALUES_RESULT:
			vals[0] = '\0';
			for (off = 0; off < clen; off += nl + vl) {
				nl = c[off];
				vl = c[off + 1];
				off += 2;
				snprintf(vals + strlen(vals), sizeof(vals) -
				    strlen(vals), "%s%.*s=%.*s", vals[0] ?
				    ";" : "", (int)nl, (const char *)c + off,
				    (int)vl, (const char *)c + off + nl);
			}
			add("values(%s)", vals);
			break;
		default:
			add("record(%u)", o[p + 1]);
			break;
		}
		p += 8 + clen + o[p + 6];
	}
}

/*
 * Feeds input in steps of step bytes (0: all at once), looking up the
 * comma-separated names in look at each params event. Fills trace.
 */
static void
run(size_t step, const char *look)
{
	static unsigned char obuf[4096];
	struct fcgi_out o = { obuf, sizeof(obuf), 0 };
	struct fcgi_conn c;
	const unsigned char *data;
	size_t off = 0, used, dn, stdin_n = 0, end, prev, ln;
	enum fcgi_event ev;
	const char *l, *cm, *v;
	char name[64];

	trace[0] = '\0';
	fcgi_conn_init(&c, 512, 512);
	while (off < input_n) {
		end = step == 0 || input_n - off < step ? input_n : off + step;
		prev = o.len;
		ev = fcgi_feed(&c, input + off, end - off, &used, &o, &data,
		    &dn);
		off += used;
		if (ev != FCGI_EV_STDIN && ev != FCGI_EV_MORE && stdin_n > 0) {
			add("stdin(%zu)", stdin_n);
			stdin_n = 0;
		}
		decode_out(o.p, prev, o.len);
		if (o.len > sizeof(obuf) / 2)
			o.len = 0;	/* "flushed" */
		switch (ev) {
		case FCGI_EV_MORE:
			break;
		case FCGI_EV_OUT:
			add("out");
			return;
		case FCGI_EV_BEGIN:
			add("begin");
			fcgi_set_params_buf(&c, params_buf, sizeof(params_buf));
			break;
		case FCGI_EV_PARAMS:
			add("params(%s)", fcgi_params_status_name(
			    c.params_status));
			for (l = look; l != NULL && *l != '\0'; ) {
				cm = strchr(l, ',');
				ln = cm ? (size_t)(cm - l) : strlen(l);
				snprintf(name, sizeof(name), "%.*s", (int)ln, l);
				v = fcgi_param(&c, name);
				if (v != NULL && strlen(v) > 40)
					add("[%s=len%zu]", name, strlen(v));
				else
					add("[%s=%s]", name, v ? v : "(null)");
				l = cm ? cm + 1 : l + ln;
			}
			break;
		case FCGI_EV_STDIN:
			stdin_n += dn;
			break;
		case FCGI_EV_STDIN_END:
			add("stdin_end");
			fcgi_request_done(&c);
			break;
		case FCGI_EV_ABORT:
			add("abort");
			fcgi_request_done(&c);
			break;
		case FCGI_EV_CLOSE:
			add("close");
			return;
		case FCGI_EV_ERROR:
			add("error(%s)", fcgi_error_name(c.error));
			return;
		}
	}
	if (stdin_n > 0)
		add("stdin(%zu)", stdin_n);
}

static const struct {
	const char	*id;
	const char	*script;
	const char	*look;
	const char	*want;
} cases[] = {
	/* a request as nginx sends it, and the keep-conn flag */
	{ "fp-001", "B1:1:0 P1:REQUEST_URI=/a,REQUEST_METHOD=GET P1: I1:",
	  "REQUEST_URI,REQUEST_METHOD,FCGI_ROLE,NOPE",
	  "begin params(ok) [REQUEST_URI=/a] [REQUEST_METHOD=GET]"
	  " [FCGI_ROLE=RESPONDER] [NOPE=(null)] stdin_end" },
	{ "fp-002", "B1:2:1 P1:A=1 P1: I1:", "FCGI_ROLE",
	  "begin params(ok) [FCGI_ROLE=AUTHORIZER] stdin_end" },
	/* FCGI_ROLE comes from BEGIN_REQUEST, not from a parameter */
	{ "fp-003", "B1:1:0 P1:FCGI_ROLE=AUTHORIZER P1:", "FCGI_ROLE",
	  "begin params(ok) [FCGI_ROLE=RESPONDER]" },
	/* duplicate names: the first wins (as libfcgi) */
	{ "fp-004", "B1:1:0 P1:A=first,A=second P1:", "A",
	  "begin params(ok) [A=first]" },
	/* pairs split over records, 4-byte lengths, empty values */
	{ "fp-005", "B1:1:0 P1:A=1 P1:!B=2,C= P1:", "A,B,C",
	  "begin params(ok) [A=1] [B=2] [C=]" },
	{ "fp-006", "B1:1:0 R4:1:0103 R4:1:41 R4:1:787979 P1:", "A",
	  "begin params(ok) [A=xyy]" },
	{ "fp-007", "B1:1:0 P1:", "A", "begin params(ok) [A=(null)]" },
	/* padding anywhere */
	{ "fp-008", "B1:1:0+7 P1:A=1+255 P1:+1 I1:ab+3 I1:+8", "A",
	  "begin params(ok) [A=1] stdin(2) stdin_end" },
	/* stdin arrives in chunks, then ends */
	{ "fp-009", "B1:1:0 P1: I1:hello I1:world I1:", NULL,
	  "begin params(ok) stdin(10) stdin_end" },
	/* version */
	{ "fp-010", "H0001000100080000", NULL, "error(bad_version)" },
	{ "fp-011", "H0201000100080000", NULL, "error(bad_version)" },
	{ "fp-012", "Hffffffffffffffff", NULL, "error(bad_version)" },
	/* BEGIN_REQUEST body must be 8 bytes */
	{ "fp-013", "R1:1:00010000000000", NULL, "error(bad_begin)" },
	{ "fp-014", "R1:1:000100000000000000", NULL, "error(bad_begin)" },
	/* roles: FILTER and unknown ones refused; keep-conn decides close */
	{ "fp-015", "B1:3:0", NULL, "end(1,3) close" },
	{ "fp-016", "B1:3:1 B2:1:1", NULL, "end(1,3) begin" },
	{ "fp-017", "B1:0:0", NULL, "end(1,3) close" },
	{ "fp-018", "B1:65535:1", NULL, "end(1,3)" },
	/* one request at a time: a second id gets CANT_MPX_CONN and its
	 * records are ignored; the first goes on */
	{ "fp-019", "B1:1:1 P1:A=1 B2:1:1 P2:A=2 P2: I2:x P1: I1:", "A",
	  "begin end(2,1) params(ok) [A=1] stdin_end" },
	/* BEGIN for the id already active is a protocol error */
	{ "fp-020", "B1:1:1 B1:1:1", NULL, "begin error(bad_begin)" },
	/* order: stdin before params end, params after, stdin after end */
	{ "fp-021", "B1:1:0 P1:A=1 I1:x", NULL, "begin error(bad_order)" },
	{ "fp-022", "B1:1:0 P1: P1:A=1", NULL,
	  "begin params(ok) error(bad_order)" },
	{ "fp-023", "B1:1:0 P1: I1:x I1: I1:y", NULL,
	  "begin params(ok) stdin(1) stdin_end" },
	/* (fp-023: after stdin_end the runner ended the request, so I1:y
	 * is for an inactive id and ignored) */
	/* records for ids that are not active are ignored */
	{ "fp-024", "P7:A=1 P7: I7:x A7 R8:7:00", NULL, "" },
	{ "fp-025", "B1:1:0 P1: I1: B1:1:1 P1:B=2 P1:", "B",
	  "begin params(ok) [B=(null)] stdin_end begin params(ok) [B=2]" },
	/* abort of the active request; of another id: ignored */
	{ "fp-026", "B1:1:1 P1:A=1 A1", NULL, "begin abort" },
	{ "fp-027", "B1:1:1 A2 P1: A1+4", NULL, "begin params(ok) abort" },
	{ "fp-028", "B1:1:1 R2:1:0102 P1:", NULL, "begin abort" },
	/* DATA is ignored; types a server never sends are errors */
	{ "fp-029", "B1:1:0 R8:1:616263 P1:", NULL, "begin params(ok)" },
	{ "fp-030", "B1:1:0 R6:1:", NULL, "begin error(bad_type)" },
	{ "fp-031", "R3:1:0000000000000000", NULL, "error(bad_type)" },
	{ "fp-032", "R12:1:", NULL, "error(bad_type)" },
	{ "fp-033", "R255:5:00", NULL, "error(bad_type)" },
	/* management: GET_VALUES answered, each name once, unknown names
	 * left out; other management types get UNKNOWN_TYPE */
	{ "fp-034", "G:FCGI_MAX_CONNS,FCGI_MAX_REQS,FCGI_MPXS_CONNS", NULL,
	  "values(FCGI_MAX_CONNS=512;FCGI_MAX_REQS=512;FCGI_MPXS_CONNS=0)" },
	{ "fp-035", "G:FCGI_MPXS_CONNS,FCGI_MPXS_CONNS,NOPE,FCGI_MAX_CONN",
	  NULL, "values(FCGI_MPXS_CONNS=0)" },
	{ "fp-036", "G:", NULL, "values()" },
	{ "fp-037", "R9:0:05", NULL, "error(bad_management)" },
	{ "fp-038", "R9:0:8000", NULL, "error(bad_management)" },
	{ "fp-039", "R12:0:0102", NULL, "unknown(12)" },
	{ "fp-040", "R1:0:0001000000000000", NULL, "unknown(1)" },
	{ "fp-041", "R5:0: R255:0:", NULL, "unknown(5) unknown(255)" },
	{ "fp-042", "B1:1:1 G:FCGI_MPXS_CONNS P1:A=1 P1:", "A",
	  "begin values(FCGI_MPXS_CONNS=0) params(ok) [A=1]" },
	/* limits: a GET_VALUES body of FCGI_MAX_MGMT_BODY (1024) bytes */
	{ "fp-043", "G:@1018", NULL, "values()" },
	{ "fp-044", "G:@1019", NULL, "values()" },
	{ "fp-045", "G:@1020", NULL, "error(bad_management)" },
	/* limits: FCGI_MAX_PARAMS_BYTES (65536) of parameter stream */
	{ "fp-046", "B1:1:0 P1:a=@30000,b=@30000 P1:c=@5517 P1:", "c",
	  "begin params(ok) [c=len5517]" },
	{ "fp-047", "B1:1:0 P1:a=@30000,b=@30000 P1:c=@5518 P1:", "c",
	  "begin params(ok) [c=len5518]" },
	{ "fp-048", "B1:1:0 P1:a=@30000,b=@30000 P1:c=@5519 P1:", "c",
	  "begin params(params_too_large) [c=(null)]" },
	/* limits: FCGI_MAX_PARAM_NAME (1024) */
	{ "fp-049", "B1:1:0 P1:@1023=v P1:", NULL, "begin params(ok)" },
	{ "fp-050", "B1:1:0 P1:@1024=v P1:", NULL, "begin params(ok)" },
	{ "fp-051", "B1:1:0 P1:@1025=v P1:", "A",
	  "begin params(param_name_too_long) [A=(null)]" },
	/* limits: FCGI_MAX_PARAM_VALUE (32768) */
	{ "fp-052", "B1:1:0 P1:V=@32767 P1:", "V",
	  "begin params(ok) [V=len32767]" },
	{ "fp-053", "B1:1:0 P1:V=@32768 P1:", "V",
	  "begin params(ok) [V=len32768]" },
	{ "fp-054", "B1:1:0 P1:V=@32769 P1:", "V",
	  "begin params(param_value_too_long) [V=(null)]" },
	/* hostile encodings: lengths past the stream, NUL bytes */
	{ "fp-055", "B1:1:0 R4:1:0203616263 P1:", NULL,
	  "begin params(params_truncated)" },
	{ "fp-056", "B1:1:0 R4:1:80000001 P1:", NULL,
	  "begin params(params_truncated)" },
	{ "fp-057", "B1:1:0 R4:1:01 P1:", NULL,
	  "begin params(params_truncated)" },
	{ "fp-058", "B1:1:0 R4:1:ffffffff01616263 P1:", NULL,
	  "begin params(param_name_too_long)" },
	{ "fp-059", "B1:1:0 R4:1:0101610062 P1:", "a",
	  "begin params(param_nul) [a=(null)]" },
	{ "fp-060", "B1:1:0 R4:1:0201610062 P1:", NULL,
	  "begin params(param_nul)" },
	/* a params stream past the limit is skipped, not stored, and the
	 * request still completes so it can be answered */
	{ "fp-061", "B1:1:1 P1:a=@30000,b=@30000 P1:c=@30000 P1:d=1 P1: I1:",
	  NULL, "begin params(params_too_large) stdin_end" },
	/* an error is final */
	{ "fp-062", "H00 B1:1:0", NULL, "error(bad_version)" },
};

static void
test_cases(void)
{
	size_t i;

	for (i = 0; i < NELEM(cases); i++) {
		char whole[sizeof(trace)];

		build(cases[i].script);
		run(0, cases[i].look);
		snprintf(whole, sizeof(whole), "%s", trace);
		T_EQ_STR(cases[i].id, whole, cases[i].want);
		run(1, cases[i].look);
		T_EQ_STR(cases[i].id, trace, cases[i].want);
		run(3, cases[i].look);
		T_EQ_STR(cases[i].id, trace, cases[i].want);
	}
}

/* No parameter buffer, or a small one: the limit is the buffer. */
static void
test_params_buffer(void)
{
	static unsigned char obuf[256];
	struct fcgi_out o = { obuf, sizeof(obuf), 0 };
	struct fcgi_conn c;
	const unsigned char *d;
	size_t used, dn;
	char small[8];

	build("B1:1:0 P1:A=1 P1:");
	fcgi_conn_init(&c, 1, 1);
	T_EQ_INT("fp-buf-001", fcgi_feed(&c, input, input_n, &used, &o, &d,
	    &dn), FCGI_EV_BEGIN);
	T_EQ_INT("fp-buf-002", fcgi_feed(&c, input + used, input_n - used,
	    &used, &o, &d, &dn), FCGI_EV_PARAMS);
	T_EQ_INT("fp-buf-003", c.params_status, FCGI_P_TOO_LARGE);
	T_CHECK("fp-buf-004", fcgi_param(&c, "A") == NULL);

	/* "A=1" is 4 bytes raw: a 4-byte buffer holds it, 3 does not */
	build("B1:1:0 P1:A=1 P1:");
	fcgi_conn_init(&c, 1, 1);
	fcgi_feed(&c, input, input_n, &used, &o, &d, &dn);
	fcgi_set_params_buf(&c, small, 4);
	fcgi_feed(&c, input + used, input_n - used, &used, &o, &d, &dn);
	T_EQ_INT("fp-buf-005", c.params_status, FCGI_P_OK);
	T_EQ_STR("fp-buf-006", fcgi_param(&c, "A"), "1");
	fcgi_conn_init(&c, 1, 1);
	fcgi_feed(&c, input, input_n, &used, &o, &d, &dn);
	fcgi_set_params_buf(&c, small, 3);
	fcgi_feed(&c, input + used, input_n - used, &used, &o, &d, &dn);
	T_EQ_INT("fp-buf-007", c.params_status, FCGI_P_TOO_LARGE);
}

/* Output room: with less than FCGI_MGMT_REPLY_MAX free nothing is read. */
static void
test_backpressure(void)
{
	static unsigned char obuf[FCGI_MGMT_REPLY_MAX + 16];
	struct fcgi_out o = { obuf, sizeof(obuf), 0 };
	struct fcgi_conn c;
	const unsigned char *d;
	size_t used, dn;

	build("G:FCGI_MAX_CONNS G:FCGI_MAX_CONNS");
	fcgi_conn_init(&c, 7, 7);
	o.len = 17;	/* free: FCGI_MGMT_REPLY_MAX - 1 */
	T_EQ_INT("fp-out-001", fcgi_feed(&c, input, input_n, &used, &o, &d,
	    &dn), FCGI_EV_OUT);
	T_EQ_INT("fp-out-002", used, 0);
	o.len = 16;	/* free: exactly FCGI_MGMT_REPLY_MAX */
	T_EQ_INT("fp-out-003", fcgi_feed(&c, input, input_n, &used, &o, &d,
	    &dn), FCGI_EV_OUT);
	T_CHECK("fp-out-004", used > 0 && used < input_n);
	T_CHECK("fp-out-005", o.len > 16 && o.len <= sizeof(obuf));
	o.len = 0;
	T_EQ_INT("fp-out-006", fcgi_feed(&c, input + used, input_n - used,
	    &used, &o, &d, &dn), FCGI_EV_MORE);
	T_CHECK("fp-out-007", o.len > 0);
	/* an error stays: nothing more is consumed */
	build("H0900000000000000 G:");
	fcgi_conn_init(&c, 7, 7);
	o.len = 0;
	T_EQ_INT("fp-out-008", fcgi_feed(&c, input, input_n, &used, &o, &d,
	    &dn), FCGI_EV_ERROR);
	T_EQ_INT("fp-out-009", fcgi_feed(&c, input, input_n, &used, &o, &d,
	    &dn), FCGI_EV_ERROR);
	T_EQ_INT("fp-out-010", used, 0);
}

/* Reply records: split at 65535, an empty STDOUT, END_REQUEST. */
static void
test_build(void)
{
	static const struct {
		const char	*id;
		size_t		 n;
		size_t		 records;
	} sizes[] = {
		{ "fp-rep-001", 0, 0 },
		{ "fp-rep-002", 1, 1 },
		{ "fp-rep-003", 65534, 1 },
		{ "fp-rep-004", 65535, 1 },
		{ "fp-rep-005", 65536, 2 },
		{ "fp-rep-006", 131070, 2 },
		{ "fp-rep-007", 131071, 3 },
	};
	static char data[140000];
	static unsigned char out[140000 + 64];
	size_t i, len, p, got, recs;
	int ok;

	for (i = 0; i < sizeof(data); i++)
		data[i] = (char)('a' + i % 26);
	for (i = 0; i < NELEM(sizes); i++) {
		size_t need = sizes[i].n + 8 * sizes[i].records + 8 + 16;

		T_EQ_INT(sizes[i].id, fcgi_reply_size(sizes[i].n), need);
		T_EQ_INT(sizes[i].id, fcgi_build_reply(out, need - 1, 3, data,
		    sizes[i].n), 0);
		len = fcgi_build_reply(out, need, 3, data, sizes[i].n);
		T_EQ_INT(sizes[i].id, len, need);
		/* walk it: STDOUT records carry data in order, then an empty
		 * one, then END_REQUEST */
		p = 0;
		got = 0;
		recs = 0;
		ok = 1;
		while (p + 8 <= len && out[p + 1] == FCGI_STDOUT) {
			size_t cl = (size_t)out[p + 4] << 8 | out[p + 5];

			ok &= out[p] == 1 && out[p + 2] == 0 && out[p + 3] == 3 &&
			    out[p + 6] == 0;
			if (cl == 0) {
				p += 8;
				break;
			}
			ok &= memcmp(out + p + 8, data + got, cl) == 0;
			got += cl;
			recs++;
			p += 8 + cl;
		}
		T_CHECK(sizes[i].id, ok && got == sizes[i].n &&
		    recs == sizes[i].records);
		T_CHECK(sizes[i].id, p + 16 == len &&
		    out[p + 1] == FCGI_END_REQUEST && out[p + 5] == 8 &&
		    out[p + 8 + 4] == FCGI_REQUEST_COMPLETE &&
		    out[p + 8] == 0 && out[p + 11] == 0);
	}
	T_EQ_INT("fp-rep-008", fcgi_build_reply(out, sizeof(out), 0, data, 1),
	    0);
	T_EQ_INT("fp-rep-009", fcgi_build_reply(out, sizeof(out), 65536,
	    data, 1), 0);
	T_EQ_INT("fp-rep-010", fcgi_build_reply(out, sizeof(out), 65535,
	    data, 1), 1 + 8 + 8 + 16);
	T_EQ_INT("fp-rep-011", fcgi_build_end(out, 15, 1, 1), 0);
	T_EQ_INT("fp-rep-012", fcgi_build_end(out, 16, 258, 1), 16);
	T_CHECK("fp-rep-013", memcmp(out, "\1\3\1\2\0\10\0\0\0\0\0\0\1\0\0\0",
	    16) == 0);
}

/* fcgi_params_find over a block, as the webhook process reads it. */
static void
test_find(void)
{
	static const char block[] = "A\0one\0B\0\0A\0two\0";
	static const char cut[] = { 'A', '\0', 'x' };

	T_EQ_STR("fp-find-001", fcgi_params_find(block, sizeof(block) - 1,
	    FCGI_RESPONDER, "A"), "one");
	T_EQ_STR("fp-find-002", fcgi_params_find(block, sizeof(block) - 1,
	    FCGI_RESPONDER, "B"), "");
	T_CHECK("fp-find-003", fcgi_params_find(block, sizeof(block) - 1,
	    FCGI_RESPONDER, "C") == NULL);
	T_EQ_STR("fp-find-004", fcgi_params_find(block, 0, FCGI_AUTHORIZER,
	    "FCGI_ROLE"), "AUTHORIZER");
	T_CHECK("fp-find-005", fcgi_params_find(block, 0, 9,
	    "FCGI_ROLE") == NULL);
	/* a block without its last NUL is never read past its end */
	T_CHECK("fp-find-006", fcgi_params_find(cut, sizeof(cut),
	    FCGI_RESPONDER, "A") == NULL);
	T_CHECK("fp-find-007", fcgi_params_find(cut, 1, FCGI_RESPONDER,
	    "A") == NULL);
}

int
main(void)
{
	test_cases();
	test_params_buffer();
	test_backpressure();
	test_build();
	test_find();
	return t_done("test_fcgi_proto");
}
