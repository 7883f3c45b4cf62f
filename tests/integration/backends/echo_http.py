#!/usr/bin/env python3
"""echo_http.py PORT - an HTTP backend for the integration tests.

Prints the headers it received that could pass for identity (every name
with "auth" in it, Remote-User and X-Remote-User in any spelling, the
X-Forwarded-User family, Variable-*), case as sent, one "Name: value" per
line, sorted: a spoofed header that gets through shows. Listens on
127.0.0.1 only; stops on SIGTERM.
"""
import http.server
import re
import sys

IDENTITY = re.compile(r"auth|remote.user|forwarded.(user|email|groups|preferred)|^variable",
                      re.IGNORECASE)


class Echo(http.server.BaseHTTPRequestHandler):
    def handle_one(self):
        # Read the body first: closing with unread bytes makes the kernel
        # reset the connection, and the proxy may lose the answer.
        left = int(self.headers.get("Content-Length") or 0)
        while left > 0:
            chunk = self.rfile.read(min(left, 65536))
            if not chunk:
                break
            left -= len(chunk)
        lines = sorted(
            f"{k}: {v}" for k, v in self.headers.items()
            if IDENTITY.search(k))
        body = ("backend: http %s %s\n" % (self.command, self.path)
                + "".join(l + "\n" for l in lines)).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = handle_one

    def log_message(self, *args):
        pass


if __name__ == "__main__":
    http.server.ThreadingHTTPServer(
        ("127.0.0.1", int(sys.argv[1])), Echo).serve_forever()
