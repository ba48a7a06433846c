/* levels.h — the stress generator's load profiles: how many requests run at once, how long each worker pauses,
 * and which demo-app endpoints it asks for in what proportion. Data and a lookup; no I/O. */
#ifndef STRESS_LEVELS_H
#define STRESS_LEVELS_H

#include <stddef.h>

struct stress_path {
	const char *path; /* relative to TARGET_URL */
	int weight;
};

struct stress_level {
	const char *name;
	int concurrency;  /* requests in flight at once */
	int pause_ms;     /* each worker waits this long between its requests */
	int preload_mb;   /* memory-intensive: memory held in the app for the whole run (0: none) */
	const char *what; /* for --help */
	struct stress_path paths[5]; /* ends at path NULL */
};

/* The level of this name (exact, lower case), or NULL. */
const struct stress_level *stress_level_find(const char *name);
/* The levels in order, for help texts; *n gets their count. */
const struct stress_level *stress_levels(size_t *n);
/* Picks a path of lv by weight, with r uniform in [0, 1). */
const char *stress_level_pick(const struct stress_level *lv, double r);

#endif
