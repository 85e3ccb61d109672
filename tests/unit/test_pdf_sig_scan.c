/*
 * test_pdf_sig_scan.c: a signature dictionary read from the bytes into
 * qpdf's cache (pdf_doc_sigs_preload, pdf/sig_scan.c) is what qpdf's own
 * parse of it gives: the same object (unparsed), the same signature read
 * (contents, byte range, names, states), no repair; and every way of
 * writing it that qpdf might read otherwise is left to qpdf. The same of
 * pdf_doc_sigs_preload_revs, which reads every section (sections -1 below).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pdf_int.h"
#include "pdf_revisions.h"

/* The signature dictionary as sign.c writes it (the /Contents shortened). */
#define PLAIN \
	"<</Type /Sig /Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached /M " \
	"(D:20261204120000+08'00') /Reason <FEFF00410042>\n/ByteRange [0 0000000100 " \
	"0000000300 0000000040]\n/Contents <3082ABCD0000>>>"

static const struct variant {
	const char *what, *head, *dict; /* head: "5 0 obj" and what follows it */
	int eol_crlf;                   /* the xref table's entries end with CR LF */
	int preloaded;                  /* pdf_doc_sigs_preload's count */
} variants[] = {
	{ "as sign.c writes it", "5 0 obj\n", PLAIN, 0, 1 },
	{ "entries ending CR LF", "5 0 obj\n", PLAIN, 1, 1 },
	{ "a document timestamp", "5 0 obj\n",
	  "<</Type /DocTimeStamp /Filter /Adobe.PPKLite /SubFilter /ETSI.RFC3161\n"
	  "/ByteRange [0 10 20 30]\n/Contents <00ff>>>",
	  0, 1 },
	{ "lower-case hex, integers", "5 0 obj\n",
	  "<</Type/Sig/V 2/ByteRange[0 1 2 3]/Contents<abcdef01>/Name(x y)>>", 0, 1 },
	{ "a literal string with an escape", "5 0 obj\n",
	  "<</Type /Sig /M (D:2026\\)x) /ByteRange [0 1 2 3] /Contents <00>>>", 0, 0 },
	{ "a literal string with a carriage return", "5 0 obj\n",
	  "<</Type /Sig /M (a\rb) /ByteRange [0 1 2 3] /Contents <00>>>", 0, 0 },
	{ "a literal string with nested parentheses", "5 0 obj\n",
	  "<</Type /Sig /M (a(b)c) /ByteRange [0 1 2 3] /Contents <00>>>", 0, 0 },
	{ "white space in the hex string", "5 0 obj\n",
	  "<</Type /Sig /ByteRange [0 1 2 3] /Contents <3082 ABCD>>>", 0, 0 },
	{ "an odd number of hex digits", "5 0 obj\n",
	  "<</Type /Sig /ByteRange [0 1 2 3] /Contents <3082A>>>", 0, 0 },
	{ "a /Reference", "5 0 obj\n",
	  "<</Type /Sig /Reference [<</TransformMethod /DocMDP>>] /ByteRange [0 1 2 3] "
	  "/Contents <00>>>",
	  0, 0 },
	{ "a reference", "5 0 obj\n",
	  "<</Type /Sig /Prop_Build 3 0 R /ByteRange [0 1 2 3] /Contents <00>>>", 0, 0 },
	{ "a reference in the array", "5 0 obj\n",
	  "<</Type /Sig /ByteRange [0 1 3 0 R] /Contents <00>>>", 0, 0 },
	{ "a comment", "5 0 obj\n", "<</Type /Sig % c\n/ByteRange [0 1 2 3] /Contents <00>>>", 0,
	  0 },
	{ "a duplicate key", "5 0 obj\n",
	  "<</Type /Sig /ByteRange [0 1 2 3] /Contents <00> /Contents <01>>>", 0, 0 },
	{ "a name with an escape", "5 0 obj\n",
	  "<</Type /Sig /Filter /Adobe#2EPPKLite /ByteRange [0 1 2 3] /Contents <00>>>", 0, 0 },
	{ "a real", "5 0 obj\n", "<</Type /Sig /V 1.5 /ByteRange [0 1 2 3] /Contents <00>>>", 0,
	  0 },
	{ "a boolean", "5 0 obj\n", "<</Type /Sig /V true /ByteRange [0 1 2 3] /Contents <00>>>", 0,
	  0 },
	{ "a nested dictionary", "5 0 obj\n",
	  "<</Type /Sig /Prop_Build <</App 1>> /ByteRange [0 1 2 3] /Contents <00>>>", 0, 0 },
	{ "no /ByteRange", "5 0 obj\n", "<</Type /Sig /Contents <00>>>", 0, 0 },
	{ "/Contents a literal string", "5 0 obj\n",
	  "<</Type /Sig /ByteRange [0 1 2 3] /Contents (abc)>>", 0, 0 },
	{ "\"obj\" against the dictionary", "5 0 obj", PLAIN, 0, 0 },
	{ "another object where the table points", "6 0 obj\n", PLAIN, 0, 0 },
	{ "a stream", "5 0 obj\n",
	  "<</Type /Sig /ByteRange [0 1 2 3] /Contents <00> /Length 2>>\nstream\nab\nendstream", 0,
	  0 },
};

/* A one-page document whose signature field's /V is object 5, written as v says. */
static unsigned char *
make_pdf(const struct variant *v, size_t *n)
{
	char *b = malloc(65536);
	size_t off[6], x, i;
	const char *eol = v->eol_crlf ? "\r\n" : " \n";

	ck_assert_ptr_nonnull(b);
	x = (size_t)sprintf(b, "%%PDF-1.7\n");
	off[1] = x;
	x += (size_t)sprintf(b + x, "1 0 obj\n<</Type /Catalog /Pages 2 0 R /AcroForm "
				    "<</Fields [4 0 R] /SigFlags 3>>>>\nendobj\n");
	off[2] = x;
	x += (size_t)sprintf(b + x, "2 0 obj\n<</Type /Pages /Kids [3 0 R] /Count 1>>\nendobj\n");
	off[3] = x;
	x += (size_t)sprintf(b + x, "3 0 obj\n<</Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] "
				    "/Annots [4 0 R]>>\nendobj\n");
	off[4] = x;
	x += (size_t)sprintf(b + x, "4 0 obj\n<</FT /Sig /T (S1) /V 5 0 R /Type /Annot /Subtype "
				    "/Widget /Rect [0 0 0 0] /P 3 0 R>>\nendobj\n");
	off[5] = x;
	x += (size_t)sprintf(b + x, "%s%s\nendobj\n", v->head, v->dict);
	i = x;
	x += (size_t)sprintf(b + x, "xref\n0 6\n0000000000 65535 f%s", eol);
	for (int k = 1; k <= 5; k++)
		x += (size_t)sprintf(b + x, "%010zu 00000 n%s", off[k], eol);
	x += (size_t)sprintf(b + x, "trailer\n<</Size 6 /Root 1 0 R>>\nstartxref\n%zu\n%%%%EOF\n",
			     i);
	*n = x;
	return (unsigned char *)b;
}

/* pdf opened twice, b preloaded (sections, want objects): object 5 and its read the same
   in both */
static void
same_reads(const char *what, const unsigned char *pdf, size_t n, int sections, int want)
{
	struct pdf_doc *a = NULL, *b = NULL;
	struct pdf_sig_field sa, sb;
	struct sp_errinfo ea, eb;
	char *ua;
	int ra, rb;

	sp_errinfo_init(&ea);
	sp_errinfo_init(&eb);
	ck_assert_msg(pdf_doc_open_view(pdf, n, &a, &ea) == SP_OK, "%s: %s", what, ea.msg);
	ck_assert_msg(pdf_doc_open_view(pdf, n, &b, &eb) == SP_OK, "%s: %s", what, eb.msg);
	if (sections < 0) {
		struct pdf_revision revs[8];
		size_t nrevs = 0;

		ck_assert_int_eq(pdf_revisions_find(pdf, n, revs, 8, &nrevs, &eb), SP_OK);
		ck_assert_msg(pdf_doc_sigs_preload_revs(b, revs, nrevs) == want,
			      "%s (every section of %zu)", what, nrevs);
	} else {
		ck_assert_msg(pdf_doc_sigs_preload(b, sections) == want, "%s (%d sections)", what,
			      sections);
	}
	/* the object as qpdf holds it: parsed (a) or preloaded (b) */
	ua = strdup(qpdf_oh_unparse_resolved(a->q, qpdf_get_object_by_id(a->q, 5, 0)));
	ck_assert_str_eq(qpdf_oh_unparse_resolved(b->q, qpdf_get_object_by_id(b->q, 5, 0)), ua);
	free(ua);
	/* and the signature read from it */
	memset(&sa, 0, sizeof(sa));
	memset(&sb, 0, sizeof(sb));
	sa.sig_obj = sb.sig_obj = 5;
	ra = pdf_sig_field_read(a, &sa, &ea);
	rb = pdf_sig_field_read(b, &sb, &eb);
	ck_assert_int_eq(ra, rb);
	ck_assert_str_eq(sa.type, sb.type);
	ck_assert_str_eq(sa.filter, sb.filter);
	ck_assert_str_eq(sa.subfilter, sb.subfilter);
	ck_assert_int_eq(sa.contents_state, sb.contents_state);
	ck_assert_int_eq(sa.byterange_state, sb.byterange_state);
	ck_assert_int_eq(sa.self_contained, sb.self_contained);
	ck_assert_int_eq(sa.docmdp_p, sb.docmdp_p);
	ck_assert_uint_eq(sa.contents_len, sb.contents_len);
	if (sa.contents_len > 0)
		ck_assert_mem_eq(sa.contents, sb.contents, sa.contents_len);
	ck_assert_mem_eq(sa.byterange, sb.byterange, sizeof(sa.byterange));
	if (want) {
		ck_assert_int_eq(sb.contents_state, PDF_SIG_KEY_OK);
		ck_assert_int_eq(sb.self_contained, 1);
	}
	ck_assert_int_eq(pdf_doc_damaged(a), pdf_doc_damaged(b));
	free(sa.contents);
	free(sb.contents);
	pdf_doc_free(a);
	pdf_doc_free(b);
}

START_TEST(preloaded_reads_as_qpdf_parses)
{
	const struct variant *v = &variants[_i];
	unsigned char *pdf;
	size_t n;

	pdf = make_pdf(v, &n);
	same_reads(v->what, pdf, n, 2, v->preloaded);
	same_reads(v->what, pdf, n, 1, v->preloaded); /* one section: the only one */
	same_reads(v->what, pdf, n, -1, v->preloaded);
	free(pdf);
}
END_TEST

/*
 * An update after the signed revision (the long-term data's): what it lists
 * decides; and with one section (the newest update's objects only) a
 * signature in the section before is left to qpdf, which reads it alike.
 */
static const struct update {
	const char *what, *objs; /* objs: "N 0 obj ... endobj" of the update, each listed */
	int nums[3], free5;      /* the objects it lists; free5: object 5 listed as free */
	int preloaded;           /* with two sections */
	int preloaded1;          /* with the newest only */
} updates[] = {
	{ "an update that lists other objects",
	  "6 0 obj\n<</Type /DSS>>\nendobj\n",
	  { 6 },
	  0,
	  1,
	  0 },
	{ "an update that frees the signature", "", { 0 }, 1, 0, 0 },
	{ "an update that writes it again",
	  "5 0 obj\n<</Type /Sig /ByteRange [0 5 6 7] /Contents <0102>>>\nendobj\n",
	  { 5 },
	  0,
	  1,
	  1 },
	{ "an update that writes it again, not plainly",
	  "5 0 obj\n<</Type /Sig /ByteRange [0 5 6 7] /Contents <01 02>>>\nendobj\n",
	  { 5 },
	  0,
	  0,
	  0 },
};

/* u appended to b[0..n) (room for 4096 bytes more) as an incremental update; the new length. */
static size_t
append_update(unsigned char *b, size_t n, const struct update *u)
{
	const char *sx = NULL, *p;
	size_t x = n, prev, xr, o;
	int k;

	/* the last startxref's value: the section the new one's /Prev names */
	for (p = (char *)b; (p = memmem(p, n - (size_t)(p - (char *)b), "startxref\n", 10)); p++)
		sx = p;
	ck_assert_ptr_nonnull(sx);
	prev = (size_t)strtoul(sx + 10, NULL, 10);
	o = x;
	x += (size_t)sprintf((char *)b + x, "%s", u->objs);
	xr = x;
	x += (size_t)sprintf((char *)b + x, "xref\n");
	for (k = 0; k < 3 && u->nums[k] > 0; k++)
		x += (size_t)sprintf((char *)b + x, "%d 1\n%010zu 00000 n \n", u->nums[k], o);
	if (u->free5)
		x += (size_t)sprintf((char *)b + x, "5 1\n0000000000 00001 f \n");
	x += (size_t)
		sprintf((char *)b + x,
			"trailer\n<</Size 7 /Root 1 0 R /Prev %zu>>\nstartxref\n%zu\n%%%%EOF\n",
			prev, xr);
	return x;
}

START_TEST(an_update_after_it)
{
	const struct update *u = &updates[_i];
	struct variant v = { "base", "5 0 obj\n", PLAIN, 0, 1 };
	unsigned char *pdf, *b;
	size_t n, x;

	pdf = make_pdf(&v, &n);
	b = realloc(pdf, n + 4096);
	ck_assert_ptr_nonnull(b);
	x = append_update(b, n, u);
	same_reads(u->what, b, x, 2, u->preloaded);
	same_reads(u->what, b, x, 1, u->preloaded1);
	same_reads(u->what, b, x, -1, u->preloaded); /* the two there are */
	free(b);
}
END_TEST

/*
 * Two updates after the signed revision (a later signer's, the long-term
 * data's): every section is read, and the newest listing of the signature's
 * number decides, however far back the sections go: one listing it again
 * (plainly: that one is preloaded; not plainly: none) or freeing it between.
 */
static const struct {
	const char *what;
	int first, second; /* updates[] indices, the older update first */
	int preloaded;     /* every section */
} two_updates[] = {
	{ "two updates listing other objects", 0, 0, 1 },
	{ "the first frees the signature", 1, 0, 0 },
	{ "the first writes it again", 2, 0, 1 },
	{ "the first writes it again, not plainly", 3, 0, 0 },
	{ "the second writes it again, not plainly", 0, 3, 0 },
};

START_TEST(updates_far_after_it)
{
	struct variant v = { "base", "5 0 obj\n", PLAIN, 0, 1 };
	unsigned char *pdf, *b;
	size_t n, x;

	pdf = make_pdf(&v, &n);
	b = realloc(pdf, n + 8192);
	ck_assert_ptr_nonnull(b);
	x = append_update(b, n, &updates[two_updates[_i].first]);
	x = append_update(b, x, &updates[two_updates[_i].second]);
	same_reads(two_updates[_i].what, b, x, -1, two_updates[_i].preloaded);
	/* the newest two: the signature's section is the third */
	same_reads(two_updates[_i].what, b, x, 2,
		   two_updates[_i].first == 2 && two_updates[_i].second == 0);
	free(b);
}
END_TEST

/* A signature numbered past the trailer's /Size: left to qpdf, whatever it makes of it. */
START_TEST(past_the_size)
{
	struct variant v = { "past /Size", "5 0 obj\n", PLAIN, 0, 0 };
	unsigned char *pdf;
	char *sz;
	size_t n;

	pdf = make_pdf(&v, &n);
	sz = strstr((char *)pdf, "/Size 6");
	ck_assert_ptr_nonnull(sz);
	sz[6] = '5';
	same_reads(v.what, pdf, n, 2, 0);
	free(pdf);
}
END_TEST

/* The bytes of a /Contents the size of a real signature's, as qpdf decodes them. */
START_TEST(long_contents_decode_as_qpdf_decodes)
{
	struct variant v = { "7 KB of /Contents", "5 0 obj\n", NULL, 0, 1 };
	char *dict = malloc(20000);
	struct pdf_doc *a = NULL, *b = NULL;
	struct sp_errinfo ei;
	unsigned char *pdf;
	const char *x, *y;
	size_t n, i, la = 0, lb = 0;

	ck_assert_ptr_nonnull(dict);
	n = (size_t)sprintf(dict, "<</Type /Sig /ByteRange [0 1 2 3] /Contents <");
	for (i = 0; i < 7000; i++)
		n += (size_t)sprintf(dict + n, "%02X", (unsigned)(i * 131 + 7) & 0xff);
	sprintf(dict + n, ">>>");
	v.dict = dict;
	pdf = make_pdf(&v, &n);
	sp_errinfo_init(&ei);
	ck_assert(pdf_doc_open_view(pdf, n, &a, &ei) == SP_OK);
	ck_assert(pdf_doc_open_view(pdf, n, &b, &ei) == SP_OK);
	ck_assert_int_eq(pdf_doc_sigs_preload(b, 2), 1);
	x = qpdf_oh_get_binary_string_value(a->q,
					    qpdf_oh_get_key(a->q, qpdf_get_object_by_id(a->q, 5, 0),
							    "/Contents"),
					    &la);
	y = qpdf_oh_get_binary_string_value(b->q,
					    qpdf_oh_get_key(b->q, qpdf_get_object_by_id(b->q, 5, 0),
							    "/Contents"),
					    &lb);
	ck_assert_uint_eq(la, 7000);
	ck_assert_uint_eq(lb, la);
	ck_assert_mem_eq(x, y, la);
	pdf_doc_free(a);
	pdf_doc_free(b);
	free(pdf);
	free(dict);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("pdf_sig_scan");
	TCase *tc = tcase_create("preload");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(tc, preloaded_reads_as_qpdf_parses, 0,
			    (int)(sizeof(variants) / sizeof(variants[0])));
	tcase_add_loop_test(tc, an_update_after_it, 0, (int)(sizeof(updates) / sizeof(updates[0])));
	tcase_add_loop_test(tc, updates_far_after_it, 0,
			    (int)(sizeof(two_updates) / sizeof(two_updates[0])));
	tcase_add_test(tc, past_the_size);
	tcase_add_test(tc, long_contents_decode_as_qpdf_decodes);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
