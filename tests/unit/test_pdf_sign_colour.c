/*
 * test_pdf_sign_colour.c: the seal in a PDF/A file is drawn in the colour
 * space the file allows: its output intent's device space, a 1-bit mask
 * instead of a soft one under PDF/A-1, an ICC-based sRGB space without an
 * output intent; judged by pdftoppm and Ghostscript. Split from
 * test_pdf_sign.c, whose helpers it shares (test_pdf_sign.h).
 */
#include "test_pdf_sign.h"

/*
 * A PDF/A file may draw only in the device space its output intent's profile
 * has (ISO 19005-2 6.2.4.3): under Ghostscript's CMYK intent (the fixture) the
 * seal picture is DeviceCMYK and the date stamp strokes in CMYK; under a grey
 * one (the same file with the profile's /N said 1) both are grey; no RGB in
 * the update either way. The picture renders red (CMYK) or grey in pdftoppm.
 */
START_TEST(seal_drawn_in_the_output_intents_space)
{
	static const struct {
		const char *n, *space, *op;
	} want[2] = { { "/N 4", "/ColorSpace /DeviceCMYK", "0 1 1 0.2 K" },
		      { "/N 1",
			"/ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /FlateDecode "
			"/SMask",
			"0.2392 G" } };
	struct pdf_placement pl[2] = {
		{ .mode = PDF_PLACE_NORMAL, .page = 1, .x = 300, .y = 300 },
		{ .mode = PDF_PLACE_DATE, .page = 1, .x = 100, .y = 100 },
	};
	unsigned char *d, *s, *n4;
	size_t n, sn;
	const char *upd;
	long red;

	d = read_fixture("writers/ghostscript_pdfa2b_cmyk.pdf", &n);
	n4 = memmem(d, n, "\n/N 4/Length", 12);
	ck_assert_ptr_nonnull(n4);
	n4[4] = want[_i].n[3];
	s = sign_with_openssl(d, n, pl, 2, &sn);
	upd = (const char *)s + n;
	ck_assert_ptr_nonnull(memmem(upd, sn - n, want[_i].space, strlen(want[_i].space)));
	ck_assert_ptr_nonnull(memmem(upd, sn - n, want[_i].op, strlen(want[_i].op)));
	ck_assert_ptr_null(memmem(upd, sn - n, "DeviceRGB", 9));
	ck_assert_ptr_null(memmem(upd, sn - n, " RG", 3));
	red = page1_red(s, sn, "intent", 0.5);
	if (_i == 0)
		ck_assert_msg(red > 100, "the CMYK seal shows %ld red pixels", red);
	else
		ck_assert_msg(red == 0, "the grey seal shows %ld red pixels", red);
	free(s);
	free(d);
}
END_TEST

/*
 * PDF/A-1 forbids transparency: an image's /SMask may only be /None (ISO
 * 19005-1 6.4), and veraPDF fails a file whose seal picture has one. Under a
 * part 1 claim in the XMP (as an attribute, Ghostscript's, or an element,
 * LibreOffice's) the picture is masked by a 1-bit /Mask instead and renders
 * as the soft-masked one does (its red within 15 %: the ring and star, not
 * their square); a PDF/A-2 file keeps the anti-aliased soft mask.
 */
START_TEST(pdfa1_seal_masked_without_smask)
{
	static const struct {
		const char *file, *claim;
	} fx[2] = { { "ghostscript_pdfa2b_cmyk.pdf", "pdfaid:part='2'" },
		    { "libreoffice_pdfa2b.pdf", "<pdfaid:part>2<" } };
	struct pdf_placement pl = { .mode = PDF_PLACE_NORMAL, .page = 1, .x = 300, .y = 300 };
	unsigned char *d, *s, *claim;
	size_t n, sn, k = strlen(fx[_i].claim);
	char path[512];
	long red1, red2;

	snprintf(path, sizeof(path), "writers/%s", fx[_i].file);
	d = read_fixture(path, &n);
	claim = memmem(d, n, fx[_i].claim, k);
	ck_assert_ptr_nonnull(claim);
	s = sign_with_openssl(d, n, &pl, 1, &sn);
	ck_assert_ptr_nonnull(memmem(s + n, sn - n, "/SMask", 6));
	ck_assert_ptr_null(memmem(s + n, sn - n, "/ImageMask", 10));
	red2 = page1_red(s, sn, "pdfa2", 0);
	free(s);
	claim[k - 2] = '1';
	s = sign_with_openssl(d, n, &pl, 1, &sn);
	ck_assert_ptr_null(memmem(s + n, sn - n, "/SMask", 6));
	ck_assert_ptr_nonnull(memmem(s + n, sn - n, "/ImageMask true", 15));
	ck_assert_ptr_nonnull(memmem(s + n, sn - n, "/Mask ", 6));
	red1 = page1_red(s, sn, "pdfa1", 0);
	/* a 42 mm seal at 72 dpi is 119 px across */
	ck_assert_msg(red2 > 1000, "the PDF/A-2 seal shows %ld red pixels", red2);
	ck_assert_msg(labs(red1 - red2) * 100 <= red2 * 15,
		      "the PDF/A-1 seal shows %ld red pixels, the PDF/A-2 one %ld", red1, red2);
	free(s);
	free(d);
}
END_TEST

/*
 * A PDF/A file with no output intent at all (Ghostscript's, every colour
 * ICC-based: the fixture) may use no device colour space (ISO 19005-2
 * 6.2.4.3, 6.2.4.4's DefaultRGB aside): the seal picture and the date stamp
 * are drawn in an ICC-based sRGB space whose profile the update carries, no
 * DeviceRGB anywhere in it. Ghostscript (lcms2) draws with that profile as its
 * default (it stops on one it cannot read) and both renderers show the seal red.
 */
START_TEST(seal_in_a_pdfa_without_output_intent)
{
	struct pdf_placement pl[2] = {
		{ .mode = PDF_PLACE_NORMAL, .page = 1, .x = 300, .y = 300 },
		{ .mode = PDF_PLACE_DATE, .page = 1, .x = 100, .y = 100 },
	};
	unsigned char *d, *s, *log;
	size_t n, sn, ln;
	char path[512], png[600];
	const char *upd, *p;
	unsigned w, h;
	long red;
	int icc;

	d = read_fixture("writers/ghostscript_pdfa2b_icc.pdf", &n);
	ck_assert_ptr_null(memmem(d, n, "/OutputIntents", 14));
	s = sign_with_openssl(d, n, pl, 2, &sn);
	upd = (const char *)s + n;
	ck_assert_ptr_null(memmem(upd, sn - n, "DeviceRGB", 9));
	ck_assert_ptr_nonnull(p = memmem(upd, sn - n, "/ColorSpace [/ICCBased ", 23));
	ck_assert_int_eq(sscanf(p + 23, "%d", &icc), 1);
	ck_assert_ptr_null(memmem(upd, sn - n, " RG", 3));
	ck_assert_ptr_null(memmem(upd, sn - n, " rg", 3));
	red = page1_red(s, sn, "icc", 0.5);
	snprintf(path, sizeof(path), "%s/icc.pdf", dir);
	ck_assert_msg(red > 100, "pdftoppm shows the seal with %ld red pixels", red);
	/* Ghostscript (lcms2) refuses to draw with a default profile it cannot read */
	ck_assert_int_eq(run("qpdf --show-object=%d --filtered-stream-data %s >%s/srgb.icc && "
			     "gs -q -dNOPAUSE -dBATCH -sDEVICE=png16m -o /dev/null "
			     "-sDefaultRGBProfile=%s/srgb.icc --permit-file-read=%s/ -c "
			     "'0.8 0 0 setrgbcolor 0 0 10 10 rectfill showpage' >/dev/null 2>&1",
			     icc, path, dir, dir, dir),
			 0);
	ck_assert_int_eq(run("gs -q -dNOPAUSE -dBATCH -sDEVICE=png16m -r72 -dFirstPage=1 "
			     "-dLastPage=1 -o %s/gs-1.png %s >%s/gs.log 2>&1",
			     dir, path, dir),
			 0);
	snprintf(path, sizeof(path), "%s/gs.log", dir);
	log = read_file(path, &ln);
	ck_assert_msg(ln == 0, "Ghostscript: %.*s", (int)ln, log);
	snprintf(png, sizeof(png), "%s/gs-1.png", dir);
	red = red_pixels(png, &w, &h, 0.5, 1);
	ck_assert_msg(red > 100, "Ghostscript shows the seal with %ld red pixels", red);
	free(log);
	free(s);
	free(d);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("pdf_sign_colour");
	TCase *tc = test_tcase(s, "colour", setup, teardown, 1, 120);

	tcase_add_loop_test(tc, seal_drawn_in_the_output_intents_space, 0, 2);
	tcase_add_loop_test(tc, pdfa1_seal_masked_without_smask, 0, 2);
	tcase_add_test(tc, seal_in_a_pdfa_without_output_intent);
	return test_suite_run(s);
}
