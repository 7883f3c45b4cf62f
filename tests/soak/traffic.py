"""
traffic.py - the soak campaign's requests: every spelling of a path with
what it must mean, every kind of credential, spoofed identity and
method-override headers, raw HTTP/1.1 over a socket (so that attack
spellings leave byte for byte), and the comparison of an answer with an
acceptable one.

Owns: request generation and the HTTP client. Trusts: nothing it reads
back (answers are parsed defensively). Never: decides what an answer
should be (model.py does).
"""

import random
import re
import socket
import urllib.parse

from model import cookie_value, signed_token

# --------------------------------------------------------------------
# Requests: spellings of a path and credentials.

BASES = (
    ("/api/health", 4), ("/api/ping", 2), ("/api/internal/metrics", 4),
    ("/api/admin/users", 8), ("/api/admin", 3), ("/api/projects/secret", 5),
    ("/api/projects", 5), ("/api/projects/42", 6), ("/api/reports/q3", 5),
    ("/api/machine/jobs", 4), ("/api/other/thing", 4), ("/app/dashboard", 5),
    ("/app/settings", 4),
)


class Spelled:
    __slots__ = ("cls", "raw", "decoded", "always_bad", "bad_feature",
                 "feature", "alt404", "method")

    def __init__(self, cls, raw, decoded, always_bad=False, bad_feature=None,
                 feature=None, alt404=False, method=None):
        self.cls, self.raw, self.decoded = cls, raw, decoded
        self.always_bad, self.bad_feature = always_bad, bad_feature
        self.feature, self.alt404, self.method = feature, alt404, method


def pct(c):
    return "%%%02X" % c if random.random() < 0.5 else "%%%02x" % c


def flip_case(rng, s):
    out = list(s)
    idx = [i for i, ch in enumerate(out) if ch.isalpha()]
    for i in rng.sample(idx, max(1, len(idx) // 2)):
        out[i] = out[i].swapcase()
    if "".join(out) == s:
        out[idx[0]] = out[idx[0]].swapcase()
    return "".join(out)


SPELLINGS = (
    ("plain", 20), ("query", 6), ("case", 8), ("case_prefix", 2),
    ("slash", 6), ("head", 6), ("semicolon", 4), ("trailing_dot", 3),
    ("trailing_space", 3), ("enc_slash", 3), ("dot_segment", 3),
    ("double_enc", 3), ("control", 3), ("backslash", 2), ("enc_delim", 2),
    ("empty_segment", 2), ("enc_unreserved", 4), ("bad_escape", 2),
    ("non_ascii", 2), ("bad_utf8", 2), ("folds_to_ascii", 2),
)


def spell(rng, base):
    """A spelling of base with what it must mean. decoded is the path
    percent-decoded once (bytes), as authgate matches it."""
    cls = wchoice(rng, SPELLINGS)
    segs = base.split("/")[1:]
    i = rng.randrange(1, len(segs))
    b = base.encode()

    def join(ss):
        return ("/" + "/".join(ss)).encode("latin-1")

    if cls == "plain":
        return Spelled(cls, b, b)
    if cls == "query":
        q = rng.choice(["a=1", "next=/api/admin/users", "x=1;y=2", "p=%2F..%2F"])
        return Spelled(cls, b + b"?" + q.encode(), b)
    if cls == "case":
        ss = list(segs)
        i = rng.choice([k for k in range(1, len(ss)) if any(c.isalpha() for c in ss[k])])
        ss[i] = flip_case(rng, ss[i])
        raw = join(ss)
        return Spelled(cls, raw, raw, feature="case")
    if cls == "case_prefix":
        ss = list(segs)
        ss[0] = flip_case(rng, ss[0])
        raw = join(ss)
        # lighttpd.conf routes only ^/(api|app)/ to authgate and to the
        # backend: a 404 that never reached the backend is fine too
        return Spelled(cls, raw, raw, feature="case", alt404=True)
    if cls == "slash":
        return Spelled(cls, b + b"/", b + b"/", feature="slash")
    if cls == "head":
        return Spelled(cls, b, b, feature="head", method="HEAD")
    if cls == "semicolon":
        ss = list(segs)
        p, d = rng.choice([(";", ";"), (";jsessionid=0A1B2C", ";jsessionid=0A1B2C"),
                           (";x=1", ";x=1"), (";..", ";.."), ("%3b", ";"), ("%3Bv=2", ";v=2")])
        dss = list(segs)
        ss[i] += p
        dss[i] += d
        return Spelled(cls, join(ss), join(dss), bad_feature="semicolon")
    if cls == "trailing_dot":
        ss = list(segs)
        suffix, dec = rng.choice([(".", "."), ("..", ".."), ("%2e", "."),
                                  ("%2E", "."), (".%2e", "..")])
        dss = list(segs)
        ss[i] += suffix
        dss[i] += dec
        return Spelled(cls, join(ss), join(dss), bad_feature="dot")
    if cls == "trailing_space":
        ss, dss = list(segs), list(segs)
        suffix, dec = rng.choice([("%20", " "), ("%20%20", "  "), (".%20", ". ")])
        ss[i] += suffix
        dss[i] += dec
        return Spelled(cls, join(ss), join(dss), bad_feature="dot")
    if cls == "enc_slash":
        ss = list(segs)
        j = rng.randrange(1, len(ss))
        raw = ("/" + "/".join(ss[:j]) + rng.choice(["%2F", "%2f"]) +
               "/".join(ss[j:])).encode()
        return Spelled(cls, raw, None, always_bad=True)
    if cls == "dot_segment":
        ss = list(segs)
        ss.insert(i, rng.choice([".", "..", "%2e", "%2E%2e", ".%2e", "%2e."]))
        return Spelled(cls, join(ss), None, always_bad=True)
    if cls == "double_enc":
        ss = list(segs)
        s = ss[i]
        j = rng.randrange(len(s))
        ss[i] = s[:j] + rng.choice(["%25" + "%02x" % ord(s[j]), "%252F" + s[j],
                                    "%252e" + s[j], "%25" + s[j]]) + s[j + 1:]
        return Spelled(cls, join(ss), None, always_bad=True)
    if cls == "control":
        ss = list(segs)
        s = ss[i]
        j = rng.randrange(len(s) + 1)
        ss[i] = s[:j] + rng.choice(["%00", "%01", "%0a", "%0D", "%1f", "%7F",
                                    "%09", "\x01", "\x7f", "\x1b"]) + s[j:]
        return Spelled(cls, join(ss), None, always_bad=True)
    if cls == "backslash":
        ss = list(segs)
        s = ss[i]
        j = rng.randrange(len(s) + 1)
        ss[i] = s[:j] + rng.choice(["\\", "%5c", "%5C", "\\..\\"]) + s[j:]
        return Spelled(cls, join(ss), None, always_bad=True)
    if cls == "enc_delim":
        ss = list(segs)
        s = ss[i]
        j = rng.randrange(len(s) + 1)
        if rng.random() < 0.3:
            return Spelled(cls, join(ss) + b"#frag", None, always_bad=True)
        ss[i] = s[:j] + rng.choice(["%3f", "%3F", "%23"]) + s[j:]
        return Spelled(cls, join(ss), None, always_bad=True)
    if cls == "empty_segment":
        ss = list(segs)
        ss.insert(i, "")
        return Spelled(cls, join(ss), None, always_bad=True)
    if cls == "enc_unreserved":
        ss = list(segs)
        s = ss[i]
        j = rng.randrange(len(s))
        ss[i] = s[:j] + pct(ord(s[j])) + s[j + 1:]
        return Spelled(cls, join(ss), b)
    if cls == "bad_escape":
        ss = list(segs)
        s = ss[i]
        j = rng.randrange(len(s) + 1)
        ss[i] = s[:j] + rng.choice(["%zz", "%g1", "%%41", "%4g", "%x"]) + s[j:]
        return Spelled(cls, join(ss), None, always_bad=True)
    if cls in ("bad_utf8", "folds_to_ascii"):
        # bytes no UTF-8 decoder accepts, and the letters whose Unicode
        # case folding lands on ASCII (a backend folding case would read
        # "/api/admın" as "/api/admin")
        ss, dss = list(segs), list(segs)
        if cls == "bad_utf8":
            enc = rng.choice(["%C0%AF", "%80", "%FF", "%E0%80%AF", "%ED%A0%80",
                              "%C3", "%F4%90%80%80"])
            ss[i] += enc
            dss[i] += urllib.parse.unquote_to_bytes(enc).decode("latin-1")
        else:
            s = ss[i]
            letters = [j for j, ch in enumerate(s) if ch in "iks"]
            j = rng.choice(letters) if letters else len(s)
            enc = {"i": rng.choice(["%C4%B0", "%C4%B1"]), "k": "%E2%84%AA",
                   "s": "%C5%BF"}.get(s[j:j + 1], "%C4%B1")
            ss[i] = s[:j] + enc + s[j + 1:]
            dss[i] = s[:j] + urllib.parse.unquote_to_bytes(enc).decode("latin-1") + s[j + 1:]
        return Spelled(cls, join(ss), join(dss), bad_feature="utf8")
    # non_ascii: UTF-8 bytes, decoded once
    ss, dss = list(segs), list(segs)
    ss[i] += "%C3%A9"
    dss[i] += "\xc3\xa9"
    return Spelled(cls, join(ss), join(dss))


class Cred:
    __slots__ = ("cls", "kind", "headers", "token", "owner", "hash", "uid")

    def __init__(self, cls, kind, headers, token=None, owner=None, h=None):
        self.cls, self.kind, self.headers = cls, kind, headers
        self.token, self.owner, self.hash = token, owner, h


CREDS = (
    ("session_cookie", 30), ("session_secure_cookie", 4),
    ("session_bearer", 6), ("key_header", 14), ("key_bearer", 8),
    ("none", 6), ("forged_cookie", 4), ("bad_signature", 4),
    ("unsigned_cookie", 2), ("duplicate_cookie", 2), ("wrong_prefix", 2),
    ("malformed_bearer", 2), ("unknown_key", 3), ("basic_then_cookie", 2),
)


def wchoice(rng, table):
    total = sum(w for _, w in table)
    x = rng.uniform(0, total)
    for name, w in table:
        x -= w
        if x <= 0:
            return name
    return table[-1][0]


def pick(rng, live, dead):
    if dead and (not live or rng.random() < 0.2):
        return rng.choice(dead)
    return rng.choice(live)


def make_cred(rng, model, secret):
    cls = wchoice(rng, CREDS)
    with model.lock:
        token = pick(rng, model.live_tokens, model.dead_tokens)
        raw = pick(rng, model.live_keys, model.dead_keys)
        h = model.key_hash.get(raw)
        owner = model.key_owner.get(raw)
    name = "better-auth.session_token"
    if cls == "session_cookie":
        return Cred(cls, "session", [("Cookie", "theme=dark; %s=%s" % (
            name, cookie_value(secret, token)))], token=token)
    if cls == "session_secure_cookie":
        return Cred(cls, "session", [("Cookie", "__Secure-%s=%s" % (
            name, cookie_value(secret, token)))], token=token)
    if cls == "session_bearer":
        v = signed_token(secret, token)
        if rng.random() < 0.5:
            v = urllib.parse.quote(v, safe="")
        return Cred(cls, "session", [("Authorization", "Bearer " + v)], token=token)
    if cls == "key_header":
        return Cred(cls, "key", [("x-api-key", raw)], owner=owner, h=h)
    if cls == "key_bearer":
        return Cred(cls, "key", [("Authorization", "Bearer " + raw)], owner=owner, h=h)
    if cls == "none":
        return Cred(cls, "none", [])
    if cls == "forged_cookie":
        t = "forged-%016x" % rng.getrandbits(64)
        return Cred(cls, "bad", [("Cookie", "%s=%s" % (name, cookie_value(secret, t)))])
    if cls == "bad_signature":
        v = cookie_value(b"not-the-secret-" + secret, token)
        return Cred(cls, "bad", [("Cookie", "%s=%s" % (name, v))])
    if cls == "unsigned_cookie":
        return Cred(cls, "bad", [("Cookie", "%s=%s" % (name, token))])
    if cls == "duplicate_cookie":
        other = "forged-%016x" % rng.getrandbits(64)
        return Cred(cls, "bad", [("Cookie", "%s=%s; %s=%s" % (
            name, cookie_value(secret, token), name, cookie_value(secret, other)))])
    if cls == "wrong_prefix":
        return Cred(cls, "none", [("Cookie", "other-app.session_token=%s" %
                                   cookie_value(secret, token))])
    if cls == "malformed_bearer":
        return Cred(cls, "bad", [("Authorization", rng.choice(
            ["Bearer", "Bearer  ", "Bearer a b", "bearer x y z"]))])
    if cls == "unknown_key":
        return Cred(cls, "key", [(rng.choice(["x-api-key", "Authorization"]), (
            "Bearer " if rng.random() < 0.5 else "") + "ag_unknown_%016x" % rng.getrandbits(64))],
            owner=("none", None), h="unknown")
    # basic_then_cookie: Basic is not a bearer token; the cookie decides
    return Cred(cls, "session", [("Authorization", "Basic dXNlcjpwYXNz"),
                                 ("Cookie", "%s=%s" % (name, cookie_value(secret, token)))],
                token=token)


SPOOF = (
    ("X-Auth-User-Id", "u_olivia"), ("X-Auth-Role", "owner"),
    ("X-Auth-Org-Id", "org_acme"), ("Remote-User", "u_olivia"),
    ("X-Forwarded-User", "u_olivia"), ("Variable-AUTH_USER_ID", "u_olivia"),
    ("AUTH_ROLE", "owner"), ("X-Original-URI", "/api/health"),
    ("X-Forwarded-Uri", "/api/health"), ("X-Forwarded-Method", "GET"),
    ("X-Rewrite-URL", "/api/health"), ("X-Authgate-Mode", "check"),
)


class Req:
    __slots__ = ("method", "sp", "cred", "nav", "headers", "spoof", "body",
                 "override")

OVERRIDE_HEADERS = ("X-HTTP-Method-Override", "X-HTTP-Method", "X-Method-Override")


def make_request(rng, model, secret):
    r = Req()
    base = wchoice(rng, BASES)
    r.sp = spell(rng, base)
    r.method = r.sp.method or ("GET" if rng.random() < 0.75 else
                               rng.choice(["POST", "PUT", "PATCH", "DELETE"]))
    r.cred = make_cred(rng, model, secret)
    r.headers = list(r.cred.headers)
    r.nav = False
    x = rng.random()
    if x < 0.15:
        r.headers.append(("Accept", "text/html,application/xhtml+xml"))
        r.nav = True
        y = rng.random()
        if y < 0.2:
            r.headers.append(("X-Requested-With", "XMLHttpRequest"))
            r.nav = False
        elif y < 0.4:
            r.headers.append(("Sec-Fetch-Mode", rng.choice(["cors", "navigate"])))
            r.nav = r.headers[-1][1] == "navigate"
    elif x < 0.3:
        r.headers.append(("Accept", "application/json"))
    r.spoof = rng.random() < 0.25
    if r.spoof:
        r.headers += rng.sample(SPOOF, 3)
    # a method-override header: the same method (harmless) or another one
    # (a backend honouring it would route a method the rules never saw)
    r.override = None
    if rng.random() < 0.06:
        if rng.random() < 0.3:
            r.override = "same"
            r.headers.append((rng.choice(OVERRIDE_HEADERS), r.method.lower()))
        else:
            r.override = "other"
            r.headers.append((rng.choice(OVERRIDE_HEADERS), rng.choice(
                [m for m in ("GET", "POST", "PUT", "DELETE", "PATCH") if m != r.method])))
    r.body = b"{}" if r.method in ("POST", "PUT", "PATCH") else None
    return r


# --------------------------------------------------------------------
# HTTP/1.1 over a plain socket.

class Resp:
    __slots__ = ("status", "headers", "body", "error")

    def header(self, name):
        return self.headers.get(name.lower())


def http(port, method, target, headers, body=None, timeout=30.0):
    out = Resp()
    out.status, out.headers, out.body, out.error = 0, {}, b"", None
    req = [method.encode() + b" " + target + b" HTTP/1.1",
           b"Host: 127.0.0.1", b"Connection: close"]
    for k, v in headers:
        req.append(k.encode() + b": " + v.encode("latin-1"))
    if body is not None:
        req.append(b"Content-Length: %d" % len(body))
    data = b"\r\n".join(req) + b"\r\n\r\n" + (body or b"")
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.sendall(data)
            chunks = []
            while True:
                d = s.recv(65536)
                if not d:
                    break
                chunks.append(d)
    except OSError as e:
        out.error = "%s" % e.__class__.__name__
        return out
    raw = b"".join(chunks)
    head, sep, rest = raw.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    m = re.match(rb"HTTP/1\.[01] (\d{3})", lines[0]) if lines else None
    if not sep or not m:
        out.error = "unparsable response"
        return out
    out.status = int(m.group(1))
    for ln in lines[1:]:
        k, _, v = ln.partition(b":")
        out.headers[k.strip().lower().decode("latin-1")] = v.strip().decode("latin-1")
    if out.headers.get("transfer-encoding", "").lower() == "chunked":
        body, pos = b"", 0
        while True:
            e = rest.find(b"\r\n", pos)
            if e < 0:
                break
            n = int(rest[pos:e].split(b";")[0] or b"0", 16)
            if n == 0:
                break
            body += rest[e + 2:e + 2 + n]
            pos = e + 2 + n + 2
        rest = body
    out.body = rest
    return out


IDENT_RE = re.compile(rb"^(AUTH_[A-Z_]+|REMOTE_USER)=(.*)$", re.M)


def matches(e, resp, req):
    st, ident, loc = e
    if resp.status != st:
        return False
    if st == 200:
        if req.method == "HEAD":
            return True
        if not resp.body.startswith(b"backend: "):
            return False
        got = {k.decode(): v.decode("utf-8", "replace")
               for k, v in IDENT_RE.findall(resp.body)}
        if ident == "public":       # no identity: every value empty
            return not any(got.values())
        return all(got.get(k) == v for k, v in ident)
    if st == 302:
        where = resp.header("location") or ""
        path, _, q = where.partition("?")
        nxt = b""
        for part in q.split("&"):
            if part.startswith("next="):
                nxt = urllib.parse.unquote_to_bytes(part[5:])
        want = req.sp.decoded
        return path == loc and nxt.lower().rstrip(b"/") == want.lower().rstrip(b"/")
    return True


def shape_ok(resp, req):
    """Answers from authgate: JSON, no-store, WWW-Authenticate on 401."""
    if resp.status in (401, 403) or (resp.status == 503):
        if "no-store" not in (resp.header("cache-control") or ""):
            return False
        if req.method != "HEAD" and not resp.body.startswith(b'{"error":'):
            return False
    if resp.status == 401 and "Bearer" not in (resp.header("www-authenticate") or ""):
        return False
    return True


def from_authgate(resp):
    """A deny authgate wrote; by header, since a HEAD answer has no body.
    lighttpd's own 400 (a request it refuses before asking authgate) is
    JSON too, from the shipped errorfile, but without authgate's
    Cache-Control: no-store."""
    return resp.status in (302, 401, 403) or (
        resp.status in (400, 503) and
        (resp.header("content-type") or "").startswith("application/json")
        and "no-store" in (resp.header("cache-control") or ""))
