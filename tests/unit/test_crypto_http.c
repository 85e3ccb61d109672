/*
 * test_crypto_http.c: the outbound address policy of crypto_http_post() for
 * URLs chosen by someone else (webhooks): the registration check of a URL
 * (every IPv4 spelling, IPv4-mapped IPv6, userinfo, scheme, port, names),
 * the table of non-public addresses, the allow list, and the connect-time
 * check, shown against a listener on 127.0.0.1 that must see no connection
 * when the name resolves there and the policy refuses it.
 */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "crypto.h"

static int
check(const char *url, int https_only, const char *allow, const char **reason)
{
	static struct sp_errinfo ei;
	int r;

	sp_errinfo_init(&ei);
	r = crypto_http_url_check(url, https_only, 1, allow, &ei);
	*reason = ei.reason;
	return r;
}

START_TEST(url_check_refuses_every_internal_spelling)
{
	static const char *const forbidden[] = {
		"https://127.0.0.1/",
		"https://127.0.0.1:5432/",
		"https://127.1/",
		"https://2130706433/",
		"https://0x7f.1/",
		"https://0x7f000001/",
		"https://0177.0.0.1/",
		"https://017700000001/",
		"https://0.0.0.0/",
		"https://0/",
		"https://localhost/",
		"https://LOCALHOST./",
		"https://api.localhost/",
		"https://metadata/",
		"https://169.254.169.254/latest/meta-data/",
		"https://10.1.2.3/",
		"https://172.16.0.1/",
		"https://172.31.255.255/",
		"https://192.168.1.1/",
		"https://100.64.0.1/",
		"https://100.127.255.254/",
		"https://224.0.0.1/",
		"https://255.255.255.255/",
		"https://[::1]/",
		"https://[::]/",
		"https://[::ffff:127.0.0.1]/",
		"https://[::ffff:7f00:1]/",
		"https://[::ffff:169.254.169.254]/",
		"https://[fc00::1]/",
		"https://[fd12:3456::1]/",
		"https://[fe80::1]/",
		"https://[ff02::1]/",
		"https://[64:ff9b::a00:1]/",
		"https://[2002:c0a8:101::1]/",
	};
	static const char *const malformed[] = {
		"http://example.com/hook", /* https only */
		"ftp://example.com/",
		"https://user@example.com/",
		"https://user:pw@127.0.0.1/",
		"https://example.com@127.0.0.1/",
		"https://example.com:0/",
		"https://example.com:65536/",
		"https://exa mple.com/",
		"https://1.2.3.4.5/",
		"https://256.1.1.1/",

		"/relative",
		"",
	};
	const char *reason;
	size_t i;

	for (i = 0; i < SP_ARRAY_LEN(forbidden); i++) {
		ck_assert_msg(check(forbidden[i], 1, NULL, &reason) == SP_ERR_INVALID, "%s",
			      forbidden[i]);
		ck_assert_msg(strcmp(reason, "url_forbidden") == 0, "%s: %s", forbidden[i], reason);
	}
	for (i = 0; i < SP_ARRAY_LEN(malformed); i++) {
		ck_assert_msg(check(malformed[i], 1, NULL, &reason) == SP_ERR_INVALID, "%s",
			      malformed[i]);
		ck_assert_msg(strcmp(reason, "url_invalid") == 0, "%s: %s", malformed[i], reason);
	}
	ck_assert_int_eq(crypto_http_url_check(NULL, 1, 1, NULL, NULL), SP_ERR_INVALID);
}
END_TEST

START_TEST(url_check_passes_public_and_allowed)
{
	const char *reason;

	ck_assert_int_eq(check("https://hooks.example.com/x?y=1", 1, NULL, &reason), SP_OK);
	ck_assert_int_eq(check("https://hooks.example.com:8443/x", 1, NULL, &reason), SP_OK);
	ck_assert_int_eq(check("https://93.184.216.34/x", 1, NULL, &reason), SP_OK);
	ck_assert_int_eq(check("https://[2606:2800:220:1::1]/", 1, NULL, &reason), SP_OK);
	ck_assert_int_eq(check("https://1.cafe/", 1, NULL, &reason), SP_OK);
	ck_assert_int_eq(check("http://hooks.example.com/", 0, NULL, &reason), SP_OK);
	/* The allow list: names exactly, addresses by range, mapped forms too. */
	ck_assert_int_eq(check("https://127.0.0.1:9/", 1, "10.0.0.0/8, 127.0.0.1", &reason), SP_OK);
	ck_assert_int_eq(check("https://127.1:9/", 1, "127.0.0.0/8", &reason), SP_OK);
	ck_assert_int_eq(check("https://[::ffff:10.2.3.4]/", 1, "10.0.0.0/8", &reason), SP_OK);
	ck_assert_int_eq(check("https://10.2.3.4/", 1, "::ffff:10.0.0.0/104", &reason), SP_OK);
	ck_assert_int_eq(check("https://receiver/", 1, "Receiver", &reason), SP_OK);
	ck_assert_int_eq(check("https://[fd00::5]/", 1, "fd00::/8", &reason), SP_OK);
	ck_assert_int_eq(check("https://11.0.0.1/", 1, "10.0.0.0/8", &reason), SP_OK);
	ck_assert_int_eq(check("https://10.0.0.1/", 1, "10.0.0.0/16,receiver", &reason), SP_OK);
	ck_assert_int_eq(check("https://10.1.0.1/", 1, "10.0.0.0/16,receiver", &reason),
			 SP_ERR_INVALID);
	ck_assert_int_eq(check("https://localhost/", 1, "127.0.0.1", &reason), SP_ERR_INVALID);
	ck_assert_int_eq(check("https://receiver2/", 1, "receiver", &reason), SP_ERR_INVALID);
	/* The allow list does not lift the URL's shape rules. */
	ck_assert_int_eq(check("https://u@127.0.0.1/", 1, "127.0.0.1", &reason), SP_ERR_INVALID);
	ck_assert_str_eq(reason, "url_invalid");
	ck_assert_int_eq(check("http://127.0.0.1/", 1, "127.0.0.1", &reason), SP_ERR_INVALID);
	ck_assert_int_eq(check("http://127.0.0.1/", 0, "127.0.0.1", &reason), SP_OK);
}
END_TEST

START_TEST(addresses_public_or_not)
{
	static const char *const v4_public[] = { "1.1.1.1",        "8.8.8.8",    "100.63.255.255",
						 "100.128.0.0",    "172.32.0.1", "192.169.0.1",
						 "223.255.255.255" };
	static const char *const v4_not[] = {
		"0.1.2.3",      "10.255.255.255", "100.64.0.0", "127.255.255.255", "169.254.0.1",
		"172.16.0.0",   "192.0.0.8",      "192.0.2.1",  "192.168.255.255", "198.18.0.1",
		"198.51.100.7", "203.0.113.9",    "239.1.1.1",  "240.0.0.1",       "255.255.255.255"
	};
	static const char *const v6_public[] = { "2606:4700::1111", "2a00:1450::1",
						 "::ffff:8.8.8.8", "2002:808:808::1" };
	static const char *const v6_not[] = {
		"::", "::1", "::ffff:10.0.0.1", "::ffff:0.0.0.0", "::127.0.0.1",
		"fc00::", "fdff::1", "fe80::1", "febf::1", "ff05::2", "2001:db8::1",
		"64:ff9b::7f00:1",
		/* RFC 8215's local-use translation prefix: the
						 local translator's choice of IPv4 (sec36) */
		"64:ff9b:1::a00:1", "64:ff9b:1:ffff::808:808",
		/* SIIT's IPv4-translated form (RFC 2765) of 10.0.0.1 */
		"::ffff:0:a00:1", "2002:7f00:1::1", "100::1", "2001::1"
	};
	unsigned char b[16];
	size_t i;

	for (i = 0; i < SP_ARRAY_LEN(v4_public); i++) {
		ck_assert_int_eq(inet_pton(AF_INET, v4_public[i], b), 1);
		ck_assert_msg(crypto_http_addr_public(AF_INET, b) == 1, "%s", v4_public[i]);
	}
	for (i = 0; i < SP_ARRAY_LEN(v4_not); i++) {
		ck_assert_int_eq(inet_pton(AF_INET, v4_not[i], b), 1);
		ck_assert_msg(crypto_http_addr_public(AF_INET, b) == 0, "%s", v4_not[i]);
	}
	for (i = 0; i < SP_ARRAY_LEN(v6_public); i++) {
		ck_assert_int_eq(inet_pton(AF_INET6, v6_public[i], b), 1);
		ck_assert_msg(crypto_http_addr_public(AF_INET6, b) == 1, "%s", v6_public[i]);
	}
	for (i = 0; i < SP_ARRAY_LEN(v6_not); i++) {
		ck_assert_int_eq(inet_pton(AF_INET6, v6_not[i], b), 1);
		ck_assert_msg(crypto_http_addr_public(AF_INET6, b) == 0, "%s", v6_not[i]);
	}
	ck_assert_int_eq(crypto_http_addr_public(AF_UNIX, b), 0);
}
END_TEST

START_TEST(allow_list_syntax)
{
	struct sp_errinfo ei;

	ck_assert_int_eq(crypto_http_allow_check(NULL, NULL), SP_OK);
	ck_assert_int_eq(crypto_http_allow_check("", NULL), SP_OK);
	ck_assert_int_eq(crypto_http_allow_check("hooks.internal, 10.0.0.0/8,fd00::/8,127.0.0.1",
						 NULL),
			 SP_OK);
	sp_errinfo_init(&ei);
	ck_assert_int_eq(crypto_http_allow_check("10.0.0.0/33", &ei), SP_ERR_CONFIG);
	ck_assert_ptr_nonnull(strstr(ei.msg, "10.0.0.0/33"));
	ck_assert_int_eq(crypto_http_allow_check("a,,b", NULL), SP_ERR_CONFIG);
	ck_assert_int_eq(crypto_http_allow_check("host/8", NULL), SP_ERR_CONFIG);
	ck_assert_int_eq(crypto_http_allow_check("ho st", NULL), SP_ERR_CONFIG);
	ck_assert_int_eq(crypto_http_allow_check("10.0.0.0/x", NULL), SP_ERR_CONFIG);
}
END_TEST

/* A listener on 127.0.0.1: its port, and whether anyone connected. */
static int
listener(int *port)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	ck_assert_int_ge(fd, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(listen(fd, 4), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	*port = ntohs(sa.sin_port);
	return fd;
}

static int
connected(int fd)
{
	struct pollfd p = { fd, POLLIN, 0 };

	return poll(&p, 1, 100) == 1;
}

START_TEST(connect_time_check_sees_the_resolved_address)
{
	struct crypto_http_req q;
	struct crypto_http_resp r;
	struct sp_errinfo ei;
	char url[128];
	int port, fd = listener(&port), c;

	/*
	 * "localhost" resolves to 127.0.0.1 (or ::1): a name a registration
	 * would refuse, standing here for any name that resolves, or rebinds,
	 * to an internal address. Only the socket check can judge it.
	 */
	snprintf(url, sizeof(url), "http://localhost:%d/hook", port);
	memset(&q, 0, sizeof(q));
	q.url = url;
	q.content_type = "application/json";
	q.body = "{}";
	q.body_len = 2;
	q.timeout_ms = 600;
	q.discard = 1;
	q.forbid_private = 1;
	q.allow = "10.0.0.0/8, localhost.example";
	sp_errinfo_init(&ei);
	ck_assert_int_eq(crypto_http_post(&q, &r, &ei), SP_ERR_FORBIDDEN);
	ck_assert_ptr_nonnull(strstr(ei.msg, "refused"));
	crypto_http_resp_cleanup(&r);
	ck_assert(!connected(fd));
	/* https only: an http:// URL is refused before anything else. */
	q.https_only = 1;
	ck_assert_int_eq(crypto_http_post(&q, &r, NULL), SP_ERR_INVALID);
	crypto_http_resp_cleanup(&r);
	q.https_only = 0;
	/* A proxy is refused outright under the policy: it would hide the address. */
	q.proxy = "http://127.0.0.1:1";
	ck_assert_int_eq(crypto_http_post(&q, &r, NULL), SP_ERR_INVALID);
	crypto_http_resp_cleanup(&r);
	q.proxy = NULL;
	ck_assert(!connected(fd));
	/* Allowed by address range, then by name: the connection is made (the
	 * listener never answers, so the post times out). */
	q.allow = "127.0.0.0/8,::1";
	ck_assert_int_eq(crypto_http_post(&q, &r, NULL), SP_ERR_TIMEOUT);
	crypto_http_resp_cleanup(&r);
	ck_assert(connected(fd));
	ck_assert_int_ge(c = accept(fd, NULL, NULL), 0);
	close(c);
	q.allow = "LocalHost";
	ck_assert_int_eq(crypto_http_post(&q, &r, NULL), SP_ERR_TIMEOUT);
	crypto_http_resp_cleanup(&r);
	ck_assert(connected(fd));
	ck_assert_int_ge(c = accept(fd, NULL, NULL), 0);
	close(c);
	/* Without the policy (OCSP, TSA from configuration) nothing changes. */
	q.forbid_private = 0;
	q.allow = NULL;
	ck_assert_int_eq(crypto_http_post(&q, &r, NULL), SP_ERR_TIMEOUT);
	crypto_http_resp_cleanup(&r);
	ck_assert(connected(fd));
	close(fd);
}
END_TEST

static Suite *
crypto_http_suite(void)
{
	Suite *s = suite_create("crypto_http");
	TCase *tc = tcase_create("policy");

	tcase_add_test(tc, url_check_refuses_every_internal_spelling);
	tcase_add_test(tc, url_check_passes_public_and_allowed);
	tcase_add_test(tc, addresses_public_or_not);
	tcase_add_test(tc, allow_list_syntax);
	tcase_add_test(tc, connect_time_check_sees_the_resolved_address);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(crypto_http_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
