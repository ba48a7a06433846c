/* fuzz_config.c — fuzz target for the configuration parser: the input is read by config_load three ways,
 * as the --config file, as the --env-file and (one entry per line) as the environment, so the line reader
 * and every key's value parser see it. Checks the promises of config.h: 0, or -1 with one line for a person
 * in err; and a secret key's value (a key without a flag) never shows in that line. It does not judge which
 * configurations are accepted. */
#include <ctype.h>
#include <stdbool.h>
#include <string.h>

#include "config.h"
#include "fuzz.h"

/* Whether the line at s (up to end) sets a secret key: optional blanks and "export ", the name, blanks, '='. */
static bool sets_secret(const char *s, const char *end)
{
	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	if (end - s > 7 && memcmp(s, "export ", 7) == 0)
		s += 7;
	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	for (size_t i = 0; i < config_key_count(); i++) {
		const char *name = config_key_name(i);
		size_t n = strlen(name);
		if (config_key_flag(i) || (size_t)(end - s) <= n || memcmp(s, name, n) != 0)
			continue;
		const char *p = s + n;
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if (p < end && *p == '=')
			return true;
	}
	return false;
}

static size_t count(const char *hay, size_t hlen, const char *needle, size_t n)
{
	size_t c = 0;
	for (size_t i = 0; i + n <= hlen; i++)
		c += memcmp(hay + i, needle, n) == 0;
	return c;
}

/* A secret's value never shows in the message: every word of 8+ [a-z0-9] characters with a digit and a
 * lower-case letter that stands only once in the input, on a line setting a secret key, is absent from err. */
static void check_secrets(const char *in, size_t size, const char *err)
{
	const char *line = in, *end = in + size;
	while (line < end) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		const char *le = nl ? nl : end;
		if (sets_secret(line, le)) {
			const char *eq = memchr(line, '=', (size_t)(le - line));
			for (const char *w = eq + 1; w < le;) {
				const char *e = w;
				bool digit = false, lower = false;
				while (e < le && (isdigit((unsigned char)*e) || islower((unsigned char)*e))) {
					digit |= isdigit((unsigned char)*e) != 0;
					lower |= islower((unsigned char)*e) != 0;
					e++;
				}
				size_t n = (size_t)(e - w);
				if (n >= 8 && digit && lower && count(in, size, w, n) == 1 && count(err, strlen(err), w, n)) {
					fprintf(stderr, "fuzz: the value of a secret key shows in: %s\n", err);
					FUZZ_CHECK(!"a secret in an error message");
				}
				w = e > w ? e : w + 1;
			}
		}
		line = le + 1;
	}
}

static void load(char **argv, int argc, char *const *envp, const char *in, size_t size)
{
	struct config cfg;
	char err[1024] = "";
	int rc = config_load(&cfg, argc, argv, envp, err, sizeof err);
	if (rc != 0) {
		FUZZ_CHECK(rc == -1);
		FUZZ_CHECK(err[0] != '\0' && !fuzz_has_control(err));
		check_secrets(in, size, err);
	}
	config_free(&cfg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data;
	const char *path = fuzz_memfile(data, size);
	char *empty_env[] = {NULL};

	char a0[] = "lookout", cf[] = "--config", ef[] = "--env-file";
	char p1[64], p2[64];
	snprintf(p1, sizeof p1, "%s", path);
	snprintf(p2, sizeof p2, "%s", path);
	char *argv_cfg[] = {a0, cf, p1, NULL};
	load(argv_cfg, 3, empty_env, in, size);
	char *argv_env[] = {a0, ef, p2, NULL};
	load(argv_env, 3, empty_env, in, size);

	/* The environment: one entry per line (an entry ends at a NUL byte, as in execve). LOOKOUT_CONFIG is left
	 * out: it names a file to read, and the fuzzer could name /dev/stdin. */
	char *copy = malloc(size + 1);
	size_t lines = 1;
	for (size_t i = 0; i < size; i++)
		lines += data[i] == '\n';
	char **envp = calloc(lines + 1, sizeof *envp);
	FUZZ_CHECK(copy && envp);
	memcpy(copy, data, size);
	copy[size] = '\0';
	size_t k = 0;
	for (char *s = copy, *end = copy + size, *nl; s <= end; s = nl + 1) {
		nl = memchr(s, '\n', (size_t)(end - s));
		if (!nl)
			nl = end;
		*nl = '\0';
		if (strncmp(s, "LOOKOUT_CONFIG=", 15) != 0)
			envp[k++] = s;
	}
	envp[k] = NULL;
	char a1[] = "lookout";
	char *argv_none[] = {a1, NULL};
	load(argv_none, 1, envp, in, size);
	free(envp);
	free(copy);
	return 0;
}
