/* table.c — the container table: which rows (filter, --all, compose groups), in which order, which columns
 * fit the terminal, and drawing one row per container from the widgets. It never fetches anything. */
#include "autoconfig.h"
#include "tui/view.h"

#include <curses.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tui/gauge.h"
#include "tui/sparkline.h"
#include "tui/text.h"
#include "tui/theme.h"
#include "tui/timeline.h"

static const char *const sort_names[SORT_COUNT] = {"name", "status", "cpu", "mem", "resp",
                                                   "restarts", "net", "block", "pids"};
const char *table_sort_name(enum sort_key k) { return k < SORT_COUNT ? sort_names[k] : "?"; }

/* Worst first when sorting by status. */
static int status_rank(enum cstatus s)
{
	switch (s) {
	case CS_STOPPED:
		return 0;
	case CS_RESTARTING:
		return 1;
	case CS_UNHEALTHY:
		return 2;
	case CS_STARTING:
		return 3;
	case CS_PAUSED:
		return 4;
	case CS_UNKNOWN:
		return 5;
	default:
		return 6;
	}
}

/* Whether a container ever ran while watched: those stay visible; ones that were stopped all along only
 * with 'a' (DESIGN.md: "--all also shows containers that were already stopped"). */
static bool ran_while_watched(const struct snap_container *c)
{
	if (c->state == CSTATE_RUNNING || c->state == CSTATE_PAUSED || c->state == CSTATE_RESTARTING)
		return true;
	for (size_t i = c->hist.count; i-- > 0;) {
		uint8_t s = series_view_get(&c->hist, i).status;
		if (s == PT_UP || s == PT_UNHEALTHY)
			return true;
	}
	return false;
}

static double num_or(double v, double dflt) { return isnan(v) ? dflt : v; }

static int cmp_containers(const struct view *v, const struct snap_container *a, const struct snap_container *b)
{
	double x = 0, y = 0;
	int r = 0;
	switch (v->sort) {
	case SORT_NAME:
		r = strcasecmp(view_name(a), view_name(b));
		break;
	case SORT_STATUS:
		r = status_rank(view_status(a)) - status_rank(view_status(b));
		break;
	case SORT_CPU:
		x = a->have_metrics ? num_or(a->m.cpu_pct, -1) : -1;
		y = b->have_metrics ? num_or(b->m.cpu_pct, -1) : -1;
		r = (x < y) - (x > y); /* biggest first */
		break;
	case SORT_MEM:
		x = a->have_metrics ? num_or(a->m.mem_used_bytes, -1) : -1;
		y = b->have_metrics ? num_or(b->m.mem_used_bytes, -1) : -1;
		r = (x < y) - (x > y);
		break;
	case SORT_RESP:
		r = (a->response_ms < b->response_ms) - (a->response_ms > b->response_ms);
		break;
	case SORT_RESTARTS:
		r = (a->restarts < b->restarts) - (a->restarts > b->restarts);
		break;
	case SORT_NET:
		x = a->have_metrics ? num_or(a->m.net_rx_bps, 0) + num_or(a->m.net_tx_bps, 0) : -1;
		y = b->have_metrics ? num_or(b->m.net_rx_bps, 0) + num_or(b->m.net_tx_bps, 0) : -1;
		r = (x < y) - (x > y);
		break;
	case SORT_BLOCK:
		x = a->have_metrics ? num_or(a->m.blk_read_bps, 0) + num_or(a->m.blk_write_bps, 0) : -1;
		y = b->have_metrics ? num_or(b->m.blk_read_bps, 0) + num_or(b->m.blk_write_bps, 0) : -1;
		r = (x < y) - (x > y);
		break;
	case SORT_PIDS:
		x = a->have_metrics ? num_or(a->m.pids, -1) : -1;
		y = b->have_metrics ? num_or(b->m.pids, -1) : -1;
		r = (x < y) - (x > y);
		break;
	default:
		break;
	}
	if (v->sort_reverse)
		r = -r;
	return r ? r : strcmp(view_name(a), view_name(b)); /* stable order between equals */
}

static int cmp_rows(const void *pa, const void *pb, void *arg)
{
	const struct view *v = arg;
	const struct row *a = pa, *b = pb;
	if (a->engine != b->engine) /* several engines: each host's containers together, in configured order */
		return a->engine < b->engine ? -1 : 1;
	if (v->group) {
		int g = strcmp(a->group, b->group);
		if (g) {
			bool ea = a->group[0] == '\0', eb = b->group[0] == '\0';
			if (ea != eb)
				return ea ? 1 : -1; /* containers of no project come last */
			return g;
		}
	}
	return cmp_containers(v, &v->snap->c[a->idx], &v->snap->c[b->idx]);
}

static int rows_push(struct view *v, struct row r)
{
	if (v->nrows == v->rows_cap) {
		size_t cap = v->rows_cap ? v->rows_cap * 2 : 64;
		struct row *n = realloc(v->rows, cap * sizeof *n);
		if (!n)
			return -1;
		v->rows = n;
		v->rows_cap = cap;
	}
	v->rows[v->nrows++] = r;
	return 0;
}

/* Several engines: a header row before each host's rows, also for a host with none to show (it may be
 * unreachable, and that must be seen where its containers would be). */
static int add_host_rows(struct view *v)
{
	size_t n = v->nrows;
	struct row *copy = malloc((n ? n : 1) * sizeof *copy);
	if (!copy)
		return -1;
	if (n)
		memcpy(copy, v->rows, n * sizeof *copy); /* v->rows is NULL before the first row */
	v->nrows = 0;
	size_t i = 0;
	for (unsigned e = 0; e < v->snap->nengines; e++) {
		if (v->host_filter[0] && strcmp(v->snap->engines[e].name, v->host_filter) != 0)
			continue;
		int members = 0;
		for (size_t j = i; j < n && copy[j].engine == e; j++)
			if (copy[j].kind == ROW_CONTAINER)
				members++;
		if (rows_push(v, (struct row){ROW_HOST, e, "", members, e})) {
			free(copy);
			return -1;
		}
		for (; i < n && copy[i].engine == e; i++)
			if (rows_push(v, copy[i])) {
				free(copy);
				return -1;
			}
	}
	free(copy);
	return 0;
}

int table_build(struct view *v)
{
	v->nrows = 0;
	if (!v->snap)
		return 0;
	bool multi = view_multi(v);
	if (multi && v->host_filter[0]) {
		bool found = false;
		for (size_t e = 0; e < v->snap->nengines && !found; e++)
			found = strcmp(v->snap->engines[e].name, v->host_filter) == 0;
		if (!found)
			v->host_filter[0] = '\0'; /* that host is gone: every host again */
	}
	if (!multi)
		v->host_filter[0] = '\0';
	for (size_t i = 0; i < v->snap->n; i++) {
		const struct snap_container *c = &v->snap->c[i];
		if (!v->show_all && !ran_while_watched(c))
			continue;
		if (v->filter[0] && !strcasestr(view_name(c), v->filter))
			continue;
		unsigned e = multi ? view_engine_of(v->snap, c) : 0;
		if (multi && v->host_filter[0] && strcmp(v->snap->engines[e].name, v->host_filter) != 0)
			continue;
		if (rows_push(v, (struct row){ROW_CONTAINER, i, view_project(c), 0, e}))
			return -1;
	}
	if (v->nrows > 1)
		qsort_r(v->rows, v->nrows, sizeof *v->rows, cmp_rows, v);
	if (v->group && v->nrows) {
		/* Insert a header row before each project's run of rows. */
		size_t n = v->nrows;
		struct row *copy = malloc((n ? n : 1) * sizeof *copy);
		if (!copy)
			return -1;
		memcpy(copy, v->rows, n * sizeof *copy);
		v->nrows = 0;
		for (size_t i = 0; i < n; i++) {
			if (copy[i].group[0] && (i == 0 || strcmp(copy[i].group, copy[i - 1].group) != 0 ||
			                         copy[i].engine != copy[i - 1].engine)) {
				int members = 0;
				for (size_t j = i; j < n && strcmp(copy[j].group, copy[i].group) == 0 &&
				                   copy[j].engine == copy[i].engine; j++)
					members++;
				if (rows_push(v, (struct row){ROW_GROUP, 0, copy[i].group, members, copy[i].engine})) {
					free(copy);
					return -1;
				}
			}
			if (rows_push(v, copy[i])) {
				free(copy);
				return -1;
			}
		}
		free(copy);
	}
	if (multi)
		return add_host_rows(v);
	return 0;
}

void table_remember(struct view *v)
{
	const struct snap_container *c = view_selected(v);
	if (c) {
		snprintf(v->sel_id, sizeof v->sel_id, "%s", c->si->info.id);
		v->sel_group[0] = '\0';
		v->sel_host[0] = '\0';
	} else if (v->sel < v->nrows && v->rows[v->sel].kind == ROW_HOST && v->rows[v->sel].idx < v->snap->nengines) {
		v->sel_id[0] = '\0';
		v->sel_group[0] = '\0';
		snprintf(v->sel_host, sizeof v->sel_host, "%s", v->snap->engines[v->rows[v->sel].idx].name);
	} else if (v->sel < v->nrows && v->rows[v->sel].kind == ROW_GROUP) {
		v->sel_host[0] = '\0';
		/* A group's header row is a place too: the next snapshot must not move the selection off it. */
		v->sel_id[0] = '\0';
		snprintf(v->sel_group, sizeof v->sel_group, "%s", v->rows[v->sel].group ? v->rows[v->sel].group : "");
	}
}

void table_select_id(struct view *v)
{
	if (!v->sel_id[0] && !v->sel_group[0] && v->sel_host[0]) {
		for (size_t i = 0; i < v->nrows; i++)
			if (v->rows[i].kind == ROW_HOST && v->rows[i].idx < v->snap->nengines &&
			    strcmp(v->snap->engines[v->rows[i].idx].name, v->sel_host) == 0) {
				v->sel = i;
				return;
			}
	}
	if (!v->sel_id[0] && v->sel_group[0]) {
		for (size_t i = 0; i < v->nrows; i++)
			if (v->rows[i].kind == ROW_GROUP && v->rows[i].group && strcmp(v->rows[i].group, v->sel_group) == 0) {
				v->sel = i;
				return;
			}
	}
	if (v->sel_id[0]) {
		for (size_t i = 0; i < v->nrows; i++)
			if (v->rows[i].kind == ROW_CONTAINER && strcmp(v->snap->c[v->rows[i].idx].si->info.id, v->sel_id) == 0) {
				v->sel = i;
				return;
			}
	}
	if (v->sel >= v->nrows)
		v->sel = v->nrows ? v->nrows - 1 : 0;
	/* In the detail view the id stays: the view says the container is gone rather than showing a neighbour. */
	if (v->detail && v->sel_id[0])
		return;
	table_remember(v);
}

/* Columns from the minimum up: each extra cell goes where it helps most, in this order. */
void table_layout(struct view *v)
{
	struct colgeom c;
	memset(&c, 0, sizeof c);
	int w = v->cols_n;
	c.status = 2;
	c.name = 12;
	c.cpu_gauge = 4;
	c.cpu_label = 7;
	c.mem_gauge = 4;
	c.mem_label = 7;
	c.mem_bytes = 11;
	c.resp = 6;
	c.spark = 6;
	c.timeline = 8;
	c.restarts = 4;
	int gaps = 9; /* one space between neighbouring columns */
	int used = c.status + c.name + c.cpu_gauge + c.cpu_label + c.mem_gauge + c.mem_label + c.mem_bytes + c.resp +
	           c.spark + c.timeline + c.restarts + gaps;
	int extra = w - used;
	/* Wide terminals: network, block I/O and PIDs. */
	if (extra >= 60) {
		c.net = 11;
		c.block = 11;
		c.pids = 5;
		extra -= c.net + c.block + c.pids + 3;
	}
	int *grow[] = {&c.name, &c.timeline, &c.cpu_gauge, &c.mem_gauge, &c.spark, &c.timeline};
	int cap[] = {24, 30, 10, 10, 16, 400};
	for (size_t k = 0; k < ARRAY_LEN(grow) && extra > 0; k++) {
		int add = cap[k] - *grow[k];
		if (add > extra)
			add = extra;
		if (add > 0) {
			*grow[k] += add;
			extra -= add;
		}
	}
	if (extra < 0) {
		/* Narrower than the minimum: give up the sparkline first, then shrink the name. */
		int take = c.spark + 1 < -extra ? c.spark + 1 : -extra;
		if (take == c.spark + 1) {
			c.spark = 0;
			extra += take;
		}
		if (extra < 0) {
			int give = c.name - 6 < -extra ? c.name - 6 : -extra;
			if (give > 0) {
				c.name -= give;
				extra += give;
			}
		}
		if (extra < 0 && c.timeline + extra >= 4) {
			c.timeline += extra;
			extra = 0;
		}
	}
	int x = 0, k = 0;
	int *order[] = {&c.status, &c.name, &c.cpu_gauge, &c.cpu_label, &c.mem_gauge, &c.mem_label, &c.mem_bytes,
	                &c.resp, &c.spark, &c.timeline, &c.restarts, &c.net, &c.block, &c.pids};
	for (size_t i = 0; i < ARRAY_LEN(order); i++, k++) {
		c.x[k] = x;
		/* Last resort on the narrowest screens: a column that would cross the edge is dropped, never wrapped. */
		if (x + *order[i] > w)
			*order[i] = 0;
		if (*order[i] == 0)
			continue;
		/* A gauge and its label sit together; everything else gets a gap. */
		bool joined = order[i] == &c.cpu_gauge || order[i] == &c.mem_gauge || order[i] == &c.status;
		x += *order[i] + (joined ? 0 : 1);
	}
	v->col = c;
	v->too_small = v->cols_n < 60 || v->rows_n < 12;
}

enum { X_STATUS, X_NAME, X_CPUG, X_CPUL, X_MEMG, X_MEML, X_MEMB, X_RESP, X_SPARK, X_TL, X_RST, X_NET, X_BLK, X_PIDS };

static void put_fit(int y, int x, int attr, const char *s, int w, const struct glyphs *g, bool right)
{
	struct buf b;
	buf_init(&b);
	if (right) {
		int tw = text_width(s);
		for (int i = tw; i < w; i++)
			buf_puts(&b, " ");
		text_fit(&b, s, w < tw ? w : tw, false, g);
	} else {
		text_fit(&b, s, w, true, g);
	}
	view_put(y, x, attr, b.data);
	buf_free(&b);
}

static int band_attr(enum band b)
{
	return theme_attr(b == BAND_CRIT ? ROLE_CRIT : b == BAND_WARN ? ROLE_WARN : ROLE_OK);
}

static int status_attr(enum cstatus s)
{
	switch (s) {
	case CS_RUNNING:
	case CS_HEALTHY:
		return theme_attr(ROLE_OK);
	case CS_UNHEALTHY:
	case CS_STARTING:
		return theme_attr(ROLE_WARN);
	case CS_STOPPED:
		return theme_attr(ROLE_CRIT);
	default:
		return theme_attr(ROLE_INFO);
	}
}

static void draw_title(struct view *v, int y)
{
	const struct colgeom *c = &v->col;
	int a = theme_attr(ROLE_TITLE);
	move(y, 0);
	attrset((attr_t)a);
	hline(' ', v->cols_n);
	attrset(A_NORMAL);
	char win[32];
	int ws = view_windows_s[v->window_idx];
	if (ws >= 3600)
		snprintf(win, sizeof win, "%dh", ws / 3600);
	else
		snprintf(win, sizeof win, "%dm", ws / 60);
	struct {
		int x, w;
		const char *t;
		enum sort_key k;
		bool right;
	} t[] = {
		{c->x[X_NAME], c->name, "NAME", SORT_NAME, false},
		{c->x[X_CPUG], c->cpu_gauge + c->cpu_label, "CPU", SORT_CPU, false},
		{c->x[X_MEMG], c->mem_gauge + c->mem_label + 1 + c->mem_bytes, "MEM used/limit", SORT_MEM, false},
		{c->x[X_RESP], c->resp, "RESP", SORT_RESP, true},
		{c->x[X_SPARK], c->spark, "LATENCY", SORT_COUNT, false},
		{c->x[X_TL], c->timeline, "UP/DOWN", SORT_COUNT, false},
		{c->x[X_RST], c->restarts, "RST", SORT_RESTARTS, true},
		{c->x[X_NET], c->net, "NET rx/tx", SORT_NET, true},
		{c->x[X_BLK], c->block, "BLK r/w", SORT_BLOCK, true},
		{c->x[X_PIDS], c->pids, "PIDS", SORT_PIDS, true},
	};
	put_fit(y, 0, a, v->sort == SORT_STATUS ? (v->sort_reverse ? v->g->sort_asc : v->g->sort_desc) : " ", 1, v->g,
	        false);
	for (size_t i = 0; i < ARRAY_LEN(t); i++) {
		if (t[i].w <= 0)
			continue;
		char text[64];
		const char *arrow = "";
		if (t[i].k == v->sort)
			arrow = (v->sort == SORT_NAME) != v->sort_reverse ? v->g->sort_asc : v->g->sort_desc;
		if (i == 5)
			snprintf(text, sizeof text, t[i].w >= 10 ? "UP/DOWN %s" : "UP %s", win);
		else if (i == 4 && t[i].w < 7)
			snprintf(text, sizeof text, "LAT");
		else
			snprintf(text, sizeof text, "%s%s", t[i].t, arrow);
		put_fit(y, t[i].x, a, text, t[i].w, v->g, t[i].right);
	}
}

/* Averages of a field over the window, one per cell (NaN where no point). */
static void bucket_resp(const struct series_view *h, int64_t start, int64_t end, int n, float *out)
{
	double sum[512];
	int cnt[512], fail[512];
	if (n > 512)
		n = 512;
	for (int i = 0; i < n; i++) {
		sum[i] = 0;
		cnt[i] = fail[i] = 0;
		out[i] = NAN;
	}
	for (size_t i = 0; i < h->count; i++) {
		const struct point pv = series_view_get(h, i), *p = &pv;
		if (p->wall_ms < start || p->wall_ms >= end)
			continue;
		int k = (int)((p->wall_ms - start) * n / (end - start));
		if (p->response_ms >= 0) {
			sum[k] += p->response_ms;
			cnt[k]++;
		} else if (p->status == PT_UNHEALTHY) {
			fail[k]++;
		}
	}
	for (int i = 0; i < n; i++)
		out[i] = cnt[i] ? (float)(sum[i] / cnt[i]) : fail[i] ? -1.0f : NAN;
}

static void draw_container(struct view *v, int y, const struct snap_container *c, bool selected)
{
	const struct colgeom *col = &v->col;
	const struct glyphs *g = v->g;
	int base = selected ? theme_attr(ROLE_SELECTED) : theme_attr(ROLE_NORMAL);
	if (selected) {
		move(y, 0);
		attrset((attr_t)base);
		hline(' ', v->cols_n);
		attrset(A_NORMAL);
	}
	/* Selected rows keep their own colours off: one reverse bar reads better than a rainbow. */
#define A(role) (selected ? base : theme_attr(role))
	enum cstatus st = view_status(c);
	view_put(y, col->x[X_STATUS], selected ? base : status_attr(st), g->status[st]);
	put_fit(y, col->x[X_NAME], base, view_name(c), col->name, g, false);
	struct buf b;
	buf_init(&b);
	bool live = c->have_metrics;
	double cpu = live ? c->m.cpu_pct : NAN, mem = live ? c->m.mem_pct : NAN;
	enum band cb = gauge_band(cpu, v->gauge_warn, v->gauge_crit);
	enum band mb = gauge_band(mem, v->gauge_warn, v->gauge_crit);
	/* CPU can pass 100 % (several cores): the gauge shows it against the container's limit in cores. */
	gauge_render(&b, g, live ? c->m.cpu_pct : NAN, col->cpu_gauge);
	view_put(y, col->x[X_CPUG], selected ? base : band_attr(cb), b.data);
	buf_reset(&b);
	if (live)
		gauge_label(&b, g, cpu, cb, col->cpu_label);
	else
		put_fit(y, col->x[X_CPUL], A(ROLE_DIM), "", col->cpu_label, g, false);
	if (live)
		view_put(y, col->x[X_CPUL], selected ? base : cb >= BAND_WARN ? band_attr(cb) : base, b.data);
	buf_reset(&b);
	gauge_render(&b, g, mem, col->mem_gauge);
	view_put(y, col->x[X_MEMG], selected ? base : band_attr(mb), b.data);
	buf_reset(&b);
	if (live) {
		gauge_label(&b, g, mem, mb, col->mem_label);
		view_put(y, col->x[X_MEML], selected ? base : mb >= BAND_WARN ? band_attr(mb) : base, b.data);
		char u[16], l[16], both[40];
		view_bytes(c->m.mem_used_bytes, u, sizeof u);
		view_bytes(c->m.mem_limit_bytes, l, sizeof l);
		snprintf(both, sizeof both, "%s/%s", u, l);
		put_fit(y, col->x[X_MEMB], A(ROLE_DIM), both, col->mem_bytes, g, true);
	} else {
		/* A stopped container says why instead of empty gauges. */
		char why[64];
		if (c->state != CSTATE_RUNNING && c->exit_code >= 0)
			snprintf(why, sizeof why, "exit %d%s", c->exit_code, c->oom_killed ? " OOM" : "");
		else
			snprintf(why, sizeof why, "%s", "");
		put_fit(y, col->x[X_MEML], A(ROLE_DIM), why, col->mem_label + 1 + col->mem_bytes, g, true);
	}
	char resp[32];
	if (c->response_ms >= 0)
		snprintf(resp, sizeof resp, "%dms", c->response_ms);
	else if (c->http_status >= 400)
		snprintf(resp, sizeof resp, "E%d", c->http_status);
	else
		snprintf(resp, sizeof resp, "-");
	put_fit(y, col->x[X_RESP], A(c->http_status >= 400 ? ROLE_CRIT : ROLE_NORMAL), resp, col->resp, g, true);

	int64_t end = v->snap->wall_ms, start = end - (int64_t)view_windows_s[v->window_idx] * 1000;
	if (col->spark > 0) {
		float vals[512];
		int n = col->spark < 512 ? col->spark : 512;
		bucket_resp(&c->hist, start, end, n, vals);
		float hi = 1;
		for (int i = 0; i < n; i++)
			if (!isnan(vals[i]) && vals[i] > hi)
				hi = vals[i];
		buf_reset(&b);
		sparkline_render(&b, g, vals, (size_t)n, n, 0, hi);
		view_put(y, col->x[X_SPARK], A(ROLE_INFO), b.data);
	}
	uint8_t cells[512];
	int tw = col->timeline < 512 ? col->timeline : 512;
	uint8_t live_st = st == CS_STOPPED ? PT_DOWN : c->up ? PT_UP : c->state == CSTATE_RUNNING ? PT_UNHEALTHY : PT_DOWN;
	timeline_bucket(&c->hist, live_st, c->state_since_ms, start, end, tw, cells);
	/* One run of cells per status, so each run gets its colour with one attribute change. */
	for (int i = 0; i < tw;) {
		int j = i;
		while (j < tw && cells[j] == cells[i])
			j++;
		buf_reset(&b);
		timeline_render(&b, g, cells + i, j - i);
		int role = cells[i] == PT_DOWN ? ROLE_CRIT : cells[i] == PT_UNHEALTHY ? ROLE_WARN : ROLE_OK;
		view_put(y, col->x[X_TL] + i, A(role), b.data);
		i = j;
	}
	char rst[16];
	snprintf(rst, sizeof rst, "%d", c->restarts);
	put_fit(y, col->x[X_RST], A(c->restarts ? ROLE_WARN : ROLE_DIM), rst, col->restarts, g, true);
	if (col->net) {
		char rx[16], tx[16], s[40];
		view_rate(live ? c->m.net_rx_bps : NAN, rx, sizeof rx);
		view_rate(live ? c->m.net_tx_bps : NAN, tx, sizeof tx);
		snprintf(s, sizeof s, "%s/%s", rx, tx);
		put_fit(y, col->x[X_NET], base, s, col->net, g, true);
		view_rate(live ? c->m.blk_read_bps : NAN, rx, sizeof rx);
		view_rate(live ? c->m.blk_write_bps : NAN, tx, sizeof tx);
		snprintf(s, sizeof s, "%s/%s", rx, tx);
		put_fit(y, col->x[X_BLK], base, s, col->block, g, true);
		if (live && !isnan(c->m.pids))
			snprintf(s, sizeof s, "%.0f", c->m.pids);
		else
			snprintf(s, sizeof s, "-");
		put_fit(y, col->x[X_PIDS], base, s, col->pids, g, true);
	}
#undef A
	buf_free(&b);
}

static void draw_group(struct view *v, int y, const struct row *r, bool selected)
{
	char text[160];
	struct buf name;
	buf_init(&name);
	text_fit(&name, r->group, 60, false, v->g);
	snprintf(text, sizeof text, "%s %s (%d)", v->g->group_open, name.data ? name.data : "", r->members);
	buf_free(&name);
	put_fit(y, 0, selected ? theme_attr(ROLE_SELECTED) : theme_attr(ROLE_GROUP), text, v->cols_n, v->g, false);
}

/* "▾ NAME  4 containers" and the engine's state: reachable (with its version) or since when it is not. */
static void draw_host(struct view *v, int y, const struct row *r, bool selected)
{
	const struct snap_engine *e = &v->snap->engines[r->idx < v->snap->nengines ? r->idx : 0];
	int base = selected ? theme_attr(ROLE_SELECTED) : theme_attr(ROLE_GROUP);
	if (selected) {
		move(y, 0);
		attrset((attr_t)base);
		hline(' ', v->cols_n);
		attrset(A_NORMAL);
	}
	char text[800];
	struct buf name;
	buf_init(&name);
	text_fit(&name, e->name[0] ? e->name : "?", 60, false, v->g);
	snprintf(text, sizeof text, "%s %s  %d container%s", v->g->group_open, name.data ? name.data : "", r->members,
	         r->members == 1 ? "" : "s");
	buf_free(&name);
	int x = view_put_fit(v, y, 0, base, text);
	if (!e->known) {
		view_put_fit(v, y, x, selected ? base : theme_attr(ROLE_DIM), "  connecting...");
	} else if (e->up) {
		snprintf(text, sizeof text, "  %s up%s%s", v->g->status[CS_RUNNING], e->version.version[0] ? ", docker " : "",
		         e->version.version);
		view_put_fit(v, y, x, selected ? base : theme_attr(ROLE_DIM), text);
	} else {
		char since[16] = "?";
		if (e->since_ms)
			view_clock(e->since_ms, since, sizeof since);
		snprintf(text, sizeof text, "  %s unreachable since %s%s%s%s", v->g->status[CS_STOPPED], since,
		         e->error[0] ? " (" : "", e->error, e->error[0] ? ")" : "");
		view_put_fit(v, y, x, selected ? base : theme_attr(ROLE_CRIT), text);
	}
}

void table_draw(struct view *v, int y, int h)
{
	draw_title(v, y);
	y++;
	h--;
	v->table_y = y;
	v->table_h = h;
	if (h <= 0)
		return;
	/* Keep the selection in sight with as little scrolling as possible. */
	if (v->sel < v->top)
		v->top = v->sel;
	if (v->sel >= v->top + (size_t)h)
		v->top = v->sel - (size_t)h + 1;
	if (v->top + (size_t)h > v->nrows)
		v->top = v->nrows > (size_t)h ? v->nrows - (size_t)h : 0;
	if (v->nrows == 0) {
		const char *msg = !v->snap                  ? "waiting for the first sample..."
		                  : v->filter[0]            ? "no container matches the filter"
		                  : v->snap->n && !v->show_all ? "no running containers (a: show stopped ones)"
		                                               : "no containers";
		put_fit(y, 2, theme_attr(ROLE_DIM), msg, v->cols_n - 2, v->g, false);
		return;
	}
	for (int i = 0; i < h && v->top + (size_t)i < v->nrows; i++) {
		size_t r = v->top + (size_t)i;
		if (v->rows[r].kind == ROW_HOST)
			draw_host(v, y + i, &v->rows[r], r == v->sel);
		else if (v->rows[r].kind == ROW_GROUP)
			draw_group(v, y + i, &v->rows[r], r == v->sel);
		else
			draw_container(v, y + i, &v->snap->c[v->rows[r].idx], r == v->sel);
	}
}
