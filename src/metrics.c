/* metrics.c — CPU %, memory and rates from two samples, with the formulas `docker stats` uses, so the numbers
 * match what people compare against. Pure arithmetic; reading host facts is the only I/O. */
#include "metrics.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

uint64_t metrics_mem_used(const struct sample *s)
{
	/* docker CLI: usage - inactive_file when that is smaller than usage (v1 total_inactive_file). */
	if (s->mem_inactive_file_bytes < s->mem_usage_bytes)
		return s->mem_usage_bytes - s->mem_inactive_file_bytes;
	return s->mem_usage_bytes;
}

static double rate(uint64_t prev, uint64_t cur, double secs)
{
	if (cur < prev || secs <= 0)
		return NAN;
	return (double)(cur - prev) / secs;
}

static bool both(const struct sample *p, const struct sample *c, unsigned bit)
{
	return p && (p->have & bit) && (c->have & bit);
}

void metrics_compute(const struct sample *prev, const struct sample *cur, const struct host_facts *host,
                     struct metrics *out)
{
	out->cpu_pct = out->cpu_limit_pct = NAN;
	out->mem_used_bytes = out->mem_limit_bytes = out->mem_pct = NAN;
	out->net_rx_bps = out->net_tx_bps = out->blk_read_bps = out->blk_write_bps = NAN;
	out->pids = out->oom_kills = out->throttled_pct = NAN;

	double secs = NAN;
	if (prev && cur->mono_ns > prev->mono_ns)
		secs = (double)(cur->mono_ns - prev->mono_ns) / 1e9;
	else if (prev && cur->wall_ms > prev->wall_ms)
		secs = (double)(cur->wall_ms - prev->wall_ms) / 1e3;

	if (both(prev, cur, SAMPLE_CPU) && cur->cpu_usage_ns >= prev->cpu_usage_ns) {
		double cpu_delta = (double)(cur->cpu_usage_ns - prev->cpu_usage_ns);
		if (both(prev, cur, SAMPLE_SYSTEM_CPU)) {
			/* Engine stats: container delta / host delta × online CPUs, as docker stats does. */
			uint32_t online = cur->online_cpus ? cur->online_cpus : (host ? host->ncpus : 0);
			if (cur->system_cpu_ns > prev->system_cpu_ns && online)
				out->cpu_pct = cpu_delta / (double)(cur->system_cpu_ns - prev->system_cpu_ns) *
				               online * 100.0;
			else if (cur->system_cpu_ns == prev->system_cpu_ns)
				out->cpu_pct = NAN;
		} else if (secs > 0) {
			/* cgroup files: CPU nanoseconds per wall nanosecond; 100 % is one core. */
			out->cpu_pct = cpu_delta / (secs * 1e9) * 100.0;
		}
	}
	if (!isnan(out->cpu_pct)) {
		double limit = 0;
		if (cur->have & SAMPLE_CPU_LIMIT)
			limit = cur->cpu_limit_cpus;
		if (limit <= 0)
			limit = cur->online_cpus ? cur->online_cpus : (host ? host->ncpus : 0);
		if (limit > 0)
			out->cpu_limit_pct = out->cpu_pct / limit;
	}

	if (cur->have & SAMPLE_MEM) {
		out->mem_used_bytes = (double)metrics_mem_used(cur);
		double limit = 0;
		if ((cur->have & SAMPLE_MEM_LIMIT) && cur->mem_limit_bytes)
			limit = (double)cur->mem_limit_bytes;
		/* An unlimited container, or a limit above the host's memory, is bounded by the host. */
		if (host && host->mem_total_bytes && (limit <= 0 || limit > (double)host->mem_total_bytes))
			limit = (double)host->mem_total_bytes;
		if (limit > 0) {
			out->mem_limit_bytes = limit;
			out->mem_pct = out->mem_used_bytes / limit * 100.0;
		}
	}

	if (both(prev, cur, SAMPLE_NET)) {
		out->net_rx_bps = rate(prev->net_rx_bytes, cur->net_rx_bytes, secs);
		out->net_tx_bps = rate(prev->net_tx_bytes, cur->net_tx_bytes, secs);
	}
	if (both(prev, cur, SAMPLE_BLKIO)) {
		out->blk_read_bps = rate(prev->blk_read_bytes, cur->blk_read_bytes, secs);
		out->blk_write_bps = rate(prev->blk_write_bytes, cur->blk_write_bytes, secs);
	}
	if (cur->have & SAMPLE_PIDS)
		out->pids = (double)cur->pids;
	if (cur->have & SAMPLE_OOM)
		out->oom_kills = (double)cur->oom_kills;
	if (both(prev, cur, SAMPLE_THROTTLE) && cur->throttled_periods >= prev->throttled_periods && secs > 0) {
		/* Share of scheduler periods (100 ms by default) in the interval that were throttled. */
		double periods = secs * 10.0;
		double pct = (double)(cur->throttled_periods - prev->throttled_periods) / periods * 100.0;
		out->throttled_pct = pct > 100.0 ? 100.0 : pct;
	}
}

int metrics_host_facts(const char *root, struct host_facts *out, char *err, size_t errlen)
{
	char path[4096];
	int n = snprintf(path, sizeof path, "%s/proc/meminfo", root ? root : "");
	if (n < 0 || (size_t)n >= sizeof path) {
		snprintf(err, errlen, "host root path too long");
		return -1;
	}
	char *text = read_file(path, NULL);
	if (!text) {
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
		return -1;
	}
	unsigned long long kb = 0;
	const char *p = strstr(text, "MemTotal:");
	if (!p || sscanf(p, "MemTotal: %llu kB", &kb) != 1) {
		free(text);
		snprintf(err, errlen, "%s has no MemTotal line", path);
		return -1;
	}
	free(text);
	out->mem_total_bytes = (uint64_t)kb * 1024;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	out->ncpus = cpus > 0 ? (unsigned)cpus : 1;
	return 0;
}
