/* test_webhook_sign.c: the delivery signature (server/webhooks_sign.c). */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "contracts_int.h"

START_TEST(matches_an_independent_hmac)
{
	/*
	 * Expected value from: printf '1700000000.{"a":1}' |
	 *   openssl dgst -sha256 -hmac 'secret-key'
	 */
	char out[WEBHOOK_SIG_MAX], cmd[256], want[300];
	FILE *p;

	ck_assert_int_eq(webhook_signature("secret-key", 1700000000LL, "{\"a\":1}", 7, out,
					   sizeof(out), NULL),
			 SP_OK);
	p = popen("printf '%s' '1700000000.{\"a\":1}' | openssl dgst -sha256 -hmac secret-key -r",
		  "r");
	ck_assert_ptr_nonnull(p);
	ck_assert_ptr_nonnull(fgets(cmd, sizeof(cmd), p));
	pclose(p);
	cmd[64] = '\0';
	snprintf(want, sizeof(want), "t=1700000000,v1=%s", cmd);
	ck_assert_str_eq(out, want);
}
END_TEST

START_TEST(timestamp_body_and_secret_all_count)
{
	char a[WEBHOOK_SIG_MAX], b[WEBHOOK_SIG_MAX];

	ck_assert_int_eq(webhook_signature("k", 1, "body", 4, a, sizeof(a), NULL), SP_OK);
	ck_assert_int_eq(webhook_signature("k", 2, "body", 4, b, sizeof(b), NULL), SP_OK);
	ck_assert_str_ne(strchr(a, ','), strchr(b, ','));
	ck_assert_int_eq(webhook_signature("k", 1, "bodY", 4, b, sizeof(b), NULL), SP_OK);
	ck_assert_str_ne(a, b);
	ck_assert_int_eq(webhook_signature("K", 1, "body", 4, b, sizeof(b), NULL), SP_OK);
	ck_assert_str_ne(a, b);
	/* Only len bytes of the body are signed. */
	ck_assert_int_eq(webhook_signature("k", 1, "body and more", 4, b, sizeof(b), NULL), SP_OK);
	ck_assert_str_eq(a, b);
}
END_TEST

START_TEST(bad_arguments_refused)
{
	char small[8], out[WEBHOOK_SIG_MAX];
	struct sp_errinfo ei;

	sp_errinfo_init(&ei);
	ck_assert_int_eq(webhook_signature("k", 1, "b", 1, small, sizeof(small), &ei),
			 SP_ERR_INVALID);
	ck_assert_str_eq(small, "");
	ck_assert_int_eq(webhook_signature("", 1, "b", 1, out, sizeof(out), NULL), SP_ERR_INVALID);
	ck_assert_int_eq(webhook_signature(NULL, 1, "b", 1, out, sizeof(out), NULL),
			 SP_ERR_INVALID);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("webhook_sign");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, matches_an_independent_hmac);
	tcase_add_test(tc, timestamp_body_and_secret_all_count);
	tcase_add_test(tc, bad_arguments_refused);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
