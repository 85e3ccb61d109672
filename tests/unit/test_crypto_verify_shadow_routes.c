/*
 * test_crypto_verify_shadow_routes.c: shadow attacks that last stop's fix
 * (pdf/diff.c: shared(), role_taken(), the trailer's /Info check,
 * holds_listed) does not see, and routes around it through the file's
 * structure (review45).
 *
 * The fix refuses a role object (/Info, /Metadata, /DSS) that the signed
 * revision uses elsewhere, by two checks: the role named anew in an update
 * after the signature (role_taken, the trailer's /Info) and a use count
 * (struct pdf_refs.multi) for a role object rewritten later. The count
 * leaves out the catalog's and the trailer's references in every update
 * ("they repeat the ones they made before"). An update *before* the
 * signature that names content as /Info or /Metadata is judged only for
 * signatures before it (there are none when the uploader writes it), and its
 * new name is never counted: the content object stays "used once", so an
 * update after the signature rewrites it under its role, allowed.
 *
 * Each case: a one-page contract ("Pay 100 EUR"), signed through the real
 * path (with a timestamp), then changed by updates the signature must not
 * tolerate. The first three and the /XRef-typed form name content under a
 * role in an unsigned update before the signature. The others need no
 * set-up by the uploader: an object rewritten as an object stream, a
 * hybrid update listing an object twice, an xref stream numbered as the
 * page's contents, the signed revision's object stream redefined. Each
 * comes out valid_with_allowed_changes on 1798c66.
 */
#include <check.h>

#include "support_suite.h"
#include "test_verify_corpus.h"

VC_TRUST_FIXTURE

#define TEXT_100 "BT /F1 12 Tf 72 700 Td (Pay 100 EUR) Tj ET q /X1 Do Q"
#define TEXT_999 "BT /F1 12 Tf 72 700 Td (Pay 999 EUR) Tj ET q /X1 Do Q"
#define BLUE "0 0 1 rg 0 0 10 10 re f"
#define WHITE "1 1 1 rg 0 0 612 792 re f"

/*
 * The contract: catalog 1 (/Metadata 9), pages 2, page 3 (/Contents 4,
 * /Resources 8), content 4, font 5, form 6, text field 7, resources 8,
 * XMP 9; the trailer's /Info 10. Each object used once.
 */
static unsigned char *
contract(size_t *n)
{
	char c4[256], c6[256], c9[256], *t;
	const char *objs[10];
	unsigned char *d;

	snprintf(c4, sizeof(c4), "<< /Length %zu >>\nstream\n%s\nendstream", strlen(TEXT_100) + 1,
		 TEXT_100);
	snprintf(c6, sizeof(c6),
		 "<< /Type /XObject /Subtype /Form /BBox [0 0 100 100] /Length %zu >>\nstream\n%s\n"
		 "endstream",
		 strlen(BLUE) + 1, BLUE);
	snprintf(c9, sizeof(c9),
		 "<< /Type /Metadata /Subtype /XML /Length 4 >>\nstream\n<x/>\nendstream");
	objs[0] = "<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [7 0 R] >> /Metadata 9 0 R "
		  ">>";
	objs[1] = "<< /Type /Pages /Kids [3 0 R] /Count 1 >>";
	objs[2] = "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
		  "/Resources 8 0 R /Annots [7 0 R] >>";
	objs[3] = c4;
	objs[4] =
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>";
	objs[5] = c6;
	objs[6] = "<< /Type /Annot /Subtype /Widget /FT /Tx /T (amount) /V (100) "
		  "/Rect [72 600 200 620] /P 3 0 R >>";
	objs[7] = "<< /Font << /F1 5 0 R >> /XObject << /X1 6 0 R >> >>";
	objs[8] = c9;
	objs[9] = "<< /Title (Contract) /Producer (test) >>";
	d = make_pdf_objs(objs, 10, n);
	/* the trailer's /Info (after the xref table: no offset moves) */
	ck_assert_ptr_nonnull(t = memmem(d, *n, "/Root 1 0 R >>", 14));
	ck_assert_ptr_nonnull(t = realloc(d, *n + 12));
	d = (unsigned char *)t;
	t = memmem(d, *n, "/Root 1 0 R >>", 14);
	memmove(t + 24, t + 12, *n - (size_t)(t + 12 - (char *)d));
	memcpy(t + 12, "/Info 10 0 R", 12);
	*n += 12;
	return d;
}

/* The verdict of the one signature of d[0..n) and its count of disallowed changes. */
static enum crypto_verdict
verdict_of(const unsigned char *d, size_t n, size_t *ndisallowed)
{
	struct crypto_verify_report *r = vc_verify(trust, d, n);
	enum crypto_verdict v;

	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(r->nsigs, 1);
	v = r->sigs[0].verdict;
	*ndisallowed = r->sigs[0].ndisallowed;
	crypto_verify_report_free(r);
	return v;
}

/*
 * contract(), then the unsigned update before (nb objects, trailer text
 * bextra), signed (checked valid), then the update after (na objects,
 * trailer text aextra): the signature must be invalid with a change named.
 */
static void
rewritten_after_signing_is_invalid(const int *bnums, const char *const *bobjs, size_t nb,
				   const char *bextra, const int *anums, const char *const *aobjs,
				   size_t na, const char *aextra, const char *what)
{
	size_t n, n1, n2, n3, nd;
	unsigned char *d = contract(&n), *u, *s, *t;
	enum crypto_verdict v;

	u = vc_update(d, n, bnums, bobjs, nb, 0, bextra, &n1);
	s = vc_sign(u, n1, "rsa", 1, 0, &n2);
	v = verdict_of(s, n2, &nd);
	ck_assert_msg(v == CRYPTO_VERDICT_VALID, "%s: signed: %s", what, crypto_verdict_name(v));
	t = vc_update(s, n2, anums, aobjs, na, 0, aextra, &n3);
	v = verdict_of(t, n3, &nd);
	ck_assert_msg(v == CRYPTO_VERDICT_INVALID && nd > 0,
		      "%s: verdict %s, %zu disallowed changes", what, crypto_verdict_name(v), nd);
	free(d);
	free(u);
	free(s);
	free(t);
}

static const char white_form[] = "<< /Type /XObject /Subtype /Form /BBox [0 0 612 792] "
				 "/Length 26 >>\nstream\n" WHITE "\nendstream";

/*
 * The content named: the form XObject /X1 (object 6) the page draws after
 * its text, used once by the resources dictionary (object 8), which the
 * signature's own update does not rewrite (it rewrites the page and the
 * catalog: the page's references are counted again, the catalog's not).
 * After the signature it becomes a full-page white form: the text is gone.
 */

/* Before signing the trailer's /Info names the form; after, it paints the page white. */
START_TEST(info_named_content_before_signing_then_rewritten)
{
	const int bn[] = { 10 }, an[] = { 6 };
	const char *bo[] = { "<< /Title (Contract 2) >>" };
	const char *ao[] = { white_form };

	rewritten_after_signing_is_invalid(bn, bo, 1, "/Info 6 0 R ", an, ao, 1, "/Info 6 0 R ",
					   "the page is painted white (as /Info)");
}
END_TEST

/* Before signing the catalog's /Metadata names the form; after, it paints the page white. */
START_TEST(metadata_named_content_before_signing_then_rewritten)
{
	const int bn[] = { 1 }, an[] = { 6 };
	const char *bo[] = { "<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [7 0 R] >> "
			     "/Metadata 6 0 R >>" };
	const char *ao[] = { white_form };

	rewritten_after_signing_is_invalid(bn, bo, 1, "/Info 10 0 R ", an, ao, 1, "/Info 10 0 R ",
					   "the page is painted white (as /Metadata)");
}
END_TEST

/* Before signing the catalog's /DSS names the form; after, it paints the page white. */
START_TEST(dss_named_content_before_signing_then_rewritten)
{
	const int bn[] = { 1 }, an[] = { 6 };
	const char *bo[] = { "<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [7 0 R] >> "
			     "/Metadata 9 0 R /DSS 6 0 R >>" };
	const char *ao[] = { white_form };

	rewritten_after_signing_is_invalid(bn, bo, 1, "/Info 10 0 R ", an, ao, 1, "/Info 10 0 R ",
					   "the page is painted white (as the DSS)");
}
END_TEST

/*
 * An update as a cross-reference stream (/W [1 4 2], uncompressed) whose
 * objects are bodies[i] as object nums[i] (type 1), plus object `in_num`
 * listed as type 2, index in_idx, in object stream `in_stm` (0: none). The
 * trailer keys are the stream's: /Root and /Info as d has them.
 */
static unsigned char *
xref_stream_update(const unsigned char *d, size_t n, const int *nums, const char *const *bodies,
		   size_t k, int in_num, int in_stm, int in_idx, size_t *outn)
{
	struct gbuf b = { malloc(n + 8192), 0, n + 8192 };
	struct pdf_doc *doc = NULL;
	struct pdf_doc_info info;
	struct sp_errinfo ei;
	unsigned char row[7];
	size_t off[8], xref, i, rows = k + (in_stm > 0) + 1;
	long long size;
	int self;

	sp_errinfo_init(&ei);
	ck_assert(k < 8);
	ck_assert_int_eq(pdf_doc_open(d, n, &doc, &ei), SP_OK);
	pdf_doc_info_get(doc, &info);
	pdf_doc_free(doc);
	memcpy(b.p, d, n);
	b.n = n;
	size = info.size;
	for (i = 0; i < k; i++) {
		off[i] = b.n;
		gb_printf(&b, "%d 0 obj\n%s\nendobj\n", nums[i], bodies[i]);
		size = nums[i] + 1 > size ? nums[i] + 1 : size;
	}
	size = in_num + 1 > size ? in_num + 1 : size;
	self = (int)size;
	xref = b.n;
	gb_printf(&b, "%d 0 obj\n<< /Type /XRef /W [1 4 2] /Index [", self);
	for (i = 0; i < k; i++)
		gb_printf(&b, "%d 1 ", nums[i]);
	if (in_stm > 0)
		gb_printf(&b, "%d 1 ", in_num);
	gb_printf(&b,
		  "%d 1] /Size %d /Root %d 0 R /Info %d 0 R /Prev %lld /Length %zu >>\nstream\n",
		  self, self + 1, info.root_obj, info.info_obj, info.startxref, 7 * rows);
	for (i = 0; i < rows; i++) {
		/* cppcheck-suppress uninitvar ; off[i] is read for i < k, each set above */
		size_t at = i < k ? off[i] : i == k && in_stm > 0 ? (size_t)in_stm : xref;
		int type = i == k && in_stm > 0 ? 2 : 1;
		row[0] = (unsigned char)type;
		row[1] = (unsigned char)(at >> 24);
		row[2] = (unsigned char)(at >> 16);
		row[3] = (unsigned char)(at >> 8);
		row[4] = (unsigned char)at;
		row[5] = 0; /* generation 0, or the index in the object stream */
		row[6] = (unsigned char)(type == 2 ? in_idx : 0);
		while (b.cap - b.n < 8) {
			b.cap *= 2;
			b.p = realloc(b.p, b.cap);
		}
		memcpy(b.p + b.n, row, 7);
		b.n += 7;
	}
	gb_printf(&b, "\nendstream\nendobj\nstartxref\n%zu\n%%%%EOF\n", xref);
	*outn = b.n;
	return (unsigned char *)b.p;
}

/*
 * No set-up by the uploader: after the signature, anyone rewrites the page's
 * content stream (object 4) as an object stream that holds one new object
 * (60) the same update lists in it. classify() takes object 4 for "file
 * structure" (holds_listed) and returns without a note, though the signed
 * revision draws it as the page: a viewer reads the object stream's data as
 * the page's contents ("60 0" and "[]" are stray operands; then "Pay 999
 * EUR").
 */
START_TEST(content_stream_rewritten_as_object_stream_is_not_valid)
{
	static const char data[] = "60 0 [] " TEXT_999;
	char c4[256];
	const int nums[] = { 4 };
	const char *bodies[] = { c4 };
	size_t n, n1, n2, nd;
	unsigned char *d = contract(&n), *s, *t;
	enum crypto_verdict v;

	snprintf(c4, sizeof(c4),
		 "<< /Type /ObjStm /N 1 /First 5 /Length %zu >>\nstream\n%s\nendstream",
		 strlen(data) + 1, data);
	s = vc_sign(d, n, "rsa", 1, 0, &n1);
	ck_assert_int_eq(verdict_of(s, n1, &nd), CRYPTO_VERDICT_VALID);
	t = xref_stream_update(s, n1, nums, bodies, 1, 60, 4, 0, &n2);
	v = verdict_of(t, n2, &nd);
	ck_assert_msg(v == CRYPTO_VERDICT_INVALID && nd > 0,
		      "the page now says \"Pay 999 EUR\" (as an object stream): verdict %s, %zu "
		      "disallowed changes",
		      crypto_verdict_name(v), nd);
	free(d);
	free(s);
	free(t);
}
END_TEST

/*
 * The use count leaves out every stream of an update typed /XRef (a
 * cross-reference stream repeats the trailer), whatever it is used as. An
 * update before the signature adds a form XObject (/Subtype /Form; viewers
 * ignore /Type on it) typed /XRef whose /Resources is the /Info dictionary,
 * and draws it on the page; /Info stays "used once". After the signature
 * /Info is rewritten "as /Info" to give that form a full-page white XObject.
 */
START_TEST(info_as_resources_of_a_form_typed_xref_then_rewritten)
{
	static const char form50[] = "/W Do";
	char c4[256], c50[256];
	const int bn[] = { 4, 8, 50 }, an[] = { 10, 40 };
	const char *bo[] = { c4, "<< /Font << /F1 5 0 R >> /XObject << /X1 6 0 R /X2 50 0 R >> >>",
			     c50 };
	const char *ao[] = { "<< /Title (Contract) /XObject << /W 40 0 R >> >>", white_form };

	snprintf(c4, sizeof(c4), "<< /Length %zu >>\nstream\n%s q /X2 Do Q\nendstream",
		 strlen(TEXT_100) + 12, TEXT_100);
	snprintf(c50, sizeof(c50),
		 "<< /Type /XRef /Subtype /Form /BBox [0 0 612 792] /Resources 10 0 R "
		 "/Length %zu >>\nstream\n%s\nendstream",
		 strlen(form50) + 1, form50);
	rewritten_after_signing_is_invalid(bn, bo, 3, "/Info 10 0 R ", an, ao, 2, "/Info 10 0 R ",
					   "the page is painted white (through a form typed "
					   "/XRef)");
}
END_TEST

/*
 * A hybrid-reference update (ISO 32000-1 §7.5.8.4) whose classic table and
 * /XRefStm stream both list object 4, at two definitions: the table the
 * signed page's text as it was (byte for byte), the stream "Pay 999 EUR".
 * qpdf, poppler and MuPDF read the table's; Ghostscript reads the
 * stream's (gs -sDEVICE=txtwrite prints "Pay 999 EUR"). The difference
 * analysis compares qpdf's view only: object 4 unchanged. One update that
 * lists an object twice, at two places, has no one meaning. Control (_i
 * 1): both list object 4 at the one definition, the page's text as it was:
 * every reader reads the same object, and nothing changed.
 */
START_TEST(hybrid_update_listing_an_object_twice_is_not_valid)
{
	static const char t100[] = TEXT_100, t999[] = TEXT_999;
	struct gbuf b;
	struct pdf_doc *doc = NULL;
	struct pdf_doc_info info;
	struct sp_errinfo ei;
	unsigned char row[7];
	size_t n, n1, nd, a, bo, xs, xt;
	unsigned char *d = contract(&n), *s;
	enum crypto_verdict v;
	int self;

	sp_errinfo_init(&ei);
	s = vc_sign(d, n, "rsa", 1, 0, &n1);
	ck_assert_int_eq(verdict_of(s, n1, &nd), CRYPTO_VERDICT_VALID);
	ck_assert_int_eq(pdf_doc_open(s, n1, &doc, &ei), SP_OK);
	pdf_doc_info_get(doc, &info);
	pdf_doc_free(doc);
	self = (int)info.size;
	b.cap = n1 + 4096;
	b.p = malloc(b.cap);
	memcpy(b.p, s, n1);
	b.n = n1;
	a = b.n;
	gb_printf(&b, "4 0 obj\n<< /Length %zu >>\nstream\n%s\nendstream\nendobj\n",
		  strlen(t100) + 1, t100);
	bo = _i ? a : b.n;
	if (!_i)
		gb_printf(&b, "4 0 obj\n<< /Length %zu >>\nstream\n%s\nendstream\nendobj\n",
			  strlen(t999) + 1, t999);
	/* the /XRefStm stream: object 4 at the second definition */
	xs = b.n;
	gb_printf(&b,
		  "%d 0 obj\n<< /Type /XRef /W [1 4 2] /Index [4 1] /Size %d /Length 7 >>\n"
		  "stream\n",
		  self, self + 1);
	row[0] = 1;
	row[1] = (unsigned char)(bo >> 24);
	row[2] = (unsigned char)(bo >> 16);
	row[3] = (unsigned char)(bo >> 8);
	row[4] = (unsigned char)bo;
	row[5] = row[6] = 0;
	memcpy(b.p + b.n, row, 7);
	b.n += 7;
	gb_printf(&b, "\nendstream\nendobj\n");
	/* the table: object 4 at the first */
	xt = b.n;
	gb_printf(&b,
		  "xref\n0 1\n0000000000 65535 f \n4 1\n%010zu 00000 n \ntrailer\n<< /Size %d "
		  "/Root %d 0 R /Info %d 0 R /Prev %lld /XRefStm %zu >>\nstartxref\n%zu\n%%%%EOF\n",
		  a, self + 1, info.root_obj, info.info_obj, info.startxref, xs, xt);
	v = verdict_of((unsigned char *)b.p, b.n, &nd);
	if (_i)
		ck_assert_msg(v != CRYPTO_VERDICT_INVALID && v != CRYPTO_VERDICT_INDETERMINATE &&
				      nd == 0,
			      "object 4 listed twice at its one place, unchanged: verdict %s, %zu "
			      "disallowed changes",
			      crypto_verdict_name(v), nd);
	else
		ck_assert_msg(v == CRYPTO_VERDICT_INVALID || v == CRYPTO_VERDICT_INDETERMINATE,
			      "object 4 listed at two places in one update (Ghostscript shows "
			      "\"Pay 999 EUR\"): verdict %s, %zu disallowed changes",
			      crypto_verdict_name(v), nd);
	free(d);
	free(s);
	free(b.p);
}
END_TEST

/*
 * The update's cross-reference stream is itself numbered 4, the signed
 * page's content stream: pdf_revision_diff_dss skips the update's own xref
 * stream (self) without a look at what its number was. Its data is the one
 * row it needs (qpdf --check: no errors), which viewers now draw as the
 * page: the signed text is gone (pdftotext prints nothing; MuPDF only the
 * form field's value). With data after the row (the page's new text,
 * "Pay 999 EUR" in poppler, MuPDF and Ghostscript) qpdf warns and the
 * verification already refuses the file.
 */
START_TEST(xref_stream_numbered_as_the_page_contents_is_not_valid)
{
	static const char text[] = ""; /* nothing after the row */
	struct gbuf b;
	struct pdf_doc *doc = NULL;
	struct pdf_doc_info info;
	struct sp_errinfo ei;
	unsigned char row[7];
	size_t n, n1, nd, xs;
	unsigned char *d = contract(&n), *s;
	enum crypto_verdict v;

	sp_errinfo_init(&ei);
	s = vc_sign(d, n, "rsa", 1, 0, &n1);
	ck_assert_int_eq(verdict_of(s, n1, &nd), CRYPTO_VERDICT_VALID);
	ck_assert_int_eq(pdf_doc_open(s, n1, &doc, &ei), SP_OK);
	pdf_doc_info_get(doc, &info);
	pdf_doc_free(doc);
	b.cap = n1 + 4096;
	b.p = malloc(b.cap);
	memcpy(b.p, s, n1);
	b.n = n1;
	xs = b.n;
	gb_printf(&b,
		  "4 0 obj\n<< /Type /XRef /W [1 4 2] /Index [4 1] /Size %lld /Root %d 0 R /Info "
		  "%d 0 R /Prev %lld /Length %zu >>\nstream\n",
		  info.size, info.root_obj, info.info_obj, info.startxref, 7 + strlen(text));
	row[0] = 1;
	row[1] = (unsigned char)(xs >> 24);
	row[2] = (unsigned char)(xs >> 16);
	row[3] = (unsigned char)(xs >> 8);
	row[4] = (unsigned char)xs;
	row[5] = row[6] = 0;
	memcpy(b.p + b.n, row, 7);
	b.n += 7;
	gb_printf(&b, "%s\nendstream\nendobj\nstartxref\n%zu\n%%%%EOF\n", text, xs);
	v = verdict_of((unsigned char *)b.p, b.n, &nd);
	ck_assert_msg(v == CRYPTO_VERDICT_INVALID || v == CRYPTO_VERDICT_INDETERMINATE,
		      "the page's contents are the update's xref stream (the signed text is gone): "
		      "verdict %s, %zu disallowed changes",
		      crypto_verdict_name(v), nd);
	free(d);
	free(s);
	free(b.p);
}
END_TEST

/*
 * contract() with its dictionaries in object stream 11 (a first revision as
 * qpdf --object-streams=generate writes it): 1, 2, 3, 5, 7, 8, 10 at
 * indexes 0..6; the streams 4, 6, 9 and the xref stream 12 of their own.
 */
static unsigned char *
contract_in_objstm(size_t *n)
{
	static const char *const dicts[7] = {
		"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [7 0 R] >> /Metadata 9 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
		"/Resources 8 0 R /Annots [7 0 R] >>",
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
		"<< /Type /Annot /Subtype /Widget /FT /Tx /T (amount) /V (100) "
		"/Rect [72 600 200 620] /P 3 0 R >>",
		"<< /Font << /F1 5 0 R >> /XObject << /X1 6 0 R >> >>",
		"<< /Title (Contract) /Producer (test) >>",
	};
	static const int dnum[7] = { 1, 2, 3, 5, 7, 8, 10 };
	struct gbuf b = { malloc(8192), 0, 8192 }, h = { malloc(256), 0, 256 },
		    body = { malloc(2048), 0, 2048 };
	size_t off[13] = { 0 }, i, xref;
	unsigned char row[7];
	int where[13] = { 0 }; /* 0 free, 1 own, 2 + index: in 11 */

	for (i = 0; i < 7; i++) {
		gb_printf(&h, "%d %zu ", dnum[i], body.n);
		gb_printf(&body, "%s\n", dicts[i]);
		where[dnum[i]] = 2 + (int)i;
	}
	gb_printf(&b, "%%PDF-1.7\n");
	off[4] = b.n;
	gb_printf(&b, "4 0 obj\n<< /Length %zu >>\nstream\n%s\nendstream\nendobj\n",
		  strlen(TEXT_100) + 1, TEXT_100);
	off[6] = b.n;
	gb_printf(&b,
		  "6 0 obj\n<< /Type /XObject /Subtype /Form /BBox [0 0 100 100] /Length %zu >>\n"
		  "stream\n%s\nendstream\nendobj\n",
		  strlen(BLUE) + 1, BLUE);
	off[9] = b.n;
	gb_printf(&b,
		  "9 0 obj\n<< /Type /Metadata /Subtype /XML /Length 4 >>\nstream\n<x/>\nendstream"
		  "\nendobj\n");
	off[11] = b.n;
	gb_printf(&b,
		  "11 0 obj\n<< /Type /ObjStm /N 7 /First %zu /Length %zu >>\nstream\n%s%s\n"
		  "endstream\nendobj\n",
		  h.n, h.n + body.n, h.p, body.p);
	where[4] = where[6] = where[9] = where[11] = where[12] = 1;
	off[12] = xref = b.n;
	gb_printf(&b,
		  "12 0 obj\n<< /Type /XRef /W [1 4 2] /Index [0 13] /Size 13 /Root 1 0 R /Info "
		  "10 0 R /Length %d >>\nstream\n",
		  13 * 7);
	for (i = 0; i < 13; i++) {
		size_t v = where[i] >= 2 ? 11 : off[i];
		row[0] = (unsigned char)(where[i] >= 2 ? 2 : where[i]);
		row[1] = (unsigned char)(v >> 24);
		row[2] = (unsigned char)(v >> 16);
		row[3] = (unsigned char)(v >> 8);
		row[4] = (unsigned char)v;
		row[5] = 0;
		row[6] = (unsigned char)(where[i] >= 2 ? where[i] - 2 : i == 0 ? 0xff : 0);
		if (i == 0)
			row[5] = 0xff;
		while (b.cap - b.n < 8) {
			b.cap *= 2;
			b.p = realloc(b.p, b.cap);
		}
		memcpy(b.p + b.n, row, 7);
		b.n += 7;
	}
	gb_printf(&b, "\nendstream\nendobj\nstartxref\n%zu\n%%%%EOF\n", xref);
	free(h.p);
	free(body.p);
	*n = b.n;
	return (unsigned char *)b.p;
}

/*
 * The signed revision's dictionaries are in object stream 11. An update
 * redefines 11 (the same objects at the same places, but for the page's
 * resources, object 8, whose /X1 is now a new full-page white form 50) and
 * lists one new object (51) in it, so that classify() takes 11 for file
 * structure; object 8 it never lists, so it is never compared, though
 * every reader now reads it from the new 11.
 */
START_TEST(old_object_stream_redefined_changes_what_it_holds)
{
	static const char *const dicts[8] = {
		"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [7 0 R] >> /Metadata 9 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
		"/Resources 8 0 R /Annots [7 0 R] >>",
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
		"<< /Type /Annot /Subtype /Widget /FT /Tx /T (amount) /V (100) "
		"/Rect [72 600 200 620] /P 3 0 R >>",
		"<< /Font << /F1 5 0 R >> /XObject << /X1 50 0 R >> >>",
		"<< /Title (Contract) /Producer (test) >>",
		"<< /Note (new) >>",
	};
	static const int dnum[8] = { 1, 2, 3, 5, 7, 8, 10, 51 };
	struct gbuf h = { malloc(256), 0, 256 }, body = { malloc(2048), 0, 2048 };
	char *c11;
	const int nums[] = { 11, 50 };
	const char *bodies[2];
	size_t n, n1, n2, nd, i;
	unsigned char *d = contract_in_objstm(&n), *s, *t;
	enum crypto_verdict v;

	for (i = 0; i < 8; i++) {
		gb_printf(&h, "%d %zu ", dnum[i], body.n);
		gb_printf(&body, "%s\n", dicts[i]);
	}
	c11 = malloc(h.n + body.n + 128);
	sprintf(c11, "<< /Type /ObjStm /N 8 /First %zu /Length %zu >>\nstream\n%s%s\nendstream",
		h.n, h.n + body.n, h.p, body.p);
	bodies[0] = c11;
	bodies[1] = white_form;
	s = vc_sign(d, n, "rsa", 1, 0, &n1);
	ck_assert_int_eq(verdict_of(s, n1, &nd), CRYPTO_VERDICT_VALID);
	t = xref_stream_update(s, n1, nums, bodies, 2, 51, 11, 7, &n2);
	v = verdict_of(t, n2, &nd);
	ck_assert_msg(v == CRYPTO_VERDICT_INVALID && nd > 0,
		      "the page's resources, in its object stream, paint it white: verdict %s, %zu "
		      "disallowed changes",
		      crypto_verdict_name(v), nd);
	free(h.p);
	free(body.p);
	free(c11);
	free(d);
	free(s);
	free(t);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("crypto_verify_shadow_routes");
	TCase *tc = test_tcase(s, "shadow_routes", setup, teardown, 0, 120);

	tcase_add_test(tc, info_named_content_before_signing_then_rewritten);
	tcase_add_test(tc, metadata_named_content_before_signing_then_rewritten);
	tcase_add_test(tc, dss_named_content_before_signing_then_rewritten);
	tcase_add_test(tc, content_stream_rewritten_as_object_stream_is_not_valid);
	tcase_add_test(tc, info_as_resources_of_a_form_typed_xref_then_rewritten);
	tcase_add_loop_test(tc, hybrid_update_listing_an_object_twice_is_not_valid, 0, 2);
	tcase_add_test(tc, xref_stream_numbered_as_the_page_contents_is_not_valid);
	tcase_add_test(tc, old_object_stream_redefined_changes_what_it_holds);
	return test_suite_run(s);
}
