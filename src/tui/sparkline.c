/* sparkline.c — numbers to block characters: one-row sparklines for the table, multi-row charts for the
 * detail view. Scaling is linear between the bounds the caller passes; it never looks at what they mean. */
#include "autoconfig.h"
#include "tui/sparkline.h"

#include <math.h>

static int level_of(float v, float lo, float hi, int levels)
{
	if (!(hi > lo))
		return 0;
	double f = ((double)v - lo) / ((double)hi - lo);
	if (f < 0)
		f = 0;
	if (f > 1)
		f = 1;
	int l = (int)lround(f * (levels - 1));
	return l;
}

int sparkline_render(struct buf *out, const struct glyphs *g, const float *v, size_t n, int width, float lo,
                     float hi)
{
	int rc = 0;
	size_t first = n > (size_t)width ? n - (size_t)width : 0;
	for (int i = 0; i < width - (int)(n - first); i++)
		rc |= buf_puts(out, g->spark_none);
	for (size_t i = first; i < n; i++) {
		if (isnan(v[i]))
			rc |= buf_puts(out, g->spark_none);
		else if (v[i] < 0)
			rc |= buf_puts(out, g->spark_fail);
		else
			rc |= buf_puts(out, g->spark[level_of(v[i], lo, hi, 8)]);
	}
	return rc ? -1 : 0;
}

int sparkline_chart(struct buf *rows, int height, const struct glyphs *g, const float *bars, const float *mark,
                    size_t n, int width, float lo, float hi, float threshold)
{
	int rc = 0;
	size_t first = n > (size_t)width ? n - (size_t)width : 0;
	int blank = width - (int)(n - first);
	/* Eighths available for the whole column height; ASCII has only whole cells. */
	int sub = g->utf8 ? 8 : 1;
	int thr_row = -1;
	if (!isnan(threshold) && hi > lo && threshold >= lo && threshold <= hi)
		thr_row = height - 1 - level_of(threshold, lo, hi, height);
	for (int r = 0; r < height; r++) {
		int from_bottom = height - 1 - r;
		for (int col = 0; col < width; col++) {
			const char *cell = " ";
			if (col >= blank) {
				size_t i = first + (size_t)(col - blank);
				float b = bars ? bars[i] : NAN;
				if (!isnan(b) && b >= 0) {
					int units = level_of(b, lo, hi, height * sub + 1); /* 0..height*sub */
					if (units == 0 && b > lo)
						units = 1;
					int here = units - from_bottom * sub;
					if (here >= sub)
						cell = g->utf8 ? g->gauge_eighths[8] : "#";
					else if (here > 0)
						cell = g->utf8 ? g->spark[here - 1] : "#";
				} else if (!isnan(b) && b < 0 && from_bottom == 0) {
					cell = g->spark_fail;
				}
				if (mark && !isnan(mark[i]) && level_of(mark[i], lo, hi, height) == from_bottom)
					cell = g->chart_mark;
			}
			if (r == thr_row && cell[0] == ' ' && cell[1] == '\0')
				cell = g->threshold;
			rc |= buf_puts(&rows[r], cell);
		}
	}
	return rc ? -1 : 0;
}
