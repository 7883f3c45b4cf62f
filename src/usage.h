/*
 * usage.h - what a credential's use changes without a commit: better-auth
 * API-key quotas (remaining, refill) and rate limits, and the throttle of
 * clients that keep presenting bad credentials.
 *
 * The state lives in one file every process on the host maps
 * (AUTHGATE_STATE_FILE, default AUTHGATE_DB with ".state" appended): the
 * workers `authgate serve` forks, the processes lighttpd or Apache spawn,
 * plain CGI runs. A slot per limited key and per recently failing client
 * address, each behind a process-shared robust mutex, so a quota holds
 * exactly across workers and a worker killed while it held a slot leaves
 * it usable. The mirror stays read-only: the counts are the host's own,
 * replaced by the IdP's values whenever the mirror's key row changes
 * (a webhook with a newer key object).
 *
 * Durability: a process that ends (crash, restart, reload) loses nothing,
 * the page cache holds the mapping; the file is written to disk at most a
 * second after a change while traffic flows (usage_flush), else by the
 * kernel's writeback.
 */
#ifndef AUTHGATE_USAGE_H
#define AUTHGATE_USAGE_H

#include <stddef.h>
#include <stdint.h>

#define USAGE_KEY_SLOTS		16384	/* limited keys one host tracks */
#define USAGE_ADDR_SLOTS	8192	/* failing client addresses */
#define USAGE_MAX_ID		95	/* a key id or client address */

/*
 * A key's limits as the mirror holds them (better-auth's apikey columns).
 * limited: remaining is not NULL. rate_on: rateLimitEnabled is not false
 * and both window and max are set. Times in epoch ms, 0 = NULL. base:
 * a digest of all of it and updatedAt: the local count restarts from
 * the mirror's values whenever it moves.
 */
struct usage_limits {
	int		 limited;
	int		 bad;		/* remaining is not an integer: deny */
	int64_t		 remaining;
	int64_t		 refill_interval;	/* ms; 0: none */
	int64_t		 refill_amount;		/* 0: none */
	int64_t		 last_refill;		/* lastRefillAt, else createdAt */
	int		 refill_dated;		/* last_refill is a date */
	int		 rate_on;
	int64_t		 rate_window;		/* ms */
	int64_t		 rate_max;
	int64_t		 request_count;
	int64_t		 last_request;		/* 0: none */
	uint64_t	 base;
};

/* The host's count for one key (a slot of the state file). */
struct usage_count {
	uint64_t	 base;		/* the limits it was started from */
	int64_t		 remaining;
	int64_t		 last_refill;
	int64_t		 request_count;
	int64_t		 last_request;
	int64_t		 last_use;	/* last allowed use, 0: none */
	int64_t		 uses;		/* allowed uses counted here */
};

enum usage_verdict {
	USAGE_OK = 0,
	USAGE_EXHAUSTED,	/* remaining 0 and no refill due: 401 */
	USAGE_RATE_LIMITED,	/* rateLimitMax reached in the window: 429 */
	USAGE_UNAVAILABLE	/* no state to count in: 503 */
};

/* Whether l limits anything (a key without limits never takes a slot). */
int	usage_limited(const struct usage_limits *l);

/* Sets l->base from every field of l and the row's updatedAt (ms). */
void	usage_limits_seal(struct usage_limits *l, int64_t updated_at);

/*
 * One use at now of a key whose count is c, by better-auth's rules: c
 * restarts from l when its base differs; a rate limit is checked first
 * (a 429 costs no quota; *retry_ms then says when a use is allowed
 * again), then the quota (a refill is due when more than
 * refill_interval ms passed since the last refill: remaining becomes
 * refill_amount). Only an allowed use changes c. Pure.
 */
enum usage_verdict usage_step(struct usage_count *c,
	    const struct usage_limits *l, int64_t now, int64_t *retry_ms);

/*
 * Maps the state file (path NULL: memory of this process only, for the
 * CLI's `check` and tests), created mode 0660 at its fixed size when
 * absent (owned like its directory when root makes it). defer: not now but on the first use that needs it (a server
 * started before `authgate init` made its database must not leave a
 * file behind; until the file can be mapped, a limited key's use is
 * USAGE_UNAVAILABLE). Returns 0, or -1 with one line in err. May be
 * called again: the first mapping stays.
 */
int	usage_open(const char *path, int defer, char *err, size_t errsz);

/* Whether a state is mapped (a file or process memory). */
int	usage_ready(void);

/*
 * One use of the key id at now, counted in the shared state (commit 0:
 * the verdict only, nothing counted; `authgate check`). *retry_ms is set
 * for USAGE_RATE_LIMITED. A table with no slot left for a new limited
 * key, or no state mapped: USAGE_UNAVAILABLE.
 */
enum usage_verdict usage_key_use(const char *id, const struct usage_limits *l,
	    int64_t now, int commit, int64_t *retry_ms);

/* The host's count of a key, for the CLI. 1 found, 0 none, -1 no state. */
int	usage_key_peek(const char *id, struct usage_count *out);

/*
 * The client throttle: at most limit failed credentials from one address
 * within window_s seconds; the next one bans the address for cooldown_s.
 * limit 0: off.
 */
void	usage_throttle_set(int limit, int window_s, int cooldown_s);

/* Whether addr is banned at now; *retry_ms then says for how long.
 * Costs one atomic load while no address is banned anywhere. */
int	usage_client_banned(const char *addr, size_t n, int64_t now,
	    int64_t *retry_ms);

/* Counts a failed credential from addr. Returns 1 when this failure
 * started a ban (the caller logs it once), else 0. */
int	usage_client_failed(const char *addr, size_t n, int64_t now);

/* Writes the state to disk if the last write is a second old or more
 * (one process wins each second). */
void	usage_flush(int64_t now);

/* Bans started since the file was created: -1 no state. */
int64_t	usage_bans_total(void);

/* Answers the limits gave, counted in the state file for `stats`. */
enum usage_note {
	USAGE_NOTE_EXHAUSTED = 0,	/* 401 api_key_exhausted */
	USAGE_NOTE_RATE_LIMITED,	/* 429 api_key_rate_limited */
	USAGE_NOTE_THROTTLED,		/* 429 client_throttled */
	USAGE_NOTE_N
};
void	usage_note(enum usage_note what);

/* The counts of usage_note and the bans; 0, or -1 with no state. */
int	usage_totals(int64_t out[USAGE_NOTE_N], int64_t *bans);

#endif
