/*
 * test_client_pin.c: how the terminal reads a token PIN (client/pin.c). A PIN
 * is typed once into a token that locks after a few wrong ones: one too long
 * for the buffer is refused, never cut short and tried; and an interrupt at
 * the prompt leaves the user's terminal echoing again.
 */
#include <check.h>

#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "client.h"
#include "support_tmp.h"

static char dir[320];

/* The test's directory, in the run's (support_tmp.h): nothing stays in /tmp. */
static void
dir_make(void)
{
	snprintf(dir, sizeof(dir), "%s", test_tmpdir_new("pin"));
}

static const char *
pin_file(const char *text)
{
	static char path[384];
	FILE *f;

	snprintf(path, sizeof(path), "%s/pin", dir);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
	return path;
}

START_TEST(pin_file_first_line)
{
	struct sp_errinfo ei;
	char pin[16];

	dir_make();
	sp_errinfo_init(&ei);
	ck_assert_int_eq(client_pin_read(pin_file("123456\r\nother\n"), pin, sizeof(pin), &ei),
			 SP_OK);
	ck_assert_str_eq(pin, "123456");
	/* exactly as long as the buffer holds, without a newline after it */
	ck_assert_int_eq(client_pin_read(pin_file("123456789012345"), pin, sizeof(pin), &ei),
			 SP_OK);
	ck_assert_str_eq(pin, "123456789012345");
	ck_assert_int_eq(client_pin_read(pin_file("123456789012345\n"), pin, sizeof(pin), &ei),
			 SP_OK);
	ck_assert_str_eq(pin, "123456789012345");
	ck_assert_int_eq(client_pin_read(pin_file("\n123456\n"), pin, sizeof(pin), &ei),
			 SP_ERR_INVALID);
	unlink(pin_file(""));
	rmdir(dir);
}
END_TEST

/* Read from SEALPACT_PIN, the PIN leaves the environment and its text is wiped:
 * a child process (a token module's helper) or /proc/PID/environ saw it before. */
START_TEST(pin_from_environment_is_taken_out_of_it)
{
	struct sp_errinfo ei;
	const char *text;
	char pin[16];

	sp_errinfo_init(&ei);
	ck_assert_int_eq(setenv("SEALPACT_PIN", "246810", 1), 0);
	text = getenv("SEALPACT_PIN");
	ck_assert_int_eq(client_pin_read(NULL, pin, sizeof(pin), &ei), SP_OK);
	ck_assert_str_eq(pin, "246810");
	ck_assert_ptr_null(getenv("SEALPACT_PIN"));
	/* glibc never frees setenv's strings, so the old text is still readable */
	ck_assert_str_eq(text, "");
	/* too long: refused, and gone all the same */
	ck_assert_int_eq(setenv("SEALPACT_PIN", "12345678901234567", 1), 0);
	ck_assert_int_eq(client_pin_read(NULL, pin, sizeof(pin), &ei), SP_ERR_INVALID);
	ck_assert_ptr_nonnull(strstr(ei.msg, "too long"));
	ck_assert_ptr_null(getenv("SEALPACT_PIN"));
}
END_TEST

/* One longer than the buffer was its first 15 bytes: a wrong PIN the token counted. */
START_TEST(pin_too_long_is_refused)
{
	struct sp_errinfo ei;
	char pin[16];

	dir_make();
	sp_errinfo_init(&ei);
	ck_assert_int_eq(client_pin_read(pin_file("1234567890123456\n"), pin, sizeof(pin), &ei),
			 SP_ERR_INVALID);
	ck_assert_ptr_nonnull(strstr(ei.msg, "too long"));
	sp_errinfo_init(&ei);
	ck_assert_int_eq(client_pin_read(pin_file("12345678901234567890"), pin, sizeof(pin), &ei),
			 SP_ERR_INVALID);
	ck_assert_ptr_nonnull(strstr(ei.msg, "too long"));
	unlink(pin_file(""));
	rmdir(dir);
}
END_TEST

/* Reads the pty until s shows (or 10 s pass). */
static int
wait_for(int master, const char *s)
{
	char buf[4096];
	size_t n = 0;
	ssize_t k;
	struct pollfd p = { .fd = master, .events = POLLIN };

	while (n + 1 < sizeof(buf) && poll(&p, 1, 10000) == 1) {
		if ((k = read(master, buf + n, sizeof(buf) - 1 - n)) <= 0)
			return 0;
		n += (size_t)k;
		buf[n] = '\0';
		if (strstr(buf, s))
			return 1;
	}
	return 0;
}

/*
 * A child on a new pseudo-terminal that asks for the PIN as `sealpact` does
 * (SIGINT and SIGTERM at their defaults: Check's runner kills its group on
 * these) and exits 0 when it read one (equal to want, unless that is NULL),
 * 3 when the read failed, 4 when it read another.
 */
static pid_t
prompt_child(int *master, const char *want)
{
	pid_t pid = forkpty(master, NULL, NULL, NULL);

	if (pid == 0) {
		struct sp_errinfo ei;
		char pin[64];

		sp_errinfo_init(&ei);
		unsetenv("SEALPACT_PIN");
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		if (client_pin_read(NULL, pin, sizeof(pin), &ei) != SP_OK)
			_exit(3);
		_exit(want == NULL || strcmp(pin, want) == 0 ? 0 : 4);
	}
	return pid;
}

/*
 * The prompt on a terminal: what is typed is not echoed; Ctrl-C (the
 * terminal's SIGINT, and a SIGTERM likewise) ends the program as it would,
 * with the terminal echoing again, not left silent for the shell after it.
 */
START_TEST(interrupted_prompt_restores_echo)
{
	static const int sigs[2] = { SIGINT, SIGTERM };
	struct termios t;
	int master, st = 0;
	pid_t pid = prompt_child(&master, NULL);

	ck_assert_int_ge(pid, 0);
	ck_assert_msg(wait_for(master, "Token PIN: "), "no prompt");
	ck_assert_int_eq(tcgetattr(master, &t), 0);
	ck_assert_msg(!(t.c_lflag & ECHO), "echo on at the prompt");
	if (_i == 0)
		ck_assert_int_eq(write(master, "12\003", 3), 3); /* typed, then Ctrl-C */
	else
		ck_assert_int_eq(kill(pid, sigs[_i]), 0);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_msg(WIFSIGNALED(st) && WTERMSIG(st) == sigs[_i], "status %#x", st);
	ck_assert_int_eq(tcgetattr(master, &t), 0);
	ck_assert_msg(t.c_lflag & ECHO, "the terminal was left without echo");
	close(master);
}
END_TEST

/* The same prompt answered: the PIN as typed, echo back on afterwards. */
START_TEST(prompt_reads_the_typed_pin)
{
	struct termios t;
	int master, st = 0;
	pid_t pid = prompt_child(&master, "654321");

	ck_assert_int_ge(pid, 0);
	ck_assert_msg(wait_for(master, "Token PIN: "), "no prompt");
	ck_assert_int_eq(write(master, "654321\n", 7), 7);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "status %#x", st);
	ck_assert_int_eq(tcgetattr(master, &t), 0);
	ck_assert(t.c_lflag & ECHO);
	close(master);
}
END_TEST

/*
 * Offline with a development key (--key PEM, no token) there is no PIN to
 * ask: the terminal showed "Token PIN:" all the same, and waited for one.
 */
START_TEST(offline_dev_key_asks_no_pin)
{
	const char *bdir = getenv("SEALPACT_BUILD_DIR"), *src = getenv("SEALPACT_SOURCE_DIR");
	char cmd[1024], bin[512], in[512], key[384], cert[384], out[384], got[8192];
	size_t n = 0;
	ssize_t k;
	int master, st = 0;
	pid_t pid;
	struct pollfd p;

	ck_assert_ptr_nonnull(bdir);
	dir_make();
	snprintf(bin, sizeof(bin), "%s/client/sealpact", bdir);
	snprintf(in, sizeof(in), "%s/tests/fixtures/contracts/short.pdf", src ? src : "../..");
	snprintf(key, sizeof(key), "%s/key.pem", dir);
	snprintf(cert, sizeof(cert), "%s/cert.pem", dir);
	snprintf(out, sizeof(out), "%s/out.pdf", dir);
	snprintf(cmd, sizeof(cmd),
		 "openssl req -x509 -newkey rsa:2048 -nodes -keyout %s -out %s -days 2 "
		 "-subj /CN=pin-test >/dev/null 2>&1",
		 key, cert);
	ck_assert_int_eq(system(cmd), 0);
	pid = forkpty(&master, NULL, NULL, NULL);
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		unsetenv("SEALPACT_PIN");
		execl(bin, bin, "sign", "--offline", in, "-o", out, "--invisible", "--key", key,
		      "--cert", cert, "--level", "B-B", (char *)NULL);
		_exit(127);
	}
	/* everything it writes, until it ends (or 20 s pass waiting for a PIN) */
	p.fd = master;
	p.events = POLLIN;
	while (n + 1 < sizeof(got) && poll(&p, 1, 20000) == 1 &&
	       (k = read(master, got + n, sizeof(got) - 1 - n)) > 0)
		n += (size_t)k;
	got[n] = '\0';
	if (strstr(got, "Token PIN") != NULL)
		kill(pid, SIGTERM);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	close(master);
	ck_assert_msg(strstr(got, "Token PIN") == NULL, "asked for a PIN: %s", got);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "status %#x: %s", st, got);
	ck_assert_ptr_nonnull(strstr(got, "Signed "));
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("client_pin");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, pin_file_first_line);
	tcase_add_test(tc, pin_too_long_is_refused);
	tcase_add_test(tc, pin_from_environment_is_taken_out_of_it);
	tcase_add_loop_test(tc, interrupted_prompt_restores_echo, 0, 2);
	tcase_add_test(tc, prompt_reads_the_typed_pin);
	tcase_add_test(tc, offline_dev_key_asks_no_pin);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
