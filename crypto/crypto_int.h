/*
 * crypto_int.h: private declarations shared by crypto/ source files. Not
 * installed, not included outside crypto/. Each part names its owner files.
 */
#pragma once

#include "crypto.h"

/* ---- CMS signing and timestamps (cms*.c, sig*.c, ts*.c, tsa*.c, digest*.c) ---- */

/*
 * Record an error like sp_err_reason() (reason may be NULL) and drain this
 * thread's OpenSSL error queue into it: the first OpenSSL code goes to
 * ei->ossl and its text is appended to the message. Returns code.
 */
int cms_err_ossl(struct sp_errinfo *ei, int code, const char *reason, const char *fmt, ...)
	SP_PRINTF(4, 5);

/* EVP_MD for a content digest (static, not to be freed); NULL if unknown. */
const EVP_MD *cms_digest_md(enum crypto_digest_alg alg);

/*
 * Verify sig over tbs with pkey (an EVP_PKEY of the type alg names); the
 * core of crypto_sig_verify, also used for the key taken from a token.
 */
int cms_sig_verify_pkey(EVP_PKEY *pkey, enum crypto_sigalg alg, const uint8_t *tbs, size_t tbslen,
			const uint8_t *sig, size_t siglen, struct sp_errinfo *ei) SP_WUR;

/*
 * Move a buffer OpenSSL allocated (from i2d_*(x, NULL-initialised pointer))
 * of length n into malloc'd memory for the caller, freeing the original
 * either way. n <= 0 means the encoding failed. Returns SP_OK or an error.
 */
int cms_ossl_to_malloc(unsigned char *obuf, int n, uint8_t **out, size_t *outlen,
		       struct sp_errinfo *ei) SP_WUR;
