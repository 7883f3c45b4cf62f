"""
common.py - what tests/bench/'s Python shares: paths, the benchmark's
throwaway secrets, the list of problems (what could not run), and the
process and port tools (CPU and memory read from /proc).

Trusts /proc as the kernel writes it. Never kills or signals anything.
"""

import os
import random
import re
import socket
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
OUT = os.path.join(ROOT, "tests", "tmp", "bench")
BIN = os.path.join(ROOT, "cgi-bin", "authgate")
FLOOR = os.path.join(ROOT, "build", "bench", "floor")
SECRET = "bench-secret-0123456789abcdef0123456789"
WH_SECRET = "bench-webhook-secret-0123456789abcdef"
FILE_BYTES = 100            # the static file behind every variant
HZ = os.sysconf("SC_CLK_TCK")

problems = []               # what could not run: the exit status


def log(msg):
    print(msg, flush=True)


def problem(msg):
    problems.append(msg)
    log("bench: PROBLEM: " + msg)


def proc_table():
    """pid -> (ppid, utime + stime in ticks) for every process."""
    t = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                s = f.read()
        except OSError:
            continue
        f = s[s.rindex(")") + 2:].split()
        t[int(d)] = (int(f[1]), int(f[11]) + int(f[12]))
    return t


def descendants(roots, table=None):
    """The roots and every process below them: pid -> cpu ticks."""
    t = table or proc_table()
    kids = {}
    for pid, (pp, _) in t.items():
        kids.setdefault(pp, []).append(pid)
    out, stack = {}, [r for r in roots if r]
    while stack:
        p = stack.pop()
        if p in t and p not in out:
            out[p] = t[p][1]
            stack.extend(kids.get(p, []))
    return out


def status_kb(pid, field):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def exe_of(pid):
    try:
        return os.path.realpath("/proc/%d/exe" % pid)
    except OSError:
        return ""


def environ_of(pid):
    try:
        with open("/proc/%d/environ" % pid, "rb") as f:
            return dict(x.split(b"=", 1) for x in f.read().split(b"\0")
                        if b"=" in x)
    except OSError:
        return {}


def listen_names():
    """Socket inode -> what listens there (unix path or TCP port)."""
    out = {}
    try:
        with open("/proc/net/unix") as f:
            for line in f.read().splitlines()[1:]:
                x = line.split()
                if len(x) >= 8:
                    out[x[6]] = os.path.basename(x[7])
    except OSError:
        pass
    for tab in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(tab) as f:
                for line in f.read().splitlines()[1:]:
                    x = line.split()
                    out[x[9]] = "tcp port %d" % int(x[1].split(":")[1], 16)
        except OSError:
            pass
    return out


def pool_of(pid, names):
    """The socket a lighttpd child serves (its fd 0)."""
    try:
        link = os.readlink("/proc/%d/fd/0" % pid)
    except OSError:
        return "?"
    m = re.match(r"socket:\[(\d+)\]", link)
    return names.get(m.group(1), "?") if m else "?"


def free_port(span=1, used=set()):
    """A port (and the span - 1 after it) nothing listens on, below the
    kernel's range for outgoing connections, never the same twice."""
    while True:
        p = 20000 + random.randrange(12000)
        ports = range(p, p + span)
        if any(x in used for x in ports):
            continue
        busy = False
        for x in ports:
            with socket.socket() as s:
                busy = busy or s.connect_ex(("127.0.0.1", x)) == 0
        if not busy:
            used.update(ports)
            return p


def wait_connect(addr, secs=15):
    end = time.time() + secs
    while time.time() < end:
        fam = socket.AF_UNIX if isinstance(addr, str) else socket.AF_INET
        with socket.socket(fam) as s:
            try:
                s.connect(addr)
                return True
            except OSError:
                time.sleep(0.1)
    return False


