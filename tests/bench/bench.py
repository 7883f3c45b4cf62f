#!/usr/bin/env python3
"""
bench.py - `make bench`: authgate measured side by side with what it sits
between (tests/bench/run.sh starts it; see tests/bench/RESULTS.md).

 1. Databases (tests/bench/mkdb.py, cached in tests/tmp/bench-db, rebuilt
    when mkdb.py or the schema change): 1k and BENCH_SESSIONS (1M)
    sessions shaped like better-auth's; 10,000 of their tokens signed into
    cookies here, the first checked against `authgate cookie`.
 2. In-process (build/bench/bench_decide): authz_decide next to the
    reference decision (reference.c), interleaved, over both databases.
 3. Servers (servers.py): one lighttpd with every variant under its own
    path (static, the libfcgi floor and authgate at 1, 2 and 4 processes,
    over unix sockets and TCP, and pointed at an `authgate serve`
    socket), nginx running the shipped conf/nginx files (static, and
    auth_request to `authgate serve`, to authgate's libfcgi loop and to
    the floor, 2 processes each), measured with wrk (wrk.lua) in rounds: every variant once per round, variants
    compared with each other in one block (same front server and process
    count), blocks and the variants in them in an order shuffled each
    round, the page cache warmed before each round. Per run:
    requests/s, p50/p99, server CPU per request (utime+stime of every
    server process, /proc/PID/stat, over the run, divided by the requests).
    Ratios are taken within a round, then their median.
 4. RSS of every authgate worker after the rounds; webhook ingest (signed
    Optare deliveries through lighttpd into a copy of the large database,
    counted as applied rows in authgate_event); a perf profile.
 5. tests/bench/serve_p99.sh (authgate serve's check latency under slow
    clients); then every figure against the issue's targets (report.py),
    printed and written to tests/bench/RESULTS.md (a full run) or
    tests/tmp/bench/RESULTS.md (any BENCH_* knob but BENCH_PROFILE), with
    the raw figures in tests/tmp/bench/raw.json.

Knobs (environment): BENCH_QUICK=1 (2 short rounds), BENCH_ROUNDS,
BENCH_SECONDS (per run), BENCH_CONNS (32), BENCH_THREADS (wrk, 2),
BENCH_SESSIONS (1000000), BENCH_ONLY=REGEX (server variants by name, and
"decide", "webhook", "serve_p99" for the other parts; skips the rest),
BENCH_PROFILE=0 or 1 (perf; on by default in a full run).

Asserts nothing about speed: a missed target is reported, never an error.
Exits 1 only when something could not run (a build, a server, a variant
answering the wrong status); the figures of what did run are still
written.
"""

import base64
import hashlib
import hmac
import http.client
import json
import os
import random
import re
import secrets
import shutil
import sqlite3
import subprocess
import sys
import time
import urllib.parse

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import report  # noqa: E402 (after the line above)
from common import (BIN, FILE_BYTES, FLOOR, HERE, HZ, OUT, ROOT, SECRET,
                    WH_SECRET, descendants, environ_of, exe_of, listen_names,
                    log, pool_of, problem, problems, proc_table, status_kb)
from servers import Servers

DBCACHE = os.path.join(ROOT, "tests", "tmp", "bench-db")
DECIDE = os.path.join(ROOT, "build", "bench", "bench_decide")
LUA = os.path.join(HERE, "wrk.lua")

QUICK = os.environ.get("BENCH_QUICK") == "1"
ROUNDS = int(os.environ.get("BENCH_ROUNDS") or (2 if QUICK else 4))
SECONDS = int(os.environ.get("BENCH_SECONDS") or (1 if QUICK else 3))  # wrk: whole s
CONNS = int(os.environ.get("BENCH_CONNS") or 32)
THREADS = int(os.environ.get("BENCH_THREADS") or 2)
SESSIONS = int(os.environ.get("BENCH_SESSIONS") or 1000000)
ONLY = os.environ.get("BENCH_ONLY") or ""
# BENCH_ONLY also names the parts that are not server variants.
DO_DECIDE = not ONLY or re.search(ONLY, "decide") is not None
DO_WEBHOOK = not ONLY or re.search(ONLY, "webhook") is not None
DO_P99 = not ONLY or re.search(ONLY, "serve_p99") is not None
PROFILE = os.environ.get("BENCH_PROFILE") == "1" or (
    not QUICK and not ONLY and os.environ.get("BENCH_PROFILE") != "0")
DECIDE_MS = 100 if QUICK else 250
DECIDE_ROUNDS = 3 if QUICK else 7
WEBHOOK_RUNS = 1 if QUICK else 3
WEBHOOK_CONNS = 4           # "a few concurrent senders"
# A run with other settings does not replace the committed RESULTS.md.
PARTIAL = any(k.startswith("BENCH_") and k != "BENCH_PROFILE"
              for k in os.environ)


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, **kw)


def human(n):
    return "%dM" % (n // 1000000) if n % 1000000 == 0 else \
        "%dk" % (n // 1000) if n % 1000 == 0 else str(n)


# ---------------------------------------------------------------------
# Databases and credentials.

def ensure_db(n):
    """The cached database of n sessions: (dir, db path)."""
    h = hashlib.sha256()
    for f in ("tests/bench/mkdb.py", "db/schema.sql", "db/admin.sql",
              "db/demo.sql"):
        with open(os.path.join(ROOT, f), "rb") as fh:
            h.update(fh.read())
    h.update(str(n).encode())
    label = human(n)
    d = os.path.join(DBCACHE, "%s-%s" % (label, h.hexdigest()[:12]))
    db = os.path.join(d, "bench.db")
    if not os.path.exists(os.path.join(d, "complete")):
        os.makedirs(DBCACHE, exist_ok=True)
        for old in os.listdir(DBCACHE):
            if old.startswith(label + "-"):
                shutil.rmtree(os.path.join(DBCACHE, old))
        os.makedirs(d)
        log("building the %s-session database (once; cached in %s)" %
            (label, os.path.relpath(d, ROOT)))
        t0 = time.time()
        run([sys.executable, os.path.join(HERE, "mkdb.py"), BIN, db, str(n), d])
        open(os.path.join(d, "complete"), "w").close()
        log("  built in %.0f s, %.0f MB" % (time.time() - t0,
                                            os.path.getsize(db) / 1e6))
    sign_cookies(d)
    if os.getuid() == 0:
        # The serving processes run as nobody (authgate serve) or as root
        # (lighttpd's children); SQLite gives root-created -wal/-shm files
        # the database's owner, so both can read it.
        for p in [d] + [os.path.join(d, f) for f in os.listdir(d)]:
            os.chown(p, 65534, 65534)
    return d, db


def cookie_of(token):
    """The Cookie header better-auth sets: TOKEN.base64(HMAC-SHA256),
    encodeURIComponent'ed."""
    sig = base64.b64encode(hmac.new(SECRET.encode(), token.encode(),
                                    hashlib.sha256).digest()).decode()
    return "better-auth.session_token=" + urllib.parse.quote(
        token + "." + sig, safe="-_.!~*'()")


def sign_cookies(d):
    with open(os.path.join(d, "tokens.txt")) as f:
        toks = f.read().split()
    cookies = [cookie_of(t) for t in toks]
    with open(os.path.join(d, "cookies.txt"), "w") as f:
        f.write("\n".join(cookies) + "\n")
    want = subprocess.run([BIN, "cookie", toks[0]], capture_output=True,
                          text=True, env=dict(os.environ,
                                              BETTER_AUTH_SECRET=SECRET))
    if want.stdout.strip() != cookies[0]:
        sys.exit("bench: the bench's cookie differs from `authgate cookie`")


def lines(path):
    with open(path) as f:
        return [x for x in f.read().split("\n") if x]


def warm(paths):
    """Reads the files once, so every round starts from a warm page cache."""
    for p in paths:
        with open(p, "rb") as f:
            while f.read(1 << 20):
                pass


# ---------------------------------------------------------------------
# Variants and wrk.

class Variant:
    """One way of serving the file: front server, path (which authorizer
    pool), credential (none, fixed, random, key), processes, the status
    every answer must have."""

    def __init__(self, name, server, path, cred, procs, want, note):
        self.name, self.server, self.path = name, server, path
        self.cred, self.procs, self.want, self.note = cred, procs, want, note
        self.runs = []
        self.broken = None

    def group(self):
        """Variants whose ratios are read together run next to each other
        in a round: same front server and process count (the lighttpd
        static file with the 2-process block)."""
        if self.server.startswith("nginx"):
            return "nginx"
        if self.name.startswith(("floortcp", "agtcp")):
            return "tcp"
        return str(self.procs or 2)


def variants():
    v = [Variant("static", "lighttpd", "/b/static/f.txt", "none", 0, 200,
                 "lighttpd static file, no authorizer (the limit)")]
    for n in (1, 2, 4):
        v.append(Variant("floor%d" % n, "lighttpd", "/b/floor%d/f.txt" % n,
                         "none", n, 200, "libfcgi floor, %d proc, unix" % n))
    for n in (1, 2, 4):
        v.append(Variant("ag%d-fixed" % n, "lighttpd", "/b/ag%d/f.txt" % n,
                         "fixed", n, 200,
                         "authgate, %d proc, one session cookie" % n))
        v.append(Variant("ag%d-random" % n, "lighttpd", "/b/ag%d/f.txt" % n,
                         "random", n, 200,
                         "authgate, %d proc, 10,000 random cookies" % n))
    v += [
        Variant("ag2-key", "lighttpd", "/b/ag2/f.txt", "key", 2, 200,
                "authgate, 2 procs, API key"),
        Variant("ag2-deny", "lighttpd", "/b/ag2/f.txt", "none", 2, 401,
                "authgate, 2 procs, no credentials (401)"),
        Variant("floortcp2", "lighttpd", "/b/floortcp2/f.txt", "none", 2, 200,
                "libfcgi floor, 2 procs, TCP"),
        Variant("agtcp2-fixed", "lighttpd", "/b/agtcp2/f.txt", "fixed", 2,
                200, "authgate, 2 procs, TCP, one session cookie"),
        Variant("sv2-fixed", "lighttpd", "/b/sv2/f.txt", "fixed", 2, 200,
                "lighttpd -> authgate serve --workers 2, one cookie"),
        Variant("sv2-random", "lighttpd", "/b/sv2/f.txt", "random", 2, 200,
                "lighttpd -> authgate serve --workers 2, random cookies"),
        Variant("nginx-static", "nginx-static", "/b/ng/f.txt", "none", 0,
                200, "nginx static file, no auth_request"),
        Variant("nginx-floor2", "nginx-floor", "/b/ng/f.txt", "none", 2, 200,
                "nginx auth_request -> libfcgi floor, 2 procs"),
        Variant("nginx-fcgi2-fixed", "nginx-fcgi", "/b/ng/f.txt", "fixed", 2,
                200, "nginx auth_request -> authgate (libfcgi), 2 procs,"
                " one cookie"),
        Variant("nginx-fcgi2-random", "nginx-fcgi", "/b/ng/f.txt", "random",
                2, 200, "nginx auth_request -> authgate (libfcgi), 2 procs,"
                " random cookies"),
        Variant("nginx-sv2-fixed", "nginx-sv", "/b/ng/f.txt", "fixed", 2, 200,
                "nginx auth_request -> authgate serve --workers 2, one"
                " cookie"),
        Variant("nginx-sv2-random", "nginx-sv", "/b/ng/f.txt", "random", 2,
                200, "nginx auth_request -> authgate serve --workers 2,"
                " random cookies"),
    ]
    if ONLY:
        v = [x for x in v if re.search(ONLY, x.name)]
    return v


class Bench:
    def __init__(self, srv, cookies_file, key):
        self.srv = srv
        self.cookies_file = cookies_file
        self.cookies = lines(cookies_file)
        self.key = key

    def port_of(self, v):
        if v.server == "nginx-static":
            return self.srv.ng_static
        if v.server.startswith("nginx"):
            return self.srv.ng_port.get(v.server, 0)
        return self.srv.port

    def env_of(self, v):
        e = dict(os.environ, BENCH_PATH=v.path, BENCH_THREADS=str(THREADS))
        for k in ("BENCH_COOKIE", "BENCH_COOKIES", "BENCH_KEY", "BENCH_BODIES"):
            e.pop(k, None)
        if v.cred == "fixed":
            e["BENCH_COOKIE"] = self.cookies[0]
        elif v.cred == "random":
            e["BENCH_COOKIES"] = self.cookies_file
        elif v.cred == "key":
            e["BENCH_KEY"] = self.key
        return e

    def check(self, v):
        """One request per credential kind (20 for random): the status the
        variant must answer, or the variant is not measured."""
        heads = [{}]
        if v.cred == "fixed":
            heads = [{"Cookie": self.cookies[0]}]
        elif v.cred == "random":
            heads = [{"Cookie": c} for c in self.cookies[:20]]
        elif v.cred == "key":
            heads = [{"x-api-key": self.key}]
        for h in heads:
            try:
                c = http.client.HTTPConnection("127.0.0.1", self.port_of(v),
                                               timeout=10)
                c.request("GET", v.path, headers=h)
                r = c.getresponse()
                body = r.read()
                c.close()
            except OSError as e:
                v.broken = "request failed: %s" % e
                return False
            if r.status != v.want or (v.want == 200 and len(body) != FILE_BYTES):
                v.broken = "answered %d (%d bytes), want %d" % (
                    r.status, len(body), v.want)
                return False
        return True

    def wrk(self, v, secs, conns=CONNS, threads=THREADS, env=None):
        """One wrk run; returns its figures and the servers' CPU."""
        pids = self.srv.pids()
        before = descendants(pids)
        t0 = time.time()
        p = subprocess.run(
            ["wrk", "-t", str(threads), "-c", str(conns), "-d", "%ds" % secs,
             "--timeout", "5s", "-s", LUA,
             "http://127.0.0.1:%d" % self.port_of(v)],
            env=env or self.env_of(v), capture_output=True, text=True)
        wall = time.time() - t0
        after = descendants(pids)
        m = re.search(r"^WRK (.*)$", p.stdout, re.M)
        if p.returncode != 0 or not m:
            problem("%s: wrk failed (%d): %s" % (
                v.name, p.returncode, (p.stderr or p.stdout).strip()[-200:]))
            return None
        r = {k: float(x) for k, x in (kv.split("=") for kv in m.group(1).split())}
        ticks = sum(t - before.get(pid, 0) for pid, t in after.items())
        r["rps"] = r["requests"] / (r["duration_us"] / 1e6)
        r["cpu_us"] = ticks * 1e6 / HZ / r["requests"] if r["requests"] else 0
        r["wall"] = wall
        return r


# ---------------------------------------------------------------------
# The parts.

def in_process(dbs):
    res = {}
    for label, d, db in dbs:
        log("== in-process: authz_decide vs the reference, %s sessions" % label)
        p = subprocess.run([DECIDE, db, label, SECRET,
                            os.path.join(d, "cookies.txt"),
                            os.path.join(d, "keys.txt"),
                            os.path.join(d, "limited_key.txt"), str(DECIDE_MS),
                            str(DECIDE_ROUNDS)],
                           capture_output=True, text=True)
        sys.stdout.write(p.stdout)
        if p.returncode != 0:
            problem("bench_decide (%s): %s" % (label, p.stderr.strip()))
        for line in p.stdout.splitlines():
            if line.startswith("decide "):
                kv = dict(x.split("=") for x in line.split()[1:])
                res[(kv["db"], kv["case"], kv["impl"])] = {
                    k: float(kv[k]) for k in ("ns", "min", "max", "wall_ns")}
    return res


def webhook_bodies(path, users, n, run_id):
    """n signed Optare deliveries with fresh timestamps: 60% sign-ins
    (session.created), 20% sign-ups (user.created), 20% profile changes
    (user.updated, each user once)."""
    now_ms = int(time.time() * 1000)

    def iso(ms):
        return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms // 1000)) + \
            ".%03dZ" % (ms % 1000)
    alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

    def rid():
        return "".join(secrets.choice(alnum) for _ in range(32))
    out = []
    for k in range(n):
        uid, oid = users[k % len(users)]
        x = k % 10
        if x < 6:
            et, data = "session.created", {
                "id": rid(), "token": rid(), "userId": uid,
                "expiresAt": iso(now_ms + 7 * 86400000),
                "ipAddress": "10.9.%d.%d" % (k // 250 % 250, k % 250),
                "userAgent": "Mozilla/5.0 (X11; Linux x86_64) bench",
                "activeOrganizationId": oid,
                "createdAt": iso(now_ms), "updatedAt": iso(now_ms)}
        elif x < 8:
            nid = rid()
            et, data = "user.created", {
                "id": nid, "name": "Webhook %s" % nid[:6],
                "email": "wh-%s-%d@example.test" % (run_id, k),
                "emailVerified": True, "createdAt": iso(now_ms),
                "updatedAt": iso(now_ms)}
        else:
            et, data = "user.updated", {
                "id": uid, "name": "Renamed %d" % k,
                "updatedAt": iso(now_ms + k)}
        body = json.dumps({"id": "bench-%s-%d" % (run_id, k), "type": et,
                           "timestamp": iso(now_ms), "data": data},
                          separators=(",", ":"))
        sig = hmac.new(WH_SECRET.encode(), body.encode(),
                       hashlib.sha256).hexdigest()
        out.append(sig + "\t" + body)
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


def applied(db):
    c = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    try:
        return c.execute("SELECT count(*) FROM authgate_event"
                         " WHERE outcome = 'applied'").fetchone()[0]
    finally:
        c.close()


def webhook_ingest(b, srv):
    log("== webhook ingest: signed Optare deliveries, %d concurrent senders,"
        " through lighttpd (2 procs) into a copy of the large database"
        % WEBHOOK_CONNS)
    c = sqlite3.connect("file:%s?mode=ro" % srv.webhook_db, uri=True)
    users = c.execute(
        "SELECT u.id, m.organizationId FROM \"user\" u"
        " JOIN member m ON m.userId = u.id AND m.role != 'guest'"
        " WHERE u.email LIKE 'user%' ORDER BY random() LIMIT 100000").fetchall()
    c.close()
    v = Variant("webhook", "lighttpd", "/webhooks/optare", "bodies", 2, 200, "")
    out = []
    pool = max(int(4000 * SECONDS), 2000)
    # Run 0 warms up (the webhook processes open the store on their first
    # delivery) and is not reported.
    for i in range(WEBHOOK_RUNS + 1):
        bodies = os.path.join(OUT, "webhook-%d.txt" % i)
        users_i = users[i::WEBHOOK_RUNS + 1] or users
        webhook_bodies(bodies, users_i, pool, "%d-%d" % (os.getpid(), i))
        env = dict(os.environ, BENCH_PATH=v.path, BENCH_BODIES=bodies,
                   BENCH_THREADS="2")
        a0 = applied(srv.webhook_db)
        rec = None
        if PROFILE and i == WEBHOOK_RUNS:
            rec = perf_start("perf-webhook.data", SECONDS)
        r = b.wrk(v, SECONDS if i else min(SECONDS, 1), conns=WEBHOOK_CONNS,
                  threads=2, env=env)
        if rec:
            rec.wait()
            pids = [str(pid) for _, pid, db in authgate_workers(srv)
                    if db == srv.webhook_db]
            profiles["webhook ingest: the webhook processes' own time by "
                     "symbol (last run)"] = perf_report(
                os.path.join(OUT, "perf-webhook.data"),
                ["--pid", ",".join(pids), "--sort", "dso,sym"], 25)
        a1 = applied(srv.webhook_db)
        if r is None:
            continue
        if i == 0:
            continue
        r["applied"] = a1 - a0
        r["eps"] = (a1 - a0) / (r["duration_us"] / 1e6)
        log("  run %d: %d deliveries, %d applied, %d not 2xx, %.0f applied"
            " events/s, p50 %.2f ms, p99 %.2f ms%s" % (
                i, r["requests"], r["applied"], r["status_errors"],
                r["eps"], r["p50_us"] / 1000, r["p99_us"] / 1000,
                " (pool of %d exhausted: duplicates)" % pool
                if r["requests"] > pool else ""))
        if r["requests"] > pool:
            pool = int(r["requests"] * 1.5)
        out.append(r)
    return out


def authgate_workers(srv):
    """(kind, pid, AUTHGATE_DB) of every authgate worker: lighttpd's
    children (kind names the socket they serve) and authgate serve's
    workers (its direct children)."""
    t = proc_table()
    real = os.path.realpath(BIN)
    names = listen_names()
    rows = []
    lt = srv.procs.get("lighttpd")
    if lt and lt.poll() is None:
        for pid in descendants([lt.pid], t):
            if pid != lt.pid and exe_of(pid) == real:
                rows.append(("lighttpd child on " + pool_of(pid, names), pid,
                             environ_of(pid).get(b"AUTHGATE_DB", b"").decode()))
    sv = srv.procs.get("serve")
    if sv and sv.poll() is None:
        for pid, (pp, _) in t.items():
            if pp == sv.pid:
                rows.append(("serve worker", pid, srv.db))
    return rows


def rss_report(srv):
    """RSS of each authgate decision worker (on the large database)."""
    rows = [(k, pid) for k, pid, db in authgate_workers(srv) if db == srv.db]
    out = []
    for kind, pid in rows:
        out.append({"kind": kind, "pid": pid,
                    "rss": status_kb(pid, "VmRSS") / 1024,
                    "anon": status_kb(pid, "RssAnon") / 1024,
                    "file": status_kb(pid, "RssFile") / 1024,
                    "shmem": status_kb(pid, "RssShmem") / 1024})
    return out


profiles = {}               # title -> report lines


def perf_profiles(b, vs):
    """perf over one more run of ag2-random: the whole machine by command,
    and authgate's own symbols."""
    out = profiles
    if not shutil.which("perf"):
        return out
    v = next((x for x in vs if x.name == "ag2-random" and not x.broken), None)
    data = os.path.join(OUT, "perf.data")
    if v:
        rec = perf_start("perf.data", SECONDS)
        b.wrk(v, SECONDS)
        rec.wait()
        pids = [str(pid) for k, pid, _ in authgate_workers(b.srv)
                if "ag2.sock" in k]
        out["ag2-random: the whole machine by command (other tenants "
            "included)"] = perf_report(data, ["--sort", "comm"], 12)
        out["ag2-random: the 2 authgate workers' own time by symbol"] = \
            perf_report(data, ["--pid", ",".join(pids), "--sort", "dso,sym"],
                        25)
    return out


def perf_start(name, secs):
    """perf record over the whole machine for secs (and a little more),
    started before the run it is to see."""
    rec = subprocess.Popen(["perf", "record", "-a", "-g", "-F", "499", "-o",
                            os.path.join(OUT, name), "--", "sleep",
                            str(secs + 0.5)],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.3)
    return rec


def perf_report(data, args, n):
    p = subprocess.run(["perf", "report", "-i", data, "--stdio",
                        "--no-children", "-g", "none", "--percent-limit", "0.5",
                        "--percentage", "relative"]
                       + args, capture_output=True, text=True)
    rows = [x.rstrip() for x in p.stdout.splitlines()
            if x.strip() and not x.startswith("#")]
    return rows[:n]


def perf_decide(d, db, label):
    data = os.path.join(OUT, "perf-decide.data")
    env = dict(os.environ, BENCH_CASE="session_random", BENCH_IMPL="authgate")
    p = subprocess.run(["perf", "record", "-g", "-F", "1999", "-o", data, "--",
                        DECIDE, db, label, SECRET,
                        os.path.join(d, "cookies.txt"),
                        os.path.join(d, "keys.txt"),
                        os.path.join(d, "limited_key.txt"), "1000", "1"],
                       env=env, capture_output=True, text=True)
    if p.returncode != 0:
        return []
    return perf_report(data, ["--sort", "dso,sym"], 25)


def server_part(vs, dbbig, db1k, dbig, cookies, key, big):
    """The server part: variants in rounds, RSS, webhook ingest, profiles.
    Returns (rss, webhook runs, profiles)."""
    rss, wh = [], []
    need = {v.server for v in vs} | {"lighttpd"}
    if any("sv2" in v.name or v.server == "nginx-static" for v in vs):
        need.add("serve")
    webhook_db = os.path.join(OUT, "run", "webhook.db")
    srv = Servers(dbbig, webhook_db)
    try:
        # The webhook writes into a copy (of the small database when
        # BENCH_ONLY skips the ingest run).
        shutil.copy(dbbig if DO_WEBHOOK else db1k, webhook_db)
        if os.getuid() == 0:
            os.chown(webhook_db, 65534, 65534)
        srv.docroot(sorted({v.path for v in vs} | {"/b/static/f.txt"}))
        srv.start(need)
        b = Bench(srv, cookies, key)
        for v in vs:
            if not b.check(v):
                problem("%s: %s" % (v.name, v.broken))
        live = [v for v in vs if not v.broken]
        if live:
            log("== through the servers: %d variants, %d rounds of %g s,"
                " wrk -t%d -c%d" % (len(live), ROUNDS, SECONDS, THREADS,
                                    CONNS))
        for v in live:                      # warm-up: spawn, open, cache
            b.wrk(v, min(SECONDS, 1))
        for rnd in range(ROUNDS if live else 0):
            warm([dbbig])
            # Blocks in a shuffled order, each block's variants shuffled:
            # the two sides of a ratio run seconds apart, never in the
            # same order every round.
            rng = random.Random(rnd)
            groups = {}
            for v in live:
                groups.setdefault(v.group(), []).append(v)
            blocks = list(groups.values())
            rng.shuffle(blocks)
            order = []
            for blk in blocks:
                rng.shuffle(blk)
                order += blk
            for v in order:
                r = b.wrk(v, SECONDS)
                if r is None:
                    v.runs.append(None)
                    continue
                bad = r["socket_errors"] > 0 or (
                    r["status_errors"] > 0 if v.want == 200 else
                    r["status_errors"] != r["requests"])
                if bad:
                    problem("%s round %d: %d socket errors, %d non-2xx of %d"
                            % (v.name, rnd + 1, r["socket_errors"],
                               r["status_errors"], r["requests"]))
                v.runs.append(r)
            log("  round %d/%d: %s" % (rnd + 1, ROUNDS, ", ".join(
                "%s %.0f" % (v.name, v.runs[-1]["rps"]) for v in live
                if v.runs and v.runs[-1])))
        rss = rss_report(srv)
        if DO_WEBHOOK:
            wh = webhook_ingest(b, srv)
        if PROFILE:
            log("== profile (perf)")
            perf_profiles(b, live)
            rows = perf_decide(dbig, dbbig, big)
            if rows:
                profiles["in-process authz_decide, random sessions over %s"
                         " rows" % big] = rows
    finally:
        srv.stop()
    return rss, wh, profiles


def main():
    started = time.time()
    load0 = open("/proc/loadavg").read().split()[0]
    for f in (BIN, DECIDE, FLOOR):
        if not os.access(f, os.X_OK):
            sys.exit("bench: %s is missing (make bench builds it)" % f)
    for tool in ("wrk", "lighttpd", "nginx"):
        if not shutil.which(tool):
            sys.exit("bench: %s is not installed" % tool)
    shutil.rmtree(OUT, ignore_errors=True)
    os.makedirs(OUT)
    big = human(SESSIONS)
    d1k, db1k = ensure_db(1000)
    dbig, dbbig = ensure_db(SESSIONS)
    cookies = os.path.join(dbig, "cookies.txt")
    key = lines(os.path.join(dbig, "keys.txt"))[0]

    dec = {}
    if DO_DECIDE:
        dec = in_process([("1k", d1k, db1k), (big, dbig, dbbig)])

    vs = variants()
    rss, wh, prof = [], [], {}
    if vs or DO_WEBHOOK:
        rss, wh, prof = server_part(vs, dbbig, db1k, dbig, cookies, key, big)
    p99 = []
    if DO_P99:
        log("== tests/bench/serve_p99.sh")
        p = subprocess.run(["bash", os.path.join(HERE, "serve_p99.sh")],
                           capture_output=True, text=True)
        sys.stdout.write(p.stdout)
        p99 = p.stdout.splitlines()
        if p.returncode != 0:
            problem("serve_p99.sh exited %d: %s" % (
                p.returncode, p.stderr.strip()[-300:]))
    load1 = open("/proc/loadavg").read().split()[0]
    cmd = " ".join("%s=%s" % (k, os.environ[k]) for k in sorted(os.environ)
                   if k.startswith("BENCH_"))
    run_data = {
        "root": ROOT, "started": started, "elapsed": time.time() - started,
        "command": (cmd + " make bench").strip(), "big": big,
        "load0": load0, "load1": load1, "fsync_ms": report.fsync_ms(OUT),
        "settings": "%d rounds of %g s per variant, wrk -t%d -c%d, %d-byte "
                    "file; in-process %d rounds of %d ms" % (
                        ROUNDS, SECONDS, THREADS, CONNS, FILE_BYTES,
                        DECIDE_ROUNDS, DECIDE_MS),
        "conns": CONNS, "file_bytes": FILE_BYTES,
        "decide_rounds": DECIDE_ROUNDS, "webhook_conns": WEBHOOK_CONNS,
        "variants": vs, "decide": dec, "rss": rss, "webhook": wh,
        "profiles": prof, "serve_p99": p99}
    report.dump(run_data, os.path.join(OUT, "raw.json"))
    L = report.render(run_data)
    text = "\n".join(L) + "\n"
    log("")
    log(text)
    dest = os.path.join(OUT, "RESULTS.md") if PARTIAL else \
        os.path.join(HERE, "RESULTS.md")
    with open(dest, "w") as f:
        f.write(text)
    log("written to %s%s" % (os.path.relpath(dest, ROOT),
                             " (a partial run: tests/bench/RESULTS.md is kept)"
                             if PARTIAL else ""))
    if problems:
        log("bench: %d problem(s): %s" % (len(problems), "; ".join(problems)))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
