/*
 * test_crypto_trust_tokens.c: the SoftHSM2 demo tokens (deploy/tokens.sh) over
 * the development PKI (deploy/pki.sh): each token lists its key and
 * certificate, signs with pkcs11-tool, the signature verifies with openssl
 * against the certificate, and the certificate read back from the token
 * passes crypto_cert_check().
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/x509.h>

#include "crypto.h"
#include "support_shell.h"
#include "support_tmp.h"

#define MODULE "/usr/lib/softhsm/libsofthsm2.so"
#define PIN "123456"

static char src[1024];
static char tmp[512];
static char pki[600];
static char tok[600];

/* Run a command and keep its output (capped). */
static int capture(char *out, size_t outsz, const char *fmt, ...) SP_PRINTF(3, 4);
static int
capture(char *out, size_t outsz, const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	FILE *f;
	size_t n = 0, k;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if ((f = popen(cmd, "r")) == NULL)
		return -1;
	while (n + 1 < outsz && (k = fread(out + n, 1, outsz - 1 - n, f)) > 0)
		n += k;
	out[n] = '\0';
	return pclose(f);
}

static const char *labels[] = { "buyer-rsa", "buyer-ec", "supplier-rsa", "supplier-ec" };

START_TEST(token_lists_key_and_certificate)
{
	const char *label = labels[_i];
	char out[8192];

	ck_assert_int_eq(capture(out, sizeof(out),
				 "SOFTHSM2_CONF='%s/softhsm2.conf' pkcs11-tool --module " MODULE
				 " --token-label %s --login --pin " PIN " -O 2>&1",
				 tok, label),
			 0);
	ck_assert_msg(strstr(out, "Private Key Object") != NULL, "%s", out);
	ck_assert_msg(strstr(out, "Certificate Object") != NULL, "%s", out);
	/* Key and certificate share the ID and the label. */
	ck_assert_msg(strstr(out, "ID:         01") != NULL, "%s", out);
	ck_assert_msg(strstr(out, label) != NULL, "%s", out);
	/* A wrong PIN gets nothing. */
	ck_assert_int_ne(test_run("SOFTHSM2_CONF='%s/softhsm2.conf' pkcs11-tool --module " MODULE
				  " --token-label %s --login --pin 000000 -O >/dev/null 2>&1",
				  tok, label),
			 0);
}
END_TEST

START_TEST(token_signs_and_openssl_verifies)
{
	const char *label = labels[_i];
	int ec = strstr(label, "-ec") != NULL;
	const char *slug = strncmp(label, "buyer", 5) == 0 ? "buyer" : "supplier";
	char out[8192];

	ck_assert_int_eq(test_run("printf 'contract %s' >'%s/msg-%s' && openssl dgst -sha256 "
				  "-binary "
				  "'%s/msg-%s' >'%s/hash-%s'",
				  label, tmp, label, tmp, label, tmp, label),
			 0);
	/* SoftHSM2 has no ECDSA-SHA256: the hash is made outside, as a UKey client does. */
	if (ec)
		ck_assert_int_eq(
			test_run("SOFTHSM2_CONF='%s/softhsm2.conf' pkcs11-tool --module " MODULE
				 " --token-label %s --login --pin " PIN " --sign -m ECDSA "
				 "--signature-format openssl -i '%s/hash-%s' -o '%s/sig-%s' "
				 ">/dev/null 2>&1",
				 tok, label, tmp, label, tmp, label),
			0);
	else
		ck_assert_int_eq(test_run("SOFTHSM2_CONF='%s/softhsm2.conf' pkcs11-tool "
					  "--module " MODULE " --token-label %s --login --pin " PIN
					  " --sign -m SHA256-RSA-PKCS "
					  "-i '%s/msg-%s' -o '%s/sig-%s' >/dev/null 2>&1",
					  tok, label, tmp, label, tmp, label),
				 0);
	ck_assert_int_eq(test_run("openssl x509 -in '%s/orgs/%s/%s.crt' -pubkey -noout "
				  ">'%s/pub-%s'",
				  pki, slug, ec ? "ec" : "rsa", tmp, label),
			 0);
	ck_assert_int_eq(capture(out, sizeof(out),
				 "openssl dgst -sha256 -verify '%s/pub-%s' "
				 "-signature '%s/sig-%s' '%s/msg-%s' 2>&1",
				 tmp, label, tmp, label, tmp, label),
			 0);
	ck_assert_msg(strstr(out, "Verified OK") != NULL, "%s", out);
	/* The same signature over another message does not verify. */
	ck_assert_int_eq(test_run("printf 'contract X' >'%s/other-%s'", tmp, label), 0);
	ck_assert_int_ne(test_run("openssl dgst -sha256 -verify '%s/pub-%s' -signature '%s/sig-%s' "
				  "'%s/other-%s' >/dev/null 2>&1",
				  tmp, label, tmp, label, tmp, label),
			 0);
}
END_TEST

START_TEST(token_certificate_passes_the_trust_check)
{
	const char *label = labels[_i];
	char path[1024], root[700], ca[700], crl[700];
	const char *roots[] = { root }, *inter[] = { ca }, *crls[] = { crl };
	struct crypto_revocation_opts o = { 0, NULL, 0, 1 }; /* CRL only, required */
	struct crypto_trust *t = NULL;
	struct crypto_cert_result res;
	struct sp_errinfo ei;
	unsigned char *der = NULL;
	size_t len = 0;
	X509 *x = NULL;

	snprintf(path, sizeof(path), "%s/cert-%s.der", tmp, label);
	ck_assert_int_eq(test_run("SOFTHSM2_CONF='%s/softhsm2.conf' pkcs11-tool --module " MODULE
				  " --token-label %s --read-object --type cert --id 01 -o '%s' "
				  ">/dev/null 2>&1",
				  tok, label, path),
			 0);
	sp_errinfo_init(&ei);
	ck_assert_msg(sp_file_read(path, 65536, &der, &len, &ei) == SP_OK, "%s", ei.msg);
	ck_assert_msg(crypto_cert_parse(der, len, &x, &ei) == SP_OK, "%s", ei.msg);
	snprintf(root, sizeof(root), "%s/root.pem", pki);
	snprintf(ca, sizeof(ca), "%s/ca.pem", pki);
	snprintf(crl, sizeof(crl), "%s/crl.pem", pki);
	ck_assert_msg(crypto_trust_new(roots, 1, inter, 1, crls, 1, &o, &t, &ei) == SP_OK, "%s",
		      ei.msg);
	ck_assert_msg(crypto_cert_check(t, x, NULL, 0, &res, &ei) == SP_OK, "%s: %s", ei.reason,
		      ei.msg);
	ck_assert_int_eq(res.rev_source, CRYPTO_REV_SRC_CRL);
	ck_assert_int_eq(crypto_credit_code_valid(res.info.org_id), 1);
	ck_assert_msg(strstr(res.info.org, "有限公司") != NULL, "%s", res.info.org);
	crypto_cert_result_cleanup(&res);
	crypto_trust_free(t);
	X509_free(x);
	free(der);
}
END_TEST

START_TEST(tokens_script_is_idempotent)
{
	char out[8192];

	ck_assert_int_eq(capture(out, sizeof(out), "bash '%s/deploy/tokens.sh' '%s' '%s' 2>&1", src,
				 pki, tok),
			 0);
	/* Nothing made twice: still exactly one token per label. */
	ck_assert_msg(strstr(out, "tokens.sh: token") == NULL, "%s", out);
	ck_assert_msg(strstr(out, "PIN 123456") != NULL, "%s", out);
	ck_assert_int_eq(capture(out, sizeof(out),
				 "SOFTHSM2_CONF='%s/softhsm2.conf' softhsm2-util "
				 "--show-slots | grep -c 'Label: *buyer-ec *$'",
				 tok),
			 0);
	ck_assert_str_eq(out, "1\n");
}
END_TEST

static Suite *
tokens_suite(void)
{
	Suite *s = suite_create("crypto_trust_tokens");
	TCase *tc = tcase_create("core");
	int n = (int)SP_ARRAY_LEN(labels);

	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, token_lists_key_and_certificate, 0, n);
	tcase_add_loop_test(tc, token_signs_and_openssl_verifies, 0, n);
	tcase_add_loop_test(tc, token_certificate_passes_the_trust_check, 0, n);
	tcase_add_test(tc, tokens_script_is_idempotent);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr;
	int failed = 1;
	const char *s = getenv("SEALPACT_SOURCE_DIR");

	if (s != NULL)
		snprintf(src, sizeof(src), "%s", s);
	else
		snprintf(src, sizeof(src), "%.*s",
			 (int)(strstr(__FILE__, "/tests/unit/") - __FILE__), __FILE__);
	/* (removed with the run's directory when this runner exits: support_tmp.h) */
	snprintf(tmp, sizeof(tmp), "%s", test_tmpdir_new("tokens"));
	snprintf(pki, sizeof(pki), "%s/pki", tmp);
	snprintf(tok, sizeof(tok), "%s/tokens", tmp);
	if (test_run("bash '%s/deploy/pki.sh' '%s' 2>'%s/pki.log'", src, pki, tmp) != 0 ||
	    test_run("bash '%s/deploy/tokens.sh' '%s' '%s' >'%s/tokens.txt' 2>&1", src, pki, tok,
		     tmp) != 0) {
		fprintf(stderr, "deploy/pki.sh or deploy/tokens.sh failed (see %s)\n", tmp);
		return 2;
	}
	sr = srunner_create(tokens_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
