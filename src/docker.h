/* docker.h — a client for the Docker Engine API (also Podman's compatible socket) over a unix socket, tcp, or
 * tcp with TLS and client certificates as the docker CLI uses them. Fetches and parses; never decides or draws.
 * Every call returns 0 or -1 with a message for a person in err. A struct docker is used by one thread at a
 * time; open one per thread. */
#ifndef LOOKOUT_DOCKER_H
#define LOOKOUT_DOCKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "container.h"
#include "sample.h"

struct docker;

/* TLS settings of one engine, as the docker CLI's --tlsverify, --tlscacert, --tlscert and --tlskey. */
struct docker_tls {
	bool verify;          /* check the engine's certificate (against ca_file, else the system's CAs) */
	char ca_file[1024];   /* PEM file of the CA that signed the engine's certificate; "" = none */
	char cert_file[1024]; /* client certificate (PEM); "" = none */
	char key_file[1024];  /* its private key (PEM); only its path is ever shown, never its contents */
	char origin[160];     /* what set these up, for messages: "context \"prod\"", "DOCKER_CERT_PATH=..." */
};

/* Makes every later docker_new (and so watcher, statstream, logs) for this tcp:// or https:// URL speak TLS
 * with these settings, whatever the environment says; for a context's own certificates. Call at start-up,
 * before threads start (later calls are safe but only affect engines opened afterwards). A missing port is
 * 2376, so "tcp://h" and "tcp://h:2376" are the same engine. The files are checked when the engine is
 * opened, not here. 0, or -1 with the reason (not a tcp URL, registry full). */
int docker_tls_register(const char *url, const struct docker_tls *tls, char *err, size_t errlen);
/* Forgets every registration (for tests). */
void docker_tls_clear(void);

/* Where to connect. host_url is "unix:///path", "tcp://host:port", "https://host:port" or NULL/"" for the
 * default: $DOCKER_HOST, else /var/run/docker.sock, else Podman's root (/run/podman/podman.sock) and rootless
 * ($XDG_RUNTIME_DIR/podman/podman.sock) sockets, the first that exists. A tcp:// URL speaks TLS when it was
 * registered with docker_tls_register, or, as the docker CLI, when DOCKER_TLS_VERIFY is non-empty (verify
 * against $DOCKER_CERT_PATH/ca.pem, default ~/.docker) or DOCKER_TLS is (no verification); the client
 * certificate is $DOCKER_CERT_PATH/cert.pem and key.pem when they exist. The default port is then 2376
 * (2375 without TLS). https:// always speaks TLS. Checks that the certificate files can be read (the error
 * names the path); does not connect yet. */
struct docker *docker_new(const char *host_url, char *err, size_t errlen);
/* Whether host_url (DOCKER_HOST: unix:///path, tcp://host:port or https://host:port) is an address
 * docker_new accepts; 0, or -1 with the reason in err. Touches no network and no file (for validating the
 * configuration). */
int docker_host_check(const char *host_url, char *err, size_t errlen);
void docker_free(struct docker *d);

/* The endpoint in use, e.g. "unix:///var/run/docker.sock" (for messages and the CSV host column). */
const char *docker_endpoint(const struct docker *d);
/* Whether requests to this engine go over TLS. */
bool docker_uses_tls(const struct docker *d);

struct docker_version {
	char version[64];     /* engine version, "20.10.24" */
	char api_version[16]; /* "1.41" */
	char os[32];
	char hostname[256];   /* from /info's Name when known, else empty */
	bool oneshot_stats;   /* engine answers stats?stream=false&one-shot=true at once (Engine >= 25) */
};

/* Points a curl easy handle (a CURL *) at path on this engine: URL with the negotiated API version, unix
 * socket or tcp, connect timeout, no signals, plain HTTP only (HTTPS only, with the engine's TLS settings, for a
 * TLS engine). For statstream.c, which runs its own transfers;
 * the caller sets the write callback and any request timeout. path must start with '/'. */
int docker_easy_setup(const struct docker *d, void *easy, const char *path, char *err, size_t errlen);

/* Whether the negotiated engine answers one-shot stats at once (false before docker_negotiate). */
bool docker_oneshot_stats(const struct docker *d);

/* GET /version; negotiates the API version used for every later request (min of ours and the engine's). */
int docker_negotiate(struct docker *d, struct docker_version *out, char *err, size_t errlen);
/* GET /_ping: 0 when the engine answers 200 within 2.5 s, else -1 with a message in err. A cheap liveness
 * check. docker_ping asks on a new connection: it fails when the engine no longer accepts any (shutting down).
 * docker_ping_kept reuses the kept-alive connection when there is one: cheaper for the engine, and enough to
 * tell a hung engine or a vanished host (it does not answer there either). */
int docker_ping(struct docker *d, char *err, size_t errlen);
int docker_ping_kept(struct docker *d, char *err, size_t errlen);

/* GET /containers/json. *out is a malloc'd array of *n entries (only id, name, image, state, labels filled);
 * free each with container_info_free and the array with free. */
int docker_list(struct docker *d, bool all, struct container_info **out, size_t *n, char *err, size_t errlen);

/* GET /containers/{id}/json into *out (caller frees members with container_info_free). 0 on success;
 * DOCKER_NO_SUCH_CONTAINER when the engine answers that there is none (404); -1 on any other failure. */
#define DOCKER_NO_SUCH_CONTAINER (-2)
int docker_inspect(struct docker *d, const char *id, struct container_info *out, char *err, size_t errlen);

/* GET /containers/{id}/stats?stream=false (with one-shot=true when supported) into *out. */
int docker_stats_once(struct docker *d, const char *id, struct sample *out, char *err, size_t errlen);

/* Parsers, exposed for the tests. Each accepts any JSON: missing or odd fields are left zero/NULL,
 * and only a document that is not a JSON object of the expected shape is an error. */
int docker_parse_version(const char *json, size_t len, struct docker_version *out, char *err, size_t errlen);
int docker_parse_list(const char *json, size_t len, struct container_info **out, size_t *n, char *err,
                      size_t errlen);
int docker_parse_inspect(const char *json, size_t len, struct container_info *out, char *err, size_t errlen);
/* One stats document (one line of a stream) into *out; wall_ms from its "read" field, mono_ns left 0.
 * A stopped container's document ("read" is Go's zero time, all counters zero) gives have == 0. */
int docker_parse_stats(const char *json, size_t len, struct sample *out, char *err, size_t errlen);

enum docker_event_action {
	DEV_OTHER = 0,
	DEV_CREATE,
	DEV_START,
	DEV_DIE,
	DEV_STOP,
	DEV_KILL,
	DEV_OOM,
	DEV_HEALTH,  /* health_status: ...; health holds the new status */
	DEV_DESTROY,
	DEV_RENAME,
	DEV_PAUSE,
	DEV_UNPAUSE,
	DEV_RESTART,
	DEV_UPDATE,  /* docker update: limits changed */
};

struct docker_event {
	enum docker_event_action action;
	char id[65];
	char name[256];      /* Actor.Attributes.name (new name for rename), may be empty */
	int64_t time_ns;     /* timeNano, or time*1e9 */
	int exit_code;       /* die: Actor.Attributes.exitCode, else -1 */
	enum container_health health;
};

int docker_parse_event(const char *json, size_t len, struct docker_event *out, char *err, size_t errlen);

/* The /events stream. docker_events_open starts a non-blocking request for container events since
 * since_ns (0 = from now); docker_events_poll waits up to timeout_ms for data and calls cb once per event.
 * Returns 1 while the stream is open, 0 when the engine closed it, -1 on error (reopen with back-off). */
typedef void (*docker_event_cb)(const struct docker_event *ev, void *arg);
struct docker_events;
struct docker_events *docker_events_open(struct docker *d, int64_t since_ns, char *err, size_t errlen);
int docker_events_poll(struct docker_events *ev, int timeout_ms, docker_event_cb cb, void *arg, char *err,
                       size_t errlen);
/* Makes a docker_events_poll that is waiting, or the next one, return at once; callable from any thread while
 * the stream is open. */
void docker_events_wakeup(struct docker_events *ev);
void docker_events_close(struct docker_events *ev);

#endif
