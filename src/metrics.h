/* metrics.h — the formulas: CPU %, memory used and %, per-second rates, exactly as `docker stats` computes them.
 * Pure functions of two samples and host facts; no I/O, no state. */
#ifndef LOOKOUT_METRICS_H
#define LOOKOUT_METRICS_H

#include <stddef.h>

#include "sample.h"

struct host_facts {
	uint64_t mem_total_bytes; /* host memory, the limit of an unlimited container */
	unsigned ncpus;           /* online CPUs of the host */
};

/* Fills *out from the current sample and the previous one of the same container (prev may be NULL:
 * then the delta-based fields are NaN). A counter that went backwards (container restarted) yields NaN
 * for that field rather than a negative number. */
void metrics_compute(const struct sample *prev, const struct sample *cur, const struct host_facts *host,
                     struct metrics *out);

/* Memory used as docker stats shows it: usage minus reclaimable cache when that is smaller than usage. */
uint64_t metrics_mem_used(const struct sample *s);

/* Reads host memory and CPU count from ROOT/proc/meminfo and sysconf (root "" for this host).
 * Returns 0, or -1 with a message in err. */
int metrics_host_facts(const char *root, struct host_facts *out, char *err, size_t errlen);

#endif
