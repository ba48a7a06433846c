/* notifyha.h — high availability of email alerts through PostgreSQL (LOOKOUT_NOTIFY_HA=pg): of the lookouts
 * sharing a group name, only the one holding a session-level advisory lock sends; the others keep their own
 * copies of each email on hold and drop those that the database records as sent. When the sender dies its
 * session ends, the server releases the lock, and a standby takes it within about a second and sends what was
 * not recorded. It decides nothing about which alerts are emailed (notify.c) and sends nothing (notifier.c).
 *
 * An alert is known across instances by host, container id, kind, state (firing/resolved) and the start of
 * its episode, matched within NOTIFYHA_MATCH (three sampling intervals plus 2 s): each instance has its own
 * alert log and sequence numbers, but the same real event has the same container, kind and (nearly) start.
 * PostgreSQL unreachable: nobody is known to send, so after NOTIFYHA_FAILOPEN_MS every instance sends on its
 * own (duplicates rather than silence), saying so in the log. */
#ifndef LOOKOUT_NOTIFYHA_H
#define LOOKOUT_NOTIFYHA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "email.h"

#define NOTIFYHA_FAILOPEN_MS 10000         /* without the database this long: send anyway */
#define NOTIFYHA_HOLD_RETRY_MS 1000        /* a held email is looked at again this often */
#define NOTIFYHA_HOLD_MAX_MS (3600 * 1000) /* held this long and never recorded as sent: the active one chose not to */

struct notifyha;

enum notifyha_verdict {
	NOTIFYHA_SEND, /* this instance sends (it holds the lock, or the database has been unreachable too long) */
	NOTIFYHA_HOLD, /* another instance sends: look again in NOTIFYHA_HOLD_RETRY_MS */
	NOTIFYHA_DROP, /* already emailed by another instance (or held past NOTIFYHA_HOLD_MAX_MS): forget it */
};

/* With LOOKOUT_NOTIFY_HA=pg, checks the PostgreSQL settings and starts the thread that holds the connection
 * and competes for the lock; *out is NULL when HA is off. -1 with one line in err: a configuration error
 * (no database configured, a password on the command line, or a build without libpq), exit status 2. */
int notifyha_start(const struct config *cfg, struct notifyha **out, char *err, size_t errlen);

/* Writes the records not yet written (for at most about 5 s), closes the connection (which releases the
 * lock) and frees. NULL is fine. */
void notifyha_stop(struct notifyha *h);

/* A message msg_id carrying these alerts was queued. Never blocks on the database. */
void notifyha_queued(struct notifyha *h, const char *msg_id, const struct email_item *items, size_t n);

/* May message msg_id (queued at created_ms, wall clock) be sent now? why (may be NULL) says why not, for the
 * log. In memory only: never blocks on the database. A message this module does not know (queued before a
 * restart) has no alerts to look up: it is sent by the active instance only. */
enum notifyha_verdict notifyha_gate(struct notifyha *h, const char *msg_id, int64_t created_ms, int64_t now_ms,
                                    char *why, size_t whylen);

/* The server accepted message msg_id (sent) or refused it for good: its alerts are recorded in the database
 * at once by the HA thread (the window in which a takeover can repeat it is the time until that commit). */
void notifyha_done(struct notifyha *h, const char *msg_id, bool sent);

#endif
