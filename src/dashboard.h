/* dashboard.h — `lookout` on a terminal: the collector plus the ncurses screen (src/tui), with the log sent to
 * a file while the screen is up. The caller has checked that standard output is a terminal. */
#ifndef LOOKOUT_DASHBOARD_H
#define LOOKOUT_DASHBOARD_H

#include "config.h"

/* Runs until q or SIGTERM/SIGINT/SIGHUP. Returns the exit status: 0 after a clean quit, 1 when it could not
 * start (message on stderr, before the screen was set up), 2 for settings that contradict each other. */
int dashboard_run(const struct config *cfg);

#endif
