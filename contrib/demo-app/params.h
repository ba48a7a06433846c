/* params.h — the demo app's query parameters: whole numbers within limits, with a message a person can act
 * on when they are not. Pure functions; the HTTP handling lives in demo-app.c. */
#ifndef DEMO_PARAMS_H
#define DEMO_PARAMS_H

#include <stddef.h>

/* Parses the query parameter `name` with text s (NULL when absent: *out = def). It must be a plain decimal
 * whole number from min to max. Returns 0, or -1 with one line in err ("ms must be a whole number from 1 to
 * 10000, got \"abc\""; the bad text is cut and made printable). */
int param_long(const char *name, const char *s, long min, long max, long def, long *out, char *err, size_t errlen);

/* Appends s to out (of size len, always terminated) as the inside of a JSON string: quotes, backslashes and
 * control characters escaped, bytes >= 0x80 passed through. Returns the length written, or -1 if cut. */
int json_escape(char *out, size_t len, const char *s);

#endif
