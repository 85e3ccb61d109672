/* test_router.c: route patterns, precedence, 404/405 + Allow, path decoding and limits. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "http_int.h"

static void
h_a(struct request *r)
{
	(void)r;
}
static void
h_b(struct request *r)
{
	(void)r;
}
static void
h_c(struct request *r)
{
	(void)r;
}

static struct router *
mk(void)
{
	struct router *rt = NULL;
	struct sp_errinfo ei;

	sp_errinfo_init(&ei);
	ck_assert_int_eq(router_new(&rt, &ei), SP_OK);
	ck_assert_int_eq(router_route_add(rt, HTTP_GET, "/healthz", h_a, 0, &ei), SP_OK);
	ck_assert_int_eq(router_route_add(rt, HTTP_GET, "/api/v1/contracts/{number}", h_a, 0, &ei),
			 SP_OK);
	ck_assert_int_eq(router_route_add(rt, HTTP_DELETE, "/api/v1/contracts/{number}", h_b, 0,
					  &ei),
			 SP_OK);
	ck_assert_int_eq(router_route_add(rt, HTTP_GET, "/api/v1/contracts/drafts", h_c, 0, &ei),
			 SP_OK);
	ck_assert_int_eq(router_route_add(rt, HTTP_POST, "/api/v1/contracts/{number}/parties/{org}",
					  h_b, 0, &ei),
			 SP_OK);
	ck_assert_int_eq(router_route_add(rt, HTTP_GET, "/", h_c, 0, &ei), SP_OK);
	return rt;
}

START_TEST(params_are_extracted)
{
	struct router *rt = mk();
	struct route_match m;

	ck_assert_int_eq(router_match(rt, HTTP_POST,
				      "/api/v1/contracts/1234567890123456789/parties/org-9", &m,
				      NULL),
			 SP_OK);
	ck_assert_int_eq(m.status, 200);
	ck_assert_ptr_eq(route_handler(m.route), h_b);
	ck_assert_str_eq(route_name(m.route), "/api/v1/contracts/{number}/parties/{org}");
	ck_assert_uint_eq(m.nparams, 2);
	ck_assert_str_eq(m.params[0].name, "number");
	ck_assert_str_eq(m.params[0].value, "1234567890123456789");
	ck_assert_str_eq(m.params[1].name, "org");
	ck_assert_str_eq(m.params[1].value, "org-9");
	ck_assert_int_eq(router_match(rt, HTTP_GET, "/", &m, NULL), SP_OK);
	ck_assert_int_eq(m.status, 200);
	ck_assert_ptr_eq(route_handler(m.route), h_c);
	router_free(rt);
}
END_TEST

START_TEST(literal_beats_parameter_and_method_picks_handler)
{
	struct router *rt = mk();
	struct route_match m;

	ck_assert_int_eq(router_match(rt, HTTP_GET, "/api/v1/contracts/drafts", &m, NULL), SP_OK);
	ck_assert_int_eq(m.status, 200);
	ck_assert_ptr_eq(route_handler(m.route), h_c);
	ck_assert_uint_eq(m.nparams, 0);
	ck_assert_int_eq(router_match(rt, HTTP_GET, "/api/v1/contracts/42", &m, NULL), SP_OK);
	ck_assert_ptr_eq(route_handler(m.route), h_a);
	ck_assert_int_eq(router_match(rt, HTTP_DELETE, "/api/v1/contracts/42", &m, NULL), SP_OK);
	ck_assert_ptr_eq(route_handler(m.route), h_b);
	/* HEAD follows GET. */
	ck_assert_int_eq(router_match(rt, HTTP_HEAD, "/healthz", &m, NULL), SP_OK);
	ck_assert_int_eq(m.status, 200);
	/* Both routes of one pattern share one metrics label. */
	ck_assert_uint_eq(router_count(rt), 5);
	router_free(rt);
}
END_TEST

START_TEST(unknown_is_404_wrong_method_is_405_with_allow)
{
	struct router *rt = mk();
	struct route_match m;
	char allow[64];

	ck_assert_int_eq(router_match(rt, HTTP_GET, "/nope", &m, NULL), SP_OK);
	ck_assert_int_eq(m.status, 404);
	ck_assert_ptr_null(m.route);
	ck_assert_int_eq(router_match(rt, HTTP_GET, "/healthz/", &m, NULL), SP_OK);
	ck_assert_int_eq(m.status, 404);
	ck_assert_int_eq(router_match(rt, HTTP_GET, "/api//v1/contracts/1", &m, NULL), SP_OK);
	ck_assert_int_eq(m.status, 404);
	ck_assert_int_eq(router_match(rt, HTTP_GET, "/api/v1/contracts/", &m, NULL), SP_OK);
	ck_assert_int_eq(m.status, 404);
	ck_assert_int_eq(router_match(rt, HTTP_DELETE, "/healthz", &m, NULL), SP_OK);
	ck_assert_int_eq(m.status, 405);
	http_methods_format(m.allow, allow, sizeof(allow));
	ck_assert_str_eq(allow, "GET, HEAD");
	ck_assert_int_eq(router_match(rt, HTTP_PUT, "/api/v1/contracts/7", &m, NULL), SP_OK);
	ck_assert_int_eq(m.status, 405);
	http_methods_format(m.allow, allow, sizeof(allow));
	ck_assert_str_eq(allow, "GET, HEAD, DELETE");
	router_free(rt);
}
END_TEST

START_TEST(params_are_percent_decoded_per_segment)
{
	struct router *rt = mk();
	struct route_match m;
	struct sp_errinfo ei;

	ck_assert_int_eq(router_match(rt, HTTP_GET, "/api/v1/contracts/a%2Fb%20c", &m, NULL),
			 SP_OK);
	ck_assert_int_eq(m.status, 200);
	ck_assert_str_eq(m.params[0].value, "a/b c");
	/* Decoding a literal segment matches too. */
	ck_assert_int_eq(router_match(rt, HTTP_GET, "/heal%74hz", &m, NULL), SP_OK);
	ck_assert_int_eq(m.status, 200);
	sp_errinfo_init(&ei);
	ck_assert_int_eq(router_match(rt, HTTP_GET, "/api/v1/contracts/a%zz", &m, &ei),
			 SP_ERR_INVALID);
	ck_assert_int_eq(m.status, 400);
	ck_assert_str_eq(ei.reason, "invalid_path");
	ck_assert_int_eq(router_match(rt, HTTP_GET, "/api/v1/contracts/a%2", &m, NULL),
			 SP_ERR_INVALID);
	ck_assert_int_eq(router_match(rt, HTTP_GET, "/api/v1/contracts/a%00b", &m, NULL),
			 SP_ERR_INVALID);
	ck_assert_int_eq(router_match(rt, HTTP_GET, "relative", &m, NULL), SP_ERR_INVALID);
	router_free(rt);
}
END_TEST

START_TEST(limits_on_params_and_paths)
{
	struct router *rt = mk();
	struct route_match m;
	char path[4096];
	size_t i;

	/* A parameter of exactly the cap is fine; one byte more is refused. */
	strcpy(path, "/api/v1/contracts/");
	for (i = 0; i < ROUTER_MAX_PARAM_LEN; i++)
		strcat(path, "x");
	ck_assert_int_eq(router_match(rt, HTTP_GET, path, &m, NULL), SP_OK);
	ck_assert_int_eq(m.status, 200);
	ck_assert_uint_eq(strlen(m.params[0].value), ROUTER_MAX_PARAM_LEN);
	strcat(path, "x");
	ck_assert_int_eq(router_match(rt, HTTP_GET, path, &m, NULL), SP_ERR_INVALID);
	/* Encoded bytes count after decoding: 256 x "%41" is 256 bytes. */
	strcpy(path, "/api/v1/contracts/");
	for (i = 0; i < ROUTER_MAX_PARAM_LEN; i++)
		strcat(path, "%41");
	ck_assert_int_eq(router_match(rt, HTTP_GET, path, &m, NULL), SP_OK);
	ck_assert_int_eq(m.params[0].value[ROUTER_MAX_PARAM_LEN - 1], 'A');
	/* Too many segments, too long a path. */
	strcpy(path, "");
	for (i = 0; i < ROUTER_MAX_SEGMENTS + 1; i++)
		strcat(path, "/a");
	ck_assert_int_eq(router_match(rt, HTTP_GET, path, &m, NULL), SP_ERR_INVALID);
	memset(path, 'a', sizeof(path) - 1);
	path[0] = '/';
	path[sizeof(path) - 1] = '\0';
	ck_assert_int_eq(router_match(rt, HTTP_GET, path, &m, NULL), SP_ERR_INVALID);
	router_free(rt);
}
END_TEST

START_TEST(bad_patterns_and_duplicates_are_refused)
{
	struct router *rt = NULL;
	struct sp_errinfo ei;

	sp_errinfo_init(&ei);
	ck_assert_int_eq(router_new(&rt, &ei), SP_OK);
	ck_assert_int_eq(router_route_add(rt, HTTP_GET, "noslash", h_a, 0, &ei), SP_ERR_INVALID);
	ck_assert_int_eq(router_route_add(rt, HTTP_GET, "/a//b", h_a, 0, NULL), SP_ERR_INVALID);
	ck_assert_int_eq(router_route_add(rt, HTTP_GET, "/a/", h_a, 0, NULL), SP_ERR_INVALID);
	ck_assert_int_eq(router_route_add(rt, HTTP_GET, "/a/{}", h_a, 0, NULL), SP_ERR_INVALID);
	ck_assert_int_eq(router_route_add(rt, HTTP_GET, "/a/{Bad}", h_a, 0, NULL), SP_ERR_INVALID);
	ck_assert_int_eq(router_route_add(rt, HTTP_GET, "/a/{x}/{x}", h_a, 0, NULL),
			 SP_ERR_INVALID);
	ck_assert_int_eq(router_route_add(rt, HTTP_GET, "/a b", h_a, 0, NULL), SP_ERR_INVALID);
	ck_assert_int_eq(router_route_add(rt, 0, "/a", h_a, 0, NULL), SP_ERR_INVALID);
	ck_assert_int_eq(router_route_add(rt, HTTP_GET, "/a", h_a, 0x80, NULL), SP_ERR_INVALID);
	ck_assert_int_eq(router_route_add(rt, HTTP_GET, "/a", NULL, 0, NULL), SP_ERR_INVALID);
	ck_assert_int_eq(router_route_add(rt, HTTP_GET | HTTP_POST, "/a/{id}", h_a, 0, NULL),
			 SP_OK);
	ck_assert_int_eq(router_route_add(rt, HTTP_POST, "/a/{id}", h_b, 0, NULL), SP_ERR_CONFLICT);
	ck_assert_int_eq(router_route_add(rt, HTTP_PUT, "/a/{id}", h_b, 0, NULL), SP_OK);
	ck_assert_uint_eq(router_count(rt), 1);
	router_free(rt);
	router_free(NULL);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("router");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, params_are_extracted);
	tcase_add_test(tc, literal_beats_parameter_and_method_picks_handler);
	tcase_add_test(tc, unknown_is_404_wrong_method_is_405_with_allow);
	tcase_add_test(tc, params_are_percent_decoded_per_segment);
	tcase_add_test(tc, limits_on_params_and_paths);
	tcase_add_test(tc, bad_patterns_and_duplicates_are_refused);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
