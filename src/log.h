/* log.h — the program's own log (logs/container_monitor.log in the daemon, stderr for one-shot commands).
 * Thread-safe, line-buffered, one write() per line so lines never interleave; reopenable for logrotate.
 * A message repeated by the same caller can be rate-limited with log_complain (collectd's c_complain). */
#ifndef LOOKOUT_LOG_H
#define LOOKOUT_LOG_H

#include <stdbool.h>
#include <stdint.h>

enum log_level { LOG_ERROR = 0, LOG_WARN, LOG_INFO, LOG_DEBUG };

/* Sends log lines to path (appended; created 0644) or, with path NULL, to stderr. Returns 0 or -1 (errno). */
int log_open(const char *path, enum log_level level);
int log_reopen(void);           /* after logrotate moved the file (SIGHUP) */
void log_close(void);
void log_set_level(enum log_level level);

__attribute__((format(printf, 2, 3))) void log_msg(enum log_level level, const char *fmt, ...);
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

/* A problem that may repeat every tick: logged the first time, then at most once per interval that doubles
 * up to an hour; log_complain_clear logs one "recovered" line if a complaint was pending. */
struct complaint {
	int64_t next_ms;
	int64_t interval_ms;
	unsigned suppressed;
	bool active;
};
__attribute__((format(printf, 3, 4))) void log_complain(struct complaint *c, enum log_level level,
                                                         const char *fmt, ...);
__attribute__((format(printf, 2, 3))) void log_complain_clear(struct complaint *c, const char *fmt, ...);

#endif
