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
