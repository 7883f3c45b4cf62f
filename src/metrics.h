/*
 * metrics.h - counters for Prometheus: decisions by outcome and reason,
 * webhook deliveries by verdict, store errors, the decision latency
 * histogram, worker restarts.
 *
 * All counters live in one page that every process of a deployment
 * shares: an anonymous MAP_SHARED page that `authgate serve` maps before
 * it forks (workers, their webhook processes and the supervisor share
 * it), or the file AUTHGATE_METRICS_FILE for the processes lighttpd or
 * Apache spawn. Counting is a relaxed atomic add into that page: no
 * lock, no system call. Without a shared page (no file configured, or
 * one that cannot be used) each process counts for itself.
 */
#ifndef AUTHGATE_METRICS_H
#define AUTHGATE_METRICS_H

#include <stddef.h>
#include <stdint.h>

#define METRICS_FILE_SIZE	16384	/* the page file's fixed size */
#define METRICS_MAX_REASONS	64	/* decision reason codes counted */
#define METRICS_BUCKETS		15	/* histogram bounds, then +Inf */

/*
 * Maps the counters. file NULL: an anonymous page shared with every
 * child forked later (`authgate serve`, before it forks). file "": a
 * page of this process only. Otherwise the file at that path, created
 * mode 0640 at METRICS_FILE_SIZE when absent, used only if its header
 * (magic, version, layout) and size are ours. Returns 0, or -1 with one
 * line in err: the counters then stay per process (never a failure to
 * serve). May be called again; the first page that worked stays.
 */
int	metrics_open(const char *file, char *err, size_t errsz);

/* A monotonic clock in nanoseconds (clock_gettime: the vDSO). */
uint64_t	metrics_now_ns(void);

/*
 * Counts one decision: its status (200 allow, 302 redirect, 400
 * bad_request, 401/403 deny, 429 too_many_requests, 503 unavailable), its reason code (one
 * the table does not know counts as "other") and how long it took.
 */
void	metrics_decision(int status, const char *reason, uint64_t ns);

/* Counts one webhook delivery; verdict is a name of metrics_verdicts
 * (anything else counts as "rejected"). */
void	metrics_webhook(const char *verdict);

/* Counts a store error (a decision or delivery answered 503 for it). */
void	metrics_store_error(void);

/* Counts a worker the supervisor restarted after it died. */
void	metrics_worker_restart(void);

/*
 * Writes every metric in the Prometheus text format 0.0.4 into buf.
 * Returns the length, or 0 if it does not fit.
 */
size_t	metrics_render(char *buf, size_t bufsz);

#endif
