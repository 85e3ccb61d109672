/*
 * test_crypto_chain.c: certificate chains as DER SEQUENCE OF Certificate
 * (crypto_chain_to_der / crypto_chain_from_der): round trip, the empty
 * chain, the caps, and truncated or garbage input failing cleanly; the
 * trust's certificates shared instead of decoded again
 * (crypto_trust_chain_from_der / crypto_trust_cert_parse).
 *
 * The certificates are small self-signed P-256 ones made with the OpenSSL
 * API, so the suite needs no files and no database.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "crypto.h"
#include "support_tmp.h"

#include "test_self_signed.h"

static STACK_OF(X509) * make_chain(int n)
{
	STACK_OF(X509) *sk = sk_X509_new_null();
	char cn[32];
	int i;

	ck_assert_ptr_nonnull(sk);
	for (i = 0; i < n; i++) {
		snprintf(cn, sizeof(cn), "CA %d", i);
		ck_assert_int_gt(sk_X509_push(sk, make_cert(cn, 100 + i)), 0);
	}
	return sk;
}

static void
setup(void)
{
	key = EVP_EC_gen("P-256");
	ck_assert_ptr_nonnull(key);
}

static void
teardown(void)
{
	EVP_PKEY_free(key);
	key = NULL;
}

START_TEST(round_trip_keeps_order_and_bytes)
{
	STACK_OF(X509) *in = make_chain(3), *out = NULL;
	struct sp_errinfo ei;
	uint8_t *der = NULL;
	size_t len = 0;
	int i;

	sp_errinfo_init(&ei);
	ck_assert_int_eq(crypto_chain_to_der(in, &der, &len, &ei), SP_OK);
	ck_assert_uint_gt(len, 2);
	ck_assert_uint_eq(der[0], 0x30); /* SEQUENCE */
	ck_assert_int_eq(crypto_chain_from_der(der, len, &out, &ei), SP_OK);
	ck_assert_int_eq(sk_X509_num(out), 3);
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(X509_cmp(sk_X509_value(in, i), sk_X509_value(out, i)), 0);
	free(der);
	sk_X509_pop_free(in, X509_free);
	sk_X509_pop_free(out, X509_free);
}
END_TEST

START_TEST(one_certificate_is_its_der_in_a_sequence)
{
	STACK_OF(X509) *in = make_chain(1);
	unsigned char *cert = NULL;
	struct sp_errinfo ei;
	uint8_t *der = NULL;
	size_t len = 0;
	int n;

	sp_errinfo_init(&ei);
	ck_assert_int_eq(crypto_chain_to_der(in, &der, &len, &ei), SP_OK);
	n = i2d_X509(sk_X509_value(in, 0), &cert);
	ck_assert_int_gt(n, 0);
	/* a SEQUENCE header (tag, definite length), then the certificate exactly */
	ck_assert_uint_gt(len, (size_t)n + 1);
	ck_assert_uint_le(len, (size_t)n + 4);
	ck_assert_uint_eq(der[0], 0x30);
	ck_assert_mem_eq(der + len - (size_t)n, cert, (size_t)n);
	OPENSSL_free(cert);
	free(der);
	sk_X509_pop_free(in, X509_free);
}
END_TEST

START_TEST(empty_and_null_chains)
{
	STACK_OF(X509) *in = sk_X509_new_null(), *out = NULL;
	struct sp_errinfo ei;
	uint8_t *der = NULL;
	size_t len = 0;

	sp_errinfo_init(&ei);
	ck_assert_int_eq(crypto_chain_to_der(in, &der, &len, &ei), SP_OK);
	ck_assert_uint_eq(len, 2);
	ck_assert_uint_eq(der[0], 0x30);
	ck_assert_uint_eq(der[1], 0x00);
	ck_assert_int_eq(crypto_chain_from_der(der, len, &out, &ei), SP_OK);
	ck_assert_ptr_nonnull(out);
	ck_assert_int_eq(sk_X509_num(out), 0);
	free(der);
	sk_X509_pop_free(out, X509_free);
	out = NULL;
	ck_assert_int_eq(crypto_chain_to_der(NULL, &der, &len, &ei), SP_OK);
	ck_assert_uint_eq(len, 2);
	ck_assert_int_eq(memcmp(der, "\x30\x00", 2), 0);
	free(der);
	sk_X509_free(in);
}
END_TEST

START_TEST(over_the_count_cap)
{
	STACK_OF(X509) *in = make_chain(CRYPTO_CHAIN_MAX + 1), *out = NULL;
	struct sp_errinfo ei;
	uint8_t *der = (uint8_t *)"x";
	unsigned char *big = NULL;
	size_t len = 1;
	int n;

	sp_errinfo_init(&ei);
	ck_assert_int_eq(crypto_chain_to_der(in, &der, &len, &ei), SP_ERR_LIMIT);
	ck_assert_ptr_null(der);
	ck_assert_uint_eq(len, 0);
	/* Written by someone else: the decoder refuses it too. */
	n = i2d_X509(sk_X509_value(in, 0), NULL);
	ck_assert_int_gt(n, 0);
	{
		size_t body = (size_t)n * (CRYPTO_CHAIN_MAX + 1), i;
		unsigned char *p;

		big = malloc(body + 4);
		ck_assert_ptr_nonnull(big);
		big[0] = 0x30;
		big[1] = 0x82;
		big[2] = (unsigned char)(body >> 8);
		big[3] = (unsigned char)body;
		for (i = 0, p = big + 4; i < CRYPTO_CHAIN_MAX + 1; i++)
			ck_assert_int_eq(i2d_X509(sk_X509_value(in, 0), &p), n);
		sp_errinfo_init(&ei);
		ck_assert_int_eq(crypto_chain_from_der(big, body + 4, &out, &ei), SP_ERR_INVALID);
		ck_assert_ptr_null(out);
		ck_assert_str_eq(ei.reason, CRYPTO_REASON_MALFORMED_CERT);
		/* One fewer is fine. */
		big[2] = (unsigned char)((body - (size_t)n) >> 8);
		big[3] = (unsigned char)(body - (size_t)n);
		ck_assert_int_eq(crypto_chain_from_der(big, body + 4 - (size_t)n, &out, &ei),
				 SP_OK);
		ck_assert_int_eq(sk_X509_num(out), CRYPTO_CHAIN_MAX);
		sk_X509_pop_free(out, X509_free);
		out = NULL;
	}
	free(big);
	sk_X509_pop_free(in, X509_free);
}
END_TEST

START_TEST(over_the_size_cap)
{
	struct sp_errinfo ei;
	STACK_OF(X509) *out = NULL;
	uint8_t *big = calloc(1, CRYPTO_CHAIN_DER_MAX + 1);

	ck_assert_ptr_nonnull(big);
	big[0] = 0x30;
	sp_errinfo_init(&ei);
	ck_assert_int_eq(crypto_chain_from_der(big, CRYPTO_CHAIN_DER_MAX + 1, &out, &ei),
			 SP_ERR_INVALID);
	ck_assert_ptr_null(out);
	free(big);
}
END_TEST

START_TEST(truncated_and_garbage_fail_cleanly)
{
	static const uint8_t garbage[][8] = {
		{ 0x00 },
		{ 0x31, 0x00 },                   /* a SET, not a SEQUENCE */
		{ 0x30, 0x05, 0x01, 0x01, 0xff }, /* length past the end */
		{ 0x30, 0x03, 0x02, 0x01, 0x05 }, /* an INTEGER where a certificate goes */
		{ 0x30, 0x00, 0x00 },             /* bytes after the sequence */
		{ 0x04, 0x02, 0x30, 0x00 },       /* an OCTET STRING */
	};
	static const size_t glen[] = { 1, 2, 5, 5, 3, 4 };
	STACK_OF(X509) *in = make_chain(2), *out = NULL;
	struct sp_errinfo ei;
	uint8_t *der = NULL, *bad;
	size_t len = 0, i;

	ck_assert_int_eq(crypto_chain_to_der(in, &der, &len, NULL), SP_OK);
	/* Every proper prefix fails, with nothing allocated for the caller. */
	for (i = 0; i < len; i++) {
		sp_errinfo_init(&ei);
		ck_assert_int_eq(crypto_chain_from_der(der, i, &out, &ei), SP_ERR_INVALID);
		ck_assert_ptr_null(out);
		ck_assert_str_eq(ei.reason, CRYPTO_REASON_MALFORMED_CERT);
	}
	/* A flipped byte in a certificate's inner structure. */
	/* NOLINTNEXTLINE(clang-analyzer-optin.portability.UnixAPI): len > 0, a chain's DER */
	bad = malloc(len);
	ck_assert_ptr_nonnull(bad);
	memcpy(bad, der, len);
	bad[8] = 0xff;
	ck_assert_int_eq(crypto_chain_from_der(bad, len, &out, NULL), SP_ERR_INVALID);
	ck_assert_ptr_null(out);
	for (i = 0; i < SP_ARRAY_LEN(glen); i++) {
		sp_errinfo_init(&ei);
		ck_assert_int_eq(crypto_chain_from_der(garbage[i], glen[i], &out, &ei),
				 SP_ERR_INVALID);
		ck_assert_ptr_null(out);
	}
	ck_assert_int_eq(crypto_chain_from_der(NULL, 0, &out, NULL), SP_ERR_INVALID);
	/* The length framing of earlier versions is not a chain either. */
	bad[0] = 0;
	bad[1] = 0;
	bad[2] = 1;
	bad[3] = 0;
	ck_assert_int_eq(crypto_chain_from_der(bad, len, &out, NULL), SP_ERR_INVALID);
	ck_assert_ptr_null(out);
	free(bad);
	free(der);
	sk_X509_pop_free(in, X509_free);
}
END_TEST

/* A PEM file of x in directory dir; the path is malloc'd. */
static char *
pem_file(X509 *x, char *dir)
{
	char *path = malloc(strlen(dir) + 16);
	FILE *f;

	ck_assert_ptr_nonnull(path);
	sprintf(path, "%s/%ld.pem", dir, ASN1_INTEGER_get(X509_get0_serialNumber(x)));
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	ck_assert_int_eq(PEM_write_X509(f, x), 1);
	fclose(f);
	return path;
}

START_TEST(trust_certificates_are_shared_not_decoded)
{
	STACK_OF(X509) *in = sk_X509_new_null(), *a = NULL, *b = NULL;
	struct crypto_trust *t = NULL;
	struct sp_errinfo ei;
	char dir[320], *root, *inter;
	uint8_t *der = NULL, *one = NULL;
	size_t len = 0, i;
	int onelen;
	X509 *x = NULL;

	ck_assert_int_gt(sk_X509_push(in, make_cert_ca("Intermediate", 200, 1)), 0);
	ck_assert_int_gt(sk_X509_push(in, make_cert_ca("Root", 201, 1)), 0);
	ck_assert_int_gt(sk_X509_push(in, make_cert_ca("Elsewhere", 202, 1)), 0);
	snprintf(dir, sizeof(dir), "%s", test_tmpdir_new("chain"));
	root = pem_file(sk_X509_value(in, 1), dir);
	inter = pem_file(sk_X509_value(in, 0), dir);
	sp_errinfo_init(&ei);
	ck_assert_int_eq(crypto_trust_new((const char *const *)&root, 1,
					  (const char *const *)&inter, 1, NULL, 0, NULL, &t, &ei),
			 SP_OK);
	/* [intermediate, root, unknown] */
	ck_assert_int_eq(crypto_chain_to_der(in, &der, &len, NULL), SP_OK);
	ck_assert_int_eq(crypto_trust_chain_from_der(t, der, len, &a, &ei), SP_OK);
	ck_assert_int_eq(crypto_trust_chain_from_der(t, der, len, &b, &ei), SP_OK);
	ck_assert_int_eq(sk_X509_num(a), 3);
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(X509_cmp(sk_X509_value(a, (int)i), sk_X509_value(in, (int)i)), 0);
	/* the trust's two are one object each; the unknown one, decoded once, is kept
	   in the trust's certificate cache and shared as well */
	ck_assert_ptr_eq(sk_X509_value(a, 0), sk_X509_value(b, 0));
	ck_assert_ptr_eq(sk_X509_value(a, 1), sk_X509_value(b, 1));
	ck_assert_ptr_eq(sk_X509_value(a, 2), sk_X509_value(b, 2));
	onelen = i2d_X509(sk_X509_value(in, 1), &one);
	ck_assert_int_gt(onelen, 0);
	ck_assert_int_eq(crypto_trust_cert_parse(t, one, (size_t)onelen, &x, &ei), SP_OK);
	ck_assert_ptr_eq(x, sk_X509_value(a, 1));
	X509_free(x);
	/* what the plain decoder refuses, refused the same way */
	for (i = 0; i < len; i++) {
		STACK_OF(X509) *c = NULL;
		sp_errinfo_init(&ei);
		ck_assert_int_eq(crypto_trust_chain_from_der(t, der, i, &c, &ei), SP_ERR_INVALID);
		ck_assert_ptr_null(c);
		ck_assert_str_eq(ei.reason, CRYPTO_REASON_MALFORMED_CERT);
	}
	/* the trust goes first: the shared certificates live on in a and b */
	crypto_trust_free(t);
	ck_assert_int_eq(X509_cmp(sk_X509_value(a, 1), sk_X509_value(in, 1)), 0);
	sk_X509_pop_free(a, X509_free);
	sk_X509_pop_free(b, X509_free);
	OPENSSL_free(one);
	free(der);
	remove(root);
	remove(inter);
	rmdir(dir);
	free(root);
	free(inter);
	sk_X509_pop_free(in, X509_free);
}
END_TEST

static Suite *
chain_suite(void)
{
	Suite *s = suite_create("crypto_chain");
	TCase *tc = tcase_create("der");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, round_trip_keeps_order_and_bytes);
	tcase_add_test(tc, one_certificate_is_its_der_in_a_sequence);
	tcase_add_test(tc, empty_and_null_chains);
	tcase_add_test(tc, over_the_count_cap);
	tcase_add_test(tc, over_the_size_cap);
	tcase_add_test(tc, truncated_and_garbage_fail_cleanly);
	tcase_add_test(tc, trust_certificates_are_shared_not_decoded);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(chain_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
