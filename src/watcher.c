/* watcher.c — the discovery thread: engine reachability, the /events stream, a healing list every
 * list interval, and inspects. It reports through callbacks; what is watched is the collector's decision. */
#include "watcher.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "util.h"

#define BACKOFF_MIN_MS 250
#define BACKOFF_MAX_MS 2000 /* a local engine that comes back is seen within 2 s */

struct watcher {
	struct docker *docker;
	char *host_url;
	double list_interval_s;
	struct watcher_cbs cbs;
	pthread_t thread;
	bool started;
	atomic_bool stop;
	int64_t last_event_ns; /* resume point after a reconnect */
	/* Ids already inspected, so a list inspects only what is new. */
	char (*known)[65];
	size_t nknown, capknown;
};

struct watcher *watcher_new(const char *host_url, double list_interval_s, const struct watcher_cbs *cbs,
                            char *err, size_t errlen)
{
	struct watcher *w = calloc(1, sizeof *w);
	if (!w) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	w->docker = docker_new(host_url, err, errlen);
	if (!w->docker) {
		free(w);
		return NULL;
	}
	w->host_url = xstrdup(host_url);
	w->list_interval_s = list_interval_s;
	w->cbs = *cbs;
	atomic_init(&w->stop, false);
	return w;
}

static void sleep_ms_unless_stopped(struct watcher *w, int ms)
{
	while (ms > 0 && !atomic_load(&w->stop)) {
		int step = ms > 100 ? 100 : ms;
		struct timespec ts = {0, (long)step * 1000000};
		nanosleep(&ts, NULL);
		ms -= step;
	}
}

static bool known_has(const struct watcher *w, const char *id)
{
	for (size_t i = 0; i < w->nknown; i++)
		if (strcmp(w->known[i], id) == 0)
			return true;
	return false;
}

static void known_add(struct watcher *w, const char *id)
{
	if (known_has(w, id))
		return;
	if (w->nknown == w->capknown) {
		size_t cap = w->capknown ? w->capknown * 2 : 64;
		void *p = realloc(w->known, cap * sizeof *w->known);
		if (!p)
			return; /* it will be inspected again at the next list: harmless */
		w->known = p;
		w->capknown = cap;
	}
	snprintf(w->known[w->nknown++], 65, "%s", id);
}

static void known_del(struct watcher *w, const char *id)
{
	for (size_t i = 0; i < w->nknown; i++)
		if (strcmp(w->known[i], id) == 0) {
			memcpy(w->known[i], w->known[--w->nknown], 65);
			return;
		}
}

/* Inspects id and hands the result on; a container that vanished meanwhile is not an error. */
static void inspect(struct watcher *w, const char *id)
{
	struct container_info info;
	char err[512];
	memset(&info, 0, sizeof info);
	if (docker_inspect(w->docker, id, &info, err, sizeof err)) {
		log_debug("inspect %.12s: %s", id, err);
		container_info_free(&info);
		return;
	}
	known_add(w, info.id);
	w->cbs.info(w->cbs.arg, &info);
	container_info_free(&info); /* members moved out by the callee are NULL now */
}

/* Lists every container, inspects the new ones and reports the id set. -1 when the engine did not answer. */
static int list_and_heal(struct watcher *w)
{
	struct container_info *list = NULL;
	size_t n = 0;
	char err[512];
	if (docker_list(w->docker, true, &list, &n, err, sizeof err)) {
		log_warn("listing containers failed: %s", err);
		return -1;
	}
	char (*ids)[65] = calloc(n ? n : 1, sizeof *ids);
	for (size_t i = 0; i < n; i++) {
		if (ids)
			snprintf(ids[i], 65, "%s", list[i].id);
		if (!known_has(w, list[i].id))
			inspect(w, list[i].id);
	}
	/* Forget ids that are gone, so a re-used name is inspected afresh. */
	for (size_t k = 0; k < w->nknown;) {
		bool present = false;
		for (size_t i = 0; i < n && !present; i++)
			present = strcmp(w->known[k], list[i].id) == 0;
		if (present)
			k++;
		else
			memcpy(w->known[k], w->known[--w->nknown], 65);
	}
	if (ids)
		w->cbs.listed(w->cbs.arg, (const char(*)[65])ids, n);
	free(ids);
	for (size_t i = 0; i < n; i++)
		container_info_free(&list[i]);
	free(list);
	return 0;
}

static void on_event(const struct docker_event *ev, void *arg)
{
	struct watcher *w = arg;
	if (ev->time_ns > w->last_event_ns)
		w->last_event_ns = ev->time_ns;
	if (ev->action == DEV_OTHER || !ev->id[0])
		return;
	w->cbs.event(w->cbs.arg, ev);
	switch (ev->action) {
	case DEV_DESTROY:
		known_del(w, ev->id);
		break;
	case DEV_CREATE:
	case DEV_START:
	case DEV_DIE:
	case DEV_RENAME:
	case DEV_HEALTH:
	case DEV_PAUSE:
	case DEV_UNPAUSE:
	case DEV_RESTART:
	case DEV_OOM:
		/* The event says what happened; the inspect brings the new pid, restart count and exit code. */
		inspect(w, ev->id);
		break;
	default:
		break;
	}
}

static void *watcher_main(void *arg)
{
	struct watcher *w = arg;
	int backoff_ms = BACKOFF_MIN_MS;
	char err[512], last_err[512] = "";
	bool was_up = false;

	while (!atomic_load(&w->stop)) {
		struct docker_version v;
		memset(&v, 0, sizeof v);
		if (docker_negotiate(w->docker, &v, err, sizeof err)) {
			if (was_up || strcmp(err, last_err) != 0) {
				w->cbs.engine(w->cbs.arg, NULL, NULL, err);
				snprintf(last_err, sizeof last_err, "%s", err);
			}
			was_up = false;
			sleep_ms_unless_stopped(w, backoff_ms);
			backoff_ms = backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff_ms * 2;
			continue;
		}
		/* The request only goes out at the first poll, after the list below: ask for events from a moment
		 * before now, so a change between the list and the subscription is replayed, not lost. Replays are
		 * harmless (state updates are idempotent). */
		if (!w->last_event_ns)
			w->last_event_ns = (now_wall_ms() - 1000) * 1000000;
		int64_t since = w->last_event_ns + 1;
		struct docker_events *ev = docker_events_open(w->docker, since, err, sizeof err);
		if (!ev) {
			w->cbs.engine(w->cbs.arg, NULL, NULL, err);
			was_up = false;
			sleep_ms_unless_stopped(w, backoff_ms);
			continue;
		}
		w->cbs.engine(w->cbs.arg, &v, v.hostname, NULL);
		was_up = true;
		last_err[0] = '\0';
		backoff_ms = BACKOFF_MIN_MS;

		int64_t next_list = 0;
		for (;;) {
			if (atomic_load(&w->stop))
				break;
			int64_t now = now_mono_ns();
			if (now >= next_list) {
				if (list_and_heal(w))
					break;
				next_list = now + (int64_t)(w->list_interval_s * 1e9);
			}
			int rc = docker_events_poll(ev, 200, on_event, w, err, sizeof err);
			if (rc == 0) {
				log_info("the engine closed the event stream; reconnecting");
				break;
			}
			if (rc < 0) {
				log_warn("event stream: %s; reconnecting", err);
				break;
			}
		}
		docker_events_close(ev);
	}
	return NULL;
}

int watcher_start(struct watcher *w, char *err, size_t errlen)
{
	int rc = pthread_create(&w->thread, NULL, watcher_main, w);
	if (rc) {
		snprintf(err, errlen, "cannot start the discovery thread: %s", strerror(rc));
		return -1;
	}
	w->started = true;
	return 0;
}

void watcher_free(struct watcher *w)
{
	if (!w)
		return;
	atomic_store(&w->stop, true);
	if (w->started)
		pthread_join(w->thread, NULL);
	docker_free(w->docker);
	free(w->host_url);
	free(w->known);
	free(w);
}
