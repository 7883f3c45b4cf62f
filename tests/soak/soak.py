#!/usr/bin/env python3
"""
soak.py - the long-running proof of issue 8: mixed traffic through a
running lighttpd with authgate as authorizer, every answer checked against
a model of the mirror at that moment.

Owns: the run: client threads (requests from traffic.py, each answer
checked against model.py's oracle), sender threads (senders.py), the
monitor of the authgate processes (crashes, RSS, descriptors), the
comparison of the database with what was acknowledged, and the report.
Trusts: the database as it is before traffic starts (read once by
model.load_model). Python 3 standard library only.
Never: reads the database to decide an answer while traffic runs (only at
the end, to compare it with what was acknowledged); never prints a token,
a raw key or a cookie.

Prints one "ok ID" or "FAIL ID: why" line per check, "#" lines with the
figures, and exits 1 on any failure.
"""

import argparse
import base64
import collections
import json
import os
import random
import re
import sqlite3
import subprocess
import sys
import threading
import time
import traceback

sys.dont_write_bytecode = True      # no __pycache__ in the checkout
from model import (FEATURES, acceptable, cookie_value, iso, load_model,  # noqa: E402
                   now_ceil, now_floor, parse_time)
from senders import Sender, WStats, sender_loop  # noqa: E402
from traffic import (CREDS, IDENT_RE, SPELLINGS, from_authgate, http,  # noqa: E402
                     make_request, matches, shape_ok)


# --------------------------------------------------------------------
# Statistics.

class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.n = 0
        self.wrong = 0
        self.errors = 0
        self.ambiguous = 0
        self.legacy = 0
        self.shape = 0
        self.authgate_denies = 0
        self.by = collections.defaultdict(lambda: [0, 0, 0, 0])  # n wrong amb legacy
        self.status = collections.Counter()
        self.examples = []

    def add(self, keys, wrong, amb, legacy):
        for k in keys:
            s = self.by[k]
            s[0] += 1
            s[1] += wrong
            s[2] += amb
            s[3] += legacy


def describe(req):
    return "%s %r cred=%s spelling=%s nav=%d spoof=%d" % (
        req.method, req.sp.raw, req.cred.cls, req.sp.cls, req.nav, req.spoof)


def show(e):
    st, ident, loc = e
    if ident and ident != "public":
        d = dict(ident)
        return "%d(%s org=%s role=%s)" % (st, d.get("AUTH_USER_ID") or
                                          d.get("AUTH_API_KEY_ID"),
                                          d.get("AUTH_ORG_ID"), d.get("AUTH_ROLE"))
    return "%d%s" % (st, "(%s)" % ident if ident else "" if not loc else "->" + loc)


def show_resp(resp):
    got = {k.decode(): v.decode("utf-8", "replace")
           for k, v in IDENT_RE.findall(resp.body)}
    if got:
        return "%d(%s org=%s role=%s)" % (resp.status, got.get("AUTH_USER_ID") or
                                          got.get("AUTH_API_KEY_ID"),
                                          got.get("AUTH_ORG_ID"), got.get("AUTH_ROLE"))
    return "%d %s" % (resp.status, resp.body[:60])


# --------------------------------------------------------------------
# Pausing traffic for quiet samples.

class Gate:
    def __init__(self):
        self.cv = threading.Condition()
        self.open = True
        self.busy = 0

    def enter(self):
        with self.cv:
            while not self.open:
                self.cv.wait()
            self.busy += 1

    def leave(self):
        with self.cv:
            self.busy -= 1
            self.cv.notify_all()

    def close(self):
        with self.cv:
            self.open = False
            while self.busy:
                self.cv.wait()

    def reopen(self):
        with self.cv:
            self.open = True
            self.cv.notify_all()


class Ctx:
    """The run's shared state: settings, the model, statistics, threads."""


def guarded(ctx, fn, *args):
    """Runs a thread body; an exception is a failure, never a quiet end."""
    try:
        fn(ctx, *args)
    except Exception:           # reported by main as soak-driver-threads
        ctx.thread_errors.append("%s: %s" % (fn.__name__, traceback.format_exc(limit=4)))
        ctx.stop.set()


def client_loop(ctx, idx):
    rng = random.Random(ctx.seed * 1000 + idx)
    while not ctx.stop.is_set():
        req = make_request(rng, ctx.model, ctx.secret)
        ctx.gate.enter()
        try:
            a = now_floor()
            resp = http(ctx.port, req.method, req.sp.raw, req.headers, req.body)
            b = now_ceil()
        finally:
            ctx.gate.leave()
        check(ctx, req, resp, a, b)


def check(ctx, req, resp, a, b):
    st = ctx.stats
    if resp.error:
        with st.lock:
            st.n += 1
            st.errors += 1
            if len(st.examples) < 30:
                st.examples.append("no answer (%s): %s" % (resp.error, describe(req)))
        return
    full = ctx.features
    acc, amb = acceptable(ctx.model, req, a, b, full)
    ok = any(matches(e, resp, req) for e in acc)
    if not ok and req.sp.alt404 and resp.status == 404 and b"backend: " not in resp.body:
        ok = True
    legacy = False
    if not ok and ctx.pending:
        old = dict(full)
        for p in ctx.pending:
            old[p] = False
        acc_old, _ = acceptable(ctx.model, req, a, b, old)
        legacy = any(matches(e, resp, req) for e in acc_old)
    shape = shape_ok(resp, req)
    wrong = not ok and not legacy
    keys = ["cred:" + req.cred.cls, "spelling:" + req.sp.cls,
            "method:" + req.method]
    if req.spoof:
        keys.append("modifier:spoofed_headers")
    if req.nav:
        keys.append("modifier:navigation")
    if req.override:
        keys.append("modifier:method_override_" + req.override)
    with st.lock:
        st.n += 1
        st.status[resp.status] += 1
        if from_authgate(resp):
            st.authgate_denies += 1
        if not shape:
            st.shape += 1
        st.wrong += wrong
        st.ambiguous += amb
        st.legacy += legacy
        st.add(keys, wrong, amb, legacy)
        if (wrong or not shape) and len(st.examples) < 30:
            st.examples.append("%s: %s; want %s; got %s" % (
                "wrong" if wrong else "shape", describe(req),
                " or ".join(sorted(show(e) for e in acc)), show_resp(resp)))


# --------------------------------------------------------------------
# Processes: crashes, memory and descriptors.

def authgate_children(lpid):
    out = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                st = f.read()
        except OSError:
            continue
        comm = st[st.index("(") + 1:st.rindex(")")]
        ppid = int(st[st.rindex(")") + 2:].split()[1])
        if ppid == lpid and comm == "authgate":
            out[int(d)] = comm
    return out


def sample(lpid):
    """{pid: (rss kB, fds)} of lighttpd's authgate children."""
    out = {}
    for pid in authgate_children(lpid):
        try:
            with open("/proc/%d/status" % pid) as f:
                rss = int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))
            fds = len(os.listdir("/proc/%d/fd" % pid))
        except (OSError, AttributeError):
            continue
        out[pid] = (rss, fds)
    return out


def monitor_loop(ctx):
    last = 0
    while not ctx.stop.wait(0.5):
        if not os.path.exists("/proc/%d" % ctx.lpid):
            ctx.lighttpd_died = True
            continue
        ctx.seen_pids.update(authgate_children(ctx.lpid))
        if time.time() - last >= ctx.trend_every:
            last = time.time()
            ctx.trend.append((time.time(), ctx.stats.n, sample(ctx.lpid)))


# --------------------------------------------------------------------
# The end: the database against what was acknowledged.

def compare_db(ctx):
    """Returns a list of differences between the database and the model."""
    diffs = []
    c = sqlite3.connect("file:%s?mode=ro" % ctx.db, uri=True)
    c.row_factory = sqlite3.Row
    m = ctx.model
    for uid in ctx.managed:
        s = m.latest(uid)
        r = c.execute('select * from "user" where id = ?', (uid,)).fetchone()
        if bool(r) != s.exists:
            diffs.append("user %s: row %s, model %s" % (uid, bool(r), s.exists))
            continue
        if not r:
            left = c.execute("select (select count(*) from session where userId = ?1)"
                             " + (select count(*) from member where userId = ?1)"
                             " + (select count(*) from apikey where referenceId = ?1)",
                             (uid,)).fetchone()[0]
            if left:
                diffs.append("user %s deleted but %d rows hang off it" % (uid, left))
            continue
        if bool(r["banned"]) != s.banned or (s.banned and parse_time(r["banExpires"]) != s.ban_expires):
            diffs.append("user %s: banned %s/%s, model %s/%s" % (
                uid, r["banned"], r["banExpires"], s.banned, s.ban_expires))
        mem = {x["organizationId"]: (x["id"], x["role"]) for x in
               c.execute("select * from member where userId = ?", (uid,))}
        if mem != s.members:
            diffs.append("user %s: members %s, model %s" % (uid, mem, s.members))
        ses = {x["token"]: (x["id"], parse_time(x["expiresAt"]), x["activeOrganizationId"])
               for x in c.execute("select * from session where userId = ?", (uid,))}
        want = {t: (v.id, v.expires, v.org) for t, v in s.sessions.items()}
        if ses != want:
            diffs.append("user %s: %d sessions differ from the model" % (
                uid, len(set(ses.items()) ^ set(want.items()))))
        keys = {}
        for x in c.execute("select * from apikey where referenceId = ?", (uid,)):
            md = json.loads(x["metadata"]) if x["metadata"] else {}
            md = md if isinstance(md, dict) else {}
            keys[x["key"]] = (x["id"], bool(x["enabled"]), parse_time(x["expiresAt"]),
                              md.get("organizationId") or "", md.get("role") or "")
        want = {h: (k.id, k.enabled, k.expires, k.meta_org or "", k.meta_role or "")
                for h, k in s.keys.items()}
        if keys != want:
            diffs.append("user %s: keys %s, model %s" % (uid, keys, want))
    ev = {r[0]: r[1] for r in c.execute("select id, outcome from authgate_event")}
    for eid, outcome in ctx.wstats.acked.items():
        if ev.get(eid) != outcome:
            diffs.append("event %s: outcome %s, acknowledged %s" % (eid, ev.get(eid), outcome))
    for eid in ctx.wstats.forged:
        if eid in ev:
            diffs.append("forged event %s was recorded" % eid)
    c.close()
    return diffs


# --------------------------------------------------------------------

class Checks:
    def __init__(self):
        self.passed = self.failed = 0

    def ok(self, cid, cond, why=""):
        if cond:
            self.passed += 1
            print("ok " + cid)
        else:
            self.failed += 1
            print("FAIL %s: %s" % (cid, why))
        sys.stdout.flush()


def fmt_sample(s):
    return ", ".join("pid %d rss %d kB fds %d" % (p, r, f) for p, (r, f) in sorted(s.items()))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--db", required=True)
    ap.add_argument("--lighttpd-pid", type=int, required=True)
    ap.add_argument("--log", required=True, help="lighttpd's error log (authgate's stderr)")
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--senders", type=int, default=2)
    ap.add_argument("--users", type=int, default=6, help="users per sender")
    ap.add_argument("--webhook-pause", type=float, default=0.15)
    ap.add_argument("--seed", type=int, default=int(time.time()))
    ap.add_argument("--pending", default=os.environ.get("SOAK_PENDING", ""))
    ap.add_argument("--rss-slack-kb", type=int, default=4096)
    ap.add_argument("--authgate-bin", help="checks the cookie signing against `authgate cookie`")
    args = ap.parse_args()

    secret = os.environ["BETTER_AUTH_SECRET"].encode()
    wsec = os.environ["AUTHGATE_WEBHOOK_SECRET"].split()
    ctx = Ctx()
    ctx.port, ctx.db, ctx.secret, ctx.seed = args.port, args.db, secret, args.seed
    ctx.lpid = args.lighttpd_pid
    ctx.optare_secret = next(s for s in wsec if not s.startswith("whsec_")).encode()
    ctx.sw_key = base64.b64decode(next(s for s in wsec if s.startswith("whsec_"))[6:])
    ctx.pending = [p for p in args.pending.split(",") if p]
    bad = [p for p in ctx.pending if p not in FEATURES]
    if bad:
        sys.exit("soak: unknown pending feature(s) %s (known: %s)" % (bad, FEATURES))
    ctx.features = {k: True for k in FEATURES}
    ctx.webhook_pause = args.webhook_pause
    ctx.stop = threading.Event()
    ctx.gate = Gate()
    ctx.stats = Stats()
    ctx.wstats = WStats()
    ctx.user_seq = 0
    ctx.lighttpd_died = False
    ctx.seen_pids = {}
    ctx.thread_errors = []
    ctx.trend = []
    ctx.trend_every = max(5.0, args.seconds / 20)
    chk = Checks()
    print("# seed %d, %s s, %d clients, %d senders" % (args.seed, args.seconds,
                                                       args.clients, args.senders))

    ctx.model = load_model(args.db, secret)
    chk.ok("soak-setup-rules", len(ctx.model.rules) >= 7,
           "%d rules in the database" % len(ctx.model.rules))
    lost = [k[:16] for k, o in ctx.model.key_owner.items() if o[0] == "none"]
    chk.ok("soak-setup-keys", not lost, "fixture keys not in the database: %s" % lost)
    if args.authgate_bin:
        out = subprocess.run([args.authgate_bin, "cookie", "soak-check-token"],
                             capture_output=True, text=True,
                             env={"BETTER_AUTH_SECRET": secret.decode()}).stdout.strip()
        chk.ok("soak-setup-cookie", out.endswith("=" + cookie_value(secret, "soak-check-token")),
               "our cookie signing differs from `authgate cookie`")

    initial = authgate_children(ctx.lpid)
    ctx.seen_pids.update(initial)
    chk.ok("soak-setup-procs", len(initial) >= 2,
           "%d authgate processes under lighttpd %d" % (len(initial), ctx.lpid))

    # Setup: the organization and the users the senders own.
    setup = Sender(ctx, "setup", random.Random(args.seed))
    ok = setup.deliver("organization.created", {"id": "org_soak", "name": "Soak",
                                                 "slug": "soak", "createdAt": iso(now_floor())})
    ctx.model.orgs["org_soak"] = "soak"
    senders = []
    for i in range(args.senders):
        snd = Sender(ctx, "w%d" % i, random.Random(args.seed + 17 * (i + 1)))
        for j in range(args.users):
            ok = snd.create_user("u_soak_w%d_%d" % (i, j)) and ok
        senders.append(snd)
    chk.ok("soak-setup-deliveries", ok and not ctx.wstats.failures,
           "; ".join(ctx.wstats.failures[:5]))

    mon = threading.Thread(target=monitor_loop, args=(ctx,), daemon=True)
    mon.start()
    threads = [threading.Thread(target=guarded, args=(ctx, client_loop, i), daemon=True)
               for i in range(args.clients)]
    threads += [threading.Thread(target=guarded, args=(ctx, sender_loop, s), daemon=True)
                for s in senders]
    t0 = time.time()
    for t in threads:
        t.start()

    # The early sample: after warm-up (SQLite's page cache, the
    # allocator's pools), with traffic paused so no request is in flight.
    warm = min(max(5.0, args.seconds * 0.15), 60.0)
    time.sleep(warm)
    ctx.gate.close()
    time.sleep(0.3)
    early = sample(ctx.lpid)
    early_n = ctx.stats.n
    ctx.gate.reopen()
    print("# early sample after %.0f s, %d requests: %s" % (warm, early_n, fmt_sample(early)))

    deadline = t0 + args.seconds
    last = time.time()
    while time.time() < deadline and not ctx.lighttpd_died:
        time.sleep(min(1.0, max(0.0, deadline - time.time())))
        if time.time() - last >= 60:
            last = time.time()
            with ctx.stats.lock:
                print("# %.0f s: %d requests, %d wrong, %d webhook deliveries" % (
                    time.time() - t0, ctx.stats.n, ctx.stats.wrong, ctx.wstats.n))
                sys.stdout.flush()
    ctx.stop.set()
    for t in threads:
        t.join(timeout=60)
    hung = [t for t in threads if t.is_alive()]
    time.sleep(0.5)
    end = sample(ctx.lpid)
    elapsed = time.time() - t0
    ctx.seen_pids.update(authgate_children(ctx.lpid))

    st, w = ctx.stats, ctx.wstats
    print("# %d requests in %.0f s (%.0f/s), %d wrong decisions, %d answers of the"
          " wrong shape, %d without an answer, %d overlapping a change" % (
              st.n, elapsed, st.n / max(elapsed, 1), st.wrong, st.shape, st.errors,
              st.ambiguous))
    print("# statuses: %s" % ", ".join("%d: %d" % kv for kv in sorted(st.status.items())))
    print("# webhook deliveries: %d (%d retried, %d answered 503 busy), %d"
          " forged and refused" % (w.n, w.retries, w.busy, len(w.forged)))
    print("# per class: requests / wrong / overlapping a change%s" % (
        " / legacy (pending)" if ctx.pending else ""))
    for k in sorted(st.by):
        n, wr, amb, leg = st.by[k]
        print("#   %-34s %7d %5d %6d%s" % (k, n, wr, amb, " %6d" % leg if ctx.pending else ""))
    print("# webhook events by type and signature:")
    for (t, sch), n in sorted(w.by.items()):
        print("#   %-42s %-7s %6d" % (t, sch, n))
    for e in st.examples:
        print("# " + e)
    for e in w.failures[:20]:
        print("# webhook: " + e)

    for e in ctx.thread_errors[:5]:
        print("# " + e.replace("\n", "\n# "))
    chk.ok("soak-driver-threads", not ctx.thread_errors,
           "%d driver threads failed" % len(ctx.thread_errors))
    chk.ok("soak-requests", st.n >= 50 and not hung,
           "%d requests, %d client threads hung" % (st.n, len(hung)))
    missing = [c for c, _ in SPELLINGS if st.by["spelling:" + c][0] == 0] + \
              [c for c, _ in CREDS if st.by["cred:" + c][0] == 0]
    chk.ok("soak-classes", not missing, "classes never sent: %s" % missing)
    chk.ok("soak-wrong-decisions", st.wrong == 0, "%d wrong decisions" % st.wrong)
    chk.ok("soak-answer-shape", st.shape == 0, "%d deny answers without"
           " JSON/no-store/WWW-Authenticate" % st.shape)
    chk.ok("soak-no-lost-answers", st.errors == 0, "%d requests got no answer" % st.errors)
    chk.ok("soak-pending", not ctx.pending,
           "not checked yet (SOAK_PENDING): %s; %d answers matched only the old"
           " behaviour" % (",".join(ctx.pending), st.legacy))
    chk.ok("soak-webhooks", w.n > 0 and not w.failures,
           "%d deliveries, %d failures" % (w.n, len(w.failures)))
    chk.ok("soak-lighttpd-alive", not ctx.lighttpd_died and os.path.exists("/proc/%d" % ctx.lpid),
           "lighttpd died")
    chk.ok("soak-no-crash", set(ctx.seen_pids) == set(initial) == set(end),
           "authgate processes changed: at start %s, seen %s, at the end %s" % (
               sorted(initial), sorted(ctx.seen_pids), sorted(end)))
    print("# memory and descriptors, early: %s" % fmt_sample(early))
    print("# memory and descriptors, end:   %s" % fmt_sample(end))
    grow_fd = {p: end[p][1] - early[p][1] for p in early if p in end}
    grow_rss = {p: end[p][0] - early[p][0] for p in early if p in end}
    chk.ok("soak-fds-flat", early and set(early) == set(end) and
           all(g <= 0 for g in grow_fd.values()),
           "descriptor growth %s" % grow_fd)
    chk.ok("soak-rss-flat", early and set(early) == set(end) and
           all(g <= args.rss_slack_kb for g in grow_rss.values()),
           "RSS growth (kB) %s, slack %d kB" % (grow_rss, args.rss_slack_kb))
    print("# RSS (kB) under traffic every %.0f s: %s" % (ctx.trend_every, "; ".join(
        "%d req: %s" % (n, " ".join(str(v[0]) for _, v in sorted(smp.items())))
        for _, n, smp in ctx.trend)))
    print("# RSS growth (kB) per process from the early sample: %s; descriptors: %s" % (
        grow_rss, grow_fd))
    ctx.managed = [u for u in ctx.model.hist if u.startswith("u_soak_")]
    diffs = compare_db(ctx)
    for d in diffs[:20]:
        print("# db: " + d)
    chk.ok("soak-db-matches-acknowledged", not diffs and len(w.acked) > 0,
           "%d differences between the database and the acknowledged events" % len(diffs))
    try:
        with open(args.log, "rb") as f:
            log = f.read()
        denies = len(re.findall(rb"^authgate: \S+ deny status=", log, re.M))
        chk.ok("soak-every-deny-logged", denies == st.authgate_denies,
               "%d deny lines in the log, %d deny answers from authgate" % (
                   denies, st.authgate_denies))
        leaked = [t for t in list(ctx.model.token_owner)[:50] + list(ctx.model.key_owner)[:50]
                  if t.encode() in log]
        chk.ok("soak-no-secret-in-log", not leaked, "%d tokens or keys in the log" % len(leaked))
    except OSError as e:
        chk.ok("soak-every-deny-logged", False, "cannot read the log: %s" % e)
    print("# soak driver: %d passed, %d failed" % (chk.passed, chk.failed))
    return 0 if chk.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
