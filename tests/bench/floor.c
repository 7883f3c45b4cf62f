/*
 * floor.c - the protocol floor for `make bench`: a FastCGI authorizer that
 * answers every request "Status: 200" and nothing else.
 *
 * Started by lighttpd exactly like authgate (bin-path, the listening
 * socket on fd 0, max-procs), with the same libfcgi loop as src/main.c
 * (FCGX_Accept_r, one write, FCGX_Finish_r), so that what authgate costs
 * beyond it is the decision. Never use it as an authorizer: it allows
 * everything.
 */
#include <signal.h>
#include <stdio.h>

#include <fcgiapp.h>

static const char allow[] = "Status: 200\r\n\r\n";

int
main(void)
{
	FCGX_Request req;

	signal(SIGPIPE, SIG_IGN);
	if (FCGX_Init() != 0 || FCGX_InitRequest(&req, 0, 0) != 0) {
		fprintf(stderr, "floor: cannot initialise FastCGI\n");
		return 2;
	}
	while (FCGX_Accept_r(&req) >= 0) {
		FCGX_PutStr(allow, (int)sizeof(allow) - 1, req.out);
		FCGX_Finish_r(&req);
	}
	return 0;
}
