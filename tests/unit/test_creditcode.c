/* test_creditcode.c: unified social credit codes (GB 32100-2015), crypto_credit_code_*. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"

/*
 * An independent check-character computation straight from the standard's
 * formula, C18 = 31 - (sum(Ci * Wi) mod 31), so that the test does not just
 * repeat the code under test's table.
 */
static char
check_char(const char *first17)
{
	static const char *alpha = "0123456789ABCDEFGHJKLMNPQRTUWXY";
	int w = 1, sum = 0, i;

	for (i = 0; i < 17; i++) {
		sum += (int)(strchr(alpha, first17[i]) - alpha) * w;
		w = (w * 3) % 31; /* the weights are 3^(i) mod 31 */
	}
	return alpha[(31 - sum % 31) % 31];
}

static void
assert_refused(const char *code, const char *msgpart)
{
	struct sp_errinfo ei;

	sp_errinfo_init(&ei);
	ck_assert_msg(crypto_credit_code_check(code, &ei) == SP_ERR_INVALID, "accepted %s", code);
	ck_assert_str_eq(ei.reason, "malformed_credit_code");
	ck_assert_msg(strstr(ei.msg, msgpart) != NULL, "%s: message \"%s\" lacks \"%s\"", code,
		      ei.msg, msgpart);
	ck_assert_int_eq(crypto_credit_code_valid(code), 0);
}

START_TEST(real_codes_are_valid)
{
	/* Published codes of real organizations and the standard's example. */
	static const char *codes[] = {
		"91350100M000100Y43", /* GB 32100-2015 example */
		"914403001922038216", /* 华为技术有限公司 */
		"91330100716105852F", /* an Alibaba company, Hangzhou */
		"9144030071526726XG", /* 深圳市腾讯计算机系统有限公司 */
		"91110000802100433B", /* a state-owned enterprise, Beijing */
	};
	size_t i;
	struct sp_errinfo ei;

	for (i = 0; i < SP_ARRAY_LEN(codes); i++) {
		sp_errinfo_init(&ei);
		ck_assert_msg(crypto_credit_code_check(codes[i], &ei) == SP_OK, "%s: %s", codes[i],
			      ei.msg);
		ck_assert_int_eq(crypto_credit_code_valid(codes[i]), 1);
	}
}
END_TEST

START_TEST(computed_codes_are_valid)
{
	/* Bodies of several authorities and types, each completed with its check char. */
	static const char *bodies[] = {
		"91310000MA1FL8T0", "92440300L00000000", "12100000400000000", "51110000500000000",
		"Y1330000MA2CXXXX", "N2510100MA6X00000", "31440000455000000", "93440300MA5FUUKK",
	};
	char code[19];
	size_t i;

	for (i = 0; i < SP_ARRAY_LEN(bodies); i++) {
		snprintf(code, sizeof(code), "%.17s", bodies[i]);
		if (strlen(code) < 17)
			snprintf(code, sizeof(code), "%s%0*d", bodies[i],
				 (int)(17 - strlen(bodies[i])), 0);
		code[17] = check_char(code);
		code[18] = '\0';
		ck_assert_msg(crypto_credit_code_valid(code) == 1, "%s refused", code);
	}
}
END_TEST

START_TEST(wrong_check_character_is_refused)
{
	char code[] = "914403001922038216";
	const char *alpha = "0123456789ABCDEFGHJKLMNPQRTUWXY";
	size_t i;

	/* Every other check character is wrong. */
	for (i = 0; alpha[i] != '\0'; i++) {
		if (alpha[i] == '6')
			continue;
		code[17] = alpha[i];
		assert_refused(code, "check character");
	}
	/* A single changed digit in the body is caught too. */
	assert_refused("914403001922038316", "check character");
	/* Two swapped neighbours. */
	assert_refused("914403001922083216", "check character");
}
END_TEST

START_TEST(lowercase_is_refused)
{
	assert_refused("91330100716105852f", "not allowed");
	assert_refused("91350100m000100Y43", "not allowed");
}
END_TEST

START_TEST(wrong_length_is_refused)
{
	assert_refused("", "18 characters");
	assert_refused("91350100M000100Y4", "18 characters");
	assert_refused("91350100M000100Y433", "more than 18");
	assert_refused(" 91350100M000100Y43", "more than 18");
	assert_refused(NULL, "no unified social credit code");
	/* No prefix or separators are stripped: exactly 18 characters. */
	assert_refused("9135-0100M000100Y43", "more than 18");
}
END_TEST

START_TEST(excluded_letters_are_refused)
{
	static const char bad[] = { 'I', 'O', 'Z', 'S', 'V' };
	char code[] = "91350100M000100Y43";
	char want[64];
	size_t i;

	for (i = 0; i < sizeof(bad); i++) {
		code[8] = bad[i];
		snprintf(want, sizeof(want), "character 9 ('%c')", bad[i]);
		assert_refused(code, want);
	}
	assert_refused("91350100M000100Y4\xe4", "byte 0xe4");
	assert_refused("91350100M00 100Y43", "character 12");
}
END_TEST

START_TEST(authority_and_type_are_checked)
{
	char code[19];

	/* B is no registration authority; 94 is no type of 工商 (companies are 91-93). */
	snprintf(code, sizeof(code), "B1350100M000100Y4");
	code[17] = check_char(code);
	code[18] = '\0';
	assert_refused(code, "registration authority");
	snprintf(code, sizeof(code), "94350100M000100Y4");
	code[17] = check_char(code);
	code[18] = '\0';
	assert_refused(code, "organization type");
	/* The division code is six digits. */
	snprintf(code, sizeof(code), "913501A0M000100Y4");
	code[17] = check_char(code);
	code[18] = '\0';
	assert_refused(code, "division code");
}
END_TEST

static Suite *
creditcode_suite(void)
{
	Suite *s = suite_create("creditcode");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, real_codes_are_valid);
	tcase_add_test(tc, computed_codes_are_valid);
	tcase_add_test(tc, wrong_check_character_is_refused);
	tcase_add_test(tc, lowercase_is_refused);
	tcase_add_test(tc, wrong_length_is_refused);
	tcase_add_test(tc, excluded_letters_are_refused);
	tcase_add_test(tc, authority_and_type_are_checked);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(creditcode_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
