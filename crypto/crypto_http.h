/*
 * crypto_http.h: outbound HTTP, from crypto.h (which includes it; include crypto.h).
 */
#ifndef SP_CRYPTO_HTTP_H
#define SP_CRYPTO_HTTP_H

/* ==== section: outbound HTTP ==== */

/*
 * One POST to an external service (OCSP responder, TSA, webhook receiver).
 * Every option is checked before anything is sent: the URL must be http://
 * or https:// (curl is restricted to those too), redirects are never
 * followed, and no proxy is used unless proxy is set (the environment's
 * http_proxy and friends are ignored, so a variable cannot divert signing
 * traffic). The caller owns all the strings.
 */
struct crypto_http_req {
	const char *url;
	const char *who;          /* the peer in messages ("TSA", ...); NULL: the URL */
	const char *content_type; /* of body, required */
	const void *body;
	size_t body_len;
	const char *const *headers; /* extra "Name: value" lines, NULL-terminated, or NULL */
	long timeout_ms;            /* the whole exchange, 1..CRYPTO_HTTP_TIMEOUT_MAX_MS */
	long connect_timeout_ms;    /* 0: timeout_ms */
	size_t max_response;        /* cap on the kept response body; ignored with discard */
	int discard;          /* 1: read and drop the response body (only the status matters) */
	const char *ca_file;  /* PEM bundle to trust for https instead of the system's, or NULL */
	const char *username; /* HTTP basic auth: both or neither */
	const char *password;
	const char *proxy; /* an explicit proxy URL, or NULL for none */
	/*
	 * Outbound address policy for URLs that someone else chose (webhooks):
	 * with forbid_private, the URL must pass crypto_http_url_check() and
	 * every address a connection is opened to (after name resolution, for
	 * each attempt) must be public unicast or inside allow, so a name that
	 * resolves, or later rebinds, to 127.0.0.1 is refused at connect time.
	 */
	int forbid_private;
	int https_only;    /* refuse http:// */
	const char *allow; /* see crypto_http_url_check(); NULL: none */
};

#define CRYPTO_HTTP_TIMEOUT_MAX_MS 600000L /* ten minutes */

struct crypto_http_resp {
	long status;            /* the HTTP status, 0 when none arrived */
	struct sp_buf body;     /* the body (capped by max_response), NUL-terminated */
	char content_type[128]; /* the answer's Content-Type, "" if none */
};

/*
 * POST req->body to req->url and fill *resp (initialised here; release it
 * with crypto_http_resp_cleanup() whatever the result). SP_OK means an HTTP
 * answer arrived, whatever its status: the caller judges resp->status.
 * Otherwise SP_ERR_INVALID (an option refused: scheme, header, timeout,
 * half credentials; with forbid_private, the URL as crypto_http_url_check()
 * says), SP_ERR_FORBIDDEN (forbid_private: every address the name resolved to
 * was refused, so nothing was sent), SP_ERR_TIMEOUT, SP_ERR_TOO_LARGE (body over
 * max_response), SP_ERR_UNAVAILABLE (resolution, connection, TLS),
 * SP_ERR_NOMEM, SP_ERR_INTERNAL. Blocks up to timeout_ms: call it on a worker
 * thread or in the CLI, never on an event loop. Initialises libcurl once
 * itself; any thread.
 */
int crypto_http_post(const struct crypto_http_req *req, struct crypto_http_resp *resp,
		     struct sp_errinfo *ei) SP_WUR;

/*
 * As crypto_http_post, a GET of req->url (body NULL and 0, content_type
 * unused): a CRL from a certificate's distribution point.
 */
int crypto_http_get(const struct crypto_http_req *req, struct crypto_http_resp *resp,
		    struct sp_errinfo *ei) SP_WUR;

/*
 * Whether url may be used for an outbound request chosen by someone else (a
 * webhook receiver). SP_OK, or SP_ERR_INVALID with reason "url_invalid" (not
 * a URL; not https:// when https_only, else not http(s)://; userinfo such as
 * user@host; a host that is not a DNS name, an IPv4 address or a bracketed
 * IPv6 address; a port outside 1..65535; longer than 2000 bytes) or
 * "url_forbidden" (with forbid_private: an IP literal in a special-purpose
 * range, see crypto_http_addr_public(), in any IPv4 spelling such as 127.1,
 * 2130706433 or 0x7f.1, or IPv4-mapped IPv6; "localhost", a name under
 * .localhost, or a name without a dot), unless allowed by allow.
 * allow is a comma-separated list of host names (matched exactly,
 * case-insensitively: every address they resolve to is allowed) and IP
 * addresses or CIDR ranges ("10.1.0.0/16", "fd00::/8": addresses inside are
 * allowed); NULL or "" for none. Names are not resolved here: delivery checks
 * the addresses (crypto_http_post() with forbid_private). Any thread.
 */
int crypto_http_url_check(const char *url, int https_only, int forbid_private, const char *allow,
			  struct sp_errinfo *ei) SP_WUR;

/*
 * Whether allow (see crypto_http_url_check()) is well formed: SP_OK, or
 * SP_ERR_CONFIG naming the bad entry. For start-up checks. Any thread.
 */
int crypto_http_allow_check(const char *allow, struct sp_errinfo *ei) SP_WUR;

/*
 * 1 when the address (family AF_INET with 4 bytes or AF_INET6 with 16) is
 * public unicast; 0 for loopback, unspecified, private (RFC 1918, ULA
 * fc00::/7), shared address space 100.64/10, link-local, multicast,
 * broadcast and reserved, documentation and benchmarking ranges, IETF
 * protocol assignments, and IPv4-mapped, IPv4-compatible, NAT64 or 6to4 forms
 * that embed one of those. Any thread.
 */
int crypto_http_addr_public(int family, const unsigned char *addr);

/*
 * Initialise libcurl for crypto_http_post(). Optional (the first post does
 * it), but a server calls it on the main thread at start-up so that a
 * failure stops start-up and libcurl's global set-up runs before threads.
 * Returns SP_OK or SP_ERR_INTERNAL. Idempotent; any thread.
 */
int crypto_http_init(struct sp_errinfo *ei) SP_WUR;

/* Free what crypto_http_post() left in resp (NULL or a zeroed struct is fine). */
void crypto_http_resp_cleanup(struct crypto_http_resp *resp);

/* ==== end section: outbound HTTP ==== */
#endif
