/* cms_err.c: turning OpenSSL's per-thread error queue into a struct sp_errinfo. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "crypto_int.h"

int
cms_err_ossl(struct sp_errinfo *ei, int code, const char *reason, const char *fmt, ...)
{
	va_list ap;
	unsigned long e, first = 0;
	char text[256];
	int fresh = ei != NULL && ei->code == SP_OK;

	va_start(ap, fmt);
	sp_errv(ei, code, fmt, ap);
	va_end(ap);
	/* Always drain, even when an earlier error is kept: a stale queue would
	 * be blamed on the next, unrelated failure of this thread. */
	while ((e = ERR_get_error()) != 0) {
		if (first == 0)
			first = e;
	}
	if (!fresh)
		return code;
	if (reason != NULL)
		snprintf(ei->reason, sizeof(ei->reason), "%s", reason);
	if (first != 0) {
		size_t n = strlen(ei->msg);

		ei->ossl = first;
		ERR_error_string_n(first, text, sizeof(text));
		if (n + 3 < sizeof(ei->msg))
			snprintf(ei->msg + n, sizeof(ei->msg) - n, " (%s)", text);
	}
	return code;
}

int
cms_ossl_to_malloc(unsigned char *obuf, int n, uint8_t **out, size_t *outlen, struct sp_errinfo *ei)
{
	int r = SP_ERR_INTERNAL;

	*out = NULL;
	*outlen = 0;
	if (n <= 0 || obuf == NULL) {
		r = cms_err_ossl(ei, SP_ERR_CRYPTO, NULL, "DER encoding failed");
		goto out;
	}
	if ((*out = malloc((size_t)n)) == NULL) {
		r = sp_err(ei, SP_ERR_NOMEM, "out of memory");
		goto out;
	}
	memcpy(*out, obuf, (size_t)n);
	*outlen = (size_t)n;
	r = SP_OK;
out:
	OPENSSL_free(obuf);
	return r;
}
