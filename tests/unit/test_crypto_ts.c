/*
 * test_crypto_ts.c: the built-in RFC 3161 TSA, the client's query and the
 * checks every token passes before it is embedded, judged also by
 * `openssl ts -verify`. The HTTP client is in test_crypto_ts_fetch.c.
 */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ts.h>
#include <openssl/x509v3.h>

#include "crypto.h"
#include "support_tmp.h"
#include "support_x509.h"

#define POLICY "1.3.6.1.4.1.99999.7"

static struct {
	char dir[64];
	EVP_PKEY *ca_key, *tsa_key, *other_key;
	X509 *ca, *tsa_cert, *tsa_noncrit, *tsa_mixed, *other_ca, *other_tsa, *plain;
	struct crypto_tsa *tsa, *other;
	X509_STORE *trust;
} P;

/* A certificate for key by issuer (NULL: a self-signed CA), EKU as given. */
static X509 *
make_cert(X509 *issuer, EVP_PKEY *ikey, EVP_PKEY *key, const char *cn, long serial, const char *eku)
{
	X509 *x = X509_new();
	X509_NAME *n = X509_NAME_new();
	int ca = issuer == NULL;

	X509_set_version(x, X509_VERSION_3);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0);
	X509_set_subject_name(x, n);
	X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : n);
	X509_NAME_free(n);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 30 * 86400);
	X509_set_pubkey(x, key);
	if (ca) {
		issuer = x;
		ikey = key;
	}
	test_x509_ext_add(x, issuer, NID_subject_key_identifier, "hash");
	test_x509_ext_add(x, issuer, NID_authority_key_identifier, "keyid");
	test_x509_ext_add(x, issuer, NID_basic_constraints,
			  ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
	test_x509_ext_add(x, issuer, NID_key_usage,
			  ca ? "critical,keyCertSign,cRLSign"
			     : "critical,digitalSignature,nonRepudiation");
	if (eku != NULL)
		test_x509_ext_add(x, issuer, NID_ext_key_usage, eku);
	ck_assert_int_gt(X509_sign(x, ikey, EVP_sha256()), 0);
	return x;
}

static void
path_of(char *out, size_t n, const char *name)
{
	snprintf(out, n, "%s/%s", P.dir, name);
}

static void
write_pem(const char *name, X509 *x, EVP_PKEY *k)
{
	char path[128];
	FILE *f;

	path_of(path, sizeof(path), name);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	if (x != NULL)
		ck_assert_int_eq(PEM_write_X509(f, x), 1);
	else
		ck_assert_int_eq(PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL), 1);
	fclose(f);
}

static void
write_bin(const char *name, const void *p, size_t n)
{
	char path[128];
	FILE *f;

	path_of(path, sizeof(path), name);
	ck_assert_ptr_nonnull(f = fopen(path, "wb"));
	ck_assert_uint_eq(fwrite(p, 1, n, f), n);
	fclose(f);
}

static int
sh(const char *cmd)
{
	char line[1024];

	snprintf(line, sizeof(line), "cd '%s' && %s >>log.txt 2>&1", P.dir, cmd);
	return system(line);
}

static struct crypto_tsa *
tsa_open(const char *cert, const char *key, struct sp_errinfo *ei)
{
	char c[128], k[128];
	/* A non-NULL sentinel: a failure must reset the output. */
	struct crypto_tsa *t = (struct crypto_tsa *)&t;

	path_of(c, sizeof(c), cert);
	path_of(k, sizeof(k), key);
	sp_errinfo_init(ei);
	if (crypto_tsa_new(c, k, NULL, POLICY, 1500, &t, ei) != SP_OK)
		ck_assert_ptr_null(t);
	return t;
}

static void
pki_setup(void)
{
	struct sp_errinfo ei;

	/* (the paths made from it are sized for a short one: say so, not truncate) */
	ck_assert_uint_lt((size_t)snprintf(P.dir, sizeof(P.dir), "%s", test_tmpdir_new("ts")),
			  sizeof(P.dir));
	P.ca_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	P.tsa_key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	P.other_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	P.ca = make_cert(NULL, NULL, P.ca_key, "ts test root", 1, NULL);
	P.tsa_cert =
		make_cert(P.ca, P.ca_key, P.tsa_key, "ts test TSA", 2, "critical,timeStamping");
	P.tsa_noncrit = make_cert(P.ca, P.ca_key, P.tsa_key, "non-critical", 3, "timeStamping");
	P.tsa_mixed = make_cert(P.ca, P.ca_key, P.tsa_key, "mixed", 4,
				"critical,timeStamping,codeSigning");
	P.plain = make_cert(P.ca, P.ca_key, P.tsa_key, "plain", 5, NULL);
	P.other_ca = make_cert(NULL, NULL, P.other_key, "other root", 1, NULL);
	P.other_tsa = make_cert(P.other_ca, P.other_key, P.tsa_key, "other TSA", 2,
				"critical,timeStamping");
	write_pem("ca.pem", P.ca, NULL);
	write_pem("tsa.pem", P.tsa_cert, NULL);
	write_pem("noncrit.pem", P.tsa_noncrit, NULL);
	write_pem("mixed.pem", P.tsa_mixed, NULL);
	write_pem("other_ca.pem", P.other_ca, NULL);
	write_pem("other_tsa.pem", P.other_tsa, NULL);
	write_pem("tsa.key", NULL, P.tsa_key);
	write_pem("ca.key", NULL, P.ca_key);
	ck_assert_ptr_nonnull(P.tsa = tsa_open("tsa.pem", "tsa.key", &ei));
	ck_assert_ptr_nonnull(P.other = tsa_open("other_tsa.pem", "tsa.key", &ei));
	P.trust = X509_STORE_new();
	X509_STORE_add_cert(P.trust, P.ca);
}

static void
pki_teardown(void)
{
	char cmd[128];

	crypto_tsa_free(P.tsa);
	crypto_tsa_free(P.other);
	X509_STORE_free(P.trust);
	X509_free(P.ca);
	X509_free(P.tsa_cert);
	X509_free(P.tsa_noncrit);
	X509_free(P.tsa_mixed);
	X509_free(P.plain);
	X509_free(P.other_ca);
	X509_free(P.other_tsa);
	EVP_PKEY_free(P.ca_key);
	EVP_PKEY_free(P.tsa_key);
	EVP_PKEY_free(P.other_key);
	if (getenv("SEALPACT_TEST_KEEP_TMP") != NULL) {
		fprintf(stderr, "kept %s\n", P.dir);
		return;
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", P.dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", P.dir);
}

/* One query over what, answered by tsa. */
struct exchange {
	uint8_t *q, *resp;
	size_t qlen, rlen;
	uint64_t nonce;
};

static void
exchange_run(struct crypto_tsa *tsa, const char *what, uint64_t serial, time_t now,
	     struct exchange *x)
{
	struct sp_errinfo ei;

	sp_errinfo_init(&ei);
	ck_assert_int_eq(crypto_ts_query_new((const uint8_t *)what, strlen(what), &x->nonce, &x->q,
					     &x->qlen, &ei),
			 SP_OK);
	ck_assert_int_eq(crypto_tsa_respond(tsa, x->q, x->qlen, serial, now, &x->resp, &x->rlen,
					    &ei),
			 SP_OK);
}

static void
exchange_free(struct exchange *x)
{
	free(x->q);
	free(x->resp);
}

/* crypto_ts_response_check's code; its reason (or "") in reason. */
static int
check(const uint8_t *resp, size_t rlen, const uint8_t *q, size_t qlen, X509_STORE *trust,
      char *reason)
{
	struct sp_errinfo ei;
	uint8_t *tok = (uint8_t *)"x";
	size_t toklen = 1;
	time_t gt = 1;
	int r;

	sp_errinfo_init(&ei);
	r = crypto_ts_response_check(resp, rlen, q, qlen, trust, &tok, &toklen, &gt, &ei);
	strcpy(reason, ei.reason);
	if (r != SP_OK) {
		ck_assert_ptr_null(tok);
		ck_assert_uint_eq(toklen, 0);
		ck_assert_int_eq(gt, 0);
	}
	free(tok);
	return r;
}

START_TEST(tsa_new_checks_its_certificate)
{
	struct sp_errinfo ei;
	struct crypto_tsa *t;
	struct exchange x;
	const unsigned char *p;
	TS_RESP *rsp;
	char c[128], k[128], ch[128];

	ck_assert_ptr_null(tsa_open("noncrit.pem", "tsa.key", &ei));
	ck_assert_int_eq(ei.code, SP_ERR_CONFIG);
	ck_assert_str_eq(ei.reason, "ts_bad_eku");
	ck_assert_ptr_nonnull(strstr(ei.msg, "critical"));
	ck_assert_ptr_null(tsa_open("mixed.pem", "tsa.key", &ei));
	ck_assert_str_eq(ei.reason, "ts_bad_eku");
	ck_assert_ptr_nonnull(strstr(ei.msg, "timeStamping only"));
	ck_assert_ptr_null(tsa_open("ca.pem", "ca.key", &ei));
	ck_assert_str_eq(ei.reason, "ts_bad_eku");
	ck_assert_ptr_null(tsa_open("tsa.pem", "ca.key", &ei));
	ck_assert_ptr_nonnull(strstr(ei.msg, "does not match"));
	ck_assert_ptr_null(tsa_open("tsa.pem", "nonexistent.key", &ei));
	ck_assert_int_eq(ei.code, SP_ERR_IO);
	ck_assert_ptr_null(tsa_open("tsa.key", "tsa.key", &ei));
	ck_assert_ptr_nonnull(strstr(ei.msg, "not a PEM certificate"));

	path_of(c, sizeof(c), "tsa.pem");
	path_of(k, sizeof(k), "tsa.key");
	sp_errinfo_init(&ei);
	ck_assert_int_eq(crypto_tsa_new(c, k, NULL, "not.an.oid", 1000, &t, &ei), SP_ERR_CONFIG);
	ck_assert_ptr_nonnull(strstr(ei.msg, "not a dotted OID"));
	sp_errinfo_init(&ei);
	ck_assert_int_eq(crypto_tsa_new(c, k, NULL, "sha256", 1000, &t, &ei), SP_ERR_CONFIG);
	sp_errinfo_init(&ei);
	ck_assert_int_eq(crypto_tsa_new(c, k, NULL, POLICY, 0, &t, &ei), SP_ERR_CONFIG);
	sp_errinfo_init(&ei);
	ck_assert_int_eq(crypto_tsa_new(c, k, k, POLICY, 10, &t, &ei), SP_ERR_CONFIG);
	ck_assert_ptr_null(t);
	/* A chain file is loaded and its certificates served with the token. */
	path_of(ch, sizeof(ch), "ca.pem");
	sp_errinfo_init(&ei);
	ck_assert_int_eq(crypto_tsa_new(c, k, ch, POLICY, 10, &t, &ei), SP_OK);
	ck_assert_int_eq(X509_cmp(crypto_tsa_get0_cert(t), P.tsa_cert), 0);
	exchange_run(t, "chain", 1, 0, &x);
	p = x.resp;
	ck_assert_ptr_nonnull(rsp = d2i_TS_RESP(NULL, &p, (long)x.rlen));
	ck_assert_int_eq(sk_X509_num(TS_RESP_get_token(rsp)->d.sign->cert), 2);
	TS_RESP_free(rsp);
	exchange_free(&x);
	crypto_tsa_free(t);
	crypto_tsa_free(NULL);

	/* Past the end of its certificate the TSA refuses to answer at all. */
	sp_errinfo_init(&ei);
	ck_assert_int_eq(crypto_tsa_respond(P.tsa, (const uint8_t *)"q", 1, 1,
					    time(NULL) + 60L * 86400, &x.resp, &x.rlen, &ei),
			 SP_ERR_EXPIRED);
	ck_assert_ptr_null(x.resp);
}
END_TEST

START_TEST(token_fields_and_openssl_verify)
{
	struct exchange x;
	const unsigned char *p;
	TS_RESP *rsp;
	TS_TST_INFO *info;
	const TS_ACCURACY *acc;
	ASN1_OBJECT *pol;
	PKCS7_SIGNER_INFO *si;
	char reason[64];
	const uint64_t serial = UINT64_C(0xfedcba9876543210);
	const time_t now = time(NULL) - 30;
	struct tm tm;
	uint64_t v;
	uint8_t *tok;
	size_t toklen;
	time_t gt;
	struct sp_errinfo ei;

	exchange_run(P.tsa, "the signature value", serial, now, &x);
	p = x.resp;
	ck_assert_ptr_nonnull(rsp = d2i_TS_RESP(NULL, &p, (long)x.rlen));
	ck_assert_int_eq(ASN1_INTEGER_get(TS_STATUS_INFO_get0_status(TS_RESP_get_status_info(rsp))),
			 TS_STATUS_GRANTED);
	info = TS_RESP_get_tst_info(rsp);
	/* The serial appears as given, the nonce is echoed, policy and accuracy set. */
	ck_assert_int_eq(ASN1_INTEGER_get_uint64(&v, TS_TST_INFO_get_serial(info)), 1);
	ck_assert(v == serial);
	ck_assert_int_eq(ASN1_INTEGER_get_uint64(&v, TS_TST_INFO_get_nonce(info)), 1);
	ck_assert(v == x.nonce);
	pol = OBJ_txt2obj(POLICY, 1);
	ck_assert_int_eq(OBJ_cmp(TS_TST_INFO_get_policy_id(info), pol), 0);
	ASN1_OBJECT_free(pol);
	acc = TS_TST_INFO_get_accuracy(info);
	ck_assert_ptr_nonnull(acc);
	ck_assert_int_eq(ASN1_INTEGER_get(TS_ACCURACY_get_seconds(acc)), 1);
	ck_assert_int_eq(ASN1_INTEGER_get(TS_ACCURACY_get_millis(acc)), 500);
	ck_assert_int_eq(ASN1_TIME_to_tm(TS_TST_INFO_get_time(info), &tm), 1);
	ck_assert_int_eq(timegm(&tm), now);
	/* ESS signing-certificate-v2 (SHA-256) in the token's signer info. */
	si = sk_PKCS7_SIGNER_INFO_value(PKCS7_get_signer_info(TS_RESP_get_token(rsp)), 0);
	ck_assert_ptr_nonnull(PKCS7_get_signed_attribute(si, NID_id_smime_aa_signingCertificateV2));
	ck_assert_ptr_null(PKCS7_get_signed_attribute(si, NID_id_smime_aa_signingCertificate));
	TS_RESP_free(rsp);

	ck_assert_int_eq(check(x.resp, x.rlen, x.q, x.qlen, P.trust, reason), SP_OK);
	sp_errinfo_init(&ei);
	ck_assert_int_eq(crypto_ts_response_check(x.resp, x.rlen, x.q, x.qlen, P.trust, &tok,
						  &toklen, &gt, &ei),
			 SP_OK);
	ck_assert_int_eq(gt, now);
	write_bin("what.bin", "the signature value", strlen("the signature value"));
	write_bin("resp.der", x.resp, x.rlen);
	write_bin("token.der", tok, toklen);
	write_bin("query.der", x.q, x.qlen);
	/* OpenSSL's own verifier, on the response and on the bare token. */
	ck_assert_int_eq(sh("openssl ts -verify -data what.bin -in resp.der -CAfile ca.pem"), 0);
	ck_assert_int_eq(sh("openssl ts -verify -queryfile query.der -in token.der -token_in "
			    "-CAfile ca.pem"),
			 0);
	ck_assert_int_ne(sh("openssl ts -verify -data what.bin -in resp.der -CAfile other_ca.pem"),
			 0);
	free(tok);
	exchange_free(&x);
}
END_TEST

/*
 * A token answers a query just sent: its genTime is now, within the clocks'
 * difference and the request's time (a minute at most, the TSA timeout two).
 * The time is what the signature is judged at -- a certificate revoked or
 * expired since then still passes -- so a TSA whose clock lags (or that
 * backdates) half an hour is refused, and so is one half an hour ahead.
 */
START_TEST(token_of_another_time_is_refused)
{
	static const long off[] = { -1800, 1800, -200 };
	struct exchange x;
	char reason[64];

	exchange_run(P.tsa, "the signature value", 77 + (uint64_t)_i, time(NULL) + off[_i], &x);
	if (off[_i] == -200) {
		ck_assert_int_eq(check(x.resp, x.rlen, x.q, x.qlen, P.trust, reason), SP_OK);
	} else {
		ck_assert_int_eq(check(x.resp, x.rlen, x.q, x.qlen, P.trust, reason),
				 SP_ERR_CRYPTO);
		ck_assert_str_eq(reason, "ts_time_implausible");
	}
	exchange_free(&x);
}
END_TEST

/*
 * crypto_tsa_token: the granted token straight from the TSA's objects is
 * what the response carries (OpenSSL's verifier accepts it against the
 * query: imprint, nonce, chain, signature), with the serial and genTime
 * asked for; a query it rejects is an error, not a token.
 */
START_TEST(direct_token_is_the_granted_one)
{
	struct sp_errinfo ei;
	uint8_t *q = NULL, *tok = (uint8_t *)"x";
	size_t qlen = 0, toklen = 1;
	const uint64_t serial = 4711;
	const time_t now = time(NULL) - 10;
	time_t gt = 1;
	const unsigned char *p;
	PKCS7 *p7;
	TS_TST_INFO *info;
	uint64_t v;

	sp_errinfo_init(&ei);
	ck_assert_int_eq(crypto_ts_query_new((const uint8_t *)"direct", 6, NULL, &q, &qlen, &ei),
			 SP_OK);
	ck_assert_msg(crypto_tsa_token(P.tsa, q, qlen, serial, now, &tok, &toklen, &gt, &ei) ==
			      SP_OK,
		      "%s", ei.msg);
	ck_assert_int_eq(gt, now);
	p = tok;
	ck_assert_ptr_nonnull(p7 = d2i_PKCS7(NULL, &p, (long)toklen));
	ck_assert(p == tok + toklen);
	ck_assert_ptr_nonnull(info = PKCS7_to_TS_TST_INFO(p7));
	ck_assert_int_eq(ASN1_INTEGER_get_uint64(&v, TS_TST_INFO_get_serial(info)), 1);
	ck_assert(v == serial);
	TS_TST_INFO_free(info);
	PKCS7_free(p7);
	write_bin("direct_query.der", q, qlen);
	write_bin("direct_token.der", tok, toklen);
	ck_assert_int_eq(sh("openssl ts -verify -queryfile direct_query.der -in direct_token.der "
			    "-token_in -CAfile ca.pem"),
			 0);
	ck_assert_int_ne(sh("openssl ts -verify -queryfile direct_query.der -in direct_token.der "
			    "-token_in -CAfile other_ca.pem"),
			 0);
	free(tok);
	/* a query the TSA rejects: no token */
	tok = (uint8_t *)"x";
	toklen = 1;
	gt = 1;
	ck_assert_int_eq(crypto_tsa_token(P.tsa, (const uint8_t *)"junk", 4, serial + 1, now, &tok,
					  &toklen, &gt, &ei),
			 SP_ERR_CRYPTO);
	ck_assert_str_eq(ei.reason, "ts_rejected");
	ck_assert_ptr_null(tok);
	ck_assert_uint_eq(toklen, 0);
	ck_assert_int_eq(gt, 0);
	free(q);
}
END_TEST

static long
resp_status(const uint8_t *resp, size_t rlen, int failure_bit)
{
	const unsigned char *p = resp;
	TS_RESP *rsp = d2i_TS_RESP(NULL, &p, (long)rlen);
	const ASN1_BIT_STRING *fi;
	long st;

	ck_assert_ptr_nonnull(rsp);
	st = ASN1_INTEGER_get(TS_STATUS_INFO_get0_status(TS_RESP_get_status_info(rsp)));
	fi = TS_STATUS_INFO_get0_failure_info(TS_RESP_get_status_info(rsp));
	ck_assert_ptr_null(TS_RESP_get_token(rsp));
	ck_assert_int_eq(fi != NULL && ASN1_BIT_STRING_get_bit(fi, failure_bit), 1);
	TS_RESP_free(rsp);
	return st;
}

START_TEST(bad_queries_get_rejections)
{
	struct sp_errinfo ei;
	struct exchange x;
	uint8_t *resp, *big, *q;
	size_t rlen, qlen;
	char reason[64];
	TS_REQ *req;
	TS_MSG_IMPRINT *mi;
	X509_ALGOR *algo;
	unsigned char *obuf = NULL;
	int n;

	/* Garbage, and an otherwise valid query past the size cap. */
	sp_errinfo_init(&ei);
	ck_assert_int_eq(crypto_tsa_respond(P.tsa, (const uint8_t *)"hello", 5, 7, 0, &resp, &rlen,
					    &ei),
			 SP_OK);
	ck_assert_int_eq(resp_status(resp, rlen, TS_INFO_BAD_DATA_FORMAT), TS_STATUS_REJECTION);
	exchange_run(P.tsa, "x", 8, 0, &x);
	ck_assert_int_eq(check(resp, rlen, x.q, x.qlen, P.trust, reason), SP_ERR_CRYPTO);
	ck_assert_str_eq(reason, "ts_rejected");
	free(resp);
	big = calloc(1, CRYPTO_TS_QUERY_MAX + 1);
	memcpy(big, x.q, x.qlen);
	ck_assert_int_eq(crypto_tsa_respond(P.tsa, big, CRYPTO_TS_QUERY_MAX + 1, 9, 0, &resp, &rlen,
					    &ei),
			 SP_OK);
	ck_assert_int_eq(resp_status(resp, rlen, TS_INFO_BAD_DATA_FORMAT), TS_STATUS_REJECTION);
	free(resp);
	free(big);
	ck_assert_int_eq(crypto_tsa_respond(P.tsa, NULL, 0, 9, 0, &resp, &rlen, &ei), SP_OK);
	ck_assert_int_eq(resp_status(resp, rlen, TS_INFO_BAD_DATA_FORMAT), TS_STATUS_REJECTION);
	free(resp);

	/* A well-formed query with an imprint algorithm the TSA refuses (MD5). */
	req = TS_REQ_new();
	mi = TS_MSG_IMPRINT_new();
	algo = X509_ALGOR_new();
	X509_ALGOR_set0(algo, OBJ_nid2obj(NID_md5), V_ASN1_NULL, NULL);
	TS_MSG_IMPRINT_set_algo(mi, algo);
	TS_MSG_IMPRINT_set_msg(mi, (unsigned char *)"0123456789abcdef", 16);
	TS_REQ_set_version(req, 1);
	TS_REQ_set_msg_imprint(req, mi);
	n = i2d_TS_REQ(req, &obuf);
	ck_assert_int_gt(n, 0);
	q = obuf;
	qlen = (size_t)n;
	ck_assert_int_eq(crypto_tsa_respond(P.tsa, q, qlen, 10, 0, &resp, &rlen, &ei), SP_OK);
	ck_assert_int_eq(resp_status(resp, rlen, TS_INFO_BAD_ALG), TS_STATUS_REJECTION);
	ck_assert_int_eq(check(resp, rlen, q, qlen, NULL, reason), SP_ERR_CRYPTO);
	ck_assert_str_eq(reason, "ts_rejected");
	free(resp);
	OPENSSL_free(obuf);
	X509_ALGOR_free(algo);
	TS_MSG_IMPRINT_free(mi);
	TS_REQ_free(req);
	exchange_free(&x);
	/* Nothing of the failed parses is left on this thread's error queue. */
	ck_assert_uint_eq(ERR_peek_error(), 0);
}
END_TEST

/* Re-sign the TSTInfo of a good response with cert/key, via CMS, with or without ESS. */
static uint8_t *
forge(const struct exchange *x, X509 *cert, EVP_PKEY *key, size_t *outlen)
{
	const unsigned char *p = x->resp;
	TS_RESP *rsp = d2i_TS_RESP(NULL, &p, (long)x->rlen);
	TS_TST_INFO *info = TS_TST_INFO_dup(TS_RESP_get_tst_info(rsp));
	unsigned char *der = NULL, *cmsder = NULL, *out = NULL;
	int n, m;
	BIO *b;
	CMS_ContentInfo *cms;
	PKCS7 *p7;

	n = i2d_TS_TST_INFO(info, &der);
	b = BIO_new_mem_buf(der, n);
	cms = CMS_sign(cert, key, NULL, NULL, CMS_BINARY | CMS_PARTIAL | CMS_NOSMIMECAP);
	ck_assert_ptr_nonnull(cms);
	ck_assert_int_eq(CMS_set1_eContentType(cms, OBJ_nid2obj(NID_id_smime_ct_TSTInfo)), 1);
	ck_assert_int_eq(CMS_final(cms, b, NULL, CMS_BINARY), 1);
	m = i2d_CMS_ContentInfo(cms, &cmsder);
	p = cmsder;
	ck_assert_ptr_nonnull(p7 = d2i_PKCS7(NULL, &p, m));
	TS_RESP_set_tst_info(rsp, p7, info); /* takes both */
	m = i2d_TS_RESP(rsp, &out);
	*outlen = (size_t)m;
	OPENSSL_free(cmsder);
	OPENSSL_free(der);
	CMS_ContentInfo_free(cms);
	BIO_free(b);
	TS_RESP_free(rsp);
	return out;
}

/* A token of the exchange's response (its TimeStampToken), checked against the test root. */
static void
token_of(const struct exchange *x, uint8_t **tok, size_t *toklen)
{
	struct sp_errinfo ei;
	time_t gt;

	sp_errinfo_init(&ei);
	ck_assert_int_eq(crypto_ts_response_check(x->resp, x->rlen, x->q, x->qlen, P.trust, tok,
						  toklen, &gt, &ei),
			 SP_OK);
}

/*
 * Until when a token proves its time (the archive renewal is scheduled from
 * it): the TSA certificate's end, or the end of 2030 for an RSA-2048 TSA
 * whose certificate lives longer (112 bits of strength, NIST SP 800-57).
 */
START_TEST(token_proves_until_cert_end_or_algorithm_sunset)
{
	struct exchange x;
	struct crypto_tsa *lt;
	ASN1_TIME *at;
	X509 *longc;
	uint8_t *tok;
	size_t toklen;
	time_t until;
	struct sp_errinfo ei;

	exchange_run(P.tsa, "short-lived TSA certificate", 1, 0, &x);
	token_of(&x, &tok, &toklen);
	sp_errinfo_init(&ei);
	ck_assert_int_eq(crypto_ts_token_tsa_expiry(NULL, tok, toklen, &until, &ei), SP_OK);
	ck_assert_ptr_nonnull(at = ASN1_TIME_set(NULL, until));
	ck_assert_int_eq(ASN1_TIME_compare(at, X509_get0_notAfter(P.tsa_cert)), 0);
	ASN1_TIME_free(at);
	free(tok);
	exchange_free(&x);

	/* the same RSA-2048 key under a certificate valid for 20 years */
	longc = make_cert(P.ca, P.ca_key, P.tsa_key, "long TSA", 9, "critical,timeStamping");
	X509_gmtime_adj(X509_getm_notAfter(longc), (long)20 * 365 * 86400);
	ck_assert_int_gt(X509_sign(longc, P.ca_key, EVP_sha256()), 0);
	write_pem("long.pem", longc, NULL);
	ck_assert_ptr_nonnull(lt = tsa_open("long.pem", "tsa.key", &ei));
	exchange_run(lt, "long-lived TSA certificate", 2, 0, &x);
	token_of(&x, &tok, &toklen);
	ck_assert_int_eq(crypto_ts_token_tsa_expiry(NULL, tok, toklen, &until, &ei), SP_OK);
	ck_assert_int_eq((long long)until, 1924991999LL); /* 2030-12-31T23:59:59Z */
	/* not a token at all */
	ck_assert_int_eq(crypto_ts_token_tsa_expiry(NULL, tok, toklen / 2, &until, &ei),
			 SP_ERR_INVALID);
	ck_assert_int_eq((long long)until, 0);
	free(tok);
	exchange_free(&x);
	crypto_tsa_free(lt);
	X509_free(longc);
}
END_TEST

START_TEST(tampered_tokens_are_refused)
{
	struct exchange a, b, o;
	char reason[64];
	uint8_t *bad, *f;
	size_t flen, i;
	/* POLICY, DER-encoded. */
	static const uint8_t policy_der[] = { 0x06, 0x09, 0x2b, 0x06, 0x01, 0x04,
					      0x01, 0x86, 0x8d, 0x1f, 0x07 };

	exchange_run(P.tsa, "signature A", 100, 0, &a);
	exchange_run(P.tsa, "signature A", 101, 0, &b);
	exchange_run(P.other, "signature A", 102, 0, &o);
	ck_assert_int_eq(check(a.resp, a.rlen, a.q, a.qlen, P.trust, reason), SP_OK);
	/* Same data, another query: only the nonce differs. */
	ck_assert_int_eq(check(a.resp, a.rlen, b.q, b.qlen, P.trust, reason), SP_ERR_CRYPTO);
	ck_assert_str_eq(reason, "ts_nonce_mismatch");
	exchange_free(&b);
	exchange_run(P.tsa, "signature B", 103, 0, &b);
	ck_assert_int_eq(check(a.resp, a.rlen, b.q, b.qlen, P.trust, reason), SP_ERR_CRYPTO);
	ck_assert_str_eq(reason, "ts_imprint_mismatch");
	/* A TSA under another root: untrusted here, fine without a store. */
	ck_assert_int_eq(check(o.resp, o.rlen, o.q, o.qlen, P.trust, reason), SP_ERR_CRYPTO);
	ck_assert_str_eq(reason, "ts_untrusted");
	ck_assert_int_eq(check(o.resp, o.rlen, o.q, o.qlen, NULL, reason), SP_OK);

	/* Not a response, or cut short. */
	ck_assert_int_eq(check(a.q, a.qlen, a.q, a.qlen, P.trust, reason), SP_ERR_CRYPTO);
	ck_assert_str_eq(reason, "ts_malformed");
	ck_assert_int_eq(check(a.resp, a.rlen - 1, a.q, a.qlen, P.trust, reason), SP_ERR_CRYPTO);
	ck_assert_str_eq(reason, "ts_malformed");

	/* One byte of the signed TSTInfo changed (the policy's last arc). */
	bad = malloc(a.rlen);
	memcpy(bad, a.resp, a.rlen);
	for (i = 0; i + sizeof(policy_der) <= a.rlen; i++)
		if (memcmp(bad + i, policy_der, sizeof(policy_der)) == 0)
			break;
	ck_assert_uint_lt(i + sizeof(policy_der), a.rlen);
	bad[i + sizeof(policy_der) - 1] = 0x08;
	ck_assert_int_eq(check(bad, a.rlen, a.q, a.qlen, P.trust, reason), SP_ERR_CRYPTO);
	ck_assert_str_eq(reason, "ts_bad_signature");
	ck_assert_int_eq(check(bad, a.rlen, a.q, a.qlen, NULL, reason), SP_ERR_CRYPTO);
	ck_assert_str_eq(reason, "ts_bad_signature");
	free(bad);

	/* Signed by a certificate without the timeStamping EKU... */
	f = forge(&a, P.plain, P.tsa_key, &flen);
	ck_assert_int_eq(check(f, flen, a.q, a.qlen, P.trust, reason), SP_ERR_CRYPTO);
	ck_assert_str_eq(reason, "ts_bad_eku");
	ck_assert_int_eq(check(f, flen, a.q, a.qlen, NULL, reason), SP_ERR_CRYPTO);
	ck_assert_str_eq(reason, "ts_bad_eku");
	OPENSSL_free(f);
	f = forge(&a, P.tsa_noncrit, P.tsa_key, &flen);
	ck_assert_int_eq(check(f, flen, a.q, a.qlen, P.trust, reason), SP_ERR_CRYPTO);
	ck_assert_str_eq(reason, "ts_bad_eku");
	OPENSSL_free(f);
	/* ...or by the right one, but without the ESS certificate id. */
	f = forge(&a, P.tsa_cert, P.tsa_key, &flen);
	ck_assert_int_eq(check(f, flen, a.q, a.qlen, P.trust, reason), SP_ERR_CRYPTO);
	ck_assert_str_eq(reason, "ts_bad_signature");
	OPENSSL_free(f);
	exchange_free(&a);
	exchange_free(&b);
	exchange_free(&o);
}
END_TEST

#define RUNS_PER_THREAD 25

static void *
respond_many(void *arg)
{
	struct sp_errinfo ei;
	uint64_t base = (uint64_t)(uintptr_t)arg * 1000, serial;
	uint8_t *q, *resp, *tok;
	size_t qlen, rlen, toklen;
	const unsigned char *p;
	TS_TST_INFO *info;
	PKCS7 *p7;
	uintptr_t good = 0;
	int i;

	for (i = 0; i < RUNS_PER_THREAD; i++) {
		sp_errinfo_init(&ei);
		if (crypto_ts_query_new((const uint8_t *)&i, sizeof(i), NULL, &q, &qlen, &ei) !=
		    SP_OK)
			continue;
		if (crypto_tsa_respond(P.tsa, q, qlen, base + (uint64_t)i, 0, &resp, &rlen, &ei) ==
			    SP_OK &&
		    crypto_ts_response_check(resp, rlen, q, qlen, P.trust, &tok, &toklen, NULL,
					     &ei) == SP_OK) {
			/* Each token carries the serial this thread gave. */
			p = tok;
			p7 = d2i_PKCS7(NULL, &p, (long)toklen);
			info = p7 != NULL ? PKCS7_to_TS_TST_INFO(p7) : NULL;
			PKCS7_free(p7);
			if (info != NULL &&
			    ASN1_INTEGER_get_uint64(&serial, TS_TST_INFO_get_serial(info)) == 1 &&
			    serial == base + (uint64_t)i)
				good++;
			TS_TST_INFO_free(info);
			free(tok);
			free(resp);
		}
		free(q);
	}
	return (void *)good;
}

START_TEST(concurrent_responds)
{
	pthread_t th[4];
	void *good;
	uintptr_t i, total = 0;

	for (i = 0; i < 4; i++)
		ck_assert_int_eq(pthread_create(&th[i], NULL, respond_many, (void *)(i + 1)), 0);
	for (i = 0; i < 4; i++) {
		ck_assert_int_eq(pthread_join(th[i], &good), 0);
		total += (uintptr_t)good;
	}
	ck_assert_uint_eq(total, 4 * RUNS_PER_THREAD);
}
END_TEST

START_TEST(query_and_serial)
{
	struct sp_errinfo ei;
	uint8_t *q, *q2;
	size_t qlen, q2len;
	uint64_t nonce, nonce2, v, s1, s2;
	time_t t0, t1;
	const unsigned char *p;
	TS_REQ *req;
	uint8_t h[CRYPTO_DIGEST_MAX];
	size_t hlen;
	ASN1_OCTET_STRING *m;
	const ASN1_OBJECT *aobj;

	sp_errinfo_init(&ei);
	ck_assert_int_eq(crypto_ts_query_new((const uint8_t *)"sig", 3, &nonce, &q, &qlen, &ei),
			 SP_OK);
	ck_assert_int_eq(crypto_ts_query_new((const uint8_t *)"sig", 3, &nonce2, &q2, &q2len, &ei),
			 SP_OK);
	ck_assert(nonce != nonce2);
	p = q;
	ck_assert_ptr_nonnull(req = d2i_TS_REQ(NULL, &p, (long)qlen));
	ck_assert_int_eq(TS_REQ_get_cert_req(req), 1);
	ck_assert_int_eq(ASN1_INTEGER_get_uint64(&v, TS_REQ_get_nonce(req)), 1);
	ck_assert(v == nonce);
	X509_ALGOR_get0(&aobj, NULL, NULL, TS_MSG_IMPRINT_get_algo(TS_REQ_get_msg_imprint(req)));
	ck_assert_int_eq(OBJ_obj2nid(aobj), NID_sha256);
	m = TS_MSG_IMPRINT_get_msg(TS_REQ_get_msg_imprint(req));
	ck_assert_int_eq(crypto_digest(CRYPTO_DIGEST_SHA256, "sig", 3, h, &hlen, &ei), SP_OK);
	ck_assert_int_eq(ASN1_STRING_length(m), (int)hlen);
	ck_assert_mem_eq(ASN1_STRING_get0_data(m), h, hlen);
	TS_REQ_free(req);
	free(q);
	free(q2);
	ck_assert_int_eq(crypto_ts_query_new(NULL, 0, &nonce, &q, &qlen, &ei), SP_ERR_INVALID);
	ck_assert_ptr_null(q);

	/* The serial's high bits are the time it was made: between the clock read
	   before and after (a second either side for rounding), however slow. */
	t0 = time(NULL);
	ck_assert_int_eq(crypto_tsa_serial_make(&s1, &ei), SP_OK);
	ck_assert_int_eq(crypto_tsa_serial_make(&s2, &ei), SP_OK);
	t1 = time(NULL);
	ck_assert(s1 != s2);
	ck_assert_int_ge((long long)(s1 >> 30), (long long)t0 - 1);
	ck_assert_int_le((long long)(s1 >> 30), (long long)t1 + 1);
}
END_TEST

static Suite *
crypto_ts_suite(void)
{
	Suite *s = suite_create("crypto_ts");
	TCase *tc = tcase_create("ts");

	tcase_add_unchecked_fixture(tc, pki_setup, pki_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, tsa_new_checks_its_certificate);
	tcase_add_test(tc, token_fields_and_openssl_verify);
	tcase_add_test(tc, direct_token_is_the_granted_one);
	tcase_add_loop_test(tc, token_of_another_time_is_refused, 0, 3);
	tcase_add_test(tc, bad_queries_get_rejections);
	tcase_add_test(tc, tampered_tokens_are_refused);
	tcase_add_test(tc, concurrent_responds);
	tcase_add_test(tc, query_and_serial);
	tcase_add_test(tc, token_proves_until_cert_end_or_algorithm_sunset);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(crypto_ts_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
