/* report.c — `lookout report`: streams metrics.csv twice (first the sampling interval of each container,
 * then availability, downtime intervals, statistics and chart buckets) and the alert log once, then prints a
 * text summary and writes the HTML report. It never holds the CSV in memory and never contacts an engine. */
#include "autoconfig.h"
#include "report.h"
#include "reportpg.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "alertlog.h"
#include "html.h"
#include "series.h"

#define NBUCKETS 300 /* chart resolution of the HTML report */
#define MAX_RECORD (1 << 20) /* a CSV record longer than this is broken, not data */

/* ---- growable arrays: floats (the values percentiles need) and u32 (gaps between records) ---------- */
struct fvec {
	float *v;
	size_t n, cap;
};

struct u32vec {
	uint32_t *v;
	size_t n, cap;
};

/* The array v of *cap elements of size elem, doubled (256 at first): the new pointer with *cap updated, or
 * NULL (ENOMEM; v and *cap untouched). */
static void *grow(void *v, size_t *cap, size_t elem)
{
	size_t nc = *cap ? *cap * 2 : 256;
	void *nv = realloc(v, nc * elem);
	if (nv)
		*cap = nc;
	return nv;
}

static int fvec_push(struct fvec *f, float x)
{
	if (f->n == f->cap) {
		float *nv = grow(f->v, &f->cap, sizeof *nv);
		if (!nv)
			return -1;
		f->v = nv;
	}
	f->v[f->n++] = x;
	return 0;
}

static int u32_push(struct u32vec *f, uint32_t x)
{
	if (f->n == f->cap) {
		uint32_t *nv = grow(f->v, &f->cap, sizeof *nv);
		if (!nv)
			return -1;
		f->v = nv;
	}
	f->v[f->n++] = x;
	return 0;
}

/* ---- per-container accumulators ------------------------------------------------------------------ */
struct bucket {
	double cpu_sum, mem_sum, resp_sum;
	unsigned cpu_n, mem_n, resp_n;
};

struct report_acc {
	/* pass 1 */
	struct u32vec gaps;      /* ms between consecutive records, capped at UINT32_MAX */
	int64_t p1_prev_ms;
	bool p1_have_prev;
	/* pass 2 */
	bool have_prev;
	int64_t prev_ms;
	uint8_t prev_status;     /* PT_UP, PT_UNHEALTHY, PT_DOWN */
	bool in_outage;
	int64_t outage_from;
	bool outage_down;        /* a record of it was not running */
	size_t cap_periods;
	struct fvec cpu, mem, resp;
	double cpu_sum, mem_sum, resp_sum;
	struct bucket b[NBUCKETS];
	int64_t b0_ms, bw_ms;    /* bucket i covers [b0 + i*bw, b0 + (i+1)*bw) */
	size_t out_of_order;
};

struct report {
	struct report_opts o;
	struct report_container **c;
	size_t n, cap;
	int64_t first_ms, last_ms; /* over every container */
	size_t rows, skipped;
	char csv_path[4096], alerts_path[4096];
	char source[1024]; /* what the report says it read, when not csv_path (report_set_source) */
	bool host_prefixed; /* names are HOST/NAME (report_set_host_prefixed) */
	size_t alert_lines;
};

struct report *report_new(const struct report_opts *o)
{
	struct report *r = calloc(1, sizeof *r);
	if (!r)
		return NULL;
	r->o = *o;
	r->first_ms = INT64_MAX;
	r->last_ms = INT64_MIN;
	return r;
}

static void container_free(struct report_container *c)
{
	if (!c)
		return;
	free(c->name);
	free(c->image);
	free(c->id);
	free(c->periods);
	if (c->acc) {
		free(c->acc->gaps.v);
		free(c->acc->cpu.v);
		free(c->acc->mem.v);
		free(c->acc->resp.v);
		free(c->acc);
	}
	free(c);
}

void report_free(struct report *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++)
		container_free(r->c[i]);
	free(r->c);
	free(r);
}

size_t report_count(const struct report *r) { return r->n; }
const struct report_container *report_get(const struct report *r, size_t i) { return i < r->n ? r->c[i] : NULL; }

static bool selected(const struct report *r, const char *name, const char *id)
{
	if (r->o.nnames == 0)
		return true;
	/* From PostgreSQL, names are HOST/NAME: a bare container name matches it on every host. */
	const char *bare = r->host_prefixed && strchr(name, '/') ? strchr(name, '/') + 1 : name;
	for (size_t i = 0; i < r->o.nnames; i++) {
		const char *w = r->o.names[i];
		if (strcmp(w, name) == 0 || strcmp(w, bare) == 0)
			return true;
		size_t n = strlen(w);
		if (id && n >= 4 && strncmp(id, w, n) == 0)
			return true;
	}
	return false;
}

/* The container of this name (binary search: r->c is kept sorted by name), created when new and create is set;
 * NULL when absent or on ENOMEM. */
static struct report_container *lookup(struct report *r, const char *name, bool create)
{
	size_t lo = 0, hi = r->n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int cmp = strcmp(r->c[mid]->name, name);
		if (cmp == 0)
			return r->c[mid];
		if (cmp < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!create)
		return NULL;
	if (r->n == r->cap) {
		size_t nc = r->cap ? r->cap * 2 : 16;
		struct report_container **nv = realloc(r->c, nc * sizeof *nv);
		if (!nv)
			return NULL;
		r->c = nv;
		r->cap = nc;
	}
	struct report_container *c = calloc(1, sizeof *c);
	if (!c || !(c->name = strdup(name)) || !(c->acc = calloc(1, sizeof *c->acc))) {
		container_free(c);
		return NULL;
	}
	c->first_ms = INT64_MAX;
	c->last_ms = INT64_MIN;
	c->availability_pct = NAN;
	c->mem_used_max_bytes = NAN;
	memmove(r->c + lo + 1, r->c + lo, (r->n - lo) * sizeof *r->c);
	r->c[lo] = c;
	r->n++;
	return c;
}

/* ---- time ------------------------------------------------------------------------------------------ */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	const int64_t era = (y >= 0 ? y : y - 399) / 400;
	const unsigned yoe = (unsigned)(y - era * 400);
	const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static int digits(const char **p, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*p)[i]))
			return -1;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return 0;
}

/* ISO 8601: YYYY-MM-DD[(T| )HH:MM[:SS[.frac]]][Z|(+|-)HH[:]MM]. */
static int parse_iso(const char *s, int64_t *out)
{
	const char *p = s;
	int y, mo, d, h = 0, mi = 0, sec = 0;
	int64_t frac_ms = 0;
	if (digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo) || *p++ != '-' || digits(&p, 2, &d))
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > 31)
		return -1;
	if (*p == 'T' || *p == 't' || *p == ' ') {
		p++;
		if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &mi))
			return -1;
		if (*p == ':') {
			p++;
			if (digits(&p, 2, &sec))
				return -1;
			if (*p == '.' || *p == ',') {
				p++;
				int64_t scale = 100;
				if (!isdigit((unsigned char)*p))
					return -1;
				for (; isdigit((unsigned char)*p); p++) {
					frac_ms += (*p - '0') * scale;
					scale /= 10;
				}
			}
		}
		if (h > 24 || mi > 59 || sec > 60)
			return -1;
	}
	int64_t off_min = 0;
	if (*p == 'Z' || *p == 'z')
		p++;
	else if (*p == '+' || *p == '-') {
		int sign = *p++ == '-' ? -1 : 1, oh, om = 0;
		if (digits(&p, 2, &oh))
			return -1;
		if (*p == ':')
			p++;
		if (*p && digits(&p, 2, &om))
			return -1;
		off_min = sign * (oh * 60 + om);
	}
	if (*p)
		return -1;
	int64_t days = days_from_civil(y, (unsigned)mo, (unsigned)d);
	*out = ((days * 86400 + h * 3600 + mi * 60 + sec) - off_min * 60) * 1000 + frac_ms;
	return 0;
}

int report_parse_time(const char *s, int64_t now_ms, int64_t *out_ms)
{
	while (*s == ' ')
		s++;
	if (strcasecmp(s, "now") == 0) {
		*out_ms = now_ms;
		return 0;
	}
	if (isdigit((unsigned char)s[0]) && strlen(s) >= 10 && s[4] == '-')
		return parse_iso(s, out_ms);
	/* A length ago: [-]N unit [N unit]... */
	const char *p = s;
	if (*p == '-')
		p++;
	if (!*p)
		return -1;
	double total = 0;
	while (*p) {
		char *end;
		double v = strtod(p, &end);
		if (end == p || v < 0 || !isfinite(v))
			return -1;
		double unit;
		switch (*end) {
		case 's': unit = 1; break;
		case 'm': unit = 60; break;
		case 'h': unit = 3600; break;
		case 'd': unit = 86400; break;
		case 'w': unit = 7 * 86400; break;
		default: return -1;
		}
		total += v * unit;
		p = end + 1;
	}
	if (total > 1e11)
		return -1;
	*out_ms = now_ms - (int64_t)llround(total * 1000);
	return 0;
}

/* "2026-11-24T05:36:56.533Z" as the CSV writes it, or any ISO 8601 form. */
static int parse_ts(const char *s, int64_t *out)
{
	return parse_iso(s, out);
}

/* ---- CSV reading ----------------------------------------------------------------------------------- */
struct csv_reader {
	FILE *f;
	char *line;
	size_t linecap;
	struct buf rec;
	char **fields;
	size_t nfields, capfields;
	bool torn; /* the file ended in the middle of a record (being written): ignored */
};

/* The next record, split into fields (unquoted in place). 1, 0 at the end, -1 on error (errno). */
static int csv_next(struct csv_reader *r)
{
	buf_reset(&r->rec);
	bool inq = false;
	for (;;) {
		ssize_t n = getline(&r->line, &r->linecap, r->f);
		if (n < 0) {
			if (ferror(r->f))
				return -1;
			if (r->rec.len)
				r->torn = true;
			return 0;
		}
		for (ssize_t i = 0; i < n; i++)
			if (r->line[i] == '"')
				inq = !inq;
		if (buf_append(&r->rec, r->line, (size_t)n))
			return -1;
		if (r->rec.len > MAX_RECORD) {
			errno = EFBIG;
			return -1;
		}
		if (!inq) {
			if (r->line[n - 1] != '\n') {
				r->torn = true; /* no newline at the end of the file: a row still being written */
				return 0;
			}
			break;
		}
	}
	/* Split: strip the record's line end, then walk fields, undoubling quotes in place. */
	char *s = r->rec.data;
	size_t len = r->rec.len;
	while (len && (s[len - 1] == '\n' || s[len - 1] == '\r'))
		s[--len] = '\0';
	r->nfields = 0;
	char *p = s, *end = s + len;
	for (;;) {
		if (r->nfields == r->capfields) {
			size_t nc = r->capfields ? r->capfields * 2 : 32;
			char **nv = realloc(r->fields, nc * sizeof *nv);
			if (!nv)
				return -1;
			r->fields = nv;
			r->capfields = nc;
		}
		char *w = p, *start = p;
		if (p < end && *p == '"') {
			p++;
			while (p < end) {
				if (*p == '"') {
					if (p + 1 < end && p[1] == '"') {
						*w++ = '"';
						p += 2;
						continue;
					}
					p++;
					break;
				}
				*w++ = *p++;
			}
			while (p < end && *p != ',')
				p++; /* junk after a closing quote: dropped */
		} else {
			while (p < end && *p != ',')
				p++;
			w = p;
		}
		r->fields[r->nfields++] = start;
		if (p >= end) {
			*w = '\0';
			break;
		}
		*w = '\0';
		p++; /* past the comma */
	}
	return 1;
}

enum col { C_TS, C_ID, C_NAME, C_IMAGE, C_STATE, C_UP, C_CPU, C_MEM_USED, C_MEM_PCT, C_RESP, C_NCOLS };
static const char *const col_names[C_NCOLS] = {"timestamp", "container_id", "name", "image", "state", "up",
                                               "cpu_pct", "mem_used_bytes", "mem_pct", "response_ms"};

struct row {
	int64_t t;
	const char *id, *name, *image;
	uint8_t status;
	double cpu, mem_pct, mem_used, resp;
};

/* A CSV number. lookout writes plain decimals ("12.34"): those with at most 15 significant digits are
 * parsed here exactly (an integer divided by an exact power of ten is one correctly rounded operation);
 * anything else goes to strtod. strtod was a quarter of the time on a million-row history. */
static double fnum(const char *s)
{
	static const double pow10[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13,
	                               1e14, 1e15};
	if (!s || !*s)
		return NAN;
	const char *p = s;
	bool neg = *p == '-';
	if (neg)
		p++;
	uint64_t m = 0;
	int digits = 0, frac = 0;
	bool dot = false, any = false;
	for (; *p; p++) {
		if (*p >= '0' && *p <= '9') {
			if (m || *p != '0')
				digits++;
			m = m * 10 + (uint64_t)(*p - '0');
			frac += dot;
			any = true;
			if (digits > 15)
				break;
		} else if (*p == '.' && !dot) {
			dot = true;
		} else {
			break;
		}
	}
	if (!*p && any && digits <= 15 && frac < (int)ARRAY_LEN(pow10)) {
		double v = (double)m / pow10[frac];
		return neg ? -v : v;
	}
	char *end;
	double v = strtod(s, &end);
	return *end ? NAN : v;
}

/* 1 for a usable row, 0 for one to skip. */
static int row_of(struct csv_reader *cr, const int *col, struct row *out)
{
	size_t need = 0;
	for (int i = 0; i < C_NCOLS; i++)
		if (col[i] >= 0 && (size_t)col[i] + 1 > need)
			need = (size_t)col[i] + 1;
	if (cr->nfields < need)
		return 0;
	const char *ts = cr->fields[col[C_TS]];
	if (parse_ts(ts, &out->t))
		return 0;
	out->name = cr->fields[col[C_NAME]];
	out->id = col[C_ID] >= 0 ? cr->fields[col[C_ID]] : "";
	out->image = col[C_IMAGE] >= 0 ? cr->fields[col[C_IMAGE]] : "";
	const char *up = cr->fields[col[C_UP]];
	const char *state = col[C_STATE] >= 0 ? cr->fields[col[C_STATE]] : "";
	if (strcmp(up, "1") == 0)
		out->status = PT_UP;
	else if (strcmp(up, "0") == 0)
		out->status = strcmp(state, "running") == 0 ? PT_UNHEALTHY : PT_DOWN;
	else
		return 0;
	out->cpu = col[C_CPU] >= 0 ? fnum(cr->fields[col[C_CPU]]) : NAN;
	out->mem_pct = col[C_MEM_PCT] >= 0 ? fnum(cr->fields[col[C_MEM_PCT]]) : NAN;
	out->mem_used = col[C_MEM_USED] >= 0 ? fnum(cr->fields[col[C_MEM_USED]]) : NAN;
	out->resp = col[C_RESP] >= 0 ? fnum(cr->fields[col[C_RESP]]) : NAN;
	return 1;
}

static int open_csv(struct csv_reader *cr, const char *path, int *col, char *err, size_t errlen)
{
	memset(cr, 0, sizeof *cr);
	buf_init(&cr->rec);
	cr->f = fopen(path, "re");
	if (!cr->f) {
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	int rc = csv_next(cr);
	if (rc <= 0) {
		snprintf(err, errlen, "%s: %s", path, rc < 0 ? strerror(errno) : "empty (no header row)");
		return -1;
	}
	for (int i = 0; i < C_NCOLS; i++) {
		col[i] = -1;
		for (size_t k = 0; k < cr->nfields; k++)
			if (strcmp(cr->fields[k], col_names[i]) == 0)
				col[i] = (int)k;
	}
	if (col[C_TS] < 0 || col[C_NAME] < 0 || col[C_UP] < 0) {
		snprintf(err, errlen, "%s: not a lookout metrics.csv (the header has no timestamp, name or up column)", path);
		return -1;
	}
	return 0;
}

static void close_csv(struct csv_reader *cr)
{
	if (cr->f)
		fclose(cr->f);
	free(cr->line);
	free(cr->fields);
	buf_free(&cr->rec);
}

/* The k-th smallest (0-based) of v[0..n), by quickselect: v is reordered so that v[k] holds it, everything
 * before is not larger and everything after not smaller. Linear on average, where a sort is n log n; the
 * values hold no NaN. (Median of three pivots; the tail loop keeps the stack flat.) */
#define DEFINE_SELECT(name, type)                                                                              \
	static type name(type *v, size_t n, size_t k)                                                          \
	{                                                                                                      \
		size_t lo = 0, hi = n - 1;                                                                         \
		while (hi > lo) {                                                                                  \
			size_t mid = lo + (hi - lo) / 2;                                                               \
			type a = v[lo], b = v[mid], c = v[hi];                                                         \
			type pivot = a < b ? (b < c ? b : a < c ? c : a) : (a < c ? a : b < c ? c : b);                \
			size_t i = lo, j = hi;                                                                         \
			while (i <= j) {                                                                               \
				while (v[i] < pivot)                                                                       \
					i++;                                                                                   \
				while (v[j] > pivot)                                                                       \
					j--;                                                                                   \
				if (i <= j) {                                                                              \
					type t = v[i];                                                                         \
					v[i] = v[j];                                                                           \
					v[j] = t;                                                                              \
					i++;                                                                                   \
					if (j == 0)                                                                            \
						break;                                                                             \
					j--;                                                                                   \
				}                                                                                          \
			}                                                                                              \
			if (k <= j)                                                                                    \
				hi = j;                                                                                    \
			else if (k >= i)                                                                               \
				lo = i;                                                                                    \
			else                                                                                           \
				break;                                                                                     \
		}                                                                                                  \
		return v[k];                                                                                       \
	}
DEFINE_SELECT(select_float, float)
DEFINE_SELECT(select_u32, uint32_t)

/* ---- pass 2: the state machine --------------------------------------------------------------------- */
static int add_period(struct report_container *c, int64_t from, int64_t to, enum period_kind k, enum period_end e)
{
	struct report_acc *a = c->acc;
	if (c->nperiods == a->cap_periods) {
		size_t nc = a->cap_periods ? a->cap_periods * 2 : 8;
		struct report_period *nv = realloc(c->periods, nc * sizeof *nv);
		if (!nv)
			return -1;
		c->periods = nv;
		a->cap_periods = nc;
	}
	c->periods[c->nperiods++] = (struct report_period){from, to, k, e};
	return 0;
}

static int close_outage(struct report_container *c, int64_t to, enum period_end e)
{
	struct report_acc *a = c->acc;
	a->in_outage = false;
	return add_period(c, a->outage_from, to, a->outage_down ? PERIOD_DOWN : PERIOD_UNHEALTHY, e);
}

static void bucket_add(struct report_acc *a, const struct row *w)
{
	if (a->bw_ms == 0) {
		a->b0_ms = w->t;
		a->bw_ms = 1000;
	}
	if (w->t < a->b0_ms)
		return;
	/* Too far right: halve the resolution (merge pairs) until it fits. */
	while ((w->t - a->b0_ms) / a->bw_ms >= NBUCKETS) {
		for (size_t i = 0; i < NBUCKETS / 2; i++) {
			struct bucket *x = &a->b[2 * i], *y = &a->b[2 * i + 1], m;
			m.cpu_sum = x->cpu_sum + y->cpu_sum;
			m.mem_sum = x->mem_sum + y->mem_sum;
			m.resp_sum = x->resp_sum + y->resp_sum;
			m.cpu_n = x->cpu_n + y->cpu_n;
			m.mem_n = x->mem_n + y->mem_n;
			m.resp_n = x->resp_n + y->resp_n;
			a->b[i] = m;
		}
		memset(&a->b[NBUCKETS / 2], 0, sizeof a->b[0] * (NBUCKETS - NBUCKETS / 2));
		a->bw_ms *= 2;
	}
	struct bucket *b = &a->b[(w->t - a->b0_ms) / a->bw_ms];
	if (!isnan(w->cpu))
		b->cpu_sum += w->cpu, b->cpu_n++;
	if (!isnan(w->mem_pct))
		b->mem_sum += w->mem_pct, b->mem_n++;
	if (!isnan(w->resp))
		b->resp_sum += w->resp, b->resp_n++;
}

static int feed(struct report_container *c, const struct row *w)
{
	struct report_acc *a = c->acc;
	if (a->have_prev && w->t < a->prev_ms) {
		a->out_of_order++; /* a clock step back: the row cannot be placed, so it is left out */
		return 0;
	}
	if (a->have_prev) {
		int64_t gap = w->t - a->prev_ms;
		if (c->interval_ms > 0 && gap > 3 * c->interval_ms) {
			c->unknown_ms += gap;
			if (a->in_outage && close_outage(c, a->prev_ms, END_GAP))
				return -1;
			if (add_period(c, a->prev_ms, w->t, PERIOD_UNKNOWN, END_DATA))
				return -1;
		} else if (a->prev_status == PT_UP)
			c->up_ms += gap;
		else if (a->prev_status == PT_DOWN)
			c->down_ms += gap;
		else
			c->unhealthy_ms += gap;
	}
	if (w->status != PT_UP) {
		if (!a->in_outage) {
			a->in_outage = true;
			a->outage_from = w->t;
			a->outage_down = false;
		}
		a->outage_down |= w->status == PT_DOWN;
	} else if (a->in_outage && close_outage(c, w->t, END_UP))
		return -1;
	a->have_prev = true;
	a->prev_ms = w->t;
	a->prev_status = w->status;

	c->rows++;
	if (w->t < c->first_ms)
		c->first_ms = w->t;
	if (w->t > c->last_ms)
		c->last_ms = w->t;
	if (!isnan(w->cpu)) {
		if (fvec_push(&a->cpu, (float)w->cpu))
			return -1;
		a->cpu_sum += w->cpu;
	}
	if (!isnan(w->mem_pct)) {
		if (fvec_push(&a->mem, (float)w->mem_pct))
			return -1;
		a->mem_sum += w->mem_pct;
	}
	if (!isnan(w->mem_used) && (isnan(c->mem_used_max_bytes) || w->mem_used > c->mem_used_max_bytes))
		c->mem_used_max_bytes = w->mem_used;
	if (!isnan(w->resp)) {
		if (fvec_push(&a->resp, (float)w->resp))
			return -1;
		a->resp_sum += w->resp;
	}
	bucket_add(a, w);
	/* The newest row names the image and id. */
	if (!c->image || strcmp(c->image, w->image) != 0) {
		char *x = strdup(w->image);
		if (!x)
			return -1;
		free(c->image);
		c->image = x;
	}
	if (!c->id || strcmp(c->id, w->id) != 0) {
		char *x = strdup(w->id);
		if (!x)
			return -1;
		free(c->id);
		c->id = x;
	}
	return 0;
}

static void stats_of(struct fvec *f, double sum, struct report_stats *s)
{
	s->n = f->n;
	if (!f->n) {
		s->avg = s->p50 = s->p95 = s->p99 = s->max = NAN;
		return;
	}
	/* Nearest rank: ceil(p/100 * n), 1-based. Integer arithmetic, so 95 % of 20 values is exactly the 19th.
	 * Each selection leaves the smaller values in front, so the next one looks only there. */
	size_t n = f->n;
	size_t k99 = (99 * n + 99) / 100 - 1, k95 = (95 * n + 99) / 100 - 1, k50 = (50 * n + 99) / 100 - 1;
	float max = f->v[0];
	for (size_t i = 1; i < n; i++)
		max = f->v[i] > max ? f->v[i] : max;
	s->max = max;
	s->p99 = select_float(f->v, n, k99);
	s->p95 = select_float(f->v, k99 + 1, k95);
	s->p50 = select_float(f->v, k95 + 1, k50);
	s->avg = sum / (double)n;
}

int report_read_csv(struct report *r, const char *path, size_t *skipped, char *err, size_t errlen)
{
	snprintf(r->csv_path, sizeof r->csv_path, "%s", path);
	struct csv_reader cr;
	int col[C_NCOLS];
	size_t bad = 0;
	int rc = -1;
	/* Pass 1: the gaps between each container's records, for its median interval. */
	if (open_csv(&cr, path, col, err, errlen))
		goto out;
	int got;
	while ((got = csv_next(&cr)) > 0) {
		struct row w;
		if (!row_of(&cr, col, &w)) {
			bad++;
			continue;
		}
		if (w.t < r->o.since_ms || w.t >= r->o.until_ms || !selected(r, w.name, w.id))
			continue;
		struct report_container *c = lookup(r, w.name, true);
		if (!c)
			goto oom;
		struct report_acc *a = c->acc;
		if (a->p1_have_prev && w.t >= a->p1_prev_ms) {
			int64_t g = w.t - a->p1_prev_ms;
			if (u32_push(&a->gaps, g > UINT32_MAX ? UINT32_MAX : (uint32_t)g))
				goto oom;
		}
		if (!a->p1_have_prev || w.t >= a->p1_prev_ms) {
			a->p1_prev_ms = w.t;
			a->p1_have_prev = true;
		}
	}
	if (got < 0) {
		snprintf(err, errlen, "reading %s: %s", path, strerror(errno));
		goto out;
	}
	for (size_t i = 0; i < r->n; i++) {
		struct report_acc *a = r->c[i]->acc;
		if (a->gaps.n) {
			/* The lower median: an actual gap, so an even count never invents one. */
			r->c[i]->interval_ms = select_u32(a->gaps.v, a->gaps.n, (a->gaps.n - 1) / 2);
		}
		free(a->gaps.v);
		a->gaps = (struct u32vec){0};
	}
	close_csv(&cr);

	/* Pass 2: everything else. */
	if (open_csv(&cr, path, col, err, errlen))
		goto out;
	while ((got = csv_next(&cr)) > 0) {
		struct row w;
		if (!row_of(&cr, col, &w) || w.t < r->o.since_ms || w.t >= r->o.until_ms || !selected(r, w.name, w.id))
			continue;
		struct report_container *c = lookup(r, w.name, false);
		if (!c)
			continue; /* the file grew between the passes */
		if (feed(c, &w))
			goto oom;
		r->rows++;
		if (w.t < r->first_ms)
			r->first_ms = w.t;
		if (w.t > r->last_ms)
			r->last_ms = w.t;
	}
	if (got < 0) {
		snprintf(err, errlen, "reading %s: %s", path, strerror(errno));
		goto out;
	}
	for (size_t i = 0; i < r->n; i++) {
		struct report_container *c = r->c[i];
		struct report_acc *a = c->acc;
		if (a->in_outage && close_outage(c, a->prev_ms, END_DATA))
			goto oom;
		int64_t known = c->up_ms + c->down_ms + c->unhealthy_ms;
		c->availability_pct = known > 0 ? 100.0 * (double)c->up_ms / (double)known : NAN;
		stats_of(&a->cpu, a->cpu_sum, &c->cpu);
		stats_of(&a->mem, a->mem_sum, &c->mem);
		stats_of(&a->resp, a->resp_sum, &c->resp);
		/* The values are not needed any more; the buckets stay for the charts. */
		free(a->cpu.v);
		free(a->mem.v);
		free(a->resp.v);
		a->cpu = a->mem = a->resp = (struct fvec){0};
		bad += a->out_of_order;
	}
	rc = 0;
	goto out;
oom:
	snprintf(err, errlen, "out of memory reading %s", path);
out:
	close_csv(&cr);
	r->skipped = bad;
	if (skipped)
		*skipped = bad;
	return rc;
}

int report_count_alert(struct report *r, const char *name, const char *id, enum alert_kind kind, int64_t ts_ms)
{
	if (ts_ms < r->o.since_ms || ts_ms >= r->o.until_ms || !selected(r, name, id) || (int)kind < 0 ||
	    kind >= ALERT_KIND_COUNT)
		return 0;
	struct report_container *c = lookup(r, name, true);
	if (!c)
		return -1;
	c->alerts[kind]++;
	r->alert_lines++;
	return 0;
}

void report_set_host_prefixed(struct report *r) { r->host_prefixed = true; }
const struct report_opts *report_opts_of(const struct report *r) { return &r->o; }

void report_set_source(struct report *r, const char *what)
{
	snprintf(r->source, sizeof r->source, "%s", what);
}

int report_read_alerts(struct report *r, const char *path, char *err, size_t errlen)
{
	snprintf(r->alerts_path, sizeof r->alerts_path, "%s", path);
	FILE *f = fopen(path, "re");
	if (!f) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int rc = 0;
	while ((n = getline(&line, &cap, f)) > 0) {
		struct alert_transition t;
		char perr[256];
		if (line[n - 1] != '\n')
			break; /* being written */
		if (alertlog_parse(line, (size_t)n, &t, perr, sizeof perr))
			continue;
		if (!t.firing)
			continue;
		if (report_count_alert(r, t.container, t.container_id, t.kind, t.ts_ms)) {
			snprintf(err, errlen, "out of memory");
			rc = -1;
			break;
		}
	}
	if (ferror(f)) {
		snprintf(err, errlen, "reading %s: %s", path, strerror(errno));
		rc = -1;
	}
	free(line);
	fclose(f);
	return rc;
}

/* ---- output ---------------------------------------------------------------------------------------- */
static const char *kind_word(enum period_kind k)
{
	return k == PERIOD_DOWN ? "down" : k == PERIOD_UNHEALTHY ? "unhealthy" : "unknown";
}

static void fmt_secs(int64_t ms, char *out, size_t len)
{
	char h[32];
	html_fmt_duration(ms, h, sizeof h);
	snprintf(out, len, "%s (%.3f s)", h, (double)ms / 1000);
}

/* v with that many decimals and the suffix, or "-" for NaN. */
static void fmt_stat(char *out, size_t len, double v, int decimals, const char *suffix)
{
	if (isnan(v))
		snprintf(out, len, "-");
	else
		snprintf(out, len, "%.*f%s", decimals, v, suffix);
}

static const char *report_source(const struct report *r) { return r->source[0] ? r->source : r->csv_path; }

int report_write_text(const struct report *r, FILE *out)
{
	char a[32], b[32];
	struct buf line;
	buf_init(&line);
	if (r->rows) {
		fmt_iso8601_ms(r->first_ms, a, sizeof a);
		fmt_iso8601_ms(r->last_ms, b, sizeof b);
		fprintf(out, "lookout report: %s, %zu rows from %s to %s\n", report_source(r), r->rows, a, b);
	} else
		fprintf(out, "lookout report: %s: no rows in the window\n", report_source(r));
	if (r->skipped)
		fprintf(out, "(%zu rows could not be read or were out of time order, and were left out)\n", r->skipped);
	for (size_t i = 0; i < r->n; i++) {
		const struct report_container *c = r->c[i];
		buf_reset(&line);
		buf_term_safe(&line, c->name, 200);
		fprintf(out, "\n%s", line.data ? line.data : "");
		if (c->image && *c->image) {
			buf_reset(&line);
			buf_term_safe(&line, c->image, 200);
			fprintf(out, "  (%s)", line.data ? line.data : "");
		}
		fputc('\n', out);
		if (c->rows == 0) {
			fprintf(out, "  no rows in the window\n");
		} else {
			char up[64], dn[64], unh[64], unk[64], iv[32];
			fmt_iso8601_ms(c->first_ms, a, sizeof a);
			fmt_iso8601_ms(c->last_ms, b, sizeof b);
			html_fmt_duration(c->interval_ms, iv, sizeof iv);
			fprintf(out, "  records        %zu, %s to %s, every %s\n", c->rows, a, b, c->interval_ms ? iv : "-");
			fmt_secs(c->up_ms, up, sizeof up);
			fmt_secs(c->down_ms, dn, sizeof dn);
			fmt_secs(c->unhealthy_ms, unh, sizeof unh);
			fmt_secs(c->unknown_ms, unk, sizeof unk);
			if (isnan(c->availability_pct))
				fprintf(out, "  availability   - (no time known)\n");
			else
				fprintf(out, "  availability   %.3f %%\n", c->availability_pct);
			fprintf(out, "  time           up %s, down %s, unhealthy %s, unknown %s\n", up, dn, unh, unk);
			size_t nout = 0, nunk = 0;
			for (size_t k = 0; k < c->nperiods; k++)
				c->periods[k].kind == PERIOD_UNKNOWN ? nunk++ : nout++;
			fprintf(out, "  downtime       %zu interval%s\n", nout, nout == 1 ? "" : "s");
			for (size_t k = 0; k < c->nperiods; k++) {
				const struct report_period *p = &c->periods[k];
				char len[64];
				fmt_iso8601_ms(p->from_ms, a, sizeof a);
				fmt_iso8601_ms(p->to_ms, b, sizeof b);
				fmt_secs(p->to_ms - p->from_ms, len, sizeof len);
				const char *why = p->kind == PERIOD_UNKNOWN ? "no records"
				                  : p->end == END_UP        ? "up again"
				                  : p->end == END_GAP       ? "then no records"
				                                            : "still not up at the last record";
				fprintf(out, "    %-10s %s  %s  %s  %s\n", kind_word(p->kind), a, b, len, why);
			}
			char s1[32], s2[32], s3[32], s4[32];
			fmt_stat(s1, sizeof s1, c->cpu.avg, 2, "");
			fmt_stat(s2, sizeof s2, c->cpu.p95, 2, "");
			fmt_stat(s3, sizeof s3, c->cpu.max, 2, "");
			fprintf(out, "  cpu %%          avg %s  p95 %s  max %s  (%zu samples)\n", s1, s2, s3, c->cpu.n);
			fmt_stat(s1, sizeof s1, c->mem.avg, 2, "");
			fmt_stat(s2, sizeof s2, c->mem.p95, 2, "");
			fmt_stat(s3, sizeof s3, c->mem.max, 2, "");
			fmt_stat(s4, sizeof s4, c->mem_used_max_bytes / 1048576.0, 1, " MiB");
			fprintf(out, "  memory %%       avg %s  p95 %s  max %s  (max used %s)\n", s1, s2, s3, s4);
			fmt_stat(s1, sizeof s1, c->resp.p50, 0, "");
			fmt_stat(s2, sizeof s2, c->resp.p95, 0, "");
			fmt_stat(s3, sizeof s3, c->resp.p99, 0, "");
			fprintf(out, "  response ms    p50 %s  p95 %s  p99 %s  (%zu answers)\n", s1, s2, s3, c->resp.n);
		}
		unsigned total = 0;
		for (int k = 0; k < ALERT_KIND_COUNT; k++)
			total += c->alerts[k];
		fprintf(out, "  alerts         %s", total ? "" : "none");
		bool first = true;
		for (int k = 0; k < ALERT_KIND_COUNT; k++)
			if (c->alerts[k]) {
				fprintf(out, "%s%s %u", first ? "" : ", ", alert_kind_name((enum alert_kind)k), c->alerts[k]);
				first = false;
			}
		fputc('\n', out);
	}
	buf_free(&line);
	fflush(out);
	return ferror(out) ? -1 : 0;
}

static int html_container(struct buf *b, const struct report *r, const struct report_container *c)
{
	int rc = buf_puts(b, "<section class=\"card\" data-name=\"");
	rc |= html_escape(b, c->name, 0);
	rc |= buf_puts(b, "\"><h2><span class=\"name\">");
	rc |= html_escape(b, c->name, 0);
	rc |= buf_puts(b, "</span><span class=\"dim\">");
	rc |= html_escape(b, c->image, 200);
	rc |= buf_puts(b, "</span></h2>");
	if (c->rows == 0)
		return rc | buf_puts(b, "<p class=\"dim\">No rows in the window.</p></section>");
	char a[32], z[32], up[64], dn[64], unh[64], unk[64];
	html_fmt_time(c->first_ms, a, sizeof a);
	html_fmt_time(c->last_ms, z, sizeof z);
	fmt_secs(c->up_ms, up, sizeof up);
	fmt_secs(c->down_ms, dn, sizeof dn);
	fmt_secs(c->unhealthy_ms, unh, sizeof unh);
	fmt_secs(c->unknown_ms, unk, sizeof unk);
	rc |= buf_printf(b, "<dl class=\"kv\"><dt>availability</dt><dd class=\"availability\">");
	if (isnan(c->availability_pct))
		rc |= buf_puts(b, "-");
	else
		rc |= buf_printf(b, "%.3f %%", c->availability_pct);
	rc |= buf_printf(b, "</dd><dt>records</dt><dd>%zu, %s to %s</dd><dt>time</dt><dd>up %s, down %s, unhealthy %s, "
	                    "unknown %s</dd>",
	                 c->rows, a, z, up, dn, unh, unk);
	char s[5][32];
	fmt_stat(s[0], 32, c->cpu.avg, 2, "");
	fmt_stat(s[1], 32, c->cpu.p95, 2, "");
	fmt_stat(s[2], 32, c->cpu.max, 2, "");
	rc |= buf_printf(b, "<dt>CPU %%</dt><dd>avg %s, p95 %s, max %s</dd>", s[0], s[1], s[2]);
	fmt_stat(s[0], 32, c->mem.avg, 2, "");
	fmt_stat(s[1], 32, c->mem.p95, 2, "");
	fmt_stat(s[2], 32, c->mem.max, 2, "");
	fmt_stat(s[3], 32, c->mem_used_max_bytes / 1048576.0, 1, " MiB");
	rc |= buf_printf(b, "<dt>memory %%</dt><dd>avg %s, p95 %s, max %s (max used %s)</dd>", s[0], s[1], s[2], s[3]);
	fmt_stat(s[0], 32, c->resp.p50, 0, "");
	fmt_stat(s[1], 32, c->resp.p95, 0, "");
	fmt_stat(s[2], 32, c->resp.p99, 0, "");
	rc |= buf_printf(b, "<dt>response ms</dt><dd>p50 %s, p95 %s, p99 %s (%zu answers)</dd><dt>alerts</dt><dd>", s[0],
	                 s[1], s[2], c->resp.n);
	bool any = false;
	for (int k = 0; k < ALERT_KIND_COUNT; k++)
		if (c->alerts[k]) {
			rc |= buf_printf(b, "%s%s %u", any ? ", " : "", alert_kind_name((enum alert_kind)k), c->alerts[k]);
			any = true;
		}
	rc |= buf_printf(b, "%s</dd></dl>", any ? "" : "none");

	/* Charts from the buckets, on the report's common time axis. */
	const struct report_acc *ac = c->acc;
	int64_t t[2 * NBUCKETS];
	double cpu[2 * NBUCKETS], mem[2 * NBUCKETS], resp[2 * NBUCKETS];
	size_t n = 0;
	/* Lines break where the records stop for more than three intervals (the unknown gaps). */
	int64_t gap = 3 * c->interval_ms > ac->bw_ms ? 3 * c->interval_ms : ac->bw_ms;
	for (size_t i = 0; i < NBUCKETS && ac->bw_ms; i++) {
		const struct bucket *k = &ac->b[i];
		if (!k->cpu_n && !k->mem_n && !k->resp_n)
			continue;
		int64_t tb = ac->b0_ms + (int64_t)i * ac->bw_ms + ac->bw_ms / 2;
		if (tb > c->last_ms)
			tb = c->last_ms;
		if (n && tb - t[n - 1] > gap + ac->bw_ms) {
			t[n] = t[n - 1] + 1;
			cpu[n] = mem[n] = resp[n] = NAN;
			n++;
		}
		t[n] = tb;
		cpu[n] = k->cpu_n ? k->cpu_sum / k->cpu_n : NAN;
		mem[n] = k->mem_n ? k->mem_sum / k->mem_n : NAN;
		resp[n] = k->resp_n ? k->resp_sum / k->resp_n : NAN;
		n++;
	}
	int64_t start = r->first_ms, end = r->last_ms > r->first_ms ? r->last_ms : r->first_ms + 1000;
	struct html_series rs = {"response ms (average)", "l-resp", t, resp, n};
	struct html_chart rch = {"Response time (ms)", " ms", start, end, 0, NAN, &rs, 1};
	rc |= buf_puts(b, "<h3>Response time (ms)</h3>");
	rc |= html_line_chart(b, &rch);
	struct html_series cm[2] = {{"CPU %", "l-cpu", t, cpu, n}, {"memory %", "l-mem", t, mem, n}};
	struct html_chart cch = {"CPU and memory (%)", "%", start, end, 0, NAN, cm, 2};
	rc |= buf_puts(b, "<h3>CPU and memory (%)</h3>");
	rc |= html_line_chart(b, &cch);

	/* Timeline: up from the first record to the last, the intervals on top. */
	struct html_span *sp = malloc((c->nperiods + 1) * sizeof *sp);
	if (!sp)
		return -1;
	size_t ns = 0;
	sp[ns++] = (struct html_span){c->first_ms, c->last_ms, PT_UP};
	for (size_t k = 0; k < c->nperiods; k++) {
		const struct report_period *p = &c->periods[k];
		uint8_t st = p->kind == PERIOD_DOWN ? PT_DOWN : p->kind == PERIOD_UNHEALTHY ? PT_UNHEALTHY : PT_NONE;
		sp[ns++] = (struct html_span){p->from_ms, p->to_ms, st};
	}
	rc |= buf_puts(b, "<h3>Up/down</h3>");
	rc |= html_timeline(b, sp, ns, start, end);
	rc |= html_period_list(b, sp + 1, ns - 1, 0);
	free(sp);
	rc |= buf_puts(b, "</section>");
	return rc;
}

int report_write_html(const struct report *r, struct buf *b)
{
	char a[32], z[32], now[32];
	html_fmt_time(r->rows ? r->first_ms : 0, a, sizeof a);
	html_fmt_time(r->rows ? r->last_ms : 0, z, sizeof z);
	html_fmt_time(now_wall_ms(), now, sizeof now);
	int rc = buf_printf(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" "
	                       "content=\"width=device-width,initial-scale=1\"><title>lookout report</title><style>%s"
	                       "</style></head><body><header class=\"top\"><h1>lookout report</h1><span>",
	                    html_css());
	rc |= html_escape(b, report_source(r), 0);
	if (r->rows)
		rc |= buf_printf(b, "</span><span id=\"range\">%zu rows, %s to %s</span>", r->rows, a, z);
	else
		rc |= buf_puts(b, "</span><span>no rows in the window</span>");
	rc |= buf_printf(b, "<span class=\"dim\">made %s</span></header><main>", now);
	/* Summary table. */
	rc |= buf_puts(b, "<section><table class=\"summary\"><thead><tr><th>Container</th><th>Availability</th><th>"
	                  "Downtime intervals</th><th>Down</th><th>Unknown</th><th>CPU avg / p95 / max</th><th>Memory avg / "
	                  "p95 / max</th><th>Response p50 / p95 / p99</th></tr></thead><tbody>");
	for (size_t i = 0; i < r->n; i++) {
		const struct report_container *c = r->c[i];
		size_t nout = 0;
		for (size_t k = 0; k < c->nperiods; k++)
			nout += c->periods[k].kind != PERIOD_UNKNOWN;
		char dn[32], unk[32], s[9][24];
		html_fmt_duration(c->down_ms + c->unhealthy_ms, dn, sizeof dn);
		html_fmt_duration(c->unknown_ms, unk, sizeof unk);
		fmt_stat(s[0], 24, c->cpu.avg, 2, "");
		fmt_stat(s[1], 24, c->cpu.p95, 2, "");
		fmt_stat(s[2], 24, c->cpu.max, 2, "");
		fmt_stat(s[3], 24, c->mem.avg, 2, "");
		fmt_stat(s[4], 24, c->mem.p95, 2, "");
		fmt_stat(s[5], 24, c->mem.max, 2, "");
		fmt_stat(s[6], 24, c->resp.p50, 0, "");
		fmt_stat(s[7], 24, c->resp.p95, 0, "");
		fmt_stat(s[8], 24, c->resp.p99, 0, "");
		rc |= buf_puts(b, "<tr class=\"ctr\" data-name=\"");
		rc |= html_escape(b, c->name, 0);
		rc |= buf_puts(b, "\"><td>");
		rc |= html_escape(b, c->name, 0);
		if (isnan(c->availability_pct))
			rc |= buf_puts(b, "</td><td class=\"num\">-");
		else
			rc |= buf_printf(b, "</td><td class=\"num\">%.3f %%", c->availability_pct);
		rc |= buf_printf(b, "</td><td class=\"num\">%zu</td><td class=\"num\">%s</td><td class=\"num\">%s</td>"
		                    "<td class=\"num\">%s / %s / %s</td><td class=\"num\">%s / %s / %s</td><td class=\"num\">"
		                    "%s / %s / %s</td></tr>",
		                 nout, dn, unk, s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7], s[8]);
	}
	rc |= buf_puts(b, "</tbody></table></section><div class=\"cards\">");
	for (size_t i = 0; i < r->n && !rc; i++)
		rc |= html_container(b, r, r->c[i]);
	rc |= buf_puts(b, "</div></main></body></html>\n");
	return rc ? -1 : 0;
}

/* Writes the whole file next to path and renames it over, so a reader never sees half a report. */
static int write_file_atomic(const char *path, const struct buf *b, char *err, size_t errlen)
{
	char tmp[4200];
	int n = snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
	if (n < 0 || (size_t)n >= sizeof tmp) {
		snprintf(err, errlen, "path too long: %s", path);
		return -1;
	}
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
		return -1;
	}
	size_t off = 0;
	while (off < b->len) {
		ssize_t w = write(fd, b->data + off, b->len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(w < 0 ? errno : ENOSPC));
			close(fd);
			unlink(tmp);
			return -1;
		}
		off += (size_t)w;
	}
	if (close(fd) || rename(tmp, path)) {
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

int report_run(const struct config *cfg)
{
	char err[4300], path[4200];
	struct report_opts o = {INT64_MIN, INT64_MAX, cfg->containers, cfg->ncontainers};
	int64_t now = now_wall_ms();
	if (cfg->report_since && *cfg->report_since && report_parse_time(cfg->report_since, now, &o.since_ms)) {
		fprintf(stderr, "lookout: invalid --since \"%.80s\": expected ISO 8601 (2026-11-24T05:00:00Z, 2026-11-24) "
		                "or a length ago (-2h, 1d, 30m)\n", cfg->report_since);
		return 2;
	}
	if (cfg->report_until && *cfg->report_until && report_parse_time(cfg->report_until, now, &o.until_ms)) {
		fprintf(stderr, "lookout: invalid --until \"%.80s\": expected ISO 8601 (2026-11-24T05:00:00Z, 2026-11-24) "
		                "or a length ago (-2h, 1d, 30m)\n", cfg->report_until);
		return 2;
	}
	if (o.since_ms >= o.until_ms) {
		fprintf(stderr, "lookout: --since must be before --until\n");
		return 2;
	}
	if (cfg->report_hosts && *cfg->report_hosts && !cfg->report_pg) {
		fprintf(stderr, "lookout: --report-host (LOOKOUT_REPORT_HOST) selects hosts in PostgreSQL's history: it "
		                "needs --from-pg\n");
		return 2;
	}
	struct report *r = report_new(&o);
	if (!r) {
		fprintf(stderr, "lookout: out of memory\n");
		return 1;
	}
	int rc = 0;
	if (cfg->report_pg) {
		report_set_host_prefixed(r);
		/* The history of every host from PostgreSQL (reportpg.c) instead of this host's files. */
		int st = reportpg_read(cfg, r, err, sizeof err);
		if (st) {
			fprintf(stderr, "lookout: %s\n", err);
			report_free(r);
			return st;
		}
	} else {
		snprintf(path, sizeof path, "%s/metrics.csv", cfg->output_dir);
		if (report_read_csv(r, path, NULL, err, sizeof err)) {
			fprintf(stderr, "lookout: %s\n", err);
			report_free(r);
			return 1;
		}
		snprintf(path, sizeof path, "%s/container_alerts.log", cfg->output_dir);
		if (report_read_alerts(r, path, err, sizeof err)) {
			fprintf(stderr, "lookout: %s (alert counts left out)\n", err);
			rc = 1;
		}
	}
	if (report_write_text(r, stdout)) {
		fprintf(stderr, "lookout: cannot write to standard output\n");
		rc = 1;
	}
	const char *html = cfg->report_html;
	if (!html || strcasecmp(html, "none") != 0) {
		if (!html || !*html) {
			snprintf(path, sizeof path, "%s/report.html", cfg->output_dir);
			html = path;
		}
		struct buf b;
		buf_init(&b);
		if (report_write_html(r, &b)) {
			fprintf(stderr, "lookout: out of memory writing the HTML report\n");
			rc = 1;
		} else if (write_file_atomic(html, &b, err, sizeof err)) {
			fprintf(stderr, "lookout: %s\n", err);
			rc = 1;
		} else
			fprintf(stdout, "\nHTML report: %s\n", html);
		buf_free(&b);
	}
	report_free(r);
	return rc;
}
