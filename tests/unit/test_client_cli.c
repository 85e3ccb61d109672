/* test_client_cli.c: the sealpact command line (client/main.c) as a user
 * runs it: version and help, usage errors, health against the canned
 * server (test_client_http.h) and an unreachable one, the server's and the
 * alias file's text printed clean, the offline signer's exit status for
 * each kind of bad input. */
#include "../fixtures/pdf-writer/pdfgen.h"
#include "support_shell.h"
#include "support_suite.h"
#include "support_tmp.h"
#include "test_client_http.h"

#include <sys/resource.h>

/* What another organization or a PDF wrote cannot steer the terminal. */
START_TEST(terminal_text_is_neutralized)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "Supply contract", "Supply contract" },
		{ "供货合同（2026）", "供货合同（2026）" },
		{ "\x1b[2J\x1b[H\a", "?[2J?[H?" },                             /* ESC, BEL */
		{ "a\r\nSigned: revision 9\tok", "a??Signed: revision 9?ok" }, /* no fake lines */
		{ "x\x7fy", "x?y" },                                           /* DEL */
		{ "\xc2\x9b"
		  "31m\xc2\x85"
		  "z",
		  "?31m?z" }, /* C1 as UTF-8 */
		{ "\x9b"
		  "31m",
		  "?31m" }, /* C1 as a raw byte */
		{ "\xe2\x80\xae"
		  "cod.exe\xe2\x80\xac",
		  "?cod.exe?" }, /* RLO ... PDF */
		{ "\xe2\x81\xa6"
		  "a\xe2\x81\xa9",
		  "?a?" },                                               /* LRI ... PDI */
		{ "\xe2\x80\x8f\xe2\x80\xa8", "??" },                    /* RLM, LINE SEPARATOR */
		{ "\xc0\xaf\xed\xa0\x80\xf5\x80\x80\x80", "?????????" }, /* overlong, surrogate */
		{ "\xe4\xbe", "??" },                                    /* cut sequence */
		{ "\xf0\x9f\x93\x9c ok", "\xf0\x9f\x93\x9c ok" },        /* 4-byte is fine */
	};
	char out[64];
	json_t *doc;
	size_t i;

	for (i = 0; i < SP_ARRAY_LEN(cases); i++)
		ck_assert_msg(strcmp(client_text_clean(cases[i].in, out, sizeof(out)),
				     cases[i].out) == 0,
			      "case %zu gave \"%s\"", i, out);
	ck_assert_str_eq(client_text_clean(NULL, out, sizeof(out)), "");
	/* A short buffer cuts on a character boundary, never inside one. */
	ck_assert_str_eq(client_text_clean("合同", out, 6), "合");
	ck_assert_str_eq(client_text_clean("ab\x1b", out, 3), "ab");
	/* In a document: cleaned in place, absent members get the default. */
	doc = json_pack("{s:s,s:i}", "name", "x\x1b]0;owned\ay", "n", 1);
	ck_assert_str_eq(client_json_text(doc, "name", "-"), "x?]0;owned?y");
	ck_assert_str_eq(json_string_value(json_object_get(doc, "name")), "x?]0;owned?y");
	ck_assert_str_eq(client_json_text(doc, "n", "-"), "-");
	ck_assert_str_eq(client_json_text(doc, "missing", "-"), "-");
	json_decref(doc);
}
END_TEST

/* ---- the sealpact binary ---- */

struct run {
	int status; /* exit status, or 128 + signal */
	char out[8192];
	char err[8192];
};

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

/* When set, the file-size limit of the next runs (a disk that is full past it). */
static rlim_t child_fsize;

/* Run the built sealpact with args (NULL-terminated) and extra env entries. */
static void
run_cli(struct run *r, const char *const *args, const char *env_server)
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
	for (i = 0; i < SP_ARRAY_LEN(argv) - 2 && args[i] != NULL; i++)
		argv[i + 1] = (char *)args[i];
	argv[i + 1] = NULL;
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		dup2(ofd, 1);
		dup2(efd, 2);
		unsetenv("SEALPACT_SERVER");
		unsetenv("SEALPACT_CACERT");
		if (child_fsize > 0) {
			/* a full disk: writes past it fail with EFBIG, not the signal */
			struct rlimit lim = { child_fsize, child_fsize };

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

START_TEST(cli_version_and_help)
{
	struct run r;
	const char *version[] = { "--version", NULL };
	const char *help[] = { "--help", NULL };
	const char *help_cmd[] = { "help", "health", NULL };
	const char *cmd_help[] = { "health", "--help", NULL };
	const char *help_list[] = { "help", "list", NULL };
	const char *help_verify[] = { "help", "verify", NULL };

	run_cli(&r, version, NULL);
	ck_assert_int_eq(r.status, 0);
	ck_assert_msg(strncmp(r.out, "sealpact " SEALPACT_VERSION " (", 10) == 0, "%s", r.out);
	run_cli(&r, help, NULL);
	ck_assert_int_eq(r.status, 0);
	ck_assert_ptr_nonnull(strstr(r.out, "\n  health "));
	ck_assert_ptr_nonnull(strstr(r.out, "\n  help "));
	ck_assert_ptr_nonnull(strstr(r.out, "--cacert FILE"));
	run_cli(&r, help_cmd, NULL);
	ck_assert_int_eq(r.status, 0);
	ck_assert_ptr_nonnull(strstr(r.out, "usage: sealpact [OPTIONS] health"));
	ck_assert_ptr_nonnull(strstr(r.out, "/readyz"));
	run_cli(&r, cmd_help, NULL);
	ck_assert_int_eq(r.status, 0);
	ck_assert_ptr_nonnull(strstr(r.out, "usage: sealpact [OPTIONS] health"));
	/* list's filters say what they take: T was both a business type and a time */
	run_cli(&r, help_list, NULL);
	ck_assert_int_eq(r.status, 0);
	ck_assert_ptr_nonnull(strstr(r.out, "[--from TIME] [--to TIME]"));
	ck_assert_ptr_nonnull(strstr(r.out, "draft, signing, completed, rejected, cancelled or "
					    "expired"));
	ck_assert_ptr_nonnull(strstr(r.out, "RFC 3339"));
	/* and verify says what each of its options is for */
	run_cli(&r, help_verify, NULL);
	ck_assert_int_eq(r.status, 0);
	ck_assert_ptr_nonnull(strstr(r.out, "\n--intermediate PEM adds"));
	ck_assert_ptr_nonnull(strstr(r.out, "--crl F a\nCRL"));
	ck_assert_ptr_nonnull(strstr(r.out, "--tsa-trust PEM the roots"));
}
END_TEST

START_TEST(cli_usage_errors_exit_64)
{
	static const char *const cases[][4] = {
		{ NULL },
		{ "frobnicate", NULL },
		{ "help", "frobnicate", NULL },
		{ "--bogus", "health", NULL },
		{ "--timeout", "0", "health", NULL },
		{ "--timeout", "ten", "health", NULL },
		{ "--server", "ftp://127.0.0.1", "health", NULL },
		{ "health", "extra", NULL },
	};
	static const char *const says[] = {
		"usage: sealpact",
		"unknown command 'frobnicate'",
		"unknown command 'frobnicate'",
		"unknown option '--bogus'",
		"--timeout: '0'",
		"--timeout: 'ten'",
		"not an http:// or https:// URL",
		"unexpected argument 'extra'",
	};
	struct run r;
	size_t i;

	for (i = 0; i < SP_ARRAY_LEN(cases); i++) {
		run_cli(&r, cases[i], NULL);
		ck_assert_msg(r.status == 64, "case %zu: exit %d", i, r.status);
		ck_assert_msg(strstr(r.err, says[i]) != NULL, "case %zu: stderr '%s'", i, r.err);
	}
	/* Nothing was sent for any of them. */
	pthread_mutex_lock(&srv.mu);
	ck_assert_int_eq(srv.nrequests, 0);
	pthread_mutex_unlock(&srv.mu);
}
END_TEST

/*
 * Every usage error reads alike, whichever command and whatever went wrong:
 * "sealpact: COMMAND: what", the option or argument named as typed, then
 * where to look, and nothing more; exit 64 and no request. Before, getopt
 * spoke under the command's bare name or the binary's path, list gave no
 * hint, login said it twice, whoami did not name the argument, seal alone
 * printed "seal :", and verify had a shape of its own.
 */
START_TEST(cli_usage_errors_read_alike)
{
	static const struct {
		const char *args[5];
		const char *err;
	} cases[] = {
		{ { "--bogus", "health" },
		  "sealpact: unknown option '--bogus'\nRun 'sealpact --help' for usage.\n" },
		{ { "--server" },
		  "sealpact: option '--server' needs a value\nRun 'sealpact --help' for usage.\n" },
		{ { "-x" }, "sealpact: unknown option '-x'\nRun 'sealpact --help' for usage.\n" },
		{ { "help", "frobnicate" },
		  "sealpact: help: unknown command 'frobnicate'\nRun 'sealpact --help' for "
		  "usage.\n" },
		{ { "login", "--bogus" },
		  "sealpact: login: unknown option '--bogus'\nRun 'sealpact help login' for "
		  "usage.\n" },
		{ { "login", "--module" },
		  "sealpact: login: option '--module' needs a value\n"
		  "Run 'sealpact help login' for usage.\n" },
		{ { "whoami", "extra" },
		  "sealpact: whoami: unexpected argument 'extra'\n"
		  "Run 'sealpact help whoami' for usage.\n" },
		{ { "logout", "extra" },
		  "sealpact: logout: unexpected argument 'extra'\n"
		  "Run 'sealpact help logout' for usage.\n" },
		{ { "list", "--bogus" },
		  "sealpact: list: unknown option '--bogus'\nRun 'sealpact help list' for "
		  "usage.\n" },
		{ { "list", "--page" },
		  "sealpact: list: option '--page' needs a value\n"
		  "Run 'sealpact help list' for usage.\n" },
		{ { "create", "x.pdf", "--name" },
		  "sealpact: create: option '--name' needs a value\n"
		  "Run 'sealpact help create' for usage.\n" },
		{ { "edit", "--zz" },
		  "sealpact: edit: unknown option '--zz'\nRun 'sealpact help edit' for usage.\n" },
		{ { "evidence", "-x" },
		  "sealpact: evidence: unknown option '-x'\nRun 'sealpact help evidence' for "
		  "usage.\n" },
		{ { "evidence", "1234567890123456789", "-o" },
		  "sealpact: evidence: option '-o' needs a value\n"
		  "Run 'sealpact help evidence' for usage.\n" },
		{ { "sign", "--bogus" },
		  "sealpact: sign: unknown option '--bogus'\nRun 'sealpact help sign' for "
		  "usage.\n" },
		{ { "seal" },
		  "sealpact: seal: name what to do: apply, form, upload, submit, modify, "
		  "cancel, show, change, list or install\n"
		  "Run 'sealpact help seal' for usage.\n" },
		{ { "seal", "apply", "--bogus" },
		  "sealpact: seal apply: unknown option '--bogus'\n"
		  "Run 'sealpact help seal' for usage.\n" },
		{ { "seal", "list", "extra" },
		  "sealpact: seal list: unexpected argument 'extra'\n"
		  "Run 'sealpact help seal' for usage.\n" },
		/* a wrong contract number is named; what is missing or extra is said */
		{ { "show", "12" },
		  "sealpact: show: '12' is not a contract number (19 digits, as 'sealpact list' "
		  "shows them)\nRun 'sealpact help show' for usage.\n" },
		{ { "delete" },
		  "sealpact: delete: give the 19-digit number of a draft\n"
		  "Run 'sealpact help delete' for usage.\n" },
		{ { "send", "1234567890123456789", "x" },
		  "sealpact: send: unexpected argument 'x'\nRun 'sealpact help send' for "
		  "usage.\n" },
		{ { "reject", "1234567890123456789" },
		  "sealpact: reject: give the reason after the number\n"
		  "Run 'sealpact help reject' for usage.\n" },
		{ { "reject", "1234567890123456789", "too", "dear" },
		  "sealpact: reject: unexpected argument 'dear' (put a reason of several words in "
		  "quotes)\nRun 'sealpact help reject' for usage.\n" },
		{ { "whoami", "--json", "--all" },
		  "sealpact: whoami: --json and --all exclude each other\n"
		  "Run 'sealpact help whoami' for usage.\n" },
		{ { "whoami", "--bogus" },
		  "sealpact: whoami: unknown option '--bogus'\n"
		  "Run 'sealpact help whoami' for usage.\n" },
		/* the IDs named as the help names them, and what to give */
		{ { "seal", "frobnicate" },
		  "sealpact: seal: unknown subcommand 'frobnicate': apply, form, upload, submit, "
		  "modify, cancel, show, change, list or install\n"
		  "Run 'sealpact help seal' for usage.\n" },
		{ { "seal", "show" },
		  "sealpact: seal show: give an application ID ('seal apply' printed it)\n"
		  "Run 'sealpact help seal' for usage.\n" },
		{ { "seal", "cancel", "x1" },
		  "sealpact: seal cancel: 'x1' is not an application ID ('seal apply' printed "
		  "it)\nRun 'sealpact help seal' for usage.\n" },
		{ { "seal", "submit", "5", "6" },
		  "sealpact: seal submit: unexpected argument '6'\n"
		  "Run 'sealpact help seal' for usage.\n" },
		{ { "seal", "upload", "5" },
		  "sealpact: seal upload: give the scan's file (PDF, PNG or JPEG)\n"
		  "Run 'sealpact help seal' for usage.\n" },
		{ { "seal", "modify", "5", "x" },
		  "sealpact: seal modify: unexpected argument 'x'\n"
		  "Run 'sealpact help seal' for usage.\n" },
		{ { "seal", "change" },
		  "sealpact: seal change: give a seal ID ('seal list' shows it)\n"
		  "Run 'sealpact help seal' for usage.\n" },
		{ { "seal", "install", "--module", "m.so" },
		  "sealpact: seal install: give a seal ID ('seal list' shows it)\n"
		  "Run 'sealpact help seal' for usage.\n" },
		{ { "verify" },
		  "sealpact: verify: give exactly one FILE\nRun 'sealpact help verify' for "
		  "usage.\n" },
		{ { "verify", "--at" },
		  "sealpact: verify: option '--at' needs a value\n"
		  "Run 'sealpact help verify' for usage.\n" },
		{ { "verify", "--bogus", "x.pdf" },
		  "sealpact: verify: unknown option '--bogus'\n"
		  "Run 'sealpact help verify' for usage.\n" },
	};
	struct run r;
	size_t i;

	for (i = 0; i < SP_ARRAY_LEN(cases); i++) {
		run_cli(&r, cases[i].args, NULL);
		ck_assert_msg(r.status == 64, "case %zu: exit %d", i, r.status);
		ck_assert_msg(strcmp(r.err, cases[i].err) == 0, "case %zu: stderr '%s'", i, r.err);
		ck_assert_msg(r.out[0] == '\0', "case %zu: stdout '%s'", i, r.out);
	}
	/* a file that is not there is named once */
	{
		const char *args[] = { "verify", "/nonexistent/x.pdf", NULL };

		run_cli(&r, args, NULL);
		ck_assert_int_eq(r.status, 66);
		ck_assert_str_eq(r.err, "sealpact: verify: /nonexistent/x.pdf: No such file or "
					"directory\n");
	}
	pthread_mutex_lock(&srv.mu);
	ck_assert_int_eq(srv.nrequests, 0);
	pthread_mutex_unlock(&srv.mu);
}
END_TEST

START_TEST(cli_health_ok_not_ready_and_unreachable)
{
	struct run r;
	char dead[64];
	const char *health_at[] = { "--server", base, "health", NULL };
	const char *health_env[] = { "--timeout", "5", "health", NULL };
	const char *health_dead[] = { "--server", dead, "health", NULL };

	run_cli(&r, health_at, NULL);
	ck_assert_msg(r.status == 0, "exit %d: %s%s", r.status, r.out, r.err);
	ck_assert_ptr_nonnull(strstr(r.out, "/healthz: 200 OK"));
	ck_assert_ptr_nonnull(strstr(r.out, "/readyz: 200 OK"));

	pthread_mutex_lock(&srv.mu);
	srv.readyz_status = 503;
	pthread_mutex_unlock(&srv.mu);
	/* SEALPACT_SERVER is the default for --server. */
	run_cli(&r, health_env, base);
	ck_assert_int_eq(r.status, 1);
	ck_assert_ptr_nonnull(strstr(r.out, "/healthz: 200 OK"));
	ck_assert_ptr_nonnull(strstr(r.out, "/readyz: 503 Service Unavailable (db_unavailable): "
					    "the database is unreachable"));

	snprintf(dead, sizeof(dead), "http://127.0.0.1:%d", dead_port());
	run_cli(&r, health_dead, NULL);
	ck_assert_int_eq(r.status, 69);
	ck_assert_ptr_nonnull(strstr(r.err, "cannot reach the server"));
	ck_assert_ptr_nonnull(strstr(r.err, "onnect"));
}
END_TEST

/*
 * A fresh directory at tmp (short: the paths made from it are sized for
 * that) holding a saved session for the canned server, and XDG_CONFIG_HOME
 * pointing at it: the CLI runs as if logged in.
 */
static void
session_saved(char *tmp, size_t cap, const char *name)
{
	char path[512];
	FILE *f;

	ck_assert_uint_lt((size_t)snprintf(tmp, cap, "%s", test_tmpdir_new(name)), cap);
	snprintf(path, sizeof(path), "%s/sealpact", tmp);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/sealpact/session.json", tmp);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fprintf(f, "{\"server\":\"%s\",\"token\":\"t0k\"}", base);
	fclose(f);
	ck_assert_int_eq(chmod(path, 0600), 0);
	setenv("XDG_CONFIG_HOME", tmp, 1);
}

/*
 * sign prints the server's prepare before it asks the PIN: the session, its
 * expiry and the date seal's zone, none of them raw (an ESC there set the
 * terminal's title, cleared it, or forged a line).
 */
START_TEST(cli_sign_prints_the_servers_text_clean)
{
	char tmp[48], path[512], cert[64], key[64];
	const char *sign[] = { "--server",    base,    "sign", "1234567890123456789",
			       "--invisible", "--key", key,    "--cert",
			       cert,          NULL };
	struct run r;

	session_saved(tmp, sizeof(tmp), "cli-sign");
	snprintf(key, sizeof(key), "%s/key.pem", tmp);
	snprintf(cert, sizeof(cert), "%s/cert.pem", tmp);
	snprintf(path, sizeof(path),
		 "openssl req -x509 -newkey rsa:2048 -nodes -keyout %s -out %s -days 2 "
		 "-subj /CN=sign-test >/dev/null 2>&1",
		 key, cert);
	ck_assert_int_eq(system(path), 0);
	run_cli(&r, sign, NULL);
	unsetenv("XDG_CONFIG_HOME");
	ck_assert_msg(strstr(r.out, "signing session s?[2J1 (expires 2030?[H)") != NULL, "%s",
		      r.out);
	ck_assert_msg(strstr(r.out, "Date seal and signing time in Asia/?]0;owned?Shanghai") !=
			      NULL,
		      "%s", r.out);
	ck_assert_msg(strchr(r.out, 0x1b) == NULL && strchr(r.err, 0x1b) == NULL, "%s%s", r.out,
		      r.err);
	/* the token's algorithm is not the "none" asked for: nothing signed */
	ck_assert_int_ne(r.status, 0);
	snprintf(path, sizeof(path), "rm -rf %s", tmp);
	ck_assert_int_eq(system(path), 0);
}
END_TEST

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
	struct run r;
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
		run_cli(&r, args, NULL);
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
		run_cli(&r, sign, NULL);
		ck_assert_msg(r.status == 0, "sign: exit %d: %s", r.status, r.err);
		ck_assert_msg(strchr(r.out, 0x1b) == NULL && strstr(r.out, "\342\200\256") == NULL,
			      "sign: the files' names reached the terminal raw");
		run_cli(&r, args, NULL);
		ck_assert_msg(strstr(r.out, "fdp.exe2.pdf: 1 signature(s)") != NULL &&
				      strchr(r.out, 0x1b) == NULL,
			      "verify of the signed file: exit %d", r.status);
	}
}
END_TEST

/*
 * Numbers and times on the command line are checked before anything is
 * sent: a list page out of 1..100000 or a page size out of 1..100 (atoll
 * read "12abc" as 12 and "abc" as 0), a --at time that is no RFC 3339
 * instant (sscanf read "2026- 1-01" as January, and timegm moved February 31
 * to March 3). Each is exit 64 with a message that names the flag, and no
 * request reaches the server even with a saved session.
 */
START_TEST(cli_numbers_and_times_are_checked_before_sending)
{
	static const char *const cases[][5] = {
		{ "list", "--page", "0", NULL },
		{ "list", "--page", "12abc", NULL },
		{ "list", "--page", "99999999999999999999", NULL },
		{ "list", "--page-size", "101", NULL },
		{ "list", "--page-size", " 5", NULL },
		{ "verify", "--at", "2026- 1-01T00:00:00Z", "x.pdf", NULL },
		{ "verify", "--at", "2026-02-31T00:00:00Z", "x.pdf", NULL },
		{ "verify", "--at", "2026-01-01T00:00:00", "x.pdf", NULL },
	};
	static const char *const says[] = {
		"--page wants a number from 1 to 100000",
		"--page wants a number from 1 to 100000",
		"--page wants a number from 1 to 100000",
		"--page-size wants a number from 1 to 100",
		"--page-size wants a number from 1 to 100",
		"\"2026- 1-01T00:00:00Z\" is not of the form",
		"\"2026-02-31T00:00:00Z\" is not a day of the calendar",
		"is without a zone",
	};
	char tmp[48], path[512];
	const char *args[8];
	struct run r;
	size_t i, n;

	session_saved(tmp, sizeof(tmp), "cli-nums");
	for (i = 0; i < SP_ARRAY_LEN(cases); i++) {
		n = 0;
		args[n++] = "--server";
		args[n++] = base;
		for (; cases[i][n - 2] != NULL; n++)
			args[n] = cases[i][n - 2];
		args[n] = NULL;
		run_cli(&r, args, NULL);
		ck_assert_msg(r.status == 64 && strstr(r.err, says[i]) != NULL,
			      "case %zu (%s %s): exit %d, stderr '%s'", i, cases[i][1], cases[i][2],
			      r.status, r.err);
	}
	unsetenv("XDG_CONFIG_HOME");
	pthread_mutex_lock(&srv.mu);
	ck_assert_int_eq(srv.nrequests, 0);
	pthread_mutex_unlock(&srv.mu);
	snprintf(path, sizeof(path), "rm -rf %s", tmp);
	ck_assert_int_eq(system(path), 0);
}
END_TEST

/*
 * An alias file saved with CRLF line ends (an editor on Windows): its
 * credit code went to the server with the '\r' on it, and the server
 * refused a code the user never typed.
 */
START_TEST(cli_alias_file_with_crlf)
{
	char tmp[48], path[512], pdf[64], aliases[64];
	const char *create[] = { "--server", base,       "create",     pdf, "--name",
				 "Lease",    "--signer", "supplier:1", NULL };
	char last[sizeof(srv.last)];
	struct run r;
	FILE *f;

	session_saved(tmp, sizeof(tmp), "cli-alias");
	snprintf(pdf, sizeof(pdf), "%s/c.pdf", tmp);
	f = fopen(pdf, "w");
	ck_assert_ptr_nonnull(f);
	fputs("%PDF-1.4\n%%EOF\n", f);
	fclose(f);
	snprintf(aliases, sizeof(aliases), "%s/aliases.tsv", tmp);
	f = fopen(aliases, "w");
	ck_assert_ptr_nonnull(f);
	fputs("buyer\tBuyer Ltd\t91110000MA0000001A\r\n"
	      "supplier\tSupplier Ltd\t91310000MA0000002B\r\n",
	      f);
	fclose(f);
	setenv("SEALPACT_ALIASES", aliases, 1);
	run_cli(&r, create, NULL);
	unsetenv("SEALPACT_ALIASES");
	unsetenv("XDG_CONFIG_HOME");
	pthread_mutex_lock(&srv.mu);
	memcpy(last, srv.last, sizeof(last));
	pthread_mutex_unlock(&srv.mu);
	ck_assert_msg(strstr(last, "\"credit_code\":\"91310000MA0000002B\"") != NULL, "%s", last);
	ck_assert_msg(strstr(last, "\"name\":\"Supplier Ltd\"") != NULL, "%s", last);
	snprintf(path, sizeof(path), "rm -rf %s", tmp);
	ck_assert_int_eq(system(path), 0);
}
END_TEST

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
	struct run r;

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
		run_cli(&r, args, NULL);
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
	const char *args[12], *help_dl[] = { "help", "download", NULL },
			      *help[] = { "--help", NULL };
	char tmp[48], path[512], head[64], cwd[PATH_MAX];
	struct run r;
	size_t i, n;
	int before;

	session_saved(tmp, sizeof(tmp), "cli-out");
	ck_assert_ptr_nonnull(getcwd(cwd, sizeof(cwd)));
	ck_assert_int_eq(chdir(tmp), 0);
	for (i = 0; i < SP_ARRAY_LEN(cases); i++) {
		n = 0;
		args[n++] = "--server";
		args[n++] = base;
		for (; n - 2 < SP_ARRAY_LEN(cases[i].args) && cases[i].args[n - 2] != NULL; n++)
			args[n] = cases[i].args[n - 2];
		args[n] = NULL;
		run_cli(&r, args, NULL);
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
		n = 0;
		args[n++] = "--server";
		args[n++] = base;
		for (; n - 2 < SP_ARRAY_LEN(refused[i].args) && refused[i].args[n - 2] != NULL; n++)
			args[n] = refused[i].args[n - 2];
		args[n] = NULL;
		run_cli(&r, args, NULL);
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
	run_cli(&r, help_dl, NULL);
	ck_assert_ptr_nonnull(strstr(r.out, "usage: sealpact [OPTIONS] download NUMBER [REVISION] "
					    "-o FILE\n"));
	run_cli(&r, help, NULL);
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
	char tmp[48], path[512], head[64], cwd[PATH_MAX];
	const char *cut[] = { "--server", base,       "download", "1111111111111111111",
			      "-o",       "keep.pdf", NULL };
	const char *full[] = { "--server", base,       "download", "1234567890123456789",
			       "-o",       "full.pdf", NULL };
	const char *full_ev[] = { "--server", base,     "evidence", "1234567890123456789",
				  "-o",       "ev.pdf", NULL };
	const char *nodir[] = { "--server",          base, "download", "1234567890123456789", "-o",
				"no/such/dir/x.pdf", NULL };
	struct run r;
	FILE *f;

	session_saved(tmp, sizeof(tmp), "cli-whole");
	ck_assert_ptr_nonnull(getcwd(cwd, sizeof(cwd)));
	ck_assert_int_eq(chdir(tmp), 0);
	f = fopen("keep.pdf", "w");
	ck_assert_ptr_nonnull(f);
	fputs("%PDF-1.7 saved before\n", f);
	fclose(f);
	/* the connection cut mid-body: curl's error, the copy saved before kept */
	run_cli(&r, cut, NULL);
	ck_assert_msg(r.status == 69, "exit %d: %s", r.status, r.err);
	ck_assert_str_eq(file_head("keep.pdf", head, sizeof(head)), "%PDF-1.7 saved before\n");
	ck_assert_int_eq(test_dir_count("."), 2);
	/* a full disk */
	child_fsize = 4096;
	run_cli(&r, full, NULL);
	ck_assert_msg(r.status == 73, "exit %d: %s", r.status, r.err);
	ck_assert_str_eq(r.err, "sealpact: download: cannot write full.pdf: File too large\n");
	run_cli(&r, full_ev, NULL);
	child_fsize = 0;
	ck_assert_msg(r.status == 73, "exit %d: %s", r.status, r.err);
	ck_assert_str_eq(r.err, "sealpact: evidence: cannot write ev.pdf: File too large\n");
	ck_assert_int_eq(test_dir_count("."), 2);
	/* a directory that is not there */
	run_cli(&r, nodir, NULL);
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

/*
 * review50: an unknown short option at the start of a word of short
 * options ("-xq") leaves getopt inside that word, so argv[optind - 1] is
 * the word before it; when that word is a long option (--json),
 * client_option_error names it, a valid option, as the unknown one.
 */
START_TEST(cli_usage_error_names_the_short_option_after_a_long_one)
{
	const char *args[] = { "verify", "--json", "-xq", "x.pdf", NULL };
	struct run r;

	run_cli(&r, args, NULL);
	ck_assert_int_eq(r.status, 64);
	ck_assert_msg(strcmp(r.err, "sealpact: verify: unknown option '-x'\n"
				    "Run 'sealpact help verify' for usage.\n") == 0,
		      "stderr '%s'", r.err);
}
END_TEST

static Suite *
client_cli_suite(void)
{
	Suite *s = suite_create("client_cli");
	TCase *cli = tcase_create("cli");

	tcase_add_checked_fixture(cli, setup, teardown);
	tcase_add_test(cli, cli_version_and_help);
	tcase_add_test(cli, terminal_text_is_neutralized);
	tcase_add_test(cli, cli_usage_errors_exit_64);
	tcase_add_test(cli, cli_usage_errors_read_alike);
	tcase_add_test(cli, cli_usage_error_names_the_short_option_after_a_long_one);
	tcase_add_test(cli, cli_health_ok_not_ready_and_unreachable);
	tcase_add_test(cli, cli_sign_prints_the_servers_text_clean);
	tcase_add_test(cli, cli_verify_prints_a_hostile_file_name_clean);
	tcase_add_test(cli, cli_alias_file_with_crlf);
	tcase_add_test(cli, cli_numbers_and_times_are_checked_before_sending);
	tcase_add_test(cli, cli_offline_sign_exit_status_per_cause);
	tcase_add_test(cli, cli_output_files_are_named_with_o);
	tcase_add_test(cli, cli_output_written_whole_or_not_at_all);
	suite_add_tcase(s, cli);
	return s;
}

int
main(void)
{
	signal(SIGPIPE, SIG_IGN);
	return test_suite_run(client_cli_suite());
}
