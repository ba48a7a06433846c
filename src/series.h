/* series.h — per-container history as an append-only ring of reference-counted chunks, so a snapshot can share
 * the history without copying it: the collector appends past the end a reader can see, and old chunks are
 * freed when the last snapshot that saw them is released. No locking here: publication is the snapshot's. */
#ifndef LOOKOUT_SERIES_H
#define LOOKOUT_SERIES_H

#include <stddef.h>
#include <stdint.h>

#define SERIES_CHUNK_POINTS 128

enum point_status {
	PT_NONE = 0,   /* not watched at that time */
	PT_UP,         /* running and healthy */
	PT_UNHEALTHY,  /* running, but a health check fails */
	PT_DOWN,       /* not running */
};

struct point {
	int64_t wall_ms;
	float cpu_pct;     /* NaN when unknown */
	float mem_pct;     /* NaN when unknown */
	float mem_used_mb; /* NaN when unknown */
	int32_t response_ms; /* -1 when no probe */
	uint8_t status;    /* enum point_status */
};

struct series_chunk;

/* The collector's writable series. */
struct series {
	struct series_chunk **ring; /* max_chunks slots, oldest at head */
	size_t max_chunks, nchunks, head;
};

/* A reader's immutable view: the points that existed when it was taken. */
struct series_view {
	struct series_chunk **chunks;
	size_t nchunks;
	size_t first; /* index of the first visible point inside chunks[0] */
	size_t count; /* visible points */
};

/* Keeps at least capacity points (rounded up to whole chunks). Returns 0 or -1 (ENOMEM). */
int series_init(struct series *s, size_t capacity);
void series_free(struct series *s);
int series_append(struct series *s, const struct point *p); /* 0 or -1 (ENOMEM; the point is lost) */

/* Takes a view of the newest at most max_points points (0 = all). Returns 0 or -1 (ENOMEM: empty view). */
int series_view_take(const struct series *s, size_t max_points, struct series_view *v);
void series_view_release(struct series_view *v);
/* Point i of the view, 0 = oldest; i must be < v->count. */
const struct point *series_view_at(const struct series_view *v, size_t i);
const struct point *series_view_last(const struct series_view *v); /* NULL if empty */

#endif
