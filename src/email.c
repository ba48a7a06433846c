/* email.c — builds alert emails: safe headers (no control character from a container name, label or
 * health-check output ever reaches one; non-ASCII as RFC 2047), the counting subject, and a base64 MIME
 * body in plain text and HTML. It formats only; sending is mail.c's job and choosing alerts notify.c's. */
#include "email.h"

#include <math.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alertlog.h"

const char *email_kind_label(enum alert_kind k)
{
	switch (k) {
	case ALERT_CONTAINER_DOWN:
		return "container down";
	case ALERT_HEALTH_FAILED:
		return "health check failing";
	case ALERT_OOM:
		return "OOM kill";
	case ALERT_RESTART_LOOP:
		return "restart loop";
	case ALERT_HIGH_CPU:
		return "high CPU";
	case ALERT_HIGH_MEMORY:
		return "high memory";
	case ALERT_SLOW_RESPONSE:
		return "slow response";
	case ALERT_KIND_COUNT:
		break;
	}
	return "alert";
}

/* ---- addresses and header text ----------------------------------------------------------------------- */

static bool atext(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || strchr("!#$%&'*+/=?^_`{|}~-", c);
}

bool email_address_valid(const char *addr)
{
	if (!addr)
		return false;
	size_t n = strlen(addr);
	const char *at = strrchr(addr, '@');
	if (n == 0 || n > 254 || !at || at == addr || (size_t)(at - addr) > 64 || at[1] == '\0')
		return false;
	/* local part: dot-atom */
	bool prev_dot = true;
	for (const char *p = addr; p < at; p++) {
		unsigned char c = (unsigned char)*p;
		if (c == '.') {
			if (prev_dot)
				return false;
			prev_dot = true;
		} else if (c && atext(c)) {
			prev_dot = false;
		} else {
			return false;
		}
	}
	if (prev_dot)
		return false;
	/* domain: LDH labels separated by dots, at least two labels */
	int labels = 0;
	size_t label_len = 0;
	for (const char *p = at + 1;; p++) {
		unsigned char c = (unsigned char)*p;
		if (c == '.' || c == '\0') {
			if (label_len == 0 || label_len > 63 || p[-1] == '-')
				return false;
			labels++;
			label_len = 0;
			if (c == '\0')
				break;
			continue;
		}
		bool ldh = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
		if (!ldh || (label_len == 0 && c == '-'))
			return false;
		label_len++;
	}
	return labels >= 2;
}

int email_clean_text(struct buf *b, const char *s, size_t max_bytes)
{
	const unsigned char *u = (const unsigned char *)(s ? s : "");
	size_t n = strlen((const char *)u);
	if (max_bytes && n > max_bytes)
		n = max_bytes;
	int rc = buf_append(b, "", 0);
	for (size_t i = 0; i < n && rc == 0;) {
		unsigned char c = u[i];
		if (c < 0x20 || c == 0x7F) {
			rc = buf_puts(b, " ");
			i++;
			continue;
		}
		size_t len = utf8_seq_len(u + i, n - i);
		if (len == 2 && c == 0xC2 && u[i + 1] < 0xA0) { /* a C1 control (U+0080..U+009F) */
			rc = buf_puts(b, " ");
			i += 2;
			continue;
		}
		if (len == 0) {
			rc = buf_puts(b, "?");
			i++;
			continue;
		}
		rc = buf_append(b, u + i, len);
		i += len;
	}
	return rc;
}

static int b64(struct buf *b, const unsigned char *p, size_t n)
{
	unsigned char out[4 * 64 / 3 + 8];
	for (size_t i = 0; i < n; i += 48) {
		size_t k = n - i < 48 ? n - i : 48;
		int w = EVP_EncodeBlock(out, p + i, (int)k);
		if (w < 0 || buf_append(b, out, (size_t)w))
			return -1;
	}
	return 0;
}

int email_header(struct buf *b, const char *name, const char *value)
{
	struct buf v;
	buf_init(&v);
	if (email_clean_text(&v, value, 0)) {
		buf_free(&v);
		return -1;
	}
	bool ascii = true;
	for (size_t i = 0; i < v.len; i++)
		ascii = ascii && (unsigned char)v.data[i] < 0x80;
	int rc = buf_printf(b, "%s:", name);
	size_t col = strlen(name) + 1;
	if (ascii) {
		/* Fold at spaces so no line passes 78 characters (a single long word stays whole). */
		const char *p = v.data, *end = v.data + v.len;
		while (rc == 0 && p < end) {
			const char *sp = memchr(p + 1, ' ', (size_t)(end - p - 1));
			const char *word_end = sp ? sp : end;
			size_t wl = (size_t)(word_end - p);
			if (p == v.data) {
				rc = buf_puts(b, " ");
				col++;
			} else if (col + wl > 78) {
				rc = buf_puts(b, "\r\n");
				col = 0;
			}
			rc = rc ? rc : buf_append(b, p, wl);
			col += wl;
			p = word_end;
		}
	} else {
		/* RFC 2047 B words of at most 39 bytes of text (52 base64 characters), cut at UTF-8 boundaries. */
		const unsigned char *u = (const unsigned char *)v.data;
		size_t i = 0;
		bool first = true;
		while (rc == 0 && i < v.len) {
			size_t take = 0;
			while (i + take < v.len) {
				size_t l = utf8_seq_len(u + i + take, v.len - i - take);
				if (l == 0)
					l = 1;
				if (take + l > 39)
					break;
				take += l;
			}
			rc = buf_puts(b, first ? " =?UTF-8?B?" : "\r\n =?UTF-8?B?");
			rc = rc ? rc : b64(b, u + i, take);
			rc = rc ? rc : buf_puts(b, "?=");
			i += take;
			first = false;
		}
	}
	if (rc == 0)
		rc = buf_puts(b, "\r\n");
	buf_free(&v);
	return rc;
}

/* ---- subject and message key ------------------------------------------------------------------------- */

static const char *name_of(const struct alert_transition *t)
{
	return t->container[0] ? t->container : t->container_id[0] ? t->container_id : "?";
}

int email_subject(struct buf *b, const struct email_item *items, size_t n)
{
	size_t firing = 0, resolved = 0;
	for (size_t i = 0; i < n; i++)
		items[i].t.firing ? firing++ : resolved++;
	int rc = buf_puts(b, "[lookout] ");
	if (firing)
		rc |= buf_printf(b, "%zu firing", firing);
	if (resolved)
		rc |= buf_printf(b, "%s%zu resolved", firing ? ", " : "", resolved);
	/* The host (engine) of the alerts: one for all ("on web, db @ node1"), or each name's ("web@a, web@b"). */
	bool one_host = true;
	for (size_t i = 1; i < n; i++)
		one_host &= strcmp(items[i].t.host, items[0].t.host) == 0;
	/* Containers in order of first appearance, at most three named. */
	size_t shown = 0, distinct = 0;
	for (size_t i = 0; i < n; i++) {
		bool seen = false;
		for (size_t j = 0; j < i && !seen; j++)
			seen = strcmp(name_of(&items[j].t), name_of(&items[i].t)) == 0 &&
			       strcmp(items[j].t.host, items[i].t.host) == 0;
		if (seen)
			continue;
		distinct++;
		if (shown < 3) {
			rc |= buf_puts(b, shown ? ", " : " on ");
			rc |= email_clean_text(b, name_of(&items[i].t), 40);
			if (!one_host && items[i].t.host[0]) {
				rc |= buf_puts(b, "@");
				rc |= email_clean_text(b, items[i].t.host, 40);
			}
			shown++;
		}
	}
	if (distinct > shown)
		rc |= buf_printf(b, " and %zu more", distinct - shown);
	if (n && one_host && items[0].t.host[0]) {
		rc |= buf_puts(b, " @ ");
		rc |= email_clean_text(b, items[0].t.host, 60);
	}
	/* Kinds: the firing ones first, each once. */
	bool listed[ALERT_KIND_COUNT] = {false};
	bool any = false;
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < n; i++) {
			const struct alert_transition *t = &items[i].t;
			if (t->firing != (pass == 0) || (unsigned)t->kind >= ALERT_KIND_COUNT || listed[t->kind])
				continue;
			listed[t->kind] = true;
			rc |= buf_puts(b, any ? ", " : ": ");
			rc |= buf_puts(b, email_kind_label(t->kind));
			any = true;
		}
	}
	return rc ? -1 : 0;
}

void email_message_key(const struct email_item *items, size_t n, const char *salt, char *id, size_t idlen)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	if (c && EVP_DigestInit_ex(c, EVP_sha256(), NULL) == 1) {
		for (size_t i = 0; i < n; i++) {
			const struct alert_transition *t = &items[i].t;
			char head[96];
			int l = snprintf(head, sizeof head, "%d|%d|%lld|%llu|", (int)t->kind, t->firing ? 1 : 0,
			                 (long long)t->ts_ms, (unsigned long long)t->seq);
			EVP_DigestUpdate(c, head, (size_t)l);
			EVP_DigestUpdate(c, t->container, strlen(t->container) + 1);
		}
		if (salt)
			EVP_DigestUpdate(c, salt, strlen(salt));
		EVP_DigestFinal_ex(c, md, &mdlen);
	}
	EVP_MD_CTX_free(c);
	size_t o = 0;
	for (size_t i = 0; i < mdlen && o + 3 <= idlen; i++, o += 2)
		snprintf(id + o, 3, "%02x", md[i]);
	if (idlen)
		id[o < idlen ? o : idlen - 1] = '\0';
}

/* ---- the body ---------------------------------------------------------------------------------------- */

static const char *const wday[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
static const char *const mon[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

/* RFC 5322 date, independent of the locale. */
static int rfc5322_date(struct buf *b, int64_t ms)
{
	time_t s = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&s, &tm);
	return buf_printf(b, "%s, %02d %s %04d %02d:%02d:%02d +0000", wday[tm.tm_wday], tm.tm_mday, mon[tm.tm_mon],
	                  tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static int human_time(struct buf *b, int64_t ms)
{
	time_t s = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&s, &tm);
	return buf_printf(b, "%04d-%02d-%02d %02d:%02d:%02d UTC", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
	                  tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static int human_duration(struct buf *b, int64_t ms)
{
	int64_t s = ms / 1000;
	if (s < 0)
		s = 0;
	if (s < 120)
		return buf_printf(b, "%llds", (long long)s);
	if (s < 7200)
		return buf_printf(b, "%lldm %llds", (long long)(s / 60), (long long)(s % 60));
	if (s < 172800)
		return buf_printf(b, "%lldh %lldm", (long long)(s / 3600), (long long)(s % 3600 / 60));
	return buf_printf(b, "%lldd %lldh", (long long)(s / 86400), (long long)(s % 86400 / 3600));
}

/* "95.3 % (threshold 40 %)" for the kinds where numbers mean something; empty otherwise. */
static int value_text(struct buf *b, const struct alert_transition *t)
{
	const char *unit;
	switch (t->kind) {
	case ALERT_HIGH_CPU:
	case ALERT_HIGH_MEMORY:
		unit = " %";
		break;
	case ALERT_SLOW_RESPONSE:
		unit = " ms";
		break;
	case ALERT_RESTART_LOOP:
		unit = " restarts";
		break;
	default:
		return 0;
	}
	int rc = 0;
	if (!isnan(t->value))
		rc |= buf_printf(b, t->kind == ALERT_SLOW_RESPONSE || t->kind == ALERT_RESTART_LOOP ? "%.0f%s" : "%.1f%s",
		                 t->value, unit);
	if (!isnan(t->threshold))
		rc |= buf_printf(b, "%s(threshold %g%s)", isnan(t->value) ? "" : " ", t->threshold, unit);
	return rc;
}

static int url_encode(struct buf *b, const char *s)
{
	int rc = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p && rc == 0; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || strchr("-._~", *p))
			rc = buf_append(b, p, 1);
		else
			rc = buf_printf(b, "%%%02X", *p);
	}
	return rc;
}

static int link_for(struct buf *b, const char *public_url, const struct alert_transition *t)
{
	size_t ul = strlen(public_url);
	while (ul && public_url[ul - 1] == '/')
		ul--;
	int rc = email_clean_text(b, public_url, ul);
	rc |= buf_puts(b, "/?container=");
	rc |= url_encode(b, name_of(t));
	return rc;
}

static int html_escape(struct buf *b, const char *s)
{
	struct buf c;
	buf_init(&c);
	int rc = email_clean_text(&c, s, 0);
	for (size_t i = 0; rc == 0 && i < c.len; i++) {
		switch (c.data[i]) {
		case '&':
			rc = buf_puts(b, "&amp;");
			break;
		case '<':
			rc = buf_puts(b, "&lt;");
			break;
		case '>':
			rc = buf_puts(b, "&gt;");
			break;
		case '"':
			rc = buf_puts(b, "&quot;");
			break;
		case '\'':
			rc = buf_puts(b, "&#39;");
			break;
		default:
			rc = buf_append(b, &c.data[i], 1);
		}
	}
	buf_free(&c);
	return rc;
}

/* The same container: the same name on the same host (two hosts may each run a "web"). */
static bool same_container(const struct alert_transition *a, const struct alert_transition *b)
{
	return strcmp(name_of(a), name_of(b)) == 0 && strcmp(a->host, b->host) == 0;
}

/* Items grouped by container (stable: order of first appearance). Fills order[] with item indexes. */
static void group_order(const struct email_item *items, size_t n, size_t *order)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		bool seen = false;
		for (size_t j = 0; j < i && !seen; j++)
			seen = same_container(&items[j].t, &items[i].t);
		if (seen)
			continue;
		for (size_t j = i; j < n; j++)
			if (same_container(&items[j].t, &items[i].t))
				order[k++] = j;
	}
}

static int text_body(struct buf *b, const struct email_item *items, size_t n, const size_t *order,
                     const struct email_opts *o)
{
	int rc = buf_puts(b, "lookout");
	if (o->host && *o->host) {
		rc |= buf_puts(b, " on ");
		rc |= email_clean_text(b, o->host, 100);
	}
	rc |= buf_puts(b, "\r\n");
	const struct alert_transition *prev = NULL;
	for (size_t k = 0; k < n && rc == 0; k++) {
		const struct alert_transition *t = &items[order[k]].t;
		if (!prev || !same_container(prev, t)) {
			rc |= buf_puts(b, "\r\n== ");
			rc |= email_clean_text(b, name_of(t), 200);
			rc |= buf_puts(b, " ==\r\n");
			if (t->host[0]) {
				rc |= buf_puts(b, "host ");
				rc |= email_clean_text(b, t->host, 100);
				rc |= buf_puts(b, "\r\n");
			}
			prev = t;
		}
		rc |= buf_printf(b, "%s  %s", t->firing ? "FIRING  " : "RESOLVED", email_kind_label(t->kind));
		size_t before = b->len;
		rc |= buf_puts(b, "  ");
		rc |= value_text(b, t);
		if (b->len == before + 2)
			b->len = before, b->data[b->len] = '\0';
		rc |= buf_puts(b, "\r\n    at ");
		rc |= human_time(b, t->ts_ms);
		if (t->since_ms) {
			rc |= buf_puts(b, t->firing ? ", for " : ", lasted ");
			rc |= human_duration(b, (t->firing ? o->now_ms : t->ts_ms) - t->since_ms);
			rc |= buf_puts(b, " (since ");
			rc |= human_time(b, t->since_ms);
			rc |= buf_puts(b, ")");
		}
		rc |= buf_puts(b, "\r\n");
		if (t->msg[0]) {
			rc |= buf_puts(b, "    ");
			rc |= email_clean_text(b, t->msg, 400);
			rc |= buf_puts(b, "\r\n");
		}
		if (o->public_url && *o->public_url) {
			rc |= buf_puts(b, "    ");
			rc |= link_for(b, o->public_url, t);
			rc |= buf_puts(b, "\r\n");
		}
	}
	if (rc == 0)
		rc = buf_puts(b, "\r\n-- \r\nSent by lookout's alert service. Mute with `lookout silence`.\r\n");
	return rc ? -1 : 0;
}

static int html_body(struct buf *b, const struct email_item *items, size_t n, const size_t *order,
                     const struct email_opts *o)
{
	int rc = buf_puts(b, "<!DOCTYPE html><html><head><meta charset=\"utf-8\"></head><body style=\"font-family:"
	                     "sans-serif\"><p>lookout");
	if (o->host && *o->host) {
		rc |= buf_puts(b, " on ");
		rc |= html_escape(b, o->host);
	}
	rc |= buf_puts(b, "</p>\r\n<table cellpadding=\"4\" style=\"border-collapse:collapse\">\r\n<tr><th align=\"left\">"
	                  "Container</th><th align=\"left\">State</th><th align=\"left\">Alert</th><th align=\"left\">"
	                  "Value</th><th align=\"left\">Since</th><th align=\"left\">Details</th></tr>\r\n");
	for (size_t k = 0; k < n && rc == 0; k++) {
		const struct alert_transition *t = &items[order[k]].t;
		rc |= buf_puts(b, "<tr><td>");
		if (o->public_url && *o->public_url) {
			struct buf l;
			buf_init(&l);
			rc |= link_for(&l, o->public_url, t);
			rc |= buf_puts(b, "<a href=\"");
			rc |= html_escape(b, l.data ? l.data : "");
			rc |= buf_puts(b, "\">");
			rc |= html_escape(b, name_of(t));
			rc |= buf_puts(b, "</a>");
			buf_free(&l);
		} else {
			rc |= html_escape(b, name_of(t));
		}
		if (t->host[0]) {
			rc |= buf_puts(b, " @ ");
			rc |= html_escape(b, t->host);
		}
		rc |= buf_printf(b, "</td><td style=\"color:%s\"><b>%s</b></td><td>%s</td><td>",
		                 t->firing ? "#b00" : "#070", t->firing ? "FIRING" : "resolved", email_kind_label(t->kind));
		struct buf v;
		buf_init(&v);
		rc |= value_text(&v, t);
		rc |= html_escape(b, v.data ? v.data : "");
		buf_free(&v);
		rc |= buf_puts(b, "</td><td>");
		struct buf s;
		buf_init(&s);
		rc |= human_time(&s, t->since_ms ? t->since_ms : t->ts_ms);
		rc |= html_escape(b, s.data ? s.data : "");
		buf_free(&s);
		rc |= buf_puts(b, "</td><td>");
		rc |= html_escape(b, t->msg);
		rc |= buf_puts(b, "</td></tr>\r\n");
	}
	if (rc == 0)
		rc = buf_puts(b, "</table></body></html>\r\n");
	return rc ? -1 : 0;
}

static int base64_lines(struct buf *b, const struct buf *in)
{
	unsigned char out[80];
	for (size_t i = 0; i < in->len; i += 57) {
		size_t k = in->len - i < 57 ? in->len - i : 57;
		int w = EVP_EncodeBlock(out, (const unsigned char *)in->data + i, (int)k);
		if (w < 0 || buf_append(b, out, (size_t)w) || buf_puts(b, "\r\n"))
			return -1;
	}
	return 0;
}

static int headers(struct buf *out, const struct email_opts *o, const char *subject, const char *key)
{
	int rc = buf_puts(out, "Date: ");
	rc |= rfc5322_date(out, o->now_ms);
	rc |= buf_puts(out, "\r\n");
	rc |= buf_printf(out, "From: lookout <%s>\r\n", o->from);
	rc |= buf_puts(out, "To:");
	size_t col = 3;
	for (size_t i = 0; i < o->nto; i++) {
		size_t l = strlen(o->to[i]);
		if (i && col + l + 2 > 78) {
			rc |= buf_puts(out, ",\r\n ");
			col = 1;
		} else {
			rc |= buf_puts(out, i ? ", " : " ");
			col += i ? 2 : 1;
		}
		rc |= buf_puts(out, o->to[i]);
		col += l;
	}
	rc |= buf_puts(out, "\r\n");
	rc |= email_header(out, "Subject", subject);
	const char *at = strrchr(o->from, '@');
	rc |= buf_printf(out, "Message-ID: <lookout.%.32s@%s>\r\n", key, at ? at + 1 : "lookout.invalid");
	rc |= buf_puts(out, "MIME-Version: 1.0\r\nAuto-Submitted: auto-generated\r\nX-Mailer: lookout\r\n");
	return rc;
}

static int multipart(struct buf *out, const char *key, const struct buf *text, const struct buf *html)
{
	int rc = buf_printf(out, "Content-Type: multipart/alternative; boundary=\"=_lookout_%.16s\"\r\n\r\n", key);
	rc |= buf_printf(out, "--=_lookout_%.16s\r\nContent-Type: text/plain; charset=UTF-8\r\n"
	                      "Content-Transfer-Encoding: base64\r\n\r\n", key);
	rc |= base64_lines(out, text);
	rc |= buf_printf(out, "\r\n--=_lookout_%.16s\r\nContent-Type: text/html; charset=UTF-8\r\n"
	                      "Content-Transfer-Encoding: base64\r\n\r\n", key);
	rc |= base64_lines(out, html);
	rc |= buf_printf(out, "\r\n--=_lookout_%.16s--\r\n", key);
	return rc;
}

int email_compose(struct buf *out, const struct email_item *items, size_t n, const struct email_opts *o)
{
	size_t *order = calloc(n ? n : 1, sizeof *order);
	if (!order)
		return -1;
	group_order(items, n, order);
	char key[65];
	email_message_key(items, n, o->id_salt, key, sizeof key);
	struct buf subject, text, html;
	buf_init(&subject);
	buf_init(&text);
	buf_init(&html);
	int rc = email_subject(&subject, items, n);
	rc |= text_body(&text, items, n, order, o);
	rc |= html_body(&html, items, n, order, o);
	rc |= headers(out, o, subject.data ? subject.data : "[lookout]", key);
	rc |= multipart(out, key, &text, &html);
	buf_free(&subject);
	buf_free(&text);
	buf_free(&html);
	free(order);
	return rc ? -1 : 0;
}

int email_compose_test(struct buf *out, const struct email_opts *o)
{
	char key[65];
	char salt[64];
	snprintf(salt, sizeof salt, "test-%lld", (long long)o->now_ms);
	email_message_key(NULL, 0, salt, key, sizeof key);
	struct buf text, html;
	buf_init(&text);
	buf_init(&html);
	int rc = buf_puts(&text, "This is a test message from lookout");
	if (o->host && *o->host) {
		rc |= buf_puts(&text, " on ");
		rc |= email_clean_text(&text, o->host, 100);
	}
	rc |= buf_puts(&text, ".\r\nAlert emails will reach this address.\r\n");
	rc |= buf_puts(&html, "<!DOCTYPE html><html><body><p>This is a test message from lookout");
	if (o->host && *o->host) {
		rc |= buf_puts(&html, " on ");
		rc |= html_escape(&html, o->host);
	}
	rc |= buf_puts(&html, ".</p><p>Alert emails will reach this address.</p></body></html>\r\n");
	rc |= headers(out, o, "[lookout] test message", key);
	rc |= multipart(out, key, &text, &html);
	buf_free(&text);
	buf_free(&html);
	return rc ? -1 : 0;
}
