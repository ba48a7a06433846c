/* test_docker.c — the Engine API client against JSON recorded from a real engine (Docker 20.10, cgroup v1),
 * hand-written cgroup v2 and Podman documents, hostile documents, and a fake engine on a unix socket.
 *
 * Fixtures (tests/fixtures/engine/): recorded with a private dockerd 20.10.24 on cgroup v1:
 *   version-20.10, info-20.10, list-20.10, inspect-{running-limited,exited,healthy,killed,cpuset}, stats-exited,
 *   stats-v1-busy and stats-v1-cache (two consecutive lines of ?stream=true: one document per line),
 *   events (one event per line), error-404.
 * Hand-written after the Engine API's documented shapes: stats-v2-busy, stats-v2-idle (cgroup v2: no total_*
 *   keys, lower-case blkio ops, null blkio lists), version-25.0 (API 1.44), version-podman-4.3 and stats-podman
 *   (Podman's compatible API: no online_cpus, no memory_stats.stats, "Id"/"name" spelled its own way).
 * Set LOOKOUT_TEST_DOCKER_HOST=unix:///path to also run a few calls against a live engine. */
#include <cJSON.h>
#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <poll.h>
#include <time.h>
#include <unistd.h>

#include "container.h"
#include "docker.h"
#include "statstream.h"
#include "tap.h"
#include "util.h"

#define ID_LIMITED "5866ad87a92491116ab6ab718dcc42f1c73a66e892e1f255a6608d74e991e55e"
#define ID_EXITED "41933e4964846705b32d5225d70ab6f5cd1c87c2381249289fa6ecde4e120866"
#define NOTE_LABEL "a,b \"quoted\"\nsecond line, caf\xc3\xa9 \xe2\x9c\x93"

static char *fixture(const char *name, size_t *len)
{
	const char *top = getenv("top_srcdir");
	char path[4096];
	int n = snprintf(path, sizeof path, "%s/tests/fixtures/engine/%s", top ? top : ".", name);
	if (n < 0 || (size_t)n >= sizeof path)
		return NULL;
	char *text = read_file(path, len);
	if (!text) {
		printf("# cannot read %s: %s (set top_srcdir)\n", path, strerror(errno));
		exit(99); /* a test harness error, not a failure of the code under test */
	}
	return text;
}

/* Line k (0-based) of a fixture that holds one document per line; malloc'd. */
static char *fixture_line(const char *name, int k, size_t *len)
{
	size_t all;
	char *text = fixture(name, &all);
	char *p = text;
	for (int i = 0; i < k && p; i++) {
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	char *r = NULL;
	if (p && *p) {
		size_t n = strcspn(p, "\n");
		r = strndup(p, n);
		*len = n;
	}
	free(text);
	return r;
}

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
	nanosleep(&ts, NULL);
}

/* ---- container.c ------------------------------------------------------------------------------------- */

static void test_container(void)
{
	for (int s = CSTATE_UNKNOWN; s <= CSTATE_DEAD; s++)
		is_int(container_state_parse(container_state_name((enum container_state)s)), s, "state %s round-trips",
		       container_state_name((enum container_state)s));
	is_int(container_state_parse("bogus"), CSTATE_UNKNOWN, "unknown state text");
	is_int(container_state_parse(NULL), CSTATE_UNKNOWN, "NULL state");
	is_str(container_state_name((enum container_state)99), "unknown", "out-of-range state has a name");
	is_int(container_health_parse("healthy"), CHEALTH_HEALTHY, "healthy");
	is_int(container_health_parse("unhealthy"), CHEALTH_UNHEALTHY, "unhealthy");
	is_int(container_health_parse("starting"), CHEALTH_STARTING, "starting");
	is_int(container_health_parse("none"), CHEALTH_NONE, "none");
	is_int(container_health_parse(NULL), CHEALTH_NONE, "NULL health");
	is_str(container_health_name(CHEALTH_NONE), "", "no health is empty");
	is_str(container_health_name(CHEALTH_UNHEALTHY), "unhealthy", "unhealthy name");

	is_int(cpuset_count("0-3,8"), 5, "cpuset 0-3,8");
	is_int(cpuset_count("0-3,8,10-11"), 7, "cpuset 0-3,8,10-11");
	is_int(cpuset_count("0-1\n"), 2, "cpuset with the newline of a cgroup file");
	is_int(cpuset_count("5"), 1, "single cpu");
	is_int(cpuset_count("0-3,2"), 4, "overlap counted once");
	is_int(cpuset_count(""), 0, "empty cpuset");
	is_int(cpuset_count(NULL), 0, "NULL cpuset");
	is_int(cpuset_count("3-1"), -1, "reversed range");
	is_int(cpuset_count("1,,2"), -1, "empty element");
	is_int(cpuset_count("1,"), -1, "trailing comma");
	is_int(cpuset_count("a"), -1, "not a number");
	is_int(cpuset_count("-1"), -1, "negative");
	is_int(cpuset_count("0-99999999999999999999"), -1, "absurd cpu number");

	struct container_info c = {0}, d;
	struct label labels[2] = {{"a", "1"}, {"lookout.url", "http://x/"}};
	c.name = "web";
	c.image = "img";
	c.cpuset_cpus = "0-1";
	c.labels = labels;
	c.nlabels = 2;
	c.exit_code = 7;
	ok(container_info_copy(&d, &c) == 0, "copy");
	ok(d.name != c.name && d.labels != c.labels, "copy is deep");
	is_str(container_label(&d, "lookout.url"), "http://x/", "label lookup on the copy");
	ok(container_label(&d, "missing") == NULL, "missing label is NULL");
	ok(container_label(NULL, "a") == NULL, "label of NULL");
	is_int(d.exit_code, 7, "scalars copied");
	ok(d.cgroup_parent == NULL, "NULL stays NULL");
	container_info_free(&d);
	ok(d.name == NULL && d.nlabels == 0, "free clears");
	container_info_free(&d);
	container_info_free(NULL);
	ok(1, "free twice and free(NULL) are fine");
}

/* ---- parsers against recorded documents -------------------------------------------------------------- */

static void test_version(void)
{
	struct docker_version v;
	char err[256];
	size_t len;
	char *j = fixture("version-20.10.json", &len);
	ok(docker_parse_version(j, len, &v, err, sizeof err) == 0, "version 20.10 parses");
	is_str(v.version, "20.10.24+dfsg1", "engine version");
	is_str(v.api_version, "1.41", "api version");
	is_str(v.os, "linux", "os");
	ok(!v.oneshot_stats, "20.10 has no fast one-shot stats");
	ok(v.hostname[0] == '\0', "no hostname from /version");
	free(j);

	j = fixture("version-25.0.json", &len);
	ok(docker_parse_version(j, len, &v, err, sizeof err) == 0 && v.oneshot_stats, "API 1.44 has one-shot stats");
	free(j);

	j = fixture("version-podman-4.3.json", &len);
	ok(docker_parse_version(j, len, &v, err, sizeof err) == 0, "podman version parses");
	is_str(v.api_version, "1.41", "podman: the Docker-compatible API version, not Podman's own");
	is_str(v.version, "4.3.1", "podman version");
	free(j);

	const char *only_comp = "{\"Components\":[{\"Name\":\"Engine\",\"Version\":\"26.1.0\","
	                        "\"Details\":{\"ApiVersion\":\"1.45\",\"Os\":\"linux\"}}]}";
	ok(docker_parse_version(only_comp, strlen(only_comp), &v, err, sizeof err) == 0, "components only");
	is_str(v.api_version, "1.45", "api version from the Engine component");
	ok(v.oneshot_stats, "1.45 >= 1.44");
	const char *odd = "{\"Version\":7,\"ApiVersion\":\"one.two\",\"Os\":null}";
	ok(docker_parse_version(odd, strlen(odd), &v, err, sizeof err) == 0 && !v.version[0] && !v.oneshot_stats,
	   "odd-typed version fields are left empty");
	char longv[300];
	memset(longv, 0, sizeof longv);
	int n = snprintf(longv, sizeof longv, "{\"Version\":\"%0200d\"}", 1);
	ok(n > 0 && docker_parse_version(longv, (size_t)n, &v, err, sizeof err) == 0 &&
	   strlen(v.version) == sizeof v.version - 1, "an over-long version is cut to the field");
}

static void test_list(void)
{
	struct container_info *list;
	size_t n, len;
	char err[256];
	char *j = fixture("list-20.10.json", &len);
	ok(docker_parse_list(j, len, &list, &n, err, sizeof err) == 0, "list parses");
	is_int(n, 5, "five containers");
	struct container_info *lim = NULL, *ex = NULL;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(list[i].id, ID_LIMITED) == 0)
			lim = &list[i];
		if (strcmp(list[i].id, ID_EXITED) == 0)
			ex = &list[i];
	}
	ok(lim && ex, "both containers found by full id");
	if (lim && ex) {
		is_str(lim->name, "lk-limited", "name without the slash");
		is_str(lim->image, "lkbusy:1", "image");
		is_int(lim->state, CSTATE_RUNNING, "running");
		is_int(lim->nlabels, 3, "three labels");
		is_str(container_label(lim, "lookout.note"), NOTE_LABEL, "label with comma, quotes, newline, UTF-8");
		is_str(container_label(lim, "lookout.enable"), "true", "opt-in label");
		is_int(ex->state, CSTATE_EXITED, "exited");
		is_int(ex->nlabels, 0, "empty Labels object");
	}
	for (size_t i = 0; i < n; i++)
		container_info_free(&list[i]);
	free(list);
	free(j);

	const char *odd = "[{\"Id\":\"abc\",\"Names\":\"x\",\"Image\":5,\"State\":[],\"Labels\":{\"a\":1,\"b\":\"2\"}},"
	                  "{\"Names\":[\"/noid\"]},{\"Id\":5},7,null,"
	                  "{\"Id\":\"" ID_LIMITED ID_LIMITED "\"}]";
	ok(docker_parse_list(odd, strlen(odd), &list, &n, err, sizeof err) == 0, "odd list parses");
	is_int(n, 1, "only entries with a usable Id are kept");
	if (n == 1) {
		ok(list[0].name == NULL && list[0].image == NULL, "odd-typed name and image left NULL");
		is_int(list[0].state, CSTATE_UNKNOWN, "odd state is unknown");
		is_int(list[0].nlabels, 1, "non-string label value skipped");
		is_str(container_label(&list[0], "b"), "2", "string label kept");
	}
	for (size_t i = 0; i < n; i++)
		container_info_free(&list[i]);
	free(list);
	ok(docker_parse_list("[]", 2, &list, &n, err, sizeof err) == 0 && n == 0, "empty list");
	free(list);
	err[0] = '\0';
	ok(docker_parse_list("{}", 2, &list, &n, err, sizeof err) == -1 && err[0] && !list && n == 0,
	   "an object is not a list: %s", err);
}

static void test_inspect(void)
{
	struct container_info c;
	char err[256];
	size_t len;
	char *j = fixture("inspect-running-limited.json", &len);
	ok(docker_parse_inspect(j, len, &c, err, sizeof err) == 0, "inspect running parses");
	is_str(c.id, ID_LIMITED, "id");
	is_str(c.name, "lk-limited", "name");
	is_str(c.image, "lkbusy:1", "Config.Image");
	is_int(c.state, CSTATE_RUNNING, "running");
	is_int(c.health, CHEALTH_NONE, "no healthcheck");
	is_int(c.pid, 9585, "pid");
	/* 2026-11-24T05:03:54Z is 1795496634 s (date -u -d); .754357494 -> 754 ms. */
	is_int(c.started_at_ms, 1795496634754LL, "StartedAt");
	is_int(c.finished_at_ms, 0, "zero FinishedAt is 0");
	is_int(c.nano_cpus, 500000000, "--cpus 0.5");
	is_int(c.mem_limit_bytes, 64 * 1024 * 1024, "--memory 64m");
	is_int(c.cpu_quota_us, 0, "no quota");
	ok(c.cpuset_cpus == NULL && c.cgroup_parent == NULL, "empty cpuset and parent are NULL");
	is_str(container_label(&c, "lookout.note"), NOTE_LABEL, "label from Config.Labels");
	is_str(container_label(&c, "lookout.url"), "http://127.0.0.1:8080/health", "url label");
	container_info_free(&c);
	free(j);

	j = fixture("inspect-exited.json", &len);
	ok(docker_parse_inspect(j, len, &c, err, sizeof err) == 0, "inspect exited parses");
	is_int(c.state, CSTATE_EXITED, "exited");
	is_int(c.exit_code, 3, "exit code 3");
	is_int(c.pid, 0, "no pid");
	/* 05:03:56.546 and 05:03:56.551: 1795496636 s. */
	is_int(c.started_at_ms, 1795496636546LL, "StartedAt");
	is_int(c.finished_at_ms, 1795496636551LL, "FinishedAt");
	ok(!c.oom_killed, "not OOM-killed");
	container_info_free(&c);
	free(j);

	j = fixture("inspect-killed.json", &len);
	ok(docker_parse_inspect(j, len, &c, err, sizeof err) == 0 && c.exit_code == 137 &&
	   strcmp(c.name, "lk-renamed") == 0, "killed: 137, renamed");
	container_info_free(&c);
	free(j);

	j = fixture("inspect-healthy.json", &len);
	ok(docker_parse_inspect(j, len, &c, err, sizeof err) == 0 && c.health == CHEALTH_HEALTHY,
	   "State.Health.Status healthy");
	container_info_free(&c);
	free(j);

	j = fixture("inspect-cpuset.json", &len);
	ok(docker_parse_inspect(j, len, &c, err, sizeof err) == 0, "inspect cpuset parses");
	is_str(c.cpuset_cpus, "0-1", "CpusetCpus");
	is_int(cpuset_count(c.cpuset_cpus), 2, "two CPUs");
	is_int(c.cpu_quota_us, 150000, "CpuQuota");
	is_int(c.cpu_period_us, 100000, "CpuPeriod");
	is_int(c.mem_limit_bytes, 128 * 1024 * 1024, "128m");
	container_info_free(&c);
	free(j);

	const char *old = "{\"Id\":\"x\",\"Name\":\"/old\",\"Image\":\"sha256:1\",\"State\":{\"Running\":false,"
	                  "\"Paused\":true,\"Pid\":-4,\"ExitCode\":1e20,\"OOMKilled\":\"yes\"},\"RestartCount\":\"2\"}";
	ok(docker_parse_inspect(old, strlen(old), &c, err, sizeof err) == 0, "old-style inspect parses");
	is_int(c.state, CSTATE_PAUSED, "state from the booleans");
	is_str(c.image, "sha256:1", "top-level Image when Config.Image is missing");
	ok(c.pid == 0 && c.exit_code == 0 && !c.oom_killed && c.restart_count == 0, "out-of-range fields are zero");
	container_info_free(&c);
	ok(docker_parse_inspect("[]", 2, &c, err, sizeof err) == -1, "an array is not an inspect: %s", err);
}

static void test_stats(void)
{
	struct sample s;
	char err[256];
	size_t len;
	char *j = fixture_line("stats-v1-busy.json", 0, &len);
	ok(j && docker_parse_stats(j, len, &s, err, sizeof err) == 0, "v1 stats parse");
	unsigned want = SAMPLE_CPU | SAMPLE_SYSTEM_CPU | SAMPLE_MEM | SAMPLE_MEM_LIMIT | SAMPLE_PIDS | SAMPLE_BLKIO |
	                SAMPLE_NET | SAMPLE_THROTTLE;
	is_int(s.have, want, "have bits of a running v1 container");
	is_int(s.cpu_usage_ns, 5353898393ULL, "total_usage");
	is_int(s.system_cpu_ns, 1665090000000ULL, "system_cpu_usage");
	is_int(s.online_cpus, 2, "online_cpus");
	is_int(s.mem_usage_bytes, 8970240, "memory usage");
	is_int(s.mem_inactive_file_bytes, 0, "total_inactive_file");
	is_int(s.mem_limit_bytes, 67108864, "limit");
	is_int(s.pids, 1, "pids");
	is_int(s.net_rx_bytes, 1112, "rx");
	is_int(s.net_tx_bytes, 0, "tx");
	is_int(s.blk_read_bytes + s.blk_write_bytes, 0, "empty blkio list");
	is_int(s.throttled_periods, 102, "throttled periods");
	is_int(s.throttled_ns, 4366040618ULL, "throttled time");
	/* 05:04:05.364035022Z: 1795496645 s + 364 ms. */
	is_int(s.wall_ms, 1795496645364LL, "read");
	is_int(s.mono_ns, 0, "mono_ns left to the caller");
	free(j);

	j = fixture_line("stats-v1-cache.json", 0, &len);
	ok(j && docker_parse_stats(j, len, &s, err, sizeof err) == 0, "v1 stats with page cache");
	is_int(s.mem_inactive_file_bytes, 16777216, "total_inactive_file preferred on v1");
	free(j);

	j = fixture("stats-exited.json", &len);
	ok(docker_parse_stats(j, len, &s, err, sizeof err) == 0, "stats of an exited container parse");
	is_int(s.have, 0, "nothing read from a stopped container");
	free(j);

	j = fixture_line("stats-v2-busy.json", 0, &len);
	ok(j && docker_parse_stats(j, len, &s, err, sizeof err) == 0, "v2 stats parse");
	is_int(s.mem_inactive_file_bytes, 41943040, "v2 inactive_file");
	is_int(s.online_cpus, 4, "v2 online_cpus");
	is_int(s.blk_read_bytes, 1048576 + 2048, "lower-case read summed over devices");
	is_int(s.blk_write_bytes, 4096, "lower-case write summed over devices");
	is_int(s.net_rx_bytes, 5100, "rx summed over interfaces");
	is_int(s.net_tx_bytes, 2000, "tx summed over interfaces");
	is_int(s.pids, 3, "pids");
	free(j);

	j = fixture("stats-v2-idle.json", &len);
	ok(docker_parse_stats(j, len, &s, err, sizeof err) == 0, "v2 idle stats parse");
	ok(!(s.have & SAMPLE_BLKIO), "null blkio list: no blkio");
	ok(!(s.have & SAMPLE_NET), "no networks: no net");
	is_int(s.wall_ms, 1795497000500LL, "read with .5 s");
	free(j);

	j = fixture_line("stats-podman.json", 0, &len);
	ok(j && docker_parse_stats(j, len, &s, err, sizeof err) == 0, "podman stats parse");
	is_int(s.online_cpus, 2, "no online_cpus: length of percpu_usage");
	is_int(s.mem_inactive_file_bytes, 0, "no memory_stats.stats");
	ok(s.have & SAMPLE_MEM, "memory usage present");
	free(j);

	const char *v1blk = "{\"read\":\"2026-01-01T00:00:00Z\",\"blkio_stats\":{\"io_service_bytes_recursive\":["
	                    "{\"major\":8,\"minor\":0,\"op\":\"Read\",\"value\":100},"
	                    "{\"major\":8,\"minor\":0,\"op\":\"Write\",\"value\":20},"
	                    "{\"major\":8,\"minor\":0,\"op\":\"Sync\",\"value\":120},"
	                    "{\"major\":8,\"minor\":0,\"op\":\"Total\",\"value\":120},"
	                    "{\"major\":8,\"minor\":16,\"op\":\"Read\",\"value\":1}]}}";
	ok(docker_parse_stats(v1blk, strlen(v1blk), &s, err, sizeof err) == 0, "v1 blkio parses");
	ok(s.blk_read_bytes == 101 && s.blk_write_bytes == 20 && s.have == SAMPLE_BLKIO,
	   "Read/Write summed, Total not counted");

	const char *odd = "{\"read\":7,\"cpu_stats\":\"x\",\"memory_stats\":{\"usage\":\"12\",\"limit\":-5,"
	                  "\"stats\":[]},\"networks\":[1,2],\"pids_stats\":{\"current\":true},"
	                  "\"blkio_stats\":{\"io_service_bytes_recursive\":[null,1,{\"op\":5,\"value\":\"x\"},"
	                  "{\"op\":\"Read\",\"value\":1e300},{\"op\":\"Write\",\"value\":-3}]}}";
	ok(docker_parse_stats(odd, strlen(odd), &s, err, sizeof err) == 0, "wrong-typed stats parse");
	is_int(s.have, SAMPLE_BLKIO, "only the blkio list is usable");
	is_int(s.blk_read_bytes + s.blk_write_bytes, 0, "absurd or negative values ignored");
	const char *big = "{\"cpu_stats\":{\"cpu_usage\":{\"total_usage\":1e30},\"system_cpu_usage\":2,"
	                  "\"online_cpus\":1e12},\"memory_stats\":{\"usage\":18446744073709551616}}";
	ok(docker_parse_stats(big, strlen(big), &s, err, sizeof err) == 0, "huge numbers parse");
	ok(!(s.have & SAMPLE_CPU) && !(s.have & SAMPLE_MEM) && (s.have & SAMPLE_SYSTEM_CPU) && s.online_cpus == 0,
	   "numbers beyond 64 bits are missing, not wrapped");
}

static void test_events(void)
{
	static const struct {
		enum docker_event_action action;
		const char *name;
		int exit_code;
		enum container_health health;
	} want[] = {
		{DEV_CREATE, "lk-limited", -1, 0},
		{DEV_START, "lk-limited", -1, 0},
		{DEV_OTHER, "lk-exited", -1, 0},  /* attach */
		{DEV_OTHER, "lk-healthy", -1, 0}, /* exec_create: /bin/sh -c true */
		{DEV_OTHER, "lk-healthy", -1, 0}, /* exec_start */
		{DEV_OTHER, "lk-healthy", -1, 0}, /* exec_die (has an exitCode, but is not a die) */
		{DEV_HEALTH, "lk-healthy", -1, CHEALTH_HEALTHY},
		{DEV_DIE, "lk-exited", 3, 0},
		{DEV_HEALTH, "lk-unhealthy", -1, CHEALTH_UNHEALTHY},
		{DEV_KILL, "lk-killed", -1, 0},
		{DEV_DIE, "lk-killed", 137, 0},
		{DEV_RENAME, "lk-renamed", -1, 0},
		{DEV_DIE, "lk-healthy", 137, 0},
		{DEV_STOP, "lk-healthy", -1, 0},
		{DEV_DESTROY, "lk-renamed", -1, 0},
	};
	char err[256];
	size_t len;
	struct docker_event ev;
	for (size_t i = 0; i < ARRAY_LEN(want); i++) {
		char *j = fixture_line("events.json", (int)i, &len);
		int rc = j ? docker_parse_event(j, len, &ev, err, sizeof err) : -1;
		ok(rc == 0 && ev.action == want[i].action && strcmp(ev.name, want[i].name) == 0 &&
		   ev.exit_code == want[i].exit_code && ev.health == want[i].health && strlen(ev.id) == 64,
		   "event %zu: action %d name %s exit %d health %d", i, (int)ev.action, ev.name, ev.exit_code,
		   (int)ev.health);
		if (i == 0)
			is_int(ev.time_ns, 1795496634115356245LL, "timeNano");
		free(j);
	}
	const char *sec_only = "{\"Type\":\"container\",\"Action\":\"oom\",\"Actor\":{\"ID\":\"abc\"},\"time\":1700000000}";
	ok(docker_parse_event(sec_only, strlen(sec_only), &ev, err, sizeof err) == 0 && ev.action == DEV_OOM &&
	   ev.time_ns == 1700000000000000000LL && ev.name[0] == '\0', "time in seconds, no attributes");
	const char *podman = "{\"Type\":\"container\",\"Action\":\"health_status\",\"Actor\":{\"ID\":\"abc\","
	                     "\"Attributes\":{\"name\":\"web\",\"health_status\":\"unhealthy\"}},\"time\":1}";
	ok(docker_parse_event(podman, strlen(podman), &ev, err, sizeof err) == 0 && ev.action == DEV_HEALTH &&
	   ev.health == CHEALTH_UNHEALTHY, "Podman-style health_status with an attribute");
	const char *img = "{\"Type\":\"image\",\"Action\":\"delete\",\"Actor\":{\"ID\":\"sha\"}}";
	ok(docker_parse_event(img, strlen(img), &ev, err, sizeof err) == 0 && ev.action == DEV_OTHER,
	   "image events are other");
	const char *odd = "{\"Type\":\"container\",\"Action\":\"die\",\"Actor\":{\"ID\":5,\"Attributes\":{\"name\":[],"
	                  "\"exitCode\":\"lots\"}},\"timeNano\":\"x\",\"time\":-1}";
	ok(docker_parse_event(odd, strlen(odd), &ev, err, sizeof err) == 0 && ev.action == DEV_DIE &&
	   ev.exit_code == -1 && ev.id[0] == '\0' && ev.time_ns == 0, "odd-typed event fields");
	ok(docker_parse_event("[]", 2, &ev, err, sizeof err) == -1, "an array is not an event");
}

/* ---- hostile documents -------------------------------------------------------------------------------- */

static int parse_everything(const char *j, size_t len)
{
	char err[256];
	int fails = 0;
	struct docker_version v;
	struct container_info *list, c;
	size_t n;
	struct sample s;
	struct docker_event ev;
	fails += docker_parse_version(j, len, &v, err, sizeof err) != 0;
	if (docker_parse_list(j, len, &list, &n, err, sizeof err) == 0) {
		for (size_t i = 0; i < n; i++)
			container_info_free(&list[i]);
		free(list);
	} else {
		fails++;
	}
	if (docker_parse_inspect(j, len, &c, err, sizeof err) == 0)
		container_info_free(&c);
	else
		fails++;
	fails += docker_parse_stats(j, len, &s, err, sizeof err) != 0;
	fails += docker_parse_event(j, len, &ev, err, sizeof err) != 0;
	return fails;
}

static const char *const all_docs[] = {
	"version-20.10.json",       "version-25.0.json",    "version-podman-4.3.json", "info-20.10.json",
	"list-20.10.json",          "inspect-exited.json",  "inspect-healthy.json",    "inspect-killed.json",
	"inspect-running-limited.json", "inspect-cpuset.json", "stats-exited.json",    "stats-v2-idle.json",
	"error-404.json",
};
static const char *const line_docs[] = {
	"stats-v1-busy.json", "stats-v1-cache.json", "stats-v2-busy.json", "stats-podman.json", "events.json",
};

/* Every prefix of a document is invalid JSON: all five parsers must say so and not crash. */
static void truncations(const char *name, const char *j, size_t len)
{
	const char *end = j + len;
	while (end > j && end[-1] != '}' && end[-1] != ']')
		end--;
	size_t full = (size_t)(end - j), step = full / 300 + 1, bad = 0, tried = 0;
	for (size_t k = 0; k < full; k += step, tried++)
		if (parse_everything(j, k) != 5)
			bad++;
	ok(bad == 0, "%s: %zu truncated prefixes all rejected", name, tried);
}

static size_t count_nodes(const cJSON *o)
{
	size_t n = 0;
	const cJSON *c;
	for (c = o ? o->child : NULL; c; c = c->next)
		n += 1 + count_nodes(c);
	return n;
}

static cJSON *nth_node(cJSON *o, size_t *k, cJSON **parent)
{
	for (cJSON *c = o->child; c; c = c->next) {
		if ((*k)-- == 0) {
			*parent = o;
			return c;
		}
		cJSON *r = nth_node(c, k, parent);
		if (r)
			return r;
	}
	return NULL;
}

/* Every node of a document replaced in turn by every other JSON type: parsers must not crash or leak. */
static void mutations(const char *name, const char *j, size_t len)
{
	cJSON *root = cJSON_ParseWithLength(j, len);
	size_t nodes = count_nodes(root), runs = 0;
	for (size_t i = 0; i < nodes; i++) {
		for (int r = 0; r < 7; r++) {
			cJSON *copy = cJSON_Duplicate(root, 1), *parent = NULL;
			size_t k = i;
			cJSON *node = nth_node(copy, &k, &parent);
			cJSON *rep = r == 0 ? cJSON_CreateNull()
			             : r == 1 ? cJSON_CreateString("0001-01-01T00:00:00Z")
			             : r == 2 ? cJSON_CreateNumber(-1.5)
			             : r == 3 ? cJSON_CreateNumber(1e300)
			             : r == 4 ? cJSON_CreateArray()
			             : r == 5 ? cJSON_CreateObject()
			                      : cJSON_CreateTrue();
			cJSON_ReplaceItemViaPointer(parent, node, rep);
			char *text = cJSON_PrintUnformatted(copy);
			parse_everything(text, strlen(text));
			runs++;
			free(text);
			cJSON_Delete(copy);
		}
	}
	cJSON_Delete(root);
	ok(runs == nodes * 7, "%s: %zu mutated documents parsed without harm", name, runs);
}

static void test_hostile(void)
{
	static const char *const junk[] = {"", " ", "{", "}", "null", "42", "\"x\"", "[[[[", "{\"a\":}", "\x01\xff"};
	int bad = 0;
	for (size_t i = 0; i < ARRAY_LEN(junk); i++)
		if (parse_everything(junk[i], strlen(junk[i])) != 5)
			bad++;
	ok(bad == 0, "junk documents rejected by every parser");
	ok(parse_everything("{}", 2) == 1, "an empty object: only the list parser rejects it");
	char err[256] = "";
	struct sample s;
	ok(docker_parse_stats(NULL, 0, &s, err, sizeof err) == -1 && strstr(err, "empty"), "NULL document: %s", err);
	ok(docker_parse_stats("{}", 2, &s, NULL, 0) == 0, "NULL err buffer is allowed");
	ok(docker_parse_stats("{", 1, &s, NULL, 0) == -1, "NULL err buffer on error");

	/* Deep nesting must not recurse without bound. */
	size_t depth = 100000;
	char *deep = malloc(depth * 2);
	memset(deep, '[', depth);
	memset(deep + depth, ']', depth);
	ok(parse_everything(deep, depth * 2) == 5, "100000 nested arrays rejected");
	free(deep);

	for (size_t i = 0; i < ARRAY_LEN(all_docs); i++) {
		size_t len;
		char *j = fixture(all_docs[i], &len);
		truncations(all_docs[i], j, len);
		mutations(all_docs[i], j, len);
		free(j);
	}
	for (size_t i = 0; i < ARRAY_LEN(line_docs); i++) {
		size_t len;
		char *j = fixture_line(line_docs[i], 0, &len);
		truncations(line_docs[i], j, len);
		mutations(line_docs[i], j, len);
		free(j);
	}
}

/* ---- a fake engine on a unix socket -------------------------------------------------------------------- */

struct fake {
	char dir[64];
	char sock[128];
	int lfd;
	pthread_t thread;
	atomic_int stop;
	atomic_int active;
	atomic_int n_stream, n_once, n_oneshot_flag;
	const char *version_file;
	pthread_mutex_t mu;
	char last_prefix[32];
	char last_query[1100];
};

static int send_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static void respond(int fd, int code, const char *body, size_t len, size_t chunk, int pause_ms)
{
	char head[256];
	int n = snprintf(head, sizeof head,
	                 "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n", code,
	                 code == 200 ? "OK" : code == 404 ? "Not Found" : "Error");
	if (n < 0 || (size_t)n >= sizeof head || send_all(fd, head, (size_t)n))
		return;
	if (!chunk)
		chunk = len ? len : 1;
	for (size_t off = 0; off < len; off += chunk) {
		if (send_all(fd, body + off, len - off < chunk ? len - off : chunk))
			return;
		if (pause_ms)
			sleep_ms(pause_ms);
	}
}

struct conn {
	struct fake *f;
	int fd;
};

static void *serve_conn(void *arg)
{
	struct conn *c = arg;
	struct fake *f = c->f;
	char req[8192];
	size_t got = 0;
	while (got < sizeof req - 1) {
		ssize_t r = recv(c->fd, req + got, sizeof req - 1 - got, 0);
		if (r <= 0)
			break;
		got += (size_t)r;
		req[got] = '\0';
		if (strstr(req, "\r\n\r\n"))
			break;
	}
	req[got] = '\0';
	char path[1024] = "";
	if (sscanf(req, "GET %1023s HTTP/1.1", path) == 1) {
		const char *p = path;
		char prefix[32] = "";
		if (strncmp(p, "/v1.", 4) == 0) {
			size_t n = strcspn(p + 1, "/") + 1;
			if (n < sizeof prefix) {
				memcpy(prefix, p, n);
				prefix[n] = '\0';
			}
			p += n;
		}
		pthread_mutex_lock(&f->mu);
		memcpy(f->last_prefix, prefix, sizeof prefix);
		snprintf(f->last_query, sizeof f->last_query, "%s", p);
		pthread_mutex_unlock(&f->mu);
		size_t len = 0;
		char *body = NULL;
		if (strcmp(p, "/version") == 0) {
			body = fixture(f->version_file, &len);
			respond(c->fd, 200, body, len, 0, 0);
		} else if (strcmp(p, "/info") == 0) {
			body = fixture("info-20.10.json", &len);
			respond(c->fd, 200, body, len, 0, 0);
		} else if (strncmp(p, "/containers/json", 16) == 0) {
			body = fixture("list-20.10.json", &len);
			respond(c->fd, 200, body, len, 0, 0);
		} else if (strcmp(p, "/containers/nosuch/json") == 0) {
			body = fixture("error-404.json", &len);
			respond(c->fd, 404, body, len, 0, 0);
		} else if (strcmp(p, "/containers/boom/json") == 0) {
			respond(c->fd, 500, "{\"message\":\"engine on fire\"}", 28, 0, 0);
		} else if (strcmp(p, "/containers/garbage/json") == 0) {
			respond(c->fd, 200, "this is not json {", 18, 0, 0);
		} else if (strcmp(p, "/containers/empty/json") == 0) {
			respond(c->fd, 200, "", 0, 0, 0);
		} else if (strcmp(p, "/containers/huge/json") == 0) {
			/* Endless: the client must stop reading at its bound. */
			len = (size_t)1 << 20;
			body = malloc(len);
			memset(body, ' ', len);
			respond(c->fd, 200, "[", 1, 0, 0);
			for (int i = 0; i < 100 && send_all(c->fd, body, len) == 0; i++)
				;
		} else if (strstr(p, "/stats?stream=true")) {
			atomic_fetch_add(&f->n_stream, 1);
			body = fixture("stats-v1-busy.json", &len);
			respond(c->fd, 200, body, len, 97, 2);
		} else if (strstr(p, "/stats?stream=false")) {
			atomic_fetch_add(&f->n_once, 1);
			if (strstr(p, "one-shot=true"))
				atomic_fetch_add(&f->n_oneshot_flag, 1);
			body = fixture_line("stats-v1-busy.json", 1, &len);
			respond(c->fd, 200, body, len, 0, 0);
		} else if (strncmp(p, "/containers/", 12) == 0 && strstr(p, "/json")) {
			body = fixture("inspect-running-limited.json", &len);
			respond(c->fd, 200, body, len, 0, 0);
		} else if (strncmp(p, "/events?", 8) == 0) {
			/* Odd chunk sizes so that lines are split across writes. */
			body = fixture("events.json", &len);
			respond(c->fd, 200, body, len, 53, 1);
		} else {
			respond(c->fd, 404, "{\"message\":\"page not found\"}", 28, 0, 0);
		}
		free(body);
	}
	close(c->fd);
	free(c);
	atomic_fetch_sub(&f->active, 1);
	return NULL;
}

static void *fake_accept(void *arg)
{
	struct fake *f = arg;
	while (!atomic_load(&f->stop)) {
		struct pollfd pfd = {f->lfd, POLLIN, 0};
		if (poll(&pfd, 1, 50) <= 0)
			continue;
		int fd = accept(f->lfd, NULL, NULL);
		if (fd < 0)
			continue;
		struct conn *c = malloc(sizeof *c);
		c->f = f;
		c->fd = fd;
		pthread_t t;
		atomic_fetch_add(&f->active, 1);
		if (pthread_create(&t, NULL, serve_conn, c)) {
			atomic_fetch_sub(&f->active, 1);
			close(fd);
			free(c);
			continue;
		}
		pthread_detach(t);
	}
	return NULL;
}

static int fake_start(struct fake *f)
{
	memset(f, 0, sizeof *f);
	snprintf(f->dir, sizeof f->dir, "/tmp/lookout-test-docker-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->sock, sizeof f->sock, "%s/docker.sock", f->dir);
	f->version_file = "version-20.10.json";
	pthread_mutex_init(&f->mu, NULL);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (strlen(f->sock) >= sizeof sa.sun_path)
		return -1;
	memcpy(sa.sun_path, f->sock, strlen(f->sock) + 1);
	f->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (f->lfd < 0 || bind(f->lfd, (struct sockaddr *)&sa, sizeof sa) || listen(f->lfd, 64))
		return -1;
	return pthread_create(&f->thread, NULL, fake_accept, f) ? -1 : 0;
}

static void fake_stop(struct fake *f)
{
	atomic_store(&f->stop, 1);
	pthread_join(f->thread, NULL);
	for (int i = 0; i < 500 && atomic_load(&f->active); i++)
		sleep_ms(10);
	close(f->lfd);
	unlink(f->sock);
	rmdir(f->dir);
	pthread_mutex_destroy(&f->mu);
}

struct collected {
	struct docker_event ev[64];
	int n;
};

static void collect(const struct docker_event *ev, void *arg)
{
	struct collected *c = arg;
	if (c->n < 64)
		c->ev[c->n++] = *ev;
}

static void test_transport(void)
{
	char err[512] = "", url[200];
	struct docker_version v;

	struct docker *d = docker_new("unix:///nonexistent/lookout/docker.sock", err, sizeof err);
	ok(d != NULL, "docker_new does not connect");
	ok(d && docker_negotiate(d, &v, err, sizeof err) == -1, "negotiate with no engine fails");
	is_str(err, "cannot connect to the Docker engine at unix:///nonexistent/lookout/docker.sock: No such file or "
	            "directory (is dockerd running? set DOCKER_HOST or --host)", "message for a missing socket");
	docker_free(d);

	d = docker_new("tcp://127.0.0.1:1", err, sizeof err);
	ok(d && strcmp(docker_endpoint(d), "tcp://127.0.0.1:1") == 0, "tcp endpoint");
	ok(d && docker_negotiate(d, &v, err, sizeof err) == -1 && strstr(err, "Connection refused"),
	   "refused tcp: %s", err);
	docker_free(d);
	d = docker_new("tcp://[::1]/", err, sizeof err);
	ok(d && strcmp(docker_endpoint(d), "tcp://[::1]:2375") == 0, "IPv6 without port gets 2375");
	docker_free(d);
	ok(docker_new("ssh://user@host", err, sizeof err) == NULL && strstr(err, "not supported"), "ssh: %s", err);
	ok(docker_new("unix://relative.sock", err, sizeof err) == NULL, "relative socket path: %s", err);
	ok(docker_new("tcp://", err, sizeof err) == NULL, "tcp without host: %s", err);
	ok(docker_new("tcp://a/b", err, sizeof err) == NULL, "tcp with a path: %s", err);
	ok(docker_new("npipe:////./pipe/docker_engine", err, sizeof err) == NULL, "npipe: %s", err);
	char longpath[300];
	memset(longpath, 'a', sizeof longpath - 1);
	longpath[sizeof longpath - 1] = '\0';
	memcpy(longpath, "unix:///", 8);
	ok(docker_new(longpath, err, sizeof err) == NULL, "socket path too long: %s", err);

	setenv("DOCKER_HOST", "unix:///from/env.sock", 1);
	d = docker_new(NULL, err, sizeof err);
	ok(d && strcmp(docker_endpoint(d), "unix:///from/env.sock") == 0, "DOCKER_HOST is the default");
	docker_free(d);
	unsetenv("DOCKER_HOST");
	d = docker_new("", err, sizeof err);
	ok(d && strncmp(docker_endpoint(d), "unix://", 7) == 0, "default without DOCKER_HOST is a socket: %s",
	   d ? docker_endpoint(d) : err);
	docker_free(d);

	struct fake f;
	if (fake_start(&f)) {
		ok(0, "fake engine started: %s", strerror(errno));
		return;
	}
	/* XDG_RUNTIME_DIR's Podman socket is found when neither Docker's nor Podman's root socket exists. */
	char xdg[200];
	snprintf(xdg, sizeof xdg, "%s/podman", f.dir);
	mkdir(xdg, 0700);
	snprintf(xdg, sizeof xdg, "%s/podman/podman.sock", f.dir);
	FILE *fp = fopen(xdg, "w");
	if (fp)
		fclose(fp);
	setenv("XDG_RUNTIME_DIR", f.dir, 1);
	d = docker_new(NULL, err, sizeof err);
	struct stat st;
	if (stat("/var/run/docker.sock", &st) && stat("/run/podman/podman.sock", &st)) {
		char want[256];
		snprintf(want, sizeof want, "unix://%s", xdg);
		is_str(d ? docker_endpoint(d) : "", want, "rootless Podman socket found");
	} else {
		ok(1, "# skip rootless Podman discovery: a system socket exists");
	}
	docker_free(d);
	unlink(xdg);
	snprintf(xdg, sizeof xdg, "%s/podman", f.dir);
	rmdir(xdg);

	snprintf(url, sizeof url, "unix://%s", f.sock);
	d = docker_new(url, err, sizeof err);
	ok(docker_negotiate(d, &v, err, sizeof err) == 0, "negotiate with the fake engine: %s", err);
	is_str(v.api_version, "1.41", "engine API");
	is_str(v.hostname, "vm", "hostname from /info");
	ok(!docker_oneshot_stats(d), "no one-shot on 1.41");
	is_str(f.last_prefix, "/v1.41", "later requests use the engine's version");

	struct container_info *list = NULL, c;
	size_t n = 0;
	ok(docker_list(d, true, &list, &n, err, sizeof err) == 0 && n == 5, "list over the socket");
	is_str(f.last_query, "/containers/json?all=1", "all=1");
	for (size_t i = 0; i < n; i++)
		container_info_free(&list[i]);
	free(list);
	ok(docker_inspect(d, ID_LIMITED, &c, err, sizeof err) == 0 && strcmp(c.name, "lk-limited") == 0,
	   "inspect over the socket");
	container_info_free(&c);
	ok(docker_inspect(d, "nosuch", &c, err, sizeof err) == DOCKER_NO_SUCH_CONTAINER, "404");
	is_str(err, "no such container: nosuch", "404 message");
	ok(docker_inspect(d, "boom", &c, err, sizeof err) == -1 && strstr(err, "HTTP 500: engine on fire"),
	   "500 carries the engine's message: %s", err);
	ok(docker_inspect(d, "garbage", &c, err, sizeof err) == -1 && strstr(err, "not valid JSON"),
	   "non-JSON body: %s", err);
	ok(docker_inspect(d, "empty", &c, err, sizeof err) == -1 && strstr(err, "empty"), "empty body: %s", err);
	ok(docker_inspect(d, "huge", &c, err, sizeof err) == -1 && strstr(err, "larger than 64 MiB"),
	   "endless body is cut off: %s", err);
	ok(docker_inspect(d, "../../info?x=", &c, err, sizeof err) == -1 && strstr(err, "not a container"),
	   "path characters in an id are refused: %s", err);
	ok(docker_inspect(d, ID_LIMITED, &c, err, sizeof err) == 0, "the handle still works after errors");
	container_info_free(&c);

	struct sample s;
	ok(docker_stats_once(d, ID_LIMITED, &s, err, sizeof err) == 0 && s.cpu_usage_ns == 5859993865ULL &&
	   s.mono_ns > 0, "stats once (mono_ns stamped)");
	ok(strstr(f.last_query, "stream=false") && !strstr(f.last_query, "one-shot"), "no one-shot on 1.41: %s",
	   f.last_query);

	struct docker_events *ev = docker_events_open(d, 1795496634115356245LL, err, sizeof err);
	ok(ev != NULL, "events open");
	struct collected got = {.n = 0};
	int rc = 1;
	for (int i = 0; i < 200 && rc == 1; i++)
		rc = docker_events_poll(ev, 100, collect, &got, err, sizeof err);
	is_int(rc, 0, "events stream closed by the engine");
	is_int(got.n, 21, "every event of split chunks delivered");
	ok(got.n > 10 && got.ev[7].action == DEV_DIE && got.ev[7].exit_code == 3 && got.ev[6].action == DEV_HEALTH,
	   "events in order");
	is_str(f.last_query, "/events?since=1795496634.115356245&filters=%7B%22type%22%3A%5B%22container%22%5D%7D",
	       "since and URL-encoded filters");
	ok(docker_events_poll(ev, 10, collect, &got, err, sizeof err) == -1, "polling a closed stream is an error");
	docker_events_close(ev);
	docker_free(d);

	/* A newer engine: requests are pinned to 1.43 and one-shot stats are used. */
	f.version_file = "version-25.0.json";
	d = docker_new(url, err, sizeof err);
	ok(docker_negotiate(d, &v, err, sizeof err) == 0 && v.oneshot_stats && docker_oneshot_stats(d),
	   "negotiate with API 1.44");
	ok(docker_stats_once(d, ID_LIMITED, &s, err, sizeof err) == 0, "stats once on 1.44");
	is_str(f.last_prefix, "/v1.43", "capped at our API version");
	ok(strstr(f.last_query, "one-shot=true") != NULL, "one-shot requested");
	docker_free(d);
	f.version_file = "version-20.10.json";

	/* statstream: streams, reconnects after the stream ends, and forgets unwatched containers. */
	struct statstream *ss = statstream_new(url, false, 1000, err, sizeof err);
	ok(ss != NULL, "statstream_new");
	ok(statstream_watch(ss, ID_LIMITED) == 0, "watch");
	ok(statstream_watch(ss, "bad/id") == -1, "watch refuses a path in an id");
	ok(statstream_latest(ss, ID_EXITED, &s) == 0, "no sample for an unwatched container");
	int have = 0;
	for (int i = 0; i < 300 && !have; i++) {
		have = statstream_latest(ss, ID_LIMITED, &s) == 1 && s.cpu_usage_ns == 5859993865ULL;
		sleep_ms(10);
	}
	ok(have && s.mono_ns > 0, "newest streamed sample stored with mono_ns");
	for (int i = 0; i < 400 && atomic_load(&f.n_stream) < 2; i++)
		sleep_ms(10);
	ok(atomic_load(&f.n_stream) >= 2, "stream reopened after the engine closed it (%d)", atomic_load(&f.n_stream));
	statstream_unwatch(ss, ID_LIMITED);
	ok(statstream_latest(ss, ID_LIMITED, &s) == 0, "unwatched: no sample");
	statstream_free(ss);

	ss = statstream_new(url, true, 100, err, sizeof err);
	atomic_store(&f.n_once, 0);
	statstream_watch(ss, ID_LIMITED);
	statstream_watch(ss, ID_LIMITED); /* twice is once */
	for (int i = 0; i < 300 && atomic_load(&f.n_once) < 3; i++)
		sleep_ms(10);
	ok(atomic_load(&f.n_once) >= 3, "one-shot mode asks every interval (%d)", atomic_load(&f.n_once));
	ok(statstream_latest(ss, ID_LIMITED, &s) == 1 && s.cpu_usage_ns == 5859993865ULL, "one-shot sample stored");
	statstream_free(ss);
	statstream_free(NULL);

	/* No engine at all: the caller is never blocked and nothing arrives. */
	ss = statstream_new("unix:///nonexistent/lookout/docker.sock", false, 1000, err, sizeof err);
	int64_t t0 = now_mono_ns();
	statstream_watch(ss, ID_LIMITED);
	sleep_ms(50);
	ok(statstream_latest(ss, ID_LIMITED, &s) == 0, "no engine: no sample");
	statstream_free(ss);
	ok(now_mono_ns() - t0 < 2000000000LL, "watch and free without an engine are quick");

	fake_stop(&f);
}

/* ---- a live engine, when the environment names one -------------------------------------------------- */

static void test_live(void)
{
	const char *host = getenv("LOOKOUT_TEST_DOCKER_HOST");
	if (!host || !*host) {
		ok(1, "# skip live engine: LOOKOUT_TEST_DOCKER_HOST not set");
		return;
	}
	char err[512];
	struct docker_version v;
	struct docker *d = docker_new(host, err, sizeof err);
	int rc = d ? docker_negotiate(d, &v, err, sizeof err) : -1;
	if (!ok(rc == 0, "live: negotiate"))
		printf("# %s\n", err);
	if (rc) {
		docker_free(d);
		return;
	}
	printf("# live engine %s API %s host %s one-shot %d\n", v.version, v.api_version, v.hostname, v.oneshot_stats);
	struct container_info *list = NULL;
	size_t n = 0;
	char n_running[65] = ""; /* a running container's id, for the stats source */
	rc = docker_list(d, true, &list, &n, err, sizeof err);
	ok(rc == 0, "live: list (%zu containers)", n);
	for (size_t i = 0; i < n; i++) {
		struct container_info c;
		struct sample s;
		rc = docker_inspect(d, list[i].id, &c, err, sizeof err);
		ok(rc == 0 && strcmp(c.id, list[i].id) == 0, "live: inspect %s (%s)", list[i].name,
		   container_state_name(c.state));
		if (rc == 0 && c.state == CSTATE_RUNNING)
			memcpy(n_running, c.id, sizeof n_running);
		if (rc == 0 && c.state == CSTATE_RUNNING) {
			rc = docker_stats_once(d, list[i].id, &s, err, sizeof err);
			ok(rc == 0 && (s.have & SAMPLE_CPU) && (s.have & SAMPLE_MEM), "live: stats of %s: cpu %" PRIu64
			   " ns, mem %" PRIu64 " bytes, pids %" PRIu64, c.name, s.cpu_usage_ns, s.mem_usage_bytes, s.pids);
		} else if (rc == 0) {
			rc = docker_stats_once(d, list[i].id, &s, err, sizeof err);
			ok(rc == 0 && s.have == 0, "live: stats of stopped %s read nothing", c.name);
		}
		container_info_free(&c);
		container_info_free(&list[i]);
	}
	free(list);
	struct sample s;
	ok(docker_inspect(d, "lookout-no-such-container", &(struct container_info){0}, err, sizeof err) == -1 &&
	   strstr(err, "no such container"), "live: %s", err);
	ok(docker_stats_once(d, "lookout-no-such-container", &s, err, sizeof err) == -1, "live: stats 404: %s", err);
	struct docker_events *ev = docker_events_open(d, now_wall_ms() * 1000000LL - 3600000000000LL, err, sizeof err);
	struct collected got = {.n = 0};
	rc = 1;
	for (int i = 0; i < 10 && rc == 1; i++)
		rc = docker_events_poll(ev, 100, collect, &got, err, sizeof err);
	ok(rc == 1, "live: events stream stays open (%d events of the last hour)", got.n);
	docker_events_close(ev);

	/* The stats source against the real engine, both modes. */
	for (int mode = 0; mode < 2 && n_running[0]; mode++) {
		struct statstream *ss = statstream_new(host, mode == 1, 500, err, sizeof err);
		int have = 0;
		statstream_watch(ss, n_running);
		for (int i = 0; i < 500 && !have; i++) {
			have = statstream_latest(ss, n_running, &s) == 1 && (s.have & SAMPLE_CPU) && s.mono_ns > 0;
			sleep_ms(10);
		}
		ok(have, "live: statstream (%s) delivers samples", mode ? "one-shot" : "stream");
		statstream_free(ss);
	}
	docker_free(d);
}

/* Which engines speak TLS and with what files: the registry, the docker CLI's variables, default ports, and
 * messages that name a path but never a key's contents. The handshake itself is tested against a real TLS
 * engine in tests/integration/tls-engine.sh. */
static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static void test_tls(void)
{
	char err[1024] = "", dir[] = "/tmp/lookout-test-tls.XXXXXX", p[300];
	unsetenv("DOCKER_TLS_VERIFY");
	unsetenv("DOCKER_TLS");
	unsetenv("DOCKER_CERT_PATH");
	docker_tls_clear();

	struct docker *d = docker_new("tcp://127.0.0.1", err, sizeof err);
	ok(d && !docker_uses_tls(d) && strcmp(docker_endpoint(d), "tcp://127.0.0.1:2375") == 0,
	   "no TLS variables: plain tcp on 2375");
	docker_free(d);
	ok(docker_host_check("https://engine.example:2376", err, sizeof err) == 0, "https:// is an engine address");

	if (!mkdtemp(dir)) {
		ok(0, "mkdtemp: %s", strerror(errno));
		return;
	}
	const char *secret = "-----BEGIN PRIVATE KEY-----\nSECRET-KEY-MATERIAL\n-----END PRIVATE KEY-----\n";
	snprintf(p, sizeof p, "%s/ca.pem", dir);
	write_text(p, "not a certificate\n");

	setenv("DOCKER_TLS_VERIFY", "1", 1);
	setenv("DOCKER_CERT_PATH", dir, 1);
	d = docker_new("tcp://127.0.0.1", err, sizeof err);
	ok(d && docker_uses_tls(d) && strcmp(docker_endpoint(d), "tcp://127.0.0.1:2376") == 0,
	   "DOCKER_TLS_VERIFY: TLS on 2376 (%s)", d ? docker_endpoint(d) : err);
	docker_free(d);
	d = docker_new("http://127.0.0.1:2375", err, sizeof err);
	ok(d && !docker_uses_tls(d), "http:// stays plain whatever the variables say");
	docker_free(d);
	d = docker_new("unix:///run/x.sock", err, sizeof err);
	ok(d && !docker_uses_tls(d), "a unix socket never speaks TLS");
	docker_free(d);

	snprintf(p, sizeof p, "%s/key.pem", dir);
	write_text(p, secret);
	d = docker_new("tcp://127.0.0.1:9", err, sizeof err);
	ok(!d && strstr(err, "cert.pem") && strstr(err, "client certificate") && !strstr(err, "SECRET"),
	   "a key without its certificate: %s", err);
	docker_free(d);
	snprintf(p, sizeof p, "%s/cert.pem", dir);
	write_text(p, "cert\n");
	chmod(p, 0);
	d = docker_new("tcp://127.0.0.1:9", err, sizeof err);
	if (geteuid() != 0)
		ok(!d && strstr(err, p) && strstr(err, "client certificate"), "unreadable cert named by path: %s", err);
	else
		ok(d != NULL, "root reads a mode-0 file (the unreadable case runs as non-root)");
	docker_free(d);
	chmod(p, 0600);

	snprintf(p, sizeof p, "%s/ca.pem", dir);
	unlink(p);
	d = docker_new("tcp://127.0.0.1:9", err, sizeof err);
	ok(!d && strstr(err, p) && strstr(err, "CA certificate") && strstr(err, "No such file"),
	   "missing CA named by path: %s", err);
	docker_free(d);

	/* DOCKER_TLS alone: TLS without verification, so no CA is needed. */
	unsetenv("DOCKER_TLS_VERIFY");
	setenv("DOCKER_TLS", "1", 1);
	d = docker_new("tcp://127.0.0.1:9", err, sizeof err);
	ok(d && docker_uses_tls(d), "DOCKER_TLS: TLS without a CA (%s)", d ? "" : err);
	char what[1024] = "";
	ok(d && docker_negotiate(d, &(struct docker_version){0}, what, sizeof what) == -1 && !strstr(what, "SECRET"),
	   "a failed TLS engine's message holds no key material: %s", what);
	docker_free(d);
	unsetenv("DOCKER_TLS");

	/* The registry: a context's files win over the environment for its URL only. */
	struct docker_tls t = {.verify = true};
	snprintf(t.ca_file, sizeof t.ca_file, "%s/nope/ca.pem", dir);
	snprintf(t.origin, sizeof t.origin, "context \"test\"");
	ok(docker_tls_register("unix:///x.sock", &t, err, sizeof err) == -1, "registering a unix socket: %s", err);
	ok(docker_tls_register("tcp://10.0.0.1", &t, err, sizeof err) == 0, "register tcp://10.0.0.1");
	d = docker_new("tcp://10.0.0.1:2376", err, sizeof err);
	ok(!d && strstr(err, "nope/ca.pem") && strstr(err, "context \"test\""),
	   "a registered URL (default port 2376) uses its own files: %s", err);
	d = docker_new("tcp://10.0.0.2:2376", err, sizeof err);
	ok(d && !docker_uses_tls(d), "another URL is unaffected");
	docker_free(d);
	docker_tls_clear();
	d = docker_new("tcp://10.0.0.1:2376", err, sizeof err);
	ok(d && !docker_uses_tls(d), "docker_tls_clear forgets");
	docker_free(d);

	unsetenv("DOCKER_CERT_PATH");
	const char *names[] = {"ca.pem", "cert.pem", "key.pem"};
	for (size_t i = 0; i < 3; i++) {
		snprintf(p, sizeof p, "%s/%s", dir, names[i]);
		unlink(p);
	}
	rmdir(dir);
}

int main(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	test_tls();
	test_container();
	test_version();
	test_list();
	test_inspect();
	test_stats();
	test_events();
	test_hostile();
	test_transport();
	test_live();
	curl_global_cleanup();
	return tap_done();
}
