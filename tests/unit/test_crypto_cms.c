/*
 * test_crypto_cms.c: digests, signature algorithms and signed attributes
 * for RSA, ECDSA P-256 and SM2, judged by OpenSSL's command line where it
 * can. The CMS assembled around an external ("token") signature:
 * its part test_crypto_cms_assemble.c; the PKI of both: test_crypto_cms.h.
 */
#define TEST_PART_HOME
#define TEST_PART
#include "test_crypto_cms.h"

START_TEST(digest_known_answers)
{
	static const char sha[] =
		"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
	static const char sm3[] =
		"66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0";
	struct sp_errinfo ei;
	struct crypto_digest_ctx *c;
	uint8_t d[CRYPTO_DIGEST_MAX];
	char hex[2 * CRYPTO_DIGEST_MAX + 1];
	size_t n;

	sp_errinfo_init(&ei);
	ck_assert_int_eq(crypto_digest(CRYPTO_DIGEST_SHA256, "abc", 3, d, &n, &ei), SP_OK);
	ck_assert_uint_eq(n, 32);
	sp_hex(d, n, hex);
	ck_assert_str_eq(hex, sha);
	ck_assert_int_eq(crypto_digest(CRYPTO_DIGEST_SM3, "abc", 3, d, &n, &ei), SP_OK);
	sp_hex(d, n, hex);
	ck_assert_str_eq(hex, sm3);
	/* Incremental over two pieces (a PDF's byte ranges) gives the same. */
	ck_assert_int_eq(crypto_digest_ctx_new(CRYPTO_DIGEST_SM3, &c, &ei), SP_OK);
	ck_assert_int_eq(crypto_digest_ctx_update(c, "a", 1, &ei), SP_OK);
	ck_assert_int_eq(crypto_digest_ctx_update(c, "bc", 2, &ei), SP_OK);
	ck_assert_int_eq(crypto_digest_ctx_final(c, d, &n, &ei), SP_OK);
	sp_hex(d, n, hex);
	ck_assert_str_eq(hex, sm3);
	ck_assert_int_eq(crypto_digest_ctx_final(c, d, &n, &ei), SP_ERR_INTERNAL);
	ck_assert_int_eq(crypto_digest_ctx_peek(c, d, &n, &ei), SP_ERR_INTERNAL);
	crypto_digest_ctx_free(c);
	crypto_digest_ctx_free(NULL);
	/* A prefix's digest on the way (peek), the whole's after: both as in one piece. */
	ck_assert_int_eq(crypto_digest_ctx_new(CRYPTO_DIGEST_SHA256, &c, &ei), SP_OK);
	ck_assert_int_eq(crypto_digest_ctx_update(c, "ab", 2, &ei), SP_OK);
	ck_assert_int_eq(crypto_digest_ctx_peek(c, d, &n, &ei), SP_OK);
	ck_assert_uint_eq(n, 32);
	sp_hex(d, n, hex);
	ck_assert_str_eq(hex, "fb8e20fc2e4c3f248c60c39bd652f3c1347298bb977b8b4d5903b85055620603");
	ck_assert_int_eq(crypto_digest_ctx_update(c, "c", 1, &ei), SP_OK);
	ck_assert_int_eq(crypto_digest_ctx_final(c, d, &n, &ei), SP_OK);
	sp_hex(d, n, hex);
	ck_assert_str_eq(hex, sha);
	crypto_digest_ctx_free(c);
	/* An OpenSSL state taken over goes on from where it was; one of another
	   algorithm is refused (and freed: ASan sees a leak otherwise). */
	{
		EVP_MD_CTX *m = EVP_MD_CTX_new();

		ck_assert_int_eq(EVP_DigestInit_ex(m, EVP_sha256(), NULL), 1);
		ck_assert_int_eq(EVP_DigestUpdate(m, "ab", 2), 1);
		ck_assert_int_eq(crypto_digest_ctx_adopt(CRYPTO_DIGEST_SHA256, m, &c, &ei), SP_OK);
		ck_assert_int_eq(crypto_digest_ctx_update(c, "c", 1, &ei), SP_OK);
		ck_assert_int_eq(crypto_digest_ctx_final(c, d, &n, &ei), SP_OK);
		sp_hex(d, n, hex);
		ck_assert_str_eq(hex, sha);
		crypto_digest_ctx_free(c);
		m = EVP_MD_CTX_new();
		ck_assert_int_eq(EVP_DigestInit_ex(m, EVP_sha256(), NULL), 1);
		ck_assert_int_eq(crypto_digest_ctx_adopt(CRYPTO_DIGEST_SM3, m, &c, &ei),
				 SP_ERR_INVALID);
		ck_assert_ptr_null(c);
		ck_assert_int_eq(crypto_digest_ctx_adopt(CRYPTO_DIGEST_SHA256, NULL, &c, &ei),
				 SP_ERR_INVALID);
	}
	sp_errinfo_init(&ei);
	ck_assert_int_eq(crypto_digest((enum crypto_digest_alg)9, "abc", 3, d, &n, &ei),
			 SP_ERR_INVALID);
	ck_assert_uint_eq(n, 0);
}
END_TEST

START_TEST(sigalg_per_key_and_names)
{
	struct sp_errinfo ei;
	enum crypto_sigalg a;
	EVP_PKEY *k;
	X509 *x;
	int i;

	for (i = 0; i < A_N; i++) {
		sp_errinfo_init(&ei);
		ck_assert_int_eq(crypto_sigalg_for_cert(P.leaf[i], &a, &ei), SP_OK);
		ck_assert_int_eq(a, algs[i]);
		ck_assert_int_eq(crypto_sigalg_from_name(crypto_sigalg_name(a)), a);
	}
	ck_assert_str_eq(crypto_sigalg_name(CRYPTO_SIGALG_RSA_SHA256), "sha256WithRSAEncryption");
	ck_assert_str_eq(crypto_sigalg_name(CRYPTO_SIGALG_ECDSA_SHA256), "ecdsa-with-SHA256");
	ck_assert_str_eq(crypto_sigalg_name(CRYPTO_SIGALG_SM2_SM3), "SM2-with-SM3");
	ck_assert_ptr_null(crypto_sigalg_name(CRYPTO_SIGALG_NONE));
	ck_assert_int_eq(crypto_sigalg_from_name("md5WithRSAEncryption"), CRYPTO_SIGALG_NONE);
	ck_assert_int_eq(crypto_sigalg_digest(CRYPTO_SIGALG_SM2_SM3), CRYPTO_DIGEST_SM3);

	/* Keys we do not take are refused by name, not by a later failure. */
	k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	x = make_cert(P.ca, P.ca_key, k, "p384", 90, 0, NULL);
	sp_errinfo_init(&ei);
	ck_assert_int_eq(crypto_sigalg_for_cert(x, &a, &ei), SP_ERR_UNSUPPORTED);
	ck_assert_int_eq(a, CRYPTO_SIGALG_NONE);
	ck_assert_str_eq(ei.reason, "unsupported_key");
	ck_assert_ptr_nonnull(strstr(ei.msg, "secp384r1"));
	X509_free(x);
	EVP_PKEY_free(k);
	k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	x = make_cert(P.ca, P.ca_key, k, "ed", 91, 0, NULL);
	sp_errinfo_init(&ei);
	ck_assert_int_eq(crypto_sigalg_for_cert(x, &a, &ei), SP_ERR_UNSUPPORTED);
	ck_assert_ptr_nonnull(strstr(ei.msg, "ED25519"));
	X509_free(x);
	EVP_PKEY_free(k);
	k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
	x = make_cert(P.ca, P.ca_key, k, "weak", 92, 0, NULL);
	sp_errinfo_init(&ei);
	ck_assert_int_eq(crypto_sigalg_for_cert(x, &a, &ei), SP_ERR_UNSUPPORTED);
	ck_assert_ptr_nonnull(strstr(ei.msg, "1024"));
	X509_free(x);
	EVP_PKEY_free(k);
}
END_TEST

START_TEST(signed_attrs_exact_and_deterministic)
{
	struct sp_errinfo ei;
	uint8_t d[CRYPTO_DIGEST_MAX], *der, *der2;
	size_t n, len, len2;
	const unsigned char *p;
	STACK_OF(X509_ATTRIBUTE) * attrs;
	ASN1_STRING *seq;
	ESS_SIGNING_CERT_V2 *sc;
	STACK_OF(X509) * chain;
	int a = _i, i, nids[3];

	content_digest(a, "%PDF byte ranges", d, &n);
	sp_errinfo_init(&ei);
	ck_assert_int_eq(crypto_cms_signed_attrs(P.leaf[a], algs[a], d, n, &der, &len, &ei), SP_OK);
	ck_assert_int_eq(crypto_cms_signed_attrs(P.leaf[a], algs[a], d, n, &der2, &len2, &ei),
			 SP_OK);
	ck_assert_uint_eq(len, len2);
	ck_assert_mem_eq(der, der2, len);
	ck_assert_uint_eq(der[0], 0x31); /* a SET OF, as the token signs it */
	free(der2);

	p = der;
	attrs = (STACK_OF(X509_ATTRIBUTE) *)ASN1_item_d2i(NULL, &p, (long)len,
							  ASN1_ITEM_rptr(PKCS7_ATTR_VERIFY));
	ck_assert_ptr_nonnull(attrs);
	ck_assert_int_eq(sk_X509_ATTRIBUTE_num(attrs), 3);
	for (i = 0; i < 3; i++)
		nids[i] =
			OBJ_obj2nid(X509_ATTRIBUTE_get0_object(sk_X509_ATTRIBUTE_value(attrs, i)));
	for (i = 0; i < 3; i++)
		ck_assert(nids[i] == NID_pkcs9_contentType || nids[i] == NID_pkcs9_messageDigest ||
			  nids[i] == NID_id_smime_aa_signingCertificateV2);
	ck_assert(nids[0] != nids[1] && nids[1] != nids[2] && nids[0] != nids[2]);
	ck_assert_int_eq(X509at_get_attr_by_NID(attrs, NID_pkcs9_signingTime, -1), -1);
	ck_assert_int_eq(OBJ_obj2nid(X509at_get0_data_by_OBJ(attrs,
							     OBJ_nid2obj(NID_pkcs9_contentType), -3,
							     V_ASN1_OBJECT)),
			 NID_pkcs7_data);
	seq = X509at_get0_data_by_OBJ(attrs, OBJ_nid2obj(NID_pkcs9_messageDigest), -3,
				      V_ASN1_OCTET_STRING);
	ck_assert_int_eq(ASN1_STRING_length(seq), (int)n);
	ck_assert_mem_eq(ASN1_STRING_get0_data(seq), d, n);
	/* The ESS id names this signer and no other. */
	seq = X509at_get0_data_by_OBJ(attrs, OBJ_nid2obj(NID_id_smime_aa_signingCertificateV2), -3,
				      V_ASN1_SEQUENCE);
	ck_assert_ptr_nonnull(seq);
	p = ASN1_STRING_get0_data(seq);
	sc = d2i_ESS_SIGNING_CERT_V2(NULL, &p, ASN1_STRING_length(seq));
	ck_assert_ptr_nonnull(sc);
	chain = sk_X509_new_null();
	sk_X509_push(chain, P.leaf[a]);
	ck_assert_int_gt(OSSL_ESS_check_signing_certs(NULL, sc, chain, 1), 0);
	sk_X509_set(chain, 0, P.leaf[(a + 1) % A_N]);
	ck_assert_int_le(OSSL_ESS_check_signing_certs(NULL, sc, chain, 1), 0);
	sk_X509_free(chain);
	ESS_SIGNING_CERT_V2_free(sc);
	sk_X509_ATTRIBUTE_pop_free(attrs, X509_ATTRIBUTE_free);

	/* Another digest gives other bytes; bad inputs are refused. */
	d[0] ^= 1;
	ck_assert_int_eq(crypto_cms_signed_attrs(P.leaf[a], algs[a], d, n, &der2, &len2, &ei),
			 SP_OK);
	ck_assert(len2 != len || memcmp(der, der2, len) != 0);
	free(der2);
	sp_errinfo_init(&ei);
	ck_assert_int_eq(crypto_cms_signed_attrs(P.leaf[a], algs[a], d, n - 1, &der2, &len2, &ei),
			 SP_ERR_INVALID);
	ck_assert_ptr_null(der2);
	ck_assert_uint_eq(len2, 0);
	sp_errinfo_init(&ei);
	ck_assert_int_eq(crypto_cms_signed_attrs(P.leaf[a], algs[(a + 1) % A_N], d, n, &der2, &len2,
						 &ei),
			 SP_ERR_INVALID);
	ck_assert_str_eq(ei.reason, "alg_mismatch");
	free(der);
}
END_TEST

/* 1 when the ESS signing-certificate-v2 in the signed attributes der names x. */
static int
ess_names(const uint8_t *der, size_t len, X509 *x)
{
	const unsigned char *p = der;
	STACK_OF(X509_ATTRIBUTE) *attrs =
		(STACK_OF(X509_ATTRIBUTE) *)ASN1_item_d2i(NULL, &p, (long)len,
							  ASN1_ITEM_rptr(PKCS7_ATTR_VERIFY));
	ASN1_STRING *seq;
	ESS_SIGNING_CERT_V2 *sc = NULL;
	STACK_OF(X509) *chain = sk_X509_new_null();
	int ok = 0;

	ck_assert_ptr_nonnull(attrs);
	seq = X509at_get0_data_by_OBJ(attrs, OBJ_nid2obj(NID_id_smime_aa_signingCertificateV2), -3,
				      V_ASN1_SEQUENCE);
	ck_assert_ptr_nonnull(seq);
	p = ASN1_STRING_get0_data(seq);
	sc = d2i_ESS_SIGNING_CERT_V2(NULL, &p, ASN1_STRING_length(seq));
	ck_assert_ptr_nonnull(sc);
	sk_X509_push(chain, x);
	ok = OSSL_ESS_check_signing_certs(NULL, sc, chain, 1) > 0;
	sk_X509_free(chain);
	ESS_SIGNING_CERT_V2_free(sc);
	sk_X509_ATTRIBUTE_pop_free(attrs, X509_ATTRIBUTE_free);
	return ok;
}

/*
 * The signing-certificate-v2 and the certificate's facts are made once per
 * certificate object and kept with it: the attributes built again for the
 * same object, and for a fresh decoding of the same certificate (nothing
 * kept), are the same bytes, and each certificate's attributes name it and
 * no other, built in turns; so are its facts (crypto_cert_info_get).
 */
START_TEST(signing_cert_kept_with_the_certificate)
{
	struct sp_errinfo ei;
	uint8_t d[CRYPTO_DIGEST_MAX], *der[A_N][3];
	size_t n[A_N], len[A_N][3];
	X509 *fresh;
	int a, t;

	sp_errinfo_init(&ei);
	for (t = 0; t < 2; t++)
		for (a = 0; a < A_N; a++) {
			content_digest(a, "%PDF kept", d, &n[a]);
			ck_assert_int_eq(crypto_cms_signed_attrs(P.leaf[a], algs[a], d, n[a],
								 &der[a][t], &len[a][t], &ei),
					 SP_OK);
		}
	for (a = 0; a < A_N; a++) {
		content_digest(a, "%PDF kept", d, &n[a]);
		fresh = X509_dup(P.leaf[a]);
		ck_assert_ptr_nonnull(fresh);
		ck_assert_int_eq(crypto_cms_signed_attrs(fresh, algs[a], d, n[a], &der[a][2],
							 &len[a][2], &ei),
				 SP_OK);
		{
			struct crypto_cert_info i1, i2, i3;

			ck_assert_int_eq(crypto_cert_info_get(P.leaf[a], &i1, &ei), SP_OK);
			ck_assert_int_eq(crypto_cert_info_get(P.leaf[a], &i2, &ei), SP_OK);
			ck_assert_int_eq(crypto_cert_info_get(fresh, &i3, &ei), SP_OK);
			ck_assert_mem_eq(&i1, &i2, sizeof(i1));
			ck_assert_mem_eq(&i1, &i3, sizeof(i1));
			ck_assert_str_eq(i1.cn, alg_names[a]);
			ck_assert_int_eq(crypto_cert_info_get(P.leaf[(a + 1) % A_N], &i2, &ei),
					 SP_OK);
			ck_assert_str_ne(i1.sha256_hex, i2.sha256_hex);
			ck_assert_str_eq(i2.cn, alg_names[(a + 1) % A_N]);
		}
		X509_free(fresh);
		ck_assert_uint_eq(len[a][0], len[a][1]);
		ck_assert_uint_eq(len[a][0], len[a][2]);
		ck_assert_mem_eq(der[a][0], der[a][1], len[a][0]);
		ck_assert_mem_eq(der[a][0], der[a][2], len[a][0]);
		ck_assert(ess_names(der[a][1], len[a][1], P.leaf[a]));
		ck_assert(!ess_names(der[a][1], len[a][1], P.leaf[(a + 1) % A_N]));
		for (t = 0; t < 3; t++)
			free(der[a][t]);
	}
}
END_TEST

/* One signing as prepare + token + complete do it, with its files on disk. */
static Suite *
crypto_cms_suite(void)
{
	Suite *s = suite_create("crypto_cms");
	TCase *tc = tcase_create("cms");

	tcase_add_unchecked_fixture(tc, pki_setup, pki_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, digest_known_answers);
	tcase_add_test(tc, sigalg_per_key_and_names);
	tcase_add_loop_test(tc, signed_attrs_exact_and_deterministic, 0, A_N);
	tcase_add_test(tc, signing_cert_kept_with_the_certificate);
	cms_assemble_add(tc);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(crypto_cms_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
