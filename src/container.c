/* container.c — the names, copies and small lookups of container facts as the engine reports them.
 * Pure data handling: it does not fetch anything and does not judge whether a container is up. */
#include "container.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

void container_info_free(struct container_info *c)
{
	if (!c)
		return;
	free(c->name);
	free(c->image);
	free(c->cpuset_cpus);
	free(c->cgroup_parent);
	free(c->health_output);
	c->health_output = NULL;
	for (size_t i = 0; i < c->nlabels; i++) {
		free(c->labels[i].key);
		free(c->labels[i].value);
	}
	free(c->labels);
	c->name = c->image = c->cpuset_cpus = c->cgroup_parent = NULL;
	c->labels = NULL;
	c->nlabels = 0;
}

/* Copies a string that may be NULL; *ok turns false when a non-NULL string could not be copied. */
static char *dup_or_fail(const char *s, bool *ok)
{
	char *r = xstrdup(s);
	if (s && !r)
		*ok = false;
	return r;
}

int container_info_copy(struct container_info *dst, const struct container_info *src)
{
	bool ok = true;
	*dst = *src;
	dst->name = dup_or_fail(src->name, &ok);
	dst->image = dup_or_fail(src->image, &ok);
	dst->cpuset_cpus = dup_or_fail(src->cpuset_cpus, &ok);
	dst->cgroup_parent = dup_or_fail(src->cgroup_parent, &ok);
	dst->health_output = dup_or_fail(src->health_output, &ok);
	dst->labels = NULL;
	dst->nlabels = 0;
	if (ok && src->nlabels) {
		dst->labels = calloc(src->nlabels, sizeof *dst->labels);
		if (!dst->labels)
			ok = false;
		for (size_t i = 0; ok && i < src->nlabels; i++) {
			dst->labels[i].key = dup_or_fail(src->labels[i].key, &ok);
			dst->labels[i].value = dup_or_fail(src->labels[i].value, &ok);
			/* Count the slot even when half-filled so that container_info_free releases it. */
			dst->nlabels = i + 1;
		}
	}
	if (!ok) {
		container_info_free(dst);
		return -1;
	}
	return 0;
}

const char *container_label(const struct container_info *c, const char *key)
{
	if (!c || !key)
		return NULL;
	for (size_t i = 0; i < c->nlabels; i++)
		if (c->labels[i].key && strcmp(c->labels[i].key, key) == 0)
			return c->labels[i].value;
	return NULL;
}

static const char *const state_names[] = {
	[CSTATE_UNKNOWN] = "unknown",     [CSTATE_CREATED] = "created", [CSTATE_RUNNING] = "running",
	[CSTATE_PAUSED] = "paused",       [CSTATE_RESTARTING] = "restarting",
	[CSTATE_REMOVING] = "removing",   [CSTATE_EXITED] = "exited",   [CSTATE_DEAD] = "dead",
};

const char *container_state_name(enum container_state s)
{
	if ((unsigned)s >= ARRAY_LEN(state_names))
		return "unknown";
	return state_names[s];
}

enum container_state container_state_parse(const char *s)
{
	if (!s)
		return CSTATE_UNKNOWN;
	for (size_t i = 1; i < ARRAY_LEN(state_names); i++)
		if (strcmp(s, state_names[i]) == 0)
			return (enum container_state)i;
	/* Podman's own words for the same states, seen through its compatible API on older versions. */
	if (strcmp(s, "configured") == 0 || strcmp(s, "initialized") == 0)
		return CSTATE_CREATED;
	if (strcmp(s, "stopped") == 0 || strcmp(s, "stopping") == 0)
		return CSTATE_EXITED;
	return CSTATE_UNKNOWN;
}

static const char *const health_names[] = {
	[CHEALTH_NONE] = "",
	[CHEALTH_STARTING] = "starting",
	[CHEALTH_HEALTHY] = "healthy",
	[CHEALTH_UNHEALTHY] = "unhealthy",
};

const char *container_health_name(enum container_health h)
{
	if ((unsigned)h >= ARRAY_LEN(health_names))
		return "";
	return health_names[h];
}

enum container_health container_health_parse(const char *s)
{
	if (!s)
		return CHEALTH_NONE;
	for (size_t i = 1; i < ARRAY_LEN(health_names); i++)
		if (strcmp(s, health_names[i]) == 0)
			return (enum container_health)i;
	return CHEALTH_NONE; /* "none", "" and anything new */
}

/* Linux never has more CPUs than this (NR_CPUS upper bound); a bitmap makes "0-3,2" count 4, not 5. */
#define CPUSET_MAX 8192

static int cpu_number(const char **p)
{
	if (!isdigit((unsigned char)**p))
		return -1;
	long v = 0;
	while (isdigit((unsigned char)**p)) {
		v = v * 10 + (**p - '0');
		if (v >= CPUSET_MAX)
			return -1;
		(*p)++;
	}
	return (int)v;
}

int cpuset_count(const char *list)
{
	if (!list)
		return 0;
	const char *p = list;
	while (isspace((unsigned char)*p))
		p++;
	if (*p == '\0')
		return 0;
	unsigned char bits[CPUSET_MAX / 8] = {0};
	int count = 0;
	for (;;) {
		int lo = cpu_number(&p), hi = lo;
		if (lo < 0)
			return -1;
		if (*p == '-') {
			p++;
			hi = cpu_number(&p);
			if (hi < lo)
				return -1;
		}
		for (int c = lo; c <= hi; c++) {
			if (!(bits[c / 8] & (1u << (c % 8)))) {
				bits[c / 8] |= (unsigned char)(1u << (c % 8));
				count++;
			}
		}
		if (*p != ',')
			break;
		p++;
	}
	/* cgroup files end with a newline; anything else left over is not a cpuset. */
	while (isspace((unsigned char)*p))
		p++;
	return *p == '\0' ? count : -1;
}
