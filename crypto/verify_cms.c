/*
 * verify_cms.c: the cryptographic half of PDF signature verification: the
 * CMS SignedData of one signature (digest, signature, signed attributes),
 * its RFC 3161 signature timestamp (the token checked in verify_ts.c), and
 * the signer's chain at the timestamp's time. Every failure becomes a reason
 * on the report with the verdict it deserves (verify.c assembles the rest;
 * the strength asked of the algorithms is verify_cms_algs.c's).
 *
 * SM2: OpenSSL 3.0's CMS verifier cannot set the distinguishing ID, so an
 * SM2 signer's signed attributes are re-encoded and checked with
 * crypto_sig_verify(), which sets CRYPTO_SM2_ID.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1t.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/ess.h>
#include <openssl/evp.h>
#include <openssl/pkcs7.h>
#include <openssl/rsa.h>

#include "verify_int.h"

/*
 * GM/T 0010-2012 (the SM2 cryptographic message syntax Chinese tools sign
 * with) is PKCS #7 under content types of its own: signedData
 * 1.2.156.10197.6.1.4.2.2, data 1.2.156.10197.6.1.4.2.1. gm_oid: o is the one
 * ending in `last` (the OID's content octets, compared as bytes).
 */
static const unsigned char gm_prefix[] = { 0x2a, 0x81, 0x1c, 0xcf, 0x55, 0x06, 0x01, 0x04, 0x02 };

/* o is the OID whose content octets are b[0..n): no object made per call */
static int
oid_is(const ASN1_OBJECT *o, const unsigned char *b, size_t n)
{
	return o != NULL && OBJ_length(o) == n && memcmp(OBJ_get0_data(o), b, n) == 0;
}

static int
gm_oid(const ASN1_OBJECT *o, unsigned char last)
{
	unsigned char want[sizeof(gm_prefix) + 1];

	memcpy(want, gm_prefix, sizeof(gm_prefix));
	want[sizeof(gm_prefix)] = last;
	return oid_is(o, want, sizeof(want));
}

/* A ContentInfo of any type: its content read as it is. */
typedef struct {
	ASN1_OBJECT *type;
	ASN1_TYPE *content;
} GM_CONTENT_INFO;

ASN1_SEQUENCE(GM_CONTENT_INFO) = {
	ASN1_SIMPLE(GM_CONTENT_INFO, type, ASN1_OBJECT),
	ASN1_EXP(GM_CONTENT_INFO, content, ASN1_ANY, 0),
} static_ASN1_SEQUENCE_END(GM_CONTENT_INFO)

/*
 * A GM/T 0010 SignedData as the same SignedData under id-signedData,
 * re-encoded by OpenSSL's ASN.1 (its signer infos, signed attributes,
 * signature and certificates are its own bytes: only the outer type
 * changes), for the CMS code to read; *used: the bytes of der it spans.
 * NULL when der is not one (then the usual decoder says what it is).
 */
static CMS_ContentInfo *
gm_cms_d2i(const unsigned char *der, size_t len, size_t *used)
{
	const unsigned char *p = der;
	GM_CONTENT_INFO *ci;
	CMS_ContentInfo *cms = NULL;
	unsigned char *re = NULL;
	int n;

	if (len < 16 || memmem(der, 16, gm_prefix, sizeof(gm_prefix)) == NULL ||
	    (ci = (GM_CONTENT_INFO *)ASN1_item_d2i(NULL, &p, (long)len,
						   ASN1_ITEM_rptr(GM_CONTENT_INFO))) == NULL)
		return NULL;
	if (gm_oid(ci->type, 2)) {
		*used = (size_t)(p - der);
		ASN1_OBJECT_free(ci->type);
		ci->type = OBJ_nid2obj(NID_pkcs7_signed);
		if ((n = ASN1_item_i2d((ASN1_VALUE *)ci, &re, ASN1_ITEM_rptr(GM_CONTENT_INFO))) >
		    0) {
			p = re;
			cms = d2i_CMS_ContentInfo(NULL, &p, n);
		}
	}
	OPENSSL_free(re);
	ASN1_item_free((ASN1_VALUE *)ci, ASN1_ITEM_rptr(GM_CONTENT_INFO));
	return cms;
}

/* The most CRLs or OCSP responses taken from one signature's Adobe attribute. */
#define ADBE_REVINFO_MAX 32

/*
 * The items of one [n] EXPLICIT SEQUENCE OF of a RevocationInfoArchival: each
 * element's whole encoding appended to it[*n] (views into p, nothing copied).
 * 0 when it is not DER as expected.
 */
static int
adbe_items(const unsigned char *p, long len, struct pdf_blob *it, size_t *n)
{
	const unsigned char *end = p + len, *q;
	long l;
	int tag, cls;

	if (ASN1_get_object(&p, &l, &tag, &cls, len) != V_ASN1_CONSTRUCTED ||
	    tag != V_ASN1_SEQUENCE || cls != V_ASN1_UNIVERSAL || p + l != end)
		return 0;
	while (p < end) {
		q = p;
		if (ASN1_get_object(&p, &l, &tag, &cls, end - p) & 0x80 || l > end - p ||
		    *n == ADBE_REVINFO_MAX)
			return 0;
		p += l;
		it[*n].data = (unsigned char *)q;
		it[(*n)++].len = (size_t)(p - q);
	}
	return 1;
}

/*
 * Adobe's adbe-revocationInfoArchival signed attribute (1.2.840.113583.1.1.8,
 * what Acrobat and iText embed at signing: RevocationInfoArchival ::= SEQUENCE
 * { crl [0] EXPLICIT SEQUENCE OF CRL OPTIONAL, ocsp [1] EXPLICIT SEQUENCE OF
 * OCSPResponse OPTIONAL, otherRevInfo [2] ... OPTIONAL }), and the CRLs of
 * the SignedData's own crls field (RFC 5652 §5.1 RevocationInfoChoices:
 * where BouncyCastle's addCRLs puts them, which the EU DSS validator reads as
 * a revocation source too), as evidence after ev's: *out shares ev's items
 * and certificates and adds its own, views into the attribute or DER
 * encodings of the field's CRLs (owned[0..*nowned), OPENSSL_free them; free
 * out->item[OCSPS/CRLS] only). Each item proves itself as a DSS item does (a
 * CRL signed by the issuer, a response by a trusted responder). 0 when the
 * signature carries none (a malformed attribute gives none).
 */
static int
embedded_evidence(CMS_ContentInfo *cms, CMS_SignerInfo *si, const struct crypto_evidence *ev,
		  struct crypto_evidence *out, unsigned char **owned, size_t *nowned)
{
	static const unsigned char oid[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x2f, 0x01, 0x01, 0x08 };
	struct pdf_blob it[2][ADBE_REVINFO_MAX];
	size_t n[2] = { 0, 0 }, k, base;
	ASN1_STRING *seq = NULL;
	STACK_OF(X509_CRL) * crls;
	const unsigned char *p, *end;
	long l;
	int tag, cls, kind, i, bad = 0;

	*nowned = 0;
	for (i = 0; i < CMS_signed_get_attr_count(si); i++) {
		X509_ATTRIBUTE *a = CMS_signed_get_attr(si, i);
		const ASN1_OBJECT *o = X509_ATTRIBUTE_get0_object(a);
		ASN1_TYPE *t;
		if (!oid_is(o, oid, sizeof(oid)))
			continue;
		if (seq != NULL || X509_ATTRIBUTE_count(a) != 1 ||
		    (t = X509_ATTRIBUTE_get0_type(a, 0)) == NULL || t->type != V_ASN1_SEQUENCE)
			bad = 1; /* twice, or not one SEQUENCE: none taken */
		else
			seq = t->value.sequence;
	}
	if (seq != NULL && !bad) {
		p = ASN1_STRING_get0_data(seq);
		if (ASN1_get_object(&p, &l, &tag, &cls, ASN1_STRING_length(seq)) !=
			    V_ASN1_CONSTRUCTED ||
		    tag != V_ASN1_SEQUENCE)
			bad = 1;
		for (end = p + l; !bad && p < end; p += l) {
			if (ASN1_get_object(&p, &l, &tag, &cls, end - p) != V_ASN1_CONSTRUCTED ||
			    cls != V_ASN1_CONTEXT_SPECIFIC || l > end - p) {
				bad = 1;
				break;
			}
			kind = tag == 0 ? 1 : tag == 1 ? 0 : -1; /* [0] CRLs, [1] OCSP responses */
			if (kind >= 0 && !adbe_items(p, l, it[kind], &n[kind]))
				bad = 1;
		}
		if (bad)
			n[0] = n[1] = 0;
	}
	/* the field's CRLs, each as its DER (OpenSSL decoded them with the CMS) */
	if ((crls = CMS_get1_crls(cms)) != NULL) {
		for (i = 0; i < sk_X509_CRL_num(crls) && n[1] < ADBE_REVINFO_MAX; i++) {
			unsigned char *der = NULL;
			int len = i2d_X509_CRL(sk_X509_CRL_value(crls, i), &der);
			if (len <= 0)
				continue;
			owned[(*nowned)++] = der;
			it[1][n[1]].data = der;
			it[1][n[1]++].len = (size_t)len;
		}
		sk_X509_CRL_pop_free(crls, X509_CRL_free);
	}
	if (n[0] + n[1] == 0)
		return 0;
	memset(out, 0, sizeof(*out));
	out->item[PDF_DSS_CERTS] = ev ? ev->item[PDF_DSS_CERTS] : NULL;
	out->n[PDF_DSS_CERTS] = ev ? ev->n[PDF_DSS_CERTS] : 0;
	out->certs = ev ? ev->certs : NULL;
	for (kind = 0; kind < 2; kind++) {
		int d = kind ? PDF_DSS_CRLS : PDF_DSS_OCSPS;
		base = ev ? ev->n[d] : 0;
		/* at least one: malloc(0) may answer NULL, which is no failure here */
		if ((out->item[d] = malloc((base + n[kind] ? base + n[kind] : 1) *
					   sizeof(struct pdf_blob))) == NULL) {
			free(out->item[PDF_DSS_OCSPS]);
			return 0;
		}
		for (k = 0; k < base; k++)
			out->item[d][k] = ev->item[d][k];
		for (k = 0; k < n[kind]; k++)
			out->item[d][base + k] = it[kind][k];
		out->n[d] = base + n[kind];
	}
	return 1;
}

void
chain_check(const struct crypto_verify_opts *opts, X509 *signer, STACK_OF(X509) * extra,
	    const struct crypto_evidence *ev, const struct crypto_evidence *dss,
	    struct crypto_sig_report *rep)
{
	struct crypto_cert_result res;
	struct sp_errinfo ei;
	time_t at = rep->timestamp_ok == 1 ? rep->ts_time : opts->at;
	enum crypto_verdict sev = CRYPTO_VERDICT_INVALID;
	const char *reason;
	size_t i;
	int k;

	memset(&res, 0, sizeof(res));
	rep->checked_at = at ? at : time(NULL);
	rep->chain_ok = 0;
	if (!opts->trust) {
		verify_fail(rep, CRYPTO_VERDICT_INDETERMINATE, "untrusted_issuer",
			    "no trusted roots are configured");
		return;
	}
	sp_errinfo_init(&ei);
	if (crypto_cert_check_ev(opts->trust, signer, extra, at, ev, &res, &ei) == SP_OK) {
		rep->chain_ok = 1;
		verify_chain_strength(res.chain, "the signer's certificate", 0, rep);
		rep->rev_dss = res.rev_source == CRYPTO_REV_SRC_DSS;
		rep->rev_item = 0;
		for (k = PDF_DSS_OCSPS; rep->rev_dss && ev && dss && k <= PDF_DSS_CRLS; k++)
			for (i = 0; i < dss->n[k]; i++)
				if (&ev->item[k][i] == res.rev_item) {
					rep->rev_item = i + 1;
					rep->rev_item_crl = k == PDF_DSS_CRLS;
				}
		crypto_cert_result_cleanup(&res);
		return;
	}
	reason = ei.reason[0] ? ei.reason : CRYPTO_REASON_CHAIN_INVALID;
	if (!strcmp(reason, CRYPTO_REASON_UNTRUSTED_ISSUER) ||
	    !strcmp(reason, CRYPTO_REASON_REVOCATION_UNKNOWN) ||
	    !strcmp(reason, CRYPTO_REASON_CHAIN_INVALID) ||
	    /* a certificate its CA did not issue for signing: a constraint the
	       signature fails (ETSI EN 319 102-1 §5.2.6, CHAIN_CONSTRAINTS_FAILURE),
	       no proof that it was forged */
	    !strcmp(reason, CRYPTO_REASON_BAD_KEY_USAGE) ||
	    /* without a timestamp nothing proves the signature was made in the validity period */
	    (rep->timestamp_ok != 1 && (!strcmp(reason, CRYPTO_REASON_CERT_EXPIRED) ||
					!strcmp(reason, CRYPTO_REASON_CERT_NOT_YET_VALID))))
		sev = CRYPTO_VERDICT_INDETERMINATE;
	verify_fail(rep, sev, reason, "signer certificate: %s", ei.msg);
}

/* The signed attributes re-encoded as signed (a DER SET OF, in received order). */
int
signed_attrs_der(CMS_SignerInfo *si, unsigned char **der, int *derlen)
{
	STACK_OF(X509_ATTRIBUTE) *sk = sk_X509_ATTRIBUTE_new_null();
	int i, n = CMS_signed_get_attr_count(si), ok = sk != NULL && n > 0;

	*der = NULL;
	for (i = 0; ok && i < n; i++)
		ok = sk_X509_ATTRIBUTE_push(sk, CMS_signed_get_attr(si, i)) > 0;
	if (ok)
		*derlen = ASN1_item_i2d((ASN1_VALUE *)sk, der, ASN1_ITEM_rptr(PKCS7_ATTR_VERIFY));
	sk_X509_ATTRIBUTE_free(sk);
	return ok && *derlen > 0;
}

/*
 * DER (X.690 §11.6) sorts a SET OF by the encodings of its elements; CMS
 * signs the DER of the signed attributes, and a receiver that sorts them
 * (as OpenSSL does) checks other bytes than the signer signed. EU DSS holds
 * an unsorted set invalid; so does this. 1 when sorted, with *der (the
 * caller's, OPENSSL_free) the attributes as signed (signed_attrs_der's).
 */
static int
attrs_der_sorted(CMS_SignerInfo *si, unsigned char **der, int *derlen)
{
	STACK_OF(X509_ATTRIBUTE) *sk = sk_X509_ATTRIBUTE_new_null();
	unsigned char *got = NULL, *want = NULL;
	int i, n = CMS_signed_get_attr_count(si), ok = sk != NULL && n > 0, gl = 0, wl = 0;

	for (i = 0; ok && i < n; i++)
		ok = sk_X509_ATTRIBUTE_push(sk, CMS_signed_get_attr(si, i)) > 0;
	if (ok) {
		gl = ASN1_item_i2d((ASN1_VALUE *)sk, &got, ASN1_ITEM_rptr(PKCS7_ATTR_VERIFY));
		wl = ASN1_item_i2d((ASN1_VALUE *)sk, &want, ASN1_ITEM_rptr(PKCS7_ATTR_SIGN));
		ok = gl > 0 && gl == wl && memcmp(got, want, (size_t)gl) == 0;
	}
	sk_X509_ATTRIBUTE_free(sk);
	OPENSSL_free(want);
	if (ok) {
		*der = got;
		*derlen = gl;
	} else
		OPENSSL_free(got);
	return ok;
}

/*
 * 1 when the caller verified exactly this signature already
 * (opts->sig_checked): the same certificate byte for byte, the key's
 * algorithm, a digest and signature algorithm that make the CMS check the
 * one crypto_sig_verify() ran for it (SHA-256 with PKCS #1 v1.5 for RSA,
 * ECDSA with SHA-256, SM2 with SM3), and the very signed attributes and
 * value. Anything else is verified here.
 */
static int
sig_checked(const struct crypto_verify_opts *opts, X509 *signer, enum crypto_sigalg alg,
	    const X509_ALGOR *dig, const X509_ALGOR *sigalg, const unsigned char *der, int derlen,
	    const ASN1_OCTET_STRING *sigval)
{
	const struct crypto_sig_checked *c = opts->sig_checked;
	int dn = OBJ_obj2nid(dig->algorithm), sn = OBJ_obj2nid(sigalg->algorithm), algs;

	if (c == NULL || c->cert == NULL || alg == CRYPTO_SIGALG_NONE || c->alg != alg)
		return 0;
	switch (alg) {
	case CRYPTO_SIGALG_RSA_SHA256:
		algs = dn == NID_sha256 &&
		       (sn == NID_rsaEncryption || sn == NID_sha256WithRSAEncryption);
		break;
	case CRYPTO_SIGALG_ECDSA_SHA256:
		algs = dn == NID_sha256 && sn == NID_ecdsa_with_SHA256;
		break;
	case CRYPTO_SIGALG_SM2_SM3:
		algs = dn == NID_sm3;
		break;
	default:
		algs = 0;
	}
	return algs && der != NULL && derlen > 0 && (size_t)derlen == c->tbslen &&
	       memcmp(der, c->tbs, c->tbslen) == 0 &&
	       (size_t)ASN1_STRING_length(sigval) == c->siglen &&
	       memcmp(ASN1_STRING_get0_data(sigval), c->sig, c->siglen) == 0 &&
	       X509_cmp(signer, c->cert) == 0;
}

/*
 * The ESS signing-certificate attribute binds the signer's certificate
 * (RFC 5035). v2, or v1 as older tools write it, must name the signer: a
 * mismatch is invalid. Without either the signature is still sound but not
 * PAdES: for adbe.pkcs7.detached that is what it claims to be; a signature
 * claiming ETSI.CAdES.detached without it cannot be judged as PAdES.
 * Returns 1 when an attribute names the signer.
 */
static int
signing_cert_check(CMS_SignerInfo *si, X509 *signer, struct crypto_sig_report *rep)
{
	ASN1_STRING
	*seq2 = CMS_signed_get0_data_by_OBJ(si, OBJ_nid2obj(NID_id_smime_aa_signingCertificateV2),
					    -3, V_ASN1_SEQUENCE),
	*seq1 = CMS_signed_get0_data_by_OBJ(si, OBJ_nid2obj(NID_id_smime_aa_signingCertificate), -3,
					    V_ASN1_SEQUENCE);
	ESS_SIGNING_CERT_V2 *v2 = NULL;
	ESS_SIGNING_CERT *v1 = NULL;
	STACK_OF(X509) *chain = sk_X509_new_null();
	const unsigned char *p;
	int ok = 0;

	if (!seq2 && !seq1) {
		if (!strcmp(rep->subfilter, "/ETSI.CAdES.detached"))
			verify_fail(rep, CRYPTO_VERDICT_INDETERMINATE,
				    "signing_certificate_missing",
				    "a CAdES signature without the ESS signing-certificate "
				    "attribute PAdES requires");
		goto out;
	}
	if (!chain || !sk_X509_push(chain, signer))
		goto mismatch;
	if (seq2) {
		p = ASN1_STRING_get0_data(seq2);
		if (!(v2 = d2i_ESS_SIGNING_CERT_V2(NULL, &p, ASN1_STRING_length(seq2))) ||
		    OSSL_ESS_check_signing_certs(NULL, v2, chain, 1) <= 0)
			goto mismatch;
	}
	if (seq1) {
		p = ASN1_STRING_get0_data(seq1);
		if (!(v1 = d2i_ESS_SIGNING_CERT(NULL, &p, ASN1_STRING_length(seq1))) ||
		    OSSL_ESS_check_signing_certs(v1, NULL, chain, 1) <= 0)
			goto mismatch;
	}
	ok = 1;
	goto out;
mismatch:
	verify_fail(rep, CRYPTO_VERDICT_INVALID, "signing_certificate_mismatch",
		    "the ESS signing-certificate attribute does not name the signer");
out:
	ERR_clear_error();
	sk_X509_free(chain);
	ESS_SIGNING_CERT_V2_free(v2);
	ESS_SIGNING_CERT_free(v1);
	return ok;
}

/* 1 when the last OpenSSL error is CMS's "the signature value does not verify". */
static int
cms_verification_failed(void)
{
	unsigned long e, last = 0;

	while ((e = ERR_get_error()) != 0)
		if (ERR_GET_LIB(e) == ERR_LIB_CMS)
			last = e;
	return last && ERR_GET_REASON(last) == CMS_R_VERIFICATION_FAILURE;
}

/*
 * A SignerInfo without signed attributes (RFC 5652 §5.4: signedAttrs is
 * OPTIONAL; then the signature is over the content's message digest, here
 * the byte ranges', or econtent's for adbe.pkcs7.sha1). ISO 32000-1
 * §12.8.3.3.1 asks no signed attribute of a PKCS #7 signature, so
 * adbe.pkcs7.detached writers (node-forge without authenticatedAttributes,
 * `openssl cms -sign -noattr`) make them; CAdES requires them (ETSI EN
 * 319 122-1 §5.1: content-type, message-digest, signing-certificate), which
 * signing_cert_check says of an ETSI.CAdES.detached one. RSA with PKCS #1
 * v1.5 and ECDSA are checked here, EdDSA by eddsa_bare_verify; anything else
 * is indeterminate. 1 when it
 * verifies (the digest is then proven too); rep says why not.
 */
static int
bare_signature_ok(CMS_SignerInfo *si, X509 *signer, const X509_ALGOR *sigalg,
		  const struct verify_ranges *rg, const unsigned char *econtent,
		  size_t econtent_len, struct crypto_sig_report *rep)
{
	X509_ALGOR *dig = NULL;
	ASN1_OCTET_STRING *sigval = CMS_SignerInfo_get0_signature(si);
	EVP_PKEY *pk = X509_get0_pubkey(signer);
	EVP_PKEY_CTX *c = NULL;
	const EVP_MD *md;
	enum crypto_sigalg alg = CRYPTO_SIGALG_NONE;
	struct sp_errinfo ei;
	unsigned char h[EVP_MAX_MD_SIZE];
	unsigned int hl = 0;
	int kt = pk ? EVP_PKEY_get_base_id(pk) : NID_undef, ok = 0, r;

	CMS_SignerInfo_get0_algs(si, NULL, NULL, &dig, NULL);
	md = EVP_get_digestbynid(OBJ_obj2nid(dig->algorithm));
	sp_errinfo_init(&ei);
	if (kt == EVP_PKEY_ED25519 || kt == EVP_PKEY_ED448) {
		(void)verify_alg_ids_ok(dig, sigalg, signer, NULL, rep);
		return eddsa_bare_verify(signer, sigval, rg, econtent, econtent_len, rep);
	}
	snprintf(rep->sig_alg, sizeof(rep->sig_alg), "%s",
		 OBJ_nid2sn(OBJ_obj2nid(sigalg->algorithm)));
	if (md == NULL || EVP_MD_get_flags(md) & EVP_MD_FLAG_XOF ||
	    !(kt == EVP_PKEY_RSA || kt == EVP_PKEY_EC) ||
	    OBJ_obj2nid(sigalg->algorithm) == NID_rsassaPss ||
	    (crypto_sigalg_for_cert(signer, &alg, &ei) == SP_OK && alg == CRYPTO_SIGALG_SM2_SM3)) {
		verify_fail(rep, CRYPTO_VERDICT_INDETERMINATE, "unsupported_algorithm",
			    "the signature has no signed attributes, and its algorithm (%s) cannot "
			    "be checked over the bytes' digest here",
			    rep->sig_alg);
		goto out;
	}
	if (!(econtent ? verify_md_digest(md, econtent, econtent_len, h, &hl)
		       : ranges_digest(md, rg, h, &hl)) ||
	    !(c = EVP_PKEY_CTX_new(pk, NULL)) || EVP_PKEY_verify_init(c) != 1 ||
	    EVP_PKEY_CTX_set_signature_md(c, md) != 1 ||
	    (kt == EVP_PKEY_RSA && EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_PADDING) != 1)) {
		verify_fail(rep, CRYPTO_VERDICT_INDETERMINATE, "unsupported_algorithm",
			    "the signature has no signed attributes, and its algorithm (%s) cannot "
			    "be checked over the bytes' digest here",
			    rep->sig_alg);
		goto out;
	}
	r = EVP_PKEY_verify(c, ASN1_STRING_get0_data(sigval), (size_t)ASN1_STRING_length(sigval), h,
			    hl);
	if (r != 1) {
		/* the signature holds the digest it was made over: either the bytes
		   changed after signing, or the value is not the signer's */
		verify_fail(rep, CRYPTO_VERDICT_INVALID, "bad_signature",
			    "the signature (made without signed attributes, over the signed "
			    "bytes' digest itself) does not verify: the bytes changed or the "
			    "signature is not the signer's");
		goto out;
	}
	rep->digest_ok = 1;
	ok = 1;
out:
	ERR_clear_error();
	EVP_PKEY_CTX_free(c);
	return ok;
}

/*
 * The certificate the SignerInfo names: among the CMS's certificates
 * (*certs), else among the document's /DSS /Certs, where a tool that keeps
 * the validation material there (PAdES B-LT, EN 319 142-1 §5.4.2) may have
 * put it alone, as EU DSS finds it; *certs then holds the DSS's too, for
 * the chain. NULL when neither has it (or out of memory).
 */
static X509 *
signer_cert(const struct crypto_verify_opts *opts, CMS_SignerInfo *si, STACK_OF(X509) * *certs,
	    const struct crypto_evidence *ev)
{
	STACK_OF(X509) * all;
	X509 *first;
	int i, ok;

	for (i = 0; i < sk_X509_num(*certs); i++)
		if (CMS_SignerInfo_cert_cmp(si, sk_X509_value(*certs, i)) == 0)
			return sk_X509_value(*certs, i);
	if (!ev || ev->n[PDF_DSS_CERTS] == 0 ||
	    !(all = trust_evidence_certs(opts->trust, ev, *certs)))
		return NULL;
	sk_X509_pop_free(*certs, X509_free);
	*certs = all;
	/*
	 * Nobody signs the /DSS, and a later update may rewrite it (an allowed
	 * change): a certificate with the signer's issuer and serial but another
	 * key put first made a sound signature "invalid" (review54). Of several
	 * that match, the one whose key verifies the signed attributes is the
	 * signer's (as EU DSS picks); none: the first, which the checks then judge.
	 */
	for (first = NULL, i = i < 0 ? 0 : i; i < sk_X509_num(all); i++) {
		X509 *x = sk_X509_value(all, i);

		if (CMS_SignerInfo_cert_cmp(si, x) != 0)
			continue;
		if (first == NULL)
			first = x;
		else if (CMS_signed_get_attr_count(si) <= 0)
			break; /* no attributes to tell them by */
		CMS_SignerInfo_set1_signer_cert(si, x);
		ok = CMS_SignerInfo_verify(si) == 1;
		ERR_clear_error();
		if (ok)
			return x;
	}
	return first;
}

void
verify_cms(const struct crypto_verify_opts *opts, const struct verify_ranges *rg,
	   const uint8_t *cms_der, size_t cmslen, int has_m, const struct crypto_evidence *ev,
	   struct crypto_sig_report *rep)
{
	CMS_ContentInfo *cms = NULL;
	STACK_OF(CMS_SignerInfo) * sis;
	CMS_SignerInfo *si;
	struct crypto_evidence adbe;
	unsigned char *owned[ADBE_REVINFO_MAX]; /* the crls field's CRLs as DER */
	size_t nowned = 0;
	STACK_OF(X509) *certs = NULL;
	X509 *signer = NULL;
	X509_ALGOR *dig = NULL, *sigalg = NULL;
	EVP_PKEY *pk = NULL;
	ASN1_OBJECT *ct;
	ASN1_OCTET_STRING *md_attr, *sigval;
	unsigned char h[EVP_MAX_MD_SIZE], *attrs = NULL;
	unsigned int hl = 0;
	int attrslen = 0, dnid, pknid, idx, ess = 0, kt, gm = 0;
	const unsigned char *econtent = NULL;
	size_t econtent_len = 0;
	const EVP_MD *md;
	const struct verify_shake_alg *xa;
	enum crypto_sigalg alg = CRYPTO_SIGALG_NONE;
	struct sp_errinfo ei;
	size_t k, used = 0;

	rep->digest_ok = rep->signature_ok = 0;
	/* the certificates it carries from the trust's cache: signers and TSAs repeat */
	if (cmslen <= LONG_MAX && (cms = gm_cms_d2i(cms_der, cmslen, &used)) != NULL)
		gm = 1;
	else if (cmslen > LONG_MAX ||
		 !(cms = cert_cache_cms_d2i(opts->trust ? opts->trust->certs : NULL, cms_der,
					    cmslen, &used))) {
		/* a national seal signature is no malformed CMS, and unchecked here */
		if (!verify_ses_recognize(cms_der, cmslen, rep))
			verify_fail(rep, CRYPTO_VERDICT_INVALID, "cms_malformed",
				    "/Contents is not a CMS SignedData");
		goto out;
	}
	for (k = used; k < cmslen; k++)
		if (cms_der[k] != 0) {
			verify_fail(rep, CRYPTO_VERDICT_INVALID, "cms_malformed",
				    "/Contents holds data after the CMS");
			goto out;
		}
	if (OBJ_obj2nid(CMS_get0_type(cms)) != NID_pkcs7_signed) {
		verify_fail(rep, CRYPTO_VERDICT_INVALID, "cms_malformed", "not a CMS SignedData");
		goto out;
	}
	if (CMS_get0_content(cms) && *CMS_get0_content(cms)) {
		/* adbe.pkcs7.sha1 (ISO 32000-1 §12.8.3.3): the content is the SHA-1 of the
		   byte ranges, and the signer signs that content */
		ASN1_OCTET_STRING *ec = *CMS_get0_content(cms);
		if (strcmp(rep->subfilter, "/adbe.pkcs7.sha1") != 0) {
			verify_fail(rep, CRYPTO_VERDICT_INVALID, "cms_not_detached",
				    "the CMS carries its own content instead of signing the "
				    "PDF's bytes");
			goto out;
		}
		digest_ok(NID_sha1, rep, "adbe.pkcs7.sha1");
		if (!ranges_digest(EVP_sha1(), rg, h, &hl) || ASN1_STRING_length(ec) != (int)hl ||
		    memcmp(ASN1_STRING_get0_data(ec), h, hl) != 0) {
			verify_fail(rep, CRYPTO_VERDICT_INVALID, "digest_mismatch",
				    "the signed bytes do not match the SHA-1 the signature holds");
			goto out;
		}
		econtent = ASN1_STRING_get0_data(ec);
		econtent_len = (size_t)ASN1_STRING_length(ec);
	} else if (!strcmp(rep->subfilter, "/adbe.pkcs7.sha1")) {
		verify_fail(rep, CRYPTO_VERDICT_INVALID, "cms_malformed",
			    "an adbe.pkcs7.sha1 signature without its SHA-1 content");
		goto out;
	}
	if (OBJ_obj2nid(CMS_get0_eContentType(cms)) != NID_pkcs7_data &&
	    !(gm && gm_oid(CMS_get0_eContentType(cms), 1))) {
		verify_fail(rep, CRYPTO_VERDICT_INVALID, "cms_content_type",
			    "the encapsulated content type is not id-data");
		goto out;
	}
	sis = CMS_get0_SignerInfos(cms);
	if (sk_CMS_SignerInfo_num(sis) != 1) {
		/* none signs nothing; several (RFC 5652 allows them, a PDF signature
		   holds one: ISO 32000-1 §12.8.3.3.1, PAdES) leave unknown which one
		   signs for the field, and prove nothing against either */
		int n = sk_CMS_SignerInfo_num(sis);
		verify_fail(rep, n > 1 ? CRYPTO_VERDICT_INDETERMINATE : CRYPTO_VERDICT_INVALID,
			    "cms_signer_count",
			    "the CMS has %d SignerInfos; a PDF signature has exactly one, so which "
			    "signer signed cannot be told",
			    n);
		goto out;
	}
	si = sk_CMS_SignerInfo_value(sis, 0);
	certs = CMS_get1_certs(cms);
	if (!(signer = signer_cert(opts, si, &certs, ev))) {
		/* without the key nothing is proved either way */
		verify_fail(rep, CRYPTO_VERDICT_INDETERMINATE, "signer_cert_missing",
			    "neither the CMS nor the document's /DSS carries the signer's "
			    "certificate");
		goto out;
	}
	rep->has_signer = crypto_cert_info_get(signer, &rep->signer, NULL) == SP_OK;
	CMS_SignerInfo_get0_algs(si, &pk, NULL, &dig, &sigalg);
	snprintf(rep->digest_alg, sizeof(rep->digest_alg), "%s",
		 OBJ_nid2sn(OBJ_obj2nid(dig->algorithm)));
	xa = verify_shake_alg(sigalg);
	if (!digest_obj_ok(dig->algorithm, rep, "the signature") ||
	    !verify_md_key_ok(OBJ_obj2nid(dig->algorithm), signer, xa, rep))
		goto out;
	if (OBJ_find_sigid_algs(OBJ_obj2nid(sigalg->algorithm), &dnid, &pknid) &&
	    dnid != NID_undef && !digest_ok(dnid, rep, "the signature algorithm"))
		goto out;
	key_strength_check(signer, rep);
	sigval = CMS_SignerInfo_get0_signature(si);
	if (CMS_signed_get_attr_count(si) <= 0) {
		/* no signed attributes: the signature is over the bytes' digest itself */
		if (!bare_signature_ok(si, signer, sigalg, rg, econtent, econtent_len, rep))
			goto out;
		ess = signing_cert_check(si, signer, rep);
		goto signed_ok;
	}
	if (!attrs_der_sorted(si, &attrs, &attrslen)) {
		verify_fail(rep, CRYPTO_VERDICT_INVALID, "signed_attrs_not_der",
			    "the signed attributes are not a DER-sorted SET OF");
		goto out;
	}
	ct = CMS_signed_get0_data_by_OBJ(si, OBJ_nid2obj(NID_pkcs9_contentType), -3, V_ASN1_OBJECT);
	/* GM/T 0010: its data type, as the encapsulated content's (RFC 5652 §11.1) */
	if (!ct || (gm ? OBJ_cmp(ct, CMS_get0_eContentType(cms)) != 0
		       : OBJ_obj2nid(ct) != NID_pkcs7_data)) {
		verify_fail(rep, CRYPTO_VERDICT_INVALID, "cms_content_type",
			    "the content-type attribute is not id-data");
		goto out;
	}
	md_attr = CMS_signed_get0_data_by_OBJ(si, OBJ_nid2obj(NID_pkcs9_messageDigest), -3,
					      V_ASN1_OCTET_STRING);
	md = EVP_get_digestbynid(OBJ_obj2nid(dig->algorithm));
	if (!md_attr) {
		verify_fail(rep, CRYPTO_VERDICT_INVALID, "message_digest_missing",
			    "no message-digest attribute");
		goto out;
	}
	if (md && EVP_MD_get_flags(md) & EVP_MD_FLAG_XOF &&
	    (size_t)ASN1_STRING_length(md_attr) != verify_md_len(md)) {
		/* another output length than CMS's is no other digest, nor proof */
		verify_fail(rep, CRYPTO_VERDICT_INDETERMINATE, "unsupported_algorithm",
			    "the message digest is %d bytes of %s; CMS has %zu (RFC 8702 §3.1)",
			    ASN1_STRING_length(md_attr), OBJ_nid2sn(EVP_MD_get_type(md)),
			    verify_md_len(md));
		goto out;
	}
	if (!md ||
	    (econtent ? !verify_md_digest(md, econtent, econtent_len, h, &hl)
		      : !ranges_digest(md, rg, h, &hl)) ||
	    (int)hl != ASN1_STRING_length(md_attr) ||
	    memcmp(h, ASN1_STRING_get0_data(md_attr), hl) != 0) {
		verify_fail(rep, CRYPTO_VERDICT_INVALID, "digest_mismatch",
			    "the signed bytes do not match the signature's message digest");
		goto out;
	}
	rep->digest_ok = 1;
	/* after the digest, which still proves a changed byte; the signature value is
	   still checked, and a bad one still proven */
	(void)verify_alg_ids_ok(dig, sigalg, signer, xa, rep);
	ess = signing_cert_check(si, signer, rep);
	/* the signature value */
	kt = X509_get0_pubkey(signer) ? EVP_PKEY_get_base_id(X509_get0_pubkey(signer)) : NID_undef;
	sp_errinfo_init(&ei);
	if (crypto_sigalg_for_cert(signer, &alg, &ei) == SP_OK && alg == CRYPTO_SIGALG_SM2_SM3) {
		snprintf(rep->sig_alg, sizeof(rep->sig_alg), "%s", crypto_sigalg_name(alg));
		if (OBJ_obj2nid(dig->algorithm) != NID_sm3 ||
		    (!sig_checked(opts, signer, alg, dig, sigalg, attrs, attrslen, sigval) &&
		     crypto_sig_verify(signer, alg, attrs, (size_t)attrslen,
				       ASN1_STRING_get0_data(sigval),
				       (size_t)ASN1_STRING_length(sigval), &ei) != SP_OK)) {
			verify_fail(rep, CRYPTO_VERDICT_INVALID, "bad_signature",
				    "the SM2 signature does not verify with the signer's key");
			goto out;
		}
	} else {
		/* the API's names where they apply (PKCS #1 v1.5 for an RSA key); OpenSSL's
		   otherwise, e.g. RSASSA-PSS, which an RSA key signs too */
		snprintf(rep->sig_alg, sizeof(rep->sig_alg), "%s",
			 alg != CRYPTO_SIGALG_NONE && OBJ_obj2nid(dig->algorithm) == NID_sha256 &&
					 OBJ_obj2nid(sigalg->algorithm) != NID_rsassaPss
				 ? crypto_sigalg_name(alg)
				 : OBJ_nid2sn(OBJ_obj2nid(sigalg->algorithm)));
		CMS_SignerInfo_set1_signer_cert(si, signer);
		ERR_clear_error();
		if (xa != NULL || kt == EVP_PKEY_ED25519 || kt == EVP_PKEY_ED448) {
			/* what OpenSSL 3.0's CMS cannot run */
			if (!(xa ? verify_shake_sig(xa, signer, attrs, (size_t)attrslen, sigval,
						    rep)
				 : eddsa_verify(si, signer, sigval, rep)))
				goto out;
		} else if (!sig_checked(opts, signer, alg, dig, sigalg, attrs, attrslen, sigval) &&
			   CMS_SignerInfo_verify(si) != 1) {
			/* only a signature value that fails the check is proof; an
			   algorithm OpenSSL cannot run is no verdict */
			if (cms_verification_failed())
				verify_fail(rep, CRYPTO_VERDICT_INVALID, "bad_signature",
					    "the signature does not verify with the signer's key");
			else
				verify_fail(rep, CRYPTO_VERDICT_INDETERMINATE,
					    "unsupported_algorithm",
					    "the signature algorithm %s cannot be checked here",
					    rep->sig_alg);
			goto out;
		}
	}
signed_ok:
	rep->signature_ok = 1;
	/* the signature timestamp (PAdES B-T), over the signature value */
	idx = CMS_unsigned_get_attr_by_NID(si, NID_id_smime_aa_timeStampToken, -1);
	if (idx >= 0) {
		ASN1_TYPE *t = X509_ATTRIBUTE_get0_type(CMS_unsigned_get_attr(si, idx), 0);
		PKCS7 *p7 = NULL;
		size_t tused = 0;
		if (t && t->type == V_ASN1_SEQUENCE && t->value.sequence->length > 0)
			p7 = cert_cache_pkcs7_d2i(opts->trust ? opts->trust->certs : NULL,
						  t->value.sequence->data,
						  (size_t)t->value.sequence->length, &tused);
		if (!p7) {
			rep->has_timestamp = 1;
			rep->timestamp_ok = 0;
			verify_fail(rep, CRYPTO_VERDICT_INVALID, "ts_malformed",
				    "the signature timestamp is malformed");
		} else {
			verify_ts_check(opts, p7, ASN1_STRING_get0_data(sigval),
					(size_t)ASN1_STRING_length(sigval), certs, rg, ev, rep);
			PKCS7_free(p7);
		}
		if (rep->timestamp_ok == 1 && rep->has_signer &&
		    (rep->ts_time < rep->signer.not_before || rep->ts_time > rep->signer.not_after))
			verify_fail(rep, CRYPTO_VERDICT_INVALID, "ts_time_implausible",
				    "the timestamp's time is outside the signer certificate's "
				    "validity");
	}
	if (embedded_evidence(cms, si, ev, &adbe, owned, &nowned)) {
		chain_check(opts, signer, certs, &adbe, ev, rep);
		free(adbe.item[PDF_DSS_OCSPS]);
		free(adbe.item[PDF_DSS_CRLS]);
	} else {
		chain_check(opts, signer, certs, ev, ev, rep);
	}
	while (nowned > 0)
		OPENSSL_free(owned[--nowned]);
	/* PAdES baseline (ETSI EN 319 142-1 §5.1, §6.3) is ETSI.CAdES.detached with the
	   ESS attribute, without a signing-time attribute and with the dictionary's /M
	   (the claimed time); adbe.pkcs7.detached stays the legacy ISO 32000-1 kind
	   even when its tool adds ESS (poppler, Adobe). The EU DSS validator reports
	   the one PKCS7-B, the others (e.g. BouncyCastle's default attributes under
	   the ETSI SubFilter) not ETSI. */
	snprintf(rep->level, sizeof(rep->level), "%s",
		 !ess || !has_m || CMS_signed_get_attr_by_NID(si, NID_pkcs9_signingTime, -1) >= 0 ||
				 strcmp(rep->subfilter, "/ETSI.CAdES.detached") != 0
			 ? "not_pades"
		 : rep->timestamp_ok == 1 ? "pades_b_t"
					  : "pades_b");
out:
	ERR_clear_error();
	OPENSSL_free(attrs);
	sk_X509_pop_free(certs, X509_free);
	CMS_ContentInfo_free(cms);
}
