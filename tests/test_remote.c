/* test_remote.c — `lookout --connect`'s parsing of a daemon's answers (snapshot, compact history, alerts), with
 * hostile and malformed JSON, the round trip through web_history_compact, and the screen over several engines:
 * a hand-built snapshot of three engines (one unreachable) drawn by the real header and table code into a
 * curses screen on /dev/null and checked by content at 80x24 and 200x60, UTF-8 and ASCII, with the host filter. */
#include "autoconfig.h"

#include <curses.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "remote.h"
#include "tap.h"
#include "tui/theme.h"
#include "tui/view.h"
#include "web.h"

#define T0 1795496400000LL

static struct snapshot *parse(const char *json)
{
	char err[256] = "";
	double iv = -1;
	return remote_parse_snapshot(json, strlen(json), 7, &iv, err, sizeof err);
}

static bool parse_fails(const char *json)
{
	char err[256] = "";
	double iv = -1;
	struct snapshot *s = remote_parse_snapshot(json, strlen(json), 1, &iv, err, sizeof err);
	bool failed = !s && err[0] && !strchr(err, '\033');
	snapshot_unref(s);
	return failed;
}

/* Screen line y as UTF-8 text (trailing blanks kept). */
static const char *line(int y)
{
	static char out[4096];
	wchar_t w[1024];
	int cols = getmaxx(stdscr);
	out[0] = '\0';
	if (mvinnwstr(y, 0, w, cols < 1023 ? cols : 1023) == ERR)
		return out;
	size_t n = wcstombs(out, w, sizeof out - 1);
	if (n == (size_t)-1)
		out[0] = '\0';
	else
		out[n] = '\0';
	return out;
}

static bool screen_has(const char *needle, int *at)
{
	for (int y = 0; y < getmaxy(stdscr); y++)
		if (strstr(line(y), needle)) {
			if (at)
				*at = y;
			return true;
		}
	return false;
}

static const char *multi_json =
	"{\"seq\":4,\"tick\":9,\"time\":\"2026-11-24T10:00:00.000Z\",\"tick_time\":\"2026-11-24T10:00:00.000Z\","
	"\"host\":\"alpha\",\"interval_s\":2,"
	"\"engine\":{\"up\":true,\"endpoint\":\"unix:///a.sock\",\"version\":\"24.0.7\",\"host_cpus\":4,"
	"\"host_mem_bytes\":8000000000},"
	"\"lookout\":{\"cpu_pct\":0.5,\"rss_bytes\":9000000,\"version\":\"1\"},"
	"\"engines\":[{\"name\":\"alpha\",\"endpoint\":\"unix:///a.sock\",\"up\":true,\"error\":\"\","
	"\"since_ms\":1795490000000},"
	"{\"name\":\"beta\",\"endpoint\":\"tcp://127.0.0.1:2375\",\"up\":true,\"since_ms\":1795490000000},"
	"{\"name\":\"edge\",\"endpoint\":\"tcp://10.0.0.9:2376\",\"up\":false,\"error\":\"connection refused\","
	"\"since_ms\":1795495000000}],"
	"\"containers\":["
	"{\"id\":\"aaaa0000000000000000000000000000000000000000000000000000000000aa\",\"name\":\"web\",\"host\":\"alpha\","
	"\"image\":\"nginx\",\"status\":\"up\",\"state\":\"running\",\"health\":\"\",\"up\":true,"
	"\"state_since\":\"2026-11-24T09:00:00.000Z\",\"restarts\":0,\"exit_code\":null,\"oom_killed\":false,"
	"\"cpu_pct\":12.5,\"mem_used_bytes\":1000000,\"mem_limit_bytes\":4000000,\"mem_pct\":25,\"labels\":{},"
	"\"firing_alerts\":[]},"
	"{\"id\":\"bbbb0000000000000000000000000000000000000000000000000000000000bb\",\"name\":\"web\",\"host\":\"beta\","
	"\"state\":\"running\",\"up\":true,\"cpu_pct\":1,\"mem_used_bytes\":2000000,\"labels\":{\"a\":\"b\"},"
	"\"firing_alerts\":[\"container_down\",\"no_such_alert\",7]},"
	"{\"id\":\"cccc0000000000000000000000000000000000000000000000000000000000cc\",\"name\":\"db\",\"host\":\"alpha\","
	"\"state\":\"running\",\"up\":true,\"cpu_pct\":3}"
	"]}";

static void draw_case(const struct glyphs *g, int rows, int cols, struct snapshot *s, const char *filter)
{
	resizeterm(rows, cols);
	erase();
	struct view v;
	memset(&v, 0, sizeof v);
	v.g = g;
	v.snap = s;
	v.rows_n = rows;
	v.cols_n = cols;
	v.window_idx = 1;
	v.interval_s = 2;
	v.gauge_warn = 60;
	v.gauge_crit = 80;
	v.resp_threshold_ms = NAN;
	if (filter)
		snprintf(v.host_filter, sizeof v.host_filter, "%s", filter);
	table_layout(&v);
	table_build(&v);
	header_draw(&v, 0);
	table_draw(&v, 2, rows - 3);
	free(v.rows);
}

int main(void)
{
	setlocale(LC_ALL, "C.UTF-8");
	char err[256];

	/* ---- a daemon watching three engines ---- */
	struct snapshot *s = parse(multi_json);
	ok(s != NULL, "a snapshot with engines[] and per-container hosts parses");
	if (!s)
		return 1;
	is_int((int)s->n, 3, "three containers");
	is_int((int)s->nengines, 3, "three engines");
	is_str(s->engines[2].name, "edge", "engine names kept in order");
	ok(!s->engines[2].up && s->engines[2].known && strcmp(s->engines[2].error, "connection refused") == 0 &&
	       s->engines[2].since_ms == 1795495000000LL,
	   "the unreachable engine's state, reason and since");
	ok(s->c[0].si && strcmp(s->c[0].si->info.name, "db") == 0, "containers sorted by name");
	bool hosts_ok = true;
	for (size_t i = 0; i < s->n; i++) {
		const char *want = s->c[i].si->info.id[0] == 'b' ? "beta" : "alpha";
		hosts_ok &= strcmp(snapshot_host_of(s, &s->c[i]), want) == 0;
	}
	ok(hosts_ok, "each container's host by its engine (two named web stay distinct)");
	const struct snap_container *bw = NULL;
	for (size_t i = 0; i < s->n; i++)
		if (s->c[i].si->info.id[0] == 'b')
			bw = &s->c[i];
	ok(bw && bw->firing_alerts == (1u << ALERT_CONTAINER_DOWN), "firing alerts: known names only");
	ok(bw && bw->si->info.nlabels == 1 && strcmp(bw->si->info.labels[0].value, "b") == 0, "labels kept");
	ok(s->host_cpus == 4 && s->host_mem_bytes == 8000000000ULL, "the daemon host's CPUs and memory");
	ok(s->wall_ms == 1795514400000LL && s->seq == 7, "time parsed, seq is the viewer's own");

	/* ---- the same without the fields of a multi-engine daemon (older daemons) ---- */
	struct snapshot *one = parse("{\"host\":\"solo\",\"engine\":{\"up\":false,\"error\":\"gone\"},\"containers\":["
	                             "{\"id\":\"dd\",\"name\":\"x\",\"state\":\"exited\",\"exit_code\":137}]}");
	ok(one && one->nengines == 1 && strcmp(one->engines[0].name, "solo") == 0 && !one->engine_up &&
	       strcmp(one->engine_error, "gone") == 0,
	   "no engines[]: one engine from host and engine");
	ok(one && one->n == 1 && one->c[0].exit_code == 137 && !one->c[0].have_metrics &&
	       strcmp(snapshot_host_of(one, &one->c[0]), "solo") == 0,
	   "no host field: the container is on that engine");
	snapshot_unref(one);

	/* ---- hostile and malformed answers ---- */
	ok(parse_fails("") && parse_fails("null") && parse_fails("[]") && parse_fails("{\"containers\":{}}") &&
	       parse_fails("{\"containers\":[") && parse_fails("<html>401</html>"),
	   "not a snapshot: refused with a message");
	struct snapshot *h = parse("{\"containers\":[1,\"x\",null,{},{\"id\":7},{\"id\":\"\"},"
	                           "{\"id\":\"0123456789012345678901234567890123456789012345678901234567890123456789\"},"
	                           "{\"id\":\"has space\"},{\"id\":\"e\\u001b[2J\"},"
	                           "{\"id\":\"ok1\",\"name\":\"\\u001b]0;pwned\\u0007x\\r\\n\",\"cpu_pct\":\"12\","
	                           "\"mem_pct\":-5,\"restarts\":1e300,\"exit_code\":-3,\"response_ms\":1e99,"
	                           "\"state_since\":\"yesterday\",\"labels\":[1,2],\"firing_alerts\":{},\"host\":42},"
	                           "{\"id\":\"ok1\",\"name\":\"dup\"}],"
	                           "\"engines\":[{\"name\":17},\"x\",null],\"interval_s\":\"fast\",\"time\":12}");
	ok(h != NULL, "junk fields and junk containers do not fail the whole snapshot");
	ok(h && h->n == 1, "only the container with a sane id is kept, and an id twice counts once");
	if (h && h->n == 1) {
		const struct snap_container *c = &h->c[0];
		ok(strcmp(c->si->info.name, "\x1b]0;pwned\x07x\r\n") == 0,
		   "a name's bytes are kept as text (the screen escapes them; test_widgets checks text_fit)");
		ok(isnan(c->m.cpu_pct) && c->m.mem_pct == 0 && c->restarts == 0 && c->exit_code == -1 && c->response_ms == -1 &&
		       c->state_since_ms == 0 && c->si->info.nlabels == 0 && c->firing_alerts == 0 && c->engine == 0,
		   "wrong types and out-of-range numbers become unknown or clamped");
	}
	ok(h && h->nengines == 3 && h->engines[0].name[0] == '\0' && !h->engines[1].known,
	   "engines with junk members are kept as unnamed, unknown engines");
	snapshot_unref(h);
	/* Deep nesting: cJSON refuses past its limit; either way no crash. */
	{
		struct buf deep;
		buf_init(&deep);
		buf_puts(&deep, "{\"containers\":[");
		for (int i = 0; i < 5000; i++)
			buf_puts(&deep, "[");
		buf_puts(&deep, "]}");
		double iv;
		struct snapshot *d = remote_parse_snapshot(deep.data, deep.len, 1, &iv, err, sizeof err);
		ok(!d, "5000 nested arrays: refused");
		snapshot_unref(d);
		buf_free(&deep);
	}

	/* ---- compact history: ordering, junk points, round trip through the daemon's writer ---- */
	struct remote_history *rh = remote_history_new(2);
	const char *hist1 = "{\"format\":\"compact\",\"containers\":["
	                    "{\"id\":\"aaaa0000000000000000000000000000000000000000000000000000000000aa\",\"points\":["
	                    "[1795557590000,10,20,30,null,1],[1795557592000,11,21,31,15,1],"
	                    "[1795557592000,99,99,99,99,1],[1795557591000,99,99,99,99,1],"
	                    "[1795557594000,null,null,null,null,3],[1795557596000,1,1,1,1,9],[\"x\",1,1,1,1,1],"
	                    "[1795557598000,1,1,1,1],7,[1e300,1,1,1,1,1],[1795557598000,1e30,-4,1,1,2.5]]},"
	                    "{\"id\":\"bad id\",\"points\":[[1795557590000,1,1,1,1,1]]},"
	                    "{\"id\":\"cccc0000000000000000000000000000000000000000000000000000000000cc\",\"points\":[]}]}";
	ok(remote_history_add(rh, hist1, strlen(hist1), err, sizeof err) == 0, "a compact history answer is taken");
	is_int((int)remote_history_points(rh, "aaaa0000000000000000000000000000000000000000000000000000000000aa"), 3,
	       "points out of order, repeated, malformed or with an unknown status are skipped");
	is_int((int)remote_history_count(rh), 1, "no history for a bad id or an empty list");
	ok(remote_history_newest(rh) == 1795557594000LL, "the next since_ms is the newest point");
	const char *hist2 = "{\"containers\":[{\"id\":\"aaaa0000000000000000000000000000000000000000000000000000000000aa\","
	                    "\"points\":[[1795557594000,5,5,5,5,1],[1795557600000,5,5,5,5,2]]}]}";
	remote_history_add(rh, hist2, strlen(hist2), err, sizeof err);
	is_int((int)remote_history_points(rh, "aaaa0000000000000000000000000000000000000000000000000000000000aa"), 4,
	       "an incremental answer appends only what is newer");
	ok(remote_history_add(rh, "{\"containers\":7}", 16, err, sizeof err) == -1 && err[0], "junk history: refused");
	ok(remote_attach_history(s, rh) == 0, "histories attach to the snapshot");
	const struct snap_container *aw = NULL;
	for (size_t i = 0; i < s->n; i++)
		if (s->c[i].si->info.id[0] == 'a')
			aw = &s->c[i];
	ok(aw && aw->hist.count == 4, "the container's view holds its points");
	if (aw && aw->hist.count == 4) {
		struct point p = series_view_get(&aw->hist, 2);
		ok(p.status == PT_DOWN && isnan(p.cpu_pct) && p.response_ms == -1, "a down point with unknown values");
		p = series_view_get(&aw->hist, 1);
		ok(fabsf(p.cpu_pct - 11) < 0.01f && p.response_ms == 15 && p.wall_ms == 1795557592000LL, "values and time kept");
	}
	/* The daemon's writer and this reader agree: write s's history compactly, read it into a fresh store. */
	struct buf out;
	buf_init(&out);
	ok(web_history_compact(&out, s, 0) == 0, "web_history_compact writes the attached history");
	struct remote_history *rh2 = remote_history_new(2);
	ok(remote_history_add(rh2, out.data, out.len, err, sizeof err) == 0 &&
	       remote_history_points(rh2, "aaaa0000000000000000000000000000000000000000000000000000000000aa") == 4,
	   "round trip: every point comes back");
	buf_reset(&out);
	web_history_compact(&out, s, 1795557594000LL);
	remote_history_free(rh2);
	rh2 = remote_history_new(2);
	remote_history_add(rh2, out.data, out.len, err, sizeof err);
	is_int((int)remote_history_points(rh2, "aaaa0000000000000000000000000000000000000000000000000000000000aa"), 1,
	       "since_ms: only the points after it");
	remote_history_free(rh2);
	buf_free(&out);

	/* ---- alerts ---- */
	const char *alerts = "{\"firing\":[],\"recent\":[{\"seq\":2,\"time\":\"2026-11-24T10:00:00.000Z\",\"alert\":"
	                     "\"container_down\",\"level\":\"critical\",\"state\":\"firing\",\"container\":\"web\","
	                     "\"container_id\":\"aaaa\",\"msg\":\"down\"},{\"alert\":\"bogus\"},7,{\"seq\":1,\"alert\":"
	                     "\"oom\",\"state\":\"resolved\",\"container\":\"db\"}]}";
	ok(remote_parse_alerts(s, alerts, strlen(alerts), err, sizeof err) == 0 && s->nrecent_alerts == 2 &&
	       s->recent_alerts[0].seq == 1 && s->recent_alerts[1].firing && s->recent_alerts[1].kind == ALERT_CONTAINER_DOWN,
	   "recent alerts, oldest first, unknown kinds dropped");
	ok(remote_parse_alerts(s, "{}", 2, err, sizeof err) == -1 && s->nrecent_alerts == 2, "junk alerts: refused, kept");

	/* ---- the screen over several engines ---- */
	FILE *null = fopen("/dev/null", "w+");
	setenv("TERM", "xterm-256color", 1);
	SCREEN *scr = null ? newterm("xterm-256color", null, null) : NULL;
	ok(scr != NULL, "a curses screen on /dev/null");
	if (scr) {
		set_term(scr);
		theme_init(COLOR_NEVER);
		const struct glyphs *sets[2] = {glyphs_pick(false), glyphs_pick(true)};
		int sizes[2][2] = {{24, 80}, {60, 200}};
		for (int gi = 0; gi < 2; gi++)
			for (int si = 0; si < 2; si++) {
				const char *gname = gi ? "ASCII" : "UTF-8";
				int rows = sizes[si][0], cols = sizes[si][1];
				draw_case(sets[gi], rows, cols, s, NULL);
				int y_hdr = -1, y_alpha = -1, y_beta = -1, y_edge = -1, y_db = -1, y_bweb = -1;
				ok(screen_has("3 engines, 1 unreachable: ", &y_hdr) && y_hdr == 0 && strstr(line(0), "edge (since") &&
				       (cols < 200 || strstr(line(0), "connection refused")) && strstr(line(0), " every 2s "),
				   "%s %dx%d: the header names the unreachable engine and since when (why, when wide), and keeps "
				   "its clock", gname, cols, rows);
				screen_has(gi ? "v alpha  2 containers" : "▾ alpha  2 containers", &y_alpha);
				screen_has(gi ? "v beta  1 container" : "▾ beta  1 container", &y_beta);
				screen_has(gi ? "v edge  0 containers" : "▾ edge  0 containers", &y_edge);
				ok(y_alpha > 0 && y_beta > y_alpha && y_edge > y_beta, "%s %dx%d: a header row per host, in order",
				   gname, cols, rows);
				ok(y_edge > 0 && strstr(line(y_edge), "unreachable since") && strstr(line(y_beta), "up"),
				   "%s %dx%d: each host row shows its engine's reachability", gname, cols, rows);
				screen_has(" db ", &y_db);
				for (int y = y_beta + 1; y_beta > 0 && y < y_edge; y++)
					if (strstr(line(y), " web "))
						y_bweb = y;
				ok(y_db > y_alpha && y_db < y_beta && y_bweb > y_beta, "%s %dx%d: containers under their host",
				   gname, cols, rows);
				bool fits = true;
				for (int y = 0; y < rows; y++)
					fits &= (int)mbstowcs(NULL, line(y), 0) <= cols;
				ok(fits, "%s %dx%d: no line is wider than the screen", gname, cols, rows);
			}
		/* The host filter: only beta's rows, and the header says which host is shown. */
		draw_case(glyphs_pick(true), 24, 80, s, "beta");
		ok(!screen_has("v alpha", NULL) && screen_has("v beta  1 container", NULL) && !screen_has(" db ", NULL) &&
		       strstr(line(0), "host beta of 3 engines"),
		   "host filter beta: only beta's containers, named in the header");
		struct view v;
		memset(&v, 0, sizeof v);
		v.snap = s;
		view_next_host(&v);
		bool c1 = strcmp(v.host_filter, "alpha") == 0;
		view_next_host(&v);
		view_next_host(&v);
		bool c3 = strcmp(v.host_filter, "edge") == 0;
		view_next_host(&v);
		ok(c1 && c3 && v.host_filter[0] == '\0', "H cycles every host, then all of them");
		/* One engine: no host rows, the header as before. */
		struct snapshot *solo = parse("{\"host\":\"solo\",\"engine\":{\"up\":true,\"version\":\"24.0\"},"
		                              "\"containers\":[{\"id\":\"dd\",\"name\":\"x\",\"state\":\"running\",\"up\":true}]}");
		draw_case(glyphs_pick(true), 24, 80, solo, NULL);
		ok(!screen_has("engines", NULL) && !screen_has("v solo", NULL) && strstr(line(0), "docker 24.0 @ solo"),
		   "one engine: no host rows, the header unchanged");
		snapshot_unref(solo);
		/* Several engines before any container is known (the first frames): a row per host, nothing else. */
		struct snapshot *none = parse("{\"engines\":[{\"name\":\"alpha\",\"up\":true},"
		                              "{\"name\":\"gamma\",\"up\":false,\"error\":\"refused\"}],"
		                              "\"containers\":[]}");
		if (none)
			draw_case(glyphs_pick(true), 24, 80, none, NULL);
		ok(none && none->n == 0 && screen_has("v alpha  0 containers", NULL) &&
		       screen_has("v gamma  0 containers", NULL),
		   "several engines, no containers yet: a row per host");
		snapshot_unref(none);
		endwin();
		delscreen(scr);
	}
	if (null)
		fclose(null);
	remote_history_free(rh);
	snapshot_unref(s);
	return tap_done();
}
