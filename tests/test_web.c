/* test_web.c — the HTTP server's views without a network: HTML escaping, the live page, JSON and Prometheus
 * output of a snapshot holding hostile text (quotes, a newline, markup, an escape byte, invalid UTF-8), the
 * up/down spans behind the timeline (also over 24 h through the minute series), window parsing, the limits of
 * /api/history.json, probe URL passwords never shown, and that a secret key is never echoed in an error. */
#include "autoconfig.h"

#include <cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "html.h"
#include "tap.h"
#include "web.h"

#define T0 1795496400000LL

static char *esc(const char *s, size_t max)
{
	static struct buf b;
	buf_free(&b);
	buf_init(&b);
	html_escape(&b, s, max);
	return b.data ? b.data : "";
}

static bool valid_utf8(const char *s)
{
	struct buf b;
	buf_init(&b);
	utf8_sanitize(&b, s);
	bool same = strcmp(b.data ? b.data : "", s) == 0;
	buf_free(&b);
	return same;
}

int main(void)
{
	/* Escaping. */
	is_str(esc("a<b>&\"'", 0), "a&lt;b&gt;&amp;&quot;&#39;", "the five HTML specials become entities");
	is_str(esc("caf\xc3\xa9 \xe2\x98\x83", 0), "caf\xc3\xa9 \xe2\x98\x83", "valid UTF-8 passes");
	is_str(esc("a\xff" "b", 0), "a\xef\xbf\xbd" "b", "an invalid byte becomes U+FFFD");
	is_str(esc("a\x1b[31mb", 0), "a\xef\xbf\xbd[31mb", "an escape byte becomes U+FFFD");
	is_str(esc("a\tb\nc\rd\x7f" "e", 0), "a\tb\nc\xef\xbf\xbd" "d\xef\xbf\xbd" "e",
	       "tab and newline pass, CR and DEL become U+FFFD (as html.h says)");
	is_str(esc("a\xc2\x85" "b", 0), "a\xef\xbf\xbd\xef\xbf\xbd" "b", "a C1 control is not passed");
	is_str(esc("\xc3\xa9\xc3\xa9", 3), "\xc3\xa9\xef\xbf\xbd", "a sequence cut by the byte limit is not passed half");
	is_str(esc("\xed\xa0\x80", 0), "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd", "a UTF-16 surrogate is invalid");

	int64_t ms = 0;
	ok(web_parse_window("15m", &ms) == 0 && ms == 900000, "window 15m");
	ok(web_parse_window("300", &ms) == 0 && ms == 300000, "window 300 (seconds)");
	ok(web_parse_window("1h", &ms) == 0 && ms == 3600000, "window 1h");
	ok(web_parse_window("soon", &ms) == -1 && web_parse_window("-5m", &ms) == -1 && web_parse_window("5x", &ms) == -1,
	   "bad windows are refused");

	/* A snapshot with one hostile container and some history. */
	struct container_info in;
	memset(&in, 0, sizeof in);
	strcpy(in.id, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
	in.name = strdup("we\"b\\\n<x>\xff");
	in.image = strdup("img</title><script>alert(1)</script>");
	in.health_output = strdup("out \x1b[2J <img src=x onerror=alert(1)>");
	in.labels = calloc(1, sizeof *in.labels);
	in.labels[0].key = strdup("note");
	in.labels[0].value = strdup("<img src=x onerror=alert(1)>");
	in.nlabels = 1;
	in.state = CSTATE_EXITED;
	struct snapshot *s = snapshot_alloc(1);
	s->seq = 7;
	s->tick = 4;
	s->wall_ms = s->tick_wall_ms = T0 + 30000;
	s->engine_up = true;
	strcpy(s->host, "host<1>");
	struct snap_container *c = &s->c[0];
	c->si = shared_info_new(&in);
	c->state = CSTATE_EXITED;
	c->up = false;
	c->exit_code = 137;
	c->state_since_ms = T0 + 5000;
	c->response_ms = -1;
	c->firing_alerts = 1u << ALERT_CONTAINER_DOWN;
	/* Up at 0, 2, 4 s; down at 6 s; the engine's event says it died at 5 s. Then a gap: 6 -> 24 s. */
	struct series ser;
	series_init(&ser, 64, 2000);
	int64_t at[] = {0, 2000, 4000, 6000, 24000};
	uint8_t st[] = {PT_UP, PT_UP, PT_UP, PT_DOWN, PT_DOWN};
	for (int i = 0; i < 5; i++) {
		struct point p = {T0 + at[i], 1.5f, 2.5f, 3.0f, -1, st[i]};
		series_append(&ser, &p);
	}
	series_view_take(&ser, 0, &c->hist);

	struct html_span *sp = NULL;
	size_t n = 0;
	ok(web_spans(c, T0, T0 + 30000, 2.0, &sp, &n) == 0, "spans computed");
	ok(n == 4 && sp[0].status == PT_UP && sp[0].from_ms == T0 && sp[0].to_ms == T0 + 5000 &&
	       sp[1].status == PT_DOWN && sp[1].from_ms == T0 + 5000 && sp[1].to_ms == T0 + 8000 &&
	       sp[2].status == PT_NONE && sp[2].from_ms == T0 + 8000 && sp[2].to_ms == T0 + 24000 &&
	       sp[3].status == PT_DOWN && sp[3].from_ms == T0 + 24000 && sp[3].to_ms == T0 + 30000,
	   "up until the engine's event at 5 s (not the tick at 6 s), down one interval, unknown (18 s > 3 x 2 s), "
	   "down again to the end");
	if (n != 4)
		for (size_t i = 0; i < n; i++)
			printf("# span %zu: %lld..%lld %d\n", i, (long long)(sp[i].from_ms - T0), (long long)(sp[i].to_ms - T0),
			       sp[i].status);
	free(sp);
	ok(web_spans(c, T0, T0 + 30000, 10.0, &sp, &n) == 0 && n == 2 && sp[1].status == PT_DOWN &&
	       sp[1].to_ms == T0 + 30000,
	   "with a 10 s interval the 18 s gap is known: down from 5 s to the end");
	free(sp);

	struct web_opts o = {60, 80, 40, 80, 1000, 2.0, 0, NULL};
	struct buf b;
	buf_init(&b);
	ok(web_page(&b, s, &o, false) == 0, "the page renders");
	ok(b.data && !strstr(b.data, "<x>") && !strstr(b.data, "<img") && strstr(b.data, "&lt;img src=x") &&
	       !strstr(b.data, "</title><script>") && strstr(b.data, "host&lt;1&gt;"),
	   "page: name, image, label, health output and host are escaped");
	ok(b.data && !strchr(b.data, '\x1b') && valid_utf8(b.data), "page: no escape byte, valid UTF-8");
	ok(b.data && strstr(b.data, "data-kind=\"down\"") && strstr(b.data, "data-kind=\"unknown\""),
	   "page: the down and unknown periods are listed");
	ok(b.data && strstr(b.data, "exited (exit 137)"), "page: the exit code is shown");
	buf_reset(&b);
	ok(web_page(&b, s, &o, true) == 0 && b.data && !strstr(b.data, "<html") && !strstr(b.data, "<script"),
	   "the fragment has neither <html> nor the script");

	buf_reset(&b);
	ok(web_snapshot_json(&b, s, &o) == 0, "snapshot.json renders");
	cJSON *j = cJSON_Parse(b.data);
	cJSON *c0 = j ? cJSON_GetArrayItem(cJSON_GetObjectItem(j, "containers"), 0) : NULL;
	const char *name = c0 ? cJSON_GetStringValue(cJSON_GetObjectItem(c0, "name")) : NULL;
	ok(name && strcmp(name, "we\"b\\\n<x>\xef\xbf\xbd") == 0, "JSON: the name comes back (invalid byte as U+FFFD)");
	const char *note = c0 ? cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(c0, "labels"), "note")) : NULL;
	ok(note && strcmp(note, "<img src=x onerror=alert(1)>") == 0, "JSON: the label comes back exactly");
	ok(c0 && cJSON_IsNull(cJSON_GetObjectItem(c0, "cpu_pct")) && !cJSON_IsTrue(cJSON_GetObjectItem(c0, "up")),
	   "JSON: no metrics is null, up is false");
	cJSON_Delete(j);

	buf_reset(&b);
	ok(web_history_json(&b, s, "we\"b\\\n<x>\xff", 0) == 0 && (j = cJSON_Parse(b.data)) != NULL &&
	       cJSON_GetArraySize(cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "containers"), 0), "points")) == 5,
	   "history.json: five points by name");
	cJSON_Delete(j);
	buf_reset(&b);
	ok(web_history_json(&b, s, NULL, 0) == 0 && (j = cJSON_Parse(b.data)) != NULL,
	   "history.json of every container parses with a hostile name");
	c0 = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "containers"), 0);
	name = c0 ? cJSON_GetStringValue(cJSON_GetObjectItem(c0, "name")) : NULL;
	ok(name && strcmp(name, "we\"b\\\n<x>\xef\xbf\xbd") == 0, "history.json: the hostile name comes back");
	cJSON *p0 = c0 ? cJSON_GetArrayItem(cJSON_GetObjectItem(c0, "points"), 3) : NULL;
	ok(p0 && cJSON_GetNumberValue(cJSON_GetObjectItem(p0, "cpu_pct")) == 1.5 &&
	       cJSON_IsNull(cJSON_GetObjectItem(p0, "response_ms")) &&
	       strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(p0, "status")), "down") == 0 &&
	       strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(p0, "t")), "2026-11-24T05:00:06.000Z") == 0,
	   "history.json: a point's time, number, null and status");
	ok(cJSON_GetNumberValue(cJSON_GetObjectItem(j, "window_s")) == 900,
	   "history.json: without container= the window is 15 minutes unless asked");
	cJSON_Delete(j);
	buf_reset(&b);
	is_int(web_history_json(&b, s, NULL, 3600001), 2, "history.json: over an hour without container= is refused");
	ok(b.data && strstr(b.data, "without container="), "... with a reason");
	buf_reset(&b);
	is_int(web_history_json(&b, s, "we\"b\\\n<x>\xff", 86400000), 0, "history.json: 24 h of one container is fine");
	buf_reset(&b);
	is_int(web_history_json(&b, s, "nobody", 0), 1, "history.json: an unknown container is 1 (404)");
	buf_reset(&b);
	ok(web_alerts_json(&b, s) == 0 && (j = cJSON_Parse(b.data)) != NULL &&
	       cJSON_GetArraySize(cJSON_GetObjectItem(j, "firing")) == 1,
	   "alerts.json: one alert firing");
	cJSON_Delete(j);

	buf_reset(&b);
	struct web_proc proc = {1.5, 1e6, 2e6, 1.7e9, 5, 1024};
	ok(web_metrics(&b, s, &o, &proc) == 0, "/metrics renders");
	ok(b.data && strstr(b.data, "lookout_container_up{id=\"0123456789ab\",name=\"we\\\"b\\\\\\n<x>\xef\xbf\xbd\","
	                            "image=\"img</title><script>alert(1)</script>\",host=\"host<1>\"} 0\n"),
	   "metrics: quote, backslash and newline escaped in the label, invalid byte replaced");
	{
		/* The stopped container: running 0 (LookoutContainerDown's input), oom_killed as the engine said. */
		const char *r = b.data ? strstr(b.data, "\nlookout_container_running{id=\"0123456789ab\"") : NULL;
		const char *e = r ? strchr(r + 1, '\n') : NULL;
		ok(e && e - r > 2 && strncmp(e - 2, " 0", 2) == 0, "metrics: lookout_container_running is 0 for a stopped container");
		const char *o2 = b.data ? strstr(b.data, "\nlookout_container_oom_killed{id=\"0123456789ab\"") : NULL;
		ok(o2 != NULL, "metrics: lookout_container_oom_killed is exposed for it");
	}
	bool lines_ok = b.data != NULL;
	for (char *line = b.data, *next; lines_ok && line && *line; line = next) {
		next = strchr(line, '\n');
		if (!next) {
			lines_ok = false;
			break;
		}
		*next++ = '\0';
		if (line[0] == '#')
			continue;
		lines_ok = strncmp(line, "lookout_", 8) == 0 || strncmp(line, "process_", 8) == 0;
		if (!lines_ok)
			printf("# bad line: %s\n", line);
	}
	ok(lines_ok, "metrics: every line is a comment or a sample (no line broken by a name)");
	ok(b.data && !strstr(b.data, "lookout_container_cpu_percent{"), "metrics: a stopped container has no CPU sample");
	buf_free(&b);
	snapshot_unref(s);
	series_free(&ser);

	/* At most WEB_HISTORY_MAX_POINTS points a response: 30 containers with an hour at 1 s are too many. */
	{
		enum { NC = 30 };
		struct series big;
		series_init(&big, 3600, 1000);
		for (int i = 0; i < 3600; i++) {
			struct point p = {T0 + i * 1000LL, 1, 2, 3, 4, PT_UP};
			series_append(&big, &p);
		}
		struct snapshot *bs = snapshot_alloc(NC);
		bs->wall_ms = bs->tick_wall_ms = T0 + 3600 * 1000LL;
		for (int i = 0; i < NC; i++) {
			struct container_info bi;
			memset(&bi, 0, sizeof bi);
			snprintf(bi.id, sizeof bi.id, "%064d", i);
			char nm[32];
			snprintf(nm, sizeof nm, "c%02d\x01\x7f\"", i);
			bi.name = strdup(nm);
			bs->c[i].si = shared_info_new(&bi);
			bs->c[i].state = CSTATE_RUNNING;
			series_view_take(&big, 0, &bs->c[i].hist);
		}
		buf_init(&b);
		is_int(web_history_json(&b, bs, NULL, 3600000), 2, "history.json: 108000 points are refused");
		ok(b.data && strstr(b.data, "108000 points"), "... saying how many");
		buf_reset(&b);
		is_int(web_history_json(&b, bs, "", 900000), 0, "history.json: 15 minutes of 30 containers are fine");
		j = cJSON_Parse(b.data ? b.data : "");
		cJSON *arr = cJSON_GetObjectItem(j, "containers");
		ok(cJSON_GetArraySize(arr) == NC &&
		       cJSON_GetArraySize(cJSON_GetObjectItem(cJSON_GetArrayItem(arr, 29), "points")) == 900 &&
		       strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(arr, 29), "name")),
		              "c29\x01\x7f\"") == 0,
		   "... valid JSON: 30 containers, 900 points each, control characters in a name escaped");
		cJSON_Delete(j);
		buf_free(&b);
		snapshot_unref(bs);
		series_free(&big);
	}

	/* ?window=24h: the page's charts, timeline and period list reach back past the hour of per-tick points
	 * through the minute series: a down stretch 7 hours ago is listed, the CPU line starts at the left. */
	{
		int64_t now = T0 + 86400000LL;
		struct series mins, ticks;
		series_init(&mins, 1440, 60000);
		series_init(&ticks, 1800, 2000);
		for (int i = 0; i < 1440; i++) {
			struct point p = {now - 86400000LL + i * 60000LL, 90, 50, 100, -1, i >= 1000 && i < 1030 ? PT_DOWN : PT_UP};
			series_append(&mins, &p);
		}
		for (int i = 0; i < 300; i++) {
			struct point p = {now - 600000 + i * 2000LL, 1.5f, 2.5f, 3, -1, PT_UP};
			series_append(&ticks, &p);
		}
		struct container_info di;
		memset(&di, 0, sizeof di);
		strcpy(di.id, "aaaabbbbccccddddaaaabbbbccccddddaaaabbbbccccddddaaaabbbbccccdddd");
		di.name = strdup("day");
		struct snapshot *ds = snapshot_alloc(1);
		ds->wall_ms = ds->tick_wall_ms = now;
		ds->c[0].si = shared_info_new(&di);
		ds->c[0].state = CSTATE_RUNNING;
		ds->c[0].up = true;
		ds->c[0].state_since_ms = now - 86400000LL;
		ds->c[0].response_ms = -1;
		series_view_take(&mins, 0, &ds->c[0].hist_min);
		series_view_take(&ticks, 0, &ds->c[0].hist);
		int64_t down_from = now - 86400000LL + 1000 * 60000LL, down_to = down_from + 30 * 60000LL;

		ok(web_spans(&ds->c[0], now - 86400000LL, now, 2.0, &sp, &n) == 0 && n == 3 && sp[0].status == PT_UP &&
		       sp[1].status == PT_DOWN && sp[1].from_ms == down_from && sp[1].to_ms == down_to &&
		       sp[2].status == PT_UP && sp[2].to_ms == now,
		   "spans over 24 h: up, the down half hour from the minute series, up to now (no unknown)");
		for (size_t i = 0; i < n && n != 3; i++)
			printf("# span %zu: %lld..%lld %d\n", i, (long long)(sp[i].from_ms - now), (long long)(sp[i].to_ms - now),
			       sp[i].status);
		free(sp);

		struct web_opts dopt = o;
		dopt.window_ms = 86400000LL;
		buf_init(&b);
		ok(web_page(&b, ds, &dopt, false) == 0 && b.data, "the page renders a 24 h window");
		char want[128];
		snprintf(want, sizeof want, "data-kind=\"down\" data-from=\"%lld\" data-to=\"%lld\"", (long long)down_from,
		         (long long)down_to);
		ok(b.data && strstr(b.data, want), "page: the down half hour 7 h ago is in the period list");
		ok(b.data && strstr(b.data, "Up/down, last 24 h") && !strstr(b.data, "data-kind=\"unknown\""),
		   "page: the timeline covers 24 h with nothing unknown");
		const char *cpu = b.data ? strstr(b.data, "<path class=\"l-cpu\" d=\"M") : NULL;
		double x0 = cpu ? atof(cpu + strlen("<path class=\"l-cpu\" d=\"M")) : 1e9;
		ok(x0 < 50, "page: the CPU line starts at the left edge of the 24 h chart (x %.1f)", x0);
		ok(b.data && strstr(b.data, ">100%</text>"), "page: the 90 %% CPU of the minute series sets the scale");
		buf_free(&b);
		snapshot_unref(ds);
		series_free(&mins);
		series_free(&ticks);
	}

	/* A probe URL's user:password@ is a secret: never in the page, the JSON or /metrics (label or --probe). */
	char red[128];
	url_redact("https://user:secret@web:8080/health?x=1", red, sizeof red);
	is_str(red, "https://***@web:8080/health?x=1", "url_redact hides user:password@");
	url_redact("http://web/health", red, sizeof red);
	is_str(red, "http://web/health", "url_redact leaves a URL without credentials alone");
	url_redact(NULL, red, sizeof red);
	is_str(red, "", "url_redact of NULL is empty");
	for (int via_flag = 0; via_flag < 2; via_flag++) {
		struct container_info pin;
		memset(&pin, 0, sizeof pin);
		strcpy(pin.id, "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210");
		pin.name = strdup("api");
		pin.image = strdup("img");
		pin.labels = calloc(2, sizeof *pin.labels);
		pin.labels[0].key = strdup("lookout.url");
		pin.labels[0].value = strdup(via_flag ? "http://web/other" : "http://user:secret@web:8080/health");
		pin.labels[1].key = strdup("db");
		pin.labels[1].value = strdup("postgres://app:secret@db/app");
		pin.nlabels = 2;
		pin.state = CSTATE_RUNNING;
		struct snapshot *ps = snapshot_alloc(1);
		ps->wall_ms = ps->tick_wall_ms = T0;
		ps->engine_up = true;
		ps->c[0].si = shared_info_new(&pin);
		ps->c[0].state = CSTATE_RUNNING;
		ps->c[0].up = true;
		ps->c[0].response_ms = 12;
		ps->c[0].http_status = 200;
		ps->c[0].probed = ps->c[0].probe_ok = true;
		char *probes[] = {"api=http://user:secret@web:8080/health"};
		struct collector_opts copts;
		memset(&copts, 0, sizeof copts);
		copts.probes = probes;
		copts.nprobes = 1;
		struct web_opts po = o;
		po.copts = via_flag ? &copts : NULL;
		const char *how = via_flag ? "--probe" : "lookout.url";
		buf_init(&b);
		ok(web_page(&b, ps, &po, false) == 0 && b.data && !strstr(b.data, "secret") &&
		       strstr(b.data, "http://***@web:8080/health"),
		   "page (%s): the health URL and URL labels are shown without the password", how);
		buf_reset(&b);
		ok(web_snapshot_json(&b, ps, &po) == 0 && b.data && !strstr(b.data, "secret"),
		   "snapshot.json (%s): no password", how);
		j = cJSON_Parse(b.data ? b.data : "");
		c0 = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "containers"), 0);
		const char *pu = cJSON_GetStringValue(cJSON_GetObjectItem(c0, "probe_url"));
		is_str(pu ? pu : "(none)", "http://***@web:8080/health", "snapshot.json (%s): probe_url redacted", how);
		cJSON_Delete(j);
		buf_reset(&b);
		ok(web_metrics(&b, ps, &po, NULL) == 0 && b.data && !strstr(b.data, "secret"), "/metrics (%s): no password",
		   how);
		buf_free(&b);
		snapshot_unref(ps);
	}

	/* A secret key (no flag) is never echoed in an error, and has no flag. */
	struct config cfg;
	char err[512];
	char *env[] = {"HTTP_TOKEN=sekrit\x01value", NULL};
	char *argv1[] = {"lookout", NULL};
	ok(config_load(&cfg, 1, argv1, env, err, sizeof err) == -1 && strstr(err, "HTTP_TOKEN") && !strstr(err, "sekrit"),
	   "a bad HTTP_TOKEN is named but not shown: %s", err);
	config_free(&cfg);
	char *argv2[] = {"lookout", "--http-token", "x", NULL};
	char *noenv[] = {NULL};
	ok(config_load(&cfg, 3, argv2, noenv, err, sizeof err) == -1, "there is no --http-token flag");
	config_free(&cfg);
	return tap_done();
}
