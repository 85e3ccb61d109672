/*
 * test_server_state_doc_parsed.c: qpdf's parse of a held document kept
 * with it (doc_cache_put_parsed_take, doc_cache_parsed_take / _put,
 * server/state/doc_cache.c): kept only when it reads the entry's very
 * bytes, lent to one open at a time, given back, and freed with the entry
 * (after it was replaced while lent too), counted in the bound as twice its
 * document; a cache that is off frees it.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pdf.h"
#include "state.h"

#define SHA_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

/* A one-page PDF (malloc'd), its /Producer text varying with tag. */
static uint8_t *
pdf(int tag, size_t *n)
{
	size_t cap = 2048, off[4], len, x, i;
	char *d = malloc(cap), body[96];
	const char *objs[4] = { "<< /Type /Catalog /Pages 2 0 R >>",
				"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
				"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>", body };

	ck_assert_ptr_nonnull(d);
	snprintf(body, sizeof(body), "<< /Producer (tag %d) >>", tag);
	len = (size_t)snprintf(d, cap, "%%PDF-1.7\n");
	for (i = 0; i < 4; i++) {
		off[i] = len;
		len += (size_t)snprintf(d + len, cap - len, "%zu 0 obj\n%s\nendobj\n", i + 1,
					objs[i]);
	}
	x = len;
	len += (size_t)snprintf(d + len, cap - len,
				"xref\n0 5\n0000000000 65535 f \n%010zu 00000 n \n%010zu 00000 n "
				"\n%010zu 00000 n \n%010zu 00000 n \ntrailer\n<< /Size 5 /Root 1 0 "
				"R /Info 4 0 R >>\nstartxref\n%zu\n%%%%EOF\n",
				off[0], off[1], off[2], off[3], x);
	*n = len;
	return (uint8_t *)d;
}

/* qpdf's parse of d[0..n) as a completion or prepare hands it on. */
static struct pdf_parsed *
parse_of(const uint8_t *d, size_t n)
{
	struct pdf_doc *doc = NULL;
	struct pdf_parsed *p;
	struct sp_errinfo ei;

	sp_errinfo_init(&ei);
	ck_assert_int_eq(pdf_doc_open_known(d, n, NULL, 0, &doc, &ei), SP_OK);
	p = pdf_doc_parsed_take(doc);
	ck_assert_ptr_nonnull(p);
	pdf_doc_free(doc);
	return p;
}

START_TEST(kept_lent_given_back)
{
	struct doc_cache *c = NULL;
	struct sp_errinfo ei;
	const struct doc_cached *e;
	struct pdf_parsed *p, *q;
	uint8_t *d, *other, *newer;
	size_t n, on = 0, plen = 0;

	sp_errinfo_init(&ei);
	ck_assert_int_eq(doc_cache_new(1 << 20, &c, &ei), SP_OK);
	d = pdf(1, &n);
	doc_cache_put_parsed_take(c, 7, 1, d, n, SHA_A, NULL, NULL, NULL, 0, parse_of(d, n), 1);
	ck_assert_ptr_nonnull(e = doc_cache_get(c, 7));
	/* lent to one open: a second take finds none */
	ck_assert_ptr_nonnull(p = doc_cache_parsed_take(c, e));
	ck_assert_ptr_eq(pdf_parsed_data(p, &plen), e->data);
	ck_assert_uint_eq(plen, e->len);
	ck_assert_ptr_null(doc_cache_parsed_take(c, e));
	/* another parse of equal bytes in another buffer is not the entry's: freed */
	other = malloc(n);
	ck_assert_ptr_nonnull(other);
	memcpy(other, d, n);
	doc_cache_parsed_put(c, e, parse_of(other, n));
	ck_assert_ptr_null(doc_cache_parsed_take(c, e));
	/* given back; a second one put meanwhile is freed */
	doc_cache_parsed_put(c, e, p);
	q = parse_of(e->data, e->len);
	doc_cache_parsed_put(c, e, q);
	ck_assert_ptr_nonnull(p = doc_cache_parsed_take(c, e));
	/* replaced while lent: given back to the old entry, freed with it */
	newer = pdf(2, &on);
	doc_cache_put_take(c, 7, 2, newer, on, SHA_A, NULL);
	doc_cache_parsed_put(c, e, p);
	doc_cache_release(c, e);
	ck_assert_ptr_nonnull(e = doc_cache_get(c, 7));
	ck_assert_int_eq(e->seq, 2);
	ck_assert_ptr_null(doc_cache_parsed_take(c, e)); /* none made of these bytes */
	doc_cache_release(c, e);
	free(other);
	doc_cache_free(c);
}
END_TEST

START_TEST(not_the_bytes_not_kept)
{
	struct doc_cache *c = NULL;
	struct sp_errinfo ei;
	const struct doc_cached *e;
	uint8_t *d, *d2;
	size_t n, n2;

	sp_errinfo_init(&ei);
	ck_assert_int_eq(doc_cache_new(1 << 20, &c, &ei), SP_OK);
	d = pdf(3, &n);
	d2 = pdf(4, &n2);
	/* a parse of other bytes (of the same length) is not kept with d */
	ck_assert_uint_eq(n, n2);
	doc_cache_put_parsed_take(c, 8, 0, d, n, SHA_A, NULL, NULL, NULL, 0, parse_of(d2, n2), 1);
	ck_assert_ptr_nonnull(e = doc_cache_get(c, 8));
	ck_assert_ptr_null(doc_cache_parsed_take(c, e));
	doc_cache_release(c, e);
	/* nor by a cache that is off, or with a document it does not keep */
	doc_cache_put_parsed_take(NULL, 9, 0, d2, n2, SHA_A, NULL, NULL, NULL, 0, parse_of(d2, n2),
				  1);
	d = pdf(5, &n);
	doc_cache_put_parsed_take(c, 9, -1, d, n, SHA_A, NULL, NULL, NULL, 0, parse_of(d, n), 1);
	ck_assert_ptr_null(doc_cache_get(c, 9));
	doc_cache_parsed_put(NULL, NULL, NULL);
	doc_cache_free(c);
}
END_TEST

/* A parse counts in the bound as twice its document; one that does not fit is not kept,
   nor one given later to an entry made without one when it does not fit then. */
START_TEST(counted_in_the_bound)
{
	struct doc_cache *c = NULL;
	struct doc_cache_stats st;
	struct sp_errinfo ei;
	const struct doc_cached *e;
	uint8_t *d;
	size_t n;

	sp_errinfo_init(&ei);
	free(pdf(0, &n));
	ck_assert_int_eq(doc_cache_new(3 * n, &c, &ei), SP_OK);
	d = pdf(1, &n);
	doc_cache_put_parsed_take(c, 1, 1, d, n, SHA_A, NULL, NULL, NULL, 0, parse_of(d, n), 1);
	doc_cache_stats(c, &st);
	ck_assert_uint_eq(st.bytes, 3 * n);
	ck_assert_uint_eq(st.document_bytes, n);
	ck_assert_uint_eq(st.parse_bytes, 2 * n);
	ck_assert_ptr_nonnull(e = doc_cache_get(c, 1));
	doc_cache_parsed_put(c, e, doc_cache_parsed_take(c, e));
	doc_cache_release(c, e);
	doc_cache_free(c);
	/* one byte short: the document is kept, its parse not */
	ck_assert_int_eq(doc_cache_new(3 * n - 1, &c, &ei), SP_OK);
	d = pdf(1, &n);
	doc_cache_put_parsed_take(c, 1, 1, d, n, SHA_A, NULL, NULL, NULL, 0, parse_of(d, n), 1);
	doc_cache_stats(c, &st);
	ck_assert_uint_eq(st.bytes, n);
	ck_assert_uint_eq(st.parse_bytes, 0);
	ck_assert_ptr_nonnull(e = doc_cache_get(c, 1));
	ck_assert_ptr_null(doc_cache_parsed_take(c, e));
	/* nor given later to that entry, made without one: it does not fit either */
	doc_cache_parsed_put(c, e, parse_of(e->data, e->len));
	ck_assert_ptr_null(doc_cache_parsed_take(c, e));
	doc_cache_release(c, e);
	doc_cache_free(c);
}
END_TEST

/*
 * An entry made without a parse (an upload, a load) keeps the first one given
 * (prepare's open of it) for the completion's open of the same base, counted
 * from then on; only when it fits without evicting anything, and it goes
 * with the entry when a newer revision replaces it.
 */
START_TEST(an_upload_keeps_its_prepare_parse)
{
	struct doc_cache *c = NULL;
	struct doc_cache_stats st;
	struct sp_errinfo ei;
	const struct doc_cached *e, *f;
	struct pdf_parsed *p;
	uint8_t *d, *other;
	size_t n, on;

	sp_errinfo_init(&ei);
	free(pdf(0, &n));
	ck_assert_int_eq(doc_cache_new(5 * n, &c, &ei), SP_OK);
	d = pdf(1, &n);
	doc_cache_put_take(c, 1, 0, d, n, SHA_A, NULL);
	other = pdf(2, &on);
	doc_cache_put_take(c, 2, 0, other, on, SHA_A, NULL);
	ck_assert_ptr_nonnull(e = doc_cache_get(c, 1));
	ck_assert_ptr_null(doc_cache_parsed_take(c, e));
	doc_cache_parsed_put(c, e, parse_of(e->data, e->len));
	doc_cache_stats(c, &st);
	ck_assert_uint_eq(st.parse_bytes, 2 * n);
	ck_assert_uint_eq(st.bytes, 2 * n + n + on);
	ck_assert_ptr_nonnull(p = doc_cache_parsed_take(c, e));
	doc_cache_parsed_put(c, e, p);
	/* the other entry's would not fit beside it now: not kept, nothing evicted */
	ck_assert_ptr_nonnull(f = doc_cache_get(c, 2));
	doc_cache_parsed_put(c, f, parse_of(f->data, f->len));
	ck_assert_ptr_null(doc_cache_parsed_take(c, f));
	doc_cache_release(c, f);
	doc_cache_stats(c, &st);
	ck_assert_uint_eq(st.entries, 2);
	ck_assert_uint_eq(st.bytes, 3 * n + on);
	/* the completion's revision replaces the entry: its parse goes with it */
	doc_cache_put_take(c, 1, 1, pdf(3, &on), on, SHA_A, NULL);
	doc_cache_release(c, e);
	doc_cache_stats(c, &st);
	ck_assert_uint_eq(st.parse_bytes, 0);
	ck_assert_uint_eq(st.bytes, st.document_bytes);
	doc_cache_free(c);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("server_state_doc_parsed");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, kept_lent_given_back);
	tcase_add_test(tc, not_the_bytes_not_kept);
	tcase_add_test(tc, counted_in_the_bound);
	tcase_add_test(tc, an_upload_keeps_its_prepare_parse);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
