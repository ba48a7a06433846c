/* fuzz_alertlog.c — fuzz target for the alert log's reader: every line of the input goes through
 * alertlog_parse (as the notifier, the report and the dashboard read container_alerts.log) and through
 * notify_load_line (the notifier's state file, whose lines embed an alert-log line). A line that parses
 * must survive a round trip: alertlog_format then alertlog_parse gives the same transition (value and
 * threshold to the writer's three decimals). It does not judge which lines are accepted. */
#include <math.h>
#include <string.h>

#include "alertlog.h"
#include "fuzz.h"
#include "notify.h"

static void same(const struct alert_transition *a, const struct alert_transition *b)
{
	FUZZ_CHECK(a->ts_ms == b->ts_ms && a->since_ms == b->since_ms && a->seq == b->seq);
	FUZZ_CHECK(a->kind == b->kind && a->sev == b->sev && a->firing == b->firing);
	FUZZ_CHECK(strcmp(a->container, b->container) == 0 && strcmp(a->container_id, b->container_id) == 0);
	FUZZ_CHECK(strcmp(a->msg, b->msg) == 0);
	FUZZ_CHECK(isnan(a->value) == isnan(b->value) && isnan(a->threshold) == isnan(b->threshold));
}

static void one(struct notify *n, const char *p, size_t len)
{
	struct alert_transition t, t2;
	char err[256] = "";
	if (alertlog_parse(p, len, &t, err, sizeof err) == 0) {
		struct buf b;
		buf_init(&b);
		FUZZ_CHECK(alertlog_format(&b, &t) == 0);
		FUZZ_CHECK(b.len > 0 && b.data[b.len - 1] == '\n' && memchr(b.data, '\n', b.len) == b.data + b.len - 1);
		if (alertlog_parse(b.data, b.len, &t2, err, sizeof err) != 0) {
			fprintf(stderr, "fuzz: the writer's line does not read back (%s): %s", err, b.data);
			FUZZ_CHECK(!"round trip");
		}
		same(&t, &t2);
		buf_free(&b);
		(void)notify_feed(n, &t, t.ts_ms);
	} else {
		FUZZ_CHECK(err[0] != '\0');
	}
	err[0] = '\0';
	int rc = notify_load_line(n, p, len, err, sizeof err);
	FUZZ_CHECK(rc >= -1 && rc <= 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct notify_opts o = {.buffer_ms = 60000, .cooldown_ms = 300000, .resolved = true};
	struct notify *n = notify_new(&o);
	FUZZ_CHECK(n);
	const char *s = (const char *)data, *end = s + size;
	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		size_t len = (size_t)((nl ? nl : end) - s);
		one(n, s, len);
		s += len + (nl != NULL);
	}
	/* What was loaded must save as lines that load again. */
	struct buf b;
	buf_init(&b);
	FUZZ_CHECK(notify_save(n, &b) == 0);
	struct notify *n2 = notify_new(&o);
	FUZZ_CHECK(n2);
	for (const char *p = b.data, *e = b.data + b.len; p && p < e;) {
		const char *nl = memchr(p, '\n', (size_t)(e - p));
		size_t len = (size_t)((nl ? nl : e) - p);
		char err[256] = "";
		if (notify_load_line(n2, p, len, err, sizeof err) < 0) {
			fprintf(stderr, "fuzz: a saved state line does not load (%s): %.*s\n", err, (int)len, p);
			FUZZ_CHECK(!"state round trip");
		}
		p += len + 1;
	}
	buf_free(&b);
	notify_free(n2);
	notify_free(n);
	return 0;
}
