/* test_engines.c — several engines in one process: --host [NAME=]URL parsing, duplicates refused on one line,
 * the default engine without --host, distinct host labels, and the host in the CSV, JSON, /metrics and the
 * alert log. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "alertlog.h"
#include "config.h"
#include "csv.h"
#include "engines.h"
#include "rules.h"
#include "tap.h"
#include "web.h"

static int load(struct config *cfg, char *const *env, char *err, size_t errlen, ...)
{
	char *argv[32] = {"lookout"};
	int argc = 1;
	va_list ap;
	va_start(ap, errlen);
	char *a;
	while ((a = va_arg(ap, char *)) && argc < 31)
		argv[argc++] = a;
	va_end(ap);
	argv[argc] = NULL;
	return config_load(cfg, argc, argv, env, err, errlen);
}

static char *const no_env[] = {NULL};

static void test_parsing(void)
{
	struct config cfg;
	char err[512];
	struct engine_addr *e = NULL;
	size_t n = 0;

	ok(load(&cfg, no_env, err, sizeof err, "--host", "unix:///run/a.sock", "--host", "b=tcp://127.0.0.1:2376",
	        "-H", "c.example:1=tcp://[::1]:2375", NULL) == 0, "three --host flags load");
	is_int(cfg.nhosts, 3, "three hosts kept in order");
	ok(engines_from_config(&cfg, &e, &n, err, sizeof err) == 0 && n == 3, "engines_from_config: three engines");
	if (e && n == 3) {
		is_str(e[0].name, "", "an unnamed engine has no name yet");
		is_str(e[0].url, "unix:///run/a.sock", "its url");
		is_str(e[1].name, "b", "NAME= gives the label");
		is_str(e[1].url, "tcp://127.0.0.1:2376", "and the url after '='");
		is_str(e[2].name, "c.example:1", "names may hold '.', ':' and digits");
		is_str(e[2].url, "tcp://[::1]:2375", "IPv6 url");
	}
	free(e);
	e = NULL;
	config_free(&cfg);

	char *const env_list[] = {
	                          "LOOKOUT_HOSTS=x=unix:///a.sock, y=tcp://10.0.0.2:2375", NULL};
	ok(load(&cfg, env_list, err, sizeof err, NULL) == 0 && cfg.nhosts == 2, "LOOKOUT_HOSTS takes a comma list");
	config_free(&cfg);

	char *const env_dh[] = {"DOCKER_HOST=tcp://10.1.1.1:2375", NULL};
	ok(load(&cfg, env_dh, err, sizeof err, NULL) == 0, "DOCKER_HOST alone loads");
	ok(engines_from_config(&cfg, &e, &n, err, sizeof err) == 0 && n == 1 && strcmp(e[0].url,
	   "tcp://10.1.1.1:2375") == 0 && !e[0].name[0], "without --host: the one engine of DOCKER_HOST");
	free(e);
	e = NULL;
	config_free(&cfg);
	ok(load(&cfg, env_dh, err, sizeof err, "--host", "unix:///x.sock", NULL) == 0 &&
	   engines_from_config(&cfg, &e, &n, err, sizeof err) == 0 && n == 1 && strcmp(e[0].url, "unix:///x.sock") == 0,
	   "given --host, DOCKER_HOST is not used");
	free(e);
	e = NULL;
	config_free(&cfg);
	ok(load(&cfg, no_env, err, sizeof err, NULL) == 0 && engines_from_config(&cfg, &e, &n, err, sizeof err) == 0 &&
	   n == 1 && !e[0].url[0], "nothing given: one engine, default discovery");
	free(e);
	e = NULL;
	config_free(&cfg);

	static const struct {
		const char *a, *b, *want;
	} bad[] = {
		{"ftp://x:1", NULL, "ftp://x:1"},
		{"a=unix:///a.sock", "a=unix:///b.sock", "\"a\" is given twice"},
		{"unix:///a.sock", "unix:///a.sock", "given twice"},
		{"=unix:///a.sock", NULL, "NAME"},
		{"we b=unix:///a.sock", NULL, "NAME may hold"},
		{"a=", NULL, "expected [NAME=]"},
		{"unix://relative.sock", NULL, "absolute"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		int rc = bad[i].b ? load(&cfg, no_env, err, sizeof err, "--host", bad[i].a, "--host", bad[i].b, NULL)
		                  : load(&cfg, no_env, err, sizeof err, "--host", bad[i].a, NULL);
		ok(rc == -1 && strstr(err, bad[i].want) && !strchr(err, '\n') && strstr(err, "LOOKOUT_HOSTS"),
		   "refused on one line naming LOOKOUT_HOSTS: %s%s%s", bad[i].a, bad[i].b ? " + " : "",
		   bad[i].b ? bad[i].b : "");
		if (rc != -1 || !strstr(err, bad[i].want))
			printf("#   err: %s\n", err);
		config_free(&cfg);
	}
}

static void test_labels(void)
{
	char out[256];
	engines_label("node1", "unix:///var/run/docker.sock", NULL, 0, out, sizeof out);
	is_str(out, "node1", "the reported name when free");
	engines_label("", "tcp://127.0.0.1:2376", NULL, 0, out, sizeof out);
	is_str(out, "127.0.0.1:2376", "no reported name: the address");
	const char *taken[] = {"node1", "b"};
	engines_label("node1", "tcp://127.0.0.1:2376", taken, 2, out, sizeof out);
	is_str(out, "node1@127.0.0.1:2376", "the same name twice: NAME@ADDRESS");
	const char *taken2[] = {"node1", "node1@127.0.0.1:2376"};
	engines_label("node1", "tcp://127.0.0.1:2376", taken2, 2, out, sizeof out);
	is_str(out, "node1@127.0.0.1:2376#2", "still taken: a counter");
	const char *taken3[] = {"b"};
	engines_label("b", "unix:///s", taken3, 1, out, sizeof out);
	is_str(out, "b@/s", "a configured NAME is never reused");
}

/* A snapshot of two engines, each running a container called "web"; the second engine's label is hostile. */
static struct snapshot *two_hosts(void)
{
	struct snapshot *s = snapshot_alloc(2);
	s->seq = s->tick = 3;
	s->wall_ms = s->tick_wall_ms = 1795496400000LL;
	s->engine_up = true;
	strcpy(s->host, "node1");
	snapshot_alloc_engines(s, 2);
	strcpy(s->engines[0].name, "node1");
	strcpy(s->engines[0].endpoint, "unix:///run/a.sock");
	s->engines[0].up = s->engines[0].known = true;
	s->engines[0].since_ms = 1795496300000LL;
	strcpy(s->engines[1].name, "ev\"il\n<b>,x");
	strcpy(s->engines[1].endpoint, "tcp://10.0.0.2:2375");
	s->engines[1].known = true;
	strcpy(s->engines[1].error, "connection refused");
	for (unsigned i = 0; i < 2; i++) {
		struct container_info in;
		memset(&in, 0, sizeof in);
		snprintf(in.id, sizeof in.id, "%c123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde", 'a' + i);
		in.name = strdup("web");
		in.image = strdup("img");
		in.state = CSTATE_RUNNING;
		s->c[i].si = shared_info_new(&in);
		s->c[i].state = CSTATE_RUNNING;
		s->c[i].up = true;
		s->c[i].response_ms = -1;
		s->c[i].engine = i;
		s->c[i].firing_alerts = 1u << ALERT_HIGH_CPU;
	}
	return s;
}

static void test_outputs(void)
{
	struct snapshot *s = two_hosts();
	is_str(snapshot_host_of(s, &s->c[1]), "ev\"il\n<b>,x", "snapshot_host_of: the container's engine");
	struct buf b;
	buf_init(&b);
	ok(csv_format_rows(&b, s) == 0 && b.data && strstr(b.data, ",node1,a123") &&
	   strstr(b.data, ",\"ev\"\"il\n<b>,x\",b123"), "CSV: each row has its own host, quoted when it needs it");

	buf_reset(&b);
	struct web_opts o = {60, 80, 40, 80, 1000, 2.0, 0, NULL};
	ok(web_snapshot_json(&b, s, &o) == 0, "snapshot.json renders");
	cJSON *j = b.data ? cJSON_Parse(b.data) : NULL;
	cJSON *cs = cJSON_GetObjectItem(j, "containers"), *es = cJSON_GetObjectItem(j, "engines");
	ok(cJSON_GetArraySize(cs) == 2 &&
	   strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(cs, 0), "host")), "node1") == 0 &&
	   strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(cs, 1), "host")), "ev\"il\n<b>,x") == 0,
	   "JSON: per-container host, the hostile one intact");
	cJSON *e1 = cJSON_GetArrayItem(es, 1);
	ok(cJSON_GetArraySize(es) == 2 && cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetArrayItem(es, 0), "up")) &&
	   cJSON_GetNumberValue(cJSON_GetObjectItem(cJSON_GetArrayItem(es, 0), "since_ms")) == 1795496300000.0 &&
	   cJSON_IsFalse(cJSON_GetObjectItem(e1, "up")) &&
	   strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(e1, "error")), "connection refused") == 0 &&
	   strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(e1, "endpoint")), "tcp://10.0.0.2:2375") == 0,
	   "JSON: engines[] with name, endpoint, up, error, since_ms");
	cJSON_Delete(j);

	buf_reset(&b);
	ok(web_history_json(&b, s, "web", 0) == 0 && b.data && strstr(b.data, "\"host\":\"node1\"") &&
	   strstr(b.data, "\"host\":\"ev\\\"il\\n<b>,x\""), "history.json: both webs, each with its host");

	buf_reset(&b);
	ok(web_metrics(&b, s, &o, NULL) == 0, "/metrics renders");
	ok(b.data && strstr(b.data, "lookout_container_up{id=\"a123456789ab\",name=\"web\",image=\"img\",host=\"node1\"} 1\n") &&
	   strstr(b.data, "lookout_container_up{id=\"b123456789ab\",name=\"web\",image=\"img\",host=\"ev\\\"il\\n<b>,x\"} 1\n"),
	   "metrics: a host label per container series, escaped");
	ok(b.data && strstr(b.data, "lookout_engine_up{host=\"node1\"} 1\n") &&
	   strstr(b.data, "lookout_engine_up{host=\"ev\\\"il\\n<b>,x\"} 0\n") && !strstr(b.data, "\nlookout_engine_up "),
	   "metrics: lookout_engine_up per engine");
	ok(b.data && strstr(b.data, "lookout_container_alert_firing{id=\"b123456789ab\",name=\"web\",alert=\"high_cpu\","
	                            "severity=\"warning\",host=\"ev\\\"il\\n<b>,x\"} 1\n"),
	   "metrics: the alert series carry the host");

	/* Rules: the transitions carry the host; the same name on two hosts is two alerts. */
	struct rules_config rc;
	rules_config_defaults(&rc);
	rc.down_for_ms = 0;
	struct rules *r = rules_new(&rc);
	s->c[0].state = s->c[1].state = CSTATE_EXITED;
	s->c[0].up = s->c[1].up = false;
	const char *hosts[] = {s->engines[0].name, s->engines[1].name};
	struct rules_hosts rh = {hosts, 2, NULL, NULL};
	struct alert_transition *tr = NULL;
	size_t ntr = 0;
	char err[256];
	ok(rules_eval_hosts(r, s->c, s->n, &rh, s->wall_ms, &tr, &ntr, err, sizeof err) == 0 && ntr == 2 &&
	   strcmp(tr[0].host, "node1") == 0 && strcmp(tr[1].host, hosts[1]) == 0 && strcmp(tr[0].container, tr[1].container) == 0,
	   "rules: container_down of web on both hosts, each transition with its host");

	/* The alert log: the host field round-trips; a line without it (an older log) still reads. */
	buf_reset(&b);
	struct alert_transition back;
	ok(ntr == 2 && alertlog_format(&b, &tr[1]) == 0 && strstr(b.data, " host=\"ev\\\"il\\n<b>,x\" ") &&
	   alertlog_parse(b.data, b.len, &back, err, sizeof err) == 0 && strcmp(back.host, hosts[1]) == 0,
	   "alert log: host written (quoted, escaped) and read back");
	const char *old = "ts=2026-11-24T05:00:00.123Z level=critical state=firing alert=container_down container=web "
	                  "container_id=abc seq=3 msg=exited";
	ok(alertlog_parse(old, strlen(old), &back, err, sizeof err) == 0 && back.host[0] == '\0' &&
	   strcmp(back.container, "web") == 0, "alert log: a line without host (an older log) reads, host empty");
	struct alert_transition nohost = tr[0];
	nohost.host[0] = '\0';
	buf_reset(&b);
	ok(alertlog_format(&b, &nohost) == 0 && !strstr(b.data, "host="), "alert log: no host field when unknown");
	free(tr);
	rules_free(r);
	buf_free(&b);
	snapshot_unref(s);
}

int main(void)
{
	test_parsing();
	test_labels();
	test_outputs();
	return tap_done();
}
