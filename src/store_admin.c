/*
 * store_admin.c - the CLI's statements: transactions for a command, who
 * owns a key, key and rule administration, the counts of `stats` and
 * `doctor`, the integrity check.
 *
 * Runs on handles the CLI opened (read-only, or read-write without
 * creating the file). No statement here selects apikey.key or a session
 * token: what the CLI prints is never a secret.
 */
#include <stdio.h>
#include <string.h>

#include "db.h"
#include "store_admin.h"
#include "schema.h"
#include "store_read.h"


/* The columns of struct store_key_row, for either owner column. */
#define KEY_COLS(owner) \
    "k.id, k.name, k.start, k.prefix, k." owner ", " \
    DB_KEY_META("organizationId") ", " DB_KEY_META("role") ", k.enabled, k.expiresAt," \
    " k.createdAt"

enum wstmt_id {
	W_OWNER_USER,
	W_MEMBER_ROLES,
	W_KEY_LIST_REF,
	W_KEY_LIST_USER,
	W_KEY_GET_REF,
	W_KEY_GET_USER,
	W_KEY_INSERT_REF,
	W_KEY_INSERT_USER,
	W_KEY_ROTATE_REF,
	W_KEY_ROTATE_USER,
	W_KEY_ENABLE,
	W_KEY_ROLE_GET,
	W_KEY_ROLE_SET,
	W_KEY_ROLE_COPY,
	W_RULE_INSERT,
	W_RULE_UPDATE,
	W_RULE_DELETE,
	W_N_USERS,
	W_N_ORGS,
	W_N_MEMBERS,
	W_N_RULES,
	W_N_EVENTS,
	W_LAST_EVENT,
	W_SESSION_TIMES,
	W_SESSION_TIMES_AUTHJS,
	W_KEY_STATES,
	W_JOURNAL_MODE,
	W_PAGE_COUNT,
	W_PAGE_SIZE,
	W_FREELIST,
	W_N_VIEWS,
	W_QUICK_CHECK,
	W_COUNT
};

static const char *const wsql[W_COUNT] = {
	[W_OWNER_USER] = "SELECT 1 FROM \"user\" WHERE id = ?1",
	[W_MEMBER_ROLES] = "SELECT role FROM member WHERE organizationId = ?1"
	    " AND userId = ?2 ORDER BY createdAt LIMIT 1",
	[W_KEY_LIST_REF] = "SELECT " KEY_COLS("referenceId") " FROM apikey k"
	    " ORDER BY k.createdAt, k.id",
	[W_KEY_LIST_USER] = "SELECT " KEY_COLS("userId") " FROM apikey k"
	    " ORDER BY k.createdAt, k.id",
	[W_KEY_GET_REF] = "SELECT " KEY_COLS("referenceId") " FROM apikey k"
	    " WHERE k.id = ?1",
	[W_KEY_GET_USER] = "SELECT " KEY_COLS("userId") " FROM apikey k"
	    " WHERE k.id = ?1",
	[W_KEY_INSERT_REF] = "INSERT INTO apikey (id, configId, name, start,"
	    " referenceId, prefix, key, enabled, expiresAt, createdAt,"
	    " updatedAt, metadata, rateLimitEnabled, requestCount)"
	    " VALUES (?1, 'default', ?2, ?3, ?4, ?5, ?6, 1, ?7, ?8, ?8, ?9, 0, 0)",
	[W_KEY_INSERT_USER] = "INSERT INTO apikey (id, name, start, userId,"
	    " prefix, key, enabled, expiresAt, createdAt, updatedAt, metadata)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, 1, ?7, ?8, ?8, ?9)",
	[W_KEY_ROTATE_REF] = "INSERT INTO apikey (id, configId, name, start,"
	    " referenceId, prefix, key, refillInterval, refillAmount,"
	    " lastRefillAt, enabled, rateLimitEnabled, rateLimitTimeWindow,"
	    " rateLimitMax, requestCount, remaining, lastRequest, expiresAt,"
	    " createdAt, updatedAt, permissions, metadata)"
	    " SELECT ?2, configId, name, ?3, referenceId, ?4, ?5,"
	    " refillInterval, refillAmount, lastRefillAt, 1, rateLimitEnabled,"
	    " rateLimitTimeWindow, rateLimitMax, 0, remaining, NULL, ?6, ?7, ?7,"
	    " permissions, metadata FROM apikey WHERE id = ?1",
	[W_KEY_ROTATE_USER] = "INSERT INTO apikey (id, name, start, userId,"
	    " prefix, key, enabled, expiresAt, createdAt, updatedAt,"
	    " permissions, metadata) SELECT ?2, name, ?3, userId, ?4, ?5, 1, ?6,"
	    " ?7, ?7, permissions, metadata FROM apikey WHERE id = ?1",
	[W_KEY_ENABLE] = "UPDATE apikey SET enabled = ?2, updatedAt = ?3"
	    " WHERE id = ?1",
	[W_KEY_ROLE_GET] = "SELECT role FROM authgate_key_role WHERE key_id = ?1",
	[W_KEY_ROLE_SET] = "INSERT OR REPLACE INTO authgate_key_role (key_id,"
	    " role, granted_at) VALUES (?1, ?2, ?3)",
	[W_KEY_ROLE_COPY] = "INSERT OR REPLACE INTO authgate_key_role (key_id,"
	    " role, granted_at, note) SELECT ?2, role, ?3, note FROM"
	    " authgate_key_role WHERE key_id = ?1",
	[W_RULE_INSERT] = "INSERT INTO authgate_rule (priority, method, path,"
	    " access, min_role, on_deny, redirect_to, note, require_permission)"
	    " VALUES (:priority, :method, :path, :access, :min_role,"
	    " coalesce(:on_deny, 'auto'), :redirect_to, :note, :perm)",
	[W_RULE_UPDATE] = "UPDATE authgate_rule SET priority = :priority,"
	    " method = :method, path = :path, access = :access, min_role ="
	    " :min_role, on_deny = coalesce(:on_deny, 'auto'), redirect_to ="
	    " :redirect_to, note = :note, require_permission = :perm WHERE id ="
	    " :id",
	[W_RULE_DELETE] = "DELETE FROM authgate_rule WHERE id = ?1",
	[W_N_USERS] = "SELECT count(*) FROM \"user\"",
	[W_N_ORGS] = "SELECT count(*) FROM organization",
	[W_N_MEMBERS] = "SELECT count(*) FROM member",
	[W_N_RULES] = "SELECT count(*) FROM authgate_rule",
	[W_N_EVENTS] = "SELECT count(*), coalesce(sum(received_at >= ?1), 0)"
	    " FROM authgate_event",
	[W_LAST_EVENT] = "SELECT received_at, type FROM authgate_event"
	    " ORDER BY received_at DESC LIMIT 1",
	[W_SESSION_TIMES] = "SELECT expiresAt, updatedAt, createdAt FROM session",
	/* an Auth.js adapter's session table: an expiry, no other dates */
	[W_SESSION_TIMES_AUTHJS] = "SELECT expires, NULL, NULL FROM session",
	[W_KEY_STATES] = "SELECT enabled, expiresAt FROM apikey",
	[W_JOURNAL_MODE] = "PRAGMA journal_mode",
	[W_PAGE_COUNT] = "PRAGMA page_count",
	[W_PAGE_SIZE] = "PRAGMA page_size",
	[W_FREELIST] = "PRAGMA freelist_count",
	[W_N_VIEWS] = "SELECT count(*) FROM sqlite_schema WHERE type = 'view'"
	    " AND name LIKE 'authgate\\_%' ESCAPE '\\'",
	[W_QUICK_CHECK] = "PRAGMA quick_check(1)",
};

static const char sql_touch[] = "PRAGMA schema_version";

int
store_admin_begin(struct store *s, int write)
{
	long long v;

	if (db_begin(s, write ? DB_TX_WRITE : DB_TX_READ) != 0)
		return -1;
	/* Touch the file now: a missing, locked or corrupt database shows
	 * itself here, not halfway through a command. */
	if (db_query_int(s, sql_touch, NULL, &v) != 0) {
		db_abort(s);
		return -1;
	}
	return 0;
}

int
store_admin_end(struct store *s, int commit)
{
	return db_end(s, commit) == 0 ? 0 : -1;
}

int
store_owner_kind(struct store *s, const char *id)
{
	int rc;

	if ((rc = db_query_text(s, wsql[W_OWNER_USER], id, NULL, NULL, 0)) != 0)
		return rc < 0 ? -1 : STORE_OWNER_USER;
	if ((rc = store_org_exists(s, id)) != 0)
		return rc < 0 ? -1 : STORE_OWNER_ORG;
	return STORE_OWNER_NONE;
}

int
store_member_roles(struct store *s, const char *org_id, const char *user_id,
    char *roles, size_t rolesz)
{
	int rc;

	if ((rc = schema_has_column(s, "member", "role")) != 1)
		return rc;
	return db_query_text(s, wsql[W_MEMBER_ROLES], org_id, user_id, roles, rolesz);
}

/*
 * Which owner column this database's apikey table has: 1 referenceId
 * (better-auth 1.4+, authgate's schema), 2 userId (older), 0 no usable
 * apikey table, -1 error.
 */
static int
key_variant(struct store *s)
{
	int rc;

	if ((rc = schema_has_column(s, "apikey", "key")) != 1)
		return rc;
	if ((rc = schema_has_column(s, "apikey", "referenceId")) != 0)
		return rc;
	if ((rc = schema_has_column(s, "apikey", "userId")) != 1)
		return rc;
	return 2;
}

static int
no_key_table(struct store *s)
{
	s->last_kind = STORE_ERR_SCHEMA;
	snprintf(s->last_msg, sizeof(s->last_msg), "no apikey table");
	return -1;
}

static void
key_from(struct store *s, sqlite3_stmt *st, struct store_key_row *k)
{
	int kind;

	memset(k, 0, sizeof(*k));
	db_col_text(st, 0, k->id, sizeof(k->id), &k->oversize);
	db_col_text(st, 1, k->name, sizeof(k->name), &k->oversize);
	db_col_text(st, 2, k->start, sizeof(k->start), &k->oversize);
	db_col_text(st, 3, k->prefix, sizeof(k->prefix), &k->oversize);
	db_col_text(st, 4, k->owner, sizeof(k->owner), &k->oversize);
	db_col_text(st, 5, k->org, sizeof(k->org), &k->oversize);
	db_col_text(st, 6, k->role, sizeof(k->role), &k->oversize);
	k->enabled = db_col_bool(st, 7, 0);
	db_col_time(st, 8, &k->expires);
	db_col_time(st, 9, &k->created);
	kind = k->owner[0] != '\0' ? store_owner_kind(s, k->owner) : 0;
	k->owner_kind = kind > 0 ? (enum store_owner)kind : STORE_OWNER_NONE;
	/* An organization's key holds the role an admin granted it, never
	 * its metadata's (the decision reads it the same way). */
	if (k->owner_kind == STORE_OWNER_ORG) {
		k->role[0] = '\0';
		if (db_query_text(s, wsql[W_KEY_ROLE_GET], k->id, NULL, k->role,
		    sizeof(k->role)) < 0)
			k->role[0] = '\0';
	}
}

int
store_key_find(struct store *s, const char *id, struct store_key_row *out)
{
	sqlite3_stmt *st;
	int v, rc;

	memset(out, 0, sizeof(*out));
	if ((v = key_variant(s)) <= 0)
		return v < 0 ? -1 : 0;
	if ((st = db_stmt(s, wsql[v == 1 ? W_KEY_GET_REF : W_KEY_GET_USER])) == NULL)
		return -1;
	db_bind_text(st, 1, id);
	rc = db_step_row(s, st, "key get");
	if (rc == 1)
		key_from(s, st, out);
	db_done(st);
	return rc;
}

struct key_walk {
	struct store	*s;
	int		(*cb)(void *ctx, const struct store_key_row *row);
	void		*ctx;
};

static int
key_row(void *ctx, sqlite3_stmt *st)
{
	struct key_walk *w = ctx;
	struct store_key_row k;

	key_from(w->s, st, &k);
	return w->cb(w->ctx, &k);
}

int
store_key_list(struct store *s,
    int (*cb)(void *ctx, const struct store_key_row *row), void *ctx)
{
	struct key_walk w = { s, cb, ctx };
	sqlite3_stmt *st;
	int v;

	if ((v = key_variant(s)) <= 0)
		return v < 0 ? -1 : 1;
	if ((st = db_stmt(s, wsql[v == 1 ? W_KEY_LIST_REF : W_KEY_LIST_USER])) == NULL)
		return -1;
	return db_each(s, st, "key list", key_row, &w);
}

static void
bind_key(sqlite3_stmt *st, const struct store_key_new *k)
{
	db_bind_text(st, 1, k->id);
	db_bind_text(st, 2, k->name);
	db_bind_text(st, 3, k->start);
	db_bind_text(st, 4, k->owner);
	db_bind_text(st, 5, k->prefix);
	db_bind_text(st, 6, k->hash);
	db_bind_text(st, 7, k->expires_at);
	db_bind_text(st, 8, k->now);
	db_bind_text(st, 9, k->metadata);
}

int
store_key_insert(struct store *s, const struct store_key_new *k)
{
	sqlite3_stmt *st;
	int v;

	if ((v = key_variant(s)) <= 0)
		return v < 0 ? -1 : no_key_table(s);
	if ((st = db_stmt(s, wsql[v == 1 ? W_KEY_INSERT_REF : W_KEY_INSERT_USER])) ==
	    NULL)
		return -1;
	bind_key(st, k);
	return db_run(s, st, "key insert") == 0 ? 0 : -1;
}

int
store_key_rotate(struct store *s, const char *old_id,
    const struct store_key_new *k)
{
	sqlite3_stmt *st;
	int v;

	if ((v = key_variant(s)) <= 0)
		return v < 0 ? -1 : no_key_table(s);
	if ((st = db_stmt(s, wsql[v == 1 ? W_KEY_ROTATE_REF : W_KEY_ROTATE_USER])) ==
	    NULL)
		return -1;
	db_bind_text(st, 1, old_id);
	db_bind_text(st, 2, k->id);
	db_bind_text(st, 3, k->start);
	db_bind_text(st, 4, k->prefix);
	db_bind_text(st, 5, k->hash);
	db_bind_text(st, 6, k->expires_at);
	db_bind_text(st, 7, k->now);
	if (db_run(s, st, "key rotate") != 0)
		return -1;
	if (sqlite3_changes(s->db) == 0)
		return 0;
	/* the new key keeps an organization key's granted role */
	if ((st = db_stmt(s, wsql[W_KEY_ROLE_COPY])) != NULL) {
		db_bind_text(st, 1, old_id);
		db_bind_text(st, 2, k->id);
		db_bind_text(st, 3, k->now);
		if (db_run(s, st, "key role copy") != 0)
			return -1;
	}
	return store_key_set_enabled(s, old_id, 0, k->now) == 1 ? 1 : -1;
}

int
store_key_role_set(struct store *s, const char *key_id, const char *role,
    const char *now)
{
	sqlite3_stmt *st = db_stmt(s, wsql[W_KEY_ROLE_SET]);

	if (st == NULL)
		return -1;
	db_bind_text(st, 1, key_id);
	db_bind_text(st, 2, role);
	db_bind_text(st, 3, now);
	return db_run(s, st, "key role") == 0 ? 0 : -1;
}

int
store_key_set_enabled(struct store *s, const char *id, int enabled,
    const char *now)
{
	sqlite3_stmt *st;
	int v;

	if ((v = key_variant(s)) <= 0)
		return v < 0 ? -1 : 0;
	if ((st = db_stmt(s, wsql[W_KEY_ENABLE])) == NULL)
		return -1;
	db_bind_text(st, 1, id);
	sqlite3_bind_int(st, 2, enabled != 0);
	db_bind_text(st, 3, now);
	if (db_run(s, st, "key enable") != 0)
		return -1;
	return sqlite3_changes(s->db) > 0;
}

/* Binds a rule row to the named parameters of an insert or update (an
 * insert has no :id). */
static void
bind_rule(sqlite3_stmt *st, const struct store_rule_row *r)
{
	static const char *const names[] = { ":method", ":path", ":access",
	    ":min_role", ":on_deny", ":redirect_to", ":note", ":perm" };
	const char *v[] = { r->t.method, r->t.path, r->t.access,
	    r->t.min_role, r->t.on_deny, r->t.redirect_to, r->note,
	    r->t.require_permission };
	size_t i;
	int k;

	if ((k = sqlite3_bind_parameter_index(st, ":id")) > 0)
		sqlite3_bind_int64(st, k, r->t.id);
	sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st, ":priority"),
	    r->t.priority);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		db_bind_text(st, sqlite3_bind_parameter_index(st, names[i]),
		    v[i]);
}

int
store_rule_insert(struct store *s, const struct store_rule_row *r,
    long long *id)
{
	sqlite3_stmt *st = db_stmt(s, wsql[W_RULE_INSERT]);

	if (st == NULL)
		return -1;
	bind_rule(st, r);
	if (db_run(s, st, "rule insert") != 0)
		return -1;
	*id = sqlite3_last_insert_rowid(s->db);
	return 0;
}

int
store_rule_update(struct store *s, const struct store_rule_row *r)
{
	sqlite3_stmt *st = db_stmt(s, wsql[W_RULE_UPDATE]);

	if (st == NULL)
		return -1;
	bind_rule(st, r);
	if (db_run(s, st, "rule update") != 0)
		return -1;
	return sqlite3_changes(s->db) > 0;
}

int
store_rule_delete(struct store *s, long long id)
{
	sqlite3_stmt *st = db_stmt(s, wsql[W_RULE_DELETE]);

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	if (db_run(s, st, "rule delete") != 0)
		return -1;
	return sqlite3_changes(s->db) > 0;
}

/* count(*) of a table when it exists (probed by one of its columns),
 * else -1 in *v. Returns 0, or -1 on error. */
static int
count_if(struct store *s, const char *table, const char *column,
    enum wstmt_id id, long long *v)
{
	int rc;

	*v = -1;
	if ((rc = schema_has_column(s, table, column)) != 1)
		return rc;
	return db_query_int(s, wsql[id], NULL, v);
}

static int
stats_sessions(struct store *s, int64_t now, struct store_stats *o)
{
	struct store_time t;
	sqlite3_stmt *st;
	int rc, col, shape, authjs;

	o->sessions = o->sessions_live = -1;
	/* better-auth's session table or an Auth.js adapter's; an
	 * ambiguous one is not counted (doctor's schema check says why) */
	if ((shape = store_session_shape(s)) < 0)
		return s->last_kind == STORE_ERR_SCHEMA ? 0 : -1;
	authjs = shape == STORE_SHAPE_AUTHJS;
	if ((rc = schema_has_column(s, "session", authjs ? "expires" :
	    "expiresAt")) != 1)
		return rc;
	if ((st = db_stmt(s, wsql[authjs ? W_SESSION_TIMES_AUTHJS :
	    W_SESSION_TIMES])) == NULL)
		return -1;
	o->sessions = o->sessions_live = 0;
	while ((rc = db_step_row(s, st, "sessions")) == 1) {
		o->sessions++;
		db_col_time(st, 0, &t);
		/* As the authorizer reads it: a session needs a date. */
		if (t.present && !store_time_past(&t, now))
			o->sessions_live++;
		for (col = 1; col <= 2; col++) {
			db_col_time(st, col, &t);
			if (t.present && !t.bad && t.ms > o->newest_session_ms)
				o->newest_session_ms = t.ms;
		}
	}
	sqlite3_reset(st);
	return rc < 0 ? -1 : 0;
}

static int
stats_keys(struct store *s, int64_t now, struct store_stats *o)
{
	struct store_time t;
	sqlite3_stmt *st;
	int rc;

	o->keys = o->keys_enabled = -1;
	if ((rc = schema_has_column(s, "apikey", "enabled")) != 1)
		return rc;
	if ((st = db_stmt(s, wsql[W_KEY_STATES])) == NULL)
		return -1;
	o->keys = o->keys_enabled = 0;
	while ((rc = db_step_row(s, st, "keys")) == 1) {
		o->keys++;
		db_col_time(st, 1, &t);
		if (db_col_bool(st, 0, 0) && !store_time_past(&t, now))
			o->keys_enabled++;
	}
	sqlite3_reset(st);
	return rc < 0 ? -1 : 0;
}

static int
stats_events(struct store *s, int64_t now, struct store_stats *o)
{
	char cutoff[UTIL_TIME_ISO_LEN + 1];
	sqlite3_stmt *st;
	int rc, over = 0;

	o->events = o->events_24h = -1;
	if ((rc = schema_has_column(s, "authgate_event", "received_at")) != 1)
		return rc;
	if (util_time_format(now - 24LL * 3600 * 1000, cutoff,
	    sizeof(cutoff)) != 0 || (st = db_stmt(s, wsql[W_N_EVENTS])) == NULL)
		return -1;
	db_bind_text(st, 1, cutoff);
	if ((rc = db_step_row(s, st, "events")) == 1) {
		o->events = sqlite3_column_int64(st, 0);
		o->events_24h = sqlite3_column_int64(st, 1);
	}
	db_done(st);
	if (rc != 1 || (st = db_stmt(s, wsql[W_LAST_EVENT])) == NULL)
		return -1;
	if ((rc = db_step_row(s, st, "last event")) == 1) {
		db_col_text(st, 0, o->last_event_at, sizeof(o->last_event_at),
		    &over);
		db_col_text(st, 1, o->last_event_type,
		    sizeof(o->last_event_type), &over);
	}
	sqlite3_reset(st);
	return rc < 0 ? -1 : 0;
}

int
store_stats_get(struct store *s, int64_t now, struct store_stats *o)
{
	sqlite3_stmt *st;
	long long v;
	int rc, over = 0;

	memset(o, 0, sizeof(*o));
	if (count_if(s, "user", "id", W_N_USERS, &o->users) ||
	    count_if(s, "organization", "id", W_N_ORGS, &o->organizations) ||
	    count_if(s, "member", "id", W_N_MEMBERS, &o->members) ||
	    count_if(s, "authgate_rule", "id", W_N_RULES, &o->rules) ||
	    stats_sessions(s, now, o) || stats_keys(s, now, o) ||
	    stats_events(s, now, o))
		return -1;
	if ((st = db_stmt(s, wsql[W_JOURNAL_MODE])) == NULL)
		return -1;
	rc = db_step_row(s, st, "journal_mode");
	if (rc == 1)
		db_col_text(st, 0, o->journal_mode, sizeof(o->journal_mode),
		    &over);
	sqlite3_reset(st);
	if (rc != 1 ||
	    db_query_int(s, wsql[W_PAGE_COUNT], NULL, &o->page_count) ||
	    db_query_int(s, wsql[W_PAGE_SIZE], NULL, &o->page_size) ||
	    db_query_int(s, wsql[W_FREELIST], NULL, &o->freelist) ||
	    db_query_int(s, wsql[W_N_VIEWS], NULL, &v))
		return -1;
	o->views = (int)v;
	if ((o->schema_version = store_schema_version(s)) < 0)
		return -1;
	return 0;
}

int
store_quick_check(struct store *s, char *msg, size_t msgsz)
{
	sqlite3_stmt *st = db_stmt(s, wsql[W_QUICK_CHECK]);
	int rc, over = 0;

	msg[0] = '\0';
	if (st == NULL)
		return -1;
	if ((rc = db_step_row(s, st, "quick_check")) == 1)
		db_col_text(st, 0, msg, msgsz, &over);
	sqlite3_reset(st);
	if (rc != 1)
		return -1;
	return strcmp(msg, "ok") == 0;
}
