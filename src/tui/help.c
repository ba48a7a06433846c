/* help.c — the help overlay listing every key, and the log-lines overlay. Both are drawn over the current
 * view from text they are handed; neither reads anything. */
#include "autoconfig.h"
#include "tui/view.h"

#include <curses.h>
#include <string.h>

#include "tui/text.h"
#include "tui/theme.h"

static const char *const keys[][2] = {
	{"Up/Down j/k", "move the selection"},
	{"PgUp/PgDn", "move one screen"},
	{"Home/End", "first / last container"},
	{"Enter", "detail view of the selected container"},
	{"Esc", "back to the table (closes help and logs too)"},
	{"s / S", "next sort column / reverse the order"},
	{"/", "filter by name (Enter keeps it, Esc clears it)"},
	{"w", "time window: 1m, 5m, 15m, 1h"},
	{"p", "pause / resume updates"},
	{"a", "also show containers that were already stopped"},
	{"g", "group by compose project"},
	{"l", "recent log lines of the selected container"},
	{"H", "several engines: one host's containers at a time, then all"},
	{"?", "this help"},
	{"q", "quit"},
	{"mouse", "click selects a row, wheel scrolls"},
};

/* A framed box in the middle of the screen; returns the inner origin and size. */
static void box_at(struct view *v, int h, int w, int *y0, int *x0)
{
	if (w > v->cols_n - 2)
		w = v->cols_n - 2;
	if (h > v->rows_n - 2)
		h = v->rows_n - 2;
	*y0 = (v->rows_n - h) / 2;
	*x0 = (v->cols_n - w) / 2;
	struct buf line;
	buf_init(&line);
	for (int r = 0; r < h; r++) {
		buf_reset(&line);
		const char *edge = r == 0 || r == h - 1 ? v->g->hline : " ";
		buf_puts(&line, r == 0 || r == h - 1 ? "+" : v->g->vline);
		if (v->g->utf8) {
			buf_reset(&line);
			buf_puts(&line, r == 0 ? "┌" : r == h - 1 ? "└" : "│");
		}
		text_repeat(&line, edge, w - 2);
		if (v->g->utf8)
			buf_puts(&line, r == 0 ? "┐" : r == h - 1 ? "┘" : "│");
		else
			buf_puts(&line, r == 0 || r == h - 1 ? "+" : "|");
		view_put(*y0 + r, *x0, theme_attr(ROLE_NORMAL), line.data);
	}
	buf_free(&line);
}

void help_draw(struct view *v)
{
	int n = (int)ARRAY_LEN(keys);
	/* Every key must show: on a short screen the blank line goes, then the list splits into two columns. */
	int boxh = n + 4 > v->rows_n - 2 ? v->rows_n - 2 : n + 4;
	int top = boxh >= n + 4 ? 2 : 1;
	int lines = boxh - top - 1;
	int ncols = lines > 0 && n > lines ? 2 : 1;
	int per = (n + ncols - 1) / ncols;
	int want_w = ncols == 2 ? 100 : 64;
	int boxw = v->cols_n - 2 < want_w ? v->cols_n - 2 : want_w;
	int y0, x0;
	box_at(v, boxh, want_w, &y0, &x0);
	int colw = (boxw - 4) / ncols;
	int keyw = ncols == 2 ? 11 : 14;
	view_put(y0, x0 + 2, theme_attr(ROLE_TITLE), " Keys ");
	struct buf b;
	buf_init(&b);
	for (int i = 0; i < n; i++) {
		int row = i % per, col = i / per;
		if (row >= lines)
			continue;
		int y = y0 + top + row, x = x0 + 2 + col * colw;
		buf_reset(&b);
		text_fit(&b, keys[i][0], keyw, true, v->g);
		view_put(y, x, theme_attr(ROLE_HEADER), b.data);
		buf_reset(&b);
		text_fit(&b, keys[i][1], colw - keyw - 2, false, v->g);
		view_put(y, x + keyw + 1, theme_attr(ROLE_NORMAL), b.data);
	}
	buf_free(&b);
}

void logs_draw(struct view *v)
{
	int y0, x0;
	int h = v->rows_n - 4, w = v->cols_n - 4;
	box_at(v, h, w, &y0, &x0);
	struct buf b;
	buf_init(&b);
	buf_printf(&b, " logs of %s (read-only; Esc closes) ", v->logs_for);
	struct buf t;
	buf_init(&t);
	text_fit(&t, b.data, w - 4, false, v->g);
	view_put(y0, x0 + 2, theme_attr(ROLE_TITLE), t.data);
	buf_free(&t);
	buf_free(&b);
	int inner_h = h - 2, inner_w = w - 4;
	if (v->logs_loading || v->logs_error[0] || !v->logs_text) {
		const char *msg = v->logs_loading ? "loading..." : v->logs_error[0] ? v->logs_error : "no log lines";
		struct buf m;
		buf_init(&m);
		text_fit(&m, msg, inner_w, false, v->g);
		view_put(y0 + 1, x0 + 2, theme_attr(v->logs_error[0] ? ROLE_CRIT : ROLE_DIM), m.data);
		buf_free(&m);
		return;
	}
	/* The last lines that fit, one screen line each (long lines are cut: this is a glance, not a pager). */
	const char *text = v->logs_text;
	const char *starts[256];
	int n = 0;
	for (const char *p = text; *p;) {
		const char *nl = strchr(p, '\n');
		if (n == (int)ARRAY_LEN(starts)) {
			memmove(starts, starts + 1, sizeof starts - sizeof starts[0]);
			n--;
		}
		starts[n++] = p;
		if (!nl)
			break;
		p = nl + 1;
	}
	int first = n > inner_h ? n - inner_h : 0;
	struct buf line, fit;
	buf_init(&line);
	buf_init(&fit);
	for (int i = first; i < n; i++) {
		const char *nl = strchr(starts[i], '\n');
		size_t len = nl ? (size_t)(nl - starts[i]) : strlen(starts[i]);
		buf_reset(&line);
		buf_append(&line, starts[i], len);
		buf_reset(&fit);
		text_fit(&fit, line.data ? line.data : "", inner_w, false, v->g);
		view_put(y0 + 1 + i - first, x0 + 2, theme_attr(ROLE_NORMAL), fit.data ? fit.data : "");
	}
	buf_free(&line);
	buf_free(&fit);
}
