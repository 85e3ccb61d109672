/*
 * test_verify_shadow_info.c: what an update may change besides signatures,
 * made content by the uploader: the trailer's /Info, the catalog's XMP
 * /Metadata, and a comment after an approval signature that is also the
 * page's graphics state. A part of test_verify_shadow (test_verify_shadow.h).
 */
#define TEST_PART
#include "test_verify_shadow.h"

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

void
verify_shadow_info_add(TCase *tc)
{
	tcase_add_test(tc, genuine_info_and_metadata_updates_stay_valid);
	tcase_add_test(tc, metadata_doubling_as_contents_rewritten_is_not_valid);
	tcase_add_test(tc, info_doubling_as_resources_rewritten_is_not_valid);
	tcase_add_test(tc, metadata_moved_onto_contents_is_not_valid);
	tcase_add_test(tc, info_moved_onto_resources_is_not_valid);
	tcase_add_test(tc, annotation_doubling_as_graphics_state_rewritten_is_not_valid);
	tcase_add_loop_test(
		tc, a_reference_the_signed_page_made_filled_while_the_page_is_relisted_is_not_valid,
		0, 3);
}
