/* httpd.c — libmicrohttpd plumbing for the daemon's HTTP server: listening socket, limits, routing, the bearer
 * token and response headers. What a page or endpoint contains is web.c's business; this file only picks the
 * view and hands it the newest snapshot. */
#include "autoconfig.h"
#include "httpd.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "log.h"
#include "util.h"
#include "web.h"

#define CONNECTION_LIMIT 64        /* at once, all clients */
#define PER_IP_LIMIT 32            /* at once, one address (a browser opens several) */
#define CONNECTION_MEMORY (32 * 1024) /* per connection: request line, headers, buffers */
#define CONNECTION_TIMEOUT_S 15
/* Threads answering requests, each with its share of the connections: a big response on one does not hold
 * up /healthz on another. */
#define THREAD_POOL_SIZE 4
/* A client has this long, from connecting or from the end of its previous response, to send a request's
 * headers. MHD's own timeout counts idle time only, so a client dribbling a byte a second (slowloris) would
 * hold its connection slot for ever; the watchdog answers 408 and closes such connections. */
#define HEADER_DEADLINE_MS 10000

/* One open connection, as the watchdog sees it. */
struct conn_track {
	int fd;
	int64_t waiting_since_ms; /* monotonic; 0 while a request is being answered (or already timed out) */
	struct conn_track *prev, *next;
};

struct httpd {
	struct MHD_Daemon *d;
	struct collector *c;
	struct web_opts wo;
	bool have_token;
	unsigned char token_hash[32]; /* SHA-256 of the token: compared in constant time, the token not kept */
	char csp[300];
	int64_t stale_ms;             /* /healthz fails when the newest snapshot is older */
	pthread_mutex_t conns_lock;   /* guards conns and stopping */
	pthread_cond_t conns_cond;
	struct conn_track *conns;
	bool stopping;
	bool have_watchdog;
	pthread_t watchdog;
};

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void track_wait(struct httpd *h, struct MHD_Connection *conn, bool waiting)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	struct conn_track *t = ci ? ci->socket_context : NULL;
	if (!t)
		return;
	pthread_mutex_lock(&h->conns_lock);
	t->waiting_since_ms = waiting ? mono_ms() : 0;
	pthread_mutex_unlock(&h->conns_lock);
}

/* MHD calls this when a connection opens and before it closes the socket: the watchdog's list. */
static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
	struct httpd *h = cls;
	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
		struct conn_track *t = ci ? calloc(1, sizeof *t) : NULL;
		if (!t)
			return; /* not watched: MHD's idle timeout still applies */
		t->fd = ci->connect_fd;
		pthread_mutex_lock(&h->conns_lock);
		t->waiting_since_ms = mono_ms();
		t->next = h->conns;
		if (h->conns)
			h->conns->prev = t;
		h->conns = t;
		pthread_mutex_unlock(&h->conns_lock);
		*socket_context = t;
	} else if (code == MHD_CONNECTION_NOTIFY_CLOSED && *socket_context) {
		struct conn_track *t = *socket_context;
		pthread_mutex_lock(&h->conns_lock);
		if (t->prev)
			t->prev->next = t->next;
		else
			h->conns = t->next;
		if (t->next)
			t->next->prev = t->prev;
		pthread_mutex_unlock(&h->conns_lock);
		free(t);
		*socket_context = NULL;
	}
}

/* A response went out: the connection (kept alive) waits for the next request's headers. */
static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode toe)
{
	(void)con_cls;
	(void)toe;
	track_wait(cls, conn, true);
}

/* Once a second: a connection that has not finished its request headers within HEADER_DEADLINE_MS gets a
 * 408 and is shut down; MHD then sees the end of the stream and closes it in its own thread (the socket stays
 * MHD's: it is removed from the list before MHD closes it). */
static void *watchdog_main(void *arg)
{
	struct httpd *h = arg;
	static const char msg[] = "HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Type: text/plain\r\n"
	                          "Content-Length: 34\r\n\r\nthe request took too long to send\n";
	pthread_mutex_lock(&h->conns_lock);
	while (!h->stopping) {
		struct timespec until;
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_sec += 1;
		pthread_cond_timedwait(&h->conns_cond, &h->conns_lock, &until);
		int64_t now = mono_ms();
		for (struct conn_track *t = h->conns; t && !h->stopping; t = t->next)
			if (t->waiting_since_ms && now - t->waiting_since_ms > HEADER_DEADLINE_MS) {
				t->waiting_since_ms = 0;
				if (send(t->fd, msg, sizeof msg - 1, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
					/* a full send buffer: the close alone says it */
				}
				shutdown(t->fd, SHUT_RDWR);
			}
	}
	pthread_mutex_unlock(&h->conns_lock);
	return NULL;
}

static int sha256(const void *p, size_t n, unsigned char out[32])
{
	unsigned int len = 0;
	return EVP_Digest(p, n, out, &len, EVP_sha256(), NULL) == 1 && len == 32 ? 0 : -1;
}

/* The token with trailing blanks and line ends removed (a file usually ends in "\n"). malloc'd; NULL when
 * there is none; *bad set when the file cannot be read or is empty. */
static char *load_token(const struct config *cfg, char *err, size_t errlen, bool *bad)
{
	*bad = false;
	char *t = NULL;
	if (cfg->http_token_file && *cfg->http_token_file) {
		t = read_file(cfg->http_token_file, NULL);
		if (!t) {
			snprintf(err, errlen, "cannot read HTTP_TOKEN_FILE %s: %s", cfg->http_token_file, strerror(errno));
			*bad = true;
			return NULL;
		}
	} else if (cfg->http_token && *cfg->http_token) {
		t = strdup(cfg->http_token);
		if (!t) {
			snprintf(err, errlen, "out of memory");
			*bad = true;
			return NULL;
		}
	} else
		return NULL;
	size_t n = strlen(t);
	while (n && (t[n - 1] == '\n' || t[n - 1] == '\r' || t[n - 1] == ' ' || t[n - 1] == '\t'))
		t[--n] = '\0';
	/* RFC 6750's b64token: what an Authorization header and a cookie both carry unchanged. */
	bool bad_char = false;
	for (size_t i = 0; i < n; i++)
		bad_char |= !(isalnum((unsigned char)t[i]) || strchr("-._~+/", t[i]) || (t[i] == '=' && i > 0));
	if (n == 0 || bad_char) {
		snprintf(err, errlen, "the HTTP token from %s %s", cfg->http_token_file && *cfg->http_token_file
		                                                         ? "HTTP_TOKEN_FILE"
		                                                         : "HTTP_TOKEN",
		         n == 0 ? "is empty"
		                : "may hold only letters, digits and - . _ ~ + / (and = at the end), as a bearer token");
		explicit_bzero(t, n);
		free(t);
		*bad = true;
		return NULL;
	}
	return t;
}

static int parse_listen(const char *s, struct sockaddr_storage *ss, socklen_t *sslen, char *err, size_t errlen)
{
	char host[256], port[16];
	const char *colon;
	if (s[0] == '[') {
		const char *close = strchr(s, ']');
		if (!close || close[1] != ':' || (size_t)(close - s - 1) >= sizeof host)
			goto bad;
		memcpy(host, s + 1, (size_t)(close - s - 1));
		host[close - s - 1] = '\0';
		colon = close + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon || (size_t)(colon - s) >= sizeof host || memchr(s, ':', (size_t)(colon - s)))
			goto bad;
		memcpy(host, s, (size_t)(colon - s));
		host[colon - s] = '\0';
	}
	int64_t p;
	if (strlen(colon + 1) >= sizeof port || parse_int64(colon + 1, &p) || p < 1 || p > 65535)
		goto bad;
	snprintf(port, sizeof port, "%d", (int)p);
	struct addrinfo hints = {.ai_flags = AI_PASSIVE | AI_NUMERICSERV, .ai_socktype = SOCK_STREAM}, *res = NULL;
	int gai = getaddrinfo(*host ? host : NULL, port, &hints, &res);
	if (gai || !res) {
		snprintf(err, errlen, "invalid LOOKOUT_LISTEN=\"%.100s\": cannot resolve the address: %s", s,
		         gai ? gai_strerror(gai) : "no address");
		return -1;
	}
	/* Without an address, the IPv4 wildcard (as 0.0.0.0:PORT). */
	struct addrinfo *pick = res;
	for (struct addrinfo *a = res; !*host && a; a = a->ai_next)
		if (a->ai_family == AF_INET) {
			pick = a;
			break;
		}
	memcpy(ss, pick->ai_addr, pick->ai_addrlen);
	*sslen = pick->ai_addrlen;
	freeaddrinfo(res);
	return 0;
bad:
	snprintf(err, errlen, "invalid LOOKOUT_LISTEN=\"%.100s\": expected ADDR:PORT (127.0.0.1:8000, 0.0.0.0:8000, "
	                      "[::1]:8000) or off", s);
	return -1;
}

static bool listen_off(const struct config *cfg)
{
	return !cfg->listen || !*cfg->listen || strcasecmp(cfg->listen, "off") == 0;
}

__attribute__((format(printf, 2, 0))) static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char line[512];
	vsnprintf(line, sizeof line, fmt, ap);
	size_t n = strlen(line);
	while (n && line[n - 1] == '\n')
		line[--n] = '\0';
	log_warn("http: %s", line);
}

static enum MHD_Result respond(struct MHD_Connection *conn, unsigned status, const char *type, struct buf *body,
                               const char *csp)
{
	/* The response takes the buffer's memory (freed with free() by MHD). */
	size_t len = body->len;
	char *data = body->data;
	body->data = NULL;
	body->len = body->cap = 0;
	struct MHD_Response *r =
		MHD_create_response_from_buffer(len, data ? data : (void *)"", data ? MHD_RESPMEM_MUST_FREE
		                                                                    : MHD_RESPMEM_PERSISTENT);
	if (!r) {
		free(data);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", type);
	MHD_add_response_header(r, "Cache-Control", "no-store");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(r, "X-Frame-Options", "DENY");
	MHD_add_response_header(r, "Content-Security-Policy", csp ? csp : "default-src 'none'; frame-ancestors 'none'");
	if (status == MHD_HTTP_UNAUTHORIZED)
		MHD_add_response_header(r, "WWW-Authenticate", "Bearer realm=\"lookout\"");
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, "Allow", "GET, HEAD");
	enum MHD_Result ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result respond_text(struct MHD_Connection *conn, unsigned status, const char *text)
{
	struct buf b;
	buf_init(&b);
	if (buf_puts(&b, text)) {
		buf_free(&b);
		return MHD_NO;
	}
	return respond(conn, status, "text/plain; charset=utf-8", &b, NULL);
}

static bool authorized(const struct httpd *h, struct MHD_Connection *conn)
{
	if (!h->have_token)
		return true;
	const char *given = NULL;
	const char *auth = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
	if (auth && strncasecmp(auth, "Bearer ", 7) == 0) {
		given = auth + 7;
		while (*given == ' ')
			given++;
	}
	if (!given)
		given = MHD_lookup_connection_value(conn, MHD_COOKIE_KIND, "lookout_token");
	if (!given)
		return false;
	unsigned char hash[32];
	if (sha256(given, strlen(given), hash))
		return false;
	return CRYPTO_memcmp(hash, h->token_hash, sizeof hash) == 0;
}

static void read_proc(struct web_proc *p)
{
	memset(p, 0, sizeof *p);
	char *stat = read_file("/proc/self/stat", NULL);
	long hz = sysconf(_SC_CLK_TCK);
	if (stat && hz > 0) {
		/* Fields after the command name, which is in parentheses and may hold spaces. */
		char *q = strrchr(stat, ')');
		unsigned long long utime = 0, stime = 0, start = 0, vsize = 0;
		long long rss = 0;
		if (q && sscanf(q + 2,
		                "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d %*d %*d %*d %*d %llu %llu %lld",
		                &utime, &stime, &start, &vsize, &rss) == 5) {
			p->cpu_seconds = (double)(utime + stime) / (double)hz;
			p->vsize_bytes = (double)vsize;
			p->rss_bytes = (double)rss * (double)sysconf(_SC_PAGESIZE);
			char *st = read_file("/proc/stat", NULL);
			char *bt = st ? strstr(st, "\nbtime ") : NULL;
			if (bt)
				p->start_time_s = strtod(bt + 7, NULL) + (double)start / (double)hz;
			free(st);
		}
	}
	free(stat);
	DIR *d = opendir("/proc/self/fd");
	if (d) {
		struct dirent *e;
		while ((e = readdir(d)))
			p->open_fds += e->d_name[0] != '.';
		closedir(d);
		p->open_fds -= 1; /* the directory's own descriptor */
	}
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
		p->max_fds = rl.rlim_cur == RLIM_INFINITY ? -1 : (double)rl.rlim_cur;
}

/* Marks a request whose raw path (before any "?") holds a percent escape or a backslash: none of the routes
 * has one, and MHD would decode "%00" to a NUL that cuts the path short ("/healthz%00.x") and "%2f" to a "/"
 * ("/api%2fsnapshot.json"), so such a path is answered 404 instead of being decoded into a route. */
static char bad_path_mark;

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
	(void)cls;
	(void)conn;
	size_t n = strcspn(uri, "?");
	return memchr(uri, '%', n) || memchr(uri, '\\', n) ? &bad_path_mark : NULL;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                              const char *version, const char *upload_data, size_t *upload_data_size,
                              void **con_cls)
{
	struct httpd *h = cls;
	(void)upload_data;
	track_wait(h, conn, false); /* the headers are in: no longer the watchdog's concern */
	if (!version || (strcmp(version, "HTTP/1.1") != 0 && strcmp(version, "HTTP/1.0") != 0))
		return respond_text(conn, MHD_HTTP_BAD_REQUEST, "bad request line\n");
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		return respond_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET and HEAD\n");
	/* A GET has no body: one announced is refused before it is read. */
	const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
	if ((cl && strcmp(cl, "0") != 0) || MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Transfer-Encoding") ||
	    *upload_data_size)
		return respond_text(conn, MHD_HTTP_CONTENT_TOO_LARGE, "a GET request has no body\n");

	if (*con_cls == &bad_path_mark)
		return respond_text(conn, MHD_HTTP_NOT_FOUND, "not found: escapes are not part of any path here\n");

	if (strcmp(url, "/healthz") == 0) {
		struct snapshot *s = collector_latest(h->c);
		int64_t age = s ? now_wall_ms() - s->wall_ms : -1;
		char msg[600];
		unsigned status = MHD_HTTP_SERVICE_UNAVAILABLE;
		if (!s)
			snprintf(msg, sizeof msg, "starting: no sample yet\n");
		else if (age > h->stale_ms)
			snprintf(msg, sizeof msg, "stale: the newest sample is %lld ms old\n", (long long)age);
		else if (!s->engine_up)
			snprintf(msg, sizeof msg, "engine unreachable\n");
		else {
			snprintf(msg, sizeof msg, "ok\n");
			status = MHD_HTTP_OK;
		}
		snapshot_unref(s);
		return respond_text(conn, status, msg);
	}

	/* "/?token=…" once, from a browser: the token becomes an HttpOnly cookie and leaves the address bar. */
	const char *qtoken = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "token");
	if (h->have_token && qtoken && strcmp(url, "/") == 0) {
		unsigned char hash[32];
		if (sha256(qtoken, strlen(qtoken), hash) || CRYPTO_memcmp(hash, h->token_hash, sizeof hash) != 0)
			return respond_text(conn, MHD_HTTP_UNAUTHORIZED, "wrong token\n");
		struct MHD_Response *r = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
		if (!r)
			return MHD_NO;
		struct buf cookie;
		buf_init(&cookie);
		bool ok = buf_puts(&cookie, "lookout_token=") == 0 && buf_puts(&cookie, qtoken) == 0 &&
		          buf_puts(&cookie, "; HttpOnly; SameSite=Strict; Path=/") == 0;
		if (ok)
			MHD_add_response_header(r, "Set-Cookie", cookie.data);
		explicit_bzero(cookie.data, cookie.len);
		buf_free(&cookie);
		MHD_add_response_header(r, "Location", "/");
		MHD_add_response_header(r, "Cache-Control", "no-store");
		MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
		enum MHD_Result ret = MHD_queue_response(conn, ok ? MHD_HTTP_SEE_OTHER : MHD_HTTP_INTERNAL_SERVER_ERROR, r);
		MHD_destroy_response(r);
		return ret;
	}
	if (!authorized(h, conn))
		return respond_text(conn, MHD_HTTP_UNAUTHORIZED, "a bearer token is required (Authorization: Bearer TOKEN)\n");

	struct buf b;
	buf_init(&b);
	struct snapshot *s = collector_latest(h->c);
	int rc;
	const char *type = "application/json";
	const char *csp = NULL;
	unsigned status = MHD_HTTP_OK;
	if (strcmp(url, "/") == 0 || strcmp(url, "/index.html") == 0) {
		const char *frag = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "fragment");
		const char *win = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "window");
		struct web_opts wo = h->wo;
		if (win && *win && (web_parse_window(win, &wo.window_ms) || wo.window_ms < 60000 ||
		                    wo.window_ms > 24 * 3600000LL)) {
			snapshot_unref(s);
			return respond_text(conn, MHD_HTTP_BAD_REQUEST, "window: 1m to 24h (5m, 15m, 1h)\n");
		}
		rc = web_page(&b, s, &wo, frag && strcmp(frag, "1") == 0);
		type = "text/html; charset=utf-8";
		csp = h->csp;
	} else if (strcmp(url, "/api/snapshot.json") == 0) {
		rc = web_snapshot_json(&b, s, &h->wo);
	} else if (strcmp(url, "/api/alerts.json") == 0) {
		rc = web_alerts_json(&b, s);
	} else if (strcmp(url, "/api/history.json") == 0 &&
	           MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "since_ms")) {
		/* `lookout --connect` viewers: what is new since their last fetch, compact. */
		int64_t since_ms = 0;
		const char *since = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "since_ms");
		if (parse_int64(since, &since_ms) || since_ms < 0 || since_ms == INT64_MAX) {
			snapshot_unref(s);
			return respond_text(conn, MHD_HTTP_BAD_REQUEST, "since_ms: milliseconds since the epoch\n");
		}
		rc = web_history_compact(&b, s, since_ms);
	} else if (strcmp(url, "/api/history.json") == 0) {
		const char *name = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "container");
		const char *win = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "window");
		int64_t window_ms = 0;
		if (win && *win && web_parse_window(win, &window_ms)) {
			snapshot_unref(s);
			return respond_text(conn, MHD_HTTP_BAD_REQUEST,
			                    "window: seconds, or a number with s, m, h or d (300, 15m, 1h)\n");
		}
		rc = web_history_json(&b, s, name, window_ms);
		if (rc == 1) {
			snapshot_unref(s);
			buf_free(&b);
			return respond_text(conn, MHD_HTTP_NOT_FOUND, "no such container is watched\n");
		}
		if (rc == 2) { /* too much at once: b holds why */
			snapshot_unref(s);
			enum MHD_Result ret = respond_text(conn, MHD_HTTP_BAD_REQUEST, b.data ? b.data : "too many points\n");
			buf_free(&b);
			return ret;
		}
	} else if (strcmp(url, "/metrics") == 0) {
		struct web_proc proc;
		read_proc(&proc);
		rc = web_metrics(&b, s, &h->wo, &proc);
		type = "text/plain; version=0.0.4; charset=utf-8";
	} else {
		snapshot_unref(s);
		buf_free(&b);
		return respond_text(conn, MHD_HTTP_NOT_FOUND,
		                    "not found: try /, /api/snapshot.json, /api/history.json, /api/alerts.json, /metrics, "
		                    "/healthz\n");
	}
	snapshot_unref(s);
	if (rc) {
		buf_free(&b);
		return respond_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
	}
	return respond(conn, status, type, &b, csp);
}

static void free_httpd(struct httpd *h)
{
	pthread_mutex_destroy(&h->conns_lock);
	pthread_cond_destroy(&h->conns_cond);
	explicit_bzero(h->token_hash, sizeof h->token_hash);
	free(h);
}

int httpd_start(const struct config *cfg, struct collector *c, const struct collector_opts *copts,
                struct httpd **out, char *err, size_t errlen)
{
	err[0] = '\0';
	*out = NULL;
	if (listen_off(cfg))
		return 0;
	struct sockaddr_storage ss;
	socklen_t sslen;
	if (parse_listen(cfg->listen, &ss, &sslen, err, errlen))
		return -1;
	struct httpd *h = calloc(1, sizeof *h);
	if (!h) {
		snprintf(err, errlen, "out of memory");
		return 1;
	}
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_mutex_init(&h->conns_lock, NULL);
	pthread_cond_init(&h->conns_cond, &ca);
	pthread_condattr_destroy(&ca);
	bool bad;
	char *token = load_token(cfg, err, errlen, &bad);
	if (bad) {
		free_httpd(h);
		return -1;
	}
	if (token) {
		h->have_token = sha256(token, strlen(token), h->token_hash) == 0;
		explicit_bzero(token, strlen(token));
		free(token);
		if (!h->have_token) {
			snprintf(err, errlen, "cannot hash the HTTP token");
			free_httpd(h);
			return 1;
		}
	}
	h->c = c;
	struct rules_config rules;
	check_rules_config(cfg, &rules);
	h->wo = (struct web_opts){
		.gauge_warn = (double)cfg->gauge_warn,
		.gauge_crit = (double)cfg->gauge_crit,
		.cpu_threshold = rules.cpu_threshold,
		.memory_threshold = rules.memory_threshold,
		.response_threshold_ms = rules.response_threshold_ms,
		.interval_s = cfg->interval_s,
		.copts = copts,
	};
	h->stale_ms = (int64_t)(cfg->interval_s * 5000) + 10000;
	snprintf(h->csp, sizeof h->csp,
	         "default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-%s'; connect-src 'self'; "
	         "img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
	         web_page_script());

	char where[300];
	char addr[INET6_ADDRSTRLEN] = "?";
	int port = 0;
	if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
		inet_ntop(AF_INET6, &a6->sin6_addr, addr, sizeof addr);
		port = ntohs(a6->sin6_port);
		snprintf(where, sizeof where, "[%s]:%d", addr, port);
	} else {
		struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
		inet_ntop(AF_INET, &a4->sin_addr, addr, sizeof addr);
		port = ntohs(a4->sin_port);
		snprintf(where, sizeof where, "%s:%d", addr, port);
	}
	/* Our own socket, so a failure to bind is a clear message rather than MHD's NULL. */
	int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int one = 1;
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) ||
	    bind(fd, (struct sockaddr *)&ss, sslen) || listen(fd, 64)) {
		snprintf(err, errlen, "HTTP server: cannot listen on %s: %s", where, strerror(errno));
		if (fd >= 0)
			close(fd);
		free_httpd(h);
		return 1;
	}
	unsigned flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG; /* with THREAD_POOL_SIZE workers */
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	h->d = MHD_start_daemon(flags, 0, NULL, NULL, handle, h, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
	                        MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd, MHD_OPTION_CONNECTION_LIMIT,
	                        (unsigned)CONNECTION_LIMIT, MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)PER_IP_LIMIT,
	                        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONNECTION_MEMORY,
	                        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)CONNECTION_TIMEOUT_S, MHD_OPTION_THREAD_POOL_SIZE,
	                        (unsigned)THREAD_POOL_SIZE, MHD_OPTION_NOTIFY_CONNECTION, on_connection, h,
	                        MHD_OPTION_NOTIFY_COMPLETED, on_completed, h, MHD_OPTION_URI_LOG_CALLBACK, on_uri, NULL,
	                        MHD_OPTION_END);
	if (!h->d) {
		snprintf(err, errlen, "HTTP server: libmicrohttpd would not start on %s", where);
		close(fd);
		free_httpd(h);
		return 1;
	}
	if (pthread_create(&h->watchdog, NULL, watchdog_main, h) == 0)
		h->have_watchdog = true;
	else
		log_warn("http: no watchdog thread: slow clients are bounded by the idle timeout only");
	log_info("HTTP server listening on http://%s/%s", where, h->have_token ? " (bearer token required)" : "");
	*out = h;
	return 0;
}

void httpd_stop(struct httpd *h)
{
	if (!h)
		return;
	if (h->have_watchdog) {
		pthread_mutex_lock(&h->conns_lock);
		h->stopping = true;
		pthread_cond_signal(&h->conns_cond);
		pthread_mutex_unlock(&h->conns_lock);
		pthread_join(h->watchdog, NULL);
	}
	MHD_stop_daemon(h->d);
	free_httpd(h);
}
