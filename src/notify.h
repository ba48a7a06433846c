/* notify.h — the alert service's policy: which alert transitions become which email, and when. Buffering
 * (BUFFER_TIMEOUT), cooldown (ALERT_COOLDOWN), critical alerts at once, a container-down alert muting that
 * container's other alerts, silences, and NOTIFY_RESOLVED. A pure state machine driven by the caller's
 * clock (so tests use a fake one); it reads no file and sends nothing. Its state serialises to logfmt
 * lines for the notifier's state file. */
#ifndef LOOKOUT_NOTIFY_H
#define LOOKOUT_NOTIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "alert.h"
#include "email.h"
#include "util.h"

struct notify_opts {
	int64_t buffer_ms;   /* BUFFER_TIMEOUT */
	int64_t cooldown_ms; /* ALERT_COOLDOWN */
	bool resolved;       /* NOTIFY_RESOLVED */
};

/* A silence mutes alerts of a container (glob on the name, "" = all) and kind (-1 = all) until until_ms. */
struct silence {
	char container[ALERT_NAME_MAX];
	int kind;
	int64_t until_ms;
};

/* Whether silence s mutes alert kind on container at now_ms (wall clock, ms): true while now_ms < until_ms,
 * when s->kind is that kind or -1 (every kind), and s->container is "" (every container) or a glob
 * (fnmatch, no flags) matching the whole name. Pure: no state, thread-safe. */
bool silence_matches(const struct silence *s, const char *container, enum alert_kind kind, int64_t now_ms);

struct notify;

struct notify *notify_new(const struct notify_opts *o); /* NULL on ENOMEM */
void notify_free(struct notify *n);                      /* NULL is fine */

/* Feeds one transition read from the alert log, seen at now_ms. 0 or -1 (ENOMEM). */
int notify_feed(struct notify *n, const struct alert_transition *t, int64_t now_ms);

/* Replaces the silences (copied). 0 or -1 (ENOMEM). */
int notify_set_silences(struct notify *n, const struct silence *s, size_t count);

/* When notify_take should next be called (wall ms): now for a critical alert, the end of the buffer, the
 * end of a cooldown or of a silence something waits for; INT64_MAX when nothing waits. */
int64_t notify_next_due(const struct notify *n);

/* When something is due at now_ms, decides every pending change and returns in *items (malloc'd; the caller
 * frees) the alerts for one email, marking them as told: the count, 0 when nothing is to be sent now (or
 * nothing survived the decision), -1 on ENOMEM. */
int notify_take(struct notify *n, int64_t now_ms, struct email_item **items, size_t *count);

/* Appends the state as logfmt lines ("nkey ..." and "nbuf ..."), for the state file. 0 or -1. */
int notify_save(const struct notify *n, struct buf *out);
/* Restores one line written by notify_save (lines of other kinds are the caller's). 1 when the line was
 * one of ours, 0 when it was not, -1 with a message in err when it was malformed. */
int notify_load_line(struct notify *n, const char *line, size_t len, char *err, size_t errlen);

#endif
