/* statstream.h — the Engine stats API as a metrics source, for containers whose cgroup files cannot be read
 * (remote engines, no cgroupfs). One curl multi on its own thread keeps one streaming stats connection per
 * container, or, on engines that answer one-shot stats at once, issues one-shot requests each interval.
 * It only fetches and parses; the collector reads the newest sample. */
#ifndef LOOKOUT_STATSTREAM_H
#define LOOKOUT_STATSTREAM_H

#include <stdbool.h>
#include <stddef.h>

#include "sample.h"

struct statstream;

/* host_url as for docker_new. oneshot: use one-shot requests every interval_ms instead of streams. */
struct statstream *statstream_new(const char *host_url, bool oneshot, int interval_ms, char *err,
                                  size_t errlen);
void statstream_free(struct statstream *s); /* stops the thread, closes every connection */

/* Starts or stops fetching stats for a container (full id). Cheap; the thread does the I/O. */
int statstream_watch(struct statstream *s, const char *id);
void statstream_unwatch(struct statstream *s, const char *id);

/* The engine is reachable again (after an outage): every stream waiting out its back-off (up to 30 s) is
 * retried at once, so metrics resume within a second of the engine, not of the back-off. Cheap. */
void statstream_engine_back(struct statstream *s);

/* Copies the newest sample of id into *out. Returns 1 if there is one, 0 if none has arrived yet. */
int statstream_latest(struct statstream *s, const char *id, struct sample *out);

#endif
