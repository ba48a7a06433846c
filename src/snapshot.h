/* snapshot.h — the immutable, reference-counted picture of every watched container that the collector publishes
 * after each tick or event. Readers (CSV, status line, later the screen, rules and HTTP) only ever see
 * snapshots; they never touch the collector's state. Building one is the collector's job. */
#ifndef LOOKOUT_SNAPSHOT_H
#define LOOKOUT_SNAPSHOT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "alert.h"
#include "container.h"
#include "docker.h"
#include "sample.h"
#include "series.h"

/* An inspect result shared by many snapshots; replaced, never changed, when the engine says something new. */
struct shared_info {
	atomic_int refs;
	struct container_info info;
};
/* Takes ownership of *info's members (info is zeroed). NULL on ENOMEM (info's members are then freed). */
struct shared_info *shared_info_new(struct container_info *info);
struct shared_info *shared_info_ref(struct shared_info *si);
void shared_info_unref(struct shared_info *si);

enum metric_source { MSRC_NONE = 0, MSRC_CGROUP, MSRC_API };

struct snap_container {
	struct shared_info *si;      /* id, name, image, labels, limits */
	enum container_state state;
	enum container_health health;
	bool up;                     /* running and not unhealthy (DESIGN.md) */
	int64_t state_since_ms;      /* when it entered this state; the engine's event time when known */
	int restarts;
	int exit_code;               /* of the last exit, -1 if unknown */
	bool oom_killed;
	bool have_metrics;           /* m holds numbers from the newest sample */
	struct metrics m;
	enum metric_source source;
	int response_ms;             /* newest HTTP probe's time; -1 when no probe or it failed */
	int http_status;             /* newest HTTP probe's status; 0 when none or no answer */
	bool probed;                 /* the container has a health URL and a probe result */
	bool probe_ok;               /* that result passed (2xx/3xx in time) */
	char probe_error[256];       /* why it failed, for a person (untrusted text: escape it) */
	uint32_t firing_alerts;      /* bit (1u << enum alert_kind) per alert firing now */
	struct series_view hist;     /* every tick of the last hour (or the history the face asked for) */
	struct series_view hist_min; /* the last 24 hours, one point a minute (averages; the worst status) */
	unsigned engine;             /* index into the snapshot's engines[]: the host this container runs on */
};

/* One Docker engine a snapshot covers (a process may watch several). */
struct snap_engine {
	char name[256];              /* the host label of its containers everywhere: CSV, alerts, JSON, metrics */
	char endpoint[512];          /* where lookout connects, e.g. "unix:///var/run/docker.sock" */
	bool up;                     /* the engine answered its last request */
	bool known;                  /* it has answered or failed at least once */
	char error[512];             /* why it is unreachable, for a person */
	int64_t since_ms;            /* when it last became reachable or unreachable; 0 unknown */
	struct docker_version version;
	uint64_t host_mem_bytes;     /* of the engine's host, when known (0 = unknown) */
	unsigned host_cpus;
};

/* The rules' state file text as of transition seq; shared by many snapshots, never changed. */
struct rules_state_text {
	atomic_int refs;
	uint64_t seq;
	size_t len;
	char data[];
};
struct rules_state_text *rules_state_text_ref(struct rules_state_text *t);
void rules_state_text_unref(struct rules_state_text *t); /* NULL is fine */

struct snapshot {
	atomic_int refs;
	uint64_t seq;     /* increases with every publication */
	uint64_t tick;    /* number of the newest completed sampling tick (0 before the first) */
	bool is_tick;     /* published by a tick (true) or by an engine event between ticks (false) */
	int64_t wall_ms;  /* when it was published */
	int64_t tick_wall_ms; /* when the newest tick's samples were taken */
	bool engine_up;
	char engine_error[512];      /* why the engine is unreachable, for a person */
	char engine_endpoint[512];
	struct docker_version version;
	char host[256];              /* the engine's host name (CSV host column) */
	uint64_t host_mem_bytes;
	unsigned host_cpus;
	double self_cpu_pct;         /* lookout's own cost */
	uint64_t self_rss_bytes;
	/* The most recent alert transitions (at most about 100), oldest first; recent_alerts points into
	 * alerts_ref, which the snapshot holds a reference to. Transitions carry increasing seq numbers. */
	const struct alert_transition *recent_alerts;
	size_t nrecent_alerts;
	struct alert_history *alerts_ref;
	/* The alert rules' state right after the newest transition (NULL when there is no state file): the daemon
	 * saves it once those transitions are in the alert log, so a SIGKILL neither loses nor repeats an alert. */
	struct rules_state_text *rules_state;
	/* Every engine this snapshot covers, in the order they were configured (owned; freed with the snapshot).
	 * The single-engine fields above (engine_up, host, ...) describe engines[0]. */
	struct snap_engine *engines;
	size_t nengines;
	size_t n;
	struct snap_container c[];   /* sorted by name */
};

/* An empty snapshot with room for n containers (all zero); NULL on ENOMEM. */
struct snapshot *snapshot_alloc(size_t n);
/* Gives s room for n engines (all zero); 0, or -1 on ENOMEM. Call once, before the snapshot is shared. */
int snapshot_alloc_engines(struct snapshot *s, size_t n);
/* The host label of a container in s: its engine's name, else the snapshot's host ("" when unknown). */
const char *snapshot_host_of(const struct snapshot *s, const struct snap_container *sc);
struct snapshot *snapshot_ref(struct snapshot *s);
void snapshot_unref(struct snapshot *s); /* NULL is fine */

const char *metric_source_name(enum metric_source s); /* "", "cgroup", "api" */

#endif
