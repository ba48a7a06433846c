/* util.c — clocks, growable buffers, strict number parsing and escaping of untrusted text.
 * Nothing here knows about containers; nothing here keeps state between calls. */
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

int64_t now_mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t now_wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

char *fmt_iso8601_ms(int64_t wall_ms, char *buf, size_t len)
{
	time_t secs = (time_t)(wall_ms / 1000);
	int ms = (int)(wall_ms % 1000);
	struct tm tm;
	if (ms < 0) {
		ms += 1000;
		secs -= 1;
	}
	if (len == 0)
		return buf;
	buf[0] = '\0';
	if (!gmtime_r(&secs, &tm))
		return buf;
	int year = tm.tm_year + 1900;
	if (year < 0 || year > 9999 || len < 25) {
		snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", year, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		         tm.tm_min, tm.tm_sec, ms);
		return buf;
	}
	/* The same text without printf: every metrics CSV row carries one or two of these. */
	const int field[] = {year, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms};
	const int width[] = {4, 2, 2, 2, 2, 2, 3};
	const char after[] = "--T::.Z";
	char *p = buf;
	for (size_t f = 0; f < ARRAY_LEN(field); f++) {
		for (int d = width[f] - 1, v = field[f]; d >= 0; d--, v /= 10)
			p[d] = (char)('0' + v % 10);
		p += width[f];
		*p++ = after[f];
	}
	*p = '\0';
	return buf;
}

static int digits(const char **p, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (**p < '0' || **p > '9')
			return -1;
		v = v * 10 + (**p - '0');
		(*p)++;
	}
	*out = v;
	return 0;
}

int parse_rfc3339_ms(const char *s, int64_t *out_ms)
{
	int y, mo, d, h, mi, sec, ms = 0;
	const char *p = s;
	if (!s)
		return -1;
	if (digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo) || *p++ != '-' || digits(&p, 2, &d))
		return -1;
	if (*p != 'T' && *p != 't' && *p != ' ')
		return -1;
	p++;
	if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &mi) || *p++ != ':' || digits(&p, 2, &sec))
		return -1;
	if (*p == '.') {
		int scale = 100;
		p++;
		if (*p < '0' || *p > '9')
			return -1;
		while (*p >= '0' && *p <= '9') {
			ms += (*p - '0') * scale;
			scale /= 10;
			p++;
		}
	}
	int offset_min = 0;
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int sign = *p == '-' ? -1 : 1, oh, om;
		p++;
		if (digits(&p, 2, &oh) || *p++ != ':' || digits(&p, 2, &om))
			return -1;
		offset_min = sign * (oh * 60 + om);
	} else {
		return -1;
	}
	if (*p != '\0' || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
		return -1;
	if (y <= 1) { /* Go's zero time: "never" */
		*out_ms = 0;
		return 0;
	}
	/* Days from civil (Howard Hinnant's algorithm), independent of the process time zone. */
	int yy = mo <= 2 ? y - 1 : y;
	int era = (yy >= 0 ? yy : yy - 399) / 400;
	unsigned yoe = (unsigned)(yy - era * 400);
	unsigned doy = (unsigned)((153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1);
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	int64_t days = (int64_t)era * 146097 + (int64_t)doe - 719468;
	int64_t secs = days * 86400 + h * 3600 + mi * 60 + sec - (int64_t)offset_min * 60;
	*out_ms = secs * 1000 + ms;
	return 0;
}

int grow_array(void *arr, size_t *cap, size_t n, size_t elem, size_t first_cap)
{
	if (n < *cap)
		return 0;
	if (*cap > SIZE_MAX / 2 / elem || first_cap > SIZE_MAX / elem)
		return -1; /* doubling would overflow (and realloc to a wrapped size could free the array) */
	size_t nc = *cap ? *cap * 2 : first_cap;
	void *old, *p;
	memcpy(&old, arr, sizeof old); /* arr points to a T *: copied, not read through a void ** */
	if (!nc || !(p = realloc(old, nc * elem)))
		return -1;
	memcpy(arr, &p, sizeof p);
	*cap = nc;
	return 0;
}

void buf_init(struct buf *b)
{
	b->data = NULL;
	b->len = b->cap = 0;
}

void buf_free(struct buf *b)
{
	free(b->data);
	buf_init(b);
}

void buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

static int buf_reserve(struct buf *b, size_t extra)
{
	if (extra > SIZE_MAX - b->len - 1)
		return -1;
	size_t need = b->len + extra + 1;
	if (need <= b->cap)
		return 0;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	char *p = realloc(b->data, cap);
	if (!p)
		return -1;
	b->data = p;
	b->cap = cap;
	return 0;
}

int buf_append(struct buf *b, const void *p, size_t n)
{
	if (buf_reserve(b, n))
		return -1;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int buf_puts(struct buf *b, const char *s)
{
	return buf_append(b, s, strlen(s));
}

int buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	char small[256];
	va_start(ap, fmt);
	int n = vsnprintf(small, sizeof small, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	if ((size_t)n < sizeof small)
		return buf_append(b, small, (size_t)n);
	if (buf_reserve(b, (size_t)n))
		return -1;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

int buf_int(struct buf *b, long long v)
{
	char tmp[24];
	size_t n = sizeof tmp;
	unsigned long long u = v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;
	do
		tmp[--n] = (char)('0' + u % 10);
	while ((u /= 10) != 0);
	if (v < 0)
		tmp[--n] = '-';
	return buf_append(b, tmp + n, sizeof tmp - n);
}

int buf_fixed(struct buf *b, double v, int decimals)
{
	static const double scale[] = {1, 10, 100, 1000, 10000, 100000, 1000000};
	if (decimals < 0 || decimals >= (int)ARRAY_LEN(scale) || !isfinite(v))
		return buf_printf(b, "%.*f", decimals, v);
	/* printf rounds v's exact binary value to the nearest at that many decimals (a tie to even). a below
	 * has v × 10^decimals to within a relative 2^-52, so it rounds the same way unless it is that close to a
	 * tie; those, and numbers too big for the integer, go the slow way. */
	double a = fabs(v) * scale[decimals];
	if (!(a < 1e15))
		return buf_printf(b, "%.*f", decimals, v);
	double whole = floor(a), frac = a - whole;
	if (fabs(frac - 0.5) <= a * 1e-15 + 1e-12)
		return buf_printf(b, "%.*f", decimals, v);
	unsigned long long u = (unsigned long long)whole + (frac > 0.5);
	char tmp[32];
	size_t n = sizeof tmp;
	for (int i = 0; i < decimals; i++, u /= 10)
		tmp[--n] = (char)('0' + u % 10);
	if (decimals > 0)
		tmp[--n] = '.';
	do
		tmp[--n] = (char)('0' + u % 10);
	while ((u /= 10) != 0);
	if (signbit(v)) /* as printf: -0.001 is "-0.00" */
		tmp[--n] = '-';
	return buf_append(b, tmp + n, sizeof tmp - n);
}

/* Length of the valid UTF-8 sequence at p (1..4), or 0 if it is not valid. */
static size_t utf8_len(const unsigned char *p, size_t avail)
{
	unsigned char c = p[0];
	size_t n;
	uint32_t cp;
	if (c < 0x80)
		return 1;
	if ((c & 0xE0) == 0xC0) {
		n = 2;
		cp = c & 0x1F;
	} else if ((c & 0xF0) == 0xE0) {
		n = 3;
		cp = c & 0x0F;
	} else if ((c & 0xF8) == 0xF0) {
		n = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if (n > avail)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3F);
	}
	if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10FFFF ||
	    (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	if (cp >= 0x80 && cp < 0xA0) /* C1 controls: ESC-equivalents in some terminals */
		return 0;
	return n;
}

int buf_term_safe(struct buf *b, const char *s, size_t max_bytes)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t len = strlen((const char *)p);
	if (max_bytes && len > max_bytes)
		len = max_bytes;
	size_t i = 0;
	while (i < len) {
		if (p[i] < 0x20 || p[i] == 0x7F) {
			if (buf_append(b, "?", 1))
				return -1;
			i++;
			continue;
		}
		size_t n = utf8_len(p + i, len - i);
		if (n == 0) {
			if (buf_append(b, "?", 1))
				return -1;
			i++;
			continue;
		}
		if (buf_append(b, p + i, n))
			return -1;
		i += n;
	}
	return 0;
}

int buf_csv_field(struct buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t len = strlen((const char *)p);
	bool quote = len > 0 && (p[0] == ' ' || p[len - 1] == ' ');
	for (size_t i = 0; i < len && !quote; i++)
		if (p[i] == ',' || p[i] == '"' || p[i] == '\r' || p[i] == '\n')
			quote = true;
	if (quote && buf_append(b, "\"", 1))
		return -1;
	size_t i = 0;
	while (i < len) {
		unsigned char c = p[i];
		if (c == '"') {
			if (buf_append(b, "\"\"", 2))
				return -1;
			i++;
		} else if (c == '\r' || c == '\n' || c == '\t') {
			if (buf_append(b, &p[i], 1))
				return -1;
			i++;
		} else if (c < 0x20 || c == 0x7F) {
			if (buf_append(b, "?", 1))
				return -1;
			i++;
		} else if (c == 0xC2 && i + 1 < len && p[i + 1] >= 0x80 && p[i + 1] <= 0x9F) {
			/* A C1 control (U+0080..U+009F; U+009B is CSI): as dangerous as ESC to whoever cats the file. */
			if (buf_append(b, "?", 1))
				return -1;
			i += 2;
		} else {
			size_t n = utf8_len(p + i, len - i);
			if (n == 0) {
				if (buf_append(b, "?", 1))
					return -1;
				i++;
			} else {
				if (buf_append(b, p + i, n))
					return -1;
				i += n;
			}
		}
	}
	if (quote && buf_append(b, "\"", 1))
		return -1;
	return 0;
}

static const char *skip_blanks(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

static bool only_blanks(const char *s)
{
	return *skip_blanks(s) == '\0';
}

int parse_double(const char *s, double *out)
{
	char *end;
	if (!s)
		return -1;
	s = skip_blanks(s);
	if (*s == '\0')
		return -1;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || !only_blanks(end) || !isfinite(v))
		return -1;
	*out = v;
	return 0;
}

int parse_int64(const char *s, int64_t *out)
{
	char *end;
	if (!s)
		return -1;
	s = skip_blanks(s);
	if (*s == '\0')
		return -1;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || end == s || !only_blanks(end))
		return -1;
	*out = v;
	return 0;
}

int parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = {"1", "true", "yes", "on"};
	static const char *const no[] = {"0", "false", "no", "off"};
	if (!s)
		return -1;
	for (size_t i = 0; i < ARRAY_LEN(yes); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return -1;
}

char *read_file(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	struct buf b;
	buf_init(&b);
	char chunk[4096];
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof chunk);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			int e = errno;
			close(fd);
			buf_free(&b);
			errno = e;
			return NULL;
		}
		if (n == 0)
			break;
		if (buf_append(&b, chunk, (size_t)n)) {
			close(fd);
			buf_free(&b);
			errno = ENOMEM;
			return NULL;
		}
	}
	close(fd);
	if (!b.data && buf_append(&b, "", 0)) {
		errno = ENOMEM;
		return NULL;
	}
	if (len)
		*len = b.len;
	return b.data;
}

char *xstrdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

void url_redact(const char *url, char *out, size_t len)
{
	if (!url) {
		snprintf(out, len, "%s", "");
		return;
	}
	const char *scheme = strstr(url, "://");
	const char *host = scheme ? scheme + 3 : url;
	const char *at = strrchr(host, '@');
	if (at)
		snprintf(out, len, "%.*s***@%s", (int)(host - url), url, at + 1);
	else
		snprintf(out, len, "%s", url);
}

size_t utf8_seq_len(const unsigned char *s, size_t avail)
{
	if (!avail)
		return 0;
	if (s[0] < 0x80)
		return 1;
	size_t len;
	uint32_t cp, min;
	if (s[0] >= 0xC2 && s[0] <= 0xDF) {
		len = 2, cp = s[0] & 0x1Fu, min = 0x80;
	} else if (s[0] >= 0xE0 && s[0] <= 0xEF) {
		len = 3, cp = s[0] & 0x0Fu, min = 0x800;
	} else if (s[0] >= 0xF0 && s[0] <= 0xF4) {
		len = 4, cp = s[0] & 0x07u, min = 0x10000;
	} else {
		return 0;
	}
	if (avail < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3Fu);
	}
	if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return len;
}
