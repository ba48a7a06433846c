/* email.h — the alert email as RFC 5322 text: headers made safe from untrusted text (control characters
 * stripped, RFC 2047 for non-ASCII), address validation, the subject that counts alerts, and a MIME
 * UTF-8 plain-text body with a small HTML alternative. Pure formatting: it never sends and never decides
 * which alerts go out (notify.c does). */
#ifndef LOOKOUT_EMAIL_H
#define LOOKOUT_EMAIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "alert.h"
#include "util.h"

/* One alert in an email: the transition it reports (firing or resolved). */
struct email_item {
	struct alert_transition t;
};

struct email_opts {
	const char *from;             /* validated address */
	const char *const *to;        /* validated addresses of this message */
	size_t nto;
	const char *public_url;       /* "" or NULL: no links */
	const char *host;             /* where lookout runs, shown in the body (untrusted: sanitised) */
	int64_t now_ms;               /* Date header and durations */
	const char *id_salt;          /* mixed into the Message-ID (e.g. the recipient batch); may be NULL */
};

/* A conservative addr-spec check (local@domain, dot-atom local part, LDH domain labels, at most 254
 * bytes): anything that could carry a header or an SMTP command (CR, LF, '<', '>', ',', space, ...) fails. */
bool email_address_valid(const char *addr);

/* Appends s with every control character (C0, DEL, C1) replaced by a space and invalid UTF-8 by '?', at
 * most max_bytes bytes (0 = all, never cutting a UTF-8 sequence). For anything that reaches a header or a
 * line of the body. 0 or -1 (ENOMEM). */
int email_clean_text(struct buf *b, const char *s, size_t max_bytes);

/* Appends "Name: value\r\n" for an unstructured header: value cleaned as above; when it holds non-ASCII,
 * encoded as RFC 2047 UTF-8 "B" words, folded so no line exceeds 78 characters. 0 or -1. */
int email_header(struct buf *b, const char *name, const char *value);

/* The subject line for these items, e.g. "[lookout] 3 firing on web-1, db: high CPU, container down"
 * (not yet encoded; email_header does that). Appends to b. 0 or -1. */
int email_subject(struct buf *b, const struct email_item *items, size_t n);

/* Writes into id (at least 65 bytes) the hex SHA-256 of the items' identities (container, kind, state,
 * time) and salt, so that a repeat of the same email carries the same Message-ID. */
void email_message_key(const struct email_item *items, size_t n, const char *salt, char *id, size_t idlen);

/* Appends the whole message (headers, CRLF line ends, multipart/alternative body) to out. 0 or -1. */
int email_compose(struct buf *out, const struct email_item *items, size_t n, const struct email_opts *o);

/* The test message of `lookout notify --test`. 0 or -1. */
int email_compose_test(struct buf *out, const struct email_opts *o);

/* Human label of an alert kind: "container down", "high CPU", ... */
const char *email_kind_label(enum alert_kind k);

#endif
