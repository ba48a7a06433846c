/* csv.c — the metrics CSV: header handling, RFC 4180 quoting of untrusted names and labels, and whole-tick
 * atomic appends. Knows the row layout; knows nothing about how numbers were sampled. */
#include "csv.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char csv_header[] =
	"timestamp,host,container_id,name,image,state,health,up,cpu_pct,cpu_limit_pct,mem_used_bytes,"
	"mem_limit_bytes,mem_pct,net_rx_bps,net_tx_bps,blk_read_bps,blk_write_bps,pids,restarts,response_ms,"
	"http_status,state_since\n";

struct csv_writer {
	char *path;
	int fd;
	struct buf rows;
};

/* Makes the file at w->path ready for appending rows; see csv_open. */
static int prepare(struct csv_writer *w, char *err, size_t errlen)
{
	int fd = open(w->path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0) {
		snprintf(err, errlen, "cannot open %s: %s", w->path, strerror(errno));
		return -1;
	}
	struct stat st;
	if (fstat(fd, &st)) {
		snprintf(err, errlen, "cannot stat %s: %s", w->path, strerror(errno));
		close(fd);
		return -1;
	}
	size_t hlen = strlen(csv_header);
	if (st.st_size > 0) {
		char head[1024];
		ssize_t n = pread(fd, head, hlen < sizeof head ? hlen : sizeof head, 0);
		if (n != (ssize_t)hlen || memcmp(head, csv_header, hlen) != 0) {
			char aside[4096], ts[32];
			fmt_iso8601_ms(now_wall_ms(), ts, sizeof ts);
			for (char *p = ts; *p; p++)
				if (*p == ':')
					*p = '-';
			int len = snprintf(aside, sizeof aside, "%s.%s.old", w->path, ts);
			close(fd);
			if (len < 0 || (size_t)len >= sizeof aside || rename(w->path, aside)) {
				snprintf(err, errlen, "%s has another header and cannot be moved aside: %s", w->path,
				         strerror(errno));
				return -1;
			}
			fd = open(w->path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
			if (fd < 0) {
				snprintf(err, errlen, "cannot open %s: %s", w->path, strerror(errno));
				return -1;
			}
			st.st_size = 0;
		} else {
			/* A line cut short (disk full, power loss) is dropped so the next row starts clean. */
			char last;
			if (pread(fd, &last, 1, st.st_size - 1) == 1 && last != '\n') {
				off_t end = st.st_size;
				char blk[4096];
				off_t cut = (off_t)hlen;
				while (end > (off_t)hlen) {
					off_t from = end - (off_t)sizeof blk < (off_t)hlen ? (off_t)hlen : end - (off_t)sizeof blk;
					ssize_t n2 = pread(fd, blk, (size_t)(end - from), from);
					if (n2 <= 0)
						break;
					char *nl = memrchr(blk, '\n', (size_t)n2);
					if (nl) {
						cut = from + (nl - blk) + 1;
						break;
					}
					end = from;
				}
				if (ftruncate(fd, cut)) {
					snprintf(err, errlen, "cannot repair %s: %s", w->path, strerror(errno));
					close(fd);
					return -1;
				}
			}
		}
	}
	if (st.st_size == 0 && write(fd, csv_header, hlen) != (ssize_t)hlen) {
		snprintf(err, errlen, "cannot write the header of %s: %s", w->path, strerror(errno));
		close(fd);
		return -1;
	}
	w->fd = fd;
	return 0;
}

struct csv_writer *csv_open(const char *path, char *err, size_t errlen)
{
	struct csv_writer *w = calloc(1, sizeof *w);
	if (!w || !(w->path = strdup(path))) {
		free(w);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	w->fd = -1;
	buf_init(&w->rows);
	if (prepare(w, err, errlen)) {
		free(w->path);
		free(w);
		return NULL;
	}
	return w;
}

int csv_reopen(struct csv_writer *w, char *err, size_t errlen)
{
	int old = w->fd;
	if (prepare(w, err, errlen))
		return -1; /* keep the old descriptor: rows still land somewhere */
	close(old);
	return 0;
}

void csv_close(struct csv_writer *w)
{
	if (!w)
		return;
	if (w->fd >= 0)
		close(w->fd);
	buf_free(&w->rows);
	free(w->path);
	free(w);
}

static int num(struct buf *b, double v, int decimals)
{
	if (isnan(v) || isinf(v))
		return buf_puts(b, ",");
	return buf_append(b, ",", 1) | buf_fixed(b, v, decimals);
}

int csv_format_rows(struct buf *b, const struct snapshot *s)
{
	char ts[32], since[32];
	fmt_iso8601_ms(s->tick_wall_ms ? s->tick_wall_ms : s->wall_ms, ts, sizeof ts);
	for (size_t i = 0; i < s->n; i++) {
		const struct snap_container *c = &s->c[i];
		const struct container_info *in = &c->si->info;
		const struct metrics *m = &c->m;
		bool mm = c->have_metrics;
		int rc = buf_puts(b, ts);
		rc |= buf_puts(b, ",");
		rc |= buf_csv_field(b, snapshot_host_of(s, c));
		rc |= buf_puts(b, ",");
		rc |= buf_csv_field(b, in->id); /* an engine's answer, so quoted like any other text */
		rc |= buf_puts(b, ",");
		rc |= buf_csv_field(b, in->name ? in->name : "");
		rc |= buf_puts(b, ",");
		rc |= buf_csv_field(b, in->image ? in->image : "");
		rc |= buf_puts(b, ",");
		rc |= buf_puts(b, container_state_name(c->state));
		rc |= buf_puts(b, ",");
		rc |= buf_puts(b, container_health_name(c->health));
		rc |= buf_puts(b, c->up ? ",1" : ",0");
		rc |= num(b, mm ? m->cpu_pct : NAN, 2);
		rc |= num(b, mm ? m->cpu_limit_pct : NAN, 2);
		rc |= num(b, mm ? m->mem_used_bytes : NAN, 0);
		rc |= num(b, mm ? m->mem_limit_bytes : NAN, 0);
		rc |= num(b, mm ? m->mem_pct : NAN, 2);
		rc |= num(b, mm ? m->net_rx_bps : NAN, 0);
		rc |= num(b, mm ? m->net_tx_bps : NAN, 0);
		rc |= num(b, mm ? m->blk_read_bps : NAN, 0);
		rc |= num(b, mm ? m->blk_write_bps : NAN, 0);
		rc |= num(b, mm ? m->pids : NAN, 0);
		rc |= buf_puts(b, ",") | buf_int(b, c->restarts);
		rc |= buf_puts(b, ",");
		if (c->response_ms >= 0)
			rc |= buf_int(b, c->response_ms);
		rc |= buf_puts(b, ",");
		if (c->http_status > 0)
			rc |= buf_int(b, c->http_status);
		if (c->state_since_ms > 0) {
			rc |= buf_puts(b, ",");
			rc |= buf_puts(b, fmt_iso8601_ms(c->state_since_ms, since, sizeof since));
			rc |= buf_puts(b, "\n");
		} else
			rc |= buf_puts(b, ",\n");
		if (rc)
			return -1;
	}
	return 0;
}

int csv_write_snapshot(struct csv_writer *w, const struct snapshot *s, char *err, size_t errlen)
{
	buf_reset(&w->rows);
	if (csv_format_rows(&w->rows, s)) {
		snprintf(err, errlen, "out of memory formatting CSV rows");
		return -1;
	}
	if (w->rows.len == 0)
		return 0;
	struct stat st;
	off_t before = fstat(w->fd, &st) == 0 ? st.st_size : -1;
	ssize_t n;
	do
		n = write(w->fd, w->rows.data, w->rows.len);
	while (n < 0 && errno == EINTR);
	if (n == (ssize_t)w->rows.len)
		return 0;
	int e = n < 0 ? errno : ENOSPC;
	/* Never leave half a tick behind: cut the file back to where this tick began. */
	if (n > 0 && before >= 0 && ftruncate(w->fd, before) != 0) {
		snprintf(err, errlen, "writing %s: %s; and cutting back the partial rows failed: %s", w->path,
		         strerror(e), strerror(errno));
		return -1;
	}
	snprintf(err, errlen, "writing %s: %s (this tick's rows were not written)", w->path, strerror(e));
	return -1;
}
