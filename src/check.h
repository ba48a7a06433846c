/* check.h — `lookout check`: one sampling pass for cron and monitoring plugins. Prints a table (or JSON) of
 * containers and findings, appends to metrics.csv and the alert log as the daemon would, keeps the alert rules'
 * state in the output directory between runs. It never loops and never notifies. */
#ifndef LOOKOUT_CHECK_H
#define LOOKOUT_CHECK_H

#include "config.h"
#include "rules.h"

/* Runs the check and returns the process exit status: 0 OK, 1 warning, 2 critical, 3 unknown (engine
 * unreachable, output directory or state unusable). The reason for 3 is on stdout (and stderr). */
int check_run(const struct config *cfg);

/* The alert rules' settings from the configuration (shared with the daemon). */
void check_rules_config(const struct config *cfg, struct rules_config *out);

#endif
