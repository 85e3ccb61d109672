/*
 * date_font.c: the date stamp's font, a Type 3 font of our own (ISO 32000-2
 * §9.6.4) written into the update: "0" to "9" and "-" drawn as stroked
 * outlines, at Helvetica's widths (556 and 333 thousandths of an em, as
 * pdf_date_stamp_size() measures the stamp). The stamp named Helvetica, one
 * of the standard 14 fonts, which a file does not embed: PDF/A forbids that
 * (ISO 19005-2 §6.2.11.4.1: a signed PDF/A-2b contract was no longer one
 * after its first date stamp), and each viewer drew it with a font of its
 * own. A Type 3 font is its own program, in the file. The date stays text:
 * its glyphs have the standard names, from which readers (pdftotext) take
 * the characters.
 *
 * Every signer of a contract wrote the same font again (one object and a
 * stream per glyph: 6 to 9 of the some 16 objects a signature adds, each
 * read again by every later verification of the file). A date stamp now
 * draws with the font an earlier update wrote when, where the file's
 * cross-reference chain places them, its objects are byte for byte the ones
 * this update would write: whatever an earlier update put there (another
 * tool's, a hostile upload's), our date draws as our own font draws it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pdf_int.h"

/* the glyphs' centre lines in a 1000-unit em, stroked 80 units wide, round ends */
static const struct {
	char c;
	const char *name, *path;
} glyphs[] = {
	{ '-', "hyphen", "75 277 m 258 277 l" },
	{ '0', "zero",
	  "441 358 m 441 531 368 671 278 671 c 188 671 115 531 115 358 c 115 185 188 45 "
	  "278 45 c 368 45 441 185 441 358 c h" },
	{ '1', "one", "160 540 m 230 575 285 615 305 671 c 305 45 l" },
	{ '2', "two",
	  "122 505 m 122 610 190 671 280 671 c 370 671 434 610 434 522 c 434 425 350 375 "
	  "265 320 c 175 262 120 190 118 45 c 441 45 l" },
	{ '3', "three",
	  "128 565 m 145 635 205 671 280 671 c 365 671 425 620 425 535 c 425 440 355 385 250 385 c "
	  "250 385 m 370 385 441 325 441 220 c 441 110 365 45 278 45 c 190 45 130 90 115 165 c" },
	{ '4', "four", "375 45 m 375 671 l 110 215 l 455 215 l" },
	{ '5', "five",
	  "425 671 m 165 671 l 138 395 l 180 433 230 452 288 452 c 383 452 441 378 441 258 "
	  "c 441 128 370 45 272 45 c 190 45 133 92 116 165 c" },
	{ '6', "six",
	  "441 230 m 441 332 368 415 278 415 c 188 415 115 332 115 230 c 115 128 188 45 278 "
	  "45 c 368 45 441 128 441 230 c h 425 575 m 405 635 355 671 290 671 c 175 671 115 "
	  "540 115 330 c 115 230 l" },
	{ '7', "seven", "115 671 m 441 671 l 335 520 255 330 228 45 c" },
	{ '8', "eight",
	  "421 523 m 421 605 357 671 278 671 c 199 671 135 605 135 523 c 135 441 199 375 "
	  "278 375 c 357 375 421 441 421 523 c h 441 207 m 441 296 368 369 278 369 c 188 "
	  "369 115 296 115 207 c 115 118 188 45 278 45 c 368 45 441 118 441 207 c h" },
	{ '9', "nine",
	  "441 486 m 441 588 368 671 278 671 c 188 671 115 588 115 486 c 115 384 188 301 "
	  "278 301 c 368 301 441 384 441 486 c h 131 141 m 151 81 201 45 266 45 c 381 45 "
	  "441 176 441 386 c 441 486 l" },
};

#define NGLYPHS (sizeof(glyphs) / sizeof(glyphs[0]))

/*
 * The font for the glyphs text draws into w: a stream per glyph, then the
 * font. procs[i] and font are the object numbers, each 0 to be allocated
 * here (procs[i] stays 0 for a glyph text does not draw). The font's
 * number, or < 0.
 */
static int
emit(struct pdfw *w, const char *text, int procs[NGLYPHS], int font, struct sp_errinfo *ei)
{
	char body[512];
	size_t i;
	int r;

	for (i = 0; i < NGLYPHS; i++) {
		/* the glyphs the date draws, no more: each is an object every later
		   verification of the update reads (a date has five to eight of the eleven) */
		if (strchr(text, glyphs[i].c) == NULL) {
			procs[i] = 0;
			continue;
		}
		/* d0: the stroke is the text's colour (the stamp sets RG before it) */
		int n = snprintf(body, sizeof(body), "%d 0 d0 80 w 1 J 1 j %s S",
				 i == 0 ? 333 : 556, glyphs[i].path);

		if (n < 0 || (size_t)n >= sizeof(body))
			return sp_err(ei, SP_ERR_INTERNAL, "date glyph too long");
		if (procs[i] == 0)
			procs[i] = pdfw_alloc(w);
		if ((r = pdfw_stream(w, procs[i], "", (const unsigned char *)body, (size_t)n, ei)) <
		    0)
			return r;
	}
	if (font == 0)
		font = pdfw_alloc(w);
	if ((r = pdfw_begin(w, font, 0, ei)) < 0)
		return r;
	/* codes 45 ("-") to 57 ("9"); "." and "/" are not drawn */
	if (sp_buf_addstr(&w->b,
			  "<</Type /Font /Subtype /Type3 /FontBBox [0 0 556 720] "
			  "/FontMatrix [0.001 0 0 0.001 0 0] /FirstChar 45 /LastChar 57 "
			  "/Widths [333 0 0 556 556 556 556 556 556 556 556 556 556] "
			  "/Encoding <</Type /Encoding /Differences [45 /hyphen 48 /zero /one "
			  "/two /three /four /five /six /seven /eight /nine]>> /Resources << >> "
			  "/CharProcs <<") < 0)
		return sp_err(ei, SP_ERR_TOO_LARGE, "incremental update too large");
	for (i = 0; i < NGLYPHS; i++)
		if (procs[i] > 0 &&
		    sp_buf_printf(&w->b, "/%s %d 0 R ", glyphs[i].name, procs[i]) < 0)
			return sp_err(ei, SP_ERR_TOO_LARGE, "incremental update too large");
	if (sp_buf_addstr(&w->b, ">>>>") < 0 || pdfw_end(w) < 0)
		return sp_err(ei, SP_ERR_TOO_LARGE, "incremental update too large");
	return font;
}

int
pdf_date_font_write(struct pdfw *w, const char *text, struct sp_errinfo *ei)
{
	int procs[NGLYPHS] = { 0 };

	return emit(w, text, procs, 0, ei);
}

/* A decimal object number at d[*p] (no sign, no leading zero), moved past; 0 when none. */
static int
objnum(const unsigned char *d, size_t len, size_t *p)
{
	long long v = 0;
	size_t s = *p;

	while (*p < len && *p - s < 10 && d[*p] >= '0' && d[*p] <= '9')
		v = v * 10 + (d[(*p)++] - '0');
	if (*p == s || d[s] == '0' || v > PDF_DOC_MAX_OBJECTS)
		return 0;
	return (int)v;
}

/* 1 when d[p..len) starts with s */
static int
at(const unsigned char *d, size_t len, size_t p, const char *s)
{
	size_t n = strlen(s);

	return p <= len && len - p >= n && memcmp(d + p, s, n) == 0;
}

/*
 * The glyph streams the font object at off (number font) names, into
 * procs[] by glyph (0: not named), read from its bytes as emit() writes
 * them: the numbers emit() is then asked to write it with, the comparison
 * deciding. 0, or -1 when the bytes are not so.
 */
static int
named_procs(const unsigned char *d, size_t len, size_t off, int font, int procs[NGLYPHS])
{
	static const char key[] = "/CharProcs <<";
	const unsigned char *k;
	size_t p = off, i, end = len - off < 2048 ? len : off + 2048;

	memset(procs, 0, NGLYPHS * sizeof(*procs));
	if (off >= len || objnum(d, len, &p) != font ||
	    !at(d, len, p, " 0 obj\n<</Type /Font /Subtype /Type3 ") ||
	    (k = memmem(d + p, end - p, key, sizeof(key) - 1)) == NULL)
		return -1;
	p = (size_t)(k - d) + sizeof(key) - 1;
	while (p < end && d[p] == '/') {
		for (i = 0; i < NGLYPHS; i++)
			if (at(d, end, p + 1, glyphs[i].name) &&
			    at(d, end, p + 1 + strlen(glyphs[i].name), " "))
				break;
		if (i == NGLYPHS || procs[i] != 0)
			return -1;
		p += 2 + strlen(glyphs[i].name);
		if ((procs[i] = objnum(d, end, &p)) == 0 || !at(d, end, p, " 0 R "))
			return -1;
		p += 5;
	}
	return 0;
}

/*
 * 1 when object font, where entries place it, is the font emit() writes for
 * text (with the glyph streams the font names), and each of those streams,
 * where entries place it, is the stream emit() writes: every byte from
 * "N 0 obj" to the line after "endobj" compared.
 */
static int
font_is_ours(const struct pdf_doc *doc, const void *entries, size_t elen, int font,
	     const char *text)
{
	int procs[NGLYPHS], ok = 0;
	struct sp_errinfo ign;
	struct pdfw w;
	size_t off, i, n;

	if (!pdf_xref_merged_place(entries, elen, font, 0, &off) ||
	    named_procs(doc->data, doc->len, off, font, procs) < 0)
		return 0;
	memset(&w, 0, sizeof(w));
	sp_buf_init(&w.b, 1 << 16);
	sp_errinfo_init(&ign);
	/* the objects as this update would write them under those numbers (plain: a file
	   whose streams are encrypted is not compared) */
	if (emit(&w, text, procs, font, &ign) != font)
		goto out;
	for (i = 0; i < w.nx; i++) {
		n = (i + 1 < w.nx ? w.x[i + 1].off : w.b.len) - w.x[i].off;
		if (!pdf_xref_merged_place(entries, elen, w.x[i].num, 0, &off) || off > doc->len ||
		    doc->len - off < n || memcmp(doc->data + off, w.b.data + w.x[i].off, n) != 0)
			goto out;
	}
	ok = 1;
out:
	pdfw_cleanup(&w);
	return ok;
}

/*
 * The object key names ("N 0 R>>" after it) in the object at off that
 * starts as head says (after "N") and holds key before stop: 0 when not so.
 */
static int
named_ref(const unsigned char *d, size_t len, size_t off, const char *head, const char *stop,
	  const char *key)
{
	const unsigned char *f, *e;
	size_t p = off, end = len - off < 512 ? len : off + 512;
	int n;

	if (objnum(d, end, &p) == 0 || !at(d, end, p, head) ||
	    (e = memmem(d + p, end - p, stop, strlen(stop))) == NULL ||
	    (f = memmem(d + p, (size_t)(e - d) - p, key, strlen(key))) == NULL)
		return 0;
	p = (size_t)(f - d) + strlen(key);
	if ((n = objnum(d, end, &p)) == 0 || !at(d, end, p, " 0 R>>"))
		return 0;
	return n;
}

/* The font a date appearance at off names ("/Font <</D0 N 0 R>>" in the dictionary of a
   form XObject, as sign_ap.c writes it), 0 when the object there is not one. */
static int
named_font(const unsigned char *d, size_t len, size_t off)
{
	return named_ref(d, len, off, " 0 obj\n<</Type /XObject /Subtype /Form /BBox [",
			 ">>\nstream\n", "/Font <</D0 ");
}

/* The appearance a widget at off names ("/AP <</N N 0 R>>" in a widget as sign.c writes
   it), 0 when the object there is not one. */
static int
named_ap(const unsigned char *d, size_t len, size_t off)
{
	return named_ref(d, len, off, " 0 obj\n<</Type /Annot /Subtype /Widget ", "\nendobj",
			 "/AP <</N ");
}

/* the newest objects of a file looked at for a date widget or appearance: more than
   one update writes (some 9 a signature, a long-term update's after it) */
#define RECENT_OBJS 64

int
pdf_date_font_find(struct pdf_doc *doc, const void *entries, size_t elen, const char *text, int *ap,
		   size_t *ap_off)
{
	struct pdf_revision *revs = NULL;
	void *mine = NULL;
	unsigned char *t = NULL;
	size_t nrevs = 0, tlen = 0, off, count, seen = 0, num;
	struct sp_errinfo ign;
	int font = 0, tried = 0, f, a;

	*ap = 0;
	*ap_off = 0;
	/* an encrypted file's streams are not the bytes emit() writes; offsets in a file with
	   bytes before its header count from the header */
	if (doc->crypt != NULL || doc->info.header > 0 || doc->info.damaged)
		return 0;
	sp_errinfo_init(&ign);
	if (entries == NULL) {
		if ((revs = malloc(PDF_REVISIONS_MAX * sizeof(*revs))) == NULL ||
		    pdf_revisions_find(doc->data, doc->len, revs, PDF_REVISIONS_MAX, &nrevs,
				       &ign) != SP_OK ||
		    pdf_xref_merged_ex(doc->data, doc->len, revs, nrevs, NULL, 0, 0, &t, &tlen,
				       &mine, &elen, &ign) != SP_OK)
			goto out;
		entries = mine;
	}
	/* the newest objects first (an update's numbers follow the file's): the date
	   appearance of the latest signature that drew one, written in its update or
	   named by its widget (an earlier update's, which may be far older) */
	count = pdf_xref_merged_count(elen);
	for (num = count; num-- > 1 && seen < RECENT_OBJS && font == 0;) {
		if (!pdf_xref_merged_place(entries, elen, (int)num, 0, &off) || off >= doc->len)
			continue;
		seen++;
		a = (int)num;
		if ((f = named_font(doc->data, doc->len, off)) == 0 &&
		    (a = named_ap(doc->data, doc->len, off)) > 0 &&
		    pdf_xref_merged_place(entries, elen, a, 0, &off) && off < doc->len)
			f = named_font(doc->data, doc->len, off);
		if (f == 0 || f == tried)
			continue;
		tried = f;
		if (font_is_ours(doc, entries, elen, f, text)) {
			font = f;
			*ap = a;
			*ap_off = off;
		}
	}
out:
	free(revs);
	free(t);
	free(mine);
	return font;
}

int
pdf_date_ap_is(const struct pdf_doc *doc, int num, size_t off, const char *dict,
	       const unsigned char *content, size_t len)
{
	struct sp_errinfo ign;
	struct pdfw w;
	int same;

	memset(&w, 0, sizeof(w));
	sp_buf_init(&w.b, 1 << 16);
	sp_errinfo_init(&ign);
	/* as sign_ap.c would write it under that number (plain: see pdf_date_font_find) */
	same = num > 0 && doc->crypt == NULL &&
	       pdfw_stream(&w, num, dict, content, len, &ign) == SP_OK && off < doc->len &&
	       doc->len - off >= w.b.len && memcmp(doc->data + off, w.b.data, w.b.len) == 0;
	pdfw_cleanup(&w);
	return same;
}
