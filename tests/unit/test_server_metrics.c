/* test_server_metrics.c: Prometheus exposition text: counters, cumulative histograms, gauges. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_int.h"

static unsigned long long
value_of(const char *text, const char *series)
{
	char needle[512];
	const char *p;

	/* A sample line, not the series name inside a # HELP comment. */
	snprintf(needle, sizeof(needle), "\n%s ", series);
	p = strstr(text, needle);
	ck_assert_msg(p != NULL, "missing series %s in\n%s", series, text);
	return strtoull(p + strlen(needle), NULL, 10);
}

START_TEST(counters_and_cumulative_buckets)
{
	struct metrics *m = NULL;
	struct metrics_gauges g = { 8,
				    3,
				    1,
				    2,
				    4,
				    1,
				    3,
				    6,
				    { 5, 7, 11 },
				    { 6, 9, 13 },
				    29,
				    31,
				    17,
				    19,
				    23,
				    37,
				    41,
				    { 43, 47, 53, 59, 113 },
				    { 61, 67, 71 },
				    73,
				    79,
				    { 0 },
				    { 0 },
				    { 0 },
				    127,
				    131 };
	const char *names[] = { "/healthz", "/api/v1/contracts/{number}" };
	struct sp_buf out;
	const char *t;
	char *line, *save, *copy;
	unsigned long long prev = 0;
	size_t k;

	g.held_entries[METRICS_HELD_SEAL_IMAGES] = 83;
	g.held_bytes[METRICS_HELD_SEAL_IMAGES] = 89;
	g.held_max_bytes[METRICS_HELD_SEAL_IMAGES] = 97;
	g.held_entries[METRICS_HELD_CERT_SIGNATURES] = 101;
	g.held_bytes[METRICS_HELD_OCSP_RESPONSES] = 103;
	ck_assert_int_eq(metrics_new(2, &m, NULL), SP_OK);
	ck_assert_int_eq(metrics_observe(m, 0, HTTP_GET, 200, 0.0005), SP_OK);
	ck_assert_int_eq(metrics_observe(m, 0, HTTP_GET, 200, 0.003), SP_OK);
	ck_assert_int_eq(metrics_observe(m, 0, HTTP_GET, 200, 0.2), SP_OK);
	ck_assert_int_eq(metrics_observe(m, 0, HTTP_GET, 200, 30.0), SP_OK);
	ck_assert_int_eq(metrics_observe(m, 1, HTTP_DELETE, 404, 0.01), SP_OK);
	ck_assert_int_eq(metrics_observe(m, 2, HTTP_GET, 404, 0.0001), SP_OK);
	ck_assert_int_eq(metrics_observe(m, 3, HTTP_GET, 404, 0.0001), SP_ERR_INVALID);
	sp_buf_init(&out, 1 << 20);
	ck_assert_int_eq(metrics_render(m, names, &g, 1700000000.5, &out), SP_OK);
	t = (const char *)out.data;

	ck_assert_uint_eq(value_of(t, "sealpact_http_requests_total{route=\"/"
				      "healthz\",method=\"GET\",status=\"200\"}"),
			  4);
	/* the completions that skipped their claim, stored and taken back */
	ck_assert_uint_eq(value_of(t, "sealpact_signing_base_refs_stored_total{result=\"used\"}"),
			  127);
	ck_assert_uint_eq(value_of(t, "sealpact_signing_base_refs_stored_total{result="
				      "\"refused\"}"),
			  131);
	ck_assert_uint_eq(value_of(t, "sealpact_signing_completions_one_trip_total{result="
				      "\"stored\"}"),
			  17);
	ck_assert_uint_eq(value_of(t, "sealpact_signing_completions_one_trip_total{result="
				      "\"fell_back\"}"),
			  19);
	ck_assert_uint_eq(value_of(t, "sealpact_tsa_serials_reserved"), 23);
	ck_assert_uint_eq(value_of(t, "sealpact_doc_cache_entries"), 37);
	ck_assert_uint_eq(value_of(t, "sealpact_doc_cache_bytes{part=\"limit\"}"), 41);
	ck_assert_uint_eq(value_of(t, "sealpact_doc_cache_bytes{part=\"document\"}"), 43);
	ck_assert_uint_eq(value_of(t, "sealpact_doc_cache_bytes{part=\"report\"}"), 47);
	ck_assert_uint_eq(value_of(t, "sealpact_doc_cache_bytes{part=\"report_index\"}"), 53);
	ck_assert_uint_eq(value_of(t, "sealpact_doc_cache_bytes{part=\"parse\"}"), 59);
	ck_assert_uint_eq(value_of(t, "sealpact_doc_cache_bytes{part=\"room\"}"), 113);
	ck_assert_uint_eq(value_of(t, "sealpact_doc_cache_segment_bytes{segment=\"protected\"}"),
			  61);
	ck_assert_uint_eq(value_of(t, "sealpact_doc_cache_segment_bytes{segment=\"probation\"}"),
			  67);
	ck_assert_uint_eq(value_of(t, "sealpact_doc_cache_segment_bytes{segment=\"done\"}"), 71);
	ck_assert_uint_eq(value_of(t, "sealpact_doc_cache_evictions_total"), 73);
	ck_assert_uint_eq(value_of(t, "sealpact_doc_cache_refused_total"), 79);
	/* the other caches: entries of each, held bytes and the bound where values vary */
	ck_assert_uint_eq(value_of(t, "sealpact_cache_entries{cache=\"seal_images\"}"), 83);
	ck_assert_uint_eq(value_of(t, "sealpact_cache_bytes{cache=\"seal_images\",part="
				      "\"held\"}"),
			  89);
	ck_assert_uint_eq(value_of(t, "sealpact_cache_bytes{cache=\"seal_images\",part="
				      "\"limit\"}"),
			  97);
	ck_assert_uint_eq(value_of(t, "sealpact_cache_entries{cache=\"certificate_signatures\"}"),
			  101);
	ck_assert_uint_eq(value_of(t, "sealpact_cache_bytes{cache=\"ocsp_responses\",part="
				      "\"held\"}"),
			  103);
	ck_assert_ptr_null(strstr(t, "sealpact_cache_bytes{cache=\"certificate_signatures\""));
	ck_assert_ptr_null(strstr(t, "sealpact_cache_bytes{cache=\"ocsp_responses\",part="
				     "\"limit\""));
	ck_assert_uint_eq(value_of(t, "sealpact_http_requests_total{route=\"/api/v1/contracts/"
				      "{number}\",method=\"DELETE\",status=\"404\"}"),
			  1);
	ck_assert_uint_eq(value_of(t, "sealpact_http_requests_total{route=\"unmatched\",method="
				      "\"GET\",status=\"404\"}"),
			  1);
	ck_assert_uint_eq(value_of(t, "sealpact_http_request_duration_seconds_bucket{route=\"/"
				      "healthz\",le=\"0.001\"}"),
			  1);
	ck_assert_uint_eq(value_of(t, "sealpact_http_request_duration_seconds_bucket{route=\"/"
				      "healthz\",le=\"0.005\"}"),
			  2);
	ck_assert_uint_eq(value_of(t, "sealpact_http_request_duration_seconds_bucket{route=\"/"
				      "healthz\",le=\"0.25\"}"),
			  3);
	ck_assert_uint_eq(value_of(t, "sealpact_http_request_duration_seconds_bucket{route=\"/"
				      "healthz\",le=\"10\"}"),
			  3);
	ck_assert_uint_eq(value_of(t, "sealpact_http_request_duration_seconds_bucket{route=\"/"
				      "healthz\",le=\"+Inf\"}"),
			  4);
	ck_assert_uint_eq(
		value_of(t, "sealpact_http_request_duration_seconds_count{route=\"/healthz\"}"), 4);
	ck_assert_ptr_nonnull(strstr(t, "sealpact_http_request_duration_seconds_sum{route=\"/"
					"healthz\"} 30.203500\n"));
	ck_assert_uint_eq(value_of(t, "sealpact_db_pool_connections{state=\"size\"}"), 8);
	ck_assert_uint_eq(value_of(t, "sealpact_db_pool_connections{state=\"connected\"}"), 3);
	ck_assert_uint_eq(value_of(t, "sealpact_db_pool_connections{state=\"in_use\"}"), 1);
	ck_assert_uint_eq(value_of(t, "sealpact_db_pool_waiting"), 2);
	ck_assert_uint_eq(value_of(t, "sealpact_jobs_queued"), 4);
	ck_assert_uint_eq(value_of(t, "sealpact_jobs_running"), 1);
	ck_assert_uint_eq(value_of(t, "sealpact_jobs_dropped_total"), 3);
	ck_assert_uint_eq(value_of(t, "sealpact_jobs_cancelled_total"), 6);
	ck_assert_uint_eq(value_of(t, "sealpact_cache_lookups_total{cache=\"seal_images\",result="
				      "\"hit\"}"),
			  5);
	ck_assert_uint_eq(value_of(t, "sealpact_cache_lookups_total{cache=\"revision_refs\","
				      "result=\"hit\"}"),
			  7);
	ck_assert_uint_eq(value_of(t, "sealpact_cache_lookups_total{cache=\"revision_refs\","
				      "result=\"miss\"}"),
			  9);
	ck_assert_uint_eq(value_of(t, "sealpact_cache_lookups_total{cache=\"revision_reads\","
				      "result=\"hit\"}"),
			  11);
	ck_assert_uint_eq(value_of(t, "sealpact_cache_lookups_total{cache=\"revision_reads\","
				      "result=\"miss\"}"),
			  13);
	ck_assert_uint_eq(value_of(t, "sealpact_signing_prepares_held_total{result=\"one_trip\"}"),
			  29);
	ck_assert_uint_eq(value_of(t, "sealpact_signing_prepares_held_total{result=\"fallback\"}"),
			  31);
	ck_assert_ptr_nonnull(strstr(t, "process_start_time_seconds 1700000000.500\n"));
	ck_assert_ptr_nonnull(
		strstr(t, "# TYPE sealpact_http_request_duration_seconds histogram\n"));
	ck_assert_ptr_nonnull(strstr(t, "# TYPE sealpact_http_requests_total counter\n"));

	/* Every line is a comment or "name{labels} value"; buckets never decrease. */
	copy = strdup(t);
	for (line = strtok_r(copy, "\n", &save), k = 0; line; line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '#') {
			ck_assert(strncmp(line, "# HELP ", 7) == 0 ||
				  strncmp(line, "# TYPE ", 7) == 0);
			continue;
		}
		ck_assert_ptr_nonnull(strrchr(line, ' '));
		ck_assert_msg(strchr("0123456789", strrchr(line, ' ')[1]) != NULL, "bad line %s",
			      line);
		if (strstr(line, "_bucket{route=\"/healthz\"")) {
			unsigned long long v = strtoull(strrchr(line, ' ') + 1, NULL, 10);
			ck_assert_uint_ge(v, prev);
			prev = v;
			k++;
		}
	}
	ck_assert_uint_eq(k, METRICS_NBUCKETS + 1);
	free(copy);
	sp_buf_cleanup(&out);
	metrics_free(m);
	metrics_free(NULL);
}
END_TEST

START_TEST(label_values_are_escaped_and_output_is_capped)
{
	struct metrics *m = NULL;
	struct metrics_gauges g;
	const char *names[] = { "/we\"ird\\" };
	struct sp_buf out;

	memset(&g, 0, sizeof(g));
	ck_assert_int_eq(metrics_new(1, &m, NULL), SP_OK);
	ck_assert_int_eq(metrics_observe(m, 0, HTTP_POST, 201, 0.1), SP_OK);
	sp_buf_init(&out, 1 << 16);
	ck_assert_int_eq(metrics_render(m, names, &g, 0, &out), SP_OK);
	ck_assert_ptr_nonnull(strstr((char *)out.data,
				     "route=\"/we\\\"ird\\\\\",method=\"POST\",status=\"201\"} 1"));
	sp_buf_cleanup(&out);
	sp_buf_init(&out, 64);
	ck_assert_int_eq(metrics_render(m, names, &g, 0, &out), SP_ERR_TOO_LARGE);
	sp_buf_cleanup(&out);
	metrics_free(m);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("server_metrics");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, counters_and_cumulative_buckets);
	tcase_add_test(tc, label_values_are_escaped_and_output_is_capped);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
