/* html.c — escaping, the stylesheet, gauges and SVG charts shared by the live page and the HTML report.
 * Pure functions from numbers and strings to markup; it neither reads snapshots nor parses CSV. */
#include "autoconfig.h"
#include "html.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "series.h"

/* Length of the valid UTF-8 sequence at p (1..4), or 0 when the bytes there are not one. */
static size_t utf8_seq(const unsigned char *p)
{
	size_t n = utf8_seq_len(p, 4); /* stops at the NUL, which is no continuation byte */
	return n == 2 && p[0] == 0xC2 && p[1] < 0xA0 ? 0 : n; /* C1 controls count as invalid here */
}

static const char REPLACEMENT[] = "\xEF\xBF\xBD";

int html_escape(struct buf *b, const char *s, size_t max_bytes)
{
	if (!s)
		return 0;
	const unsigned char *p = (const unsigned char *)s;
	const unsigned char *end = max_bytes ? p + strnlen(s, max_bytes) : p + strlen(s);
	int rc = 0;
	while (p < end && !rc) {
		const unsigned char c = *p;
		switch (c) {
		case '&': rc = buf_puts(b, "&amp;"); p++; continue;
		case '<': rc = buf_puts(b, "&lt;"); p++; continue;
		case '>': rc = buf_puts(b, "&gt;"); p++; continue;
		case '"': rc = buf_puts(b, "&quot;"); p++; continue;
		case '\'': rc = buf_puts(b, "&#39;"); p++; continue;
		default: break;
		}
		if (c == '\t' || c == '\n') {
			rc = buf_append(b, p, 1);
			p++;
			continue;
		}
		if (c < 0x20 || c == 0x7F) {
			rc = buf_puts(b, REPLACEMENT);
			p++;
			continue;
		}
		/* utf8_seq stops at the NUL (not a continuation byte); a sequence cut by max_bytes is invalid. */
		size_t n = utf8_seq(p);
		if (n > (size_t)(end - p))
			n = 0;
		if (!n) {
			rc = buf_puts(b, REPLACEMENT);
			p++;
			continue;
		}
		rc = buf_append(b, p, n);
		p += n;
	}
	return rc ? -1 : 0;
}

int utf8_sanitize(struct buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	int rc = buf_puts(b, "");
	while (*p && !rc) {
		size_t n = utf8_seq(p); /* stops at the NUL, which is not a continuation byte */
		if (!n) {
			rc = buf_puts(b, REPLACEMENT);
			p++;
		} else {
			rc = buf_append(b, p, n);
			p += n;
		}
	}
	return rc ? -1 : 0;
}

const char *html_css(void)
{
	return ":root{--ok:#2e9d4a;--warn:#d9a000;--crit:#d7383b;--unk:#9aa0a6;--fg:#1d232a;--dim:#5f6b76;"
	       "--bg:#f6f7f9;--card:#fff;--line:#e3e6ea;--cpu:#1f77d0;--mem:#a23fc4;--resp:#e07b00}\n"
	       "*{box-sizing:border-box}body{margin:0;font:14px/1.4 system-ui,-apple-system,'DejaVu Sans',sans-serif;"
	       "color:var(--fg);background:var(--bg)}\n"
	       "header.top{display:flex;flex-wrap:wrap;gap:.3em 1.5em;align-items:baseline;padding:.6em 1em;"
	       "background:#20262e;color:#e8ecf0}header.top h1{font-size:1.2em;margin:0}header.top .dim{color:#aab4be}"
	       "header.top nav a{color:#9fd0ff;margin:0 .2em}\n"
	       "main{padding:1em;max-width:1400px;margin:auto}\n"
	       "table{border-collapse:collapse;width:100%;background:var(--card)}th,td{padding:.35em .6em;"
	       "border-bottom:1px solid var(--line);text-align:left;vertical-align:middle}"
	       "th{font-weight:600;color:var(--dim);font-size:.9em}td.num{text-align:right;font-variant-numeric:"
	       "tabular-nums;white-space:nowrap}\n"
	       ".badge{display:inline-block;padding:.05em .5em;border-radius:.8em;font-size:.85em;font-weight:600;"
	       "color:#fff;white-space:nowrap}.badge.up{background:var(--ok)}.badge.unhealthy{background:var(--warn);"
	       "color:#222}.badge.down{background:var(--crit)}.badge.unknown{background:var(--unk)}\n"
	       ".gauge{display:flex;align-items:center;gap:.5em;min-width:11em}.gauge .bar{flex:1;height:.8em;"
	       "background:#e9ecef;border-radius:.4em;overflow:hidden;min-width:5em}.gauge .fill{height:100%}"
	       ".gauge .txt{font-variant-numeric:tabular-nums;white-space:nowrap;min-width:4.5em;text-align:right}"
	       ".fill.ok{background:var(--ok)}.fill.warn{background:var(--warn)}.fill.crit{background:var(--crit)}"
	       ".txt.warn{color:#9a6b00;font-weight:600}.txt.crit{color:var(--crit);font-weight:700}\n"
	       ".cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(560px,1fr));gap:1em;margin-top:1em}\n"
	       ".card{background:var(--card);border:1px solid var(--line);border-radius:.5em;padding:.8em 1em}"
	       ".card h2{font-size:1.1em;margin:0 0 .4em;display:flex;gap:.6em;align-items:center;flex-wrap:wrap}"
	       ".card h3{font-size:.9em;margin:.8em 0 .2em;color:var(--dim);font-weight:600}\n"
	       ".kv{display:grid;grid-template-columns:max-content 1fr;gap:.15em 1em;font-size:.92em}"
	       ".kv dt{color:var(--dim)}.kv dd{margin:0;overflow-wrap:anywhere}\n"
	       "svg{width:100%;height:auto;display:block}svg text{font:11px 'DejaVu Sans',sans-serif;fill:var(--dim)}"
	       ".grid{stroke:var(--line);stroke-width:1}.axis{stroke:#c5cad0}.thr{stroke:var(--crit);stroke-width:1;"
	       "stroke-dasharray:4 3}.l-cpu,.l-mem,.l-resp{fill:none;stroke-width:1.6}.l-cpu{stroke:var(--cpu)}"
	       ".l-mem{stroke:var(--mem)}.l-resp{stroke:var(--resp)}.k-l-cpu{fill:var(--cpu)}.k-l-mem{fill:var(--mem)}"
	       ".k-l-resp{fill:var(--resp)}\n"
	       ".t-up{fill:var(--ok)}.t-unhealthy{fill:var(--warn)}.t-down{fill:var(--crit)}.t-unknown{fill:url(#hatch)}"
	       ".t-none{fill:#eef0f2}\n"
	       "ul.periods{margin:.3em 0;padding-left:1.2em;font-size:.9em}ul.periods li.down{color:var(--crit)}"
	       "ul.periods li.unhealthy{color:#9a6b00}ul.periods li.unknown{color:var(--dim)}\n"
	       ".alerts td.firing{color:var(--crit);font-weight:600}.alerts td.resolved{color:var(--ok)}"
	       ".dim{color:var(--dim)}.err{color:var(--crit)}pre.out{white-space:pre-wrap;margin:0;font-size:.85em;"
	       "max-height:6em;overflow:auto;background:#f3f4f6;padding:.3em}\n"
	       "section>h2.sec{font-size:1.05em;margin:1.2em 0 .4em}\n";
}

const char *html_band(double pct, double warn, double crit)
{
	if (isnan(pct))
		return "none";
	if (pct >= crit)
		return "crit";
	if (pct >= warn)
		return "warn";
	return "ok";
}

int html_gauge(struct buf *b, double pct, double warn, double crit, const char *text)
{
	const char *band = html_band(pct, warn, crit);
	double w = isnan(pct) ? 0 : pct < 0 ? 0 : pct > 100 ? 100 : pct;
	int rc = buf_printf(b, "<div class=\"gauge\" data-band=\"%s\"><div class=\"bar\"><div class=\"fill %s\" "
	                       "style=\"width:%.1f%%\"></div></div><span class=\"txt %s\">",
	                    band, band, w, band);
	rc |= html_escape(b, isnan(pct) ? "-" : text, 0);
	rc |= buf_puts(b, "</span></div>");
	return rc ? -1 : 0;
}

void html_fmt_duration(int64_t ms, char *out, size_t len)
{
	if (ms < 0)
		ms = 0;
	if (ms < 1000 && ms > 0) {
		snprintf(out, len, "%lldms", (long long)ms);
		return;
	}
	long long s = (long long)((ms + 500) / 1000);
	long long d = s / 86400, h = s / 3600 % 24, m = s / 60 % 60, sec = s % 60;
	if (d)
		snprintf(out, len, "%lldd %02lldh %02lldm %02llds", d, h, m, sec);
	else if (h)
		snprintf(out, len, "%lldh %02lldm %02llds", h, m, sec);
	else if (m)
		snprintf(out, len, "%lldm %02llds", m, sec);
	else
		snprintf(out, len, "%llds", sec);
}

void html_fmt_time(int64_t ms, char *out, size_t len)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	if (!gmtime_r(&t, &tm) || !strftime(out, len, "%Y-%m-%d %H:%M:%SZ", &tm))
		snprintf(out, len, "?");
}

void html_fmt_clock(int64_t ms, char *out, size_t len)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	if (!gmtime_r(&t, &tm) || !strftime(out, len, "%H:%M:%S", &tm))
		snprintf(out, len, "?");
}

/* The view box of every chart; CSS scales it to the box. */
#define CW 600
#define CH 170
#define PL 44 /* plot area: left, right, top, bottom margins */
#define PR 8
#define PT 8
#define PB 34

/* A round number >= v for the top of the y axis: 1, 2, 2.5 or 5 times a power of ten. */
static double nice_ceil(double v)
{
	if (!(v > 0))
		return 1;
	double p = pow(10, floor(log10(v)));
	static const double steps[] = {1, 2, 2.5, 5, 10};
	for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++)
		if (steps[i] * p >= v * 0.9999)
			return steps[i] * p;
	return 10 * p;
}

int html_line_chart(struct buf *b, const struct html_chart *c)
{
	const double pw = CW - PL - PR, ph = CH - PT - PB;
	int64_t span = c->end_ms > c->start_ms ? c->end_ms - c->start_ms : 1;
	double ymax = c->ymax;
	if (!(ymax > 0)) {
		double m = 0;
		for (size_t k = 0; k < c->ns; k++)
			for (size_t i = 0; i < c->s[k].n; i++)
				if (!isnan(c->s[k].v[i]) && c->s[k].v[i] > m)
					m = c->s[k].v[i];
		/* The threshold sets the scale only when the data comes near it; far below, the data matters more
		 * and the threshold is named in a corner instead. */
		if (!isnan(c->threshold) && m >= c->threshold / 4)
			m = m > c->threshold ? m : c->threshold;
		ymax = nice_ceil(m < 1 ? 1 : m * 1.05);
	}
	int rc = buf_printf(b, "<svg class=\"chart\" viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"", CW, CH);
	rc |= html_escape(b, c->title, 0);
	rc |= buf_puts(b, "\">");
	/* Grid and y labels at 0, 1/2 and the top. */
	for (int i = 0; i <= 2; i++) {
		double y = PT + ph - ph * i / 2.0;
		double val = ymax * i / 2.0;
		rc |= buf_printf(b, "<line class=\"%s\" x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\"/>",
		                 i ? "grid" : "axis", PL, CW - PR, y, y);
		rc |= buf_printf(b, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%.*f%s</text>", PL - 4, y + 4,
		                 val < 10 && val != floor(val) ? 1 : 0, val, c->unit ? c->unit : "");
	}
	/* x labels: start, middle, end (UTC). */
	for (int i = 0; i <= 2; i++) {
		char clk[16];
		html_fmt_clock(c->start_ms + span * i / 2, clk, sizeof clk);
		rc |= buf_printf(b, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"%s\">%s</text>", PL + pw * i / 2.0, CH - PB + 14,
		                 i == 0 ? "start" : i == 1 ? "middle" : "end", clk);
	}
	if (!isnan(c->threshold) && c->threshold > ymax)
		rc |= buf_printf(b, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">threshold %g%s (above the scale)</text>",
		                 CW - PR, PT + 10, c->threshold, c->unit ? c->unit : "");
	if (!isnan(c->threshold) && c->threshold <= ymax) {
		double y = PT + ph - ph * c->threshold / ymax;
		rc |= buf_printf(b, "<line class=\"thr\" x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\"><title>threshold "
		                    "%g%s</title></line>",
		                 PL, CW - PR, y, y, c->threshold, c->unit ? c->unit : "");
	}
	for (size_t k = 0; k < c->ns; k++) {
		const struct html_series *s = &c->s[k];
		rc |= buf_printf(b, "<path class=\"%s\" d=\"", s->cls);
		bool pen = false;
		for (size_t i = 0; i < s->n; i++) {
			double v = s->v[i];
			if (isnan(v) || s->t_ms[i] < c->start_ms || s->t_ms[i] > c->end_ms) {
				pen = false;
				continue;
			}
			if (v > ymax)
				v = ymax;
			if (v < 0)
				v = 0;
			double x = PL + pw * (double)(s->t_ms[i] - c->start_ms) / (double)span;
			double y = PT + ph - ph * v / ymax;
			rc |= buf_printf(b, "%c%.1f %.1f", pen ? 'L' : 'M', x, y);
			pen = true;
		}
		rc |= buf_puts(b, "\"/>");
	}
	/* Legend along the bottom. */
	double lx = PL;
	for (size_t k = 0; k < c->ns; k++) {
		rc |= buf_printf(b, "<rect class=\"k-%s\" x=\"%.1f\" y=\"%d\" width=\"10\" height=\"10\"/>", c->s[k].cls, lx,
		                 CH - 12);
		rc |= buf_printf(b, "<text x=\"%.1f\" y=\"%d\">", lx + 14, CH - 3);
		rc |= html_escape(b, c->s[k].name, 0);
		rc |= buf_puts(b, "</text>");
		lx += 30 + 7.0 * (double)strlen(c->s[k].name);
	}
	rc |= buf_puts(b, "</svg>");
	return rc ? -1 : 0;
}

static const char *status_word(uint8_t st)
{
	switch (st) {
	case PT_UP:
		return "up";
	case PT_UNHEALTHY:
		return "unhealthy";
	case PT_DOWN:
		return "down";
	default:
		return "unknown";
	}
}

#define TW 600
#define TH 44
#define TBAR 22

int html_timeline(struct buf *b, const struct html_span *sp, size_t n, int64_t start_ms, int64_t end_ms)
{
	int64_t span = end_ms > start_ms ? end_ms - start_ms : 1;
	int rc = buf_printf(b, "<svg class=\"timeline\" viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"up/down "
	                       "timeline\"><defs><pattern id=\"hatch\" width=\"6\" height=\"6\" "
	                       "patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\"><rect width=\"6\" "
	                       "height=\"6\" fill=\"#eef0f2\"/><line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" "
	                       "stroke=\"#9aa0a6\" stroke-width=\"2\"/></pattern></defs>",
	                    TW, TH);
	rc |= buf_printf(b, "<rect class=\"t-none\" x=\"0\" y=\"2\" width=\"%d\" height=\"%d\"/>", TW, TBAR);
	/* Up first, the rest on top: a stretch that is not up must stay visible however short. */
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < n; i++) {
			bool up = sp[i].status == PT_UP;
			if ((pass == 0) != up)
				continue;
			int64_t a = sp[i].from_ms < start_ms ? start_ms : sp[i].from_ms;
			int64_t z = sp[i].to_ms > end_ms ? end_ms : sp[i].to_ms;
			if (z < a || (z == a && up))
				continue;
			double x = (double)TW * (double)(a - start_ms) / (double)span;
			double w = (double)TW * (double)(z - a) / (double)span;
			if (!up && w < 1.5)
				w = 1.5;
			if (x + w > TW)
				x = TW - w;
			char t1[32], t2[32], len[32];
			html_fmt_time(sp[i].from_ms, t1, sizeof t1);
			html_fmt_time(sp[i].to_ms, t2, sizeof t2);
			html_fmt_duration(sp[i].to_ms - sp[i].from_ms, len, sizeof len);
			rc |= buf_printf(b, "<rect class=\"t-%s\" x=\"%.2f\" y=\"2\" width=\"%.2f\" height=\"%d\"><title>%s "
			                    "%s to %s (%s)</title></rect>",
			                 status_word(sp[i].status), x, w, TBAR, status_word(sp[i].status), t1, t2, len);
		}
	}
	for (int i = 0; i <= 4; i++) {
		char clk[16];
		html_fmt_clock(start_ms + span * i / 4, clk, sizeof clk);
		double x = (double)TW * i / 4.0;
		rc |= buf_printf(b, "<line class=\"axis\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\"/>", x, x, TBAR + 2,
		                 TBAR + 6);
		rc |= buf_printf(b, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"%s\">%s</text>", x, TH - 4,
		                 i == 0 ? "start" : i == 4 ? "end" : "middle", clk);
	}
	rc |= buf_puts(b, "</svg>");
	return rc ? -1 : 0;
}

int html_period_list(struct buf *b, const struct html_span *sp, size_t n, int open_end)
{
	int rc = buf_puts(b, "<ul class=\"periods\">");
	size_t shown = 0;
	for (size_t i = 0; i < n; i++) {
		if (sp[i].status == PT_UP)
			continue;
		char t1[32], t2[32], len[32];
		html_fmt_time(sp[i].from_ms, t1, sizeof t1);
		html_fmt_time(sp[i].to_ms, t2, sizeof t2);
		html_fmt_duration(sp[i].to_ms - sp[i].from_ms, len, sizeof len);
		bool ongoing = open_end && i + 1 == n;
		rc |= buf_printf(b, "<li class=\"%s\" data-kind=\"%s\" data-from=\"%lld\" data-to=\"%lld\">%s from %s "
		                    "to %s (%s%s)</li>",
		                 status_word(sp[i].status), status_word(sp[i].status), (long long)sp[i].from_ms,
		                 (long long)sp[i].to_ms, status_word(sp[i].status), t1, ongoing ? "now" : t2, len,
		                 ongoing ? ", ongoing" : "");
		shown++;
	}
	if (!shown)
		rc |= buf_puts(b, "<li class=\"none\">No downtime in this window.</li>");
	rc |= buf_puts(b, "</ul>");
	return rc ? -1 : 0;
}
