/*
 * test_verify_world_eku.c: signer certificates with an extendedKeyUsage, as
 * CAs issue them, on countersignatures the openssl CLI makes on a contract
 * sealpact signed. RFC 5280 §4.2.1.12: with the extension, the certificate
 * is for the purposes listed only. One for a TLS server or for code signing
 * alone is no signing certificate: indeterminate, bad_key_usage, naming
 * them (it was valid). One for S/MIME, for TLS clients (organization tokens
 * carry it), for RFC 9336's id-kp-documentSigning, or for a server and
 * S/MIME together signs documents: valid. What pdfsig (poppler 22.12 over
 * NSS) says of each is asserted beside ours.
 */
#include "test_verify_countersign.h"

static void
setup(void)
{
	world_setup();
	ck_assert_int_eq(run("cd %s && ( s=100; for k in ekuserver:serverAuth ekucode:codeSigning "
			     "ekuclient:clientAuth ekumail:emailProtection "
			     "ekudoc:1.3.6.1.5.5.7.3.36 ekumix:serverAuth,emailProtection; do "
			     "s=$((s + 1)); n=${k%%:*}; cp rsa.key $n.key && cp leaf.ext $n.ext && "
			     "echo \"extendedKeyUsage=${k#*:}\" >>$n.ext && openssl req -new -key "
			     "$n.key -subj \"/CN=$n signer/O=Org W\" -out $n.csr && openssl x509 "
			     "-req "
			     "-in $n.csr -CA ca.pem -CAkey ca.key -set_serial $s -days 20 -extfile "
			     "$n.ext -out $n.pem || exit 1; done ) >>pki.log 2>&1",
			     vc_dir),
			 0);
}

START_TEST(extended_key_usage)
{
	static const struct {
		const char *who, *name;
		enum crypto_verdict verdict;
		const char *says, *pdfsig;
	} c[] = {
		{ "openssl:ekuserver@-md sha256", "eku_server.pdf", CRYPTO_VERDICT_INDETERMINATE,
		  "extendedKeyUsage (serverAuth) is for other purposes than signing documents",
		  "Signature is Valid." },
		{ "openssl:ekucode@-md sha256", "eku_code.pdf", CRYPTO_VERDICT_INDETERMINATE,
		  "extendedKeyUsage (codeSigning) is for other purposes", "Signature is Valid." },
		{ "openssl:ekuclient@-md sha256", "eku_client.pdf", CRYPTO_VERDICT_VALID, NULL,
		  "Signature is Valid." },
		{ "openssl:ekumail@-md sha256", "eku_mail.pdf", CRYPTO_VERDICT_VALID, NULL,
		  "Signature is Valid." },
		{ "openssl:ekudoc@-md sha256", "eku_doc.pdf", CRYPTO_VERDICT_VALID, NULL,
		  "Signature is Valid." },
		{ "openssl:ekumix@-md sha256", "eku_mix.pdf", CRYPTO_VERDICT_VALID, NULL,
		  "Signature is Valid." },
	};
	size_t n1, n2;
	unsigned char *one = vc_sign(base, base_len, "rsa", 1, 0, &n1), *two;
	struct crypto_verify_report *r;
	char *line;

	two = countersign(one, n1, VW_TABLE, 0, "/adbe.pkcs7.detached", c[_i].who, &n2);
	write_file(vc_path(c[_i].name), two, n2);
	r = verify(two, n2);
	ck_assert_uint_eq(r->nsigs, 2);
	ck_assert_msg(r->sigs[1].verdict == c[_i].verdict, "%s: %s: %s", c[_i].name,
		      crypto_verdict_name(r->sigs[1].verdict), r->sigs[1].message);
	if (c[_i].says) {
		ck_assert_str_eq(r->sigs[1].reasons[0], "bad_key_usage");
		ck_assert_msg(strstr(r->sigs[1].message, c[_i].says) != NULL, "%s: %s", c[_i].name,
			      r->sigs[1].message);
	}
	/* the bytes and the signature value are sound either way */
	ck_assert_int_eq(r->sigs[1].digest_ok, 1);
	ck_assert_int_eq(r->sigs[1].signature_ok, 1);
	crypto_verify_report_free(r);
	line = pdfsig_says(c[_i].name, 2);
	ck_assert_msg(!strcmp(line, c[_i].pdfsig), "%s: pdfsig: %s", c[_i].name, line);
	free(line);
	free(two);
	free(one);
}
END_TEST

static Suite *
eku_suite(void)
{
	Suite *s = suite_create("verify_world_eku");
	TCase *tc = tcase_create("eku");

	tcase_add_unchecked_fixture(tc, setup, world_teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, extended_key_usage, 0, 6);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(eku_suite());
	int nf;

	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? 0 : 1;
}
