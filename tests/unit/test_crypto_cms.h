/*
 * test_crypto_cms.h: the fixture and helpers of test_crypto_cms.c (digests,
 * signature algorithms, signed attributes) and its part
 * test_crypto_cms_assemble.c (CMS assembly around an external signature),
 * one executable (tests/CMakeLists.txt, unit_parts): a root, one leaf per
 * algorithm (RSA, ECDSA P-256, SM2) and a TSA made with the OpenSSL API once
 * per run in a temporary directory, a "token" signature and a timestamp.
 * Header-only; the PKI is TEST_SHARED (support_part.h), held by
 * test_crypto_cms.c.
 */
#ifndef TEST_CRYPTO_CMS_H
#define TEST_CRYPTO_CMS_H

#define CMS_FN static __attribute__((unused))

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/cms.h>
#include <openssl/ess.h>
#include <openssl/pem.h>
#include <openssl/pkcs7.h>
#include <openssl/x509v3.h>

#include "crypto.h"
#include "support_part.h"
#include "support_tmp.h"
#include "support_x509.h"

enum { A_RSA, A_EC, A_SM2, A_N };
static const enum crypto_sigalg __attribute__((unused))
algs[A_N] = { CRYPTO_SIGALG_RSA_SHA256, CRYPTO_SIGALG_ECDSA_SHA256, CRYPTO_SIGALG_SM2_SM3 };
static const char *const __attribute__((unused)) alg_names[A_N] = { "rsa", "ec", "sm2" };

TEST_SHARED struct cms_pki {
	char dir[64];
	EVP_PKEY *ca_key, *key[A_N], *tsa_key;
	X509 *ca, *leaf[A_N], *tsa_cert;
	struct crypto_tsa *tsa;
	X509_STORE *trust;
} P;

/* A certificate for key, issued by issuer (NULL: self-signed with key). */
CMS_FN X509 *
make_cert(X509 *issuer, EVP_PKEY *ikey, EVP_PKEY *key, const char *cn, long serial, int ca,
	  const char *eku)
{
	X509 *x = X509_new();
	X509_NAME *n = X509_NAME_new();

	ck_assert_ptr_nonnull(x);
	X509_set_version(x, X509_VERSION_3);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0);
	X509_set_subject_name(x, n);
	X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : n);
	X509_NAME_free(n);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 30 * 86400);
	X509_set_pubkey(x, key);
	if (issuer == NULL) {
		issuer = x;
		ikey = key;
	}
	test_x509_ext_add(x, issuer, NID_subject_key_identifier, "hash");
	test_x509_ext_add(x, issuer, NID_authority_key_identifier, "keyid");
	if (ca) {
		test_x509_ext_add(x, issuer, NID_basic_constraints, "critical,CA:TRUE");
		test_x509_ext_add(x, issuer, NID_key_usage, "critical,keyCertSign,cRLSign");
	} else {
		test_x509_ext_add(x, issuer, NID_basic_constraints, "critical,CA:FALSE");
		test_x509_ext_add(x, issuer, NID_key_usage,
				  "critical,digitalSignature,nonRepudiation");
	}
	if (eku != NULL)
		test_x509_ext_add(x, issuer, NID_ext_key_usage, eku);
	ck_assert_int_gt(X509_sign(x, ikey, EVP_sha256()), 0);
	return x;
}

CMS_FN void
write_pem(const char *name, X509 *x, EVP_PKEY *k)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", P.dir, name);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	if (x != NULL)
		ck_assert_int_eq(PEM_write_X509(f, x), 1);
	else
		ck_assert_int_eq(PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL), 1);
	fclose(f);
}

CMS_FN void
write_bin(const char *name, const void *p, size_t n)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", P.dir, name);
	ck_assert_ptr_nonnull(f = fopen(path, "wb"));
	ck_assert_uint_eq(fwrite(p, 1, n, f), n);
	fclose(f);
}

/* Run a shell command in the PKI directory; its exit status. */
CMS_FN int
sh(const char *cmd)
{
	char line[1024];

	snprintf(line, sizeof(line), "cd '%s' && %s >>log.txt 2>&1", P.dir, cmd);
	return system(line);
}

CMS_FN void
pki_setup(void)
{
	struct sp_errinfo ei;
	char c[128], k[128];
	int i;

	/* (the paths made from it are sized for a short one: say so, not truncate) */
	ck_assert_uint_lt((size_t)snprintf(P.dir, sizeof(P.dir), "%s", test_tmpdir_new("cms")),
			  sizeof(P.dir));
	P.ca_key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	P.key[A_RSA] = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	P.key[A_EC] = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	P.key[A_SM2] = EVP_PKEY_Q_keygen(NULL, NULL, "SM2");
	P.tsa_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	P.ca = make_cert(NULL, NULL, P.ca_key, "sealpact test root", 1, 1, NULL);
	for (i = 0; i < A_N; i++) {
		ck_assert_ptr_nonnull(P.key[i]);
		P.leaf[i] = make_cert(P.ca, P.ca_key, P.key[i], alg_names[i], 10 + i, 0, NULL);
	}
	P.tsa_cert = make_cert(P.ca, P.ca_key, P.tsa_key, "sealpact test TSA", 20, 0,
			       "critical,timeStamping");
	write_pem("ca.pem", P.ca, NULL);
	write_pem("tsa.pem", P.tsa_cert, NULL);
	write_pem("tsa.key", NULL, P.tsa_key);
	snprintf(c, sizeof(c), "%s/tsa.pem", P.dir);
	snprintf(k, sizeof(k), "%s/tsa.key", P.dir);
	sp_errinfo_init(&ei);
	ck_assert_int_eq(crypto_tsa_new(c, k, NULL, "1.3.6.1.4.1.99999.1", 500, &P.tsa, &ei),
			 SP_OK);
	P.trust = X509_STORE_new();
	X509_STORE_add_cert(P.trust, P.ca);
}

CMS_FN void
pki_teardown(void)
{
	char cmd[128];
	int i;

	crypto_tsa_free(P.tsa);
	X509_STORE_free(P.trust);
	for (i = 0; i < A_N; i++) {
		X509_free(P.leaf[i]);
		EVP_PKEY_free(P.key[i]);
	}
	X509_free(P.ca);
	X509_free(P.tsa_cert);
	EVP_PKEY_free(P.ca_key);
	EVP_PKEY_free(P.tsa_key);
	/* SEALPACT_TEST_KEEP_TMP=1 keeps the files and log.txt for a look. */
	if (getenv("SEALPACT_TEST_KEEP_TMP") != NULL) {
		fprintf(stderr, "kept %s\n", P.dir);
		return;
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", P.dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", P.dir);
}

/* What a token does: hash-and-sign the to_be_signed bytes with its key. */
CMS_FN void
token_sign(int a, const uint8_t *tbs, size_t n, uint8_t *sig, size_t *siglen)
{
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pc = NULL;

	*siglen = CRYPTO_SIG_MAX;
	if (a == A_SM2) {
		pc = EVP_PKEY_CTX_new_from_pkey(NULL, P.key[a], NULL);
		ck_assert_int_gt(EVP_PKEY_CTX_set1_id(pc, CRYPTO_SM2_ID, 16), 0);
		EVP_MD_CTX_set_pkey_ctx(m, pc);
		ck_assert_int_eq(EVP_DigestSignInit(m, NULL, EVP_sm3(), NULL, P.key[a]), 1);
	} else {
		ck_assert_int_eq(EVP_DigestSignInit(m, NULL, EVP_sha256(), NULL, P.key[a]), 1);
	}
	ck_assert_int_eq(EVP_DigestSign(m, sig, siglen, tbs, n), 1);
	EVP_MD_CTX_free(m);
	EVP_PKEY_CTX_free(pc);
}

/* A checked timestamp token over sig from the built-in TSA. */
CMS_FN void
stamp(const uint8_t *sig, size_t siglen, uint64_t serial, uint8_t **tok, size_t *toklen)
{
	struct sp_errinfo ei;
	uint8_t *q, *resp;
	size_t qlen, rlen;
	time_t gt;

	sp_errinfo_init(&ei);
	ck_assert_int_eq(crypto_ts_query_new(sig, siglen, NULL, &q, &qlen, &ei), SP_OK);
	ck_assert_int_eq(crypto_tsa_respond(P.tsa, q, qlen, serial, 0, &resp, &rlen, &ei), SP_OK);
	ck_assert_int_eq(crypto_ts_response_check(resp, rlen, q, qlen, P.trust, tok, toklen, &gt,
						  &ei),
			 SP_OK);
	ck_assert_int_le(labs((long)(gt - time(NULL))), 5);
	free(q);
	free(resp);
}

CMS_FN void
content_digest(int a, const char *content, uint8_t *d, size_t *n)
{
	struct sp_errinfo ei;

	sp_errinfo_init(&ei);
	ck_assert_int_eq(crypto_digest(crypto_sigalg_digest(algs[a]), content, strlen(content), d,
				       n, &ei),
			 SP_OK);
}

/* Adds the tests of test_crypto_cms_assemble.c to tc. */
void cms_assemble_add(TCase *tc);

#endif
