/*
 * fuzz_seseal.c: libFuzzer target over the GB/T 38540 SESeal reader, which
 * `sealpact seal install` runs on the bytes the server sends before anything
 * is stored on the token: arbitrary bytes through crypto_seseal_verify (no
 * maker required), then crypto_seseal_binds on whatever verified. Checks the
 * documented contract: on failure an error is recorded and nothing is left
 * in the output; on success the text fields are NUL-terminated, the maker's
 * certificate is there and the picture is no larger than the input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509.h>

#include "crypto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
must_terminate(const char *s, size_t n)
{
	if (memchr(s, '\0', n) == NULL)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sp_errinfo ei;
	struct crypto_seseal s;
	int r;

	sp_errinfo_init(&ei);
	memset(&s, 0xa5, sizeof(s)); /* the reader must clear what it does not fill */
	r = crypto_seseal_verify(data, size, NULL, &s, &ei);
	if (r != SP_OK) {
		if (ei.code != r || r >= 0 || s.png != NULL || s.maker != NULL || s.certs != NULL)
			abort();
		ERR_clear_error();
		return 0;
	}
	must_terminate(s.header_id, sizeof(s.header_id));
	must_terminate(s.vid, sizeof(s.vid));
	must_terminate(s.es_id, sizeof(s.es_id));
	must_terminate(s.name, sizeof(s.name));
	must_terminate(s.picture_type, sizeof(s.picture_type));
	must_terminate(s.sig_alg, sizeof(s.sig_alg));
	if (s.maker == NULL || s.png_len > size || (s.png_len > 0 && s.png == NULL))
		abort();
	(void)crypto_seseal_binds(&s, s.maker);
	crypto_seseal_cleanup(&s);
	ERR_clear_error();
	return 0;
}
