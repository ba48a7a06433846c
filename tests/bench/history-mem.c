/* history-mem.c — the heap a full history takes, for `make bench`: N containers each holding the last hour at
 * one point a second and the last day at one point a minute, filled through the collector's own series code
 * (an hour-old daemon is the only other way to get there). Prints the bytes and bytes per point; compare.sh
 * adds them to lookout's measured resident memory to project its RSS with full histories.
 *   history-mem [N=300] */
#include <malloc.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "series.h"

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 300;
	struct mallinfo2 before = mallinfo2();
	struct series *hour = calloc((size_t)n, sizeof *hour), *day = calloc((size_t)n, sizeof *day);
	if (!hour || !day)
		return 1;
	int64_t t0 = 1700000000000;
	for (int c = 0; c < n; c++) {
		if (series_init(&hour[c], 3600, 1000) || series_init(&day[c], 1440, 60000))
			return 1;
		struct series_acc acc = {0};
		for (int i = 0; i < 3600; i++) {
			/* Values that vary, as real ones do (the encoding does not care, malloc does not either). */
			struct point p = {.wall_ms = t0 + i * 1000 + (i * 7) % 3, .cpu_pct = (float)((i * 13) % 400) / 3,
			                  .mem_used_mb = 100 + (float)(i % 50), .mem_pct = (100 + (float)(i % 50)) / 5.12f,
			                  .response_ms = i % 10 ? 12 + i % 30 : -1, .status = PT_UP};
			if (series_append(&hour[c], &p) || series_acc_add(&acc, &day[c], &p, 60000))
				return 1;
		}
		for (int i = 0; i < 1440; i++) {
			struct point p = {.wall_ms = t0 + 3600000 + i * 60000, .cpu_pct = 5, .mem_used_mb = 120,
			                  .mem_pct = 120 / 5.12f, .response_ms = 15, .status = PT_UP};
			if (series_append(&day[c], &p))
				return 1;
		}
	}
	struct mallinfo2 after = mallinfo2();
	size_t bytes = after.uordblks - before.uordblks;
	size_t points = (size_t)n * (3600 + 1440);
	printf("%d %zu %.2f\n", n, bytes, (double)bytes / (double)points);
	for (int c = 0; c < n; c++) {
		series_free(&hour[c]);
		series_free(&day[c]);
	}
	free(hour);
	free(day);
	return 0;
}
