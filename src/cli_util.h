/*
 * cli_util.h - what the CLI's command files share: one-line errors,
 * option parsing, opening the store for an admin command, tables and
 * JSON output. Internal to cli*.c.
 */
#ifndef AUTHGATE_CLI_UTIL_H
#define AUTHGATE_CLI_UTIL_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "opt.h"
#include "store.h"

#define CLI_MAX_OPTS	24	/* flags of the largest command */
#define CLI_MAX_POS	4	/* positional arguments */
#define CLI_MAX_NOTE	512	/* rule note */
#define CLI_MAX_PRIORITY 1000000000LL	/* priorities are small numbers */
#define CLI_KEY_START	6	/* better-auth's startingCharactersLength */
#define CLI_DEFAULT_PREFIX "ag_"

/* One error line on stderr; both return 2, the usage/store exit code. */
int	cli_fail(const char *msg);
int	cli_failf(const char *cmd, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
const char	*cli_term(const char *s, char *out, size_t outsz);
const char	*cli_db_default(const char *flag);
int	cli_parse_ll(const char *s, long long lo, long long hi, long long *v);
/* Admin commands: open (never create) the store in a read or write
 * transaction, close it, and the one line for a store error. */
int	cli_store_fail(const char *cmd, const char *db, struct store *s);
/* 0 when db is an existing regular file, else one line and 2: only
 * `init` creates a database. */
int	cli_db_exists(const char *cmd, const char *db);

/* A subcommand of a command word ("key create"): its name and function,
 * called with the whole argv. */
struct cli_sub {
	const char	*name;
	int		(*fn)(int argc, char **argv);
};

/*
 * Runs the subcommand argv[2] of cmd from subs (ended by a NULL name):
 * prints usage for --help, -h, help or a --help further on; one error
 * line naming the choices for none or an unknown one (exit 2).
 */
int	cli_dispatch(const char *cmd, const char *usage,
	    const struct cli_sub *subs, int argc, char **argv);

/* Maps the host's usage state of db (AUTHGATE_STATE_FILE, else db's
 * ".state" file) when it exists, for reading the counts; else a state of
 * this process only, so nothing is created by a command that reads. */
void	cli_usage_open(const char *db);
int	cli_admin_open(const char *cmd, const char *db, int write,
	    struct store **out);
int	cli_admin_close(const char *cmd, const char *db, struct store *s,
	    int commit, int rc);
/* 0 when every name in a --method value (list: a comma list) is a
 * registered HTTP method, else one line naming the first that is not,
 * and 2. */
int	cli_method_ok(const char *cmd, const char *v, int list);
/* The live decision's rule-matching flags (AUTHGATE_CASE_SENSITIVE), so
 * the CLI explains and checks rules the way they are matched. Returns 0
 * with *flags set, or prints one line and returns 2. */
int	cli_match_flags(const char *cmd, int *flags);
/* Output: dates, aligned tables, JSON, terminal-safe cells. */
void	cli_time_text(const struct store_time *t, const char *absent,
	    char *out, size_t outsz);
/* Appends row (ncol texts, copied with cli_cell) to a table of *n rows
 * in *cells, grown as needed. 0, or -1 out of memory (the table as it
 * was). */
int	cli_table_add(char ***cells, size_t *n, size_t *cap, size_t ncol,
	    const char *const *row);
void	cli_print_table(const char *const *head, size_t ncol, char **cells,
	    size_t nrow);
void	cli_free_cells(char **cells, size_t n);
int	cli_print_json(cJSON *doc);
void	cli_json_str_or_null(cJSON *o, const char *name, const char *v);
int	cli_valid_text(const char *s, size_t max);
int	cli_valid_id(const char *s);
char	*cli_cell(const char *s);

/* The key, rule, check and member commands (cli_key.c, cli_rule.c,
 * cli_check.c, cli_member.c): argv[1] is the command word. Return the exit code. */
int	cli_key_main(int argc, char **argv);
int	cli_rule_main(int argc, char **argv);
int	cli_check_main(int argc, char **argv);
int	cli_member_main(int argc, char **argv);

#endif
