/* collector.c — the collector thread: applies what discovery reports, samples each watched container every
 * interval from its cgroup files or the engine's stats API, appends history and publishes snapshots.
 * It owns all mutable monitoring state; everything else reads snapshots. */
#include "collector.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "alertlog.h"
#include "cgroup.h"
#include "engines.h"
#include "log.h"
#include "metrics.h"
#include "probe.h"
#include "rules.h"
#include "statstream.h"
#include "util.h"
#include "watcher.h"

enum msg_kind { M_ENGINE, M_INFO, M_EVENT, M_LIST };

struct msg {
	struct msg *next;
	enum msg_kind kind;
	unsigned engine; /* index into the collector's engines */
	union {
		struct {
			bool up;
			struct docker_version v;
			char host[256];
			char error[512];
		} engine;
		struct container_info info;
		struct docker_event event;
		struct {
			char (*ids)[65];
			size_t n;
		} list;
	} u;
};

/* One container the collector knows of (watched or not). */
struct tracked {
	unsigned engine; /* index into the collector's engines: (engine, id) is the key */
	char id[65];
	struct shared_info *si;
	enum container_state state;
	enum container_health health;
	int64_t state_since_ms;
	int restarts, exit_code;
	bool oom_killed;
	bool watched, ran_while_watched;
	struct cgroup_reader *cg;
	int cg_pid;
	bool cg_unusable; /* cgroup_open failed for this pid: use the API (auto) */
	bool api_watching;
	struct sample prev, cur;
	bool have_prev, have_cur;
	struct metrics m;
	bool have_metrics;
	enum metric_source src;
	struct series hist;
	struct series hist_min;     /* a day at one point a minute: the averages of the minute's ticks */
	struct series_acc acc;      /* the minute being summed for hist_min */
	struct complaint complaint;
	char *probe_url;            /* the URL the prober has for it, NULL = none */
	bool have_probe;
	struct probe_result probe;
	struct complaint probe_complaint;
};

/* One Docker engine the collector watches: its own discovery, stats streams, source choice and connection
 * state. Everything but the discovery thread's callbacks runs on the collector thread. */
struct engine {
	struct collector *c;
	unsigned idx;
	char url[512];           /* as configured; "" = DOCKER_HOST or the default sockets */
	char conf_name[256];     /* NAME= given on --host, or "" */
	char label[256];         /* the host label: fixed once label_fixed (a configured NAME is fixed at start) */
	bool label_fixed;
	char endpoint[512];
	enum source_kind source; /* cgroup files only for a local (unix://) engine under auto */
	struct watcher *watcher;
	struct statstream *stats;
	bool up, known, listed;
	int64_t since_ms;        /* when up last changed (or it first answered or failed) */
	struct docker_version version;
	char error[512];
};

/* The day-long series: 24 hours at one point a minute. */
#define MINUTE_HISTORY_POINTS (24 * 60)

struct collector {
	struct collector_opts o;
	char **names; /* owned copy of o.names */
	char *docker_host, *host_root;
	struct host_facts host;
	struct engine *eng;         /* every engine, in configured order */
	size_t neng;
	struct prober *prober;      /* created when the first container has a health URL */
	char **probes;              /* owned copy of o.probes */
	char *rules_state_path;     /* NULL: rule state is not kept between runs */
	struct rules_config rules_cfg;
	struct rules *rules;        /* NULL: no rules */
	struct alert_history *alerts; /* the recent transitions the last snapshot carries */
	struct rules_state_text *rules_state; /* the rules' state after the newest transition (with a state file) */
	struct complaint rules_complaint;

	pthread_t thread;
	bool started, stopped;
	pthread_mutex_t lock; /* guards the queue, latest, stop, interrupts */
	pthread_cond_t cond;  /* the collector waits on it for messages and ticks (CLOCK_MONOTONIC) */
	pthread_cond_t published; /* readers wait on it for snapshots (CLOCK_MONOTONIC) */
	struct msg *head, *tail;
	bool stop;
	struct snapshot *latest;
	struct snapshot *latest_tick; /* the newest snapshot published by a tick (guarded by lock) */
	uint64_t seq, tick;
	uint64_t interrupts; /* collector_interrupt calls: readers' waits end when it changes */

	/* Collector-thread state. */
	struct tracked **t;
	size_t nt, capt;
	int64_t tick_wall_ms;
	size_t history_points;
	uint64_t self_cpu_ns_prev;
	int64_t self_mono_prev;
	double self_cpu_pct;
	uint64_t self_rss;
	int statm_fd; /* /proc/self/statm, kept open; -1 when it could not be opened (no RSS then) */
};

/* ---- the queue (any thread) ------------------------------------------------------------------------ */

static void post(struct engine *e, struct msg *m)
{
	struct collector *c = e->c;
	m->engine = e->idx;
	m->next = NULL;
	pthread_mutex_lock(&c->lock);
	if (c->tail)
		c->tail->next = m;
	else
		c->head = m;
	c->tail = m;
	pthread_cond_signal(&c->cond);
	pthread_mutex_unlock(&c->lock);
}

static void msg_free(struct msg *m)
{
	if (m->kind == M_INFO)
		container_info_free(&m->u.info);
	else if (m->kind == M_LIST)
		free(m->u.list.ids);
	free(m);
}

static void cb_engine(void *arg, const struct docker_version *v, const char *host, const char *error)
{
	struct msg *m = calloc(1, sizeof *m);
	if (!m)
		return;
	m->kind = M_ENGINE;
	m->u.engine.up = v != NULL;
	if (v)
		m->u.engine.v = *v;
	snprintf(m->u.engine.host, sizeof m->u.engine.host, "%s", host ? host : "");
	snprintf(m->u.engine.error, sizeof m->u.engine.error, "%s", error ? error : "");
	post(arg, m);
}

static void cb_info(void *arg, struct container_info *info)
{
	struct msg *m = calloc(1, sizeof *m);
	if (!m)
		return; /* the next list heals it */
	m->kind = M_INFO;
	m->u.info = *info;
	memset(info, 0, sizeof *info);
	post(arg, m);
}

static void cb_event(void *arg, const struct docker_event *ev)
{
	struct msg *m = calloc(1, sizeof *m);
	if (!m)
		return;
	m->kind = M_EVENT;
	m->u.event = *ev;
	post(arg, m);
}

static void cb_listed(void *arg, const char (*ids)[65], size_t n)
{
	struct msg *m = calloc(1, sizeof *m);
	if (!m)
		return;
	m->kind = M_LIST;
	m->u.list.ids = malloc((n ? n : 1) * sizeof *m->u.list.ids);
	if (!m->u.list.ids) {
		free(m);
		return;
	}
	memcpy(m->u.list.ids, ids, n * sizeof *ids);
	m->u.list.n = n;
	post(arg, m);
}

/* ---- selection ------------------------------------------------------------------------------------- */

bool collector_selects(const struct collector_opts *o, const struct container_info *info)
{
	if (o->label_enable) {
		const char *v = container_label(info, "lookout.enable");
		if (!v || strcmp(v, "true") != 0)
			return false;
	}
	if (o->nnames == 0)
		return true;
	for (size_t i = 0; i < o->nnames; i++) {
		const char *n = o->names[i];
		size_t len = strlen(n);
		if (info->name && strcmp(info->name, n) == 0)
			return true;
		if (len >= 4 && strncmp(info->id, n, len) == 0)
			return true;
	}
	return false;
}

static bool is_live(enum container_state s)
{
	return s == CSTATE_RUNNING || s == CSTATE_PAUSED || s == CSTATE_RESTARTING;
}

static void decide_watched(struct collector *c, struct tracked *t)
{
	if (!t->si || !collector_selects(&c->o, &t->si->info)) {
		t->watched = false;
		return;
	}
	/* One the restored alert state knows was watched before this process began: a stopped container whose
	 * container_down is firing must stay in view, or it would resolve as "removed". */
	if (is_live(t->state) || (c->rules && !c->eng[t->engine].listed && rules_knows(c->rules, t->id)))
		t->ran_while_watched = true;
	t->watched = is_live(t->state) || t->ran_while_watched || c->o.all;
}

/* ---- tracked containers (collector thread) --------------------------------------------------------- */

/* The name for messages: the engine may omit it, the id is always there. */
static const char *display_name(const struct tracked *t)
{
	return t->si && t->si->info.name && *t->si->info.name ? t->si->info.name : t->id;
}

static struct tracked *find(struct collector *c, unsigned eng, const char *id)
{
	for (size_t i = 0; i < c->nt; i++)
		if (c->t[i]->engine == eng && strcmp(c->t[i]->id, id) == 0)
			return c->t[i];
	return NULL;
}

static struct tracked *find_or_add(struct collector *c, unsigned eng, const char *id)
{
	struct tracked *t = find(c, eng, id);
	if (t)
		return t;
	if (grow_array(&c->t, &c->capt, c->nt, sizeof *c->t, 32) || !(t = calloc(1, sizeof *t)))
		return NULL;
	if (series_init(&t->hist, c->history_points, (int64_t)(c->o.interval_s * 1000))) {
		free(t);
		return NULL;
	}
	if (series_init(&t->hist_min, MINUTE_HISTORY_POINTS, 60000)) {
		series_free(&t->hist);
		free(t);
		return NULL;
	}
	snprintf(t->id, sizeof t->id, "%s", id);
	t->engine = eng;
	t->exit_code = -1;
	c->t[c->nt++] = t;
	return t;
}

static void stop_sampling(struct collector *c, struct tracked *t)
{
	cgroup_close(t->cg);
	t->cg = NULL;
	t->cg_pid = 0;
	t->cg_unusable = false;
	struct statstream *stats = c->eng[t->engine].stats;
	if (t->api_watching && stats)
		statstream_unwatch(stats, t->id);
	t->api_watching = false;
	t->have_prev = t->have_cur = t->have_metrics = false;
}

static void stop_probing(struct collector *c, struct tracked *t)
{
	if (t->probe_url && c->prober)
		prober_unwatch(c->prober, t->id);
	free(t->probe_url);
	t->probe_url = NULL;
	t->have_probe = false;
}

static void drop(struct collector *c, size_t i)
{
	struct tracked *t = c->t[i];
	stop_sampling(c, t);
	stop_probing(c, t);
	shared_info_unref(t->si);
	series_free(&t->hist);
	series_free(&t->hist_min);
	free(t);
	c->t[i] = c->t[--c->nt];
}

static void set_state(struct tracked *t, enum container_state s, int64_t since_ms)
{
	if (t->state == s)
		return;
	t->state = s;
	t->state_since_ms = since_ms ? since_ms : now_wall_ms();
}

static void apply_info(struct collector *c, unsigned eng, struct container_info *info)
{
	struct tracked *t = find_or_add(c, eng, info->id);
	if (!t)
		return;
	struct shared_info *si = shared_info_new(info);
	if (!si)
		return;
	shared_info_unref(t->si);
	t->si = si;
	const struct container_info *in = &si->info;
	int64_t since = is_live(in->state) ? in->started_at_ms : in->finished_at_ms;
	bool first = t->state == CSTATE_UNKNOWN;
	set_state(t, in->state, since);
	if (first && !since)
		t->state_since_ms = 0; /* unknown, not "now" */
	t->health = in->health;
	t->restarts = in->restart_count;
	if (!is_live(in->state)) {
		t->exit_code = in->exit_code;
		t->oom_killed = in->oom_killed;
	}
	if ((t->cg || t->cg_unusable) && t->cg_pid != in->pid)
		stop_sampling(c, t); /* a new process: its cgroup is tried afresh */
	bool was = t->watched;
	decide_watched(c, t);
	if (t->watched && !was && in->name)
		log_info("watching %s (%.12s, %s)", in->name, t->id, container_state_name(t->state));
}

static void apply_event(struct collector *c, unsigned eng, const struct docker_event *ev)
{
	int64_t ms = ev->time_ns / 1000000;
	if (ev->action == DEV_DESTROY) {
		for (size_t i = 0; i < c->nt; i++)
			if (c->t[i]->engine == eng && strcmp(c->t[i]->id, ev->id) == 0) {
				if (c->t[i]->watched && c->t[i]->si)
					log_info("%s (%.12s) was removed", display_name(c->t[i]), ev->id);
				drop(c, i);
				break;
			}
		return;
	}
	struct tracked *t = find(c, eng, ev->id);
	if (!t)
		return; /* the inspect that follows creates it */
	const char *name = t->si && t->si->info.name ? t->si->info.name : ev->name;
	switch (ev->action) {
	case DEV_START:
	case DEV_UNPAUSE:
		if (ev->action == DEV_START)
			t->oom_killed = false; /* a new run; the last one's OOM stays in the log */
		set_state(t, CSTATE_RUNNING, ms);
		if (t->watched || (t->si && collector_selects(&c->o, &t->si->info)))
			log_info("%s (%.12s) started", name, t->id);
		break;
	case DEV_DIE:
		set_state(t, CSTATE_EXITED, ms);
		t->exit_code = ev->exit_code;
		stop_sampling(c, t);
		if (t->watched)
			log_warn("%s (%.12s) died, exit code %d%s", name, t->id, ev->exit_code,
			         t->oom_killed ? " (out of memory)" : "");
		break;
	case DEV_OOM:
		t->oom_killed = true;
		if (t->cg)
			cgroup_recheck(t->cg); /* the OOM-kill counter is otherwise read only every 10 s */
		if (t->watched)
			log_warn("%s (%.12s) was killed for running out of memory", name, t->id);
		break;
	case DEV_PAUSE:
		set_state(t, CSTATE_PAUSED, ms);
		break;
	case DEV_UPDATE:
		if (t->cg)
			cgroup_recheck(t->cg); /* new limits: read them at the next sample, not in 10 s */
		break;
	case DEV_HEALTH:
		if (t->watched && t->health != ev->health)
			log_info("%s (%.12s) is %s", name, t->id, container_health_name(ev->health));
		/* Unhealthy waits for the inspect the watcher makes right after this event: it brings the check's
		 * output too, and an alert without the reason is half an alert. */
		if (ev->health != CHEALTH_UNHEALTHY)
			t->health = ev->health;
		break;
	default:
		break;
	}
	decide_watched(c, t);
}

static void apply_list(struct collector *c, unsigned eng, const char (*ids)[65], size_t n)
{
	c->eng[eng].listed = true;
	for (size_t i = 0; i < c->nt;) {
		bool present = c->t[i]->engine != eng;
		for (size_t k = 0; k < n && !present; k++)
			present = strcmp(c->t[i]->id, ids[k]) == 0;
		if (present)
			i++;
		else
			drop(c, i); /* removed while an event was missed */
	}
}

/* Fixes the host label of an engine given no NAME, the first time it answers (see engines_label). With one
 * engine the label is its reported host name, as the CSV host column has always been. */
static void fix_label(struct collector *c, struct engine *e, const char *reported)
{
	if (e->label_fixed)
		return;
	if (c->neng == 1) {
		snprintf(e->label, sizeof e->label, "%s", reported); /* "" when it reports none, as before */
	} else {
		const char *taken[64];
		size_t nt = 0;
		for (size_t i = 0; i < c->neng && nt < 64; i++)
			if (&c->eng[i] != e && (c->eng[i].label_fixed || c->eng[i].conf_name[0]))
				taken[nt++] = c->eng[i].label;
		engines_label(reported, e->endpoint, taken, nt, e->label, sizeof e->label);
	}
	e->label_fixed = true;
	if (c->neng > 1)
		log_info("engine %s is labelled %s", e->endpoint, e->label);
}

static void apply_engine(struct collector *c, struct engine *e, struct msg *m)
{
	if (m->u.engine.up) {
		if (!e->up)
			log_info("connected to Docker engine %s (API %s) at %s", m->u.engine.v.version,
			         m->u.engine.v.api_version, e->endpoint);
		e->version = m->u.engine.v;
		fix_label(c, e, m->u.engine.host);
		e->error[0] = '\0';
		if (e->stats && !e->up)
			statstream_engine_back(e->stats); /* streams waiting out a long back-off start now */
		if (!e->stats && e->source != SOURCE_CGROUP) {
			char err[512];
			e->stats = statstream_new(e->url, e->version.oneshot_stats, (int)(c->o.interval_s * 1000), err,
			                          sizeof err);
			if (!e->stats)
				log_error("the engine's stats API cannot be used at %s: %s", e->endpoint, err);
		}
	} else {
		if (e->up || !e->known || strcmp(e->error, m->u.engine.error) != 0) {
			if (c->neng > 1)
				log_error("Docker engine %s unreachable: %s (retrying)", e->endpoint, m->u.engine.error);
			else
				log_error("Docker engine unreachable: %s (retrying)", m->u.engine.error);
		}
		snprintf(e->error, sizeof e->error, "%s", m->u.engine.error);
	}
	if (e->up != m->u.engine.up || !e->known)
		e->since_ms = now_wall_ms();
	e->up = m->u.engine.up;
	e->known = true;
}

/* ---- sampling ------------------------------------------------------------------------------------- */

static double info_cpu_limit(const struct container_info *in)
{
	if (in->nano_cpus > 0)
		return (double)in->nano_cpus / 1e9;
	if (in->cpu_quota_us > 0)
		return (double)in->cpu_quota_us / (double)(in->cpu_period_us > 0 ? in->cpu_period_us : 100000);
	int n = cpuset_count(in->cpuset_cpus);
	return n > 0 ? n : 0;
}

static bool sample_cgroup(struct collector *c, struct tracked *t, struct sample *s)
{
	int pid = t->si ? t->si->info.pid : 0;
	char err[512];
	if (pid <= 0)
		return false;
	if (!t->cg && !t->cg_unusable) {
		t->cg_pid = pid;
		t->cg = cgroup_open(c->host_root, pid, err, sizeof err);
		/* A pid from a remote engine, or a stale one reused by another process, must not lend its cgroup:
		 * every driver's path (cgroupfs /docker/<id>, systemd docker-<id>.scope, libpod-<id>.scope) names
		 * the container. */
		if (t->cg && !strstr(cgroup_dir(t->cg), t->id)) {
			snprintf(err, sizeof err, "the cgroup of pid %d (%s) is not this container's", pid,
			         cgroup_dir(t->cg));
			cgroup_close(t->cg);
			t->cg = NULL;
		}
		if (!t->cg) {
			t->cg_unusable = true;
			if (c->eng[t->engine].source == SOURCE_CGROUP)
				log_complain(&t->complaint, LOG_WARN, "%s: cgroup files not readable: %s",
				             display_name(t), err);
			else
				log_info("%s: cgroup files not readable (%s); using the engine's stats API",
				         display_name(t), err);
			return false;
		}
	}
	if (!t->cg)
		return false;
	if (cgroup_read(t->cg, s, err, sizeof err)) {
		log_debug("%s: %s", display_name(t), err);
		cgroup_close(t->cg);
		t->cg = NULL; /* reopened when the engine reports a new pid */
		return false;
	}
	return true;
}

static bool sample_api(struct collector *c, struct tracked *t, struct sample *s)
{
	struct statstream *stats = c->eng[t->engine].stats;
	if (!stats)
		return false;
	if (!t->api_watching) {
		if (statstream_watch(stats, t->id) == 0)
			t->api_watching = true;
		return false;
	}
	if (statstream_latest(stats, t->id, s) != 1)
		return false;
	/* The stream delivers about once a second; the same document twice is no new sample. */
	if (t->have_cur && s->wall_ms == t->cur.wall_ms && s->cpu_usage_ns == t->cur.cpu_usage_ns)
		return false;
	return true;
}

/* The engine's stats API gave nothing new this tick. Its last numbers stand for a stream that is merely late,
 * but not for longer than a few of its deliveries (about one a second, or one per interval when polled), and
 * for hardly more than one when the engine no longer answers: streams opened before may still deliver while a
 * dockerd shuts down, but a stream that went quiet then is no measurement. Cgroup numbers are read from this
 * kernel and need no such rule. */
static bool api_numbers_stale(const struct collector *c, const struct tracked *t)
{
	double deliveries = c->eng[t->engine].up ? 4 : 1.5, floor_s = c->eng[t->engine].up ? 5 : 1.5;
	double limit_s = deliveries * c->o.interval_s > floor_s ? deliveries * c->o.interval_s : floor_s;
	return t->cur.mono_ns && (double)(now_mono_ns() - t->cur.mono_ns) > limit_s * 1e9;
}

static void sample_one(struct collector *c, struct tracked *t)
{
	struct sample s;
	memset(&s, 0, sizeof s);
	bool got = false;
	enum metric_source src = MSRC_NONE;
	enum source_kind source = c->eng[t->engine].source;
	if (t->state == CSTATE_RUNNING || t->state == CSTATE_PAUSED) {
		if (source != SOURCE_API && !(source == SOURCE_AUTO && t->cg_unusable)) {
			got = sample_cgroup(c, t, &s);
			src = MSRC_CGROUP;
		}
		if (!got && source != SOURCE_CGROUP && (source == SOURCE_API || t->cg_unusable)) {
			got = sample_api(c, t, &s);
			src = MSRC_API;
		}
	} else if (t->cg || t->api_watching) {
		stop_sampling(c, t);
	}
	if (!got) {
		if (!(t->state == CSTATE_RUNNING || t->state == CSTATE_PAUSED))
			t->have_metrics = false;
		else if (t->have_metrics && t->src == MSRC_API && api_numbers_stale(c, t))
			t->have_metrics = false; /* unknown, not the last numbers repeated as if measured */
		return; /* keep the last numbers of a running container whose stream is late */
	}
	if (!(s.have & SAMPLE_CPU_LIMIT) && t->si) {
		double lim = info_cpu_limit(&t->si->info);
		if (lim > 0) {
			s.cpu_limit_cpus = lim;
			s.have |= SAMPLE_CPU_LIMIT;
		}
	}
	if (!s.mono_ns)
		s.mono_ns = now_mono_ns();
	t->prev = t->cur;
	t->have_prev = t->have_cur;
	t->cur = s;
	t->have_cur = true;
	/* The engine already bounds an unlimited container by its own host's memory: only cgroup numbers need
	 * this host's. */
	static const struct host_facts engine_host = {0, 0};
	metrics_compute(t->have_prev ? &t->prev : NULL, &t->cur, src == MSRC_API ? &engine_host : &c->host, &t->m);
	t->have_metrics = true;
	t->src = src;
}

static bool up_of(const struct tracked *t)
{
	return t->state == CSTATE_RUNNING && t->health != CHEALTH_UNHEALTHY &&
	       !(t->have_probe && t->probe.failure != PROBE_OK);
}

/* The health URL of a container: --probe NAME=URL first, then its lookout.url label. */
const char *collector_probe_url(const struct collector_opts *o, const struct container_info *in)
{
	for (size_t i = 0; i < o->nprobes; i++) {
		const char *eq = strchr(o->probes[i], '=');
		if (eq && in->name && strlen(in->name) == (size_t)(eq - o->probes[i]) &&
		    strncmp(in->name, o->probes[i], (size_t)(eq - o->probes[i])) == 0)
			return eq + 1;
	}
	const char *v = container_label(in, "lookout.url");
	return v && *v ? v : NULL;
}

static const char *probe_url_of(const struct collector *c, const struct tracked *t)
{
	return collector_probe_url(&c->o, &t->si->info);
}

/* Hands the container's URL to the prober and takes its newest result; never waits for the network. */
static void probe_update(struct collector *c, struct tracked *t)
{
	const char *url = t->state == CSTATE_RUNNING && t->si ? probe_url_of(c, t) : NULL;
	if (!url) {
		stop_probing(c, t);
		return;
	}
	char err[512];
	if (!c->prober) {
		double tmo = c->o.probe_timeout_s > 0 ? c->o.probe_timeout_s : 5;
		c->prober = prober_new((long)(tmo * 1000), (int)(c->o.interval_s * 1000), err, sizeof err);
		if (!c->prober) {
			log_complain(&t->probe_complaint, LOG_ERROR, "HTTP probes cannot run: %s", err);
			return;
		}
	}
	if (!t->probe_url || strcmp(t->probe_url, url) != 0) {
		stop_probing(c, t);
		char shown[600];
		url_redact(url, shown, sizeof shown);
		if (prober_watch(c->prober, t->id, url)) {
			/* Configured but unusable: a failed check the user sees, not a silent no-op. */
			memset(&t->probe, 0, sizeof t->probe);
			t->probe.response_ms = -1;
			t->probe.failure = PROBE_OTHER;
			snprintf(t->probe.error, sizeof t->probe.error, "%.200s is not an http:// or https:// URL", shown);
			t->have_probe = true;
			return;
		}
		t->probe_url = strdup(url);
		if (!t->probe_url) {
			prober_unwatch(c->prober, t->id);
			return;
		}
	}
	struct probe_result r;
	if (prober_latest(c->prober, t->id, &r) == 1) {
		if (r.failure != PROBE_OK) {
			/* The URL goes with the reason: a person must see which check failed. */
			char shown[600], why[256];
			url_redact(url, shown, sizeof shown);
			snprintf(why, sizeof why, "%s", r.error);
			snprintf(r.error, sizeof r.error, "%.120s: %.120s", shown, why);
		}
		t->probe = r;
		t->have_probe = true;
	}
}

/* lookout's own CPU and memory, for the dashboard's footer: getrusage for the CPU (all threads, in
 * microseconds), and /proc/self/statm through a descriptor kept open (a tick must not pay for an fopen). */
static void sample_self(struct collector *c)
{
	struct rusage ru;
	if (getrusage(RUSAGE_SELF, &ru) == 0) {
		uint64_t ns = ((uint64_t)ru.ru_utime.tv_sec + (uint64_t)ru.ru_stime.tv_sec) * 1000000000ull +
		              ((uint64_t)ru.ru_utime.tv_usec + (uint64_t)ru.ru_stime.tv_usec) * 1000ull;
		int64_t mono = now_mono_ns();
		if (c->self_mono_prev && mono > c->self_mono_prev && ns >= c->self_cpu_ns_prev)
			c->self_cpu_pct = (double)(ns - c->self_cpu_ns_prev) / (double)(mono - c->self_mono_prev) * 100.0;
		c->self_cpu_ns_prev = ns;
		c->self_mono_prev = mono;
	}
	char buf[256];
	ssize_t n = c->statm_fd >= 0 ? pread(c->statm_fd, buf, sizeof buf - 1, 0) : -1;
	if (n > 0) {
		buf[n] = '\0';
		char *end;
		strtoull(buf, &end, 10); /* size, then the resident pages */
		unsigned long long rss = strtoull(end, &end, 10);
		if (*end == ' ' || *end == '\n')
			c->self_rss = rss * (uint64_t)sysconf(_SC_PAGESIZE);
	}
}

static void tick(struct collector *c)
{
	c->tick_wall_ms = now_wall_ms();
	for (size_t i = 0; i < c->nt; i++) {
		struct tracked *t = c->t[i];
		if (!t->watched)
			continue;
		sample_one(c, t);
		probe_update(c, t);
		struct point p = {
			.wall_ms = c->tick_wall_ms,
			.cpu_pct = t->have_metrics ? (float)t->m.cpu_pct : NAN,
			.mem_pct = t->have_metrics ? (float)t->m.mem_pct : NAN,
			.mem_used_mb = t->have_metrics ? (float)(t->m.mem_used_bytes / 1048576.0) : NAN,
			.response_ms = t->have_probe && t->probe.failure == PROBE_OK ? t->probe.response_ms : -1,
			.status = up_of(t) ? PT_UP : t->state == CSTATE_RUNNING ? PT_UNHEALTHY : PT_DOWN,
		};
		if (series_append(&t->hist, &p) || series_acc_add(&t->acc, &t->hist_min, &p, 60000))
			log_complain(&t->complaint, LOG_ERROR, "out of memory recording history");
	}
	sample_self(c);
}

/* Containers are sorted by name; the same name on several engines by the engines' configured order. */
static int by_name(const void *a, const void *b)
{
	const struct snap_container *x = a, *y = b;
	const char *nx = x->si && x->si->info.name ? x->si->info.name : x->si ? x->si->info.id : "";
	const char *ny = y->si && y->si->info.name ? y->si->info.name : y->si ? y->si->info.id : "";
	int d = strcmp(nx, ny);
	if (d)
		return d;
	if (x->engine != y->engine)
		return x->engine < y->engine ? -1 : 1;
	return x->si && y->si ? strcmp(x->si->info.id, y->si->info.id) : 0;
}

/* The rules hold the alerts of containers whose engine cannot report now (down, or not listed yet). */
static bool hold_host(void *arg, const char *host)
{
	struct collector *c = arg;
	for (size_t i = 0; i < c->neng; i++)
		if ((c->eng[i].label_fixed || c->eng[i].conf_name[0]) && strcmp(c->eng[i].label, host) == 0)
			return !(c->eng[i].up && c->eng[i].listed);
	/* No engine has this label (yet): it may be one that has not answered, whose label is not fixed. */
	for (size_t i = 0; i < c->neng; i++)
		if (!c->eng[i].label_fixed && !c->eng[i].conf_name[0])
			return true;
	return false;
}

#define RECENT_ALERTS 100

/* The state file's text right after new transitions, for the consumer that writes the alert log to save once
 * they are written there (CPU work only: the file is written on that consumer's thread). */
static void keep_rules_state(struct collector *c)
{
	struct buf b;
	buf_init(&b);
	struct rules_state_text *t = NULL;
	if (rules_format_state(c->rules, &b) == 0 && (t = malloc(sizeof *t + b.len + 1))) {
		atomic_init(&t->refs, 1);
		t->seq = rules_last_seq(c->rules);
		t->len = b.len;
		memcpy(t->data, b.data ? b.data : "", b.len);
		t->data[b.len] = '\0';
		rules_state_text_unref(c->rules_state);
		c->rules_state = t;
	} else {
		log_complain(&c->rules_complaint, LOG_ERROR, "out of memory keeping the alert state");
	}
	buf_free(&b);
}

/* Rules are cheap CPU work, so they run here, on every snapshot (an event's too, so a kill is an alert at
 * once). The transitions go into the snapshot; writing them to the alert log is a consumer's job. */
static void evaluate_rules(struct collector *c, struct snapshot *s)
{
	struct alert_transition *tr = NULL;
	size_t n = 0;
	char err[256];
	/* Before an engine's first full list the snapshot is not the whole picture: containers the restored state
	 * knows would look removed and resolve, then fire again. So are the containers of an engine that is down:
	 * the rules hold both (hold_host) and judge the rest. */
	bool any = false;
	for (size_t i = 0; i < c->neng; i++)
		any |= c->eng[i].up && c->eng[i].listed;
	if (!any)
		return;
	const char *hosts[c->neng];
	for (size_t i = 0; i < c->neng; i++)
		hosts[i] = s->engines && i < s->nengines ? s->engines[i].name : "";
	struct rules_hosts rh = {hosts, c->neng, hold_host, c};
	if (rules_eval_hosts(c->rules, s->c, s->n, &rh, now_wall_ms(), &tr, &n, err, sizeof err))
		log_complain(&c->rules_complaint, LOG_ERROR, "%s", err);
	if (n == 0) {
		free(tr);
		return;
	}
	size_t old = c->alerts ? c->alerts->n : 0;
	size_t keep = old + n > RECENT_ALERTS ? (n >= RECENT_ALERTS ? 0 : RECENT_ALERTS - n) : old;
	size_t take = n > RECENT_ALERTS ? RECENT_ALERTS : n;
	struct alert_history *h = malloc(sizeof *h + (keep + take) * sizeof h->t[0]);
	if (!h) {
		log_complain(&c->rules_complaint, LOG_ERROR, "out of memory keeping alert transitions");
		free(tr);
		return;
	}
	atomic_init(&h->refs, 1);
	h->n = keep + take;
	if (keep)
		memcpy(h->t, c->alerts->t + (old - keep), keep * sizeof h->t[0]);
	memcpy(h->t + keep, tr + (n - take), take * sizeof h->t[0]);
	free(tr);
	alert_history_unref(c->alerts);
	c->alerts = h;
	if (c->rules_state_path)
		keep_rules_state(c);
}

static void publish(struct collector *c, bool is_tick)
{
	size_t n = 0;
	for (size_t i = 0; i < c->nt; i++)
		n += c->t[i]->watched && c->t[i]->si;
	struct snapshot *s = snapshot_alloc(n);
	if (!s) {
		log_error("out of memory publishing a snapshot");
		return;
	}
	size_t k = 0;
	for (size_t i = 0; i < c->nt; i++) {
		struct tracked *t = c->t[i];
		if (!t->watched || !t->si)
			continue;
		struct snap_container *sc = &s->c[k++];
		sc->si = shared_info_ref(t->si);
		sc->state = t->state;
		sc->health = t->health;
		sc->up = up_of(t);
		sc->state_since_ms = t->state_since_ms;
		sc->restarts = t->restarts;
		sc->exit_code = t->exit_code;
		sc->oom_killed = t->oom_killed;
		sc->have_metrics = t->have_metrics && is_live(t->state);
		sc->m = t->m;
		sc->source = t->src;
		sc->response_ms = t->have_probe && t->probe.failure == PROBE_OK ? t->probe.response_ms : -1;
		sc->http_status = t->have_probe ? t->probe.http_status : 0;
		sc->probed = t->have_probe;
		sc->probe_ok = t->have_probe && t->probe.failure == PROBE_OK;
		if (t->have_probe && t->probe.failure != PROBE_OK)
			snprintf(sc->probe_error, sizeof sc->probe_error, "%s", t->probe.error);
		series_view_take(&t->hist, 0, &sc->hist);
		series_view_take(&t->hist_min, 0, &sc->hist_min);
		sc->engine = t->engine;
	}
	qsort(s->c, n, sizeof s->c[0], by_name);
	s->wall_ms = now_wall_ms();
	s->tick_wall_ms = c->tick_wall_ms;
	s->self_cpu_pct = c->self_cpu_pct;
	s->self_rss_bytes = c->self_rss;
	if (snapshot_alloc_engines(s, c->neng) == 0) {
		for (size_t i = 0; i < c->neng; i++) {
			const struct engine *en = &c->eng[i];
			struct snap_engine *e = &s->engines[i];
			/* Until an unnamed engine answers, several engines show its address (one shows "", as ever). */
			if (en->label_fixed || en->conf_name[0] || c->neng == 1)
				snprintf(e->name, sizeof e->name, "%s", en->label);
			else
				engines_label("", en->endpoint, NULL, 0, e->name, sizeof e->name);
			snprintf(e->endpoint, sizeof e->endpoint, "%s", en->endpoint);
			e->up = en->up;
			e->known = en->known;
			snprintf(e->error, sizeof e->error, "%s", en->error);
			e->since_ms = en->since_ms;
			e->version = en->version;
			/* This host's facts describe a local engine's host only (or the one engine, as before). */
			if (c->neng == 1 || strncmp(en->endpoint, "unix://", 7) == 0) {
				e->host_mem_bytes = c->host.mem_total_bytes;
				e->host_cpus = c->host.ncpus;
			}
		}
		const struct snap_engine *e0 = &s->engines[0];
		s->engine_up = e0->up;
		snprintf(s->engine_error, sizeof s->engine_error, "%s", e0->error);
		snprintf(s->engine_endpoint, sizeof s->engine_endpoint, "%s", e0->endpoint);
		s->version = e0->version;
		snprintf(s->host, sizeof s->host, "%s", e0->name);
		s->host_mem_bytes = e0->host_mem_bytes;
		s->host_cpus = e0->host_cpus;
	}
	bool any_up = false;
	for (size_t i = 0; i < c->neng; i++)
		any_up |= c->eng[i].up;
	if (c->rules && any_up && s->nengines == c->neng)
		evaluate_rules(c, s);
	s->alerts_ref = alert_history_ref(c->alerts);
	s->rules_state = rules_state_text_ref(c->rules_state);
	s->recent_alerts = c->alerts ? c->alerts->t : NULL;
	s->nrecent_alerts = c->alerts ? c->alerts->n : 0;

	pthread_mutex_lock(&c->lock);
	s->seq = ++c->seq;
	if (is_tick)
		++c->tick;
	s->tick = c->tick; /* event updates carry the newest tick too, so no reader skips one */
	s->is_tick = is_tick;
	struct snapshot *old = c->latest, *old_tick = NULL;
	c->latest = s;
	if (is_tick) {
		old_tick = c->latest_tick;
		c->latest_tick = snapshot_ref(s);
	}
	pthread_cond_broadcast(&c->published);
	pthread_mutex_unlock(&c->lock);
	snapshot_unref(old);
	snapshot_unref(old_tick);
}

static void deadline_ts(int64_t mono_ns, struct timespec *ts)
{
	ts->tv_sec = (time_t)(mono_ns / 1000000000);
	ts->tv_nsec = (long)(mono_ns % 1000000000);
}

static void *collector_main(void *arg)
{
	struct collector *c = arg;
	int64_t interval_ns = (int64_t)(c->o.interval_s * 1e9);
	int64_t next_tick = now_mono_ns();
	for (;;) {
		pthread_mutex_lock(&c->lock);
		while (!c->head && !c->stop && now_mono_ns() < next_tick) {
			struct timespec ts;
			deadline_ts(next_tick, &ts);
			pthread_cond_timedwait(&c->cond, &c->lock, &ts);
		}
		struct msg *m = c->head;
		c->head = c->tail = NULL;
		bool stop = c->stop;
		pthread_mutex_unlock(&c->lock);

		bool changed = m != NULL;
		while (m) {
			struct msg *next = m->next;
			switch (m->kind) {
			case M_ENGINE:
				apply_engine(c, &c->eng[m->engine], m);
				break;
			case M_INFO:
				apply_info(c, m->engine, &m->u.info);
				break;
			case M_EVENT:
				apply_event(c, m->engine, &m->u.event);
				break;
			case M_LIST:
				apply_list(c, m->engine, (const char(*)[65])m->u.list.ids, m->u.list.n);
				break;
			}
			msg_free(m);
			m = next;
		}
		if (stop) {
			if (changed)
				publish(c, false);
			break;
		}
		int64_t now = now_mono_ns();
		if (now >= next_tick) {
			tick(c);
			publish(c, true);
			next_tick += interval_ns;
			if (next_tick <= now) /* we fell behind (suspend, overload): skip, never burst */
				next_tick = now + interval_ns;
		} else if (changed) {
			publish(c, false);
		}
	}
	return NULL;
}

/* ---- public ------------------------------------------------------------------------------------------ */

void collector_opts_from_config(struct collector_opts *o, const struct config *cfg,
                                const struct rules_config *rules)
{
	*o = (struct collector_opts){
		.docker_host = cfg->docker_host,
		.hosts = cfg->hosts,
		.nhosts = cfg->nhosts,
		.source = cfg->source,
		.host_root = cfg->host_root,
		.interval_s = cfg->interval_s,
		.list_interval_s = cfg->list_interval_s,
		.all = cfg->all,
		.names = cfg->containers,
		.nnames = cfg->ncontainers,
		.label_enable = cfg->label_enable,
		.history_s = 3600,
		.probes = cfg->probes,
		.nprobes = cfg->nprobes,
		.probe_timeout_s = cfg->probe_timeout_s,
		.rules = rules,
	};
}

static void free_engines(struct collector *c)
{
	for (size_t i = 0; i < c->neng; i++) {
		watcher_free(c->eng[i].watcher);
		statstream_free(c->eng[i].stats);
	}
	free(c->eng);
	c->eng = NULL;
	c->neng = 0;
}

/* One engine per --host entry (or the one of docker_host), each with its discovery (not started yet). */
static int make_engines(struct collector *c, const struct collector_opts *o, char *err, size_t errlen)
{
	size_t n = o->nhosts ? o->nhosts : 1;
	c->eng = calloc(n, sizeof *c->eng);
	if (!c->eng) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	c->neng = n;
	for (size_t i = 0; i < n; i++) {
		struct engine *e = &c->eng[i];
		e->c = c;
		e->idx = (unsigned)i;
		if (o->nhosts) {
			struct engine_addr a;
			if (engines_parse_one(o->hosts[i], &a, err, errlen))
				return -1;
			snprintf(e->url, sizeof e->url, "%s", a.url);
			snprintf(e->conf_name, sizeof e->conf_name, "%s", a.name);
			snprintf(e->label, sizeof e->label, "%s", a.name);
			e->label_fixed = a.name[0] != '\0';
		} else {
			snprintf(e->url, sizeof e->url, "%s", c->docker_host);
		}
		for (size_t k = 0; k < i && e->conf_name[0]; k++)
			if (strcmp(c->eng[k].conf_name, e->conf_name) == 0) {
				snprintf(err, errlen, "host NAME \"%s\" is given twice: each engine needs its own",
				         e->conf_name);
				return -1;
			}
		struct docker *d = docker_new(e->url, err, errlen);
		if (!d)
			return -1;
		snprintf(e->endpoint, sizeof e->endpoint, "%s", docker_endpoint(d));
		docker_free(d);
		/* A remote engine's pids are not ours: its containers' cgroup files are not on this host. */
		e->source = o->source;
		if (e->source == SOURCE_AUTO && strncmp(e->endpoint, "unix://", 7) != 0)
			e->source = SOURCE_API;
		struct watcher_cbs cbs = {cb_engine, cb_info, cb_event, cb_listed, e};
		e->watcher = watcher_new(e->url, o->list_interval_s, &cbs, err, errlen);
		if (!e->watcher)
			return -1;
	}
	return 0;
}

/* The alert log is written before the state is saved: what it holds beyond the state (the last seconds
 * before a SIGKILL or a power cut, at most) is put into the rules, so seq goes on and nothing fires twice. */
static void replay_alert_log(struct rules *r, const char *path)
{
	struct alert_transition *t = NULL;
	size_t n = 0;
	char err[512];
	if (alertlog_read_tail(path, 1 << 20, &t, &n, err, sizeof err)) {
		log_warn("%s; alerts logged since the state was saved may fire again", err);
		return;
	}
	uint64_t before = rules_last_seq(r);
	rules_replay(r, t, n);
	if (rules_last_seq(r) != before)
		log_info("the alert log goes on past the saved alert state (seq %llu to %llu): taken from the log",
		         (unsigned long long)before, (unsigned long long)rules_last_seq(r));
	free(t);
}

struct collector *collector_new(const struct collector_opts *o, char *err, size_t errlen)
{
	struct collector *c = calloc(1, sizeof *c);
	if (!c) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->o = *o;
	c->statm_fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
	c->docker_host = xstrdup(o->docker_host ? o->docker_host : "");
	c->host_root = xstrdup(o->host_root ? o->host_root : "");
	c->names = calloc(o->nnames + 1, sizeof *c->names);
	if (!c->docker_host || !c->host_root || !c->names)
		goto oom;
	for (size_t i = 0; i < o->nnames; i++)
		if (!(c->names[i] = strdup(o->names[i])))
			goto oom;
	c->o.names = c->names;
	c->probes = calloc(o->nprobes + 1, sizeof *c->probes);
	if (!c->probes)
		goto oom;
	for (size_t i = 0; i < o->nprobes; i++)
		if (!(c->probes[i] = strdup(o->probes[i])))
			goto oom;
	c->o.probes = c->probes;
	if (o->rules) {
		c->rules_cfg = *o->rules;
		c->o.rules = &c->rules_cfg;
		if (!(c->rules = rules_new(&c->rules_cfg)))
			goto oom;
		if (o->rules_state_path) {
			if (!(c->rules_state_path = strdup(o->rules_state_path)))
				goto oom;
			char rerr[512];
			if (rules_load(c->rules, c->rules_state_path, rerr, sizeof rerr))
				log_warn("alert state not restored (%s); ongoing alerts will fire again", rerr);
			if (o->alert_log_path)
				replay_alert_log(c->rules, o->alert_log_path);
		}
	}
	c->o.docker_host = c->docker_host;
	c->o.host_root = c->host_root;
	double hist = o->history_s > 0 ? o->history_s : 3600;
	c->history_points = (size_t)ceil(hist / o->interval_s);
	if (c->history_points > 100000)
		c->history_points = 100000;
	if (metrics_host_facts(c->host_root, &c->host, err, errlen))
		goto fail;

	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->cond, &ca);
	pthread_cond_init(&c->published, &ca);
	pthread_condattr_destroy(&ca);

	if (make_engines(c, o, err, errlen)) {
		pthread_mutex_destroy(&c->lock);
		pthread_cond_destroy(&c->cond);
		pthread_cond_destroy(&c->published);
		goto fail;
	}
	return c;
oom:
	snprintf(err, errlen, "out of memory");
fail:
	free_engines(c);
	rules_free(c->rules);
	free(c->rules_state_path);
	if (c->probes)
		for (size_t i = 0; i < o->nprobes; i++)
			free(c->probes[i]);
	free(c->probes);
	if (c->names)
		for (size_t i = 0; i < o->nnames; i++)
			free(c->names[i]);
	free(c->names);
	free(c->docker_host);
	free(c->host_root);
	if (c->statm_fd >= 0)
		close(c->statm_fd);
	free(c);
	return NULL;
}

int collector_start(struct collector *c, char *err, size_t errlen)
{
	int rc = pthread_create(&c->thread, NULL, collector_main, c);
	if (rc) {
		snprintf(err, errlen, "cannot start the collector thread: %s", strerror(rc));
		return -1;
	}
	c->started = true;
	for (size_t i = 0; i < c->neng; i++)
		if (watcher_start(c->eng[i].watcher, err, errlen)) {
			collector_stop(c);
			return -1;
		}
	return 0;
}

void collector_stop(struct collector *c)
{
	if (!c || c->stopped)
		return;
	c->stopped = true;
	/* The collector first: it finishes its tick and stops at once, whatever discovery is waiting for.
	 * Messages discovery posts after that are freed unread by collector_free. */
	pthread_mutex_lock(&c->lock);
	c->stop = true;
	pthread_cond_broadcast(&c->cond);
	pthread_cond_broadcast(&c->published);
	pthread_mutex_unlock(&c->lock);
	if (c->started)
		pthread_join(c->thread, NULL);
	for (size_t i = 0; i < c->neng; i++) {
		watcher_free(c->eng[i].watcher);
		c->eng[i].watcher = NULL;
	}
	if (c->rules && c->rules_state_path) {
		char rerr[512];
		if (rules_save(c->rules, c->rules_state_path, rerr, sizeof rerr))
			log_error("alert state not saved: %s", rerr);
	}
	for (size_t i = 0; i < c->neng; i++) {
		statstream_free(c->eng[i].stats);
		c->eng[i].stats = NULL;
	}
	prober_free(c->prober);
	c->prober = NULL;
}

void collector_free(struct collector *c)
{
	if (!c)
		return;
	collector_stop(c);
	while (c->nt)
		drop(c, c->nt - 1);
	free(c->t);
	free_engines(c);
	rules_free(c->rules);
	free(c->rules_state_path);
	alert_history_unref(c->alerts);
	rules_state_text_unref(c->rules_state);
	for (size_t i = 0; i < c->o.nprobes; i++)
		free(c->probes[i]);
	free(c->probes);
	for (struct msg *m = c->head, *n; m; m = n) {
		n = m->next;
		msg_free(m);
	}
	snapshot_unref(c->latest);
	snapshot_unref(c->latest_tick);
	pthread_mutex_destroy(&c->lock);
	pthread_cond_destroy(&c->cond);
	pthread_cond_destroy(&c->published);
	for (size_t i = 0; i < c->o.nnames; i++)
		free(c->names[i]);
	free(c->names);
	free(c->docker_host);
	free(c->host_root);
	if (c->statm_fd >= 0)
		close(c->statm_fd);
	free(c);
}

struct snapshot *collector_latest(struct collector *c)
{
	pthread_mutex_lock(&c->lock);
	struct snapshot *s = snapshot_ref(c->latest);
	pthread_mutex_unlock(&c->lock);
	return s;
}

struct snapshot *collector_latest_tick(struct collector *c)
{
	pthread_mutex_lock(&c->lock);
	struct snapshot *s = snapshot_ref(c->latest_tick);
	pthread_mutex_unlock(&c->lock);
	return s;
}

struct snapshot *collector_wait(struct collector *c, uint64_t after_seq, int timeout_ms)
{
	struct timespec ts;
	deadline_ts(now_mono_ns() + (int64_t)timeout_ms * 1000000, &ts);
	pthread_mutex_lock(&c->lock);
	uint64_t interrupts = c->interrupts;
	while ((!c->latest || c->latest->seq <= after_seq) && !c->stop && c->interrupts == interrupts) {
		if (pthread_cond_timedwait(&c->published, &c->lock, &ts) == ETIMEDOUT)
			break;
	}
	struct snapshot *s = c->latest && c->latest->seq > after_seq ? snapshot_ref(c->latest) : NULL;
	pthread_mutex_unlock(&c->lock);
	return s;
}

void collector_interrupt(struct collector *c)
{
	pthread_mutex_lock(&c->lock);
	c->interrupts++;
	pthread_cond_broadcast(&c->published);
	pthread_mutex_unlock(&c->lock);
}
