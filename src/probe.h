/* probe.h — HTTP health probes: one thread with one curl multi GETs each container's health URL every interval,
 * concurrently, with a timeout and connection reuse, and keeps the newest result per container. It only
 * measures; deciding what a failure means is rules.c's job, and the collector never waits for it. */
#ifndef LOOKOUT_PROBE_H
#define LOOKOUT_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum probe_failure {
	PROBE_OK = 0,
	PROBE_REFUSED,  /* connection refused or host unreachable */
	PROBE_TIMEOUT,
	PROBE_DNS,
	PROBE_TLS,
	PROBE_HTTP,     /* answered, but not 2xx/3xx */
	PROBE_OTHER,
};

struct probe_result {
	uint64_t n;          /* results so far for this target: changes with every new one */
	int64_t wall_ms;     /* when the request finished */
	int response_ms;     /* wall time of the GET; -1 when there was no answer */
	int http_status;     /* 0 when there was no answer */
	enum probe_failure failure;
	char error[256];     /* for a person: curl's message or "HTTP 503"; untrusted (may quote the server) */
};

const char *probe_failure_name(enum probe_failure f); /* "", "refused", "timeout", "dns", "tls", "http", "error" */

struct prober;

/* timeout_ms bounds each request (connect included); interval_ms is the period per target. */
struct prober *prober_new(long timeout_ms, int interval_ms, char *err, size_t errlen);
void prober_free(struct prober *p); /* stops the thread; NULL is fine */

/* Probes url for id from now on (replacing any other url of id). Only http:// and https:// URLs; -1 for
 * anything else or ENOMEM. Cheap: the thread does the I/O. */
int prober_watch(struct prober *p, const char *id, const char *url);
void prober_unwatch(struct prober *p, const char *id);
/* Copies the newest result of id into *out: 1, or 0 when none has arrived since the url was set. */
int prober_latest(struct prober *p, const char *id, struct probe_result *out);

#endif
