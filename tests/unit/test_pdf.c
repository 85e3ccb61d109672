/*
 * test_pdf.c: pdf/ reader, page ranges, placement resolution and the
 * incremental signature writer, judged with qpdf (CLI and C API) and
 * OpenSSL on the produced bytes. Revisions (found, extended, handed on):
 * test_pdf_revisions.c.
 */
#include "test_pdf.h"

START_TEST(reader_facts_table_and_stream)
{
	struct tpage pg[3] = { { 0 } };
	struct pdf_doc_info info;
	struct pdf_page_info pi;
	struct sp_errinfo ei;
	struct pdf_doc *doc;
	unsigned char *d, *s;
	size_t n, sn;

	pg[1].rotate = 90;
	pg[1].has_mb = 1;
	pg[1].mb[0] = 100, pg[1].mb[1] = 200, pg[1].mb[2] = 700, pg[1].mb[3] = 1000;
	pg[2].has_cb = 1;
	pg[2].cb[0] = 50, pg[2].cb[1] = 60, pg[2].cb[2] = 550, pg[2].cb[3] = 760;
	pg[2].rotate = -90;
	d = make_pdf(pg, 3, &n);
	doc = open_ok(d, n);
	sp_errinfo_init(&ei);
	ck_assert_int_eq(pdf_doc_page_count(doc), 3);
	pdf_doc_info_get(doc, &info);
	ck_assert_int_eq(info.xref_kind, PDF_XREF_TABLE);
	ck_assert_int_eq(info.size, 11);
	ck_assert_int_eq(info.root_obj, 1);
	ck_assert_int_eq(info.info_obj, 4);
	ck_assert_int_eq(info.has_id, 1);
	ck_assert_int_eq(info.has_acroform, 0);
	ck_assert_int_eq(info.damaged, 0);
	ck_assert_int_eq(memcmp(d + info.startxref, "xref", 4), 0);
	ck_assert_int_eq(pdf_doc_page_info(doc, 1, &pi, &ei), SP_OK);
	ck_assert(pi.media.x1 == 612 && pi.media.y1 == 792 && pi.rotate == 0); /* inherited */
	ck_assert_int_eq(pdf_doc_page_info(doc, 2, &pi, &ei), SP_OK);
	ck_assert(pi.media.x0 == 100 && pi.crop.y0 == 200 && pi.rotate == 90);
	ck_assert(pi.width == 800 && pi.height == 600); /* rotated: 800 wide on screen */
	ck_assert_int_eq(pdf_doc_page_info(doc, 3, &pi, &ei), SP_OK);
	ck_assert(pi.crop.x0 == 50 && pi.crop.y1 == 760 && pi.rotate == 270);
	ck_assert_int_eq(pdf_doc_page_info(doc, 4, &pi, &ei), SP_ERR_INVALID);
	pdf_doc_free(doc);

	s = qpdf_variant(d, n, "--object-streams=generate", &sn);
	doc = open_ok(s, sn);
	pdf_doc_info_get(doc, &info);
	ck_assert_int_eq(info.xref_kind, PDF_XREF_STREAM);
	ck_assert_int_eq(info.damaged, 0);
	ck_assert_int_eq(pdf_doc_page_count(doc), 3);
	pdf_doc_free(doc);
	free(s);

	/* qpdf's own rotation: +90 on page 1 (0 -> 90), +180 on page 3 (270 -> 90). */
	s = qpdf_variant(d, n, "--rotate=+90:1 --rotate=+180:3", &sn);
	doc = open_ok(s, sn);
	ck_assert_int_eq(pdf_doc_page_info(doc, 1, &pi, &ei), SP_OK);
	ck_assert(pi.rotate == 90 && pi.width == 792 && pi.height == 612);
	ck_assert_int_eq(pdf_doc_page_info(doc, 3, &pi, &ei), SP_OK);
	ck_assert_int_eq(pi.rotate, 90);
	pdf_doc_free(doc);
	free(s);
	free(d);
}
END_TEST

START_TEST(reader_refuses_bad_input)
{
	static const char junk[] = "hello, this is not a PDF at all";
	struct sp_errinfo ei;
	struct pdf_doc *doc = NULL;
	struct pdf_sig_prepared p;
	struct pdf_sig_params par = { .signing_time = T0 };
	struct pdf_doc_info info;
	unsigned char *d, *e, *bad;
	size_t n, en, i;
	char *deep;

	sp_errinfo_init(&ei);
	ck_assert_int_eq(pdf_doc_open((const unsigned char *)junk, sizeof(junk), &doc, &ei),
			 SP_ERR_PDF);
	ck_assert_ptr_null(doc);
	ck_assert_ptr_nonnull(strstr(ei.msg, "not a PDF"));

	d = make_plain_pdf(2, &n);
	/* Truncated to half: qpdf repairs or fails; never signable. */
	sp_errinfo_init(&ei);
	if (pdf_doc_open(d, n / 2, &doc, &ei) == SP_OK) {
		sp_errinfo_init(&ei);
		ck_assert_int_eq(pdf_sig_prepare(doc, &par, NULL, 0, NULL, 0, &p, &ei), SP_ERR_PDF);
		pdf_doc_free(doc);
		doc = NULL;
	}
	/* A wrong startxref: qpdf reconstructs, we refuse to sign. */
	bad = malloc(n + 1);
	memcpy(bad, d, n);
	bad[n] = '\0'; /* strstr needs a terminated string */
	memcpy(strstr((char *)bad, "startxref\n") + 10, "12", 2);
	doc = open_ok(bad, n);
	sp_errinfo_init(&ei);
	ck_assert_int_eq(pdf_sig_prepare(doc, &par, NULL, 0, NULL, 0, &p, &ei), SP_ERR_PDF);
	ck_assert_ptr_nonnull(strstr(ei.msg, "damaged"));
	ck_assert_ptr_null(p.data);
	pdf_doc_free(doc);
	doc = NULL;
	free(bad);

	/* A wrong xref offset for an object the update never touches (the font):
	 * qpdf repairs it, the reader notices at open, the writer refuses. */
	bad = malloc(n + 1);
	memcpy(bad, d, n);
	bad[n] = '\0'; /* strstr needs a terminated string */
	memcpy(strstr((char *)bad, "\nxref\n") + 6 + 4 + 20 * 3, "0000000003", 10);
	doc = open_ok(bad, n);
	pdf_doc_info_get(doc, &info);
	ck_assert_int_eq(info.damaged, 1);
	sp_errinfo_init(&ei);
	ck_assert_int_eq(pdf_sig_prepare(doc, &par, NULL, 0, NULL, 0, &p, &ei), SP_ERR_PDF);
	pdf_doc_free(doc);
	doc = NULL;
	free(bad);

	/* A page tree 100000 levels deep (qpdf alone recurses into a stack
	 * overflow): refused with a limit error. */
	{
		enum { LEVELS = 100000 };
		char **objs = calloc(LEVELS + 2, sizeof(*objs));
		unsigned char *deeptree;
		size_t dn;
		objs[0] = strdup("<< /Type /Catalog /Pages 2 0 R >>");
		for (i = 0; i < LEVELS; i++) {
			objs[i + 1] = malloc(96);
			snprintf(objs[i + 1], 96, "<< /Type /Pages /Kids [%zu 0 R] /Count 1 >>",
				 i + 3);
		}
		objs[LEVELS + 1] = strdup("<< /Type /Page /MediaBox [0 0 10 10] >>");
		deeptree = make_pdf_objs((const char *const *)objs, LEVELS + 2, &dn);
		sp_errinfo_init(&ei);
		ck_assert_int_eq(pdf_doc_open(deeptree, dn, &doc, &ei), SP_ERR_LIMIT);
		ck_assert_ptr_nonnull(strstr(ei.msg, "page tree"));
		for (i = 0; i < LEVELS + 2; i++)
			free(objs[i]);
		free(objs);
		free(deeptree);
	}

	/* Encrypted with a user password, and with an empty one. */
	e = qpdf_variant(d, n, "--encrypt secret owner 256 --", &en);
	sp_errinfo_init(&ei);
	ck_assert_int_eq(pdf_doc_open(e, en, &doc, &ei), SP_ERR_UNSUPPORTED);
	ck_assert_ptr_nonnull(strstr(ei.msg, "encrypted"));
	free(e);
	/* (an owner password alone opens, to be signed: test_verify_encrypted) */
	e = qpdf_variant(d, n, "--encrypt '' owner 256 --", &en);
	sp_errinfo_init(&ei);
	ck_assert_int_eq(pdf_doc_open(e, en, &doc, &ei), SP_OK);
	pdf_doc_free(doc);
	doc = NULL;
	free(e);

	/* Deeply nested arrays in the catalog: an error or a document, never a crash. */
	deep = malloc(300000);
	i = (size_t)sprintf(deep, "%%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R /X ");
	for (n = 0; n < 100000; n++)
		deep[i++] = '[';
	i += (size_t)sprintf(deep + i, "\nendobj\n2 0 obj\n<< /Type /Pages /Count 0 /Kids [] >>\n"
				       "endobj\ntrailer\n<< /Root 1 0 R /Size 3 >>\n%%%%EOF\n");
	sp_errinfo_init(&ei);
	ck_assert_int_ne(pdf_doc_open((unsigned char *)deep, i, &doc, &ei), SP_OK);
	ck_assert_ptr_null(doc);
	free(deep);
	free(d);

	/* Prefixes and byte mutations of a file with every geometry: open fails
	 * or works, prepare fails or produces a file; never a crash or a leak
	 * (ASan judges). */
	d = make_pdf((struct tpage[3]){ { .rotate = 90 },
					{ .has_cb = 1, .cb = { 1, 2, 300, 400 } },
					{ .text = "x", .tx = 1, .ty = 1 } },
		     3, &n);
	bad = malloc(n);
	for (i = 0; i < n; i += 5) {
		struct pdf_placement pl = { .mode = PDF_PLACE_SEAM, .pages = "all", .y = 100 };
		struct pdf_seal sl = { .png = seal, .png_len = seal_len, .width_mm = 0 };
		memcpy(bad, d, n);
		bad[i] = (unsigned char)"0 ]>/(9\xff"[i % 8];
		sp_errinfo_init(&ei);
		if (pdf_doc_open(i % 2 ? bad : d, i % 2 ? n : i, &doc, &ei) == SP_OK) {
			if (pdf_sig_prepare(doc, &par, &sl, 1, &pl, 1, &p, &ei) == SP_OK)
				pdf_sig_prepared_cleanup(&p);
			pdf_doc_free(doc);
		}
		doc = NULL;
	}
	free(bad);
	free(d);
}
END_TEST

START_TEST(page_ranges)
{
	struct sp_errinfo ei;
	int *v = NULL;
	size_t n = 0;
	static const char *bad[] = { "",   "0",  "6",     "3-1", "1,1", "1-3,2", "a",
				     "1,", "1-", "all,1", "-2",  "1 2", "2-9" };
	size_t i;

	sp_errinfo_init(&ei);
	ck_assert_int_eq(pdf_page_range_parse("1-3, 5", 5, &v, &n, &ei), SP_OK);
	ck_assert_uint_eq(n, 4);
	ck_assert(v[0] == 1 && v[1] == 2 && v[2] == 3 && v[3] == 5);
	free(v);
	ck_assert_int_eq(pdf_page_range_parse(" all ", 3, &v, &n, &ei), SP_OK);
	ck_assert(n == 3 && v[2] == 3);
	free(v);
	ck_assert_int_eq(pdf_page_range_parse("4,2", 5, &v, &n, &ei), SP_OK);
	ck_assert(n == 2 && v[0] == 2 && v[1] == 4);
	free(v);
	ck_assert_int_eq(pdf_page_range_parse("5, 1-2, 4", 5, &v, &n, &ei), SP_OK);
	ck_assert(n == 4 && v[0] == 1 && v[1] == 2 && v[2] == 4 && v[3] == 5);
	free(v);
	for (i = 0; i < SP_ARRAY_LEN(bad); i++) {
		sp_errinfo_init(&ei);
		ck_assert_msg(pdf_page_range_parse(bad[i], 5, &v, &n, &ei) == SP_ERR_INVALID,
			      "accepted \"%s\"", bad[i]);
		ck_assert(v == NULL && n == 0);
		ck_assert_ptr_nonnull(strstr(ei.msg, "page range"));
	}
}
END_TEST

/* A 4-page document with every geometry: plain, /Rotate 90, 180 with a shifted
 * MediaBox, 270 with a CropBox. Page 4 carries "Party B (seal)" twice. */
static unsigned char *
geometry_pdf(size_t *n)
{
	struct tpage pg[4] = { { 0 } };

	pg[0].text = "Party B (seal)";
	pg[0].tx = 100, pg[0].ty = 500;
	pg[1].rotate = 90;
	pg[2].rotate = 180;
	pg[2].has_mb = 1;
	pg[2].mb[0] = 100, pg[2].mb[1] = 200, pg[2].mb[2] = 712, pg[2].mb[3] = 992;
	pg[3].rotate = 270;
	pg[3].has_cb = 1;
	pg[3].cb[0] = 50, pg[3].cb[1] = 60, pg[3].cb[2] = 550, pg[3].cb[3] = 760;
	pg[3].text = "Party B (seal)";
	pg[3].tx = 300, pg[3].ty = 400;
	return make_pdf(pg, 4, n);
}

#define S42 (42.0 / 25.4 * 72.0)
#define NEAR(a, b) (fabs((a) - (b)) < 0.01)

static void
centre_is(const struct pdf_widget_rect *w, int page, double x, double y)
{
	ck_assert_int_eq(w->page, page);
	ck_assert_msg(NEAR((w->rect.x0 + w->rect.x1) / 2, x) &&
			      NEAR((w->rect.y0 + w->rect.y1) / 2, y),
		      "page %d centre (%.2f, %.2f), expected (%.2f, %.2f)", page,
		      (w->rect.x0 + w->rect.x1) / 2, (w->rect.y0 + w->rect.y1) / 2, x, y);
}

START_TEST(resolve_geometry)
{
	struct pdf_seal s = { .png = seal, .png_len = seal_len, .width_mm = 0 };
	struct pdf_placement pl[6] = {
		{ .mode = PDF_PLACE_NORMAL, .page = 1, .x = 300, .y = 400 },
		{ .mode = PDF_PLACE_NORMAL, .page = 2, .x = 100, .y = 80 },
		{ .mode = PDF_PLACE_NORMAL, .page = 3, .x = 70, .y = 80 },
		{ .mode = PDF_PLACE_NORMAL, .page = 4, .x = 70, .y = 80 },
		{ .mode = PDF_PLACE_SEAM, .pages = "1-4", .y = 300 },
		{ .mode = PDF_PLACE_MULTI, .pages = "1,3", .x = 200, .y = 200 },
	};
	struct pdf_widget_rect *w = NULL;
	struct sp_errinfo ei;
	struct pdf_doc *doc;
	unsigned char *d;
	size_t n, nw, i;

	d = geometry_pdf(&n);
	doc = open_ok(d, n);
	sp_errinfo_init(&ei);
	ck_assert_msg(pdf_placements_resolve(doc, &s, 1, pl, 6, &w, &nw, &ei) == SP_OK, "%s",
		      ei.msg);
	ck_assert_uint_eq(nw, 4 + 4 + 2);
	centre_is(&w[0], 1, 300, 400);
	ck_assert(NEAR(w[0].rect.x1 - w[0].rect.x0, S42) && NEAR(w[0].rect.y1 - w[0].rect.y0, S42));
	centre_is(&w[1], 2, 612 - 80, 100);
	centre_is(&w[2], 3, 100 + 612 - 70, 200 + 792 - 80);
	centre_is(&w[3], 4, 50 + 80, 60 + 700 - 70);
	/* Seam: slice i of 4 at the displayed right edge, S/4 wide on screen. */
	for (i = 0; i < 4; i++) {
		ck_assert_int_eq(w[4 + i].slice, (int)i);
		ck_assert_int_eq(w[4 + i].nslices, 4);
		ck_assert(NEAR(w[4 + i].view.x1 - w[4 + i].view.x0, S42 / 4));
	}
	ck_assert(NEAR(w[4].rect.x1, 612) && NEAR(w[4].rect.x0, 612 - S42 / 4));
	/* /Rotate 90: the displayed right edge is the top of user space. */
	ck_assert(NEAR(w[5].rect.y1, 792) && NEAR(w[5].rect.y0, 792 - S42 / 4));
	/* /Rotate 180 on a shifted MediaBox: the left edge, x = 100. */
	ck_assert(NEAR(w[6].rect.x0, 100) && NEAR(w[6].rect.x1, 100 + S42 / 4));
	/* /Rotate 270 with a CropBox: the bottom of the CropBox, y = 60. */
	ck_assert(NEAR(w[7].rect.y0, 60) && NEAR(w[7].rect.y1, 60 + S42 / 4));
	centre_is(&w[8], 1, 200, 200);
	centre_is(&w[9], 3, 100 + 612 - 200, 200 + 792 - 200);
	free(w);
	/* Pages named out of order: the slices still run 0..3 over pages 1..4. */
	pl[4].pages = "3,1,4,2";
	ck_assert_msg(pdf_placements_resolve(doc, &s, 1, &pl[4], 1, &w, &nw, &ei) == SP_OK, "%s",
		      ei.msg);
	ck_assert_uint_eq(nw, 4);
	for (i = 0; i < 4; i++) {
		ck_assert_int_eq(w[i].page, (int)i + 1);
		ck_assert_int_eq(w[i].slice, (int)i);
	}
	free(w);
	pdf_doc_free(doc);
	free(d);
}
END_TEST

START_TEST(resolve_refuses_invalid)
{
	struct pdf_seal s = { .png = seal, .png_len = seal_len, .width_mm = 40 };
	struct {
		struct pdf_placement p;
		const char *msg;
	} bad[] = {
		{ { .mode = PDF_PLACE_NORMAL, .page = 5, .x = 1, .y = 1 }, "out of range" },
		{ { .mode = PDF_PLACE_NORMAL, .page = 0, .x = 1, .y = 1 }, "out of range" },
		{ { .mode = PDF_PLACE_NORMAL, .page = 1, .x = 700, .y = 10 }, "outside" },
		{ { .mode = PDF_PLACE_NORMAL, .page = 2, .x = 10, .y = 700 }, "outside" },
		{ { .mode = PDF_PLACE_DATE, .page = 1, .x = -1, .y = 10 }, "outside" },
		{ { .mode = PDF_PLACE_SEAM, .pages = "2", .y = 100 }, "at least 2 pages" },
		{ { .mode = PDF_PLACE_SEAM, .pages = "1-9", .y = 100 }, "page range" },
		{ { .mode = PDF_PLACE_MULTI, .pages = NULL, .x = 1, .y = 1 }, "page range" },
		{ { .mode = (enum pdf_place_mode)99, .page = 1 }, "unknown mode" },
		{ { .mode = PDF_PLACE_NORMAL, .seal = 1, .page = 1, .x = 1, .y = 1 }, "seal 1" },
		{ { .mode = PDF_PLACE_KEYWORD, .keyword = "no such words here" }, "not found" },
		{ { .mode = PDF_PLACE_KEYWORD, .keyword = "Party B (seal)", .occurrences = "3" },
		  "occurrences" },
	};
	struct pdf_widget_rect *w = NULL;
	enum pdf_place_mode m;
	struct sp_errinfo ei;
	struct pdf_doc *doc;
	unsigned char *d;
	size_t n, nw, i;

	d = geometry_pdf(&n);
	doc = open_ok(d, n);
	for (i = 0; i < SP_ARRAY_LEN(bad); i++) {
		sp_errinfo_init(&ei);
		ck_assert_msg(pdf_placements_resolve(doc, &s, 1, &bad[i].p, 1, &w, &nw, &ei) ==
				      SP_ERR_INVALID,
			      "case %zu accepted", i);
		ck_assert(w == NULL && nw == 0);
		ck_assert_msg(strstr(ei.msg, bad[i].msg), "case %zu: \"%s\" lacks \"%s\"", i,
			      ei.msg, bad[i].msg);
	}
	sp_errinfo_init(&ei);
	ck_assert_int_eq(pdf_place_mode_parse("seam", &m, &ei), SP_OK);
	ck_assert_int_eq(m, PDF_PLACE_SEAM);
	ck_assert_int_eq(pdf_place_mode_parse("stamp", &m, &ei), SP_ERR_INVALID);
	ck_assert_ptr_nonnull(strstr(ei.msg, "unknown placement mode"));
	pdf_doc_free(doc);
	free(d);
}
END_TEST

/* Resolve one placement; SP_OK or the refusal's code, with its message in ei. */
static int
resolve1(struct pdf_doc *doc, double seal_mm, const struct pdf_placement *p,
	 struct pdf_widget_rect **w, size_t *nw, struct sp_errinfo *ei)
{
	struct pdf_seal s = { .png = seal, .png_len = seal_len, .width_mm = seal_mm };

	sp_errinfo_init(ei);
	return pdf_placements_resolve(doc, &s, 1, p, 1, w, nw, ei);
}

/* Every mode refuses a box that reaches past the visible page, on plain and
 * rotated/cropped pages, and accepts one that touches the edge exactly. */
START_TEST(resolve_keeps_boxes_on_page)
{
	const double h = S42 / 2;
	double dw, dh;
	struct {
		struct pdf_placement p;
		const char *msg; /* NULL: accepted */
	} cases[] = {
		/* normal: a seal at (10,10) would be three quarters off the page */
		{ { .mode = PDF_PLACE_NORMAL, .page = 1, .x = 10, .y = 10 },
		  "the seal -49.5,-49.5 - 69.5,69.5 (centre 10.0,10.0) reaches outside page 1, "
		  "whose visible box is 0,0 - 612.0,792.0" },
		{ { .mode = PDF_PLACE_NORMAL, .page = 1, .x = h, .y = h }, NULL },
		{ { .mode = PDF_PLACE_NORMAL, .page = 1, .x = 612 - h, .y = 792 - h }, NULL },
		{ { .mode = PDF_PLACE_NORMAL, .page = 1, .x = 612 - h + 0.5, .y = 400 },
		  "outside page 1" },
		{ { .mode = PDF_PLACE_NORMAL, .page = 1, .x = 300, .y = h - 0.5 },
		  "outside page 1" },
		/* /Rotate 90: displayed 792 wide, 612 high */
		{ { .mode = PDF_PLACE_NORMAL, .page = 2, .x = 700, .y = 612 - h }, NULL },
		{ { .mode = PDF_PLACE_NORMAL, .page = 2, .x = 700, .y = 612 - h + 1 },
		  "visible box is 0,0 - 792.0,612.0" },
		/* /Rotate 270 with a CropBox 500 x 700: displayed 700 x 500 */
		{ { .mode = PDF_PLACE_NORMAL, .page = 4, .x = 700 - h, .y = 500 - h }, NULL },
		{ { .mode = PDF_PLACE_NORMAL, .page = 4, .x = 690, .y = 250 },
		  "outside page 4, whose visible box is 0,0 - 700.0,500.0" },
		/* date: a corner would cut "2026-12-03" */
		{ { .mode = PDF_PLACE_DATE, .page = 1, .x = 600, .y = 5 }, "the date stamp" },
		{ { .mode = PDF_PLACE_DATE, .page = 3, .x = 1, .y = 400 }, "outside page 3" },
		/* multi: each page is checked; page 2 is lower once rotated */
		{ { .mode = PDF_PLACE_MULTI, .pages = "1-4", .x = 300, .y = 650 },
		  "outside page 2" },
		{ { .mode = PDF_PLACE_MULTI, .pages = "1,3", .x = 300, .y = 650 }, NULL },
		/* keyword: the hit near the top-left of page 1, pushed above the page */
		{ { .mode = PDF_PLACE_KEYWORD, .keyword = "Party B (seal)", .dy = 280 },
		  "outside page 1" },
		{ { .mode = PDF_PLACE_KEYWORD, .keyword = "Party B (seal)", .dx = -200 },
		  "outside page 1" },
		/* ... and the hit on the rotated, cropped page 4 (centre near u=360) */
		{ { .mode = PDF_PLACE_KEYWORD,
		    .keyword = "Party B (seal)",
		    .occurrences = "2",
		    .dx = 300 },
		  "outside page 4" },
		/* seam: each page's slice keeps the seal's height within that page */
		{ { .mode = PDF_PLACE_SEAM, .pages = "1-4", .y = 30 }, "the seam slice" },
		{ { .mode = PDF_PLACE_SEAM, .pages = "1-4", .y = 500 - h + 1 }, "outside page 4" },
		{ { .mode = PDF_PLACE_SEAM, .pages = "1-4", .y = 500 - h }, NULL },
		{ { .mode = PDF_PLACE_SEAM, .pages = "1,3", .y = 792 - h }, NULL },
	};
	struct pdf_widget_rect *w = NULL;
	struct sp_errinfo ei;
	struct pdf_page_info pi;
	struct pdf_doc *doc;
	unsigned char *d;
	size_t n, nw, i, k;
	int r;

	/* The date stamp: "YYYY-MM-DD" in 10 pt Helvetica plus 8 pt padding. */
	dw = (8 * 556 + 2 * 333) / 1000.0 * 10 + 8;
	dh = 10 + 8;
	d = geometry_pdf(&n);
	doc = open_ok(d, n);
	for (i = 0; i < SP_ARRAY_LEN(cases); i++) {
		r = resolve1(doc, 0, &cases[i].p, &w, &nw, &ei);
		if (cases[i].msg == NULL) {
			ck_assert_msg(r == SP_OK, "case %zu refused: %s", i, ei.msg);
			for (k = 0; k < nw; k++) {
				ck_assert(pdf_doc_page_info(doc, w[k].page, &pi, &ei) == SP_OK);
				ck_assert_msg(w[k].view.x0 > -1e-6 && w[k].view.y0 > -1e-6 &&
						      w[k].view.x1 < pi.width + 1e-6 &&
						      w[k].view.y1 < pi.height + 1e-6,
					      "case %zu box %zu off page", i, k);
			}
			free(w);
			w = NULL;
			continue;
		}
		ck_assert_msg(r == SP_ERR_INVALID, "case %zu accepted", i);
		ck_assert(w == NULL && nw == 0);
		ck_assert_str_eq(ei.reason, "placement_outside");
		ck_assert_msg(strstr(ei.msg, cases[i].msg), "case %zu: \"%s\" lacks \"%s\"", i,
			      ei.msg, cases[i].msg);
	}
	/* A date stamp touching the bottom-left corner exactly fits. */
	{
		struct pdf_placement p = {
			.mode = PDF_PLACE_DATE, .page = 1, .x = dw / 2, .y = dh / 2
		};
		ck_assert_msg(resolve1(doc, 0, &p, &w, &nw, &ei) == SP_OK, "%s", ei.msg);
		ck_assert(NEAR(w[0].rect.x0, 0) && NEAR(w[0].rect.y0, 0));
		free(w);
	}
	/* /Rotate 180 on a shifted MediaBox: the displayed top-right corner is the
	 * user-space bottom-left (100, 200). */
	{
		struct pdf_placement p = {
			.mode = PDF_PLACE_NORMAL, .page = 3, .x = 612 - h, .y = 792 - h
		};
		ck_assert_msg(resolve1(doc, 0, &p, &w, &nw, &ei) == SP_OK, "%s", ei.msg);
		ck_assert(NEAR(w[0].rect.x0, 100) && NEAR(w[0].rect.y0, 200));
		free(w);
	}
	/* A seal wider than the page fits nowhere on it. */
	{
		struct pdf_placement p = {
			.mode = PDF_PLACE_NORMAL, .page = 1, .x = 306, .y = 396
		};
		ck_assert_int_eq(resolve1(doc, 300, &p, &w, &nw, &ei), SP_ERR_INVALID);
		ck_assert_ptr_nonnull(strstr(ei.msg, "outside page 1"));
	}
	pdf_doc_free(doc);
	free(d);
}
END_TEST

/*
 * /UserUnit (PDF 1.6): one unit of the page's user space is that many points.
 * Placements stay in displayed points: the seal is 42 mm on paper, its widget
 * half as many units on a /UserUnit 2 page, the page's displayed size twice
 * its box; a keyword's seal still centres on the text. Not a positive number
 * up to 75,000: ignored, as viewers ignore it.
 */
START_TEST(user_unit_pages)
{
	struct tpage pg[2] = { { 0 } };
	struct pdf_seal s = { .png = seal, .png_len = seal_len, .width_mm = 0 };
	struct pdf_placement pl[3] = {
		{ .mode = PDF_PLACE_NORMAL, .page = 1, .x = 300, .y = 400 },
		{ .mode = PDF_PLACE_KEYWORD, .keyword = "Party B (seal)" },
		{ .mode = PDF_PLACE_SEAM, .pages = "1-2", .y = 300 },
	};
	struct pdf_page_info pi;
	struct pdf_widget_rect *w = NULL;
	struct pdf_text_hit *hits = NULL;
	struct sp_errinfo ei;
	struct pdf_doc *doc;
	unsigned char *d;
	size_t n, nw, nh;

	pg[0].user_unit = 2;
	pg[0].text = "Party B (seal)";
	pg[0].tx = 100, pg[0].ty = 300;
	pg[1].user_unit = 2;
	pg[1].rotate = 90;
	d = make_pdf(pg, 2, &n);
	doc = open_ok(d, n);
	sp_errinfo_init(&ei);
	ck_assert_int_eq(pdf_doc_page_info(doc, 1, &pi, &ei), SP_OK);
	ck_assert(NEAR(pi.unit, 2) && NEAR(pi.width, 1224) && NEAR(pi.height, 1584));
	ck_assert_msg(pdf_text_find(doc, "Party B (seal)", &hits, &nh, &ei) == SP_OK, "%s", ei.msg);
	ck_assert_uint_eq(nh, 1);
	ck_assert_msg(pdf_placements_resolve(doc, &s, 1, pl, 3, &w, &nw, &ei) == SP_OK, "%s",
		      ei.msg);
	ck_assert_uint_eq(nw, 4);
	centre_is(&w[0], 1, 150, 200);
	ck_assert(NEAR(w[0].rect.x1 - w[0].rect.x0, S42 / 2));
	centre_is(&w[1], 1, (hits[0].x0 + hits[0].x1) / 2, (hits[0].y0 + hits[0].y1) / 2);
	/* the seam at the displayed right edge: x = 612 units on page 1, y = 792 on page 2 */
	ck_assert(NEAR(w[2].rect.x1, 612) && NEAR(w[2].rect.x0, 612 - S42 / 4));
	ck_assert(NEAR(w[3].rect.y1, 792) && NEAR(w[3].rect.y0, 792 - S42 / 4));
	free(w);
	free(hits);
	pdf_doc_free(doc);
	free(d);

	pg[0].user_unit = -1;
	d = make_pdf(pg, 1, &n);
	doc = open_ok(d, n);
	ck_assert_int_eq(pdf_doc_page_info(doc, 1, &pi, &ei), SP_OK);
	ck_assert(NEAR(pi.unit, 1) && NEAR(pi.width, 612));
	pdf_doc_free(doc);
	free(d);
}
END_TEST

START_TEST(keyword_centres_on_hits)
{
	struct pdf_seal s = { .png = seal, .png_len = seal_len, .width_mm = 0 };
	struct pdf_placement pl[2] = {
		{ .mode = PDF_PLACE_KEYWORD, .keyword = "Party B (seal)" },
		{ .mode = PDF_PLACE_KEYWORD,
		  .keyword = "Party B (seal)",
		  .occurrences = "2",
		  .dx = 10,
		  .dy = -5 },
	};
	struct pdf_widget_rect *w = NULL;
	struct pdf_text_hit *hits = NULL;
	struct sp_errinfo ei;
	struct pdf_doc *doc;
	unsigned char *d;
	size_t n, nw, nh;

	d = geometry_pdf(&n);
	doc = open_ok(d, n);
	sp_errinfo_init(&ei);
	ck_assert_msg(pdf_text_find(doc, "Party B (seal)", &hits, &nh, &ei) == SP_OK, "%s", ei.msg);
	ck_assert_uint_eq(nh, 2);
	ck_assert_msg(pdf_placements_resolve(doc, &s, 1, pl, 2, &w, &nw, &ei) == SP_OK, "%s",
		      ei.msg);
	ck_assert_uint_eq(nw, 3);
	centre_is(&w[0], 1, (hits[0].x0 + hits[0].x1) / 2, (hits[0].y0 + hits[0].y1) / 2);
	centre_is(&w[1], 4, (hits[1].x0 + hits[1].x1) / 2, (hits[1].y0 + hits[1].y1) / 2);
	/* The text starts at (300, 400) in user space on the /Rotate 270 page. */
	ck_assert(hits[1].x0 > 295 && hits[1].x0 < 305 && hits[1].y0 < 401 && hits[1].y1 > 399);
	/* Offsets are in displayed coordinates: on /Rotate 270, +dx is -y, +dy is +x. */
	centre_is(&w[2], 4, (hits[1].x0 + hits[1].x1) / 2 - 5, (hits[1].y0 + hits[1].y1) / 2 - 10);
	free(hits);
	free(w);
	pdf_doc_free(doc);
	free(d);
}
END_TEST

/* Every mode at once, on a classic-xref and an xref-stream original. */
START_TEST(prepare_all_modes_both_xref_kinds)
{
	struct pdf_placement pl[] = {
		{ .mode = PDF_PLACE_NORMAL, .page = 1, .x = 300, .y = 300 },
		{ .mode = PDF_PLACE_MULTI, .seal = 1, .pages = "2-3", .x = 150, .y = 150 },
		{ .mode = PDF_PLACE_SEAM, .pages = "all", .y = 300 },
		{ .mode = PDF_PLACE_KEYWORD, .keyword = "Party B (seal)", .dx = 20 },
		{ .mode = PDF_PLACE_DATE, .page = 4, .x = 200, .y = 100 },
	};
	struct pdf_sig_prepared p, p2;
	struct sp_errinfo ei;
	unsigned char *d, *date;
	size_t n, vn;
	int annots[4], sig, kind;

	/* classic table; xref stream with object streams; linearized (table);
	 * linearized with object streams (xref streams). */
	static const char *const variants[] = { NULL, "--object-streams=generate", "--linearize",
						"--linearize --object-streams=generate" };
	static const enum pdf_xref_kind kinds[] = { PDF_XREF_TABLE, PDF_XREF_STREAM, PDF_XREF_TABLE,
						    PDF_XREF_STREAM };

	d = geometry_pdf(&n);
	for (kind = 0; kind < 4; kind++) {
		unsigned char *o = kind ? qpdf_variant(d, n, variants[kind], &vn) : d;
		size_t on = kind ? vn : n;
		ck_assert_msg(prepare(o, on, pl, SP_ARRAY_LEN(pl), &p, &ei) == SP_OK, "%s", ei.msg);
		ck_assert_uint_eq(p.nrects, 1 + 2 + 4 + 2 + 1);
		check_prepared(&p, o, on, kinds[kind], "modes.pdf");
		qpdf_counts(p.data, p.len, annots, 4, &sig);
		ck_assert_int_eq(sig, 1);
		/* page 1: normal, seam, keyword; 2: multi, seam; 3: multi, seam; 4: seam, keyword, date */
		ck_assert(annots[0] == 3 && annots[1] == 2 && annots[2] == 2 && annots[3] == 3);
		/* The date stamp shows the local (UTC+8) date of the signing time. */
		date = memmem(p.data + on, p.len - on, "(2026-11-18) Tj", 15);
		ck_assert_ptr_nonnull(date);
		ck_assert_ptr_nonnull(memmem(p.data + on, p.len - on, "/M (D:20261118", 14));
		ck_assert_ptr_nonnull(memmem(p.data + on, p.len - on, "/SMask", 6));
		ck_assert_ptr_nonnull(memmem(p.data + on, p.len - on, "/F 132", 6));
		/* Deterministic: the same inputs give the same bytes. */
		ck_assert_int_eq(prepare(o, on, pl, SP_ARRAY_LEN(pl), &p2, &ei), SP_OK);
		ck_assert_uint_eq(p.len, p2.len);
		ck_assert_mem_eq(p.data, p2.data, p.len);
		ck_assert_mem_eq(p.sha256, p2.sha256, 32);
		pdf_sig_prepared_cleanup(&p);
		pdf_sig_prepared_cleanup(&p2);
		if (kind)
			free(o);
	}
	free(d);
}
END_TEST

START_TEST(fill_fits_or_refuses)
{
	struct pdf_placement pl = { .mode = PDF_PLACE_NORMAL, .page = 1, .x = 300, .y = 300 };
	struct pdf_sig_prepared p;
	struct sp_errinfo ei;
	unsigned char *d, *copy, der[5000];
	size_t n;

	memset(der, 0xab, sizeof(der));
	d = make_plain_pdf(1, &n);
	ck_assert_int_eq(prepare(d, n, &pl, 1, &p, &ei), SP_OK);
	ck_assert_uint_eq(p.contents_len, 2 * 4096 + 2);
	copy = malloc(p.len);
	memcpy(copy, p.data, p.len);
	sp_errinfo_init(&ei);
	ck_assert_int_eq(pdf_sig_fill(p.data, p.len, p.contents_off, p.contents_len, der, 4097,
				      &ei),
			 SP_ERR_TOO_LARGE);
	ck_assert_mem_eq(p.data, copy, p.len); /* nothing written */
	ck_assert_int_eq(pdf_sig_fill(p.data, p.len, p.contents_off + 1, p.contents_len, der, 10,
				      &ei),
			 SP_ERR_INVALID);
	sp_errinfo_init(&ei);
	ck_assert_int_eq(pdf_sig_fill(p.data, p.len, p.contents_off, p.contents_len, der, 4096,
				      &ei),
			 SP_OK);
	ck_assert_int_eq(memcmp(p.data + p.contents_off, "<ABAB", 5), 0);
	ck_assert_int_eq(p.data[p.contents_off + p.contents_len - 2], 'B');
	ck_assert_mem_eq(p.data, copy, p.contents_off);
	ck_assert_mem_eq(p.data + p.contents_off + p.contents_len,
			 copy + p.contents_off + p.contents_len,
			 p.len - p.contents_off - p.contents_len);
	/* A filled placeholder is not filled again. */
	ck_assert_int_eq(pdf_sig_fill(p.data, p.len, p.contents_off, p.contents_len, der, 10, &ei),
			 SP_ERR_INVALID);
	free(copy);
	pdf_sig_prepared_cleanup(&p);
	free(d);
}
END_TEST

/* A second signature on top of the first, for both xref kinds. */
START_TEST(two_signatures_in_a_row)
{
	struct pdf_placement pl = { .mode = PDF_PLACE_SEAM, .pages = "all", .y = 200 };
	struct pdf_placement pl2 = { .mode = PDF_PLACE_NORMAL, .page = 2, .x = 300, .y = 300 };
	struct pdf_sig_prepared p1, p2;
	struct pdf_doc_info info;
	struct sp_errinfo ei;
	struct pdf_doc *doc;
	unsigned char *d, *o, der[64];
	size_t n, on;
	int annots[3], sig, kind;

	memset(der, 0x30, sizeof(der));
	d = make_plain_pdf(3, &n);
	for (kind = 0; kind < 2; kind++) {
		o = kind ? qpdf_variant(d, n, "--object-streams=generate", &on) : d;
		if (!kind)
			on = n;
		ck_assert_int_eq(prepare(o, on, &pl, 1, &p1, &ei), SP_OK);
		ck_assert_int_eq(pdf_sig_fill(p1.data, p1.len, p1.contents_off, p1.contents_len,
					      der, sizeof(der), &ei),
				 SP_OK);
		doc = open_ok(p1.data, p1.len);
		pdf_doc_info_get(doc, &info);
		ck_assert_int_eq(info.xref_kind, kind ? PDF_XREF_STREAM : PDF_XREF_TABLE);
		ck_assert(info.has_acroform && info.nsigfields == 1 && info.nsigned == 1);
		ck_assert_int_eq(info.damaged, 0);
		pdf_doc_free(doc);
		ck_assert_msg(prepare(p1.data, p1.len, &pl2, 1, &p2, &ei) == SP_OK, "%s", ei.msg);
		check_prepared(&p2, p1.data, p1.len, kind ? PDF_XREF_STREAM : PDF_XREF_TABLE,
			       "second.pdf");
		qpdf_counts(p2.data, p2.len, annots, 3, &sig);
		ck_assert_int_eq(sig, 2);
		trailer_kept(p2.data, p2.len);
		ck_assert(annots[0] == 1 && annots[1] == 2 && annots[2] == 1);
		ck_assert_ptr_nonnull(memmem(p2.data + p1.len, p2.len - p1.len, "(Signature2)", 12)
					      ? (void *)1
					      : memmem(p2.data + p1.len, p2.len - p1.len,
						       "<5369676E617475726532>", 22));
		pdf_sig_prepared_cleanup(&p1);
		pdf_sig_prepared_cleanup(&p2);
		if (kind)
			free(o);
	}
	free(d);
}
END_TEST

START_TEST(invisible_signature_and_existing_form)
{
	struct pdf_sig_prepared p;
	struct sp_errinfo ei;
	unsigned char *d;
	size_t n;
	int annots[1] = { -1 }, sig; /* -1: no page was counted */

	d = make_plain_pdf(1, &n);
	ck_assert_int_eq(prepare(d, n, NULL, 0, &p, &ei), SP_OK);
	ck_assert_uint_eq(p.nrects, 1);
	check_prepared(&p, d, n, PDF_XREF_TABLE, "invisible.pdf");
	qpdf_counts(p.data, p.len, annots, 1, &sig);
	ck_assert(annots[0] == 1 && sig == 1);
	pdf_sig_prepared_cleanup(&p);
	free(d);
}
END_TEST
int
main(void)
{
	Suite *s = suite_create("pdf");
	TCase *tc = tcase_create("writer");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, reader_facts_table_and_stream);
	tcase_add_test(tc, reader_refuses_bad_input);
	tcase_add_test(tc, page_ranges);
	tcase_add_test(tc, resolve_geometry);
	tcase_add_test(tc, resolve_refuses_invalid);
	tcase_add_test(tc, resolve_keeps_boxes_on_page);
	tcase_add_test(tc, keyword_centres_on_hits);
	tcase_add_test(tc, user_unit_pages);
	tcase_add_test(tc, prepare_all_modes_both_xref_kinds);
	tcase_add_test(tc, fill_fits_or_refuses);
	tcase_add_test(tc, two_signatures_in_a_row);
	tcase_add_test(tc, invisible_signature_and_existing_form);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
