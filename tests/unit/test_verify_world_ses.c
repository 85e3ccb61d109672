/*
 * test_verify_world_ses.c: a PDF signature whose /Contents is a national
 * electronic seal signature instead of a CMS SignedData, as Chinese seal
 * tools write them: GB/T 38540-2020's SES_Signature (version 4) and
 * GM/T 0031-2014's (version 1), each over a real SESeal (crypto_seseal_build,
 * the seal the platform issues), signed with SM2-with-SM3 by the sealing
 * organization's key, its dataHash the SM3 of the signed byte ranges. No
 * tool on this machine writes them: they are built here with OpenSSL's ASN.1
 * templates, in the countersignature field test_verify_countersign.h adds.
 * The verifier does not check that format: it must say so (indeterminate,
 * unsupported_format, naming the standard, version, algorithm and signer),
 * not call it a malformed CMS (invalid), which it was.
 */
#include <openssl/asn1t.h>

#include "test_verify_countersign.h"

/* GB/T 38540's TBS_Sign (the extensions left out) and SES_Signature (no timestamp) */
typedef struct {
	ASN1_INTEGER *version;
	ASN1_TYPE *eseal;
	ASN1_GENERALIZEDTIME *time;
	ASN1_BIT_STRING *hash;
	ASN1_IA5STRING *prop;
} TS_TBS4;

ASN1_SEQUENCE(TS_TBS4) = {
	ASN1_SIMPLE(TS_TBS4, version, ASN1_INTEGER),
	ASN1_SIMPLE(TS_TBS4, eseal, ASN1_ANY),
	ASN1_SIMPLE(TS_TBS4, time, ASN1_GENERALIZEDTIME),
	ASN1_SIMPLE(TS_TBS4, hash, ASN1_BIT_STRING),
	ASN1_SIMPLE(TS_TBS4, prop, ASN1_IA5STRING),
} static_ASN1_SEQUENCE_END(TS_TBS4)

typedef struct {
	TS_TBS4 *tbs;
	ASN1_OCTET_STRING *cert;
	ASN1_OBJECT *alg;
	ASN1_BIT_STRING *sig;
} TS_SES4;

ASN1_SEQUENCE(TS_SES4) = {
	ASN1_SIMPLE(TS_SES4, tbs, TS_TBS4),
	ASN1_SIMPLE(TS_SES4, cert, ASN1_OCTET_STRING),
	ASN1_SIMPLE(TS_SES4, alg, ASN1_OBJECT),
	ASN1_SIMPLE(TS_SES4, sig, ASN1_BIT_STRING),
} static_ASN1_SEQUENCE_END(TS_SES4)

/* GM/T 0031's: the certificate and algorithm inside TBS_Sign, the time a BIT STRING */
typedef struct {
	ASN1_INTEGER *version;
	ASN1_TYPE *eseal;
	ASN1_BIT_STRING *time;
	ASN1_BIT_STRING *hash;
	ASN1_IA5STRING *prop;
	ASN1_OCTET_STRING *cert;
	ASN1_OBJECT *alg;
} TS_TBS1;

ASN1_SEQUENCE(TS_TBS1) = {
	ASN1_SIMPLE(TS_TBS1, version, ASN1_INTEGER),
	ASN1_SIMPLE(TS_TBS1, eseal, ASN1_ANY),
	ASN1_SIMPLE(TS_TBS1, time, ASN1_BIT_STRING),
	ASN1_SIMPLE(TS_TBS1, hash, ASN1_BIT_STRING),
	ASN1_SIMPLE(TS_TBS1, prop, ASN1_IA5STRING),
	ASN1_SIMPLE(TS_TBS1, cert, ASN1_OCTET_STRING),
	ASN1_SIMPLE(TS_TBS1, alg, ASN1_OBJECT),
} static_ASN1_SEQUENCE_END(TS_TBS1)

typedef struct {
	TS_TBS1 *tbs;
	ASN1_BIT_STRING *sig;
} TS_SES1;

ASN1_SEQUENCE(TS_SES1) = {
	ASN1_SIMPLE(TS_SES1, tbs, TS_TBS1),
	ASN1_SIMPLE(TS_SES1, sig, ASN1_BIT_STRING),
} static_ASN1_SEQUENCE_END(TS_SES1)

/* The DER of a (of template it), its length. */
static int
der_of(const void *a, const ASN1_ITEM *it, unsigned char **out)
{
	return ASN1_item_i2d((const ASN1_VALUE *)a, out, it);
}

/* A real SESeal for the sm2 signer, made by the corpus CA as the seal maker (DER, malloc'd). */
static uint8_t *
seal_for_sm2(size_t *len)
{
	static const uint8_t png[] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
	struct crypto_seseal_in in;
	struct sp_errinfo ei;
	X509 *sm2 = vc_cert("sm2"), *ca = vc_cert("ca");
	EVP_PKEY *cak = vc_key("ca");
	unsigned char *der = NULL;
	uint8_t *seal = NULL;
	int dl;

	ck_assert_int_gt(dl = i2d_X509(sm2, &der), 0);
	memset(&in, 0, sizeof(in));
	in.es_id = "SES-TEST-0001";
	in.vid = "world48";
	in.type = CRYPTO_SEAL_TYPE_CONTRACT;
	in.name = "Org C contract seal";
	in.org_cert_der = der;
	in.org_cert_len = (size_t)dl;
	in.created = in.valid_start = time(NULL) - 86400;
	in.valid_end = time(NULL) + 86400 * 365;
	in.png = png;
	in.png_len = sizeof(png);
	in.width_mm = in.height_mm = 40;
	sp_errinfo_init(&ei);
	ck_assert_msg(crypto_seseal_build(&in, ca, cak, &seal, len, &ei) == SP_OK, "%s", ei.msg);
	OPENSSL_free(der);
	EVP_PKEY_free(cak);
	X509_free(ca);
	X509_free(sm2);
	return seal;
}

/*
 * An SES_Signature of version (1 or 4) by the sm2 signer over data[0..a) and
 * data[b..n) (its dataHash their SM3), DER, malloc'd into *len.
 */
static unsigned char *
ses_signature(int version, const unsigned char *data, size_t a, size_t b, size_t n, size_t *len)
{
	EVP_PKEY *key = vc_key("sm2");
	X509 *sm2 = vc_cert("sm2");
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	unsigned char h[32], sig[CRYPTO_SIG_MAX], *tbs = NULL, *cert = NULL, *out = NULL;
	const unsigned char *p;
	unsigned int hl = 0;
	size_t sl, sealn;
	uint8_t *seal = seal_for_sm2(&sealn);
	ASN1_TYPE *eseal;
	ASN1_OBJECT *alg = OBJ_nid2obj(NID_SM2_with_SM3);
	int tl, cl, ol;

	ck_assert(m && EVP_DigestInit_ex(m, EVP_sm3(), NULL) && EVP_DigestUpdate(m, data, a) &&
		  EVP_DigestUpdate(m, data + b, n - b) && EVP_DigestFinal_ex(m, h, &hl));
	p = seal;
	ck_assert_ptr_nonnull(eseal = d2i_ASN1_TYPE(NULL, &p, (long)sealn));
	ck_assert_int_gt(cl = i2d_X509(sm2, &cert), 0);
	if (version == 4) {
		TS_SES4 *s = (TS_SES4 *)ASN1_item_new(ASN1_ITEM_rptr(TS_SES4));
		ASN1_TYPE_free(s->tbs->eseal);
		s->tbs->eseal = eseal;
		ck_assert(ASN1_INTEGER_set(s->tbs->version, 4) &&
			  ASN1_GENERALIZEDTIME_set(s->tbs->time, time(NULL)) &&
			  ASN1_BIT_STRING_set(s->tbs->hash, h, (int)hl) &&
			  ASN1_STRING_set(s->tbs->prop, "world48", 7) &&
			  ASN1_OCTET_STRING_set(s->cert, cert, cl));
		ASN1_OBJECT_free(s->alg);
		s->alg = OBJ_dup(alg);
		ck_assert_int_gt(tl = der_of(s->tbs, ASN1_ITEM_rptr(TS_TBS4), &tbs), 0);
		sl = vc_token_sign(key, CRYPTO_SIGALG_SM2_SM3, tbs, (size_t)tl, sig);
		ck_assert(ASN1_BIT_STRING_set(s->sig, sig, (int)sl));
		ck_assert_int_gt(ol = der_of(s, ASN1_ITEM_rptr(TS_SES4), &out), 0);
		ASN1_item_free((ASN1_VALUE *)s, ASN1_ITEM_rptr(TS_SES4));
	} else {
		TS_SES1 *s = (TS_SES1 *)ASN1_item_new(ASN1_ITEM_rptr(TS_SES1));
		ASN1_TYPE_free(s->tbs->eseal);
		s->tbs->eseal = eseal;
		ck_assert(
			ASN1_INTEGER_set(s->tbs->version, 1) &&
			ASN1_BIT_STRING_set(s->tbs->time, (unsigned char *)"20260101000000Z", 15) &&
			ASN1_BIT_STRING_set(s->tbs->hash, h, (int)hl) &&
			ASN1_STRING_set(s->tbs->prop, "world48", 7) &&
			ASN1_OCTET_STRING_set(s->tbs->cert, cert, cl));
		ASN1_OBJECT_free(s->tbs->alg);
		s->tbs->alg = OBJ_dup(alg);
		ck_assert_int_gt(tl = der_of(s->tbs, ASN1_ITEM_rptr(TS_TBS1), &tbs), 0);
		sl = vc_token_sign(key, CRYPTO_SIGALG_SM2_SM3, tbs, (size_t)tl, sig);
		ck_assert(ASN1_BIT_STRING_set(s->sig, sig, (int)sl));
		ck_assert_int_gt(ol = der_of(s, ASN1_ITEM_rptr(TS_SES1), &out), 0);
		ASN1_item_free((ASN1_VALUE *)s, ASN1_ITEM_rptr(TS_SES1));
	}
	*len = (size_t)ol;
	OPENSSL_free(tbs);
	OPENSSL_free(cert);
	free(seal);
	EVP_MD_CTX_free(m);
	X509_free(sm2);
	EVP_PKEY_free(key);
	return out;
}

/* d's last signature's /Contents replaced by der (zeros after it), over the same ranges;
   forged: the signature value's last byte changed, as by one without the signer's key. */
static void
contents_put_as(unsigned char *d, size_t n, int version, int forged)
{
	static const char hx[] = "0123456789ABCDEF";
	unsigned char *c = NULL, *der;
	size_t i, h, dl;

	for (i = n - 11; i-- > 0 && !c;)
		if (memcmp(d + i, "/Contents <", 11) == 0)
			c = d + i + 11;
	ck_assert_ptr_nonnull(c);
	for (h = 0; c + h < d + n && c[h] != '>'; h++)
		;
	/* the ranges: up to the '<', from after the '>' */
	der = ses_signature(version, d, (size_t)(c - 1 - d), (size_t)(c + h + 1 - d), n, &dl);
	ck_assert_uint_le(2 * dl, h);
	/* the signature BIT STRING ends either version's DER (no timestamp here) */
	if (forged)
		der[dl - 1] ^= 0xff;
	memset(c, '0', h);
	for (i = 0; i < dl; i++) {
		c[2 * i] = (unsigned char)hx[der[i] >> 4];
		c[2 * i + 1] = (unsigned char)hx[der[i] & 15];
	}
	OPENSSL_free(der);
}

static void
contents_put(unsigned char *d, size_t n, int version)
{
	contents_put_as(d, n, version, 0);
}

/*
 * Version 4 and version 1: indeterminate, unsupported_format, the message
 * naming the standard, the version and SM2-with-SM3, the signer read from
 * the certificate the seal signature carries; the contract's own signature
 * before it is untouched (valid with allowed changes). Before: invalid,
 * cms_malformed, "/Contents is not a CMS SignedData". pdfsig (poppler 22.12)
 * says "Unknown Validation Failure." of either.
 */
START_TEST(seal_signature_is_recognized)
{
	static const struct {
		int version;
		const char *name, *says;
	} c[] = {
		{ 4, "ses_v4.pdf",
		  "/Contents is a GB/T 38540 electronic seal signature (SES_Signature "
		  "version 4, SM2-SM3)" },
		{ 1, "ses_v1.pdf",
		  "/Contents is a GM/T 0031 electronic seal signature (SES_Signature "
		  "version 1, SM2-SM3)" },
	};
	size_t n1, n2;
	unsigned char *one = vc_sign(base, base_len, "rsa", 1, 0, &n1), *two;
	struct crypto_verify_report *r;
	char *line;

	two = countersign(one, n1, VW_TABLE, 0, "/adbe.pkcs7.detached", "ec", &n2);
	contents_put(two, n2, c[_i].version);
	write_file(vc_path(c[_i].name), two, n2);
	r = verify(two, n2);
	ck_assert_uint_eq(r->nsigs, 2);
	ck_assert_int_eq(r->sigs[0].verdict, CRYPTO_VERDICT_VALID_ALLOWED_CHANGES);
	ck_assert_msg(r->sigs[1].verdict == CRYPTO_VERDICT_INDETERMINATE && r->sigs[1].nreasons &&
			      !strcmp(r->sigs[1].reasons[0], "unsupported_format"),
		      "%s: %s [%s] %s", c[_i].name, crypto_verdict_name(r->sigs[1].verdict),
		      r->sigs[1].nreasons ? r->sigs[1].reasons[0] : "", r->sigs[1].message);
	ck_assert_msg(strstr(r->sigs[1].message, c[_i].says) != NULL, "%s: %s", c[_i].name,
		      r->sigs[1].message);
	ck_assert_int_eq(r->sigs[1].has_signer, 1);
	ck_assert_msg(strstr(r->sigs[1].signer.subject, "sm2 signer") != NULL, "%s",
		      r->sigs[1].signer.subject);
	ck_assert_int_eq(vc_outcome(r), VC_INDETERMINATE);
	crypto_verify_report_free(r);
	line = pdfsig_says(c[_i].name, 2);
	ck_assert_msg(!strcmp(line, "Unknown Validation Failure."), "%s: pdfsig: %s", c[_i].name,
		      line);
	free(line);
	free(two);
	free(one);
}
END_TEST

static const int c_versions[] = { 4, 1 };

/* Not an SES_Signature: a version-4 one whose version says 5 is still no CMS (invalid). */
START_TEST(other_sequences_stay_malformed)
{
	size_t n1, n2;
	unsigned char *one = vc_sign(base, base_len, "rsa", 1, 0, &n1), *two, *v;
	struct crypto_verify_report *r;

	two = countersign(one, n1, VW_TABLE, 0, "/adbe.pkcs7.detached", "ec", &n2);
	contents_put(two, n2, 4);
	/* the first INTEGER: 02 01 04 */
	ck_assert_ptr_nonnull(v = memmem(two + n1, n2 - n1, "020104", 6));
	v[5] = '5';
	r = verify(two, n2);
	ck_assert_int_eq(r->sigs[1].verdict, CRYPTO_VERDICT_INVALID);
	ck_assert_str_eq(r->sigs[1].reasons[0], "cms_malformed");
	crypto_verify_report_free(r);
	free(two);
	free(one);
}
END_TEST

/*
 * A seal signature whose value its own certificate's key does not verify
 * (review49): anyone can write an SES_Signature carrying another's
 * certificate, since nothing of it is checked. It was reported
 * indeterminate, unsupported_format, and named the certificate's subject as
 * its signer, the sm2 signer here, who never signed: a forgery reported as a
 * signature of unknown format by that signer. The value over toSign is
 * checkable (SM2-with-SM3 under the certificate's key, whatever dataHash
 * means in a PDF): a value that does not verify is proof (invalid); short of
 * checking it, no signer is named.
 */
START_TEST(a_forged_seal_signature_names_no_signer)
{
	size_t n1, n2;
	unsigned char *one = vc_sign(base, base_len, "rsa", 1, 0, &n1), *two;
	struct crypto_verify_report *r;

	two = countersign(one, n1, VW_TABLE, 0, "/adbe.pkcs7.detached", "ec", &n2);
	contents_put_as(two, n2, c_versions[_i], 1);
	r = verify(two, n2);
	ck_assert_uint_eq(r->nsigs, 2);
	ck_assert_msg(r->sigs[1].verdict == CRYPTO_VERDICT_INVALID || !r->sigs[1].has_signer,
		      "version %d, its signature value changed: %s [%s], signer %s", c_versions[_i],
		      crypto_verdict_name(r->sigs[1].verdict),
		      r->sigs[1].nreasons ? r->sigs[1].reasons[0] : "",
		      r->sigs[1].has_signer ? r->sigs[1].signer.subject : "none");
	crypto_verify_report_free(r);
	free(two);
	free(one);
}
END_TEST

static Suite *
ses_suite(void)
{
	Suite *s = suite_create("verify_world_ses");
	TCase *tc = tcase_create("ses");

	tcase_add_unchecked_fixture(tc, world_setup, world_teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, seal_signature_is_recognized, 0, 2);
	tcase_add_test(tc, other_sequences_stay_malformed);
	tcase_add_loop_test(tc, a_forged_seal_signature_names_no_signer, 0, 2);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(ses_suite());
	int nf;

	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? 0 : 1;
}
