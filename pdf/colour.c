/*
 * colour.c: the device colour space a document's output intent asks what we
 * draw to use. A PDF/A file may draw in a device space only when its output
 * intent's profile has that space's components (ISO 19005-2 §6.2.4.3; PDF/X
 * likewise): DeviceRGB in a file whose intent is a CMYK printing condition
 * breaks its conformance, and so would our seal picture and date stamp.
 * Under such an intent they are drawn in its space, converted from the
 * seal's RGB by the naive formulas (the output intent's profile then gives
 * the printed colour; a seal is one saturated red, which these keep). A
 * PDF/A file with no output intent may draw in no device space at all: there
 * they are drawn in an ICC-based sRGB space (icc.c).
 */
#include <stdlib.h>
#include <string.h>

#include "pdf_int.h"

#define INTENTS_MAX 64

/* The components of the output intents' profile; 0 when none has a profile. */
static int
intent_ncomp(struct pdf_doc *doc)
{
	qpdf_data q = doc->q;
	qpdf_oh oi = qpdf_oh_get_key_if_dict(q, qpdf_get_root(q), "/OutputIntents");
	int i, n = qpdf_oh_is_array(q, oi) ? qpdf_oh_get_array_n_items(q, oi) : 0;

	/* PDF/A requires every intent's profile to be the same one: the first with a
	   profile of one, three or four components decides */
	for (i = 0; i < n && i < INTENTS_MAX; i++) {
		qpdf_oh it = qpdf_oh_get_array_item(q, oi, i),
			prof = qpdf_oh_get_key_if_dict(q, it, "/DestOutputProfile"), nc;
		long long v;

		if (!qpdf_oh_is_stream(q, prof))
			continue;
		nc = qpdf_oh_get_key_if_dict(q, qpdf_oh_get_dict(q, prof), "/N");
		if (!qpdf_oh_is_integer(q, nc))
			continue;
		v = qpdf_oh_get_int_value(q, nc);
		if (v == 1 || v == 3 || v == 4)
			return (int)v;
	}
	return 0;
}

int
pdf_intent_ncomp(struct pdf_doc *doc)
{
	int n = intent_ncomp(doc);

	return n ? n : 3; /* none: RGB, as every reader draws it */
}

int
pdf_pdfa_without_intent(struct pdf_doc *doc)
{
	return intent_ncomp(doc) == 0 && pdf_pdfa_part(doc) > 0;
}

int
pdf_colour_op_icc(struct sp_buf *b, const char *space, double r, double g, double bl, int stroke)
{
	return sp_buf_printf(b, "/%s %s ", space, stroke ? "CS" : "cs") < 0 || pdfw_num(b, r) < 0 ||
			       sp_buf_add(b, " ", 1) < 0 || pdfw_num(b, g) < 0 ||
			       sp_buf_add(b, " ", 1) < 0 || pdfw_num(b, bl) < 0 ||
			       sp_buf_addstr(b, stroke ? " SC" : " sc") < 0
		       ? SP_ERR_NOMEM
		       : SP_OK;
}

const char *
pdf_space_name(int ncomp)
{
	return ncomp == 4 ? "/DeviceCMYK" : ncomp == 1 ? "/DeviceGray" : "/DeviceRGB";
}

/* rgb (0..1 each) in ncomp components into out[0..ncomp) */
static void
convert(const double rgb[3], int ncomp, double *out)
{
	double mx = rgb[0], k;
	int i;

	if (ncomp == 1) {
		/* luminance (ITU-R BT.601), what a grey rendering of the seal shows */
		out[0] = 0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2];
		return;
	}
	if (ncomp != 4) {
		memcpy(out, rgb, 3 * sizeof(*rgb));
		return;
	}
	for (i = 1; i < 3; i++)
		mx = rgb[i] > mx ? rgb[i] : mx;
	k = 1.0 - mx;
	for (i = 0; i < 3; i++)
		out[i] = k >= 1.0 ? 0.0 : (1.0 - rgb[i] - k) / (1.0 - k);
	out[3] = k;
}

int
pdf_colour_op(struct sp_buf *b, int ncomp, double r, double g, double bl, int stroke)
{
	static const char *const ops[2][5] = { { "", "g", "", "rg", "k" },
					       { "", "G", "", "RG", "K" } };
	const double rgb[3] = { r, g, bl };
	double c[4];
	int i;

	if (ncomp != 1 && ncomp != 4)
		ncomp = 3;
	convert(rgb, ncomp, c);
	for (i = 0; i < ncomp; i++)
		if (pdfw_num(b, c[i]) < 0 || sp_buf_add(b, " ", 1) < 0)
			return SP_ERR_NOMEM;
	return sp_buf_addstr(b, ops[stroke != 0][ncomp]) < 0 ? SP_ERR_NOMEM : SP_OK;
}

int
pdf_seal_pixels(const unsigned char *png, size_t len, int ncomp, struct pdf_seal_pixels *out,
		struct sp_errinfo *ei)
{
	struct pdf_image img = { 0 };
	unsigned char *px = NULL;
	size_t npx, i;
	int r;

	memset(out, 0, sizeof(*out));
	if (ncomp != 1 && ncomp != 4)
		return sp_err(ei, SP_ERR_INTERNAL, "seal picture in %d components", ncomp);
	if ((r = pdf_image_decode_png(png, len, &img, ei)) < 0)
		return r;
	npx = (size_t)img.width * img.height;
	if (!(px = malloc(npx * (size_t)ncomp))) {
		r = sp_err(ei, SP_ERR_NOMEM, "out of memory converting the seal picture");
		goto out;
	}
	for (i = 0; i < npx; i++) {
		const double rgb[3] = { img.rgb[3 * i] / 255.0, img.rgb[3 * i + 1] / 255.0,
					img.rgb[3 * i + 2] / 255.0 };
		double c[4];
		int j;

		convert(rgb, ncomp, c);
		for (j = 0; j < ncomp; j++)
			px[i * (size_t)ncomp + (size_t)j] = (unsigned char)(c[j] * 255.0 + 0.5);
	}
	if ((r = pdf_zlib_compress(px, npx * (size_t)ncomp, &out->pix_z, &out->pix_len, ei)) < 0 ||
	    (r = pdf_zlib_compress(img.alpha, npx, &out->alpha_z, &out->alpha_len, ei)) < 0)
		goto out;
	out->width = img.width;
	out->height = img.height;
	r = SP_OK;
out:
	free(px);
	pdf_image_cleanup(&img);
	if (r < 0)
		pdf_seal_pixels_cleanup(out);
	return r;
}

void
pdf_seal_pixels_cleanup(struct pdf_seal_pixels *p)
{
	if (!p)
		return;
	free(p->pix_z);
	free(p->alpha_z);
	memset(p, 0, sizeof(*p));
}

int
pdf_pdfa_part(struct pdf_doc *doc)
{
	qpdf_data q = doc->q;
	struct pdf_xmp x;
	int filtered;

	/* a reading error pending is the caller's to find, not ours to clear */
	if (qpdf_has_error(q))
		return 0;
	/* PDF/A keeps its XMP unfiltered, to be found by scanning the bytes (ISO 19005-1
	   6.7.2, 19005-2 6.6.2.1): a filtered packet claims nothing we read */
	if (pdf_xmp_of(q, qpdf_oh_get_key_if_dict(q, qpdf_get_root(q), "/Metadata"), &x,
		       &filtered) != 1 ||
	    filtered)
		return 0;
	return x.part > 0 ? x.part : 0;
}
