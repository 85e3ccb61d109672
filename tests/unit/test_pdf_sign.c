/*
 * test_pdf_sign.c: the writer judged by independent tools. Real CMS
 * signatures made with the openssl CLI over the prepared byte ranges must
 * verify in poppler's pdfsig, an earlier signature must stay valid after a
 * later incremental update, and a seam seal rendered by pdftoppm must show
 * red seal pixels at the right edge of every page that add up to one seal.
 * The seal's colour space in PDF/A files: test_pdf_sign_colour.c.
 */
#include "test_pdf_sign.h"

START_TEST(earlier_signature_stays_valid_in_pdfsig)
{
	struct pdf_placement first = { .mode = PDF_PLACE_NORMAL, .page = 1, .x = 300, .y = 300 };
	struct pdf_placement second[2] = {
		{ .mode = PDF_PLACE_SEAM, .pages = "all", .y = 400 },
		{ .mode = PDF_PLACE_DATE, .page = 3, .x = 300, .y = 100 },
	};
	unsigned char *d, *o, *s1, *s2;
	size_t n, on, n1, n2;
	char path[512];
	int valid, total, count, kind, k;

	d = make_plain_pdf(3, &n);
	for (kind = 0; kind < 2; kind++) {
		if (kind) {
			snprintf(path, sizeof(path), "%s/plain.pdf", dir);
			write_file(path, d, n);
			ck_assert_int_eq(run("qpdf --object-streams=generate %s %s/stream.pdf",
					     path, dir),
					 0);
			snprintf(path, sizeof(path), "%s/stream.pdf", dir);
			o = read_file(path, &on);
		} else {
			o = d;
			on = n;
		}
		s1 = sign_with_openssl(o, on, &first, 1, &n1);
		snprintf(path, sizeof(path), "%s/one.pdf", dir);
		write_file(path, s1, n1);
		ck_assert_int_eq(run("qpdf --check %s >/dev/null", path), 0);
		pdfsig_verdict("one.pdf", 1, &valid, &total, &count);
		ck_assert_msg(valid && total && count == 1, "first signature: valid %d total %d",
			      valid, total);

		s2 = sign_with_openssl(s1, n1, second, 2, &n2);
		ck_assert_mem_eq(s2, s1, n1);
		snprintf(path, sizeof(path), "%s/two.pdf", dir);
		write_file(path, s2, n2);
		ck_assert_int_eq(run("qpdf --check %s >/dev/null", path), 0);
		pdfsig_verdict("two.pdf", 1, &valid, &total, &count);
		ck_assert_msg(valid && !total, "earlier signature after an update: valid %d",
			      valid);
		/* poppler 22 lists each widget of a multi-widget field as an entry
		 * (3 seam slices + the date): all are the second signature. */
		ck_assert_int_eq(count, 1 + 4);
		for (k = 2; k <= count; k++) {
			pdfsig_verdict("two.pdf", k, &valid, &total, &count);
			ck_assert_msg(valid && total, "second signature (#%d): valid %d total %d",
				      k, valid, total);
		}

		/* Tampering with one covered byte breaks the last signature in pdfsig. */
		s2[n2 - 30] ^= 0x01;
		write_file(path, s2, n2);
		pdfsig_verdict("two.pdf", 2, &valid, &total, &count);
		ck_assert_int_eq(valid, 0);
		pdfsig_verdict("two.pdf", 1, &valid, &total, &count);
		ck_assert_int_eq(valid, 1); /* the tampered byte is past the first revision */
		free(s1);
		free(s2);
		if (kind)
			free(o);
	}
	free(d);
}
END_TEST

START_TEST(seam_renders_at_right_edge_of_every_page)
{
	struct tpage pg[5] = { { 0 } };
	struct pdf_placement seam = { .mode = PDF_PLACE_SEAM, .pages = "all", .y = 400 };
	struct pdf_placement whole = { .mode = PDF_PLACE_NORMAL, .page = 1, .x = 300, .y = 400 };
	unsigned char *d, *s, *one;
	size_t n, sn, on;
	char path[512], png[600];
	long total = 0, ref, edge, all;
	unsigned w, h;
	int i;

	pg[1].rotate = 90;
	pg[2].rotate = 180;
	pg[2].has_mb = 1;
	pg[2].mb[0] = 100, pg[2].mb[1] = 200, pg[2].mb[2] = 712, pg[2].mb[3] = 992;
	pg[3].rotate = 270;
	pg[3].has_cb = 1;
	pg[3].cb[0] = 50, pg[3].cb[1] = 60, pg[3].cb[2] = 550, pg[3].cb[3] = 760;
	pg[4].has_mb = 1; /* a smaller page */
	pg[4].mb[2] = 420, pg[4].mb[3] = 595;
	d = make_pdf(pg, 5, &n);
	s = sign_with_openssl(d, n, &seam, 1, &sn);
	snprintf(path, sizeof(path), "%s/seam.pdf", dir);
	write_file(path, s, sn);
	ck_assert_int_eq(run("qpdf --check %s >/dev/null", path), 0);
	ck_assert_int_eq(run("pdftoppm -cropbox -r 50 -png %s %s/seam", path, dir), 0);
	for (i = 1; i <= 5; i++) {
		snprintf(png, sizeof(png), "%s/seam-%d.png", dir, i);
		all = red_pixels(png, &w, &h, 0, 1);
		/* The slice is 42/5 mm wide: the rightmost 30 px at 50 dpi hold it all. */
		edge = red_pixels(png, &w, &h, 1.0 - 30.0 / w, 1);
		ck_assert_msg(edge > 20, "page %d: %ld red pixels at the right edge", i, edge);
		ck_assert_msg(edge == all,
			      "page %d: red pixels away from the right edge (%ld of %ld)", i,
			      all - edge, all);
		total += edge;
	}
	/* The slices add up to the whole seal rendered once. */
	one = sign_with_openssl(d, n, &whole, 1, &on);
	snprintf(path, sizeof(path), "%s/whole.pdf", dir);
	write_file(path, one, on);
	ck_assert_int_eq(run("pdftoppm -cropbox -r 50 -png -f 1 -l 1 %s %s/whole", path, dir), 0);
	snprintf(png, sizeof(png), "%s/whole-1.png", dir);
	ref = red_pixels(png, &w, &h, 0, 1);
	ck_assert_msg(ref > 100 && labs(total - ref) < ref / 8,
		      "slices hold %ld red pixels, the whole seal %ld", total, ref);
	free(one);
	free(s);
	free(d);
}
END_TEST

/*
 * The issue's acceptance case: the 30-page Chinese contract of the text
 * locator fixtures, a keyword seal on every "乙方（盖章）" and a seam seal over
 * all pages in one signature.
 */
START_TEST(contract30_keyword_and_seam)
{
	struct pdf_placement pl[2] = {
		{ .mode = PDF_PLACE_KEYWORD, .keyword = "乙方（盖章）" },
		{ .mode = PDF_PLACE_SEAM, .pages = "all", .y = 300 },
	};
	struct pdf_placement whole = { .mode = PDF_PLACE_NORMAL, .page = 1, .x = 400, .y = 300 };
	unsigned char *d, *s, *txt, *one;
	size_t n, sn, tn, on;
	char path[512], png[600];
	const char *q;
	long edge, total = 0, ref;
	unsigned w, h;
	int i, valid = 0, entries = 0;

	d = read_fixture("contracts/contract30.pdf", &n);
	s = sign_with_openssl(d, n, pl, 2, &sn);
	snprintf(path, sizeof(path), "%s/c30.pdf", dir);
	write_file(path, s, sn);
	ck_assert_int_eq(run("qpdf --check %s >/dev/null", path), 0);
	ck_assert_int_eq(run("pdfsig -nssdir sql:%s/nss %s > %s/c30.txt 2>&1", dir, path, dir), 0);
	snprintf(path, sizeof(path), "%s/c30.txt", dir);
	txt = read_file(path, &tn);
	for (q = (char *)txt; (q = strstr(q, "Signature #")); q++)
		entries++;
	for (q = (char *)txt; (q = strstr(q, "Signature Validation: Signature is Valid.")); q++)
		valid++;
	/* 30 keyword widgets and 30 seam slices of one signature, all valid. */
	ck_assert_int_eq(entries, 60);
	ck_assert_int_eq(valid, 60);
	ck_assert_ptr_null(strstr((char *)txt, "Not total document signed"));
	free(txt);
	ck_assert_int_eq(run("pdftoppm -cropbox -r 72 -png %s/c30.pdf %s/c30", dir, dir), 0);
	for (i = 1; i <= 30; i++) {
		snprintf(png, sizeof(png), "%s/c30-%02d.png", dir, i);
		edge = red_pixels(png, &w, &h, 1.0 - 6.0 / 595, 1);
		ck_assert_msg(edge > 0, "page %d: no red pixels at the right edge", i);
		total += edge;
	}
	one = sign_with_openssl(d, n, &whole, 1, &on);
	snprintf(path, sizeof(path), "%s/c30one.pdf", dir);
	write_file(path, one, on);
	ck_assert_int_eq(run("pdftoppm -cropbox -r 72 -png -f 1 -l 1 %s %s/c30one", path, dir), 0);
	snprintf(png, sizeof(png), "%s/c30one-01.png", dir);
	ref = red_pixels(png, &w, &h, 0.5, 1);
	ck_assert_msg(ref > 100 && labs(total - ref) < ref / 4,
		      "30 slices hold %ld red pixels, the whole seal %ld", total, ref);
	free(one);
	free(s);
	free(d);
}
END_TEST

/*
 * A seal picture encoded once (what sealpactd keeps per process) gives the
 * update, byte for byte, that the PNG itself gives; a damaged encoding is
 * refused, never drawn.
 */
START_TEST(kept_seal_image_gives_the_same_update)
{
	struct pdf_placement pl[2] = {
		{ .mode = PDF_PLACE_NORMAL, .page = 1, .x = 300, .y = 300 },
		{ .mode = PDF_PLACE_SEAM, .pages = "all", .y = 400 },
	};
	struct pdf_sig_params par = { .signing_time = T0, .utc_offset_min = 480 };
	struct pdf_seal s = { .png = seal, .png_len = seal_len };
	struct pdf_sig_prepared a, b;
	struct pdf_doc *doc = NULL;
	struct sp_errinfo ei;
	unsigned char *d, *enc = NULL;
	size_t n, elen = 0;

	sp_errinfo_init(&ei);
	d = make_plain_pdf(3, &n);
	ck_assert_msg(pdf_seal_image_encode(seal, seal_len, &enc, &elen, &ei) == SP_OK, "%s",
		      ei.msg);
	ck_assert_msg(pdf_doc_open(d, n, &doc, &ei) == SP_OK, "%s", ei.msg);
	ck_assert_msg(pdf_sig_prepare(doc, &par, &s, 1, pl, 2, &a, &ei) == SP_OK, "%s", ei.msg);
	s.image = enc;
	s.image_len = elen;
	ck_assert_msg(pdf_sig_prepare(doc, &par, &s, 1, pl, 2, &b, &ei) == SP_OK, "%s", ei.msg);
	ck_assert_uint_eq(a.len, b.len);
	ck_assert_mem_eq(a.data, b.data, a.len);
	pdf_sig_prepared_cleanup(&b);
	/* cut short: refused */
	s.image_len = elen - 1;
	sp_errinfo_init(&ei);
	ck_assert_int_ne(pdf_sig_prepare(doc, &par, &s, 1, pl, 2, &b, &ei), SP_OK);
	ck_assert_ptr_null(b.data);
	/* not an encoding at all (the PNG itself): refused */
	s.image = seal;
	s.image_len = seal_len;
	sp_errinfo_init(&ei);
	ck_assert_int_ne(pdf_sig_prepare(doc, &par, &s, 1, pl, 2, &b, &ei), SP_OK);
	pdf_sig_prepared_cleanup(&a);
	pdf_doc_free(doc);
	free(enc);
	free(d);
}
END_TEST

/*
 * The update alone (sealpactd's prepare: the stored revision is not copied)
 * is what pdf_sig_prepare appends, byte for byte, with the same offsets and
 * the same digest of the covered ranges, and its original's SHA-256 is that
 * of the original's bytes: for either digest, and for an original that does
 * not end with a newline (the update starts with one).
 */
START_TEST(update_alone_is_what_prepare_appends)
{
	struct pdf_placement pl[2] = {
		{ .mode = PDF_PLACE_NORMAL, .page = 1, .x = 300, .y = 300 },
		{ .mode = PDF_PLACE_DATE, .page = 2, .x = 100, .y = 100 },
	};
	struct pdf_sig_params par = { .signing_time = T0,
				      .utc_offset_min = 480,
				      .digest_sm3 = _i & 1,
				      .contents_max = 5000 };
	struct pdf_seal s = { .png = seal, .png_len = seal_len };
	struct pdf_sig_prepared a, b;
	struct pdf_doc *doc = NULL;
	struct sp_errinfo ei;
	unsigned char *d, sha[32];
	unsigned int shalen = 0;
	size_t n;

	sp_errinfo_init(&ei);
	d = make_plain_pdf(3, &n);
	if (_i & 2) {
		while (n > 0 && (d[n - 1] == '\n' || d[n - 1] == '\r'))
			n--;
		ck_assert(memcmp(d + n - 5, "%%EOF", 5) == 0);
	}
	ck_assert_msg(pdf_doc_open(d, n, &doc, &ei) == SP_OK, "%s", ei.msg);
	ck_assert_msg(pdf_sig_prepare(doc, &par, &s, 1, pl, 2, &a, &ei) == SP_OK, "%s", ei.msg);
	ck_assert_msg(pdf_sig_prepare_update(doc, &par, &s, 1, pl, 2, &b, &ei) == SP_OK, "%s",
		      ei.msg);
	ck_assert_ptr_null(b.data);
	ck_assert_uint_eq(b.orig_len, n);
	ck_assert_uint_eq(a.orig_len, n);
	ck_assert_uint_eq(b.len, a.len);
	ck_assert_uint_eq(b.update_len, a.len - n);
	ck_assert_mem_eq(a.data, d, n);
	ck_assert_mem_eq(b.update, a.data + n, b.update_len);
	ck_assert_int_eq(b.update[0] == '\n', (_i & 2) != 0);
	ck_assert_uint_eq(b.contents_off, a.contents_off);
	ck_assert_uint_eq(b.contents_len, a.contents_len);
	ck_assert_mem_eq(b.byte_range, a.byte_range, sizeof(a.byte_range));
	ck_assert_mem_eq(b.sha256, a.sha256, 32);
	ck_assert_mem_eq(b.sm3, a.sm3, 32);
	ck_assert(EVP_Digest(d, n, sha, &shalen, EVP_sha256(), NULL) == 1);
	ck_assert_mem_eq(b.orig_sha256, sha, 32);
	/* and the placeholder in it is whole: it takes a signature */
	ck_assert_int_eq(b.update[b.contents_off - n], '<');
	ck_assert_int_eq(b.update[b.contents_off - n + b.contents_len - 1], '>');
	ck_assert_int_eq(pdf_sig_fill(a.data, a.len, a.contents_off, a.contents_len,
				      (const unsigned char *)"\x30\x03\x02\x01\x01", 5, &ei),
			 SP_OK);
	pdf_sig_prepared_cleanup(&a);
	pdf_sig_prepared_cleanup(&b);
	pdf_doc_free(doc);
	free(d);
}
END_TEST

/*
 * sealpactd's prepare opens a stored revision with the pages kept for its
 * bytes (pdf_doc_open_stored_known) instead of walking the page tree: every
 * page's geometry (inherited boxes, a crop box, /Rotate) and the update
 * built on it, byte for byte with its offsets and digests, are what the
 * walk gives; the bytes hashed ahead (pdf_sha256_new) give the digests that
 * hashing them in the update gives, and a state over other bytes is not
 * used. A list that is not the file's pages is refused, and a page the
 * walk refuses (no valid /MediaBox) is refused from a kept list too.
 */
START_TEST(kept_pages_give_the_same_update)
{
	struct tpage tp[3];
	struct pdf_placement pl[3] = {
		{ .mode = PDF_PLACE_NORMAL, .page = 2, .x = 300, .y = 300 },
		{ .mode = PDF_PLACE_SEAM, .pages = "all", .y = 400 },
		{ .mode = PDF_PLACE_DATE, .page = 3, .x = 100, .y = 100 },
	};
	struct pdf_sig_params par = {
		.signing_time = T0, .utc_offset_min = 480, .digest_sm3 = _i, .contents_max = 6000
	};
	struct pdf_seal s = { .png = seal, .png_len = seal_len };
	struct pdf_sig_prepared a, b;
	struct pdf_page_info pa, pb;
	struct pdf_doc *walked = NULL, *kept = NULL, *bad = NULL;
	struct pdf_sha256 *h = NULL, *other = NULL, *resumed = NULL;
	EVP_MD_CTX *half;
	struct sp_errinfo ei;
	unsigned char *d, *copy, dig[32], sha[32];
	unsigned int shalen = 0;
	int *pages = NULL, wrong[6];
	size_t n, np = 0, i;

	memset(tp, 0, sizeof(tp));
	tp[1].rotate = 90;
	tp[1].has_mb = 1;
	tp[1].mb[2] = 842;
	tp[1].mb[3] = 595;
	tp[2].has_cb = 1;
	tp[2].cb[0] = 20;
	tp[2].cb[1] = 30;
	tp[2].cb[2] = 500;
	tp[2].cb[3] = 700;
	sp_errinfo_init(&ei);
	d = make_pdf(tp, 3, &n);
	ck_assert_msg(pdf_doc_open_stored(d, n, &walked, &ei) == SP_OK, "%s", ei.msg);
	ck_assert_msg(pdf_doc_page_objs(walked, &pages, &np, &ei) == SP_OK, "%s", ei.msg);
	ck_assert_uint_eq(np, 3);
	ck_assert_msg(pdf_doc_open_stored_known(d, n, pages, np, &kept, &ei) == SP_OK, "%s",
		      ei.msg);
	ck_assert_int_eq(pdf_doc_page_count(kept), 3);
	for (i = 1; i <= 3; i++) {
		ck_assert_int_eq(pdf_doc_page_info(walked, (int)i, &pa, &ei), SP_OK);
		ck_assert_int_eq(pdf_doc_page_info(kept, (int)i, &pb, &ei), SP_OK);
		ck_assert_mem_eq(&pa, &pb, sizeof(pa));
	}
	ck_assert_int_eq(pdf_doc_page_info(kept, 2, &pb, &ei), SP_OK);
	ck_assert_int_eq(pb.rotate, 90);
	ck_assert(pb.width == 595 && pb.height == 842);
	ck_assert_msg(pdf_sig_prepare_update(walked, &par, &s, 1, pl, 3, &a, &ei) == SP_OK, "%s",
		      ei.msg);
	ck_assert_msg(pdf_sha256_new(d, n, &h, dig, &ei) == SP_OK, "%s", ei.msg);
	ck_assert(EVP_Digest(d, n, sha, &shalen, EVP_sha256(), NULL) == 1);
	ck_assert_mem_eq(dig, sha, 32);
	par.orig_hash = h;
	ck_assert_msg(pdf_sig_prepare_update(kept, &par, &s, 1, pl, 3, &b, &ei) == SP_OK, "%s",
		      ei.msg);
	ck_assert_uint_eq(a.update_len, b.update_len);
	ck_assert_mem_eq(a.update, b.update, a.update_len);
	ck_assert_uint_eq(a.contents_off, b.contents_off);
	ck_assert_mem_eq(a.byte_range, b.byte_range, sizeof(a.byte_range));
	ck_assert_mem_eq(a.sha256, b.sha256, 32);
	ck_assert_mem_eq(a.sm3, b.sm3, 32);
	ck_assert_mem_eq(b.orig_sha256, sha, 32);
	ck_assert_uint_eq(a.nrects, b.nrects);
	ck_assert_mem_eq(a.rects, b.rects, a.nrects * sizeof(*a.rects));
	pdf_sig_prepared_cleanup(&b);
	/* going on from a state over the first half (held bytes): the same digests */
	half = EVP_MD_CTX_new();
	ck_assert(EVP_DigestInit_ex(half, EVP_sha256(), NULL) == 1 &&
		  EVP_DigestUpdate(half, d, n / 2) == 1);
	ck_assert_int_ne(pdf_sha256_resume(d, n / 2 - 1, half, n / 2, &resumed, dig, &ei), SP_OK);
	ck_assert_ptr_null(resumed);
	ck_assert_msg(pdf_sha256_resume(d, n, half, n / 2, &resumed, dig, &ei) == SP_OK, "%s",
		      ei.msg);
	ck_assert_mem_eq(dig, sha, 32);
	par.orig_hash = resumed;
	ck_assert_msg(pdf_sig_prepare_update(kept, &par, &s, 1, pl, 3, &b, &ei) == SP_OK, "%s",
		      ei.msg);
	ck_assert_mem_eq(a.sha256, b.sha256, 32);
	ck_assert_mem_eq(b.orig_sha256, sha, 32);
	pdf_sig_prepared_cleanup(&b);
	/* the start is not changed: a second resume from it gives the same */
	pdf_sha256_free(resumed);
	ck_assert_int_eq(pdf_sha256_resume(d, n, half, n / 2, &resumed, dig, &ei), SP_OK);
	ck_assert_mem_eq(dig, sha, 32);
	pdf_sha256_free(resumed);
	EVP_MD_CTX_free(half);
	/* a state over other bytes (a copy with one byte changed) is not taken for these */
	copy = malloc(n);
	memcpy(copy, d, n);
	copy[n / 2] ^= 1;
	ck_assert_int_eq(pdf_sha256_new(copy, n, &other, dig, &ei), SP_OK);
	par.orig_hash = other;
	ck_assert_msg(pdf_sig_prepare_update(kept, &par, &s, 1, pl, 3, &b, &ei) == SP_OK, "%s",
		      ei.msg);
	ck_assert_mem_eq(a.sha256, b.sha256, 32);
	ck_assert_mem_eq(a.sm3, b.sm3, 32);
	ck_assert_mem_eq(b.orig_sha256, sha, 32);
	pdf_sig_prepared_cleanup(&b);
	/* a list that is not the pages: the catalog, /Pages (a node), a number past /Size */
	wrong[0] = 1;
	wrong[1] = 0;
	ck_assert_int_ne(pdf_doc_open_stored_known(d, n, wrong, 1, &bad, &ei), SP_OK);
	ck_assert_ptr_null(bad);
	wrong[0] = 2;
	ck_assert_int_ne(pdf_doc_open_stored_known(d, n, wrong, 1, &bad, &ei), SP_OK);
	wrong[0] = 5;
	wrong[2] = 999;
	wrong[3] = 0;
	ck_assert_int_ne(pdf_doc_open_stored_known(d, n, wrong, 2, &bad, &ei), SP_OK);
	ck_assert_int_ne(pdf_doc_open_stored_known(d, n, pages, 0, &bad, &ei), SP_OK);
	ck_assert_ptr_null(bad);
	/* A list of the right length with the catalog for page 3: a page is checked and
	   measured where it is used, so the others serve and page 3 is refused. */
	memcpy(wrong, pages, sizeof(wrong));
	wrong[4] = 1;
	wrong[5] = 0;
	ck_assert_msg(pdf_doc_open_stored_known(d, n, wrong, 3, &bad, &ei) == SP_OK, "%s", ei.msg);
	ck_assert_int_eq(pdf_doc_page_info(bad, 1, &pb, &ei), SP_OK);
	sp_errinfo_init(&ei);
	ck_assert_int_eq(pdf_doc_page_info(bad, 3, &pb, &ei), SP_ERR_PDF);
	ck_assert_str_eq(ei.reason, "pdf_bad_page");
	pl[1].pages = "1-2";
	ck_assert_msg(pdf_sig_prepare_update(bad, &par, &s, 1, pl, 2, &b, &ei) == SP_OK, "%s",
		      ei.msg);
	pdf_sig_prepared_cleanup(&b);
	ck_assert_int_eq(pdf_sig_prepare_update(bad, &par, &s, 1, pl, 3, &b, &ei), SP_ERR_PDF);
	pl[1].pages = "all";
	pdf_doc_free(bad);
	bad = NULL;
	pdf_sig_prepared_cleanup(&a);
	pdf_doc_free(walked);
	pdf_doc_free(kept);
	pdf_sha256_free(h);
	pdf_sha256_free(other);
	free(copy);
	free(d);
	/* a page without a valid /MediaBox: the walk refuses it, and so does a kept list
	   where the page is used */
	memset(tp, 0, sizeof(tp));
	tp[1].has_mb = 1; /* [0 0 0 0] */
	d = make_pdf(tp, 3, &n);
	sp_errinfo_init(&ei);
	ck_assert_int_eq(pdf_doc_open_stored(d, n, &bad, &ei), SP_ERR_PDF);
	ck_assert_str_eq(ei.reason, "pdf_bad_page");
	sp_errinfo_init(&ei);
	ck_assert_int_eq(pdf_doc_open_stored_known(d, n, pages, np, &bad, &ei), SP_OK);
	ck_assert_int_eq(pdf_doc_page_info(bad, 1, &pb, &ei), SP_OK);
	ck_assert_int_eq(pdf_doc_page_info(bad, 2, &pb, &ei), SP_ERR_PDF);
	ck_assert_str_eq(ei.reason, "pdf_bad_page");
	sp_errinfo_init(&ei);
	par.orig_hash = NULL; /* the bytes are hashed in the update */
	ck_assert_int_eq(pdf_sig_prepare_update(bad, &par, &s, 1, pl, 3, &b, &ei), SP_ERR_PDF);
	ck_assert_str_eq(ei.reason, "pdf_bad_page");
	pdf_doc_free(bad);
	free(pages);
	free(d);
}
END_TEST

/* The fill writes the DER as upper-case hex from the placeholder's start and leaves the
   rest of it zeros; a placeholder with anything but zeros anywhere, or too small, is
   refused and left as it was. */
START_TEST(fill_writes_hex_into_zeros_only)
{
	enum { PH = 2 + 2 * 700 };
	unsigned char buf[4 + PH], der[300], before[sizeof(buf)];
	static const size_t spots[] = { 1, 2, 255, 256, 257, 600, PH - 2 };
	struct sp_errinfo ei;
	char hx[3];
	size_t i, k;

	for (i = 0; i < sizeof(der); i++)
		der[i] = (unsigned char)(i * 37 + 11);
	for (k = 0; k <= sizeof(spots) / sizeof(spots[0]); k++) {
		memcpy(buf, "xx", 2);
		buf[2] = '<';
		memset(buf + 3, '0', PH - 2);
		buf[2 + PH - 1] = '>';
		memcpy(buf + 2 + PH, "yy", 2);
		if (k < sizeof(spots) / sizeof(spots[0]))
			buf[2 + spots[k]] = '1';
		memcpy(before, buf, sizeof(buf));
		sp_errinfo_init(&ei);
		if (k < sizeof(spots) / sizeof(spots[0])) {
			ck_assert_int_eq(pdf_sig_fill(buf, sizeof(buf), 2, PH, der, sizeof(der),
						      &ei),
					 SP_ERR_INVALID);
			ck_assert_str_eq(ei.reason, "sig_placeholder");
			ck_assert_int_eq(memcmp(buf, before, sizeof(buf)), 0);
			continue;
		}
		ck_assert_int_eq(pdf_sig_fill(buf, sizeof(buf), 2, PH, der, sizeof(der), &ei),
				 SP_OK);
		for (i = 0; i < sizeof(der); i++) {
			snprintf(hx, sizeof(hx), "%02X", der[i]);
			ck_assert_int_eq(memcmp(buf + 3 + 2 * i, hx, 2), 0);
		}
		for (i = 3 + 2 * sizeof(der); i < 2 + PH - 1; i++)
			ck_assert_int_eq(buf[i], '0');
		ck_assert_int_eq(memcmp(buf, "xx<", 3), 0);
		ck_assert_int_eq(memcmp(buf + 2 + PH - 1, ">yy", 3), 0);
		/* filled once: a second fill is refused */
		ck_assert_int_eq(pdf_sig_fill(buf, sizeof(buf), 2, PH, der, 1, &ei),
				 SP_ERR_INVALID);
	}
	/* 701 bytes do not fit 1,400 hex digits */
	memset(buf + 3, '0', PH - 2);
	ck_assert_int_eq(pdf_sig_fill(buf, sizeof(buf), 2, PH, der, 0, &ei), SP_ERR_INVALID);
	{
		unsigned char big[701];

		memset(big, 1, sizeof(big));
		ck_assert_int_eq(pdf_sig_fill(buf, sizeof(buf), 2, PH, big, sizeof(big), &ei),
				 SP_ERR_TOO_LARGE);
	}
}
END_TEST

/* pdfw_refs writes what "%d %d R" did, item by item, separators and all. */
START_TEST(refs_written_as_printf_wrote_them)
{
	static const int refs[] = { 0, 0, 9, 1, 10, 65535, 123456789, 7, 999999999, 999999999 };
	char want[256];
	struct sp_buf b;
	size_t at;
	int n, i, last;

	for (n = 0; n <= 5; n++)
		for (last = 0; last < 2; last++) {
			at = 0;
			want[0] = 0;
			for (i = 0; i < n; i++)
				at += (size_t)snprintf(want + at, sizeof(want) - at, "%d %d R%s",
						       refs[2 * i], refs[2 * i + 1],
						       last || i + 1 < n ? " " : "");
			sp_buf_init(&b, 4096);
			ck_assert_int_eq(pdfw_refs(&b, refs, n, ' ', last), SP_OK);
			ck_assert_uint_eq(b.len, at);
			ck_assert(at == 0 || memcmp(b.data, want, at) == 0);
			sp_buf_cleanup(&b);
		}
	/* no room: as sp_buf_printf, a failure */
	sp_buf_init(&b, 8);
	ck_assert_int_lt(pdfw_refs(&b, refs + 2, 4, ' ', 0), 0);
	sp_buf_cleanup(&b);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("pdf_sign");
	TCase *tc = test_tcase(s, "judges", setup, teardown, 1, 120);

	tcase_add_test(tc, earlier_signature_stays_valid_in_pdfsig);
	tcase_add_test(tc, seam_renders_at_right_edge_of_every_page);
	tcase_add_test(tc, contract30_keyword_and_seam);
	tcase_add_test(tc, kept_seal_image_gives_the_same_update);
	tcase_add_loop_test(tc, update_alone_is_what_prepare_appends, 0, 4);
	tcase_add_loop_test(tc, kept_pages_give_the_same_update, 0, 2);
	tcase_add_test(tc, fill_writes_hex_into_zeros_only);
	tcase_add_test(tc, refs_written_as_printf_wrote_them);
	return test_suite_run(s);
}
