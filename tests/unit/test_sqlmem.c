/*
 * test_sqlmem.c - SQLite's allocator: sizes, reuse, realloc, the bound
 * on what the free lists keep, and a real database through it.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "harness.h"
#include "sqlmem.h"

#define KEEP_MAX	(7 * 64 * 1024)	/* classes x SQLMEM_LIST_BYTES */

static void
test_install(void)
{
	/* refused once SQLite runs: it keeps its own allocator */
	T_CHECK("mem-001", sqlite3_initialize() == SQLITE_OK);
	T_EQ_INT("mem-002", sqlmem_install(), -1);
	T_CHECK("mem-003", sqlite3_shutdown() == SQLITE_OK);
	T_CHECK("mem-004", sqlite3_config(SQLITE_CONFIG_SINGLETHREAD) ==
	    SQLITE_OK);
	T_EQ_INT("mem-005", sqlmem_install(), 0);
	T_CHECK("mem-006", sqlite3_initialize() == SQLITE_OK);
}

static void
test_blocks(void)
{
	static const int sizes[] = { 1, 7, 8, 31, 32, 33, 100, 1024, 2047,
		2048, 2049, 5000, 100000 };
	unsigned char *p, *q;
	size_t i;
	int ok = 1, aligned = 1;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		int n = sizes[i];

		p = sqlite3_malloc(n);
		if (p == NULL || sqlite3_msize(p) < (sqlite3_uint64)n)
			ok = 0;
		if (p != NULL && ((uintptr_t)p & 7) != 0)
			aligned = 0;
		if (p != NULL)
			memset(p, 0xa5, (size_t)sqlite3_msize(p));
		sqlite3_free(p);
	}
	T_CHECK("mem-010", ok);		/* usable size covers the request */
	T_CHECK("mem-011", aligned);	/* 8-byte aligned, as SQLite needs */

	/* a freed small block is the next one of its class */
	p = sqlite3_malloc(40);
	sqlite3_free(p);
	q = sqlite3_malloc(60);
	T_CHECK("mem-012", p == q);
	T_EQ_INT("mem-013", sqlite3_msize(q), 64);
	sqlite3_free(q);

	/* realloc keeps the bytes, in place while they fit */
	p = sqlite3_malloc(20);
	memcpy(p, "0123456789abcdefghi", 20);
	q = sqlite3_realloc(p, 30);
	T_CHECK("mem-014", q == p);
	p = sqlite3_realloc(q, 3000);
	T_CHECK("mem-015", p != NULL && memcmp(p, "0123456789abcdefghi",
	    20) == 0);
	q = sqlite3_realloc(p, 200000);
	T_CHECK("mem-016", q != NULL && memcmp(q, "0123456789abcdefghi",
	    20) == 0);
	sqlite3_free(q);
	sqlite3_free(NULL);		/* as free(NULL) */
	T_CHECK("mem-017", 1);
}

/* A burst of frees keeps at most the bound; the rest goes back. */
static void
test_bound(void)
{
	static void *p[20000];
	size_t i;

	for (i = 0; i < 20000; i++)
		p[i] = sqlite3_malloc((int)(16 + i % 2000));
	for (i = 0; i < 20000; i++)
		sqlite3_free(p[i]);
	T_CHECK("mem-020", sqlmem_cached() > 0);
	T_CHECK("mem-021", sqlmem_cached() <= KEEP_MAX);
}

static void
test_database(void)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	long long sum = 0;
	int rc, i;

	rc = sqlite3_open(":memory:", &db);
	T_CHECK("mem-030", rc == SQLITE_OK);
	rc = sqlite3_exec(db, "CREATE TABLE t (id INTEGER PRIMARY KEY,"
	    " v TEXT); CREATE INDEX t_v ON t(v)", NULL, NULL, NULL);
	T_CHECK("mem-031", rc == SQLITE_OK);
	rc = sqlite3_prepare_v2(db, "INSERT INTO t (id, v) VALUES (?1,"
	    " substr(hex(zeroblob(1500)), 1, ?1 % 3000) || ?1)", -1, &st, NULL);
	for (i = 1; rc == SQLITE_OK && i <= 5000; i++) {
		sqlite3_bind_int(st, 1, i);
		rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	T_CHECK("mem-032", rc == SQLITE_OK);
	rc = sqlite3_prepare_v2(db, "SELECT sum(length(v)), group_concat(v)"
	    " IS NOT NULL FROM (SELECT v FROM t ORDER BY v DESC)", -1, &st,
	    NULL);
	if (rc == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		sum = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	/* sum over i of (i % 3000) + digits(i) */
	{
		long long want = 0;

		for (i = 1; i <= 5000; i++)
			want += i % 3000 + (i < 10 ? 1 : i < 100 ? 2 :
			    i < 1000 ? 3 : 4);
		T_EQ_INT("mem-033", sum, want);
	}
	T_CHECK("mem-034", sqlite3_close(db) == SQLITE_OK);
	T_CHECK("mem-035", sqlmem_cached() <= KEEP_MAX);
	/* shutdown gives the free lists back */
	T_CHECK("mem-036", sqlite3_shutdown() == SQLITE_OK);
	T_EQ_INT("mem-037", sqlmem_cached(), 0);
}

int
main(void)
{
	test_install();
	test_blocks();
	test_bound();
	test_database();
	return t_done("test_sqlmem");
}
