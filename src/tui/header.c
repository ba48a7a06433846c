/* header.c — the two top lines: engine and host, host CPU and memory meters, counts, interval, clock and
 * lookout's own cost; an unreachable engine is stated here, never in a box that hides the table. */
#include "autoconfig.h"
#include "tui/view.h"

#include <curses.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "tui/gauge.h"
#include "tui/text.h"
#include "tui/theme.h"

static int meter(struct view *v, int y, int x, const char *name, double pct, const char *after, int gw)
{
	if (x + (int)strlen(name) + gw + 8 > v->cols_n)
		return x;
	x = view_put_fit(v, y, x, theme_attr(ROLE_HEADER), name);
	enum band b = gauge_band(pct, v->gauge_warn, v->gauge_crit);
	struct buf s;
	buf_init(&s);
	gauge_render(&s, v->g, pct, gw);
	int role = b == BAND_CRIT ? ROLE_CRIT : b == BAND_WARN ? ROLE_WARN : ROLE_OK;
	view_put(y, x, theme_attr(role), s.data);
	x += gw;
	buf_reset(&s);
	gauge_label(&s, v->g, pct, b, 7);
	x = view_put_fit(v, y, x, theme_attr(ROLE_NORMAL), s.data);
	buf_free(&s);
	if (after)
		x = view_put_fit(v, y, x, theme_attr(ROLE_DIM), after);
	return x;
}

/* Several engines: "3 engines, 1 unreachable: NAME (since HH:MM:SS, reason)" or "3 engines up", then the
 * container counts. Each engine's own line is its header row in the table. */

/* "  N running  M stopped" at (y, x); returns the column after it. */
static int put_counts(struct view *v, const struct snapshot *s, int y, int x)
{
	char t[64];
	size_t running = 0;
	for (size_t i = 0; i < s->n; i++)
		running += s->c[i].state == CSTATE_RUNNING;
	size_t stopped = s->n - running;
	snprintf(t, sizeof t, "  %zu running", running);
	x = view_put_fit(v, y, x, theme_attr(ROLE_OK), t);
	snprintf(t, sizeof t, "  %zu stopped", stopped);
	return view_put_fit(v, y, x, theme_attr(stopped ? ROLE_CRIT : ROLE_DIM), t);
}

static int engines_summary(struct view *v, int y, int x, const struct snapshot *s)
{
	char t[700];
	if (v->host_filter[0]) {
		/* First, so a narrow screen cuts the engines' story rather than which host is shown. */
		struct buf b;
		buf_init(&b);
		text_fit(&b, v->host_filter, 30, false, v->g);
		snprintf(t, sizeof t, "host %s of ", b.data ? b.data : "");
		buf_free(&b);
		x = view_put_fit(v, y, x, theme_attr(ROLE_WARN), t);
	}
	size_t down = 0, first = 0;
	for (size_t e = s->nengines; e-- > 0;)
		if (s->engines[e].known && !s->engines[e].up) {
			down++;
			first = e;
		}
	if (!down) {
		snprintf(t, sizeof t, "%zu engines up", s->nengines);
		x = view_put_fit(v, y, x, theme_attr(ROLE_NORMAL), t);
	} else {
		const struct snap_engine *e = &s->engines[first];
		char since[16] = "?";
		if (e->since_ms)
			view_clock(e->since_ms, since, sizeof since);
		snprintf(t, sizeof t, "%zu engines, %zu unreachable: %s ", s->nengines, down, v->g->status[CS_STOPPED]);
		x = view_put_fit(v, y, x, theme_attr(ROLE_NORMAL), t);
		struct buf b;
		buf_init(&b);
		text_fit(&b, e->name, 40, false, v->g);
		snprintf(t, sizeof t, "%s (since %s%s%s)%s", b.data ? b.data : "", since, e->error[0] ? ", " : "", e->error,
		         down > 1 ? " ..." : "");
		buf_free(&b);
		x = view_put_fit(v, y, x, theme_attr(ROLE_CRIT), t);
	}
	return put_counts(v, s, y, x);
}

void header_draw(struct view *v, int y)
{
	const struct snapshot *s = v->snap;
	char t[600];
	int x = 0;
	x = view_put_fit(v, y, x, theme_attr(ROLE_HEADER), "lookout ");
	if (v->remote && v->remote_down) {
		/* --connect: the daemon went away; the picture below is its last one. */
		char since[16], shown[16];
		view_clock(v->remote_down_since_ms, since, sizeof since);
		if (s)
			view_clock(s->wall_ms, shown, sizeof shown);
		snprintf(t, sizeof t, "%s daemon unreachable since %s, retrying%s%s", v->g->status[CS_STOPPED], since,
		         s ? "; showing its picture of " : "", s ? shown : "");
		x = view_put_fit(v, y, x, theme_attr(ROLE_CRIT), t);
		if (v->remote_error[0]) {
			struct buf b;
			buf_init(&b);
			int room = v->cols_n - 12 - x - 2;
			if (room >= 8 && buf_puts(&b, " (") == 0 && text_fit(&b, v->remote_error, room, false, v->g) > 0 &&
			    buf_puts(&b, ")") == 0)
				x = view_put_fit(v, y, x, theme_attr(ROLE_DIM), b.data);
			buf_free(&b);
		}
	} else if (!s) {
		view_put_fit(v, y, x, theme_attr(ROLE_DIM),
		             v->remote ? "connecting to the daemon..." : "connecting to the engine...");
	} else if (s->nengines > 1) {
		/* The clock on the right wins over a long story about the engines. */
		int cols = v->cols_n;
		v->cols_n = cols - 22 > x ? cols - 22 : x;
		x = engines_summary(v, y, x, s);
		v->cols_n = cols;
	} else if (!s->engine_up) {
		char since[16];
		view_clock(v->engine_down_since_ms ? v->engine_down_since_ms : s->wall_ms, since, sizeof since);
		snprintf(t, sizeof t, "%s engine unreachable since %s, retrying", v->g->status[CS_STOPPED], since);
		x = view_put_fit(v, y, x, theme_attr(ROLE_CRIT), t);
		if (s->engine_error[0]) {
			/* The reason fits in what the right side leaves, cut with an ellipsis; the log has it whole. */
			char right_est[64];
			snprintf(right_est, sizeof right_est, " every %gs  00:00:00", v->interval_s);
			int room = v->cols_n - text_width(right_est) - 1 - x - 2;
			if (room >= 8) {
				struct buf b;
				buf_init(&b);
				buf_puts(&b, " (");
				int w = text_fit(&b, s->engine_error, room, false, v->g);
				if (w > 0 && buf_puts(&b, ")") == 0)
					x = view_put_fit(v, y, x, theme_attr(ROLE_DIM), b.data);
				buf_free(&b);
			}
		}
	} else {
		snprintf(t, sizeof t, "docker %s", s->version.version[0] ? s->version.version : "?");
		x = view_put_fit(v, y, x, theme_attr(ROLE_NORMAL), t);
		if (s->host[0]) {
			snprintf(t, sizeof t, " @ %s", s->host);
			x = view_put_fit(v, y, x, theme_attr(ROLE_NORMAL), t);
		}
		x = put_counts(v, s, y, x);
	}
	/* Right side: interval, window, clock of the data (not of the wall: an idle screen stays still). */
	char clock[16] = "--:--:--";
	if (s)
		view_clock(s->tick_wall_ms ? s->tick_wall_ms : s->wall_ms, clock, sizeof clock);
	int ws = view_windows_s[v->window_idx];
	char right[96];
	/* Narrow screens drop the interval before the clock, and never the PAUSED mark. */
	snprintf(right, sizeof right, "%s every %gs  %s", v->paused ? "PAUSED " : "", v->interval_s, clock);
	int rw = text_width(right);
	if (v->cols_n - rw <= x + 1) {
		snprintf(right, sizeof right, "%s %s", v->paused ? "PAUSED" : "", clock);
		rw = text_width(right);
	}
	if (v->cols_n - rw <= x + 1 && v->paused) {
		snprintf(right, sizeof right, "PAUSED");
		rw = text_width(right);
	}
	/* The engine's version string can be long: the right side wins over it. */
	if (v->cols_n - rw > x)
		view_put_fit(v, y, v->cols_n - rw, theme_attr(v->paused ? ROLE_WARN : ROLE_DIM), right);

	/* Second line: host meters and lookout's own cost. */
	y++;
	x = 0;
	int gw = v->cols_n >= 160 ? 20 : v->cols_n >= 100 ? 12 : 8;
	char after[64];
	if (v->remote) {
		/* Whose picture this is: the host meters would be this terminal's machine, not the daemon's. */
		snprintf(t, sizeof t, "via %s  ", v->remote);
		x = view_put_fit(v, y, x, theme_attr(ROLE_INFO), t);
	}
	if (v->host.have) {
		x = meter(v, y, x, "CPU ", v->host.cpu_pct, NULL, gw);
		char u[16], l[16];
		view_bytes(v->host.mem_used_bytes, u, sizeof u);
		view_bytes(v->host.mem_total_bytes, l, sizeof l);
		snprintf(after, sizeof after, " %s/%s", u, l);
		double mp = v->host.mem_total_bytes > 0 ? v->host.mem_used_bytes * 100.0 / v->host.mem_total_bytes : NAN;
		x = meter(v, y, x + 1, " MEM ", mp, after, gw);
	} else if (s) {
		char l[16];
		view_bytes((double)s->host_mem_bytes, l, sizeof l);
		snprintf(t, sizeof t, "%u CPUs, %s memory", s->host_cpus, l);
		x = view_put_fit(v, y, x, theme_attr(ROLE_DIM), t);
	}
	if (s) {
		char rss[16];
		view_bytes((double)s->self_rss_bytes, rss, sizeof rss);
		snprintf(t, sizeof t, "  self %.1f%% %s", isnan(s->self_cpu_pct) ? 0.0 : s->self_cpu_pct, rss);
		x = view_put_fit(v, y, x, theme_attr(ROLE_DIM), t);
	}
	if (ws >= 3600)
		snprintf(t, sizeof t, "window %dh", ws / 3600);
	else
		snprintf(t, sizeof t, "window %dm", ws / 60);
	rw = text_width(t);
	if (v->cols_n - rw > x + 1)
		view_put_fit(v, y, v->cols_n - rw, theme_attr(ROLE_DIM), t);
}
