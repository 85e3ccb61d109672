/*
 * http.c: requests to sealpactd with libcurl's easy interface (client.h).
 *
 * One easy handle per client, reset before each request, so a command that
 * makes several calls reuses the connection (and the TLS session).
 */
#include "client.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_URL 2048

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_rc = CURLE_FAILED_INIT;

/* curl_global_init() must run once before any handle exists; the CLI and the
 * tests both create clients, so do it here rather than trust every caller. */
static void
global_init(void)
{
	global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* No CR, LF or other control bytes: a header or URL must not be split. */
static int
clean_text(const char *s)
{
	for (; *s != '\0'; s++) {
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	}
	return 1;
}

static int
base_url_ok(const char *u)
{
	const char *host;

	if (strncasecmp(u, "https://", 8) == 0)
		host = u + 8;
	else if (strncasecmp(u, "http://", 7) == 0)
		host = u + 7;
	else
		return 0;
	return *host != '\0' && *host != '/' && strchr(u, ' ') == NULL && clean_text(u) &&
	       strlen(u) < MAX_URL / 2;
}

int
client_new(const char *base_url, const char *cafile, long timeout_s, struct client **out,
	   struct sp_errinfo *ei)
{
	struct client *c = NULL;
	size_t n;
	int r = SP_ERR_INTERNAL;

	*out = NULL;
	if (base_url == NULL || !base_url_ok(base_url)) {
		r = sp_err(ei, SP_ERR_INVALID,
			   "server URL '%.200s' is not an http:// or https:// URL",
			   base_url ? base_url : "");
		goto out;
	}
	if (timeout_s < 1 || timeout_s > CLIENT_MAX_TIMEOUT_S) {
		r = sp_err(ei, SP_ERR_INVALID, "timeout %ld is out of range 1..%d seconds",
			   timeout_s, CLIENT_MAX_TIMEOUT_S);
		goto out;
	}
	pthread_once(&global_once, global_init);
	if (global_rc != CURLE_OK) {
		r = sp_err(ei, SP_ERR_INTERNAL, "libcurl: %s", curl_easy_strerror(global_rc));
		goto out;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL || (c->base_url = strdup(base_url)) == NULL ||
	    (cafile != NULL && (c->cafile = strdup(cafile)) == NULL)) {
		r = sp_err(ei, SP_ERR_NOMEM, "out of memory");
		goto out;
	}
	n = strlen(c->base_url);
	while (n > 0 && c->base_url[n - 1] == '/')
		c->base_url[--n] = '\0';
	c->timeout_s = timeout_s;
	if ((c->curl = curl_easy_init()) == NULL) {
		r = sp_err(ei, SP_ERR_INTERNAL, "libcurl: cannot create a handle");
		goto out;
	}
	*out = c;
	c = NULL; /* transferred */
	r = SP_OK;
out:
	client_free(c);
	return r;
}

void
client_free(struct client *c)
{
	if (c == NULL)
		return;
	if (c->curl != NULL)
		curl_easy_cleanup(c->curl);
	if (c->token != NULL)
		sp_wipe(c->token, strlen(c->token));
	free(c->token);
	free(c->cafile);
	free(c->base_url);
	free(c);
}

int
client_token_set(struct client *c, const char *token, struct sp_errinfo *ei)
{
	char *t = NULL;

	if (token != NULL) {
		if (*token == '\0' || !clean_text(token) || strchr(token, ' ') != NULL)
			return sp_err(ei, SP_ERR_INVALID, "the session token is malformed");
		if ((t = strdup(token)) == NULL)
			return sp_err(ei, SP_ERR_NOMEM, "out of memory");
	}
	if (c->token != NULL)
		sp_wipe(c->token, strlen(c->token));
	free(c->token);
	c->token = t;
	return SP_OK;
}

void
client_response_init(struct client_response *resp, size_t max)
{
	resp->status = 0;
	resp->content_type[0] = '\0';
	sp_buf_init(&resp->body, max);
}

void
client_response_cleanup(struct client_response *resp)
{
	if (resp == NULL)
		return;
	sp_buf_cleanup(&resp->body);
	resp->status = 0;
	resp->content_type[0] = '\0';
}

struct sink {
	struct sp_buf *body;
	int err; /* the sp_buf error that stopped the transfer */
};

static size_t
on_body(char *p, size_t size, size_t n, void *arg)
{
	struct sink *s = arg;
	int r;

	if ((r = sp_buf_add(s->body, p, size * n)) != SP_OK) {
		s->err = r;
		return 0; /* makes curl stop with CURLE_WRITE_ERROR */
	}
	return size * n;
}

static int
map_curl_error(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		return SP_ERR_UNAVAILABLE;
	case CURLE_OPERATION_TIMEDOUT:
		return SP_ERR_TIMEOUT;
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
		return SP_ERR_CRYPTO;
	case CURLE_FILESIZE_EXCEEDED:
		return SP_ERR_TOO_LARGE;
	case CURLE_OUT_OF_MEMORY:
		return SP_ERR_NOMEM;
	default:
		return SP_ERR_IO;
	}
}

static int
method_ok(const char *m)
{
	size_t i;

	for (i = 0; m[i] != '\0'; i++) {
		if (m[i] < 'A' || m[i] > 'Z' || i >= 16)
			return 0;
	}
	return i > 0;
}

/* curl_slist_append() copies; a NULL return means out of memory. */
static int
add_header(struct curl_slist **list, const char *h)
{
	struct curl_slist *n = curl_slist_append(*list, h);

	if (n == NULL)
		return SP_ERR_NOMEM;
	*list = n;
	return SP_OK;
}

/* Wipe header copies before freeing them: one of them carries the token. */
static void
headers_free(struct curl_slist *list)
{
	struct curl_slist *p;

	for (p = list; p != NULL; p = p->next)
		sp_wipe(p->data, strlen(p->data));
	curl_slist_free_all(list);
}

static int
build_headers(struct client *c, const char *content_type, const char *const *headers,
	      struct curl_slist **out, struct sp_errinfo *ei)
{
	struct sp_buf h;
	size_t i;
	int r = SP_ERR_INTERNAL;

	*out = NULL;
	sp_buf_init(&h, 8192);
	/* "Expect:" off: no 100-continue round trip before small bodies. */
	if ((r = add_header(out, "Accept: application/json, application/problem+json")) != SP_OK ||
	    (r = add_header(out, "Expect:")) != SP_OK)
		goto nomem;
	if (content_type != NULL) {
		if (!clean_text(content_type)) {
			r = sp_err(ei, SP_ERR_INVALID, "content type contains control characters");
			goto out;
		}
		if ((r = sp_buf_printf(&h, "Content-Type: %s", content_type)) != SP_OK ||
		    (r = add_header(out, (char *)h.data)) != SP_OK)
			goto nomem;
	}
	for (i = 0; headers != NULL && headers[i] != NULL; i++) {
		if (!clean_text(headers[i]) || strchr(headers[i], ':') == NULL) {
			r = sp_err(ei, SP_ERR_INVALID,
				   "header %zu is not a single 'Name: value' line", i);
			goto out;
		}
		if ((r = add_header(out, headers[i])) != SP_OK)
			goto nomem;
	}
	if (c->token != NULL) {
		sp_buf_reset(&h);
		if ((r = sp_buf_printf(&h, "Authorization: Bearer %s", c->token)) != SP_OK ||
		    (r = add_header(out, (char *)h.data)) != SP_OK)
			goto nomem;
	}
	r = SP_OK;
	goto out;
nomem:
	r = sp_err(ei, r, "cannot build the request headers");
out:
	if (h.data != NULL)
		sp_wipe(h.data, h.len);
	sp_buf_cleanup(&h);
	if (r != SP_OK) {
		headers_free(*out);
		*out = NULL;
	}
	return r;
}

int
client_request(struct client *c, const char *method, const char *path, const void *body,
	       size_t bodylen, const char *content_type, const char *const *headers,
	       struct client_response *resp, struct sp_errinfo *ei)
{
	CURL *h = c->curl;
	struct curl_slist *hdrs = NULL;
	struct sink sink = { &resp->body, SP_OK };
	char url[MAX_URL], errbuf[CURL_ERROR_SIZE];
	const char *ctype = NULL;
	CURLcode rc;
	int r = SP_ERR_INTERNAL;

	resp->status = 0;
	resp->content_type[0] = '\0';
	sp_buf_reset(&resp->body);
	errbuf[0] = '\0';
	if (method == NULL || !method_ok(method)) {
		r = sp_err(ei, SP_ERR_INVALID, "bad HTTP method");
		goto out;
	}
	if (path == NULL || path[0] != '/' || !clean_text(path) || strchr(path, ' ') != NULL ||
	    snprintf(url, sizeof(url), "%s%s", c->base_url, path) >= (int)sizeof(url)) {
		r = sp_err(ei, SP_ERR_INVALID, "bad request path");
		goto out;
	}
	if ((r = build_headers(c, body != NULL ? content_type : NULL, headers, &hdrs, ei)) != SP_OK)
		goto out;

	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, c->timeout_s);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	if (c->cafile != NULL)
		curl_easy_setopt(h, CURLOPT_CAINFO, c->cafile);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "sealpact/" SEALPACT_VERSION);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &sink);
	/* Refuse early when the server announces a body over the cap. */
	curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)resp->body.max);
	if (strcmp(method, "GET") == 0 && body == NULL) {
		curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
	} else if (strcmp(method, "HEAD") == 0) {
		curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	} else {
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body != NULL ? body : "");
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(body ? bodylen : 0));
		if (strcmp(method, "POST") != 0)
			curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	}

	rc = curl_easy_perform(h);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, NULL);
	if (sink.err != SP_OK || rc == CURLE_FILESIZE_EXCEEDED) {
		r = sp_err(ei, sink.err == SP_ERR_NOMEM ? SP_ERR_NOMEM : SP_ERR_TOO_LARGE,
			   "%s %s: response larger than %zu bytes", method, url, resp->body.max);
		goto out;
	}
	if (rc != CURLE_OK) {
		r = sp_err(ei, map_curl_error(rc), "%s %s: %s", method, url,
			   errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc));
		goto out;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp->status);
	if (curl_easy_getinfo(h, CURLINFO_CONTENT_TYPE, &ctype) == CURLE_OK && ctype != NULL)
		snprintf(resp->content_type, sizeof(resp->content_type), "%s", ctype);
	if (resp->body.data == NULL && (r = sp_buf_add(&resp->body, "", 0)) != SP_OK) {
		r = sp_err(ei, r, "out of memory");
		goto out;
	}
	r = SP_OK;
out:
	headers_free(hdrs);
	return r;
}

int
client_response_header(struct client *c, const char *name, char *out, size_t outlen)
{
	struct curl_header *h = NULL;

	if (outlen > 0)
		out[0] = '\0';
	if (c == NULL || c->curl == NULL || outlen == 0 ||
	    curl_easy_header(c->curl, name, 0, CURLH_HEADER, -1, &h) != CURLHE_OK || h == NULL)
		return SP_ERR_NOT_FOUND;
	if (strlen(h->value) >= outlen)
		return SP_ERR_TOO_LARGE;
	snprintf(out, outlen, "%s", h->value);
	return SP_OK;
}
