/*
 * test_crypto_verify_uncounted_refs.c: references of the signed revision
 * that the difference analysis does not count (pdf/diff_refs.c,
 * diff_refs_walk; review46). Its counts decide whether a role object (/Info,
 * /Metadata, /DSS) or a comment an update changed is also used otherwise
 * (then the change is the page's too), and whether a new object fills a
 * reference the signed revision already made (the shadow "hide" attack).
 *
 * 1. Weak links (stop 43). A reply's /IRT, a markup annotation's /Popup and
 *    a popup's /Parent are no use of what they name (link_weak), so that a
 *    comment with its popup and replies stays one a later update may edit.
 *    link_weak judges the key alone, though (/Parent only asks the
 *    dictionary's /Subtype): any dictionary's value under /IRT or /Popup is
 *    left uncounted, and a page's resource dictionaries map names the
 *    document's author picks. The uploader names the page's graphics state
 *    /Popup or /IRT, its content says "/Popup gs": the page draws with the
 *    object, and the analysis never counts that use.
 *    - a comment that is also the page's ExtGState, under a DocMDP P=3
 *      certification (stop 43's own attack, the resource renamed): /ca 0
 *      makes the text vanish;
 *    - the trailer's /Info that is also the page's ExtGState, under a plain
 *      approval signature: rewritten "as /Info", the same.
 * 2. Dangling references held in a dictionary (older than stop 43). qpdf
 *    leaves a dictionary's null values out of its keys, and a reference to
 *    an object the file does not have reads as null: the walk never sees
 *    /XObject << /X1 99 0 R >> when object 99 is missing, so a later update
 *    that defines object 99 "fills no reference". The page draws it then.
 *    (test_verify's shadow_hide_overlay holds its dangling reference in an
 *    array, /Contents [4 0 R 99 0 R], which the walk sees.)
 *
 * Each is signed through the real path (with a timestamp), then changed by
 * one unsigned update; the signature must not come out valid. Each comes
 * out valid_with_allowed_changes, 0 disallowed changes, on a3db6f9; case 0
 * of each loop is the control (a resource named /GS1, or the dangling
 * reference in an array), which is invalid there.
 */
#include <check.h>

#include "support_suite.h"
#include "test_verify_corpus.h"

VC_TRUST_FIXTURE

#define WHITE "1 1 1 rg 0 0 612 792 re f"

/* The verdict of the one signature of d[0..n), and its disallowed changes. */
static enum crypto_verdict
verdict_of(const unsigned char *d, size_t n, size_t *ndisallowed)
{
	struct crypto_verify_report *r = vc_verify(trust, d, n);
	enum crypto_verdict v;

	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(r->nsigs, 1);
	v = r->sigs[0].verdict;
	*ndisallowed = r->sigs[0].ndisallowed;
	/* what the verifier said, for the failure's reader */
	if (v != CRYPTO_VERDICT_VALID) {
		size_t i;
		fprintf(stderr, "  %s (%s): %s\n", crypto_verdict_name(v),
			r->sigs[0].nreasons ? r->sigs[0].reasons[0] : "", r->sigs[0].message);
		for (i = 0; i < r->sigs[0].nchanges; i++)
			fprintf(stderr, "    change: object %d, %s: %s\n",
				r->sigs[0].changes[i].obj,
				r->sigs[0].changes[i].allowed ? "allowed" : "disallowed",
				r->sigs[0].changes[i].what);
	}
	crypto_verify_report_free(r);
	return v;
}

/*
 * With R46_DUMP=PREFIX in the environment, the tampered file is also written
 * to PREFIX-N.pdf (N counts up), to be looked at with other readers: each
 * shows "Pay 100 EUR" in the signed revision and not after the update.
 */
static void
dump(const unsigned char *d, size_t n)
{
	static int seq;
	const char *pre = getenv("R46_DUMP");
	char path[512];
	FILE *f;

	if (pre == NULL)
		return;
	snprintf(path, sizeof(path), "%s-%d.pdf", pre, seq++);
	ck_assert_ptr_nonnull(f = fopen(path, "wb"));
	ck_assert_uint_eq(fwrite(d, 1, n, f), n);
	fclose(f);
}

/*
 * A one-page contract: catalog 1, pages 2, page 3 (its /Contents contents,
 * its /Resources res), content 4 (content), font 5, and objs 6.. (nextra);
 * trailer text trailer_extra. Signed by rsa with a timestamp (checked
 * valid), then the update nums/upd (k objects). The verdict, and the
 * disallowed changes into *nd.
 */
static unsigned char *
signed_contents(const char *contents, const char *res, const char *content,
		const char *const *extra, int nextra, const char *trailer_extra, size_t *nd,
		size_t *outn)
{
	char c3[512], c4[512];
	const char *objs[12];
	size_t bn, n;
	unsigned char *b, *d, *t;
	int i;

	snprintf(c3, sizeof(c3),
		 "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents %s "
		 "/Resources %s >>",
		 contents, res);
	snprintf(c4, sizeof(c4), "<< /Length %zu >>\nstream\n%s\nendstream", strlen(content) + 1,
		 content);
	objs[0] = "<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [] >> >>";
	objs[1] = "<< /Type /Pages /Kids [3 0 R] /Count 1 >>";
	objs[2] = c3;
	objs[3] = c4;
	objs[4] = "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>";
	for (i = 0; i < nextra; i++)
		objs[5 + i] = extra[i];
	b = make_pdf_objs(objs, 5 + nextra, &bn);
	if (trailer_extra) {
		/* into the trailer (after the xref table: no offset moves) */
		size_t el = strlen(trailer_extra);
		ck_assert_ptr_nonnull(t = realloc(b, bn + el));
		b = t;
		t = memmem(b, bn, "/Root 1 0 R", 11);
		ck_assert_ptr_nonnull(t);
		t += 11;
		memmove(t + el, t, bn - (size_t)(t - b));
		memcpy(t, trailer_extra, el);
		bn += el;
	}
	d = vc_sign(b, bn, "rsa", 1, 0, &n);
	free(b);
	ck_assert_int_eq(verdict_of(d, n, nd), CRYPTO_VERDICT_VALID);
	*outn = n;
	return d;
}

static enum crypto_verdict
signed_then_updated_contents(const char *contents, const char *res, const char *content,
			     const char *const *extra, int nextra, const char *trailer_extra,
			     const int *nums, const char *const *upd, size_t k, size_t *nd)
{
	size_t n, m;
	unsigned char *d, *u;
	enum crypto_verdict v;

	d = signed_contents(contents, res, content, extra, nextra, trailer_extra, nd, &n);
	u = vc_update(d, n, nums, upd, k, 0, NULL, &m);
	dump(u, m);
	free(d);
	v = verdict_of(u, m, nd);
	free(u);
	return v;
}

#define TEXT "BT /F1 12 Tf 72 700 Td (Pay 100 EUR) Tj ET"
#define ANNOT \
	"<< /Type /Annot /Subtype /Text /Rect [10 10 30 30] /Contents (ok) /ca %d " \
	"/P 3 0 R >>"

/*
 * Under a DocMDP P=3 certification (vc_certified_parts: the certification's
 * widget is object 6, object 5 ours): a comment (object 5, on the page) that
 * the page also draws with as its graphics state, named as _i says (0 /GS1,
 * the control stop 43 added; 1 /Popup; 2 /IRT). An update sets its /ca to 0,
 * which makes "Pay 100 EUR" vanish.
 */
START_TEST(p3_annotation_as_graphics_state_named_as_a_link)
{
	static const char *const names[] = { "/GS1", "/Popup", "/IRT" };
	char page[512], content[256], a1[128], a0[128];
	struct vc_parts parts = { .page = page, .content = content, .obj5 = a1 };
	const char *upd[1] = { a0 };
	size_t n, m, nd;
	unsigned char *d, *u;
	enum crypto_verdict v;
	int nums[1] = { 5 };

	snprintf(page, sizeof(page),
		 "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
		 "/Resources << /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica "
		 ">> >> /ExtGState << %s 5 0 R >> >> /Annots [6 0 R 5 0 R] >>",
		 names[_i]);
	snprintf(content, sizeof(content), "q %s gs " TEXT " Q", names[_i]);
	snprintf(a1, sizeof(a1), ANNOT, 1);
	snprintf(a0, sizeof(a0), ANNOT, 0);
	d = vc_certified_parts(3, &parts, &n);
	ck_assert_int_eq(verdict_of(d, n, &nd), CRYPTO_VERDICT_VALID);
	u = vc_update(d, n, nums, upd, 1, 0, NULL, &m);
	free(d);
	dump(u, m);
	v = verdict_of(u, m, &nd);
	free(u);
	ck_assert_msg(v == CRYPTO_VERDICT_INVALID && nd > 0,
		      "graphics state named %s, the page's text painted transparent: verdict %s, "
		      "%zu disallowed changes",
		      names[_i], crypto_verdict_name(v), nd);
}
END_TEST

/*
 * The trailer's /Info (object 6) the page also draws with as its graphics
 * state, named as _i says: rewritten "as /Info" with /ca 0.
 */
START_TEST(info_as_graphics_state_named_as_a_link)
{
	static const char *const names[] = { "/GS1", "/Popup", "/IRT" };
	char res[256], content[256];
	const char *extra[1] = { "<< /Title (Contract) /ca 1 >>" };
	int nums[1] = { 6 };
	const char *upd[1] = { "<< /Title (Contract) /ca 0 >>" };
	size_t nd;
	enum crypto_verdict v;

	snprintf(res, sizeof(res), "<< /Font << /F1 5 0 R >> /ExtGState << %s 6 0 R >> >>",
		 names[_i]);
	snprintf(content, sizeof(content), "q %s gs " TEXT " Q", names[_i]);
	v = signed_then_updated_contents("4 0 R", res, content, extra, 1, " /Info 6 0 R", nums, upd,
					 1, &nd);
	ck_assert_msg(v == CRYPTO_VERDICT_INVALID && nd > 0,
		      "/Info as graphics state named %s, the page's text painted transparent: "
		      "verdict %s, %zu disallowed changes",
		      names[_i], crypto_verdict_name(v), nd);
}
END_TEST

/*
 * The page draws an object 99 that the signed revision does not have: _i 0
 * as a second content stream (/Contents [4 0 R 99 0 R], the control), 1 as
 * its XObject /X1, 2 as its graphics state /GS1. A later update defines
 * object 99: a form (a content stream) that paints the page white, or a
 * graphics state whose fill is transparent.
 */
START_TEST(dangling_reference_filled)
{
	char res[256], content[256], obj[256];
	int nums[1] = { 99 };
	const char *upd[1] = { obj }, *contents = "4 0 R", *extra[1] = { res };
	size_t nd;
	enum crypto_verdict v;

	snprintf(obj, sizeof(obj),
		 "<< /Type /XObject /Subtype /Form /BBox [0 0 612 792] /Length %zu >>\nstream\n%s\n"
		 "endstream",
		 strlen(WHITE) + 1, WHITE);
	snprintf(content, sizeof(content), "%s", TEXT);
	snprintf(res, sizeof(res), "<< /Font << /F1 5 0 R >> >>");
	switch (_i) {
	case 0:
		contents = "[4 0 R 99 0 R]";
		break;
	case 1:
		snprintf(res, sizeof(res), "<< /Font << /F1 5 0 R >> /XObject << /X1 99 0 R >> >>");
		snprintf(content, sizeof(content), TEXT " q /X1 Do Q");
		break;
	default:
		snprintf(res, sizeof(res),
			 "<< /Font << /F1 5 0 R >> /ExtGState << /GS1 99 0 R >> >>");
		snprintf(content, sizeof(content), "q /GS1 gs " TEXT " Q");
		snprintf(obj, sizeof(obj), "<< /Type /ExtGState /ca 0 >>");
		break;
	}
	/* the page's resources an object of their own (6), which the signature's update
	   (it rewrites the page, for its widget) keeps as they are */
	v = signed_then_updated_contents(contents, "6 0 R", content, extra, 1, NULL, nums, upd, 1,
					 &nd);
	ck_assert_msg(v == CRYPTO_VERDICT_INVALID && nd > 0,
		      "a missing object 99 (case %d) filled: verdict %s, %zu disallowed changes",
		      _i, crypto_verdict_name(v), nd);
}
END_TEST

/*
 * review47: the same dangling reference (/XObject << /X1 99 0 R >>, object
 * 99 missing) filled by an update whose objects also name object 99
 * themselves: orphans_named (88b549e) asks only of a new object that
 * nothing walked names, and the update's own objects are walked into refs
 * first. _i 0: object 99, the form the page draws, names itself in its own
 * /Resources (never drawn so); 1: another new object, an orphan, is the
 * array [99 0 R]; 2: the update's trailer has a key /X 99 0 R (read into
 * refs by the trailer's walk). Each way the page then draws object 99's
 * white box over "Pay 100 EUR", and the update must not be an allowed change.
 */
START_TEST(dangling_reference_filled_and_named_by_the_update)
{
	char res[256], content[256], obj[512];
	int nums[2] = { 99, 100 };
	const char *upd[2] = { obj, "[99 0 R]" }, *extra[1] = { res };
	size_t nd;
	enum crypto_verdict v;

	snprintf(obj, sizeof(obj),
		 "<< /Type /XObject /Subtype /Form /BBox [0 0 612 792]%s /Length %zu >>\n"
		 "stream\n%s\nendstream",
		 _i == 0 ? " /Resources << /XObject << /Me 99 0 R >> >>" : "", strlen(WHITE) + 1,
		 WHITE);
	snprintf(res, sizeof(res), "<< /Font << /F1 5 0 R >> /XObject << /X1 99 0 R >> >>");
	snprintf(content, sizeof(content), TEXT " q /X1 Do Q");
	if (_i < 2) {
		v = signed_then_updated_contents("4 0 R", "6 0 R", content, extra, 1, NULL, nums,
						 upd, _i == 0 ? 1 : 2, &nd);
	} else {
		size_t n, m;
		unsigned char *d = signed_contents("4 0 R", "6 0 R", content, extra, 1, NULL, &nd,
						   &n),
			      *u = vc_update(d, n, nums, upd, 1, 0, "/X 99 0 R ", &m);

		free(d);
		v = verdict_of(u, m, &nd);
		free(u);
	}
	ck_assert_msg(v == CRYPTO_VERDICT_INVALID && nd > 0,
		      "a missing object 99 filled, and named by the update (case %d): verdict %s, "
		      "%zu disallowed changes",
		      _i, crypto_verdict_name(v), nd);
}
END_TEST

/*
 * review47: the same dangling reference filled by the update's own
 * cross-reference stream. An update may end in an xref stream instead of a
 * table; pdf_revision_diff_dss skips that object (self) in classify() and
 * orphans_named skips it too, so nothing asks whether the signed revision
 * referred to it. Object 99 is the update's xref stream, whose dictionary
 * also says /Subtype /Image /ImageMask true /Width 1 /Height 1: the page's
 * "q 1 g 612 0 0 792 0 0 cm /X1 Do Q" (nothing drawn in the signed
 * revision, object 99 missing) paints its first bit, 0 (the entry's type
 * byte), white over the whole page: "Pay 100 EUR" vanishes (_i 0). _i 1,
 * the reference held in an array (/Contents [4 0 R 99 0 R], which the walk
 * sees and classify() checks for any other new object: the control of
 * dangling_reference_filled) is not checked for the xref stream either.
 */
START_TEST(dangling_reference_filled_by_the_xref_stream)
{
	char res[256], content[256], dict[512];
	const char *extra[1] = { res };
	struct pdf_doc *doc = NULL;
	struct pdf_doc_info info;
	struct sp_errinfo ei;
	unsigned char *d, *u, entry[6];
	size_t n, m, at, dl;
	long long size;
	enum crypto_verdict v;

	snprintf(res, sizeof(res), "<< /Font << /F1 5 0 R >> /XObject << /X1 99 0 R >> >>");
	snprintf(content, sizeof(content), TEXT " q 1 g 612 0 0 792 0 0 cm /X1 Do Q");
	if (_i == 1) {
		snprintf(res, sizeof(res), "<< /Font << /F1 5 0 R >> >>");
		snprintf(content, sizeof(content), "%s", TEXT);
	}
	d = signed_contents(_i == 1 ? "[4 0 R 99 0 R]" : "4 0 R", "6 0 R", content, extra, 1, NULL,
			    &m, &n);
	sp_errinfo_init(&ei);
	ck_assert_int_eq(pdf_doc_open(d, n, &doc, &ei), SP_OK);
	pdf_doc_info_get(doc, &info);
	pdf_doc_free(doc);
	size = info.size > 100 ? info.size : 100;
	at = n; /* "99 0 obj" starts the update */
	entry[0] = 1;
	entry[1] = (unsigned char)(at >> 24);
	entry[2] = (unsigned char)(at >> 16);
	entry[3] = (unsigned char)(at >> 8);
	entry[4] = (unsigned char)at;
	entry[5] = 0;
	dl = (size_t)snprintf(dict, sizeof(dict),
			      "99 0 obj\n<< /Type /XRef /Size %lld /W [1 4 1] /Index [99 1] "
			      "/Root %d 0 R /Prev %lld /Subtype /Image /ImageMask true /Width 1 "
			      "/Height 1 /BitsPerComponent 1 /Length 6 >>\nstream\n",
			      size, info.root_obj, info.startxref);
	ck_assert_ptr_nonnull(u = malloc(n + dl + 128));
	memcpy(u, d, n);
	memcpy(u + n, dict, dl);
	memcpy(u + n + dl, entry, 6);
	m = n + dl + 6;
	m += (size_t)sprintf((char *)u + m, "\nendstream\nendobj\nstartxref\n%zu\n%%%%EOF\n", at);
	free(d);
	dump(u, m);
	v = verdict_of(u, m, &n);
	free(u);
	ck_assert_msg(v == CRYPTO_VERDICT_INVALID && n > 0,
		      "a missing object 99 filled by the update's xref stream (case %d): verdict "
		      "%s, %zu disallowed changes",
		      _i, crypto_verdict_name(v), n);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("verify_uncounted_refs");
	TCase *tc = test_tcase(s, "uncounted_refs", setup, teardown, 0, 120);

	tcase_add_loop_test(tc, p3_annotation_as_graphics_state_named_as_a_link, 0, 3);
	tcase_add_loop_test(tc, info_as_graphics_state_named_as_a_link, 0, 3);
	tcase_add_loop_test(tc, dangling_reference_filled, 0, 3);
	tcase_add_loop_test(tc, dangling_reference_filled_and_named_by_the_update, 0, 3);
	tcase_add_loop_test(tc, dangling_reference_filled_by_the_xref_stream, 0, 2);
	return test_suite_run(s);
}
