/*
 * test_verify_world_ids.c: the AlgorithmIdentifiers of signatures other
 * tools make with RFC 8419's EdDSA and RFC 8702's SHAKE. Those RFCs fix both
 * the identifier and its parameters: id-shake128 and id-shake256 as message
 * digests, id-RSASSA-PSS-SHAKE128/256, id-ecdsa-with-shake128/256 and
 * id-Ed25519 / id-Ed448 as signature algorithms, each with its parameters
 * absent (RFC 8702 §3.1, §3.2.1, §3.2.2; RFC 8410 §3, RFC 8419 §2.3, §3.1).
 * A CMS that names them otherwise is outside what defines the algorithm:
 * not provably valid, not proof of a forgery either (neither identifier is
 * covered by the signature), so indeterminate, unsupported_algorithm, saying
 * which identifier carries what. The CMSs are test_verify_writer.h's
 * ("eddsa:WHO", "shake:D/S/L:WHO"), their identifiers then rewritten with
 * OpenSSL's ASN.1 as another encoder would write them. pdfsig (poppler
 * 22.12 over NSS 3.87) knows none of these algorithms, rewritten or not:
 * "Unknown Validation Failure." for the SHAKE and Ed448 ones, "Document
 * isn't signed or corrupted data." for the Ed25519 ones.
 */
#include "test_verify_countersign.h"

/* Which identifier of the SignerInfo is rewritten, and how. */
enum ids_change {
	IDS_DIGEST_NULL,   /* digestAlgorithm's parameters NULL */
	IDS_SIGALG_NULL,   /* signatureAlgorithm's parameters NULL */
	IDS_SIGALG_RSAPSS, /* signatureAlgorithm id-RSASSA-PSS (no parameters) */
};

static void
ids_rewrite(CMS_ContentInfo *cms, const void *arg)
{
	enum ids_change ch = *(const enum ids_change *)arg;
	CMS_SignerInfo *si = sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(cms), 0);
	X509_ALGOR *dig = NULL, *sig = NULL, *a;

	ck_assert_ptr_nonnull(si);
	CMS_SignerInfo_get0_algs(si, NULL, NULL, &dig, &sig);
	a = ch == IDS_DIGEST_NULL ? dig : sig;
	ck_assert_ptr_null(a->parameter);
	ck_assert_int_eq(X509_ALGOR_set0(a,
					 ch == IDS_SIGALG_RSAPSS ? OBJ_nid2obj(NID_rsassaPss)
								 : OBJ_dup(a->algorithm),
					 ch == IDS_SIGALG_RSAPSS ? V_ASN1_UNDEF : V_ASN1_NULL,
					 NULL),
			 1);
}

/*
 * Each signature verifies with its key, the bytes are intact, and one of its
 * identifiers says what the RFC forbids: indeterminate, unsupported_algorithm,
 * the message naming the rule. Each was valid before. The unchanged CMS of
 * the same writer is valid (test_verify_world_algs.c, _world_shake.c).
 */
START_TEST(identifiers_as_the_rfcs_fix_them)
{
	static const struct {
		const char *who, *name;
		enum ids_change ch;
		const char *says;
	} c[] = {
		{ "shake:128/128/32:ec", "shake128_digest_null.pdf", IDS_DIGEST_NULL,
		  "the digest algorithm SHAKE128 has parameters; RFC 8702 §3.1 has them absent" },
		{ "shake:256/256/64:ec", "ecdsa_shake256_null.pdf", IDS_SIGALG_NULL,
		  "the signature algorithm ecdsa-with-SHAKE256 has parameters; RFC 8702 §3.2 has "
		  "them absent" },
		{ "shake:128/128/32:rsa", "pss_shake128_null.pdf", IDS_SIGALG_NULL,
		  "the signature algorithm RSASSA-PSS-SHAKE128 has parameters; RFC 8702 §3.2 has "
		  "them absent" },
		{ "eddsa:ed", "ed25519_null.pdf", IDS_SIGALG_NULL,
		  "the signature algorithm ED25519 has parameters; RFC 8419 §2.3 has them absent" },
		{ "eddsa:ed448", "ed448_digest_null.pdf", IDS_DIGEST_NULL,
		  "the digest algorithm SHAKE256 has parameters; RFC 8702 §3.1 has them absent" },
		/* an Ed25519 key's signature named as another algorithm: RFC 8419 §3.1 names it
		   id-Ed25519 */
		{ "eddsa:ed", "ed25519_as_pss.pdf", IDS_SIGALG_RSAPSS,
		  "an Ed25519 key signs as id-Ed25519 (RFC 8419 §3.1), and the signature "
		  "algorithm is RSASSA-PSS" },
	};
	size_t n1, n2;
	unsigned char *one = vc_sign(base, base_len, "rsa", 1, 0, &n1), *two;
	struct crypto_verify_report *r;

	two = countersign(one, n1, VW_TABLE, 0, "/adbe.pkcs7.detached", c[_i].who, &n2);
	/* as written, valid */
	r = verify(two, n2);
	ck_assert_msg(r->sigs[1].verdict == CRYPTO_VERDICT_VALID, "%s: %s: %s", c[_i].name,
		      crypto_verdict_name(r->sigs[1].verdict), r->sigs[1].message);
	crypto_verify_report_free(r);
	cms_rewrite(two, n2, ids_rewrite, &c[_i].ch);
	write_file(vc_path(c[_i].name), two, n2);
	r = verify(two, n2);
	ck_assert_uint_eq(r->nsigs, 2);
	ck_assert_msg(r->sigs[1].verdict == CRYPTO_VERDICT_INDETERMINATE && r->sigs[1].nreasons &&
			      !strcmp(r->sigs[1].reasons[0], "unsupported_algorithm"),
		      "%s: %s [%s] %s", c[_i].name, crypto_verdict_name(r->sigs[1].verdict),
		      r->sigs[1].nreasons ? r->sigs[1].reasons[0] : "", r->sigs[1].message);
	ck_assert_msg(strstr(r->sigs[1].message, c[_i].says) != NULL, "%s: %s", c[_i].name,
		      r->sigs[1].message);
	ck_assert_int_eq(vc_outcome(r), VC_INDETERMINATE);
	crypto_verify_report_free(r);
	/* a changed covered byte is still proof */
	assert_tampered_invalid(two, n1, n2, "digest_mismatch");
	free(two);
	free(one);
}
END_TEST

/*
 * What the RFCs allow stays valid: SHA-512 as Ed25519's message digest with
 * NULL parameters (RFC 5754 §2: a receiver accepts both forms of SHA-2's).
 */
START_TEST(sha512_with_null_parameters_stays_valid)
{
	enum ids_change ch = IDS_DIGEST_NULL;
	size_t n1, n2;
	unsigned char *one = vc_sign(base, base_len, "rsa", 1, 0, &n1), *two;
	struct crypto_verify_report *r;

	two = countersign(one, n1, VW_TABLE, 0, "/adbe.pkcs7.detached", "eddsa:ed", &n2);
	cms_rewrite(two, n2, ids_rewrite, &ch);
	r = verify(two, n2);
	ck_assert_msg(r->sigs[1].verdict == CRYPTO_VERDICT_VALID, "%s: %s",
		      crypto_verdict_name(r->sigs[1].verdict), r->sigs[1].message);
	ck_assert_str_eq(r->sigs[1].digest_alg, "SHA512");
	crypto_verify_report_free(r);
	free(two);
	free(one);
}
END_TEST

static void
setup(void)
{
	world_setup();
	/* an Ed25519 and an Ed448 signer under the corpus root */
	ck_assert_int_eq(run("cd %s && ( for k in ed ed448; do a=ed25519; [ $k = ed ] || a=$k; "
			     "openssl genpkey -algorithm $a -out $k.key && openssl req -new "
			     "-key $k.key -subj \"/CN=$k signer/O=Org I\" -out $k.csr && "
			     "openssl x509 -req -in $k.csr -CA ca.pem -CAkey ca.key "
			     "-set_serial $((${#k} + 80)) -days 20 -extfile leaf.ext -out $k.pem "
			     "|| exit 1; done ) >>pki.log 2>&1",
			     vc_dir),
			 0);
}

static Suite *
ids_suite(void)
{
	Suite *s = suite_create("verify_world_ids");
	TCase *tc = tcase_create("ids");

	tcase_add_unchecked_fixture(tc, setup, world_teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, identifiers_as_the_rfcs_fix_them, 0, 6);
	tcase_add_test(tc, sha512_with_null_parameters_stays_valid);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(ids_suite());
	int nf;

	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? 0 : 1;
}
