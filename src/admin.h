/*
 * admin.h - what the key and rule commands decide, apart from printing
 * (cli_*.c) and SQL (store_*.c): expiry parsing, rule diagnostics and
 * shadowing. Pure (admin_rules_load reads through store_read.h).
 */
#ifndef AUTHGATE_ADMIN_H
#define AUTHGATE_ADMIN_H

#include <stddef.h>
#include <stdint.h>

#include "policy.h"
#include "store_read.h"

#define ADMIN_MAX_EXPIRY_DAYS	36500	/* a century: longer is a typo */
#define ADMIN_MAX_SHADOWERS	16	/* rules named in one report */

/*
 * Parses an --expires value relative to now_ms: "never"; a duration N
 * followed by m, h, d or w (minutes .. weeks, at most
 * ADMIN_MAX_EXPIRY_DAYS in all); a date YYYY-MM-DD (00:00 UTC); or an
 * ISO-8601 time ("2026-12-31T18:00:00Z", offsets allowed). Returns 0
 * with *never = 1, or *never = 0 and *at_ms set; -1 with *why (a short
 * static phrase) when malformed, not in the future, or too far away.
 */
int	admin_expiry_parse(const char *s, int64_t now_ms, int64_t *at_ms,
	    int *never, const char **why);

/*
 * Why a path glob is refused by policy_glob_valid, as advice for one
 * error line; NULL when the glob is valid.
 */
const char	*admin_glob_problem(const char *glob);

/*
 * The advice for a policy_rule_parse reason code ("bad_access", ...),
 * naming the flag to fix and the values it takes.
 */
const char	*admin_rule_problem(const char *why);

/*
 * Returns 1 when glob a matches every canonical path glob b matches, 0
 * when it does not or this check cannot tell. Sound, not complete: it
 * compares segment by segment, where a segment of a covers one of b when
 * they are equal, a is all '*', b is literal and matches a, or a is
 * "pre*suf" and b starts with pre and ends with suf around a '*'; a
 * trailing '**' segment in a covers any rest of b (b needs at least as
 * many segments before it). Both globs must be valid.
 */
int	admin_glob_covers(const char *a, const char *b, int flags);

/*
 * Is rules[i] unreachable? rules are in match order (priority, id).
 * It is when earlier rules take every request it could match: for a
 * rule on any method, one earlier any-method rule whose glob covers its
 * glob; for a method list, for each of its methods an earlier rule
 * that takes that method (as policy_match does: HEAD also through GET)
 * and covers its glob. flags are policy_match's (POLICY_FOLD_CASE).
 * Returns the number of such earlier rules written to by[] (indices, at
 * most bymax), 0 when the rule can still match.
 */
size_t	admin_rule_shadowed(const struct policy_rule *rules, size_t n,
	    size_t i, size_t *by, size_t bymax, int flags);

/* One authgate_rule row as the CLI handles it: the text (owned), the
 * parsed rule when valid, and which earlier rules shadow it. */
struct admin_rule {
	struct policy_rule_text	 t;
	char			*note;
	struct policy_rule	 r;
	const char		*why;	/* policy_rule_parse reason; NULL: valid */
	long long		 shadowed_by[ADMIN_MAX_SHADOWERS];	/* rule ids */
	size_t			 nshadow;	/* 0: reachable (or invalid) */
};

struct admin_rules {
	struct admin_rule	*v;
	size_t			 n;
	size_t			 cap;
	int			 flags;	/* matching flags for shadowing */
};

/*
 * Loads every rule in match order, validates each, and computes
 * shadowing among the valid ones (see admin_rule_shadowed). Inside
 * store_admin_begin. flags: the matching flags of the live decision
 * (POLICY_FOLD_CASE unless AUTHGATE_CASE_SENSITIVE=1). Returns 1 (table
 * present), 0 (no authgate_rule table; rs empty), -1 on a store error or
 * out of memory. The caller frees rs with admin_rules_free, also after an
 * error.
 */
int	admin_rules_load(struct store *s, struct admin_rules *rs, int flags);

/* Recomputes shadowing after the caller changed rs (add, set). Keeps
 * the order of rs->v, which must be match order. */
void	admin_rules_shadow(struct admin_rules *rs);

/* Sorts rs->v into match order (priority, then id). */
void	admin_rules_sort(struct admin_rules *rs);

/* Frees the strings and the array; rs is empty afterwards. */
void	admin_rules_free(struct admin_rules *rs);

#endif
