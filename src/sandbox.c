/*
 * sandbox.c - defence in depth for the processes that answer requests:
 * no new privileges, landlock, then a seccomp allow-list. The only file
 * that includes <seccomp.h> and <linux/landlock.h>.
 *
 * Trusts the database path from the configuration (it is the one place
 * the process may touch afterwards) and nothing a request carries.
 * Never relaxes a restriction once set; never lets a failure to set one
 * go unreported (the caller must not serve). A kernel without landlock
 * is the one degradation: logged, and the seccomp filter still applies.
 *
 * Invariant: whatever a library reads lazily from outside the database
 * directory (OpenSSL's configuration and providers, libc's time zone)
 * is loaded by preload() before the doors close, so no request can
 * depend on a file the sandbox hides.
 */
#define _GNU_SOURCE	/* O_PATH, syscall() */
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <linux/landlock.h>
#include <seccomp.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "log.h"
#include "sandbox.h"

#ifndef CLONE_THREAD
#define CLONE_THREAD	0x00010000	/* <sched.h> with _GNU_SOURCE */
#endif

/* The sanitizer runtime (test builds only) needs a few more calls. */
#if defined(__SANITIZE_ADDRESS__)
#define SANDBOX_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || \
    __has_feature(undefined_behavior_sanitizer)
#define SANDBOX_SANITIZER 1
#endif
#endif

/*
 * Landlock: Debian 12's headers stop at ABI 2; the rights added since
 * are fixed kernel ABI, so they are named here when the headers lack
 * them. The kernel says which ABI it speaks; a right it does not know is
 * never asked for.
 */
#ifndef SYS_landlock_create_ruleset
#define SYS_landlock_create_ruleset	444
#define SYS_landlock_add_rule		445
#define SYS_landlock_restrict_self	446
#endif
#ifndef LANDLOCK_ACCESS_FS_REFER
#define LANDLOCK_ACCESS_FS_REFER	(1ULL << 13)	/* ABI 2 */
#endif
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE	(1ULL << 14)	/* ABI 3 */
#endif
#ifndef LANDLOCK_ACCESS_FS_IOCTL_DEV
#define LANDLOCK_ACCESS_FS_IOCTL_DEV	(1ULL << 15)	/* ABI 5 */
#endif
#ifndef LANDLOCK_ACCESS_NET_BIND_TCP
#define LANDLOCK_ACCESS_NET_BIND_TCP	(1ULL << 0)	/* ABI 4 */
#endif
#ifndef LANDLOCK_ACCESS_NET_CONNECT_TCP
#define LANDLOCK_ACCESS_NET_CONNECT_TCP	(1ULL << 1)	/* ABI 4 */
#endif
#ifndef LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET
#define LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET (1ULL << 0)	/* ABI 6 */
#endif

/* Every filesystem right of ABI 1 (execute .. make symlink). */
#define LL_FS_ABI1	((1ULL << 13) - 1)

/*
 * struct landlock_ruleset_attr as of ABI 6. Older kernels take a prefix
 * of it: its size tells the kernel which fields the caller knows.
 */
struct ll_ruleset_attr {
	uint64_t	handled_access_fs;
	uint64_t	handled_access_net;	/* ABI 4 */
	uint64_t	scoped;			/* ABI 6 */
};

/*
 * The rights inside the database's directory. SQLite opens the -wal and
 * -shm files read-write even for a read-only connection, creates them
 * when they are missing (a database replaced by mv comes without them)
 * and truncates the -shm when it is first to map it. When the file was
 * replaced, store.c locks the directory (open, flock) and removes the
 * old file's -wal and -shm before it reconnects; every process does
 * this, the read-only ones too. A writer also creates and removes its
 * -journal and opens the directory to fsync it. No subdirectories, no
 * links, no renames, no special files: the rules name the directory, not
 * the file, so they still hold after the file is replaced.
 */
#define LL_DB_DECIDE	(LANDLOCK_ACCESS_FS_READ_FILE | \
			 LANDLOCK_ACCESS_FS_WRITE_FILE | \
			 LANDLOCK_ACCESS_FS_MAKE_REG | \
			 LANDLOCK_ACCESS_FS_TRUNCATE | \
			 LANDLOCK_ACCESS_FS_READ_DIR | \
			 LANDLOCK_ACCESS_FS_REMOVE_FILE)
#define LL_DB_WEBHOOK	LL_DB_DECIDE

/*
 * Files outside the database directory a serving process still reads:
 * SQLite reseeds its PRNG from /dev/urandom in each forked process (the
 * WAL header salts), and OpenSSL falls back to it when getrandom fails.
 */
static const char *const ll_read_files[] = {
	"/dev/urandom",
#ifdef SANDBOX_SANITIZER
	/* Test builds: a sanitizer report reads the memory map and the
	 * command line, then the debug information of the program (its
	 * path is added at run time) and of its libraries, so that the
	 * report names functions and lines. */
	"/proc/self",
	"/usr/lib",
#endif
};

/* What a NATS publisher reads again when it reconnects by name. */
static const char *const ll_net_files[] = {
	"/etc/hosts", "/etc/resolv.conf", "/etc/nsswitch.conf",
	"/etc/gai.conf", "/etc/host.conf",
};

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/*
 * Seccomp: the allow-list, one group per need. Anything else kills the
 * process (SIGSYS, "worker died (signal 31)" in the serve log). A name
 * the native architecture lacks (open, poll, epoll_wait... on arm64,
 * which has openat, ppoll, epoll_pwait instead) cannot be called there
 * and is skipped. Never here: execve/execveat, fork/clone/vfork, ptrace,
 * socket/socketpair/connect/bind/listen, recvmsg/sendmsg (no descriptor
 * passing), mount/umount, chroot, setuid and friends, chmod/chown by
 * path, rename/link/symlink, mkdir/rmdir, kill/tkill beyond the rules
 * below, prctl, bpf, io_uring, keyctl, unshare/setns, process_vm_*,
 * personality.
 */
static const char *const sc_common[] = {
	/* The FastCGI transport (libfcgi in lighttpd's processes, the epoll
	 * loop of authgate serve): accept on the listening socket it was
	 * given (no new socket can be made), read the request, write the
	 * answer, per-connection timeouts, drain and shut down on close. */
	"accept", "accept4", "read", "write", "readv", "writev",
	"recvfrom", "sendto", "close", "shutdown", "getsockopt",
	"setsockopt", "poll", "ppoll", "epoll_create1", "epoll_ctl",
	"epoll_wait", "epoll_pwait", "fcntl",
	/* Time (when the vDSO cannot answer), the whole-request deadline
	 * (alarm; setitimer where there is no alarm call), and the sleeps
	 * of SQLite's busy handler. */
	"clock_gettime", "gettimeofday", "time", "alarm", "setitimer",
	"clock_nanosleep", "nanosleep",
	/* Memory: malloc, free, realloc of large blocks, SQLite's -shm
	 * mapping; mmap and mprotect are added below without PROT_EXEC. */
	"brk", "munmap", "mremap", "madvise",
	/* The state file (usage.c): written out once a second; its robust
	 * mutexes (a holder's death is noticed through the robust list). */
	"msync", "set_robust_list", "get_robust_list",
	/* Signals: handlers return, interrupted calls restart, abort()
	 * resets its handler; sending is limited below. */
	"rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "restart_syscall",
	/* Process facts SQLite checks (fork detection, whether it must
	 * chown what it creates as root), libc and OpenSSL locks, OpenSSL
	 * reseeding its generators, and the end. */
	"getpid", "gettid", "geteuid", "futex", "getrandom", "exit_group",
	/* SQLite's files (landlock says where): open, stat (libc versions
	 * differ in which call they make), resolve a relative or linked
	 * path again on reconnect, locks (fcntl, above), read and write at
	 * offsets, size and grow the -wal and -shm, keep mode and owner of
	 * the files it creates; store.c's replaced-file check (statx),
	 * directory lock (flock) and removal of a replaced file's -wal and
	 * -shm. */
	"openat", "fstat", "stat", "lstat", "newfstatat", "statx", "access",
	"faccessat", "faccessat2", "getcwd", "readlink", "readlinkat",
	"lseek", "pread64", "pwrite64", "ftruncate", "fallocate", "fchmod",
	"fchown", "flock", "unlink", "unlinkat",
};

/* A webhook worker commits: its writes are made durable. */
static const char *const sc_webhook[] = {
	"fsync", "fdatasync",
};

/*
 * A NATS publisher (SANDBOX_WEBHOOK_NET, only with AUTHGATE_NATS_URL):
 * libnats connects (again after a failure) from threads it starts, and
 * waits on them. socket is limited to IPv4/IPv6 below; clone to threads
 * (CLONE_THREAD) below; clone3 fails with ENOSYS so libc uses clone.
 */
static const char *const sc_net[] = {
	"connect", "getsockname", "getpeername", "set_robust_list", "rseq",
	"sched_yield", "sched_getaffinity", "pipe2", "uname", "getuid",
	"getgid", "getegid",
};

#ifdef SANDBOX_SANITIZER
/*
 * AddressSanitizer/UBSan runtime (test builds only; never shipped).
 * When it reports, it opens /proc/self/maps with the raw open call and
 * switches to its alternate signal stack; UBSan probes whether memory is
 * readable by writing it into a pipe of its own (pipe2); both ask whether
 * stderr is a terminal (ioctl TCGETS only, added below).
 */
static const char *const sc_sanitizer[] = {
	"open", "sigaltstack", "pipe2",
};
#endif

static int
ll_create_ruleset(const struct ll_ruleset_attr *a, size_t size,
    uint32_t flags)
{
	return (int)syscall(SYS_landlock_create_ruleset, a, size, flags);
}

int
sandbox_landlock_abi(void)
{
	int abi = ll_create_ruleset(NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);

	return abi < 0 ? 0 : abi;
}

/*
 * The directory SQLite will use for db_path and its -wal/-shm files:
 * symlinks resolved as SQLite resolves them. The database itself may not
 * exist yet. Returns 0, or -1 with err set.
 */
static int
db_dir(const char *db_path, char *dir, size_t dirsz, char *err,
    size_t errsz)
{
	char parent[PATH_MAX], *slash;
	size_t n;

	if (realpath(db_path, dir) == NULL) {
		if (errno != ENOENT)
			goto fail;
		/* Not created yet: its directory must exist. */
		n = strlen(db_path);
		if (n >= sizeof(parent))
			goto fail;
		memcpy(parent, db_path, n + 1);
		if ((slash = strrchr(parent, '/')) == NULL)
			memcpy(parent, ".", 2);
		else if (slash == parent)
			parent[1] = '\0';
		else
			*slash = '\0';
		if (realpath(parent, dir) == NULL)
			goto fail;
		return 0;
	}
	if ((slash = strrchr(dir, '/')) == NULL)
		goto fail;
	if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	(void)dirsz;	/* realpath fills at most PATH_MAX bytes */
	return 0;
fail:
	snprintf(err, errsz, "cannot resolve the database directory of %s:"
	    " %s", db_path, strerror(errno != 0 ? errno : ENAMETOOLONG));
	return -1;
}

/* Grants rights beneath path (a directory or one file). */
static int
ll_allow(int ruleset, const char *path, uint64_t rights, char *err,
    size_t errsz)
{
	struct landlock_path_beneath_attr pb;
	int fd, rc;

	if ((fd = open(path, O_PATH | O_CLOEXEC)) < 0) {
		snprintf(err, errsz, "landlock: cannot open %s: %s", path,
		    strerror(errno));
		return -1;
	}
	memset(&pb, 0, sizeof(pb));
	pb.allowed_access = rights;
	pb.parent_fd = fd;
	rc = (int)syscall(SYS_landlock_add_rule, ruleset,
	    LANDLOCK_RULE_PATH_BENEATH, &pb, 0);
	if (rc != 0)
		snprintf(err, errsz, "landlock: cannot add a rule for %s: %s",
		    path, strerror(errno));
	close(fd);
	return rc != 0 ? -1 : 0;
}

/*
 * Limits the filesystem to the database directory (and ll_read_files).
 * Returns 0 (also when the kernel has no landlock: logged), or -1.
 */
static int
landlock_enter(enum sandbox_kind kind, const char *db_path, char *err,
    size_t errsz)
{
	struct ll_ruleset_attr attr;
	char dir[PATH_MAX];
	uint64_t fs, db_rights;
	size_t attr_size, i;
	int abi, ruleset = -1, rc = -1;

	abi = ll_create_ruleset(NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
	if (abi < 1) {
		log_msg("sandbox: landlock unavailable in this kernel (%s);"
		    " filesystem access is not restricted, the seccomp filter"
		    " still applies", strerror(errno));
		return 0;
	}
	if (db_dir(db_path, dir, sizeof(dir), err, errsz) != 0)
		return -1;

	memset(&attr, 0, sizeof(attr));
	fs = LL_FS_ABI1;
	if (abi >= 2)
		fs |= LANDLOCK_ACCESS_FS_REFER;
	if (abi >= 3)
		fs |= LANDLOCK_ACCESS_FS_TRUNCATE;
	if (abi >= 5)
		fs |= LANDLOCK_ACCESS_FS_IOCTL_DEV;
	attr.handled_access_fs = fs;
	attr_size = sizeof(attr.handled_access_fs);
	if (abi >= 4) {
		/* No TCP bind or connect at all (no rule grants one);
		 * a publisher connects to its NATS servers, never binds. */
		attr.handled_access_net = LANDLOCK_ACCESS_NET_BIND_TCP |
		    (kind == SANDBOX_WEBHOOK_NET ? 0 :
		    LANDLOCK_ACCESS_NET_CONNECT_TCP);
		attr_size = offsetof(struct ll_ruleset_attr, scoped);
	}
	if (abi >= 6) {
		/* No abstract unix sockets outside this domain. Signals are
		 * left to seccomp, which is more precise: landlock's signal
		 * scope would also keep a worker from stopping the webhook
		 * process it started before it entered the sandbox. */
		attr.scoped = LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET;
		attr_size = sizeof(attr);
	}
	if ((ruleset = ll_create_ruleset(&attr, attr_size, 0)) < 0) {
		snprintf(err, errsz, "landlock: cannot create a ruleset"
		    " (ABI %d): %s", abi, strerror(errno));
		goto done;
	}
	db_rights = (kind != SANDBOX_DECIDE ? LL_DB_WEBHOOK : LL_DB_DECIDE) &
	    fs;
	if (ll_allow(ruleset, dir, db_rights, err, errsz) != 0)
		goto done;
	for (i = 0; i < sizeof(ll_read_files) / sizeof(ll_read_files[0]); i++)
		if (ll_allow(ruleset, ll_read_files[i],
		    LANDLOCK_ACCESS_FS_READ_FILE, err, errsz) != 0)
			goto done;
	/* A publisher's reconnects look its servers' names up again. */
	for (i = 0; kind == SANDBOX_WEBHOOK_NET && i < NELEM(ll_net_files);
	    i++)
		if (access(ll_net_files[i], R_OK) == 0 && ll_allow(ruleset,
		    ll_net_files[i], LANDLOCK_ACCESS_FS_READ_FILE, err,
		    errsz) != 0)
			goto done;
#ifdef SANDBOX_SANITIZER
	if (realpath("/proc/self/exe", dir) == NULL || ll_allow(ruleset, dir,
	    LANDLOCK_ACCESS_FS_READ_FILE, err, errsz) != 0)
		goto done;
#endif
	if (syscall(SYS_landlock_restrict_self, ruleset, 0) != 0) {
		snprintf(err, errsz, "landlock: cannot restrict the process:"
		    " %s", strerror(errno));
		goto done;
	}
	rc = 0;
done:
	if (ruleset >= 0)
		close(ruleset);
	return rc;
}

/* Adds every name in list; a name the architecture lacks is skipped. */
static int
sc_allow(scmp_filter_ctx ctx, const char *const *list, size_t n, char *err,
    size_t errsz)
{
	size_t i;
	int nr, rc;

	for (i = 0; i < n; i++) {
		if ((nr = seccomp_syscall_resolve_name(list[i])) ==
		    __NR_SCMP_ERROR)
			continue;
		if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0)) != 0) {
			snprintf(err, errsz, "seccomp: cannot allow %s: %s",
			    list[i], strerror(-rc));
			return -1;
		}
	}
	return 0;
}

/* Installs the allow-list for kind. Returns 0, or -1 with err set. */
static int
seccomp_enter(enum sandbox_kind kind, pid_t child, char *err, size_t errsz)
{
	scmp_filter_ctx ctx;
	int rc = -1, r;

	if ((ctx = seccomp_init(SCMP_ACT_KILL_PROCESS)) == NULL) {
		snprintf(err, errsz, "seccomp: cannot initialise the filter");
		return -1;
	}
	/* A call through another ABI (x32, i386) is killed as well. */
	if ((r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH,
	    SCMP_ACT_KILL_PROCESS)) != 0 ||
	    (r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1)) != 0) {
		snprintf(err, errsz, "seccomp: cannot set the filter's"
		    " attributes: %s", strerror(-r));
		goto done;
	}
	if (sc_allow(ctx, sc_common, NELEM(sc_common), err, errsz) != 0 ||
	    (kind != SANDBOX_DECIDE && sc_allow(ctx, sc_webhook,
	    NELEM(sc_webhook), err, errsz) != 0) ||
	    (kind == SANDBOX_WEBHOOK_NET && sc_allow(ctx, sc_net,
	    NELEM(sc_net), err, errsz) != 0))
		goto done;
	if (kind == SANDBOX_WEBHOOK_NET && (
	    (r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1,
	    SCMP_A0(SCMP_CMP_EQ, AF_INET, 0))) != 0 ||
	    (r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1,
	    SCMP_A0(SCMP_CMP_EQ, AF_INET6, 0))) != 0 ||
	    (r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
	    SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD))) != 0 ||
	    (r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS),
	    SCMP_SYS(clone3), 0)) != 0)) {
		snprintf(err, errsz, "seccomp: cannot add a rule: %s",
		    strerror(-r));
		goto done;
	}
#ifdef SANDBOX_SANITIZER
	if (sc_allow(ctx, sc_sanitizer, NELEM(sc_sanitizer), err, errsz) != 0)
		goto done;
	if ((r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
	    SCMP_A1(SCMP_CMP_EQ, TCGETS, 0))) != 0) {
		snprintf(err, errsz, "seccomp: cannot add a rule: %s",
		    strerror(-r));
		goto done;
	}
#endif
	/* Memory, never executable: no new code after start-up. */
	if ((r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1,
	    SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0))) != 0 ||
	    (r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mprotect), 1,
	    SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0))) != 0 ||
	    /* abort() and raise(): signals to this process only. */
	    (r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 1,
	    SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)getpid(), 0))) != 0 ||
	    /* The one child: SIGKILL when it hangs, and reap it. */
	    (child > 0 && ((r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW,
	    SCMP_SYS(kill), 2, SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)child, 0),
	    SCMP_A1(SCMP_CMP_EQ, SIGKILL, 0))) != 0 ||
	    (r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(wait4), 1,
	    SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)child, 0))) != 0))) {
		snprintf(err, errsz, "seccomp: cannot add a rule: %s",
		    strerror(-r));
		goto done;
	}
	if ((r = seccomp_load(ctx)) != 0) {
		snprintf(err, errsz, "seccomp: cannot load the filter: %s",
		    strerror(-r));
		goto done;
	}
	rc = 0;
done:
	seccomp_release(ctx);
	return rc;
}

/*
 * Loads now what libraries would otherwise read on first use: the time
 * zone (log lines), OpenSSL's configuration, providers and random
 * generators. Returns 0, or -1 with err set.
 */
static int
preload(char *err, size_t errsz)
{
	unsigned char b[16];
	EVP_MD *md = NULL;
	EVP_MAC *mac = NULL;
	int ok;

	tzset();
	ok = OPENSSL_init_crypto(OPENSSL_INIT_LOAD_CONFIG, NULL) == 1 &&
	    (md = EVP_MD_fetch(NULL, "SHA256", NULL)) != NULL &&
	    (mac = EVP_MAC_fetch(NULL, "HMAC", NULL)) != NULL &&
	    RAND_bytes(b, sizeof(b)) == 1 && RAND_priv_bytes(b, sizeof(b)) == 1;
	OPENSSL_cleanse(b, sizeof(b));
	EVP_MAC_free(mac);
	EVP_MD_free(md);
	if (!ok) {
		snprintf(err, errsz, "cannot initialise OpenSSL");
		return -1;
	}
	return 0;
}

int
sandbox_enter(enum sandbox_kind kind, const char *db_path, pid_t child,
    char *err, size_t errsz)
{
	if (preload(err, errsz) != 0)
		return -1;
	/* Invariant: no execve from here on could gain privileges, and
	 * landlock and seccomp may be set up without CAP_SYS_ADMIN. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
		snprintf(err, errsz, "cannot set no_new_privs: %s",
		    strerror(errno));
		return -1;
	}
	if (landlock_enter(kind, db_path, err, errsz) != 0)
		return -1;
	return seccomp_enter(kind, child, err, errsz);
}

int
sandbox_start(enum sandbox_kind kind, const char *db_path, pid_t child)
{
	char err[512];

	if (sandbox_enter(kind, db_path, child, err, sizeof(err)) != 0) {
		log_msg("sandbox: %s; not serving", err);
		return 2;
	}
	return 0;
}

#ifdef AUTHGATE_TEST_HOOKS
extern char **environ;

int
sandbox_test_hook(const char *syscall_name, const char *open_path,
    const char *crash, const char **what)
{
	static char prog[] = "/bin/true";
	char *argv[] = { prog, NULL };
	int fd, flags = O_RDONLY | O_CLOEXEC;
	long r;

	if (syscall_name != NULL) {
		if (strcmp(syscall_name, "1") == 0 ||
		    strcmp(syscall_name, "socket") == 0) {
			r = syscall(SYS_socket, AF_INET, SOCK_STREAM, 0);
			if (r >= 0)
				close((int)r);
		} else if (strcmp(syscall_name, "execve") == 0) {
			r = syscall(SYS_execve, prog, argv, environ);
		} else if (strcmp(syscall_name, "kill") == 0) {
			r = syscall(SYS_kill, 1, 0);	/* init: is it there? */
		} else {
			*what = "sandbox test: unknown syscall";
			return 500;
		}
		(void)r;
		*what = "sandbox test: the forbidden call returned";
		return 500;
	}
	if (open_path != NULL) {
		if (strncmp(open_path, "w:", 2) == 0) {
			open_path += 2;
			flags = O_WRONLY | O_CREAT | O_CLOEXEC;
		}
		if ((fd = open(open_path, flags, 0600)) >= 0) {
			close(fd);
			*what = "sandbox test: open succeeded";
			return 409;
		}
		if (errno == EACCES) {
			*what = "sandbox test: open failed with EACCES";
			return 403;
		}
		*what = "sandbox test: open failed, not with EACCES";
		return 500;
	}
	if (crash != NULL && strcmp(crash, "heap-overflow") == 0) {
		/* The size is hidden from the compiler, so that ASan, not
		 * UBSan's object-size check, reports the read. */
		volatile size_t i = 16, size = 16;
		volatile char *p = malloc(size);

		*what = p != NULL && p[i] == 0 ? "sandbox test: read past"
		    " the buffer" : "sandbox test: no report";
		free((void *)p);
		return 500;
	}
	return 0;
}
#endif
