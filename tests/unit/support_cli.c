/* support_cli.c: the sealpact program as a user runs it (support_cli.h). */
#include "support_cli.h"

#include <check.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "support_tmp.h"

rlim_t test_cli_fsize;

static void
slurp(int fd, char *buf, size_t cap)
{
	ssize_t n;
	size_t len = 0;

	lseek(fd, 0, SEEK_SET);
	while (len + 1 < cap && (n = read(fd, buf + len, cap - 1 - len)) > 0)
		len += (size_t)n;
	buf[len] = '\0';
	close(fd);
}

void
test_cli_run(struct test_cli_run *r, const char *const *args, const char *env_server)
{
	const char *bdir = getenv("SEALPACT_BUILD_DIR");
	char bin[PATH_MAX], ofile[] = "/tmp/sp-cli-out.XXXXXX", efile[] = "/tmp/sp-cli-err.XXXXXX";
	char *argv[24];
	int ofd, efd, st;
	size_t i;
	pid_t pid;

	ck_assert_ptr_nonnull(bdir);
	snprintf(bin, sizeof(bin), "%s/client/sealpact", bdir);
	ck_assert_msg(access(bin, X_OK) == 0, "%s is not built", bin);
	ofd = mkstemp(ofile);
	efd = mkstemp(efile);
	ck_assert_int_ge(ofd, 0);
	ck_assert_int_ge(efd, 0);
	unlink(ofile);
	unlink(efile);
	argv[0] = bin;
	for (i = 0; i < sizeof(argv) / sizeof(argv[0]) - 2 && args[i] != NULL; i++)
		argv[i + 1] = (char *)args[i];
	argv[i + 1] = NULL;
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		dup2(ofd, 1);
		dup2(efd, 2);
		unsetenv("SEALPACT_SERVER");
		unsetenv("SEALPACT_CACERT");
		if (test_cli_fsize > 0) {
			/* a full disk: writes past it fail with EFBIG, not the signal */
			struct rlimit lim = { test_cli_fsize, test_cli_fsize };

			signal(SIGXFSZ, SIG_IGN);
			setrlimit(RLIMIT_FSIZE, &lim);
		}
		if (env_server != NULL)
			setenv("SEALPACT_SERVER", env_server, 1);
		execv(bin, argv);
		_exit(127);
	}
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	slurp(ofd, r->out, sizeof(r->out));
	slurp(efd, r->err, sizeof(r->err));
}

void
test_cli_run_at(struct test_cli_run *r, const char *server, const char *const *args, size_t max)
{
	const char *all[24] = { "--server", server };
	size_t n;

	for (n = 0; n < max && n + 3 < sizeof(all) / sizeof(all[0]) && args[n] != NULL; n++)
		all[n + 2] = args[n];
	all[n + 2] = NULL;
	test_cli_run(r, all, NULL);
}

void
test_cli_session_saved(char *tmp, size_t cap, const char *name, const char *server)
{
	char path[512];
	FILE *f;

	ck_assert_uint_lt((size_t)snprintf(tmp, cap, "%s", test_tmpdir_new(name)), cap);
	snprintf(path, sizeof(path), "%s/sealpact", tmp);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/sealpact/session.json", tmp);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fprintf(f, "{\"server\":\"%s\",\"token\":\"t0k\"}", server);
	fclose(f);
	ck_assert_int_eq(chmod(path, 0600), 0);
	setenv("XDG_CONFIG_HOME", tmp, 1);
}
