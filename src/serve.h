/*
 * serve.h - `authgate serve`: listen by itself, run N worker processes,
 * restart the ones that die, stop cleanly on SIGTERM.
 *
 * For web servers that do not start FastCGI applications themselves
 * (Apache mod_authnz_fcgi, nginx, Caddy). Owns the listening socket and
 * the worker processes; main.c hands over the worker function (the event
 * loop of fcgi_server.c).
 */
#ifndef AUTHGATE_SERVE_H
#define AUTHGATE_SERVE_H

#define SERVE_MAX_WORKERS	64
#define SERVE_STOP_GRACE_S	10	/* SIGTERM: in-flight requests get this long */
#define SERVE_MAX_RETIRED	(4 * SERVE_MAX_WORKERS)	/* old workers still
					 * finishing after reloads */

/*
 * Set by the SIGTERM/SIGINT handlers (installed without SA_RESTART, so a
 * worker's epoll_wait returns EINTR); a worker checks it on every turn of
 * its loop. A worker may set it itself to stop and be restarted.
 */
extern volatile int serve_stopping;

/*
 * Runs `authgate serve` with argv[2..]: parses the flags (each setting
 * of SPEC section 3 has one; flags override the environment), calls setup
 * (which loads the configuration and must not serve), binds, drops
 * privileges, and supervises workers that each run worker(listen_fd)
 * until it returns. Returns the exit code.
 */
int	serve_main(int argc, char **argv, int (*setup)(void),
	    int (*worker)(int listen_fd));

/*
 * Sets the hook SIGHUP calls in the supervisor: it re-reads the settings
 * and secrets (for the workers forked next) and returns 0, or logs one
 * line and returns -1 (the running workers are kept). Without a hook,
 * SIGHUP is ignored.
 */
void	serve_set_reload(int (*reload)(void));

#endif
