/* httpd.h — the daemon's embedded HTTP server (libmicrohttpd): the live page, the JSON API, /metrics and
 * /healthz, rendered by web.c from the collector's newest snapshot. It answers GET and HEAD only, bounds
 * connections and request sizes, gives a client 10 s to send a request's headers (then 408 and a close),
 * answers 404 to any path holding a percent escape, and checks the optional bearer token. It never changes
 * monitoring state. */
#ifndef LOOKOUT_HTTPD_H
#define LOOKOUT_HTTPD_H

#include <stddef.h>

#include "collector.h"
#include "config.h"

struct httpd;

/* Starts serving cfg->listen ("ADDR:PORT", "[V6]:PORT" or "off") from libmicrohttpd's own thread, rendering
 * collector_latest(c) (c must outlive the server; no snapshot yet is fine); copts (may be NULL) gives each
 * container's health URL. The token comes from HTTP_TOKEN_FILE, else HTTP_TOKEN, and is never part of a message.
 * Returns 0 with *out set (NULL for "off"); -1 for a configuration error (bad address, unreadable or empty
 * token file: exit 2); 1 when the server cannot start (port taken, ...): monitoring goes on without it.
 * In the last two cases err holds one line for a person. */
int httpd_start(const struct config *cfg, struct collector *c, const struct collector_opts *copts,
                struct httpd **out, char *err, size_t errlen);
/* Stops accepting, finishes the requests in progress and frees the server. NULL is fine. */
void httpd_stop(struct httpd *h);

#endif
