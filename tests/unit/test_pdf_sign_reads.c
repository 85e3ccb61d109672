/*
 * test_pdf_sign_reads.c: a prepare takes the earlier signers' references in
 * the page's /Annots and the form's /Fields as the document keeps them read
 * (pdf_doc_key_refs: read by the completion that stored the bytes and
 * handed on with its parse), and writes exactly the update a fresh open
 * writes; what it read itself it keeps for the completion after it.
 * Shares test_pdf_sign.c's helpers (test_pdf_sign.h).
 */
#include "test_pdf_sign.h"

/* The references under key of doc's object num (generation gen), read through doc. */
static int
kept_read(struct pdf_doc *doc, int num, int gen, const char *key, int **refs)
{
	qpdf_oh arr = qpdf_oh_get_key(doc->q, qpdf_get_object_by_id(doc->q, num, gen), key);
	int n = qpdf_oh_get_array_n_items(doc->q, arr);

	ck_assert_int_ge(n, 2);
	ck_assert_int_eq(pdf_doc_key_refs(doc, num, gen, key, arr, n, refs), 1);
	return n;
}

/* doc's AcroForm object (asserted indirect) into *num, *gen. */
static void
acroform_of(struct pdf_doc *doc, int *num, int *gen)
{
	qpdf_oh af = qpdf_oh_get_key(doc->q, qpdf_get_root(doc->q), "/AcroForm");

	ck_assert(qpdf_oh_is_indirect(doc->q, af));
	*num = qpdf_oh_get_object_id(doc->q, af);
	*gen = qpdf_oh_get_generation(doc->q, af);
}

/* The update prepare_update writes on bytes d[0..n) opened as doc. */
static void
update_of(struct pdf_doc *doc, struct pdf_sig_prepared *p)
{
	struct pdf_placement pl[2] = {
		{ .mode = PDF_PLACE_NORMAL, .page = 1, .x = 300, .y = 500 },
		{ .mode = PDF_PLACE_DATE, .page = 1, .x = 300, .y = 440 },
	};
	struct pdf_sig_params par = { .signing_time = T0,
				      .utc_offset_min = 480,
				      .contents_max = 6000 };
	struct pdf_seal s = { .png = seal, .png_len = seal_len };
	struct sp_errinfo ei;

	sp_errinfo_init(&ei);
	ck_assert_msg(pdf_sig_prepare_update(doc, &par, &s, 1, pl, 2, p, &ei) == SP_OK, "%s",
		      ei.msg);
}

START_TEST(kept_reads_give_the_same_update)
{
	/* one field of two widgets (pages 1 and 2) a signer: page 1's /Annots and the
	   /Fields list other objects */
	struct pdf_placement pl = { .mode = PDF_PLACE_MULTI, .pages = "1-2", .x = 100, .y = 120 };
	struct pdf_sig_prepared a, b;
	struct pdf_doc *fresh = NULL, *kept = NULL, *next = NULL;
	struct sp_errinfo ei;
	unsigned char *d0, *one, *two, *three;
	qpdf_oh arr;
	int *annots = NULL, *fields = NULL, *again = NULL, pnum, pgen, afnum, afgen, na, nf;
	size_t n0, n1, n2;

	sp_errinfo_init(&ei);
	d0 = read_fixture("contracts/contract30.pdf", &n0);
	one = sign_with_openssl(d0, n0, &pl, 1, &n1);
	pl.x = 200;
	two = sign_with_openssl(one, n1, &pl, 1, &n2);
	/* a fresh open reads the arrays itself, and keeps them */
	ck_assert_msg(pdf_doc_open_stored(two, n2, &fresh, &ei) == SP_OK, "%s", ei.msg);
	ck_assert_uint_eq(fresh->nkrefs, 0);
	update_of(fresh, &a);
	ck_assert_uint_eq(fresh->nkrefs, 2);
	/* as a completion leaves them: page 1's /Annots and the form's /Fields read */
	ck_assert_msg(pdf_doc_open_stored(two, n2, &kept, &ei) == SP_OK, "%s", ei.msg);
	pnum = qpdf_oh_get_object_id(kept->q, kept->pages[0]);
	pgen = qpdf_oh_get_generation(kept->q, kept->pages[0]);
	acroform_of(kept, &afnum, &afgen);
	na = kept_read(kept, pnum, pgen, "/Annots", &annots);
	nf = kept_read(kept, afnum, afgen, "/Fields", &fields);
	ck_assert_uint_eq(kept->nkrefs, 2);
	/* two signers' widgets on page 1, their two fields: of one length, other
	   references, so one read taken for the other (its key or its object) is written
	   in the update and seen */
	ck_assert_int_eq(na, 2);
	ck_assert_int_eq(nf, 2);
	ck_assert(memcmp(annots, fields, 4 * sizeof(int)) != 0);
	update_of(kept, &b);
	ck_assert_uint_eq(kept->nkrefs, 2); /* taken as kept, not read again */
	ck_assert_uint_eq(a.update_len, b.update_len);
	ck_assert_mem_eq(a.update, b.update, a.update_len);
	ck_assert_uint_eq(a.contents_off, b.contents_off);
	ck_assert_mem_eq(a.byte_range, b.byte_range, sizeof(a.byte_range));
	ck_assert_mem_eq(a.sha256, b.sha256, 32);
	/* the new revision keeps the earlier signers' widgets and fields first in its arrays,
	   and adds one field and its widget on page 1 (read from its bytes, not through the
	   reads above) */
	ck_assert_ptr_nonnull(three = malloc(n2 + b.update_len));
	memcpy(three, two, n2);
	memcpy(three + n2, b.update, b.update_len);
	ck_assert_msg(pdf_doc_open_stored(three, n2 + b.update_len, &next, &ei) == SP_OK, "%s",
		      ei.msg);
	arr = qpdf_oh_get_key(next->q, next->pages[0], "/Annots");
	ck_assert_int_eq(qpdf_oh_get_array_n_items(next->q, arr), na + 2); /* seal and date */
	ck_assert_int_eq(pdf_array_refs(next->q, arr, na + 2, &again), 1);
	ck_assert_mem_eq(annots, again, (size_t)na * 2 * sizeof(int));
	free(again);
	arr = qpdf_oh_get_key(next->q,
			      qpdf_oh_get_key(next->q, qpdf_get_root(next->q), "/AcroForm"),
			      "/Fields");
	ck_assert_int_eq(qpdf_oh_get_array_n_items(next->q, arr), nf + 1);
	ck_assert_int_eq(pdf_array_refs(next->q, arr, nf + 1, &again), 1);
	ck_assert_mem_eq(fields, again, (size_t)nf * 2 * sizeof(int));
	free(again);
	pdf_doc_free(next);
	free(three);
	free(annots);
	free(fields);
	pdf_sig_prepared_cleanup(&a);
	pdf_sig_prepared_cleanup(&b);
	pdf_doc_free(fresh);
	pdf_doc_free(kept);
	free(two);
	free(one);
	free(d0);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("pdf_sign_reads");
	TCase *tc = test_tcase(s, "reads", setup, teardown, 1, 120);

	tcase_add_test(tc, kept_reads_give_the_same_update);
	return test_suite_run(s);
}
