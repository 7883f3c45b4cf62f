/*
 * store_member.c - the CLI's statements on authgate's own memberships
 * (authgate_membership, authgate_organization; db/schema.sql says what
 * they mean). Runs on the CLI's handles inside store_admin_begin. Never
 * touches an IdP's tables: an Auth.js adapter's user and session tables
 * are only ever read, by the decision.
 */
#include <string.h>

#include "db.h"
#include "store_member.h"

static const char sql_org_add[] =
    "INSERT INTO authgate_organization (id, slug, name) SELECT ?1, ?2, ?3"
    " WHERE NOT EXISTS (SELECT 1 FROM authgate_organization WHERE slug = ?2)";
static const char sql_org_check[] =
    "SELECT 1 FROM authgate_organization WHERE slug = ?1";
/* Same identity, organization and role: already there, nothing added. */
static const char sql_add[] =
    "INSERT INTO authgate_membership (user_id, email, organization_id, role)"
    " SELECT ?1, ?2, o.id, ?4 FROM authgate_organization o WHERE o.slug = ?3"
    " AND NOT EXISTS (SELECT 1 FROM authgate_membership m WHERE"
    " m.organization_id = o.id AND m.role = ?4 AND (m.user_id = ?1 OR"
    " m.email = ?2))";
static const char sql_remove[] =
    "DELETE FROM authgate_membership WHERE organization_id = (SELECT id"
    " FROM authgate_organization WHERE slug = ?3) AND (user_id = ?1 OR"
    " email = ?2) AND (?4 IS NULL OR role = ?4)";
static const char sql_list[] =
    "SELECT m.id, m.user_id, m.email, m.organization_id, o.slug, m.role,"
    " m.created_at FROM authgate_membership m LEFT JOIN"
    " authgate_organization o ON o.id = m.organization_id ORDER BY m.id";

int
store_member_tables(struct store *s)
{
	int a, b;

	if ((a = schema_has_table(s, "authgate_membership")) < 0 ||
	    (b = schema_has_table(s, "authgate_organization")) < 0)
		return -1;
	return a && b;
}

/* Binds ?1 user id, ?2 email, ?3 slug, ?4 role. */
static void
bind_who(sqlite3_stmt *st, const struct store_member_who *w,
    const char *slug, const char *role)
{
	db_bind_text(st, 1, w->user_id);
	db_bind_text(st, 2, w->email);
	db_bind_text(st, 3, slug);
	db_bind_text(st, 4, role);
}

int
store_member_add(struct store *s, const struct store_member_who *w,
    const char *slug, const char *org_id, const char *name, const char *role)
{
	sqlite3_stmt *st;

	if ((st = db_stmt(s, sql_org_add)) == NULL)
		return -1;
	db_bind_text(st, 1, org_id != NULL ? org_id : slug);
	db_bind_text(st, 2, slug);
	db_bind_text(st, 3, name);
	if (db_run(s, st, "organization insert") != 0)
		return -1;
	if (db_query_text(s, sql_org_check, slug, NULL, NULL, 0) != 1)
		return -1;
	if ((st = db_stmt(s, sql_add)) == NULL)
		return -1;
	bind_who(st, w, slug, role);
	if (db_run(s, st, "membership insert") != 0)
		return -1;
	return sqlite3_changes(s->db) > 0;
}

long long
store_member_remove(struct store *s, const struct store_member_who *w,
    const char *slug, const char *role)
{
	sqlite3_stmt *st;

	if ((st = db_stmt(s, sql_remove)) == NULL)
		return -1;
	bind_who(st, w, slug, role);
	if (db_run(s, st, "membership delete") != 0)
		return -1;
	return sqlite3_changes(s->db);
}

struct list_ctx {
	int	(*cb)(void *ctx, const struct store_member_row *r);
	void	*ctx;
};

static int
list_row(void *ctx, sqlite3_stmt *st)
{
	struct list_ctx *lc = ctx;
	struct store_member_row r;

	memset(&r, 0, sizeof(r));
	r.id = sqlite3_column_int64(st, 0);
	db_col_text(st, 1, r.user_id, sizeof(r.user_id), &r.oversize);
	db_col_text(st, 2, r.email, sizeof(r.email), &r.oversize);
	db_col_text(st, 3, r.org_id, sizeof(r.org_id), &r.oversize);
	db_col_text(st, 4, r.org_slug, sizeof(r.org_slug), &r.oversize);
	db_col_text(st, 5, r.role, sizeof(r.role), &r.oversize);
	db_col_text(st, 6, r.created_at, sizeof(r.created_at), &r.oversize);
	return lc->cb(lc->ctx, &r);
}

int
store_member_list(struct store *s,
    int (*cb)(void *ctx, const struct store_member_row *r), void *ctx)
{
	struct list_ctx lc = { cb, ctx };
	sqlite3_stmt *st;

	if ((st = db_stmt(s, sql_list)) == NULL)
		return -1;
	return db_each(s, st, "membership list", list_row, &lc);
}
