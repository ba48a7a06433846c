/* tui.h — the terminal dashboard: one UI thread that draws collector snapshots with ncurses and handles keys
 * and the mouse. It never samples, never does network or file I/O on the UI thread, never changes a container. */
#ifndef LOOKOUT_TUI_H
#define LOOKOUT_TUI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "collector.h"
#include "config.h"

struct tui_opts {
	const char *docker_host;   /* for the log reader's own connection */
	const char *host_root;     /* for the host meters */
	double interval_s;
	bool ascii;                /* force the ASCII glyph set */
	enum color_mode color;     /* never = no colour; auto honours NO_COLOR */
	bool show_all;             /* start with already-stopped containers shown */
	double gauge_warn, gauge_crit; /* percent */
	double resp_threshold_ms;  /* NaN: none configured */
};

/* Signals the UI thread must receive (block them in every other thread before starting it): SIGWINCH for
 * resizes, SIGTERM/SIGINT/SIGHUP to quit. */
void tui_block_signals(void);

/* Where the screen's snapshots come from: this process's collector, or a daemon's HTTP API (--connect). */
struct tui_source {
	/* A snapshot newer than after_seq (the caller owns the reference), or NULL after about timeout_ms. Called
	 * on the feeder thread only. */
	struct snapshot *(*wait)(void *ctx, uint64_t after_seq, int timeout_ms);
	/* Any thread: make a wait in progress return soon (NULL: waits end on their own within timeout_ms). */
	void (*stop)(void *ctx);
	/* Feeder thread: whether the source answers; the reason into why and since when when it does not. NULL:
	 * always (a local collector reports its engine inside the snapshots). */
	bool (*reachable)(void *ctx, char *why, size_t len, int64_t *since_ms);
	void *ctx;
	const char *remote; /* the daemon's address for the header; NULL for a local collector */
};

/* Runs the screen until q or a quit signal; the terminal is restored on return, and also on a crash signal.
 * Returns 0, or -1 with a message in err (e.g. the terminal could not be set up). */
int tui_run(struct collector *c, const struct tui_opts *o, char *err, size_t errlen);
/* The same, drawing what src gives: o->docker_host NULL turns the log view off (it needs the engine). */
int tui_run_source(const struct tui_source *src, const struct tui_opts *o, char *err, size_t errlen);

#endif
