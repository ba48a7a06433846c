/* reportpg.c — `lookout report --from-pg` with libpq: COPY of the window's samples into an unlinked temporary
 * file that report.c reads as it reads metrics.csv, then the firing alerts row by row. Read-only: it needs
 * SELECT on samples and alerts, nothing more. */
#include "autoconfig.h"
#include "reportpg.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pgconn.h"
#include "util.h"

/* The WHERE clause of the window and hosts, with literals escaped by libpq. 0 or -1 (ENOMEM). */
static int where_clause(PGconn *conn, const struct config *cfg, const struct report_opts *o, struct buf *w)
{
	char t[40];
	int rc = buf_puts(w, " WHERE true");
	if (o->since_ms != INT64_MIN)
		rc |= buf_printf(w, " AND ts >= '%s'", fmt_iso8601_ms(o->since_ms, t, sizeof t));
	if (o->until_ms != INT64_MAX)
		rc |= buf_printf(w, " AND ts < '%s'", fmt_iso8601_ms(o->until_ms, t, sizeof t));
	if (cfg->report_hosts && *cfg->report_hosts) {
		rc |= buf_puts(w, " AND host IN (");
		char *list = strdup(cfg->report_hosts), *save = NULL;
		bool first = true;
		for (char *h = list ? strtok_r(list, ",", &save) : NULL; h && !rc; h = strtok_r(NULL, ",", &save)) {
			while (*h == ' ')
				h++;
			size_t l = strlen(h);
			while (l && h[l - 1] == ' ')
				h[--l] = '\0';
			if (!*h)
				continue;
			char *lit = PQescapeLiteral(conn, h, l);
			rc |= !lit || buf_printf(w, "%s%s", first ? "" : ", ", lit);
			PQfreemem(lit);
			first = false;
		}
		rc |= !list || buf_puts(w, first ? "NULL)" : ")");
		free(list);
	}
	return rc ? -1 : 0;
}

/* COPY (query) TO STDOUT into fd. 0, or -1 with a message. */
static int copy_out(PGconn *conn, const char *sql, int fd, char *err, size_t errlen)
{
	char line[512];
	PGresult *r = PQexec(conn, sql);
	if (PQresultStatus(r) != PGRES_COPY_OUT) {
		snprintf(err, errlen, "reading the samples failed: %s", pgconn_one_line(PQresultErrorMessage(r), line, sizeof line));
		PQclear(r);
		return -1;
	}
	PQclear(r);
	int rc = 0;
	char *data;
	int n;
	while ((n = PQgetCopyData(conn, &data, 0)) > 0) {
		for (int off = 0; off < n && !rc;) {
			ssize_t w = write(fd, data + off, (size_t)(n - off));
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0) {
				snprintf(err, errlen, "cannot write the temporary file: %s", strerror(w < 0 ? errno : ENOSPC));
				rc = -1;
			} else
				off += (int)w;
		}
		PQfreemem(data);
	}
	if (n == -2 && !rc) {
		snprintf(err, errlen, "reading the samples failed: %s", pgconn_one_line(PQerrorMessage(conn), line, sizeof line));
		rc = -1;
	}
	while ((r = PQgetResult(conn))) {
		if (!rc && PQresultStatus(r) != PGRES_COMMAND_OK) {
			snprintf(err, errlen, "reading the samples failed: %s",
			         pgconn_one_line(PQresultErrorMessage(r), line, sizeof line));
			rc = -1;
		}
		PQclear(r);
	}
	return rc;
}

int reportpg_read(const struct config *cfg, struct report *r, char *err, size_t errlen)
{
	char *conninfo = NULL, desc[512], why[1024];
	int have = pgconn_conninfo(cfg, &conninfo, desc, sizeof desc, why, sizeof why);
	if (have <= 0) {
		if (have == 0)
			snprintf(err, errlen, "report --from-pg needs the database: set LOOKOUT_PG_URL (--pg) or LOOKOUT_PG_URL_FILE");
		else
			snprintf(err, errlen, "report --from-pg: %s", why);
		return 2;
	}
	int st = 1;
	int fd = -1;
	struct buf w, sql;
	buf_init(&w);
	buf_init(&sql);
	PGconn *conn = pgconn_open(conninfo, false, why, sizeof why);
	explicit_bzero(conninfo, strlen(conninfo));
	free(conninfo);
	if (!conn) {
		snprintf(err, errlen, "cannot connect to PostgreSQL at %s: %s", desc, why);
		goto out;
	}
	PGresult *res = PQexec(conn, "SELECT to_regclass('samples') IS NOT NULL AND to_regclass('alerts') IS NOT NULL");
	bool ok = PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1;
	bool tables = ok && strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	char line[512];
	if (!ok)
		pgconn_one_line(PQresultErrorMessage(res), line, sizeof line);
	PQclear(res);
	if (!ok) {
		snprintf(err, errlen, "PostgreSQL at %s: %s", desc, line);
		goto out;
	}
	if (!tables) {
		snprintf(err, errlen, "PostgreSQL at %s holds no lookout tables (samples, alerts): is it the database the "
		         "daemons write to (their LOOKOUT_PG_URL)?", desc);
		goto out;
	}
	const struct report_opts *o = report_opts_of(r);
	if (where_clause(conn, cfg, o, &w) ||
	    buf_printf(&sql, "COPY (SELECT to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') AS timestamp, "
	                     "container_id, host || '/' || name AS name, image, state, CASE WHEN up THEN 1 ELSE 0 END AS up, "
	                     "cpu_pct, mem_used_bytes, mem_pct, response_ms FROM samples%s ORDER BY ts, host, name) TO STDOUT "
	                     "WITH (FORMAT csv, HEADER)",
	                w.data)) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	const char *tmpdir = getenv("TMPDIR");
	char path[4200];
	snprintf(path, sizeof path, "%s/lookout-report-XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
	fd = mkostemp(path, O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "cannot create a temporary file in %s: %s", tmpdir && *tmpdir ? tmpdir : "/tmp",
		         strerror(errno));
		goto out;
	}
	unlink(path); /* gone when the report ends, however it ends; read through /proc/self/fd */
	if (copy_out(conn, sql.data, fd, err, errlen))
		goto out;
	char fdpath[64];
	snprintf(fdpath, sizeof fdpath, "/proc/self/fd/%d", fd);
	if (report_read_csv(r, fdpath, NULL, why, sizeof why)) {
		snprintf(err, errlen, "reading the samples from PostgreSQL: %s", why);
		goto out;
	}
	char src[600];
	snprintf(src, sizeof src, "PostgreSQL %s", desc);
	report_set_source(r, src);
	/* The firing alerts, counted per HOST/NAME and kind. */
	buf_reset(&sql);
	if (buf_printf(&sql, "SELECT host || '/' || container, container_id, alert, "
	                     "(extract(epoch FROM ts) * 1000)::bigint FROM alerts%s AND state = 'firing'",
	               w.data)) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	res = PQexec(conn, sql.data);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		snprintf(err, errlen, "reading the alerts failed: %s",
		         pgconn_one_line(PQresultErrorMessage(res), line, sizeof line));
		PQclear(res);
		goto out;
	}
	for (int i = 0; i < PQntuples(res); i++) {
		enum alert_kind k;
		int64_t ts;
		if (alert_kind_parse(PQgetvalue(res, i, 2), &k) || parse_int64(PQgetvalue(res, i, 3), &ts))
			continue;
		if (report_count_alert(r, PQgetvalue(res, i, 0), PQgetvalue(res, i, 1), k, ts)) {
			snprintf(err, errlen, "out of memory");
			PQclear(res);
			goto out;
		}
	}
	PQclear(res);
	st = 0;
out:
	if (fd >= 0)
		close(fd);
	buf_free(&w);
	buf_free(&sql);
	PQfinish(conn);
	return st;
}
