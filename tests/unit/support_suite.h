/*
 * support_suite.h: a Check suite's test case and run, as the unit tests'
 * main() functions build them. Each was written out in every test file.
 */
#ifndef SEALPACT_TEST_SUPPORT_SUITE_H
#define SEALPACT_TEST_SUPPORT_SUITE_H

#include <check.h>

/*
 * A test case of suite s named name, timeout seconds each test: its fixture
 * (setup, teardown) runs around each test when checked (in the test's own
 * process), else once around the case.
 */
TCase *test_tcase(Suite *s, const char *name, SFun setup, SFun teardown, int checked, int timeout);

/* Run s (and free it): the process's exit status, 0 when every test passed. */
int test_suite_run(Suite *s);

#endif
