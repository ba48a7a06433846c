/* fuzz_csv.c — fuzz target for `lookout report`'s reader of metrics.csv: the input is the file
 * (report_read_csv reads it by path: an in-memory file here), then both writers run on the result.
 * Checks the promises of report.h: 0, or -1 with a message; availability within 0..100; periods in time
 * order with from <= to; ordered percentiles; both writers succeed. It does not judge which rows are read. */
#include <math.h>
#include <string.h>

#include "fuzz.h"
#include "report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *devnull;
	if (!devnull)
		devnull = fopen("/dev/null", "we");
	FUZZ_CHECK(devnull);
	const char *path = fuzz_memfile(data, size);
	struct report_opts o = {.since_ms = INT64_MIN, .until_ms = INT64_MAX};
	struct report *r = report_new(&o);
	FUZZ_CHECK(r);
	char err[512] = "";
	size_t skipped = 0;
	if (report_read_csv(r, path, &skipped, err, sizeof err) != 0) {
		FUZZ_CHECK(err[0] != '\0');
		report_free(r);
		return 0;
	}
	for (size_t i = 0; i < report_count(r); i++) {
		const struct report_container *c = report_get(r, i);
		FUZZ_CHECK(c && c->name);
		FUZZ_CHECK(isnan(c->availability_pct) || (c->availability_pct >= 0 && c->availability_pct <= 100));
		FUZZ_CHECK(c->up_ms >= 0 && c->down_ms >= 0 && c->unhealthy_ms >= 0 && c->unknown_ms >= 0);
		FUZZ_CHECK(c->rows == 0 || c->first_ms <= c->last_ms);
		for (size_t k = 0; k < c->nperiods; k++) {
			FUZZ_CHECK(c->periods[k].from_ms <= c->periods[k].to_ms);
			FUZZ_CHECK(k == 0 || c->periods[k - 1].from_ms <= c->periods[k].from_ms);
		}
		FUZZ_CHECK(isnan(c->cpu.p50) || (c->cpu.p50 <= c->cpu.p95 && c->cpu.p95 <= c->cpu.p99 &&
		                                 c->cpu.p99 <= c->cpu.max));
	}
	FUZZ_CHECK(report_write_text(r, devnull) == 0);
	struct buf b;
	buf_init(&b);
	FUZZ_CHECK(report_write_html(r, &b) == 0);
	buf_free(&b);
	report_free(r);
	return 0;
}
