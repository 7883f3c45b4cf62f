#!/usr/bin/env python3
"""
mkdb.py AUTHGATE DB SESSIONS SEED_DIR - builds a benchmark database shaped
like a better-auth deployment's: `authgate init` for the schema, then bulk
SQL (recursive CTEs) for organizations, users, memberships and sessions,
and API keys hashed here (SQLite has no SHA-256).

Shapes, as better-auth 1.7 writes them (organization, admin and api-key
plugins): ids and session tokens are 32 random characters of [A-Za-z0-9]
(generateId), dates are ISO-8601 text with milliseconds, API keys are a
prefix and 64 random letters stored as the unpadded base64url of their
SHA-256, sessions carry ipAddress, userAgent and activeOrganizationId.
Per SESSIONS sessions: SESSIONS/4 users (about four devices each),
users/20 organizations, every user a member of one organization (the first
user of each its owner, then admins, members, guests), one user in ten
also a guest of a second one, 5% of sessions expired, 5% without an
active organization, SESSIONS/100 API keys (at least 20): user keys with
and without an organization in their metadata, organization-owned keys
with a role granted in authgate_key_role, disabled and expired keys.
db/demo.sql's rules and demo rows are loaded too, and one rule for the
benchmark's paths (/b/**, authenticated).

Writes next to the database (SEED_DIR): tokens.txt (up to 10,000 tokens of
valid sessions with an active organization, in random order; the first is
the "fixed" session), keys.txt (valid user keys with an organization, raw;
the first is the "fixed" key), limited_key.txt (one key with a quota and a
rate limit it never reaches). These are throwaway benchmark credentials.
Asserts nothing about speed; exits non-zero when it cannot build.
"""

import base64
import hashlib
import os
import secrets
import sqlite3
import subprocess
import sys

ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
MAX_TOKENS = 10000      # the wrk rotation: 10,000 signed cookies
ISO = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now', {})"


def rand_id(n=32):
    """SQL for n random characters of [A-Za-z0-9], evaluated per row."""
    return " || ".join("substr('%s', 1 + abs(random() %% 62), 1)" % ALNUM
                       for _ in range(n))


def iso(offset_sql):
    """SQL for an ISO-8601 date: now plus an SQLite modifier expression."""
    return ISO.format(offset_sql)


def build(bin_path, db, n_sessions, seed_dir):
    n_users = max(n_sessions // 4, 10)
    n_orgs = max(n_users // 20, 2)
    n_keys = max(n_sessions // 100, 20)
    for f in (db, db + "-wal", db + "-shm"):
        if os.path.exists(f):
            os.unlink(f)
    subprocess.run([bin_path, "init", "--db", db], check=True,
                   stdout=subprocess.DEVNULL)
    con = sqlite3.connect(db, isolation_level=None)
    con.execute("PRAGMA synchronous=OFF")
    con.execute("PRAGMA cache_size=-262144")
    con.execute("PRAGMA temp_store=MEMORY")
    con.execute("BEGIN")
    con.execute("CREATE TEMP TABLE p (users, orgs, sessions)")
    con.execute("INSERT INTO p VALUES (?, ?, ?)", (n_users, n_orgs, n_sessions))
    # Numbered ids first, so later rows can refer to row n's random id.
    con.execute("CREATE TEMP TABLE o_ids (n INTEGER PRIMARY KEY, id TEXT)")
    con.execute("""
        WITH RECURSIVE i(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM i
                                WHERE n < (SELECT orgs FROM p))
        INSERT INTO o_ids SELECT n, {} FROM i""".format(rand_id()))
    con.execute("""
        INSERT INTO organization (id, name, slug, logo, createdAt, metadata)
        SELECT id, 'Organization ' || n, 'org-' || n, NULL, {}, NULL
        FROM o_ids""".format(iso("'-' || (400 - n % 300) || ' days'")))
    # A user's organization: (n - 1) % orgs + 1; the first user of each
    # organization owns it.
    con.execute("CREATE TEMP TABLE u_ids (n INTEGER PRIMARY KEY, id TEXT,"
                " org INTEGER)")
    con.execute("""
        WITH RECURSIVE i(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM i
                                WHERE n < (SELECT users FROM p))
        INSERT INTO u_ids SELECT n, {}, (n - 1) % (SELECT orgs FROM p) + 1
        FROM i""".format(rand_id()))
    con.execute("""
        INSERT INTO "user" (id, name, email, emailVerified, image, createdAt,
                            updatedAt, role, banned, banReason, banExpires)
        SELECT id, 'User ' || n, 'user' || n || '@example.test', 1, NULL,
               {}, {}, 'user', 0, NULL, NULL
        FROM u_ids""".format(iso("'-' || (300 - n % 250) || ' days'"),
                          iso("'-' || (n % 30) || ' days'")))
    con.execute("""
        INSERT INTO member (id, organizationId, userId, role, createdAt)
        SELECT {}, o.id, u.id,
               CASE WHEN u.n <= (SELECT orgs FROM p) THEN 'owner'
                    WHEN u.n % 10 IN (1, 2) THEN 'admin'
                    WHEN u.n % 10 IN (8, 9) THEN 'guest'
                    ELSE 'member' END,
               {}
        FROM u_ids u JOIN o_ids o ON o.n = u.org""".format(
        rand_id(), iso("'-' || (200 - u.n % 150) || ' days'")))
    con.execute("""
        INSERT INTO member (id, organizationId, userId, role, createdAt)
        SELECT {}, o.id, u.id, 'guest', {}
        FROM u_ids u JOIN o_ids o ON o.n = u.org % (SELECT orgs FROM p) + 1
        WHERE u.n % 10 = 3""".format(rand_id(),
                                  iso("'-' || (100 - u.n % 90) || ' days'")))
    # Sessions: session n belongs to user (n - 1) % users + 1.
    con.execute("""
        WITH RECURSIVE i(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM i
                                WHERE n < (SELECT sessions FROM p))
        INSERT INTO session (id, expiresAt, token, createdAt, updatedAt,
                             ipAddress, userAgent, userId,
                             activeOrganizationId, impersonatedBy)
        SELECT {},
               CASE WHEN i.n % 20 = 0 THEN {} ELSE {} END,
               {}, {}, {},
               '10.' || (i.n % 250) || '.' || (i.n / 250 % 250) || '.' ||
                   (i.n / 62500 % 250 + 1),
               CASE i.n % 4
                 WHEN 0 THEN 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36'
                 WHEN 1 THEN 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15'
                 WHEN 2 THEN 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:127.0) Gecko/20100101 Firefox/127.0'
                 ELSE 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148'
               END,
               u.id,
               CASE WHEN i.n % 20 = 7 THEN NULL ELSE o.id END,
               NULL
        FROM i JOIN u_ids u ON u.n = (i.n - 1) % (SELECT users FROM p) + 1
               JOIN o_ids o ON o.n = u.org""".format(
        rand_id(),
        iso("'-' || (1 + i.n % 30) || ' days'"),
        iso("'+' || (3600 + i.n % 600000) || ' seconds'"),
        rand_id(),
        iso("'-' || (1 + i.n % 6) || ' days'"),
        iso("'-' || (i.n % 86400) || ' seconds'")))
    # API keys: hashed here. Kinds by k % 20.
    users = con.execute("SELECT u.n, u.id, o.id FROM u_ids u"
                        " JOIN o_ids o ON o.n = u.org").fetchall()
    good = []
    rows, grants = [], []
    for k in range(n_keys):
        _, uid, oid = users[(k * 7919) % len(users)]
        raw = "ba_" + "".join(secrets.choice(LETTERS) for _ in range(64))
        stored = base64.urlsafe_b64encode(
            hashlib.sha256(raw.encode()).digest()).rstrip(b"=").decode()
        kid = "".join(secrets.choice(ALNUM) for _ in range(32))
        kind = k % 20
        ref, enabled, expires, meta = uid, 1, None, '{"organizationId":"%s"}' % oid
        if kind == 0:
            enabled = 0
        elif kind == 1:
            expires = "past"
        elif kind in (2, 3):
            ref, meta = oid, None
            grants.append((kid, "member"))
        elif kind in (4, 5):
            meta = None
        elif kind == 6:
            expires = "future"
        rows.append((kid, raw[:6], ref, stored, enabled, expires, meta, k, 0,
                     None, None))
        if kind >= 7:
            good.append(raw)
    # One key with a quota and a rate limit it never reaches: what
    # counting a use costs (the others have better-auth's rate limit
    # turned off; its default, 10 a day, would deny the benchmark).
    _, uid, oid = users[0]
    limited = "ba_" + "".join(secrets.choice(LETTERS) for _ in range(64))
    rows.append(("".join(secrets.choice(ALNUM) for _ in range(32)),
                 limited[:6], uid, base64.urlsafe_b64encode(
                     hashlib.sha256(limited.encode()).digest()).rstrip(
                         b"=").decode(), 1, None,
                 '{"organizationId":"%s"}' % oid, n_keys, 1, 60000,
                 10 ** 15))
    con.executemany("""
        INSERT INTO apikey (id, configId, name, start, referenceId, prefix,
                            key, refillInterval, refillAmount, lastRefillAt,
                            enabled, rateLimitEnabled, rateLimitTimeWindow,
                            rateLimitMax, requestCount, remaining,
                            lastRequest, expiresAt, createdAt, updatedAt,
                            permissions, metadata)
        VALUES (?1, 'default', 'key ' || ?8, ?2, ?3, 'ba_', ?4, NULL, NULL,
                NULL, ?5, ?9, ?10, ?11, 0, ?11, NULL,
                CASE ?6 WHEN 'past' THEN strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-1 days')
                        WHEN 'future' THEN strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '+365 days')
                        ELSE NULL END,
                strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-' || (?8 % 90) || ' days'),
                strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-' || (?8 % 30) || ' days'),
                NULL, ?7)""", rows)
    con.executemany("INSERT INTO authgate_key_role (key_id, role, granted_at,"
                    " note) VALUES (?, ?, strftime('%Y-%m-%dT%H:%M:%fZ',"
                    " 'now'), 'bench')", grants)
    con.execute("COMMIT")
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "..", "..", "db", "demo.sql")) as f:
        con.executescript(f.read())
    con.execute("INSERT INTO authgate_rule (priority, method, path, access,"
                " on_deny, note) VALUES (95, NULL, '/b/**', 'authenticated',"
                " 'json', 'benchmark paths')")
    # Valid sessions (not expired, with an active organization), random
    # order; their users are members of that organization by construction.
    toks = [r[0] for r in con.execute("""
        SELECT token FROM session
        WHERE expiresAt > strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '+1 hours')
          AND activeOrganizationId IS NOT NULL AND id NOT LIKE 's\\_%' ESCAPE '\\'
        ORDER BY random() LIMIT ?""", (MAX_TOKENS,))]
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    if len(toks) < min(MAX_TOKENS, n_sessions // 2) or not good:
        sys.exit("mkdb: too few valid sessions or keys")
    with open(os.path.join(seed_dir, "tokens.txt"), "w") as f:
        f.write("\n".join(toks) + "\n")
    with open(os.path.join(seed_dir, "keys.txt"), "w") as f:
        f.write("\n".join(good) + "\n")
    with open(os.path.join(seed_dir, "limited_key.txt"), "w") as f:
        f.write(limited + "\n")


def main():
    if len(sys.argv) != 5:
        sys.exit("usage: mkdb.py AUTHGATE DB SESSIONS SEED_DIR")
    build(sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4])


if __name__ == "__main__":
    main()
