/*
 * test_crypto_evidence.c: long-term evidence decoded once
 * (crypto_evidence_decode) answers revocation as the same items decoded at
 * each use do: every CRL asked, in its order, for every certificate; an
 * item that does not decode answering nothing; an item added afterwards
 * asked too. And the evidence's certificates that are the trust's own are
 * its very objects, found without a digest of the others.
 */
#include "test_verify_ltv.h"

/* A CRL item that is not DER at all: answers nothing, whether decoded once or at each use. */
static const unsigned char not_a_crl[] = "not a CRL";

/* What ev says of who at `at`: the verdict, and which CRL answered (its index, -1: none). */
static int
says(struct crypto_evidence *ev, const char *who, struct trust_rev *rev, long *item)
{
	X509 *ca = vc_cert("ca"), *leaf = vc_cert(who);
	struct sp_errinfo ei;
	size_t i;
	int r;

	sp_errinfo_init(&ei);
	r = trust_evidence_status(trust, ev, leaf, ca, NULL, 0, rev, &ei);
	*item = -1;
	for (i = 0; r == SP_OK && i < ev->n[PDF_DSS_CRLS]; i++)
		if (rev->item == &ev->item[PDF_DSS_CRLS][i])
			*item = (long)i;
	X509_free(ca);
	X509_free(leaf);
	return r;
}

static void
add(struct crypto_evidence *ev, const unsigned char *der, size_t len)
{
	struct sp_errinfo ei;

	sp_errinfo_init(&ei);
	ck_assert_msg(crypto_evidence_add(ev, PDF_DSS_CRLS, der, len, &ei) == SP_OK, "%s", ei.msg);
}

/*
 * Three CRLs of the corpus CA in a DSS: one that does not decode, one that
 * lists nobody, one that lists the rsa signer (serial 2) as revoked an hour
 * ago. Decoded at each use and decoded once, each certificate gets the same
 * answer from the same item: rsa revoked by the third (a revoked answer
 * wins over the second's good), ec good by the second; the TSA's (serial 6)
 * too. A CRL added after the decode that revokes ec is asked as well.
 */
START_TEST(crls_decoded_once_answer_as_at_each_use)
{
	size_t nlen, rlen, elen;
	unsigned char *none = make_crl(0, 0, &nlen);
	unsigned char *rsa = make_crl(2, time(NULL) - 3600, &rlen);
	unsigned char *ec = make_crl(3, time(NULL) - 1800, &elen);
	struct crypto_evidence ev;
	struct trust_rev rev;
	long item;
	int once;

	for (once = 0; once < 2; once++) {
		memset(&ev, 0, sizeof(ev));
		add(&ev, not_a_crl, sizeof(not_a_crl));
		add(&ev, none, nlen);
		add(&ev, rsa, rlen);
		if (once)
			crypto_evidence_decode(&ev, trust);
		ck_assert_int_eq(says(&ev, "rsa", &rev, &item), SP_OK);
		ck_assert_int_eq(rev.status, CRYPTO_REV_REVOKED);
		ck_assert_int_eq(item, 2);
		ck_assert(rev.revoked_at > time(NULL) - 3700 && rev.revoked_at < time(NULL) - 3500);
		ck_assert_int_eq(says(&ev, "ec", &rev, &item), SP_OK);
		ck_assert_int_eq(rev.status, CRYPTO_REV_GOOD);
		ck_assert_int_eq(item, 1);
		ck_assert_int_eq(says(&ev, "tsa", &rev, &item), SP_OK);
		ck_assert_int_eq(rev.status, CRYPTO_REV_GOOD);
		/* added after the decode: asked like the others */
		add(&ev, ec, elen);
		ck_assert_int_eq(says(&ev, "ec", &rev, &item), SP_OK);
		ck_assert_int_eq(rev.status, CRYPTO_REV_REVOKED);
		ck_assert_int_eq(item, 3);
		ck_assert_int_eq(says(&ev, "rsa", &rev, &item), SP_OK);
		ck_assert_int_eq(item, 2);
		crypto_evidence_cleanup(&ev);
	}
	free(none);
	free(rsa);
	free(ec);
}
END_TEST

/* A stranger's certificate (another CA's): no CRL of the evidence answers it. */
START_TEST(crls_of_another_issuer_answer_nothing)
{
	size_t nlen;
	unsigned char *none = make_crl(0, 0, &nlen);
	struct crypto_evidence ev;
	struct trust_rev rev;
	X509 *other = vc_cert("other"), *stranger = vc_cert("stranger");
	struct sp_errinfo ei;

	memset(&ev, 0, sizeof(ev));
	add(&ev, none, nlen);
	crypto_evidence_decode(&ev, trust);
	sp_errinfo_init(&ei);
	ck_assert_int_eq(trust_evidence_status(trust, &ev, stranger, other, NULL, 0, &rev, &ei),
			 SP_ERR_NOT_FOUND);
	crypto_evidence_cleanup(&ev);
	X509_free(other);
	X509_free(stranger);
	free(none);
}
END_TEST

/* who's certificate as an evidence item (its DER, malloc'd) */
static void
add_cert(struct crypto_evidence *ev, const char *who)
{
	X509 *x = vc_cert(who);
	unsigned char *der = NULL;
	int n = i2d_X509(x, &der);
	struct sp_errinfo ei;

	ck_assert_int_gt(n, 0);
	sp_errinfo_init(&ei);
	ck_assert_int_eq(crypto_evidence_add(ev, PDF_DSS_CERTS, der, (size_t)n, &ei), SP_OK);
	OPENSSL_free(der);
	X509_free(x);
}

/* 1 when x is one of the trust's own certificate objects (not a copy of one). */
static int
trusts_own(const X509 *x)
{
	size_t i;

	for (i = 0; i < trust->nknown; i++)
		if (trust->known[i].x == x)
			return 1;
	return 0;
}

/*
 * A DSS holding the corpus CA (the trust's root) and two signers' and the
 * TSA's certificates: decoded once, the CA is the trust's own object
 * (known by its DER's length and digest), the others decoded, equal to
 * theirs and none of the trust's.
 */
START_TEST(certs_of_the_trust_are_its_own)
{
	static const char *const who[] = { "rsa", "ca", "ec", "tsa" };
	struct crypto_evidence ev;
	X509 *x;
	size_t i;

	memset(&ev, 0, sizeof(ev));
	for (i = 0; i < 4; i++)
		add_cert(&ev, who[i]);
	crypto_evidence_decode(&ev, trust);
	ck_assert_int_eq(sk_X509_num(ev.certs), 4);
	for (i = 0; i < 4; i++) {
		x = vc_cert(who[i]);
		ck_assert_int_eq(X509_cmp(sk_X509_value(ev.certs, (int)i), x), 0);
		ck_assert_int_eq(trusts_own(sk_X509_value(ev.certs, (int)i)),
				 strcmp(who[i], "ca") == 0);
		X509_free(x);
	}
	crypto_evidence_cleanup(&ev);
}
END_TEST

static Suite *
evidence_suite(void)
{
	Suite *s = suite_create("crypto_evidence");
	TCase *tc = tcase_create("crls");

	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, crls_decoded_once_answer_as_at_each_use);
	tcase_add_test(tc, crls_of_another_issuer_answer_nothing);
	tcase_add_test(tc, certs_of_the_trust_are_its_own);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(evidence_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
