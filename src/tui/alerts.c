/* alerts.c — the alert pane: the latest alert transitions the snapshot carries (time, severity, container,
 * message), newest first. It reads nothing but the snapshot: the rules engine decides, this only shows. */
#include "autoconfig.h"
#include "tui/view.h"

#include <curses.h>
#include <stdio.h>
#include <string.h>

#include "tui/text.h"
#include "tui/theme.h"

int alerts_draw(struct view *v, int y, int h, const char *only_id)
{
	if (h <= 0)
		return 0;
	const struct snapshot *s = v->snap;
	size_t total = 0, firing = 0;
	if (s)
		for (size_t i = 0; i < s->nrecent_alerts; i++) {
			const struct alert_transition *t = &s->recent_alerts[i];
			if (only_id && strcmp(t->container_id, only_id) != 0)
				continue;
			total++;
		}
	if (s)
		for (size_t i = 0; i < s->n; i++)
			if (!only_id || strcmp(s->c[i].si->info.id, only_id) == 0)
				firing += (size_t)__builtin_popcount(s->c[i].firing_alerts);
	/* A rule across the screen with the pane's title in it. */
	struct buf b;
	buf_init(&b);
	buf_puts(&b, v->g->hline);
	if (firing)
		buf_printf(&b, " ALERTS (%zu firing) ", firing);
	else
		buf_puts(&b, " ALERTS ");
	int w = text_width(b.data);
	text_repeat(&b, v->g->hline, v->cols_n - w);
	view_put(y, 0, theme_attr(firing ? ROLE_CRIT : ROLE_TITLE), b.data);
	int used = 1;
	if (total == 0) {
		if (used < h)
			view_put(y + used++, 2, theme_attr(ROLE_DIM), "no alerts");
		buf_free(&b);
		return used;
	}
	/* Newest first: walk the history backwards. */
	for (size_t i = s->nrecent_alerts; i-- > 0 && used < h;) {
		const struct alert_transition *t = &s->recent_alerts[i];
		if (only_id && strcmp(t->container_id, only_id) != 0)
			continue;
		char clock[16];
		view_clock(t->ts_ms, clock, sizeof clock);
		bool crit = t->sev == ALERT_CRITICAL;
		/* State in words and a glyph of its own: colour is a second cue, never the only one. */
		const char *mark = !t->firing ? v->g->status[CS_HEALTHY] : crit ? v->g->status[CS_UNHEALTHY] : v->g->band_flag[1];
		buf_reset(&b);
		buf_printf(&b, "%s %s %-8s %-14s ", clock, mark, t->firing ? (crit ? "CRIT" : "WARN") : "resolved",
		           alert_kind_name(t->kind));
		int x = text_width(b.data);
		int role = !t->firing ? ROLE_OK : crit ? ROLE_CRIT : ROLE_WARN;
		struct buf line;
		buf_init(&line);
		text_fit(&line, b.data, v->cols_n, false, v->g);
		view_put(y + used, 0, theme_attr(role), line.data);
		buf_reset(&line);
		buf_reset(&b);
		/* Container names and messages are untrusted: text_fit makes them safe and cuts them. */
		if (!only_id) {
			text_fit(&line, t->container, 20, false, v->g);
			buf_puts(&line, "  ");
		}
		x += 1;
		if (x < v->cols_n) {
			struct buf msg;
			buf_init(&msg);
			buf_puts(&msg, line.data ? line.data : "");
			buf_puts(&msg, t->msg);
			buf_reset(&line);
			text_fit(&line, msg.data, v->cols_n - x - 1, false, v->g);
			view_put(y + used, x, theme_attr(ROLE_NORMAL), line.data);
			buf_free(&msg);
		}
		buf_free(&line);
		used++;
	}
	buf_free(&b);
	return used;
}
