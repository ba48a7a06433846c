/* test_engines.c — several engines in one process: --host [NAME=]URL parsing, duplicates refused on one line,
 * the default engine without --host, distinct host labels, and the host in the CSV, JSON, /metrics and the
 * alert log. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "engines.h"
#include "tap.h"

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

int main(void)
{
	test_parsing();
	test_labels();
	return tap_done();
}
