/* config.h — every setting lookout reads, from one table: type, range, default, help, environment name and flag.
 * Parsing (flags, environment, --env-file, config file), validation, --help, the man page and the example
 * config all come from that table. It reads files and the environment; it never acts on the values. */
#ifndef LOOKOUT_CONFIG_H
#define LOOKOUT_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum source_kind { SOURCE_AUTO = 0, SOURCE_CGROUP, SOURCE_API };
enum color_mode { COLOR_AUTO = 0, COLOR_ALWAYS, COLOR_NEVER };

/* What the user asked lookout to do. */
enum run_mode {
	MODE_DASHBOARD = 0, /* no mode given */
	MODE_DAEMON,        /* --daemon */
	MODE_CHECK,         /* `lookout check`: one sampling pass for cron */
	MODE_HELP,          /* --help */
	MODE_VERSION,       /* --version */
	MODE_DUMP_MAN,      /* --dump-man: the man page, generated from the key table (maintainers) */
	MODE_DUMP_EXAMPLE,  /* --dump-config-example: data/lookout.conf.example (maintainers) */
	MODE_NOTIFY,        /* `lookout notify`: the alert service (follow the alert log, send email) */
	MODE_SILENCE,       /* `lookout silence`: add or list silences (maintenance windows) */
	MODE_REPORT,        /* `lookout report`: summary of metrics.csv and the alert log, and an HTML file */
};

struct config {
	enum run_mode mode;
	double interval_s;
	char *docker_host;
	enum source_kind source;
	char *host_root;
	char *output_dir;
	bool all;
	char **containers; /* NULL-terminated; empty = every container */
	size_t ncontainers;
	bool label_enable;
	double list_interval_s;
	long status_every;
	int log_level; /* enum log_level */
	char *log_file;
	enum color_mode color;
	char **probes;     /* "NAME=URL", NULL-terminated */
	size_t nprobes;
	double probe_timeout_s;
	long cpu_threshold, memory_threshold, response_time_threshold; /* %, %, ms */
	int cpu_threshold_basis; /* enum cpu_basis (rules.h) */
	long cpu_hysteresis, memory_hysteresis, response_hysteresis;    /* points, points, ms */
	double alert_for_s, down_for_s, health_for_s;
	long restart_loop_count;
	double restart_loop_window_s;
	bool check_json;   /* lookout check --json */
	char *config_file; /* the config file that was read, or NULL */
	char *env_file;
	bool ascii;         /* dashboard: plain-ASCII glyphs */
	bool no_color;      /* dashboard: no colour (as NO_COLOR) */
	long gauge_warn, gauge_crit; /* dashboard: gauge colour bands, percent */
	/* ---- email alerts (notify.c, notifier.c, mail.c) ---- */
	bool notify;            /* daemon: run the notifier thread */
	double buffer_timeout_s, alert_cooldown_s, check_interval_s;
	bool notify_resolved;
	char *aws_region, *aws_access_key_id;
	char *aws_secret_access_key, *aws_secret_access_key_file; /* secrets: never print */
	char *smtp_host;
	long smtp_port;
	char *smtp_username;
	char *smtp_password, *smtp_password_file; /* secrets: never print */
	int smtp_tls;           /* 0 starttls, 1 off */
	char *smtp_ca_file;
	double smtp_timeout_s;
	char *sender_email, *recipient_emails, *public_url;
	char *silences_file, *notify_state, *notify_follow;
	bool notify_test;        /* lookout notify --test */
	bool notify_health;      /* lookout notify --health */
	char *silence_alert, *silence_for; /* lookout silence --alert KIND --for DURATION */
	/* HTTP server (daemon) and `lookout report` (issue 6) */
	char *listen;          /* "ADDR:PORT", "[V6]:PORT" or "off" */
	char *http_token;      /* secret: environment or config file only */
	char *http_token_file; /* a file holding the token (Docker secret) */
	char *report_since, *report_until; /* report window: ISO 8601 or relative ("-2h"); "" = open */
	char *report_html;     /* report: HTML output; "" = OUTPUT_DIR/report.html, "none" = none */
	/* PostgreSQL sink (issue 7; pgsink.c) */
	char *pg_url;       /* libpq connection string without a password; "" = no database */
	char *pg_url_file;  /* file holding the connection string (a Docker secret; may hold a password) */
	long pg_buffer_rows; /* rows kept while the database is unreachable */
	/* Several engines in one process (issue 10; engines.c) */
	char **hosts;       /* "[NAME=]URL" per --host, NULL-terminated; empty = the one engine of DOCKER_HOST */
	size_t nhosts;
	/* docker CLI contexts and TLS engines (issue 10; dockerctx.c) */
	char **contexts;       /* --context NAME (LOOKOUT_CONTEXT), NULL-terminated; one: the engine; several, or with --host: each one more engine labelled by its name */
	size_t ncontexts;
	bool docker_host_flag; /* DOCKER_HOST came from --docker-host on the command line (it wins over --context) */
	/* The dashboard attached to a daemon (issue 10; remote.c) */
	char *connect;            /* "http://HOST:PORT" of a daemon's HTTP server; "" = watch the engine */
	char *connect_token;      /* secret: environment or config file only */
	char *connect_token_file; /* a file holding that token */
	/* many daemons into one PostgreSQL, report --from-pg, notifier HA (issue 10; pgsink.c, reportpg.c,
	 * notifyha.c) */
	char *pg_retention;    /* "0" or a duration: rows older than this are deleted */
	bool report_pg;        /* lookout report --from-pg */
	char *report_hosts;    /* report --from-pg: comma-separated host labels; "" = all */
	int notify_ha;         /* 0 off, 1 pg */
	char *notify_ha_group; /* advisory-lock group name */
};

/* Loads the configuration from argv, the environment (envp-style, NULL = the process environment),
 * --env-file and the config file. A subcommand (`check`) may come first: cfg->mode is set from it before
 * anything else is parsed, so the caller can pick the exit status of a failure. Returns 0; or -1 with one
 * line for a person in err (the key, the value, what is allowed) — the caller exits 2 (3 under `check`).
 * cfg must be freed with config_free either way. */
int config_load(struct config *cfg, int argc, char **argv, char *const *envp, char *err, size_t errlen);
void config_free(struct config *cfg);

/* Help text, man page and example config, generated from the key table. */
void config_print_help(FILE *out, const char *prog);
void config_print_man(FILE *out);
void config_print_example(FILE *out);

/* Number of keys and the environment name of key i (for tests that walk the table). */
size_t config_key_count(void);
const char *config_key_name(size_t i);
const char *config_key_flag(size_t i);   /* long flag without dashes, or NULL: a secret, never a flag */
const char *config_key_type(size_t i);   /* "seconds", "bool", "int", "enum", "list", "path", "string" */
/* For tests that build bad values from the table: the range of a "seconds" or "int" key (0 and 0 for other
 * types), the choices of an "enum" key ("a|b|c"; NULL for other types) and the default as text. */
void config_key_range(size_t i, double *min, double *max);
const char *config_key_choices(size_t i);
const char *config_key_default(size_t i);

/* LOOKOUT_PG_RETENTION: "0" (keep forever: *ms = 0) or a duration (90d, 2w, 36h, 1h30m) of at least a
 * minute, in *ms. 0 or -1. */
int config_parse_retention(const char *s, int64_t *ms);

#endif
