/*
 * fuzz_cert_cache.c: libFuzzer target, differential. A CMS or PKCS#7
 * SignedData parsed with its certificates from the certificate cache
 * (cert_cache_cms_d2i / cert_cache_pkcs7_d2i, as the verification engine
 * parses every /Contents and timestamp token) must be what the plain OpenSSL
 * decoder makes of the same bytes: both refuse, or both accept, take the
 * same number of bytes and encode back to the same DER. One small cache
 * lives across inputs, so hits, misses and evictions all happen. An OCSP
 * response's certificates read from its DER are the decoder's.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/pkcs7.h>

#include "crypto_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct cert_cache *cache;

static void
same_der(unsigned char *a, int alen, unsigned char *b, int blen)
{
	if (alen != blen || (alen > 0 && memcmp(a, b, (size_t)alen) != 0))
		abort();
	OPENSSL_free(a);
	OPENSSL_free(b);
}

/*
 * An OCSP response's certificates read from its DER (trust_ocsp_certs_cached)
 * are the ones OpenSSL's decoder finds, in order, whenever both read it.
 */
static void
ocsp_same(const uint8_t *data, size_t size)
{
	const unsigned char *p = data;
	OCSP_RESPONSE *rsp = d2i_OCSP_RESPONSE(NULL, &p, (long)size);
	OCSP_BASICRESP *bs = rsp ? OCSP_response_get1_basic(rsp) : NULL;
	const STACK_OF(X509) *want = bs ? OCSP_resp_get0_certs(bs) : NULL;
	STACK_OF(X509) *got = NULL;
	int i;

	if (trust_ocsp_certs_cached(NULL, data, size, &got) && bs != NULL &&
	    (size_t)(p - data) == size) {
		if (sk_X509_num(got) != (want ? sk_X509_num(want) : 0))
			abort();
		for (i = 0; i < sk_X509_num(got); i++)
			if (X509_cmp(sk_X509_value(got, i), sk_X509_value(want, i)) != 0)
				abort();
	}
	sk_X509_pop_free(got, X509_free);
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(rsp);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const unsigned char *p;
	CMS_ContentInfo *c1, *c2;
	PKCS7 *p1, *p2;
	unsigned char *a = NULL, *b = NULL;
	size_t used = 0;
	int alen, blen;

	if (cache == NULL && (cache = cert_cache_new(8, 64 * 1024)) == NULL)
		abort();
	if (size > 65536)
		return 0;
	p = data;
	c1 = cert_cache_cms_d2i(cache, data, size, &used);
	c2 = d2i_CMS_ContentInfo(NULL, &p, (long)size);
	if ((c1 == NULL) != (c2 == NULL))
		abort();
	if (c1 != NULL) {
		if (used != (size_t)(p - data))
			abort();
		alen = i2d_CMS_ContentInfo(c1, &a);
		blen = i2d_CMS_ContentInfo(c2, &b);
		same_der(a, alen, b, blen);
		a = b = NULL;
	}
	CMS_ContentInfo_free(c1);
	CMS_ContentInfo_free(c2);
	p = data;
	p1 = cert_cache_pkcs7_d2i(cache, data, size, &used);
	p2 = d2i_PKCS7(NULL, &p, (long)size);
	if ((p1 == NULL) != (p2 == NULL))
		abort();
	if (p1 != NULL) {
		if (used != (size_t)(p - data))
			abort();
		alen = i2d_PKCS7(p1, &a);
		blen = i2d_PKCS7(p2, &b);
		same_der(a, alen, b, blen);
	}
	PKCS7_free(p1);
	PKCS7_free(p2);
	ocsp_same(data, size);
	ERR_clear_error();
	return 0;
}
