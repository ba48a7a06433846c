/* hostmeter.c — /proc/stat and /proc/meminfo every interval on a small thread: host CPU busy % since the last
 * sample and memory used (total minus available, as free(1) shows it). Nothing else. */
#include "autoconfig.h"
#include "tui/hostmeter.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util.h"

struct hostmeter {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool stop, have;
	double cpu_pct, mem_used, mem_total;
	char root[1024];
	double interval_s;
};

static int read_cpu(const char *root, uint64_t *busy, uint64_t *total)
{
	char path[1100];
	snprintf(path, sizeof path, "%s/proc/stat", root);
	char *s = read_file(path, NULL);
	if (!s)
		return -1;
	uint64_t v[8] = {0};
	int n = sscanf(s, "cpu %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64
	                  " %" SCNu64,
	               &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]);
	free(s);
	if (n < 4)
		return -1;
	*total = 0;
	for (int i = 0; i < 8; i++)
		*total += v[i];
	*busy = *total - v[3] - v[4]; /* idle and iowait are not busy */
	return 0;
}

static int read_mem(const char *root, double *used, double *total)
{
	char path[1100];
	snprintf(path, sizeof path, "%s/proc/meminfo", root);
	char *s = read_file(path, NULL);
	if (!s)
		return -1;
	unsigned long long t = 0, a = 0;
	const char *p = strstr(s, "MemTotal:");
	const char *q = strstr(s, "MemAvailable:");
	int ok = p && q && sscanf(p, "MemTotal: %llu", &t) == 1 && sscanf(q, "MemAvailable: %llu", &a) == 1;
	free(s);
	if (!ok)
		return -1;
	*total = (double)t * 1024;
	*used = (double)(t - (a < t ? a : t)) * 1024;
	return 0;
}

static void *hostmeter_main(void *arg)
{
	struct hostmeter *h = arg;
	uint64_t pb = 0, pt = 0;
	bool prev = false;
	pthread_mutex_lock(&h->lock);
	while (!h->stop) {
		pthread_mutex_unlock(&h->lock);
		uint64_t b, t;
		double used, total;
		bool cpu_ok = read_cpu(h->root, &b, &t) == 0;
		bool mem_ok = read_mem(h->root, &used, &total) == 0;
		pthread_mutex_lock(&h->lock);
		if (cpu_ok && prev && t > pt && mem_ok) {
			h->cpu_pct = (double)(b - pb) * 100.0 / (double)(t - pt);
			h->mem_used = used;
			h->mem_total = total;
			h->have = true;
		}
		if (cpu_ok) {
			pb = b;
			pt = t;
			prev = true;
		}
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		int64_t ns = (int64_t)(h->interval_s * 1e9);
		ts.tv_sec += (time_t)(ns / 1000000000);
		ts.tv_nsec += (long)(ns % 1000000000);
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		while (!h->stop && pthread_cond_timedwait(&h->cond, &h->lock, &ts) != ETIMEDOUT)
			;
	}
	pthread_mutex_unlock(&h->lock);
	return NULL;
}

struct hostmeter *hostmeter_new(const char *host_root, double interval_s, char *err, size_t errlen)
{
	struct hostmeter *h = calloc(1, sizeof *h);
	if (!h) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	snprintf(h->root, sizeof h->root, "%s", host_root ? host_root : "");
	h->interval_s = interval_s > 0.2 ? interval_s : 0.2;
	pthread_mutex_init(&h->lock, NULL);
	pthread_cond_init(&h->cond, NULL);
	int rc = pthread_create(&h->thread, NULL, hostmeter_main, h);
	if (rc) {
		snprintf(err, errlen, "cannot start the host meter thread: %s", strerror(rc));
		pthread_mutex_destroy(&h->lock);
		pthread_cond_destroy(&h->cond);
		free(h);
		return NULL;
	}
	return h;
}

void hostmeter_free(struct hostmeter *h)
{
	if (!h)
		return;
	pthread_mutex_lock(&h->lock);
	h->stop = true;
	pthread_cond_signal(&h->cond);
	pthread_mutex_unlock(&h->lock);
	pthread_join(h->thread, NULL);
	pthread_mutex_destroy(&h->lock);
	pthread_cond_destroy(&h->cond);
	free(h);
}

bool hostmeter_get(struct hostmeter *h, double *cpu_pct, double *mem_used_bytes, double *mem_total_bytes)
{
	pthread_mutex_lock(&h->lock);
	bool have = h->have;
	*cpu_pct = h->cpu_pct;
	*mem_used_bytes = h->mem_used;
	*mem_total_bytes = h->mem_total;
	pthread_mutex_unlock(&h->lock);
	return have;
}
