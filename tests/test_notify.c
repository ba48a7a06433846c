/* test_notify.c — the alert service's pure parts: the policy (buffer, flap, critical, cooldown, mute,
 * silences, NOTIFY_RESOLVED, state round trip) on a fake clock; the email (subject, header cleaning and
 * RFC 2047, addresses, Message-ID); the SES password derivation; silences; and the follower on real files
 * (partial lines, rotation while running and while stopped, truncation). */
#include <math.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "email.h"
#include "follow.h"
#include "mail.h"
#include "notifier.h"
#include "notify.h"
#include "silence.h"
#include "tap.h"

#define S 1000LL

static struct alert_transition tr(const char *container, enum alert_kind kind, bool firing, int64_t ts)
{
	struct alert_transition t;
	memset(&t, 0, sizeof t);
	static uint64_t seq;
	t.seq = ++seq;
	t.ts_ms = ts;
	t.since_ms = ts;
	t.kind = kind;
	t.sev = alert_kind_severity(kind);
	t.firing = firing;
	snprintf(t.container, sizeof t.container, "%s", container);
	t.value = t.threshold = NAN;
	if (kind == ALERT_HIGH_CPU) {
		t.value = 95;
		t.threshold = 40;
	}
	snprintf(t.msg, sizeof t.msg, "%s %s", container, firing ? "fires" : "resolves");
	return t;
}

static void feed(struct notify *n, const char *c, enum alert_kind k, bool firing, int64_t now)
{
	struct alert_transition t = tr(c, k, firing, now);
	notify_feed(n, &t, now);
}

/* take at now; returns the count, and the subject in subj (if any) */
static int take(struct notify *n, int64_t now, char *subj, size_t len)
{
	struct email_item *items;
	size_t count;
	int r = notify_take(n, now, &items, &count);
	if (subj) {
		subj[0] = '\0';
		if (r > 0) {
			struct buf b;
			buf_init(&b);
			email_subject(&b, items, count);
			snprintf(subj, len, "%s", b.data);
			buf_free(&b);
		}
	}
	free(items);
	return r;
}

static void test_policy(void)
{
	struct notify_opts o = {.buffer_ms = 60 * S, .cooldown_ms = 300 * S, .resolved = true};
	char subj[512];
	int64_t t0 = 1000000 * S;

	/* N alerts inside the buffer: one email with all of them, at the end of the buffer */
	struct notify *n = notify_new(&o);
	feed(n, "web-1", ALERT_HIGH_CPU, true, t0);
	feed(n, "db", ALERT_HIGH_MEMORY, true, t0 + 10 * S);
	feed(n, "web-1", ALERT_SLOW_RESPONSE, true, t0 + 20 * S);
	is_int(notify_next_due(n), t0 + 60 * S, "the buffer ends BUFFER_TIMEOUT after its first alert");
	is_int(take(n, t0 + 59 * S, subj, sizeof subj), 0, "nothing before the buffer ends");
	is_int(take(n, t0 + 60 * S, subj, sizeof subj), 3, "three alerts in one email at the buffer's end");
	is_str(subj, "[lookout] 3 firing on web-1, db: high CPU, high memory, slow response",
	       "the subject counts them, names containers and kinds");
	is_int(take(n, t0 + 61 * S, NULL, 0), 0, "and nothing more");
	is_int(notify_next_due(n), INT64_MAX, "nothing waits after that");

	/* a recovery goes out at the next buffer tick */
	feed(n, "db", ALERT_HIGH_MEMORY, false, t0 + 100 * S);
	is_int(take(n, t0 + 160 * S, subj, sizeof subj), 1, "a recovery is emailed");
	is_str(subj, "[lookout] 1 resolved on db: high memory", "resolved subject");

	/* cooldown: fires again within it -> held; after it -> a repeat */
	feed(n, "db", ALERT_HIGH_MEMORY, true, t0 + 200 * S);
	is_int(take(n, t0 + 260 * S, NULL, 0), 0, "a re-fire within the cooldown is not emailed");
	is_int(notify_next_due(n), t0 + 360 * S, "it waits for the cooldown's end");
	is_int(take(n, t0 + 360 * S, subj, sizeof subj), 1, "after the cooldown, the repeat goes out");
	is_str(subj, "[lookout] 1 firing on db: high memory", "repeat subject");
	/* a re-fire that resolves within the cooldown: recipients already know it resolved... */
	feed(n, "db", ALERT_HIGH_MEMORY, false, t0 + 370 * S);
	is_int(take(n, t0 + 430 * S, NULL, 0), 1, "its recovery is emailed");
	feed(n, "db", ALERT_HIGH_MEMORY, true, t0 + 440 * S);
	feed(n, "db", ALERT_HIGH_MEMORY, false, t0 + 450 * S);
	is_int(take(n, t0 + 700 * S, NULL, 0), 0, "a fire and resolve within the cooldown: nothing");
	notify_free(n);

	/* a flap inside the buffer sends nothing */
	n = notify_new(&o);
	feed(n, "web", ALERT_HIGH_CPU, true, t0);
	feed(n, "web", ALERT_HIGH_CPU, false, t0 + 30 * S);
	is_int(take(n, t0 + 60 * S, NULL, 0), 0, "fired and resolved inside the buffer: no email");
	/* a critical alert goes out at once, taking the buffer with it */
	feed(n, "api", ALERT_HIGH_CPU, true, t0 + 100 * S);
	feed(n, "web", ALERT_CONTAINER_DOWN, true, t0 + 101 * S);
	is_int(notify_next_due(n), 0, "a critical alert is due at once");
	is_int(take(n, t0 + 101 * S, subj, sizeof subj), 2, "it goes out with what was buffered");
	is_str(subj, "[lookout] 2 firing on api, web: high CPU, container down", "critical subject");

	/* container down mutes that container's other alerts, not another's */
	feed(n, "web", ALERT_HIGH_CPU, true, t0 + 110 * S);
	feed(n, "web", ALERT_HEALTH_FAILED, true, t0 + 111 * S);
	feed(n, "db", ALERT_HIGH_CPU, true, t0 + 112 * S);
	is_int(take(n, t0 + 200 * S, subj, sizeof subj), 1, "only the other container's alert");
	is_str(subj, "[lookout] 1 firing on db: high CPU", "the muted ones are left out");
	feed(n, "web", ALERT_HIGH_CPU, false, t0 + 210 * S);
	feed(n, "web", ALERT_HEALTH_FAILED, false, t0 + 211 * S);
	feed(n, "web", ALERT_CONTAINER_DOWN, false, t0 + 212 * S);
	is_int(take(n, t0 + 300 * S, subj, sizeof subj), 1, "when it is back: one recovery");
	is_str(subj, "[lookout] 1 resolved on web: container down", "the recovery of the down alert only");
	notify_free(n);

	/* NOTIFY_RESOLVED=false */
	struct notify_opts o2 = o;
	o2.resolved = false;
	n = notify_new(&o2);
	feed(n, "web", ALERT_HIGH_CPU, true, t0);
	is_int(take(n, t0 + 60 * S, NULL, 0), 1, "firing sent");
	feed(n, "web", ALERT_HIGH_CPU, false, t0 + 70 * S);
	is_int(take(n, t0 + 130 * S, NULL, 0), 0, "no resolved email when NOTIFY_RESOLVED is off");
	notify_free(n);

	/* silences mute what they name and nothing else; what still fires goes out when they end */
	n = notify_new(&o);
	struct silence sil[2];
	memset(sil, 0, sizeof sil);
	snprintf(sil[0].container, sizeof sil[0].container, "web-*");
	sil[0].kind = ALERT_HIGH_CPU;
	sil[0].until_ms = t0 + 500 * S;
	sil[1].container[0] = '\0';
	sil[1].kind = ALERT_SLOW_RESPONSE;
	sil[1].until_ms = t0 + 10 * S; /* already over when the alerts come */
	notify_set_silences(n, sil, 2);
	feed(n, "web-1", ALERT_HIGH_CPU, true, t0 + 20 * S);
	feed(n, "web-1", ALERT_HIGH_MEMORY, true, t0 + 20 * S);
	feed(n, "db", ALERT_HIGH_CPU, true, t0 + 20 * S);
	feed(n, "db", ALERT_SLOW_RESPONSE, true, t0 + 20 * S);
	is_int(take(n, t0 + 80 * S, subj, sizeof subj), 3, "the silence holds back only its container and kind");
	is_str(subj, "[lookout] 3 firing on web-1, db: high memory, high CPU, slow response", "the others go out");
	is_int(notify_next_due(n), t0 + 500 * S, "the silenced alert waits for the silence's end");
	is_int(take(n, t0 + 500 * S, subj, sizeof subj), 1, "then goes out, still firing");

	/* state round trip: cooldown and what was told survive */
	struct buf st;
	buf_init(&st);
	ok(notify_save(n, &st) == 0, "state saves");
	struct notify *m = notify_new(&o);
	int lines = 0, bad = 0;
	for (char *p = st.data, *nl; p && *p; p = nl + 1) {
		nl = strchr(p, '\n');
		char err[256];
		int r = notify_load_line(m, p, (size_t)(nl - p), err, sizeof err);
		lines += r == 1;
		bad += r < 0;
	}
	ok(lines > 1 && bad == 0, "every saved line loads back (%d)", lines);
	feed(m, "web-1", ALERT_HIGH_CPU, false, t0 + 510 * S);
	is_int(take(m, t0 + 570 * S, NULL, 0), 1, "after a restart: the recovery (the firing was known)");
	feed(m, "web-1", ALERT_HIGH_CPU, true, t0 + 600 * S);
	is_int(take(m, t0 + 660 * S, NULL, 0), 0, "a re-fire within the restored cooldown waits");
	is_int(take(m, t0 + 800 * S, NULL, 0), 1, "and goes out when it ends");
	buf_free(&st);
	notify_free(m);
	notify_free(n);
}

static void test_email(void)
{
	ok(email_address_valid("ops@example.com"), "plain address");
	ok(email_address_valid("first.last+tag@mail.example.co.uk"), "dots and plus");
	const char *bad[] = {"", "ops", "ops@", "@example.com", "ops@example", "a b@example.com", "ops@exa mple.com",
	                     "ops@example.com\r\nBcc: x@y.z", "<ops@example.com>", "a,b@example.com", ".a@example.com",
	                     "a..b@example.com", "ops@-example.com", "ops@example.com.", "ops@ex_ample.com"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		ok(!email_address_valid(bad[i]), "refused address #%zu", i);

	struct buf b;
	buf_init(&b);
	email_clean_text(&b, "a\r\nb\x1b[31m\xc2\x9b" "c\xff" "d\xe2\x82\xac", 0);
	is_str(b.data, "a  b [31m c?d\xe2\x82\xac", "control characters become spaces, bad UTF-8 '?', UTF-8 stays");
	buf_reset(&b);

	email_header(&b, "Subject", "[lookout] 1 firing on evil\r\nBcc: victim@example.com: high CPU");
	ok(strstr(b.data, "\r\nBcc:") == NULL && strstr(b.data, "evil  Bcc:") != NULL,
	   "CR/LF in a header value cannot start a new header");
	buf_reset(&b);

	const char *uni = "[lookout] 1 firing on caf\xc3\xa9-\xe6\x97\xa5\xe6\x9c\xac-\xf0\x9f\x94\xa5 with a rather "
	                  "long name that needs folding: high CPU";
	email_header(&b, "Subject", uni);
	bool lines_ok = true, ascii = true;
	size_t col = 0;
	for (size_t i = 0; i < b.len; i++) {
		unsigned char c = (unsigned char)b.data[i];
		ascii = ascii && c < 0x80;
		if (c == '\n') {
			lines_ok = lines_ok && col <= 79 && i > 0 && b.data[i - 1] == '\r' &&
			           (i + 1 == b.len || b.data[i + 1] == ' ');
			col = 0;
		} else {
			col++;
		}
	}
	ok(ascii && lines_ok, "RFC 2047: ASCII only, folded lines of at most 78 characters");
	/* decode the words back */
	struct buf dec;
	buf_init(&dec);
	for (const char *p = b.data; (p = strstr(p, "=?UTF-8?B?"));) {
		p += 10;
		const char *e = strstr(p, "?=");
		unsigned char out[256];
		int k = EVP_DecodeBlock(out, (const unsigned char *)p, (int)(e - p));
		int pad = (e - p >= 2 && e[-1] == '=') + (e - p >= 2 && e[-2] == '=');
		buf_append(&dec, out, (size_t)(k - pad));
		p = e + 2;
	}
	is_str(dec.data, uni, "the encoded words decode to the original text, no character split");
	buf_free(&dec);
	buf_reset(&b);

	email_header(&b, "Subject", "[lookout] 9 firing on alpha-container-one, beta-container-two, gamma-container-three "
	                            "and 6 more: high CPU, high memory");
	bool folded = strstr(b.data, "\r\n ") != NULL;
	col = 0;
	bool short_lines = true;
	for (size_t i = 0; i < b.len; i++) {
		if (b.data[i] == '\n') {
			short_lines = short_lines && col <= 79;
			col = 0;
		} else
			col++;
	}
	ok(folded && short_lines, "a long ASCII subject is folded at spaces");
	buf_reset(&b);

	/* subject: at most three containers named */
	struct email_item items[5];
	const char *names[] = {"a", "b", "c", "d", "a"};
	for (int i = 0; i < 5; i++)
		items[i].t = tr(names[i], i < 4 ? ALERT_HIGH_CPU : ALERT_OOM, i != 2, 1000 * S);
	email_subject(&b, items, 5);
	is_str(b.data, "[lookout] 4 firing, 1 resolved on a, b, c and 1 more: high CPU, OOM kill",
	       "mixed subject, containers capped at three");
	buf_reset(&b);

	char k1[65], k2[65], k3[65];
	email_message_key(items, 5, "batch-0", k1, sizeof k1);
	email_message_key(items, 5, "batch-0", k2, sizeof k2);
	email_message_key(items, 5, "batch-1", k3, sizeof k3);
	ok(strlen(k1) == 64 && strcmp(k1, k2) == 0 && strcmp(k1, k3) != 0,
	   "Message-ID key: stable for the same alerts, different per batch");

	/* the whole message: CRLF only, short lines, the headers we promise */
	const char *to[] = {"ops@example.com", "dev@example.org"};
	struct email_opts o = {.from = "lookout@example.com", .to = to, .nto = 2, .public_url = "https://mon.example.com/",
	                       .host = "host\r\nX-Evil: 1", .now_ms = 1795500000000LL, .id_salt = "batch-0"};
	items[0].t = tr("web\r\nBcc: x@evil.com", ALERT_HIGH_CPU, true, 1795499990000LL);
	email_compose(&b, items, 1, &o);
	bool crlf = true;
	size_t longest = 0, l = 0;
	for (size_t i = 0; i < b.len; i++) {
		if (b.data[i] == '\n') {
			crlf = crlf && i && b.data[i - 1] == '\r';
			longest = l > longest ? l : longest;
			l = 0;
		} else
			l++;
	}
	ok(crlf && longest <= 78, "every line ends in CRLF and is short (longest %zu)", longest);
	char *hdr_end = strstr(b.data, "\r\n\r\n");
	*hdr_end = '\0';
	ok(strstr(b.data, "Date: Tue, 24 Nov 2026 ") && strstr(b.data, "\r\nMessage-ID: <lookout.") &&
	       strstr(b.data, "\r\nFrom: lookout <lookout@example.com>") &&
	       strstr(b.data, "\r\nTo: ops@example.com, dev@example.org") && strstr(b.data, "\r\nMIME-Version: 1.0") &&
	       strstr(b.data, "multipart/alternative"),
	   "Date, Message-ID, From, To, MIME headers");
	ok(!strstr(b.data, "\r\nBcc") && !strstr(b.data, "\r\nX-Evil"), "no injected header");
	buf_free(&b);
}

static void test_ses(void)
{
	char pw[128];
	ok(ses_smtp_password("some+secret+key", "eu-central-1", pw, sizeof pw) == 0, "derivation runs");
	is_str(pw, "BMXhUYlu5Z3gSXVQORxlVa7XPaz91aGWdfHxvkOZdWZ2", "AWS's example: eu-central-1, some+secret+key");
	/* computed independently with Python's hmac and base64 (the documented algorithm) */
	ses_smtp_password("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "us-east-1", pw, sizeof pw);
	is_str(pw, "BLBM/9hSUELfq8Gw+rU1YcBjkOxGbhT2XG763xVLGWL9", "AWS's example secret key in us-east-1");
	ok(ses_smtp_password("k", "eu-west-1", pw, 10) == -1, "too small a buffer is refused");
}

static void test_silence_parse(void)
{
	int64_t u;
	ok(silence_parse_until("2h", 1000, &u) == 0 && u == 1000 + 7200 * S, "2h");
	ok(silence_parse_until("90s", 0, &u) == 0 && u == 90 * S, "90s");
	ok(silence_parse_until("30m", 0, &u) == 0 && u == 1800 * S, "30m");
	ok(silence_parse_until("1d", 0, &u) == 0 && u == 86400 * S, "1d");
	ok(silence_parse_until("2026-11-24T18:00:00Z", 0, &u) == 0 && u == 1795543200000LL, "an RFC 3339 time");
	ok(silence_parse_until("soon", 0, &u) == -1 && silence_parse_until("-5m", 0, &u) == -1 &&
	       silence_parse_until("5x", 0, &u) == -1,
	   "garbage refused");
	ok(silence_parse_until("nan", 0, &u) == -1 && silence_parse_until("nanh", 0, &u) == -1 &&
	       silence_parse_until("inf", 0, &u) == -1 && silence_parse_until("infinity", 0, &u) == -1 &&
	       silence_parse_until("0x10", 0, &u) == -1 && silence_parse_until("0x1p3h", 0, &u) == -1 &&
	       silence_parse_until("1e3", 0, &u) == -1 && silence_parse_until(" 5m", 0, &u) == -1 &&
	       silence_parse_until("+5m", 0, &u) == -1,
	   "nan, inf, hex, exponents, signs and spaces refused (a NaN cast to int64 is undefined)");
	ok(silence_parse_until("1.5h", 0, &u) == 0 && u == 5400 * S, "a decimal fraction still works");
}

struct got {
	char lines[64][128];
	int n;
};

static int collect(const char *line, size_t len, void *arg)
{
	struct got *g = arg;
	if (g->n < 64)
		snprintf(g->lines[g->n++], 128, "%.*s", (int)len, line);
	return 0;
}

static void append(const char *path, const char *text)
{
	FILE *f = fopen(path, "a");
	fputs(text, f);
	fclose(f);
}

static void test_follow(void)
{
	char dir[] = "/tmp/lookout-test-follow-XXXXXX";
	if (!mkdtemp(dir)) {
		ok(0, "mkdtemp");
		return;
	}
	char path[256], rotated[256], err[256];
	snprintf(path, sizeof path, "%s/alerts.log", dir);
	snprintf(rotated, sizeof rotated, "%s/alerts.log.1", dir);
	append(path, "old line\n");
	struct follower *f = follower_new(path, NULL, err, sizeof err);
	struct got g = {.n = 0};
	is_int(follower_read(f, collect, &g, err, sizeof err), 0, "without a position, earlier lines are skipped");
	append(path, "one\ntw");
	is_int(follower_read(f, collect, &g, err, sizeof err), 1, "a whole line is read, a partial one is not");
	append(path, "o\n");
	follower_read(f, collect, &g, err, sizeof err);
	ok(g.n == 2 && strcmp(g.lines[0], "one") == 0 && strcmp(g.lines[1], "two") == 0, "the partial line completes");
	/* rotation while following: the rest of the old file, then the new one */
	append(path, "three\n");
	rename(path, rotated);
	append(rotated, "four (written before the writer reopened)\n");
	append(path, "five\n");
	follower_read(f, collect, &g, err, sizeof err);
	ok(g.n == 5 && strcmp(g.lines[2], "three") == 0 && strncmp(g.lines[3], "four", 4) == 0 &&
	       strcmp(g.lines[4], "five") == 0,
	   "across a rotation nothing is missed (%d lines)", g.n);
	struct follow_pos pos;
	follower_pos(f, &pos);
	follower_free(f);

	/* stopped; meanwhile lines come and the file rotates again */
	append(path, "six\n");
	rename(path, rotated);
	append(path, "seven\n");
	f = follower_new(path, &pos, err, sizeof err);
	g.n = 0;
	follower_read(f, collect, &g, err, sizeof err);
	ok(g.n == 2 && strcmp(g.lines[0], "six") == 0 && strcmp(g.lines[1], "seven") == 0,
	   "after a restart, a rotation that happened meanwhile loses nothing and repeats nothing (%d)", g.n);
	/* truncation in place */
	FILE *t = fopen(path, "w");
	fputs("8\n", t);
	fclose(t);
	g.n = 0;
	follower_read(f, collect, &g, err, sizeof err);
	ok(g.n == 1 && strcmp(g.lines[0], "8") == 0, "a truncated file is read again from its top");
	follower_free(f);
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		printf("# cleanup failed\n");
}

static int collect_one(const char *line, size_t len, void *arg)
{
	collect(line, len, arg);
	return 1; /* stop after each line */
}

static void test_follow_edges(void)
{
	char dir[] = "/tmp/lookout-test-follow2-XXXXXX";
	if (!mkdtemp(dir)) {
		ok(0, "mkdtemp");
		return;
	}
	char path[256], err[256];
	snprintf(path, sizeof path, "%s/alerts.log", dir);
	append(path, "");
	struct follower *f = follower_new(path, NULL, err, sizeof err);
	struct got g = {.n = 0};
	append(path, "a\nb\nc\n");
	int r1 = follower_read(f, collect_one, &g, err, sizeof err);
	struct follow_pos pos;
	follower_pos(f, &pos);
	ok(r1 == 1 && g.n == 1 && pos.offset == 2, "a callback that returns non-zero stops the reading after its line");
	int r2 = follower_read(f, collect_one, &g, err, sizeof err);
	int r3 = follower_read(f, collect_one, &g, err, sizeof err);
	int r4 = follower_read(f, collect_one, &g, err, sizeof err);
	ok(r2 == 1 && r3 == 1 && r4 == 0 && g.n == 3 && strcmp(g.lines[1], "b") == 0 && strcmp(g.lines[2], "c") == 0,
	   "the next calls go on with the following lines, none lost (%d %d %d)", r2, r3, r4);

	/* a line over 1 MiB, arriving in pieces: skipped whole, its tail is not a line */
	size_t big = 1024 * 1024 + 70000;
	char *x = malloc(big + 1);
	memset(x, 'x', big);
	x[big] = '\0';
	x[big / 2] = '\0';
	append(path, x); /* half of it */
	g.n = 0;
	follower_read(f, collect, &g, err, sizeof err);
	x[big / 2] = 'x';
	append(path, x + big / 2);
	follower_read(f, collect, &g, err, sizeof err);
	append(path, x + big - 10); /* still the same line */
	follower_read(f, collect, &g, err, sizeof err);
	append(path, "xx\nafter\n");
	int r = follower_read(f, collect, &g, err, sizeof err);
	ok(r == 1 && g.n == 1 && strcmp(g.lines[0], "after") == 0,
	   "an over-long line is skipped whole: only the next line comes (%d lines, first \"%.10s\")", g.n,
	   g.n ? g.lines[0] : "");
	follower_pos(f, &pos);
	struct stat st;
	ok(stat(path, &st) == 0 && pos.offset == st.st_size, "the position is at the end of the file");
	free(x);
	follower_free(f);
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		printf("# cleanup failed\n");
}

static void test_state_numbers(void)
{
	uint64_t v = 7;
	ok(notifier_parse_u64("18446744073709551615", &v) == 0 && v == UINT64_MAX, "2^64-1 (a device number) reads back");
	ok(notifier_parse_u64("9223372036854775808", &v) == 0 && v == 9223372036854775808ULL,
	   "2^63 reads back (parse_int64 made it 0: the log looked rotated and everything was sent again)");
	ok(notifier_parse_u64("0", &v) == 0 && v == 0 && notifier_parse_u64("12345", &v) == 0 && v == 12345, "small");
	v = 7;
	ok(notifier_parse_u64("18446744073709551616", &v) == -1 && notifier_parse_u64("-1", &v) == -1 &&
	       notifier_parse_u64("+1", &v) == -1 && notifier_parse_u64(" 1", &v) == -1 &&
	       notifier_parse_u64("0x10", &v) == -1 && notifier_parse_u64("12a", &v) == -1 &&
	       notifier_parse_u64("", &v) == -1 && v == 7,
	   "overflow, signs, spaces, hex, trailing junk and empty are refused, the value untouched");
}

int main(void)
{
	test_state_numbers();
	test_policy();
	test_email();
	test_ses();
	test_silence_parse();
	test_follow();
	test_follow_edges();
	return tap_done();
}
