/* test_widgets.c — the screen's pure widgets: gauge, sparkline, timeline and text fitting, in both glyph sets.
 * Strings in, strings out; no terminal needed. */
#include <locale.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "series.h"
#include "tap.h"
#include "tui/gauge.h"
#include "tui/sparkline.h"
#include "tui/text.h"
#include "tui/timeline.h"

static const struct glyphs *U, *A;

static const char *gauge(const struct glyphs *g, double pct, int w)
{
	static struct buf b;
	buf_reset(&b);
	gauge_render(&b, g, pct, w);
	return b.data ? b.data : "";
}

static const char *label(const struct glyphs *g, double pct, int w)
{
	static struct buf b;
	buf_reset(&b);
	gauge_label(&b, g, pct, gauge_band(pct, 60, 80), w);
	return b.data ? b.data : "";
}

static const char *spark(const struct glyphs *g, const float *v, size_t n, int w, float lo, float hi)
{
	static struct buf b;
	buf_reset(&b);
	sparkline_render(&b, g, v, n, w, lo, hi);
	return b.data ? b.data : "";
}

static const char *fit(const struct glyphs *g, const char *s, int w, bool pad)
{
	static struct buf b;
	buf_reset(&b);
	text_fit(&b, s, w, pad, g);
	return b.data ? b.data : "";
}

static struct point pt(int64_t t, uint8_t st)
{
	struct point p = {.wall_ms = t, .cpu_pct = 1, .mem_pct = 1, .mem_used_mb = 1, .response_ms = -1, .status = st};
	return p;
}

static const char *tl(const struct glyphs *g, const struct series_view *v, uint8_t live, int64_t since,
                      int64_t start, int64_t end, int w)
{
	static struct buf b;
	uint8_t cells[256];
	timeline_bucket(v, live, since, start, end, w, cells);
	buf_reset(&b);
	timeline_render(&b, g, cells, w);
	return b.data ? b.data : "";
}

static bool all_ascii(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s >= 0x80)
			return false;
	return true;
}

int main(void)
{
	setlocale(LC_ALL, "C.UTF-8");
	U = glyphs_utf8();
	A = glyphs_ascii();

	/* gauge */
	is_str(gauge(U, 50, 10), "█████·····", "UTF-8 gauge at 50%% fills half");
	is_str(gauge(A, 50, 10), "|||||.....", "ASCII gauge at 50%%");
	is_str(gauge(U, 0, 4), "····", "0%% is empty");
	is_str(gauge(U, 100, 4), "████", "100%% is full");
	is_str(gauge(U, 250, 4), "████", "values over 100 are clamped");
	is_str(gauge(U, NAN, 4), "····", "NaN is empty");
	is_str(gauge(U, 0.1, 4), "▏···", "a tiny non-zero value still shows");
	is_str(gauge(U, 56.25, 4), "██▎·", "eighths: 56.25%% of 4 cells is 2 cells and 2/8");
	is_str(gauge(A, 56.25, 4), "||:.", "ASCII partial cell");
	is_int(text_width(gauge(U, 37, 17)), 17, "a UTF-8 gauge is exactly its width in cells");
	is_int(gauge_band(59.9, 60, 80), BAND_OK, "below warn: ok");
	is_int(gauge_band(60, 60, 80), BAND_WARN, "from warn: warn");
	is_int(gauge_band(80, 60, 80), BAND_CRIT, "from crit: crit");
	is_int(gauge_band(NAN, 60, 80), BAND_NONE, "NaN: no band");
	is_str(label(U, 42.12, 7), " 42.1% ", "label: ok band has no mark");
	is_str(label(U, 65, 7), " 65.0%▴", "label: warn mark (UTF-8)");
	is_str(label(A, 92, 7), " 92.0%!", "label: crit mark (ASCII)");
	is_str(label(A, 100, 7), "  100%!", "label: 100%% without decimals");
	is_str(label(A, NAN, 7), "     - ", "label: NaN");
	ok(all_ascii(gauge(A, 33, 20)) && all_ascii(label(A, 99, 7)), "ASCII gauge and label are pure ASCII");

	/* sparkline */
	float v[] = {0, 1, 2, 3, 4, 5, 6, 7};
	is_str(spark(U, v, 8, 8, 0, 7), "▁▂▃▄▅▆▇█", "UTF-8 sparkline: eight levels");
	is_str(spark(A, v, 8, 8, 0, 7), "_.-~=+*#", "ASCII sparkline: eight levels");
	is_str(spark(U, v, 8, 4, 0, 7), "▅▆▇█", "keeps the newest values when narrower");
	is_str(spark(A, v, 2, 5, 0, 7), "   _.", "right-aligned when there are fewer values");
	float gaps[] = {NAN, -1, 7};
	is_str(spark(U, gaps, 3, 3, 0, 7), " ×█", "NaN is blank, a failure is marked");
	is_str(spark(A, gaps, 3, 3, 0, 7), " x#", "ASCII: the same");
	is_str(spark(A, v, 3, 3, 5, 5), "___", "flat scale: lowest level");
	struct buf rows[3];
	for (int i = 0; i < 3; i++)
		buf_init(&rows[i]);
	float bars[] = {0, 50, 100}, mem[] = {100, NAN, 0};
	sparkline_chart(rows, 3, A, bars, mem, 3, 3, 0, 100, NAN);
	is_str(rows[0].data, "o #", "chart top row: memory mark and a full bar");
	is_str(rows[1].data, " ##", "chart middle row");
	is_str(rows[2].data, " #o", "chart bottom row: the mark wins over the bar");
	for (int i = 0; i < 3; i++)
		buf_free(&rows[i]);

	/* timeline */
	struct series s;
	struct series_view sv;
	series_init(&s, 100, 1000);
	for (int64_t t = 0; t < 10; t++) {
		struct point p = pt(t * 1000, t >= 6 && t < 8 ? PT_DOWN : t == 3 ? PT_UNHEALTHY : PT_UP);
		series_append(&s, &p);
	}
	series_view_take(&s, 0, &sv);
	is_str(tl(A, &sv, PT_UP, 0, 0, 10000, 10), "###=##__##", "ASCII timeline: one cell per second");
	is_str(tl(U, &sv, PT_UP, 0, 0, 10000, 10), "███▄██▁▁██", "UTF-8 timeline");
	is_str(tl(A, &sv, PT_UP, 0, 0, 10000, 5), "#=#_#", "two points a cell: worst wins");
	is_str(tl(A, &sv, PT_UP, 0, -10000, 10000, 10), "     #=#_#", "before the history: none; two seconds a cell");
	is_str(tl(A, &sv, PT_DOWN, 9500, 0, 12000, 12), "###=##__#___",
	       "a live down between ticks shows at once");
	{
		struct series s2;
		struct series_view v2;
		series_init(&s2, 100, 1000);
		for (int64_t t = 0; t <= 5; t++) {
			struct point p = pt(t * 1000, t == 5 ? PT_DOWN : PT_UP);
			series_append(&s2, &p);
		}
		series_view_take(&s2, 0, &v2);
		is_str(tl(A, &v2, PT_DOWN, 4900, -5000, 5000, 10), "     ####_",
		       "a point stamped at the window's very end counts in the last cell");
		series_view_release(&v2);
		series_free(&s2);
	}
	ok(all_ascii(tl(A, &sv, PT_UP, 0, 0, 10000, 40)), "ASCII timeline is pure ASCII");
	is_int(text_width(tl(U, &sv, PT_UP, 0, 0, 10000, 33)), 33, "UTF-8 timeline is exactly its width");
	struct buf ticks, labels;
	buf_init(&ticks);
	buf_init(&labels);
	timeline_axis(&ticks, &labels, A, 0, 300000, 60);
	is_int(text_width(ticks.data), 60, "axis ticks fill the width");
	is_int((int)strlen(labels.data), 60, "axis labels fill the width");
	ok(strchr(ticks.data, '+') != NULL && strchr(labels.data, ':') != NULL, "axis has ticks and clock labels");
	buf_free(&ticks);
	buf_free(&labels);
	series_view_release(&sv);
	series_free(&s);

	/* text */
	is_str(fit(U, "web", 6, true), "web   ", "padded to the width");
	is_str(fit(U, "a-very-long-name", 8, false), "a-very-…", "cut with an ellipsis");
	is_str(fit(A, "a-very-long-name", 8, false), "a-very-~", "ASCII ellipsis");
	is_str(fit(U, "exact8ch", 8, false), "exact8ch", "exact fit is not cut");
	is_str(fit(U, "evil\033[2Jname", 20, false), "evil?[2Jname", "escape sequences are neutralised");
	is_str(fit(A, "ünï", 5, true), "?n?  ", "non-ASCII becomes ? under the ASCII set");
	is_str(fit(U, "日本語です", 7, false), "日本語…", "wide characters count two cells");
	is_int(text_width(fit(U, "日本語です", 6, true)), 6, "a cut before a wide character still pads");
	is_str(fit(U, "x\xff\xfey", 6, false), "x??y", "invalid UTF-8 becomes ?");
	return tap_done();
}
