/* config.c — the key table and everything derived from it: parsing of flags, environment, --env-file and the
 * config file with one precedence rule, validation with one-line errors, --help, the man page and the example
 * config. It only reads settings; acting on them is the caller's job. */
#include "autoconfig.h"
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "alert.h"
#include "docker.h"
#include "dockerctx.h"
#include "email.h"
#include "log.h"
#include "engines.h"
#include "report.h"
#include "silence.h"
#include "util.h"

/* Fixed, not $(sysconfdir): the documented place, the same for every build (and in the man page). */
#define DEFAULT_CONFIG_FILE "/etc/lookout.conf"

extern char **environ;

enum key_type { T_SECONDS, T_INT, T_BOOL, T_ENUM, T_LIST, T_PATH, T_STRING };
static const char *const type_names[] = {"seconds", "int", "bool", "enum", "list", "path", "string"};

struct key {
	const char *name;  /* environment and config-file name */
	const char *flag;  /* long option, without dashes; NULL: a secret, set only by the environment or a file
	                    * (so it never shows in ps) and never echoed in an error */
	int short_flag;    /* 0 = none */
	enum key_type type;
	const char *def;   /* default, as text */
	double min, max;   /* for T_SECONDS and T_INT */
	const char *choices; /* for T_ENUM: "a|b|c"; the index is stored */
	const char *metavar;
	const char *help;
	size_t offset; /* into struct config */
};
/* A key without a flag (flag NULL) is a secret or names one: it can only come from the environment or a
 * file (never ps), and its value is never echoed in an error. */

#define OFF(f) offsetof(struct config, f)

/* The one table. Keep the original system's names (MONITOR_INTERVAL, …) where it had one. */
static const struct key keys[] = {
	{"MONITOR_INTERVAL", "interval", 'i', T_SECONDS, "2", 0.1, 3600, NULL, "SECONDS",
	 "Sampling period: how often every watched container is measured.", OFF(interval_s)},
	{"DOCKER_HOST", "docker-host", 0, T_STRING, "", 0, 0, NULL, "URL",
	 "Docker engine to watch: unix:///path/to/docker.sock or tcp://host:port. Empty: DOCKER_HOST's usual "
	 "default, /var/run/docker.sock, then Podman's root and rootless sockets. Not used when --host "
	 "(LOOKOUT_HOSTS) names engines.",
	 OFF(docker_host)},
	{"LOOKOUT_SOURCE", "source", 0, T_ENUM, "auto", 0, 0, "auto|cgroup|api", "SOURCE",
	 "Where container counters come from: cgroup reads the kernel's files (cheapest, local engines only), api "
	 "asks the engine's stats API, auto uses cgroup files when readable and the API otherwise.",
	 OFF(source)},
	{"LOOKOUT_HOST_ROOT", "host-root", 0, T_PATH, "", 0, 0, NULL, "DIR",
	 "Prefix for the host's /proc and /sys when lookout runs in a container with them mounted (e.g. /host).",
	 OFF(host_root)},
	{"LOOKOUT_OUTPUT_DIR", "output-dir", 'o', T_PATH, "logs", 0, 0, NULL, "DIR",
	 "Directory of metrics.csv and container_monitor.log (daemon mode); created if missing.", OFF(output_dir)},
	{"LOOKOUT_ALL", "all", 'a', T_BOOL, "false", 0, 0, NULL, NULL,
	 "Also watch containers that were already stopped when lookout started.", OFF(all)},
	{"LOOKOUT_CONTAINERS", "container", 'c', T_LIST, "", 0, 0, NULL, "NAME",
	 "Watch only these containers (by name or id); the flag repeats, the variable takes a comma list.",
	 OFF(containers)},
	{"LOOKOUT_LABEL_ENABLE", "label-enable", 0, T_BOOL, "false", 0, 0, NULL, NULL,
	 "Watch only containers labelled lookout.enable=true.", OFF(label_enable)},
	{"LOOKOUT_PROBES", "probe", 0, T_LIST, "", 0, 0, NULL, "NAME=URL",
	 "Health URL of a container (http:// or https://), probed every interval; wins over the container's "
	 "lookout.url label. The flag repeats, the variable takes a comma list (so a URL here cannot hold a comma; "
	 "use the label for that).",
	 OFF(probes)},
	{"LOOKOUT_PROBE_TIMEOUT", "probe-timeout", 0, T_SECONDS, "5", 0.1, 300, NULL, "SECONDS",
	 "How long an HTTP probe may take, connecting included, before it counts as failed (timeout).",
	 OFF(probe_timeout_s)},
	{"CPU_THRESHOLD", "cpu-threshold", 0, T_INT, "40", 1, 100000, NULL, "PERCENT",
	 "high_cpu alert above this CPU % (100 = one core, as docker stats shows it). Per container: label "
	 "lookout.cpu_threshold.",
	 OFF(cpu_threshold)},
	{"CPU_THRESHOLD_BASIS", "cpu-threshold-basis", 0, T_ENUM, "docker", 0, 0, "docker|limit", "BASIS",
	 "What CPU_THRESHOLD is compared with: docker (the CPU % of docker stats) or limit (% of the container's "
	 "own CPU limit).",
	 OFF(cpu_threshold_basis)},
	{"MEMORY_THRESHOLD", "memory-threshold", 0, T_INT, "80", 1, 100, NULL, "PERCENT",
	 "high_memory alert above this % of the container's memory limit (host memory when unlimited). Per "
	 "container: label lookout.memory_threshold.",
	 OFF(memory_threshold)},
	{"RESPONSE_TIME_THRESHOLD", "response-time-threshold", 0, T_INT, "1000", 1, 3600000, NULL, "MS",
	 "slow_response alert when the HTTP probe takes longer than this many milliseconds. Per container: label "
	 "lookout.response_time_threshold.",
	 OFF(response_time_threshold)},
	{"LOOKOUT_CPU_HYSTERESIS", "cpu-hysteresis", 0, T_INT, "5", 0, 100000, NULL, "POINTS",
	 "A firing high_cpu alert resolves only when CPU falls this many points below its threshold, so a value "
	 "sitting on the threshold does not flap.",
	 OFF(cpu_hysteresis)},
	{"LOOKOUT_MEMORY_HYSTERESIS", "memory-hysteresis", 0, T_INT, "5", 0, 100, NULL, "POINTS",
	 "A firing high_memory alert resolves only this many points below its threshold.", OFF(memory_hysteresis)},
	{"LOOKOUT_RESPONSE_HYSTERESIS", "response-hysteresis", 0, T_INT, "200", 0, 3600000, NULL, "MS",
	 "A firing slow_response alert resolves only this many milliseconds below its threshold.",
	 OFF(response_hysteresis)},
	{"LOOKOUT_ALERT_FOR", "alert-for", 0, T_SECONDS, "30", 0, 86400, NULL, "SECONDS",
	 "How long high_cpu, high_memory or slow_response must hold before the alert fires (one spike does not), "
	 "and how long the value must stay below threshold minus hysteresis before it resolves.",
	 OFF(alert_for_s)},
	{"LOOKOUT_DOWN_FOR", "down-for", 0, T_SECONDS, "0", 0, 86400, NULL, "SECONDS",
	 "How long a container must be down (not running) before container_down fires.", OFF(down_for_s)},
	{"LOOKOUT_HEALTH_FOR", "health-for", 0, T_SECONDS, "0", 0, 86400, NULL, "SECONDS",
	 "How long a running container must fail its HEALTHCHECK or HTTP probe before health_failed fires.",
	 OFF(health_for_s)},
	{"LOOKOUT_RESTART_LOOP_COUNT", "restart-loop-count", 0, T_INT, "3", 1, 64, NULL, "N",
	 "restart_loop alert when a container restarts this many times within LOOKOUT_RESTART_LOOP_WINDOW.",
	 OFF(restart_loop_count)},
	{"LOOKOUT_RESTART_LOOP_WINDOW", "restart-loop-window", 0, T_SECONDS, "300", 1, 86400, NULL, "SECONDS",
	 "The window of the restart_loop alert.", OFF(restart_loop_window_s)},
	{"LOOKOUT_CHECK_JSON", "json", 0, T_BOOL, "false", 0, 0, NULL, NULL,
	 "lookout check: print the result as JSON instead of a table.", OFF(check_json)},
	{"LOOKOUT_LIST_INTERVAL", "list-interval", 0, T_SECONDS, "300", 1, 86400, NULL, "SECONDS",
	 "How often the whole container list is fetched to heal events the stream missed (the stream is the "
	 "source; after a reconnect every container is listed and inspected at once).", OFF(list_interval_s)},
	{"LOOKOUT_STATUS_EVERY", "status-every", 0, T_INT, "5", 0, 1000000, NULL, "TICKS",
	 "Daemon: print one status line per container on standard output every this many ticks (0: never).",
	 OFF(status_every)},
	{"LOOKOUT_LOG_LEVEL", "log-level", 0, T_ENUM, "info", 0, 0, "error|warn|info|debug", "LEVEL",
	 "Least severe message written to the log.", OFF(log_level)},
	{"LOOKOUT_LOG_FILE", "log-file", 0, T_PATH, "", 0, 0, NULL, "FILE",
	 "Log file. Empty: OUTPUT_DIR/container_monitor.log in daemon mode, $XDG_STATE_HOME/lookout/lookout.log "
	 "(~/.local/state/lookout/lookout.log) under the dashboard, standard error otherwise.",
	 OFF(log_file)},
	{"LOOKOUT_COLOR", "color", 0, T_ENUM, "auto", 0, 0, "auto|always|never", "WHEN",
	 "Colour on standard output: auto (only on a terminal, and not when NO_COLOR is set), always or never.",
	 OFF(color)},
	{"LOOKOUT_ASCII", "ascii", 0, T_BOOL, "false", 0, 0, NULL, NULL,
	 "Dashboard: draw with plain ASCII characters only (the default follows the locale: UTF-8 block and "
	 "line glyphs when its codeset is UTF-8).",
	 OFF(ascii)},
	{"LOOKOUT_NO_COLOR", "no-color", 0, T_BOOL, "false", 0, 0, NULL, NULL,
	 "Dashboard: no colour, only bold, dim and reverse (as the NO_COLOR variable does; same as --color never).",
	 OFF(no_color)},
	{"LOOKOUT_GAUGE_WARN", "gauge-warn", 0, T_INT, "60", 1, 100, NULL, "PERCENT",
	 "Dashboard: CPU and memory gauges turn yellow (and show a warning mark) from this percent.",
	 OFF(gauge_warn)},
	{"LOOKOUT_GAUGE_CRIT", "gauge-crit", 0, T_INT, "80", 1, 100, NULL, "PERCENT",
	 "Dashboard: CPU and memory gauges turn red (and show a critical mark) from this percent.",
	 OFF(gauge_crit)},
	/* ---- email alerts (the alert service: `lookout notify`, and the notifier thread of --daemon) ---- */
	{"NOTIFY", "notify", 0, T_BOOL, "true", 0, 0, NULL, NULL,
	 "Daemon: email alert transitions from its own alert log (a notifier thread). Set false when a separate "
	 "`lookout notify` process (the compose stack's alert-service) sends them, so no alert is emailed twice.",
	 OFF(notify)},
	{"BUFFER_TIMEOUT", "buffer-timeout", 0, T_SECONDS, "60", 0, 86400, NULL, "SECONDS",
	 "Alerts that fire within this many seconds go out as one email; an alert that fires and resolves within "
	 "it sends nothing. Critical alerts (container down, health check failing, OOM kill, restart loop) skip it.",
	 OFF(buffer_timeout_s)},
	{"ALERT_COOLDOWN", "alert-cooldown", 0, T_SECONDS, "300", 0, 604800, NULL, "SECONDS",
	 "Least time before the same alert of the same container is emailed as firing again.", OFF(alert_cooldown_s)},
	{"CHECK_INTERVAL", "check-interval", 0, T_SECONDS, "30", 0.1, 86400, NULL, "SECONDS",
	 "Alert service: how often the alert log is polled when inotify is unavailable or misses a change.",
	 OFF(check_interval_s)},
	{"NOTIFY_RESOLVED", "notify-resolved", 0, T_BOOL, "true", 0, 0, NULL, NULL,
	 "Also email when an alert resolves.", OFF(notify_resolved)},
	{"AWS_REGION", "aws-region", 0, T_STRING, "", 0, 0, NULL, "REGION",
	 "Amazon SES region (e.g. eu-central-1): mail goes to email-smtp.REGION.amazonaws.com:587 with STARTTLS, "
	 "user AWS_ACCESS_KEY_ID and the SMTP password derived from AWS_SECRET_ACCESS_KEY.",
	 OFF(aws_region)},
	{"AWS_ACCESS_KEY_ID", "aws-access-key-id", 0, T_STRING, "", 0, 0, NULL, "ID",
	 "SES SMTP user: the access key id of an IAM user allowed ses:SendRawEmail.", OFF(aws_access_key_id)},
	{"AWS_SECRET_ACCESS_KEY", NULL, 0, T_STRING, "", 0, 0, NULL, NULL,
	 "Secret access key of that IAM user (environment, --env-file or config file only; never printed).",
	 OFF(aws_secret_access_key)},
	{"AWS_SECRET_ACCESS_KEY_FILE", NULL, 0, T_PATH, "", 0, 0, NULL, NULL,
	 "File holding AWS_SECRET_ACCESS_KEY (Docker secrets); used when the variable itself is empty.",
	 OFF(aws_secret_access_key_file)},
	{"SMTP_HOST", "smtp-host", 0, T_STRING, "", 0, 0, NULL, "HOST",
	 "SMTP relay host; overrides the SES host of AWS_REGION.", OFF(smtp_host)},
	{"SMTP_PORT", "smtp-port", 0, T_INT, "587", 1, 65535, NULL, "PORT",
	 "SMTP port. STARTTLS only (587 or 2587 for SES): implicit TLS on 465 is refused.", OFF(smtp_port)},
	{"SMTP_USERNAME", "smtp-username", 0, T_STRING, "", 0, 0, NULL, "USER",
	 "SMTP user; overrides AWS_ACCESS_KEY_ID. Empty with no AWS key: no AUTH.", OFF(smtp_username)},
	{"SMTP_PASSWORD", NULL, 0, T_STRING, "", 0, 0, NULL, NULL,
	 "SMTP password; overrides the SES password (environment, --env-file or config file only; never printed).",
	 OFF(smtp_password)},
	{"SMTP_PASSWORD_FILE", NULL, 0, T_PATH, "", 0, 0, NULL, NULL,
	 "File holding SMTP_PASSWORD (Docker secrets); used when the variable itself is empty.",
	 OFF(smtp_password_file)},
	{"SMTP_TLS", "smtp-tls", 0, T_ENUM, "starttls", 0, 0, "starttls|off", "MODE",
	 "starttls: require STARTTLS and a certificate valid for the host; off: plain SMTP (only for a relay on a "
	 "trusted network).",
	 OFF(smtp_tls)},
	{"SMTP_CA_FILE", "smtp-ca-file", 0, T_PATH, "", 0, 0, NULL, "FILE",
	 "PEM file of a CA to trust for the SMTP server's certificate, besides the system's.", OFF(smtp_ca_file)},
	{"SMTP_TIMEOUT", "smtp-timeout", 0, T_SECONDS, "60", 1, 3600, NULL, "SECONDS",
	 "Longest one delivery attempt may take (DNS, connect, TLS, AUTH and data); then it counts as a temporary "
	 "failure and is retried.",
	 OFF(smtp_timeout_s)},
	{"SENDER_EMAIL", "sender-email", 0, T_STRING, "", 0, 0, NULL, "ADDRESS",
	 "From address of alert emails (an SES-verified identity).", OFF(sender_email)},
	{"RECIPIENT_EMAILS", "recipient-emails", 0, T_STRING, "", 0, 0, NULL, "ADDRESSES",
	 "Comma-separated recipients of alert emails; more than 50 are split into several messages.",
	 OFF(recipient_emails)},
	{"PUBLIC_URL", "public-url", 0, T_STRING, "", 0, 0, NULL, "URL",
	 "Base URL of lookout's HTTP report, linked from each alert in an email (empty: no link).", OFF(public_url)},
	{"LOOKOUT_SILENCES_FILE", "silences-file", 0, T_PATH, "", 0, 0, NULL, "FILE",
	 "Silences (maintenance windows) written by `lookout silence` and read by the notifier. Empty: silences "
	 "beside the alert log.",
	 OFF(silences_file)},
	{"LOOKOUT_NOTIFY_STATE", "notify-state", 0, T_PATH, "", 0, 0, NULL, "FILE",
	 "The notifier's state file (read position, what was emailed, messages not yet accepted). Empty: "
	 ".lookout-notify.state beside the alert log. It is replaced after every change, so a restart skips no "
	 "alert; an email comes twice (with the same Message-ID) only when the process dies (SIGKILL, crash) or "
	 "a stop outlasts its 5 s grace while the server is accepting that email: at most one per such stop.",
	 OFF(notify_state)},
	{"LOOKOUT_NOTIFY_FOLLOW", "follow", 0, T_PATH, "", 0, 0, NULL, "FILE",
	 "lookout notify: the alert log to follow. Empty: OUTPUT_DIR/container_alerts.log.", OFF(notify_follow)},
	{"LOOKOUT_NOTIFY_TEST", "test", 0, T_BOOL, "false", 0, 0, NULL, NULL,
	 "lookout notify: send one test email with the current settings, say what worked or what to fix, and exit.",
	 OFF(notify_test)},
	{"LOOKOUT_NOTIFY_HEALTH", "health", 0, T_BOOL, "false", 0, 0, NULL, NULL,
	 "lookout notify: exit 0 when a notifier is running on this alert log's state file and its loop went round "
	 "within the last two minutes, 1 otherwise, saying which (for a container's health check).",
	 OFF(notify_health)},
	{"LOOKOUT_SILENCE_ALERT", "alert", 0, T_STRING, "", 0, 0, NULL, "KIND",
	 "lookout silence: the alert kind to mute (container_down, health_failed, oom, restart_loop, high_cpu, "
	 "high_memory, slow_response); empty: every kind.",
	 OFF(silence_alert)},
	{"LOOKOUT_SILENCE_FOR", "for", 0, T_STRING, "", 0, 0, NULL, "DURATION|TIME",
	 "lookout silence: how long (90s, 30m, 2h, 1d) or until when (2026-11-24T18:00:00Z) to mute. Without it, "
	 "lookout silence lists the active silences.",
	 OFF(silence_for)},
	/* ---- HTTP server (daemon) and lookout report (issue 6) ---- */
	{"LOOKOUT_LISTEN", "listen", 0, T_STRING, "127.0.0.1:8000", 0, 0, NULL, "ADDR:PORT",
	 "Daemon: where the HTTP server listens (the live page /, /api/snapshot.json, /api/history.json, "
	 "/api/alerts.json, /metrics, /healthz): ADDR:PORT, [IPv6]:PORT, or off. If the port cannot be bound the "
	 "daemon says why and keeps monitoring without it.",
	 OFF(listen)},
	{"HTTP_TOKEN", NULL, 0, T_STRING, "", 0, 0, NULL, "TOKEN",
	 "Daemon: bearer token the HTTP server requires (Authorization: Bearer TOKEN) for everything but /healthz. "
	 "Environment or config file only, never a flag, so it stays out of ps. Empty: no token.",
	 OFF(http_token)},
	{"HTTP_TOKEN_FILE", NULL, 0, T_PATH, "", 0, 0, NULL, "FILE",
	 "Daemon: read the HTTP bearer token from this file (e.g. a Docker secret); wins over HTTP_TOKEN.",
	 OFF(http_token_file)},
	{"LOOKOUT_REPORT_SINCE", "since", 0, T_STRING, "", 0, 0, NULL, "TIME",
	 "lookout report: only records from this time on: ISO 8601 (2026-11-24T05:00:00Z, 2026-11-24 05:00, "
	 "2026-11-24; UTC unless an offset is given) or relative to now (-2h, 1d, 30m, 90s, 1w). Empty: from the "
	 "oldest record.",
	 OFF(report_since)},
	{"LOOKOUT_REPORT_UNTIL", "until", 0, T_STRING, "", 0, 0, NULL, "TIME",
	 "lookout report: only records before this time (same forms as --since). Empty: to the newest record.",
	 OFF(report_until)},
	{"LOOKOUT_REPORT_HTML", "html", 0, T_PATH, "", 0, 0, NULL, "FILE",
	 "lookout report: write the self-contained HTML report here. Empty: OUTPUT_DIR/report.html; none: no HTML.",
	 OFF(report_html)},
	/* PostgreSQL sink (issue 7; pgsink.c) */
	{"LOOKOUT_PG_URL", "pg", 0, T_STRING, "", 0, 0, NULL, "CONNINFO",
	 "Daemon: also write every sample and alert transition to this PostgreSQL database, a libpq connection "
	 "string (\"host=db dbname=lookout user=lookout\" or postgresql://lookout@db/lookout). It may not hold a "
	 "password (that would show in ps): use PGPASSWORD, PGPASSFILE or LOOKOUT_PG_URL_FILE. The tables are "
	 "created if missing. Empty: no database.",
	 OFF(pg_url)},
	{"LOOKOUT_PG_URL_FILE", "pg-url-file", 0, T_PATH, "", 0, 0, NULL, "FILE",
	 "Daemon: read the PostgreSQL connection string from this file instead (a Docker secret); it may hold "
	 "the password.",
	 OFF(pg_url_file)},
	{"LOOKOUT_PG_BUFFER", "pg-buffer", 0, T_INT, "50000", 1, 10000000, NULL, "ROWS",
	 "Daemon: rows kept in memory while the database is unreachable or slow (about 300 bytes each). When it "
	 "is full the oldest rows are dropped, and the log says exactly how many.",
	 OFF(pg_buffer_rows)},
	/* ---- several engines in one process (issue 10; engines.c) ---- */
	{"LOOKOUT_HOSTS", "host", 'H', T_LIST, "", 0, 0, NULL, "[NAME=]URL",
	 "Docker engines to watch, in this order: unix:///path/to/docker.sock or tcp://host:port, each optionally "
	 "labelled NAME= (letters, digits, '.', '_', '-', ':'); the flag repeats, the variable takes a comma list. "
	 "Given, DOCKER_HOST is not used. The label is the host of the engine's containers in the CSV, the alert "
	 "log, emails, JSON and /metrics. Without NAME it is the host name the engine reports, fixed when the "
	 "engine first answers (with several engines: its address when it reports none, and NAME@ADDRESS when "
	 "another engine already has that label). Empty: the one engine of DOCKER_HOST.",
	 OFF(hosts)},
	/* ---- docker CLI contexts (issue 10; dockerctx.c) ---- */
	{"LOOKOUT_CONTEXT", "context", 0, T_LIST, "", 0, 0, NULL, "NAME",
	 "Watch the engine of this docker CLI context (docker context ls), with its TLS certificates, from the "
	 "CLI's store ($DOCKER_CONFIG or ~/.docker). The engine is chosen by: --host, then --context, then "
	 "DOCKER_HOST, then DOCKER_CONTEXT or the CLI's current context (docker context use), then the usual "
	 "sockets; the context \"default\" means DOCKER_HOST or the sockets. For tcp:// engines without a context, "
	 "DOCKER_TLS_VERIFY and DOCKER_CERT_PATH (ca.pem, cert.pem, key.pem; default ~/.docker) turn TLS on as "
	 "in the docker CLI.",
	 OFF(contexts)},
	/* The dashboard attached to a daemon (issue 10; remote.c) */
	{"LOOKOUT_CONNECT", "connect", 0, T_STRING, "", 0, 0, NULL, "URL",
	 "Dashboard: draw the screen from a running lookout daemon's HTTP API (http://HOST:PORT, its LISTEN "
	 "address) instead of watching an engine, so the sparklines and timelines start with the daemon's history "
	 "and one daemon serves many viewers. The token comes from LOOKOUT_CONNECT_TOKEN(_FILE), else HTTP_TOKEN"
	 "(_FILE). Empty: watch the engine.",
	 OFF(connect)},
	{"LOOKOUT_CONNECT_TOKEN", NULL, 0, T_STRING, "", 0, 0, NULL, "TOKEN",
	 "Dashboard with --connect: the bearer token the daemon's HTTP server requires (its HTTP_TOKEN). "
	 "Environment or config file only, never a flag, so it stays out of ps.",
	 OFF(connect_token)},
	{"LOOKOUT_CONNECT_TOKEN_FILE", "connect-token-file", 0, T_PATH, "", 0, 0, NULL, "FILE",
	 "Dashboard with --connect: read that token from this file instead; wins over LOOKOUT_CONNECT_TOKEN.",
	 OFF(connect_token_file)},
	/* ---- many daemons into one PostgreSQL, report --from-pg, notifier HA (issue 10; pgsink.c, reportpg.c,
	 * notifyha.c) ---- */
	{"LOOKOUT_PG_RETENTION", "pg-retention", 0, T_STRING, "0", 0, 0, NULL, "DURATION",
	 "Daemon: delete rows older than this from the PostgreSQL tables (90d, 2w, 36h; 0: keep everything). One "
	 "daemon at a time does it (an advisory lock), at start and then every 5 minutes, in batches of 5000 rows "
	 "so that inserts never wait long.",
	 OFF(pg_retention)},
	{"LOOKOUT_REPORT_PG", "from-pg", 0, T_BOOL, "false", 0, 0, NULL, NULL,
	 "lookout report: read the history of every host from the PostgreSQL database (LOOKOUT_PG_URL or "
	 "LOOKOUT_PG_URL_FILE) instead of OUTPUT_DIR's files; containers are named HOST/NAME. Exit status 1 when "
	 "the database cannot be reached or holds no lookout tables. `lookout report --pg CONNINFO` implies it: "
	 "a database named on report's command line is the one to read.",
	 OFF(report_pg)},
	{"LOOKOUT_REPORT_HOST", "report-host", 0, T_STRING, "", 0, 0, NULL, "HOSTS",
	 "lookout report --from-pg: only these hosts (comma-separated host labels, as in the host column). Empty: "
	 "every host.",
	 OFF(report_hosts)},
	{"LOOKOUT_NOTIFY_HA", "notify-ha", 0, T_ENUM, "off", 0, 0, "off|pg", "MODE",
	 "Email alerts from two or more lookouts watching the same engines, without duplicates: pg makes only the "
	 "instance holding a PostgreSQL advisory lock (on the database of LOOKOUT_PG_URL / LOOKOUT_PG_URL_FILE) "
	 "send, records every email in that database, and lets a standby take over within seconds when the "
	 "active one dies. off: every instance sends on its own.",
	 OFF(notify_ha)},
	{"LOOKOUT_NOTIFY_HA_GROUP", "notify-ha-group", 0, T_STRING, "lookout", 0, 0, NULL, "NAME",
	 "With LOOKOUT_NOTIFY_HA=pg: instances with the same group name share one lock (one of them sends); use "
	 "another name for another set of engines sharing the database.",
	 OFF(notify_ha_group)},
};
#define NKEYS ARRAY_LEN(keys)

enum layer { L_DEFAULT = 0, L_FILE, L_ENVFILE, L_ENV, L_FLAG };
static const char *const layer_names[] = {"default", "config file", "env file", "environment", "command line"};

struct pending {
	char *value[NKEYS];
	enum layer from[NKEYS];
	char *where[NKEYS]; /* "FILE:LINE" for file layers */
	struct buf list[NKEYS]; /* flags of T_LIST accumulate */
	bool list_set[NKEYS];
};

size_t config_key_count(void) { return NKEYS; }
const char *config_key_name(size_t i) { return i < NKEYS ? keys[i].name : NULL; }
const char *config_key_flag(size_t i) { return i < NKEYS ? keys[i].flag : NULL; }
const char *config_key_type(size_t i) { return i < NKEYS ? type_names[keys[i].type] : NULL; }
const char *config_key_choices(size_t i) { return i < NKEYS ? keys[i].choices : NULL; }
const char *config_key_default(size_t i) { return i < NKEYS ? keys[i].def : NULL; }
void config_key_range(size_t i, double *min, double *max)
{
	bool ranged = i < NKEYS && (keys[i].type == T_SECONDS || keys[i].type == T_INT);
	*min = ranged ? keys[i].min : 0;
	*max = ranged ? keys[i].max : 0;
}

static int key_by_name(const char *name)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (strcmp(keys[i].name, name) == 0)
			return (int)i;
	return -1;
}

/* Compose files often quote values ("40" or '40'): strip one pair of matching quotes. */
static char *unquote_dup(const char *v)
{
	size_t n = strlen(v);
	if (n >= 2 && (v[0] == '"' || v[0] == '\'') && v[n - 1] == v[0])
		return strndup(v + 1, n - 2);
	return strdup(v);
}

static int set_layer(struct pending *p, int k, enum layer from, const char *value, const char *where)
{
	char *v = unquote_dup(value);
	char *w = where ? strdup(where) : NULL;
	if (!v || (where && !w)) {
		free(v);
		free(w);
		return -1;
	}
	free(p->value[k]);
	free(p->where[k]);
	p->value[k] = v;
	p->where[k] = w;
	p->from[k] = from;
	return 0;
}

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
		s[--n] = '\0';
	return s;
}

/* Reads "KEY = value" (config file) or "KEY=value" (env file, with optional "export ") lines. Unknown keys
 * are an error in the config file (a typo must not pass silently) and ignored in an env file, which is
 * shared with the other services of a compose stack. */
static int read_kv_file(struct pending *p, const char *path, enum layer from, char *err, size_t errlen)
{
	char *text = read_file(path, NULL);
	if (!text) {
		snprintf(err, errlen, "cannot read %s %s: %s", from == L_FILE ? "config file" : "env file", path,
		         strerror(errno));
		return -1;
	}
	int rc = 0, lineno = 0;
	/* Line by line with strchr, not strtok: blank lines must count for the line numbers in messages. */
	for (char *line = text, *next; line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		lineno++;
		char *s = trim(line);
		if (*s == '\0' || *s == '#')
			continue;
		if (from == L_ENVFILE && strncmp(s, "export ", 7) == 0)
			s = trim(s + 7);
		char *eq = strchr(s, '=');
		if (!eq) {
			/* Only the first word: the rest of a malformed line may be a secret ("SMTP_PASSWORD hunter2"). */
			struct buf shown;
			buf_init(&shown);
			buf_term_safe(&shown, s, strcspn(s, " \t") < 60 ? strcspn(s, " \t") : 60);
			snprintf(err, errlen, "%s:%d: expected KEY=value, got a line starting \"%s\"%s", path, lineno,
			         shown.data ? shown.data : "", s[strcspn(s, " \t")] ? " (the rest not shown)" : "");
			buf_free(&shown);
			rc = -1;
			break;
		}
		*eq = '\0';
		char *name = trim(s), *value = trim(eq + 1);
		/* An unquoted value may carry a trailing " # comment". */
		if (value[0] != '"' && value[0] != '\'') {
			char *hash = strstr(value, " #");
			if (hash) {
				*hash = '\0';
				value = trim(value);
			}
		}
		int k = key_by_name(name);
		if (k < 0) {
			if (from == L_ENVFILE)
				continue;
			/* The name is the file's text: control characters must not reach the terminal. */
			struct buf shown;
			buf_init(&shown);
			buf_term_safe(&shown, name, 60);
			snprintf(err, errlen, "%s:%d: unknown key %s (see lookout --help for the keys)", path, lineno,
			         shown.data ? shown.data : "");
			buf_free(&shown);
			rc = -1;
			break;
		}
		char where[4200];
		snprintf(where, sizeof where, "%s:%d", path, lineno);
		if (set_layer(p, k, from, value, where)) {
			snprintf(err, errlen, "out of memory");
			rc = -1;
			break;
		}
	}
	free(text);
	return rc;
}

/* ---- formats of text keys (badinput, issue 9) ----
 * The types above say "text"; some keys hold text with a shape (an address, a duration, a URL). A value of
 * the wrong shape is refused here, at load time and in every mode, with the same one-line message as a bad
 * number, instead of surfacing later (or never) in the module that uses it. Each check reuses that module's
 * own parser. */
static bool fmt_docker_host(const char *v)
{
	char why[256];
	return !*v || docker_host_check(v, why, sizeof why) == 0;
}

/* Syntax only (names are resolved when the server starts): ADDR:PORT, [V6]:PORT, :PORT, or off. */
static bool fmt_listen(const char *v)
{
	if (strcasecmp(v, "off") == 0)
		return true;
	const char *colon;
	if (v[0] == '[') {
		const char *close = strchr(v, ']');
		if (!close || close == v + 1 || close[1] != ':')
			return false;
		colon = close + 1;
	} else {
		colon = strrchr(v, ':');
		if (!colon || memchr(v, ':', (size_t)(colon - v)) || strpbrk(v, " /@"))
			return false;
	}
	int64_t port;
	return parse_int64(colon + 1, &port) == 0 && port >= 1 && port <= 65535;
}

static bool fmt_nonempty(const char *v) { return *v != '\0'; }

static bool fmt_region(const char *v)
{
	return strlen(v) <= 40 && strspn(v, "abcdefghijklmnopqrstuvwxyz0123456789-") == strlen(v);
}

static bool fmt_host_name(const char *v) { return strlen(v) < 256 && !strpbrk(v, " /@"); }

static bool fmt_email(const char *v) { return !*v || email_address_valid(v); }

static bool fmt_email_list(const char *v)
{
	char *copy = strdup(v), *save = NULL;
	bool good = copy != NULL;
	for (char *t = copy ? strtok_r(copy, ",", &save) : NULL; t && good; t = strtok_r(NULL, ",", &save)) {
		t = trim(t);
		good = !*t || email_address_valid(t);
	}
	free(copy);
	return good;
}

static bool fmt_http_url(const char *v)
{
	return !*v || ((strncasecmp(v, "http://", 7) == 0 && v[7]) || (strncasecmp(v, "https://", 8) == 0 && v[8]));
}

static bool fmt_alert_kind(const char *v)
{
	enum alert_kind k;
	return !*v || strcmp(v, "*") == 0 || alert_kind_parse(v, &k) == 0;
}

static bool fmt_silence_for(const char *v)
{
	int64_t until;
	return !*v || silence_parse_until(v, now_wall_ms(), &until) == 0;
}

static bool fmt_report_time(const char *v)
{
	int64_t t;
	return !*v || report_parse_time(v, now_wall_ms(), &t) == 0;
}

static bool fmt_pg_retention(const char *v)
{
	int64_t ms;
	return config_parse_retention(v, &ms) == 0;
}

static const struct {
	size_t offset;
	bool (*ok)(const char *v);
	const char *expected;
} formats[] = {
	{OFF(docker_host), fmt_docker_host, "unix:///path/to/docker.sock or tcp://host:port (or empty)"},
	{OFF(listen), fmt_listen, "ADDR:PORT (127.0.0.1:8000, 0.0.0.0:8000, [::1]:8000) or off"},
	{OFF(output_dir), fmt_nonempty, "a directory (not empty)"},
	{OFF(aws_region), fmt_region, "a region such as eu-central-1 (lower-case letters, digits and dashes)"},
	{OFF(smtp_host), fmt_host_name, "a host name or address"},
	{OFF(sender_email), fmt_email, "an email address"},
	{OFF(recipient_emails), fmt_email_list, "comma-separated email addresses"},
	{OFF(public_url), fmt_http_url, "an http:// or https:// URL"},
	{OFF(silence_alert), fmt_alert_kind,
	 "an alert kind (container_down, health_failed, oom, restart_loop, high_cpu, high_memory, slow_response)"},
	{OFF(silence_for), fmt_silence_for, "a duration up to a year (90s, 30m, 2h, 1d) or a time (2026-11-24T18:00:00Z)"},
	{OFF(report_since), fmt_report_time, "an ISO 8601 time (2026-11-24T05:00:00Z) or a relative one (-2h, 1d)"},
	{OFF(report_until), fmt_report_time, "an ISO 8601 time (2026-11-24T05:00:00Z) or a relative one (-2h, 1d)"},
	{OFF(connect), fmt_http_url, "a lookout daemon's http:// or https:// address (http://127.0.0.1:8000)"},
	{OFF(pg_retention), fmt_pg_retention, "0 (keep everything) or a duration (90d, 2w, 36h, 30m)"},
	{OFF(notify_ha_group), fmt_nonempty, "a name (not empty)"},
};

/* 0, or -1 with what is allowed in expected. */
static int check_format(const struct key *k, const char *v, char *expected, size_t len)
{
	for (size_t i = 0; i < ARRAY_LEN(formats); i++)
		if (formats[i].offset == k->offset && !formats[i].ok(v)) {
			snprintf(expected, len, "%s", formats[i].expected);
			return -1;
		}
	return 0;
}

static void describe_allowed(const struct key *k, char *out, size_t len)
{
	switch (k->type) {
	case T_SECONDS:
		snprintf(out, len, "a number of seconds from %g to %g", k->min, k->max);
		break;
	case T_INT:
		snprintf(out, len, "a whole number from %g to %g", k->min, k->max);
		break;
	case T_BOOL:
		snprintf(out, len, "true or false (also yes/no, on/off, 1/0)");
		break;
	case T_ENUM:
		snprintf(out, len, "one of %s", k->choices);
		break;
	case T_PATH:
	case T_LIST:
	case T_STRING:
		snprintf(out, len, "text without control characters");
		for (size_t i = 0; i < ARRAY_LEN(formats); i++)
			if (formats[i].offset == k->offset)
				snprintf(out, len, "%s", formats[i].expected);
		break;
	}
}

static int enum_index(const char *choices, const char *v)
{
	int idx = 0;
	size_t vl = strlen(v);
	const char *p = choices;
	while (*p) {
		const char *bar = strchr(p, '|');
		size_t n = bar ? (size_t)(bar - p) : strlen(p);
		if (n == vl && strncasecmp(p, v, n) == 0)
			return idx;
		idx++;
		if (!bar)
			break;
		p = bar + 1;
	}
	return -1;
}

static bool has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7F)
			return true;
	return false;
}

static int split_list(const char *v, char ***out, size_t *n)
{
	size_t cap = 1, count = 0;
	for (const char *p = v; *p; p++)
		cap += *p == ',';
	char **arr = calloc(cap + 1, sizeof *arr);
	char *copy = strdup(v);
	if (!arr || !copy) {
		free(arr);
		free(copy);
		return -1;
	}
	char *save = NULL;
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		t = trim(t);
		if (*t == '\0')
			continue;
		if (!(arr[count] = strdup(t))) {
			for (size_t i = 0; i < count; i++)
				free(arr[i]);
			free(arr);
			free(copy);
			return -1;
		}
		count++;
	}
	free(copy);
	*out = arr;
	*n = count;
	return 0;
}

static int apply(struct config *cfg, const struct key *k, const char *v, const char *origin, char *err,
                 size_t errlen)
{
	char *field = (char *)cfg + k->offset;
	char allowed[160];
	describe_allowed(k, allowed, sizeof allowed);
	switch (k->type) {
	case T_SECONDS: {
		double d;
		if (parse_double(v, &d) || d < k->min || d > k->max)
			goto bad;
		*(double *)field = d;
		return 0;
	}
	case T_INT: {
		int64_t i;
		if (parse_int64(v, &i) || (double)i < k->min || (double)i > k->max)
			goto bad;
		*(long *)field = (long)i;
		return 0;
	}
	case T_BOOL: {
		bool b;
		if (parse_bool(v, &b))
			goto bad;
		*(bool *)field = b;
		return 0;
	}
	case T_ENUM: {
		int idx = enum_index(k->choices, v);
		if (idx < 0)
			goto bad;
		if (k->offset == OFF(log_level))
			cfg->log_level = idx;
		else if (k->offset == OFF(cpu_threshold_basis))
			cfg->cpu_threshold_basis = idx;
		else
			*(int *)field = idx; /* source_kind, color_mode: plain enums */
		return 0;
	}
	case T_PATH:
	case T_STRING:
		if (has_control(v))
			goto bad;
		if (check_format(k, v, allowed, sizeof allowed))
			goto bad;
		free(*(char **)field);
		if (!(*(char **)field = strdup(v)))
			goto oom;
		return 0;
	case T_LIST:
		if (has_control(v))
			goto bad;
		if (k->offset == OFF(hosts)) {
			if (split_list(v, &cfg->hosts, &cfg->nhosts))
				goto oom;
			if (engines_check_list(cfg->hosts, cfg->nhosts, allowed, sizeof allowed))
				goto bad;
			return 0;
		}
		if (k->offset == OFF(contexts)) {
			if (split_list(v, &cfg->contexts, &cfg->ncontexts))
				goto oom;
			for (size_t i = 0; i < cfg->ncontexts; i++)
				if (!docker_context_name_ok(cfg->contexts[i])) {
					snprintf(allowed, sizeof allowed, "docker context names (letters, digits, '_', '.', '+', '-')");
					goto bad;
				}
			return 0;
		}
		if (k->offset == OFF(probes) ? split_list(v, &cfg->probes, &cfg->nprobes)
		                             : split_list(v, &cfg->containers, &cfg->ncontainers))
			goto oom;
		for (size_t i = 0; k->offset == OFF(probes) && i < cfg->nprobes; i++)
			if (!strchr(cfg->probes[i], '=') || cfg->probes[i][0] == '=' ||
			    !fmt_http_url(strchr(cfg->probes[i], '=') + 1) || !strchr(cfg->probes[i], '=')[1]) {
				snprintf(allowed, sizeof allowed, "NAME=URL entries with an http:// or https:// URL");
				goto bad;
			}
		return 0;
	}
	return 0;
bad: {
	struct buf shown;
	buf_init(&shown);
	buf_term_safe(&shown, !k->flag ? "(hidden)" : v, 80);
	snprintf(err, errlen, "invalid %s=\"%s\" (from %s): expected %s", k->name, shown.data ? shown.data : "",
	         origin, allowed);
	buf_free(&shown);
	return -1;
}
oom:
	snprintf(err, errlen, "out of memory");
	return -1;
}

static void pending_free(struct pending *p)
{
	for (size_t i = 0; i < NKEYS; i++) {
		free(p->value[i]);
		free(p->where[i]);
		buf_free(&p->list[i]);
	}
}

/* The subcommands: a word that comes first on the command line and picks the mode. */
static const struct {
	const char *name;
	enum run_mode mode;
} subcommands[] = {
	{"check", MODE_CHECK},
	{"notify", MODE_NOTIFY},
	{"silence", MODE_SILENCE},
	{"report", MODE_REPORT},
};

enum { OPT_DAEMON = 1000, OPT_HELP, OPT_VERSION, OPT_CONFIG, OPT_ENV_FILE, OPT_DUMP_MAN, OPT_DUMP_EXAMPLE,
       OPT_KEY_BASE = 2000 };

int config_load(struct config *cfg, int argc, char **argv, char *const *envp, char *err, size_t errlen)
{
	struct pending p;
	memset(&p, 0, sizeof p);
	memset(cfg, 0, sizeof *cfg);
	for (size_t i = 0; i < NKEYS; i++)
		buf_init(&p.list[i]);
	if (!envp)
		envp = environ;
	int rc = -1;

	/* getopt_long's table, built from the key table. */
	struct option opts[NKEYS + 8];
	char shorts[3 * NKEYS + 8];
	size_t no = 0, ns = 0;
	shorts[ns++] = '+'; /* stop at the first non-option (a subcommand comes later) */
	shorts[ns++] = ':';
	shorts[ns++] = 'h';
	shorts[ns++] = 'V';
	shorts[ns++] = 'd';
	opts[no++] = (struct option){"daemon", no_argument, NULL, OPT_DAEMON};
	opts[no++] = (struct option){"help", no_argument, NULL, OPT_HELP};
	opts[no++] = (struct option){"version", no_argument, NULL, OPT_VERSION};
	opts[no++] = (struct option){"config", required_argument, NULL, OPT_CONFIG};
	opts[no++] = (struct option){"env-file", required_argument, NULL, OPT_ENV_FILE};
	opts[no++] = (struct option){"dump-man", no_argument, NULL, OPT_DUMP_MAN};
	opts[no++] = (struct option){"dump-config-example", no_argument, NULL, OPT_DUMP_EXAMPLE};
	for (size_t i = 0; i < NKEYS; i++) {
		if (!keys[i].flag)
			continue; /* a secret: environment or file only */
		int has_arg = keys[i].type == T_BOOL ? no_argument : required_argument;
		opts[no++] = (struct option){keys[i].flag, has_arg, NULL, OPT_KEY_BASE + (int)i};
		if (keys[i].short_flag) {
			shorts[ns++] = (char)keys[i].short_flag;
			if (has_arg)
				shorts[ns++] = ':';
		}
	}
	opts[no] = (struct option){NULL, 0, NULL, 0};
	shorts[ns] = '\0';

	/* A subcommand comes first; getopt then sees the rest as if it were the whole command line. */
	for (size_t i = 0; argc > 1 && i < ARRAY_LEN(subcommands); i++) {
		if (strcmp(argv[1], subcommands[i].name) == 0) {
			cfg->mode = subcommands[i].mode;
			argv[1] = argv[0];
			argv++;
			argc--;
			break;
		}
	}

	/* Pass 1: flags into the flag layer (they win), and where the files are. */
	const char *config_path = NULL, *env_path = NULL;
	char *env_config = NULL;
	optind = 1;
	opterr = 0;
	int c;
	while ((c = getopt_long(argc, argv, shorts, opts, NULL)) != -1) {
		int k = -1;
		if (c == '?') {
			/* getopt_long sets optopt to the option's code (not a character) when a switch got a value. */
			const char *name = NULL;
			for (size_t i = 0; optopt >= OPT_DAEMON && i < no; i++)
				if (opts[i].val == optopt)
					name = opts[i].name;
			struct buf shown;
			buf_init(&shown);
			buf_term_safe(&shown, argv[optind - 1], 80);
			if (name)
				snprintf(err, errlen, "option --%s takes no value (see lookout --help)", name);
			else if (optopt > 0x20 && optopt < 0x7f)
				snprintf(err, errlen, "unknown option -%c (see lookout --help)", optopt);
			else
				snprintf(err, errlen, "unknown option %s (see lookout --help)", shown.data ? shown.data : "");
			buf_free(&shown);
			goto out;
		}
		if (c == ':') {
			struct buf shown;
			buf_init(&shown);
			buf_term_safe(&shown, argv[optind - 1], 80);
			snprintf(err, errlen, "option %s needs a value (see lookout --help)", shown.data ? shown.data : "");
			buf_free(&shown);
			goto out;
		}
		switch (c) {
		case 'd':
		case OPT_DAEMON:
			if (cfg->mode != MODE_DASHBOARD) {
				snprintf(err, errlen, "a subcommand and --daemon exclude each other");
				goto out;
			}
			cfg->mode = MODE_DAEMON;
			continue;
		case 'h':
		case OPT_HELP:
			cfg->mode = MODE_HELP;
			continue;
		case 'V':
		case OPT_VERSION:
			cfg->mode = MODE_VERSION;
			continue;
		case OPT_DUMP_MAN:
			cfg->mode = MODE_DUMP_MAN;
			continue;
		case OPT_DUMP_EXAMPLE:
			cfg->mode = MODE_DUMP_EXAMPLE;
			continue;
		case OPT_CONFIG:
			config_path = optarg;
			continue;
		case OPT_ENV_FILE:
			env_path = optarg;
			continue;
		default:
			break;
		}
		if (c >= OPT_KEY_BASE)
			k = c - OPT_KEY_BASE;
		else
			for (size_t i = 0; i < NKEYS; i++)
				if (keys[i].short_flag == c)
					k = (int)i;
		if (k < 0) {
			snprintf(err, errlen, "unknown option (see lookout --help)");
			goto out;
		}
		const char *v = keys[k].type == T_BOOL ? "true" : optarg;
		if (keys[k].type == T_LIST) {
			if ((p.list[k].len && buf_puts(&p.list[k], ",")) || buf_puts(&p.list[k], v))
				goto oom;
			p.list_set[k] = true;
			continue;
		}
		if (set_layer(&p, k, L_FLAG, v, NULL))
			goto oom;
	}
	if (optind < argc) {
		struct buf shown;
		buf_init(&shown);
		buf_term_safe(&shown, argv[optind], 60);
		snprintf(err, errlen, "unexpected argument \"%s\" (see lookout --help)", shown.data ? shown.data : "");
		buf_free(&shown);
		goto out;
	}
	for (size_t k = 0; k < NKEYS; k++)
		if (p.list_set[k] && set_layer(&p, (int)k, L_FLAG, p.list[k].data, NULL))
			goto oom;

	/* The config file: --config, else LOOKOUT_CONFIG, else the default path if it exists. */
	for (char *const *e = envp; *e; e++)
		if (strncmp(*e, "LOOKOUT_CONFIG=", 15) == 0)
			env_config = unquote_dup(*e + 15);
	if (!config_path && env_config && *env_config)
		config_path = env_config;
	if (!config_path && access(DEFAULT_CONFIG_FILE, R_OK) == 0)
		config_path = DEFAULT_CONFIG_FILE;
	struct pending lower;
	memset(&lower, 0, sizeof lower);
	if (config_path) {
		if (!(cfg->config_file = strdup(config_path)))
			goto oom;
		if (read_kv_file(&lower, config_path, L_FILE, err, errlen)) {
			pending_free(&lower);
			goto out;
		}
	}
	if (env_path) {
		if (!(cfg->env_file = strdup(env_path)))
			goto oom;
		if (read_kv_file(&lower, env_path, L_ENVFILE, err, errlen)) {
			pending_free(&lower);
			goto out;
		}
	}
	for (char *const *e = envp; *e; e++) {
		const char *eq = strchr(*e, '=');
		if (!eq)
			continue;
		char name[128];
		size_t n = (size_t)(eq - *e);
		if (n >= sizeof name)
			continue;
		memcpy(name, *e, n);
		name[n] = '\0';
		int k = key_by_name(name);
		if (k >= 0 && set_layer(&lower, k, L_ENV, eq + 1, NULL)) {
			pending_free(&lower);
			goto oom;
		}
	}
	/* Merge: flags already in p win; take the rest from the lower layers. */
	for (size_t k = 0; k < NKEYS; k++) {
		if (!p.value[k] && lower.value[k]) {
			p.value[k] = lower.value[k];
			p.where[k] = lower.where[k];
			p.from[k] = lower.from[k];
			lower.value[k] = lower.where[k] = NULL;
		}
	}
	pending_free(&lower);

	for (size_t k = 0; k < NKEYS; k++) {
		const char *v = p.value[k] ? p.value[k] : keys[k].def;
		char origin[4300];
		if (p.from[k] == L_FLAG && p.value[k])
			snprintf(origin, sizeof origin, "--%s", keys[k].flag);
		else if (p.where[k])
			snprintf(origin, sizeof origin, "%s", p.where[k]);
		else
			snprintf(origin, sizeof origin, "%s", layer_names[p.value[k] ? p.from[k] : L_DEFAULT]);
		if (apply(cfg, &keys[k], v, origin, err, errlen))
			goto out;
	}
	/* --docker-host beats --context, but DOCKER_HOST from the environment or a file does not (dockerctx.c). */
	int kh = key_by_name("DOCKER_HOST");
	cfg->docker_host_flag = kh >= 0 && p.value[kh] && p.from[kh] == L_FLAG;
	/* `lookout report --pg CONNINFO`: a database named on report's own command line is the one to read. */
	int kp = key_by_name("LOOKOUT_PG_URL");
	if (cfg->mode == MODE_REPORT && kp >= 0 && p.value[kp] && p.from[kp] == L_FLAG && *p.value[kp])
		cfg->report_pg = true;
	rc = 0;
	goto out;
oom:
	snprintf(err, errlen, "out of memory");
out:
	free(env_config);
	pending_free(&p);
	return rc;
}

void config_free(struct config *cfg)
{
	if (!cfg)
		return;
	for (size_t i = 0; i < NKEYS; i++) {
		if (keys[i].type == T_PATH || keys[i].type == T_STRING) {
			char **f = (char **)((char *)cfg + keys[i].offset);
			free(*f);
			*f = NULL;
		}
	}
	for (size_t i = 0; i < cfg->ncontainers; i++)
		free(cfg->containers[i]);
	free(cfg->containers);
	cfg->containers = NULL;
	cfg->ncontainers = 0;
	for (size_t i = 0; i < cfg->nprobes; i++)
		free(cfg->probes[i]);
	free(cfg->probes);
	cfg->probes = NULL;
	cfg->nprobes = 0;
	for (size_t i = 0; i < cfg->nhosts; i++)
		free(cfg->hosts[i]);
	free(cfg->hosts);
	cfg->hosts = NULL;
	cfg->nhosts = 0;
	for (size_t i = 0; i < cfg->ncontexts; i++)
		free(cfg->contexts[i]);
	free(cfg->contexts);
	cfg->contexts = NULL;
	cfg->ncontexts = 0;
	free(cfg->config_file);
	free(cfg->env_file);
	cfg->config_file = cfg->env_file = NULL;
}

/* Writes text wrapped at width, each line prefixed by indent spaces (first line too when first_indent). */
static void wrap(FILE *out, const char *text, int indent, int width, const char *prefix)
{
	const char *p = text;
	while (*p) {
		int avail = width - indent;
		const char *end = p;
		const char *last_space = NULL;
		while (*end && end - p < avail) {
			if (*end == ' ')
				last_space = end;
			end++;
		}
		if (*end && last_space)
			end = last_space;
		fprintf(out, "%s%*s%.*s\n", prefix, indent, "", (int)(end - p), p);
		p = end;
		while (*p == ' ')
			p++;
	}
}

void config_print_help(FILE *out, const char *prog)
{
	fprintf(out,
	        "Usage: %s [OPTION]...             terminal dashboard\n"
	        "       %s --daemon [OPTION]...    headless: CSV metrics and the log under --output-dir\n"
	        "       %s check [OPTION]...       one sampling pass for cron; exit 0 OK, 1 warning, 2 critical,\n"
	        "                                  3 unknown\n"
	        "       %s notify [OPTION]...      the alert service: email the alert log's transitions\n"
	        "                                  (--follow FILE, --test)\n"
	        "       %s silence [OPTION]...     mute alerts for maintenance (--container, --alert, --for)\n"
	        "       %s report [OPTION]...      availability, downtime and statistics from metrics.csv and the\n"
	        "                                  alert log; an HTML report (--since, --until, --container, --html)\n"
	        "\n"
	        "lookout watches the containers of a Docker engine: CPU, memory, I/O, up/down.\n"
	        "\n"
	        "  -d, --daemon           run headless (as in a compose stack or under systemd)\n"
	        "      --config FILE      read KEY = value lines (default " DEFAULT_CONFIG_FILE " if present;\n"
	        "                         also LOOKOUT_CONFIG)\n"
	        "      --env-file FILE    read KEY=value lines in the compose .env format\n"
	        "  -h, --help             show this help and exit\n"
	        "  -V, --version          show the version and exit\n"
	        "\n"
	        "Settings (flag > environment > --env-file > config file > default):\n",
	        prog, prog, prog, prog, prog, prog);
	for (size_t i = 0; i < NKEYS; i++) {
		const struct key *k = &keys[i];
		char head[128];
		if (!k->flag)
			snprintf(head, sizeof head, "      (no flag) %s", k->metavar ? k->metavar : "");
		else if (k->short_flag)
			snprintf(head, sizeof head, "  -%c, --%s%s%s", k->short_flag, k->flag, k->metavar ? " " : "",
			         k->metavar ? k->metavar : "");
		else
			snprintf(head, sizeof head, "      --%s%s%s", k->flag, k->metavar ? " " : "",
			         k->metavar ? k->metavar : "");
		fprintf(out, "%-30s [%s]\n", head, k->name);
		wrap(out, k->help, 8, 100, "");
		char allowed[160], line[400];
		describe_allowed(k, allowed, sizeof allowed);
		bool checked = k->type == T_BOOL || k->type == T_ENUM || k->type == T_SECONDS || k->type == T_INT ||
		               strcmp(allowed, "text without control characters") != 0; /* a text key with a format */
		snprintf(line, sizeof line, "%s%s%sDefault: %s.", checked ? "Allowed: " : "", checked ? allowed : "",
		         checked ? ". " : "", *k->def ? k->def : "empty");
		wrap(out, line, 8, 100, "");
	}
	fprintf(out, "\nExit status: 0 success, 1 runtime failure, 2 bad usage or configuration.\n"
	             "See lookout(1) for files and signals.\n");
}

/* roff needs '-' and '\' escaped, and a leading '.' or '\'' neutralised. */
static void roff(FILE *out, const char *s)
{
	if (*s == '.' || *s == '\'')
		fputs("\\&", out);
	for (; *s; s++) {
		if (*s == '-')
			fputs("\\-", out);
		else if (*s == '\\')
			fputs("\\e", out);
		else
			fputc(*s, out);
	}
}

void config_print_man(FILE *out)
{
	fputs(".\\\" Generated by lookout --dump-man from the key table in src/config.c; do not edit.\n"
	      ".TH LOOKOUT 1 \"\" \"lookout " PACKAGE_VERSION "\" \"User Commands\"\n"
	      ".SH NAME\nlookout \\- container monitor for Docker hosts\n"
	      ".SH SYNOPSIS\n.B lookout\n[\\fIOPTION\\fR]...\n.br\n.B lookout \\-\\-daemon\n[\\fIOPTION\\fR]...\n"
	      ".br\n.B lookout check\n[\\fIOPTION\\fR]...\n"
	      ".br\n.B lookout report\n[\\fIOPTION\\fR]...\n"
	      ".SH DESCRIPTION\n"
	      "lookout watches the containers of a Docker engine (or Podman's compatible socket): CPU and memory as "
	      ".BR docker\\ stats (1)\n"
	      "computes them, network and block I/O rates, PIDs, restarts and whether each container is up.\n"
	      "Counters are read from the kernel's cgroup files when the engine is local, and from the engine's "
	      "stats API otherwise; container starts and deaths come from the engine's event stream.\n"
	      ".PP\nWith\n.BR \\-\\-daemon ,\nlookout runs headless and writes\n.I metrics.csv\n"
	      "(one RFC 4180 row per container per tick) and its log\n.I container_monitor.log\n"
	      "under the output directory, and prints a compact status on standard output. It also serves a live web\n"
	      "page, JSON, Prometheus metrics and a health check over HTTP (see\n.BR \\-\\-listen ).\n"
	      ".PP\n.B lookout report\nsummarises metrics.csv and the alert log: availability, every downtime\n"
	      "interval, statistics and alert counts, on standard output and as an HTML file.\n"
	      ".PP\nWith no mode, on a terminal, lookout opens a dashboard: a header with the engine, host meters and\n"
	      "lookout's own cost; one row per container with a status glyph, CPU and memory gauges, response time, a\n"
	      "latency sparkline, an up/down timeline and restarts; and the latest alert transitions.\n"
	      ".SH DASHBOARD KEYS\n"
	      ".TP\n.BR Up ,\\ Down ,\\ j ,\\ k ,\\ PgUp ,\\ PgDn ,\\ Home ,\\ End\nMove the selection.\n"
	      ".TP\n.BR Enter ,\\ Esc\nOpen the selected container's detail view; go back.\n"
	      ".TP\n.BR s ,\\ S\nNext sort column; reverse the order.\n"
	      ".TP\n.B /\nFilter by name (Esc clears).\n"
	      ".TP\n.B w\nCycle the time window: 1, 5, 15 minutes, 1 hour.\n"
	      ".TP\n.B p\nPause (the screen keeps the data it shows).\n"
	      ".TP\n.B a\nAlso show containers that were already stopped.\n"
	      ".TP\n.B g\nGroup containers by compose project.\n"
	      ".TP\n.B l\nRecent log lines of the selected container (read-only).\n"
	      ".TP\n.B ?\nHelp listing every key.\n"
	      ".TP\n.B q\nQuit.\n"
	      ".PP\nA mouse click selects a row and the wheel scrolls.\n"
	      ".SH OPTIONS\n"
	      ".TP\n.BR \\-d ,\\ \\-\\-daemon\nRun headless.\n"
	      ".TP\n.BI \\-\\-config \" FILE\"\nRead\n.I KEY\\ =\\ value\nlines. Default: " DEFAULT_CONFIG_FILE
	      " if it exists; also the\n.B LOOKOUT_CONFIG\nvariable.\n"
	      ".TP\n.BI \\-\\-env\\-file \" FILE\"\nRead\n.I KEY=value\nlines in the compose .env format; keys lookout "
	      "does not know are ignored.\n"
	      ".TP\n.BR \\-h ,\\ \\-\\-help\nShow the help.\n"
	      ".TP\n.BR \\-V ,\\ \\-\\-version\nShow the version.\n"
	      ".SH SETTINGS\n"
	      "Every setting has a flag, an environment variable and a config-file key of the same name as the "
	      "variable. A flag wins over the environment, which wins over\n.BR \\-\\-env\\-file ,\n"
	      "which wins over the config file, which wins over the default. Values may be quoted. A bad value is "
	      "reported on one line, naming the key, the value and what is allowed, with exit status 2.\n",
	      out);
	for (size_t i = 0; i < NKEYS; i++) {
		const struct key *k = &keys[i];
		fputs(".TP\n", out);
		if (!k->flag) {
			/* A secret: no flag, only the variable and the config-file key. */
			fputs(".B ", out);
			roff(out, k->name);
			fputs("\n", out);
			roff(out, k->help);
			char allowed[160];
			describe_allowed(k, allowed, sizeof allowed);
			fputs("\nAllowed: ", out);
			roff(out, allowed);
			fputs(". Default: ", out);
			roff(out, *k->def ? k->def : "empty");
			fputs(".\n", out);
			continue;
		}
		if (k->short_flag)
			fprintf(out, ".BR \\-%c ,\\ ", k->short_flag);
		else
			fputs(".B ", out);
		fputs("\\-\\-", out);
		roff(out, k->flag);
		if (k->metavar) {
			fputs(" \" \\fI", out);
			roff(out, k->metavar);
			fputs("\\fR\"", out);
		}
		fputs("\n.RB [ ", out);
		roff(out, k->name);
		fputs(" ]\n", out);
		roff(out, k->help);
		char allowed[160];
		describe_allowed(k, allowed, sizeof allowed);
		fputs("\nAllowed: ", out);
		roff(out, allowed);
		fputs(". Default: ", out);
		roff(out, *k->def ? k->def : "empty");
		fputs(".\n", out);
	}
	fputs(".SH FILES\n"
	      ".TP\n.I OUTPUT_DIR/metrics.csv\nHeader row, then timestamp, host, container_id, name, image, state, "
	      "health, up, cpu_pct, cpu_limit_pct, mem_used_bytes, mem_limit_bytes, mem_pct, net_rx_bps, "
	      "net_tx_bps, blk_read_bps, blk_write_bps, pids, restarts, response_ms, http_status, state_since. "
	      "A file with another header is renamed aside, never mixed.\n"
	      ".TP\n.I OUTPUT_DIR/container_monitor.log\nlookout's own log.\n"
	      ".TP\n.I OUTPUT_DIR/container_alerts.log\nOne logfmt line per alert transition (ts, level, state, alert, "
	      "container, container_id, value, threshold, since, seq, msg), appended and synced before anything acts "
	      "on it; untrusted text is quoted and escaped so that one line is one record.\n"
	      ".TP\n.I OUTPUT_DIR/report.html\nThe self-contained HTML report that\n.B lookout report\nwrites (see\n.BR \\-\\-html ).\n"
	      ".TP\n.I OUTPUT_DIR/.lookout\\-check.state\nThe alert rules' state that\n.B lookout check\n"
	      "keeps between runs.\n"
	      ".TP\n.I OUTPUT_DIR/.lookout\\-notify.state\nThe alert service's read position in the alert log, what each "
	      "alert's recipients were last told, and the emails not yet accepted by the server (LOOKOUT_NOTIFY_STATE).\n"
	      ".TP\n.I OUTPUT_DIR/silences\nSilences added by\n.BR \"lookout silence\" ,\none logfmt line each "
	      "(LOOKOUT_SILENCES_FILE).\n"
	      ".TP\n.I " DEFAULT_CONFIG_FILE "\nThe config file, if present.\n"
	      ".SH SIGNALS\n"
	      ".TP\n.BR SIGTERM ,\\ SIGINT\nFinish the current tick, flush, exit 0.\n"
	      ".TP\n.B SIGHUP\nReopen the CSV and log files (after logrotate).\n"
	      ".SH EXIT STATUS\n0 success; 1 runtime failure; 2 bad usage or configuration.\n"
	      "Under\n.BR check :\n0 OK, 1 warning, 2 critical, 3 unknown (engine unreachable, bad configuration).\n"
	      ".SH ENVIRONMENT\n.B NO_COLOR\nturns colour off.\n"
	      ".SH SEE ALSO\n.BR docker (1)\n",
	      out);
}

void config_print_example(FILE *out)
{
	fputs("# lookout.conf — example configuration, generated by lookout --dump-config-example.\n"
	      "# KEY = value lines; the keys are the environment variable names. Precedence:\n"
	      "# command-line flag > environment > --env-file > this file > built-in default.\n",
	      out);
	for (size_t i = 0; i < NKEYS; i++) {
		const struct key *k = &keys[i];
		char allowed[160];
		describe_allowed(k, allowed, sizeof allowed);
		fputs("\n", out);
		wrap(out, k->help, 1, 100, "#");
		if (k->flag)
			fprintf(out, "# Allowed: %s. Flag: --%s.\n", allowed, k->flag);
		else
			fprintf(out, "# Allowed: %s. No flag: environment, env file or this file only.\n", allowed);
		fprintf(out, "#%s = %s\n", k->name, k->def);
	}
}

int config_parse_retention(const char *s, int64_t *ms)
{
	*ms = 0;
	if (!s || strcmp(s, "0") == 0)
		return 0;
	/* A length ago, measured from time 0: a negative time whose size is the duration (not a date, not "now"). */
	int64_t t;
	if (!*s || *s == '-' || report_parse_time(s, 0, &t) || t > -60000)
		return -1;
	*ms = -t;
	return 0;
}
