/* timeline.h — a container's up/unhealthy/down history over a time window as one row of cells, and the time
 * axis that goes under it. Data in, characters out: no curses, no colours. */
#ifndef LOOKOUT_TUI_TIMELINE_H
#define LOOKOUT_TUI_TIMELINE_H

#include <stdint.h>

#include "series.h"
#include "tui/glyphs.h"
#include "util.h"

/* Fills cells[0..width) with enum point_status for the window [start_ms, end_ms): each point counts from its
 * own time to the next point's; the newest until end_ms, except that live_status (what the engine says now,
 * e.g. from an event between ticks) takes over from live_since_ms when it is newer than the newest point.
 * A cell shows the worst status it saw (down > unhealthy > up > none). */
void timeline_bucket(const struct series_view *v, uint8_t live_status, int64_t live_since_ms, int64_t start_ms,
                     int64_t end_ms, int width, uint8_t *cells);
/* Appends the glyphs of cells. 0 or -1. */
int timeline_render(struct buf *out, const struct glyphs *g, const uint8_t *cells, int width);
/* An axis of width cells for [start_ms, end_ms): tick marks with local HH:MM (or HH:MM:SS for windows under
 * 5 minutes) labels where they fit. Two rows: ticks into axis[0], labels into axis[1]. 0 or -1. */
int timeline_axis(struct buf *ticks, struct buf *labels, const struct glyphs *g, int64_t start_ms,
                  int64_t end_ms, int width);

#endif
