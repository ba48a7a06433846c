/* dockerctx.h — the docker CLI's contexts: `--context NAME`, DOCKER_CONTEXT and config.json's currentContext
 * read from the CLI's own store ($DOCKER_CONFIG or ~/.docker), turned into an engine address plus the context's
 * TLS files (registered with docker_tls_register). Reads files only: never connects, never writes the store. */
#ifndef LOOKOUT_DOCKERCTX_H
#define LOOKOUT_DOCKERCTX_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"

#ifndef LOOKOUT_ENGINE_ADDR_DEFINED
#define LOOKOUT_ENGINE_ADDR_DEFINED
/* One engine to watch (the same declaration as engines.h). name: the host label ("" = the engine's reported
 * host name); url: unix:///path or tcp://host:port ("" = the default discovery). */
struct engine_addr {
	char name[256];
	char url[512];
};
#endif

/* Whether name can be a docker CLI context name ([a-zA-Z0-9][a-zA-Z0-9_.+-]+, at most 200 bytes). */
bool docker_context_name_ok(const char *name);

/* Looks context name up in the store: out->name = name, out->url = its Endpoints.docker.Host. The context's
 * TLS files (contexts/tls/<sha256 of name>/docker/{ca,cert,key}.pem, each when present) and SkipTLSVerify are
 * registered with docker_tls_register for that URL, so every later docker_new of it speaks TLS with them.
 * "default" is the docker CLI's default context: out->url = "" (DOCKER_HOST, then the usual sockets) and
 * out->name = "". 0, or -1 with one line for a person in err (unknown context, unreadable or malformed
 * meta.json, an ssh:// or empty endpoint); never the contents of a key. */
int docker_context_resolve(const char *name, struct engine_addr *out, char *err, size_t errlen);

/* The context the docker CLI uses when no host is given: DOCKER_CONTEXT, else config.json's currentContext.
 * Writes it to name (empty when neither is set). 0, or -1 with err (unreadable or malformed config.json,
 * name too long). */
int docker_context_current(char *name, size_t len, char *err, size_t errlen);

/* The single-engine path: picks the engine by the documented precedence — --host, then the first --context
 * (LOOKOUT_CONTEXT), then DOCKER_HOST, then DOCKER_CONTEXT / currentContext, then the default sockets — and
 * sets cfg->docker_host to a context's URL (registering its TLS files). Leaves cfg alone when no context
 * applies. More than one --context is an error here (one engine per process on this path). 0, or -1 with err
 * (the caller exits 2, or 3 under check). */
int docker_context_configure(struct config *cfg, char *err, size_t errlen);

#endif
