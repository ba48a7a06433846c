/* pgsink.c — the PostgreSQL sink with libpq: a feeder thread turns snapshots into COPY lines in a bounded
 * buffer, a writer thread sends them in transactions (COPY into session temp tables, then INSERT ... ON
 * CONFLICT DO NOTHING, so a batch sent twice lands once). Outages are state: logged, retried with back-off,
 * counted. It does not read the database back and never touches the collector's state. */
#include "autoconfig.h"
#include "pgsink.h"

#include <errno.h>
#include <libpq-fe.h>
#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "html.h"
#include "log.h"
#include "pgconn.h"

#define BATCH_MAX_ROWS 5000
#define BACKOFF_FIRST_MS 1000
#define BACKOFF_MAX_MS 15000
#define STOP_FLUSH_MS 10000
#define REJECT_TRIES 3
#define RETENTION_EVERY_MS (5 * 60 * 1000)
#define RETENTION_BATCH 5000
#define RETENTION_LOCK "7370566851138" /* one daemon at a time deletes (pg_try_advisory_lock) */

enum item_kind { ITEM_SAMPLE = 0, ITEM_ALERT };

struct item {
	enum item_kind kind;
	char *line; /* one COPY line with its "\n" */
};

struct pgsink {
	struct collector *c;
	char *conninfo;
	char desc[512]; /* conninfo without secrets, for the log */
	size_t cap;     /* rows buffered at most: ring + in flight */

	pthread_mutex_t lock;
	pthread_cond_t wake; /* CLOCK_MONOTONIC */
	struct item *ring;   /* cap slots */
	size_t head, count;
	size_t ninflight;    /* rows the writer took and has not yet committed */
	bool feeder_stop, writer_stop;
	int64_t stop_deadline_ns;
	uint64_t dropped[2], episode_dropped[2];
	bool overflowing;
	uint64_t written[2];

	pthread_t feeder, writer;
	bool feeder_started, writer_started;

	/* the retention thread (LOOKOUT_PG_RETENTION): its own connection, so deletes never hold up the writer */
	int64_t retention_ms; /* 0: keep everything */
	pthread_t retainer;
	pthread_cond_t retain_wake; /* CLOCK_MONOTONIC */
	bool retainer_started, retainer_stop;
	uint64_t retention_deleted;

	/* writer thread only */
	PGconn *conn;
	struct item *inflight;
	struct buf copy;
	struct complaint conn_complaint, write_complaint;
};

/* ---- formatting ---------------------------------------------------------------------------------- */

/* One text field of a COPY line: backslash, tab, CR and LF escaped; other control characters as \xHH;
 * invalid UTF-8 replaced (the server would reject the whole batch for one bad byte). */
static int copy_text(struct buf *b, const char *s)
{
	int rc = 0;
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	while (*p && !rc) {
		unsigned char ch = *p;
		if (ch == '\\')
			rc = buf_puts(b, "\\\\");
		else if (ch == '\t')
			rc = buf_puts(b, "\\t");
		else if (ch == '\n')
			rc = buf_puts(b, "\\n");
		else if (ch == '\r')
			rc = buf_puts(b, "\\r");
		else if (ch < 0x20 || ch == 0x7F)
			rc = buf_printf(b, "\\x%02x", ch);
		else {
			size_t n = utf8_seq_len(p, 4); /* stops at the NUL, no continuation byte */
			if (n == 0) {
				rc = buf_puts(b, "\xEF\xBF\xBD");
				p++;
				continue;
			}
			rc = buf_append(b, p, n);
			p += n;
			continue;
		}
		p++;
	}
	return rc;
}

static int copy_num(struct buf *b, double v, int decimals)
{
	if (isnan(v) || isinf(v))
		return buf_puts(b, "\t\\N");
	return buf_printf(b, "\t%.*f", decimals, v);
}

static int copy_ts(struct buf *b, int64_t ms)
{
	char ts[32];
	if (ms <= 0)
		return buf_puts(b, "\t\\N");
	return buf_printf(b, "\t%s", fmt_iso8601_ms(ms, ts, sizeof ts));
}

/* The samples table's columns, in the order of the COPY lines. */
static const char samples_cols[] =
	"ts, host, container_id, name, image, state, health, up, cpu_pct, cpu_limit_pct, mem_used_bytes, "
	"mem_limit_bytes, mem_pct, net_rx_bps, net_tx_bps, blk_read_bps, blk_write_bps, pids, restarts, "
	"response_ms, http_status, state_since";
static const char alerts_cols[] =
	"ts, host, seq, level, state, alert, container, container_id, value, threshold, since, msg";

/* One sample line; the numbers have the CSV's precision so both stores agree digit for digit. */
static int format_sample(struct buf *b, const struct snapshot *s, const struct snap_container *c)
{
	char ts[32];
	const struct container_info *in = &c->si->info;
	const struct metrics *m = &c->m;
	bool mm = c->have_metrics;
	int rc = buf_puts(b, fmt_iso8601_ms(s->tick_wall_ms ? s->tick_wall_ms : s->wall_ms, ts, sizeof ts));
	rc |= buf_puts(b, "\t");
	rc |= copy_text(b, snapshot_host_of(s, c)); /* the container's engine: one process may watch several */
	rc |= buf_puts(b, "\t");
	rc |= copy_text(b, in->id);
	rc |= buf_puts(b, "\t");
	rc |= copy_text(b, in->name ? in->name : "");
	rc |= buf_puts(b, "\t");
	rc |= copy_text(b, in->image ? in->image : "");
	rc |= buf_printf(b, "\t%s\t%s\t%s", container_state_name(c->state), container_health_name(c->health),
	                 c->up ? "t" : "f");
	rc |= copy_num(b, mm ? m->cpu_pct : NAN, 2);
	rc |= copy_num(b, mm ? m->cpu_limit_pct : NAN, 2);
	rc |= copy_num(b, mm ? m->mem_used_bytes : NAN, 0);
	rc |= copy_num(b, mm ? m->mem_limit_bytes : NAN, 0);
	rc |= copy_num(b, mm ? m->mem_pct : NAN, 2);
	rc |= copy_num(b, mm ? m->net_rx_bps : NAN, 0);
	rc |= copy_num(b, mm ? m->net_tx_bps : NAN, 0);
	rc |= copy_num(b, mm ? m->blk_read_bps : NAN, 0);
	rc |= copy_num(b, mm ? m->blk_write_bps : NAN, 0);
	rc |= copy_num(b, mm ? m->pids : NAN, 0);
	rc |= buf_printf(b, "\t%d", c->restarts);
	rc |= c->response_ms >= 0 ? buf_printf(b, "\t%d", c->response_ms) : buf_puts(b, "\t\\N");
	rc |= c->http_status > 0 ? buf_printf(b, "\t%d", c->http_status) : buf_puts(b, "\t\\N");
	rc |= copy_ts(b, c->state_since_ms);
	rc |= buf_puts(b, "\n");
	return rc ? -1 : 0;
}

int pgsink_format_samples(struct buf *b, const struct snapshot *s)
{
	for (size_t i = 0; i < s->n; i++)
		if (format_sample(b, s, &s->c[i]))
			return -1;
	return 0;
}

int pgsink_format_alert(struct buf *b, const char *host, const struct alert_transition *t)
{
	char ts[32];
	int rc = buf_puts(b, fmt_iso8601_ms(t->ts_ms, ts, sizeof ts));
	rc |= buf_puts(b, "\t");
	rc |= copy_text(b, host);
	rc |= buf_printf(b, "\t%llu\t%s\t%s\t%s\t", (unsigned long long)t->seq, alert_severity_name(t->sev),
	                 t->firing ? "firing" : "resolved", alert_kind_name(t->kind));
	rc |= copy_text(b, t->container);
	rc |= buf_puts(b, "\t");
	rc |= copy_text(b, t->container_id);
	rc |= isnan(t->value) || isinf(t->value) ? buf_puts(b, "\t\\N") : buf_printf(b, "\t%.17g", t->value);
	rc |= isnan(t->threshold) || isinf(t->threshold) ? buf_puts(b, "\t\\N")
	                                                 : buf_printf(b, "\t%.17g", t->threshold);
	rc |= copy_ts(b, t->since_ms);
	rc |= buf_puts(b, "\t");
	rc |= copy_text(b, t->msg);
	rc |= buf_puts(b, "\n");
	return rc ? -1 : 0;
}

/* ---- connection strings -------------------------------------------------------------------------- */

int pgsink_conninfo_check(const char *conninfo, char *safe, size_t safelen, char *err, size_t errlen)
{
	char *perr = NULL;
	PQconninfoOption *opts = PQconninfoParse(conninfo, &perr);
	if (!opts) {
		/* libpq's message may quote the string, and the string may hold a password: not repeated. */
		PQfreemem(perr);
		snprintf(err, errlen, "not a libpq connection string (expected \"host=H dbname=D user=U\" or "
		                      "postgresql://user@host/dbname)");
		return -1;
	}
	int rc = 0;
	struct buf d;
	buf_init(&d);
	static const char *const shown[] = {"host", "hostaddr", "port", "dbname", "user", "sslmode"};
	for (PQconninfoOption *o = opts; o->keyword; o++) {
		if (strcmp(o->keyword, "password") == 0 && o->val && *o->val)
			rc = 1;
		for (size_t i = 0; i < ARRAY_LEN(shown); i++) {
			if (strcmp(o->keyword, shown[i]) == 0 && o->val && *o->val) {
				if (d.len)
					buf_puts(&d, " ");
				buf_printf(&d, "%s=", o->keyword);
				buf_term_safe(&d, o->val, 120);
			}
		}
	}
	PQconninfoFree(opts);
	if (safe && safelen)
		snprintf(safe, safelen, "%s", d.data && *d.data ? d.data : "(libpq defaults)");
	buf_free(&d);
	return rc;
}

/* ---- the buffer ---------------------------------------------------------------------------------- */

static void item_free(struct item *it)
{
	free(it->line);
	it->line = NULL;
}

/* Adds one line (ownership taken) under p->lock; drops the oldest buffered row when full. */
static void push_locked(struct pgsink *p, enum item_kind kind, char *line)
{
	if (p->count + p->ninflight >= p->cap) {
		enum item_kind lost = kind;
		if (p->count > 0) {
			struct item *old = &p->ring[p->head];
			lost = old->kind;
			item_free(old);
			p->head = (p->head + 1) % p->cap;
			p->count--;
		} else {
			/* Everything buffered is in flight: the newest row is the one that cannot be kept. */
			free(line);
			line = NULL;
		}
		p->dropped[lost]++;
		p->episode_dropped[lost]++;
		if (!p->overflowing) {
			p->overflowing = true;
			log_warn("PostgreSQL: the buffer of %zu rows is full: dropping the oldest rows until the database "
			         "catches up (LOOKOUT_PG_BUFFER sets the size)",
			         p->cap);
		}
		if (!line)
			return;
	}
	p->ring[(p->head + p->count) % p->cap] = (struct item){kind, line};
	p->count++;
}

/* Splits b into lines and queues them. */
static void enqueue_lines(struct pgsink *p, enum item_kind kind, const struct buf *b)
{
	if (!b->len)
		return;
	pthread_mutex_lock(&p->lock);
	const char *s = b->data, *end = b->data + b->len;
	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		size_t n = nl ? (size_t)(nl - s) + 1 : (size_t)(end - s);
		char *line = strndup(s, n);
		if (!line) {
			p->dropped[kind]++;
			log_error("PostgreSQL: out of memory; a row was dropped");
		} else
			push_locked(p, kind, line);
		s += n;
	}
	pthread_cond_signal(&p->wake);
	pthread_mutex_unlock(&p->lock);
}

/* ---- the feeder thread: the same rows the daemon writes to metrics.csv and the alert log ---------- */

struct feed_state {
	uint64_t seq, tick, alert_seq;
	struct buf lines;
};

static void feed(struct pgsink *p, struct feed_state *f, const struct snapshot *s)
{
	size_t first = s->nrecent_alerts;
	while (first > 0 && s->recent_alerts[first - 1].seq > f->alert_seq)
		first--;
	if (first < s->nrecent_alerts) {
		buf_reset(&f->lines);
		for (size_t i = first; i < s->nrecent_alerts; i++)
			if (pgsink_format_alert(&f->lines, s->recent_alerts[i].host[0] ? s->recent_alerts[i].host : s->host,
			                        &s->recent_alerts[i]))
				log_error("PostgreSQL: out of memory formatting an alert row");
		enqueue_lines(p, ITEM_ALERT, &f->lines);
		f->alert_seq = s->recent_alerts[s->nrecent_alerts - 1].seq;
	}
	/* A tick's rows come from the tick's own snapshot, as metrics.csv's do: s may be a later event update
	 * of the same tick that already lists a container started since (a row the CSV does not have). */
	struct snapshot *t = s->tick && s->tick > f->tick ? collector_latest_tick(p->c) : NULL;
	if (t && t->tick > f->tick) {
		f->tick = t->tick;
		buf_reset(&f->lines);
		if (pgsink_format_samples(&f->lines, t))
			log_error("PostgreSQL: out of memory formatting tick %llu's rows", (unsigned long long)t->tick);
		else
			enqueue_lines(p, ITEM_SAMPLE, &f->lines);
	}
	snapshot_unref(t);
}

static void *feeder_main(void *arg)
{
	struct pgsink *p = arg;
	struct feed_state f = {0};
	buf_init(&f.lines);
	for (;;) {
		pthread_mutex_lock(&p->lock);
		bool stop = p->feeder_stop;
		pthread_mutex_unlock(&p->lock);
		if (stop)
			break;
		/* Asleep until a snapshot comes: pgsink_stop runs after collector_stop, which ends the wait at once;
		 * pgsink_start's failure path interrupts it. The timeout only bounds a missed interrupt. */
		struct snapshot *s = collector_wait(p->c, f.seq, 5000);
		if (!s) {
			/* A timeout, or the collector has stopped (then wait returns at once: do not spin). */
			struct timespec ts = {0, 20 * 1000000};
			nanosleep(&ts, NULL);
			continue;
		}
		f.seq = s->seq;
		feed(p, &f, s);
		snapshot_unref(s);
	}
	/* The collector has stopped (pgsink_stop's contract): its last snapshot holds the final tick. */
	struct snapshot *last = collector_latest(p->c);
	if (last && last->seq > f.seq)
		feed(p, &f, last);
	snapshot_unref(last);
	buf_free(&f.lines);
	return NULL;
}

/* ---- the writer thread --------------------------------------------------------------------------- */

#define one_line pgconn_one_line
#define exec_ok pgconn_exec

/* Connects, makes the schema and this session's staging tables. 0, or -1 with a message. */
static int writer_connect(struct pgsink *p, char *err, size_t errlen)
{
	PGconn *conn = pgconn_open(p->conninfo, true, err, errlen);
	if (!conn)
		return -1;
	char why[400];
	if (exec_ok(conn, "CREATE TEMP TABLE lookout_samples_in (LIKE samples) ON COMMIT DELETE ROWS;\n"
	                  "CREATE TEMP TABLE lookout_alerts_in (LIKE alerts) ON COMMIT DELETE ROWS;\n",
	            why, sizeof why)) {
		snprintf(err, errlen, "creating the staging tables failed: %s", why);
		PQfinish(conn);
		return -1;
	}
	p->conn = conn;
	return 0;
}

/* Sends the lines of one kind from the in-flight batch with COPY. 0, or -1 with a message. */
static int copy_kind(struct pgsink *p, enum item_kind kind, size_t n, char *err, size_t errlen)
{
	buf_reset(&p->copy);
	for (size_t i = 0; i < n; i++)
		if (p->inflight[i].kind == kind && buf_puts(&p->copy, p->inflight[i].line)) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
	if (!p->copy.len)
		return 0;
	char sql[512], line[512];
	snprintf(sql, sizeof sql, "COPY %s (%s) FROM STDIN",
	         kind == ITEM_SAMPLE ? "lookout_samples_in" : "lookout_alerts_in",
	         kind == ITEM_SAMPLE ? samples_cols : alerts_cols);
	PGresult *r = PQexec(p->conn, sql);
	if (PQresultStatus(r) != PGRES_COPY_IN) {
		snprintf(err, errlen, "%s", one_line(PQerrorMessage(p->conn), line, sizeof line));
		PQclear(r);
		return -1;
	}
	PQclear(r);
	int rc = 0;
	if (PQputCopyData(p->conn, p->copy.data, (int)p->copy.len) != 1 || PQputCopyEnd(p->conn, NULL) != 1) {
		snprintf(err, errlen, "%s", one_line(PQerrorMessage(p->conn), line, sizeof line));
		rc = -1;
	}
	while ((r = PQgetResult(p->conn))) {
		if (!rc && PQresultStatus(r) != PGRES_COMMAND_OK) {
			snprintf(err, errlen, "%s", one_line(PQresultErrorMessage(r), line, sizeof line));
			rc = -1;
		}
		PQclear(r);
	}
	return rc;
}

/* Writes the in-flight batch in one transaction. 0, or -1 with a message (nothing of it was kept). */
static int write_batch(struct pgsink *p, size_t n, char *err, size_t errlen)
{
	char why[512];
	if (exec_ok(p->conn, "BEGIN", why, sizeof why))
		goto fail;
	if (copy_kind(p, ITEM_SAMPLE, n, why, sizeof why) || copy_kind(p, ITEM_ALERT, n, why, sizeof why))
		goto fail;
	static const char apply_sql[] =
		"INSERT INTO samples SELECT * FROM lookout_samples_in ON CONFLICT DO NOTHING;\n"
		"INSERT INTO alerts SELECT * FROM lookout_alerts_in ON CONFLICT DO NOTHING;\n"
		"INSERT INTO containers (host, container_id, name, image, first_seen, last_seen)\n"
		"  SELECT host, container_id, (array_agg(name ORDER BY ts DESC))[1], (array_agg(image ORDER BY ts DESC))[1],\n"
		"         min(ts), max(ts) FROM lookout_samples_in GROUP BY host, container_id\n"
		"  ON CONFLICT (host, container_id) DO UPDATE SET\n"
		"    name = CASE WHEN EXCLUDED.last_seen >= containers.last_seen THEN EXCLUDED.name ELSE containers.name END,\n"
		"    image = CASE WHEN EXCLUDED.last_seen >= containers.last_seen THEN EXCLUDED.image ELSE containers.image END,\n"
		"    first_seen = LEAST(containers.first_seen, EXCLUDED.first_seen),\n"
		"    last_seen = GREATEST(containers.last_seen, EXCLUDED.last_seen);\n"
		"COMMIT;";
	if (exec_ok(p->conn, apply_sql, why, sizeof why))
		goto fail;
	return 0;
fail:
	snprintf(err, errlen, "%s", why);
	if (PQstatus(p->conn) == CONNECTION_OK && PQtransactionStatus(p->conn) != PQTRANS_IDLE) {
		PGresult *r = PQexec(p->conn, "ROLLBACK");
		PQclear(r);
	}
	return -1;
}

static void writer_disconnect(struct pgsink *p)
{
	PQfinish(p->conn);
	p->conn = NULL;
}

/* Logs the end of an overflow episode, exactly: under p->lock. */
static void overflow_report_locked(struct pgsink *p)
{
	if (!p->overflowing || p->count + p->ninflight >= p->cap)
		return;
	log_warn("PostgreSQL: dropped %llu rows (%llu samples, %llu alert transitions) because the buffer of %zu "
	         "rows was full",
	         (unsigned long long)(p->episode_dropped[ITEM_SAMPLE] + p->episode_dropped[ITEM_ALERT]),
	         (unsigned long long)p->episode_dropped[ITEM_SAMPLE],
	         (unsigned long long)p->episode_dropped[ITEM_ALERT], p->cap);
	p->overflowing = false;
	p->episode_dropped[ITEM_SAMPLE] = p->episode_dropped[ITEM_ALERT] = 0;
}

static void *writer_main(void *arg)
{
	struct pgsink *p = arg;
	int64_t next_try_ns = 0;
	int backoff_ms = BACKOFF_FIRST_MS;
	int rejects = 0;
	bool stop_tried = false; /* at the stop, one connection attempt regardless of the back-off */
	char err[1024];
	pthread_mutex_lock(&p->lock);
	for (;;) {
		int64_t now = now_mono_ns();
		bool stopping = p->writer_stop;
		if (stopping && (now >= p->stop_deadline_ns || (p->count == 0 && p->ninflight == 0)))
			break;
		bool work = p->count > 0 || p->ninflight > 0;
		bool can_try = p->conn || now >= next_try_ns || (stopping && !stop_tried);
		if (!work || !can_try) {
			int64_t until = now + 1000000000LL;
			if (!p->conn && work && next_try_ns < until)
				until = next_try_ns;
			if (stopping && p->stop_deadline_ns < until)
				until = p->stop_deadline_ns;
			struct timespec ts = {until / 1000000000LL, until % 1000000000LL};
			pthread_cond_timedwait(&p->wake, &p->lock, &ts);
			continue;
		}
		/* Take a batch: the rows in flight are always older than those left in the ring. */
		if (p->ninflight == 0) {
			size_t n = p->count < BATCH_MAX_ROWS ? p->count : BATCH_MAX_ROWS;
			for (size_t i = 0; i < n; i++) {
				p->inflight[i] = p->ring[p->head];
				p->ring[p->head].line = NULL;
				p->head = (p->head + 1) % p->cap;
			}
			p->count -= n;
			p->ninflight = n;
		}
		size_t n = p->ninflight;
		pthread_mutex_unlock(&p->lock);

		if (!p->conn) {
			if (writer_connect(p, err, sizeof err)) {
				log_complain(&p->conn_complaint, LOG_ERROR,
				             "PostgreSQL: cannot connect to %s: %s (rows are buffered; retrying with back-off)",
				             p->desc, err);
				pthread_mutex_lock(&p->lock);
				if (stopping) {
					stop_tried = true;
					break;
				}
				next_try_ns = now_mono_ns() + (int64_t)backoff_ms * 1000000;
				backoff_ms = backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff_ms * 2;
				continue;
			}
			backoff_ms = BACKOFF_FIRST_MS;
			pthread_mutex_lock(&p->lock);
			size_t buffered = p->count + p->ninflight;
			pthread_mutex_unlock(&p->lock);
			if (p->conn_complaint.active)
				log_complain_clear(&p->conn_complaint, "PostgreSQL: connected again to %s; writing %zu buffered rows",
				                   p->desc, buffered);
			else
				log_info("PostgreSQL: connected to %s; schema ready", p->desc);
		}
		if (write_batch(p, n, err, sizeof err) == 0) {
			rejects = 0;
			log_complain_clear(&p->write_complaint, "PostgreSQL: rows are being written again");
			pthread_mutex_lock(&p->lock);
			for (size_t i = 0; i < n; i++) {
				p->written[p->inflight[i].kind]++;
				item_free(&p->inflight[i]);
			}
			p->ninflight = 0;
			overflow_report_locked(p);
			continue;
		}
		if (PQstatus(p->conn) != CONNECTION_OK) {
			log_complain(&p->conn_complaint, LOG_ERROR,
			             "PostgreSQL: lost the connection to %s: %s (rows are buffered; reconnecting)", p->desc,
			             err);
			writer_disconnect(p);
			pthread_mutex_lock(&p->lock);
			next_try_ns = now_mono_ns(); /* once at once, then back off */
			continue;
		}
		/* The server refused the rows themselves: retried a few times (a lock timeout passes), then given up,
		 * so one bad batch cannot stop every later one. */
		if (++rejects < REJECT_TRIES) {
			log_complain(&p->write_complaint, LOG_ERROR, "PostgreSQL: writing %zu rows failed: %s (retrying)",
			             n, err);
			pthread_mutex_lock(&p->lock);
			next_try_ns = now_mono_ns() + (int64_t)BACKOFF_FIRST_MS * 1000000;
			writer_disconnect(p); /* a fresh session also recreates the staging tables */
			continue;
		}
		rejects = 0;
		pthread_mutex_lock(&p->lock);
		uint64_t ks = 0, ka = 0;
		for (size_t i = 0; i < n; i++) {
			if (p->inflight[i].kind == ITEM_SAMPLE)
				ks++;
			else
				ka++;
			p->dropped[p->inflight[i].kind]++;
			item_free(&p->inflight[i]);
		}
		p->ninflight = 0;
		log_error("PostgreSQL: dropped %llu rows (%llu samples, %llu alert transitions) that the database "
		          "refused %d times: %s",
		          (unsigned long long)(ks + ka), (unsigned long long)ks, (unsigned long long)ka, REJECT_TRIES,
		          err);
	}
	/* Whatever is left could not be written before the stop deadline. */
	uint64_t left[2] = {0, 0};
	for (size_t i = 0; i < p->ninflight; i++) {
		left[p->inflight[i].kind]++;
		item_free(&p->inflight[i]);
	}
	p->ninflight = 0;
	while (p->count) {
		left[p->ring[p->head].kind]++;
		item_free(&p->ring[p->head]);
		p->head = (p->head + 1) % p->cap;
		p->count--;
	}
	overflow_report_locked(p);
	if (left[0] + left[1])
		log_error("PostgreSQL: dropped %llu rows (%llu samples, %llu alert transitions) not written before the "
		          "stop: the database %s",
		          (unsigned long long)(left[0] + left[1]), (unsigned long long)left[0], (unsigned long long)left[1],
		          p->conn ? "was too slow" : "was unreachable");
	p->dropped[0] += left[0];
	p->dropped[1] += left[1];
	pthread_mutex_unlock(&p->lock);
	writer_disconnect(p);
	return NULL;
}

/* ---- the retention thread ------------------------------------------------------------------------ */

static bool retainer_stopping(struct pgsink *p)
{
	pthread_mutex_lock(&p->lock);
	bool stop = p->retainer_stop;
	pthread_mutex_unlock(&p->lock);
	return stop;
}

/* Deletes the rows of one table older than the cutoff in batches, each its own short transaction, so that
 * no insert waits behind a long delete. The count, or -1 with a message. */
static long long retain_table(struct pgsink *p, PGconn *conn, const char *table, const char *col, char *err,
                              size_t errlen)
{
	char sql[512];
	snprintf(sql, sizeof sql,
	         "DELETE FROM %s WHERE ctid = ANY(ARRAY(SELECT ctid FROM %s WHERE %s < now() - interval '%lld "
	         "milliseconds' LIMIT %d))",
	         table, table, col, (long long)p->retention_ms, RETENTION_BATCH);
	long long total = 0;
	for (;;) {
		PGresult *r = PQexec(conn, sql);
		if (PQresultStatus(r) != PGRES_COMMAND_OK) {
			char line[512];
			snprintf(err, errlen, "%s", pgconn_one_line(PQresultErrorMessage(r), line, sizeof line));
			PQclear(r);
			return -1;
		}
		long long n = atoll(PQcmdTuples(r));
		PQclear(r);
		total += n;
		if (n < RETENTION_BATCH || retainer_stopping(p))
			return total;
	}
}

/* One round: under the advisory lock (another daemon holding it is doing the same job: skip). */
static void retain_round(struct pgsink *p)
{
	char err[512];
	PGconn *conn = pgconn_open(p->conninfo, true, err, sizeof err);
	if (!conn) {
		log_debug("PostgreSQL retention: cannot connect (%s); next round in %d min", err, RETENTION_EVERY_MS / 60000);
		return;
	}
	PGresult *r = PQexec(conn, "SELECT pg_try_advisory_lock(" RETENTION_LOCK ")");
	bool mine = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 && strcmp(PQgetvalue(r, 0, 0), "t") == 0;
	PQclear(r);
	if (!mine) {
		log_debug("PostgreSQL retention: another lookout is deleting old rows; skipped this round");
		PQfinish(conn);
		return;
	}
	static const char *const tables[][2] = {
		{"samples", "ts"}, {"alerts", "ts"}, {"notify_sent", "ts"}, {"containers", "last_seen"}};
	long long n[4] = {0, 0, 0, 0};
	int64_t t0 = now_mono_ns();
	for (size_t i = 0; i < ARRAY_LEN(tables) && !retainer_stopping(p); i++) {
		n[i] = retain_table(p, conn, tables[i][0], tables[i][1], err, sizeof err);
		if (n[i] < 0) {
			log_error("PostgreSQL retention: deleting old rows of %s failed: %s", tables[i][0], err);
			n[i] = 0;
			break;
		}
	}
	/* Closing the session releases the lock too; unlocking first keeps that explicit. */
	r = PQexec(conn, "SELECT pg_advisory_unlock(" RETENTION_LOCK ")");
	PQclear(r);
	PQfinish(conn);
	char keep[32];
	long long total = n[0] + n[1] + n[2] + n[3];
	pthread_mutex_lock(&p->lock);
	p->retention_deleted += (uint64_t)total;
	pthread_mutex_unlock(&p->lock);
	html_fmt_duration(p->retention_ms, keep, sizeof keep);
	/* Every 5 minutes: a round that found nothing to delete is not worth a line at info level. */
	log_msg(total ? LOG_INFO : LOG_DEBUG,
	        "PostgreSQL retention: deleted %lld rows older than %s (%lld samples, %lld alert transitions, %lld "
	        "sent-email records, %lld containers) in %.1f s",
	        total, keep, n[0], n[1], n[2], n[3], (double)(now_mono_ns() - t0) / 1e9);
}

static void *retainer_main(void *arg)
{
	struct pgsink *p = arg;
	/* The first round soon after the start (the writer makes the schema first), then every 5 minutes. */
	int64_t next = now_mono_ns() + 2000000000LL;
	pthread_mutex_lock(&p->lock);
	while (!p->retainer_stop) {
		if (now_mono_ns() < next) {
			struct timespec ts = {next / 1000000000LL, next % 1000000000LL};
			pthread_cond_timedwait(&p->retain_wake, &p->lock, &ts);
			continue;
		}
		pthread_mutex_unlock(&p->lock);
		retain_round(p);
		next = now_mono_ns() + (int64_t)RETENTION_EVERY_MS * 1000000;
		pthread_mutex_lock(&p->lock);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

/* ---- start and stop ------------------------------------------------------------------------------ */

static void pgsink_free(struct pgsink *p)
{
	if (!p)
		return;
	if (p->ring)
		for (size_t i = 0; i < p->cap; i++)
			free(p->ring[i].line);
	free(p->ring);
	free(p->inflight);
	buf_free(&p->copy);
	if (p->conninfo) {
		explicit_bzero(p->conninfo, strlen(p->conninfo));
		free(p->conninfo);
	}
	pthread_cond_destroy(&p->wake);
	pthread_cond_destroy(&p->retain_wake);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

int pgsink_start(const struct config *cfg, struct collector *c, struct pgsink **out, char *err, size_t errlen)
{
	*out = NULL;
	char *conninfo = NULL, desc[512];
	int have = pgconn_conninfo(cfg, &conninfo, desc, sizeof desc, err, errlen);
	if (have <= 0)
		return have;
	int64_t retention_ms = 0;
	if (config_parse_retention(cfg->pg_retention, &retention_ms)) {
		snprintf(err, errlen, "invalid LOOKOUT_PG_RETENTION (--pg-retention): expected 0 or a duration (90d, 2w, 36h)");
		explicit_bzero(conninfo, strlen(conninfo));
		free(conninfo);
		return -1;
	}
	struct pgsink *p = calloc(1, sizeof *p);
	if (!p) {
		snprintf(err, errlen, "out of memory");
		explicit_bzero(conninfo, strlen(conninfo));
		free(conninfo);
		return -1;
	}
	pthread_mutex_init(&p->lock, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&p->wake, &ca);
	pthread_cond_init(&p->retain_wake, &ca);
	pthread_condattr_destroy(&ca);
	buf_init(&p->copy);
	p->c = c;
	p->cap = (size_t)cfg->pg_buffer_rows;
	p->conninfo = conninfo;
	p->retention_ms = retention_ms;
	snprintf(p->desc, sizeof p->desc, "%s", desc);
	size_t batch = p->cap < BATCH_MAX_ROWS ? p->cap : BATCH_MAX_ROWS;
	p->ring = calloc(p->cap, sizeof *p->ring);
	p->inflight = calloc(batch, sizeof *p->inflight);
	if (!p->ring || !p->inflight) {
		snprintf(err, errlen, "out of memory for a buffer of %zu rows (LOOKOUT_PG_BUFFER)", p->cap);
		goto fail;
	}
	int e = pthread_create(&p->writer, NULL, writer_main, p);
	if (!e) {
		p->writer_started = true;
		e = pthread_create(&p->feeder, NULL, feeder_main, p);
		p->feeder_started = !e;
	}
	if (!e && p->retention_ms > 0) {
		e = pthread_create(&p->retainer, NULL, retainer_main, p);
		p->retainer_started = !e;
	}
	if (e) {
		snprintf(err, errlen, "cannot start the PostgreSQL sink's threads: %s", strerror(e));
		goto fail;
	}
	char keep[32] = "forever";
	if (p->retention_ms > 0)
		html_fmt_duration(p->retention_ms, keep, sizeof keep);
	log_info("PostgreSQL: writing samples and alerts to %s (buffer %zu rows, rows kept %s%s)", p->desc, p->cap,
	         p->retention_ms > 0 ? "for " : "", keep);
	*out = p;
	return 0;
fail:
	if (p->feeder_started) {
		pthread_mutex_lock(&p->lock);
		p->feeder_stop = true;
		pthread_mutex_unlock(&p->lock);
		collector_interrupt(c);
		pthread_join(p->feeder, NULL);
	}
	if (p->writer_started) {
		pthread_mutex_lock(&p->lock);
		p->writer_stop = true;
		p->stop_deadline_ns = 0;
		pthread_cond_signal(&p->wake);
		pthread_mutex_unlock(&p->lock);
		pthread_join(p->writer, NULL);
	}
	pgsink_free(p);
	return -1;
}

void pgsink_stop(struct pgsink *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	p->feeder_stop = true;
	p->retainer_stop = true;
	pthread_cond_broadcast(&p->retain_wake);
	pthread_mutex_unlock(&p->lock);
	if (p->feeder_started)
		pthread_join(p->feeder, NULL);
	if (p->retainer_started)
		pthread_join(p->retainer, NULL);
	pthread_mutex_lock(&p->lock);
	p->writer_stop = true;
	p->stop_deadline_ns = now_mono_ns() + (int64_t)STOP_FLUSH_MS * 1000000;
	pthread_cond_signal(&p->wake);
	pthread_mutex_unlock(&p->lock);
	if (p->writer_started)
		pthread_join(p->writer, NULL);
	log_info("PostgreSQL: stopped; %llu rows written (%llu samples, %llu alert transitions), %llu dropped in total",
	         (unsigned long long)(p->written[0] + p->written[1]), (unsigned long long)p->written[0],
	         (unsigned long long)p->written[1], (unsigned long long)(p->dropped[0] + p->dropped[1]));
	pgsink_free(p);
}
