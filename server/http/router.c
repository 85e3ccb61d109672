/*
 * router.c: method + path-pattern routing. Patterns are split into segments
 * once at registration; a request path is split and percent-decoded once per
 * request, then compared segment by segment. Routes are few (tens), so a
 * linear scan is simpler than a trie and fast enough.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "http_int.h"

#define NAME_MAX_LEN 31

struct segment {
	char *text; /* literal text, or the parameter's name */
	int is_param;
};

struct pattern {
	char *text; /* "/api/v1/contracts/{number}": the route's name */
	size_t nseg;
	struct segment segs[ROUTER_MAX_SEGMENTS];
};

struct route {
	const struct pattern *pat;
	size_t pat_idx;
	unsigned methods;
	unsigned flags;
	route_fn fn;
};

struct router {
	struct pattern *pats[ROUTER_MAX_ROUTES];
	size_t npats;
	struct route routes[ROUTER_MAX_ROUTES];
	size_t nroutes;
};

static const struct {
	unsigned bit;
	const char *name;
} method_names[] = {
	{ HTTP_GET, "GET" },         { HTTP_HEAD, "HEAD" },   { HTTP_POST, "POST" },
	{ HTTP_PUT, "PUT" },         { HTTP_PATCH, "PATCH" }, { HTTP_DELETE, "DELETE" },
	{ HTTP_OPTIONS, "OPTIONS" },
};

const char *
http_method_name(unsigned method)
{
	size_t i;

	for (i = 0; i < SP_ARRAY_LEN(method_names); i++)
		if (method_names[i].bit == method)
			return method_names[i].name;
	return "OTHER";
}

void
http_methods_format(unsigned methods, char *out, size_t outlen)
{
	size_t i, used = 0;

	if (outlen == 0)
		return;
	out[0] = '\0';
	for (i = 0; i < SP_ARRAY_LEN(method_names); i++) {
		int n;
		if (!(methods & method_names[i].bit))
			continue;
		n = snprintf(out + used, outlen - used, "%s%s", used ? ", " : "",
			     method_names[i].name);
		if (n < 0 || (size_t)n >= outlen - used)
			return;
		used += (size_t)n;
	}
}

int
router_new(struct router **out, struct sp_errinfo *ei)
{
	*out = calloc(1, sizeof(**out));
	if (*out == NULL)
		return sp_err(ei, SP_ERR_NOMEM, "out of memory");
	return SP_OK;
}

static void
pattern_free(struct pattern *p)
{
	size_t i;

	if (p == NULL)
		return;
	for (i = 0; i < p->nseg; i++)
		free(p->segs[i].text);
	free(p->text);
	free(p);
}

void
router_free(struct router *rt)
{
	size_t i;

	if (rt == NULL)
		return;
	for (i = 0; i < rt->npats; i++)
		pattern_free(rt->pats[i]);
	free(rt);
}

static int
literal_char_ok(int c)
{
	return isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == ':';
}

static int
param_name_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > NAME_MAX_LEN || !(islower((unsigned char)s[0]) || s[0] == '_'))
		return 0;
	for (i = 0; i < n; i++)
		if (!(islower((unsigned char)s[i]) || isdigit((unsigned char)s[i]) || s[i] == '_'))
			return 0;
	return 1;
}

static int
pattern_parse(const char *text, struct pattern **out, struct sp_errinfo *ei)
{
	int r = SP_ERR_INTERNAL;
	struct pattern *p = NULL;
	const char *s, *e;
	size_t nparams = 0, i, j;

	*out = NULL;
	if (text == NULL || text[0] != '/' || strlen(text) > ROUTER_MAX_PATH) {
		r = sp_err(ei, SP_ERR_INVALID, "route pattern must start with '/'");
		goto out;
	}
	if ((p = calloc(1, sizeof(*p))) == NULL || (p->text = strdup(text)) == NULL) {
		r = sp_err(ei, SP_ERR_NOMEM, "out of memory");
		goto out;
	}
	s = text + 1;
	while (*s != '\0') {
		struct segment *seg;
		size_t n;

		e = strchr(s, '/');
		n = e ? (size_t)(e - s) : strlen(s);
		if (n == 0) {
			r = sp_err(ei, SP_ERR_INVALID, "route %s: empty segment", text);
			goto out;
		}
		if (p->nseg == ROUTER_MAX_SEGMENTS) {
			r = sp_err(ei, SP_ERR_LIMIT, "route %s: too many segments", text);
			goto out;
		}
		seg = &p->segs[p->nseg];
		if (s[0] == '{') {
			if (n < 3 || s[n - 1] != '}' || !param_name_ok(s + 1, n - 2)) {
				r = sp_err(ei, SP_ERR_INVALID, "route %s: bad parameter segment",
					   text);
				goto out;
			}
			if (++nparams > ROUTER_MAX_PARAMS) {
				r = sp_err(ei, SP_ERR_LIMIT, "route %s: too many parameters", text);
				goto out;
			}
			seg->is_param = 1;
			seg->text = strndup(s + 1, n - 2);
		} else {
			for (i = 0; i < n; i++) {
				if (!literal_char_ok((unsigned char)s[i])) {
					r = sp_err(ei, SP_ERR_INVALID,
						   "route %s: bad character in segment", text);
					goto out;
				}
			}
			if (n > ROUTER_MAX_PARAM_LEN) {
				r = sp_err(ei, SP_ERR_INVALID, "route %s: segment too long", text);
				goto out;
			}
			seg->text = strndup(s, n);
		}
		p->nseg++;
		if (seg->text == NULL) {
			r = sp_err(ei, SP_ERR_NOMEM, "out of memory");
			goto out;
		}
		if (e == NULL)
			break;
		s = e + 1;
		if (*s == '\0') {
			r = sp_err(ei, SP_ERR_INVALID, "route %s: trailing '/'", text);
			goto out;
		}
	}
	for (i = 0; i < p->nseg; i++)
		for (j = i + 1; j < p->nseg; j++)
			if (p->segs[i].is_param && p->segs[j].is_param &&
			    strcmp(p->segs[i].text, p->segs[j].text) == 0) {
				r = sp_err(ei, SP_ERR_INVALID, "route %s: parameter {%s} twice",
					   text, p->segs[i].text);
				goto out;
			}
	*out = p;
	p = NULL; /* transferred */
	r = SP_OK;
out:
	pattern_free(p);
	return r;
}

int
router_route_add(struct router *rt, unsigned methods, const char *pattern, route_fn fn,
		 unsigned flags, struct sp_errinfo *ei)
{
	int r = SP_ERR_INTERNAL;
	struct pattern *p = NULL;
	size_t i, pat_idx;

	if (rt == NULL || fn == NULL || methods == 0 || (methods & ~0x7fu) != 0 ||
	    (flags & ~ROUTE_UPLOAD) != 0)
		return sp_err(ei, SP_ERR_INVALID, "route_add: bad arguments");
	if (methods & HTTP_GET)
		methods |= HTTP_HEAD;
	if (rt->nroutes == ROUTER_MAX_ROUTES)
		return sp_err(ei, SP_ERR_LIMIT, "route table full");
	for (pat_idx = 0; pat_idx < rt->npats; pat_idx++)
		if (strcmp(rt->pats[pat_idx]->text, pattern) == 0)
			break;
	for (i = 0; i < rt->nroutes; i++) {
		if (rt->routes[i].pat_idx == pat_idx && (rt->routes[i].methods & methods)) {
			r = sp_err(ei, SP_ERR_CONFLICT, "route %s: method registered twice",
				   pattern);
			goto out;
		}
	}
	if (pat_idx == rt->npats) {
		if ((r = pattern_parse(pattern, &p, ei)) != SP_OK)
			goto out;
		rt->pats[rt->npats++] = p;
		p = NULL; /* transferred */
	}
	rt->routes[rt->nroutes].pat = rt->pats[pat_idx];
	rt->routes[rt->nroutes].pat_idx = pat_idx;
	rt->routes[rt->nroutes].methods = methods;
	rt->routes[rt->nroutes].fn = fn;
	rt->routes[rt->nroutes].flags = flags;
	rt->nroutes++;
	r = SP_OK;
out:
	pattern_free(p);
	return r;
}

const char *
route_name(const struct route *rt)
{
	return rt ? rt->pat->text : "unmatched";
}

route_fn
route_handler(const struct route *rt)
{
	return rt->fn;
}

unsigned
route_flags(const struct route *rt)
{
	return rt->flags;
}

size_t
route_index(const struct route *rt)
{
	return rt->pat_idx;
}

/* Metrics label by pattern: a pattern with several method routes is one label. */
size_t
router_count(const struct router *rt)
{
	return rt->npats;
}

const struct route *
router_at(const struct router *rt, size_t i)
{
	size_t k;

	for (k = 0; k < rt->nroutes; k++)
		if (rt->routes[k].pat_idx == i)
			return &rt->routes[k];
	return NULL;
}

/* Decode one segment of n raw bytes into out (cap bytes + NUL). */
static int
segment_decode(const char *s, size_t n, char *out, size_t cap, size_t *outlen,
	       struct sp_errinfo *ei)
{
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		int c = (unsigned char)s[i];
		if (c == '%') {
			int hi, lo;
			if (i + 2 >= n)
				return sp_err_reason(ei, SP_ERR_INVALID, "invalid_path",
						     "truncated percent-encoding in path");
			hi = sp_hex_val((unsigned char)s[i + 1]);
			lo = sp_hex_val((unsigned char)s[i + 2]);
			if (hi < 0 || lo < 0)
				return sp_err_reason(ei, SP_ERR_INVALID, "invalid_path",
						     "bad percent-encoding in path");
			c = hi * 16 + lo;
			if (c == 0)
				return sp_err_reason(ei, SP_ERR_INVALID, "invalid_path",
						     "encoded NUL in path");
			i += 2;
		}
		if (o == cap)
			return sp_err_reason(ei, SP_ERR_INVALID, "invalid_path",
					     "path segment longer than %d bytes",
					     ROUTER_MAX_PARAM_LEN);
		out[o++] = (char)c;
	}
	out[o] = '\0';
	*outlen = o;
	return SP_OK;
}

/* Whether p matches the decoded segments; *score ranks literal-first specificity. */
static int
pattern_matches(const struct pattern *p, char segs[][ROUTER_MAX_PARAM_LEN + 1], size_t nseg,
		unsigned long *score)
{
	size_t i;

	if (p->nseg != nseg)
		return 0;
	*score = 0;
	for (i = 0; i < nseg; i++) {
		*score <<= 1;
		if (p->segs[i].is_param) {
			if (segs[i][0] == '\0')
				return 0;
		} else {
			if (strcmp(p->segs[i].text, segs[i]) != 0)
				return 0;
			*score |= 1;
		}
	}
	return 1;
}

int
router_match(const struct router *rt, unsigned method, const char *path, struct route_match *m,
	     struct sp_errinfo *ei)
{
	int r = SP_ERR_INTERNAL;
	char segs[ROUTER_MAX_SEGMENTS][ROUTER_MAX_PARAM_LEN + 1];
	size_t nseg = 0, i, best = (size_t)-1;
	unsigned long best_score = 0, score;
	const char *s, *e;
	const struct pattern *p;

	memset(m, 0, sizeof(*m));
	m->status = 400;
	if (path == NULL || path[0] != '/') {
		r = sp_err_reason(ei, SP_ERR_INVALID, "invalid_path", "path must start with '/'");
		goto out;
	}
	if (strlen(path) > ROUTER_MAX_PATH) {
		r = sp_err_reason(ei, SP_ERR_INVALID, "invalid_path", "path longer than %d bytes",
				  ROUTER_MAX_PATH);
		goto out;
	}
	/* "/" has no segments; "/a/" has two, the last one empty (never matches). */
	s = path + 1;
	if (*s != '\0') {
		for (;;) {
			size_t n, dn;
			e = strchr(s, '/');
			n = e ? (size_t)(e - s) : strlen(s);
			if (nseg == ROUTER_MAX_SEGMENTS) {
				r = sp_err_reason(ei, SP_ERR_INVALID, "invalid_path",
						  "more than %d path segments",
						  ROUTER_MAX_SEGMENTS);
				goto out;
			}
			if ((r = segment_decode(s, n, segs[nseg], ROUTER_MAX_PARAM_LEN, &dn, ei)) !=
			    SP_OK)
				goto out;
			nseg++;
			if (e == NULL)
				break;
			s = e + 1;
		}
	}
	for (i = 0; i < rt->npats; i++) {
		if (!pattern_matches(rt->pats[i], segs, nseg, &score))
			continue;
		if (best == (size_t)-1 || score > best_score) {
			best = i;
			best_score = score;
		}
	}
	m->status = 404;
	if (best == (size_t)-1) {
		r = SP_OK;
		goto out;
	}
	for (i = 0; i < rt->nroutes; i++) {
		if (rt->routes[i].pat_idx != best)
			continue;
		m->allow |= rt->routes[i].methods;
		m->named = &rt->routes[i];
		if (rt->routes[i].methods & method)
			m->route = &rt->routes[i];
	}
	if (m->route == NULL) {
		m->status = 405;
		r = SP_OK;
		goto out;
	}
	p = rt->pats[best];
	for (i = 0; i < nseg; i++) {
		if (!p->segs[i].is_param)
			continue;
		m->params[m->nparams].name = p->segs[i].text;
		memcpy(m->params[m->nparams].value, segs[i], sizeof(segs[i]));
		m->nparams++;
	}
	m->status = 200;
	r = SP_OK;
out:
	return r;
}
