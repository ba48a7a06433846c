/* floor.c — the physical floor of container sampling, for `make bench`: a minimal reader that opens, once,
 * the cgroup files lookout reads for each container (and its /proc/PID/net/dev), then every interval
 * preads them all and sums the numbers it finds — no JSON, no history, no threads. What lookout spends
 * above this is its own overhead.
 *   floor INTERVAL_S SECONDS PID...   (one PID per container: its main process) */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_FILES 16

struct target {
	int fd[MAX_FILES];
	int nfd;
};

/* Opens dir/name if it exists; returns 0 when opened. */
static int add_file(struct target *t, const char *dir, const char *name)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || t->nfd == MAX_FILES) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	t->fd[t->nfd++] = fd;
	return 0;
}

/* The files of one container, resolved from /proc/PID/cgroup (v1 controllers or the v2 unified path). */
static int open_target(struct target *t, int pid)
{
	char path[64], line[4096];
	snprintf(path, sizeof path, "/proc/%d/cgroup", pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	t->nfd = 0;
	while (fgets(line, sizeof line, f)) {
		line[strcspn(line, "\n")] = '\0';
		char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		if (!c2)
			continue;
		*c1 = *c2 = '\0';
		const char *ctrls = c1 + 1, *rel = c2 + 1;
		char dir[4096];
		if (*ctrls == '\0') { /* v2 unified (or the hybrid's unified line: skip it when v1 lines exist) */
			snprintf(dir, sizeof dir, "/sys/fs/cgroup%s", rel);
			if (access("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0) {
				add_file(t, dir, "cpu.stat");
				add_file(t, dir, "memory.current");
				add_file(t, dir, "memory.stat");
				add_file(t, dir, "pids.current");
				add_file(t, dir, "io.stat");
			}
		} else if (strstr(ctrls, "cpuacct")) {
			snprintf(dir, sizeof dir, "/sys/fs/cgroup/cpuacct%s", rel); /* a link to cpu,cpuacct */
			add_file(t, dir, "cpuacct.usage");
		} else if (strcmp(ctrls, "memory") == 0) {
			snprintf(dir, sizeof dir, "/sys/fs/cgroup/memory%s", rel);
			add_file(t, dir, "memory.usage_in_bytes");
			add_file(t, dir, "memory.stat");
		} else if (strcmp(ctrls, "pids") == 0) {
			snprintf(dir, sizeof dir, "/sys/fs/cgroup/pids%s", rel);
			add_file(t, dir, "pids.current");
		} else if (strcmp(ctrls, "blkio") == 0) {
			snprintf(dir, sizeof dir, "/sys/fs/cgroup/blkio%s", rel);
			add_file(t, dir, "blkio.throttle.io_service_bytes_recursive");
		}
	}
	fclose(f);
	snprintf(path, sizeof path, "/proc/%d", pid);
	add_file(t, path, "net/dev");
	return t->nfd ? 0 : -1;
}

/* Reads a file from offset 0 and adds up every number in it (the least parsing that still looks at each
 * byte, as any real reader must). */
static uint64_t read_sum(int fd)
{
	char buf[8192];
	ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
	if (n <= 0)
		return 0;
	uint64_t sum = 0, cur = 0;
	for (ssize_t i = 0; i < n; i++) {
		if (buf[i] >= '0' && buf[i] <= '9')
			cur = cur * 10 + (uint64_t)(buf[i] - '0');
		else {
			sum += cur;
			cur = 0;
		}
	}
	return sum + cur;
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: floor INTERVAL_S SECONDS PID...\n");
		return 2;
	}
	double interval = atof(argv[1]), secs = atof(argv[2]);
	int n = argc - 3, opened = 0, files = 0;
	struct target *t = calloc((size_t)n, sizeof *t);
	if (!t)
		return 1;
	for (int i = 0; i < n; i++) {
		if (open_target(&t[i], atoi(argv[3 + i])) == 0)
			opened++;
		files += t[i].nfd;
	}
	fprintf(stderr, "floor: %d of %d containers, %d files\n", opened, n, files);
	struct timespec next;
	clock_gettime(CLOCK_MONOTONIC, &next);
	long rounds = (long)(secs / interval + 0.5);
	volatile uint64_t sink = 0;
	for (long r = 0; r < rounds; r++) {
		for (int i = 0; i < n; i++)
			for (int k = 0; k < t[i].nfd; k++)
				sink += read_sum(t[i].fd[k]);
		long ns = (long)(interval * 1e9);
		next.tv_sec += ns / 1000000000L;
		next.tv_nsec += ns % 1000000000L;
		if (next.tv_nsec >= 1000000000L) {
			next.tv_sec++;
			next.tv_nsec -= 1000000000L;
		}
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL) == EINTR)
			;
	}
	(void)sink;
	return 0;
}
