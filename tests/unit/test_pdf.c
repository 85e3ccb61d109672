/*
 * test_pdf.c: pdf/ reader, page ranges, placement resolution and the
 * incremental signature writer, judged with qpdf (CLI and C API) and
 * OpenSSL on the produced bytes.
 */
#include <stdarg.h>
#include <check.h>
#include <openssl/evp.h>
#include <qpdf/qpdf-c.h>

#include "pdf.h"
#include "pdf_int.h"
#include "../fixtures/pdf-writer/pdfgen.h"
#include "support_tmp.h"

static const char *dir;
static unsigned char *seal;
static size_t seal_len;
static const time_t T0 = 1795000000; /* 2026-11-18 11:06:40 UTC */

static struct pdf_doc *
open_ok(const unsigned char *d, size_t n)
{
	struct sp_errinfo ei;
	struct pdf_doc *doc = NULL;

	sp_errinfo_init(&ei);
	ck_assert_msg(pdf_doc_open(d, n, &doc, &ei) == SP_OK, "open: %s", ei.msg);
	return doc;
}

/* Convert the file with the qpdf CLI (e.g. "--object-streams=generate"). */
static unsigned char *
qpdf_variant(const unsigned char *d, size_t n, const char *args, size_t *outn)
{
	char in[512], out[512];
	unsigned char *r;

	snprintf(in, sizeof(in), "%s/variant-in.pdf", dir);
	snprintf(out, sizeof(out), "%s/variant-out.pdf", dir);
	write_file(in, d, n);
	ck_assert_int_eq(run("qpdf %s %s %s", args, in, out), 0);
	r = read_file(out, outn);
	ck_assert_ptr_nonnull(r);
	return r;
}

/* Count /Annots on each page and signature fields, reading the file with qpdf. */
static void
qpdf_counts(const unsigned char *d, size_t n, int *annots, int maxpages, int *sigfields)
{
	qpdf_data q = qpdf_init();
	qpdf_oh root, fields;
	int i, np;

	qpdf_silence_errors(q);
	ck_assert_int_eq(qpdf_read_memory(q, "out.pdf", (const char *)d, n, "") & QPDF_ERRORS, 0);
	np = qpdf_get_num_pages(q);
	for (i = 0; i < np && i < maxpages; i++) {
		qpdf_oh a = qpdf_oh_get_key(q, qpdf_get_page_n(q, (size_t)i), "/Annots");
		annots[i] = qpdf_oh_is_array(q, a) ? qpdf_oh_get_array_n_items(q, a) : 0;
	}
	root = qpdf_get_root(q);
	fields = qpdf_oh_get_key(q, qpdf_oh_get_key(q, root, "/AcroForm"), "/Fields");
	*sigfields = 0;
	for (i = 0; qpdf_oh_is_array(q, fields) && i < qpdf_oh_get_array_n_items(q, fields); i++) {
		qpdf_oh f = qpdf_oh_get_array_item(q, fields, i);
		if (qpdf_oh_is_name_and_equals(q, qpdf_oh_get_key(q, f, "/FT"), "/Sig"))
			(*sigfields)++;
	}
	ck_assert_int_eq(qpdf_oh_get_int_value(q, qpdf_oh_get_key(q,
								  qpdf_oh_get_key(q, root,
										  "/AcroForm"),
								  "/SigFlags")),
			 3);
	qpdf_cleanup(&q);
}

/* /Info and /ID of the original survive the updates. */
static void
trailer_kept(const unsigned char *d, size_t n)
{
	qpdf_data q = qpdf_init();
	qpdf_oh tr;
	size_t len = 0;
	const char *id;

	qpdf_silence_errors(q);
	ck_assert_int_eq(qpdf_read_memory(q, "out.pdf", (const char *)d, n, "") & QPDF_ERRORS, 0);
	tr = qpdf_get_trailer(q);
	ck_assert_str_eq(qpdf_oh_get_utf8_value(q,
						qpdf_oh_get_key(q, qpdf_oh_get_key(q, tr, "/Info"),
								"/Title")),
			 "Contract");
	id = qpdf_oh_get_binary_string_value(q,
					     qpdf_oh_get_array_item(q,
								    qpdf_oh_get_key(q, tr, "/ID"),
								    0),
					     &len);
	ck_assert_uint_eq(len, 16);
	ck_assert_mem_eq(id, "\x00\x11\x22\x33\x44\x55\x66\x77\x88\x99\xaa\xbb\xcc\xdd\xee\xff",
			 16);
	qpdf_cleanup(&q);
}

/* What every prepared file must satisfy; writes it as name and runs qpdf --check. */
static void
check_prepared(const struct pdf_sig_prepared *p, const unsigned char *orig, size_t orig_len,
	       enum pdf_xref_kind kind, const char *name)
{
	char path[512];
	const char *br;
	long long a, b, c, z;
	unsigned char md[32];
	unsigned int mdlen = 0;
	EVP_MD_CTX *mc = EVP_MD_CTX_new();

	ck_assert_uint_eq(p->orig_len, orig_len);
	ck_assert_msg(p->len > orig_len && memcmp(p->data, orig, orig_len) == 0,
		      "original bytes are not an exact prefix");
	ck_assert_int_eq(p->byte_range[0], 0);
	ck_assert_int_eq(p->byte_range[1], (long long)p->contents_off);
	ck_assert_int_eq(p->byte_range[2], (long long)(p->contents_off + p->contents_len));
	ck_assert_int_eq(p->byte_range[2] + p->byte_range[3], (long long)p->len);
	ck_assert_int_eq(p->data[p->contents_off], '<');
	ck_assert_int_eq(p->data[p->contents_off + p->contents_len - 1], '>');
	/* The /ByteRange written in the file says the same. */
	br = memmem(p->data + orig_len, p->len - orig_len, "/ByteRange [", 12);
	ck_assert_ptr_nonnull(br);
	ck_assert_int_eq(sscanf(br + 12, "%lld %lld %lld %lld", &z, &a, &b, &c), 4);
	ck_assert(z == 0 && a == p->byte_range[1] && b == p->byte_range[2] &&
		  c == p->byte_range[3]);
	ck_assert(EVP_DigestInit_ex(mc, EVP_sha256(), NULL) &&
		  EVP_DigestUpdate(mc, p->data, (size_t)a) &&
		  EVP_DigestUpdate(mc, p->data + b, (size_t)c) &&
		  EVP_DigestFinal_ex(mc, md, &mdlen));
	EVP_MD_CTX_free(mc);
	ck_assert_mem_eq(md, p->sha256, 32);
	/* The new section is of the previous revision's xref kind. */
	if (kind == PDF_XREF_STREAM)
		ck_assert_ptr_nonnull(
			memmem(p->data + orig_len, p->len - orig_len, "/Type /XRef", 11));
	else
		ck_assert_ptr_nonnull(memmem(p->data + orig_len, p->len - orig_len, "\nxref\n", 6));
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	write_file(path, p->data, p->len);
	ck_assert_msg(run("qpdf --check %s >/dev/null 2>&1", path) == 0, "qpdf --check %s", path);
}

static void
setup(void)
{
	dir = test_tmpdir_new("pdf");
	seal = make_seal_png(200, &seal_len);
}

static void
teardown(void)
{
	run("rm -rf %s", dir);
	free(seal);
}

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

static int
prepare(const unsigned char *d, size_t n, const struct pdf_placement *pl, size_t npl,
	struct pdf_sig_prepared *p, struct sp_errinfo *ei)
{
	struct pdf_seal s[2] = { { .png = seal, .png_len = seal_len, .width_mm = 0 },
				 { .png = seal, .png_len = seal_len, .width_mm = 30 } };
	struct pdf_sig_params par = { .signing_time = T0,
				      .utc_offset_min = 480,
				      .contents_max = 4096,
				      .reason = "签署合同",
				      .location = "Beijing" };
	struct pdf_doc *doc;
	int r;

	doc = open_ok(d, n);
	sp_errinfo_init(ei);
	r = pdf_sig_prepare(doc, &par, s, 2, pl, npl, p, ei);
	pdf_doc_free(doc);
	return r;
}

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
	int annots[1], sig;

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

/*
 * d plus one classic incremental update that redefines object num (body:
 * its dictionary), after the last trailer's /Size, /Root and startxref.
 */
static unsigned char *
append_update(const unsigned char *d, size_t n, int num, const char *body, size_t *outn)
{
	struct pdf_doc *doc = open_ok(d, n);
	struct pdf_doc_info in;
	size_t cap = n + strlen(body) + 512, at, xref;
	unsigned char *o = malloc(cap);
	long long size;

	pdf_doc_info_get(doc, &in);
	pdf_doc_free(doc);
	size = num >= in.size ? num + 1 : in.size;
	ck_assert_ptr_nonnull(o);
	memcpy(o, d, n);
	at = n + (size_t)snprintf((char *)o + n, cap - n, "\n");
	xref = at + (size_t)snprintf((char *)o + at, cap - at, "%d 0 obj\n%s\nendobj\n", num, body);
	*outn = xref + (size_t)snprintf((char *)o + xref, cap - xref,
					"xref\n0 1\n0000000000 65535 f \n%d 1\n%010zu 00000 n "
					"\ntrailer\n<< /Size %lld /Root %d 0 R /Prev %lld "
					">>\nstartxref\n%zu\n%%%%EOF\n",
					num, at, size, in.root_obj, in.startxref, xref);
	return o;
}

/* pages_kept over the last update of d (the revision before it is older's). */
static int
kept(struct pdf_doc *older, const unsigned char *d, size_t n)
{
	struct pdf_revision revs[16];
	struct pdf_doc *newer = NULL;
	struct sp_errinfo ei;
	size_t nrev = 0;
	int k;

	sp_errinfo_init(&ei);
	ck_assert_int_eq(pdf_revisions_find(d, n, revs, 16, &nrev, &ei), SP_OK);
	ck_assert_uint_ge(nrev, 2);
	ck_assert_int_eq(pdf_doc_open_known(d, n, NULL, 0, &newer, &ei), SP_OK);
	ck_assert_int_eq(pdf_doc_page_count(newer), 0); /* no page list read */
	k = pdf_pages_kept(older, newer, &revs[nrev - 1]);
	pdf_doc_free(newer);
	return k;
}

/*
 * pdf_revisions_extend() of d[0..n) from pdf_revisions_find() of
 * d[0..known): when it gives revisions, exactly pdf_revisions_find()'s of
 * d[0..n). Returns what it answered (-1: the known bytes do not read).
 */
static int
extend_same(const unsigned char *d, size_t n, size_t known)
{
	struct pdf_revision kr[32], er[32], fr[32];
	size_t nk = 0, ne = 0, nf = 0, i;
	struct sp_errinfo ei;
	int got, fok;

	sp_errinfo_init(&ei);
	if (pdf_revisions_find(d, known, kr, 32, &nk, &ei) != SP_OK)
		return -1;
	got = pdf_revisions_extend(d, n, kr, nk, known, er, 32, &ne);
	sp_errinfo_init(&ei);
	fok = pdf_revisions_find(d, n, fr, 32, &nf, &ei) == SP_OK;
	if (!got)
		return 0;
	ck_assert_msg(fok, "extended where the whole file does not read: %s", ei.msg);
	ck_assert_uint_eq(ne, nf);
	for (i = 0; i < nf; i++) {
		ck_assert_int_eq(er[i].xref, fr[i].xref);
		ck_assert_int_eq(er[i].xref_stream, fr[i].xref_stream);
		ck_assert_int_eq(er[i].xrefstm, fr[i].xrefstm);
		ck_assert_int_eq(er[i].linearized_main, fr[i].linearized_main);
		ck_assert_uint_eq(er[i].eof_end, fr[i].eof_end);
		ck_assert_uint_eq(er[i].end, fr[i].end);
		ck_assert_int_eq(er[i].trailing_garbage, fr[i].trailing_garbage);
	}
	return 1;
}

/*
 * The revision chain read where qpdf reads it: qpdf skips NUL, VT and FF as
 * white space (ISO 32000-2 has NUL and FF), so a /Prev or a startxref after
 * one of them is the chain qpdf reads, not a chain that ends there.
 */
START_TEST(revisions_found_across_every_white_space)
{
	const char spaces[] = { 0, '\v', '\f', '\t', '\r' };
	const char *at[] = { "/Prev ", "startxref\n" };
	struct pdf_revision plain[8], odd[8];
	struct pdf_doc *doc = NULL;
	struct pdf_doc_info in;
	struct sp_errinfo ei;
	unsigned char *b, *d, *m;
	size_t bn, n, nplain = 0, nodd = 0, i, j, k;

	b = make_plain_pdf(1, &bn);
	d = append_update(b, bn, 40, "<< /Update 1 >>", &n);
	sp_errinfo_init(&ei);
	ck_assert_int_eq(pdf_revisions_find(d, n, plain, 8, &nplain, &ei), SP_OK);
	ck_assert_uint_eq(nplain, 2);
	ck_assert_ptr_nonnull(m = malloc(n));
	for (i = 0; i < sizeof(spaces); i++)
		for (j = 0; j < 2; j++) {
			const unsigned char *w = memmem(d + bn, n - bn, at[j], strlen(at[j]));

			ck_assert_ptr_nonnull(w);
			memcpy(m, d, n);
			m[(size_t)(w - d) + strlen(at[j]) - 1] = (unsigned char)spaces[i];
			/* qpdf reads it as it reads the plain file */
			ck_assert_int_eq(pdf_doc_open(m, n, &doc, &ei), SP_OK);
			pdf_doc_info_get(doc, &in);
			ck_assert_int_eq(in.damaged, 0);
			ck_assert_int_eq(in.startxref, plain[1].xref);
			pdf_doc_free(doc);
			/* and so do we */
			sp_errinfo_init(&ei);
			ck_assert_msg(pdf_revisions_find(m, n, odd, 8, &nodd, &ei) == SP_OK,
				      "byte %d after %s: %s", spaces[i], at[j], ei.msg);
			ck_assert_uint_eq(nodd, nplain);
			for (k = 0; k < nodd; k++) {
				ck_assert_int_eq(odd[k].xref, plain[k].xref);
				ck_assert_uint_eq(odd[k].end, plain[k].end);
			}
		}
	free(m);
	free(d);
	free(b);
}
END_TEST

/*
 * The newest startxref and /Prev written so that a byte scanner and qpdf may
 * read different things: digits run on into a word or a real ("startxref
 * 1234abc", "startxref1234", "1234.5"), a reference for /Prev, more than 15
 * digits with leading zeros. qpdf takes "startxref" only as a word followed
 * by an integer token, else goes back to the startxref before it (the base
 * revision's, read without a repair or a warning: the update silently
 * unseen) or repairs the file; it reads the leading zeros' number whole.
 * pdf_revisions_find() and pdf_doc_open()'s own startxref (doc.c) read each
 * as qpdf does or refuse it (revision_structure; damaged), never another
 * chain: they took 1234 from "startxref 1234abc" (two revisions where qpdf
 * reads one), and the first 15 digits of "/Prev 0000000000000000123" (one
 * revision where qpdf reads two).
 */
START_TEST(revisions_read_as_qpdf_reads_numbers)
{
	/* the newest update's "startxref\nN\n" (or "/Prev N "), written pre N post */
	static const struct {
		int prev;
		const char *pre, *post;
		int same; /* 1: read as the plain file, 0: refused */
	} cases[] = {
		{ 0, "startxref\n", "abc\n", 0 },
		{ 0, "startxref\n", ".5\n", 0 },
		{ 0, "startxref", "\n", 0 },
		{ 0, "startxref\n", ")\n", 1 },
		{ 0, "startxref\n0000000000000000000", "\n", 1 },
		{ 1, "/Prev ", "x ", 0 },
		{ 1, "/Prev ", " 0 R ", 0 },
		{ 1, "/Prev 00000000000000000000", " ", 1 },
	};
	struct pdf_revision plain[8], odd[8];
	struct pdf_doc *doc = NULL;
	struct pdf_doc_info in;
	struct sp_errinfo ei, e2;
	unsigned char *b, *d, *m;
	size_t bn, n, nplain = 0, nodd = 0, i, k, mn;
	char from[64], to[64];
	const unsigned char *w;
	int rc;

	b = make_plain_pdf(1, &bn);
	d = append_update(b, bn, 40, "<< /Update 1 >>", &n);
	sp_errinfo_init(&ei);
	ck_assert_int_eq(pdf_revisions_find(d, n, plain, 8, &nplain, &ei), SP_OK);
	ck_assert_uint_eq(nplain, 2);
	ck_assert_ptr_nonnull(m = malloc(n + 64));
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		long long v = cases[i].prev ? plain[0].xref : plain[1].xref;

		snprintf(from, sizeof(from), "%s%lld%s", cases[i].prev ? "/Prev " : "startxref\n",
			 v, cases[i].prev ? " " : "\n");
		snprintf(to, sizeof(to), "%s%lld%s", cases[i].pre, v, cases[i].post);
		ck_assert_ptr_nonnull(w = memmem(d + bn, n - bn, from, strlen(from)));
		k = (size_t)(w - d);
		memcpy(m, d, k);
		memcpy(m + k, to, strlen(to));
		memcpy(m + k + strlen(to), w + strlen(from), n - k - strlen(from));
		mn = n - strlen(from) + strlen(to);
		sp_errinfo_init(&ei);
		sp_errinfo_init(&e2);
		rc = pdf_revisions_find(m, mn, odd, 8, &nodd, &ei);
		if (pdf_doc_open(m, mn, &doc, &e2) != SP_OK) {
			/* refused at the open: no chain to disagree about */
			ck_assert_msg(!cases[i].same, "%s: %s", to, e2.msg);
			ck_assert_int_eq(rc, SP_ERR_PDF);
			continue;
		}
		pdf_doc_info_get(doc, &in);
		if (cases[i].same) {
			ck_assert_msg(rc == SP_OK, "%s: %s", to, ei.msg);
			ck_assert_uint_eq(nodd, 2);
			ck_assert_int_eq(odd[1].xref, plain[1].xref);
			ck_assert_int_eq(odd[0].xref, plain[0].xref);
			/* qpdf reads the update, as we do */
			ck_assert_msg(in.damaged == 0, "%s", to);
			ck_assert(qpdf_oh_is_dictionary(doc->q,
							qpdf_get_object_by_id(doc->q, 40, 0)));
		} else {
			ck_assert_msg(rc == SP_ERR_PDF, "%s: %zu revisions", to, nodd);
			ck_assert_str_eq(ei.reason, "revision_structure");
			/* nor signable: qpdf repaired it, or read the older revision alone */
			ck_assert_msg(in.damaged == 1, "%s: not damaged", to);
		}
		pdf_doc_free(doc);
	}
	free(m);
	free(d);
	free(b);
}
END_TEST

/*
 * A trailer whose hex string holds what no hex string may (a stray token
 * inside /ID, as a careless writer or an attacker leaves it): readers end
 * the string each their way, and where our scanner ended it the trailer's
 * /Prev was out of sight while qpdf went on to it (fuzz_xref_merged, CI). We
 * refuse the chain and qpdf's read of it counts as damage; the same trailer
 * with hex digits alone reads as before.
 */
START_TEST(revisions_refuse_a_trailer_readers_guess_at)
{
	const char *ids[] = { "/ID [<00112233 44556677> <0011>] ", "/ID [<0011 n 2233> <0011>] " };
	struct pdf_revision revs[8];
	struct pdf_doc *doc = NULL;
	struct pdf_doc_info in;
	struct sp_errinfo ei;
	unsigned char *b, *d, *m;
	const unsigned char *w;
	size_t bn, n, nrevs = 0, i, at, idl;

	b = make_plain_pdf(1, &bn);
	d = append_update(b, bn, 40, "<< /Update 1 >>", &n);
	ck_assert_ptr_nonnull(w = memmem(d + bn, n - bn, "/Prev ", 6));
	at = (size_t)(w - d);
	for (i = 0; i < 2; i++) {
		idl = strlen(ids[i]);
		ck_assert_ptr_nonnull(m = malloc(n + idl));
		memcpy(m, d, at);
		memcpy(m + at, ids[i], idl);
		memcpy(m + at + idl, d + at, n - at);
		sp_errinfo_init(&ei);
		ck_assert_int_eq(pdf_revisions_find(m, n + idl, revs, 8, &nrevs, &ei),
				 i == 0 ? SP_OK : SP_ERR_PDF);
		if (i == 0)
			ck_assert_uint_eq(nrevs, 2);
		else
			ck_assert_str_eq(ei.reason, "revision_structure");
		ck_assert_int_eq(pdf_doc_open(m, n + idl, &doc, &ei), SP_OK);
		pdf_doc_info_get(doc, &in);
		ck_assert_int_eq(in.damaged, i == 1);
		pdf_doc_free(doc);
		doc = NULL;
		free(m);
	}
	free(d);
	free(b);
}
END_TEST

/*
 * Completion's revisions from the base's: a chain of updates (tables, and
 * an xref stream's) extends exactly as the whole file reads, and whatever
 * a byte of the newer updates is changed to, an extension it still gives
 * is the whole file's (else the file is found whole).
 */
START_TEST(revisions_extend_as_found_whole)
{
	struct pdf_placement pl = { .mode = PDF_PLACE_NORMAL, .page = 1, .x = 100, .y = 100 };
	struct pdf_sig_prepared p1, p2;
	struct sp_errinfo ei;
	unsigned char *d[6], *o, *m, *g;
	size_t n[6], on, i, k, at;
	const char tries[] = "09 x\n\r<>/R%";
	char body[64];
	int extended = 0, tried = 0;

	d[0] = make_plain_pdf(2, &n[0]);
	for (i = 1; i < 6; i++) {
		snprintf(body, sizeof(body), "<< /Update %zu >>", i);
		d[i] = append_update(d[i - 1], n[i - 1], 40 + (int)i, body, &n[i]);
	}
	/* each older revision's end as known, the newest file whole */
	for (k = 0; k < 5; k++) {
		ck_assert_int_eq(extend_same(d[5], n[5], n[k]), 1);
		ck_assert_int_eq(extend_same(d[k + 1], n[k + 1], n[k]), 1);
	}
	/* nothing after the known: found whole */
	ck_assert_int_eq(extend_same(d[5], n[5], n[5]), 0);
	/* a known revision ending at its %%EOF, whose end-of-line the update brings */
	ck_assert(n[1] > 0 && d[1][n[1] - 1] == '\n');
	o = append_update(d[1], n[1] - 1, 50, "<< /Eol 1 >>", &on);
	ck_assert_int_eq(extend_same(o, on, n[1] - 1), 1);
	free(o);
	/* trailing bytes after the newest */
	g = malloc(n[5] + 8);
	memcpy(g, d[5], n[5]);
	memcpy(g + n[5], "garbage\n", 8);
	ck_assert_int_eq(extend_same(g, n[5] + 8, n[3]), 1);
	free(g);
	/* every byte of the two newest updates changed a few ways */
	m = malloc(n[5]);
	for (at = n[3]; at < n[5]; at++)
		for (i = 0; i < sizeof(tries) - 1; i++) {
			memcpy(m, d[5], n[5]);
			if (m[at] == (unsigned char)tries[i])
				continue;
			m[at] = (unsigned char)tries[i];
			tried++;
			extended += extend_same(m, n[5], n[3]) == 1;
		}
	ck_assert(tried > 0 && extended > 0 && extended < tried);
	free(m);
	for (i = 0; i < 6; i++)
		free(d[i]);
	/* an xref stream's updates (object streams), signed twice */
	d[0] = make_plain_pdf(2, &n[0]);
	o = qpdf_variant(d[0], n[0], "--object-streams=generate", &on);
	ck_assert_int_eq(prepare(o, on, &pl, 1, &p1, &ei), SP_OK);
	ck_assert_int_eq(prepare(p1.data, p1.len, &pl, 1, &p2, &ei), SP_OK);
	ck_assert_int_eq(extend_same(p2.data, p2.len, p1.len), 1);
	ck_assert_int_eq(extend_same(p2.data, p2.len, on), 1);
	pdf_sig_prepared_cleanup(&p1);
	pdf_sig_prepared_cleanup(&p2);
	free(o);
	free(d[0]);
}
END_TEST

/*
 * Completion's views: the base's page list read once (pdf_doc_page_objs)
 * opens the same bytes again without the tree walk, and is handed on to the
 * next revision only when its update leaves the page tree as it was.
 */
/*
 * What opening a revision reads (sec36): a table's entries as written, an xref
 * stream's /Index counts (the key spelled with #xx as a reader decodes it),
 * else its /Size, one whose dictionary does not read as many as a file may
 * hold; a hybrid's /XRefStm stream adds its own.
 */
START_TEST(revision_xref_entries)
{
	static const char table[] =
		"%PDF-1.7\nxref\n0 3\n0000000000 65535 f \n"
		"0000000010 00000 n \n0000000020 00000 n \n7 2\n"
		"0000000030 00000 n \n0000000040 00000 f \ntrailer\n<< /Size 9 >>\n";
	static const char *const streams[] = {
		"%PDF-1.7\n12 0 obj\n<< /Type /XRef /Size 50 /Index [0 4 10 6] /W [1 2 1] >>\n",
		"%PDF-1.7\n12 0 obj\n<< /Type /XRef /Size 50 /#49ndex [0 7] >>\n",
		"%PDF-1.7\n12 0 obj\n<< /Type /XRef /Size 50 /Extra << /Index [0 99] >> >>\n",
		"%PDF-1.7\n12 0 obj\n<< /Type /XRef /Size 50 /Index [0 1] /Index [0 2] >>\n",
	};
	/* the last: read as a stream of the most rows a file may hold */
	static const size_t want[] = { 10, 7, 50, PDF_SCAN_MAX_XREF };
	struct pdf_revision rev;
	size_t i, n;
	char both[512];

	memset(&rev, 0, sizeof(rev));
	rev.xref = 9;
	ck_assert_uint_eq(pdf_revision_xref_entries((const unsigned char *)table, strlen(table),
						    &rev),
			  5);
	rev.xref_stream = 1;
	for (i = 0; i < sizeof(streams) / sizeof(streams[0]); i++)
		ck_assert_uint_eq(pdf_revision_xref_entries((const unsigned char *)streams[i],
							    strlen(streams[i]), &rev),
				  want[i]);
	/* a hybrid table and its stream */
	n = (size_t)snprintf(both, sizeof(both), "%s%s", table, streams[0] + 9);
	rev.xref_stream = 0;
	rev.xrefstm = (long long)strlen(table);
	ck_assert_uint_eq(pdf_revision_xref_entries((const unsigned char *)both, n, &rev), 15);
}
END_TEST

/* sb_*: a file written piece by piece (room_check's test) */
struct sbuf {
	char *d;
	size_t n, cap;
};

static void
sb_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int k;

	va_start(ap, fmt);
	k = vsnprintf(b->d + b->n, b->cap - b->n, fmt, ap);
	va_end(ap);
	ck_assert(k >= 0 && (size_t)k < b->cap - b->n);
	b->n += (size_t)k;
}

/* One small update of object 4 on b (whose last section starts at *prev), /Size size. */
static void
sb_update(struct sbuf *b, size_t *prev, size_t size)
{
	size_t o = b->n, x;

	sb_printf(b, "4 0 obj\n<< /Length 0 >>\nstream\n\nendstream\nendobj\n");
	x = b->n;
	sb_printf(b,
		  "xref\n0 1\n0000000000 65535 f \n4 1\n%010zu 00000 n \ntrailer\n<< /Size %zu "
		  "/Root 1 0 R /Prev %zu >>\nstartxref\n%zu\n%%%%EOF\n",
		  o, size, *prev, x);
	*prev = x;
}

/*
 * A contract stays verifiable as it grows (sec37): 31 revisions over a table
 * of 500,000 entries read 15,500,930 entries to verify once one more revision
 * is appended (every stored one opened); a signature's update with a DSS after
 * it opens the update too (+500,062: past the 16M budget), as does a renewal's
 * DSS before its document timestamp (+500,000 + PDF_LTV_UPDATE_ENTRIES).
 */
START_TEST(revisions_room_check)
{
	const size_t big = 500000;
	struct sbuf b = { NULL, 0, 16u << 20 }, u = { NULL, 0, 4096 };
	struct sp_errinfo ei;
	size_t prev, i, k, len, off[5];

	ck_assert_ptr_nonnull(b.d = malloc(b.cap));
	ck_assert_ptr_nonnull(u.d = malloc(u.cap));
	sb_printf(&b, "%%PDF-1.7\n");
	off[1] = b.n;
	sb_printf(&b, "1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n");
	off[2] = b.n;
	sb_printf(&b, "2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n");
	off[3] = b.n;
	sb_printf(&b, "3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>\nendobj\n");
	off[4] = b.n;
	sb_printf(&b, "4 0 obj\n<< /Length 0 >>\nstream\n\nendstream\nendobj\n");
	prev = b.n;
	sb_printf(&b, "xref\n0 %zu\n0000000000 65535 f \n", big);
	for (i = 1; i < big; i++)
		sb_printf(&b, i < 5 ? "%010zu 00000 n \n" : "0000000000 65535 f \n",
			  i < 5 ? off[i] : (size_t)0);
	sb_printf(&b, "trailer\n<< /Size %zu /Root 1 0 R >>\nstartxref\n%zu\n%%%%EOF\n", big, prev);
	for (k = 0; k < 30; k++)
		sb_update(&b, &prev, big);
	len = b.n;
	/* the signature's update, written after len (its offsets the file's) */
	{
		struct sbuf t = b;

		sb_update(&t, &prev, big);
		memcpy(u.d, b.d + len, t.n - len);
		u.n = t.n - len;
	}
	sp_errinfo_init(&ei);
	/* B-T: the update is the file's last revision, every stored one opened */
	ck_assert_int_eq(pdf_revisions_room_check((unsigned char *)b.d, len, (unsigned char *)u.d,
						  u.n, 0, &ei),
			 SP_OK);
	/* B-LT: its DSS after it, the update opened too */
	ck_assert_int_eq(pdf_revisions_room_check((unsigned char *)b.d, len, (unsigned char *)u.d,
						  u.n, 1, &ei),
			 SP_ERR_LIMIT);
	ck_assert_str_eq(ei.reason, "pdf_limit");
	ck_assert_msg(strstr(ei.msg, "31 revisions and the 2 this appends") != NULL, "%s", ei.msg);
	/* a renewal: its DSS opened once its document timestamp follows */
	sp_errinfo_init(&ei);
	ck_assert_int_eq(pdf_revisions_room_check((unsigned char *)b.d, len, NULL, 0, 1, &ei),
			 SP_OK);
	ck_assert_int_eq(pdf_revisions_room_check((unsigned char *)b.d, len, NULL, 0, 2, &ei),
			 SP_ERR_LIMIT);
	/* the count a completion hands on: an earlier revision's, extended by the
	   revisions after it, is the whole file's, and answers as it does */
	{
		struct pdf_revision *revs = malloc(PDF_REVISIONS_MAX * sizeof(*revs));
		struct pdf_reads_count whole, ext;
		size_t n = 0;

		ck_assert_ptr_nonnull(revs);
		ck_assert_int_eq(pdf_revisions_find((unsigned char *)b.d, len, revs,
						    PDF_REVISIONS_MAX, &n, &ei),
				 SP_OK);
		ck_assert_uint_eq(n, 31);
		pdf_reads_count_of((unsigned char *)b.d, len, revs, n, &whole);
		pdf_reads_count_of((unsigned char *)b.d, revs[19].end, revs, 20, &ext);
		ck_assert(ext.reads < whole.reads);
		ck_assert_int_eq(pdf_reads_count_extend((unsigned char *)b.d, len, revs, n, &ext),
				 0);
		ck_assert_uint_eq(ext.reads, whole.reads);
		ck_assert_uint_eq(ext.chain, whole.chain);
		ck_assert_uint_eq(ext.nrevs, 31);
		/* revisions that do not extend it */
		ck_assert_int_eq(pdf_reads_count_extend((unsigned char *)b.d, len, revs, 30, &ext),
				 -1);
		sp_errinfo_init(&ei);
		ck_assert_int_eq(pdf_revisions_room_check_known(&whole, len, 0,
								(unsigned char *)u.d, u.n, 0, &ei),
				 SP_OK);
		ck_assert_int_eq(pdf_revisions_room_check_known(&whole, len, 0,
								(unsigned char *)u.d, u.n, 1, &ei),
				 SP_ERR_LIMIT);
		ck_assert_msg(strstr(ei.msg, "31 revisions and the 2 this appends") != NULL, "%s",
			      ei.msg);
		free(revs);
	}
	free(b.d);
	free(u.d);
}
END_TEST

START_TEST(known_pages_handed_on)
{
	struct pdf_placement pl = { .mode = PDF_PLACE_SEAM, .pages = "all", .y = 200 };
	struct pdf_sig_prepared p;
	struct pdf_page_info pi;
	struct sp_errinfo ei;
	struct pdf_doc *view, *known;
	unsigned char *d, *o, *u, der[64];
	char body[256];
	size_t n, on, un, np = 0, i;
	int *pages = NULL, kind, pages_node;
	qpdf_oh pn;

	memset(der, 0x30, sizeof(der));
	d = make_plain_pdf(3, &n);
	for (kind = 0; kind < 2; kind++) {
		o = kind ? qpdf_variant(d, n, "--object-streams=generate", &on) : d;
		if (!kind)
			on = n;
		sp_errinfo_init(&ei);
		ck_assert_int_eq(pdf_doc_open_view(o, on, &view, &ei), SP_OK);
		ck_assert_int_eq(pdf_doc_page_objs(view, &pages, &np, &ei), SP_OK);
		ck_assert_uint_eq(np, 3);
		ck_assert_int_eq(pdf_doc_open_known(o, on, pages, np, &known, &ei), SP_OK);
		ck_assert_int_eq(pdf_doc_page_count(known), 3);
		/* the same page objects, in order; no geometry was read */
		{
			int *again = NULL;
			size_t na = 0;
			ck_assert_int_eq(pdf_doc_page_objs(known, &again, &na, &ei), SP_OK);
			ck_assert_uint_eq(na, np);
			ck_assert_mem_eq(again, pages, 2 * np * sizeof(int));
			free(again);
		}
		ck_assert_int_eq(pdf_doc_page_info(known, 1, &pi, &ei), SP_ERR_INVALID);
		/* a page list that is not these bytes' is refused */
		{
			int bad[2] = { 100000, 0 };
			struct pdf_doc *x = NULL;
			ck_assert_int_eq(pdf_doc_open_known(o, on, bad, 1, &x, &ei),
					 SP_ERR_INVALID);
			ck_assert_ptr_null(x);
		}
		/* our signing update (every page gets a widget): the tree is kept */
		ck_assert_int_eq(prepare(o, on, &pl, 1, &p, &ei), SP_OK);
		ck_assert_int_eq(pdf_sig_fill(p.data, p.len, p.contents_off, p.contents_len, der,
					      sizeof(der), &ei),
				 SP_OK);
		ck_assert_int_eq(kept(known, p.data, p.len), 1);
		ck_assert_int_eq(kept(view, p.data, p.len), 1);
		pdf_sig_prepared_cleanup(&p);
		if (kind == 0) {
			/* an update adding an unrelated object keeps it too */
			u = append_update(o, on, 900, "<< /Foo 1 >>", &un);
			ck_assert_int_eq(kept(known, u, un), 1);
			free(u);
			/* a page that gains /Kids is a node now: not kept */
			snprintf(body, sizeof(body), "<< /Type /Page /Kids [] >>");
			u = append_update(o, on, pages[0], body, &un);
			ck_assert_int_eq(kept(known, u, un), 0);
			free(u);
			/* the /Pages node rewritten (its pages in another order): not kept */
			{
				qpdf_data q = qpdf_init();
				qpdf_silence_errors(q);
				ck_assert_int_eq(qpdf_read_memory(q, "o.pdf", (const char *)o, on,
								  "") &
							 QPDF_ERRORS,
						 0);
				pn = qpdf_oh_get_key(q, qpdf_get_root(q), "/Pages");
				pages_node = qpdf_oh_get_object_id(q, pn);
				qpdf_cleanup(&q);
			}
			snprintf(body, sizeof(body),
				 "<< /Type /Pages /Count 3 /Kids [%d 0 R %d 0 R %d 0 R] >>",
				 pages[4], pages[2], pages[0]);
			u = append_update(o, on, pages_node, body, &un);
			ck_assert_int_eq(kept(known, u, un), 0);
			free(u);
			/* a new /Root with another /Pages: not kept */
			snprintf(body, sizeof(body), "<< /Type /Catalog /Pages %d 0 R >>",
				 pages[0]);
			for (i = 0; i < 1; i++) {
				struct pdf_doc *b = open_ok(o, on);
				struct pdf_doc_info in;
				pdf_doc_info_get(b, &in);
				pdf_doc_free(b);
				u = append_update(o, on, in.root_obj, body, &un);
				ck_assert_int_eq(kept(known, u, un), 0);
				free(u);
			}
		}
		pdf_doc_free(known);
		pdf_doc_free(view);
		free(pages);
		pages = NULL;
		if (kind)
			free(o);
	}
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
	tcase_add_test(tc, known_pages_handed_on);
	tcase_add_test(tc, revisions_extend_as_found_whole);
	tcase_add_test(tc, revisions_found_across_every_white_space);
	tcase_add_test(tc, revisions_read_as_qpdf_reads_numbers);
	tcase_add_test(tc, revisions_refuse_a_trailer_readers_guess_at);
	tcase_add_test(tc, revision_xref_entries);
	tcase_add_test(tc, revisions_room_check);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
