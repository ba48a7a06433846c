/* mail.c — one SMTP delivery with libesmtp 1.1, minding its traps: a second TLS session in one process
 * needs the program's own SSL_CTX (smtp_starttls_set_ctx), TLS 1.3 session tickets can stall it (capped at
 * 1.2), it sends no SNI (added from the handshake callback), connect and DNS have no timeout (the session
 * runs on a worker thread the caller waits for with a deadline), smtp_errno() is sticky (consulted only
 * when the session itself failed, on a fresh thread), and headers are ours, never set through it.
 * Also settings (SES or any relay) and the SES password derivation. It never retries: notifier.c does. */
#include "autoconfig.h"
#include "mail.h"

#include <arpa/inet.h>
#include <errno.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifdef HAVE_ESMTP
#include <auth-client.h>
#include <libesmtp.h>
#endif

#include "email.h"
#include "util.h"

/* ---- settings ---------------------------------------------------------------------------------------- */

int ses_smtp_password(const char *secret, const char *region, char *out, size_t outlen)
{
	static const char *const chain[] = {"11111111", NULL, "ses", "aws4_request", "SendRawEmail"};
	unsigned char key[EVP_MAX_MD_SIZE + 1];
	unsigned int klen;
	size_t sl = strlen(secret);
	char *k0 = malloc(sl + 5);
	if (!k0)
		return -1;
	memcpy(k0, "AWS4", 4);
	memcpy(k0 + 4, secret, sl + 1);
	const unsigned char *k = (const unsigned char *)k0;
	int kl = (int)(sl + 4);
	for (size_t i = 0; i < ARRAY_LEN(chain); i++) {
		const char *m = chain[i] ? chain[i] : region;
		if (!HMAC(EVP_sha256(), k, kl, (const unsigned char *)m, strlen(m), key + 1, &klen)) {
			OPENSSL_cleanse(k0, sl + 5);
			free(k0);
			return -1;
		}
		k = key + 1;
		kl = (int)klen;
	}
	OPENSSL_cleanse(k0, sl + 5);
	free(k0);
	key[0] = 0x04; /* the version byte of SES SMTP passwords */
	size_t need = 4 * ((klen + 1 + 2) / 3) + 1;
	if (outlen < need) {
		OPENSSL_cleanse(key, sizeof key);
		return -1;
	}
	EVP_EncodeBlock((unsigned char *)out, key, (int)klen + 1);
	OPENSSL_cleanse(key, sizeof key);
	return 0;
}

/* A secret from its variable, else from its *_FILE (trailing newline and blanks cut). 0 (maybe empty) or
 * -1 with err naming the file, never its content. */
static int load_secret(const char *value, const char *file, const char *name, char *out, size_t outlen, char *err,
                       size_t errlen)
{
	out[0] = '\0';
	if (value && *value) {
		if (strlen(value) >= outlen) {
			snprintf(err, errlen, "%s is too long", name);
			return -1;
		}
		strcpy(out, value);
		return 0;
	}
	if (!file || !*file)
		return 0;
	size_t len;
	char *text = read_file(file, &len);
	if (!text) {
		snprintf(err, errlen, "cannot read %s_FILE %s: %s", name, file, strerror(errno));
		return -1;
	}
	while (len && (text[len - 1] == '\n' || text[len - 1] == '\r' || text[len - 1] == ' ' || text[len - 1] == '\t'))
		text[--len] = '\0';
	bool ctl = false;
	for (size_t i = 0; i < len; i++)
		ctl = ctl || (unsigned char)text[i] < 0x20 || text[i] == 0x7F;
	int rc = 0;
	if (ctl || len >= outlen) {
		snprintf(err, errlen, "%s_FILE %s: the secret must be one line of at most %zu characters", name, file,
		         outlen - 1);
		rc = -1;
	} else {
		memcpy(out, text, len + 1);
	}
	OPENSSL_cleanse(text, len);
	free(text);
	return rc;
}

static bool region_valid(const char *r)
{
	if (!*r || strlen(r) > 40)
		return false;
	for (; *r; r++)
		if (!((*r >= 'a' && *r <= 'z') || (*r >= '0' && *r <= '9') || *r == '-'))
			return false;
	return true;
}

int mail_settings_load(const struct config *cfg, struct mail_settings *ms, char *err, size_t errlen)
{
	memset(ms, 0, sizeof *ms);
	const char *region = cfg->aws_region ? cfg->aws_region : "";
	if (*region && !region_valid(region)) {
		snprintf(err, errlen, "AWS_REGION must look like eu-central-1 (lower-case letters, digits and dashes)");
		return -1;
	}
	if (cfg->smtp_host && *cfg->smtp_host) {
		if (strlen(cfg->smtp_host) >= sizeof ms->host || strpbrk(cfg->smtp_host, " /@")) {
			snprintf(err, errlen, "SMTP_HOST must be a host name or address");
			return -1;
		}
		strcpy(ms->host, cfg->smtp_host);
	} else if (*region) {
		snprintf(ms->host, sizeof ms->host, "email-smtp.%s.amazonaws.com", region);
		ms->ses = true;
	} else {
		snprintf(err, errlen, "no mail server: set AWS_REGION (Amazon SES) or SMTP_HOST");
		return -1;
	}
	ms->port = (int)cfg->smtp_port;
	if (ms->port == 465) {
		snprintf(err, errlen, "SMTP_PORT=465 means implicit TLS, which libesmtp cannot speak: use 587 (or 2587 for "
		                      "SES), where lookout uses STARTTLS");
		return -1;
	}
	ms->tls = cfg->smtp_tls == 0;
	if (cfg->smtp_ca_file && *cfg->smtp_ca_file) {
		if (access(cfg->smtp_ca_file, R_OK)) {
			snprintf(err, errlen, "cannot read SMTP_CA_FILE %s: %s", cfg->smtp_ca_file, strerror(errno));
			return -1;
		}
		snprintf(ms->ca_file, sizeof ms->ca_file, "%s", cfg->smtp_ca_file);
	}
	const char *user = cfg->smtp_username && *cfg->smtp_username ? cfg->smtp_username
	                   : cfg->aws_access_key_id                  ? cfg->aws_access_key_id
	                                                             : "";
	if (strlen(user) >= sizeof ms->user) {
		snprintf(err, errlen, "SMTP_USERNAME is too long");
		return -1;
	}
	strcpy(ms->user, user);
	if (load_secret(cfg->smtp_password, cfg->smtp_password_file, "SMTP_PASSWORD", ms->password,
	                sizeof ms->password, err, errlen))
		return -1;
	if (!ms->password[0]) {
		char secret[256];
		if (load_secret(cfg->aws_secret_access_key, cfg->aws_secret_access_key_file, "AWS_SECRET_ACCESS_KEY",
		                secret, sizeof secret, err, errlen))
			return -1;
		if (secret[0]) {
			if (!*region) {
				OPENSSL_cleanse(secret, sizeof secret);
				snprintf(err, errlen, "AWS_SECRET_ACCESS_KEY needs AWS_REGION: the SES password depends on it");
				return -1;
			}
			int rc = ses_smtp_password(secret, region, ms->password, sizeof ms->password);
			OPENSSL_cleanse(secret, sizeof secret);
			if (rc) {
				snprintf(err, errlen, "cannot derive the SES SMTP password");
				return -1;
			}
		}
	}
	if (ms->ses && !ms->user[0]) {
		snprintf(err, errlen, "AWS_REGION is set but AWS_ACCESS_KEY_ID is empty: SES needs the IAM user's key");
		return -1;
	}
	if (ms->user[0] && !ms->password[0]) {
		snprintf(err, errlen, "no SMTP password for user %s: set SMTP_PASSWORD or AWS_SECRET_ACCESS_KEY (or their "
		                      "_FILE variants)", ms->ses ? "AWS_ACCESS_KEY_ID" : "SMTP_USERNAME");
		mail_settings_wipe(ms);
		return -1;
	}
	const char *sender = cfg->sender_email ? cfg->sender_email : "";
	if (!*sender) {
		snprintf(err, errlen, "SENDER_EMAIL is empty: set the From address (an SES-verified identity)");
		mail_settings_wipe(ms);
		return -1;
	}
	if (!email_address_valid(sender) || strlen(sender) >= sizeof ms->sender) {
		struct buf shown;
		buf_init(&shown);
		buf_term_safe(&shown, sender, 80);
		snprintf(err, errlen, "SENDER_EMAIL=\"%s\" is not an email address", shown.data ? shown.data : "");
		buf_free(&shown);
		mail_settings_wipe(ms);
		return -1;
	}
	strcpy(ms->sender, sender);
	ms->timeout_s = cfg->smtp_timeout_s > 0 ? cfg->smtp_timeout_s : 60;
	return 0;
}

void mail_settings_wipe(struct mail_settings *ms) { OPENSSL_cleanse(ms->password, sizeof ms->password); }

/* ---- the session ------------------------------------------------------------------------------------- */

/* One attempt, shared by the caller and the worker; whoever lets go last frees it. */
struct job {
	atomic_int refs;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool done;
	struct mail_settings ms;
	char **rcpt;
	size_t nrcpt;
	char *data;
	struct mail_result res;
	/* filled during the session (worker only) */
	char last_reply[512]; /* the server's latest reply line */
	char auth_reply[512]; /* its answer to a failed AUTH, if any */
	char tls_error[256];  /* why the certificate was refused */
	bool starttls_ok, starttls_missing;
};

static void job_unref(struct job *j)
{
	if (atomic_fetch_sub(&j->refs, 1) != 1)
		return;
	for (size_t i = 0; i < j->nrcpt; i++)
		free(j->rcpt[i]);
	free(j->rcpt);
	if (j->data) {
		OPENSSL_cleanse(j->data, strlen(j->data));
		free(j->data);
	}
	mail_settings_wipe(&j->ms);
	pthread_mutex_destroy(&j->mu);
	pthread_cond_destroy(&j->cv);
	free(j);
}

static void clean_copy(char *dst, size_t dstlen, const char *src, size_t n)
{
	struct buf b;
	buf_init(&b);
	char *tmp = strndup(src, n);
	if (tmp && email_clean_text(&b, tmp, 0) == 0 && b.data) {
		/* trailing blanks (the CRLF became spaces) */
		while (b.len && b.data[b.len - 1] == ' ')
			b.data[--b.len] = '\0';
		snprintf(dst, dstlen, "%s", b.data);
	}
	free(tmp);
	buf_free(&b);
}

#ifdef HAVE_ESMTP
static pthread_once_t once = PTHREAD_ONCE_INIT;
/* The session being run on this thread, for the TLS callbacks (the SSL objects are libesmtp's). */
static _Thread_local struct job *cur_job;

static void init_once(void)
{
	signal(SIGPIPE, SIG_IGN); /* a server that hangs up must be an error return, not a dead process */
	auth_client_init();
}

static void monitor_cb(const char *buf, int buflen, int writing, void *arg)
{
	/* Only what the server says: what we write carries AUTH credentials and must never be kept. */
	if (writing != SMTP_CB_READING || buflen <= 0)
		return;
	struct job *j = arg;
	/* A multi-line reply arrives line by line; keep the last complete line. */
	const char *end = buf + buflen;
	while (end > buf && (end[-1] == '\n' || end[-1] == '\r'))
		end--;
	const char *start = end;
	while (start > buf && start[-1] != '\n')
		start--;
	if (end > start) {
		clean_copy(j->last_reply, sizeof j->last_reply, start, (size_t)(end - start));
		if (strncmp(j->last_reply, "535", 3) == 0 || strncmp(j->last_reply, "534", 3) == 0)
			snprintf(j->auth_reply, sizeof j->auth_reply, "%s", j->last_reply);
	}
}

static void event_cb(smtp_session_t s, int event_no, void *arg, ...)
{
	struct job *j = arg;
	va_list ap;
	va_start(ap, arg);
	int *ok;
	switch (event_no) {
	case SMTP_EV_STARTTLS_OK:
		j->starttls_ok = true;
		break;
	case SMTP_EV_EXTNA_STARTTLS:
		j->starttls_missing = true;
		break;
	case SMTP_EV_WEAK_CIPHER:
		(void)va_arg(ap, long);
		ok = va_arg(ap, int *);
		*ok = 0;
		break;
	case SMTP_EV_INVALID_PEER_CERTIFICATE: {
		long r = va_arg(ap, long);
		ok = va_arg(ap, int *);
		if (!j->tls_error[0])
			snprintf(j->tls_error, sizeof j->tls_error, "%s", X509_verify_cert_error_string(r));
		*ok = 0;
		break;
	}
	case SMTP_EV_WRONG_PEER_CERTIFICATE:
		/* libesmtp's own name check knows no IP addresses; OpenSSL already checked the name (or the
		 * address) against the certificate during the handshake, which failed otherwise. */
		ok = va_arg(ap, int *);
		*ok = 1;
		break;
	case SMTP_EV_NO_PEER_CERTIFICATE:
		ok = va_arg(ap, int *);
		snprintf(j->tls_error, sizeof j->tls_error, "the server presented no certificate");
		*ok = 0;
		break;
	case SMTP_EV_NO_CLIENT_CERTIFICATE:
	case SMTP_EV_UNUSABLE_CLIENT_CERTIFICATE:
	case SMTP_EV_UNUSABLE_CA_LIST:
		ok = va_arg(ap, int *);
		*ok = 1; /* we offer no client certificate; the CA list is our own SSL_CTX's */
		break;
	default:
		break;
	}
	va_end(ap);
}

static int verify_cb(int preverify_ok, X509_STORE_CTX *x)
{
	if (!preverify_ok) {
		SSL *ssl = X509_STORE_CTX_get_ex_data(x, SSL_get_ex_data_X509_STORE_CTX_idx());
		struct job *j = ssl ? cur_job : NULL;
		if (j && !j->tls_error[0])
			snprintf(j->tls_error, sizeof j->tls_error, "%s",
			         X509_verify_cert_error_string(X509_STORE_CTX_get_error(x)));
	}
	return preverify_ok;
}

static bool is_ip(const char *h)
{
	unsigned char a[16];
	return inet_pton(AF_INET, h, a) == 1 || inet_pton(AF_INET6, h, a) == 1;
}

/* libesmtp sends no SNI: name the host as the handshake starts (before the ClientHello is written). */
static void info_cb(const SSL *ssl, int where, int ret)
{
	(void)ret;
	if (!(where & SSL_CB_HANDSHAKE_START))
		return;
	struct job *j = cur_job;
	if (j && !is_ip(j->ms.host))
		SSL_set_tlsext_host_name((SSL *)ssl, j->ms.host);
}

/* One SSL_CTX per (host, CA file), kept for the process: loading the system's CAs costs more than the rest
 * of a session. Each session holds a reference, so one left running past its deadline keeps it alive. */
static pthread_mutex_t ctx_mu = PTHREAD_MUTEX_INITIALIZER;
static SSL_CTX *ctx_cached;
static char ctx_key[1400];
static bool ctx_ca_bad;

static SSL_CTX *make_ctx(struct job *j)
{
	char key[sizeof ctx_key];
	snprintf(key, sizeof key, "%s\n%s", j->ms.host, j->ms.ca_file);
	pthread_mutex_lock(&ctx_mu);
	if (ctx_cached && strcmp(key, ctx_key) == 0 && SSL_CTX_up_ref(ctx_cached) == 1) {
		SSL_CTX *c = ctx_cached;
		if (ctx_ca_bad)
			snprintf(j->tls_error, sizeof j->tls_error, "SMTP_CA_FILE %.180s holds no usable certificate",
			         j->ms.ca_file);
		pthread_mutex_unlock(&ctx_mu);
		return c;
	}
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	if (!ctx) {
		pthread_mutex_unlock(&ctx_mu);
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION); /* 1.3 session tickets stall libesmtp's reads */
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
	SSL_CTX_set_default_verify_paths(ctx);
	bool ca_bad = j->ms.ca_file[0] && SSL_CTX_load_verify_locations(ctx, j->ms.ca_file, NULL) != 1;
	if (ca_bad)
		snprintf(j->tls_error, sizeof j->tls_error, "SMTP_CA_FILE %.180s holds no usable certificate", j->ms.ca_file);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, verify_cb);
	X509_VERIFY_PARAM *p = SSL_CTX_get0_param(ctx);
	X509_VERIFY_PARAM_set_hostflags(p, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
	if (is_ip(j->ms.host))
		X509_VERIFY_PARAM_set1_ip_asc(p, j->ms.host);
	else
		X509_VERIFY_PARAM_set1_host(p, j->ms.host, 0);
	SSL_CTX_set_info_callback(ctx, info_cb);
	if (SSL_CTX_up_ref(ctx) == 1) {
		SSL_CTX_free(ctx_cached);
		ctx_cached = ctx;
		snprintf(ctx_key, sizeof ctx_key, "%s", key);
		ctx_ca_bad = ca_bad;
	}
	pthread_mutex_unlock(&ctx_mu);
	return ctx;
}

static int interact(auth_client_request_t req, char **result, int fields, void *arg)
{
	struct job *j = arg;
	for (int i = 0; i < fields; i++) {
		if (req[i].flags & AUTH_USER)
			result[i] = j->ms.user;
		else if (req[i].flags & AUTH_PASS)
			result[i] = j->ms.password;
		else
			return 0;
	}
	return 1;
}

static void classify(struct job *j, int code, const char *words)
{
	struct mail_result *r = &j->res;
	r->code = code;
	r->status = code >= 200 && code < 300 ? MAIL_SENT : code >= 500 ? MAIL_PERMANENT : MAIL_TEMPORARY;
	if (r->status == MAIL_SENT)
		return;
	snprintf(r->what, sizeof r->what, "%s:%d answered: %s", j->ms.host, j->ms.port, words);
	if (code == 535 || code == 530 || code == 534)
		snprintf(r->fix, sizeof r->fix, "%s",
		         j->ms.ses ? "check AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_REGION (an IAM user allowed "
		                     "ses:SendRawEmail, in the region of the SES identity)"
		                   : "check SMTP_USERNAME and SMTP_PASSWORD");
	else if (code >= 500 && (strstr(words, "not verified") || strstr(words, "not authorized")))
		snprintf(r->fix, sizeof r->fix, "verify SENDER_EMAIL (and, while the SES account is in the sandbox, every "
		                                "recipient) in the SES console, or request production access");
	else if (code == 454 || code == 421 || code == 451)
		snprintf(r->fix, sizeof r->fix, "the server is busy or throttling; lookout retries with back-off");
}

static void note_rejected(smtp_recipient_t rc, const char *mailbox, void *arg)
{
	struct mail_result *r = arg;
	const smtp_status_t *st = smtp_recipient_status(rc);
	if (!st || st->code < 400)
		return;
	size_t l = strlen(r->rejected);
	snprintf(r->rejected + l, sizeof r->rejected - l, "%s%s (%d)", l ? ", " : "", mailbox, st->code);
	if (st->code < 500) { /* worth another try, for this recipient alone */
		size_t k = strlen(r->retry_rcpt), ml = strlen(mailbox);
		if (k + ml + 2 <= sizeof r->retry_rcpt)
			snprintf(r->retry_rcpt + k, sizeof r->retry_rcpt - k, "%s%s", k ? "," : "", mailbox);
	} else {
		char words[200] = "";
		if (st->text)
			clean_copy(words, sizeof words, st->text, strlen(st->text));
		size_t k = strlen(r->refused);
		snprintf(r->refused + k, sizeof r->refused - k, "%s%s (%d %s)", k ? ", " : "", mailbox, st->code, words);
	}
}

static void run_session(struct job *j)
{
	pthread_once(&once, init_once);
	cur_job = j;
	struct mail_result *r = &j->res;
	smtp_session_t s = smtp_create_session();
	if (!s) {
		r->status = MAIL_TEMPORARY;
		snprintf(r->what, sizeof r->what, "cannot create an SMTP session (out of memory)");
		return;
	}
	SSL_CTX *ctx = NULL;
	auth_context_t auth = NULL;
	char hostport[300];
	snprintf(hostport, sizeof hostport, "%s:%d", j->ms.host, j->ms.port);
	smtp_set_server(s, hostport);
	smtp_set_monitorcb(s, monitor_cb, j, 0);
	smtp_set_eventcb(s, event_cb, j);
	long ms_bound = (long)(j->ms.timeout_s * 1000);
	for (int w = Timeout_GREETING; w <= Timeout_DATA2; w++)
		smtp_set_timeout(s, w | Timeout_OVERRIDE_RFC2822_MINIMUM, ms_bound);
	if (j->ms.tls) {
		ctx = make_ctx(j);
		if (!ctx) {
			r->status = MAIL_TEMPORARY;
			snprintf(r->what, sizeof r->what, "cannot create a TLS context");
			smtp_destroy_session(s);
			return;
		}
		smtp_starttls_enable(s, Starttls_REQUIRED);
		smtp_starttls_set_ctx(s, ctx);
	} else {
		smtp_starttls_enable(s, Starttls_DISABLED);
	}
	if (j->ms.user[0]) {
		auth = auth_create_context();
		auth_set_mechanism_flags(auth, AUTH_PLUGIN_PLAIN, 0);
		auth_set_interact_cb(auth, interact, j);
		smtp_auth_set_context(s, auth);
	}
	smtp_message_t m = smtp_add_message(s);
	smtp_set_reverse_path(m, j->ms.sender);
	for (size_t i = 0; i < j->nrcpt; i++)
		smtp_add_recipient(m, j->rcpt[i]);
	smtp_set_message_str(m, j->data);

	int ok = smtp_start_session(s);
	const smtp_status_t *st = smtp_message_transfer_status(m);
	const smtp_status_t *rp = smtp_reverse_path_status(m);
	if (!ok) {
		/* The session itself failed: only now is smtp_errno() about this session (it is never reset). */
		int e = smtp_errno();
		char eb[200];
		const char *es = smtp_strerror(e, eb, sizeof eb);
		r->status = MAIL_TEMPORARY;
		snprintf(r->what, sizeof r->what, "cannot deliver to %s:%d: %s", j->ms.host, j->ms.port,
		         es ? es : "unknown error");
		if (e >= 9 && e <= 18) /* getaddrinfo's errors */
			snprintf(r->fix, sizeof r->fix, "the host name does not resolve: check SMTP_HOST or AWS_REGION, and DNS");
		else if (e == -ECONNREFUSED || e == ECONNREFUSED)
			snprintf(r->fix, sizeof r->fix, "nothing listens there: check SMTP_HOST, SMTP_PORT and the firewall");
		else if (e == -ETIMEDOUT || e == ETIMEDOUT || e == -EHOSTUNREACH || e == -ENETUNREACH)
			snprintf(r->fix, sizeof r->fix, "the server cannot be reached: check the network and firewall");
	} else if (st && st->code) {
		clean_copy(j->last_reply, sizeof j->last_reply, st->text ? st->text : "", st->text ? strlen(st->text) : 0);
		char words[560];
		snprintf(words, sizeof words, "%d %s", st->code, j->last_reply);
		classify(j, st->code, words);
	} else if (rp && rp->code >= 400) {
		char words[600], t[400] = "";
		if (rp->text)
			clean_copy(t, sizeof t, rp->text, strlen(rp->text));
		snprintf(words, sizeof words, "%d %s", rp->code, t);
		classify(j, rp->code, words);
	} else {
		/* No reply to the message: the session stopped earlier (STARTTLS, AUTH, every recipient refused). */
		int code = atoi(j->last_reply);
		if (!j->last_reply[0]) {
			r->status = MAIL_TEMPORARY;
			snprintf(r->what, sizeof r->what, "%s:%d accepted the connection but never answered", j->ms.host,
			         j->ms.port);
			snprintf(r->fix, sizeof r->fix, "check that SMTP_HOST and SMTP_PORT point at an SMTP server");
		} else if (code < 400) {
			r->status = MAIL_TEMPORARY;
			snprintf(r->what, sizeof r->what, "%.200s:%d closed the connection (its last reply: %.150s)", j->ms.host,
			         j->ms.port, j->last_reply);
			snprintf(r->fix, sizeof r->fix, "lookout retries; if it persists, check the server's own log");
		} else {
			classify(j, code, j->last_reply);
		}
	}
	if (j->auth_reply[0] && r->status != MAIL_SENT)
		classify(j, atoi(j->auth_reply), j->auth_reply); /* the cause, not the 530 that follows it */
	if (j->ms.tls && !j->starttls_ok && r->status != MAIL_SENT) {
		if (j->tls_error[0]) {
			snprintf(r->what, sizeof r->what, "TLS with %.200s:%d failed: %.250s", j->ms.host, j->ms.port, j->tls_error);
			snprintf(r->fix, sizeof r->fix, "the certificate must be valid for %.100s: set SMTP_CA_FILE to the CA that "
			         "signed it, or correct SMTP_HOST", j->ms.host);
		} else if (j->starttls_missing) {
			snprintf(r->what, sizeof r->what, "%s:%d does not offer STARTTLS", j->ms.host, j->ms.port);
			snprintf(r->fix, sizeof r->fix, "use a port with STARTTLS (587), or SMTP_TLS=off for a relay on a "
			                                "trusted network");
		}
	}
	if (r->status == MAIL_SENT) {
		/* Accepted; note recipients it refused (one bad address must not hold back the others). */
		smtp_enumerate_recipients(m, note_rejected, &j->res);
		snprintf(r->what, sizeof r->what, "accepted by %s:%d", j->ms.host, j->ms.port);
	}
	smtp_destroy_session(s);
	if (auth)
		auth_destroy_context(auth);
	if (ctx)
		SSL_CTX_free(ctx);
}
#endif

static void *worker(void *arg)
{
	struct job *j = arg;
#ifdef HAVE_ESMTP
	run_session(j);
#else
	j->res.status = MAIL_PERMANENT;
	snprintf(j->res.what, sizeof j->res.what, "lookout was built without libesmtp: no email");
#endif
	pthread_mutex_lock(&j->mu);
	j->done = true;
	pthread_cond_signal(&j->cv);
	pthread_mutex_unlock(&j->mu);
	job_unref(j);
	return NULL;
}

void mail_send(const struct mail_settings *ms, const char *const *rcpt, size_t nrcpt, const char *data,
               const atomic_bool *cancel, struct mail_result *res, struct mail_pending **pending)
{
	if (pending)
		*pending = NULL;
	memset(res, 0, sizeof *res);
	res->status = MAIL_TEMPORARY;
	struct job *j = calloc(1, sizeof *j);
	if (!j) {
		snprintf(res->what, sizeof res->what, "out of memory");
		return;
	}
	atomic_init(&j->refs, 1);
	pthread_mutex_init(&j->mu, NULL);
	pthread_cond_init(&j->cv, NULL);
	j->ms = *ms;
	j->rcpt = calloc(nrcpt ? nrcpt : 1, sizeof *j->rcpt);
	j->data = strdup(data);
	bool oom = !j->rcpt || !j->data;
	for (size_t i = 0; !oom && i < nrcpt; i++) {
		if (!(j->rcpt[i] = strdup(rcpt[i])))
			oom = true;
		j->nrcpt = i + 1;
	}
	if (oom) {
		snprintf(res->what, sizeof res->what, "out of memory");
		job_unref(j);
		return;
	}
	pthread_t t;
	atomic_fetch_add(&j->refs, 1);
	if (pthread_create(&t, NULL, worker, j)) {
		atomic_fetch_sub(&j->refs, 1);
		snprintf(res->what, sizeof res->what, "cannot start the mail thread");
		job_unref(j);
		return;
	}
	/* The bound: the protocol timeouts cover a slow server; DNS and connect have none in libesmtp. */
	int64_t deadline = now_mono_ns() + (int64_t)((ms->timeout_s + 2) * 1e9);
	pthread_mutex_lock(&j->mu);
	bool cancelled = false;
	while (!j->done) {
		if (cancel && atomic_load(cancel)) {
			cancelled = true;
			break;
		}
		int64_t left = deadline - now_mono_ns();
		if (left <= 0)
			break;
		struct timespec dl;
		clock_gettime(CLOCK_REALTIME, &dl);
		int64_t step = left < 200000000 ? left : 200000000;
		dl.tv_nsec += (long)step;
		if (dl.tv_nsec >= 1000000000L) {
			dl.tv_sec++;
			dl.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&j->cv, &j->mu, &dl);
	}
	if (j->done) {
		*res = j->res;
	} else if (cancelled) {
		res->status = MAIL_TEMPORARY;
		snprintf(res->what, sizeof res->what, "delivery to %s:%d interrupted (stopping)", ms->host, ms->port);
	} else {
		res->status = MAIL_TEMPORARY;
		snprintf(res->what, sizeof res->what, "no answer from %s:%d within SMTP_TIMEOUT (%g s)", ms->host, ms->port,
		         ms->timeout_s);
		snprintf(res->fix, sizeof res->fix, "check that SMTP_HOST and SMTP_PORT reach a mail server (DNS, firewall); "
		                                    "a slow server may still accept it, or needs a larger SMTP_TIMEOUT");
	}
	bool done = j->done;
	pthread_mutex_unlock(&j->mu);
	/* A finished worker is joined (its TLS library state goes with it); an overdue one is left to finish
	 * on its own, holding its own reference to the job. */
	if (done) {
		pthread_join(t, NULL);
	} else {
		pthread_detach(t);
		if (pending && !cancelled) {
			atomic_fetch_add(&j->refs, 1);
			*pending = (struct mail_pending *)j;
		}
	}
	job_unref(j);
}

bool mail_pending_done(struct mail_pending *p, struct mail_result *res)
{
	struct job *j = (struct job *)p;
	pthread_mutex_lock(&j->mu);
	bool done = j->done;
	if (done)
		*res = j->res;
	pthread_mutex_unlock(&j->mu);
	return done;
}

void mail_pending_free(struct mail_pending *p)
{
	if (p)
		job_unref((struct job *)p);
}
