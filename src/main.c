/* main.c — the lookout program: reads the configuration, picks the face (daemon, help, version) and maps
 * failures to exit codes. The only place that exits. */
#include "autoconfig.h"

#include <curl/curl.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "check.h"
#include "config.h"
#include "daemon.h"
#include "dashboard.h"
#include "dockerctx.h"
#include "notifier.h"
#include "silence.h"
#include "report.h"

int main(int argc, char **argv)
{
	setlocale(LC_ALL, "");
	signal(SIGPIPE, SIG_IGN); /* a closed stdout or socket is an error return, not a death */
	/* Each watched container keeps its cgroup files (and maybe a stats stream) open: take every descriptor
	 * the hard limit allows rather than failing at a few dozen containers under a 1024 soft limit. */
	struct rlimit nofile;
	if (getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur < nofile.rlim_max) {
		nofile.rlim_cur = nofile.rlim_max;
		setrlimit(RLIMIT_NOFILE, &nofile);
	}

	struct config cfg;
	char err[1024];
	if (config_load(&cfg, argc, argv, NULL, err, sizeof err)) {
		fprintf(stderr, "lookout: %s\n", err);
		int status = cfg.mode == MODE_CHECK ? 3 : 2; /* monitoring-plugin convention: 3 = UNKNOWN */
		config_free(&cfg);
		return status;
	}
	/* The engine of a docker CLI context (--context, DOCKER_CONTEXT, currentContext), for the modes that watch one. */
	if ((cfg.mode == MODE_DAEMON || cfg.mode == MODE_CHECK || cfg.mode == MODE_DASHBOARD) &&
	    docker_context_configure(&cfg, err, sizeof err)) {
		fprintf(stderr, "lookout: %s\n", err);
		int status = cfg.mode == MODE_CHECK ? 3 : 2;
		config_free(&cfg);
		return status;
	}
	int rc = 0;
	switch (cfg.mode) {
	case MODE_HELP:
		config_print_help(stdout, "lookout");
		break;
	case MODE_VERSION:
		printf("lookout %s\n", PACKAGE_VERSION);
		break;
	case MODE_DUMP_MAN:
		config_print_man(stdout);
		break;
	case MODE_DUMP_EXAMPLE:
		config_print_example(stdout);
		break;
	case MODE_DAEMON:
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
			fprintf(stderr, "lookout: cannot initialise libcurl\n");
			rc = 1;
			break;
		}
		rc = daemon_run(&cfg);
		curl_global_cleanup();
		break;
	case MODE_CHECK:
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
			fprintf(stderr, "lookout: cannot initialise libcurl\n");
			rc = 3;
			break;
		}
		rc = check_run(&cfg);
		curl_global_cleanup();
		break;
	case MODE_REPORT:
		rc = report_run(&cfg);
		break;
	case MODE_DASHBOARD:
		if (!isatty(STDOUT_FILENO) || !isatty(STDIN_FILENO)) {
			fprintf(stderr, "lookout: standard output is not a terminal; use 'lookout --daemon', "
			                "'lookout check' or 'lookout report' (see lookout --help)\n");
			rc = 2;
			break;
		}
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
			fprintf(stderr, "lookout: cannot initialise libcurl\n");
			rc = 1;
			break;
		}
		rc = dashboard_run(&cfg);
		curl_global_cleanup();
		break;
	case MODE_NOTIFY:
		rc = notify_run(&cfg);
		break;
	case MODE_SILENCE:
		rc = silence_run(&cfg);
		break;
	}
	config_free(&cfg);
	return rc;
}
