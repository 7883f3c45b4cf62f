/*
 * test_opt.c - the one option parser: values, flags, repeats, unknown
 * options, "--", positional arguments that start with '-', --help.
 * Error lines go to stderr; the cases check the return and the fields.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "opt.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/* A fresh table: --db (value), --json (flag), --header (multi). */
static void
table(struct opt *o)
{
	memset(o, 0, 4 * sizeof(*o));
	o[0].name = "--db";
	o[0].kind = OPT_VALUE;
	o[1].name = "--json";
	o[1].kind = OPT_FLAG;
	o[2].name = "--header";
	o[2].kind = OPT_MULTI;
}

/* Parses a NULL-terminated argv after "authgate cmd". */
static int
run(struct opt *o, const char **pos, int maxpos, int *npos, ...)
{
	char *argv[32];
	int argc = 2;
	va_list ap;
	char *a;

	argv[0] = (char *)"authgate";
	argv[1] = (char *)"cmd";
	va_start(ap, npos);
	while ((a = va_arg(ap, char *)) != NULL && argc < 31)
		argv[argc++] = a;
	va_end(ap);
	argv[argc] = NULL;
	table(o);
	return opt_parse("cmd", "cmd", argc, argv, 2, o, pos, maxpos, npos);
}

static void
test_parse(void)
{
	struct opt o[4];
	const char *pos[2];
	int n;

	/* values, flags, repeats */
	T_EQ_INT("opt-001", run(o, pos, 1, &n, "--db", "x.db", "--json",
	    (char *)NULL), 0);
	T_EQ_STR("opt-002", opt_val(o, "--db"), "x.db");
	T_EQ_INT("opt-003", opt_set(o, "--json"), 1);
	T_EQ_INT("opt-004", n, 0);
	T_EQ_INT("opt-005", run(o, pos, 1, &n, "--db=y.db", (char *)NULL), 0);
	T_EQ_STR("opt-006", opt_val(o, "--db"), "y.db");
	T_EQ_INT("opt-007", run(o, pos, 1, &n, "--db", (char *)NULL), -1);
	T_EQ_INT("opt-008", run(o, pos, 1, &n, "--db", "a", "--db", "b",
	    (char *)NULL), -1);
	T_EQ_INT("opt-009", run(o, pos, 1, &n, "--json=1", (char *)NULL), -1);
	T_EQ_INT("opt-010", run(o, pos, 1, &n, "--header", "A: 1",
	    "--header", "B: 2", (char *)NULL), 0);
	T_EQ_INT("opt-011", opt_get(o, "--header")->set, 2);
	T_EQ_STR("opt-012", opt_get(o, "--header")->multi[1], "B: 2");
	/* a value may start with '-': it belongs to its option */
	T_EQ_INT("opt-013", run(o, pos, 1, &n, "--db", "-x.db", (char *)NULL),
	    0);
	T_EQ_STR("opt-014", opt_val(o, "--db"), "-x.db");

	/* unknown options, long and short, are errors */
	T_EQ_INT("opt-020", run(o, pos, 1, &n, "--bogus", (char *)NULL), -1);
	T_EQ_INT("opt-021", run(o, pos, 1, &n, "-x", (char *)NULL), -1);
	T_EQ_INT("opt-022", run(o, pos, 1, &n, "--bogus=1", (char *)NULL), -1);
	T_EQ_INT("opt-023", run(o, pos, 1, &n, "--d", (char *)NULL), -1);
	T_EQ_INT("opt-024", run(o, pos, 1, &n, "--dbx", "v", (char *)NULL), -1);
	/* --help is the caller's to ask for first; here it is unknown */
	T_EQ_INT("opt-025", run(o, pos, 1, &n, "--help", (char *)NULL), -1);

	/* positional arguments: never one that starts with '-' before "--" */
	T_EQ_INT("opt-030", run(o, pos, 1, &n, "tok", (char *)NULL), 0);
	T_EQ_INT("opt-031", n, 1);
	T_EQ_STR("opt-032", pos[0], "tok");
	T_EQ_INT("opt-033", run(o, pos, 1, &n, "-tok", (char *)NULL), -1);
	T_EQ_INT("opt-034", run(o, pos, 1, &n, "-", (char *)NULL), -1);
	T_EQ_INT("opt-035", run(o, pos, 1, &n, "--", "-tok", (char *)NULL), 0);
	T_EQ_INT("opt-036", n, 1);
	T_EQ_STR("opt-037", pos[0], "-tok");
	T_EQ_INT("opt-038", run(o, pos, 1, &n, "--", "--help", (char *)NULL),
	    0);
	T_EQ_STR("opt-039", pos[0], "--help");
	/* after "--" an option is data, a second "--" too */
	T_EQ_INT("opt-040", run(o, pos, 2, &n, "--json", "--", "--db", "--",
	    (char *)NULL), 0);
	T_EQ_INT("opt-041", n, 2);
	T_EQ_STR("opt-042", pos[1], "--");
	T_CHECK("opt-043", opt_val(o, "--db") == NULL);
	/* too many: maxpos N at N, N + 1 */
	T_EQ_INT("opt-044", run(o, pos, 2, &n, "a", "b", (char *)NULL), 0);
	T_EQ_INT("opt-045", run(o, pos, 2, &n, "a", "b", "c", (char *)NULL),
	    -1);
	T_EQ_INT("opt-046", run(o, pos, 0, &n, "a", (char *)NULL), -1);
	T_EQ_INT("opt-047", run(o, pos, 1, &n, "--", (char *)NULL), 0);
	T_EQ_INT("opt-048", n, 0);
}

static void
test_help(void)
{
	static const struct {
		const char	*id;
		const char	*a[4];
		int		 want;
	} c[] = {
		{ "opt-help-001", { "--help" }, 1 },
		{ "opt-help-002", { "-h" }, 1 },
		{ "opt-help-003", { "--db", "x", "-h" }, 1 },
		{ "opt-help-004", { "--", "--help" }, 0 },
		{ "opt-help-005", { "x", "--", "-h" }, 0 },
		{ "opt-help-006", { "--helpx" }, 0 },
		{ "opt-help-007", { "-H" }, 0 },
		{ "opt-help-008", { NULL }, 0 },
	};
	char *argv[8];
	size_t i;
	int argc;

	for (i = 0; i < NELEM(c); i++) {
		argv[0] = (char *)"authgate";
		argv[1] = (char *)"cmd";
		for (argc = 2; argc - 2 < 4 && c[i].a[argc - 2] != NULL; argc++)
			argv[argc] = (char *)c[i].a[argc - 2];
		argv[argc] = NULL;
		T_EQ_INT(c[i].id, opt_wants_help(argc, argv, 2), c[i].want);
	}
}

int
main(void)
{
	test_parse();
	test_help();
	return t_done("test_opt");
}
