/*
 * echo_fcgi.c - a FastCGI responder for the integration tests: prints
 * the identity it received (AUTH_* and REMOTE_USER parameters) and every
 * client header that looks like identity (HTTP_*AUTH*, HTTP_REMOTE_USER),
 * one "NAME=value" per line, sorted. Run by spawn-fcgi or a web server.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fcgiapp.h>

static int
cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
main(void)
{
	FCGX_Request req;
	char *lines[256];

	FCGX_Init();
	FCGX_InitRequest(&req, 0, 0);
	while (FCGX_Accept_r(&req) >= 0) {
		size_t n = 0, i;
		char **e;

		for (e = req.envp; *e != NULL && n < 256; e++)
			if (strncmp(*e, "AUTH_", 5) == 0 ||
			    strncmp(*e, "REMOTE_USER=", 12) == 0 ||
			    (strncmp(*e, "HTTP_", 5) == 0 &&
			    (strstr(*e, "AUTH") != NULL ||
			    strncmp(*e, "HTTP_REMOTE_USER=", 17) == 0)))
				lines[n++] = *e;
		qsort(lines, n, sizeof(lines[0]), cmp);
		FCGX_FPrintF(req.out, "Status: 200 OK\r\nContent-Type: text/plain"
		    "\r\nCache-Control: no-store\r\n\r\nbackend: fastcgi %s\n",
		    FCGX_GetParam("REQUEST_URI", req.envp) ?
		    FCGX_GetParam("REQUEST_URI", req.envp) : "-");
		for (i = 0; i < n; i++)
			FCGX_FPrintF(req.out, "%s\n", lines[i]);
		FCGX_Finish_r(&req);
	}
	return 0;
}
