/* timeline.c — the up/down bar: history points bucketed into cells, worst status wins, so a short outage
 * is never averaged away. It draws nothing itself and does not judge what "down" means (the collector did). */
#include "autoconfig.h"
#include "tui/timeline.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

/* Severity order for "worst wins". */
static int rank(uint8_t s)
{
	switch (s) {
	case PT_DOWN:
		return 3;
	case PT_UNHEALTHY:
		return 2;
	case PT_UP:
		return 1;
	default:
		return 0;
	}
}

static void mark(uint8_t *cells, int width, int64_t start_ms, int64_t end_ms, int64_t from, int64_t to,
                 uint8_t status)
{
	if (to <= start_ms || from >= end_ms || to <= from)
		return;
	if (from < start_ms)
		from = start_ms;
	if (to > end_ms)
		to = end_ms;
	int64_t span = end_ms - start_ms;
	int a = (int)((from - start_ms) * width / span);
	int b = (int)(((to - start_ms) * width + span - 1) / span); /* exclusive, rounded up */
	if (b > width)
		b = width;
	for (int i = a; i < b; i++)
		if (rank(status) > rank(cells[i]))
			cells[i] = status;
}

void timeline_bucket(const struct series_view *v, uint8_t live_status, int64_t live_since_ms, int64_t start_ms,
                     int64_t end_ms, int width, uint8_t *cells)
{
	memset(cells, PT_NONE, (size_t)(width > 0 ? width : 0));
	if (width <= 0 || end_ms <= start_ms)
		return;
	size_t n = v ? v->count : 0;
	/* Points are in time order: skip those that end before the window (binary search would do; history is
	 * at most a few thousand points and this runs only when the screen changes). */
	size_t i = 0;
	while (i + 1 < n && series_view_get(v, i + 1).wall_ms <= start_ms)
		i++;
	struct point last = {.wall_ms = INT64_MIN, .status = PT_NONE};
	if (n)
		series_view_last(v, &last);
	int64_t newest = last.wall_ms;
	for (; i < n; i++) {
		const struct point pv = series_view_get(v, i), *p = &pv;
		if (p->wall_ms >= end_ms) {
			/* A tick stamped at (or, by clock steps, after) the window's end is the newest news: it belongs
			 * in the last cell, not outside the window. */
			if (rank(p->status) > rank(cells[width - 1]))
				cells[width - 1] = p->status;
			continue;
		}
		int64_t to = i + 1 < n ? series_view_get(v, i + 1).wall_ms : end_ms;
		if (i + 1 == n && live_status != PT_NONE && live_status != p->status)
			to = live_since_ms > p->wall_ms ? live_since_ms : p->wall_ms + 1;
		/* A point stands for its own instant too, so a single point still shows. */
		if (to <= p->wall_ms)
			to = p->wall_ms + 1;
		mark(cells, width, start_ms, end_ms, p->wall_ms, to, p->status);
	}
	/* The snapshot's state is never older than its newest point: when they differ, the state wins from its
	 * own start, or from that point if the point was taken just after the change but before the event. */
	if (live_status != PT_NONE && (n == 0 || live_status != last.status)) {
		int64_t from = n && live_since_ms < newest ? newest : live_since_ms;
		if (from >= end_ms)
			from = end_ms - 1;
		mark(cells, width, start_ms, end_ms, from, end_ms, live_status);
	}
}

int timeline_render(struct buf *out, const struct glyphs *g, const uint8_t *cells, int width)
{
	int rc = 0;
	for (int i = 0; i < width; i++)
		rc |= buf_puts(out, g->timeline[cells[i] <= PT_DOWN ? cells[i] : PT_NONE]);
	return rc ? -1 : 0;
}

int timeline_axis(struct buf *ticks, struct buf *labels, const struct glyphs *g, int64_t start_ms,
                  int64_t end_ms, int width)
{
	static const int64_t steps_s[] = {5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200};
	int64_t span = end_ms - start_ms;
	if (width <= 0 || span <= 0)
		return 0;
	/* The smallest step whose labels do not touch; steps under a minute need seconds in the label. */
	int64_t step_ms = steps_s[ARRAY_LEN(steps_s) - 1] * 1000;
	for (size_t k = 0; k < ARRAY_LEN(steps_s); k++) {
		int64_t s = steps_s[k] * 1000;
		int w = s < 60000 ? 8 : 5;
		if (s * width / span >= w + 2) {
			step_ms = s;
			break;
		}
	}
	bool with_s = step_ms < 60000;
	char labrow[1024];
	if (width >= (int)sizeof labrow)
		width = (int)sizeof labrow - 1;
	int tickpos[256];
	int nticks = 0;
	memset(labrow, ' ', (size_t)width);
	labrow[width] = '\0';
	/* Ticks fall on whole multiples of the step in local time, as a person reads a clock. */
	time_t t0 = (time_t)(start_ms / 1000);
	struct tm tm;
	localtime_r(&t0, &tm);
	int64_t off_ms = (int64_t)tm.tm_gmtoff * 1000;
	int64_t first = ((start_ms + off_ms + step_ms - 1) / step_ms) * step_ms - off_ms;
	for (int64_t t = first; t < end_ms && nticks < (int)ARRAY_LEN(tickpos); t += step_ms) {
		int col = (int)((t - start_ms) * width / span);
		if (col >= width)
			break;
		char lab[16];
		time_t ts = (time_t)(t / 1000);
		struct tm lt;
		localtime_r(&ts, &lt);
		strftime(lab, sizeof lab, with_s ? "%H:%M:%S" : "%H:%M", &lt);
		int lw = (int)strlen(lab);
		if (col + lw <= width) {
			memcpy(labrow + col, lab, (size_t)lw);
			tickpos[nticks++] = col;
		}
	}
	int rc = 0;
	int k = 0;
	for (int c = 0; c < width; c++) {
		if (k < nticks && tickpos[k] == c) {
			rc |= buf_puts(ticks, g->tick);
			k++;
		} else {
			rc |= buf_puts(ticks, g->hline);
		}
	}
	rc |= buf_puts(labels, labrow);
	return rc ? -1 : 0;
}
