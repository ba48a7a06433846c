/* view.c — small facts every view needs about a container (status, name, project) and number formats that
 * fit a few cells. No curses state besides view_put's single addstr. */
#include "autoconfig.h"
#include "tui/view.h"

#include <curses.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "tui/text.h"

const int view_windows_s[4] = {60, 300, 900, 3600};

enum cstatus view_status(const struct snap_container *c)
{
	switch (c->state) {
	case CSTATE_RUNNING:
		switch (c->health) {
		case CHEALTH_HEALTHY:
			return c->up ? CS_HEALTHY : CS_UNHEALTHY;
		case CHEALTH_UNHEALTHY:
			return CS_UNHEALTHY;
		case CHEALTH_STARTING:
			return CS_STARTING;
		default:
			return c->up ? CS_RUNNING : CS_UNHEALTHY; /* a failing HTTP check */
		}
	case CSTATE_PAUSED:
		return CS_PAUSED;
	case CSTATE_RESTARTING:
		return CS_RESTARTING;
	case CSTATE_CREATED:
	case CSTATE_EXITED:
	case CSTATE_DEAD:
	case CSTATE_REMOVING:
		return CS_STOPPED;
	default:
		return CS_UNKNOWN;
	}
}

const char *view_status_text(enum cstatus s)
{
	static const char *const names[CS_COUNT] = {"running", "healthy", "unhealthy", "starting",
	                                            "down",    "restarting", "paused", "unknown"};
	return s < CS_COUNT ? names[s] : "unknown";
}

const char *view_name(const struct snap_container *c)
{
	if (!c->si)
		return "";
	return c->si->info.name ? c->si->info.name : c->si->info.id;
}

const char *view_project(const struct snap_container *c)
{
	const char *p = c->si ? container_label(&c->si->info, "com.docker.compose.project") : NULL;
	return p ? p : "";
}

void view_bytes(double v, char *out, size_t len)
{
	static const char units[] = "BKMGTP";
	if (isnan(v) || v < 0) {
		snprintf(out, len, "-");
		return;
	}
	size_t u = 0;
	while (v >= 1000 && u + 1 < sizeof units - 1) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(out, len, "%.0fB", v);
	else if (v < 10)
		snprintf(out, len, "%.1f%c", v, units[u]);
	else
		snprintf(out, len, "%.0f%c", v, units[u]);
}

void view_rate(double v, char *out, size_t len)
{
	if (isnan(v)) {
		snprintf(out, len, "-");
		return;
	}
	view_bytes(v, out, len);
}

void view_clock(int64_t wall_ms, char *out, size_t len)
{
	time_t t = (time_t)(wall_ms / 1000);
	struct tm tm;
	localtime_r(&t, &tm);
	strftime(out, len, "%H:%M:%S", &tm);
}

const struct snap_container *view_selected(const struct view *v)
{
	if (!v->snap || v->sel >= v->nrows || v->rows[v->sel].kind != ROW_CONTAINER)
		return NULL;
	return &v->snap->c[v->rows[v->sel].idx];
}

void view_put(int y, int x, int attr, const char *s)
{
	if (y < 0 || x < 0 || !s)
		return;
	attrset((attr_t)attr);
	mvaddstr(y, x, s);
	attrset(A_NORMAL);
}

int view_put_fit(struct view *v, int y, int x, int attr, const char *s)
{
	if (x >= v->cols_n)
		return x;
	struct buf b;
	buf_init(&b);
	int w = text_fit(&b, s, v->cols_n - x, false, v->g);
	if (w > 0)
		view_put(y, x, attr, b.data);
	buf_free(&b);
	return x + (w > 0 ? w : 0);
}

bool view_multi(const struct view *v) { return v->snap && v->snap->nengines > 1; }

unsigned view_engine_of(const struct snapshot *s, const struct snap_container *c)
{
	return c->engine < s->nengines ? c->engine : 0;
}

void view_next_host(struct view *v)
{
	if (!view_multi(v)) {
		v->host_filter[0] = '\0';
		return;
	}
	const struct snapshot *s = v->snap;
	size_t next = 0; /* every host after the last one */
	if (v->host_filter[0]) {
		next = s->nengines; /* a host no longer there: back to all */
		for (size_t e = 0; e < s->nengines; e++)
			if (strcmp(s->engines[e].name, v->host_filter) == 0) {
				next = e + 1;
				break;
			}
	}
	if (next < s->nengines)
		snprintf(v->host_filter, sizeof v->host_filter, "%s", s->engines[next].name);
	else
		v->host_filter[0] = '\0';
}
