/*
 * http.c: crypto_http_post(), the one outbound HTTP client of the server and
 * the CLI's offline checks: OCSP requests, timestamp queries and webhook
 * deliveries all go through it, so the same rules hold for each (http/https
 * only, no redirects, no proxy from the environment, a hard timeout, a capped
 * answer). libcurl's easy interface, blocking: workers and the CLI only.
 *
 * A URL someone else chose (a webhook) is also held to an address policy
 * (forbid_private): checked on the URL when it is registered, and on every
 * address libcurl opens a socket for, so neither an IP spelling nor a name
 * that resolves or rebinds to an internal address reaches the server's own
 * network.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

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

/* ---- outbound address policy ------------------------------------------------------------- */

#define URL_MAX 2000

static int
v4_public(const unsigned char *a)
{
	uint32_t v = sp_load_be32(a);
	static const struct {
		uint32_t net;
		int len;
	} deny[] = {
		{ 0x00000000u, 8 },  /* "this network", 0.0.0.0 */
		{ 0x0a000000u, 8 },  /* RFC 1918 */
		{ 0x64400000u, 10 }, /* shared address space (CGNAT) */
		{ 0x7f000000u, 8 },  /* loopback */
		{ 0xa9fe0000u, 16 }, /* link-local, cloud metadata services */
		{ 0xac100000u, 12 }, /* RFC 1918 */
		{ 0xc0000000u, 24 }, /* IETF protocol assignments */
		{ 0xc0000200u, 24 }, /* TEST-NET-1 */
		{ 0xc0586300u, 24 }, /* 6to4 relay anycast */
		{ 0xc0a80000u, 16 }, /* RFC 1918 */
		{ 0xc6120000u, 15 }, /* benchmarking */
		{ 0xc6336400u, 24 }, /* TEST-NET-2 */
		{ 0xcb007100u, 24 }, /* TEST-NET-3 */
		{ 0xe0000000u, 4 },  /* multicast */
		{ 0xf0000000u, 4 },  /* reserved, and 255.255.255.255 broadcast */
	};
	size_t i;

	for (i = 0; i < SP_ARRAY_LEN(deny); i++)
		if ((v >> (32 - deny[i].len)) == (deny[i].net >> (32 - deny[i].len)))
			return 0;
	return 1;
}

int
crypto_http_addr_public(int family, const unsigned char *a)
{
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	static const unsigned char nat64[12] = { 0, 0x64, 0xff, 0x9b };
	static const unsigned char local64[6] = { 0, 0x64, 0xff, 0x9b, 0, 1 };
	static const unsigned char siit[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0 };
	static const unsigned char zero[12] = { 0 };

	if (family == AF_INET)
		return v4_public(a);
	if (family != AF_INET6)
		return 0;
	if (memcmp(a, mapped, 12) == 0 || memcmp(a, nat64, 12) == 0 || memcmp(a, siit, 12) == 0)
		return v4_public(a + 12);
	/* RFC 8215's local-use translation prefix: which IPv4 address, and where it is
	   written in the 96 bits, is the local translator's choice */
	if (memcmp(a, local64, 6) == 0)
		return 0;
	if (memcmp(a, zero, 12) == 0) /* ::, ::1 and the deprecated IPv4-compatible form */
		return 0;
	if (a[0] == 0x20 && a[1] == 0x02) /* 6to4: the IPv4 address follows */
		return v4_public(a + 2);
	if ((a[0] & 0xfe) == 0xfc ||                                      /* ULA fc00::/7 */
	    (a[0] == 0xfe && (a[1] & 0xc0) == 0x80) ||                    /* link-local fe80::/10 */
	    (a[0] == 0xfe && (a[1] & 0xc0) == 0xc0) ||                    /* site-local fec0::/10 */
	    a[0] == 0xff ||                                               /* multicast */
	    (a[0] == 0x01 && a[1] == 0 && memcmp(a + 2, zero, 6) == 0) || /* discard 100::/64 */
	    (a[0] == 0x20 && a[1] == 0x01 && a[2] < 0x02) ||              /* IETF 2001::/23 */
	    (a[0] == 0x20 && a[1] == 0x01 && a[2] == 0x0d && a[3] == 0xb8)) /* documentation */
		return 0;
	return 1;
}

/* An address with its family; IPv4-mapped IPv6 is turned into IPv4 first. */
struct addr {
	int family;
	unsigned char b[16];
};

static void
addr_unmap(struct addr *x)
{
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	if (x->family == AF_INET6 && memcmp(x->b, mapped, 12) == 0) {
		memmove(x->b, x->b + 12, 4);
		x->family = AF_INET;
	}
}

/* One entry of an allow list: "name", "addr" or "addr/len" (the text is len bytes). */
struct allow_entry {
	char name[256];
	struct addr net;
	int prefix; /* -1: a name */
};

static int
allow_entry_parse(const char *s, size_t n, struct allow_entry *e)
{
	char buf[256], *slash;
	long len;
	size_t i;

	memset(e, 0, sizeof(*e));
	while (n > 0 && (*s == ' ' || *s == '\t'))
		s++, n--;
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	if (n == 0 || n >= sizeof(buf))
		return SP_ERR_INVALID;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if ((slash = strchr(buf, '/')) != NULL)
		*slash = '\0';
	if (inet_pton(AF_INET, buf, e->net.b) == 1) {
		e->net.family = AF_INET;
		e->prefix = 32;
	} else if (inet_pton(AF_INET6, buf, e->net.b) == 1) {
		e->net.family = AF_INET6;
		e->prefix = 128;
	} else {
		if (slash != NULL)
			return SP_ERR_INVALID;
		for (i = 0; i < n; i++)
			if (!isalnum((unsigned char)buf[i]) && buf[i] != '.' && buf[i] != '-' &&
			    buf[i] != '_')
				return SP_ERR_INVALID;
		memcpy(e->name, buf, n + 1);
		e->prefix = -1;
		return SP_OK;
	}
	if (slash != NULL) {
		char *end;

		errno = 0;
		len = strtol(slash + 1, &end, 10);
		if (slash[1] < '0' || slash[1] > '9' || *end != '\0' || len < 0 || len > e->prefix)
			return SP_ERR_INVALID;
		e->prefix = (int)len;
	}
	if (e->net.family == AF_INET6 && e->prefix >= 96) {
		struct addr x = e->net;

		addr_unmap(&x);
		if (x.family == AF_INET) {
			e->net = x;
			e->prefix -= 96;
		}
	}
	return SP_OK;
}

static int
prefix_match(const struct addr *net, int prefix, const struct addr *a)
{
	int full = prefix / 8, rest = prefix % 8;

	if (net->family != a->family)
		return 0;
	if (memcmp(net->b, a->b, (size_t)full) != 0)
		return 0;
	return rest == 0 ||
	       ((net->b[full] ^ a->b[full]) & (unsigned char)(0xff << (8 - rest))) == 0;
}

/*
 * Walk allow: 1 when host (a name, or NULL) or the address a (or NULL)
 * matches an entry. Malformed entries never match (crypto_http_allow_check()
 * refuses them at start-up).
 */
static int
allowed(const char *allow, const char *host, const struct addr *a)
{
	struct allow_entry e;
	struct addr x;
	const char *p, *c;

	if (allow == NULL)
		return 0;
	if (a != NULL) {
		x = *a;
		addr_unmap(&x);
	}
	for (p = allow; *p != '\0'; p = *c == ',' ? c + 1 : c) {
		c = strchr(p, ',');
		if (c == NULL)
			c = p + strlen(p);
		if (allow_entry_parse(p, (size_t)(c - p), &e) != SP_OK)
			continue;
		if (e.prefix < 0 ? host != NULL && strcasecmp(e.name, host) == 0
				 : a != NULL && prefix_match(&e.net, e.prefix, &x))
			return 1;
	}
	return 0;
}

int
crypto_http_allow_check(const char *allow, struct sp_errinfo *ei)
{
	struct allow_entry e;
	const char *p, *c;

	if (allow == NULL)
		return SP_OK;
	for (p = allow; *p != '\0'; p = *c == ',' ? c + 1 : c) {
		c = strchr(p, ',');
		if (c == NULL)
			c = p + strlen(p);
		if (allow_entry_parse(p, (size_t)(c - p), &e) != SP_OK)
			return sp_err(ei, SP_ERR_CONFIG,
				      "'%.*s' is neither a host name nor an IP address or CIDR "
				      "range",
				      (int)(c - p > 80 ? 80 : c - p), p);
	}
	return SP_OK;
}

/*
 * WHATWG URL's rule: a host whose last label is a number (decimal, or 0x
 * hex) is an IPv4 address in any of the old spellings (127.1, 2130706433,
 * 0x7f.1, 0177.0.0.1), which resolvers and libcurl accept as such.
 */
static int
last_label_numeric(const char *host)
{
	const char *l = strrchr(host, '.');
	size_t i;

	l = l == NULL ? host : l[1] == '\0' && l > host ? NULL : l + 1;
	if (l == NULL) { /* a trailing dot: look at the label before it */
		char tmp[256];
		size_t n = strlen(host) - 1;

		if (n >= sizeof(tmp))
			return 0;
		memcpy(tmp, host, n);
		tmp[n] = '\0';
		return last_label_numeric(tmp);
	}
	if (l[0] == '0' && (l[1] == 'x' || l[1] == 'X')) {
		for (i = 2; l[i] != '\0'; i++)
			if (!isxdigit((unsigned char)l[i]))
				return 0;
		return 1;
	}
	for (i = 0; l[i] != '\0'; i++)
		if (!isdigit((unsigned char)l[i]))
			return 0;
	return i > 0;
}

static int
name_ok(const char *h)
{
	size_t n = strlen(h), label = 0, i;

	if (n == 0 || n > 253)
		return 0;
	for (i = 0; i < n; i++) {
		if (h[i] == '.') {
			if (label == 0)
				return 0;
			label = 0;
			continue;
		}
		if (!isalnum((unsigned char)h[i]) && h[i] != '-' && h[i] != '_')
			return 0;
		if (++label > 63)
			return 0;
	}
	return 1;
}

static int
url_bad(struct sp_errinfo *ei, const char *why)
{
	return sp_err_reason(ei, SP_ERR_INVALID, "url_invalid", "url: %s", why);
}

static int
url_forbidden(struct sp_errinfo *ei, const char *host)
{
	return sp_err_reason(ei, SP_ERR_INVALID, "url_forbidden",
			     "url: %.100s is a loopback, private, link-local or otherwise "
			     "non-public destination; webhooks.allow_hosts can allow an internal "
			     "receiver",
			     host);
}

/*
 * crypto_http_url_check(), and the host (without brackets) into hostout.
 * names: also the rules on names (no dot, .localhost), which only guess what
 * a name resolves to; a delivery leaves names to the socket check.
 */
static int
url_check(const char *url, int https_only, int forbid_private, int names, const char *allow,
	  char hostout[256], struct sp_errinfo *ei)
{
	char *scheme = NULL, *user = NULL, *pass = NULL, *host = NULL, *port = NULL;
	CURLU *u = NULL;
	struct addr a;
	struct in_addr v4;
	char h[256];
	size_t n;
	long pn;
	int r = SP_ERR_INTERNAL;

	hostout[0] = '\0';
	if (url == NULL || strlen(url) > URL_MAX || strpbrk(url, "\r\n\t ") != NULL) {
		r = url_bad(ei, "a URL of at most 2000 bytes without spaces is required");
		goto out;
	}
	if ((u = curl_url()) == NULL) {
		r = sp_err(ei, SP_ERR_NOMEM, "out of memory");
		goto out;
	}
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) != CURLUE_OK) {
		r = url_bad(ei, "not an absolute http(s) URL with a host");
		goto out;
	}
	if (strcasecmp(scheme, "https") != 0 && (https_only || strcasecmp(scheme, "http") != 0)) {
		r = url_bad(ei, https_only ? "only https:// URLs are accepted"
					   : "only http:// and https:// URLs are accepted");
		goto out;
	}
	if (curl_url_get(u, CURLUPART_USER, &user, 0) != CURLUE_NO_USER ||
	    curl_url_get(u, CURLUPART_PASSWORD, &pass, 0) != CURLUE_NO_PASSWORD) {
		r = url_bad(ei, "no user name or password in the URL (user@host)");
		goto out;
	}
	pn = strtol(port, NULL, 10);
	if (pn < 1 || pn > 65535) {
		r = url_bad(ei, "the port must be 1..65535");
		goto out;
	}
	n = strlen(host);
	memset(&a, 0, sizeof(a));
	if (n >= 2 && host[0] == '[' && host[n - 1] == ']' && n - 2 < sizeof(h)) {
		memcpy(h, host + 1, n - 2);
		h[n - 2] = '\0';
		if (inet_pton(AF_INET6, h, a.b) != 1) { /* a zone id (%eth0) ends here too */
			r = url_bad(ei, "the host is not a valid IPv6 address");
			goto out;
		}
		a.family = AF_INET6;
	} else if (n < sizeof(h)) {
		memcpy(h, host, n + 1);
		if (!name_ok(h)) {
			r = url_bad(ei, "the host must be a DNS name (ASCII letters, digits, '-', "
					"'.'), an IPv4 address or a bracketed IPv6 address");
			goto out;
		}
		if (last_label_numeric(h)) {
			if (inet_aton(h, &v4) == 0) {
				r = url_bad(ei, "the host is not a valid IPv4 address");
				goto out;
			}
			a.family = AF_INET;
			memcpy(a.b, &v4.s_addr, 4);
		}
	} else {
		r = url_bad(ei, "the host name is too long");
		goto out;
	}
	if (forbid_private && !allowed(allow, h, a.family != 0 ? &a : NULL)) {
		if (a.family != 0 && !crypto_http_addr_public(a.family, a.b)) {
			r = url_forbidden(ei, h);
			goto out;
		}
		n = strlen(h);
		if (n > 0 && h[n - 1] == '.')
			h[--n] = '\0';
		if (a.family == 0 && names &&
		    (strchr(h, '.') == NULL ||
		     (n >= 10 && strcasecmp(h + n - 10, ".localhost") == 0))) {
			r = url_forbidden(ei, h);
			goto out;
		}
	}
	snprintf(hostout, 256, "%s", h);
	r = SP_OK;
out:
	curl_free(scheme);
	curl_free(user);
	curl_free(pass);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return r;
}

int
crypto_http_url_check(const char *url, int https_only, int forbid_private, const char *allow,
		      struct sp_errinfo *ei)
{
	char host[256];

	return url_check(url, https_only, forbid_private, 1, allow, host, ei);
}

/* What the socket callback needs: the policy, and whether it refused. */
struct guard {
	const char *allow;
	const char *host; /* the URL's host, without brackets */
	int refused;
};

/*
 * libcurl calls this for every socket it opens, with the address it is about
 * to connect to (after resolution, for each happy-eyeballs attempt): the one
 * place that sees what is really connected to, so a DNS answer that changed
 * since registration (rebinding) is judged too.
 */
static curl_socket_t
guarded_socket(void *ud, curlsocktype purpose, struct curl_sockaddr *sa)
{
	struct guard *g = ud;
	struct addr a;

	memset(&a, 0, sizeof(a));
	if (purpose == CURLSOCKTYPE_IPCXN && sa->family == AF_INET &&
	    sa->addrlen >= sizeof(struct sockaddr_in)) {
		a.family = AF_INET;
		memcpy(a.b, (const char *)&sa->addr + offsetof(struct sockaddr_in, sin_addr), 4);
	} else if (purpose == CURLSOCKTYPE_IPCXN && sa->family == AF_INET6 &&
		   sa->addrlen >= sizeof(struct sockaddr_in6)) {
		a.family = AF_INET6;
		memcpy(a.b, (const char *)&sa->addr + offsetof(struct sockaddr_in6, sin6_addr), 16);
	}
	if (a.family == 0 ||
	    (!crypto_http_addr_public(a.family, a.b) && !allowed(g->allow, g->host, &a))) {
		g->refused = 1;
		return CURL_SOCKET_BAD;
	}
	return socket(sa->family, sa->socktype, sa->protocol);
}

static int
req_check(const struct crypto_http_req *q, const char *who, int get, struct sp_errinfo *ei)
{
	size_t i;

	if (q->url == NULL ||
	    (strncasecmp(q->url, "http://", 7) != 0 && strncasecmp(q->url, "https://", 8) != 0) ||
	    !line_ok(q->url))
		return sp_err(ei, SP_ERR_INVALID, "%s: only http:// and https:// URLs are used",
			      who);
	if (get ? q->body != NULL || q->body_len > 0
		: !line_ok(q->content_type) || (q->body == NULL && q->body_len > 0))
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
	if (q->forbid_private && q->proxy != NULL)
		return sp_err(ei, SP_ERR_INVALID, "%s: a proxy would hide the address connected to",
			      who);
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
headers_build(const struct crypto_http_req *q, int get, struct curl_slist **out)
{
	struct curl_slist *h = NULL, *n;
	char line[160];
	size_t i;

	*out = NULL;
	if (!get) {
		if (snprintf(line, sizeof(line), "Content-Type: %s", q->content_type) >=
		    (int)sizeof(line))
			return SP_ERR_INVALID;
		if ((h = curl_slist_append(NULL, line)) == NULL)
			return SP_ERR_NOMEM;
	}
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

static int http_do(const struct crypto_http_req *q, int get, struct crypto_http_resp *resp,
		   struct sp_errinfo *ei);

int
crypto_http_post(const struct crypto_http_req *q, struct crypto_http_resp *resp,
		 struct sp_errinfo *ei)
{
	return http_do(q, 0, resp, ei);
}

int
crypto_http_get(const struct crypto_http_req *q, struct crypto_http_resp *resp,
		struct sp_errinfo *ei)
{
	return http_do(q, 1, resp, ei);
}

static int
http_do(const struct crypto_http_req *q, int get, struct crypto_http_resp *resp,
	struct sp_errinfo *ei)
{
	const char *who = q->who != NULL ? q->who : q->url != NULL ? q->url : "HTTP";
	char errbuf[CURL_ERROR_SIZE] = "";
	struct curl_slist *hdrs = NULL;
	struct guard g;
	char host[256];
	CURL *c = NULL;
	CURLcode cc;
	char *got = NULL;
	int r = SP_ERR_INTERNAL;

	memset(resp, 0, sizeof(*resp));
	sp_buf_init(&resp->body, q->discard ? 0 : q->max_response);
	if ((r = req_check(q, who, get, ei)) != SP_OK)
		goto out;
	if ((r = crypto_http_init(ei)) != SP_OK)
		goto out;
	memset(&g, 0, sizeof(g));
	host[0] = '\0';
	if ((q->forbid_private || q->https_only) &&
	    (r = url_check(q->url, q->https_only, q->forbid_private, 0, q->allow, host, ei)) !=
		    SP_OK)
		goto out;
	g.allow = q->allow;
	g.host = host;
	if ((r = headers_build(q, get, &hdrs)) != SP_OK) {
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
	    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, q->https_only ? "https" : "http,https") !=
		    CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_PROXY, q->proxy != NULL ? q->proxy : "") != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, q->timeout_ms) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
			     q->connect_timeout_ms > 0 ? q->connect_timeout_ms : q->timeout_ms) !=
		    CURLE_OK ||
	    (get ? curl_easy_setopt(c, CURLOPT_HTTPGET, 1L) != CURLE_OK
		 : curl_easy_setopt(c, CURLOPT_POST, 1L) != CURLE_OK ||
			     curl_easy_setopt(c, CURLOPT_POSTFIELDS,
					      q->body_len > 0 ? (const char *)q->body : "") !=
				     CURLE_OK ||
			     curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
					      (curl_off_t)q->body_len) != CURLE_OK) ||
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
	if (q->forbid_private &&
	    (curl_easy_setopt(c, CURLOPT_OPENSOCKETFUNCTION, guarded_socket) != CURLE_OK ||
	     curl_easy_setopt(c, CURLOPT_OPENSOCKETDATA, &g) != CURLE_OK)) {
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
	if (cc != CURLE_OK && g.refused) {
		r = sp_err(ei, SP_ERR_FORBIDDEN,
			   "%s: refused to connect to a non-public address of %s (not in the "
			   "allow list)",
			   who, host);
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
