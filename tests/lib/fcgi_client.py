#!/usr/bin/env python3
"""fcgi_client.py - a small FastCGI client for the serve suite and the
serve benchmark: what cgi-fcgi cannot do (keep-conn, several requests on
one connection, multiplexing, raw and hostile records, slow and idle
clients, latency figures).

Usage: fcgi_client.py COMMAND ADDR [ARGS...]; ADDR is HOST:PORT or a unix
socket path. Parameters are NAME=VALUE words; "-" in place of a body
reads none. Every command prints plain lines for the shell to compare.

  keep ADDR COOKIE URI...        one check request per URI on one
                                 FCGI_KEEP_CONN connection, each sent once
                                 the previous one is answered ("-": no
                                 cookie): prints "N STATUS" per answer
  pipeline ADDR COOKIE URI...    the same, all sent at once, answers read
                                 after
  mpx ADDR COOKIE                request 1 half sent, BEGIN for request 2:
                                 prints the END_REQUEST for 2, then 1's
                                 status
  values ADDR                    GET_VALUES and an unknown management type
  abort ADDR                     BEGIN, part of the params, ABORT_REQUEST
  hostile ADDR KIND              sends one kind of bad input; prints
                                 "closed" if the server closes the
                                 connection (within 10 s), else "open", and
                                 the status of an answer if one came
  hold ADDR N KIND SECONDS       N connections of KIND (idle, loris-params,
                                 loris-body, keepidle) held for SECONDS;
                                 prints how many the server closed and how
                                 many of those were reopened
  attack ADDR SECONDS SECRET     idle, slow-params and slow-body clients
                                 and signed webhook deliveries, all at once
  latency ADDR N COOKIE          N check requests, one at a time: p50 p99
  deliver ADDR SECRET JSON       one signed Optare delivery: prints status
"""
import hashlib
import hmac
import os
import select
import socket
import struct
import sys
import threading
import time

BEGIN, ABORT, END, PARAMS, STDIN, STDOUT, STDERR = 1, 2, 3, 4, 5, 6, 7
GET_VALUES, GET_VALUES_RESULT, UNKNOWN_TYPE = 9, 10, 11


def connect(addr, timeout=10):
    if addr.startswith("/"):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(timeout)
        s.connect(addr)
    else:
        host, port = addr.rsplit(":", 1)
        s = socket.create_connection((host, int(port)), timeout=timeout)
    return s


def record(rtype, rid, content=b"", pad=0, version=1):
    return struct.pack(">BBHHBB", version, rtype, rid, len(content), pad,
                       0) + content + b"\0" * pad


def nv_len(n):
    return bytes([n]) if n < 128 else struct.pack(">I", n | 0x80000000)


def pairs(params):
    out = b""
    for name, value in params:
        name = name.encode() if isinstance(name, str) else name
        value = value.encode() if isinstance(value, str) else value
        out += nv_len(len(name)) + nv_len(len(value)) + name + value
    return out


def begin(rid, role=1, keep=False):
    return record(BEGIN, rid, struct.pack(">HB5x", role, 1 if keep else 0))


def params_records(rid, params):
    data, out = pairs(params), b""
    for i in range(0, len(data), 65535):
        out += record(PARAMS, rid, data[i:i + 65535])
    return out + record(PARAMS, rid)


def stdin_records(rid, body):
    out = b""
    for i in range(0, len(body), 65535):
        out += record(STDIN, rid, body[i:i + 65535])
    return out + record(STDIN, rid)


def request_bytes(rid, params, body=b"", keep=False, role=1):
    return begin(rid, role, keep) + params_records(rid, params) + \
        stdin_records(rid, body)


class Reader:
    """Reads records from a socket; remembers what it has."""

    def __init__(self, sock):
        self.s = sock
        self.buf = b""
        self.eof = False

    def fill(self):
        data = self.s.recv(65536)
        if not data:
            self.eof = True
            return False
        self.buf += data
        return True

    def record(self):
        while True:
            if len(self.buf) >= 8:
                clen, plen = struct.unpack(">HB", self.buf[4:7])
                if len(self.buf) >= 8 + clen + plen:
                    h = self.buf[:8]
                    c = self.buf[8:8 + clen]
                    self.buf = self.buf[8 + clen + plen:]
                    return h[1], struct.unpack(">H", h[2:4])[0], c
            if not self.fill():
                return None

    def response(self, rid):
        """STDOUT bytes of request rid up to its END_REQUEST, and the
        END_REQUEST protocol status; (None, None) on EOF."""
        out = b""
        while True:
            r = self.record()
            if r is None:
                return None, None
            t, i, c = r
            if i != rid:
                continue
            if t == STDOUT:
                out += c
            elif t == END:
                return out, c[4]


def status_of(stdout):
    if stdout is None:
        return "none"
    first = stdout.split(b"\r\n", 1)[0].decode("latin-1")
    return first[len("Status: "):] if first.startswith("Status: ") else \
        "no-status:" + first


def check_params(uri, method="GET", extra=()):
    p = [("REQUEST_METHOD", "GET"), ("REQUEST_URI", "/_authgate/check"),
         ("AUTHGATE_MODE", "check"), ("AUTHGATE_ORIGINAL_URI", uri),
         ("AUTHGATE_ORIGINAL_METHOD", method), ("REMOTE_ADDR", "127.0.0.1")]
    return p + list(extra)


def wait_closed(s, seconds=10):
    """'closed' if the peer closes (EOF or reset) within seconds."""
    s.settimeout(0.2)
    end = time.time() + seconds
    while time.time() < end:
        try:
            if not s.recv(65536):
                return "closed"
        except socket.timeout:
            continue
        except OSError:
            return "closed"
    return "open"


def cookie_extra(cookie):
    return [] if cookie == "-" else [("HTTP_COOKIE", cookie)]


def cmd_keep(addr, cookie, uris):
    s = connect(addr)
    rd = Reader(s)
    for i, u in enumerate(uris):
        s.sendall(request_bytes(1, check_params(u, extra=cookie_extra(
            cookie)), keep=True))
        out, ps = rd.response(1)
        print("%d %s" % (i + 1, status_of(out)))
    s.close()


def cmd_pipeline(addr, cookie, uris):
    s = connect(addr)
    rd = Reader(s)
    data = b""
    for u in uris:
        data += request_bytes(1, check_params(u, extra=cookie_extra(cookie)),
                              keep=True)
    s.sendall(data)
    for i in range(len(uris)):
        out, ps = rd.response(1)
        print("%d %s" % (i + 1, status_of(out)))
    s.close()


def cmd_mpx(addr, cookie):
    s = connect(addr)
    rd = Reader(s)
    p = pairs(check_params("/api/projects", extra=[("HTTP_COOKIE", cookie)]))
    s.sendall(begin(1, keep=True) + record(PARAMS, 1, p[:20]))
    time.sleep(0.2)
    s.sendall(begin(2, keep=True) + params_records(2, check_params("/x")) +
              stdin_records(2, b""))
    # the answer for 2 comes first: END_REQUEST, CANT_MPX_CONN, no STDOUT
    r = rd.record()
    print("first %s %s %s" % (r[0], r[1], r[2][4] if r[0] == END else "-"))
    s.sendall(record(PARAMS, 1, p[20:]) + record(PARAMS, 1) +
              stdin_records(1, b""))
    out, ps = rd.response(1)
    print("request1 %s %s" % (status_of(out), ps))
    s.close()


def cmd_values(addr):
    s = connect(addr)
    rd = Reader(s)
    s.sendall(record(GET_VALUES, 0, pairs([("FCGI_MAX_CONNS", ""),
                                            ("FCGI_MAX_REQS", ""),
                                            ("FCGI_MPXS_CONNS", ""),
                                            ("NOT_A_VALUE", "")])))
    t, i, c = rd.record()
    vals, off = [], 0
    while off < len(c):
        nl, vl = c[off], c[off + 1]
        off += 2
        vals.append("%s=%s" % (c[off:off + nl].decode(),
                               c[off + nl:off + nl + vl].decode()))
        off += nl + vl
    print("values %d %s" % (t, " ".join(vals)))
    s.sendall(record(42, 0, b"abc"))
    t, i, c = rd.record()
    print("unknown %d %d" % (t, c[0]))
    s.close()


def cmd_abort(addr):
    s = connect(addr)
    rd = Reader(s)
    s.sendall(begin(1, keep=True) + record(PARAMS, 1, pairs(
        check_params("/api/projects"))) + record(ABORT, 1))
    out, ps = rd.response(1)
    print("abort stdout=%d status=%s" % (len(out or b""), ps))
    # the connection is kept and serves the next request
    s.sendall(request_bytes(1, check_params("/api/projects"), keep=True))
    out, ps = rd.response(1)
    print("after %s" % status_of(out))
    s.close()


HOSTILE = {
    # bytes that are no FastCGI at all (an HTTP request, say)
    "garbage": lambda: b"GET / HTTP/1.1\r\nHost: x\r\n\r\n" + os.urandom(64),
    "version": lambda: record(BEGIN, 1, b"\0\1\0\0\0\0\0\0", version=2),
    "begin-length": lambda: record(BEGIN, 1, b"\0\1\0\0\0\0\0"),
    "bad-type": lambda: begin(1) + record(STDOUT, 1, b"x"),
    "mgmt-oversize": lambda: record(GET_VALUES, 0, pairs([("x" * 2000, "")])),
    "order": lambda: begin(1) + record(STDIN, 1, b"x"),
    # parameters over the limits are answered (400), then closed
    "params-oversize": lambda: begin(1) + params_records(1, check_params(
        "/api/projects") + [("HTTP_A", "a" * 30000), ("HTTP_B", "b" * 30000),
                            ("HTTP_C", "c" * 30000)]) + stdin_records(1, b""),
    "value-oversize": lambda: begin(1) + params_records(1, check_params(
        "/api/projects") + [("HTTP_COOKIE", "c" * 40000)]) +
    stdin_records(1, b""),
    "param-nul": lambda: begin(1) + params_records(1, check_params(
        "/api/projects") + [("HTTP_COOKIE", "a\0b")]) + stdin_records(1, b""),
    "truncated-pair": lambda: begin(1) + record(PARAMS, 1, b"\x05\x05ab") +
    record(PARAMS, 1) + stdin_records(1, b""),
    "filter-role": lambda: begin(1, role=3) + params_records(1, []),
}


def cmd_hostile(addr, kind):
    s = connect(addr)
    s.sendall(HOSTILE[kind]())
    rd = Reader(s)
    s.settimeout(10)
    status, end = "-", "-"
    try:
        while True:
            r = rd.record()
            if r is None:
                break
            if r[0] == STDOUT and r[2] and status == "-":
                status = status_of(r[2])
            if r[0] == END:
                end = str(r[2][4])
    except (OSError, struct.error):
        pass
    print("%s status=%s end=%s" % ("closed" if rd.eof else "open", status,
                                   end))
    s.close()


def webhook_params(length):
    return [("REQUEST_METHOD", "POST"), ("REQUEST_URI", "/webhooks/optare"),
            ("CONTENT_LENGTH", str(length)), ("REMOTE_ADDR", "127.0.0.1")]


def signed_delivery(secret, body):
    sig = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return webhook_params(len(body)) + [("HTTP_X_OPTARE_SIGNATURE",
                                         "sha256=" + sig)]


def open_kind(addr, kind):
    """A connection of kind, its first bytes sent; returns (sock, rest):
    rest is what a slow client still trickles, a byte at a time."""
    s = connect(addr)
    if kind == "idle":
        return s, b""
    if kind == "loris-params":
        data = request_bytes(1, check_params("/api/projects"))
        s.sendall(data[:12])
        return s, data[12:]
    if kind == "loris-body":
        body = b'{"type":"user.updated","data":{}}' + b" " * 966
        data = begin(1) + params_records(1, webhook_params(len(body))) + \
            record(STDIN, 1, body)
        cut = len(data) - len(body) + 10
        s.sendall(data[:cut])
        return s, data[cut:]
    if kind == "keepidle":
        s.sendall(request_bytes(1, check_params("/api/projects"), keep=True))
        Reader(s).response(1)
        return s, b""
    raise SystemExit("unknown kind " + kind)


def cmd_hold(addr, n, kind, seconds):
    socks = []
    for _ in range(int(n)):
        try:
            socks.append(open_kind(addr, kind))
        except OSError:
            socks.append((None, b""))
    closed = [False] * len(socks)
    end = time.time() + float(seconds)
    while time.time() < end:
        for i, (s, rest) in enumerate(socks):
            if s is None or closed[i]:
                continue
            try:
                if rest:
                    s.send(rest[:1])
                    socks[i] = (s, rest[1:])
                r, _, _ = select.select([s], [], [], 0)
                if r and not s.recv(65536):
                    closed[i] = True
            except OSError:
                closed[i] = True
        time.sleep(0.25)
    print("held %d closed %d first_closed %s" % (
        len(socks), sum(closed), ",".join(str(i) for i, c in
                                          enumerate(closed) if c)[:400]))
    for s, _ in socks:
        if s is not None:
            s.close()


def attacker(addr, kind, stop, counts):
    """Keeps one slow or idle client of kind going until stop is set."""
    while not stop.is_set():
        try:
            s, rest = open_kind(addr, kind)
        except OSError:
            time.sleep(0.1)
            continue
        counts[kind] = counts.get(kind, 0) + 1
        s.settimeout(0.3)
        try:
            while not stop.is_set():
                if rest:
                    s.send(rest[:1])
                    rest = rest[1:]
                try:
                    if not s.recv(65536):
                        break
                except socket.timeout:
                    pass
        except OSError:
            pass
        s.close()


def deliverer(addr, secret, stop, results):
    n = 0
    while not stop.is_set():
        n += 1
        body = ('{"id":"evt-attack-%d-%d-%d","timestamp":"%s","type":'
                '"user.updated","data":{"id":"u_mia","name":"Mia Member"}}' % (
                    os.getpid(), threading.get_ident(), n,
                    time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                  time.gmtime()))).encode()
        try:
            s = connect(addr, timeout=15)
            s.sendall(request_bytes(1, signed_delivery(secret, body), body))
            out, _ = Reader(s).response(1)
            results.append(status_of(out))
            s.close()
        except OSError:
            results.append("error")
        time.sleep(0.2)


def cmd_attack(addr, seconds, secret):
    stop = threading.Event()
    counts, results, threads = {}, [], []
    plan = [("idle", 50), ("loris-params", 10), ("loris-body", 10),
            ("keepidle", 5)]
    for kind, n in plan:
        for _ in range(n):
            t = threading.Thread(target=attacker, args=(addr, kind, stop,
                                                        counts))
            t.daemon = True
            t.start()
            threads.append(t)
    for _ in range(3):
        t = threading.Thread(target=deliverer, args=(addr, secret, stop,
                                                     results))
        t.daemon = True
        t.start()
        threads.append(t)
    time.sleep(float(seconds))
    stop.set()
    for t in threads:
        t.join(20)
    print("connections " + " ".join("%s=%d" % kv for kv in
                                    sorted(counts.items())))
    summary = {}
    for r in results:
        summary[r] = summary.get(r, 0) + 1
    print("deliveries " + " ".join("%s=%d" % (k.replace(" ", "_"), v)
                                   for k, v in sorted(summary.items())))


def cmd_latency(addr, n, cookie):
    times = []
    bad = 0
    for _ in range(int(n)):
        t0 = time.perf_counter()
        s = connect(addr, timeout=10)
        s.sendall(request_bytes(1, check_params(
            "/api/projects", extra=[("HTTP_COOKIE", cookie)])))
        out, _ = Reader(s).response(1)
        s.close()
        times.append(time.perf_counter() - t0)
        if status_of(out) != "200 OK":
            bad += 1
    times.sort()
    p = lambda q: times[min(len(times) - 1, int(q * len(times)))] * 1000
    print("n=%d p50_ms=%.2f p99_ms=%.2f max_ms=%.2f wrong=%d" % (
        len(times), p(0.5), p(0.99), times[-1] * 1000, bad))


def cmd_deliver(addr, secret, body):
    body = body.encode()
    s = connect(addr, timeout=15)
    s.sendall(request_bytes(1, signed_delivery(secret, body), body))
    out, _ = Reader(s).response(1)
    print(status_of(out))
    for line in (out or b"").split(b"\r\n"):
        if line.startswith(b"Retry-After"):
            print(line.decode())


def main(argv):
    if len(argv) < 3:
        sys.exit(__doc__)
    cmd, addr, rest = argv[1], argv[2], argv[3:]
    if cmd == "keep":
        cmd_keep(addr, rest[0], rest[1:])
    elif cmd == "pipeline":
        cmd_pipeline(addr, rest[0], rest[1:])
    elif cmd == "mpx":
        cmd_mpx(addr, rest[0])
    elif cmd == "values":
        cmd_values(addr)
    elif cmd == "abort":
        cmd_abort(addr)
    elif cmd == "hostile":
        cmd_hostile(addr, rest[0])
    elif cmd == "hold":
        cmd_hold(addr, *rest[:3])
    elif cmd == "attack":
        cmd_attack(addr, rest[0], rest[1])
    elif cmd == "latency":
        cmd_latency(addr, rest[0], rest[1])
    elif cmd == "deliver":
        cmd_deliver(addr, rest[0], rest[1])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
