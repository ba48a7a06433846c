/* series.c — append-only chunked history shared between the collector and snapshot readers without copies.
 * The writer only ever fills slots past the count any published view holds, so readers need no lock.
 * Storage is compact: each chunk holds its first time and memory limit; each point 8 bytes (see series.h)
 * while its chunk fills. A full chunk is sealed: copied into a chunk that packs each of the four 16-bit
 * columns as distances above a straight line (level, or from the column's first value to its last), in as
 * many bits a point as the largest distance needs, with one code more for "unknown" when the column has one.
 * A column every point shares takes no bits (an idle container's CPU, regular tick times); one that moves
 * within a narrow band takes a few. Every point still reads in constant time, exactly as it was appended.
 * Readers holding the open copy keep it until they release it; it is never written again. */
#include "series.h"

#include <math.h>
#include <stddef.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* 16-bit unsigned minifloat: exponent 0 holds 0..2047 exactly; exponent e >= 1 holds (2048 + m) << (e - 1),
 * twelve significant bits. 0xFFFF is "unknown". */
#define MF_NONE 0xFFFFu
#define MF_MAX_EXP 30

static uint16_t mf_encode(double v)
{
	if (isnan(v) || v < 0)
		return v < 0 ? 0 : MF_NONE;
	double u = floor(v + 0.5);
	if (u < 2048)
		return (uint16_t)u;
	int e = 1;
	while (e <= MF_MAX_EXP && u >= 4096.0 * (double)(1ull << (e - 1)))
		e++;
	if (e > MF_MAX_EXP)
		return (uint16_t)((MF_MAX_EXP << 11) | 2047); /* saturate */
	uint64_t m = (uint64_t)floor(u / (double)(1ull << (e - 1)) + 0.5);
	if (m >= 4096) { /* rounding carried into the next exponent */
		m >>= 1;
		e++;
		if (e > MF_MAX_EXP)
			return (uint16_t)((MF_MAX_EXP << 11) | 2047);
	}
	return (uint16_t)((e << 11) | (m - 2048));
}

static double mf_decode(uint16_t c)
{
	if (c == MF_NONE)
		return NAN;
	unsigned e = c >> 11, m = c & 2047u;
	return e == 0 ? (double)m : (double)(2048u + m) * (double)(1ull << (e - 1));
}

#define TIME_BITS 14
#define TIME_MAX ((1u << TIME_BITS) - 1)

/* The four 16-bit columns of a point. */
enum {
	COL_TIME,  /* time offset from the chunk's base in unit_ms << 2 | enum point_status */
	COL_CPU,   /* minifloat, 0.01 % */
	COL_MEM,   /* minifloat, KiB used */
	COL_RESP,  /* minifloat, ms */
	NCOLS
};

struct series_chunk {
	atomic_int refs;
	uint16_t used;    /* written by the collector only; readers use their view's count instead */
	bool sealed;      /* immutable, columns packed as below; otherwise open: d holds rows of NCOLS */
	uint8_t bits[NCOLS];   /* sealed: bits a point of each column (0: every value on the line) */
	uint8_t none_mask;     /* sealed: columns whose top code (all bits set) stands for MF_NONE */
	int32_t line0[NCOLS];  /* sealed: each column's line at its first point ... */
	int32_t line1[NCOLS];  /* ... and at its last; a value is the line there plus its packed bits */
	int64_t base_ms, unit_ms;
	bool pct_known;     /* the points have a memory percentage: used / mem_limit_mb (0 when none used yet) */
	float mem_limit_mb;
	union {
		uint16_t d[1];    /* open: SERIES_CHUNK_POINTS rows of NCOLS */
		uint8_t bytes[1]; /* sealed: each column's bits in turn, little-endian bit order, each from a byte */
	} u;
};

#define CHUNK_HEAD_BYTES offsetof(struct series_chunk, u)
#define OPEN_CHUNK_BYTES (CHUNK_HEAD_BYTES + SERIES_CHUNK_POINTS * NCOLS * sizeof(uint16_t))
#define PACK_PAD 2 /* a read takes 3 bytes from where a value starts */

size_t series_chunk_bytes(void) { return OPEN_CHUNK_BYTES; }

static size_t column_bytes(unsigned bits, size_t used) { return (bits * used + 7) / 8; }

static size_t packed_bytes(const uint8_t bits[NCOLS], size_t used)
{
	size_t n = 0;
	for (int col = 0; col < NCOLS; col++)
		n += column_bytes(bits[col], used);
	return n;
}

static size_t chunk_bytes(const struct series_chunk *c)
{
	return c->sealed ? CHUNK_HEAD_BYTES + packed_bytes(c->bits, c->used) + PACK_PAD : OPEN_CHUNK_BYTES;
}

size_t series_heap_bytes(const struct series *s)
{
	size_t n = s->max_chunks * sizeof *s->ring;
	for (size_t i = 0; i < s->nchunks; i++)
		n += chunk_bytes(s->ring[(s->head + i) % s->max_chunks]);
	return n;
}

/* The line from a to b at point k of n: the same integer arithmetic sealing and reading. */
static int32_t line_at(int32_t a, int32_t b, size_t k, size_t n)
{
	return n < 2 ? a : a + (int32_t)(((int64_t)b - a) * (int64_t)k / (int64_t)(n - 1));
}

static uint32_t get_bits(const uint8_t *p, size_t at, unsigned bits)
{
	const uint8_t *q = p + at / 8;
	uint32_t w = (uint32_t)q[0] | (uint32_t)q[1] << 8 | (uint32_t)q[2] << 16;
	return (w >> (at % 8)) & ((1u << bits) - 1);
}

static void put_bits(uint8_t *p, size_t at, unsigned bits, uint32_t v)
{
	for (unsigned i = 0; i < bits; i++, at++)
		if (v >> i & 1u)
			p[at / 8] = (uint8_t)(p[at / 8] | 1u << (at % 8));
}

static uint16_t cell(const struct series_chunk *c, size_t k, int col)
{
	if (!c->sealed)
		return c->u.d[k * NCOLS + (size_t)col];
	size_t at = 0;
	for (int i = 0; i < col; i++)
		at += 8 * column_bytes(c->bits[i], c->used);
	unsigned bits = c->bits[col];
	uint32_t u = bits ? get_bits(c->u.bytes, at + k * bits, bits) : 0;
	if (c->none_mask >> col & 1u && u == (1u << bits) - 1)
		return MF_NONE;
	return (uint16_t)(line_at(c->line0[col], c->line1[col], k, c->used) + (int32_t)u);
}

/* How to pack one column of a full chunk: every known value as its distance above a line, in as few bits as
 * hold the largest distance (and one code more for MF_NONE when some value is unknown). */
struct packing {
	int32_t line0, line1;
	uint8_t bits;
	bool none;
};

static uint8_t bits_for(uint32_t v)
{
	uint8_t b = 0;
	while (b < 32 && v >> b)
		b++;
	return b;
}

/* The packing of column col of open chunk c on the line from a to b, lowered to its smallest distance. */
static struct packing pack_on(const struct series_chunk *c, int col, int32_t a, int32_t b)
{
	size_t n = c->used;
	int32_t lo = 0, hi = 0;
	bool any = false, none = false;
	for (size_t k = 0; k < n; k++) {
		uint16_t v = c->u.d[k * NCOLS + (size_t)col];
		if (v == MF_NONE) {
			none = true;
			continue;
		}
		int32_t r = (int32_t)v - line_at(a, b, k, n);
		lo = any && lo < r ? lo : r;
		hi = any && hi > r ? hi : r;
		any = true;
	}
	struct packing p = {.line0 = a + lo, .line1 = b + lo, .none = none};
	p.bits = any ? bits_for((uint32_t)(hi - lo) + (none ? 1u : 0u)) : 0; /* nothing known: 0 bits, all MF_NONE */
	return p;
}

/* The cheaper of a level line and the line from the column's first value to its last. */
static struct packing column_packing(const struct series_chunk *c, int col)
{
	struct packing level = pack_on(c, col, 0, 0);
	size_t n = c->used;
	uint16_t first = c->u.d[col], last = c->u.d[(n - 1) * NCOLS + (size_t)col];
	if (n < 2 || first == MF_NONE || last == MF_NONE)
		return level;
	struct packing slope = pack_on(c, col, first, last);
	return slope.bits < level.bits ? slope : level;
}

static void chunk_unref(struct series_chunk *c)
{
	if (c && atomic_fetch_sub_explicit(&c->refs, 1, memory_order_acq_rel) == 1)
		free(c);
}

int series_init(struct series *s, size_t capacity, int64_t step_ms)
{
	memset(s, 0, sizeof *s);
	/* A unit that divides the step keeps regular ticks exact; 64 units a step leave room for 256 steps in a
	 * chunk's 14-bit offsets, twice its points. */
	int64_t unit = step_ms / 64 > 1 ? step_ms / 64 : 1;
	for (int64_t d = unit; d >= unit / 2 && d > 1; d--)
		if (step_ms % d == 0) {
			unit = d;
			break;
		}
	s->unit_ms = unit;
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

/* The memory limit a point implies (used / pct), 0 when it implies none. */
static float implied_limit_mb(const struct point *p)
{
	if (isnan(p->mem_pct) || isnan(p->mem_used_mb) || p->mem_pct <= 0 || p->mem_used_mb <= 0)
		return 0;
	return p->mem_used_mb * 100.0f / p->mem_pct;
}

/* Whether p can go into chunk c: room, a time offset that fits, and memory percentages that come back from
 * the chunk's limit (a chunk holds points either all with or all without a known percentage). */
static bool fits(const struct series_chunk *c, const struct point *p, float limit)
{
	if (c->used == SERIES_CHUNK_POINTS || p->wall_ms < c->base_ms)
		return false;
	if ((p->wall_ms - c->base_ms + c->unit_ms / 2) / c->unit_ms > TIME_MAX)
		return false;
	bool pct_known = !isnan(p->mem_pct);
	if (pct_known != c->pct_known)
		return false;
	if (pct_known && limit > 0 && fabsf(limit - c->mem_limit_mb) > c->mem_limit_mb * 1e-4f)
		return false;
	return true;
}

/* Replaces the open newest chunk by its packed copy; when out of memory it simply stays open. */
static void seal_newest(struct series *s)
{
	size_t slot = (s->head + s->nchunks - 1) % s->max_chunks;
	struct series_chunk *c = s->ring[slot];
	size_t n = c->used;
	struct packing pk[NCOLS];
	uint8_t bits[NCOLS];
	for (int col = 0; col < NCOLS; col++) {
		pk[col] = column_packing(c, col);
		bits[col] = pk[col].bits;
	}
	size_t data = packed_bytes(bits, n);
	struct series_chunk *z = malloc(CHUNK_HEAD_BYTES + data + PACK_PAD);
	if (!z)
		return;
	atomic_init(&z->refs, 1);
	z->used = c->used;
	z->sealed = true;
	z->base_ms = c->base_ms;
	z->unit_ms = c->unit_ms;
	z->pct_known = c->pct_known;
	z->mem_limit_mb = c->mem_limit_mb;
	z->none_mask = 0;
	memset(z->u.bytes, 0, data + PACK_PAD);
	size_t at = 0;
	for (int col = 0; col < NCOLS; col++) {
		const struct packing *p = &pk[col];
		z->bits[col] = p->bits;
		z->line0[col] = p->line0;
		z->line1[col] = p->line1;
		if (p->none)
			z->none_mask = (uint8_t)(z->none_mask | 1u << col);
		for (size_t k = 0; k < n && p->bits; k++) {
			uint16_t v = c->u.d[k * NCOLS + (size_t)col];
			uint32_t u = v == MF_NONE ? (1u << p->bits) - 1 : (uint32_t)((int32_t)v - line_at(p->line0, p->line1, k, n));
			put_bits(z->u.bytes, at + k * p->bits, p->bits, u);
		}
		at += 8 * column_bytes(p->bits, n);
	}
	s->ring[slot] = z;
	chunk_unref(c);
}

int series_append(struct series *s, const struct point *p)
{
	struct series_chunk *c = newest(s);
	float limit = implied_limit_mb(p);
	if (!c || !fits(c, p, limit)) {
		if (c && !c->sealed)
			seal_newest(s);
		c = malloc(OPEN_CHUNK_BYTES);
		if (!c)
			return -1;
		atomic_init(&c->refs, 1);
		c->used = 0;
		c->sealed = false;
		c->base_ms = p->wall_ms;
		c->unit_ms = s->unit_ms;
		c->pct_known = !isnan(p->mem_pct);
		c->mem_limit_mb = c->pct_known ? limit : 0;
		if (s->nchunks == s->max_chunks) {
			chunk_unref(s->ring[s->head]);
			s->head = (s->head + 1) % s->max_chunks;
			s->nchunks--;
		}
		s->ring[(s->head + s->nchunks) % s->max_chunks] = c;
		s->nchunks++;
	}
	uint32_t off = (uint32_t)((p->wall_ms - c->base_ms + c->unit_ms / 2) / c->unit_ms);
	uint16_t *q = &c->u.d[(size_t)c->used * NCOLS];
	q[COL_TIME] = (uint16_t)(off << 2 | (p->status & 3u));
	q[COL_CPU] = mf_encode(isnan(p->cpu_pct) ? NAN : (double)p->cpu_pct * 100.0);
	q[COL_MEM] = mf_encode(isnan(p->mem_used_mb) ? NAN : (double)p->mem_used_mb * 1024.0);
	q[COL_RESP] = p->response_ms < 0 ? MF_NONE : mf_encode((double)p->response_ms);
	c->used++;
	return 0;
}

int series_view_take(const struct series *s, size_t max_points, struct series_view *v)
{
	memset(v, 0, sizeof *v);
	if (!s->nchunks)
		return 0;
	/* Chunks may be cut short (a time gap, a new limit): count each one's points. */
	size_t total = 0;
	for (size_t i = 0; i < s->nchunks; i++)
		total += s->ring[(s->head + i) % s->max_chunks]->used;
	size_t count = max_points && max_points < total ? max_points : total;
	size_t skip = total - count, first_chunk = 0;
	while (first_chunk + 1 < s->nchunks && skip >= s->ring[(s->head + first_chunk) % s->max_chunks]->used) {
		skip -= s->ring[(s->head + first_chunk) % s->max_chunks]->used;
		first_chunk++;
	}
	size_t n = s->nchunks - first_chunk;
	v->chunks = malloc(n * sizeof *v->chunks);
	v->ends = malloc(n * sizeof *v->ends);
	if (!v->chunks || !v->ends) {
		free(v->chunks);
		free(v->ends);
		memset(v, 0, sizeof *v);
		return -1;
	}
	size_t end = 0;
	for (size_t i = 0; i < n; i++) {
		struct series_chunk *c = s->ring[(s->head + first_chunk + i) % s->max_chunks];
		atomic_fetch_add_explicit(&c->refs, 1, memory_order_relaxed);
		v->chunks[i] = c;
		end += c->used - (i == 0 ? skip : 0);
		v->ends[i] = end;
	}
	v->nchunks = n;
	v->first = skip;
	v->count = count;
	return 0;
}

void series_view_release(struct series_view *v)
{
	for (size_t i = 0; i < v->nchunks; i++)
		chunk_unref(v->chunks[i]);
	free(v->chunks);
	free(v->ends);
	memset(v, 0, sizeof *v);
}

struct point series_view_get(const struct series_view *v, size_t i)
{
	/* The chunk holding visible point i: the first whose end is past i. */
	size_t lo = 0, hi = v->nchunks - 1;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (v->ends[mid] > i)
			hi = mid;
		else
			lo = mid + 1;
	}
	const struct series_chunk *c = v->chunks[lo];
	size_t k = i - (lo ? v->ends[lo - 1] : 0) + (lo == 0 ? v->first : 0);
	uint16_t ts = cell(c, k, COL_TIME);
	struct point p;
	p.wall_ms = c->base_ms + (int64_t)(ts >> 2) * c->unit_ms;
	p.status = (uint8_t)(ts & 3u);
	p.cpu_pct = (float)(mf_decode(cell(c, k, COL_CPU)) / 100.0);
	double kib = mf_decode(cell(c, k, COL_MEM));
	p.mem_used_mb = (float)(kib / 1024.0);
	if (!c->pct_known || isnan(kib))
		p.mem_pct = NAN;
	else
		p.mem_pct = c->mem_limit_mb > 0 ? (float)(kib / 1024.0 / c->mem_limit_mb * 100.0) : 0.0f;
	double r = mf_decode(cell(c, k, COL_RESP));
	p.response_ms = isnan(r) ? -1 : (int32_t)r;
	return p;
}

bool series_view_last(const struct series_view *v, struct point *out)
{
	if (!v->count)
		return false;
	*out = series_view_get(v, v->count - 1);
	return true;
}

static int status_rank(uint8_t s) { return s == PT_DOWN ? 3 : s == PT_UNHEALTHY ? 2 : s == PT_UP ? 1 : 0; }

int series_acc_add(struct series_acc *a, struct series *out, const struct point *p, int64_t period_ms)
{
	/* Floor division, so that times before 1970 (a test's) fall in the right period too. */
	int64_t period = p->wall_ms / period_ms - (p->wall_ms % period_ms < 0);
	int rc = 0;
	if (a->started && period != a->period) {
		struct point m = {
			.wall_ms = a->period * period_ms,
			.cpu_pct = a->ncpu ? (float)(a->cpu / a->ncpu) : NAN,
			.mem_used_mb = a->nmem ? (float)(a->mem_mb / a->nmem) : NAN,
			.mem_pct = a->npct ? (float)(a->mem_pct / a->npct) : NAN,
			.response_ms = a->nresp ? (int32_t)(a->resp / a->nresp + 0.5) : -1,
			.status = a->worst,
		};
		rc = series_append(out, &m);
	}
	if (!a->started || period != a->period) {
		memset(a, 0, sizeof *a);
		a->period = period;
		a->started = true;
	}
	if (!isnan(p->cpu_pct)) {
		a->cpu += p->cpu_pct;
		a->ncpu++;
	}
	if (!isnan(p->mem_used_mb)) {
		a->mem_mb += p->mem_used_mb;
		a->nmem++;
	}
	if (!isnan(p->mem_pct)) {
		a->mem_pct += p->mem_pct;
		a->npct++;
	}
	if (p->response_ms >= 0) {
		a->resp += p->response_ms;
		a->nresp++;
	}
	if (status_rank(p->status) > status_rank(a->worst))
		a->worst = p->status;
	return rc;
}
