/*
 * usage.c - the host's counts of API-key uses and failed credentials, in
 * one file every process maps (usage.h).
 *
 * Trusts the file only after its size and header say it is ours, and a
 * slot only under its mutex with its id compared again (a slot's tag is
 * read without a lock to find it). Slots of keys are claimed once and
 * never reused (a key's count must not vanish while the key lives);
 * slots of addresses are reused, oldest first, never while a ban runs.
 * Never takes more than one slot lock at a time, plus the claim lock
 * around it. Holds no secret: key ids and client addresses only.
 */
#include <sys/mman.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "usage.h"
#include "util.h"

#define USAGE_MAGIC	0x61677573u	/* "agus" */
#define USAGE_VERSION	1u
#define KEY_PROBE	64	/* slots looked at for one key */
#define ADDR_PROBE	8	/* slots looked at for one address */

struct hdr {
	uint32_t	 magic;
	uint32_t	 version;
	uint32_t	 key_slots;
	uint32_t	 addr_slots;
	uint64_t	 size;
	int64_t		 last_flush;	/* ms; atomic */
	int64_t		 ban_until_max;	/* the latest end of any ban; atomic */
	int64_t		 bans_total;	/* atomic */
	int64_t		 notes[USAGE_NOTE_N];	/* atomic */
	pthread_mutex_t	 claim;		/* taking an empty or old slot */
};

struct kslot {
	uint64_t	 tag;		/* 0: free; atomic */
	pthread_mutex_t	 mu;
	char		 id[USAGE_MAX_ID + 1];
	struct usage_count c;
};

struct aslot {
	uint64_t	 tag;		/* 0: free; atomic */
	pthread_mutex_t	 mu;
	char		 addr[USAGE_MAX_ID + 1];
	int64_t		 window_start;	/* first failure of the window */
	int64_t		 fails;
	int64_t		 banned_until;
	int64_t		 last;		/* last failure */
};

#define HDR_SIZE	4096
#define KEYS_OFF	HDR_SIZE
#define ADDRS_OFF	(KEYS_OFF + USAGE_KEY_SLOTS * sizeof(struct kslot))
#define FILE_SIZE	(ADDRS_OFF + USAGE_ADDR_SLOTS * sizeof(struct aslot))

_Static_assert(sizeof(struct hdr) <= HDR_SIZE, "the header fits");

static unsigned char	*map;		/* NULL: no state */
static char		 later[4096];	/* a file to map once it can be */
static int64_t		 later_tried;	/* ms of the last attempt */
static int		 t_limit = 20, t_window = 60, t_cool = 300;

#define LOAD(p)		__atomic_load_n((p), __ATOMIC_ACQUIRE)
#define STORE(p, v)	__atomic_store_n((p), (v), __ATOMIC_RELEASE)

static struct hdr *
H(void)
{
	return (struct hdr *)map;
}

static struct kslot *
kslot(size_t i)
{
	return (struct kslot *)(map + KEYS_OFF) + i % USAGE_KEY_SLOTS;
}

static struct aslot *
aslot(size_t i)
{
	return (struct aslot *)(map + ADDRS_OFF) + i % USAGE_ADDR_SLOTS;
}

/* FNV-1a, never 0 (0 marks a free slot). */
static uint64_t
tag_of(const char *s, size_t n)
{
	uint64_t h = 14695981039346656037ull;
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
	return h | 1;
}

static void
mix(uint64_t *h, int64_t v)
{
	size_t i;

	for (i = 0; i < 8; i++)
		*h = (*h ^ ((uint64_t)v >> (8 * i) & 0xff)) * 1099511628211ull;
}

int
usage_limited(const struct usage_limits *l)
{
	return l->limited || l->bad || l->rate_on;
}

void
usage_limits_seal(struct usage_limits *l, int64_t updated_at)
{
	uint64_t h = 14695981039346656037ull;

	mix(&h, l->limited);
	mix(&h, l->bad);
	mix(&h, l->remaining);
	mix(&h, l->refill_interval);
	mix(&h, l->refill_amount);
	mix(&h, l->last_refill);
	mix(&h, l->refill_dated);
	mix(&h, l->rate_on);
	mix(&h, l->rate_window);
	mix(&h, l->rate_max);
	mix(&h, l->request_count);
	mix(&h, l->last_request);
	mix(&h, updated_at);
	l->base = h | 1;
}

enum usage_verdict
usage_step(struct usage_count *c, const struct usage_limits *l, int64_t now,
    int64_t *retry_ms)
{
	int64_t rem, refilled_at, since;

	if (c->base != l->base) {	/* the IdP's values replace ours */
		c->base = l->base;
		c->remaining = l->remaining;
		c->last_refill = l->last_refill;
		c->request_count = l->request_count;
		c->last_request = l->last_request;
	}
	if (l->bad)
		return USAGE_EXHAUSTED;
	/* better-auth: within the window after the last allowed request,
	 * at most rate_max requests; a deny does not move the window. */
	if (l->rate_on && c->last_request != 0) {
		since = now - c->last_request;
		if (since <= l->rate_window &&
		    c->request_count >= l->rate_max) {
			*retry_ms = l->rate_window - (since < 0 ? 0 : since);
			if (*retry_ms < 1)
				*retry_ms = 1;
			return USAGE_RATE_LIMITED;
		}
	}
	rem = c->remaining;
	refilled_at = c->last_refill;
	if (l->limited) {
		/* A refill is due after more than refill_interval ms since
		 * the last one (or the key's creation); a key with neither
		 * date, or one in the future, is not refilled. */
		if (l->refill_interval > 0 && l->refill_amount > 0 &&
		    l->refill_dated && now > refilled_at &&
		    (uint64_t)now - (uint64_t)refilled_at >
		    (uint64_t)l->refill_interval) {
			rem = l->refill_amount;
			refilled_at = now;
		}
		if (rem <= 0)
			return USAGE_EXHAUSTED;
		rem--;
	}
	c->remaining = rem;
	c->last_refill = refilled_at;
	if (l->rate_on) {
		if (c->last_request == 0 ||
		    now - c->last_request > l->rate_window)
			c->request_count = 1;
		else
			c->request_count++;
		c->last_request = now;
	}
	c->last_use = now;
	c->uses++;
	return USAGE_OK;
}

/* A mutex every process can take and that survives its holder's death. */
static int
mutex_init(pthread_mutex_t *m)
{
	pthread_mutexattr_t a;
	int rc;

	if (pthread_mutexattr_init(&a) != 0)
		return -1;
	rc = pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED) != 0 ||
	    pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST) != 0 ||
	    pthread_mutex_init(m, &a) != 0 ? -1 : 0;
	pthread_mutexattr_destroy(&a);
	return rc;
}

/* Locks m; a holder that died leaves counts that are whole numbers
 * (each field is written at once), so the mutex is made usable again. */
static int
lock(pthread_mutex_t *m)
{
	int rc = pthread_mutex_lock(m);

	if (rc == EOWNERDEAD)
		rc = pthread_mutex_consistent(m);
	return rc == 0 ? 0 : -1;
}

static void
unlock(pthread_mutex_t *m)
{
	pthread_mutex_unlock(m);
}

static void
header_init(struct hdr *h)
{
	h->version = USAGE_VERSION;
	h->key_slots = USAGE_KEY_SLOTS;
	h->addr_slots = USAGE_ADDR_SLOTS;
	h->size = FILE_SIZE;
}

static int
header_ok(const struct hdr *h)
{
	return LOAD(&h->magic) == USAGE_MAGIC &&
	    h->version == USAGE_VERSION && h->key_slots == USAGE_KEY_SLOTS &&
	    h->addr_slots == USAGE_ADDR_SLOTS && h->size == FILE_SIZE;
}

static unsigned char *
map_file(const char *path, char *err, size_t errsz)
{
	unsigned char *m;
	int fd, fresh;

	if ((m = util_map_file("state file", path, FILE_SIZE, 0660, &fd,
	    &fresh, err, errsz)) == NULL)
		return NULL;
	if (fresh) {
		header_init((struct hdr *)m);
		if (mutex_init(&((struct hdr *)m)->claim) != 0) {
			snprintf(err, errsz, "state file %s: cannot set up its"
			    " lock", path);
			goto bad;
		}
		STORE(&((struct hdr *)m)->magic, USAGE_MAGIC);
		msync(m, HDR_SIZE, MS_SYNC);
	} else if (!header_ok((struct hdr *)m)) {
		snprintf(err, errsz, "state file %s: not a state file of this"
		    " version (remove it while authgate is stopped)", path);
		goto bad;
	}
	util_map_release(fd);
	return m;
bad:
	munmap(m, FILE_SIZE);
	util_map_release(fd);
	return NULL;
}

int
usage_open(const char *path, int defer, char *err, size_t errsz)
{
	void *m;

	if (map != NULL)
		return 0;
	if (path != NULL && defer) {
		if (strlen(path) >= sizeof(later)) {
			snprintf(err, errsz, "state file %s: path too long",
			    path);
			return -1;
		}
		memcpy(later, path, strlen(path) + 1);
		return 0;
	}
	if (path == NULL) {
		m = mmap(NULL, FILE_SIZE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (m == MAP_FAILED) {
			snprintf(err, errsz, "state: cannot map memory: %s",
			    strerror(errno));
			return -1;
		}
		header_init(m);
		if (mutex_init(&((struct hdr *)m)->claim) != 0) {
			munmap(m, FILE_SIZE);
			snprintf(err, errsz, "state: cannot set up its lock");
			return -1;
		}
		STORE(&((struct hdr *)m)->magic, USAGE_MAGIC);
		map = m;
		return 0;
	}
	if ((m = map_file(path, err, errsz)) == NULL)
		return -1;
	map = m;
	return 0;
}

int
usage_ready(void)
{
	return map != NULL;
}

/* Whether a state is mapped, mapping a deferred file now if it can be
 * (at most one attempt a second). */
static int
mapped(int64_t now)
{
	char err[256];

	if (map != NULL)
		return 1;
	if (later[0] == '\0' || (now >= later_tried &&
	    now - later_tried < 1000))
		return 0;
	later_tried = now;
	map = map_file(later, err, sizeof(err));
	return map != NULL;
}

/* The slot of key id, or NULL (absent; or *full when no slot is left). */
static struct kslot *
key_find(const char *id, size_t n, uint64_t tag, int claim, int *full)
{
	struct kslot *s;
	size_t i;
	uint64_t t;

	*full = 0;
	for (i = 0; i < KEY_PROBE; i++) {
		s = kslot(tag + i);
		if ((t = LOAD(&s->tag)) == 0)
			break;
		if (t == tag && strncmp(s->id, id, sizeof(s->id)) == 0)
			return s;
	}
	if (!claim)
		return NULL;
	if (lock(&H()->claim) != 0)
		return NULL;
	/* Again under the claim lock: another process may have taken it. */
	for (i = 0; i < KEY_PROBE; i++) {
		s = kslot(tag + i);
		if ((t = LOAD(&s->tag)) == 0)
			break;
		if (t == tag && strncmp(s->id, id, sizeof(s->id)) == 0)
			goto done;
	}
	if (i == KEY_PROBE) {
		*full = 1;
		s = NULL;
		goto done;
	}
	if (mutex_init(&s->mu) != 0) {
		s = NULL;
		goto done;
	}
	memcpy(s->id, id, n);
	s->id[n] = '\0';
	memset(&s->c, 0, sizeof(s->c));
	STORE(&s->tag, tag);	/* published last: the slot is whole */
done:
	unlock(&H()->claim);
	return s;
}

enum usage_verdict
usage_key_use(const char *id, const struct usage_limits *l, int64_t now,
    int commit, int64_t *retry_ms)
{
	struct usage_count c;
	struct kslot *s;
	enum usage_verdict v;
	size_t n = strlen(id);
	int full;

	*retry_ms = 0;
	if (!usage_limited(l))
		return USAGE_OK;
	if (!mapped(now) || n == 0 || n > USAGE_MAX_ID)
		return USAGE_UNAVAILABLE;
	s = key_find(id, n, tag_of(id, n), commit, &full);
	if (s == NULL) {
		if (commit)
			return USAGE_UNAVAILABLE;
		memset(&c, 0, sizeof(c));
		return usage_step(&c, l, now, retry_ms);
	}
	if (lock(&s->mu) != 0)
		return USAGE_UNAVAILABLE;
	if (commit) {
		v = usage_step(&s->c, l, now, retry_ms);
	} else {
		c = s->c;
		v = usage_step(&c, l, now, retry_ms);
	}
	unlock(&s->mu);
	return v;
}

int
usage_key_peek(const char *id, struct usage_count *out)
{
	struct kslot *s;
	size_t n = strlen(id);
	int full;

	memset(out, 0, sizeof(*out));
	if (map == NULL)
		return -1;
	if (n == 0 || n > USAGE_MAX_ID ||
	    (s = key_find(id, n, tag_of(id, n), 0, &full)) == NULL)
		return 0;
	if (lock(&s->mu) != 0)
		return -1;
	*out = s->c;
	unlock(&s->mu);
	return 1;
}

void
usage_throttle_set(int limit, int window_s, int cooldown_s)
{
	t_limit = limit;
	t_window = window_s;
	t_cool = cooldown_s;
}

/* Whether slot s holds addr (tag read once by the caller as t). */
static int
addr_is(const struct aslot *s, uint64_t t, uint64_t tag, const char *addr,
    size_t n)
{
	return t == tag && strncmp(s->addr, addr, n) == 0 && s->addr[n] == '\0';
}

/* The slot of addr (claim: taken, the oldest idle one reused if need
 * be), locked, or NULL. */
static struct aslot *
addr_lock(const char *addr, size_t n, int claim, int64_t now)
{
	struct aslot *s, *old = NULL;
	uint64_t tag = tag_of(addr, n), t;
	size_t i;

	for (i = 0; i < ADDR_PROBE; i++) {
		s = aslot(tag + i);
		if ((t = LOAD(&s->tag)) == 0)
			break;
		if (addr_is(s, t, tag, addr, n))
			goto found;
	}
	if (!claim || lock(&H()->claim) != 0)
		return NULL;
	for (i = 0; i < ADDR_PROBE; i++) {
		s = aslot(tag + i);
		if ((t = LOAD(&s->tag)) == 0) {
			if (mutex_init(&s->mu) != 0)
				break;
			old = s;
			break;
		}
		if (addr_is(s, t, tag, addr, n)) {
			unlock(&H()->claim);
			goto found;
		}
		/* A running ban is never forgotten for a newcomer. */
		if (s->banned_until <= now &&
		    (old == NULL || s->last < old->last))
			old = s;
	}
	if (old == NULL || lock(&old->mu) != 0) {
		unlock(&H()->claim);
		return NULL;
	}
	memcpy(old->addr, addr, n);
	old->addr[n] = '\0';
	old->window_start = old->fails = old->banned_until = 0;
	old->last = now;
	STORE(&old->tag, tag);
	unlock(&H()->claim);
	return old;
found:
	if (lock(&s->mu) != 0)
		return NULL;
	/* Reused for another address between the look and the lock? */
	if (!addr_is(s, LOAD(&s->tag), tag, addr, n)) {
		unlock(&s->mu);
		return claim ? addr_lock(addr, n, claim, now) : NULL;
	}
	return s;
}

int
usage_client_banned(const char *addr, size_t n, int64_t now,
    int64_t *retry_ms)
{
	struct aslot *s;
	int banned = 0;

	*retry_ms = 0;
	if (t_limit <= 0 || !mapped(now) || LOAD(&H()->ban_until_max) <= now)
		return 0;
	if (n > USAGE_MAX_ID || (s = addr_lock(addr, n, 0, now)) == NULL)
		return 0;
	if (s->banned_until > now) {
		banned = 1;
		*retry_ms = s->banned_until - now;
	}
	unlock(&s->mu);
	return banned;
}

int
usage_client_failed(const char *addr, size_t n, int64_t now)
{
	struct aslot *s;
	int64_t until, m;
	int started = 0;

	if (t_limit <= 0 || !mapped(now) || n > USAGE_MAX_ID ||
	    (s = addr_lock(addr, n, 1, now)) == NULL)
		return 0;
	if (s->banned_until <= now) {
		if (s->window_start == 0 ||
		    now - s->window_start >= (int64_t)t_window * 1000) {
			s->window_start = now;
			s->fails = 0;
		}
		s->fails++;
		s->last = now;
		if (s->fails > t_limit) {
			until = now + (int64_t)t_cool * 1000;
			s->banned_until = until;
			s->window_start = s->fails = 0;
			started = 1;
			m = LOAD(&H()->ban_until_max);
			while (m < until && !__atomic_compare_exchange_n(
			    &H()->ban_until_max, &m, until, 0,
			    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
				;
			__atomic_fetch_add(&H()->bans_total, 1,
			    __ATOMIC_RELAXED);
		}
	}
	unlock(&s->mu);
	return started;
}

void
usage_flush(int64_t now)
{
	int64_t last;

	if (map == NULL)
		return;
	last = LOAD(&H()->last_flush);
	if (now - last < 1000 || !__atomic_compare_exchange_n(
	    &H()->last_flush, &last, now, 0, __ATOMIC_ACQ_REL,
	    __ATOMIC_ACQUIRE))
		return;
	msync(map, FILE_SIZE, MS_SYNC);	/* an anonymous map: a no-op */
}

int64_t
usage_bans_total(void)
{
	return map == NULL ? -1 :
	    __atomic_load_n(&H()->bans_total, __ATOMIC_RELAXED);
}

void
usage_note(enum usage_note what)
{
	if (map != NULL && what < USAGE_NOTE_N)
		__atomic_fetch_add(&H()->notes[what], 1, __ATOMIC_RELAXED);
}

int
usage_totals(int64_t out[USAGE_NOTE_N], int64_t *bans)
{
	int i;

	if (map == NULL)
		return -1;
	for (i = 0; i < USAGE_NOTE_N; i++)
		out[i] = __atomic_load_n(&H()->notes[i], __ATOMIC_RELAXED);
	*bans = usage_bans_total();
	return 0;
}
