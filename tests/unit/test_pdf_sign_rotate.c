/*
 * test_pdf_sign_rotate.c: a seal signed into an empty signature field on a
 * turned page (/Rotate 0, 90, 180, 270) stands upright where the field
 * shows, in pdftoppm's and mutool's pictures, whether the field's widget
 * turns with the page or keeps upright itself (annotation flag NoRotate).
 * Shares test_pdf_sign.c's helpers (test_pdf_sign.h).
 */
#include "test_pdf_sign.h"

static void
rotate_setup(void)
{
	setup();
	free(seal);
	/* a thinner ring and a bar on top, no dot: which way is up shows */
	seal = make_seal_png_as(240, 0.15, 0, 1, &seal_len);
}

/* Seal-red pixels of a rendered page: inside box (pixels), outside it, and
   in the top, bottom, left and right quarters of their own bounding box. */
struct red_count {
	long in, out, top, bottom, left, right;
};

static void
count_red(const char *png, const double box[4], struct red_count *rc)
{
	png_image im;
	unsigned char *px;
	unsigned x, y, x0 = ~0u, y0 = ~0u, x1 = 0, y1 = 0;

	memset(rc, 0, sizeof(*rc));
	memset(&im, 0, sizeof(im));
	im.version = PNG_IMAGE_VERSION;
	ck_assert_msg(png_image_begin_read_from_file(&im, png), "cannot read %s", png);
	im.format = PNG_FORMAT_RGB;
	ck_assert_ptr_nonnull(px = malloc(PNG_IMAGE_SIZE(im)));
	ck_assert(png_image_finish_read(&im, NULL, px, 0, NULL));
	for (y = 0; y < im.height; y++)
		for (x = 0; x < im.width; x++) {
			const unsigned char *p = px + 3 * ((size_t)y * im.width + x);
			if (!(p[0] > 150 && p[1] < 90 && p[2] < 90))
				continue;
			if (x + 0.5 >= box[0] - 1 && x + 0.5 <= box[2] + 1 &&
			    y + 0.5 >= box[1] - 1 && y + 0.5 <= box[3] + 1)
				rc->in++;
			else
				rc->out++;
			x0 = x < x0 ? x : x0;
			y0 = y < y0 ? y : y0;
			x1 = x > x1 ? x : x1;
			y1 = y > y1 ? y : y1;
		}
	for (y = 0; rc->in > 0 && y < im.height; y++)
		for (x = 0; x < im.width; x++) {
			const unsigned char *p = px + 3 * ((size_t)y * im.width + x);
			if (!(p[0] > 150 && p[1] < 90 && p[2] < 90))
				continue;
			rc->top += y < y0 + (y1 - y0) / 4;
			rc->bottom += y > y1 - (y1 - y0) / 4;
			rc->left += x < x0 + (x1 - x0) / 4;
			rc->right += x > x1 - (x1 - x0) / 4;
		}
	free(px);
}

/*
 * An A4 page turned by rot with an empty signature field "Box" whose widget
 * has annotation flags f, /Rect [300 100 500 220] (200 x 120: the box shows
 * 120 x 200 when it turns with a page turned a quarter). Where a viewer
 * shows the field, in displayed points (x right, y up from the bottom-left
 * of the page as shown): the rectangle turned with the page, or for
 * NoRotate (16) its upper-left corner where the page shows that point and
 * the box upright from there, right and down (ISO 32000-1 §12.5.3).
 */
START_TEST(seal_upright_where_the_field_shows)
{
	static const double x0 = 300, y0 = 100, x1 = 500, y1 = 220, pw = 595, ph = 842;
	int rot = 90 * (_i % 4), flags = _i < 4 ? 4 : 20, k;
	/* user (x, y) as shown, for this page's /Rotate */
#define SHOW_U(x, y) (rot == 0 ? (x) : rot == 90 ? (y) : rot == 180 ? pw - (x) : ph - (y))
#define SHOW_V(x, y) (rot == 0 ? (y) : rot == 90 ? pw - (x) : rot == 180 ? ph - (y) : (x))
	double shown_h = rot % 180 ? pw : ph, want[4], px[4];
	char page[512], wdg[512], path[512], png[600];
	const char *bodies[6];
	struct pdf_placement into = { .mode = PDF_PLACE_FIELD, .field = "Box" };
	struct pdf_seal s = { .png = seal, .png_len = seal_len };
	struct pdf_widget_rect *w = NULL;
	struct red_count rc;
	struct pdf_doc *doc = NULL;
	struct sp_errinfo ei;
	unsigned char *d, *signed_;
	size_t n, sn, nw = 0;

	if (flags & 16) {
		want[0] = SHOW_U(x0, y1);
		want[3] = SHOW_V(x0, y1);
		want[2] = want[0] + (x1 - x0);
		want[1] = want[3] - (y1 - y0);
	} else {
		want[0] = fmin(SHOW_U(x0, y0), SHOW_U(x1, y1));
		want[2] = fmax(SHOW_U(x0, y0), SHOW_U(x1, y1));
		want[1] = fmin(SHOW_V(x0, y0), SHOW_V(x1, y1));
		want[3] = fmax(SHOW_V(x0, y0), SHOW_V(x1, y1));
	}
#undef SHOW_U
#undef SHOW_V
	snprintf(page, sizeof(page),
		 "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Rotate %d /Contents 4 0 "
		 "R /Annots [6 0 R] >>",
		 rot);
	snprintf(wdg, sizeof(wdg),
		 "<< /Type /Annot /Subtype /Widget /FT /Sig /T (Box) /F %d /P 3 0 R /Rect [300 100 "
		 "500 220] >>",
		 flags);
	bodies[0] = "<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [6 0 R] /SigFlags 1 >> >>";
	bodies[1] = "<< /Type /Pages /Kids [3 0 R] /Count 1 >>";
	bodies[2] = page;
	bodies[3] = "<< /Length 0 >>\nstream\n\nendstream";
	bodies[4] = "<< /Producer (sealpact tests) >>";
	bodies[5] = wdg;
	d = make_pdf_objs(bodies, 6, &n);
	/* what the signer is told: where the seal shows */
	sp_errinfo_init(&ei);
	ck_assert_msg(pdf_doc_open(d, n, &doc, &ei) == SP_OK, "%s", ei.msg);
	ck_assert_msg(pdf_placements_resolve(doc, &s, 1, &into, 1, &w, &nw, &ei) == SP_OK, "%s",
		      ei.msg);
	ck_assert_uint_eq(nw, 1);
	ck_assert_msg(fabs(w[0].view.x0 - want[0]) < 0.01 && fabs(w[0].view.y0 - want[1]) < 0.01 &&
			      fabs(w[0].view.x1 - want[2]) < 0.01 &&
			      fabs(w[0].view.y1 - want[3]) < 0.01,
		      "/Rotate %d /F %d: resolved to %g %g %g %g, shown at %g %g %g %g", rot, flags,
		      w[0].view.x0, w[0].view.y0, w[0].view.x1, w[0].view.y1, want[0], want[1],
		      want[2], want[3]);
	free(w);
	pdf_doc_free(doc);
	/* what the renderers show: the seal inside that box, its bar on top */
	signed_ = sign_with_openssl(d, n, &into, 1, &sn);
	snprintf(path, sizeof(path), "%s/rot.pdf", dir);
	write_file(path, signed_, sn);
	ck_assert_int_eq(run("qpdf --check %s >/dev/null", path), 0);
	/* 72 dpi: a point a pixel, y down from the top */
	px[0] = want[0];
	px[1] = shown_h - want[3];
	px[2] = want[2];
	px[3] = shown_h - want[1];
	ck_assert_int_eq(run("pdftoppm -r 72 -png %s %s/pp", path, dir), 0);
	ck_assert_int_eq(run("mutool draw -q -r 72 -o %s/mu.png %s 2>/dev/null", dir, path), 0);
	for (k = 0; k < 2; k++) {
		snprintf(png, sizeof(png), k ? "%s/mu.png" : "%s/pp-1.png", dir);
		count_red(png, px, &rc);
		ck_assert_msg(rc.in > 500 && rc.out == 0,
			      "%s, /Rotate %d /F %d: %ld red pixels in the field's box, %ld "
			      "outside",
			      k ? "mutool" : "pdftoppm", rot, flags, rc.in, rc.out);
		ck_assert_msg(2 * rc.top > 3 * rc.bottom && labs(rc.left - rc.right) * 4 < rc.left,
			      "%s, /Rotate %d /F %d: the seal is not upright (red top %ld bottom "
			      "%ld left %ld right %ld)",
			      k ? "mutool" : "pdftoppm", rot, flags, rc.top, rc.bottom, rc.left,
			      rc.right);
	}
	free(signed_);
	free(d);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("pdf_sign_rotate");
	TCase *tc = test_tcase(s, "rotate", rotate_setup, teardown, 1, 120);

	tcase_add_loop_test(tc, seal_upright_where_the_field_shows, 0, 8);
	return test_suite_run(s);
}
