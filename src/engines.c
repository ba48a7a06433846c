/* engines.c — the list of Docker engines to watch from --host [NAME=]URL (or the single default engine), and the
 * distinct host labels of engines given no NAME. It checks addresses' shape; it never connects. */
#include "engines.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "docker.h"

static bool name_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '.' ||
	       ch == '_' || ch == '-' || ch == ':';
}

int engines_parse_one(const char *entry, struct engine_addr *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof *out);
	const char *scheme = strstr(entry, "://");
	const char *eq = strchr(entry, '=');
	const char *url = entry;
	if (eq && (!scheme || eq < scheme)) {
		size_t len = (size_t)(eq - entry);
		if (len == 0 || len > 100) {
			snprintf(err, errlen, "host \"%.100s\": the NAME before '=' must be 1 to 100 characters", entry);
			return -1;
		}
		for (size_t i = 0; i < len; i++)
			if (!name_char(entry[i])) {
				snprintf(err, errlen, "host \"%.100s\": the NAME may hold only letters, digits, '.', '_', "
				         "'-' and ':'", entry);
				return -1;
			}
		memcpy(out->name, entry, len);
		out->name[len] = '\0';
		url = eq + 1;
	}
	char why[512];
	if (!*url || strlen(url) >= sizeof out->url) {
		snprintf(err, errlen, "host \"%.100s\": expected [NAME=]unix:///path/to/docker.sock or "
		         "[NAME=]tcp://host:port", entry);
		return -1;
	}
	if (docker_host_check(url, why, sizeof why)) {
		snprintf(err, errlen, "%s", why);
		return -1;
	}
	snprintf(out->url, sizeof out->url, "%s", url);
	return 0;
}

static int check_all(struct engine_addr *v, size_t n, char *err, size_t errlen)
{
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < i; k++) {
			if (v[i].name[0] && strcmp(v[i].name, v[k].name) == 0) {
				snprintf(err, errlen, "host NAME \"%s\" is given twice: each engine needs its own", v[i].name);
				return -1;
			}
			if (strcmp(v[i].url, v[k].url) == 0) {
				snprintf(err, errlen, "host \"%.200s\" is given twice", v[i].url);
				return -1;
			}
		}
	return 0;
}

static int parse_list(char *const *entries, size_t n, struct engine_addr **out, char *err, size_t errlen)
{
	struct engine_addr *v = calloc(n ? n : 1, sizeof *v);
	if (!v) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		if (engines_parse_one(entries[i], &v[i], err, errlen)) {
			free(v);
			return -1;
		}
	if (check_all(v, n, err, errlen)) {
		free(v);
		return -1;
	}
	*out = v;
	return 0;
}

int engines_check_list(char *const *entries, size_t n, char *err, size_t errlen)
{
	struct engine_addr *v = NULL;
	if (parse_list(entries, n, &v, err, errlen))
		return -1;
	free(v);
	return 0;
}

int engines_from_config(const struct config *cfg, struct engine_addr **out, size_t *n, char *err, size_t errlen)
{
	*out = NULL;
	*n = 0;
	if (cfg->nhosts > 0) {
		if (parse_list(cfg->hosts, cfg->nhosts, out, err, errlen))
			return -1;
		*n = cfg->nhosts;
		return 0;
	}
	struct engine_addr *v = calloc(1, sizeof *v);
	if (!v) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	const char *dh = cfg->docker_host ? cfg->docker_host : "";
	if (strlen(dh) >= sizeof v->url) {
		snprintf(err, errlen, "DOCKER_HOST is longer than %zu bytes", sizeof v->url - 1);
		free(v);
		return -1;
	}
	snprintf(v->url, sizeof v->url, "%s", dh);
	*out = v;
	*n = 1;
	return 0;
}

static bool taken_by(const char *label, const char *const *taken, size_t ntaken)
{
	for (size_t i = 0; i < ntaken; i++)
		if (taken[i] && strcmp(taken[i], label) == 0)
			return true;
	return false;
}

void engines_label(const char *reported, const char *endpoint, const char *const *taken, size_t ntaken,
                   char *out, size_t len)
{
	const char *addr = endpoint ? endpoint : "";
	const char *s = strstr(addr, "://");
	if (s)
		addr = s + 3;
	if (!reported || !*reported) {
		snprintf(out, len, "%s", *addr ? addr : "engine");
	} else {
		snprintf(out, len, "%s", reported);
		if (taken_by(out, taken, ntaken) && *addr)
			snprintf(out, len, "%.120s@%.120s", reported, addr);
	}
	if (!taken_by(out, taken, ntaken))
		return;
	char base[256];
	snprintf(base, sizeof base, "%.240s", out);
	for (unsigned k = 2; k < 10000; k++) {
		snprintf(out, len, "%s#%u", base, k);
		if (!taken_by(out, taken, ntaken))
			return;
	}
}
