/*
 * util.c - pure helpers: bounded copies, base64, hex, dates.
 *
 * Trusts nothing it is given; every loop is bounded by an explicit
 * length. Never allocates.
 */
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

int
util_copy(char *dst, size_t dstsz, const char *src, size_t n)
{
	if (dstsz == 0)
		return -1;
	if (n >= dstsz) {
		dst[0] = '\0';
		return -1;
	}
	if (n > 0)
		memcpy(dst, src, n);
	dst[n] = '\0';
	return 0;
}

static int
lower(int c)
{
	return (c >= 'A' && c <= 'Z') ? c + 32 : c;
}

int
util_ieq(const char *a, size_t an, const char *b, size_t bn)
{
	size_t i;

	if (an != bn)
		return 0;
	for (i = 0; i < an; i++)
		if (lower((unsigned char)a[i]) != lower((unsigned char)b[i]))
			return 0;
	return 1;
}

int64_t
util_epoch_ms(int64_t v)
{
	return v >= 0 && v < 100000000000LL ? v * 1000 : v;
}

int
util_header_value_ok(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (util_is_control((unsigned char)s[i]))
			return 0;
	return 1;
}

static const char b64_std[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char b64_url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

size_t
util_b64_encode(const unsigned char *in, size_t n, char *out, size_t outsz,
    int url)
{
	const char *al = url ? b64_url : b64_std;
	size_t need, i, o = 0;

	need = url ? (n * 4 + 2) / 3 : ((n + 2) / 3) * 4;
	if (outsz < need + 1)
		return 0;
	for (i = 0; i + 2 < n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 |
		    in[i + 2];
		out[o++] = al[v >> 18 & 63];
		out[o++] = al[v >> 12 & 63];
		out[o++] = al[v >> 6 & 63];
		out[o++] = al[v & 63];
	}
	if (n - i == 1) {
		uint32_t v = (uint32_t)in[i] << 16;
		out[o++] = al[v >> 18 & 63];
		out[o++] = al[v >> 12 & 63];
		if (!url) {
			out[o++] = '=';
			out[o++] = '=';
		}
	} else if (n - i == 2) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
		out[o++] = al[v >> 18 & 63];
		out[o++] = al[v >> 12 & 63];
		out[o++] = al[v >> 6 & 63];
		if (!url)
			out[o++] = '=';
	}
	out[o] = '\0';
	return o;
}

int
util_b64_val(unsigned char c, int url)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == (url ? '-' : '+'))
		return 62;
	if (c == (url ? '_' : '/'))
		return 63;
	return -1;
}

/* The digits of in (n, no padding) of one alphabet into out: -1 for a
 * bad digit, an overflow or unused low bits that are not zero (one
 * spelling per byte string). */
static long
b64_digits(const char *in, size_t n, int url, unsigned char *out,
    size_t outsz)
{
	size_t i, o = 0;
	uint32_t acc = 0;
	int bits = 0, v;

	for (i = 0; i < n; i++) {
		if ((v = util_b64_val((unsigned char)in[i], url)) < 0)
			return -1;
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o >= outsz)
				return -1;
			out[o++] = (unsigned char)(acc >> bits & 0xff);
		}
	}
	if ((acc & ((1u << bits) - 1)) != 0)
		return -1;
	return (long)o;
}

long
util_b64_decode(const char *in, size_t n, unsigned char *out, size_t outsz)
{
	size_t pad = 0;

	if (n % 4 != 0)
		return -1;
	if (n >= 1 && in[n - 1] == '=')
		pad++;
	if (n >= 2 && in[n - 2] == '=')
		pad++;
	return b64_digits(in, n - pad, 0, out, outsz);
}

long
util_b64url_decode(const char *in, size_t n, unsigned char *out,
    size_t outsz)
{
	if (n % 4 == 1)
		return -1;	/* no byte count ends there */
	return b64_digits(in, n, 1, out, outsz);
}

void
util_hex(const unsigned char *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

int
util_parse_u64(const char *s, size_t n, uint64_t *v)
{
	uint64_t acc = 0;
	size_t i;

	if (n == 0 || n > 18)
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		acc = acc * 10 + (uint64_t)(s[i] - '0');
	}
	*v = acc;
	return 0;
}

/* Reads exactly w digits at s[*i]; returns -1 if any is not a digit. */
static int
digits(const char *s, size_t n, size_t *i, int w, int *out)
{
	int v = 0, k;

	if (*i + (size_t)w > n)
		return -1;
	for (k = 0; k < w; k++) {
		char c = s[*i + (size_t)k];
		if (c < '0' || c > '9')
			return -1;
		v = v * 10 + (c - '0');
	}
	*i += (size_t)w;
	*out = v;
	return 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian civil date. */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

int
util_time_parse(const char *s, size_t n, int64_t *ms)
{
	int y, mo, d, h = 0, mi = 0, se = 0, frac = 0, oh, om;
	int64_t off = 0, t;
	size_t i = 0;
	uint64_t num;

	if (n > 0 && n <= 18 && util_parse_u64(s, n, &num) == 0) {
		*ms = (int64_t)num;
		return 0;
	}
	if (digits(s, n, &i, 4, &y) || i >= n || s[i++] != '-' ||
	    digits(s, n, &i, 2, &mo) || i >= n || s[i++] != '-' ||
	    digits(s, n, &i, 2, &d))
		return -1;
	if (i < n && (s[i] == 'T' || s[i] == ' ')) {
		i++;
		if (digits(s, n, &i, 2, &h) || i >= n || s[i++] != ':' ||
		    digits(s, n, &i, 2, &mi))
			return -1;
		if (i < n && s[i] == ':') {
			i++;
			if (digits(s, n, &i, 2, &se))
				return -1;
			if (i < n && s[i] == '.') {
				int scale = 100, k = 0;
				i++;
				while (i < n && s[i] >= '0' && s[i] <= '9') {
					if (k++ < 3) {
						frac += (s[i] - '0') * scale;
						scale /= 10;
					}
					i++;
				}
				if (k == 0)
					return -1;
			}
		}
		if (i < n && s[i] == 'Z') {
			i++;
		} else if (i < n && (s[i] == '+' || s[i] == '-')) {
			int sign = s[i++] == '-' ? -1 : 1;
			if (digits(s, n, &i, 2, &oh))
				return -1;
			if (i < n && s[i] == ':')
				i++;
			if (digits(s, n, &i, 2, &om))
				return -1;
			if (oh > 23 || om > 59)
				return -1;
			off = sign * (int64_t)(oh * 60 + om) * 60000;
		}
	}
	if (i != n)
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
	    se > 60)
		return -1;
	/* No February 30th: the day must exist in that month. */
	if (d > 28 && days_from_civil(y, mo, d) >=
	    days_from_civil(y + (mo == 12), mo % 12 + 1, 1))
		return -1;
	t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se;
	*ms = t * 1000 + frac - off;
	return 0;
}

int
util_time_format(int64_t ms, char *out, size_t outsz)
{
	int64_t secs, days, sod, z, era, doe, yoe, y, doy, mp, d, m;
	int64_t rem;
	int i;

	/* four-digit years: 0000-01-01T00:00:00.000Z to 9999-12-31T23:59:59.999Z */
	if (outsz < UTIL_TIME_ISO_LEN + 1 || ms < -62167219200000LL ||
	    ms > 253402300799999LL) {
		if (outsz > 0)
			out[0] = '\0';
		return -1;
	}
	/* floor divisions: -1 ms is 1969-12-31T23:59:59.999Z */
	rem = ((ms % 1000) + 1000) % 1000;
	secs = (ms - rem) / 1000;
	sod = ((secs % 86400) + 86400) % 86400;
	days = (secs - sod) / 86400;
	/* days since 1970-01-01 to a civil date (proleptic Gregorian) */
	z = days + 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = doy - (153 * mp + 2) / 5 + 1;
	m = mp < 10 ? mp + 3 : mp - 9;
	y += m <= 2;
	{
		const int64_t f[] = { y / 1000, y / 100 % 10, y / 10 % 10,
		    y % 10, m / 10, m % 10, d / 10, d % 10, sod / 36000,
		    sod / 3600 % 10, sod % 3600 / 600, sod % 3600 / 60 % 10,
		    sod % 60 / 10, sod % 10, rem / 100, rem / 10 % 10,
		    rem % 10 };
		static const char layout[] = "dddd-dd-ddTdd:dd:dd.dddZ";
		size_t k = 0;

		for (i = 0; layout[i] != '\0'; i++)
			out[i] = layout[i] == 'd' ? (char)('0' + f[k++]) :
			    layout[i];
		out[i] = '\0';
	}
	return 0;
}

int64_t
util_now_ms(void)
{
	struct timespec ts;

	/* Invariant: a broken clock makes everything look expired (deny). */
	if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
		return INT64_MAX;
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
util_mono_ms(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC_COARSE, &ts) != 0 &&
	    clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
		return 0;
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The owner of the directory path is in. 0, or -1. */
static int
dir_owner(const char *path, struct stat *st)
{
	char dir[4096];
	const char *slash = strrchr(path, '/');
	size_t n;

	if (slash == NULL)
		return stat(".", st);
	n = slash == path ? 1 : (size_t)(slash - path);
	if (n >= sizeof(dir))
		return -1;
	memcpy(dir, path, n);
	dir[n] = '\0';
	return stat(dir, st);
}

void *
util_map_file(const char *what, const char *path, size_t size, unsigned mode,
    int *fd, int *fresh, char *err, size_t errsz)
{
	struct stat st, dst;
	void *m;

	*fresh = 0;
	if ((*fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
	    (mode_t)mode)) < 0) {
		snprintf(err, errsz, "%s: cannot open %s: %s", what, path,
		    strerror(errno));
		return NULL;
	}
	if (flock(*fd, LOCK_EX) != 0 || fstat(*fd, &st) != 0) {
		snprintf(err, errsz, "%s: cannot lock %s: %s", what, path,
		    strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errsz, "%s: %s is not a regular file", what,
		    path);
		goto fail;
	}
	if (st.st_size == 0) {
		/* Made by root (`authgate serve` before it drops root, an
		 * admin's command): owned like its directory, as SQLite
		 * does with the -wal and -shm it makes, so the processes
		 * of the user that owns the directory can share it. */
		if (geteuid() == 0 && dir_owner(path, &dst) == 0 &&
		    fchown(*fd, dst.st_uid, dst.st_gid) != 0) {
			snprintf(err, errsz, "%s: cannot hand %s to its"
			    " directory's owner: %s", what, path,
			    strerror(errno));
			goto fail;
		}
		if (ftruncate(*fd, (off_t)size) != 0) {
			snprintf(err, errsz, "%s: cannot size %s: %s", what,
			    path, strerror(errno));
			goto fail;
		}
		*fresh = 1;
	} else if ((uint64_t)st.st_size != (uint64_t)size) {
		snprintf(err, errsz, "%s: %s is not a %s file of this version"
		    " (size %lld; remove it while authgate is stopped)", what,
		    path, what, (long long)st.st_size);
		goto fail;
	}
	m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, *fd, 0);
	if (m != MAP_FAILED)
		return m;
	snprintf(err, errsz, "%s: cannot map %s: %s", what, path,
	    strerror(errno));
fail:
	util_map_release(*fd);
	*fd = -1;
	return NULL;
}

void
util_map_release(int fd)
{
	/* Invariant: unlocked explicitly; the mapping keeps what it needs
	 * of the open file after close. */
	if (fd >= 0) {
		flock(fd, LOCK_UN);
		close(fd);
	}
}
