/*
 * query.c: a request's query string (http_int.h, "query.c"), parsed once at
 * dispatch before any route reads it (request_query): each name=value
 * percent-decoded and UTF-8 without a NUL, so that every value a route reads
 * is a whole C string of text (none cut short at a %00, none reaching
 * PostgreSQL, which refuses malformed UTF-8 with its own message, as
 * anything but text); and each name given once (compared as http_query_get()
 * finds them: decoded, case-insensitively), so that no route takes the first
 * of two values where a proxy, a log or a WAF in front reads the last. Empty
 * parts (a trailing '&') are nothing. Split from request.c (sec39).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>

#include "http_int.h"

static int
param_cmp(const void *a, const void *b)
{
	return strcasecmp(((const struct http_query_param *)a)->name,
			  ((const struct http_query_param *)b)->name);
}

static int
hexval(int c)
{
	return c >= '0' && c <= '9'   ? c - '0'
	       : c >= 'a' && c <= 'f' ? c - 'a' + 10
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10
				      : -1;
}

/*
 * Percent-decode s[0..n) into out ('+' is a space, as in a form),
 * NUL-terminated; its length, or -1 for a '%' without two hex digits after
 * it: readers in front disagree on what that means (kept as it is, dropped,
 * refused), so no route reads it either way.
 */
static ssize_t
decode(const char *s, size_t n, char *out)
{
	size_t i, len = 0;
	int hi, lo;

	for (i = 0; i < n; i++) {
		if (s[i] != '%') {
			out[len++] = (char)(s[i] == '+' ? ' ' : s[i]);
			continue;
		}
		if (i + 2 >= n || (hi = hexval((unsigned char)s[i + 1])) < 0 ||
		    (lo = hexval((unsigned char)s[i + 2])) < 0)
			return -1;
		out[len++] = (char)(hi * 16 + lo);
		i += 2;
	}
	out[len] = '\0';
	return (ssize_t)len;
}

/* 1 when s[0..n) is UTF-8 without a NUL. */
static int
is_text(const char *s, size_t n)
{
	size_t i, k;
	uint32_t cp;

	for (i = 0; i < n; i += k)
		if (s[i] == '\0' ||
		    (k = sp_utf8_next((const unsigned char *)s + i, n - i, &cp)) == 0)
			return 0;
	return 1;
}

static int
not_text(struct sp_errinfo *ei)
{
	return sp_err(ei, SP_ERR_INVALID, "%s",
		      "The query string must be UTF-8 text without NUL bytes "
		      "(after percent-decoding).");
}

static int
not_escaped(struct sp_errinfo *ei)
{
	return sp_err(ei, SP_ERR_INVALID, "%s",
		      "The query string has a '%' without two hex digits after it "
		      "(write a '%' itself as %25).");
}

static int
not_once(struct sp_errinfo *ei)
{
	return sp_err(ei, SP_ERR_INVALID, "%s",
		      "The query string must give each parameter once, as name=value.");
}

int
http_query_parse(struct http_query *q, const char *s, struct sp_errinfo *ei)
{
	size_t n = strlen(s), count = 1, i, k = 0;
	char *w;

	memset(q, 0, sizeof(*q));
	for (i = 0; i < n; i++)
		count += s[i] == '&';
	if ((q->params = calloc(count, sizeof(*q->params))) == NULL ||
	    (q->text = w = malloc(n + 2)) == NULL)
		return sp_err(ei, SP_ERR_NOMEM, "out of memory");
	for (i = 0; i <= n;) {
		size_t end = i, eq, len;
		ssize_t got;

		while (end < n && s[end] != '&')
			end++;
		if (end > i) {
			for (eq = i; eq < end && s[eq] != '='; eq++)
				;
			q->params[k].name = w;
			if ((got = decode(s + i, eq - i, w)) < 0)
				return not_escaped(ei);
			len = (size_t)got;
			if (!is_text(w, len))
				return not_text(ei);
			w += len + 1;
			q->params[k].value = w;
			if ((got = eq < end ? decode(s + eq + 1, end - eq - 1, w) : 0) < 0)
				return not_escaped(ei);
			len = (size_t)got;
			w[len] = '\0';
			if (!is_text(w, len))
				return not_text(ei);
			w += len + 1;
			if (eq == end || eq == i)
				return not_once(ei);
			q->n = ++k;
		}
		i = end + 1;
	}
	qsort(q->params, k, sizeof(*q->params), param_cmp);
	for (i = 1; i < k; i++)
		if (strcasecmp(q->params[i - 1].name, q->params[i].name) == 0)
			return not_once(ei);
	return SP_OK;
}

const char *
http_query_get(const struct http_query *q, const char *name)
{
	struct http_query_param key = { name, NULL }, *p;

	p = q->n > 0 ? bsearch(&key, q->params, q->n, sizeof(key), param_cmp) : NULL;
	return p != NULL ? p->value : NULL;
}

void
http_query_cleanup(struct http_query *q)
{
	free(q->params);
	free(q->text);
	memset(q, 0, sizeof(*q));
}
