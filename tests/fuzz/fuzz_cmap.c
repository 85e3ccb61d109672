/*
 * fuzz_cmap.c: libFuzzer target for the CMap parser (ToUnicode and embedded
 * Type0 encodings): parse arbitrary bytes, then split the same bytes into
 * codes and look every code up, as the interpreter would.
 */
#include <stdint.h>
#include <stdlib.h>

#include "text_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cmap *cm = NULL;
	uint32_t u[FONT_MAX_UNI], cid;
	size_t pos = 0, n, i;

	if (cmap_parse(data, size, &cm, NULL) != SP_OK)
		return 0;
	while (pos < size) {
		uint32_t code = 0;
		n = cmap_code_len(cm, data + pos, size - pos, 2);
		if (n < 1 || n > size - pos || n > 4)
			abort(); /* the promise callers rely on */
		for (i = 0; i < n; i++)
			code = code << 8 | data[pos + i];
		if (cmap_lookup_bf(cm, code, n, u, FONT_MAX_UNI) > FONT_MAX_UNI)
			abort();
		(void)cmap_lookup_cid(cm, code, n, &cid);
		pos += n;
	}
	cmap_free(cm);
	return 0;
}
