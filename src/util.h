/* util.h — small helpers every module needs: clocks, growable strings, number parsing, escaping of
 * untrusted text for the terminal and for CSV, and file reads. No global state. */
#ifndef LOOKOUT_UTIL_H
#define LOOKOUT_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

int64_t now_mono_ns(void); /* CLOCK_MONOTONIC */
int64_t now_wall_ms(void); /* CLOCK_REALTIME, ms since the epoch */

/* "2026-11-24T04:55:10.123Z" (UTC, milliseconds). buf must hold 25 bytes. Returns buf. */
char *fmt_iso8601_ms(int64_t wall_ms, char *buf, size_t len);
/* Parses RFC 3339 as the Engine writes it ("2026-11-24T04:55:10.123456789Z" or with +hh:mm);
 * the zero time "0001-01-01T00:00:00Z" gives 0. Returns 0 or -1. */
int parse_rfc3339_ms(const char *s, int64_t *out_ms);

/* Makes room in the array *arr (of elements of size elem, *cap of them) for one more beyond n: when n == *cap
 * the array doubles (first to first_cap). 0, or -1 on ENOMEM with the array as it was. */
int grow_array(void *arr, size_t *cap, size_t n, size_t elem, size_t first_cap);

/* A growable byte buffer, always NUL-terminated. Functions return 0 or -1 on ENOMEM (the buffer stays valid). */
struct buf {
	char *data;
	size_t len, cap;
};
void buf_init(struct buf *b);
void buf_free(struct buf *b);
void buf_reset(struct buf *b);
int buf_append(struct buf *b, const void *p, size_t n);
int buf_puts(struct buf *b, const char *s);
__attribute__((format(printf, 2, 3))) int buf_printf(struct buf *b, const char *fmt, ...);
/* Appends v exactly as printf's "%.*f" with that many decimals would, but without printf's arbitrary-precision
 * path for the common case (the metrics CSV formats ten numbers a container a tick). */
int buf_fixed(struct buf *b, double v, int decimals);
/* Appends the decimal digits of v, as "%lld" would. */
int buf_int(struct buf *b, long long v);

/* Appends s as one RFC 4180 CSV field: quoted when it holds a comma, quote, CR, LF or leading/trailing space;
 * quotes doubled. Other control characters (C0, DEL and the C1 range U+0080..U+009F) and invalid UTF-8 become
 * '?', so that a field can never carry terminal escapes into a viewer. */
int buf_csv_field(struct buf *b, const char *s);
/* Length of the well-formed UTF-8 sequence at s (1..4; an ASCII byte is 1), or 0 when the bytes there are not
 * one (overlong, a surrogate, beyond U+10FFFF, cut short). Reads at most avail bytes, and never past a NUL:
 * a NUL is no continuation byte. */
size_t utf8_seq_len(const unsigned char *s, size_t avail);

/* Appends s made safe for a terminal: control characters (C0, DEL, C1) and invalid UTF-8 become '?',
 * at most max_bytes bytes of s are taken (0 = all). */
int buf_term_safe(struct buf *b, const char *s, size_t max_bytes);

/* Strict number parsing: the whole string must be the number (surrounding blanks allowed). 0 or -1. */
int parse_double(const char *s, double *out);
int parse_int64(const char *s, int64_t *out);
int parse_bool(const char *s, bool *out); /* true/false, yes/no, on/off, 1/0 (any case) */

/* Reads a whole small file into a malloc'd NUL-terminated string (*len without the NUL). NULL with errno set. */
char *read_file(const char *path, size_t *len);

/* url for people to see: the user:password@ part of its authority (a secret) becomes "***@", so that
 * u:pw@host/x after the scheme shows as ***@host/x. Everything up to the last '@' after the scheme is taken as
 * that part (over-hiding a URL that has '@' in its path rather than ever showing a password). The result is
 * cut to fit out (len > 0). url NULL gives "". */
void url_redact(const char *url, char *out, size_t len);

/* strdup that returns NULL for NULL. */
char *xstrdup(const char *s);

#endif
