/*
 * test_server_state_limiter.c: the per-address rate limits of a serving
 * process (server/state/limiter.c), as anonymous verifications use them.
 */
#include <check.h>
#include <stdio.h>

#include "state.h"

/* sec39: an IPv6 client holds a /64; counted by address it had 2^64 windows. */
START_TEST(an_ipv6_client_is_its_64_an_ipv4_client_its_address)
{
	struct ip_limiter *l = NULL;
	struct sp_errinfo ei;
	char ip[64];
	int i;

	sp_errinfo_init(&ei);
	ck_assert_int_eq(ip_limiter_new(1024, 60000, 3, &l, &ei), SP_OK);
	for (i = 1; i <= 3; i++) {
		snprintf(ip, sizeof(ip), "2001:db8:1:2::%x", i);
		ck_assert_uint_eq(ip_limiter_wait_ms(l, ip), 0);
		ip_limiter_count(l, ip);
	}
	/* any other address of that /64, however written, waits for the window */
	ck_assert_uint_gt(ip_limiter_wait_ms(l, "2001:db8:1:2:ffff:ffff:ffff:ffff"), 0);
	ck_assert_uint_gt(ip_limiter_wait_ms(l, "2001:0DB8:0001:0002:0:0:0:9"), 0);
	/* the next /64 and an IPv4 client have their own */
	ck_assert_uint_eq(ip_limiter_wait_ms(l, "2001:db8:1:3::1"), 0);
	for (i = 0; i < 3; i++)
		ip_limiter_count(l, "192.0.2.1");
	ck_assert_uint_gt(ip_limiter_wait_ms(l, "192.0.2.1"), 0);
	ck_assert_uint_gt(ip_limiter_wait_ms(l, "::ffff:192.0.2.1"), 0); /* the same client */
	ck_assert_uint_eq(ip_limiter_wait_ms(l, "192.0.2.2"), 0);
	/* what is not an address is itself, "" never limited */
	for (i = 0; i < 3; i++)
		ip_limiter_count(l, "unix");
	ck_assert_uint_gt(ip_limiter_wait_ms(l, "unix"), 0);
	ck_assert_uint_eq(ip_limiter_wait_ms(l, ""), 0);
	ip_limiter_free(l);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("server_state_limiter");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, an_ipv6_client_is_its_64_an_ipv4_client_its_address);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
