/* detail.c — one container at length: large CPU and memory gauges, a latency chart with min/avg/max and the
 * threshold, a combined CPU and memory chart, the up/down timeline with a time axis and the exact down
 * periods, and that container's alerts. Draws from the snapshot only. */
#include "autoconfig.h"
#include "tui/view.h"

#include <curses.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "tui/gauge.h"
#include "tui/sparkline.h"
#include "tui/text.h"
#include "tui/theme.h"
#include "tui/timeline.h"

#define MAXW 512

enum field { F_CPU, F_MEM, F_RESP };

/* Per-cell averages of a field over [start, end); NaN where the cell has no value. */
static void bucket(const struct series_view *h, int64_t start, int64_t end, int n, enum field f, float *out)
{
	double sum[MAXW];
	int cnt[MAXW];
	for (int i = 0; i < n; i++) {
		sum[i] = 0;
		cnt[i] = 0;
	}
	for (size_t i = 0; i < h->count; i++) {
		const struct point pv = series_view_get(h, i), *p = &pv;
		if (p->wall_ms < start || p->wall_ms >= end)
			continue;
		int k = (int)((p->wall_ms - start) * n / (end - start));
		double val = f == F_CPU ? p->cpu_pct : f == F_MEM ? p->mem_pct : p->response_ms >= 0 ? p->response_ms : NAN;
		if (!isnan(val)) {
			sum[k] += val;
			cnt[k]++;
		}
	}
	for (int i = 0; i < n; i++)
		out[i] = cnt[i] ? (float)(sum[i] / cnt[i]) : NAN;
}

static void big_gauge(struct view *v, int y, const char *name, double pct, const char *after)
{
	int x = view_put_fit(v, y, 0, theme_attr(ROLE_TITLE), name);
	/* The same room after every gauge, so the gauges line up. */
	int aw = 24;
	int gw = v->cols_n - x - 8 - aw - 1;
	if (gw < 4)
		gw = 4;
	enum band b = gauge_band(pct, v->gauge_warn, v->gauge_crit);
	struct buf s;
	buf_init(&s);
	gauge_render(&s, v->g, pct, gw);
	view_put(y, x, theme_attr(b == BAND_CRIT ? ROLE_CRIT : b == BAND_WARN ? ROLE_WARN : ROLE_OK), s.data);
	x += gw;
	buf_reset(&s);
	gauge_label(&s, v->g, pct, b, 8);
	x = view_put_fit(v, y, x, theme_attr(ROLE_NORMAL), s.data);
	buf_free(&s);
	if (after)
		view_put_fit(v, y, x + 1, theme_attr(ROLE_DIM), after);
}

static void draw_chart(struct view *v, int y, int h, int x, int w, const float *bars, const float *mark, float lo,
                       float hi, float thr, int bar_role)
{
	struct buf rows[16];
	if (h > 16)
		h = 16;
	for (int r = 0; r < h; r++)
		buf_init(&rows[r]);
	sparkline_chart(rows, h, v->g, bars, mark, (size_t)w, w, lo, hi, thr);
	for (int r = 0; r < h; r++) {
		view_put(y + r, x, theme_attr(bar_role), rows[r].data);
		buf_free(&rows[r]);
	}
}

/* The down (and unhealthy) periods inside the window, exactly, from the points' own times. */
static void down_periods(struct view *v, int y, const struct snap_container *c, int64_t start, int64_t end)
{
	char line[1024];
	size_t len = 0;
	line[0] = '\0';
	int64_t from = 0;
	uint8_t cur = PT_NONE;
	int count = 0;
	const struct series_view *h = &c->hist;
	for (size_t i = 0; i <= h->count; i++) {
		struct point pv;
		if (i < h->count)
			pv = series_view_get(h, i);
		const struct point *p = i < h->count ? &pv : NULL;
		uint8_t st = p ? p->status : PT_NONE;
		int64_t t = p ? p->wall_ms : end;
		if (p && p->wall_ms < start)
			continue;
		if (st != cur) {
			if (cur == PT_DOWN || cur == PT_UNHEALTHY) {
				char a[16], b[16];
				view_clock(from, a, sizeof a);
				view_clock(t, b, sizeof b);
				int n = snprintf(line + len, sizeof line - len, "%s%s %s-%s (%llds)", count ? ", " : "",
				                 cur == PT_DOWN ? "down" : "unhealthy", a, p ? b : "now",
				                 (long long)((t - from + 500) / 1000));
				if (n > 0 && (size_t)n < sizeof line - len)
					len += (size_t)n;
				count++;
			}
			cur = st;
			from = t;
		}
	}
	/* Between ticks the engine's event is newer than the last point: say so precisely. */
	enum cstatus cs = view_status(c);
	if (cs == CS_STOPPED && c->state_since_ms) {
		char a[16];
		view_clock(c->state_since_ms, a, sizeof a);
		char ms[24];
		snprintf(ms, sizeof ms, "%s.%03lld", a, (long long)(c->state_since_ms % 1000));
		int x = view_put_fit(v, y, 0, theme_attr(ROLE_CRIT), "down since ");
		x = view_put_fit(v, y, x, theme_attr(ROLE_CRIT), ms);
		if (count)
			view_put_fit(v, y, x, theme_attr(ROLE_DIM), "; ");
		if (count)
			view_put_fit(v, y, x + 2, theme_attr(ROLE_DIM), line);
		return;
	}
	view_put_fit(v, y, 0, theme_attr(count ? ROLE_WARN : ROLE_DIM), count ? line : "no downtime in this window");
}

void detail_draw(struct view *v, int y, int h)
{
	/* By id, not by row: when the container is removed its row goes to a neighbour, the detail view must not. */
	const struct snap_container *c = NULL;
	for (size_t i = 0; v->snap && i < v->snap->n && !c; i++)
		if (strcmp(v->snap->c[i].si->info.id, v->sel_id) == 0)
			c = &v->snap->c[i];
	if (!c) {
		view_put_fit(v, y, 2, theme_attr(ROLE_DIM), "the container is gone (Esc: back)");
		return;
	}
	const struct glyphs *g = v->g;
	int bottom = y + h;
	char t[512];
	enum cstatus st = view_status(c);
	/* Line 1: who and what state since when. */
	int x = view_put_fit(v, y, 0, theme_attr(st == CS_STOPPED ? ROLE_CRIT : st == CS_UNHEALTHY ? ROLE_WARN : ROLE_OK),
	            g->status[st]);
	x = view_put_fit(v, y, x + 1, theme_attr(ROLE_HEADER), view_name(c));
	char since[16];
	view_clock(c->state_since_ms, since, sizeof since);
	snprintf(t, sizeof t, "  %s%s%s", view_status_text(st), c->state_since_ms ? " since " : "",
	         c->state_since_ms ? since : "");
	x = view_put_fit(v, y, x, theme_attr(st == CS_STOPPED ? ROLE_CRIT : ROLE_NORMAL), t);
	if (st == CS_STOPPED && c->exit_code >= 0) {
		snprintf(t, sizeof t, " (exit %d%s)", c->exit_code, c->oom_killed ? ", OOM-killed" : "");
		x = view_put_fit(v, y, x, theme_attr(ROLE_CRIT), t);
	}
	snprintf(t, sizeof t, "  %s  %.12s  restarts %d", c->si->info.image ? c->si->info.image : "", c->si->info.id,
	         c->restarts);
	view_put_fit(v, y, x, theme_attr(ROLE_DIM), t);
	y++;

	/* Large gauges. */
	bool live = c->have_metrics;
	char u[16], l[16], after[64];
	if (live && c->m.cpu_limit_pct == c->m.cpu_limit_pct && c->m.cpu_pct > 0 && c->m.cpu_limit_pct > 0)
		snprintf(after, sizeof after, "of %.2g CPUs", c->m.cpu_pct / c->m.cpu_limit_pct);
	else
		after[0] = '\0';
	big_gauge(v, y++, "CPU ", live ? c->m.cpu_pct : NAN, after[0] ? after : NULL);
	view_bytes(live ? c->m.mem_used_bytes : NAN, u, sizeof u);
	view_bytes(live ? c->m.mem_limit_bytes : NAN, l, sizeof l);
	snprintf(after, sizeof after, "%s / %s", u, l);
	big_gauge(v, y++, "MEM ", live ? c->m.mem_pct : NAN, after);
	char rx[16], tx[16], br[16], bw[16];
	view_rate(live ? c->m.net_rx_bps : NAN, rx, sizeof rx);
	view_rate(live ? c->m.net_tx_bps : NAN, tx, sizeof tx);
	view_rate(live ? c->m.blk_read_bps : NAN, br, sizeof br);
	view_rate(live ? c->m.blk_write_bps : NAN, bw, sizeof bw);
	char pids[24];
	if (live && !isnan(c->m.pids))
		snprintf(pids, sizeof pids, "%.0f", c->m.pids);
	else
		snprintf(pids, sizeof pids, "-");
	snprintf(t, sizeof t, "NET rx %s/s tx %s/s   BLOCK read %s/s write %s/s   PIDS %s   source %s", rx, tx, br, bw,
	         pids, c->source ? metric_source_name(c->source) : "-");
	view_put_fit(v, y++, 0, theme_attr(ROLE_NORMAL), t);

	int w = v->cols_n - 8;
	if (w > MAXW)
		w = MAXW;
	if (w < 10)
		return;
	int64_t end = v->snap->wall_ms, start = end - (int64_t)view_windows_s[v->window_idx] * 1000;
	/* Space: latency chart, CPU/MEM chart, timeline block (4 rows), alerts (2+). */
	float vals[MAXW], mem[MAXW];
	bucket(&c->hist, start, end, w, F_RESP, vals);
	double mn = INFINITY, mx = 0, sum = 0;
	int cnt = 0;
	for (size_t i = 0; i < c->hist.count; i++) {
		const struct point pv = series_view_get(&c->hist, i), *p = &pv;
		if (p->wall_ms >= start && p->response_ms >= 0) {
			mn = p->response_ms < mn ? p->response_ms : mn;
			mx = p->response_ms > mx ? p->response_ms : mx;
			sum += p->response_ms;
			cnt++;
		}
	}
	/* Rows for the charts: two titles, the timeline block (5 rows) and at least two rows of alerts stay. */
	int charts = bottom - y - 2 - 5 - 2;
	int lat_h = cnt ? (charts >= 6 ? charts * 2 / 5 : charts >= 2 ? 1 : 0) : 0;
	if (lat_h > 8)
		lat_h = 8;
	int cm_h = charts - lat_h;
	if (cm_h > 16)
		cm_h = 16;
	if (cm_h < 0)
		cm_h = 0;

	/* Latency. */
	if (cnt)
		snprintf(t, sizeof t, "LATENCY  min %.0f  avg %.0f  max %.0f ms", mn, sum / cnt, mx);
	else
		snprintf(t, sizeof t, "LATENCY  no HTTP check for this container (label lookout.url or --probe)");
	x = view_put_fit(v, y, 0, theme_attr(ROLE_TITLE), t);
	if (cnt && !isnan(v->resp_threshold_ms)) {
		snprintf(t, sizeof t, "  threshold %s %.0f ms", g->threshold, v->resp_threshold_ms);
		view_put_fit(v, y, x, theme_attr(ROLE_WARN), t);
	}
	y++;
	if (lat_h > 0 && cnt) {
		float hi = (float)mx;
		if (!isnan(v->resp_threshold_ms) && v->resp_threshold_ms > hi)
			hi = (float)v->resp_threshold_ms;
		snprintf(t, sizeof t, "%5.0f", hi);
		view_put_fit(v, y, 0, theme_attr(ROLE_DIM), t);
		view_put_fit(v, y + lat_h - 1, 0, theme_attr(ROLE_DIM), "    0");
		draw_chart(v, y, lat_h, 7, w, vals, NULL, 0, hi > 0 ? hi : 1,
		           isnan(v->resp_threshold_ms) ? NAN : (float)v->resp_threshold_ms, ROLE_INFO);
		y += lat_h;
	}

	/* CPU bars with the memory line over them, one scale: percent. */
	bucket(&c->hist, start, end, w, F_CPU, vals);
	bucket(&c->hist, start, end, w, F_MEM, mem);
	float hi = 100;
	for (int i = 0; i < w; i++)
		if (!isnan(vals[i]) && vals[i] > hi)
			hi = vals[i];
	x = view_put_fit(v, y, 0, theme_attr(ROLE_TITLE), "CPU % ");
	x = view_put_fit(v, y, x, theme_attr(ROLE_OK), g->gauge_eighths[8]);
	x = view_put_fit(v, y, x, theme_attr(ROLE_TITLE), " and MEM % ");
	view_put_fit(v, y, x, theme_attr(ROLE_CHART_MEM), g->chart_mark);
	y++;
	if (cm_h > 0) {
		snprintf(t, sizeof t, "%4.0f%%", hi);
		view_put_fit(v, y, 0, theme_attr(ROLE_DIM), t);
		view_put_fit(v, y + cm_h - 1, 0, theme_attr(ROLE_DIM), "   0%");
		draw_chart(v, y, cm_h, 7, w, vals, NULL, 0, hi, NAN, ROLE_OK);
		/* The memory marks in their own colour: drawn again over the bars. */
		struct buf rows[16];
		int hh = cm_h > 16 ? 16 : cm_h;
		for (int r = 0; r < hh; r++)
			buf_init(&rows[r]);
		sparkline_chart(rows, hh, g, NULL, mem, (size_t)w, w, 0, hi, NAN);
		for (int r = 0; r < hh; r++) {
			/* Only the marks: walk the row's cells and draw the non-blank ones. */
			const char *p = rows[r].data ? rows[r].data : "";
			size_t mlen = strlen(g->chart_mark);
			for (int col = 0; *p; col++) {
				if (strncmp(p, g->chart_mark, mlen) == 0) {
					view_put(y + r, 7 + col, theme_attr(ROLE_CHART_MEM), g->chart_mark);
					p += mlen;
				} else {
					p += 1;
				}
			}
			buf_free(&rows[r]);
		}
		y += cm_h;
	}

	/* Up/down with a time axis. */
	if (y + 4 <= bottom) {
		view_put_fit(v, y++, 0, theme_attr(ROLE_TITLE), "UP/DOWN");
		uint8_t cells[MAXW];
		uint8_t live_st = st == CS_STOPPED ? PT_DOWN : c->up ? PT_UP : c->state == CSTATE_RUNNING ? PT_UNHEALTHY : PT_DOWN;
		timeline_bucket(&c->hist, live_st, c->state_since_ms, start, end, w, cells);
		struct buf b;
		buf_init(&b);
		for (int i = 0; i < w;) {
			int j = i;
			while (j < w && cells[j] == cells[i])
				j++;
			buf_reset(&b);
			timeline_render(&b, g, cells + i, j - i);
			int role = cells[i] == PT_DOWN ? ROLE_CRIT : cells[i] == PT_UNHEALTHY ? ROLE_WARN : ROLE_OK;
			view_put(y, 7 + i, theme_attr(role), b.data);
			i = j;
		}
		y++;
		struct buf ticks, labels;
		buf_init(&ticks);
		buf_init(&labels);
		timeline_axis(&ticks, &labels, g, start, end, w);
		view_put(y++, 7, theme_attr(ROLE_DIM), ticks.data);
		view_put(y++, 7, theme_attr(ROLE_DIM), labels.data);
		buf_free(&ticks);
		buf_free(&labels);
		buf_free(&b);
		if (y < bottom)
			down_periods(v, y++, c, start, end);
	}
	if (y < bottom)
		alerts_draw(v, y, bottom - y, c->si->info.id);
}
