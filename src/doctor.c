/*
 * doctor.c - `authgate doctor`: whether a deployment is sound. The files
 * as the web server's account sees them, the secrets, the store (schema,
 * journal, integrity, views, rules, clock).
 *
 * Reads the file system and the environment, and secrets only to measure
 * them: a finding never holds a secret's value. Never prints (the CLI
 * renders the report) and never changes anything.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "admin.h"
#include "config.h"
#include "doctor.h"
#include "policy.h"
#include "schema.h"
#include "store_admin.h"
#include "store_read.h"
#include "util.h"
#include "webhook.h"

/* The public secrets of `make run` (Makefile): a deployment using them
 * accepts cookies and deliveries anyone can forge. */
#define DEMO_SECRET		"demo-secret-change-me-0123456789abcdef"
#define DEMO_WEBHOOK_SECRET	"demo-webhook-secret-change-me"
#define ADMIN_MAX_GROUPS	256	/* supplementary groups we look at */

/* snprintf for finding texts: a long path may cut the text, which is
 * fine for a message (vsnprintf keeps the compiler from insisting). */
static void __attribute__((format(printf, 3, 4)))
say(char *buf, size_t sz, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sz, fmt, ap);
	va_end(ap);
}

/* ------------------------------------------------------------------ */
/* Findings */

const char *
doctor_level_name(enum doctor_level l)
{
	return l == DOCTOR_OK ? "ok" : l == DOCTOR_WARN ? "warn" : "fail";
}

void
doctor_report_add(struct doctor_report *r, enum doctor_level level,
    const char *check, const char *fix, const char *fmt, ...)
{
	struct doctor_finding *f;
	va_list ap;

	if ((size_t)level < 3)
		r->count[level]++;
	if (r->n >= DOCTOR_MAX_FINDINGS)
		return;
	f = &r->f[r->n++];
	f->level = level;
	snprintf(f->check, sizeof(f->check), "%s", check);
	va_start(ap, fmt);
	vsnprintf(f->what, sizeof(f->what), fmt, ap);
	va_end(ap);
	snprintf(f->fix, sizeof(f->fix), "%s", fix != NULL ? fix : "");
}

/* Like doctor_report_add with a formatted fix. */
static void __attribute__((format(printf, 5, 6)))
add_fix(struct doctor_report *r, enum doctor_level level, const char *check,
    const char *what, const char *fixfmt, ...)
{
	char fix[DOCTOR_MAX_TEXT];
	va_list ap;

	va_start(ap, fixfmt);
	vsnprintf(fix, sizeof(fix), fixfmt, ap);
	va_end(ap);
	doctor_report_add(r, level, check, fix, "%s", what);
}

/* ------------------------------------------------------------------ */
/* Files, as the web server's account sees them */

struct account {
	char	name[64];
	char	group[64];	/* the group a fix gives files: one that exists */
	uid_t	uid;
	gid_t	gid;
	gid_t	groups[ADMIN_MAX_GROUPS];
	int	ngroups;
};

/*
 * The account authgate runs as. Without group: as a web server spawns it
 * (lighttpd, Apache), with the user's primary and supplementary groups.
 * With group: as `authgate serve --user U --group G` runs, which keeps
 * G alone (serve drops every supplementary group). a->group is the name
 * a fix may chgrp to: G, else the user's primary group as the system
 * names it (getgrgid; Debian's nobody is in nogroup, not "nobody"), else
 * its number. Returns 0, -1 no such user, -2 no such group.
 */
static int
account_load(const char *user, const char *group, struct account *a)
{
	struct passwd *pw;
	struct group *gr;

	memset(a, 0, sizeof(*a));
	if (strlen(user) >= sizeof(a->name) || (pw = getpwnam(user)) == NULL)
		return -1;
	snprintf(a->name, sizeof(a->name), "%s", user);
	a->uid = pw->pw_uid;
	a->gid = pw->pw_gid;
	if (group != NULL) {
		if ((gr = getgrnam(group)) == NULL)
			return -2;
		a->gid = gr->gr_gid;
		a->groups[0] = gr->gr_gid;
		a->ngroups = 1;
	} else {
		a->ngroups = ADMIN_MAX_GROUPS;
		if (getgrouplist(user, pw->pw_gid, a->groups,
		    &a->ngroups) < 0) {
			a->groups[0] = pw->pw_gid;
			a->ngroups = 1;
		}
	}
	if ((gr = getgrgid(a->gid)) != NULL && strlen(gr->gr_name) <
	    sizeof(a->group))
		snprintf(a->group, sizeof(a->group), "%s", gr->gr_name);
	else
		snprintf(a->group, sizeof(a->group), "%lu",
		    (unsigned long)a->gid);
	return 0;
}

/* Mode bits the account gets on st: 4 read, 2 write, 1 search/exec.
 * Ignores ACLs (doctor says so when it matters). */
static int
perms(const struct account *a, const struct stat *st)
{
	int i;

	if (a->uid == 0)
		return 7;
	if (st->st_uid == a->uid)
		return (st->st_mode >> 6) & 7;
	for (i = 0; i < a->ngroups; i++)
		if (st->st_gid == a->groups[i])
			return (st->st_mode >> 3) & 7;
	return st->st_mode & 7;
}

static const char *
owner_text(const struct stat *st, char *buf, size_t sz)
{
	struct passwd *pw = getpwuid(st->st_uid);
	struct group *gr = getgrgid(st->st_gid);

	if (pw != NULL && gr != NULL)
		snprintf(buf, sz, "%s:%s", pw->pw_name, gr->gr_name);
	else
		snprintf(buf, sz, "%lu:%lu", (unsigned long)st->st_uid,
		    (unsigned long)st->st_gid);
	return buf;
}

/* The first directory on the way to dir (absolute) the account cannot
 * search, copied into bad with its stat in *bst; 0 if all are fine. */
static int
unreachable_dir(const struct account *a, const char *dir, char *bad,
    size_t badsz, struct stat *bst)
{
	char path[PATH_MAX];
	size_t i, n = strlen(dir);

	if (n == 0 || n >= sizeof(path) || dir[0] != '/')
		return 0;
	for (i = 1; i <= n; i++) {
		if (i < n && dir[i] != '/')
			continue;
		/* "/" first, then "/var", "/var/lib", ... */
		memcpy(path, dir, i);
		path[i] = '\0';
		if (stat(path, bst) == 0 && !(perms(a, bst) & 1)) {
			snprintf(bad, badsz, "%s", path);
			return 1;
		}
	}
	return 0;
}

/* 1 when the file header says WAL (read/write versions 2), 0 if not,
 * -1 when unreadable by us. */
static int
file_is_wal(const char *path)
{
	unsigned char h[100];
	ssize_t r;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	r = read(fd, h, sizeof(h));
	close(fd);
	if (r != (ssize_t)sizeof(h) ||
	    memcmp(h, "SQLite format 3", 16) != 0)
		return -1;
	return h[18] == 2 && h[19] == 2;
}

/*
 * World-readable or -writable file or directory: a fail with a fix. When
 * the account reads the file only through the "other" bits, the fix
 * gives it the group first, so following it does not lock the server out.
 */
static void
check_world(struct doctor_report *r, const struct account *a,
    const char *check, const char *path, const struct stat *st, int dir)
{
	char what[DOCTOR_MAX_TEXT];
	int i, by_other;

	if (!dir && (st->st_mode & (S_IROTH | S_IWOTH))) {
		by_other = a != NULL && a->uid != 0 && st->st_uid != a->uid;
		for (i = 0; by_other && i < a->ngroups; i++)
			if (st->st_gid == a->groups[i])
				by_other = 0;
		say(what, sizeof(what), "%s is %s by every account on this"
		    " host (mode %04o): it holds session tokens and user data",
		    path, st->st_mode & S_IWOTH ? "writable" : "readable",
		    (unsigned)(st->st_mode & 07777));
		if (by_other)
			add_fix(r, DOCTOR_FAIL, check, what, "chgrp %s %s &&"
			    " chmod g+r,o-rwx %s", a->group, path, path);
		else
			add_fix(r, DOCTOR_FAIL, check, what, "chmod o-rwx %s",
			    path);
	} else if (dir && (st->st_mode & S_IWOTH) &&
	    !(st->st_mode & S_ISVTX)) {
		say(what, sizeof(what), "directory %s is writable by every"
		    " account (mode %04o): anyone can replace the database",
		    path, (unsigned)(st->st_mode & 07777));
		add_fix(r, DOCTOR_FAIL, check, what, "chmod o-w %s", path);
	}
}

void
doctor_files(struct doctor_report *r, const char *db,
    const char *user, const char *group, int *exists)
{
	char dir[PATH_MAX], real[PATH_MAX], side[PATH_MAX + 8], bad[PATH_MAX];
	char what[DOCTOR_MAX_TEXT], own[160];
	static const char *const sides[] = { "-wal", "-shm" };
	struct account a;
	struct stat st, dst, bst;
	const char *slash;
	int wal, have_account, p;
	size_t i;

	*exists = 0;
	p = account_load(user, group, &a);
	have_account = p == 0;
	if (p == -1)
		doctor_report_add(r, DOCTOR_FAIL, "user", "pass the account your"
		    " web server runs authgate as: --user NAME (www-data on"
		    " Debian)", "there is no account %s on this host", user);
	else if (p == -2)
		doctor_report_add(r, DOCTOR_FAIL, "group", "pass the group"
		    " 'authgate serve --group' is given, or leave --group out",
		    "there is no group %s on this host", group);
	else if (group != NULL)
		doctor_report_add(r, DOCTOR_OK, "user", NULL, "account %s"
		    " (uid %lu) with group %s only, as 'authgate serve --user"
		    " %s --group %s' runs", user, (unsigned long)a.uid,
		    a.group, user, a.group);
	else
		doctor_report_add(r, DOCTOR_OK, "user", NULL, "web server"
		    " account %s (uid %lu)", user, (unsigned long)a.uid);

	if (db[0] != '/')
		doctor_report_add(r, DOCTOR_WARN, "db.path", "use an absolute"
		    " path in AUTHGATE_DB and --db, such as"
		    " /var/lib/authgate/authgate.db", "database path %s is"
		    " relative: the web server resolves it from its own"
		    " working directory", db);
	if (stat(db, &st) != 0) {
		say(what, sizeof(what), "no database at %s (%s)", db,
		    strerror(errno));
		add_fix(r, DOCTOR_FAIL, "db.exists", what, "authgate init --db"
		    " %s (or correct --db / AUTHGATE_DB)", db);
		return;
	}
	*exists = 1;
	if (!S_ISREG(st.st_mode)) {
		doctor_report_add(r, DOCTOR_FAIL, "db.exists", "point --db at"
		    " the database file", "%s is not a regular file", db);
		return;
	}
	if (realpath(db, real) == NULL)
		snprintf(real, sizeof(real), "%s", db);
	slash = strrchr(real, '/');
	if (slash == NULL || slash == real)
		snprintf(dir, sizeof(dir), "%s", slash == real ? "/" : ".");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - real), real);
	if (stat(dir, &dst) != 0)
		memset(&dst, 0, sizeof(dst));

	check_world(r, have_account ? &a : NULL, "db.mode", real, &st, 0);
	check_world(r, NULL, "db.dir.mode", dir, &dst, 1);
	if (!(st.st_mode & (S_IROTH | S_IWOTH)))
		doctor_report_add(r, DOCTOR_OK, "db.mode", NULL, "%s is not"
		    " world-readable (mode %04o, owner %s)", real,
		    (unsigned)(st.st_mode & 07777),
		    owner_text(&st, own, sizeof(own)));

	wal = file_is_wal(real);
	for (i = 0; i < 2; i++) {
		snprintf(side, sizeof(side), "%s%s", real, sides[i]);
		if (stat(side, &bst) == 0)
			check_world(r, have_account ? &a : NULL, "db.mode",
			    side, &bst, 0);
	}
	if (!have_account)
		return;

	if (a.uid != 0 && unreachable_dir(&a, dir, bad, sizeof(bad), &bst)) {
		say(what, sizeof(what), "%s cannot reach %s: directory %s"
		    " is not searchable for it (mode %04o, owner %s)", user,
		    real, bad, (unsigned)(bst.st_mode & 07777),
		    owner_text(&bst, own, sizeof(own)));
		add_fix(r, DOCTOR_FAIL, "db.read", what, "chgrp %s %s && chmod"
		    " g+x %s", a.group, bad, bad);
		return;
	}
	p = perms(&a, &st);
	if (!(p & 4)) {
		say(what, sizeof(what), "%s cannot read %s (mode %04o,"
		    " owner %s): every request would get 503", user, real,
		    (unsigned)(st.st_mode & 07777),
		    owner_text(&st, own, sizeof(own)));
		add_fix(r, DOCTOR_FAIL, "db.read", what, "chgrp %s %s && chmod"
		    " g+r %s", a.group, real, real);
	} else {
		doctor_report_add(r, DOCTOR_OK, "db.read", NULL, "%s can read"
		    " %s", user, real);
	}
	if (!(p & 2)) {
		say(what, sizeof(what), "%s cannot write %s: webhook"
		    " deliveries would be answered 503", user, real);
		add_fix(r, DOCTOR_WARN, "db.write", what, "chgrp %s %s && chmod"
		    " g+rw %s (skip this if you do not use the webhook)", a.group,
		    real, real);
	}
	if (wal == 1) {
		if ((perms(&a, &dst) & 3) != 3) {
			say(what, sizeof(what), "%s cannot create %s-wal"
			    " and %s-shm: directory %s is not writable for"
			    " it (mode %04o, owner %s), and SQLite needs them"
			    " to read a WAL database", user, real, real, dir,
			    (unsigned)(dst.st_mode & 07777),
			    owner_text(&dst, own, sizeof(own)));
			add_fix(r, DOCTOR_FAIL, "db.wal", what, "chgrp %s %s &&"
			    " chmod g+rwx,o-w %s", a.group, dir, dir);
		} else {
			doctor_report_add(r, DOCTOR_OK, "db.wal", NULL, "%s can"
			    " create the -wal and -shm files in %s", user,
			    dir);
		}
		for (i = 0; i < 2; i++) {
			snprintf(side, sizeof(side), "%s%s", real, sides[i]);
			if (stat(side, &bst) != 0 || (perms(&a, &bst) & 6) == 6)
				continue;
			say(what, sizeof(what), "%s cannot read and"
			    " write %s (mode %04o, owner %s)", user, side,
			    (unsigned)(bst.st_mode & 07777),
			    owner_text(&bst, own, sizeof(own)));
			add_fix(r, DOCTOR_FAIL, "db.wal", what, "chown --reference"
			    "=%s %s && chmod g+rw %s", real, side, side);
		}
	}
}

/* Mode and access checks of a secret file named by variable var. */
static void
check_secret_file(struct doctor_report *r, const struct account *a,
    const char *var)
{
	const char *f = getenv(var);
	char what[DOCTOR_MAX_TEXT], own[160];
	struct stat st;

	if (f == NULL || *f == '\0' || stat(f, &st) != 0)
		return;
	if (st.st_mode & (S_IROTH | S_IWOTH)) {
		say(what, sizeof(what), "%s %s is readable by every"
		    " account (mode %04o)", var, f,
		    (unsigned)(st.st_mode & 07777));
		add_fix(r, DOCTOR_FAIL, "secret.file", what, "chmod 0640 %s",
		    f);
	}
	if (a != NULL && !(perms(a, &st) & 4)) {
		say(what, sizeof(what), "%s cannot read %s %s (mode %04o,"
		    " owner %s)", a->name, var, f,
		    (unsigned)(st.st_mode & 07777),
		    owner_text(&st, own, sizeof(own)));
		add_fix(r, DOCTOR_FAIL, "secret.file", what, "chgrp %s %s &&"
		    " chmod 0640 %s", a->group, f, f);
	}
}

void
doctor_secrets(struct doctor_report *r, const char *user, const char *group)
{
	static struct config cfg;
	static struct webhook_secrets ws;
	struct account a;
	const struct account *ap;
	char err[512];
	size_t i, len;
	int weak = 0, demo = 0, unsigned_ok = 0;

	ap = account_load(user, group, &a) == 0 ? &a : NULL;
	check_secret_file(r, ap, "BETTER_AUTH_SECRET_FILE");
	check_secret_file(r, ap, "AUTHGATE_WEBHOOK_SECRET_FILE");
	check_secret_file(r, ap, "NEXTAUTH_SECRET_FILE");
	check_secret_file(r, ap, "AUTH_SECRET_FILE");
	check_secret_file(r, ap, "AUTH_SECRET_1_FILE");
	check_secret_file(r, ap, "AUTH_SECRET_2_FILE");
	check_secret_file(r, ap, "AUTH_SECRET_3_FILE");
	if (config_load(&cfg, err, sizeof(err)) != 0) {
		doctor_report_add(r, DOCTOR_FAIL, "config", "correct the variable"
		    " named; authgate would not start with it",
		    "configuration: %s", err);
	} else if (config_flag(&unsigned_ok, "AUTHGATE_UNSIGNED_SESSIONS",
	    err, sizeof(err)) != 0) {
		doctor_report_add(r, DOCTOR_FAIL, "config", "correct the variable"
		    " named; authgate would not start with it",
		    "configuration: %s", err);
	} else if (cfg.secret_n == 0 && (config_secret_check(&cfg,
	    &unsigned_ok, err, sizeof(err)) != 0 || unsigned_ok)) {
		/* the server's own start-up check, config_secret_check */
		if (unsigned_ok)
			doctor_report_add(r, DOCTOR_WARN, "secret", "set"
			    " BETTER_AUTH_SECRET_FILE=FILE to your better-auth"
			    " server's secret and drop AUTHGATE_UNSIGNED_SESSIONS",
			    "AUTHGATE_UNSIGNED_SESSIONS=1: session cookie"
			    " signatures are not checked, on purpose");
		else
			doctor_report_add(r, DOCTOR_FAIL, "secret", "give the"
			    " secret of your better-auth server:"
			    " BETTER_AUTH_SECRET_FILE=FILE, or unset"
			    " BETTER_AUTH_SECRET and set"
			    " AUTHGATE_UNSIGNED_SESSIONS=1 to run unsigned on"
			    " purpose", "BETTER_AUTH_SECRET is set but empty:"
			    " authgate refuses to start");
	} else if (cfg.secret_n == 0) {
		doctor_report_add(r, DOCTOR_FAIL, "secret", "give the secret of"
		    " your better-auth server: BETTER_AUTH_SECRET_FILE=FILE"
		    " (or --secret-file FILE here)", "BETTER_AUTH_SECRET is not"
		    " set: session cookie signatures are not checked");
	} else if (cfg.secret_n == strlen(DEMO_SECRET) &&
	    CRYPTO_memcmp(cfg.secret, DEMO_SECRET, cfg.secret_n) == 0) {
		doctor_report_add(r, DOCTOR_FAIL, "secret", "use your"
		    " better-auth server's own secret (openssl rand -base64"
		    " 32 makes a new one)", "BETTER_AUTH_SECRET is the public"
		    " demo secret: anyone can sign session cookies");
	} else if (config_secret_len_ok(cfg.secret_n, "BETTER_AUTH_SECRET",
	    err, sizeof(err)) != 0) {
		doctor_report_add(r, DOCTOR_FAIL, "secret", "use a secret of at"
		    " least 32 bytes on both sides (openssl rand -base64 32)",
		    "BETTER_AUTH_SECRET is shorter than %d bytes: authgate"
		    " refuses to start, as better-auth does",
		    CONFIG_MIN_SECRET);
	} else {
		doctor_report_add(r, DOCTOR_OK, "secret", NULL,
		    "BETTER_AUTH_SECRET is set (at least %d bytes)",
		    CONFIG_MIN_SECRET);
	}
	config_wipe(&cfg);

	if (webhook_secrets_load(&ws, err, sizeof(err)) != 0) {
		doctor_report_add(r, DOCTOR_FAIL, "webhook.secret", "correct the"
		    " variable named", "webhook secret: %s", err);
		webhook_secrets_wipe(&ws);
		return;
	}
	for (i = 0; i < ws.n; i++) {
		const struct webhook_secret *w = &ws.s[i];
		int whsec = w->raw_n > 6 && memcmp(w->raw, "whsec_", 6) == 0;

		len = whsec ? w->sw_n : w->raw_n;
		if (w->raw_n == strlen(DEMO_WEBHOOK_SECRET) &&
		    CRYPTO_memcmp(w->raw, DEMO_WEBHOOK_SECRET, w->raw_n) == 0)
			demo = 1;
		else if (len < DOCTOR_MIN_WEBHOOK_SECRET)
			weak = 1;
	}
	if (ws.n == 0)
		doctor_report_add(r, DOCTOR_WARN, "webhook.secret", "set"
		    " AUTHGATE_WEBHOOK_SECRET_FILE (or --webhook-secret-file"
		    " here) to the signing secret of your IdP's webhook",
		    "no webhook secret: deliveries are answered 503 and the"
		    " mirror is not kept current");
	else if (demo)
		doctor_report_add(r, DOCTOR_FAIL, "webhook.secret", "use the"
		    " signing secret your IdP shows for this endpoint",
		    "a webhook secret is the public demo secret: anyone can"
		    " change the mirror");
	else if (weak)
		doctor_report_add(r, DOCTOR_WARN, "webhook.secret", "use the"
		    " full signing secret of your IdP (whsec_ secrets hold 24"
		    " or more bytes)", "a webhook secret is shorter than %d"
		    " bytes", DOCTOR_MIN_WEBHOOK_SECRET);
	else
		doctor_report_add(r, DOCTOR_OK, "webhook.secret", NULL,
		    "%zu webhook secret%s set", ws.n, ws.n == 1 ? "" : "s");
	webhook_secrets_wipe(&ws);
}

static void
doctor_rules(struct doctor_report *r, struct store *s)
{
	struct admin_rules rs;
	char fix[DOCTOR_MAX_TEXT];
	size_t i, bad = 0, shadowed = 0;
	int rc, strict = 0;

	/* shadowing as the live decision matches (AUTHGATE_CASE_SENSITIVE);
	 * a bad value there is reported by the settings check */
	if (config_flag(&strict, "AUTHGATE_CASE_SENSITIVE", fix,
	    sizeof(fix)) != 0)
		strict = 0;
	rc = admin_rules_load(s, &rs, strict ? 0 : POLICY_FOLD_CASE);
	if (rc < 0) {
		doctor_report_add(r, DOCTOR_FAIL, "rules", "see 'authgate rule"
		    " list'", "the rules cannot be read");
		goto out;
	}
	if (rc == 0 || rs.n == 0) {
		doctor_report_add(r, DOCTOR_WARN, "rules", "add rules with"
		    " 'authgate rule add' (see docs/rules.md)", "no rules:"
		    " every path needs a session or an API key (the default"
		    " rule), and nothing is public or denied");
		goto out;
	}
	for (i = 0; i < rs.n; i++) {
		const struct admin_rule *x = &rs.v[i];

		if (x->why != NULL) {
			bad++;
			say(fix, sizeof(fix), "authgate rule set %lld ..."
			    " or authgate rule rm %lld (%s)", x->t.id,
			    x->t.id, admin_rule_problem(x->why));
			doctor_report_add(r, DOCTOR_FAIL, "rules.valid", fix,
			    "rule %lld is invalid (%s): every request is"
			    " answered 503 until it is fixed", x->t.id, x->why);
		} else if (x->nshadow > 0) {
			shadowed++;
			say(fix, sizeof(fix), "give it a --priority below"
			    " rule %lld's, narrow the earlier rule, or remove"
			    " it: authgate rule rm %lld", x->shadowed_by[0],
			    x->t.id);
			doctor_report_add(r, DOCTOR_WARN, "rules.shadowed", fix,
			    "rule %lld (%s) can never match: rule %lld comes"
			    " first and takes all its requests", x->t.id,
			    x->t.path, x->shadowed_by[0]);
		}
	}
	if (bad == 0 && shadowed == 0)
		doctor_report_add(r, DOCTOR_OK, "rules", NULL, "%zu rules, all"
		    " valid, none shadowed", rs.n);
out:
	admin_rules_free(&rs);
}

void
doctor_store(struct doctor_report *r, struct store *s, const char *db,
    int64_t now)
{
	struct store_stats st;
	char msg[256], fix[DOCTOR_MAX_TEXT], when[UTIL_TIME_ISO_LEN + 1];
	const char *m;
	int64_t ev;
	int rc;

	/* First the decision's own view: a column it reads renamed or gone
	 * is a 503 for every request (and may also stop the counts below). */
	if (store_decision_check(s) != 0 && (m = store_schema_problem(s))[0]) {
		say(fix, sizeof(fix), "put the table back as better-auth"
		    " (or the Auth.js adapter) creates it (authgate init --db"
		    " %s adds what is missing of authgate's)", db);
		doctor_report_add(r, DOCTOR_FAIL, "schema", fix, "%s: every"
		    " request gets 503", m);
	}
	if (store_stats_get(s, now, &st) != 0) {
		store_last_error(s, &m);
		doctor_report_add(r, DOCTOR_FAIL, "db.open", "restore the file"
		    " from a backup, or check it with sqlite3", "cannot read"
		    " %s: %s", db, m);
		return;
	}
	if (st.users < 0 || st.sessions < 0) {
		say(fix, sizeof(fix), "authgate init --db %s, or point"
		    " --db at your better-auth database", db);
		doctor_report_add(r, DOCTOR_FAIL, "schema", fix, "%s has no"
		    " better-auth user and session tables: every request"
		    " gets 503", db);
	}
	if (st.schema_version <= 0) {
		say(fix, sizeof(fix), "authgate init --db %s", db);
		doctor_report_add(r, DOCTOR_FAIL, "schema", fix, "%s has no"
		    " authgate tables (rules, webhook log)", db);
	} else {
		doctor_report_add(r, DOCTOR_OK, "schema", NULL, "schema version"
		    " %d", st.schema_version);
	}
	if (strcmp(st.journal_mode, "wal") != 0)
		doctor_report_add(r, DOCTOR_WARN, "journal", "with the IdP"
		    " server stopped: sqlite3 DB 'pragma journal_mode=wal'",
		    "journal mode is %s, not wal: a long write makes requests"
		    " wait, then get 503", st.journal_mode);
	else
		doctor_report_add(r, DOCTOR_OK, "journal", NULL, "journal mode"
		    " wal");
	rc = store_quick_check(s, msg, sizeof(msg));
	if (rc != 1)
		doctor_report_add(r, DOCTOR_FAIL, "integrity", "restore from a"
		    " backup, or salvage with: sqlite3 DB .recover | sqlite3"
		    " NEW.db", "the database is damaged: %s", rc < 0 ?
		    "quick_check failed" : msg);
	else
		doctor_report_add(r, DOCTOR_OK, "integrity", NULL, "quick_check"
		    " ok");
	if (st.schema_version > 0 && st.views < 5) {
		say(fix, sizeof(fix), "authgate init --db %s (it says"
		    " which views this database cannot have)", db);
		doctor_report_add(r, DOCTOR_WARN, "views", fix, "%d of the 5"
		    " authgate_* views for the sqlite3 shell are present",
		    st.views);
	}
	doctor_rules(r, s);

	if (util_time_format(now, when, sizeof(when)) != 0)
		snprintf(when, sizeof(when), "(out of range)");
	if (now < DOCTOR_CLOCK_FLOOR_MS) {
		doctor_report_add(r, DOCTOR_FAIL, "clock", "set the time and"
		    " keep it: timedatectl set-ntp true", "the clock says %s:"
		    " it is not set, so expiry dates mean nothing", when);
		return;
	}
	if (st.last_event_at[0] != '\0' &&
	    util_time_parse(st.last_event_at, strlen(st.last_event_at),
	    &ev) == 0 && ev > now + DOCTOR_CLOCK_SKEW_MS) {
		doctor_report_add(r, DOCTOR_WARN, "clock", "check the time"
		    " source: timedatectl set-ntp true", "the newest webhook"
		    " event was received at %s, after now (%s): the clock went"
		    " back", st.last_event_at, when);
		return;
	}
	if (st.newest_session_ms > now + DOCTOR_CLOCK_SKEW_MS) {
		doctor_report_add(r, DOCTOR_WARN, "clock", "keep both clocks"
		    " on NTP: timedatectl set-ntp true", "sessions were"
		    " created up to %lld min after this host's now (%s): this"
		    " clock or the IdP's is off, and expiry is judged by this"
		    " one", (long long)((st.newest_session_ms - now) / 60000),
		    when);
		return;
	}
	doctor_report_add(r, DOCTOR_OK, "clock", NULL, "clock %s", when);
}
