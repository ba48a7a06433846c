/* daemon.h — `lookout --daemon`: the collector plus its headless consumers (metrics.csv, the log, a compact
 * status on standard output, the PostgreSQL sink when configured), signal handling (TERM/INT stop cleanly, HUP
 * reopens files). */
#ifndef LOOKOUT_DAEMON_H
#define LOOKOUT_DAEMON_H

#include "config.h"

/* Runs until SIGTERM or SIGINT. Returns the process exit status: 0 after a clean stop, 1 when it could not
 * start (message on stderr), 2 when a setting is wrong (email alerts, HTTP server, PostgreSQL). An unreachable
 * engine is not a failure: it is logged and retried. */
int daemon_run(const struct config *cfg);

/* Creates dir and its parents (mode 0755). 0, or -1 with errno set. */
int mkdir_parents(const char *dir);

#endif
