/* tap.h — a minimal Test Anything Protocol emitter for the unit tests (header-only). */
#ifndef LOOKOUT_TAP_H
#define LOOKOUT_TAP_H

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

__attribute__((format(printf, 2, 0))) static void tap_result(int ok, const char *fmt, va_list ap)
{
	tap_n++;
	if (!ok)
		tap_failed++;
	printf("%sok %d - ", ok ? "" : "not ", tap_n);
	vprintf(fmt, ap);
	putchar('\n');
	fflush(stdout);
}

__attribute__((format(printf, 2, 3))) static int ok(int cond, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	tap_result(cond, fmt, ap);
	va_end(ap);
	return cond;
}

#define is_int(got, want, ...) \
	do { \
		long long g_ = (long long)(got), w_ = (long long)(want); \
		if (!ok(g_ == w_, __VA_ARGS__)) \
			printf("#   got %lld, want %lld\n", g_, w_); \
	} while (0)

#define is_str(got, want, ...) \
	do { \
		const char *g_ = (got), *w_ = (want); \
		if (!ok(g_ && w_ && strcmp(g_, w_) == 0, __VA_ARGS__)) \
			printf("#   got \"%s\", want \"%s\"\n", g_ ? g_ : "(null)", w_ ? w_ : "(null)"); \
	} while (0)

#define is_near(got, want, tol, ...) \
	do { \
		double g_ = (got), w_ = (want); \
		if (!ok(fabs(g_ - w_) <= (tol), __VA_ARGS__)) \
			printf("#   got %.6f, want %.6f (tolerance %g)\n", g_, w_, (double)(tol)); \
	} while (0)

static int tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

#endif
