/*
 * text.c: which text is safe to show on another party's terminal (see sp.h).
 * The server refuses names and reasons that fail sp_text_check(); the client
 * replaces what fails it in anything it prints.
 */
#include "sp.h"

size_t
sp_utf8_next(const unsigned char *s, size_t n, uint32_t *cp)
{
	size_t len, i;
	uint32_t v, min;

	if (n == 0)
		return 0;
	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2, v = s[0] & 0x1f, min = 0x80;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3, v = s[0] & 0x0f, min = 0x800;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4, v = s[0] & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		v = (v << 6) | (s[i] & 0x3f);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return len;
}

int
sp_text_cp_unsafe(uint32_t cp)
{
	return cp < 0x20 || cp == 0x7f ||        /* C0 (newline and tab too), DEL */
	       (cp >= 0x80 && cp <= 0x9f) ||     /* C1, e.g. U+009B CSI */
	       cp == 0x061c ||                   /* ARABIC LETTER MARK */
	       cp == 0x200e || cp == 0x200f ||   /* LRM, RLM */
	       (cp >= 0x2028 && cp <= 0x202e) || /* line/paragraph separators, LRE..RLO */
	       (cp >= 0x2066 && cp <= 0x2069);   /* LRI..PDI */
}

int
sp_text_check(const char *s, size_t len, size_t *at, uint32_t *cp)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t off = 0, k;
	uint32_t c = 0;

	while (off < len) {
		k = sp_utf8_next(p + off, len - off, &c);
		if (k == 0 || sp_text_cp_unsafe(c)) {
			if (at != NULL)
				*at = off;
			if (cp != NULL)
				*cp = k == 0 ? 0xffffffffu : c;
			return SP_ERR_INVALID;
		}
		off += k;
	}
	return SP_OK;
}
