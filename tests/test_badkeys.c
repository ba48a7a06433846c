/* test_badkeys.c — every key of the table, given a wrong type, an out-of-range value or an empty one, as a flag,
 * in the environment and in a config file: the real binary must say so on exactly one line of stderr naming the
 * key, print nothing else, and exit 2 (3 under `lookout check`); a secret's value is never echoed. The bad values
 * are derived from the table (type, range, choices, default), so a new key is covered without touching this
 * file; only a new text key must be classified below (its format, or free text). Runs ./lookout, or $LOOKOUT. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "tap.h"

static char tmpdir[] = "/tmp/lookout-test-badkeys-XXXXXX";
static const char *lookout = "./lookout";
static char empty_conf[600], out_dir[600], no_sock[700];

/* Text keys whose value has a shape, with a value of the wrong shape. */
static const struct {
	const char *name, *bad;
} shaped[] = {
	{"DOCKER_HOST", "ftp://engine.example:2375"},
	{"LOOKOUT_LISTEN", "everywhere"},
	{"LOOKOUT_OUTPUT_DIR", ""},
	{"LOOKOUT_PROBES", "web=ftp://10.0.0.1/health"},
	{"LOOKOUT_HOSTS", "a=ftp://engine.example:2375"},
	{"AWS_REGION", "Europe West"},
	{"SMTP_HOST", "mail@relay"},
	{"SENDER_EMAIL", "not-an-address"},
	{"RECIPIENT_EMAILS", "ops@example.com,nobody"},
	{"PUBLIC_URL", "javascript:alert(1)"},
	{"LOOKOUT_SILENCE_ALERT", "everything"},
	{"LOOKOUT_SILENCE_FOR", "forever"},
	{"LOOKOUT_REPORT_SINCE", "yesterday"},
	{"LOOKOUT_REPORT_UNTIL", "the end of time"},
	{"LOOKOUT_CONTEXT", "../etc/passwd"},
	{"LOOKOUT_CONNECT", "ftp://daemon.example:8000"},
	{"LOOKOUT_PG_RETENTION", "5 years"},
	{"LOOKOUT_NOTIFY_HA_GROUP", ""},
};
/* Text keys that take any text without control characters (paths, names, ids, secrets). LOOKOUT_PG_URL is
 * parsed by libpq when the daemon starts (exit 2 there), not here: the program may be built without it. */
static const char *const free_text[] = {
	"LOOKOUT_HOST_ROOT", "LOOKOUT_CONTAINERS", "LOOKOUT_LOG_FILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
	"AWS_SECRET_ACCESS_KEY_FILE", "SMTP_USERNAME", "SMTP_PASSWORD", "SMTP_PASSWORD_FILE", "SMTP_CA_FILE",
	"LOOKOUT_SILENCES_FILE", "LOOKOUT_NOTIFY_STATE", "LOOKOUT_NOTIFY_FOLLOW", "HTTP_TOKEN", "HTTP_TOKEN_FILE",
	"LOOKOUT_REPORT_HTML", "LOOKOUT_PG_URL", "LOOKOUT_PG_URL_FILE",
	"LOOKOUT_CONNECT_TOKEN", "LOOKOUT_CONNECT_TOKEN_FILE",
	"LOOKOUT_REPORT_HOST",
};

/* A TAP comment; control characters (the program's output may hold some) shown as \xNN, on one line. */
__attribute__((format(printf, 1, 2))) static void diag(const char *fmt, ...)
{
	char line[1200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	fputs("# ", stdout);
	for (const char *p = line; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			printf("\\x%02x", (unsigned char)*p);
		else
			putchar(*p);
	putchar('\n');
}

struct result {
	int status; /* exit status, or -1: killed at the deadline / by a signal */
	char out[8192], err[8192];
	size_t outlen, errlen;
};

static size_t slurp(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "rb");
	size_t n = f ? fread(buf, 1, len - 1, f) : 0;
	if (f)
		fclose(f);
	buf[n] = '\0';
	return n;
}

/* Runs lookout with argv (after the program name) and exactly the environment env; 10 s deadline. */
static void run(char *const *args, char *const *env, struct result *r)
{
	char outp[700], errp[700];
	snprintf(outp, sizeof outp, "%s/stdout", tmpdir);
	snprintf(errp, sizeof errp, "%s/stderr", tmpdir);
	char *argv[16] = {(char *)lookout};
	int argc = 1;
	for (; args[argc - 1] && argc < 15; argc++)
		argv[argc] = args[argc - 1];
	argv[argc] = NULL;
	r->status = -1;
	pid_t pid = fork();
	if (pid == 0) {
		int o = open(outp, O_WRONLY | O_CREAT | O_TRUNC, 0600), e = open(errp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int in = open("/dev/null", O_RDONLY);
		if (o < 0 || e < 0 || in < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0 || dup2(in, 0) < 0)
			_exit(126);
		execve(lookout, argv, env);
		_exit(127);
	}
	int st = 0;
	for (int i = 0; pid > 0 && i < 1000; i++) {
		pid_t w = waitpid(pid, &st, WNOHANG);
		if (w == pid) {
			r->status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
			pid = 0;
			break;
		}
		nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
	}
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
	}
	r->outlen = slurp(outp, r->out, sizeof r->out);
	r->errlen = slurp(errp, r->err, sizeof r->err);
}

/* Exactly one line, no control characters in it (the value may hold an escape sequence), at most 600 bytes. */
static bool one_clean_line(const struct result *r)
{
	if (r->errlen == 0 || r->errlen > 600 || r->err[r->errlen - 1] != '\n')
		return false;
	for (size_t i = 0; i + 1 < r->errlen; i++)
		if ((unsigned char)r->err[i] < 0x20 || r->err[i] == 0x7f)
			return false;
	return true;
}

enum origin { VIA_FLAG, VIA_ENV, VIA_FILE };
static const char *const origin_names[] = {"flag", "environment", "config file"};

/* One bad value of key i through one origin, in the default mode (--version: the whole configuration is
 * validated before any mode runs) or under `check` (exit 3). */
static void expect_refused(size_t i, const char *value, enum origin via, bool check, const char *what)
{
	const char *name = config_key_name(i), *flag = config_key_flag(i);
	static char var[8192], arg[8192], conf[700], lookout_config[800];
	char *args[8] = {NULL}, *env[8] = {NULL};
	int na = 0, ne = 0;
	env[ne++] = "PATH=/usr/bin:/bin";
	env[ne++] = "HOME=/nonexistent";
	snprintf(lookout_config, sizeof lookout_config, "LOOKOUT_CONFIG=%s", empty_conf);
	if (via == VIA_FILE) {
		snprintf(conf, sizeof conf, "%s/bad.conf", tmpdir);
		FILE *f = fopen(conf, "w");
		if (f) {
			fprintf(f, "# a config file with one bad line\n%s = %s\n", name, value);
			fclose(f);
		}
		snprintf(lookout_config, sizeof lookout_config, "LOOKOUT_CONFIG=%s", conf);
	}
	env[ne++] = lookout_config;
	if (check) {
		args[na++] = "check";
		/* Should the value pass, check fails fast on an engine that is not there, with another message. */
		if (strcmp(name, "DOCKER_HOST") != 0)
			env[ne++] = no_sock;
		if (strcmp(name, "LOOKOUT_OUTPUT_DIR") != 0)
			env[ne++] = out_dir;
	} else {
		args[na++] = "--version";
	}
	if (via == VIA_FLAG) {
		snprintf(arg, sizeof arg, "--%s=%s", flag, value);
		args[na++] = arg;
	} else if (via == VIA_ENV) {
		snprintf(var, sizeof var, "%s=%s", name, value);
		env[ne++] = var;
	}
	struct result r;
	run(args, env, &r);
	int want = check ? 3 : 2;
	bool named = strstr(r.err, name) != NULL;
	bool secret_kept = flag || strlen(value) < 4 || !strstr(r.err, value);
	bool good = r.status == want && one_clean_line(&r) && named && r.outlen == 0 && secret_kept;
	ok(good, "%s %s (%s%s): refused on one line naming it, exit %d", name, what, origin_names[via],
	   check ? ", check" : "", want);
	if (!good) {
		diag("exit %d, stdout %zu bytes, stderr: %.300s", r.status, r.outlen, r.err);
		if (!secret_kept)
			diag("the secret value was echoed");
	}
}

static bool in_free_text(const char *name)
{
	for (size_t i = 0; i < sizeof free_text / sizeof *free_text; i++)
		if (strcmp(free_text[i], name) == 0)
			return true;
	return false;
}

static const char *shaped_bad(const char *name)
{
	for (size_t i = 0; i < sizeof shaped / sizeof *shaped; i++)
		if (strcmp(shaped[i].name, name) == 0)
			return shaped[i].bad;
	return NULL;
}

int main(void)
{
	const char *env_lookout = getenv("LOOKOUT");
	if (env_lookout && *env_lookout)
		lookout = env_lookout;
	if (access(lookout, X_OK)) {
		printf("1..0 # SKIP %s not built\n", lookout);
		return 0;
	}
	if (!mkdtemp(tmpdir))
		return 1;
	snprintf(empty_conf, sizeof empty_conf, "%s/empty.conf", tmpdir);
	FILE *f = fopen(empty_conf, "w");
	if (f)
		fclose(f);
	snprintf(out_dir, sizeof out_dir, "LOOKOUT_OUTPUT_DIR=%s/out", tmpdir);
	snprintf(no_sock, sizeof no_sock, "DOCKER_HOST=unix://%s/no-engine.sock", tmpdir);

	/* The harness itself: a good configuration passes, so a refusal below is the value's doing. */
	struct result r;
	char lc[800];
	snprintf(lc, sizeof lc, "LOOKOUT_CONFIG=%s", empty_conf);
	char *env_ok[] = {"PATH=/usr/bin:/bin", lc, NULL};
	run((char *[]){"--version", NULL}, env_ok, &r);
	ok(r.status == 0 && r.errlen == 0, "defaults: lookout --version exits 0 and says nothing on stderr");

	/* A long value: named, cut, still one line. */
	char long_value[5000];
	memset(long_value, '9', sizeof long_value - 1);
	long_value[sizeof long_value - 1] = '\0';

	size_t nkeys = config_key_count();
	for (size_t i = 0; i < nkeys; i++) {
		const char *name = config_key_name(i), *flag = config_key_flag(i), *type = config_key_type(i);
		const char *def = config_key_default(i);
		double min, max;
		config_key_range(i, &min, &max);
		/* origin rotates so that every key is tried through each, without trying every value three times */
		enum origin first = flag && strcmp(type, "bool") != 0 ? VIA_FLAG : VIA_ENV;
		enum origin via = first;
#define NEXT_VIA() (via = via == VIA_FLAG ? VIA_ENV : (first == VIA_FLAG ? VIA_FLAG : VIA_ENV))
		char v[200];
		if (strcmp(type, "seconds") == 0 || strcmp(type, "int") == 0) {
			bool is_int = strcmp(type, "int") == 0;
			expect_refused(i, "soon", via, false, "given a word");
			NEXT_VIA();
			expect_refused(i, "", via, false, "given an empty value");
			NEXT_VIA();
			if (min > 0 && !is_int)
				snprintf(v, sizeof v, "%g", min / 2);
			else
				snprintf(v, sizeof v, "%.0f", min - 1);
			expect_refused(i, v, via, false, "below its minimum");
			NEXT_VIA();
			snprintf(v, sizeof v, is_int ? "%.0f" : "%g", max + (is_int ? 1 : max));
			expect_refused(i, v, via, false, "above its maximum");
			NEXT_VIA();
			expect_refused(i, is_int ? "2.5" : "nan", via, false, is_int ? "given a fraction" : "given nan");
			NEXT_VIA();
			expect_refused(i, long_value, via, false, "given a 5000-digit number");
			expect_refused(i, "12 monkeys", VIA_FILE, false, "given trailing words");
			expect_refused(i, "-", VIA_ENV, true, "given a dash");
		} else if (strcmp(type, "bool") == 0) {
			expect_refused(i, "perhaps", VIA_ENV, false, "given a word");
			expect_refused(i, "", VIA_ENV, false, "given an empty value");
			expect_refused(i, "2", VIA_FILE, false, "given 2");
			expect_refused(i, "yes please", VIA_ENV, true, "given two words");
			if (flag) {
				/* A switch given a value: one line naming the flag (the key is not named here). */
				char arg[200], *args[] = {"--version", arg, NULL};
				char *env[] = {"PATH=/usr/bin:/bin", lc, NULL};
				snprintf(arg, sizeof arg, "--%s=no", flag);
				run(args, env, &r);
				ok(r.status == 2 && one_clean_line(&r) && strstr(r.err, flag) && strstr(r.err, "no value"),
				   "--%s=no: the switch takes no value, said on one line, exit 2", flag);
				if (r.status != 2 || !one_clean_line(&r))
					diag("exit %d: %.300s", r.status, r.err);
			}
		} else if (strcmp(type, "enum") == 0) {
			const char *choices = config_key_choices(i);
			expect_refused(i, "none-of-these", via, false, "given an unknown choice");
			NEXT_VIA();
			expect_refused(i, "", via, false, "given an empty value");
			/* a choice with something after it, and a prefix of one */
			snprintf(v, sizeof v, "%.*sx", (int)strcspn(choices, "|"), choices);
			expect_refused(i, v, VIA_FILE, false, "given a choice with a letter more");
			expect_refused(i, "bogus", VIA_ENV, true, "given an unknown choice");
		} else {
			/* Text: control characters are refused and never reach the terminal. */
			expect_refused(i, flag ? "bad\033[2J\033]52;c;SGk=\007value" : "s3cr3t\033[2Jvalue", via, false,
			               "given escape sequences");
			NEXT_VIA();
			expect_refused(i, flag ? "two\r\nlines" : "hunter2\r\nX-Injected: 1", via, false, "given CR/LF");
			expect_refused(i, flag ? "tab\there" : "s3cr3t\tvalue", VIA_FILE, false, "given a tab");
			if (*def) {
				expect_refused(i, "", VIA_ENV, false, "given an empty value (its default is not empty)");
				expect_refused(i, "", VIA_ENV, true, "given an empty value (its default is not empty)");
			}
			const char *bad = shaped_bad(name);
			if (bad && *bad) {
				expect_refused(i, bad, flag ? VIA_FLAG : VIA_ENV, false, "given text of the wrong shape");
				expect_refused(i, bad, VIA_FILE, false, "given text of the wrong shape");
				expect_refused(i, bad, VIA_ENV, true, "given text of the wrong shape");
			}
			ok(bad || in_free_text(name),
			   "%s: a text key is classified in test_badkeys.c (its format, or free text)", name);
		}
#undef NEXT_VIA
	}

	char cmd[600];
	snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
	if (system(cmd) != 0)
		printf("# cleanup of %s failed\n", tmpdir);
	return tap_done();
}
