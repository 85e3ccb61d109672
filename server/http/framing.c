/*
 * framing.c: a strict reader of HTTP/1.x request framing, fed the raw bytes
 * of a connection before evhttp parses them (conn.c). It decides only what
 * evhttp would otherwise answer with an HTML page or a dropped connection:
 * an oversize request line (414) or head (431), a malformed request line or
 * header line, an obsolete line folding, a NUL, a bare CR or a line ending
 * in LF without CR, a missing or
 * repeated Host on HTTP/1.1, a bad or repeated Content-Length, a repeated
 * Authorization, Content-Type or Idempotency-Key (400: two credentials or
 * two body types are two readings of one request, and a proxy in front may
 * act on the other one), any
 * Transfer-Encoding (411: request smuggling needs two framings; bodies here
 * come with one Content-Length), a body over the server's largest cap (413),
 * a method no route takes (501: evhttp answered one it does not parse with
 * its HTML page, and kept a CONNECT's connection open after answering) and an HTTP
 * version other than 1.0 and 1.1 (505). Everything else is left
 * to evhttp and the router. It also takes each body's declared length from
 * the process's body budget before the body is read (503 when it does not
 * fit): see struct body_budget.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http_int.h"

#define LINE_MIN_CAP 256

void
framer_init(struct http_framer *f, size_t max_head, uint64_t max_body, struct body_budget *budget)
{
	memset(f, 0, sizeof(*f));
	f->max_head = max_head;
	f->max_body = max_body;
	f->budget = budget;
	f->bad = P__COUNT;
}

void
body_budget_give(struct body_budget *b, uint64_t n)
{
	b->used = n < b->used ? b->used - n : 0;
}

void
framer_give_back(struct http_framer *f)
{
	if (f->budget != NULL)
		body_budget_give(f->budget, f->held);
	f->held = 0;
}

uint64_t
framer_hand_over(struct http_framer *f, uint64_t n)
{
	/* Heads are dispatched in order, so the oldest held body is this one. */
	if (n > f->held)
		n = f->held;
	f->held -= n;
	return n;
}

void
framer_free(struct http_framer *f)
{
	free(f->line);
	f->line = NULL;
	f->linecap = 0;
}

static int
fail(struct http_framer *f, enum problem p, const char *detail)
{
	f->bad = p;
	f->detail = detail;
	return 1;
}

static int
is_tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* The methods the router maps (request.c, method_of); case-sensitive, as evhttp reads them. */
static int
routed_method(const char *s, size_t n)
{
	static const char *const known[] = { "GET",    "HEAD",  "POST",   "PUT",
					     "DELETE", "PATCH", "OPTIONS" };
	size_t i;

	for (i = 0; i < SP_ARRAY_LEN(known); i++)
		if (strlen(known[i]) == n && memcmp(known[i], s, n) == 0)
			return 1;
	return 0;
}

static int
request_line(struct http_framer *f, const char *s, size_t n)
{
	const char *sp1 = memchr(s, ' ', n), *sp2, *v;
	size_t i, vlen;

	if (sp1 == NULL || sp1 == s)
		return fail(f, P_MALFORMED_REQUEST,
			    "The request line is not METHOD SP TARGET SP VERSION.");
	for (i = 0; s + i < sp1; i++)
		if (!is_tchar((unsigned char)s[i]))
			return fail(f, P_MALFORMED_REQUEST, "The request method is not a token.");
	if (!routed_method(s, (size_t)(sp1 - s)))
		return fail(f, P_NOT_IMPLEMENTED, HTTP_METHOD_UNSUPPORTED);
	f->head = sp1 - s == 4 && memcmp(s, "HEAD", 4) == 0;
	sp2 = memchr(sp1 + 1, ' ', n - (size_t)(sp1 + 1 - s));
	if (sp2 == NULL || sp2 == sp1 + 1)
		return fail(f, P_MALFORMED_REQUEST,
			    "The request line is not METHOD SP TARGET SP VERSION.");
	/*
	 * A '#' never belongs to a request target (RFC 9112 3.2: the fragment
	 * is the client's own); readers in front keep it, cut at it or refuse
	 * it, so a target with one means two things at once.
	 */
	for (v = sp1 + 1; v < sp2; v++)
		if ((unsigned char)*v <= 0x20 || (unsigned char)*v >= 0x7f)
			return fail(f, P_MALFORMED_REQUEST,
				    "The request target has a forbidden byte.");
		else if (*v == '#')
			return fail(f, P_MALFORMED_REQUEST,
				    "The request target has a fragment ('#').");
	v = sp2 + 1;
	vlen = n - (size_t)(v - s);
	if (vlen == 8 && memcmp(v, "HTTP/1.1", 8) == 0) {
		f->v11 = 1;
		return 0;
	}
	if (vlen == 8 && memcmp(v, "HTTP/1.0", 8) == 0)
		return 0;
	if (vlen == 8 && memcmp(v, "HTTP/", 5) == 0 && v[5] >= '0' && v[5] <= '9' && v[6] == '.' &&
	    v[7] >= '0' && v[7] <= '9')
		return fail(f, P_HTTP_VERSION, "Only HTTP/1.0 and HTTP/1.1 are served.");
	return fail(f, P_MALFORMED_REQUEST, "The request line does not end in an HTTP version.");
}

/* Headers that carry one value: evhttp would read the first, a proxy perhaps the last. */
static const struct {
	const char *name;
	const char *detail;
} singletons[] = {
	{ "Authorization", "More than one Authorization header." },
	{ "Content-Type", "More than one Content-Type header." },
	{ "Idempotency-Key", "More than one Idempotency-Key header." },
};

static int
header_line(struct http_framer *f, const char *s, size_t n)
{
	const char *colon = memchr(s, ':', n), *v, *e;
	size_t nlen, i;

	if (s[0] == ' ' || s[0] == '\t')
		return fail(f, P_MALFORMED_REQUEST, "Folded header lines are not accepted.");
	if (colon == NULL || colon == s)
		return fail(f, P_MALFORMED_REQUEST, "A header line has no name and colon.");
	nlen = (size_t)(colon - s);
	for (i = 0; i < nlen; i++)
		if (!is_tchar((unsigned char)s[i]))
			return fail(f, P_MALFORMED_REQUEST, "A header name is not a token.");
	for (i = 0; i < SP_ARRAY_LEN(singletons); i++)
		if (nlen == strlen(singletons[i].name) &&
		    strncasecmp(s, singletons[i].name, nlen) == 0) {
			if (f->once & (1u << i))
				return fail(f, P_MALFORMED_REQUEST, singletons[i].detail);
			f->once |= 1u << i;
		}
	v = colon + 1;
	e = s + n;
	while (v < e && (*v == ' ' || *v == '\t'))
		v++;
	while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	if (nlen == 14 && strncasecmp(s, "Content-Length", 14) == 0) {
		uint64_t cl = 0;

		if (f->has_cl)
			return fail(f, P_MALFORMED_REQUEST, "More than one Content-Length header.");
		if (v == e || e - v > 18)
			return fail(f, P_MALFORMED_REQUEST,
				    "Content-Length is not a decimal length.");
		for (; v < e; v++) {
			if (*v < '0' || *v > '9')
				return fail(f, P_MALFORMED_REQUEST,
					    "Content-Length is not a decimal length.");
			cl = cl * 10 + (uint64_t)(*v - '0');
		}
		f->has_cl = 1;
		f->cl = cl;
	} else if (nlen == 17 && strncasecmp(s, "Transfer-Encoding", 17) == 0) {
		f->has_te = 1;
	} else if (nlen == 6 && strncasecmp(s, "Expect", 6) == 0) {
		/* evhttp answers any other expectation with an HTML 417. */
		if (e - v != 12 || strncasecmp(v, "100-continue", 12) != 0)
			return fail(f, P_MALFORMED_REQUEST,
				    "Only Expect: 100-continue is understood.");
	} else if (nlen == 4 && strncasecmp(s, "Host", 4) == 0) {
		if (f->has_host)
			return fail(f, P_MALFORMED_REQUEST, "More than one Host header.");
		f->has_host = 1;
	}
	return 0;
}

/* The empty line: the head is complete. */
static int
head_end(struct http_framer *f)
{
	if (f->v11 && !f->has_host)
		return fail(f, P_MALFORMED_REQUEST, "An HTTP/1.1 request needs a Host header.");
	if (f->has_te)
		return fail(f, P_LENGTH_REQUIRED,
			    "Transfer-Encoding is not accepted; send the body with "
			    "Content-Length.");
	/*
	 * evhttp reads no body after a HEAD head (libevent 2.1: a HEAD "may not
	 * have a body") and parses what follows as the next request, where the
	 * framer would pass it as this one's body: the two would disagree on
	 * where the next request starts, and a request hidden there would run
	 * unseen by the framer's checks (a proxy framing by Content-Length would
	 * hand its answer to the next client). RFC 9110 9.3.2 gives a HEAD body no
	 * meaning, so one is refused.
	 */
	if (f->head && f->cl > 0)
		return fail(f, P_MALFORMED_REQUEST, "A HEAD request has no body.");
	if (f->cl > f->max_body)
		return fail(f, P_PAYLOAD_TOO_LARGE,
			    "The request body is larger than this server accepts.");
	if (f->cl > 0 && f->budget != NULL) {
		/* Refused before its body is read: the client may retry, another process may have room. */
		if (f->cl > f->budget->cap - f->budget->used)
			return fail(f, P_BUSY,
				    "The server is receiving too many request bodies; retry "
				    "later.");
		f->budget->used += f->cl;
		f->held += f->cl;
	}
	f->body_left = f->cl;
	f->nlines = 0;
	f->head_bytes = 0;
	f->v11 = f->has_host = f->has_cl = f->has_te = f->head = 0;
	f->once = 0;
	f->cl = 0;
	f->heads++;
	framer_free(f); /* an idle connection keeps no line buffer */
	return 0;
}

static int
line_done(struct http_framer *f)
{
	size_t n = f->linelen - 1; /* without the LF */
	const char *s = (const char *)f->line;
	int r;

	/* A line ends in CRLF: RFC 9112 2.2 lets a recipient take a bare LF too,
	   but a proxy in front that does not reads 'X: a<LF>Content-Length: 2' as one
	   header, and the two of us then disagree on where the request ends. */
	if (n == 0 || s[n - 1] != '\r')
		return fail(f, P_MALFORMED_REQUEST, "A line of the request head ends without CR.");
	n--;
	if (memchr(s, '\r', n) != NULL || memchr(s, '\0', n) != NULL)
		return fail(f, P_MALFORMED_REQUEST, "A bare CR or NUL in the request head.");
	f->linelen = 0;
	if (f->nlines == 0) {
		if (n == 0) /* empty lines before a request line are ignored (RFC 9112 2.2) */
			return 0;
		r = request_line(f, s, n);
	} else if (n == 0) {
		return head_end(f);
	} else {
		r = header_line(f, s, n);
	}
	f->nlines++;
	return r;
}

size_t
framer_skip_body(struct http_framer *f, size_t n)
{
	size_t k = 0;

	if (f->bad == P__COUNT && f->body_left > 0) {
		k = n < f->body_left ? n : (size_t)f->body_left;
		f->body_left -= k;
	}
	return k;
}

int
framer_feed(struct http_framer *f, const unsigned char *p, size_t n)
{
	size_t i = 0;

	if (f->bad != P__COUNT)
		return 1;
	while (i < n) {
		if (f->body_left > 0) {
			i += framer_skip_body(f, n - i);
			continue;
		}
		if (f->linelen == f->linecap) {
			size_t cap = f->linecap ? f->linecap * 2 : LINE_MIN_CAP;
			unsigned char *q;

			if (cap > f->max_head + 2)
				cap = f->max_head + 2;
			if (cap <= f->linelen)
				return fail(f,
					    f->nlines == 0 ? P_URI_TOO_LONG : P_HEADERS_TOO_LARGE,
					    f->nlines == 0 ? "The request line is too long."
							   : "The request head is too large.");
			if ((q = realloc(f->line, cap)) == NULL)
				return fail(f, P_BUSY, "Out of memory for the request head.");
			f->line = q;
			f->linecap = cap;
		}
		f->line[f->linelen++] = p[i];
		f->head_bytes++;
		if (f->head_bytes > f->max_head + 2)
			return fail(f, f->nlines == 0 ? P_URI_TOO_LONG : P_HEADERS_TOO_LARGE,
				    f->nlines == 0 ? "The request line is too long."
						   : "The request head is too large.");
		if (p[i++] == '\n' && line_done(f))
			return 1;
	}
	return 0;
}
