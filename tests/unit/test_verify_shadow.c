/*
 * test_verify_shadow.c: shadow attacks through the objects the difference
 * analysis lets a later update change for what they are: the DSS and the
 * object types it took for file structure (review44), the trailer's /Info
 * and the catalog's XMP /Metadata (after it).
 *
 * The difference analysis (pdf/diff.c, classify) lets a later update change
 * the document security store: validation data, not content. It names the
 * DSS by object, though, not by what the object is used as: the signed
 * revision's /Root /DSS object, and any object of the signed revision whose
 * dictionary says /Type /DSS once the document has a DSS, may be rewritten
 * at will after the signature. A document prepared by the party who will
 * tamper with it later (the uploader of a contract) can make its visible
 * content such an object:
 *
 * - the page's content stream carries /Type /DSS (an unknown key viewers
 *   ignore on a content stream): the update rewrites the page's text;
 * - the DSS dictionary is also the page's /Resources: the update points the
 *   page's XObject at a new form that paints over the page.
 *
 * The same holds for the two types classify() takes for file structure and
 * returns on without a note ("compared object by object"): a content
 * stream whose dictionary says /Type /XRef or /Type /ObjStm is rewritten
 * unseen, no DSS needed (poppler draws such a page as any other; qpdf's
 * rewrite of an upload keeps the key).
 *
 * Each is signed through the real path (vc_sign, with a timestamp) and then
 * changed by one unsigned incremental update; the signature must not come
 * out valid. A genuine DSS update (evidence added, nothing else) stays
 * valid with allowed changes: the control that the documents are sound.
 */
#include <check.h>
#include <qpdf/qpdf-c.h>

#include "support_suite.h"
#include "test_verify_corpus.h"

VC_TRUST_FIXTURE

#define CONTENT "BT /F1 12 Tf 72 700 Td (Pay 100 EUR) Tj ET q /X1 Do Q"
#define CONTENT_999 "BT /F1 12 Tf 72 700 Td (Pay 999 EUR) Tj ET q /X1 Do Q"
#define FORM "0 0 1 rg 0 0 10 10 re f"
#define WHITE "1 1 1 rg 0 0 612 792 re f"

/*
 * vc_base's contract with a DSS (object 8, one certificate in object 9):
 * how == 0, a content stream of its own; how == 1, the content stream's
 * dictionary also says /Type /DSS; how == 2, the DSS dictionary is the
 * page's /Resources too; how == 3, as 1 without the DSS (the catalog does
 * not name object 8).
 */
static unsigned char *
base_with_dss(int how, size_t *n)
{
	char c3[512], c4[256], c6[256], c8[256];
	const char *objs[9];

	snprintf(c3, sizeof(c3),
		 "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
		 "/Resources %s /Annots [7 0 R] >>",
		 how == 2 ? "8 0 R" : "<< /Font << /F1 5 0 R >> /XObject << /X1 6 0 R >> >>");
	snprintf(c4, sizeof(c4), "<< %s/Length %zu >>\nstream\n%s\nendstream",
		 how == 1 || how == 3 ? "/Type /DSS "
		 : how == 4           ? "/Type /XRef "
		 : how == 5           ? "/Type /ObjStm "
				      : "",
		 strlen(CONTENT) + 1, CONTENT);
	snprintf(c6, sizeof(c6),
		 "<< /Type /XObject /Subtype /Form /BBox [0 0 100 100] /Length %zu >>\nstream\n%s\n"
		 "endstream",
		 strlen(FORM) + 1, FORM);
	snprintf(c8, sizeof(c8), "<< /Type /DSS /Certs [9 0 R]%s >>",
		 how == 2 ? " /Font << /F1 5 0 R >> /XObject << /X1 6 0 R >>" : "");
	objs[0] = how == 3 ? "<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [7 0 R] >> >>"
			   : "<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [7 0 R] >> /DSS "
			     "8 0 R >>";
	objs[1] = "<< /Type /Pages /Kids [3 0 R] /Count 1 >>";
	objs[2] = c3;
	objs[3] = c4;
	objs[4] =
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>";
	objs[5] = c6;
	objs[6] = "<< /Type /Annot /Subtype /Widget /FT /Tx /T (amount) /V (100) "
		  "/Rect [72 600 200 620] /P 3 0 R >>";
	objs[7] = c8;
	objs[8] = "<< /Length 4 >>\nstream\n0000\nendstream";
	return make_pdf_objs(objs, 9, n);
}

/* The verdict of the one signature of d[0..n), and whether it lists a disallowed change. */
static enum crypto_verdict
verdict_of(const unsigned char *d, size_t n, size_t *ndisallowed)
{
	struct crypto_verify_report *r = vc_verify(trust, d, n);
	enum crypto_verdict v;

	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(r->nsigs, 1);
	v = r->sigs[0].verdict;
	if (v != CRYPTO_VERDICT_VALID)
		fprintf(stderr, "%s: %s (%s)\n", crypto_verdict_name(v),
			r->sigs[0].nreasons ? r->sigs[0].reasons[0] : "", r->sigs[0].message);
	*ndisallowed = r->sigs[0].ndisallowed;
	crypto_verify_report_free(r);
	return v;
}

/* base_with_dss(how) signed by rsa with a timestamp, then the update nums/objs (k). */
static unsigned char *
signed_then(int how, const int *nums, const char *const *objs, size_t k, size_t *n,
	    enum crypto_verdict *signed_verdict)
{
	size_t bn, sn, nd;
	unsigned char *base = base_with_dss(how, &bn);
	unsigned char *s = vc_sign(base, bn, "rsa", 1, 0, &sn), *out;

	*signed_verdict = verdict_of(s, sn, &nd);
	out = vc_update(s, sn, nums, objs, k, 0, NULL, n);
	free(base);
	free(s);
	return out;
}

/* base_with_dss(how), signed (valid), then changed by nums/objs (k): not valid, a change named. */
static void
tampered_is_invalid(int how, const int *nums, const char *const *objs, size_t k, const char *what)
{
	enum crypto_verdict sv, v;
	size_t n, nd;
	unsigned char *d = signed_then(how, nums, objs, k, &n, &sv);

	ck_assert_int_eq(sv, CRYPTO_VERDICT_VALID);
	v = verdict_of(d, n, &nd);
	ck_assert_msg(v == CRYPTO_VERDICT_INVALID && nd > 0,
		      "%s: verdict %s, %zu disallowed changes", what, crypto_verdict_name(v), nd);
	free(d);
}

/* Control: a DSS update that adds a certificate is validation data, allowed. */
START_TEST(a_genuine_dss_update_stays_valid)
{
	const int nums[] = { 8, 40 };
	const char *objs[] = { "<< /Type /DSS /Certs [9 0 R 40 0 R] >>",
			       "<< /Length 4 >>\nstream\n1111\nendstream" };
	enum crypto_verdict sv, v;
	size_t n, nd;
	unsigned char *d = signed_then(0, nums, objs, 2, &n, &sv);

	ck_assert_int_eq(sv, CRYPTO_VERDICT_VALID);
	v = verdict_of(d, n, &nd);
	ck_assert_msg(v == CRYPTO_VERDICT_VALID_ALLOWED_CHANGES && nd == 0,
		      "a DSS update: verdict %s, %zu disallowed changes", crypto_verdict_name(v),
		      nd);
	free(d);
}
END_TEST

/*
 * An update whose xref table has no entries (a writer that saved without a
 * change) lists no object; the difference analysis then sorted a NULL list
 * of none, which qsort's contract forbids (UBSan's nonnull-attribute check
 * ends the sanitizer build's run; clang-tidy's NonNullParamChecker).
 */
START_TEST(an_update_of_no_objects_stays_valid)
{
	enum crypto_verdict sv, v;
	size_t bn, sn, nd, n;
	unsigned char *base = base_with_dss(0, &bn);
	unsigned char *s = vc_sign(base, bn, "rsa", 1, 0, &sn), *d;
	struct pdf_doc *doc = NULL;
	struct pdf_doc_info info;
	struct sp_errinfo ei;
	char tail[256];
	int tn;

	sp_errinfo_init(&ei);
	ck_assert_int_eq(pdf_doc_open(s, sn, &doc, &ei), SP_OK);
	pdf_doc_info_get(doc, &info);
	pdf_doc_free(doc);
	tn = snprintf(tail, sizeof(tail),
		      "xref\ntrailer\n<< /Size %lld /Root %d 0 R /Prev %lld >>\nstartxref\n%zu\n"
		      "%%%%EOF\n",
		      info.size, info.root_obj, info.startxref, sn);
	ck_assert(tn > 0 && (size_t)tn < sizeof(tail));
	ck_assert_ptr_nonnull(d = malloc(sn + (size_t)tn));
	memcpy(d, s, sn);
	memcpy(d + sn, tail, (size_t)tn);
	n = sn + (size_t)tn;
	sv = verdict_of(s, sn, &nd);
	ck_assert_int_eq(sv, CRYPTO_VERDICT_VALID);
	v = verdict_of(d, n, &nd);
	/* qpdf repairs the empty table to read it: indeterminate (changes_unverifiable)
	   is fair; invalid, or a change named, would not be */
	ck_assert_msg(v != CRYPTO_VERDICT_INVALID && nd == 0,
		      "an update of no objects: verdict %s, %zu disallowed changes",
		      crypto_verdict_name(v), nd);
	free(base);
	free(s);
	free(d);
}
END_TEST

/* The page's text rewritten in a content stream whose dictionary says /Type /DSS. */
START_TEST(content_stream_typed_dss_rewritten_is_not_valid)
{
	char c4[256];
	const int nums[] = { 4 };
	const char *objs[] = { c4 };

	snprintf(c4, sizeof(c4), "<< /Type /DSS /Length %zu >>\nstream\n%s\nendstream",
		 strlen(CONTENT_999) + 1, CONTENT_999);
	tampered_is_invalid(1, nums, objs, 1, "the page now says \"Pay 999 EUR\"");
}
END_TEST

/* The same with a content stream that says /Type /XRef or /Type /ObjStm: file structure. */
START_TEST(content_stream_typed_structure_rewritten_is_not_valid)
{
	char c4[256];
	const int nums[] = { 4 };
	const char *objs[] = { c4 };
	const char *type = _i == 0 ? "/XRef" : "/ObjStm";

	snprintf(c4, sizeof(c4), "<< /Type %s /Length %zu >>\nstream\n%s\nendstream", type,
		 strlen(CONTENT_999) + 1, CONTENT_999);
	tampered_is_invalid(4 + _i, nums, objs, 1, type);
}
END_TEST

/* The DSS dictionary, also the page's /Resources, pointed at a form that paints the page over. */
START_TEST(dss_doubling_as_resources_rewritten_is_not_valid)
{
	char c40[256];
	const int nums[] = { 8, 40 };
	const char *objs[] = { "<< /Type /DSS /Certs [9 0 R] /Font << /F1 5 0 R >> "
			       "/XObject << /X1 40 0 R >> >>",
			       c40 };

	snprintf(c40, sizeof(c40),
		 "<< /Type /XObject /Subtype /Form /BBox [0 0 612 792] /Length %zu >>\nstream\n%s\n"
		 "endstream",
		 strlen(WHITE) + 1, WHITE);
	tampered_is_invalid(2, nums, objs, 2, "the page is painted white");
}
END_TEST

/*
 * The server's own flow: the uploader's contract has no DSS, only a content
 * stream that says /Type /DSS; the upload's rewrite (pdf_upload_normalize)
 * keeps it, the signer signs, and the completion's B-LT update adds the DSS
 * (pdf_dss_append_read, as crypto_ltv_add_dss writes it). The uploader,
 * who downloads the completed contract, rewrites the page's text.
 */
START_TEST(uploaded_content_stream_typed_dss_rewritten_is_not_valid)
{
	static const char key[] = "00112233445566778899AABBCCDDEEFF00112233";
	char item[] = "evidence", c[256], *at;
	struct pdf_normalized norm;
	struct pdf_dss none, after;
	struct pdf_dss_add add;
	struct pdf_blob blob = { (unsigned char *)item, sizeof(item) - 1 };
	struct pdf_doc *doc = NULL;
	struct sp_errinfo ei;
	enum crypto_verdict v;
	size_t bn, sn, ln, n, nd;
	unsigned char *base = base_with_dss(3, &bn), *s, *lt = NULL, *d;
	int num;
	const char *objs[1] = { c };

	sp_errinfo_init(&ei);
	ck_assert_msg(pdf_upload_normalize(base, bn, &norm, &ei) == SP_OK, "%s", ei.msg);
	/* the content stream's number after the rewrite: the object whose dictionary
	   says /Type /DSS */
	at = memmem(norm.data, norm.len, "/Type /DSS", 10);
	ck_assert_ptr_nonnull(at);
	while (at > (char *)norm.data && memcmp(at, " 0 obj", 6) != 0)
		at--;
	while (at > (char *)norm.data && at[-1] >= '0' && at[-1] <= '9')
		at--;
	num = atoi(at);
	ck_assert_int_gt(num, 0);
	s = vc_sign(norm.data, norm.len, "rsa", 1, 0, &sn);
	/* the completion's DSS update */
	memset(&add, 0, sizeof(add));
	add.certs = &blob;
	add.ncerts = 1;
	add.vri = (const char(*)[41])key;
	add.nvri = 1;
	ck_assert_int_eq(pdf_doc_open(s, sn, &doc, &ei), SP_OK);
	ck_assert_int_eq(pdf_dss_read(doc, &none, &ei), SP_OK);
	ck_assert_msg(pdf_dss_append_read(doc, &none, &add, &lt, &ln, &after, &ei) == SP_OK, "%s",
		      ei.msg);
	pdf_doc_free(doc);
	v = verdict_of(lt, ln, &nd);
	ck_assert_msg(v == CRYPTO_VERDICT_VALID_ALLOWED_CHANGES && nd == 0, "stored: %s",
		      crypto_verdict_name(v));
	/* the uploader's update after completion */
	snprintf(c, sizeof(c), "<< /Type /DSS /Length %zu >>\nstream\n%s\nendstream",
		 strlen(CONTENT_999) + 1, CONTENT_999);
	d = vc_update(lt, ln, &num, objs, 1, 0, NULL, &n);
	v = verdict_of(d, n, &nd);
	ck_assert_msg(v == CRYPTO_VERDICT_INVALID && nd > 0,
		      "the page now says \"Pay 999 EUR\": verdict %s, %zu disallowed changes",
		      crypto_verdict_name(v), nd);
	pdf_dss_cleanup(&none);
	pdf_dss_cleanup(&after);
	pdf_normalized_cleanup(&norm);
	free(base);
	free(s);
	free(lt);
	free(d);
}
END_TEST

/*
 * /Info and the XMP metadata: an update may rewrite them, for they hold no
 * content. The uploader can make one of them content too (the metadata
 * stream the page's content stream, the /Info dictionary its /Resources),
 * or name content as one in a first unsigned update (the catalog's
 * /Metadata, the trailer's /Info moved onto an object the signed revision
 * uses) to rewrite it under that name in the next. Genuine /Info and
 * metadata updates stay valid with allowed changes.
 */
#define XMP "<x:xmpmeta xmlns:x='adobe:ns:meta/'/>"
#define RESOURCES "/Font << /F1 5 0 R >> /XObject << /X1 6 0 R >>"

enum base_kind {
	PLAIN,     /* /Info 10, /Metadata 9: objects of their own */
	META_IS_C, /* the catalog's /Metadata is the page's content stream (4) */
	INFO_IS_R, /* the trailer's /Info is the page's /Resources (8) */
};

/* A one-page contract with /Info and XMP metadata, laid out as kind says. */
static unsigned char *
base_with_roles(enum base_kind kind, size_t *n)
{
	char c1[256], c4[256], c8[256], c9[256], *t;
	const char *objs[10];
	unsigned char *d;

	snprintf(c1, sizeof(c1),
		 "<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [7 0 R] >> /Metadata %d 0 R "
		 ">>",
		 kind == META_IS_C ? 4 : 9);
	snprintf(c4, sizeof(c4), "<< %s/Length %zu >>\nstream\n%s\nendstream",
		 kind == META_IS_C ? "/Type /Metadata /Subtype /XML " : "", strlen(CONTENT) + 1,
		 CONTENT);
	snprintf(c8, sizeof(c8), "<< %s%s >>", kind == INFO_IS_R ? "/Title (Contract) " : "",
		 RESOURCES);
	snprintf(c9, sizeof(c9),
		 "<< /Type /Metadata /Subtype /XML /Length %zu >>\nstream\n%s\nendstream",
		 strlen(XMP) + 1, XMP);
	objs[0] = c1;
	objs[1] = "<< /Type /Pages /Kids [3 0 R] /Count 1 >>";
	objs[2] = "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
		  "/Resources 8 0 R /Annots [7 0 R] >>";
	objs[3] = c4;
	objs[4] =
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>";
	objs[5] =
		"<< /Type /XObject /Subtype /Form /BBox [0 0 100 100] /Length 24 >>\nstream\n" FORM
		"\nendstream";
	objs[6] = "<< /Type /Annot /Subtype /Widget /FT /Tx /T (amount) /V (100) "
		  "/Rect [72 600 200 620] /P 3 0 R >>";
	objs[7] = c8;
	objs[8] = c9;
	objs[9] = "<< /Title (Contract) /Producer (test) >>";
	d = make_pdf_objs(objs, 10, n);
	/* the trailer's /Info (after the xref table: no offset moves) */
	t = memmem(d, *n, "/Root 1 0 R >>", 14);
	ck_assert_ptr_nonnull(t);
	ck_assert_ptr_nonnull(t = realloc(d, *n + 12));
	d = (unsigned char *)t;
	t = (char *)memmem(d, *n, "/Root 1 0 R >>", 14);
	memmove(t + 24, t + 12, *n - (size_t)(t + 12 - (char *)d));
	memcpy(t + 12, kind == INFO_IS_R ? "/Info 8 0 R " : "/Info 10 0 R", 12);
	*n += 12;
	return d;
}

/* An incremental update: objects nums (k of them), trailer text extra. */
struct upd {
	int nums[2];
	const char *objs[2];
	size_t k;
	const char *extra;
};

/* base_with_roles(kind) signed with a timestamp (checked valid). */
static unsigned char *
signed_base(enum base_kind kind, size_t *n)
{
	size_t bn, nd;
	unsigned char *b = base_with_roles(kind, &bn), *d = vc_sign(b, bn, "rsa", 1, 0, n);

	ck_assert_int_eq(verdict_of(d, *n, &nd), CRYPTO_VERDICT_VALID);
	free(b);
	return d;
}

/* d (freed) with the updates u[0..nu) appended. */
static unsigned char *
updated(unsigned char *d, size_t *n, const struct upd *u, size_t nu)
{
	unsigned char *next;
	size_t i;

	for (i = 0; i < nu; i++) {
		next = vc_update(d, *n, u[i].nums, u[i].objs, u[i].k, 0, u[i].extra, n);
		free(d);
		d = next;
	}
	return d;
}

/* d (freed): its one signature is invalid, with a disallowed change listed. */
static void
invalid_now(unsigned char *d, size_t n, const char *what)
{
	size_t nd;
	enum crypto_verdict v = verdict_of(d, n, &nd);

	ck_assert_msg(v == CRYPTO_VERDICT_INVALID && nd > 0,
		      "%s: verdict %s, %zu disallowed changes", what, crypto_verdict_name(v), nd);
	free(d);
}

/* The text of object num of d as qpdf unparses it, with `from` replaced by `to` (malloc'd). */
static char *
obj_text_with(const unsigned char *d, size_t n, int num, const char *from, const char *to)
{
	qpdf_data q = qpdf_init();
	const char *s, *at;
	char *o;

	qpdf_silence_errors(q);
	ck_assert(!(qpdf_read_memory(q, "x.pdf", (const char *)d, n, "") & QPDF_ERRORS));
	s = qpdf_oh_unparse_resolved(q, qpdf_get_object_by_id(q, num, 0));
	at = strstr(s, from);
	ck_assert_msg(at != NULL, "%s not in %s", from, s);
	o = malloc(strlen(s) + strlen(to) + 1);
	sprintf(o, "%.*s%s%s", (int)(at - s), s, to, at + strlen(from));
	qpdf_cleanup(&q);
	return o;
}

static const char *const content_999 =
	"<< /Type /Metadata /Subtype /XML /Length 54 >>\nstream\n" CONTENT_999 "\nendstream";
static const char *const white_form =
	"<< /Type /XObject /Subtype /Form /BBox [0 0 612 792] /Length 26 >>\n"
	"stream\n" WHITE "\nendstream";

/* Control: /Info and the XMP metadata rewritten, nothing else: allowed. */
START_TEST(genuine_info_and_metadata_updates_stay_valid)
{
	char xmp[256];
	struct upd u = { { 10, 9 },
			 { "<< /Title (Contract) /Producer (test) /ModDate (D:20261206120000Z) >>",
			   xmp },
			 2,
			 "/Info 10 0 R " };
	size_t n, nd;
	unsigned char *d;
	enum crypto_verdict v;

	snprintf(xmp, sizeof(xmp),
		 "<< /Type /Metadata /Subtype /XML /Length %zu >>\nstream\n%s \nendstream",
		 strlen(XMP) + 2, XMP);
	d = signed_base(PLAIN, &n);
	d = updated(d, &n, &u, 1);
	v = verdict_of(d, n, &nd);
	ck_assert_msg(v == CRYPTO_VERDICT_VALID_ALLOWED_CHANGES && nd == 0,
		      "/Info and metadata updated: verdict %s, %zu disallowed changes",
		      crypto_verdict_name(v), nd);
	free(d);
}
END_TEST

/* The metadata stream is the page's contents: rewritten "as metadata" to say 999. */
START_TEST(metadata_doubling_as_contents_rewritten_is_not_valid)
{
	struct upd u = { { 4 }, { content_999 }, 1, "/Info 10 0 R " };
	size_t n;
	unsigned char *d = signed_base(META_IS_C, &n);

	d = updated(d, &n, &u, 1);
	invalid_now(d, n, "the page now says \"Pay 999 EUR\"");
}
END_TEST

/* /Info is the page's /Resources: rewritten "as /Info" to paint the page white. */
START_TEST(info_doubling_as_resources_rewritten_is_not_valid)
{
	struct upd u = {
		{ 8, 40 },
		{ "<< /Title (Contract) /Font << /F1 5 0 R >> /XObject << /X1 40 0 R >> >>",
		  white_form },
		2,
		"/Info 8 0 R "
	};
	size_t n;
	unsigned char *d = signed_base(INFO_IS_R, &n);

	d = updated(d, &n, &u, 1);
	invalid_now(d, n, "the page is painted white");
}
END_TEST

/* The catalog's /Metadata moved onto the page's contents, which the next update rewrites. */
START_TEST(metadata_moved_onto_contents_is_not_valid)
{
	size_t n;
	unsigned char *d = signed_base(PLAIN, &n);
	/* the catalog as the signature left it, but for its /Metadata */
	char *cat = obj_text_with(d, n, 1, "/Metadata 9 0 R", "/Metadata 4 0 R");
	struct upd u[2] = {
		{ { 1 }, { cat }, 1, "/Info 10 0 R " },
		{ { 4 }, { content_999 }, 1, "/Info 10 0 R " },
	};

	d = updated(d, &n, u, 2);
	free(cat);
	invalid_now(d, n, "the page now says \"Pay 999 EUR\"");
}
END_TEST

/* The trailer's /Info moved onto the page's /Resources, which the next update rewrites. */
START_TEST(info_moved_onto_resources_is_not_valid)
{
	struct upd u[2] = {
		{ { 10 }, { "<< /Title (Contract 2) >>" }, 1, "/Info 8 0 R " },
		{ { 8, 40 },
		  { "<< /Font << /F1 5 0 R >> /XObject << /X1 40 0 R >> >>", white_form },
		  2,
		  "/Info 8 0 R " },
	};
	size_t n;
	unsigned char *d = signed_base(PLAIN, &n);

	d = updated(d, &n, u, 2);
	invalid_now(d, n, "the page is painted white");
}
END_TEST

/*
 * A page whose own key names a missing object by reference, /CropBox 99 0 R
 * (review48): qpdf reads it as null and lists no such key, so the signed
 * revision shows the whole page (no crop box: the media box). A later
 * update lists that page unchanged, byte for byte, and defines object 99,
 * [0 0 612 650]: the page is cut above the line "Pay 100 EUR" (mutool
 * draw -r 72, page 2: 612x792 and 181 dark pixels in the signed revision,
 * 612x650 and none after; pdftoppm -cropbox alike, 182 and 0).
 * classify() compares the listed page key by key, and diff_same() takes
 * the two values of /CropBox, both the reference 99 0 R, for the same;
 * diff_fills_walk() leaves out the references of the objects the update
 * lists (the page), and no earlier walk saw this one, qpdf listing no such
 * key: nothing says object 99 fills a reference the signed revision made.
 * Page 2 (object 6): the signature's widget goes on page 1, whose object
 * the signer's writer rewrites through qpdf (dropping the key there).
 * _i 0: that crop box; 1: /Rotate 99 0 R, object 99 then 180 (the page
 * shown upside down: mutool draw -r 72 puts the text's dark pixels in rows
 * 83..93 of 792 before, 698..708 after); 2: /Annots 99 0 R, object 99 then
 * [20 0 R], a new white square annotation over the text, an annotation
 * added after an approval signature (mutool draw and pdftoppm -r 72: 181
 * and 182 dark pixels before, 0 after).
 */
START_TEST(a_reference_the_signed_page_made_filled_while_the_page_is_relisted_is_not_valid)
{
	static const char page[] =
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] %s/Contents 4 0 R "
		"/Resources << /Font << /F1 5 0 R >> >>%s >>";
	const char *objs[6];
	char p3[256], p6[256];
	static const char *const key[] = { "/CropBox 99 0 R ", "/Rotate 99 0 R ",
					   "/Annots 99 0 R " };
	static const char *const val[] = { "[0 0 612 650]", "180", "[20 0 R]" };
	int nums[3] = { 99, 6, 20 };
	const char *upd[3] = { val[_i], p6,
			       "<< /Type /Annot /Subtype /Square /Rect [60 680 220 730] /F 4 "
			       "/C [1 1 1] /IC [1 1 1] /P 6 0 R >>" };
	const char *dump = getenv("R48_DUMP"); /* a path: the updated files, for mutool draw */
	char path[512];
	size_t bn, n, m;
	unsigned char *b, *d, *u;
	FILE *f;

	snprintf(p3, sizeof(p3), page, "", "");
	snprintf(p6, sizeof(p6), page, key[_i], "");
	objs[0] = "<< /Type /Catalog /Pages 2 0 R >>";
	objs[1] = "<< /Type /Pages /Kids [3 0 R 6 0 R] /Count 2 >>";
	objs[2] = p3;
	objs[3] = "<< /Length 42 >>\nstream\nBT /F1 12 Tf 72 700 Td (Pay 100 EUR) Tj "
		  "ET\nendstream";
	objs[4] = "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>";
	objs[5] = p6;
	b = make_pdf_objs(objs, 6, &bn);
	d = vc_sign(b, bn, "rsa", 1, 0, &n);
	free(b);
	u = vc_update(d, n, nums, upd, _i == 2 ? 3 : 2, 0, NULL, &m);
	free(d);
	snprintf(path, sizeof(path), "%s.%d.pdf", dump ? dump : "", _i);
	if (dump != NULL && (f = fopen(path, "wb")) != NULL) {
		ck_assert_uint_eq(fwrite(u, 1, m, f), m);
		fclose(f);
	}
	invalid_now(u, m,
		    _i == 0   ? "page 2 is cropped above \"Pay 100 EUR\""
		    : _i == 1 ? "page 2 is upside down"
			      : "a white square covers \"Pay 100 EUR\"");
}
END_TEST

/*
 * A markup annotation an update may change (a comment edited after an
 * approval signature, ISO 32000-2 §12.8.2.2) that is also the page's
 * graphics state: its /ca (an annotation's fill opacity, an ExtGState's
 * too) set to 0 makes the page's text vanish.
 */
START_TEST(annotation_doubling_as_graphics_state_rewritten_is_not_valid)
{
	static const char content[] = "q /GS1 gs BT /F1 12 Tf 72 700 Td (Pay 100 EUR) Tj ET Q";
	static const char annot[] = "<< /Type /Annot /Subtype /Text /Rect [10 10 30 30] "
				    "/Contents (ok) /ca %d /P 3 0 R >>";
	char c4[256], c7[256];
	const char *objs[7];
	int nums[1] = { 7 };
	const char *upd[1] = { c7 };
	size_t bn, n;
	unsigned char *b, *d;

	snprintf(c4, sizeof(c4), "<< /Length %zu >>\nstream\n%s\nendstream", strlen(content) + 1,
		 content);
	snprintf(c7, sizeof(c7), annot, 1);
	objs[0] = "<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [] >> >>";
	objs[1] = "<< /Type /Pages /Kids [3 0 R] /Count 1 >>";
	objs[2] = "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
		  "/Resources << /Font << /F1 5 0 R >> /ExtGState << /GS1 7 0 R >> >> "
		  "/Annots [7 0 R] >>";
	objs[3] = c4;
	objs[4] = "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>";
	objs[5] = "<< /Title (unused) >>";
	objs[6] = c7;
	b = make_pdf_objs(objs, 7, &bn);
	d = vc_sign(b, bn, "rsa", 1, 0, &n);
	free(b);
	snprintf(c7, sizeof(c7), annot, 0);
	b = vc_update(d, n, nums, upd, 1, 0, NULL, &n);
	free(d);
	invalid_now(b, n, "the page's text is painted transparent");
}
END_TEST

/*
 * Under a DocMDP P=3 certification a later party may create, delete and
 * change annotations (ISO 32000-2 §12.8.2.2.2). The uploader of a contract
 * can list, among the page's annotations, an object the page draws with:
 * its font (with a /Rect, and its /Subtype /Type1 taken for an annotation's)
 * or its graphics state (a /Text annotation, whose /ca is an ExtGState's
 * fill opacity too). Rewritten "as an annotation" after the certification,
 * the font's /Differences draw "Pay 100 EUR" as "Pay 900 EUR", the graphics
 * state's /ca 0 makes the text vanish.
 */
#define P3_PAGE(res, annots) \
	"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources " res \
	" /Annots [6 0 R " annots "] >>"
#define HELV "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica"

/* vc_certified_parts(3, parts), then the updates objs[i] of object nums[i] (k, one each). */
static enum crypto_verdict
certified_then(const struct vc_parts *parts, const int *nums, const char *const *objs, size_t k,
	       size_t *ndisallowed)
{
	size_t n, m, i;
	unsigned char *d = vc_certified_parts(3, parts, &n), *u;
	enum crypto_verdict v;

	ck_assert_int_eq(verdict_of(d, n, ndisallowed), CRYPTO_VERDICT_VALID);
	for (i = 0; i < k; i++) {
		u = vc_update(d, n, &nums[i], &objs[i], 1, 0, NULL, &m);
		free(d);
		d = u;
		n = m;
	}
	v = verdict_of(d, n, ndisallowed);
	free(d);
	return v;
}

START_TEST(p3_font_doubling_as_annotation_rewritten_is_not_valid)
{
	struct vc_parts parts = { .page = P3_PAGE("<< /Font << /F1 5 0 R >> >>", "5 0 R"),
				  .obj5 = HELV " /Rect [0 0 0 0] >>" };
	int nums[1] = { 5 };
	const char *objs[1] = { HELV " /Rect [0 0 0 0] /Encoding << /Type /Encoding "
				     "/Differences [49 /nine] >> >>" };
	size_t nd;
	enum crypto_verdict v = certified_then(&parts, nums, objs, 1, &nd);

	ck_assert_msg(v == CRYPTO_VERDICT_INVALID && nd > 0,
		      "the page now says \"Pay 900 EUR\": verdict %s, %zu disallowed changes",
		      crypto_verdict_name(v), nd);
}
END_TEST

START_TEST(p3_annotation_doubling_as_graphics_state_rewritten_is_not_valid)
{
	static const char annot[] = "<< /Type /Annot /Subtype /Text /Rect [10 10 30 30] "
				    "/Contents (ok) /ca %d /P 3 0 R >>";
	char a1[128], a0[128];
	struct vc_parts parts = {
		.page = P3_PAGE("<< /Font << /F1 " HELV " >> >> /ExtGState << /GS1 5 0 R >> >>",
				"5 0 R"),
		.content = "q /GS1 gs BT /F1 12 Tf 72 700 Td (Pay 100 EUR) Tj ET Q",
		.obj5 = a1
	};
	int nums[1] = { 5 };
	const char *objs[1] = { a0 };
	size_t nd;
	enum crypto_verdict v;

	snprintf(a1, sizeof(a1), annot, 1);
	snprintf(a0, sizeof(a0), annot, 0);
	v = certified_then(&parts, nums, objs, 1, &nd);
	ck_assert_msg(v == CRYPTO_VERDICT_INVALID && nd > 0,
		      "the page's text is painted transparent: verdict %s, %zu disallowed changes",
		      crypto_verdict_name(v), nd);
}
END_TEST

/*
 * Control: a comment with its popup (whose /Parent names it), then a reply
 * added (/IRT names it), the comment edited, its popup opened (Acrobat saves
 * /Open): what P=3 permits, however many annotations point at the comment.
 */
START_TEST(p3_comment_with_popup_and_reply_edited_stays_valid)
{
	struct vc_parts parts = {
		.page = P3_PAGE("<< /Font << /F1 " HELV " >> >> >>", "5 0 R 8 0 R"),
		.obj5 = "<< /Type /Annot /Subtype /Text /Rect [10 10 30 30] /Contents (ok) "
			"/Popup 8 0 R /P 3 0 R >>",
		.obj8 = "<< /Type /Annot /Subtype /Popup /Rect [30 30 200 100] /Parent 5 0 R "
			"/P 3 0 R >>",
	};
	int nums[4] = { 9, 3, 5, 8 };
	const char *objs[4] = {
		"<< /Type /Annot /Subtype /Text /Rect [10 40 30 60] /Contents (agreed) /IRT 5 0 R "
		"/P 3 0 R >>",
		P3_PAGE("<< /Font << /F1 " HELV " >> >> >>", "5 0 R 8 0 R 9 0 R"),
		"<< /Type /Annot /Subtype /Text /Rect [10 10 30 30] /Contents (ok, paid) "
		"/Popup 8 0 R /P 3 0 R >>",
		"<< /Type /Annot /Subtype /Popup /Rect [30 30 200 100] /Parent 5 0 R /Open true "
		"/P 3 0 R >>",
	};
	size_t nd;
	enum crypto_verdict v = certified_then(&parts, nums, objs, 4, &nd);

	ck_assert_msg(v == CRYPTO_VERDICT_VALID_ALLOWED_CHANGES && nd == 0,
		      "a comment edited: verdict %s, %zu disallowed changes",
		      crypto_verdict_name(v), nd);
}
END_TEST

/*
 * A tagged PDF (ISO 32000-2 §14.7): its structure tree names each
 * annotation once more, through an object reference (/OBJR) in the
 * annotation's structure element, as Acrobat and LibreOffice tag comments
 * and fields. That tags the comment and draws nothing with it: edited under
 * P=3, it is what P=3 permits. The page's graphics state stays a use.
 */
#define TAGGED_CATALOG "/MarkInfo << /Marked true >> /StructTreeRoot 8 0 R"
#define TAGGED_ROOT \
	"<< /Type /StructTreeRoot /K 9 0 R /ParentTree << /Nums [1 9 0 R] >> " \
	"/ParentTreeNextKey 2 >>"
#define TAGGED_ELEM \
	"<< /Type /StructElem /S /Annot /P 8 0 R /Pg 3 0 R /K << /Type /OBJR /Obj 5 0 R " \
	"/Pg 3 0 R >> >>"
#define TAGGED_NOTE \
	"<< /Type /Annot /Subtype /Text /Rect [10 10 30 30] /Contents (%s) /ca %d " \
	"/StructParent 1 /P 3 0 R >>"

/*
 * The tagged comment (its /Contents and /ca: before, then after) on a page of
 * resources res drawing content (NULL: the corpus's), certified with P=3 and
 * rewritten in one update.
 */
static enum crypto_verdict
tagged_then(const char *res, const char *content, const char *text0, int ca0, const char *text1,
	    int ca1, size_t *nd)
{
	char a0[160], a1[160], page[256];
	struct vc_parts parts = { .page = page,
				  .content = content,
				  .obj5 = a0,
				  .obj8 = TAGGED_ROOT,
				  .obj9 = TAGGED_ELEM,
				  .catalog = TAGGED_CATALOG };
	int nums[1] = { 5 };
	const char *objs[1] = { a1 };

	snprintf(page, sizeof(page), P3_PAGE("%s", "5 0 R"), res);
	snprintf(a0, sizeof(a0), TAGGED_NOTE, text0, ca0);
	snprintf(a1, sizeof(a1), TAGGED_NOTE, text1, ca1);
	return certified_then(&parts, nums, objs, 1, nd);
}

START_TEST(p3_tagged_comment_edited_stays_valid)
{
	size_t nd;
	enum crypto_verdict v =
		tagged_then("<< /Font << /F1 " HELV " >> >> >>", NULL, "ok", 1, "ok, paid", 1, &nd);

	ck_assert_msg(v == CRYPTO_VERDICT_VALID_ALLOWED_CHANGES && nd == 0,
		      "a tagged comment edited: verdict %s, %zu disallowed changes",
		      crypto_verdict_name(v), nd);
}
END_TEST

START_TEST(p3_tagged_comment_doubling_as_graphics_state_rewritten_is_not_valid)
{
	size_t nd;
	enum crypto_verdict v =
		tagged_then("<< /Font << /F1 " HELV " >> >> /ExtGState << /GS1 5 0 R >> >>",
			    "q /GS1 gs BT /F1 12 Tf 72 700 Td (Pay 100 EUR) Tj ET Q", "ok", 1, "ok",
			    0, &nd);

	ck_assert_msg(v == CRYPTO_VERDICT_INVALID && nd > 0,
		      "the page's text is painted transparent: verdict %s, %zu disallowed changes",
		      crypto_verdict_name(v), nd);
}
END_TEST

/*
 * A comment added to the tagged document under P=3 as Acrobat adds it: the
 * new annotation (10, /StructParent 2) in the page's /Annots, its own
 * structure element (11, an /Annot whose object reference names it) added
 * to the root's /K, keyed 2 in the /ParentTree, /ParentTreeNextKey raised
 * to 3. elem11: that element (NULL: the one described); root8: the root
 * (NULL: the one described); elem9: element 9 rewritten too (NULL: kept).
 */
#define TAGGED_ROOT_ADDED \
	"<< /Type /StructTreeRoot /K [9 0 R 11 0 R] /ParentTree << /Nums [1 9 0 R 2 11 0 R] >> " \
	"/ParentTreeNextKey 3 >>"
#define TAGGED_ELEM_ADDED \
	"<< /Type /StructElem /S /Annot /P 8 0 R /Pg 3 0 R /K << /Type /OBJR /Obj 10 0 R " \
	"/Pg 3 0 R >> >>"

static enum crypto_verdict
tagged_added(int p, const char *annot10, const char *elem11, const char *root8, const char *elem9,
	     size_t *nd)
{
	char a1[160];
	struct vc_parts parts = { .page = P3_PAGE("<< /Font << /F1 " HELV " >> >> >>", "5 0 R"),
				  .obj5 = a1,
				  .obj8 = TAGGED_ROOT,
				  .obj9 = TAGGED_ELEM,
				  .catalog = TAGGED_CATALOG };
	int nums[6] = { 10, 11, 3, 8, 1, 0 };
	const char *objs[6] = {
		annot10,
		elem11 ? elem11 : TAGGED_ELEM_ADDED,
		P3_PAGE("<< /Font << /F1 " HELV " >> >> >>", "5 0 R 10 0 R"),
		root8 ? root8 : TAGGED_ROOT_ADDED,
		/* a signature field is a field of the form too */
		"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [6 0 R 10 0 R] /SigFlags 3 "
		">> " TAGGED_CATALOG " >>",
		NULL,
	};
	size_t n, m, k = p == 3 ? 4 : 5;
	unsigned char *d, *u;
	enum crypto_verdict v;

	if (elem9) {
		nums[k] = 9;
		objs[k++] = elem9;
	}
	snprintf(a1, sizeof(a1), TAGGED_NOTE, "ok", 1);
	d = vc_certified_parts(p, &parts, &n);
	ck_assert_int_eq(verdict_of(d, n, nd), CRYPTO_VERDICT_VALID);
	/* one update, as Acrobat saves one */
	u = vc_update(d, n, nums, objs, k, 0, NULL, &m);
	v = verdict_of(u, m, nd);
	free(u);
	free(d);
	return v;
}

/* The comment tagged_added() adds under P=3. */
#define TAGGED_COMMENT \
	"<< /Type /Annot /Subtype /Text /Rect [10 40 30 60] /Contents (agreed) " \
	"/StructParent 2 /P 3 0 R >>"

START_TEST(p3_tagged_comment_added_stays_valid)
{
	size_t nd;
	enum crypto_verdict v = tagged_added(3, TAGGED_COMMENT, NULL, NULL, NULL, &nd);

	ck_assert_msg(v == CRYPTO_VERDICT_VALID_ALLOWED_CHANGES && nd == 0,
		      "a comment added and tagged: verdict %s, %zu disallowed changes",
		      crypto_verdict_name(v), nd);
}
END_TEST

/*
 * What tags may not do in that update: an old element's text for readers
 * and copying changed (/ActualText, "Pay 900 EUR"); the new element claiming
 * the page's marked content instead of the comment; the root's role map
 * changed; the /ParentTree's old key moved to the new element.
 */
START_TEST(p3_tagged_changes_beyond_tags_are_not_valid)
{
	static const struct {
		const char *elem11, *root8, *elem9;
	} c[] = {
		{ NULL, NULL,
		  "<< /Type /StructElem /S /Annot /P 8 0 R /Pg 3 0 R /ActualText (Pay 900 EUR) "
		  "/K << /Type /OBJR /Obj 5 0 R /Pg 3 0 R >> >>" },
		{ "<< /Type /StructElem /S /P /P 8 0 R /Pg 3 0 R /ActualText (Pay 900 EUR) /K 0 >>",
		  NULL, NULL },
		{ NULL,
		  "<< /Type /StructTreeRoot /K [9 0 R 11 0 R] /RoleMap << /Annot /Figure >> "
		  "/ParentTree << /Nums [1 9 0 R 2 11 0 R] >> /ParentTreeNextKey 3 >>",
		  NULL },
		{ NULL,
		  "<< /Type /StructTreeRoot /K [9 0 R 11 0 R] /ParentTree << /Nums [1 11 0 R] >> "
		  "/ParentTreeNextKey 3 >>",
		  NULL },
	};
	size_t nd;
	enum crypto_verdict v =
		tagged_added(3, TAGGED_COMMENT, c[_i].elem11, c[_i].root8, c[_i].elem9, &nd);

	ck_assert_msg(v == CRYPTO_VERDICT_INVALID && nd > 0,
		      "case %d: verdict %s, %zu disallowed changes", _i, crypto_verdict_name(v),
		      nd);
}
END_TEST

/*
 * Under an approval signature, a later signer's tool adds its empty
 * signature field to the tagged document and tags it as Acrobat does (a
 * /Form element whose object reference names the widget): the signature
 * fields a later signer may add, tagged.
 */
START_TEST(approval_tagged_signature_field_added_stays_valid)
{
	size_t nd;
	enum crypto_verdict v =
		tagged_added(0,
			     "<< /Type /Annot /Subtype /Widget /FT /Sig /T (Second) /F 132 "
			     "/Rect [0 0 0 0] /StructParent 2 /P 3 0 R >>",
			     "<< /Type /StructElem /S /Form /P 8 0 R /Pg 3 0 R /K << /Type /OBJR "
			     "/Obj 10 0 R /Pg 3 0 R >> >>",
			     NULL, NULL, &nd);

	ck_assert_msg(v == CRYPTO_VERDICT_VALID_ALLOWED_CHANGES && nd == 0,
		      "a signature field added and tagged: verdict %s, %zu disallowed changes",
		      crypto_verdict_name(v), nd);
}
END_TEST

/*
 * The new element a later signer's tool adds to tag its signature field may
 * carry text readers take for the document's (review48): /ActualText
 * (ISO 32000-2 §14.9.4: the text that replaces the element's content when
 * text is extracted or read aloud) and /E (§14.9.5, an abbreviation's
 * expansion). A signature field needs neither, so "Pay 900 EUR" must not
 * enter the tree, read out to a screen reader's user, as an allowed
 * addition under an approval signature. _i 0 /ActualText, 1 /E.
 */
static enum crypto_verdict
tagged_field_with(const char *key, size_t *nd)
{
	char elem[256];

	snprintf(elem, sizeof(elem),
		 "<< /Type /StructElem /S /Form /P 8 0 R /Pg 3 0 R %s (Pay 900 EUR) /K << /Type "
		 "/OBJR /Obj 10 0 R /Pg 3 0 R >> >>",
		 key);
	return tagged_added(0,
			    "<< /Type /Annot /Subtype /Widget /FT /Sig /T (Second) /F 132 "
			    "/Rect [0 0 0 0] /StructParent 2 /P 3 0 R >>",
			    elem, NULL, NULL, nd);
}

START_TEST(approval_tagged_signature_field_with_text_is_not_valid)
{
	static const char *const key[] = { "/ActualText", "/E" };
	size_t nd;
	enum crypto_verdict v = tagged_field_with(key[_i], &nd);

	ck_assert_msg(v == CRYPTO_VERDICT_INVALID && nd > 0,
		      "case %d: a signature field's tag carrying %s (Pay 900 EUR): verdict %s, "
		      "%zu disallowed changes",
		      _i, key[_i], crypto_verdict_name(v), nd);
}
END_TEST

/*
 * /Alt describes the element (§14.9.3): PDF/UA (ISO 14289-1 §7.18.4) asks
 * a form field for a /TU or its tag's /Alt, so a tool that tags the field it
 * adds writes one. It says no more than the widget's own /TU, which the
 * field's addition allows.
 */
START_TEST(approval_tagged_signature_field_described_stays_valid)
{
	size_t nd;
	enum crypto_verdict v = tagged_field_with("/Alt", &nd);

	ck_assert_msg(v == CRYPTO_VERDICT_VALID_ALLOWED_CHANGES && nd == 0,
		      "a signature field's tag with /Alt: verdict %s, %zu disallowed changes",
		      crypto_verdict_name(v), nd);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("verify_shadow");
	TCase *tc = test_tcase(s, "dss_shadow", setup, teardown, 0, 120);

	tcase_add_test(tc, a_genuine_dss_update_stays_valid);
	tcase_add_test(tc, an_update_of_no_objects_stays_valid);
	tcase_add_test(tc, content_stream_typed_dss_rewritten_is_not_valid);
	tcase_add_loop_test(tc, content_stream_typed_structure_rewritten_is_not_valid, 0, 2);
	tcase_add_test(tc, dss_doubling_as_resources_rewritten_is_not_valid);
	tcase_add_test(tc, uploaded_content_stream_typed_dss_rewritten_is_not_valid);
	tcase_add_test(tc, genuine_info_and_metadata_updates_stay_valid);
	tcase_add_test(tc, metadata_doubling_as_contents_rewritten_is_not_valid);
	tcase_add_test(tc, info_doubling_as_resources_rewritten_is_not_valid);
	tcase_add_test(tc, metadata_moved_onto_contents_is_not_valid);
	tcase_add_test(tc, info_moved_onto_resources_is_not_valid);
	tcase_add_test(tc, annotation_doubling_as_graphics_state_rewritten_is_not_valid);
	tcase_add_loop_test(
		tc, a_reference_the_signed_page_made_filled_while_the_page_is_relisted_is_not_valid,
		0, 3);
	tcase_add_test(tc, p3_font_doubling_as_annotation_rewritten_is_not_valid);
	tcase_add_test(tc, p3_annotation_doubling_as_graphics_state_rewritten_is_not_valid);
	tcase_add_test(tc, p3_comment_with_popup_and_reply_edited_stays_valid);
	tcase_add_test(tc, p3_tagged_comment_edited_stays_valid);
	tcase_add_test(tc, p3_tagged_comment_added_stays_valid);
	tcase_add_test(tc, approval_tagged_signature_field_added_stays_valid);
	tcase_add_loop_test(tc, approval_tagged_signature_field_with_text_is_not_valid, 0, 2);
	tcase_add_test(tc, approval_tagged_signature_field_described_stays_valid);
	tcase_add_loop_test(tc, p3_tagged_changes_beyond_tags_are_not_valid, 0, 4);
	tcase_add_test(tc, p3_tagged_comment_doubling_as_graphics_state_rewritten_is_not_valid);
	return test_suite_run(s);
}
