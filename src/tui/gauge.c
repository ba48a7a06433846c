/* gauge.c — htop's bar meter reduced to a pure function: a percentage becomes a row of cells.
 * It knows nothing about CPU or memory; the caller picks the value and the thresholds. */
#include "autoconfig.h"
#include "tui/gauge.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "tui/text.h"

enum band gauge_band(double pct, double warn, double crit)
{
	if (isnan(pct))
		return BAND_NONE;
	if (pct >= crit)
		return BAND_CRIT;
	if (pct >= warn)
		return BAND_WARN;
	return BAND_OK;
}

int gauge_render(struct buf *out, const struct glyphs *g, double pct, int width)
{
	if (width <= 0)
		return 0;
	if (isnan(pct))
		pct = 0;
	if (pct < 0)
		pct = 0;
	if (pct > 100)
		pct = 100;
	/* Round to the nearest eighth of a cell, but never show a non-zero value as empty. */
	long eighths = lround(pct / 100.0 * width * 8);
	if (eighths == 0 && pct > 0)
		eighths = 1;
	int rc = 0;
	for (int i = 0; i < width; i++) {
		long e = eighths - (long)i * 8;
		if (e < 0)
			e = 0;
		if (e > 8)
			e = 8;
		rc |= buf_puts(out, g->gauge_eighths[e]);
	}
	return rc ? -1 : 0;
}

int gauge_label(struct buf *out, const struct glyphs *g, double pct, enum band b, int width)
{
	char num[32];
	if (isnan(pct))
		snprintf(num, sizeof num, "-");
	else if (pct >= 99.95 || width < 6)
		snprintf(num, sizeof num, "%.0f%%", pct);
	else
		snprintf(num, sizeof num, "%.1f%%", pct);
	int n = (int)strlen(num);
	int rc = 0;
	for (int i = n + 1; i < width; i++)
		rc |= buf_puts(out, " ");
	rc |= buf_puts(out, num);
	rc |= buf_puts(out, g->band_flag[b == BAND_NONE ? BAND_OK : b]);
	return rc ? -1 : 0;
}
