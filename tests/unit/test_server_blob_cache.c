/*
 * test_server_blob_cache.c: the per-process cache of derived bytes
 * (server/state/blob_cache.c): a value comes back as it was put, as a copy
 * or lent; the least recently used entry goes when the table or its byte
 * budget is full; a value over the budget is not kept; a value lent stays
 * as it was until returned, whatever happens to its entry; threads may
 * share it.
 */
#include <check.h>
#include <pthread.h>
#include <string.h>

#include "state.h"

static void
key_of(int i, uint8_t key[32])
{
	memset(key, 0, 32);
	memcpy(key, &i, sizeof(i));
}

static int
has(struct blob_cache *c, int i, const char *want)
{
	uint8_t key[32], *v = NULL;
	size_t len = 0;
	int ok;

	key_of(i, key);
	if (blob_cache_get(c, key, &v, &len) != SP_OK)
		return 0;
	ok = want == NULL || (len == strlen(want) && memcmp(v, want, len) == 0);
	free(v);
	return ok ? 1 : -1;
}

static void
put(struct blob_cache *c, int i, const char *val)
{
	uint8_t key[32];

	key_of(i, key);
	blob_cache_put(c, key, (const uint8_t *)val, strlen(val));
}

START_TEST(values_come_back_as_copies)
{
	struct blob_cache *c = NULL;
	struct sp_errinfo ei;
	char buf[8] = "first";
	uint8_t key[32], *v = NULL;
	size_t len = 0;
	struct blob_cache_stats st;

	sp_errinfo_init(&ei);
	ck_assert_int_eq(blob_cache_new(4, 1024, &c, &ei), SP_OK);
	key_of(1, key);
	ck_assert_int_eq(blob_cache_get(c, key, &v, &len), SP_ERR_NOT_FOUND);
	ck_assert_ptr_null(v);
	blob_cache_put(c, key, (const uint8_t *)buf, 5);
	memcpy(buf, "XXXXX", 5); /* the cache kept its own copy */
	ck_assert_int_eq(has(c, 1, "first"), 1);
	ck_assert_int_eq(blob_cache_get(c, key, &v, &len), SP_OK);
	v[0] = 'Y'; /* and hands out copies */
	free(v);
	ck_assert_int_eq(has(c, 1, "first"), 1);
	put(c, 1, "second"); /* replaced */
	ck_assert_int_eq(has(c, 1, "second"), 1);
	ck_assert_int_eq(has(c, 2, NULL), 0);
	/* no cache: every get misses, a put is a no-op */
	ck_assert_int_eq(blob_cache_get(NULL, key, &v, &len), SP_ERR_NOT_FOUND);
	blob_cache_put(NULL, key, (const uint8_t *)"x", 1);
	/* the gets counted (/metrics): 4 found their key, 2 did not */
	blob_cache_stats(c, &st);
	ck_assert_uint_eq(st.hits, 4);
	ck_assert_uint_eq(st.misses, 2);
	/* what it holds (/metrics): "second" under 1 */
	ck_assert_uint_eq(st.entries, 1);
	ck_assert_uint_eq(st.bytes, 6);
	blob_cache_stats(NULL, &st);
	ck_assert_uint_eq(st.hits + st.misses + st.entries + st.bytes + st.max_bytes, 0);
	blob_cache_free(c);
	blob_cache_free(NULL);
	ck_assert_int_ne(blob_cache_new(0, 1024, &c, &ei), SP_OK);
	ck_assert_ptr_null(c);
}
END_TEST

START_TEST(least_recently_used_goes)
{
	struct blob_cache *c = NULL;
	struct sp_errinfo ei;

	sp_errinfo_init(&ei);
	ck_assert_int_eq(blob_cache_new(3, 12, &c, &ei), SP_OK);
	put(c, 1, "aaaa");
	put(c, 2, "bbbb");
	put(c, 3, "cccc");
	ck_assert_int_eq(has(c, 1, "aaaa"), 1); /* 1 used: 2 is now the oldest */
	put(c, 4, "dd");                        /* the table is full: 2 goes */
	ck_assert_int_eq(has(c, 2, NULL), 0);
	ck_assert_int_eq(has(c, 1, "aaaa") + has(c, 3, "cccc") + has(c, 4, "dd"), 3);
	/* read since in the order 1, 3, 4. 10 bytes kept and the table full: 6 more bytes
	   need one slot and fit in the 12-byte budget once the oldest (1) is gone */
	put(c, 5, "eeeeee");
	ck_assert_int_eq(has(c, 5, "eeeeee"), 1);
	ck_assert_int_eq(has(c, 1, NULL), 0);
	ck_assert_int_eq(has(c, 3, "cccc"), 1);
	/* 12 bytes and a full table: 2 more need a slot; the oldest (4) goes, and they fit */
	put(c, 7, "gg");
	ck_assert_int_eq(has(c, 7, "gg") + has(c, 3, "cccc"), 2);
	ck_assert_int_eq(has(c, 4, NULL), 0);
	ck_assert_int_eq(has(c, 5, "eeeeee"), 1);
	/* over the whole budget: not kept, nothing else dropped */
	put(c, 6, "ffffffffffffff");
	ck_assert_int_eq(has(c, 6, NULL), 0);
	ck_assert_int_eq(has(c, 3, "cccc") + has(c, 5, "eeeeee") + has(c, 7, "gg"), 3);
	blob_cache_free(c);
}
END_TEST

/* Keys that share their first 8 bytes (one hash bucket) and a table of many entries:
   each is found by its whole key, and the order of use decides what goes. */
static void
key_far(int i, uint8_t key[32])
{
	memset(key, 0xab, 32);
	memcpy(key + 28, &i, sizeof(i));
}

START_TEST(many_entries_one_bucket)
{
	struct blob_cache *c = NULL;
	struct sp_errinfo ei;
	uint8_t key[32], *v = NULL;
	size_t len = 0;
	int i, n;

	sp_errinfo_init(&ei);
	ck_assert_int_eq(blob_cache_new(64, 1 << 20, &c, &ei), SP_OK);
	for (i = 0; i < 100; i++) {
		key_far(i, key);
		blob_cache_put(c, key, (const uint8_t *)&i, sizeof(i));
	}
	/* the last 64 put are there, each with its own value; the first 36 went */
	for (i = n = 0; i < 100; i++) {
		key_far(i, key);
		if (blob_cache_get(c, key, &v, &len) == SP_OK) {
			ck_assert_uint_eq(len, sizeof(i));
			ck_assert_int_eq(memcmp(v, &i, sizeof(i)), 0);
			ck_assert_int_ge(i, 36);
			n++;
		}
		free(v);
		v = NULL;
	}
	ck_assert_int_eq(n, 64);
	/* read since in the order 36..99: 36..45 go for ten new ones; replacing 50 and reading
	   47 keeps them, so 46 and 48 go next */
	for (i = 100; i < 110; i++) {
		key_far(i, key);
		blob_cache_put(c, key, (const uint8_t *)&i, sizeof(i));
	}
	key_far(50, key);
	blob_cache_put(c, key, (const uint8_t *)"x", 1);
	key_far(47, key);
	ck_assert_int_eq(blob_cache_get(c, key, &v, &len), SP_OK);
	free(v);
	for (i = 110; i < 112; i++) {
		key_far(i, key);
		blob_cache_put(c, key, (const uint8_t *)&i, sizeof(i));
	}
	for (i = 36; i < 112; i++) {
		key_far(i, key);
		ck_assert_int_eq(blob_cache_get(c, key, &v, &len) == SP_OK,
				 !(i < 46 || i == 46 || i == 48));
		if (i == 50)
			ck_assert(len == 1 && v[0] == 'x');
		free(v);
		v = NULL;
	}
	blob_cache_free(c);
}
END_TEST

static void *
worker(void *arg)
{
	struct blob_cache *c = arg;
	char val[32];
	int i, r;

	for (i = 0; i < 2000; i++) {
		snprintf(val, sizeof(val), "value-%d", i % 50);
		put(c, i % 50, val);
		r = has(c, (i * 7) % 50, NULL);
		if (r < 0)
			return (void *)1;
	}
	return NULL;
}

START_TEST(threads_share_it)
{
	struct blob_cache *c = NULL;
	struct sp_errinfo ei;
	pthread_t t[4];
	void *rv;
	char val[32];
	int i;

	sp_errinfo_init(&ei);
	ck_assert_int_eq(blob_cache_new(16, 4096, &c, &ei), SP_OK);
	for (i = 0; i < 4; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, worker, c), 0);
	for (i = 0; i < 4; i++) {
		ck_assert_int_eq(pthread_join(t[i], &rv), 0);
		ck_assert_ptr_null(rv);
	}
	/* whatever survived is what was put under its key */
	for (i = 0; i < 50; i++) {
		snprintf(val, sizeof(val), "value-%d", i);
		ck_assert_int_ge(has(c, i, val), 0);
	}
	blob_cache_free(c);
}
END_TEST

START_TEST(lent_values_outlive_their_entries)
{
	struct blob_cache *c = NULL;
	struct sp_errinfo ei;
	uint8_t key[32], *mine;
	const uint8_t *v = NULL, *w = NULL;
	struct blob_ref *ref = NULL, *ref2 = NULL;
	size_t len = 0, len2 = 0;
	struct blob_cache_stats st;

	sp_errinfo_init(&ei);
	ck_assert_int_eq(blob_cache_new(2, 64, &c, &ei), SP_OK);
	key_of(1, key);
	ck_assert_int_eq(blob_cache_borrow(c, key, &v, &len, &ref), SP_ERR_NOT_FOUND);
	ck_assert_ptr_null(v);
	ck_assert_ptr_null(ref);
	/* handed over: kept as it is, the very buffer lent out */
	ck_assert_ptr_nonnull(mine = malloc(5));
	memcpy(mine, "first", 5);
	blob_cache_put_take(c, key, mine, 5);
	ck_assert_int_eq(blob_cache_borrow(c, key, &v, &len, &ref), SP_OK);
	ck_assert_ptr_eq(v, mine);
	ck_assert_uint_eq(len, 5);
	/* lent twice, then replaced and evicted while lent: both still read "first" */
	ck_assert_int_eq(blob_cache_borrow(c, key, &w, &len2, &ref2), SP_OK);
	ck_assert_ptr_eq(w, v);
	put(c, 1, "second");
	ck_assert_int_eq(has(c, 1, "second"), 1);
	put(c, 2, "two");
	put(c, 3, "three"); /* 1 goes */
	ck_assert_int_eq(has(c, 1, NULL), 0);
	ck_assert_mem_eq(v, "first", 5);
	blob_cache_return(ref);
	ck_assert_mem_eq(w, "first", 5); /* the last borrower frees it */
	blob_cache_return(ref2);
	blob_cache_return(NULL);
	/* over the budget: not kept (and freed: the leak check of the sanitizer build) */
	ck_assert_ptr_nonnull(mine = calloc(65, 1));
	key_of(4, key);
	blob_cache_put_take(c, key, mine, 65);
	ck_assert_int_eq(has(c, 4, NULL), 0);
	ck_assert_ptr_nonnull(mine = malloc(1));
	blob_cache_put_take(NULL, key, mine, 1);
	/* a value lent when the cache goes is freed by its borrower */
	key_of(2, key);
	ck_assert_int_eq(blob_cache_borrow(c, key, &v, &len, &ref), SP_OK);
	blob_cache_stats(c, &st);
	ck_assert_uint_eq(st.hits, 4); /* lends count as gets */
	ck_assert_uint_eq(st.misses, 3);
	blob_cache_free(c);
	ck_assert_mem_eq(v, "two", 3);
	blob_cache_return(ref);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("server_blob_cache");
	TCase *tc = tcase_create("cache");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, values_come_back_as_copies);
	tcase_add_test(tc, least_recently_used_goes);
	tcase_add_test(tc, many_entries_one_bucket);
	tcase_add_test(tc, threads_share_it);
	tcase_add_test(tc, lent_values_outlive_their_entries);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
