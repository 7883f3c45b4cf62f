/*
 * opt.c - the command-line option parser shared by the CLI and `authgate
 * serve`, so that every command reads its options the same way.
 *
 * Trusts nothing in argv: unknown options, missing values and repeats are
 * errors, never ignored. Owns nothing; values point into argv.
 */
#include <stdio.h>
#include <string.h>

#include "opt.h"

int
opt_parse(const char *cmd, const char *help, int argc, char **argv,
    int first, struct opt *opts, const char **pos, int maxpos, int *npos)
{
	int i, k, dashdash = 0;

	*npos = 0;
	for (i = first; i < argc; i++) {
		const char *a = argv[i], *eq, *v;
		size_t nl;

		/* "--" ends the options: what follows is positional even
		 * when it starts with '-' (a token "-x", a path "-f"). */
		if (!dashdash && strcmp(a, "--") == 0) {
			dashdash = 1;
			continue;
		}
		/* Invariant: before "--", anything that starts with '-' is
		 * an option or an error, never a positional argument, so
		 * "--help" or a misspelt flag is never taken as data. */
		if (dashdash || a[0] != '-') {
			if (*npos >= maxpos) {
				fprintf(stderr, "authgate: %s: unexpected"
				    " argument '%.64s'; see 'authgate %s"
				    " --help'\n", cmd, a, help);
				return -1;
			}
			pos[(*npos)++] = a;
			continue;
		}
		eq = strchr(a, '=');
		nl = eq != NULL ? (size_t)(eq - a) : strlen(a);
		for (k = 0; opts[k].name != NULL; k++)
			if (strlen(opts[k].name) == nl &&
			    strncmp(opts[k].name, a, nl) == 0)
				break;
		if (opts[k].name == NULL) {
			fprintf(stderr, "authgate: %s: unknown option %.*s; see"
			    " 'authgate %s --help'\n", cmd,
			    (int)(nl > 64 ? 64 : nl), a, help);
			return -1;
		}
		if (opts[k].set && (opts[k].kind != OPT_MULTI ||
		    opts[k].set >= OPT_MAX_MULTI)) {
			fprintf(stderr, "authgate: %s: %s given %s\n", cmd,
			    opts[k].name, opts[k].kind == OPT_MULTI ?
			    "too often" : "twice");
			return -1;
		}
		if (opts[k].kind == OPT_FLAG) {
			if (eq != NULL) {
				fprintf(stderr, "authgate: %s: %s takes no"
				    " value\n", cmd, opts[k].name);
				return -1;
			}
			opts[k].set++;
			continue;
		}
		if (eq != NULL) {
			v = eq + 1;
		} else if (i + 1 < argc) {
			v = argv[++i];
		} else {
			fprintf(stderr, "authgate: %s: %s needs a value; see"
			    " 'authgate %s --help'\n", cmd, opts[k].name, help);
			return -1;
		}
		if (opts[k].kind == OPT_MULTI)
			opts[k].multi[opts[k].set] = v;
		opts[k].value = v;
		opts[k].set++;
	}
	return 0;
}

struct opt *
opt_get(struct opt *opts, const char *name)
{
	int k;

	for (k = 0; opts[k].name != NULL; k++)
		if (strcmp(opts[k].name, name) == 0)
			return &opts[k];
	return NULL;
}

const char *
opt_val(struct opt *opts, const char *name)
{
	struct opt *o = opt_get(opts, name);

	return o != NULL ? o->value : NULL;
}

int
opt_set(struct opt *opts, const char *name)
{
	struct opt *o = opt_get(opts, name);

	return o != NULL && o->set > 0;
}

int
opt_wants_help(int argc, char **argv, int first)
{
	int i;

	for (i = first; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			return 0;
		if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0)
			return 1;
	}
	return 0;
}
