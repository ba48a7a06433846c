/* fuzz_remote.c — fuzz target for `lookout --connect`'s readers of a daemon's answers (remote_parse_snapshot,
 * remote_history_add, remote_attach_history, remote_parse_alerts): any bytes in, an error or a well-formed
 * snapshot out. Checks the promises (every container has an id and a name, engine indexes in range, strings
 * terminated, points in time order, messages one clean line); it does not judge which answers are accepted. */
#include <string.h>

#include "fuzz.h"
#include "remote.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *json = (const char *)data;
	char err[256];
	double iv = 2;
	err[0] = '\0';
	struct snapshot *s = remote_parse_snapshot(json, size, 1, &iv, err, sizeof err);
	if (!s) {
		FUZZ_CHECK(err[0] != '\0' && !fuzz_has_control(err));
	} else {
		FUZZ_CHECK(s->nengines >= 1 && iv >= 0.01 && iv <= 3600);
		for (size_t e = 0; e < s->nengines; e++)
			FUZZ_CHECK(memchr(s->engines[e].name, '\0', sizeof s->engines[e].name) &&
			           memchr(s->engines[e].error, '\0', sizeof s->engines[e].error));
		for (size_t i = 0; i < s->n; i++) {
			const struct snap_container *c = &s->c[i];
			FUZZ_CHECK(c->si && c->si->info.id[0] && strlen(c->si->info.id) <= 64 && c->si->info.name);
			FUZZ_CHECK(c->engine < s->nengines && memchr(c->probe_error, '\0', sizeof c->probe_error));
			(void)snapshot_host_of(s, c);
		}
	}
	/* The same bytes as a history answer, twice (the second adds nothing older), then attached. */
	struct remote_history *h = remote_history_new(iv);
	FUZZ_CHECK(h != NULL);
	for (int k = 0; k < 2; k++) {
		err[0] = '\0';
		if (remote_history_add(h, json, size, err, sizeof err))
			FUZZ_CHECK(err[0] != '\0' && !fuzz_has_control(err));
	}
	if (s) {
		FUZZ_CHECK(remote_attach_history(s, h) == 0);
		for (size_t i = 0; i < s->n; i++)
			for (size_t k = 1; k < s->c[i].hist.count; k++)
				FUZZ_CHECK(series_view_get(&s->c[i].hist, k - 1).wall_ms <= series_view_get(&s->c[i].hist, k).wall_ms);
		err[0] = '\0';
		if (remote_parse_alerts(s, json, size, err, sizeof err) == 0) {
			for (size_t k = 0; k < s->nrecent_alerts; k++)
				FUZZ_CHECK(memchr(s->recent_alerts[k].msg, '\0', sizeof s->recent_alerts[k].msg));
		} else {
			FUZZ_CHECK(err[0] != '\0' && !fuzz_has_control(err));
		}
	}
	remote_history_free(h);
	snapshot_unref(s);
	return 0;
}
