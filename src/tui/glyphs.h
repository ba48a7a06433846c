/* glyphs.h — the characters the screen draws with, in a UTF-8 set and a plain-ASCII set, chosen once at start.
 * Only tables: no curses, no drawing. Every glyph is one display cell wide. */
#ifndef LOOKOUT_TUI_GLYPHS_H
#define LOOKOUT_TUI_GLYPHS_H

#include <stdbool.h>

/* What the status column says about a container; each has its own glyph so colour is never the only cue. */
enum cstatus {
	CS_RUNNING = 0, /* running, no health check */
	CS_HEALTHY,
	CS_UNHEALTHY,
	CS_STARTING,    /* running, health check not decided yet */
	CS_STOPPED,     /* created, exited, dead */
	CS_RESTARTING,
	CS_PAUSED,
	CS_UNKNOWN,
	CS_COUNT
};

struct glyphs {
	bool utf8;
	const char *status[CS_COUNT];
	const char *gauge_eighths[9]; /* [0] = empty cell, [8] = full cell */
	const char *band_flag[3];     /* after a gauge's number: ok, warn, crit */
	const char *spark[8];         /* lowest to highest */
	const char *spark_none;       /* no value */
	const char *spark_fail;       /* a failed check */
	const char *timeline[4];      /* enum point_status: none, up, unhealthy, down */
	const char *chart_mark;       /* the memory line in the combined chart */
	const char *threshold;        /* the threshold line in the latency chart */
	const char *hline, *vline, *tick;
	const char *ellipsis;
	const char *sort_asc, *sort_desc;
	const char *group_open;
	const char *selected;
};

/* The set for this process: UTF-8 when the locale's codeset is UTF-8 and ascii is false. Call after setlocale. */
const struct glyphs *glyphs_pick(bool force_ascii);
const struct glyphs *glyphs_utf8(void);
const struct glyphs *glyphs_ascii(void);

#endif
