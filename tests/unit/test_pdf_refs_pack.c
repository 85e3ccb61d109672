/*
 * test_pdf_refs_pack.c: the references a verification ends with, packed to
 * be stored with their revision (pdf/refs_pack.c), come back exactly, and
 * only for the bytes they were packed for: a value of another revision, or
 * one cut, padded, reordered or out of range, is refused (the completion
 * then walks its base, as without one).
 */
#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pdf.h"
#include "support_suite.h"

static const uint8_t dig_a[32] = { 1, 2, 3 }, dig_b[32] = { 1, 2, 4 };

static void
round_trip(const int *nums, size_t n, size_t *packed_len)
{
	struct sp_errinfo ei;
	uint8_t *p = NULL;
	int *back = NULL;
	size_t len = 0, nb = 0;

	sp_errinfo_init(&ei);
	ck_assert_msg(pdf_refs_pack(nums, n, dig_a, &p, &len, &ei) == SP_OK, "%s", ei.msg);
	ck_assert_msg(pdf_refs_unpack(p, len, dig_a, &back, &nb, &ei) == SP_OK, "%s", ei.msg);
	ck_assert_uint_eq(nb, n);
	ck_assert(n == 0 || memcmp(back, nums, n * sizeof(*nums)) == 0);
	/* the same value for another revision's bytes: refused */
	free(back);
	back = NULL;
	ck_assert_int_eq(pdf_refs_unpack(p, len, dig_b, &back, &nb, &ei), SP_ERR_INVALID);
	ck_assert_ptr_null(back);
	ck_assert_uint_eq(nb, 0);
	if (packed_len != NULL)
		*packed_len = len;
	free(p);
}

START_TEST(sets_come_back_exactly)
{
	static const int empty[1] = { 0 }, one[] = { 7 },
			 mixed[] = { 1, 2, 3, -4, -5, 7, 9, 10, 0 },
			 neg_first[] = { -1, 2, -3, 4, 0 }, high[] = { 3999998, -3999999, 4000000 };
	int *big = malloc(100000 * sizeof(int));
	size_t i, len = 0;

	ck_assert_ptr_nonnull(big);
	round_trip(empty, 0, NULL);
	round_trip(empty, 1, NULL);
	round_trip(one, 1, NULL);
	round_trip(mixed, sizeof(mixed) / sizeof(mixed[0]), NULL);
	round_trip(neg_first, sizeof(neg_first) / sizeof(neg_first[0]), NULL);
	round_trip(high, sizeof(high) / sizeof(high[0]), NULL);
	/* a rewritten upload's numbers run unbroken: a few bytes for 100,000 of them */
	for (i = 0; i < 100000; i++)
		big[i] = (int)i + 1;
	round_trip(big, 100000, &len);
	ck_assert_uint_lt(len, 64);
	/* every third referred to twice: still exact */
	for (i = 0; i < 100000; i++)
		big[i] = i % 3 == 0 ? -((int)i + 1) : (int)i + 1;
	round_trip(big, 100000, &len);
	free(big);
}
END_TEST

/* export's order only: what is not ascending is not packed */
START_TEST(pack_refuses_what_export_does_not_give)
{
	static const int down[] = { 3, 2 }, twice[] = { 3, -3 }, zero[] = { 0, 1 },
			 over[] = { PDF_DOC_MAX_OBJECTS + 1 }, min[] = { INT_MIN };
	const int *bad[] = { down, twice, zero, over, min };
	const size_t nbad[] = { 2, 2, 2, 1, 1 };
	struct sp_errinfo ei;
	uint8_t *p = (uint8_t *)"x";
	size_t len = 1, i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		sp_errinfo_init(&ei);
		ck_assert_int_eq(pdf_refs_pack(bad[i], nbad[i], dig_a, &p, &len, &ei),
				 SP_ERR_INVALID);
		ck_assert_ptr_null(p);
		ck_assert_uint_eq(len, 0);
	}
}
END_TEST

static int
unpacks(const uint8_t *p, size_t len)
{
	struct sp_errinfo ei;
	int *back = NULL, r;
	size_t nb = 0;

	sp_errinfo_init(&ei);
	r = pdf_refs_unpack(p, len, dig_a, &back, &nb, &ei);
	ck_assert(r == SP_OK || (back == NULL && nb == 0));
	free(back);
	return r == SP_OK;
}

/* a stored value changed in any way that still looks like one is refused */
START_TEST(unpack_refuses_every_damaged_value)
{
	static const int nums[] = { 1, 2, 3, -4, -5, 700, 701, 0 };
	struct sp_errinfo ei;
	uint8_t *p = NULL, *q;
	size_t len = 0, i;

	sp_errinfo_init(&ei);
	ck_assert_int_eq(pdf_refs_pack(nums, 8, dig_a, &p, &len, &ei), SP_OK);
	ck_assert(unpacks(p, len));
	/* cut anywhere */
	for (i = 0; i < len; i++)
		ck_assert_msg(!unpacks(p, i), "cut to %zu of %zu bytes", i, len);
	ck_assert(!unpacks(NULL, 0));
	q = malloc(len + 64);
	ck_assert_ptr_nonnull(q);
	/* a byte after the end */
	memcpy(q, p, len);
	q[len] = 0;
	ck_assert(!unpacks(q, len + 1));
	/* another magic, unknown flags */
	q[0] = 'X';
	ck_assert(!unpacks(q, len));
	memcpy(q, p, len);
	q[36] = 2;
	ck_assert(!unpacks(q, len));
	/* a count the runs do not make (one more, one less) */
	memcpy(q, p, len);
	q[37]++;
	ck_assert(!unpacks(q, len));
	q[37] -= 2;
	ck_assert(!unpacks(q, len));
	/* a varint not in its shortest form (the count 7 as 0x87 0x00) */
	ck_assert_uint_eq(p[37], 7);
	memcpy(q, p, 38);
	q[37] = 0x87;
	q[38] = 0;
	memcpy(q + 39, p + 38, len - 38);
	ck_assert(!unpacks(q, len + 1));
	/* a varint longer than 32 bits */
	memcpy(q, p, 37);
	memcpy(q + 37, "\xff\xff\xff\xff\x7f", 5);
	ck_assert(!unpacks(q, 42));
	/* a run past the largest object number: one of 4,000,000 numbers from 1 */
	memcpy(q, p, 37);
	memcpy(q + 37, "\x80\x92\xf4\x01\x00\xff\x91\xf4\x01", 9);
	ck_assert(unpacks(q, 46));
	q[41] = 2; /* starting at 2 */
	ck_assert(!unpacks(q, 46));
	free(q);
	free(p);
}
END_TEST

static uint8_t *
slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	uint8_t *d;
	long sz;

	ck_assert_msg(f != NULL, "%s", path);
	ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
	sz = ftell(f);
	ck_assert_int_gt(sz, 0);
	rewind(f);
	d = malloc((size_t)sz);
	ck_assert_ptr_nonnull(d);
	ck_assert_uint_eq(fread(d, 1, (size_t)sz, f), (size_t)sz);
	fclose(f);
	*n = (size_t)sz;
	return d;
}

/* a contract's walk, packed: the set imported from it is the walk's, bit for bit */
START_TEST(a_contracts_walk_comes_back_as_walked)
{
	const char *src = getenv("SEALPACT_SOURCE_DIR");
	char path[4096];
	struct pdf_doc *doc = NULL;
	struct pdf_refs walked, back;
	struct sp_errinfo ei;
	uint8_t *d, *p = NULL;
	int *nums = NULL, *got = NULL;
	size_t n, nn = 0, len = 0, ng = 0;

	ck_assert_msg(src != NULL, "SEALPACT_SOURCE_DIR not set");
	snprintf(path, sizeof(path), "%s/tests/fixtures/contracts/contract30.pdf", src);
	d = slurp(path, &n);
	sp_errinfo_init(&ei);
	ck_assert_msg(pdf_doc_open(d, n, &doc, &ei) == SP_OK, "%s", ei.msg);
	ck_assert_msg(pdf_refs_init(doc, &walked, &ei) == SP_OK, "%s", ei.msg);
	ck_assert_int_eq(pdf_refs_export(&walked, &nums, &nn, &ei), SP_OK);
	ck_assert_uint_gt(nn, 100);
	ck_assert_int_eq(pdf_refs_pack(nums, nn, dig_a, &p, &len, &ei), SP_OK);
	/* stored with every revision: far less than the numbers themselves */
	ck_assert_msg(len * 4 < nn * sizeof(int), "%zu bytes for %zu numbers", len, nn);
	ck_assert_int_eq(pdf_refs_unpack(p, len, dig_a, &got, &ng, &ei), SP_OK);
	ck_assert_int_eq(pdf_refs_import(got, ng, &back, &ei), SP_OK);
	ck_assert_uint_eq(back.hi, walked.hi);
	ck_assert_int_eq(back.no_hidden, walked.no_hidden);
	/* each set has room for hi numbers at least, and holds none past them */
	ck_assert(memcmp(back.bits, walked.bits, (walked.hi + 7) / 8) == 0);
	ck_assert(memcmp(back.multi, walked.multi, (walked.hi + 7) / 8) == 0);
	pdf_refs_cleanup(&back);
	pdf_refs_cleanup(&walked);
	pdf_doc_free(doc);
	free(got);
	free(nums);
	free(p);
	free(d);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("pdf_refs_pack");
	TCase *t = test_tcase(s, "core", NULL, NULL, 1, 60);

	tcase_add_test(t, sets_come_back_exactly);
	tcase_add_test(t, pack_refuses_what_export_does_not_give);
	tcase_add_test(t, unpack_refuses_every_damaged_value);
	tcase_add_test(t, a_contracts_walk_comes_back_as_walked);
	return test_suite_run(s);
}
