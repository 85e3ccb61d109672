/*
 * load_http.h: bench_load's keep-alive HTTP/1.1 client (load_http.c). One
 * struct hconn per thread; srv (the server, from url_parse) is shared
 * read-only once set.
 */
#ifndef SP_BENCH_LOAD_HTTP_H
#define SP_BENCH_LOAD_HTTP_H

#include <stddef.h>

#include <jansson.h>
#include <openssl/ssl.h>

struct buf {
	char *p;
	size_t n, cap;
};

struct hconn {
	int fd; /* -1: not connected */
	SSL *ssl;
	int reused;    /* a request went over this connection already */
	struct buf in; /* bytes read: the response being taken apart */
	struct buf out;
	/* the last exchange's phases (bench_now_ms): request written, the answer's first
	   bytes read, all of it read, its JSON parsed; and the body's size */
	double t_sent, t_first, t_read, t_parsed;
	size_t body_len;
};

/* The server, from the job's URL ("https://HOST:PORT" or "http://..."). */
struct http_server {
	char host[256], port[8], hostport[272];
	const char *base; /* a path prefix, "" usually */
	SSL_CTX *tls;     /* NULL: plain HTTP */
};
extern struct http_server srv;

/*
 * Set srv from url u; for https, a TLS context that verifies the server
 * against the CA file cacert ("": the system's CAs). 0, or -1.
 */
int url_parse(const char *u, const char *cacert);

/* Close hc's connection (the next request opens one). */
void hconn_close(struct hconn *hc);

/*
 * One exchange: the status, and the body in *body (NUL-terminated, the
 * caller's to free). -1 when the connection failed; a connection the server
 * closed while idle is opened again and the request sent again, once, before
 * any byte of an answer came (what libcurl did with a dead keep-alive one).
 */
long http_post(struct hconn *hc, const char *path, const char *auth, const char *head,
	       const char *body, char **out);

/*
 * POST body to path, with the header lines head ("" or "Name: value\r\n"...); the
 * answer's JSON when the status is want, else NULL (and a message).
 */
json_t *post(struct hconn *hc, const char *auth, const char *path, const char *head,
	     const char *body, long want);

#endif
