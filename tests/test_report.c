/* test_report.c — `lookout report` on a crafted metrics.csv and alert log whose answers are worked out by hand
 * below: availability, every downtime and unknown interval, the sampling interval, exact percentiles, alert
 * counts, --since/--until and --container, time parsing, and escaping in the HTML and text outputs. */
#include "autoconfig.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alertlog.h"
#include "csv.h"
#include "report.h"
#include "tap.h"

#define T0 1795496400000LL /* 2026-11-24T05:00:00.000Z */
#define S(x) (T0 + (x) * 1000LL)

static char dir[256];

static void put(const char *name, const char *text)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	if (!f || fputs(text, f) < 0 || fclose(f)) {
		printf("Bail out! cannot write %s\n", path);
		exit(1);
	}
}

/* One CSV row: seconds after T0, name, image (already CSV-quoted if needed), state, up, cpu, mem %, response. */
static void row(struct buf *b, int sec, const char *name, const char *image, const char *state, int up,
                const char *cpu, const char *mem, const char *resp)
{
	char ts[32];
	fmt_iso8601_ms(S(sec), ts, sizeof ts);
	buf_printf(b, "%s,host,0123456789ab%s,%s,%s,%s,,%d,%s,,%s,1000000,%s,,,,,,0,%s,,\n", ts,
	           strcmp(name, "db") == 0 ? "cdef" : "aaaa", name, image, state, up, cpu,
	           *mem ? "1048576" : "", mem, resp);
}

static const struct report_container *find(const struct report *r, const char *name)
{
	for (size_t i = 0; i < report_count(r); i++)
		if (strcmp(report_get(r, i)->name, name) == 0)
			return report_get(r, i);
	return NULL;
}

static int period_is(const struct report_container *c, size_t i, int from_s, int to_s, enum period_kind k,
                     enum period_end e)
{
	if (i >= c->nperiods)
		return 0;
	const struct report_period *p = &c->periods[i];
	int good = p->from_ms == S(from_s) && p->to_ms == S(to_s) && p->kind == k && (k == PERIOD_UNKNOWN || p->end == e);
	if (!good)
		printf("# period %zu: %lld..%lld kind %d end %d\n", i, (long long)(p->from_ms - T0),
		       (long long)(p->to_ms - T0), (int)p->kind, (int)p->end);
	return good;
}

int main(void)
{
	snprintf(dir, sizeof dir, "/tmp/lookout-test-report-XXXXXX");
	if (!mkdtemp(dir)) {
		printf("Bail out! mkdtemp\n");
		return 1;
	}

	/* web, sampled every 10 s:
	 *   t=0   up    cpu 10 mem 20 resp 100
	 *   t=10  up    cpu 20 mem 20 resp 200
	 *   t=20  exited (down)                 <- downtime 1 starts (first record not up)
	 *   t=30  exited (down)
	 *   t=40  up    cpu 30 mem 30 resp 300  <- downtime 1 ends (next up record): [20, 40) = 20 s, down
	 *   t=50  running, up=0 (unhealthy) cpu 40 mem 40, no response   <- downtime 2 starts
	 *   t=60  up    cpu 50 mem 40 resp 400  <- downtime 2 ends: [50, 60) = 10 s, unhealthy
	 *   t=70  up    cpu 60 mem 50 resp 500
	 *         (no records for 130 s > 3 x 10 s: [70, 200) is unknown)
	 *   t=200 up    cpu 70 mem 50 resp 600
	 *   t=210 exited                        <- downtime 3 starts
	 *   t=220 exited (last record)          <- still down: [210, 220) = 10 s, ends with the data
	 * Gaps: nine of 10 s and one of 130 s: the median interval is 10 s.
	 * Time: up [0,20) [40,50) [60,70) [200,210) = 50 s; down [20,40) [210,220) = 30 s; unhealthy [50,60) = 10 s;
	 * unknown 130 s. Availability = 50 / (50 + 30 + 10) = 55.556 %.
	 * CPU (7 values 10..70): avg 40, p95 = value ceil(0.95*7) = 7th = 70, max 70.
	 * Memory % (20 20 30 40 40 50 50): avg 250/7 = 35.714, p95 = 7th = 50, max 50.
	 * Response (100..600, 6 values): p50 = ceil(3) = 3rd = 300, p95 = ceil(5.7) = 6th = 600, p99 = 600.
	 *
	 * db, every 10 s, up from 0 to 40, cpu 1..5, with an image holding a comma, quotes and a line break (a
	 * record over two lines): availability 100 %, no intervals, p95 of 1..5 = ceil(4.75) = 5th = 5.
	 * x<img…>: one row (hostile name). A garbage line is skipped; a torn last line is ignored. */
	struct buf b;
	buf_init(&b);
	buf_puts(&b, csv_header);
	row(&b, 0, "web", "img:1", "running", 1, "10", "20", "100");
	row(&b, 0, "db", "\"pg,\"\"15\"\"\nalpine\"", "running", 1, "1", "5", "");
	row(&b, 10, "web", "img:1", "running", 1, "20", "20", "200");
	row(&b, 10, "db", "\"pg,\"\"15\"\"\nalpine\"", "running", 1, "2", "5", "");
	row(&b, 20, "web", "img:1", "exited", 0, "", "", "");
	row(&b, 20, "db", "\"pg,\"\"15\"\"\nalpine\"", "running", 1, "3", "5", "");
	buf_puts(&b, "garbage,row\n");
	row(&b, 30, "web", "img:1", "exited", 0, "", "", "");
	row(&b, 30, "db", "\"pg,\"\"15\"\"\nalpine\"", "running", 1, "4", "5", "");
	row(&b, 40, "web", "img:1", "running", 1, "30", "30", "300");
	row(&b, 40, "db", "\"pg,\"\"15\"\"\nalpine\"", "running", 1, "5", "5", "");
	row(&b, 50, "web", "img:1", "running", 0, "40", "40", "");
	row(&b, 60, "web", "img:1", "running", 1, "50", "40", "400");
	row(&b, 70, "web", "img:1", "running", 1, "60", "50", "500");
	row(&b, 200, "web", "img:1", "running", 1, "70", "50", "600");
	row(&b, 210, "web", "img:1", "exited", 0, "", "", "");
	row(&b, 215, "x<img src=x onerror=alert(1)>", "evil", "running", 1, "1", "1", "");
	row(&b, 220, "web", "img:1", "exited", 0, "", "", "");
	buf_puts(&b, "2026-11-24T05:03:50.000Z,host,0123,web,img:1,runn"); /* torn: being written */
	put("metrics.csv", b.data);

	/* The alert log: web container_down fires twice (t=20, t=210) and resolves once; high_cpu fires once;
	 * a container with no rows (ghost) fires health_failed once. Resolved lines are not counted. */
	struct alert_transition t[5];
	memset(t, 0, sizeof t);
	const struct {
		int sec;
		enum alert_kind kind;
		bool firing;
		const char *name;
	} al[5] = {{20, ALERT_CONTAINER_DOWN, true, "web"},
	           {40, ALERT_CONTAINER_DOWN, false, "web"},
	           {65, ALERT_HIGH_CPU, true, "web"},
	           {210, ALERT_CONTAINER_DOWN, true, "web"},
	           {100, ALERT_HEALTH_FAILED, true, "ghost"}};
	buf_reset(&b);
	for (int i = 0; i < 5; i++) {
		t[i].seq = (uint64_t)i + 1;
		t[i].ts_ms = S(al[i].sec);
		t[i].kind = al[i].kind;
		t[i].sev = alert_kind_severity(al[i].kind);
		t[i].firing = al[i].firing;
		snprintf(t[i].container, sizeof t[i].container, "%s", al[i].name);
		t[i].value = t[i].threshold = NAN;
		alertlog_format(&b, &t[i]);
	}
	put("container_alerts.log", b.data);

	char csv[512], alog[512], err[512] = "";
	snprintf(csv, sizeof csv, "%s/metrics.csv", dir);
	snprintf(alog, sizeof alog, "%s/container_alerts.log", dir);

	/* ---- the whole file ---- */
	struct report_opts o = {INT64_MIN, INT64_MAX, NULL, 0};
	struct report *r = report_new(&o);
	size_t skipped = 99;
	ok(report_read_csv(r, csv, &skipped, err, sizeof err) == 0, "the crafted CSV is read: %s", err);
	is_int((int)skipped, 1, "one garbage row skipped; the torn last line is not counted");
	ok(report_read_alerts(r, alog, err, sizeof err) == 0, "the alert log is read");
	is_int((int)report_count(r), 4, "four containers: db, ghost (alerts only), web, and the hostile name");
	const struct report_container *w = find(r, "web");
	ok(w != NULL, "web is there");
	if (!w)
		return tap_done();
	is_int((int)w->rows, 11, "web: 11 rows");
	is_int((int)w->interval_ms, 10000, "web: median interval 10 s (the 130 s gap does not move it)");
	is_int((int)w->up_ms, 50000, "web: up 50 s");
	is_int((int)w->down_ms, 30000, "web: down 30 s");
	is_int((int)w->unhealthy_ms, 10000, "web: unhealthy 10 s");
	is_int((int)w->unknown_ms, 130000, "web: unknown 130 s (the gap)");
	is_near(w->availability_pct, 5000.0 / 90.0, 1e-9, "web: availability 50/90 = 55.556 %%");
	is_int((int)w->nperiods, 4, "web: three downtime intervals and one unknown gap");
	ok(period_is(w, 0, 20, 40, PERIOD_DOWN, END_UP), "web: down from t=20 (first record not up) to t=40 (next up)");
	ok(period_is(w, 1, 50, 60, PERIOD_UNHEALTHY, END_UP), "web: unhealthy from t=50 to t=60");
	ok(period_is(w, 2, 70, 200, PERIOD_UNKNOWN, END_DATA), "web: unknown from t=70 to t=200 (gap > 3 intervals)");
	ok(period_is(w, 3, 210, 220, PERIOD_DOWN, END_DATA), "web: down from t=210, still down at the last record t=220");
	is_int((int)w->cpu.n, 7, "web: 7 CPU values");
	is_near(w->cpu.avg, 40, 1e-9, "web: CPU avg 40");
	is_near(w->cpu.p95, 70, 1e-9, "web: CPU p95 70 (nearest rank 7 of 7)");
	is_near(w->cpu.max, 70, 1e-9, "web: CPU max 70");
	is_near(w->mem.avg, 250.0 / 7, 1e-5, "web: memory avg 35.714");
	is_near(w->mem.p95, 50, 1e-9, "web: memory p95 50");
	is_int((int)w->resp.n, 6, "web: 6 response times");
	is_near(w->resp.p50, 300, 1e-9, "web: response p50 300 (3rd of 6)");
	is_near(w->resp.p95, 600, 1e-9, "web: response p95 600 (6th of 6)");
	is_near(w->resp.p99, 600, 1e-9, "web: response p99 600");
	is_near(w->mem_used_max_bytes, 1048576, 0.5, "web: max memory used 1 MiB");
	is_int((int)w->alerts[ALERT_CONTAINER_DOWN], 2, "web: container_down fired twice (resolved not counted)");
	is_int((int)w->alerts[ALERT_HIGH_CPU], 1, "web: high_cpu fired once");
	const struct report_container *d = find(r, "db");
	ok(d && d->rows == 5 && d->availability_pct == 100 && d->nperiods == 0, "db: 5 rows, 100 %% available, no intervals");
	ok(d && d->image && strcmp(d->image, "pg,\"15\"\nalpine") == 0,
	   "db: an image with a comma, doubled quotes and a line break is read back exactly (a two-line record)");
	ok(d && d->cpu.p95 == 5 && d->cpu.avg == 3, "db: CPU p95 5, avg 3");
	const struct report_container *g = find(r, "ghost");
	ok(g && g->rows == 0 && g->alerts[ALERT_HEALTH_FAILED] == 1, "ghost: no rows, one health_failed");

	struct buf h;
	buf_init(&h);
	ok(report_write_html(r, &h) == 0, "the HTML report is written");
	ok(h.data && !strstr(h.data, "<img") && strstr(h.data, "x&lt;img src=x onerror=alert(1)&gt;"),
	   "HTML: the hostile name is escaped, no <img> element");
	ok(h.data && strstr(h.data, "55.556 %") && strstr(h.data, "data-kind=\"down\"") &&
	       strstr(h.data, "data-kind=\"unknown\"") && strstr(h.data, "<svg"),
	   "HTML: availability, the intervals (down, unknown) and SVG charts");
	ok(h.data && !strstr(h.data, "http://") && !strstr(h.data, "https://") && !strstr(h.data, "<script"),
	   "HTML: self-contained (no URL, no script)");
	buf_free(&h);
	char *text = NULL;
	size_t tlen = 0;
	FILE *mf = open_memstream(&text, &tlen);
	ok(mf && report_write_text(r, mf) == 0, "the text summary is written");
	if (mf)
		fclose(mf);
	ok(text && strstr(text, "availability   55.556 %") &&
	       strstr(text, "down       2026-11-24T05:00:20.000Z  2026-11-24T05:00:40.000Z  20s (20.000 s)  up again") &&
	       strstr(text, "unknown    2026-11-24T05:01:10.000Z  2026-11-24T05:03:20.000Z  2m 10s (130.000 s)") &&
	       strstr(text, "still not up at the last record") && strstr(text, "container_down 2, high_cpu 1"),
	   "text: availability, intervals with start, end and length, alert counts");
	ok(text && !strstr(text, "\nalpine"), "text: the image's line break is not passed to the terminal");
	if (text && !strstr(text, "availability   55.556 %"))
		printf("%s", text);
	free(text);
	report_free(r);

	/* ---- a window: since t=25, until t=65 → web rows 30 (down), 40 (up), 50 (unhealthy), 60 (up):
	 * down [30,40) 10 s, unhealthy [50,60) 10 s, up [40,50) 10 s; availability 10/30 = 33.333 %. */
	o.since_ms = S(25);
	o.until_ms = S(65);
	r = report_new(&o);
	ok(report_read_csv(r, csv, NULL, err, sizeof err) == 0 && report_read_alerts(r, alog, err, sizeof err) == 0,
	   "window t=25..65 read");
	w = find(r, "web");
	ok(w && w->rows == 4 && w->up_ms == 10000 && w->down_ms == 10000 && w->unhealthy_ms == 10000,
	   "window: web has 4 rows, 10 s up, down and unhealthy");
	ok(w && fabs(w->availability_pct - 100.0 / 3) < 1e-9, "window: availability 33.333 %%");
	ok(w && period_is(w, 0, 30, 40, PERIOD_DOWN, END_UP) && period_is(w, 1, 50, 60, PERIOD_UNHEALTHY, END_UP) &&
	       w->nperiods == 2,
	   "window: down [30,40) (starts at the window's first record), unhealthy [50,60)");
	ok(w && w->alerts[ALERT_CONTAINER_DOWN] == 0 && w->alerts[ALERT_HIGH_CPU] == 0,
	   "window: no alert counted (container_down at t=20 and t=210 are outside; high_cpu at t=65 = until, excluded)");
	report_free(r);

	/* ---- --container db ---- */
	char *names[] = {"db"};
	struct report_opts od = {INT64_MIN, INT64_MAX, names, 1};
	r = report_new(&od);
	ok(report_read_csv(r, csv, NULL, err, sizeof err) == 0 && report_read_alerts(r, alog, err, sizeof err) == 0 &&
	       report_count(r) == 1 && strcmp(report_get(r, 0)->name, "db") == 0,
	   "--container db: only db");
	report_free(r);

	/* ---- time arguments ---- */
	int64_t now = S(3600), v = 0;
	ok(report_parse_time("2026-11-24T05:00:00Z", now, &v) == 0 && v == T0, "ISO 8601 with Z");
	ok(report_parse_time("2026-11-24T05:00:00.250Z", now, &v) == 0 && v == T0 + 250, "ISO 8601 with milliseconds");
	ok(report_parse_time("2026-11-24", now, &v) == 0 && v == T0 - 5 * 3600000LL, "a date alone is midnight UTC");
	ok(report_parse_time("2026-11-24 05:00", now, &v) == 0 && v == T0, "date, space, HH:MM");
	ok(report_parse_time("2026-11-24T07:00:00+02:00", now, &v) == 0 && v == T0, "an offset is applied");
	ok(report_parse_time("-2h", now, &v) == 0 && v == now - 7200000, "-2h is two hours ago");
	ok(report_parse_time("1d", now, &v) == 0 && v == now - 86400000, "1d is a day ago");
	ok(report_parse_time("1h30m", now, &v) == 0 && v == now - 5400000, "1h30m");
	ok(report_parse_time("now", now, &v) == 0 && v == now, "now");
	ok(report_parse_time("yesterday", now, &v) == -1, "a word is refused");
	ok(report_parse_time("2026-13-01", now, &v) == -1, "month 13 is refused");
	ok(report_parse_time("2h-", now, &v) == -1, "trailing junk is refused");

	r = report_new(&o);
	ok(report_read_csv(r, "/nonexistent/metrics.csv", NULL, err, sizeof err) == -1 &&
	       strstr(err, "/nonexistent/metrics.csv"),
	   "a missing CSV is an error naming it: %s", err);
	report_free(r);

	buf_free(&b);
	char cmd[600];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		printf("# cleanup of %s failed\n", dir);
	return tap_done();
}
