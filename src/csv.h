/* csv.h — logs/metrics.csv: a header row, then one RFC 4180 row per watched container per tick.
 * Each tick's rows go out in one write() on an O_APPEND descriptor, so a row is never torn or half-written,
 * even when the process is killed; a failed partial write is cut back. It formats and writes; it never
 * decides what is sampled. */
#ifndef LOOKOUT_CSV_H
#define LOOKOUT_CSV_H

#include <stddef.h>

#include "snapshot.h"
#include "util.h"

extern const char csv_header[]; /* the header line, with its "\n" */

struct csv_writer;

/* Opens path for appending. A new or empty file gets the header; a file with another header is renamed
 * aside to PATH.TIMESTAMP.old (never mixed), and a last line cut short by a crash is removed.
 * NULL with a message in err. */
struct csv_writer *csv_open(const char *path, char *err, size_t errlen);
/* Writes the rows of a tick snapshot. 0, or -1 with a message (nothing of that tick was kept). */
int csv_write_snapshot(struct csv_writer *w, const struct snapshot *s, char *err, size_t errlen);
int csv_reopen(struct csv_writer *w, char *err, size_t errlen); /* after logrotate (SIGHUP) */
void csv_close(struct csv_writer *w);                            /* NULL is fine */

/* Appends the rows for s to b (exposed for the tests). 0 or -1 (ENOMEM). */
int csv_format_rows(struct buf *b, const struct snapshot *s);

#endif
