/*
 * opt.h - the one command-line option parser, for every CLI command and
 * `authgate serve`: --name value, --name=value, boolean flags, options
 * that may repeat, and positional arguments.
 *
 * Pure but for one error line on stderr. Never exits.
 */
#ifndef AUTHGATE_OPT_H
#define AUTHGATE_OPT_H

#define OPT_MAX_MULTI	16	/* --header given more often is a mistake */

enum opt_kind {
	OPT_VALUE = 0,		/* --name V or --name=V, at most once */
	OPT_FLAG,		/* --name, at most once, no value */
	OPT_MULTI		/* --name V, as often as OPT_MAX_MULTI */
};

/* One option; the table ends with name == NULL. */
struct opt {
	const char	*name;		/* "--db" */
	enum opt_kind	 kind;
	const char	*value;		/* OPT_VALUE: NULL when absent */
	int		 set;		/* times given */
	const char	*multi[OPT_MAX_MULTI];	/* OPT_MULTI: in order */
};

/*
 * Parses argv[first..] against opts; positional arguments go to pos (at
 * most maxpos), their count to *npos. Before "--", every argument that
 * starts with '-' (also "-" alone) is an option; after it, every one is
 * positional. On an unknown option, a missing or unwanted value, a
 * repeated option or too many arguments, prints one line
 * "authgate: CMD: ...; see 'authgate HELP --help'" and returns -1. The
 * caller asks opt_wants_help first: "--help" here is an unknown option.
 */
int	opt_parse(const char *cmd, const char *help, int argc, char **argv,
	    int first, struct opt *opts, const char **pos, int maxpos,
	    int *npos) __attribute__((warn_unused_result));

/* The entry for name, its value (NULL: absent), whether it was given. */
struct opt	*opt_get(struct opt *opts, const char *name);
const char	*opt_val(struct opt *opts, const char *name);
int	opt_set(struct opt *opts, const char *name);

/* 1 when --help or -h is among argv[first..], before any "--". */
int	opt_wants_help(int argc, char **argv, int first);

#endif
