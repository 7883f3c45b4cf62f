/*
 * serve.h - `authgate serve`: listen by itself, run N worker processes,
 * restart the ones that die, stop cleanly on SIGTERM.
 *
 * For web servers that do not start FastCGI applications themselves
 * (Apache mod_authnz_fcgi, nginx, Caddy). Owns the listening socket and
 * the worker processes; the FastCGI protocol stays in main.c, which hands
 * over a worker function.
 */
#ifndef AUTHGATE_SERVE_H
#define AUTHGATE_SERVE_H

#define SERVE_MAX_WORKERS	64
#define SERVE_READ_DEADLINE_S	10	/* a request must arrive whole in 10 s */
#define SERVE_IO_TIMEOUT_S	5	/* each read or write on a connection */
#define SERVE_STOP_GRACE_S	10	/* SIGTERM: in-flight requests get this long */

/*
 * Set by the signal handlers; a worker checks serve_stopping between
 * requests and serve_deadline while reading one.
 */
extern volatile int serve_stopping;

/*
 * Accepts one connection on listen_fd, waiting at most wait_ms, with the
 * per-connection timeouts set. Returns the connected fd, or -1 (nothing
 * to accept, or serve_stopping).
 */
int	serve_accept(int listen_fd, int wait_ms);

/* Arms (seconds > 0) or disarms (0) the whole-request read deadline. */
void	serve_deadline(unsigned seconds);

/*
 * Runs `authgate serve` with argv[2..]: parses the flags (each setting
 * of SPEC section 3 has one; flags override the environment), calls setup
 * (which loads the configuration and must not serve), binds, drops
 * privileges, and supervises workers that each run worker(listen_fd)
 * until it returns. Returns the exit code.
 */
int	serve_main(int argc, char **argv, int (*setup)(void),
	    int (*worker)(int listen_fd));

#endif
