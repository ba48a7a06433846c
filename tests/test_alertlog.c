/* test_alertlog.c — the alert log's lines: one line per record whatever the text holds, and the parser gives
 * back exactly what was written (hostile names, health output, invalid UTF-8, control characters). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alertlog.h"
#include "tap.h"
#include "util.h"

static struct alert_transition make(const char *name, const char *msg)
{
	struct alert_transition t;
	memset(&t, 0, sizeof t);
	t.seq = 42;
	t.ts_ms = 1795000000123LL;
	t.since_ms = 1795000000000LL;
	t.kind = ALERT_HEALTH_FAILED;
	t.sev = ALERT_CRITICAL;
	t.firing = true;
	snprintf(t.container, sizeof t.container, "%s", name);
	snprintf(t.container_id, sizeof t.container_id, "%s", "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
	t.value = 1;
	t.threshold = NAN;
	snprintf(t.msg, sizeof t.msg, "%s", msg);
	return t;
}

static void roundtrip(const char *what, const char *name, const char *msg)
{
	struct alert_transition t = make(name, msg), back;
	struct buf b;
	buf_init(&b);
	char err[256] = "";
	ok(alertlog_format(&b, &t) == 0, "%s: formats", what);
	size_t newlines = 0;
	bool ctl = false;
	for (size_t i = 0; i < b.len; i++) {
		unsigned char c = (unsigned char)b.data[i];
		newlines += c == '\n';
		ctl |= (c < 0x20 && c != '\n') || c == 0x7F;
	}
	ok(newlines == 1 && b.data[b.len - 1] == '\n', "%s: exactly one line", what);
	ok(!ctl, "%s: no control characters in the line", what);
	int rc = alertlog_parse(b.data, b.len, &back, err, sizeof err);
	ok(rc == 0, "%s: parses back (%s)", what, err);
	is_str(back.container, t.container, "%s: container round-trips", what);
	is_str(back.msg, t.msg, "%s: msg round-trips", what);
	ok(back.ts_ms == t.ts_ms && back.since_ms == t.since_ms && back.kind == t.kind && back.sev == t.sev &&
	           back.firing && back.seq == 42 && back.value == 1 && isnan(back.threshold) &&
	           strcmp(back.container_id, t.container_id) == 0,
	   "%s: the other fields round-trip", what);
	buf_free(&b);
}

int main(void)
{
	struct alert_transition t = make("web", "exited with code 137");
	t.kind = ALERT_CONTAINER_DOWN;
	t.threshold = 0;
	struct buf b;
	buf_init(&b);
	alertlog_format(&b, &t);
	is_str(b.data,
	       "ts=2026-11-18T11:06:40.123Z level=critical state=firing alert=container_down container=web "
	       "container_id=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef value=1 threshold=0 "
	       "since=2026-11-18T11:06:40.000Z seq=42 msg=\"exited with code 137\"\n",
	       "a plain line looks as documented");
	buf_free(&b);

	roundtrip("plain", "web", "fine");
	roundtrip("quotes and backslashes", "we\"b\\", "say \"hi\" \\ back\\slash \\\"");
	roundtrip("spaces and =", "a b=c", "key=value other= =x");
	roundtrip("newlines", "multi\nline\r\nname", "line one\nline two\r\n\ttabbed");
	roundtrip("non-ASCII", "ünïcødé ☃", "日本語 ☃ — ok 🚀");
	roundtrip("control characters", "esc\033[31mred\033[0m", "bell\a nul-free \x01\x02\x7f del");
	roundtrip("C1 controls", "c1\xc2\x9b" "31m", "\xc2\x85next line");
	roundtrip("invalid UTF-8", "bad\xff\xfe", "cut \xe2\x98 and overlong \xc0\xaf and surrogate \xed\xa0\x80");
	roundtrip("empty", "", "");
	roundtrip("looks like logfmt", "x level=warning", "\" state=resolved alert=oom msg=\"");

	/* Errors are reported, never guessed around. */
	struct alert_transition back;
	char err[256];
	ok(alertlog_parse("ts=2026-11-18T11:06:40.123Z level=critical", 43, &back, err, sizeof err) == -1,
	   "a line without state/alert is an error (%s)", err);
	const char *bad = "ts=2026-11-18T11:06:40.123Z level=critical state=firing alert=oom msg=\"open";
	ok(alertlog_parse(bad, strlen(bad), &back, err, sizeof err) == -1, "an unterminated quote is an error (%s)",
	   err);
	const char *unk = "ts=2026-11-18T11:06:40.123Z level=warning state=resolved alert=high_cpu new_key=1 x=\"y\"";
	ok(alertlog_parse(unk, strlen(unk), &back, err, sizeof err) == 0 && !back.firing &&
	           back.kind == ALERT_HIGH_CPU && back.sev == ALERT_WARNING,
	   "unknown keys are ignored");

	/* The file: O_APPEND, one line per transition. */
	char dir[] = "/tmp/lookout-alertlog.XXXXXX";
	ok(mkdtemp(dir) != NULL, "temp dir");
	char path[128];
	snprintf(path, sizeof path, "%s/container_alerts.log", dir);
	struct alertlog *al = alertlog_open(path, err, sizeof err);
	ok(al != NULL, "alertlog_open");
	struct alert_transition two[2] = {make("a\nb", "x"), make("c", "y\"z")};
	two[1].firing = false;
	ok(al && alertlog_append(al, two, 2, err, sizeof err) == 0, "append two");
	ok(al && alertlog_append(al, two, 1, err, sizeof err) == 0, "append one more");
	alertlog_close(al);
	size_t len;
	char *text = read_file(path, &len);
	size_t lines = 0;
	for (size_t i = 0; text && i < len; i++)
		lines += text[i] == '\n';
	is_int(lines, 3, "three transitions, three lines");
	if (text) {
		char *second = strchr(text, '\n') + 1;
		ok(alertlog_parse(second, (size_t)(strchr(second, '\n') - second), &back, err, sizeof err) == 0 &&
		           !back.firing && strcmp(back.msg, "y\"z") == 0,
		   "the second line is the resolved one");
	}
	free(text);

	/* The tail: transitions in file order; a first line cut by the window and a last line without its newline
	 * are left out; a missing file is none. */
	struct alert_transition *tail = NULL;
	size_t nt = 99;
	ok(alertlog_read_tail(path, 1 << 20, &tail, &nt, err, sizeof err) == 0 && nt == 3 && tail &&
	       strcmp(tail[0].container, "a\nb") == 0 && !tail[1].firing && tail[2].firing,
	   "read_tail: the three transitions, in order");
	free(tail);
	text = read_file(path, &len);
	size_t last = 0; /* the length of the last line, its newline included */
	for (size_t i = len - 1; text && i > 0 && text[i - 1] != '\n'; i--)
		last = len - i + 1;
	free(text);
	ok(alertlog_read_tail(path, last + 5, &tail, &nt, err, sizeof err) == 0 && nt == 1 && tail && tail[0].firing,
	   "read_tail: a window starting inside a line skips that line");
	free(tail);
	FILE *f = fopen(path, "a");
	if (f) {
		fputs("2026-11-24T10:00:00.000Z seq=99 state=firing alert=oom", f); /* being written: no newline yet */
		fclose(f);
	}
	ok(alertlog_read_tail(path, 1 << 20, &tail, &nt, err, sizeof err) == 0 && nt == 3,
	   "read_tail: a last line without its newline is not read");
	free(tail);
	char missing[160];
	snprintf(missing, sizeof missing, "%s/none.log", dir);
	ok(alertlog_read_tail(missing, 1 << 20, &tail, &nt, err, sizeof err) == 0 && nt == 0 && !tail,
	   "read_tail: a missing log has no transitions");
	unlink(path);
	rmdir(dir);
	return tap_done();
}
