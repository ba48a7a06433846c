/* web.c — the live page, the JSON API and the Prometheus exposition, each rendered from one snapshot. It
 * escapes every untrusted string (names, images, labels, health output, probe URLs and errors) for HTML, JSON
 * or Prometheus label values; it does no I/O and keeps no state between requests. */
#include "autoconfig.h"
#include "web.h"

#include <cJSON.h>
#include <math.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alert.h"

#define DEFAULT_WINDOW_MS (15 * 60 * 1000)

/* Swaps the part inside <main> every 2 s without reloading the page; on failure it marks the page stale and
 * keeps trying. With scripts off, the <noscript> refresh reloads the whole page instead. */
static const char page_script[] =
	"(function(){var m=document.getElementById('live');if(!m||!window.fetch)return;"
	"var q=location.search?location.search+'&':'?';"
	"function tick(){fetch('/'+q+'fragment=1',{credentials:'same-origin',cache:'no-store'})"
	".then(function(r){if(!r.ok)throw new Error('HTTP '+r.status);return r.text()})"
	".then(function(t){m.innerHTML=t;document.body.classList.remove('stale')})"
	".catch(function(){document.body.classList.add('stale')})"
	".then(function(){setTimeout(tick,2000)})}"
	"setTimeout(tick,2000)})();";

static char script_hash[64];
static pthread_once_t script_hash_once = PTHREAD_ONCE_INIT;

static void hash_script(void)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	if (EVP_Digest(page_script, strlen(page_script), md, &len, EVP_sha256(), NULL) != 1)
		return;
	EVP_EncodeBlock((unsigned char *)script_hash, md, (int)len);
}

const char *web_page_script(void)
{
	pthread_once(&script_hash_once, hash_script);
	return script_hash;
}

int web_parse_window(const char *s, int64_t *out_ms)
{
	char *end;
	if (!s || !*s)
		return -1;
	double v = strtod(s, &end);
	if (end == s || !(v > 0) || v > 1e9)
		return -1;
	double mult = 1000;
	if (*end == 's')
		end++;
	else if (*end == 'm')
		mult = 60e3, end++;
	else if (*end == 'h')
		mult = 3600e3, end++;
	else if (*end == 'd')
		mult = 86400e3, end++;
	if (*end)
		return -1;
	*out_ms = (int64_t)llround(v * mult);
	return 0;
}

static uint8_t live_status(const struct snap_container *c)
{
	return c->up ? PT_UP : c->state == CSTATE_RUNNING ? PT_UNHEALTHY : PT_DOWN;
}

static const char *status_word(uint8_t st)
{
	return st == PT_UP ? "up" : st == PT_UNHEALTHY ? "unhealthy" : st == PT_DOWN ? "down" : "unknown";
}

/* The index of the first point of v at or after t_ms (v->count when none). */
static size_t first_at_or_after(const struct series_view *v, int64_t t_ms)
{
	size_t lo = 0, hi = v->count;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (series_view_get(v, mid).wall_ms < t_ms)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The part of the minute series older than the per-tick one, from start: [*from, *to) of c->hist_min. */
static void minute_range(const struct snap_container *c, int64_t start, size_t *from, size_t *to)
{
	*from = first_at_or_after(&c->hist_min, start);
	*to = c->hist.count ? first_at_or_after(&c->hist_min, series_view_get(&c->hist, 0).wall_ms) : c->hist_min.count;
	if (*to < *from)
		*to = *from;
}


/* The history of one container from start as one sequence: the minute series (the last 24 h) for the part
 * older than the per-tick series' first point, then the per-tick series (the last hour). */
struct merged {
	const struct series_view *min, *tick;
	size_t min_from, min_to, tick_from, count;
};

static void merged_init(struct merged *m, const struct snap_container *c, int64_t start)
{
	m->min = &c->hist_min;
	m->tick = &c->hist;
	minute_range(c, start, &m->min_from, &m->min_to);
	m->tick_from = first_at_or_after(&c->hist, start);
	m->count = m->min_to - m->min_from + c->hist.count - m->tick_from;
}

/* Point i (0 = oldest); *minute: it is a minute average (one point a minute, not one a tick). */
static struct point merged_get(const struct merged *m, size_t i, bool *minute)
{
	size_t nmin = m->min_to - m->min_from;
	*minute = i < nmin;
	return i < nmin ? series_view_get(m->min, m->min_from + i) : series_view_get(m->tick, m->tick_from + i - nmin);
}

/* Points further apart than this are a gap (not watched, or lookout stopped): three intervals, or three
 * minutes where the minute series is involved. */
static int64_t gap_between(double interval_s, bool minute)
{
	return minute ? 180000 : (int64_t)llround(3 * (interval_s > 0 ? interval_s : 2) * 1000);
}

static int push_span(struct html_span **v, size_t *n, size_t *cap, int64_t from, int64_t to, uint8_t st)
{
	if (to < from)
		return 0;
	if (*n && (*v)[*n - 1].status == st && (*v)[*n - 1].to_ms >= from) {
		if (to > (*v)[*n - 1].to_ms)
			(*v)[*n - 1].to_ms = to;
		return 0;
	}
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 16;
		struct html_span *nv = realloc(*v, nc * sizeof *nv);
		if (!nv)
			return -1;
		*v = nv;
		*cap = nc;
	}
	(*v)[(*n)++] = (struct html_span){from, to, st};
	return 0;
}

int web_spans(const struct snap_container *c, int64_t start_ms, int64_t end_ms, double interval_s,
              struct html_span **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	size_t cap = 0;
	struct merged v;
	merged_init(&v, c, INT64_MIN);
	uint8_t live = live_status(c);
	size_t count = v.count;
	bool minute, next_minute = false;
	struct point last = {.wall_ms = INT64_MIN, .status = PT_NONE};
	if (count)
		last = merged_get(&v, count - 1, &minute);
	int64_t newest = last.wall_ms;
	struct point next = count ? merged_get(&v, 0, &next_minute) : last;
	for (size_t i = 0; i < count; i++) {
		const struct point pv = next, *p = &pv;
		minute = next_minute;
		if (i + 1 < count)
			next = merged_get(&v, i + 1, &next_minute);
		int64_t to = i + 1 < count ? next.wall_ms : end_ms;
		if (i + 1 == count && live != p->status)
			to = c->state_since_ms > p->wall_ms ? c->state_since_ms : p->wall_ms;
		if (to <= start_ms || p->wall_ms >= end_ms)
			continue;
		int64_t from = p->wall_ms < start_ms ? start_ms : p->wall_ms;
		if (to > end_ms)
			to = end_ms;
		uint8_t st = p->status;
		int64_t gap_ms = gap_between(interval_s, minute || (i + 1 < count && next_minute));
		if (i + 1 < count && to - p->wall_ms > gap_ms) {
			/* Not watched (or lookout stopped) in between: the point holds for one interval, then unknown. */
			int64_t known = p->wall_ms + gap_ms / 3;
			if (push_span(out, n, &cap, from, known < from ? from : known, st) ||
			    push_span(out, n, &cap, known < from ? from : known, to, PT_NONE))
				goto oom;
			continue;
		}
		if (push_span(out, n, &cap, from, to, st))
			goto oom;
	}
	/* The newest change of state happened when the engine says (its event), not at the tick that first saw it:
	 * find where the current status began (unknown stretches do not interrupt it) and move that edge. */
	size_t k = *n;
	while (k > 0 && ((*out)[k - 1].status == live || (*out)[k - 1].status == PT_NONE))
		k--;
	while (k < *n && (*out)[k].status == PT_NONE)
		k++;
	if (k > 0 && k < *n && (*out)[k - 1].status != PT_NONE && c->state_since_ms > 0 &&
	    c->state_since_ms > (*out)[k - 1].from_ms && c->state_since_ms < (*out)[k].from_ms) {
		(*out)[k - 1].to_ms = c->state_since_ms;
		(*out)[k].from_ms = c->state_since_ms;
	}
	if (count == 0 || live != last.status) {
		int64_t from = count && c->state_since_ms < newest ? newest : c->state_since_ms;
		if (from < start_ms)
			from = start_ms;
		if (from < end_ms && push_span(out, n, &cap, from, end_ms, live))
			goto oom;
	}
	return 0;
oom:
	free(*out);
	*out = NULL;
	*n = 0;
	return -1;
}

static const char *cname(const struct snap_container *c)
{
	return c->si->info.name && *c->si->info.name ? c->si->info.name : c->si->info.id;
}

static void human_bytes(double v, char *buf, size_t len)
{
	static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	size_t u = 0;
	while (v >= 1024 && u + 1 < sizeof units / sizeof units[0]) {
		v /= 1024;
		u++;
	}
	snprintf(buf, len, u ? "%.1f %s" : "%.0f %s", v, units[u]);
}

/* The container's health URL as people may see it (credentials hidden, url_redact) into out; NULL when it
 * has none. */
static const char *probe_url(const struct web_opts *o, const struct snap_container *c, char *out, size_t len)
{
	const char *url = o->copts ? collector_probe_url(o->copts, &c->si->info)
	                           : container_label(&c->si->info, "lookout.url");
	if (!url)
		return NULL;
	url_redact(url, out, len);
	return out;
}

/* A label's value as people may see it: lookout.url, and any value holding a URL, with its credentials hidden
 * (into out); other values as they are. */
static const char *label_shown(const struct label *l, char *out, size_t len)
{
	if (!l->value)
		return "";
	if (strcmp(l->key ? l->key : "", "lookout.url") != 0 && !strstr(l->value, "://"))
		return l->value;
	url_redact(l->value, out, len);
	return out;
}

/* The page's head and top bar; then <main id="live">. */
static int page_head(struct buf *b, const struct snapshot *s)
{
	int rc = buf_puts(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	                     "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
	                     "<noscript><meta http-equiv=\"refresh\" content=\"2\"></noscript><title>lookout");
	if (s && s->host[0]) {
		rc |= buf_puts(b, " \xE2\x80\x94 ");
		rc |= html_escape(b, s->host, 200);
	}
	rc |= buf_printf(b, "</title><style>%s body.stale header.top::after{content:'connection lost: data may be "
	                    "old';color:#ff8a80;margin-left:auto}</style></head><body>",
	                 html_css());
	return rc;
}

static int top_bar(struct buf *b, const struct snapshot *s)
{
	int rc = buf_puts(b, "<header class=\"top\"><h1>lookout</h1>");
	if (!s)
		return rc | buf_puts(b, "<span class=\"dim\">waiting for the first sample\xE2\x80\xA6</span></header>");
	if (s->nengines > 1) { /* several engines: each one's label and reachability */
		for (size_t e = 0; e < s->nengines; e++) {
			const struct snap_engine *en = &s->engines[e];
			rc |= buf_puts(b, en->up ? "<span class=\"engine\">host <b>" : "<span class=\"err engine-down\">host <b>");
			rc |= html_escape(b, en->name[0] ? en->name : "?", 200);
			rc |= buf_puts(b, "</b>");
			if (!en->up) {
				rc |= buf_puts(b, " unreachable: ");
				rc |= html_escape(b, en->error[0] ? en->error : "connecting", 300);
			}
			rc |= buf_puts(b, "</span>");
		}
	} else {
		rc |= buf_puts(b, "<span>host <b>");
		rc |= html_escape(b, s->host[0] ? s->host : "?", 200);
		rc |= buf_puts(b, "</b></span>");
	}
	if (s->nengines > 1) {
		/* each engine shown above */
	} else if (s->engine_up) {
		rc |= buf_puts(b, "<span>engine ");
		rc |= html_escape(b, s->version.version[0] ? s->version.version : "up", 64);
		rc |= buf_puts(b, "</span>");
	} else {
		rc |= buf_puts(b, "<span class=\"err\" id=\"engine-down\">engine unreachable: ");
		rc |= html_escape(b, s->engine_error[0] ? s->engine_error : "connecting", 300);
		rc |= buf_puts(b, "</span>");
	}
	size_t running = 0;
	for (size_t i = 0; i < s->n; i++)
		running += s->c[i].state == CSTATE_RUNNING;
	char t[32], rss[32];
	html_fmt_time(s->tick_wall_ms ? s->tick_wall_ms : s->wall_ms, t, sizeof t);
	human_bytes((double)s->self_rss_bytes, rss, sizeof rss);
	rc |= buf_printf(b, "<span>%zu running, %zu stopped</span><span class=\"dim\">data of <time id=\"data-time\" "
	                    "data-tick=\"%llu\" data-ms=\"%lld\">%s</time></span><span class=\"dim\">lookout itself: %.1f%% CPU, %s</span>"
	                    "<nav class=\"win\">window <a href=\"/?window=5m\">5m</a> <a href=\"/?window=15m\">15m</a> "
	                    "<a href=\"/?window=1h\">1h</a></nav></header>",
	                 running, s->n - running, (unsigned long long)s->tick, (long long)(s->tick_wall_ms ? s->tick_wall_ms : s->wall_ms), t,
	                 s->self_cpu_pct, rss);
	return rc;
}

static int summary_table(struct buf *b, const struct snapshot *s, const struct web_opts *o)
{
	int rc = buf_puts(b, "<section><table class=\"summary\"><thead><tr><th>Status</th><th>Container</th>"
	                     "<th>CPU</th><th>Memory</th><th>Response</th><th>Restarts</th></tr></thead><tbody>");
	if (s->n == 0)
		rc |= buf_puts(b, "<tr><td colspan=\"6\" class=\"dim\">No containers watched.</td></tr>");
	for (size_t i = 0; i < s->n; i++) {
		const struct snap_container *c = &s->c[i];
		uint8_t st = live_status(c);
		bool mm = c->have_metrics;
		double cpu = mm ? c->m.cpu_pct : NAN, mem = mm ? c->m.mem_pct : NAN;
		rc |= buf_puts(b, "<tr class=\"ctr\" data-name=\"");
		rc |= html_escape(b, cname(c), 0);
		rc |= buf_printf(b, "\" data-status=\"%s\"", status_word(st));
		if (s->nengines > 1) {
			rc |= buf_puts(b, " data-host=\"");
			rc |= html_escape(b, snapshot_host_of(s, c), 0);
			rc |= buf_puts(b, "\"");
		}
		if (!isnan(cpu))
			rc |= buf_printf(b, " data-cpu=\"%.2f\"", cpu);
		if (!isnan(mem))
			rc |= buf_printf(b, " data-mem=\"%.2f\"", mem);
		if (c->response_ms >= 0)
			rc |= buf_printf(b, " data-response=\"%d\"", c->response_ms);
		rc |= buf_printf(b, "><td><span class=\"badge %s\">%s</span></td><td><a href=\"#c-%.12s\">", status_word(st),
		                 status_word(st), c->si->info.id);
		rc |= html_escape(b, cname(c), 0);
		rc |= buf_puts(b, "</a>");
		if (s->nengines > 1) { /* several engines: which host each container runs on */
			rc |= buf_puts(b, " <span class=\"dim host\">@ ");
			rc |= html_escape(b, snapshot_host_of(s, c), 200);
			rc |= buf_puts(b, "</span>");
		}
		rc |= buf_puts(b, "</td><td>");
		char txt[96], used[32], lim[32];
		snprintf(txt, sizeof txt, "%.1f%%", cpu);
		rc |= html_gauge(b, cpu, o->gauge_warn, o->gauge_crit, txt);
		rc |= buf_puts(b, "</td><td>");
		if (mm && !isnan(c->m.mem_used_bytes)) {
			human_bytes(c->m.mem_used_bytes, used, sizeof used);
			human_bytes(c->m.mem_limit_bytes, lim, sizeof lim);
			snprintf(txt, sizeof txt, "%.1f%% \xC2\xB7 %s / %s", mem, used, lim);
		} else
			snprintf(txt, sizeof txt, "%.1f%%", mem);
		rc |= html_gauge(b, mem, o->gauge_warn, o->gauge_crit, txt);
		rc |= buf_puts(b, "</td><td class=\"num\">");
		if (c->response_ms >= 0)
			rc |= buf_printf(b, "%d ms", c->response_ms);
		else if (c->probed)
			rc |= buf_puts(b, "<span class=\"err\">failed</span>");
		else
			rc |= buf_puts(b, "<span class=\"dim\">-</span>");
		rc |= buf_printf(b, "</td><td class=\"num\">%d</td></tr>", c->restarts);
	}
	rc |= buf_puts(b, "</tbody></table></section>");
	return rc;
}

/* The chart series of one container inside [start, end]. */
struct chart_data {
	int64_t *t;
	double *cpu, *mem, *resp;
	size_t n;
};

/* The points at or after start (older than an hour: the minute averages); a gap of more than three intervals
 * (three minutes between minute points) gets a NaN point, so lines break there. */
static int chart_data_take(const struct snap_container *c, int64_t start, double interval_s, struct chart_data *d)
{
	memset(d, 0, sizeof *d);
	struct merged v;
	merged_init(&v, c, start);
	size_t n = v.count;
	if (!n)
		return 0;
	size_t cap = 2 * n;
	d->t = malloc(cap * sizeof *d->t);
	d->cpu = malloc(cap * sizeof *d->cpu);
	d->mem = malloc(cap * sizeof *d->mem);
	d->resp = malloc(cap * sizeof *d->resp);
	if (!d->t || !d->cpu || !d->mem || !d->resp)
		return -1;
	size_t k = 0;
	bool minute, prev_minute = false;
	for (size_t i = 0; i < n; i++) {
		const struct point pv = merged_get(&v, i, &minute), *p = &pv;
		if (k && p->wall_ms - d->t[k - 1] > gap_between(interval_s, minute || prev_minute)) {
			d->t[k] = d->t[k - 1] + 1;
			d->cpu[k] = d->mem[k] = d->resp[k] = NAN;
			k++;
		}
		d->t[k] = p->wall_ms;
		d->cpu[k] = p->cpu_pct;
		d->mem[k] = p->mem_pct;
		d->resp[k] = p->response_ms >= 0 ? p->response_ms : NAN;
		k++;
		prev_minute = minute;
	}
	d->n = k;
	return 0;
}

static void chart_data_free(struct chart_data *d)
{
	free(d->t);
	free(d->cpu);
	free(d->mem);
	free(d->resp);
}

/* The page's time window: the one asked for, else up to 15 minutes but no more than the history there is,
 * rounded up to whole minutes and at least two, so a young daemon's charts are not a sliver at the right. */
static int64_t page_window(const struct snapshot *s, const struct web_opts *o)
{
	if (o->window_ms > 0)
		return o->window_ms; /* asked for (?window=): exactly that */
	int64_t max = DEFAULT_WINDOW_MS;
	int64_t oldest = s->wall_ms;
	for (size_t i = 0; i < s->n; i++)
		if (s->c[i].hist.count && series_view_get(&s->c[i].hist, 0).wall_ms < oldest)
			oldest = series_view_get(&s->c[i].hist, 0).wall_ms;
	int64_t have = s->wall_ms - oldest;
	int64_t w = (have + 59999) / 60000 * 60000;
	if (w < 120000)
		w = 120000;
	return w < max ? w : max;
}

static int kv(struct buf *b, const char *key, const char *untrusted_value, size_t max)
{
	int rc = buf_printf(b, "<dt>%s</dt><dd>", key);
	rc |= html_escape(b, untrusted_value, max);
	rc |= buf_puts(b, "</dd>");
	return rc;
}

static int card(struct buf *b, const struct snapshot *s, const struct snap_container *c, const struct web_opts *o)
{
	const struct container_info *in = &c->si->info;
	uint8_t st = live_status(c);
	int64_t window = page_window(s, o);
	int64_t end = s->wall_ms, start = end - window;
	int rc = buf_printf(b, "<section class=\"card\" id=\"c-%.12s\" data-id=\"%.64s\" data-name=\"", in->id, in->id);
	rc |= html_escape(b, cname(c), 0);
	rc |= buf_puts(b, "\"><h2><span class=\"name\">");
	rc |= html_escape(b, cname(c), 0);
	if (s->nengines > 1) {
		rc |= buf_puts(b, "</span><span class=\"dim host\">@ ");
		rc |= html_escape(b, snapshot_host_of(s, c), 200);
	}
	rc |= buf_printf(b, "</span><span class=\"badge %s\">%s</span><span class=\"dim\">", status_word(st),
	                 status_word(st));
	rc |= html_escape(b, in->image, 200);
	rc |= buf_puts(b, "</span>");
	for (int k = 0; k < ALERT_KIND_COUNT; k++)
		if (c->firing_alerts & (1u << k))
			rc |= buf_printf(b, "<span class=\"badge %s firing-alert\">%s</span>",
			                 alert_kind_severity((enum alert_kind)k) == ALERT_CRITICAL ? "down" : "unhealthy",
			                 alert_kind_name((enum alert_kind)k));
	rc |= buf_puts(b, "</h2><dl class=\"kv\">");
	char since[32], state[96];
	html_fmt_time(c->state_since_ms, since, sizeof since);
	if (c->state == CSTATE_RUNNING || c->exit_code < 0)
		snprintf(state, sizeof state, "%s", container_state_name(c->state));
	else
		snprintf(state, sizeof state, "%s (exit %d%s)", container_state_name(c->state), c->exit_code,
		         c->oom_killed ? ", OOM" : "");
	rc |= buf_printf(b, "<dt>state</dt><dd>%s%s%s</dd>", state, c->state_since_ms > 0 ? " since " : "",
	                 c->state_since_ms > 0 ? since : "");
	if (c->health != CHEALTH_NONE)
		rc |= buf_printf(b, "<dt>health check</dt><dd>%s</dd>", container_health_name(c->health));
	char urlbuf[2048];
	const char *url = probe_url(o, c, urlbuf, sizeof urlbuf);
	if (url) {
		rc |= kv(b, "health URL", url, 500);
		if (c->probed && c->probe_ok)
			rc |= buf_printf(b, "<dt>response</dt><dd>%d ms (HTTP %d)</dd>", c->response_ms, c->http_status);
		else if (c->probed) {
			rc |= buf_puts(b, "<dt>response</dt><dd class=\"err probe-error\">");
			rc |= html_escape(b, c->probe_error[0] ? c->probe_error : "failed", 0);
			rc |= buf_puts(b, "</dd>");
		}
	}
	if (in->health_output && *in->health_output) {
		rc |= buf_puts(b, "<dt>health output</dt><dd><pre class=\"out health-output\">");
		rc |= html_escape(b, in->health_output, 4096);
		rc |= buf_puts(b, "</pre></dd>");
	}
	if (in->nlabels) {
		rc |= buf_puts(b, "<dt>labels</dt><dd class=\"labels\">");
		for (size_t i = 0; i < in->nlabels && i < 40; i++) {
			rc |= buf_puts(b, i ? "<br>" : "");
			rc |= html_escape(b, in->labels[i].key, 200);
			rc |= buf_puts(b, "=");
			char lv[2048];
			rc |= html_escape(b, label_shown(&in->labels[i], lv, sizeof lv), 500);
		}
		if (in->nlabels > 40)
			rc |= buf_printf(b, "<br><span class=\"dim\">and %zu more</span>", in->nlabels - 40);
		rc |= buf_puts(b, "</dd>");
	}
	rc |= buf_printf(b, "<dt>restarts</dt><dd>%d</dd></dl>", c->restarts);

	struct chart_data d;
	if (chart_data_take(c, start, o->interval_s, &d)) {
		chart_data_free(&d);
		return -1;
	}
	char title[64];
	struct html_series resp = {"response ms", "l-resp", d.t, d.resp, d.n};
	char span[32];
	if (window > 2 * 3600000LL && window % 3600000 == 0)
		snprintf(span, sizeof span, "%lld h", (long long)(window / 3600000));
	else
		snprintf(span, sizeof span, "%lld min", (long long)(window / 60000));
	snprintf(title, sizeof title, "Response time (ms), last %s", span);
	rc |= buf_printf(b, "<h3>%s</h3>", title);
	bool any_resp = false;
	for (size_t i = 0; i < d.n && !any_resp; i++)
		any_resp = !isnan(d.resp[i]);
	if (url || any_resp) {
		struct html_chart rch = {title, " ms", start, end, 0, o->response_threshold_ms, &resp, 1};
		rc |= html_line_chart(b, &rch);
	} else
		rc |= buf_puts(b, "<p class=\"dim\">No health URL: set the label lookout.url or --probe NAME=URL.</p>");
	struct html_series cm[2] = {{"CPU %", "l-cpu", d.t, d.cpu, d.n}, {"memory %", "l-mem", d.t, d.mem, d.n}};
	snprintf(title, sizeof title, "CPU and memory (%%), last %s", span);
	rc |= buf_printf(b, "<h3>%s</h3>", title);
	struct html_chart cch = {title, "%", start, end, 0, NAN, cm, 2};
	rc |= html_line_chart(b, &cch);
	chart_data_free(&d);

	struct html_span *sp;
	size_t nsp;
	if (web_spans(c, start, end, o->interval_s, &sp, &nsp))
		return -1;
	rc |= buf_printf(b, "<h3>Up/down, last %s</h3>", span);
	rc |= html_timeline(b, sp, nsp, start, end);
	rc |= html_period_list(b, sp, nsp, nsp && sp[nsp - 1].status != PT_UP && sp[nsp - 1].to_ms >= end);
	free(sp);
	rc |= buf_puts(b, "</section>");
	return rc;
}

static int alerts_table(struct buf *b, const struct snapshot *s)
{
	int rc = buf_puts(b, "<section class=\"alerts\"><h2 class=\"sec\">Recent alerts</h2><table><thead><tr><th>Time"
	                     "</th><th>State</th><th>Level</th><th>Alert</th><th>Container</th><th>Message</th></tr>"
	                     "</thead><tbody>");
	if (s->nrecent_alerts == 0)
		rc |= buf_puts(b, "<tr><td colspan=\"6\" class=\"dim\">No alerts yet.</td></tr>");
	/* Newest first, at most 30. */
	for (size_t k = 0; k < s->nrecent_alerts && k < 30; k++) {
		const struct alert_transition *t = &s->recent_alerts[s->nrecent_alerts - 1 - k];
		char ts[32];
		html_fmt_time(t->ts_ms, ts, sizeof ts);
		rc |= buf_printf(b, "<tr><td class=\"num\">%s</td><td class=\"%s\">%s</td><td>%s</td><td>%s</td><td>", ts,
		                 t->firing ? "firing" : "resolved", t->firing ? "firing" : "resolved",
		                 alert_severity_name(t->sev), alert_kind_name(t->kind));
		rc |= html_escape(b, t->container, 0);
		rc |= buf_puts(b, "</td><td>");
		rc |= html_escape(b, t->msg, 0);
		rc |= buf_puts(b, "</td></tr>");
	}
	rc |= buf_puts(b, "</tbody></table></section>");
	return rc;
}

int web_page(struct buf *b, const struct snapshot *s, const struct web_opts *o, bool fragment)
{
	int rc = 0;
	if (!fragment)
		rc |= page_head(b, s) | buf_puts(b, "<div id=\"live\">");
	rc |= top_bar(b, s);
	if (s) {
		rc |= buf_puts(b, "<main>");
		rc |= summary_table(b, s, o);
		rc |= buf_puts(b, "<div class=\"cards\">");
		for (size_t i = 0; i < s->n && !rc; i++)
			rc |= card(b, s, &s->c[i], o);
		rc |= buf_puts(b, "</div>");
		rc |= alerts_table(b, s);
		rc |= buf_puts(b, "</main>");
	}
	if (!fragment)
		rc |= buf_printf(b, "</div><script>%s</script></body></html>\n", page_script);
	return rc ? -1 : 0;
}

/* ---- JSON ------------------------------------------------------------------------------------------- */

static int jstr(cJSON *o, const char *key, const char *v)
{
	struct buf t;
	buf_init(&t);
	if (utf8_sanitize(&t, v ? v : "")) {
		buf_free(&t);
		return -1;
	}
	cJSON *r = cJSON_AddStringToObject(o, key, t.data ? t.data : "");
	buf_free(&t);
	return r ? 0 : -1;
}

static int jnum(cJSON *o, const char *key, double v, int decimals)
{
	cJSON *r;
	if (isnan(v) || isinf(v))
		r = cJSON_AddNullToObject(o, key);
	else {
		double p = pow(10, decimals);
		r = cJSON_AddNumberToObject(o, key, round(v * p) / p);
	}
	return r ? 0 : -1;
}

static int jtime(cJSON *o, const char *key, int64_t ms)
{
	if (ms <= 0)
		return cJSON_AddNullToObject(o, key) ? 0 : -1;
	char t[32];
	fmt_iso8601_ms(ms, t, sizeof t);
	return cJSON_AddStringToObject(o, key, t) ? 0 : -1;
}

static int emit(struct buf *b, cJSON *root, int rc)
{
	char *text = rc ? NULL : cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	if (!text)
		return -1;
	rc = buf_puts(b, text) | buf_puts(b, "\n");
	free(text);
	return rc ? -1 : 0;
}

static int container_json(cJSON *arr, const struct snapshot *s, const struct snap_container *c,
                          const struct web_opts *o)
{
	const struct container_info *in = &c->si->info;
	cJSON *j = cJSON_CreateObject();
	if (!j || !cJSON_AddItemToArray(arr, j))
		return -1;
	bool mm = c->have_metrics;
	int rc = jstr(j, "id", in->id) | jstr(j, "name", cname(c)) | jstr(j, "image", in->image);
	rc |= jstr(j, "host", snapshot_host_of(s, c));
	rc |= jstr(j, "status", status_word(live_status(c)));
	rc |= jstr(j, "state", container_state_name(c->state));
	rc |= jstr(j, "health", container_health_name(c->health));
	rc |= cJSON_AddBoolToObject(j, "up", c->up) ? 0 : -1;
	rc |= jtime(j, "state_since", c->state_since_ms);
	rc |= jnum(j, "restarts", c->restarts, 0);
	rc |= c->exit_code >= 0 ? jnum(j, "exit_code", c->exit_code, 0) : jnum(j, "exit_code", NAN, 0);
	rc |= cJSON_AddBoolToObject(j, "oom_killed", c->oom_killed) ? 0 : -1;
	rc |= jnum(j, "cpu_pct", mm ? c->m.cpu_pct : NAN, 2);
	rc |= jnum(j, "cpu_limit_pct", mm ? c->m.cpu_limit_pct : NAN, 2);
	rc |= jnum(j, "mem_used_bytes", mm ? c->m.mem_used_bytes : NAN, 0);
	rc |= jnum(j, "mem_limit_bytes", mm ? c->m.mem_limit_bytes : NAN, 0);
	rc |= jnum(j, "mem_pct", mm ? c->m.mem_pct : NAN, 2);
	rc |= jnum(j, "net_rx_bps", mm ? c->m.net_rx_bps : NAN, 0);
	rc |= jnum(j, "net_tx_bps", mm ? c->m.net_tx_bps : NAN, 0);
	rc |= jnum(j, "blk_read_bps", mm ? c->m.blk_read_bps : NAN, 0);
	rc |= jnum(j, "blk_write_bps", mm ? c->m.blk_write_bps : NAN, 0);
	rc |= jnum(j, "pids", mm ? c->m.pids : NAN, 0);
	rc |= jnum(j, "response_ms", c->response_ms >= 0 ? c->response_ms : NAN, 0);
	rc |= jnum(j, "http_status", c->http_status > 0 ? c->http_status : NAN, 0);
	char urlbuf[2048];
	const char *url = probe_url(o, c, urlbuf, sizeof urlbuf);
	if (url)
		rc |= jstr(j, "probe_url", url);
	else
		rc |= cJSON_AddNullToObject(j, "probe_url") ? 0 : -1;
	if (c->probed) {
		rc |= cJSON_AddBoolToObject(j, "probe_ok", c->probe_ok) ? 0 : -1;
		rc |= jstr(j, "probe_error", c->probe_error);
	}
	if (in->health_output)
		rc |= jstr(j, "health_output", in->health_output);
	cJSON *labels = cJSON_AddObjectToObject(j, "labels");
	for (size_t i = 0; labels && i < in->nlabels; i++) {
		struct buf k;
		buf_init(&k);
		char lv[2048];
		if (utf8_sanitize(&k, in->labels[i].key) == 0)
			rc |= jstr(labels, k.data ? k.data : "", label_shown(&in->labels[i], lv, sizeof lv));
		buf_free(&k);
	}
	cJSON *firing = cJSON_AddArrayToObject(j, "firing_alerts");
	for (int k = 0; firing && k < ALERT_KIND_COUNT; k++)
		if (c->firing_alerts & (1u << k))
			cJSON_AddItemToArray(firing, cJSON_CreateString(alert_kind_name((enum alert_kind)k)));
	return rc || !labels || !firing ? -1 : 0;
}

/* One engine of the snapshot: its host label, where lookout connects, whether it answers and since when. */
static int engine_json(cJSON *arr, const struct snap_engine *e)
{
	cJSON *j = cJSON_CreateObject();
	if (!j || !cJSON_AddItemToArray(arr, j)) {
		cJSON_Delete(j);
		return -1;
	}
	int rc = jstr(j, "name", e->name) | jstr(j, "endpoint", e->endpoint);
	rc |= cJSON_AddBoolToObject(j, "up", e->up) ? 0 : -1;
	rc |= cJSON_AddBoolToObject(j, "known", e->known) ? 0 : -1;
	rc |= jstr(j, "error", e->up ? "" : e->error);
	rc |= jnum(j, "since_ms", e->since_ms > 0 ? (double)e->since_ms : NAN, 0);
	rc |= jstr(j, "version", e->version.version);
	return rc;
}

int web_snapshot_json(struct buf *b, const struct snapshot *s, const struct web_opts *o)
{
	cJSON *root = cJSON_CreateObject();
	if (!root)
		return -1;
	int rc = 0;
	if (!s) {
		rc |= cJSON_AddNullToObject(root, "time") ? 0 : -1;
		rc |= cJSON_AddArrayToObject(root, "containers") ? 0 : -1;
		return emit(b, root, rc);
	}
	rc |= jnum(root, "seq", (double)s->seq, 0) | jnum(root, "tick", (double)s->tick, 0);
	rc |= jtime(root, "time", s->wall_ms) | jtime(root, "tick_time", s->tick_wall_ms);
	rc |= jstr(root, "host", s->host);
	rc |= jnum(root, "interval_s", o->interval_s, 3);
	cJSON *eng = cJSON_AddObjectToObject(root, "engine");
	if (eng) {
		rc |= cJSON_AddBoolToObject(eng, "up", s->engine_up) ? 0 : -1;
		rc |= jstr(eng, "endpoint", s->engine_endpoint);
		rc |= jstr(eng, "version", s->version.version);
		rc |= jnum(eng, "host_cpus", s->host_cpus, 0) | jnum(eng, "host_mem_bytes", (double)s->host_mem_bytes, 0);
		if (!s->engine_up)
			rc |= jstr(eng, "error", s->engine_error);
	}
	cJSON *self = cJSON_AddObjectToObject(root, "lookout");
	if (self) {
		rc |= jnum(self, "cpu_pct", s->self_cpu_pct, 2);
		rc |= jnum(self, "rss_bytes", (double)s->self_rss_bytes, 0);
		rc |= jstr(self, "version", PACKAGE_VERSION);
	}
	cJSON *arr = cJSON_AddArrayToObject(root, "containers");
	for (size_t i = 0; arr && i < s->n; i++)
		rc |= container_json(arr, s, &s->c[i], o);
	cJSON *engines = cJSON_AddArrayToObject(root, "engines");
	for (size_t i = 0; engines && i < s->nengines; i++)
		rc |= engine_json(engines, &s->engines[i]);
	return emit(b, root, rc || !eng || !self || !arr || !engines);
}

static bool matches(const struct snap_container *c, const char *want)
{
	if (!want || !*want)
		return true;
	if (c->si->info.name && strcmp(c->si->info.name, want) == 0)
		return true;
	size_t n = strlen(want);
	return n >= 4 && strncmp(c->si->info.id, want, n) == 0;
}

/* Appends v as a JSON number rounded to decimals, or null when it is not a number. */
static int jbuf_num(struct buf *b, double v, int decimals)
{
	if (isnan(v) || isinf(v))
		return buf_puts(b, "null");
	return buf_printf(b, "%.*f", decimals, v);
}

/* Appends v as a JSON string (made valid UTF-8, then escaped by cJSON as every other string of the API). */
static int jbuf_str(struct buf *b, const char *v)
{
	struct buf t;
	buf_init(&t);
	int rc = utf8_sanitize(&t, v ? v : "");
	cJSON *j = rc ? NULL : cJSON_CreateString(t.data ? t.data : "");
	char *text = j ? cJSON_PrintUnformatted(j) : NULL;
	rc = text ? buf_puts(b, text) : -1;
	free(text);
	cJSON_Delete(j);
	buf_free(&t);
	return rc;
}

static int point_json(struct buf *b, const struct point *p, bool first)
{
	char t[32];
	fmt_iso8601_ms(p->wall_ms, t, sizeof t);
	int rc = buf_printf(b, "%s{\"t\":\"%s\",\"cpu_pct\":", first ? "" : ",", t);
	rc |= jbuf_num(b, p->cpu_pct, 2) | buf_puts(b, ",\"mem_pct\":") | jbuf_num(b, p->mem_pct, 2);
	rc |= buf_puts(b, ",\"mem_used_mb\":") | jbuf_num(b, p->mem_used_mb, 2);
	rc |= buf_puts(b, ",\"response_ms\":") | jbuf_num(b, p->response_ms >= 0 ? p->response_ms : NAN, 0);
	rc |= buf_printf(b, ",\"status\":\"%s\"}", status_word(p->status));
	return rc;
}

int web_history_json(struct buf *b, const struct snapshot *s, const char *container, int64_t window_ms)
{
	bool all = !container || !*container;
	if (all && window_ms > WEB_HISTORY_ALL_MAX_WINDOW_MS) {
		buf_reset(b);
		return buf_printf(b, "window: at most %lld minutes without container= (ask for one container to reach "
		                     "back 24 h)\n", (long long)(WEB_HISTORY_ALL_MAX_WINDOW_MS / 60000)) ? -1 : 2;
	}
	if (all && window_ms <= 0)
		window_ms = WEB_HISTORY_ALL_DEFAULT_WINDOW_MS;
	int64_t start = s && window_ms > 0 ? s->wall_ms - window_ms : INT64_MIN;
	/* Count first: a response never holds more than WEB_HISTORY_MAX_POINTS points. */
	size_t found = 0, total = 0;
	for (size_t i = 0; s && i < s->n; i++) {
		const struct snap_container *c = &s->c[i];
		if (!matches(c, container))
			continue;
		found++;
		size_t mf, mt;
		minute_range(c, start, &mf, &mt);
		total += mt - mf + c->hist.count - first_at_or_after(&c->hist, start);
	}
	if (!all && !found)
		return 1;
	if (total > WEB_HISTORY_MAX_POINTS) {
		buf_reset(b);
		return buf_printf(b, "%zu points in that window, more than the %d one response holds: ask for one "
		                     "container (container=) or a shorter window\n",
		                  total, WEB_HISTORY_MAX_POINTS) ? -1 : 2;
	}
	int rc = buf_puts(b, "{\"window_s\":") | jbuf_num(b, window_ms > 0 ? (double)window_ms / 1000 : NAN, 3);
	rc |= buf_puts(b, ",\"containers\":[");
	bool first_c = true;
	for (size_t i = 0; s && i < s->n && !rc; i++) {
		const struct snap_container *c = &s->c[i];
		if (!matches(c, container))
			continue;
		rc |= buf_puts(b, first_c ? "{\"id\":" : ",{\"id\":") | jbuf_str(b, c->si->info.id);
		rc |= buf_puts(b, ",\"name\":") | jbuf_str(b, cname(c));
		rc |= buf_puts(b, ",\"host\":") | jbuf_str(b, snapshot_host_of(s, c)) | buf_puts(b, ",\"points\":[");
		first_c = false;
		/* Older than the per-tick history (an hour): the day-long one, a point a minute. */
		size_t mf, mt;
		minute_range(c, start, &mf, &mt);
		bool first_p = true;
		for (size_t k = mf; k < mt && !rc; k++, first_p = false) {
			const struct point p = series_view_get(&c->hist_min, k);
			rc |= point_json(b, &p, first_p);
		}
		for (size_t k = first_at_or_after(&c->hist, start); k < c->hist.count && !rc; k++, first_p = false) {
			const struct point p = series_view_get(&c->hist, k);
			rc |= point_json(b, &p, first_p);
		}
		rc |= buf_puts(b, "]}");
	}
	rc |= buf_puts(b, "]}\n");
	return rc ? -1 : 0;
}

int web_history_compact(struct buf *b, const struct snapshot *s, int64_t since_ms)
{
	int rc = buf_printf(b, "{\"format\":\"compact\",\"time_ms\":%lld,\"containers\":[",
	                    (long long)(s ? s->wall_ms : 0));
	for (size_t i = 0; s && i < s->n && !rc; i++) {
		const struct snap_container *c = &s->c[i];
		rc |= buf_puts(b, i ? ",{\"id\":" : "{\"id\":") | jbuf_str(b, c->si->info.id);
		rc |= buf_puts(b, ",\"points\":[");
		bool first = true;
		for (size_t k = first_at_or_after(&c->hist, since_ms + 1); k < c->hist.count && !rc; k++) {
			const struct point p = series_view_get(&c->hist, k);
			rc |= buf_printf(b, "%s[%lld,", first ? "" : ",", (long long)p.wall_ms);
			rc |= jbuf_num(b, p.cpu_pct, 2) | buf_puts(b, ",") | jbuf_num(b, p.mem_pct, 2) | buf_puts(b, ",");
			rc |= jbuf_num(b, p.mem_used_mb, 2) | buf_puts(b, ",");
			rc |= jbuf_num(b, p.response_ms >= 0 ? p.response_ms : NAN, 0);
			rc |= buf_printf(b, ",%u]", (unsigned)p.status);
			first = false;
		}
		rc |= buf_puts(b, "]}");
	}
	rc |= buf_puts(b, "]}\n");
	return rc ? -1 : 0;
}

static int transition_json(cJSON *arr, const struct alert_transition *t)
{
	cJSON *j = cJSON_CreateObject();
	if (!j || !cJSON_AddItemToArray(arr, j)) {
		cJSON_Delete(j);
		return -1;
	}
	int rc = jnum(j, "seq", (double)t->seq, 0) | jtime(j, "time", t->ts_ms) | jtime(j, "since", t->since_ms);
	rc |= jstr(j, "alert", alert_kind_name(t->kind)) | jstr(j, "level", alert_severity_name(t->sev));
	rc |= jstr(j, "state", t->firing ? "firing" : "resolved");
	rc |= jstr(j, "container", t->container) | jstr(j, "container_id", t->container_id);
	rc |= jstr(j, "host", t->host);
	rc |= jnum(j, "value", t->value, 3) | jnum(j, "threshold", t->threshold, 3);
	rc |= jstr(j, "msg", t->msg);
	return rc;
}

int web_alerts_json(struct buf *b, const struct snapshot *s)
{
	cJSON *root = cJSON_CreateObject();
	if (!root)
		return -1;
	int rc = 0;
	cJSON *firing = cJSON_AddArrayToObject(root, "firing");
	cJSON *recent = cJSON_AddArrayToObject(root, "recent");
	for (size_t i = 0; s && firing && i < s->n; i++)
		for (int k = 0; k < ALERT_KIND_COUNT; k++) {
			if (!(s->c[i].firing_alerts & (1u << k)))
				continue;
			cJSON *j = cJSON_CreateObject();
			if (!j || !cJSON_AddItemToArray(firing, j)) {
				cJSON_Delete(j);
				rc = -1;
				continue;
			}
			rc |= jstr(j, "container", cname(&s->c[i])) | jstr(j, "container_id", s->c[i].si->info.id);
			rc |= jstr(j, "host", snapshot_host_of(s, &s->c[i]));
			rc |= jstr(j, "alert", alert_kind_name((enum alert_kind)k));
			rc |= jstr(j, "level", alert_severity_name(alert_kind_severity((enum alert_kind)k)));
		}
	/* Newest first. */
	for (size_t k = s ? s->nrecent_alerts : 0; recent && k > 0; k--)
		rc |= transition_json(recent, &s->recent_alerts[k - 1]);
	return emit(b, root, rc || !firing || !recent);
}

/* ---- Prometheus ------------------------------------------------------------------------------------- */

/* A label value: valid UTF-8 with \ " and newline escaped (exposition format 0.0.4). Other control characters
 * (ESC, CR, C1) are legal there but would reach the terminal of whoever curls /metrics: U+FFFD instead. */
static int prom_label(struct buf *b, const char *v)
{
	struct buf t;
	buf_init(&t);
	int rc = utf8_sanitize(&t, v ? v : "");
	for (const char *p = t.data ? t.data : ""; *p && !rc; p++) {
		if (*p == '\\')
			rc = buf_puts(b, "\\\\");
		else if (*p == '"')
			rc = buf_puts(b, "\\\"");
		else if (*p == '\n')
			rc = buf_puts(b, "\\n");
		else if ((unsigned char)*p < 0x20 || *p == 0x7f)
			rc = buf_puts(b, "\xef\xbf\xbd");
		else if ((unsigned char)p[0] == 0xc2 && (unsigned char)p[1] >= 0x80 && (unsigned char)p[1] <= 0x9f) {
			rc = buf_puts(b, "\xef\xbf\xbd");
			p++; /* the C1 control's second byte */
		} else
			rc = buf_append(b, p, 1);
	}
	buf_free(&t);
	return rc;
}

static int prom_head(struct buf *b, const char *name, const char *type, const char *help)
{
	return buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static int prom_value(struct buf *b, double v)
{
	if (isnan(v))
		return buf_puts(b, " NaN\n");
	return buf_printf(b, " %.17g\n", v);
}

/* name{id="…",name="…",image="…",host="…"}: host is the container's engine's host label, so the same name on
 * two engines is two series. */
static int prom_ident(struct buf *b, const char *metric, const struct snapshot *s, const struct snap_container *c)
{
	int rc = buf_printf(b, "%s{id=\"%.12s\",name=\"", metric, c->si->info.id);
	rc |= prom_label(b, cname(c));
	rc |= buf_puts(b, "\",image=\"");
	rc |= prom_label(b, c->si->info.image);
	rc |= buf_puts(b, "\",host=\"");
	rc |= prom_label(b, snapshot_host_of(s, c));
	rc |= buf_puts(b, "\"}");
	return rc;
}

enum cfield { F_CPU, F_CPU_LIMIT, F_MEM, F_MEM_LIMIT, F_MEM_PCT, F_RESP, F_UP, F_RESTARTS, F_PIDS, F_RUNNING, F_OOM };

static double cvalue(const struct snap_container *c, enum cfield f)
{
	bool mm = c->have_metrics;
	switch (f) {
	case F_CPU:
		return mm ? c->m.cpu_pct : NAN;
	case F_CPU_LIMIT:
		return mm ? c->m.cpu_limit_pct : NAN;
	case F_MEM:
		return mm ? c->m.mem_used_bytes : NAN;
	case F_MEM_LIMIT:
		return mm ? c->m.mem_limit_bytes : NAN;
	case F_MEM_PCT:
		return mm ? c->m.mem_pct : NAN;
	case F_RESP:
		return c->response_ms >= 0 ? c->response_ms / 1000.0 : NAN;
	case F_UP:
		return c->up ? 1 : 0;
	case F_RESTARTS:
		return c->restarts;
	case F_PIDS:
		return mm ? c->m.pids : NAN;
	case F_RUNNING:
		return c->state == CSTATE_RUNNING ? 1 : 0;
	case F_OOM:
		return c->oom_killed ? 1 : 0;
	}
	return NAN;
}

int web_metrics(struct buf *b, const struct snapshot *s, const struct web_opts *o, const struct web_proc *proc)
{
	static const struct {
		enum cfield f;
		const char *name, *type, *help;
	} per[] = {
		{F_CPU, "lookout_container_cpu_percent", "gauge", "CPU use as docker stats shows it (100 = one core)."},
		{F_CPU_LIMIT, "lookout_container_cpu_limit_percent", "gauge", "CPU use as a share of the container's CPU limit."},
		{F_MEM, "lookout_container_memory_used_bytes", "gauge", "Memory used, page cache excluded (as docker stats)."},
		{F_MEM_LIMIT, "lookout_container_memory_limit_bytes", "gauge",
		 "Memory limit of the container (host memory when unlimited)."},
		{F_MEM_PCT, "lookout_container_memory_percent", "gauge", "Memory used as a percent of the limit."},
		{F_RESP, "lookout_container_response_time_seconds", "gauge", "Time of the newest successful HTTP probe."},
		{F_PIDS, "lookout_container_pids", "gauge", "Processes and threads in the container."},
		{F_UP, "lookout_container_up", "gauge", "1 when the container runs and its health checks pass, else 0."},
		{F_RESTARTS, "lookout_container_restarts_total", "counter", "Restarts of the container counted by the engine."},
		{F_RUNNING, "lookout_container_running", "gauge",
		 "1 when the container is running (not paused, restarting, stopped or dead), else 0."},
		{F_OOM, "lookout_container_oom_killed", "gauge", "1 when the container's last exit was an out-of-memory kill."},
	};
	int rc = 0;
	if (s) {
		for (size_t k = 0; k < sizeof per / sizeof per[0]; k++) {
			rc |= prom_head(b, per[k].name, per[k].type, per[k].help);
			for (size_t i = 0; i < s->n; i++) {
				double v = cvalue(&s->c[i], per[k].f);
				if (isnan(v))
					continue; /* not measured (stopped, or no probe): no sample rather than NaN */
				rc |= prom_ident(b, per[k].name, s, &s->c[i]);
				rc |= prom_value(b, v);
			}
		}
		rc |= prom_head(b, "lookout_container_alert_firing", "gauge",
		                "1 for each alert firing now, per container and alert kind.");
		unsigned counts[ALERT_KIND_COUNT] = {0};
		for (size_t i = 0; i < s->n; i++)
			for (int k = 0; k < ALERT_KIND_COUNT; k++) {
				if (!(s->c[i].firing_alerts & (1u << k)))
					continue;
				counts[k]++;
				rc |= buf_printf(b, "lookout_container_alert_firing{id=\"%.12s\",name=\"", s->c[i].si->info.id);
				rc |= prom_label(b, cname(&s->c[i]));
				rc |= buf_printf(b, "\",alert=\"%s\",severity=\"%s\",host=\"", alert_kind_name((enum alert_kind)k),
				                 alert_severity_name(alert_kind_severity((enum alert_kind)k)));
				rc |= prom_label(b, snapshot_host_of(s, &s->c[i]));
				rc |= buf_puts(b, "\"} 1\n");
			}
		rc |= prom_head(b, "lookout_alerts_firing", "gauge", "Alerts firing now, by kind.");
		for (int k = 0; k < ALERT_KIND_COUNT; k++)
			rc |= buf_printf(b, "lookout_alerts_firing{alert=\"%s\",severity=\"%s\"} %u\n",
			                 alert_kind_name((enum alert_kind)k),
			                 alert_severity_name(alert_kind_severity((enum alert_kind)k)), counts[k]);
		size_t running = 0;
		for (size_t i = 0; i < s->n; i++)
			running += s->c[i].state == CSTATE_RUNNING;
		rc |= prom_head(b, "lookout_containers", "gauge", "Watched containers by state.");
		rc |= buf_printf(b, "lookout_containers{state=\"running\"} %zu\nlookout_containers{state=\"stopped\"} %zu\n",
		                 running, s->n - running);
		rc |= prom_head(b, "lookout_last_sample_timestamp_seconds", "gauge", "When the newest samples were taken.");
		rc |= buf_printf(b, "lookout_last_sample_timestamp_seconds %.3f\n", (double)s->tick_wall_ms / 1000);
		rc |= prom_head(b, "lookout_host_info", "gauge", "The host label of each engine watched (always 1).");
		for (size_t e = 0; e < s->nengines; e++) {
			rc |= buf_puts(b, "lookout_host_info{host=\"");
			rc |= prom_label(b, s->engines[e].name);
			rc |= buf_puts(b, "\"} 1\n");
		}
		if (!s->nengines) {
			rc |= buf_puts(b, "lookout_host_info{host=\"");
			rc |= prom_label(b, s->host);
			rc |= buf_puts(b, "\"} 1\n");
		}
		rc |= prom_head(b, "lookout_host_cpus", "gauge", "CPUs of the host.");
		rc |= buf_printf(b, "lookout_host_cpus %u\n", s->host_cpus);
		rc |= prom_head(b, "lookout_host_memory_bytes", "gauge", "Memory of the host.");
		rc |= buf_printf(b, "lookout_host_memory_bytes %llu\n", (unsigned long long)s->host_mem_bytes);
		rc |= prom_head(b, "lookout_self_cpu_percent", "gauge", "lookout's own CPU use as the collector measures it.");
		rc |= buf_printf(b, "lookout_self_cpu_percent %.3f\n", s->self_cpu_pct);
	}
	rc |= prom_head(b, "lookout_engine_up", "gauge", "1 when the Docker engine answers, per engine (host label).");
	for (size_t e = 0; s && e < s->nengines; e++) {
		rc |= buf_puts(b, "lookout_engine_up{host=\"");
		rc |= prom_label(b, s->engines[e].name);
		rc |= buf_printf(b, "\"} %d\n", s->engines[e].up ? 1 : 0);
	}
	if (!s || !s->nengines)
		rc |= buf_printf(b, "lookout_engine_up %d\n", s && s->engine_up ? 1 : 0);
	rc |= prom_head(b, "lookout_interval_seconds", "gauge", "The sampling period.");
	rc |= buf_printf(b, "lookout_interval_seconds %g\n", o->interval_s);
	rc |= prom_head(b, "lookout_build_info", "gauge", "lookout's version (always 1).");
	rc |= buf_printf(b, "lookout_build_info{version=\"%s\"} 1\n", PACKAGE_VERSION);
	if (proc) {
		rc |= prom_head(b, "process_cpu_seconds_total", "counter", "User and system CPU time spent in seconds.");
		rc |= buf_printf(b, "process_cpu_seconds_total %.2f\n", proc->cpu_seconds);
		rc |= prom_head(b, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.");
		rc |= buf_printf(b, "process_resident_memory_bytes %.0f\n", proc->rss_bytes);
		rc |= prom_head(b, "process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.");
		rc |= buf_printf(b, "process_virtual_memory_bytes %.0f\n", proc->vsize_bytes);
		rc |= prom_head(b, "process_start_time_seconds", "gauge", "Start time of the process since the epoch.");
		rc |= buf_printf(b, "process_start_time_seconds %.2f\n", proc->start_time_s);
		rc |= prom_head(b, "process_open_fds", "gauge", "Number of open file descriptors.");
		rc |= buf_printf(b, "process_open_fds %.0f\n", proc->open_fds);
		rc |= prom_head(b, "process_max_fds", "gauge", "Maximum number of open file descriptors.");
		rc |= buf_printf(b, "process_max_fds %.0f\n", proc->max_fds);
	}
	return rc ? -1 : 0;
}
