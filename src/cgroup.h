/* cgroup.h — reads a local container's counters straight from its cgroup files (v1 or v2, cgroupfs or
 * systemd driver), which costs a fraction of an Engine stats call. Paths come from /proc/PID/cgroup and the
 * mount table, never from guesses. Reads only; never writes a cgroup file. */
#ifndef LOOKOUT_CGROUP_H
#define LOOKOUT_CGROUP_H

#include <stddef.h>

#include "sample.h"

struct cgroup_reader;

/* Opens the files of the cgroup that process pid belongs to. host_root prefixes every path ("" or NULL for
 * this host; "/host" when the host's /proc and /sys are mounted there); the mount table is read from
 * ROOT/proc/self/mountinfo when host_root is empty, else ROOT/proc/1/mountinfo. Files are kept open
 * between reads. Returns NULL with a message in err when the cgroup cannot be found or read (the caller
 * then falls back to the Engine's stats API). */
struct cgroup_reader *cgroup_open(const char *host_root, int pid, char *err, size_t errlen);
void cgroup_close(struct cgroup_reader *r);

/* Reads every counter it can into *out (sets out->have bits, mono_ns and wall_ms). Returns 0, or -1 with a
 * message in err when the cgroup is gone (container stopped). A single missing file only clears its bit. */
int cgroup_read(struct cgroup_reader *r, struct sample *out, char *err, size_t errlen);

/* Makes the next cgroup_read re-read what it otherwise reads only now and then (limits, the OOM-kill
 * counter): for `docker update` and `oom` events. */
void cgroup_recheck(struct cgroup_reader *r);

int cgroup_version(const struct cgroup_reader *r);         /* 1 or 2 */
const char *cgroup_dir(const struct cgroup_reader *r);      /* memory (v1) or unified (v2) directory */

#endif
