/*
 * support_tmp.h: the unit tests' temporary directories, gone when the test
 * program ends whatever its tests did.
 *
 * A Check test runs in a forked child that _exit()s on the first failed
 * assertion, and a test past its time limit is killed: the test's own
 * `rm -rf` and its fixture's teardown never run, and /tmp kept one
 * directory per failed test. So the program's first process (the runner,
 * which Check never kills) makes one directory for the run before any test
 * forks, every test's directory is made inside it, and the runner removes
 * the whole of it when it exits.
 */
#ifndef SEALPACT_TEST_SUPPORT_TMP_H
#define SEALPACT_TEST_SUPPORT_TMP_H

/*
 * A new empty directory $TMPDIR/sp-test-XXXXXX/NAME-XXXXXX (TMPDIR unset:
 * /tmp), NAME at most 32 characters; aborts when it cannot be made. The
 * returned path is static storage, overwritten by the next call. Callable in
 * the runner or in a test's child; the runner removes it at exit (a test
 * may remove it sooner). SEALPACT_TEST_KEEP_TMP (set) keeps the run's directory
 * (its path is printed on stderr) for a look after a failure.
 */
const char *test_tmpdir_new(const char *name);

/* The run's directory, which holds every test_tmpdir_new(); for tests of this. */
const char *test_tmpdir_root(void);

/*
 * How many names dir holds besides . and .. (a temporary file left behind
 * is one); -1 when it cannot be read.
 */
int test_dir_count(const char *dir);

#endif
