/* remote.h — the dashboard's second source of snapshots: a running lookout daemon's HTTP API (`lookout --connect
 * URL`). It polls /api/snapshot.json and /api/alerts.json, fetches only the history points it does not have yet
 * (/api/history.json?since_ms=), and builds the same struct snapshot the collector publishes, so the screen draws
 * either one. It never talks to an engine and never asks the daemon to change anything. Everything the daemon
 * sends is untrusted: parsed defensively, and left for the screen to escape as it does an engine's text. */
#ifndef LOOKOUT_REMOTE_H
#define LOOKOUT_REMOTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "snapshot.h"

enum remote_state {
	REMOTE_CONNECTING = 0, /* no answer yet */
	REMOTE_UP,             /* the last round of requests succeeded */
	REMOTE_DOWN,           /* the daemon did not answer, or answered with an error or bad JSON */
	REMOTE_UNAUTHORIZED,   /* it answered 401: the token is missing or wrong */
};

struct remote;

/* url: the daemon's HTTP server, "http://HOST:PORT" or "https://…" (a trailing slash or path is fine).
 * token: the bearer token, NULL or "" for none; copied, never logged or shown. NULL with a message in err when
 * the URL is not http(s) or on ENOMEM. */
struct remote *remote_new(const char *url, const char *token, char *err, size_t errlen);
void remote_free(struct remote *r); /* NULL is fine */
/* Makes a request in progress on another thread give up within about 100 ms (and every later one at once). */
void remote_stop(struct remote *r);

/* One round of requests now. 0 with a new snapshot in *out (the caller owns that reference), or -1 with the
 * reason in err (then remote_state says REMOTE_DOWN or REMOTE_UNAUTHORIZED). */
int remote_poll(struct remote *r, struct snapshot **out, char *err, size_t errlen);
/* For the screen's feeder thread: waits until the next round is due (every sampling interval of the daemon,
 * every second while it is unreachable), at most timeout_ms, and runs it. A new snapshot (caller owns it), or
 * NULL when nothing new arrived; after_seq is accepted for symmetry with collector_wait and may be ignored. */
struct snapshot *remote_wait(struct remote *r, uint64_t after_seq, int timeout_ms);
/* The connection state now (any thread); the reason into err when not up; *since_ms when it last changed. */
enum remote_state remote_state(struct remote *r, char *err, size_t errlen, int64_t *since_ms);
/* The URL as given, for the screen (any credentials in it replaced). */
const char *remote_url(const struct remote *r);

/* ---- parsing (exposed for the unit tests and the fuzz target; any bytes in) ----------------------------- */

/* Per-container histories built from compact history answers, keyed by container id. */
struct remote_history;
/* A store for points about interval_s apart (an hour and a bit of them per container). NULL on ENOMEM. */
struct remote_history *remote_history_new(double interval_s);
void remote_history_free(struct remote_history *h); /* NULL is fine */
/* Adds the points of an /api/history.json?since_ms= answer; points not newer than a container's newest are
 * skipped. 0, or -1 with a one-line reason in err (points read before the error stay). */
int remote_history_add(struct remote_history *h, const char *json, size_t len, char *err, size_t errlen);
/* The newest point time over every container (0 when there is none): the next request's since_ms. */
int64_t remote_history_newest(const struct remote_history *h);
/* Number of containers with a history, and points kept for one id (0 when unknown): for tests. */
size_t remote_history_count(const struct remote_history *h);
size_t remote_history_points(const struct remote_history *h, const char *id);

/* Builds a snapshot from an /api/snapshot.json answer: containers, engines (the "engines" array when there is
 * one, else one engine from "engine" and "host"), the daemon's own cost. seq is stored as the snapshot's seq;
 * *interval_s gets the daemon's sampling interval (unchanged when absent). NULL with a reason in err. */
struct snapshot *remote_parse_snapshot(const char *json, size_t len, uint64_t seq, double *interval_s, char *err,
                                       size_t errlen);
/* Gives each container of s a view of its history in h and forgets histories of containers s no longer has
 * (call before s is shared). 0, or -1 on ENOMEM (views stay empty). */
int remote_attach_history(struct snapshot *s, struct remote_history *h);
/* Sets s's recent alerts from an /api/alerts.json answer ("recent", newest first). 0, or -1 with err. */
int remote_parse_alerts(struct snapshot *s, const char *json, size_t len, char *err, size_t errlen);

#endif
