/*
 * test_server_problem.c: sp_err -> status/code mapping (problem_map), worker
 * errors -> problems (problem_for_job), the RFC 9457 shape, request ids, logs.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "http_int.h"

START_TEST(error_codes_map_to_statuses)
{
	static const struct {
		int code;
		int status;
		const char *pcode;
	} rows[] = {
		{ SP_ERR_INVALID, 400, "invalid" },
		{ SP_ERR_UNAUTHORIZED, 401, "unauthorized" },
		{ SP_ERR_FORBIDDEN, 403, "forbidden" },
		{ SP_ERR_NOT_FOUND, 404, "not_found" },
		{ SP_ERR_CONFLICT, 409, "conflict" },
		{ SP_ERR_TOO_LARGE, 413, "payload_too_large" },
		{ SP_ERR_RATE_LIMITED, 429, "rate_limited" },
		{ SP_ERR_BUSY, 503, "server_busy" },
		{ SP_ERR_UNAVAILABLE, 503, "service_unavailable" },
		{ SP_ERR_TIMEOUT, 504, "timeout" },
		{ SP_ERR_INTERNAL, 500, "internal_error" },
		{ SP_ERR_DB, 500, "internal_error" },
		{ SP_ERR_CRYPTO, 500, "internal_error" },
		{ SP_ERR_NOMEM, 500, "internal_error" },
		{ -999, 500, "internal_error" },
	};
	struct problem_map pm;
	size_t i;

	for (i = 0; i < SP_ARRAY_LEN(rows); i++) {
		problem_map(rows[i].code, NULL, &pm);
		ck_assert_int_eq(pm.status, rows[i].status);
		ck_assert_str_eq(pm.code, rows[i].pcode);
		ck_assert_ptr_nonnull(pm.detail);
	}
}
END_TEST

START_TEST(client_errors_show_reason_server_errors_hide_internals)
{
	struct sp_errinfo ei;
	struct problem_map pm;

	sp_errinfo_init(&ei);
	sp_err_reason(&ei, SP_ERR_CONFLICT, "stale_revision", "revision 3 landed since");
	problem_map(ei.code, &ei, &pm);
	ck_assert_int_eq(pm.status, 409);
	ck_assert_str_eq(pm.code, "stale_revision");
	ck_assert_str_eq(pm.detail, "revision 3 landed since");

	sp_errinfo_init(&ei);
	sp_err_reason(&ei, SP_ERR_DB, "sql_broken", "relation \"secret_table\" does not exist");
	problem_map(ei.code, &ei, &pm);
	ck_assert_int_eq(pm.status, 500);
	ck_assert_str_eq(pm.code, "internal_error");
	ck_assert_ptr_null(strstr(pm.detail, "secret_table"));

	/* PostgreSQL's own text for a client error: a fixed detail, the code kept. */
	sp_errinfo_init(&ei);
	sp_err_reason(&ei, SP_ERR_INVALID, "invalid",
		      "invalid byte sequence for encoding \"UTF8\": 0xff");
	snprintf(ei.sqlstate, sizeof(ei.sqlstate), "22021");
	problem_map(ei.code, &ei, &pm);
	ck_assert_int_eq(pm.status, 400);
	ck_assert_str_eq(pm.code, "invalid");
	ck_assert_ptr_null(strstr(pm.detail, "UTF8"));
	ck_assert_ptr_nonnull(pm.pg_detail);
	sp_errinfo_init(&ei);
	sp_err_reason(&ei, SP_ERR_INVALID, "invalid",
		      "new row for relation \"parties\" violates check constraint \"x\"");
	snprintf(ei.sqlstate, sizeof(ei.sqlstate), "23514");
	problem_map(ei.code, &ei, &pm);
	ck_assert_ptr_null(strstr(pm.detail, "parties"));
	sp_errinfo_init(&ei);
	sp_err_reason(&ei, SP_ERR_FORBIDDEN, "forbidden", "audit events are append-only");
	snprintf(ei.sqlstate, sizeof(ei.sqlstate), "42501");
	problem_map(ei.code, &ei, &pm);
	ck_assert_int_eq(pm.status, 403);
	ck_assert_ptr_null(strstr(pm.detail, "audit"));
	/* The platform's own SQL codes carry messages written for the caller. */
	sp_errinfo_init(&ei);
	sp_err_reason(&ei, SP_ERR_INVALID, "invalid", "party 91X is listed twice as signer");
	snprintf(ei.sqlstate, sizeof(ei.sqlstate), "SP400");
	problem_map(ei.code, &ei, &pm);
	ck_assert_str_eq(pm.detail, "party 91X is listed twice as signer");
	ck_assert_ptr_null(pm.pg_detail);

	sp_errinfo_init(&ei);
	sp_err(&ei, SP_ERR_UNAVAILABLE, "connect to 10.0.0.5:5432 refused");
	problem_map(ei.code, &ei, &pm);
	ck_assert_int_eq(pm.status, 503);
	ck_assert_ptr_null(strstr(pm.detail, "10.0.0.5"));
}
END_TEST

START_TEST(a_reason_naming_a_problem_selects_it)
{
	struct sp_errinfo ei;
	struct problem_map pm;

	/* The reason wins over the class's row: an INVALID that is a stale revision is a 409. */
	sp_errinfo_init(&ei);
	sp_err_reason(&ei, SP_ERR_INVALID, "stale_revision", "revision 2 is not the latest");
	problem_map(ei.code, &ei, &pm);
	ck_assert_int_eq(pm.status, 409);
	ck_assert_str_eq(pm.code, "stale_revision");
	ck_assert_str_eq(pm.detail, "revision 2 is not the latest");

	sp_errinfo_init(&ei);
	sp_err_reason(&ei, SP_ERR_CONFLICT, "session_expired", "the signing session ended");
	problem_map(ei.code, &ei, &pm);
	ck_assert_int_eq(pm.status, 410);
	ck_assert_str_eq(pm.code, "session_expired");

	/* A reason naming a 5xx problem selects it, but its message stays hidden. */
	sp_errinfo_init(&ei);
	sp_err_reason(&ei, SP_ERR_UNAVAILABLE, "timestamp_failed", "tsa.internal:318 refused");
	problem_map(ei.code, &ei, &pm);
	ck_assert_int_eq(pm.status, 502);
	ck_assert_str_eq(pm.code, "timestamp_failed");
	ck_assert_ptr_null(strstr(pm.detail, "tsa.internal"));

	/* A reason outside the table keeps the class's status and is the code of a 4xx. */
	sp_errinfo_init(&ei);
	sp_err_reason(&ei, SP_ERR_INVALID, "bad_party_name", "party name is empty");
	problem_map(ei.code, &ei, &pm);
	ck_assert_int_eq(pm.status, 400);
	ck_assert_str_eq(pm.code, "bad_party_name");
	ck_assert_str_eq(pm.detail, "party name is empty");

	/* Internal and database errors never take their status from a reason. */
	sp_errinfo_init(&ei);
	sp_err_reason(&ei, SP_ERR_INTERNAL, "not_found", "lookup table broken");
	problem_map(ei.code, &ei, &pm);
	ck_assert_int_eq(pm.status, 500);
	ck_assert_str_eq(pm.code, "internal_error");
	sp_errinfo_init(&ei);
	sp_err_reason(&ei, SP_ERR_DB, "conflict", "duplicate key in secret_index");
	problem_map(ei.code, &ei, &pm);
	ck_assert_int_eq(pm.status, 500);
	ck_assert_str_eq(pm.code, "internal_error");
	ck_assert_ptr_null(strstr(pm.detail, "secret_index"));

	/* Without a message a client error's detail is the status text. */
	problem_map(SP_ERR_NOT_FOUND, NULL, &pm);
	ck_assert_str_eq(pm.detail, "Not Found");
	problem_map(SP_ERR_EXPIRED, NULL, &pm);
	ck_assert_int_eq(pm.status, 410);
	ck_assert_str_eq(pm.code, "session_expired");
}
END_TEST

START_TEST(worker_errors_map_to_problems)
{
	static const struct {
		int rc;
		const char *reason; /* NULL: no error info at all */
		enum problem want;  /* P__COUNT: the caller answers it as a server error */
	} rows[] = {
		{ SP_ERR_INVALID, NULL, P_PDF_UNREADABLE },
		{ SP_ERR_INVALID, "", P_PDF_UNREADABLE },
		{ SP_ERR_INVALID, "bad_field", P_PDF_UNREADABLE },
		{ SP_ERR_INVALID, "malformed_json", P_MALFORMED_JSON },
		{ SP_ERR_PDF, NULL, P_PDF_UNREADABLE },
		{ SP_ERR_PDF, "malformed_json", P_PDF_UNREADABLE },
		{ SP_ERR_UNSUPPORTED, NULL, P_PDF_UNREADABLE },
		{ SP_ERR_TOO_LARGE, NULL, P_PDF_UNREADABLE },
		{ SP_ERR_LIMIT, NULL, P_PDF_UNREADABLE },
		{ SP_ERR_CRYPTO, NULL, P_CERTIFICATE_REFUSED },
		{ SP_ERR_EXPIRED, NULL, P_CERTIFICATE_REFUSED },
		{ SP_ERR_FORBIDDEN, NULL, P_CERTIFICATE_REFUSED },
		{ SP_ERR_UNAVAILABLE, NULL, P_UNAVAILABLE },
		{ SP_ERR_CONFIG, NULL, P_UNAVAILABLE },
		{ SP_ERR_INTERNAL, NULL, P__COUNT },
		{ SP_ERR_NOMEM, NULL, P__COUNT },
		{ SP_ERR_DB, NULL, P__COUNT },
		{ SP_ERR_IO, NULL, P__COUNT },
		{ SP_ERR_TIMEOUT, NULL, P__COUNT },
		{ SP_ERR_BUSY, NULL, P__COUNT },
		{ SP_ERR_CONFLICT, NULL, P__COUNT },
		{ SP_ERR_NOT_FOUND, NULL, P__COUNT },
		{ SP_ERR_UNAUTHORIZED, NULL, P__COUNT },
		{ SP_ERR_RATE_LIMITED, NULL, P__COUNT },
		{ SP_OK, NULL, P__COUNT },
		{ -999, NULL, P__COUNT },
	};
	struct sp_errinfo ei;
	size_t i;

	for (i = 0; i < SP_ARRAY_LEN(rows); i++) {
		const struct sp_errinfo *eip = NULL;

		if (rows[i].reason != NULL) {
			sp_errinfo_init(&ei);
			sp_err_reason(&ei, rows[i].rc, rows[i].reason, "worker failed");
			eip = &ei;
		}
		ck_assert_msg(problem_for_job(rows[i].rc, eip, P_PDF_UNREADABLE) == rows[i].want,
			      "row %zu: rc %d reason %s", i, rows[i].rc,
			      rows[i].reason ? rows[i].reason : "(none)");
	}
	/* The input problem is the caller's: a different one comes back as given. */
	ck_assert_int_eq(problem_for_job(SP_ERR_PDF, NULL, P_UNPROCESSABLE), P_UNPROCESSABLE);
	ck_assert_int_eq(problem_for_job(SP_ERR_INVALID, NULL, P_BAD_SIGNATURE), P_BAD_SIGNATURE);
	ck_assert_int_eq(problem_for_job(SP_ERR_CRYPTO, NULL, P_UNPROCESSABLE),
			 P_CERTIFICATE_REFUSED);
	/* What the rows lead to on the wire. */
	ck_assert_int_eq(problem_status(P_MALFORMED_JSON), 400);
	ck_assert_int_eq(problem_status(P_CERTIFICATE_REFUSED), 422);
	ck_assert_int_eq(problem_status(P_UNAVAILABLE), 503);
	ck_assert_int_eq(problem_status(P__COUNT), 500);
	ck_assert_str_eq(problem_code(P__COUNT), "internal_error");
}
END_TEST

START_TEST(problem_json_has_rfc9457_members)
{
	json_t *doc = problem_json(404, "not_found", "No route matches.", "rid-1");
	json_t *d2;

	ck_assert_ptr_nonnull(doc);
	ck_assert_str_eq(json_string_value(json_object_get(doc, "type")),
			 "urn:sealpact:problem:not_found");
	ck_assert_str_eq(json_string_value(json_object_get(doc, "title")), "Not Found");
	ck_assert_int_eq(json_integer_value(json_object_get(doc, "status")), 404);
	ck_assert_str_eq(json_string_value(json_object_get(doc, "detail")), "No route matches.");
	ck_assert_str_eq(json_string_value(json_object_get(doc, "code")), "not_found");
	ck_assert_str_eq(json_string_value(json_object_get(doc, "request_id")), "rid-1");
	json_decref(doc);
	/* A detail that is not UTF-8 (client input) still yields a valid document. */
	d2 = problem_json(400, "malformed_json", "bad \xff byte", NULL);
	ck_assert_ptr_nonnull(d2);
	ck_assert_ptr_nonnull(json_string_value(json_object_get(d2, "detail")));
	ck_assert_ptr_null(json_object_get(d2, "request_id"));
	json_decref(d2);
	ck_assert_str_eq(http_status_text(413), "Content Too Large");
	ck_assert_str_eq(http_status_text(299), "Unknown");
}
END_TEST

START_TEST(request_ids_are_sanitized)
{
	char id[33];
	char long_id[80];

	ck_assert(request_id_is_sane("abc-123.x_y"));
	ck_assert(request_id_is_sane("A"));
	ck_assert(!request_id_is_sane(NULL));
	ck_assert(!request_id_is_sane(""));
	ck_assert(!request_id_is_sane("bad id"));
	ck_assert(!request_id_is_sane("a\"<>"));
	ck_assert(!request_id_is_sane("line\nbreak"));
	ck_assert(!request_id_is_sane("caf\xc3\xa9"));
	memset(long_id, 'a', 64);
	long_id[64] = '\0';
	ck_assert(request_id_is_sane(long_id));
	long_id[64] = 'a';
	long_id[65] = '\0';
	ck_assert(!request_id_is_sane(long_id));
	request_id_generate(id);
	ck_assert_uint_eq(strlen(id), 32);
	ck_assert(request_id_is_sane(id));
	{
		char id2[33];
		request_id_generate(id2);
		ck_assert_str_ne(id, id2);
	}
}
END_TEST

START_TEST(log_lines_are_json_with_rfc3339_ms)
{
	int fds[2], saved;
	char buf[4096];
	ssize_t n;
	json_t *o;
	json_error_t jerr;
	char ts[32];
	const char *t;

	log_time_format(ts);
	ck_assert_uint_eq(strlen(ts), 24);
	ck_assert_int_eq(ts[10], 'T');
	ck_assert_int_eq(ts[19], '.');
	ck_assert_int_eq(ts[23], 'Z');
	ck_assert_int_eq(log_level_parse("warn"), LOG_WARN);
	ck_assert_int_eq(log_level_parse("nope"), -1);

	ck_assert_int_eq(pipe(fds), 0);
	saved = dup(2);
	dup2(fds[1], 2);
	log_level_set(LOG_INFO);
	log_event(LOG_DEBUG, NULL, "dropped", NULL);
	log_event(LOG_INFO, "rid-7", "listening", "{s:i,s:s}", "port", 8443, "scheme", "https");
	dup2(saved, 2);
	close(saved);
	close(fds[1]);
	n = read(fds[0], buf, sizeof(buf) - 1);
	close(fds[0]);
	ck_assert_int_gt(n, 0);
	buf[n] = '\0';
	/* Exactly one line: the debug one was below the level. */
	ck_assert_ptr_eq(strchr(buf, '\n'), buf + n - 1);
	o = json_loads(buf, 0, &jerr);
	ck_assert_ptr_nonnull(o);
	ck_assert_str_eq(json_string_value(json_object_get(o, "msg")), "listening");
	ck_assert_str_eq(json_string_value(json_object_get(o, "level")), "info");
	ck_assert_str_eq(json_string_value(json_object_get(o, "request_id")), "rid-7");
	ck_assert_int_eq(json_integer_value(json_object_get(o, "port")), 8443);
	t = json_string_value(json_object_get(o, "ts"));
	ck_assert_uint_eq(strlen(t), 24);
	json_decref(o);
}
END_TEST

/* Lines written to fd 2 while fn(arg) runs, NUL-terminated in buf. */
static size_t
captured(void (*fn)(void *), void *arg, char *buf, size_t cap)
{
	int fds[2], saved;
	size_t got = 0;
	ssize_t n;

	ck_assert_int_eq(pipe(fds), 0);
	saved = dup(2);
	dup2(fds[1], 2);
	fn(arg);
	dup2(saved, 2);
	close(saved);
	close(fds[1]);
	while ((n = read(fds[0], buf + got, cap - 1 - got)) > 0)
		got += (size_t)n;
	close(fds[0]);
	buf[got] = '\0';
	return got;
}

struct access_case {
	const char *id, *path;
	int status;
	double ms;
};

static void
access_by_event(void *arg)
{
	const struct access_case *c = arg;

	if (c->id != NULL)
		log_event(LOG_INFO, c->id, "request", "{s:s,s:s,s:s,s:i,s:f,s:I,s:s}", "method",
			  "POST", "route", "POST /api/v1/contracts/{number}/signing-sessions",
			  "path", c->path, "status", c->status, "duration_ms", c->ms, "bytes",
			  (json_int_t)1234, "remote", "127.0.0.1");
	else
		log_event(LOG_INFO, NULL, "request", "{s:s,s:s,s:s,s:i,s:f,s:I,s:s}", "method",
			  "POST", "route", "POST /api/v1/contracts/{number}/signing-sessions",
			  "path", c->path, "status", c->status, "duration_ms", c->ms, "bytes",
			  (json_int_t)1234, "remote", "127.0.0.1");
}

static void
access_by_line(void *arg)
{
	const struct access_case *c = arg;

	log_access(LOG_INFO, c->id, "POST", "POST /api/v1/contracts/{number}/signing-sessions",
		   c->path, c->status, c->ms, 1234, "127.0.0.1");
}

/*
 * The access log's line, written directly, is the line log_event writes for
 * the same fields: the same keys in the same order and the same values (the
 * time aside), for awkward paths and durations alike; and a forked process
 * logs its own pid.
 */
START_TEST(access_line_is_the_log_event_line)
{
	static const struct access_case cases[] = {
		{ "rid-1", "/api/v1/contracts/1/signing-sessions", 201, 12.5 },
		{ NULL, "/a\"b\\c", 404, 3.0 },
		{ "r\"x", "/p?q=1&r=\t", 500, 0.000123456 },
		{ "rid-4", "", 200, 12345678.9 },
		{ "rid-5", "/x", 200, 0.0 },
	};
	char a[4096], b[4096];
	size_t i;
	pid_t child;
	int st;

	log_level_set(LOG_INFO);
	for (i = 0; i < SP_ARRAY_LEN(cases); i++) {
		json_t *x, *y;
		char *sx, *sy;

		captured(access_by_event, (void *)&cases[i], a, sizeof(a));
		captured(access_by_line, (void *)&cases[i], b, sizeof(b));
		ck_assert_ptr_eq(strchr(b, '\n'), b + strlen(b) - 1);
		ck_assert_ptr_nonnull(x = json_loads(a, 0, NULL));
		ck_assert_msg((y = json_loads(b, 0, NULL)) != NULL, "%s", b);
		ck_assert_int_eq(json_integer_value(json_object_get(y, "pid")), getpid());
		json_object_del(x, "ts");
		json_object_del(y, "ts");
		sx = json_dumps(x, JSON_PRESERVE_ORDER | JSON_COMPACT);
		sy = json_dumps(y, JSON_PRESERVE_ORDER | JSON_COMPACT);
		ck_assert_str_eq(sy, sx);
		free(sx);
		free(sy);
		json_decref(x);
		json_decref(y);
	}
	/* a forked process (the supervisor's serving processes) logs its own pid */
	captured(access_by_line, (void *)&cases[0], b, sizeof(b));
	child = fork();
	ck_assert_int_ge(child, 0);
	if (child == 0) {
		json_t *y;
		int ok;

		captured(access_by_line, (void *)&cases[0], b, sizeof(b));
		y = json_loads(b, 0, NULL);
		ok = y != NULL && json_integer_value(json_object_get(y, "pid")) == getpid() &&
		     getpid() != getppid();
		json_decref(y); /* valgrind's leak check runs in the child too */
		_exit(ok ? 0 : 1);
	}
	ck_assert_int_eq(waitpid(child, &st, 0), child);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("server_problem");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, error_codes_map_to_statuses);
	tcase_add_test(tc, client_errors_show_reason_server_errors_hide_internals);
	tcase_add_test(tc, a_reason_naming_a_problem_selects_it);
	tcase_add_test(tc, worker_errors_map_to_problems);
	tcase_add_test(tc, problem_json_has_rfc9457_members);
	tcase_add_test(tc, request_ids_are_sanitized);
	tcase_add_test(tc, log_lines_are_json_with_rfc3339_ms);
	tcase_add_test(tc, access_line_is_the_log_event_line);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
