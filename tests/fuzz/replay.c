/* replay.c — runs a fuzz target's seed corpus without libFuzzer, so every build (gcc included) feeds the
 * seeds and the regression inputs of past crashes through the real parsers under `make check`. A TAP test:
 * one result per file; a crash or a failed fuzz check aborts the program, which the TAP driver reports.
 * The program replay_<name> reads $top_srcdir/tests/fuzz/corpus/<name>/, or the files and directories given
 * as arguments. It does not fuzz (no mutation); `make fuzz` does. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"
#include "util.h"

static int n_done, n_bad;

static void run_file(const char *path)
{
	size_t len = 0;
	char *data = read_file(path, &len);
	n_done++;
	if (!data) {
		n_bad++;
		printf("not ok %d - %s: %s\n", n_done, path, strerror(errno));
		return;
	}
	/* An exact-size copy, so ASan sees a read past the end (read_file adds a NUL). */
	uint8_t *exact = malloc(len ? len : 1);
	if (!exact) {
		free(data);
		n_bad++;
		printf("not ok %d - %s: out of memory\n", n_done, path);
		return;
	}
	memcpy(exact, data, len);
	free(data);
	LLVMFuzzerTestOneInput(exact, len);
	free(exact);
	printf("ok %d - %s (%zu bytes)\n", n_done, path, len);
	fflush(stdout);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void run_path(const char *path)
{
	struct stat st;
	if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) {
		run_file(path);
		return;
	}
	DIR *d = opendir(path);
	if (!d) {
		n_done++;
		n_bad++;
		printf("not ok %d - %s: %s\n", n_done, path, strerror(errno));
		return;
	}
	char **names = NULL;
	size_t n = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char **grown = realloc(names, (n + 1) * sizeof *names);
		if (!grown)
			break;
		names = grown;
		if (!(names[n] = malloc(strlen(path) + strlen(e->d_name) + 2)))
			break;
		sprintf(names[n++], "%s/%s", path, e->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof *names, by_name);
	for (size_t i = 0; i < n; i++) {
		run_file(names[i]);
		free(names[i]);
	}
	free(names);
}

int main(int argc, char **argv)
{
	if (argc > 1) {
		for (int i = 1; i < argc; i++)
			run_path(argv[i]);
	} else {
		const char *base = strrchr(argv[0], '/');
		base = base ? base + 1 : argv[0];
		if (strncmp(base, "lt-", 3) == 0)
			base += 3;
		if (strncmp(base, "replay_", 7) != 0) {
			fprintf(stderr, "usage: replay_<target> [FILE|DIR]... (without arguments: the target's corpus)\n");
			return 2;
		}
		const char *top = getenv("top_srcdir");
		char dir[4096];
		snprintf(dir, sizeof dir, "%s/tests/fuzz/corpus/%s", top && *top ? top : ".", base + 7);
		run_path(dir);
	}
	if (n_done == 0) {
		printf("not ok 1 - no corpus files found\n1..1\n");
		return 1;
	}
	printf("1..%d\n", n_done);
	return n_bad ? 1 : 0;
}
