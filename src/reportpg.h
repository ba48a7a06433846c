/* reportpg.h — `lookout report --from-pg`: the report's input read from the PostgreSQL tables that many
 * daemons write (samples, alerts), for every host or those of --report-host, with containers named HOST/NAME
 * so that the same name on two hosts stays two containers. The computing and the output formats are
 * report.c's; this only reads the database (never writes, never creates tables). */
#ifndef LOOKOUT_REPORTPG_H
#define LOOKOUT_REPORTPG_H

#include <stddef.h>

#include "config.h"
#include "report.h"

/* Reads the samples and firing alerts in r's window from the database of cfg (LOOKOUT_PG_URL or
 * LOOKOUT_PG_URL_FILE), only the hosts of cfg->report_hosts when set, into r. Returns 0; 2 with one line in
 * err for a configuration error (no database configured, a password on the command line, a build without
 * libpq); 1 when the database cannot be reached, holds no lookout tables, or a query fails. */
int reportpg_read(const struct config *cfg, struct report *r, char *err, size_t errlen);

#endif
