/* sample.h — one reading of a container's raw counters, and the metrics derived from two readings.
 * Sources (cgroup.c, docker.c) fill struct sample; metrics.c turns samples into numbers; nothing here does I/O. */
#ifndef LOOKOUT_SAMPLE_H
#define LOOKOUT_SAMPLE_H

#include <stdbool.h>
#include <stdint.h>

/* Which fields of a sample hold a value. A source sets the bit of every field it read. */
enum sample_field {
	SAMPLE_CPU = 1u << 0,        /* cpu_usage_ns */
	SAMPLE_SYSTEM_CPU = 1u << 1, /* system_cpu_ns, online_cpus (API source only) */
	SAMPLE_MEM = 1u << 2,        /* mem_usage_bytes, mem_inactive_file_bytes */
	SAMPLE_MEM_LIMIT = 1u << 3,  /* mem_limit_bytes */
	SAMPLE_PIDS = 1u << 4,
	SAMPLE_BLKIO = 1u << 5,
	SAMPLE_NET = 1u << 6,
	SAMPLE_OOM = 1u << 7,
	SAMPLE_THROTTLE = 1u << 8,
	SAMPLE_CPU_LIMIT = 1u << 9, /* cpu_limit_cpus */
};

struct sample {
	int64_t mono_ns;  /* CLOCK_MONOTONIC when read; the wall-clock delta for CPU % */
	int64_t wall_ms;  /* CLOCK_REALTIME when read, ms since the epoch */
	unsigned have;    /* enum sample_field bits */

	uint64_t cpu_usage_ns;  /* cumulative CPU time of the container */
	uint64_t system_cpu_ns; /* cumulative CPU time of the host, all CPUs (API source) */
	uint32_t online_cpus;   /* CPUs the engine reports online (API source) */
	double cpu_limit_cpus;  /* CPUs the container may use: quota/period, cpuset size, or host CPUs */

	uint64_t mem_usage_bytes;         /* raw usage including page cache */
	uint64_t mem_inactive_file_bytes; /* reclaimable cache: v1 total_inactive_file, v2 inactive_file */
	uint64_t mem_limit_bytes;         /* 0 when unlimited */

	uint64_t pids;
	uint64_t blk_read_bytes, blk_write_bytes; /* cumulative */
	uint64_t net_rx_bytes, net_tx_bytes;      /* cumulative, all interfaces but lo */
	uint64_t oom_kills;
	uint64_t throttled_periods, throttled_ns;
};

/* Numbers as people compare them with `docker stats`. A field that could not be computed is NaN
 * (CPU % and rates need two samples). */
struct metrics {
	double cpu_pct;       /* 100 = one core, like docker stats */
	double cpu_limit_pct; /* % of the container's own CPU limit */
	double mem_used_bytes;
	double mem_limit_bytes; /* the container's limit, or host memory when unlimited */
	double mem_pct;
	double net_rx_bps, net_tx_bps;
	double blk_read_bps, blk_write_bps;
	double pids;
	double oom_kills;
	double throttled_pct; /* % of periods throttled since the previous sample */
};

#endif
