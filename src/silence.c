/* silence.c — the silences file: "silence container=GLOB alert=KIND|* until=TIME" logfmt lines, appended
 * by `lookout silence` and read by the notifier; durations and times for --for. It stores silences; what a
 * silence mutes is decided in notify.c. */
#include "autoconfig.h"
#include "silence.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alertlog.h"
#include "util.h"

int silence_parse_until(const char *text, int64_t now_ms, int64_t *until_ms)
{
	if (!text || !*text)
		return -1;
	if (parse_rfc3339_ms(text, until_ms) == 0 && *until_ms > 0)
		return 0;
	char *end;
	errno = 0;
	double v = strtod(text, &end);
	/* Plain decimals only: strtod also takes "nan", "inf", hex, exponents, signs and leading spaces. */
	size_t digits = strspn(text, "0123456789.");
	if (errno || end == text || end != text + digits || !isfinite(v) || v <= 0)
		return -1;
	double mult = 1000;
	if (*end == 's')
		end++;
	else if (*end == 'm')
		mult = 60e3, end++;
	else if (*end == 'h')
		mult = 3600e3, end++;
	else if (*end == 'd')
		mult = 86400e3, end++;
	if (*end || v * mult > 366 * 86400e3)
		return -1;
	*until_ms = now_ms + (int64_t)(v * mult);
	return 0;
}

int silences_path(const struct config *cfg, char *out, size_t outlen)
{
	int n;
	if (cfg->silences_file && *cfg->silences_file) {
		n = snprintf(out, outlen, "%s", cfg->silences_file);
	} else if (cfg->notify_follow && *cfg->notify_follow) {
		const char *slash = strrchr(cfg->notify_follow, '/');
		n = slash ? snprintf(out, outlen, "%.*s/silences", (int)(slash - cfg->notify_follow), cfg->notify_follow)
		          : snprintf(out, outlen, "silences");
	} else {
		n = snprintf(out, outlen, "%s/silences", cfg->output_dir);
	}
	return n < 0 || (size_t)n >= outlen ? -1 : 0;
}

int silences_load(const char *path, int64_t now_ms, struct silence **out, size_t *n, char *err, size_t errlen)
{
	*out = NULL;
	*n = 0;
	size_t len;
	char *text = read_file(path, &len);
	if (!text) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "cannot read the silences file %s: %s", path, strerror(errno));
		return -1;
	}
	struct silence *arr = NULL;
	size_t cnt = 0;
	int lineno = 0, rc = 0;
	struct buf val;
	buf_init(&val);
	for (char *line = text, *next; line && *line && rc == 0; line = next) {
		next = strchr(line, '\n');
		size_t l = next ? (size_t)(next - line) : strlen(line);
		if (next)
			next++;
		lineno++;
		if (l == 0 || line[0] == '#')
			continue;
		if (l < 8 || strncmp(line, "silence ", 8) != 0) {
			snprintf(err, errlen, "%s:%d: expected a silence line", path, lineno);
			rc = -1;
			break;
		}
		struct silence s;
		memset(&s, 0, sizeof s);
		s.kind = -1;
		bool have_until = false;
		const char *p = line + 8, *end = line + l;
		char key[32], e[200];
		int r;
		while ((r = logfmt_next(&p, end, key, sizeof key, &val, e, sizeof e)) == 1) {
			if (strcmp(key, "container") == 0) {
				snprintf(s.container, sizeof s.container, "%s", val.data);
			} else if (strcmp(key, "alert") == 0) {
				enum alert_kind k;
				if (strcmp(val.data, "*") == 0 || val.data[0] == '\0')
					s.kind = -1;
				else if (alert_kind_parse(val.data, &k) == 0)
					s.kind = (int)k;
				else {
					snprintf(e, sizeof e, "unknown alert \"%.40s\"", val.data);
					r = -1;
					break;
				}
			} else if (strcmp(key, "until") == 0) {
				if (parse_rfc3339_ms(val.data, &s.until_ms)) {
					snprintf(e, sizeof e, "bad until \"%.40s\"", val.data);
					r = -1;
					break;
				}
				have_until = true;
			}
		}
		if (r < 0 || !have_until) {
			snprintf(err, errlen, "%s:%d: %s", path, lineno, r < 0 ? e : "a silence needs until=");
			rc = -1;
			break;
		}
		if (s.until_ms <= now_ms)
			continue;
		struct silence *g = realloc(arr, (cnt + 1) * sizeof *g);
		if (!g) {
			snprintf(err, errlen, "out of memory");
			rc = -1;
			break;
		}
		arr = g;
		arr[cnt++] = s;
	}
	buf_free(&val);
	free(text);
	if (rc) {
		free(arr);
		return -1;
	}
	*out = arr;
	*n = cnt;
	return 0;
}

int silences_add(const char *path, const struct silence *s, char *err, size_t errlen)
{
	struct buf b;
	buf_init(&b);
	char until[32];
	int rc = buf_puts(&b, "silence");
	rc |= logfmt_append(&b, "container", s->container);
	rc |= logfmt_append(&b, "alert", s->kind < 0 ? "*" : alert_kind_name((enum alert_kind)s->kind));
	rc |= logfmt_append(&b, "until", fmt_iso8601_ms(s->until_ms, until, sizeof until));
	rc |= buf_puts(&b, "\n");
	if (rc) {
		buf_free(&b);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	ssize_t w = fd >= 0 ? write(fd, b.data, b.len) : -1;
	int e = errno;
	bool ok = w == (ssize_t)b.len && fsync(fd) == 0;
	if (!ok && w >= 0 && w != (ssize_t)b.len)
		e = ENOSPC;
	if (fd >= 0)
		close(fd);
	buf_free(&b);
	if (!ok) {
		snprintf(err, errlen, "cannot write the silences file %s: %s", path, strerror(e));
		return -1;
	}
	return 0;
}

static void print_silence(const struct silence *s)
{
	char until[32];
	struct buf name;
	buf_init(&name);
	buf_term_safe(&name, s->container[0] ? s->container : "*", 200);
	printf("%-30s %-15s until %s\n", name.data ? name.data : "", s->kind < 0 ? "*" : alert_kind_name(s->kind),
	       fmt_iso8601_ms(s->until_ms, until, sizeof until));
	buf_free(&name);
}

int silence_run(const struct config *cfg)
{
	char path[PATH_MAX], err[1024];
	if (silences_path(cfg, path, sizeof path)) {
		fprintf(stderr, "lookout: the silences file path is too long\n");
		return 2;
	}
	int64_t now = now_wall_ms();
	bool adding = cfg->silence_for && *cfg->silence_for;
	if (!adding) {
		if ((cfg->silence_alert && *cfg->silence_alert) || cfg->ncontainers) {
			fprintf(stderr, "lookout: silence needs --for DURATION|TIME (e.g. --for 2h) to add a silence\n");
			return 2;
		}
		struct silence *s;
		size_t n;
		if (silences_load(path, now, &s, &n, err, sizeof err)) {
			fprintf(stderr, "lookout: %s\n", err);
			return 1;
		}
		if (n == 0)
			printf("no active silences (%s)\n", path);
		for (size_t i = 0; i < n; i++)
			print_silence(&s[i]);
		free(s);
		return 0;
	}
	struct silence s;
	memset(&s, 0, sizeof s);
	s.kind = -1;
	if (silence_parse_until(cfg->silence_for, now, &s.until_ms) || s.until_ms <= now) {
		struct buf shown;
		buf_init(&shown);
		buf_term_safe(&shown, cfg->silence_for, 60);
		fprintf(stderr, "lookout: invalid --for \"%s\": expected a duration (90s, 30m, 2h, 1d) or a future time "
		                "(2026-11-24T18:00:00Z)\n", shown.data ? shown.data : "");
		buf_free(&shown);
		return 2;
	}
	if (cfg->silence_alert && *cfg->silence_alert && strcmp(cfg->silence_alert, "*") != 0) {
		enum alert_kind k;
		if (alert_kind_parse(cfg->silence_alert, &k)) {
			struct buf shown;
			buf_init(&shown);
			buf_term_safe(&shown, cfg->silence_alert, 60);
			fprintf(stderr, "lookout: invalid --alert \"%s\": expected container_down, health_failed, oom, "
			                "restart_loop, high_cpu, high_memory or slow_response\n", shown.data ? shown.data : "");
			buf_free(&shown);
			return 2;
		}
		s.kind = (int)k;
	}
	size_t count = cfg->ncontainers ? cfg->ncontainers : 1;
	for (size_t i = 0; i < count; i++) {
		const char *name = cfg->ncontainers ? cfg->containers[i] : "";
		if (strlen(name) >= sizeof s.container) {
			fprintf(stderr, "lookout: container name too long\n");
			return 2;
		}
		snprintf(s.container, sizeof s.container, "%s", name);
		if (silences_add(path, &s, err, sizeof err)) {
			fprintf(stderr, "lookout: %s\n", err);
			return 1;
		}
		printf("silenced ");
		print_silence(&s);
	}
	return 0;
}
