/*
 * verify_pkcs1.c: adbe.x509.rsa_sha1 signatures (ISO 32000-1 §12.8.3.2),
 * Acrobat's oldest kind and still in files from older signing tools: no CMS,
 * /Contents is the DER OCTET STRING of an RSA PKCS #1 v1.5 signature whose
 * DigestInfo names the digest of the byte ranges (SHA-1 by the name, SHA-2
 * since PDF 1.7), and the dictionary's /Cert carries the signer's
 * certificate first and the rest of its chain. Legacy, never PAdES; the
 * signature, the chain and revocation are checked as for a CMS signature.
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "verify_int.h"

/* The signature value: one DER OCTET STRING, then only the placeholder's zeros. */
static ASN1_OCTET_STRING *
sig_value(const uint8_t *sig, size_t siglen)
{
	const unsigned char *p = sig;
	ASN1_OCTET_STRING *v;
	size_t k;

	if (siglen > LONG_MAX || !(v = d2i_ASN1_OCTET_STRING(NULL, &p, (long)siglen)))
		return NULL;
	for (k = (size_t)(p - sig); k < siglen; k++)
		if (sig[k] != 0) {
			ASN1_OCTET_STRING_free(v);
			return NULL;
		}
	return v;
}

/* /Cert's strings as certificates, each exactly one DER certificate; NULL if one is not. */
static STACK_OF(X509) * certs_parse(const struct pdf_blob *certs, size_t ncerts)
{
	STACK_OF(X509) *st = sk_X509_new_null();
	size_t i;

	for (i = 0; st && i < ncerts; i++) {
		const unsigned char *p = certs[i].data;
		X509 *x = certs[i].len <= LONG_MAX ? d2i_X509(NULL, &p, (long)certs[i].len) : NULL;
		if (!x || p != certs[i].data + certs[i].len || !sk_X509_push(st, x)) {
			X509_free(x);
			sk_X509_pop_free(st, X509_free);
			return NULL;
		}
	}
	return st;
}

/*
 * The digest algorithm the signature value's DigestInfo names (NID_undef when
 * the value does not open with the key into a DigestInfo: no signature of
 * this key's over anything).
 */
static int
recovered_digest(EVP_PKEY *pk, const ASN1_OCTET_STRING *v, unsigned char *dig, size_t *diglen)
{
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new(pk, NULL);
	size_t n = (size_t)EVP_PKEY_get_size(pk);
	unsigned char *buf = OPENSSL_malloc(n > 0 ? n : 1);
	const unsigned char *p = buf;
	X509_SIG *di = NULL;
	const X509_ALGOR *alg;
	const ASN1_OCTET_STRING *d;
	int nid = NID_undef;

	if (c && buf && EVP_PKEY_verify_recover_init(c) == 1 &&
	    EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_PADDING) == 1 &&
	    EVP_PKEY_verify_recover(c, buf, &n, ASN1_STRING_get0_data(v),
				    (size_t)ASN1_STRING_length(v)) == 1 &&
	    (di = d2i_X509_SIG(NULL, &p, (long)n)) != NULL && p == buf + n) {
		X509_SIG_get0(di, &alg, &d);
		if ((size_t)ASN1_STRING_length(d) <= *diglen) {
			nid = OBJ_obj2nid(alg->algorithm);
			*diglen = (size_t)ASN1_STRING_length(d);
			memcpy(dig, ASN1_STRING_get0_data(d), *diglen);
		}
	}
	X509_SIG_free(di);
	OPENSSL_free(buf);
	EVP_PKEY_CTX_free(c);
	ERR_clear_error();
	return nid;
}

/* The PKCS #1 v1.5 check proper: the whole encoding, DigestInfo's DER included (1). */
static int
pkcs1_verify(EVP_PKEY *pk, const EVP_MD *md, const ASN1_OCTET_STRING *v, const unsigned char *h,
	     size_t hl)
{
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new(pk, NULL);
	int ok = c && EVP_PKEY_verify_init(c) == 1 &&
		 EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_PADDING) == 1 &&
		 EVP_PKEY_CTX_set_signature_md(c, md) == 1 &&
		 EVP_PKEY_verify(c, ASN1_STRING_get0_data(v), (size_t)ASN1_STRING_length(v), h,
				 hl) == 1;

	EVP_PKEY_CTX_free(c);
	ERR_clear_error();
	return ok;
}

void
verify_pkcs1(const struct crypto_verify_opts *opts, const struct verify_ranges *rg,
	     const uint8_t *sig, size_t siglen, const struct pdf_blob *certs, size_t ncerts,
	     const struct crypto_evidence *ev, struct crypto_sig_report *rep)
{
	ASN1_OCTET_STRING *v = sig_value(sig, siglen);
	STACK_OF(X509) *st = certs_parse(certs, ncerts);
	X509 *signer;
	EVP_PKEY *pk;
	const EVP_MD *md;
	unsigned char want[EVP_MAX_MD_SIZE], h[EVP_MAX_MD_SIZE];
	size_t wantlen = sizeof(want);
	unsigned int hl = 0;
	int dnid, signid = NID_undef;

	rep->digest_ok = rep->signature_ok = 0;
	snprintf(rep->level, sizeof(rep->level), "not_pades");
	if (!v) {
		verify_fail(rep, CRYPTO_VERDICT_INVALID, "signature_malformed",
			    "/Contents is not the DER OCTET STRING of a PKCS #1 signature");
		goto out;
	}
	if (!st || sk_X509_num(st) == 0) {
		verify_fail(rep, CRYPTO_VERDICT_INVALID, "signer_cert_missing",
			    "/Cert does not hold the signer's certificate");
		goto out;
	}
	signer = sk_X509_value(st, 0);
	rep->has_signer = crypto_cert_info_get(signer, &rep->signer, NULL) == SP_OK;
	pk = X509_get0_pubkey(signer);
	if (!pk || EVP_PKEY_get_base_id(pk) != EVP_PKEY_RSA) {
		verify_fail(rep, CRYPTO_VERDICT_INDETERMINATE, "unsupported_algorithm",
			    "an adbe.x509.rsa_sha1 signature by a key that is not RSA");
		goto out;
	}
	dnid = recovered_digest(pk, v, want, &wantlen);
	if (dnid == NID_undef) {
		verify_fail(rep, CRYPTO_VERDICT_INVALID, "bad_signature",
			    "the signature does not verify with the signer's key");
		goto out;
	}
	snprintf(rep->digest_alg, sizeof(rep->digest_alg), "%s", OBJ_nid2sn(dnid));
	if (OBJ_find_sigid_by_algs(&signid, dnid, NID_rsaEncryption))
		snprintf(rep->sig_alg, sizeof(rep->sig_alg), "%s", OBJ_nid2sn(signid));
	if (!digest_ok(dnid, rep, "the signature"))
		goto out;
	if (!(md = EVP_get_digestbynid(dnid)) || !ranges_digest(md, rg, h, &hl)) {
		verify_fail(rep, CRYPTO_VERDICT_INDETERMINATE, "unsupported_algorithm",
			    "the digest %s cannot be computed here", OBJ_nid2sn(dnid));
		goto out;
	}
	if (hl != wantlen || memcmp(h, want, hl) != 0) {
		verify_fail(rep, CRYPTO_VERDICT_INVALID, "digest_mismatch",
			    "the signed bytes do not match the signature's digest");
		goto out;
	}
	rep->digest_ok = 1;
	if (!pkcs1_verify(pk, md, v, h, hl)) {
		verify_fail(rep, CRYPTO_VERDICT_INVALID, "bad_signature",
			    "the signature's PKCS #1 encoding is not the one its digest has");
		goto out;
	}
	rep->signature_ok = 1;
	chain_check(opts, signer, st, ev, ev, rep);
out:
	sk_X509_pop_free(st, X509_free);
	ASN1_OCTET_STRING_free(v);
}
