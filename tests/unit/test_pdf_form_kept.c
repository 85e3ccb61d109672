/*
 * test_pdf_form_kept.c: the form's kept facts (pdf/form_kept.c) answer what
 * a walk of the form answers (names, counts, the signed-field listing, the
 * DocMDP check), on the fixtures and others' PDFs, carried over updates
 * sealpact writes; key references read once. That no hostile update carries
 * them over without a walk again: test_pdf_form_kept_hostile.c.
 */
#include "test_pdf_form_kept.h"

START_TEST(walk_equals_kept_on_files)
{
	static const char *files[] = {
		"tests/fixtures/contracts/contract30.pdf",
		"tests/fixtures/contracts/mixed.pdf",
		"tests/fixtures/contracts/short.pdf",
		"tests/fuzz/corpus/pdf_open/contract30-p2.pdf",
		"tests/fuzz/corpus/verify/pades_b_lta.pdf",
		"tests/fuzz/corpus/verify/doc_timestamp.pdf",
		"tests/fuzz/corpus/verify/xref_streams.pdf",
		"tests/fuzz/corpus/verify/judge.pdf",
	};
	size_t i, n, opened = 0;
	unsigned char *d;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		if ((d = slurp(files[i], &n)) == NULL)
			continue;
		opened += (size_t)check_bytes(d, n, NULL, 0);
		free(d);
	}
	ck_assert_uint_ge(opened, 6);
}
END_TEST

/* d signed by sealpact's writer (placeholder left empty: the form does not care) */
START_TEST(carried_over_signings)
{
	size_t n, nn, flen, nflen;
	unsigned char *d = slurp("tests/fixtures/contracts/contract30.pdf", &n), *next;
	uint8_t *facts, *nf = NULL;
	int i;

	ck_assert_ptr_nonnull(d);
	facts = facts_of(d, n, &flen);
	for (i = 0; i < 6; i++) {
		/* one widget (the field is the widget), or two (the field has /Kids) */
		next = sign(d, n, 1 + i % 2, NULL, &nn);
		ck_assert_int_eq(carry(d, n, facts, flen, next, nn, &nf, &nflen), SP_OK);
		ck_assert(check_bytes(next, nn, nf, nflen));
		free(d);
		free(facts);
		d = next;
		n = nn;
		facts = nf;
		flen = nflen;
	}
	free(facts);
	free(d);
}
END_TEST

/* d plus one classic-table update of objects nums[i] = objs[i] (malloc'd) */

/*
 * An array of references read through the document (pdf_doc_key_refs) is
 * what pdf_array_refs reads, the first time and every time after (kept
 * once); an array of numbers is none, both ways.
 */
START_TEST(key_refs_read_once)
{
	size_t n, flen;
	uint8_t *facts = NULL;
	unsigned char *d = two_signed(&n, &facts, &flen);
	struct pdf_doc *doc = NULL;
	struct sp_errinfo ei;
	qpdf_oh af, fields, box;
	int *a = NULL, *b = NULL, *c = NULL, num, gen, items, i;
	const char *key;

	sp_errinfo_init(&ei);
	ck_assert_int_eq(pdf_doc_open(d, n, &doc, &ei), SP_OK);
	af = qpdf_oh_get_key(doc->q, qpdf_get_root(doc->q), "/AcroForm");
	fields = qpdf_oh_get_key(doc->q, af, "/Fields");
	/* the object that holds the array, and its key there ("": the array's own) */
	if (qpdf_oh_is_indirect(doc->q, fields)) {
		num = qpdf_oh_get_object_id(doc->q, fields);
		gen = qpdf_oh_get_generation(doc->q, fields);
		key = "";
	} else {
		ck_assert(qpdf_oh_is_indirect(doc->q, af));
		num = qpdf_oh_get_object_id(doc->q, af);
		gen = qpdf_oh_get_generation(doc->q, af);
		key = "/Fields";
	}
	items = qpdf_oh_get_array_n_items(doc->q, fields);
	ck_assert_int_ge(items, 2);
	ck_assert_int_eq(pdf_array_refs(doc->q, fields, items, &a), 1);
	for (i = 0; i < 2; i++) {
		ck_assert_int_eq(pdf_doc_key_refs(doc, num, gen, key, fields, items, &b), 1);
		ck_assert(memcmp(a, b, (size_t)items * 2 * sizeof(int)) == 0);
		free(b);
		b = NULL;
		ck_assert_uint_eq(doc->nkrefs, 1);
	}
	/* numbers: no references, either way */
	box = qpdf_oh_get_key(doc->q, doc->pages[0], "/MediaBox");
	ck_assert_int_eq(pdf_array_refs(doc->q, box, 4, &c), 0);
	for (i = 0; i < 2; i++) {
		ck_assert_int_eq(pdf_doc_key_refs(doc, qpdf_oh_get_object_id(doc->q, doc->pages[0]),
						  qpdf_oh_get_generation(doc->q, doc->pages[0]),
						  "/MediaBox", box, 4, &c),
				 0);
		ck_assert_ptr_null(c);
	}
	ck_assert_uint_eq(doc->nkrefs, 2);
	free(a);
	pdf_doc_free(doc);
	free(facts);
	free(d);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("pdf_form_kept");
	TCase *t = tcase_create("core");

	tcase_set_timeout(t, 60);
	tcase_add_test(t, walk_equals_kept_on_files);
	tcase_add_test(t, carried_over_signings);
	tcase_add_test(t, key_refs_read_once);
	suite_add_tcase(s, t);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
