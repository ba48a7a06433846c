/* dockerctx.c — the docker CLI's context store read as the CLI reads it: meta.json for the endpoint, the tls
 * directory for the certificates, config.json for the current context. It registers what it finds with
 * docker.c; it never connects to an engine and never writes the store (`docker context` does that). */
#include "dockerctx.h"

#include <cJSON.h>
#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "docker.h"
#include "util.h"

#define NAME_MAX_BYTES 200

bool docker_context_name_ok(const char *name)
{
	static const char alnum[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	size_t n = name ? strlen(name) : 0;
	/* The CLI's own rule; it also keeps the name from being a path ("../x") in the store. */
	return n >= 2 && n <= NAME_MAX_BYTES && strchr(alnum, name[0]) &&
	       strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.+-") == n;
}

/* $DOCKER_CONFIG, else ~/.docker, as the CLI finds its configuration directory. */
static int store_dir(char *out, size_t len, char *err, size_t errlen)
{
	const char *dc = getenv("DOCKER_CONFIG"), *home = getenv("HOME");
	int n = dc && *dc ? snprintf(out, len, "%s", dc) : snprintf(out, len, "%s/.docker", home && *home ? home : "");
	if (n < 0 || (size_t)n >= len) {
		snprintf(err, errlen, "DOCKER_CONFIG is too long");
		return -1;
	}
	return 0;
}

/* The store keeps each context under the SHA-256 of its name, in hex. */
static int name_digest(const char *name, char hex[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	if (EVP_Digest(name, strlen(name), md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32)
		return -1;
	for (unsigned i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	return 0;
}

static bool file_exists(const char *path)
{
	return access(path, F_OK) == 0;
}

/* One of ca.pem, cert.pem, key.pem of the context when present; "" otherwise. */
static int tls_file(const char *tlsdir, const char *file, char *out, size_t len)
{
	int n = snprintf(out, len, "%s/%s", tlsdir, file);
	if (n < 0 || (size_t)n >= len)
		return -1;
	if (!file_exists(out))
		out[0] = '\0';
	return 0;
}

int docker_context_resolve(const char *name, struct engine_addr *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof *out);
	if (name && strcmp(name, "default") == 0)
		return 0; /* the CLI's default context: DOCKER_HOST and the usual sockets */
	if (!docker_context_name_ok(name)) {
		struct buf shown;
		buf_init(&shown);
		buf_term_safe(&shown, name ? name : "", 60);
		snprintf(err, errlen, "\"%s\" is not a docker context name (letters, digits, '_', '.', '+', '-'; "
		         "see docker context ls)", shown.data ? shown.data : "");
		buf_free(&shown);
		return -1;
	}
	char dir[1024], hex[65], meta[1200], tlsdir[1200];
	if (store_dir(dir, sizeof dir, err, errlen))
		return -1;
	if (name_digest(name, hex)) {
		snprintf(err, errlen, "cannot compute SHA-256 (OpenSSL)");
		return -1;
	}
	int n = snprintf(meta, sizeof meta, "%s/contexts/meta/%s/meta.json", dir, hex);
	int m = snprintf(tlsdir, sizeof tlsdir, "%s/contexts/tls/%s/docker", dir, hex);
	if (n < 0 || (size_t)n >= sizeof meta || m < 0 || (size_t)m >= sizeof tlsdir) {
		snprintf(err, errlen, "DOCKER_CONFIG is too long");
		return -1;
	}
	size_t len = 0;
	char *text = read_file(meta, &len);
	if (!text) {
		if (errno == ENOENT)
			snprintf(err, errlen, "docker context \"%s\" not found in %s/contexts (docker context ls lists them; "
			         "DOCKER_CONFIG picks another store)", name, dir);
		else
			snprintf(err, errlen, "docker context \"%s\": cannot read %s: %s", name, meta, strerror(errno));
		return -1;
	}
	cJSON *root = cJSON_ParseWithLength(text, len);
	free(text);
	const cJSON *ep = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(root, "Endpoints"), "docker"), "Host");
	const cJSON *skip = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(root, "Endpoints"), "docker"),
		"SkipTLSVerify");
	int rc = -1;
	if (!cJSON_IsObject(root)) {
		snprintf(err, errlen, "docker context \"%s\": %s is not a JSON object", name, meta);
	} else if (!cJSON_IsString(ep) || !ep->valuestring[0]) {
		snprintf(err, errlen, "docker context \"%s\" has no Docker endpoint (Endpoints.docker.Host in %s)", name,
		         meta);
	} else if (strncmp(ep->valuestring, "ssh://", 6) == 0) {
		snprintf(err, errlen, "docker context \"%s\" reaches its engine over ssh, which lookout does not "
		         "support: use a tcp:// context with TLS, or an ssh tunnel to a unix socket", name);
	} else if (docker_host_check(ep->valuestring, err, errlen) != 0) {
		char why[512];
		snprintf(why, sizeof why, "%s", err);
		snprintf(err, errlen, "docker context \"%s\": %s", name, why);
	} else if (strlen(ep->valuestring) >= sizeof out->url) {
		snprintf(err, errlen, "docker context \"%s\": its endpoint is too long", name);
	} else {
		snprintf(out->name, sizeof out->name, "%s", name);
		snprintf(out->url, sizeof out->url, "%s", ep->valuestring);
		rc = 0;
	}
	bool skip_verify = cJSON_IsTrue(skip);
	cJSON_Delete(root);
	if (rc || strncmp(out->url, "unix://", 7) == 0)
		return rc;

	/* As the CLI: the context speaks TLS when it has TLS files or says to skip verification. */
	struct docker_tls t;
	memset(&t, 0, sizeof t);
	t.verify = !skip_verify;
	if (tls_file(tlsdir, "ca.pem", t.ca_file, sizeof t.ca_file) ||
	    tls_file(tlsdir, "cert.pem", t.cert_file, sizeof t.cert_file) ||
	    tls_file(tlsdir, "key.pem", t.key_file, sizeof t.key_file)) {
		snprintf(err, errlen, "docker context \"%s\": its TLS path is too long", name);
		return -1;
	}
	if (!t.ca_file[0] && !t.cert_file[0] && !t.key_file[0] && !skip_verify)
		return 0; /* plain tcp */
	snprintf(t.origin, sizeof t.origin, "context \"%.100s\"", name);
	if (docker_tls_register(out->url, &t, err, errlen))
		return -1;
	return 0;
}

int docker_context_current(char *name, size_t len, char *err, size_t errlen)
{
	name[0] = '\0';
	const char *env = getenv("DOCKER_CONTEXT");
	if (env && *env) {
		if (strlen(env) >= len) {
			snprintf(err, errlen, "DOCKER_CONTEXT is too long");
			return -1;
		}
		snprintf(name, len, "%s", env);
		return 0;
	}
	char dir[1024], path[1100];
	if (store_dir(dir, sizeof dir, err, errlen))
		return -1;
	int n = snprintf(path, sizeof path, "%s/config.json", dir);
	if (n < 0 || (size_t)n >= sizeof path) {
		snprintf(err, errlen, "DOCKER_CONFIG is too long");
		return -1;
	}
	size_t flen = 0;
	char *text = read_file(path, &flen);
	if (!text)
		return errno == ENOENT ? 0 : (snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno)), -1);
	cJSON *root = cJSON_ParseWithLength(text, flen);
	free(text);
	int rc = 0;
	const cJSON *cur = cJSON_GetObjectItemCaseSensitive(root, "currentContext");
	if (!cJSON_IsObject(root)) {
		snprintf(err, errlen, "%s is not a JSON object (the docker CLI's configuration)", path);
		rc = -1;
	} else if (cJSON_IsString(cur) && cur->valuestring[0]) {
		if (strlen(cur->valuestring) >= len) {
			snprintf(err, errlen, "currentContext in %s is too long", path);
			rc = -1;
		} else {
			snprintf(name, len, "%s", cur->valuestring);
		}
	}
	cJSON_Delete(root);
	return rc;
}

/* Several engines: each context becomes one more --host entry, "NAME=URL" after the given ones, so every face
 * (collector, check, dashboard) sees one list. The context's TLS files are registered for its URL. */
static int append_contexts_as_hosts(struct config *cfg, char *err, size_t errlen)
{
	for (size_t i = 0; i < cfg->ncontexts; i++) {
		struct engine_addr a;
		char why[900];
		if (docker_context_resolve(cfg->contexts[i], &a, why, sizeof why)) {
			snprintf(err, errlen, "--context %s: %s", cfg->contexts[i], why);
			return -1;
		}
		if (!a.url[0]) {
			snprintf(err, errlen, "--context %s: the default context cannot be one of several engines; give its "
			         "address with --host", cfg->contexts[i]);
			return -1;
		}
		char label[256];
		snprintf(label, sizeof label, "%.100s", cfg->contexts[i]);
		for (char *p = label; *p; p++)
			if (*p == '+') /* allowed in a context name, not in a host label */
				*p = '_';
		size_t len = strlen(label) + 1 + strlen(a.url) + 1;
		char *entry = malloc(len);
		char **grown = realloc(cfg->hosts, (cfg->nhosts + 2) * sizeof *grown);
		if (!entry || !grown) {
			free(entry);
			if (grown)
				cfg->hosts = grown;
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		cfg->hosts = grown;
		snprintf(entry, len, "%s=%s", label, a.url);
		cfg->hosts[cfg->nhosts++] = entry;
		cfg->hosts[cfg->nhosts] = NULL;
	}
	return 0;
}

int docker_context_configure(struct config *cfg, char *err, size_t errlen)
{
	char current[NAME_MAX_BYTES + 56];
	const char *name = NULL;
	const char *how = "";
	if (cfg->docker_host_flag && cfg->docker_host && cfg->docker_host[0])
		return 0; /* --docker-host on the command line wins over a context */
	if (cfg->nhosts > 0 || cfg->ncontexts > 1)
		return append_contexts_as_hosts(cfg, err, errlen);
	if (cfg->ncontexts > 0) {
		name = cfg->contexts[0];
		how = "--context";
	} else if (cfg->docker_host && cfg->docker_host[0]) {
		return 0; /* DOCKER_HOST wins over DOCKER_CONTEXT and currentContext, as in the CLI */
	} else {
		if (docker_context_current(current, sizeof current, err, errlen))
			return -1;
		if (!current[0])
			return 0;
		name = current;
		how = getenv("DOCKER_CONTEXT") && *getenv("DOCKER_CONTEXT") ? "DOCKER_CONTEXT" : "currentContext";
	}
	struct engine_addr a;
	char why[900];
	if (docker_context_resolve(name, &a, why, sizeof why)) {
		snprintf(err, errlen, "%s: %s", how, why);
		return -1;
	}
	if (!a.url[0])
		return 0; /* "default" */
	char *url = strdup(a.url);
	if (!url) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	free(cfg->docker_host);
	cfg->docker_host = url;
	return 0;
}
