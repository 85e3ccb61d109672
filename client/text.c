/*
 * text.c: what the terminal may show of text it did not write. Contract and
 * party names, reasons, audit details, certificate subjects and verification
 * messages come from other organizations (through the server) or from a PDF;
 * printed raw, an ESC or a C1 CSI would let them clear the screen, move the
 * cursor or forge status lines, and a bidi override would reorder what is
 * shown. Every print of such text goes through client_text_clean().
 */
#include "client.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Code points that steer a terminal or the order in which text is displayed. */
static int
unsafe_cp(uint32_t cp)
{
	return cp < 0x20 || cp == 0x7f ||        /* C0 (newline and tab too), DEL */
	       (cp >= 0x80 && cp <= 0x9f) ||     /* C1, e.g. U+009B CSI */
	       cp == 0x061c ||                   /* ARABIC LETTER MARK */
	       cp == 0x200e || cp == 0x200f ||   /* LRM, RLM */
	       (cp >= 0x2028 && cp <= 0x202e) || /* line/paragraph separators, LRE..RLO */
	       (cp >= 0x2066 && cp <= 0x2069);   /* LRI..PDI */
}

/*
 * Decode one UTF-8 sequence at s (n bytes left, n > 0). Returns its length
 * and the code point, or 0 for a malformed, overlong, surrogate or
 * out-of-range sequence (the caller then replaces one byte).
 */
static size_t
utf8_next(const unsigned char *s, size_t n, uint32_t *cp)
{
	size_t len, i;
	uint32_t v, min;

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

char *
client_text_clean(const char *s, char *out, size_t outlen)
{
	const unsigned char *p = (const unsigned char *)(s != NULL ? s : "");
	size_t n = strlen((const char *)p), o = 0, k;
	uint32_t cp = 0;

	if (outlen == 0)
		return out;
	while (n > 0) {
		k = utf8_next(p, n, &cp);
		if (k == 0 || unsafe_cp(cp)) {
			if (o + 1 >= outlen)
				break;
			out[o++] = '?';
			k = k == 0 ? 1 : k;
		} else {
			/* Whole code points only, so a cut never leaves half a character. */
			if (o + k >= outlen)
				break;
			memcpy(out + o, p, k);
			o += k;
		}
		p += k;
		n -= k;
	}
	out[o] = '\0';
	return out;
}

const char *
client_json_text(json_t *obj, const char *key, const char *absent)
{
	json_t *v = json_object_get(obj, key);
	const char *t = json_string_value(v);
	size_t len;
	char *clean;

	if (t == NULL)
		return absent;
	len = strlen(t);
	if ((clean = malloc(len + 1)) == NULL)
		return absent;
	client_text_clean(t, clean, len + 1);
	/* Cleaning never lengthens; keep the document's string when nothing changed. */
	if (strcmp(clean, t) != 0 && json_string_set(v, clean) == 0)
		t = json_string_value(v);
	else if (strcmp(clean, t) != 0)
		t = absent;
	free(clean);
	return t;
}
