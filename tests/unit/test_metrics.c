/*
 * test_metrics.c - unit tests for src/metrics.c: the counters and their
 * Prometheus text, the histogram's bucket edges, the shared page (an
 * anonymous one across fork, the page file across processes), and a page
 * file that is not ours (refused: counting stays per process).
 *
 * metrics.c keeps one page per process, so every case that maps a page
 * runs in a child and reports through its exit code.
 */
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "metrics.h"

static char text[16384];

/* 1 if the rendered text holds the line want. */
static int
has_line(const char *want)
{
	size_t n = metrics_render(text, sizeof(text));
	const char *p = text;
	size_t wn = strlen(want);

	if (n == 0)
		return 0;
	while ((p = strstr(p, want)) != NULL) {
		if ((p == text || p[-1] == '\n') && p[wn] == '\n')
			return 1;
		p += wn;
	}
	return 0;
}

/* Runs fn in a child: 1 if it returned 1. */
static int
in_child(int (*fn)(void))
{
	pid_t pid;
	int st;

	fflush(stdout);
	if ((pid = fork()) < 0)
		return 0;
	if (pid == 0)
		_exit(fn() ? 0 : 1);
	return waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
	    WEXITSTATUS(st) == 0;
}

static char path[256];

static int
count_three(void)
{
	char err[256];
	int i;

	if (metrics_open(path, err, sizeof(err)) != 0)
		return 0;
	for (i = 0; i < 3; i++)
		metrics_decision(401, "no_credentials", 1000);
	metrics_worker_restart();
	return 1;
}

static int
sees_six(void)
{
	char err[256];

	return metrics_open(path, err, sizeof(err)) == 0 &&
	    has_line("authgate_decisions_total{outcome=\"deny\","
	    "reason=\"no_credentials\"} 6") &&
	    has_line("authgate_worker_restarts_total 2") &&
	    has_line("authgate_metrics_shared 1");
}

/* The first process keeps its page mapped while a second opens the
 * file: the second must not wait for the first's lock (a flock lives as
 * long as the mapping unless it is released). */
static int
holder_and_second(void)
{
	char err[256], go;
	pid_t pid;
	int st, p[2];

	if (pipe(p) != 0)
		return 0;
	if ((pid = fork()) == 0) {
		close(p[1]);
		if (read(p[0], &go, 1) != 1)
			_exit(1);
		alarm(5);	/* a wait on the lock would end here */
		_exit(count_three() ? 0 : 1);
	}
	close(p[0]);
	if (metrics_open(path, err, sizeof(err)) != 0 ||
	    write(p[1], "g", 1) != 1)
		return 0;
	close(p[1]);
	return waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
	    WEXITSTATUS(st) == 0;
}

static int
anon_shared(void)
{
	char err[256];
	pid_t pid;
	int st;

	if (metrics_open(NULL, err, sizeof(err)) != 0)
		return 0;
	metrics_decision(200, "allow", 5000);
	if ((pid = fork()) == 0) {
		metrics_decision(200, "allow", 5000);
		metrics_webhook("applied");
		_exit(0);
	}
	if (waitpid(pid, &st, 0) != pid)
		return 0;
	return has_line("authgate_decisions_total{outcome=\"allow\","
	    "reason=\"allow\"} 2") &&
	    has_line("authgate_webhook_deliveries_total{verdict=\"applied\"} 1");
}

static int
refuses_foreign(void)
{
	char err[256];

	err[0] = '\0';
	if (metrics_open(path, err, sizeof(err)) != -1 ||
	    strstr(err, "not a metrics file") == NULL)
		return 0;
	/* still counts, for itself */
	metrics_decision(403, "role_required", 10);
	return has_line("authgate_decisions_total{outcome=\"deny\","
	    "reason=\"role_required\"} 1") &&
	    has_line("authgate_metrics_shared 0");
}

int
main(void)
{
	struct stat st;
	int fd;

	/* per process: outcomes by status, unknown reasons, verdicts */
	metrics_decision(200, "allow", 1000);
	metrics_decision(302, "no_credentials", 1000);
	metrics_decision(429, "rate_limited_new", 1000);
	metrics_decision(400, "path_dot_segment", 1000);
	metrics_decision(503, "store_unavailable", 1000);
	metrics_webhook("no-such-verdict");
	metrics_store_error();
	T_CHECK("m-001", has_line("authgate_decisions_total{outcome=\"allow\","
	    "reason=\"allow\"} 1"));
	T_CHECK("m-002", has_line("authgate_decisions_total{outcome="
	    "\"redirect\",reason=\"no_credentials\"} 1"));
	T_CHECK("m-003", has_line("authgate_decisions_total{outcome="
	    "\"too_many_requests\",reason=\"other\"} 1"));
	T_CHECK("m-004", has_line("authgate_decisions_total{outcome="
	    "\"bad_request\",reason=\"path_dot_segment\"} 1"));
	T_CHECK("m-005", has_line("authgate_decisions_total{outcome="
	    "\"unavailable\",reason=\"store_unavailable\"} 1"));
	T_CHECK("m-006", has_line("authgate_webhook_deliveries_total{verdict="
	    "\"rejected\"} 1"));
	T_CHECK("m-007", has_line("authgate_store_errors_total 1"));
	T_CHECK("m-008", has_line("# TYPE authgate_decision_duration_seconds"
	    " histogram"));
	T_CHECK("m-009", has_line("authgate_metrics_shared 0"));
	/* bucket edges: le is "less or equal" (100 us exactly is in 0.0001) */
	metrics_decision(200, "public", 100000);
	metrics_decision(200, "public", 100001);
	metrics_decision(200, "public", 6000000000ull);
	T_CHECK("m-010", has_line("authgate_decision_duration_seconds_bucket"
	    "{le=\"0.0001\"} 6"));
	T_CHECK("m-011", has_line("authgate_decision_duration_seconds_bucket"
	    "{le=\"0.00025\"} 7"));
	T_CHECK("m-012", has_line("authgate_decision_duration_seconds_bucket"
	    "{le=\"5.0\"} 7"));
	T_CHECK("m-013", has_line("authgate_decision_duration_seconds_bucket"
	    "{le=\"+Inf\"} 8"));
	T_CHECK("m-014", has_line("authgate_decision_duration_seconds_count 8"));
	T_CHECK("m-015", has_line("authgate_decision_duration_seconds_sum"
	    " 6.000205001"));
	/* a buffer too small is 0, never a truncated text */
	T_EQ_INT("m-016", metrics_render(text, 100), 0);

	/* the page file: made 0640 at its fixed size, shared */
	snprintf(path, sizeof(path), "/tmp/authgate-test-metrics-%d",
	    (int)getpid());
	unlink(path);
	T_CHECK("m-020", in_child(count_three));
	T_CHECK("m-021", stat(path, &st) == 0 && st.st_size ==
	    METRICS_FILE_SIZE && (st.st_mode & 0777) == 0640);
	T_CHECK("m-022", in_child(count_three));
	T_CHECK("m-023", in_child(sees_six));
	T_CHECK("m-029", in_child(holder_and_second));
	/* an anonymous page is shared with children forked later */
	T_CHECK("m-024", in_child(anon_shared));
	/* a file of another size or header is refused */
	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	T_CHECK("m-025", fd >= 0 && write(fd, "not metrics", 11) == 11);
	if (fd >= 0)
		close(fd);
	T_CHECK("m-026", in_child(refuses_foreign));
	fd = open(path, O_WRONLY | O_TRUNC);
	T_CHECK("m-027", fd >= 0 && ftruncate(fd, METRICS_FILE_SIZE) == 0);
	if (fd >= 0)
		close(fd);
	T_CHECK("m-028", in_child(refuses_foreign));
	unlink(path);
	return t_done("test_metrics");
}
