/*
 * test_pdf_text.c: the text locator on real contract PDFs (made by
 * tests/fixtures/contracts/make.sh with LibreOffice), checked against an
 * independent reader: poppler's `pdftotext -bbox`. Every occurrence poppler
 * sees must be found, at poppler's position within a couple of points.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pdf.h"

#define TOL 2.0 /* points */

struct box {
	int page;
	double x0, y0, x1, y1;
};

static char *
fixture(const char *name)
{
	const char *src = getenv("SEALPACT_SOURCE_DIR");
	char *p = NULL;

	ck_assert_msg(src != NULL, "SEALPACT_SOURCE_DIR not set");
	ck_assert_int_ge(asprintf(&p, "%s/tests/fixtures/contracts/%s", src, name), 0);
	return p;
}

static struct pdf_doc *
open_doc(const char *name)
{
	struct sp_errinfo ei;
	unsigned char *data = NULL;
	size_t len = 0;
	struct pdf_doc *doc = NULL;
	char *path = fixture(name);

	sp_errinfo_init(&ei);
	ck_assert_msg(sp_file_read(path, 64 << 20, &data, &len, &ei) == SP_OK, "%s: %s", path,
		      ei.msg);
	ck_assert_msg(pdf_doc_open(data, len, &doc, &ei) == SP_OK, "%s: %s", path, ei.msg);
	free(data);
	free(path);
	return doc;
}

/* Number of UTF-8 characters in s[0..n). */
static size_t
u8len(const char *s, size_t n)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++)
		if (((unsigned char)s[i] & 0xC0) != 0x80)
			k++;
	return k;
}

static int
all_wide(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x80)
			return 0;
	return 1;
}

/*
 * The occurrences of needle (no spaces in it) inside poppler's words, with
 * the box poppler implies: words are split at spaces, so the keyword is part
 * of one word; a word of only wide (CJK) characters has equal advances, so
 * the keyword's slice of it is proportional. x1 is NAN when it cannot be
 * derived (a word with narrow characters after the keyword start).
 */
static size_t
poppler_find(const char *pdf, const char *needle, struct box **out)
{
	char cmd[1024], line[4096], *tmp = NULL;
	FILE *f;
	int page = 0;
	double ph = 0;
	size_t n = 0, cap = 0, nl = strlen(needle);
	struct box *b = NULL;

	ck_assert_int_ge(asprintf(&tmp, "/tmp/sp_test_bbox_%d.html", (int)getpid()), 0);
	snprintf(cmd, sizeof(cmd), "pdftotext -bbox '%s' '%s'", pdf, tmp);
	ck_assert_msg(system(cmd) == 0, "pdftotext failed: %s", cmd);
	ck_assert((f = fopen(tmp, "r")) != NULL);
	while (fgets(line, sizeof(line), f)) {
		double xmin, ymin, xmax, ymax;
		char *w, *e, *hit;
		if (strstr(line, "<page ")) {
			page++;
			ck_assert(sscanf(strstr(line, "height=\""), "height=\"%lf", &ph) == 1);
			continue;
		}
		if (!(w = strstr(line, "<word ")))
			continue;
		ck_assert(sscanf(w, "<word xMin=\"%lf\" yMin=\"%lf\" xMax=\"%lf\" yMax=\"%lf\"",
				 &xmin, &ymin, &xmax, &ymax) == 4);
		w = strchr(w, '>') + 1;
		ck_assert((e = strstr(w, "</word>")) != NULL);
		*e = '\0';
		for (hit = w; (hit = strstr(hit, needle)); hit += nl) {
			size_t k = u8len(w, (size_t)(hit - w)), L = u8len(needle, nl),
			       N = u8len(w, strlen(w));
			double cw = (xmax - xmin) / (double)N;
			if (n == cap) {
				cap = cap ? cap * 2 : 16;
				/* cppcheck-suppress memleakOnRealloc ; a failure ends the case's process */
				ck_assert((b = realloc(b, cap * sizeof(*b))) != NULL);
			}
			b[n].page = page;
			b[n].y0 = ph - ymax; /* poppler's origin is the top-left corner */
			b[n].y1 = ph - ymin;
			if (all_wide(w)) {
				b[n].x0 = xmin + cw * (double)k;
				b[n].x1 = xmin + cw * (double)(k + L);
			} else {
				ck_assert_msg(k == 0, "keyword inside a mixed word: %s", w);
				b[n].x0 = xmin;
				b[n].x1 = NAN;
			}
			n++;
		}
	}
	fclose(f);
	unlink(tmp);
	free(tmp);
	*out = b;
	return n;
}

static int
box_cmp(const void *a, const void *b)
{
	const struct box *x = a, *y = b;

	if (x->page != y->page)
		return x->page - y->page;
	if (fabs(x->y1 - y->y1) > TOL)
		return x->y1 > y->y1 ? -1 : 1; /* top to bottom */
	return x->x0 < y->x0 ? -1 : x->x0 > y->x0;
}

/* Our hits for needle equal poppler's occurrences, one for one. */
static size_t
check_against_poppler(const char *name, const char *needle)
{
	struct pdf_doc *doc = open_doc(name);
	char *path = fixture(name);
	struct pdf_text_hit *hits = NULL;
	struct box *ours, *ref = NULL;
	size_t nhits = 0, nref, i;
	struct sp_errinfo ei;

	sp_errinfo_init(&ei);
	ck_assert_msg(pdf_text_find(doc, needle, &hits, &nhits, &ei) == SP_OK, "%s", ei.msg);
	nref = poppler_find(path, needle, &ref);
	ck_assert_msg(nhits == nref, "%s: %zu hits, poppler has %zu", name, nhits, nref);
	ck_assert((ours = calloc(nhits + 1, sizeof(*ours))) != NULL);
	for (i = 0; i < nhits; i++) {
		ck_assert(hits[i].x0 < hits[i].x1 && hits[i].y0 < hits[i].y1);
		/* reading order: pages never go back */
		if (i > 0)
			ck_assert_int_ge(hits[i].page, hits[i - 1].page);
		ours[i].page = hits[i].page;
		ours[i].x0 = hits[i].x0;
		ours[i].y0 = hits[i].y0;
		ours[i].x1 = hits[i].x1;
		ours[i].y1 = hits[i].y1;
	}
	qsort(ours, nhits, sizeof(*ours), box_cmp);
	qsort(ref, nref, sizeof(*ref), box_cmp);
	for (i = 0; i < nhits; i++) {
		const struct box *a = &ours[i], *b = &ref[i];
		ck_assert_int_eq(a->page, b->page);
		ck_assert_msg(fabs(a->x0 - b->x0) < TOL && fabs(a->y0 - b->y0) < TOL &&
				      fabs(a->y1 - b->y1) < TOL &&
				      (isnan(b->x1) || fabs(a->x1 - b->x1) < TOL),
			      "%s page %d: ours [%.2f %.2f %.2f %.2f], poppler [%.2f %.2f %.2f "
			      "%.2f]",
			      name, a->page, a->x0, a->y0, a->x1, a->y1, b->x0, b->y0, b->x1,
			      b->y1);
	}
	free(ours);
	free(ref);
	free(hits);
	free(path);
	pdf_doc_free(doc);
	return nhits;
}

START_TEST(contract30_party_b)
{
	struct pdf_doc *doc = open_doc("contract30.pdf");
	struct pdf_text_hit *hits = NULL;
	size_t n = 0, i;
	int per_page[31] = { 0 }, p;
	struct sp_errinfo ei;

	/* the fixture puts page % 3 occurrences on each page: 0, 1 or 2 */
	ck_assert_uint_eq(check_against_poppler("contract30.pdf", "乙方（盖章）"), 30);
	sp_errinfo_init(&ei);
	ck_assert(pdf_text_find(doc, "乙方（盖章）", &hits, &n, &ei) == SP_OK);
	for (i = 0; i < n; i++) {
		ck_assert(hits[i].page >= 1 && hits[i].page <= 30);
		per_page[hits[i].page]++;
		/* the seal line starts at the left margin */
		ck_assert(hits[i].x0 > 50 && hits[i].x0 < 60);
		ck_assert(hits[i].x1 - hits[i].x0 > 65 && hits[i].x1 - hits[i].x0 < 80);
	}
	for (p = 1; p <= 30; p++)
		ck_assert_msg(per_page[p] == p % 3, "page %d: %d hits", p, per_page[p]);
	/* two on one page: content order is top to bottom */
	for (i = 1; i < n; i++)
		if (hits[i].page == hits[i - 1].page)
			ck_assert(hits[i].y1 < hits[i - 1].y0);
	free(hits);
	pdf_doc_free(doc);
}
END_TEST

START_TEST(contract30_party_a)
{
	ck_assert_uint_eq(check_against_poppler("contract30.pdf", "甲方（盖章）"), 15);
}
END_TEST

START_TEST(short_contract)
{
	ck_assert_uint_eq(check_against_poppler("short.pdf", "乙方（盖章）"), 1);
	ck_assert_uint_eq(check_against_poppler("short.pdf", "甲方（盖章）"), 1);
	ck_assert_uint_eq(check_against_poppler("short.pdf", "保密协议"), 1);
}
END_TEST

START_TEST(mixed_latin)
{
	struct pdf_doc *doc = open_doc("mixed.pdf");
	struct pdf_text_hit *hits = NULL;
	size_t n = 0;
	struct sp_errinfo ei;

	ck_assert_uint_eq(check_against_poppler("mixed.pdf", "乙方（盖章）"), 4);
	ck_assert_uint_eq(check_against_poppler("mixed.pdf", "甲方（盖章）"), 2);
	ck_assert_uint_eq(check_against_poppler("mixed.pdf", "Agreement"), 4);
	ck_assert_uint_eq(check_against_poppler("mixed.pdf", "counterparts;"), 2);
	/* ASCII parentheses are not the full-width ones */
	ck_assert_uint_eq(check_against_poppler("mixed.pdf", "(乙方)"), 2);
	sp_errinfo_init(&ei);
	ck_assert(pdf_text_find(doc, "乙方(盖章)", &hits, &n, &ei) == SP_OK);
	ck_assert_uint_eq(n, 0);
	ck_assert_ptr_null(hits);
	/* a keyword with spaces spans poppler's words */
	ck_assert(pdf_text_find(doc, "Party B (Seal)", &hits, &n, &ei) == SP_OK);
	ck_assert_uint_eq(n, 2);
	ck_assert(hits[0].page == 1 && hits[1].page == 2);
	ck_assert(fabs(hits[0].x0 - 56.8) < TOL && hits[0].x1 > 120 && hits[0].x1 < 145.4);
	free(hits);
	pdf_doc_free(doc);
}
END_TEST

START_TEST(page_text)
{
	struct pdf_doc *doc = open_doc("short.pdf");
	struct sp_errinfo ei;
	char *t = NULL;
	size_t len = 0;

	sp_errinfo_init(&ei);
	ck_assert_msg(pdf_page_text(doc, 1, &t, &len, &ei) == SP_OK, "%s", ei.msg);
	ck_assert_uint_eq(strlen(t), len);
	ck_assert_ptr_nonnull(strstr(t, "保密协议\n"));
	ck_assert_ptr_nonnull(strstr(t, "双方就合作中知悉的商业秘密承担保密义务，期限三年。"));
	free(t);
	t = NULL;
	ck_assert_int_eq(pdf_page_text(doc, 2, &t, &len, &ei), SP_ERR_INVALID);
	ck_assert_ptr_null(t);
	ck_assert_int_eq(pdf_page_text(doc, 0, &t, &len, &ei), SP_ERR_INVALID);
	pdf_doc_free(doc);
}
END_TEST

START_TEST(bad_needles)
{
	struct pdf_doc *doc = open_doc("short.pdf");
	struct pdf_text_hit *hits = (struct pdf_text_hit *)1;
	size_t n = 7;
	struct sp_errinfo ei;
	char big[400];

	sp_errinfo_init(&ei);
	ck_assert_int_eq(pdf_text_find(doc, "", &hits, &n, &ei), SP_ERR_INVALID);
	ck_assert_ptr_null(hits);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(pdf_text_find(doc, " \t ", &hits, &n, &ei), SP_ERR_INVALID);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ck_assert_int_eq(pdf_text_find(doc, big, &hits, &n, &ei), SP_ERR_INVALID);
	ck_assert_int_eq(pdf_text_find(doc, "\xe4\xb9", &hits, &n, &ei), SP_ERR_INVALID);
	ck_assert_int_eq(pdf_text_find(doc, "\xc0\x80", &hits, &n, &ei), SP_ERR_INVALID);
	ck_assert_int_eq(pdf_text_find(doc, NULL, &hits, &n, &ei), SP_ERR_INVALID);
	ck_assert_int_eq(pdf_text_find(doc, "丙方（盖章）", &hits, &n, &ei), SP_OK);
	ck_assert_uint_eq(n, 0);
	ck_assert_ptr_null(hits);
	pdf_doc_free(doc);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("pdf_text");
	TCase *tc = tcase_create("fixtures");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, contract30_party_b);
	tcase_add_test(tc, contract30_party_a);
	tcase_add_test(tc, short_contract);
	tcase_add_test(tc, mixed_latin);
	tcase_add_test(tc, page_text);
	tcase_add_test(tc, bad_needles);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
