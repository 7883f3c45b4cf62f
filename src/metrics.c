/*
 * metrics.c - the shared counter page and its Prometheus text.
 *
 * Owns the mapping of the counters. Trusts a page file only after its
 * size and header say it is ours; never follows its contents anywhere
 * (counters are only added to and printed). Never takes a lock or makes
 * a system call when counting: relaxed atomic adds, one clock read per
 * decision for the histogram. Holds nothing secret.
 */
#include <sys/mman.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "metrics.h"
#include "util.h"

#define METRICS_MAGIC	0x61676d74u	/* "agmt" */
#define METRICS_VERSION	1u

enum outcome {
	OUT_ALLOW = 0,
	OUT_REDIRECT,
	OUT_DENY,
	OUT_BAD_REQUEST,
	OUT_UNAVAILABLE,
	OUT_TOO_MANY,
	OUT_N
};

static const char *const outcomes[OUT_N] = {
	"allow", "redirect", "deny", "bad_request", "unavailable",
	"too_many_requests"
};

/* The decision's reason codes (authz.c, request.c's path verdicts);
 * the last, "other", takes anything else. The order is the page's
 * layout: a change to it changes the layout hash in the header. */
static const char *const reasons[] = {
	"allow", "public", "no_credentials", "session_required",
	"api_key_required", "session_malformed", "session_bad_signature",
	"session_unknown", "session_expired", "user_banned",
	"api_key_malformed", "api_key_unknown", "api_key_disabled",
	"api_key_expired", "api_key_orphan", "authorization_malformed",
	"cookie_duplicate", "cookie_malformed", "cookie_too_long",
	"hash_error", "identity_invalid", "role_required", "rule_deny",
	"rules_invalid", "store_error", "store_schema", "store_unavailable",
	"internal", "bad_method", "method_override", "path_empty",
	"path_too_long", "path_not_absolute", "path_control",
	"path_backslash", "path_encoded_slash", "path_encoded_percent",
	"path_encoded_delimiter", "path_fragment", "path_bad_escape",
	"path_dot_segment", "path_empty_segment", "path_semicolon",
	"path_segment_end", "path_bad_utf8", "path_folds_to_ascii",
	"path_unknown", "api_key_exhausted", "api_key_rate_limited",
	"client_throttled", "usage_unavailable", "permission_required",
	"jwt_expired", "jwt_not_yet_valid", "jwt_bad_tag", "jwt_unsupported",
	"jwt_invalid", "jwt_no_secret",
	"other"
};
#define NREASONS	(sizeof(reasons) / sizeof(reasons[0]))

static const char *const verdicts[] = {
	"applied", "stale", "tombstoned", "absent", "duplicate", "ignored",
	"bad_signature", "rejected", "refused", "unavailable"
};
#define NVERDICTS	(sizeof(verdicts) / sizeof(verdicts[0]))
#define VERDICT_REJECTED	7

/* Upper bounds of the latency buckets, in nanoseconds (100 us to 5 s). */
static const uint64_t bounds[METRICS_BUCKETS] = {
	100000, 250000, 500000, 1000000, 2500000, 5000000, 10000000,
	25000000, 50000000, 100000000, 250000000, 500000000, 1000000000,
	2500000000u, 5000000000u
};

struct page {
	uint32_t	magic;
	uint32_t	version;
	uint32_t	size;
	uint32_t	layout;		/* hash of the names above */
	uint64_t	decisions[OUT_N][METRICS_MAX_REASONS];
	uint64_t	webhook[16];
	uint64_t	store_errors;
	uint64_t	worker_restarts;
	uint64_t	buckets[METRICS_BUCKETS + 1];	/* last: over 5 s */
	uint64_t	sum_ns;
};

_Static_assert(sizeof(struct page) <= METRICS_FILE_SIZE,
    "the counters fit in the page file");
_Static_assert(NREASONS <= METRICS_MAX_REASONS, "reason table fits");
_Static_assert(NVERDICTS <= 16, "verdict table fits");

static struct page	 local;		/* per process, until a shared page */
static struct page	*P = &local;
static int		 shared;

#define ADD(field, v)	__atomic_fetch_add(&(field), (v), __ATOMIC_RELAXED)
#define GET(field)	__atomic_load_n(&(field), __ATOMIC_RELAXED)

/* FNV-1a over every name and bound: the layout the page was made for. */
static uint32_t
layout_hash(void)
{
	uint32_t h = 2166136261u;
	const char *s;
	size_t i;

	for (i = 0; i < NREASONS + NVERDICTS; i++) {
		s = i < NREASONS ? reasons[i] : verdicts[i - NREASONS];
		for (; ; s++) {
			h = (h ^ (unsigned char)*s) * 16777619u;
			if (*s == '\0')
				break;
		}
	}
	for (i = 0; i < METRICS_BUCKETS; i++)
		h = (h ^ (uint32_t)(bounds[i] / 1000)) * 16777619u;
	h = (h ^ (uint32_t)OUT_N) * 16777619u;
	return h;
}

static void
header_set(struct page *p)
{
	p->version = METRICS_VERSION;
	p->size = METRICS_FILE_SIZE;
	p->layout = layout_hash();
	__atomic_store_n(&p->magic, METRICS_MAGIC, __ATOMIC_RELEASE);
}

static int
header_ok(const struct page *p)
{
	return __atomic_load_n(&p->magic, __ATOMIC_ACQUIRE) == METRICS_MAGIC &&
	    p->version == METRICS_VERSION && p->size == METRICS_FILE_SIZE &&
	    p->layout == layout_hash();
}

/* The page file: made at its size when new, else validated. */
static struct page *
map_file(const char *file, char *err, size_t errsz)
{
	struct page *m;
	int fd, fresh;

	if ((m = util_map_file("metrics", file, METRICS_FILE_SIZE, 0640, &fd,
	    &fresh, err, errsz)) == NULL)
		return NULL;
	if (fresh) {
		header_set(m);
	} else if (!header_ok(m)) {
		snprintf(err, errsz, "metrics: %s is not a metrics file of"
		    " this version (remove it to start over)", file);
		munmap(m, METRICS_FILE_SIZE);
		m = NULL;
	}
	util_map_release(fd);
	return m;
}

int
metrics_open(const char *file, char *err, size_t errsz)
{
	struct page *p;
	void *m;

	if (shared)
		return 0;
	if (file != NULL && *file == '\0')
		return 0;	/* per process, by request */
	if (file == NULL) {
		m = mmap(NULL, METRICS_FILE_SIZE, PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		if (m == MAP_FAILED) {
			snprintf(err, errsz, "metrics: cannot map a shared"
			    " page: %s", strerror(errno));
			return -1;
		}
		p = m;
		header_set(p);
	} else if ((p = map_file(file, err, errsz)) == NULL) {
		return -1;
	}
	P = p;
	shared = 1;
	return 0;
}

uint64_t
metrics_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static size_t
reason_index(const char *reason)
{
	size_t i;

	if (reason != NULL)
		for (i = 0; i < NREASONS - 1; i++)
			if (strcmp(reasons[i], reason) == 0)
				return i;
	return NREASONS - 1;
}

void
metrics_decision(int status, const char *reason, uint64_t ns)
{
	enum outcome o;
	size_t b;

	switch (status) {
	case 200: o = OUT_ALLOW; break;
	case 302: o = OUT_REDIRECT; break;
	case 400: o = OUT_BAD_REQUEST; break;
	case 503: o = OUT_UNAVAILABLE; break;
	case 429: o = OUT_TOO_MANY; break;
	default: o = OUT_DENY; break;
	}
	ADD(P->decisions[o][reason_index(reason)], 1);
	for (b = 0; b < METRICS_BUCKETS && ns > bounds[b]; b++)
		;
	ADD(P->buckets[b], 1);
	ADD(P->sum_ns, ns);
}

void
metrics_webhook(const char *verdict)
{
	size_t i;

	for (i = 0; i < NVERDICTS; i++)
		if (verdict != NULL && strcmp(verdicts[i], verdict) == 0)
			break;
	ADD(P->webhook[i < NVERDICTS ? i : VERDICT_REJECTED], 1);
}

void
metrics_store_error(void)
{
	ADD(P->store_errors, 1);
}

void
metrics_worker_restart(void)
{
	ADD(P->worker_restarts, 1);
}

struct out {
	char	*p;
	size_t	 cap, n;
	int	 overflow;
};

static void put(struct out *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int r;

	if (o->overflow)
		return;
	va_start(ap, fmt);
	r = vsnprintf(o->p + o->n, o->cap - o->n, fmt, ap);
	va_end(ap);
	if (r < 0 || (size_t)r >= o->cap - o->n)
		o->overflow = 1;
	else
		o->n += (size_t)r;
}

/* A bound in seconds, as Prometheus' client libraries print it. */
static void
put_seconds(struct out *o, uint64_t ns)
{
	char s[32];
	size_t n;

	snprintf(s, sizeof(s), "%llu.%09llu", (unsigned long long)(ns /
	    1000000000u), (unsigned long long)(ns % 1000000000u));
	n = strlen(s);
	while (n > 2 && s[n - 1] == '0' && s[n - 2] != '.')
		n--;
	s[n] = '\0';
	put(o, "%s", s);
}

size_t
metrics_render(char *buf, size_t bufsz)
{
	struct out o = { buf, bufsz, 0, 0 };
	uint64_t v, cum = 0;
	size_t i, k;

	put(&o, "# HELP authgate_decisions_total Decisions made, by outcome"
	    " and reason code.\n# TYPE authgate_decisions_total counter\n");
	for (i = 0; i < OUT_N; i++)
		for (k = 0; k < NREASONS; k++)
			if ((v = GET(P->decisions[i][k])) > 0)
				put(&o, "authgate_decisions_total{outcome=\"%s\","
				    "reason=\"%s\"} %llu\n", outcomes[i],
				    reasons[k], (unsigned long long)v);
	put(&o, "# HELP authgate_webhook_deliveries_total Webhook deliveries"
	    " answered, by verdict.\n"
	    "# TYPE authgate_webhook_deliveries_total counter\n");
	for (i = 0; i < NVERDICTS; i++)
		put(&o, "authgate_webhook_deliveries_total{verdict=\"%s\"}"
		    " %llu\n", verdicts[i],
		    (unsigned long long)GET(P->webhook[i]));
	put(&o, "# HELP authgate_store_errors_total Decisions and deliveries"
	    " answered 503 because of the store.\n"
	    "# TYPE authgate_store_errors_total counter\n"
	    "authgate_store_errors_total %llu\n",
	    (unsigned long long)GET(P->store_errors));
	put(&o, "# HELP authgate_decision_duration_seconds Time to decide"
	    " one request, in seconds.\n"
	    "# TYPE authgate_decision_duration_seconds histogram\n");
	for (i = 0; i <= METRICS_BUCKETS; i++) {
		cum += GET(P->buckets[i]);
		put(&o, "authgate_decision_duration_seconds_bucket{le=\"");
		if (i < METRICS_BUCKETS)
			put_seconds(&o, bounds[i]);
		else
			put(&o, "+Inf");
		put(&o, "\"} %llu\n", (unsigned long long)cum);
	}
	put(&o, "authgate_decision_duration_seconds_sum ");
	put_seconds(&o, GET(P->sum_ns));
	put(&o, "\nauthgate_decision_duration_seconds_count %llu\n",
	    (unsigned long long)cum);
	put(&o, "# HELP authgate_worker_restarts_total Workers of authgate"
	    " serve restarted after they died.\n"
	    "# TYPE authgate_worker_restarts_total counter\n"
	    "authgate_worker_restarts_total %llu\n",
	    (unsigned long long)GET(P->worker_restarts));
	put(&o, "# HELP authgate_metrics_shared Whether these counters are"
	    " shared by every process (1) or this process's own (0).\n"
	    "# TYPE authgate_metrics_shared gauge\n"
	    "authgate_metrics_shared %d\n", shared);
	return o.overflow ? 0 : o.n;
}
