/* snapshot.c — allocation and reference counting of snapshots and shared container info.
 * Nothing here decides what goes into a snapshot (collector.c does). */
#include "snapshot.h"

#include <stdlib.h>
#include <string.h>

struct shared_info *shared_info_new(struct container_info *info)
{
	struct shared_info *si = malloc(sizeof *si);
	if (!si) {
		container_info_free(info);
		memset(info, 0, sizeof *info);
		return NULL;
	}
	atomic_init(&si->refs, 1);
	si->info = *info;
	memset(info, 0, sizeof *info);
	return si;
}

struct shared_info *shared_info_ref(struct shared_info *si)
{
	if (si)
		atomic_fetch_add_explicit(&si->refs, 1, memory_order_relaxed);
	return si;
}

void shared_info_unref(struct shared_info *si)
{
	if (si && atomic_fetch_sub_explicit(&si->refs, 1, memory_order_acq_rel) == 1) {
		container_info_free(&si->info);
		free(si);
	}
}

struct rules_state_text *rules_state_text_ref(struct rules_state_text *t)
{
	if (t)
		atomic_fetch_add_explicit(&t->refs, 1, memory_order_relaxed);
	return t;
}

void rules_state_text_unref(struct rules_state_text *t)
{
	if (t && atomic_fetch_sub_explicit(&t->refs, 1, memory_order_acq_rel) == 1)
		free(t);
}

struct snapshot *snapshot_alloc(size_t n)
{
	struct snapshot *s = calloc(1, sizeof *s + n * sizeof s->c[0]);
	if (!s)
		return NULL;
	atomic_init(&s->refs, 1);
	s->n = n;
	return s;
}

struct snapshot *snapshot_ref(struct snapshot *s)
{
	if (s)
		atomic_fetch_add_explicit(&s->refs, 1, memory_order_relaxed);
	return s;
}

void snapshot_unref(struct snapshot *s)
{
	if (!s || atomic_fetch_sub_explicit(&s->refs, 1, memory_order_acq_rel) != 1)
		return;
	for (size_t i = 0; i < s->n; i++) {
		shared_info_unref(s->c[i].si);
		series_view_release(&s->c[i].hist);
		series_view_release(&s->c[i].hist_min);
	}
	alert_history_unref(s->alerts_ref);
	rules_state_text_unref(s->rules_state);
	free(s->engines);
	free(s);
}

int snapshot_alloc_engines(struct snapshot *s, size_t n)
{
	free(s->engines);
	s->nengines = 0;
	s->engines = n ? calloc(n, sizeof *s->engines) : NULL;
	if (n && !s->engines)
		return -1;
	s->nengines = n;
	return 0;
}

const char *snapshot_host_of(const struct snapshot *s, const struct snap_container *sc)
{
	if (sc && sc->engine < s->nengines && s->engines[sc->engine].name[0])
		return s->engines[sc->engine].name;
	return s->host;
}

const char *metric_source_name(enum metric_source src)
{
	switch (src) {
	case MSRC_CGROUP:
		return "cgroup";
	case MSRC_API:
		return "api";
	default:
		return "";
	}
}
