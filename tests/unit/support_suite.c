/*
 * support_suite.c: a Check suite's test case and run (support_suite.h).
 */
#include "support_suite.h"

TCase *
test_tcase(Suite *s, const char *name, SFun setup, SFun teardown, int checked, int timeout)
{
	TCase *tc = tcase_create(name);

	if (checked)
		tcase_add_checked_fixture(tc, setup, teardown);
	else
		tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, timeout);
	suite_add_tcase(s, tc);
	return tc;
}

int
test_suite_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
