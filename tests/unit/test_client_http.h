/*
 * test_client_http.h: the fixture of test_client_http.c (the client's HTTP
 * plumbing) and test_client_cli*.c (the sealpact command line): a tiny
 * canned HTTP/1.1 server on a thread, one request per connection, and a
 * client for it. Header-only (static), as test_pdf_sign.h, because each
 * test is its own executable.
 */
#ifndef TEST_CLIENT_HTTP_H
#define TEST_CLIENT_HTTP_H

#define CH_FN static __attribute__((unused))

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "client.h"

/* ---- a canned HTTP/1.1 server: one request per connection ---- */

struct mini {
	int lfd;
	int port;
	pthread_t thread;
	int stop;          /* under mu */
	int readyz_status; /* under mu: what /readyz answers */
	int nrequests;     /* under mu */
	char last[16384];  /* under mu: the last request, head and body */
	pthread_mutex_t mu;
};

static struct mini srv;
static char base[64];

static const char problem409[] = "{\"type\":\"about:blank\",\"title\":\"Conflict\",\"status\":409,"
				 "\"code\":\"stale_revision\",\"detail\":\"another revision landed "
				 "since the session began\"}";

CH_FN void
send_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = send(fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		p += w;
		n -= (size_t)w;
	}
}

CH_FN void
respond(int fd, int status, const char *ctype, const char *body, size_t len, int with_length)
{
	char head[512];
	int n;

	if (with_length)
		n = snprintf(head, sizeof(head),
			     "HTTP/1.1 %d X\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
			     "Connection: close\r\n\r\n",
			     status, ctype, len);
	else
		n = snprintf(head, sizeof(head),
			     "HTTP/1.1 %d X\r\nContent-Type: %s\r\nConnection: close\r\n\r\n",
			     status, ctype);
	send_all(fd, head, (size_t)n);
	send_all(fd, body, len);
}

/* A 200 that announces len bytes and sends only the first n (the caller closes). */
CH_FN void
respond_cut(int fd, const char *body, size_t n, size_t len)
{
	char head[256];
	int k = snprintf(head, sizeof(head),
			 "HTTP/1.1 200 X\r\nContent-Type: application/pdf\r\nContent-Length: "
			 "%zu\r\n"
			 "Connection: close\r\n\r\n",
			 len);

	send_all(fd, head, (size_t)k);
	send_all(fd, body, n);
}

/* Read one request (head, then Content-Length bytes of body) into buf. */
CH_FN size_t
read_request(int fd, char *buf, size_t cap)
{
	size_t len = 0, want = 0;
	char *end, *cl;
	ssize_t n;

	while (len + 1 < cap) {
		n = recv(fd, buf + len, cap - 1 - len, 0);
		if (n <= 0)
			break;
		len += (size_t)n;
		buf[len] = '\0';
		if ((unsigned char)buf[0] == 0x16)
			break; /* a TLS ClientHello: answer in plain text at once */
		if ((end = strstr(buf, "\r\n\r\n")) == NULL)
			continue;
		cl = strcasestr(buf, "\r\nContent-Length:");
		want = (size_t)(end + 4 - buf) + (cl && cl < end ? strtoul(cl + 17, NULL, 10) : 0);
		if (len >= want)
			break;
	}
	buf[len] = '\0';
	return len;
}

CH_FN void
serve_one(int fd)
{
	char req[16384], path[256] = "", *big;
	int readyz;

	read_request(fd, req, sizeof(req));
	sscanf(req, "%*s %255s", path);
	pthread_mutex_lock(&srv.mu);
	snprintf(srv.last, sizeof(srv.last), "%s", req);
	srv.nrequests++;
	readyz = srv.readyz_status;
	pthread_mutex_unlock(&srv.mu);

	if (strcmp(path, "/json") == 0 || strcmp(path, "/healthz") == 0) {
		respond(fd, 200, "application/json", "{\"status\":\"ok\"}", 15, 1);
	} else if (strcmp(path, "/readyz") == 0 && readyz == 200) {
		respond(fd, 200, "application/json", "{\"status\":\"ready\"}", 18, 1);
	} else if (strcmp(path, "/readyz") == 0) {
		const char *b =
			"{\"title\":\"Service Unavailable\",\"status\":503,"
			"\"code\":\"db_unavailable\",\"detail\":\"the database is unreachable\"}";
		respond(fd, readyz, "application/problem+json", b, strlen(b), 1);
	} else if (strcmp(path, "/conflict") == 0) {
		respond(fd, 409, "application/problem+json", problem409, strlen(problem409), 1);
	} else if (strcmp(path, "/evil") == 0) {
		const char *b = "{\"title\":\"Bad\\u001b[31m\",\"detail\":\"line1\\nline2\"}";
		respond(fd, 500, "application/problem+json", b, strlen(b), 1);
	} else if (strcmp(path, "/html") == 0) {
		respond(fd, 502, "text/html", "\n<html>bad gateway</html>\n", 26, 1);
	} else if (strcmp(path, "/big") == 0 || strcmp(path, "/big-unannounced") == 0) {
		big = malloc(200000);
		memset(big, 'x', 200000);
		respond(fd, 200, "application/octet-stream", big, 200000,
			strcmp(path, "/big") == 0);
		free(big);
	} else if (strcmp(path, "/api/v1/contracts/1234567890123456789/signing-sessions") == 0) {
		/* a hostile server's prepare: what the terminal shows of it is cleaned */
		const char *b = "{\"session\":\"s\\u001b[2J1\",\"algorithm\":\"none\","
				"\"to_be_signed\":\"AAAA\",\"expires_at\":\"2030\\u001b[H\","
				"\"rects\":[],\"date_seal_zone\":\"Asia/\\u001b]0;owned\\u0007"
				"Shanghai\"}";
		respond(fd, 201, "application/json", b, strlen(b), 1);
	} else if (strcmp(path, "/api/v1/contracts/1234567890123456789/document") == 0 ||
		   strcmp(path, "/api/v1/contracts/1234567890123456789/evidence") == 0 ||
		   strcmp(path, "/api/v1/seal-applications/7/form") == 0) {
		/* a PDF of 20,000 bytes: what download, evidence and seal form save */
		big = malloc(20000);
		memset(big, ' ', 20000);
		memcpy(big, "%PDF-1.7 latest\n", 16);
		respond(fd, 200, "application/pdf", big, 20000, 1);
		free(big);
	} else if (strcmp(path, "/api/v1/contracts/1234567890123456789/revisions/2/document") ==
		   0) {
		respond(fd, 200, "application/pdf", "%PDF-1.7 revision 2\n", 20, 1);
	} else if (strcmp(path, "/api/v1/contracts/1111111111111111111/document") == 0) {
		/* the connection is cut after 1,000 of the 100,000 bytes announced */
		big = malloc(1000);
		memset(big, ' ', 1000);
		memcpy(big, "%PDF-1.7 cut\n", 13);
		respond_cut(fd, big, 1000, 100000);
		free(big);
	} else if (strcmp(path, "/echo") == 0) {
		respond(fd, 200, "text/plain", req, strlen(req), 1);
	} else {
		respond(fd, 404, "application/problem+json",
			"{\"title\":\"Not Found\",\"status\":404}", 34, 1);
	}
	/* Let the client read everything before the close. */
	shutdown(fd, SHUT_WR);
	while (recv(fd, req, sizeof(req), 0) > 0)
		;
	close(fd);
}

CH_FN void *
mini_main(void *arg)
{
	struct pollfd pfd;
	int fd, stop;

	for (;;) {
		pthread_mutex_lock(&srv.mu);
		stop = srv.stop;
		pthread_mutex_unlock(&srv.mu);
		if (stop)
			break;
		pfd.fd = srv.lfd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 50) <= 0)
			continue;
		if ((fd = accept(srv.lfd, NULL, NULL)) >= 0)
			serve_one(fd);
	}
	return NULL;
}

CH_FN int
listen_any(int *port)
{
	struct sockaddr_in a;
	socklen_t alen = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	ck_assert_int_ge(fd, 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(listen(fd, 16), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
	*port = ntohs(a.sin_port);
	return fd;
}

CH_FN void
setup(void)
{
	memset(&srv, 0, sizeof(srv));
	pthread_mutex_init(&srv.mu, NULL);
	srv.readyz_status = 200;
	srv.lfd = listen_any(&srv.port);
	snprintf(base, sizeof(base), "http://127.0.0.1:%d", srv.port);
	ck_assert_int_eq(pthread_create(&srv.thread, NULL, mini_main, NULL), 0);
}

CH_FN void
teardown(void)
{
	pthread_mutex_lock(&srv.mu);
	srv.stop = 1;
	pthread_mutex_unlock(&srv.mu);
	pthread_join(srv.thread, NULL);
	close(srv.lfd);
	pthread_mutex_destroy(&srv.mu);
}

/* A port nobody listens on: bound, then closed. */
CH_FN int
dead_port(void)
{
	int port, fd = listen_any(&port);

	close(fd);
	return port;
}

/* A client of url. Its deadline only ends a hang: every peer here answers at once, or fails
   at once, and what is asserted is which; under valgrind the TLS set-up alone (the system's
   CA store) outlasted 5 s, and tls_verification_cannot_be_skipped saw SP_ERR_TIMEOUT where
   the failed handshake is SP_ERR_CRYPTO. */
CH_FN struct client *
client_for(const char *url)
{
	struct sp_errinfo ei;
	struct client *c = NULL;

	sp_errinfo_init(&ei);
	ck_assert_msg(client_new(url, NULL, 120, &c, &ei) == SP_OK, "%s", ei.msg);
	return c;
}

#endif
