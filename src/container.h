/* container.h — what the engine says about one container (from list, inspect and events).
 * Plain data with owned strings; container_info_free releases them. No I/O. */
#ifndef LOOKOUT_CONTAINER_H
#define LOOKOUT_CONTAINER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum container_state {
	CSTATE_UNKNOWN = 0,
	CSTATE_CREATED,
	CSTATE_RUNNING,
	CSTATE_PAUSED,
	CSTATE_RESTARTING,
	CSTATE_REMOVING,
	CSTATE_EXITED,
	CSTATE_DEAD,
};

enum container_health {
	CHEALTH_NONE = 0, /* no HEALTHCHECK */
	CHEALTH_STARTING,
	CHEALTH_HEALTHY,
	CHEALTH_UNHEALTHY,
};

struct label {
	char *key;
	char *value;
};

struct container_info {
	char id[65];   /* full hex id */
	char *name;    /* without the leading '/' */
	char *image;   /* as the user named it (Config.Image), else the list's Image */
	enum container_state state;
	enum container_health health;
	char *health_output;     /* output of the newest HEALTHCHECK run (untrusted), may be NULL */
	int exit_code;
	bool oom_killed;
	int restart_count;
	int pid;                 /* 0 when not running */
	int64_t started_at_ms;   /* State.StartedAt, 0 if unknown */
	int64_t finished_at_ms;  /* State.FinishedAt, 0 if unknown */
	int64_t nano_cpus;       /* HostConfig.NanoCpus */
	int64_t cpu_quota_us;    /* HostConfig.CpuQuota (0 = none) */
	int64_t cpu_period_us;   /* HostConfig.CpuPeriod (0 = default 100000) */
	char *cpuset_cpus;       /* HostConfig.CpusetCpus, may be NULL */
	int64_t mem_limit_bytes; /* HostConfig.Memory (0 = unlimited) */
	char *cgroup_parent;     /* HostConfig.CgroupParent, may be NULL */
	struct label *labels;
	size_t nlabels;
};

void container_info_free(struct container_info *c); /* frees members, not c itself; NULL is fine */
int container_info_copy(struct container_info *dst, const struct container_info *src); /* 0 or -1 (ENOMEM) */
const char *container_label(const struct container_info *c, const char *key); /* NULL if absent */

const char *container_state_name(enum container_state s);   /* "running", "exited", ... */
enum container_state container_state_parse(const char *s);   /* unknown text -> CSTATE_UNKNOWN */
const char *container_health_name(enum container_health h); /* "", "starting", "healthy", "unhealthy" */
enum container_health container_health_parse(const char *s);

/* Number of CPUs in a cpuset list such as "0-3,8,10-11"; 0 for empty/NULL, -1 if malformed. */
int cpuset_count(const char *list);

#endif
