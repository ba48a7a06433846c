/* test_demo.c — the demo stack's pure parts: the demo app's parameter parsing and JSON escaping, and the stress
 * generator's level table (every documented level exists, picks follow the weights). */
#include <string.h>

#include "contrib/demo-app/params.h"
#include "contrib/stress/levels.h"
#include "tap.h"

int main(void)
{
	long v = -1;
	char err[200];
	ok(param_long("ms", NULL, 1, 100, 7, &v, err, sizeof err) == 0 && v == 7, "absent: the default");
	ok(param_long("ms", "42", 1, 100, 7, &v, err, sizeof err) == 0 && v == 42, "a plain number");
	ok(param_long("ms", "100", 1, 100, 7, &v, err, sizeof err) == 0 && v == 100, "the maximum itself");
	const char *bad[] = {"", "0", "101", "-1", "+5", " 5", "5 ", "5x", "0x10", "99999999999999999999999"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		ok(param_long("ms", bad[i], 1, 100, 7, &v, err, sizeof err) == -1, "refused: \"%s\"", bad[i]);
	param_long("queries", "a\"b\x1b[31m", 1, 100, 7, &v, err, sizeof err);
	is_str(err, "queries must be a whole number from 1 to 100, got \"a?b?[31m\"",
	       "the message names the parameter and range; the bad text is made harmless");

	char out[64];
	ok(json_escape(out, sizeof out, "a\"b\\c\nd\x01") > 0, "json_escape");
	is_str(out, "a\\\"b\\\\c\\nd\\u0001", "quotes, backslashes and controls escaped");
	ok(json_escape(out, 4, "abcdef") == -1 && strlen(out) < 4, "too long: cut, terminated, reported");

	const char *names[] = {"low", "medium", "high", "extreme", "cpu-intensive", "memory-intensive", "db-intensive"};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		const struct stress_level *lv = stress_level_find(names[i]);
		ok(lv && lv->concurrency > 0 && lv->paths[0].path, "level %s exists with workers and paths", names[i]);
	}
	ok(stress_level_find("High") == NULL && stress_level_find("") == NULL, "names are exact");
	const struct stress_level *lv = stress_level_find("low"); /* "/" 3, "/health" 1, "/cpu?ms=10" 1 */
	is_str(stress_level_pick(lv, 0.0), "/", "pick at 0 is the first path");
	is_str(stress_level_pick(lv, 0.59), "/", "pick below 3/5 is the first path");
	is_str(stress_level_pick(lv, 0.61), "/health", "then the second");
	is_str(stress_level_pick(lv, 0.999), "/cpu?ms=10", "then the last");
	ok(stress_level_find("memory-intensive")->preload_mb > 0, "memory-intensive holds memory for the run");
	return tap_done();
}
