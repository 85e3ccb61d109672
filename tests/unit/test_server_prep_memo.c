/*
 * test_server_prep_memo.c: what a member's prepare may skip its load for
 * (server/state/prep_memo.c): a member session and a seal come back as
 * they were put, for their own key only, until their lifetime ends or they
 * are dropped; a confirmation extends it; a seal is kept within the byte
 * budget; the counts add up.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "state.h"

#define H1 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define H2 "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"
/* the same slot as H1 in a table of 1024 (its first 16 digits), another token */
#define H1_TWIN "0123456789abcdef0000000000000000000000000000000000000000000000ff"

START_TEST(members_live_ttl_seconds)
{
	struct prep_memo *m = NULL;
	struct prep_member who = { 7, 70, 700, 7000, "911100000000000011" }, got;

	ck_assert_int_eq(prep_memo_new(1024, 8, 1 << 20, 30, &m, NULL), SP_OK);
	ck_assert_int_eq(prep_memo_member_get(m, H1, 100, &got), SP_ERR_NOT_FOUND);
	prep_memo_member_put(m, H1, 100, &who);
	ck_assert_int_eq(prep_memo_member_get(m, H1, 129, &got), SP_OK);
	ck_assert_int_eq(got.organization_id, 7);
	ck_assert_int_eq(got.user_id, 70);
	ck_assert_int_eq(got.credential_id, 700);
	ck_assert_int_eq(got.certificate_id, 7000);
	ck_assert_str_eq(got.credit_code, "911100000000000011");
	ck_assert_int_eq(prep_memo_member_get(m, H2, 101, &got), SP_ERR_NOT_FOUND);
	ck_assert_int_eq(prep_memo_member_get(m, "0123", 101, &got), SP_ERR_NOT_FOUND);
	/* its lifetime ends 30 s after the put; a confirmation starts it again */
	ck_assert_int_eq(prep_memo_member_get(m, H1, 130, &got), SP_ERR_NOT_FOUND);
	prep_memo_member_put(m, H1, 125, &who);
	ck_assert_int_eq(prep_memo_member_get(m, H1, 154, &got), SP_OK);
	/* a token of the same slot replaces it: never answers for the other */
	who.organization_id = 8;
	prep_memo_member_put(m, H1_TWIN, 126, &who);
	ck_assert_int_eq(prep_memo_member_get(m, H1, 127, &got), SP_ERR_NOT_FOUND);
	ck_assert_int_eq(prep_memo_member_get(m, H1_TWIN, 127, &got), SP_OK);
	ck_assert_int_eq(got.organization_id, 8);
	/* dropped: gone; dropping another token's leaves it */
	prep_memo_member_drop(m, H1);
	ck_assert_int_eq(prep_memo_member_get(m, H1_TWIN, 127, &got), SP_OK);
	prep_memo_member_drop(m, H1_TWIN);
	ck_assert_int_eq(prep_memo_member_get(m, H1_TWIN, 127, &got), SP_ERR_NOT_FOUND);
	prep_memo_free(m);
	ck_assert_int_eq(prep_memo_member_get(NULL, H1, 1, &got), SP_ERR_NOT_FOUND);
}
END_TEST

/* A stand-in for a picture's SHA-256 (the memo keeps what its caller computed). */
static const uint8_t *
dig(char c, uint8_t d[32])
{
	memset(d, c, 32);
	return d;
}

START_TEST(seals_by_organization_and_id)
{
	struct prep_memo *m = NULL;
	uint8_t *png, d[32], got[32];
	struct prep_memo_stats st;
	size_t len;
	char *info;

	ck_assert_int_eq(prep_memo_new(16, 64, 10, 30, &m, NULL), SP_OK);
	prep_memo_seal_put(m, 1, 5, 100, (const uint8_t *)"picture", 7, dig('P', d),
			   "{\"id\":\"5\"}");
	ck_assert_int_eq(prep_memo_seal_get(m, 1, 5, 110, &png, &len, got, &info), SP_OK);
	ck_assert_uint_eq(len, 7);
	ck_assert_mem_eq(png, "picture", 7);
	ck_assert_mem_eq(got, dig('P', d), 32); /* the digest the caller gave with it */
	ck_assert_str_eq(info, "{\"id\":\"5\"}");
	free(png);
	free(info);
	/* another organization's seal of that id, another id: not these */
	ck_assert_int_eq(prep_memo_seal_get(m, 2, 5, 110, &png, &len, got, &info),
			 SP_ERR_NOT_FOUND);
	ck_assert_int_eq(prep_memo_seal_get(m, 1, 6, 110, &png, &len, got, &info),
			 SP_ERR_NOT_FOUND);
	ck_assert_ptr_null(png);
	ck_assert_ptr_null(info);
	ck_assert_int_eq(prep_memo_seal_get(m, 1, 5, 130, &png, &len, got, &info),
			 SP_ERR_NOT_FOUND);
	/* the same seal again (the same digest) extends it; another picture replaces it */
	prep_memo_seal_put(m, 1, 5, 120, (const uint8_t *)"picture", 7, dig('P', d),
			   "{\"id\":\"5\"}");
	ck_assert_int_eq(prep_memo_seal_get(m, 1, 5, 149, &png, &len, got, &info), SP_OK);
	free(png);
	free(info);
	prep_memo_seal_put(m, 1, 5, 120, (const uint8_t *)"other", 5, dig('O', d),
			   "{\"id\":\"5\"}");
	ck_assert_int_eq(prep_memo_seal_get(m, 1, 5, 121, &png, &len, got, &info), SP_OK);
	ck_assert_mem_eq(png, "other", 5);
	free(png);
	free(info);
	/* 10 bytes of pictures at most: 5 held, 6 more are not kept, 5 are */
	prep_memo_seal_put(m, 1, 9, 120, (const uint8_t *)"sixsix", 6, dig('S', d), "{}");
	ck_assert_int_eq(prep_memo_seal_get(m, 1, 9, 121, &png, &len, got, &info),
			 SP_ERR_NOT_FOUND);
	prep_memo_seal_put(m, 1, 9, 120, (const uint8_t *)"fivef", 5, dig('F', d), "{}");
	ck_assert_int_eq(prep_memo_seal_get(m, 1, 9, 121, &png, &len, got, &info), SP_OK);
	free(png);
	free(info);
	/* dropped: its bytes are free again */
	prep_memo_seal_drop(m, 1, 5);
	ck_assert_int_eq(prep_memo_seal_get(m, 1, 5, 121, &png, &len, got, &info),
			 SP_ERR_NOT_FOUND);
	prep_memo_seal_put(m, 1, 10, 120, (const uint8_t *)"fiveg", 5, dig('G', d), "{}");
	ck_assert_int_eq(prep_memo_seal_get(m, 1, 10, 121, &png, &len, got, &info), SP_OK);
	free(png);
	free(info);
	/* what /metrics shows it holds: seals 9 and 10, their 10 bytes of pictures */
	prep_memo_stats(m, &st);
	ck_assert_uint_eq(st.seals, 2);
	ck_assert_uint_eq(st.seal_bytes, 10);
	ck_assert_uint_eq(st.seal_max_bytes, 10);
	prep_memo_free(m);
}
END_TEST

START_TEST(counts_and_bad_sizes)
{
	struct prep_memo *m = NULL;
	struct prep_memo_stats st;
	struct sp_errinfo ei;

	sp_errinfo_init(&ei);
	ck_assert_int_eq(prep_memo_new(1000, 8, 1, 30, &m, &ei), SP_ERR_INVALID);
	ck_assert_int_eq(prep_memo_new(8, 8, 1, 0, &m, &ei), SP_ERR_INVALID);
	ck_assert_ptr_null(m);
	ck_assert_int_eq(prep_memo_new(8, 8, 1, 1, &m, &ei), SP_OK);
	prep_memo_count(m, 1);
	prep_memo_count(m, 1);
	prep_memo_count(m, 0);
	prep_memo_stats(m, &st);
	ck_assert_uint_eq(st.one_trip, 2);
	ck_assert_uint_eq(st.fallback, 1);
	prep_memo_free(m);
	prep_memo_stats(NULL, &st);
	ck_assert_uint_eq(st.one_trip + st.fallback, 0);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("server_prep_memo");
	TCase *tc = tcase_create("memo");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, members_live_ttl_seconds);
	tcase_add_test(tc, seals_by_organization_and_id);
	tcase_add_test(tc, counts_and_bad_sizes);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
