/* daemon.c — headless mode: wires the collector to the CSV sink and the status line, and turns signals into
 * a clean stop or a reopen. It does no sampling itself and never decides alert policy. */
#include "autoconfig.h"
#include "daemon.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "alertlog.h"
#include "check.h"
#include "collector.h"
#include "csv.h"
#include "httpd.h"
#include "log.h"
#include "notifier.h"
#include "pgsink.h"
#include "util.h"

int mkdir_parents(const char *dir)
{
	char path[4096];
	int n = snprintf(path, sizeof path, "%s", dir);
	if (n < 0 || (size_t)n >= sizeof path) {
		errno = ENAMETOOLONG;
		return -1;
	}
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0755) && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(path, 0755) && errno != EEXIST)
		return -1;
	struct stat st;
	if (stat(path, &st))
		return -1;
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return -1;
	}
	return 0;
}

static const char *human_bytes(double v, char *buf, size_t len)
{
	static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	size_t u = 0;
	while (v >= 1024 && u + 1 < ARRAY_LEN(units)) {
		v /= 1024;
		u++;
	}
	snprintf(buf, len, u ? "%.1f %s" : "%.0f %s", v, units[u]);
	return buf;
}

struct status_colors {
	const char *ok, *warn, *bad, *dim, *reset;
};

/* One line per container: time, name, state, CPU, memory. Names are made terminal-safe. */
static void print_status(const struct snapshot *s, bool color)
{
	struct status_colors col = color ? (struct status_colors){"\033[32m", "\033[33m", "\033[31m", "\033[2m",
	                                                          "\033[0m"}
	                                 : (struct status_colors){"", "", "", "", ""};
	struct buf out;
	buf_init(&out);
	char ts[32];
	fmt_iso8601_ms(s->tick_wall_ms, ts, sizeof ts);
	ts[19] = 'Z';
	ts[20] = '\0';
	if (!s->engine_up) {
		/* The reason may quote the engine's own words: untrusted on a terminal. */
		buf_printf(&out, "%s %sengine unreachable%s: ", ts, col.bad, col.reset);
		buf_term_safe(&out, s->engine_error[0] ? s->engine_error : "connecting", 400);
		buf_puts(&out, "\n");
	}
	else if (s->n == 0)
		buf_printf(&out, "%s %sno containers watched%s\n", ts, col.dim, col.reset);
	for (size_t i = 0; i < s->n; i++) {
		const struct snap_container *c = &s->c[i];
		struct buf name;
		buf_init(&name);
		buf_term_safe(&name, c->si->info.name ? c->si->info.name : c->si->info.id, 40);
		const char *state_col = c->up ? col.ok : c->state == CSTATE_RUNNING ? col.warn : col.bad;
		const char *label = c->state == CSTATE_RUNNING && c->health == CHEALTH_UNHEALTHY
		                            ? "unhealthy"
		                            : container_state_name(c->state);
		buf_printf(&out, "%s %-24s %s%-10s%s", ts, name.data ? name.data : "", state_col, label, col.reset);
		buf_free(&name);
		if (c->have_metrics) {
			char used[32], lim[32];
			const struct metrics *m = &c->m;
			const char *cc = m->cpu_pct >= 80 ? col.bad : m->cpu_pct >= 60 ? col.warn : "";
			const char *mc = m->mem_pct >= 80 ? col.bad : m->mem_pct >= 60 ? col.warn : "";
			if (!isnan(m->cpu_pct))
				buf_printf(&out, " cpu %s%6.1f%%%s", cc, m->cpu_pct, *cc ? col.reset : "");
			else
				buf_puts(&out, " cpu      -");
			if (!isnan(m->mem_used_bytes) && !isnan(m->mem_limit_bytes))
				buf_printf(&out, "  mem %s%5.1f%%%s %s / %s", mc, m->mem_pct, *mc ? col.reset : "",
				           human_bytes(m->mem_used_bytes, used, sizeof used),
				           human_bytes(m->mem_limit_bytes, lim, sizeof lim));
		} else if (c->state != CSTATE_RUNNING) {
			if (c->exit_code >= 0)
				buf_printf(&out, " exit %d%s", c->exit_code, c->oom_killed ? " (OOM)" : "");
		}
		if (c->restarts)
			buf_printf(&out, "  restarts %d", c->restarts);
		buf_puts(&out, "\n");
	}
	if (out.data)
		fwrite(out.data, 1, out.len, stdout);
	fflush(stdout);
	buf_free(&out);
}

/* Appends the snapshot's transitions newer than *written_seq to the alert log (synced before returning), so the
 * log — the notifier's queue — has them before anything else acts on them. */
static void write_alerts(struct alertlog *al, const struct snapshot *s, uint64_t *written_seq,
                         struct complaint *complaint)
{
	size_t first = s->nrecent_alerts;
	while (first > 0 && s->recent_alerts[first - 1].seq > *written_seq)
		first--;
	if (first == s->nrecent_alerts)
		return;
	const struct alert_transition *t = s->recent_alerts + first;
	size_t n = s->nrecent_alerts - first;
	/* Before this process wrote its first line, seq continues the restored state's: nothing is missing. */
	if (*written_seq && t[0].seq > *written_seq + 1)
		log_error("%llu alert transitions came faster than they could be written and are missing from the "
		          "alert log", (unsigned long long)(t[0].seq - *written_seq - 1));
	char err[1024];
	if (alertlog_append(al, t, n, err, sizeof err)) {
		log_complain(complaint, LOG_ERROR, "%s", err);
		return; /* retried with the next snapshot: the transitions stay in the recent list */
	}
	log_complain_clear(complaint, "the alert log is being written again");
	*written_seq = t[n - 1].seq;
}

/* Saves the rules' state of the snapshot once the transitions it follows are in the alert log: after a SIGKILL
 * the restart knows what was firing (no repeat, no loss) and continues the alert log's seq. */
static void save_rules_state(const char *path, const struct snapshot *s, uint64_t written_seq, uint64_t *saved_seq,
                             struct complaint *complaint)
{
	const struct rules_state_text *t = s->rules_state;
	if (!t || t->seq > written_seq || t->seq <= *saved_seq)
		return;
	char err[1024];
	if (rules_write_state(path, t->data, t->len, err, sizeof err)) {
		log_complain(complaint, LOG_ERROR, "%s", err);
		return;
	}
	log_complain_clear(complaint, "the alert state is being saved again");
	*saved_seq = t->seq;
}

/* SIGTERM, SIGINT and SIGHUP are taken by a thread of their own (sigwait), which wakes the main loop: that
 * loop then sleeps until a snapshot comes, instead of waking every 200 ms to look for signals. */
struct signal_thread {
	sigset_t set;
	struct collector *c;
	atomic_int stop_sig; /* the SIGTERM or SIGINT that came, 0 before */
	atomic_uint reopens; /* SIGHUPs so far */
};

static void *signal_main(void *arg)
{
	struct signal_thread *st = arg;
	for (;;) {
		int sig;
		if (sigwait(&st->set, &sig))
			continue;
		if (sig == SIGHUP)
			atomic_fetch_add(&st->reopens, 1);
		else
			atomic_store(&st->stop_sig, sig);
		collector_interrupt(st->c);
		if (sig != SIGHUP)
			return NULL; /* later signals stay blocked and pending until the process ends */
	}
}

/* The next signal for the main loop to act on, 0 when none: from the signal thread, or without it (st NULL)
 * straight from the pending set. A stop is reported once. */
static int next_signal(struct signal_thread *st, const sigset_t *set, unsigned *reopens_done, bool stopping)
{
	if (!st) {
		struct timespec zero = {0, 0};
		int sig = sigtimedwait(set, NULL, &zero);
		return sig > 0 ? sig : 0;
	}
	if (atomic_load(&st->reopens) != *reopens_done) {
		++*reopens_done;
		return SIGHUP;
	}
	return stopping ? 0 : atomic_load(&st->stop_sig);
}

static bool want_color(const struct config *cfg)
{
	if (cfg->color == COLOR_ALWAYS)
		return true;
	if (cfg->color == COLOR_NEVER)
		return false;
	const char *nc = getenv("NO_COLOR");
	return isatty(STDOUT_FILENO) && !(nc && *nc);
}

int daemon_run(const struct config *cfg)
{
	char err[1024], path[4096];
	if (mkdir_parents(cfg->output_dir)) {
		fprintf(stderr, "lookout: cannot create output directory %s: %s\n", cfg->output_dir, strerror(errno));
		return 1;
	}
	const char *log_path = cfg->log_file;
	char default_log[4096];
	if (!log_path || !*log_path) {
		int n = snprintf(default_log, sizeof default_log, "%s/container_monitor.log", cfg->output_dir);
		if (n < 0 || (size_t)n >= sizeof default_log) {
			fprintf(stderr, "lookout: output directory path too long\n");
			return 1;
		}
		log_path = default_log;
	}
	if (log_open(log_path, (enum log_level)cfg->log_level)) {
		fprintf(stderr, "lookout: cannot open log file %s: %s\n", log_path, strerror(errno));
		return 1;
	}
	int n = snprintf(path, sizeof path, "%s/metrics.csv", cfg->output_dir);
	if (n < 0 || (size_t)n >= sizeof path) {
		fprintf(stderr, "lookout: output directory path too long\n");
		return 1;
	}
	struct csv_writer *csv = csv_open(path, err, sizeof err);
	if (!csv) {
		fprintf(stderr, "lookout: %s\n", err);
		log_close();
		return 1;
	}
	n = snprintf(path, sizeof path, "%s/container_alerts.log", cfg->output_dir);
	struct alertlog *alerts = n > 0 && (size_t)n < sizeof path ? alertlog_open(path, err, sizeof err) : NULL;
	if (!alerts) {
		fprintf(stderr, "lookout: %s\n", n > 0 && (size_t)n < sizeof path ? err : "output directory path too long");
		csv_close(csv);
		log_close();
		return 1;
	}
	struct notifier *notifier = NULL; /* email alerts: follows the alert log this process writes */
	if (notifier_daemon_start(cfg, path, &notifier)) {
		alertlog_close(alerts);
		csv_close(csv);
		log_close();
		return 2;
	}
	struct rules_config rules;
	check_rules_config(cfg, &rules);

	/* Signals are taken synchronously by this thread; every thread started below inherits the mask. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);

	struct collector_opts o;
	collector_opts_from_config(&o, cfg, &rules);
	char state_path[4096];
	n = snprintf(state_path, sizeof state_path, "%s/.lookout-daemon.state", cfg->output_dir);
	if (n > 0 && (size_t)n < sizeof state_path) {
		o.rules_state_path = state_path;
		o.alert_log_path = path; /* container_alerts.log */
	}
	struct collector *c = collector_new(&o, err, sizeof err);
	struct httpd *http = NULL;
	int http_rc = c ? httpd_start(cfg, c, &o, &http, err, sizeof err) : 0;
	if (http_rc) {
		/* A bad address or token is a configuration error; a port already taken is not fatal. */
		fprintf(stderr, "lookout: %s%s\n", err, http_rc > 0 ? "; monitoring goes on without it" : "");
		log_error("%s", err);
		if (http_rc < 0) {
			collector_free(c);
			notifier_stop(notifier);
			csv_close(csv);
			alertlog_close(alerts);
			log_close();
			return 2;
		}
	}
	if (!c || collector_start(c, err, sizeof err)) {
		httpd_stop(http);
		fprintf(stderr, "lookout: %s\n", err);
		log_error("%s", err);
		collector_free(c);
		notifier_stop(notifier);
		csv_close(csv);
		alertlog_close(alerts);
		log_close();
		return 1;
	}
	struct pgsink *pg = NULL;
	if (pgsink_start(cfg, c, &pg, err, sizeof err)) {
		fprintf(stderr, "lookout: %s\n", err);
		log_error("%s", err);
		httpd_stop(http);
		collector_free(c);
		notifier_stop(notifier);
		csv_close(csv);
		alertlog_close(alerts);
		log_close();
		return 2; /* a configuration error */
	}
	log_info("lookout %s started: interval %.3g s, source %s, output %s", PACKAGE_VERSION, cfg->interval_s,
	         cfg->source == SOURCE_CGROUP ? "cgroup" : cfg->source == SOURCE_API ? "api" : "auto",
	         cfg->output_dir);

	bool color = want_color(cfg);
	uint64_t seq = 0, written_tick = 0, written_alert = 0, saved_state = 0;
	struct complaint csv_complaint = {0}, alert_complaint = {0}, state_complaint = {0};
	bool stop = false;
	int exit_code = 0;
	struct signal_thread sigs = {.set = set, .c = c};
	atomic_init(&sigs.stop_sig, 0);
	atomic_init(&sigs.reopens, 0);
	unsigned reopens_done = 0;
	pthread_t sig_thr;
	/* Without that thread (it could not start), the loop looks for signals itself every 200 ms. */
	bool sig_thread = pthread_create(&sig_thr, NULL, signal_main, &sigs) == 0;
	while (!stop) {
		struct snapshot *s = collector_wait(c, seq, sig_thread ? 5000 : 200);
		if (s) {
			seq = s->seq;
			write_alerts(alerts, s, &written_alert, &alert_complaint);
			save_rules_state(state_path, s, written_alert, &saved_state, &state_complaint);
			/* a tick's rows from the tick's own snapshot, as the PostgreSQL sink does (not from a later
			 * event update of it, which may list a container started since) */
			struct snapshot *t = s->tick && s->tick > written_tick ? collector_latest_tick(c) : NULL;
			if (t && t->tick > written_tick) {
				written_tick = t->tick;
				if (csv_write_snapshot(csv, t, err, sizeof err))
					log_complain(&csv_complaint, LOG_ERROR, "%s", err);
				else
					log_complain_clear(&csv_complaint, "metrics.csv is being written again");
				if (cfg->status_every > 0 && (t->tick == 1 || t->tick % (uint64_t)cfg->status_every == 0))
					print_status(t, color);
			}
			snapshot_unref(t);
			snapshot_unref(s);
		}
		int sig;
		while ((sig = next_signal(sig_thread ? &sigs : NULL, &set, &reopens_done, stop)) > 0) {
			if (sig == SIGHUP) {
				log_reopen();
				if (csv_reopen(csv, err, sizeof err) || alertlog_reopen(alerts, err, sizeof err))
					log_error("%s", err);
				else
					log_info("reopened the log, metrics.csv and the alert log (SIGHUP)");
			} else {
				log_info("stopping (%s)", sig == SIGTERM ? "SIGTERM" : "SIGINT");
				stop = true;
			}
		}
	}
	if (sig_thread)
		pthread_join(sig_thr, NULL); /* it returned with the stop signal */
	httpd_stop(http);
	collector_stop(c);
	/* The tick that was in progress when the signal came is published by now: keep it. */
	struct snapshot *last = collector_latest(c);
	if (last)
		write_alerts(alerts, last, &written_alert, &alert_complaint);
	snapshot_unref(last);
	last = collector_latest_tick(c);
	if (last && last->tick > written_tick && csv_write_snapshot(csv, last, err, sizeof err))
		log_error("%s", err);
	snapshot_unref(last);
	pgsink_stop(pg);
	collector_free(c);
	notifier_stop(notifier);
	csv_close(csv);
	alertlog_close(alerts);
	log_info("stopped");
	log_close();
	return exit_code;
}
