/*
 * test_crypto_verify_kept_pages.c: the engine's revisions opened with the
 * page list of the revision before them (crypto/verify_revisions.c,
 * rev_get_after).
 *
 * The pass over a file's revisions walked the page tree of every revision
 * it opened: every page parsed in each (10,000 pages were some 25 MB of qpdf
 * objects a revision, three revisions held at once). A revision whose
 * update keeps the tree (pdf_pages_kept) is now opened with the list of the
 * revision before it. The list is what the difference analysis takes for
 * the older revision's pages: an update that moves pages must make the next
 * revision walk its tree again, or a later signature's widget on the moved
 * page would be judged against pages that are not the document's.
 */
#include <check.h>

#include "support_suite.h"
#include "test_verify_corpus.h"

VC_TRUST_FIXTURE

/* The report of the signature whose range ends with revision rev (from 1), or NULL. */
static const struct crypto_sig_report *
sig_of_revision(const struct crypto_verify_report *r, size_t rev)
{
	size_t i;

	for (i = 0; i < r->nsigs; i++)
		if (r->sigs[i].structure_ok == 1 && r->sigs[i].revision == rev)
			return &r->sigs[i];
	return NULL;
}

/*
 * Two pages; signed (revision 2); an update puts a new page, object 40,
 * first in the page tree's /Kids (revision 3: a disallowed change for that
 * signature); signed again, invisibly (revision 4, which keeps revision 3's
 * tree); then a third signer's visible seal on page 1, object 40 now
 * (revision 5). For the second signature that last update adds a signature
 * widget to a page's /Annots: allowed. Had revision 3 been given revision
 * 2's pages (5 and 6), revision 4 would have them too, and object 40
 * gaining /Annots would be a change to an object that is no page.
 */
START_TEST(pages_moved_by_an_update_are_walked_again)
{
	const char *objs[6], *upd[2];
	int nums[2] = { 2, 40 };
	unsigned char *b, *s1, *u2, *s3, *s4;
	size_t bn, n1, n2, n3, n4;
	struct crypto_verify_report *r;
	const struct crypto_sig_report *first, *second;

	objs[0] = "<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [] >> >>";
	objs[1] = "<< /Type /Pages /Kids [5 0 R 6 0 R] /Count 2 >>";
	objs[2] = "<< /Length 38 >>\nstream\nBT /F1 12 Tf 72 700 Td (Pay) Tj ET\nendstream";
	objs[3] = "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>";
	objs[4] = "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 3 0 R "
		  "/Resources << /Font << /F1 4 0 R >> >> >>";
	objs[5] = objs[4];
	b = make_pdf_objs(objs, 6, &bn);
	s1 = vc_sign(b, bn, "rsa", 1, 0, &n1);
	ck_assert_ptr_nonnull(s1);
	upd[0] = "<< /Type /Pages /Kids [40 0 R 6 0 R] /Count 2 >>";
	upd[1] = objs[4];
	u2 = vc_update(s1, n1, nums, upd, 2, 0, NULL, &n2);
	s3 = vc_sign(u2, n2, "ec", 1, 0, &n3);
	ck_assert_ptr_nonnull(s3);
	s4 = vc_sign_at(s3, n3, "rsa", 1, 0, 1, &n4);
	ck_assert_ptr_nonnull(s4);

	r = vc_verify(trust, s4, n4);
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(r->nrevisions, 5);
	first = sig_of_revision(r, 2);
	second = sig_of_revision(r, 4);
	ck_assert_ptr_nonnull(first);
	ck_assert_ptr_nonnull(second);
	ck_assert_msg(first->verdict == CRYPTO_VERDICT_INVALID,
		      "the first signature, whose page 1 was replaced: %s (%s)",
		      crypto_verdict_name(first->verdict), first->message);
	ck_assert_msg(second->verdict == CRYPTO_VERDICT_VALID_ALLOWED_CHANGES,
		      "the second signature, after which a seal was put on page 1 (object 40): "
		      "%s (%s)",
		      crypto_verdict_name(second->verdict), second->message);
	crypto_verify_report_free(r);
	free(b);
	free(s1);
	free(u2);
	free(s3);
	free(s4);
}
END_TEST

/*
 * The same with the page brought in through an indirect /Kids array that was
 * empty: the root's kids are node 7, whose /Kids is object 8, [], and page 5.
 * Signed (revision 2); an update makes object 8 [6 0 R] (revision 3), so
 * object 6 is page 1; signed again invisibly (revision 4), then sealed on
 * page 1 (revision 5). An empty array holds no page nor node to tell it is a
 * /Kids array, and the update lists neither node: had revision 3 been given
 * revision 2's pages (5 alone), object 6 gaining /Annots would be a change to
 * an object that is no page.
 */
START_TEST(pages_added_through_an_empty_kids_array_are_walked_again)
{
	const char *objs[8], *upd[1];
	int nums[1] = { 8 };
	unsigned char *b, *s1, *u2, *s3, *s4;
	size_t bn, n1, n2, n3, n4;
	struct crypto_verify_report *r;
	const struct crypto_sig_report *second;

	objs[0] = "<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [] >> >>";
	objs[1] = "<< /Type /Pages /Kids [7 0 R 5 0 R] /Count 1 >>";
	objs[2] = "<< /Length 38 >>\nstream\nBT /F1 12 Tf 72 700 Td (Pay) Tj ET\nendstream";
	objs[3] = "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>";
	objs[4] = "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 3 0 R "
		  "/Resources << /Font << /F1 4 0 R >> >> >>";
	objs[5] = "<< /Type /Page /Parent 7 0 R /MediaBox [0 0 612 792] /Contents 3 0 R "
		  "/Resources << /Font << /F1 4 0 R >> >> >>";
	objs[6] = "<< /Type /Pages /Parent 2 0 R /Kids 8 0 R /Count 0 >>";
	objs[7] = "[]";
	b = make_pdf_objs(objs, 8, &bn);
	s1 = vc_sign(b, bn, "rsa", 1, 0, &n1);
	ck_assert_ptr_nonnull(s1);
	upd[0] = "[6 0 R]";
	u2 = vc_update(s1, n1, nums, upd, 1, 0, NULL, &n2);
	s3 = vc_sign(u2, n2, "ec", 1, 0, &n3);
	ck_assert_ptr_nonnull(s3);
	s4 = vc_sign_at(s3, n3, "rsa", 1, 0, 1, &n4);
	ck_assert_ptr_nonnull(s4);

	r = vc_verify(trust, s4, n4);
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(r->nrevisions, 5);
	second = sig_of_revision(r, 4);
	ck_assert_ptr_nonnull(second);
	ck_assert_msg(second->verdict == CRYPTO_VERDICT_VALID_ALLOWED_CHANGES,
		      "the second signature, after which a seal was put on page 1 (object 6): "
		      "%s (%s)",
		      crypto_verdict_name(second->verdict), second->message);
	crypto_verify_report_free(r);
	free(b);
	free(s1);
	free(u2);
	free(s3);
	free(s4);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("crypto_verify_kept_pages");
	TCase *tc = test_tcase(s, "kept_pages", setup, teardown, 0, 60);

	tcase_add_test(tc, pages_moved_by_an_update_are_walked_again);
	tcase_add_test(tc, pages_added_through_an_empty_kids_array_are_walked_again);
	return test_suite_run(s);
}
