/* alertlog.c — the alert log's logfmt lines: escaping of untrusted text so one line is one record, the
 * parser that reverses it exactly, and whole-line appends that are synced before the caller goes on.
 * It never decides what fires and never sends anything. */
#include "alertlog.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- writing ------------------------------------------------------------------------------------------ */

static bool bare_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
	       c == ':' || c == '/' || c == '@' || c == '+' || c == '%' || c == ',' || c == '-';
}

static int append_escaped(struct buf *b, const char *value)
{
	const unsigned char *s = (const unsigned char *)value;
	size_t n = strlen(value);
	bool bare = n > 0;
	for (size_t i = 0; i < n && bare; i++)
		bare = bare_char(s[i]);
	if (bare)
		return buf_append(b, value, n);
	int rc = buf_puts(b, "\"");
	for (size_t i = 0; i < n && rc == 0;) {
		unsigned char c = s[i];
		if (c == '"' || c == '\\') {
			char e[2] = {'\\', (char)c};
			rc = buf_append(b, e, 2);
			i++;
		} else if (c == '\n') {
			rc = buf_puts(b, "\\n");
			i++;
		} else if (c == '\r') {
			rc = buf_puts(b, "\\r");
			i++;
		} else if (c == '\t') {
			rc = buf_puts(b, "\\t");
			i++;
		} else if (c < 0x20 || c == 0x7F) {
			rc = buf_printf(b, "\\x%02x", c);
			i++;
		} else if (c < 0x80) {
			rc = buf_append(b, &s[i], 1);
			i++;
		} else {
			size_t len = utf8_seq_len(s + i, n - i);
			/* C1 controls (U+0080..U+009F) act on terminals like ESC does: escape their bytes too. */
			if (len == 0 || (len == 2 && c == 0xC2 && s[i + 1] < 0xA0)) {
				size_t k = len ? len : 1;
				for (size_t j = 0; j < k && rc == 0; j++)
					rc = buf_printf(b, "\\x%02x", s[i + j]);
				i += k;
			} else {
				rc = buf_append(b, &s[i], len);
				i += len;
			}
		}
	}
	if (rc == 0)
		rc = buf_puts(b, "\"");
	return rc;
}

int logfmt_append(struct buf *b, const char *key, const char *value)
{
	int rc = 0;
	if (b->len && b->data[b->len - 1] != '\n')
		rc = buf_puts(b, " ");
	if (rc == 0)
		rc = buf_printf(b, "%s=", key);
	return rc ? rc : append_escaped(b, value ? value : "");
}

static void fmt_number(double v, char *out, size_t len)
{
	if (fabs(v) < 1e15 && v == floor(v)) {
		snprintf(out, len, "%.0f", v);
		return;
	}
	snprintf(out, len, "%.3f", v);
	char *dot = strchr(out, '.');
	if (dot) {
		char *e = out + strlen(out);
		while (e > dot + 1 && e[-1] == '0')
			*--e = '\0';
	}
}

int alertlog_format(struct buf *b, const struct alert_transition *t)
{
	char ts[32], since[32], num[64];
	size_t start = b->len;
	struct buf line;
	buf_init(&line);
	int rc = logfmt_append(&line, "ts", fmt_iso8601_ms(t->ts_ms, ts, sizeof ts));
	rc |= logfmt_append(&line, "level", alert_severity_name(t->sev));
	rc |= logfmt_append(&line, "state", t->firing ? "firing" : "resolved");
	rc |= logfmt_append(&line, "alert", alert_kind_name(t->kind));
	rc |= logfmt_append(&line, "container", t->container);
	rc |= logfmt_append(&line, "container_id", t->container_id);
	if (t->host[0])
		rc |= logfmt_append(&line, "host", t->host);
	if (!isnan(t->value)) {
		fmt_number(t->value, num, sizeof num);
		rc |= logfmt_append(&line, "value", num);
	}
	if (!isnan(t->threshold)) {
		fmt_number(t->threshold, num, sizeof num);
		rc |= logfmt_append(&line, "threshold", num);
	}
	if (t->since_ms)
		rc |= logfmt_append(&line, "since", fmt_iso8601_ms(t->since_ms, since, sizeof since));
	snprintf(num, sizeof num, "%llu", (unsigned long long)t->seq);
	rc |= logfmt_append(&line, "seq", num);
	rc |= logfmt_append(&line, "msg", t->msg);
	rc |= buf_puts(&line, "\n");
	if (rc == 0)
		rc = buf_append(b, line.data, line.len);
	if (rc)
		b->len = start;
	buf_free(&line);
	return rc ? -1 : 0;
}

/* ---- parsing ------------------------------------------------------------------------------------------ */

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int logfmt_next(const char **pp, const char *end, char *key, size_t keylen, struct buf *val, char *err,
                size_t errlen)
{
	const char *p = *pp;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if (p < end && (*p == '\n' || *p == '\r')) /* the line's end */
		p = end;
	if (p >= end) {
		*pp = p;
		return 0;
	}
	const char *k = p;
	while (p < end && *p != '=' && *p != ' ')
		p++;
	size_t kl = (size_t)(p - k);
	if (p >= end || *p != '=' || kl == 0 || kl >= keylen) {
		/* The line need not be NUL-terminated: show at most what is left of it. */
		int shown = end - k < 20 ? (int)(end - k) : 20;
		snprintf(err, errlen, "expected key=value at \"%.*s\"", shown, k);
		return -1;
	}
	memcpy(key, k, kl);
	key[kl] = '\0';
	p++;
	buf_reset(val);
	if (buf_append(val, "", 0)) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (p < end && *p == '"') {
		p++;
		for (;;) {
			if (p >= end || *p == '\n') {
				snprintf(err, errlen, "unterminated quote in %s", key);
				return -1;
			}
			char c = *p++;
			if (c == '"')
				break;
			if (c != '\\') {
				if (buf_append(val, &c, 1))
					goto oom;
				continue;
			}
			if (p >= end) {
				snprintf(err, errlen, "unterminated escape in %s", key);
				return -1;
			}
			char e = *p++, out;
			switch (e) {
			case '"':
			case '\\':
				out = e;
				break;
			case 'n':
				out = '\n';
				break;
			case 'r':
				out = '\r';
				break;
			case 't':
				out = '\t';
				break;
			case 'x': {
				int hi = p < end ? hexval(p[0]) : -1, lo = p + 1 < end ? hexval(p[1]) : -1;
				if (hi < 0 || lo < 0) {
					snprintf(err, errlen, "bad \\x escape in %s", key);
					return -1;
				}
				out = (char)(hi * 16 + lo);
				p += 2;
				break;
			}
			default:
				snprintf(err, errlen, "unknown escape \\%c in %s", e, key);
				return -1;
			}
			if (buf_append(val, &out, 1))
				goto oom;
		}
		if (p < end && *p != ' ' && *p != '\n' && *p != '\r' && *p != '\t') {
			snprintf(err, errlen, "text after the closing quote of %s", key);
			return -1;
		}
	} else {
		const char *v = p;
		while (p < end && *p != ' ' && *p != '\n' && *p != '\r' && *p != '\t')
			p++;
		if (buf_append(val, v, (size_t)(p - v)))
			goto oom;
	}
	*pp = p;
	return 1;
oom:
	snprintf(err, errlen, "out of memory");
	return -1;
}

/* Copies at most size-1 bytes, never cutting a UTF-8 sequence in two. */
static void copy_text(char *dst, size_t size, const char *src, size_t n)
{
	if (n >= size) {
		n = size - 1;
		while (n > 0 && ((unsigned char)src[n] & 0xC0) == 0x80)
			n--;
	}
	memcpy(dst, src, n);
	dst[n] = '\0';
}

int alertlog_parse(const char *line, size_t len, struct alert_transition *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof *out);
	out->value = out->threshold = NAN;
	const char *p = line, *end = line + len;
	char key[32];
	struct buf val;
	buf_init(&val);
	bool have_ts = false, have_level = false, have_state = false, have_alert = false;
	int rc, result = -1;
	while ((rc = logfmt_next(&p, end, key, sizeof key, &val, err, errlen)) == 1) {
		const char *v = val.data;
		if (strcmp(key, "ts") == 0) {
			if (parse_rfc3339_ms(v, &out->ts_ms)) {
				snprintf(err, errlen, "bad ts \"%.40s\"", v);
				goto out;
			}
			have_ts = true;
		} else if (strcmp(key, "since") == 0) {
			if (parse_rfc3339_ms(v, &out->since_ms)) {
				snprintf(err, errlen, "bad since \"%.40s\"", v);
				goto out;
			}
		} else if (strcmp(key, "level") == 0) {
			out->sev = alert_severity_parse(v);
			if (out->sev == ALERT_NONE) {
				snprintf(err, errlen, "bad level \"%.40s\"", v);
				goto out;
			}
			have_level = true;
		} else if (strcmp(key, "state") == 0) {
			if (strcmp(v, "firing") != 0 && strcmp(v, "resolved") != 0) {
				snprintf(err, errlen, "bad state \"%.40s\"", v);
				goto out;
			}
			out->firing = v[0] == 'f';
			have_state = true;
		} else if (strcmp(key, "alert") == 0) {
			if (alert_kind_parse(v, &out->kind)) {
				snprintf(err, errlen, "unknown alert \"%.40s\"", v);
				goto out;
			}
			have_alert = true;
		} else if (strcmp(key, "container") == 0) {
			copy_text(out->container, sizeof out->container, v, val.len);
		} else if (strcmp(key, "container_id") == 0) {
			copy_text(out->container_id, sizeof out->container_id, v, val.len);
		} else if (strcmp(key, "host") == 0) {
			copy_text(out->host, sizeof out->host, v, val.len);
		} else if (strcmp(key, "msg") == 0) {
			copy_text(out->msg, sizeof out->msg, v, val.len);
		} else if (strcmp(key, "value") == 0 || strcmp(key, "threshold") == 0) {
			double d;
			if (parse_double(v, &d)) {
				snprintf(err, errlen, "bad %s \"%.40s\"", key, v);
				goto out;
			}
			*(key[0] == 'v' ? &out->value : &out->threshold) = d;
		} else if (strcmp(key, "seq") == 0) {
			int64_t s;
			if (parse_int64(v, &s) || s < 0) {
				snprintf(err, errlen, "bad seq \"%.40s\"", v);
				goto out;
			}
			out->seq = (uint64_t)s;
		}
	}
	if (rc < 0)
		goto out;
	if (!have_ts || !have_level || !have_state || !have_alert) {
		snprintf(err, errlen, "missing %s", !have_ts ? "ts" : !have_level ? "level" : !have_state ? "state" : "alert");
		goto out;
	}
	result = 0;
out:
	buf_free(&val);
	return result;
}

/* ---- the file ----------------------------------------------------------------------------------------- */

struct alertlog {
	char *path;
	int fd;
	struct buf line;
};

/* Drops a last line without its newline: the lines before it stay, the next append starts a line. */
static int cut_partial_line(int fd)
{
	struct stat st;
	char last;
	if (fstat(fd, &st) || st.st_size == 0 || pread(fd, &last, 1, st.st_size - 1) != 1 || last == '\n')
		return 0;
	char blk[4096];
	off_t end = st.st_size, cut = 0;
	while (end > 0) {
		off_t from = end > (off_t)sizeof blk ? end - (off_t)sizeof blk : 0;
		ssize_t n = pread(fd, blk, (size_t)(end - from), from);
		if (n <= 0)
			break;
		char *nl = memrchr(blk, '\n', (size_t)n);
		if (nl) {
			cut = from + (nl - blk) + 1;
			break;
		}
		end = from;
	}
	return ftruncate(fd, cut);
}

static int open_fd(struct alertlog *al, char *err, size_t errlen)
{
	int fd = open(al->path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0) {
		snprintf(err, errlen, "cannot open the alert log %s: %s", al->path, strerror(errno));
		return -1;
	}
	if (cut_partial_line(fd)) {
		snprintf(err, errlen, "cannot repair the cut-short last line of the alert log %s: %s", al->path,
		         strerror(errno));
		close(fd);
		return -1;
	}
	al->fd = fd;
	return 0;
}

struct alertlog *alertlog_open(const char *path, char *err, size_t errlen)
{
	struct alertlog *al = calloc(1, sizeof *al);
	if (!al || !(al->path = strdup(path))) {
		free(al);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	buf_init(&al->line);
	if (open_fd(al, err, errlen)) {
		free(al->path);
		free(al);
		return NULL;
	}
	return al;
}

int alertlog_append(struct alertlog *al, const struct alert_transition *t, size_t n, char *err, size_t errlen)
{
	if (n == 0)
		return 0;
	buf_reset(&al->line);
	for (size_t i = 0; i < n; i++)
		if (alertlog_format(&al->line, &t[i])) {
			snprintf(err, errlen, "out of memory formatting an alert");
			return -1;
		}
	/* All the lines in one write() on O_APPEND: a reader never sees half of one, lines never interleave, and a
	 * failure leaves none of them behind — so the caller's retry of all n cannot write some twice. */
	struct stat st;
	off_t before = fstat(al->fd, &st) == 0 ? st.st_size : -1;
	ssize_t w;
	do
		w = write(al->fd, al->line.data, al->line.len);
	while (w < 0 && errno == EINTR);
	if (w != (ssize_t)al->line.len) {
		int e = w < 0 ? errno : ENOSPC;
		/* Cut the partial lines back (disk full) so the next append starts clean. */
		if (w > 0 && before >= 0 && ftruncate(al->fd, before)) {
			snprintf(err, errlen, "cannot write to the alert log %s: %s; and cutting back a partial line failed: %s",
			         al->path, strerror(e), strerror(errno));
			return -1;
		}
		snprintf(err, errlen, "cannot write to the alert log %s: %s", al->path, strerror(e));
		return -1;
	}
	if (fdatasync(al->fd)) {
		snprintf(err, errlen, "cannot sync the alert log %s: %s", al->path, strerror(errno));
		return -1;
	}
	return 0;
}

int alertlog_reopen(struct alertlog *al, char *err, size_t errlen)
{
	int old = al->fd;
	if (open_fd(al, err, errlen)) {
		al->fd = old;
		return -1;
	}
	close(old);
	return 0;
}

void alertlog_close(struct alertlog *al)
{
	if (!al)
		return;
	close(al->fd);
	buf_free(&al->line);
	free(al->path);
	free(al);
}

int alertlog_read_tail(const char *path, size_t max_bytes, struct alert_transition **out, size_t *n, char *err,
                       size_t errlen)
{
	*out = NULL;
	*n = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "cannot read the alert log %s: %s", path, strerror(errno));
		return -1;
	}
	struct stat st;
	char *text = NULL;
	size_t len = 0;
	int e = 0;
	if (fstat(fd, &st)) {
		e = errno;
	} else {
		off_t from = st.st_size > (off_t)max_bytes ? st.st_size - (off_t)max_bytes : 0;
		size_t want = (size_t)(st.st_size - from);
		if (!(text = malloc(want + 1))) {
			e = ENOMEM;
		} else {
			while (len < want) {
				ssize_t r = pread(fd, text + len, want - len, from + (off_t)len);
				if (r < 0 && errno == EINTR)
					continue;
				if (r <= 0) {
					e = r < 0 ? errno : 0;
					break;
				}
				len += (size_t)r;
			}
			/* The window may begin inside a line: start after its end. */
			if (from > 0 && !e) {
				char *nl = memchr(text, '\n', len);
				size_t skip = nl ? (size_t)(nl - text) + 1 : len;
				memmove(text, text + skip, len - skip);
				len -= skip;
			}
		}
	}
	close(fd);
	if (e) {
		free(text);
		snprintf(err, errlen, "cannot read the alert log %s: %s", path, strerror(e));
		return -1;
	}
	size_t cap = 0;
	for (const char *p = text, *end = text + len; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			break; /* a last line still being written (or cut short) is not a transition yet */
		struct alert_transition t;
		char perr[256];
		if (nl > p && alertlog_parse(p, (size_t)(nl - p), &t, perr, sizeof perr) == 0) {
			if (*n == cap) {
				size_t ncap = cap ? cap * 2 : 64;
				void *q = realloc(*out, ncap * sizeof **out);
				if (!q) {
					free(*out);
					*out = NULL;
					*n = 0;
					free(text);
					snprintf(err, errlen, "out of memory reading the alert log");
					return -1;
				}
				*out = q;
				cap = ncap;
			}
			(*out)[(*n)++] = t;
		}
		p = nl + 1;
	}
	free(text);
	return 0;
}
