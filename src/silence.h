/* silence.h — silences (maintenance windows): the silences file, one logfmt line per silence (container
 * glob, alert kind, until when), appended by `lookout silence` and read by the notifier; and the parser
 * of "2h" / "2026-11-24T18:00:00Z". It stores and reads; notify.c decides what a silence mutes. */
#ifndef LOOKOUT_SILENCE_H
#define LOOKOUT_SILENCE_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "notify.h"

/* Reads the silences of path that have not ended by now_ms into *out (malloc'd). A missing file is no
 * silences. 0, or -1 with a message in err (a malformed line names the file and line). */
int silences_load(const char *path, int64_t now_ms, struct silence **out, size_t *n, char *err, size_t errlen);

/* Appends one silence to path (created 0644) with one write and syncs it. 0 or -1 with a message. */
int silences_add(const char *path, const struct silence *s, char *err, size_t errlen);

/* "90s", "30m", "2h", "1d" (a positive number with a unit; plain seconds too) after now_ms, or an RFC 3339
 * time. 0, or -1 when text is neither. */
int silence_parse_until(const char *text, int64_t now_ms, int64_t *until_ms);

/* The path of the silences file for cfg (LOOKOUT_SILENCES_FILE, else "silences" beside the alert log).
 * 0 or -1 when it does not fit. */
int silences_path(const struct config *cfg, char *out, size_t outlen);

/* `lookout silence`: with --for, adds a silence for --container (each, or all when none) and --alert;
 * without, lists the active silences. Returns the exit status (0, 1 failure, 2 bad usage) and prints
 * one line for a person. */
int silence_run(const struct config *cfg);

#endif
