/*
 * xmp.c: what a document's XMP metadata packet says, read as XML. Whether it
 * is well-formed (XML 1.0 §2.1: one root element, every element closed in
 * order, attributes quoted, only the predefined and character references; an
 * XMP packet has no DTD, so one counts as not well-formed here), and the
 * PDF/A identification it claims (ISO 19005-2 §6.6.4: pdfaid:part and
 * pdfaid:conformance, as elements or attributes, under whatever prefix binds
 * the pdfaid namespace). The signing side asks the part to draw as PDF/A
 * asks (colour.c); the verifier asks both of an XMP packet an update writes
 * (diff.c: pyHanko's metadata rule refuses one that does not parse, and a
 * PDF/A file may not stop claiming what it claimed when it was signed).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pdf_int.h"

#define PDFAID_NS "http://www.aiim.org/pdfa/ns/id/"
#define XMP_DEPTH 256
#define XMP_ATTRS 64
#define XMP_NS 256

struct span {
	const char *p;
	size_t n;
};

struct xr {
	const char *p, *e;
	/* the namespace declarations in scope: prefix and URI, and the depth each came at */
	struct span pre[XMP_NS], uri[XMP_NS];
	int at[XMP_NS], nns;
	struct span open[XMP_DEPTH]; /* the open elements' names */
	int depth;
	struct pdf_xmp *out;
};

static int
name_start(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' || c == ':' ||
	       c >= 0x80;
}

static int
name_char(unsigned char c)
{
	return name_start(c) || (c >= '0' && c <= '9') || c == '-' || c == '.';
}

static int
space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static void
skip_space(struct xr *x)
{
	while (x->p < x->e && space((unsigned char)*x->p))
		x->p++;
}

static int
name(struct xr *x, struct span *s)
{
	s->p = x->p;
	if (x->p == x->e || !name_start((unsigned char)*x->p))
		return 0;
	while (x->p < x->e && name_char((unsigned char)*x->p))
		x->p++;
	s->n = (size_t)(x->p - s->p);
	return 1;
}

/* Character data p[0..n) holds no '<' and only well-formed references. */
static int
chardata_ok(const char *p, size_t n)
{
	const char *e = p + n, *s;
	int hex;

	for (; p < e; p++) {
		if (*p == '<')
			return 0;
		if (*p != '&')
			continue;
		s = memchr(p, ';', (size_t)(e - p));
		if (!s)
			return 0;
		if ((s - p == 3 && (!memcmp(p, "&lt", 3) || !memcmp(p, "&gt", 3))) ||
		    (s - p == 4 && !memcmp(p, "&amp", 4)) ||
		    (s - p == 5 && (!memcmp(p, "&quot", 5) || !memcmp(p, "&apos", 5)))) {
			p = s;
			continue;
		}
		/* &#DIGITS; or &#xHEX; */
		if (s - p < 3 || p[1] != '#')
			return 0;
		hex = p[2] == 'x';
		for (p += 2 + hex; p < s; p++)
			if (!isdigit((unsigned char)*p) && !(hex && isxdigit((unsigned char)*p)))
				return 0;
		if (s[-1] == 'x' || s[-1] == '#')
			return 0;
	}
	return 1;
}

static int
span_is(struct span s, const char *z)
{
	return s.n == strlen(z) && !memcmp(s.p, z, s.n);
}

/* Whether qualified name q is pdfaid's local (its prefix bound to the namespace in scope). */
static int
is_pdfaid(const struct xr *x, struct span q, const char *local)
{
	const char *c = memchr(q.p, ':', q.n);
	struct span pre;
	int i;

	if (!c || (size_t)(q.p + q.n - c - 1) != strlen(local) ||
	    memcmp(c + 1, local, strlen(local)))
		return 0;
	pre.p = q.p;
	pre.n = (size_t)(c - q.p);
	for (i = x->nns - 1; i >= 0; i--)
		if (x->pre[i].n == pre.n && !memcmp(x->pre[i].p, pre.p, pre.n))
			return span_is(x->uri[i], PDFAID_NS);
	return 0;
}

/* A claim's value: the part's number, the conformance's letters. */
static void
claim(struct pdf_xmp *o, int part, const char *v, size_t n)
{
	size_t i;

	while (n > 0 && space((unsigned char)*v))
		v++, n--;
	while (n > 0 && space((unsigned char)v[n - 1]))
		n--;
	if (part) {
		o->part = 0;
		for (i = 0; i < n && i < 3 && v[i] >= '0' && v[i] <= '9'; i++)
			o->part = o->part * 10 + (v[i] - '0');
		if (i != n)
			o->part = -1; /* claimed, but not a part number */
	} else if (n < sizeof(o->conformance)) {
		memcpy(o->conformance, v, n);
		o->conformance[n] = '\0';
	} else {
		snprintf(o->conformance, sizeof(o->conformance), "?");
	}
}

/* "<name attrs (/>|>)" from just past '<'; 1 when well-formed. */
static int
start_tag(struct xr *x, int *claimed)
{
	struct span el, an[XMP_ATTRS], av[XMP_ATTRS];
	int na = 0, i, nns0 = x->nns;
	char quote;

	*claimed = 0;
	if (!name(x, &el) || x->depth >= XMP_DEPTH)
		return 0;
	for (;;) {
		const char *before = x->p;

		skip_space(x);
		if (x->p == x->e)
			return 0;
		if (*x->p == '>' || *x->p == '/')
			break;
		if (x->p == before || na == XMP_ATTRS || !name(x, &an[na]))
			return 0;
		skip_space(x);
		if (x->p == x->e || *x->p++ != '=')
			return 0;
		skip_space(x);
		if (x->p == x->e || (*x->p != '"' && *x->p != '\''))
			return 0;
		quote = *x->p++;
		av[na].p = x->p;
		while (x->p < x->e && *x->p != quote)
			x->p++;
		if (x->p == x->e)
			return 0;
		av[na].n = (size_t)(x->p - av[na].p);
		x->p++;
		if (!chardata_ok(av[na].p, av[na].n))
			return 0;
		/* a declaration binds for this element and inside it */
		if (an[na].n > 6 && !memcmp(an[na].p, "xmlns:", 6)) {
			if (x->nns == XMP_NS)
				return 0;
			x->pre[x->nns] = (struct span){ an[na].p + 6, an[na].n - 6 };
			x->uri[x->nns] = av[na];
			x->at[x->nns++] = x->depth + 1;
		}
		na++;
	}
	for (i = 0; i < na; i++)
		if (is_pdfaid(x, an[i], "part"))
			claim(x->out, 1, av[i].p, av[i].n);
		else if (is_pdfaid(x, an[i], "conformance"))
			claim(x->out, 0, av[i].p, av[i].n);
	if (*x->p == '/') {
		if (++x->p == x->e || *x->p++ != '>')
			return 0;
		x->nns = nns0; /* closed at once: its declarations end with it */
		return 1;
	}
	x->p++;
	x->open[x->depth++] = el;
	*claimed = is_pdfaid(x, el, "part") ? 1 : is_pdfaid(x, el, "conformance") ? 2 : 0;
	return 1;
}

void
pdf_xmp_read(const unsigned char *data, size_t n, struct pdf_xmp *out)
{
	struct xr *x = calloc(1, sizeof(*x));
	const char *t, *text = NULL;
	struct span el;
	int roots = 0, claimed = 0, c;

	memset(out, 0, sizeof(*out));
	if (!x)
		return; /* not read: not well-formed, claims nothing */
	x->p = (const char *)data;
	x->e = x->p + n;
	x->out = out;
	if (n >= 3 && !memcmp(x->p, "\xEF\xBB\xBF", 3))
		x->p += 3;
	while (x->p < x->e) {
		t = memchr(x->p, '<', (size_t)(x->e - x->p));
		if (!t)
			t = x->e;
		/* text: inside the root, or white space outside it */
		if (!chardata_ok(x->p, (size_t)(t - x->p)))
			goto out;
		if (x->depth == 0)
			for (; x->p < t; x->p++)
				if (!space((unsigned char)*x->p))
					goto out;
		x->p = t;
		if (x->p == x->e)
			break;
		if (x->e - x->p >= 4 && !memcmp(x->p, "<!--", 4)) {
			if (!(t = memmem(x->p + 4, (size_t)(x->e - x->p - 4), "-->", 3)))
				goto out;
			x->p = t + 3;
		} else if (x->e - x->p >= 2 && !memcmp(x->p, "<?", 2)) {
			if (!(t = memmem(x->p + 2, (size_t)(x->e - x->p - 2), "?>", 2)))
				goto out;
			x->p = t + 2;
		} else if (x->e - x->p >= 9 && !memcmp(x->p, "<![CDATA[", 9) && x->depth > 0) {
			if (!(t = memmem(x->p + 9, (size_t)(x->e - x->p - 9), "]]>", 3)))
				goto out;
			x->p = t + 3;
		} else if (x->e - x->p >= 2 && !memcmp(x->p, "</", 2)) {
			x->p += 2;
			if (x->depth == 0 || !name(x, &el) || el.n != x->open[x->depth - 1].n ||
			    memcmp(el.p, x->open[x->depth - 1].p, el.n))
				goto out;
			skip_space(x);
			if (x->p == x->e || *x->p++ != '>')
				goto out;
			/* the claim's text: from its start tag to here */
			if (claimed && text)
				claim(out, claimed == 1, text, (size_t)(el.p - 2 - text));
			claimed = 0;
			text = NULL;
			x->depth--;
			while (x->nns > 0 && x->at[x->nns - 1] > x->depth)
				x->nns--;
		} else {
			/* a start tag (a DTD, or anything else after '<', is not XMP's) */
			x->p++;
			if (x->depth == 0 && roots++ > 0)
				goto out;
			if (!start_tag(x, &c))
				goto out;
			if (c) {
				claimed = c;
				text = x->p;
			}
		}
	}
	out->wellformed = roots == 1 && x->depth == 0;
out:
	if (!out->wellformed)
		out->part = 0, out->conformance[0] = '\0';
	free(x);
}

int
pdf_xmp_of(qpdf_data q, qpdf_oh h, struct pdf_xmp *out, int *filtered)
{
	qpdf_oh dict, len;
	unsigned char *buf = NULL;
	size_t n = 0;
	int f = 0;

	memset(out, 0, sizeof(*out));
	*filtered = 0;
	if (!qpdf_oh_is_stream(q, h))
		return 0;
	dict = qpdf_oh_get_dict(q, h);
	len = qpdf_oh_get_key(q, dict, "/Length");
	*filtered = qpdf_oh_has_key(q, dict, "/Filter");
	/* the encoded length bounds what is read; a filter's output is bounded after */
	if (!qpdf_oh_is_integer(q, len) || qpdf_oh_get_int_value(q, len) > PDF_XMP_MAX ||
	    qpdf_oh_get_stream_data(q, h, *filtered ? qpdf_dl_generalized : qpdf_dl_none, &f, &buf,
				    &n) != QPDF_SUCCESS ||
	    (*filtered && !f) || n > (size_t)PDF_XMP_MAX) {
		(void)qpdf_get_error(q); /* ours: the document's reading goes on as before */
		free(buf);
		return -1;
	}
	pdf_xmp_read(buf, n, out);
	free(buf);
	return 1;
}

/* "PDF/A-2B": the claim x makes, into out (n bytes); "" when none. */
static void
claim_name(const struct pdf_xmp *x, char *out, size_t n)
{
	if (x->part == 0 && !x->conformance[0])
		snprintf(out, n, "%s", "");
	else if (x->part > 0)
		snprintf(out, n, "PDF/A-%d%s", x->part, x->conformance);
	else
		snprintf(out, n, "PDF/A-?%s", x->conformance);
}

int
pdf_xmp_judge(qpdf_data qo, qpdf_oh old, qpdf_data qn, qpdf_oh nw, char *what, size_t n)
{
	struct pdf_xmp xo, xn;
	int fo, fn, ro = pdf_xmp_of(qo, old, &xo, &fo), rn = pdf_xmp_of(qn, nw, &xn, &fn);
	char co[24], cn[24];

	/* what the signed revision claimed: read as PDF/A readers read it, unfiltered */
	if (ro != 1 || fo)
		xo.part = 0, xo.conformance[0] = '\0';
	claim_name(&xo, co, sizeof(co));
	claim_name(&xn, cn, sizeof(cn));
	if (rn == 0 && co[0]) {
		snprintf(what, n, "XMP metadata removed: the document no longer claims %s", co);
		return 0;
	}
	if (rn == 0) {
		snprintf(what, n, "XMP metadata removed");
		return 1;
	}
	if (rn < 0 || !xn.wellformed) {
		snprintf(what, n, "XMP metadata that is not well-formed XML");
		return 0;
	}
	if (co[0] && (fn || strcmp(co, cn))) {
		snprintf(what, n, "XMP metadata: the document claims %s%s instead of %s",
			 cn[0] ? cn : "no PDF/A conformance", fn ? " (in a compressed packet)" : "",
			 co);
		return 0;
	}
	if (co[0])
		snprintf(what, n, "XMP metadata (still claiming %s)", co);
	else
		snprintf(what, n, "XMP metadata");
	return 1;
}
