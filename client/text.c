/*
 * text.c: what the terminal may show of text it did not write. Contract and
 * party names, reasons, audit details, certificate subjects and verification
 * messages come from other organizations (through the server) or from a PDF;
 * printed raw, an ESC or a C1 CSI would let them clear the screen, move the
 * cursor or forge status lines, and a bidi override would reorder what is
 * shown. Every print of such text goes through client_text_clean().
 */
#include "client.h"

#include <stdlib.h>
#include <string.h>

char *
client_text_clean(const char *s, char *out, size_t outlen)
{
	const unsigned char *p = (const unsigned char *)(s != NULL ? s : "");
	size_t n = strlen((const char *)p), o = 0, k;
	uint32_t cp = 0;

	if (outlen == 0)
		return out;
	while (n > 0) {
		k = sp_utf8_next(p, n, &cp);
		if (k == 0 || sp_text_cp_unsafe(cp)) {
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
