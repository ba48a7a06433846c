/* sparkline.h — a series of numbers as one row of block characters, and as a chart of several rows.
 * Data in, characters out: no curses, no colours, no scaling policy beyond what the caller passes. */
#ifndef LOOKOUT_TUI_SPARKLINE_H
#define LOOKOUT_TUI_SPARKLINE_H

#include <stddef.h>

#include "tui/glyphs.h"
#include "util.h"

/* Appends exactly width cells for the newest width values of v[0..n) (right-aligned, older values dropped,
 * missing ones blank). NaN is "no value", a negative value a failed check. lo..hi is the scale; when
 * hi <= lo every value gets the lowest level. 0 or -1. */
int sparkline_render(struct buf *out, const struct glyphs *g, const float *v, size_t n, int width, float lo,
                     float hi);

/* A chart of height rows for the newest width values: rows[0] is the top row. bars are drawn as columns
 * (eighths under UTF-8), mark (may be NULL) as one dot per column at its level, and a threshold (NaN: none)
 * as a line wherever a column is empty at that level. Each rows[i] receives exactly width cells. */
int sparkline_chart(struct buf *rows, int height, const struct glyphs *g, const float *bars, const float *mark,
                    size_t n, int width, float lo, float hi, float threshold);

#endif
