/*
 * echo_fcgi.c - a FastCGI responder for the integration tests: prints
 * the identity it received (AUTH_* and REMOTE_USER parameters) and every
 * client header that could pass for identity (HTTP_*AUTH*,
 * HTTP_*REMOTE_USER*, the HTTP_*FORWARDED_USER family, HTTP_VARIABLE_*),
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

/* A client header (HTTP_NAME=value) whose name could pass for identity. */
static int
identity_like(const char *var)
{
	static const char *const parts[] = { "AUTH", "REMOTE_USER",
	    "FORWARDED_USER", "FORWARDED_EMAIL", "FORWARDED_GROUPS",
	    "FORWARDED_PREFERRED" };
	const char *eq = strchr(var, '=');
	size_t i, len = eq != NULL ? (size_t)(eq - var) : strlen(var);
	char name[256];

	if (len >= sizeof(name))
		return 1;
	memcpy(name, var, len);
	name[len] = '\0';
	if (strncmp(name, "HTTP_VARIABLE_", 14) == 0)
		return 1;
	for (i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
		if (strstr(name, parts[i]) != NULL)
			return 1;
	return 0;
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
			    (strncmp(*e, "HTTP_", 5) == 0 && identity_like(*e)))
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
