/* html.h — what the live page (httpd.c) and the HTML report (report.c) share: escaping of untrusted text for
 * HTML, one stylesheet, gauges in the terminal's colour bands, and server-rendered SVG charts (line charts and
 * the up/down timeline). Data in, markup appended to a buffer out: no I/O, no snapshot or CSV knowledge. */
#ifndef LOOKOUT_HTML_H
#define LOOKOUT_HTML_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

/* Appends s escaped for HTML text and attribute values (& < > " ' become entities). Tab and newline pass as
 * they are (harmless in HTML; a <pre> of health output keeps its lines); every other control character (C0
 * including CR, DEL, C1) and bytes of invalid UTF-8 become U+FFFD, so untrusted text can never open a tag,
 * close an attribute or smuggle terminal bytes. At most max_bytes bytes of s are taken (0 = all). s NULL appends nothing. 0 or -1 (ENOMEM). */
int html_escape(struct buf *b, const char *s, size_t max_bytes);

/* Appends s made valid UTF-8 (bad bytes become U+FFFD, NUL ends it); for JSON encoders that escape control
 * characters themselves but pass bytes through. 0 or -1. */
int utf8_sanitize(struct buf *b, const char *s);

/* The stylesheet both pages inline (no external assets). */
const char *html_css(void);

/* "ok", "warn", "crit" or "none" (NaN): the same bands as the terminal's gauges (gauge_band). */
const char *html_band(double pct, double warn, double crit);

/* A horizontal gauge: a bar filled to pct (clamped to 0..100) in its band's colour, with text beside it
 * (escaped). NaN: an empty bar and "-". */
int html_gauge(struct buf *b, double pct, double warn, double crit, const char *text);

/* "3h 02m 05s", "12m 30s", "42s", "850ms". */
void html_fmt_duration(int64_t ms, char *out, size_t len);
/* "2026-11-24 05:10:00Z" (UTC, to the second) and "05:10:00" (UTC time of day). */
void html_fmt_time(int64_t ms, char *out, size_t len);
void html_fmt_clock(int64_t ms, char *out, size_t len);

/* One line of a chart: n points (t_ms ascending); a NaN value breaks the line. */
struct html_series {
	const char *name;     /* legend text (trusted: the caller's own words) */
	const char *cls;      /* CSS class of the line: "l-cpu", "l-mem", "l-resp" */
	const int64_t *t_ms;
	const double *v;
	size_t n;
};

struct html_chart {
	const char *title;    /* trusted */
	const char *unit;     /* "%", "ms" */
	int64_t start_ms, end_ms; /* the x axis */
	double ymax;          /* 0 = from the data (and the threshold), rounded up */
	double threshold;     /* a dashed line; NaN = none */
	const struct html_series *s;
	size_t ns;
};

/* Appends an <svg> line chart (fixed view box, scales to its box): y axis 0..ymax with labels, x axis with
 * UTC times at both ends and the middle, one polyline per series, the threshold, and a legend. 0 or -1. */
int html_line_chart(struct buf *b, const struct html_chart *c);

/* A stretch of time in one state on the timeline. status is enum point_status (series.h); PT_NONE is
 * "unknown" (no records). Spans are in time order and do not overlap. */
struct html_span {
	int64_t from_ms, to_ms;
	uint8_t status;
};

/* Appends an <svg> up/down timeline over [start_ms, end_ms): green up, amber unhealthy, red down, grey hatched
 * unknown; a stretch that is not up is at least one pixel wide, so a short outage never vanishes; each has a
 * tooltip with its exact start, end and length. 0 or -1. */
int html_timeline(struct buf *b, const struct html_span *sp, size_t n, int64_t start_ms, int64_t end_ms);

/* Appends a list (<ul class="periods">) of the spans that are not up: kind, start, end and length, each item
 * with data-kind/data-from/data-to (ms since the epoch) so tests and scripts can read them. "No downtime"
 * when there is none. open_end: the last span is still going on (shown as "now"). 0 or -1. */
int html_period_list(struct buf *b, const struct html_span *sp, size_t n, int open_end);

#endif
