/*
 * log.h - one line per event on stderr (the web server's error log).
 *
 * Callers pass reason codes and ids only, never a token, key, cookie,
 * signature, secret or body. Lines are written with one write(2) so
 * concurrent workers never interleave within a line.
 */
#ifndef AUTHGATE_LOG_H
#define AUTHGATE_LOG_H

#define LOG_MAX_LINE	1024	/* longer lines are cut, never split */

/* Writes "authgate: <UTC time> <message>\n" to stderr. */
void	log_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Copies at most n bytes of s into out (outsz bytes) for a log line,
 * replacing control bytes, spaces, quotes and backslashes with '?', so a
 * logged path cannot forge or split a line. Returns out.
 */
const char	*log_clean(const char *s, size_t n, char *out, size_t outsz);

#endif
