/*
 * sqlmem.h - SQLite's allocator in this process: free lists per size
 * class in front of malloc (Debian's SQLite has no lookaside).
 */
#ifndef AUTHGATE_SQLMEM_H
#define AUTHGATE_SQLMEM_H

#include <stddef.h>

/*
 * Makes SQLite allocate through sqlmem. Call once, before SQLite is
 * initialised, in a process with one thread. Returns 0, or -1 when
 * SQLite refuses (already initialised): it then keeps its own, which is
 * slower and as correct.
 */
int	sqlmem_install(void);

/* Bytes waiting on the free lists (for tests and the bench). */
size_t	sqlmem_cached(void);

#endif
