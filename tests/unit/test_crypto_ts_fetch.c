/*
 * test_crypto_ts_fetch.c: the outbound HTTP helper (crypto_http_post) and the
 * RFC 3161 client on it (crypto_ts_fetch) against an in-process server on
 * 127.0.0.1 that plays a TSA or a broken one. The
 * TSA's certificates are made with the openssl command line here, so the
 * built-in TSA is also shown to take a CLI-made PKI.
 */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/pem.h>

#include "crypto.h"
#include "support_tmp.h"

static struct {
	char dir[64];
	struct crypto_tsa *tsa;
	X509_STORE *trust;
} P;

static void
pki_setup(void)
{
	struct sp_errinfo ei;
	char cmd[2048], c[128], k[128];

	/* (the paths made from it are sized for a short one: say so, not truncate) */
	ck_assert_uint_lt((size_t)snprintf(P.dir, sizeof(P.dir), "%s", test_tmpdir_new("ts-fetch")),
			  sizeof(P.dir));
	snprintf(cmd, sizeof(cmd),
		 "cd '%s' && ( printf 'basicConstraints=critical,CA:FALSE\\n"
		 "keyUsage=critical,digitalSignature\\nextendedKeyUsage=critical,timeStamping\\n' "
		 ">tsa.ext && "
		 "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
		 "-keyout ca.key -out ca.pem -subj /CN=fetch-root -days 2 && "
		 "openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
		 "-keyout tsa.key -out tsa.csr -subj /CN=fetch-tsa && "
		 "openssl x509 -req -in tsa.csr -CA ca.pem -CAkey ca.key -set_serial 7 -days 2 "
		 "-extfile tsa.ext -out tsa.pem ) >log.txt 2>&1",
		 P.dir);
	ck_assert_int_eq(system(cmd), 0);
	snprintf(c, sizeof(c), "%s/tsa.pem", P.dir);
	snprintf(k, sizeof(k), "%s/tsa.key", P.dir);
	sp_errinfo_init(&ei);
	ck_assert_msg(crypto_tsa_new(c, k, NULL, "1.3.6.1.4.1.99999.7", 1000, &P.tsa, &ei) == SP_OK,
		      "%s", ei.msg);
	/* The TSA's root through the loader the server and the CLI use. */
	snprintf(c, sizeof(c), "%s/ca.pem", P.dir);
	ck_assert_msg(crypto_ts_trust_load(c, &P.trust, &ei) == SP_OK, "%s", ei.msg);
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

static void
pki_teardown(void)
{
	char cmd[128];

	crypto_tsa_free(P.tsa);
	X509_STORE_free(P.trust);
	curl_global_cleanup();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", P.dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", P.dir);
}

/* A one-connection HTTP server on 127.0.0.1, playing a TSA or a broken one. */
enum srv_mode { SRV_OK, SRV_CTYPE, SRV_STALL, SRV_HUGE, SRV_500, SRV_REDIRECT };

struct srv {
	int lfd, port;
	enum srv_mode mode;
	char ctype[128];
	char agent[128];
	pthread_t th;
};

static void
send_all(int fd, const void *p, size_t n)
{
	/* MSG_NOSIGNAL: the client may hang up first, on purpose. */
	if (send(fd, p, n, MSG_NOSIGNAL) < 0)
		return;
}

static void *
srv_main(void *arg)
{
	struct srv *s = arg;
	struct sp_errinfo ei;
	char buf[65536], hdr[256], *end, *h;
	size_t len = 0, clen = 0, body_at;
	uint8_t *resp, zeros[4096] = { 0 };
	size_t rlen, i;
	struct pollfd pfd;
	ssize_t n;
	int fd = accept(s->lfd, NULL, NULL);

	if (fd < 0)
		return NULL;
	while (len < sizeof(buf) - 1 && (n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0) {
		len += (size_t)n;
		buf[len] = '\0';
		if ((end = strstr(buf, "\r\n\r\n")) == NULL)
			continue;
		body_at = (size_t)(end - buf) + 4;
		if ((h = strcasestr(buf, "\r\nContent-Length:")) != NULL)
			clen = strtoul(h + 17, NULL, 10);
		if (len >= body_at + clen)
			break;
	}
	if ((h = strcasestr(buf, "\r\nContent-Type:")) != NULL)
		sscanf(h + 15, " %127[^\r]", s->ctype);
	if ((h = strcasestr(buf, "\r\nUser-Agent:")) != NULL)
		sscanf(h + 13, " %127[^\r]", s->agent);
	end = strstr(buf, "\r\n\r\n");
	body_at = end ? (size_t)(end - buf) + 4 : len;
	switch (s->mode) {
	case SRV_OK:
	case SRV_CTYPE:
		sp_errinfo_init(&ei);
		if (crypto_tsa_respond(P.tsa, (uint8_t *)buf + body_at, len - body_at, 555, 0,
				       &resp, &rlen, &ei) != SP_OK)
			break;
		snprintf(hdr, sizeof(hdr),
			 "HTTP/1.1 200 OK\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
			 "Connection: close\r\n\r\n",
			 s->mode == SRV_OK ? "application/timestamp-reply" : "text/html", rlen);
		send_all(fd, hdr, strlen(hdr));
		send_all(fd, resp, rlen);
		free(resp);
		break;
	case SRV_STALL:
		pfd.fd = fd;
		pfd.events = POLLIN;
		/* Until the client gives up (read 0) or 20 s. */
		while (poll(&pfd, 1, 20000) > 0 && read(fd, buf, sizeof(buf)) > 0)
			;
		break;
	case SRV_HUGE:
		/* No Content-Length: the cap must work while reading. */
		snprintf(hdr, sizeof(hdr),
			 "HTTP/1.1 200 OK\r\nContent-Type: "
			 "application/timestamp-reply\r\nConnection: close\r\n\r\n");
		send_all(fd, hdr, strlen(hdr));
		for (i = 0; i < (CRYPTO_TS_RESP_MAX / sizeof(zeros)) + 8; i++)
			send_all(fd, zeros, sizeof(zeros));
		break;
	case SRV_500:
		snprintf(hdr, sizeof(hdr),
			 "HTTP/1.1 500 Internal Server Error\r\n"
			 "Content-Length: 0\r\nConnection: close\r\n\r\n");
		send_all(fd, hdr, strlen(hdr));
		break;
	case SRV_REDIRECT:
		/* Followed, this would end on a closed port and fail. */
		snprintf(hdr, sizeof(hdr),
			 "HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:1/\r\n"
			 "Content-Length: 0\r\nConnection: close\r\n\r\n");
		send_all(fd, hdr, strlen(hdr));
		break;
	}
	close(fd);
	return NULL;
}

static void
srv_start(struct srv *s, enum srv_mode mode)
{
	struct sockaddr_in a;
	socklen_t alen = sizeof(a);

	memset(s, 0, sizeof(*s));
	s->mode = mode;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_ge(s->lfd = socket(AF_INET, SOCK_STREAM, 0), 0);
	ck_assert_int_eq(bind(s->lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(listen(s->lfd, 4), 0);
	ck_assert_int_eq(getsockname(s->lfd, (struct sockaddr *)&a, &alen), 0);
	s->port = ntohs(a.sin_port);
	ck_assert_int_eq(pthread_create(&s->th, NULL, srv_main, s), 0);
}

static void
srv_stop(struct srv *s)
{
	pthread_join(s->th, NULL);
	close(s->lfd);
}

/* The deadline of a fetch from a server that answers at once: it only ends a hang (under
   valgrind 5 s was too short for fetch_failures_are_clear's first answer, SP_ERR_TIMEOUT
   where SP_ERR_CRYPTO is the point); the stalled server's case keeps its own 300 ms. */
#define ANSWERS_MS 120000

static int
fetch(struct srv *s, const uint8_t *q, size_t qlen, long timeout_ms, uint8_t **resp, size_t *rlen,
      struct sp_errinfo *ei)
{
	char url[64];

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/tsa", s->port);
	sp_errinfo_init(ei);
	return crypto_ts_fetch(url, q, qlen, timeout_ms, NULL, NULL, NULL, resp, rlen, ei);
}

START_TEST(fetch_from_a_tsa)
{
	struct sp_errinfo ei;
	struct srv s;
	uint8_t *q, *resp;
	size_t qlen, rlen;
	uint8_t *tok;
	size_t toklen;
	time_t gt, before, after;

	ck_assert_int_eq(crypto_ts_query_new((const uint8_t *)"sig", 3, NULL, &q, &qlen, &ei),
			 SP_OK);
	srv_start(&s, SRV_OK);
	before = time(NULL);
	ck_assert_int_eq(fetch(&s, q, qlen, ANSWERS_MS, &resp, &rlen, &ei), SP_OK);
	after = time(NULL);
	srv_stop(&s);
	ck_assert_str_eq(s.ctype, "application/timestamp-query");
	sp_errinfo_init(&ei);
	ck_assert_int_eq(crypto_ts_response_check(resp, rlen, q, qlen, P.trust, &tok, &toklen, &gt,
						  &ei),
			 SP_OK);
	/* stamped while the request was out (not within 5 s of the check: valgrind's run
	   took 6); a second either side for genTime's rounding */
	ck_assert_msg(gt >= before - 1 && gt <= after + 1, "genTime %lld, asked %lld to %lld",
		      (long long)gt, (long long)before, (long long)after);
	free(tok);
	free(resp);
	free(q);
}
END_TEST

START_TEST(trust_load_refuses_bad_files)
{
	struct sp_errinfo ei;
	X509_STORE *st = (X509_STORE *)&st;
	char path[128];

	snprintf(path, sizeof(path), "%s/missing.pem", P.dir);
	sp_errinfo_init(&ei);
	ck_assert_int_eq(crypto_ts_trust_load(path, &st, &ei), SP_ERR_IO);
	ck_assert_ptr_null(st);
	snprintf(path, sizeof(path), "%s/tsa.key", P.dir);
	sp_errinfo_init(&ei);
	ck_assert_int_eq(crypto_ts_trust_load(path, &st, &ei), SP_ERR_CONFIG);
	ck_assert_ptr_nonnull(strstr(ei.msg, "no certificate"));
	snprintf(path, sizeof(path), "%s/tsa.ext", P.dir);
	sp_errinfo_init(&ei);
	ck_assert_int_eq(crypto_ts_trust_load(path, &st, &ei), SP_ERR_CONFIG);
	ck_assert_ptr_null(st);
}
END_TEST

START_TEST(fetch_failures_are_clear)
{
	struct sp_errinfo ei;
	struct srv s;
	uint8_t *q, *resp;
	size_t qlen, rlen;
	struct timespec t0, t1;
	long ms;

	ck_assert_int_eq(crypto_ts_query_new((const uint8_t *)"sig", 3, NULL, &q, &qlen, &ei),
			 SP_OK);

	srv_start(&s, SRV_CTYPE);
	ck_assert_int_eq(fetch(&s, q, qlen, ANSWERS_MS, &resp, &rlen, &ei), SP_ERR_CRYPTO);
	srv_stop(&s);
	ck_assert_str_eq(ei.reason, "ts_malformed");
	ck_assert_ptr_nonnull(strstr(ei.msg, "text/html"));
	ck_assert_ptr_null(resp);

	srv_start(&s, SRV_STALL);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert_int_eq(fetch(&s, q, qlen, 300, &resp, &rlen, &ei), SP_ERR_TIMEOUT);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	srv_stop(&s);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	ck_assert_int_lt(ms, 5000); /* its 300 ms, not the stalled server's 20 s */

	srv_start(&s, SRV_HUGE);
	ck_assert_int_eq(fetch(&s, q, qlen, ANSWERS_MS, &resp, &rlen, &ei), SP_ERR_TOO_LARGE);
	srv_stop(&s);

	srv_start(&s, SRV_500);
	ck_assert_int_eq(fetch(&s, q, qlen, ANSWERS_MS, &resp, &rlen, &ei), SP_ERR_UNAVAILABLE);
	srv_stop(&s);
	ck_assert_ptr_nonnull(strstr(ei.msg, "500"));

	/* Nobody listening any more on that port. */
	ck_assert_int_eq(fetch(&s, q, qlen, ANSWERS_MS, &resp, &rlen, &ei), SP_ERR_UNAVAILABLE);

	sp_errinfo_init(&ei);
	ck_assert_int_eq(crypto_ts_fetch("ftp://127.0.0.1/", q, qlen, 1000, NULL, NULL, NULL, &resp,
					 &rlen, &ei),
			 SP_ERR_CONFIG);
	sp_errinfo_init(&ei);
	ck_assert_int_eq(crypto_ts_fetch("http://127.0.0.1:1/", q, qlen, 1000, "u", "p", NULL,
					 &resp, &rlen, &ei),
			 SP_ERR_CONFIG);
	ck_assert_ptr_nonnull(strstr(ei.msg, "https"));
	sp_errinfo_init(&ei);
	ck_assert_int_eq(crypto_ts_fetch("https://127.0.0.1:1/", q, qlen, 1000, "u", NULL, NULL,
					 &resp, &rlen, &ei),
			 SP_ERR_CONFIG);
	sp_errinfo_init(&ei);
	ck_assert_int_eq(crypto_ts_fetch("http://127.0.0.1:1/", q, qlen, 0, NULL, NULL, NULL, &resp,
					 &rlen, &ei),
			 SP_ERR_CONFIG);
	free(q);
}
END_TEST

static void
req_init(struct crypto_http_req *q, const char *url)
{
	memset(q, 0, sizeof(*q));
	q->url = url;
	q->content_type = "application/octet-stream";
	q->body = "x";
	q->body_len = 1;
	q->timeout_ms = 5000;
	q->max_response = 1000;
}

START_TEST(http_post_refuses_bad_options)
{
	static const char *const split[] = { "X-A: 1\r\nX-B: 2", NULL };
	static const char *const nocolon[] = { "X-A", NULL };
	struct crypto_http_req q;
	struct crypto_http_resp r;
	struct sp_errinfo ei;

	req_init(&q, "ftp://127.0.0.1/");
	sp_errinfo_init(&ei);
	ck_assert_int_eq(crypto_http_post(&q, &r, &ei), SP_ERR_INVALID);
	ck_assert_ptr_nonnull(strstr(ei.msg, "http://"));
	crypto_http_resp_cleanup(&r);
	q.url = "file:///etc/passwd";
	ck_assert_int_eq(crypto_http_post(&q, &r, NULL), SP_ERR_INVALID);
	crypto_http_resp_cleanup(&r);
	q.url = "http://127.0.0.1:1/\r\nX: y";
	ck_assert_int_eq(crypto_http_post(&q, &r, NULL), SP_ERR_INVALID);
	q.url = NULL;
	ck_assert_int_eq(crypto_http_post(&q, &r, NULL), SP_ERR_INVALID);
	req_init(&q, "http://127.0.0.1:1/");
	q.headers = split;
	ck_assert_int_eq(crypto_http_post(&q, &r, NULL), SP_ERR_INVALID);
	q.headers = nocolon;
	ck_assert_int_eq(crypto_http_post(&q, &r, NULL), SP_ERR_INVALID);
	req_init(&q, "http://127.0.0.1:1/");
	q.content_type = "text/plain\nX-Injected: 1";
	ck_assert_int_eq(crypto_http_post(&q, &r, NULL), SP_ERR_INVALID);
	req_init(&q, "http://127.0.0.1:1/");
	q.timeout_ms = 0;
	ck_assert_int_eq(crypto_http_post(&q, &r, NULL), SP_ERR_INVALID);
	q.timeout_ms = CRYPTO_HTTP_TIMEOUT_MAX_MS + 1;
	ck_assert_int_eq(crypto_http_post(&q, &r, NULL), SP_ERR_INVALID);
	req_init(&q, "http://127.0.0.1:1/");
	q.username = "u";
	ck_assert_int_eq(crypto_http_post(&q, &r, NULL), SP_ERR_INVALID);
	req_init(&q, "http://127.0.0.1:1/");
	q.max_response = 0;
	ck_assert_int_eq(crypto_http_post(&q, &r, NULL), SP_ERR_INVALID);
	/* nothing listening: a connection failure, not a refused option */
	req_init(&q, "http://127.0.0.1:1/");
	ck_assert_int_eq(crypto_http_post(&q, &r, NULL), SP_ERR_UNAVAILABLE);
	ck_assert_int_eq(r.status, 0);
	crypto_http_resp_cleanup(&r);
}
END_TEST

START_TEST(http_post_status_cap_redirect_and_proxy)
{
	static const char *const agent[] = { "User-Agent: sealpact-test/1", NULL };
	struct crypto_http_req q;
	struct crypto_http_resp r;
	struct sp_errinfo ei;
	struct srv s;
	char url[64];

	/* A proxy in the environment is not used: the post still reaches the server. */
	setenv("http_proxy", "http://127.0.0.1:1", 1);
	setenv("ALL_PROXY", "http://127.0.0.1:1", 1);

	srv_start(&s, SRV_500);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/x", s.port);
	req_init(&q, url);
	q.headers = agent;
	sp_errinfo_init(&ei);
	ck_assert_msg(crypto_http_post(&q, &r, &ei) == SP_OK, "%s", ei.msg);
	srv_stop(&s);
	ck_assert_int_eq(r.status, 500); /* any answered status is the caller's to judge */
	ck_assert_str_eq(s.ctype, "application/octet-stream");
	ck_assert_str_eq(s.agent, "sealpact-test/1");
	crypto_http_resp_cleanup(&r);

	srv_start(&s, SRV_REDIRECT);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/x", s.port);
	req_init(&q, url);
	ck_assert_int_eq(crypto_http_post(&q, &r, NULL), SP_OK);
	srv_stop(&s);
	ck_assert_int_eq(r.status, 302);
	crypto_http_resp_cleanup(&r);

	/* The cap holds while reading a body without Content-Length. */
	srv_start(&s, SRV_HUGE);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/x", s.port);
	req_init(&q, url);
	sp_errinfo_init(&ei);
	ck_assert_int_eq(crypto_http_post(&q, &r, &ei), SP_ERR_TOO_LARGE);
	srv_stop(&s);
	ck_assert_ptr_nonnull(strstr(ei.msg, "1000 bytes"));
	crypto_http_resp_cleanup(&r);

	/* discard: the body is read and dropped, only the status is kept */
	srv_start(&s, SRV_HUGE);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/x", s.port);
	req_init(&q, url);
	q.discard = 1;
	q.max_response = 0;
	ck_assert_int_eq(crypto_http_post(&q, &r, NULL), SP_OK);
	srv_stop(&s);
	ck_assert_int_eq(r.status, 200);
	ck_assert_uint_eq(r.body.len, 0);
	crypto_http_resp_cleanup(&r);

	unsetenv("http_proxy");
	unsetenv("ALL_PROXY");
}
END_TEST

static Suite *
crypto_ts_fetch_suite(void)
{
	Suite *s = suite_create("crypto_ts_fetch");
	TCase *tc = tcase_create("fetch");

	tcase_add_unchecked_fixture(tc, pki_setup, pki_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, fetch_from_a_tsa);
	tcase_add_test(tc, fetch_failures_are_clear);
	tcase_add_test(tc, trust_load_refuses_bad_files);
	tcase_add_test(tc, http_post_refuses_bad_options);
	tcase_add_test(tc, http_post_status_cap_redirect_and_proxy);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(crypto_ts_fetch_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
