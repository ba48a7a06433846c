/* notifyha.c — the notifier's high availability with libpq: one thread holds a dedicated connection, competes
 * for the advisory lock every second, writes the records of sent email and looks up which held emails the
 * active instance already sent. The notifier only asks it, in memory, whether to send. It does not send mail
 * and keeps nothing on disk. */
#include "autoconfig.h"
#include "notifyha.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "pgconn.h"
#include "util.h"

#define LOCK_CLASS "7370566" /* first half of the two-int advisory lock; the second is hashtext(group) */
#define STOP_FLUSH_MS 5000
#define MAX_RECORDS 10000 /* unwritten records kept while the database is away */

struct hakey {
	char host[256];
	char container_id[65];
	char container[ALERT_NAME_MAX];
	enum alert_kind kind;
	bool firing;
	int64_t since_ms;
};

struct hamsg {
	char id[80];
	struct hakey *keys;
	size_t nkeys;
	bool recorded; /* every alert of it is in notify_sent: another instance emailed it */
	bool mine;     /* queued while this instance was the active one: only it can have sent it, so it is not
	                * looked up (a later episode within the match window is not taken for an earlier one) */
};

struct harec {
	struct hakey k;
	char msg_id[80];
	bool sent; /* false: refused for good */
};

enum ha_state { HA_NODB = 0, HA_STANDBY, HA_ACTIVE };

struct notifyha {
	char *conninfo;
	char desc[512];
	char group[256];
	char instance[300];
	int64_t match_ms;

	pthread_mutex_t mu;
	pthread_cond_t cv; /* CLOCK_MONOTONIC */
	struct hamsg *msgs;
	size_t nmsgs;
	struct harec *recs;
	size_t nrecs;
	enum ha_state state;
	int64_t nodb_since_ns; /* monotonic */
	bool failopen_said;
	bool stop;
	int64_t stop_deadline_ns;
	pthread_t thr;
	bool started;

	/* the thread only */
	PGconn *conn;
	struct complaint conn_complaint, write_complaint;
};

static void msg_free(struct hamsg *m) { free(m->keys); }

/* ---- the notifier's side: in memory, under mu ------------------------------------------------------------ */

static struct hamsg *find_msg(struct notifyha *h, const char *id)
{
	for (size_t i = 0; i < h->nmsgs; i++)
		if (strcmp(h->msgs[i].id, id) == 0)
			return &h->msgs[i];
	return NULL;
}

static void remove_msg(struct notifyha *h, struct hamsg *m)
{
	msg_free(m);
	size_t i = (size_t)(m - h->msgs);
	memmove(m, m + 1, (h->nmsgs - i - 1) * sizeof *m);
	h->nmsgs--;
}

void notifyha_queued(struct notifyha *h, const char *msg_id, const struct email_item *items, size_t n)
{
	if (!h || !n)
		return;
	struct hakey *keys = calloc(n, sizeof *keys);
	if (!keys) {
		log_error("notifier HA: out of memory: email %s is sent as if this instance were the only one", msg_id);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		const struct alert_transition *t = &items[i].t;
		snprintf(keys[i].host, sizeof keys[i].host, "%s", t->host); /* the engine's label: both instances agree */
		snprintf(keys[i].container_id, sizeof keys[i].container_id, "%s", t->container_id);
		snprintf(keys[i].container, sizeof keys[i].container, "%s", t->container);
		keys[i].kind = t->kind;
		keys[i].firing = t->firing;
		keys[i].since_ms = t->since_ms > 0 ? t->since_ms : t->ts_ms;
	}
	pthread_mutex_lock(&h->mu);
	struct hamsg *grown = realloc(h->msgs, (h->nmsgs + 1) * sizeof *grown);
	if (!grown) {
		pthread_mutex_unlock(&h->mu);
		free(keys);
		log_error("notifier HA: out of memory: email %s is sent as if this instance were the only one", msg_id);
		return;
	}
	h->msgs = grown;
	struct hamsg *m = &h->msgs[h->nmsgs++];
	memset(m, 0, sizeof *m);
	snprintf(m->id, sizeof m->id, "%s", msg_id);
	m->keys = keys;
	m->nkeys = n;
	m->mine = h->state == HA_ACTIVE;
	pthread_cond_signal(&h->cv); /* a standby looks it up at once */
	pthread_mutex_unlock(&h->mu);
}

enum notifyha_verdict notifyha_gate(struct notifyha *h, const char *msg_id, int64_t created_ms, int64_t now_ms,
                                    char *why, size_t whylen)
{
	if (!h)
		return NOTIFYHA_SEND;
	char dummy[8];
	if (!why) {
		why = dummy;
		whylen = sizeof dummy;
	}
	why[0] = '\0';
	pthread_mutex_lock(&h->mu);
	enum notifyha_verdict v;
	struct hamsg *m = find_msg(h, msg_id);
	bool failopen = h->state == HA_NODB && now_mono_ns() - h->nodb_since_ns >= (int64_t)NOTIFYHA_FAILOPEN_MS * 1000000;
	if (m && m->recorded) {
		snprintf(why, whylen, "another lookout already emailed its alerts (recorded in PostgreSQL)");
		remove_msg(h, m);
		v = NOTIFYHA_DROP;
	} else if (h->state == HA_ACTIVE) {
		v = NOTIFYHA_SEND;
	} else if (failopen) {
		if (!h->failopen_said) {
			log_warn("notifier HA: PostgreSQL has been unreachable for %d s: sending email without coordination "
			         "(another lookout may send the same alerts: duplicates rather than silence)",
			         NOTIFYHA_FAILOPEN_MS / 1000);
			h->failopen_said = true;
		}
		v = NOTIFYHA_SEND;
	} else if (now_ms - created_ms > NOTIFYHA_HOLD_MAX_MS) {
		snprintf(why, whylen, "held for %d min and never recorded as sent by the active lookout (its policy "
		                      "decided otherwise)", NOTIFYHA_HOLD_MAX_MS / 60000);
		if (m)
			remove_msg(h, m);
		v = NOTIFYHA_DROP;
	} else {
		snprintf(why, whylen, "%s", h->state == HA_STANDBY ? "another lookout holds the lock" : "waiting for PostgreSQL");
		v = NOTIFYHA_HOLD;
	}
	pthread_mutex_unlock(&h->mu);
	return v;
}

void notifyha_done(struct notifyha *h, const char *msg_id, bool sent)
{
	if (!h)
		return;
	pthread_mutex_lock(&h->mu);
	struct hamsg *m = find_msg(h, msg_id);
	if (m) {
		size_t want = h->nrecs + m->nkeys;
		struct harec *grown = want <= MAX_RECORDS ? realloc(h->recs, want * sizeof *grown) : NULL;
		if (!grown) {
			log_error("notifier HA: cannot keep the record of email %s (%zu records wait for the database): a "
			          "lookout taking over may send it again", msg_id, h->nrecs);
		} else {
			h->recs = grown;
			for (size_t i = 0; i < m->nkeys; i++) {
				struct harec *r = &h->recs[h->nrecs++];
				r->k = m->keys[i];
				snprintf(r->msg_id, sizeof r->msg_id, "%s", msg_id);
				r->sent = sent;
			}
		}
		remove_msg(h, m);
		pthread_cond_signal(&h->cv);
	}
	pthread_mutex_unlock(&h->mu);
}

/* ---- the thread: connection, lock, records ---------------------------------------------------------------- */

/* why may point into the connection's own buffer (PQerrorMessage): it is copied before the connection goes. */
static void disconnect(struct notifyha *h, const char *why_in_conn)
{
	char why[512];
	pgconn_one_line(why_in_conn, why, sizeof why);
	PQfinish(h->conn);
	h->conn = NULL;
	pthread_mutex_lock(&h->mu);
	enum ha_state was = h->state;
	h->state = HA_NODB;
	h->nodb_since_ns = now_mono_ns();
	h->failopen_said = false;
	pthread_mutex_unlock(&h->mu);
	log_complain(&h->conn_complaint, LOG_ERROR,
	             "notifier HA: lost the connection to PostgreSQL at %s (%s)%s; email waits for it up to %d s, then is "
	             "sent without coordination", h->desc, why,
	             was == HA_ACTIVE ? ": the lock is released, another lookout may take over" : "",
	             NOTIFYHA_FAILOPEN_MS / 1000);
}

/* Writes the records waiting. 0, or -1 when the connection failed (the records stay). */
static int write_records(struct notifyha *h)
{
	pthread_mutex_lock(&h->mu);
	size_t n = h->nrecs;
	struct harec *recs = n ? malloc(n * sizeof *recs) : NULL;
	if (recs)
		memcpy(recs, h->recs, n * sizeof *recs);
	pthread_mutex_unlock(&h->mu);
	if (!recs)
		return 0;
	static const char sql[] =
		"INSERT INTO notify_sent (host, container_id, alert, state, since, container, message_id, outcome, instance) "
		"VALUES ($1, $2, $3, $4, $5::timestamptz, $6, $7, $8, $9) ON CONFLICT DO NOTHING";
	size_t done = 0;
	int rc = 0;
	for (; done < n; done++) {
		const struct harec *r = &recs[done];
		char since[40];
		fmt_iso8601_ms(r->k.since_ms, since, sizeof since);
		const char *v[9] = {r->k.host, r->k.container_id, alert_kind_name(r->k.kind),
		                    r->k.firing ? "firing" : "resolved", since, r->k.container, r->msg_id,
		                    r->sent ? "sent" : "refused", h->instance};
		PGresult *res = PQexecParams(h->conn, sql, 9, NULL, v, NULL, NULL, 0);
		bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
		char line[512];
		if (!ok)
			pgconn_one_line(PQresultErrorMessage(res), line, sizeof line);
		PQclear(res);
		if (!ok) {
			if (PQstatus(h->conn) != CONNECTION_OK) {
				rc = -1;
				break;
			}
			/* refused by the server itself: dropped, or it would block every later record */
			log_complain(&h->write_complaint, LOG_ERROR, "notifier HA: recording email %s failed: %s", r->msg_id, line);
		}
	}
	if (done == n)
		log_complain_clear(&h->write_complaint, "notifier HA: sent email is being recorded again");
	pthread_mutex_lock(&h->mu);
	/* New records may have been appended meanwhile: only the first `done` are removed. */
	memmove(h->recs, h->recs + done, (h->nrecs - done) * sizeof *h->recs);
	h->nrecs -= done;
	pthread_mutex_unlock(&h->mu);
	if (done)
		log_debug("notifier HA: recorded %zu sent alert(s) in PostgreSQL", done);
	free(recs);
	return rc;
}

/* Looks up the held messages: those whose every alert is recorded are marked. 0, or -1 (connection lost). */
static int refresh_held(struct notifyha *h)
{
	pthread_mutex_lock(&h->mu);
	size_t n = 0;
	for (size_t i = 0; i < h->nmsgs; i++)
		n += !h->msgs[i].recorded && !h->msgs[i].mine;
	char (*ids)[80] = n ? calloc(n, sizeof *ids) : NULL;
	struct hamsg *copies = n ? calloc(n, sizeof *copies) : NULL;
	size_t k = 0;
	for (size_t i = 0; ids && copies && i < h->nmsgs; i++) {
		if (h->msgs[i].recorded || h->msgs[i].mine)
			continue;
		struct hakey *keys = malloc(h->msgs[i].nkeys * sizeof *keys);
		if (!keys)
			break;
		memcpy(keys, h->msgs[i].keys, h->msgs[i].nkeys * sizeof *keys);
		snprintf(ids[k], sizeof ids[k], "%s", h->msgs[i].id);
		copies[k] = (struct hamsg){.keys = keys, .nkeys = h->msgs[i].nkeys};
		k++;
	}
	pthread_mutex_unlock(&h->mu);
	int rc = 0;
	if (k == 0) {
		/* nothing held: a ping, so that a lost connection (and so a lost lock) is noticed within a second */
		PGresult *res = PQexec(h->conn, "SELECT 1");
		rc = PQresultStatus(res) == PGRES_TUPLES_OK ? 0 : -1;
		PQclear(res);
	}
	static const char sql[] =
		"SELECT 1 FROM notify_sent WHERE host = $1 AND container_id = $2 AND alert = $3 AND state = $4 AND since "
		"BETWEEN $5::timestamptz - $6::int * interval '1 millisecond' AND $5::timestamptz + $6::int * interval "
		"'1 millisecond' LIMIT 1";
	char match[32];
	snprintf(match, sizeof match, "%lld", (long long)h->match_ms);
	for (size_t i = 0; i < k && rc == 0; i++) {
		bool all = true;
		for (size_t j = 0; j < copies[i].nkeys && all && rc == 0; j++) {
			const struct hakey *key = &copies[i].keys[j];
			char since[40];
			fmt_iso8601_ms(key->since_ms, since, sizeof since);
			const char *v[6] = {key->host, key->container_id, alert_kind_name(key->kind),
			                    key->firing ? "firing" : "resolved", since, match};
			PGresult *res = PQexecParams(h->conn, sql, 6, NULL, v, NULL, NULL, 0);
			if (PQresultStatus(res) != PGRES_TUPLES_OK)
				rc = -1;
			else
				all = PQntuples(res) > 0;
			PQclear(res);
		}
		if (rc == 0 && all) {
			pthread_mutex_lock(&h->mu);
			struct hamsg *m = find_msg(h, ids[i]);
			if (m)
				m->recorded = true;
			pthread_mutex_unlock(&h->mu);
		}
	}
	for (size_t i = 0; i < k; i++)
		free(copies[i].keys);
	free(copies);
	free(ids);
	return rc;
}

/* One round: connect, write records, compete for the lock, look up held messages. */
static void round_once(struct notifyha *h)
{
	char err[512];
	if (!h->conn) {
		h->conn = pgconn_open(h->conninfo, true, err, sizeof err);
		if (!h->conn) {
			log_complain(&h->conn_complaint, LOG_ERROR,
			             "notifier HA: cannot connect to PostgreSQL at %s: %s (email waits up to %d s after the "
			             "connection is lost, then is sent without coordination; retrying every second)",
			             h->desc, err, NOTIFYHA_FAILOPEN_MS / 1000);
			return;
		}
		/* A database that hangs rather than fails must not hold up the records (nor the stop) for long. */
		if (pgconn_exec(h->conn, "SET statement_timeout = 5000", err, sizeof err)) {
			disconnect(h, err);
			return;
		}
		log_complain_clear(&h->conn_complaint, "notifier HA: connected to PostgreSQL at %s again", h->desc);
		log_info("notifier HA: connected to PostgreSQL at %s (group \"%s\", instance %s)", h->desc, h->group,
		         h->instance);
	}
	if (write_records(h)) {
		disconnect(h, PQerrorMessage(h->conn));
		return;
	}
	pthread_mutex_lock(&h->mu);
	enum ha_state st = h->state;
	pthread_mutex_unlock(&h->mu);
	if (st != HA_ACTIVE) {
		const char *v[1] = {h->group};
		PGresult *res = PQexecParams(h->conn, "SELECT pg_try_advisory_lock(" LOCK_CLASS ", hashtext($1))", 1, NULL, v,
		                             NULL, NULL, 0);
		bool ok = PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1;
		bool got = ok && strcmp(PQgetvalue(res, 0, 0), "t") == 0;
		PQclear(res);
		if (!ok) {
			disconnect(h, PQerrorMessage(h->conn));
			return;
		}
		if (got) {
			/* Before sending anything: what the previous sender recorded is looked up first. */
			if (refresh_held(h)) {
				disconnect(h, PQerrorMessage(h->conn));
				return;
			}
			pthread_mutex_lock(&h->mu);
			size_t held = h->nmsgs;
			h->state = HA_ACTIVE;
			h->failopen_said = false;
			pthread_mutex_unlock(&h->mu);
			log_info("notifier HA: took the lock of group \"%s\": this lookout now sends the email (%s; %zu email(s) "
			         "on hold are sent unless already recorded as sent)",
			         h->group, st == HA_STANDBY ? "taking over from the lookout that held it" : "no other held it",
			         held);
			return;
		}
		if (st != HA_STANDBY) {
			pthread_mutex_lock(&h->mu);
			h->state = HA_STANDBY;
			h->failopen_said = false;
			pthread_mutex_unlock(&h->mu);
			log_info("notifier HA: another lookout holds the lock of group \"%s\" and sends the email: standing by "
			         "(trying every second)", h->group);
		}
	}
	if (refresh_held(h))
		disconnect(h, PQerrorMessage(h->conn));
}

static void *thread_main(void *arg)
{
	struct notifyha *h = arg;
	pthread_mutex_lock(&h->mu);
	while (!h->stop) {
		pthread_mutex_unlock(&h->mu);
		round_once(h);
		int64_t until = now_mono_ns() + (int64_t)NOTIFYHA_HOLD_RETRY_MS * 1000000;
		struct timespec ts = {until / 1000000000LL, until % 1000000000LL};
		pthread_mutex_lock(&h->mu);
		if (!h->stop)
			pthread_cond_timedwait(&h->cv, &h->mu, &ts);
	}
	pthread_mutex_unlock(&h->mu);
	/* The stop: the records are written before the session (and with it the lock) ends. */
	while (h->conn && h->nrecs && now_mono_ns() < h->stop_deadline_ns) {
		size_t before = h->nrecs;
		if (write_records(h) || h->nrecs == before) {
			PQfinish(h->conn);
			h->conn = NULL;
		}
	}
	if (h->nrecs)
		log_error("notifier HA: %zu record(s) of sent email could not be written before the stop: a lookout taking "
		          "over may send those alerts again", h->nrecs);
	PQfinish(h->conn);
	h->conn = NULL;
	return NULL;
}

/* ---- start and stop ---------------------------------------------------------------------------------------- */

static void ha_free(struct notifyha *h)
{
	if (!h)
		return;
	for (size_t i = 0; i < h->nmsgs; i++)
		msg_free(&h->msgs[i]);
	free(h->msgs);
	free(h->recs);
	if (h->conninfo) {
		explicit_bzero(h->conninfo, strlen(h->conninfo));
		free(h->conninfo);
	}
	pthread_cond_destroy(&h->cv);
	pthread_mutex_destroy(&h->mu);
	free(h);
}

int notifyha_start(const struct config *cfg, struct notifyha **out, char *err, size_t errlen)
{
	*out = NULL;
	if (cfg->notify_ha == 0)
		return 0;
	struct notifyha *h = calloc(1, sizeof *h);
	if (!h) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	pthread_mutex_init(&h->mu, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&h->cv, &ca);
	pthread_condattr_destroy(&ca);
	char why[1024];
	int have = pgconn_conninfo(cfg, &h->conninfo, h->desc, sizeof h->desc, why, sizeof why);
	if (have <= 0) {
		if (have == 0)
			snprintf(err, errlen, "LOOKOUT_NOTIFY_HA=pg needs the database: set LOOKOUT_PG_URL (--pg) or "
			                      "LOOKOUT_PG_URL_FILE");
		else
			snprintf(err, errlen, "LOOKOUT_NOTIFY_HA=pg: %s", why);
		ha_free(h);
		return -1;
	}
	snprintf(h->group, sizeof h->group, "%s", cfg->notify_ha_group && *cfg->notify_ha_group ? cfg->notify_ha_group
	                                                                                        : "lookout");
	char host[256] = "";
	if (gethostname(host, sizeof host - 1))
		host[0] = '\0';
	snprintf(h->instance, sizeof h->instance, "%s pid %ld", host, (long)getpid());
	h->match_ms = (int64_t)(cfg->interval_s * 3000) + 2000;
	h->state = HA_NODB;
	h->nodb_since_ns = now_mono_ns();
	/* The thread starts with every signal blocked: the process's own thread takes them (SIGTERM must reach
	 * the daemon's sigwait, not end the process here). */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	int e = pthread_create(&h->thr, NULL, thread_main, h);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (e) {
		snprintf(err, errlen, "cannot start the notifier HA thread: %s", strerror(e));
		ha_free(h);
		return -1;
	}
	h->started = true;
	log_info("notifier HA: on, through PostgreSQL at %s: only the lookout holding the lock of group \"%s\" sends "
	         "email; alerts matched across lookouts within %lld ms of their start",
	         h->desc, h->group, (long long)h->match_ms);
	*out = h;
	return 0;
}

void notifyha_stop(struct notifyha *h)
{
	if (!h)
		return;
	pthread_mutex_lock(&h->mu);
	h->stop = true;
	h->stop_deadline_ns = now_mono_ns() + (int64_t)STOP_FLUSH_MS * 1000000;
	pthread_cond_signal(&h->cv);
	pthread_mutex_unlock(&h->mu);
	if (h->started)
		pthread_join(h->thr, NULL);
	ha_free(h);
}
