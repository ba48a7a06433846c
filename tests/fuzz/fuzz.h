/* fuzz.h — what the fuzz targets share: the libFuzzer entry point, a check that aborts (so libFuzzer and the
 * corpus replay both report it as a crash), and an in-memory file for parsers that read a path.
 * It holds no parser logic; each tests/fuzz/fuzz_<name>.c calls lookout's real parsing functions. */
#ifndef LOOKOUT_FUZZ_H
#define LOOKOUT_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* Called once per input by libFuzzer, or by tests/fuzz/replay.c for each corpus file. Returns 0. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A broken promise of the code under test: print what and where, then abort (a crash to both drivers). */
#define FUZZ_CHECK(cond)                                                                                  \
	do {                                                                                                  \
		if (!(cond)) {                                                                                    \
			fprintf(stderr, "%s:%d: fuzz check failed: %s\n", __FILE__, __LINE__, #cond);                 \
			abort();                                                                                      \
		}                                                                                                 \
	} while (0)

/* Replaces the contents of an anonymous in-memory file (memfd, created on first use) with data[0..size)
 * and returns a path that opens it ("/proc/self/fd/N"), for parsers that take a path. Aborts when the
 * system cannot make one (not a finding: the harness itself cannot run). */
const char *fuzz_memfile(const uint8_t *data, size_t size);

/* Whether the string s holds a byte below 0x20 or DEL: a message for a person must be one clean line. */
int fuzz_has_control(const char *s);

#endif
