/*
 * test_self_signed.h: self-signed test certificates under one key (key,
 * set by the suite's fixture), for the crypto unit tests that need many
 * distinct certificates but no real chain. Header-only (static), test-only.
 */
#ifndef TEST_SELF_SIGNED_H
#define TEST_SELF_SIGNED_H

#include <check.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

static EVP_PKEY *key;

/* A self-signed certificate (a CA when ca) for cn with this serial, valid now. */
static X509 *
make_cert_ca(const char *cn, long serial, int ca)
{
	X509 *x = X509_new();
	X509_NAME *n = X509_NAME_new();

	ck_assert_ptr_nonnull(x);
	ck_assert_ptr_nonnull(n);
	X509_set_version(x, X509_VERSION_3);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0);
	X509_set_subject_name(x, n);
	X509_set_issuer_name(x, n);
	X509_NAME_free(n);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	X509_set_pubkey(x, key);
	if (ca) {
		X509_EXTENSION *e =
			X509V3_EXT_conf_nid(NULL, NULL, NID_basic_constraints, "critical,CA:TRUE");
		ck_assert_ptr_nonnull(e);
		ck_assert_int_eq(X509_add_ext(x, e, -1), 1);
		X509_EXTENSION_free(e);
	}
	ck_assert_int_gt(X509_sign(x, key, EVP_sha256()), 0);
	return x;
}

static X509 *
make_cert(const char *cn, long serial)
{
	return make_cert_ca(cn, serial, 0);
}

#endif
