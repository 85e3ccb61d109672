/*
 * test_verify_ts.c: the verification engine's check of an RFC 3161 token
 * (crypto/verify_cms.c ts_check) on tokens made here with OpenSSL's TS API,
 * so that the TSA certificate and the stamping time are the test's choice:
 * a token is judged at its own genTime, against the TSA roots and the
 * trust's intermediates, whatever the clock says today.
 */
#include <check.h>
#include <openssl/ts.h>
#include <openssl/x509v3.h>

#include "test_verify_corpus.h"
#include "support_x509.h"

#define DAY 86400L

static struct crypto_trust *trust;
static X509 *ca, *inter;
static EVP_PKEY *ca_key, *inter_key, *tsa_key;
static int forge; /* token(): one bit of the signature value flipped */

/* A certificate for key by issuer, valid from `from` to `to` seconds from now. */
static X509 *
make_cert(X509 *issuer, EVP_PKEY *ikey, EVP_PKEY *key, const char *cn, long serial, int is_ca,
	  long from, long to)
{
	X509 *x = X509_new();
	X509_NAME *n = X509_NAME_new();

	if (issuer == NULL) { /* self-signed */
		issuer = x;
		ikey = key;
	}
	X509_set_version(x, X509_VERSION_3);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0);
	X509_set_subject_name(x, n);
	X509_set_issuer_name(x, issuer == x ? n : X509_get_subject_name(issuer));
	X509_NAME_free(n);
	X509_gmtime_adj(X509_getm_notBefore(x), from);
	X509_gmtime_adj(X509_getm_notAfter(x), to);
	X509_set_pubkey(x, key);
	test_x509_ext_add(x, issuer, NID_subject_key_identifier, "hash");
	test_x509_ext_add(x, issuer, NID_authority_key_identifier, "keyid");
	test_x509_ext_add(x, issuer, NID_basic_constraints,
			  is_ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
	test_x509_ext_add(x, issuer, NID_key_usage,
			  is_ca ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature");
	if (!is_ca)
		test_x509_ext_add(x, issuer, NID_ext_key_usage, "critical,timeStamping");
	ck_assert_int_gt(X509_sign(x, ikey, EVP_sha256()), 0);
	return x;
}

static void
setup(void)
{
	const char *roots[1], *inters[1];
	struct sp_errinfo ei;
	FILE *f;

	ck_assert_ptr_nonnull(trust = vc_pki_trust());
	crypto_trust_free(trust);
	/* a root of its own: the corpus's starts today, these tokens are older */
	ca_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	ca = make_cert(NULL, NULL, ca_key, "verify test TSA root", 1, 1, -30 * DAY, 30 * DAY);
	ck_assert_ptr_nonnull(f = fopen(vc_path("ts_root.pem"), "w"));
	ck_assert_int_eq(PEM_write_X509(f, ca), 1);
	fclose(f);
	inter_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	tsa_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	inter = make_cert(ca, ca_key, inter_key, "verify test TSA CA", 40, 1, -20 * DAY, 20 * DAY);
	ck_assert_ptr_nonnull(f = fopen(vc_path("inter.pem"), "w"));
	ck_assert_int_eq(PEM_write_X509(f, inter), 1);
	fclose(f);
	/* the root, and the intermediate as the operator configures it (not in any token) */
	roots[0] = vc_path("ts_root.pem");
	inters[0] = vc_path("inter.pem");
	sp_errinfo_init(&ei);
	ck_assert_int_eq(crypto_trust_new(roots, 1, inters, 1, NULL, 0, NULL, &trust, &ei), SP_OK);
}

static void
teardown(void)
{
	crypto_trust_free(trust);
	X509_free(ca);
	X509_free(inter);
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(inter_key);
	EVP_PKEY_free(tsa_key);
	vc_pki_free();
}

static int
at_cb(TS_RESP_CTX *ctx, void *data, long *sec, long *usec)
{
	(void)ctx;
	*sec = (long)*(const time_t *)data;
	*usec = 0;
	return 1;
}

/* A TimeStampToken by tsa (its certificate alone in the token) over sha256, stamped at `at`. */
static uint8_t *
token(X509 *tsa, time_t at, const uint8_t sha256[32], size_t *len)
{
	struct sp_errinfo ei;
	uint8_t *q = NULL, *out;
	unsigned char *der = NULL;
	size_t qlen = 0;
	TS_RESP_CTX *ctx = TS_RESP_CTX_new();
	ASN1_OBJECT *policy = OBJ_txt2obj("1.3.6.1.4.1.99999.2", 1);
	TS_RESP *rsp;
	BIO *in;
	int n;

	sp_errinfo_init(&ei);
	ck_assert_int_eq(crypto_ts_query_new_digest(sha256, NULL, &q, &qlen, &ei), SP_OK);
	ck_assert_ptr_nonnull(in = BIO_new_mem_buf(q, (int)qlen));
	ck_assert_int_eq(TS_RESP_CTX_set_signer_cert(ctx, tsa), 1);
	ck_assert_int_eq(TS_RESP_CTX_set_signer_key(ctx, tsa_key), 1);
	ck_assert_int_eq(TS_RESP_CTX_set_def_policy(ctx, policy), 1);
	ck_assert_int_eq(TS_RESP_CTX_set_signer_digest(ctx, EVP_sha256()), 1);
	ck_assert_int_eq(TS_RESP_CTX_set_ess_cert_id_digest(ctx, EVP_sha256()), 1);
	ck_assert_int_eq(TS_RESP_CTX_add_md(ctx, EVP_sha256()), 1);
	TS_RESP_CTX_set_time_cb(ctx, at_cb, &at);
	ck_assert_ptr_nonnull(rsp = TS_RESP_create_response(ctx, in));
	ck_assert_int_eq(ASN1_INTEGER_get(TS_STATUS_INFO_get0_status(TS_RESP_get_status_info(rsp))),
			 TS_STATUS_GRANTED);
	if (forge) {
		ASN1_OCTET_STRING *v =
			sk_PKCS7_SIGNER_INFO_value(PKCS7_get_signer_info(TS_RESP_get_token(rsp)), 0)
				->enc_digest;
		v->data[v->length - 1] ^= 1;
	}
	ck_assert_int_gt(n = i2d_PKCS7(TS_RESP_get_token(rsp), &der), 0);
	ck_assert_ptr_nonnull(out = malloc((size_t)n));
	memcpy(out, der, (size_t)n);
	*len = (size_t)n;
	OPENSSL_free(der);
	TS_RESP_free(rsp);
	TS_RESP_CTX_free(ctx);
	ASN1_OBJECT_free(policy);
	BIO_free(in);
	free(q);
	return out;
}

/* The corpus's document timestamp with its token replaced by tsa's, stamped at `at`. */
static unsigned char *
doc_stamped_by(X509 *tsa, time_t at, size_t *n)
{
	unsigned char *d = vc_doc_timestamp(n), h[32], *tok;
	const char *br = memmem(d, *n, "/ByteRange [", 12);
	size_t a, b, c, e, toklen, i;
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	unsigned int hl = 0;

	ck_assert_ptr_nonnull(br);
	ck_assert_int_eq(sscanf(br + 12, "%zu %zu %zu %zu", &a, &b, &c, &e), 4);
	ck_assert(a == 0 && c + e == *n && d[b] == '<' && d[c - 1] == '>');
	ck_assert(EVP_DigestInit_ex(m, EVP_sha256(), NULL) && EVP_DigestUpdate(m, d, b) &&
		  EVP_DigestUpdate(m, d + c, e) && EVP_DigestFinal_ex(m, h, &hl) && hl == 32);
	EVP_MD_CTX_free(m);
	tok = token(tsa, at, h, &toklen);
	ck_assert_uint_le(2 * toklen, c - b - 2);
	memset(d + b + 1, '0', c - b - 2);
	for (i = 0; i < toklen; i++)
		snprintf((char *)d + b + 1 + 2 * i, 3, "%02X", tok[i]);
	d[b + 1 + 2 * toklen] = '0'; /* snprintf's NUL */
	free(tok);
	return d;
}

/*
 * A TSA certificate that has expired since it stamped (the normal state of
 * every timestamp older than its TSA's certificate, which a B-LTA renewal
 * exists for): the token still proves its time, judged at its genTime. It
 * was refused as ts_bad_signature (invalid) because OpenSSL's token check
 * built the chain again at today's time.
 */
START_TEST(tsa_certificate_expired_since)
{
	X509 *tsa = make_cert(ca, ca_key, tsa_key, "expired TSA", 41, 0, -10 * DAY, -1 * DAY);
	time_t at = time(NULL) - 5 * DAY;
	size_t n;
	unsigned char *d = doc_stamped_by(tsa, at, &n);
	struct crypto_verify_report *r = vc_verify(trust, d, n);

	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(r->nsigs, 1);
	ck_assert_msg(r->sigs[0].timestamp_ok == 1 && r->sigs[0].verdict == CRYPTO_VERDICT_VALID,
		      "verdict %d: %s", r->sigs[0].verdict, r->sigs[0].message);
	ck_assert_int_eq((long long)r->sigs[0].ts_time, (long long)at);
	crypto_verify_report_free(r);
	free(d);
	/* stamped after its certificate ended: untrusted at its own time */
	d = doc_stamped_by(tsa, time(NULL) - 12 * 3600, &n);
	ck_assert_ptr_nonnull(r = vc_verify(trust, d, n));
	ck_assert_int_eq(r->sigs[0].timestamp_ok, 0);
	ck_assert_int_ne(r->sigs[0].verdict, CRYPTO_VERDICT_VALID);
	crypto_verify_report_free(r);
	free(d);
	X509_free(tsa);
}
END_TEST

/*
 * A TSA under an intermediate CA the trust is configured with and the token
 * does not carry: the chain check completes it from the trust, and so must
 * the token's signature check (it was ts_bad_signature: OpenSSL's check was
 * given the roots alone).
 */
START_TEST(tsa_under_configured_intermediate)
{
	X509 *tsa = make_cert(inter, inter_key, tsa_key, "TSA under an intermediate", 42, 0,
			      -2 * DAY, 10 * DAY);
	size_t n;
	unsigned char *d = doc_stamped_by(tsa, time(NULL) - 60, &n);
	struct crypto_verify_report *r = vc_verify(trust, d, n);

	ck_assert_ptr_nonnull(r);
	ck_assert_msg(r->sigs[0].timestamp_ok == 1 && r->sigs[0].verdict == CRYPTO_VERDICT_VALID,
		      "verdict %d: %s", r->sigs[0].verdict, r->sigs[0].message);
	crypto_verify_report_free(r);
	free(d);
	X509_free(tsa);
}
END_TEST

/* The checks that stay: another key's signature, and a TSA outside the trust. */
START_TEST(forged_and_foreign_tokens_still_refused)
{
	EVP_PKEY *okey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	X509 *tsa = make_cert(ca, ca_key, tsa_key, "the TSA", 43, 0, -2 * DAY, 10 * DAY);
	X509 *oca, *foreign;
	struct crypto_verify_report *r;
	unsigned char *d;
	size_t n;

	/* a signature value that does not verify */
	forge = 1;
	d = doc_stamped_by(tsa, time(NULL) - 60, &n);
	forge = 0;
	ck_assert_ptr_nonnull(r = vc_verify(trust, d, n));
	ck_assert_int_eq(r->sigs[0].timestamp_ok, 0);
	ck_assert_int_eq(r->sigs[0].verdict, CRYPTO_VERDICT_INVALID);
	crypto_verify_report_free(r);
	free(d);
	/* a self-made CA of the same name as the real root: not trusted */
	oca = X509_dup(ca);
	ck_assert_int_gt(X509_sign(oca, okey, EVP_sha256()), 0);
	foreign = make_cert(oca, okey, tsa_key, "foreign TSA", 45, 0, -2 * DAY, 10 * DAY);
	d = doc_stamped_by(foreign, time(NULL) - 60, &n);
	ck_assert_ptr_nonnull(r = vc_verify(trust, d, n));
	ck_assert_int_eq(r->sigs[0].timestamp_ok, 0);
	ck_assert_int_ne(r->sigs[0].verdict, CRYPTO_VERDICT_VALID);
	crypto_verify_report_free(r);
	free(d);
	X509_free(foreign);
	X509_free(oca);
	X509_free(tsa);
	EVP_PKEY_free(okey);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("verify_ts");
	TCase *tc = tcase_create("ts");

	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_add_test(tc, tsa_certificate_expired_since);
	tcase_add_test(tc, tsa_under_configured_intermediate);
	tcase_add_test(tc, forged_and_foreign_tokens_still_refused);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(suite());
	int nf;

	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? 0 : 1;
}
