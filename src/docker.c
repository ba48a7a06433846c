/* docker.c — a client for the Docker Engine API (and Podman's compatible socket): transport (unix socket, tcp,
 * TLS with client certificates as the docker CLI uses them), version negotiation and parsers that tolerate any
 * JSON. It only reads; it never decides, draws or changes a container. */
#include "docker.h"

#include <cJSON.h>
#include <curl/curl.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "util.h"

/* The newest API whose shapes this file knows; newer engines answer older versions faithfully. */
#define API_OURS_MAJOR 1
#define API_OURS_MINOR 43
/* One-shot stats that answer at once arrived with Engine 25 (API 1.44). */
#define API_ONESHOT_MINOR 44

#define CONNECT_TIMEOUT_MS 5000L
#define REQUEST_TIMEOUT_MS 15000L
/* /_ping is the cheapest answer an engine gives: one that takes longer than this is hung (stopped, swapping,
 * or behind a network that drops packets), and the watcher counts it as a failed ping. */
#define PING_TIMEOUT_MS 2500L
/* A hostile or broken engine must not be able to make us allocate without bound. */
#define BODY_MAX ((size_t)64 << 20)
#define EVENT_LINE_MAX ((size_t)1 << 20)
#define EVENT_ERRBODY_MAX ((size_t)64 << 10)

struct docker {
	char endpoint[sizeof(((struct sockaddr_un *)0)->sun_path) + 300];
	char sock_path[sizeof(((struct sockaddr_un *)0)->sun_path)]; /* empty for tcp */
	char base_url[300];                                          /* "http://localhost" or "http://host:port" */
	char api_prefix[24];                                         /* "/v1.41"; empty before negotiation */
	bool oneshot;
	bool tls;              /* https to the engine, with tlsopt */
	struct docker_tls tlsopt;
	CURL *curl; /* reused between calls so keep-alive saves a connect per request */
};


__attribute__((format(printf, 3, 4))) static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
	if (!err || errlen == 0)
		return;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	if (n < 0)
		snprintf(err, errlen, "error (message could not be formatted)");
	/* A truncated message is still useful to a person; the end is cut, never overflowed. */
}

/* ---- endpoint ---------------------------------------------------------------------------------------- */

static bool exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

/* DOCKER_HOST, then the usual sockets of Docker and Podman (root, then rootless), the first that exists. */
static const char *default_host(char *buf, size_t len)
{
	const char *env = getenv("DOCKER_HOST");
	if (env && *env)
		return env;
	static const char *const fixed[] = {"/var/run/docker.sock", "/run/podman/podman.sock"};
	for (size_t i = 0; i < ARRAY_LEN(fixed); i++) {
		if (exists(fixed[i])) {
			int n = snprintf(buf, len, "unix://%s", fixed[i]);
			if (n > 0 && (size_t)n < len)
				return buf;
		}
	}
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	if (xdg && *xdg) {
		int n = snprintf(buf, len, "unix://%s/podman/podman.sock", xdg);
		if (n > 0 && (size_t)n < len && exists(buf + strlen("unix://")))
			return buf;
	}
	/* Nothing exists: name Docker's socket so the connect error says where we looked. */
	return "unix:///var/run/docker.sock";
}

/* ---- TLS: the registry of per-URL settings, and the docker CLI's environment ------------------------------ */

#define TLS_PORT "2376"   /* the engine's TLS port, the docker CLI's default when TLS is on */
#define PLAIN_PORT "2375" /* its plain-HTTP port */
#define TLS_REG_MAX 256

/* Filled at start-up, read by every docker_new; the lock makes a late registration safe, not meaningful. */
static pthread_mutex_t tls_mu = PTHREAD_MUTEX_INITIALIZER;
static struct tls_entry {
	char authority[300]; /* "host:port" */
	struct docker_tls tls;
} tls_reg[TLS_REG_MAX];
static size_t tls_nreg;

enum scheme { SCHEME_BAD = 0, SCHEME_UNIX, SCHEME_TCP, SCHEME_HTTP, SCHEME_HTTPS };

static enum scheme scheme_of(const char *url, const char **rest)
{
	static const struct {
		const char *prefix;
		enum scheme s;
	} schemes[] = {{"unix://", SCHEME_UNIX}, {"tcp://", SCHEME_TCP}, {"http://", SCHEME_HTTP},
	               {"https://", SCHEME_HTTPS}};
	for (size_t i = 0; i < ARRAY_LEN(schemes); i++) {
		size_t n = strlen(schemes[i].prefix);
		if (strncmp(url, schemes[i].prefix, n) == 0) {
			*rest = url + n;
			return schemes[i].s;
		}
	}
	*rest = NULL;
	return SCHEME_BAD;
}

/* host[:port] of a tcp-like URL (trailing slashes cut): 0 with *len and *has_port, or -1 with a message. */
static int split_hostport(const char *url, const char *hp, size_t *len, bool *has_port, char *err, size_t errlen)
{
	size_t n = strlen(hp);
	while (n && hp[n - 1] == '/')
		n--;
	if (n == 0 || n > 255 || strcspn(hp, "/@?# \t\r\n") < n) {
		seterr(err, errlen, "engine address \"%s\": expected tcp://host:port", url);
		return -1;
	}
	/* Skip ':' inside [IPv6]. */
	const char *close_br = memchr(hp, ']', n);
	const char *after = close_br ? close_br + 1 : hp;
	*has_port = memchr(after, ':', n - (size_t)(after - hp)) != NULL;
	*len = n;
	return 0;
}

/* "host:port" of url with port 2376 when it has none (registered URLs are TLS ones); -1 if not tcp-like. */
static int tls_authority(const char *url, char *out, size_t outlen, char *err, size_t errlen)
{
	const char *hp;
	enum scheme s = url ? scheme_of(url, &hp) : SCHEME_BAD;
	size_t len;
	bool has_port;
	if (s != SCHEME_TCP && s != SCHEME_HTTPS) {
		seterr(err, errlen, "engine address \"%s\": TLS settings apply to tcp://host:port addresses only",
		       url ? url : "");
		return -1;
	}
	if (split_hostport(url, hp, &len, &has_port, err, errlen))
		return -1;
	int n = snprintf(out, outlen, "%.*s%s", (int)len, hp, has_port ? "" : ":" TLS_PORT);
	if (n < 0 || (size_t)n >= outlen) {
		seterr(err, errlen, "engine address \"%s\" is too long", url);
		return -1;
	}
	return 0;
}

int docker_tls_register(const char *url, const struct docker_tls *tls, char *err, size_t errlen)
{
	char auth[sizeof tls_reg[0].authority];
	if (tls_authority(url, auth, sizeof auth, err, errlen))
		return -1;
	pthread_mutex_lock(&tls_mu);
	size_t i;
	for (i = 0; i < tls_nreg; i++)
		if (strcmp(tls_reg[i].authority, auth) == 0)
			break;
	int rc = 0;
	if (i == TLS_REG_MAX) {
		seterr(err, errlen, "more than %d TLS engines", TLS_REG_MAX);
		rc = -1;
	} else {
		/* The same engine named twice (two contexts): the last settings win, as a later flag would. */
		memcpy(tls_reg[i].authority, auth, sizeof auth);
		tls_reg[i].tls = *tls;
		if (i == tls_nreg)
			tls_nreg++;
	}
	pthread_mutex_unlock(&tls_mu);
	return rc;
}

void docker_tls_clear(void)
{
	pthread_mutex_lock(&tls_mu);
	tls_nreg = 0;
	pthread_mutex_unlock(&tls_mu);
}

static bool tls_lookup(const char *auth, struct docker_tls *out)
{
	bool found = false;
	pthread_mutex_lock(&tls_mu);
	for (size_t i = 0; i < tls_nreg && !found; i++) {
		if (strcmp(tls_reg[i].authority, auth) == 0) {
			*out = tls_reg[i].tls;
			found = true;
		}
	}
	pthread_mutex_unlock(&tls_mu);
	return found;
}

static bool env_set(const char *name)
{
	const char *v = getenv(name);
	return v && *v;
}

static int join_path(char *out, size_t outlen, const char *dir, const char *file, char *err, size_t errlen)
{
	int n = snprintf(out, outlen, "%s/%s", dir, file);
	if (n < 0 || (size_t)n >= outlen) {
		seterr(err, errlen, "certificate directory %s: path too long", dir);
		return -1;
	}
	return 0;
}

/* The docker CLI's environment: DOCKER_TLS_VERIFY (verify against ca.pem), DOCKER_TLS (TLS, no verification),
 * DOCKER_CERT_PATH (default ~/.docker); the client certificate is cert.pem + key.pem when present. *on is
 * false when neither variable asks for TLS and force_tls (https://) is not set. */
static int tls_from_env(bool force_tls, struct docker_tls *out, bool *on, char *err, size_t errlen)
{
	bool verify = env_set("DOCKER_TLS_VERIFY");
	memset(out, 0, sizeof *out);
	*on = force_tls || verify || env_set("DOCKER_TLS");
	if (!*on)
		return 0;
	out->verify = verify || !env_set("DOCKER_TLS");
	char dir[900];
	const char *cp = getenv("DOCKER_CERT_PATH"), *home = getenv("HOME");
	int n;
	if (cp && *cp)
		n = snprintf(dir, sizeof dir, "%s", cp);
	else
		n = snprintf(dir, sizeof dir, "%s/.docker", home && *home ? home : "");
	if (n < 0 || (size_t)n >= sizeof dir) {
		seterr(err, errlen, "DOCKER_CERT_PATH is too long");
		return -1;
	}
	/* Cut when long: it only names the place in messages. */
	if (snprintf(out->origin, sizeof out->origin, "%s%.140s", cp && *cp ? "DOCKER_CERT_PATH=" : "", dir) < 0)
		out->origin[0] = '\0';
	if (join_path(out->ca_file, sizeof out->ca_file, dir, "ca.pem", err, errlen) ||
	    join_path(out->cert_file, sizeof out->cert_file, dir, "cert.pem", err, errlen) ||
	    join_path(out->key_file, sizeof out->key_file, dir, "key.pem", err, errlen))
		return -1;
	/* As the CLI: the CA is needed only to verify, and then it must be there (https:// without
	 * DOCKER_TLS_VERIFY verifies against the system's CAs when there is none); the client pair is used when
	 * it is there. */
	if (!verify && (!out->verify || access(out->ca_file, F_OK) != 0))
		out->ca_file[0] = '\0';
	bool have_cert = access(out->cert_file, F_OK) == 0, have_key = access(out->key_file, F_OK) == 0;
	if (!have_cert && !have_key)
		out->cert_file[0] = out->key_file[0] = '\0';
	return 0;
}

/* Each file the settings name must be readable: a person gets the path and the reason, never the contents. */
static int tls_check_files(const char *url, const struct docker_tls *t, char *err, size_t errlen)
{
	const struct {
		const char *path, *what;
	} files[] = {{t->ca_file, "CA certificate"}, {t->cert_file, "client certificate"},
	             {t->key_file, "client key"}};
	for (size_t i = 0; i < ARRAY_LEN(files); i++) {
		if (!files[i].path[0])
			continue;
		FILE *f = fopen(files[i].path, "r");
		if (!f) {
			seterr(err, errlen, "TLS for the Docker engine at %s: cannot read the %s %s: %s (from %s)", url,
			       files[i].what, files[i].path, strerror(errno), t->origin[0] ? t->origin : "the settings");
			return -1;
		}
		fclose(f);
	}
	if (!t->cert_file[0] != !t->key_file[0]) {
		seterr(err, errlen, "TLS for the Docker engine at %s: a client certificate needs both cert.pem and "
		       "key.pem; %s is missing (from %s)", url, t->cert_file[0] ? "the key" : "the certificate",
		       t->origin[0] ? t->origin : "the settings");
		return -1;
	}
	return 0;
}

/* check_only: the syntax alone (no environment, no files), for validating the configuration. */
static int set_endpoint(struct docker *d, const char *url, bool check_only, char *err, size_t errlen)
{
	int n;
	const char *hp;
	enum scheme s = scheme_of(url, &hp);
	if (s == SCHEME_UNIX) {
		const char *path = hp;
		if (path[0] != '/') {
			seterr(err, errlen, "engine address \"%s\": the socket path must be absolute (unix:///path)", url);
			return -1;
		}
		n = snprintf(d->sock_path, sizeof d->sock_path, "%s", path);
		if (n < 0 || (size_t)n >= sizeof d->sock_path) {
			seterr(err, errlen, "engine address \"%s\": socket path longer than %zu bytes", url,
			       sizeof d->sock_path - 1);
			return -1;
		}
		n = snprintf(d->base_url, sizeof d->base_url, "http://localhost");
		if (n < 0 || (size_t)n >= sizeof d->base_url)
			return -1;
		n = snprintf(d->endpoint, sizeof d->endpoint, "unix://%s", path);
		return n < 0 || (size_t)n >= sizeof d->endpoint ? -1 : 0;
	}
	if (s == SCHEME_BAD) {
		if (strncmp(url, "ssh://", 6) == 0)
			seterr(err, errlen, "engine address \"%s\": ssh is not supported; use a unix socket, tcp://host:port "
			       "(with DOCKER_TLS_VERIFY for TLS) or an ssh tunnel", url);
		else
			seterr(err, errlen, "engine address \"%s\" not understood: use unix:///path/to/docker.sock or "
			       "tcp://host:port", url);
		return -1;
	}
	size_t len;
	bool has_port;
	if (split_hostport(url, hp, &len, &has_port, err, errlen))
		return -1;
	if (!check_only && s != SCHEME_HTTP) {
		/* A registered engine (a context) uses its own settings; others follow the CLI's environment. */
		char auth[sizeof tls_reg[0].authority];
		int m = snprintf(auth, sizeof auth, "%.*s%s", (int)len, hp, has_port ? "" : ":" TLS_PORT);
		if (m > 0 && (size_t)m < sizeof auth && tls_lookup(auth, &d->tlsopt))
			d->tls = true;
		else if (tls_from_env(s == SCHEME_HTTPS, &d->tlsopt, &d->tls, err, errlen))
			return -1;
	} else if (s == SCHEME_HTTPS) {
		d->tls = true;
	}
	n = snprintf(d->base_url, sizeof d->base_url, "%s://%.*s%s", d->tls ? "https" : "http", (int)len, hp,
	             has_port ? "" : d->tls ? ":" TLS_PORT : ":" PLAIN_PORT);
	if (n < 0 || (size_t)n >= sizeof d->base_url)
		return -1;
	n = snprintf(d->endpoint, sizeof d->endpoint, "tcp://%s", strstr(d->base_url, "://") + 3);
	if (n < 0 || (size_t)n >= sizeof d->endpoint)
		return -1;
	if (!check_only && d->tls && tls_check_files(d->endpoint, &d->tlsopt, err, errlen))
		return -1;
	return 0;
}

int docker_host_check(const char *host_url, char *err, size_t errlen)
{
	struct docker *d = calloc(1, sizeof *d);
	if (!d) {
		seterr(err, errlen, "out of memory");
		return -1;
	}
	if (err && errlen)
		err[0] = '\0';
	int rc = set_endpoint(d, host_url, true, err, errlen);
	if (rc && err && errlen && !err[0])
		seterr(err, errlen, "engine address too long");
	free(d);
	return rc;
}

struct docker *docker_new(const char *host_url, char *err, size_t errlen)
{
	char buf[sizeof(((struct docker *)0)->endpoint)];
	const char *url = host_url && *host_url ? host_url : default_host(buf, sizeof buf);
	if (err && errlen)
		err[0] = '\0';
	struct docker *d = calloc(1, sizeof *d);
	if (!d) {
		seterr(err, errlen, "out of memory");
		return NULL;
	}
	if (set_endpoint(d, url, false, err, errlen)) {
		if (err && errlen && !err[0])
			seterr(err, errlen, "engine address \"%s\" is too long", url);
		free(d);
		return NULL;
	}
	d->curl = curl_easy_init();
	if (!d->curl) {
		seterr(err, errlen, "cannot initialise libcurl");
		free(d);
		return NULL;
	}
	return d;
}

void docker_free(struct docker *d)
{
	if (!d)
		return;
	curl_easy_cleanup(d->curl);
	free(d);
}

const char *docker_endpoint(const struct docker *d)
{
	return d->endpoint;
}

bool docker_uses_tls(const struct docker *d)
{
	return d->tls;
}

bool docker_oneshot_stats(const struct docker *d)
{
	return d->oneshot;
}

/* ---- transport --------------------------------------------------------------------------------------- */

static int setup_url(const struct docker *d, CURL *easy, const char *path, bool versioned, char *err,
                     size_t errlen)
{
	char url[2048];
	int n = snprintf(url, sizeof url, "%s%s%s", d->base_url, versioned ? d->api_prefix : "", path);
	if (n < 0 || (size_t)n >= sizeof url) {
		seterr(err, errlen, "request path too long");
		return -1;
	}
	CURLcode rc = curl_easy_setopt(easy, CURLOPT_URL, url);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(easy, CURLOPT_UNIX_SOCKET_PATH, d->sock_path[0] ? d->sock_path : NULL);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, CONNECT_TIMEOUT_MS);
	/* Several threads use curl; signals for DNS timeouts would hit a random one. */
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
	/* One protocol per engine: a TLS engine is never spoken to in clear, even by a redirect or a typo. */
#if LIBCURL_VERSION_NUM >= 0x075500
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, d->tls ? "https" : "http");
#else
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(easy, CURLOPT_PROTOCOLS, d->tls ? (long)CURLPROTO_HTTPS : (long)CURLPROTO_HTTP);
#endif
	if (rc == CURLE_OK && d->tls) {
		const struct docker_tls *t = &d->tlsopt;
		rc = curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, t->verify ? 1L : 0L);
		if (rc == CURLE_OK)
			rc = curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, t->verify ? 2L : 0L);
		/* A CA given is the only one trusted, as the docker CLI does; none given: the system's. */
		if (rc == CURLE_OK && t->ca_file[0])
			rc = curl_easy_setopt(easy, CURLOPT_CAINFO, t->ca_file);
		if (rc == CURLE_OK && t->ca_file[0])
			rc = curl_easy_setopt(easy, CURLOPT_CAPATH, NULL);
		if (rc == CURLE_OK && t->cert_file[0])
			rc = curl_easy_setopt(easy, CURLOPT_SSLCERT, t->cert_file);
		if (rc == CURLE_OK && t->key_file[0])
			rc = curl_easy_setopt(easy, CURLOPT_SSLKEY, t->key_file);
	}
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(easy, CURLOPT_USERAGENT, "lookout");
	if (rc == CURLE_OK && !d->sock_path[0])
		rc = curl_easy_setopt(easy, CURLOPT_TCP_KEEPALIVE, 1L);
	if (rc != CURLE_OK) {
		seterr(err, errlen, "cannot set up a request to %s: %s", d->endpoint, curl_easy_strerror(rc));
		return -1;
	}
	return 0;
}

int docker_easy_setup(const struct docker *d, void *easy, const char *path, char *err, size_t errlen)
{
	return setup_url(d, easy, path, true, err, errlen);
}

struct body {
	struct buf b;
	size_t max;
	bool too_big, oom;
};

static size_t body_write(char *p, size_t size, size_t nmemb, void *arg)
{
	struct body *bd = arg;
	size_t n = size * nmemb;
	if (n > bd->max - bd->b.len) {
		bd->too_big = true;
		return 0; /* makes curl stop with CURLE_WRITE_ERROR */
	}
	if (buf_append(&bd->b, p, n)) {
		bd->oom = true;
		return 0;
	}
	return n;
}

/* TLS failures in words a person can act on; false when rc is not about TLS. Only paths are named: curl's
 * own text (detail) never holds a key's contents. */
static bool tls_error(const char *endpoint, const struct docker_tls *t, CURLcode rc, const char *detail,
                      char *err, size_t errlen)
{
	const char *from = t->origin[0] ? t->origin : "the TLS settings";
	switch (rc) {
	case CURLE_PEER_FAILED_VERIFICATION:
		if (t->ca_file[0])
			seterr(err, errlen, "the Docker engine at %s presented a certificate that the CA %s did not sign "
			       "(or not for this address): %s (is that the CA of this engine? from %s)", endpoint,
			       t->ca_file, detail, from);
		else
			seterr(err, errlen, "the Docker engine at %s presented a certificate the system does not trust: "
			       "%s (give its CA as ca.pem; from %s)", endpoint, detail, from);
		return true;
	case CURLE_SSL_CACERT_BADFILE:
		seterr(err, errlen, "TLS for the Docker engine at %s: the CA certificate %s is not a PEM certificate "
		       "(%s; from %s)", endpoint, t->ca_file, detail, from);
		return true;
	case CURLE_SSL_CERTPROBLEM:
		seterr(err, errlen, "TLS for the Docker engine at %s: the client certificate %s or its key %s cannot be "
		       "used (%s; from %s)", endpoint, t->cert_file, t->key_file, detail, from);
		return true;
	default:
		break;
	}
	/* The engine ends the handshake (TLS 1.2) or the first read (TLS 1.3) when it wants a certificate. */
	if (rc == CURLE_SSL_CONNECT_ERROR || rc == CURLE_RECV_ERROR || rc == CURLE_SEND_ERROR ||
	    rc == CURLE_GOT_NOTHING) {
		if (strstr(detail, "certificate required") || strstr(detail, "handshake failure") ||
		    strstr(detail, "bad certificate") || strstr(detail, "unknown ca")) {
			if (t->cert_file[0])
				seterr(err, errlen, "the Docker engine at %s refused our client certificate %s (%s): is it "
				       "signed by the CA the engine trusts? (from %s)", endpoint, t->cert_file, detail, from);
			else
				seterr(err, errlen, "the Docker engine at %s requires a client certificate and none was given "
				       "(%s): put cert.pem and key.pem beside ca.pem (from %s)", endpoint, detail, from);
			return true;
		}
		if (rc == CURLE_SSL_CONNECT_ERROR) {
			seterr(err, errlen, "TLS handshake with the Docker engine at %s failed: %s (does it speak TLS on "
			       "this port?)", endpoint, detail);
			return true;
		}
	}
	return false;
}

/* A message for a failed transfer that tells a person what to check. */
static void transport_error(const char *endpoint, const struct docker_tls *tls, CURL *easy, CURLcode rc,
                            const char *errbuf, bool too_big, bool oom, char *err, size_t errlen)
{
	const char *detail = errbuf && errbuf[0] ? errbuf : curl_easy_strerror(rc);
	if (too_big) {
		seterr(err, errlen, "the Docker engine at %s sent an answer larger than %zu MiB; refusing it", endpoint,
		       BODY_MAX >> 20);
		return;
	}
	if (oom) {
		seterr(err, errlen, "out of memory reading the answer of the Docker engine at %s", endpoint);
		return;
	}
	if (rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST) {
		long os_errno = 0;
		curl_easy_getinfo(easy, CURLINFO_OS_ERRNO, &os_errno);
		const char *why = os_errno ? strerror((int)os_errno) : detail;
		const char *hint = os_errno == EACCES
		                           ? "is this user allowed to use the socket, e.g. a member of the docker group?"
		                           : "is dockerd running? set DOCKER_HOST or --host";
		seterr(err, errlen, "cannot connect to the Docker engine at %s: %s (%s)", endpoint, why, hint);
		return;
	}
	if (rc == CURLE_OPERATION_TIMEDOUT) {
		seterr(err, errlen, "the Docker engine at %s did not answer in time (%s)", endpoint, detail);
		return;
	}
	if (tls && tls_error(endpoint, tls, rc, detail, err, errlen))
		return;
	seterr(err, errlen, "request to the Docker engine at %s failed: %s", endpoint, detail);
}

/* The engine's own words for an HTTP error ({"message": "..."}), or the status line. */
static void http_error(const char *endpoint, long status, const char *body, size_t len, const char *what,
                       char *err, size_t errlen)
{
	const char *msg = NULL;
	cJSON *root = body && len ? cJSON_ParseWithLength(body, len) : NULL;
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(root, "message");
	if (cJSON_IsString(m) && m->valuestring[0])
		msg = m->valuestring;
	/* The engine's words end up on terminals (check, stderr) and in logs: no escape sequences. */
	if (!msg && status == 400 && body && memmem(body, len, "HTTP request to an HTTPS server", 31)) {
		seterr(err, errlen, "the Docker engine at %s speaks TLS: set DOCKER_TLS_VERIFY=1 and DOCKER_CERT_PATH "
		       "(the directory of ca.pem, cert.pem and key.pem), or use --context", endpoint);
		cJSON_Delete(root);
		return;
	}
	struct buf shown;
	buf_init(&shown);
	if (msg)
		buf_term_safe(&shown, msg, 300);
	seterr(err, errlen, "the Docker engine at %s refused %s: HTTP %ld%s%s", endpoint, what, status,
	       msg ? ": " : "", shown.data ? shown.data : "");
	buf_free(&shown);
	cJSON_Delete(root);
}

/* GET path within timeout_ms; 0 with the body in *out (NUL-terminated) and the HTTP status in *status, or -1. */
static int request_within(struct docker *d, const char *path, bool versioned, long timeout_ms, struct buf *out,
                          long *status, char *err, size_t errlen)
{
	struct body bd = {.max = BODY_MAX};
	char errbuf[CURL_ERROR_SIZE] = "";
	buf_init(&bd.b);
	if (setup_url(d, d->curl, path, versioned, err, errlen))
		return -1;
	CURLcode rc = curl_easy_setopt(d->curl, CURLOPT_HTTPGET, 1L);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(d->curl, CURLOPT_WRITEFUNCTION, body_write);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(d->curl, CURLOPT_WRITEDATA, &bd);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(d->curl, CURLOPT_TIMEOUT_MS, timeout_ms);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(d->curl, CURLOPT_ERRORBUFFER, errbuf);
	if (rc == CURLE_OK)
		rc = curl_easy_perform(d->curl);
	/* errbuf lives on this stack frame only. */
	curl_easy_setopt(d->curl, CURLOPT_ERRORBUFFER, NULL);
	if (rc != CURLE_OK) {
		transport_error(d->endpoint, d->tls ? &d->tlsopt : NULL, d->curl, rc, errbuf, bd.too_big, bd.oom, err,
		                errlen);
		buf_free(&bd.b);
		return -1;
	}
	if (!bd.b.data && buf_append(&bd.b, "", 0)) {
		seterr(err, errlen, "out of memory");
		return -1;
	}
	*status = 0;
	curl_easy_getinfo(d->curl, CURLINFO_RESPONSE_CODE, status);
	*out = bd.b;
	return 0;
}

static int request(struct docker *d, const char *path, bool versioned, struct buf *out, long *status,
                   char *err, size_t errlen)
{
	return request_within(d, path, versioned, REQUEST_TIMEOUT_MS, out, status, err, errlen);
}

/* Ids and names go into the URL path; anything but Docker's name characters could change the request. */
static bool id_ok(const char *id)
{
	size_t n = id ? strlen(id) : 0;
	if (n == 0 || n > 255)
		return false;
	return strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == n;
}

/* ---- JSON helpers: every field may be missing, null or of another type ---------------------------------- */

static const cJSON *get(const cJSON *o, const char *key)
{
	return cJSON_IsObject(o) ? cJSON_GetObjectItemCaseSensitive(o, key) : NULL;
}

static const char *get_str(const cJSON *o, const char *key)
{
	const cJSON *v = get(o, key);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Counters are JSON numbers, held by cJSON as doubles: exact below 2^53, and above that off by far less than
 * any delta we take. Values outside the target type are treated as missing, never cast (undefined). */
static bool get_u64(const cJSON *o, const char *key, uint64_t *out)
{
	const cJSON *v = get(o, key);
	if (!cJSON_IsNumber(v) || !(v->valuedouble >= 0) || !(v->valuedouble < 18446744073709551616.0))
		return false;
	*out = (uint64_t)v->valuedouble;
	return true;
}

static bool get_i64(const cJSON *o, const char *key, int64_t *out)
{
	const cJSON *v = get(o, key);
	if (!cJSON_IsNumber(v) || !(v->valuedouble >= -9223372036854775808.0) ||
	    !(v->valuedouble < 9223372036854775808.0))
		return false;
	*out = (int64_t)v->valuedouble;
	return true;
}

static bool get_int(const cJSON *o, const char *key, int *out)
{
	int64_t v;
	if (!get_i64(o, key, &v) || v < INT_MIN || v > INT_MAX)
		return false;
	*out = (int)v;
	return true;
}

static bool get_bool(const cJSON *o, const char *key)
{
	return cJSON_IsTrue(get(o, key));
}

/* Engine text into a fixed field: longer values are cut (these fields are for display), never overflowed. */
static void copy_str(char *dst, size_t len, const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n >= len)
		n = len - 1;
	if (n)
		memcpy(dst, s, n);
	dst[n] = '\0';
}

/* A full container id is 64 hex digits; anything else is not copied (a cut id would name nothing). */
static void copy_id(char out[65], const char *s)
{
	out[0] = '\0';
	if (s && strlen(s) <= 64)
		copy_str(out, 65, s);
}

/* Parses an engine answer that must be a JSON object (or, with want_array, an array). NULL with a message
 * naming what was expected when it is empty, not JSON, or of another shape. */
static cJSON *parse_doc(const char *json, size_t len, const char *what, bool want_array, char *err,
                        size_t errlen)
{
	if (!json || len == 0) {
		seterr(err, errlen, "the Docker engine sent an empty %s answer", what);
		return NULL;
	}
	cJSON *root = cJSON_ParseWithLength(json, len);
	if (!root) {
		seterr(err, errlen, "the Docker engine's %s answer is not valid JSON", what);
		return NULL;
	}
	if (want_array ? !cJSON_IsArray(root) : !cJSON_IsObject(root)) {
		seterr(err, errlen, "the Docker engine's %s answer is not a JSON %s", what, want_array ? "array" : "object");
		cJSON_Delete(root);
		return NULL;
	}
	return root;
}

static int parse_labels(const cJSON *obj, struct label **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	size_t count = 0;
	const cJSON *it;
	if (!cJSON_IsObject(obj))
		return 0;
	cJSON_ArrayForEach(it, obj)
		if (it->string && cJSON_IsString(it))
			count++;
	if (!count)
		return 0;
	struct label *l = calloc(count, sizeof *l);
	if (!l)
		return -1;
	size_t i = 0;
	cJSON_ArrayForEach(it, obj) {
		if (!it->string || !cJSON_IsString(it))
			continue;
		l[i].key = strdup(it->string);
		l[i].value = strdup(it->valuestring);
		i++;
		if (!l[i - 1].key || !l[i - 1].value)
			break;
	}
	*out = l;
	*n = i;
	return l[i - 1].key && l[i - 1].value ? 0 : -1;
}

static char *strip_slash_dup(const char *s, bool *oom)
{
	if (!s)
		return NULL;
	char *r = strdup(s[0] == '/' ? s + 1 : s);
	if (!r)
		*oom = true;
	return r;
}

/* ---- version ----------------------------------------------------------------------------------------- */

static int api_parse(const char *s, int *major, int *minor)
{
	int64_t maj, min;
	char a[16], b[16];
	const char *dot = s ? strchr(s, '.') : NULL;
	if (!dot || (size_t)(dot - s) >= sizeof a || strlen(dot + 1) >= sizeof b)
		return -1;
	memcpy(a, s, (size_t)(dot - s));
	a[dot - s] = '\0';
	copy_str(b, sizeof b, dot + 1);
	if (parse_int64(a, &maj) || parse_int64(b, &min) || maj < 0 || maj > 1000 || min < 0 || min > 1000)
		return -1;
	*major = (int)maj;
	*minor = (int)min;
	return 0;
}

static bool api_at_least(const char *api, int major, int minor)
{
	int ma, mi;
	if (api_parse(api, &ma, &mi))
		return false;
	return ma > major || (ma == major && mi >= minor);
}

int docker_parse_version(const char *json, size_t len, struct docker_version *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof *out);
	cJSON *root = parse_doc(json, len, "version", false, err, errlen);
	if (!root)
		return -1;
	const char *version = get_str(root, "Version"), *api = get_str(root, "ApiVersion"), *os = get_str(root, "Os");
	/* Some engines only fill the component list ("Engine" for Docker, "Podman Engine" for Podman). */
	const cJSON *comps = get(root, "Components"), *c;
	if (cJSON_IsArray(comps)) {
		cJSON_ArrayForEach(c, comps) {
			const char *name = get_str(c, "Name");
			if (!name || !strstr(name, "Engine"))
				continue;
			const cJSON *det = get(c, "Details");
			if (!version)
				version = get_str(c, "Version");
			if (!api)
				api = get_str(det, "ApiVersion");
			if (!os)
				os = get_str(det, "Os");
			break;
		}
	}
	copy_str(out->version, sizeof out->version, version);
	copy_str(out->api_version, sizeof out->api_version, api);
	copy_str(out->os, sizeof out->os, os);
	out->oneshot_stats = api_at_least(out->api_version, API_OURS_MAJOR, API_ONESHOT_MINOR);
	cJSON_Delete(root);
	return 0;
}

int docker_negotiate(struct docker *d, struct docker_version *out, char *err, size_t errlen)
{
	struct buf body;
	long status;
	/* Unversioned: an old engine rejects a version newer than its own before saying what it speaks. */
	if (request(d, "/version", false, &body, &status, err, errlen))
		return -1;
	if (status != 200) {
		http_error(d->endpoint, status, body.data, body.len, "GET /version", err, errlen);
		buf_free(&body);
		return -1;
	}
	int rc = docker_parse_version(body.data, body.len, out, err, errlen);
	buf_free(&body);
	if (rc)
		return -1;
	int ma, mi;
	d->api_prefix[0] = '\0';
	if (api_parse(out->api_version, &ma, &mi) == 0) {
		if (ma > API_OURS_MAJOR || (ma == API_OURS_MAJOR && mi > API_OURS_MINOR)) {
			ma = API_OURS_MAJOR;
			mi = API_OURS_MINOR;
		}
		int n = snprintf(d->api_prefix, sizeof d->api_prefix, "/v%d.%d", ma, mi);
		if (n < 0 || (size_t)n >= sizeof d->api_prefix)
			d->api_prefix[0] = '\0';
	}
	/* Without a usable ApiVersion the requests stay unversioned: the engine then answers in its own. */
	d->oneshot = out->oneshot_stats;

	/* The host name is a nicety for the CSV and the screen; an engine that hides /info is still usable. */
	if (request(d, "/info", true, &body, &status, NULL, 0) == 0) {
		if (status == 200) {
			cJSON *root = cJSON_ParseWithLength(body.data, body.len);
			copy_str(out->hostname, sizeof out->hostname, get_str(root, "Name"));
			cJSON_Delete(root);
		}
		buf_free(&body);
	}
	return 0;
}

/* GET /_ping, on a new connection when fresh (else on the kept-alive one, if any). */
static int ping(struct docker *d, bool fresh, char *err, size_t errlen)
{
	struct buf body;
	long status;
	if (fresh) {
		curl_easy_setopt(d->curl, CURLOPT_FRESH_CONNECT, 1L);
		curl_easy_setopt(d->curl, CURLOPT_FORBID_REUSE, 1L);
	}
	int rc = request_within(d, "/_ping", false, PING_TIMEOUT_MS, &body, &status, err, errlen);
	if (fresh) {
		curl_easy_setopt(d->curl, CURLOPT_FRESH_CONNECT, 0L);
		curl_easy_setopt(d->curl, CURLOPT_FORBID_REUSE, 0L);
	}
	if (rc)
		return -1;
	buf_free(&body);
	if (status != 200) {
		seterr(err, errlen, "%s: GET /_ping answered HTTP %ld", d->endpoint, status);
		return -1;
	}
	return 0;
}

/* A new connection: a connection kept alive from before may still be served by an engine that stopped
 * listening (shutting down), which is exactly what this check is for. */
int docker_ping(struct docker *d, char *err, size_t errlen)
{
	return ping(d, true, err, errlen);
}

/* About a quarter of what a new connection costs dockerd (measured at N = 300: 60 pings, 10-20 ms of its
 * CPU against 60-70 ms). */
int docker_ping_kept(struct docker *d, char *err, size_t errlen)
{
	return ping(d, false, err, errlen);
}

/* ---- containers -------------------------------------------------------------------------------------- */

int docker_parse_list(const char *json, size_t len, struct container_info **out, size_t *n, char *err,
                      size_t errlen)
{
	*out = NULL;
	*n = 0;
	cJSON *root = parse_doc(json, len, "container list", true, err, errlen);
	if (!root)
		return -1;
	int count = cJSON_GetArraySize(root);
	struct container_info *list = calloc(count > 0 ? (size_t)count : 1, sizeof *list);
	if (!list) {
		cJSON_Delete(root);
		seterr(err, errlen, "out of memory");
		return -1;
	}
	size_t k = 0;
	bool oom = false;
	const cJSON *it;
	cJSON_ArrayForEach(it, root) {
		struct container_info *c = &list[k];
		copy_id(c->id, get_str(it, "Id"));
		if (!c->id[0])
			continue; /* an entry that names no container is of no use to anyone */
		const cJSON *names = get(it, "Names");
		const cJSON *first = cJSON_IsArray(names) ? cJSON_GetArrayItem(names, 0) : NULL;
		c->name = strip_slash_dup(cJSON_IsString(first) ? first->valuestring : NULL, &oom);
		c->image = xstrdup(get_str(it, "Image"));
		if (get_str(it, "Image") && !c->image)
			oom = true;
		c->state = container_state_parse(get_str(it, "State"));
		c->exit_code = 0;
		if (parse_labels(get(it, "Labels"), &c->labels, &c->nlabels))
			oom = true;
		k++;
		if (oom)
			break;
	}
	cJSON_Delete(root);
	if (oom) {
		for (size_t i = 0; i < k; i++)
			container_info_free(&list[i]);
		free(list);
		seterr(err, errlen, "out of memory");
		return -1;
	}
	*out = list;
	*n = k;
	return 0;
}

int docker_list(struct docker *d, bool all, struct container_info **out, size_t *n, char *err, size_t errlen)
{
	struct buf body;
	long status;
	*out = NULL;
	*n = 0;
	if (request(d, all ? "/containers/json?all=1" : "/containers/json", true, &body, &status, err, errlen))
		return -1;
	if (status != 200) {
		http_error(d->endpoint, status, body.data, body.len, "the container list", err, errlen);
		buf_free(&body);
		return -1;
	}
	int rc = docker_parse_list(body.data, body.len, out, n, err, errlen);
	buf_free(&body);
	return rc;
}

static int64_t time_ms(const char *s)
{
	int64_t ms = 0;
	if (!s || parse_rfc3339_ms(s, &ms))
		return 0;
	return ms;
}

int docker_parse_inspect(const char *json, size_t len, struct container_info *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof *out);
	cJSON *root = parse_doc(json, len, "container inspect", false, err, errlen);
	if (!root)
		return -1;
	bool oom = false;
	const cJSON *config = get(root, "Config"), *state = get(root, "State"), *hc = get(root, "HostConfig");
	copy_id(out->id, get_str(root, "Id"));
	out->name = strip_slash_dup(get_str(root, "Name"), &oom);
	const char *image = get_str(config, "Image");
	if (!image)
		image = get_str(root, "Image");
	out->image = xstrdup(image);
	if (image && !out->image)
		oom = true;
	if (parse_labels(get(config, "Labels"), &out->labels, &out->nlabels))
		oom = true;

	out->state = container_state_parse(get_str(state, "Status"));
	if (out->state == CSTATE_UNKNOWN && cJSON_IsObject(state)) {
		/* Old engines have only the booleans. */
		if (get_bool(state, "Restarting"))
			out->state = CSTATE_RESTARTING;
		else if (get_bool(state, "Paused"))
			out->state = CSTATE_PAUSED;
		else if (get_bool(state, "Running"))
			out->state = CSTATE_RUNNING;
		else if (get_str(state, "FinishedAt") && time_ms(get_str(state, "FinishedAt")) > 0)
			out->state = CSTATE_EXITED;
	}
	out->oom_killed = get_bool(state, "OOMKilled");
	if (!get_int(state, "Pid", &out->pid) || out->pid < 0)
		out->pid = 0;
	if (!get_int(state, "ExitCode", &out->exit_code))
		out->exit_code = 0;
	out->started_at_ms = time_ms(get_str(state, "StartedAt"));
	out->finished_at_ms = time_ms(get_str(state, "FinishedAt"));
	out->health = container_health_parse(get_str(get(state, "Health"), "Status"));
	const cJSON *hlog = get(get(state, "Health"), "Log");
	if (cJSON_IsArray(hlog) && cJSON_GetArraySize(hlog) > 0) {
		/* The newest run is last; its output says why a check fails (untrusted: escaped by every writer). */
		const char *o = get_str(cJSON_GetArrayItem(hlog, cJSON_GetArraySize(hlog) - 1), "Output");
		if (o && !(out->health_output = strndup(o, 4096)))
			oom = true;
	}
	if (!get_int(root, "RestartCount", &out->restart_count) || out->restart_count < 0)
		out->restart_count = 0;

	get_i64(hc, "NanoCpus", &out->nano_cpus);
	get_i64(hc, "CpuQuota", &out->cpu_quota_us);
	get_i64(hc, "CpuPeriod", &out->cpu_period_us);
	get_i64(hc, "Memory", &out->mem_limit_bytes);
	/* Empty strings mean "not set" to the engine; keep them NULL so callers test one thing. */
	const char *cpuset = get_str(hc, "CpusetCpus"), *parent = get_str(hc, "CgroupParent");
	if (cpuset && *cpuset && !(out->cpuset_cpus = strdup(cpuset)))
		oom = true;
	if (parent && *parent && !(out->cgroup_parent = strdup(parent)))
		oom = true;
	cJSON_Delete(root);
	if (oom) {
		container_info_free(out);
		seterr(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

static void not_found_or_http(const struct docker *d, const char *id, long status, const struct buf *body,
                              const char *what, char *err, size_t errlen)
{
	if (status == 404)
		seterr(err, errlen, "no such container: %s", id);
	else
		http_error(d->endpoint, status, body->data, body->len, what, err, errlen);
}

int docker_inspect(struct docker *d, const char *id, struct container_info *out, char *err, size_t errlen)
{
	char path[300];
	struct buf body;
	long status;
	memset(out, 0, sizeof *out);
	if (!id_ok(id)) {
		seterr(err, errlen, "\"%s\" is not a container id or name", id ? id : "");
		return -1;
	}
	int n = snprintf(path, sizeof path, "/containers/%s/json", id);
	if (n < 0 || (size_t)n >= sizeof path) {
		seterr(err, errlen, "container id too long");
		return -1;
	}
	if (request(d, path, true, &body, &status, err, errlen))
		return -1;
	if (status != 200) {
		not_found_or_http(d, id, status, &body, "the container inspect", err, errlen);
		buf_free(&body);
		return status == 404 ? DOCKER_NO_SUCH_CONTAINER : -1;
	}
	int rc = docker_parse_inspect(body.data, body.len, out, err, errlen);
	buf_free(&body);
	return rc;
}

/* ---- stats ------------------------------------------------------------------------------------------- */

int docker_parse_stats(const char *json, size_t len, struct sample *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof *out);
	cJSON *root = parse_doc(json, len, "stats", false, err, errlen);
	if (!root)
		return -1;
	const char *read = get_str(root, "read");
	out->wall_ms = time_ms(read);
	if (read && out->wall_ms == 0 && strncmp(read, "0001-", 5) == 0) {
		/* Go's zero time: the engine read nothing (container not running); its zeros are not readings. */
		cJSON_Delete(root);
		return 0;
	}

	const cJSON *cpu = get(root, "cpu_stats");
	if (get_u64(get(cpu, "cpu_usage"), "total_usage", &out->cpu_usage_ns))
		out->have |= SAMPLE_CPU;
	if (get_u64(cpu, "system_cpu_usage", &out->system_cpu_ns)) {
		out->have |= SAMPLE_SYSTEM_CPU;
		uint64_t online = 0;
		if (!get_u64(cpu, "online_cpus", &online) || online == 0 || online > UINT32_MAX) {
			/* Older engines and Podman: count the per-CPU list, as the docker CLI does. */
			const cJSON *per = get(get(cpu, "cpu_usage"), "percpu_usage");
			online = cJSON_IsArray(per) ? (uint64_t)cJSON_GetArraySize(per) : 0;
		}
		out->online_cpus = (uint32_t)online;
	}
	const cJSON *thr = get(cpu, "throttling_data");
	if (get_u64(thr, "throttled_periods", &out->throttled_periods) &&
	    get_u64(thr, "throttled_time", &out->throttled_ns))
		out->have |= SAMPLE_THROTTLE;

	const cJSON *mem = get(root, "memory_stats"), *mstats = get(mem, "stats");
	if (get_u64(mem, "usage", &out->mem_usage_bytes)) {
		out->have |= SAMPLE_MEM;
		/* cgroup v1 has both; the hierarchical total is what docker stats subtracts there. */
		if (!get_u64(mstats, "total_inactive_file", &out->mem_inactive_file_bytes))
			get_u64(mstats, "inactive_file", &out->mem_inactive_file_bytes);
	}
	if (get_u64(mem, "limit", &out->mem_limit_bytes))
		out->have |= SAMPLE_MEM_LIMIT;

	if (get_u64(get(root, "pids_stats"), "current", &out->pids))
		out->have |= SAMPLE_PIDS;

	const cJSON *io = get(get(root, "blkio_stats"), "io_service_bytes_recursive"), *e;
	if (cJSON_IsArray(io)) {
		out->have |= SAMPLE_BLKIO;
		cJSON_ArrayForEach(e, io) {
			const char *op = get_str(e, "op");
			uint64_t v;
			if (!op || !get_u64(e, "value", &v))
				continue;
			/* cgroup v1 says "Read", v2 "read"; "Total" and the rest would double-count. */
			if (strcasecmp(op, "read") == 0)
				out->blk_read_bytes += v;
			else if (strcasecmp(op, "write") == 0)
				out->blk_write_bytes += v;
		}
	}

	const cJSON *nets = get(root, "networks"), *ifc;
	if (cJSON_IsObject(nets)) {
		out->have |= SAMPLE_NET;
		cJSON_ArrayForEach(ifc, nets) {
			uint64_t v;
			if (ifc->string && strcmp(ifc->string, "lo") == 0)
				continue;
			if (get_u64(ifc, "rx_bytes", &v))
				out->net_rx_bytes += v;
			if (get_u64(ifc, "tx_bytes", &v))
				out->net_tx_bytes += v;
		}
	}
	cJSON_Delete(root);
	return 0;
}

int docker_stats_once(struct docker *d, const char *id, struct sample *out, char *err, size_t errlen)
{
	char path[320];
	struct buf body;
	long status;
	memset(out, 0, sizeof *out);
	if (!id_ok(id)) {
		seterr(err, errlen, "\"%s\" is not a container id or name", id ? id : "");
		return -1;
	}
	int n = snprintf(path, sizeof path, "/containers/%s/stats?stream=false%s", id,
	                 d->oneshot ? "&one-shot=true" : "");
	if (n < 0 || (size_t)n >= sizeof path) {
		seterr(err, errlen, "container id too long");
		return -1;
	}
	if (request(d, path, true, &body, &status, err, errlen))
		return -1;
	int64_t arrived = now_mono_ns();
	if (status != 200) {
		not_found_or_http(d, id, status, &body, "the stats request", err, errlen);
		buf_free(&body);
		return -1;
	}
	int rc = docker_parse_stats(body.data, body.len, out, err, errlen);
	buf_free(&body);
	if (rc == 0)
		out->mono_ns = arrived;
	return rc;
}

/* ---- events ------------------------------------------------------------------------------------------ */

static const struct {
	const char *name;
	enum docker_event_action action;
} event_names[] = {
	{"create", DEV_CREATE}, {"start", DEV_START},     {"die", DEV_DIE},         {"died", DEV_DIE},
	{"stop", DEV_STOP},     {"kill", DEV_KILL},       {"oom", DEV_OOM},         {"destroy", DEV_DESTROY},
	{"remove", DEV_DESTROY}, {"rename", DEV_RENAME},  {"pause", DEV_PAUSE},     {"unpause", DEV_UNPAUSE},
	{"restart", DEV_RESTART}, {"update", DEV_UPDATE},
};

/* timeNano (~1.8e18) is beyond a double's 53 bits, and it is reused as the "since" of a reopened stream, so
 * the digits are read from the text: the occurrence of the key whose value is within rounding of what cJSON
 * read (a label could be named timeNano too). Falls back to the rounded value. */
static int64_t exact_integer(const char *json, size_t len, const char *quoted_key, int64_t approx)
{
	size_t klen = strlen(quoted_key);
	for (size_t i = 0; i + klen < len; i++) {
		if (memcmp(json + i, quoted_key, klen) != 0)
			continue;
		size_t j = i + klen;
		while (j < len && (json[j] == ' ' || json[j] == '\t' || json[j] == '\n' || json[j] == '\r'))
			j++;
		if (j >= len || json[j++] != ':')
			continue;
		while (j < len && (json[j] == ' ' || json[j] == '\t' || json[j] == '\n' || json[j] == '\r'))
			j++;
		int64_t v = 0;
		size_t digits = 0;
		while (j < len && json[j] >= '0' && json[j] <= '9' && digits < 18) {
			v = v * 10 + (json[j++] - '0');
			digits++;
		}
		if (j < len && json[j] >= '0' && json[j] <= '9' && v <= (INT64_MAX - 9) / 10) {
			v = v * 10 + (json[j++] - '0'); /* the 19th digit, checked against overflow */
			digits++;
		}
		if (digits && (j >= len || json[j] < '0' || json[j] > '9') && v - approx <= 4096 && approx - v <= 4096)
			return v;
	}
	return approx;
}

int docker_parse_event(const char *json, size_t len, struct docker_event *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof *out);
	out->exit_code = -1;
	cJSON *root = parse_doc(json, len, "event", false, err, errlen);
	if (!root)
		return -1;
	const cJSON *actor = get(root, "Actor"), *attrs = get(actor, "Attributes");
	const char *type = get_str(root, "Type");
	const char *action = get_str(root, "Action");
	if (!action)
		action = get_str(root, "status"); /* engines before API 1.22 */
	const char *id = get_str(actor, "ID");
	copy_id(out->id, id ? id : get_str(root, "id"));
	copy_str(out->name, sizeof out->name, get_str(attrs, "name"));

	int64_t tn = 0, t = 0;
	if (get_i64(root, "timeNano", &tn) && tn > 0)
		out->time_ns = exact_integer(json, len, "\"timeNano\"", tn);
	else if (get_i64(root, "time", &t) && t > 0 && t < INT64_MAX / 1000000000)
		out->time_ns = t * 1000000000;

	if (action && (!type || strcmp(type, "container") == 0)) {
		for (size_t i = 0; i < ARRAY_LEN(event_names); i++)
			if (strcmp(action, event_names[i].name) == 0)
				out->action = event_names[i].action;
		if (strncmp(action, "health_status", 13) == 0 && (action[13] == ':' || action[13] == '\0')) {
			/* Docker: "health_status: healthy"; Podman: "health_status" with the status as an attribute. */
			const char *h = action[13] == ':' ? action + 14 : get_str(attrs, "health_status");
			while (h && *h == ' ')
				h++;
			out->action = DEV_HEALTH;
			out->health = container_health_parse(h);
		}
	}
	const char *code = get_str(attrs, "exitCode");
	int64_t ec;
	if (out->action == DEV_DIE && code && parse_int64(code, &ec) == 0 && ec >= INT_MIN && ec <= INT_MAX)
		out->exit_code = (int)ec;
	cJSON_Delete(root);
	return 0;
}

struct docker_events {
	CURLM *multi;
	CURL *easy;
	char endpoint[sizeof(((struct docker *)0)->endpoint)];
	bool tls;
	struct docker_tls tlsopt; /* for messages */
	struct buf line;    /* the part of the stream after the last newline */
	struct buf errbody; /* the body of a non-2xx answer, for its message */
	docker_event_cb cb;
	void *arg;
	bool done, too_big, oom;
	CURLcode result;
	char errbuf[CURL_ERROR_SIZE];
};

static void events_line(struct docker_events *ev, const char *p, size_t n)
{
	struct docker_event e;
	while (n && (p[n - 1] == '\r' || p[n - 1] == ' '))
		n--;
	if (n == 0)
		return;
	/* A line we cannot read is skipped: one odd event must not end the stream. */
	if (docker_parse_event(p, n, &e, NULL, 0) == 0 && ev->cb)
		ev->cb(&e, ev->arg);
}

static size_t events_write(char *p, size_t size, size_t nmemb, void *arg)
{
	struct docker_events *ev = arg;
	size_t n = size * nmemb;
	long status = 0;
	curl_easy_getinfo(ev->easy, CURLINFO_RESPONSE_CODE, &status);
	if (status >= 300) {
		size_t room = EVENT_ERRBODY_MAX - ev->errbody.len;
		if (buf_append(&ev->errbody, p, n < room ? n : room))
			ev->oom = true;
		return ev->oom ? 0 : n;
	}
	/* Chunks need not end at a line; keep the tail until its newline arrives. */
	const char *s = p, *end = p + n;
	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		size_t part = (size_t)((nl ? nl : end) - s);
		if (ev->line.len + part > EVENT_LINE_MAX) {
			ev->too_big = true;
			return 0;
		}
		if (!nl && buf_append(&ev->line, s, part)) {
			ev->oom = true;
			return 0;
		}
		if (!nl)
			break;
		if (ev->line.len) {
			if (buf_append(&ev->line, s, part)) {
				ev->oom = true;
				return 0;
			}
			events_line(ev, ev->line.data, ev->line.len);
			buf_reset(&ev->line);
		} else {
			events_line(ev, s, part);
		}
		s = nl + 1;
	}
	return n;
}

struct docker_events *docker_events_open(struct docker *d, int64_t since_ns, char *err, size_t errlen)
{
	struct docker_events *ev = calloc(1, sizeof *ev);
	if (!ev) {
		seterr(err, errlen, "out of memory");
		return NULL;
	}
	buf_init(&ev->line);
	buf_init(&ev->errbody);
	copy_str(ev->endpoint, sizeof ev->endpoint, d->endpoint);
	ev->tls = d->tls;
	ev->tlsopt = d->tlsopt;
	ev->multi = curl_multi_init();
	ev->easy = curl_easy_init();
	if (!ev->multi || !ev->easy) {
		seterr(err, errlen, "cannot initialise libcurl");
		docker_events_close(ev);
		return NULL;
	}
	char *filters = curl_easy_escape(ev->easy, "{\"type\":[\"container\"]}", 0);
	char path[256], since[64] = "";
	int n = 0;
	if (since_ns > 0)
		n = snprintf(since, sizeof since, "since=%lld.%09lld&", (long long)(since_ns / 1000000000),
		             (long long)(since_ns % 1000000000));
	int m = filters ? snprintf(path, sizeof path, "/events?%sfilters=%s", since, filters) : -1;
	curl_free(filters);
	if (n < 0 || (size_t)n >= sizeof since || m < 0 || (size_t)m >= sizeof path) {
		seterr(err, errlen, "cannot build the events request");
		docker_events_close(ev);
		return NULL;
	}
	if (setup_url(d, ev->easy, path, true, err, errlen)) {
		docker_events_close(ev);
		return NULL;
	}
	CURLcode rc = curl_easy_setopt(ev->easy, CURLOPT_WRITEFUNCTION, events_write);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(ev->easy, CURLOPT_WRITEDATA, ev);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(ev->easy, CURLOPT_ERRORBUFFER, ev->errbuf);
	/* No overall timeout: the stream is meant to stay open for days, silent while nothing happens. */
	CURLMcode mc = rc == CURLE_OK ? curl_multi_add_handle(ev->multi, ev->easy) : CURLM_BAD_EASY_HANDLE;
	if (rc != CURLE_OK || mc != CURLM_OK) {
		seterr(err, errlen, "cannot start the events request: %s",
		       rc != CURLE_OK ? curl_easy_strerror(rc) : curl_multi_strerror(mc));
		docker_events_close(ev);
		return NULL;
	}
	return ev;
}

/* Collects a finished transfer; returns 0 (closed normally) or -1 with the reason. */
static int events_finish(struct docker_events *ev, char *err, size_t errlen)
{
	if (ev->result != CURLE_OK) {
		if (ev->too_big)
			seterr(err, errlen, "the Docker engine at %s sent an event longer than %zu KiB; reopening",
			       ev->endpoint, EVENT_LINE_MAX >> 10);
		else
			transport_error(ev->endpoint, ev->tls ? &ev->tlsopt : NULL, ev->easy, ev->result, ev->errbuf, false,
			                ev->oom, err, errlen);
		return -1;
	}
	long status = 0;
	curl_easy_getinfo(ev->easy, CURLINFO_RESPONSE_CODE, &status);
	if (status >= 300) {
		http_error(ev->endpoint, status, ev->errbody.data, ev->errbody.len, "the events stream", err, errlen);
		return -1;
	}
	if (ev->line.len) { /* a last event without its newline */
		events_line(ev, ev->line.data, ev->line.len);
		buf_reset(&ev->line);
	}
	return 0;
}

static bool events_collect(struct docker_events *ev)
{
	int left;
	CURLMsg *msg;
	while ((msg = curl_multi_info_read(ev->multi, &left))) {
		if (msg->msg == CURLMSG_DONE && msg->easy_handle == ev->easy) {
			ev->done = true;
			ev->result = msg->data.result;
		}
	}
	return ev->done;
}

int docker_events_poll(struct docker_events *ev, int timeout_ms, docker_event_cb cb, void *arg, char *err,
                       size_t errlen)
{
	int running;
	if (ev->done) {
		seterr(err, errlen, "the events stream of %s is closed", ev->endpoint);
		return -1;
	}
	ev->cb = cb;
	ev->arg = arg;
	CURLMcode mc = curl_multi_perform(ev->multi, &running);
	if (mc == CURLM_OK && !events_collect(ev)) {
		mc = curl_multi_poll(ev->multi, NULL, 0, timeout_ms > 0 ? timeout_ms : 0, NULL);
		if (mc == CURLM_OK)
			mc = curl_multi_perform(ev->multi, &running);
	}
	int rc = 1;
	if (mc != CURLM_OK) {
		seterr(err, errlen, "events stream of %s: %s", ev->endpoint, curl_multi_strerror(mc));
		rc = -1;
	} else if (events_collect(ev)) {
		rc = events_finish(ev, err, errlen);
	}
	ev->cb = NULL;
	ev->arg = NULL;
	return rc;
}

void docker_events_wakeup(struct docker_events *ev)
{
	if (ev && ev->multi)
		curl_multi_wakeup(ev->multi);
}

void docker_events_close(struct docker_events *ev)
{
	if (!ev)
		return;
	if (ev->multi && ev->easy)
		curl_multi_remove_handle(ev->multi, ev->easy);
	curl_easy_cleanup(ev->easy);
	curl_multi_cleanup(ev->multi);
	buf_free(&ev->line);
	buf_free(&ev->errbody);
	free(ev);
}
