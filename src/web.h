/* web.h — the HTTP server's views as pure functions of a snapshot: the live page (whole, or the part that
 * refreshes), /api/snapshot.json, /api/history.json, /api/alerts.json and the Prometheus exposition. Every
 * untrusted string is escaped for where it lands. No sockets and no clocks here (httpd.c does those). */
#ifndef LOOKOUT_WEB_H
#define LOOKOUT_WEB_H

#include <stdbool.h>
#include <stdint.h>

#include "collector.h"
#include "html.h"
#include "snapshot.h"
#include "util.h"

struct web_opts {
	double gauge_warn, gauge_crit;       /* colour bands, percent (LOOKOUT_GAUGE_WARN/CRIT) */
	double cpu_threshold, memory_threshold, response_threshold_ms; /* dashed lines on the charts */
	double interval_s;                   /* sampling period: gaps over 3 intervals are "unknown" */
	int64_t window_ms;                   /* charts and timeline of the page; 0 = 15 minutes */
	const struct collector_opts *copts;  /* for each container's health URL; may be NULL */
};

/* lookout's own process figures for /metrics (read by the caller from /proc). */
struct web_proc {
	double cpu_seconds;
	double rss_bytes, vsize_bytes;
	double start_time_s;   /* since the epoch */
	double open_fds, max_fds;
};

/* The live page. fragment: only the part inside <main>, which the page's script swaps in every 2 s; the
 * whole page also works with scripts off (it then reloads itself). s may be NULL (no data yet). 0 or -1. */
int web_page(struct buf *b, const struct snapshot *s, const struct web_opts *o, bool fragment);
/* The SHA-256 of the page's inline script, base64, for the Content-Security-Policy header. */
const char *web_page_script(void);

int web_snapshot_json(struct buf *b, const struct snapshot *s, const struct web_opts *o);
#define WEB_HISTORY_MAX_POINTS 100000                       /* per /api/history.json response (~10 MB) */
#define WEB_HISTORY_ALL_MAX_WINDOW_MS (3600 * 1000LL)        /* without container=: at most an hour */
#define WEB_HISTORY_ALL_DEFAULT_WINDOW_MS (15 * 60 * 1000LL) /* without container= and window= */

/* container: a name or id prefix, or NULL/"" for every container; window_ms 0 = all history (for every
 * container: 15 minutes). Written straight into b (no tree), so the cost is the points it holds.
 * 0; 1 when no such container is watched; 2 when refused (b then holds the reason, one line for a person):
 * a window over an hour without container=, or more than WEB_HISTORY_MAX_POINTS points; -1 on ENOMEM. */
int web_history_json(struct buf *b, const struct snapshot *s, const char *container, int64_t window_ms);
/* The per-tick history of every container newer than since_ms (0: the whole hour), compact, for dashboards
 * attached with `lookout --connect` that fetch only what is new each time:
 * {"format":"compact","time_ms":T,"containers":[{"id":"…","points":[[t_ms,cpu_pct,mem_pct,mem_used_mb,
 * response_ms,status],…]},…]} with null for unknown numbers and status the enum point_status number.
 * 0, or -1 on ENOMEM. */
int web_history_compact(struct buf *b, const struct snapshot *s, int64_t since_ms);
int web_alerts_json(struct buf *b, const struct snapshot *s);
/* Prometheus text format 0.0.4. proc may be NULL. */
int web_metrics(struct buf *b, const struct snapshot *s, const struct web_opts *o, const struct web_proc *proc);

/* The up/unhealthy/down spans of one container over [start_ms, end_ms), from its per-tick history and, before
 * that history's first point, the minute series (a minute's worst status): each point holds until the next, a
 * gap longer than three intervals (three minutes between minute points) is unknown, and the engine's newer
 * state (an event between ticks) takes over from when it began. *out is malloc'd (free it). 0 or -1 (ENOMEM). */
int web_spans(const struct snap_container *c, int64_t start_ms, int64_t end_ms, double interval_s,
              struct html_span **out, size_t *n);

/* Parses a window such as "15m", "3600", "1h", "90s" into ms. 0 or -1. */
int web_parse_window(const char *s, int64_t *out_ms);

#endif
