/* notify.c — the alert service's decisions. For every (container, alert) it keeps the state the alert log
 * says and the state the recipients were last told; an email tells them the difference, once per buffer,
 * at once for a critical alert, never a repeat within the cooldown, nothing for what is muted or silenced.
 * It neither reads files nor sends: notifier.c feeds it lines and mails what it returns. */
#include "notify.h"

#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alertlog.h"

enum told { TOLD_NOTHING = 0, TOLD_FIRING, TOLD_RESOLVED };
static const char *const told_names[] = {"nothing", "firing", "resolved"};

struct nkey {
	struct alert_transition last; /* the latest transition of this alert (its details go in the email) */
	enum told told;               /* what the recipients were last told */
	int64_t told_fire_ms;         /* when they were last told it fires (the cooldown counts from here) */
	bool dirty;                   /* changed since last told: decide at the next take */
};

struct notify {
	struct notify_opts o;
	struct nkey *k;
	size_t n, cap;
	int64_t buffer_open_ms; /* 0: no buffer open */
	bool urgent;            /* a critical alert fired: take now */
	struct silence *sil;
	size_t nsil;
};

bool silence_matches(const struct silence *s, const char *container, enum alert_kind kind, int64_t now_ms)
{
	if (now_ms >= s->until_ms)
		return false;
	if (s->kind >= 0 && s->kind != (int)kind)
		return false;
	return s->container[0] == '\0' || fnmatch(s->container, container, 0) == 0;
}

struct notify *notify_new(const struct notify_opts *o)
{
	struct notify *n = calloc(1, sizeof *n);
	if (n)
		n->o = *o;
	return n;
}

void notify_free(struct notify *n)
{
	if (!n)
		return;
	free(n->k);
	free(n->sil);
	free(n);
}

static const char *key_name(const struct alert_transition *t)
{
	return t->container[0] ? t->container : t->container_id;
}

/* Hosts match when equal, or when one is unknown (a log or state written before alerts carried hosts). */
static bool same_host(const char *a, const char *b)
{
	return !a[0] || !b[0] || strcmp(a, b) == 0;
}

/* An alert's key: its container's name (or id) and host, and its kind (one "web" per host). */
static struct nkey *find(struct notify *n, const char *container, const char *host, enum alert_kind kind)
{
	for (size_t i = 0; i < n->n; i++)
		if (n->k[i].last.kind == kind && strcmp(key_name(&n->k[i].last), container) == 0 &&
		    same_host(n->k[i].last.host, host))
			return &n->k[i];
	return NULL;
}

static struct nkey *find_or_add(struct notify *n, const struct alert_transition *t)
{
	struct nkey *k = find(n, key_name(t), t->host, t->kind);
	if (k)
		return k;
	if (n->n == n->cap) {
		size_t cap = n->cap ? n->cap * 2 : 16;
		struct nkey *nk = realloc(n->k, cap * sizeof *nk);
		if (!nk)
			return NULL;
		n->k = nk;
		n->cap = cap;
	}
	k = &n->k[n->n++];
	memset(k, 0, sizeof *k);
	k->last = *t;
	return k;
}

int notify_feed(struct notify *n, const struct alert_transition *t, int64_t now_ms)
{
	if ((unsigned)t->kind >= ALERT_KIND_COUNT)
		return 0;
	struct nkey *k = find_or_add(n, t);
	if (!k)
		return -1;
	k->last = *t;
	k->dirty = true;
	if (!n->buffer_open_ms)
		n->buffer_open_ms = now_ms ? now_ms : 1;
	if (t->firing && alert_kind_severity(t->kind) == ALERT_CRITICAL)
		n->urgent = true;
	return 0;
}

int notify_set_silences(struct notify *n, const struct silence *s, size_t count)
{
	struct silence *copy = NULL;
	if (count) {
		copy = malloc(count * sizeof *copy);
		if (!copy)
			return -1;
		memcpy(copy, s, count * sizeof *copy);
	}
	free(n->sil);
	n->sil = copy;
	n->nsil = count;
	return 0;
}

/* A container that is down mutes its health, CPU, memory and response-time alerts. */
static bool muted(const struct notify *n, const struct nkey *k)
{
	enum alert_kind kind = k->last.kind;
	if (kind != ALERT_HEALTH_FAILED && kind != ALERT_HIGH_CPU && kind != ALERT_HIGH_MEMORY &&
	    kind != ALERT_SLOW_RESPONSE)
		return false;
	const char *name = key_name(&k->last);
	for (size_t i = 0; i < n->n; i++)
		if (n->k[i].last.kind == ALERT_CONTAINER_DOWN && n->k[i].last.firing &&
		    strcmp(key_name(&n->k[i].last), name) == 0 && same_host(n->k[i].last.host, k->last.host))
			return true;
	return false;
}

/* The end of the longest silence covering k at now_ms, or 0 when none does. */
static int64_t silenced_until(const struct notify *n, const struct nkey *k, int64_t now_ms)
{
	int64_t until = 0;
	for (size_t i = 0; i < n->nsil; i++)
		if (silence_matches(&n->sil[i], key_name(&k->last), k->last.kind, now_ms) && n->sil[i].until_ms > until)
			until = n->sil[i].until_ms;
	return until;
}

static int64_t cooldown_end(const struct notify *n, const struct nkey *k)
{
	return k->told_fire_ms ? k->told_fire_ms + n->o.cooldown_ms : 0;
}

int64_t notify_next_due(const struct notify *n)
{
	int64_t due = INT64_MAX;
	if (n->urgent)
		return 0;
	if (n->buffer_open_ms)
		due = n->buffer_open_ms + n->o.buffer_ms;
	for (size_t i = 0; i < n->n; i++) {
		const struct nkey *k = &n->k[i];
		if (!k->dirty || !k->last.firing || k->told == TOLD_FIRING || muted(n, k))
			continue;
		/* Something waits: for a silence to end (recomputed against every silence still known), or for
		 * its cooldown. Silences that already ended count as 0. */
		int64_t until = 0;
		for (size_t s = 0; s < n->nsil; s++)
			if (n->sil[s].until_ms > until &&
			    silence_matches(&n->sil[s], key_name(&k->last), k->last.kind, n->sil[s].until_ms - 1))
				until = n->sil[s].until_ms;
		int64_t c = cooldown_end(n, k);
		int64_t t = until > c ? until : c;
		if (t && t < due)
			due = t;
	}
	return due;
}

int notify_take(struct notify *n, int64_t now_ms, struct email_item **items, size_t *count)
{
	*items = NULL;
	*count = 0;
	if (now_ms < notify_next_due(n))
		return 0;
	struct email_item *out = NULL;
	size_t nout = 0;
	for (size_t i = 0; i < n->n; i++) {
		struct nkey *k = &n->k[i];
		if (!k->dirty)
			continue;
		bool firing = k->last.firing;
		if (muted(n, k) || silenced_until(n, k, now_ms)) {
			/* A muted alert that stops is forgotten quietly; one that fires waits for the mute to end. */
			if (!firing) {
				if (k->told == TOLD_FIRING)
					k->told = TOLD_RESOLVED;
				k->dirty = false;
			}
			continue;
		}
		bool send = false;
		if (firing && k->told != TOLD_FIRING) {
			int64_t c = cooldown_end(n, k);
			if (c && now_ms < c)
				continue; /* held: it goes out when the cooldown ends, if it still fires */
			send = true;
			k->told = TOLD_FIRING;
			k->told_fire_ms = now_ms;
		} else if (!firing && k->told == TOLD_FIRING) {
			send = n->o.resolved;
			k->told = TOLD_RESOLVED;
		}
		/* Anything else (a flap inside the buffer, a repeat of what they know) needs no email. */
		k->dirty = false;
		if (!send)
			continue;
		struct email_item *grown = realloc(out, (nout + 1) * sizeof *out);
		if (!grown) {
			free(out);
			return -1;
		}
		out = grown;
		out[nout++].t = k->last;
	}
	n->buffer_open_ms = 0;
	n->urgent = false;
	/* Forget alerts nobody needs to hear about again and whose cooldown is over. */
	size_t w = 0;
	for (size_t i = 0; i < n->n; i++) {
		struct nkey *k = &n->k[i];
		bool keep = k->dirty || k->last.firing || k->told == TOLD_FIRING || now_ms < cooldown_end(n, k);
		if (keep)
			n->k[w++] = *k;
	}
	n->n = w;
	*items = out;
	*count = nout;
	return (int)nout;
}

/* ---- state file lines -------------------------------------------------------------------------------- */

int notify_save(const struct notify *n, struct buf *out)
{
	struct buf line, t;
	buf_init(&line);
	buf_init(&t);
	int rc = 0;
	char num[32];
	snprintf(num, sizeof num, "%lld", (long long)n->buffer_open_ms);
	rc |= buf_puts(&line, "nbuf");
	rc |= logfmt_append(&line, "open", num);
	rc |= logfmt_append(&line, "urgent", n->urgent ? "1" : "0");
	rc |= buf_puts(&line, "\n");
	for (size_t i = 0; i < n->n && rc == 0; i++) {
		const struct nkey *k = &n->k[i];
		buf_reset(&t);
		rc |= alertlog_format(&t, &k->last);
		if (rc)
			break;
		t.data[--t.len] = '\0'; /* the "\n" */
		rc |= buf_puts(&line, "nkey");
		rc |= logfmt_append(&line, "told", told_names[k->told]);
		snprintf(num, sizeof num, "%lld", (long long)k->told_fire_ms);
		rc |= logfmt_append(&line, "told_fire", num);
		rc |= logfmt_append(&line, "dirty", k->dirty ? "1" : "0");
		rc |= logfmt_append(&line, "t", t.data);
		rc |= buf_puts(&line, "\n");
	}
	if (rc == 0)
		rc = buf_append(out, line.data ? line.data : "", line.len);
	buf_free(&line);
	buf_free(&t);
	return rc ? -1 : 0;
}

int notify_load_line(struct notify *n, const char *line, size_t len, char *err, size_t errlen)
{
	bool is_key = len > 5 && strncmp(line, "nkey ", 5) == 0;
	bool is_buf = len > 5 && strncmp(line, "nbuf ", 5) == 0;
	if (!is_key && !is_buf)
		return 0;
	const char *p = line + 5, *end = line + len;
	char key[32];
	struct buf val;
	buf_init(&val);
	struct nkey k;
	memset(&k, 0, sizeof k);
	bool have_t = false, bad_t = false;
	int rc;
	while ((rc = logfmt_next(&p, end, key, sizeof key, &val, err, errlen)) == 1) {
		int64_t v = 0;
		if (strcmp(key, "t") == 0) {
			/* Into a copy: a t= that does not parse (even after one that did) leaves nothing half-read. */
			struct alert_transition t;
			if (alertlog_parse(val.data, val.len, &t, err, errlen)) {
				bad_t = true;
				break;
			}
			k.last = t;
			have_t = true;
		} else if (strcmp(key, "told") == 0) {
			for (int i = 0; i < 3; i++)
				if (strcmp(val.data, told_names[i]) == 0)
					k.told = (enum told)i;
		} else if (parse_int64(val.data, &v) == 0) {
			if (strcmp(key, "told_fire") == 0)
				k.told_fire_ms = v;
			else if (strcmp(key, "dirty") == 0)
				k.dirty = v != 0;
			else if (strcmp(key, "open") == 0)
				n->buffer_open_ms = v;
			else if (strcmp(key, "urgent") == 0)
				n->urgent = v != 0;
		}
	}
	buf_free(&val);
	if (rc < 0 || bad_t)
		return -1;
	if (is_buf)
		return 1;
	if (!have_t) {
		snprintf(err, errlen, "an alert record without its transition");
		return -1;
	}
	struct nkey *slot = find_or_add(n, &k.last);
	if (!slot) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	*slot = k;
	return 1;
}
