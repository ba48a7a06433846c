/* hostmeter.h — host CPU and memory use for the header's meters, sampled on its own thread from /proc (the
 * snapshot carries only the host's size). It reads two files per interval and never touches the screen. */
#ifndef LOOKOUT_TUI_HOSTMETER_H
#define LOOKOUT_TUI_HOSTMETER_H

#include <stdbool.h>
#include <stddef.h>

struct hostmeter;

/* host_root prefixes /proc ("" = this host). NULL with a message in err when the thread cannot start. */
struct hostmeter *hostmeter_new(const char *host_root, double interval_s, char *err, size_t errlen);
void hostmeter_free(struct hostmeter *h); /* NULL is fine */
/* The newest values; false until two samples exist. */
bool hostmeter_get(struct hostmeter *h, double *cpu_pct, double *mem_used_bytes, double *mem_total_bytes);

#endif
