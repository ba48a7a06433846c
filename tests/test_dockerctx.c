/* test_dockerctx.c — the docker CLI's context store as lookout reads it: hand-written stores in the layout the
 * CLI writes (meta.json under the SHA-256 of the name, TLS files beside it), the real `docker context create`
 * output when the docker CLI is installed (it writes the store offline), config.json's currentContext,
 * DOCKER_CONTEXT, and the precedence that picks the engine. */
#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "docker.h"
#include "dockerctx.h"
#include "engines.h"
#include "tap.h"

static char store[64];

static void skip(int n, const char *why)
{
	for (int i = 0; i < n; i++)
		ok(1, "# SKIP %s", why);
}

static void sha_hex(const char *name, char hex[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	EVP_Digest(name, strlen(name), md, &n, EVP_sha256(), NULL);
	for (unsigned i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
}

static void mkdirs(const char *path)
{
	char tmp[1024];
	snprintf(tmp, sizeof tmp, "%s", path);
	for (char *p = tmp + 1; *p; p++) {
		if (*p == '/') {
			*p = '\0';
			mkdir(tmp, 0700);
			*p = '/';
		}
	}
	mkdir(tmp, 0700);
}

static void put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

/* A context as the CLI stores it; tls: the files to write under contexts/tls ("ca", "ca,cert,key" or ""). */
static void context(const char *name, const char *meta_json, const char *tls)
{
	char hex[65], dir[1024], p[1100];
	sha_hex(name, hex);
	snprintf(dir, sizeof dir, "%s/contexts/meta/%s", store, hex);
	mkdirs(dir);
	snprintf(p, sizeof p, "%s/meta.json", dir);
	put(p, meta_json);
	if (!*tls)
		return;
	snprintf(dir, sizeof dir, "%s/contexts/tls/%s/docker", store, hex);
	mkdirs(dir);
	const char *files[] = {"ca", "cert", "key"};
	for (size_t i = 0; i < 3; i++) {
		if (!strstr(tls, files[i]))
			continue;
		snprintf(p, sizeof p, "%s/%s.pem", dir, files[i]);
		put(p, i == 2 ? "-----BEGIN PRIVATE KEY-----\nTOP-SECRET-KEY\n-----END PRIVATE KEY-----\n" : "pem\n");
	}
}

static void test_names(void)
{
	ok(docker_context_name_ok("prod") && docker_context_name_ok("my-ctx_1.2+x"), "CLI context names");
	ok(!docker_context_name_ok("a") && !docker_context_name_ok("-x") && !docker_context_name_ok("../etc") &&
	       !docker_context_name_ok("a/b") && !docker_context_name_ok("") && !docker_context_name_ok(NULL),
	   "no short, dash-first, path-like or empty names");
}

static void test_resolve(void)
{
	char err[1024] = "";
	struct engine_addr a;
	docker_tls_clear();

	ok(docker_context_resolve("nosuch", &a, err, sizeof err) == -1 && strstr(err, "not found") &&
	       strstr(err, store),
	   "unknown context: %s", err);
	ok(docker_context_resolve("../x", &a, err, sizeof err) == -1 && strstr(err, "not a docker context name"),
	   "bad name: %s", err);
	ok(docker_context_resolve("default", &a, err, sizeof err) == 0 && !a.url[0] && !a.name[0],
	   "\"default\" is the default discovery");

	context("prod", "{\"Name\":\"prod\",\"Metadata\":{},\"Endpoints\":{\"docker\":{\"Host\":\"tcp://10.1.2.3:2376\","
	                "\"SkipTLSVerify\":false}}}", "ca,cert,key");
	ok(docker_context_resolve("prod", &a, err, sizeof err) == 0 && strcmp(a.url, "tcp://10.1.2.3:2376") == 0 &&
	       strcmp(a.name, "prod") == 0,
	   "TLS context: %s %s", a.name, a.url);
	struct docker *d = docker_new("tcp://10.1.2.3", err, sizeof err);
	ok(d && docker_uses_tls(d) && strcmp(docker_endpoint(d), "tcp://10.1.2.3:2376") == 0,
	   "its URL now speaks TLS with the context's files (%s)", d ? docker_endpoint(d) : err);
	docker_free(d);

	context("insecure", "{\"Name\":\"insecure\",\"Endpoints\":{\"docker\":{\"Host\":\"tcp://10.1.2.4:2376\","
	                    "\"SkipTLSVerify\":true}}}", "");
	ok(docker_context_resolve("insecure", &a, err, sizeof err) == 0, "skip-tls-verify context");
	d = docker_new(a.url, err, sizeof err);
	ok(d && docker_uses_tls(d), "SkipTLSVerify alone still means TLS (without verification)");
	docker_free(d);

	context("plaintcp", "{\"Name\":\"plaintcp\",\"Endpoints\":{\"docker\":{\"Host\":\"tcp://10.1.2.5:2375\"}}}", "");
	ok(docker_context_resolve("plaintcp", &a, err, sizeof err) == 0, "plain tcp context");
	d = docker_new(a.url, err, sizeof err);
	ok(d && !docker_uses_tls(d), "no TLS files: plain tcp");
	docker_free(d);

	context("sock", "{\"Name\":\"sock\",\"Endpoints\":{\"docker\":{\"Host\":\"unix:///run/other.sock\"}}}", "ca");
	ok(docker_context_resolve("sock", &a, err, sizeof err) == 0 && strcmp(a.url, "unix:///run/other.sock") == 0,
	   "unix socket context");

	context("viassh", "{\"Name\":\"viassh\",\"Endpoints\":{\"docker\":{\"Host\":\"ssh://me@h\"}}}", "");
	ok(docker_context_resolve("viassh", &a, err, sizeof err) == -1 && strstr(err, "ssh"), "ssh: %s", err);
	context("noep", "{\"Name\":\"noep\",\"Endpoints\":{}}", "");
	ok(docker_context_resolve("noep", &a, err, sizeof err) == -1 && strstr(err, "no Docker endpoint"),
	   "no docker endpoint: %s", err);
	context("broken", "{\"Name\":", "");
	ok(docker_context_resolve("broken", &a, err, sizeof err) == -1 && strstr(err, "meta.json"),
	   "malformed meta.json: %s", err);
	context("badhost", "{\"Endpoints\":{\"docker\":{\"Host\":\"ftp://x\"}}}", "");
	ok(docker_context_resolve("badhost", &a, err, sizeof err) == -1 && strstr(err, "badhost"),
	   "an address lookout cannot use: %s", err);

	/* The key's file is named only when it is the problem; its contents never. */
	char hex[65], p[1200];
	sha_hex("prod", hex);
	snprintf(p, sizeof p, "%s/contexts/tls/%s/docker/cert.pem", store, hex);
	unlink(p);
	ok(docker_context_resolve("prod", &a, err, sizeof err) == 0, "prod without cert.pem resolves");
	d = docker_new(a.url, err, sizeof err);
	ok(!d && strstr(err, "context \"prod\"") && !strstr(err, "TOP-SECRET"), "key without cert: %s", err);
	docker_free(d);
	docker_tls_clear();
}

static void test_current_and_precedence(void)
{
	char name[256], err[1024] = "", p[1100];
	unsetenv("DOCKER_CONTEXT");
	ok(docker_context_current(name, sizeof name, err, sizeof err) == 0 && !name[0], "no config.json: none");
	snprintf(p, sizeof p, "%s/config.json", store);
	put(p, "{\"auths\":{},\"currentContext\":\"plaintcp\"}");
	ok(docker_context_current(name, sizeof name, err, sizeof err) == 0 && strcmp(name, "plaintcp") == 0,
	   "currentContext: %s", name);
	setenv("DOCKER_CONTEXT", "sock", 1);
	ok(docker_context_current(name, sizeof name, err, sizeof err) == 0 && strcmp(name, "sock") == 0,
	   "DOCKER_CONTEXT wins over currentContext");
	unsetenv("DOCKER_CONTEXT");

	struct config cfg;
	char *argv_host[] = {"lookout", "--docker-host", "unix:///flag.sock", "--context", "prod", NULL};
	char *env_host[] = {"DOCKER_HOST=unix:///env.sock", NULL};
	char *env_none[] = {"LOOKOUT_CONFIG=/dev/null", NULL};
	char *argv_ctx[] = {"lookout", "--context", "plaintcp", NULL};
	char *argv_none[] = {"lookout", NULL};

	memset(&cfg, 0, sizeof cfg);
	ok(config_load(&cfg, 5, argv_host, env_none, err, sizeof err) == 0 &&
	       docker_context_configure(&cfg, err, sizeof err) == 0 && strcmp(cfg.docker_host, "unix:///flag.sock") == 0,
	   "--docker-host beats --context");
	config_free(&cfg);
	memset(&cfg, 0, sizeof cfg);
	ok(config_load(&cfg, 3, argv_ctx, env_host, err, sizeof err) == 0 &&
	       docker_context_configure(&cfg, err, sizeof err) == 0 &&
	       strcmp(cfg.docker_host, "tcp://10.1.2.5:2375") == 0,
	   "--context beats DOCKER_HOST (%s)", cfg.docker_host ? cfg.docker_host : err);
	config_free(&cfg);
	memset(&cfg, 0, sizeof cfg);
	ok(config_load(&cfg, 1, argv_none, env_host, err, sizeof err) == 0 &&
	       docker_context_configure(&cfg, err, sizeof err) == 0 && strcmp(cfg.docker_host, "unix:///env.sock") == 0,
	   "DOCKER_HOST beats currentContext");
	config_free(&cfg);
	memset(&cfg, 0, sizeof cfg);
	ok(config_load(&cfg, 1, argv_none, env_none, err, sizeof err) == 0 &&
	       docker_context_configure(&cfg, err, sizeof err) == 0 &&
	       strcmp(cfg.docker_host, "tcp://10.1.2.5:2375") == 0,
	   "currentContext when nothing else is given");
	config_free(&cfg);
	setenv("DOCKER_CONTEXT", "default", 1);
	memset(&cfg, 0, sizeof cfg);
	ok(config_load(&cfg, 1, argv_none, env_none, err, sizeof err) == 0 &&
	       docker_context_configure(&cfg, err, sizeof err) == 0 && !cfg.docker_host[0],
	   "DOCKER_CONTEXT=default: the default discovery");
	config_free(&cfg);
	setenv("DOCKER_CONTEXT", "nosuch", 1);
	memset(&cfg, 0, sizeof cfg);
	ok(config_load(&cfg, 1, argv_none, env_none, err, sizeof err) == 0 &&
	       docker_context_configure(&cfg, err, sizeof err) == -1 && strstr(err, "DOCKER_CONTEXT") &&
	       strstr(err, "nosuch"),
	   "an unknown DOCKER_CONTEXT is an error: %s", err);
	config_free(&cfg);
	unsetenv("DOCKER_CONTEXT");
	char *argv_two[] = {"lookout", "--context", "prod", "--context", "sock", NULL};
	memset(&cfg, 0, sizeof cfg);
	struct engine_addr *eng = NULL;
	size_t neng = 0;
	ok(config_load(&cfg, 5, argv_two, env_none, err, sizeof err) == 0 && cfg.ncontexts == 2 &&
	       docker_context_configure(&cfg, err, sizeof err) == 0 &&
	       engines_from_config(&cfg, &eng, &neng, err, sizeof err) == 0 && neng == 2 &&
	       strcmp(eng[0].name, "prod") == 0 && strcmp(eng[1].name, "sock") == 0 && eng[0].url[0] && eng[1].url[0] &&
	       strcmp(eng[0].url, eng[1].url) != 0,
	   "--context repeats: one engine per context, labelled by its name (%s)", err);
	free(eng);
	eng = NULL;
	config_free(&cfg);
	char *argv_mix[] = {"lookout", "--host", "local=unix:///x.sock", "--context", "prod", NULL};
	memset(&cfg, 0, sizeof cfg);
	ok(config_load(&cfg, 5, argv_mix, env_none, err, sizeof err) == 0 &&
	       docker_context_configure(&cfg, err, sizeof err) == 0 &&
	       engines_from_config(&cfg, &eng, &neng, err, sizeof err) == 0 && neng == 2 &&
	       strcmp(eng[0].name, "local") == 0 && strcmp(eng[0].url, "unix:///x.sock") == 0 &&
	       strcmp(eng[1].name, "prod") == 0,
	   "--host and --context together: the hosts first, then the context (%s)", err);
	free(eng);
	config_free(&cfg);
	char *argv_bad[] = {"lookout", "--context", "../etc", NULL};
	memset(&cfg, 0, sizeof cfg);
	ok(config_load(&cfg, 3, argv_bad, env_none, err, sizeof err) == -1 && strstr(err, "LOOKOUT_CONTEXT"),
	   "a bad --context name is a config error: %s", err);
	config_free(&cfg);
	unlink(p);
	docker_tls_clear();
}

/* What the real docker CLI writes (it creates contexts without any engine). */
static void test_real_cli(void)
{
	if (system("command -v docker >/dev/null 2>&1 && command -v openssl >/dev/null 2>&1") != 0) {
		skip(5, "docker CLI or openssl not installed");
		return;
	}
	/* The CLI parses the files it is given, so they must be a real certificate and key. */
	char cmd[2048], err[1024] = "";
	snprintf(cmd, sizeof cmd,
	         "cd %s && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout key.pem "
	         "-out cert.pem -days 1 -subj /CN=lookout-test >/dev/null 2>&1 && cp cert.pem ca.pem && "
	         "DOCKER_CONFIG=%s docker context create realctx --docker "
	         "host=tcp://127.0.0.1:2376,ca=%s/ca.pem,cert=%s/cert.pem,key=%s/key.pem >/dev/null 2>&1 && "
	         "DOCKER_CONFIG=%s docker context create realskip --docker "
	         "host=tcp://127.0.0.2:2376,skip-tls-verify=true >/dev/null 2>&1",
	         store, store, store, store, store, store);
	if (system(cmd) != 0) {
		skip(5, "docker context create failed here");
		return;
	}
	struct engine_addr a;
	ok(docker_context_resolve("realctx", &a, err, sizeof err) == 0 && strcmp(a.url, "tcp://127.0.0.1:2376") == 0,
	   "a context made by docker context create: %s", a.url[0] ? a.url : err);
	struct docker *d = docker_new(a.url, err, sizeof err);
	ok(d && docker_uses_tls(d), "it speaks TLS with the files the CLI copied into its store");
	docker_free(d);
	char hex[65], p[1200];
	sha_hex("realctx", hex);
	snprintf(p, sizeof p, "%s/contexts/tls/%s/docker/key.pem", store, hex);
	ok(access(p, R_OK) == 0, "the CLI keeps the key where lookout reads it (%s)", p);
	ok(docker_context_resolve("realskip", &a, err, sizeof err) == 0 && strcmp(a.url, "tcp://127.0.0.2:2376") == 0,
	   "skip-tls-verify context by the CLI");
	d = docker_new(a.url, err, sizeof err);
	ok(d && docker_uses_tls(d), "it speaks TLS too");
	docker_free(d);
	docker_tls_clear();
}

int main(void)
{
	snprintf(store, sizeof store, "/tmp/lookout-test-ctx.XXXXXX");
	if (!mkdtemp(store)) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	setenv("DOCKER_CONFIG", store, 1);
	unsetenv("DOCKER_HOST");
	unsetenv("DOCKER_TLS_VERIFY");
	unsetenv("DOCKER_TLS");
	unsetenv("DOCKER_CERT_PATH");
	test_names();
	test_resolve();
	test_current_and_precedence();
	test_real_cli();
	char cmd[200];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", store);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", store);
	return tap_done();
}
