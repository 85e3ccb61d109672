/*
 * test_pdf_input.c: pdf/ with inputs other than the happy path: an original
 * with its own AcroForm (direct in the catalog) and an indirect /Annots
 * array, seal PNGs of other colour types and bit depths, and parameters out
 * of range.
 */
#include <check.h>
#include <qpdf/qpdf-c.h>

#include "pdf.h"
#include "support_tmp.h"
#include "../fixtures/pdf-writer/pdfgen.h"

static const time_t T0 = 1795000000;

/* Catalog with a direct /AcroForm holding a text field that is also the
 * page's widget; the page's /Annots is an indirect array (object 5). */
static const char *const form_objs[] = {
	"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [6 0 R] /DA (/Helv 0 Tf 0 g) "
	"/NeedAppearances false >> /Lang (zh-CN) >>",
	"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
	"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Annots 5 0 R "
	"/Resources << >> >>",
	"<< /Length 0 >>\nstream\n\nendstream",
	"[6 0 R]",
	"<< /FT /Tx /T (Text1) /V (hello \\(world\\)) /Type /Annot /Subtype /Widget "
	"/Rect [10 10 100 30] /P 3 0 R /F 4 >>",
};

static unsigned char *
png_of(unsigned w, unsigned h, unsigned format, size_t *len)
{
	png_image im;
	size_t px = PNG_IMAGE_PIXEL_SIZE(format) * (size_t)w * h;
	unsigned char *buf = calloc(px ? px : 1, 1), *out, cmap[256 * 4];
	png_alloc_size_t n = 0;
	size_t i;

	for (i = 0; i < px; i++)
		buf[i] = (unsigned char)(i * 7);
	for (i = 0; i < sizeof(cmap); i++)
		cmap[i] = (unsigned char)i;
	memset(&im, 0, sizeof(im));
	im.version = PNG_IMAGE_VERSION;
	im.width = w;
	im.height = h;
	im.format = format;
	im.colormap_entries = (format & PNG_FORMAT_FLAG_COLORMAP) ? 256 : 0;
	ck_assert(png_image_write_to_memory(&im, NULL, &n, 0, buf, 0, cmap));
	out = malloc(n);
	ck_assert(png_image_write_to_memory(&im, out, &n, 0, buf, 0, cmap));
	free(buf);
	*len = n;
	return out;
}

START_TEST(existing_form_and_indirect_annots_are_kept)
{
	struct pdf_placement pl = { .mode = PDF_PLACE_NORMAL, .page = 1, .x = 300, .y = 400 };
	struct pdf_sig_params par = { .signing_time = T0, .field_name = "Text1" };
	struct pdf_sig_prepared p;
	struct pdf_doc_info info;
	struct pdf_seal s = { 0 };
	struct sp_errinfo ei;
	struct pdf_doc *doc = NULL;
	unsigned char *d, *png;
	size_t n, pn;
	qpdf_data q;
	qpdf_oh root, af, annots;
	char dir[320], path[384];

	snprintf(dir, sizeof(dir), "%s", test_tmpdir_new("pdf-input"));
	png = make_seal_png(100, &pn);
	s.png = png;
	s.png_len = pn;
	s.width_mm = 40;
	d = make_pdf_objs(form_objs, 6, &n);
	sp_errinfo_init(&ei);
	ck_assert_msg(pdf_doc_open(d, n, &doc, &ei) == SP_OK, "%s", ei.msg);
	pdf_doc_info_get(doc, &info);
	ck_assert(info.has_acroform && info.nfields == 1 && info.nsigfields == 0);
	/* The field name is taken. */
	ck_assert_int_eq(pdf_sig_prepare(doc, &par, &s, 1, &pl, 1, &p, &ei), SP_ERR_CONFLICT);
	ck_assert_ptr_nonnull(strstr(ei.msg, "Text1"));
	par.field_name = "乙方签章";
	sp_errinfo_init(&ei);
	ck_assert_msg(pdf_sig_prepare(doc, &par, &s, 1, &pl, 1, &p, &ei) == SP_OK, "%s", ei.msg);
	pdf_doc_free(doc);
	snprintf(path, sizeof(path), "%s/form.pdf", dir);
	write_file(path, p.data, p.len);
	ck_assert_int_eq(run("qpdf --check %s >/dev/null", path), 0);
	/* The indirect /Annots array got a new version with both widgets; the
	 * AcroForm kept its other keys; the catalog kept /Lang. */
	q = qpdf_init();
	qpdf_silence_errors(q);
	ck_assert_int_eq(qpdf_read_memory(q, "f", (char *)p.data, p.len, "") & QPDF_ERRORS, 0);
	annots = qpdf_oh_get_key(q, qpdf_get_page_n(q, 0), "/Annots");
	ck_assert(qpdf_oh_is_indirect(q, annots) && qpdf_oh_get_object_id(q, annots) == 5);
	ck_assert_int_eq(qpdf_oh_get_array_n_items(q, annots), 2);
	root = qpdf_get_root(q);
	ck_assert_str_eq(qpdf_oh_get_utf8_value(q, qpdf_oh_get_key(q, root, "/Lang")), "zh-CN");
	af = qpdf_oh_get_key(q, root, "/AcroForm");
	ck_assert_str_eq(qpdf_oh_get_utf8_value(q, qpdf_oh_get_key(q, af, "/DA")),
			 "/Helv 0 Tf 0 g");
	ck_assert_int_eq(qpdf_oh_get_array_n_items(q, qpdf_oh_get_key(q, af, "/Fields")), 2);
	ck_assert_int_eq(qpdf_oh_get_int_value(q, qpdf_oh_get_key(q, af, "/SigFlags")), 3);
	ck_assert(qpdf_oh_is_bool(q, qpdf_oh_get_key(q, af, "/NeedAppearances")));
	ck_assert_str_eq(qpdf_oh_get_utf8_value(
				 q,
				 qpdf_oh_get_key(q,
						 qpdf_oh_get_array_item(q,
									qpdf_oh_get_key(q, af,
											"/Fields"),
									0),
						 "/V")),
			 "hello (world)");
	ck_assert_str_eq(qpdf_oh_get_utf8_value(
				 q,
				 qpdf_oh_get_key(q,
						 qpdf_oh_get_array_item(q,
									qpdf_oh_get_key(q, af,
											"/Fields"),
									1),
						 "/T")),
			 "乙方签章");
	qpdf_cleanup(&q);
	/* The result opens again and knows its signature field. */
	ck_assert_int_eq(pdf_doc_open(p.data, p.len, &doc, &ei), SP_OK);
	pdf_doc_info_get(doc, &info);
	ck_assert(info.nfields == 2 && info.nsigfields == 1);
	pdf_doc_free(doc);
	pdf_sig_prepared_cleanup(&p);
	run("rm -rf %s", dir);
	free(png);
	free(d);
}
END_TEST

/* Two pages sharing one indirect /Annots array (object 6). */
static const char *const shared_objs[] = {
	"<< /Type /Catalog /Pages 2 0 R >>",
	"<< /Type /Pages /Kids [3 0 R 4 0 R] /Count 2 /MediaBox [0 0 595 842] >>",
	"<< /Type /Page /Parent 2 0 R /Contents 5 0 R /Annots 6 0 R >>",
	"<< /Type /Page /Parent 2 0 R /Contents 5 0 R /Annots 6 0 R >>",
	"<< /Length 0 >>\nstream\n\nendstream",
	"[7 0 R]",
	"<< /Type /Annot /Subtype /Square /Rect [10 10 50 50] >>",
};

START_TEST(shared_annots_array_is_not_extended)
{
	struct pdf_placement pl = { .mode = PDF_PLACE_NORMAL, .page = 1, .x = 300, .y = 400 };
	struct pdf_sig_params par = { .signing_time = T0 };
	struct pdf_sig_prepared p;
	struct pdf_seal s = { 0 };
	struct sp_errinfo ei;
	struct pdf_doc *doc = NULL;
	unsigned char *d, *png;
	size_t n, pn;
	qpdf_data q;
	qpdf_oh a1, a2;

	png = make_seal_png(64, &pn);
	s.png = png;
	s.png_len = pn;
	s.width_mm = 0;
	d = make_pdf_objs(shared_objs, 7, &n);
	sp_errinfo_init(&ei);
	ck_assert_msg(pdf_doc_open(d, n, &doc, &ei) == SP_OK, "%s", ei.msg);
	ck_assert_msg(pdf_sig_prepare(doc, &par, &s, 1, &pl, 1, &p, &ei) == SP_OK, "%s", ei.msg);
	pdf_doc_free(doc);
	q = qpdf_init();
	qpdf_silence_errors(q);
	ck_assert_int_eq(qpdf_read_memory(q, "f", (char *)p.data, p.len, "") & QPDF_ERRORS, 0);
	a1 = qpdf_oh_get_key(q, qpdf_get_page_n(q, 0), "/Annots");
	a2 = qpdf_oh_get_key(q, qpdf_get_page_n(q, 1), "/Annots");
	ck_assert_int_eq(qpdf_oh_get_array_n_items(q, a1), 2); /* its own copy + the widget */
	ck_assert_int_eq(qpdf_oh_get_array_n_items(q, a2), 1); /* page 2 unchanged */
	ck_assert(qpdf_oh_is_indirect(q, a2) && qpdf_oh_get_object_id(q, a2) == 6);
	qpdf_cleanup(&q);
	pdf_sig_prepared_cleanup(&p);
	free(png);
	free(d);
}
END_TEST

/* Field kids that share their children 30 levels deep: 2^30 paths. */
START_TEST(form_tree_with_shared_kids_is_bounded)
{
	enum { LEVELS = 30 };
	char *objs[LEVELS + 4];
	struct sp_errinfo ei;
	struct pdf_doc *doc = NULL;
	unsigned char *d;
	size_t n;
	int i;

	objs[0] = strdup("<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [5 0 R] >> >>");
	objs[1] = strdup("<< /Type /Pages /Kids [3 0 R] /Count 1 >>");
	objs[2] = strdup("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 100 100] >>");
	objs[3] = strdup("<< /Length 0 >>\nstream\n\nendstream");
	for (i = 0; i < LEVELS; i++) {
		objs[4 + i] = malloc(96);
		snprintf(objs[4 + i], 96, "<< /T (f%d) /Kids [%d 0 R %d 0 R] >>", i, 6 + i, 6 + i);
	}
	free(objs[4 + LEVELS - 1]);
	objs[4 + LEVELS - 1] = strdup("<< /T (leaf) /FT /Tx >>");
	d = make_pdf_objs((const char *const *)objs, LEVELS + 4, &n);
	sp_errinfo_init(&ei);
	ck_assert_int_eq(pdf_doc_open(d, n, &doc, &ei), SP_ERR_LIMIT);
	ck_assert_ptr_nonnull(strstr(ei.msg, "AcroForm"));
	for (i = 0; i < LEVELS + 4; i++)
		free(objs[i]);
	free(d);
}
END_TEST

START_TEST(seal_png_kinds_and_caps)
{
	static const unsigned formats[] = { PNG_FORMAT_GA,
					    PNG_FORMAT_LINEAR_Y_ALPHA,
					    PNG_FORMAT_RGB,
					    PNG_FORMAT_LINEAR_RGB_ALPHA,
					    PNG_FORMAT_RGBA_COLORMAP,
					    PNG_FORMAT_GRAY };
	struct pdf_placement pl = { .mode = PDF_PLACE_NORMAL, .page = 1, .x = 300, .y = 400 };
	struct pdf_sig_params par = { .signing_time = T0 };
	struct pdf_sig_prepared p;
	struct pdf_widget_rect *w;
	struct pdf_seal s = { 0 };
	struct sp_errinfo ei;
	struct pdf_doc *doc = NULL;
	unsigned char *d, *png;
	size_t n, pn, nw, i;
	char hdr[128];

	d = make_plain_pdf(1, &n);
	ck_assert_int_eq(pdf_doc_open(d, n, &doc, &ei), SP_OK);
	for (i = 0; i < SP_ARRAY_LEN(formats); i++) {
		png = png_of(37, 19, formats[i], &pn);
		s.png = png;
		s.png_len = pn;
		sp_errinfo_init(&ei);
		ck_assert_msg(pdf_sig_prepare(doc, &par, &s, 1, &pl, 1, &p, &ei) == SP_OK,
			      "format %u: %s", formats[i], ei.msg);
		/* Normalized to 8-bit RGB with an 8-bit alpha /SMask. */
		snprintf(hdr, sizeof(hdr),
			 "/Width 37 /Height 19 /ColorSpace /DeviceRGB "
			 "/BitsPerComponent 8");
		ck_assert_ptr_nonnull(
			memmem(p.data + p.orig_len, p.len - p.orig_len, hdr, strlen(hdr)));
		/* Height follows the image's aspect ratio. */
		ck_assert(fabs((p.rects[0].rect.y1 - p.rects[0].rect.y0) -
			       (p.rects[0].rect.x1 - p.rects[0].rect.x0) * 19 / 37) < 0.01);
		pdf_sig_prepared_cleanup(&p);
		free(png);
	}
	/* Not a PNG; a truncated PNG; an oversized PNG. */
	s.png = (const unsigned char *)"GIF89a........";
	s.png_len = 14;
	sp_errinfo_init(&ei);
	ck_assert_int_eq(pdf_placements_resolve(doc, &s, 1, &pl, 1, &w, &nw, &ei), SP_ERR_INVALID);
	png = png_of(40, 40, PNG_FORMAT_RGBA, &pn);
	s.png = png;
	s.png_len = pn - 20;
	sp_errinfo_init(&ei);
	ck_assert_int_eq(pdf_sig_prepare(doc, &par, &s, 1, &pl, 1, &p, &ei), SP_ERR_INVALID);
	ck_assert_ptr_null(p.data);
	free(png);
	png = png_of(PDF_SEAL_MAX_SIDE + 1, 1, PNG_FORMAT_GRAY, &pn);
	s.png = png;
	s.png_len = pn;
	sp_errinfo_init(&ei);
	ck_assert_int_eq(pdf_sig_prepare(doc, &par, &s, 1, &pl, 1, &p, &ei), SP_ERR_TOO_LARGE);
	free(png);
	/* A placeholder out of range. */
	png = make_seal_png(50, &pn);
	s.png = png;
	s.png_len = pn;
	par.contents_max = PDF_SIG_CONTENTS_MAX + 1;
	sp_errinfo_init(&ei);
	ck_assert_int_eq(pdf_sig_prepare(doc, &par, &s, 1, &pl, 1, &p, &ei), SP_ERR_INVALID);
	par.contents_max = 100;
	ck_assert_int_eq(pdf_sig_prepare(doc, &par, &s, 1, &pl, 1, &p, &ei), SP_ERR_INVALID);
	free(png);
	pdf_doc_free(doc);
	free(d);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("pdf_input");
	TCase *tc = tcase_create("input");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, existing_form_and_indirect_annots_are_kept);
	tcase_add_test(tc, seal_png_kinds_and_caps);
	tcase_add_test(tc, shared_annots_array_is_not_extended);
	tcase_add_test(tc, form_tree_with_shared_kids_is_bounded);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
