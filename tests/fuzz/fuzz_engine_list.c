/* fuzz_engine_list.c — fuzz target for the Engine's GET /containers/json and GET /version answers
 * (docker_parse_list, docker_parse_version): any bytes in, an error or well-formed structs out.
 * Checks the parsers' promises (ids of at most 64 characters, labels
 * complete, fields terminated);
 * it does not judge which answers are accepted. */
#include <string.h>

#include "container.h"
#include "docker.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *json = (const char *)data;
	char err[256];
	struct container_info *list = NULL;
	size_t n = 99;
	err[0] = '\0';
	if (docker_parse_list(json, size, &list, &n, err, sizeof err) == 0) {
		for (size_t i = 0; i < n; i++) {
			struct container_info *c = &list[i];
			FUZZ_CHECK(c->id[0] != '\0' && strlen(c->id) <= 64);
			for (size_t k = 0; k < c->nlabels; k++)
				FUZZ_CHECK(c->labels[k].key && c->labels[k].value);
			(void)container_label(c, "lookout.enable");
			(void)container_state_name(c->state);
			container_info_free(c);
		}
		free(list);
	} else {
		FUZZ_CHECK(list == NULL && n == 0);
		FUZZ_CHECK(err[0] != '\0' && !fuzz_has_control(err));
	}

	struct docker_version v;
	err[0] = '\0';
	if (docker_parse_version(json, size, &v, err, sizeof err) == 0) {
		FUZZ_CHECK(memchr(v.version, '\0', sizeof v.version) && memchr(v.api_version, '\0', sizeof v.api_version));
		FUZZ_CHECK(memchr(v.os, '\0', sizeof v.os) && memchr(v.hostname, '\0', sizeof v.hostname));
	} else {
		FUZZ_CHECK(err[0] != '\0' && !fuzz_has_control(err));
	}
	return 0;
}
