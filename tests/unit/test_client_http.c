/* test_client_http.c: the client's HTTP plumbing (client/client.h) and the
 * sealpact CLI skeleton, against a tiny canned HTTP server on a thread. */
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

static void
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

static void
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

/* Read one request (head, then Content-Length bytes of body) into buf. */
static size_t
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

static void
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

static void *
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

static int
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

static void
setup(void)
{
	memset(&srv, 0, sizeof(srv));
	pthread_mutex_init(&srv.mu, NULL);
	srv.readyz_status = 200;
	srv.lfd = listen_any(&srv.port);
	snprintf(base, sizeof(base), "http://127.0.0.1:%d", srv.port);
	ck_assert_int_eq(pthread_create(&srv.thread, NULL, mini_main, NULL), 0);
}

static void
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
static int
dead_port(void)
{
	int port, fd = listen_any(&port);

	close(fd);
	return port;
}

static struct client *
client_for(const char *url)
{
	struct sp_errinfo ei;
	struct client *c = NULL;

	sp_errinfo_init(&ei);
	ck_assert_msg(client_new(url, NULL, 5, &c, &ei) == SP_OK, "%s", ei.msg);
	return c;
}

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

/* What another organization or a PDF wrote cannot steer the terminal. */
START_TEST(terminal_text_is_neutralized)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "Supply contract", "Supply contract" },
		{ "供货合同（2026）", "供货合同（2026）" },
		{ "\x1b[2J\x1b[H\a", "?[2J?[H?" },                             /* ESC, BEL */
		{ "a\r\nSigned: revision 9\tok", "a??Signed: revision 9?ok" }, /* no fake lines */
		{ "x\x7fy", "x?y" },                                           /* DEL */
		{ "\xc2\x9b"
		  "31m\xc2\x85"
		  "z",
		  "?31m?z" }, /* C1 as UTF-8 */
		{ "\x9b"
		  "31m",
		  "?31m" }, /* C1 as a raw byte */
		{ "\xe2\x80\xae"
		  "cod.exe\xe2\x80\xac",
		  "?cod.exe?" }, /* RLO ... PDF */
		{ "\xe2\x81\xa6"
		  "a\xe2\x81\xa9",
		  "?a?" },                                               /* LRI ... PDI */
		{ "\xe2\x80\x8f\xe2\x80\xa8", "??" },                    /* RLM, LINE SEPARATOR */
		{ "\xc0\xaf\xed\xa0\x80\xf5\x80\x80\x80", "?????????" }, /* overlong, surrogate */
		{ "\xe4\xbe", "??" },                                    /* cut sequence */
		{ "\xf0\x9f\x93\x9c ok", "\xf0\x9f\x93\x9c ok" },        /* 4-byte is fine */
	};
	char out[64];
	json_t *doc;
	size_t i;

	for (i = 0; i < SP_ARRAY_LEN(cases); i++)
		ck_assert_msg(strcmp(client_text_clean(cases[i].in, out, sizeof(out)),
				     cases[i].out) == 0,
			      "case %zu gave \"%s\"", i, out);
	ck_assert_str_eq(client_text_clean(NULL, out, sizeof(out)), "");
	/* A short buffer cuts on a character boundary, never inside one. */
	ck_assert_str_eq(client_text_clean("合同", out, 6), "合");
	ck_assert_str_eq(client_text_clean("ab\x1b", out, 3), "ab");
	/* In a document: cleaned in place, absent members get the default. */
	doc = json_pack("{s:s,s:i}", "name", "x\x1b]0;owned\ay", "n", 1);
	ck_assert_str_eq(client_json_text(doc, "name", "-"), "x?]0;owned?y");
	ck_assert_str_eq(json_string_value(json_object_get(doc, "name")), "x?]0;owned?y");
	ck_assert_str_eq(client_json_text(doc, "n", "-"), "-");
	ck_assert_str_eq(client_json_text(doc, "missing", "-"), "-");
	json_decref(doc);
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

	snprintf(t->dir, sizeof(t->dir), "/tmp/sp-test-tls.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(t->dir));
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

/* ---- the sealpact binary ---- */

struct run {
	int status; /* exit status, or 128 + signal */
	char out[8192];
	char err[8192];
};

static void
slurp(int fd, char *buf, size_t cap)
{
	ssize_t n;
	size_t len = 0;

	lseek(fd, 0, SEEK_SET);
	while (len + 1 < cap && (n = read(fd, buf + len, cap - 1 - len)) > 0)
		len += (size_t)n;
	buf[len] = '\0';
	close(fd);
}

/* Run the built sealpact with args (NULL-terminated) and extra env entries. */
static void
run_cli(struct run *r, const char *const *args, const char *env_server)
{
	const char *bdir = getenv("SEALPACT_BUILD_DIR");
	char bin[PATH_MAX], ofile[] = "/tmp/sp-cli-out.XXXXXX", efile[] = "/tmp/sp-cli-err.XXXXXX";
	char *argv[16];
	int ofd, efd, st;
	size_t i;
	pid_t pid;

	ck_assert_ptr_nonnull(bdir);
	snprintf(bin, sizeof(bin), "%s/client/sealpact", bdir);
	ck_assert_msg(access(bin, X_OK) == 0, "%s is not built", bin);
	ofd = mkstemp(ofile);
	efd = mkstemp(efile);
	ck_assert_int_ge(ofd, 0);
	ck_assert_int_ge(efd, 0);
	unlink(ofile);
	unlink(efile);
	argv[0] = bin;
	for (i = 0; i < SP_ARRAY_LEN(argv) - 2 && args[i] != NULL; i++)
		argv[i + 1] = (char *)args[i];
	argv[i + 1] = NULL;
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		dup2(ofd, 1);
		dup2(efd, 2);
		unsetenv("SEALPACT_SERVER");
		unsetenv("SEALPACT_CACERT");
		if (env_server != NULL)
			setenv("SEALPACT_SERVER", env_server, 1);
		execv(bin, argv);
		_exit(127);
	}
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	slurp(ofd, r->out, sizeof(r->out));
	slurp(efd, r->err, sizeof(r->err));
}

START_TEST(cli_version_and_help)
{
	struct run r;
	const char *version[] = { "--version", NULL };
	const char *help[] = { "--help", NULL };
	const char *help_cmd[] = { "help", "health", NULL };
	const char *cmd_help[] = { "health", "--help", NULL };

	run_cli(&r, version, NULL);
	ck_assert_int_eq(r.status, 0);
	ck_assert_msg(strncmp(r.out, "sealpact " SEALPACT_VERSION " (", 10) == 0, "%s", r.out);
	run_cli(&r, help, NULL);
	ck_assert_int_eq(r.status, 0);
	ck_assert_ptr_nonnull(strstr(r.out, "\n  health "));
	ck_assert_ptr_nonnull(strstr(r.out, "\n  help "));
	ck_assert_ptr_nonnull(strstr(r.out, "--cacert FILE"));
	run_cli(&r, help_cmd, NULL);
	ck_assert_int_eq(r.status, 0);
	ck_assert_ptr_nonnull(strstr(r.out, "usage: sealpact [OPTIONS] health"));
	ck_assert_ptr_nonnull(strstr(r.out, "/readyz"));
	run_cli(&r, cmd_help, NULL);
	ck_assert_int_eq(r.status, 0);
	ck_assert_ptr_nonnull(strstr(r.out, "usage: sealpact [OPTIONS] health"));
}
END_TEST

START_TEST(cli_usage_errors_exit_64)
{
	static const char *const cases[][4] = {
		{ NULL },
		{ "frobnicate", NULL },
		{ "help", "frobnicate", NULL },
		{ "--bogus", "health", NULL },
		{ "--timeout", "0", "health", NULL },
		{ "--timeout", "ten", "health", NULL },
		{ "--server", "ftp://127.0.0.1", "health", NULL },
		{ "health", "extra", NULL },
	};
	static const char *const says[] = {
		"usage: sealpact",
		"unknown command 'frobnicate'",
		"unknown command 'frobnicate'",
		"unrecognized option '--bogus'",
		"--timeout: '0'",
		"--timeout: 'ten'",
		"not an http:// or https:// URL",
		"unexpected argument 'extra'",
	};
	struct run r;
	size_t i;

	for (i = 0; i < SP_ARRAY_LEN(cases); i++) {
		run_cli(&r, cases[i], NULL);
		ck_assert_msg(r.status == 64, "case %zu: exit %d", i, r.status);
		ck_assert_msg(strstr(r.err, says[i]) != NULL, "case %zu: stderr '%s'", i, r.err);
	}
	/* Nothing was sent for any of them. */
	pthread_mutex_lock(&srv.mu);
	ck_assert_int_eq(srv.nrequests, 0);
	pthread_mutex_unlock(&srv.mu);
}
END_TEST

START_TEST(cli_health_ok_not_ready_and_unreachable)
{
	struct run r;
	char dead[64];
	const char *health_at[] = { "--server", base, "health", NULL };
	const char *health_env[] = { "--timeout", "5", "health", NULL };
	const char *health_dead[] = { "--server", dead, "health", NULL };

	run_cli(&r, health_at, NULL);
	ck_assert_msg(r.status == 0, "exit %d: %s%s", r.status, r.out, r.err);
	ck_assert_ptr_nonnull(strstr(r.out, "/healthz: 200 OK"));
	ck_assert_ptr_nonnull(strstr(r.out, "/readyz: 200 OK"));

	pthread_mutex_lock(&srv.mu);
	srv.readyz_status = 503;
	pthread_mutex_unlock(&srv.mu);
	/* SEALPACT_SERVER is the default for --server. */
	run_cli(&r, health_env, base);
	ck_assert_int_eq(r.status, 1);
	ck_assert_ptr_nonnull(strstr(r.out, "/healthz: 200 OK"));
	ck_assert_ptr_nonnull(strstr(r.out, "/readyz: 503 Service Unavailable (db_unavailable): "
					    "the database is unreachable"));

	snprintf(dead, sizeof(dead), "http://127.0.0.1:%d", dead_port());
	run_cli(&r, health_dead, NULL);
	ck_assert_int_eq(r.status, 69);
	ck_assert_ptr_nonnull(strstr(r.err, "cannot reach the server"));
	ck_assert_ptr_nonnull(strstr(r.err, "onnect"));
}
END_TEST

/*
 * sign prints the server's prepare before it asks the PIN: the session, its
 * expiry and the date seal's zone, none of them raw (an ESC there set the
 * terminal's title, cleared it, or forged a line).
 */
START_TEST(cli_sign_prints_the_servers_text_clean)
{
	char tmp[] = "/tmp/sp-cli-sign.XXXXXX", path[512], cert[64], key[64];
	const char *sign[] = { "--server",    base,    "sign", "1234567890123456789",
			       "--invisible", "--key", key,    "--cert",
			       cert,          NULL };
	struct run r;
	FILE *f;

	ck_assert_ptr_nonnull(mkdtemp(tmp));
	snprintf(key, sizeof(key), "%s/key.pem", tmp);
	snprintf(cert, sizeof(cert), "%s/cert.pem", tmp);
	snprintf(path, sizeof(path),
		 "openssl req -x509 -newkey rsa:2048 -nodes -keyout %s -out %s -days 2 "
		 "-subj /CN=sign-test >/dev/null 2>&1",
		 key, cert);
	ck_assert_int_eq(system(path), 0);
	snprintf(path, sizeof(path), "%s/sealpact", tmp);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/sealpact/session.json", tmp);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fprintf(f, "{\"server\":\"%s\",\"token\":\"t0k\"}", base);
	fclose(f);
	ck_assert_int_eq(chmod(path, 0600), 0);
	setenv("XDG_CONFIG_HOME", tmp, 1);
	run_cli(&r, sign, NULL);
	unsetenv("XDG_CONFIG_HOME");
	ck_assert_msg(strstr(r.out, "signing session s?[2J1 (expires 2030?[H)") != NULL, "%s",
		      r.out);
	ck_assert_msg(strstr(r.out, "Date seal and signing time in Asia/?]0;owned?Shanghai") !=
			      NULL,
		      "%s", r.out);
	ck_assert_msg(strchr(r.out, 0x1b) == NULL && strchr(r.err, 0x1b) == NULL, "%s%s", r.out,
		      r.err);
	/* the token's algorithm is not the "none" asked for: nothing signed */
	ck_assert_int_ne(r.status, 0);
	snprintf(path, sizeof(path), "rm -rf %s", tmp);
	ck_assert_int_eq(system(path), 0);
}
END_TEST

/*
 * An alias file saved with CRLF line ends (an editor on Windows): its
 * credit code went to the server with the '\r' on it, and the server
 * refused a code the user never typed.
 */
START_TEST(cli_alias_file_with_crlf)
{
	char tmp[] = "/tmp/sp-cli-alias.XXXXXX", path[512], pdf[64], aliases[64];
	const char *create[] = { "--server", base,       "create",     pdf, "--name",
				 "Lease",    "--signer", "supplier:1", NULL };
	char last[sizeof(srv.last)];
	struct run r;
	FILE *f;

	ck_assert_ptr_nonnull(mkdtemp(tmp));
	snprintf(path, sizeof(path), "%s/sealpact", tmp);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/sealpact/session.json", tmp);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fprintf(f, "{\"server\":\"%s\",\"token\":\"t0k\"}", base);
	fclose(f);
	ck_assert_int_eq(chmod(path, 0600), 0);
	snprintf(pdf, sizeof(pdf), "%s/c.pdf", tmp);
	f = fopen(pdf, "w");
	ck_assert_ptr_nonnull(f);
	fputs("%PDF-1.4\n%%EOF\n", f);
	fclose(f);
	snprintf(aliases, sizeof(aliases), "%s/aliases.tsv", tmp);
	f = fopen(aliases, "w");
	ck_assert_ptr_nonnull(f);
	fputs("buyer\tBuyer Ltd\t91110000MA0000001A\r\n"
	      "supplier\tSupplier Ltd\t91310000MA0000002B\r\n",
	      f);
	fclose(f);
	setenv("XDG_CONFIG_HOME", tmp, 1);
	setenv("SEALPACT_ALIASES", aliases, 1);
	run_cli(&r, create, NULL);
	unsetenv("SEALPACT_ALIASES");
	unsetenv("XDG_CONFIG_HOME");
	pthread_mutex_lock(&srv.mu);
	memcpy(last, srv.last, sizeof(last));
	pthread_mutex_unlock(&srv.mu);
	ck_assert_msg(strstr(last, "\"credit_code\":\"91310000MA0000002B\"") != NULL, "%s", last);
	ck_assert_msg(strstr(last, "\"name\":\"Supplier Ltd\"") != NULL, "%s", last);
	snprintf(path, sizeof(path), "rm -rf %s", tmp);
	ck_assert_int_eq(system(path), 0);
}
END_TEST

static Suite *
client_suite(void)
{
	Suite *s = suite_create("client");
	TCase *http = tcase_create("http");
	TCase *cli = tcase_create("cli");

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

	tcase_add_checked_fixture(cli, setup, teardown);
	tcase_add_test(cli, cli_version_and_help);
	tcase_add_test(cli, terminal_text_is_neutralized);
	tcase_add_test(cli, cli_usage_errors_exit_64);
	tcase_add_test(cli, cli_health_ok_not_ready_and_unreachable);
	tcase_add_test(cli, cli_sign_prints_the_servers_text_clean);
	tcase_add_test(cli, cli_alias_file_with_crlf);
	suite_add_tcase(s, cli);
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
