/*
 * test_usage.c - unit tests for src/usage.c: better-auth's quota, refill
 * and rate-limit arithmetic at its boundaries (usage_step is pure), the
 * IdP's newer values replacing the host's count, and the shared state
 * file: exact counting across processes racing for one key, a process
 * killed while it holds a slot's lock, a restart keeping the count, the
 * client throttle's budget, ban and cool-down, and a file that is not
 * ours (refused).
 *
 * usage.c maps one state per process, so every case that maps the file
 * runs in a child and reports through its exit code.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "usage.h"

static const int64_t T0 = 1767225600000LL;	/* 2026-01-01 */
static const int64_t DAY = 86400000LL;
static char path[256];

static struct usage_limits
quota(int64_t remaining, int64_t interval, int64_t amount, int64_t last)
{
	struct usage_limits l;

	memset(&l, 0, sizeof(l));
	l.limited = 1;
	l.remaining = remaining;
	l.refill_interval = interval;
	l.refill_amount = amount;
	l.last_refill = last;
	l.refill_dated = last != 0;
	usage_limits_seal(&l, T0);
	return l;
}

static struct usage_limits
rate(int64_t max, int64_t window, int64_t count, int64_t last)
{
	struct usage_limits l;

	memset(&l, 0, sizeof(l));
	l.rate_on = 1;
	l.rate_max = max;
	l.rate_window = window;
	l.request_count = count;
	l.last_request = last;
	usage_limits_seal(&l, T0);
	return l;
}

static int
step(struct usage_count *c, const struct usage_limits *l, int64_t now)
{
	int64_t retry;

	return usage_step(c, l, now, &retry);
}

static void
quota_cases(void)
{
	struct usage_limits l;
	struct usage_count c;
	int i, ok;

	/* remaining 3: exactly three uses, then exhausted */
	memset(&c, 0, sizeof(c));
	l = quota(3, 0, 0, T0);
	for (i = 0, ok = 0; i < 3; i++)
		ok += step(&c, &l, T0 + i) == USAGE_OK;
	T_EQ_INT("u-001", ok, 3);
	T_EQ_INT("u-002", step(&c, &l, T0 + 9), USAGE_EXHAUSTED);
	T_EQ_INT("u-003", (int)c.remaining, 0);
	T_EQ_INT("u-004", (int)c.uses, 3);
	/* remaining 0 without refill */
	memset(&c, 0, sizeof(c));
	l = quota(0, 0, 0, T0);
	T_EQ_INT("u-005", step(&c, &l, T0), USAGE_EXHAUSTED);
	/* a refill is due after more than the interval, not at it */
	memset(&c, 0, sizeof(c));
	l = quota(0, DAY, 2, T0);
	T_EQ_INT("u-010", step(&c, &l, T0 + DAY), USAGE_EXHAUSTED);
	T_EQ_INT("u-011", step(&c, &l, T0 + DAY + 1), USAGE_OK);
	T_EQ_INT("u-012", (int)c.remaining, 1);	/* refillAmount - 1 */
	T_CHECK("u-013", c.last_refill == T0 + DAY + 1);
	T_EQ_INT("u-014", step(&c, &l, T0 + DAY + 2), USAGE_OK);
	T_EQ_INT("u-015", step(&c, &l, T0 + DAY + 3), USAGE_EXHAUSTED);
	/* the next refill counts from the last one */
	T_EQ_INT("u-016", step(&c, &l, T0 + 2 * DAY + 1), USAGE_EXHAUSTED);
	T_EQ_INT("u-017", step(&c, &l, T0 + 2 * DAY + 2), USAGE_OK);
	/* no date to count from, or one in the future: no refill */
	memset(&c, 0, sizeof(c));
	l = quota(0, DAY, 5, 0);
	T_EQ_INT("u-018", step(&c, &l, T0 + 9 * DAY), USAGE_EXHAUSTED);
	l = quota(0, DAY, 5, T0 + DAY);
	memset(&c, 0, sizeof(c));
	T_EQ_INT("u-019", step(&c, &l, T0), USAGE_EXHAUSTED);
	/* a remaining that is not a number: always denied */
	l = quota(5, 0, 0, T0);
	l.bad = 1;
	memset(&c, 0, sizeof(c));
	T_EQ_INT("u-020", step(&c, &l, T0), USAGE_EXHAUSTED);
	/* nothing limited: never counted */
	memset(&l, 0, sizeof(l));
	T_EQ_INT("u-021", usage_limited(&l), 0);
	/* the IdP's newer values replace the host's count */
	memset(&c, 0, sizeof(c));
	l = quota(1, 0, 0, T0);
	T_EQ_INT("u-030", step(&c, &l, T0), USAGE_OK);
	T_EQ_INT("u-031", step(&c, &l, T0 + 1), USAGE_EXHAUSTED);
	l = quota(2, 0, 0, T0);		/* a webhook raised remaining */
	T_EQ_INT("u-032", step(&c, &l, T0 + 2), USAGE_OK);
	T_EQ_INT("u-033", step(&c, &l, T0 + 3), USAGE_OK);
	T_EQ_INT("u-034", step(&c, &l, T0 + 4), USAGE_EXHAUSTED);
	/* the same values with a newer updatedAt are a newer object too */
	usage_limits_seal(&l, T0 + 5);
	T_EQ_INT("u-035", step(&c, &l, T0 + 6), USAGE_OK);
}

static void
rate_cases(void)
{
	struct usage_limits l, q;
	struct usage_count c;
	int64_t retry = 0;
	int i, ok;

	/* 3 per 1000 ms from a fresh key: the fourth in the window waits */
	memset(&c, 0, sizeof(c));
	l = rate(3, 1000, 0, 0);
	for (i = 0, ok = 0; i < 3; i++)
		ok += step(&c, &l, T0 + i * 10) == USAGE_OK;
	T_EQ_INT("u-040", ok, 3);
	T_EQ_INT("u-041", usage_step(&c, &l, T0 + 30, &retry),
	    USAGE_RATE_LIMITED);
	/* better-auth counts the window from the last allowed request */
	T_CHECK("u-042", retry == 1000 - 10);
	T_EQ_INT("u-043", step(&c, &l, T0 + 20 + 1000), USAGE_RATE_LIMITED);
	T_EQ_INT("u-044", step(&c, &l, T0 + 20 + 1001), USAGE_OK);
	T_EQ_INT("u-045", (int)c.request_count, 1);
	/* a 429 costs no quota */
	memset(&c, 0, sizeof(c));
	q = rate(1, 1000, 0, 0);
	q.limited = 1;
	q.remaining = 5;
	usage_limits_seal(&q, T0);
	T_EQ_INT("u-046", step(&c, &q, T0), USAGE_OK);
	T_EQ_INT("u-047", step(&c, &q, T0 + 1), USAGE_RATE_LIMITED);
	T_EQ_INT("u-048", (int)c.remaining, 4);
	/* the IdP's count and last request are where the host starts */
	memset(&c, 0, sizeof(c));
	l = rate(3, 1000, 3, T0 - 100);
	T_EQ_INT("u-049", step(&c, &l, T0), USAGE_RATE_LIMITED);
	T_EQ_INT("u-050", step(&c, &l, T0 + 901), USAGE_OK);
	/* max 0 within the window: nothing passes after the first */
	memset(&c, 0, sizeof(c));
	l = rate(0, 1000, 0, T0);
	T_EQ_INT("u-051", step(&c, &l, T0 + 1), USAGE_RATE_LIMITED);
}

/* Runs fn in a child; 1 when it exited 0. */
static int
in_child(int (*fn)(void))
{
	pid_t p = fork();
	int st;

	if (p == 0)
		_exit(fn());
	if (p < 0 || waitpid(p, &st, 0) != p)
		return 0;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

static int
open_state(void)
{
	char err[256];

	if (usage_open(path, 0, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	return 0;
}

/* 200 uses of a key with remaining 100, by each of 4 processes at once. */
static int
race_one(void)
{
	struct usage_limits l = quota(100, 0, 0, T0);
	int64_t retry;
	int i, ok = 0;

	if (open_state() != 0)
		return 100;
	for (i = 0; i < 200; i++)
		ok += usage_key_use("key-race", &l, T0 + i, 1, &retry) ==
		    USAGE_OK;
	return ok > 100 ? 100 : ok;	/* the allowed uses, as exit code */
}

static int
race(void)
{
	pid_t p[4];
	int i, st, sum = 0;

	for (i = 0; i < 4; i++)
		if ((p[i] = fork()) == 0)
			_exit(race_one());
	for (i = 0; i < 4; i++) {
		if (p[i] < 0 || waitpid(p[i], &st, 0) != p[i] ||
		    !WIFEXITED(st))
			return 1;
		sum += WEXITSTATUS(st);
	}
	return sum == 100 ? 0 : 1;
}

/* The count of key-race after the processes ended: kept in the file. */
static int
kept(void)
{
	struct usage_count c;

	if (open_state() != 0 || usage_key_peek("key-race", &c) != 1)
		return 1;
	return c.uses == 100 && c.remaining == 0 ? 0 : 1;
}

/* A use of key-race's quota is refused now, by a new process. */
static int
still_exhausted(void)
{
	struct usage_limits l = quota(100, 0, 0, T0);
	int64_t retry;

	if (open_state() != 0)
		return 1;
	return usage_key_use("key-race", &l, T0 + 999, 1, &retry) ==
	    USAGE_EXHAUSTED ? 0 : 1;
}

/* `check` evaluates without counting. */
static int
evaluate_only(void)
{
	struct usage_limits l = quota(1, 0, 0, T0);
	int64_t retry;

	if (open_state() != 0)
		return 1;
	if (usage_key_use("key-eval", &l, T0, 0, &retry) != USAGE_OK ||
	    usage_key_use("key-eval", &l, T0, 0, &retry) != USAGE_OK ||
	    usage_key_use("key-eval", &l, T0, 1, &retry) != USAGE_OK ||
	    usage_key_use("key-eval", &l, T0, 0, &retry) != USAGE_EXHAUSTED)
		return 1;
	return 0;
}

/* Uses key-dead without end, until killed: most kills land while it
 * holds the slot's lock (the loop does little else). */
static int
user_forever(void)
{
	struct usage_limits l = quota(1000000000000LL, 0, 0, T0);
	int64_t retry;

	if (open_state() != 0)
		return 1;
	for (;;)
		(void)usage_key_use("key-dead", &l, T0, 1, &retry);
}

static int
killed_users(void)
{
	pid_t p;
	int i, st;

	for (i = 0; i < 20; i++) {
		if ((p = fork()) == 0)
			_exit(user_forever());
		usleep(20000);
		kill(p, SIGKILL);
		if (waitpid(p, &st, 0) != p || !WIFSIGNALED(st))
			return 1;
	}
	return 0;
}

/* After users died holding the lock, the key is still counted (an
 * alarm ends a use that would wait forever on a dead holder's lock). */
static int
after_death(void)
{
	struct usage_limits l = quota(1000000000000LL, 0, 0, T0);
	struct usage_count c0, c1;
	int64_t retry;
	int i, ok = 0;

	alarm(5);
	if (open_state() != 0 || usage_key_peek("key-dead", &c0) != 1)
		return 1;
	for (i = 0; i < 10; i++)
		ok += usage_key_use("key-dead", &l, T0, 1, &retry) ==
		    USAGE_OK;
	if (usage_key_peek("key-dead", &c1) != 1)
		return 1;
	return ok == 10 && c1.uses == c0.uses + 10 ? 0 : 1;
}

static int
throttle(void)
{
	int64_t retry;
	int i, started = 0;

	if (open_state() != 0)
		return 1;
	usage_throttle_set(3, 60, 300);
	if (usage_client_banned("10.0.0.1", 8, T0, &retry))
		return 2;
	for (i = 0; i < 3; i++)
		started += usage_client_failed("10.0.0.1", 8, T0 + i);
	if (started != 0 || usage_client_banned("10.0.0.1", 8, T0 + 3,
	    &retry))
		return 3;
	/* the fourth failure within the window starts one ban */
	if (usage_client_failed("10.0.0.1", 8, T0 + 4) != 1)
		return 4;
	if (!usage_client_banned("10.0.0.1", 8, T0 + 5, &retry) ||
	    retry != 300000 - 1)
		return 5;
	/* failures during the ban do not start another one */
	if (usage_client_failed("10.0.0.1", 8, T0 + 6) != 0)
		return 6;
	/* another address is not affected */
	if (usage_client_banned("10.0.0.2", 8, T0 + 5, &retry))
		return 7;
	/* the cool-down ends */
	if (usage_client_banned("10.0.0.1", 8, T0 + 4 + 300000, &retry))
		return 8;
	/* failures spread beyond the window never ban */
	for (i = 0; i < 10; i++)
		if (usage_client_failed("10.0.0.3", 8, T0 + i * 61000) != 0)
			return 9;
	if (usage_bans_total() != 1)
		return 10;
	/* off: nothing counts */
	usage_throttle_set(0, 60, 300);
	for (i = 0; i < 10; i++)
		if (usage_client_failed("10.0.0.4", 8, T0 + i) != 0)
			return 11;
	return 0;
}

/* Many addresses: the table reuses idle slots, never a running ban. */
static int
many_addresses(void)
{
	char a[32];
	int64_t retry;
	int i, j;

	if (open_state() != 0)
		return 1;
	usage_throttle_set(1, 60, 300);
	for (j = 0; j < 2; j++)
		(void)usage_client_failed("192.0.2.9", 9, T0 + j);
	if (!usage_client_banned("192.0.2.9", 9, T0 + 2, &retry))
		return 2;
	for (i = 0; i < 3 * USAGE_ADDR_SLOTS; i++) {
		int n = snprintf(a, sizeof(a), "2001:db8::%x", i);

		(void)usage_client_failed(a, (size_t)n, T0 + 10 + i);
	}
	return usage_client_banned("192.0.2.9", 9, T0 + 100000, &retry) ?
	    0 : 3;
}

/* A deferred file is made by the first use that needs it, not before. */
static int
deferred(void)
{
	struct usage_limits l = quota(2, 0, 0, T0);
	char err[256], p2[300];
	int64_t retry;

	snprintf(p2, sizeof(p2), "%s.later", path);
	unlink(p2);
	if (usage_open(p2, 1, err, sizeof(err)) != 0 || access(p2, F_OK) == 0)
		return 1;
	if (usage_key_use("key-later", &l, T0, 1, &retry) != USAGE_OK ||
	    access(p2, F_OK) != 0)
		return 2;
	unlink(p2);
	return 0;
}

static int
refuses_foreign(void)
{
	char err[256];

	return usage_open(path, 0, err, sizeof(err)) == 0 ? 1 : 0;
}

int
main(void)
{
	int fd;

	quota_cases();
	rate_cases();
	snprintf(path, sizeof(path), "%s/test_usage.%d.state",
	    getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", (int)getpid());
	unlink(path);
	T_CHECK("u-060", in_child(race));
	T_CHECK("u-061", in_child(kept));
	T_CHECK("u-062", in_child(still_exhausted));
	T_CHECK("u-063", in_child(evaluate_only));
	T_CHECK("u-064", in_child(killed_users));
	T_CHECK("u-065", in_child(after_death));
	T_CHECK("u-066", in_child(throttle));
	T_CHECK("u-067", in_child(many_addresses));
	T_CHECK("u-070", in_child(deferred));
	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	T_CHECK("u-068", fd >= 0 && write(fd, "not state", 9) == 9);
	if (fd >= 0)
		close(fd);
	T_CHECK("u-069", in_child(refuses_foreign));
	unlink(path);
	return t_done("test_usage");
}
