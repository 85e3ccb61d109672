/*
 * support_cli.h: the built sealpact program as a user runs it, for the
 * tests of the command line (test_client_cli*.c): its exit status and what
 * it printed, and a saved session that makes it run as if logged in.
 */
#ifndef SEALPACT_TEST_SUPPORT_CLI_H
#define SEALPACT_TEST_SUPPORT_CLI_H

#include <stddef.h>
#include <sys/resource.h>

struct test_cli_run {
	int status; /* exit status, or 128 + signal */
	char out[8192];
	char err[8192];
};

/* When set, the file-size limit of the next runs (a disk that is full past it). */
extern rlim_t test_cli_fsize;

/*
 * Run $SEALPACT_BUILD_DIR/client/sealpact with args (NULL-terminated, at most
 * 22) in a child, without the caller's SEALPACT_SERVER and SEALPACT_CACERT;
 * env_server, when not NULL, is its SEALPACT_SERVER. Fails the test when
 * the program is not built.
 */
void test_cli_run(struct test_cli_run *r, const char *const *args, const char *env_server);

/*
 * test_cli_run with "--server server" before args, of which the first max
 * are read (fewer when one is NULL): a row of a test's table of commands.
 */
void test_cli_run_at(struct test_cli_run *r, const char *server, const char *const *args,
		     size_t max);

/*
 * A fresh directory at tmp (cap bytes: 256 leave room for a long TMPDIR,
 * where 48 failed under one of 20 characters) holding a saved session for
 * server, and XDG_CONFIG_HOME pointing at it: the CLI runs as if logged in.
 * The caller unsets XDG_CONFIG_HOME.
 */
void test_cli_session_saved(char *tmp, size_t cap, const char *name, const char *server);

#endif
