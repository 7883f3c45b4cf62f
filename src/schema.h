/*
 * schema.h - creating, migrating and checking the schema (`authgate
 * init`, `authgate doctor`).
 */
#ifndef AUTHGATE_SCHEMA_H
#define AUTHGATE_SCHEMA_H

#include <stddef.h>

#include "store.h"

/*
 * Creates or migrates the schema (read-write handles only). On a
 * database that already holds better-auth's tables only authgate's own
 * tables are added. Writes the version and sets WAL on a new database.
 * Returns 0, or -1 with a reason in err.
 */
int	store_init(struct store *s, const char *ba_sql, const char *ag_sql,
	    char *err, size_t errsz) UTIL_MUST_CHECK;

/* The schema version recorded by init, 0 if none, -1 on error. */
int	store_schema_version(struct store *s) UTIL_MUST_CHECK;

/*
 * The views store_init left out because this database lacks a table or
 * column they need (comma separated, "" when none). Valid until the next
 * store_init or store_close.
 */
const char	*store_init_skipped(const struct store *s);

#endif
