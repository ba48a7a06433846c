/* collector.h — the collector thread: owns all monitoring state, samples every watched container each
 * interval (cgroup files or the engine's stats API), keeps per-container history and publishes an immutable
 * snapshot after every tick and every engine event. It watches one or several engines, each with its own
 * discovery, stats streams and connection state, so one unreachable engine never stalls the others' numbers.
 * It does no slow I/O: no disk writes, no network besides
 * what its sources need, no drawing. */
#ifndef LOOKOUT_COLLECTOR_H
#define LOOKOUT_COLLECTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "rules.h"
#include "snapshot.h"

struct collector_opts {
	const char *docker_host;  /* NULL/"" = default discovery; not used when nhosts > 0 */
	char *const *hosts;       /* "[NAME=]URL" per engine to watch (--host), in order; nhosts = 0: docker_host */
	size_t nhosts;
	enum source_kind source;
	const char *host_root;    /* "" = this host */
	double interval_s;
	double list_interval_s;
	bool all;                 /* also containers already stopped at start */
	char *const *names;       /* watch only these names or id prefixes (nnames = 0: all) */
	size_t nnames;
	bool label_enable;        /* only containers labelled lookout.enable=true */
	double history_s;         /* how much history each container keeps */
	char *const *probes;      /* "NAME=URL": health URLs given on the command line (win over lookout.url) */
	size_t nprobes;
	double probe_timeout_s;   /* per HTTP probe; 0 = 5 s */
	const struct rules_config *rules; /* evaluate alert rules on every snapshot; NULL = no rules */
	const char *rules_state_path;     /* rule state loaded at start and saved at a clean stop, so a restart
	                                   * neither fires an ongoing episode again nor leaves one open; NULL = none */
	const char *alert_log_path;       /* with rules_state_path: transitions this log holds beyond the saved
	                                   * state (a crash between the two) are replayed into it at start */
};

/* The options every face shares, from the configuration: all = cfg->all, history one hour, the given rules.
 * Callers adjust what differs (the dashboard and check watch stopped containers too). */
void collector_opts_from_config(struct collector_opts *o, const struct config *cfg,
                                const struct rules_config *rules);

struct collector;

/* NULL with a message in err (a bad --host entry, out of memory, ...). */
struct collector *collector_new(const struct collector_opts *o, char *err, size_t errlen);
/* Starts the collector and discovery threads. 0, or -1 with a message in err. */
int collector_start(struct collector *c, char *err, size_t errlen);
/* Lets the tick in progress finish, publishes it, and joins the threads. Safe to call twice. */
void collector_stop(struct collector *c);
void collector_free(struct collector *c); /* stops first if needed; NULL is fine */

/* The newest snapshot (a reference: release with snapshot_unref), or NULL before the first. */
struct snapshot *collector_latest(struct collector *c);
/* The newest snapshot published by a tick (is_tick), or NULL before the first: the one the sinks write a
 * tick's rows from, so that metrics.csv and PostgreSQL get the same rows even when a reader first sees
 * the tick through a later engine-event snapshot (which may list a container started since). */
struct snapshot *collector_latest_tick(struct collector *c);
/* Waits up to timeout_ms for a snapshot with seq > after_seq; returns a reference, or NULL on timeout or
 * once the collector has stopped. */
struct snapshot *collector_wait(struct collector *c, uint64_t after_seq, int timeout_ms);
/* Makes every collector_wait in progress return now (NULL unless a newer snapshot is there). */
void collector_interrupt(struct collector *c);

/* Whether a container of this name/id/labels passes --container and --label-enable. */
bool collector_selects(const struct collector_opts *o, const struct container_info *info);
/* The health URL of a container: --probe NAME=URL first, then its lookout.url label; NULL = none. */
const char *collector_probe_url(const struct collector_opts *o, const struct container_info *info);

#endif
