/* theme.c — the one place that knows colour numbers. Three schemes: 256 colours, the 8 ANSI colours, and
 * monochrome (bold, dim, reverse only). It never draws and does not choose glyphs. */
#include "autoconfig.h"
#include "tui/theme.h"

#include <curses.h>
#include <stdlib.h>

static int attrs[ROLE_COUNT];
static bool colored;

bool theme_has_color(void) { return colored; }

int theme_attr(enum role r) { return r < ROLE_COUNT ? attrs[r] : 0; }

static void mono(void)
{
	attrs[ROLE_NORMAL] = A_NORMAL;
	attrs[ROLE_HEADER] = A_BOLD;
	attrs[ROLE_TITLE] = A_BOLD | A_UNDERLINE;
	attrs[ROLE_SELECTED] = A_REVERSE;
	attrs[ROLE_DIM] = A_DIM;
	attrs[ROLE_OK] = A_NORMAL;
	attrs[ROLE_WARN] = A_BOLD;
	attrs[ROLE_CRIT] = A_BOLD | A_UNDERLINE;
	attrs[ROLE_INFO] = A_NORMAL;
	attrs[ROLE_CHART_MEM] = A_BOLD;
	attrs[ROLE_BAR] = A_REVERSE;
	attrs[ROLE_GROUP] = A_BOLD;
}

bool theme_init(enum color_mode color)
{
	mono();
	colored = false;
	const char *nc = getenv("NO_COLOR");
	if (color == COLOR_NEVER || (color == COLOR_AUTO && nc && *nc))
		return false;
	if (!has_colors() || start_color() != OK)
		return false;
	use_default_colors(); /* keep the user's background: -1 below */
	bool rich = COLORS >= 256;
	struct {
		enum role r;
		short fg8, fg256, bg;
		int extra;
	} def[] = {
		{ROLE_HEADER, COLOR_CYAN, 117, -1, A_BOLD},
		{ROLE_TITLE, COLOR_WHITE, 250, -1, A_BOLD},
		{ROLE_SELECTED, COLOR_BLACK, 16, COLOR_CYAN, 0},
		{ROLE_DIM, COLOR_WHITE, 244, -1, 0},
		{ROLE_OK, COLOR_GREEN, 114, -1, 0},
		{ROLE_WARN, COLOR_YELLOW, 221, -1, A_BOLD},
		{ROLE_CRIT, COLOR_RED, 203, -1, A_BOLD},
		{ROLE_INFO, COLOR_BLUE, 75, -1, 0},
		{ROLE_CHART_MEM, COLOR_MAGENTA, 177, -1, A_BOLD},
		{ROLE_BAR, COLOR_BLACK, 16, COLOR_WHITE, 0},
		{ROLE_GROUP, COLOR_MAGENTA, 177, -1, A_BOLD},
	};
	for (size_t i = 0; i < sizeof def / sizeof def[0]; i++) {
		short pair = (short)(i + 1);
		short bg = def[i].bg;
		if (rich && bg == COLOR_CYAN)
			bg = 117;
		if (rich && bg == COLOR_WHITE)
			bg = 250;
		if (init_pair(pair, rich ? def[i].fg256 : def[i].fg8, bg) == ERR)
			continue;
		attrs[def[i].r] = (int)(COLOR_PAIR(pair) | (attr_t)def[i].extra);
	}
	/* Eight-colour terminals have no grey: dim text is the terminal's dim. */
	if (!rich)
		attrs[ROLE_DIM] = A_DIM;
	colored = true;
	return true;
}
