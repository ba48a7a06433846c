/* report.h — `lookout report`: reads OUTPUT_DIR/metrics.csv and the alert log as streams, and answers "when
 * was each container down, and for how long" exactly, with resource and response-time statistics, on
 * standard output and as a self-contained HTML file. It reads files only; it never talks to an engine. */
#ifndef LOOKOUT_REPORT_H
#define LOOKOUT_REPORT_H

#include <stdio.h>

#include "config.h"

/* Runs the report for cfg (output_dir, report_since/until/html, containers). Returns the exit status:
 * 0 done, 1 a file could not be read or written, 2 a bad --since/--until. */
int report_run(const struct config *cfg);

#endif
