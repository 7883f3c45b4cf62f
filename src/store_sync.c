/*
 * store_sync.c - applying the IdP's changes to the mirror: one webhook
 * event, or one object of an import, with the rules that keep a mirror
 * right when deliveries repeat, reorder or arrive late.
 *
 * Writes only inside one BEGIN IMMEDIATE transaction per event (or per
 * import). Trusts the normalized object (event.c checked its shape) but
 * not the order it comes in: an event id seen before changes nothing, an
 * older version never overwrites a newer one, and a deleted object is
 * never brought back (tombstones). Prepared on first use, so authorizer
 * processes never prepare any of it.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "db.h"
#include "store_sync.h"

/*
 * Upserts take absent fields as "keep": NOT NULL columns fall back to the
 * stored value in VALUES too, because SQLite checks NOT NULL before it
 * sees the conflict that turns the insert into an update.
 */
enum wstmt_id {
	W_EVENT_INSERT,
	W_EVENT_OUTCOME,
	W_TOMB_GET,
	W_TOMB_PUT,
	W_VER_GET,
	W_VER_PUT,
	W_VER_DEL,
	W_PRUNE_EVENTS,
	W_PRUNE_TOMBS,
	W_USER_UPDATED,
	W_USER_UPSERT,
	W_USER_DEL_SESSIONS,
	W_USER_DEL_MEMBERS,
	W_USER_DEL_KEYS,
	W_USER_DEL_ACCOUNTS,
	W_USER_DEL,
	W_ORG_UPSERT,
	W_ORG_DEL_MEMBERS,
	W_ORG_DEL_KEYS,
	W_ORG_DEL_INVITES,
	W_ORG_CLEAR_SESSIONS,
	W_ORG_DEL,
	W_MEMBER_FIND,
	W_MEMBER_DEL_OTHERS,
	W_MEMBER_UPSERT,
	W_MEMBER_DEL,
	W_SESSION_UPDATED,
	W_SESSION_BY_TOKEN,
	W_SESSION_UPSERT,
	W_SESSION_DEL,
	W_KEY_UPDATED,
	W_KEY_UPSERT,
	W_KEY_DEL,
	W_COUNT
};

/* A key limit column: the sent value, null included, else the stored. */
#define LIM_SET(p, col) ", " col " = CASE WHEN :" p "_present THEN :" p \
	" ELSE " col " END"
static const char *const wsql[W_COUNT] = {
	[W_EVENT_INSERT] = "INSERT INTO authgate_event (id, type, received_at,"
	    " outcome) VALUES (?1, ?2, ?3, 'pending') ON CONFLICT (id) DO"
	    " NOTHING",
	[W_EVENT_OUTCOME] = "UPDATE authgate_event SET outcome = ?2 WHERE id = ?1",
	[W_TOMB_GET] = "SELECT 1 FROM authgate_tombstone WHERE kind = ?1 AND"
	    " id = ?2",
	[W_TOMB_PUT] = "INSERT INTO authgate_tombstone (kind, id, deleted_at)"
	    " VALUES (?1, ?2, ?3) ON CONFLICT (kind, id) DO NOTHING",
	[W_VER_GET] = "SELECT version_ms FROM authgate_version WHERE kind = ?1"
	    " AND id = ?2",
	[W_VER_PUT] = "INSERT INTO authgate_version (kind, id, version_ms)"
	    " VALUES (?1, ?2, ?3) ON CONFLICT (kind, id) DO UPDATE SET"
	    " version_ms = excluded.version_ms",
	[W_VER_DEL] = "DELETE FROM authgate_version WHERE kind = ?1 AND id = ?2",
	[W_PRUNE_EVENTS] = "DELETE FROM authgate_event WHERE received_at < ?1",
	[W_PRUNE_TOMBS] = "DELETE FROM authgate_tombstone WHERE deleted_at < ?1",
	[W_USER_UPDATED] = "SELECT updatedAt FROM \"user\" WHERE id = ?1",
	[W_USER_UPSERT] = "INSERT INTO \"user\" (id, name, email, emailVerified,"
	    " image, createdAt, updatedAt, role, banned, banReason, banExpires)"
	    " VALUES (:id, coalesce(:name, ''),"
	    " coalesce(:email, (SELECT email FROM \"user\" WHERE id = :id)),"
	    " coalesce(:email_verified, 0), :image,"
	    " coalesce(:created_at, :now), coalesce(:updated_at, :created_at,"
	    " :now), :role, coalesce(:banned, 0), :ban_reason,"
	    " :ban_expires) ON CONFLICT (id) DO UPDATE SET name ="
	    " coalesce(:name, name),"
	    " email = coalesce(:email, email),"
	    " emailVerified = coalesce(:email_verified, emailVerified),"
	    " image = coalesce(:image, image), updatedAt ="
	    " coalesce(:updated_at, updatedAt),"
	    " role = coalesce(:role, role), banned = coalesce(:banned, banned),"
	    " banReason = CASE WHEN :banned IS NOT NULL THEN :ban_reason"
	    "  ELSE coalesce(:ban_reason, banReason) END,"
	    " banExpires = CASE WHEN :banned IS NOT NULL THEN :ban_expires"
	    "  ELSE coalesce(:ban_expires, banExpires) END",
	[W_USER_DEL_SESSIONS] = "DELETE FROM session WHERE userId = ?1",
	[W_USER_DEL_MEMBERS] = "DELETE FROM member WHERE userId = ?1",
	[W_USER_DEL_KEYS] = "DELETE FROM apikey WHERE referenceId = ?1",
	[W_USER_DEL_ACCOUNTS] = "DELETE FROM account WHERE userId = ?1",
	[W_USER_DEL] = "DELETE FROM \"user\" WHERE id = ?1",
	[W_ORG_UPSERT] = "INSERT INTO organization (id, name, slug, logo,"
	    " createdAt, metadata) VALUES (:id, coalesce(:name, ''),"
	    " coalesce(:slug, :id), :logo, coalesce(:created_at, :now),"
	    " :metadata) ON CONFLICT (id) DO"
	    " UPDATE SET name = coalesce(:name, name), slug = coalesce(:slug,"
	    " slug),"
	    " logo = coalesce(:logo, logo), metadata = coalesce(:metadata,"
	    " metadata)",
	[W_ORG_DEL_MEMBERS] = "DELETE FROM member WHERE organizationId = ?1",
	[W_ORG_DEL_KEYS] = "DELETE FROM apikey WHERE referenceId = ?1",
	[W_ORG_DEL_INVITES] = "DELETE FROM invitation WHERE organizationId = ?1",
	[W_ORG_CLEAR_SESSIONS] = "UPDATE session SET activeOrganizationId = NULL"
	    " WHERE activeOrganizationId = ?1",
	[W_ORG_DEL] = "DELETE FROM organization WHERE id = ?1",
	[W_MEMBER_FIND] = "SELECT id FROM member WHERE organizationId = ?1 AND"
	    " userId = ?2 ORDER BY createdAt LIMIT 1",
	[W_MEMBER_DEL_OTHERS] = "DELETE FROM member WHERE organizationId ="
	    " :organization_id AND userId = :user_id AND id <> :id",
	[W_MEMBER_UPSERT] = "INSERT INTO member (id, organizationId, userId,"
	    " role, createdAt) VALUES (:id,"
	    " coalesce(:organization_id, (SELECT organizationId FROM member"
	    " WHERE id = :id)),"
	    " coalesce(:user_id, (SELECT userId FROM member WHERE id = :id)),"
	    " coalesce(:role, 'member'),"
	    " coalesce(:created_at, :now)) ON CONFLICT (id) DO UPDATE SET"
	    " role = coalesce(:role, role)",
	[W_MEMBER_DEL] = "DELETE FROM member WHERE id = ?1",
	[W_SESSION_UPDATED] = "SELECT updatedAt FROM session WHERE id = ?1",
	[W_SESSION_BY_TOKEN] = "SELECT id FROM session WHERE token = ?1",
	[W_SESSION_UPSERT] = "INSERT INTO session (id, expiresAt, token,"
	    " createdAt, updatedAt, ipAddress, userAgent, userId,"
	    " activeOrganizationId) VALUES (:id,"
	    " coalesce(:expires_at, (SELECT expiresAt FROM session WHERE id ="
	    " :id)),"
	    " coalesce(:token, (SELECT token FROM session WHERE id = :id)),"
	    " coalesce(:created_at, :now),"
	    " coalesce(:updated_at, :created_at, :now), :ip_address,"
	    " :user_agent,"
	    " coalesce(:user_id, (SELECT userId FROM session WHERE id = :id)),"
	    " :organization_id)"
	    " ON CONFLICT (id) DO UPDATE"
	    " SET expiresAt = coalesce(:expires_at, expiresAt),"
	    " token = coalesce(:token, token), updatedAt ="
	    " coalesce(:updated_at, updatedAt),"
	    " ipAddress = coalesce(:ip_address, ipAddress),"
	    " userAgent = coalesce(:user_agent, userAgent),"
	    " activeOrganizationId = CASE WHEN :organization_id_present THEN"
	    " :organization_id"
	    "  ELSE activeOrganizationId END",
	[W_SESSION_DEL] = "DELETE FROM session WHERE id = ?1",
	[W_KEY_UPDATED] = "SELECT updatedAt FROM apikey WHERE id = ?1",
	[W_KEY_UPSERT] = "INSERT INTO apikey (id, configId, name, start,"
	    " referenceId, prefix, key, enabled, expiresAt, createdAt,"
	    " updatedAt, permissions, metadata, rateLimitEnabled, requestCount,"
	    " remaining, refillInterval, refillAmount, lastRefillAt,"
	    " rateLimitTimeWindow, rateLimitMax, lastRequest)"
	    " VALUES (:id, coalesce(:config_id, 'default'), :name, :start,"
	    " coalesce(:user_id, (SELECT referenceId FROM apikey WHERE id ="
	    " :id)), :prefix,"
	    " coalesce(:key_hash, (SELECT key FROM apikey WHERE id = :id)),"
	    " coalesce(:enabled, 1), :expires_at, coalesce(:created_at, :now),"
	    " coalesce(:updated_at, :created_at, :now),"
	    " :permissions, :metadata, coalesce(:rate_limit_enabled, 0),"
	    " coalesce(:request_count, 0), :remaining, :refill_interval,"
	    " :refill_amount, :last_refill_at, :rate_limit_time_window,"
	    " :rate_limit_max, :last_request) ON CONFLICT (id) DO UPDATE SET"
	    " configId = coalesce(:config_id, configId), name ="
	    " coalesce(:name, name),"
	    " start = coalesce(:start, start),"
	    " referenceId = coalesce(:user_id, referenceId),"
	    " prefix = coalesce(:prefix, prefix), key = coalesce(:key_hash,"
	    " key),"
	    " enabled = coalesce(:enabled, enabled),"
	    " expiresAt = CASE WHEN :expires_at_present THEN :expires_at ELSE"
	    " expiresAt END,"
	    " updatedAt = coalesce(:updated_at, updatedAt),"
	    " permissions = coalesce(:permissions, permissions),"
	    " metadata = coalesce(:metadata, metadata)" 
	    LIM_SET("remaining", "remaining")
	    LIM_SET("refill_interval", "refillInterval")
	    LIM_SET("refill_amount", "refillAmount")
	    LIM_SET("last_refill_at", "lastRefillAt")
	    LIM_SET("rate_limit_enabled", "rateLimitEnabled")
	    LIM_SET("rate_limit_time_window", "rateLimitTimeWindow")
	    LIM_SET("rate_limit_max", "rateLimitMax")
	    LIM_SET("request_count", "requestCount")
	    LIM_SET("last_request", "lastRequest"),
	[W_KEY_DEL] = "DELETE FROM apikey WHERE id = ?1",
};

/* Runs a one-parameter statement of the table above. */
static int
exec1(struct store *s, enum wstmt_id id, const char *a)
{
	return db_exec(s, wsql[id], a, NULL);
}

static const char *const kind_names[] = {
	[STORE_USER] = "user", [STORE_ORG] = "organization",
	[STORE_MEMBER] = "member", [STORE_SESSION] = "session",
	[STORE_APIKEY] = "apikey"
};

static const char *const outcome_names[] = {
	[STORE_APPLIED] = "applied", [STORE_STALE] = "stale",
	[STORE_TOMBSTONED] = "tombstoned", [STORE_ABSENT] = "absent",
	[STORE_DUPLICATE] = "duplicate", [STORE_IGNORED] = "ignored"
};

const char *
store_outcome_name(enum store_outcome o)
{
	if ((size_t)o >= sizeof(outcome_names) / sizeof(outcome_names[0]))
		return "?";
	return outcome_names[o];
}

static int
tombstoned(struct store *s, enum store_kind k, const char *id)
{
	if (id == NULL)
		return 0;
	return db_query_text(s, wsql[W_TOMB_GET], kind_names[k], id, NULL, 0);
}

/* Stored version of an object: authgate_version, else the row's
 * updatedAt. 1 known (*ms), 0 unknown, -1 error. */
static int
stored_version(struct store *s, enum store_kind k, const char *id,
    int64_t *ms)
{
	sqlite3_stmt *st = db_stmt(s, wsql[W_VER_GET]);
	enum wstmt_id upd;
	struct store_time t;
	int rc;

	if (st == NULL)
		return -1;
	db_bind_text(st, 1, kind_names[k]);
	db_bind_text(st, 2, id);
	rc = db_step_row(s, st, "version");
	if (rc == 1)
		*ms = sqlite3_column_int64(st, 0);
	db_done(st);
	if (rc != 0)
		return rc;
	switch (k) {
	case STORE_USER: upd = W_USER_UPDATED; break;
	case STORE_SESSION: upd = W_SESSION_UPDATED; break;
	case STORE_APIKEY: upd = W_KEY_UPDATED; break;
	default: return 0;
	}
	if ((st = db_stmt(s, wsql[upd])) == NULL)
		return -1;
	db_bind_text(st, 1, id);
	rc = db_step_row(s, st, "updatedAt");
	if (rc == 1) {
		db_col_time(st, 0, &t);
		rc = t.present && !t.bad;
		*ms = t.ms;
	}
	db_done(st);
	return rc;
}

static int
put_version(struct store *s, const struct store_object *o, const char *id)
{
	sqlite3_stmt *st;

	if (!o->has_version)
		return 0;
	if ((st = db_stmt(s, wsql[W_VER_PUT])) == NULL)
		return SQLITE_ERROR;
	db_bind_text(st, 1, kind_names[o->kind]);
	db_bind_text(st, 2, id);
	sqlite3_bind_int64(st, 3, o->version_ms);
	return db_run(s, st, "version put");
}

static int
bury(struct store *s, enum store_kind k, const char *id, const char *now)
{
	sqlite3_stmt *st;
	int rc;

	if ((st = db_stmt(s, wsql[W_TOMB_PUT])) == NULL)
		return SQLITE_ERROR;
	db_bind_text(st, 1, kind_names[k]);
	db_bind_text(st, 2, id);
	db_bind_text(st, 3, now);
	if ((rc = db_run(s, st, "tombstone")) != 0)
		return rc;
	return db_exec(s, wsql[W_VER_DEL], kind_names[k], id);
}

/* The named parameters an upsert may use, and where their values are. */
enum bind_type {
	BIND_TEXT,	/* const char *, NULL: SQL NULL */
	BIND_BOOL,	/* int, -1: SQL NULL */
	BIND_FLAG	/* int, 0 or 1 */
};

#define OBJ(name, t, field) \
    { ":" name, t, offsetof(struct store_object, field) }
static const struct {
	const char	*name;
	enum bind_type	 type;
	size_t		 off;
} obj_params[] = {
	OBJ("name", BIND_TEXT, name), OBJ("email", BIND_TEXT, email),
	OBJ("email_verified", BIND_BOOL, email_verified),
	OBJ("image", BIND_TEXT, image), OBJ("created_at", BIND_TEXT, created_at),
	OBJ("updated_at", BIND_TEXT, updated_at), OBJ("role", BIND_TEXT, role),
	OBJ("banned", BIND_BOOL, banned),
	OBJ("ban_reason", BIND_TEXT, ban_reason),
	OBJ("ban_expires", BIND_TEXT, ban_expires),
	OBJ("slug", BIND_TEXT, slug), OBJ("logo", BIND_TEXT, logo),
	OBJ("metadata", BIND_TEXT, metadata),
	OBJ("organization_id", BIND_TEXT, organization_id),
	OBJ("organization_id_present", BIND_FLAG, organization_id_present),
	OBJ("user_id", BIND_TEXT, user_id), OBJ("token", BIND_TEXT, token),
	OBJ("expires_at", BIND_TEXT, expires_at),
	OBJ("expires_at_present", BIND_FLAG, expires_at_present),
	OBJ("ip_address", BIND_TEXT, ip_address),
	OBJ("user_agent", BIND_TEXT, user_agent),
	OBJ("key_hash", BIND_TEXT, key_hash), OBJ("start", BIND_TEXT, start),
	OBJ("prefix", BIND_TEXT, prefix), OBJ("enabled", BIND_BOOL, enabled),
	OBJ("permissions", BIND_TEXT, permissions),
	OBJ("config_id", BIND_TEXT, config_id),
#define LIM(name, i) OBJ(name, BIND_TEXT, lim[i]), \
	OBJ(name "_present", BIND_FLAG, lim_present[i])
	LIM("remaining", LIM_REMAINING),
	LIM("refill_interval", LIM_REFILL_INTERVAL),
	LIM("refill_amount", LIM_REFILL_AMOUNT),
	LIM("last_refill_at", LIM_LAST_REFILL_AT),
	LIM("rate_limit_enabled", LIM_RATE_ENABLED),
	LIM("rate_limit_time_window", LIM_RATE_WINDOW),
	LIM("rate_limit_max", LIM_RATE_MAX),
	LIM("request_count", LIM_REQUEST_COUNT),
	LIM("last_request", LIM_LAST_REQUEST),
#undef LIM
};
#undef OBJ

/*
 * Runs statement id with every named parameter it has bound from o
 * (:id is the object's resolved id, :now the time of applying). Returns
 * 0, or an SQLite error code.
 */
static int
run_object(struct store *s, enum wstmt_id id, const struct store_object *o,
    const char *oid, const char *now)
{
	sqlite3_stmt *st = db_stmt(s, wsql[id]);
	const char *base = (const char *)o;
	size_t i;
	int k;

	if (st == NULL)
		return SQLITE_ERROR;
	db_bind_text(st, sqlite3_bind_parameter_index(st, ":id"), oid);
	if ((k = sqlite3_bind_parameter_index(st, ":now")) > 0)
		db_bind_text(st, k, now);
	for (i = 0; i < sizeof(obj_params) / sizeof(obj_params[0]); i++) {
		const void *p = base + obj_params[i].off;

		if ((k = sqlite3_bind_parameter_index(st,
		    obj_params[i].name)) == 0)
			continue;
		switch (obj_params[i].type) {
		case BIND_TEXT:
			db_bind_text(st, k, *(const char *const *)p);
			break;
		case BIND_BOOL:
			db_bind_bool(st, k, *(const int *)p);
			break;
		default:
			sqlite3_bind_int(st, k, *(const int *)p != 0);
		}
	}
	return db_run(s, st, wsql[id]);
}

/* Deletes an object and what hangs off it. *gone = 1 if a row went. */
static int
delete_object(struct store *s, enum store_kind k, const char *id, int *gone)
{
	static const enum wstmt_id user_del[] = { W_USER_DEL_SESSIONS,
	    W_USER_DEL_MEMBERS, W_USER_DEL_KEYS, W_USER_DEL_ACCOUNTS,
	    W_USER_DEL };
	static const enum wstmt_id org_del[] = { W_ORG_DEL_MEMBERS,
	    W_ORG_DEL_KEYS, W_ORG_DEL_INVITES, W_ORG_CLEAR_SESSIONS,
	    W_ORG_DEL };
	static const enum wstmt_id member_del[] = { W_MEMBER_DEL };
	static const enum wstmt_id session_del[] = { W_SESSION_DEL };
	static const enum wstmt_id key_del[] = { W_KEY_DEL };
	const enum wstmt_id *list;
	size_t n, i;
	int rc;

	switch (k) {
	case STORE_USER: list = user_del; n = 5; break;
	case STORE_ORG: list = org_del; n = 5; break;
	case STORE_MEMBER: list = member_del; n = 1; break;
	case STORE_SESSION: list = session_del; n = 1; break;
	default: list = key_del; n = 1; break;
	}
	*gone = 0;
	for (i = 0; i < n; i++) {
		if ((rc = exec1(s, list[i], id)) != 0)
			return rc;
		/* The object's own row is the last statement. */
		if (i == n - 1)
			*gone = sqlite3_changes(s->db) > 0;
	}
	return 0;
}

/*
 * Applies one object inside the caller's transaction.
 * Returns 0 with *out set, or an SQLite error code.
 */
static int
apply_object(struct store *s, const struct store_object *o, const char *now,
    enum store_outcome *out)
{
	char found[STORE_MAX_ID + 1], synth[2 * STORE_MAX_ID + 8];
	const char *id = o->id;
	int64_t have;
	int rc, gone;

	*out = STORE_APPLIED;
	/* A member may come without its id: find it by (org, user), or
	 * name a new one after them. */
	if (o->kind == STORE_MEMBER && id == NULL) {
		rc = db_query_text(s, wsql[W_MEMBER_FIND], o->organization_id,
		    o->user_id, found, sizeof(found));
		if (rc < 0)
			return SQLITE_ERROR;
		if (rc == 1) {
			id = found;
		} else if (o->action == STORE_DELETE) {
			*out = STORE_ABSENT;
			return 0;
		} else {
			snprintf(synth, sizeof(synth), "m_%s_%s",
			    o->organization_id, o->user_id);
			id = synth;
		}
	}
	/* A session may be revoked by token alone. */
	if (o->kind == STORE_SESSION && id == NULL && o->token != NULL) {
		rc = db_query_text(s, wsql[W_SESSION_BY_TOKEN], o->token, NULL, found,
		    sizeof(found));
		if (rc < 0)
			return SQLITE_ERROR;
		if (rc == 0) {
			*out = STORE_ABSENT;
			return 0;
		}
		id = found;
	}
	if (id == NULL)
		return SQLITE_MISUSE;

	if (o->action == STORE_DELETE) {
		if ((rc = delete_object(s, o->kind, id, &gone)) != 0)
			return rc;
		if ((rc = bury(s, o->kind, id, now)) != 0)
			return rc;
		*out = gone ? STORE_APPLIED : STORE_ABSENT;
		return 0;
	}

	/* Invariant: what was deleted stays deleted, and so does what hangs
	 * off a deleted user or organization. */
	if ((rc = tombstoned(s, o->kind, id)) != 0 ||
	    (o->kind != STORE_USER && o->kind != STORE_ORG &&
	    ((rc = tombstoned(s, STORE_USER, o->user_id)) != 0 ||
	    (o->kind == STORE_APIKEY &&
	    (rc = tombstoned(s, STORE_ORG, o->user_id)) != 0) ||
	    (o->kind == STORE_MEMBER &&
	    (rc = tombstoned(s, STORE_ORG, o->organization_id)) != 0)))) {
		if (rc < 0)
			return SQLITE_ERROR;
		*out = STORE_TOMBSTONED;
		return 0;
	}
	if (o->has_version) {
		rc = stored_version(s, o->kind, id, &have);
		if (rc < 0)
			return SQLITE_ERROR;
		if (rc == 1 && o->version_ms < have) {
			*out = STORE_STALE;
			return 0;
		}
	}
	switch (o->kind) {
	case STORE_USER: rc = run_object(s, W_USER_UPSERT, o, id, now); break;
	case STORE_ORG: rc = run_object(s, W_ORG_UPSERT, o, id, now); break;
	case STORE_MEMBER:
		/* one member row per (organization, user) */
		if ((rc = run_object(s, W_MEMBER_DEL_OTHERS, o, id, now)) == 0)
			rc = run_object(s, W_MEMBER_UPSERT, o, id, now);
		break;
	case STORE_SESSION:
		rc = run_object(s, W_SESSION_UPSERT, o, id, now);
		break;
	default: rc = run_object(s, W_KEY_UPSERT, o, id, now); break;
	}
	if (rc != 0)
		return rc;
	return put_version(s, o, id);
}

static int
now_iso(char *buf, size_t sz, int64_t offset_ms)
{
	return util_time_format(util_now_ms() - offset_ms, buf, sz);
}

int
store_apply_event(struct store *s, const char *event_id,
    const char *event_type, const struct store_object *o,
    enum store_outcome *out)
{
	char now[UTIL_TIME_ISO_LEN + 1], cutoff[UTIL_TIME_ISO_LEN + 1];
	char tomb_cutoff[UTIL_TIME_ISO_LEN + 1];
	sqlite3_stmt *st;
	int rc;

	*out = STORE_IGNORED;
	if (now_iso(now, sizeof(now), 0) != 0 ||
	    now_iso(cutoff, sizeof(cutoff), STORE_RETENTION_MS) != 0 ||
	    now_iso(tomb_cutoff, sizeof(tomb_cutoff), STORE_TOMBSTONE_MS) != 0)
		return -1;
	if ((rc = db_begin(s, DB_TX_WRITE)) != 0)
		return rc;
	if ((st = db_stmt(s, wsql[W_EVENT_INSERT])) == NULL)
		goto fail;
	db_bind_text(st, 1, event_id);
	db_bind_text(st, 2, event_type);
	db_bind_text(st, 3, now);
	if ((rc = db_run(s, st, "event insert")) != 0)
		goto fail_rc;
	if (sqlite3_changes(s->db) == 0) {
		*out = STORE_DUPLICATE;
		return db_end(s, 0) == 0 ? 0 : -1;
	}
	if (o != NULL && (rc = apply_object(s, o, now, out)) != 0)
		goto fail_rc;
	if (db_exec(s, wsql[W_EVENT_OUTCOME], event_id, store_outcome_name(*out)) ||
	    exec1(s, W_PRUNE_EVENTS, cutoff) ||
	    exec1(s, W_PRUNE_TOMBS, tomb_cutoff))
		goto fail;
	return db_end(s, 1);

fail_rc:
	db_abort(s);
	return (rc & 0xff) == SQLITE_CONSTRAINT ? -3 : db_busy_rc(rc);
fail:
	db_abort(s);
	return -1;
}

int
store_import_begin(struct store *s)
{
	return db_begin(s, DB_TX_WRITE);
}

int
store_import_object(struct store *s, const struct store_object *o,
    enum store_outcome *out)
{
	char now[UTIL_TIME_ISO_LEN + 1];
	int rc;

	if (now_iso(now, sizeof(now), 0) != 0)
		return -1;
	if ((rc = apply_object(s, o, now, out)) != 0)
		return (rc & 0xff) == SQLITE_CONSTRAINT ? -3 : db_busy_rc(rc);
	return 0;
}

int
store_import_end(struct store *s, int commit)
{
	return db_end(s, commit);
}


/* The snapshot's sections, in import's order, and their queries. */
static const char *const export_sql[STORE_EXPORT_SECTIONS] = {
	"SELECT * FROM \"user\" ORDER BY id",
	"SELECT * FROM organization ORDER BY id",
	"SELECT * FROM member ORDER BY id",
	"SELECT * FROM session ORDER BY id",
	"SELECT * FROM apikey ORDER BY id",
};

struct export_walk {
	int			 section;
	store_export_fn		 fn;
	void			*ctx;
};

static int
export_row(void *ctx, sqlite3_stmt *st)
{
	struct export_walk *w = ctx;
	struct store_export_col c[STORE_EXPORT_MAX_COLS];
	int i, n = sqlite3_column_count(st);

	if (n > STORE_EXPORT_MAX_COLS)
		return -1;
	for (i = 0; i < n; i++) {
		memset(&c[i], 0, sizeof(c[i]));
		c[i].name = sqlite3_column_name(st, i);
		switch (sqlite3_column_type(st, i)) {
		case SQLITE_NULL:
			c[i].type = STORE_EXPORT_NULL;
			break;
		case SQLITE_INTEGER:
			c[i].type = STORE_EXPORT_INT;
			c[i].i = sqlite3_column_int64(st, i);
			break;
		case SQLITE_FLOAT:
			c[i].type = STORE_EXPORT_REAL;
			c[i].d = sqlite3_column_double(st, i);
			break;
		default:
			c[i].type = STORE_EXPORT_TEXT;
			c[i].t = (const char *)sqlite3_column_text(st, i);
			if (c[i].t == NULL)
				c[i].type = STORE_EXPORT_NULL;
			break;
		}
	}
	return w->fn(w->ctx, w->section, c, n);
}

int
store_export(struct store *s, store_export_fn fn, void *ctx)
{
	struct export_walk w = { 0, fn, ctx };
	sqlite3_stmt *st;
	int rc;

	if ((rc = db_begin(s, DB_TX_READ)) != 0)
		return rc;
	for (w.section = 0; w.section < STORE_EXPORT_SECTIONS; w.section++) {
		if ((st = db_stmt(s, export_sql[w.section])) == NULL ||
		    db_each(s, st, "export", export_row, &w) != 0) {
			db_abort(s);
			return -1;
		}
	}
	return db_end(s, 0) == 0 ? 0 : -1;
}
