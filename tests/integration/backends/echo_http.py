#!/usr/bin/env python3
"""echo_http.py PORT - an HTTP backend for the integration tests.

Prints the identity headers it received (X-Auth-*, Remote-User and every
header with "auth" in its name, case as sent), one "Name: value" per line,
sorted. Listens on 127.0.0.1 only; stops on SIGTERM.
"""
import http.server
import sys


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
            if "auth" in k.lower() or k.lower() == "remote-user")
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
