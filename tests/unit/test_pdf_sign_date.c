/*
 * test_pdf_sign_date.c: a date stamp draws with the font an earlier update
 * wrote when that font is byte for byte ours (pdf/date_font.c), and with its
 * own otherwise. Each file is judged by pdfsig, qpdf --check, pdftotext and
 * pdftoppm, and by sealpact verify (each signature's digest and value
 * sound, every change after it an allowed one).
 */
#include "test_pdf_sign.h"

/* the date placements of each signer: a seal and a date stamp on page 1 */
static const struct pdf_placement stamps[2] = {
	{ .mode = PDF_PLACE_NORMAL, .page = 1, .x = 300, .y = 300 },
	{ .mode = PDF_PLACE_DATE, .page = 1, .x = 100, .y = 100 },
};

/* how often s occurs in d[0..n) */
static int
count_of(const unsigned char *d, size_t n, const char *s)
{
	const unsigned char *p = d, *e = d + n, *f;
	int k = 0;

	while (p < e && (f = memmem(p, (size_t)(e - p), s, strlen(s))) != NULL) {
		k++;
		p = f + 1;
	}
	return k;
}

/* The decimal number at d[p..n) (0: none), read within d: strtol and atoi
   read on to a NUL, which a file's bytes need not have (ASan) */
static int
num_at(const unsigned char *d, size_t n, size_t p)
{
	int num = 0;

	for (; p < n && d[p] >= '0' && d[p] <= '9' && num < 100000000; p++)
		num = num * 10 + (d[p] - '0');
	return num;
}

/* The number after the last key ("/Font <</D0 ") in d[from..n) (0: none). */
static int
last_named(const unsigned char *d, size_t n, size_t from, const char *key)
{
	const unsigned char *p = d + from, *f, *last = NULL;

	while ((f = memmem(p, n - (size_t)(p - d), key, strlen(key))) != NULL) {
		last = f;
		p = f + 1;
	}
	return last ? num_at(d, n, (size_t)(last - d) + strlen(key)) : 0;
}

/* the font the last date appearance of d[from..n) names */
static int
last_font_named(const unsigned char *d, size_t n, size_t from)
{
	return last_named(d, n, from, "/Font <</D0 ");
}

/* the appearance the last widget of d[from..n) names: the date's, written after the seal's */
static int
last_ap_named(const unsigned char *d, size_t n, size_t from)
{
	return last_named(d, n, from, "/AP <</N ");
}

/* d[0..n) written as NAME.pdf, judged: qpdf --check, pdfsig (all k signatures valid),
   sealpact verify (each digest and value sound, every later change allowed) */
static void
judged(const unsigned char *d, size_t n, const char *name, int k)
{
	const char *build = getenv("SEALPACT_BUILD_DIR");
	char path[512], file[64];
	int valid, total, count, i;

	snprintf(file, sizeof(file), "%s.pdf", name);
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	write_file(path, d, n);
	ck_assert_int_eq(run("qpdf --check %s >/dev/null", path), 0);
	/* poppler 22 lists each widget of a signature with two as an entry */
	for (i = 1; i <= 2 * k; i++) {
		pdfsig_verdict(file, i, &valid, &total, &count);
		ck_assert_msg(valid, "%s: pdfsig: entry %d not valid", name, i);
	}
	ck_assert_int_eq(count, 2 * k);
	/* openssl's CMS has no ESS signing certificate (indeterminate, exit 2): what is
	   judged here is each signature's digest, value and the changes after it */
	run("%s/client/sealpact verify %s --trust-roots %s/cert.pem --json > %s/%s.json",
	    build ? build : "../../build", path, dir, dir, name);
	ck_assert_msg(run("python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); "
			  "s=r[\"signatures\"]; sys.exit(0 if len(s)==%d and all("
			  "x[\"checks\"][\"digest\"] and x[\"checks\"][\"signature\"] and "
			  "x[\"checks\"][\"changes\"] and x[\"changes\"][\"disallowed\"]==0 "
			  "for x in s) else 1)' %s/%s.json",
			  k, dir, name) == 0,
		      "%s: sealpact verify: a signature's digest, value or later changes are "
		      "not sound (%s/%s.json)",
		      name, dir, name);
}

/*
 * Three signers the same day: the first writes the font and the date's
 * appearance, the second and third name both (two updates back for the
 * third): no Type 3 font and no date appearance in their updates; the dates
 * read as text and are drawn.
 */
START_TEST(later_dates_draw_with_the_first_font)
{
	unsigned char *d, *s[4], *txt;
	size_t n[4], tn;
	char path[512], date[16];
	int font = 0, ap = 0, k, dark;

	d = make_plain_pdf(2, &n[0]);
	s[0] = d;
	for (k = 1; k <= 3; k++) {
		/* each date in a place of its own (pdftotext reads overlaid text once) */
		struct pdf_placement pl[2] = { stamps[0], stamps[1] };

		pl[0].y = pl[1].y = 150 * k;
		s[k] = sign_with_openssl(s[k - 1], n[k - 1], pl, 2, &n[k]);
		ck_assert_mem_eq(s[k], s[k - 1], n[k - 1]);
		if (k == 1) {
			ck_assert_int_eq(count_of(s[1] + n[0], n[1] - n[0], "/Subtype /Type3"), 1);
			font = last_font_named(s[1], n[1], n[0]);
			ap = last_ap_named(s[1], n[1], n[0]);
			ck_assert_int_gt(font, 0);
			continue;
		}
		ck_assert_msg(count_of(s[k] + n[k - 1], n[k] - n[k - 1], "/Subtype /Type3") == 0,
			      "signer %d wrote a font of its own", k);
		ck_assert_msg(last_font_named(s[k], n[k], n[k - 1]) == 0,
			      "signer %d wrote a date appearance of its own (naming font %d)", k,
			      last_font_named(s[k], n[k], n[k - 1]));
		ck_assert_msg(last_ap_named(s[k], n[k], n[k - 1]) == ap,
			      "signer %d's date widget names appearance %d, not the first's %d", k,
			      last_ap_named(s[k], n[k], n[k - 1]), ap);
	}
	judged(s[3], n[3], "three", 3);
	/* the three dates are text (the glyphs' standard names) and are drawn */
	pdf_date_text(T0, 480, date);
	snprintf(path, sizeof(path), "%s/three.pdf", dir);
	ck_assert_int_eq(run("pdftotext %s %s/three.txt", path, dir), 0);
	snprintf(path, sizeof(path), "%s/three.txt", dir);
	txt = read_file(path, &tn);
	ck_assert_ptr_nonnull(txt);
	ck_assert_msg(count_of(txt, tn, date) == 3, "pdftotext finds %s %d times, not 3", date,
		      count_of(txt, tn, date));
	free(txt);
	dark = (int)page1_red(s[3], n[3], "three_r", 0);
	ck_assert_int_gt(dark, 0);
	for (k = 0; k <= 3; k++)
		free(s[k]);
}
END_TEST

/* d[0..n) written as NAME in dir */
static void
write_file_in_dir(const unsigned char *d, size_t n, const char *name)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	write_file(path, d, n);
}

/*
 * Twelve signers the same day, each adding 7 new objects: the first's font
 * and appearance lie further back than the newest objects looked at (64)
 * from the eleventh on; each later signer still finds them through the date
 * widget of the signer before it.
 */
START_TEST(the_first_font_is_found_far_back)
{
	unsigned char *s[13];
	size_t n[13];
	int ap = 0, k;

	s[0] = make_plain_pdf(1, &n[0]);
	for (k = 1; k <= 12; k++) {
		s[k] = sign_with_openssl(s[k - 1], n[k - 1], stamps, 2, &n[k]);
		if (k == 1) {
			ap = last_ap_named(s[1], n[1], n[0]);
			free(s[0]);
			continue;
		}
		ck_assert_msg(count_of(s[k] + n[k - 1], n[k] - n[k - 1], "/Subtype /Type3") == 0 &&
				      last_ap_named(s[k], n[k], n[k - 1]) == ap,
			      "signer %d wrote a font or date appearance of its own (names %d, not "
			      "%d)",
			      k, last_ap_named(s[k], n[k], n[k - 1]), ap);
		free(s[k - 1]);
	}
	judged(s[12], n[12], "twelve", 12);
	free(s[12]);
}
END_TEST

/* The byte after the first occurrence of what in d[from..n) (asserted there). */
static size_t
offset_of(const unsigned char *d, size_t n, size_t from, const char *what)
{
	const unsigned char *f = memmem(d + from, n - from, what, strlen(what));

	ck_assert_msg(f != NULL, "%s not found", what);
	return (size_t)(f - d);
}

/*
 * d[0..n) with an update after it that gives object num (generation 0) the
 * body text: the trailer as the last one, its /Prev the last section.
 */
static unsigned char *
updated(const unsigned char *d, size_t n, int num, const char *body, size_t *outn)
{
	size_t tr = 0, p, sx, prev, obj;
	struct sp_buf b;
	const unsigned char *f;

	for (p = 0; (f = memmem(d + p, n - p, "trailer\n<<", 10)) != NULL; p = tr + 1)
		tr = (size_t)(f - d);
	sx = offset_of(d, n, tr, " /Prev ");
	p = offset_of(d, n, tr, "startxref\n") + 10;
	prev = (size_t)strtoull((const char *)d + p, NULL, 10);
	sp_buf_init(&b, (size_t)64 << 20);
	ck_assert_int_eq(sp_buf_add(&b, d, n), 0);
	obj = b.len;
	ck_assert_int_ge(sp_buf_printf(&b, "%d 0 obj\n%s\nendobj\n", num, body), 0);
	p = b.len;
	ck_assert_int_ge(sp_buf_printf(&b, "xref\n%d 1\n%010zu 00000 n \ntrailer\n", num, obj), 0);
	ck_assert_int_eq(sp_buf_add(&b, d + tr + 8, sx - tr - 8), 0);
	ck_assert_int_ge(sp_buf_printf(&b, " /Prev %zu>>\nstartxref\n%zu\n%%%%EOF\n", prev, p), 0);
	return sp_buf_take(&b, outn);
}

/*
 * An earlier "font" that is not byte for byte ours draws no date of ours:
 * 0, one glyph's outline changed in place (the zero's first point); 1, the
 * same glyph redefined by a later update (the chain's newest listing is
 * what readers draw); 2, the font's matrix changed in place (the same
 * length: drawn at another size); 3, the font redefined by a later update
 * naming a glyph it does not draw. Each time the next signer writes a font
 * of its own and its date names it. And 4: the font is ours but the earlier
 * date appearance draws another day (changed in place): the next signer
 * names the font from an appearance of its own.
 */
START_TEST(an_earlier_font_not_ours_is_not_used)
{
	unsigned char *d, *s1, *h, *s2;
	size_t n, n1, hn, n2, p;
	int font, zero;
	char body[512];

	d = make_plain_pdf(1, &n);
	s1 = sign_with_openssl(d, n, stamps, 2, &n1);
	font = last_font_named(s1, n1, n);
	/* the zero's stream: every date of this century draws one */
	p = offset_of(s1, n1, offset_of(s1, n1, n, "/CharProcs <<"), "/zero ");
	zero = num_at(s1, n1, p + 6);
	ck_assert_int_gt(zero, 0);
	h = malloc(n1);
	memcpy(h, s1, n1);
	hn = n1;
	switch (_i) {
	case 0:
		p = offset_of(h, hn, n, "441 358 m");
		h[p + 6] = '9';
		break;
	case 1:
		free(h);
		snprintf(body, sizeof(body),
			 "<< /Length 43>>\nstream\n556 0 d0 80 w 1 J 1 j 100 100 m 400 600 l S\n"
			 "endstream");
		h = updated(s1, n1, zero, body, &hn);
		break;
	case 2:
		p = offset_of(h, hn, n, "/FontMatrix [0.001 0 0 0.001 0 0]");
		h[p + 15] = '2';
		break;
	case 3:
		free(h);
		snprintf(body, sizeof(body),
			 "<</Type /Font /Subtype /Type3 /FontBBox [0 0 556 720] /FontMatrix "
			 "[0.001 0 0 0.001 0 0] /FirstChar 45 /LastChar 57 /Widths [333 0 0 556 "
			 "556 556 556 556 556 556 556 556 556] /Encoding <</Type /Encoding "
			 "/Differences [45 /hyphen 48 /zero /one /two /three /four /five /six "
			 "/seven /eight /nine]>> /Resources << >> /CharProcs <</zero %d 0 R /one "
			 "%d 0 R >>>>",
			 zero, zero);
		h = updated(s1, n1, font, body, &hn);
		break;
	case 4:
		p = offset_of(h, hn, n, ") Tj ET");
		h[p - 1] = h[p - 1] == '9' ? '8' : (unsigned char)(h[p - 1] + 1);
		break;
	}
	s2 = sign_with_openssl(h, hn, stamps, 2, &n2);
	ck_assert_mem_eq(s2, h, hn);
	if (_i == 4) {
		ck_assert_int_eq(count_of(s2 + hn, n2 - hn, "/Subtype /Type3"), 0);
		ck_assert_msg(last_font_named(s2, n2, hn) == font,
			      "case 4: the second signer's date names font %d, not %d",
			      last_font_named(s2, n2, hn), font);
		ck_assert_int_gt(last_ap_named(s2, n2, hn), last_ap_named(h, hn, n));
	} else {
		ck_assert_msg(count_of(s2 + hn, n2 - hn, "/Subtype /Type3") == 1,
			      "case %d: the second signer drew with the earlier font %d", _i, font);
		ck_assert_int_gt(last_font_named(s2, n2, hn), font);
	}
	write_file_in_dir(s2, n2, "hostile.pdf");
	ck_assert_int_eq(run("qpdf --check %s/hostile.pdf >/dev/null", dir), 0);
	free(d);
	free(s1);
	free(h);
	free(s2);
}
END_TEST

/*
 * The font found through entries the caller kept (a completion's merged
 * table) is the one found from the bytes; a date of other digits (another
 * day) writes its own.
 */
START_TEST(kept_entries_find_the_same_font)
{
	unsigned char *d, *s1, *s2, *t = NULL;
	size_t n, n1, n2, nrevs = 0, tlen = 0, elen = 0;
	struct pdf_revision revs[8];
	struct sp_errinfo ei;
	struct pdf_doc *doc = NULL;
	void *entries = NULL;
	char date[16], other[16];
	int font, ap;
	size_t ap_off;

	d = make_plain_pdf(1, &n);
	s1 = sign_with_openssl(d, n, stamps, 2, &n1);
	s2 = sign_with_openssl(s1, n1, stamps, 2, &n2);
	font = last_font_named(s1, n1, n);
	sp_errinfo_init(&ei);
	ck_assert_int_eq(pdf_revisions_find(s2, n2, revs, 8, &nrevs, &ei), SP_OK);
	ck_assert_int_eq(pdf_xref_merged_ex(s2, n2, revs, nrevs, NULL, 0, 0, &t, &tlen, &entries,
					    &elen, &ei),
			 SP_OK);
	ck_assert_msg(pdf_doc_open(s2, n2, &doc, &ei) == SP_OK, "%s", ei.msg);
	pdf_date_text(T0, 480, date);
	pdf_date_text(T0 + 86400 * 3, 480, other);
	ck_assert_int_eq(pdf_date_font_find(doc, entries, elen, date, &ap, &ap_off), font);
	/* the first signer's date appearance, which the second's widget names */
	ck_assert_int_eq(ap, last_ap_named(s1, n1, n));
	ck_assert_int_eq(last_ap_named(s2, n2, n1), ap);
	ck_assert_int_eq(pdf_date_font_find(doc, NULL, 0, date, &ap, &ap_off), font);
	ck_assert_str_ne(date, other);
	ck_assert_int_eq(pdf_date_font_find(doc, entries, elen, other, &ap, &ap_off), 0);
	/* entries that place no object from the font's number on find none */
	ck_assert_int_eq(pdf_date_font_find(doc, entries,
					    elen / pdf_xref_merged_count(elen) * (size_t)font, date,
					    &ap, &ap_off),
			 0);
	pdf_doc_free(doc);
	free(entries);
	free(t);
	free(d);
	free(s1);
	free(s2);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("pdf_sign_date");
	TCase *tc = test_tcase(s, "judges", setup, teardown, 1, 120);

	tcase_add_test(tc, later_dates_draw_with_the_first_font);
	tcase_add_test(tc, the_first_font_is_found_far_back);
	tcase_add_loop_test(tc, an_earlier_font_not_ours_is_not_used, 0, 5);
	tcase_add_test(tc, kept_entries_find_the_same_font);
	return test_suite_run(s);
}
