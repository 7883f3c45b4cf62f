/*
 * doctor.h - the deployment checks of `authgate doctor`, as a report of
 * findings the CLI prints. Reads files and the environment; measures
 * secrets without showing them.
 */
#ifndef AUTHGATE_DOCTOR_H
#define AUTHGATE_DOCTOR_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

#define DOCTOR_MAX_FINDINGS	96	/* doctor: a few per check */
#define DOCTOR_MAX_TEXT		512	/* one finding's what / fix */
#define DOCTOR_MIN_WEBHOOK_SECRET 24	/* svix/whsec_ secrets are 24 bytes */
#define DOCTOR_CLOCK_SKEW_MS	(5LL * 60 * 1000)	/* beyond this, say so */
#define DOCTOR_CLOCK_FLOOR_MS	1704067200000LL	/* 2024-01-01: older is unset */

enum doctor_level {
	DOCTOR_OK = 0,
	DOCTOR_WARN,
	DOCTOR_FAIL
};

struct doctor_finding {
	enum doctor_level level;
	char		 check[24];		/* stable id: "db.read", ... */
	char		 what[DOCTOR_MAX_TEXT];
	char		 fix[DOCTOR_MAX_TEXT];	/* "" for ok */
};

struct doctor_report {
	struct doctor_finding	f[DOCTOR_MAX_FINDINGS];
	size_t			n;
	size_t			count[3];	/* by level */
};

/* Appends a finding (dropped silently past DOCTOR_MAX_FINDINGS; counted
 * anyway). fix may be NULL. */
void	doctor_report_add(struct doctor_report *r, enum doctor_level level,
	    const char *check, const char *fix, const char *fmt, ...)
	    __attribute__((format(printf, 5, 6)));

/* Level name: "ok", "warn", "fail". */
const char	*doctor_level_name(enum doctor_level l);

/*
 * File checks for the database at db as seen by the account user (the
 * web server's): the account exists, the file exists and is readable
 * through every directory, the directory is writable for the -wal and
 * -shm files of a WAL database, no file is world-readable or writable.
 * Sets *exists to whether the database file exists. group NULL: the
 * account's own groups (a server spawns authgate); else that group alone,
 * as `authgate serve --user U --group G` runs. A fix names only a group
 * that exists: G, or the account's primary group.
 */
void	doctor_files(struct doctor_report *r, const char *db,
	    const char *user, const char *group, int *exists);

/*
 * Secret checks from the environment (as config_load and the webhook
 * read it): BETTER_AUTH_SECRET set, long enough, not the demo one; a
 * webhook secret present and long enough; secret files readable by
 * user and by nobody else. Never reports a secret's value.
 */
void	doctor_secrets(struct doctor_report *r, const char *user,
	    const char *group);

/*
 * Checks on an open store inside store_admin_begin: schema, journal
 * mode, integrity, views, rules (present, valid, none shadowed), and
 * the clock against now_ms and the newest times in the data.
 */
void	doctor_store(struct doctor_report *r, struct store *s,
	    const char *db, int64_t now_ms);

#endif
