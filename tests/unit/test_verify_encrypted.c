/*
 * test_verify_encrypted.c: signing contracts that carry an owner password
 * only (an empty user password, permissions in /P), as Word and WPS
 * "restrict editing" exports and government templates come: our update is
 * encrypted with the file's key (RC4 40 and 128, AES-128, AES-256 R5 and
 * R6, EncryptMetadata false, object streams), its /Contents left plain, the
 * same /Encrypt and /ID kept; signed twice with seals, given validation data
 * and a document timestamp (B-LTA), each file judged by our verifier,
 * pdfsig and qpdf --check --password=''. The fixtures are made from the
 * test contract with qpdf --encrypt at test time. /P that forbids signing
 * is refused (pdf_signing_not_permitted), a user password too.
 */
#include <qpdf/qpdf-c.h>

#include "test_verify_world.h"

/* How each variant is made (qpdf arguments before the input file). */
static const char *const schemes[] = {
	"--allow-weak-crypto --encrypt '' owner 40 --",
	"--allow-weak-crypto --encrypt '' owner 128 --use-aes=n --",
	"--encrypt '' owner 128 --use-aes=y --",
	"--encrypt '' owner 256 --",
	"--object-streams=generate --encrypt '' owner 256 --",
	"--encrypt '' owner 128 --use-aes=y --cleartext-metadata --",
	"--encrypt '' owner 256 --force-R5 --",
	"--allow-weak-crypto --encrypt '' owner 128 --use-aes=n --force-V4 --",
	/* what signing needs (bits 4 and 6) and nothing else: no printing,
	   copying, assembly */
	"--encrypt '' owner 256 --print=none --extract=n --assemble=n --",
};
#define NSCHEMES (sizeof(schemes) / sizeof(schemes[0]))

/* The /Encrypt reference and the first /ID's bytes of d's last trailer, as qpdf reads them. */
static void
trailer_facts(const unsigned char *d, size_t n, char enc[64], char id[128])
{
	qpdf_data q = qpdf_init();
	qpdf_oh tr, e, i0;
	const char *s;
	size_t len = 0, k;

	qpdf_silence_errors(q);
	ck_assert_int_eq(qpdf_read_memory(q, "x.pdf", (const char *)d, n, "") & QPDF_ERRORS, 0);
	tr = qpdf_get_trailer(q);
	e = qpdf_oh_get_key(q, tr, "/Encrypt");
	snprintf(enc, 64, "%d %d", qpdf_oh_get_object_id(q, e), qpdf_oh_get_generation(q, e));
	i0 = qpdf_oh_get_array_item(q, qpdf_oh_get_key(q, tr, "/ID"), 0);
	s = qpdf_oh_get_binary_string_value(q, i0, &len);
	for (k = 0; k < len && k < 63; k++)
		snprintf(id + 2 * k, 3, "%02x", (unsigned char)s[k]);
	id[2 * k] = 0;
	qpdf_cleanup(&q);
}

/* qpdf reads every object and stream of d with the empty password, without a warning. */
static void
qpdf_reads_all(const char *name)
{
	ck_assert_msg(run("qpdf --check --password='' %s >/dev/null 2>&1", vc_path(name)) == 0,
		      "%s: qpdf --check", name);
	/* every stream decoded: a stream we encrypted wrongly fails to inflate */
	ck_assert_msg(run("qpdf --password='' --decode-level=all --stream-data=uncompress %s "
			  "%s.plain.pdf >/dev/null 2>&1",
			  vc_path(name), vc_path(name)) == 0,
		      "%s: qpdf cannot decode every stream", name);
}

/* The update's bytes hold no plain copy of text the writer puts in strings. */
static void
update_has_no_plain(const unsigned char *d, size_t from, size_t n, const char *text)
{
	char hex[256];
	size_t k, m = strlen(text);

	for (k = 0; k < m && 2 * k + 2 < sizeof(hex); k++)
		snprintf(hex + 2 * k, 3, "%02X", (unsigned char)text[k]);
	ck_assert_ptr_null(memmem(d + from, n - from, hex, 2 * m));
	ck_assert_ptr_null(memmem(d + from, n - from, text, m));
}

/*
 * Each scheme: two visible seals by two signers, then the DSS and a document
 * timestamp; every revision valid for us, pdfsig and qpdf, the encryption
 * and first /ID as they were, the field names and seal images not in the
 * clear.
 */
START_TEST(encrypted_signed_twice_to_b_lta)
{
	size_t n0, n1, n2, n3, n4;
	unsigned char *e = qpdf_tool(base, base_len, schemes[_i], &n0), *one, *two, *lt = NULL,
		      *lta = NULL;
	char name[64], enc0[64], id0[128], enc[64], id[128];
	struct crypto_verify_report *r;
	struct crypto_trust *gather;
	struct sp_errinfo ei;
	time_t until, gen;

	ck_assert_ptr_nonnull(memmem(e, n0, "/Encrypt", 8));
	trailer_facts(e, n0, enc0, id0);
	one = vc_sign_at(e, n0, "rsa", 1, 0, 1, &n1);
	snprintf(name, sizeof(name), "enc%d_1.pdf", _i);
	assert_valid(one, n1, 1, name);
	qpdf_reads_all(name);
	update_has_no_plain(one, n0, n1, "Signature1");
	two = vc_sign_at(one, n1, "ec", 1, 0, 1, &n2);
	snprintf(name, sizeof(name), "enc%d_2.pdf", _i);
	assert_valid(two, n2, 2, name);
	qpdf_reads_all(name);
	update_has_no_plain(two, n1, n2, "Signature2");
	trailer_facts(two, n2, enc, id);
	ck_assert_str_eq(enc, enc0);
	ck_assert_str_eq(id, id0);
	r = verify(two, n2);
	ck_assert_int_eq(r->sigs[0].verdict, CRYPTO_VERDICT_VALID_ALLOWED_CHANGES);
	ck_assert_int_eq(r->sigs[1].verdict, CRYPTO_VERDICT_VALID);
	crypto_verify_report_free(r);
	/* B-LT, then B-LTA: a DSS and a document timestamp in the same encryption */
	sp_errinfo_init(&ei);
	/* gathered with a CRL of the root: a DSS that answers both chains (certificates
	   alone would leave the signatures B-T) */
	gather = vc_crl_trust();
	ck_assert_ptr_nonnull(gather);
	ck_assert_msg(crypto_ltv_add_dss(gather, NULL, NULL, two, n2, CRYPTO_LTV_STORED, NULL, &lt,
					 &n3, &ei) == SP_OK,
		      "%s", ei.msg);
	crypto_trust_free(gather);
	ck_assert_ptr_nonnull(lt);
	snprintf(name, sizeof(name), "enc%d_lt.pdf", _i);
	assert_valid(lt, n3, 2, name);
	qpdf_reads_all(name);
	r = verify(lt, n3);
	ck_assert_str_eq(r->sigs[1].level, "pades_b_lt");
	crypto_verify_report_free(r);
	ck_assert_msg(crypto_ltv_doc_timestamp(trust, lt, n3, CRYPTO_LTV_STORED, NULL, vc_ts_digest,
					       NULL, &lta, &n4, &until, &gen, &ei) == SP_OK,
		      "%s", ei.msg);
	snprintf(name, sizeof(name), "enc%d_lta.pdf", _i);
	write_file(vc_path(name), lta, n4);
	qpdf_reads_all(name);
	r = verify(lta, n4);
	ck_assert_msg(r->nsigs == 3 && r->sigs[2].doc_timestamp &&
			      r->sigs[2].verdict == CRYPTO_VERDICT_VALID &&
			      r->sigs[2].timestamp_ok == 1,
		      "%s: %zu %s", name, r->nsigs,
		      r->nsigs == 3 ? r->sigs[2].message : r->message);
	ck_assert_int_eq(r->sigs[1].verdict, CRYPTO_VERDICT_VALID_ALLOWED_CHANGES);
	ck_assert_str_eq(r->sigs[1].level, "pades_b_lta");
	crypto_verify_report_free(r);
	trailer_facts(lta, n4, enc, id);
	ck_assert_str_eq(enc, enc0);
	ck_assert_str_eq(id, id0);
	free(lta);
	free(lt);
	free(two);
	free(one);
	free(e);
}
END_TEST

/* What /P forbids: bit 6 or bit 4 clear (bit 9, filling in existing fields,
   does not create one); a user password. */
START_TEST(signing_not_permitted)
{
	static const char *const how[] = {
		"--encrypt '' owner 128 --use-aes=y --annotate=n --form=n --",
		"--encrypt '' owner 256 --annotate=n --form=n --modify-other=y --",
		"--allow-weak-crypto --encrypt '' owner 40 --annotate=n --",
		"--encrypt '' owner 256 --annotate=n --form=y --modify-other=n --",
		"--encrypt '' owner 256 --annotate=y --form=y --modify-other=n --",
		"--allow-weak-crypto --encrypt '' owner 40 --modify=n --",
		"--encrypt user owner 256 --",
	};
	size_t n0;
	unsigned char *e = qpdf_tool(base, base_len, how[_i], &n0);
	struct pdf_sig_params par = { .signing_time = time(NULL) };
	struct pdf_sig_prepared p;
	struct pdf_doc *doc = NULL;
	struct sp_errinfo ei;

	sp_errinfo_init(&ei);
	if (_i == 6) {
		ck_assert_int_eq(pdf_doc_open(e, n0, &doc, &ei), SP_ERR_UNSUPPORTED);
		ck_assert_str_eq(ei.reason, "pdf_encrypted");
	} else {
		ck_assert_int_eq(pdf_doc_open(e, n0, &doc, &ei), SP_OK);
		ck_assert_int_eq(pdf_sig_prepare(doc, &par, NULL, 0, NULL, 0, &p, &ei),
				 SP_ERR_UNSUPPORTED);
		ck_assert_str_eq(ei.reason, "pdf_signing_not_permitted");
		ck_assert_ptr_nonnull(strstr(ei.msg, "bit 4"));
		pdf_doc_free(doc);
	}
	free(e);
}
END_TEST

static Suite *
encrypted_suite(void)
{
	Suite *s = suite_create("verify_encrypted");
	TCase *tc = tcase_create("encrypted");

	tcase_add_unchecked_fixture(tc, world_setup, world_teardown);
	tcase_set_timeout(tc, 240);
	tcase_add_loop_test(tc, encrypted_signed_twice_to_b_lta, 0, NSCHEMES);
	tcase_add_loop_test(tc, signing_not_permitted, 0, 7);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(encrypted_suite());
	int nf;

	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? 0 : 1;
}
