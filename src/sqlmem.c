/*
 * sqlmem.c - the allocator SQLite uses in this process.
 *
 * Debian builds SQLite without lookaside (SQLITE_OMIT_LOOKASIDE), so one
 * statement step mallocs and frees its cursors and values: about 25 pairs
 * per decision, a tenth of its cost. Here freed small blocks wait on one
 * free list per size class and are handed out again without entering
 * malloc. Larger blocks go straight to malloc. A list holds at most
 * SQLMEM_LIST_BYTES, the rest goes back to free(): a burst (an import, a
 * big sort) does not pin memory.
 *
 * Trusts: one thread per process (sqlmem_install is called before SQLite
 * is first used, together with SQLITE_CONFIG_SINGLETHREAD).
 * Never: locks, or hands one block out twice. Under AddressSanitizer the
 * body of a block on a free list is poisoned, so a use after free shows.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "sqlmem.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define POISON(p, n)	ASAN_POISON_MEMORY_REGION((p), (n))
#define UNPOISON(p, n)	ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define POISON(p, n)	((void)(p), (void)(n))
#define UNPOISON(p, n)	((void)(p), (void)(n))
#endif

#define HDR		8	/* the usable size, before the block; keeps
				 * SQLite's 8-byte alignment */
#define MIN_SHIFT	5	/* smallest class: 32 bytes */
#define NCLASS		7	/* 32 .. 2048 bytes: a cursor, a value, a
				 * record; pages come from the page cache */
#define SMALL_MAX	((size_t)1 << (MIN_SHIFT + NCLASS - 1))
#define SQLMEM_LIST_BYTES (64 * 1024)	/* kept per class, at most */

/*
 * A block on a free list keeps its header, which then holds the link to
 * the next one (the header's start, which is what malloc returned), so
 * the leak checker still sees every cached block; only the body is
 * poisoned.
 */
static void		*list[NCLASS];
static size_t		 count[NCLASS];

static int
class_of(size_t n)
{
	int c = 0;

	while (((size_t)1 << (MIN_SHIFT + c)) < n)
		c++;
	return c;
}

static size_t
class_size(int c)
{
	return (size_t)1 << (MIN_SHIFT + c);
}

static size_t *
header(void *p)
{
	return (size_t *)(void *)((char *)p - HDR);
}

static void *
mem_malloc(int n)
{
	size_t want = n > 0 ? (size_t)n : 1, size;
	size_t *h;

	if (want <= SMALL_MAX) {
		int c = class_of(want);

		size = class_size(c);
		if ((h = list[c]) != NULL) {
			list[c] = *(void **)h;
			count[c]--;
			*h = size;
			UNPOISON((char *)h + HDR, size);
			return (char *)h + HDR;
		}
	} else {
		size = (want + 7) & ~(size_t)7;
	}
	if ((h = malloc(HDR + size)) == NULL)
		return NULL;
	*h = size;
	return (char *)h + HDR;
}

static void
mem_free(void *p)
{
	size_t *h, size;

	if (p == NULL)
		return;
	h = header(p);
	size = *h;
	if (size <= SMALL_MAX) {
		int c = class_of(size);

		if (count[c] * size < SQLMEM_LIST_BYTES) {
			POISON(p, size);
			*(void **)h = list[c];
			list[c] = h;
			count[c]++;
			return;
		}
	}
	free(h);
}

static int
mem_size(void *p)
{
	return p == NULL ? 0 : (int)*header(p);
}

static void *
mem_realloc(void *p, int n)
{
	size_t have = *header(p);
	void *q;

	if (n > 0 && (size_t)n <= have)
		return p;
	if ((q = mem_malloc(n)) == NULL)
		return NULL;
	memcpy(q, p, have);
	mem_free(p);
	return q;
}

static int
mem_roundup(int n)
{
	size_t want = n > 0 ? (size_t)n : 1;

	if (want <= SMALL_MAX)
		return (int)class_size(class_of(want));
	return (int)((want + 7) & ~(size_t)7);
}

static int
mem_init(void *unused)
{
	(void)unused;
	return SQLITE_OK;
}

static void
mem_shutdown(void *unused)
{
	int c;

	(void)unused;
	for (c = 0; c < NCLASS; c++) {
		while (list[c] != NULL) {
			void *h = list[c];

			list[c] = *(void **)h;
			UNPOISON((char *)h + HDR, class_size(c));
			free(h);
		}
		count[c] = 0;
	}
}

static const sqlite3_mem_methods methods = {
	mem_malloc, mem_free, mem_realloc, mem_size, mem_roundup,
	mem_init, mem_shutdown, NULL
};

int
sqlmem_install(void)
{
	return sqlite3_config(SQLITE_CONFIG_MALLOC, &methods) == SQLITE_OK ?
	    0 : -1;
}

size_t
sqlmem_cached(void)
{
	size_t n = 0;
	int c;

	for (c = 0; c < NCLASS; c++)
		n += count[c] * class_size(c);
	return n;
}
