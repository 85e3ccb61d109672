/*
 * test_snowflake.c: contract numbers (server/state/snowflake.c) and the node
 * id of each process of a `server.workers` group.
 */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "state.h"

#define THREADS 8
#define PER_THREAD 20000

static struct snowflake shared;
static int64_t *results[THREADS];

static int
cmp64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

START_TEST(nineteen_digits_from_2024_to_2086)
{
	struct snowflake sf;
	int64_t n;
	char s[32];
	/* 2024-01-01, now-ish, and late 2085 */
	const int64_t times[] = { SNOWFLAKE_EPOCH_MS, 1795000000000LL, 3660000000000LL };
	size_t i;

	ck_assert_int_eq(snowflake_init(&sf, 1023, NULL), SP_OK);
	for (i = 0; i < SP_ARRAY_LEN(times); i++) {
		ck_assert_int_eq(snowflake_next(&sf, times[i], &n), SP_OK);
		snprintf(s, sizeof(s), "%lld", (long long)n);
		ck_assert_uint_eq(strlen(s), 19);
	}
	/* 2087: the number would overflow int64, refused instead of wrapping. */
	ck_assert_int_eq(snowflake_next(&sf, 3680000000000LL, &n), SP_ERR_LIMIT);
	ck_assert_int_eq(n, 0);
	snowflake_cleanup(&sf);
	ck_assert_int_eq(snowflake_init(&sf, 1024, NULL), SP_ERR_INVALID);
	ck_assert_int_eq(snowflake_init(&sf, -1, NULL), SP_ERR_INVALID);
}
END_TEST

START_TEST(monotonic_even_when_the_clock_steps_back)
{
	struct snowflake sf;
	int64_t prev = 0, n, t = 1795000000000LL;
	int i;

	ck_assert_int_eq(snowflake_init(&sf, 7, NULL), SP_OK);
	for (i = 0; i < 10000; i++) {
		/* same millisecond 5000 times (more than 4096 a ms), then back 3 s */
		int64_t now = i < 5000 ? t : t - 3000;

		ck_assert_int_eq(snowflake_next(&sf, now, &n), SP_OK);
		ck_assert_msg(n > prev, "number %d not increasing", i);
		prev = n;
	}
	snowflake_cleanup(&sf);
}
END_TEST

START_TEST(time_ordered_and_node_separated)
{
	struct snowflake a, b;
	int64_t x, y, z;

	ck_assert_int_eq(snowflake_init(&a, 1, NULL), SP_OK);
	ck_assert_int_eq(snowflake_init(&b, 2, NULL), SP_OK);
	ck_assert_int_eq(snowflake_next(&a, 1795000000000LL, &x), SP_OK);
	ck_assert_int_eq(snowflake_next(&b, 1795000000000LL, &y), SP_OK);
	ck_assert_int_ne(x, y);
	/* A later millisecond on any node sorts after both. */
	ck_assert_int_eq(snowflake_next(&a, 1795000000001LL, &z), SP_OK);
	ck_assert(z > x && z > y);
	snowflake_cleanup(&a);
	snowflake_cleanup(&b);
}
END_TEST

static void *
worker(void *arg)
{
	int k = (int)(intptr_t)arg, i;

	for (i = 0; i < PER_THREAD; i++) {
		int64_t prev = i ? results[k][i - 1] : 0;

		if (snowflake_next(&shared, snowflake_now_ms(), &results[k][i]) != SP_OK ||
		    results[k][i] <= prev)
			return (void *)1;
	}
	return NULL;
}

START_TEST(unique_across_threads)
{
	pthread_t th[THREADS];
	int64_t *all = malloc(sizeof(int64_t) * THREADS * PER_THREAD);
	void *ret;
	int i;

	ck_assert_ptr_nonnull(all);
	ck_assert_int_eq(snowflake_init(&shared, 5, NULL), SP_OK);
	for (i = 0; i < THREADS; i++) {
		results[i] = all + (size_t)i * PER_THREAD;
		ck_assert_int_eq(pthread_create(&th[i], NULL, worker, (void *)(intptr_t)i), 0);
	}
	for (i = 0; i < THREADS; i++) {
		ck_assert_int_eq(pthread_join(th[i], &ret), 0);
		ck_assert_msg(ret == NULL, "thread %d saw a failure or a non-increasing number", i);
	}
	qsort(all, (size_t)THREADS * PER_THREAD, sizeof(int64_t), cmp64);
	for (i = 1; i < THREADS * PER_THREAD; i++)
		ck_assert_msg(all[i] != all[i - 1], "duplicate %lld", (long long)all[i]);
	snowflake_cleanup(&shared);
	free(all);
}
END_TEST

START_TEST(each_worker_numbers_on_a_node_of_its_own)
{
	struct snowflake sf[4];
	struct sp_errinfo ei;
	int64_t n[4];
	int node, i;

	/* base + index, for every worker of the group */
	for (i = 0; i < 4; i++) {
		ck_assert_int_eq(snowflake_worker_node(100, 4, i, &node, NULL), SP_OK);
		ck_assert_int_eq(node, 100 + i);
	}
	ck_assert_int_eq(snowflake_worker_node(0, 1, 0, &node, NULL), SP_OK);
	ck_assert_int_eq(node, 0);
	/* the last group that fits, and the first that does not */
	ck_assert_int_eq(snowflake_worker_node(SNOWFLAKE_MAX_NODE - 3, 4, 3, &node, NULL), SP_OK);
	ck_assert_int_eq(node, SNOWFLAKE_MAX_NODE);
	sp_errinfo_init(&ei);
	ck_assert_int_eq(snowflake_worker_node(SNOWFLAKE_MAX_NODE - 2, 4, 0, &node, &ei),
			 SP_ERR_CONFIG);
	ck_assert_int_eq(node, -1);
	ck_assert_msg(strstr(ei.msg, "server.node_id") != NULL, "%s", ei.msg);
	/* a group that does not fit is refused for every worker, not only the last */
	ck_assert_int_eq(snowflake_worker_node(1023, 2, 0, &node, NULL), SP_ERR_CONFIG);
	ck_assert_int_eq(snowflake_worker_node(-1, 1, 0, &node, NULL), SP_ERR_CONFIG);
	ck_assert_int_eq(snowflake_worker_node(0, 2, 2, &node, NULL), SP_ERR_CONFIG);
	ck_assert_int_eq(snowflake_worker_node(0, 2, -1, &node, NULL), SP_ERR_CONFIG);
	ck_assert_int_eq(snowflake_worker_node(0, 0, 0, &node, NULL), SP_ERR_CONFIG);
	/* four workers in the same millisecond: four numbers, told apart by their node bits */
	for (i = 0; i < 4; i++) {
		ck_assert_int_eq(snowflake_worker_node(7, 4, i, &node, NULL), SP_OK);
		ck_assert_int_eq(snowflake_init(&sf[i], node, NULL), SP_OK);
		ck_assert_int_eq(snowflake_next(&sf[i], 1795000000000LL, &n[i]), SP_OK);
		ck_assert_int_eq(((n[i] - SNOWFLAKE_OFFSET) >> 12) & 1023, 7 + i);
		if (i > 0)
			ck_assert_int_ne(n[i], n[i - 1]);
		snowflake_cleanup(&sf[i]);
	}
}
END_TEST

START_TEST(parse_exactly_nineteen_digits)
{
	int64_t n;

	ck_assert_int_eq(snowflake_parse("1000000000000000000", &n), SP_OK);
	ck_assert_int_eq(n, SNOWFLAKE_OFFSET);
	ck_assert_int_eq(snowflake_parse("9223372036854775807", &n), SP_OK);
	ck_assert_int_eq(snowflake_parse("9223372036854775808", &n), SP_ERR_INVALID);
	ck_assert_int_eq(snowflake_parse("0999999999999999999", &n), SP_ERR_INVALID);
	ck_assert_int_eq(snowflake_parse("100000000000000000", &n), SP_ERR_INVALID);
	ck_assert_int_eq(snowflake_parse("10000000000000000000", &n), SP_ERR_INVALID);
	ck_assert_int_eq(snowflake_parse("10000000000000000x0", &n), SP_ERR_INVALID);
	ck_assert_int_eq(snowflake_parse("+100000000000000000", &n), SP_ERR_INVALID);
	ck_assert_int_eq(snowflake_parse(NULL, &n), SP_ERR_INVALID);
	ck_assert_int_eq(n, 0);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("snowflake");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, nineteen_digits_from_2024_to_2086);
	tcase_add_test(tc, monotonic_even_when_the_clock_steps_back);
	tcase_add_test(tc, time_ordered_and_node_separated);
	tcase_add_test(tc, unique_across_threads);
	tcase_add_test(tc, each_worker_numbers_on_a_node_of_its_own);
	tcase_add_test(tc, parse_exactly_nineteen_digits);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
