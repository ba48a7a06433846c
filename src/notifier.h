/* notifier.h — the alert service, one code path for both ways to run it: `lookout notify --follow FILE` (its
 * own process) and the notifier thread of `lookout --daemon`. A thread follows the alert log (follow.c),
 * feeds the policy (notify.c), turns what it returns into messages (email.c) kept in an outbox; a mail
 * thread delivers them (mail.c) with back-off, at most one per second. Read position, what was told and
 * the outbox live in a state file, replaced atomically, so a restart loses and repeats nothing. */
#ifndef LOOKOUT_NOTIFIER_H
#define LOOKOUT_NOTIFIER_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"

struct notifier;

/* Starts the alert service on the alert log at log_path. Its threads start with every signal blocked.
 * Only one notifier may use a state file: it holds an exclusive flock on STATE_PATH + ".lock" (which names
 * its pid) until notifier_stop. NULL with one line in err for a person, and *fail_status the exit status
 * that fits: 2 when a setting is at fault (bad email settings or recipients, or another notifier already
 * holds the state file: two services configured for one job), 1 for a runtime failure (the state file
 * unreadable, corrupt or unwritable, the alert log's directory unusable, out of memory, no pipe/thread). */
struct notifier *notifier_start(const struct config *cfg, const char *log_path, int *fail_status, char *err,
                                size_t errlen);

/* Stops both threads, saves the state and frees. An SMTP attempt in progress (or left running past
 * SMTP_TIMEOUT) gets up to 5 s to end and its outcome is recorded; one still running then is abandoned:
 * its message stays in the outbox and may reach the server twice, with the same Message-ID. Blocks at most
 * about 5.2 s. NULL is fine. */
void notifier_stop(struct notifier *n);

/* The daemon's hook: with NOTIFY on and a mail server configured, starts the notifier on the daemon's own
 * alert log into *out (else *out = NULL, with a log line saying why email is off). -1 when the notifier
 * cannot start — wrong email settings, another notifier (e.g. `lookout notify`) on the same state file, or
 * a runtime failure (message on stderr and in the log): the daemon exits 2. */
int notifier_daemon_start(const struct config *cfg, const char *log_path, struct notifier **out);

/* `lookout notify`: runs until SIGTERM/SIGINT (SIGHUP reopens the log file), or with --test sends one
 * test message and says what worked or what to fix. Returns the exit status: 0, 1 (runtime failure, or
 * the test message was not accepted), 2 (bad settings, or another notifier already follows the same state
 * file: see notifier_start). */
int notify_run(const struct config *cfg);

/* Reads a device or inode number as the state file holds it: plain decimal digits, the whole uint64_t range
 * (values of 2^63 and above included). 0, or -1 when s is anything else (sign, space, hex, overflow). */
int notifier_parse_u64(const char *s, uint64_t *out);

#endif
