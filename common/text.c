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
sp_text_cp_invisible(uint32_t cp)
{
	return cp == 0x00ad ||                     /* SOFT HYPHEN */
	       cp == 0x034f ||                     /* COMBINING GRAPHEME JOINER */
	       cp == 0x115f || cp == 0x1160 ||     /* HANGUL CHOSEONG/JUNGSEONG FILLER */
	       cp == 0x17b4 || cp == 0x17b5 ||     /* KHMER INHERENT VOWELS */
	       (cp >= 0x180b && cp <= 0x180f) ||   /* MONGOLIAN FVS1..4, VOWEL SEPARATOR */
	       (cp >= 0x200b && cp <= 0x200d) ||   /* ZWSP, ZWNJ, ZWJ */
	       (cp >= 0x2060 && cp <= 0x2064) ||   /* WORD JOINER, invisible operators */
	       (cp >= 0x206a && cp <= 0x206f) ||   /* deprecated format characters */
	       cp == 0x3164 || cp == 0xffa0 ||     /* HANGUL FILLER, HALFWIDTH */
	       cp == 0xfeff ||                     /* ZERO WIDTH NO-BREAK SPACE (BOM) */
	       (cp >= 0xfff9 && cp <= 0xfffb) ||   /* interlinear annotation */
	       (cp >= 0x1d173 && cp <= 0x1d17a) || /* musical format characters */
	       (cp >= 0xe0000 && cp <= 0xe007f);   /* tags */
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
