/*
 * text_span.c: marked-content spans with /ActualText (ISO 32000-2
 * §14.9.4). A writer that shows glyphs whose codes do not read back as
 * its text (a font without /ToUnicode whose CIDs are its own, a ligature,
 * a glyph shared by a compatibility ideograph and its unified form) gives
 * the text in a span around them: "/Span <</ActualText (...)>> BDC ...
 * EMC". A reader is to take that text for the span's content; Word and
 * our own generated documents (gen_text.c) write them, and poppler's
 * pdftotext reads them. While a span is open the interpreter records one
 * character per glyph shown (its box, code point 0); when it closes, the
 * span's text takes their place, spread over their boxes in order.
 */
#include <stdlib.h>
#include <string.h>

#include "text_int.h"

/* A span's text longer than this is cut (one span is a word or a line). */
#define SPAN_MAX_CPS 4096

void
text_span_cleanup(struct text_span *sp)
{
	free(sp->cp);
	memset(sp, 0, sizeof(*sp));
}

/*
 * The text string s[0..len) (UTF-16BE or UTF-8 with their byte order
 * marks, else PDFDocEncoding: ISO 32000-2 §7.9.2.2) as code points in sp.
 * qpdf knows the three encodings: the bytes are read as its string object.
 */
static int
decode(struct pdf_doc *doc, const unsigned char *s, size_t len, struct text_span *sp,
       struct sp_errinfo *ei)
{
	qpdf_oh str = qpdf_oh_new_binary_string(doc->q, (const char *)s, len);
	const unsigned char *u = (const unsigned char *)qpdf_oh_get_utf8_value(doc->q, str);
	size_t n = u ? strlen((const char *)u) : 0, at = 0, k;
	uint32_t cp;
	int r = SP_ERR_INTERNAL;

	if (!(sp->cp = malloc((n < SPAN_MAX_CPS ? n : SPAN_MAX_CPS) * sizeof(*sp->cp) + 1))) {
		r = sp_err(ei, SP_ERR_NOMEM, "text: out of memory");
		goto out;
	}
	sp->ncp = 0;
	while (at < n && sp->ncp < SPAN_MAX_CPS) {
		k = sp_utf8_next(u + at, n - at, &cp);
		sp->cp[sp->ncp++] = k ? cp : 0xFFFD;
		at += k ? k : 1;
	}
	r = SP_OK;
out:
	qpdf_oh_release(doc->q, str);
	return r;
}

int
text_span_begin(struct pdf_doc *doc, struct text_span *sp, const struct text_page *tp, int depth,
		const unsigned char *s, size_t len, struct sp_errinfo *ei)
{
	int r;

	text_span_cleanup(sp);
	if ((r = decode(doc, s, len, sp, ei)) != SP_OK)
		return r;
	sp->open = 1;
	sp->depth = depth;
	sp->start = tp->n;
	return SP_OK;
}

int
text_span_begin_named(struct pdf_doc *doc, struct text_span *sp, const struct text_page *tp,
		      int depth, qpdf_oh res, const char *name, struct sp_errinfo *ei)
{
	qpdf_oh pl = tobj_resource(doc, res, "/Properties", name), at;
	const char *bin;
	size_t blen;
	int r = SP_OK;

	at = tobj_key(doc, pl, "/ActualText");
	if (qpdf_oh_is_string(doc->q, at) &&
	    (bin = qpdf_oh_get_binary_string_value(doc->q, at, &blen)) != NULL)
		r = text_span_begin(doc, sp, tp, depth, (const unsigned char *)bin, blen, ei);
	tobj_release(doc, at);
	tobj_release(doc, pl);
	return r;
}

int
text_span_end(struct text_span *sp, struct text_page *tp, struct sp_errinfo *ei)
{
	struct text_char *g = NULL;
	size_t k, i, a, b, j;
	double box[4];
	int r = SP_OK;

	if (!sp->open)
		return SP_OK;
	k = tp->n - sp->start;
	/* the glyphs' records give way to the text; a span that showed no glyph
	   (or a text of nothing: a hyphen that is not there) leaves no character */
	if (k > 0 && sp->ncp > 0) {
		if (!(g = malloc(k * sizeof(*g)))) {
			r = sp_err(ei, SP_ERR_NOMEM, "text: out of memory");
			goto out;
		}
		memcpy(g, tp->c + sp->start, k * sizeof(*g));
	}
	if (tp->budget != NULL)
		tp->budget->chars -= k;
	tp->n = sp->start;
	for (i = 0; g != NULL && i < sp->ncp; i++) {
		/* code point i of n over glyphs [a, b) of k: each glyph to one code
		   point at least, a ligature's box to each of its letters */
		a = i * k / sp->ncp;
		b = (i + 1) * k / sp->ncp;
		if (b <= a)
			b = a + 1;
		box[0] = g[a].x0, box[1] = g[a].y0, box[2] = g[a].x1, box[3] = g[a].y1;
		for (j = a + 1; j < b; j++) {
			box[0] = box[0] < g[j].x0 ? box[0] : g[j].x0;
			box[1] = box[1] < g[j].y0 ? box[1] : g[j].y0;
			box[2] = box[2] > g[j].x1 ? box[2] : g[j].x1;
			box[3] = box[3] > g[j].y1 ? box[3] : g[j].y1;
		}
		if ((r = text_page_push(tp, sp->cp[i], g[a].line, box, ei)) != SP_OK)
			goto out;
	}
out:
	free(g);
	text_span_cleanup(sp);
	return r;
}
