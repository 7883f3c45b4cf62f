#!/usr/bin/env python3
"""nats_pub.py - publishes one message with headers to a NATS subject over
the plain client protocol (HPUB), as anyone with access to the bus could:
the integration suite's way to inject forged or unsigned messages into the
stream without authgate's code.

usage: nats_pub.py HOST:PORT SUBJECT BODY [Header=Value ...]
Exits 0 once the server answered PONG after the HPUB (it has the message)."""
import socket
import sys


def main():
    host, port = sys.argv[1].rsplit(":", 1)
    subject, body = sys.argv[2], sys.argv[3].encode()
    headers = [a.split("=", 1) for a in sys.argv[4:]]
    hdr = "NATS/1.0\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers) + "\r\n"
    hdr = hdr.encode()
    s = socket.create_connection((host, int(port)), timeout=5)
    f = s.makefile("rb")
    if not f.readline().startswith(b"INFO"):
        sys.exit("no INFO from the server")
    s.sendall(b'CONNECT {"verbose":false,"pedantic":false,"headers":true}\r\n')
    s.sendall(b"HPUB %s %d %d\r\n" % (subject.encode(), len(hdr),
                                      len(hdr) + len(body)) + hdr + body + b"\r\n")
    s.sendall(b"PING\r\n")
    while True:
        line = f.readline()
        if not line:
            sys.exit("connection closed")
        if line.startswith(b"PONG"):
            return
        if line.startswith(b"-ERR"):
            sys.exit(line.decode().strip())


if __name__ == "__main__":
    main()
