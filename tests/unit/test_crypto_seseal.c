/*
 * test_crypto_seseal.c: GB/T 38540 SESeal (crypto/seseal.c): a seal built
 * and signed by a maker (SM2, RSA, P-256) reads back with every field and
 * verifies; any changed byte, another maker or a foreign certificate is
 * refused.
 */
#include <check.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"

static const unsigned char png[] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 1, 2, 3, 4 };

/* A self-signed certificate for key, with subject CN=cn. */
static X509 *
cert_make(EVP_PKEY *key, const char *cn, int sm2)
{
	X509 *x = X509_new();
	X509_NAME *n = X509_NAME_new();
	EVP_MD_CTX *mctx = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;

	ck_assert_ptr_nonnull(x);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0);
	X509_set_subject_name(x, n);
	X509_set_issuer_name(x, n);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	X509_set_pubkey(x, key);
	if (sm2) {
		pctx = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);
		EVP_PKEY_CTX_set1_id(pctx, CRYPTO_SM2_ID, strlen(CRYPTO_SM2_ID));
		EVP_MD_CTX_set_pkey_ctx(mctx, pctx);
		ck_assert_int_eq(EVP_DigestSignInit(mctx, NULL, EVP_sm3(), NULL, key), 1);
	} else {
		ck_assert_int_eq(EVP_DigestSignInit(mctx, NULL, EVP_sha256(), NULL, key), 1);
	}
	ck_assert_int_gt(X509_sign_ctx(x, mctx), 0);
	EVP_MD_CTX_free(mctx);
	EVP_PKEY_CTX_free(pctx);
	X509_NAME_free(n);
	return x;
}

static EVP_PKEY *
key_make(int kind)
{
	EVP_PKEY *k = kind == 0   ? EVP_PKEY_Q_keygen(NULL, NULL, "SM2")
		      : kind == 1 ? EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048)
				  : EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");

	ck_assert_ptr_nonnull(k);
	return k;
}

/* A seal by a maker of kind (0 SM2, 1 RSA, 2 P-256) binding org. */
static void
build(int kind, X509 **maker, EVP_PKEY **mkey, X509 **org, uint8_t **der, size_t *len)
{
	struct crypto_seseal_in in;
	struct sp_errinfo ei;
	EVP_PKEY *okey = key_make(2);
	unsigned char *oder = NULL;
	int olen;

	*mkey = key_make(kind);
	*maker = cert_make(*mkey, "sealpact seal maker", kind == 0);
	*org = cert_make(okey, "买方有限公司", 0);
	olen = i2d_X509(*org, &oder);
	ck_assert_int_gt(olen, 0);
	memset(&in, 0, sizeof(in));
	in.es_id = "sealpact-42";
	in.vid = "sealpact";
	in.type = CRYPTO_SEAL_TYPE_CONTRACT;
	in.name = "买方有限公司合同专用章";
	in.org_cert_der = oder;
	in.org_cert_len = (size_t)olen;
	in.created = 1760000000;
	in.valid_start = 1760000000;
	in.valid_end = 1860000000;
	in.png = png;
	in.png_len = sizeof(png);
	in.width_mm = 40;
	in.height_mm = 40;
	sp_errinfo_init(&ei);
	ck_assert_msg(crypto_seseal_build(&in, *maker, *mkey, der, len, &ei) == SP_OK, "%s",
		      ei.msg);
	OPENSSL_free(oder);
	EVP_PKEY_free(okey);
}

static void
round_trip(int kind, const char *alg)
{
	struct crypto_seseal s;
	struct sp_errinfo ei;
	X509 *maker, *org;
	EVP_PKEY *mkey;
	uint8_t *der;
	size_t len;

	build(kind, &maker, &mkey, &org, &der, &len);
	sp_errinfo_init(&ei);
	ck_assert_msg(crypto_seseal_verify(der, len, maker, &s, &ei) == SP_OK, "%s", ei.msg);
	ck_assert_str_eq(s.header_id, "ES");
	ck_assert_int_eq(s.version, 4);
	ck_assert_str_eq(s.vid, "sealpact");
	ck_assert_str_eq(s.es_id, "sealpact-42");
	ck_assert_int_eq(s.type, CRYPTO_SEAL_TYPE_CONTRACT);
	ck_assert_str_eq(s.name, "买方有限公司合同专用章");
	ck_assert_int_eq((long long)s.valid_start, 1760000000LL);
	ck_assert_int_eq((long long)s.valid_end, 1860000000LL);
	ck_assert_str_eq(s.picture_type, "PNG");
	ck_assert_uint_eq(s.png_len, sizeof(png));
	ck_assert_mem_eq(s.png, png, sizeof(png));
	ck_assert_int_eq(s.width_mm, 40);
	ck_assert_str_eq(s.sig_alg, alg);
	ck_assert_int_eq(X509_cmp(s.maker, maker), 0);
	ck_assert_int_eq(crypto_seseal_binds(&s, org), 1);
	ck_assert_int_eq(crypto_seseal_binds(&s, maker), 0);
	crypto_seseal_cleanup(&s);
	/* Without an expected maker, the carried one is used. */
	sp_errinfo_init(&ei);
	ck_assert_int_eq(crypto_seseal_verify(der, len, NULL, &s, &ei), SP_OK);
	crypto_seseal_cleanup(&s);
	free(der);
	X509_free(maker);
	X509_free(org);
	EVP_PKEY_free(mkey);
}

START_TEST(sm2_round_trip)
{
	round_trip(0, "SM2-with-SM3");
}
END_TEST

START_TEST(rsa_round_trip)
{
	round_trip(1, "sha256WithRSAEncryption");
}
END_TEST

START_TEST(p256_round_trip)
{
	round_trip(2, "ecdsa-with-SHA256");
}
END_TEST

/*
 * Every single flipped byte is refused, checked against the expected maker
 * (as the client does): malformed, a bad signature, or another maker (a
 * byte of the carried certificate).
 */
START_TEST(tamper_refused)
{
	struct crypto_seseal s;
	struct sp_errinfo ei;
	X509 *maker, *org;
	EVP_PKEY *mkey;
	uint8_t *der;
	size_t len, i;
	int bad_sig = 0;

	build(0, &maker, &mkey, &org, &der, &len);
	for (i = 0; i < len; i++) {
		der[i] ^= 0x01;
		sp_errinfo_init(&ei);
		ck_assert_msg(crypto_seseal_verify(der, len, maker, &s, &ei) != SP_OK,
			      "byte %zu changed, still accepted", i);
		ck_assert_msg(strcmp(ei.reason, "seseal_malformed") == 0 ||
				      strcmp(ei.reason, "seseal_bad_signature") == 0 ||
				      strcmp(ei.reason, "seseal_maker_mismatch") == 0,
			      "byte %zu: reason %s", i, ei.reason);
		bad_sig += strcmp(ei.reason, "seseal_bad_signature") == 0;
		ck_assert_ptr_null(s.png);
		der[i] ^= 0x01;
	}
	/* The name, dates and picture are covered by the signature. */
	ck_assert_int_gt(bad_sig, 20);
	/* Truncated and trailing bytes. */
	sp_errinfo_init(&ei);
	ck_assert_int_ne(crypto_seseal_verify(der, len - 1, NULL, &s, &ei), SP_OK);
	ck_assert_str_eq(ei.reason, "seseal_malformed");
	free(der);
	X509_free(maker);
	X509_free(org);
	EVP_PKEY_free(mkey);
}
END_TEST

START_TEST(other_maker_refused)
{
	struct crypto_seseal s;
	struct sp_errinfo ei;
	X509 *maker, *org, *other;
	EVP_PKEY *mkey, *okey = key_make(0);
	uint8_t *der;
	size_t len;

	build(0, &maker, &mkey, &org, &der, &len);
	other = cert_make(okey, "sealpact seal maker", 1);
	sp_errinfo_init(&ei);
	ck_assert_int_eq(crypto_seseal_verify(der, len, other, &s, &ei), SP_ERR_CRYPTO);
	ck_assert_str_eq(ei.reason, "seseal_maker_mismatch");
	free(der);
	X509_free(maker);
	X509_free(org);
	X509_free(other);
	EVP_PKEY_free(mkey);
	EVP_PKEY_free(okey);
}
END_TEST

START_TEST(key_must_match_maker)
{
	struct crypto_seseal_in in;
	struct sp_errinfo ei;
	EVP_PKEY *k1 = key_make(0), *k2 = key_make(0);
	X509 *maker = cert_make(k1, "maker", 1);
	uint8_t *der = NULL;
	size_t len = 0;

	memset(&in, 0, sizeof(in));
	in.es_id = "x";
	in.vid = "v";
	in.type = 1;
	in.name = "n";
	in.org_cert_der = png;
	in.org_cert_len = sizeof(png);
	in.valid_start = 1;
	in.valid_end = 2;
	in.png = png;
	in.png_len = sizeof(png);
	sp_errinfo_init(&ei);
	ck_assert_int_ne(crypto_seseal_build(&in, maker, k2, &der, &len, &ei), SP_OK);
	ck_assert_ptr_null(der);
	/* A validity that ends before it starts is no seal either. */
	in.valid_end = 1;
	sp_errinfo_init(&ei);
	ck_assert_int_eq(crypto_seseal_build(&in, maker, k1, &der, &len, &ei), SP_ERR_INVALID);
	X509_free(maker);
	EVP_PKEY_free(k1);
	EVP_PKEY_free(k2);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("crypto_seseal");
	TCase *tc = tcase_create("seseal");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, sm2_round_trip);
	tcase_add_test(tc, rsa_round_trip);
	tcase_add_test(tc, p256_round_trip);
	tcase_add_test(tc, tamper_refused);
	tcase_add_test(tc, other_maker_refused);
	tcase_add_test(tc, key_must_match_maker);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
