/* logs.h — fetches a container's recent log lines on its own thread, so the UI thread never waits on the
 * network. Read-only: it asks the engine for logs and nothing else. */
#ifndef LOOKOUT_TUI_LOGS_H
#define LOOKOUT_TUI_LOGS_H

#include <stdbool.h>
#include <stddef.h>

struct logs;

/* docker_host as in the config (NULL/"" = default). wake_fd gets one byte when a result is ready. */
struct logs *logs_new(const char *docker_host, int wake_fd, char *err, size_t errlen);
void logs_free(struct logs *l); /* joins the thread; NULL is fine */
/* Asks for the last lines of container id on the engine at engine_url (as snap_engine.endpoint; NULL or ""
 * = logs_new's docker_host); replaces any request not yet answered. 0 or -1 (ENOMEM). */
int logs_request(struct logs *l, const char *engine_url, const char *id);
/* When the answer to the latest request is in: true, with *text (malloc'd, terminal-unsafe: the caller makes
 * it safe when drawing; NULL on failure) and a message in err on failure. */
bool logs_take(struct logs *l, char **text, char *err, size_t errlen);

#endif
