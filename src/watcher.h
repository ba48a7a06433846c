/* watcher.h — discovery of containers: follows the engine's /events stream, lists containers every
 * list interval to heal missed events, inspects new and changed containers, and tracks whether the engine is
 * reachable (reconnecting with back-off). It runs on its own thread and reports what it learns through
 * callbacks; it never samples metrics and never decides what is watched. */
#ifndef LOOKOUT_WATCHER_H
#define LOOKOUT_WATCHER_H

#include <stdbool.h>
#include <stddef.h>

#include "container.h"
#include "docker.h"

struct watcher_cbs {
	/* The engine became reachable (v set, error NULL) or unreachable (v NULL, error for a person). */
	void (*engine)(void *arg, const struct docker_version *v, const char *host, const char *error);
	/* A fresh inspect result; the callee takes ownership of *info's members. */
	void (*info)(void *arg, struct container_info *info);
	/* An event, delivered before the inspect it triggers. */
	void (*event)(void *arg, const struct docker_event *ev);
	/* Every container id the engine has right now (after a list). */
	void (*listed)(void *arg, const char (*ids)[65], size_t n);
	void *arg;
};

struct watcher;

/* host_url as for docker_new. Returns NULL with a message in err only for a malformed host URL. */
struct watcher *watcher_new(const char *host_url, double list_interval_s, const struct watcher_cbs *cbs,
                            char *err, size_t errlen);
int watcher_start(struct watcher *w, char *err, size_t errlen);
/* Asks the thread to stop, joins it and frees everything. NULL is fine. */
void watcher_free(struct watcher *w);

#endif
