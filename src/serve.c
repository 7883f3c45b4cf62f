/*
 * serve.c - the supervisor of `authgate serve`.
 *
 * Trusts its command line only after checking it. Binds the socket, then
 * drops root for good (it refuses to keep it), forks the workers and
 * restarts any that die. Each worker serves many connections at once
 * (fcgi_server.c), so no client holds a worker. Never handles a request
 * itself.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "metrics.h"
#include "opt.h"
#include "serve.h"
#include "util.h"

volatile int serve_stopping;
static volatile sig_atomic_t got_child;
static volatile sig_atomic_t got_hup;
static int (*reload_fn)(void);
static sigset_t run_mask;	/* the mask workers run with */

static void
on_stop(int sig)
{
	(void)sig;
	serve_stopping = 1;
}

static void
on_child(int sig)
{
	(void)sig;
	got_child = 1;
}

static void
on_hup(int sig)
{
	(void)sig;
	got_hup = 1;
}

void
serve_set_reload(int (*reload)(void))
{
	reload_fn = reload;
}

static void
set_handler(int sig, void (*fn)(int))
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = fn;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;	/* no SA_RESTART: blocked calls return EINTR */
	sigaction(sig, &sa, NULL);
}

struct opts {
	const char	*listen;
	const char	*user;
	const char	*group;
	int		 workers;
	int		 public;	/* --public: any address, not only loopback */
};

static int
usage(const char *msg, const char *arg)
{
	fprintf(stderr, "authgate: serve: %s%s%s; see 'authgate --help'\n", msg,
	    arg ? " " : "", arg ? arg : "");
	return 2;
}

/* Flags that stand for environment variables (SPEC section 3). */
static const struct {
	const char	*flag;
	const char	*env;
} env_flags[] = {
	{ "--db", "AUTHGATE_DB" },
	{ "--secret-file", "BETTER_AUTH_SECRET_FILE" },
	{ "--webhook-secret-file", "AUTHGATE_WEBHOOK_SECRET_FILE" },
	{ "--cookie-prefix", "AUTHGATE_COOKIE_PREFIX" },
	{ "--check-path", "AUTHGATE_CHECK_PATH" },
	{ "--webhook-path", "AUTHGATE_WEBHOOK_PATH" },
	{ "--max-body", "AUTHGATE_MAX_BODY" },
	{ "--trust-forwarded", "AUTHGATE_TRUST_FORWARDED" },
	{ "--case-sensitive", "AUTHGATE_CASE_SENSITIVE" },
	{ "--health-path", "AUTHGATE_HEALTH_PATH" },
	{ "--metrics-path", "AUTHGATE_METRICS_PATH" },
	{ "--state-file", "AUTHGATE_STATE_FILE" },
	{ "--fail-limit", "AUTHGATE_FAIL_LIMIT" },
	{ "--fail-window", "AUTHGATE_FAIL_WINDOW" },
	{ "--fail-cooldown", "AUTHGATE_FAIL_COOLDOWN" },
	{ "--nextauth-secret-file", "NEXTAUTH_SECRET_FILE" },
	{ "--auth-secret-file", "AUTH_SECRET_FILE" },
	{ "--auth-secret-1-file", "AUTH_SECRET_1_FILE" },
	{ "--auth-secret-2-file", "AUTH_SECRET_2_FILE" },
	{ "--auth-secret-3-file", "AUTH_SECRET_3_FILE" },
	{ "--trust-cookie-cache", "AUTHGATE_TRUST_COOKIE_CACHE" },
	{ "--nats-url", "AUTHGATE_NATS_URL" },
	{ "--nats-subject", "AUTHGATE_NATS_SUBJECT" },
	{ "--nats-stream", "AUTHGATE_NATS_STREAM" },
	{ "--nats-creds", "AUTHGATE_NATS_CREDS" },
	{ "--nats-ca", "AUTHGATE_NATS_CA" },
	{ "--nats-cert", "AUTHGATE_NATS_CERT" },
	{ "--nats-key", "AUTHGATE_NATS_KEY" },
	{ "--nats-timeout-ms", "AUTHGATE_NATS_TIMEOUT_MS" },
	{ "--nats-replicas", "AUTHGATE_NATS_REPLICAS" },
	{ "--nats-max-age", "AUTHGATE_NATS_MAX_AGE" },
	{ "--cluster-key-file", "AUTHGATE_CLUSTER_KEY_FILE" },
};

#define NENV	(sizeof(env_flags) / sizeof(env_flags[0]))

static const char usage_serve[] =
"usage: authgate serve --listen ADDR [--workers N] [--user U] [--group G]\n"
"       [--db PATH] [--secret-file F] [--webhook-secret-file F]\n"
"       [--cookie-prefix P] [--check-path P] [--webhook-path P]\n"
"       [--max-body N] [--trust-forwarded 0|1] [--case-sensitive 0|1]\n"
"       [--health-path P] [--metrics-path P] [--state-file F]\n"
"       [--fail-limit N] [--fail-window S] [--fail-cooldown S] [--public]\n"
"       [--unsigned-sessions] [--nextauth-secret-file F]\n"
"       [--auth-secret-file F] [--auth-secret-1-file F]\n"
"       [--auth-secret-2-file F] [--auth-secret-3-file F]\n"
"       [--trust-cookie-cache 0|1] [--nats-url U] [--nats-subject S]\n"
"       [--nats-stream S] [--nats-creds F] [--nats-ca F] [--nats-cert F]\n"
"       [--nats-key F] [--nats-timeout-ms N] [--nats-replicas N]\n"
"       [--nats-max-age S] [--cluster-key-file F]\n"
"ADDR is a loopback address (127.0.0.0/8 or [::1]) with :PORT, or an\n"
"absolute unix socket path (mode 0660, owner U, group G); any other\n"
"address (0.0.0.0:PORT, a LAN address) only with --public, which says\n"
"that every host that can reach it may ask. --unsigned-sessions is\n"
"AUTHGATE_UNSIGNED_SESSIONS=1: no session secret, on purpose (warned).\n"
"N worker processes (default 2), each\n"
"with its own webhook process; dead workers are restarted; SIGTERM\n"
"finishes what is in flight; SIGHUP re-reads the settings and secret\n"
"files and replaces the workers gracefully (a bad new configuration is\n"
"logged and the running one kept). As root, --user is required. Each\n"
"of the other flags sets the variable of the same name (see 'authgate\n"
"--help').\n";

static int
parse(int argc, char **argv, struct opts *o)
{
	struct opt t[6 + NENV + 1];
	const char *pos[1], *w;
	uint64_t v;
	size_t k;
	int npos;

	memset(o, 0, sizeof(*o));
	memset(t, 0, sizeof(t));
	if (opt_wants_help(argc, argv, 2)) {
		fputs(usage_serve, stdout);
		return -1;	/* done: exit 0 */
	}
	t[0].name = "--listen";
	t[1].name = "--user";
	t[2].name = "--group";
	t[3].name = "--workers";
	t[4 + NENV].name = "--public";
	t[4 + NENV].kind = OPT_FLAG;
	t[5 + NENV].name = "--unsigned-sessions";
	t[5 + NENV].kind = OPT_FLAG;
	for (k = 0; k < NENV; k++)
		t[4 + k].name = env_flags[k].flag;
	if (opt_parse("serve", "serve", argc, argv, 2, t, pos, 0, &npos) != 0)
		return 2;
	o->listen = opt_val(t, "--listen");
	o->user = opt_val(t, "--user");
	o->group = opt_val(t, "--group");
	o->public = opt_set(t, "--public");
	o->workers = 2;
	if ((w = opt_val(t, "--workers")) != NULL) {
		if (util_parse_u64(w, strlen(w), &v) != 0 || v < 1 ||
		    v > SERVE_MAX_WORKERS)
			return usage("--workers must be 1 to 64, not", w);
		o->workers = (int)v;
	}
	/* Invariant: a flag and its variable are one setting (SPEC 3). */
	for (k = 0; k < NENV; k++)
		if (t[4 + k].set && setenv(env_flags[k].env, t[4 + k].value,
		    1) != 0)
			return usage("cannot set", env_flags[k].env);
	if (opt_set(t, "--unsigned-sessions") &&
	    setenv("AUTHGATE_UNSIGNED_SESSIONS", "1", 1) != 0)
		return usage("cannot set", "AUTHGATE_UNSIGNED_SESSIONS");
	if (o->listen == NULL)
		return usage("--listen 127.0.0.1:PORT or /path/to.sock is"
		    " required", NULL);
	return 0;
}

/* "host:port" (numeric IPv4 or [IPv6]) to a socket address. Returns 0,
 * or -1 when spec is not one. */
static int
tcp_addr(const char *spec, struct sockaddr_storage *ss, socklen_t *slp)
{
	const char *colon = strrchr(spec, ':');
	char host[64];
	uint64_t port;
	size_t hn;

	if (colon == NULL || util_parse_u64(colon + 1, strlen(colon + 1),
	    &port) != 0 || port == 0 || port > 65535)
		return -1;
	hn = (size_t)(colon - spec);
	if (hn >= 2 && spec[0] == '[' && spec[hn - 1] == ']') {
		spec++;
		hn -= 2;
	}
	if (util_copy(host, sizeof(host), spec, hn) != 0)
		return -1;
	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, host, &((struct sockaddr_in *)ss)->sin_addr) == 1) {
		((struct sockaddr_in *)ss)->sin_family = AF_INET;
		((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)port);
		*slp = sizeof(struct sockaddr_in);
	} else if (inet_pton(AF_INET6, host,
	    &((struct sockaddr_in6 *)ss)->sin6_addr) == 1) {
		((struct sockaddr_in6 *)ss)->sin6_family = AF_INET6;
		((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)port);
		*slp = sizeof(struct sockaddr_in6);
	} else {
		return -1;
	}
	return 0;
}

/* 1 if the address is loopback: 127.0.0.0/8, ::1, or ::ffff:127.0.0.0/104. */
static int
tcp_loopback(const struct sockaddr_storage *ss)
{
	const struct in6_addr *a6;

	if (ss->ss_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)ss)->sin_addr.s_addr)
		    >> 24) == 127;
	a6 = &((const struct sockaddr_in6 *)ss)->sin6_addr;
	return IN6_IS_ADDR_LOOPBACK(a6) || (IN6_IS_ADDR_V4MAPPED(a6) &&
	    a6->s6_addr[12] == 127);
}

/* A TCP socket for "host:port": -1 not an address, -2 cannot listen. */
static int
listen_tcp(const char *spec)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd, on = 1;

	if (tcp_addr(spec, &ss, &sl) != 0)
		return -1;
	if ((fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	if (bind(fd, (struct sockaddr *)&ss, sl) != 0 || listen(fd, 128) != 0) {
		fprintf(stderr, "authgate: serve: cannot listen on %s: %s\n",
		    spec, strerror(errno));
		close(fd);
		return -2;
	}
	return fd;
}

/* A unix socket at path, mode 0660, owned by uid:gid. */
static int
listen_unix(const char *path, uid_t uid, gid_t gid)
{
	struct sockaddr_un sun;
	struct stat st;
	mode_t old;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (util_copy(sun.sun_path, sizeof(sun.sun_path), path,
	    strlen(path)) != 0) {
		fprintf(stderr, "authgate: serve: socket path too long\n");
		return -2;
	}
	/* A stale socket from a previous run is replaced; anything else
	 * at that path is left alone. */
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			fprintf(stderr, "authgate: serve: %s exists and is not"
			    " a socket\n", path);
			return -2;
		}
		unlink(path);
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -2;
	old = umask(0117);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		umask(old);
		fprintf(stderr, "authgate: serve: cannot bind %s: %s\n", path,
		    strerror(errno));
		close(fd);
		return -2;
	}
	umask(old);
	if (chmod(path, 0660) != 0 || (geteuid() == 0 &&
	    chown(path, uid, gid) != 0) || listen(fd, 128) != 0) {
		fprintf(stderr, "authgate: serve: cannot set up %s: %s\n",
		    path, strerror(errno));
		close(fd);
		unlink(path);
		return -2;
	}
	return fd;
}

static pid_t
spawn(int listen_fd, int (*worker)(int))
{
	pid_t pid = fork();

	if (pid == 0) {
		set_handler(SIGTERM, on_stop);
		set_handler(SIGINT, on_stop);
		signal(SIGCHLD, SIG_DFL);
		signal(SIGHUP, SIG_IGN);	/* the supervisor's to handle */
		sigprocmask(SIG_SETMASK, &run_mask, NULL);
		_exit(worker(listen_fd));
	}
	return pid;
}

/* Workers told to stop by a reload, until they are gone. */
static pid_t retired[SERVE_MAX_RETIRED];

static void
retired_gone(pid_t dead)
{
	int i;

	for (i = 0; i < SERVE_MAX_RETIRED; i++)
		if (retired[i] == dead)
			retired[i] = 0;
}

/*
 * SIGHUP: the reload hook re-reads the settings and secrets into the
 * supervisor (it keeps the running ones and logs one line if they are
 * bad). Then new workers start on the same socket, and only then the old
 * ones are told to stop: they accept nothing more and finish what they
 * hold, so no request is dropped (fcgi_server.c).
 */
static void
reload(int fd, int (*worker)(int), pid_t *pids, int n)
{
	pid_t old[SERVE_MAX_WORKERS];
	int i, k;

	if (reload_fn == NULL || reload_fn() != 0)
		return;
	for (i = 0; i < n; i++) {
		old[i] = pids[i];
		pids[i] = spawn(fd, worker);
	}
	for (i = 0; i < n; i++) {
		if (old[i] <= 0)
			continue;
		for (k = 0; k < SERVE_MAX_RETIRED && retired[k] > 0; k++)
			;
		if (k < SERVE_MAX_RETIRED)
			retired[k] = old[i];
		kill(old[i], SIGTERM);
	}
	log_msg("serve: reloaded; %d new workers, the old ones finish what"
	    " they hold", n);
}

int
serve_main(int argc, char **argv, int (*setup)(void),
    int (*worker)(int listen_fd))
{
	pid_t pids[SERVE_MAX_WORKERS] = { 0 };
	struct passwd *pw = NULL;
	struct group *gr = NULL;
	uid_t uid = getuid();
	gid_t gid = getgid();
	struct opts o;
	sigset_t blocked;
	int fd, i, rc, unix_sock, deaths = 0;
	time_t window = time(NULL);

	if ((rc = parse(argc, argv, &o)) != 0)
		return rc < 0 ? 0 : rc;
	if (geteuid() == 0 && o.user == NULL)
		return usage("refusing to run as root; add --user", "USER");
	if (o.user != NULL) {
		if ((pw = getpwnam(o.user)) == NULL)
			return usage("no such user", o.user);
		uid = pw->pw_uid;
		gid = pw->pw_gid;
	}
	if (o.group != NULL) {
		if ((gr = getgrnam(o.group)) == NULL)
			return usage("no such group", o.group);
		gid = gr->gr_gid;
	}
	if (o.user != NULL && geteuid() != 0 && uid != geteuid())
		return usage("--user needs root to switch to", o.user);
	unix_sock = o.listen[0] == '/' || o.listen[0] == '.';
	if (!unix_sock) {
		struct sockaddr_storage ss;
		socklen_t sl;

		if (tcp_addr(o.listen, &ss, &sl) != 0)
			return usage("--listen takes 127.0.0.1:PORT, [::1]:PORT"
			    " or an absolute socket path, not", o.listen);
		/* Invariant: a decision or a webhook is offered beyond this
		 * host only when the admin says so. */
		if (!tcp_loopback(&ss) && !o.public) {
			fprintf(stderr, "authgate: serve: --listen %s is not a"
			    " loopback address; use 127.0.0.1:PORT, [::1]:PORT"
			    " or a unix socket, or add --public to serve every"
			    " host that can reach it\n", o.listen);
			return 2;
		}
	}

	/* Configuration and secrets are read while still privileged, so the
	 * secret files may be readable by root only. */
	if ((rc = setup()) != 0)
		return rc;

	fd = unix_sock ? listen_unix(o.listen, uid, gid) : listen_tcp(o.listen);
	if (fd == -1)
		return usage("--listen takes 127.0.0.1:PORT, [::1]:PORT or an"
		    " absolute socket path, not", o.listen);
	if (fd < 0)
		return 2;

	/* Invariant: from here on the process is never root. */
	if (geteuid() == 0) {
		if (setgroups(1, &gid) != 0 || setgid(gid) != 0 ||
		    setuid(uid) != 0 || setuid(0) == 0) {
			fprintf(stderr, "authgate: serve: cannot drop"
			    " privileges to %s\n", o.user);
			return 2;
		}
	}

	set_handler(SIGTERM, on_stop);
	set_handler(SIGINT, on_stop);
	set_handler(SIGCHLD, on_child);
	set_handler(SIGHUP, on_hup);
	signal(SIGPIPE, SIG_IGN);
	/* The supervisor's signals are taken only in sigsuspend: none is
	 * missed between a check and the wait. */
	sigemptyset(&blocked);
	sigaddset(&blocked, SIGCHLD);
	sigaddset(&blocked, SIGHUP);
	sigaddset(&blocked, SIGTERM);
	sigaddset(&blocked, SIGINT);
	sigprocmask(SIG_BLOCK, &blocked, &run_mask);
	log_msg("serve: listening on %s with %d workers", o.listen, o.workers);
	if (!unix_sock && o.public)
		log_msg("warning: serve: --public: %s answers every host that"
		    " can reach it; firewall it to the web server", o.listen);
	for (i = 0; i < o.workers; i++)
		pids[i] = spawn(fd, worker);

	while (!serve_stopping) {
		pid_t dead;
		int status;

		sigsuspend(&run_mask);	/* a signal wakes us */
		if (got_hup && !serve_stopping) {
			got_hup = 0;
			reload(fd, worker, pids, o.workers);
		}
		while ((dead = waitpid(-1, &status, WNOHANG)) > 0) {
			retired_gone(dead);
			for (i = 0; i < o.workers; i++) {
				if (pids[i] != dead)
					continue;
				pids[i] = 0;
				if (serve_stopping)
					break;
				log_msg("serve: worker %d died (%s %d);"
				    " restarting", (int)dead,
				    WIFSIGNALED(status) ? "signal" : "exit",
				    WIFSIGNALED(status) ? WTERMSIG(status) :
				    WEXITSTATUS(status));
				/* A crash loop is slowed down, not spun. */
				if (time(NULL) - window > 10) {
					window = time(NULL);
					deaths = 0;
				}
				if (++deaths > 10)
					sleep(1);
				metrics_worker_restart();
				pids[i] = spawn(fd, worker);
			}
		}
		got_child = 0;
	}

	/* SIGTERM: the workers finish what they hold, then exit. */
	log_msg("serve: stopping");
	for (i = 0; i < o.workers; i++)
		if (pids[i] > 0)
			kill(pids[i], SIGTERM);
	for (i = 0; i < SERVE_STOP_GRACE_S * 10; i++) {
		int alive = 0, k;

		for (k = 0; k < o.workers; k++) {
			if (pids[k] > 0 && waitpid(pids[k], NULL, WNOHANG) ==
			    pids[k])
				pids[k] = 0;
			alive += pids[k] > 0;
		}
		for (k = 0; k < SERVE_MAX_RETIRED; k++) {
			if (retired[k] > 0 && waitpid(retired[k], NULL,
			    WNOHANG) == retired[k])
				retired[k] = 0;
			alive += retired[k] > 0;
		}
		if (alive == 0)
			break;
		usleep(100000);
	}
	for (i = 0; i < o.workers; i++)
		if (pids[i] > 0) {
			kill(pids[i], SIGKILL);
			waitpid(pids[i], NULL, 0);
		}
	for (i = 0; i < SERVE_MAX_RETIRED; i++)
		if (retired[i] > 0) {
			kill(retired[i], SIGKILL);
			waitpid(retired[i], NULL, 0);
		}
	if (unix_sock)
		unlink(o.listen);
	close(fd);
	return 0;
}
