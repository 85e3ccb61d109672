/*
 * test_verify_world_tsa.c: document timestamps in the forms other TSAs
 * write, each a token `openssl ts -reply` makes with the corpus TSA's key
 * (test_verify_writer.h's "opentsa:SECTION@ARGS") after a contract sealpact
 * signed: a TSTInfo with an accuracy or without one, with ordering true,
 * with a nonce, naming its TSA; an ESSCertID (v1, SHA-1) instead of v2
 * (RFC 5816 §2.2.1 allows either); and a token without certificates, the
 * TSA's certificate named by reference only (RFC 3161 §2.4.1: a query
 * without certReq gets one). pdfsig checks no document timestamp.
 */
#include "test_verify_countersign.h"

/* The TSA as `openssl ts -reply` runs it, one section a form. */
static const char tsa_cnf[] = "[ tsa ]\n"
			      "default_tsa = plain\n"
			      "[ plain ]\n"
			      "serial = tsaserial\n"
			      "signer_cert = tsa.pem\n"
			      "signer_key = tsa.key\n"
			      "signer_digest = sha256\n"
			      "default_policy = 1.3.6.1.4.1.99999.2\n"
			      "digests = sha256\n"
			      "accuracy = secs:1, millisecs:500, microsecs:100\n"
			      "ess_cert_id_alg = sha256\n"
			      "[ noacc ]\n"
			      "serial = tsaserial\n"
			      "signer_cert = tsa.pem\n"
			      "signer_key = tsa.key\n"
			      "signer_digest = sha256\n"
			      "default_policy = 1.3.6.1.4.1.99999.2\n"
			      "digests = sha256\n"
			      "ess_cert_id_alg = sha256\n"
			      "[ ordered ]\n"
			      "serial = tsaserial\n"
			      "signer_cert = tsa.pem\n"
			      "signer_key = tsa.key\n"
			      "signer_digest = sha256\n"
			      "default_policy = 1.3.6.1.4.1.99999.2\n"
			      "digests = sha256\n"
			      "ordering = yes\n"
			      "tsa_name = yes\n"
			      "ess_cert_id_alg = sha256\n"
			      "[ essv1 ]\n"
			      "serial = tsaserial\n"
			      "signer_cert = tsa.pem\n"
			      "signer_key = tsa.key\n"
			      "signer_digest = sha256\n"
			      "default_policy = 1.3.6.1.4.1.99999.2\n"
			      "digests = sha256\n"
			      "ess_cert_id_alg = sha1\n";

static void
setup(void)
{
	world_setup();
	write_file(vc_path("tsa.cnf"), (const unsigned char *)tsa_cnf, sizeof(tsa_cnf) - 1);
	write_file(vc_path("tsaserial"), (const unsigned char *)"01\n", 3);
}

/* The contract signed by sealpact, then stamped by `who`: the file. */
static unsigned char *
stamped(const char *who, const char *name, unsigned char **one, size_t *n1, size_t *n2)
{
	unsigned char *two;

	*one = vc_sign(base, base_len, "rsa", 1, 0, n1);
	two = countersign(*one, *n1, VW_TABLE, 0, "/ETSI.RFC3161", who, n2);
	write_file(vc_path(name), two, *n2);
	ck_assert_int_eq(run("qpdf --check %s >/dev/null 2>&1", vc_path(name)), 0);
	return two;
}

/*
 * Every optional field of a TSTInfo as other TSAs fill it (RFC 3161 §2.4.2:
 * accuracy, ordering, nonce, tsa), and the ESS certificate id v1 that
 * RFC 5816 still allows: the document timestamp is valid, with its time.
 */
START_TEST(tstinfo_forms_other_tsas_write)
{
	static const struct {
		const char *who, *name;
	} c[] = {
		{ "opentsa:plain@-cert -no_nonce", "tst_accuracy.pdf" },
		{ "opentsa:noacc@-cert", "tst_no_accuracy_nonce.pdf" },
		{ "opentsa:ordered@-cert", "tst_ordering_tsa_name.pdf" },
		{ "opentsa:essv1@-cert", "tst_ess_v1.pdf" },
	};
	size_t n1, n2;
	unsigned char *one, *two = stamped(c[_i].who, c[_i].name, &one, &n1, &n2), *p;
	struct crypto_verify_report *r = verify(two, n2);

	ck_assert_uint_eq(r->nsigs, 2);
	ck_assert_int_eq(r->sigs[1].doc_timestamp, 1);
	ck_assert_msg(r->sigs[1].verdict == CRYPTO_VERDICT_VALID && r->sigs[1].timestamp_ok == 1,
		      "%s: %s: %s", c[_i].name, crypto_verdict_name(r->sigs[1].verdict),
		      r->sigs[1].message);
	ck_assert_int_ge(r->sigs[1].ts_time, time(NULL) - 600);
	ck_assert_int_eq(r->sigs[0].verdict, CRYPTO_VERDICT_VALID_ALLOWED_CHANGES);
	crypto_verify_report_free(r);
	/* a covered byte changed (a letter of the field's name): the imprint proves it */
	p = memmem(two + n1, n2 - n1, "(Countersignature)", 18);
	ck_assert_ptr_nonnull(p);
	p[1] = 'c';
	r = verify(two, n2);
	ck_assert_uint_eq(r->nsigs, 2);
	ck_assert_int_eq(r->sigs[1].verdict, CRYPTO_VERDICT_INVALID);
	ck_assert_str_eq(r->sigs[1].reasons[0], "ts_imprint_mismatch");
	crypto_verify_report_free(r);
	free(two);
	free(one);
}
END_TEST

/*
 * A token without certificates (its query asked none: RFC 3161 §2.4.1, the
 * TSA then MUST NOT include them) names the TSA's certificate only in its
 * SignerInfo and ESS attribute. With that certificate nowhere in the
 * document or the trust, the token cannot be checked: indeterminate, saying
 * so. It was invalid, "the timestamp does not carry its TSA certificate".
 * With the certificate in a later DSS (as PAdES B-LTA keeps it) the token
 * is checked against it, and valid.
 */
START_TEST(token_without_certificates)
{
	static const char *const tsa[] = { "tsa" };
	size_t n1, n2, n3;
	unsigned char *one, *two = stamped("opentsa:plain", "tst_no_certs.pdf", &one, &n1, &n2),
			    *three;
	struct crypto_verify_report *r = verify(two, n2);

	ck_assert_uint_eq(r->nsigs, 2);
	ck_assert_msg(r->sigs[1].verdict == CRYPTO_VERDICT_INDETERMINATE &&
			      !strcmp(r->sigs[1].reasons[0], "ts_tsa_cert_missing"),
		      "%s [%s] %s", crypto_verdict_name(r->sigs[1].verdict),
		      r->sigs[1].nreasons ? r->sigs[1].reasons[0] : "", r->sigs[1].message);
	ck_assert_msg(strstr(r->sigs[1].message, "not in the token, the signature's certificates, "
						 "the document's DSS or the trust") != NULL,
		      "%s", r->sigs[1].message);
	crypto_verify_report_free(r);
	three = dss_without_roots(two, n2, tsa, 1, NULL, 0, &n3);
	write_file(vc_path("tst_no_certs_dss.pdf"), three, n3);
	r = verify(three, n3);
	ck_assert_msg(r->sigs[1].verdict == CRYPTO_VERDICT_VALID_ALLOWED_CHANGES &&
			      r->sigs[1].timestamp_ok == 1,
		      "%s: %s", crypto_verdict_name(r->sigs[1].verdict), r->sigs[1].message);
	crypto_verify_report_free(r);
	free(three);
	free(two);
	free(one);
}
END_TEST

/*
 * A signature timestamp (PAdES B-T) whose token carries no certificate,
 * the TSA's certificate put among the signature's own CMS certificates
 * instead (where a signer's tool keeps the chains it has): the token is
 * checked against it, and the signature is valid with its time. It was
 * indeterminate ts_tsa_cert_missing: only the DSS and the trust were looked in.
 */
START_TEST(signature_token_without_certificates_tsa_in_cms)
{
	size_t n1, n2;
	unsigned char *one = vc_sign(base, base_len, "rsa", 1, 0, &n1),
		      *two = countersign(one, n1, VW_TABLE, 0, "/ETSI.CAdES.detached", "tstcms:rsa",
					 &n2);
	struct crypto_verify_report *r;

	write_file(vc_path("sig_tst_no_certs.pdf"), two, n2);
	r = verify(two, n2);
	ck_assert_uint_eq(r->nsigs, 2);
	ck_assert_int_eq(r->sigs[1].has_timestamp, 1);
	ck_assert_msg(r->sigs[1].verdict == CRYPTO_VERDICT_VALID && r->sigs[1].timestamp_ok == 1,
		      "%s [%s] %s", crypto_verdict_name(r->sigs[1].verdict),
		      r->sigs[1].nreasons ? r->sigs[1].reasons[0] : "", r->sigs[1].message);
	ck_assert_int_ge(r->sigs[1].ts_time, time(NULL) - 600);
	crypto_verify_report_free(r);
	free(two);
	free(one);
}
END_TEST

static Suite *
tsa_suite(void)
{
	Suite *s = suite_create("verify_world_tsa");
	TCase *tc = tcase_create("tsa");

	tcase_add_unchecked_fixture(tc, setup, world_teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, tstinfo_forms_other_tsas_write, 0, 4);
	tcase_add_test(tc, token_without_certificates);
	tcase_add_test(tc, signature_token_without_certificates_tsa_in_cms);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(tsa_suite());
	int nf;

	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? 0 : 1;
}
