/*
 * test_verify_world_shake.c: the digests left indeterminate until stop 46,
 * on countersignatures of a contract sealpact signed. SHA-224 and
 * SHA-512/224 (RFC 5754, FIPS 180-4) as the openssl CLI signs with them;
 * RFC 8702's SHAKE in CMS (RSASSA-PSS and ECDSA with SHAKE128 and
 * SHAKE256), which neither OpenSSL 3.0's CMS nor its CLI can make, built
 * with OpenSSL's API by test_verify_writer.h ("shake:D/S/L:WHO"); and what
 * RFC 8702 does not define, each indeterminate with its reason. What pdfsig
 * (poppler 22.12 over NSS 3.87) says of each is asserted beside ours.
 */
#include "test_verify_countersign.h"

/* The contract signed by sealpact, then countersigned by `who` into file name: its report. */
static struct crypto_verify_report *
countersigned(const char *who, const char *name, unsigned char **one, size_t *n1,
	      unsigned char **two, size_t *n2)
{
	struct crypto_verify_report *r;

	*one = vc_sign(base, base_len, "rsa", 1, 0, n1);
	*two = countersign(*one, *n1, VW_TABLE, 0, "/adbe.pkcs7.detached", who, n2);
	write_file(vc_path(name), *two, *n2);
	r = verify(*two, *n2);
	ck_assert_uint_eq(r->nsigs, 2);
	return r;
}

#define M "Digest Mismatch."
#define U "Unknown Validation Failure."

/*
 * SHA-224 and SHA-512/224 give 112 bits of collision resistance, the least
 * sealpact asks of a key (RSA-2048): valid, the digest named. They were
 * indeterminate, "uses an unsupported digest (SHA224)". openssl cms -verify
 * agrees over the same bytes. pdfsig is wrong on SHA-224: "Digest
 * Mismatch." for a CMS whose digest openssl checks and which only a
 * changed byte makes a mismatch here; and it knows no SHA-512/224.
 */
START_TEST(sha224_and_sha512_224)
{
	static const struct {
		const char *who, *name, *digest, *sig_alg, *pdfsig;
	} c[] = {
		{ "openssl:rsa@-md sha224", "rsa_sha224.pdf", "SHA224", "rsaEncryption", M },
		{ "openssl:ec@-md sha224", "ec_sha224.pdf", "SHA224", "ecdsa-with-SHA224", M },
		{ "openssl:rsa@-md sha224 -keyopt rsa_padding_mode:pss", "pss_sha224.pdf", "SHA224",
		  "RSASSA-PSS", M },
		{ "openssl:rsa@-md sha512-224", "rsa_sha512_224.pdf", "SHA512-224", "rsaEncryption",
		  U },
	};
	size_t n1, n2;
	unsigned char *one, *two;
	struct crypto_verify_report *r = countersigned(c[_i].who, c[_i].name, &one, &n1, &two, &n2);
	char *line;

	/* a third opinion on the CMS alone, over the bytes the writer signed (tbs.bin) */
	ck_assert_int_eq(run("cd %s && openssl cms -verify -binary -inform DER -in tbs.p7s "
			     "-content tbs.bin -noverify -out /dev/null 2>>pki.log",
			     vc_dir),
			 0);
	ck_assert_msg(r->sigs[1].verdict == CRYPTO_VERDICT_VALID, "%s: %s: %s", c[_i].name,
		      crypto_verdict_name(r->sigs[1].verdict), r->sigs[1].message);
	ck_assert_int_eq(r->sigs[1].chain_ok, 1);
	ck_assert_str_eq(r->sigs[1].digest_alg, c[_i].digest);
	ck_assert_str_eq(r->sigs[1].sig_alg, c[_i].sig_alg);
	ck_assert_int_eq(vc_outcome(r), VC_VALID);
	crypto_verify_report_free(r);
	line = pdfsig_says(c[_i].name, 2);
	ck_assert_msg(!strcmp(line, c[_i].pdfsig), "%s: pdfsig: %s", c[_i].name, line);
	free(line);
	/* a covered byte changed: the message digest proves it */
	assert_tampered_invalid(two, n1, n2, "digest_mismatch");
	free(two);
	free(one);
}
END_TEST

/*
 * RFC 8702 §3.2: RSASSA-PSS and ECDSA with SHAKE128 (256 bits of output,
 * salt 32 bytes) and SHAKE256 (512 bits, salt 64 bytes), the message digest
 * the same SHAKE at the same length. Valid, the algorithms named; they were
 * indeterminate ("unsupported digest (SHAKE128)", and SHAKE256 "goes with an
 * Ed448 key"). A flipped bit of the signature value is a bad signature, a
 * changed covered byte a digest mismatch. pdfsig knows none of them.
 */
START_TEST(rfc8702_shake)
{
	static const struct {
		const char *who, *name, *digest, *sig_alg;
	} c[] = {
		{ "shake:128/128/32:ec", "ecdsa_shake128.pdf", "SHAKE128", "ecdsa-with-SHAKE128" },
		{ "shake:256/256/64:ec", "ecdsa_shake256.pdf", "SHAKE256", "ecdsa-with-SHAKE256" },
		{ "shake:128/128/32:rsa", "pss_shake128.pdf", "SHAKE128", "RSASSA-PSS-SHAKE128" },
		{ "shake:256/256/64:rsa3072", "pss_shake256.pdf", "SHAKE256",
		  "RSASSA-PSS-SHAKE256" },
	};
	size_t n1, n2, total;
	unsigned char *one, *two, *c0;
	struct crypto_verify_report *r = countersigned(c[_i].who, c[_i].name, &one, &n1, &two, &n2);
	char *line;
	int h;

	ck_assert_msg(r->sigs[1].verdict == CRYPTO_VERDICT_VALID, "%s: %s: %s", c[_i].name,
		      crypto_verdict_name(r->sigs[1].verdict), r->sigs[1].message);
	ck_assert_int_eq(r->sigs[1].digest_ok, 1);
	ck_assert_int_eq(r->sigs[1].signature_ok, 1);
	ck_assert_int_eq(r->sigs[1].chain_ok, 1);
	ck_assert_str_eq(r->sigs[1].digest_alg, c[_i].digest);
	ck_assert_str_eq(r->sigs[1].sig_alg, c[_i].sig_alg);
	ck_assert_int_eq(vc_outcome(r), VC_VALID);
	crypto_verify_report_free(r);
	line = pdfsig_says(c[_i].name, 2);
	ck_assert_msg(!strcmp(line, U), "%s: pdfsig: %s", c[_i].name, line);
	free(line);
	/* the signature value is the CMS's last bytes (no unsigned attributes) */
	c0 = (unsigned char *)strstr((char *)two + n1, "/Contents <") + 11;
	ck_assert(c0[0] == '3' && c0[1] == '0' && c0[2] == '8' && c0[3] == '2');
	total = 4 +
		(size_t)strtoul((char[]){ (char)c0[4], (char)c0[5], (char)c0[6], (char)c0[7], 0 },
				NULL, 16);
	h = sp_hex_val(c0[2 * (total - 1)]);
	c0[2 * (total - 1)] = "0123456789abcdef"[h ^ 1];
	r = verify(two, n2);
	ck_assert_int_eq(r->sigs[1].verdict, CRYPTO_VERDICT_INVALID);
	ck_assert_str_eq(r->sigs[1].reasons[0], "bad_signature");
	ck_assert_msg(strstr(r->sigs[1].message, c[_i].sig_alg) != NULL, "%s", r->sigs[1].message);
	crypto_verify_report_free(r);
	c0[2 * (total - 1)] = "0123456789abcdef"[h];
	assert_tampered_invalid(two, n1, n2, "digest_mismatch");
	free(two);
	free(one);
}
END_TEST

/*
 * What RFC 8702 does not define is no proof either way: indeterminate,
 * saying what it asks. A SHAKE128 message digest of 128 bits (OpenSSL 3.0's
 * default output length, not RFC 8702 §3.1's 256: it was indeterminate,
 * "unsupported digest (SHAKE128)"); SHAKE128 named by NIST's id-shake128-len
 * with its length (256) as parameter, where RFC 8702 §3.1 has the
 * parameterless id-shake128 (it was "unsupported digest (unknown)"); a
 * SHAKE256 message digest (512 bits) under ECDSA with SHAKE128 (§3.2 pairs
 * each signature with its own SHAKE; it was "SHAKE256 goes with an Ed448
 * key"). BouncyCastle 1.72 calls the first a digest mismatch and accepts
 * the other two.
 */
START_TEST(shake_outside_rfc8702)
{
	static const struct {
		const char *who, *name, *says;
	} c[] = {
		{ "shake:128/128/16:ec", "shake128_16.pdf",
		  "the message digest is 16 bytes of SHAKE128; CMS has 32 (RFC 8702" },
		{ "shakelen:128/128/32:ec", "shake128_len.pdf",
		  "uses SHAKE128 with a stated output length (id-shake128-len); CMS names "
		  "SHAKE128 by id-shake128, with 256 bits (RFC 8702 §3.1)" },
		{ "shake:256/128/64:ec", "shake256_under128.pdf",
		  "ecdsa-with-SHAKE128 signs a SHAKE128 message digest (RFC 8702 §3.2), not "
		  "SHAKE256" },
	};
	size_t n1, n2;
	unsigned char *one, *two;
	struct crypto_verify_report *r = countersigned(c[_i].who, c[_i].name, &one, &n1, &two, &n2);

	ck_assert_msg(r->sigs[1].verdict == CRYPTO_VERDICT_INDETERMINATE &&
			      !strcmp(r->sigs[1].reasons[0], "unsupported_algorithm"),
		      "%s: %s [%s] %s", c[_i].name, crypto_verdict_name(r->sigs[1].verdict),
		      r->sigs[1].nreasons ? r->sigs[1].reasons[0] : "", r->sigs[1].message);
	ck_assert_msg(strstr(r->sigs[1].message, c[_i].says) != NULL, "%s: %s", c[_i].name,
		      r->sigs[1].message);
	ck_assert_int_eq(vc_outcome(r), VC_INDETERMINATE);
	crypto_verify_report_free(r);
	free(two);
	free(one);
}
END_TEST
#undef M
#undef U

static void
setup(void)
{
	world_setup();
	/* an RSA-3072 signer under the corpus root, for PSS with SHAKE256's 64-byte salt
	   beside a 64-byte hash */
	ck_assert_int_eq(run("cd %s && ( openssl genpkey -algorithm RSA -pkeyopt "
			     "rsa_keygen_bits:3072 -out rsa3072.key && openssl req -new -key "
			     "rsa3072.key -subj '/CN=rsa3072 signer/O=Org W' -out rsa3072.csr && "
			     "openssl x509 -req -in rsa3072.csr -CA ca.pem -CAkey ca.key "
			     "-set_serial 90 -days 20 -extfile leaf.ext -out rsa3072.pem ) "
			     ">>pki.log 2>&1",
			     vc_dir),
			 0);
}

static Suite *
shake_suite(void)
{
	Suite *s = suite_create("verify_world_shake");
	TCase *tc = tcase_create("shake");

	tcase_add_unchecked_fixture(tc, setup, world_teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, sha224_and_sha512_224, 0, 4);
	tcase_add_loop_test(tc, rfc8702_shake, 0, 4);
	tcase_add_loop_test(tc, shake_outside_rfc8702, 0, 3);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(shake_suite());
	int nf;

	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? 0 : 1;
}
