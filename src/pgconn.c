/* pgconn.c — the connection string, the connection and the schema for lookout's PostgreSQL users (libpq).
 * The password rules live here so the sink, the report and the notifier apply the same ones. It keeps no
 * state between calls. */
#include "autoconfig.h"
#include "pgconn.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "pgsink.h"
#include "src/pgschema.h" /* pgsink_schema_sql: data/schema.sql as a C string, generated at build time */
#include "util.h"

const char *pgconn_one_line(const char *msg, char *out, size_t len)
{
	size_t j = 0;
	for (const char *s = msg ? msg : ""; *s && j + 1 < len; s++) {
		if (*s == '\n' || *s == '\r') {
			while (s[1] == '\n' || s[1] == '\r' || s[1] == '\t' || s[1] == ' ')
				s++;
			if (s[1] && j + 2 < len) {
				out[j++] = ';';
				out[j++] = ' ';
			}
		} else
			out[j++] = *s == '\t' ? ' ' : *s;
	}
	while (j > 0 && (out[j - 1] == ' ' || out[j - 1] == ';'))
		j--;
	out[j] = '\0';
	return out;
}

int pgconn_exec(PGconn *conn, const char *sql, char *err, size_t errlen)
{
	PGresult *r = PQexec(conn, sql);
	ExecStatusType st = PQresultStatus(r);
	int rc = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK ? 0 : -1;
	if (rc) {
		char line[512];
		snprintf(err, errlen, "%s", pgconn_one_line(r ? PQresultErrorMessage(r) : PQerrorMessage(conn), line,
		                                             sizeof line));
	}
	PQclear(r);
	return rc;
}

/* The connection string from LOOKOUT_PG_URL_FILE: the file's text without surrounding blanks. */
static char *read_conninfo_file(const char *path, char *err, size_t errlen)
{
	size_t len;
	char *text = read_file(path, &len);
	if (!text) {
		snprintf(err, errlen, "cannot read LOOKOUT_PG_URL_FILE %s: %s", path, strerror(errno));
		return NULL;
	}
	while (len && (text[len - 1] == '\n' || text[len - 1] == '\r' || text[len - 1] == ' ' || text[len - 1] == '\t'))
		text[--len] = '\0';
	size_t skip = strspn(text, " \t\r\n");
	memmove(text, text + skip, len - skip + 1);
	if (!*text) {
		snprintf(err, errlen, "LOOKOUT_PG_URL_FILE %s is empty", path);
		free(text);
		return NULL;
	}
	return text;
}

int pgconn_conninfo(const struct config *cfg, char **conninfo, char *desc, size_t desclen, char *err, size_t errlen)
{
	*conninfo = NULL;
	bool have_url = cfg->pg_url && *cfg->pg_url, have_file = cfg->pg_url_file && *cfg->pg_url_file;
	if (!have_url && !have_file)
		return 0;
	if (have_url && have_file) {
		snprintf(err, errlen, "LOOKOUT_PG_URL (--pg) and LOOKOUT_PG_URL_FILE are both set: set one");
		return -1;
	}
	char why[512];
	if (have_file) {
		char *text = read_conninfo_file(cfg->pg_url_file, err, errlen);
		if (!text)
			return -1;
		if (pgsink_conninfo_check(text, desc, desclen, why, sizeof why) < 0) {
			snprintf(err, errlen, "LOOKOUT_PG_URL_FILE %s: %s", cfg->pg_url_file, why);
			explicit_bzero(text, strlen(text));
			free(text);
			return -1;
		}
		*conninfo = text;
		return 1;
	}
	int rc = pgsink_conninfo_check(cfg->pg_url, desc, desclen, why, sizeof why);
	if (rc < 0) {
		snprintf(err, errlen, "invalid LOOKOUT_PG_URL (--pg): %s", why);
		return -1;
	}
	if (rc > 0) {
		snprintf(err, errlen, "LOOKOUT_PG_URL (--pg) holds a password, which would show in ps and in the "
		                      "environment of every child: put it in PGPASSWORD or PGPASSFILE (~/.pgpass), "
		                      "or the whole connection string in a file named by LOOKOUT_PG_URL_FILE");
		return -1;
	}
	if (!(*conninfo = strdup(cfg->pg_url))) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 1;
}

/* The server's notices and warnings go to the log, never to standard error. */
static void on_notice(void *arg, const char *message)
{
	(void)arg;
	char line[512];
	log_warn("PostgreSQL says: %s", pgconn_one_line(message, line, sizeof line));
}

PGconn *pgconn_open(const char *conninfo, bool schema, char *err, size_t errlen)
{
	/* Entries before dbname are defaults the connection string may override; the string expands in place. */
	const char *const keys[] = {"connect_timeout", "keepalives_idle", "keepalives_interval", "keepalives_count",
	                            "fallback_application_name", "dbname", NULL};
	const char *const vals[] = {"5", "15", "5", "3", "lookout", conninfo, NULL};
	PGconn *conn = PQconnectdbParams(keys, vals, 1);
	char line[512];
	if (!conn) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (PQstatus(conn) != CONNECTION_OK) {
		snprintf(err, errlen, "%s", pgconn_one_line(PQerrorMessage(conn), line, sizeof line));
		PQfinish(conn);
		return NULL;
	}
	PQsetNoticeProcessor(conn, on_notice, NULL);
	struct buf sql;
	buf_init(&sql);
	int rc = buf_puts(&sql, "SET client_encoding = 'UTF8'; SET TIME ZONE 'UTC'; SET client_min_messages = warning;\n");
	/* Serialised by an advisory lock so that hosts starting together do not race on CREATE IF NOT EXISTS. */
	if (schema) {
		rc |= buf_puts(&sql, "BEGIN; SELECT pg_advisory_xact_lock(7370566851137);\n");
		rc |= buf_puts(&sql, pgsink_schema_sql);
		rc |= buf_puts(&sql, "\nCOMMIT;\n");
	}
	char why[400];
	if (rc) {
		snprintf(err, errlen, "out of memory");
	} else if (pgconn_exec(conn, sql.data, why, sizeof why)) {
		snprintf(err, errlen, "%s%s", schema ? "creating the schema failed: " : "", why);
		rc = -1;
	}
	buf_free(&sql);
	if (rc) {
		PQfinish(conn);
		return NULL;
	}
	return conn;
}
