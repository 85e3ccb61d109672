/*
 * test_client_cli_files.c: the files the sealpact command line writes: the
 * offline signer's exit status for each kind of bad input, output files
 * named with -o, written whole or not at all (support_cli.h runs the
 * program; test_client_http.h serves what it downloads).
 */
#include "../fixtures/pdf-writer/pdfgen.h"
#include "support_cli.h"
#include "support_shell.h"
#include "support_suite.h"
#include "support_tmp.h"
#include "test_client_http.h"

/* An offline signer's files in dir: k.pem and c.pem (a self-signed RSA key, CN=offline), seal.png. */
static void
offline_signer_files(const char *dir)
{
	char seal[PATH_MAX];
	unsigned char *png;
	size_t len;

	ck_assert_int_eq(test_run("cd '%s' && openssl req -x509 -newkey rsa:2048 -nodes -keyout "
				  "k.pem -out c.pem -days 2 -subj /CN=offline/O=Test >/dev/null "
				  "2>&1",
				  dir),
			 0);
	png = make_seal_png(120, &len);
	snprintf(seal, sizeof(seal), "%s/seal.png", dir);
	write_file(seal, png, len);
	free(png);
}

/*
 * sign --offline: each bad input says what is wrong on one line and exits
 * with its kind's status (the README's table), and writes nothing.
 */
START_TEST(cli_offline_sign_exit_status_per_cause)
{
	static const struct {
		const char *in, *seal, *cert, *out, *flag, *value, *tsa;
		int status;
		const char *says;
	} cases[] = {
		{ "missing.pdf", "seal.png", "c.pem", "o.pdf", "--normal", "1,300,300", NULL, 66,
		  "missing.pdf: No such file or directory" },
		{ "short", "missing.png", "c.pem", "o.pdf", "--normal", "1,300,300", NULL, 66,
		  "missing.png: No such file or directory" },
		{ "short", "seal.png", "missing.pem", "o.pdf", "--normal", "1,300,300", NULL, 66,
		  "cannot open" },
		{ "short", "seal.png", "c.pem", "o.pdf", "--normal", "9,300,300", NULL, 65,
		  "placement 1: page 9 out of range 1..1" },
		{ "short", "seal.png", "c.pem", "o.pdf", "--normal", "1,5,5", NULL, 65,
		  "reaches outside page 1, whose visible box is 0,0 - 595.3,841.9" },
		{ "short", "seal.png", "c.pem", "o.pdf", "--keyword", "NOSUCHWORD", NULL, 65,
		  "placement 1: keyword \"NOSUCHWORD\" not found" },
		{ "short", "seal.png", "c.pem", "o.pdf", "--keyword", "乙方（盖章）,9", NULL, 65,
		  "occurs 1 time in the whole document" },
		{ "short", "seal.png", "c.pem", "o.pdf", "--multi", "1-x,300,300", NULL, 65,
		  "page range \"1-x\"" },
		{ "short", "bad.png", "c.pem", "o.pdf", "--normal", "1,300,300", NULL, 65,
		  "seal image is not a PNG" },
		{ "bad.pdf", "seal.png", "c.pem", "o.pdf", "--normal", "1,300,300", NULL, 65,
		  "reading the PDF" },
		{ "short", "seal.png", "k.pem", "o.pdf", "--normal", "1,300,300", NULL, 65, "" },
		{ "short", "seal.png", "c.pem", "o.pdf", "--normal", "0,300,300", NULL, 64,
		  "--normal wants PAGE,X,Y" },
		/* (int)1e30 is undefined behaviour: the page is read as an integer */
		{ "short", "seal.png", "c.pem", "o.pdf", "--normal", "1e30,300,300", NULL, 64,
		  "--normal wants PAGE,X,Y" },
		{ "short", "seal.png", "c.pem", "no/such/dir/o.pdf", "--normal", "1,300,300", NULL,
		  73, "No such file or directory" },
		{ "short", "seal.png", "c.pem", "o.pdf", "--normal", "1,300,300", "dead", 69,
		  "timestamp: TSA unreachable" },
		{ "short", "seal.png", "c.pem", "o.pdf", "--normal", "1,300,300", NULL, 0, "" },
	};
	const char *src = getenv("SEALPACT_SOURCE_DIR"), *dir = test_tmpdir_new("cli-offline");
	char in[1024], seal[512], cert[512], key[512], out[512], tsa[64], junk[] = "not a PNG\n";
	const char *args[16];
	size_t i, n;
	struct test_cli_run r;

	ck_assert_ptr_nonnull(src);
	offline_signer_files(dir);
	snprintf(seal, sizeof(seal), "%s/bad.png", dir);
	write_file(seal, junk, sizeof(junk) - 1);
	snprintf(in, sizeof(in), "%s/bad.pdf", dir);
	write_file(in, "%PDF-1.4 not a document\n", 24);
	snprintf(key, sizeof(key), "%s/k.pem", dir);
	snprintf(tsa, sizeof(tsa), "http://127.0.0.1:%d/", dead_port());
	for (i = 0; i < SP_ARRAY_LEN(cases); i++) {
		if (strcmp(cases[i].in, "short") == 0)
			snprintf(in, sizeof(in), "%s/tests/fixtures/contracts/short.pdf", src);
		else
			snprintf(in, sizeof(in), "%s/%s", dir, cases[i].in);
		snprintf(seal, sizeof(seal), "%s/%s", dir, cases[i].seal);
		snprintf(cert, sizeof(cert), "%s/%s", dir, cases[i].cert);
		snprintf(out, sizeof(out), "%s/%s", dir, cases[i].out);
		n = 0;
		args[n++] = "sign";
		args[n++] = "--offline";
		args[n++] = in;
		args[n++] = "-o";
		args[n++] = out;
		args[n++] = "--key";
		args[n++] = key;
		args[n++] = "--cert";
		args[n++] = cert;
		args[n++] = "--seal";
		args[n++] = seal;
		args[n++] = cases[i].flag;
		args[n++] = cases[i].value;
		if (cases[i].tsa != NULL) {
			args[n++] = "--tsa";
			args[n++] = tsa;
		}
		args[n] = NULL;
		test_cli_run(&r, args, NULL);
		ck_assert_msg(r.status == cases[i].status, "case %zu (%s %s): exit %d, want %d: %s",
			      i, cases[i].flag, cases[i].value, r.status, cases[i].status, r.err);
		ck_assert_msg(strstr(r.err, cases[i].says) != NULL, "case %zu: stderr %s, want %s",
			      i, r.err, cases[i].says);
		if (cases[i].status != 0) {
			/* one line, the command's, and no file */
			ck_assert_msg(strncmp(r.err, "sealpact: ", 10) == 0, "case %zu: %s", i,
				      r.err);
			ck_assert_int_ne(access(out, F_OK), 0);
		} else {
			ck_assert_int_eq(access(out, F_OK), 0);
		}
	}
	test_run("rm -rf '%s'", dir);
}
END_TEST

/*
 * sec51: verify names the file it was given, and a file's name is whoever
 * sent it's to choose: an ESC there set the terminal's title, cleared it,
 * or concealed what follows (SGR 8) after a forged "Verdict: VALID" line,
 * and U+202E showed "exe.pdf" as "fdp.exe". Cleaned wherever verify prints
 * it: a file without a signature, one it cannot read, one that is not there.
 */
START_TEST(cli_verify_prints_a_hostile_file_name_clean)
{
	static const char name[] = "x\nVerdict: VALID\033[8m\033]0;owned\007\342\200\256fdp.exe";
	const char *src = getenv("SEALPACT_SOURCE_DIR"), *dir = test_tmpdir_new("cli-name");
	char path[PATH_MAX], cmd[PATH_MAX * 2 + 16];
	const char *args[] = { "verify", path, NULL };
	struct test_cli_run r;
	int k;
	FILE *f;

	ck_assert_ptr_nonnull(src);
	for (k = 0; k < 3; k++) {
		snprintf(path, sizeof(path), "%s/%s%d.pdf", dir, name, k);
		if (k == 0) {
			snprintf(cmd, sizeof(cmd),
				 "cp '%s/tests/fixtures/contracts/short.pdf' '%s'", src, path);
			ck_assert_int_eq(system(cmd), 0);
		} else if (k == 1) {
			ck_assert_ptr_nonnull(f = fopen(path, "w"));
			fputs("%PDF-1.7\nnot a PDF after all\n", f);
			fclose(f);
		} /* k == 2: not there */
		test_cli_run(&r, args, NULL);
		ck_assert_msg(strchr(r.out, 0x1b) == NULL && strchr(r.err, 0x1b) == NULL &&
				      strstr(r.out, "\342\200\256") == NULL &&
				      strstr(r.err, "\342\200\256") == NULL &&
				      strstr(r.out, "\nVerdict: VALID") == NULL &&
				      strstr(r.err, "\nVerdict: VALID") == NULL,
			      "case %d: the file's name reached the terminal raw (exit %d)", k,
			      r.status);
		ck_assert_msg(strstr(k == 0 ? r.out : r.err,
				     "x?Verdict: VALID?[8m?]0;owned??fdp.exe") != NULL,
			      "case %d: %s%s", k, r.out, r.err);
	}
	/* sign --offline names its input and output: signed from the first into the last, whose
	   verification names it with its signature */
	{
		char in[PATH_MAX], seal[PATH_MAX], key[PATH_MAX], cert[PATH_MAX];
		const char *sign[] = { "sign",  "--offline", in,          "-o", path,
				       "--key", key,         "--cert",    cert, "--seal",
				       seal,    "--normal",  "1,300,300", NULL };

		offline_signer_files(dir);
		snprintf(seal, sizeof(seal), "%s/seal.png", dir);
		snprintf(key, sizeof(key), "%s/k.pem", dir);
		snprintf(cert, sizeof(cert), "%s/c.pem", dir);
		snprintf(in, sizeof(in), "%s/%s0.pdf", dir, name);
		test_cli_run(&r, sign, NULL);
		ck_assert_msg(r.status == 0, "sign: exit %d: %s", r.status, r.err);
		ck_assert_msg(strchr(r.out, 0x1b) == NULL && strstr(r.out, "\342\200\256") == NULL,
			      "sign: the files' names reached the terminal raw");
		test_cli_run(&r, args, NULL);
		ck_assert_msg(strstr(r.out, "fdp.exe2.pdf: 1 signature(s)") != NULL &&
				      strchr(r.out, 0x1b) == NULL,
			      "verify of the signed file: exit %d", r.status);
	}
}
END_TEST

/*
 * review54: sec51 cleaned the file names verify and sign --offline print;
 * create and seal upload print theirs raw. A contract file another party
 * sent (create) or a scan from the organization's share (seal upload) is
 * named by whoever made it: the same forged line, hidden text and
 * reversed extension.
 */
START_TEST(cli_create_and_seal_upload_print_a_hostile_file_name_clean)
{
	static const char name[] = "x\nVerdict: VALID\033[8m\033]0;owned\007\342\200\256fdp.exe";
	char tmp[256], path[PATH_MAX];
	const char *create[] = { "--server", base,       "create",     path, "--name",
				 "Lease",    "--signer", "supplier:1", NULL };
	const char *upload[] = { "--server", base, "seal", "upload", "12", path, NULL };
	const char *const *cmds[] = { create, upload };
	struct test_cli_run r;
	size_t k;
	FILE *f;

	test_cli_session_saved(tmp, sizeof(tmp), "cli-names", base);
	for (k = 0; k < SP_ARRAY_LEN(cmds); k++) {
		/* create: a file that is not there; seal upload: one that is no scan */
		snprintf(path, sizeof(path), "%s/%s%zu.pdf", tmp, name, k);
		if (k == 1) {
			ck_assert_ptr_nonnull(f = fopen(path, "w"));
			fputs("not a scan\n", f);
			fclose(f);
		}
		test_cli_run(&r, cmds[k], NULL);
		ck_assert_msg(r.status != 0, "%s: exit 0", cmds[k][2]);
		ck_assert_msg(strchr(r.out, 0x1b) == NULL && strchr(r.err, 0x1b) == NULL &&
				      strstr(r.err, "\342\200\256") == NULL &&
				      strstr(r.err, "\nVerdict: VALID") == NULL,
			      "%s: the file's name reached the terminal raw (exit %d)", cmds[k][2],
			      r.status);
	}
	unsetenv("XDG_CONFIG_HOME");
	test_run("rm -rf '%s'", tmp);
}
END_TEST

/* The first line of path, or "" when it cannot be read. */
static const char *
file_head(const char *path, char *buf, size_t cap)
{
	FILE *f = fopen(path, "r");

	buf[0] = '\0';
	if (f != NULL) {
		if (fgets(buf, (int)cap, f) == NULL)
			buf[0] = '\0';
		fclose(f);
	}
	return buf;
}

/*
 * Every command that writes a file names it with -o FILE (--output FILE):
 * evidence did, download and seal form took it as an argument ("download
 * N 2" wrote the latest revision to a file named 2). The old forms still
 * work and say what to write instead.
 */
START_TEST(cli_output_files_are_named_with_o)
{
	static const struct {
		const char *args[6];
		const char *file;   /* in the test's directory */
		const char *head;   /* its first line */
		const char *stderr; /* exactly */
	} cases[] = {
		{ { "download", "1234567890123456789", "-o", "a.pdf" },
		  "a.pdf",
		  "%PDF-1.7 latest\n",
		  "" },
		{ { "download", "1234567890123456789", "2", "--output", "b.pdf" },
		  "b.pdf",
		  "%PDF-1.7 revision 2\n",
		  "" },
		{ { "download", "-o", "c.pdf", "1234567890123456789", "2" },
		  "c.pdf",
		  "%PDF-1.7 revision 2\n",
		  "" },
		{ { "evidence", "1234567890123456789", "-o", "e.pdf" },
		  "e.pdf",
		  "%PDF-1.7 latest\n",
		  "" },
		{ { "seal", "form", "7", "-o", "f.pdf" }, "f.pdf", "%PDF-1.7 latest\n", "" },
		/* the old forms */
		{ { "download", "1234567890123456789", "old.pdf" },
		  "old.pdf",
		  "%PDF-1.7 latest\n",
		  "sealpact: download: note: the output file as an argument is deprecated; write "
		  "'sealpact download NUMBER [REVISION] -o FILE'\n" },
		{ { "download", "1234567890123456789", "old2.pdf", "2" },
		  "old2.pdf",
		  "%PDF-1.7 revision 2\n",
		  "sealpact: download: note: the output file as an argument is deprecated; write "
		  "'sealpact download NUMBER [REVISION] -o FILE'\n" },
		{ { "seal", "form", "7", "oldform.pdf" },
		  "oldform.pdf",
		  "%PDF-1.7 latest\n",
		  "sealpact: seal form: note: the output file as an argument is deprecated; write "
		  "'sealpact seal form APP_ID -o FILE.pdf'\n" },
	};
	static const struct {
		const char *args[7];
		const char *err;
	} refused[] = {
		{ { "download", "1234567890123456789" },
		  "sealpact: download: give the output file with -o FILE\n"
		  "Run 'sealpact help download' for usage.\n" },
		{ { "download", "1234567890123456789", "2", "3", "-o", "x.pdf" },
		  "sealpact: download: unexpected argument '3'\n"
		  "Run 'sealpact help download' for usage.\n" },
		{ { "download", "1234567890123456789", "two", "-o", "x.pdf" },
		  "sealpact: download: the revision is a number, not 'two'\n"
		  "Run 'sealpact help download' for usage.\n" },
		{ { "download", "12", "-o", "x.pdf" },
		  "sealpact: download: '12' is not a contract number (19 digits, as 'sealpact "
		  "list' "
		  "shows them)\n"
		  "Run 'sealpact help download' for usage.\n" },
		{ { "download", "1234567890123456789", "-o", "" },
		  "sealpact: download: -o wants a file name\n"
		  "Run 'sealpact help download' for usage.\n" },
		{ { "evidence", "1234567890123456789" },
		  "sealpact: evidence: give the report's file with -o FILE\n"
		  "Run 'sealpact help evidence' for usage.\n" },
		{ { "seal", "form", "7" },
		  "sealpact: seal form: give the form's file with -o FILE.pdf\n"
		  "Run 'sealpact help seal' for usage.\n" },
		{ { "seal", "form", "7", "a.pdf", "b.pdf" },
		  "sealpact: seal form: unexpected argument 'b.pdf'\n"
		  "Run 'sealpact help seal' for usage.\n" },
		{ { "sign", "--offline", "in.pdf", "--invisible" },
		  "sealpact: sign: --offline wants IN.pdf -o OUT.pdf\n"
		  "Run 'sealpact help sign' for usage.\n" },
		{ { "sign", "1234567890123456789", "--invisible", "-o", "x.pdf" },
		  "sealpact: sign: -o is for --offline (online the signed contract stays on the "
		  "server: 'sealpact download NUMBER -o FILE')\n"
		  "Run 'sealpact help sign' for usage.\n" },
	};
	const char *help_dl[] = { "help", "download", NULL }, *help[] = { "--help", NULL };
	char tmp[256], path[512], head[64], cwd[PATH_MAX];
	struct test_cli_run r;
	size_t i;
	int before;

	test_cli_session_saved(tmp, sizeof(tmp), "cli-out", base);
	ck_assert_ptr_nonnull(getcwd(cwd, sizeof(cwd)));
	ck_assert_int_eq(chdir(tmp), 0);
	for (i = 0; i < SP_ARRAY_LEN(cases); i++) {
		test_cli_run_at(&r, base, cases[i].args, SP_ARRAY_LEN(cases[i].args));
		ck_assert_msg(r.status == 0, "case %zu: exit %d: %s", i, r.status, r.err);
		ck_assert_msg(strcmp(file_head(cases[i].file, head, sizeof(head)), cases[i].head) ==
				      0,
			      "case %zu: %s holds '%s'", i, cases[i].file, head);
		ck_assert_msg(strcmp(r.err, cases[i].stderr) == 0, "case %zu: stderr '%s'", i,
			      r.err);
		ck_assert_msg(strstr(r.out, cases[i].file) != NULL, "case %zu: stdout '%s'", i,
			      r.out);
	}
	pthread_mutex_lock(&srv.mu);
	before = srv.nrequests;
	pthread_mutex_unlock(&srv.mu);
	for (i = 0; i < SP_ARRAY_LEN(refused); i++) {
		test_cli_run_at(&r, base, refused[i].args, SP_ARRAY_LEN(refused[i].args));
		ck_assert_msg(r.status == 64, "refused %zu: exit %d", i, r.status);
		ck_assert_msg(strcmp(r.err, refused[i].err) == 0, "refused %zu: stderr '%s'", i,
			      r.err);
	}
	pthread_mutex_lock(&srv.mu);
	ck_assert_int_eq(srv.nrequests, before);
	pthread_mutex_unlock(&srv.mu);
	/* the files made above, and the session's directory; x.pdf was never written */
	ck_assert_int_eq(test_dir_count("."), (int)SP_ARRAY_LEN(cases) + 1);
	ck_assert_int_eq(chdir(cwd), 0);
	unsetenv("XDG_CONFIG_HOME");
	/* the help says it, per command and once for all */
	test_cli_run(&r, help_dl, NULL);
	ck_assert_ptr_nonnull(strstr(r.out, "usage: sealpact [OPTIONS] download NUMBER [REVISION] "
					    "-o FILE\n"));
	test_cli_run(&r, help, NULL);
	ck_assert_ptr_nonnull(strstr(r.out, "names it with -o FILE (or --output FILE) and writes "
					    "it whole or not at all"));
	snprintf(path, sizeof(path), "rm -rf %s", tmp);
	ck_assert_int_eq(system(path), 0);
}
END_TEST

/*
 * A file is written whole or not at all: a download the server cuts short,
 * a disk that fills up (the file-size limit stands in for it), a directory
 * that is not there. Each exits non-zero, names the file once, and leaves
 * no file and no temporary one; a copy saved before stays as it was.
 */
START_TEST(cli_output_written_whole_or_not_at_all)
{
	char tmp[256], path[512], head[64], cwd[PATH_MAX];
	const char *cut[] = { "--server", base,       "download", "1111111111111111111",
			      "-o",       "keep.pdf", NULL };
	const char *full[] = { "--server", base,       "download", "1234567890123456789",
			       "-o",       "full.pdf", NULL };
	const char *full_ev[] = { "--server", base,     "evidence", "1234567890123456789",
				  "-o",       "ev.pdf", NULL };
	const char *nodir[] = { "--server",          base, "download", "1234567890123456789", "-o",
				"no/such/dir/x.pdf", NULL };
	struct test_cli_run r;
	FILE *f;

	test_cli_session_saved(tmp, sizeof(tmp), "cli-whole", base);
	ck_assert_ptr_nonnull(getcwd(cwd, sizeof(cwd)));
	ck_assert_int_eq(chdir(tmp), 0);
	f = fopen("keep.pdf", "w");
	ck_assert_ptr_nonnull(f);
	fputs("%PDF-1.7 saved before\n", f);
	fclose(f);
	/* the connection cut mid-body: curl's error, the copy saved before kept */
	test_cli_run(&r, cut, NULL);
	ck_assert_msg(r.status == 69, "exit %d: %s", r.status, r.err);
	ck_assert_str_eq(file_head("keep.pdf", head, sizeof(head)), "%PDF-1.7 saved before\n");
	ck_assert_int_eq(test_dir_count("."), 2);
	/* a full disk */
	test_cli_fsize = 4096;
	test_cli_run(&r, full, NULL);
	ck_assert_msg(r.status == 73, "exit %d: %s", r.status, r.err);
	ck_assert_str_eq(r.err, "sealpact: download: cannot write full.pdf: File too large\n");
	test_cli_run(&r, full_ev, NULL);
	test_cli_fsize = 0;
	ck_assert_msg(r.status == 73, "exit %d: %s", r.status, r.err);
	ck_assert_str_eq(r.err, "sealpact: evidence: cannot write ev.pdf: File too large\n");
	ck_assert_int_eq(test_dir_count("."), 2);
	/* a directory that is not there */
	test_cli_run(&r, nodir, NULL);
	ck_assert_msg(r.status == 73, "exit %d: %s", r.status, r.err);
	ck_assert_str_eq(r.err, "sealpact: download: cannot write no/such/dir/x.pdf: No such file "
				"or directory\n");
	ck_assert_int_eq(test_dir_count("."), 2);
	ck_assert_int_eq(chdir(cwd), 0);
	unsetenv("XDG_CONFIG_HOME");
	snprintf(path, sizeof(path), "rm -rf %s", tmp);
	ck_assert_int_eq(system(path), 0);
}
END_TEST

static Suite *
client_cli_files_suite(void)
{
	Suite *s = suite_create("client_cli_files");
	TCase *cli = tcase_create("cli");

	tcase_add_checked_fixture(cli, setup, teardown);
	tcase_add_test(cli, cli_offline_sign_exit_status_per_cause);
	tcase_add_test(cli, cli_verify_prints_a_hostile_file_name_clean);
	tcase_add_test(cli, cli_create_and_seal_upload_print_a_hostile_file_name_clean);
	tcase_add_test(cli, cli_output_files_are_named_with_o);
	tcase_add_test(cli, cli_output_written_whole_or_not_at_all);
	suite_add_tcase(s, cli);
	return s;
}

int
main(void)
{
	signal(SIGPIPE, SIG_IGN);
	return test_suite_run(client_cli_files_suite());
}
