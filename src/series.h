/* series.h — per-container history as an append-only ring of reference-counted chunks, so a snapshot can share
 * the history without copying it: the collector appends past the end a reader can see, and old chunks are
 * freed when the last snapshot that saw them is released. Points are stored in 8 bytes (16-bit time offset
 * and status, and three 16-bit minifloats with 12 significant bits) while their chunk fills, in fewer once it
 * is sealed (see series.c), so an hour at 1 s and a day at 1 min for 300 busy containers fit in about 7 MB.
 * No locking here: publication is the snapshot's. */
#ifndef LOOKOUT_SERIES_H
#define LOOKOUT_SERIES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SERIES_CHUNK_POINTS 128

enum point_status {
	PT_NONE = 0,   /* not watched at that time */
	PT_UP,         /* running and healthy */
	PT_UNHEALTHY,  /* running, but a health check fails */
	PT_DOWN,       /* not running */
};

/* A point as readers see it (decoded). Stored values come back to within 1/4096 of themselves (CPU to
 * 0.01 %, memory to 1 KiB and response time to 1 ms exactly below 4096 of those units), and times to within
 * the series' time unit. */
struct point {
	int64_t wall_ms;
	float cpu_pct;     /* NaN when unknown */
	float mem_pct;     /* NaN when unknown (no limit known) */
	float mem_used_mb; /* NaN when unknown */
	int32_t response_ms; /* -1 when no probe */
	uint8_t status;    /* enum point_status */
};

struct series_chunk;

/* The collector's writable series. */
struct series {
	struct series_chunk **ring; /* max_chunks slots, oldest at head */
	size_t max_chunks, nchunks, head;
	int64_t unit_ms; /* time resolution of the stored points */
};

/* A reader's immutable view: the points that existed when it was taken. */
struct series_view {
	struct series_chunk **chunks;
	size_t *ends;  /* ends[i]: visible points in chunks[0..i] (chunks may hold fewer than SERIES_CHUNK_POINTS) */
	size_t nchunks;
	size_t first; /* index of the first visible point inside chunks[0] */
	size_t count; /* visible points */
};

/* Keeps at least capacity points (rounded up to whole chunks) appended about every step_ms; a point is timed
 * to within half a unit of about step_ms / 64 (a divisor of step_ms when there is one near; 1 ms at least).
 * Returns 0 or -1 (ENOMEM). */
int series_init(struct series *s, size_t capacity, int64_t step_ms);
void series_free(struct series *s);
/* 0 or -1 (ENOMEM; the point is lost). Times must not go backwards. */
int series_append(struct series *s, const struct point *p);

/* Takes a view of the newest at most max_points points (0 = all). Returns 0 or -1 (ENOMEM: empty view). */
int series_view_take(const struct series *s, size_t max_points, struct series_view *v);
void series_view_release(struct series_view *v);
/* Point i of the view, 0 = oldest; i must be < v->count. */
struct point series_view_get(const struct series_view *v, size_t i);
/* The newest point of the view into *out; false (and *out untouched) when the view is empty. */
bool series_view_last(const struct series_view *v, struct point *out);

/* Averages points over fixed periods into a coarser series (a day at one point a minute). */
struct series_acc {
	int64_t period;          /* floor(wall_ms / period_ms) of the period being summed, once started */
	double cpu, mem_mb, mem_pct, resp;
	int ncpu, nmem, npct, nresp;
	uint8_t worst;           /* the worst status of the period: down > unhealthy > up > none */
	bool started;
};

/* Adds p to the period it falls in. When p starts a new period, the finished one is first appended to out
 * as one point stamped at the period's start: the averages of what was known, and the worst status. A zeroed
 * struct series_acc is ready to use. 0, or -1 when that append failed (ENOMEM). */
int series_acc_add(struct series_acc *a, struct series *out, const struct point *p, int64_t period_ms);

/* Bytes one open chunk (the one filling) takes (for the memory budget and its test). */
size_t series_chunk_bytes(void);
/* The heap the series holds now: its ring and chunks (sealed chunks store a column once when all its points
 * share the value). */
size_t series_heap_bytes(const struct series *s);

#endif
