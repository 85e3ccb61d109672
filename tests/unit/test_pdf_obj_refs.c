/*
 * test_pdf_obj_refs.c: an array of references read from the bytes of the
 * update's object that holds it (pdf/obj_refs.c, pdf_doc_key_refs) is what
 * qpdf's parse of those bytes holds (pdf_array_refs over its unparse), or
 * it is not read from the bytes at all: on plainly written objects, and on
 * near misses a hostile update could make of them (a comment, the key twice
 * or written with a # escape, a stream, a hex string qpdf reads on from, an
 * item that is no reference, the key's text inside a string or a nested
 * dictionary).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pdf_int.h"
#include "support_suite.h"

struct gbuf {
	char *d;
	size_t n, cap;
};

static void
gb_add(struct gbuf *b, const char *s, size_t n)
{
	if (b->n + n + 1 > b->cap) {
		b->cap = 2 * (b->n + n + 1);
		b->d = realloc(b->d, b->cap);
		ck_assert_ptr_nonnull(b->d);
	}
	memcpy(b->d + b->n, s, n);
	b->n += n;
	b->d[b->n] = 0;
}

static void
gb_obj(struct gbuf *b, size_t *off, int num, const char *body)
{
	char h[32];

	off[num] = b->n;
	snprintf(h, sizeof(h), "%d 0 obj\n", num);
	gb_add(b, h, strlen(h));
	gb_add(b, body, strlen(body));
	gb_add(b, "\nendobj\n", 8);
}

static void
gb_xref(struct gbuf *b, const size_t *off, const int *nums, size_t k, int size, long long prev)
{
	char l[160];
	size_t x = b->n, i;

	gb_add(b, "xref\n0 1\n0000000000 65535 f \n", 29);
	for (i = 0; i < k; i++) {
		snprintf(l, sizeof(l), "%d 1\n%010zu 00000 n \n", nums[i], off[nums[i]]);
		gb_add(b, l, strlen(l));
	}
	if (prev >= 0)
		snprintf(l, sizeof(l), "trailer\n<< /Size %d /Root 1 0 R /Prev %lld >>\n", size,
			 prev);
	else
		snprintf(l, sizeof(l), "trailer\n<< /Size %d /Root 1 0 R >>\n", size);
	gb_add(b, l, strlen(l));
	snprintf(l, sizeof(l), "startxref\n%zu\n%%%%EOF\n", x);
	gb_add(b, l, strlen(l));
}

#define NOBJ 12 /* /Size, and room for object 12 */

/*
 * A one-page file whose page (3) has widgets 5 and 7 in /Annots and whose
 * form (10) lists fields 5 and 7, then an update that writes the page as
 * page and object 11 as arr (NULL: not written), then (dss_after) one that
 * adds object 12.
 */
static unsigned char *
file_with(const char *page, const char *arr, int dss_after, size_t *len)
{
	struct gbuf b = { 0 };
	size_t off[NOBJ + 1] = { 0 }, x, x2;
	static const int after[] = { 12 };
	static const int all[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11 };
	int upd[2] = { 3, 11 }, i;
	char w[160];

	gb_add(&b, "%PDF-1.7\n", 9);
	gb_obj(&b, off, 1, "<< /Type /Catalog /Pages 2 0 R /AcroForm 10 0 R >>");
	gb_obj(&b, off, 2, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>");
	gb_obj(&b, off, 3,
	       "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
	       "/Annots [5 0 R 7 0 R] >>");
	gb_obj(&b, off, 4, "<< /Length 0 >>\nstream\n\nendstream");
	for (i = 5; i <= 9; i++) {
		snprintf(w, sizeof(w),
			 "<< /Type /Annot /Subtype /Widget /FT /Sig /T (s%d) /Rect [0 0 9 9] "
			 "/P 3 0 R >>",
			 i);
		gb_obj(&b, off, i, w);
	}
	gb_obj(&b, off, 10, "<< /Fields [5 0 R 7 0 R] >>");
	gb_obj(&b, off, 11, "[5 0 R]");
	x = b.n;
	gb_xref(&b, off, all, sizeof(all) / sizeof(all[0]), NOBJ, -1);
	gb_obj(&b, off, 3, page);
	if (arr != NULL)
		gb_obj(&b, off, 11, arr);
	x2 = b.n;
	gb_xref(&b, off, upd, arr != NULL ? 2 : 1, NOBJ, (long long)x);
	/* then an update of another object (as a DSS's follows a signature's) */
	if (dss_after) {
		gb_obj(&b, off, 12, "<< /Type /DSS >>");
		gb_xref(&b, off, after, 1, NOBJ + 1, (long long)x2);
	}
	*len = b.n;
	return (unsigned char *)b.d;
}

/*
 * The page's /Annots (key "/Annots" of object 3) or object 11 (key ""):
 * what the bytes give (1: read there, with the references qpdf's unparse
 * gives; 0: left to qpdf), and pdf_doc_key_refs answers as qpdf does.
 */
static int
read_both(const unsigned char *d, size_t len, int num, const char *key, int *qpdf_ok)
{
	struct pdf_doc *doc = NULL;
	struct sp_errinfo ei;
	qpdf_oh o, a;
	size_t off = 0;
	int *fromq = NULL, *fromb = NULL, *kept = NULL, n, got, kok;

	sp_errinfo_init(&ei);
	ck_assert_msg(pdf_doc_open_view(d, len, &doc, &ei) == SP_OK, "%s", ei.msg);
	o = qpdf_get_object_by_id(doc->q, num, 0);
	a = key[0] ? qpdf_oh_get_key(doc->q, o, key) : o;
	n = qpdf_oh_is_array(doc->q, a) ? qpdf_oh_get_array_n_items(doc->q, a) : 0;
	*qpdf_ok = n > 0 && pdf_array_refs(doc->q, a, n, &fromq);
	got = n > 0 && pdf_doc_newest_place(doc, num, 0, &off) &&
	      pdf_obj_key_refs_bytes(doc->data, doc->len, off, num, 0, key, n, &fromb);
	if (got) {
		ck_assert_msg(*qpdf_ok,
			      "object %d %s: read from the bytes, qpdf reads no references", num,
			      key);
		ck_assert_msg(memcmp(fromq, fromb, (size_t)n * 2 * sizeof(int)) == 0,
			      "object %d %s: the bytes' references are not qpdf's", num, key);
	}
	/* the document's kept read answers as qpdf's, whichever read it */
	kok = n > 0 && pdf_doc_key_refs(doc, num, 0, key, a, n, &kept);
	ck_assert_int_eq(kok, *qpdf_ok);
	if (kok)
		ck_assert(memcmp(fromq, kept, (size_t)n * 2 * sizeof(int)) == 0);
	free(fromq);
	free(fromb);
	free(kept);
	pdf_doc_free(doc);
	return got;
}

static const struct {
	const char *page;
	int bytes; /* 1: read from the bytes; 0: left to qpdf */
	const char *what;
} cases[] = {
	{ "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 6 0 "
	  "R >> /ProcSet [/PDF /Text] >> /Contents 4 0 R /Annots [5 0 R 7 0 R 9 0 R] >>",
	  1, "as sealpact writes it" },
	{ "<</Type/Page/Parent 2 0 R/Annots[5 0 R 7 0 R\r\n8 0 R]/Contents 4 0 R/MediaBox[0 0 "
	  "595.5 -842]>>",
	  1, "tight, other white space" },
	{ "<< /T (/Annots [9 0 R] \\) (x) y) /Annots [5 0 R 7 0 R 8 0 R] /Parent 2 0 R /Type "
	  "/Page /MediaBox [0 0 595 842] >>",
	  1, "the key's text in a string" },
	{ "<< /Resources << /Annots [9 0 R 8 0 R] >> /Annots [5 0 R 7 0 R] /Parent 2 0 R /Type "
	  "/Page /MediaBox [0 0 595 842] /V true /W null /X <41 42> >>",
	  1, "the key in a nested dictionary" },
	{ "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Annots [5 0 R 7 1 R 99 0 R] >>", 1,
	  "another generation, a missing object" },
	{ "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Annots [99 0 R 5 0 R] >>", 1,
	  "a missing object first" },
	{ "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Annots [5 0 R % 9 0 R\n7 0 R] "
	  ">>",
	  0, "a comment in the array" },
	{ "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] % /Annots [9 0 R]\n/Annots [5 0 "
	  "R 7 0 R] >>",
	  0, "a comment in the dictionary" },
	{ "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Annots [9 0 R 8 0 R] /Annots [5 "
	  "0 R 7 0 R] >>",
	  0, "the key twice" },
	{ "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Annots [5 0 R 7 0 R] /Ann#6fts "
	  "[9 0 R 8 0 R] >>",
	  0, "the key again with a # escape" },
	{ "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Annots [5 0 R 7] >>", 0,
	  "an item that is no reference" },
	{ "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Annots [5 0 R 0 0 R] >>", 0,
	  "object 0" },
	{ "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /X <4g> /Annots [5 0 R 7 0 R] "
	  ">>",
	  0, "a hex string qpdf reads on from" },
	{ "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Annots [5 0 R 7 0 R] /K word >>",
	  0, "a word qpdf reads as a string" },
};

START_TEST(the_bytes_read_what_qpdf_parses_or_nothing)
{
	size_t len;
	unsigned char *d = file_with(cases[_i].page, NULL, _i % 2, &len);
	int qok, got = read_both(d, len, 3, "/Annots", &qok);

	ck_assert_msg(got == cases[_i].bytes, "case %d (%s): read from the bytes %d, expected %d",
		      _i, cases[_i].what, got, cases[_i].bytes);
	free(d);
}
END_TEST

/* an indirect /Annots array (key ""), and the form's /Fields as sealpact's update writes it */
START_TEST(an_array_object_and_the_form)
{
	size_t len;
	unsigned char *d =
		file_with("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Annots 11 0 R >>",
			  "[5 0 R\n7 0 R 8 0 R]", 1, &len);
	int qok;

	ck_assert_int_eq(read_both(d, len, 11, "", &qok), 1);
	/* listed by neither of the newest two sections: left to qpdf */
	ck_assert_int_eq(read_both(d, len, 10, "/Fields", &qok), 0);
	ck_assert_int_eq(qok, 1);
	free(d);
	d = file_with("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Annots 11 0 R >>",
		      "[5 0 R 7 0 R /X]", 0, &len);
	ck_assert_int_eq(read_both(d, len, 11, "", &qok), 0);
	free(d);
	/* a stream's dictionary: left to qpdf */
	d = file_with("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Annots [5 0 R] >>",
		      "<< /Annots [5 0 R 7 0 R] /Length 0 >>\nstream\n\nendstream", 0, &len);
	ck_assert_int_eq(read_both(d, len, 11, "/Annots", &qok), 0);
	free(d);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("pdf_obj_refs");
	TCase *t = test_tcase(s, "core", NULL, NULL, 1, 30);

	tcase_add_loop_test(t, the_bytes_read_what_qpdf_parses_or_nothing, 0,
			    (int)(sizeof(cases) / sizeof(cases[0])));
	tcase_add_test(t, an_array_object_and_the_form);
	return test_suite_run(s);
}
