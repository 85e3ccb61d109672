/*
 * test_server_prefer.c: the `return` preference of a Prefer header value
 * (RFC 7240, http_prefer_return), which decides whether a completion answers
 * the contract document: only a well-formed return=minimal leaves it out.
 */
#include <check.h>
#include <stdlib.h>

#include "http_int.h"

START_TEST(return_preference_of_a_header_value)
{
	static const struct {
		const char *value;
		int want;
	} rows[] = {
		{ NULL, HTTP_PREFER_NONE },
		{ "", HTTP_PREFER_NONE },
		{ "return=minimal", HTTP_PREFER_MINIMAL },
		{ "RETURN=Minimal", HTTP_PREFER_MINIMAL },
		{ "return = minimal", HTTP_PREFER_MINIMAL },
		{ "return=\"minimal\"", HTTP_PREFER_MINIMAL },
		{ "return=\"mini\\mal\"", HTTP_PREFER_MINIMAL }, /* a quoted-pair */
		{ "respond-async, return=minimal", HTTP_PREFER_MINIMAL },
		{ "wait=10, handling=lenient,return=minimal", HTTP_PREFER_MINIMAL },
		{ ",, return=minimal ,", HTTP_PREFER_MINIMAL },
		{ "return=minimal; foo=\"a, b\"; bar", HTTP_PREFER_MINIMAL },
		{ "foo; p=\"x,return=representation\", return=minimal", HTTP_PREFER_MINIMAL },
		{ "return=representation", HTTP_PREFER_REPRESENTATION },
		/* the first instance is the one considered */
		{ "return=representation, return=minimal", HTTP_PREFER_REPRESENTATION },
		{ "return=minimal, return=representation", HTTP_PREFER_MINIMAL },
		{ "return=full, return=minimal", HTTP_PREFER_OTHER },
		{ "return", HTTP_PREFER_OTHER },
		{ "return=", HTTP_PREFER_OTHER }, /* an empty value is none */
		{ "return=\"\", return=minimal", HTTP_PREFER_OTHER },
		{ "return=minimalist", HTTP_PREFER_OTHER },
		{ "return=minimal-ish", HTTP_PREFER_OTHER },
		{ "return=\"minimal ", HTTP_PREFER_NONE }, /* an unterminated quote */
		{ "returns=minimal", HTTP_PREFER_NONE },
		{ "x-return=minimal", HTTP_PREFER_NONE },
		{ "respond-async", HTTP_PREFER_NONE },
		/* not a preference list from here on: nothing of it is read */
		{ "=minimal, return=minimal", HTTP_PREFER_NONE },
		{ "return=minimal junk", HTTP_PREFER_NONE },
		{ "(return=minimal)", HTTP_PREFER_NONE },
		{ "\"return\"=minimal", HTTP_PREFER_NONE },
		{ "a very-long-preference-name-indeed=1, return=minimal", HTTP_PREFER_NONE },
		{ "a-very-long-preference-name-indeed=1, return=minimal", HTTP_PREFER_MINIMAL },
	};
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		ck_assert_msg(http_prefer_return(rows[i].value) == rows[i].want, "%s: %d, want %d",
			      rows[i].value ? rows[i].value : "(null)",
			      http_prefer_return(rows[i].value), rows[i].want);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("server_prefer");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, return_preference_of_a_header_value);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
