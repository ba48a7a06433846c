/* test_pgsink.c — the PostgreSQL sink's pure parts: COPY lines (escaping of hostile names, NULLs, invalid
 * UTF-8) and the connection-string check that refuses passwords and describes the target without secrets. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pgsink.h"
#include "tap.h"

int main(void)
{
	struct snapshot *s = snapshot_alloc(2);
	s->tick_wall_ms = 1795496110123LL;
	snprintf(s->host, sizeof s->host, "node\t1");
	struct container_info a = {0}, b = {0};
	snprintf(a.id, sizeof a.id, "%s", "aaaaaaaaaaaa");
	a.name = strdup("web\\x\nline2\r\x01\xff\xc3\xa9");
	a.image = strdup("img:1");
	snprintf(b.id, sizeof b.id, "%s", "bbbbbbbbbbbb");
	b.name = strdup("db");
	b.image = strdup("postgres");
	s->c[0].si = shared_info_new(&a);
	s->c[0].state = CSTATE_RUNNING;
	s->c[0].up = true;
	s->c[0].have_metrics = true;
	s->c[0].m = (struct metrics){.cpu_pct = 12.345, .cpu_limit_pct = 6.17, .mem_used_bytes = 1048576,
	                             .mem_limit_bytes = 67108864, .mem_pct = 1.5625, .net_rx_bps = NAN,
	                             .net_tx_bps = NAN, .blk_read_bps = 0, .blk_write_bps = 4096, .pids = 3};
	s->c[0].response_ms = 12;
	s->c[0].http_status = 200;
	s->c[0].state_since_ms = 1795496100000LL;
	s->c[1].si = shared_info_new(&b);
	s->c[1].state = CSTATE_EXITED;
	s->c[1].restarts = 2;
	s->c[1].response_ms = -1;

	struct buf out;
	buf_init(&out);
	ok(pgsink_format_samples(&out, s) == 0, "sample lines format");
	const char *want = "2026-11-24T04:55:10.123Z\tnode\\t1\taaaaaaaaaaaa\tweb\\\\x\\nline2\\r\\x01\xEF\xBF\xBD\xc3\xa9\t"
	                   "img:1\trunning\t\tt\t12.35\t6.17\t1048576\t67108864\t1.56\t\\N\t\\N\t0\t4096\t3\t0\t12\t200\t"
	                   "2026-11-24T04:55:00.000Z\n"
	                   "2026-11-24T04:55:10.123Z\tnode\\t1\tbbbbbbbbbbbb\tdb\tpostgres\texited\t\tf\t\\N\t\\N\t\\N\t"
	                   "\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t2\t\\N\t\\N\t\\N\n";
	is_str(out.data, want, "tabs, newlines, backslashes and control bytes escaped; invalid UTF-8 replaced; NULLs");
	size_t tabs = 0;
	for (const char *p = out.data; *p && *p != '\n'; p++)
		tabs += *p == '\t';
	is_int(tabs + 1, 22, "22 columns per sample line, as metrics.csv");

	struct alert_transition t = {.seq = 7, .ts_ms = 1795496110123LL, .since_ms = 0, .kind = ALERT_HIGH_CPU,
	                             .sev = ALERT_WARNING, .firing = true, .value = 91.5, .threshold = NAN};
	snprintf(t.container, sizeof t.container, "web");
	snprintf(t.container_id, sizeof t.container_id, "aaaaaaaaaaaa");
	snprintf(t.msg, sizeof t.msg, "CPU 91.5%%\tabove 40%%");
	buf_reset(&out);
	ok(pgsink_format_alert(&out, "h", &t) == 0, "alert line formats");
	is_str(out.data,
	       "2026-11-24T04:55:10.123Z\th\t7\twarning\tfiring\thigh_cpu\tweb\taaaaaaaaaaaa\t91.5\t\\N\t\\N\t"
	       "CPU 91.5%\\tabove 40%\n",
	       "alert line: NaN threshold and unknown since are NULL");

	char safe[256], err[256];
	is_int(pgsink_conninfo_check("host=db dbname=lookout user=lookout", safe, sizeof safe, err, sizeof err), 0,
	       "a conninfo without a password passes");
	ok(strstr(safe, "host=db") && strstr(safe, "dbname=lookout") && strstr(safe, "user=lookout"),
	   "its description names host, database and user: %s", safe);
	is_int(pgsink_conninfo_check("host=db password=s3cret", safe, sizeof safe, err, sizeof err), 1,
	       "keyword password is found");
	ok(!strstr(safe, "s3cret"), "the description leaves the password out: %s", safe);
	is_int(pgsink_conninfo_check("postgresql://u:s3cret@db:5433/x", safe, sizeof safe, err, sizeof err), 1,
	       "a URI password is found");
	ok(!strstr(safe, "s3cret") && strstr(safe, "port=5433"), "URI description: %s", safe);
	is_int(pgsink_conninfo_check("postgresql://u@db/x", safe, sizeof safe, err, sizeof err), 0,
	       "a URI without a password passes");
	is_int(pgsink_conninfo_check("password='s3cret", safe, sizeof safe, err, sizeof err), -1,
	       "an unterminated quote is an error");
	ok(!strstr(err, "s3cret"), "and the error does not quote the string: %s", err);

	buf_free(&out);
	snapshot_unref(s);
	return tap_done();
}
