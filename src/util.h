/*
 * util.h - small pure helpers shared by every module: bounded copies,
 * base64, hex, time parsing and formatting, header-value validation.
 *
 * Owns nothing. Trusts nothing: every function takes explicit lengths and
 * reports truncation as an error. Never allocates, never does I/O (except
 * util_now_ms and util_mono_ms, which read the clocks).
 */
#ifndef AUTHGATE_UTIL_H
#define AUTHGATE_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* A result the caller must look at (an error, a length, a verdict):
 * ignoring one is a compile error. */
#define UTIL_MUST_CHECK	__attribute__((warn_unused_result))

/* A borrowed byte range; never NUL-terminated by contract. */
struct slice {
	const char	*p;
	size_t		 n;
};

#define UTIL_TIME_ISO_LEN	24	/* "2026-11-23T15:00:00.000Z" */

/*
 * Copies n bytes of src into dst and terminates it.
 * Returns 0, or -1 (dst left empty) when dst cannot hold n + 1 bytes.
 */
int	util_copy(char *dst, size_t dstsz, const char *src, size_t n) UTIL_MUST_CHECK;

/* Returns 1 for a control byte (below 0x20, or DEL): never in a header
 * value, a path or a log line. Inline: the parsers ask it of every byte. */
static inline int
util_is_control(unsigned char c)
{
	return c < 0x20 || c == 0x7f;
}

/*
 * Epoch seconds or milliseconds, as stores and senders write them, in
 * milliseconds: a value below 1e11 can only be seconds (as milliseconds
 * it would be 1973). Negative values are left alone.
 */
int64_t	util_epoch_ms(int64_t v);

/* Returns 1 if a and b (explicit lengths) are equal ignoring ASCII case. */
int	util_ieq(const char *a, size_t an, const char *b, size_t bn);

/*
 * Returns 1 if the n bytes are fit for an HTTP header value: no NUL, no
 * CR, LF or other control character, no DEL. Bytes >= 0x80 (UTF-8) pass.
 */
int	util_header_value_ok(const char *s, size_t n);

/*
 * Standard (url == 0: '+', '/', '=' padding) or URL-safe (url == 1: '-',
 * '_', no padding) base64 of n bytes into out, NUL-terminated.
 * Returns the encoded length, or 0 if out is too small.
 */
size_t	util_b64_encode(const unsigned char *in, size_t n, char *out,
	    size_t outsz, int url) UTIL_MUST_CHECK;

/*
 * Decodes standard base64 (padding required when the length is not a
 * multiple of 4) into out. Returns the decoded length, or -1 on any
 * invalid character, bad padding or when out is too small.
 */
long	util_b64_decode(const char *in, size_t n, unsigned char *out,
	    size_t outsz) UTIL_MUST_CHECK;

/* Lowercase hex of n bytes into out (2n + 1 bytes), NUL-terminated. */
void	util_hex(const unsigned char *in, size_t n, char *out);

/*
 * Parses a date as stored by better-auth's adapters: ISO-8601 text
 * ("2026-11-23T15:00:00.000Z", "2026-11-23 15:00:00", with optional
 * fraction and Z or +hh:mm offset) or a decimal count of epoch
 * milliseconds. Returns 0 and sets *ms, or -1 if the text is neither.
 */
int	util_time_parse(const char *s, size_t n, int64_t *ms) UTIL_MUST_CHECK;

/*
 * Formats epoch milliseconds as ISO-8601 UTC with milliseconds into out
 * (at least UTIL_TIME_ISO_LEN + 1 bytes). Returns 0, or -1.
 */
int	util_time_format(int64_t ms, char *out, size_t outsz) UTIL_MUST_CHECK;

/* Current wall-clock time in epoch milliseconds. */
int64_t	util_now_ms(void);

/* A monotonic clock in milliseconds, coarse and cheap (a few ms of
 * resolution): for "at most once per interval", never for dates. */
int64_t	util_mono_ms(void);

/*
 * Parses a non-negative decimal integer of at most 18 digits.
 * Returns 0 and sets *v, or -1.
 */
int	util_parse_u64(const char *s, size_t n, uint64_t *v) UTIL_MUST_CHECK;

/* Unpadded base64url (RFC 4648 section 5) of in (n bytes) into out:
 * the byte count, or -1 for anything not canonical or too long. */
long	util_b64url_decode(const char *in, size_t n, unsigned char *out,
	    size_t outsz);

/* The value of one base64 digit (url: the base64url alphabet, '-' and
 * '_' for 62 and 63), or -1 for anything else. */
int	util_b64_val(unsigned char c, int url);

/*
 * Maps path, a file of exactly size bytes that every process mapping it
 * shares (MAP_SHARED), and returns it with the file locked (flock
 * LOCK_EX) in *fd, so that two processes starting together agree on
 * who made it. A file that is absent or empty is made at that size
 * (mode, owned like its directory when root makes it, all zero) and
 * *fresh is 1; then the caller writes its header, else checks it, and
 * calls util_map_release(*fd) either way. NULL with one line in err,
 * which names the file by what ("metrics", "state file"): not a
 * regular file, another size, or a system call that failed.
 */
void	*util_map_file(const char *what, const char *path, size_t size,
	    unsigned mode, int *fd, int *fresh, char *err, size_t errsz);

/* Ends util_map_file's lock; the mapping stays. */
void	 util_map_release(int fd);

#endif
