/* logs.c — the 'l' key's worker: one thread, one request slot, GET /containers/ID/logs?tail=N, demultiplexed
 * (the engine frames stdout and stderr unless the container has a TTY). It never parses or judges the lines. */
#include "autoconfig.h"
#include "tui/logs.h"

#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "docker.h"
#include "util.h"

#define TAIL_LINES 200
#define MAX_BYTES (1024 * 1024)

struct logs {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool stop, want, ready;
	char id[65];
	char url[512]; /* the engine of the request; "" = host */
	char *text;
	char err[512];
	int wake_fd;
	char *host;
};

static size_t collect(char *p, size_t size, size_t nmemb, void *arg)
{
	struct buf *b = arg;
	size_t n = size * nmemb;
	if (b->len + n > MAX_BYTES || buf_append(b, p, n))
		return 0;
	return n;
}

/* Multiplexed frames: [stream, 0, 0, 0, size32be] payload. A TTY container sends raw text instead. */
static char *demux(const struct buf *raw)
{
	const unsigned char *p = (const unsigned char *)(raw->data ? raw->data : "");
	size_t len = raw->len;
	bool framed = len >= 8 && p[0] <= 2 && p[1] == 0 && p[2] == 0 && p[3] == 0;
	struct buf out;
	buf_init(&out);
	if (!framed) {
		buf_append(&out, p, len);
	} else {
		size_t i = 0;
		while (i + 8 <= len) {
			size_t n = (size_t)p[i + 4] << 24 | (size_t)p[i + 5] << 16 | (size_t)p[i + 6] << 8 | p[i + 7];
			i += 8;
			if (n > len - i)
				n = len - i;
			buf_append(&out, p + i, n);
			i += n;
		}
	}
	if (!out.data)
		buf_puts(&out, "");
	return out.data;
}

/* *d is kept between requests to the same engine (*d_url); a request to another engine opens that one. */
static char *fetch(struct docker **d, char *d_url, size_t d_urllen, const char *host, const char *id, char *err,
                   size_t errlen)
{
	if (*d && strcmp(d_url, host) != 0) {
		docker_free(*d);
		*d = NULL;
	}
	if (!*d) {
		snprintf(d_url, d_urllen, "%s", host);
		*d = docker_new(host, err, errlen);
		if (!*d)
			return NULL;
		struct docker_version ver;
		if (docker_negotiate(*d, &ver, err, errlen)) {
			docker_free(*d);
			*d = NULL;
			return NULL;
		}
	}
	CURL *easy = curl_easy_init();
	if (!easy) {
		snprintf(err, errlen, "cannot start a request (out of memory)");
		return NULL;
	}
	char path[256];
	snprintf(path, sizeof path, "/containers/%s/logs?stdout=1&stderr=1&timestamps=1&tail=%d", id, TAIL_LINES);
	struct buf raw;
	buf_init(&raw);
	char *text = NULL;
	char errbuf[CURL_ERROR_SIZE] = "";
	if (docker_easy_setup(*d, easy, path, err, errlen) == 0) {
		curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, collect);
		curl_easy_setopt(easy, CURLOPT_WRITEDATA, &raw);
		curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, 10000L);
		curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, errbuf);
		CURLcode rc = curl_easy_perform(easy);
		long status = 0;
		curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
		if (rc != CURLE_OK)
			snprintf(err, errlen, "cannot read the logs from %s: %s", docker_endpoint(*d),
			         errbuf[0] ? errbuf : curl_easy_strerror(rc));
		else if (status != 200)
			snprintf(err, errlen, "the engine refused the logs (HTTP %ld)%s", status,
			         status == 501 ? ": this container's log driver keeps no logs" : "");
		else
			text = demux(&raw);
	}
	buf_free(&raw);
	curl_easy_cleanup(easy);
	return text;
}

static void *logs_main(void *arg)
{
	struct logs *l = arg;
	struct docker *d = NULL;
	char d_url[512] = "";
	pthread_mutex_lock(&l->lock);
	while (!l->stop) {
		if (!l->want) {
			pthread_cond_wait(&l->cond, &l->lock);
			continue;
		}
		char id[65], url[512];
		snprintf(id, sizeof id, "%s", l->id);
		snprintf(url, sizeof url, "%s", l->url[0] ? l->url : l->host);
		l->want = false;
		pthread_mutex_unlock(&l->lock);
		char err[512] = "";
		char *text = fetch(&d, d_url, sizeof d_url, url, id, err, sizeof err);
		pthread_mutex_lock(&l->lock);
		if (strcmp(id, l->id) == 0 && !l->want) {
			free(l->text);
			l->text = text;
			snprintf(l->err, sizeof l->err, "%s", text ? "" : err);
			l->ready = true;
			char one = 'l';
			ssize_t w = write(l->wake_fd, &one, 1);
			(void)w; /* a full pipe already wakes the UI */
		} else {
			free(text); /* a newer request superseded it */
		}
	}
	pthread_mutex_unlock(&l->lock);
	docker_free(d);
	return NULL;
}

struct logs *logs_new(const char *docker_host, int wake_fd, char *err, size_t errlen)
{
	struct logs *l = calloc(1, sizeof *l);
	if (!l || !(l->host = strdup(docker_host ? docker_host : ""))) {
		free(l);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	l->wake_fd = wake_fd;
	pthread_mutex_init(&l->lock, NULL);
	pthread_cond_init(&l->cond, NULL);
	int rc = pthread_create(&l->thread, NULL, logs_main, l);
	if (rc) {
		snprintf(err, errlen, "cannot start the log reader thread: %s", strerror(rc));
		pthread_mutex_destroy(&l->lock);
		pthread_cond_destroy(&l->cond);
		free(l->host);
		free(l);
		return NULL;
	}
	return l;
}

void logs_free(struct logs *l)
{
	if (!l)
		return;
	pthread_mutex_lock(&l->lock);
	l->stop = true;
	pthread_cond_signal(&l->cond);
	pthread_mutex_unlock(&l->lock);
	pthread_join(l->thread, NULL);
	pthread_mutex_destroy(&l->lock);
	pthread_cond_destroy(&l->cond);
	free(l->text);
	free(l->host);
	free(l);
}

int logs_request(struct logs *l, const char *engine_url, const char *id)
{
	pthread_mutex_lock(&l->lock);
	snprintf(l->id, sizeof l->id, "%s", id);
	snprintf(l->url, sizeof l->url, "%s", engine_url ? engine_url : "");
	l->want = true;
	l->ready = false;
	pthread_cond_signal(&l->cond);
	pthread_mutex_unlock(&l->lock);
	return 0;
}

bool logs_take(struct logs *l, char **text, char *err, size_t errlen)
{
	pthread_mutex_lock(&l->lock);
	bool ready = l->ready;
	if (ready) {
		*text = l->text;
		l->text = NULL;
		snprintf(err, errlen, "%s", l->err);
		l->ready = false;
	}
	pthread_mutex_unlock(&l->lock);
	return ready;
}
