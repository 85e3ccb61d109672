/*
 * test_crypto_verify_pages_cost.c: the cost of judging an update's objects
 * against a document of many pages (pdf/diff.c: is_annots, on_a_page).
 *
 * For each object an update redefines, the difference analysis asked every
 * page of the older revision whether the object is its /Annots array, and
 * for an annotation changed, every item of every page's /Annots whether it
 * is that annotation: objects x pages x annotations qpdf calls. A file of
 * 2,000 pages with 8 annotations each, all 16,000 rewritten after the
 * signature, is some 2.6e8 calls: the anonymous POST /api/v1/verify would
 * spend minutes on it. The pages and their annotations are now read once
 * per diff; the verdict stays what it was (annotations changed after an
 * approval signature: invalid).
 */
#include <check.h>

#include "support_suite.h"
#include "test_verify_corpus.h"

#define PAGES 2000
#define PER_PAGE 8
#define FIRST_PAGE 5
#define FIRST_ANNOT (FIRST_PAGE + PAGES)
#define NANNOTS (PAGES * PER_PAGE)

VC_TRUST_FIXTURE

START_TEST(many_pages_and_annotations_are_judged_in_near_linear_time)
{
	size_t nobj = FIRST_ANNOT - 1 + NANNOTS, i, bn, sn, n, kids_len = (size_t)PAGES * 12 + 64;
	const char **objs = calloc(nobj, sizeof(*objs));
	char **own = calloc(nobj, sizeof(*own)), *kids = malloc(kids_len), **upd;
	int *nums = malloc(NANNOTS * sizeof(*nums)), p, k, at = 0;
	unsigned char *b, *s, *u;
	struct crypto_verify_report *r;

	at = snprintf(kids, kids_len, "<< /Type /Pages /Count %d /Kids [", PAGES);
	for (p = 0; p < PAGES; p++)
		at += snprintf(kids + at, kids_len - (size_t)at, "%d 0 R ", FIRST_PAGE + p);
	snprintf(kids + at, kids_len - (size_t)at, "] >>");
	objs[0] = "<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [] >> >>";
	objs[1] = kids;
	objs[2] = "<< /Length 38 >>\nstream\nBT /F1 12 Tf 72 700 Td (Pay) Tj ET\nendstream";
	objs[3] = "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>";
	for (p = 0; p < PAGES; p++) {
		char annots[PER_PAGE * 12 + 16];
		int a = snprintf(annots, sizeof(annots), "[");
		for (k = 0; k < PER_PAGE; k++)
			a += snprintf(annots + a, sizeof(annots) - (size_t)a, "%d 0 R ",
				      FIRST_ANNOT + p * PER_PAGE + k);
		snprintf(annots + a, sizeof(annots) - (size_t)a, "]");
		own[FIRST_PAGE - 1 + p] = malloc(256);
		snprintf(own[FIRST_PAGE - 1 + p], 256,
			 "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 3 0 R "
			 "/Resources << /Font << /F1 4 0 R >> >> /Annots %s >>",
			 annots);
	}
	for (i = 0; i < NANNOTS; i++) {
		own[FIRST_ANNOT - 1 + i] = malloc(128);
		snprintf(own[FIRST_ANNOT - 1 + i], 128,
			 "<< /Type /Annot /Subtype /Text /Rect [10 10 30 30] /Contents (n%zu) >>",
			 i);
	}
	for (i = 0; i < nobj; i++)
		if (own[i])
			objs[i] = own[i];
	b = make_pdf_objs(objs, (int)nobj, &bn);
	s = vc_sign(b, bn, "rsa", 1, 0, &sn);
	ck_assert_ptr_nonnull(s);
	/* every annotation's text rewritten after the signature */
	upd = malloc(NANNOTS * sizeof(*upd));
	for (i = 0; i < NANNOTS; i++) {
		nums[i] = FIRST_ANNOT + (int)i;
		upd[i] = malloc(128);
		snprintf(upd[i], 128,
			 "<< /Type /Annot /Subtype /Text /Rect [10 10 30 30] /Contents (m%zu) >>",
			 i);
	}
	u = vc_update(s, sn, nums, (const char *const *)upd, NANNOTS, 0, NULL, &n);
	r = vc_verify(trust, u, n);
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(r->nsigs, 1);
	ck_assert_msg(r->sigs[0].verdict == CRYPTO_VERDICT_INVALID && r->sigs[0].ndisallowed > 0,
		      "annotations changed after an approval signature: %s",
		      crypto_verdict_name(r->sigs[0].verdict));
	crypto_verify_report_free(r);
	for (i = 0; i < NANNOTS; i++)
		free(upd[i]);
	for (i = 0; i < nobj; i++)
		free(own[i]);
	free(upd);
	free(own);
	free(objs);
	free(nums);
	free(kids);
	free(b);
	free(s);
	free(u);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("crypto_verify_pages_cost");
	TCase *tc = test_tcase(s, "pages_cost", setup, teardown, 0, 60);

	tcase_add_test(tc, many_pages_and_annotations_are_judged_in_near_linear_time);
	return test_suite_run(s);
}
