/* statstream.c — Engine stats as a metrics source: one thread, one curl multi, one stats stream (or one-shot
 * request per interval) per watched container, newest sample kept. No metrics, no decisions, no caller waits. */
#include "statstream.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "docker.h"
#include "log.h"
#include "util.h"

#define LINE_MAX_BYTES ((size_t)4 << 20) /* one stats document; real ones are a few KiB */
#define BACKOFF_MIN_MS 1000
#define BACKOFF_MAX_MS 30000
#define ONESHOT_TIMEOUT_MS 15000L
/* The engine sends a document every second; a stream silent this long is dead and gets reopened. */
#define STALL_SECONDS 30L

struct watch {
	struct statstream *s;
	char id[65];
	/* Under s->mu: what the caller wants and what it reads. */
	bool wanted;
	bool have;
	struct sample latest;
	/* Thread only. */
	CURL *easy;
	struct buf line;
	bool got_sample;  /* this transfer produced a sample: the engine is fine, reset the back-off */
	bool too_big;
	int backoff_ms;
	int64_t next_ns;  /* earliest start of the next transfer */
	char errbuf[CURL_ERROR_SIZE];
	struct complaint complaint;
};

struct statstream {
	pthread_t thread;
	pthread_mutex_t mu;
	CURLM *multi;
	struct docker *d; /* used only by the thread once it runs */
	bool oneshot;
	int interval_ms;
	/* Under mu. Watches are separately allocated so a pointer held by curl stays valid while the array grows;
	 * only the thread frees them, after the caller has let go (wanted = false). */
	bool stop;
	bool engine_back; /* statstream_engine_back was called: end every back-off */
	struct watch **w;
	size_t nw, capw;
	/* Thread only. */
	bool negotiated;
	int64_t next_negotiate_ns;
	int negotiate_backoff_ms;
	struct complaint neg_complaint;
};

static struct watch *find(struct statstream *s, const char *id)
{
	for (size_t i = 0; i < s->nw; i++)
		if (strcmp(s->w[i]->id, id) == 0)
			return s->w[i];
	return NULL;
}

static void store(struct watch *w, const char *p, size_t n)
{
	struct sample smp;
	char err[256];
	while (n && (p[n - 1] == '\r' || p[n - 1] == ' ' || p[n - 1] == '\n'))
		n--;
	if (n == 0)
		return;
	if (docker_parse_stats(p, n, &smp, err, sizeof err)) {
		log_complain(&w->complaint, LOG_WARN, "stats of %.12s: %s", w->id, err);
		return;
	}
	if (!smp.have)
		return; /* not running: nothing was read, keep the last real reading */
	smp.mono_ns = now_mono_ns();
	pthread_mutex_lock(&w->s->mu);
	w->latest = smp;
	w->have = true;
	pthread_mutex_unlock(&w->s->mu);
	w->got_sample = true;
}

/* Streams: one document per line, and a chunk may end anywhere. One-shot: the whole body is one document. */
static size_t on_write(char *p, size_t size, size_t nmemb, void *arg)
{
	struct watch *w = arg;
	size_t n = size * nmemb;
	long status = 0;
	curl_easy_getinfo(w->easy, CURLINFO_RESPONSE_CODE, &status);
	if (status >= 300)
		return n; /* an error message; the status says enough */
	const char *s = p, *end = p + n;
	while (s < end) {
		const char *nl = w->s->oneshot ? NULL : memchr(s, '\n', (size_t)(end - s));
		size_t part = (size_t)((nl ? nl : end) - s);
		if (w->line.len + part > LINE_MAX_BYTES) {
			w->too_big = true;
			return 0;
		}
		if (buf_append(&w->line, s, part))
			return 0;
		if (!nl)
			break;
		store(w, w->line.data, w->line.len);
		buf_reset(&w->line);
		s = nl + 1;
	}
	return n;
}

static void stop_transfer(struct statstream *s, struct watch *w)
{
	if (!w->easy)
		return;
	curl_multi_remove_handle(s->multi, w->easy);
	curl_easy_cleanup(w->easy);
	w->easy = NULL;
	buf_reset(&w->line);
}

static void start_transfer(struct statstream *s, struct watch *w, int64_t now)
{
	char path[160], err[256] = "";
	int n = snprintf(path, sizeof path, "/containers/%s/stats?stream=%s", w->id,
	                 s->oneshot ? "false&one-shot=true" : "true");
	w->too_big = false;
	w->got_sample = false;
	w->errbuf[0] = '\0';
	CURL *e = curl_easy_init();
	CURLcode rc = CURLE_FAILED_INIT;
	if (e && n > 0 && (size_t)n < sizeof path && docker_easy_setup(s->d, e, path, err, sizeof err) == 0) {
		rc = curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
		if (rc == CURLE_OK)
			rc = curl_easy_setopt(e, CURLOPT_WRITEDATA, w);
		if (rc == CURLE_OK)
			rc = curl_easy_setopt(e, CURLOPT_PRIVATE, w);
		if (rc == CURLE_OK)
			rc = curl_easy_setopt(e, CURLOPT_ERRORBUFFER, w->errbuf);
		if (rc == CURLE_OK && s->oneshot)
			rc = curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, ONESHOT_TIMEOUT_MS);
		if (rc == CURLE_OK && !s->oneshot)
			rc = curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L);
		if (rc == CURLE_OK && !s->oneshot)
			rc = curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, STALL_SECONDS);
		if (rc == CURLE_OK && curl_multi_add_handle(s->multi, e) != CURLM_OK)
			rc = CURLE_FAILED_INIT;
	}
	if (rc != CURLE_OK) {
		curl_easy_cleanup(e);
		log_complain(&w->complaint, LOG_WARN, "stats of %.12s: cannot start a request: %s", w->id,
		             err[0] ? err : curl_easy_strerror(rc));
		w->next_ns = now + (int64_t)BACKOFF_MAX_MS * 1000000;
		return;
	}
	w->easy = e;
	if (s->oneshot)
		w->next_ns = now + (int64_t)s->interval_ms * 1000000;
}

static void finished(struct statstream *s, struct watch *w, CURLcode result, int64_t now)
{
	long status = 0;
	curl_easy_getinfo(w->easy, CURLINFO_RESPONSE_CODE, &status);
	if (s->oneshot && result == CURLE_OK && status == 200 && w->line.len)
		store(w, w->line.data, w->line.len);
	bool ok = result == CURLE_OK && status == 200 && w->got_sample;
	if (result != CURLE_OK)
		log_complain(&w->complaint, LOG_WARN, "stats of %.12s from %s: %s", w->id, docker_endpoint(s->d),
		             w->too_big ? "document too large" : w->errbuf[0] ? w->errbuf : curl_easy_strerror(result));
	else if (status != 200)
		log_complain(&w->complaint, LOG_WARN, "stats of %.12s from %s: HTTP %ld", w->id,
		             docker_endpoint(s->d), status);
	stop_transfer(s, w);
	if (ok) {
		log_complain_clear(&w->complaint, "stats of %.12s: receiving again", w->id);
		w->backoff_ms = 0;
	}
	if (s->oneshot && ok)
		return; /* next_ns was set at the start: one request per interval */
	/* A stream ended (container stopped, engine restarted) or a request failed: retry, more slowly each time. */
	w->backoff_ms = w->backoff_ms ? w->backoff_ms * 2 : BACKOFF_MIN_MS;
	if (w->backoff_ms > BACKOFF_MAX_MS)
		w->backoff_ms = BACKOFF_MAX_MS;
	int64_t retry = now + (int64_t)w->backoff_ms * 1000000;
	if (ok && !s->oneshot)
		retry = now + (int64_t)BACKOFF_MIN_MS * 1000000;
	if (retry > w->next_ns)
		w->next_ns = retry;
}

static void free_watch(struct watch *w)
{
	buf_free(&w->line);
	free(w);
}

/* Drops watches the caller gave up and returns whether any is still wanted. */
static bool reconcile(struct statstream *s)
{
	bool any = false;
	pthread_mutex_lock(&s->mu);
	if (s->engine_back) {
		s->engine_back = false;
		s->negotiated = false;
		s->next_negotiate_ns = 0;
		s->negotiate_backoff_ms = 0;
		for (size_t i = 0; i < s->nw; i++) {
			s->w[i]->backoff_ms = 0;
			s->w[i]->next_ns = 0;
		}
	}
	for (size_t i = 0; i < s->nw;) {
		struct watch *w = s->w[i];
		if (w->wanted) {
			any = true;
			i++;
			continue;
		}
		stop_transfer(s, w);
		free_watch(w);
		s->w[i] = s->w[--s->nw];
	}
	pthread_mutex_unlock(&s->mu);
	return any;
}

static void negotiate(struct statstream *s, int64_t now)
{
	struct docker_version v;
	char err[512];
	if (now < s->next_negotiate_ns)
		return;
	/* Blocks this thread (never a caller) for at most the connect and request timeouts. */
	if (docker_negotiate(s->d, &v, err, sizeof err) == 0) {
		s->negotiated = true;
		log_complain_clear(&s->neg_complaint, "stats: engine at %s reachable again", docker_endpoint(s->d));
		if (s->oneshot && !v.oneshot_stats)
			log_info("stats: engine %s answers one-shot stats slowly (API %s < 1.44)", v.version,
			         v.api_version);
		return;
	}
	log_complain(&s->neg_complaint, LOG_WARN, "stats: %s", err);
	s->negotiate_backoff_ms =
	        s->negotiate_backoff_ms ? s->negotiate_backoff_ms * 2 : BACKOFF_MIN_MS;
	if (s->negotiate_backoff_ms > BACKOFF_MAX_MS)
		s->negotiate_backoff_ms = BACKOFF_MAX_MS;
	s->next_negotiate_ns = now + (int64_t)s->negotiate_backoff_ms * 1000000;
}

static void *run(void *arg)
{
	struct statstream *s = arg;
	for (;;) {
		pthread_mutex_lock(&s->mu);
		bool stop = s->stop;
		pthread_mutex_unlock(&s->mu);
		if (stop)
			break;
		bool any = reconcile(s);
		int64_t now = now_mono_ns();
		if (any && !s->negotiated)
			negotiate(s, now);

		/* After reconcile only this thread removes entries, so the array can be walked with the lock held
		 * only for the fields the caller also touches. */
		int64_t wake_ns = now + 1000 * 1000000LL;
		if (s->negotiated) {
			pthread_mutex_lock(&s->mu);
			size_t nw = s->nw;
			pthread_mutex_unlock(&s->mu);
			for (size_t i = 0; i < nw; i++) {
				pthread_mutex_lock(&s->mu);
				struct watch *w = i < s->nw ? s->w[i] : NULL;
				bool wanted = w && w->wanted;
				pthread_mutex_unlock(&s->mu);
				if (!wanted || w->easy)
					continue;
				if (now >= w->next_ns)
					start_transfer(s, w, now);
				if (!w->easy && w->next_ns < wake_ns)
					wake_ns = w->next_ns;
			}
		} else if (any && s->next_negotiate_ns < wake_ns) {
			wake_ns = s->next_negotiate_ns;
		}

		int running = 0;
		curl_multi_perform(s->multi, &running);
		CURLMsg *msg;
		int left;
		now = now_mono_ns();
		while ((msg = curl_multi_info_read(s->multi, &left))) {
			if (msg->msg != CURLMSG_DONE)
				continue;
			struct watch *w = NULL;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&w);
			if (w)
				finished(s, w, msg->data.result, now);
		}
		int timeout_ms = (int)((wake_ns - now) / 1000000);
		if (timeout_ms < 0)
			timeout_ms = 0;
		if (timeout_ms > 1000)
			timeout_ms = 1000;
		curl_multi_poll(s->multi, NULL, 0, timeout_ms, NULL);
	}
	return NULL;
}

struct statstream *statstream_new(const char *host_url, bool oneshot, int interval_ms, char *err,
                                  size_t errlen)
{
	struct statstream *s = calloc(1, sizeof *s);
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->oneshot = oneshot;
	s->interval_ms = interval_ms > 0 ? interval_ms : 1000;
	s->d = docker_new(host_url, err, errlen);
	if (!s->d) {
		free(s);
		return NULL;
	}
	s->multi = curl_multi_init();
	if (!s->multi) {
		snprintf(err, errlen, "cannot initialise libcurl");
		docker_free(s->d);
		free(s);
		return NULL;
	}
	int rc = pthread_mutex_init(&s->mu, NULL);
	if (rc == 0) {
		rc = pthread_create(&s->thread, NULL, run, s);
		if (rc)
			pthread_mutex_destroy(&s->mu);
	}
	if (rc) {
		snprintf(err, errlen, "cannot start the stats thread: %s", strerror(rc));
		curl_multi_cleanup(s->multi);
		docker_free(s->d);
		free(s);
		return NULL;
	}
	return s;
}

void statstream_free(struct statstream *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&s->mu);
	s->stop = true;
	pthread_mutex_unlock(&s->mu);
	curl_multi_wakeup(s->multi);
	pthread_join(s->thread, NULL);
	for (size_t i = 0; i < s->nw; i++) {
		stop_transfer(s, s->w[i]);
		free_watch(s->w[i]);
	}
	free(s->w);
	curl_multi_cleanup(s->multi);
	docker_free(s->d);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

int statstream_watch(struct statstream *s, const char *id)
{
	size_t len = id ? strlen(id) : 0;
	/* The id goes into a URL path: only what the engine itself uses in ids and names. */
	if (len == 0 || len > 64 ||
	    strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") != len)
		return -1;
	pthread_mutex_lock(&s->mu);
	struct watch *w = find(s, id);
	if (w) {
		w->wanted = true;
		pthread_mutex_unlock(&s->mu);
		return 0;
	}
	if (s->nw == s->capw) {
		size_t cap = s->capw ? s->capw * 2 : 8;
		struct watch **nwv = realloc(s->w, cap * sizeof *nwv);
		if (!nwv) {
			pthread_mutex_unlock(&s->mu);
			return -1;
		}
		s->w = nwv;
		s->capw = cap;
	}
	w = calloc(1, sizeof *w);
	if (!w) {
		pthread_mutex_unlock(&s->mu);
		return -1;
	}
	w->s = s;
	memcpy(w->id, id, len + 1);
	w->wanted = true;
	buf_init(&w->line);
	s->w[s->nw++] = w;
	pthread_mutex_unlock(&s->mu);
	curl_multi_wakeup(s->multi);
	return 0;
}

void statstream_unwatch(struct statstream *s, const char *id)
{
	if (!id)
		return;
	pthread_mutex_lock(&s->mu);
	struct watch *w = find(s, id);
	if (w) {
		w->wanted = false;
		w->have = false;
	}
	pthread_mutex_unlock(&s->mu);
	if (w)
		curl_multi_wakeup(s->multi);
}

void statstream_engine_back(struct statstream *s)
{
	pthread_mutex_lock(&s->mu);
	s->engine_back = true;
	pthread_mutex_unlock(&s->mu);
	curl_multi_wakeup(s->multi);
}

int statstream_latest(struct statstream *s, const char *id, struct sample *out)
{
	int rc = 0;
	pthread_mutex_lock(&s->mu);
	struct watch *w = id ? find(s, id) : NULL;
	if (w && w->wanted && w->have) {
		*out = w->latest;
		rc = 1;
	}
	pthread_mutex_unlock(&s->mu);
	return rc;
}
