/*
 * sign_ap.c: the appearances of a signature's widgets. A seal is an image
 * XObject with an /SMask, written once per update and drawn by every widget
 * of that seal (a seam slice draws it shifted and clipped to its strip, a
 * field's widget centred in the field's box); a date stamp is a frame and
 * the date in our Type 3 font. Each appearance is counter-rotated against
 * its page's /Rotate so that it stands upright on screen (but for a
 * NoRotate widget's, which the viewer keeps upright), and drawn in the
 * device space the document's output intent asks (colour.c), or in a PDF/A
 * file without one in an ICC-based sRGB space (icc.c).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pdf_sign_int.h"

static const char *
rot_matrix(int rotate)
{
	/* Counter-rotate the appearance so the seal stands upright on screen. */
	switch (rotate) {
	case 90:
		return "[0 1 -1 0 0 0]";
	case 180:
		return "[-1 0 0 -1 0 0]";
	case 270:
		return "[0 -1 1 0 0 0]";
	default:
		return "[1 0 0 1 0 0]";
	}
}

/*
 * How far widget i's appearance is turned back: its page's /Rotate, or none
 * for an empty field's widget with NoRotate, which viewers keep upright
 * themselves (turned back as well, it would show turned the other way).
 */
static int
ap_rotate(const struct sign_ctx *c, size_t i)
{
	if (c->fill && c->slot.widgets[i].norotate)
		return 0;
	return c->doc->pinfo[c->rects[i].page - 1].rotate;
}

/*
 * The colour space RGB is drawn in, into out: the device's, or for a PDF/A
 * file without an output intent [/ICCBased n 0 R], the profile's stream
 * written on first use. < 0 on failure.
 */
static int
rgb_space(struct sign_ctx *c, char *out, size_t n, struct sp_errinfo *ei)
{
	struct sp_buf icc;
	int r;

	if (c->srgb < 0)
		c->srgb = c->ncomp == 3 && pdf_pdfa_without_intent(c->doc);
	if (!c->srgb) {
		snprintf(out, n, "%s", pdf_space_name(c->ncomp));
		return SP_OK;
	}
	if (c->srgb_obj == 0) {
		sp_buf_init(&icc, 1 << 16);
		c->srgb_obj = pdfw_alloc(&c->w);
		r = pdf_srgb_icc(&icc) < 0
			    ? sign_nomem(ei)
			    : pdfw_stream(&c->w, c->srgb_obj, "/N 3", icc.data, icc.len, ei);
		sp_buf_cleanup(&icc);
		if (r < 0)
			return r;
	}
	snprintf(out, n, "[/ICCBased %d 0 R]", c->srgb_obj);
	return SP_OK;
}

int
sign_ap_images_write(struct sign_ctx *c, const struct pdf_seal *seals, struct sp_errinfo *ei)
{
	struct pdf_seal_image img;
	struct pdf_seal_pixels sp = { 0 };
	unsigned char *enc = NULL, *mask = NULL;
	size_t enclen = 0, masklen = 0;
	char d[256], space[32];
	int r = SP_OK;
	size_t i;

	for (i = 0; c->so && i < c->nrects; i++) {
		size_t s = c->rects[i].seal, elen;
		const unsigned char *e;
		if (c->rects[i].mode == PDF_PLACE_DATE || c->rects[i].nslices == 0 || c->so[s].img)
			continue;
		e = seals[s].image;
		elen = seals[s].image_len;
		c->so[s].img = pdfw_alloc(&c->w);
		c->so[s].smask = pdfw_alloc(&c->w);
		if (c->ncomp != 3) {
			/* the output intent's space: made from the PNG (no kept encoding is) */
			pdf_seal_pixels_cleanup(&sp);
			if ((r = pdf_seal_pixels(seals[s].png, seals[s].png_len, c->ncomp, &sp,
						 ei)) < 0)
				goto out;
			img = (struct pdf_seal_image){ .width = sp.width,
						       .height = sp.height,
						       .alpha_z = sp.alpha_z,
						       .rgb_z = sp.pix_z,
						       .alpha_len = sp.alpha_len,
						       .rgb_len = sp.pix_len };
		} else if (e == NULL) {
			/* the caller's encoding when it kept one, else made now */
			free(enc);
			enc = NULL;
			if ((r = pdf_seal_image_encode(seals[s].png, seals[s].png_len, &enc,
						       &enclen, ei)) < 0)
				goto out;
			e = enc;
			elen = enclen;
		}
		if (c->ncomp == 3 && pdf_seal_image_parse(e, elen, &img) < 0) {
			r = sp_err(ei, SP_ERR_INVALID, "seal %zu: the encoded picture is malformed",
				   s);
			goto out;
		}
		if (c->stencil < 0)
			c->stencil = pdf_pdfa_part(c->doc) == 1;
		if (c->stencil) {
			/* PDF/A-1 forbids a soft mask (ISO 19005-1 6.4): the alpha as a
			   1-bit mask, the ring's edge no longer anti-aliased */
			free(mask);
			mask = NULL;
			if ((r = pdf_seal_stencil(seals[s].png, seals[s].png_len, &mask, &masklen,
						  ei)) < 0)
				goto out;
			snprintf(d, sizeof(d),
				 "/Type /XObject /Subtype /Image /Width %u /Height %u /ImageMask "
				 "true /BitsPerComponent 1 /Filter /FlateDecode",
				 img.width, img.height);
			r = pdfw_stream(&c->w, c->so[s].smask, d, mask, masklen, ei);
		} else {
			snprintf(d, sizeof(d),
				 "/Type /XObject /Subtype /Image /Width %u /Height %u /ColorSpace "
				 "/DeviceGray /BitsPerComponent 8 /Filter /FlateDecode",
				 img.width, img.height);
			r = pdfw_stream(&c->w, c->so[s].smask, d, img.alpha_z, img.alpha_len, ei);
		}
		if (r < 0)
			goto out;
		if ((r = rgb_space(c, space, sizeof(space), ei)) < 0)
			goto out;
		snprintf(d, sizeof(d),
			 "/Type /XObject /Subtype /Image /Width %u /Height %u /ColorSpace "
			 "%s /BitsPerComponent 8 /Filter /FlateDecode /%s %d 0 R",
			 img.width, img.height, space, c->stencil ? "Mask" : "SMask",
			 c->so[s].smask);
		if ((r = pdfw_stream(&c->w, c->so[s].img, d, img.rgb_z, img.rgb_len, ei)) < 0)
			goto out;
		c->so[s].aspect = (double)img.height / img.width;
	}
out:
	free(enc);
	free(mask);
	pdf_seal_pixels_cleanup(&sp);
	return r;
}

/* The date stamp's stroking colour, dark red, in the space rgb_space named CS0. */
static int
date_colour(const struct sign_ctx *c, struct sp_buf *b)
{
	return c->srgb ? pdf_colour_op_icc(b, "CS0", 0.8, 0, 0, 1)
		       : pdf_colour_op(b, c->ncomp, 0.8, 0, 0, 1);
}

int
sign_ap_write(struct sign_ctx *c, size_t i, struct sp_errinfo *ei)
{
	const struct pdf_widget_rect *wr = &c->rects[i];
	double vw = wr->view.x1 - wr->view.x0, vh = wr->view.y1 - wr->view.y0;
	struct sp_buf *t = &c->t;
	struct sp_buf content;
	char space[32];
	int num, r;

	sp_buf_init(&content, 1 << 16);
	sp_buf_reset(t);
	if (sp_buf_addstr(t, "/Type /XObject /Subtype /Form /BBox [0 0 ") < 0 ||
	    pdfw_num(t, vw) < 0 || sp_buf_add(t, " ", 1) < 0 || pdfw_num(t, vh) < 0 ||
	    sp_buf_printf(t, "] /Matrix %s /Resources <<", rot_matrix(ap_rotate(c, i))) < 0)
		goto oom;
	if (wr->mode == PDF_PLACE_DATE) {
		char date[16];
		pdf_date_text(c->par->signing_time, c->par->utc_offset_min, date);
		/* one font for every date stamp of the update: an earlier update's that is
		   byte for byte ours, else written before this stream */
		if (!c->date_font)
			c->date_font = pdf_date_font_find(c->doc, c->par->xref_entries,
							  c->par->xref_entries_len, date,
							  &c->date_ap, &c->date_ap_off);
		if (!c->date_font && (c->date_font = pdf_date_font_write(&c->w, date, ei)) < 0) {
			sp_buf_cleanup(&content);
			return c->date_font;
		}
		/* a dark red frame and date, in the output intent's space (or sRGB's) */
		if (c->srgb && (r = rgb_space(c, space, sizeof(space), ei)) < 0) {
			sp_buf_cleanup(&content);
			return r;
		}
		if ((c->srgb && sp_buf_printf(t, "/ColorSpace <</CS0 %s>> ", space) < 0) ||
		    sp_buf_printf(t, "/Font <</D0 %d 0 R>>>>", c->date_font) < 0 ||
		    sp_buf_addstr(&content, "q ") < 0 || date_colour(c, &content) < 0 ||
		    sp_buf_addstr(&content, " 0.6 w 0.3 0.3 ") < 0 ||
		    pdfw_num(&content, vw - 0.6) < 0 || sp_buf_add(&content, " ", 1) < 0 ||
		    pdfw_num(&content, vh - 0.6) < 0 ||
		    sp_buf_addstr(&content, " re S Q\nq ") < 0 || date_colour(c, &content) < 0 ||
		    sp_buf_printf(&content, " BT /D0 %g Tf 4 6 Td (%s) Tj ET Q\n",
				  PDF_DATE_FONT_SIZE, date) < 0)
			goto oom;
	} else if (wr->mode == PDF_PLACE_FIELD) {
		/* The seal at its own size in the field's box, centred; made smaller to fit
		   a smaller box (the field's author drew the box, not the seal). */
		const struct pdf_seal *sl = &c->seals[wr->seal];
		double sw = (sl->width_mm > 0 ? sl->width_mm : PDF_SEAL_DEFAULT_MM) * 72.0 / 25.4,
		       sh = sw * c->so[wr->seal].aspect, k = fmin(1.0, fmin(vw / sw, vh / sh));
		if (sp_buf_printf(t, "/XObject <</Im0 %d 0 R>>>>", c->so[wr->seal].img) < 0 ||
		    sp_buf_addstr(&content, "q\n") < 0 || pdfw_num(&content, sw * k) < 0 ||
		    sp_buf_addstr(&content, " 0 0 ") < 0 || pdfw_num(&content, sh * k) < 0 ||
		    sp_buf_add(&content, " ", 1) < 0 || pdfw_num(&content, (vw - sw * k) / 2) < 0 ||
		    sp_buf_add(&content, " ", 1) < 0 || pdfw_num(&content, (vh - sh * k) / 2) < 0 ||
		    sp_buf_addstr(&content, " cm\n/Im0 Do\nQ\n") < 0)
			goto oom;
	} else {
		/* A seam slice draws the whole seal shifted left and clips to its own strip. */
		double full = vw * wr->nslices, shift = -vw * wr->slice;
		if (sp_buf_printf(t, "/XObject <</Im0 %d 0 R>>>>", c->so[wr->seal].img) < 0 ||
		    sp_buf_addstr(&content, "q\n0 0 ") < 0 || pdfw_num(&content, vw) < 0 ||
		    sp_buf_add(&content, " ", 1) < 0 || pdfw_num(&content, vh) < 0 ||
		    sp_buf_addstr(&content, " re W n\n") < 0 || pdfw_num(&content, full) < 0 ||
		    sp_buf_addstr(&content, " 0 0 ") < 0 || pdfw_num(&content, vh) < 0 ||
		    sp_buf_add(&content, " ", 1) < 0 || pdfw_num(&content, shift) < 0 ||
		    sp_buf_addstr(&content, " 0 cm\n/Im0 Do\nQ\n") < 0)
			goto oom;
	}
	/* a date stamp as the earlier update drew it (the same day, size, turn and colours,
	   the same font): its appearance, not a copy of it */
	if (wr->mode == PDF_PLACE_DATE && c->date_ap > 0 &&
	    pdf_date_ap_is(c->doc, c->date_ap, c->date_ap_off, (const char *)t->data, content.data,
			   content.len)) {
		sp_buf_cleanup(&content);
		return c->date_ap;
	}
	num = pdfw_alloc(&c->w);
	r = pdfw_stream(&c->w, num, (const char *)t->data, content.data, content.len, ei);
	sp_buf_cleanup(&content);
	return r < 0 ? r : num;
oom:
	sp_buf_cleanup(&content);
	return sign_nomem(ei);
}

/*
 * An earlier widget that looks the same (same seal, slice, size and turn
 * back) shares its appearance: a multi-page seal over n pages then costs n
 * small widgets, not n appearance streams.
 */
int
sign_ap_shared(const struct sign_ctx *c, size_t i)
{
	const struct pdf_widget_rect *a = &c->rects[i];
	int ra = ap_rotate(c, i);
	size_t j;

	for (j = 0; j < i; j++) {
		const struct pdf_widget_rect *b = &c->rects[j];
		if (c->apobj[j] > 0 && b->mode == a->mode && b->seal == a->seal &&
		    b->slice == a->slice && b->nslices == a->nslices && ap_rotate(c, j) == ra &&
		    fabs((b->view.x1 - b->view.x0) - (a->view.x1 - a->view.x0)) < 1e-6 &&
		    fabs((b->view.y1 - b->view.y0) - (a->view.y1 - a->view.y0)) < 1e-6)
			return c->apobj[j];
	}
	return 0;
}
