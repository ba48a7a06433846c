/* rules.c — alert rule evaluation: conditions per container and alert kind, "for" durations, hysteresis,
 * episodes, muting while a container is down, and the state file of `lookout check`. The caller passes the
 * time in, so tests drive it with a fake clock. It never writes the alert log and never notifies. */
#include "rules.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alertlog.h"
#include "util.h"

/* ---- alert.h -------------------------------------------------------------------------------------------- */

static const char *const kind_names[ALERT_KIND_COUNT] = {
	"container_down", "health_failed", "oom", "restart_loop", "high_cpu", "high_memory", "slow_response",
};

const char *alert_kind_name(enum alert_kind k)
{
	return (unsigned)k < ALERT_KIND_COUNT ? kind_names[k] : "unknown";
}

int alert_kind_parse(const char *s, enum alert_kind *out)
{
	for (int k = 0; k < ALERT_KIND_COUNT; k++)
		if (s && strcmp(s, kind_names[k]) == 0) {
			*out = (enum alert_kind)k;
			return 0;
		}
	return -1;
}

enum alert_severity alert_kind_severity(enum alert_kind k)
{
	return k <= ALERT_RESTART_LOOP ? ALERT_CRITICAL : ALERT_WARNING;
}

const char *alert_severity_name(enum alert_severity s)
{
	return s == ALERT_CRITICAL ? "critical" : s == ALERT_WARNING ? "warning" : "";
}

enum alert_severity alert_severity_parse(const char *s)
{
	if (s && strcmp(s, "critical") == 0)
		return ALERT_CRITICAL;
	if (s && strcmp(s, "warning") == 0)
		return ALERT_WARNING;
	return ALERT_NONE;
}

struct alert_history *alert_history_ref(struct alert_history *h)
{
	if (h)
		atomic_fetch_add_explicit(&h->refs, 1, memory_order_relaxed);
	return h;
}

void alert_history_unref(struct alert_history *h)
{
	if (h && atomic_fetch_sub_explicit(&h->refs, 1, memory_order_acq_rel) == 1)
		free(h);
}

/* ---- state ------------------------------------------------------------------------------------------------ */

#define MAX_RESTART_TS 64

struct alert_state {
	bool firing;
	int64_t pending_since; /* 0 = condition not (yet) true */
	int64_t episode_since; /* firing: when the condition began */
	int64_t clear_since;   /* firing: since when the condition has been false; 0 = it is true */
	double value, threshold;
	/* A threshold alert's message is written from value and threshold only when a transition or a status asks
	 * for it: formatting it every tick for every container cost more than the rest of the rules. */
	bool msg_from_reading;
	char msg[ALERT_MSG_MAX];
};

struct cstate {
	char id[65];
	char name[ALERT_NAME_MAX];
	char host[ALERT_NAME_MAX]; /* the host label of its engine ("" = unknown) */
	bool seen; /* in the current evaluation */
	struct alert_state a[ALERT_KIND_COUNT];
	bool have_restarts;
	int last_restarts;
	int64_t restart_ts[MAX_RESTART_TS]; /* when each recent restart was seen, oldest first */
	size_t nrestart;
	bool have_oom_kills;
	double last_oom_kills;
	int64_t oom_until; /* an OOM kill inside a running container keeps oom firing until then */
};

struct rules {
	struct rules_config cfg;
	struct cstate **c;
	size_t n, cap;
	uint64_t seq;
};

void rules_config_defaults(struct rules_config *cfg)
{
	*cfg = (struct rules_config){
		.cpu_threshold = 40,
		.cpu_basis = CPU_BASIS_DOCKER,
		.memory_threshold = 80,
		.response_threshold_ms = 1000,
		.cpu_hysteresis = 5,
		.memory_hysteresis = 5,
		.response_hysteresis_ms = 200,
		.warn_for_ms = 30000,
		.down_for_ms = 0,
		.health_for_ms = 0,
		.restart_count = 3,
		.restart_window_ms = 300000,
	};
}

struct rules *rules_new(const struct rules_config *cfg)
{
	struct rules *r = calloc(1, sizeof *r);
	if (!r)
		return NULL;
	if (cfg)
		r->cfg = *cfg;
	else
		rules_config_defaults(&r->cfg);
	return r;
}

static void clear_states(struct rules *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->c[i]);
	r->n = 0;
}

void rules_free(struct rules *r)
{
	if (!r)
		return;
	clear_states(r);
	free(r->c);
	free(r);
}

/* Where id's state is in r->c, or r->n when it has none. */
static size_t index_of(const struct rules *r, const char *id)
{
	size_t i = 0;
	while (i < r->n && strcmp(r->c[i]->id, id) != 0)
		i++;
	return i;
}

static struct cstate *find(const struct rules *r, const char *id)
{
	size_t i = index_of(r, id);
	return i < r->n ? r->c[i] : NULL;
}

/* The state of id, made when missing, and moved to r->c[at] when at < r->n. Each tick asks for the containers
 * in the snapshot's order with at = their place there, so the states line up with it and a tick costs N
 * comparisons, not N². NO_PLACE: anywhere. The order of r->c means nothing else. */
#define NO_PLACE SIZE_MAX
static struct cstate *find_or_add(struct rules *r, const char *id, size_t at)
{
	if (at < r->n && strcmp(r->c[at]->id, id) == 0)
		return r->c[at];
	size_t i = index_of(r, id);
	if (i == r->n) {
		struct cstate *cs = NULL;
		if (grow_array(&r->c, &r->cap, r->n, sizeof *r->c, 16) || !(cs = calloc(1, sizeof *cs)))
			return NULL;
		snprintf(cs->id, sizeof cs->id, "%s", id);
		for (int k = 0; k < ALERT_KIND_COUNT; k++)
			cs->a[k].value = cs->a[k].threshold = NAN;
		r->c[r->n++] = cs;
	}
	if (at < r->n && at != i) {
		struct cstate *t = r->c[at];
		r->c[at] = r->c[i];
		r->c[i] = t;
		i = at;
	}
	return r->c[i];
}

bool rules_knows(const struct rules *r, const char *id)
{
	return find(r, id) != NULL;
}

uint64_t rules_last_seq(const struct rules *r)
{
	return r->seq;
}

/* Where a firing threshold alert resolves: thr - hyst, with the margin at most half the threshold (a margin
 * wider than that, under a small per-container label, would make resolving impossible). */
static double resolve_level(double thr, double hyst)
{
	return thr - fmin(hyst, thr / 2);
}

/* How a threshold alert (high_cpu, high_memory, slow_response) words its reading, "CPU 93.1 % is above 40 %",
 * and its hysteresis. */
struct reading_words {
	const char *what, *unit, *suffix;
	int decimals;
	double hyst;
};

static struct reading_words words_of(const struct rules *r, enum alert_kind k)
{
	const struct rules_config *cfg = &r->cfg;
	switch (k) {
	case ALERT_HIGH_CPU:
		return (struct reading_words){"CPU", "%", cfg->cpu_basis == CPU_BASIS_LIMIT ? " of its limit" : "", 1,
		                              cfg->cpu_hysteresis};
	case ALERT_HIGH_MEMORY:
		return (struct reading_words){"memory", "%", "", 1, cfg->memory_hysteresis};
	default:
		return (struct reading_words){"HTTP response", "ms", "", 0, cfg->response_hysteresis_ms};
	}
}

/* A threshold alert's message for the reading v against thr: above it (firing) or back below (resolving). */
static void reading_msg(const struct rules *r, enum alert_kind k, double v, double thr, bool firing, char *buf,
                        size_t len)
{
	struct reading_words w = words_of(r, k);
	if (firing)
		snprintf(buf, len, "%s %.*f %s is above %g %s%s", w.what, w.decimals, v, w.unit, thr, w.unit, w.suffix);
	else
		snprintf(buf, len, "%s %.*f %s is back below %g %s", w.what, w.decimals, v, w.unit,
		         resolve_level(thr, w.hyst), w.unit);
}

/* The message of alert k's newest reading, into buf. */
static const char *current_msg(const struct rules *r, enum alert_kind k, const struct alert_state *a, char *buf,
                               size_t len)
{
	if (a->msg_from_reading)
		reading_msg(r, k, a->value, a->threshold, true, buf, len);
	else
		snprintf(buf, len, "%s", a->msg);
	return buf;
}

int rules_status(const struct rules *r, const char *id, enum alert_kind kind, struct rule_status *st)
{
	const struct cstate *cs = find(r, id);
	if (!cs || (unsigned)kind >= ALERT_KIND_COUNT)
		return -1;
	const struct alert_state *a = &cs->a[kind];
	st->firing = a->firing;
	st->pending_since_ms = a->firing ? 0 : a->pending_since;
	st->since_ms = a->episode_since;
	st->value = a->value;
	st->threshold = a->threshold;
	current_msg(r, kind, a, st->msg, sizeof st->msg);
	return 0;
}

/* ---- evaluation ------------------------------------------------------------------------------------------- */

struct out {
	struct alert_transition **v;
	size_t *n;
	size_t cap;
	bool oom;
};

/* Copies at most size-1 bytes of src, never cutting a UTF-8 sequence in two. */
static void copy_text(char *dst, size_t size, const char *src)
{
	size_t n = strlen(src);
	if (n >= size) {
		n = size - 1;
		while (n > 0 && ((unsigned char)src[n] & 0xC0) == 0x80)
			n--;
	}
	memcpy(dst, src, n);
	dst[n] = '\0';
}

static void emit(struct rules *r, struct out *o, const struct cstate *cs, enum alert_kind k, bool firing,
                 int64_t now, const char *msg)
{
	if (*o->n == o->cap || !*o->v) {
		size_t cap = o->cap ? o->cap * 2 : 16;
		if (cap <= *o->n)
			cap = *o->n + 16;
		void *p = realloc(*o->v, cap * sizeof **o->v);
		if (!p) {
			o->oom = true;
			return;
		}
		*o->v = p;
		o->cap = cap;
	}
	const struct alert_state *a = &cs->a[k];
	struct alert_transition *t = &(*o->v)[(*o->n)++];
	memset(t, 0, sizeof *t);
	t->seq = ++r->seq;
	t->ts_ms = now;
	t->since_ms = a->episode_since;
	t->kind = k;
	t->sev = alert_kind_severity(k);
	t->firing = firing;
	copy_text(t->container, sizeof t->container, cs->name);
	snprintf(t->container_id, sizeof t->container_id, "%s", cs->id);
	copy_text(t->host, sizeof t->host, cs->host);
	t->value = a->value;
	t->threshold = a->threshold;
	copy_text(t->msg, sizeof t->msg, msg);
}

enum cond { C_HOLD = 0, C_TRUE, C_FALSE };

/* One step of one alert: pending -> firing after for_ms; firing -> resolved when the condition has been false
 * for clear_ms (warnings use their for-duration: a dying container's last low reading, just before the
 * engine says it died, must not end an episode that muting would otherwise keep). A NULL resolve_msg: a
 * threshold alert's, written from its reading. */
static void step(struct rules *r, struct out *o, struct cstate *cs, enum alert_kind k, enum cond cond,
                 int64_t since_hint, int64_t for_ms, int64_t now, const char *resolve_msg)
{
	int64_t clear_ms = alert_kind_severity(k) == ALERT_WARNING ? for_ms : 0;
	struct alert_state *a = &cs->a[k];
	if (cond == C_HOLD)
		return;
	if (!a->firing) {
		if (cond == C_FALSE) {
			a->pending_since = 0;
			return;
		}
		if (!a->pending_since)
			a->pending_since = since_hint > 0 && since_hint <= now ? since_hint : now;
		if (now - a->pending_since >= for_ms) {
			a->firing = true;
			a->episode_since = a->pending_since;
			char msg[ALERT_MSG_MAX];
			emit(r, o, cs, k, true, now, current_msg(r, k, a, msg, sizeof msg));
		}
		return;
	}
	if (cond == C_TRUE) {
		a->clear_since = 0;
		return;
	}
	if (!a->clear_since)
		a->clear_since = now;
	if (now - a->clear_since >= clear_ms) {
		char msg[ALERT_MSG_MAX];
		if (!resolve_msg) {
			reading_msg(r, k, a->value, a->threshold, false, msg, sizeof msg);
			resolve_msg = msg;
		}
		emit(r, o, cs, k, false, now, resolve_msg);
		a->firing = false;
		a->pending_since = 0;
		a->episode_since = 0;
		a->clear_since = 0;
	}
}

/* A threshold condition with hysteresis: fires above thr, resolves only below resolve_level. NaN: no data. */
static enum cond above(const struct alert_state *a, double v, double thr, double hyst)
{
	if (isnan(v))
		return C_HOLD;
	if (a->firing)
		return v < resolve_level(thr, hyst) ? C_FALSE : C_TRUE;
	return v > thr ? C_TRUE : C_FALSE;
}

static double label_number(const struct container_info *in, const char *key, double def)
{
	const char *v = container_label(in, key);
	double d;
	if (v && parse_double(v, &d) == 0 && d > 0 && isfinite(d))
		return d;
	return def;
}

static const char *state_words(const struct snap_container *c, char *buf, size_t len)
{
	switch (c->state) {
	case CSTATE_EXITED:
	case CSTATE_DEAD:
		if (c->oom_killed)
			snprintf(buf, len, "%s: killed for running out of memory (exit code %d)",
			         container_state_name(c->state), c->exit_code);
		else if (c->exit_code >= 0)
			snprintf(buf, len, "%s with code %d", container_state_name(c->state), c->exit_code);
		else
			snprintf(buf, len, "%s", container_state_name(c->state));
		break;
	default:
		snprintf(buf, len, "%s", c->state == CSTATE_UNKNOWN ? "state unknown" : container_state_name(c->state));
	}
	return buf;
}

static void set_reading(struct alert_state *a, double v, double thr)
{
	a->value = v;
	a->threshold = thr;
}

/* One threshold warning (high_cpu, high_memory, slow_response): the newest reading (its message is written
 * from it when needed), the hysteresis, the for-duration. */
static void threshold_rule(struct rules *r, struct out *o, struct cstate *cs, enum alert_kind kind, double v,
                           double thr, int64_t now)
{
	struct alert_state *a = &cs->a[kind];
	enum cond cond = above(a, v, thr, words_of(r, kind).hyst);
	if (!isnan(v)) {
		set_reading(a, v, thr);
		a->msg_from_reading = true;
	}
	step(r, o, cs, kind, cond, 0, r->cfg.warn_for_ms, now, NULL);
}

static void eval_one(struct rules *r, struct out *o, struct cstate *cs, struct snap_container *c, int64_t now)
{
	const struct rules_config *cfg = &r->cfg;
	const struct container_info *in = &c->si->info;
	char msg[ALERT_MSG_MAX + 64] = "", words[160];
	copy_text(cs->name, sizeof cs->name, in->name ? in->name : in->id);
	cs->seen = true;
	bool running = c->state == CSTATE_RUNNING;

	/* Restarts seen since the last evaluation, each stamped now; the window forgets old ones. */
	if (cs->have_restarts && c->restarts > cs->last_restarts) {
		int add = c->restarts - cs->last_restarts;
		for (int i = 0; i < add; i++) {
			if (cs->nrestart == MAX_RESTART_TS) {
				memmove(cs->restart_ts, cs->restart_ts + 1, (MAX_RESTART_TS - 1) * sizeof cs->restart_ts[0]);
				cs->nrestart--;
			}
			cs->restart_ts[cs->nrestart++] = now;
		}
	}
	cs->last_restarts = c->restarts;
	cs->have_restarts = true;
	size_t drop = 0;
	while (drop < cs->nrestart && cs->restart_ts[drop] <= now - cfg->restart_window_ms)
		drop++;
	if (drop) {
		memmove(cs->restart_ts, cs->restart_ts + drop, (cs->nrestart - drop) * sizeof cs->restart_ts[0]);
		cs->nrestart -= drop;
	}

	/* An OOM kill inside a running container (the kernel killed a process, not the container). */
	double kills = c->have_metrics ? c->m.oom_kills : NAN;
	if (!isnan(kills)) {
		if (cs->have_oom_kills && kills > cs->last_oom_kills)
			cs->oom_until = now + cfg->restart_window_ms;
		cs->last_oom_kills = kills;
		cs->have_oom_kills = true;
	}

	/* container_down */
	struct alert_state *a = &cs->a[ALERT_CONTAINER_DOWN];
	set_reading(a, running ? 0 : 1, NAN);
	if (!running) { /* the messages are written only when they can be used (firing, or pending) */
		snprintf(msg, sizeof msg, "not running: %s", state_words(c, words, sizeof words));
		copy_text(a->msg, sizeof a->msg, msg);
	}
	step(r, o, cs, ALERT_CONTAINER_DOWN, running ? C_FALSE : C_TRUE, c->state_since_ms, cfg->down_for_ms, now,
	     "running again");
	bool muted = !running || a->firing;

	/* oom: not muted by down, it says why the container is down */
	a = &cs->a[ALERT_OOM];
	bool oom = (c->oom_killed && !running) || now < cs->oom_until;
	set_reading(a, isnan(kills) ? (c->oom_killed ? 1 : 0) : kills, NAN);
	copy_text(a->msg, sizeof a->msg,
	          c->oom_killed && !running ? "killed for running out of memory"
	                                    : "a process in the container was killed for running out of memory");
	step(r, o, cs, ALERT_OOM, oom ? C_TRUE : C_FALSE, 0, 0, now, "no out-of-memory kill any more");

	/* restart_loop: not muted either, a looping container is down most of the time */
	a = &cs->a[ALERT_RESTART_LOOP];
	set_reading(a, (double)cs->nrestart, cfg->restart_count);
	bool looping = cs->nrestart >= (size_t)cfg->restart_count;
	if (looping || a->firing) {
		snprintf(msg, sizeof msg, "restarted %zu times within %lld s", cs->nrestart,
		         (long long)(cfg->restart_window_ms / 1000));
		copy_text(a->msg, sizeof a->msg, msg);
		snprintf(msg, sizeof msg, "%zu restarts within %lld s", cs->nrestart,
		         (long long)(cfg->restart_window_ms / 1000));
	}
	step(r, o, cs, ALERT_RESTART_LOOP, looping ? C_TRUE : C_FALSE, 0, 0, now, msg);

	if (muted) {
		/* While down, the other alerts neither start nor end: no noise about a container that is not there. */
		for (int k = ALERT_HEALTH_FAILED; k < ALERT_KIND_COUNT; k++)
			if (k != ALERT_OOM && k != ALERT_RESTART_LOOP) {
				cs->a[k].pending_since = cs->a[k].firing ? cs->a[k].pending_since : 0;
				cs->a[k].clear_since = 0;
			}
		goto mask;
	}

	/* health_failed: Docker's HEALTHCHECK or our HTTP probe */
	a = &cs->a[ALERT_HEALTH_FAILED];
	bool docker_bad = c->health == CHEALTH_UNHEALTHY, probe_bad = c->probed && !c->probe_ok;
	set_reading(a, docker_bad || probe_bad ? 1 : 0, NAN);
	/* Both reasons when both fail: each names a different thing to fix. */
	const char *hout = in->health_output && *in->health_output ? in->health_output : "(no output)";
	if (probe_bad && docker_bad)
		snprintf(msg, sizeof msg, "HTTP check failed: %.200s; HEALTHCHECK says unhealthy: %.250s", c->probe_error,
		         hout);
	else if (probe_bad)
		snprintf(msg, sizeof msg, "HTTP check failed: %s", c->probe_error);
	else if (docker_bad)
		snprintf(msg, sizeof msg, "HEALTHCHECK says unhealthy: %s", hout);
	if (probe_bad || docker_bad)
		copy_text(a->msg, sizeof a->msg, msg);
	step(r, o, cs, ALERT_HEALTH_FAILED, docker_bad || probe_bad ? C_TRUE : C_FALSE, 0, cfg->health_for_ms, now,
	     "healthy again");

	/* high_cpu */
	double v = !c->have_metrics ? NAN : cfg->cpu_basis == CPU_BASIS_LIMIT ? c->m.cpu_limit_pct : c->m.cpu_pct;
	threshold_rule(r, o, cs, ALERT_HIGH_CPU, v, label_number(in, "lookout.cpu_threshold", cfg->cpu_threshold), now);

	/* high_memory */
	v = c->have_metrics ? c->m.mem_pct : NAN;
	threshold_rule(r, o, cs, ALERT_HIGH_MEMORY, v, label_number(in, "lookout.memory_threshold", cfg->memory_threshold),
	               now);

	/* slow_response: only answers count; a failed probe is health_failed's business */
	v = c->probed && c->probe_ok && c->response_ms >= 0 ? c->response_ms : NAN;
	if (!c->probed && cs->a[ALERT_SLOW_RESPONSE].firing)
		v = 0; /* the URL went away: nothing is slow any more */
	threshold_rule(r, o, cs, ALERT_SLOW_RESPONSE, v,
	               label_number(in, "lookout.response_time_threshold", cfg->response_threshold_ms), now);

mask:
	c->firing_alerts = 0;
	for (int k = 0; k < ALERT_KIND_COUNT; k++)
		if (cs->a[k].firing)
			c->firing_alerts |= 1u << k;
}

int rules_eval(struct rules *r, struct snap_container *c, size_t n, int64_t now_ms, struct alert_transition **out,
               size_t *nout, char *err, size_t errlen)
{
	return rules_eval_hosts(r, c, n, NULL, now_ms, out, nout, err, errlen);
}

int rules_eval_hosts(struct rules *r, struct snap_container *c, size_t n, const struct rules_hosts *h,
                     int64_t now_ms, struct alert_transition **out, size_t *nout, char *err, size_t errlen)
{
	struct out o = {out, nout, *nout, false};
	for (size_t i = 0; i < r->n; i++)
		r->c[i]->seen = false;
	for (size_t i = 0; i < n; i++) {
		if (!c[i].si)
			continue;
		struct cstate *cs = find_or_add(r, c[i].si->info.id, i);
		if (!cs) {
			snprintf(err, errlen, "out of memory evaluating alert rules");
			return -1;
		}
		if (h && c[i].engine < h->nhosts && h->hosts[c[i].engine])
			copy_text(cs->host, sizeof cs->host, h->hosts[c[i].engine]);
		if (h && h->hold && h->hold(h->arg, cs->host)) {
			/* Its engine cannot say how it is: keep its alerts as they are, neither fired nor resolved. */
			cs->seen = true;
			c[i].firing_alerts = 0;
			for (int k = 0; k < ALERT_KIND_COUNT; k++)
				if (cs->a[k].firing)
					c[i].firing_alerts |= 1u << k;
			continue;
		}
		eval_one(r, &o, cs, &c[i], now_ms);
	}
	/* Gone from the watched set (removed, or no longer selected): end its episodes, then forget it. */
	for (size_t i = 0; i < r->n;) {
		struct cstate *cs = r->c[i];
		if (cs->seen || (h && h->hold && h->hold(h->arg, cs->host))) {
			i++;
			continue;
		}
		for (int k = 0; k < ALERT_KIND_COUNT; k++)
			if (cs->a[k].firing)
				emit(r, &o, cs, (enum alert_kind)k, false, now_ms, "no longer watched (removed)");
		free(cs);
		r->c[i] = r->c[--r->n];
	}
	if (o.oom) {
		snprintf(err, errlen, "out of memory recording alert transitions");
		return -1;
	}
	return 0;
}

/* ---- the state file --------------------------------------------------------------------------------------- */

#define STATE_MAGIC "lookout-rules-state 1"

static int num(struct buf *b, const char *key, long long v)
{
	char t[32];
	snprintf(t, sizeof t, "%lld", v);
	return logfmt_append(b, key, t);
}

int rules_format_state(const struct rules *r, struct buf *out)
{
	struct buf b;
	buf_init(&b);
	int rc = buf_printf(&b, STATE_MAGIC "\n");
	rc |= num(&b, "seq", (long long)r->seq);
	rc |= buf_puts(&b, "\n");
	for (size_t i = 0; i < r->n && rc == 0; i++) {
		const struct cstate *cs = r->c[i];
		rc |= logfmt_append(&b, "c", cs->id);
		rc |= logfmt_append(&b, "name", cs->name);
		if (cs->host[0])
			rc |= logfmt_append(&b, "host", cs->host);
		rc |= num(&b, "have_restarts", cs->have_restarts);
		rc |= num(&b, "restarts", cs->last_restarts);
		rc |= num(&b, "have_oom_kills", cs->have_oom_kills);
		rc |= num(&b, "oom_kills", (long long)cs->last_oom_kills);
		rc |= num(&b, "oom_until", (long long)cs->oom_until);
		struct buf ts;
		buf_init(&ts);
		for (size_t k = 0; k < cs->nrestart; k++)
			rc |= buf_printf(&ts, "%s%lld", k ? "," : "", (long long)cs->restart_ts[k]);
		rc |= logfmt_append(&b, "restart_ts", ts.data ? ts.data : "");
		buf_free(&ts);
		rc |= buf_puts(&b, "\n");
		for (int k = 0; k < ALERT_KIND_COUNT; k++) {
			const struct alert_state *a = &cs->a[k];
			if (!a->firing && !a->pending_since)
				continue;
			rc |= logfmt_append(&b, "a", cs->id);
			rc |= logfmt_append(&b, "kind", alert_kind_name((enum alert_kind)k));
			rc |= num(&b, "firing", a->firing);
			rc |= num(&b, "pending_since", (long long)a->pending_since);
			rc |= num(&b, "episode_since", (long long)a->episode_since);
			rc |= num(&b, "clear_since", (long long)a->clear_since);
			rc |= buf_puts(&b, "\n");
		}
	}
	if (rc == 0)
		rc = buf_append(out, b.data ? b.data : "", b.len);
	buf_free(&b);
	return rc ? -1 : 0;
}

int rules_write_state(const char *path, const char *text, size_t len, char *err, size_t errlen)
{
	char tmp[4200];
	int n = snprintf(tmp, sizeof tmp, "%s.tmp", path);
	if (n < 0 || (size_t)n >= sizeof tmp) {
		snprintf(err, errlen, "alert state path too long: %s", path);
		return -1;
	}
	FILE *f = fopen(tmp, "we");
	int e = 0;
	if (!f)
		e = errno;
	else {
		if (fwrite(text, 1, len, f) != len || fflush(f) || fsync(fileno(f)))
			e = errno ? errno : EIO;
		if (fclose(f) && !e)
			e = errno;
	}
	if (!e && rename(tmp, path))
		e = errno;
	if (e) {
		unlink(tmp);
		snprintf(err, errlen, "cannot write the alert state %s: %s", path, strerror(e));
		return -1;
	}
	return 0;
}

int rules_save(const struct rules *r, const char *path, char *err, size_t errlen)
{
	struct buf b;
	buf_init(&b);
	if (rules_format_state(r, &b)) {
		buf_free(&b);
		snprintf(err, errlen, "out of memory saving the alert state");
		return -1;
	}
	int rc = rules_write_state(path, b.data, b.len, err, errlen);
	buf_free(&b);
	return rc;
}

int rules_load(struct rules *r, const char *path, char *err, size_t errlen)
{
	clear_states(r);
	r->seq = 0;
	size_t len;
	char *text = read_file(path, &len);
	if (!text) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "cannot read the alert state %s: %s", path, strerror(errno));
		return -1;
	}
	int rc = -1;
	struct buf val;
	buf_init(&val);
	char key[32];
	const char *p = text, *end = text + len;
	const char *nl = memchr(p, '\n', len);
	if (!nl || (size_t)(nl - p) != strlen(STATE_MAGIC) || memcmp(p, STATE_MAGIC, strlen(STATE_MAGIC)) != 0) {
		snprintf(err, errlen, "%s is not a lookout alert state file (delete it to start afresh)", path);
		goto out;
	}
	int lineno = 1;
	for (p = nl + 1; p < end; p = nl + 1) {
		lineno++;
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			nl = end;
		struct cstate *cs = NULL;
		struct alert_state *a = NULL;
		int got;
		const char *q = p;
		while ((got = logfmt_next(&q, nl, key, sizeof key, &val, err, errlen)) == 1) {
			int64_t v = 0;
			bool isnum = parse_int64(val.data, &v) == 0;
			if (strcmp(key, "seq") == 0 && isnum) {
				r->seq = (uint64_t)v;
			} else if (strcmp(key, "c") == 0) {
				if (!(cs = find_or_add(r, val.data, NO_PLACE))) {
					snprintf(err, errlen, "out of memory");
					goto out;
				}
			} else if (strcmp(key, "a") == 0) {
				cs = find(r, val.data);
			} else if (strcmp(key, "kind") == 0 && cs) {
				enum alert_kind k;
				if (alert_kind_parse(val.data, &k) == 0)
					a = &cs->a[k];
			} else if (a && isnum && strcmp(key, "firing") == 0) {
				a->firing = v != 0;
			} else if (a && isnum && strcmp(key, "pending_since") == 0) {
				a->pending_since = v;
			} else if (a && isnum && strcmp(key, "episode_since") == 0) {
				a->episode_since = v;
			} else if (a && isnum && strcmp(key, "clear_since") == 0) {
				a->clear_since = v;
			} else if (cs && !a && strcmp(key, "name") == 0) {
				copy_text(cs->name, sizeof cs->name, val.data);
			} else if (cs && !a && strcmp(key, "host") == 0) {
				copy_text(cs->host, sizeof cs->host, val.data);
			} else if (cs && !a && isnum && strcmp(key, "have_restarts") == 0) {
				cs->have_restarts = v != 0;
			} else if (cs && !a && isnum && strcmp(key, "restarts") == 0) {
				cs->last_restarts = (int)v;
			} else if (cs && !a && isnum && strcmp(key, "have_oom_kills") == 0) {
				cs->have_oom_kills = v != 0;
			} else if (cs && !a && isnum && strcmp(key, "oom_kills") == 0) {
				cs->last_oom_kills = (double)v;
			} else if (cs && !a && isnum && strcmp(key, "oom_until") == 0) {
				cs->oom_until = v;
			} else if (cs && !a && strcmp(key, "restart_ts") == 0) {
				char *save = NULL;
				cs->nrestart = 0;
				for (char *t = strtok_r(val.data, ",", &save); t && cs->nrestart < MAX_RESTART_TS;
				     t = strtok_r(NULL, ",", &save))
					if (parse_int64(t, &v) == 0)
						cs->restart_ts[cs->nrestart++] = v;
			}
		}
		if (got < 0) {
			char why[256];
			snprintf(why, sizeof why, "%s", err);
			snprintf(err, errlen, "%s:%d: %s (delete the file to start afresh)", path, lineno, why);
			goto out;
		}
	}
	rc = 0;
out:
	if (rc)
		clear_states(r);
	buf_free(&val);
	free(text);
	return rc;
}

void rules_replay(struct rules *r, const struct alert_transition *t, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (t[i].seq <= r->seq || (int)t[i].kind < 0 || t[i].kind >= ALERT_KIND_COUNT || !t[i].container_id[0])
			continue;
		struct cstate *cs = find_or_add(r, t[i].container_id, NO_PLACE);
		if (!cs)
			return; /* out of memory: what is left fires again, as without the log */
		if (t[i].container[0])
			copy_text(cs->name, sizeof cs->name, t[i].container);
		if (t[i].host[0])
			copy_text(cs->host, sizeof cs->host, t[i].host);
		struct alert_state *a = &cs->a[t[i].kind];
		a->firing = t[i].firing;
		a->pending_since = 0;
		a->clear_since = 0;
		a->episode_since = t[i].firing ? (t[i].since_ms ? t[i].since_ms : t[i].ts_ms) : 0;
		if (t[i].firing) {
			a->value = t[i].value;
			a->threshold = t[i].threshold;
			copy_text(a->msg, sizeof a->msg, t[i].msg);
			a->msg_from_reading = false;
		}
		r->seq = t[i].seq;
	}
}
