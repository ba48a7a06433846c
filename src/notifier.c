/* notifier.c — runs the alert service: a follow thread (alert log -> policy -> outbox) and a mail thread
 * (outbox -> SMTP, back-off with jitter, one message per second), sharing one mutex that is never held
 * during an SMTP session. The state file (position, policy, outbox) is replaced atomically after every
 * change, so nothing is lost across a restart and only a message accepted in the instant before a crash
 * can come twice (with the same Message-ID). It decides nothing itself (notify.c) and formats nothing
 * (email.c). */
#include "autoconfig.h"
#include "notifier.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "alertlog.h"
#include "email.h"
#include "follow.h"
#include "log.h"
#include "mail.h"
#include "notify.h"
#include "notifyha.h"
#include "silence.h"
#include "util.h"

#define BATCH_RECIPIENTS 50    /* more recipients than this: several messages */
#define SEND_SPACING_MS 1000   /* SES sandbox: at most one message per second */
#define STATE_MAGIC "lookout-notify-state 1"
/* On a stop (SIGTERM, SIGINT), an SMTP attempt in progress gets this long to finish, so that its outcome is
 * recorded rather than guessed: abandoned, a message the server accepts anyway would go out again after a
 * restart. Well inside the 10 s docker stop gives before its SIGKILL. */
#define STOP_GRACE_MS 5000

static const int backoff_s[] = {5, 10, 30, 60, 120, 300, 600, 1200};

struct outmsg {
	char id[80];
	int64_t created_ms, next_ms;
	int attempts;
	char *rcpt; /* comma list */
	char *data;
	struct mail_pending *pending; /* an attempt past SMTP_TIMEOUT that may still deliver: no retry meanwhile */
	int pending_attempt;          /* its attempt number */
};

struct notifier {
	struct mail_settings ms;
	char **rcpt;
	size_t nrcpt;
	char *public_url;
	char host[256];
	char *log_path, *state_path, *silences_path;
	int64_t check_interval_ms;

	pthread_mutex_t mu;
	pthread_cond_t mail_cv;
	struct notify *policy;
	struct follower *fol;
	struct outmsg *out;
	size_t nout;
	int64_t last_send_ms;
	struct stat sil_st;
	int64_t sil_loaded_ms;
	atomic_bool stop;
	atomic_bool abort_send; /* set by notifier_stop once STOP_GRACE_MS has passed: the attempt is given up */
	bool mail_exited;       /* the mail thread has left its loop (under mu; mail_cv is signalled) */
	bool sending;           /* the mail thread is in mail_send (under mu) */
	int wake[2];
	int lock_fd; /* flock on state_path + ".lock", held until notifier_stop: one notifier per state file */
	pthread_t loop_thr, mail_thr;
	bool loop_started, mail_started;
	struct complaint read_complaint, parse_complaint, state_complaint;
	unsigned rng;
	struct notifyha *ha; /* LOOKOUT_NOTIFY_HA=pg: whether this instance sends (notifyha.c); NULL: always */
};

/* ---- helpers ----------------------------------------------------------------------------------------- */

static char *dir_join(const char *file_beside, const char *name)
{
	const char *slash = strrchr(file_beside, '/');
	struct buf b;
	buf_init(&b);
	if (slash)
		buf_printf(&b, "%.*s/%s", (int)(slash - file_beside), file_beside, name);
	else
		buf_puts(&b, name);
	return b.data;
}

/* Splits and checks RECIPIENT_EMAILS. 0, -1 (a bad address: err says which) or -2 (out of memory). */
static int split_recipients(const char *list, char ***out, size_t *n, char *err, size_t errlen)
{
	*out = NULL;
	*n = 0;
	char *copy = strdup(list ? list : "");
	if (!copy) {
		snprintf(err, errlen, "out of memory");
		return -2;
	}
	size_t cap = 1;
	for (const char *p = copy; *p; p++)
		cap += *p == ',';
	char **arr = calloc(cap + 1, sizeof *arr);
	if (!arr) {
		free(copy);
		snprintf(err, errlen, "out of memory");
		return -2;
	}
	size_t k = 0;
	char *save = NULL;
	int rc = 0;
	for (char *t = strtok_r(copy, ",", &save); t && rc == 0; t = strtok_r(NULL, ",", &save)) {
		while (*t == ' ' || *t == '\t')
			t++;
		size_t l = strlen(t);
		while (l && (t[l - 1] == ' ' || t[l - 1] == '\t'))
			t[--l] = '\0';
		if (!*t)
			continue;
		if (!email_address_valid(t)) {
			struct buf shown;
			buf_init(&shown);
			buf_term_safe(&shown, t, 80);
			snprintf(err, errlen, "RECIPIENT_EMAILS: \"%s\" is not an email address", shown.data ? shown.data : "");
			buf_free(&shown);
			rc = -1;
			break;
		}
		if (!(arr[k++] = strdup(t))) {
			snprintf(err, errlen, "out of memory");
			rc = -2;
		}
	}
	free(copy);
	if (rc == 0 && k == 0) {
		snprintf(err, errlen, "RECIPIENT_EMAILS is empty: set one or more addresses, comma-separated");
		rc = -1;
	}
	if (rc) {
		for (size_t i = 0; i < k; i++)
			free(arr[i]);
		free(arr);
		return rc;
	}
	*out = arr;
	*n = k;
	return 0;
}

static void outmsg_free(struct outmsg *m)
{
	mail_pending_free(m->pending);
	free(m->rcpt);
	free(m->data);
}

/* ---- the state file ---------------------------------------------------------------------------------- */

/* Writes the state to a temporary file, syncs it and renames it over the old one. Called with mu held. */
static int state_save(struct notifier *n)
{
	struct buf b;
	buf_init(&b);
	struct follow_pos pos;
	follower_pos(n->fol, &pos);
	char num[3][32];
	snprintf(num[0], sizeof num[0], "%llu", (unsigned long long)pos.dev);
	snprintf(num[1], sizeof num[1], "%llu", (unsigned long long)pos.ino);
	snprintf(num[2], sizeof num[2], "%lld", (long long)pos.offset);
	int rc = buf_puts(&b, STATE_MAGIC "\npos");
	rc |= logfmt_append(&b, "dev", num[0]);
	rc |= logfmt_append(&b, "ino", num[1]);
	rc |= logfmt_append(&b, "offset", num[2]);
	rc |= buf_puts(&b, "\n");
	rc |= notify_save(n->policy, &b);
	for (size_t i = 0; i < n->nout && rc == 0; i++) {
		const struct outmsg *m = &n->out[i];
		char c[32], nx[32], at[16];
		snprintf(c, sizeof c, "%lld", (long long)m->created_ms);
		snprintf(nx, sizeof nx, "%lld", (long long)m->next_ms);
		snprintf(at, sizeof at, "%d", m->attempts);
		rc |= buf_puts(&b, "msg");
		rc |= logfmt_append(&b, "id", m->id);
		rc |= logfmt_append(&b, "created", c);
		rc |= logfmt_append(&b, "next", nx);
		rc |= logfmt_append(&b, "attempts", at);
		rc |= logfmt_append(&b, "rcpt", m->rcpt);
		rc |= logfmt_append(&b, "data", m->data);
		rc |= buf_puts(&b, "\n");
	}
	rc |= buf_puts(&b, "end\n"); /* a file without it was cut short */
	if (rc) {
		buf_free(&b);
		log_complain(&n->state_complaint, LOG_ERROR, "out of memory saving the notifier state");
		return -1;
	}
	char tmp[PATH_MAX];
	snprintf(tmp, sizeof tmp, "%s.tmp", n->state_path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	bool ok = fd >= 0;
	for (size_t off = 0; ok && off < b.len;) {
		ssize_t w = write(fd, b.data + off, b.len - off);
		if (w < 0 && errno == EINTR)
			continue;
		ok = w > 0;
		off += ok ? (size_t)w : 0;
	}
	int e = errno;
	ok = ok && fsync(fd) == 0;
	if (fd >= 0)
		close(fd);
	ok = ok && rename(tmp, n->state_path) == 0;
	if (!ok) {
		e = errno ? errno : e;
		unlink(tmp);
		log_complain(&n->state_complaint, LOG_ERROR, "cannot write the notifier state %s: %s", n->state_path,
		             strerror(e));
		buf_free(&b);
		return -1;
	}
	char *dir = dir_join(n->state_path, ".");
	int dfd = dir ? open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	free(dir);
	log_complain_clear(&n->state_complaint, "the notifier state is being written again");
	buf_free(&b);
	return 0;
}

static int load_msg(struct notifier *n, const char *line, size_t len, char *err, size_t errlen)
{
	struct outmsg m;
	memset(&m, 0, sizeof m);
	const char *p = line + 3, *end = line + len;
	char key[32];
	struct buf val;
	buf_init(&val);
	int rc;
	while ((rc = logfmt_next(&p, end, key, sizeof key, &val, err, errlen)) == 1) {
		int64_t v = 0;
		if (strcmp(key, "id") == 0)
			snprintf(m.id, sizeof m.id, "%s", val.data);
		else if (strcmp(key, "rcpt") == 0) {
			free(m.rcpt);
			m.rcpt = strdup(val.data);
		} else if (strcmp(key, "data") == 0) {
			free(m.data);
			m.data = strdup(val.data);
		} else if (parse_int64(val.data, &v) == 0) {
			if (strcmp(key, "created") == 0)
				m.created_ms = v;
			else if (strcmp(key, "next") == 0)
				m.next_ms = v;
			else if (strcmp(key, "attempts") == 0)
				m.attempts = (int)v;
		}
	}
	buf_free(&val);
	if (rc < 0 || !m.rcpt || !m.data || !m.id[0]) {
		if (rc >= 0)
			snprintf(err, errlen, "a message without id, recipients or data");
		outmsg_free(&m);
		return -1;
	}
	struct outmsg *grown = realloc(n->out, (n->nout + 1) * sizeof *grown);
	if (!grown) {
		outmsg_free(&m);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	n->out = grown;
	n->out[n->nout++] = m;
	return 0;
}

int notifier_parse_u64(const char *s, uint64_t *out)
{
	/* strtoull takes a sign and wraps "-1" round; only plain decimal digits are a device or inode number */
	if (!s || *s < '0' || *s > '9')
		return -1;
	for (const char *p = s; *p; p++)
		if (*p < '0' || *p > '9')
			return -1;
	errno = 0;
	char *end;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno == ERANGE || *end)
		return -1;
	*out = (uint64_t)v;
	return 0;
}

/* Reads the state file. 1 when there was one (pos filled), 0 when there is none, -1 with err. */
static int state_load(struct notifier *n, struct follow_pos *pos, char *err, size_t errlen)
{
	size_t len;
	char *text = read_file(n->state_path, &len);
	if (!text) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "cannot read the notifier state %s: %s", n->state_path, strerror(errno));
		return -1;
	}
	int result = -1, lineno = 0;
	bool have_pos = false, have_end = false;
	for (char *line = text, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		size_t l = next ? (size_t)(next - line) : strlen(line);
		if (next)
			next++;
		lineno++;
		char e[256] = "";
		if (lineno == 1) {
			if (l != strlen(STATE_MAGIC) || strncmp(line, STATE_MAGIC, l) != 0) {
				snprintf(err, errlen, "%s is not a lookout notifier state file", n->state_path);
				goto out;
			}
		} else if (l == 3 && strncmp(line, "end", 3) == 0) {
			have_end = true;
		} else if (l > 4 && strncmp(line, "pos ", 4) == 0) {
			const char *p = line + 4, *end = line + l;
			char key[32];
			struct buf val;
			buf_init(&val);
			int rc;
			while ((rc = logfmt_next(&p, end, key, sizeof key, &val, e, sizeof e)) == 1) {
				int64_t v = 0;
				uint64_t u = 0;
				bool is_id = strcmp(key, "dev") == 0 || strcmp(key, "ino") == 0;
				if (is_id ? notifier_parse_u64(val.data, &u) : parse_int64(val.data, &v)) {
					snprintf(e, sizeof e, "pos %.20s=\"%.40s\" is not a number", key, val.data);
					rc = -1;
					break;
				}
				if (strcmp(key, "dev") == 0)
					pos->dev = u;
				else if (strcmp(key, "ino") == 0)
					pos->ino = u;
				else if (strcmp(key, "offset") == 0)
					pos->offset = v;
			}
			buf_free(&val);
			if (rc < 0)
				goto bad;
			have_pos = true;
		} else if (l > 4 && strncmp(line, "msg ", 4) == 0) {
			if (load_msg(n, line, l, e, sizeof e))
				goto bad;
		} else {
			int rc = notify_load_line(n->policy, line, l, e, sizeof e);
			if (rc <= 0) {
				if (rc == 0)
					snprintf(e, sizeof e, "unknown record");
				goto bad;
			}
		}
		continue;
	bad:
		snprintf(err, errlen, "%s:%d: %s (move the file aside to start afresh from the end of the alert log)",
		         n->state_path, lineno, e);
		goto out;
	}
	if (!have_pos || !have_end) {
		snprintf(err, errlen, "%s is incomplete", n->state_path);
		goto out;
	}
	result = 1;
out:
	free(text);
	return result;
}

/* ---- the follow thread ------------------------------------------------------------------------------- */

static int on_line(const char *line, size_t len, void *arg)
{
	struct notifier *n = arg;
	if (len == 0)
		return 0;
	struct alert_transition t;
	char err[256];
	if (alertlog_parse(line, len, &t, err, sizeof err)) {
		log_complain(&n->parse_complaint, LOG_WARN, "skipping a malformed line of the alert log %s: %s", n->log_path,
		             err);
		return 0;
	}
	if (notify_feed(n->policy, &t, now_wall_ms()))
		log_error("out of memory: an alert transition was not considered for email");
	return 0;
}

static void reload_silences(struct notifier *n, int64_t now)
{
	struct stat st;
	bool exists = stat(n->silences_path, &st) == 0;
	if (!exists)
		memset(&st, 0, sizeof st);
	bool changed = st.st_ino != n->sil_st.st_ino || st.st_size != n->sil_st.st_size ||
	               st.st_mtim.tv_sec != n->sil_st.st_mtim.tv_sec || st.st_mtim.tv_nsec != n->sil_st.st_mtim.tv_nsec;
	if (!changed && now - n->sil_loaded_ms < 60000)
		return;
	n->sil_st = st;
	n->sil_loaded_ms = now;
	struct silence *s = NULL;
	size_t ns = 0;
	char err[512];
	if (silences_load(n->silences_path, now, &s, &ns, err, sizeof err)) {
		log_warn("%s (silences unchanged)", err);
		return;
	}
	if (notify_set_silences(n->policy, s, ns) == 0 && changed)
		log_info("%zu active silence(s) from %s", ns, n->silences_path);
	free(s);
}

/* The host the email names: the alerts' own (their engine's host label) when they share one, else this
 * machine's name (several hosts are named per container; logs written before hosts carry none). */
static const char *items_host(const struct email_item *items, size_t count, const char *own)
{
	for (size_t i = 1; i < count; i++)
		if (strcmp(items[i].t.host, items[0].t.host) != 0)
			return own;
	return count && items[0].t.host[0] ? items[0].t.host : own;
}

/* Turns one set of items into messages, one per batch of recipients. Called with mu held. */
static void enqueue(struct notifier *n, const struct email_item *items, size_t count, int64_t now)
{
	for (size_t first = 0; first < n->nrcpt; first += BATCH_RECIPIENTS) {
		size_t k = n->nrcpt - first < BATCH_RECIPIENTS ? n->nrcpt - first : BATCH_RECIPIENTS;
		char salt[32];
		snprintf(salt, sizeof salt, "batch-%zu", first / BATCH_RECIPIENTS);
		struct email_opts o = {.from = n->ms.sender,
		                       .to = (const char *const *)n->rcpt + first,
		                       .nto = k,
		                       .public_url = n->public_url,
		                       .host = items_host(items, count, n->host),
		                       .now_ms = now,
		                       .id_salt = salt};
		struct outmsg m;
		memset(&m, 0, sizeof m);
		char key[65];
		email_message_key(items, count, salt, key, sizeof key);
		snprintf(m.id, sizeof m.id, "%.32s", key);
		m.created_ms = m.next_ms = now;
		struct buf data, rc;
		buf_init(&data);
		buf_init(&rc);
		int bad = email_compose(&data, items, count, &o);
		for (size_t i = 0; i < k && !bad; i++)
			bad = (i && buf_puts(&rc, ",")) || buf_puts(&rc, n->rcpt[first + i]);
		struct outmsg *grown = bad ? NULL : realloc(n->out, (n->nout + 1) * sizeof *grown);
		if (!grown) {
			log_error("out of memory: an alert email (%zu alerts) could not be queued", count);
			buf_free(&data);
			buf_free(&rc);
			continue;
		}
		m.data = data.data;
		m.rcpt = rc.data;
		n->out = grown;
		n->out[n->nout++] = m;
		notifyha_queued(n->ha, m.id, items, count);
		struct buf subj;
		buf_init(&subj);
		email_subject(&subj, items, count);
		struct buf shown;
		buf_init(&shown);
		buf_term_safe(&shown, subj.data ? subj.data : "", 300);
		log_info("queued email %s for %zu recipient(s): %s", m.id, k, shown.data ? shown.data : "");
		buf_free(&shown);
		buf_free(&subj);
	}
}

static void *loop_main(void *arg)
{
	struct notifier *n = arg;
	pthread_mutex_lock(&n->mu);
	while (!atomic_load(&n->stop)) {
		int64_t now = now_wall_ms();
		reload_silences(n, now);
		char err[512];
		int lines = follower_read(n->fol, on_line, n, err, sizeof err);
		if (lines < 0)
			log_complain(&n->read_complaint, LOG_ERROR, "%s", err);
		else
			log_complain_clear(&n->read_complaint, "the alert log %s is readable again", n->log_path);
		now = now_wall_ms();
		int made = 0;
		struct email_item *items;
		size_t count;
		int r;
		bool decided = now >= notify_next_due(n->policy);
		while ((r = notify_take(n->policy, now, &items, &count)) > 0) {
			enqueue(n, items, count, now);
			free(items);
			made++;
		}
		if (r < 0)
			log_error("out of memory deciding alert emails");
		if (lines > 0 || made || decided)
			state_save(n);
		if (made)
			pthread_cond_signal(&n->mail_cv);
		/* The heartbeat `lookout notify --health` reads: the lock file's mtime, at least once a minute. */
		if (n->lock_fd >= 0)
			futimens(n->lock_fd, NULL);
		int64_t due = notify_next_due(n->policy);
		int64_t wait = n->check_interval_ms;
		if (due != INT64_MAX && due - now < wait)
			wait = due - now < 0 ? 0 : due - now;
		if (wait > 60000)
			wait = 60000; /* silences are looked at at least once a minute */
		pthread_mutex_unlock(&n->mu);
		struct pollfd pf[2] = {{.fd = n->wake[0], .events = POLLIN}, {.fd = follower_fd(n->fol), .events = POLLIN}};
		int nfds = pf[1].fd >= 0 ? 2 : 1;
		for (;;) {
			int pr = poll(pf, (nfds_t)nfds, (int)(wait + 1));
			if (pr <= 0)
				break;
			if (pf[0].revents) {
				char junk[64];
				while (read(n->wake[0], junk, sizeof junk) > 0) {
				}
				break;
			}
			/* Only changes that may concern the alert log wake us (metrics.csv changes every tick). */
			if (follower_drain(n->fol))
				break;
			int64_t after = now_wall_ms();
			wait -= after - now;
			now = after;
			if (wait <= 0)
				break;
		}
		pthread_mutex_lock(&n->mu);
	}
	pthread_mutex_unlock(&n->mu);
	return NULL;
}

/* ---- the mail thread --------------------------------------------------------------------------------- */

static int64_t backoff_ms(struct notifier *n, int attempts)
{
	int i = attempts - 1 < (int)ARRAY_LEN(backoff_s) ? attempts - 1 : (int)ARRAY_LEN(backoff_s) - 1;
	if (i < 0)
		i = 0;
	int64_t base = backoff_s[i] * 1000LL;
	/* ±20 % jitter, so that many lookouts behind one relay do not retry in step */
	n->rng = n->rng * 1103515245u + 12345u;
	int64_t j = (int64_t)((n->rng >> 8) % 4001) - 2000; /* in hundredths of a percent: -20 % .. +20 % */
	return base + base * j / 10000;
}

/* Queues the same message again for the recipients in list (the Message-ID stays the same: it is one
 * message). Called with mu held; m may move. */
static void requeue_for(struct notifier *n, size_t idx, const char *list, int64_t now)
{
	struct outmsg r;
	memset(&r, 0, sizeof r);
	r.rcpt = strdup(list);
	r.data = strdup(n->out[idx].data);
	struct outmsg *grown = r.rcpt && r.data ? realloc(n->out, (n->nout + 1) * sizeof *grown) : NULL;
	if (!grown) {
		log_error("out of memory: email %s is not retried for %s", n->out[idx].id, list);
		outmsg_free(&r);
		return;
	}
	n->out = grown;
	/* A new outbox key: the first 32 characters of the old one and a serial number. */
	static unsigned serial;
	snprintf(r.id, sizeof r.id, "%.32s-r%u", n->out[idx].id, ++serial);
	r.created_ms = now;
	r.attempts = 1;
	r.next_ms = now + backoff_ms(n, 1);
	log_warn("email %s: recipients %s refused for now; they get it as %s in %lld s", n->out[idx].id, list, r.id,
	         (long long)((r.next_ms - now) / 1000));
	n->out[n->nout++] = r;
}

/* Applies the outcome of attempt number `attempt` on outbox entry idx: true when the entry left the outbox
 * (entries after it move down one). Called with mu held. */
static bool apply_result(struct notifier *n, size_t idx, int attempt, const struct mail_result *res, bool late)
{
	struct outmsg *m = &n->out[idx];
	char id[80];
	snprintf(id, sizeof id, "%s", m->id);
	if (res->status == MAIL_TEMPORARY) {
		m->attempts = attempt;
		int64_t d = backoff_ms(n, attempt);
		m->next_ms = now_wall_ms() + d;
		if (m->pending)
			log_warn("email %s not delivered yet (attempt %d): %s%s%s; it may still be accepted: no other try "
			         "until that attempt ends", id, attempt, res->what, res->fix[0] ? "; " : "", res->fix);
		else
			log_warn("email %s not delivered (attempt %d%s): %s%s%s; next try in %lld s", id, attempt,
			         late ? ", ended after SMTP_TIMEOUT" : "", res->what, res->fix[0] ? "; " : "", res->fix,
			         (long long)(d / 1000));
		state_save(n);
		return false;
	}
	if (res->status == MAIL_SENT) {
		log_info("email %s accepted%s (%s%s%s)", id, late ? " after SMTP_TIMEOUT, by the attempt left running" : "",
		         res->what, res->rejected[0] ? "; refused recipients: " : "", res->rejected);
		if (res->refused[0])
			log_error("email %s not delivered to %s: refused for good, not retried for them", id, res->refused);
		if (res->retry_rcpt[0])
			requeue_for(n, idx, res->retry_rcpt, now_wall_ms());
	} else {
		log_error("email %s dropped, the server refused it for good: %s%s%s", id, res->what,
		          res->fix[0] ? ". Fix: " : "", res->fix);
	}
	notifyha_done(n->ha, id, res->status == MAIL_SENT);
	m = &n->out[idx];
	outmsg_free(m);
	memmove(m, m + 1, (n->nout - idx - 1) * sizeof *m);
	n->nout--;
	state_save(n);
	return true;
}

/* Settles the attempts left running past SMTP_TIMEOUT that have ended. 1 when there are still some running.
 * Called with mu held. */
static int settle_pending(struct notifier *n)
{
	int running = 0;
	for (size_t i = 0; i < n->nout;) {
		struct outmsg *m = &n->out[i];
		struct mail_result res;
		if (!m->pending || !mail_pending_done(m->pending, &res)) {
			running |= m->pending != NULL;
			i++;
			continue;
		}
		mail_pending_free(m->pending);
		m->pending = NULL;
		if (!apply_result(n, i, m->pending_attempt, &res, true))
			i++;
	}
	return running;
}

static void *mail_main(void *arg)
{
	struct notifier *n = arg;
	pthread_mutex_lock(&n->mu);
	while (!atomic_load(&n->stop)) {
		bool running = settle_pending(n);
		int64_t now = now_wall_ms();
		struct outmsg *pick = NULL;
		int64_t next = INT64_MAX;
		for (size_t i = 0; i < n->nout; i++) {
			if (n->out[i].pending)
				continue;
			if (n->out[i].next_ms <= now && (!pick || n->out[i].created_ms < pick->created_ms))
				pick = &n->out[i];
			if (n->out[i].next_ms < next)
				next = n->out[i].next_ms;
		}
		/* High availability: another lookout may be the one that sends, or may have sent this already. */
		if (pick && n->ha) {
			char why[256];
			enum notifyha_verdict v = notifyha_gate(n->ha, pick->id, pick->created_ms, now, why, sizeof why);
			if (v == NOTIFYHA_HOLD) {
				pick->next_ms = now + NOTIFYHA_HOLD_RETRY_MS;
				continue;
			}
			if (v == NOTIFYHA_DROP) {
				log_info("email %s not sent by this lookout: %s", pick->id, why);
				size_t i = (size_t)(pick - n->out);
				outmsg_free(pick);
				memmove(pick, pick + 1, (n->nout - i - 1) * sizeof *pick);
				n->nout--;
				state_save(n);
				continue;
			}
		}
		if (pick && now < n->last_send_ms + SEND_SPACING_MS) {
			next = n->last_send_ms + SEND_SPACING_MS;
			pick = NULL;
		}
		if (!pick) {
			int64_t wait = next == INT64_MAX ? 3600000 : next - now;
			if (running && wait > 200)
				wait = 200; /* an attempt past SMTP_TIMEOUT is looked at until it ends */
			if (wait < 1)
				wait = 1;
			struct timespec dl;
			clock_gettime(CLOCK_REALTIME, &dl);
			dl.tv_sec += (time_t)(wait / 1000);
			dl.tv_nsec += (long)(wait % 1000) * 1000000L;
			if (dl.tv_nsec >= 1000000000L) {
				dl.tv_sec++;
				dl.tv_nsec -= 1000000000L;
			}
			pthread_cond_timedwait(&n->mail_cv, &n->mu, &dl);
			continue;
		}
		char id[80];
		snprintf(id, sizeof id, "%s", pick->id);
		char *data = strdup(pick->data), *rl = strdup(pick->rcpt);
		int attempt = pick->attempts + 1;
		n->sending = true;
		pthread_mutex_unlock(&n->mu);

		struct mail_result *res = calloc(1, sizeof *res);
		struct mail_pending *pending = NULL;
		char **rcpt = NULL;
		size_t nr = 0;
		char err[256];
		if (!res) {
			/* nothing to tell: below, a NULL result is a temporary failure */
		} else if (!data || !rl || split_recipients(rl, &rcpt, &nr, err, sizeof err)) {
			res->status = MAIL_TEMPORARY;
			snprintf(res->what, sizeof res->what, "out of memory");
		} else {
			mail_send(&n->ms, (const char *const *)rcpt, nr, data, &n->abort_send, res, &pending);
		}
		for (size_t i = 0; i < nr; i++)
			free(rcpt[i]);
		free(rcpt);
		free(data);
		free(rl);

		pthread_mutex_lock(&n->mu);
		n->sending = false;
		n->last_send_ms = now_wall_ms();
		size_t idx = n->nout;
		for (size_t i = 0; i < n->nout; i++)
			if (strcmp(n->out[i].id, id) == 0)
				idx = i;
		if (idx == n->nout || (res && res->status == MAIL_TEMPORARY && atomic_load(&n->stop))) {
			/* gone, or failed or interrupted during the stop: it stays queued as it was (a result that
			 * says sent or refused for good is applied, so that a restart does not send it again) */
			mail_pending_free(pending);
			free(res);
			continue;
		}
		struct outmsg *m = &n->out[idx];
		m->pending = pending;
		m->pending_attempt = attempt;
		if (res) {
			apply_result(n, idx, attempt, res, false);
		} else {
			static const struct mail_result oom = {.status = MAIL_TEMPORARY, .what = "out of memory"};
			apply_result(n, idx, attempt, &oom, false);
		}
		free(res);
	}
	n->mail_exited = true;
	pthread_cond_broadcast(&n->mail_cv);
	pthread_mutex_unlock(&n->mu);
	return NULL;
}

/* ---- start and stop ---------------------------------------------------------------------------------- */

static void notifier_free(struct notifier *n)
{
	if (!n)
		return;
	mail_settings_wipe(&n->ms);
	for (size_t i = 0; i < n->nrcpt; i++)
		free(n->rcpt[i]);
	free(n->rcpt);
	free(n->public_url);
	free(n->log_path);
	free(n->state_path);
	free(n->silences_path);
	notify_free(n->policy);
	follower_free(n->fol);
	for (size_t i = 0; i < n->nout; i++)
		outmsg_free(&n->out[i]);
	free(n->out);
	if (n->wake[0] >= 0)
		close(n->wake[0]);
	if (n->wake[1] >= 0)
		close(n->wake[1]);
	if (n->lock_fd >= 0)
		close(n->lock_fd); /* the lock goes with it; the file stays (removing it would race a new notifier) */
	notifyha_stop(n->ha); /* after the last record of sent email: its lock is released last */
	pthread_mutex_destroy(&n->mu);
	pthread_cond_destroy(&n->mail_cv);
	free(n);
}

/* Takes the lock that makes this the only notifier on its state file. 0, -1 (runtime failure) or -2
 * (another notifier holds it), with err. */
static int take_lock(struct notifier *n, char *err, size_t errlen)
{
	char path[PATH_MAX];
	if (snprintf(path, sizeof path, "%s.lock", n->state_path) >= (int)sizeof path) {
		snprintf(err, errlen, "the notifier state path %.200s is too long", n->state_path);
		return -2;
	}
	n->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (n->lock_fd < 0) {
		snprintf(err, errlen, "cannot open the notifier lock %s: %s", path, strerror(errno));
		return -1;
	}
	if (flock(n->lock_fd, LOCK_EX | LOCK_NB) == 0) {
		char pid[32];
		int l = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
		if (ftruncate(n->lock_fd, 0) == 0 && pwrite(n->lock_fd, pid, (size_t)l, 0) != l) {
			/* the pid is only a hint for the message below */
		}
		return 0;
	}
	int e = errno;
	if (e != EWOULDBLOCK) {
		snprintf(err, errlen, "cannot lock %s: %s", path, strerror(e));
		return -1;
	}
	char buf[32] = "", who[64] = "";
	ssize_t r = pread(n->lock_fd, buf, sizeof buf - 1, 0);
	long pid = r > 0 ? strtol(buf, NULL, 10) : 0;
	if (pid > 0)
		snprintf(who, sizeof who, " (pid %ld)", pid);
	snprintf(err, errlen, "another notifier%s already follows %s with the state file %s; set NOTIFY=false on the "
	         "daemon or stop the other", who, n->log_path, n->state_path);
	return -2;
}

struct notifier *notifier_start(const struct config *cfg, const char *log_path, int *fail_status, char *err,
                                size_t errlen)
{
	*fail_status = 1; /* runtime failure unless a setting is at fault (2) */
	struct notifier *n = calloc(1, sizeof *n);
	if (!n) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	n->wake[0] = n->wake[1] = n->lock_fd = -1;
	pthread_mutex_init(&n->mu, NULL);
	pthread_cond_init(&n->mail_cv, NULL);
	atomic_init(&n->stop, false);
	atomic_init(&n->abort_send, false);
	n->rng = (unsigned)now_mono_ns() ^ (unsigned)getpid();
	if (mail_settings_load(cfg, &n->ms, err, errlen)) {
		*fail_status = 2;
		goto fail;
	}
	int sr = split_recipients(cfg->recipient_emails, &n->rcpt, &n->nrcpt, err, errlen);
	if (sr) {
		*fail_status = sr == -1 ? 2 : 1;
		goto fail;
	}
	n->public_url = strdup(cfg->public_url ? cfg->public_url : "");
	n->log_path = strdup(log_path);
	n->state_path = cfg->notify_state && *cfg->notify_state ? strdup(cfg->notify_state)
	                                                         : dir_join(log_path, ".lookout-notify.state");
	char sp[PATH_MAX];
	if (silences_path(cfg, sp, sizeof sp) == 0)
		n->silences_path = strdup(sp);
	if (gethostname(n->host, sizeof n->host))
		n->host[0] = '\0';
	n->host[sizeof n->host - 1] = '\0';
	n->check_interval_ms = (int64_t)(cfg->check_interval_s * 1000);
	struct notify_opts po = {.buffer_ms = (int64_t)(cfg->buffer_timeout_s * 1000),
	                         .cooldown_ms = (int64_t)(cfg->alert_cooldown_s * 1000),
	                         .resolved = cfg->notify_resolved};
	n->policy = notify_new(&po);
	if (!n->public_url || !n->log_path || !n->state_path || !n->silences_path || !n->policy) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	int lk = take_lock(n, err, errlen);
	if (lk) {
		*fail_status = lk == -2 ? 2 : 1;
		goto fail;
	}
	if (notifyha_start(cfg, &n->ha, err, errlen)) {
		*fail_status = 2;
		goto fail;
	}
	struct follow_pos pos = {0, 0, 0};
	int had = state_load(n, &pos, err, errlen);
	if (had < 0)
		goto fail;
	n->fol = follower_new(log_path, had ? &pos : NULL, err, errlen);
	if (!n->fol)
		goto fail;
	if (pipe2(n->wake, O_CLOEXEC | O_NONBLOCK)) {
		snprintf(err, errlen, "cannot create a pipe: %s", strerror(errno));
		goto fail;
	}
	/* Save at once: the starting position is then on disk before the first line is read. */
	pthread_mutex_lock(&n->mu);
	int saved = state_save(n);
	pthread_mutex_unlock(&n->mu);
	if (saved) {
		snprintf(err, errlen, "cannot write the notifier state %s (see the log)", n->state_path);
		goto fail;
	}
	/* What the start line says, read before the threads can change it. */
	struct follow_pos now_pos;
	follower_pos(n->fol, &now_pos);
	size_t queued = n->nout;
	/* Threads start with every signal blocked: the process's own thread takes them. */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	n->loop_started = pthread_create(&n->loop_thr, NULL, loop_main, n) == 0;
	n->mail_started = n->loop_started && pthread_create(&n->mail_thr, NULL, mail_main, n) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!n->mail_started) {
		snprintf(err, errlen, "cannot start the notifier threads");
		notifier_stop(n);
		return NULL;
	}
	log_info("email alerts: following %s from offset %lld, %zu queued message(s), mail via %s:%d%s%s, %zu "
	         "recipient(s)",
	         log_path, (long long)now_pos.offset, queued, n->ms.host, n->ms.port, n->ms.tls ? " (STARTTLS)" : "",
	         n->ms.ses ? " (Amazon SES)" : "", n->nrcpt);
	return n;
fail:
	notifier_free(n);
	return NULL;
}

void notifier_stop(struct notifier *n)
{
	if (!n)
		return;
	pthread_mutex_lock(&n->mu);
	atomic_store(&n->stop, true);
	pthread_cond_broadcast(&n->mail_cv);
	pthread_mutex_unlock(&n->mu);
	if (n->wake[1] >= 0 && write(n->wake[1], "x", 1) < 0) {
		/* the pipe is full: the loop is awake anyway */
	}
	if (n->loop_started)
		pthread_join(n->loop_thr, NULL);
	/* The mail thread starts nothing new once stop is set; an attempt it has in progress, and any left
	 * running past SMTP_TIMEOUT, get until the grace deadline to end, and their outcome is applied. */
	int64_t deadline = now_mono_ns() + (int64_t)STOP_GRACE_MS * 1000000;
	pthread_mutex_lock(&n->mu);
	bool waited = false;
	while (n->mail_started && !n->mail_exited && now_mono_ns() < deadline) {
		if (!waited && n->sending) {
			log_info("stopping: waiting up to %d s for the SMTP attempt in progress", STOP_GRACE_MS / 1000);
			waited = true;
		}
		struct timespec dl;
		clock_gettime(CLOCK_REALTIME, &dl);
		dl.tv_nsec += 100000000L;
		if (dl.tv_nsec >= 1000000000L) {
			dl.tv_sec++;
			dl.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&n->mail_cv, &n->mu, &dl);
	}
	if (n->mail_started && !n->mail_exited)
		log_warn("stopping: the SMTP attempt in progress did not end within %d s and is abandoned; its message "
		         "stays queued and may arrive twice (same Message-ID)", STOP_GRACE_MS / 1000);
	pthread_mutex_unlock(&n->mu);
	atomic_store(&n->abort_send, true);
	if (n->mail_started)
		pthread_join(n->mail_thr, NULL);
	pthread_mutex_lock(&n->mu);
	while (settle_pending(n) && now_mono_ns() < deadline) {
		pthread_mutex_unlock(&n->mu);
		struct timespec ts = {0, 100000000L};
		nanosleep(&ts, NULL);
		pthread_mutex_lock(&n->mu);
	}
	for (size_t i = 0; i < n->nout; i++)
		if (n->out[i].pending)
			log_warn("stopping: email %s has an attempt still running past SMTP_TIMEOUT; it stays queued and may "
			         "arrive twice (same Message-ID)", n->out[i].id);
	state_save(n);
	pthread_mutex_unlock(&n->mu);
	notifier_free(n);
}

int notifier_daemon_start(const struct config *cfg, const char *log_path, struct notifier **out)
{
	*out = NULL;
	if (!cfg->notify) {
		log_info("email alerts off in this process (NOTIFY=false)");
		return 0;
	}
	if (!(cfg->smtp_host && *cfg->smtp_host) && !(cfg->aws_region && *cfg->aws_region)) {
		log_info("email alerts off: neither AWS_REGION nor SMTP_HOST is set");
		return 0;
	}
	char err[1024];
	int st;
	*out = notifier_start(cfg, log_path, &st, err, sizeof err);
	if (!*out) {
		fprintf(stderr, "lookout: email alerts: %s\n", err);
		log_error("email alerts: %s", err);
		return -1;
	}
	return 0;
}

/* ---- lookout notify ---------------------------------------------------------------------------------- */

static int run_test(const struct config *cfg)
{
	struct mail_settings ms;
	char err[1024];
	char **rcpt = NULL;
	size_t nr = 0;
	int sr = 0;
	if (mail_settings_load(cfg, &ms, err, sizeof err) ||
	    (sr = split_recipients(cfg->recipient_emails, &rcpt, &nr, err, sizeof err))) {
		fprintf(stderr, "lookout: %s\n", err);
		mail_settings_wipe(&ms);
		return sr == -2 ? 1 : 2;
	}
	char host[256] = "";
	gethostname(host, sizeof host - 1);
	struct email_opts o = {.from = ms.sender,
	                       .to = (const char *const *)rcpt,
	                       .nto = nr < BATCH_RECIPIENTS ? nr : BATCH_RECIPIENTS,
	                       .host = host,
	                       .now_ms = now_wall_ms()};
	struct buf data;
	buf_init(&data);
	int rc = 1;
	if (email_compose_test(&data, &o)) {
		fprintf(stderr, "lookout: out of memory\n");
	} else {
		printf("lookout: sending a test email from %s to %zu recipient(s) via %s:%d%s%s%s%s\n", ms.sender, o.nto,
		       ms.host, ms.port, ms.tls ? ", STARTTLS required" : ", no TLS (SMTP_TLS=off)",
		       ms.user[0] ? ", AUTH as " : ", no AUTH", ms.user, ms.ses ? " (Amazon SES)" : "");
		fflush(stdout);
		struct mail_result res;
		mail_send(&ms, (const char *const *)rcpt, o.nto, data.data, NULL, &res, NULL);
		if (res.status == MAIL_SENT) {
			printf("lookout: test email %s%s%s%s\n", res.what,
			       ms.tls ? " over TLS with a verified certificate" : "", ms.user[0] ? ", AUTH accepted" : "",
			       res.rejected[0] ? "" : "; check the inbox (and the spam folder)");
			if (res.rejected[0])
				printf("lookout: but these recipients were refused: %s\n", res.rejected);
			fflush(stdout);
			rc = res.rejected[0] ? 1 : 0;
		} else {
			fprintf(stderr, "lookout: test email failed (%s): %s\n",
			        res.status == MAIL_PERMANENT ? "refused" : "temporary failure", res.what);
			if (res.fix[0])
				fprintf(stderr, "lookout: fix: %s\n", res.fix);
		}
	}
	buf_free(&data);
	for (size_t i = 0; i < nr; i++)
		free(rcpt[i]);
	free(rcpt);
	mail_settings_wipe(&ms);
	return rc;
}

/* Heartbeats older than this mean a stuck loop: it goes round at least once a minute. */
#define HEALTH_MAX_AGE_S 120

/* lookout notify --health: is a notifier running on this log's state file, and is its loop alive? */
static int run_health(const struct config *cfg, const char *log_path)
{
	char *state = cfg->notify_state && *cfg->notify_state ? strdup(cfg->notify_state)
	                                                      : dir_join(log_path, ".lookout-notify.state");
	char lock[PATH_MAX];
	if (!state || snprintf(lock, sizeof lock, "%s.lock", state) >= (int)sizeof lock) {
		fprintf(stderr, "lookout: the notifier state path is too long\n");
		free(state);
		return 1;
	}
	int rc = 1;
	int fd = open(lock, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	struct stat st;
	if (fd < 0) {
		printf("no notifier has run on %s (%s: %s)\n", state, lock, strerror(errno));
	} else if (flock(fd, LOCK_SH | LOCK_NB) == 0) {
		printf("no notifier is running on %s\n", state);
	} else if (errno != EWOULDBLOCK || fstat(fd, &st)) {
		printf("cannot tell: %s: %s\n", lock, strerror(errno));
	} else {
		char buf[32] = "";
		ssize_t r = pread(fd, buf, sizeof buf - 1, 0);
		long pid = r > 0 ? strtol(buf, NULL, 10) : 0;
		double age = (double)(now_wall_ms() - ((int64_t)st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000)) / 1000;
		if (age <= HEALTH_MAX_AGE_S) {
			printf("notifier running (pid %ld) with the state file %s; its loop went round %.0f s ago\n", pid,
			       state, age < 0 ? 0 : age);
			rc = 0;
		} else {
			printf("notifier (pid %ld) holds %s but its loop has not gone round for %.0f s: stuck\n", pid, state,
			       age);
		}
	}
	if (fd >= 0)
		close(fd);
	free(state);
	return rc;
}

int notify_run(const struct config *cfg)
{
	if (cfg->notify_test)
		return run_test(cfg);
	char path[PATH_MAX];
	const char *log_path = cfg->notify_follow;
	if (!log_path || !*log_path) {
		int k = snprintf(path, sizeof path, "%s/container_alerts.log", cfg->output_dir);
		if (k < 0 || (size_t)k >= sizeof path) {
			fprintf(stderr, "lookout: output directory path too long\n");
			return 2;
		}
		log_path = path;
	}
	if (cfg->log_file && *cfg->log_file && log_open(cfg->log_file, (enum log_level)cfg->log_level)) {
		fprintf(stderr, "lookout: cannot open log file %s: %s\n", cfg->log_file, strerror(errno));
		return 1;
	}
	if (!(cfg->log_file && *cfg->log_file))
		log_set_level((enum log_level)cfg->log_level);
	if (cfg->notify_health) {
		log_close();
		return run_health(cfg, log_path);
	}
	/* No mail route at all: say so and wait rather than exit, so that a compose stack started without email
	 * settings does not restart this service in a loop (its health check says it is not running). */
	bool no_route = !(cfg->smtp_host && *cfg->smtp_host) && !(cfg->aws_region && *cfg->aws_region);
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	char err[1024];
	int st;
	struct notifier *n = NULL;
	if (no_route) {
		fprintf(stderr, "lookout: email alerts are off: neither AWS_REGION nor SMTP_HOST is set; waiting (set one "
		                "and restart; lookout notify --test checks the settings)\n");
		log_warn("email alerts are off: neither AWS_REGION nor SMTP_HOST is set");
	} else if (!(n = notifier_start(cfg, log_path, &st, err, sizeof err))) {
		fprintf(stderr, "lookout: %s\n", err);
		log_close();
		return st;
	}
	for (;;) {
		int sig;
		if (sigwait(&set, &sig))
			continue;
		if (sig == SIGHUP) {
			log_reopen();
			continue;
		}
		log_info("stopping (%s)", sig == SIGTERM ? "SIGTERM" : "SIGINT");
		break;
	}
	if (n)
		notifier_stop(n);
	log_info("stopped");
	log_close();
	return 0;
}
