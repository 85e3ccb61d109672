/*
 * test_verify_report.c: the verification report as the API and `sealpact
 * verify --json` render it (server/api/verify_report.c), on hand-made
 * reports: the exact text, nulls, and bytes that are not UTF-8.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "verify_report.h"

/* The renderer on a hand-made report: exact text, nulls, and bytes that are not UTF-8. */
START_TEST(report_json_is_exact_and_always_valid)
{
	struct crypto_sig_report sig;
	struct crypto_verify_report rep;
	char *t = NULL;
	size_t tl = 0;

	memset(&rep, 0, sizeof(rep));
	ck_assert_int_eq(verify_report_text(&rep, 4096, &t, &tl), SP_OK);
	ck_assert_str_eq(t,
			 "{\"verdict\":\"no_signature\",\"size\":0,\"revisions\":0,"
			 "\"last_revision_signed\":false,\"trailing_data\":false,\"reason\":null,"
			 "\"message\":\"no verifiable signature\",\"signatures\":[]}");
	ck_assert_uint_eq(tl, strlen(t));
	free(t);
	memset(&sig, 0, sizeof(sig));
	/* a truncated UTF-8 sequence and a stray continuation byte, a quote and a newline */
	snprintf(sig.field, sizeof(sig.field), "Sig\xe4\xb8\"\n\x80x");
	snprintf(sig.subfilter, sizeof(sig.subfilter), "/adbe.pkcs7.detached");
	snprintf(sig.reasons[0], sizeof(sig.reasons[0]), "bad_digest");
	sig.nreasons = 1;
	sig.verdict = CRYPTO_VERDICT_INVALID;
	sig.sig_obj = 7;
	sig.byte_range[1] = 10;
	sig.byte_range[2] = 20;
	sig.byte_range[3] = 5;
	sig.revision = 1;
	sig.structure_ok = 1;
	sig.digest_ok = 0;
	sig.signature_ok = sig.chain_ok = sig.timestamp_ok = sig.changes_ok = -1;
	sig.checked_at = 1700000000;
	rep.sigs = &sig;
	rep.nsigs = 1;
	rep.size = 25;
	rep.nrevisions = 1;
	rep.verdict = CRYPTO_VERDICT_INVALID;
	snprintf(rep.reason, sizeof(rep.reason), "unsigned_trailing_update");
	ck_assert_int_eq(verify_report_text(&rep, 4096, &t, &tl), SP_OK);
	ck_assert_str_eq(t,
			 "{\"verdict\":\"invalid\",\"size\":25,\"revisions\":1,"
			 "\"last_revision_signed\":false,\"trailing_data\":false,"
			 "\"reason\":\"unsigned_trailing_update\",\"message\":\"\",\"signatures\":"
			 "[{\"field\":\"Sig\xef\xbf\xbd\xef\xbf\xbd\\\"\\n\xef\xbf\xbdx\","
			 "\"object\":7,\"subfilter\":\"adbe.pkcs7.detached\",\"doc_timestamp\":"
			 "false,\"level\":null,\"revocation_embedded\":false,"
			 "\"certifying\":0,\"verdict\":\"invalid\",\"reasons\":[\"bad_digest\"],"
			 "\"message\":\"\",\"byte_range\":[0,10,20,5],\"revision\":1,\"checks\":"
			 "{\"structure\":true,\"digest\":false,\"signature\":null,\"chain\":null,"
			 "\"timestamp\":null,\"changes\":null},\"digest_algorithm\":\"\","
			 "\"signature_algorithm\":\"\",\"signer\":null,\"timestamp\":null,"
			 "\"checked_at\":\"2023-11-14T22:13:20Z\",\"changes\":{\"allowed\":0,"
			 "\"disallowed\":0,\"objects\":[]}}]}");
	free(t);
	ck_assert_int_eq(verify_report_text(&rep, 100, &t, &tl), SP_ERR_TOO_LARGE);
	ck_assert_ptr_null(t);
}
END_TEST

static Suite *
report_suite(void)
{
	Suite *s = suite_create("verify_report");
	TCase *tc = tcase_create("render");

	tcase_add_test(tc, report_json_is_exact_and_always_valid);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(report_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
