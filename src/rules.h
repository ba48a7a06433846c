/* rules.h — alert rules: turn the containers of a snapshot, at a time the caller passes in, into alert
 * transitions (firing / resolved), with a "for" duration, hysteresis, one firing and one resolved per episode,
 * and container_down muting a container's other alerts. Pure computation on its own state: no clock, no I/O
 * except rules_save/rules_load, which keep that state in a file between `lookout check` runs. */
#ifndef LOOKOUT_RULES_H
#define LOOKOUT_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "alert.h"
#include "snapshot.h"

enum cpu_basis { CPU_BASIS_DOCKER = 0, CPU_BASIS_LIMIT };

struct rules_config {
	double cpu_threshold;          /* % (100 = one core on the docker basis; % of its limit on the limit basis) */
	enum cpu_basis cpu_basis;
	double memory_threshold;       /* % of the limit (or host memory) */
	double response_threshold_ms;
	double cpu_hysteresis;         /* a firing alert resolves below threshold - hysteresis */
	double memory_hysteresis;
	double response_hysteresis_ms;
	int64_t warn_for_ms;           /* high_cpu, high_memory, slow_response must hold this long */
	int64_t down_for_ms;           /* container_down must hold this long */
	int64_t health_for_ms;         /* health_failed must hold this long */
	int restart_count;             /* restart_loop: this many restarts ... */
	int64_t restart_window_ms;     /* ... within this window */
};

/* The defaults of the key table (CPU 40 %, memory 80 %, response 1000 ms, 3 restarts in 300 s, ...). */
void rules_config_defaults(struct rules_config *cfg);

struct rules;

struct rules *rules_new(const struct rules_config *cfg); /* NULL on ENOMEM */
void rules_free(struct rules *r);                        /* NULL is fine */

/* Evaluates every container of c[0..n) at now_ms (wall clock, ms). Containers the rules knew but that are not
 * in c any more get their firing alerts resolved and are forgotten. Sets c[i].firing_alerts. New transitions
 * are appended to *out (a malloc'd array the caller frees; *nout counts them, and both may already hold
 * some). Per-container thresholds come from the labels lookout.cpu_threshold, lookout.memory_threshold and
 * lookout.response_time_threshold; a label that is not a number is ignored. 0, or -1 on ENOMEM (message in
 * err; the state stays consistent, transitions of that evaluation may be missing). */
int rules_eval(struct rules *r, struct snap_container *c, size_t n, int64_t now_ms, struct alert_transition **out,
               size_t *nout, char *err, size_t errlen);

/* Several engines: hosts[sc->engine] is the host label of container sc (it goes into its transitions and the
 * state file). hold(arg, host), when set, says that the engine of that host cannot report now (unreachable, or
 * not listed yet): its containers, present or missing, keep their alerts as they are — nothing fires, nothing
 * resolves — until it reports again. */
struct rules_hosts {
	const char *const *hosts;
	size_t nhosts;
	bool (*hold)(void *arg, const char *host);
	void *arg;
};
/* rules_eval with hosts (h NULL: as rules_eval, every host ""). */
int rules_eval_hosts(struct rules *r, struct snap_container *c, size_t n, const struct rules_hosts *h,
                     int64_t now_ms, struct alert_transition **out, size_t *nout, char *err, size_t errlen);

/* What the rules think of one alert of one container right now (for `lookout check`'s findings). */
struct rule_status {
	bool firing;
	int64_t pending_since_ms; /* condition true but not yet for its "for" duration; 0 = not pending */
	int64_t since_ms;         /* firing: when the episode began */
	double value, threshold;
	char msg[ALERT_MSG_MAX];
};
/* 0 and *st filled, or -1 when the container is unknown. */
int rules_status(const struct rules *r, const char *id, enum alert_kind kind, struct rule_status *st);
bool rules_knows(const struct rules *r, const char *id); /* evaluated before and not forgotten */
uint64_t rules_last_seq(const struct rules *r);

/* Keeps the state in a file (written to PATH.tmp, then renamed over path) and reads it back; a missing file
 * is an empty state. 0, or -1 with a message in err (rules_load leaves the state empty then). */
int rules_save(const struct rules *r, const char *path, char *err, size_t errlen);
/* rules_save in two halves, so the text can be made on one thread and written on another: the state file's
 * text appended to *out (0, or -1 on ENOMEM), and text written to path as rules_save does (fsync'd). */
struct buf;
int rules_format_state(const struct rules *r, struct buf *out);
int rules_write_state(const char *path, const char *text, size_t len, char *err, size_t errlen);
int rules_load(struct rules *r, const char *path, char *err, size_t errlen);
/* Applies the transitions newer than the state's seq, in order, as the alert log recorded them: an alert
 * firing there is firing here, one resolved there is over. After a crash between writing the log and saving
 * the state, a restart so neither repeats the log's seq nor fires again what the log already says. */
void rules_replay(struct rules *r, const struct alert_transition *t, size_t n);

#endif
