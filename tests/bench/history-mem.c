/* history-mem.c — the heap a full history takes, for `make bench`: N containers each holding the last hour at
 * one point a second and the last day at one point a minute, filled through the collector's own series code
 * (an hour-old daemon is the only other way to get there). Prints the bytes and bytes per point; compare.sh
 * adds them to lookout's measured resident memory to project its RSS with full histories. Two kinds of
 * container: idle ones (no CPU, steady memory, no probe: the benchmark's), whose sealed chunks take no bits a
 * point for those columns and a few for the jittered tick times, and busy ones, where CPU jumps over 0..133 %,
 * memory moves in a 50 MiB saw-tooth and every tenth probe fails (13, 11 and 5 bits a point).
 * With SECONDS, only the first SECONDS of that history (at 1 s; the day gets the minutes already past): what a
 * daemon that young already holds, which compare.sh takes off its measured RSS before adding the full history.
 *   history-mem [N=300] [idle|busy] [SECONDS=90000]    prints "N bytes bytes-per-point kind" */
#include <malloc.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "series.h"

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 300;
	const char *kind = argc > 2 ? argv[2] : "busy";
	bool busy = strcmp(kind, "idle") != 0;
	long secs = argc > 3 ? atol(argv[3]) : 3600 + 1440 * 60;
	int hour_pts = secs < 3600 ? (int)secs : 3600;
	int day_pts = secs > 3600 ? (int)((secs - 3600) / 60) : 0;
	day_pts = day_pts > 1440 ? 1440 : day_pts;
	struct mallinfo2 before = mallinfo2();
	struct series *hour = calloc((size_t)n, sizeof *hour), *day = calloc((size_t)n, sizeof *day);
	if (!hour || !day)
		return 1;
	int64_t t0 = 1700000000000;
	for (int c = 0; c < n; c++) {
		if (series_init(&hour[c], 3600, 1000) || series_init(&day[c], 1440, 60000))
			return 1;
		struct series_acc acc = {0};
		for (int i = 0; i < hour_pts; i++) {
			/* Busy: values that vary in every column. Idle: only the time (ticks are never exact). */
			struct point p = {.wall_ms = t0 + i * 1000 + (i * 7) % 3, .cpu_pct = (float)((i * 13) % 400) / 3,
			                  .mem_used_mb = 100 + (float)(i % 50), .mem_pct = (100 + (float)(i % 50)) / 5.12f,
			                  .response_ms = i % 10 ? 12 + i % 30 : -1, .status = PT_UP};
			if (!busy) {
				p.cpu_pct = 0;
				p.mem_used_mb = 0.4f;
				p.mem_pct = NAN;
				p.response_ms = -1;
			}
			if (series_append(&hour[c], &p) || series_acc_add(&acc, &day[c], &p, 60000))
				return 1;
		}
		for (int i = 0; i < day_pts; i++) {
			struct point p = {.wall_ms = t0 + 3600000 + i * 60000, .cpu_pct = 5 + (float)(i % 7) * busy,
			                  .mem_used_mb = 120 + (float)(i % 5) * busy, .mem_pct = (120 + (float)(i % 5) * busy) / 5.12f,
			                  .response_ms = busy ? 15 + i % 3 : -1, .status = PT_UP};
			if (series_append(&day[c], &p))
				return 1;
		}
	}
	struct mallinfo2 after = mallinfo2();
	size_t bytes = after.uordblks - before.uordblks;
	size_t points = (size_t)n * (size_t)(hour_pts + day_pts);
	points = points ? points : 1;
	printf("%d %zu %.2f %s\n", n, bytes, (double)bytes / (double)points, busy ? "busy" : "idle");
	for (int c = 0; c < n; c++) {
		series_free(&hour[c]);
		series_free(&day[c]);
	}
	free(hour);
	free(day);
	return 0;
}
