/*
 * test_client_cli_session.c: the sealpact command line with a saved session
 * (support_cli.h) against the canned server (test_client_http.h): what the
 * server sent printed clean, numbers and times checked before anything is
 * sent, the alias file read as an editor saved it.
 */
#include "support_cli.h"
#include "support_shell.h"
#include "support_suite.h"
#include "support_tmp.h"
#include "test_client_http.h"

/*
 * sign prints the server's prepare before it asks the PIN: the session, its
 * expiry and the date seal's zone, none of them raw (an ESC there set the
 * terminal's title, cleared it, or forged a line).
 */
START_TEST(cli_sign_prints_the_servers_text_clean)
{
	char tmp[256], path[1024], cert[320], key[320];
	const char *sign[] = { "--server",    base,    "sign", "1234567890123456789",
			       "--invisible", "--key", key,    "--cert",
			       cert,          NULL };
	struct test_cli_run r;

	test_cli_session_saved(tmp, sizeof(tmp), "cli-sign", base);
	snprintf(key, sizeof(key), "%s/key.pem", tmp);
	snprintf(cert, sizeof(cert), "%s/cert.pem", tmp);
	snprintf(path, sizeof(path),
		 "openssl req -x509 -newkey rsa:2048 -nodes -keyout %s -out %s -days 2 "
		 "-subj /CN=sign-test >/dev/null 2>&1",
		 key, cert);
	ck_assert_int_eq(system(path), 0);
	test_cli_run(&r, sign, NULL);
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
		{ "list", "--from", "2026-01-01", NULL },
		{ "list", "--to", "2026-13-01T00:00:00Z", NULL },
		{ "list", "--tab", "mine", NULL },
		{ "list", "--status", "signed", NULL },
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
		"--from wants an RFC 3339 time such as 2026-01-01T00:00:00Z; \"2026-01-01\" is not "
		"of the form",
		"--to wants an RFC 3339 time such as 2026-01-01T00:00:00Z; "
		"\"2026-13-01T00:00:00Z\" "
		"is not a day of the calendar",
		"--tab is todo, initiated, signed, cc or drafts, not 'mine'",
		"--status is draft, signing, completed, rejected, cancelled or expired, not "
		"'signed'",
	};
	char tmp[256], path[512];
	struct test_cli_run r;
	size_t i;

	test_cli_session_saved(tmp, sizeof(tmp), "cli-nums", base);
	for (i = 0; i < SP_ARRAY_LEN(cases); i++) {
		test_cli_run_at(&r, base, cases[i], SP_ARRAY_LEN(cases[i]));
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
 * Not logged in, a command's values are judged first: "list --tab foo" (or
 * a bad --status, --from, --to) said "not logged in", and "sign" alone
 * asked for a seal placement before the contract; each is now the usage
 * error it is.
 */
START_TEST(cli_values_are_judged_before_the_login)
{
	static const struct {
		const char *args[4];
		const char *err;
	} cases[] = {
		{ { "list", "--tab", "foo" },
		  "sealpact: list: --tab is todo, initiated, signed, cc or drafts, not 'foo'\n"
		  "Run 'sealpact help list' for usage.\n" },
		{ { "list", "--status", "open" },
		  "sealpact: list: --status is draft, signing, completed, rejected, cancelled or "
		  "expired, not 'open'\nRun 'sealpact help list' for usage.\n" },
		{ { "list", "--from", "yesterday" },
		  "sealpact: list: --from wants an RFC 3339 time such as 2026-01-01T00:00:00Z; "
		  "\"yesterday\" is not of the form 2026-12-31T18:00:00+08:00\n"
		  "Run 'sealpact help list' for usage.\n" },
		{ { "list", "--to", "2026-01-01T00:00:00" },
		  "sealpact: list: --to wants an RFC 3339 time such as 2026-01-01T00:00:00Z; "
		  "\"2026-01-01T00:00:00\" is without a zone (Z or an offset such as +08:00) at "
		  "its end\n"
		  "Run 'sealpact help list' for usage.\n" },
		{ { "sign" },
		  "sealpact: sign: give the contract's 19-digit number (or --offline IN.pdf -o "
		  "OUT.pdf)\nRun 'sealpact help sign' for usage.\n" },
		{ { "sign", "--invisible" },
		  "sealpact: sign: give the contract's 19-digit number (or --offline IN.pdf -o "
		  "OUT.pdf)\nRun 'sealpact help sign' for usage.\n" },
		{ { "sign", "12", "--invisible" },
		  "sealpact: sign: '12' is not a contract number (19 digits, as 'sealpact list' "
		  "shows them)\nRun 'sealpact help sign' for usage.\n" },
		{ { "sign", "1234567890123456789", "x", "--invisible" },
		  "sealpact: sign: unexpected argument 'x'\nRun 'sealpact help sign' for "
		  "usage.\n" },
		{ { "sign", "--offline" },
		  "sealpact: sign: --offline wants IN.pdf -o OUT.pdf\n"
		  "Run 'sealpact help sign' for usage.\n" },
	};
	struct test_cli_run r;
	size_t i;

	/* a configuration directory without a session */
	setenv("XDG_CONFIG_HOME", test_tmpdir_new("cli-nologin"), 1);
	for (i = 0; i < SP_ARRAY_LEN(cases); i++) {
		test_cli_run_at(&r, base, cases[i].args, SP_ARRAY_LEN(cases[i].args));
		ck_assert_msg(r.status == 64, "case %zu: exit %d: %s", i, r.status, r.err);
		ck_assert_msg(strcmp(r.err, cases[i].err) == 0, "case %zu: stderr '%s'", i, r.err);
	}
	unsetenv("XDG_CONFIG_HOME");
	pthread_mutex_lock(&srv.mu);
	ck_assert_int_eq(srv.nrequests, 0);
	pthread_mutex_unlock(&srv.mu);
}
END_TEST

/*
 * logout, not logged in, is done: exit 0 with a note on stderr, as when the
 * server had already ended the session (401). It exited 1, which failed a
 * script's cleanup (a trap under set -e) for a session that had expired.
 */
START_TEST(cli_logout_not_logged_in_is_done)
{
	const char *logout[] = { "--server", base, "logout", NULL },
		   *help[] = { "help", "logout", NULL };
	char want[128];
	struct test_cli_run r;

	setenv("XDG_CONFIG_HOME", test_tmpdir_new("cli-logout"), 1);
	test_cli_run(&r, logout, NULL);
	unsetenv("XDG_CONFIG_HOME");
	snprintf(want, sizeof(want),
		 "sealpact: logout: note: not logged in to %s; nothing to end\n", base);
	ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
	ck_assert_str_eq(r.err, want);
	ck_assert_str_eq(r.out, "");
	pthread_mutex_lock(&srv.mu);
	ck_assert_int_eq(srv.nrequests, 0);
	pthread_mutex_unlock(&srv.mu);
	test_cli_run(&r, help, NULL);
	ck_assert_msg(strstr(r.out, "nothing to end,\nexit 0 with a note.\n") != NULL, "%s", r.out);
}
END_TEST

/*
 * A damaged session file is exit 78 (EX_CONFIG) for every command, as
 * --help says: whoami and logout said 1, the status of the server's no.
 */
START_TEST(cli_damaged_session_is_78)
{
	static const char *const cmds[] = { "whoami", "logout", "list" };
	const char *args[] = { "--server", base, NULL, NULL };
	char tmp[256], path[320];
	struct test_cli_run r;
	size_t i;
	FILE *f;

	test_cli_session_saved(tmp, sizeof(tmp), "cli-damaged", base);
	snprintf(path, sizeof(path), "%s/sealpact/session.json", tmp);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs("{\"server\":", f);
	fclose(f);
	for (i = 0; i < SP_ARRAY_LEN(cmds); i++) {
		args[2] = cmds[i];
		test_cli_run(&r, args, NULL);
		ck_assert_msg(r.status == 78 && strstr(r.err, "session.json is damaged") != NULL,
			      "%s: exit %d: %s", cmds[i], r.status, r.err);
	}
	unsetenv("XDG_CONFIG_HOME");
	pthread_mutex_lock(&srv.mu);
	ck_assert_int_eq(srv.nrequests, 0);
	pthread_mutex_unlock(&srv.mu);
	test_run("rm -rf '%s'", tmp);
}
END_TEST

/*
 * SEALPACT_TOKEN is the USB token's label (help login, the README's
 * settings), which login, sign and seal install read; the other commands
 * also sent it to the server as the bearer, in place of the saved session,
 * so that with it exported "list" answered 401. A bearer for scripts (an
 * organization API key) is SEALPACT_API_KEY.
 */
START_TEST(cli_token_label_is_never_the_bearer)
{
	const char *list[] = { "--server", base, "list", NULL };
	char tmp[256], last[sizeof(srv.last)];
	struct test_cli_run r;
	int k;

	test_cli_session_saved(tmp, sizeof(tmp), "cli-bearer", base);
	for (k = 0; k < 2; k++) {
		setenv("SEALPACT_TOKEN", "supplier-rsa", 1);
		if (k == 1)
			setenv("SEALPACT_API_KEY", "spk_script", 1);
		test_cli_run(&r, list, NULL);
		unsetenv("SEALPACT_TOKEN");
		unsetenv("SEALPACT_API_KEY");
		pthread_mutex_lock(&srv.mu);
		memcpy(last, srv.last, sizeof(last));
		pthread_mutex_unlock(&srv.mu);
		ck_assert_msg(strstr(last, k == 0 ? "\r\nAuthorization: Bearer t0k\r\n"
						  : "\r\nAuthorization: Bearer spk_script\r\n") !=
				      NULL,
			      "%s", last);
		ck_assert_msg(strstr(last, "supplier-rsa") == NULL, "%s", last);
	}
	unsetenv("XDG_CONFIG_HOME");
	test_run("rm -rf '%s'", tmp);
}
END_TEST

/*
 * review54: a script written before SEALPACT_API_KEY (the integration tests
 * were such scripts) exports an organization API key as SEALPACT_TOKEN.
 * On a machine where someone ran "sealpact login", each command now acts
 * silently as that person's session (send, cancel, reject in their name,
 * their organization's contracts listed); a key is "spk_" and no token label
 * looks like one, so the command can say where the key goes, without
 * printing it, and send nothing.
 */
START_TEST(cli_api_key_in_the_token_label_is_not_the_session)
{
	static const char key[] = "spk_ab12cd34QmVhcmVyU2VjcmV0VmFsdWVGb3JUZXN0aW5nT25seTEyMzQ";
	const char *list[] = { "--server", base, "list", NULL };
	char tmp[256], last[sizeof(srv.last)];
	struct test_cli_run r;
	int nreq;

	test_cli_session_saved(tmp, sizeof(tmp), "cli-oldkey", base);
	setenv("SEALPACT_TOKEN", key, 1);
	test_cli_run(&r, list, NULL);
	unsetenv("SEALPACT_TOKEN");
	unsetenv("XDG_CONFIG_HOME");
	pthread_mutex_lock(&srv.mu);
	nreq = srv.nrequests;
	memcpy(last, srv.last, sizeof(last));
	pthread_mutex_unlock(&srv.mu);
	ck_assert_msg(nreq == 0 && r.status != 0,
		      "exit %d, %d requests, the last as the saved session: %.60s", r.status, nreq,
		      strstr(last, "Authorization:") ? strstr(last, "Authorization:") : last);
	ck_assert_msg(strstr(r.err, "SEALPACT_API_KEY") != NULL, "%s", r.err);
	ck_assert_msg(strstr(r.err, key + 12) == NULL, "the key printed: %s", r.err);
	test_run("rm -rf '%s'", tmp);
}
END_TEST

/*
 * An alias file saved with CRLF line ends (an editor on Windows): its
 * credit code went to the server with the '\r' on it, and the server
 * refused a code the user never typed.
 */
START_TEST(cli_alias_file_with_crlf)
{
	char tmp[256], path[512], pdf[320], aliases[320];
	const char *create[] = { "--server", base,       "create",     pdf, "--name",
				 "Lease",    "--signer", "supplier:1", NULL };
	char last[sizeof(srv.last)];
	struct test_cli_run r;
	FILE *f;

	test_cli_session_saved(tmp, sizeof(tmp), "cli-alias", base);
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
	test_cli_run(&r, create, NULL);
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

static Suite *
client_cli_session_suite(void)
{
	Suite *s = suite_create("client_cli_session");
	TCase *cli = tcase_create("cli");

	tcase_add_checked_fixture(cli, setup, teardown);
	tcase_add_test(cli, cli_sign_prints_the_servers_text_clean);
	tcase_add_test(cli, cli_alias_file_with_crlf);
	tcase_add_test(cli, cli_numbers_and_times_are_checked_before_sending);
	tcase_add_test(cli, cli_values_are_judged_before_the_login);
	tcase_add_test(cli, cli_logout_not_logged_in_is_done);
	tcase_add_test(cli, cli_token_label_is_never_the_bearer);
	tcase_add_test(cli, cli_api_key_in_the_token_label_is_not_the_session);
	tcase_add_test(cli, cli_damaged_session_is_78);
	suite_add_tcase(s, cli);
	return s;
}

int
main(void)
{
	signal(SIGPIPE, SIG_IGN);
	return test_suite_run(client_cli_session_suite());
}
