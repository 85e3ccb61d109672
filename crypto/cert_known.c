/*
 * cert_known.c: the certificates a trust store holds, decoded once per
 * process. OpenSSL 3 decodes a certificate's public key through its provider
 * decoders at every d2i_X509 (about a fifth of the server's CPU per signing
 * went there), and the CA certificates a signer sends or a signing session
 * stores are, most of the time, the configured roots and intermediates
 * themselves. The trust keeps them by the SHA-256 of their DER, built with
 * the trust and read-only after: any number of workers share the X509
 * objects (reference counted; their extension caches are filled here, before
 * any sharing).
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "crypto_int.h"

#define KNOWN_DER_MAX (64 * 1024) /* crypto_cert_parse's limit */

static int
known_cmp(const void *a, const void *b)
{
	return memcmp(((const struct trust_known *)a)->sha, ((const struct trust_known *)b)->sha,
		      sizeof(((const struct trust_known *)a)->sha));
}

static int
known_add(struct crypto_trust *t, size_t cap, X509 *x)
{
	unsigned char *der = NULL;
	unsigned int n = 0;
	int len;

	if (t->nknown == cap)
		return 0; /* more than counted: the rest are decoded when met */
	if ((len = i2d_X509(x, &der)) <= 0)
		return -1;
	if (EVP_Digest(der, (size_t)len, t->known[t->nknown].sha, &n,
		       cms_digest_md(CRYPTO_DIGEST_SHA256), NULL) != 1 ||
	    n != sizeof(t->known[0].sha) || X509_up_ref(x) != 1) {
		OPENSSL_free(der);
		return -1;
	}
	OPENSSL_free(der);
	/* computed now, while nothing else holds x (OpenSSL caches them lazily) */
	(void)X509_check_purpose(x, -1, 0);
	t->known[t->nknown].len = (size_t)len;
	t->known[t->nknown++].x = x;
	return 0;
}

int
trust_known_build(struct crypto_trust *t, struct sp_errinfo *ei)
{
	STACK_OF(X509_OBJECT) *objs = X509_STORE_get0_objects(t->store);
	size_t cap = (size_t)sk_X509_OBJECT_num(objs) + (size_t)sk_X509_num(t->intermediates);
	X509 *x;
	int i;

	if (cap == 0)
		return SP_OK;
	if ((t->known = calloc(cap, sizeof(*t->known))) == NULL)
		return sp_err(ei, SP_ERR_NOMEM, "out of memory");
	for (i = 0; i < sk_X509_OBJECT_num(objs); i++)
		if ((x = X509_OBJECT_get0_X509(sk_X509_OBJECT_value(objs, i))) != NULL &&
		    known_add(t, cap, x) != 0)
			return cms_err_ossl(ei, SP_ERR_CRYPTO, NULL, "cannot index a root");
	for (i = 0; i < sk_X509_num(t->intermediates); i++)
		if (known_add(t, cap, sk_X509_value(t->intermediates, i)) != 0)
			return cms_err_ossl(ei, SP_ERR_CRYPTO, NULL,
					    "cannot index an intermediate");
	qsort(t->known, t->nknown, sizeof(*t->known), known_cmp);
	return SP_OK;
}

void
trust_known_cleanup(struct crypto_trust *t)
{
	size_t i;

	for (i = 0; i < t->nknown; i++)
		X509_free(t->known[i].x);
	free(t->known);
	t->known = NULL;
	t->nknown = 0;
}

/* The known certificate with exactly these DER bytes, up-ref'd; NULL if none. */
static X509 *
known_get(const struct crypto_trust *t, const unsigned char *der, size_t len)
{
	struct trust_known key = { 0 }, *k;
	unsigned int n = 0;
	size_t i;

	if (t == NULL)
		return NULL;
	/* none of this length: not one of them, and the digest (some 20,000 instructions a
	   certificate) is spared for each signer's certificate a DSS holds, k of them at a
	   B-LT contract's k-th completion */
	for (i = 0; i < t->nknown && t->known[i].len != len; i++)
		;
	if (i == t->nknown ||
	    EVP_Digest(der, len, key.sha, &n, cms_digest_md(CRYPTO_DIGEST_SHA256), NULL) != 1)
		return NULL;
	k = bsearch(&key, t->known, t->nknown, sizeof(*t->known), known_cmp);
	if (k == NULL || X509_up_ref(k->x) != 1)
		return NULL;
	return k->x;
}

X509 *
trust_cert_get(const struct crypto_trust *t, const unsigned char *der, size_t len)
{
	X509 *x;

	if (der == NULL || len == 0 || len > KNOWN_DER_MAX)
		return NULL;
	if ((x = known_get(t, der, len)) != NULL)
		return x;
	return cert_cache_get(t != NULL ? t->certs : NULL, der, len);
}

int
crypto_trust_cert_parse(const struct crypto_trust *t, const unsigned char *data, size_t len,
			X509 **out, struct sp_errinfo *ei)
{
	*out = NULL;
	/* a PEM certificate or one that does not decode: the plain function's answer */
	if (t != NULL && (*out = trust_cert_get(t, data, len)) != NULL)
		return SP_OK;
	return crypto_cert_parse(data, len, out, ei);
}

int
crypto_trust_chain_from_der(const struct crypto_trust *t, const uint8_t *der, size_t len,
			    STACK_OF(X509) * *out, struct sp_errinfo *ei)
{
	STACK_OF(X509) *sk = NULL;
	const unsigned char *p = der, *end, *q, *e;
	long clen, elen;
	int tag, cls, ret;
	X509 *x = NULL;

	*out = NULL;
	if (t == NULL || der == NULL || len == 0 || len > CRYPTO_CHAIN_DER_MAX)
		return crypto_chain_from_der(der, len, out, ei);
	/* one definite-length SEQUENCE filling len; anything else: the plain decoder's answer */
	ret = ASN1_get_object(&p, &clen, &tag, &cls, (long)len);
	if ((ret & 0x80) || ret != V_ASN1_CONSTRUCTED || tag != V_ASN1_SEQUENCE ||
	    cls != V_ASN1_UNIVERSAL || p + clen != der + len)
		return crypto_chain_from_der(der, len, out, ei);
	end = p + clen;
	if ((sk = sk_X509_new_null()) == NULL)
		return sp_err(ei, SP_ERR_NOMEM, "out of memory");
	while (p < end) {
		q = p;
		ret = ASN1_get_object(&q, &elen, &tag, &cls, end - p);
		if ((ret & 0x80) || ret != V_ASN1_CONSTRUCTED || tag != V_ASN1_SEQUENCE ||
		    elen > end - q || sk_X509_num(sk) >= CRYPTO_CHAIN_MAX)
			goto plain;
		e = q + elen;
		if ((x = trust_cert_get(t, p, (size_t)(e - p))) == NULL)
			goto plain;
		if (sk_X509_push(sk, x) <= 0) {
			X509_free(x);
			sk_X509_pop_free(sk, X509_free);
			return sp_err(ei, SP_ERR_NOMEM, "out of memory");
		}
		x = NULL; /* transferred */
		p = e;
	}
	*out = sk;
	return SP_OK;
plain:
	/* what the plain decoder says of it, in its words */
	X509_free(x);
	sk_X509_pop_free(sk, X509_free);
	return crypto_chain_from_der(der, len, out, ei);
}
