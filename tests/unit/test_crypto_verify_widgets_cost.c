/*
 * test_crypto_verify_widgets_cost.c: the cost of judging new signature
 * widgets on a page (pdf/diff_form.c: diff_grows_by_sigs -> in_form, stop
 * 42's "widgets outside the form" rule) on a hostile file (review45).
 *
 * For each widget a page's /Annots gains, in_form() reads the whole of the
 * form's /Fields (pdf_array_refs: qpdf unparses the array to text, then it
 * is scanned) to find the widget's field there: n new widgets and n fields
 * cost n^2. The anonymous POST /api/v1/verify takes a file of a few MiB
 * with tens of thousands of them. The listing of signed fields caps the
 * final revision's field tree (FIELD_NODES_MAX), so the file's last update
 * takes them out of the form again; the update that added them is still
 * judged.
 *
 * The file: a signed contract, then an update adding N invisible signature
 * fields (each its own widget) to /Fields and to page 1's /Annots, then one
 * that puts the form and the page back as the signature left them. Its
 * verification must end within the tcase's limit.
 */
#include <check.h>
#include "support_suite.h"
#include "test_verify_countersign.h"

/* new widgets: a file of some 2.5 MiB (1798c66: 20 s of CPU at 10,000, 4x that at twice
   as many; linear now: 4.5 s at 20,000, 2.7 s of it the set-up) */
#define N_WIDGETS 20000

VC_TRUST_FIXTURE

/* Append to *b an update of objects nums[0..k) (bodies), trailer /Size size, /Root 1. */
static void
append(struct gbuf *b, const int *nums, char *const *bodies, size_t k, long long size,
       long long prev, long long *startxref)
{
	size_t i, *off = malloc(k * sizeof(*off)), xref;

	for (i = 0; i < k; i++) {
		off[i] = b->n;
		gb_printf(b, "%d 0 obj\n%s\nendobj\n", nums[i], bodies[i]);
	}
	xref = b->n;
	gb_printf(b, "xref\n0 1\n0000000000 65535 f \n");
	for (i = 0; i < k; i++)
		gb_printf(b, "%d 1\n%010zu 00000 n \n", nums[i], off[i]);
	gb_printf(b, "trailer\n<< /Size %lld /Root 1 0 R /Prev %lld >>\nstartxref\n%zu\n%%%%EOF\n",
		  size, prev, xref);
	*startxref = (long long)xref;
	free(off);
}

START_TEST(many_new_signature_widgets_are_judged_in_near_linear_time)
{
	const int first = 1000, nw = N_WIDGETS;
	size_t n, n1, i;
	unsigned char *d, *s;
	char *cat, *page, *items, *bodies[2], **w;
	int nums[2] = { 1, 3 }, *wn;
	long long sx;
	struct gbuf b;
	struct pdf_doc *doc = NULL;
	struct pdf_doc_info info;
	struct sp_errinfo ei;
	struct crypto_verify_report *r;

	sp_errinfo_init(&ei);
	d = vc_base(0, &n);
	s = vc_sign(d, n, "rsa", 1, 0, &n1);
	ck_assert_int_eq(pdf_doc_open(s, n1, &doc, &ei), SP_OK);
	pdf_doc_info_get(doc, &info);
	pdf_doc_free(doc);
	ck_assert_int_eq(info.root_obj, 1);
	cat = obj_text(s, n1, 1);
	page = obj_text(s, n1, 3);
	/* the new fields' references, and the fields themselves */
	items = malloc((size_t)nw * 12 + 1);
	items[0] = '\0';
	for (i = 0, n = 0; i < (size_t)nw; i++)
		n += (size_t)sprintf(items + n, "%d 0 R ", first + (int)i);
	w = malloc((size_t)(nw + 2) * sizeof(*w));
	wn = malloc((size_t)(nw + 2) * sizeof(*wn));
	wn[0] = 1;
	w[0] = array_append(cat, "/Fields [", items);
	wn[1] = 3;
	w[1] = array_append(page, "/Annots [", items);
	for (i = 0; i < (size_t)nw; i++) {
		wn[i + 2] = first + (int)i;
		w[i + 2] = malloc(128);
		snprintf(w[i + 2], 128,
			 "<< /FT /Sig /T (s%zu) /Type /Annot /Subtype /Widget /Rect [0 0 0 0] /F 2 "
			 "/P 3 0 R >>",
			 i);
	}
	b.p = malloc(n1 + (size_t)nw * 256 + 4096);
	b.n = 0;
	b.cap = n1 + (size_t)nw * 256 + 4096;
	memcpy(b.p, s, n1);
	b.n = n1;
	append(&b, wn, w, (size_t)nw + 2, first + nw, info.startxref, &sx);
	/* the form and the page as the signature left them */
	bodies[0] = cat;
	bodies[1] = page;
	append(&b, nums, bodies, 2, first + nw, sx, &sx);
	r = vc_verify(trust, (unsigned char *)b.p, b.n);
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_ge(r->nsigs, 1);
	crypto_verify_report_free(r);
	for (i = 0; i < (size_t)nw + 2; i++)
		free(w[i]);
	free(w);
	free(wn);
	free(items);
	free(cat);
	free(page);
	free(b.p);
	free(d);
	free(s);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("crypto_verify_widgets_cost");
	TCase *tc = test_tcase(s, "widgets_cost", setup, teardown, 0, 60);

	tcase_add_test(tc, many_new_signature_widgets_are_judged_in_near_linear_time);
	return test_suite_run(s);
}
