/*
 * sandbox.h - what a serving process may still do once it has started:
 * no new privileges, filesystem access limited to the database's
 * directory (landlock, where the kernel has it), and a seccomp allow-list
 * of the system calls the serving loop, SQLite, OpenSSL, cJSON and libc
 * need; any other system call kills the process.
 *
 * Entered once per process, after start-up (configuration, secrets and
 * the listening socket are in hand) and before the first request. There
 * is no way out: the restrictions last until the process exits.
 */
#ifndef AUTHGATE_SANDBOX_H
#define AUTHGATE_SANDBOX_H

#include <sys/types.h>

#include <stddef.h>

enum sandbox_kind {
	SANDBOX_DECIDE,		/* authorizer and check endpoint only: reads
				 * the database (and SQLite's -wal and -shm) */
	SANDBOX_WEBHOOK		/* also applies webhooks: creates, writes and
				 * removes files in the database's directory */,
	SANDBOX_WEBHOOK_NET	/* SANDBOX_WEBHOOK that also publishes to NATS
				 * (docs/multihost.md): TCP connections, the
				 * client library's threads, name lookups */
};

/*
 * Restricts the calling process for good: prctl(PR_SET_NO_NEW_PRIVS),
 * then landlock (the directory of db_path, symlinks resolved, with the
 * rights kind needs; /dev/urandom readable), then the seccomp filter.
 * child (0: none) is a process this one started before and may still
 * stop with SIGKILL and reap; no other process can be signalled. A
 * kernel without landlock is logged once and is not an error. Returns 0,
 * or -1 with one line in err (errsz bytes): the caller must not serve.
 */
int	sandbox_enter(enum sandbox_kind kind, const char *db_path, pid_t child,
	    char *err, size_t errsz);

/*
 * sandbox_enter for a call site: on failure logs "sandbox: <reason>;
 * not serving" and returns 2 (the exit code), else returns 0.
 */
int	sandbox_start(enum sandbox_kind kind, const char *db_path,
	    pid_t child);

/*
 * The landlock ABI version the kernel offers (0: none). For the tests
 * and `authgate doctor`-style diagnostics; needs no sandbox.
 */
int	sandbox_landlock_abi(void);

#ifdef AUTHGATE_TEST_HOOKS
/*
 * Test builds only (never in cgi-bin/authgate). Reads the server-set
 * parameters (no HTTP_ prefix, so no client can set them):
 * - syscall_name (AUTHGATE_TEST_SYSCALL): calls a system call the filter
 *   forbids: "socket" (or "1"), "execve" or "kill" (of init); a sandboxed process
 *   dies with SIGSYS and never returns.
 * - open_path (AUTHGATE_TEST_OPEN): opens the path for reading, or with
 *   a "w:" prefix for writing (created if absent).
 * - crash (AUTHGATE_TEST_CRASH): "heap-overflow" reads past a heap
 *   buffer, so the sanitizer reports from inside the sandbox.
 * Returns 0 when no hook parameter is set (serve the request), else the
 * status to answer with: 403 the open failed with EACCES, 409 the open
 * succeeded, 500 anything else (also a forbidden call that returned).
 * *what names the outcome for the reply body.
 */
int	sandbox_test_hook(const char *syscall_name, const char *open_path,
	    const char *crash, const char **what);
#endif

#endif
