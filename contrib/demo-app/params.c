/* params.c — strict parsing of the demo app's numeric query parameters and JSON string escaping. No I/O. */
#include "params.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int param_long(const char *name, const char *s, long min, long max, long def, long *out, char *err, size_t errlen)
{
	if (!s) {
		*out = def;
		return 0;
	}
	char *end = NULL;
	errno = 0;
	long v = 0;
	int ok = *s >= '0' && *s <= '9'; /* no sign, no blanks, no empty value */
	if (ok) {
		v = strtol(s, &end, 10);
		ok = errno == 0 && *end == '\0' && v >= min && v <= max;
	}
	if (ok) {
		*out = v;
		return 0;
	}
	char shown[40];
	size_t j = 0;
	for (const char *p = s; *p && j + 1 < sizeof shown; p++)
		shown[j++] = (unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7F || *p == '"' || *p == '\\' ? '?' : *p;
	shown[j] = '\0';
	snprintf(err, errlen, "%s must be a whole number from %ld to %ld, got \"%s%s\"", name, min, max, shown,
	         strlen(s) > j ? "..." : "");
	return -1;
}

int json_escape(char *out, size_t len, const char *s)
{
	size_t j = 0;
	if (!len)
		return -1;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		char tmp[8];
		const char *piece = tmp;
		if (*p == '"')
			piece = "\\\"";
		else if (*p == '\\')
			piece = "\\\\";
		else if (*p == '\n')
			piece = "\\n";
		else if (*p == '\r')
			piece = "\\r";
		else if (*p == '\t')
			piece = "\\t";
		else if (*p < 0x20 || *p == 0x7F)
			snprintf(tmp, sizeof tmp, "\\u%04x", *p);
		else {
			tmp[0] = (char)*p;
			tmp[1] = '\0';
		}
		size_t n = strlen(piece);
		if (j + n >= len) {
			out[j] = '\0';
			return -1;
		}
		memcpy(out + j, piece, n);
		j += n;
	}
	out[j] = '\0';
	return (int)j;
}
