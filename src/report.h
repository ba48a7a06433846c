/* report.h — `lookout report`: reads OUTPUT_DIR/metrics.csv and the alert log as streams, and answers "when
 * was each container down, and for how long" exactly, with resource and response-time statistics, on
 * standard output and as a self-contained HTML file. It reads files only; it never talks to an engine.
 *
 * The rules, per container (rows grouped by name, in file order):
 *  - a record is up when its up column is 1; otherwise down (state not running) or unhealthy (running);
 *  - the sampling interval is the median gap between the container's consecutive records in the window;
 *  - the time from one record to the next counts as that record's status, unless the gap is longer than
 *    three intervals: then it is unknown (neither up nor down) and is listed as such;
 *  - a downtime interval starts at the first record that is not up and ends at the next record that is up
 *    (or where an unknown gap begins, or at the last record when it is still going on);
 *  - availability = up time / (up time + time not up); unknown time is left out of both;
 *  - percentiles are exact, by nearest rank: the smallest value with at least p % of the values <= it.
 * Memory: one float per row and figure kept for the percentiles (CPU %, memory %, response time: at most
 * 12 bytes per row), plus per-container fixed-size chart buckets and the list of intervals. */
#ifndef LOOKOUT_REPORT_H
#define LOOKOUT_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "alert.h"
#include "config.h"
#include "util.h"

enum period_kind { PERIOD_DOWN = 0, PERIOD_UNHEALTHY, PERIOD_UNKNOWN };
enum period_end {
	END_UP = 0, /* a record that is up came */
	END_GAP,    /* the records stop for more than three intervals: what follows is unknown */
	END_DATA,   /* still not up at the container's last record (in the window) */
};

struct report_period {
	int64_t from_ms, to_ms;
	enum period_kind kind; /* DOWN when any record of it was not running, else UNHEALTHY */
	enum period_end end;   /* for DOWN and UNHEALTHY */
};

struct report_stats {
	size_t n;
	double avg, p50, p95, p99, max; /* NaN when n == 0 */
};

struct report_acc; /* private accumulators */

struct report_container {
	char *name, *image, *id;  /* the newest row's image and id */
	size_t rows;
	int64_t first_ms, last_ms;
	int64_t interval_ms;      /* the median gap (0 with fewer than two rows) */
	int64_t up_ms, down_ms, unhealthy_ms, unknown_ms;
	double availability_pct;  /* NaN when no time is known */
	struct report_period *periods; /* downtime intervals and unknown gaps, in time order */
	size_t nperiods;
	struct report_stats cpu, mem, resp; /* CPU %, memory %, response ms */
	double mem_used_max_bytes;          /* NaN when never measured */
	unsigned alerts[ALERT_KIND_COUNT];  /* firing transitions in the window, by kind */
	struct report_acc *acc;
};

struct report_opts {
	int64_t since_ms, until_ms;  /* records with since <= t < until; INT64_MIN / INT64_MAX = open */
	char *const *names;          /* only these container names or id prefixes (nnames 0: all) */
	size_t nnames;
};

struct report;

struct report *report_new(const struct report_opts *o); /* NULL on ENOMEM */
void report_free(struct report *r);                     /* NULL is fine */

/* Reads a metrics.csv (two streaming passes: the intervals, then everything else) and computes the results.
 * 0, or -1 with a message in err (cannot open, no or unknown header, out of memory). Rows that cannot be
 * read (bad time, too few fields) are counted in *skipped (may be NULL). */
int report_read_csv(struct report *r, const char *path, size_t *skipped, char *err, size_t errlen);
/* Counts firing transitions per container and kind from the alert log. A missing file is no alerts (0);
 * -1 with a message in err when it cannot be read. */
int report_read_alerts(struct report *r, const char *path, char *err, size_t errlen);

/* Counts one firing alert of kind on the container name (id may be ""), when ts_ms is in the window and the
 * container is selected: the alert log's lines and PostgreSQL's rows both come here. 0 or -1 (ENOMEM). */
int report_count_alert(struct report *r, const char *name, const char *id, enum alert_kind kind, int64_t ts_ms);
/* What the text and HTML say was read, when it is not a file (e.g. "PostgreSQL host=db dbname=lookout"). */
void report_set_source(struct report *r, const char *what);
/* Container names are HOST/NAME (PostgreSQL's history of many hosts): the selected names then also match
 * the NAME part, on every host. Call before reading. */
void report_set_host_prefixed(struct report *r);
const struct report_opts *report_opts_of(const struct report *r); /* the window and names r was made with */

size_t report_count(const struct report *r);
const struct report_container *report_get(const struct report *r, size_t i); /* sorted by name */

/* The text summary (stdout's), and the self-contained HTML report with the live page's charts. 0 or -1. */
int report_write_text(const struct report *r, FILE *out);
int report_write_html(const struct report *r, struct buf *b);

/* Parses a time for --since/--until: ISO 8601 (2026-11-24, 2026-11-24T05:00, 2026-11-24 05:00:00.5Z,
 * 2026-11-24T05:00:00+02:00; UTC without an offset), "now", or a length ago (-2h, 2h, 1d, 30m, 90s, 1w,
 * 1h30m). 0 or -1. */
int report_parse_time(const char *s, int64_t now_ms, int64_t *out_ms);

/* `lookout report` as main.c calls it: 0 done, 1 a file could not be read or written, 2 a bad option. */
int report_run(const struct config *cfg);

#endif
