/* pgconn.h — what the PostgreSQL users of lookout share (the sink, `report --from-pg`, the notifier's high
 * availability): the connection string from the configuration (never with a password from the command line
 * or the environment), a connection with lookout's defaults and its schema, and libpq messages on one line.
 * It holds no connection itself and decides nothing about what is written or read. Built only with libpq. */
#ifndef LOOKOUT_PGCONN_H
#define LOOKOUT_PGCONN_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>

#include "config.h"

/* The connection string of cfg (LOOKOUT_PG_URL / --pg, or the file named by LOOKOUT_PG_URL_FILE) into
 * *conninfo (malloc'd; the caller wipes and frees it) and a description without secrets into desc (for
 * logs). 1 when one is configured, 0 when none is (*conninfo NULL), -1 with one line in err for a person:
 * both set, the file unreadable or empty, not a connection string, or a password on the command line or in
 * the environment — a configuration error (exit status 2). */
int pgconn_conninfo(const struct config *cfg, char **conninfo, char *desc, size_t desclen, char *err, size_t errlen);

/* Connects with lookout's defaults (5 s connect timeout, TCP keepalives, UTC, UTF-8; the server's notices
 * go to the log) and, when schema is set, creates the tables if missing (data/schema.sql, under an advisory
 * lock). NULL with a one-line message in err. */
PGconn *pgconn_open(const char *conninfo, bool schema, char *err, size_t errlen);

/* Runs sql (no parameters); 0 when the server said OK, else -1 with its message on one line in err. */
int pgconn_exec(PGconn *conn, const char *sql, char *err, size_t errlen);

/* libpq's message (may end in a newline and span lines) as one line in out. Returns out. */
const char *pgconn_one_line(const char *msg, char *out, size_t len);

#endif
