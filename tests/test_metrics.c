/* test_metrics.c — metrics_compute on pairs of stats documents (recorded from Docker 20.10 on cgroup v1,
 * hand-written for cgroup v2 and Podman; see test_docker.c for their provenance). Every expected number is
 * worked out by hand from the JSON values in the comment above its check, never by calling the code. */
#include <curl/curl.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "docker.h"
#include "metrics.h"
#include "tap.h"
#include "util.h"

/* Line k (0-based) of a fixture holding one stats document per line, parsed. */
static struct sample load(const char *name, int k)
{
	struct sample s;
	memset(&s, 0, sizeof s);
	const char *top = getenv("top_srcdir");
	char path[4096], err[256];
	int n = snprintf(path, sizeof path, "%s/tests/fixtures/engine/%s", top ? top : ".", name);
	size_t len;
	char *text = n > 0 && (size_t)n < sizeof path ? read_file(path, &len) : NULL;
	if (!text) {
		printf("# cannot read %s: %s (set top_srcdir)\n", path, strerror(errno));
		exit(99);
	}
	char *p = text;
	for (int i = 0; i < k && p; i++)
		if ((p = strchr(p, '\n')))
			p++;
	if (!p || docker_parse_stats(p, strcspn(p, "\n"), &s, err, sizeof err))
		printf("# %s line %d: %s\n", name, k, p ? err : "missing");
	free(text);
	return s;
}

int main(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	/* A host with 2 CPUs and 4 GiB, the ceiling for unlimited containers. */
	struct host_facts host = {.mem_total_bytes = 4294967296ULL, .ncpus = 2};
	struct metrics m;

	/* cgroup v1, recorded: a busy loop under --cpus 0.5 --memory 64m, two consecutive stream lines.
	 *   total_usage      5353898393 -> 5859993865      delta  506095472
	 *   system_cpu_usage 1665090000000 -> 1667090000000 delta 2000000000, online_cpus 2
	 *   CPU % = 506095472 / 2000000000 x 2 x 100 = 0.253047736 x 200 = 50.6095472
	 *   (the 0.5 CPU limit, as docker stats would show it)
	 *   memory usage 8970240, total_inactive_file 0 -> used 8970240 - 0 = 8970240
	 *   limit 67108864 (64 MiB): 8970240 / 67108864 = 2190 x 4096 / (16384 x 4096) = 0.1336669921875 -> 13.36669921875 %
	 *   rx 1112 -> 1112: 0 B/s; pids 1 */
	struct sample a = load("stats-v1-busy.json", 0), b = load("stats-v1-busy.json", 1);
	metrics_compute(&a, &b, &host, &m);
	is_near(m.cpu_pct, 50.6095472, 1e-6, "v1 busy: CPU %%");
	is_near(m.mem_used_bytes, 8970240, 0, "v1 busy: memory used");
	is_near(m.mem_limit_bytes, 67108864, 0, "v1 busy: limit");
	is_near(m.mem_pct, 13.36669921875, 1e-9, "v1 busy: memory %%");
	is_near(m.net_rx_bps, 0, 0, "v1 busy: no traffic");
	is_near(m.pids, 1, 0, "v1 busy: one process");
	/* 50.6095472 % of 2 online CPUs (no CPU limit in a sample from the API) = 25.3047736 */
	is_near(m.cpu_limit_pct, 25.3047736, 1e-6, "v1 busy: %% of the CPUs it may use");

	/* cgroup v1, recorded: a busy loop with 16 MiB of freshly written page cache, --memory 128m.
	 *   total_usage 2093397578 -> 3080769646 delta 987372068; system 1733740000000 -> 1735750000000 delta 2010000000
	 *   CPU % = 987372068 / 2010000000 x 2 x 100 = 197474413600 / 2010000000 = 98.2459769154...
	 *   (2010000000 x 98 = 196980000000, remainder 494413600 / 2010000000 = 0.2459769...)
	 *   usage 17801216, total_inactive_file 16777216 (< usage) -> used 1024000
	 *   1024000 / 134217728 = 1000 x 1024 / 2^27 = 1000 / 131072 = 0.00762939453125 -> 0.762939453125 % */
	a = load("stats-v1-cache.json", 0);
	b = load("stats-v1-cache.json", 1);
	metrics_compute(&a, &b, &host, &m);
	is_near(m.cpu_pct, 98.2459769154, 1e-6, "v1 cache: CPU %%");
	is_near(m.mem_used_bytes, 1024000, 0, "v1 cache: inactive page cache not counted");
	is_near(m.mem_pct, 0.762939453125, 1e-12, "v1 cache: memory %%");

	/* cgroup v2, hand-written, reads exactly 1 s apart:
	 *   total_usage 2000000000 -> 2750000000 delta 750000000; system 400000000000 -> 404000000000 delta 4000000000
	 *   online_cpus 4: CPU % = 750000000 / 4000000000 x 4 x 100 = 75
	 *   usage 109051904 (104 MiB), inactive_file 41943040 (40 MiB) -> used 67108864 (64 MiB)
	 *   limit 268435456 (256 MiB): 64 / 256 = 25 %
	 *   blkio read (254:0 + 8:16) 1048576+2048 -> 2097152+2048: 1048576 B/s; write 4096+0 -> 4096+8192: 8192 B/s
	 *   rx (eth0 + eth1) 5000+100 -> 6000+100: 1000 B/s; tx 2000+0 -> 2500+0: 500 B/s */
	a = load("stats-v2-busy.json", 0);
	b = load("stats-v2-busy.json", 1);
	metrics_compute(&a, &b, &host, &m);
	is_near(m.cpu_pct, 75.0, 1e-9, "v2 busy: CPU %%");
	is_near(m.mem_used_bytes, 67108864, 0, "v2 busy: memory used");
	is_near(m.mem_pct, 25.0, 1e-9, "v2 busy: memory %%");
	is_near(m.blk_read_bps, 1048576, 1e-6, "v2 busy: read rate");
	is_near(m.blk_write_bps, 8192, 1e-6, "v2 busy: write rate");
	is_near(m.net_rx_bps, 1000, 1e-6, "v2 busy: rx rate");
	is_near(m.net_tx_bps, 500, 1e-6, "v2 busy: tx rate");

	/* cgroup v2, hand-written, one sample of an unlimited idle container:
	 *   no previous sample: CPU % cannot be computed
	 *   usage 4096000, inactive_file 8192000 (not smaller than usage) -> used stays 4096000
	 *   limit 8323002368 is more than the host's 4294967296, so the host bounds it:
	 *   4096000 / 4294967296 = 1000 x 4096 / (1048576 x 4096) = 0.00095367431640625 -> 0.095367431640625 % */
	a = load("stats-v2-idle.json", 0);
	metrics_compute(NULL, &a, &host, &m);
	ok(isnan(m.cpu_pct) && isnan(m.net_rx_bps), "v2 idle: one sample, no CPU %% or rates");
	is_near(m.mem_used_bytes, 4096000, 0, "v2 idle: cache larger than usage is not subtracted");
	is_near(m.mem_limit_bytes, 4294967296.0, 0, "v2 idle: host memory bounds the limit");
	is_near(m.mem_pct, 0.095367431640625, 1e-12, "v2 idle: memory %%");
	is_int(metrics_mem_used(&a), 4096000, "metrics_mem_used agrees");

	/* Podman, hand-written: no online_cpus, so the 2 entries of percpu_usage count.
	 *   total_usage 3000000000 -> 3500000000 delta 500000000; system 900000000000 -> 902000000000 delta 2000000000
	 *   CPU % = 500000000 / 2000000000 x 2 x 100 = 50
	 *   usage 54525952 (52 MiB), no inactive_file -> used 54525952; limit 536870912 (512 MiB): 52/512 = 10.15625 % */
	a = load("stats-podman.json", 0);
	b = load("stats-podman.json", 1);
	metrics_compute(&a, &b, &host, &m);
	is_near(m.cpu_pct, 50.0, 1e-9, "podman: CPU %%");
	is_near(m.mem_pct, 10.15625, 1e-12, "podman: memory %%");

	/* A restarted container: total_usage 5859993865 (before) -> 2093397578 (after) went backwards. */
	a = load("stats-v1-busy.json", 1);
	b = load("stats-v1-cache.json", 0);
	metrics_compute(&a, &b, &host, &m);
	ok(isnan(m.cpu_pct), "counter went backwards: CPU %% is NaN, not negative");

	/* A stopped container's document reads nothing, so nothing is computed from it. */
	a = load("stats-v1-busy.json", 0);
	b = load("stats-exited.json", 0);
	metrics_compute(&a, &b, &host, &m);
	ok(isnan(m.cpu_pct) && isnan(m.mem_pct) && isnan(m.pids), "stopped container: all NaN");

	curl_global_cleanup();
	return tap_done();
}
