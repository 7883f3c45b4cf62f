"""
model.py - the soak campaign's model of the mirror and its oracle: SPEC
sections 5-7 (credentials, rules, decisions) written again, independently
of src/, over a model of the state that the webhook senders keep.

Owns: the state model (per user, a list of immutable versions, each with
when its change was sent and acknowledged), rule matching, and the
decision: the set of answers a request may get under one version at one
instant, and under every version and instant a request overlapped.
Trusts: the database only as load_model reads it before traffic starts
(fixture rows, rules, key grants), and the raw fixture keys listed below.
Never: touches the network or the database after load_model.

A request that overlaps a change of what it depends on (sent before the
change was acknowledged, answered after it was sent) may get the old or
the new answer; every other answer must match exactly. Dependencies are
per user: a request depends on the user who owns its credential, and one
sender thread owns all changes of a user, so the candidate states of a
request are consecutive versions of that user's part of the model.
"""

import base64
import calendar
import hashlib
import hmac
import json
import re
import sqlite3
import threading
import time
import urllib.parse

ROLE_RANK = {"guest": 1, "member": 2, "admin": 3, "owner": 4}
RANK_ROLE = {v: k for k, v in ROLE_RANK.items()}
BAD = "bad"            # an unreadable date: expired, and banned for good

# The behaviours the issue asks for; SOAK_PENDING=a,b turns named ones
# off while they are not on main yet (their answers are then "legacy"
# when they match the old behaviour, and reported as unchecked).
FEATURES = ("case", "slash", "head", "semicolon", "dot", "utf8", "narrow",
            "override")

# Raw keys of db/demo.sql and tests/integration/fixtures.sql (public).
FIXTURE_KEYS = (
    "ag_demo_member_key_7f3c9a1e5b2d4c6e8a0b1c2d3e4f5a6b",
    "ag_demo_disabled_key_00000000000000000000000000",
    "ag_test_expired_key_1111111111111111111111111",
    "ag_test_admin_meta_key_22222222222222222222222",
    "ag_test_org_owned_key_333333333333333333333333",
    "ag_test_banned_user_key_44444444444444444444444",
    "ag_test_hex_stored_key_555555555555555555555555",
    "ag_test_member_claims_owner_6666666666666666666",
    "ag_test_noorg_claims_owner_77777777777777777777",
    "ag_test_org_granted_admin_888888888888888888888",
)


def now_floor():
    return time.time_ns() // 1_000_000


def now_ceil():
    return (time.time_ns() + 999_999) // 1_000_000


def iso(ms):
    s, r = divmod(int(ms), 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(s)) + ".%03dZ" % r


ISO_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})"
                    r"(?::(\d{2})(?:\.(\d+))?)?(Z|[+-]\d{2}:?\d{2})?)?$")


def parse_time(v):
    """A date column as better-auth stores it: ISO text or epoch (ms, or
    seconds below 1e11). Returns ms, None (absent) or BAD."""
    if v is None:
        return None
    if isinstance(v, (int, float)):
        v = int(v)
        return v * 1000 if 0 <= v < 100_000_000_000 else v
    v = str(v)
    if v.isdigit() and len(v) <= 18:
        n = int(v)
        return n * 1000 if n < 100_000_000_000 else n
    m = ISO_RE.match(v)
    if not m:
        return BAD
    y, mo, d = int(m[1]), int(m[2]), int(m[3])
    h, mi, se = int(m[4] or 0), int(m[5] or 0), int(m[6] or 0)
    frac = int((m[7] or "0")[:3].ljust(3, "0"))
    try:
        t = calendar.timegm((y, mo, d, h, mi, se, 0, 0, 0)) * 1000 + frac
    except (ValueError, OverflowError):
        return BAD
    tz = m[8]
    if tz and tz != "Z":
        sign = -1 if tz[0] == "-" else 1
        hh, mm = int(tz[1:3]), int(tz[-2:])
        t -= sign * (hh * 60 + mm) * 60000
    return t


def has_control(s):
    return any(ord(c) < 0x20 or ord(c) == 0x7F for c in s)


def highest(roles):
    best = 0
    for r in (roles or "").split(","):
        best = max(best, ROLE_RANK.get(r.strip(" \t"), 0))
    return best


# --------------------------------------------------------------------
# Credentials and signatures, as better-auth and the IdPs make them.

def key_hashes(raw):
    d = hashlib.sha256(raw.encode()).digest()
    return base64.urlsafe_b64encode(d).rstrip(b"=").decode(), d.hex()


def signed_token(secret, token):
    sig = base64.b64encode(hmac.new(secret, token.encode(),
                                    hashlib.sha256).digest()).decode()
    return token + "." + sig


def cookie_value(secret, token):
    return urllib.parse.quote(signed_token(secret, token), safe="")


# --------------------------------------------------------------------
# The model: per user, a list of immutable versions.

class Sess:
    __slots__ = ("id", "token", "expires", "org")

    def __init__(self, sid, token, expires, org):
        self.id, self.token, self.expires, self.org = sid, token, expires, org


class Key:
    __slots__ = ("id", "hash", "enabled", "expires", "meta_org", "meta_role")

    def __init__(self, kid, h, enabled, expires, meta_org, meta_role):
        self.id, self.hash, self.enabled = kid, h, enabled
        self.expires, self.meta_org, self.meta_role = expires, meta_org, meta_role


class Snap:
    """One user's part of the mirror. Never modified once published:
    changes copy it (see derive)."""
    __slots__ = ("exists", "id", "name", "email", "banned", "ban_expires",
                 "members", "sessions", "keys")

    def __init__(self, uid):
        self.exists, self.id, self.name, self.email = False, uid, "", ""
        self.banned, self.ban_expires = False, None
        self.members = {}       # org -> (member id, roles text)
        self.sessions = {}      # token -> Sess
        self.keys = {}          # hash (b64url or hex, as stored) -> Key

    def derive(self):
        n = Snap(self.id)
        for f in self.__slots__:
            v = getattr(self, f)
            setattr(n, f, dict(v) if isinstance(v, dict) else v)
        return n


class Version:
    __slots__ = ("t_send", "t_ack", "snap")

    def __init__(self, t_send, t_ack, snap):
        self.t_send, self.t_ack, self.snap = t_send, t_ack, snap


class Model:
    def __init__(self):
        self.lock = threading.Lock()
        self.hist = {}              # uid -> [Version]
        self.orgs = {}              # org id -> slug (static during a run)
        self.org_keys = {}          # hash -> (org id, Key), static
        self.key_role = {}          # key id -> role an admin granted (authgate_key_role)
        self.token_owner = {}       # token -> uid
        self.key_owner = {}         # raw -> ("user", uid) | ("org", oid) | ("none", None)
        self.key_hash = {}          # raw -> the hash its row stores
        self.live_tokens, self.dead_tokens = [], []
        self.live_keys, self.dead_keys = [], []
        self.rules = []

    def latest(self, uid):
        return self.hist[uid][-1].snap

    def candidates(self, uid, a, b):
        """The versions a request sent at a and answered at b may see."""
        with self.lock:
            vs = self.hist.get(uid)
            if not vs:
                return [None]
            k = 0
            for i, v in enumerate(vs):
                if v.t_ack is not None and v.t_ack < a:
                    k = i
            out = [vs[k].snap]
            for v in vs[k + 1:]:
                if v.t_send < b:
                    out.append(v.snap)
            return out


def load_model(db, secret):
    m = Model()
    c = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    c.row_factory = sqlite3.Row
    for r in c.execute("select id, slug from organization"):
        m.orgs[r["id"]] = r["slug"]
    users = {}
    for r in c.execute('select * from "user"'):
        s = Snap(r["id"])
        s.exists, s.name, s.email = True, r["name"] or "", r["email"] or ""
        keys = r.keys()
        s.banned = bool(r["banned"]) if "banned" in keys else False
        s.ban_expires = parse_time(r["banExpires"]) if "banExpires" in keys else None
        users[s.id] = s
    for r in c.execute("select * from member order by createdAt"):
        u = users.get(r["userId"])
        if u is not None and r["organizationId"] not in u.members:
            u.members[r["organizationId"]] = (r["id"], r["role"])
    for r in c.execute("select * from session"):
        m.token_owner[r["token"]] = r["userId"]
        u = users.get(r["userId"])
        if u is not None:
            u.sessions[r["token"]] = Sess(r["id"], r["token"],
                                          parse_time(r["expiresAt"]),
                                          r["activeOrganizationId"])
        m.live_tokens.append(r["token"])
    cols = [r[1] for r in c.execute("pragma table_info(apikey)")]
    owner_col = "userId" if "userId" in cols else "referenceId"
    rows = {r["key"]: r for r in c.execute("select * from apikey")}
    for raw in FIXTURE_KEYS:
        b64, hx = key_hashes(raw)
        r = rows.get(b64) or rows.get(hx)
        if r is None:
            m.key_owner[raw] = ("none", None)
            m.key_hash[raw] = b64
            m.dead_keys.append(raw)
            continue
        try:
            md = json.loads(r["metadata"]) if r["metadata"] else None
            if isinstance(md, str):
                md = json.loads(md)
        except ValueError:
            md = None
        md = md if isinstance(md, dict) else {}
        k = Key(r["id"], r["key"], bool(r["enabled"]) if r["enabled"] is not None else False,
                parse_time(r["expiresAt"]), md.get("organizationId") or "",
                md.get("role") or "")
        owner = r[owner_col]
        m.key_hash[raw] = r["key"]
        if owner in users:
            users[owner].keys[r["key"]] = k
            m.key_owner[raw] = ("user", owner)
        elif owner in m.orgs:
            m.org_keys[r["key"]] = (owner, k)
            m.key_owner[raw] = ("org", owner)
        else:
            m.key_owner[raw] = ("none", None)
        m.live_keys.append(raw)
    if c.execute("select 1 from sqlite_schema where name = 'authgate_key_role'").fetchone():
        for r in c.execute("select key_id, role from authgate_key_role"):
            m.key_role[r[0]] = r[1]
    for uid, s in users.items():
        m.hist[uid] = [Version(-1, -1, s)]
    for r in c.execute("select id, priority, method, path, access, min_role,"
                       " on_deny, redirect_to from authgate_rule"
                       " order by priority, id"):
        m.rules.append(Rule(r))
    c.close()
    return m


# --------------------------------------------------------------------
# Rules (SPEC section 6).

class Rule:
    def __init__(self, r):
        self.id = r["id"]
        self.methods = [x.strip().upper() for x in (r["method"] or "").split(",")
                        if x.strip()]
        self.path = r["path"].encode()
        self.access = r["access"]
        self.min_role = ROLE_RANK.get(r["min_role"] or "", 0)
        self.min_role_name = r["min_role"] or ""
        self.on_deny = r["on_deny"] or "auto"
        self.redirect_to = r["redirect_to"] or "/sign-in"


_seg_cache = {}


def seg_match(g, p):
    rx = _seg_cache.get(g)
    if rx is None:
        rx = re.compile(b"^" + b".*".join(re.escape(x) for x in g.split(b"*"))
                        + b"$", re.S)
        _seg_cache[g] = rx
    return rx.match(p) is not None


def glob_match(g, p):
    """'*' within one segment, a trailing '/**' the rest (or nothing)."""
    if g.endswith(b"/**"):
        base = g[:-3]
        if not base:
            return p.startswith(b"/")
        for i in range(1, len(p) + 1):
            if (i == len(p) or p[i:i + 1] == b"/") and glob_match(base, p[:i]):
                return True
        return False
    gs, ps = g.split(b"/"), p.split(b"/")
    return len(gs) == len(ps) and all(seg_match(x, y) for x, y in zip(gs, ps))


def rule_for(rules, method, path, f):
    for r in rules:
        if r.methods:
            ok = method in r.methods or (f["head"] and method == "HEAD"
                                         and "GET" in r.methods)
            if not ok:
                continue
        g, p = r.path, path
        if f["case"]:
            g, p = g.lower(), p.lower()
        if f["slash"]:
            # /a/b/ and /a/b meet the same rule (non-strict routing)
            p = p[:-1] if len(p) > 1 and p.endswith(b"/") else p
        if glob_match(g, p):
            return r
    return None


# --------------------------------------------------------------------
# The oracle (SPEC sections 5 and 7).

def ex(status, ident=None, loc=None):
    """An acceptable answer: (status, identity or None, redirect target or
    None). Identity "public" means every identity value is empty."""
    return (status, ident, loc)


def banned(s, now):
    if not s.banned:
        return False
    if s.ban_expires is None or s.ban_expires == BAD:
        return True
    return s.ban_expires > now


def expired(t, now):
    return t == BAD or (t is not None and t <= now)


def ident_of(method, s, org, slug, roles, role_name, sid, kid, remote):
    return (("AUTH_USER_ID", s.id if s else ""),
            ("AUTH_USER_EMAIL", s.email if s else ""),
            ("AUTH_ORG_ID", org), ("AUTH_ORG_SLUG", slug),
            ("AUTH_ROLE", role_name), ("AUTH_METHOD", method),
            ("AUTH_SESSION_ID", sid), ("AUTH_API_KEY_ID", kid),
            ("REMOTE_USER", remote)) + \
        ((("AUTH_ROLES", roles),) if roles is not None else ())


def identity_valid(s, org, slug, roles, sid, kid):
    vals = [org, slug, roles or "", sid, kid]
    if s is not None:
        vals += [s.id, s.email, s.name]
    return not any(has_control(v) for v in vals)


def session_answers(model, snap, token, now):
    """[(status, ident, role rank)] for a session credential."""
    if snap is None or not snap.exists:
        return [(401, None, 0)]
    se = snap.sessions.get(token)
    if se is None or se.expires is None or expired(se.expires, now):
        return [(401, None, 0)]
    if banned(snap, now):
        return [(403, None, 0)]
    org, roles = "", ""
    if se.org and se.org in model.orgs and se.org in snap.members:
        org, roles = se.org, snap.members[se.org][1]
    slug = model.orgs.get(org, "") if org else ""
    if not identity_valid(snap, org, slug, roles, se.id, ""):
        return [(403, None, 0)]
    rank = highest(roles)
    return [(200, ident_of("session", snap, org, slug, roles,
                           RANK_ROLE.get(rank, ""), se.id, "", snap.id), rank)]


def key_answers(model, owner, snap, h, now, f):
    kind, oid = owner
    if kind == "org":
        ent = model.org_keys.get(h)
        k = ent[1] if ent else None
    elif kind == "user" and snap is not None and snap.exists:
        k = snap.keys.get(h)
    else:
        k = None
    if k is None or not k.enabled or expired(k.expires, now):
        return [(401, None, 0)]
    out = []
    if kind == "user":
        if banned(snap, now):
            return [(403, None, 0)]
        if f["narrow"]:
            # Metadata may only narrow: its organization counts only where
            # the owner is a member; its role is capped at the real one.
            if k.meta_org and k.meta_org in model.orgs and k.meta_org in snap.members:
                org, real = k.meta_org, highest(snap.members[k.meta_org][1])
            else:
                org, real = "", 0   # not the owner's organization: ignored
            rank = min(real, ROLE_RANK.get(k.meta_role, 0)) if k.meta_role else real
        else:
            org, rank = "", 0
            if not k.meta_org:
                rank = ROLE_RANK.get(k.meta_role, 0)
            elif k.meta_org in model.orgs:
                org = k.meta_org
                if k.meta_role:
                    rank = ROLE_RANK.get(k.meta_role, 0)
                elif k.meta_org in snap.members:
                    rank = highest(snap.members[k.meta_org][1])
        remote, subject = snap.id, snap
    elif f["narrow"]:
        # An organization's own key: that organization, whatever the
        # metadata says, and only the role an admin granted the key.
        org = oid if oid in model.orgs else ""
        rank = ROLE_RANK.get(model.key_role.get(k.id, ""), 0) if org else 0
        remote, subject = k.id, None
    else:
        org = k.meta_org or oid
        if org not in model.orgs:
            org = ""
        rank = ROLE_RANK.get(k.meta_role, 0) if org else 0
        remote, subject = k.id, None
    slug = model.orgs.get(org, "") if org else ""
    if not identity_valid(subject, org, slug, "", "", k.id):
        return out + [(403, None, 0)]
    return out + [(200, ident_of("api_key", subject, org, slug, None,
                                 RANK_ROLE.get(rank, ""), "", k.id, remote),
                   rank)]


def decide(model, req, snap, now, f):
    """The set of acceptable answers for req under one model version."""
    if req.sp.always_bad or (req.sp.bad_feature and f[req.sp.bad_feature]):
        return {ex(400)}
    if req.override == "other" and f["override"]:
        return {ex(400)}        # the backend would route another method
    r = rule_for(model.rules, req.method, req.sp.decoded, f)
    access = r.access if r else "authenticated"
    need = r.min_role if r else 0
    on_deny = r.on_deny if r else "auto"
    target = r.redirect_to if r else "/sign-in"
    if access == "public":
        return {ex(200, "public")}
    if access == "deny":
        return {ex(403)}
    c = req.cred
    if c.kind in ("none", "bad"):
        answers = [(401, None, 0)]
    elif c.kind == "key" and access == "session":
        answers = [(401, None, 0)]
    elif c.kind == "session" and access == "api_key":
        answers = [(401, None, 0)]
    elif c.kind == "session":
        answers = session_answers(model, snap, c.token, now)
    else:
        answers = key_answers(model, c.owner, snap, c.hash, now, f)
    out = set()
    for st, ident, rank in answers:
        if st == 401 and (on_deny == "redirect" or (on_deny == "auto" and req.nav)):
            out.add(ex(302, None, target))
        elif st == 200 and need and rank < need:
            out.add(ex(403))
        else:
            out.add(ex(st, ident if st == 200 else None))
    return out


def time_points(snap, req, a, b):
    pts = {a, b}
    if snap is not None:
        ts = [snap.ban_expires]
        c = req.cred
        if c.kind == "session" and c.token in snap.sessions:
            ts.append(snap.sessions[c.token].expires)
        if c.kind == "key" and c.hash in snap.keys:
            ts.append(snap.keys[c.hash].expires)
        for t in ts:
            if isinstance(t, int) and a <= t <= b:
                pts.update((t - 1, t))
    return pts


def acceptable(model, req, a, b, f):
    if req.cred.kind == "session":
        uid = model.token_owner.get(req.cred.token)
    elif req.cred.kind == "key" and req.cred.owner[0] == "user":
        uid = req.cred.owner[1]
    else:
        uid = None
    snaps = model.candidates(uid, a, b) if uid else [None]
    out = set()
    for s in snaps:
        for t in time_points(s, req, a, b):
            out |= decide(model, req, s, t, f)
    return out, len(snaps) > 1
