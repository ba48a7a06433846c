/* mail.h — delivery of one finished message over SMTP with libesmtp: Amazon SES by default (host from
 * AWS_REGION, password derived from the secret key), STARTTLS required with our own SSL_CTX (TLS 1.2 at
 * most, certificate checked against the host, SNI sent), AUTH PLAIN/LOGIN, the whole attempt bounded in
 * time, and every failure sorted into temporary or permanent with the server's words and a fix to try.
 * It sends what it is given; it never builds messages (email.c) or retries (notifier.c). */
#ifndef LOOKOUT_MAIL_H
#define LOOKOUT_MAIL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "config.h"

struct mail_settings {
	char host[256];
	int port;
	bool tls;           /* STARTTLS required and the certificate verified */
	char ca_file[1024]; /* "" = the system's CAs only */
	char user[256];     /* "" = no AUTH */
	char password[256]; /* secret: never printed */
	char sender[256];
	double timeout_s;   /* bound of one whole attempt */
	bool ses;           /* host and password came from AWS_REGION and the AWS keys */
};

/* Fills ms from cfg: SMTP_HOST/PORT/USERNAME/PASSWORD when set, else SES from AWS_REGION; secrets from the
 * variable or its *_FILE; SENDER_EMAIL validated. Refuses port 465 (implicit TLS) and a missing host,
 * sender or credentials with one line that says what to set. 0 or -1 with err (never holding a secret). */
int mail_settings_load(const struct config *cfg, struct mail_settings *ms, char *err, size_t errlen);
void mail_settings_wipe(struct mail_settings *ms); /* clears the password from memory */

/* The SES SMTP password for an IAM secret access key in region (AWS's documented derivation: HMAC-SHA256
 * chain, version byte 4, base64). 0, or -1 when out is too small. */
int ses_smtp_password(const char *secret, const char *region, char *out, size_t outlen);

enum mail_status { MAIL_SENT = 0, MAIL_TEMPORARY, MAIL_PERMANENT };

struct mail_result {
	enum mail_status status;
	int code;            /* the SMTP reply code that decided, 0 when none (a local or network error) */
	char what[512];      /* what happened, with the server's own words (sanitised) */
	char fix[256];       /* what to try, "" when nothing useful can be said */
	char rejected[512];  /* recipients the server refused while accepting the message for others */
	char retry_rcpt[16384]; /* of those, the ones refused with a temporary 4xx: comma list, "" = none */
	char refused[512];   /* of those, the ones refused for good (5xx), each with the server's words, "" = none */
};

/* An attempt that ran past its bound and goes on by itself (see mail_send). */
struct mail_pending;

/* Delivers data (a whole RFC 5322 message with CRLF line ends, NUL-terminated) from ms->sender to rcpt.
 * Blocks at most about ms->timeout_s + 2 s: the SMTP session runs on a worker thread; when it overruns, the
 * attempt counts as a temporary failure and the worker is left to finish on its own. Such a TEMPORARY result
 * ("no answer within SMTP_TIMEOUT") is not final: each SMTP step has the whole SMTP_TIMEOUT, so a slow but
 * working server may still accept the message afterwards. With pending non-NULL, an overrun sets *pending to
 * a handle on that unfinished attempt (else *pending = NULL): a caller must not send the message again until
 * mail_pending_done says it is over. When *cancel (may be NULL) becomes true, it returns within about 0.2 s
 * with a temporary failure (and no pending handle). Thread-safe. */
void mail_send(const struct mail_settings *ms, const char *const *rcpt, size_t nrcpt, const char *data,
               const atomic_bool *cancel, struct mail_result *res, struct mail_pending **pending);

/* Whether the attempt behind p has finished; if so its real result is copied to *res. Never blocks. */
bool mail_pending_done(struct mail_pending *p, struct mail_result *res);

/* Lets go of p (the attempt, if still running, finishes on its own). NULL is fine. */
void mail_pending_free(struct mail_pending *p);

#endif
