/*
 * policy.h - route rules and roles: which rule a (method, path) meets,
 * how roles rank, whether a subject satisfies a rule.
 *
 * Pure: no I/O, no allocation, no clock. Rules arrive as text rows (from
 * the store) and are validated into struct rule before use.
 */
#ifndef AUTHGATE_POLICY_H
#define AUTHGATE_POLICY_H

#include <stddef.h>

#include "util.h"

#define POLICY_MAX_RULES	512	/* rules are few; more is a mistake */
#define POLICY_MAX_GLOB		512	/* a rule's path pattern */
#define POLICY_MAX_METHODS	128	/* "GET,HEAD,POST,..." */
#define POLICY_MAX_REDIRECT	512	/* redirect_to */
#define POLICY_MAX_PERMS	256	/* require_permission, a comma list */
#define POLICY_DEFAULT_REDIRECT	"/sign-in"

/*
 * Matching flags. POLICY_FOLD_CASE: ASCII letters compare equal whatever
 * their case (the default: Express, ASP.NET and others route /API/Admin to
 * the handler of /api/admin). Without it bytes compare exactly (the strict
 * mode, AUTHGATE_CASE_SENSITIVE=1, for case-sensitive backends).
 */
#define POLICY_FOLD_CASE	0x1

enum policy_access {
	ACCESS_PUBLIC = 0,
	ACCESS_AUTHENTICATED,	/* a session or an API key */
	ACCESS_SESSION,
	ACCESS_API_KEY,
	ACCESS_DENY
};

/* Ordered: a larger value is a higher role. */
enum policy_role {
	ROLE_NONE = 0,
	ROLE_GUEST,
	ROLE_MEMBER,
	ROLE_ADMIN,
	ROLE_OWNER
};

enum policy_on_deny {
	ON_DENY_AUTO = 0,	/* redirect browser navigations, else JSON */
	ON_DENY_JSON,
	ON_DENY_REDIRECT
};

/* One row of authgate_rule as text; NULL means SQL NULL. */
struct policy_rule_text {
	long long	 id;
	long long	 priority;
	const char	*method;
	const char	*path;
	const char	*access;
	const char	*min_role;
	const char	*on_deny;
	const char	*redirect_to;
	const char	*require_permission;	/* NULL: none (or no column) */
};

struct policy_rule {
	long long		id;
	long long		priority;
	char			methods[POLICY_MAX_METHODS + 1]; /* "" = any */
	char			path[POLICY_MAX_GLOB + 1];
	size_t			path_n;	/* without a trailing '/' */
	size_t			lit_n;	/* path bytes every match begins with */
	enum policy_access	access;
	enum policy_role	min_role;
	enum policy_on_deny	on_deny;
	char			redirect_to[POLICY_MAX_REDIRECT + 1];
	char			perms[POLICY_MAX_PERMS + 1];	/* "" none */
};

/*
 * Validates and converts one text row. Returns 0, or -1 with *why set to
 * a short static reason ("bad_access", "bad_glob", ...). The only way to
 * fill a policy_rule: policy_match relies on path_n and lit_n.
 */
int	policy_rule_parse(const struct policy_rule_text *t,
	    struct policy_rule *out, const char **why) UTIL_MUST_CHECK;

/*
 * Whether s (n bytes) is a permission list: one or more resource:action
 * items, comma separated, each side of letters, digits, '_', '-', '.'.
 * Returns 1 or 0.
 */
int	policy_perms_valid(const char *s, size_t n);

/*
 * Whether the granted list (comma separated resource:action items, as
 * the decision builds it) holds every item of need (policy_perms_valid).
 * Returns 1, or 0 with the first missing item in miss (missz bytes,
 * truncated to fit).
 */
int	policy_perms_granted(const char *need, const char *granted,
	    char *miss, size_t missz);

/*
 * Returns 1 if the glob is well formed: starts with '/', no "..", "."
 * or empty segments, '**' only as the whole last segment.
 */
int	policy_glob_valid(const char *glob, size_t n);

/*
 * Matches a canonical path against a glob: '*' matches within one
 * segment, a trailing '**' segment matches the rest, also nothing (the
 * glob "/a/" + "**" matches "/a"). flags: POLICY_FOLD_CASE or 0. Returns 1
 * on match.
 */
int	policy_glob_match(const char *glob, size_t gn, const char *path,
	    size_t pn, int flags);

/*
 * Matches one glob segment (with '*', any run of bytes) against one path
 * segment, both without '/'. flags as above. Returns 1 on match.
 */
int	policy_segment_match(const char *g, size_t gn, const char *p,
	    size_t pn, int flags);

/*
 * The route function: the first rule (in array order, which the caller
 * sorted by priority then id) whose method list and glob match. Every
 * spelling a common backend routes to one handler meets one rule:
 * - letter case is ignored with POLICY_FOLD_CASE;
 * - a trailing '/' on the path (other than "/" itself) or on the glob is
 *   ignored, so an exact rule also covers its trailing-slash form;
 * - HEAD meets the rules that list GET (frameworks answer HEAD with the
 *   GET handler), as well as those that list HEAD.
 * NULL when none matches; the default is then ACCESS_AUTHENTICATED. The
 * live decision, `authgate check` and `authgate rule test` all call this.
 */
const struct policy_rule *policy_match(const struct policy_rule *rules,
	    size_t n, const char *method, size_t method_n, const char *path,
	    size_t path_n, int flags);

/*
 * 1 if a rule's method list (normalized, "" = any) takes method m the way
 * policy_match does (HEAD also through GET).
 */
int	policy_method_takes(const char *list, const char *m, size_t mn);

/*
 * The registry's spelling of method m (n bytes, any letter case) when it
 * is in IANA's HTTP method registry (the one list a rule's method column
 * and every --method are checked against), else NULL.
 */
const char	*policy_method_known(const char *m, size_t n);

/* Rank of one role name; ROLE_NONE if unknown. Case-sensitive. */
enum policy_role policy_role_parse(const char *s, size_t n);

/*
 * Highest known role in a comma-separated list ("member, admin").
 * Unknown names are skipped. ROLE_NONE if none is known.
 */
enum policy_role policy_role_highest(const char *list, size_t n);

/* Canonical name of a role; "" for ROLE_NONE. */
const char	*policy_role_name(enum policy_role r);

const char	*policy_access_name(enum policy_access a);

/*
 * Returns 1 if s is a safe local redirect target: starts with a single
 * '/', no "//" or "/\" prefix, no backslash, control or space, no '#'.
 */
int	policy_local_path_ok(const char *s, size_t n);

#endif
