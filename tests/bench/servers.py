"""
servers.py - the servers `make bench` measures, started on 127.0.0.1 and
stopped by PID: one lighttpd with every variant under its own path (the
static file, the libfcgi floor and authgate at 1, 2 and 4 processes over
unix sockets and TCP, authgate serve's socket, the webhook responder),
authgate serve, and nginx instances running the shipped conf/nginx files
with auth_request to authgate serve, to authgate's libfcgi loop and to the
floor.

Owns the generated configs under tests/tmp/bench/run. Trusts the binaries
make built. Never touches a server it did not start.
"""

import os
import shutil
import signal
import socket
import subprocess

from common import (BIN, FILE_BYTES, FLOOR, OUT, ROOT, SECRET, WH_SECRET,
                    free_port, problem, wait_connect)


class Servers:
    def __init__(self, db, webhook_db):
        self.db, self.webhook_db = db, webhook_db
        self.procs = {}
        self.run = os.path.join(OUT, "run")
        self.www = os.path.join(OUT, "www")
        os.makedirs(self.run)
        if os.getuid() == 0:
            os.chown(self.run, 65534, 65534)
        self.port = free_port()
        # lighttpd binds max-procs consecutive ports from "port".
        self.tcp_floor = free_port(span=2)
        self.tcp_ag = free_port(span=2)
        self.ng_port = {}          # nginx instance -> its port
        self.ng_static = free_port()
        self.serve_sock = os.path.join(self.run, "serve.sock")

    def docroot(self, paths):
        for p in paths:
            d = os.path.join(self.www, os.path.dirname(p).lstrip("/"))
            os.makedirs(d, exist_ok=True)
            with open(os.path.join(self.www, p.lstrip("/")), "w") as f:
                f.write("x" * (FILE_BYTES - 1) + "\n")
        for dirpath, dirs, files in os.walk(OUT):
            os.chmod(dirpath, 0o755)

    def start(self, what):
        """Starts what the variants need; a server that does not start is
        a problem, and its variants are reported as not run."""
        if "serve" in what:
            self.start_serve()
        if "lighttpd" in what:
            self.start_lighttpd()
        if "nginx-sv" in what or "nginx-static" in what:
            self.start_nginx("nginx-sv", self.serve_sock)
        if "nginx-floor" in what:
            self.start_nginx("nginx-floor", self.fcgi_pool(
                "nginx-floor", FLOOR, 2, {}))
        if "nginx-fcgi" in what:
            self.start_nginx("nginx-fcgi", self.fcgi_pool(
                "nginx-fcgi", BIN, 2, {"AUTHGATE_DB": self.db,
                                       "BETTER_AUTH_SECRET": SECRET}))

    def alive(self, name):
        p = self.procs.get(name)
        return p is not None and p.poll() is None

    def fcgi_pool(self, name, binary, n, env):
        """n FastCGI processes sharing one listening unix socket on fd 0,
        as lighttpd's bin-path and spawn-fcgi start them (kept as our
        children, so their CPU is counted)."""
        path = os.path.join(self.run, name + ".sock")
        s = socket.socket(socket.AF_UNIX)
        s.bind(path)
        s.listen(1024)
        os.chmod(path, 0o666)      # nginx's workers (www-data) connect
        log_f = open(os.path.join(self.run, name + ".log"), "w")
        for i in range(n):
            self.procs["%s-%d" % (name, i)] = subprocess.Popen(
                [binary], stdin=s.fileno(), stdout=subprocess.DEVNULL,
                stderr=log_f, env=env)
        s.close()
        return path

    def spawn(self, name, cmd, env=None, stderr=None):
        log_f = open(os.path.join(self.run, name + ".log"), "w")
        p = subprocess.Popen(cmd, env=env, stdout=log_f,
                             stderr=stderr or subprocess.STDOUT)
        self.procs[name] = p
        return p

    def start_serve(self):
        cmd = [BIN, "serve", "--listen", self.serve_sock, "--workers", "2",
               "--db", self.db]
        if os.getuid() == 0:
            cmd += ["--user", "nobody", "--group", "www-data"]
        self.spawn("serve", cmd, env=dict(os.environ, BETTER_AUTH_SECRET=SECRET))
        if not wait_connect(self.serve_sock):
            problem("authgate serve did not start: see %s/serve.log" % self.run)
            return False
        return True

    def lighttpd_conf(self):
        def fcgi(prefix, binp, procs, sock=None, port=None, env=None,
                 mode="authorizer"):
            s = ['"mode" => "%s"' % mode, '"check-local" => "disable"']
            if binp:
                s += ['"bin-path" => "%s"' % binp, '"max-procs" => %d' % procs]
            if sock:
                s.append('"socket" => "%s"' % sock)
            if port:
                s += ['"host" => "127.0.0.1"', '"port" => %d' % port]
            if env:
                s.append('"bin-environment" => ( %s )' % ", ".join(
                    '"%s" => "%s"' % kv for kv in env.items()))
            return '  "%s" => (( %s ))' % (prefix, ", ".join(s))
        agenv = {"AUTHGATE_DB": self.db, "BETTER_AUTH_SECRET": SECRET}
        whenv = {"AUTHGATE_DB": self.webhook_db,
                 "AUTHGATE_WEBHOOK_SECRET": WH_SECRET}
        r = self.run
        entries = [
            fcgi("/b/floor1/", FLOOR, 1, r + "/floor1.sock"),
            fcgi("/b/floor2/", FLOOR, 2, r + "/floor2.sock"),
            fcgi("/b/floor4/", FLOOR, 4, r + "/floor4.sock"),
            fcgi("/b/ag1/", BIN, 1, r + "/ag1.sock", env=agenv),
            fcgi("/b/ag2/", BIN, 2, r + "/ag2.sock", env=agenv),
            fcgi("/b/ag4/", BIN, 4, r + "/ag4.sock", env=agenv),
            fcgi("/b/floortcp2/", FLOOR, 2, port=self.tcp_floor),
            fcgi("/b/agtcp2/", BIN, 2, port=self.tcp_ag, env=agenv),
            fcgi("/b/sv2/", None, 0, self.serve_sock),
            fcgi("/webhooks/optare", BIN, 2, r + "/webhook.sock", env=whenv,
                 mode="responder"),
        ]
        return """# generated by tests/bench/bench.py
server.bind = "127.0.0.1"
server.port = %d
server.document-root = "%s"
server.pid-file = "%s/lighttpd.pid"
server.errorlog = "%s/lighttpd-error.log"
server.tag = "lighttpd"
server.modules = ( "mod_fastcgi" )
mimetype.assign = ( ".txt" => "text/plain" )
fastcgi.server = (
%s
)
""" % (self.port, self.www, r, r, ",\n".join(entries))

    def start_lighttpd(self):
        conf = os.path.join(self.run, "lighttpd.conf")
        with open(conf, "w") as f:
            f.write(self.lighttpd_conf())
        self.spawn("lighttpd", ["lighttpd", "-D", "-f", conf])
        if not wait_connect(("127.0.0.1", self.port)):
            problem("lighttpd did not start: see %s/lighttpd*.log" % self.run)
            return False
        return True

    def start_nginx(self, name, upstream):
        """An nginx (master, 2 workers) running the shipped http-level
        blocks and snippets with only the documented literals replaced, as
        tests/integration/nginx.sh does (its three example servers listen
        on spare ports), upstream authgate pointed at upstream, and the
        benchmark's server: the static file behind auth_request. The
        nginx-sv instance also serves the file without it."""
        d = os.path.join(self.run, name)
        os.makedirs(os.path.join(d, "snippets"))
        os.makedirs(os.path.join(d, "tmp"))
        for f in os.listdir(os.path.join(ROOT, "conf", "nginx", "snippets")):
            shutil.copy(os.path.join(ROOT, "conf", "nginx", "snippets", f),
                        os.path.join(d, "snippets"))
        with open(os.path.join(ROOT, "conf", "nginx", "authgate.conf")) as f:
            shipped = f.read()
        for lit in ("127.0.0.1:8080", "127.0.0.1:8081", "127.0.0.1:8082"):
            shipped = shipped.replace("listen " + lit,
                                      "listen 127.0.0.1:%d" % free_port())
        shipped = shipped.replace("unix:/run/authgate/authgate.sock",
                                  "unix:" + upstream)
        with open(os.path.join(d, "authgate.conf"), "w") as f:
            f.write(shipped)
        port = self.ng_port[name] = free_port()
        static = ""
        if name == "nginx-sv":
            static = """	server {
		listen 127.0.0.1:%d;
		server_name _;
		location / { root %s; }
	}
""" % (self.ng_static, self.www)
        with open(os.path.join(d, "nginx.conf"), "w") as f:
            f.write("""# generated by tests/bench/bench.py
daemon off;
master_process on;
worker_processes 2;
%s
pid %s/nginx.pid;
error_log %s/error.log warn;
events { worker_connections 1024; }
http {
	access_log off;
	client_body_temp_path %s/tmp/body;
	fastcgi_temp_path %s/tmp/fastcgi;
	proxy_temp_path %s/tmp/proxy;
	scgi_temp_path %s/tmp/scgi;
	uwsgi_temp_path %s/tmp/uwsgi;
	include authgate.conf;
	server {
		listen 127.0.0.1:%d;
		server_name _;
		include snippets/authgate-server.conf;
		include snippets/authgate-protect.conf;
		location / { root %s; }
	}
%s}
""" % ("user www-data www-data;" if os.getuid() == 0 else "", d, d, d, d, d,
       d, d, port, self.www, static))
        t = subprocess.run(["nginx", "-t", "-p", d, "-c", d + "/nginx.conf"],
                           capture_output=True, text=True)
        if t.returncode != 0:
            problem("%s: nginx -t: %s" % (name, t.stderr.strip()[-300:]))
            return False
        self.spawn(name, ["nginx", "-p", d, "-c", d + "/nginx.conf"])
        if not (wait_connect(("127.0.0.1", port)) and (
                not static or wait_connect(("127.0.0.1", self.ng_static)))):
            problem("%s did not start: see %s/error.log" % (name, d))
            return False
        return True

    def pids(self):
        return [p.pid for p in self.procs.values() if p.poll() is None]

    def stop(self):
        for p in self.procs.values():
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in self.procs.values():
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


