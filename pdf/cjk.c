/*
 * cjk.c: a CJK font for generated documents. HarfBuzz opens one face of an
 * OpenType collection (Noto Sans CJK's .ttc), shapes UTF-8 text and, when the
 * document is written, makes a subset of the glyphs used with hb-subset; the
 * subset's CFF table is embedded as a Type0 font (Identity-H, CIDFontType0,
 * FontFile3 /CIDFontType0C) with /W widths and a /ToUnicode CMap.
 *
 * Codes and CIDs. With Identity-H a shown code is a CID, and for a CID-keyed
 * CFF the viewer finds the glyph through the CFF charset (CID -> GID). The
 * subsetter renumbers glyphs but keeps each glyph's CID in the new charset,
 * so the code we show is the CID the original font's charset gives the
 * glyph: it is known while shaping, before the subset exists. A name-keyed
 * CFF has no CIDs (the CID is the GID), so it is subset with retained glyph
 * ids instead.
 */
#include <hb-ot.h>
#include <hb-subset.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen_int.h"
#include "pdf_int.h"

#define CJK_TAG_CFF HB_TAG('C', 'F', 'F', ' ')
#define CJK_MAX_USED 20000 /* distinct glyphs in one document */

struct cjk_use {
	uint32_t gid, cid;
	int32_t adv;
	char text[16]; /* UTF-8 of the cluster ("" when none) */
};

struct cjk_font {
	hb_blob_t *blob;
	hb_face_t *face;
	hb_font_t *font;
	unsigned upem, nglyphs;
	int cid_keyed;
	uint16_t *cid; /* gid -> cid (CID-keyed) */
	int32_t *slot; /* gid -> index into used, -1 */
	struct cjk_use *used;
	size_t nused, capused;
	char psname[64];
};

/* ---- a little CFF reading: is it CID-keyed, and its charset -------------- */

struct cffr {
	const unsigned char *p;
	size_t n;
};

static size_t
cff_off(const struct cffr *c, size_t at, size_t osz)
{
	size_t o = 0, k;

	for (k = 0; k < osz; k++)
		o = o << 8 | c->p[at + k];
	return o;
}

/* A CFF INDEX at `at`: its count, first object [fo, fe) and where it ends. */
static int
cff_index(const struct cffr *c, size_t at, size_t *count, size_t *end, size_t *fo, size_t *fe)
{
	size_t cnt, osz, base;

	if (at + 2 > c->n)
		return -1;
	cnt = (size_t)c->p[at] << 8 | c->p[at + 1];
	*count = cnt;
	if (cnt == 0) {
		*end = *fo = *fe = at + 2;
		return 0;
	}
	if (at + 3 > c->n)
		return -1;
	osz = c->p[at + 2];
	if (osz < 1 || osz > 4 || at + 3 + (cnt + 1) * osz > c->n)
		return -1;
	base = at + 3 + (cnt + 1) * osz - 1; /* offsets count from 1 */
	*fo = base + cff_off(c, at + 3, osz);
	*fe = base + cff_off(c, at + 3 + osz, osz);
	*end = base + cff_off(c, at + 3 + cnt * osz, osz);
	if (*end > c->n || *fe > *end || *fo > *fe)
		return -1;
	return 0;
}

/* The Top DICT: charset offset, CharStrings offset, whether ROS is present. */
static int
cff_topdict(const struct cffr *c, size_t a, size_t b, long *charset, long *charstrings, int *ros)
{
	long opnd[48];
	int nop = 0;

	*charset = 0;
	*charstrings = -1;
	*ros = 0;
	while (a < b) {
		unsigned b0 = c->p[a];
		if (b0 <= 21) {
			unsigned op = b0;
			a++;
			if (b0 == 12) {
				if (a >= b)
					return -1;
				op = 1200 + c->p[a++];
			}
			if (op == 15 && nop >= 1)
				*charset = opnd[nop - 1];
			else if (op == 17 && nop >= 1)
				*charstrings = opnd[nop - 1];
			else if (op == 1230)
				*ros = 1;
			nop = 0;
			continue;
		}
		if (nop >= 48)
			return -1;
		if (b0 >= 32 && b0 <= 246) {
			opnd[nop++] = (long)b0 - 139;
			a++;
		} else if (b0 >= 247 && b0 <= 254) {
			if (a + 1 >= b)
				return -1;
			if (b0 <= 250)
				opnd[nop++] = ((long)b0 - 247) * 256 + c->p[a + 1] + 108;
			else
				opnd[nop++] = -((long)b0 - 251) * 256 - c->p[a + 1] - 108;
			a += 2;
		} else if (b0 == 28) {
			if (a + 2 >= b)
				return -1;
			opnd[nop++] = (int16_t)(c->p[a + 1] << 8 | c->p[a + 2]);
			a += 3;
		} else if (b0 == 29) {
			if (a + 4 >= b)
				return -1;
			opnd[nop++] = (int32_t)((uint32_t)c->p[a + 1] << 24 |
						(uint32_t)c->p[a + 2] << 16 |
						(uint32_t)c->p[a + 3] << 8 | c->p[a + 4]);
			a += 5;
		} else if (b0 == 30) {
			/* A real: nibbles up to the 0xf terminator; its value is of no use here. */
			a++;
			while (a < b && (c->p[a] & 0x0f) != 0x0f && (c->p[a] & 0xf0) != 0xf0)
				a++;
			a++;
			opnd[nop++] = 0;
		} else {
			return -1;
		}
	}
	return 0;
}

static int
cff_read(struct cjk_font *f, const unsigned char *p, size_t n, struct sp_errinfo *ei)
{
	struct cffr c = { p, n };
	size_t cnt, end, fo, fe, at;
	long charset, charstrings;
	int ros;
	unsigned gid;

	if (n < 4)
		goto bad;
	at = p[2];                                       /* hdrSize */
	if (cff_index(&c, at, &cnt, &end, &fo, &fe) < 0) /* Name INDEX */
		goto bad;
	if (cff_index(&c, end, &cnt, &end, &fo, &fe) < 0 || cnt < 1) /* Top DICT INDEX */
		goto bad;
	if (cff_topdict(&c, fo, fe, &charset, &charstrings, &ros) < 0 || charstrings <= 0 ||
	    (size_t)charstrings >= n)
		goto bad;
	f->cid_keyed = ros;
	if (!ros)
		return SP_OK;
	if (!(f->cid = calloc(f->nglyphs ? f->nglyphs : 1, sizeof(*f->cid))))
		return sp_err(ei, SP_ERR_NOMEM, "out of memory reading the font");
	if (charset <= 2) {
		/* A predefined charset in a CIDFont means nothing sensible: identity. */
		for (gid = 0; gid < f->nglyphs; gid++)
			f->cid[gid] = (uint16_t)gid;
		return SP_OK;
	}
	at = (size_t)charset;
	if (at >= n)
		goto bad;
	gid = 1;
	if (p[at] == 0) {
		at++;
		for (; gid < f->nglyphs; gid++, at += 2) {
			if (at + 2 > n)
				goto bad;
			f->cid[gid] = (uint16_t)(p[at] << 8 | p[at + 1]);
		}
	} else if (p[at] == 1 || p[at] == 2) {
		size_t w = p[at] == 1 ? 1 : 2;
		at++;
		while (gid < f->nglyphs) {
			unsigned first, left, k;
			if (at + 2 + w > n)
				goto bad;
			first = (unsigned)p[at] << 8 | p[at + 1];
			left = w == 1 ? p[at + 2] : ((unsigned)p[at + 2] << 8 | p[at + 3]);
			at += 2 + w;
			for (k = 0; k <= left && gid < f->nglyphs; k++, gid++)
				f->cid[gid] = (uint16_t)(first + k);
		}
	} else {
		goto bad;
	}
	return SP_OK;
bad:
	return sp_err_reason(ei, SP_ERR_UNSUPPORTED, "font_not_cff",
			     "font: its CFF table cannot be read");
}

int
cjk_font_open(const char *path, int index, struct cjk_font **out, struct sp_errinfo *ei)
{
	int r = SP_ERR_INTERNAL;
	struct cjk_font *f = NULL;
	hb_blob_t *cff = NULL;
	unsigned count, len = 0, i;
	const char *data;

	*out = NULL;
	if (!path || !*path)
		return sp_err_reason(ei, SP_ERR_INVALID, "font_unreadable",
				     "no CJK font file given");
	if (!(f = calloc(1, sizeof(*f))))
		return sp_err(ei, SP_ERR_NOMEM, "out of memory opening the font");
	if (!(f->blob = hb_blob_create_from_file_or_fail(path))) {
		r = sp_err_reason(ei, SP_ERR_IO, "font_unreadable", "cannot read the font file %s",
				  path);
		goto out;
	}
	count = hb_face_count(f->blob);
	if (count == 0) {
		r = sp_err_reason(ei, SP_ERR_UNSUPPORTED, "font_not_cff",
				  "%s is not an OpenType font", path);
		goto out;
	}
	if (index < 0 || (unsigned)index >= count) {
		r = sp_err_reason(ei, SP_ERR_INVALID, "font_index",
				  "font index %d is outside %s's %u faces", index, path, count);
		goto out;
	}
	f->face = hb_face_create(f->blob, (unsigned)index);
	f->upem = hb_face_get_upem(f->face);
	f->nglyphs = hb_face_get_glyph_count(f->face);
	cff = hb_face_reference_table(f->face, CJK_TAG_CFF);
	data = hb_blob_get_data(cff, &len);
	if (!data || len == 0 || f->nglyphs == 0 || f->upem < 16) {
		r = sp_err_reason(ei, SP_ERR_UNSUPPORTED, "font_not_cff",
				  "font %s face %d has no CFF outlines (an OpenType/CFF font is "
				  "needed, such as Noto Sans CJK)",
				  path, index);
		goto out;
	}
	if ((r = cff_read(f, (const unsigned char *)data, len, ei)) < 0)
		goto out;
	if (!(f->slot = malloc(f->nglyphs * sizeof(*f->slot)))) {
		r = sp_err(ei, SP_ERR_NOMEM, "out of memory opening the font");
		goto out;
	}
	for (i = 0; i < f->nglyphs; i++)
		f->slot[i] = -1;
	f->font = hb_font_create(f->face);
	{
		unsigned int n = sizeof(f->psname);
		if (hb_ot_name_get_utf8(f->face, HB_OT_NAME_ID_POSTSCRIPT_NAME, HB_LANGUAGE_INVALID,
					&n, f->psname) == 0)
			strcpy(f->psname, "CJKFont");
		/* Only name characters: the name goes into /BaseFont as is. */
		for (i = 0; f->psname[i]; i++)
			if ((unsigned char)f->psname[i] <= 0x20 ||
			    (unsigned char)f->psname[i] >= 0x7f ||
			    strchr("#()<>[]{}/%", f->psname[i]))
				f->psname[i] = '-';
	}
	*out = f;
	f = NULL; /* transferred */
	r = SP_OK;
out:
	hb_blob_destroy(cff);
	cjk_font_free(f);
	return r;
}

void
cjk_font_free(struct cjk_font *f)
{
	if (!f)
		return;
	hb_font_destroy(f->font);
	hb_face_destroy(f->face);
	hb_blob_destroy(f->blob);
	free(f->cid);
	free(f->slot);
	free(f->used);
	free(f);
}

unsigned
cjk_font_upem(const struct cjk_font *f)
{
	return f->upem;
}

hb_font_t *
cjk_font_hb(struct cjk_font *f)
{
	return f->font;
}

void
cjk_font_embox(struct cjk_font *f, int *bottom, int *top)
{
	hb_position_t b = 0, t = 0;

	hb_ot_layout_get_baseline_with_fallback(f->font,
						HB_OT_LAYOUT_BASELINE_TAG_IDEO_EMBOX_BOTTOM_OR_LEFT,
						HB_DIRECTION_LTR, HB_SCRIPT_HAN, HB_TAG_NONE, &b);
	hb_ot_layout_get_baseline_with_fallback(f->font,
						HB_OT_LAYOUT_BASELINE_TAG_IDEO_EMBOX_TOP_OR_RIGHT,
						HB_DIRECTION_LTR, HB_SCRIPT_HAN, HB_TAG_NONE, &t);
	if (t <= b) {
		b = -(hb_position_t)f->upem / 8;
		t = b + (hb_position_t)f->upem;
	}
	*bottom = b;
	*top = t;
}

int
cjk_shape(struct cjk_font *f, const char *utf8, size_t len, struct cjk_glyph **g, size_t *n,
	  struct sp_errinfo *ei)
{
	int r = SP_ERR_INTERNAL;
	hb_buffer_t *buf = NULL;
	hb_glyph_info_t *info;
	hb_glyph_position_t *pos;
	unsigned cnt = 0, i;
	struct cjk_glyph *o = NULL;
	size_t at = 0;
	uint32_t cp = 0;

	*g = NULL;
	*n = 0;
	if (len > 65536)
		return sp_err(ei, SP_ERR_TOO_LARGE, "text of %zu bytes is too long", len);
	if (sp_text_check(utf8, len, &at, &cp) != SP_OK)
		return sp_err_reason(ei, SP_ERR_INVALID, "text_invalid",
				     "text has a malformed or control character at byte %zu", at);
	buf = hb_buffer_create();
	hb_buffer_add_utf8(buf, utf8, (int)len, 0, (int)len);
	hb_buffer_set_direction(buf, HB_DIRECTION_LTR);
	hb_buffer_set_language(buf, hb_language_from_string("zh-Hans", -1));
	hb_buffer_guess_segment_properties(buf);
	if (!hb_buffer_allocation_successful(buf)) {
		r = sp_err(ei, SP_ERR_NOMEM, "out of memory shaping text");
		goto out;
	}
	hb_shape(f->font, buf, NULL, 0);
	info = hb_buffer_get_glyph_infos(buf, &cnt);
	pos = hb_buffer_get_glyph_positions(buf, &cnt);
	if (cnt && !(o = calloc(cnt, sizeof(*o)))) {
		r = sp_err(ei, SP_ERR_NOMEM, "out of memory shaping text");
		goto out;
	}
	for (i = 0; i < cnt; i++) {
		if (info[i].codepoint == 0 || info[i].codepoint >= f->nglyphs) {
			uint32_t c = 0;
			size_t k = info[i].cluster < len
					   ? sp_utf8_next((const unsigned char *)utf8 +
								  info[i].cluster,
							  len - info[i].cluster, &c)
					   : 0;
			r = sp_err_reason(ei, SP_ERR_INVALID, "font_missing_glyph",
					  "the font has no glyph for U+%04X (\"%.*s\")",
					  (unsigned)c, (int)k, utf8 + info[i].cluster);
			goto out;
		}
		o[i].gid = info[i].codepoint;
		o[i].cid = f->cid_keyed ? f->cid[o[i].gid] : o[i].gid;
		o[i].adv = pos[i].x_advance;
		o[i].dx = pos[i].x_offset;
		o[i].dy = pos[i].y_offset;
		o[i].cluster = info[i].cluster;
	}
	*g = o;
	*n = cnt;
	o = NULL; /* transferred */
	r = SP_OK;
out:
	free(o);
	hb_buffer_destroy(buf);
	return r;
}

/* 1 when u's ToUnicode entry is exactly text[0..len). */
static int
use_maps_to(const struct cjk_use *u, const char *text, size_t len)
{
	return len > 0 && strlen(u->text) == len && memcmp(u->text, text, len) == 0;
}

int
cjk_font_use(struct cjk_font *f, const struct cjk_glyph *g, const char *text, size_t len)
{
	struct cjk_use *u;

	if (g->gid >= f->nglyphs)
		return SP_ERR_INTERNAL;
	if (f->slot[g->gid] >= 0) {
		u = &f->used[f->slot[g->gid]];
		if (!u->text[0] && len > 0 && len < sizeof(u->text))
			memcpy(u->text, text, len);
		return use_maps_to(u, text, len);
	}
	if (f->nused >= CJK_MAX_USED)
		return SP_ERR_LIMIT;
	if (f->nused == f->capused) {
		size_t nc = f->capused ? 2 * f->capused : 256;
		struct cjk_use *nu = realloc(f->used, nc * sizeof(*nu));
		if (!nu)
			return SP_ERR_NOMEM;
		f->used = nu;
		f->capused = nc;
	}
	u = &f->used[f->nused];
	memset(u, 0, sizeof(*u));
	u->gid = g->gid;
	u->cid = g->cid;
	u->adv = (int32_t)hb_font_get_glyph_h_advance(f->font, g->gid);
	if (len > 0 && len < sizeof(u->text))
		memcpy(u->text, text, len);
	f->slot[g->gid] = (int32_t)f->nused++;
	return use_maps_to(u, text, len);
}

static int
use_cmp(const void *a, const void *b)
{
	const struct cjk_use *x = a, *y = b;
	return x->cid < y->cid ? -1 : x->cid > y->cid;
}

int
cjk_utf16_hex(struct sp_buf *b, const char *s, size_t n)
{
	size_t i = 0, k;
	uint32_t cp;
	int r;

	while (i < n) {
		if (!(k = sp_utf8_next((const unsigned char *)s + i, n - i, &cp)))
			return SP_ERR_INVALID;
		i += k;
		if (cp >= 0x10000) {
			cp -= 0x10000;
			r = sp_buf_printf(b, "%04X%04X", 0xd800 + (unsigned)(cp >> 10),
					  0xdc00 + (unsigned)(cp & 0x3ff));
		} else {
			r = sp_buf_printf(b, "%04X", (unsigned)cp);
		}
		if (r < 0)
			return r;
	}
	return SP_OK;
}

static int
tounicode(const struct cjk_font *f, struct sp_buf *b)
{
	size_t i, nmap = 0, done = 0;
	int r;

	for (i = 0; i < f->nused; i++)
		if (f->used[i].text[0])
			nmap++;
	if ((r = sp_buf_addstr(b, "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
				  "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement "
				  "0 >> def\n/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
				  "1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n")) < 0)
		return r;
	for (i = 0; i < f->nused; i++) {
		const struct cjk_use *u = &f->used[i];
		if (!u->text[0])
			continue;
		if (done % 100 == 0 &&
		    (r = sp_buf_printf(b, "%zu beginbfchar\n",
				       nmap - done < 100 ? nmap - done : (size_t)100)) < 0)
			return r;
		if ((r = sp_buf_printf(b, "<%04X> <", (unsigned)u->cid)) < 0 ||
		    (r = cjk_utf16_hex(b, u->text, strlen(u->text))) < 0 ||
		    (r = sp_buf_addstr(b, ">\n")) < 0)
			return r;
		done++;
		if ((done % 100 == 0 || done == nmap) && (r = sp_buf_addstr(b, "endbfchar\n")) < 0)
			return r;
	}
	return sp_buf_addstr(b,
			     "endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n");
}

static int
subset_cff(struct cjk_font *f, unsigned char **cff, size_t *cff_len, struct sp_errinfo *ei)
{
	static const hb_tag_t drop[] = { HB_TAG('G', 'S', 'U', 'B'), HB_TAG('G', 'P', 'O', 'S'),
					 HB_TAG('G', 'D', 'E', 'F'), HB_TAG('B', 'A', 'S', 'E'),
					 HB_TAG('V', 'O', 'R', 'G'), HB_TAG('v', 'h', 'e', 'a'),
					 HB_TAG('v', 'm', 't', 'x'), HB_TAG('D', 'S', 'I', 'G'),
					 HB_TAG('J', 'S', 'T', 'F'), HB_TAG('M', 'A', 'T', 'H'),
					 HB_TAG('n', 'a', 'm', 'e'), HB_TAG('p', 'o', 's', 't') };
	int r = SP_ERR_INTERNAL;
	hb_subset_input_t *in = NULL;
	hb_face_t *sub = NULL;
	hb_blob_t *t = NULL;
	const char *d;
	unsigned len = 0;
	size_t i;

	*cff = NULL;
	*cff_len = 0;
	if (!(in = hb_subset_input_create_or_fail())) {
		r = sp_err(ei, SP_ERR_NOMEM, "out of memory subsetting the font");
		goto out;
	}
	hb_set_add(hb_subset_input_glyph_set(in), 0);
	for (i = 0; i < f->nused; i++)
		hb_set_add(hb_subset_input_glyph_set(in), f->used[i].gid);
	for (i = 0; i < SP_ARRAY_LEN(drop); i++)
		hb_set_add(hb_subset_input_set(in, HB_SUBSET_SETS_DROP_TABLE_TAG), drop[i]);
	hb_subset_input_set_flags(in, f->cid_keyed ? HB_SUBSET_FLAGS_DEFAULT
						   : HB_SUBSET_FLAGS_RETAIN_GIDS);
	if (!(sub = hb_subset_or_fail(f->face, in))) {
		r = sp_err(ei, SP_ERR_INTERNAL, "hb-subset could not subset the font");
		goto out;
	}
	t = hb_face_reference_table(sub, CJK_TAG_CFF);
	d = hb_blob_get_data(t, &len);
	if (!d || len == 0) {
		r = sp_err(ei, SP_ERR_INTERNAL, "hb-subset gave a font without a CFF table");
		goto out;
	}
	if (!(*cff = malloc(len))) {
		r = sp_err(ei, SP_ERR_NOMEM, "out of memory subsetting the font");
		goto out;
	}
	memcpy(*cff, d, len);
	*cff_len = len;
	r = SP_OK;
out:
	hb_blob_destroy(t);
	hb_face_destroy(sub);
	hb_subset_input_destroy(in);
	return r;
}

static int16_t
be16(const char *p)
{
	return (int16_t)((unsigned char)p[0] << 8 | (unsigned char)p[1]);
}

int
cjk_font_write(struct cjk_font *f, struct gen *g, int type0_num, struct sp_errinfo *ei)
{
	int r = SP_ERR_INTERNAL;
	unsigned char *cff = NULL, *z = NULL;
	size_t cfflen = 0, zlen = 0, i;
	struct sp_buf tu, w, *b;
	int cid_num = gen_obj_reserve(g), fd_num = gen_obj_reserve(g), ff_num = gen_obj_reserve(g),
	    tu_num = gen_obj_reserve(g);
	char tag[8], dict[128];
	uint32_t hash = 2166136261u;
	hb_position_t asc = 0, desc = 0, cap = 0;
	double k = 1000.0 / f->upem;
	int bbox[4] = { -1000, -1000, 2000, 2000 };
	hb_blob_t *head = NULL;

	sp_buf_init(&tu, (size_t)16 * 1024 * 1024);
	sp_buf_init(&w, (size_t)16 * 1024 * 1024);
	if (cid_num < 0 || fd_num < 0 || ff_num < 0 || tu_num < 0) {
		r = sp_err(ei, SP_ERR_NOMEM, "out of memory writing the font");
		goto out;
	}
	if (f->nused > 1)
		qsort(f->used, f->nused, sizeof(*f->used), use_cmp);
	for (i = 0; i < f->nused; i++)
		f->slot[f->used[i].gid] = (int32_t)i;
	/* The subset tag: six letters that depend on the glyphs it holds. */
	for (i = 0; i < f->nused; i++) {
		hash = (hash ^ f->used[i].gid) * 16777619u;
		hash = (hash ^ (f->used[i].gid >> 8)) * 16777619u;
	}
	for (i = 0; i < 6; i++) {
		tag[i] = (char)('A' + hash % 26);
		hash /= 26;
		hash ^= (uint32_t)i * 2654435761u;
	}
	tag[6] = '\0';
	if ((r = subset_cff(f, &cff, &cfflen, ei)) < 0)
		goto out;
	if ((r = pdf_zlib_compress(cff, cfflen, &z, &zlen, ei)) < 0)
		goto out;
	if ((r = tounicode(f, &tu)) < 0)
		goto nomem;
	/* /W: runs of consecutive CIDs as c [w1 w2 ...]. */
	for (i = 0; i < f->nused; i++) {
		long wv = lround(f->used[i].adv * k);
		if (i == 0 || f->used[i].cid != f->used[i - 1].cid + 1)
			r = sp_buf_printf(&w, "%s%u [%ld", i ? "]\n" : "", (unsigned)f->used[i].cid,
					  wv);
		else
			r = sp_buf_printf(&w, " %ld", wv);
		if (r < 0)
			goto nomem;
	}
	if (f->nused && (r = sp_buf_addstr(&w, "]")) < 0)
		goto nomem;
	hb_ot_metrics_get_position_with_fallback(f->font, HB_OT_METRICS_TAG_HORIZONTAL_ASCENDER,
						 &asc);
	hb_ot_metrics_get_position_with_fallback(f->font, HB_OT_METRICS_TAG_HORIZONTAL_DESCENDER,
						 &desc);
	hb_ot_metrics_get_position_with_fallback(f->font, HB_OT_METRICS_TAG_CAP_HEIGHT, &cap);
	head = hb_face_reference_table(f->face, HB_TAG('h', 'e', 'a', 'd'));
	{
		unsigned hl = 0;
		const char *h = hb_blob_get_data(head, &hl);
		if (h && hl >= 44)
			for (i = 0; i < 4; i++)
				bbox[i] = (int)lround(be16(h + 36 + 2 * i) * k);
	}

	if ((r = gen_obj_begin(g, type0_num, &b, ei)) < 0 ||
	    (r = sp_buf_printf(b,
			       "<< /Type /Font /Subtype /Type0 /BaseFont /%s+%s /Encoding "
			       "/Identity-H /DescendantFonts [%d 0 R] /ToUnicode %d 0 R >>",
			       tag, f->psname, cid_num, tu_num)) < 0 ||
	    (r = gen_obj_end(g)) < 0)
		goto fail;
	if ((r = gen_obj_begin(g, cid_num, &b, ei)) < 0 ||
	    (r = sp_buf_printf(b,
			       "<< /Type /Font /Subtype /CIDFontType0 /BaseFont /%s+%s\n"
			       "/CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) "
			       "/Supplement 0 >>\n/FontDescriptor %d 0 R /DW 1000\n/W [%s] >>",
			       tag, f->psname, fd_num, w.data ? (char *)w.data : "")) < 0 ||
	    (r = gen_obj_end(g)) < 0)
		goto fail;
	if ((r = gen_obj_begin(g, fd_num, &b, ei)) < 0 ||
	    (r = sp_buf_printf(b,
			       "<< /Type /FontDescriptor /FontName /%s+%s /Flags 4\n"
			       "/FontBBox [%d %d %d %d] /ItalicAngle 0 /Ascent %ld /Descent %ld "
			       "/CapHeight %ld /StemV 80\n/FontFile3 %d 0 R >>",
			       tag, f->psname, bbox[0], bbox[1], bbox[2], bbox[3], lround(asc * k),
			       lround(desc * k), lround((cap ? cap : asc) * k), ff_num)) < 0 ||
	    (r = gen_obj_end(g)) < 0)
		goto fail;
	snprintf(dict, sizeof(dict), "/Subtype /CIDFontType0C /Filter /FlateDecode");
	if ((r = gen_obj_stream(g, ff_num, dict, z, zlen, ei)) < 0)
		goto out;
	if ((r = gen_obj_stream(g, tu_num, "", tu.data, tu.len, ei)) < 0)
		goto out;
	r = SP_OK;
	goto out;
nomem:
	r = sp_err(ei, r, "writing the font: %s", sp_strerror(r));
	goto out;
fail:
	r = sp_err(ei, r, "writing the font objects: %s", sp_strerror(r));
out:
	hb_blob_destroy(head);
	sp_buf_cleanup(&tu);
	sp_buf_cleanup(&w);
	free(cff);
	free(z);
	return r;
}
