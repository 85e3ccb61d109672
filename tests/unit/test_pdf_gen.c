/*
 * test_pdf_gen.c: generated documents and pictures (pdf/gen*.c, cjk.c,
 * form.c, seal_art.c), judged by tools nobody here wrote: qpdf --check for
 * the structure, poppler's pdffonts for the embedded subset font and
 * pdftotext for the text a reader gets back, libpng for the seal picture.
 */
#include <check.h>
#include <png.h>

#include "gen_int.h"
#include "pdf.h"
#include "../fixtures/pdf-writer/pdfgen.h"
#include "support_tmp.h"

#define FONT PDF_CJK_FONT_DEFAULT
#define FACE PDF_CJK_FONT_INDEX_SC

static const struct pdf_seal_form form0 = {
	.application_id = "7401234567890123456",
	.org_name = "北京云签数据科技有限公司",
	.credit_code = "91110108MA01ABCDE3",
	.seal_name = "北京云签数据科技有限公司合同专用章",
	.seal_type_text = "合同专用章 Contract seal",
	.applicant = "张三 Zhang San",
	.date = "2026-12-03",
};

/* Run "tool path tail"; its standard output, NUL-terminated. */
static char *
tool_output(const char *dir, const char *tool, const char *path, const char *tail)
{
	char out[512];
	size_t n;
	char *p;

	snprintf(out, sizeof(out), "%s/tool.out", dir);
	ck_assert_msg(run("%s %s%s > %s", tool, path, tail, out) == 0, "%s failed on %s", tool,
		      path);
	p = (char *)read_file(out, &n);
	ck_assert_ptr_nonnull(p);
	unlink(out);
	return p;
}

START_TEST(form_is_valid_and_reads_back)
{
	const char *dir = test_tmpdir_new("pdf");
	struct sp_errinfo ei;
	unsigned char *pdf = NULL, *pdf2 = NULL;
	size_t len = 0, len2 = 0;
	char path[512], *txt, *fonts, *line;
	struct pdf_doc *doc = NULL;
	char *own = NULL;
	size_t ownlen = 0;

	sp_errinfo_init(&ei);
	ck_assert_msg(pdf_seal_application_form(FONT, FACE, &form0, &pdf, &len, &ei) == SP_OK, "%s",
		      ei.msg);
	/* Deterministic: the same form twice is the same bytes. */
	ck_assert_int_eq(pdf_seal_application_form(FONT, FACE, &form0, &pdf2, &len2, &ei), SP_OK);
	ck_assert(len == len2 && memcmp(pdf, pdf2, len) == 0);
	/* A subset: a few tens of kilobytes out of a 19 MB collection. */
	ck_assert_msg(len < 120000, "form of %zu bytes: is the font really a subset?", len);
	snprintf(path, sizeof(path), "%s/form.pdf", dir);
	write_file(path, pdf, len);
	ck_assert_int_eq(run("qpdf --check %s >/dev/null 2>&1", path), 0);

	txt = tool_output(dir, "pdftotext -enc UTF-8", path, " -");
	ck_assert_msg(strstr(txt, "电子印章申请表"), "title missing: %s", txt);
	ck_assert_ptr_nonnull(strstr(txt, "Electronic Seal Application Form"));
	ck_assert_ptr_nonnull(strstr(txt, form0.org_name));
	ck_assert_ptr_nonnull(strstr(txt, form0.credit_code));
	ck_assert_ptr_nonnull(strstr(txt, form0.seal_name));
	ck_assert_ptr_nonnull(strstr(txt, "张三 Zhang San"));
	ck_assert_ptr_nonnull(strstr(txt, "2026-12-03"));
	ck_assert_ptr_nonnull(strstr(txt, "实物印章盖章处"));
	ck_assert_ptr_nonnull(strstr(txt, "申请人签字"));
	free(txt);

	/* pdffonts: one font, CID Type 0C, Identity-H, embedded, subset, with ToUnicode. */
	fonts = tool_output(dir, "pdffonts", path, "");
	line = strstr(fonts, "+NotoSansCJKsc-Regular");
	ck_assert_msg(line, "no subset Noto font: %s", fonts);
	ck_assert_msg(strstr(line, "CID Type 0C") && strstr(line, "Identity-H") &&
			      strstr(line, "yes yes yes"),
		      "font line: %s", line);
	free(fonts);

	/* Our own text reader agrees (Type0 + ToUnicode). */
	ck_assert_int_eq(pdf_doc_open(pdf, len, &doc, &ei), SP_OK);
	ck_assert_int_eq(pdf_doc_page_count(doc), 1);
	ck_assert_msg(pdf_page_text(doc, 1, &own, &ownlen, &ei) == SP_OK, "%s", ei.msg);
	ck_assert_ptr_nonnull(strstr(own, "统一社会信用代码"));
	free(own);
	pdf_doc_free(doc);

	/* It renders. */
	ck_assert_int_eq(run("pdftoppm -r 30 -png %s %s/form >/dev/null 2>&1", path, dir), 0);
	run("rm -rf %s", dir);
	free(pdf);
	free(pdf2);
}
END_TEST

/* Ink bounding box of a rendered grey page (P5 PGM): width and height. */
static void
ink_box(const char *pgm, int *bw, int *bh)
{
	size_t n = 0;
	unsigned char *p = read_file(pgm, &n), *px;
	int w, h, maxv, off = 0, x, y, x0 = 1 << 30, x1 = -1, y0 = 1 << 30, y1 = -1;

	ck_assert_ptr_nonnull(p);
	ck_assert(sscanf((char *)p, "P5 %d %d %d%n", &w, &h, &maxv, &off) == 3);
	px = p + off + 1;
	ck_assert((size_t)(off + 1) + (size_t)w * h <= n);
	for (y = 0; y < h; y++)
		for (x = 0; x < w; x++)
			if (px[y * w + x] < 128) {
				x0 = x < x0 ? x : x0;
				x1 = x > x1 ? x : x1;
				y0 = y < y0 ? y : y0;
				y1 = y > y1 ? y : y1;
			}
	*bw = x1 >= x0 ? x1 - x0 + 1 : 0;
	*bh = y1 >= y0 ? y1 - y0 + 1 : 0;
	free(p);
}

/*
 * The glyph a viewer draws is the one shaped: the code shown (a CID) must
 * reach the right outline in the subset's charset. "一" is a flat stroke,
 * "丨" a tall one; a wrong mapping draws another glyph or .notdef's box.
 */
START_TEST(subset_glyphs_render_as_shaped)
{
	static const char *const text[] = { "一", "丨" };
	const char *dir = test_tmpdir_new("pdf");
	struct sp_errinfo ei;
	struct gen *g = NULL;
	unsigned char *pdf = NULL;
	size_t len = 0;
	char path[512], pgm[600];
	int i, bw[2], bh[2];

	sp_errinfo_init(&ei);
	ck_assert_int_eq(gen_new(FONT, FACE, &g, &ei), SP_OK);
	for (i = 0; i < 2; i++) {
		ck_assert_int_ge(gen_page_add(g, 300, 300, &ei), 0);
		ck_assert_int_eq(gen_text(g, 150, 80, 200, 0, GEN_CENTER, text[i], &ei), SP_OK);
	}
	ck_assert_msg(gen_finish(g, "glyphs", &pdf, &len, &ei) == SP_OK, "%s", ei.msg);
	gen_free(g);
	snprintf(path, sizeof(path), "%s/glyphs.pdf", dir);
	write_file(path, pdf, len);
	ck_assert_int_eq(run("pdftoppm -r 36 -gray %s %s/g >/dev/null 2>&1", path, dir), 0);
	for (i = 0; i < 2; i++) {
		snprintf(pgm, sizeof(pgm), "%s/g-%d.pgm", dir, i + 1);
		ink_box(pgm, &bw[i], &bh[i]);
	}
	ck_assert_msg(bw[0] > 4 * bh[0] && bh[0] > 0, "一 drawn %dx%d", bw[0], bh[0]);
	ck_assert_msg(bh[1] > 4 * bw[1] && bw[1] > 0, "丨 drawn %dx%d", bw[1], bh[1]);
	run("rm -rf %s", dir);
	free(pdf);
}
END_TEST

/*
 * Texts that shape to one glyph read back as written: a CJK compatibility
 * ideograph and its unified form (U+F900, U+8C48), a Kangxi radical and the
 * ideograph (U+2F00, U+4E00), a decomposed letter and the precomposed one,
 * the ligature U+FB01 and "fi". The glyph's /ToUnicode entry is the first
 * text seen; pdftotext must still give back every other text exactly, in
 * either order.
 */
START_TEST(shared_glyphs_read_back_as_written)
{
	static const char *const line[] = {
		"\u8c48 \uf900 e\u0301 \u00e9 \u4e00 \u2f00 fi \ufb01",
		"\uf900 \u8c48 \u00e9 e\u0301 \u2f00 \u4e00 \ufb01 fi",
	};
	const char *dir = test_tmpdir_new("pdf");
	struct sp_errinfo ei;
	struct gen *g = NULL;
	unsigned char *pdf = NULL;
	size_t len = 0;
	char path[512], *txt;
	int i;

	sp_errinfo_init(&ei);
	ck_assert_int_eq(gen_new(FONT, FACE, &g, &ei), SP_OK);
	for (i = 0; i < 2; i++) {
		ck_assert_int_ge(gen_page_add(g, 400, 100, &ei), 0);
		ck_assert_msg(gen_text(g, 20, 40, 16, 0, GEN_LEFT, line[i], &ei) == SP_OK, "%s",
			      ei.msg);
	}
	ck_assert_msg(gen_finish(g, "shared", &pdf, &len, &ei) == SP_OK, "%s", ei.msg);
	gen_free(g);
	snprintf(path, sizeof(path), "%s/shared.pdf", dir);
	write_file(path, pdf, len);
	ck_assert_int_eq(run("qpdf --check %s >/dev/null 2>&1", path), 0);
	for (i = 0; i < 2; i++) {
		char tail[32];
		snprintf(tail, sizeof(tail), " -f %d -l %d -", i + 1, i + 1);
		txt = tool_output(dir, "pdftotext -enc UTF-8", path, tail);
		ck_assert_msg(strstr(txt, line[i]) != NULL, "page %d reads back as \"%s\"", i + 1,
			      txt);
		free(txt);
	}
	run("rm -rf %s", dir);
	free(pdf);
}
END_TEST

static char *
repeat(const char *u, int n)
{
	char *s = malloc(strlen(u) * (size_t)n + 1);
	int i;

	s[0] = 0;
	for (i = 0; i < n; i++)
		strcat(s, u);
	return s;
}

/* Every field at its longest: still one page, and the box for the stamp is there. */
START_TEST(form_longest_values_fit_one_page)
{
	struct pdf_seal_form f = form0;
	struct sp_errinfo ei;
	unsigned char *pdf = NULL;
	size_t len = 0, tl = 0;
	struct pdf_doc *doc = NULL;
	char *org = repeat("华", 100), *seal = repeat("章", 100), *type = repeat("类", 40),
	     *who = repeat("申", 60), *txt = NULL;
	const char *dir = test_tmpdir_new("pdf");
	char path[512];

	f.application_id = "1234567890123456789012345678901234567890";
	f.org_name = org;
	f.seal_name = seal;
	f.seal_type_text = type;
	f.applicant = who;
	f.credit_code = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345";
	sp_errinfo_init(&ei);
	ck_assert_msg(pdf_seal_application_form(FONT, FACE, &f, &pdf, &len, &ei) == SP_OK, "%s",
		      ei.msg);
	snprintf(path, sizeof(path), "%s/long.pdf", dir);
	write_file(path, pdf, len);
	ck_assert_int_eq(run("qpdf --check %s >/dev/null 2>&1", path), 0);
	ck_assert_int_eq(pdf_doc_open(pdf, len, &doc, &ei), SP_OK);
	ck_assert_int_eq(pdf_doc_page_count(doc), 1);
	ck_assert_int_eq(pdf_page_text(doc, 1, &txt, &tl, &ei), SP_OK);
	ck_assert_ptr_nonnull(strstr(txt, "实物印章盖章处"));
	ck_assert_ptr_nonnull(strstr(txt, "申请人签字"));
	ck_assert_ptr_nonnull(strstr(txt, f.credit_code));
	free(txt);
	pdf_doc_free(doc);
	free(pdf);
	/* One character more than allowed is refused. */
	free(who);
	who = repeat("申", 61);
	f.applicant = who;
	ck_assert_int_eq(pdf_seal_application_form(FONT, FACE, &f, &pdf, &len, &ei),
			 SP_ERR_INVALID);
	run("rm -rf %s", dir);
	free(org);
	free(seal);
	free(type);
	free(who);
}
END_TEST

START_TEST(form_bad_input_is_refused)
{
	struct pdf_seal_form f = form0;
	struct sp_errinfo ei;
	unsigned char *pdf = (unsigned char *)"x";
	size_t len = 7;
	char big[400];

	sp_errinfo_init(&ei);
	f.date = "2026-02-30";
	ck_assert_int_eq(pdf_seal_application_form(FONT, FACE, &f, &pdf, &len, &ei),
			 SP_ERR_INVALID);
	ck_assert_str_eq(ei.reason, "form_date");
	ck_assert(pdf == NULL && len == 0);

	f = form0;
	f.org_name = "";
	sp_errinfo_init(&ei);
	ck_assert_int_eq(pdf_seal_application_form(FONT, FACE, &f, &pdf, &len, &ei),
			 SP_ERR_INVALID);
	ck_assert_str_eq(ei.reason, "text_invalid");
	ck_assert_ptr_nonnull(strstr(ei.msg, "organization"));

	f = form0;
	f.applicant = NULL;
	sp_errinfo_init(&ei);
	ck_assert_int_eq(pdf_seal_application_form(FONT, FACE, &f, &pdf, &len, &ei),
			 SP_ERR_INVALID);

	f = form0;
	f.seal_name = "合同\n专用章";
	sp_errinfo_init(&ei);
	ck_assert_int_eq(pdf_seal_application_form(FONT, FACE, &f, &pdf, &len, &ei),
			 SP_ERR_INVALID);
	ck_assert_ptr_nonnull(strstr(ei.msg, "control"));

	f = form0;
	memset(big, 'A', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	f.credit_code = big;
	sp_errinfo_init(&ei);
	ck_assert_int_eq(pdf_seal_application_form(FONT, FACE, &f, &pdf, &len, &ei),
			 SP_ERR_INVALID);

	/* A character the font does not have. */
	f = form0;
	f.applicant = "张三 \xf0\x9f\x98\x80";
	sp_errinfo_init(&ei);
	ck_assert_int_eq(pdf_seal_application_form(FONT, FACE, &f, &pdf, &len, &ei),
			 SP_ERR_INVALID);
	ck_assert_str_eq(ei.reason, "font_missing_glyph");
	ck_assert_ptr_nonnull(strstr(ei.msg, "U+1F600"));
	ck_assert(pdf == NULL && len == 0);
}
END_TEST

START_TEST(font_problems_are_clear)
{
	struct sp_errinfo ei;
	unsigned char *out = NULL;
	size_t len = 0;
	struct pdf_seal_art a = { "北京云签数据科技有限公司", "合同专用章", NULL, 200 };
	const char *dir = test_tmpdir_new("pdf");
	char junk[512];

	sp_errinfo_init(&ei);
	ck_assert_int_eq(pdf_seal_application_form("/nonexistent/font.ttc", 0, &form0, &out, &len,
						   &ei),
			 SP_ERR_IO);
	ck_assert_str_eq(ei.reason, "font_unreadable");
	ck_assert_ptr_nonnull(strstr(ei.msg, "/nonexistent/font.ttc"));
	sp_errinfo_init(&ei);
	ck_assert_int_eq(pdf_seal_round_png("/nonexistent/font.ttc", 0, &a, &out, &len, &ei),
			 SP_ERR_IO);
	sp_errinfo_init(&ei);
	ck_assert_int_eq(pdf_seal_round_png(FONT, 99, &a, &out, &len, &ei), SP_ERR_INVALID);
	ck_assert_str_eq(ei.reason, "font_index");
	snprintf(junk, sizeof(junk), "%s/junk.otf", dir);
	write_file(junk, "not a font at all, just words", 29);
	sp_errinfo_init(&ei);
	ck_assert_int_eq(pdf_seal_round_png(junk, 0, &a, &out, &len, &ei), SP_ERR_UNSUPPORTED);
	ck_assert_str_eq(ei.reason, "font_not_cff");
	ck_assert(out == NULL && len == 0);
	run("rm -rf %s", dir);
}
END_TEST

struct rgba {
	unsigned w, h;
	unsigned char *p;
};

static struct rgba
decode(const unsigned char *png, size_t len)
{
	png_image im;
	struct rgba o;

	memset(&im, 0, sizeof(im));
	im.version = PNG_IMAGE_VERSION;
	ck_assert(png_image_begin_read_from_memory(&im, png, len));
	/* The file itself carries an alpha channel. */
	ck_assert(im.format & PNG_FORMAT_FLAG_ALPHA);
	im.format = PNG_FORMAT_RGBA;
	o.w = im.width;
	o.h = im.height;
	o.p = malloc(PNG_IMAGE_SIZE(im));
	ck_assert(png_image_finish_read(&im, NULL, o.p, 0, NULL));
	return o;
}

static const unsigned char *
px(const struct rgba *im, double x, double y)
{
	return im->p + ((size_t)y * im->w + (size_t)x) * 4;
}

static int
is_red(const unsigned char *p)
{
	return p[3] == 255 && p[0] > 180 && p[1] < 80 && p[2] < 80;
}

/* Opaque pixels in the annulus r0..r1 (fractions of half the side), above the
 * centre or in the middle below it (the name's arc ends come down the sides). */
static size_t
ink(const struct rgba *im, double r0, double r1, int upper)
{
	double c = im->w / 2.0;
	size_t n = 0;
	unsigned x, y;

	for (y = 0; y < im->h; y++)
		for (x = 0; x < im->w; x++) {
			double dx = x + 0.5 - c, dy = c - (y + 0.5), d = hypot(dx, dy) / c;
			if (d >= r0 && d <= r1 &&
			    (upper ? dy > 0.3 * c : (dy < -0.3 * c && fabs(dx) < 0.4 * c)) &&
			    px(im, x, y)[3] > 128)
				n++;
		}
	return n;
}

START_TEST(seal_picture_is_a_round_seal)
{
	struct pdf_seal_art a = { "北京云签数据科技有限公司", "合同专用章", NULL, 400 };
	struct sp_errinfo ei;
	unsigned char *png = NULL, *png2 = NULL, *png3 = NULL;
	size_t len = 0, len2 = 0, len3 = 0, i, partial = 0;
	struct rgba im, im3;
	double c = 200, R = 400 * 0.48;

	sp_errinfo_init(&ei);
	ck_assert_msg(pdf_seal_round_png(FONT, FACE, &a, &png, &len, &ei) == SP_OK, "%s", ei.msg);
	ck_assert_int_eq(pdf_seal_round_png(FONT, FACE, &a, &png2, &len2, &ei), SP_OK);
	ck_assert(len == len2 && memcmp(png, png2, len) == 0);
	im = decode(png, len);
	ck_assert(im.w == 400 && im.h == 400);
	/* The star in the centre is red; the corners are transparent. */
	ck_assert(is_red(px(&im, c, c)));
	ck_assert(is_red(px(&im, c, c - R * 0.25))); /* the upper arm of the star */
	ck_assert_int_eq(px(&im, 0, 0)[3], 0);
	ck_assert_int_eq(px(&im, 399, 0)[3], 0);
	ck_assert_int_eq(px(&im, 0, 399)[3], 0);
	ck_assert_int_eq(px(&im, 399, 399)[3], 0);
	/* Between the star's lower notch and the type text: nothing. */
	ck_assert_int_eq(px(&im, c, c + R * 0.2)[3], 0);
	/* The ring, left, right, top, bottom. */
	ck_assert(is_red(px(&im, c - R * 0.965, c)));
	ck_assert(is_red(px(&im, c + R * 0.965, c)));
	ck_assert(is_red(px(&im, c, c - R * 0.965)));
	ck_assert(is_red(px(&im, c, c + R * 0.965)));
	/* Anti-aliased edges: some pixels are partly covered. */
	for (i = 0; i < (size_t)im.w * im.h; i++)
		if (im.p[4 * i + 3] > 0 && im.p[4 * i + 3] < 255)
			partial++;
	ck_assert_msg(partial > 500, "%zu partly covered pixels", partial);
	/* The name's band holds ink; the lower band holds none without a code. */
	ck_assert_msg(ink(&im, 0.55, 0.88, 1) > 4000, "upper band: %zu", ink(&im, 0.55, 0.88, 1));
	ck_assert_int_eq(ink(&im, 0.72, 0.88, 0), 0);

	/* With a code, the lower arc gets ink. */
	a.code = "1101080012345";
	ck_assert_int_eq(pdf_seal_round_png(FONT, FACE, &a, &png3, &len3, &ei), SP_OK);
	im3 = decode(png3, len3);
	ck_assert_msg(ink(&im3, 0.72, 0.88, 0) > 300, "lower band: %zu", ink(&im3, 0.72, 0.88, 0));
	free(im.p);
	free(im3.p);
	free(png);
	free(png2);
	free(png3);
}
END_TEST

START_TEST(seal_sizes_and_names)
{
	static const unsigned sizes[] = { 120, 1024 };
	struct pdf_seal_art a = { "中华人民共和国国家发展和改革委员会价格监测中心", "", NULL, 0 };
	struct sp_errinfo ei;
	unsigned char *png = NULL;
	size_t len = 0, i;
	struct rgba im;

	for (i = 0; i < SP_ARRAY_LEN(sizes); i++) {
		a.size_px = sizes[i];
		sp_errinfo_init(&ei);
		ck_assert_msg(pdf_seal_round_png(FONT, FACE, &a, &png, &len, &ei) == SP_OK, "%s",
			      ei.msg);
		im = decode(png, len);
		ck_assert(im.w == sizes[i] && im.h == sizes[i]);
		ck_assert(is_red(px(&im, im.w / 2.0, im.h / 2.0)));
		free(im.p);
		free(png);
	}
}
END_TEST

START_TEST(seal_bad_input_is_refused)
{
	struct pdf_seal_art a = { "北京云签数据科技有限公司", "合同专用章", NULL, 400 };
	struct sp_errinfo ei;
	unsigned char *png = (unsigned char *)"x";
	size_t len = 3;
	char name[200] = "";
	int i;

	a.org_name = "";
	sp_errinfo_init(&ei);
	ck_assert_int_eq(pdf_seal_round_png(FONT, FACE, &a, &png, &len, &ei), SP_ERR_INVALID);
	ck_assert_str_eq(ei.reason, "text_invalid");
	ck_assert(png == NULL && len == 0);
	/* 41 characters: one too many. */
	for (i = 0; i < 41; i++)
		strcat(name, "章");
	a.org_name = name;
	sp_errinfo_init(&ei);
	ck_assert_int_eq(pdf_seal_round_png(FONT, FACE, &a, &png, &len, &ei), SP_ERR_INVALID);
	ck_assert_ptr_nonnull(strstr(ei.msg, "41 characters"));
	name[strlen(name) - 3] = '\0'; /* 40 is fine */
	sp_errinfo_init(&ei);
	ck_assert_msg(pdf_seal_round_png(FONT, FACE, &a, &png, &len, &ei) == SP_OK, "%s", ei.msg);
	free(png);

	a.org_name = "北京云签";
	a.size_px = 119;
	sp_errinfo_init(&ei);
	ck_assert_int_eq(pdf_seal_round_png(FONT, FACE, &a, &png, &len, &ei), SP_ERR_INVALID);
	ck_assert_str_eq(ei.reason, "seal_size");
	a.size_px = 1025;
	sp_errinfo_init(&ei);
	ck_assert_int_eq(pdf_seal_round_png(FONT, FACE, &a, &png, &len, &ei), SP_ERR_INVALID);
	ck_assert_str_eq(ei.reason, "seal_size");
	a.size_px = 300;
	a.code = "12-34";
	sp_errinfo_init(&ei);
	ck_assert_int_eq(pdf_seal_round_png(FONT, FACE, &a, &png, &len, &ei), SP_ERR_INVALID);
	ck_assert_str_eq(ei.reason, "seal_code");
	a.code = NULL;
	a.org_name = "北京\xff云签";
	sp_errinfo_init(&ei);
	ck_assert_int_eq(pdf_seal_round_png(FONT, FACE, &a, &png, &len, &ei), SP_ERR_INVALID);
	ck_assert_str_eq(ei.reason, "text_invalid");
	a.org_name = NULL;
	sp_errinfo_init(&ei);
	ck_assert_int_eq(pdf_seal_round_png(FONT, FACE, &a, &png, &len, &ei), SP_ERR_INVALID);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("pdf_gen");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, form_is_valid_and_reads_back);
	tcase_add_test(tc, subset_glyphs_render_as_shaped);
	tcase_add_test(tc, shared_glyphs_read_back_as_written);
	tcase_add_test(tc, form_longest_values_fit_one_page);
	tcase_add_test(tc, form_bad_input_is_refused);
	tcase_add_test(tc, font_problems_are_clear);
	tcase_add_test(tc, seal_picture_is_a_round_seal);
	tcase_add_test(tc, seal_sizes_and_names);
	tcase_add_test(tc, seal_bad_input_is_refused);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
