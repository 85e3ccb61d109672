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
#include "pdf_revisions.h"
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
 * A first revision's objects 1 to 11 (no xref): the catalog and page 3 as
 * given, page 3's widgets 5 and 7 and widgets 6, 8 and 9 on no page, the
 * form 10 listing 5 and 7, and the array 11.
 */
static void
first_objects(struct gbuf *b, size_t *off, const char *catalog, const char *page)
{
	char w[160];
	int i;

	gb_add(b, "%PDF-1.7\n", 9);
	gb_obj(b, off, 1, catalog);
	gb_obj(b, off, 2, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>");
	gb_obj(b, off, 3, page);
	gb_obj(b, off, 4, "<< /Length 0 >>\nstream\n\nendstream");
	for (i = 5; i <= 9; i++) {
		snprintf(w, sizeof(w),
			 "<< /Type /Annot /Subtype /Widget /FT /Sig /T (s%d) /Rect [0 0 9 9] "
			 "/P 3 0 R >>",
			 i);
		gb_obj(b, off, i, w);
	}
	gb_obj(b, off, 10, "<< /Fields [5 0 R 7 0 R] >>");
	gb_obj(b, off, 11, "[5 0 R]");
}

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
	int upd[2] = { 3, 11 };

	first_objects(&b, off, "<< /Type /Catalog /Pages 2 0 R /AcroForm 10 0 R >>",
		      "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
		      "/Annots [5 0 R 7 0 R] >>");
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

/* ---- a page's geometry and its new version, from its bytes ---- */

/* whether obj_refs.c's reader takes page 3 of d as its bytes (what the shortcuts need) */
static int
page_bytes_taken(const unsigned char *d, size_t len)
{
	struct pdf_doc *doc = NULL;
	struct pdf_obj_dict dict;
	struct sp_errinfo ei;
	size_t off = 0;
	int ok;

	sp_errinfo_init(&ei);
	/* (no page list: the page is not read through qpdf here) */
	ck_assert_msg(pdf_doc_open_known(d, len, NULL, 0, &doc, &ei) == SP_OK, "%s", ei.msg);
	ok = pdf_doc_newest_place(doc, 3, 0, &off) &&
	     pdf_obj_dict_bytes(doc->data, doc->len, off, 3, 0, &dict);
	pdf_doc_free(doc);
	return ok;
}

static const int page3[2] = { 3, 0 };

static const struct {
	const char *page, *obj11;
	int bytes; /* 1: obj_refs.c's reader takes the page */
	const char *what;
} geo[] = {
	{ "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /CropBox [10 20 500 800] /Rotate "
	  "90 /UserUnit 2 /Annots [5 0 R 7 0 R] >>",
	  NULL, 1, "every key on the page" },
	{ "<</Type/Page/Parent 2 0 R/MediaBox[0 0 595.5 -842]/Rotate -270/Annots[5 0 R\r\n7 0 R]>>",
	  NULL, 1, "tight, a negative turn" },
	{ "<< /Type /Page /Parent 11 0 R /Annots [5 0 R] >>",
	  "<< /Type /Pages /Kids [3 0 R] /Count 1 /MediaBox [0 0 200 300] /CropBox [0 0 100 150] "
	  "/Rotate 270 /UserUnit 3 >>",
	  1, "boxes and turn inherited, /UserUnit not" },
	{ "<< /Type /Page /Parent 2 0 R /Annots [5 0 R] >>", NULL, 1, "no /MediaBox anywhere" },
	{ "<< /Type /Page /Parent 2 0 R /MediaBox 11 0 R /Annots [5 0 R] >>", "[0 0 300 400]", 1,
	  "an indirect /MediaBox" },
	{ "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Rotate 90.0 >>", NULL, 1,
	  "a real /Rotate" },
	{ "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Rotate 45 >>", NULL, 1,
	  "a turn not a multiple of 90" },
	{ "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842 1] >>", NULL, 1, "five numbers" },
	{ "<< /Type /Page /Parent 11 0 R /MediaBox null >>",
	  "<< /Type /Pages /Kids [3 0 R] /Count 1 /MediaBox [0 0 200 300] >>", 1,
	  "a null /MediaBox (qpdf: no key)" },
	{ "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /UserUnit (2) /Rotate +180 >>",
	  NULL, 1, "a /UserUnit that is no number" },
	{ "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 1e3 842] >>", NULL, 0, "an exponent" },
	{ "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Kids [] >>", NULL, 1,
	  "a /Kids on the page" },
	{ "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] % /MediaBox [0 0 9 9]\n>>", NULL, 0,
	  "a comment" },
	{ "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /MediaBox [0 0 99 99] >>", NULL, 0,
	  "the key twice" },
	{ "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Media#42ox [0 0 99 99] >>", NULL,
	  0, "the key again with a # escape" },
	{ "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /UserUnit 2 >>\nstream\nendstream",
	  NULL, 0, "a stream" },
};

/* page 1's geometry (or its error) as a walk of the tree reads it and as a prepare's
   open with the page known reads it, which takes it from the bytes when it may */
START_TEST(page_geometry_from_the_bytes_is_qpdfs)
{
	size_t len;
	unsigned char *d = file_with(geo[_i].page, geo[_i].obj11, _i % 2, &len);
	struct pdf_doc *w = NULL, *k = NULL;
	struct pdf_page_info iw, ik;
	struct sp_errinfo ei, ew, ek;
	int rw, rk, walked;

	sp_errinfo_init(&ei);
	sp_errinfo_init(&ew);
	sp_errinfo_init(&ek);
	ck_assert_msg(page_bytes_taken(d, len) == geo[_i].bytes, "case %d (%s): bytes taken %d", _i,
		      geo[_i].what, !geo[_i].bytes);
	/* (a tree the walk refuses: the known page must be refused too, in its own words) */
	rw = pdf_doc_open_stored(d, len, &w, &ew);
	walked = rw == SP_OK;
	if (walked)
		rw = pdf_doc_page_info(w, 1, &iw, &ew);
	rk = pdf_doc_open_stored_known(d, len, page3, 1, &k, &ek);
	if (rk == SP_OK)
		rk = pdf_doc_page_info(k, 1, &ik, &ek);
	ck_assert_msg(rw == rk, "case %d (%s): the walk says %d (%s), the known page %d (%s)", _i,
		      geo[_i].what, rw, ew.msg, rk, ek.msg);
	if (rw == SP_OK) {
		ck_assert_msg(iw.media.x0 == ik.media.x0 && iw.media.y0 == ik.media.y0 &&
				      iw.media.x1 == ik.media.x1 && iw.media.y1 == ik.media.y1 &&
				      iw.crop.x0 == ik.crop.x0 && iw.crop.y0 == ik.crop.y0 &&
				      iw.crop.x1 == ik.crop.x1 && iw.crop.y1 == ik.crop.y1 &&
				      iw.rotate == ik.rotate && iw.unit == ik.unit &&
				      iw.width == ik.width && iw.height == ik.height,
			      "case %d (%s): the walk reads %gx%g turned %d unit %g, the known "
			      "page %gx%g turned %d unit %g",
			      _i, geo[_i].what, iw.width, iw.height, iw.rotate, iw.unit, ik.width,
			      ik.height, ik.rotate, ik.unit);
	} else if (walked) {
		ck_assert_str_eq(ew.msg, ek.msg);
	}
	pdf_doc_free(w);
	pdf_doc_free(k);
	free(d);
}
END_TEST

static const struct {
	const char *page, *obj11;
	int spliced; /* 1: written from the page's bytes; 0: by the qpdf path */
	const char *what;
} wr[] = {
	{ "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 6 0 "
	  "R >> >> /Contents 4 0 R /Annots [5 0 R 7 0 R 9 0 R] >>",
	  NULL, 1, "as sealpact writes it" },
	{ "<</Type/Page/Parent 2 0 R/Annots[5 0 R 7 0 R\r\n8 0 R]/Contents 4 0 R/MediaBox[0 0 "
	  "595.5 -842]>>",
	  NULL, 1, "tight, other white space" },
	{ "<< /T (/Annots [9 0 R] \\) (x]) y) /Annots [5 0 R] /Parent 2 0 R /Type /Page /MediaBox "
	  "[0 0 595 842] >>",
	  NULL, 1, "the key's text and a ] in a string" },
	{ "<< /Resources << /Annots [9 0 R 8 0 R] >> /Annots [5 0 R 7 0 R] /Parent 2 0 R /Type "
	  "/Page /MediaBox [0 0 595 842] >>",
	  NULL, 1, "the key in a nested dictionary" },
	{ "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Annots [] >>", NULL, 1,
	  "an empty array" },
	{ "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] % /Annots [9 0 R]\n/Annots [5 0 "
	  "R 7 0 R] >>",
	  NULL, 0, "a comment in the dictionary" },
	{ "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Annots [9 0 R 8 0 R] /Annots [5 "
	  "0 R 7 0 R] >>",
	  NULL, 0, "the key twice" },
	{ "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Annots [5 0 R 7 0 R] /Ann#6fts "
	  "[9 0 R 8 0 R] >>",
	  NULL, 0, "the key again with a # escape" },
	{ "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Annots 11 0 R >>", "[5 0 R 7 0 R]",
	  0, "an indirect array" },
	{ "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>", NULL, 0, "no /Annots" },
	{ "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Annots [5 0 R /X] >>", NULL, 0,
	  "an item that is no reference" },
};

/* an invisible signature's update on d (its widget goes on page 1), opened by a walk of the
   page tree (known 0) or as a prepare opens a stored revision (the page known) */
static void
invisible_update(const unsigned char *d, size_t len, int known, struct pdf_sig_prepared *p)
{
	struct pdf_sig_params par = { .signing_time = 1795000000, .contents_max = 2048 };
	struct pdf_doc *doc = NULL;
	struct sp_errinfo ei;

	sp_errinfo_init(&ei);
	ck_assert_msg((known ? pdf_doc_open_stored_known(d, len, page3, 1, &doc, &ei)
			     : pdf_doc_open_stored(d, len, &doc, &ei)) == SP_OK,
		      "%s", ei.msg);
	ck_assert_msg(pdf_sig_prepare_update(doc, &par, NULL, 0, NULL, 0, p, &ei) == SP_OK, "%s",
		      ei.msg);
	pdf_doc_free(doc);
}

/* page 3 of d[0..len) + u[0..ulen), opened by a walk, as qpdf unparses it (malloc'd) */
static char *
page_after(const unsigned char *d, size_t len, const struct pdf_sig_prepared *u, int *widget)
{
	unsigned char *all = malloc(len + u->update_len);
	struct pdf_doc *doc = NULL;
	struct sp_errinfo ei;
	qpdf_oh a;
	char *s;
	int n;

	ck_assert_ptr_nonnull(all);
	memcpy(all, d, len);
	memcpy(all + len, u->update, u->update_len);
	sp_errinfo_init(&ei);
	ck_assert_msg(pdf_doc_open_stored(all, len + u->update_len, &doc, &ei) == SP_OK, "%s",
		      ei.msg);
	ck_assert(!pdf_doc_damaged(doc) && !qpdf_has_error(doc->q));
	s = strdup(qpdf_oh_unparse(doc->q, qpdf_get_object_by_id(doc->q, 3, 0)));
	a = qpdf_oh_get_key(doc->q, qpdf_get_object_by_id(doc->q, 3, 0), "/Annots");
	n = qpdf_oh_get_array_n_items(doc->q, a);
	*widget =
		n > 0 ? qpdf_oh_get_object_id(doc->q, qpdf_oh_get_array_item(doc->q, a, n - 1)) : 0;
	pdf_doc_free(doc);
	free(all);
	return s;
}

/*
 * The new version of a page that the prepare writes from the page's bytes
 * (the old bytes, the widget's reference spliced before the ']' of their
 * /Annots) reads as the one the qpdf path writes; a page those bytes do
 * not plainly give is written by the qpdf path, byte for byte as a walked
 * open writes it.
 */
START_TEST(a_page_is_written_by_splicing_its_bytes)
{
	size_t len;
	unsigned char *d = file_with(wr[_i].page, wr[_i].obj11, _i % 2, &len);
	struct pdf_sig_prepared pw, pk;
	char *sw, *sk, want[1024], *close;
	const char *annots = strstr(wr[_i].page, "/Annots [5") ? strstr(wr[_i].page, "/Annots [5")
							       : strstr(wr[_i].page, "/Annots[");
	int ww, wk;

	invisible_update(d, len, 0, &pw);
	invisible_update(d, len, 1, &pk);
	sw = page_after(d, len, &pw, &ww);
	sk = page_after(d, len, &pk, &wk);
	ck_assert_msg(strcmp(sw, sk) == 0, "case %d (%s): the qpdf path writes\n%s\nthe bytes\n%s",
		      _i, wr[_i].what, sw, sk);
	ck_assert_int_eq(ww, wk);
	if (wr[_i].spliced) {
		/* the old bytes, the widget's reference before their /Annots' ']' */
		if (annots == NULL)
			annots = strstr(wr[_i].page, "/Annots [");
		ck_assert_ptr_nonnull(annots);
		close = strchr(annots, ']');
		snprintf(want, sizeof(want), "3 0 obj\n%.*s %d 0 R%s", (int)(close - wr[_i].page),
			 wr[_i].page, wk, close);
		ck_assert_msg(memmem(pk.update, pk.update_len, want, strlen(want)) != NULL,
			      "case %d (%s): the update holds no page of its old bytes and the "
			      "widget (%s)",
			      _i, wr[_i].what, want);
	} else {
		ck_assert_msg(pw.update_len == pk.update_len &&
				      memcmp(pw.update, pk.update, pw.update_len) == 0,
			      "case %d (%s): not the qpdf path's update", _i, wr[_i].what);
	}
	free(sw);
	free(sk);
	pdf_sig_prepared_cleanup(&pw);
	pdf_sig_prepared_cleanup(&pk);
	free(d);
}
END_TEST

/*
 * A signed upload is stored as it is (normalize.c keeps its bytes): a
 * tagged document (a /StructTreeRoot with a /ParentTree) whose page says
 * /Tabs null, which qpdf, pdf.js and PDFium read as no /Tabs. The prepare's
 * qpdf path asks qpdf_oh_has_key (false for a null) and gives the page /Tabs
 * /S (PDF/UA-1 7.18.3: a page with annotations orders them by the structure
 * tree); the page the prepare writes from its bytes must too.
 */
static const char *const tabs_pages[] = {
	"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Tabs null /Annots [5 0 R 7 0 R] >>",
	"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Tabs 99 0 R /Annots [5 0 R 7 0 R] "
	">>",
};

START_TEST(a_tagged_page_whose_tabs_is_null_gets_tabs_s)
{
	struct gbuf b = { 0 };
	size_t off[14] = { 0 };
	static const int all[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13 };
	struct pdf_sig_prepared pw, pk;
	struct pdf_doc *doc = NULL;
	struct sp_errinfo ei;
	unsigned char *whole;
	const char *how[2] = { "the qpdf path (a walked open)", "from the page's bytes" };
	struct pdf_sig_prepared *u[2] = { &pw, &pk };
	int k;

	first_objects(&b, off,
		      "<< /Type /Catalog /Pages 2 0 R /AcroForm 10 0 R /StructTreeRoot 13 0 R "
		      "/MarkInfo << /Marked true >> >>",
		      tabs_pages[_i]);
	gb_obj(&b, off, 13, "<< /Type /StructTreeRoot /ParentTree << /Nums [] >> /K [] >>");
	gb_xref(&b, off, all, sizeof(all) / sizeof(all[0]), 14, -1);
	invisible_update((unsigned char *)b.d, b.n, 0, &pw);
	invisible_update((unsigned char *)b.d, b.n, 1, &pk);
	for (k = 0; k < 2; k++) {
		qpdf_oh t;

		whole = malloc(b.n + u[k]->update_len);
		ck_assert_ptr_nonnull(whole);
		memcpy(whole, b.d, b.n);
		memcpy(whole + b.n, u[k]->update, u[k]->update_len);
		sp_errinfo_init(&ei);
		ck_assert_msg(pdf_doc_open(whole, b.n + u[k]->update_len, &doc, &ei) == SP_OK, "%s",
			      ei.msg);
		t = qpdf_oh_get_key(doc->q, qpdf_get_object_by_id(doc->q, 3, 0), "/Tabs");
		ck_assert_msg(qpdf_oh_is_name_and_equals(doc->q, t, "/S"),
			      "case %d: the sealed page written %s has /Tabs %s, not /S", _i,
			      how[k], qpdf_oh_unparse(doc->q, t));
		pdf_doc_free(doc);
		free(whole);
	}
	pdf_sig_prepared_cleanup(&pw);
	pdf_sig_prepared_cleanup(&pk);
	free(b.d);
}
END_TEST

/* ---- the completion's page checks, from the bytes of both versions ---- */

#define OLD_PAGE \
	"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 6 0 R " \
	">> " \
	">> /Contents 4 0 R /Annots [5 0 R 7 0 R] >>"
#define NEW_WIDGET "<< /Type /Annot /Subtype /Widget /FT /Sig /T (s12) /Rect [0 0 0 0] /P 3 0 R >>"

/*
 * A signed-like file: page 3 (OLD_PAGE) with widgets 5 and 7, which the form
 * (10) lists, widgets 6, 8, 9 and a link (11) on no page; then an update that
 * writes page 3 as upd, widget 12 as w12 and the form with 12 added (dup: the
 * table lists page 3 a second time, at dup's bytes). pre goes before each
 * version of the page's dictionary: a comment there leaves the page to qpdf
 * and reads the same. *prev: where the update starts.
 */
static unsigned char *
update_of_page(const char *pre, const char *upd, const char *w12, const char *dup, size_t *len,
	       size_t *prev)
{
	struct gbuf b = { 0 };
	size_t off[14] = { 0 }, x, x2, dupoff = 0;
	static const int all[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11 };
	static const int upd_nums[] = { 3, 10, 12 };
	char w[512];
	int i;

	gb_add(&b, "%PDF-1.7\n", 9);
	gb_obj(&b, off, 1, "<< /Type /Catalog /Pages 2 0 R /AcroForm 10 0 R >>");
	gb_obj(&b, off, 2, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>");
	snprintf(w, sizeof(w), "%s%s", pre, OLD_PAGE);
	gb_obj(&b, off, 3, w);
	gb_obj(&b, off, 4, "<< /Length 0 >>\nstream\n\nendstream");
	for (i = 5; i <= 9; i++) {
		snprintf(w, sizeof(w),
			 "<< /Type /Annot /Subtype /Widget /FT /Sig /T (s%d) /Rect [0 0 9 9] "
			 "/P 3 0 R >>",
			 i);
		gb_obj(&b, off, i,
		       i == 6 ? "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>" : w);
	}
	gb_obj(&b, off, 10, "<< /Fields [5 0 R 7 0 R] >>");
	gb_obj(&b, off, 11, "<< /Type /Annot /Subtype /Link /Rect [0 0 9 9] >>");
	x = b.n;
	gb_xref(&b, off, all, sizeof(all) / sizeof(all[0]), 12, -1);
	*prev = b.n;
	snprintf(w, sizeof(w), "%s%s", pre, upd);
	gb_obj(&b, off, 3, w);
	if (dup != NULL) {
		dupoff = b.n;
		gb_obj(&b, off, 3, dup);
		off[3] = *prev;
	}
	gb_obj(&b, off, 12, w12);
	gb_obj(&b, off, 10, "<< /Fields [5 0 R 7 0 R 12 0 R] >>");
	x2 = b.n;
	gb_xref(&b, off, upd_nums, 3, 13, (long long)x);
	if (dup != NULL) {
		/* the same table, page 3 listed a second time (at dup's bytes) after the others */
		b.n = x2;
		gb_add(&b, "xref\n0 1\n0000000000 65535 f \n", 29);
		for (i = 0; i < 3; i++) {
			snprintf(w, sizeof(w), "%d 1\n%010zu 00000 n \n", upd_nums[i],
				 off[upd_nums[i]]);
			gb_add(&b, w, strlen(w));
		}
		snprintf(w, sizeof(w),
			 "3 1\n%010zu 00000 n \ntrailer\n<< /Size 13 /Root 1 0 R /Prev %zu "
			 ">>\nstartxref\n%zu\n%%%%EOF\n",
			 dupoff, x, x2);
		gb_add(&b, w, strlen(w));
	}
	*len = b.n;
	return (unsigned char *)b.d;
}

/* The last update of d[0..len) (prev: where it starts) judged: the diff, and whether the
   update keeps the page tree (pdf_pages_kept) */
static void
judge_last(const unsigned char *d, size_t len, size_t prev, struct pdf_diff *out, int *kept,
	   int **nums, size_t *nnums)
{
	struct pdf_revision revs[4];
	struct pdf_doc *older = NULL, *newer = NULL;
	struct pdf_refs refs;
	struct sp_errinfo ei;
	size_t nrev = 0;

	sp_errinfo_init(&ei);
	ck_assert_int_eq(pdf_revisions_find(d, len, revs, 4, &nrev, &ei), SP_OK);
	ck_assert_uint_eq(nrev, 2);
	ck_assert_uint_eq(revs[0].end, prev);
	ck_assert_msg(pdf_doc_open(d, prev, &older, &ei) == SP_OK, "%s", ei.msg);
	/* as a completion opens the update it checks: no walk of its page tree */
	ck_assert_msg(pdf_doc_open_known(d, len, NULL, 0, &newer, &ei) == SP_OK, "%s", ei.msg);
	ck_assert_int_eq(pdf_refs_init(older, &refs, &ei), SP_OK);
	ck_assert_msg(pdf_revision_diff(older, newer, &revs[1], &refs, out, &ei) == SP_OK, "%s",
		      ei.msg);
	*kept = pdf_pages_kept(older, newer, &revs[1]);
	/* what the update's objects refer to (each number, negated when used twice) */
	ck_assert_int_eq(pdf_refs_export(&refs, nums, nnums, &ei), SP_OK);
	pdf_refs_cleanup(&refs);
	pdf_doc_free(older);
	pdf_doc_free(newer);
}

/* whether the bytes of both versions of page 3 tell the update (pdf_obj_grown_bytes) */
static int
told_by_bytes(const unsigned char *d, size_t len, size_t prev)
{
	struct pdf_doc *o = NULL, *n = NULL;
	struct pdf_obj_dict a, b;
	struct sp_errinfo ei;
	int *refs = NULL, no, nn, ok;

	sp_errinfo_init(&ei);
	ck_assert_int_eq(pdf_doc_open_known(d, prev, NULL, 0, &o, &ei), SP_OK);
	ck_assert_int_eq(pdf_doc_open_known(d, len, NULL, 0, &n, &ei), SP_OK);
	ok = pdf_doc_dict_bytes(o, 3, 0, &a) && pdf_doc_dict_bytes(n, 3, 0, &b) &&
	     pdf_obj_grown_bytes(o->data, &a, n->data, &b, "/Annots", &refs, &no, &nn);
	free(refs);
	pdf_doc_free(o);
	pdf_doc_free(n);
	return ok;
}

static const struct {
	const char *page, *w12, *dup;
	int bytes;   /* 1: the bytes tell the page's change */
	int allowed; /* 1: the update is allowed */
	const char *what;
} cmp[] = {
	{ "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 6 0 R "
	  ">> "
	  ">> /Contents 4 0 R /Annots [5 0 R 7 0 R 12 0 R] >>",
	  NEW_WIDGET, NULL, 1, 1, "a signature widget appended" },
	{ "<<\r\n/Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 6 0 "
	  "R "
	  ">> >> /Contents 4 0 R /Annots [5 0 R 7 0 R\n12 0 R]>>",
	  NEW_WIDGET, NULL, 1, 1, "appended, other white space" },
	{ "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 841] /Resources << /Font << /F1 6 0 R "
	  ">> "
	  ">> /Contents 4 0 R /Annots [5 0 R 7 0 R 12 0 R] >>",
	  NEW_WIDGET, NULL, 0, 0, "a key changed beside the appended reference" },
	{ "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 8 0 R "
	  ">> "
	  ">> /Contents 4 0 R /Annots [5 0 R 7 0 R 12 0 R] >>",
	  NEW_WIDGET, NULL, 0, 0, "a nested value changed" },
	{ "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 6 0 R "
	  ">> "
	  ">> /Contents 4 0 R /Annots [5 0 R 7 0 R 11 0 R] >>",
	  NEW_WIDGET, NULL, 1, 0, "an existing link appended" },
	{ "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 6 0 R "
	  ">> "
	  ">> /Contents 4 0 R /Annots [5 0 R 7 0 R 9 0 R] >>",
	  NEW_WIDGET, NULL, 1, 0, "an existing widget no field of the form lists appended" },
	{ "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 6 0 R "
	  ">> "
	  ">> /Contents 4 0 R /Annots [5 0 R 12 0 R] >>",
	  NEW_WIDGET, NULL, 0, 0, "an old widget dropped" },
	{ "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 6 0 R "
	  ">> "
	  ">> /Contents 4 0 R /Annots [5 0 R 7 0 R 12 0 R] % >>\n/Rotate 90 >>",
	  NEW_WIDGET, NULL, 0, 0, "a comment hiding the end of the dictionary" },
	{ "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 6 0 R "
	  ">> "
	  ">> /Contents 4 0 R /Annots [5 0 R 7 0 R 12 0 R] /Rotate 90 >>",
	  NEW_WIDGET, NULL, 0, 0, "a key added" },
	{ "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 6 0 R "
	  ">> "
	  ">> /Contents 4 0 R /Annots [5 0 R 7 0 R 12 0 R] /Kids [] >>",
	  NEW_WIDGET, NULL, 0, 0, "the page made a tree node" },
	{ "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 6 0 R "
	  "/F2 "
	  "99 0 R /F3 6 0 R >> >> /Contents 4 0 R /Annots [5 0 R 7 0 R 12 0 R 99 0 R] /X [<< /Y 98 "
	  "0 R "
	  ">>] >>",
	  NEW_WIDGET, NULL, 0, 0, "missing objects named, one used twice" },
	{ "<< /Parent 2 0 R /Type /Page /MediaBox [0 0 595 842] /Resources << /Font << /F1 6 0 R "
	  ">> "
	  ">> /Contents 4 0 R /Annots [5 0 R 7 0 R 12 0 R] >>",
	  NEW_WIDGET, NULL, 0, 1, "keys reordered" },
	{ "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 6 0 R "
	  ">> "
	  ">> /Contents 4 0 R /Annots [5 0 R 7 0 R 12 0 R] >>",
	  "<< /Type /Annot /Subtype /Widget /FT /Sig /T (s12) /Rect [0 0 0 0] /P 3 0 R /AA << /PO "
	  "<< "
	  "/S /JavaScript /JS (app.alert(1)) >> >> >>",
	  NULL, 1, 0, "the widget appended runs a script" },
	{ "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 6 0 R "
	  ">> "
	  ">> /Contents 4 0 R /Annots [5 0 R 7 0 R 12 0 R] >>",
	  NEW_WIDGET,
	  "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 9 9] /Resources << /Font << /F1 6 0 R >> >> "
	  "/Contents 4 0 R /Annots [5 0 R 7 0 R 12 0 R] >>",
	  0, -1, "the same section lists the page again" },
	{ "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 8 0 R "
	  "/F1 6 0 R >> >> /Contents 4 0 R /Annots [5 0 R 7 0 R 12 0 R] >>",
	  NEW_WIDGET, NULL, 0, 1, "a nested key twice, qpdf keeps the last value" },
	{ "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F#31 8 0 R "
	  "/F1 6 0 R >> >> /Contents 4 0 R /Annots [5 0 R 7 0 R 12 0 R] >>",
	  NEW_WIDGET, NULL, 0, 1, "a nested key again with a # escape" },
};

/*
 * The completion's checks of a page's new version from the bytes of both
 * versions (diff_page_grown_bytes, pdf_pages_kept's leaf test) say what
 * qpdf's parse says: each update judged as written and with a comment
 * before each version of the page's dictionary, which qpdf reads the same
 * and obj_refs.c's reader leaves to qpdf.
 */
START_TEST(the_page_checks_from_the_bytes_are_qpdfs)
{
	size_t len, clen, prev, cprev, i;
	unsigned char *d = update_of_page("", cmp[_i].page, cmp[_i].w12, cmp[_i].dup, &len, &prev);
	unsigned char *c =
		update_of_page("%c\n", cmp[_i].page, cmp[_i].w12, cmp[_i].dup, &clen, &cprev);
	struct pdf_diff a, q;
	int ka, kq, *ra = NULL, *rq = NULL;
	size_t nra = 0, nrq = 0;

	ck_assert_msg(told_by_bytes(d, len, prev) == cmp[_i].bytes,
		      "case %d (%s): told by bytes %d", _i, cmp[_i].what, !cmp[_i].bytes);
	ck_assert_int_eq(told_by_bytes(c, clen, cprev), 0);
	judge_last(d, len, prev, &a, &ka, &ra, &nra);
	judge_last(c, clen, cprev, &q, &kq, &rq, &nrq);
	ck_assert_msg(nra == nrq && (nra == 0 || memcmp(ra, rq, nra * sizeof(*ra)) == 0),
		      "case %d (%s): the references marked from the bytes are not qpdf's", _i,
		      cmp[_i].what);
	ck_assert_msg(a.nallowed == q.nallowed && a.ndisallowed == q.ndisallowed &&
			      a.visible_widgets == q.visible_widgets && a.n == q.n,
		      "case %d (%s): from the bytes %zu allowed, %zu not; qpdf's %zu, %zu", _i,
		      cmp[_i].what, a.nallowed, a.ndisallowed, q.nallowed, q.ndisallowed);
	for (i = 0; i < a.n; i++) {
		ck_assert_int_eq(a.c[i].obj, q.c[i].obj);
		ck_assert_int_eq(a.c[i].allowed, q.c[i].allowed);
		ck_assert_str_eq(a.c[i].what, q.c[i].what);
	}
	ck_assert_int_eq(ka, kq);
	if (cmp[_i].allowed >= 0)
		ck_assert_msg((a.ndisallowed == 0) == cmp[_i].allowed,
			      "case %d (%s): %zu disallowed change(s), first: %s", _i, cmp[_i].what,
			      a.ndisallowed, a.n ? a.c[0].what : "");
	pdf_diff_cleanup(&a);
	pdf_diff_cleanup(&q);
	free(ra);
	free(rq);
	free(d);
	free(c);
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
	tcase_add_loop_test(t, page_geometry_from_the_bytes_is_qpdfs, 0,
			    (int)(sizeof(geo) / sizeof(geo[0])));
	tcase_add_loop_test(t, a_page_is_written_by_splicing_its_bytes, 0,
			    (int)(sizeof(wr) / sizeof(wr[0])));
	tcase_add_loop_test(t, a_tagged_page_whose_tabs_is_null_gets_tabs_s, 0,
			    (int)(sizeof(tabs_pages) / sizeof(tabs_pages[0])));
	tcase_add_loop_test(t, the_page_checks_from_the_bytes_are_qpdfs, 0,
			    (int)(sizeof(cmp) / sizeof(cmp[0])));
	return test_suite_run(s);
}
