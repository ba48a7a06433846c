/* theme.h — colours and attributes by role (htop's CRT_colors idea): 256 colours, 8 colours or none.
 * Only attributes: callers still pick glyphs so meaning never rests on colour alone. */
#ifndef LOOKOUT_TUI_THEME_H
#define LOOKOUT_TUI_THEME_H

#include <stdbool.h>

#include "config.h"

enum role {
	ROLE_NORMAL = 0,
	ROLE_HEADER,      /* the top lines */
	ROLE_TITLE,       /* column titles, pane titles */
	ROLE_SELECTED,    /* the selected row */
	ROLE_DIM,         /* secondary text */
	ROLE_OK,          /* up, healthy, gauges below warn */
	ROLE_WARN,        /* unhealthy, starting, gauges from warn */
	ROLE_CRIT,        /* down, gauges from crit, firing alerts */
	ROLE_INFO,        /* paused, restarting, resolved alerts */
	ROLE_CHART_MEM,   /* the memory line in the combined chart */
	ROLE_BAR,         /* the key hints at the bottom */
	ROLE_GROUP,       /* compose project rows */
	ROLE_COUNT
};

/* Call after initscr. color is the config's choice; NO_COLOR (non-empty) turns colour off under auto.
 * Returns whether colours are in use. */
bool theme_init(enum color_mode color);
/* The curses attributes of a role (an attr_t, as int to keep curses out of this header). */
int theme_attr(enum role r);
bool theme_has_color(void);

#endif
