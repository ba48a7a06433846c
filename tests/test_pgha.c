/* test_pgha.c — the pure parts of issue 10's PostgreSQL work: LOOKOUT_PG_RETENTION's parsing, the report's
 * HOST/NAME containers (a bare --container name matches on every host; alerts counted per host), and the
 * notifier's HA gate when HA is off. The database itself is exercised by tests/integration/pg-multi.sh and
 * notify-ha.sh. */
#include "autoconfig.h"

#include <stdint.h>
#include <string.h>

#include "config.h"
#include "notifyha.h"
#include "report.h"
#include "tap.h"

int main(void)
{
	int64_t ms = -1;
	is_int(config_parse_retention("0", &ms), 0, "retention 0 is accepted");
	is_int((int)ms, 0, "... and means keep everything");
	is_int(config_parse_retention("90d", &ms), 0, "retention 90d is accepted");
	ok(ms == 90LL * 86400 * 1000, "... as 90 days in ms (%lld)", (long long)ms);
	is_int(config_parse_retention("1h30m", &ms), 0, "retention 1h30m is accepted");
	ok(ms == 5400000, "... as 90 minutes (%lld)", (long long)ms);
	is_int(config_parse_retention("30s", &ms), -1, "a retention under a minute is refused");
	is_int(config_parse_retention("-2h", &ms), -1, "a signed retention is refused");
	is_int(config_parse_retention("2026-11-24", &ms), -1, "a date is not a retention");
	is_int(config_parse_retention("now", &ms), -1, "now is not a retention");
	is_int(config_parse_retention("5x", &ms), -1, "an unknown unit is refused");
	is_int(config_parse_retention("", &ms), -1, "empty is refused (0 keeps everything)");

	/* The report with HOST/NAME names, as report --from-pg makes it. */
	char *names[] = {"web", NULL};
	struct report_opts o = {INT64_MIN, INT64_MAX, names, 1};
	struct report *r = report_new(&o);
	report_set_host_prefixed(r);
	is_int(report_count_alert(r, "host-a/web", "aaaa", ALERT_CONTAINER_DOWN, 1000), 0, "an alert on host-a/web");
	is_int(report_count_alert(r, "host-b/web", "bbbb", ALERT_CONTAINER_DOWN, 2000), 0, "an alert on host-b/web");
	is_int(report_count_alert(r, "host-b/web", "bbbb", ALERT_HIGH_CPU, 3000), 0, "another on host-b/web");
	is_int(report_count_alert(r, "host-a/db", "cccc", ALERT_CONTAINER_DOWN, 4000), 0, "an alert on host-a/db");
	is_int((int)report_count(r), 2, "--container web keeps web on both hosts, and only web");
	const struct report_container *a = report_get(r, 0), *b = report_get(r, 1);
	ok(a && b && strcmp(a->name, "host-a/web") == 0 && strcmp(b->name, "host-b/web") == 0,
	   "the same name on two hosts stays two containers");
	ok(a && b && a->alerts[ALERT_CONTAINER_DOWN] == 1 && b->alerts[ALERT_CONTAINER_DOWN] == 1 &&
	       b->alerts[ALERT_HIGH_CPU] == 1 && a->alerts[ALERT_HIGH_CPU] == 0,
	   "alerts are counted per host");
	report_free(r);
	struct report_opts o2 = {INT64_MIN, INT64_MAX, names, 1};
	r = report_new(&o2);
	is_int(report_count_alert(r, "host-a/web", "aaaa", ALERT_CONTAINER_DOWN, 1000), 0, "without HOST/NAME names");
	is_int((int)report_count(r), 0, "... a bare name does not match host-a/web (local files have no host prefix)");
	report_free(r);

	/* HA off: no gate. */
	char why[64] = "x";
	is_int((int)notifyha_gate(NULL, "id", 0, 0, why, sizeof why), NOTIFYHA_SEND, "HA off: every email is sent");
	notifyha_queued(NULL, "id", NULL, 0);
	notifyha_done(NULL, "id", true);
	notifyha_stop(NULL);
	return tap_done();
}
