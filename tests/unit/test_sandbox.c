/*
 * test_sandbox.c - unit tests for src/sandbox.c: each case forks a child
 * that enters the sandbox and then does one thing; the parent checks how
 * the child ended. A forbidden system call must kill it with SIGSYS;
 * what SQLite, OpenSSL and the serving loop need must keep working;
 * landlock must refuse files outside the database directory (when the
 * kernel has landlock; without it the same opens must succeed, which is
 * the documented degradation).
 *
 * Case ids are stable: a new case gets a new id, an id never changes
 * meaning. Children end with _exit, never exit: LeakSanitizer's exit
 * check needs ptrace, which the sandbox never allows.
 */
#define _GNU_SOURCE	/* syscall() */
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <sqlite3.h>

#include "harness.h"
#include "sandbox.h"

static char	dir[64];	/* the database directory of every case */
static char	db[128];	/* dir/t.db */
static char	outside[128];	/* a file next to dir, not inside it */
static int	abi;		/* the kernel's landlock ABI (0: none) */

/*
 * Runs fn in a child that first enters the sandbox of kind. Returns the
 * child's wait status; fn's return value is its exit code (entering the
 * sandbox failed: 100).
 */
static int
in_sandbox(enum sandbox_kind kind, int (*fn)(void))
{
	char err[512];
	pid_t pid;
	int st;

	fflush(stdout);
	if ((pid = fork()) < 0)
		return -1;
	if (pid == 0) {
		if (sandbox_enter(kind, db, 0, err, sizeof(err)) != 0) {
			printf("sandbox_enter: %s\n", err);
			fflush(stdout);
			_exit(100);
		}
		_exit(fn());
	}
	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return st;
}

/* Functions, not macros: each case must run its child once. */
static int
killed_by_sigsys(int st)
{
	return st != -1 && WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS;
}

static int
exited(int st, int code)
{
	return st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == code;
}

/* ---- forbidden calls ----------------------------------------------- */

static int
do_socket(void)
{
	return syscall(SYS_socket, AF_INET, SOCK_STREAM, 0) >= 0 ? 0 : 1;
}

static int
do_socketpair(void)
{
	int sv[2];

	return socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0 ? 0 : 1;
}

static int
do_execve(void)
{
	static char prog[] = "/bin/true";
	char *argv[] = { prog, NULL }, *envp[] = { NULL };

	syscall(SYS_execve, prog, argv, envp);
	return 1;
}

static int
do_fork(void)
{
	return syscall(SYS_fork) >= 0 ? 0 : 1;
}

static pid_t	parent;		/* this test, as its children see it */

static int
do_kill_parent(void)
{
	return syscall(SYS_kill, parent, 0) == 0 ? 0 : 1;
}

static int
do_ptrace(void)
{
	return syscall(SYS_ptrace, 0 /* PTRACE_TRACEME */, 0, 0, 0) == 0 ?
	    0 : 1;
}

static int
do_mmap_exec(void)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_EXEC,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p != MAP_FAILED ? 0 : 1;
}

static int
do_mprotect_exec(void)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return 2;
	return mprotect(p, 4096, PROT_READ | PROT_EXEC) == 0 ? 0 : 1;
}

static int
do_unlink_in_dir(void)
{
	char p[160];

	snprintf(p, sizeof(p), "%s/victim", dir);
	return unlink(p) == 0 ? 0 : 1;
}

/* What store.c does when the file was replaced: lock the directory,
 * remove the old -wal and -shm. */
static int
do_lock_and_unlink(void)
{
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (dfd < 0 || flock(dfd, LOCK_EX) != 0)
		return 1;
	close(dfd);
	return do_unlink_in_dir();
}

static int
do_fsync(void)
{
	int fd = open(db, O_RDONLY | O_CLOEXEC);

	return fd >= 0 && fsync(fd) == 0 ? 0 : 1;
}

static int
do_chmod(void)
{
	return chmod(db, 0666) == 0 ? 0 : 1;
}

static void
test_forbidden(void)
{
	char p[160];

	T_CHECK("sandbox-001", killed_by_sigsys(in_sandbox(SANDBOX_DECIDE,
	    do_socket)));
	T_CHECK("sandbox-002", killed_by_sigsys(in_sandbox(SANDBOX_WEBHOOK,
	    do_socket)));
	T_CHECK("sandbox-003", killed_by_sigsys(in_sandbox(SANDBOX_DECIDE,
	    do_socketpair)));
	T_CHECK("sandbox-004", killed_by_sigsys(in_sandbox(SANDBOX_DECIDE,
	    do_execve)));
	T_CHECK("sandbox-005", killed_by_sigsys(in_sandbox(SANDBOX_WEBHOOK,
	    do_execve)));
	T_CHECK("sandbox-006", killed_by_sigsys(in_sandbox(SANDBOX_DECIDE,
	    do_fork)));
	T_CHECK("sandbox-007", killed_by_sigsys(in_sandbox(SANDBOX_DECIDE,
	    do_kill_parent)));
	T_CHECK("sandbox-008", killed_by_sigsys(in_sandbox(SANDBOX_DECIDE,
	    do_ptrace)));
	T_CHECK("sandbox-009", killed_by_sigsys(in_sandbox(SANDBOX_DECIDE,
	    do_mmap_exec)));
	T_CHECK("sandbox-010", killed_by_sigsys(in_sandbox(SANDBOX_DECIDE,
	    do_mprotect_exec)));
	/* A decision-only process never makes a write durable. */
	T_CHECK("sandbox-013", killed_by_sigsys(in_sandbox(SANDBOX_DECIDE,
	    do_fsync)));
	T_CHECK("sandbox-012", killed_by_sigsys(in_sandbox(SANDBOX_WEBHOOK,
	    do_chmod)));
	snprintf(p, sizeof(p), "%s/victim", dir);
	close(open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
	T_CHECK("sandbox-014", exited(in_sandbox(SANDBOX_DECIDE,
	    do_lock_and_unlink), 0));
	T_CHECK("sandbox-015", access(p, F_OK) != 0);
}

/*
 * A process that started a child before the sandbox (the serve worker's
 * webhook process) may SIGKILL and reap that child, nothing else. how:
 * 0 SIGKILL and reap it, 1 SIGTERM it, 2 SIGKILL another child.
 */
static pid_t
sleeper(void)
{
	pid_t kid = fork();

	if (kid == 0) {
		alarm(5);	/* never outlives the case */
		pause();
		_exit(0);
	}
	return kid;
}

static int
child_case(int how)
{
	char err[512];
	pid_t pid, kid, other;
	int st;

	fflush(stdout);
	if ((pid = fork()) < 0)
		return -1;
	if (pid == 0) {
		kid = sleeper();
		other = sleeper();
		if (kid < 0 || other < 0 || sandbox_enter(SANDBOX_DECIDE, db,
		    kid, err, sizeof(err)) != 0)
			_exit(100);
		if (how == 1)
			kill(kid, SIGTERM);
		else if (how == 2)
			kill(other, SIGKILL);
		else if (kill(kid, SIGKILL) != 0 || waitpid(kid, &st, 0) !=
		    kid || !WIFSIGNALED(st))
			_exit(1);
		_exit(0);
	}
	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return st;
}

static void
test_child(void)
{
	T_CHECK("sandbox-016", exited(child_case(0), 0));
	T_CHECK("sandbox-017", killed_by_sigsys(child_case(1)));
	T_CHECK("sandbox-018", killed_by_sigsys(child_case(2)));
}

/* ---- landlock ------------------------------------------------------- */

/* 0: opened; 1: EACCES; 2: another error. */
static int
open_result(const char *path, int flags)
{
	int fd = open(path, flags | O_CLOEXEC, 0600);

	if (fd >= 0) {
		close(fd);
		return 0;
	}
	return errno == EACCES ? 1 : 2;
}

static int
do_read_hostname(void)
{
	return open_result("/etc/hostname", O_RDONLY);
}

static int
do_read_outside(void)
{
	return open_result(outside, O_RDONLY);
}

static int
do_read_db(void)
{
	return open_result(db, O_RDONLY);
}

static int
do_read_urandom(void)
{
	return open_result("/dev/urandom", O_RDONLY);
}

static int
do_create_in_dir(void)
{
	char p[160];

	snprintf(p, sizeof(p), "%s/created", dir);
	return open_result(p, O_WRONLY | O_CREAT);
}

static int
do_create_outside(void)
{
	char p[160];

	snprintf(p, sizeof(p), "%s-created-outside", dir);
	return open_result(p, O_WRONLY | O_CREAT);
}

static int
do_unlink_outside(void)
{
	return unlink(outside) == 0 ? 0 : errno == EACCES ? 1 : 2;
}

static void
test_landlock(void)
{
	char p[160];
	int denied = abi > 0 ? 1 : 0;	/* without landlock: opened */

	if (abi == 0)
		printf("note: no landlock in this kernel; checking that the"
		    " sandbox degrades to seccomp only\n");
	T_CHECK("sandbox-020", exited(in_sandbox(SANDBOX_DECIDE,
	    do_read_hostname), denied));
	T_CHECK("sandbox-021", exited(in_sandbox(SANDBOX_WEBHOOK,
	    do_read_hostname), denied));
	T_CHECK("sandbox-022", exited(in_sandbox(SANDBOX_DECIDE,
	    do_read_outside), denied));
	T_CHECK("sandbox-023", exited(in_sandbox(SANDBOX_DECIDE,
	    do_read_db), 0));
	T_CHECK("sandbox-024", exited(in_sandbox(SANDBOX_DECIDE,
	    do_read_urandom), 0));
	T_CHECK("sandbox-025", exited(in_sandbox(SANDBOX_WEBHOOK,
	    do_create_in_dir), 0));
	T_CHECK("sandbox-026", exited(in_sandbox(SANDBOX_WEBHOOK,
	    do_create_outside), denied));
	snprintf(p, sizeof(p), "%s-created-outside", dir);
	T_CHECK("sandbox-027", access(p, F_OK) != 0 || abi == 0);
	unlink(p);
	T_CHECK("sandbox-028", exited(in_sandbox(SANDBOX_WEBHOOK,
	    do_unlink_outside), denied));
	T_CHECK("sandbox-029", access(outside, F_OK) == 0 || abi == 0);
	if (abi == 0) {
		int fd = open(outside, O_WRONLY | O_CREAT, 0600);
		if (fd >= 0)
			close(fd);
	}
	snprintf(p, sizeof(p), "%s/victim", dir);
	close(open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
	T_CHECK("sandbox-030", exited(in_sandbox(SANDBOX_WEBHOOK,
	    do_unlink_in_dir), 0));
	T_CHECK("sandbox-031", access(p, F_OK) != 0);
}

/* ---- what must keep working --------------------------------------- */

/* Reads t.v (one row) read-only, as the authorizer does. Returns it. */
static int
read_value(void)
{
	sqlite3 *h = NULL;
	sqlite3_stmt *st = NULL;
	int v = -1;

	if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(h, "SELECT v FROM t", -1, &st, NULL) ==
	    SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(h);
	return v;
}

static int
exec_sql(const char *path, const char *sql)
{
	sqlite3 *h = NULL;
	int rc;

	rc = sqlite3_open_v2(path, &h, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(h, sql, NULL, NULL, NULL);
	sqlite3_close(h);
	return rc == SQLITE_OK ? 0 : -1;
}

static int
do_sqlite_read(void)
{
	return read_value() == 1 ? 0 : 1;
}

/* A webhook's write in WAL mode: transaction, checkpoint, close (which
 * removes the -wal and -shm). */
static int
do_sqlite_write_wal(void)
{
	return exec_sql(db, "BEGIN IMMEDIATE; UPDATE t SET v = v + 1;"
	    " COMMIT; PRAGMA wal_checkpoint(TRUNCATE);") == 0 ? 0 : 1;
}

static int
do_sqlite_read_2(void)
{
	return read_value() == 2 ? 0 : 1;
}

/* The same in rollback-journal mode: -journal created and removed, and
 * the directory synced. */
static int
do_sqlite_write_journal(void)
{
	char p[160];

	snprintf(p, sizeof(p), "%s/journal.db", dir);
	return exec_sql(p, "PRAGMA journal_mode = DELETE; PRAGMA synchronous"
	    " = FULL; CREATE TABLE IF NOT EXISTS j(x); BEGIN IMMEDIATE;"
	    " INSERT INTO j VALUES (1); COMMIT;") == 0 ? 0 : 1;
}

/* The decision keeps its connection while the file is replaced by mv;
 * after a reconnect it reads the new file (and SQLite creates the new
 * file's -wal and -shm). fds: [0] read "go", [1] write "ready". */
static int	sync_fd[2][2];

static int
do_sqlite_replaced(void)
{
	char c;

	if (read_value() != 1)
		return 1;
	if (write(sync_fd[1][1], "r", 1) != 1 ||
	    read(sync_fd[0][0], &c, 1) != 1)
		return 2;
	return read_value() == 7 ? 0 : 3;
}

static int
do_openssl(void)
{
	unsigned char mac[32], r[16];
	unsigned int n = 0;

	if (HMAC(EVP_sha256(), "key", 3, (const unsigned char *)"msg", 3,
	    mac, &n) == NULL || n != 32)
		return 1;
	return RAND_bytes(r, sizeof(r)) == 1 &&
	    RAND_priv_bytes(r, sizeof(r)) == 1 ? 0 : 2;
}

static int
do_time_and_sleep(void)
{
	struct timespec ts = { 0, 1000000 };
	char buf[64];
	time_t t = time(NULL);
	struct tm tm;

	return nanosleep(&ts, NULL) == 0 && gmtime_r(&t, &tm) != NULL &&
	    strftime(buf, sizeof(buf), "%FT%T", &tm) > 0 ? 0 : 1;
}

static int
do_malloc_big(void)
{
	/* Large blocks come from mmap, grow with mremap, go with munmap. */
	char *p = malloc(4 << 20), *q;

	if (p == NULL)
		return 1;
	memset(p, 1, 4 << 20);
	if ((q = realloc(p, 16 << 20)) == NULL) {
		free(p);
		return 2;
	}
	free(q);
	return 0;
}

static void
test_working(void)
{
	char p[160];
	pid_t pid;
	int st;

	T_CHECK("sandbox-040", exited(in_sandbox(SANDBOX_DECIDE,
	    do_sqlite_read), 0));
	T_CHECK("sandbox-041", exited(in_sandbox(SANDBOX_WEBHOOK,
	    do_sqlite_write_wal), 0));
	snprintf(p, sizeof(p), "%s-wal", db);
	T_CHECK("sandbox-042", access(p, F_OK) != 0);	/* removed on close */
	T_CHECK("sandbox-051", exited(in_sandbox(SANDBOX_DECIDE,
	    do_sqlite_read_2), 0));
	T_CHECK("sandbox-043", exited(in_sandbox(SANDBOX_WEBHOOK,
	    do_sqlite_write_journal), 0));
	snprintf(p, sizeof(p), "%s/journal.db-journal", dir);
	T_CHECK("sandbox-044", access(p, F_OK) != 0);
	T_CHECK("sandbox-045", exited(in_sandbox(SANDBOX_DECIDE,
	    do_openssl), 0));
	T_CHECK("sandbox-046", exited(in_sandbox(SANDBOX_DECIDE,
	    do_time_and_sleep), 0));
	T_CHECK("sandbox-047", exited(in_sandbox(SANDBOX_DECIDE,
	    do_malloc_big), 0));

	/* Back to v = 1, then replace the file under a sandboxed reader. */
	T_CHECK("sandbox-048", exec_sql(db, "UPDATE t SET v = 1") == 0);
	if (pipe(sync_fd[0]) != 0 || pipe(sync_fd[1]) != 0) {
		T_CHECK("sandbox-049", 0);
		return;
	}
	fflush(stdout);
	if ((pid = fork()) == 0) {
		char err[512];

		if (sandbox_enter(SANDBOX_DECIDE, db, 0, err, sizeof(err)) != 0)
			_exit(100);
		_exit(do_sqlite_replaced());
	}
	if (read(sync_fd[1][0], p, 1) == 1) {
		char next[160];

		snprintf(next, sizeof(next), "%s/next.db", dir);
		unlink(next);
		T_CHECK("sandbox-049", exec_sql(next, "PRAGMA journal_mode ="
		    " WAL; CREATE TABLE t(v); INSERT INTO t VALUES (7);") ==
		    0 && rename(next, db) == 0);
		snprintf(next, sizeof(next), "%s-shm", db);
		unlink(next);
		snprintf(next, sizeof(next), "%s-wal", db);
		unlink(next);
	}
	(void)!write(sync_fd[0][1], "g", 1);
	T_CHECK("sandbox-050", pid > 0 && waitpid(pid, &st, 0) == pid &&
	    exited(st, 0));
}

/* ---- set-up and the test hook ------------------------------------- */

static int
do_hook_open(void)
{
	const char *what = NULL;
	int outside_st = sandbox_test_hook(NULL, "/etc/hostname", NULL, &what);
	int inside_st = sandbox_test_hook(NULL, db, NULL, &what);

	if (sandbox_test_hook(NULL, NULL, NULL, &what) != 0)
		return 3;
	if (inside_st != 409)
		return 2;
	return outside_st == (abi > 0 ? 403 : 409) ? 0 : 1;
}

static int
do_hook_syscall(void)
{
	const char *what = NULL;

	sandbox_test_hook("socket", NULL, NULL, &what);
	return 1;
}

static int
do_nothing(void)
{
	return 0;
}

static void
test_setup(void)
{
	char err[512];
	pid_t pid;
	int st;

	T_CHECK("sandbox-060", exited(in_sandbox(SANDBOX_DECIDE,
	    do_hook_open), 0));
	T_CHECK("sandbox-061", killed_by_sigsys(in_sandbox(SANDBOX_DECIDE,
	    do_hook_syscall)));
	T_CHECK("sandbox-062", exited(in_sandbox(SANDBOX_DECIDE,
	    do_nothing), 0));
	/* A database whose directory does not exist: refused, one line. */
	fflush(stdout);
	if ((pid = fork()) == 0) {
		int rc;

		err[0] = '\0';
		rc = sandbox_enter(SANDBOX_DECIDE, "/nonexistent-dir/x.db", 0,
		    err, sizeof(err));
		if (abi == 0)	/* no landlock: the path is not needed */
			_exit(rc == 0 ? 0 : 1);
		_exit(rc != 0 && strstr(err, "/nonexistent-dir") != NULL &&
		    strchr(err, '\n') == NULL ? 0 : 2);
	}
	T_CHECK("sandbox-063", pid > 0 && waitpid(pid, &st, 0) == pid &&
	    exited(st, 0));
}

int
main(void)
{
	int fd;

	snprintf(dir, sizeof(dir), "/tmp/authgate-sandbox-XXXXXX");
	if (mkdtemp(dir) == NULL) {
		printf("FAIL sandbox-000: mkdtemp: %s\n", strerror(errno));
		return t_done("test_sandbox") | 1;
	}
	snprintf(db, sizeof(db), "%s/t.db", dir);
	snprintf(outside, sizeof(outside), "%s-outside", dir);
	if ((fd = open(outside, O_WRONLY | O_CREAT | O_CLOEXEC, 0600)) >= 0)
		close(fd);
	if (exec_sql(db, "PRAGMA journal_mode = WAL; CREATE TABLE t(v);"
	    " INSERT INTO t VALUES (1);") != 0) {
		printf("FAIL sandbox-000: cannot create %s\n", db);
		return t_done("test_sandbox") | 1;
	}
	abi = sandbox_landlock_abi();
	parent = getpid();
	printf("landlock ABI %d\n", abi);

	test_forbidden();
	test_child();
	test_landlock();
	test_working();
	test_setup();

	/* Clean up: nothing here is worth keeping. */
	{
		static const char *const names[] = { "t.db", "t.db-wal",
		    "t.db-shm", "created", "journal.db", "journal.db-journal",
		    "next.db", "victim" };
		char p[160];
		size_t i;

		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
			snprintf(p, sizeof(p), "%s/%s", dir, names[i]);
			unlink(p);
		}
		unlink(outside);
		rmdir(dir);
	}
	return t_done("test_sandbox");
}
