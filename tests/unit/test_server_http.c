/*
 * test_server_http.c: a real sealpactd serving process (plain HTTP, forked)
 * driven over sockets: JSON bodies (415, 400 malformed_json with line and
 * column, 413), async replies from jobs and the database, a client that
 * disconnects before its reply, the request deadline, readiness with the
 * database down, and SIGTERM draining an in-flight request. The framer and
 * the query parser in process: test_server_http_framer.c.
 */
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <libpq-fe.h>

#include "config.h"
#include "db.h"
#include "db_int.h"
#include "http_int.h"
#include "support_pg.h"
#include "support_ports.h"

/* ---- test routes ---- */

static void
t_json(struct request *r)
{
	json_t *doc;

	if (request_json_body(r, &doc) != SP_OK)
		return;
	request_reply_json(r, 200, json_pack("{s:i}", "keys", (int)json_object_size(doc)));
	json_decref(doc);
}

struct jarg {
	struct request *r;
	int ms;
};

static int
sleep_work(void *p, struct sp_errinfo *ei)
{
	struct jarg *j = p;

	(void)ei;
	usleep((useconds_t)j->ms * 1000);
	return SP_OK;
}

static void
sleep_done(void *p, int rc, const struct sp_errinfo *ei)
{
	struct jarg *j = p;

	if (rc != SP_OK)
		request_reply_error(j->r, rc, ei);
	else
		request_reply_json(j->r, 200, json_pack("{s:s}", "job", "done"));
	free(j);
}

static void
t_job(struct request *r)
{
	struct jarg *j = calloc(1, sizeof(*j));
	const char *ms = request_param(r, "ms");
	int rc;

	j->r = r;
	j->ms = atoi(ms);
	if ((rc = jobs_submit(request_jobs(r), sleep_work, sleep_done, j)) != SP_OK) {
		free(j);
		request_reply_error(r, rc, NULL);
	}
}

static void
db_done(void *arg, const PGresult *res, const struct sp_errinfo *err)
{
	struct request *r = arg;

	if (err->code != SP_OK) {
		request_reply_error(r, err->code, err);
		return;
	}
	request_reply_json(r, 200, json_pack("{s:s}", "db", PQgetvalue(res, 0, 0)));
}

static void
t_db(struct request *r)
{
	int rc = db_query_send(request_db(r), "SELECT 'slept' FROM pg_sleep(0.3)", 0, NULL, 0, 0,
			       db_done, r);

	if (rc != SP_OK)
		request_reply_error(r, rc, NULL);
}

static int
test_routes(struct router *rt, struct sp_errinfo *ei)
{
	int r;

	if ((r = router_route_add(rt, HTTP_POST, "/t/json", t_json, 0, ei)) != SP_OK ||
	    (r = router_route_add(rt, HTTP_GET, "/t/job/{ms}", t_job, 0, ei)) != SP_OK ||
	    (r = router_route_add(rt, HTTP_GET, "/t/db", t_db, 0, ei)) != SP_OK)
		return r;
	return SP_OK;
}

/* ---- a server in a child process ---- */

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * How long a test waits for something the server will do by itself. The code
 * takes milliseconds; a machine running the sanitizer build under ctest -j4
 * can take seconds, so a wait ends on the condition, and the deadline is only
 * there to end a test whose server never does it.
 */
#define PATIENCE_S 30.0

/*
 * evbuffer_add_cb as the server calls it (this test links with
 * -Wl,--wrap=evbuffer_add_cb): the next add_cb_failures calls fail, as
 * libevent's does when it cannot allocate. Set before a server is forked.
 */
static int add_cb_failures;

/* NOLINTBEGIN(bugprone-reserved-identifier,cert-dcl37-c,cert-dcl51-cpp): ld --wrap names */
struct evbuffer_cb_entry *__real_evbuffer_add_cb(struct evbuffer *buf, evbuffer_cb_func cb,
						 void *arg);
struct evbuffer_cb_entry *__wrap_evbuffer_add_cb(struct evbuffer *buf, evbuffer_cb_func cb,
						 void *arg);
/* NOLINTEND(bugprone-reserved-identifier,cert-dcl37-c,cert-dcl51-cpp) */

struct evbuffer_cb_entry *
__wrap_evbuffer_add_cb(struct evbuffer *buf, evbuffer_cb_func cb, void *arg)
{
	if (add_cb_failures > 0) {
		add_cb_failures--;
		return NULL;
	}
	return __real_evbuffer_add_cb(buf, cb, arg);
}

/* One more SEALPACT_* setting for the next server started, or NULL. */
static const char *server_extra_env;

static pid_t server_pid;
static int server_port;
static char dbname[64];

static int
connect_port(int port)
{
	struct sockaddr_in sa;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct timeval tv = { 10, 0 };

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons((uint16_t)port);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* A database of our own in the suite's cluster; "" when there is no cluster. */
static void
make_db(char *url, size_t n)
{
	dbname[0] = '\0';
	test_pg_db_new("t_srv", dbname, sizeof(dbname), url, n);
}

static void
drop_db(void)
{
	test_pg_db_drop(dbname);
	dbname[0] = '\0';
}

/* the metrics token of the servers started here and its SHA-256 (their setting) */
#define METRICS_AUTH "Authorization: Bearer unit-metrics-token\r\n"
#define METRICS_TOKEN_SHA256 "9c69f068ef34d2ea55f21c3bced32150b352d8363b2977d3d81e05ab3e205d07"

static void
start_server_ex(const char *db_url, const char *timeout_ms, const char *shutdown_ms)
{
	char e_url[600], e_timeout[64], e_shutdown[64];
	char *envp[] = { e_url, "SEALPACT_SERVER_TLS=false", "SEALPACT_SERVER_THREADS=2",
			 "SEALPACT_DATABASE_POOL_SIZE=2",
			 "SEALPACT_DATABASE_CONNECT_TIMEOUT_MS=500", e_shutdown,
			 "SEALPACT_LOG_LEVEL=warn",
			 /* /metrics answers the bearer of METRICS_TOKEN only (one string: */
			 /* NOLINTNEXTLINE(bugprone-suspicious-missing-comma): the hash appended) */
			 "SEALPACT_SERVER_METRICS_TOKEN_SHA256=" METRICS_TOKEN_SHA256, e_timeout,
			 (char *)server_extra_env, NULL };
	double t0;
	int fd, attempt, status = 0;

	snprintf(e_url, sizeof(e_url), "SEALPACT_DATABASE_URL=%s", db_url);
	snprintf(e_timeout, sizeof(e_timeout), "SEALPACT_SERVER_REQUEST_TIMEOUT_MS=%s", timeout_ms);
	snprintf(e_shutdown, sizeof(e_shutdown), "SEALPACT_SERVER_SHUTDOWN_TIMEOUT_MS=%s",
		 shutdown_ms);
	/* another test may draw the same port and bind it first (the server exits 71):
	   another port, twice more */
	for (attempt = 0; attempt < 3; attempt++) {
		server_port = test_port_free();
		server_pid = fork();
		ck_assert_int_ge(server_pid, 0);
		if (server_pid == 0) {
			struct config *cfg = NULL;
			struct sp_errinfo ei;
			int rc;

			sp_errinfo_init(&ei);
			if (config_load(NULL, envp, &cfg, &ei) != SP_OK) {
				fprintf(stderr, "config: %s\n", ei.msg);
				_exit(78);
			}
			log_level_set(log_level_parse(cfg->log.level));
			rc = server_run(cfg, server_port, 0, test_routes);
			config_free(cfg);
			exit(rc);
		}
		for (t0 = now_s(); now_s() - t0 < PATIENCE_S;) {
			if ((fd = connect_port(server_port)) >= 0) {
				close(fd);
				return;
			}
			if (waitpid(server_pid, &status, WNOHANG) == server_pid)
				break;
			usleep(20 * 1000);
		}
		ck_assert_msg(now_s() - t0 < PATIENCE_S, "server did not start listening");
		server_pid = 0;
		ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 71,
			      "server exited before listening (%d)", status);
	}
	ck_abort_msg("server exited 71 three times (its port taken, or start-up failed: its "
		     "stderr says)");
}

static void
start_server(const char *db_url, const char *timeout_ms)
{
	start_server_ex(db_url, timeout_ms, "10000");
}

static int
stop_server(void)
{
	int status = -1;

	if (server_pid > 0) {
		kill(server_pid, SIGTERM);
		ck_assert_int_eq(waitpid(server_pid, &status, 0), server_pid);
		server_pid = 0;
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

struct resp {
	int status;
	char head[4096];
	char body[65536]; /* a whole metrics page */
	json_t *doc;
};

static void
send_all(int fd, const void *p, size_t n)
{
	const char *s = p;

	while (n > 0) {
		ssize_t w = send(fd, s, n, MSG_NOSIGNAL);
		ck_assert_int_gt(w, 0);
		s += w;
		n -= (size_t)w;
	}
}

/* Read a response until the server closes (requests say Connection: close). */
static void
read_resp(int fd, struct resp *out)
{
	static char buf[65536];
	size_t len = 0;
	ssize_t n;
	char *sep;

	memset(out, 0, sizeof(*out));
	while (len < sizeof(buf) - 1 && (n = recv(fd, buf + len, sizeof(buf) - 1 - len, 0)) > 0)
		len += (size_t)n;
	buf[len] = '\0';
	ck_assert_msg(sscanf(buf, "HTTP/1.1 %d", &out->status) == 1, "no response: '%s'", buf);
	sep = strstr(buf, "\r\n\r\n");
	ck_assert_ptr_nonnull(sep);
	snprintf(out->head, sizeof(out->head), "%.*s", (int)(sep - buf), buf);
	snprintf(out->body, sizeof(out->body), "%s", sep + 4);
	out->doc = json_loads(out->body, 0, NULL);
}

static void
request(const char *method, const char *path, const char *ctype, const char *body, struct resp *out)
{
	char head[1024];
	int fd = connect_port(server_port);

	ck_assert_int_ge(fd, 0);
	snprintf(head, sizeof(head),
		 "%s %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n%s%s%s%sContent-Length: "
		 "%zu\r\n\r\n",
		 method, path, strcmp(path, "/metrics") == 0 ? METRICS_AUTH : "",
		 ctype ? "Content-Type: " : "", ctype ? ctype : "", ctype ? "\r\n" : "",
		 body ? strlen(body) : 0);
	send_all(fd, head, strlen(head));
	if (body)
		send_all(fd, body, strlen(body));
	read_resp(fd, out);
	close(fd);
}

static void
assert_problem(const struct resp *r, int status, const char *code)
{
	ck_assert_int_eq(r->status, status);
	ck_assert_msg(strstr(r->head, "Content-Type: application/problem+json") != NULL, "%s",
		      r->head);
	ck_assert_msg(r->doc != NULL, "body is not JSON: %s", r->body);
	ck_assert_int_eq(json_integer_value(json_object_get(r->doc, "status")), status);
	ck_assert_str_eq(json_string_value(json_object_get(r->doc, "code")), code);
	ck_assert_ptr_nonnull(json_string_value(json_object_get(r->doc, "request_id")));
	ck_assert_ptr_nonnull(json_string_value(json_object_get(r->doc, "title")));
}

/* The value of sealpact_http_requests_total for a GET route and status, 0 if absent. */
static int
counter(const char *text, const char *route, int status)
{
	char needle[256];
	const char *p;

	snprintf(needle, sizeof(needle),
		 "sealpact_http_requests_total{route=\"%s\",method=\"GET\",status=\"%d\"} ", route,
		 status);
	p = strstr(text, needle);
	return p ? atoi(p + strlen(needle)) : 0;
}

static void
resp_clear(struct resp *r)
{
	json_decref(r->doc);
	r->doc = NULL;
}

/* The value of a metric without labels on the metrics page, -1 if absent. */
static long
metric_value(const char *text, const char *name)
{
	size_t n = strlen(name);
	const char *p;

	for (p = text; (p = strstr(p, name)) != NULL; p += n)
		if ((p == text || p[-1] == '\n') && p[n] == ' ')
			return atol(p + n + 1);
	return -1;
}

/* Wait until the server runs at least n worker-pool jobs: a request is in flight. */
static void
wait_jobs_running(long n)
{
	double t0 = now_s();
	struct resp r;
	long got;

	for (;;) {
		request("GET", "/metrics", NULL, NULL, &r);
		ck_assert_int_eq(r.status, 200);
		got = metric_value(r.body, "sealpact_jobs_running");
		resp_clear(&r);
		if (got >= n)
			return;
		ck_assert_msg(now_s() - t0 < PATIENCE_S, "%ld jobs running after %.0f s", got,
			      PATIENCE_S);
		usleep(20 * 1000);
	}
}

/*
 * The metrics page once n requests to route (GET) have been counted as 200 or
 * 499. A request is counted when its query or job ends, after a time a loaded
 * machine stretches; the test is about how each was counted, not when.
 */
static void
metrics_once_counted(const char *route, int n, struct resp *r)
{
	double t0 = now_s();

	for (;;) {
		request("GET", "/metrics", NULL, NULL, r);
		ck_assert_int_eq(r->status, 200);
		if (counter(r->body, route, 200) + counter(r->body, route, 499) >= n ||
		    now_s() - t0 > PATIENCE_S)
			return;
		resp_clear(r);
		usleep(50 * 1000);
	}
}

/* ---- tests ---- */

START_TEST(json_bodies_415_400_413)
{
	struct resp r;
	char *big;
	size_t n = 2 * 1024 * 1024;

	start_server("postgresql://127.0.0.1:1/none", "30000");
	request("POST", "/t/json", "text/plain", "{}", &r);
	assert_problem(&r, 415, "unsupported_media_type");
	resp_clear(&r);
	request("POST", "/t/json", "application/json", "{\"a\": 1,\n  \"b\": }", &r);
	assert_problem(&r, 400, "malformed_json");
	ck_assert_msg(strstr(json_string_value(json_object_get(r.doc, "detail")),
			     "line 2, column") != NULL,
		      "%s", r.body);
	resp_clear(&r);
	request("POST", "/t/json", "application/json", "", &r);
	assert_problem(&r, 400, "empty_body");
	resp_clear(&r);
	request("POST", "/t/json", "application/json; charset=utf-8", "{\"a\":1,\"b\":2}", &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_int_eq(json_integer_value(json_object_get(r.doc, "keys")), 2);
	resp_clear(&r);
	request("POST", "/t/json", "application/json", "{\"a\":1,\"a\":2}", &r);
	assert_problem(&r, 400, "malformed_json");
	resp_clear(&r);
	/* 2 MiB against the default 1 MiB cap: a problem+json 413, not a cut connection. */
	big = malloc(n + 1);
	memset(big, ' ', n);
	big[0] = '{';
	big[n - 1] = '}';
	big[n] = '\0';
	request("POST", "/t/json", "application/json", big, &r);
	assert_problem(&r, 413, "payload_too_large");
	resp_clear(&r);
	free(big);
	/* Routing errors are problems too. */
	request("GET", "/t/json", NULL, NULL, &r);
	assert_problem(&r, 405, "method_not_allowed");
	ck_assert_ptr_nonnull(strstr(r.head, "Allow: POST"));
	resp_clear(&r);
	request("GET", "/t/nothing", NULL, NULL, &r);
	assert_problem(&r, 404, "not_found");
	resp_clear(&r);
	request("GET", "/t/job/%zz", NULL, NULL, &r);
	assert_problem(&r, 400, "invalid_path");
	resp_clear(&r);
	request("TRACE", "/t/json", NULL, NULL, &r);
	assert_problem(&r, 501, "not_implemented");
	resp_clear(&r);
	ck_assert_int_eq(stop_server(), 0);
}
END_TEST

/*
 * A connection refused after its address was counted gives the count back:
 * admit() did not when evbuffer_add_cb failed (out of memory), and an
 * address's refusals added up until all its connections were refused.
 */
START_TEST(a_connection_not_admitted_gives_its_address_count_back)
{
	struct resp r;
	char buf[64];
	int i, fd;

	/* four connections an address; the readiness probe's and three more fail */
	add_cb_failures = 4;
	server_extra_env = "SEALPACT_SERVER_MAX_CONNECTIONS_PER_IP=4";
	start_server("postgresql://127.0.0.1:1/none", "30000");
	add_cb_failures = 0;
	server_extra_env = NULL;
	for (i = 0; i < 3; i++) {
		ck_assert_int_ge(fd = connect_port(server_port), 0);
		/* reset by the server: read only once it was refused */
		ck_assert_int_le(recv(fd, buf, sizeof(buf), 0), 0);
		close(fd);
	}
	request("GET", "/healthz", NULL, NULL, &r);
	ck_assert_int_eq(r.status, 200);
	resp_clear(&r);
	ck_assert_int_eq(stop_server(), 0);
}
END_TEST

START_TEST(readyz_answers_503_quickly_when_database_is_down)
{
	struct resp r;
	double t0;
	int i;

	start_server("postgresql://sealpact@127.0.0.1:1/none", "30000");
	for (i = 0; i < 3; i++) {
		t0 = now_s();
		request("GET", "/readyz", NULL, NULL, &r);
		/* well below the 30 s request deadline it would otherwise wait for */
		ck_assert_double_lt(now_s() - t0, 10.0);
		assert_problem(&r, 503, "database_unavailable");
		ck_assert_ptr_nonnull(strstr(r.head, "Retry-After:"));
		resp_clear(&r);
	}
	request("GET", "/healthz", NULL, NULL, &r);
	ck_assert_int_eq(r.status, 200);
	resp_clear(&r);
	ck_assert_int_eq(stop_server(), 0);
}
END_TEST

START_TEST(async_replies_and_client_disconnects)
{
	char url[600];
	struct resp r;
	int fd, i;
	const char *req = "GET /t/db HTTP/1.1\r\nHost: x\r\n\r\n";
	const char *reqj = "GET /t/job/300 HTTP/1.1\r\nHost: x\r\n\r\n";

	make_db(url, sizeof(url));
	start_server(url, "30000");
	request("GET", "/t/db", NULL, NULL, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(json_string_value(json_object_get(r.doc, "db")), "slept");
	resp_clear(&r);
	request("GET", "/t/job/50", NULL, NULL, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(json_string_value(json_object_get(r.doc, "job")), "done");
	resp_clear(&r);
	/* Clients that leave while their query or job is running. */
	for (i = 0; i < 5; i++) {
		fd = connect_port(server_port);
		send_all(fd, req, strlen(req));
		close(fd);
		fd = connect_port(server_port);
		send_all(fd, reqj, strlen(reqj));
		close(fd);
	}
	/* Every callback fires (pool of 2 x 0.3 s, 2 threads x 0.3 s), then 499 is recorded. */
	metrics_once_counted("/t/db", 6, &r);
	resp_clear(&r);
	request("GET", "/readyz", NULL, NULL, &r);
	ck_assert_int_eq(r.status, 200);
	resp_clear(&r);
	metrics_once_counted("/t/job/{ms}", 6, &r);
	/*
	 * The server noticed each departure while the query or job ran (it
	 * watches the socket; libevent 2.1 alone would not), so the late
	 * callbacks only freed their contexts and were counted as 499.
	 */
	ck_assert_int_eq(counter(r.body, "/t/db", 200), 1);
	ck_assert_int_eq(counter(r.body, "/t/db", 499), 5);
	ck_assert_int_eq(counter(r.body, "/t/job/{ms}", 200), 1);
	ck_assert_int_eq(counter(r.body, "/t/job/{ms}", 499), 5);
	ck_assert_ptr_nonnull(strstr(r.body, "sealpact_db_pool_connections{state=\"size\"} 2\n"));
	resp_clear(&r);
	ck_assert_int_eq(stop_server(), 0);
	drop_db();
}
END_TEST

/* Read from fd until n responses have come (by their status lines) or the server closes. */
static int
read_responses(int fd, int n, char *buf, size_t cap)
{
	size_t len = 0;
	ssize_t k;
	int seen = 0;
	const char *p;

	buf[0] = '\0';
	while (seen < n && len < cap - 1 && (k = recv(fd, buf + len, cap - 1 - len, 0)) > 0) {
		len += (size_t)k;
		buf[len] = '\0';
		for (seen = 0, p = buf; (p = strstr(p, "HTTP/1.1 ")) != NULL; p++)
			seen++;
	}
	return seen;
}

START_TEST(kept_alive_connection_watched_for_each_request)
{
	static char buf[16384];
	struct resp r;
	const char *two = "GET /t/job/200 HTTP/1.1\r\nHost: x\r\n\r\n"
			  "GET /t/job/50 HTTP/1.1\r\nHost: x\r\n\r\n";
	/* long enough to be seen running on a loaded machine */
	const char *third = "GET /t/job/2000 HTTP/1.1\r\nHost: x\r\n\r\n";
	int fd;

	start_server("postgresql://127.0.0.1:1/none", "30000");
	fd = connect_port(server_port);
	ck_assert_int_ge(fd, 0);
	/* A request pipelined behind one that waits for a job: both answered, in order
	   (its bytes end the watch on the busy connection, which must not spin on them). */
	send_all(fd, two, strlen(two));
	ck_assert_int_eq(read_responses(fd, 2, buf, sizeof(buf)), 2);
	ck_assert_msg(strncmp(buf, "HTTP/1.1 200", 12) == 0, "%s", buf);
	ck_assert_ptr_nonnull(strstr(strstr(buf, "\r\n\r\n"), "HTTP/1.1 200"));
	/* The same kept-alive connection's next request is watched again: its client
	   leaving while the job runs is noticed then (499), not when the job is done. */
	send_all(fd, third, strlen(third));
	wait_jobs_running(1);
	close(fd);
	metrics_once_counted("/t/job/{ms}", 3, &r);
	ck_assert_int_eq(counter(r.body, "/t/job/{ms}", 200), 2);
	ck_assert_int_eq(counter(r.body, "/t/job/{ms}", 499), 1);
	resp_clear(&r);
	ck_assert_int_eq(stop_server(), 0);
}
END_TEST

START_TEST(deadline_answers_504_and_late_reply_is_harmless)
{
	struct resp r;
	double t0;

	start_server("postgresql://127.0.0.1:1/none", "500");
	/* The job outlasts the 0.5 s deadline by far: a 504 sent only when it ends fails. */
	t0 = now_s();
	request("GET", "/t/job/3000", NULL, NULL, &r);
	assert_problem(&r, 504, "timeout");
	ck_assert_double_lt(now_s() - t0, 2.5);
	resp_clear(&r);
	/* SIGTERM now: the drain waits for the job still holding the context. */
	t0 = now_s();
	ck_assert_int_eq(stop_server(), 0);
	ck_assert_double_gt(now_s() - t0, 0.3);
}
END_TEST

START_TEST(sigterm_drains_in_flight_requests)
{
	struct resp r;
	int fd, fd2, fd3;
	/* long enough to be seen running on a loaded machine */
	const char *req = "GET /t/job/2000 HTTP/1.1\r\nHost: x\r\n\r\n";
	int status;
	double t0;

	start_server("postgresql://127.0.0.1:1/none", "30000");
	fd = connect_port(server_port);
	/* An idle keep-alive connection, which must not hold the exit up. */
	fd2 = connect_port(server_port);
	send_all(fd, req, strlen(req));
	wait_jobs_running(1);
	kill(server_pid, SIGTERM);
	/* The listener is closed at once (on the signal, long before the job ends):
	   new connections are refused. */
	t0 = now_s();
	while ((fd3 = connect_port(server_port)) >= 0 && now_s() - t0 < PATIENCE_S) {
		close(fd3);
		usleep(20 * 1000);
	}
	ck_assert_int_eq(fd3, -1);
	/* The accepted request still gets its whole answer, with Connection: close. */
	read_resp(fd, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(json_string_value(json_object_get(r.doc, "job")), "done");
	ck_assert_ptr_nonnull(strstr(r.head, "Connection: close"));
	resp_clear(&r);
	close(fd);
	ck_assert_int_eq(waitpid(server_pid, &status, 0), server_pid);
	server_pid = 0;
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
	close(fd2);
}
END_TEST

START_TEST(shutdown_deadline_exits_1)
{
	int fd;
	const char *req = "GET /t/job/10000 HTTP/1.1\r\nHost: x\r\n\r\n";
	double t0;

	start_server_ex("postgresql://127.0.0.1:1/none", "30000", "300");
	fd = connect_port(server_port);
	send_all(fd, req, strlen(req));
	wait_jobs_running(1);
	t0 = now_s();
	/* The job outlives server.shutdown_timeout_ms: the process gives up with 1,
	   at 0.3 s and not when the job ends. */
	ck_assert_int_eq(stop_server(), 1);
	ck_assert_double_lt(now_s() - t0, 5.0);
	close(fd);
}
END_TEST

/* The child pids of pid, from /proc; returns how many (at most max). */
static int
children_of(pid_t pid, pid_t *out, int max)
{
	char path[64], buf[512], *p, *end;
	FILE *f;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)pid, (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	if (fgets(buf, sizeof(buf), f) == NULL)
		buf[0] = '\0';
	fclose(f);
	for (p = buf; n < max; p = end) {
		long v = strtol(p, &end, 10);
		if (end == p)
			break;
		out[n++] = (pid_t)v;
	}
	return n;
}

START_TEST(workers_share_the_port_restart_after_a_crash_and_stop_cleanly)
{
	char e_port[64];
	char *envp[] = { "SEALPACT_DATABASE_URL=postgresql://127.0.0.1:1/none",
			 "SEALPACT_SERVER_TLS=false",
			 "SEALPACT_SERVER_WORKERS=2",
			 "SEALPACT_SERVER_THREADS=1",
			 "SEALPACT_LOG_LEVEL=warn",
			 e_port,
			 NULL };
	pid_t kids[8], kids2[8], sup;
	struct resp r;
	int i, n, status, fd;

	server_port = test_port_free();
	snprintf(e_port, sizeof(e_port), "SEALPACT_SERVER_PORT=%d", server_port);
	sup = fork();
	ck_assert_int_ge(sup, 0);
	if (sup == 0) {
		struct config *cfg = NULL;
		int rc;
		if (config_load(NULL, envp, &cfg, NULL) != SP_OK)
			_exit(78);
		log_level_set(LOG_WARN);
		rc = supervisor_run(cfg);
		config_free(cfg);
		exit(rc);
	}
	for (i = 0; i < 200 && children_of(sup, kids, 8) < 2; i++)
		usleep(20 * 1000);
	ck_assert_int_eq(children_of(sup, kids, 8), 2);
	for (i = 0; i < 200 && (fd = connect_port(server_port)) < 0; i++)
		usleep(20 * 1000);
	ck_assert_int_ge(fd, 0);
	close(fd);
	for (i = 0; i < 20; i++) {
		request("GET", "/healthz", NULL, NULL, &r);
		ck_assert_int_eq(r.status, 200);
		resp_clear(&r);
	}
	/* A worker crashes: the supervisor starts another one on the same port. */
	kill(kids[0], SIGKILL);
	for (i = 0; i < 150; i++) {
		n = children_of(sup, kids2, 8);
		if (n == 2 && kids2[0] != kids[0] && kids2[1] != kids[0])
			break;
		usleep(20 * 1000);
	}
	ck_assert_int_eq(n, 2);
	ck_assert(kids2[0] != kids[0] && kids2[1] != kids[0]);
	usleep(300 * 1000);
	for (i = 0; i < 20; i++) {
		request("GET", "/healthz", NULL, NULL, &r);
		ck_assert_int_eq(r.status, 200);
		resp_clear(&r);
	}
	/* SIGTERM to the supervisor stops every worker; all exit cleanly -> 0. */
	kill(sup, SIGTERM);
	ck_assert_int_eq(waitpid(sup, &status, 0), sup);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
	ck_assert_int_eq(kill(kids2[0], 0), -1);
	ck_assert_int_eq(kill(kids2[1], 0), -1);
	ck_assert_int_eq(connect_port(server_port), -1);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("server_http");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	signal(SIGPIPE, SIG_IGN);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, json_bodies_415_400_413);
	tcase_add_test(tc, readyz_answers_503_quickly_when_database_is_down);
	tcase_add_test(tc, a_connection_not_admitted_gives_its_address_count_back);
	tcase_add_test(tc, async_replies_and_client_disconnects);
	tcase_add_test(tc, kept_alive_connection_watched_for_each_request);
	tcase_add_test(tc, deadline_answers_504_and_late_reply_is_harmless);
	tcase_add_test(tc, sigterm_drains_in_flight_requests);
	tcase_add_test(tc, shutdown_deadline_exits_1);
	tcase_add_test(tc, workers_share_the_port_restart_after_a_crash_and_stop_cleanly);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
