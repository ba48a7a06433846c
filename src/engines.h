/* engines.h — which Docker engines one lookout watches: each --host [NAME=]URL (LOOKOUT_HOSTS) in order, or the
 * single default engine (DOCKER_HOST, then discovery) when none is given; and how an engine's host label is
 * made distinct. Parsing and naming only: it never connects to an engine. */
#ifndef LOOKOUT_ENGINES_H
#define LOOKOUT_ENGINES_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"

#ifndef LOOKOUT_ENGINE_ADDR_DEFINED
#define LOOKOUT_ENGINE_ADDR_DEFINED
/* One engine to watch. name: the host label given as NAME= ("" = none given: the engine's reported host name
 * becomes its label when it first answers). url: unix:///path, tcp://host:port ("" = the default discovery). */
struct engine_addr {
	char name[256];
	char url[512];
};
#endif

/* The engines to watch, in configured order: each entry of cfg->hosts, or exactly one engine with an empty name
 * and url = cfg->docker_host when cfg->hosts is empty. *out is malloc'd (the caller frees it; *n >= 1).
 * 0, or -1 with one line for a person in err (bad URL, bad or duplicate NAME, the same URL twice). */
int engines_from_config(const struct config *cfg, struct engine_addr **out, size_t *n, char *err, size_t errlen);

/* Parses one "[NAME=]URL" entry into *out. A NAME is 1-100 letters, digits, '.', '_', '-' or ':'. 0, or -1 with
 * a message in err. */
int engines_parse_one(const char *entry, struct engine_addr *out, char *err, size_t errlen);

/* Checks a whole list of entries as engines_from_config does (for config validation): 0, or -1 with err. */
int engines_check_list(char *const *entries, size_t n, char *err, size_t errlen);

/* The label of an engine that was given no NAME, fixed when it first answers: its reported host name (the
 * address when it reports none), made distinct from the labels in taken[0..ntaken) by appending "@ADDRESS"
 * and then "#2", "#3", ... Writes at most len bytes to out. */
void engines_label(const char *reported, const char *endpoint, const char *const *taken, size_t ntaken,
                   char *out, size_t len);

#endif
