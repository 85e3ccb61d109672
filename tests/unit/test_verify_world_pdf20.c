/*
 * test_verify_world_pdf20.c: a PDF 2.0 contract as ISO 32000-2 writers make
 * it: header %PDF-2.0, no document information dictionary (deprecated in
 * PDF 2.0, §14.3.3: the trailer has no /Info), its metadata an XMP stream
 * alone, the objects in object streams with a cross-reference stream. qpdf
 * writes it (its C API: /Info removed, /Metadata added, the version forced
 * to 2.0), poppler signs it (pdfsig -add-signature), then sealpact does
 * (ETSI.CAdES.detached with signing-certificate-v2, a signature timestamp).
 * Both valid for us and for pdfsig, qpdf --check clean; the file stays 2.0
 * with no /Info after each update.
 */
#include "test_verify_countersign.h"

static const char xmp[] =
	"<?xpacket begin=\"\xef\xbb\xbf\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>"
	"<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"><rdf:RDF "
	"xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\"><rdf:Description rdf:about=\"\" "
	"xmlns:dc=\"http://purl.org/dc/elements/1.1/\"><dc:title><rdf:Alt><rdf:li "
	"xml:lang=\"x-default\">Contract</rdf:li></rdf:Alt></dc:title></rdf:Description>"
	"</rdf:RDF></x:xmpmeta><?xpacket end=\"w\"?>";

/* The contract rewritten by qpdf as a PDF 2.0 file (malloc'd). */
static unsigned char *
pdf20(size_t *outn)
{
	qpdf_data q = qpdf_init();
	qpdf_oh m, dict;
	unsigned char *out;

	qpdf_silence_errors(q);
	ck_assert(!(qpdf_read_memory(q, "c.pdf", (const char *)base, base_len, "") & QPDF_ERRORS));
	qpdf_oh_remove_key(q, qpdf_get_trailer(q), "/Info");
	m = qpdf_oh_new_stream(q);
	qpdf_oh_replace_stream_data(q, m, (const unsigned char *)xmp, sizeof(xmp) - 1,
				    qpdf_oh_new_null(q), qpdf_oh_new_null(q));
	dict = qpdf_oh_get_dict(q, m);
	qpdf_oh_replace_key(q, dict, "/Type", qpdf_oh_new_name(q, "/Metadata"));
	qpdf_oh_replace_key(q, dict, "/Subtype", qpdf_oh_new_name(q, "/XML"));
	qpdf_oh_replace_key(q, qpdf_get_root(q), "/Metadata", qpdf_make_indirect_object(q, m));
	ck_assert(!(qpdf_init_write_memory(q) & QPDF_ERRORS));
	qpdf_set_object_stream_mode(q, qpdf_o_generate);
	qpdf_force_pdf_version(q, "2.0");
	ck_assert(!(qpdf_write(q) & QPDF_ERRORS));
	*outn = qpdf_get_buffer_length(q);
	out = malloc(*outn);
	memcpy(out, qpdf_get_buffer(q), *outn);
	qpdf_cleanup(&q);
	return out;
}

/* d is PDF 2.0 (its header) and its last trailer names no /Info. */
static void
assert_pdf20(const unsigned char *d, size_t n)
{
	struct pdf_doc *doc;
	struct pdf_doc_info info;
	struct sp_errinfo ei;

	ck_assert(n > 8 && !memcmp(d, "%PDF-2.0", 8));
	sp_errinfo_init(&ei);
	ck_assert(pdf_doc_open(d, n, &doc, &ei) == SP_OK);
	pdf_doc_info_get(doc, &info);
	ck_assert_int_eq(info.info_obj, 0);
	pdf_doc_free(doc);
}

START_TEST(pdf20_signed_by_poppler_then_ours)
{
	size_t n0, n1, n2;
	unsigned char *d = pdf20(&n0), *one, *two;
	struct crypto_verify_report *r;

	assert_pdf20(d, n0);
	ck_assert_ptr_nonnull(memmem(d, n0, "/Type /ObjStm", 13));
	one = poppler_sign(d, n0, "poppler20", &n1);
	assert_pdf20(one, n1);
	assert_valid(one, n1, 1, "pdf20_poppler.pdf");
	r = verify(one, n1);
	ck_assert_str_eq(r->sigs[0].level, "not_pades");
	ck_assert_int_eq(r->sigs[0].verdict, CRYPTO_VERDICT_VALID);
	crypto_verify_report_free(r);
	two = vc_sign(one, n1, "ec", 1, 0, &n2);
	assert_pdf20(two, n2);
	assert_valid(two, n2, 2, "pdf20_poppler_ours.pdf");
	r = verify(two, n2);
	ck_assert_int_eq(r->sigs[0].verdict, CRYPTO_VERDICT_VALID_ALLOWED_CHANGES);
	ck_assert_str_eq(r->sigs[1].subfilter, "/ETSI.CAdES.detached");
	ck_assert_str_eq(r->sigs[1].level, "pades_b_t");
	ck_assert_int_eq(r->sigs[1].verdict, CRYPTO_VERDICT_VALID);
	ck_assert_int_eq(vc_outcome(r), VC_VALID);
	crypto_verify_report_free(r);
	free(two);
	free(one);
	free(d);
}
END_TEST

static Suite *
pdf20_suite(void)
{
	Suite *s = suite_create("verify_world_pdf20");
	TCase *tc = tcase_create("pdf20");

	tcase_add_unchecked_fixture(tc, world_setup, world_teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, pdf20_signed_by_poppler_then_ours);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(pdf20_suite());
	int nf;

	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? 0 : 1;
}
