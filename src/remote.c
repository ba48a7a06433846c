/* remote.c — `lookout --connect URL`: snapshots rebuilt from a lookout daemon's HTTP API for the screen, with the
 * daemon's history fetched incrementally into local series. It does not sample, alert or write anything, and it
 * trusts nothing it receives: every field is type-checked and bounded, every string copied as text for the
 * screen to escape. */
#include "autoconfig.h"
#include "remote.h"

#include <curl/curl.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <cJSON.h>

#include "util.h"

#define REMOTE_MAX_BODY (256u << 20)   /* a day of history for hundreds of containers is far less */
#define REMOTE_CONNECT_TIMEOUT_MS 2000
#define REMOTE_TIMEOUT_MS 5000         /* a stalled daemon shows as unreachable within seconds */
#define REMOTE_HISTORY_TIMEOUT_MS 60000 /* the first history answer may be large; remote_stop cuts it short */
#define REMOTE_HISTORY_S 3700          /* the screen's longest window (1 h) and a margin */
#define REMOTE_MAX_CONTAINERS 100000
#define REMOTE_MAX_ENGINES 1024

/* ---- histories ------------------------------------------------------------------------------------------ */
struct rh_entry {
	char id[65];
	struct series s;
	int64_t last_ms;
	bool seen;
};

struct remote_history {
	struct rh_entry *e;
	size_t n, cap;
	size_t capacity; /* points per container */
	int64_t step_ms;
	int64_t newest_ms;
};

struct remote_history *remote_history_new(double interval_s)
{
	if (!(interval_s >= 0.01) || !(interval_s <= 3600))
		interval_s = 2;
	struct remote_history *h = calloc(1, sizeof *h);
	if (!h)
		return NULL;
	h->step_ms = (int64_t)llround(interval_s * 1000);
	if (h->step_ms < 1)
		h->step_ms = 1;
	h->capacity = (size_t)(REMOTE_HISTORY_S * 1000 / h->step_ms) + 16;
	return h;
}

void remote_history_free(struct remote_history *h)
{
	if (!h)
		return;
	for (size_t i = 0; i < h->n; i++)
		series_free(&h->e[i].s);
	free(h->e);
	free(h);
}

static struct rh_entry *rh_find(const struct remote_history *h, const char *id)
{
	for (size_t i = 0; h && i < h->n; i++)
		if (strcmp(h->e[i].id, id) == 0)
			return &h->e[i];
	return NULL;
}

static struct rh_entry *rh_get(struct remote_history *h, const char *id)
{
	struct rh_entry *e = rh_find(h, id);
	if (e)
		return e;
	if (h->n == h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 16;
		struct rh_entry *ne = realloc(h->e, cap * sizeof *ne);
		if (!ne)
			return NULL;
		h->e = ne;
		h->cap = cap;
	}
	e = &h->e[h->n];
	memset(e, 0, sizeof *e);
	snprintf(e->id, sizeof e->id, "%s", id);
	if (series_init(&e->s, h->capacity, h->step_ms))
		return NULL;
	h->n++;
	return e;
}

int64_t remote_history_newest(const struct remote_history *h) { return h ? h->newest_ms : 0; }
size_t remote_history_count(const struct remote_history *h) { return h ? h->n : 0; }

size_t remote_history_points(const struct remote_history *h, const char *id)
{
	const struct rh_entry *e = rh_find(h, id);
	if (!e)
		return 0;
	struct series_view v;
	if (series_view_take(&e->s, 0, &v))
		return 0;
	size_t n = v.count;
	series_view_release(&v);
	return n;
}

/* A container id as the daemon sends it: 1 to 64 printable ASCII characters (Docker's are 64 hex digits). */
static bool good_id(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n == 0 || n > 64)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] <= 0x20 || s[i] >= 0x7f)
			return false;
	return true;
}

/* A number field: its value, or NaN for null, a missing member or anything else. */
static double num_of(const cJSON *j)
{
	return cJSON_IsNumber(j) && isfinite(j->valuedouble) ? j->valuedouble : NAN;
}

static float clamp_f(double v, double lo, double hi)
{
	if (isnan(v))
		return NAN;
	return (float)(v < lo ? lo : v > hi ? hi : v);
}

int remote_history_add(struct remote_history *h, const char *json, size_t len, char *err, size_t errlen)
{
	cJSON *root = cJSON_ParseWithLength(json, len);
	const cJSON *arr = root ? cJSON_GetObjectItemCaseSensitive(root, "containers") : NULL;
	if (!cJSON_IsArray(arr)) {
		snprintf(err, errlen, "the history answer is not lookout's compact history JSON");
		cJSON_Delete(root);
		return -1;
	}
	int rc = 0;
	const cJSON *c;
	cJSON_ArrayForEach(c, arr)
	{
		const cJSON *id = cJSON_GetObjectItemCaseSensitive(c, "id");
		const cJSON *pts = cJSON_GetObjectItemCaseSensitive(c, "points");
		if (!cJSON_IsString(id) || !good_id(id->valuestring) || !cJSON_IsArray(pts))
			continue;
		if (!cJSON_GetArraySize(pts) && !rh_find(h, id->valuestring))
			continue; /* nothing to keep yet */
		struct rh_entry *e = rh_get(h, id->valuestring);
		if (!e) {
			snprintf(err, errlen, "out of memory for the history");
			rc = -1;
			break;
		}
		const cJSON *p;
		cJSON_ArrayForEach(p, pts)
		{
			if (!cJSON_IsArray(p) || cJSON_GetArraySize(p) < 6)
				continue;
			double t = num_of(cJSON_GetArrayItem(p, 0));
			double st = num_of(cJSON_GetArrayItem(p, 5));
			/* Times from 2001 to 2286, strictly increasing; a status lookout knows. */
			if (isnan(t) || t < 1e12 || t > 1e13 || (int64_t)t <= e->last_ms || isnan(st) || st < 0 || st > PT_DOWN ||
			    st != floor(st))
				continue;
			double resp = num_of(cJSON_GetArrayItem(p, 4));
			struct point pt = {
				.wall_ms = (int64_t)t,
				.cpu_pct = clamp_f(num_of(cJSON_GetArrayItem(p, 1)), 0, 1e6),
				.mem_pct = clamp_f(num_of(cJSON_GetArrayItem(p, 2)), 0, 1e6),
				.mem_used_mb = clamp_f(num_of(cJSON_GetArrayItem(p, 3)), 0, 1e9),
				.response_ms = isnan(resp) || resp < 0 ? -1 : resp > 1e9 ? 1000000000 : (int32_t)resp,
				.status = (uint8_t)st,
			};
			if (series_append(&e->s, &pt)) {
				snprintf(err, errlen, "out of memory for the history");
				rc = -1;
				break;
			}
			e->last_ms = pt.wall_ms;
			if (pt.wall_ms > h->newest_ms)
				h->newest_ms = pt.wall_ms;
		}
		if (rc)
			break;
	}
	cJSON_Delete(root);
	return rc;
}

int remote_attach_history(struct snapshot *s, struct remote_history *h)
{
	if (!h)
		return 0;
	int rc = 0;
	for (size_t i = 0; i < h->n; i++)
		h->e[i].seen = false;
	for (size_t i = 0; i < s->n; i++) {
		struct rh_entry *e = rh_find(h, s->c[i].si->info.id);
		if (!e)
			continue;
		e->seen = true;
		series_view_release(&s->c[i].hist);
		if (series_view_take(&e->s, 0, &s->c[i].hist))
			rc = -1;
	}
	/* Containers the daemon no longer reports: their points go (snapshots that saw them keep their chunks). */
	size_t k = 0;
	for (size_t i = 0; i < h->n; i++) {
		if (h->e[i].seen)
			h->e[k++] = h->e[i];
		else
			series_free(&h->e[i].s);
	}
	h->n = k;
	return rc;
}

/* ---- snapshot JSON ---------------------------------------------------------------------------------------- */

/* Copies a string member (or "" for anything else) into out, cut at a character boundary. */
static void str_into(const cJSON *obj, const char *key, char *out, size_t len)
{
	const cJSON *j = cJSON_GetObjectItemCaseSensitive(obj, key);
	const char *v = cJSON_IsString(j) && j->valuestring ? j->valuestring : "";
	size_t n = strlen(v);
	if (n >= len) {
		n = len - 1;
		while (n > 0 && ((unsigned char)v[n] & 0xC0) == 0x80)
			n--;
	}
	memcpy(out, v, n);
	out[n] = '\0';
}

/* A malloc'd copy of a string member, NULL when absent or not a string. */
static char *str_dup(const cJSON *obj, const char *key)
{
	const cJSON *j = cJSON_GetObjectItemCaseSensitive(obj, key);
	return cJSON_IsString(j) && j->valuestring ? strdup(j->valuestring) : NULL;
}

static bool bool_of(const cJSON *obj, const char *key, bool dflt)
{
	const cJSON *j = cJSON_GetObjectItemCaseSensitive(obj, key);
	return cJSON_IsBool(j) ? cJSON_IsTrue(j) : dflt;
}

static double num_member(const cJSON *obj, const char *key)
{
	return num_of(cJSON_GetObjectItemCaseSensitive(obj, key));
}

static int int_member(const cJSON *obj, const char *key, int dflt, int lo, int hi)
{
	double v = num_member(obj, key);
	if (isnan(v) || v < lo || v > hi)
		return dflt;
	return (int)v;
}

static int64_t time_member(const cJSON *obj, const char *key)
{
	const cJSON *j = cJSON_GetObjectItemCaseSensitive(obj, key);
	int64_t ms = 0;
	if (cJSON_IsString(j) && j->valuestring && parse_rfc3339_ms(j->valuestring, &ms) == 0 && ms > 0)
		return ms;
	if (cJSON_IsNumber(j) && j->valuedouble > 0 && j->valuedouble < 1e15)
		return (int64_t)j->valuedouble;
	return 0;
}

static double metric_member(const cJSON *obj, const char *key, double hi)
{
	double v = num_member(obj, key);
	return isnan(v) ? NAN : v < 0 ? 0 : v > hi ? hi : v;
}

/* A count or a size: 0 when absent, not a number, negative or beyond 1e18 (the cast would be undefined). */
static uint64_t u64_member(const cJSON *obj, const char *key)
{
	double v = num_member(obj, key);
	return v >= 0 && v < 1e18 ? (uint64_t)v : 0;
}

static int container_from_json(struct snap_container *sc, const cJSON *j, const struct snapshot *s)
{
	struct container_info in;
	memset(&in, 0, sizeof in);
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(j, "id");
	if (!cJSON_IsString(id) || !good_id(id->valuestring))
		return 1; /* skipped */
	snprintf(in.id, sizeof in.id, "%s", id->valuestring);
	in.name = str_dup(j, "name");
	in.image = str_dup(j, "image");
	in.health_output = str_dup(j, "health_output");
	char word[32];
	str_into(j, "state", word, sizeof word);
	in.state = container_state_parse(word);
	str_into(j, "health", word, sizeof word);
	in.health = container_health_parse(word);
	in.exit_code = int_member(j, "exit_code", -1, 0, 255);
	in.oom_killed = bool_of(j, "oom_killed", false);
	in.restart_count = int_member(j, "restarts", 0, 0, 1000000000);
	const cJSON *labels = cJSON_GetObjectItemCaseSensitive(j, "labels");
	int nl = cJSON_IsObject(labels) ? cJSON_GetArraySize(labels) : 0;
	if (nl > 0 && nl <= 4096) {
		in.labels = calloc((size_t)nl, sizeof *in.labels);
		const cJSON *l;
		cJSON_ArrayForEach(l, labels)
		{
			if (!in.labels || !l->string || !cJSON_IsString(l) || !l->valuestring)
				continue;
			struct label *lb = &in.labels[in.nlabels];
			lb->key = strdup(l->string);
			lb->value = strdup(l->valuestring);
			if (!lb->key || !lb->value) {
				free(lb->key);
				free(lb->value);
				lb->key = lb->value = NULL;
				continue;
			}
			in.nlabels++;
		}
	}
	if (!in.name)
		in.name = strdup(in.id);
	if (!in.name) {
		container_info_free(&in);
		return -1;
	}
	sc->state = in.state;
	sc->health = in.health;
	sc->restarts = in.restart_count;
	sc->exit_code = in.exit_code;
	sc->oom_killed = in.oom_killed;
	sc->si = shared_info_new(&in);
	if (!sc->si)
		return -1;
	sc->up = bool_of(j, "up", false);
	sc->state_since_ms = time_member(j, "state_since");
	sc->m.cpu_pct = metric_member(j, "cpu_pct", 1e6);
	sc->m.cpu_limit_pct = metric_member(j, "cpu_limit_pct", 1e6);
	sc->m.mem_used_bytes = metric_member(j, "mem_used_bytes", 1e18);
	sc->m.mem_limit_bytes = metric_member(j, "mem_limit_bytes", 1e18);
	sc->m.mem_pct = metric_member(j, "mem_pct", 1e6);
	sc->m.net_rx_bps = metric_member(j, "net_rx_bps", 1e15);
	sc->m.net_tx_bps = metric_member(j, "net_tx_bps", 1e15);
	sc->m.blk_read_bps = metric_member(j, "blk_read_bps", 1e15);
	sc->m.blk_write_bps = metric_member(j, "blk_write_bps", 1e15);
	sc->m.pids = metric_member(j, "pids", 1e9);
	sc->m.oom_kills = NAN;
	sc->m.throttled_pct = NAN;
	sc->have_metrics = !isnan(sc->m.cpu_pct) || !isnan(sc->m.mem_used_bytes);
	sc->source = MSRC_NONE;
	sc->response_ms = int_member(j, "response_ms", -1, 0, 1000000000);
	sc->http_status = int_member(j, "http_status", 0, 0, 999);
	const cJSON *pok = cJSON_GetObjectItemCaseSensitive(j, "probe_ok");
	sc->probed = cJSON_IsBool(pok);
	sc->probe_ok = cJSON_IsTrue(pok);
	str_into(j, "probe_error", sc->probe_error, sizeof sc->probe_error);
	const cJSON *firing = cJSON_GetObjectItemCaseSensitive(j, "firing_alerts");
	if (!cJSON_IsArray(firing))
		firing = NULL;
	const cJSON *f;
	cJSON_ArrayForEach(f, firing)
	{
		enum alert_kind k;
		if (cJSON_IsString(f) && alert_kind_parse(f->valuestring, &k) == 0 && (int)k >= 0 && (int)k < 32)
			sc->firing_alerts |= 1u << k;
	}
	/* The host it runs on: an engine of this snapshot by name (daemons watching several engines say it). */
	char host[256];
	str_into(j, "host", host, sizeof host);
	sc->engine = 0;
	for (size_t e = 0; host[0] && e < s->nengines; e++)
		if (strcmp(s->engines[e].name, host) == 0) {
			sc->engine = (unsigned)e;
			break;
		}
	return 0;
}

static int cmp_by_name(const void *pa, const void *pb)
{
	const struct snap_container *a = pa, *b = pb;
	return strcmp(a->si->info.name ? a->si->info.name : "", b->si->info.name ? b->si->info.name : "");
}

struct snapshot *remote_parse_snapshot(const char *json, size_t len, uint64_t seq, double *interval_s, char *err,
                                       size_t errlen)
{
	cJSON *root = cJSON_ParseWithLength(json, len);
	const cJSON *arr = root ? cJSON_GetObjectItemCaseSensitive(root, "containers") : NULL;
	if (!cJSON_IsObject(root) || !cJSON_IsArray(arr)) {
		snprintf(err, errlen, "the answer is not a lookout snapshot (JSON with a \"containers\" array)");
		cJSON_Delete(root);
		return NULL;
	}
	int n = cJSON_GetArraySize(arr);
	if (n > REMOTE_MAX_CONTAINERS)
		n = REMOTE_MAX_CONTAINERS;
	struct snapshot *s = snapshot_alloc((size_t)n);
	if (!s)
		goto enomem;
	s->n = 0;
	s->seq = seq;
	s->tick = u64_member(root, "tick");
	s->wall_ms = time_member(root, "time");
	s->tick_wall_ms = time_member(root, "tick_time");
	if (!s->wall_ms)
		s->wall_ms = now_wall_ms();
	s->is_tick = true;
	double iv = num_member(root, "interval_s");
	if (interval_s && iv >= 0.01 && iv <= 3600)
		*interval_s = iv;
	str_into(root, "host", s->host, sizeof s->host);
	const cJSON *eng = cJSON_GetObjectItemCaseSensitive(root, "engine");
	s->engine_up = bool_of(eng, "up", true);
	str_into(eng, "endpoint", s->engine_endpoint, sizeof s->engine_endpoint);
	str_into(eng, "version", s->version.version, sizeof s->version.version);
	str_into(eng, "error", s->engine_error, sizeof s->engine_error);
	double cpus = num_member(eng, "host_cpus");
	s->host_cpus = cpus >= 0 && cpus < 1e6 ? (unsigned)cpus : 0;
	s->host_mem_bytes = u64_member(eng, "host_mem_bytes");
	const cJSON *self = cJSON_GetObjectItemCaseSensitive(root, "lookout");
	s->self_cpu_pct = num_member(self, "cpu_pct");
	s->self_rss_bytes = u64_member(self, "rss_bytes");

	/* Engines: the daemon's list when it watches several, else the one it describes at the top level. */
	const cJSON *engines = cJSON_GetObjectItemCaseSensitive(root, "engines");
	int ne = cJSON_IsArray(engines) ? cJSON_GetArraySize(engines) : 0;
	if (ne > REMOTE_MAX_ENGINES)
		ne = REMOTE_MAX_ENGINES;
	if (snapshot_alloc_engines(s, ne > 0 ? (size_t)ne : 1))
		goto enomem;
	if (ne > 0) {
		int i = 0;
		const cJSON *e;
		cJSON_ArrayForEach(e, engines)
		{
			if (i >= ne)
				break;
			struct snap_engine *se = &s->engines[i++];
			str_into(e, "name", se->name, sizeof se->name);
			str_into(e, "endpoint", se->endpoint, sizeof se->endpoint);
			str_into(e, "error", se->error, sizeof se->error);
			str_into(e, "version", se->version.version, sizeof se->version.version);
			se->up = bool_of(e, "up", false);
			se->known = cJSON_IsBool(cJSON_GetObjectItemCaseSensitive(e, "up"));
			double since = num_member(e, "since_ms");
			se->since_ms = since > 0 && since < 1e15 ? (int64_t)since : time_member(e, "since");
		}
		/* The single-engine fields describe engines[0], as the collector's do. */
		s->engine_up = s->engines[0].up;
		if (!s->host[0])
			snprintf(s->host, sizeof s->host, "%s", s->engines[0].name);
		if (!s->engine_endpoint[0])
			snprintf(s->engine_endpoint, sizeof s->engine_endpoint, "%s", s->engines[0].endpoint);
		if (!s->engine_error[0])
			snprintf(s->engine_error, sizeof s->engine_error, "%s", s->engines[0].error);
	} else {
		struct snap_engine *se = &s->engines[0];
		snprintf(se->name, sizeof se->name, "%s", s->host);
		snprintf(se->endpoint, sizeof se->endpoint, "%s", s->engine_endpoint);
		snprintf(se->error, sizeof se->error, "%s", s->engine_error);
		se->version = s->version;
		se->up = s->engine_up;
		se->known = true;
	}
	s->engines[0].host_cpus = s->host_cpus;
	s->engines[0].host_mem_bytes = s->host_mem_bytes;

	const cJSON *c;
	cJSON_ArrayForEach(c, arr)
	{
		if (s->n >= (size_t)n)
			break;
		struct snap_container *sc = &s->c[s->n];
		memset(sc, 0, sizeof *sc);
		int r = cJSON_IsObject(c) ? container_from_json(sc, c, s) : 1;
		if (r < 0)
			goto enomem;
		if (r == 0) {
			/* An id twice would make two rows share a selection and a history: the first one counts. */
			bool dup = false;
			for (size_t k = 0; k < s->n && !dup; k++)
				dup = strcmp(s->c[k].si->info.id, sc->si->info.id) == 0;
			if (dup) {
				shared_info_unref(sc->si);
				memset(sc, 0, sizeof *sc);
				continue;
			}
			s->n++;
		}
	}
	if (s->n > 1)
		qsort(s->c, s->n, sizeof s->c[0], cmp_by_name);
	cJSON_Delete(root);
	return s;
enomem:
	snprintf(err, errlen, "out of memory reading the snapshot");
	cJSON_Delete(root);
	snapshot_unref(s);
	return NULL;
}

int remote_parse_alerts(struct snapshot *s, const char *json, size_t len, char *err, size_t errlen)
{
	cJSON *root = cJSON_ParseWithLength(json, len);
	const cJSON *recent = root ? cJSON_GetObjectItemCaseSensitive(root, "recent") : NULL;
	if (!cJSON_IsArray(recent)) {
		snprintf(err, errlen, "the alerts answer is not lookout's alerts JSON");
		cJSON_Delete(root);
		return -1;
	}
	int n = cJSON_GetArraySize(recent);
	if (n > 1000)
		n = 1000;
	struct alert_history *h = calloc(1, sizeof *h + (size_t)n * sizeof h->t[0]);
	if (!h) {
		snprintf(err, errlen, "out of memory reading the alerts");
		cJSON_Delete(root);
		return -1;
	}
	atomic_init(&h->refs, 1);
	/* Newest first in the answer; oldest first in the snapshot. */
	for (int i = n - 1; i >= 0; i--) {
		const cJSON *j = cJSON_GetArrayItem(recent, i);
		char word[64];
		str_into(j, "alert", word, sizeof word);
		enum alert_kind kind;
		if (!cJSON_IsObject(j) || alert_kind_parse(word, &kind))
			continue;
		struct alert_transition *t = &h->t[h->n];
		memset(t, 0, sizeof *t);
		t->kind = kind;
		str_into(j, "level", word, sizeof word);
		t->sev = alert_severity_parse(word);
		str_into(j, "state", word, sizeof word);
		t->firing = strcmp(word, "firing") == 0;
		t->seq = u64_member(j, "seq");
		t->ts_ms = time_member(j, "time");
		t->since_ms = time_member(j, "since");
		str_into(j, "container", t->container, sizeof t->container);
		str_into(j, "container_id", t->container_id, sizeof t->container_id);
		str_into(j, "msg", t->msg, sizeof t->msg);
		t->value = num_member(j, "value");
		t->threshold = num_member(j, "threshold");
		h->n++;
	}
	cJSON_Delete(root);
	alert_history_unref(s->alerts_ref);
	s->alerts_ref = h;
	s->recent_alerts = h->t;
	s->nrecent_alerts = h->n;
	return 0;
}

/* ---- HTTP ------------------------------------------------------------------------------------------------- */
struct remote {
	char *base;        /* URL without a trailing slash */
	char shown[512];   /* for the screen and messages */
	char *auth_header; /* "Authorization: Bearer …", NULL without a token */
	CURL *curl;
	atomic_bool stop;
	pthread_mutex_t lock; /* guards state, err, since */
	enum remote_state state;
	char err[512];
	int64_t since_ms;
	uint64_t seq;
	double interval_s;
	struct remote_history *hist;
	int64_t next_mono_ns;
};

struct body {
	struct buf b;
	bool too_big;
};

static size_t body_write(char *p, size_t size, size_t nmemb, void *arg)
{
	struct body *bd = arg;
	size_t n = size * nmemb;
	if (bd->b.len + n > REMOTE_MAX_BODY) {
		bd->too_big = true;
		return 0;
	}
	return buf_append(&bd->b, p, n) ? 0 : n;
}

static int progress(void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	(void)dt, (void)dn, (void)ut, (void)un;
	struct remote *r = arg;
	return atomic_load(&r->stop) ? 1 : 0;
}

struct remote *remote_new(const char *url, const char *token, char *err, size_t errlen)
{
	if (!url || (strncasecmp(url, "http://", 7) != 0 && strncasecmp(url, "https://", 8) != 0)) {
		snprintf(err, errlen, "LOOKOUT_CONNECT must be the daemon's http:// or https:// address (its LISTEN), "
		                      "e.g. http://127.0.0.1:8080");
		return NULL;
	}
	struct remote *r = calloc(1, sizeof *r);
	if (!r)
		goto enomem;
	pthread_mutex_init(&r->lock, NULL);
	atomic_init(&r->stop, false);
	r->interval_s = 2;
	r->base = strdup(url);
	if (!r->base)
		goto enomem;
	size_t n = strlen(r->base);
	while (n > 0 && r->base[n - 1] == '/')
		r->base[--n] = '\0';
	url_redact(r->base, r->shown, sizeof r->shown);
	if (token && *token) {
		for (const char *p = token; *p; p++)
			if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f) {
				snprintf(err, errlen, "the --connect token may hold only printable ASCII without blanks");
				remote_free(r);
				return NULL;
			}
		struct buf h;
		buf_init(&h);
		if (buf_puts(&h, "Authorization: Bearer ") || buf_puts(&h, token)) {
			buf_free(&h);
			goto enomem;
		}
		r->auth_header = h.data;
	}
	r->curl = curl_easy_init();
	if (!r->curl)
		goto enomem;
	return r;
enomem:
	snprintf(err, errlen, "out of memory");
	remote_free(r);
	return NULL;
}

void remote_free(struct remote *r)
{
	if (!r)
		return;
	if (r->curl)
		curl_easy_cleanup(r->curl);
	if (r->auth_header) {
		explicit_bzero(r->auth_header, strlen(r->auth_header));
		free(r->auth_header);
	}
	free(r->base);
	remote_history_free(r->hist);
	pthread_mutex_destroy(&r->lock);
	free(r);
}

void remote_stop(struct remote *r) { atomic_store(&r->stop, true); }
const char *remote_url(const struct remote *r) { return r->shown; }

/* GET base+path into bd within timeout_ms. 0, or -1 with err; *http gets the status (0 when there was no answer). */
static int get(struct remote *r, const char *path, long timeout_ms, struct body *bd, long *http, char *err,
               size_t errlen)
{
	char url[2048];
	snprintf(url, sizeof url, "%s%s", r->base, path);
	char errbuf[CURL_ERROR_SIZE] = "";
	struct curl_slist *hdrs = NULL;
	if (r->auth_header) {
		hdrs = curl_slist_append(NULL, r->auth_header);
		if (!hdrs) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
	}
	CURL *c = r->curl;
	curl_easy_reset(c);
	CURLcode rc = curl_easy_setopt(c, CURLOPT_URL, url);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
#if LIBCURL_VERSION_NUM >= 0x075500
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(c, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)REMOTE_CONNECT_TIMEOUT_MS);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(c, CURLOPT_USERAGENT, "lookout-connect");
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, body_write);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(c, CURLOPT_WRITEDATA, bd);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, progress);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(c, CURLOPT_XFERINFODATA, r);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	if (rc == CURLE_OK)
		rc = curl_easy_perform(c);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, NULL);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(hdrs);
	*http = 0;
	if (rc != CURLE_OK) {
		if (bd->too_big)
			snprintf(err, errlen, "%s answered more than %u MiB", r->shown, REMOTE_MAX_BODY >> 20);
		else
			snprintf(err, errlen, "%s: %s", r->shown, errbuf[0] ? errbuf : curl_easy_strerror(rc));
		return -1;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, http);
	if (*http == 401) {
		snprintf(err, errlen, "%s refused the token (HTTP 401): set LOOKOUT_CONNECT_TOKEN or "
		                      "LOOKOUT_CONNECT_TOKEN_FILE to the daemon's HTTP_TOKEN", r->shown);
		return -1;
	}
	if (*http != 200) {
		snprintf(err, errlen, "%s%s answered HTTP %ld (is it a lookout daemon?)", r->shown, path, *http);
		return -1;
	}
	return 0;
}

static void set_state(struct remote *r, enum remote_state st, const char *why)
{
	pthread_mutex_lock(&r->lock);
	if (st != r->state) {
		r->state = st;
		r->since_ms = now_wall_ms();
	}
	snprintf(r->err, sizeof r->err, "%s", why ? why : "");
	pthread_mutex_unlock(&r->lock);
}

enum remote_state remote_state(struct remote *r, char *err, size_t errlen, int64_t *since_ms)
{
	pthread_mutex_lock(&r->lock);
	enum remote_state st = r->state;
	if (err && errlen)
		snprintf(err, errlen, "%s", r->err);
	if (since_ms)
		*since_ms = r->since_ms;
	pthread_mutex_unlock(&r->lock);
	return st;
}

int remote_poll(struct remote *r, struct snapshot **out, char *err, size_t errlen)
{
	*out = NULL;
	struct body snap = {0}, hist = {0}, alerts = {0};
	buf_init(&snap.b);
	buf_init(&hist.b);
	buf_init(&alerts.b);
	long http = 0;
	struct snapshot *s = NULL;
	int rc = -1;
	if (get(r, "/api/snapshot.json", REMOTE_TIMEOUT_MS, &snap, &http, err, errlen))
		goto done;
	double iv = r->interval_s;
	s = remote_parse_snapshot(snap.b.data ? snap.b.data : "", snap.b.len, r->seq + 1, &iv, err, errlen);
	if (!s)
		goto done;
	r->interval_s = iv;
	if (!r->hist && !(r->hist = remote_history_new(iv))) {
		snprintf(err, errlen, "out of memory");
		goto done;
	}
	char path[96];
	snprintf(path, sizeof path, "/api/history.json?since_ms=%lld", (long long)remote_history_newest(r->hist));
	long hist_timeout_ms = remote_history_newest(r->hist) ? REMOTE_TIMEOUT_MS : REMOTE_HISTORY_TIMEOUT_MS;
	if (get(r, path, hist_timeout_ms, &hist, &http, err, errlen))
		goto done;
	if (remote_history_add(r->hist, hist.b.data ? hist.b.data : "", hist.b.len, err, errlen))
		goto done;
	if (remote_attach_history(s, r->hist)) {
		snprintf(err, errlen, "out of memory");
		goto done;
	}
	/* Recent alerts are a nicety: a daemon that fails them still gives a screen. */
	char aerr[256];
	if (get(r, "/api/alerts.json", REMOTE_TIMEOUT_MS, &alerts, &http, aerr, sizeof aerr) == 0)
		remote_parse_alerts(s, alerts.b.data ? alerts.b.data : "", alerts.b.len, aerr, sizeof aerr);
	r->seq++;
	*out = s;
	s = NULL;
	rc = 0;
done:
	snapshot_unref(s);
	buf_free(&snap.b);
	buf_free(&hist.b);
	buf_free(&alerts.b);
	if (rc)
		set_state(r, http == 401 ? REMOTE_UNAUTHORIZED : REMOTE_DOWN, err);
	else
		set_state(r, REMOTE_UP, NULL);
	return rc;
}

static int64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

struct snapshot *remote_wait(struct remote *r, uint64_t after_seq, int timeout_ms)
{
	(void)after_seq;
	if (atomic_load(&r->stop))
		return NULL;
	int64_t now = mono_ns();
	if (r->next_mono_ns > now) {
		int64_t wait_ns = r->next_mono_ns - now;
		if (wait_ns > (int64_t)timeout_ms * 1000000)
			wait_ns = (int64_t)timeout_ms * 1000000;
		struct timespec ts = {(time_t)(wait_ns / 1000000000), (long)(wait_ns % 1000000000)};
		nanosleep(&ts, NULL);
		if (mono_ns() < r->next_mono_ns)
			return NULL;
	}
	struct snapshot *s = NULL;
	char err[512];
	int rc = remote_poll(r, &s, err, sizeof err);
	/* Every sampling interval while it answers; every second (at most) while it does not. */
	double next_s = rc ? (r->interval_s < 1 ? r->interval_s : 1) : r->interval_s;
	if (next_s < 0.1)
		next_s = 0.1;
	r->next_mono_ns = mono_ns() + (int64_t)(next_s * 1e9);
	return s;
}
