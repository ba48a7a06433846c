/* view.h — the screen's own state (selection, sort, filter, window, mode) and the drawing entry points of the
 * views. Shared by the files of src/tui only; the UI thread owns every field. Nothing here samples. */
#ifndef LOOKOUT_TUI_VIEW_H
#define LOOKOUT_TUI_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "snapshot.h"
#include "tui/glyphs.h"
#include "util.h"

enum sort_key { SORT_NAME = 0, SORT_STATUS, SORT_CPU, SORT_MEM, SORT_RESP, SORT_RESTARTS, SORT_NET, SORT_BLOCK,
	        SORT_PIDS, SORT_COUNT };

enum row_kind { ROW_CONTAINER = 0, ROW_GROUP, ROW_HOST /* several engines: a host's header row */ };

struct row {
	enum row_kind kind;
	size_t idx;          /* into snap->c for ROW_CONTAINER */
	const char *group;   /* compose project (borrowed from the snapshot), "" for none */
	int members;         /* ROW_GROUP: containers in it */
	unsigned engine;     /* the engine (index into snap->engines) the row belongs to; ROW_HOST: that engine */
};

/* Where each table column starts and how wide it is, for this terminal width (0 = not shown). */
struct colgeom {
	int status, name, cpu_gauge, cpu_label, mem_gauge, mem_label, mem_bytes, resp, spark, timeline, restarts,
	    net, block, pids;
	int x[16]; /* start column of each, in the order above */
};

struct host_meter_values {
	bool have;
	double cpu_pct;      /* of all host CPUs */
	double mem_used_bytes, mem_total_bytes;
};

struct view {
	const struct glyphs *g;
	struct snapshot *snap;      /* drawn snapshot (a reference) */
	int rows_n, cols_n;         /* terminal size */
	bool too_small;

	/* table state */
	struct row *rows;
	size_t nrows, rows_cap;
	size_t sel;                 /* index into rows */
	char sel_id[65];            /* keeps the selection on the same container across re-sorts */
	char sel_group[256];        /* or on the same compose group's header row (sel_id empty then) */
	size_t top;                 /* first visible row */
	int table_y, table_h;       /* where the rows are on screen (for the mouse) */
	enum sort_key sort;
	bool sort_reverse;
	char filter[64];
	bool filter_editing;
	int window_idx;             /* into view_windows_s */
	bool paused;
	bool show_all;
	bool group;
	bool detail;
	bool help;
	bool logs;
	double gauge_warn, gauge_crit;
	double resp_threshold_ms;   /* NaN when not configured */
	double interval_s;
	int64_t engine_down_since_ms; /* 0 while up */
	struct host_meter_values host;

	/* the log overlay: filled by the log fetcher, drawn here */
	char logs_for[128];
	const char *logs_text;      /* borrowed for one draw */
	bool logs_loading;
	char logs_error[256];

	struct colgeom col;

	/* several engines (issue 10) and the daemon's API as the source (--connect) */
	char host_filter[256];      /* show only this host's containers; "" = every host */
	char sel_host[256];         /* the selection is on this host's header row (sel_id, sel_group empty then) */
	const char *remote;         /* the daemon's URL when drawing from it (--connect), else NULL */
	bool remote_down;           /* the daemon did not answer the last round: the picture is its last one */
	char remote_error[512];     /* why (untrusted text) */
	int64_t remote_down_since_ms;
};

extern const int view_windows_s[4];

/* What the status column shows for a container. */
enum cstatus view_status(const struct snap_container *c);
const char *view_status_text(enum cstatus s);
const char *view_name(const struct snap_container *c);
const char *view_project(const struct snap_container *c); /* compose project label or "" */
/* "212M", "1.0G": at most 5 cells. */
void view_bytes(double v, char *out, size_t len);
/* "12K", "3.4M" per second, at most 5 cells; "-" for NaN. */
void view_rate(double v, char *out, size_t len);
/* Local "HH:MM:SS". */
void view_clock(int64_t wall_ms, char *out, size_t len);
/* The container selected in the table, or NULL. */
const struct snap_container *view_selected(const struct view *v);

/* Draws a UTF-8 string (from the widgets or text_fit; it must fit the line) at y, x with attributes attr. */
void view_put(int y, int x, int attr, const char *s);
/* Draws untrusted or long text at x, cut at the right edge; returns the column after it. */
int view_put_fit(struct view *v, int y, int x, int attr, const char *s);

/* Whether the snapshot covers several engines (hosts are then grouped, filtered and shown per engine). */
bool view_multi(const struct view *v);
/* Moves the host filter to the next host (every host, then each engine in turn). */
void view_next_host(struct view *v);
/* The engine a container is drawn under (its index, or 0 when that index is out of range). */
unsigned view_engine_of(const struct snapshot *s, const struct snap_container *c);

/* table.c */
int table_build(struct view *v);          /* filter, sort, group: fills v->rows; 0 or -1 (ENOMEM) */
void table_layout(struct view *v);        /* columns for v->cols_n */
void table_draw(struct view *v, int y, int h);
void table_select_id(struct view *v);     /* after a rebuild: find sel_id again */
void table_remember(struct view *v);      /* after moving sel: remember its id */
const char *table_sort_name(enum sort_key k);

/* header.c */
void header_draw(struct view *v, int y); /* two rows */

/* alerts.c */
/* Recent alerts of every container (id NULL) or of one; returns rows used. */
int alerts_draw(struct view *v, int y, int h, const char *only_id);

/* detail.c */
void detail_draw(struct view *v, int y, int h);

/* help.c */
void help_draw(struct view *v);
void logs_draw(struct view *v);

#endif
