/*
 * test_verify_cms_extras.c: the verifier on what other signers put in a
 * CMS SignedData besides what sealpact writes, each rewritten into a
 * signature of ours with OpenSSL: CRLs in the SignedData, a timestamp whose
 * ESS certificate id uses another hash, an attribute certificate. The
 * world's PKI and judges: test_verify_world.h. A part of test_verify_java
 * (one executable: its fixture, the PKI and the serving JVM, is made once).
 */
#include <unistd.h>

#define TEST_PART
#include "test_verify_countersign.h"

/* cms_rewrite: the CRL in file arg (DER, in vc_dir) added to the crls field, as
   BouncyCastle's addCRLs puts one (outside the signed attributes: the signature stays) */
static void
add_crl(CMS_ContentInfo *cms, const void *arg)
{
	const unsigned char *p;
	unsigned char *crld;
	size_t cl;
	X509_CRL *x;

	crld = read_file(vc_path(arg), &cl);
	p = crld;
	ck_assert_ptr_nonnull(x = d2i_X509_CRL(NULL, &p, (long)cl));
	ck_assert_int_eq(CMS_add1_crl(cms, x), 1);
	X509_CRL_free(x);
	free(crld);
}

/*
 * Revocation data in the SignedData's own crls field (RFC 5652 §5.1), where
 * BouncyCastle's addCRLs and Java signers built on it put it, and which the
 * EU DSS validator reads as a revocation source (CMSCRLSource): with
 * revocation required and no network, our signature carrying a current CRL
 * of its issuer there is valid from it, without one indeterminate
 * (revocation_unknown), with one saying the signer was revoked invalid
 * (cert_revoked). The field was not read: valid was indeterminate.
 */
START_TEST(crls_in_the_signed_data)
{
	struct crypto_revocation_opts ro = { .require_revocation = 1 };
	const char *roots[1] = { vc_path("ca.pem") };
	struct crypto_trust *strict = NULL;
	struct crypto_verify_opts o;
	struct crypto_verify_report *r;
	struct sp_errinfo ei;
	unsigned char *one;
	size_t n1, k;
	static const char *const crl[] = { "sd_good.crl", NULL, "sd_revoked.crl" };
	static const enum crypto_verdict want[] = { CRYPTO_VERDICT_VALID,
						    CRYPTO_VERDICT_INDETERMINATE,
						    CRYPTO_VERDICT_INVALID };

	sp_errinfo_init(&ei);
	ck_assert(crypto_trust_new(roots, 1, NULL, 0, NULL, 0, &ro, &strict, &ei) == SP_OK);
	/* the CA's own database for these (adobe_revocation_archival revokes in ca/) */
	ck_assert_int_eq(
		run("cd %s && ( mkdir -p sd && : >sd/index.txt && echo 01 >sd/crlnumber "
		    "&& printf '[ca]\\ndefault_ca=c\\n[c]\\ndatabase=sd/index.txt\\n"
		    "crlnumber=sd/crlnumber\\ndefault_md=sha256\\ndefault_crl_days=7\\n' "
		    ">sd.cnf && openssl ca -batch -config sd.cnf -gencrl -keyfile ca.key "
		    "-cert ca.pem -out sd_good.pem && openssl crl -in sd_good.pem -outform "
		    "DER -out sd_good.crl && openssl ca -batch -config sd.cnf -keyfile ca.key "
		    "-cert ca.pem -revoke ec.pem && openssl ca -batch -config sd.cnf "
		    "-gencrl -keyfile ca.key -cert ca.pem -out sd_revoked.pem && openssl crl "
		    "-in sd_revoked.pem -outform DER -out sd_revoked.crl ) >>pki.log 2>&1",
		    vc_dir),
		0);
	for (k = 0; k < 3; k++) {
		one = vc_sign(base, base_len, "ec", 0, 0, &n1);
		if (crl[k])
			cms_rewrite(one, n1, add_crl, crl[k]);
		memset(&o, 0, sizeof(o));
		o.trust = strict;
		r = NULL;
		sp_errinfo_init(&ei);
		ck_assert_msg(crypto_pdf_verify(one, n1, &o, &r, &ei) == SP_OK, "%s", ei.msg);
		ck_assert_uint_eq(r->nsigs, 1);
		ck_assert_int_eq(r->sigs[0].signature_ok, 1);
		ck_assert_msg(r->sigs[0].verdict == want[k], "%s: %s %s", crl[k] ? crl[k] : "none",
			      crypto_verdict_name(r->sigs[0].verdict), r->sigs[0].message);
		ck_assert_str_eq(r->sigs[0].reasons[0], k == 0   ? ""
							: k == 1 ? "revocation_unknown"
								 : "cert_revoked");
		crypto_verify_report_free(r);
		free(one);
	}
	crypto_trust_free(strict);
}
END_TEST

/* cms_rewrite: the signature timestamp replaced by one the openssl CLI's TSA makes
   over the same signature value with the configuration in file arg (in vc_dir) */
static void
openssl_timestamp(CMS_ContentInfo *cms, const void *arg)
{
	CMS_SignerInfo *si = sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(cms), 0);
	ASN1_OCTET_STRING *sv = CMS_SignerInfo_get0_signature(si);
	uint8_t *q = NULL, *tok = NULL;
	unsigned char *resp;
	size_t qlen, rlen, toklen;
	struct sp_errinfo ei;
	int idx;

	sp_errinfo_init(&ei);
	ck_assert_int_eq(crypto_ts_query_new(ASN1_STRING_get0_data(sv),
					     (size_t)ASN1_STRING_length(sv), NULL, &q, &qlen, &ei),
			 SP_OK);
	write_file(vc_path("ess_q.tsq"), q, qlen);
	ck_assert_int_eq(run("cd %s && openssl ts -reply -config %s -section tsa -queryfile "
			     "ess_q.tsq -out ess_r.tsr >>pki.log 2>&1",
			     vc_dir, (const char *)arg),
			 0);
	resp = read_file(vc_path("ess_r.tsr"), &rlen);
	ck_assert_msg(crypto_ts_response_check(resp, rlen, q, qlen, NULL, &tok, &toklen, NULL,
					       &ei) == SP_OK,
		      "%s", ei.msg);
	idx = CMS_unsigned_get_attr_by_NID(si, NID_id_smime_aa_timeStampToken, -1);
	ck_assert_int_ge(idx, 0);
	X509_ATTRIBUTE_free(CMS_unsigned_delete_attr(si, idx));
	ck_assert_int_eq(CMS_unsigned_add1_attr_by_NID(si, NID_id_smime_aa_timeStampToken,
						       V_ASN1_SEQUENCE, tok, (int)toklen),
			 1);
	free(tok);
	free(resp);
	free(q);
}

/*
 * Timestamps from TSAs that identify their certificate in the token's
 * ESSCertIDv2 by another hash than SHA-256 (RFC 5816 lets a TSA choose; the
 * openssl CLI's ess_cert_id_alg, as some TSAs run it), or by the first
 * version's SHA-1 ESSCertID: the timestamp is valid for us as for
 * `openssl ts -verify`, and the signature valid at its time (passed as it
 * was: OpenSSL's token check finds the certificate by the hash the token
 * names).
 */
START_TEST(timestamp_ess_cert_id_of_another_hash)
{
	static const char *const alg[] = { "sha512", "sha384", "sha1" };
	struct crypto_verify_report *r;
	unsigned char *one;
	size_t n1, k;
	char cnf[1024], name[32];
	FILE *f;

	for (k = 0; k < 3; k++) {
		snprintf(cnf, sizeof(cnf),
			 "[tsa]\nserial = ess_serial\nsigner_cert = tsa.pem\nsigner_key = tsa.key\n"
			 "certs = ca.pem\nsigner_digest = sha256\ndefault_policy = "
			 "1.3.6.1.4.1.99999.2\n"
			 "digests = sha256\naccuracy = secs:1\nordering = no\ntsa_name = no\n"
			 "ess_cert_id_chain = no\ness_cert_id_alg = %s\n",
			 alg[k]);
		snprintf(name, sizeof(name), "ess_%s.cnf", alg[k]);
		ck_assert_ptr_nonnull(f = fopen(vc_path(name), "w"));
		ck_assert(fputs(cnf, f) >= 0 && fclose(f) == 0);
		ck_assert_int_eq(run("cd %s && echo 01 >ess_serial", vc_dir), 0);
		one = vc_sign(base, base_len, "rsa", 1, 0, &n1);
		cms_rewrite(one, n1, openssl_timestamp, name);
		/* the token says so: an ESSCertIDv2 of that hash (SHA-1: the first version) */
		ck_assert_int_eq(run("cd %s && openssl ts -reply -in ess_r.tsr -token_out -out "
				     "ess_tok.der 2>/dev/null && openssl asn1parse -inform DER -in "
				     "ess_tok.der >ess_tok.txt && grep -q "
				     "':id-smime-aa-signingCertificate%s$' "
				     "ess_tok.txt && (%s || grep -q ':%s$' ess_tok.txt)",
				     vc_dir, k < 2 ? "V2" : "", k < 2 ? "false" : "true", alg[k]),
				 0);
		snprintf(name, sizeof(name), "ess_%s.pdf", alg[k]);
		assert_valid(one, n1, 1, name);
		r = verify(one, n1);
		ck_assert_int_eq(r->sigs[0].has_timestamp, 1);
		ck_assert_msg(r->sigs[0].timestamp_ok == 1, "%s: %s", alg[k], r->sigs[0].message);
		ck_assert_str_eq(r->sigs[0].level, "pades_b_t");
		crypto_verify_report_free(r);
		free(one);
	}
}
END_TEST

/* The DER length of the element at p (its header's length byte count in *hl). */
static size_t
der_len_at(const unsigned char *p, size_t *hl)
{
	size_t k, v = 0;

	if (!(p[1] & 0x80)) {
		*hl = 2;
		return p[1];
	}
	for (k = 0; k < (size_t)(p[1] & 0x7f); k++)
		v = v << 8 | p[2 + k];
	*hl = 2 + (p[1] & 0x7f);
	return v;
}

/* Add add to the length of the element at p (long form of two bytes: the same size). */
static void
der_grow(unsigned char *p, size_t add)
{
	size_t hl, v = der_len_at(p, &hl) + add;

	ck_assert(p[1] == 0x82 && v < 65536);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

/*
 * The last signature's CMS of d with an attribute certificate (RFC 5755) among
 * its certificates, [2] IMPLICIT as RFC 5652 §10.2.2's CertificateChoices
 * v2AttrCert puts one (what a signer with a role attribute sends along; no
 * CMS API writes one): the DER edited, the four enclosing lengths grown.
 */
static void
attribute_cert_into(unsigned char *d, size_t n)
{
	/* AttributeCertificate ::= SEQUENCE { acinfo, signatureAlgorithm, signatureValue },
	   its content as [2] IMPLICIT: an acinfo of version v2 only, sha256WithRSA, no bits */
	static const unsigned char ac[] = { 0xa2, 0x17, 0x30, 0x03, 0x02, 0x01, 0x01, 0x30, 0x0d,
					    0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01,
					    0x01, 0x0b, 0x05, 0x00, 0x03, 0x01, 0x00 };
	unsigned char *c = NULL, *der, *o;
	size_t i, h, dl, hl, at_sd, at_certs, p, end_certs;
	static const char hx[] = "0123456789ABCDEF";

	for (i = n - 11; i-- > 0 && !c;)
		if (memcmp(d + i, "/Contents <", 11) == 0)
			c = d + i + 11;
	ck_assert_ptr_nonnull(c);
	for (h = 0; c[h] != '>'; h++)
		;
	ck_assert_ptr_nonnull(der = malloc(h / 2 + sizeof(ac)));
	ck_assert_int_eq(sp_hex_decode((const char *)c, h, der, h / 2, &dl), SP_OK);
	/* ContentInfo 30 | OID | A0 [0] | SignedData 30 | version | digestAlgorithms |
	   encapContentInfo | certificates A0 */
	ck_assert(der[0] == 0x30 && der[1] == 0x82);
	dl = 4 + der_len_at(der, &hl); /* the CMS, without the placeholder's zeros */
	p = 4;
	p += 2 + der[p + 1]; /* the contentType OID */
	ck_assert(der[p] == 0xa0 && der[p + 1] == 0x82);
	at_sd = p + 4;
	ck_assert(der[at_sd] == 0x30 && der[at_sd + 1] == 0x82);
	p = at_sd + 4;
	for (i = 0; i < 3; i++) /* version, digestAlgorithms, encapContentInfo */
		p += der_len_at(der + p, &hl) + hl;
	at_certs = p;
	ck_assert(der[at_certs] == 0xa0 && der[at_certs + 1] == 0x82);
	end_certs = at_certs + 4 + der_len_at(der + at_certs, &hl);
	ck_assert_ptr_nonnull(o = malloc(dl + sizeof(ac)));
	memcpy(o, der, end_certs);
	memcpy(o + end_certs, ac, sizeof(ac));
	memcpy(o + end_certs + sizeof(ac), der + end_certs, dl - end_certs);
	der_grow(o, sizeof(ac));
	der_grow(o + at_sd - 4, sizeof(ac));
	der_grow(o + at_sd, sizeof(ac));
	der_grow(o + at_certs, sizeof(ac));
	dl += sizeof(ac);
	ck_assert(2 * dl <= h);
	memset(c, '0', h);
	for (i = 0; i < dl; i++) {
		c[2 * i] = (unsigned char)hx[o[i] >> 4];
		c[2 * i + 1] = (unsigned char)hx[o[i] & 15];
	}
	free(o);
	free(der);
}

/*
 * A signature whose CMS carries an attribute certificate beside the X.509
 * ones (RFC 5652 CertificateChoices v2AttrCert; pyHanko reads them, a role
 * holder's signer sends one): the signature is what it was, valid for us and
 * pdfsig, its chain the X.509 certificates; qpdf --check clean (passed as it
 * was: coverage).
 */
START_TEST(attribute_certificate_in_the_cms)
{
	struct crypto_verify_report *r;
	unsigned char *one;
	size_t n1;

	one = vc_sign(base, base_len, "rsa", 1, 0, &n1);
	attribute_cert_into(one, n1);
	assert_valid(one, n1, 1, "attr_cert.pdf");
	r = verify(one, n1);
	ck_assert_uint_eq(r->nsigs, 1);
	ck_assert_msg(r->sigs[0].verdict == CRYPTO_VERDICT_VALID, "%s %s",
		      crypto_verdict_name(r->sigs[0].verdict), r->sigs[0].message);
	ck_assert_int_eq(r->sigs[0].chain_ok, 1);
	ck_assert_int_eq(r->sigs[0].timestamp_ok, 1);
	crypto_verify_report_free(r);
	free(one);
}
END_TEST

/*
 * SM2 as Chinese tools sign with it (GM/T 0010-2012: PKCS #7 under its own
 * content types, SM3withSM2 through BouncyCastle, adbe.pkcs7.detached,
 * PDFBox's update): verified, and BouncyCastle agrees; a byte of the signed
 * range changed is a digest mismatch; ours after it leaves it intact.
 */

/* Adds these tests to tc: test_verify_java's suite. */
void cms_extras_add(TCase *tc);

void
cms_extras_add(TCase *tc)
{
	tcase_add_test(tc, crls_in_the_signed_data);
	tcase_add_test(tc, timestamp_ess_cert_id_of_another_hash);
	tcase_add_test(tc, attribute_certificate_in_the_cms);
}
