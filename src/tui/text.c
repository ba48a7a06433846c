/* text.c — display-width arithmetic for names and messages that come from containers (untrusted).
 * It never decides layout; the caller says how many cells there are. */
#include "autoconfig.h"
#include "tui/text.h"

#include <string.h>
#include <wchar.h>

int text_repeat(struct buf *out, const char *glyph, int n)
{
	for (int i = 0; i < n; i++)
		if (buf_puts(out, glyph))
			return -1;
	return 0;
}

int text_width(const char *s)
{
	mbstate_t st;
	memset(&st, 0, sizeof st);
	int w = 0;
	size_t len = strlen(s);
	while (len) {
		wchar_t wc;
		size_t n = mbrtowc(&wc, s, len, &st);
		if (n == (size_t)-1 || n == (size_t)-2 || n == 0) {
			memset(&st, 0, sizeof st);
			n = 1;
			w++;
		} else {
			int cw = wcwidth(wc);
			w += cw < 0 ? 1 : cw;
		}
		s += n;
		len -= n;
	}
	return w;
}

int text_fit(struct buf *out, const char *s, int cols, bool pad, const struct glyphs *g)
{
	if (cols <= 0)
		return 0;
	struct buf safe;
	buf_init(&safe);
	if (buf_term_safe(&safe, s, 4096)) {
		buf_free(&safe);
		return -1;
	}
	const char *p = safe.data ? safe.data : "";
	size_t len = safe.len;
	int used = 0, rc = 0;
	mbstate_t st;
	memset(&st, 0, sizeof st);
	while (len) {
		wchar_t wc;
		size_t n = mbrtowc(&wc, p, len, &st);
		int cw;
		const char *emit = p;
		size_t emit_n;
		if (n == (size_t)-1 || n == (size_t)-2 || n == 0) {
			/* Not decodable in this locale (e.g. a C locale): show a placeholder, never raw bytes. */
			memset(&st, 0, sizeof st);
			n = 1;
			while (n < len && ((unsigned char)p[n] & 0xC0) == 0x80)
				n++;
			emit = "?";
			emit_n = 1;
			cw = 1;
		} else {
			cw = wcwidth(wc);
			emit_n = n;
			if (cw <= 0 || (!g->utf8 && (unsigned char)*p >= 0x80)) {
				emit = "?";
				emit_n = 1;
				cw = 1;
			}
		}
		/* Cut when it does not fit, or fills the last cell while more follows: the ellipsis needs a cell. */
		if (used + cw > cols || (used + cw == cols && len > n)) {
			if (used + 1 <= cols) {
				rc |= buf_puts(out, g->ellipsis);
				used++;
			}
			break;
		}
		rc |= buf_append(out, emit, emit_n);
		used += cw;
		p += n;
		len -= n;
	}
	if (pad)
		while (used < cols) {
			rc |= buf_append(out, " ", 1);
			used++;
		}
	buf_free(&safe);
	return rc ? -1 : used;
}
