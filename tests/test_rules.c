/* test_rules.c — alert rules with a fake clock and synthetic containers: "for" durations, hysteresis (no
 * flapping), one firing and one resolved per episode, muting while down, per-container labels, restart loops,
 * OOM, removal, and the state file that carries all of it between `lookout check` runs. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rules.h"
#include "tap.h"
#include "util.h"

#define T0 1795000000000LL

static struct shared_info *mk_info(const char *id, const char *name, const char *label_key, const char *label_val)
{
	struct container_info in;
	memset(&in, 0, sizeof in);
	snprintf(in.id, sizeof in.id, "%s", id);
	in.name = strdup(name);
	in.state = CSTATE_RUNNING;
	if (label_key) {
		in.labels = calloc(1, sizeof *in.labels);
		in.labels[0].key = strdup(label_key);
		in.labels[0].value = strdup(label_val);
		in.nlabels = 1;
	}
	return shared_info_new(&in);
}

static struct snap_container running(struct shared_info *si, double cpu)
{
	struct snap_container c;
	memset(&c, 0, sizeof c);
	c.si = si;
	c.state = CSTATE_RUNNING;
	c.up = true;
	c.exit_code = -1;
	c.have_metrics = true;
	c.m.cpu_pct = cpu;
	c.m.cpu_limit_pct = cpu;
	c.m.mem_pct = 10;
	c.m.oom_kills = 0;
	c.response_ms = -1;
	return c;
}

struct run {
	struct alert_transition *t;
	size_t n;
};

static size_t eval(struct rules *r, struct snap_container *c, size_t n, int64_t now, struct run *out)
{
	size_t before = out->n;
	char err[256];
	if (rules_eval(r, c, n, now, &out->t, &out->n, err, sizeof err))
		printf("# rules_eval: %s\n", err);
	return out->n - before;
}

static size_t count(const struct run *rn, enum alert_kind k, bool firing)
{
	size_t n = 0;
	for (size_t i = 0; i < rn->n; i++)
		n += rn->t[i].kind == k && rn->t[i].firing == firing;
	return n;
}

static struct rules_config cfg_default(void)
{
	struct rules_config rc;
	rules_config_defaults(&rc);
	rc.warn_for_ms = 30000;
	return rc;
}

static void test_for_duration(void)
{
	struct rules_config rc = cfg_default();
	struct rules *r = rules_new(&rc);
	struct shared_info *si = mk_info("aaaa1111", "web", NULL, NULL);
	struct run rn = {0};
	struct snap_container c = running(si, 90);
	size_t fired_early = 0;
	for (int64_t t = 0; t < 30000; t += 2000)
		fired_early += eval(r, &c, 1, T0 + t, &rn);
	is_int(fired_early, 0, "for-duration: 90 %% CPU for 28 s (for 30 s) gives no transition");
	struct rule_status st;
	ok(rules_status(r, "aaaa1111", ALERT_HIGH_CPU, &st) == 0 && !st.firing && st.pending_since_ms == T0,
	   "for-duration: pending since the first reading above the threshold");
	is_int(eval(r, &c, 1, T0 + 30000, &rn), 1, "for-duration: fires at 30 s");
	ok(rn.t[0].kind == ALERT_HIGH_CPU && rn.t[0].firing && rn.t[0].sev == ALERT_WARNING &&
	           rn.t[0].ts_ms == T0 + 30000 && rn.t[0].since_ms == T0 && rn.t[0].value == 90 &&
	           rn.t[0].threshold == 40 && strcmp(rn.t[0].container, "web") == 0 && rn.t[0].seq == 1,
	   "for-duration: the firing transition says what, when, since, value and threshold");
	size_t more = 0;
	for (int64_t t = 32000; t < 120000; t += 2000)
		more += eval(r, &c, 1, T0 + t, &rn);
	is_int(more, 0, "once per episode: no second firing while it stays high");
	c.m.cpu_pct = 10;
	is_int(eval(r, &c, 1, T0 + 122000, &rn), 0, "a drop does not resolve at once");
	c.m.cpu_pct = 90;
	is_int(eval(r, &c, 1, T0 + 124000, &rn), 0, "a dip shorter than the for-duration keeps the episode");
	c.m.cpu_pct = 10;
	eval(r, &c, 1, T0 + 126000, &rn);
	is_int(eval(r, &c, 1, T0 + 155000, &rn), 0, "29 s below: not yet resolved");
	is_int(eval(r, &c, 1, T0 + 156000, &rn), 1, "resolves after 30 s below threshold - hysteresis");
	ok(!rn.t[1].firing && rn.t[1].kind == ALERT_HIGH_CPU && rn.t[1].since_ms == T0 && rn.t[1].seq == 2 &&
	           rn.t[1].ts_ms == T0 + 156000,
	   "the resolved transition belongs to the same episode");
	is_int(eval(r, &c, 1, T0 + 158000, &rn), 0, "and stays resolved");

	/* A spike shorter than the for-duration never fires, even when spikes recur. */
	struct run sp = {0};
	for (int64_t t = 200000; t < 400000; t += 2000) {
		c.m.cpu_pct = (t / 2000) % 10 < 5 ? 95 : 5; /* 10 s high, 10 s low */
		eval(r, &c, 1, T0 + t, &sp);
	}
	is_int(sp.n, 0, "spikes of 10 s (for 30 s) never fire");
	free(rn.t);
	free(sp.t);
	shared_info_unref(si);
	rules_free(r);
}

static void test_hysteresis(void)
{
	struct rules_config rc = cfg_default();
	rc.warn_for_ms = 0;
	struct rules *r = rules_new(&rc);
	struct shared_info *si = mk_info("bbbb2222", "hover", NULL, NULL);
	struct run rn = {0};
	struct snap_container c = running(si, 40);
	/* A value hovering on the threshold: 39.5 .. 41, every second for ten minutes. */
	for (int64_t t = 0; t < 600000; t += 1000) {
		c.m.cpu_pct = 40 + ((t / 1000) % 4 == 0 ? 1.0 : (t / 1000) % 4 == 1 ? -0.5 : (t / 1000) % 4 == 2 ? 0.3 : -0.9);
		eval(r, &c, 1, T0 + t, &rn);
	}
	is_int(count(&rn, ALERT_HIGH_CPU, true), 1, "hysteresis: hovering at 40 %% fires once");
	is_int(count(&rn, ALERT_HIGH_CPU, false), 0, "hysteresis: and does not resolve while within 5 points");
	c.m.cpu_pct = 35.5;
	eval(r, &c, 1, T0 + 600000, &rn);
	is_int(count(&rn, ALERT_HIGH_CPU, false), 0, "hysteresis: 35.5 is not below 40 - 5");
	c.m.cpu_pct = 34.9;
	eval(r, &c, 1, T0 + 601000, &rn);
	is_int(count(&rn, ALERT_HIGH_CPU, false), 1, "hysteresis: 34.9 resolves it");

	/* With a for-duration, hovering below and above never fires either when no 30 s stretch is above. */
	rc.warn_for_ms = 30000;
	struct rules *r2 = rules_new(&rc);
	struct run rn2 = {0};
	for (int64_t t = 0; t < 600000; t += 1000) {
		c.m.cpu_pct = (t / 1000) % 20 < 15 ? 40.2 : 39.8;
		eval(r2, &c, 1, T0 + t, &rn2);
	}
	is_int(rn2.n, 0, "hovering with dips every 20 s and a 30 s for-duration: no transition at all");
	free(rn.t);
	free(rn2.t);
	shared_info_unref(si);
	rules_free(r);
	rules_free(r2);
}

static void test_down_and_muting(void)
{
	struct rules_config rc = cfg_default();
	rc.warn_for_ms = 2000;
	struct rules *r = rules_new(&rc);
	struct shared_info *si = mk_info("cccc3333", "db", NULL, NULL);
	struct run rn = {0};
	struct snap_container c = running(si, 90);
	eval(r, &c, 1, T0 - 2000, &rn);
	eval(r, &c, 1, T0, &rn);
	is_int(count(&rn, ALERT_HIGH_CPU, true), 1, "muting: CPU fires while running");
	/* The last reading before the engine says it died is low: that alone is no resolved line. */
	c.m.cpu_pct = 0;
	eval(r, &c, 1, T0 + 400, &rn);
	c.m.cpu_pct = 90;
	/* Killed: the event time is when it went down. */
	c.state = CSTATE_EXITED;
	c.up = false;
	c.exit_code = 137;
	c.state_since_ms = T0 + 500;
	c.have_metrics = false;
	c.health = CHEALTH_UNHEALTHY;
	eval(r, &c, 1, T0 + 600, &rn);
	is_int(count(&rn, ALERT_CONTAINER_DOWN, true), 1, "container_down fires");
	const struct alert_transition *d = &rn.t[rn.n - 1];
	ok(d->kind == ALERT_CONTAINER_DOWN && d->sev == ALERT_CRITICAL && d->since_ms == T0 + 500 &&
	           d->ts_ms == T0 + 600 && strstr(d->msg, "137") != NULL,
	   "container_down is critical, since the event time, and names the exit code (%s)", d->msg);
	for (int64_t t = 1000; t < 60000; t += 1000)
		eval(r, &c, 1, T0 + t, &rn);
	is_int(count(&rn, ALERT_HEALTH_FAILED, true), 0, "muting: no health_failed while down");
	is_int(count(&rn, ALERT_HIGH_CPU, false), 0, "muting: the CPU alert neither resolves nor repeats while down");
	is_int(count(&rn, ALERT_CONTAINER_DOWN, true), 1, "down fires once for the whole episode");
	ok(c.firing_alerts == ((1u << ALERT_CONTAINER_DOWN) | (1u << ALERT_HIGH_CPU)),
	   "the snapshot's firing mask has down and CPU");
	/* Back, healthy and idle. */
	c = running(si, 5);
	eval(r, &c, 1, T0 + 61000, &rn);
	is_int(count(&rn, ALERT_CONTAINER_DOWN, false), 1, "container_down resolves when it runs again");
	eval(r, &c, 1, T0 + 63000, &rn);
	is_int(count(&rn, ALERT_HIGH_CPU, false), 1, "the CPU episode ends once it is back and idle for 2 s");
	ok(c.firing_alerts == 0, "nothing fires any more");

	/* A container that is down and would be unhealthy and busy: only down. */
	struct rules *r2 = rules_new(&rc);
	struct run rn2 = {0};
	c.state = CSTATE_RESTARTING;
	c.health = CHEALTH_UNHEALTHY;
	c.m.cpu_pct = 99;
	eval(r2, &c, 1, T0, &rn2);
	ok(rn2.n == 1 && rn2.t[0].kind == ALERT_CONTAINER_DOWN, "down mutes health and CPU alerts from the start");
	free(rn.t);
	free(rn2.t);
	shared_info_unref(si);
	rules_free(r);
	rules_free(r2);
}

static void test_health_and_probe(void)
{
	struct rules_config rc = cfg_default();
	rc.health_for_ms = 2000;
	struct rules *r = rules_new(&rc);
	struct shared_info *si = mk_info("dddd4444", "api", NULL, NULL);
	struct run rn = {0};
	struct snap_container c = running(si, 1);
	c.probed = true;
	c.probe_ok = false;
	snprintf(c.probe_error, sizeof c.probe_error, "http://x/: refused: Connection refused");
	eval(r, &c, 1, T0, &rn);
	eval(r, &c, 1, T0 + 1000, &rn);
	is_int(rn.n, 0, "a failing probe waits for the health for-duration");
	eval(r, &c, 1, T0 + 2000, &rn);
	ok(rn.n == 1 && rn.t[0].kind == ALERT_HEALTH_FAILED && rn.t[0].sev == ALERT_CRITICAL &&
	           strstr(rn.t[0].msg, "refused") != NULL,
	   "health_failed fires, critical, with the probe's reason (%s)", rn.n ? rn.t[0].msg : "");
	/* The probe answers, but slowly: health resolves, slow_response starts its for-duration. */
	c.probe_ok = true;
	c.response_ms = 1500;
	c.http_status = 200;
	eval(r, &c, 1, T0 + 3000, &rn);
	is_int(count(&rn, ALERT_HEALTH_FAILED, false), 1, "health resolves when the probe passes");
	eval(r, &c, 1, T0 + 33000, &rn);
	is_int(count(&rn, ALERT_SLOW_RESPONSE, true), 1, "slow_response after its for-duration");
	c.response_ms = 850; /* below 1000 but not below 1000 - 200 */
	eval(r, &c, 1, T0 + 34000, &rn);
	is_int(count(&rn, ALERT_SLOW_RESPONSE, false), 0, "slow_response hysteresis: 850 ms keeps it");
	c.response_ms = 20;
	eval(r, &c, 1, T0 + 35000, &rn);
	eval(r, &c, 1, T0 + 65000, &rn);
	is_int(count(&rn, ALERT_SLOW_RESPONSE, false), 1, "slow_response resolves after 30 s at 20 ms");
	/* Docker's HEALTHCHECK counts too. */
	c.health = CHEALTH_UNHEALTHY;
	eval(r, &c, 1, T0 + 66000, &rn);
	eval(r, &c, 1, T0 + 69000, &rn);
	is_int(count(&rn, ALERT_HEALTH_FAILED, true), 2, "an unhealthy HEALTHCHECK is a new health episode");
	free(rn.t);
	shared_info_unref(si);
	rules_free(r);
}

/* A per-container threshold smaller than the hysteresis margin (3 %% under the default 5 points) must still
 * resolve: the margin is capped at half the threshold. */
static void test_small_threshold_resolves(void)
{
	struct rules_config rc = cfg_default();
	rc.warn_for_ms = 0;
	struct rules *r = rules_new(&rc);
	struct shared_info *si = mk_info("1212abab", "tiny", "lookout.cpu_threshold", "3");
	struct run rn = {0};
	struct snap_container c = running(si, 10);
	eval(r, &c, 1, T0, &rn);
	is_int(count(&rn, ALERT_HIGH_CPU, true), 1, "small threshold: 10 %% above a 3 %% label fires");
	c.m.cpu_pct = 1;
	for (int64_t t = 1000; t <= 60000; t += 1000)
		eval(r, &c, 1, T0 + t, &rn);
	is_int(count(&rn, ALERT_HIGH_CPU, false), 1, "small threshold: 1 %% resolves (below 3 - min(5, 1.5))");
	ok(rn.n == 2 && strstr(rn.t[1].msg, "below 1.5 %") != NULL, "small threshold: the message names 1.5 %%: %s",
	   rn.n == 2 ? rn.t[1].msg : "");
	free(rn.t);
	shared_info_unref(si);
	rules_free(r);
}

static void test_labels(void)
{
	struct rules_config rc = cfg_default();
	rc.warn_for_ms = 0;
	struct rules *r = rules_new(&rc);
	struct shared_info *hi = mk_info("eeee5555", "batch", "lookout.cpu_threshold", "150");
	struct shared_info *bad = mk_info("ffff6666", "odd", "lookout.cpu_threshold", "lots\n");
	struct shared_info *mem = mk_info("abab7777", "cache", "lookout.memory_threshold", "95");
	struct run rn = {0};
	struct snap_container c[3] = {running(hi, 120), running(bad, 50), running(mem, 1)};
	c[2].m.mem_pct = 90;
	eval(r, c, 3, T0, &rn);
	ok(rn.n == 1 && rn.t[0].kind == ALERT_HIGH_CPU && strcmp(rn.t[0].container, "odd") == 0,
	   "labels: 120 %% under a 150 %% label is fine, a garbage label falls back to 40 %%, 90 %% memory under 95");
	c[0].m.cpu_pct = 151;
	c[2].m.mem_pct = 96;
	eval(r, c, 3, T0 + 1000, &rn);
	ok(rn.n == 3 && rn.t[1].threshold == 150 && rn.t[2].kind == ALERT_HIGH_MEMORY && rn.t[2].threshold == 95,
	   "labels: the label's thresholds are used and recorded");
	free(rn.t);
	shared_info_unref(hi);
	shared_info_unref(bad);
	shared_info_unref(mem);
	rules_free(r);

	/* The limit basis compares with % of the container's own limit. */
	rc.cpu_basis = CPU_BASIS_LIMIT;
	r = rules_new(&rc);
	struct shared_info *si = mk_info("cdcd8888", "half", NULL, NULL);
	struct snap_container h = running(si, 45);
	h.m.cpu_limit_pct = 30;
	struct run rl = {0};
	eval(r, &h, 1, T0, &rl);
	is_int(rl.n, 0, "limit basis: 45 %% of a core but 30 %% of its limit does not fire");
	free(rl.t);
	shared_info_unref(si);
	rules_free(r);
}

static void test_restart_oom_removal(void)
{
	struct rules_config rc = cfg_default();
	struct rules *r = rules_new(&rc);
	struct shared_info *si = mk_info("1234abcd", "loop", NULL, NULL);
	struct run rn = {0};
	struct snap_container c = running(si, 1);
	for (int i = 0; i <= 2; i++) {
		c.restarts = i;
		eval(r, &c, 1, T0 + i * 10000, &rn);
	}
	is_int(count(&rn, ALERT_RESTART_LOOP, true), 0, "2 restarts: no restart loop");
	c.restarts = 3;
	eval(r, &c, 1, T0 + 30000, &rn);
	is_int(count(&rn, ALERT_RESTART_LOOP, true), 1, "3 restarts within 300 s: restart_loop");
	ok(rn.t[rn.n - 1].sev == ALERT_CRITICAL && rn.t[rn.n - 1].value == 3, "critical, value 3");
	c.restarts = 5;
	eval(r, &c, 1, T0 + 40000, &rn);
	is_int(count(&rn, ALERT_RESTART_LOOP, true), 1, "more restarts: still the same episode");
	eval(r, &c, 1, T0 + 300000, &rn);
	is_int(count(&rn, ALERT_RESTART_LOOP, false), 0, "not yet resolved while 3 restarts are within the window");
	eval(r, &c, 1, T0 + 340001, &rn);
	is_int(count(&rn, ALERT_RESTART_LOOP, false), 1, "resolved once the restarts age out of the window");

	/* OOM-killed: oom and down both fire (oom says why), both resolve when it runs again. */
	c.state = CSTATE_EXITED;
	c.oom_killed = true;
	c.exit_code = 137;
	eval(r, &c, 1, T0 + 400000, &rn);
	ok(count(&rn, ALERT_OOM, true) == 1 && count(&rn, ALERT_CONTAINER_DOWN, true) == 1, "OOM kill: oom and down fire");
	c.state = CSTATE_RUNNING;
	eval(r, &c, 1, T0 + 401000, &rn);
	ok(count(&rn, ALERT_OOM, false) == 1 && count(&rn, ALERT_CONTAINER_DOWN, false) == 1,
	   "running again: both resolve");
	/* An OOM kill inside a running container (the cgroup's counter). */
	c.oom_killed = false;
	c.m.oom_kills = 1;
	eval(r, &c, 1, T0 + 402000, &rn);
	is_int(count(&rn, ALERT_OOM, true), 2, "the cgroup's oom_kills counter rising fires oom");

	/* Removed while firing: its episodes end, it is forgotten. */
	size_t before = rn.n;
	eval(r, NULL, 0, T0 + 403000, &rn);
	ok(rn.n == before + 1 && !rn.t[rn.n - 1].firing && rn.t[rn.n - 1].kind == ALERT_OOM &&
	           strstr(rn.t[rn.n - 1].msg, "removed") != NULL,
	   "a removed container's firing alert resolves");
	ok(!rules_knows(r, "1234abcd"), "and it is forgotten");
	free(rn.t);
	shared_info_unref(si);
	rules_free(r);
}

static void test_state_file(void)
{
	char dir[] = "/tmp/lookout-rules.XXXXXX", path[128], err[256] = "";
	ok(mkdtemp(dir) != NULL, "temp dir");
	snprintf(path, sizeof path, "%s/state", dir);
	struct rules_config rc = cfg_default();
	struct shared_info *si = mk_info("5678cdef", "cron \"job\"\nx", NULL, NULL);
	struct run rn = {0};
	struct snap_container c = running(si, 90);
	c.restarts = 7;

	/* Run 1: pending. Run 2 (20 s later, new process): still pending. Run 3 (40 s): fires. Run 4: nothing. */
	struct rules *r = rules_new(&rc);
	ok(rules_load(r, path, err, sizeof err) == 0, "a missing state file is an empty state");
	eval(r, &c, 1, T0, &rn);
	ok(rules_save(r, path, err, sizeof err) == 0, "save (%s)", err);
	rules_free(r);
	int64_t times[] = {T0 + 20000, T0 + 40000, T0 + 60000};
	for (size_t i = 0; i < 3; i++) {
		r = rules_new(&rc);
		if (rules_load(r, path, err, sizeof err))
			printf("# load: %s\n", err);
		eval(r, &c, 1, times[i], &rn);
		rules_save(r, path, err, sizeof err);
		rules_free(r);
	}
	ok(rn.n == 1 && rn.t[0].firing && rn.t[0].ts_ms == T0 + 40000 && rn.t[0].since_ms == T0,
	   "across separate runs: pending is kept, one firing at the for-duration, none after");
	is_int(count(&rn, ALERT_RESTART_LOOP, true), 0, "restart counts carry over (7 at every run: no loop)");
	r = rules_new(&rc);
	rules_load(r, path, err, sizeof err);
	c.m.cpu_pct = 1;
	eval(r, &c, 1, T0 + 80000, &rn);
	rules_save(r, path, err, sizeof err);
	rules_free(r);
	r = rules_new(&rc);
	rules_load(r, path, err, sizeof err);
	eval(r, &c, 1, T0 + 110000, &rn);
	ok(rn.n == 2 && !rn.t[1].firing && rn.t[1].seq == 2 && rn.t[1].ts_ms == T0 + 110000,
	   "the resolved one comes once, after 30 s below (kept across runs), with the next seq");
	rules_free(r);

	FILE *f = fopen(path, "w");
	fputs("garbage\n", f);
	fclose(f);
	r = rules_new(&rc);
	ok(rules_load(r, path, err, sizeof err) == -1 && strstr(err, "not a lookout") != NULL,
	   "a foreign file is refused with a message (%s)", err);
	rules_free(r);
	unlink(path);
	rmdir(dir);
	free(rn.t);
	shared_info_unref(si);
}

/* A crash between writing the alert log and saving the state: the log's newer transitions are replayed into
 * the saved state, so the restart neither repeats a seq nor fires the ongoing episode again. */
static void test_replay(void)
{
	char dir[] = "/tmp/lookout-replay.XXXXXX", path[128], err[256] = "";
	ok(mkdtemp(dir) != NULL, "temp dir");
	snprintf(path, sizeof path, "%s/state", dir);
	struct rules_config rc = cfg_default();
	struct shared_info *si = mk_info("9abc0123", "busy", NULL, NULL);
	struct run rn = {0};
	struct snap_container c = running(si, 90);
	struct rules *r = rules_new(&rc);
	eval(r, &c, 1, T0, &rn);
	ok(rules_save(r, path, err, sizeof err) == 0, "state saved while the alert is pending");
	eval(r, &c, 1, T0 + 30000, &rn); /* fires: in the log, and then the crash before the state is saved */
	rules_free(r);
	ok(rn.n == 1 && rn.t[0].firing && rn.t[0].seq == 1, "fired once (seq 1) before the crash");
	r = rules_new(&rc);
	rules_load(r, path, err, sizeof err);
	is_int((int)rules_last_seq(r), 0, "the saved state is behind the log");
	rules_replay(r, rn.t, rn.n);
	rules_replay(r, rn.t, rn.n); /* again: only what is newer than the state counts */
	is_int((int)rules_last_seq(r), 1, "replayed: seq goes on from the log's");
	struct rule_status st;
	ok(rules_status(r, "9abc0123", ALERT_HIGH_CPU, &st) == 0 && st.firing && st.since_ms == rn.t[0].since_ms,
	   "replayed: firing, since the episode began");
	eval(r, &c, 1, T0 + 40000, &rn);
	is_int((int)rn.n, 1, "after the restart the ongoing alert does not fire again");
	c.m.cpu_pct = 1;
	eval(r, &c, 1, T0 + 50000, &rn);
	eval(r, &c, 1, T0 + 85000, &rn);
	ok(rn.n == 2 && !rn.t[1].firing && rn.t[1].seq == 2, "it resolves once, with the next seq (2)");
	rules_free(r);
	r = rules_new(&rc);
	rules_replay(r, rn.t, rn.n);
	ok(rules_status(r, "9abc0123", ALERT_HIGH_CPU, &st) == 0 && !st.firing && rules_last_seq(r) == 2,
	   "a resolved transition in the log ends the episode");
	rules_free(r);
	unlink(path);
	rmdir(dir);
	free(rn.t);
	shared_info_unref(si);
}

/* The states follow each container whatever order the snapshots list them in: shuffled every tick, with
 * a gap (an entry without info) and a container that comes and goes, every episode fires once and only
 * for the containers that run hot. */
static void test_order_changes(void)
{
	struct rules_config rc = cfg_default();
	rc.warn_for_ms = 10000;
	struct rules *r = rules_new(&rc);
	enum { NC = 7 };
	struct shared_info *si[NC];
	char id[16], name[16];
	for (int i = 0; i < NC; i++) {
		snprintf(id, sizeof id, "c0ffee%02d", i);
		snprintf(name, sizeof name, "svc%d", i);
		si[i] = mk_info(id, name, NULL, NULL);
	}
	struct run rn = {0};
	struct snap_container c[NC + 1];
	unsigned seed = 7;
	for (int tick = 0; tick < 40; tick++) {
		int order[NC];
		for (int i = 0; i < NC; i++)
			order[i] = i;
		for (int i = NC - 1; i > 0; i--) { /* a different order every tick */
			seed = seed * 1103515245u + 12345u;
			int j = (int)((seed >> 16) % (unsigned)(i + 1)), t = order[i];
			order[i] = order[j];
			order[j] = t;
		}
		size_t n = 0;
		for (int i = 0; i < NC; i++) {
			if (order[i] == NC - 1 && tick >= 20 && tick < 30)
				continue; /* svc6 is not watched for 20 s */
			c[n++] = running(si[order[i]], order[i] % 2 ? 90 : 5);
			if (n == 3)
				memset(&c[n++], 0, sizeof c[0]); /* no info yet */
		}
		eval(r, c, n, T0 + tick * 2000, &rn);
	}
	size_t fired[NC] = {0}, resolved[NC] = {0};
	for (size_t k = 0; k < rn.n; k++)
		for (int i = 0; i < NC; i++)
			if (strcmp(rn.t[k].container_id, si[i]->info.id) == 0 && rn.t[k].kind == ALERT_HIGH_CPU)
				(rn.t[k].firing ? fired : resolved)[i]++;
	bool right = rn.n == 3 && fired[1] == 1 && fired[3] == 1 && fired[5] == 1 && fired[0] + fired[2] + fired[4] == 0;
	ok(right, "shuffled order: the three hot containers fire once each (%zu transitions)", rn.n);
	ok(fired[6] == 0 && resolved[6] == 0 && rules_knows(r, "c0ffee06"),
	   "svc6, cool, came back after 20 s unwatched without a transition");
	ok(resolved[1] + resolved[3] + resolved[5] == 0, "and nothing resolved while they stay hot");
	free(rn.t);
	for (int i = 0; i < NC; i++)
		shared_info_unref(si[i]);
	rules_free(r);
}

/* The words of every kind's firing and resolved transitions, and of the status of a firing alert: what the alert
 * log, the emails and `lookout check` show. */
static void test_messages(void)
{
	struct rules_config rc = cfg_default();
	rc.warn_for_ms = 0;
	rc.health_for_ms = 0;
	rc.down_for_ms = 0;
	struct rules *r = rules_new(&rc);
	struct shared_info *si = mk_info("eeee5555", "msg", NULL, NULL);
	struct run rn = {0};
	struct snap_container c = running(si, 93.14);
	c.m.mem_pct = 97.25;
	c.probed = true;
	c.probe_ok = true;
	c.response_ms = 1500;
	c.http_status = 200;
	eval(r, &c, 1, T0, &rn);
	c.m.cpu_pct = 95.06;
	eval(r, &c, 1, T0 + 1000, &rn);
	struct rule_status st;
	ok(rules_status(r, "eeee5555", ALERT_HIGH_CPU, &st) == 0 && st.firing, "messages: high_cpu fires");
	is_str(st.msg, "CPU 95.1 % is above 40 %", "messages: a firing alert's status shows the newest reading");
	c.m.cpu_pct = 3;
	c.m.mem_pct = 5;
	c.response_ms = 20;
	eval(r, &c, 1, T0 + 2000, &rn);
	c.state = CSTATE_EXITED;
	c.exit_code = 137;
	c.up = false;
	eval(r, &c, 1, T0 + 3000, &rn);
	c.state = CSTATE_RUNNING;
	c.exit_code = -1;
	c.up = true;
	c.health = CHEALTH_UNHEALTHY;
	c.restarts = 0;
	eval(r, &c, 1, T0 + 4000, &rn);
	c.health = CHEALTH_HEALTHY;
	eval(r, &c, 1, T0 + 5000, &rn);
	const char *want[][2] = {
		{"high_cpu+", "CPU 93.1 % is above 40 %"},
		{"high_memory+", "memory 97.2 % is above 80 %"},
		{"slow_response+", "HTTP response 1500 ms is above 1000 ms"},
		{"high_cpu-", "CPU 3.0 % is back below 35 %"},
		{"high_memory-", "memory 5.0 % is back below 75 %"},
		{"slow_response-", "HTTP response 20 ms is back below 800 ms"},
		{"container_down+", "not running: exited with code 137"},
		{"container_down-", "running again"},
		{"health_failed+", "HEALTHCHECK says unhealthy: (no output)"},
		{"health_failed-", "healthy again"},
	};
	char got[2048] = "";
	for (size_t i = 0; i < rn.n; i++) {
		size_t len = strlen(got);
		snprintf(got + len, sizeof got - len, "%s%s%s=%s", i ? " | " : "", alert_kind_name(rn.t[i].kind),
		         rn.t[i].firing ? "+" : "-", rn.t[i].msg);
	}
	int bad = rn.n != ARRAY_LEN(want);
	for (size_t i = 0; i < rn.n && i < ARRAY_LEN(want); i++) {
		char k[64];
		snprintf(k, sizeof k, "%s%s", alert_kind_name(rn.t[i].kind), rn.t[i].firing ? "+" : "-");
		bad += strcmp(k, want[i][0]) != 0 || strcmp(rn.t[i].msg, want[i][1]) != 0;
	}
	ok(!bad, "messages: each transition says what it is about (%s)", got);

	/* Restart loop: three restarts, then the window forgets them. */
	struct run rl = {0};
	for (int i = 1; i <= 3; i++) {
		c.restarts = i;
		eval(r, &c, 1, T0 + 10000 + i * 1000, &rl);
	}
	eval(r, &c, 1, T0 + 10000 + 3000 + rc.restart_window_ms, &rl);
	ok(rl.n == 2 && rl.t[0].firing && strcmp(rl.t[0].msg, "restarted 3 times within 300 s") == 0 &&
	           !rl.t[1].firing && strcmp(rl.t[1].msg, "0 restarts within 300 s") == 0,
	   "messages: restart_loop fires and resolves with its counts (%s / %s)", rl.n ? rl.t[0].msg : "",
	   rl.n > 1 ? rl.t[1].msg : "");

	/* The limit basis says so. */
	struct rules_config rl2 = cfg_default();
	rl2.warn_for_ms = 0;
	rl2.cpu_basis = CPU_BASIS_LIMIT;
	struct rules *r2 = rules_new(&rl2);
	struct run rb = {0};
	struct snap_container d = running(si, 50);
	eval(r2, &d, 1, T0, &rb);
	ok(rb.n == 1 && strcmp(rb.t[0].msg, "CPU 50.0 % is above 40 % of its limit") == 0,
	   "messages: against the CPU limit, the message says so (%s)", rb.n ? rb.t[0].msg : "");
	free(rn.t);
	free(rl.t);
	free(rb.t);
	shared_info_unref(si);
	rules_free(r);
	rules_free(r2);
}

int main(void)
{
	ok(alert_kind_severity(ALERT_CONTAINER_DOWN) == ALERT_CRITICAL &&
	           alert_kind_severity(ALERT_HEALTH_FAILED) == ALERT_CRITICAL &&
	           alert_kind_severity(ALERT_OOM) == ALERT_CRITICAL &&
	           alert_kind_severity(ALERT_RESTART_LOOP) == ALERT_CRITICAL &&
	           alert_kind_severity(ALERT_HIGH_CPU) == ALERT_WARNING &&
	           alert_kind_severity(ALERT_HIGH_MEMORY) == ALERT_WARNING &&
	           alert_kind_severity(ALERT_SLOW_RESPONSE) == ALERT_WARNING,
	   "severities: down, health, oom, restart loop critical; the rest warnings");
	test_for_duration();
	test_hysteresis();
	test_down_and_muting();
	test_health_and_probe();
	test_labels();
	test_small_threshold_resolves();
	test_restart_oom_removal();
	test_state_file();
	test_replay();
	test_order_changes();
	test_messages();
	return tap_done();
}
