/* test_csv.c — metrics.csv: header, quoting of hostile names, empty fields, header change, torn-line repair. */
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "csv.h"
#include "tap.h"

static struct snapshot *make_snapshot(void)
{
	struct snapshot *s = snapshot_alloc(2);
	s->tick_wall_ms = 1795496110123LL;
	snprintf(s->host, sizeof s->host, "node,1");
	struct container_info a = {0}, b = {0};
	snprintf(a.id, sizeof a.id, "%s", "aaaaaaaaaaaa");
	a.name = strdup("web \"front\"\nline2");
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
	s->c[0].response_ms = -1;
	s->c[0].state_since_ms = 1795496100000LL;
	s->c[1].si = shared_info_new(&b);
	s->c[1].state = CSTATE_EXITED;
	s->c[1].restarts = 2;
	s->c[1].response_ms = -1;
	return s;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	static char buf[65536];
	size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
	if (f)
		fclose(f);
	buf[n] = '\0';
	return buf;
}

int main(void)
{
	char dir[] = "/tmp/lookout-test-csv-XXXXXX", path[512], err[512];
	if (!mkdtemp(dir))
		return 1;
	snprintf(path, sizeof path, "%s/metrics.csv", dir);
	struct snapshot *s = make_snapshot();
	struct buf b;
	buf_init(&b);
	ok(csv_format_rows(&b, s) == 0, "rows format");
	const char *want0 = "2026-11-24T04:55:10.123Z,\"node,1\",aaaaaaaaaaaa,\"web \"\"front\"\"\nline2\",img:1,running,,1,"
	                    "12.35,6.17,1048576,67108864,1.56,,,0,4096,3,0,,,2026-11-24T04:55:00.000Z\n";
	const char *want1 = "2026-11-24T04:55:10.123Z,\"node,1\",bbbbbbbbbbbb,db,postgres,exited,,0,,,,,,,,,,,2,,,\n";
	ok(strncmp(b.data, want0, strlen(want0)) == 0, "running row exact");
	if (strncmp(b.data, want0, strlen(want0)) != 0)
		printf("# got: %s", b.data);
	ok(strcmp(b.data + strlen(want0), want1) == 0, "stopped row has empty metric fields");

	struct csv_writer *w = csv_open(path, err, sizeof err);
	ok(w != NULL, "open a new file");
	ok(csv_write_snapshot(w, s, err, sizeof err) == 0, "write one tick");
	csv_close(w);
	char *text = slurp(path);
	ok(strncmp(text, csv_header, strlen(csv_header)) == 0, "the header comes first");
	ok(strcmp(text + strlen(csv_header), b.data) == 0, "then the rows");

	/* A crash mid-line (simulated) is repaired on the next open. */
	FILE *f = fopen(path, "a");
	fputs("2026-11-24T04:55:12.000Z,node,cut-sh", f);
	fclose(f);
	w = csv_open(path, err, sizeof err);
	ok(w != NULL, "reopen after a torn line");
	csv_write_snapshot(w, s, err, sizeof err);
	csv_close(w);
	text = slurp(path);
	ok(strstr(text, "cut-sh") == NULL, "the torn line is gone");
	size_t hl = strlen(csv_header);
	ok(strlen(text) == hl + 2 * b.len, "and the file holds exactly two ticks");

	/* Another header: moved aside, not mixed. */
	f = fopen(path, "w");
	fputs("time,name,cpu\n1,web,3\n", f);
	fclose(f);
	w = csv_open(path, err, sizeof err);
	ok(w != NULL, "open over a file with another header");
	csv_close(w);
	text = slurp(path);
	ok(strcmp(text, csv_header) == 0, "the new file holds only our header");
	char cmd[1024];
	snprintf(cmd, sizeof cmd, "ls %s | grep -c 'metrics.csv.*old' | grep -qx 1", dir);
	ok(system(cmd) == 0, "the old file was renamed aside");

	/* A directory that cannot be written: a clear error, no crash. */
	ok(csv_open("/proc/lookout-cannot-exist/metrics.csv", err, sizeof err) == NULL &&
	       strstr(err, "/proc/lookout-cannot-exist/metrics.csv"),
	   "unwritable path is named: %s", err);

	buf_free(&b);
	snapshot_unref(s);
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		printf("# cleanup failed\n");
	return tap_done();
}
