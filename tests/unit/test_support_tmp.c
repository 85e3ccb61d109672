/*
 * test_support_tmp.c: the unit tests' temporary directories (support_tmp.h)
 * are gone when a test program ends, whatever its tests did: pass, fail an
 * assertion in Check's forked child (which skips the test's own clean-up and
 * its fixture's teardown), run past its time limit and get killed, or fail
 * with CK_FORK=no. The program runs itself as the test program under test.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "support_suite.h"
#include "support_tmp.h"

/* A file in a new directory, as a test leaves its work; asserts the directory is the run's. */
static void
leave_work(const char *name)
{
	const char *dir = test_tmpdir_new(name);
	char path[512];
	FILE *f;

	ck_assert_ptr_nonnull(strstr(dir, test_tmpdir_root()));
	snprintf(path, sizeof(path), "%s/work.txt", dir);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fputs("left behind\n", f);
	fclose(f);
}

START_TEST(inner_passes)
{
	leave_work("passes");
}
END_TEST

START_TEST(inner_fails)
{
	leave_work("fails");
	ck_abort_msg("a deliberately failing test (test_support_tmp's program under test)");
}
END_TEST

START_TEST(inner_hangs)
{
	leave_work("hangs");
	sleep(30);
}
END_TEST

/* The program under test: prints its run's directory, then fails two tests of three. */
static int
inner_main(int with_hang)
{
	Suite *s = suite_create("support_tmp_inner");
	TCase *tc = tcase_create("outcomes");

	printf("%s\n", test_tmpdir_root());
	fflush(stdout);
	tcase_add_test(tc, inner_passes);
	tcase_add_test(tc, inner_fails);
	if (with_hang)
		tcase_add_test(tc, inner_hangs);
	tcase_set_timeout(tc, 1);
	suite_add_tcase(s, tc);
	return test_suite_run(s);
}

/* Runs this program with ARG (CK_FORK=FORK): asserts it failed and its run's directory is gone. */
static void
run_inner(const char *arg, const char *fork_mode)
{
	char cmd[512], root[256] = "", line[512];
	struct stat st;
	FILE *p;
	int status;

	snprintf(cmd, sizeof(cmd), "CK_FORK=%s CK_VERBOSITY=silent /proc/%ld/exe %s", fork_mode,
		 (long)getpid(), arg);
	ck_assert_ptr_nonnull(p = popen(cmd, "r"));
	ck_assert_ptr_nonnull(fgets(root, sizeof(root), p));
	while (fgets(line, sizeof(line), p) != NULL)
		; /* to its end: a closed pipe would end it with SIGPIPE */
	status = pclose(p);
	root[strcspn(root, "\n")] = '\0';
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 1, "%s: status %d", cmd, status);
	ck_assert_msg(strstr(root, "/sp-test-") != NULL, "%s printed '%s'", cmd, root);
	ck_assert_msg(stat(root, &st) != 0 && errno == ENOENT, "%s left %s behind", cmd, root);
}

START_TEST(failed_and_killed_tests_leave_nothing)
{
	run_inner("--inner", "yes");
}
END_TEST

START_TEST(failed_test_without_fork_leaves_nothing)
{
	/* no time limit without a fork: no hanging test */
	run_inner("--inner-no-hang", "no");
}
END_TEST

int
main(int argc, char **argv)
{
	Suite *s;
	TCase *tc;

	if (argc == 2 && strcmp(argv[1], "--inner") == 0)
		return inner_main(1);
	if (argc == 2 && strcmp(argv[1], "--inner-no-hang") == 0)
		return inner_main(0);
	s = suite_create("support_tmp");
	tc = tcase_create("cleanup");
	tcase_add_test(tc, failed_and_killed_tests_leave_nothing);
	tcase_add_test(tc, failed_test_without_fork_leaves_nothing);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return test_suite_run(s);
}
