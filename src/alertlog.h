/* alertlog.h — logs/container_alerts.log: one logfmt line per alert transition, appended with one write() on an
 * O_APPEND descriptor and synced, so the file is the durable queue the notifier and the report read. Also the
 * parser for it. It formats, writes and parses; it never decides when an alert fires. */
#ifndef LOOKOUT_ALERTLOG_H
#define LOOKOUT_ALERTLOG_H

#include <stddef.h>

#include "alert.h"
#include "util.h"

/* A line looks like
 *   ts=2026-11-24T05:00:00.123Z level=critical state=firing alert=container_down container=web
 *   container_id=0123456789ab... host=node1 value=1 threshold=0 since=2026-11-24T04:59:59.998Z
 *   msg="exited (code 137)"
 * host (the container's engine's host label) is omitted when unknown; logs written before it existed read
 * with host "".
 * Values made only of [A-Za-z0-9._:/@+%,-] are written bare; anything else is quoted, with \" \\ \n \r \t
 * escaped and every other control character, DEL, C1 control and byte of invalid UTF-8 written as \xHH, so
 * one line is always one record and the original bytes come back exactly. value/threshold are omitted
 * when NaN; since when 0. */

/* Appends one line (with its "\n") for t to b. 0 or -1 (ENOMEM). */
int alertlog_format(struct buf *b, const struct alert_transition *t);
/* Appends key=value to b, quoting and escaping value as above (for other logfmt writers). 0 or -1. */
int logfmt_append(struct buf *b, const char *key, const char *value);

/* Parses one line (without or with its "\n") into *out. Unknown keys are ignored (newer writers may add
 * some); a missing ts, level, state or alert, or a malformed quote, is an error. Text longer than the
 * struct's fields is cut at a UTF-8 boundary. 0, or -1 with a message in err. */
int alertlog_parse(const char *line, size_t len, struct alert_transition *out, char *err, size_t errlen);

/* Generic logfmt: reads the next key=value pair at *p (up to end), unescaping the value into val (reset
 * first). Returns 1 for a pair, 0 at the end of the line, -1 on a malformed pair (message in err). */
int logfmt_next(const char **p, const char *end, char *key, size_t keylen, struct buf *val, char *err,
                size_t errlen);

/* The transitions in the last max_bytes of the alert log at path, oldest first (a first line cut by the window,
 * and any line that does not parse, are skipped); *out is malloc'd (NULL when none). A missing file is 0 with
 * none; -1 with a message in err when it cannot be read or memory runs out. */
int alertlog_read_tail(const char *path, size_t max_bytes, struct alert_transition **out, size_t *n, char *err,
                       size_t errlen);

struct alertlog;

/* Opens path for appending (created 0644); a last line cut short (disk full, power loss) is dropped so the
 * next one starts clean. NULL with a message in err. */
struct alertlog *alertlog_open(const char *path, char *err, size_t errlen);
/* Writes one line per transition, all in one write(), then fdatasync()s: when it returns 0 the lines are on
 * disk. -1 with a message, and then none of them was written (a partial write is cut back), so the caller
 * retries all n. */
int alertlog_append(struct alertlog *al, const struct alert_transition *t, size_t n, char *err, size_t errlen);
int alertlog_reopen(struct alertlog *al, char *err, size_t errlen); /* after logrotate (SIGHUP) */
void alertlog_close(struct alertlog *al);                            /* NULL is fine */

#endif
