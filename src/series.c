/* series.c — append-only chunked history shared between the collector and snapshot readers without copies.
 * The writer only ever fills slots past the count any published view holds, so readers need no lock. */
#include "series.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

struct series_chunk {
	atomic_int refs;
	size_t used; /* written by the collector only; readers use their view's count instead */
	struct point p[SERIES_CHUNK_POINTS];
};

static void chunk_unref(struct series_chunk *c)
{
	if (c && atomic_fetch_sub_explicit(&c->refs, 1, memory_order_acq_rel) == 1)
		free(c);
}

int series_init(struct series *s, size_t capacity)
{
	memset(s, 0, sizeof *s);
	/* One spare chunk, so that a full window is always visible while the newest chunk fills. */
	s->max_chunks = (capacity + SERIES_CHUNK_POINTS - 1) / SERIES_CHUNK_POINTS + 1;
	s->ring = calloc(s->max_chunks, sizeof *s->ring);
	return s->ring ? 0 : -1;
}

void series_free(struct series *s)
{
	if (!s->ring)
		return;
	for (size_t i = 0; i < s->nchunks; i++)
		chunk_unref(s->ring[(s->head + i) % s->max_chunks]);
	free(s->ring);
	memset(s, 0, sizeof *s);
}

static struct series_chunk *newest(const struct series *s)
{
	return s->nchunks ? s->ring[(s->head + s->nchunks - 1) % s->max_chunks] : NULL;
}

int series_append(struct series *s, const struct point *p)
{
	struct series_chunk *c = newest(s);
	if (!c || c->used == SERIES_CHUNK_POINTS) {
		c = malloc(sizeof *c);
		if (!c)
			return -1;
		atomic_init(&c->refs, 1);
		c->used = 0;
		if (s->nchunks == s->max_chunks) {
			chunk_unref(s->ring[s->head]);
			s->head = (s->head + 1) % s->max_chunks;
			s->nchunks--;
		}
		s->ring[(s->head + s->nchunks) % s->max_chunks] = c;
		s->nchunks++;
	}
	c->p[c->used] = *p;
	c->used++;
	return 0;
}

int series_view_take(const struct series *s, size_t max_points, struct series_view *v)
{
	memset(v, 0, sizeof *v);
	if (!s->nchunks)
		return 0;
	size_t total = (s->nchunks - 1) * SERIES_CHUNK_POINTS + newest(s)->used;
	size_t count = max_points && max_points < total ? max_points : total;
	size_t skip = total - count; /* points before the view, all in whole or partial leading chunks */
	size_t first_chunk = skip / SERIES_CHUNK_POINTS;
	size_t n = s->nchunks - first_chunk;
	v->chunks = malloc(n * sizeof *v->chunks);
	if (!v->chunks)
		return -1;
	for (size_t i = 0; i < n; i++) {
		struct series_chunk *c = s->ring[(s->head + first_chunk + i) % s->max_chunks];
		atomic_fetch_add_explicit(&c->refs, 1, memory_order_relaxed);
		v->chunks[i] = c;
	}
	v->nchunks = n;
	v->first = skip % SERIES_CHUNK_POINTS;
	v->count = count;
	return 0;
}

void series_view_release(struct series_view *v)
{
	for (size_t i = 0; i < v->nchunks; i++)
		chunk_unref(v->chunks[i]);
	free(v->chunks);
	memset(v, 0, sizeof *v);
}

const struct point *series_view_at(const struct series_view *v, size_t i)
{
	size_t k = v->first + i;
	return &v->chunks[k / SERIES_CHUNK_POINTS]->p[k % SERIES_CHUNK_POINTS];
}

const struct point *series_view_last(const struct series_view *v)
{
	return v->count ? series_view_at(v, v->count - 1) : NULL;
}
