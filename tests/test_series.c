/* test_series.c — chunked history: appends, eviction, views that outlive later appends and evictions. */
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>

#include "series.h"
#include "tap.h"

static struct point pt(int64_t t)
{
	struct point p = {.wall_ms = t, .cpu_pct = (float)t, .mem_pct = NAN, .response_ms = -1, .status = PT_UP};
	return p;
}

int main(void)
{
	struct series s;
	struct series_view v;
	ok(series_init(&s, 300) == 0, "init for 300 points");
	ok(series_view_take(&s, 0, &v) == 0 && v.count == 0 && series_view_last(&v) == NULL, "empty view");
	series_view_release(&v);

	for (int64_t t = 0; t < 200; t++) {
		struct point p = pt(t);
		series_append(&s, &p);
	}
	series_view_take(&s, 0, &v);
	is_int(v.count, 200, "200 points visible");
	is_int(series_view_at(&v, 0)->wall_ms, 0, "oldest first");
	is_int(series_view_last(&v)->wall_ms, 199, "newest last");
	bool inorder = true;
	for (size_t i = 0; i < v.count; i++)
		inorder &= series_view_at(&v, i)->wall_ms == (int64_t)i;
	ok(inorder, "every point in order across the chunk boundary");

	struct series_view tail;
	series_view_take(&s, 50, &tail);
	is_int(tail.count, 50, "a view of the newest 50");
	is_int(series_view_at(&tail, 0)->wall_ms, 150, "starts at 150");

	/* Keep appending far past capacity: the old view must still read its own points. */
	for (int64_t t = 200; t < 5000; t++) {
		struct point p = pt(t);
		series_append(&s, &p);
	}
	is_int(series_view_at(&v, 0)->wall_ms, 0, "an old view still reads its first point after eviction");
	is_int(series_view_last(&v)->wall_ms, 199, "and its last");
	is_int(v.count, 200, "and its count did not change");
	series_view_release(&v);
	series_view_release(&tail);

	series_view_take(&s, 0, &v);
	ok(v.count >= 300 && v.count <= 300 + 2 * SERIES_CHUNK_POINTS, "capacity respected (%zu points kept)",
	   v.count);
	is_int(series_view_last(&v)->wall_ms, 4999, "newest is the last appended");
	is_int(series_view_at(&v, 0)->wall_ms, 5000 - (int64_t)v.count, "contiguous up to the newest");
	series_free(&s);
	/* The view keeps its chunks alive after the series itself is gone (ASan checks the reads). */
	is_int(series_view_last(&v)->wall_ms, 4999, "a view outlives its series");
	series_view_release(&v);
	return tap_done();
}
