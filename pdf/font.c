/*
 * font.c: what the text locator needs from a font: how to split a shown
 * string into codes, each code's Unicode and its advance width, and the
 * ascent/descent for glyph boxes. Simple fonts (Type1, TrueType, Type3,
 * best effort for the latter) use their encoding (Standard, WinAnsi,
 * MacRoman, /Differences) and /Widths or the standard-14 metrics; Type0
 * fonts use Identity-H/V, a predefined CJK CMap (poppler-data's, e.g.
 * GBK-EUC-H: cmap_sys.c) or an embedded CMap, and /W and /DW. /ToUnicode,
 * when present, wins for Unicode; without it a Uni*-UCS2/UTF16 code is its
 * Unicode, and a CID of Adobe's collections (through a predefined CMap, or
 * Identity with a font not embedded) is its collection table's.
 * Vertical writing (Identity-V, a predefined -V CMap, an embedded CMap with
 * /WMode 1) has each glyph's /W2 or /DW2 metrics for text.c's columns.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text_int.h"

#define FONT_MAX_W_ITEMS 200000 /* /W array items we read */

static int
glyph_cmp(const void *k, const void *e)
{
	return strcmp(k, ((const struct font_glyph *)e)->name);
}

static const struct font_glyph *
glyph_find(const char *name)
{
	return bsearch(name, font_glyphs, font_nglyphs, sizeof(font_glyphs[0]), glyph_cmp);
}

static uint32_t
hex_run(const char *s, size_t n)
{
	uint32_t v = 0;
	size_t i;
	int d;

	for (i = 0; i < n; i++) {
		if ((d = sp_hex_val((unsigned char)s[i])) < 0)
			return 0;
		v = v << 4 | (uint32_t)d;
	}
	return v;
}

uint32_t
font_glyph_unicode(const char *name)
{
	const struct font_glyph *g;
	char base[64];
	size_t n;
	uint32_t v;

	/* "a.sc", "A.alt": the part before the dot names the character */
	n = strcspn(name, ".");
	if (n == 0 || n >= sizeof(base))
		return 0;
	memcpy(base, name, n);
	base[n] = '\0';
	if ((g = glyph_find(base)))
		return g->uni;
	if (n >= 7 && memcmp(base, "uni", 3) == 0 && (v = hex_run(base + 3, 4)) &&
	    (v < 0xD800 || v > 0xDFFF))
		return v;
	if (n >= 5 && n <= 7 && base[0] == 'u' && (v = hex_run(base + 1, n - 1)) && v <= 0x10FFFF &&
	    (v < 0xD800 || v > 0xDFFF))
		return v;
	return 0;
}

void
font_free(struct font *f)
{
	if (!f)
		return;
	cmap_free(f->tounicode);
	cmap_free(f->encoding);
	free(f->cidw2);
	free(f->cidw);
	free(f);
}

/* A CMap from a stream entry; a broken one is ignored (the font falls back). */
static void
load_cmap(struct pdf_doc *doc, qpdf_oh s, struct cmap **out)
{
	unsigned char *data = NULL;
	size_t len = 0;

	*out = NULL;
	if (text_stream_data(doc, s, &data, &len, NULL) == SP_OK &&
	    cmap_parse(data, len, out, NULL) != SP_OK)
		*out = NULL;
	free(data);
}

/* Standard-14 metrics column by base font name, -1 when not one of them, -2 Courier. */
static int
std14_column(const char *base)
{
	int bold = strstr(base, "Bold") != NULL;
	int ital = strstr(base, "Italic") != NULL || strstr(base, "Oblique") != NULL;

	if (strncmp(base, "Courier", 7) == 0)
		return -2;
	if (strncmp(base, "Helvetica", 9) == 0 || strncmp(base, "Arial", 5) == 0)
		return bold ? 1 : 0;
	if (strncmp(base, "Times", 5) == 0)
		return bold ? (ital ? 5 : 3) : (ital ? 4 : 2);
	return -1;
}

/* /Differences: [code name name ... code name ...]; names[] gets glyph indexes, uni[] code points. */
static void
apply_differences(struct pdf_doc *doc, qpdf_oh diffs, short *names, uint32_t *uni,
		  unsigned char *set)
{
	int n, i, code = -1;

	if (!qpdf_oh_is_array(doc->q, diffs))
		return;
	n = qpdf_oh_get_array_n_items(doc->q, diffs);
	if (n > 4096)
		n = 4096;
	for (i = 0; i < n; i++) {
		qpdf_oh it = qpdf_oh_get_array_item(doc->q, diffs, i);
		if (qpdf_oh_is_number(doc->q, it)) {
			double v = qpdf_oh_get_numeric_value(doc->q, it);
			code = v >= 0 && v < 256 ? (int)v : -1;
		} else if (qpdf_oh_is_name(doc->q, it) && code >= 0 && code < 256) {
			const char *nm = qpdf_oh_get_name(doc->q, it);
			const struct font_glyph *g;
			if (nm && nm[0] == '/')
				nm++;
			g = nm ? glyph_find(nm) : NULL;
			/* NOLINTNEXTLINE(bugprone-narrowing-conversions): font_glyphs has some 250 entries */
			names[code] = g ? (short)(g - font_glyphs) : -1;
			uni[code] = nm ? font_glyph_unicode(nm) : 0;
			set[code] = 1;
			code++;
		}
		qpdf_oh_release(doc->q, it);
	}
}

static void
load_simple(struct pdf_doc *doc, qpdf_oh fd, struct font *f, const char *subtype, const char *base)
{
	qpdf_oh enc = tobj_key(doc, fd, "/Encoding"), widths, diffs = 0;
	const short *basetab = font_enc_standard;
	short names[256];
	uint32_t over[256];
	unsigned char set[256];
	char nm[64];
	int col = std14_column(base), c, first;

	memset(set, 0, sizeof(set));
	memset(over, 0, sizeof(over));
	if (strcmp(subtype, "TrueType") == 0)
		basetab = font_enc_winansi;
	if (qpdf_oh_is_name(doc->q, enc) || qpdf_oh_is_dictionary(doc->q, enc)) {
		int have = qpdf_oh_is_name(doc->q, enc)
				   ? tobj_name(doc, fd, "/Encoding", nm, sizeof(nm))
				   : tobj_name(doc, enc, "/BaseEncoding", nm, sizeof(nm));
		if (have && strcmp(nm, "WinAnsiEncoding") == 0)
			basetab = font_enc_winansi;
		else if (have && strcmp(nm, "MacRomanEncoding") == 0)
			basetab = font_enc_macroman;
		else if (have && strcmp(nm, "StandardEncoding") == 0)
			basetab = font_enc_standard;
		if (qpdf_oh_is_dictionary(doc->q, enc))
			diffs = tobj_key(doc, enc, "/Differences");
	}
	for (c = 0; c < 256; c++)
		names[c] = basetab[c];
	if (diffs)
		apply_differences(doc, diffs, names, over, set);
	for (c = 0; c < 256; c++) {
		if (set[c])
			f->simple_uni[c] = over[c];
		else if (names[c] >= 0)
			f->simple_uni[c] = font_glyphs[names[c]].uni;
		f->simple_w[c] = -1;
		if (col == -2 && names[c] >= 0)
			f->simple_w[c] = 600;
		else if (col >= 0 && names[c] >= 0 && font_glyphs[names[c]].w[col])
			f->simple_w[c] = font_glyphs[names[c]].w[col];
	}
	/* /Widths overrides the built-in metrics */
	widths = tobj_key(doc, fd, "/Widths");
	first = (int)tobj_num(doc, fd, "/FirstChar", 0);
	if (qpdf_oh_is_array(doc->q, widths) && first >= 0 && first < 256) {
		int n = qpdf_oh_get_array_n_items(doc->q, widths), i;
		double w;
		for (i = 0; i < n && first + i < 256; i++)
			if (tobj_item_num(doc, widths, i, &w))
				f->simple_w[first + i] = w;
	}
	if (col == -2)
		f->missing_w = 600;
	tobj_release(doc, widths);
	tobj_release(doc, diffs);
	tobj_release(doc, enc);
}

static int
w_cmp(const void *a, const void *b)
{
	const struct font_w *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* /W: [c [w1 w2 ...] cfirst clast w ...] */
static int
load_cid_widths(struct pdf_doc *doc, qpdf_oh cidf, struct font *f, struct sp_errinfo *ei)
{
	int r = SP_ERR_INTERNAL;
	qpdf_oh w = tobj_key(doc, cidf, "/W"), it = 0;
	int n, i, j;
	size_t cap = 0;
	double a, b, v;

	if (!qpdf_oh_is_array(doc->q, w)) {
		r = SP_OK;
		goto out;
	}
	n = qpdf_oh_get_array_n_items(doc->q, w);
	if (n > FONT_MAX_W_ITEMS)
		n = FONT_MAX_W_ITEMS;
	for (i = 0; i < n;) {
		if (!tobj_item_num(doc, w, i, &a))
			break;
		it = qpdf_oh_get_array_item(doc->q, w, i + 1);
		if (qpdf_oh_is_array(doc->q, it)) {
			int m = qpdf_oh_get_array_n_items(doc->q, it);
			for (j = 0; j < m && j < FONT_MAX_W_ITEMS && f->ncidw < FONT_MAX_W_ITEMS;
			     j++) {
				if (!tobj_item_num(doc, it, j, &v) || a < 0 || a + j > 4294967295.0)
					continue;
				if (f->ncidw == cap) {
					struct font_w *nw;
					cap = cap ? cap * 2 : 64;
					if (!(nw = realloc(f->cidw, cap * sizeof(*nw)))) {
						r = sp_err(ei, SP_ERR_NOMEM,
							   "font widths: out of memory");
						goto out;
					}
					f->cidw = nw;
				}
				f->cidw[f->ncidw].lo = f->cidw[f->ncidw].hi =
					(uint32_t)a + (uint32_t)j;
				f->cidw[f->ncidw++].w = v;
			}
			i += 2;
		} else {
			if (!tobj_item_num(doc, w, i + 1, &b) || !tobj_item_num(doc, w, i + 2, &v))
				break;
			if (a >= 0 && b >= a && b <= 4294967295.0 && f->ncidw < FONT_MAX_W_ITEMS) {
				if (f->ncidw == cap) {
					struct font_w *nw;
					cap = cap ? cap * 2 : 64;
					if (!(nw = realloc(f->cidw, cap * sizeof(*nw)))) {
						r = sp_err(ei, SP_ERR_NOMEM,
							   "font widths: out of memory");
						goto out;
					}
					f->cidw = nw;
				}
				f->cidw[f->ncidw].lo = (uint32_t)a;
				f->cidw[f->ncidw].hi = (uint32_t)b;
				f->cidw[f->ncidw++].w = v;
			}
			i += 3;
		}
		qpdf_oh_release(doc->q, it);
		it = 0;
	}
	if (f->ncidw)
		qsort(f->cidw, f->ncidw, sizeof(*f->cidw), w_cmp);
	r = SP_OK;
out:
	tobj_release(doc, it);
	tobj_release(doc, w);
	return r;
}

static int
w2_cmp(const void *a, const void *b)
{
	const struct font_w2 *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* One /W2 entry; 0, or -1 out of memory. */
static int
w2_add(struct font *f, size_t *cap, double lo, double hi, const double v[3])
{
	if (lo < 0 || hi < lo || hi > 4294967295.0 || f->ncidw2 >= FONT_MAX_W_ITEMS)
		return 0;
	if (f->ncidw2 == *cap) {
		struct font_w2 *nw;
		*cap = *cap ? *cap * 2 : 64;
		if (!(nw = realloc(f->cidw2, *cap * sizeof(*nw))))
			return -1;
		f->cidw2 = nw;
	}
	/* NOLINTNEXTLINE(clang-analyzer-core.NullDereference): cidw2 holds cap entries, cap 0 while NULL */
	f->cidw2[f->ncidw2].lo = (uint32_t)lo;
	f->cidw2[f->ncidw2].hi = (uint32_t)hi;
	f->cidw2[f->ncidw2].w1 = v[0];
	f->cidw2[f->ncidw2].vx = v[1];
	f->cidw2[f->ncidw2++].vy = v[2];
	return 0;
}

/* /DW2 [vy w1y] and /W2: [c [w1y vx vy ...] cfirst clast w1y vx vy ...] */
static int
load_cid_vmetrics(struct pdf_doc *doc, qpdf_oh cidf, struct font *f, struct sp_errinfo *ei)
{
	qpdf_oh dw2 = tobj_key(doc, cidf, "/DW2"), w = tobj_key(doc, cidf, "/W2"), it = 0;
	double a, b, v[3];
	size_t cap = 0;
	int n, i, j, m, r = SP_OK;

	f->dw2_vy = 880;
	f->dw2_w1 = -1000;
	if (tobj_item_num(doc, dw2, 0, &a) && tobj_item_num(doc, dw2, 1, &b)) {
		f->dw2_vy = a;
		f->dw2_w1 = b;
	}
	n = qpdf_oh_is_array(doc->q, w) ? qpdf_oh_get_array_n_items(doc->q, w) : 0;
	if (n > FONT_MAX_W_ITEMS)
		n = FONT_MAX_W_ITEMS;
	for (i = 0; i < n && r == SP_OK;) {
		if (!tobj_item_num(doc, w, i, &a))
			break;
		it = qpdf_oh_get_array_item(doc->q, w, i + 1);
		if (qpdf_oh_is_array(doc->q, it)) {
			m = qpdf_oh_get_array_n_items(doc->q, it);
			for (j = 0; j + 2 < m && j < FONT_MAX_W_ITEMS; j += 3) {
				int nth = j / 3; /* each triple is the next CID's */
				double cid = a + nth;
				if (tobj_item_num(doc, it, j, &v[0]) &&
				    tobj_item_num(doc, it, j + 1, &v[1]) &&
				    tobj_item_num(doc, it, j + 2, &v[2]) &&
				    w2_add(f, &cap, cid, cid, v) < 0)
					r = sp_err(ei, SP_ERR_NOMEM, "font widths: out of memory");
			}
			i += 2;
		} else {
			if (!tobj_item_num(doc, w, i + 1, &b) ||
			    !tobj_item_num(doc, w, i + 2, &v[0]) ||
			    !tobj_item_num(doc, w, i + 3, &v[1]) ||
			    !tobj_item_num(doc, w, i + 4, &v[2]))
				break;
			if (w2_add(f, &cap, a, b, v) < 0)
				r = sp_err(ei, SP_ERR_NOMEM, "font widths: out of memory");
			i += 5;
		}
		qpdf_oh_release(doc->q, it);
		it = 0;
	}
	if (f->ncidw2)
		qsort(f->cidw2, f->ncidw2, sizeof(*f->cidw2), w2_cmp);
	tobj_release(doc, it);
	tobj_release(doc, w);
	tobj_release(doc, dw2);
	return r;
}

void
font_vmetrics(const struct font *f, uint32_t cid, double w0, double *w1, double *vx, double *vy)
{
	size_t lo = 0, hi = f->ncidw2;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (f->cidw2[mid].lo <= cid)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo > 0 && cid <= f->cidw2[lo - 1].hi) {
		*w1 = f->cidw2[lo - 1].w1;
		*vx = f->cidw2[lo - 1].vx;
		*vy = f->cidw2[lo - 1].vy;
		return;
	}
	*w1 = f->dw2_w1;
	*vx = w0 / 2;
	*vy = f->dw2_vy;
}

static void
load_descriptor(struct pdf_doc *doc, qpdf_oh fontish, struct font *f)
{
	qpdf_oh desc = tobj_key(doc, fontish, "/FontDescriptor");
	double asc = tobj_num(doc, desc, "/Ascent", 0), dsc = tobj_num(doc, desc, "/Descent", 0);

	/* a simple font's key only: a CIDFont's missing width is its /DW (reportlab's
	   STSong-Light carries MissingWidth 500 beside DW 1000; poppler reads DW) */
	if (!f->composite)
		f->missing_w = tobj_num(doc, desc, "/MissingWidth", f->missing_w);
	/*
	 * As poppler does (so boxes agree with pdftotext -bbox): zero or absurd
	 * values keep the default 0.95 / -0.35 em, a positive descent is negated.
	 */
	if (asc > 0 && asc < 3000)
		f->ascent = asc / 1000.0;
	if (dsc > 0)
		dsc = -dsc;
	if (dsc < 0 && dsc > -3000)
		f->descent = dsc / 1000.0;
	tobj_release(doc, desc);
}

/* 1 when the CIDFont's descriptor embeds its font program. */
static int
embedded(struct pdf_doc *doc, qpdf_oh cidf)
{
	qpdf_oh d = tobj_key(doc, cidf, "/FontDescriptor");
	int e = qpdf_oh_is_dictionary(doc->q, d) && (qpdf_oh_has_key(doc->q, d, "/FontFile") ||
						     qpdf_oh_has_key(doc->q, d, "/FontFile2") ||
						     qpdf_oh_has_key(doc->q, d, "/FontFile3"));

	tobj_release(doc, d);
	return e;
}

/*
 * A Type0 font's codes and text through its collection (the CIDFont's
 * /CIDSystemInfo, one of Adobe's): a predefined CMap named enc gives the
 * CIDs, and those CIDs, or an Identity font's when it is not embedded or
 * is a CFF CIDFont (CIDFontType0: a CID-keyed program selects glyphs by the
 * collection's CIDs; xelatex's ctex fonts come so, without /ToUnicode), are
 * the collection's. An embedded TrueType CIDFont's CIDs may be any glyph
 * numbers.
 */
static void
collection_cids(struct pdf_doc *doc, qpdf_oh cidf, const char *enc, struct font *f)
{
	qpdf_oh si = tobj_key(doc, cidf, "/CIDSystemInfo"), reg = 0, ord = 0;
	char ro[64], sub[32];
	int identity, cff = tobj_name(doc, cidf, "/Subtype", sub, sizeof(sub)) &&
			    strcmp(sub, "CIDFontType0") == 0;

	if (!qpdf_oh_is_dictionary(doc->q, si))
		goto out;
	reg = qpdf_oh_get_key(doc->q, si, "/Registry");
	ord = qpdf_oh_get_key(doc->q, si, "/Ordering");
	if (!qpdf_oh_is_string(doc->q, reg) || !qpdf_oh_is_string(doc->q, ord))
		goto out;
	/* (one at a time: qpdf returns each in the same buffer) */
	snprintf(ro, sizeof(ro), "%.30s-", qpdf_oh_get_utf8_value(doc->q, reg));
	snprintf(ro + strlen(ro), sizeof(ro) - strlen(ro), "%.30s",
		 qpdf_oh_get_utf8_value(doc->q, ord));
	identity = strncmp(enc, "Identity-", 9) == 0;
	if (enc[0] && !identity)
		f->sysenc = cmap_sys_encoding(ro, enc);
	if (!f->unicode_codes && (f->sysenc || (identity && (cff || !embedded(doc, cidf)))))
		f->cid_uni = cmap_sys_cid_table(ro, &f->ncid_uni);
out:
	qpdf_oh_release(doc->q, ord);
	qpdf_oh_release(doc->q, reg);
	tobj_release(doc, si);
}

int
font_load(struct pdf_doc *doc, qpdf_oh fd, struct font **out, struct sp_errinfo *ei)
{
	int r = SP_ERR_INTERNAL;
	struct font *f = NULL;
	char subtype[32], base[128], enc[128];
	qpdf_oh tu = 0, desc_arr = 0, cidf = 0, encs = 0, fm = 0;
	double v;

	*out = NULL;
	if (!(f = calloc(1, sizeof(*f)))) {
		r = sp_err(ei, SP_ERR_NOMEM, "font: out of memory");
		goto out;
	}
	f->objid = qpdf_oh_get_object_id(doc->q, fd);
	f->gen = qpdf_oh_get_generation(doc->q, fd);
	f->wscale = 0.001;
	f->ascent = 0.95;
	f->descent = -0.35;
	f->missing_w = 0;
	if (!tobj_name(doc, fd, "/Subtype", subtype, sizeof(subtype)))
		strcpy(subtype, "Type1");
	if (!tobj_name(doc, fd, "/BaseFont", base, sizeof(base)))
		base[0] = '\0';
	/* "ABCDEF+Name": a subset prefix */
	if (strlen(base) > 7 && base[6] == '+')
		memmove(base, base + 7, strlen(base + 7) + 1);
	tu = tobj_key(doc, fd, "/ToUnicode");
	if (qpdf_oh_is_stream(doc->q, tu))
		load_cmap(doc, tu, &f->tounicode);
	if (strcmp(subtype, "Type0") == 0) {
		f->composite = 1;
		f->missing_w = 1000;
		encs = tobj_key(doc, fd, "/Encoding");
		enc[0] = '\0';
		if (qpdf_oh_is_stream(doc->q, encs)) {
			load_cmap(doc, encs, &f->encoding);
			qpdf_oh sd = qpdf_oh_get_dict(doc->q, encs);
			f->vertical = tobj_num(doc, sd, "/WMode", 0) == 1;
			qpdf_oh_release(doc->q, sd);
		} else if (tobj_name(doc, fd, "/Encoding", enc, sizeof(enc))) {
			/* a predefined CMap's writing mode is its name's: Identity-V, UniGB-UCS2-V */
			size_t el = strlen(enc);
			f->vertical = el > 2 && strcmp(enc + el - 2, "-V") == 0;
			if (strncmp(enc, "Uni", 3) == 0 &&
			    (strstr(enc, "UCS2") || strstr(enc, "UTF16")))
				f->unicode_codes = 1;
		}
		desc_arr = tobj_key(doc, fd, "/DescendantFonts");
		if (qpdf_oh_is_array(doc->q, desc_arr) &&
		    qpdf_oh_get_array_n_items(doc->q, desc_arr) > 0)
			cidf = qpdf_oh_get_array_item(doc->q, desc_arr, 0);
		if (qpdf_oh_is_dictionary(doc->q, cidf)) {
			f->missing_w = tobj_num(doc, cidf, "/DW", 1000);
			if ((r = load_cid_widths(doc, cidf, f, ei)) != SP_OK ||
			    (f->vertical && (r = load_cid_vmetrics(doc, cidf, f, ei)) != SP_OK))
				goto out;
			load_descriptor(doc, cidf, f);
			collection_cids(doc, cidf, enc, f);
		}
	} else {
		load_simple(doc, fd, f, subtype, base);
		load_descriptor(doc, fd, f);
		if (strcmp(subtype, "Type3") == 0) {
			fm = tobj_key(doc, fd, "/FontMatrix");
			if (tobj_item_num(doc, fm, 0, &v) && v > 0 && v < 10)
				f->wscale = v;
			/* Type3 descriptors are in glyph space; the defaults are safer */
			f->ascent = 0.95;
			f->descent = -0.35;
		}
	}
	*out = f;
	f = NULL; /* transferred */
	r = SP_OK;
out:
	tobj_release(doc, fm);
	tobj_release(doc, cidf);
	tobj_release(doc, desc_arr);
	tobj_release(doc, encs);
	tobj_release(doc, tu);
	font_free(f);
	return r;
}

static double
cid_width(const struct font *f, uint32_t cid)
{
	size_t lo = 0, hi = f->ncidw;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (f->cidw[mid].lo <= cid)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo > 0 && cid <= f->cidw[lo - 1].hi)
		return f->cidw[lo - 1].w;
	return f->missing_w;
}

size_t
font_next_code(const struct font *f, const unsigned char *p, size_t avail, uint32_t *uni,
	       size_t *nuni, double *w, int *is_space, uint32_t *cidp)
{
	size_t n;
	uint32_t code = 0, cid;
	const struct cmap *enc = f->encoding ? f->encoding : f->sysenc;

	*nuni = 0;
	*is_space = 0;
	/* Identity and Uni* CMaps are 2 bytes a code whatever ToUnicode's ranges say */
	if (f->composite && enc)
		n = cmap_code_len(enc, p, avail, 1);
	else if (f->composite)
		n = 2;
	else
		n = 1;
	if (n > avail)
		n = avail;
	code = (uint32_t)sp_load_ben(p, n);
	if (f->composite) {
		cid = code;
		if (enc && !cmap_lookup_cid(enc, code, n, &cid))
			cid = 0;
		*w = cid_width(f, cid);
		*cidp = cid;
	} else {
		*cidp = code;
		*w = f->simple_w[code] >= 0 ? f->simple_w[code] : f->missing_w;
	}
	if (n == 1 && code == 32)
		*is_space = 1;
	*nuni = cmap_lookup_bf(f->tounicode, code, n, uni, FONT_MAX_UNI);
	if (*nuni == 0) {
		/* (a predefined CMap's one-byte codes are ASCII: the collections'
		   tables give their CIDs the full-width forms) */
		if (f->composite && (f->unicode_codes || (f->sysenc && n == 1 && code < 0x80)))
			uni[0] = code;
		else if (f->composite)
			uni[0] = cid < f->ncid_uni && f->cid_uni[cid] ? f->cid_uni[cid] : 0xFFFD;
		else
			uni[0] = f->simple_uni[code] ? f->simple_uni[code] : 0xFFFD;
		*nuni = 1;
	}
	return n ? n : 1;
}
