"""
senders.py - the soak campaign's webhook deliveries: signed Optare and
Standard Webhooks events that create users, change roles, ban, add and
remove memberships, create, update and revoke sessions and keys, replace
users, redeliver (duplicates), resurrect (late creates after a delete) and
forge (refused deliveries).

Owns: one Sender per thread, each with its own users (so that the changes
of one user are sequential), and the model versions it publishes: a
version is added before its delivery leaves and marked acknowledged after
the 200. Trusts: the webhook's answer only as far as it matches the
expected outcome (a mismatch is a failure). Never: shares a user with
another sender.
"""

import base64
import collections
import hashlib
import hmac
import json
import threading
import time

from model import Key, Sess, Snap, Version, iso, key_hashes, now_ceil, now_floor
from traffic import http, wchoice

# --------------------------------------------------------------------
# Webhook deliveries.

MEMBER_ADD = ("member.added", "organization.member.added",
              "organization_membership.created")
MEMBER_ROLE = ("member.role.changed", "organization.member.role_changed",
               "organization_membership.updated")
MEMBER_REMOVE = ("member.removed", "organization.member.removed",
                 "organization_membership.deleted")
SESSION_REVOKE = ("session.revoked", "session.expired", "session.deleted")
KEY_REVOKE = ("api_key.revoked", "api_key.deleted")
ROLE_CHOICES = ("guest", "member", "admin", "owner", "guest,admin",
                ["member", "owner"], "member")
KEY_META = (None, {"organizationId": "org_acme"},
            {"organizationId": "org_soak", "role": "owner"},
            {"organizationId": "org_acme", "role": "admin"},
            {"role": "owner"}, {"organizationId": "org_ghost", "role": "admin"},
            {"organizationId": "org_acme", "role": "guest"},
            {"organizationId": "org_soak"})


class Sender:
    def __init__(self, ctx, name, rng):
        self.ctx, self.name, self.rng = ctx, name, rng
        self.n = 0
        self.users = []
        self.last = None          # (headers, body, eid) of the last acked event
        self.tombs = []           # (type, data) of revoked sessions/keys

    def eid(self):
        self.n += 1
        return "soak-%s-%d" % (self.name, self.n)

    def build(self, etype, data, eid, scheme, ts_ms=None, sw_key=None):
        ts_ms = now_floor() if ts_ms is None else ts_ms
        ctx = self.ctx
        sw_key = sw_key or ctx.sw_key
        if scheme == "optare":
            body = json.dumps({"id": eid, "type": etype, "timestamp": iso(ts_ms),
                               "data": data}, separators=(",", ":")).encode()
            sig = hmac.new(ctx.optare_secret, body, hashlib.sha256).hexdigest()
            return [("X-Optare-Signature", "sha256=" + sig),
                    ("Content-Type", "application/json")], body
        body = json.dumps({"type": etype, "timestamp": iso(ts_ms), "data": data},
                          separators=(",", ":")).encode()
        ts = str(ts_ms // 1000)
        sig = base64.b64encode(hmac.new(sw_key, ("%s.%s." % (eid, ts)).encode()
                                        + body, hashlib.sha256).digest()).decode()
        return [("webhook-id", eid), ("webhook-timestamp", ts),
                ("webhook-signature", "v1," + sig)], body

    def post(self, headers, body):
        self.ctx.gate.enter()
        try:
            return http(self.ctx.port, "POST", b"/webhooks/optare", headers, body)
        finally:
            self.ctx.gate.leave()

    def deliver(self, etype, data, expect="applied", uid=None, newsnap=None,
                pool=None):
        """Delivers one event until it is acknowledged; publishes newsnap
        as a version of uid while it is in flight. Returns True when the
        outcome is the expected one."""
        ctx, w = self.ctx, self.ctx.wstats
        eid = self.eid()
        scheme = self.rng.choice(["optare", "sw"])
        headers, body = self.build(etype, data, eid, scheme)
        ver = None
        with ctx.model.lock:
            if newsnap is not None:
                ver = Version(now_floor(), None, newsnap)
                ctx.model.hist[uid].append(ver)
            if pool is not None:
                pool()
        outcome, lost = None, False
        for attempt in range(40):
            resp = self.post(headers, body)
            if resp.status == 200:
                try:
                    outcome = json.loads(resp.body).get("outcome")
                except ValueError:
                    outcome = "?"
                break
            with w.lock:
                w.retries += 1
                if resp.status == 503:
                    w.busy += 1
                    if not resp.header("retry-after"):
                        w.fail("webhook 503 without Retry-After for %s" % etype)
            if resp.error:
                lost = True
            elif resp.status != 503:
                break
            time.sleep(0.05 + 0.05 * attempt)
        good = outcome == expect or (lost and expect == "applied" and outcome == "duplicate")
        with w.lock:
            w.n += 1
            w.by[(etype, scheme)] += 1
            if not good:
                w.fail("%s (%s) got %s %s, want %s" % (
                    etype, scheme, resp.status, outcome, expect))
            else:
                w.acked[eid] = expect
        with ctx.model.lock:
            if ver is not None:
                if not good:
                    ver.snap = ctx.model.hist[uid][-2].snap
                ver.t_ack = now_ceil()
        if good:
            self.last = (headers, body, eid)
        return good

    # ---- the changes ----

    def create_user(self, uid):
        m = self.ctx.model
        now = now_floor()
        with m.lock:
            m.hist[uid] = [Version(-1, -1, Snap(uid))]
        s = m.latest(uid).derive()
        s.exists, s.name, s.email = True, "Soak " + uid, uid + "@soak.test"
        ok = self.deliver("user.created", {
            "id": uid, "name": s.name, "email": s.email, "emailVerified": True,
            "createdAt": iso(now), "updatedAt": iso(now)}, uid=uid, newsnap=s)
        ok = self.member_add(uid, "org_acme") and ok
        if self.rng.random() < 0.5:
            ok = self.member_add(uid, "org_soak") and ok
        for _ in range(2):
            ok = self.session_create(uid) and ok
        for _ in range(2):
            ok = self.key_create(uid) and ok
        self.users.append(uid)
        return ok

    def member_add(self, uid, org):
        s = self.ctx.model.latest(uid).derive()
        mid = "m_%s_%s_%d" % (uid, org, self.n)
        role = self.rng.choice(ROLE_CHOICES)
        s.members[org] = (mid, ",".join(role) if isinstance(role, list) else role)
        snake = self.rng.random() < 0.3
        data = {"id": mid, ("organization_id" if snake else "organizationId"): org,
                ("user_id" if snake else "userId"): uid, "role": role}
        return self.deliver(self.rng.choice(MEMBER_ADD), data, uid=uid, newsnap=s)

    def member_role(self, uid):
        s = self.ctx.model.latest(uid).derive()
        if not s.members:
            return self.member_add(uid, "org_acme")
        org = self.rng.choice(sorted(s.members))
        mid, _ = s.members[org]
        role = self.rng.choice(ROLE_CHOICES)
        s.members[org] = (mid, ",".join(role) if isinstance(role, list) else role)
        return self.deliver(self.rng.choice(MEMBER_ROLE), {
            "id": mid, "organizationId": org, "userId": uid, "role": role},
            uid=uid, newsnap=s)

    def member_remove(self, uid):
        s = self.ctx.model.latest(uid).derive()
        if not s.members:
            return self.member_add(uid, "org_soak")
        org = self.rng.choice(sorted(s.members))
        mid, _ = s.members.pop(org)
        data = {"id": mid, "organizationId": org, "userId": uid}
        if self.rng.random() < 0.3:
            data = {"organizationId": org, "userId": uid}
        return self.deliver(self.rng.choice(MEMBER_REMOVE), data, uid=uid, newsnap=s)

    def ban(self, uid):
        s = self.ctx.model.latest(uid).derive()
        now = now_floor()
        x = self.rng.random()
        data = {"id": uid, "updatedAt": iso(now)}
        if s.banned and x < 0.6:
            s.banned, s.ban_expires = False, None
            data["banned"] = False
        else:
            s.banned = True
            y = self.rng.random()
            if y < 0.4:
                s.ban_expires = None
            elif y < 0.8:
                s.ban_expires = now + self.rng.randint(1000, 8000)
            else:
                s.ban_expires = now - 60000
            data["banned"] = True
            data["banReason"] = "soak"
            if s.ban_expires is not None:
                data["banExpires"] = (iso(s.ban_expires) if self.rng.random() < 0.7
                                      else s.ban_expires)
        return self.deliver("user.updated", data, uid=uid, newsnap=s)

    def session_create(self, uid):
        m = self.ctx.model
        s = m.latest(uid).derive()
        now = now_floor()
        sid = "s_%s_%d" % (uid, self.n)
        token = "soak-tok-%016x%08x" % (self.rng.getrandbits(64), self.n)
        x = self.rng.random()
        exp = now + self.rng.randint(2000, 15000) if x < 0.3 else 4070908800000
        org = self.rng.choice(["org_acme", "org_soak", None, "org_ghost"])
        s.sessions[token] = Sess(sid, token, exp, org)
        data = {"id": sid, "token": token, "userId": uid,
                "expiresAt": iso(exp) if self.rng.random() < 0.7 else exp,
                "activeOrganizationId": org, "createdAt": iso(now), "updatedAt": iso(now)}

        def pool():
            m.token_owner[token] = uid
            m.live_tokens.append(token)
        return self.deliver("session.created", data, uid=uid, newsnap=s, pool=pool)

    def session_revoke(self, uid):
        m = self.ctx.model
        s = m.latest(uid).derive()
        if not s.sessions:
            return self.session_create(uid)
        token = self.rng.choice(sorted(s.sessions))
        se = s.sessions.pop(token)
        data = {"id": se.id} if self.rng.random() < 0.7 else {"token": token}

        def pool():
            if token in m.live_tokens:
                m.live_tokens.remove(token)
                m.dead_tokens.append(token)
                del m.dead_tokens[:-200]
        ok = self.deliver(self.rng.choice(SESSION_REVOKE), data, uid=uid,
                          newsnap=s, pool=pool)
        self.tombs.append(("session.created", {
            "id": se.id, "token": token, "userId": uid,
            "expiresAt": "2099-01-01T00:00:00.000Z"}))
        return ok

    def session_update(self, uid):
        s = self.ctx.model.latest(uid).derive()
        if not s.sessions:
            return self.session_create(uid)
        token = self.rng.choice(sorted(s.sessions))
        se = s.sessions[token]
        now = now_floor()
        data = {"id": se.id, "updatedAt": iso(now)}
        if self.rng.random() < 0.6:
            org = self.rng.choice(["org_acme", "org_soak", None])
            s.sessions[token] = Sess(se.id, token, se.expires, org)
            data["activeOrganizationId"] = org
        else:
            exp = now + self.rng.randint(1000, 10000) if self.rng.random() < 0.5 \
                else 4070908800000
            s.sessions[token] = Sess(se.id, token, exp, se.org)
            data["expiresAt"] = iso(exp)
        return self.deliver("session.updated", data, uid=uid, newsnap=s)

    def key_create(self, uid):
        m = self.ctx.model
        s = m.latest(uid).derive()
        now = now_floor()
        kid = "k_%s_%d" % (uid, self.n)
        raw = "soak_key_%s_%016x" % (uid, self.rng.getrandbits(64))
        b64, hx = key_hashes(raw)
        md = self.rng.choice(KEY_META)
        exp = None
        if self.rng.random() < 0.2:
            exp = now + self.rng.randint(2000, 15000)
        data = {"id": kid, "name": "soak", "referenceId": uid, "prefix": "soak_",
                "metadata": md, "createdAt": iso(now), "updatedAt": iso(now)}
        if exp is not None:
            data["expiresAt"] = iso(exp)
        h = b64
        if self.rng.random() < 0.3:
            data["hashedKey"] = hx if self.rng.random() < 0.5 else b64
            h = data["hashedKey"]
        else:
            data["key"] = raw
        s.keys[h] = Key(kid, h, True, exp, (md or {}).get("organizationId", ""),
                        (md or {}).get("role", ""))

        def pool():
            m.key_owner[raw] = ("user", uid)
            m.key_hash[raw] = h
            m.live_keys.append(raw)
        return self.deliver("api_key.created", data, uid=uid, newsnap=s, pool=pool)

    def key_toggle(self, uid):
        s = self.ctx.model.latest(uid).derive()
        if not s.keys:
            return self.key_create(uid)
        h = self.rng.choice(sorted(s.keys))
        k = s.keys[h]
        now = now_floor()
        data = {"id": k.id, "updatedAt": iso(now)}
        x = self.rng.random()
        if x < 0.6:
            data["enabled"] = not k.enabled
            s.keys[h] = Key(k.id, h, not k.enabled, k.expires, k.meta_org, k.meta_role)
        elif x < 0.8:
            exp = now + self.rng.randint(1000, 10000) if self.rng.random() < 0.5 else None
            data["expiresAt"] = iso(exp) if exp else None
            s.keys[h] = Key(k.id, h, k.enabled, exp, k.meta_org, k.meta_role)
        else:
            md = self.rng.choice(KEY_META[1:])
            data["metadata"] = md
            s.keys[h] = Key(k.id, h, k.enabled, k.expires, md.get("organizationId", ""),
                            md.get("role", ""))
        return self.deliver("api_key.updated", data, uid=uid, newsnap=s)

    def key_revoke(self, uid):
        m = self.ctx.model
        s = m.latest(uid).derive()
        if not s.keys:
            return self.key_create(uid)
        h = self.rng.choice(sorted(s.keys))
        k = s.keys.pop(h)

        def pool():
            for raw, hh in m.key_hash.items():
                if hh == h and raw in m.live_keys:
                    m.live_keys.remove(raw)
                    m.dead_keys.append(raw)
                    del m.dead_keys[:-200]
        ok = self.deliver(self.rng.choice(KEY_REVOKE), {"id": k.id}, uid=uid,
                          newsnap=s, pool=pool)
        self.tombs.append(("api_key.created", {"id": k.id, "hashedKey": h,
                                               "referenceId": uid}))
        return ok

    def user_replace(self, uid):
        m = self.ctx.model
        s = Snap(uid)
        toks = set(m.latest(uid).sessions)

        def pool():
            for t in toks:
                if t in m.live_tokens:
                    m.live_tokens.remove(t)
                    m.dead_tokens.append(t)
        ok = self.deliver("user.deleted", {"id": uid}, uid=uid, newsnap=s, pool=pool)
        self.users.remove(uid)
        self.tombs.append(("user.created", {"id": uid, "name": "Back",
                                            "email": uid + "-back@soak.test"}))
        self.ctx.user_seq += 1
        return self.create_user("u_soak_%s_r%d" % (self.name, self.ctx.user_seq)) and ok

    def duplicate(self):
        if self.last is None:
            return True
        headers, body, eid = self.last
        resp = self.post(headers, body)
        w = self.ctx.wstats
        with w.lock:
            w.n += 1
            w.by[("duplicate", "-")] += 1
            got = None
            if resp.status == 200:
                got = json.loads(resp.body).get("outcome")
            if got != "duplicate":
                w.fail("redelivery of %s: %s %s, want duplicate" % (eid, resp.status, got))
        return got == "duplicate"

    def late_create(self):
        if not self.tombs:
            return True
        etype, data = self.rng.choice(self.tombs)
        return self.deliver(etype, data, expect="tombstoned")

    def forged(self):
        """A delivery that must be refused with 400 and change nothing."""
        ctx, rng = self.ctx, self.rng
        uid = rng.choice(self.users)
        eid = "forged-%s-%d" % (self.name, self.n)
        self.n += 1
        data = {"id": "m_forged_%d" % self.n, "organizationId": "org_acme",
                "userId": uid, "role": "owner"}
        how = rng.choice(["bad_hmac", "unsigned", "no_prefix", "sw_stale",
                          "sw_future", "optare_no_time", "optare_old",
                          "tampered", "sw_wrong_secret", "crlf_name"])
        etype = "member.added"
        now = now_floor()
        if how == "bad_hmac":
            headers, body = self.build(etype, data, eid, "optare")
            headers[0] = ("X-Optare-Signature", "sha256=" + "0" * 64)
        elif how == "unsigned":
            headers, body = self.build(etype, data, eid, "optare")
            headers = headers[1:]
        elif how == "no_prefix":
            headers, body = self.build(etype, data, eid, "optare")
            headers[0] = ("X-Optare-Signature", headers[0][1][len("sha256="):])
        elif how == "sw_stale":
            headers, body = self.build(etype, data, eid, "sw", ts_ms=now - 400_000)
        elif how == "sw_future":
            headers, body = self.build(etype, data, eid, "sw", ts_ms=now + 400_000)
        elif how == "optare_no_time":
            body = json.dumps({"id": eid, "type": etype, "data": data}).encode()
            headers = [("X-Optare-Signature", "sha256=" + hmac.new(
                ctx.optare_secret, body, hashlib.sha256).hexdigest())]
        elif how == "optare_old":
            headers, body = self.build(etype, data, eid, "optare",
                                       ts_ms=now - 8 * 86400 * 1000)
        elif how == "tampered":
            headers, body = self.build(etype, data, eid, rng.choice(["optare", "sw"]))
            body = body.replace(b'"owner"', b'"admin"')
        elif how == "sw_wrong_secret":
            headers, body = self.build(etype, data, eid, "sw",
                                       sw_key=b"wrong-key-0123456789")
        else:
            etype = "user.updated"
            headers, body = self.build(etype, {"id": uid, "name": "Eve\r\nX-Injected: 1",
                                               "banned": False}, eid, "optare")
        resp = self.post(headers, body)
        w = ctx.wstats
        with w.lock:
            w.n += 1
            w.by[("forged:" + how, "-")] += 1
            w.forged.add(eid)
            if resp.status != 400:
                w.fail("forged delivery (%s) got %s, want 400" % (how, resp.status))
        return resp.status == 400

    def step(self):
        uid = self.rng.choice(self.users)
        act = wchoice(self.rng, (
            ("role", 12), ("member_add", 4), ("member_remove", 5), ("ban", 8),
            ("session_create", 6), ("session_revoke", 5), ("session_update", 4),
            ("key_create", 5), ("key_toggle", 6), ("key_revoke", 4),
            ("replace", 1), ("duplicate", 3), ("late", 2), ("forged", 4)))
        s = self.ctx.model.latest(uid)
        if act == "role":
            return self.member_role(uid)
        if act == "member_add":
            free = [o for o in ("org_acme", "org_soak") if o not in s.members]
            return self.member_add(uid, self.rng.choice(free)) if free \
                else self.member_remove(uid)
        if act == "member_remove":
            return self.member_remove(uid)
        if act == "ban":
            return self.ban(uid)
        if act == "session_create":
            return self.session_create(uid) if len(s.sessions) < 5 \
                else self.session_revoke(uid)
        if act == "session_revoke":
            return self.session_revoke(uid)
        if act == "session_update":
            return self.session_update(uid)
        if act == "key_create":
            return self.key_create(uid) if len(s.keys) < 5 else self.key_revoke(uid)
        if act == "key_toggle":
            return self.key_toggle(uid)
        if act == "key_revoke":
            return self.key_revoke(uid)
        if act == "replace":
            return self.user_replace(uid)
        if act == "duplicate":
            return self.duplicate()
        if act == "late":
            return self.late_create()
        return self.forged()


class WStats:
    def __init__(self):
        self.lock = threading.Lock()
        self.n = 0
        self.retries = 0
        self.busy = 0
        self.failures = []
        self.acked = {}
        self.forged = set()
        self.by = collections.Counter()

    def fail(self, why):
        self.failures.append(why)


def sender_loop(ctx, snd):
    while not ctx.stop.is_set():
        snd.step()
        time.sleep(snd.rng.uniform(0.0, ctx.webhook_pause))
