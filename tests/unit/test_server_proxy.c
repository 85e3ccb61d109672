/*
 * test_server_proxy.c: the PROXY protocol header (server/net/proxy.c) a
 * trusted balancer sends first, and server.trusted_proxies: what HAProxy
 * sends is read whole and names the client, whatever is not a header is
 * left alone for TLS or HTTP, and a malformed header is refused. The
 * connection side (a server behind a proxy): tests/integration/test_proxy.py.
 */
#include <arpa/inet.h>
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proxy.h"
#include "support_suite.h"

static const unsigned char sig[12] = { '\r', '\n', '\r', '\n', 0,   '\r',
				       '\n', 'Q',  'U',  'I',  'T', '\n' };

/* A version 2 PROXY header of family fam for 192.0.2.7:51000 -> 10.0.0.1:8443, then tlvs. */
static size_t
v2(unsigned char *out, unsigned cmd, unsigned fam, const unsigned char *tlvs, size_t ntlv)
{
	size_t alen = fam == 0x21 ? 36 : fam == 0x11 ? 12 : 0, len = alen + ntlv;

	memcpy(out, sig, 12);
	out[12] = (unsigned char)(0x20 | cmd);
	out[13] = (unsigned char)fam;
	out[14] = (unsigned char)(len >> 8);
	out[15] = (unsigned char)len;
	if (fam == 0x11) {
		static const unsigned char a[12] = { 192, 0, 2,    7,    10,   0,
						     0,   1, 0xc7, 0x38, 0x20, 0xfb };

		memcpy(out + 16, a, 12);
	} else if (fam == 0x21) {
		memset(out + 16, 0, 36);
		inet_pton(AF_INET6, "2001:db8::7", out + 16);
		inet_pton(AF_INET6, "2001:db8::1", out + 32);
		out[48] = 0xc7;
		out[49] = 0x38;
	}
	if (ntlv > 0)
		memcpy(out + 16 + alen, tlvs, ntlv);
	return 16 + len;
}

/* The parse of p[0..n) fed as everything so far after every step bytes; the last result. */
static int
parse_growing(const unsigned char *p, size_t n, size_t step, struct proxy_header *h)
{
	size_t k;
	int r;

	for (k = step;; k += step) {
		if (k > n)
			k = n;
		r = proxy_header_parse(p, k, h);
		if (r != PROXY_MORE || k == n)
			return r;
		/* what it consumes is never more than it was shown */
		ck_assert_uint_le(h->len, k);
	}
}

static void
addr_text(const struct proxy_header *h, char *out, size_t cap)
{
	if (h->family == 4)
		inet_ntop(AF_INET, h->addr + 12, out, (socklen_t)cap);
	else
		inet_ntop(AF_INET6, h->addr, out, (socklen_t)cap);
}

START_TEST(v2_header_names_the_client_and_stops_at_its_end)
{
	unsigned char b[256], tl[] = { 0x01, 0x00, 0x02, 'h', '2' }; /* ALPN TLV */
	struct proxy_header h;
	char text[64];
	size_t n, step;

	n = v2(b, 1, 0x11, tl, sizeof(tl));
	/* the TLS ClientHello right after it is not the header's */
	b[n] = 0x16;
	b[n + 1] = 0x03;
	for (step = 1; step <= n + 2; step++) {
		ck_assert_int_eq(parse_growing(b, n + 2, step, &h), PROXY_DONE);
		ck_assert_uint_eq(h.len, n);
		ck_assert_int_eq(h.family, 4);
		ck_assert_uint_eq(h.port, 51000);
		addr_text(&h, text, sizeof(text));
		ck_assert_str_eq(text, "192.0.2.7");
	}
	n = v2(b, 1, 0x21, NULL, 0);
	ck_assert_int_eq(proxy_header_parse(b, n, &h), PROXY_DONE);
	ck_assert_int_eq(h.family, 6);
	addr_text(&h, text, sizeof(text));
	ck_assert_str_eq(text, "2001:db8::7");
	/* LOCAL: the balancer's own health check names no client */
	n = v2(b, 0, 0x00, NULL, 0);
	ck_assert_int_eq(proxy_header_parse(b, n, &h), PROXY_DONE);
	ck_assert_uint_eq(h.len, 16);
	ck_assert_int_eq(h.family, 0);
}
END_TEST

START_TEST(v2_crc32c_is_checked)
{
	/* CRC32c TLV; HAProxy's proxy-v2-options crc32c */
	unsigned char b[64], tl[] = { 0x03, 0x00, 0x04, 0, 0, 0, 0 };
	struct proxy_header h;
	size_t n = v2(b, 1, 0x11, tl, sizeof(tl));
	uint32_t c = 0xffffffffu;
	size_t i;
	int k;

	for (i = 0; i < n; i++) {
		c ^= b[i];
		for (k = 0; k < 8; k++)
			c = (c >> 1) ^ (0x82f63b78u & (0u - (c & 1u)));
	}
	c = ~c;
	b[n - 4] = (unsigned char)(c >> 24);
	b[n - 3] = (unsigned char)(c >> 16);
	b[n - 2] = (unsigned char)(c >> 8);
	b[n - 1] = (unsigned char)c;
	ck_assert_int_eq(proxy_header_parse(b, n, &h), PROXY_DONE);
	b[17] ^= 1; /* another client address than the one summed */
	ck_assert_int_eq(proxy_header_parse(b, n, &h), PROXY_BAD);
	ck_assert_ptr_nonnull(strstr(h.detail, "CRC32c"));
}
END_TEST

START_TEST(v1_line_names_the_client)
{
	static const struct {
		const char *text;
		int result, family;
		const char *client;
		unsigned port;
	} cases[] = {
		{ "PROXY TCP4 198.51.100.9 10.0.0.1 40000 443\r\nGET / HTTP/1.1\r\n", PROXY_DONE, 4,
		  "198.51.100.9", 40000 },
		{ "PROXY TCP6 2001:db8::9 2001:db8::1 0 443\r\n", PROXY_DONE, 6, "2001:db8::9", 0 },
		{ "PROXY UNKNOWN\r\n", PROXY_DONE, 0, NULL, 0 },
		{ "PROXY UNKNOWN ffff:f...f:ffff ffff:f...f:ffff 65535 65535\r\n", PROXY_DONE, 0,
		  NULL, 0 },
		/* not a header: the protocol itself, for TLS or HTTP */
		{ "POST /api/v1/verify HTTP/1.1\r\n", PROXY_NONE, 0, NULL, 0 },
		{ "PUT / HTTP/1.1\r\n", PROXY_NONE, 0, NULL, 0 },
		{ "\x16\x03\x01\x02\x00", PROXY_NONE, 0, NULL, 0 },
		{ "\r\nGET / HTTP/1.1\r\n", PROXY_NONE, 0, NULL, 0 },
		/* malformed */
		{ "PROXY TCP4 198.51.100.9 10.0.0.1 40000 443\n", PROXY_BAD, 0, NULL, 0 },
		{ "PROXY TCP4 198.51.100.9  10.0.0.1 40000 443\r\n", PROXY_BAD, 0, NULL, 0 },
		{ "PROXY TCP4 2001:db8::9 10.0.0.1 40000 443\r\n", PROXY_BAD, 0, NULL, 0 },
		{ "PROXY TCP6 198.51.100.9 2001:db8::1 40000 443\r\n", PROXY_BAD, 0, NULL, 0 },
		{ "PROXY TCP4 198.51.100.9 10.0.0.1 040000 443\r\n", PROXY_BAD, 0, NULL, 0 },
		{ "PROXY TCP4 198.51.100.9 10.0.0.1 65536 443\r\n", PROXY_BAD, 0, NULL, 0 },
		{ "PROXY TCP4 198.51.100.9 10.0.0.1 40000\r\n", PROXY_BAD, 0, NULL, 0 },
		{ "PROXY TCP4 198.51.100.9 10.0.0.1 40000 443 7\r\n", PROXY_BAD, 0, NULL, 0 },
		{ "PROXY UDP4 198.51.100.9 10.0.0.1 40000 443\r\n", PROXY_BAD, 0, NULL, 0 },
		{ "PROXY UNKNOWNX\r\n", PROXY_BAD, 0, NULL, 0 },
		{ "PROXY TCP4 198.51.100.9 10.0.0.1 4\r0000 443\r\n", PROXY_BAD, 0, NULL, 0 },
	};
	struct proxy_header h;
	char text[64];
	size_t i, step;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const unsigned char *p = (const unsigned char *)cases[i].text;
		size_t n = strlen(cases[i].text);

		for (step = 1; step <= n; step++) {
			int r = parse_growing(p, n, step, &h);

			ck_assert_msg(r == cases[i].result, "case %zu step %zu: %d, want %d", i,
				      step, r, cases[i].result);
			if (r == PROXY_BAD)
				ck_assert_ptr_nonnull(h.detail);
			if (r != PROXY_DONE)
				continue;
			ck_assert_uint_eq(h.len,
					  (size_t)(strstr(cases[i].text, "\r\n") - cases[i].text) +
						  2);
			ck_assert_int_eq(h.family, cases[i].family);
			if (cases[i].client != NULL) {
				addr_text(&h, text, sizeof(text));
				ck_assert_str_eq(text, cases[i].client);
				ck_assert_uint_eq(h.port, cases[i].port);
			}
		}
	}
}
END_TEST

START_TEST(oversized_and_malformed_v2_headers_are_refused)
{
	unsigned char b[PROXY_HEADER_MAX + 64], tl[] = { 0x01, 0x00, 0x09, 'x' };
	struct proxy_header h;
	size_t n;

	memset(b, 0, sizeof(b));
	/* longer than the cap: refused as soon as its length is read, nothing buffered */
	n = v2(b, 1, 0x11, NULL, 0);
	b[14] = (unsigned char)((PROXY_V2_MAX_LEN + 1) >> 8);
	b[15] = (unsigned char)(PROXY_V2_MAX_LEN + 1);
	ck_assert_int_eq(proxy_header_parse(b, 16, &h), PROXY_BAD);
	/* a TLV running past the header */
	n = v2(b, 1, 0x11, tl, sizeof(tl));
	ck_assert_int_eq(proxy_header_parse(b, n, &h), PROXY_BAD);
	/* an address block shorter than its family's */
	n = v2(b, 1, 0x11, NULL, 0);
	b[15] = 8;
	ck_assert_int_eq(proxy_header_parse(b, 24, &h), PROXY_BAD);
	/* version 1 in the binary form, an unknown command, UDP, a UNIX socket */
	n = v2(b, 1, 0x11, NULL, 0);
	b[12] = 0x11;
	ck_assert_int_eq(proxy_header_parse(b, n, &h), PROXY_BAD);
	b[12] = 0x22;
	ck_assert_int_eq(proxy_header_parse(b, n, &h), PROXY_BAD);
	b[12] = 0x21;
	b[13] = 0x12;
	ck_assert_int_eq(proxy_header_parse(b, n, &h), PROXY_BAD);
	b[13] = 0x31;
	ck_assert_int_eq(proxy_header_parse(b, n, &h), PROXY_BAD);
	/* the signature cut short by something else: not a header */
	memcpy(b, sig, 12);
	b[6] = 'X';
	ck_assert_int_eq(proxy_header_parse(b, 12, &h), PROXY_NONE);
}
END_TEST

START_TEST(trusted_proxies_list)
{
	struct proxy_trust t;
	struct sp_errinfo ei;
	unsigned char a[16];
	static const char *const bad[] = {
		"10.0.0.1/8",  "10.0.0.0/33",        "10.0.0.0/",  "10.0.0.0/08",    "::1/129",
		"example.org", "10.0.0.0,,10.1.0.0", "10.0.0.256", "2001:db8::1/32",
	};
	size_t i;

	sp_errinfo_init(&ei);
	ck_assert_int_eq(proxy_trust_parse(" 127.0.0.1, 10.0.0.0/8 ,2001:db8::/32", &t, &ei),
			 SP_OK);
	ck_assert_uint_eq(t.n, 3);
	memset(a, 0, 16);
	a[10] = a[11] = 0xff;
	a[12] = 127, a[15] = 1;
	ck_assert(proxy_trust_has(&t, a));
	a[15] = 2;
	ck_assert(!proxy_trust_has(&t, a));
	a[12] = 10, a[13] = 200, a[15] = 9;
	ck_assert(proxy_trust_has(&t, a));
	a[12] = 11;
	ck_assert(!proxy_trust_has(&t, a));
	inet_pton(AF_INET6, "2001:db8:ffff::5", a);
	ck_assert(proxy_trust_has(&t, a));
	inet_pton(AF_INET6, "2001:db9::5", a);
	ck_assert(!proxy_trust_has(&t, a));
	/* an IPv4 range never takes the IPv6 address that shares its last bytes */
	inet_pton(AF_INET6, "::7f00:1", a);
	ck_assert(!proxy_trust_has(&t, a));
	proxy_trust_cleanup(&t);
	ck_assert_int_eq(proxy_trust_parse(NULL, &t, &ei), SP_OK);
	ck_assert_uint_eq(t.n, 0);
	ck_assert_int_eq(proxy_trust_parse("  ", &t, &ei), SP_OK);
	ck_assert_uint_eq(t.n, 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(proxy_trust_parse(bad[i], &t, &ei) == SP_ERR_CONFIG, "%s", bad[i]);
		proxy_trust_cleanup(&t);
	}
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("server_proxy");
	TCase *tc = tcase_create("proxy");

	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	tcase_add_test(tc, v2_header_names_the_client_and_stops_at_its_end);
	tcase_add_test(tc, v2_crc32c_is_checked);
	tcase_add_test(tc, v1_line_names_the_client);
	tcase_add_test(tc, oversized_and_malformed_v2_headers_are_refused);
	tcase_add_test(tc, trusted_proxies_list);
	return test_suite_run(s);
}
