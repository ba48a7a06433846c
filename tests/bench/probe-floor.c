/* probe-floor.c — the floor of HTTP health probing, for probe-cost.sh: a minimal client that keeps one
 * keep-alive connection per URL (http://127.0.0.1:PORT/health, PORT = BASE+1 .. BASE+N) and once a second
 * writes a GET on each, all in one round, then reads each answer (headers and Content-Length body) with
 * epoll — no libcurl, no threads, no timing of its own. It prints the CPU it spent over SECONDS (after a
 * warm-up round) and the answers it read; what lookout spends above this is the prober's overhead.
 *   probe-floor BASE N SECONDS */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct conn {
	int fd;
	char buf[4096];
	size_t have;
	int busy; /* a request is out and its answer not yet read */
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_s(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
	       (double)ru.ru_stime.tv_usec / 1e6;
}

/* Consumes one whole answer from c->buf if there is one: 1, else 0. */
static int take_answer(struct conn *c)
{
	char *end = memmem(c->buf, c->have, "\r\n\r\n", 4);
	if (!end)
		return 0;
	size_t head = (size_t)(end - c->buf) + 4, body = 0;
	char *cl = memmem(c->buf, head, "Content-Length:", 15);
	if (cl)
		body = strtoul(cl + 15, NULL, 10);
	if (c->have < head + body)
		return 0;
	memmove(c->buf, c->buf + head + body, c->have - head - body);
	c->have -= head + body;
	return 1;
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: probe-floor BASE N SECONDS\n");
		return 2;
	}
	int base = atoi(argv[1]), n = atoi(argv[2]), secs = atoi(argv[3]);
	if (base <= 0 || n <= 0 || secs <= 0 || base + n > 65535) {
		fprintf(stderr, "probe-floor: BASE, N and SECONDS must be positive\n");
		return 2;
	}
	struct conn *cs = calloc((size_t)n, sizeof *cs);
	int ep = epoll_create1(EPOLL_CLOEXEC);
	if (!cs || ep < 0)
		return 1;
	for (int i = 0; i < n; i++) {
		struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)(base + 1 + i)),
		                        .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
		int one = 1;
		cs[i].fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (cs[i].fd < 0 || connect(cs[i].fd, (struct sockaddr *)&a, sizeof a) != 0) {
			fprintf(stderr, "probe-floor: cannot connect to port %d: %s\n", base + 1 + i, strerror(errno));
			return 1;
		}
		setsockopt(cs[i].fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
		epoll_ctl(ep, EPOLL_CTL_ADD, cs[i].fd, &ev);
	}
	char req[128];
	struct epoll_event evs[64];
	long answers = 0;
	double cpu0 = 0, t0 = now_s(), next = t0;
	for (int round = 0; round <= secs; round++) {
		if (round == 1)
			cpu0 = cpu_s(); /* the first round warms up */
		double wait = next - now_s();
		if (wait > 0) {
			struct timespec ts = {.tv_sec = (time_t)wait, .tv_nsec = (long)((wait - (double)(time_t)wait) * 1e9)};
			nanosleep(&ts, NULL);
		}
		next += 1.0;
		int busy = 0;
		for (int i = 0; i < n; i++) {
			int len = snprintf(req, sizeof req, "GET /health HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n", base + 1 + i);
			if (write(cs[i].fd, req, (size_t)len) == len) {
				cs[i].busy = 1;
				busy++;
			}
		}
		while (busy > 0) {
			int k = epoll_wait(ep, evs, (int)(sizeof evs / sizeof evs[0]), 5000);
			if (k <= 0) {
				fprintf(stderr, "probe-floor: %d answers missing after 5 s\n", busy);
				return 1;
			}
			for (int j = 0; j < k; j++) {
				struct conn *c = &cs[evs[j].data.u32];
				ssize_t r = read(c->fd, c->buf + c->have, sizeof c->buf - c->have);
				if (r <= 0) {
					fprintf(stderr, "probe-floor: a server closed its connection\n");
					return 1;
				}
				c->have += (size_t)r;
				if (c->busy && take_answer(c)) {
					c->busy = 0;
					busy--;
					if (round >= 1)
						answers++;
				}
			}
		}
	}
	double cpu = cpu_s() - cpu0;
	printf("%.0f %ld\n", cpu * 1000, answers); /* CPU ms over SECONDS, answers read */
	return 0;
}
