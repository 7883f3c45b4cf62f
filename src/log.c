/*
 * log.c - single-line diagnostics on stderr.
 *
 * Trusts its callers not to pass secrets (see log.h); sanitizes what
 * they pass so a hostile value cannot split a line.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

void
log_msg(const char *fmt, ...)
{
	char line[LOG_MAX_LINE], ts[UTIL_TIME_ISO_LEN + 1];
	va_list ap;
	int len, n;

	if (util_time_format(util_now_ms(), ts, sizeof(ts)) != 0)
		memcpy(ts, "-", 2);
	len = snprintf(line, sizeof(line), "authgate: %s ", ts);
	if (len < 0 || (size_t)len >= sizeof(line))
		return;
	va_start(ap, fmt);
	n = vsnprintf(line + len, sizeof(line) - (size_t)len - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	len += n;
	if ((size_t)len > sizeof(line) - 2)
		len = (int)sizeof(line) - 2;	/* cut, still one line */
	line[len++] = '\n';
	(void)!write(STDERR_FILENO, line, (size_t)len);
}

const char *
log_clean(const char *s, size_t n, char *out, size_t outsz)
{
	size_t i;

	if (outsz == 0)
		return "";
	if (s == NULL)
		n = 0;
	if (n > outsz - 1)
		n = outsz - 1;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		out[i] = (util_is_control(c) || c == ' ' || c == '"' ||
		    c == '\\') ? '?' : (char)c;
	}
	out[n] = '\0';
	if (n == 0 && outsz >= 2) {
		out[0] = '-';
		out[1] = '\0';
	}
	return out;
}
