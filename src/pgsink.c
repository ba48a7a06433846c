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

#include "log.h"
#include "src/pgschema.h" /* pgsink_schema_sql: data/schema.sql as a C string, generated at build time */

#define BATCH_MAX_ROWS 5000
#define BACKOFF_FIRST_MS 1000
#define BACKOFF_MAX_MS 15000
#define STOP_FLUSH_MS 10000
#define REJECT_TRIES 3

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
	rc |= copy_text(b, s->host);
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
			if (pgsink_format_alert(&f->lines, s->host, &s->recent_alerts[i]))
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
		struct snapshot *s = collector_wait(p->c, f.seq, 200);
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

/* libpq's messages end in a newline and may span lines: one line for the log. */
static const char *one_line(const char *msg, char *out, size_t len)
{
	size_t j = 0;
	for (const char *s = msg ? msg : ""; *s && j + 1 < len; s++) {
		if (*s == '\n' || *s == '\r') {
			while (s[1] == '\n' || s[1] == '\r' || s[1] == '\t' || s[1] == ' ')
				s++;
			if (s[1] && j + 2 < len) {
				out[j++] = ';';
				out[j++] = ' ';
			}
		} else
			out[j++] = *s == '\t' ? ' ' : *s;
	}
	while (j > 0 && (out[j - 1] == ' ' || out[j - 1] == ';'))
		j--;
	out[j] = '\0';
	return out;
}

static int exec_ok(PGconn *conn, const char *sql, char *err, size_t errlen)
{
	PGresult *r = PQexec(conn, sql);
	ExecStatusType st = PQresultStatus(r);
	int rc = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK ? 0 : -1;
	if (rc) {
		char line[512];
		snprintf(err, errlen, "%s", one_line(PQresultErrorMessage(r), line, sizeof line));
		if (!*err)
			snprintf(err, errlen, "%s", one_line(PQerrorMessage(conn), line, sizeof line));
	}
	PQclear(r);
	return rc;
}

/* The server's notices and warnings go to the log, never to standard error. */
static void on_notice(void *arg, const char *message)
{
	(void)arg;
	char line[512];
	log_warn("PostgreSQL says: %s", one_line(message, line, sizeof line));
}

/* Connects, makes the schema and this session's staging tables. 0, or -1 with a message. */
static int writer_connect(struct pgsink *p, char *err, size_t errlen)
{
	/* Entries before dbname are defaults the connection string may override; the string expands in place. */
	const char *const keys[] = {"connect_timeout", "keepalives_idle", "keepalives_interval", "keepalives_count",
	                            "fallback_application_name", "dbname", NULL};
	const char *const vals[] = {"5", "15", "5", "3", "lookout", p->conninfo, NULL};
	PGconn *conn = PQconnectdbParams(keys, vals, 1);
	char line[512];
	if (!conn) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (PQstatus(conn) != CONNECTION_OK) {
		snprintf(err, errlen, "%s", one_line(PQerrorMessage(conn), line, sizeof line));
		PQfinish(conn);
		return -1;
	}
	PQsetNoticeProcessor(conn, on_notice, NULL);
	struct buf sql;
	buf_init(&sql);
	/* Serialised by an advisory lock so that hosts starting together do not race on CREATE IF NOT EXISTS. */
	int rc = buf_puts(&sql, "SET client_encoding = 'UTF8'; SET TIME ZONE 'UTC'; SET client_min_messages = warning;\n"
	                        "BEGIN; SELECT pg_advisory_xact_lock(7370566851137);\n");
	rc |= buf_puts(&sql, pgsink_schema_sql);
	rc |= buf_puts(&sql, "\nCOMMIT;\n"
	                     "CREATE TEMP TABLE lookout_samples_in (LIKE samples) ON COMMIT DELETE ROWS;\n"
	                     "CREATE TEMP TABLE lookout_alerts_in (LIKE alerts) ON COMMIT DELETE ROWS;\n");
	if (rc) {
		snprintf(err, errlen, "out of memory");
		buf_free(&sql);
		PQfinish(conn);
		return -1;
	}
	char why[400];
	if (exec_ok(conn, sql.data, why, sizeof why)) {
		snprintf(err, errlen, "creating the schema failed: %s", why);
		buf_free(&sql);
		PQfinish(conn);
		return -1;
	}
	buf_free(&sql);
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
	pthread_mutex_destroy(&p->lock);
	free(p);
}

/* The connection string from LOOKOUT_PG_URL_FILE: the file's text without surrounding blanks. */
static char *read_conninfo_file(const char *path, char *err, size_t errlen)
{
	size_t len;
	char *text = read_file(path, &len);
	if (!text) {
		snprintf(err, errlen, "cannot read LOOKOUT_PG_URL_FILE %s: %s", path, strerror(errno));
		return NULL;
	}
	while (len && (text[len - 1] == '\n' || text[len - 1] == '\r' || text[len - 1] == ' ' || text[len - 1] == '\t'))
		text[--len] = '\0';
	size_t skip = strspn(text, " \t\r\n");
	memmove(text, text + skip, len - skip + 1);
	if (!*text) {
		snprintf(err, errlen, "LOOKOUT_PG_URL_FILE %s is empty", path);
		free(text);
		return NULL;
	}
	return text;
}

int pgsink_start(const struct config *cfg, struct collector *c, struct pgsink **out, char *err, size_t errlen)
{
	*out = NULL;
	bool have_url = cfg->pg_url && *cfg->pg_url, have_file = cfg->pg_url_file && *cfg->pg_url_file;
	if (!have_url && !have_file)
		return 0;
	if (have_url && have_file) {
		snprintf(err, errlen, "LOOKOUT_PG_URL (--pg) and LOOKOUT_PG_URL_FILE are both set: set one");
		return -1;
	}
	struct pgsink *p = calloc(1, sizeof *p);
	if (!p) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	pthread_mutex_init(&p->lock, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&p->wake, &ca);
	pthread_condattr_destroy(&ca);
	buf_init(&p->copy);
	p->c = c;
	p->cap = (size_t)cfg->pg_buffer_rows;
	char why[512];
	if (have_file) {
		if (!(p->conninfo = read_conninfo_file(cfg->pg_url_file, err, errlen)))
			goto fail;
		if (pgsink_conninfo_check(p->conninfo, p->desc, sizeof p->desc, why, sizeof why) < 0) {
			snprintf(err, errlen, "LOOKOUT_PG_URL_FILE %s: %s", cfg->pg_url_file, why);
			goto fail;
		}
	} else {
		int rc = pgsink_conninfo_check(cfg->pg_url, p->desc, sizeof p->desc, why, sizeof why);
		if (rc < 0) {
			snprintf(err, errlen, "invalid LOOKOUT_PG_URL (--pg): %s", why);
			goto fail;
		}
		if (rc > 0) {
			snprintf(err, errlen, "LOOKOUT_PG_URL (--pg) holds a password, which would show in ps and in the "
			                      "environment of every child: put it in PGPASSWORD or PGPASSFILE (~/.pgpass), "
			                      "or the whole connection string in a file named by LOOKOUT_PG_URL_FILE");
			goto fail;
		}
		if (!(p->conninfo = strdup(cfg->pg_url))) {
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
	}
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
	if (e) {
		snprintf(err, errlen, "cannot start the PostgreSQL sink's threads: %s", strerror(e));
		goto fail;
	}
	log_info("PostgreSQL: writing samples and alerts to %s (buffer %zu rows)", p->desc, p->cap);
	*out = p;
	return 0;
fail:
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
	pthread_mutex_unlock(&p->lock);
	if (p->feeder_started)
		pthread_join(p->feeder, NULL);
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
