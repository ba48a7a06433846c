/* test_series.c — chunked history: appends, eviction, views that outlive later appends and evictions, and
 * the compact storage: what comes back, to what precision, across time gaps, limit changes and sealing. */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "series.h"
#include "tap.h"
#include "util.h"

#define diag(...) (printf("# "), printf(__VA_ARGS__), printf("\n"))

static struct point pt(int64_t t)
{
	struct point p = {.wall_ms = t, .cpu_pct = (float)t, .mem_pct = NAN, .mem_used_mb = NAN, .response_ms = -1,
	                  .status = PT_UP};
	return p;
}

static int64_t wall_at(const struct series_view *v, size_t i) { return series_view_get(v, i).wall_ms; }

static int64_t wall_last(const struct series_view *v)
{
	struct point p;
	return series_view_last(v, &p) ? p.wall_ms : -1;
}

static void test_ring(void)
{
	struct series s;
	struct series_view v;
	struct point last;
	ok(series_init(&s, 300, 1) == 0, "init for 300 points");
	ok(series_view_take(&s, 0, &v) == 0 && v.count == 0 && !series_view_last(&v, &last), "empty view");
	series_view_release(&v);

	for (int64_t t = 0; t < 200; t++) {
		struct point p = pt(t);
		series_append(&s, &p);
	}
	series_view_take(&s, 0, &v);
	is_int(v.count, 200, "200 points visible");
	is_int(wall_at(&v, 0), 0, "oldest first");
	is_int(wall_last(&v), 199, "newest last");
	bool inorder = true;
	for (size_t i = 0; i < v.count; i++)
		inorder &= wall_at(&v, i) == (int64_t)i;
	ok(inorder, "every point in order across the chunk boundary");

	struct series_view tail;
	series_view_take(&s, 50, &tail);
	is_int(tail.count, 50, "a view of the newest 50");
	is_int(wall_at(&tail, 0), 150, "starts at 150");

	/* Keep appending far past capacity: the old view must still read its own points. */
	for (int64_t t = 200; t < 5000; t++) {
		struct point p = pt(t);
		series_append(&s, &p);
	}
	is_int(wall_at(&v, 0), 0, "an old view still reads its first point after eviction");
	is_int(wall_last(&v), 199, "and its last");
	is_int(v.count, 200, "and its count did not change");
	series_view_release(&v);
	series_view_release(&tail);

	series_view_take(&s, 0, &v);
	ok(v.count >= 300 && v.count <= 300 + 2 * SERIES_CHUNK_POINTS, "capacity respected (%zu points kept)",
	   v.count);
	is_int(wall_last(&v), 4999, "newest is the last appended");
	is_int(wall_at(&v, 0), 5000 - (int64_t)v.count, "contiguous up to the newest");
	series_free(&s);
	/* The view keeps its chunks alive after the series itself is gone (ASan checks the reads). */
	is_int(wall_last(&v), 4999, "a view outlives its series");
	series_view_release(&v);
}

/* Values come back within 1/4096 (exactly below 4096 units), unknowns stay unknown. */
static void test_precision(void)
{
	struct series s;
	struct series_view v;
	series_init(&s, 1000, 1000);
	const double cpus[] = {0, 0.01, 3.57, 40.95, 99.99, 250.5, 1600.25, NAN};
	const double mems[] = {0.25, 1, 3.99, 512.3, 1024, 7777.7, 65536, NAN};
	const int resp[] = {0, 1, 35, 4095, 4097, 29999, 300000, -1};
	int64_t t0 = 1700000000000;
	for (size_t i = 0; i < ARRAY_LEN(cpus); i++) {
		struct point p = {.wall_ms = t0 + (int64_t)i * 1000 + 7, .cpu_pct = (float)cpus[i],
		                  .mem_used_mb = (float)mems[i], .mem_pct = NAN, .response_ms = resp[i],
		                  .status = (uint8_t)(i % 4)};
		series_append(&s, &p);
	}
	series_view_take(&s, 0, &v);
	bool cpu_ok = true, mem_ok = true, resp_ok = true, time_ok = true, status_ok = true;
	for (size_t i = 0; i < v.count; i++) {
		struct point p = series_view_get(&v, i);
		double tol_c = cpus[i] * 100 < 4096 ? 0.005 : cpus[i] / 4096;
		double tol_m = mems[i] * 1024 < 4096 ? 0.5 / 1024 : mems[i] / 4096;
		double tol_r = resp[i] < 4096 ? 0 : resp[i] / 4096.0;
		if (isnan(cpus[i]) ? !isnan(p.cpu_pct) : fabs(p.cpu_pct - cpus[i]) > tol_c) {
			cpu_ok = false;
			diag("cpu %g came back as %g", cpus[i], p.cpu_pct);
		}
		if (isnan(mems[i]) ? !isnan(p.mem_used_mb) : fabs(p.mem_used_mb - mems[i]) > tol_m) {
			mem_ok = false;
			diag("memory %g MiB came back as %g", mems[i], p.mem_used_mb);
		}
		if (resp[i] < 0 ? p.response_ms != -1 : abs(p.response_ms - resp[i]) > tol_r + 0.5) {
			resp_ok = false;
			diag("response %d came back as %d", resp[i], p.response_ms);
		}
		time_ok &= llabs(p.wall_ms - (t0 + (int64_t)i * 1000 + 7)) <= 10 / 2;
		status_ok &= p.status == i % 4;
		if (!isnan(p.mem_pct))
			mem_ok = false;
	}
	ok(cpu_ok, "CPU %% back to 0.01 below 40.96 %%, within 1/4096 above, unknown stays unknown");
	ok(mem_ok, "memory back to 1 KiB below 4 MiB, within 1/4096 above; no limit, no percentage");
	ok(resp_ok, "response time exact below 4096 ms, within 1/4096 above; no probe stays -1");
	ok(time_ok, "times within half the 10 ms unit of a 1 s series");
	ok(status_ok, "every status back");
	series_view_release(&v);
	series_free(&s);
}

/* A gap longer than a chunk's time span, and a new memory limit, each start a new chunk; views read across
 * short chunks, and percentages come back against the limit they were taken with. */
static void test_gaps_and_limits(void)
{
	struct series s;
	struct series_view v;
	series_init(&s, 1000, 1000);
	int64_t t = 1700000000000;
	size_t n = 0;
	for (int i = 0; i < 10; i++, n++, t += 1000) {
		struct point p = {.wall_ms = t, .cpu_pct = 1, .mem_used_mb = 64, .mem_pct = 25, .response_ms = 5,
		                  .status = PT_UP}; /* limit 256 MiB */
		series_append(&s, &p);
	}
	t += 3600 * 1000; /* an hour without the daemon */
	for (int i = 0; i < 5; i++, n++, t += 1000) {
		struct point p = {.wall_ms = t, .cpu_pct = 2, .mem_used_mb = 64, .mem_pct = 50, .response_ms = 5,
		                  .status = PT_UP}; /* docker update: limit 128 MiB */
		series_append(&s, &p);
	}
	for (int i = 0; i < 3; i++, n++, t += 1000) {
		struct point p = {.wall_ms = t, .cpu_pct = 0, .mem_used_mb = 0, .mem_pct = 0, .response_ms = -1,
		                  .status = PT_DOWN};
		series_append(&s, &p);
	}
	series_view_take(&s, 0, &v);
	is_int(v.count, n, "every point visible across short chunks");
	struct point a = series_view_get(&v, 9), b = series_view_get(&v, 10), c = series_view_get(&v, 14);
	is_int(b.wall_ms - a.wall_ms, 3601000, "the gap is kept exactly");
	is_near(a.mem_pct, 25, 0.01, "25 %% of the old limit");
	is_near(c.mem_pct, 50, 0.01, "50 %% of the new limit");
	struct point d = series_view_get(&v, 15);
	is_near(d.mem_pct, 0, 1e-6, "0 %% when nothing is used");
	is_int(d.status, PT_DOWN, "down");
	series_view_release(&v);
	series_view_take(&s, 6, &v);
	is_int(v.count, 6, "a tail view starting inside a short chunk");
	is_int(series_view_get(&v, 0).wall_ms, series_view_get(&v, 1).wall_ms - 1000, "in order");
	series_view_release(&v);
	series_free(&s);
	ok(series_chunk_bytes() <= 80 + 8 * SERIES_CHUNK_POINTS, "an open chunk is 8 bytes a point and a header (%zu)",
	   series_chunk_bytes());
}

/* A minute of ticks becomes one point: averages of what was known, the worst status, stamped at its start. */
static void test_minutes(void)
{
	struct series day;
	struct series_acc acc = {0};
	struct series_view v;
	series_init(&day, 1440, 60000);
	int64_t t0 = 1700000040000; /* a minute boundary */
	for (int i = 0; i < 150; i++) { /* 2.5 minutes at 1 s */
		struct point p = {.wall_ms = t0 + i * 1000, .cpu_pct = i < 60 ? 10 : 30, .mem_used_mb = 100,
		                  .mem_pct = 10, .response_ms = i % 2 ? 20 : -1,
		                  .status = i == 70 ? PT_DOWN : i == 75 ? PT_UNHEALTHY : PT_UP};
		if (i == 100)
			p.cpu_pct = NAN;
		series_acc_add(&acc, &day, &p, 60000);
	}
	series_view_take(&day, 0, &v);
	is_int(v.count, 2, "two finished minutes (the third is still open)");
	struct point a = series_view_get(&v, 0), b = series_view_get(&v, 1);
	is_int(a.wall_ms, t0, "stamped at the minute's start");
	is_int(b.wall_ms, t0 + 60000, "the next minute");
	is_near(a.cpu_pct, 10, 0.01, "average CPU");
	is_near(b.cpu_pct, 30, 0.01, "an unknown tick does not count in the average");
	is_int(a.response_ms, 20, "response averaged over the ticks that had one");
	is_int(a.status, PT_UP, "an all-up minute is up");
	is_int(b.status, PT_DOWN, "one down tick makes the minute down (worse than unhealthy)");
	is_near(b.mem_pct, 10, 0.01, "memory percentage");
	series_view_release(&v);
	series_free(&day);
}

/* Full chunks are sealed: columns whose value every point shares are stored once. What comes back is the same,
 * and a view taken while the chunk was open still reads it after the seal. */
static void test_sealing(void)
{
	struct series idle, busy;
	series_init(&idle, 3600, 1000);
	series_init(&busy, 3600, 1000);
	int64_t t0 = 1700000000000;
	struct series_view early;
	bool same = true;
	for (int i = 0; i < 3600; i++) {
		/* Jittered ticks (stored to 10 ms): the time column always varies. */
		struct point a = {.wall_ms = t0 + i * 1000 + i % 7, .cpu_pct = 0, .mem_used_mb = 2.5f, .mem_pct = NAN,
		                  .response_ms = -1, .status = PT_UP};
		struct point b = {.wall_ms = a.wall_ms, .cpu_pct = (float)(i % 97), .mem_used_mb = 100 + (float)(i % 50),
		                  .mem_pct = NAN, .response_ms = 10 + i % 13, .status = i % 50 ? PT_UP : PT_DOWN};
		series_append(&idle, &a);
		series_append(&busy, &b);
		if (i == 100)
			series_view_take(&busy, 0, &early); /* the first chunk, still open */
	}
	struct series_view vi, vb;
	series_view_take(&idle, 0, &vi);
	series_view_take(&busy, 0, &vb);
	ok(vi.count >= 3600 && vb.count == vi.count, "both keep the hour (%zu points)", vi.count);
	for (size_t i = 0; i < vb.count; i++) {
		struct point a = series_view_get(&vi, i), b = series_view_get(&vb, i);
		int k = 3600 - (int)vb.count + (int)i; /* the point's index as appended */
		same &= llabs(a.wall_ms - (t0 + k * 1000 + k % 7)) <= 5 && a.cpu_pct == 0 && fabsf(a.mem_used_mb - 2.5f) < 0.001f &&
		        a.response_ms == -1 && a.status == PT_UP;
		same &= b.wall_ms == a.wall_ms && b.cpu_pct == (float)(k % 97) && b.response_ms == 10 + k % 13 &&
		        fabsf(b.mem_used_mb - (100 + (float)(k % 50))) < 0.05f && b.status == (k % 50 ? PT_UP : PT_DOWN);
	}
	ok(same, "every point reads back the same from sealed chunks");
	is_int(early.count, 101, "a view taken while the chunk was open");
	ok(llabs(series_view_get(&early, 100).wall_ms - (t0 + 100 * 1000 + 100 % 7)) <= 5, "still reads it after the seal");
	is_int(series_view_get(&early, 0).response_ms, 10, "and its first point");
	size_t bi = series_heap_bytes(&idle), bb = series_heap_bytes(&busy);
	diag("an hour at 1 s: idle %zu bytes (%.2f a point), busy %zu bytes (%.2f a point)", bi, (double)bi / 3600,
	     bb, (double)bb / 3600);
	ok(bi < 2 * 3600 + 3 * series_chunk_bytes(), "an idle container's hour: under 1.5 bytes a point");
	/* busy: times on their line but for the jitter and the status (3 bits), CPU over 0..96 % (13), memory in a
	 * 50 MiB saw (11), responses over 13 ms (4), plus the headers */
	ok(bb > 4 * 3600 && bb < 4 * 3600 + 3 * series_chunk_bytes(), "a busy one's: about 4");
	series_view_release(&early);
	series_view_release(&vi);
	series_view_release(&vb);
	series_free(&idle);
	series_free(&busy);
}

/* Response times spread over a band exactly 256 codes wide around a falling line (127 above, 128 below it), and
 * one code wider: each comes back exactly, and the wider band costs one bit a point more. */
static void test_packing_widths(void)
{
	size_t bytes[2];
	for (int past = 0; past <= 1; past++) {
		struct series s;
		series_init(&s, 2 * SERIES_CHUNK_POINTS, 1000);
		int32_t want[2 * SERIES_CHUNK_POINTS + 1];
		int n = 2 * SERIES_CHUNK_POINTS + 1; /* the last point seals the second chunk */
		for (int i = 0; i < n; i++) {
			int k = i % SERIES_CHUNK_POINTS;
			/* A line from 1900 down to 1900 - 127 * 3 (response codes below 2048 are the value itself). */
			int32_t line = 1900 - (int32_t)((int64_t)381 * k / (SERIES_CHUNK_POINTS - 1));
			int32_t r = k == 0 || k == SERIES_CHUNK_POINTS - 1 ? 0 : k % 3 == 0 ? 127 + past : k % 3 == 1 ? -128 : 5;
			want[i] = line + r;
			struct point p = {.wall_ms = 1700000000000 + i * 1000, .cpu_pct = 0, .mem_used_mb = 1, .mem_pct = NAN,
			                  .response_ms = want[i], .status = PT_UP};
			series_append(&s, &p);
		}
		struct series_view v;
		series_view_take(&s, 0, &v);
		bool same = v.count == (size_t)n;
		for (size_t i = 0; same && i < v.count; i++)
			same = series_view_get(&v, i).response_ms == want[i];
		ok(same, "response times %s 8 bits' band come back exactly", past ? "one past" : "filling");
		bytes[past] = series_heap_bytes(&s);
		series_view_release(&v);
		series_free(&s);
	}
	/* Two sealed chunks of SERIES_CHUNK_POINTS: past the band, the responses take a ninth bit a point. */
	ok(bytes[1] - bytes[0] == 2 * SERIES_CHUNK_POINTS / 8, "one code wider costs a bit a point more (%zu vs %zu bytes)",
	   bytes[1], bytes[0]);
}

static uint32_t rnd_state = 12345;
static uint32_t rnd(void)
{
	rnd_state = rnd_state * 1103515245u + 12345u;
	return rnd_state >> 8;
}

/* One column's value at point k of a chunk, in one of several shapes: the same everywhere, a narrow band, a
 * steep line with noise, anything at all (from 0 to beyond the largest code), or unknown now and then. */
static double shaped(int shape, int k, double scale, double base)
{
	double noise = (double)(rnd() % 1000) / 1000;
	switch (shape) {
	case 0: return base;
	case 1: return base + noise * scale / 64;
	case 2: return base + k * scale / 16 + noise * scale / 8;
	case 3: return rnd() % 8 == 0 ? NAN : base + noise * scale;
	case 4: return NAN;
	default: return (double)(rnd() % 65536) * (double)(1u << (rnd() % 16)) * scale / 65536;
	}
}

/* Packing is exact: for columns of every shape, a view taken while the chunk was open and one taken after it
 * was sealed read the same points, bit for bit. */
static void test_packing_exact(void)
{
	bool same = true;
	size_t rounds = 0;
	for (int round = 0; round < 400; round++) {
		struct series s;
		/* Room for a chunk a point: a memory figure now known, now not, starts a chunk each time. */
		series_init(&s, (SERIES_CHUNK_POINTS + 1) * SERIES_CHUNK_POINTS, 1000);
		int shape[4];
		for (int c = 0; c < 4; c++)
			shape[c] = (int)(rnd() % 6);
		int64_t t = 1700000000000 + (int64_t)round * 1000000;
		struct series_view open, sealed;
		for (int k = 0; k <= SERIES_CHUNK_POINTS; k++) {
			if (k == SERIES_CHUNK_POINTS)
				series_view_take(&s, 0, &open); /* the full chunk, still open: the next append seals it */
			double cpu = shaped(shape[0], k, 20000, 3.5), mem = shaped(shape[1], k, 1e6, 180);
			double resp = shaped(shape[2], k, 60000, 40);
			struct point p = {.wall_ms = t, .cpu_pct = (float)cpu, .mem_used_mb = (float)mem,
			                  .mem_pct = isnan(mem) ? NAN : (float)(mem / 40.96),
			                  .response_ms = isnan(resp) ? -1 : (int32_t)resp,
			                  .status = (uint8_t)(shape[3] == 0 ? PT_UP : rnd() % 4)};
			series_append(&s, &p);
			t += shape[3] == 5 ? 1 + rnd() % 1270 : 1000 + rnd() % 7; /* a chunk spans up to 163 s */
		}
		series_view_take(&s, 0, &sealed);
		rounds += open.count == SERIES_CHUNK_POINTS;
		for (size_t i = 0; i < open.count && i < sealed.count; i++) {
			struct point a = series_view_get(&open, i), b = series_view_get(&sealed, i);
			bool eq = a.wall_ms == b.wall_ms && a.status == b.status && a.response_ms == b.response_ms &&
			          (a.cpu_pct == b.cpu_pct || (isnan(a.cpu_pct) && isnan(b.cpu_pct))) &&
			          (a.mem_used_mb == b.mem_used_mb || (isnan(a.mem_used_mb) && isnan(b.mem_used_mb))) &&
			          (a.mem_pct == b.mem_pct || (isnan(a.mem_pct) && isnan(b.mem_pct)));
			if (!eq && same)
				diag("round %d point %zu (shapes %d %d %d %d) differs after sealing", round, i, shape[0], shape[1],
				     shape[2], shape[3]);
			same &= eq;
		}
		series_view_release(&open);
		series_view_release(&sealed);
		series_free(&s);
	}
	is_int(rounds, 400, "every round filled a chunk of %d points", SERIES_CHUNK_POINTS);
	ok(same, "every point of every shape reads the same after sealing");
}

/* Columns nobody knows (no CPU yet, no probe) and columns that never change take no bits a point; a column
 * known at some points and unknown at others keeps both. */
static void test_packing_unknowns(void)
{
	struct series s;
	series_init(&s, 2 * SERIES_CHUNK_POINTS, 1000);
	for (int k = 0; k <= SERIES_CHUNK_POINTS; k++) {
		/* Exact ticks and one status: the time column is a line too. */
		struct point p = {.wall_ms = 1700000000000 + k * 1000, .cpu_pct = NAN, .mem_used_mb = 64, .mem_pct = NAN,
		                  .response_ms = -1, .status = PT_UP};
		series_append(&s, &p);
	}
	size_t flat = series_heap_bytes(&s);
	struct series_view v;
	series_view_take(&s, 0, &v);
	struct point p0 = series_view_get(&v, 5);
	ok(isnan(p0.cpu_pct) && p0.response_ms == -1 && p0.mem_used_mb == 64 && p0.wall_ms == 1700000005000,
	   "unknown stays unknown, the rest exact");
	series_view_release(&v);
	series_free(&s);
	/* The sealed chunk is its header only; the open one after it is a whole open chunk. */
	ok(flat < 2 * series_chunk_bytes() - SERIES_CHUNK_POINTS * 7, "nothing a point for an unchanging chunk (%zu bytes)",
	   flat);

	series_init(&s, 2 * SERIES_CHUNK_POINTS, 1000);
	for (int k = 0; k <= SERIES_CHUNK_POINTS; k++) {
		struct point p = {.wall_ms = 1700000000000 + k * 1000, .cpu_pct = 0, .mem_used_mb = 64, .mem_pct = NAN,
		                  .response_ms = k % 10 ? 20 + k % 4 : -1, .status = PT_UP};
		series_append(&s, &p);
	}
	series_view_take(&s, 0, &v);
	bool same = true;
	for (size_t k = 0; k < SERIES_CHUNK_POINTS; k++)
		same &= series_view_get(&v, k).response_ms == (k % 10 ? 20 + (int)k % 4 : -1);
	ok(same, "failed probes among answered ones come back as they were");
	/* 20..23 and "unknown": five codes, three bits a point. */
	ok(series_heap_bytes(&s) - flat == 3 * SERIES_CHUNK_POINTS / 8, "three bits a point for them (%zu bytes more)",
	   series_heap_bytes(&s) - flat);
	series_view_release(&v);
	series_free(&s);
}

int main(void)
{
	test_packing_widths();
	test_packing_exact();
	test_packing_unknowns();
	test_ring();
	test_sealing();
	test_precision();
	test_gaps_and_limits();
	test_minutes();
	return tap_done();
}
