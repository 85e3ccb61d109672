/*
 * fuzz_ts_response.c: libFuzzer target over what an external TSA may answer:
 * arbitrary bytes as the TimeStampResp to one fixed TimeStampReq (SHA-256
 * imprint, nonce, certReq; the same bytes as corpus/ts_query.der, which
 * make_corpus_crypto.sh answers to make the seeds), through
 * crypto_ts_response_check without a trust store (the token's own signer is
 * the anchor) and with an empty one (every chain is untrusted). On success the
 * token must be a DER PKCS#7 of exactly the returned length.
 */
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/pkcs7.h>
#include <openssl/x509.h>

#include "crypto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t query[] = { 0x30, 0x43, 0x02, 0x01, 0x01, 0x30, 0x31, 0x30, 0x0d, 0x06,
				 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01,
				 0x05, 0x00, 0x04, 0x20, 0xe5, 0xe5, 0x9d, 0x0c, 0xc8, 0xbe,
				 0x2a, 0x8a, 0xba, 0x94, 0xf7, 0x4d, 0x0d, 0x4b, 0x0c, 0x90,
				 0x8a, 0x20, 0x66, 0x64, 0xb4, 0xdb, 0x23, 0x03, 0xa3, 0x6f,
				 0xd9, 0xe7, 0x69, 0x67, 0xfb, 0x79, 0x02, 0x08, 0x49, 0xee,
				 0x9e, 0xda, 0x5c, 0x92, 0xe5, 0xb7, 0x01, 0x01, 0xff };

static X509_STORE *empty_store;

static void
check_one(const uint8_t *data, size_t size, X509_STORE *trust)
{
	struct sp_errinfo ei;
	uint8_t *token = NULL;
	size_t tokenlen = 0;
	time_t gen = 0;
	const unsigned char *p;
	PKCS7 *p7;
	int r;

	sp_errinfo_init(&ei);
	r = crypto_ts_response_check(data, size, query, sizeof(query), trust, &token, &tokenlen,
				     &gen, &ei);
	if (r != SP_OK) {
		if (token != NULL || tokenlen != 0 || gen != 0 || ei.code != r || r >= 0)
			abort();
		return;
	}
	if (trust == empty_store)
		abort(); /* nothing chains to an empty store */
	p = token;
	if (token == NULL || (p7 = d2i_PKCS7(NULL, &p, (long)tokenlen)) == NULL ||
	    p != token + tokenlen)
		abort();
	PKCS7_free(p7);
	free(token);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (empty_store == NULL && (empty_store = X509_STORE_new()) == NULL)
		abort();
	check_one(data, size, NULL);
	check_one(data, size, empty_store);
	/* Nothing may be left on this thread's queue for the next input. */
	if (ERR_peek_error() != 0)
		abort();
	return 0;
}
