/* fuzz_engine_stats.c — fuzz target for the Engine's stats documents (docker_parse_stats: one line of
 * GET /containers/{id}/stats) and the formulas that follow (metrics_compute on two consecutive documents:
 * the input's first line and the rest). Checks that nothing crashes and that the percentages are never
 * negative; it does not judge which documents are accepted. */
#include <math.h>
#include <string.h>

#include "docker.h"
#include "fuzz.h"
#include "metrics.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *json = (const char *)data;
	const char *nl = memchr(json, '\n', size);
	size_t first = nl ? (size_t)(nl - json) : size;
	struct sample prev, cur;
	char err[256] = "";
	int rp = docker_parse_stats(json, first, &prev, err, sizeof err);
	if (rp != 0)
		FUZZ_CHECK(err[0] != '\0' && !fuzz_has_control(err));
	int rc = nl ? docker_parse_stats(nl + 1, size - first - 1, &cur, err, sizeof err) : -1;

	struct host_facts host = {.mem_total_bytes = 8ull << 30, .ncpus = 4};
	struct metrics m;
	if (rp == 0) {
		prev.mono_ns = 1000000000;
		metrics_compute(NULL, &prev, &host, &m);
		(void)metrics_mem_used(&prev);
	}
	if (rp == 0 && rc == 0) {
		cur.mono_ns = 2000000000;
		metrics_compute(&prev, &cur, &host, &m);
		FUZZ_CHECK(!(m.cpu_pct < 0) && !(m.mem_pct < 0) && !(m.throttled_pct < 0));
		FUZZ_CHECK(!(m.net_rx_bps < 0) && !(m.blk_write_bps < 0));
	}
	return 0;
}
