/* log.c — the program's own log: timestamped lines, one write() each, to a file or stderr.
 * It holds the only log state in the process (the destination); it never logs secrets because callers
 * never pass them (config.c masks secret values before any message is built). */
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static int log_fd = 2;
static char *log_path;
static enum log_level log_max = LOG_INFO;

static const char *const level_names[] = {"error", "warn", "info", "debug"};

int log_open(const char *path, enum log_level level)
{
	int fd = 2;
	if (path) {
		fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
		if (fd < 0)
			return -1;
	}
	char *copy = path ? strdup(path) : NULL;
	if (path && !copy) {
		close(fd);
		errno = ENOMEM;
		return -1;
	}
	pthread_mutex_lock(&log_lock);
	if (log_fd > 2)
		close(log_fd);
	free(log_path);
	log_fd = fd;
	log_path = copy;
	log_max = level;
	pthread_mutex_unlock(&log_lock);
	return 0;
}

int log_reopen(void)
{
	int rc = 0;
	pthread_mutex_lock(&log_lock);
	if (log_path) {
		int fd = open(log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
		if (fd < 0) {
			rc = -1; /* keep writing to the old file rather than losing lines */
		} else {
			close(log_fd);
			log_fd = fd;
		}
	}
	pthread_mutex_unlock(&log_lock);
	return rc;
}

void log_close(void)
{
	pthread_mutex_lock(&log_lock);
	if (log_fd > 2)
		close(log_fd);
	log_fd = 2;
	free(log_path);
	log_path = NULL;
	pthread_mutex_unlock(&log_lock);
}

void log_set_level(enum log_level level)
{
	pthread_mutex_lock(&log_lock);
	log_max = level;
	pthread_mutex_unlock(&log_lock);
}

__attribute__((format(printf, 2, 0))) static void log_vmsg(enum log_level level, const char *fmt, va_list ap)
{
	char line[2048], ts[32], raw[1800], msg[1800];
	vsnprintf(raw, sizeof raw, fmt, ap); /* a longer message is cut: a log line has a bounded size */
	/* Messages may quote untrusted text (names, engine errors) and people tail -f this file in a terminal:
	 * one message stays on one line, with no control characters or broken UTF-8. */
	struct buf safe;
	buf_init(&safe);
	if (buf_term_safe(&safe, raw, 0) == 0 && safe.data)
		snprintf(msg, sizeof msg, "%s", safe.data);
	else
		snprintf(msg, sizeof msg, "(unprintable message)");
	buf_free(&safe);
	fmt_iso8601_ms(now_wall_ms(), ts, sizeof ts);
	int n = snprintf(line, sizeof line, "%s %-5s %s\n", ts, level_names[level], msg);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof line) {
		n = sizeof line - 1;
		line[n - 1] = '\n';
	}
	pthread_mutex_lock(&log_lock);
	if (level <= log_max) {
		ssize_t w = write(log_fd, line, (size_t)n);
		/* A log file on a full disk: standard error is the only place left to say so (a service manager or
		 * docker logs keeps it). */
		if (w != (ssize_t)n && log_fd > 2) {
			w = write(2, line, (size_t)n);
			(void)w; /* nowhere better to report a failing log */
		}
	}
	pthread_mutex_unlock(&log_lock);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_vmsg(level, fmt, ap);
	va_end(ap);
}

void log_complain(struct complaint *c, enum log_level level, const char *fmt, ...)
{
	int64_t now = now_wall_ms();
	if (c->active && now < c->next_ms) {
		c->suppressed++;
		return;
	}
	c->interval_ms = c->active ? c->interval_ms * 2 : 10000;
	if (c->interval_ms > 3600 * 1000)
		c->interval_ms = 3600 * 1000;
	c->next_ms = now + c->interval_ms;
	c->active = true;
	va_list ap;
	va_start(ap, fmt);
	log_vmsg(level, fmt, ap);
	va_end(ap);
	if (c->suppressed) {
		log_msg(level, "(the message above repeated %u more times)", c->suppressed);
		c->suppressed = 0;
	}
}

void log_complain_clear(struct complaint *c, const char *fmt, ...)
{
	if (!c->active)
		return;
	va_list ap;
	va_start(ap, fmt);
	log_vmsg(LOG_INFO, fmt, ap);
	va_end(ap);
	c->active = false;
	c->suppressed = 0;
	c->interval_ms = 0;
	c->next_ms = 0;
}
