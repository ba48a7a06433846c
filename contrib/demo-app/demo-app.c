/* demo-app.c — the web app of lookout's demo stack: something to monitor that can be made to burn CPU, hold
 * memory and keep PostgreSQL busy on request (/cpu, /memory, /db), with a /health that tells the truth about
 * its database. libmicrohttpd, one thread per connection; libpq with a small pool that reconnects by itself.
 * It is a test subject, not a product: no TLS, no auth, every expensive parameter bounded. */
#include <errno.h>
#include <libpq-fe.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "params.h"

#if MHD_VERSION < 0x00097002
typedef int MHD_Result_t;
#else
typedef enum MHD_Result MHD_Result_t;
#endif

#define CPU_MS_MAX 10000
#define DB_QUERIES_MAX 1000
#define MEM_MB_MAX 512
#define HOLD_S_MAX 600
#define POOL_SIZE 4
#define POOL_WAIT_MS 5000

static const char index_html[] =
	"<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>lookout demo app</title></head>\n"
	"<body><h1>lookout demo app</h1>\n<p>A web app for lookout to watch. Make it work:</p>\n<ul>\n"
	"<li><a href=\"/health\">/health</a> &mdash; 200 when the app and its database are fine, 503 and the reason "
	"otherwise</li>\n"
	"<li><a href=\"/cpu?ms=500\">/cpu?ms=N</a> &mdash; burn one core for N ms (1&ndash;10000)</li>\n"
	"<li><a href=\"/memory?mb=64&amp;hold=30\">/memory?mb=N&amp;hold=S</a> &mdash; allocate and touch N MiB "
	"(1&ndash;512), release it after S s (0&ndash;600)</li>\n"
	"<li><a href=\"/db?queries=20\">/db?queries=N</a> &mdash; run N insert+select pairs on PostgreSQL "
	"(1&ndash;1000)</li>\n</ul></body></html>\n";

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

__attribute__((format(printf, 1, 2))) static void say(const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	char ts[32];
	time_t t = time(NULL);
	struct tm tm;
	strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
	fprintf(stderr, "%s demo-app: %s\n", ts, line);
}

/* ---- the database pool --------------------------------------------------------------------------- */

static struct {
	bool configured;
	char *conninfo;
	pthread_mutex_t lock;
	pthread_cond_t freed;
	PGconn *conn[POOL_SIZE];
	bool busy[POOL_SIZE];
	bool was_down; /* for one log line per outage */
} db = {.lock = PTHREAD_MUTEX_INITIALIZER, .freed = PTHREAD_COND_INITIALIZER};

/* libpq's multi-line message as one line. */
static void one_line(const char *in, char *out, size_t len)
{
	size_t j = 0;
	for (const char *s = in ? in : ""; *s && j + 1 < len; s++) {
		if (*s == '\n' || *s == '\r' || *s == '\t') {
			while (s[1] == '\n' || s[1] == '\r' || s[1] == '\t' || s[1] == ' ')
				s++;
			if (s[1] && j + 2 < len) {
				out[j++] = ';';
				out[j++] = ' ';
			}
		} else
			out[j++] = *s;
	}
	out[j] = '\0';
}

/* A pool slot, connected; -1 with a reason when the database cannot be reached or every slot stays busy. */
static int db_acquire(char *why, size_t len)
{
	struct timespec dl;
	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += POOL_WAIT_MS / 1000;
	pthread_mutex_lock(&db.lock);
	int slot = -1;
	for (;;) {
		for (int i = 0; i < POOL_SIZE && slot < 0; i++)
			if (!db.busy[i])
				slot = i;
		if (slot >= 0)
			break;
		if (pthread_cond_timedwait(&db.freed, &db.lock, &dl) == ETIMEDOUT) {
			pthread_mutex_unlock(&db.lock);
			snprintf(why, len, "database: all %d connections busy for %d s", POOL_SIZE, POOL_WAIT_MS / 1000);
			return -1;
		}
	}
	db.busy[slot] = true;
	PGconn *c = db.conn[slot];
	pthread_mutex_unlock(&db.lock);
	if (c && PQstatus(c) != CONNECTION_OK) {
		PQfinish(c);
		c = NULL;
	}
	if (!c) {
		const char *const keys[] = {"connect_timeout", "fallback_application_name", "dbname", NULL};
		const char *const vals[] = {"3", "lookout-demo-app", db.conninfo, NULL};
		c = PQconnectdbParams(keys, vals, 1);
		if (!c || PQstatus(c) != CONNECTION_OK) {
			char msg[400];
			one_line(c ? PQerrorMessage(c) : "out of memory", msg, sizeof msg);
			snprintf(why, len, "database: %s", msg);
			PQfinish(c);
			pthread_mutex_lock(&db.lock);
			db.conn[slot] = NULL;
			db.busy[slot] = false;
			if (!db.was_down)
				say("database unreachable: %s", msg);
			db.was_down = true;
			pthread_cond_signal(&db.freed);
			pthread_mutex_unlock(&db.lock);
			return -1;
		}
		PGresult *r = PQexec(c, "SET statement_timeout = '10s'; SET client_min_messages = warning;"
		                        "CREATE TABLE IF NOT EXISTS demo_items (id bigserial PRIMARY KEY, payload text NOT NULL,"
		                        " created timestamptz NOT NULL DEFAULT now())");
		if (PQresultStatus(r) != PGRES_COMMAND_OK) {
			char msg[400];
			one_line(PQresultErrorMessage(r), msg, sizeof msg);
			/* Two apps creating the table at once: one of them loses the race; the next request retries. */
			snprintf(why, len, "database: %s", msg);
			PQclear(r);
			PQfinish(c);
			pthread_mutex_lock(&db.lock);
			db.conn[slot] = NULL;
			db.busy[slot] = false;
			pthread_cond_signal(&db.freed);
			pthread_mutex_unlock(&db.lock);
			return -1;
		}
		PQclear(r);
		pthread_mutex_lock(&db.lock);
		if (db.was_down)
			say("database reachable again");
		db.was_down = false;
		pthread_mutex_unlock(&db.lock);
	}
	db.conn[slot] = c; /* the slot is ours while busy */
	return slot;
}

static void db_release(int slot)
{
	pthread_mutex_lock(&db.lock);
	if (db.conn[slot] && PQstatus(db.conn[slot]) != CONNECTION_OK) {
		PQfinish(db.conn[slot]);
		db.conn[slot] = NULL;
	}
	db.busy[slot] = false;
	pthread_cond_signal(&db.freed);
	pthread_mutex_unlock(&db.lock);
}

/* ---- held memory --------------------------------------------------------------------------------- */

struct block {
	void *p;
	size_t bytes;
	double release_ms;
	struct block *next;
};
static struct {
	pthread_mutex_t lock;
	struct block *blocks;
	size_t held_mb;
	long limit_mb;
} mem = {.lock = PTHREAD_MUTEX_INITIALIZER};

static void *reaper_main(void *arg)
{
	(void)arg;
	for (;;) {
		struct timespec ts = {0, 200 * 1000000};
		nanosleep(&ts, NULL);
		double now = now_ms();
		pthread_mutex_lock(&mem.lock);
		for (struct block **bp = &mem.blocks; *bp;) {
			struct block *b = *bp;
			if (b->release_ms <= now) {
				*bp = b->next;
				munmap(b->p, b->bytes);
				mem.held_mb -= b->bytes >> 20;
				free(b);
			} else
				bp = &b->next;
		}
		pthread_mutex_unlock(&mem.lock);
	}
	return NULL;
}

/* ---- handlers ------------------------------------------------------------------------------------ */

struct reply {
	unsigned status;
	char body[2048];
	const char *type;
};

__attribute__((format(printf, 3, 4))) static void set(struct reply *r, unsigned status, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->body, sizeof r->body, fmt, ap);
	va_end(ap);
	r->status = status;
	r->type = "application/json";
}

static void error_reply(struct reply *r, unsigned status, const char *msg)
{
	char esc[1024];
	json_escape(esc, sizeof esc, msg);
	set(r, status, "{\"error\":\"%s\"}\n", esc);
}

static void do_health(struct reply *r)
{
	if (!db.configured) {
		set(r, 200, "{\"status\":\"healthy\",\"database\":\"not configured\"}\n");
		return;
	}
	char why[512], esc[1100];
	double t0 = now_ms();
	int slot = db_acquire(why, sizeof why);
	if (slot >= 0) {
		PGresult *res = PQexec(db.conn[slot], "SELECT 1");
		bool good = PQresultStatus(res) == PGRES_TUPLES_OK;
		if (!good) {
			char msg[400];
			one_line(PQresultErrorMessage(res), msg, sizeof msg);
			snprintf(why, sizeof why, "database: %s", msg);
		}
		PQclear(res);
		db_release(slot);
		if (good) {
			set(r, 200, "{\"status\":\"healthy\",\"database\":\"ok\",\"db_ms\":%.1f}\n", now_ms() - t0);
			return;
		}
	}
	json_escape(esc, sizeof esc, why);
	set(r, 503, "{\"status\":\"unhealthy\",\"reason\":\"%s\"}\n", esc);
}

static void do_cpu(struct reply *r, long ms)
{
	double t0 = now_ms(), end = t0 + (double)ms;
	volatile double x = 0;
	uint64_t rounds = 0;
	while (now_ms() < end) {
		for (int i = 1; i < 20000; i++)
			x += 1.0 / ((double)i * (double)i);
		rounds++;
	}
	/* The sum goes out so that no compiler can drop the loop as unused work. */
	set(r, 200, "{\"burned_ms\":%.0f,\"rounds\":%llu,\"sum\":%.6f}\n", now_ms() - t0, (unsigned long long)rounds,
	    (double)x);
}

static void do_memory(struct reply *r, long mb, long hold_s)
{
	size_t bytes = (size_t)mb << 20;
	pthread_mutex_lock(&mem.lock);
	if ((long)mem.held_mb + mb > mem.limit_mb) {
		size_t held = mem.held_mb;
		pthread_mutex_unlock(&mem.lock);
		char msg[200];
		snprintf(msg, sizeof msg, "%ld MiB more would exceed the limit of %ld MiB held at once (%zu held now); "
		                          "retry after some is released", mb, mem.limit_mb, held);
		error_reply(r, 429, msg);
		return;
	}
	mem.held_mb += (size_t)mb; /* reserved before the slow part, so concurrent requests respect the limit */
	pthread_mutex_unlock(&mem.lock);
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct block *b = p != MAP_FAILED ? malloc(sizeof *b) : NULL;
	if (!b) {
		if (p != MAP_FAILED)
			munmap(p, bytes);
		pthread_mutex_lock(&mem.lock);
		mem.held_mb -= (size_t)mb;
		pthread_mutex_unlock(&mem.lock);
		error_reply(r, 503, "cannot allocate that much memory now");
		return;
	}
	/* Touch every page with non-zero data so it is really resident (and counted by the cgroup). */
	long page = sysconf(_SC_PAGESIZE);
	for (size_t off = 0; off < bytes; off += (size_t)page)
		((volatile unsigned char *)p)[off] = (unsigned char)(off >> 12) | 1;
	*b = (struct block){p, bytes, now_ms() + (double)hold_s * 1000.0, NULL};
	pthread_mutex_lock(&mem.lock);
	b->next = mem.blocks;
	mem.blocks = b;
	size_t held = mem.held_mb;
	pthread_mutex_unlock(&mem.lock);
	set(r, 200, "{\"allocated_mb\":%ld,\"hold_s\":%ld,\"held_mb\":%zu}\n", mb, hold_s, held);
}

static void do_db(struct reply *r, long n)
{
	if (!db.configured) {
		error_reply(r, 503, "no database configured (set DATABASE_URL or PGHOST)");
		return;
	}
	char why[512];
	double t0 = now_ms();
	int slot = db_acquire(why, sizeof why);
	if (slot < 0) {
		char esc[1100];
		json_escape(esc, sizeof esc, why);
		set(r, 503, "{\"error\":\"%s\"}\n", esc);
		return;
	}
	PGconn *c = db.conn[slot];
	long long rows = 0, last_id = 0;
	bool good = true;
	for (long i = 0; i < n && good; i++) {
		char payload[64], idtext[32];
		snprintf(payload, sizeof payload, "demo row %ld of %ld", i + 1, n);
		const char *p1[] = {payload};
		PGresult *res = PQexecParams(c, "INSERT INTO demo_items (payload) VALUES ($1) RETURNING id", 1, NULL, p1,
		                             NULL, NULL, 0);
		good = PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1;
		if (good)
			last_id = atoll(PQgetvalue(res, 0, 0));
		else
			one_line(PQresultErrorMessage(res), why, sizeof why);
		PQclear(res);
		if (!good)
			break;
		snprintf(idtext, sizeof idtext, "%lld", last_id);
		const char *p2[] = {idtext};
		res = PQexecParams(c, "SELECT count(*), coalesce(sum(length(payload)), 0) FROM demo_items WHERE id > $1::bigint - 200",
		                   1, NULL, p2, NULL, NULL, 0);
		good = PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1;
		if (good)
			rows += atoll(PQgetvalue(res, 0, 0));
		else
			one_line(PQresultErrorMessage(res), why, sizeof why);
		PQclear(res);
	}
	/* Keep the table small: the demo measures load, not disk growth. */
	if (good && last_id % 1000 < (long long)n) {
		char cut[32];
		snprintf(cut, sizeof cut, "%lld", last_id - 10000);
		const char *p3[] = {cut};
		PQclear(PQexecParams(c, "DELETE FROM demo_items WHERE id < $1::bigint", 1, NULL, p3, NULL, NULL, 0));
	}
	db_release(slot);
	if (!good) {
		char msg[600], esc[1300];
		snprintf(msg, sizeof msg, "database: %s", why);
		json_escape(esc, sizeof esc, msg);
		set(r, 503, "{\"error\":\"%s\"}\n", esc);
		return;
	}
	set(r, 200, "{\"queries\":%ld,\"rows_seen\":%lld,\"db_ms\":%.1f}\n", 2 * n, rows, now_ms() - t0);
}

static MHD_Result_t handle(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                           const char *version, const char *upload_data, size_t *upload_size, void **state)
{
	(void)cls;
	(void)version;
	(void)upload_data;
	static int first_call;
	if (*state != &first_call) { /* the headers have arrived; answer on the next call */
		*state = &first_call;
		return MHD_YES;
	}
	if (*upload_size) { /* no endpoint takes a body */
		*upload_size = 0;
		return MHD_YES;
	}
	struct reply *r = calloc(1, sizeof *r);
	if (!r)
		return MHD_NO;
	char err[200];
	long a, b;
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		error_reply(r, 405, "only GET and HEAD");
	else if (strcmp(url, "/") == 0) {
		r->status = 200;
		r->type = "text/html; charset=utf-8";
		snprintf(r->body, sizeof r->body, "%s", index_html);
	} else if (strcmp(url, "/health") == 0)
		do_health(r);
	else if (strcmp(url, "/cpu") == 0) {
		if (param_long("ms", MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "ms"), 1, CPU_MS_MAX, 100,
		               &a, err, sizeof err))
			error_reply(r, 400, err);
		else
			do_cpu(r, a);
	} else if (strcmp(url, "/memory") == 0) {
		if (param_long("mb", MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "mb"), 1, MEM_MB_MAX, 64, &a,
		               err, sizeof err) ||
		    param_long("hold", MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "hold"), 0, HOLD_S_MAX, 10,
		               &b, err, sizeof err))
			error_reply(r, 400, err);
		else
			do_memory(r, a, b);
	} else if (strcmp(url, "/db") == 0) {
		if (param_long("queries", MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "queries"), 1,
		               DB_QUERIES_MAX, 10, &a, err, sizeof err))
			error_reply(r, 400, err);
		else
			do_db(r, a);
	} else
		error_reply(r, 404, "no such page; try /, /health, /cpu, /memory or /db");
	struct MHD_Response *resp = MHD_create_response_from_buffer(strlen(r->body), r->body, MHD_RESPMEM_MUST_COPY);
	MHD_Result_t rc = MHD_NO;
	if (resp) {
		MHD_add_response_header(resp, "Content-Type", r->type);
		MHD_add_response_header(resp, "Cache-Control", "no-store");
		rc = MHD_queue_response(conn, r->status, resp);
		MHD_destroy_response(resp);
	}
	free(r);
	return rc;
}

/* ---- configuration and main ---------------------------------------------------------------------- */

static char *read_secret(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	char buf[4096];
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	return strdup(buf);
}

static void usage(FILE *out)
{
	fprintf(out,
	        "Usage: demo-app [--port N] [--bind ADDR]\n"
	        "The web app of lookout's demo stack. Endpoints: / /health /cpu?ms=N /memory?mb=N&hold=S "
	        "/db?queries=N\n\n"
	        "Environment:\n"
	        "  PORT, BIND                  where to listen (default 8080 on 0.0.0.0)\n"
	        "  DATABASE_URL                libpq connection string, without a password\n"
	        "  DATABASE_URL_FILE           or a file holding it (a Docker secret)\n"
	        "  PGHOST PGPORT PGDATABASE PGUSER PGPASSWORD PGPASSFILE   libpq's own variables\n"
	        "  PGPASSWORD_FILE             a file holding the password (a Docker secret)\n"
	        "  DEMO_MEMORY_LIMIT_MB        most memory /memory holds at once (default 1024)\n");
}

int main(int argc, char **argv)
{
	const char *port_s = getenv("PORT"), *bind_s = getenv("BIND");
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--port") == 0 && i + 1 < argc)
			port_s = argv[++i];
		else if (strcmp(argv[i], "--bind") == 0 && i + 1 < argc)
			bind_s = argv[++i];
		else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			return 0;
		} else {
			fprintf(stderr, "demo-app: unknown argument %.60s\n", argv[i]);
			usage(stderr);
			return 2;
		}
	}
	char err[200];
	long port, limit;
	if (param_long("PORT", port_s, 1, 65535, 8080, &port, err, sizeof err) ||
	    param_long("DEMO_MEMORY_LIMIT_MB", getenv("DEMO_MEMORY_LIMIT_MB"), 1, 1 << 20, 1024, &limit, err, sizeof err)) {
		fprintf(stderr, "demo-app: %s\n", err);
		return 2;
	}
	mem.limit_mb = limit;
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	if (inet_pton(AF_INET, bind_s && *bind_s ? bind_s : "0.0.0.0", &sa.sin_addr) != 1) {
		fprintf(stderr, "demo-app: BIND must be an IPv4 address, got \"%.60s\"\n", bind_s);
		return 2;
	}

	const char *url = getenv("DATABASE_URL"), *url_file = getenv("DATABASE_URL_FILE");
	const char *pw_file = getenv("PGPASSWORD_FILE");
	if (pw_file && *pw_file) {
		char *pw = read_secret(pw_file);
		if (!pw) {
			fprintf(stderr, "demo-app: cannot read PGPASSWORD_FILE %s: %s\n", pw_file, strerror(errno));
			return 2;
		}
		setenv("PGPASSWORD", pw, 1);
		explicit_bzero(pw, strlen(pw));
		free(pw);
	}
	if (url_file && *url_file) {
		if (!(db.conninfo = read_secret(url_file))) {
			fprintf(stderr, "demo-app: cannot read DATABASE_URL_FILE %s: %s\n", url_file, strerror(errno));
			return 2;
		}
	} else
		db.conninfo = strdup(url && *url ? url : "");
	const char *pghost = getenv("PGHOST");
	db.configured = (db.conninfo && *db.conninfo) || (pghost && *pghost);

	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	pthread_t reaper;
	if (pthread_create(&reaper, NULL, reaper_main, NULL)) {
		fprintf(stderr, "demo-app: cannot start a thread\n");
		return 1;
	}
	pthread_detach(reaper);

	struct MHD_Daemon *d = MHD_start_daemon(
		MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_ERROR_LOG, (uint16_t)port, NULL,
		NULL, handle, NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa, MHD_OPTION_CONNECTION_LIMIT, 512u,
		MHD_OPTION_CONNECTION_TIMEOUT, 60u, MHD_OPTION_END);
	if (!d) {
		fprintf(stderr, "demo-app: cannot listen on %s:%ld: %s\n", bind_s && *bind_s ? bind_s : "0.0.0.0", port,
		        strerror(errno));
		return 1;
	}
	say("listening on %s:%ld; database %s", bind_s && *bind_s ? bind_s : "0.0.0.0", port,
	    db.configured ? "configured" : "not configured");
	int sig = 0;
	sigwait(&set, &sig);
	say("stopping (%s)", sig == SIGTERM ? "SIGTERM" : "SIGINT");
	MHD_stop_daemon(d);
	for (int i = 0; i < POOL_SIZE; i++)
		PQfinish(db.conn[i]);
	free(db.conninfo);
	return 0;
}
