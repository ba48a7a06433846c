/* fuzz_engine_inspect.c — fuzz target for the Engine's GET /containers/{id}/json answer (docker_parse_inspect)
 * and what the collector does next with it (copy, cpuset count, labels). Checks the parser's promises; it
 * does not judge which answers are accepted. */
#include <string.h>

#include "container.h"
#include "docker.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct container_info c, copy;
	char err[256] = "";
	if (docker_parse_inspect((const char *)data, size, &c, err, sizeof err) != 0) {
		FUZZ_CHECK(err[0] != '\0' && !fuzz_has_control(err));
		return 0;
	}
	FUZZ_CHECK(strlen(c.id) <= 64);
	FUZZ_CHECK(c.pid >= 0 && c.restart_count >= 0);
	FUZZ_CHECK(!c.health_output || strlen(c.health_output) <= 4096);
	FUZZ_CHECK(!c.cpuset_cpus || c.cpuset_cpus[0] != '\0');
	(void)cpuset_count(c.cpuset_cpus);
	(void)container_health_name(c.health);
	(void)container_label(&c, "lookout.url");
	if (container_info_copy(&copy, &c) == 0) {
		FUZZ_CHECK(copy.nlabels == c.nlabels && strcmp(copy.id, c.id) == 0);
		container_info_free(&copy);
	}
	container_info_free(&c);
	return 0;
}
