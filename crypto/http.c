/*
 * http.c: crypto_http_post(), the one outbound HTTP client of the server and
 * the CLI's offline checks: OCSP requests, timestamp queries and webhook
 * deliveries all go through it, so the same rules hold for each (http/https
 * only, no redirects, no proxy from the environment, a hard timeout, a capped
 * answer). libcurl's easy interface, blocking: workers and the CLI only.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "crypto.h"

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static int curl_ready;

static void
curl_init_once(void)
{
	curl_ready = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
}

int
crypto_http_init(struct sp_errinfo *ei)
{
	pthread_once(&curl_once, curl_init_once);
	return curl_ready ? SP_OK : sp_err(ei, SP_ERR_INTERNAL, "libcurl cannot be initialised");
}

void
crypto_http_resp_cleanup(struct crypto_http_resp *resp)
{
	if (resp == NULL)
		return;
	sp_buf_cleanup(&resp->body);
}

/* A header field value or line: no CR or LF, so nothing can be injected after it. */
static int
line_ok(const char *s)
{
	return s != NULL && strpbrk(s, "\r\n") == NULL;
}

static int
req_check(const struct crypto_http_req *q, const char *who, struct sp_errinfo *ei)
{
	size_t i;

	if (q->url == NULL ||
	    (strncasecmp(q->url, "http://", 7) != 0 && strncasecmp(q->url, "https://", 8) != 0) ||
	    !line_ok(q->url))
		return sp_err(ei, SP_ERR_INVALID, "%s: only http:// and https:// URLs are used",
			      who);
	if (!line_ok(q->content_type) || (q->body == NULL && q->body_len > 0))
		return sp_err(ei, SP_ERR_INVALID, "%s: bad content type or body", who);
	if (q->timeout_ms <= 0 || q->timeout_ms > CRYPTO_HTTP_TIMEOUT_MAX_MS ||
	    q->connect_timeout_ms < 0 || q->connect_timeout_ms > q->timeout_ms)
		return sp_err(ei, SP_ERR_INVALID, "%s: timeout of %ld ms (1..%ld accepted)", who,
			      q->timeout_ms, CRYPTO_HTTP_TIMEOUT_MAX_MS);
	if (!q->discard && q->max_response == 0)
		return sp_err(ei, SP_ERR_INVALID, "%s: no response cap", who);
	if ((q->username == NULL) != (q->password == NULL))
		return sp_err(ei, SP_ERR_INVALID, "%s: credentials need a username and a password",
			      who);
	for (i = 0; q->headers != NULL && q->headers[i] != NULL; i++)
		if (!line_ok(q->headers[i]) || strchr(q->headers[i], ':') == NULL)
			return sp_err(ei, SP_ERR_INVALID, "%s: malformed header line", who);
	return SP_OK;
}

static size_t
collect(char *p, size_t size, size_t n, void *ud)
{
	struct sp_buf *b = ud;

	if (sp_buf_add(b, p, size * n) != SP_OK)
		return 0; /* over the cap: curl aborts the transfer */
	return size * n;
}

static size_t
discard(char *p, size_t size, size_t n, void *ud)
{
	(void)p;
	(void)ud;
	return size * n;
}

static int
headers_build(const struct crypto_http_req *q, struct curl_slist **out)
{
	struct curl_slist *h = NULL, *n;
	char line[160];
	size_t i;

	*out = NULL;
	if (snprintf(line, sizeof(line), "Content-Type: %s", q->content_type) >= (int)sizeof(line))
		return SP_ERR_INVALID;
	if ((h = curl_slist_append(NULL, line)) == NULL)
		return SP_ERR_NOMEM;
	for (i = 0; q->headers != NULL && q->headers[i] != NULL; i++) {
		if ((n = curl_slist_append(h, q->headers[i])) == NULL) {
			curl_slist_free_all(h);
			return SP_ERR_NOMEM;
		}
		h = n;
	}
	*out = h;
	return SP_OK;
}

int
crypto_http_post(const struct crypto_http_req *q, struct crypto_http_resp *resp,
		 struct sp_errinfo *ei)
{
	const char *who = q->who != NULL ? q->who : q->url != NULL ? q->url : "HTTP";
	char errbuf[CURL_ERROR_SIZE] = "";
	struct curl_slist *hdrs = NULL;
	CURL *c = NULL;
	CURLcode cc;
	char *got = NULL;
	int r = SP_ERR_INTERNAL;

	memset(resp, 0, sizeof(*resp));
	sp_buf_init(&resp->body, q->discard ? 0 : q->max_response);
	if ((r = req_check(q, who, ei)) != SP_OK)
		goto out;
	if ((r = crypto_http_init(ei)) != SP_OK)
		goto out;
	if ((r = headers_build(q, &hdrs)) != SP_OK) {
		r = sp_err(ei, r, "%s: cannot set the request headers", who);
		goto out;
	}
	if ((c = curl_easy_init()) == NULL) {
		r = sp_err(ei, SP_ERR_NOMEM, "cannot set up the HTTP client");
		goto out;
	}
	/*
	 * NOSIGNAL: the resolver's alarm() must not hit other threads. PROXY ""
	 * turns off the environment's proxy variables. POSTFIELDS does not copy:
	 * the body stays the caller's until perform() returns.
	 */
	if (curl_easy_setopt(c, CURLOPT_URL, q->url) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_PROXY, q->proxy != NULL ? q->proxy : "") != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, q->timeout_ms) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
			     q->connect_timeout_ms > 0 ? q->connect_timeout_ms : q->timeout_ms) !=
		    CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_POST, 1L) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_POSTFIELDS, q->body_len > 0 ? (const char *)q->body : "") !=
		    CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)q->body_len) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, q->discard ? discard : collect) !=
		    CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_WRITEDATA, &resp->body) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf) != CURLE_OK ||
	    (!q->discard && curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE,
					     (curl_off_t)q->max_response) != CURLE_OK) ||
	    (q->ca_file != NULL && curl_easy_setopt(c, CURLOPT_CAINFO, q->ca_file) != CURLE_OK)) {
		r = sp_err(ei, SP_ERR_INTERNAL, "cannot set up the HTTP client");
		goto out;
	}
	if (q->username != NULL &&
	    (curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC) != CURLE_OK ||
	     curl_easy_setopt(c, CURLOPT_USERNAME, q->username) != CURLE_OK ||
	     curl_easy_setopt(c, CURLOPT_PASSWORD, q->password) != CURLE_OK)) {
		r = sp_err(ei, SP_ERR_INTERNAL, "cannot set the %s credentials", who);
		goto out;
	}
	cc = curl_easy_perform(c);
	if (cc == CURLE_OPERATION_TIMEDOUT) {
		r = sp_err(ei, SP_ERR_TIMEOUT, "%s did not answer within %ld ms", who,
			   q->timeout_ms);
		goto out;
	}
	/* The sink refuses past the cap (WRITE_ERROR); a declared length
	 * over it stops the transfer before (FILESIZE_EXCEEDED). */
	if (cc == CURLE_WRITE_ERROR || cc == CURLE_FILESIZE_EXCEEDED) {
		r = sp_err(ei, SP_ERR_TOO_LARGE, "%s: response larger than %zu bytes", who,
			   q->max_response);
		goto out;
	}
	if (cc != CURLE_OK) {
		r = sp_err(ei, SP_ERR_UNAVAILABLE, "%s unreachable: %s", who,
			   errbuf[0] != '\0' ? errbuf : curl_easy_strerror(cc));
		goto out;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp->status);
	if (curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &got) == CURLE_OK && got != NULL)
		snprintf(resp->content_type, sizeof(resp->content_type), "%s", got);
	r = SP_OK;
out:
	curl_slist_free_all(hdrs);
	if (c != NULL)
		curl_easy_cleanup(c);
	return r;
}
