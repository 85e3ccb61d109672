/*
 * text_find.c: the public text locator: a page's text as UTF-8, and the
 * keyword search over each page's extracted characters (KMP on code points
 * with white space removed, so gaps and line breaks inside an occurrence
 * do not hide it, and CJK radicals folded to their ideographs: text_fold.c).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "text_int.h"

static int
is_space(uint32_t c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == 0xA0 || c == 0x3000 ||
	       c == 0x2002 || c == 0x2003 || c == 0x2009 || c == 0x200B || c == 0xFEFF;
}

/* Strict UTF-8 to code points; -1 on malformed input. */
static int
utf8_decode(const char *s, uint32_t *out, size_t max, size_t *n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t k = 0;

	while (*p) {
		uint32_t c;
		int extra, i;
		if (*p < 0x80) {
			c = *p;
			extra = 0;
		} else if ((*p & 0xE0) == 0xC0) {
			c = *p & 0x1F;
			extra = 1;
		} else if ((*p & 0xF0) == 0xE0) {
			c = *p & 0x0F;
			extra = 2;
		} else if ((*p & 0xF8) == 0xF0) {
			c = *p & 0x07;
			extra = 3;
		} else {
			return -1;
		}
		p++;
		for (i = 0; i < extra; i++, p++) {
			if ((*p & 0xC0) != 0x80)
				return -1;
			c = c << 6 | (*p & 0x3F);
		}
		if ((extra == 1 && c < 0x80) || (extra == 2 && c < 0x800) ||
		    (extra == 3 && c < 0x10000) || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
			return -1;
		if (k >= max)
			return -1;
		out[k++] = c;
	}
	*n = k;
	return 0;
}

static size_t
utf8_encode(uint32_t c, char *o)
{
	if (c < 0x80) {
		o[0] = (char)c;
		return 1;
	}
	if (c < 0x800) {
		o[0] = (char)(0xC0 | c >> 6);
		o[1] = (char)(0x80 | (c & 0x3F));
		return 2;
	}
	if (c < 0x10000) {
		if (c >= 0xD800 && c <= 0xDFFF)
			c = 0xFFFD;
		o[0] = (char)(0xE0 | c >> 12);
		o[1] = (char)(0x80 | (c >> 6 & 0x3F));
		o[2] = (char)(0x80 | (c & 0x3F));
		return 3;
	}
	if (c > 0x10FFFF)
		return utf8_encode(0xFFFD, o);
	o[0] = (char)(0xF0 | c >> 18);
	o[1] = (char)(0x80 | (c >> 12 & 0x3F));
	o[2] = (char)(0x80 | (c >> 6 & 0x3F));
	o[3] = (char)(0x80 | (c & 0x3F));
	return 4;
}

int
pdf_page_text(struct pdf_doc *doc, int page, char **utf8, size_t *len, struct sp_errinfo *ei)
{
	int r = SP_ERR_INTERNAL;
	struct text_page tp = { 0 };
	struct sp_buf b;
	size_t i, n;
	char u[4];

	*utf8 = NULL;
	*len = 0;
	sp_buf_init(&b, (size_t)TEXT_MAX_CHARS * 5);
	if ((r = text_page_extract(doc, page, &tp, ei)) != SP_OK)
		goto out;
	for (i = 0; i < tp.n; i++) {
		const struct text_char *c = &tp.c[i];
		if (i > 0 && c->line != tp.c[i - 1].line) {
			r = sp_buf_add(&b, "\n", 1);
		} else if (i > 0 && !is_space(c->cp) && !is_space(tp.c[i - 1].cp)) {
			/* a visible gap between glyphs reads as a space */
			double h = fmax(c->y1 - c->y0, c->x1 - c->x0);
			double gap = fmax(c->x0 - tp.c[i - 1].x1, c->y0 - tp.c[i - 1].y1);
			if (gap > 0.25 * h && (gap < 1e6))
				r = sp_buf_add(&b, " ", 1);
		}
		n = utf8_encode(c->cp, u);
		if (r != SP_OK || (r = sp_buf_add(&b, u, n)) != SP_OK) {
			r = sp_err(ei, r, "page text too large");
			goto out;
		}
	}
	*utf8 = (char *)sp_buf_take(&b, len);
	if (!*utf8 && !(*utf8 = calloc(1, 1))) {
		r = sp_err(ei, SP_ERR_NOMEM, "text: out of memory");
		goto out;
	}
	r = SP_OK;
out:
	sp_buf_cleanup(&b);
	text_page_cleanup(&tp);
	return r;
}

static int
add_hit(struct pdf_text_hit **hits, size_t *n, size_t *cap, int page, const struct text_page *tp,
	const size_t *idx, size_t from, size_t count, struct sp_errinfo *ei)
{
	struct pdf_text_hit h = { page, HUGE_VAL, HUGE_VAL, -HUGE_VAL, -HUGE_VAL };
	int line = tp->c[idx[from]].line;
	size_t i;

	for (i = from; i < from + count; i++) {
		const struct text_char *c = &tp->c[idx[i]];
		if (c->line != line)
			break; /* the part on the first line */
		h.x0 = fmin(h.x0, c->x0);
		h.y0 = fmin(h.y0, c->y0);
		h.x1 = fmax(h.x1, c->x1);
		h.y1 = fmax(h.y1, c->y1);
	}
	/* zero-width glyphs (a font without widths): keep x0 < x1, y0 < y1 */
	if (h.x1 - h.x0 < 0.01)
		h.x1 = h.x0 + 0.01;
	if (h.y1 - h.y0 < 0.01)
		h.y1 = h.y0 + 0.01;
	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 16;
		struct pdf_text_hit *nh = realloc(*hits, ncap * sizeof(*nh));
		if (!nh)
			return sp_err(ei, SP_ERR_NOMEM, "text: out of memory");
		*hits = nh;
		*cap = ncap;
	}
	(*hits)[(*n)++] = h;
	return SP_OK;
}

/* One needle of a search: folded, white space removed, with its KMP failure function. */
struct needle {
	uint32_t nd[TEXT_MAX_NEEDLE];
	int fail[TEXT_MAX_NEEDLE];
	size_t nn, cap;
	int active; /* still searched: prepared, and no error ended it */
};

static int
needle_prepare(struct pdf_doc *doc, const char *needle_utf8, struct needle *s,
	       struct sp_errinfo *ei)
{
	uint32_t raw[TEXT_MAX_NEEDLE];
	size_t nraw = 0, i, k;

	if (!doc || !needle_utf8)
		return sp_err(ei, SP_ERR_INVALID, "no document or needle");
	if (strlen(needle_utf8) > TEXT_MAX_NEEDLE)
		return sp_err(ei, SP_ERR_INVALID, "keyword longer than %d bytes", TEXT_MAX_NEEDLE);
	if (utf8_decode(needle_utf8, raw, TEXT_MAX_NEEDLE, &nraw) != 0)
		return sp_err(ei, SP_ERR_INVALID, "keyword is not valid UTF-8");
	/* radicals and strokes match the ideograph they stand for, both ways */
	for (i = 0, s->nn = 0; i < nraw; i++)
		if (!is_space(raw[i]))
			s->nd[s->nn++] = text_fold(raw[i]);
	if (s->nn == 0)
		return sp_err(ei, SP_ERR_INVALID, "empty keyword");
	/* KMP failure function */
	s->fail[0] = 0;
	for (i = 1, k = 0; i < s->nn; i++) {
		while (k > 0 && s->nd[i] != s->nd[k])
			k = (size_t)s->fail[k - 1];
		if (s->nd[i] == s->nd[k])
			k++;
		s->fail[i] = (int)k;
	}
	s->active = 1;
	return SP_OK;
}

/* Needle i's search ends with error r (ei holds it): nothing of it is returned. */
static void
found_fail(struct pdf_text_found *f, struct needle *s, int r, const struct sp_errinfo *ei)
{
	f->rc = r;
	if (ei != NULL)
		f->ei = *ei;
	free(f->hits);
	f->hits = NULL;
	f->nhits = 0;
	s->active = 0;
}

int
pdf_text_find_many(struct pdf_doc *doc, const char *const *needles, size_t n,
		   struct pdf_text_found *out, struct sp_errinfo *ei)
{
	int r = SP_ERR_INTERNAL, page;
	size_t i, j, k, nidx, active = 0;
	struct needle *s = NULL;
	struct text_budget budget = { 0, 0 };
	struct text_page tp = { 0 };
	struct sp_errinfo pei;
	size_t *idx = NULL;

	for (j = 0; j < n; j++) {
		memset(&out[j], 0, sizeof(out[j]));
		sp_errinfo_init(&out[j].ei);
	}
	if (n > 0 && !(s = calloc(n, sizeof(*s))))
		return sp_err(ei, SP_ERR_NOMEM, "text: out of memory");
	for (j = 0; j < n; j++)
		if ((out[j].rc = needle_prepare(doc, needles[j], &s[j], &out[j].ei)) == SP_OK)
			active++;
	tp.budget = &budget; /* the document's: every needle is searched in the same pass */
	for (page = 1; active > 0 && page <= doc->npages; page++) {
		text_page_cleanup(&tp);
		sp_errinfo_init(&pei);
		if ((r = text_page_extract(doc, page, &tp, &pei)) != SP_OK) {
			for (j = 0; j < n; j++)
				if (s[j].active)
					found_fail(&out[j], &s[j], r, &pei);
			break;
		}
		free(idx);
		if (!(idx = malloc((tp.n + 1) * sizeof(*idx)))) {
			sp_errinfo_init(&pei);
			r = sp_err(&pei, SP_ERR_NOMEM, "text: out of memory");
			for (j = 0; j < n; j++)
				if (s[j].active)
					found_fail(&out[j], &s[j], r, &pei);
			break;
		}
		for (i = 0, nidx = 0; i < tp.n; i++)
			if (!is_space(tp.c[i].cp))
				idx[nidx++] = i;
		for (j = 0; j < n; j++) {
			struct needle *nd = &s[j];
			struct pdf_text_found *f = &out[j];
			for (i = 0, k = 0; nd->active && i < nidx; i++) {
				uint32_t c = text_fold(tp.c[idx[i]].cp);
				while (k > 0 && c != nd->nd[k])
					k = (size_t)nd->fail[k - 1];
				if (c == nd->nd[k])
					k++;
				if (k != nd->nn)
					continue;
				sp_errinfo_init(&pei);
				if (f->nhits >= TEXT_MAX_HITS) {
					r = sp_err_reason(&pei, SP_ERR_LIMIT, "pdf_limit",
							  "the keyword occurs more than %d times; "
							  "give a longer keyword",
							  TEXT_MAX_HITS);
					found_fail(f, nd, r, &pei);
				} else if ((r = add_hit(&f->hits, &f->nhits, &nd->cap, page, &tp,
							idx, i + 1 - nd->nn, nd->nn, &pei)) !=
					   SP_OK) {
					found_fail(f, nd, r, &pei);
				}
				k = 0; /* occurrences do not overlap */
			}
		}
		for (j = 0, active = 0; j < n; j++)
			active += (size_t)s[j].active;
	}
	free(idx);
	free(s);
	text_page_cleanup(&tp);
	return SP_OK;
}

int
pdf_text_find(struct pdf_doc *doc, const char *needle_utf8, struct pdf_text_hit **hits,
	      size_t *nhits, struct sp_errinfo *ei)
{
	struct pdf_text_found f;
	int r;

	*hits = NULL;
	*nhits = 0;
	if ((r = pdf_text_find_many(doc, &needle_utf8, 1, &f, ei)) != SP_OK)
		return r;
	if (f.rc != SP_OK) {
		if (ei != NULL && ei->code == SP_OK)
			*ei = f.ei;
		return f.rc;
	}
	*hits = f.hits;
	*nhits = f.nhits;
	return SP_OK;
}
