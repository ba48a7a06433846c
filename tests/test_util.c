/* test_util.c — clocks, buffers, strict parsing and the escaping of untrusted text for CSV and terminals. */
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tap.h"
#include "util.h"

static const char *csv(const char *s, struct buf *b)
{
	buf_reset(b);
	buf_csv_field(b, s);
	return b->data ? b->data : "";
}

static const char *term(const char *s, size_t max, struct buf *b)
{
	buf_reset(b);
	buf_term_safe(b, s, max);
	return b->data ? b->data : "";
}

/* The one UTF-8 validator every escaper uses. */
static void test_utf8_seq_len(void)
{
	const struct {
		const char *s;
		size_t avail, want;
		const char *what;
	} cases[] = {
		{"a", 1, 1, "ASCII"},
		{"\xc3\xa9", 2, 2, "U+00E9"},
		{"\xe2\x82\xac", 3, 3, "U+20AC"},
		{"\xf0\x9f\x98\x80", 4, 4, "U+1F600"},
		{"\xc2\x9b", 2, 2, "a C1 control is well-formed UTF-8 (callers decide)"},
		{"\xc0\xaf", 2, 0, "overlong 2 bytes"},
		{"\xe0\x80\xaf", 3, 0, "overlong 3 bytes"},
		{"\xed\xa0\x80", 3, 0, "a surrogate"},
		{"\xf4\x90\x80\x80", 4, 0, "beyond U+10FFFF"},
		{"\xe2\x82", 2, 0, "cut short by avail"},
		{"\xe2\x82", 4, 0, "cut short by the NUL"},
		{"\xff", 1, 0, "0xFF"},
		{"\x80", 1, 0, "a lone continuation byte"},
		{"a", 0, 0, "nothing available"},
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++)
		is_int(utf8_seq_len((const unsigned char *)cases[i].s, cases[i].avail), cases[i].want, "utf8_seq_len: %s",
		       cases[i].what);
}

/* grow_array: room for one more, doubling from the first capacity; the contents survive each move. */
static void test_grow_array(void)
{
	struct pair {
		int a;
		double b;
	} *v = NULL;
	size_t n = 0, cap = 0, caps = 0;
	bool kept = true;
	for (int i = 0; i < 1000; i++) {
		size_t before = cap;
		if (grow_array(&v, &cap, n, sizeof *v, 4)) {
			ok(0, "grow_array: out of memory at %d", i);
			free(v);
			return;
		}
		caps += cap != before;
		v[n++] = (struct pair){i, i * 0.5};
		for (size_t k = 0; k < n && kept; k++)
			kept = v[k].a == (int)k && v[k].b == (double)k * 0.5;
	}
	ok(kept && n == 1000, "grow_array: 1000 elements appended, every one kept through each move");
	is_int(cap, 1024, "grow_array: capacity doubles from 4 (4, 8, ..., 1024)");
	is_int(caps, 9, "grow_array: 9 moves for 1000 elements");
	size_t huge = SIZE_MAX / 2 + 1;
	ok(grow_array(&v, &huge, huge, sizeof *v, 4) == -1 && v != NULL && v[999].a == 999,
	   "grow_array: a size that would overflow fails and leaves the array as it was");
	free(v);
}

/* buf_fixed, buf_int and fmt_iso8601_ms against printf, whose text they must reproduce byte for byte. */
static void test_fast_formatting(void)
{
	struct buf b;
	buf_init(&b);
	char want[512];
	/* Ties in binary (0.125 at 2 decimals, 2.5 at 0), values just either side of ties, negative zero, small
	 * negatives, the integer limit and beyond, and the magnitudes the CSV carries. */
	const double fixed[] = {0,       -0.0,     0.125,          0.375,     2.5,      3.5,          -2.5,
	                        1.005,   1.015,    0.045,          12.345,    99.995,   100,          -0.001,
	                        -12.5,   1e-300,   4503599627370495.5, 1e15,  1e15 - 1, 9.99999999e14, 1e22,
	                        123456789012.0, 2147483648.0, 0.49999999999999994, 0.5000000000000001};
	int bad = 0, cases = 0;
	for (size_t i = 0; i < ARRAY_LEN(fixed); i++)
		for (int d = 0; d <= 7; d++) {
			buf_reset(&b);
			buf_fixed(&b, fixed[i], d);
			snprintf(want, sizeof want, "%.*f", d, fixed[i]);
			cases++;
			if (strcmp(b.data, want) != 0 && bad++ < 5)
				printf("# buf_fixed(%.17g, %d) = %s, printf says %s\n", fixed[i], d, b.data, want);
		}
	/* A pseudo-random sweep over twenty decades and the near-tie values k/1000 ± 1 ulp. */
	uint64_t x = 88172645463325252ull;
	for (int i = 0; i < 200000; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		double v = (double)(x >> 11) / 9007199254740992.0 * pow(10, (int)(x % 20) - 4);
		if (i % 3 == 1)
			v = nextafter((double)(x % 1000000) / 1000.0, (x & 64) ? INFINITY : -INFINITY);
		if (i % 7 == 0)
			v = -v;
		int d = (int)((x >> 5) % 4);
		buf_reset(&b);
		buf_fixed(&b, v, d);
		snprintf(want, sizeof want, "%.*f", d, v);
		cases++;
		if (strcmp(b.data, want) != 0 && bad++ < 5)
			printf("# buf_fixed(%.17g, %d) = %s, printf says %s\n", v, d, b.data, want);
	}
	ok(bad == 0, "buf_fixed writes what printf's %%.*f writes (%d cases, %d differ)", cases, bad);

	const long long ints[] = {0, 1, -1, 9, 10, 99, 100, -100, 2147483647, -2147483648LL, LLONG_MAX, LLONG_MIN};
	bad = 0;
	for (size_t i = 0; i < ARRAY_LEN(ints); i++) {
		buf_reset(&b);
		buf_int(&b, ints[i]);
		snprintf(want, sizeof want, "%lld", ints[i]);
		bad += strcmp(b.data, want) != 0;
	}
	ok(bad == 0, "buf_int writes what printf's %%lld writes, the limits included");

	char got[32];
	bad = 0;
	for (int64_t ms = -86400000LL * 400; ms < 4102444800000LL * 2; ms += 86400000LL * 13 + 3600007LL * 5 + 917) {
		time_t secs = (time_t)(ms / 1000);
		int msr = (int)(ms % 1000);
		if (msr < 0) {
			msr += 1000;
			secs--;
		}
		struct tm tm;
		gmtime_r(&secs, &tm);
		snprintf(want, sizeof want, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
		         tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, msr);
		if (strcmp(fmt_iso8601_ms(ms, got, sizeof got), want) != 0 && bad++ < 3)
			printf("# fmt_iso8601_ms(%lld) = %s, want %s\n", (long long)ms, got, want);
	}
	ok(bad == 0, "fmt_iso8601_ms writes the same text as printf from 1969 to 2099");
	char small[20];
	fmt_iso8601_ms(1795496110123LL, small, sizeof small);
	is_str(small, "2026-11-24T04:55:10", "a short buffer is cut, not overrun");
	buf_free(&b);
}

int main(void)
{
	test_utf8_seq_len();
	test_grow_array();
	test_fast_formatting();
	struct buf b;
	buf_init(&b);
	char ts[32];
	int64_t ms;

	is_str(fmt_iso8601_ms(0, ts, sizeof ts), "1970-01-01T00:00:00.000Z", "epoch formats");
	is_str(fmt_iso8601_ms(1795496110123LL, ts, sizeof ts), "2026-11-24T04:55:10.123Z", "a 2026 time formats");
	ok(parse_rfc3339_ms("2026-11-24T04:55:10.123456789Z", &ms) == 0 && ms == 1795496110123LL,
	   "RFC 3339 with nanoseconds parses to ms");
	ok(parse_rfc3339_ms("2026-11-24T06:55:10+02:00", &ms) == 0 && ms == 1795496110000LL,
	   "an offset is applied");
	ok(parse_rfc3339_ms("0001-01-01T00:00:00Z", &ms) == 0 && ms == 0, "Go's zero time is 0");
	ok(parse_rfc3339_ms("2026-13-01T00:00:00Z", &ms) == -1, "month 13 is refused");
	ok(parse_rfc3339_ms("yesterday", &ms) == -1, "text is refused");
	ok(parse_rfc3339_ms("2026-11-24T04:55:10", &ms) == -1, "a missing zone is refused");

	is_str(csv("plain", &b), "plain", "a plain field is not quoted");
	is_str(csv("a,b", &b), "\"a,b\"", "a comma is quoted");
	is_str(csv("say \"hi\"", &b), "\"say \"\"hi\"\"\"", "quotes are doubled");
	is_str(csv("two\nlines", &b), "\"two\nlines\"", "a newline is kept inside quotes");
	is_str(csv("\033[31mred", &b), "?[31mred", "an escape character is neutralised");
	is_str(csv("caf\xc3\xa9", &b), "caf\xc3\xa9", "valid UTF-8 is kept");
	is_str(csv("bad\xff", &b), "bad?", "invalid UTF-8 is replaced");
	is_str(csv("", &b), "", "an empty field stays empty");

	is_str(term("\033]0;pwned\007name", 0, &b), "?]0;pwned?name", "terminal: escape and bell neutralised");
	is_str(term("a\xc2\x9b" "31m", 0, &b), "a?" "?31m", "terminal: C1 CSI is neutralised");
	is_str(term("\xe2\x96\x88\xe2\x96\x88", 0, &b), "\xe2\x96\x88\xe2\x96\x88", "terminal: block glyphs kept");
	is_str(term("abcdef", 3, &b), "abc", "terminal: length limited");
	is_str(term("\xe2\x96\x88", 2, &b), "??", "terminal: a sequence cut by the limit is not emitted whole");

	double d;
	int64_t i;
	bool flag;
	ok(parse_double(" 2.5 ", &d) == 0 && d == 2.5, "double with blanks");
	ok(parse_double("2.5s", &d) == -1, "double with a unit is refused");
	ok(parse_double("", &d) == -1, "empty double is refused");
	ok(parse_double("nan", &d) == -1, "NaN is refused");
	ok(parse_int64("42", &i) == 0 && i == 42, "int");
	ok(parse_int64("4.2", &i) == -1, "a fraction is not an int");
	ok(parse_int64("99999999999999999999", &i) == -1, "overflow is refused");
	ok(parse_bool("Yes", &flag) == 0 && flag, "Yes is true");
	ok(parse_bool("off", &flag) == 0 && !flag, "off is false");
	ok(parse_bool("maybe", &flag) == -1, "maybe is refused");

	buf_reset(&b);
	for (int k = 0; k < 1000; k++)
		buf_printf(&b, "%04d", k);
	ok(b.len == 4000 && strncmp(b.data + 3996, "0999", 4) == 0, "buffer grows across many appends");
	buf_reset(&b);
	char big[600];
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	buf_printf(&b, "<%s>", big);
	ok(b.len == 601 && b.data[600] == '>', "a long printf is not truncated");

	buf_free(&b);
	return tap_done();
}
