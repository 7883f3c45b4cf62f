/*
 * harness.h - the unit-test harness: one binary per module, stable case
 * ids, one line per failure, a closing "N passed, N failed" line that
 * tests/run.sh adds up. A case id never changes meaning; new cases get
 * new ids.
 */
#ifndef AUTHGATE_HARNESS_H
#define AUTHGATE_HARNESS_H

#include <stdio.h>
#include <string.h>

static int t_pass, t_fail;

#define T_CHECK(id, cond) do {						\
	if (cond) {							\
		t_pass++;						\
	} else {							\
		t_fail++;						\
		printf("FAIL %s (%s:%d): %s\n", (id), __FILE__,	\
		    __LINE__, #cond);					\
	}								\
} while (0)

#define T_EQ_INT(id, got, want) do {					\
	long long t_g = (long long)(got), t_w = (long long)(want);	\
	if (t_g == t_w) {						\
		t_pass++;						\
	} else {							\
		t_fail++;						\
		printf("FAIL %s (%s:%d): %s = %lld, want %lld\n",	\
		    (id), __FILE__, __LINE__, #got, t_g, t_w);		\
	}								\
} while (0)

#define T_EQ_STR(id, got, want) do {					\
	const char *t_g = (got), *t_w = (want);				\
	if (t_g != NULL && t_w != NULL && strcmp(t_g, t_w) == 0) {	\
		t_pass++;						\
	} else {							\
		t_fail++;						\
		printf("FAIL %s (%s:%d): %s = \"%s\", want \"%s\"\n",	\
		    (id), __FILE__, __LINE__, #got,			\
		    t_g ? t_g : "(null)", t_w ? t_w : "(null)");	\
	}								\
} while (0)

/* Prints the closing line; returns the process exit code. */
static int
t_done(const char *suite)
{
	printf("%s: %d passed, %d failed\n", suite, t_pass, t_fail);
	return t_fail == 0 && t_pass > 0 ? 0 : 1;
}

#endif
