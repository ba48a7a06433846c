/* probe.c — the HTTP prober thread: one curl multi (so connections to the same server are reused), one easy
 * handle per target re-added every interval, and a mutex-guarded newest result per target. The multi is
 * driven through curl_multi_socket_action and epoll, so a readable socket costs work for its own transfer
 * only, not a pass over every transfer in flight. All targets run on shared rounds (one wake-up starts a
 * round) and the connection cache has room for one keep-alive connection per target. It never decides
 * whether a container is healthy and never blocks a caller on the network. */
#include "autoconfig.h"
#include "probe.h"

#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "util.h"

#define BODY_MAX_BYTES (64 * 1024) /* we only time the answer; a huge body is cut off, not read */

struct target {
	struct prober *p;
	char id[65];
	/* Under p->mu. */
	char *url;
	bool wanted, url_changed;
	bool have;
	struct probe_result latest;
	/* Thread only. */
	CURL *easy;
	char *cur_url;    /* the URL the easy handle is set up for (copied from url when it changed) */
	bool configured;  /* the easy handle's options are set for cur_url */
	bool running;
	size_t body;
	int64_t next_ns;
	char errbuf[CURL_ERROR_SIZE];
	uint64_t n;
};

struct prober {
	pthread_t thread;
	pthread_mutex_t mu;
	CURLM *multi;
	int epfd;                 /* thread only: the sockets curl asks us to watch, and wakefd */
	int wakefd;               /* an eventfd: written by prober_watch/unwatch/free to wake the thread */
	int64_t curl_due_ns;      /* thread only: when curl wants CURL_SOCKET_TIMEOUT (monotonic; -1: never) */
	int64_t epoch_ns;         /* rounds start at epoch_ns + k * interval (monotonic) */
	long timeout_ms;
	int interval_ms;
	bool stop;                /* under mu */
	bool dirty;               /* under mu: a target was added, changed or unwatched since the thread looked */
	struct target **t;        /* under mu; only the thread frees entries */
	size_t nt, capt;
	struct target **mine;     /* thread only: its copy of t, refreshed when dirty (t may be reallocated) */
	size_t nmine, capmine;
};

const char *probe_failure_name(enum probe_failure f)
{
	static const char *const names[] = {"", "refused", "timeout", "dns", "tls", "http", "error"};
	return (unsigned)f < ARRAY_LEN(names) ? names[f] : "error";
}

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *arg)
{
	(void)ptr;
	struct target *t = arg;
	size_t n = size * nmemb;
	t->body += n;
	return t->body > BODY_MAX_BYTES ? 0 : n;
}

static enum probe_failure classify(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_CONNECT:
		return PROBE_REFUSED;
	case CURLE_OPERATION_TIMEDOUT:
		return PROBE_TIMEOUT;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		return PROBE_DNS;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
		return PROBE_TLS;
	default:
		return PROBE_OTHER;
	}
}

static void finished(struct prober *p, struct target *t, CURLcode rc)
{
	struct probe_result r;
	memset(&r, 0, sizeof r);
	long status = 0;
	curl_off_t total_us = 0;
	curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_getinfo(t->easy, CURLINFO_TOTAL_TIME_T, &total_us);
	r.wall_ms = now_wall_ms();
	r.http_status = (int)status;
	r.response_ms = -1;
	bool cut = rc == CURLE_WRITE_ERROR && t->body > BODY_MAX_BYTES;
	if ((rc == CURLE_OK || cut) && status > 0) {
		r.response_ms = (int)(total_us / 1000);
		if (status >= 200 && status < 400) {
			r.failure = PROBE_OK;
		} else {
			r.failure = PROBE_HTTP;
			snprintf(r.error, sizeof r.error, "HTTP %ld", status);
		}
	} else {
		r.failure = classify(rc);
		if (r.failure == PROBE_TIMEOUT)
			snprintf(r.error, sizeof r.error, "timeout after %ld ms: %.200s", p->timeout_ms,
			         t->errbuf[0] ? t->errbuf : curl_easy_strerror(rc));
		else
			snprintf(r.error, sizeof r.error, "%s: %.200s", probe_failure_name(r.failure),
			         t->errbuf[0] ? t->errbuf : curl_easy_strerror(rc));
	}
	curl_multi_remove_handle(p->multi, t->easy);
	t->running = false;
	r.n = ++t->n;
	pthread_mutex_lock(&p->mu);
	if (!t->url_changed) { /* a result for an old url is no answer for the new one */
		t->latest = r;
		t->have = true;
	}
	pthread_mutex_unlock(&p->mu);
}

/* Sets the easy handle up for t->cur_url. The same handle is re-added every round, so this runs only when
 * the URL changes: curl keeps the connection in the multi's cache between rounds. */
static CURLcode configure(struct prober *p, struct target *t)
{
	CURL *e = t->easy;
	CURLcode rc = curl_easy_setopt(e, CURLOPT_URL, t->cur_url);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, p->timeout_ms);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, p->timeout_ms);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(e, CURLOPT_WRITEDATA, t);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(e, CURLOPT_PRIVATE, t);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->errbuf);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(e, CURLOPT_USERAGENT, "lookout/" PACKAGE_VERSION);
	t->configured = rc == CURLE_OK;
	return rc;
}

/* When t is next due after starting at now: the first round boundary at least half an interval away. Every
 * target runs on the same rounds, however it came in (containers appear at any moment) or was held up (a slow
 * answer), so one wake-up of the thread starts all of a round's probes, not one wake-up per target — on a
 * virtual machine each wake-up is the dearest part of a keep-alive probe. */
static int64_t next_round(const struct prober *p, int64_t now)
{
	int64_t iv = (int64_t)p->interval_ms * 1000000;
	int64_t next = p->epoch_ns + ((now - p->epoch_ns) / iv + 1) * iv;
	return next - now < iv / 2 ? next + iv : next;
}

static void start(struct prober *p, struct target *t, int64_t now)
{
	t->next_ns = next_round(p, now);
	if (!t->cur_url)
		return;
	CURLcode rc = CURLE_OK;
	if (!t->easy) {
		if (!(t->easy = curl_easy_init()))
			return;
		t->configured = false;
	}
	t->body = 0;
	t->errbuf[0] = '\0';
	if (!t->configured)
		rc = configure(p, t);
	if (rc != CURLE_OK || curl_multi_add_handle(p->multi, t->easy) != CURLM_OK) {
		struct probe_result r;
		memset(&r, 0, sizeof r);
		r.wall_ms = now_wall_ms();
		r.response_ms = -1;
		r.failure = PROBE_OTHER;
		snprintf(r.error, sizeof r.error, "cannot start the request: %s", curl_easy_strerror(rc));
		r.n = ++t->n;
		pthread_mutex_lock(&p->mu);
		t->latest = r;
		t->have = true;
		pthread_mutex_unlock(&p->mu);
		return;
	}
	t->running = true;
}

static void drop(struct prober *p, struct target *t)
{
	if (t->easy) {
		if (t->running)
			curl_multi_remove_handle(p->multi, t->easy);
		curl_easy_cleanup(t->easy);
	}
	free(t->url);
	free(t->cur_url);
	free(t);
}

/* Under p->mu: drops unwatched targets, takes new URLs and refreshes the thread's copy of the target list.
 * Returns -1 when out of memory (the old copy stays). */
static int refresh(struct prober *p)
{
	for (size_t i = 0; i < p->nt;) {
		struct target *t = p->t[i];
		if (!t->wanted) {
			p->t[i] = p->t[--p->nt];
			drop(p, t); /* curl calls, but none that wait on the network */
			continue;
		}
		if (t->url_changed) {
			char *url = xstrdup(t->url);
			if (!url)
				return -1;
			if (t->running) {
				curl_multi_remove_handle(p->multi, t->easy);
				t->running = false;
			}
			free(t->cur_url);
			t->cur_url = url;
			t->configured = false;
			t->url_changed = false;
			t->next_ns = 0;
		}
		i++;
	}
	if (p->nt > p->capmine) {
		void *np = realloc(p->mine, p->nt * sizeof *p->mine);
		if (!np)
			return -1;
		p->mine = np;
		p->capmine = p->nt;
	}
	memcpy(p->mine, p->t, p->nt * sizeof *p->t);
	p->nmine = p->nt;
	p->dirty = false;
	/* Room in the connection cache for every target's connection. curl's default is four per handle in
	 * the multi at the moment a transfer ends; our handles leave the multi between rounds, so at the end
	 * of a round (or whenever targets run out of step) that is far fewer than there are targets, and curl
	 * closed a live keep-alive connection with nearly every finished probe — a new connect per probe. */
	curl_multi_setopt(p->multi, CURLMOPT_MAXCONNECTS, (long)(p->nt > 0 ? p->nt : 1));
	return 0;
}

/* curl's socket callback: mirror what it wants to know about a socket into the epoll set. */
static int on_socket(CURL *easy, curl_socket_t fd, int what, void *arg, void *sockp)
{
	(void)easy;
	(void)sockp;
	struct prober *p = arg;
	if (what == CURL_POLL_REMOVE) {
		epoll_ctl(p->epfd, EPOLL_CTL_DEL, fd, NULL); /* may already be gone with the closed socket */
		return 0;
	}
	struct epoll_event ev = {.events = (what & CURL_POLL_IN ? EPOLLIN : 0) | (what & CURL_POLL_OUT ? EPOLLOUT : 0),
	                         .data.fd = fd};
	if (epoll_ctl(p->epfd, EPOLL_CTL_MOD, fd, &ev) != 0 && errno == ENOENT)
		epoll_ctl(p->epfd, EPOLL_CTL_ADD, fd, &ev);
	return 0;
}

/* curl's timer callback: remember when curl wants to be called with CURL_SOCKET_TIMEOUT. */
static int on_timer(CURLM *multi, long timeout_ms, void *arg)
{
	(void)multi;
	struct prober *p = arg;
	p->curl_due_ns = timeout_ms < 0 ? -1 : now_mono_ns() + (int64_t)timeout_ms * 1000000;
	return 0;
}

static void close_fds(struct prober *p)
{
	if (p->epfd >= 0)
		close(p->epfd);
	if (p->wakefd >= 0)
		close(p->wakefd);
}

static void wake(struct prober *p)
{
	uint64_t one = 1;
	ssize_t n = write(p->wakefd, &one, sizeof one); /* a full counter already means "wake up" */
	(void)n;
}

/* Hands the finished transfers their results; lowers *wake_ns to the next due time of each. */
static void collect(struct prober *p, int64_t *wake_ns)
{
	CURLMsg *msg;
	int left;
	while ((msg = curl_multi_info_read(p->multi, &left))) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		struct target *t = NULL;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&t);
		if (t) {
			finished(p, t, msg->data.result);
			if (t->next_ns < *wake_ns)
				*wake_ns = t->next_ns;
		}
	}
}

static void *run(void *arg)
{
	struct prober *p = arg;
	struct epoll_event evs[64];
	int running = 0;
	for (;;) {
		pthread_mutex_lock(&p->mu);
		if (p->stop) {
			pthread_mutex_unlock(&p->mu);
			break;
		}
		if (p->dirty)
			refresh(p);
		pthread_mutex_unlock(&p->mu);

		/* Start what is due. All targets due in the same round start together, so a round wakes the
		 * thread once, not once per target; adding them arms curl's timer, which starts the transfers. */
		int64_t now = now_mono_ns();
		int64_t wake_ns = now + 1000 * 1000000LL;
		for (size_t i = 0; i < p->nmine; i++) {
			struct target *t = p->mine[i];
			if (!t->running && now >= t->next_ns)
				start(p, t, now);
			if (!t->running && t->next_ns < wake_ns)
				wake_ns = t->next_ns;
		}
		collect(p, &wake_ns);

		if (p->curl_due_ns >= 0 && p->curl_due_ns < wake_ns)
			wake_ns = p->curl_due_ns;
		now = now_mono_ns();
		int64_t timeout = wake_ns > now ? (wake_ns - now + 999999) / 1000000 : 0;
		if (timeout > 1000)
			timeout = 1000;
		int n = epoll_wait(p->epfd, evs, (int)ARRAY_LEN(evs), (int)timeout);
		for (int i = 0; i < n; i++) {
			if (evs[i].data.fd == p->wakefd) {
				uint64_t v;
				ssize_t r = read(p->wakefd, &v, sizeof v);
				(void)r;
				continue;
			}
			int mask = (evs[i].events & EPOLLIN ? CURL_CSELECT_IN : 0) |
			           (evs[i].events & EPOLLOUT ? CURL_CSELECT_OUT : 0) |
			           (evs[i].events & (EPOLLERR | EPOLLHUP) ? CURL_CSELECT_ERR : 0);
			curl_multi_socket_action(p->multi, evs[i].data.fd, mask, &running);
		}
		/* curl's timer ran out: it times transfers out and starts the ones just added. Cleared first,
		 * since the call may arm it again. */
		if (p->curl_due_ns >= 0 && now_mono_ns() >= p->curl_due_ns) {
			p->curl_due_ns = -1;
			curl_multi_socket_action(p->multi, CURL_SOCKET_TIMEOUT, 0, &running);
		}
	}
	return NULL;
}

struct prober *prober_new(long timeout_ms, int interval_ms, char *err, size_t errlen)
{
	struct prober *p = calloc(1, sizeof *p);
	if (!p) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	p->timeout_ms = timeout_ms > 0 ? timeout_ms : 5000;
	p->interval_ms = interval_ms > 0 ? interval_ms : 1000;
	p->curl_due_ns = -1;
	p->epoch_ns = now_mono_ns();
	p->epfd = epoll_create1(EPOLL_CLOEXEC);
	p->wakefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	struct epoll_event wev = {.events = EPOLLIN, .data.fd = p->wakefd};
	if (p->epfd < 0 || p->wakefd < 0 || epoll_ctl(p->epfd, EPOLL_CTL_ADD, p->wakefd, &wev) != 0) {
		snprintf(err, errlen, "cannot start the probe thread: %s", strerror(errno));
		close_fds(p);
		free(p);
		return NULL;
	}
	if (!(p->multi = curl_multi_init()) || curl_multi_setopt(p->multi, CURLMOPT_SOCKETFUNCTION, on_socket) != CURLM_OK ||
	    curl_multi_setopt(p->multi, CURLMOPT_SOCKETDATA, p) != CURLM_OK ||
	    curl_multi_setopt(p->multi, CURLMOPT_TIMERFUNCTION, on_timer) != CURLM_OK ||
	    curl_multi_setopt(p->multi, CURLMOPT_TIMERDATA, p) != CURLM_OK) {
		snprintf(err, errlen, "cannot initialise libcurl");
		if (p->multi)
			curl_multi_cleanup(p->multi);
		close_fds(p);
		free(p);
		return NULL;
	}
	int rc = pthread_mutex_init(&p->mu, NULL);
	if (rc == 0) {
		rc = pthread_create(&p->thread, NULL, run, p);
		if (rc)
			pthread_mutex_destroy(&p->mu);
	}
	if (rc) {
		snprintf(err, errlen, "cannot start the probe thread: %s", strerror(rc));
		curl_multi_cleanup(p->multi);
		close_fds(p);
		free(p);
		return NULL;
	}
	return p;
}

void prober_free(struct prober *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->mu);
	p->stop = true;
	pthread_mutex_unlock(&p->mu);
	wake(p);
	pthread_join(p->thread, NULL);
	for (size_t i = 0; i < p->nt; i++)
		drop(p, p->t[i]);
	free(p->t);
	free(p->mine);
	curl_multi_cleanup(p->multi);
	close_fds(p);
	pthread_mutex_destroy(&p->mu);
	free(p);
}

static struct target *find(struct prober *p, const char *id)
{
	for (size_t i = 0; i < p->nt; i++)
		if (strcmp(p->t[i]->id, id) == 0)
			return p->t[i];
	return NULL;
}

int prober_watch(struct prober *p, const char *id, const char *url)
{
	if (!id || !url || strlen(id) > 64 ||
	    (strncasecmp(url, "http://", 7) != 0 && strncasecmp(url, "https://", 8) != 0))
		return -1;
	pthread_mutex_lock(&p->mu);
	struct target *t = find(p, id);
	if (t && t->wanted && t->url && strcmp(t->url, url) == 0) {
		pthread_mutex_unlock(&p->mu);
		return 0;
	}
	char *copy = strdup(url);
	if (!copy) {
		pthread_mutex_unlock(&p->mu);
		return -1;
	}
	if (!t) {
		if (p->nt == p->capt) {
			size_t cap = p->capt ? p->capt * 2 : 8;
			void *np = realloc(p->t, cap * sizeof *p->t);
			if (!np) {
				pthread_mutex_unlock(&p->mu);
				free(copy);
				return -1;
			}
			p->t = np;
			p->capt = cap;
		}
		if (!(t = calloc(1, sizeof *t))) {
			pthread_mutex_unlock(&p->mu);
			free(copy);
			return -1;
		}
		t->p = p;
		snprintf(t->id, sizeof t->id, "%s", id);
		p->t[p->nt++] = t;
	}
	free(t->url);
	t->url = copy;
	t->wanted = true;
	t->url_changed = true;
	t->have = false;
	p->dirty = true;
	pthread_mutex_unlock(&p->mu);
	wake(p);
	return 0;
}

void prober_unwatch(struct prober *p, const char *id)
{
	if (!p || !id)
		return;
	pthread_mutex_lock(&p->mu);
	struct target *t = find(p, id);
	if (t) {
		t->wanted = false;
		t->have = false;
		p->dirty = true;
	}
	pthread_mutex_unlock(&p->mu);
	if (t)
		wake(p);
}

int prober_latest(struct prober *p, const char *id, struct probe_result *out)
{
	int rc = 0;
	pthread_mutex_lock(&p->mu);
	struct target *t = find(p, id);
	if (t && t->wanted && t->have) {
		*out = t->latest;
		rc = 1;
	}
	pthread_mutex_unlock(&p->mu);
	return rc;
}
