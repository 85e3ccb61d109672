/*
 * prefer.c: the `return` preference of a request's Prefer headers (RFC 7240),
 * which a client sends to have a state change answered without the whole
 * representation (`return=minimal`).
 *
 *   Prefer     = 1#preference
 *   preference = token [ BWS "=" BWS word ] *( OWS ";" [ OWS parameter ] )
 *   parameter  = token [ BWS "=" BWS word ]
 *   word       = token / quoted-string
 *
 * Names and the values of `return` compare case-insensitively; a quoted
 * value counts as its unquoted text; the first `return` among all the Prefer
 * headers in order is the one considered, whatever its value (RFC 7240 §2:
 * "only the first instance is to be considered"). Whatever does not parse is
 * a preference the server does not understand, and is ignored (a header
 * value from its first element that does not parse): a preference never
 * makes a request fail.
 */
#include <string.h>
#include <strings.h>

#include "http_int.h"

/* RFC 9110 tchar */
static int
tchar(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static const char *
ows(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/*
 * A word at p: a token, or a quoted-string whose text (its escapes undone)
 * goes to out[outlen] (truncated; *over set when it did not fit). The end of
 * the word, or NULL when none is at p.
 */
static const char *
word(const char *p, char *out, size_t outlen, int *over)
{
	size_t n = 0;

	*over = 0;
	if (*p == '"') {
		for (p++; *p != '"'; p++) {
			if (*p == '\\' && p[1] != '\0')
				p++;
			if (*p == '\0' || *p == '\r' || *p == '\n')
				return NULL;
			if (n + 1 < outlen)
				out[n++] = *p;
			else
				*over = 1;
		}
		out[n] = '\0';
		return p + 1;
	}
	if (!tchar(*p))
		return NULL;
	for (; tchar(*p); p++)
		if (n + 1 < outlen)
			out[n++] = *p;
		else
			*over = 1;
	out[n] = '\0';
	return p;
}

/* token [ BWS "=" BWS word ] at p: the name and value (empty: none); its end or NULL. */
static const char *
pair(const char *p, char name[16], int *name_over, char value[16], int *value_over)
{
	/* a name is a token, never quoted */
	if (!tchar(*p) || (p = word(p, name, 16, name_over)) == NULL)
		return NULL;
	value[0] = '\0';
	*value_over = 0;
	if (*ows(p) != '=')
		return p;
	p = ows(ows(p) + 1);
	/* an empty value is no value (RFC 7240 §2) */
	if (*p != '"' && !tchar(*p))
		return p;
	return word(p, value, 16, value_over);
}

int
http_prefer_return(const char *value)
{
	const char *p = value;
	char name[16], val[16];
	int nover, vover, is_return;

	if (p == NULL)
		return HTTP_PREFER_NONE;
	for (;;) {
		/* the empty elements a #list allows */
		while (*(p = ows(p)) == ',')
			p++;
		if (*p == '\0')
			return HTTP_PREFER_NONE;
		if ((p = pair(p, name, &nover, val, &vover)) != NULL) {
			is_return = !nover && strcasecmp(name, "return") == 0;
			/* its parameters: none is defined for return; read past them */
			while (p != NULL && *(p = ows(p)) == ';') {
				char pn[16], pv[16];
				int a, b;

				p = ows(p + 1);
				if (*p == ',' || *p == ';' || *p == '\0')
					continue; /* an empty parameter */
				p = pair(p, pn, &a, pv, &b);
			}
			if (p != NULL && (*p == ',' || *p == '\0')) {
				if (!is_return)
					continue;
				if (!vover && strcasecmp(val, "minimal") == 0)
					return HTTP_PREFER_MINIMAL;
				if (!vover && strcasecmp(val, "representation") == 0)
					return HTTP_PREFER_REPRESENTATION;
				return HTTP_PREFER_OTHER;
			}
		}
		/* not a preference: the header's rest is not read as one either */
		return HTTP_PREFER_NONE;
	}
}
