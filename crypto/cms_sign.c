/*
 * cms_sign.c: CMS SignedData around a signature made elsewhere (a token).
 *
 * OpenSSL's CMS signs with a key it holds, and CMS_SignerInfo_sign() /
 * CMS_final() add a signing-time attribute that PAdES forbids. So prepare
 * encodes the signed attributes itself (crypto_cms_signed_attrs), the token
 * signs those bytes, and complete (crypto_cms_assemble) builds the SignerInfo
 * with CMS_PARTIAL, puts the very same attributes back, sets the token's
 * value and checks the result: it never signs anything.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/cms.h>
#include <openssl/ess.h>
#include <openssl/pkcs7.h>
#include <openssl/ts.h>

#include "crypto_int.h"

/* The SET OF attributes as DER, sorted (PKCS7_ATTR_SIGN reorders in place). */
static int
attrs_encode(STACK_OF(X509_ATTRIBUTE) * attrs, const ASN1_ITEM *it, uint8_t **der, size_t *derlen,
	     struct sp_errinfo *ei)
{
	unsigned char *obuf = NULL;
	int n;

	n = ASN1_item_i2d((const ASN1_VALUE *)attrs, &obuf, it);
	return cms_ossl_to_malloc(obuf, n, der, derlen, ei);
}

/*
 * The signer's ESS signing-certificate-v2 as DER (*der OPENSSL_malloc'd, the
 * caller's) and its length, or <= 0. Kept with the certificate object
 * (cert_kept.c): prepare measures it (the placeholder's size), builds the
 * signed attributes, and completion builds them once more, for the same
 * decoded certificate, and OSSL_ESS_signing_cert_v2_new_init hashes
 * the DER and copies the issuer name each time (about half of what building
 * the attributes cost).
 */
#define ESS_DER_MAX 4096

static int
ess_der(X509 *signer, unsigned char **der)
{
	ESS_SIGNING_CERT_V2 *sc = NULL;
	unsigned char kept[ESS_DER_MAX];
	size_t klen = 0;
	int n = 0;

	*der = NULL;
	if (cert_kept_get(signer, CERT_KEPT_ESS, kept, sizeof(kept), &klen) && klen > 0 &&
	    (*der = OPENSSL_malloc(klen)) != NULL) {
		memcpy(*der, kept, klen);
		return (int)klen;
	}
	/* ESS signing-certificate-v2 binds the signer certificate (SHA-256,
	 * the default algorithm, so the id carries no AlgorithmIdentifier)
	 * with its issuer and serial, as CAdES baseline asks. */
	if ((sc = OSSL_ESS_signing_cert_v2_new_init(cms_digest_md(CRYPTO_DIGEST_SHA256), signer,
						    NULL, 1)) == NULL)
		return 0;
	n = i2d_ESS_SIGNING_CERT_V2(sc, der);
	ESS_SIGNING_CERT_V2_free(sc);
	if (n > 0 && (size_t)n <= ESS_DER_MAX)
		cert_kept_put(signer, CERT_KEPT_ESS, *der, (size_t)n);
	return n;
}

/* The digest alg signs with, once alg is the one the signer's key makes. */
static int
alg_digest(X509 *signer, enum crypto_sigalg alg, const EVP_MD **md, struct sp_errinfo *ei)
{
	int r;

	*md = NULL;
	if ((r = sig_key_fits(signer != NULL ? X509_get0_pubkey(signer) : NULL, alg, ei)) != SP_OK)
		return r;
	if ((*md = cms_digest_md(crypto_sigalg_digest(alg))) == NULL)
		return sp_err(ei, SP_ERR_INVALID, "no digest for %s", crypto_sigalg_name(alg));
	return SP_OK;
}

int
crypto_cms_signed_attrs(X509 *signer, enum crypto_sigalg alg, const uint8_t *content_digest,
			size_t dlen, uint8_t **der, size_t *derlen, struct sp_errinfo *ei)
{
	int r = SP_ERR_INTERNAL;
	STACK_OF(X509_ATTRIBUTE) *attrs = NULL;
	unsigned char *scder = NULL;
	const EVP_MD *md;
	int n;

	*der = NULL;
	*derlen = 0;
	if ((r = alg_digest(signer, alg, &md, ei)) != SP_OK)
		goto out;
	if (content_digest == NULL || dlen != (size_t)EVP_MD_get_size(md)) {
		r = sp_err(ei, SP_ERR_INVALID, "content digest of %zu bytes, %d expected for %s",
			   dlen, EVP_MD_get_size(md), crypto_sigalg_name(alg));
		goto out;
	}
	if ((n = ess_der(signer, &scder)) <= 0) {
		r = cms_err_ossl(ei, SP_ERR_CRYPTO, NULL, "cannot build signing-certificate-v2");
		goto out;
	}
	/* With length -1 and V_ASN1_OBJECT the "bytes" are the ASN1_OBJECT. */
	if (X509at_add1_attr_by_NID(&attrs, NID_pkcs9_contentType, V_ASN1_OBJECT,
				    (const unsigned char *)OBJ_nid2obj(NID_pkcs7_data),
				    -1) == NULL ||
	    X509at_add1_attr_by_NID(&attrs, NID_pkcs9_messageDigest, V_ASN1_OCTET_STRING,
				    content_digest, (int)dlen) == NULL ||
	    X509at_add1_attr_by_NID(&attrs, NID_id_smime_aa_signingCertificateV2, V_ASN1_SEQUENCE,
				    scder, n) == NULL) {
		r = cms_err_ossl(ei, SP_ERR_CRYPTO, NULL, "cannot build signed attributes");
		goto out;
	}
	/* DER SET OF is sorted by encoding, which makes the result depend on
	 * the inputs only. */
	if ((r = attrs_encode(attrs, ASN1_ITEM_rptr(PKCS7_ATTR_SIGN), der, derlen, ei)) != SP_OK)
		goto out;
	/* crypto_cms_assemble takes no more back (an absurd issuer name). */
	if (*derlen > CRYPTO_SIGNED_ATTRS_MAX) {
		r = sp_err(ei, SP_ERR_TOO_LARGE, "signed attributes of %zu bytes (at most %d)",
			   *derlen, CRYPTO_SIGNED_ATTRS_MAX);
		free(*der);
		*der = NULL;
		*derlen = 0;
		goto out;
	}
	r = SP_OK;
out:
	OPENSSL_free(scder);
	sk_X509_ATTRIBUTE_pop_free(attrs, X509_ATTRIBUTE_free);
	return r;
}

/*
 * Parse stored signed attributes and prove they are exactly what
 * crypto_cms_signed_attrs() makes for signer and their own message digest:
 * canonical DER, the three attributes and nothing else, signer's ESS id.
 */
static int
attrs_parse_checked(X509 *signer, enum crypto_sigalg alg, const uint8_t *der, size_t len,
		    STACK_OF(X509_ATTRIBUTE) * *out, struct crypto_attrs_checked *checked,
		    struct sp_errinfo *ei)
{
	int r = SP_ERR_INTERNAL;
	STACK_OF(X509_ATTRIBUTE) *attrs = NULL;
	const unsigned char *p = der;
	ASN1_OCTET_STRING *mdv;
	uint8_t *again = NULL;
	size_t againlen = 0;

	*out = NULL;
	if (der == NULL || len == 0 || len > CRYPTO_SIGNED_ATTRS_MAX) {
		r = sp_err(ei, SP_ERR_INVALID, "signed attributes of %zu bytes (1..%d accepted)",
			   len, CRYPTO_SIGNED_ATTRS_MAX);
		goto out;
	}
	attrs = (STACK_OF(X509_ATTRIBUTE) *)ASN1_item_d2i(NULL, &p, (long)len,
							  ASN1_ITEM_rptr(PKCS7_ATTR_SIGN));
	if (attrs == NULL || p != der + len) {
		r = cms_err_ossl(ei, SP_ERR_INVALID, "bad_signed_attrs",
				 "the signed attributes are not a DER SET OF Attribute");
		goto out;
	}
	/* -3: exactly one attribute with exactly one value. */
	mdv = X509at_get0_data_by_OBJ(attrs, OBJ_nid2obj(NID_pkcs9_messageDigest), -3,
				      V_ASN1_OCTET_STRING);
	if (mdv == NULL) {
		r = cms_err_ossl(ei, SP_ERR_INVALID, "bad_signed_attrs",
				 "the signed attributes carry no single message-digest");
		goto out;
	}
	if ((r = crypto_cms_signed_attrs(signer, alg, ASN1_STRING_get0_data(mdv),
					 (size_t)ASN1_STRING_length(mdv), &again, &againlen, ei)) !=
	    SP_OK)
		goto out;
	if (againlen != len || memcmp(again, der, len) != 0) {
		r = sp_err_reason(ei, SP_ERR_INVALID, "bad_signed_attrs",
				  "the signed attributes are not the ones prepared for this "
				  "signer");
		goto out;
	}
	/* they are the rebuild over this digest (crypto_cms_signed_attrs took only 32 bytes) */
	if (checked != NULL && (size_t)ASN1_STRING_length(mdv) <= sizeof(checked->md)) {
		checked->mdlen = (size_t)ASN1_STRING_length(mdv);
		memcpy(checked->md, ASN1_STRING_get0_data(mdv), checked->mdlen);
	}
	*out = attrs;
	attrs = NULL; /* transferred */
	r = SP_OK;
out:
	free(again);
	sk_X509_ATTRIBUTE_pop_free(attrs, X509_ATTRIBUTE_free);
	return r;
}

/* The timestamp token must be a TimeStampToken whose imprint is the hash of sig. */
static int
tst_check_imprint(const uint8_t *tst, size_t tstlen, const uint8_t *sig, size_t siglen,
		  struct sp_errinfo *ei)
{
	int r = SP_ERR_INTERNAL;
	const unsigned char *p = tst;
	PKCS7 *p7 = NULL;
	TS_TST_INFO *info = NULL;
	TS_MSG_IMPRINT *mi;
	const ASN1_OBJECT *aobj;
	ASN1_OCTET_STRING *want;
	unsigned char h[EVP_MAX_MD_SIZE];
	unsigned int hlen = 0;
	EVP_MD *md = NULL;
	char name[80];

	if (tstlen > CRYPTO_TS_RESP_MAX) {
		r = sp_err_reason(ei, SP_ERR_TOO_LARGE, "ts_malformed",
				  "timestamp token of %zu bytes", tstlen);
		goto out;
	}
	if ((p7 = d2i_PKCS7(NULL, &p, (long)tstlen)) == NULL || p != tst + tstlen ||
	    (info = PKCS7_to_TS_TST_INFO(p7)) == NULL) {
		r = cms_err_ossl(ei, SP_ERR_INVALID, "ts_malformed",
				 "the timestamp token is not a TimeStampToken");
		goto out;
	}
	mi = TS_TST_INFO_get_msg_imprint(info);
	X509_ALGOR_get0(&aobj, NULL, NULL, TS_MSG_IMPRINT_get_algo(mi));
	want = TS_MSG_IMPRINT_get_msg(mi);
	OBJ_obj2txt(name, sizeof(name), aobj, 0);
	if ((md = EVP_MD_fetch(NULL, name, NULL)) == NULL ||
	    EVP_Digest(sig, siglen, h, &hlen, md, NULL) != 1) {
		r = cms_err_ossl(ei, SP_ERR_CRYPTO, "ts_imprint_mismatch",
				 "the timestamp's imprint algorithm %s is not usable", name);
		goto out;
	}
	if ((unsigned int)ASN1_STRING_length(want) != hlen ||
	    memcmp(ASN1_STRING_get0_data(want), h, hlen) != 0) {
		r = sp_err_reason(ei, SP_ERR_CRYPTO, "ts_imprint_mismatch",
				  "the timestamp token is not over this signature value");
		goto out;
	}
	r = SP_OK;
out:
	EVP_MD_free(md);
	TS_TST_INFO_free(info);
	PKCS7_free(p7);
	return r;
}

static int
set_algs(CMS_SignerInfo *si, enum crypto_sigalg alg, const EVP_MD *md, struct sp_errinfo *ei)
{
	X509_ALGOR *pdig = NULL, *psig = NULL;
	int ok;

	CMS_SignerInfo_get0_algs(si, NULL, NULL, &pdig, &psig);
	if (pdig == NULL || psig == NULL)
		return sp_err(ei, SP_ERR_INTERNAL, "signer info without algorithms");
	X509_ALGOR_set_md(pdig, md);
	switch (alg) {
	case CRYPTO_SIGALG_RSA_SHA256:
		/* rsaEncryption + digestAlgorithm sha256 is sha256WithRSAEncryption
		 * in CMS (RFC 5754 §3.2), the form every validator reads. */
		ok = X509_ALGOR_set0(psig, OBJ_nid2obj(NID_rsaEncryption), V_ASN1_NULL, NULL);
		break;
	case CRYPTO_SIGALG_ECDSA_SHA256:
		ok = X509_ALGOR_set0(psig, OBJ_nid2obj(NID_ecdsa_with_SHA256), V_ASN1_UNDEF, NULL);
		break;
	case CRYPTO_SIGALG_SM2_SM3:
		ok = X509_ALGOR_set0(psig, OBJ_nid2obj(NID_SM2_with_SM3), V_ASN1_UNDEF, NULL);
		break;
	default:
		return sp_err(ei, SP_ERR_INTERNAL, "unknown algorithm %d", (int)alg);
	}
	if (ok != 1)
		return cms_err_ossl(ei, SP_ERR_CRYPTO, NULL, "cannot set the signature algorithm");
	return SP_OK;
}

static int
add_certs(CMS_ContentInfo *cms, X509 *signer, STACK_OF(X509) * chain, struct sp_errinfo *ei)
{
	int i, j, n = sk_X509_num(chain);
	X509 *x;

	if (n > CRYPTO_CHAIN_MAX)
		return sp_err(ei, SP_ERR_LIMIT, "chain of %d certificates (at most %d)", n,
			      CRYPTO_CHAIN_MAX);
	for (i = 0; i < n; i++) {
		x = sk_X509_value(chain, i);
		if (x == NULL || X509_cmp(x, signer) == 0)
			continue;
		for (j = 0; j < i; j++)
			if (X509_cmp(x, sk_X509_value(chain, j)) == 0)
				break;
		if (j < i)
			continue;
		if (CMS_add1_cert(cms, x) != 1)
			return cms_err_ossl(ei, SP_ERR_CRYPTO, NULL,
					    "cannot add a chain certificate");
	}
	return SP_OK;
}

int
crypto_cms_size_max(X509 *signer, STACK_OF(X509) * chain, size_t attrs_len, size_t tst_max,
		    size_t *out, struct sp_errinfo *ei)
{
	EVP_PKEY *pk = signer != NULL ? X509_get0_pubkey(signer) : NULL;
	int i, j, n, sig, name, serial;
	size_t total;
	X509 *x;

	*out = 0;
	if (pk == NULL || (sig = EVP_PKEY_get_size(pk)) <= 0 || (n = i2d_X509(signer, NULL)) <= 0 ||
	    (name = i2d_X509_NAME(X509_get_issuer_name(signer), NULL)) <= 0 ||
	    (serial = i2d_ASN1_INTEGER(X509_get0_serialNumber(signer), NULL)) <= 0)
		return cms_err_ossl(ei, SP_ERR_INVALID, NULL,
				    "cannot size the signer's certificate");
	if (sk_X509_num(chain) > CRYPTO_CHAIN_MAX)
		return sp_err(ei, SP_ERR_LIMIT, "chain of %d certificates (at most %d)",
			      sk_X509_num(chain), CRYPTO_CHAIN_MAX);
	total = 512 + (size_t)n + (size_t)name + (size_t)serial + (size_t)sig + attrs_len + tst_max;
	/* The chain as add_certs() adds it: without the signer, each certificate once. */
	for (i = 0; i < sk_X509_num(chain); i++) {
		x = sk_X509_value(chain, i);
		if (x == NULL || X509_cmp(x, signer) == 0)
			continue;
		for (j = 0; j < i; j++)
			if (X509_cmp(x, sk_X509_value(chain, j)) == 0)
				break;
		if (j < i)
			continue;
		if ((n = i2d_X509(x, NULL)) <= 0)
			return cms_err_ossl(ei, SP_ERR_INVALID, NULL,
					    "cannot size a chain certificate");
		total += (size_t)n;
	}
	*out = total;
	return SP_OK;
}

/* The length of a DER TLV whose content is n bytes (short or long form). */
static size_t
der_tlv_len(size_t n)
{
	return 1 + (n < 0x80 ? 1 : n < 0x100 ? 2 : n < 0x10000 ? 3 : 4) + n;
}

/* One Attribute: SEQUENCE { OID, SET { value of vlen bytes } }. */
static size_t
attr_len(int nid, size_t vlen)
{
	return der_tlv_len(der_tlv_len((size_t)OBJ_length(OBJ_nid2obj(nid))) + der_tlv_len(vlen));
}

/*
 * The length crypto_cms_signed_attrs() encodes for signer and alg, counted
 * from its three attributes instead of built: the digest's value does not
 * change the length, and building the attributes only to measure them
 * doubled that work at every prepare. test_crypto_cms_assemble holds the
 * count to the built length for every key type.
 */
static int
signed_attrs_len(X509 *signer, enum crypto_sigalg alg, size_t *out, struct sp_errinfo *ei)
{
	unsigned char *scder = NULL;
	const EVP_MD *md;
	int r, n;

	*out = 0;
	if ((r = alg_digest(signer, alg, &md, ei)) != SP_OK)
		return r;
	if ((n = ess_der(signer, &scder)) <= 0)
		return cms_err_ossl(ei, SP_ERR_CRYPTO, NULL, "cannot build signing-certificate-v2");
	OPENSSL_free(scder);
	*out = der_tlv_len(
		attr_len(NID_pkcs9_contentType,
			 der_tlv_len((size_t)OBJ_length(OBJ_nid2obj(NID_pkcs7_data)))) +
		attr_len(NID_pkcs9_messageDigest, der_tlv_len((size_t)EVP_MD_get_size(md))) +
		attr_len(NID_id_smime_aa_signingCertificateV2, (size_t)n));
	if (*out > CRYPTO_SIGNED_ATTRS_MAX)
		return sp_err(ei, SP_ERR_TOO_LARGE, "signed attributes of %zu bytes (at most %d)",
			      *out, CRYPTO_SIGNED_ATTRS_MAX);
	return SP_OK;
}

int
crypto_cms_contents_max(X509 *signer, enum crypto_sigalg alg, STACK_OF(X509) * chain,
			size_t tst_max, size_t *out, struct sp_errinfo *ei)
{
	size_t alen = 0;
	int r;

	*out = 0;
	if ((r = signed_attrs_len(signer, alg, &alen, ei)) != SP_OK)
		return r;
	return crypto_cms_size_max(signer, chain, alen, tst_max, out, ei);
}

/*
 * Read the CMS back from its DER and check what a verifier will see: one
 * signer, signed attributes re-encoding to exactly the bytes the token
 * signed, and the signature valid over them.
 */
static int
check_output(X509 *signer, enum crypto_sigalg alg, const uint8_t *cms_der, size_t cmslen,
	     const uint8_t *attrs_der, size_t attrslen, struct sp_errinfo *ei)
{
	int r = SP_ERR_INTERNAL;
	const unsigned char *p = cms_der;
	CMS_ContentInfo *cms = NULL;
	STACK_OF(CMS_SignerInfo) * sis;
	STACK_OF(X509_ATTRIBUTE) *attrs = NULL;
	CMS_SignerInfo *si;
	ASN1_OCTET_STRING *sigv;
	uint8_t *again = NULL;
	size_t againlen = 0;
	int i, n;

	if ((cms = d2i_CMS_ContentInfo(NULL, &p, (long)cmslen)) == NULL || p != cms_der + cmslen ||
	    (sis = CMS_get0_SignerInfos(cms)) == NULL || sk_CMS_SignerInfo_num(sis) != 1) {
		r = cms_err_ossl(ei, SP_ERR_INTERNAL, NULL,
				 "the assembled CMS does not parse back");
		goto out;
	}
	si = sk_CMS_SignerInfo_value(sis, 0);
	if ((attrs = sk_X509_ATTRIBUTE_new_null()) == NULL) {
		r = sp_err(ei, SP_ERR_NOMEM, "out of memory");
		goto out;
	}
	n = CMS_signed_get_attr_count(si);
	for (i = 0; i < n; i++)
		if (!sk_X509_ATTRIBUTE_push(attrs, CMS_signed_get_attr(si, i))) {
			r = sp_err(ei, SP_ERR_NOMEM, "out of memory");
			goto out;
		}
	/* PKCS7_ATTR_VERIFY keeps the received order, as a verifier does. */
	if ((r = attrs_encode(attrs, ASN1_ITEM_rptr(PKCS7_ATTR_VERIFY), &again, &againlen, ei)) !=
	    SP_OK)
		goto out;
	if (againlen != attrslen || memcmp(again, attrs_der, attrslen) != 0) {
		r = sp_err(ei, SP_ERR_INTERNAL,
			   "the CMS signed attributes differ from the bytes the token signed");
		goto out;
	}
	/* OpenSSL's own CMS verifier as the independent check; it cannot take
	 * the SM2 distinguishing ID, so SM2 is checked by crypto_sig_verify. */
	if (alg == CRYPTO_SIGALG_SM2_SM3) {
		sigv = CMS_SignerInfo_get0_signature(si);
		if ((r = crypto_sig_verify(signer, alg, attrs_der, attrslen,
					   ASN1_STRING_get0_data(sigv),
					   (size_t)ASN1_STRING_length(sigv), ei)) != SP_OK)
			goto out;
	} else if (CMS_set1_signers_certs(cms, NULL, 0) < 0 || CMS_SignerInfo_verify(si) != 1) {
		r = cms_err_ossl(ei, SP_ERR_INTERNAL, NULL,
				 "OpenSSL does not verify the assembled signer info");
		goto out;
	}
	r = SP_OK;
out:
	free(again);
	sk_X509_ATTRIBUTE_free(attrs); /* the attributes belong to si */
	CMS_ContentInfo_free(cms);
	return r;
}

int
crypto_cms_assemble(X509 *signer, STACK_OF(X509) * chain, const uint8_t *signed_attrs_der,
		    size_t len, const uint8_t *sig, size_t siglen, const uint8_t *tst_der,
		    size_t tstlen, uint8_t **cms_der, size_t *cmslen, struct sp_errinfo *ei)
{
	return crypto_cms_assemble_ex(signer, chain, signed_attrs_der, len, sig, siglen, tst_der,
				      tstlen, 0, NULL, cms_der, cmslen, ei);
}

int
crypto_cms_assemble_ex(X509 *signer, STACK_OF(X509) * chain, const uint8_t *signed_attrs_der,
		       size_t len, const uint8_t *sig, size_t siglen, const uint8_t *tst_der,
		       size_t tstlen, unsigned flags, struct crypto_attrs_checked *checked,
		       uint8_t **cms_der, size_t *cmslen, struct sp_errinfo *ei)
{
	int engine = (flags & CRYPTO_CMS_ENGINE_CHECKS) != 0;
	int r = SP_ERR_INTERNAL;
	enum crypto_sigalg alg;
	STACK_OF(X509_ATTRIBUTE) *attrs = NULL;
	CMS_ContentInfo *cms = NULL;
	CMS_SignerInfo *si;
	const EVP_MD *md;
	unsigned char *obuf = NULL;
	int i, n;

	*cms_der = NULL;
	*cmslen = 0;
	if (checked != NULL)
		checked->mdlen = 0;
	if ((r = crypto_sigalg_for_cert(signer, &alg, ei)) != SP_OK)
		goto out;
	md = cms_digest_md(crypto_sigalg_digest(alg));
	if ((r = attrs_parse_checked(signer, alg, signed_attrs_der, len, &attrs, checked, ei)) !=
	    SP_OK)
		goto out;
	/* The token's value is checked before anything is built around it
	 * (with CRYPTO_CMS_ENGINE_CHECKS the caller has, and the engine will). */
	if (!engine &&
	    (r = crypto_sig_verify(signer, alg, signed_attrs_der, len, sig, siglen, ei)) != SP_OK)
		goto out;
	if (!engine && tst_der != NULL &&
	    (r = tst_check_imprint(tst_der, tstlen, sig, siglen, ei)) != SP_OK)
		goto out;
	if (tst_der != NULL && tstlen > CRYPTO_TS_RESP_MAX) {
		r = sp_err_reason(ei, SP_ERR_TOO_LARGE, "ts_malformed",
				  "timestamp token of %zu bytes", tstlen);
		goto out;
	}

	/* An empty SignedData, detached: the PDF holds the content. */
	if ((cms = CMS_ContentInfo_new()) == NULL || CMS_SignedData_init(cms) != 1 ||
	    CMS_set_detached(cms, 1) != 1) {
		r = cms_err_ossl(ei, SP_ERR_CRYPTO, NULL, "cannot create the SignedData");
		goto out;
	}
	/* The public key stands in for the private one: CMS_PARTIAL means
	 * nothing is signed here, and CMS_NOATTR keeps OpenSSL's default
	 * attributes (smimeCapabilities, later signing-time) out. */
	si = CMS_add1_signer(cms, signer, X509_get0_pubkey(signer), md,
			     CMS_PARTIAL | CMS_NOATTR | CMS_BINARY);
	if (si == NULL) {
		r = cms_err_ossl(ei, SP_ERR_CRYPTO, NULL, "cannot add the signer");
		goto out;
	}
	for (i = 0; i < sk_X509_ATTRIBUTE_num(attrs); i++)
		if (CMS_signed_add1_attr(si, sk_X509_ATTRIBUTE_value(attrs, i)) != 1) {
			r = cms_err_ossl(ei, SP_ERR_CRYPTO, NULL,
					 "cannot set the signed attributes");
			goto out;
		}
	if ((r = set_algs(si, alg, md, ei)) != SP_OK)
		goto out;
	if (ASN1_STRING_set(CMS_SignerInfo_get0_signature(si), sig, (int)siglen) != 1) {
		r = cms_err_ossl(ei, SP_ERR_NOMEM, NULL, "cannot set the signature value");
		goto out;
	}
	if (tst_der != NULL &&
	    CMS_unsigned_add1_attr_by_NID(si, NID_id_smime_aa_timeStampToken, V_ASN1_SEQUENCE,
					  tst_der, (int)tstlen) != 1) {
		r = cms_err_ossl(ei, SP_ERR_CRYPTO, NULL, "cannot add the timestamp token");
		goto out;
	}
	if ((r = add_certs(cms, signer, chain, ei)) != SP_OK)
		goto out;
	if ((n = i2d_CMS_ContentInfo(cms, &obuf)) <= 0) {
		r = cms_err_ossl(ei, SP_ERR_CRYPTO, NULL, "cannot encode the CMS");
		goto out;
	}
	if (!engine &&
	    (r = check_output(signer, alg, obuf, (size_t)n, signed_attrs_der, len, ei)) != SP_OK)
		goto out;
	r = cms_ossl_to_malloc(obuf, n, cms_der, cmslen, ei);
	obuf = NULL; /* transferred */
out:
	OPENSSL_free(obuf);
	CMS_ContentInfo_free(cms);
	sk_X509_ATTRIBUTE_pop_free(attrs, X509_ATTRIBUTE_free);
	return r;
}
