/* test_config.c — the key table: precedence, quoting, lists, and a one-line error for every bad value. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "tap.h"

static char tmpdir[] = "/tmp/lookout-test-config-XXXXXX";

static const char *write_tmp(const char *name, const char *text)
{
	static char path[4][512];
	static int k;
	char *p = path[k++ % 4];
	snprintf(p, 512, "%s/%s", tmpdir, name);
	FILE *f = fopen(p, "w");
	fputs(text, f);
	fclose(f);
	return p;
}

/* Loads with argv given as a NULL-terminated list after the program name. */
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

int main(void)
{
	struct config cfg;
	char err[1024];
	char *noenv[] = {"LOOKOUT_CONFIG=/nonexistent-but-unused", NULL};
	char *empty_env[] = {NULL};
	(void)noenv;
	if (!mkdtemp(tmpdir))
		return 1;

	ok(load(&cfg, empty_env, err, sizeof err, NULL) == 0, "defaults load");
	is_near(cfg.interval_s, 2.0, 0, "default interval is 2 s");
	is_str(cfg.output_dir, "logs", "default output dir");
	is_int(cfg.source, SOURCE_AUTO, "default source is auto");
	is_int(cfg.mode, MODE_DASHBOARD, "no mode means the dashboard");
	config_free(&cfg);

	const char *conf = write_tmp("lookout.conf", "# comment\nMONITOR_INTERVAL = 5\nLOOKOUT_OUTPUT_DIR = /from/file\n"
	                                             "LOOKOUT_SOURCE = api\nLOOKOUT_STATUS_EVERY = 7 # trailing\n");
	const char *envf = write_tmp("env", "export MONITOR_INTERVAL=\"4\"\nPOSTGRES_PASSWORD=whatever\n"
	                                    "LOOKOUT_OUTPUT_DIR='/from/envfile'\n");
	char *env1[] = {"MONITOR_INTERVAL=3", NULL};
	ok(load(&cfg, env1, err, sizeof err, "--config", conf, "--env-file", envf, "--interval", "1.5", NULL) == 0,
	   "all layers load");
	is_near(cfg.interval_s, 1.5, 0, "a flag beats the environment");
	config_free(&cfg);
	ok(load(&cfg, env1, err, sizeof err, "--config", conf, "--env-file", envf, NULL) == 0, "layers load");
	is_near(cfg.interval_s, 3.0, 0, "the environment beats --env-file");
	is_str(cfg.output_dir, "/from/envfile", "--env-file beats the config file (single quotes removed)");
	is_int(cfg.source, SOURCE_API, "the config file beats the default");
	is_int(cfg.status_every, 7, "a trailing comment is ignored");
	config_free(&cfg);
	ok(load(&cfg, empty_env, err, sizeof err, "--config", conf, "--env-file", envf, NULL) == 0, "layers load");
	is_near(cfg.interval_s, 4.0, 0, "--env-file value with double quotes and export");
	config_free(&cfg);

	char *quoted[] = {"MONITOR_INTERVAL=\"40\"", NULL};
	ok(load(&cfg, quoted, err, sizeof err, NULL) == 0 && cfg.interval_s == 40.0,
	   "a quoted environment value is accepted (compose style)");
	config_free(&cfg);

	ok(load(&cfg, empty_env, err, sizeof err, "-c", "web", "--container", "db", "--all", "-d", NULL) == 0,
	   "repeated list flag");
	ok(cfg.ncontainers == 2 && strcmp(cfg.containers[0], "web") == 0 && strcmp(cfg.containers[1], "db") == 0,
	   "both names kept in order");
	ok(cfg.all && cfg.mode == MODE_DAEMON, "bool flag and --daemon");
	config_free(&cfg);
	char *list_env[] = {"LOOKOUT_CONTAINERS=a, b,,c", NULL};
	ok(load(&cfg, list_env, err, sizeof err, NULL) == 0 && cfg.ncontainers == 3, "comma list from env");
	config_free(&cfg);

	ok(load(&cfg, empty_env, err, sizeof err, "--interval", "abc", NULL) == -1, "bad interval refused");
	ok(strstr(err, "MONITOR_INTERVAL") && strstr(err, "\"abc\"") && strstr(err, "--interval") &&
	       strstr(err, "0.1"),
	   "the error names key, value, origin and range: %s", err);
	config_free(&cfg);
	ok(load(&cfg, empty_env, err, sizeof err, "--interval", "0", NULL) == -1, "out of range refused");
	config_free(&cfg);
	char *bad_env[] = {"LOOKOUT_SOURCE=docker", NULL};
	ok(load(&cfg, bad_env, err, sizeof err, NULL) == -1 && strstr(err, "environment") &&
	       strstr(err, "auto|cgroup|api"),
	   "a bad enum from the environment: %s", err);
	config_free(&cfg);
	const char *badconf = write_tmp("bad.conf", "LOOKOUT_ALL = perhaps\n");
	ok(load(&cfg, empty_env, err, sizeof err, "--config", badconf, NULL) == -1 && strstr(err, "bad.conf:1"),
	   "a bad config-file value names file and line: %s", err);
	config_free(&cfg);
	const char *gaps = write_tmp("gaps.conf", "# head\n\n\nLOOKOUT_ALL = perhaps\n");
	ok(load(&cfg, empty_env, err, sizeof err, "--config", gaps, NULL) == -1 && strstr(err, "gaps.conf:4)"),
	   "blank lines count in the line number: %s", err);
	config_free(&cfg);
	const char *typo = write_tmp("typo.conf", "MONITOR_INTERVALL = 2\n");
	ok(load(&cfg, empty_env, err, sizeof err, "--config", typo, NULL) == -1 && strstr(err, "unknown key"),
	   "an unknown config-file key is an error: %s", err);
	config_free(&cfg);
	const char *noeq = write_tmp("noeq.env", "SMTP_PASSWORD hunter2\n");
	ok(load(&cfg, empty_env, err, sizeof err, "--env-file", noeq, NULL) == -1 && strstr(err, "SMTP_PASSWORD") &&
	       !strstr(err, "hunter2"),
	   "a line without = names its first word only, never the rest (a secret): %s", err);
	config_free(&cfg);
	ok(load(&cfg, empty_env, err, sizeof err, "--bogus", NULL) == -1 && strstr(err, "--bogus"),
	   "unknown flag: %s", err);
	config_free(&cfg);
	ok(load(&cfg, empty_env, err, sizeof err, "--interval", NULL) == -1 && strstr(err, "needs a value"),
	   "missing value: %s", err);
	config_free(&cfg);
	ok(load(&cfg, empty_env, err, sizeof err, "--config", "/nonexistent/lookout.conf", NULL) == -1 &&
	       strstr(err, "/nonexistent/lookout.conf"),
	   "a missing config file is named: %s", err);
	config_free(&cfg);
	char *ctl_env[] = {"LOOKOUT_OUTPUT_DIR=a\033b", NULL};
	ok(load(&cfg, ctl_env, err, sizeof err, NULL) == -1 && !strchr(err, '\033'),
	   "a control character is refused and not echoed");
	config_free(&cfg);

	/* Every key of a checked type refuses garbage, naming itself. */
	for (size_t i = 0; i < config_key_count(); i++) {
		const char *type = config_key_type(i);
		if (strcmp(type, "path") == 0 || strcmp(type, "string") == 0 || strcmp(type, "list") == 0)
			continue;
		char var[256];
		snprintf(var, sizeof var, "%s=not-a-valid-value", config_key_name(i));
		char *env[] = {var, NULL};
		int rc = load(&cfg, env, err, sizeof err, NULL);
		ok(rc == -1 && strstr(err, config_key_name(i)) && strstr(err, "expected"),
		   "%s (%s) refuses garbage with a clear message", config_key_name(i), type);
		config_free(&cfg);
		snprintf(var, sizeof var, "%s=", config_key_name(i));
		rc = load(&cfg, env, err, sizeof err, NULL);
		ok(rc == -1, "%s refuses an empty value", config_key_name(i));
		config_free(&cfg);
	}

	char cmd[600];
	snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
	if (system(cmd) != 0)
		printf("# cleanup of %s failed\n", tmpdir);
	return tap_done();
}
