/* test_auth_client.c: the terminal's saved session (client/session.c): where it
 * lives, its modes, refusing a file others can read or one for another server,
 * and the PEM signer (client/token.c) checked against crypto_sig_verify. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/pem.h>

#include "crypto.h"
#include "login_int.h"
#include "support_tmp.h"

static char tmpdir[256];

static void
setup(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "%s", test_tmpdir_new("auth-client"));
}

static void
teardown(void)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	ck_assert_int_eq(system(cmd), 0);
}

START_TEST(session_roundtrip_and_modes)
{
	char path[4096], xdg[300];
	struct sp_errinfo ei;
	struct stat st;
	char *tok = NULL;

	snprintf(xdg, sizeof(xdg), "%s/xdg", tmpdir);
	setenv("XDG_CONFIG_HOME", xdg, 1);
	sp_errinfo_init(&ei);
	ck_assert_int_eq(client_session_path(path, sizeof(path), &ei), SP_OK);
	ck_assert(strstr(path, "/xdg/sealpact/session.json") != NULL);
	ck_assert_int_eq(client_session_load("https://a", &tok, &ei), SP_ERR_NOT_FOUND);
	ck_assert_int_eq(client_session_save("https://a", "tok123", "2030-01-01T00:00:00Z", NULL,
					     &ei),
			 SP_OK);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	ck_assert_int_eq(stat(xdg, &st), 0);
	snprintf(xdg + strlen(xdg), sizeof(xdg) - strlen(xdg), "/sealpact");
	ck_assert_int_eq(stat(xdg, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0700);
	ck_assert_int_eq(client_session_load("https://a", &tok, &ei), SP_OK);
	ck_assert_str_eq(tok, "tok123");
	free(tok);
	tok = NULL;
	/* Never sent to another server. */
	sp_errinfo_init(&ei);
	ck_assert_int_eq(client_session_load("https://b", &tok, &ei), SP_ERR_NOT_FOUND);
	ck_assert_ptr_null(tok);
	/* A file others can read is refused. */
	ck_assert_int_eq(chmod(path, 0644), 0);
	sp_errinfo_init(&ei);
	ck_assert_int_eq(client_session_load("https://a", &tok, &ei), SP_ERR_INVALID);
	ck_assert(strstr(ei.msg, "readable by others") != NULL);
	ck_assert_int_eq(chmod(path, 0600), 0);
	ck_assert_int_eq(client_session_remove(&ei), SP_OK);
	ck_assert_int_eq(access(path, F_OK), -1);
	ck_assert_int_eq(client_session_remove(&ei), SP_OK);
	/* Without XDG_CONFIG_HOME: $HOME/.config. A relative XDG value is ignored. */
	setenv("XDG_CONFIG_HOME", "relative", 1);
	setenv("HOME", tmpdir, 1);
	ck_assert_int_eq(client_session_path(path, sizeof(path), &ei), SP_OK);
	ck_assert(strstr(path, "/.config/sealpact/session.json") != NULL);
	ck_assert(strncmp(path, tmpdir, strlen(tmpdir)) == 0);
}
END_TEST

START_TEST(session_damaged_file)
{
	char path[4096], xdg[300];
	struct sp_errinfo ei;
	char *tok = NULL;
	FILE *f;

	snprintf(xdg, sizeof(xdg), "%s/x2", tmpdir);
	setenv("XDG_CONFIG_HOME", xdg, 1);
	sp_errinfo_init(&ei);
	ck_assert_int_eq(client_session_save("https://a", "t", NULL, NULL, &ei), SP_OK);
	ck_assert_int_eq(client_session_path(path, sizeof(path), &ei), SP_OK);
	ck_assert((f = fopen(path, "w")) != NULL);
	fputs("{\"server\": 5}", f);
	fclose(f);
	ck_assert_int_eq(client_session_load("https://a", &tok, &ei), SP_ERR_INVALID);
	ck_assert_ptr_null(tok);
}
END_TEST

/* A development key signs what the server's verifier accepts, for each algorithm. */
static void
pem_signer_roundtrip(const char *keygen, const char *expect_alg)
{
	char key[300], crt[300], cmd[2000];
	struct client_signer_opts o;
	struct client_signer *s = NULL;
	struct sp_errinfo ei;
	const unsigned char msg[32] = "0123456789abcdef0123456789abcdef";
	unsigned char *der = NULL;
	const unsigned char *p;
	uint8_t *sig = NULL;
	size_t derlen = 0, siglen = 0;
	const char *alg = NULL;
	X509 *x;

	snprintf(key, sizeof(key), "%s/k.pem", tmpdir);
	snprintf(crt, sizeof(crt), "%s/c.pem", tmpdir);
	snprintf(cmd, sizeof(cmd),
		 "openssl genpkey %s -out %s 2>/dev/null && openssl req -new -x509 -key %s "
		 "-subj /CN=t -days 2 -out %s 2>/dev/null",
		 keygen, key, key, crt);
	ck_assert_int_eq(system(cmd), 0);
	memset(&o, 0, sizeof(o));
	o.key_pem = key;
	o.cert_pem = crt;
	sp_errinfo_init(&ei);
	ck_assert_msg(client_signer_open(&o, &s, &ei) == SP_OK, "%s", ei.msg);
	ck_assert_int_eq(client_signer_cert_der(s, &der, &derlen, &ei), SP_OK);
	ck_assert_msg(client_signer_sign(s, msg, sizeof(msg), &sig, &siglen, &alg, &ei) == SP_OK,
		      "%s", ei.msg);
	ck_assert_str_eq(alg, expect_alg);
	p = der;
	ck_assert((x = d2i_X509(NULL, &p, (long)derlen)) != NULL);
	ck_assert_int_eq(crypto_sig_verify(x, crypto_sigalg_from_name(alg), msg, sizeof(msg), sig,
					   siglen, &ei),
			 SP_OK);
	sig[siglen / 2] ^= 1;
	sp_errinfo_init(&ei);
	ck_assert_int_ne(crypto_sig_verify(x, crypto_sigalg_from_name(alg), msg, sizeof(msg), sig,
					   siglen, &ei),
			 SP_OK);
	X509_free(x);
	free(der);
	free(sig);
	client_signer_free(s);
}

START_TEST(pem_signers)
{
	pem_signer_roundtrip("-algorithm RSA -pkeyopt rsa_keygen_bits:2048",
			     "sha256WithRSAEncryption");
	pem_signer_roundtrip("-algorithm EC -pkeyopt ec_paramgen_curve:P-256", "ecdsa-with-SHA256");
	pem_signer_roundtrip("-algorithm SM2", "SM2-with-SM3");
}
END_TEST

START_TEST(signer_refusals)
{
	struct client_signer_opts o;
	struct client_signer *s = NULL;
	struct sp_errinfo ei;
	char key[300], crt[300], key2[300], cmd[2000];

	memset(&o, 0, sizeof(o));
	sp_errinfo_init(&ei);
	ck_assert_int_eq(client_signer_open(&o, &s, &ei), SP_ERR_INVALID);
	o.module = "/nonexistent/module.so";
	o.pin = "1";
	sp_errinfo_init(&ei);
	ck_assert_int_eq(client_signer_open(&o, &s, &ei), SP_ERR_IO);
	ck_assert_ptr_null(s);
	/* A key that does not belong to the certificate. */
	snprintf(key, sizeof(key), "%s/a.pem", tmpdir);
	snprintf(key2, sizeof(key2), "%s/b.pem", tmpdir);
	snprintf(crt, sizeof(crt), "%s/a.crt", tmpdir);
	snprintf(cmd, sizeof(cmd),
		 "openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out %s && "
		 "openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out %s && "
		 "openssl req -new -x509 -key %s -subj /CN=t -days 2 -out %s 2>/dev/null",
		 key, key2, key, crt);
	ck_assert_int_eq(system(cmd), 0);
	memset(&o, 0, sizeof(o));
	o.key_pem = key2;
	o.cert_pem = crt;
	sp_errinfo_init(&ei);
	ck_assert_int_eq(client_signer_open(&o, &s, &ei), SP_ERR_INVALID);
	o.cert_pem = NULL;
	sp_errinfo_init(&ei);
	ck_assert_int_eq(client_signer_open(&o, &s, &ei), SP_ERR_INVALID);
}
END_TEST

static Suite *
auth_client_suite(void)
{
	Suite *s = suite_create("auth_client");
	TCase *tc = tcase_create("session");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, session_roundtrip_and_modes);
	tcase_add_test(tc, session_damaged_file);
	tcase_add_test(tc, pem_signers);
	tcase_add_test(tc, signer_refusals);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(auth_client_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
