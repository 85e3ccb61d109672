/* test_client_http.c: the client's HTTP plumbing (client/client.h), against
 * a tiny canned HTTP server on a thread (test_client_http.h), and real TLS.
 * The sealpact command line: test_client_cli*.c. */
#include "test_client_http.h"

#include "support_tmp.h"

/* ---- client_request() ---- */

START_TEST(get_json_200)
{
	struct client *c = client_for(base);
	struct client_response resp;
	struct sp_errinfo ei;

	client_response_init(&resp, 4096);
	sp_errinfo_init(&ei);
	ck_assert_int_eq(client_request(c, "GET", "/json", NULL, 0, NULL, NULL, &resp, &ei), SP_OK);
	ck_assert_int_eq(resp.status, 200);
	ck_assert_str_eq((char *)resp.body.data, "{\"status\":\"ok\"}");
	ck_assert_str_eq(resp.content_type, "application/json");
	/* The same client again: the handle is reused and the response reset. */
	ck_assert_int_eq(client_request(c, "GET", "/nothing", NULL, 0, NULL, NULL, &resp, &ei),
			 SP_OK);
	ck_assert_int_eq(resp.status, 404);
	ck_assert_ptr_null(strstr((char *)resp.body.data, "ok"));
	client_response_cleanup(&resp);
	client_free(c);
}
END_TEST

START_TEST(problem_json_becomes_one_line)
{
	struct client *c = client_for(base);
	struct client_response resp;
	struct sp_errinfo ei;
	char line[256];

	client_response_init(&resp, 4096);
	sp_errinfo_init(&ei);
	ck_assert_int_eq(client_request(c, "POST", "/conflict", "{}", 2, "application/json", NULL,
					&resp, &ei),
			 SP_OK);
	ck_assert_int_eq(resp.status, 409);
	ck_assert_str_eq(resp.content_type, "application/problem+json");
	client_error_format(&resp, line, sizeof(line));
	ck_assert_str_eq(line, "409 Conflict (stale_revision): another revision landed since the "
			       "session began");

	/* A short buffer truncates, still terminated. */
	client_error_format(&resp, line, 12);
	ck_assert_str_eq(line, "409 Conflic");

	/* Control characters from the server never reach the terminal. */
	ck_assert_int_eq(client_request(c, "GET", "/evil", NULL, 0, NULL, NULL, &resp, &ei), SP_OK);
	client_error_format(&resp, line, sizeof(line));
	ck_assert_str_eq(line, "500 Bad?[31m: line1");

	/* Not problem+json: the status, its phrase and the body's first line. */
	ck_assert_int_eq(client_request(c, "GET", "/html", NULL, 0, NULL, NULL, &resp, &ei), SP_OK);
	client_error_format(&resp, line, sizeof(line));
	ck_assert_str_eq(line, "502 Bad Gateway: <html>bad gateway</html>");
	client_response_cleanup(&resp);
	client_free(c);
}
END_TEST

START_TEST(connection_refused_is_unavailable)
{
	char url[64];
	struct client *c;
	struct client_response resp;
	struct sp_errinfo ei;

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", dead_port());
	c = client_for(url);
	/* The trailing '/' is dropped: paths start with one. */
	url[strlen(url) - 1] = '\0';
	ck_assert_str_eq(c->base_url, url);
	client_response_init(&resp, 4096);
	sp_errinfo_init(&ei);
	ck_assert_int_eq(client_request(c, "GET", "/healthz", NULL, 0, NULL, NULL, &resp, &ei),
			 SP_ERR_UNAVAILABLE);
	ck_assert_int_eq(ei.code, SP_ERR_UNAVAILABLE);
	ck_assert_int_eq(resp.status, 0);
	/* curl's own words, and the URL, in the message. */
	ck_assert_ptr_nonnull(strstr(ei.msg, "/healthz"));
	ck_assert_ptr_nonnull(strstr(ei.msg, "onnect"));
	client_response_cleanup(&resp);
	client_free(c);
}
END_TEST

START_TEST(response_cap_is_enforced)
{
	struct client *c = client_for(base);
	struct client_response resp;
	struct sp_errinfo ei;

	/* Announced by Content-Length, and only discovered while reading. */
	client_response_init(&resp, 100000);
	sp_errinfo_init(&ei);
	ck_assert_int_eq(client_request(c, "GET", "/big", NULL, 0, NULL, NULL, &resp, &ei),
			 SP_ERR_TOO_LARGE);
	ck_assert_ptr_nonnull(strstr(ei.msg, "larger than 100000 bytes"));
	sp_errinfo_init(&ei);
	ck_assert_int_eq(client_request(c, "GET", "/big-unannounced", NULL, 0, NULL, NULL, &resp,
					&ei),
			 SP_ERR_TOO_LARGE);
	ck_assert_uint_le(resp.body.len, 100000);
	client_response_cleanup(&resp);

	/* Under the cap it is all there. */
	client_response_init(&resp, 200000);
	ck_assert_int_eq(client_request(c, "GET", "/big-unannounced", NULL, 0, NULL, NULL, &resp,
					&ei),
			 SP_OK);
	ck_assert_uint_eq(resp.body.len, 200000);
	client_response_cleanup(&resp);
	client_free(c);
}
END_TEST

START_TEST(bearer_body_and_headers_are_sent)
{
	struct client *c = client_for(base);
	struct client_response resp;
	struct sp_errinfo ei;
	const char *extra[] = { "X-Request-Id: abc123", NULL };
	const char *req;

	ck_assert_int_eq(client_token_set(c, "tok.en-123", &ei), SP_OK);
	client_response_init(&resp, 65536);
	sp_errinfo_init(&ei);
	ck_assert_int_eq(client_request(c, "PUT", "/echo", "{\"a\":1}", 7, "application/json",
					extra, &resp, &ei),
			 SP_OK);
	ck_assert_int_eq(resp.status, 200);
	req = (const char *)resp.body.data;
	ck_assert_msg(strncmp(req, "PUT /echo HTTP/1.1\r\n", 20) == 0, "%s", req);
	ck_assert_ptr_nonnull(strstr(req, "\r\nAuthorization: Bearer tok.en-123\r\n"));
	ck_assert_ptr_nonnull(strstr(req, "\r\nContent-Type: application/json\r\n"));
	ck_assert_ptr_nonnull(strstr(req, "\r\nX-Request-Id: abc123\r\n"));
	ck_assert_ptr_nonnull(strstr(req, "\r\n\r\n{\"a\":1}"));

	/* Cleared: no Authorization header any more. */
	ck_assert_int_eq(client_token_set(c, NULL, &ei), SP_OK);
	ck_assert_int_eq(client_request(c, "GET", "/echo", NULL, 0, NULL, NULL, &resp, &ei), SP_OK);
	ck_assert_ptr_null(strstr((char *)resp.body.data, "Authorization"));
	client_response_cleanup(&resp);
	client_free(c);
}
END_TEST

START_TEST(bad_arguments_are_refused_before_sending)
{
	struct client *c = client_for(base), *none = NULL;
	struct client_response resp;
	struct sp_errinfo ei;
	const char *split[] = { "X-A: 1\r\nX-Injected: 2", NULL };

	client_response_init(&resp, 4096);
	sp_errinfo_init(&ei);
	ck_assert_int_eq(client_request(c, "GET", "/x\r\nHost: evil", NULL, 0, NULL, NULL, &resp,
					&ei),
			 SP_ERR_INVALID);
	ck_assert_int_eq(client_request(c, "GET", "json", NULL, 0, NULL, NULL, &resp, &ei),
			 SP_ERR_INVALID);
	ck_assert_int_eq(client_request(c, "get", "/json", NULL, 0, NULL, NULL, &resp, &ei),
			 SP_ERR_INVALID);
	ck_assert_int_eq(client_request(c, "GET", "/json", NULL, 0, NULL, split, &resp, &ei),
			 SP_ERR_INVALID);
	ck_assert_int_eq(client_token_set(c, "a\nb", &ei), SP_ERR_INVALID);
	pthread_mutex_lock(&srv.mu);
	ck_assert_int_eq(srv.nrequests, 0);
	pthread_mutex_unlock(&srv.mu);

	ck_assert_int_eq(client_new("ftp://h", NULL, 5, &none, &ei), SP_ERR_INVALID);
	ck_assert_ptr_null(none);
	ck_assert_int_eq(client_new("https://", NULL, 5, &none, &ei), SP_ERR_INVALID);
	ck_assert_int_eq(client_new(base, NULL, 0, &none, &ei), SP_ERR_INVALID);
	client_response_cleanup(&resp);
	client_free(c);
	client_free(NULL);
}
END_TEST

START_TEST(tls_verification_cannot_be_skipped)
{
	char url[64];
	struct client *c;
	struct client_response resp;
	struct sp_errinfo ei;

	/* An https URL to the plain-HTTP server: the handshake fails, it is not
	 * downgraded, and the code says it was TLS. */
	snprintf(url, sizeof(url), "https://127.0.0.1:%d", srv.port);
	c = client_for(url);
	client_response_init(&resp, 4096);
	sp_errinfo_init(&ei);
	ck_assert_int_eq(client_request(c, "GET", "/json", NULL, 0, NULL, NULL, &resp, &ei),
			 SP_ERR_CRYPTO);
	ck_assert_int_eq(resp.status, 0);
	client_response_cleanup(&resp);
	client_free(c);
}
END_TEST

/* ---- real TLS: openssl s_server with a certificate for "localhost" only ---- */

struct tls_srv {
	char dir[64];
	char cert[128];
	int port;
	pid_t pid;
};

static void
tls_start(struct tls_srv *t)
{
	char cmd[1024], key[128], portstr[16];
	struct sockaddr_in a;
	int i, fd, up = 0;

	/* (the paths made from it are sized for a short one: say so, not truncate) */
	ck_assert_uint_lt((size_t)snprintf(t->dir, sizeof(t->dir), "%s", test_tmpdir_new("tls")),
			  sizeof(t->dir));
	snprintf(t->cert, sizeof(t->cert), "%s/c.pem", t->dir);
	snprintf(key, sizeof(key), "%s/k.pem", t->dir);
	snprintf(cmd, sizeof(cmd),
		 "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout %s "
		 "-out %s -days 2 -subj /CN=localhost -addext subjectAltName=DNS:localhost "
		 ">/dev/null 2>&1",
		 key, t->cert);
	ck_assert_int_eq(system(cmd), 0);
	t->port = dead_port();
	snprintf(portstr, sizeof(portstr), "127.0.0.1:%d", t->port);
	t->pid = fork();
	ck_assert_int_ge(t->pid, 0);
	if (t->pid == 0) {
		int devnull = open("/dev/null", O_RDWR);

		dup2(devnull, 0);
		dup2(devnull, 1);
		dup2(devnull, 2);
		execlp("openssl", "openssl", "s_server", "-accept", portstr, "-cert", t->cert,
		       "-key", key, "-www", "-quiet", (char *)NULL);
		_exit(127);
	}
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((unsigned short)t->port);
	for (i = 0; i < 600 && !up; i++) { /* 30 s: a loaded machine starts it slowly */
		fd = socket(AF_INET, SOCK_STREAM, 0);
		up = connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
		close(fd);
		if (!up)
			usleep(50000);
	}
	ck_assert_msg(up, "openssl s_server did not start");
}

static void
tls_stop(struct tls_srv *t)
{
	char cmd[256];

	kill(t->pid, SIGTERM);
	waitpid(t->pid, NULL, 0);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", t->dir);
	ck_assert_int_eq(system(cmd), 0);
}

static int
tls_get(const char *url, const char *cafile, struct sp_errinfo *ei, long *status)
{
	struct client *c = NULL;
	struct client_response resp;
	int r;

	sp_errinfo_init(ei);
	ck_assert_int_eq(client_new(url, cafile, 5, &c, ei), SP_OK);
	client_response_init(&resp, 65536);
	r = client_request(c, "GET", "/", NULL, 0, NULL, NULL, &resp, ei);
	*status = resp.status;
	client_response_cleanup(&resp);
	client_free(c);
	return r;
}

START_TEST(tls_verifies_ca_and_host_name)
{
	struct tls_srv t;
	struct sp_errinfo ei;
	char url[64], missing[160];
	long status;

	tls_start(&t);
	snprintf(url, sizeof(url), "https://localhost:%d", t.port);
	/* With the server's CA: a normal answer. */
	ck_assert_msg(tls_get(url, t.cert, &ei, &status) == SP_OK, "%s", ei.msg);
	ck_assert_int_eq(status, 200);
	/* Without it (the system store does not know it): refused. */
	ck_assert_int_eq(tls_get(url, NULL, &ei, &status), SP_ERR_CRYPTO);
	ck_assert_int_eq(status, 0);
	ck_assert_msg(strstr(ei.msg, "certificate") != NULL, "%s", ei.msg);
	/* The right CA but a name the certificate does not carry: refused. */
	snprintf(url, sizeof(url), "https://127.0.0.1:%d", t.port);
	ck_assert_int_eq(tls_get(url, t.cert, &ei, &status), SP_ERR_CRYPTO);
	ck_assert_int_eq(status, 0);
	/* A CA file that does not exist is an error, never "no verification". */
	snprintf(missing, sizeof(missing), "%s/none.pem", t.dir);
	snprintf(url, sizeof(url), "https://localhost:%d", t.port);
	ck_assert_int_eq(tls_get(url, missing, &ei, &status), SP_ERR_CRYPTO);
	ck_assert_int_eq(status, 0);
	tls_stop(&t);
}
END_TEST

static Suite *
client_suite(void)
{
	Suite *s = suite_create("client");
	TCase *http = tcase_create("http");

	tcase_add_checked_fixture(http, setup, teardown);
	tcase_add_test(http, get_json_200);
	tcase_add_test(http, problem_json_becomes_one_line);
	tcase_add_test(http, connection_refused_is_unavailable);
	tcase_add_test(http, response_cap_is_enforced);
	tcase_add_test(http, bearer_body_and_headers_are_sent);
	tcase_add_test(http, bad_arguments_are_refused_before_sending);
	tcase_add_test(http, tls_verification_cannot_be_skipped);
	tcase_add_test(http, tls_verifies_ca_and_host_name);
	suite_add_tcase(s, http);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(client_suite());
	int failed;

	signal(SIGPIPE, SIG_IGN);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
