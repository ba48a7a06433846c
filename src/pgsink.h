/* pgsink.h — the PostgreSQL sink of `lookout --daemon`: follows the collector's snapshots on a thread of its own,
 * keeps the rows (samples and alert transitions, as in metrics.csv and the alert log) in a bounded buffer, and
 * writes them in batches from a second thread that connects, creates the schema, and reconnects with back-off.
 * It never blocks the collector or the daemon's loop; it never decides what is sampled or when alerts fire.
 * Built without libpq (configure --without-postgresql), pgsink_start refuses a configured database. */
#ifndef LOOKOUT_PGSINK_H
#define LOOKOUT_PGSINK_H

#include <stddef.h>

#include "collector.h"
#include "config.h"
#include "snapshot.h"
#include "util.h"

struct pgsink;

/* Checks cfg's PostgreSQL settings (LOOKOUT_PG_URL, LOOKOUT_PG_URL_FILE, LOOKOUT_PG_BUFFER) and, when a
 * database is configured, starts the sink following c (already started). *out is NULL when none is
 * configured. A connection string in LOOKOUT_PG_URL / --pg that holds a password is refused: it would show
 * in ps; the password belongs in PGPASSWORD, PGPASSFILE or the file named by LOOKOUT_PG_URL_FILE.
 * An unreachable database is not an error (the sink buffers and retries). Returns 0, or -1 with one line
 * for a person in err — a configuration error, exit status 2. */
int pgsink_start(const struct config *cfg, struct collector *c, struct pgsink **out, char *err, size_t errlen);

/* Call after collector_stop: queues the last snapshot's rows, writes what is buffered (for at most about ten
 * seconds), logs how many rows were written and dropped, joins the threads and frees. NULL is fine. */
void pgsink_stop(struct pgsink *p);

/* ---- exposed for the unit tests ---- */

/* Appends one COPY text-format line per container of s (the samples table's columns, in schema order) to b.
 * Untrusted text is escaped for COPY and invalid UTF-8 becomes U+FFFD. 0 or -1 (ENOMEM). */
int pgsink_format_samples(struct buf *b, const struct snapshot *s);
/* Appends one COPY line for an alert transition seen on host to b. 0 or -1 (ENOMEM). */
int pgsink_format_alert(struct buf *b, const char *host, const struct alert_transition *t);

/* Parses a libpq connection string. -1 with a message when it is not one; 1 when it holds a password
 * (refused when it came from the command line or the environment); 0 otherwise. On 0 or 1, safe (if not
 * NULL) gets a description without any secret, for logs: "host=db port=5432 dbname=lookout user=lookout". */
int pgsink_conninfo_check(const char *conninfo, char *safe, size_t safelen, char *err, size_t errlen);

#endif
