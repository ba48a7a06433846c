/* dashboard.c — the terminal face's wiring, as daemon.c is the headless one's: log file, collector with the
 * same options as the daemon, alert rules, then the UI loop of src/tui. It draws nothing and samples nothing. */
#include "autoconfig.h"
#include "dashboard.h"

#include <curses.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <term.h>
#include <unistd.h>

#include "check.h"
#include "collector.h"
#include "engines.h"
#include "daemon.h"
#include "log.h"
#include "remote.h"
#include "util.h"
#include "rules.h"
#include "tui/tui.h"

/* $XDG_STATE_HOME/lookout/lookout.log, else ~/.local/state/lookout/lookout.log: nothing may be printed over
 * the screen, and a person looking for the log finds it where the XDG spec says state goes. */
static int default_log_path(char *out, size_t len)
{
	const char *state = getenv("XDG_STATE_HOME");
	const char *home = getenv("HOME");
	char dir[4096];
	int n;
	if (state && *state == '/')
		n = snprintf(dir, sizeof dir, "%s/lookout", state);
	else if (home && *home)
		n = snprintf(dir, sizeof dir, "%s/.local/state/lookout", home);
	else
		n = snprintf(dir, sizeof dir, "/tmp/lookout-%ld", (long)getuid());
	if (n < 0 || (size_t)n >= sizeof dir) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (mkdir_parents(dir))
		return -1;
	n = snprintf(out, len, "%s/lookout.log", dir);
	if (n < 0 || (size_t)n >= len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/* The --connect token: LOOKOUT_CONNECT_TOKEN_FILE, LOOKOUT_CONNECT_TOKEN, else the daemon's own HTTP_TOKEN_FILE or
 * HTTP_TOKEN (a viewer on the daemon's machine with the same settings). malloc'd, "" for none; NULL with err. */
static char *connect_token(const struct config *cfg, char *err, size_t errlen)
{
	const char *file = cfg->connect_token_file && *cfg->connect_token_file ? cfg->connect_token_file : NULL;
	const char *fkey = "LOOKOUT_CONNECT_TOKEN_FILE";
	const char *plain = cfg->connect_token && *cfg->connect_token ? cfg->connect_token : NULL;
	if (!file && !plain) {
		file = cfg->http_token_file && *cfg->http_token_file ? cfg->http_token_file : NULL;
		fkey = "HTTP_TOKEN_FILE";
		plain = cfg->http_token && *cfg->http_token ? cfg->http_token : NULL;
	}
	char *t;
	if (file) {
		t = read_file(file, NULL);
		if (!t) {
			snprintf(err, errlen, "cannot read %s %s: %s", fkey, file, strerror(errno));
			return NULL;
		}
	} else {
		t = strdup(plain ? plain : "");
		if (!t) {
			snprintf(err, errlen, "out of memory");
			return NULL;
		}
	}
	size_t n = strlen(t);
	while (n > 0 && (t[n - 1] == '\n' || t[n - 1] == '\r' || t[n - 1] == ' ' || t[n - 1] == '\t'))
		t[--n] = '\0';
	return t;
}

static struct snapshot *remote_source_wait(void *ctx, uint64_t after_seq, int timeout_ms)
{
	return remote_wait(ctx, after_seq, timeout_ms);
}

static void remote_source_stop(void *ctx) { remote_stop(ctx); }

static bool remote_source_reachable(void *ctx, char *why, size_t len, int64_t *since_ms)
{
	enum remote_state st = remote_state(ctx, why, len, since_ms);
	return st == REMOTE_UP || st == REMOTE_CONNECTING;
}

/* `lookout --connect URL`: the screen over a daemon's HTTP API. 0, 1 when the daemon cannot be reached at the
 * start, 2 when it refuses the token or the settings are wrong. */
static int connect_run(const struct config *cfg)
{
	char err[1024];
	char *token = connect_token(cfg, err, sizeof err);
	if (!token) {
		fprintf(stderr, "lookout: %s\n", err);
		return 2;
	}
	struct remote *r = remote_new(cfg->connect, token, err, sizeof err);
	explicit_bzero(token, strlen(token));
	free(token);
	if (!r) {
		fprintf(stderr, "lookout: %s\n", err);
		return 2;
	}
	/* One round before the screen: a wrong address or token is a message on the terminal, not a red screen. */
	struct snapshot *first = NULL;
	if (remote_poll(r, &first, err, sizeof err)) {
		bool auth = remote_state(r, NULL, 0, NULL) == REMOTE_UNAUTHORIZED;
		fprintf(stderr, "lookout: %s%s\n", auth ? "" : "cannot reach the lookout daemon: ", err);
		log_error("--connect: %s", err);
		remote_free(r);
		return auth ? 2 : 1;
	}
	log_info("lookout %s dashboard started, attached to the daemon at %s (%zu containers, history of %zu)",
	         PACKAGE_VERSION, remote_url(r), first->n, first->n ? first->c[0].hist.count : (size_t)0);
	for (size_t i = 0; i < first->n; i++) {
		struct point oldest;
		if (first->c[i].hist.count) {
			oldest = series_view_get(&first->c[i].hist, 0);
			char t[32];
			fmt_iso8601_ms(oldest.wall_ms, t, sizeof t);
			struct buf name;
			buf_init(&name);
			buf_term_safe(&name, first->c[i].si->info.name ? first->c[i].si->info.name : "", 128);
			log_info("--connect: %s: %zu points of history from the daemon, the oldest from %s", name.data ? name.data : "",
			         first->c[i].hist.count, t);
			buf_free(&name);
		}
	}
	snapshot_unref(first);
	tui_block_signals();
	struct tui_opts t = {
		.docker_host = NULL,
		.host_root = cfg->host_root,
		.interval_s = cfg->interval_s,
		.ascii = cfg->ascii,
		.color = cfg->no_color ? COLOR_NEVER : cfg->color,
		.show_all = cfg->all,
		.gauge_warn = (double)cfg->gauge_warn,
		.gauge_crit = (double)cfg->gauge_crit,
		.resp_threshold_ms = cfg->response_time_threshold > 0 ? (double)cfg->response_time_threshold : NAN,
	};
	struct tui_source src = {
		.wait = remote_source_wait,
		.stop = remote_source_stop,
		.reachable = remote_source_reachable,
		.ctx = r,
		.remote = remote_url(r),
	};
	int rc = 0;
	if (tui_run_source(&src, &t, err, sizeof err)) {
		fprintf(stderr, "lookout: %s\n", err);
		log_error("%s", err);
		rc = 1;
	}
	remote_free(r);
	log_info("dashboard stopped");
	return rc;
}

int dashboard_run(const struct config *cfg)
{
	if (cfg->gauge_warn > cfg->gauge_crit) {
		fprintf(stderr, "lookout: LOOKOUT_GAUGE_WARN (%ld) must not be above LOOKOUT_GAUGE_CRIT (%ld)\n",
		        cfg->gauge_warn, cfg->gauge_crit);
		return 2;
	}
	/* ncurses exits the process on an unknown terminal type; ask first, before any thread exists. */
	int term_err = 0;
	if (setupterm(NULL, STDOUT_FILENO, &term_err) != OK) {
		const char *term = getenv("TERM");
		fprintf(stderr, "lookout: the terminal type \"%.40s\" is unknown here (set TERM, e.g. TERM=xterm-256color, "
		                "or run 'lookout --daemon')\n", term ? term : "");
		return 2;
	}
	del_curterm(cur_term);
	cur_term = NULL;
	char path[4096], err[1024];
	const char *log_path = cfg->log_file;
	if (!log_path || !*log_path) {
		if (default_log_path(path, sizeof path)) {
			fprintf(stderr, "lookout: cannot create the log directory: %s (set --log-file)\n", strerror(errno));
			return 1;
		}
		log_path = path;
	}
	if (log_open(log_path, (enum log_level)cfg->log_level)) {
		fprintf(stderr, "lookout: cannot open log file %s: %s\n", log_path, strerror(errno));
		return 1;
	}
	if (cfg->connect && *cfg->connect) {
		int rc = connect_run(cfg);
		log_close();
		return rc;
	}
	struct rules_config rules;
	check_rules_config(cfg, &rules);

	/* Every thread started from here on leaves SIGWINCH and the quit signals to the UI thread. */
	tui_block_signals();
	struct collector_opts o;
	collector_opts_from_config(&o, cfg, &rules);
	/* Always watch stopped containers too: the 'a' key shows or hides them without a restart. */
	o.all = true;
	o.history_s = 3700; /* the longest window (1 h) plus a margin */
	struct collector *c = collector_new(&o, err, sizeof err);
	if (!c || collector_start(c, err, sizeof err)) {
		fprintf(stderr, "lookout: %s\n", err);
		log_error("%s", err);
		collector_free(c);
		log_close();
		return 1;
	}
	log_info("lookout %s dashboard started: interval %.3g s", PACKAGE_VERSION, cfg->interval_s);
	/* The screen's log view reads from the first engine (several engines on the screen: the TUI's part). */
	struct engine_addr *eng = NULL;
	size_t neng = 0;
	if (engines_from_config(cfg, &eng, &neng, err, sizeof err))
		neng = 0;
	struct tui_opts t = {
		.docker_host = neng ? eng[0].url : cfg->docker_host,
		.host_root = cfg->host_root,
		.interval_s = cfg->interval_s,
		.ascii = cfg->ascii,
		.color = cfg->no_color ? COLOR_NEVER : cfg->color,
		.show_all = cfg->all,
		.gauge_warn = (double)cfg->gauge_warn,
		.gauge_crit = (double)cfg->gauge_crit,
		.resp_threshold_ms = cfg->response_time_threshold > 0 ? (double)cfg->response_time_threshold : NAN,
	};
	int rc = 0;
	if (tui_run(c, &t, err, sizeof err)) {
		fprintf(stderr, "lookout: %s\n", err);
		log_error("%s", err);
		rc = 1;
	}
	collector_free(c);
	free(eng);
	log_info("dashboard stopped");
	log_close();
	return rc;
}
