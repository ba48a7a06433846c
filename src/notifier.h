/* notifier.h — the alert service, one code path for both ways to run it: `lookout notify --follow FILE` (its
 * own process) and the notifier thread of `lookout --daemon`. A thread follows the alert log (follow.c),
 * feeds the policy (notify.c), turns what it returns into messages (email.c) kept in an outbox; a mail
 * thread delivers them (mail.c) with back-off, at most one per second. Read position, what was told and
 * the outbox live in a state file, replaced atomically, so a restart loses and repeats nothing. */
#ifndef LOOKOUT_NOTIFIER_H
#define LOOKOUT_NOTIFIER_H

#include <stddef.h>

#include "config.h"

struct notifier;

/* Starts the alert service on the alert log at log_path. Its threads start with every signal blocked.
 * NULL with one line in err for a person when the settings are wrong or the state file is unusable. */
struct notifier *notifier_start(const struct config *cfg, const char *log_path, char *err, size_t errlen);

/* Stops both threads (an SMTP attempt in flight is abandoned: its message stays in the outbox), saves the
 * state and frees. NULL is fine. */
void notifier_stop(struct notifier *n);

/* The daemon's hook: with NOTIFY on and a mail server configured, starts the notifier on the daemon's own
 * alert log into *out (else *out = NULL, with a log line saying why email is off). -1 when the email
 * settings are wrong (message on stderr and in the log): the daemon exits 2. */
int notifier_daemon_start(const struct config *cfg, const char *log_path, struct notifier **out);

/* `lookout notify`: runs until SIGTERM/SIGINT (SIGHUP reopens the log file), or with --test sends one
 * test message and says what worked or what to fix. Returns the exit status: 0, 1 (runtime failure, or
 * the test message was not accepted), 2 (bad settings). */
int notify_run(const struct config *cfg);

#endif
