/*
 * load_http.c: bench_load's HTTP/1.1 client: one keep-alive connection on a
 * blocking socket (TLS when the URL is https), per request one write and
 * usually one read (see bench_load.c for why not libcurl). It verifies the
 * server's certificate against the CA and the address connected to, checks
 * every status, parses every answer as JSON, and opens a connection the
 * server closed (or asked to close) again.
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "load_http.h"
#include "util.h"

struct http_server srv;

/* Room for n more bytes (and a NUL) in b. */
static int
buf_room(struct buf *b, size_t n)
{
	char *p;

	if (b->n + n + 1 <= b->cap)
		return 0;
	b->cap = (b->n + n + 1) * 2;
	if ((p = realloc(b->p, b->cap)) == NULL)
		return -1;
	b->p = p;
	return 0;
}

int
url_parse(const char *u, const char *cacert)
{
	const char *h, *e, *c;

	if (strncmp(u, "https://", 8) == 0)
		h = u + 8;
	else if (strncmp(u, "http://", 7) == 0)
		h = u + 7;
	else
		return -1;
	e = h + strcspn(h, "/");
	srv.base = e;
	snprintf(srv.hostport, sizeof(srv.hostport), "%.*s", (int)(e - h), h);
	if ((c = memchr(h, ':', (size_t)(e - h))) == NULL) {
		snprintf(srv.host, sizeof(srv.host), "%.*s", (int)(e - h), h);
		snprintf(srv.port, sizeof(srv.port), "%s", h == u + 8 ? "443" : "80");
	} else {
		snprintf(srv.host, sizeof(srv.host), "%.*s", (int)(c - h), h);
		snprintf(srv.port, sizeof(srv.port), "%.*s", (int)(e - c - 1), c + 1);
	}
	if (h == u + 8) {
		/* As libcurl did: the peer's chain to cacert, TLS 1.2 or later. */
		if ((srv.tls = SSL_CTX_new(TLS_client_method())) == NULL ||
		    SSL_CTX_set_min_proto_version(srv.tls, TLS1_2_VERSION) != 1 ||
		    (cacert[0] ? SSL_CTX_load_verify_locations(srv.tls, cacert, NULL)
			       : SSL_CTX_set_default_verify_paths(srv.tls)) != 1)
			return -1;
		SSL_CTX_set_verify(srv.tls, SSL_VERIFY_PEER, NULL);
		/* Whole records in one read(), not a 5-byte header and then its body. */
		SSL_CTX_set_read_ahead(srv.tls, 1);
	}
	return 0;
}

void
hconn_close(struct hconn *hc)
{
	if (hc->ssl != NULL)
		SSL_free(hc->ssl);
	if (hc->fd >= 0)
		close(hc->fd);
	hc->ssl = NULL;
	hc->fd = -1;
	hc->reused = 0;
	hc->in.n = 0;
}

static int
hconn_open(struct hconn *hc)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai = NULL, *a;
	struct timeval tv = { .tv_sec = 120 }; /* libcurl's CURLOPT_TIMEOUT was 120 s */
	int one = 1, fd = -1;
	X509_VERIFY_PARAM *vp;

	if (getaddrinfo(srv.host, srv.port, &hints, &ai) != 0)
		return -1;
	for (a = ai; a != NULL && fd < 0; a = a->ai_next) {
		if ((fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol)) < 0)
			continue;
		if (connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(ai);
	if (fd < 0)
		return -1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	hc->fd = fd;
	if (srv.tls == NULL)
		return 0;
	if ((hc->ssl = SSL_new(srv.tls)) == NULL || SSL_set_fd(hc->ssl, fd) != 1)
		goto fail;
	/* The certificate must name the address connected to (host check as libcurl's). */
	vp = SSL_get0_param(hc->ssl);
	if (X509_VERIFY_PARAM_set1_ip_asc(vp, srv.host) != 1) {
		ERR_clear_error();
		if (SSL_set_tlsext_host_name(hc->ssl, srv.host) != 1 ||
		    SSL_set1_host(hc->ssl, srv.host) != 1)
			goto fail;
	}
	if (SSL_connect(hc->ssl) == 1 && SSL_get_verify_result(hc->ssl) == X509_V_OK)
		return 0;
fail:
	fprintf(stderr, "bench_load: TLS to %s: %s\n", srv.hostport,
		ERR_peek_error() != 0 ? ERR_reason_error_string(ERR_peek_error())
				      : "handshake failed");
	ERR_clear_error();
	hconn_close(hc);
	return -1;
}

static int
hconn_write(struct hconn *hc, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		if (hc->ssl != NULL) {
			size_t done = 0;
			if (SSL_write_ex(hc->ssl, p, n, &done) != 1) {
				ERR_clear_error();
				return -1;
			}
			w = (ssize_t)done;
		} else if ((w = send(hc->fd, p, n, MSG_NOSIGNAL)) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Read more into hc->in: > 0 bytes, 0 at the end of the stream, -1 on error. */
static ssize_t
hconn_read(struct hconn *hc)
{
	size_t got = 0;
	ssize_t r;

	if (buf_room(&hc->in, 16384) != 0)
		return -1;
	if (hc->ssl != NULL) {
		if (SSL_read_ex(hc->ssl, hc->in.p + hc->in.n, hc->in.cap - hc->in.n - 1, &got) !=
		    1) {
			r = SSL_get_error(hc->ssl, 0) == SSL_ERROR_ZERO_RETURN ? 0 : -1;
			ERR_clear_error();
			return r;
		}
		r = (ssize_t)got;
	} else {
		do
			r = recv(hc->fd, hc->in.p + hc->in.n, hc->in.cap - hc->in.n - 1, 0);
		while (r < 0 && errno == EINTR);
	}
	if (r > 0) {
		hc->in.n += (size_t)r;
		hc->in.p[hc->in.n] = '\0';
	}
	return r;
}

/* The value of header name in the head [h, e), or NULL; *len its length. */
static const char *
head_value(const char *h, const char *e, const char *name, size_t *len)
{
	size_t nl = strlen(name);
	const char *l, *v, *end;

	for (l = strstr(h, "\r\n"); l != NULL && l + 2 < e; l = strstr(l + 2, "\r\n")) {
		if (strncasecmp(l + 2, name, nl) != 0 || l[2 + nl] != ':')
			continue;
		for (v = l + 3 + nl; *v == ' ' || *v == '\t'; v++)
			;
		end = strstr(v, "\r\n");
		*len = (size_t)(end - v);
		return v;
	}
	return NULL;
}

/*
 * One exchange: the status, and the body in *body (NUL-terminated, the
 * caller's to free). -1 when the connection failed; a connection the server
 * closed while idle is opened again and the request sent again, once, before
 * any byte of an answer came (what libcurl did with a dead keep-alive one).
 */
long
http_post(struct hconn *hc, const char *path, const char *auth, const char *head, const char *body,
	  char **out)
{
	size_t blen = strlen(body), hl, clen, vl;
	const char *eoh, *v;
	int64_t status;
	ssize_t r;
	int attempt, close_after;

	*out = NULL;
	hc->out.n = 0;
	if (buf_room(&hc->out, 1024 + strlen(path) + strlen(auth) + strlen(head) + blen) != 0)
		return -1;
	/* libcurl's request, one write: the head and the body in one TLS record. */
	hc->out.n =
		(size_t)snprintf(hc->out.p, hc->out.cap,
				 "POST %s%s HTTP/1.1\r\nHost: %s\r\nAccept: */*\r\n"
				 "Authorization: Bearer %s\r\nContent-Type: application/json\r\n"
				 "%sContent-Length: %zu\r\n\r\n",
				 srv.base, path, srv.hostport, auth, head, blen);
	memcpy(hc->out.p + hc->out.n, body, blen);
	hc->out.n += blen;
	for (attempt = 0;; attempt++) {
		if (hc->fd < 0 && hconn_open(hc) != 0)
			return -1;
		hc->in.n = 0;
		if (hconn_write(hc, hc->out.p, hc->out.n) == 0 &&
		    (hc->t_sent = bench_now_ms()) > 0 && hconn_read(hc) > 0)
			break;
		r = hc->reused && attempt == 0;
		hconn_close(hc);
		if (!r)
			return -1;
	}
	hc->reused = 1;
	hc->t_first = bench_now_ms();
	while ((eoh = strstr(hc->in.p, "\r\n\r\n")) == NULL)
		if (hconn_read(hc) <= 0)
			goto broken;
	hl = (size_t)(eoh + 4 - hc->in.p);
	/* "HTTP/1.0 " or "HTTP/1.1 ", then three digits */
	if (strncmp(hc->in.p, "HTTP/1.", 7) != 0 || (hc->in.p[7] != '0' && hc->in.p[7] != '1') ||
	    hc->in.p[8] != ' ' || sp_parse_i64n(hc->in.p + 9, 3, 100, 599, &status) != SP_OK ||
	    head_value(hc->in.p, eoh + 2, "Transfer-Encoding", &vl) != NULL ||
	    (v = head_value(hc->in.p, eoh + 2, "Content-Length", &vl)) == NULL)
		goto broken; /* sealpactd always sends Content-Length */
	clen = strtoul(v, NULL, 10);
	close_after = (v = head_value(hc->in.p, eoh + 2, "Connection", &vl)) != NULL && vl == 5 &&
		      strncasecmp(v, "close", 5) == 0;
	while (hc->in.n < hl + clen)
		if (hconn_read(hc) <= 0)
			goto broken;
	if (hc->in.n != hl + clen) /* nothing was asked after this */
		goto broken;
	hc->t_read = bench_now_ms();
	hc->body_len = clen;
	if ((*out = malloc(clen + 1)) == NULL)
		goto broken;
	memcpy(*out, hc->in.p + hl, clen);
	(*out)[clen] = '\0';
	if (close_after)
		hconn_close(hc);
	return (long)status;
broken:
	hconn_close(hc);
	return -1;
}

/*
 * POST body to path, with the header lines head ("" or "Name: value\r\n"...); the
 * answer's JSON when the status is want, else NULL (and a message).
 */
json_t *
post(struct hconn *hc, const char *auth, const char *path, const char *head, const char *body,
     long want)
{
	json_error_t je;
	json_t *doc = NULL;
	char *b = NULL;
	long st = http_post(hc, path, auth, head, body, &b);

	doc = st == want && b != NULL ? json_loads(b, 0, &je) : NULL;
	hc->t_parsed = bench_now_ms();
	if (doc == NULL)
		fprintf(stderr, "bench_load: POST %s: %s, HTTP %ld: %.300s\n", path,
			st < 0 ? "connection failed" : "unexpected answer", st, b != NULL ? b : "");
	free(b);
	return doc;
}
