/* levels.c — the stress profiles, from a trickle (low) to everything at once (extreme), and the three that
 * aim at one resource each (cpu-, memory-, db-intensive). */
#include "levels.h"

#include <string.h>

static const struct stress_level levels[] = {
	{"low", 2, 500, 0, "2 workers, a request every 0.5 s each: pages, health checks, a little CPU",
	 {{"/", 3}, {"/health", 1}, {"/cpu?ms=10", 1}, {NULL, 0}}},
	{"medium", 5, 100, 0, "5 workers: CPU, database and memory requests mixed with page views",
	 {{"/", 2}, {"/cpu?ms=50", 2}, {"/db?queries=5", 1}, {"/memory?mb=4&hold=5", 1}, {NULL, 0}}},
	{"high", 10, 20, 0, "10 workers, little pause: heavier CPU and database requests",
	 {{"/cpu?ms=100", 3}, {"/db?queries=20", 2}, {"/memory?mb=8&hold=10", 1}, {"/", 1}, {NULL, 0}}},
	{"extreme", 25, 0, 0, "25 workers, no pause: CPU, database and memory all at once",
	 {{"/cpu?ms=200", 3}, {"/db?queries=50", 2}, {"/memory?mb=8&hold=5", 1}, {NULL, 0}}},
	{"cpu-intensive", 4, 0, 0, "4 workers burning 500 ms of CPU per request, no pause",
	 {{"/cpu?ms=500", 1}, {NULL, 0}}},
	{"memory-intensive", 2, 200, 256,
	 "holds STRESS_MEMORY_MB (default 256) in the app for the whole run, plus 2 workers allocating 16 MiB for 5 s",
	 {{"/memory?mb=16&hold=5", 1}, {NULL, 0}}},
	{"db-intensive", 8, 0, 0, "8 workers, each request 100 database queries, no pause",
	 {{"/db?queries=50", 1}, {NULL, 0}}},
};

const struct stress_level *stress_level_find(const char *name)
{
	for (size_t i = 0; i < sizeof levels / sizeof levels[0]; i++)
		if (strcmp(levels[i].name, name) == 0)
			return &levels[i];
	return NULL;
}

const struct stress_level *stress_levels(size_t *n)
{
	*n = sizeof levels / sizeof levels[0];
	return levels;
}

const char *stress_level_pick(const struct stress_level *lv, double r)
{
	int total = 0;
	for (const struct stress_path *p = lv->paths; p->path; p++)
		total += p->weight;
	double x = r * total;
	const struct stress_path *p = lv->paths;
	for (; p->path; p++) {
		if (x < p->weight)
			return p->path;
		x -= p->weight;
	}
	return lv->paths[0].path;
}
