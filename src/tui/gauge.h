/* gauge.h — a horizontal percentage bar as characters, and which colour band a value falls in.
 * Data in, characters out: no curses, no colours (the caller colours by band). */
#ifndef LOOKOUT_TUI_GAUGE_H
#define LOOKOUT_TUI_GAUGE_H

#include "tui/glyphs.h"
#include "util.h"

enum band { BAND_OK = 0, BAND_WARN, BAND_CRIT, BAND_NONE };

/* BAND_NONE for NaN; BAND_CRIT from crit, BAND_WARN from warn (percent). */
enum band gauge_band(double pct, double warn, double crit);
/* Appends exactly width cells: pct of them filled (in eighths under UTF-8), the rest empty. NaN: all empty;
 * values are clamped to 0..100. 0 or -1 (ENOMEM). */
int gauge_render(struct buf *out, const struct glyphs *g, double pct, int width);
/* "42.1%" plus the band flag, always width cells (right-aligned number). "-" for NaN. */
int gauge_label(struct buf *out, const struct glyphs *g, double pct, enum band b, int width);

#endif
