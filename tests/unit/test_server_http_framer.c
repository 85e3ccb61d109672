/*
 * test_server_http_framer.c: the HTTP request framer and the query parser
 * of server/http in process, without a server: the framer's verdicts do not
 * depend on how the bytes arrive, its body budget refuses what does not fit,
 * the query is parsed once for every route. A real serving process:
 * test_server_http.c.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_int.h"
#include "support_suite.h"

/* Feed text in pieces of step bytes; the result of the last call. */
static int
framer_run(const char *text, size_t step, enum problem *bad, unsigned long *heads)
{
	struct http_framer f;
	size_t len = strlen(text), i;
	int r = 0;

	framer_init(&f, 256, 1000, NULL);
	for (i = 0; i < len && r == 0; i += step)
		r = framer_feed(&f, (const unsigned char *)text + i,
				len - i < step ? len - i : step);
	*bad = f.bad;
	*heads = f.heads;
	framer_free(&f);
	return r;
}

START_TEST(framer_verdicts_do_not_depend_on_how_bytes_arrive)
{
	static const struct {
		const char *text;
		enum problem want; /* P__COUNT: sound */
		unsigned long heads;
	} cases[] = {
		{ "GET / HTTP/1.1\r\nHost: a\r\n\r\nPOST /x HTTP/1.1\r\nHost: a\r\n"
		  "Content-Length: 5\r\n\r\nHELLOGET /y HTTP/1.0\r\n\r\n",
		  P__COUNT, 3 },
		/* a line ends in CRLF, not a bare LF (sec38: a proxy in front may not end it there) */
		{ "GET /y HTTP/1.0\n\n", P_MALFORMED_REQUEST, 0 },
		{ "POST / HTTP/1.1\r\nHost: a\r\nX: a\nContent-Length: 2\r\n\r\nab",
		  P_MALFORMED_REQUEST, 0 },
		{ "\r\nGET / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\n\r\n", P__COUNT, 1 },
		{ "GET / HTTP/1.1\r\n\r\n", P_MALFORMED_REQUEST, 0 },
		{ "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", P_MALFORMED_REQUEST, 0 },
		{ "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\ncontent-length: 1\r\n\r\n",
		  P_MALFORMED_REQUEST, 0 },
		{ "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1 1\r\n\r\n", P_MALFORMED_REQUEST,
		  0 },
		{ "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1001\r\n\r\n", P_PAYLOAD_TOO_LARGE,
		  0 },
		{ "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n",
		  P_LENGTH_REQUIRED, 0 },
		{ "GET / HTTP/3.0\r\nHost: a\r\n\r\n", P_HTTP_VERSION, 0 },
		/* a method no route takes (sec39: evhttp's HTML 501, CONNECT kept open) */
		{ "get / HTTP/1.1\r\nHost: a\r\n\r\n", P_NOT_IMPLEMENTED, 0 },
		{ "GET / HTTP/1.1\r\nHost: a\r\n\r\nCONNECT a:1 HTTP/1.1\r\nHost: a\r\n\r\n",
		  P_NOT_IMPLEMENTED, 0 },
		{ "OPTIONS / HTTP/1.1\r\nHost: a\r\n\r\nPATCH / HTTP/1.0\r\n\r\n", P__COUNT, 2 },
		{ "GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n", P_MALFORMED_REQUEST, 0 },
		/* A body is not a head: its bytes are not judged. */
		{ "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\n\r\n\x01 GET / "
		  "HTTP/1.0\r\n\r\n",
		  P__COUNT, 2 },
	};
	char big[600];
	size_t i, step;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		for (step = 1; step <= strlen(cases[i].text); step++) {
			enum problem bad;
			unsigned long heads;
			int r = framer_run(cases[i].text, step, &bad, &heads);

			ck_assert_msg(bad == cases[i].want, "case %zu step %zu: %d", i, step,
				      (int)bad);
			ck_assert_int_eq(r, cases[i].want != P__COUNT);
			if (cases[i].want == P__COUNT)
				ck_assert_uint_eq(heads, cases[i].heads);
		}
	}
	/* The cap (256 here) separates the request line (414) from the headers (431). */
	memset(big, 0, sizeof(big));
	memcpy(big, "GET /", 5);
	memset(big + 5, 'a', 400);
	for (step = 1; step < 500; step += 37) {
		enum problem bad;
		unsigned long heads;

		ck_assert_int_eq(framer_run(big, step, &bad, &heads), 1);
		ck_assert_int_eq(bad, P_URI_TOO_LONG);
	}
	memset(big, 0, sizeof(big));
	strcpy(big, "GET / HTTP/1.1\r\nHost: a\r\n");
	for (i = 0; i < 20; i++)
		strcat(big, "X-Header: 0123456789\r\n");
	for (step = 1; step < 500; step += 37) {
		enum problem bad;
		unsigned long heads;

		ck_assert_int_eq(framer_run(big, step, &bad, &heads), 1);
		ck_assert_int_eq(bad, P_HEADERS_TOO_LARGE);
	}
}
END_TEST

/* query.c: decoded, found without case, each name once, text only (split from request.c, sec39). */
START_TEST(query_parsed_once_for_every_route)
{
	static const char *const refused[] = { "tab=a&tab=b", "tab=a&TAB=b", "tab=a&t%61b=b",
					       "tab=a&page",  "=a",          "q=%ff",
					       "q=a%00b",     "q=100%",      "q=%zz",
					       "q=%4",        "%g1=a",       "q=a%2" };
	struct http_query q;
	struct sp_errinfo ei;
	size_t i;

	sp_errinfo_init(&ei);
	ck_assert_int_eq(http_query_parse(&q, "t%61b=dr%61fts&q=a+b%2B&&Page_Size=5&", &ei), SP_OK);
	ck_assert_str_eq(http_query_get(&q, "tab"), "drafts");
	ck_assert_str_eq(http_query_get(&q, "q"), "a b+");
	ck_assert_str_eq(http_query_get(&q, "page_size"), "5");
	ck_assert_ptr_null(http_query_get(&q, "page"));
	http_query_cleanup(&q);
	for (i = 0; i < SP_ARRAY_LEN(refused); i++) {
		sp_errinfo_init(&ei);
		ck_assert_msg(http_query_parse(&q, refused[i], &ei) == SP_ERR_INVALID, "%s",
			      refused[i]);
		ck_assert(ei.msg[0] != '\0');
		http_query_cleanup(&q);
	}
}
END_TEST

/* A body's declared length is taken from the budget before it is read, and given back. */
START_TEST(framer_body_budget_refuses_what_does_not_fit)
{
	static const char post[] = "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 600\r\n\r\n";
	struct body_budget b = { 1000, 0 };
	struct http_framer f, g;
	uint64_t moved;

	framer_init(&f, 256, 1000, &b);
	framer_init(&g, 256, 1000, &b);
	ck_assert_int_eq(framer_feed(&f, (const unsigned char *)post, strlen(post)), 0);
	ck_assert_uint_eq(b.used, 600);
	ck_assert_uint_eq(f.held, 600);
	/* 600 more do not fit in the 400 left: 503 at the head, nothing taken */
	ck_assert_int_eq(framer_feed(&g, (const unsigned char *)post, strlen(post)), 1);
	ck_assert_int_eq(g.bad, P_BUSY);
	ck_assert_int_eq(problem_status(g.bad), 503);
	ck_assert_uint_eq(b.used, 600);
	framer_give_back(&g);
	ck_assert_uint_eq(b.used, 600);
	/* the dispatched request takes its share along; the connection holds none */
	moved = framer_hand_over(&f, 600);
	ck_assert_uint_eq(moved, 600);
	ck_assert_uint_eq(f.held, 0);
	framer_give_back(&f);
	ck_assert_uint_eq(b.used, 600);
	body_budget_give(&b, moved);
	ck_assert_uint_eq(b.used, 0);
	/* a connection that closes mid-body gives back what it took */
	framer_free(&g);
	framer_init(&g, 256, 1000, &b);
	ck_assert_int_eq(framer_feed(&g, (const unsigned char *)post, strlen(post)), 0);
	ck_assert_int_eq(framer_feed(&g, (const unsigned char *)"abc", 3), 0);
	ck_assert_uint_eq(b.used, 600);
	framer_give_back(&g);
	ck_assert_uint_eq(b.used, 0);
	framer_free(&f);
	framer_free(&g);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("server_http_framer");
	TCase *tc = tcase_create("framer");

	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	tcase_add_test(tc, framer_verdicts_do_not_depend_on_how_bytes_arrive);
	tcase_add_test(tc, framer_body_budget_refuses_what_does_not_fit);
	tcase_add_test(tc, query_parsed_once_for_every_route);
	return test_suite_run(s);
}
