/* text.h — untrusted text made fit for one screen cell range: terminal-safe, cut by display width, padded.
 * Pure string work: no curses. */
#ifndef LOOKOUT_TUI_TEXT_H
#define LOOKOUT_TUI_TEXT_H

#include <stdbool.h>
#include <stddef.h>

#include "tui/glyphs.h"
#include "util.h"

/* Appends s to out taking at most cols display cells: control characters and invalid UTF-8 become '?',
 * characters the terminal cannot show (non-ASCII under the ASCII set, zero- or unknown-width) too, and a cut
 * ends in g->ellipsis. With pad, spaces fill up to cols. Returns the cells used, or -1 on ENOMEM. */
int text_fit(struct buf *out, const char *s, int cols, bool pad, const struct glyphs *g);
/* Display cells of a UTF-8 string made by the widgets (trusted). */
int text_width(const char *s);
/* Appends n copies of a glyph. 0 or -1. */
int text_repeat(struct buf *out, const char *glyph, int n);

#endif
