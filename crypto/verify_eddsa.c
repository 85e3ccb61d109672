/*
 * verify_eddsa.c: Ed25519 and Ed448 signatures in CMS (RFC 8419), which
 * OpenSSL 3.0's CMS cannot verify: over the signed attributes themselves,
 * or, without them, over the signed bytes themselves (PureEdDSA, no
 * prehash, so no running digest serves them: verify.c charges what they
 * hash to the work budget). verify_cms.c calls them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "verify_int.h"

/*
 * EdDSA in CMS (RFC 8419): the signature is over the DER of the signed
 * attributes themselves, no prehash. OpenSSL 3.0's CMS cannot run it, so it
 * is checked here; returns 1 when it verifies (rep says why not).
 */
int
eddsa_verify(CMS_SignerInfo *si, X509 *signer, ASN1_OCTET_STRING *sigval,
	     struct crypto_sig_report *rep)
{
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	unsigned char *der = NULL;
	int derlen = 0, ok;

	snprintf(rep->sig_alg, sizeof(rep->sig_alg), "%s",
		 EVP_PKEY_get_base_id(X509_get0_pubkey(signer)) == EVP_PKEY_ED25519 ? "ED25519"
										    : "ED448");
	ok = m && signed_attrs_der(si, &der, &derlen) &&
	     EVP_DigestVerifyInit_ex(m, NULL, NULL, NULL, NULL, X509_get0_pubkey(signer), NULL) ==
		     1 &&
	     EVP_DigestVerify(m, ASN1_STRING_get0_data(sigval), (size_t)ASN1_STRING_length(sigval),
			      der, (size_t)derlen) == 1;
	if (!ok)
		verify_fail(rep, CRYPTO_VERDICT_INVALID, "bad_signature",
			    "the %s signature does not verify with the signer's key", rep->sig_alg);
	ERR_clear_error();
	EVP_MD_CTX_free(m);
	OPENSSL_free(der);
	return ok;
}

/*
 * PureEdDSA over the content itself (RFC 8419 §3.1: without signed
 * attributes the signature is over the content, no prehash): the byte
 * ranges, or econtent for adbe.pkcs7.sha1. Ed25519 and Ed448 take the
 * message whole, so the two ranges are joined in one buffer: at most the
 * file, which the caller holds already within its size cap. 1 when it
 * verifies (the bytes are then proven too); rep says why not.
 */
int
eddsa_bare_verify(X509 *signer, const ASN1_OCTET_STRING *sigval, const struct verify_ranges *rg,
		  const unsigned char *econtent, size_t econtent_len, struct crypto_sig_report *rep)
{
	EVP_MD_CTX *m = NULL;
	unsigned char *msg = NULL;
	size_t n = econtent ? econtent_len : rg->a + (rg->end - rg->b);
	int ok = 0;

	snprintf(rep->sig_alg, sizeof(rep->sig_alg), "%s",
		 EVP_PKEY_get_base_id(X509_get0_pubkey(signer)) == EVP_PKEY_ED25519 ? "ED25519"
										    : "ED448");
	if (!econtent) {
		if (!(msg = malloc(n ? n : 1))) {
			/* no verdict either way: fail closed */
			verify_fail(rep, CRYPTO_VERDICT_INDETERMINATE, "unsupported_algorithm",
				    "the %s signature over the %zu signed bytes cannot be checked: "
				    "out of memory",
				    rep->sig_alg, n);
			goto out;
		}
		memcpy(msg, rg->data, rg->a);
		memcpy(msg + rg->a, rg->data + rg->b, rg->end - rg->b);
		if (rg->alone != NULL)
			*rg->alone += n;
	}
	if (!(m = EVP_MD_CTX_new()) ||
	    EVP_DigestVerifyInit_ex(m, NULL, NULL, NULL, NULL, X509_get0_pubkey(signer), NULL) !=
		    1) {
		verify_fail(rep, CRYPTO_VERDICT_INDETERMINATE, "unsupported_algorithm",
			    "the %s key cannot be used here", rep->sig_alg);
		goto out;
	}
	if (EVP_DigestVerify(m, ASN1_STRING_get0_data(sigval), (size_t)ASN1_STRING_length(sigval),
			     econtent ? econtent : msg, n) != 1) {
		/* PureEdDSA signs the bytes themselves: a changed byte and a value that is
		   not the signer's fail alike */
		verify_fail(rep, CRYPTO_VERDICT_INVALID, "bad_signature",
			    "the %s signature (made without signed attributes, over the signed "
			    "bytes themselves) does not verify: the bytes changed or the signature "
			    "is not the signer's",
			    rep->sig_alg);
		goto out;
	}
	rep->digest_ok = 1;
	ok = 1;
out:
	ERR_clear_error();
	EVP_MD_CTX_free(m);
	free(msg);
	return ok;
}
