/*
 * cli.h - the administrator's commands (`authgate init`, `check`, ...).
 *
 * Runs only when authgate is given arguments; never in the request loop.
 */
#ifndef AUTHGATE_CLI_H
#define AUTHGATE_CLI_H

/* Runs the command in argv[1..]. Returns the process exit code:
 * 0 success (check: allow), 1 check: deny, 2 usage or store error. */
int	cli_main(int argc, char **argv);

#endif
