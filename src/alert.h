/* alert.h — what an alert is: its kinds, severities and one state transition (firing or resolved), as rules.c
 * produces them, the snapshot carries them and the alert log stores them. Plain data; no logic, no I/O. */
#ifndef LOOKOUT_ALERT_H
#define LOOKOUT_ALERT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum alert_kind {
	ALERT_CONTAINER_DOWN = 0, /* critical: not running (stopped, died, OOM-killed, restarting, paused) */
	ALERT_HEALTH_FAILED,      /* critical: running, but its HEALTHCHECK or HTTP probe fails */
	ALERT_OOM,                /* critical: killed for running out of memory */
	ALERT_RESTART_LOOP,       /* critical: restarted too often within the window */
	ALERT_HIGH_CPU,           /* warning */
	ALERT_HIGH_MEMORY,        /* warning */
	ALERT_SLOW_RESPONSE,      /* warning */
	ALERT_KIND_COUNT
};

enum alert_severity { ALERT_NONE = 0, ALERT_WARNING, ALERT_CRITICAL };

#define ALERT_NAME_MAX 256
#define ALERT_MSG_MAX 512

/* One transition of one alert of one container. Text fields hold untrusted bytes (names, health-check
 * output, probe errors): escape them wherever they go. */
struct alert_transition {
	uint64_t seq;     /* increases by one with every transition of one rules instance */
	int64_t ts_ms;    /* when lookout decided (wall clock, ms since the epoch) */
	int64_t since_ms; /* when the condition began (for resolved: when the episode began); 0 = unknown */
	enum alert_kind kind;
	enum alert_severity sev;
	bool firing;      /* false: resolved */
	char container[ALERT_NAME_MAX];
	char container_id[65];
	double value, threshold; /* NaN when not meaningful */
	char msg[ALERT_MSG_MAX];
	char host[ALERT_NAME_MAX]; /* the host label of the container's engine ("" = unknown: an older log) */
};

/* The most recent transitions, oldest first, shared by many snapshots (replaced, never changed). */
struct alert_history {
	atomic_int refs;
	size_t n;
	struct alert_transition t[];
};
struct alert_history *alert_history_ref(struct alert_history *h);
void alert_history_unref(struct alert_history *h); /* NULL is fine */

const char *alert_kind_name(enum alert_kind k);          /* "container_down", ... */
int alert_kind_parse(const char *s, enum alert_kind *out); /* 0 or -1 */
enum alert_severity alert_kind_severity(enum alert_kind k);
const char *alert_severity_name(enum alert_severity s);  /* "", "warning", "critical" */
enum alert_severity alert_severity_parse(const char *s); /* ALERT_NONE when unknown */

#endif
