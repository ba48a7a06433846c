/* stress.c — the load generator of lookout's demo stack: keeps a level's number of requests in flight against the
 * demo app with libcurl's multi interface (one thread, no busy waiting), prints progress once a second and a
 * summary at the end or on Ctrl-C. It measures what it sent; judging the app is lookout's job. */
#include <curl/curl.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "levels.h"

#define REQUEST_TIMEOUT_S 30L
#define PRELOAD_CHUNK_MB 64
#define HOLD_MAX_S 600

static volatile sig_atomic_t stop_signal;
static void on_signal(int sig) { stop_signal = sig; }

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Latencies (ms) of a period, growable. */
struct lat {
	double *v;
	size_t n, cap;
};
static int lat_add(struct lat *l, double ms)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 1024;
		double *v = realloc(l->v, cap * sizeof *v);
		if (!v)
			return -1;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = ms;
	return 0;
}
static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}
/* Sorts l and returns its q-quantile (nearest rank); NAN when empty. */
static double lat_quantile(struct lat *l, double q)
{
	if (!l->n)
		return NAN;
	qsort(l->v, l->n, sizeof *l->v, cmp_double);
	size_t i = (size_t)ceil(q * (double)l->n);
	return l->v[i ? i - 1 : 0];
}

struct counts {
	uint64_t requests, ok, http_4xx, http_5xx, conn_errors, timeouts, other_errors;
	double sum_ms, max_ms;
	struct lat lat;
};

static void count(struct counts *c, CURLcode rc, long status, double ms)
{
	c->requests++;
	if (rc == CURLE_OPERATION_TIMEDOUT)
		c->timeouts++;
	else if (rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST || rc == CURLE_RECV_ERROR ||
	         rc == CURLE_SEND_ERROR || rc == CURLE_GOT_NOTHING)
		c->conn_errors++;
	else if (rc != CURLE_OK)
		c->other_errors++;
	else if (status >= 500)
		c->http_5xx++;
	else if (status >= 400)
		c->http_4xx++;
	else
		c->ok++;
	if (rc == CURLE_OK) {
		c->sum_ms += ms;
		if (ms > c->max_ms)
			c->max_ms = ms;
		lat_add(&c->lat, ms);
	}
}

static uint64_t errors(const struct counts *c) { return c->requests - c->ok; }

static size_t discard(char *p, size_t size, size_t n, void *u)
{
	(void)p;
	(void)u;
	return size * n;
}

struct slot {
	CURL *h;
	bool busy;
	bool preload;     /* a memory-intensive preload request, not a worker */
	double resume_at; /* a worker starts its next request from this time */
	char url[2048];
};

static int start_request(CURLM *m, struct slot *s, const char *url)
{
	if (!s->h && !(s->h = curl_easy_init()))
		return -1;
	snprintf(s->url, sizeof s->url, "%s", url);
	curl_easy_setopt(s->h, CURLOPT_URL, s->url);
	curl_easy_setopt(s->h, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(s->h, CURLOPT_TIMEOUT, REQUEST_TIMEOUT_S);
	curl_easy_setopt(s->h, CURLOPT_CONNECTTIMEOUT, 5L);
	curl_easy_setopt(s->h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(s->h, CURLOPT_PRIVATE, s);
	curl_easy_setopt(s->h, CURLOPT_USERAGENT, "lookout-stress/1");
	if (curl_multi_add_handle(m, s->h) != CURLM_OK)
		return -1;
	s->busy = true;
	return 0;
}

static void print_line(FILE *out, double t, const struct counts *c, double period_s, struct lat *l)
{
	double p95 = lat_quantile(l, 0.95);
	uint64_t good = c->requests - c->timeouts - c->conn_errors - c->other_errors;
	fprintf(out, "[%5.0fs] %6llu requests (%5.1f/s), %llu errors; latency avg %.1f ms, p95 %.1f ms, max %.1f ms\n", t,
	        (unsigned long long)c->requests, period_s > 0 ? (double)c->requests / period_s : 0.0,
	        (unsigned long long)errors(c), good ? c->sum_ms / (double)good : 0.0, isnan(p95) ? 0.0 : p95, c->max_ms);
	fflush(out);
}

static void usage(FILE *out)
{
	size_t n;
	const struct stress_level *lv = stress_levels(&n);
	fprintf(out, "Usage: stress [--level LEVEL] [--duration SECONDS] [--target URL] [--concurrency N] "
	             "[--memory-mb N]\n"
	             "Sends load to lookout's demo app; prints progress every second and a summary at the end "
	             "(Ctrl-C stops early).\n\n"
	             "Settings (flag, else environment, else default):\n"
	             "  --level, STRESS_LEVEL          load profile (default medium)\n"
	             "  --duration, DURATION           seconds to run, 0 = until Ctrl-C (default 60)\n"
	             "  --target, TARGET_URL           the app (default http://monitored-app:8080)\n"
	             "  --concurrency, CONCURRENCY     requests in flight, instead of the level's\n"
	             "  --memory-mb, STRESS_MEMORY_MB  memory-intensive: MiB held for the whole run (default 256)\n\n"
	             "Levels:\n");
	for (size_t i = 0; i < n; i++)
		fprintf(out, "  %-17s %s\n", lv[i].name, lv[i].what);
}

/* A whole number from min to max, with an optional s or m suffix when seconds. 0 or -1. */
static int parse_num(const char *s, long min, long max, bool seconds, long *out)
{
	char *end;
	errno = 0;
	if (!s || *s < '0' || *s > '9')
		return -1;
	long v = strtol(s, &end, 10);
	if (errno)
		return -1;
	if (seconds && strcmp(end, "s") == 0)
		end++;
	else if (seconds && strcmp(end, "m") == 0) {
		v *= 60;
		end++;
	}
	if (*end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int main(int argc, char **argv)
{
	const char *level = getenv("STRESS_LEVEL"), *duration_s = getenv("DURATION"), *target = getenv("TARGET_URL");
	const char *conc_s = getenv("CONCURRENCY"), *mem_s = getenv("STRESS_MEMORY_MB");
	for (int i = 1; i < argc; i++) {
		const char **dst = NULL;
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			return 0;
		} else if (strcmp(argv[i], "--level") == 0)
			dst = &level;
		else if (strcmp(argv[i], "--duration") == 0)
			dst = &duration_s;
		else if (strcmp(argv[i], "--target") == 0)
			dst = &target;
		else if (strcmp(argv[i], "--concurrency") == 0)
			dst = &conc_s;
		else if (strcmp(argv[i], "--memory-mb") == 0)
			dst = &mem_s;
		if (!dst || i + 1 >= argc) {
			fprintf(stderr, "stress: %s %.60s (see stress --help)\n", dst ? "missing value for" : "unknown argument",
			        argv[i]);
			return 2;
		}
		*dst = argv[++i];
	}
	if (!level || !*level)
		level = "medium";
	const struct stress_level *lv = stress_level_find(level);
	if (!lv) {
		fprintf(stderr, "stress: unknown level \"%.40s\"; one of low, medium, high, extreme, cpu-intensive, "
		                "memory-intensive, db-intensive\n", level);
		return 2;
	}
	long duration = 60, conc = lv->concurrency, mem_mb = lv->preload_mb ? 256 : 0;
	if (duration_s && *duration_s && parse_num(duration_s, 0, 7 * 86400, true, &duration)) {
		fprintf(stderr, "stress: DURATION must be whole seconds (0 = until Ctrl-C), got \"%.40s\"\n", duration_s);
		return 2;
	}
	if (conc_s && *conc_s && parse_num(conc_s, 1, 1000, false, &conc)) {
		fprintf(stderr, "stress: CONCURRENCY must be a whole number from 1 to 1000, got \"%.40s\"\n", conc_s);
		return 2;
	}
	if (lv->preload_mb && mem_s && *mem_s && parse_num(mem_s, 1, 65536, false, &mem_mb)) {
		fprintf(stderr, "stress: STRESS_MEMORY_MB must be a whole number from 1 to 65536, got \"%.40s\"\n", mem_s);
		return 2;
	}
	if (!target || !*target)
		target = "http://monitored-app:8080";
	size_t tl = strlen(target);
	while (tl && target[tl - 1] == '/')
		tl--;
	if (tl == 0 || tl > 1500 || (strncmp(target, "http://", 7) != 0 && strncmp(target, "https://", 8) != 0)) {
		fprintf(stderr, "stress: TARGET_URL must be an http:// or https:// URL, got \"%.60s\"\n", target);
		return 2;
	}

	setvbuf(stdout, NULL, _IOLBF, 0);
	struct sigaction sa = {.sa_handler = on_signal};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, "stress: cannot initialise libcurl\n");
		return 1;
	}
	CURLM *m = curl_multi_init();
	long npre = mem_mb ? (mem_mb + PRELOAD_CHUNK_MB - 1) / PRELOAD_CHUNK_MB : 0;
	size_t nslots = (size_t)(conc + npre);
	struct slot *slots = calloc(nslots, sizeof *slots);
	if (!m || !slots) {
		fprintf(stderr, "stress: out of memory\n");
		return 1;
	}
	printf("stress: level %s (%s) against %.*s for %s%ld s%s\n", lv->name, lv->what, (int)tl, target,
	       duration ? "" : "ever; ", duration, duration ? "" : " (Ctrl-C stops)");
	if (mem_mb)
		printf("stress: holding %ld MiB in the app for the whole run\n", mem_mb);

	struct counts total = {0}, period = {0};
	unsigned seed = (unsigned)time(NULL);
	double t0 = now_s(), next_report = t0 + 1, last_report = t0, preload_at = t0;
	long hold = duration ? duration + 5 : HOLD_MAX_S;
	if (hold > HOLD_MAX_S)
		hold = HOLD_MAX_S;
	char url[2048];
	for (;;) {
		double now = now_s();
		bool running = !stop_signal && (duration == 0 || now - t0 < (double)duration);
		if (running) {
			/* memory-intensive: (re)place the held memory before the app releases it. */
			if (npre && now >= preload_at) {
				long left = mem_mb;
				for (long i = 0; i < npre; i++, left -= PRELOAD_CHUNK_MB) {
					struct slot *s = &slots[conc + i];
					if (s->busy)
						continue;
					s->preload = true;
					snprintf(url, sizeof url, "%.*s/memory?mb=%ld&hold=%ld", (int)tl, target,
					         left < PRELOAD_CHUNK_MB ? left : PRELOAD_CHUNK_MB, hold);
					start_request(m, s, url);
				}
				preload_at = now + (double)hold - 5;
			}
			for (long i = 0; i < conc; i++) {
				struct slot *s = &slots[i];
				if (s->busy || now < s->resume_at)
					continue;
				snprintf(url, sizeof url, "%.*s%s", (int)tl, target,
				         stress_level_pick(lv, (double)rand_r(&seed) / ((double)RAND_MAX + 1.0)));
				if (start_request(m, s, url)) {
					fprintf(stderr, "stress: cannot start a request (out of memory)\n");
					stop_signal = SIGTERM;
					break;
				}
			}
		}
		int still = 0;
		curl_multi_perform(m, &still);
		CURLMsg *msg;
		int left_msgs;
		while ((msg = curl_multi_info_read(m, &left_msgs))) {
			if (msg->msg != CURLMSG_DONE)
				continue;
			struct slot *s = NULL;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&s);
			long status = 0;
			curl_off_t us = 0;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &status);
			curl_easy_getinfo(msg->easy_handle, CURLINFO_TOTAL_TIME_T, &us);
			CURLcode rc = msg->data.result;
			curl_multi_remove_handle(m, msg->easy_handle);
			s->busy = false;
			s->resume_at = now_s() + lv->pause_ms / 1000.0;
			count(&total, rc, status, (double)us / 1000.0);
			count(&period, rc, status, (double)us / 1000.0);
			if (s->preload && (rc != CURLE_OK || status != 200)) {
				fprintf(stderr, "stress: holding memory in the app failed (%s); retrying in 1 s\n",
				        rc != CURLE_OK ? curl_easy_strerror(rc) : "HTTP error");
				preload_at = now_s() + 1;
			}
		}
		now = now_s();
		if (now >= next_report) {
			print_line(stdout, now - t0, &period, now - last_report, &period.lat);
			free(period.lat.v);
			period = (struct counts){0};
			last_report = now;
			next_report += 1;
			if (next_report < now)
				next_report = now + 1;
		}
		if (!running && still == 0)
			break;
		if (!running && stop_signal) {
			/* Ctrl-C: do not wait for requests in flight (a /cpu call may take seconds). */
			for (size_t i = 0; i < nslots; i++)
				if (slots[i].busy) {
					curl_multi_remove_handle(m, slots[i].h);
					slots[i].busy = false;
				}
			break;
		}
		curl_multi_poll(m, NULL, 0, 100, NULL);
	}
	double elapsed = now_s() - t0;
	double p50 = lat_quantile(&total.lat, 0.5), p95 = lat_quantile(&total.lat, 0.95),
	       p99 = lat_quantile(&total.lat, 0.99);
	uint64_t answered = total.requests - total.timeouts - total.conn_errors - total.other_errors;
	printf("\nstress: summary%s\n", stop_signal ? " (stopped early)" : "");
	printf("  level            %s, %ld workers, %.1f s\n", lv->name, conc, elapsed);
	printf("  requests         %llu (%.1f/s)\n", (unsigned long long)total.requests,
	       elapsed > 0 ? (double)total.requests / elapsed : 0.0);
	printf("  succeeded        %llu\n", (unsigned long long)total.ok);
	printf("  errors           %llu (HTTP 4xx %llu, HTTP 5xx %llu, connection %llu, timeout %llu, other %llu)\n",
	       (unsigned long long)errors(&total), (unsigned long long)total.http_4xx, (unsigned long long)total.http_5xx,
	       (unsigned long long)total.conn_errors, (unsigned long long)total.timeouts,
	       (unsigned long long)total.other_errors);
	if (answered)
		printf("  latency          min %.1f, avg %.1f, p50 %.1f, p95 %.1f, p99 %.1f, max %.1f ms\n", total.lat.v[0],
		       total.sum_ms / (double)answered, p50, p95, p99, total.max_ms);
	for (size_t i = 0; i < nslots; i++)
		curl_easy_cleanup(slots[i].h);
	free(slots);
	free(total.lat.v);
	free(period.lat.v);
	curl_multi_cleanup(m);
	curl_global_cleanup();
	/* Nothing answered at all: the target is wrong or down, which a script wants to know. */
	return total.requests > 0 && total.ok == 0 ? 1 : 0;
}
