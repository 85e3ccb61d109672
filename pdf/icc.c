/*
 * icc.c: an sRGB ICC profile, for a PDF/A file that names no output intent.
 * Such a file may draw in no device colour space at all (ISO 19005-1
 * §6.2.3.3, 19005-2 §6.2.4.3): what we add to it, the seal picture and the
 * date stamp, is drawn in an ICCBased space with this profile instead, which
 * the update carries (an incremental update may add objects; changing the
 * catalog's /OutputIntents would be a change later signatures' verifiers
 * refuse). The profile is a version 2.1 matrix/TRC display profile (PDF/A-1
 * asks ICC.1:1998-09, a later one reads version 2 too): the IEC 61966-2-1
 * primaries adapted to D50 by Bradford, as the ICC's own sRGB profiles list
 * them, and the sRGB transfer curve sampled at 256 points. Built here, not
 * read from a file: pdf/ is a library and reads none.
 */
#include <math.h>
#include <string.h>

#include "pdf_int.h"

#define ICC_TAGS 9
#define ICC_TRC_POINTS 256

static int
put32(struct sp_buf *b, uint32_t v)
{
	unsigned char p[4];

	sp_store_be32(p, v);
	return sp_buf_add(b, p, 4);
}

static int
put16(struct sp_buf *b, unsigned v)
{
	const unsigned char p[2] = { (unsigned char)(v >> 8), (unsigned char)v };
	return sp_buf_add(b, p, 2);
}

/* s15Fixed16Number */
static int
putfix(struct sp_buf *b, double v)
{
	return put32(b, (uint32_t)(int32_t)lround(v * 65536.0));
}

static int
pad4(struct sp_buf *b)
{
	static const unsigned char z[3];
	return (b->len & 3) ? sp_buf_add(b, z, 4 - (b->len & 3)) : 0;
}

static int
xyz_tag(struct sp_buf *b, const double v[3])
{
	return sp_buf_add(b, "XYZ \0\0\0\0", 8) < 0 || putfix(b, v[0]) < 0 || putfix(b, v[1]) < 0 ||
			       putfix(b, v[2]) < 0
		       ? -1
		       : 0;
}

/* textDescriptionType (ICC.1:2001-04 §6.5.17): ASCII, no Unicode, no ScriptCode */
static int
desc_tag(struct sp_buf *b, const char *s)
{
	static const unsigned char script[67];
	size_t n = strlen(s) + 1;

	return sp_buf_add(b, "desc\0\0\0\0", 8) < 0 || put32(b, (uint32_t)n) < 0 ||
			       sp_buf_add(b, s, n) < 0 || put32(b, 0) < 0 || put32(b, 0) < 0 ||
			       put16(b, 0) < 0 || sp_buf_add(b, "", 1) < 0 ||
			       sp_buf_add(b, script, sizeof(script)) < 0
		       ? -1
		       : 0;
}

static int
text_tag(struct sp_buf *b, const char *s)
{
	return sp_buf_add(b, "text\0\0\0\0", 8) < 0 || sp_buf_add(b, s, strlen(s) + 1) < 0 ? -1 : 0;
}

/* curveType of the sRGB electro-optical transfer function (IEC 61966-2-1 §5.2) */
static int
trc_tag(struct sp_buf *b)
{
	int i;

	if (sp_buf_add(b, "curv\0\0\0\0", 8) < 0 || put32(b, ICC_TRC_POINTS) < 0)
		return -1;
	for (i = 0; i < ICC_TRC_POINTS; i++) {
		double v = i / (double)(ICC_TRC_POINTS - 1);
		v = v <= 0.04045 ? v / 12.92 : pow((v + 0.055) / 1.055, 2.4);
		if (put16(b, (unsigned)lround(v * 65535.0)) < 0)
			return -1;
	}
	return 0;
}

/* the header (ICC.1:2001-04 §6.1), its size 0 until the end */
static int
header(struct sp_buf *b, const double white[3])
{
	static const unsigned char zero[44];

	/* NOLINTNEXTLINE(misc-redundant-expression): each call appends four bytes */
	return put32(b, 0) < 0 || put32(b, 0) < 0 || put32(b, 0x02100000) < 0 ||
			       sp_buf_add(b, "mntrRGB XYZ ", 12) < 0 ||
			       /* 2026-01-01 00:00:00: fixed, so that every update is the same */
			       put16(b, 2026) < 0 || put16(b, 1) < 0 || put16(b, 1) < 0 ||
			       put16(b, 0) < 0 || put16(b, 0) < 0 || put16(b, 0) < 0 ||
			       sp_buf_add(b, "acsp", 4) < 0 ||
			       /* platform, flags, maker, model, attributes, perceptual intent */
			       sp_buf_add(b, zero, 28) < 0 || putfix(b, white[0]) < 0 ||
			       putfix(b, white[1]) < 0 || putfix(b, white[2]) < 0 ||
			       /* creator, profile ID (version 4's), reserved */
			       sp_buf_add(b, zero, 4) < 0 || sp_buf_add(b, zero, 44) < 0
		       ? -1
		       : 0;
}

int
pdf_srgb_icc(struct sp_buf *b)
{
	static const double d50[3] = { 0.9642, 1.0, 0.8249 },
			    prim[3][3] = { { 0.4360747, 0.2225045, 0.0139322 },
					   { 0.3850649, 0.7168786, 0.0971045 },
					   { 0.1430804, 0.0606169, 0.7141733 } };
	static const char sig[ICC_TAGS][5] = { "desc", "cprt", "wtpt", "rXYZ", "gXYZ",
					       "bXYZ", "rTRC", "gTRC", "bTRC" };
	size_t at[ICC_TAGS], len[ICC_TAGS], start = b->len, t0;
	int i, r;

	if (header(b, d50) < 0 || put32(b, ICC_TAGS) < 0)
		return SP_ERR_NOMEM;
	/* the tag table, its offsets and sizes set once the tags are written */
	t0 = b->len;
	for (i = 0; i < ICC_TAGS; i++)
		if (sp_buf_add(b, sig[i], 4) < 0 || put32(b, 0) < 0 || put32(b, 0) < 0)
			return SP_ERR_NOMEM;
	for (i = 0; i < ICC_TAGS; i++) {
		at[i] = b->len;
		if (i == 0)
			r = desc_tag(b, "sRGB IEC61966-2.1 (sealpact)");
		else if (i == 1)
			r = text_tag(b, "No copyright, use freely");
		else if (i == 2)
			r = xyz_tag(b, d50);
		else if (i <= 5)
			r = xyz_tag(b, prim[i - 3]);
		else if (i == 6)
			r = trc_tag(b);
		else
			r = 0, at[i] = at[6]; /* the three curves are one */
		len[i] = i > 6 ? len[6] : b->len - at[i];
		if (r < 0 || pad4(b) < 0)
			return SP_ERR_NOMEM;
	}
	for (i = 0; i < ICC_TAGS; i++) {
		sp_store_be32(b->data + t0 + 12 * (size_t)i + 4, (uint32_t)(at[i] - start));
		sp_store_be32(b->data + t0 + 12 * (size_t)i + 8, (uint32_t)len[i]);
	}
	sp_store_be32(b->data + start, (uint32_t)(b->len - start));
	return SP_OK;
}
