/*
 * store_member.h - authgate's own memberships (authgate_membership,
 * authgate_organization): the CLI's statements to add, list and remove
 * them. The decision reads them with store_read_authgate_member.
 */
#ifndef AUTHGATE_STORE_MEMBER_H
#define AUTHGATE_STORE_MEMBER_H

#include "store.h"

/* One membership row as the CLI lists it. Strings "" for NULL. */
struct store_member_row {
	long long	 id;
	char		 user_id[STORE_MAX_ID + 1];
	char		 email[STORE_MAX_EMAIL + 1];
	char		 org_id[STORE_MAX_ID + 1];
	char		 org_slug[STORE_MAX_SLUG + 1];
	char		 role[STORE_MAX_ROLES + 1];
	char		 created_at[64];
	int		 oversize;
};

/* Who a row is for: exactly one of user_id and email is non-NULL. */
struct store_member_who {
	const char	*user_id;
	const char	*email;
};

/*
 * Inside store_admin_begin (write): 1 when authgate's membership tables
 * are there, 0 when not (run `authgate init`), -1 error.
 */
int	store_member_tables(struct store *s) UTIL_MUST_CHECK;

/*
 * Adds the role in the organization with this slug, creating the
 * organization (id org_id, default the slug; name may be NULL) when no
 * organization has the slug. Returns 1 added, 0 the identity already
 * held that role there (nothing changed), -1 error (also: org_id names
 * another organization's id).
 */
int	store_member_add(struct store *s, const struct store_member_who *w,
	    const char *slug, const char *org_id, const char *name,
	    const char *role) UTIL_MUST_CHECK;

/*
 * Removes the identity's rows in the organization with this slug (only
 * those with role, when role is not NULL). Returns the number removed,
 * or -1 on error.
 */
long long store_member_remove(struct store *s,
	    const struct store_member_who *w, const char *slug,
	    const char *role) UTIL_MUST_CHECK;

/* Calls cb for every row, oldest first; cb returns 0 to go on. 0, or -1
 * on an error or when cb stopped. */
int	store_member_list(struct store *s,
	    int (*cb)(void *ctx, const struct store_member_row *r), void *ctx)
	    UTIL_MUST_CHECK;

#endif
