/*
 * support_tmp.c: the unit tests' temporary directories (support_tmp.h).
 */
#include "support_tmp.h"

#include <dirent.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char root[256];
static pid_t owner;

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

/*
 * At the program's start, in the process that will run (and outlive) every
 * test: the run's directory. A constructor, so that no test's main() has to
 * remember it; it is linked only into the programs that make directories.
 */
__attribute__((constructor)) static void
root_make(void)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(root, sizeof(root), "%s/sp-test-XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
	if (mkdtemp(root) == NULL) {
		perror(root);
		abort();
	}
	owner = getpid();
}

/*
 * At exit: only the runner removes it. A test's child that passes ends with
 * exit() and runs this too, while other tests still use the directory.
 */
__attribute__((destructor)) static void
root_remove(void)
{
	const char *keep = getenv("SEALPACT_TEST_KEEP_TMP");

	if (root[0] == '\0' || getpid() != owner)
		return;
	if (keep != NULL) {
		fprintf(stderr, "support_tmp: kept %s\n", root);
		return;
	}
	(void)nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

const char *
test_tmpdir_root(void)
{
	return root;
}

const char *
test_tmpdir_new(const char *name)
{
	static char dir[320];

	if (strlen(name) > 32)
		abort();
	snprintf(dir, sizeof(dir), "%s/%s-XXXXXX", root, name);
	if (mkdtemp(dir) == NULL) {
		perror(dir);
		abort();
	}
	return dir;
}

int
test_dir_count(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
	closedir(d);
	return n;
}
