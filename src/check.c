/* check.c — `lookout check`: runs the collector just long enough for two samples (CPU needs a delta) and the
 * HTTP probes, evaluates the rules against the state kept from the previous run, records CSV rows and alert
 * transitions, and turns the result into an exit status. It does not loop, daemonise or send anything. */
#include "autoconfig.h"
#include "check.h"

#include <cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "alertlog.h"
#include "collector.h"
#include "csv.h"
#include "daemon.h"
#include "docker.h"
#include "engines.h"
#include "log.h"
#include "util.h"

#define STATE_FILE ".lookout-check.state"
#define LOCK_FILE ".lookout-check.lock"

void check_rules_config(const struct config *cfg, struct rules_config *out)
{
	rules_config_defaults(out);
	out->cpu_threshold = (double)cfg->cpu_threshold;
	out->cpu_basis = cfg->cpu_threshold_basis == CPU_BASIS_LIMIT ? CPU_BASIS_LIMIT : CPU_BASIS_DOCKER;
	out->memory_threshold = (double)cfg->memory_threshold;
	out->response_threshold_ms = (double)cfg->response_time_threshold;
	out->cpu_hysteresis = (double)cfg->cpu_hysteresis;
	out->memory_hysteresis = (double)cfg->memory_hysteresis;
	out->response_hysteresis_ms = (double)cfg->response_hysteresis;
	out->warn_for_ms = (int64_t)llround(cfg->alert_for_s * 1000);
	out->down_for_ms = (int64_t)llround(cfg->down_for_s * 1000);
	out->health_for_ms = (int64_t)llround(cfg->health_for_s * 1000);
	out->restart_count = (int)cfg->restart_loop_count;
	out->restart_window_ms = (int64_t)llround(cfg->restart_loop_window_s * 1000);
}

static const char *status_word(int code)
{
	static const char *const w[] = {"OK", "WARNING", "CRITICAL", "UNKNOWN"};
	return code >= 0 && code <= 3 ? w[code] : "UNKNOWN";
}

/* Invalid UTF-8 would make the JSON unreadable: such bytes become U+FFFD. Control characters are cJSON's. */
static char *utf8_clean(const char *s)
{
	struct buf b;
	buf_init(&b);
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	while (*p) {
		size_t len = utf8_seq_len(p, 4);
		bool good = len > 0;
		if (good) {
			buf_append(&b, p, len);
			p += len;
		} else {
			buf_puts(&b, "\xEF\xBF\xBD");
			p++;
		}
	}
	if (!b.data)
		buf_puts(&b, "");
	return b.data;
}

static void json_str(cJSON *o, const char *key, const char *v)
{
	char *c = utf8_clean(v);
	cJSON_AddStringToObject(o, key, c ? c : "");
	free(c);
}

static void json_num(cJSON *o, const char *key, double v)
{
	if (isnan(v))
		cJSON_AddNullToObject(o, key);
	else
		cJSON_AddNumberToObject(o, key, v);
}

static void json_time(cJSON *o, const char *key, int64_t ms)
{
	char ts[32];
	if (ms)
		cJSON_AddStringToObject(o, key, fmt_iso8601_ms(ms, ts, sizeof ts));
	else
		cJSON_AddNullToObject(o, key);
}

static int print_unknown(const struct config *cfg, const char *why)
{
	if (cfg->check_json) {
		cJSON *root = cJSON_CreateObject();
		cJSON_AddStringToObject(root, "status", "unknown");
		cJSON_AddNumberToObject(root, "exit_code", 3);
		json_str(root, "error", why);
		char *text = cJSON_Print(root);
		if (text)
			printf("%s\n", text);
		free(text);
		cJSON_Delete(root);
	} else {
		struct buf b;
		buf_init(&b);
		buf_term_safe(&b, why, 0);
		printf("LOOKOUT UNKNOWN - %s\n", b.data ? b.data : "");
		buf_free(&b);
	}
	fflush(stdout);
	fprintf(stderr, "lookout: %s\n", why);
	return 3;
}

/* A copy of s holding only the containers check reports on: running ones, ones an earlier run saw (so a
 * container killed between two runs is down, not forgotten), and with --all every one. */
static struct snapshot *filtered(const struct snapshot *s, const struct rules *r, bool all)
{
	size_t n = 0;
	for (size_t i = 0; i < s->n; i++) {
		const struct snap_container *c = &s->c[i];
		n += all || c->state == CSTATE_RUNNING || c->state == CSTATE_PAUSED || c->state == CSTATE_RESTARTING ||
		     rules_knows(r, c->si->info.id);
	}
	struct snapshot *f = snapshot_alloc(n);
	if (!f)
		return NULL;
	f->seq = s->seq;
	f->tick = s->tick;
	f->wall_ms = s->wall_ms;
	f->tick_wall_ms = s->tick_wall_ms;
	f->engine_up = s->engine_up;
	memcpy(f->engine_error, s->engine_error, sizeof f->engine_error);
	memcpy(f->engine_endpoint, s->engine_endpoint, sizeof f->engine_endpoint);
	f->version = s->version;
	memcpy(f->host, s->host, sizeof f->host);
	f->host_mem_bytes = s->host_mem_bytes;
	f->host_cpus = s->host_cpus;
	if (s->nengines && snapshot_alloc_engines(f, s->nengines) == 0)
		memcpy(f->engines, s->engines, s->nengines * sizeof *s->engines);
	size_t k = 0;
	for (size_t i = 0; i < s->n && k < n; i++) {
		const struct snap_container *c = &s->c[i];
		if (!(all || c->state == CSTATE_RUNNING || c->state == CSTATE_PAUSED || c->state == CSTATE_RESTARTING ||
		      rules_knows(r, c->si->info.id)))
			continue;
		f->c[k] = *c;
		f->c[k].si = shared_info_ref(c->si);
		/* The histories are not needed, and not ours. */
		memset(&f->c[k].hist, 0, sizeof f->c[k].hist);
		memset(&f->c[k].hist_min, 0, sizeof f->c[k].hist_min);
		k++;
	}
	return f;
}

/* rules_eval with each container's host label (from the snapshot's engines). */
static int eval_with_hosts(struct rules *rules, struct snapshot *f, int64_t now, struct alert_transition **tr,
                           size_t *ntr, char *err, size_t errlen)
{
	const char *hosts[f->nengines ? f->nengines : 1];
	for (size_t e = 0; e < f->nengines; e++)
		hosts[e] = f->engines[e].name;
	struct rules_hosts rh = {hosts, f->nengines, NULL, NULL};
	return rules_eval_hosts(rules, f->c, f->n, &rh, now, tr, ntr, err, errlen);
}

/* Whether s has what one pass needs: every expected container, two samples (CPU) of each running one, and a
 * probe result of each that has a health URL. */
static bool complete(const struct snapshot *s, const struct collector_opts *o, char (*ids)[65], size_t nids)
{
	if (!s->engine_up || s->tick < 2)
		return false;
	for (size_t i = 0; i < s->nengines; i++)
		if (!s->engines[i].up)
			return false;
	for (size_t k = 0; k < nids; k++) {
		const struct snap_container *c = NULL;
		for (size_t i = 0; i < s->n && !c; i++)
			if (strcmp(s->c[i].si->info.id, ids[k]) == 0)
				c = &s->c[i];
		if (!c)
			return false;
		if (c->state != CSTATE_RUNNING)
			continue;
		if (!c->have_metrics || isnan(c->m.cpu_pct))
			return false;
		if (collector_probe_url(o, &c->si->info) && !c->probed)
			return false;
	}
	return true;
}

static void finding_text(const struct rule_status *st, enum alert_kind k, int64_t now, const struct rules_config *rc,
                         struct buf *out)
{
	if (st->firing) {
		buf_printf(out, "%s %s: %s", alert_kind_severity(k) == ALERT_CRITICAL ? "CRITICAL" : "WARNING",
		           alert_kind_name(k), st->msg);
	} else {
		int64_t need = k == ALERT_CONTAINER_DOWN ? rc->down_for_ms
		               : k == ALERT_HEALTH_FAILED ? rc->health_for_ms
		                                          : rc->warn_for_ms;
		buf_printf(out, "pending %s (%.0f of %.0f s): %s", alert_kind_name(k),
		           (double)(now - st->pending_since_ms) / 1000.0, (double)need / 1000.0, st->msg);
	}
}

static int report(const struct config *cfg, const struct snapshot *f, const struct rules *r,
                  const struct rules_config *rc, const struct alert_transition *tr, size_t ntr, int64_t now)
{
	int code = 0, ncrit = 0, nwarn = 0;
	for (size_t i = 0; i < f->n; i++)
		for (int k = 0; k < ALERT_KIND_COUNT; k++) {
			struct rule_status st;
			if (rules_status(r, f->c[i].si->info.id, (enum alert_kind)k, &st) || !st.firing)
				continue;
			if (alert_kind_severity((enum alert_kind)k) == ALERT_CRITICAL) {
				ncrit++;
				code = 2;
			} else {
				nwarn++;
				if (code < 1)
					code = 1;
			}
		}
	if (cfg->check_json) {
		cJSON *root = cJSON_CreateObject();
		cJSON_AddStringToObject(root, "status", code == 2 ? "critical" : code == 1 ? "warning" : "ok");
		cJSON_AddNumberToObject(root, "exit_code", code);
		json_time(root, "checked_at", now);
		cJSON *eng = cJSON_AddObjectToObject(root, "engine");
		json_str(eng, "endpoint", f->engine_endpoint);
		json_str(eng, "version", f->version.version);
		json_str(eng, "host", f->host);
		cJSON *arr = cJSON_AddArrayToObject(root, "containers");
		for (size_t i = 0; i < f->n; i++) {
			const struct snap_container *c = &f->c[i];
			const struct container_info *in = &c->si->info;
			cJSON *o = cJSON_CreateObject();
			json_str(o, "name", in->name ? in->name : in->id);
			json_str(o, "id", in->id);
			json_str(o, "image", in->image ? in->image : "");
			json_str(o, "state", container_state_name(c->state));
			json_str(o, "health", container_health_name(c->health));
			cJSON_AddBoolToObject(o, "up", c->up);
			json_num(o, "cpu_pct", c->have_metrics ? c->m.cpu_pct : NAN);
			json_num(o, "cpu_limit_pct", c->have_metrics ? c->m.cpu_limit_pct : NAN);
			json_num(o, "mem_pct", c->have_metrics ? c->m.mem_pct : NAN);
			json_num(o, "mem_used_bytes", c->have_metrics ? c->m.mem_used_bytes : NAN);
			json_num(o, "response_ms", c->response_ms >= 0 ? c->response_ms : NAN);
			json_num(o, "http_status", c->http_status > 0 ? c->http_status : NAN);
			if (c->probed && !c->probe_ok)
				json_str(o, "probe_error", c->probe_error);
			cJSON_AddNumberToObject(o, "restarts", c->restarts);
			cJSON *al = cJSON_AddArrayToObject(o, "alerts");
			for (int k = 0; k < ALERT_KIND_COUNT; k++) {
				struct rule_status st;
				if (rules_status(r, in->id, (enum alert_kind)k, &st) || (!st.firing && !st.pending_since_ms))
					continue;
				cJSON *a = cJSON_CreateObject();
				cJSON_AddStringToObject(a, "alert", alert_kind_name((enum alert_kind)k));
				cJSON_AddStringToObject(a, "level", alert_severity_name(alert_kind_severity((enum alert_kind)k)));
				cJSON_AddStringToObject(a, "state", st.firing ? "firing" : "pending");
				json_time(a, "since", st.firing ? st.since_ms : st.pending_since_ms);
				json_num(a, "value", st.value);
				json_num(a, "threshold", st.threshold);
				json_str(a, "msg", st.msg);
				cJSON_AddItemToArray(al, a);
			}
			cJSON_AddItemToArray(arr, o);
		}
		cJSON *ta = cJSON_AddArrayToObject(root, "transitions");
		for (size_t i = 0; i < ntr; i++) {
			cJSON *a = cJSON_CreateObject();
			json_time(a, "ts", tr[i].ts_ms);
			cJSON_AddStringToObject(a, "level", alert_severity_name(tr[i].sev));
			cJSON_AddStringToObject(a, "state", tr[i].firing ? "firing" : "resolved");
			cJSON_AddStringToObject(a, "alert", alert_kind_name(tr[i].kind));
			json_str(a, "container", tr[i].container);
			json_str(a, "container_id", tr[i].container_id);
			json_num(a, "value", tr[i].value);
			json_num(a, "threshold", tr[i].threshold);
			json_str(a, "msg", tr[i].msg);
			cJSON_AddItemToArray(ta, a);
		}
		char *text = cJSON_Print(root);
		if (text)
			printf("%s\n", text);
		free(text);
		cJSON_Delete(root);
		fflush(stdout);
		return code;
	}

	struct buf b;
	buf_init(&b);
	buf_printf(&b, "LOOKOUT %s - %zu container%s, %d critical, %d warning\n", status_word(code), f->n,
	           f->n == 1 ? "" : "s", ncrit, nwarn);
	buf_printf(&b, "%-24s %-10s %-9s %7s %7s %8s  %s\n", "NAME", "STATE", "HEALTH", "CPU%", "MEM%", "RESP_MS",
	           "FINDINGS");
	for (size_t i = 0; i < f->n; i++) {
		const struct snap_container *c = &f->c[i];
		const struct container_info *in = &c->si->info;
		struct buf name;
		buf_init(&name);
		buf_term_safe(&name, in->name ? in->name : in->id, 24);
		char cpu[16] = "-", mem[16] = "-", resp[16] = "-";
		if (c->have_metrics && !isnan(c->m.cpu_pct))
			snprintf(cpu, sizeof cpu, "%.1f", c->m.cpu_pct);
		if (c->have_metrics && !isnan(c->m.mem_pct))
			snprintf(mem, sizeof mem, "%.1f", c->m.mem_pct);
		if (c->response_ms >= 0)
			snprintf(resp, sizeof resp, "%d", c->response_ms);
		else if (c->probed && !c->probe_ok)
			snprintf(resp, sizeof resp, "failed");
		const char *h = container_health_name(c->health);
		buf_printf(&b, "%-24s %-10s %-9s %7s %7s %8s  ", name.data ? name.data : "", container_state_name(c->state),
		           *h ? h : "-", cpu, mem, resp);
		buf_free(&name);
		bool any = false;
		for (int k = 0; k < ALERT_KIND_COUNT; k++) {
			struct rule_status st;
			if (rules_status(r, in->id, (enum alert_kind)k, &st) || (!st.firing && !st.pending_since_ms))
				continue;
			struct buf t;
			buf_init(&t);
			finding_text(&st, (enum alert_kind)k, now, rc, &t);
			if (any)
				buf_printf(&b, "\n%-24s %-10s %-9s %7s %7s %8s  ", "", "", "", "", "", "");
			buf_term_safe(&b, t.data ? t.data : "", 300);
			buf_free(&t);
			any = true;
		}
		buf_puts(&b, any ? "\n" : "-\n");
	}
	if (b.data)
		fwrite(b.data, 1, b.len, stdout);
	fflush(stdout);
	buf_free(&b);
	return code;
}

int check_run(const struct config *cfg)
{
	char err[1024], path[4200], why[1400];
	int code = 3;
	/* Cron mails whatever a job prints to stderr: only warnings and errors go there. */
	bool to_file = cfg->log_file && *cfg->log_file;
	enum log_level lvl = (enum log_level)cfg->log_level;
	if (log_open(to_file ? cfg->log_file : NULL, to_file || lvl < LOG_WARN ? lvl : LOG_WARN)) {
		snprintf(why, sizeof why, "cannot open log file %s: %s", cfg->log_file, strerror(errno));
		return print_unknown(cfg, why);
	}
	if (mkdir_parents(cfg->output_dir)) {
		snprintf(why, sizeof why, "cannot create output directory %s: %s", cfg->output_dir, strerror(errno));
		log_close();
		return print_unknown(cfg, why);
	}

	/* Two runs at once (a slow run overlapping the next cron minute) would both fire: one at a time. */
	int n = snprintf(path, sizeof path, "%s/" LOCK_FILE, cfg->output_dir);
	int lockfd = n > 0 && (size_t)n < sizeof path ? open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644) : -1;
	if (lockfd < 0) {
		snprintf(why, sizeof why, "cannot open %.1000s: %s", path, strerror(errno));
		log_close();
		return print_unknown(cfg, why);
	}
	int64_t lock_deadline = now_mono_ns() + 60 * 1000000000LL;
	while (flock(lockfd, LOCK_EX | LOCK_NB)) {
		if (now_mono_ns() > lock_deadline) {
			snprintf(why, sizeof why, "another lookout check has held %.1000s for 60 s", path);
			close(lockfd);
			log_close();
			return print_unknown(cfg, why);
		}
		usleep(100000);
	}

	struct rules_config rc;
	check_rules_config(cfg, &rc);
	struct rules *rules = rules_new(&rc);
	struct collector *c = NULL;
	struct snapshot *last = NULL, *f = NULL;
	struct alert_transition *tr = NULL;
	size_t ntr = 0;
	struct docker *d = NULL;
	struct container_info *list = NULL;
	struct engine_addr *eng = NULL;
	size_t neng = 0;
	size_t nlist = 0;
	char(*ids)[65] = NULL;
	size_t nids = 0;
	char state_path[4200];
	if (!rules) {
		snprintf(why, sizeof why, "out of memory");
		goto unknown;
	}
	n = snprintf(state_path, sizeof state_path, "%s/" STATE_FILE, cfg->output_dir);
	if (n < 0 || (size_t)n >= sizeof state_path) {
		snprintf(why, sizeof why, "output directory path too long");
		goto unknown;
	}
	if (rules_load(rules, state_path, err, sizeof err)) {
		snprintf(why, sizeof why, "%s", err);
		goto unknown;
	}

	struct collector_opts o;
	/* Rules are evaluated here, on the filtered set, with the earlier runs' state: not in the collector. */
	collector_opts_from_config(&o, cfg, NULL);
	o.all = true; /* stopped ones too; filtered() keeps those an earlier run saw */
	o.history_s = cfg->interval_s * 4;

	/* What to wait for: the containers the engines list now. An unreachable engine is UNKNOWN at once, named. */
	if (engines_from_config(cfg, &eng, &neng, err, sizeof err)) {
		snprintf(why, sizeof why, "%s", err);
		goto unknown;
	}
	for (size_t e = 0; e < neng; e++) {
		struct container_info *el = NULL;
		size_t nel = 0;
		struct docker_version v;
		d = docker_new(eng[e].url, err, sizeof err);
		if (!d || docker_negotiate(d, &v, err, sizeof err) || docker_list(d, true, &el, &nel, err, sizeof err)) {
			if (neng > 1)
				snprintf(why, sizeof why, "Docker engine %.200s unreachable: %.600s",
				         eng[e].name[0] ? eng[e].name : d ? docker_endpoint(d) : eng[e].url, err);
			else
				snprintf(why, sizeof why, "Docker engine unreachable: %s", err);
			goto unknown;
		}
		docker_free(d);
		d = NULL;
		struct container_info *grown = realloc(list, (nlist + nel + 1) * sizeof *list);
		if (!grown) {
			for (size_t i = 0; i < nel; i++)
				container_info_free(&el[i]);
			free(el);
			snprintf(why, sizeof why, "out of memory");
			goto unknown;
		}
		list = grown;
		if (nel)
			memcpy(list + nlist, el, nel * sizeof *el);
		nlist += nel;
		free(el);
	}
	ids = calloc(nlist ? nlist : 1, sizeof *ids);
	if (!ids) {
		snprintf(why, sizeof why, "out of memory");
		goto unknown;
	}
	for (size_t i = 0; i < nlist; i++) {
		bool live = list[i].state == CSTATE_RUNNING || list[i].state == CSTATE_RESTARTING ||
		            list[i].state == CSTATE_PAUSED;
		/* The list has no name filter data beyond name and labels, which is all collector_selects reads. */
		if (collector_selects(&o, &list[i]) && (live || cfg->all || rules_knows(rules, list[i].id)))
			memcpy(ids[nids++], list[i].id, 65);
	}

	c = collector_new(&o, err, sizeof err);
	if (!c || collector_start(c, err, sizeof err)) {
		snprintf(why, sizeof why, "%s", err);
		goto unknown;
	}
	int64_t deadline = now_mono_ns() + (int64_t)((cfg->interval_s * 4 + cfg->probe_timeout_s + 15) * 1e9);
	uint64_t seq = 0;
	while (now_mono_ns() < deadline) {
		struct snapshot *s = collector_wait(c, seq, 200);
		if (!s)
			continue;
		seq = s->seq;
		snapshot_unref(last);
		last = s;
		if (complete(s, &o, ids, nids))
			break;
	}
	collector_stop(c);
	if (!last || !last->engine_up) {
		snprintf(why, sizeof why, "Docker engine %.200s%sunreachable: %.500s", last && last->nengines > 1 ?
		         last->engines[0].name : "", last && last->nengines > 1 ? " " : "",
		         last && last->engine_error[0] ? last->engine_error : "no answer in time");
		goto unknown;
	}
	for (size_t e = 1; e < last->nengines; e++)
		if (!last->engines[e].up) {
			snprintf(why, sizeof why, "Docker engine %.200s unreachable: %.500s", last->engines[e].name,
			         last->engines[e].error[0] ? last->engines[e].error : "no answer in time");
			goto unknown;
		}
	if (!complete(last, &o, ids, nids))
		log_warn("check: not every container had two samples and a probe result in time; reporting what there is");

	if (!(f = filtered(last, rules, cfg->all))) {
		snprintf(why, sizeof why, "out of memory");
		goto unknown;
	}
	int64_t now = now_wall_ms();
	if (eval_with_hosts(rules, f, now, &tr, &ntr, err, sizeof err)) {
		snprintf(why, sizeof why, "%s", err);
		goto unknown;
	}

	/* As the daemon does: the CSV rows of this pass, then the alert log, then the state that says the
	 * transitions were written (a crash in between repeats a line rather than losing one). */
	n = snprintf(path, sizeof path, "%s/metrics.csv", cfg->output_dir);
	struct csv_writer *csv = n > 0 && (size_t)n < sizeof path ? csv_open(path, err, sizeof err) : NULL;
	if (!csv || csv_write_snapshot(csv, f, err, sizeof err))
		log_error("%s", err);
	csv_close(csv);
	n = snprintf(path, sizeof path, "%s/container_alerts.log", cfg->output_dir);
	struct alertlog *al = n > 0 && (size_t)n < sizeof path ? alertlog_open(path, err, sizeof err) : NULL;
	if (!al || alertlog_append(al, tr, ntr, err, sizeof err)) {
		alertlog_close(al);
		snprintf(why, sizeof why, "%s", err);
		goto unknown;
	}
	alertlog_close(al);
	if (rules_save(rules, state_path, err, sizeof err)) {
		snprintf(why, sizeof why, "%s", err);
		goto unknown;
	}
	code = report(cfg, f, rules, &rc, tr, ntr, now);
	goto out;
unknown:
	code = print_unknown(cfg, why);
out:
	snapshot_unref(f);
	snapshot_unref(last);
	collector_free(c);
	free(tr);
	free(ids);
	for (size_t i = 0; i < nlist; i++)
		container_info_free(&list[i]);
	free(list);
	docker_free(d);
	free(eng);
	rules_free(rules);
	close(lockfd); /* releases the lock */
	log_close();
	return code;
}
