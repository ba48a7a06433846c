/* glyphs.c — the two glyph tables and the one decision between them (htop's CRT_init does the same).
 * It does not draw and never changes its mind after start. */
#include "autoconfig.h"
#include "tui/glyphs.h"

#include <langinfo.h>
#include <strings.h>

static const struct glyphs utf8 = {
	.utf8 = true,
	.status = {"●", "✓", "✗", "◐", "○", "↻", "‖", "?"},
	.gauge_eighths = {"·", "▏", "▎", "▍", "▌", "▋", "▊", "▉", "█"},
	.band_flag = {" ", "▴", "▲"},
	.spark = {"▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"},
	.spark_none = " ",
	.spark_fail = "×",
	/* Height carries the meaning: a full bar is up, half is unhealthy, a floor line is down. */
	.timeline = {" ", "█", "▄", "▁"},
	.chart_mark = "•",
	.threshold = "┄",
	.hline = "─",
	.vline = "│",
	.tick = "┬",
	.ellipsis = "…",
	.sort_asc = "▲",
	.sort_desc = "▼",
	.group_open = "▾",
	.selected = "▶",
};

static const struct glyphs ascii = {
	.utf8 = false,
	.status = {"*", "+", "!", "~", ".", "@", "=", "?"},
	.gauge_eighths = {".", ":", ":", ":", ":", ":", "|", "|", "|"},
	.band_flag = {" ", "^", "!"},
	.spark = {"_", ".", "-", "~", "=", "+", "*", "#"},
	.spark_none = " ",
	.spark_fail = "x",
	.timeline = {" ", "#", "=", "_"},
	.chart_mark = "o",
	.threshold = "-",
	.hline = "-",
	.vline = "|",
	.tick = "+",
	.ellipsis = "~",
	.sort_asc = "^",
	.sort_desc = "v",
	.group_open = "v",
	.selected = ">",
};

const struct glyphs *glyphs_utf8(void) { return &utf8; }
const struct glyphs *glyphs_ascii(void) { return &ascii; }

const struct glyphs *glyphs_pick(bool force_ascii)
{
	if (force_ascii)
		return &ascii;
	const char *cs = nl_langinfo(CODESET);
	if (cs && (strcasecmp(cs, "UTF-8") == 0 || strcasecmp(cs, "UTF8") == 0))
		return &utf8;
	return &ascii;
}
