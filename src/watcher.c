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
/* While the event stream is open the engine is pinged this often, on the kept-alive connection (a quarter of
 * what a new connection costs dockerd). An engine that stops listening is unreachable when its stream ends —
 * a dockerd shutting down still reports its containers' deaths there, and the reconnect's ping is on a new
 * connection — or DRAIN_MS after the first failed ping, whichever comes first (a hung dockerd, or a host gone
 * without a FIN, would otherwise keep a silent stream open for good). */
#define LIVENESS_MS 1000
#define DRAIN_MS 5000
#define HEAL_SOON_MS 2000
#define BACKOFF_MAX_MS 1000 /* a local engine that comes back is seen within 2 s, with room for a slow answer */

struct watcher {
	struct docker *docker;
	char *host_url;
	double list_interval_s;
	struct watcher_cbs cbs;
	pthread_t thread;
	bool started;
	atomic_bool stop;
	/* The open event stream, for watcher_free to wake its poll (the poll otherwise sleeps until the next ping). */
	pthread_mutex_t ev_lock;
	struct docker_events *ev;
	int64_t last_event_ns; /* resume point after a reconnect */
	/* Containers already inspected and the state the engine last listed them in, so a list inspects only
	 * what is new or changed. */
	struct known {
		char id[65];
		enum container_state state;
	} *known;
	size_t nknown, capknown;
	/* Ids whose events asked for an inspect; done after the poll returns, so a burst of events cannot
	 * keep the thread inside curl's callback (and away from its stop flag). */
	char (*dirty)[65];
	size_t ndirty, capdirty;
	/* An inspect failed for another reason than the container being gone (or an event's id could not be
	 * queued): the healing list comes after heal_ms instead of at its interval, so the container is not missing
	 * for minutes. heal_ms starts at HEAL_SOON_MS and doubles while lists keep meeting failures (a container
	 * the engine can never inspect must not make it list every 2 s). */
	bool heal_soon;
	int64_t heal_ms;
	struct complaint list_complaint;
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
	w->heal_ms = HEAL_SOON_MS;
	w->cbs = *cbs;
	atomic_init(&w->stop, false);
	pthread_mutex_init(&w->ev_lock, NULL);
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

static struct known *known_find(const struct watcher *w, const char *id)
{
	for (size_t i = 0; i < w->nknown; i++)
		if (strcmp(w->known[i].id, id) == 0)
			return &w->known[i];
	return NULL;
}

static void known_set(struct watcher *w, const char *id, enum container_state state)
{
	struct known *k = known_find(w, id);
	if (!k) {
		if (grow_array(&w->known, &w->capknown, w->nknown, sizeof *w->known, 64))
			return; /* it will be inspected again at the next list: harmless */
		k = &w->known[w->nknown++];
		snprintf(k->id, sizeof k->id, "%s", id);
	}
	k->state = state;
}

static void known_del(struct watcher *w, const char *id)
{
	struct known *k = known_find(w, id);
	if (k)
		*k = w->known[--w->nknown];
}

static void dirty_add(struct watcher *w, const char *id)
{
	for (size_t i = 0; i < w->ndirty; i++)
		if (strcmp(w->dirty[i], id) == 0)
			return;
	if (grow_array(&w->dirty, &w->capdirty, w->ndirty, sizeof *w->dirty, 16)) {
		w->heal_soon = true; /* out of memory: the list inspects it */
		return;
	}
	snprintf(w->dirty[w->ndirty++], 65, "%s", id);
}

/* Inspects id and hands the result on; a container that vanished meanwhile is not an error. */
static void inspect(struct watcher *w, const char *id)
{
	struct container_info info;
	char err[512];
	memset(&info, 0, sizeof info);
	int rc = docker_inspect(w->docker, id, &info, err, sizeof err);
	if (rc) {
		log_debug("inspect %.12s: %s", id, err);
		if (rc != DOCKER_NO_SUCH_CONTAINER)
			w->heal_soon = true;
		container_info_free(&info);
		return;
	}
	known_set(w, info.id, info.state);
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
		log_complain(&w->list_complaint, LOG_WARN, "listing containers failed: %s", err);
		return -1;
	}
	log_complain_clear(&w->list_complaint, "listing containers works again");
	char (*ids)[65] = calloc(n ? n : 1, sizeof *ids);
	for (size_t i = 0; i < n && !atomic_load(&w->stop); i++) {
		if (ids)
			snprintf(ids[i], 65, "%s", list[i].id);
		/* New, or in another state than we last saw: an event was missed, so ask again. */
		const struct known *k = known_find(w, list[i].id);
		if (!k || (list[i].state != CSTATE_UNKNOWN && k->state != list[i].state))
			inspect(w, list[i].id);
	}
	/* Forget ids that are gone, so a re-used name is inspected afresh. */
	for (size_t k = 0; k < w->nknown;) {
		bool present = false;
		for (size_t i = 0; i < n && !present; i++)
			present = strcmp(w->known[k].id, list[i].id) == 0;
		if (present)
			k++;
		else
			w->known[k] = w->known[--w->nknown];
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
	case DEV_UPDATE:
		/* The event says what happened; the inspect brings the new pid, restart count and exit code. */
		dirty_add(w, ev->id);
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
		/* The ping on a new connection first: /version may still be answered on a kept-alive connection by
		 * an engine that no longer listens. */
		if (docker_ping(w->docker, err, sizeof err) || docker_negotiate(w->docker, &v, err, sizeof err)) {
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
		pthread_mutex_lock(&w->ev_lock);
		w->ev = ev;
		pthread_mutex_unlock(&w->ev_lock);
		w->cbs.engine(w->cbs.arg, &v, v.hostname, NULL);
		was_up = true;
		last_err[0] = '\0';
		backoff_ms = BACKOFF_MIN_MS;

		/* After a reconnect every container is inspected again: what happened during the gap is unknown. */
		w->nknown = 0;
		int64_t next_list = 0;
		int64_t next_ping = now_mono_ns() + (int64_t)LIVENESS_MS * 1000000;
		int64_t ping_failed_ns = 0; /* when the first of the failing pings was made; 0 = the last one passed */
		char ping_err[512] = "";
		bool list_failed = false;
		for (;;) {
			if (atomic_load(&w->stop))
				break;
			int64_t now = now_mono_ns();
			bool list_due = now >= next_list, listed = false;
			if (list_due || now >= next_ping) {
				/* Before a list too: a hung engine would hold the list for its whole, longer timeout. */
				if (docker_ping_kept(w->docker, ping_err, sizeof ping_err)) {
					if (!ping_failed_ns)
						ping_failed_ns = now;
				} else {
					ping_failed_ns = 0;
				}
				next_ping = now_mono_ns() + (int64_t)LIVENESS_MS * 1000000;
			}
			if (list_due && ping_failed_ns) {
				next_list = now + (int64_t)LIVENESS_MS * 1000000; /* not while pings fail */
			} else if (list_due) {
				list_failed = list_and_heal(w) != 0;
				listed = !list_failed;
				/* A list that failed (it timed out, say): a ping at once says whether the engine still answers;
				 * if not, the failure began when the list was asked for. */
				if (list_failed) {
					if (docker_ping_kept(w->docker, ping_err, sizeof ping_err))
						ping_failed_ns = now;
					next_ping = now_mono_ns() + (int64_t)LIVENESS_MS * 1000000;
				}
				/* A refused list (a socket proxy that forbids it) is retried with back-off, not in a loop. */
				next_list = now + (list_failed ? (int64_t)backoff_ms * 1000000
				                               : (int64_t)(w->list_interval_s * 1e9));
				if (list_failed)
					backoff_ms = backoff_ms * 2 > 30000 ? 30000 : backoff_ms * 2;
				else
					backoff_ms = BACKOFF_MIN_MS;
			}
			/* Asleep until an event comes or the next ping or list is due: one wake-up a second when all is
			 * quiet (watcher_free wakes the poll to stop). */
			int64_t due = next_ping < next_list ? next_ping : next_list;
			int64_t wait_ms = (due - now_mono_ns()) / 1000000 + 1;
			int rc = docker_events_poll(ev, wait_ms < 1 ? 1 : wait_ms > LIVENESS_MS ? LIVENESS_MS : (int)wait_ms,
			                            on_event, w, err, sizeof err);
			for (size_t i = 0; i < w->ndirty && !atomic_load(&w->stop); i++)
				inspect(w, w->dirty[i]);
			w->ndirty = 0;
			if (w->heal_soon) {
				w->heal_soon = false;
				int64_t soon = now_mono_ns() + w->heal_ms * 1000000;
				if (next_list > soon)
					next_list = soon;
				if (w->heal_ms < (int64_t)(w->list_interval_s * 1000))
					w->heal_ms *= 2;
			} else if (listed) {
				w->heal_ms = HEAL_SOON_MS; /* a list whose inspects all answered */
			}
			if (rc == 0) {
				log_info("the engine closed the event stream; reconnecting");
				break;
			}
			if (rc < 0) {
				log_warn("event stream: %s; reconnecting", err);
				break;
			}
			if (ping_failed_ns && now_mono_ns() - ping_failed_ns >= (int64_t)DRAIN_MS * 1000000) {
				w->cbs.engine(w->cbs.arg, NULL, NULL, ping_err);
				snprintf(last_err, sizeof last_err, "%s", ping_err);
				was_up = false;
				break;
			}
		}
		pthread_mutex_lock(&w->ev_lock);
		w->ev = NULL;
		pthread_mutex_unlock(&w->ev_lock);
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
	pthread_mutex_lock(&w->ev_lock);
	docker_events_wakeup(w->ev);
	pthread_mutex_unlock(&w->ev_lock);
	if (w->started)
		pthread_join(w->thread, NULL);
	pthread_mutex_destroy(&w->ev_lock);
	docker_free(w->docker);
	free(w->host_url);
	free(w->known);
	free(w->dirty);
	free(w);
}
