/*
 * test_pdf_diff_hidden.c: the references qpdf hides (struct pdf_refs'
 * no_hidden, pdf/diff_hidden.c; review47).
 *
 * qpdf reads a reference to a missing object as null and lists no
 * dictionary key whose value is null: /XObject << /X1 99 0 R >> without
 * object 99 is seen by no walk, and an update that then defines object 99
 * changes what the page draws. Whether a new object fills such a reference
 * takes a walk of the whole newer revision (orphans_named), which a chain
 * that hides none skips: a file qpdf rewrote (an upload) and every update
 * since whose objects' bytes name no missing object. An update that names
 * one must end that, or the next update fills it unseen.
 *
 * A contract: catalog 1, pages 2, page 3 (its /Resources object 6), content
 * 4, font 5, resources 6. The references of its first revision are taken as
 * the rewritten upload's (no_hidden, through export and import); then
 * updates, each diffed as a verification diffs them in turn.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../fixtures/pdf-writer/pdfgen.h"
#include "pdf_int.h"

#define RES "<< /Font << /F1 5 0 R >> >>"
#define FORM \
	"<< /Type /XObject /Subtype /Form /BBox [0 0 612 792] /Length 25 >>\nstream\n" \
	"1 1 1 rg 0 0 612 792 re f\nendstream"

static unsigned char *
contract(size_t *n)
{
	const char *objs[6] = {
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
		"/Resources 6 0 R >>",
		"<< /Length 44 >>\nstream\nBT /F1 12 Tf 72 700 Td (Pay 100 EUR) Tj ET\nendstream",
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
		RES,
	};
	return make_pdf_objs(objs, 6, n);
}

/* d[0..*n) (realloc'd) plus an update of k objects nums[i] = objs[i], classic xref. */
static unsigned char *
update(unsigned char *d, size_t *n, const int *nums, const char *const *objs, int k)
{
	struct gbuf b = { (char *)d, *n, *n };
	const unsigned char *sx = NULL, *p;
	size_t off[4], xref;
	long long prev;
	int i, size = 7;

	ck_assert_int_le(k, 4);
	for (p = d; (p = memmem(p, *n - (size_t)(p - d), "startxref", 9)) != NULL; p++)
		sx = p;
	ck_assert_ptr_nonnull(sx);
	prev = atoll((const char *)sx + 10);
	for (i = 0; i < k; i++) {
		off[i] = b.n;
		gb_printf(&b, "%d 0 obj\n%s\nendobj\n", nums[i], objs[i]);
		if (nums[i] + 1 > size)
			size = nums[i] + 1;
	}
	xref = b.n;
	gb_printf(&b, "xref\n");
	for (i = 0; i < k; i++)
		gb_printf(&b, "%d 1\n%010zu 00000 n \n", nums[i], off[i]);
	gb_printf(&b, "trailer\n<< /Size %d /Root 1 0 R /Prev %lld >>\nstartxref\n%zu\n%%%%EOF\n",
		  size, prev, xref);
	*n = b.n;
	return (unsigned char *)b.p;
}

/* The references of d's first revision as the rewritten upload's are handed on. */
static void
upload_refs(const unsigned char *d, size_t n, struct pdf_refs *refs)
{
	struct pdf_doc *doc = NULL;
	struct pdf_refs first;
	struct sp_errinfo ei;
	int *nums = NULL;
	size_t nn = 0;

	sp_errinfo_init(&ei);
	ck_assert_int_eq(pdf_doc_open(d, n, &doc, &ei), SP_OK);
	ck_assert_int_eq(pdf_refs_init(doc, &first, &ei), SP_OK);
	first.no_hidden = 1;
	ck_assert_int_eq(pdf_refs_export(&first, &nums, &nn, &ei), SP_OK);
	ck_assert_int_eq(pdf_refs_import(nums, nn, refs, &ei), SP_OK);
	ck_assert_int_eq(refs->no_hidden, 1);
	free(nums);
	pdf_refs_cleanup(&first);
	pdf_doc_free(doc);
}

/* Diff revision k of d[0..n) against k-1 with refs; its disallowed changes' texts, joined. */
static size_t
diff_rev(const unsigned char *d, size_t n, size_t k, struct pdf_refs *refs, char *what, size_t cap)
{
	struct pdf_revision revs[8];
	struct pdf_doc *older = NULL, *newer = NULL;
	struct pdf_diff out;
	struct sp_errinfo ei;
	size_t nrev = 0, i, nd;

	sp_errinfo_init(&ei);
	what[0] = 0;
	ck_assert_int_eq(pdf_revisions_find(d, n, revs, 8, &nrev, &ei), SP_OK);
	ck_assert_uint_gt(nrev, k);
	ck_assert_int_eq(pdf_doc_open(d, revs[k - 1].end, &older, &ei), SP_OK);
	ck_assert_int_eq(pdf_doc_open(d, revs[k].end, &newer, &ei), SP_OK);
	ck_assert_msg(pdf_revision_diff(older, newer, &revs[k], refs, &out, &ei) == SP_OK, "%s",
		      ei.msg);
	for (i = 0; i < out.n; i++)
		if (!out.c[i].allowed)
			snprintf(what + strlen(what), cap - strlen(what), "%s; ", out.c[i].what);
	nd = out.ndisallowed;
	pdf_diff_cleanup(&out);
	pdf_doc_free(older);
	pdf_doc_free(newer);
	return nd;
}

/*
 * _i 0: the first update rewrites the resources to name object 99, which
 * no revision has (a disallowed change of its own, to an object a page
 * uses; what matters is the next); 1: the same, a comment between the
 * reference's parts, which qpdf skips. The second update defines object
 * 99: the page draws it now, and the diff must say so.
 * 2..4 (review48): words qpdf 11.3's parser reads on past. Inside a
 * dictionary it takes a bare endobj (2) or stream (3) for a string
 * ("unknown token while reading object; treating as string"), and an
 * invalid hex string (4, <g) for a null that ends at the bad character,
 * then parses the rest: `qpdf --show-object=6` on the second update's file
 * prints << ... /Q (endobj) /XObject << /X1 99 0 R >> >>. diff_hidden.c
 * stops at the first endobj or stream token, or skips to the next '>'.
 */
START_TEST(a_reference_hidden_by_an_update_is_seen_filled_by_the_next)
{
	const char *res[5] = {
		"<< /Font << /F1 5 0 R >> /XObject << /X1 99 0 R >> >>",
		"<< /Font << /F1 5 0 R >> /XObject << /X1 99 % no object 99 yet\n0 R >> >>",
		"<< /Font << /F1 5 0 R >> /Q endobj /XObject << /X1 99 0 R >> >>",
		"<< /Font << /F1 5 0 R >> /Q stream /XObject << /X1 99 0 R >> >>",
		"<< /Font << /F1 5 0 R >> /Q <g /XObject << /X1 99 0 R >> >>",
	};
	int n6 = 6, n99 = 99;
	const char *o6 = res[_i], *o99 = FORM;
	struct pdf_refs refs;
	char what[1024];
	size_t n, nd;
	unsigned char *d = contract(&n);

	upload_refs(d, n, &refs);
	d = update(d, &n, &n6, &o6, 1);
	d = update(d, &n, &n99, &o99, 1);
	(void)diff_rev(d, n, 1, &refs, what, sizeof(what));
	ck_assert_msg(refs.no_hidden == 0,
		      "case %d: an update names missing object 99, and its references still say "
		      "they hide none",
		      _i);
	nd = diff_rev(d, n, 2, &refs, what, sizeof(what));
	ck_assert_msg(nd > 0 && strstr(what, "fills a reference") != NULL,
		      "case %d: object 99 filled: %zu disallowed changes (%s)", _i, nd, what);
	pdf_refs_cleanup(&refs);
	free(d);
}
END_TEST

/*
 * Updates that name only objects they or the revision have keep the walk
 * away: _i 0, the resources name a new form, defined in the same update;
 * 1, a string and a name that read like a reference to a missing object
 * but are none.
 */
START_TEST(an_update_naming_no_missing_object_keeps_the_chain_known)
{
	const char *res[2] = {
		"<< /Font << /F1 5 0 R >> /XObject << /X1 7 0 R >> >>",
		"<< /Font << /F1 5 0 R >> /Note (see 99 0 R) /N#20R 99 >>",
	};
	int nums[2] = { 6, 7 };
	const char *objs[2] = { res[_i], FORM };
	struct pdf_refs refs;
	char what[1024];
	size_t n;
	unsigned char *d = contract(&n);

	upload_refs(d, n, &refs);
	d = update(d, &n, nums, objs, _i == 0 ? 2 : 1);
	(void)diff_rev(d, n, 1, &refs, what, sizeof(what));
	ck_assert_msg(refs.no_hidden == 1, "case %d: the update named no missing object", _i);
	pdf_refs_cleanup(&refs);
	free(d);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("pdf_diff_hidden");
	TCase *tc = tcase_create("hidden");

	tcase_add_loop_test(tc, a_reference_hidden_by_an_update_is_seen_filled_by_the_next, 0, 5);
	tcase_add_loop_test(tc, an_update_naming_no_missing_object_keeps_the_chain_known, 0, 2);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
