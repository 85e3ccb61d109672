/*
 * test_client_offline_exit.c (review44): `sealpact sign --offline`'s exit
 * status where the signer is named wrong or is not there.
 *
 * The README's table (sign_offline.c, step_exit) gives 64 to a bad option
 * or option value and 1 to "the PIN, the token or the key did not sign";
 * 65 is for a document (or a --cert/--chain file) that does not allow what
 * was asked. The signer's certificate is read first (sign_cert_read, at
 * STEP_INPUT), so what goes wrong there is 65 whatever it is: an option
 * that needs another (--key without --cert), an option value that is no
 * value (--key-id zz), and a token that is not inserted (the UKey left in
 * the drawer, the commonest failure of the terminal) all say "fix the
 * document" to a script. Each case here names the status the table gives.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../fixtures/pdf-writer/pdfgen.h"
#include "support_shell.h"
#include "support_suite.h"
#include "support_tmp.h"

#define SOFTHSM "/usr/lib/softhsm/libsofthsm2.so"

static const struct {
	const char *what, *args;
	int status;
} cases[] = {
	{ "--key without --cert", "--key k.pem", 64 },
	{ "--key-id that is not hex", "--module " SOFTHSM " --key-id zz", 64 },
	{ "no token inserted", "--module " SOFTHSM, 1 },
};

START_TEST(signer_named_wrong_or_absent)
{
	const char *src = getenv("SEALPACT_SOURCE_DIR"), *bdir = getenv("SEALPACT_BUILD_DIR");
	const char *dir = test_tmpdir_new("offline-exit");
	char path[1024], err[512] = "";
	unsigned char *png;
	size_t len;
	FILE *f;
	int st;

	ck_assert_ptr_nonnull(src);
	ck_assert_ptr_nonnull(bdir);
	ck_assert_int_eq(test_run("cd '%s' && openssl req -x509 -newkey rsa:2048 -nodes -keyout "
				  "k.pem -out c.pem -days 2 -subj /CN=offline/O=Test >/dev/null "
				  "2>&1 "
				  "&& mkdir tokens && printf 'directories.tokendir = %s/tokens\\n' "
				  ">softhsm2.conf",
				  dir, dir),
			 0);
	png = make_seal_png(120, &len);
	snprintf(path, sizeof(path), "%s/seal.png", dir);
	f = fopen(path, "wb");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(png, 1, len, f), len);
	fclose(f);
	free(png);
	/* an empty token directory: SoftHSM2 then shows one slot with no token in it */
	st = test_run("cd '%s' && SOFTHSM2_CONF='%s/softhsm2.conf' PIN=1 '%s/client/sealpact' sign "
		      "--offline '%s/tests/fixtures/contracts/short.pdf' -o o.pdf --seal seal.png "
		      "--normal 1,300,300 %s </dev/null >out.txt 2>err.txt",
		      dir, dir, bdir, src, cases[_i].args);
	snprintf(path, sizeof(path), "%s/err.txt", dir);
	if ((f = fopen(path, "r")) != NULL) {
		if (fgets(err, sizeof(err), f) == NULL)
			err[0] = '\0';
		err[strcspn(err, "\n")] = '\0';
		fclose(f);
	}
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == cases[_i].status,
		      "%s: exit %d, the README's table gives %d: %s", cases[_i].what,
		      WIFEXITED(st) ? WEXITSTATUS(st) : -1, cases[_i].status, err);
	snprintf(path, sizeof(path), "%s/o.pdf", dir);
	ck_assert_msg(access(path, F_OK) != 0, "%s: o.pdf written", cases[_i].what);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("client_offline_exit");
	TCase *tc = test_tcase(s, "exit", NULL, NULL, 0, 60);

	tcase_add_loop_test(tc, signer_named_wrong_or_absent, 0,
			    (int)(sizeof(cases) / sizeof(cases[0])));
	return test_suite_run(s);
}
