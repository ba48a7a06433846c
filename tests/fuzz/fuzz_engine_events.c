/* fuzz_engine_events.c — fuzz target for the Engine's GET /events stream: the input is cut into lines as
 * the stream reader does (one JSON document per line, trailing CR and blanks dropped) and each line goes
 * through docker_parse_event. Checks the event's promises (id at most 64 characters, terminated name,
 * non-negative time); it does not judge which events are accepted. */
#include <string.h>

#include "docker.h"
#include "fuzz.h"

static void one(const char *p, size_t n)
{
	struct docker_event e;
	char err[256] = "";
	while (n && (p[n - 1] == '\r' || p[n - 1] == ' '))
		n--;
	if (docker_parse_event(p, n, &e, err, sizeof err) != 0) {
		FUZZ_CHECK(err[0] != '\0' && !fuzz_has_control(err));
		return;
	}
	FUZZ_CHECK(memchr(e.id, '\0', sizeof e.id) && strlen(e.id) <= 64);
	FUZZ_CHECK(memchr(e.name, '\0', sizeof e.name));
	FUZZ_CHECK(e.time_ns >= 0);
	FUZZ_CHECK(e.action != DEV_DIE ? e.exit_code == -1 : 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data, *end = s + size;
	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		size_t n = (size_t)((nl ? nl : end) - s);
		one(s, n);
		s += n + (nl != NULL);
	}
	return 0;
}
