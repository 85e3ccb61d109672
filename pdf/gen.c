/*
 * gen.c: a small composer for generated PDFs (the seal application form, the
 * evidence report): pages of text in one embedded CJK font, lines,
 * rectangles, circles and PNG images with alpha, attachments (the text
 * itself is gen_text.c), written as a whole new file with a classic xref
 * table. The output is deterministic: the same calls give the same bytes
 * (the /ID is a digest of the body).
 */
#include <math.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "gen_int.h"
#include "pdf_int.h"

#define GEN_MAX_BYTES ((size_t)512 * 1024 * 1024)
#define GEN_MAX_PAGES 2000
#define GEN_MAX_OBJS 1000000

struct gen_page {
	double w, h;
	struct sp_buf content;
	int *imgs; /* indices into gen.imgs used on the page */
	size_t nimgs;
};

struct gen_img {
	int num; /* the image XObject */
	unsigned char digest[32];
};

struct gen_att {
	int num; /* the file specification */
	char *name;
};

struct gen {
	struct cjk_font *font;
	struct sp_buf out;
	size_t *off; /* by object number; 0 = not written */
	int nobj;    /* numbers 1 .. nobj-1 are reserved */
	int capobj;
	int font_num;
	struct gen_page *pages;
	int npages, cur;
	struct gen_img *imgs;
	size_t nimgs;
	struct gen_att *atts;
	size_t natts;
};

int
gen_new(const char *font_path, int font_index, struct gen **out, struct sp_errinfo *ei)
{
	int r = SP_ERR_INTERNAL;
	struct gen *g;

	*out = NULL;
	if (!(g = calloc(1, sizeof(*g))))
		return sp_err(ei, SP_ERR_NOMEM, "out of memory");
	sp_buf_init(&g->out, GEN_MAX_BYTES);
	g->nobj = 1;
	g->cur = -1;
	if ((r = cjk_font_open(font_path, font_index, &g->font, ei)) < 0)
		goto out;
	/* A binary comment marks the file as binary for transfer programs. */
	if (sp_buf_addstr(&g->out, "%PDF-1.7\n%\xe2\xe3\xcf\xd3\n") < 0 ||
	    (g->font_num = gen_obj_reserve(g)) < 0) {
		r = sp_err(ei, SP_ERR_NOMEM, "out of memory");
		goto out;
	}
	*out = g;
	g = NULL; /* transferred */
	r = SP_OK;
out:
	gen_free(g);
	return r;
}

void
gen_free(struct gen *g)
{
	int i;
	size_t k;

	if (!g)
		return;
	cjk_font_free(g->font);
	sp_buf_cleanup(&g->out);
	free(g->off);
	for (i = 0; i < g->npages; i++) {
		sp_buf_cleanup(&g->pages[i].content);
		free(g->pages[i].imgs);
	}
	free(g->pages);
	free(g->imgs);
	for (k = 0; k < g->natts; k++)
		free(g->atts[k].name);
	free(g->atts);
	free(g);
}

struct cjk_font *
gen_font(struct gen *g)
{
	return g->font;
}

int
gen_obj_reserve(struct gen *g)
{
	if (g->nobj >= GEN_MAX_OBJS)
		return SP_ERR_LIMIT;
	if (g->nobj >= g->capobj) {
		int nc = g->capobj ? 2 * g->capobj : 64;
		size_t *no = realloc(g->off, (size_t)nc * sizeof(*no));
		if (!no)
			return SP_ERR_NOMEM;
		memset(no + g->capobj, 0, (size_t)(nc - g->capobj) * sizeof(*no));
		g->off = no;
		g->capobj = nc;
	}
	return g->nobj++;
}

int
gen_obj_begin(struct gen *g, int num, struct sp_buf **b, struct sp_errinfo *ei)
{
	int r;

	*b = &g->out;
	if (num <= 0 || num >= g->nobj || g->off[num])
		return sp_err(ei, SP_ERR_INTERNAL, "object %d written twice or not reserved", num);
	g->off[num] = g->out.len;
	if ((r = sp_buf_printf(&g->out, "%d 0 obj\n", num)) < 0)
		return sp_err(ei, r, "the document is too large");
	return SP_OK;
}

int
gen_obj_end(struct gen *g)
{
	return sp_buf_addstr(&g->out, "\nendobj\n");
}

int
gen_obj_stream(struct gen *g, int num, const char *dict_body, const unsigned char *data, size_t len,
	       struct sp_errinfo *ei)
{
	struct sp_buf *b;
	int r;

	if ((r = gen_obj_begin(g, num, &b, ei)) < 0)
		return r;
	if ((r = sp_buf_printf(b, "<< %s /Length %zu >>\nstream\n", dict_body, len)) < 0 ||
	    (r = sp_buf_add(b, data, len)) < 0 || (r = sp_buf_addstr(b, "\nendstream")) < 0 ||
	    (r = gen_obj_end(g)) < 0)
		return sp_err(ei, r, "the document is too large");
	return SP_OK;
}

int
gen_page_add(struct gen *g, double w, double h, struct sp_errinfo *ei)
{
	struct gen_page *np;

	if (g->npages >= GEN_MAX_PAGES)
		return sp_err(ei, SP_ERR_LIMIT, "more than %d pages", GEN_MAX_PAGES);
	if (!(np = realloc(g->pages, (size_t)(g->npages + 1) * sizeof(*np))))
		return sp_err(ei, SP_ERR_NOMEM, "out of memory");
	g->pages = np;
	memset(&np[g->npages], 0, sizeof(*np));
	np[g->npages].w = w;
	np[g->npages].h = h;
	sp_buf_init(&np[g->npages].content, (size_t)64 * 1024 * 1024);
	g->cur = g->npages++;
	return g->cur;
}

int
gen_page_count(const struct gen *g)
{
	return g->npages;
}

void
gen_page_select(struct gen *g, int index)
{
	if (index >= 0 && index < g->npages)
		g->cur = index;
}

struct sp_buf *
gen_content(struct gen *g)
{
	return g->cur >= 0 ? &g->pages[g->cur].content : NULL;
}

int
gen_colour(struct sp_buf *b, uint32_t rgb, const char *op)
{
	return sp_buf_printf(b, "%.3f %.3f %.3f %s ", ((rgb >> 16) & 0xff) / 255.0,
			     ((rgb >> 8) & 0xff) / 255.0, (rgb & 0xff) / 255.0, op);
}

static int
stroke_style(struct sp_buf *b, double lw, uint32_t rgb, double dash)
{
	int r;

	if ((r = sp_buf_addstr(b, "q ")) < 0 || (r = pdfw_num(b, lw)) < 0 ||
	    (r = sp_buf_addstr(b, " w ")) < 0 || (r = gen_colour(b, rgb, "RG")) < 0)
		return r;
	if (dash > 0) {
		if ((r = sp_buf_addstr(b, "[")) < 0 || (r = pdfw_num(b, dash)) < 0 ||
		    (r = sp_buf_addstr(b, " ")) < 0 || (r = pdfw_num(b, dash)) < 0 ||
		    (r = sp_buf_addstr(b, "] 0 d ")) < 0)
			return r;
	}
	return SP_OK;
}

static int
nums(struct sp_buf *b, const double *v, size_t n, const char *op)
{
	size_t i;
	int r;

	for (i = 0; i < n; i++)
		if ((r = pdfw_num(b, v[i])) < 0 || (r = sp_buf_addstr(b, " ")) < 0)
			return r;
	return sp_buf_addstr(b, op);
}

int
gen_line(struct gen *g, double x0, double y0, double x1, double y1, double lw, uint32_t rgb,
	 double dash, struct sp_errinfo *ei)
{
	struct sp_buf *b = gen_content(g);
	double v[4] = { x0, y0, x1, y1 };
	int r;

	if (!b)
		return sp_err(ei, SP_ERR_INTERNAL, "no page");
	if ((r = stroke_style(b, lw, rgb, dash)) < 0 || (r = nums(b, v, 2, "m ")) < 0 ||
	    (r = nums(b, v + 2, 2, "l S Q\n")) < 0)
		return sp_err(ei, r, "writing a line: %s", sp_strerror(r));
	return SP_OK;
}

int
gen_rect(struct gen *g, double x, double y, double w, double h, double lw, uint32_t stroke_rgb,
	 uint32_t fill_rgb, double dash, struct sp_errinfo *ei)
{
	struct sp_buf *b = gen_content(g);
	double v[4] = { x, y, w, h };
	const char *op;
	int r;

	if (!b)
		return sp_err(ei, SP_ERR_INTERNAL, "no page");
	op = stroke_rgb == GEN_NONE ? "re f Q\n" : fill_rgb == GEN_NONE ? "re S Q\n" : "re B Q\n";
	if ((r = stroke_style(b, lw, stroke_rgb == GEN_NONE ? 0 : stroke_rgb, dash)) < 0 ||
	    (fill_rgb != GEN_NONE && (r = gen_colour(b, fill_rgb, "rg")) < 0) ||
	    (r = nums(b, v, 4, op)) < 0)
		return sp_err(ei, r, "writing a rectangle: %s", sp_strerror(r));
	return SP_OK;
}

int
gen_circle(struct gen *g, double cx, double cy, double rad, double lw, uint32_t stroke_rgb,
	   double dash, struct sp_errinfo *ei)
{
	struct sp_buf *b = gen_content(g);
	const double k = 0.5523 * rad; /* four cubic arcs */
	double v[][6] = {
		{ cx + k, cy + rad, cx + rad, cy + k, cx + rad, cy },
		{ cx + rad, cy - k, cx + k, cy - rad, cx, cy - rad },
		{ cx - k, cy - rad, cx - rad, cy - k, cx - rad, cy },
		{ cx - rad, cy + k, cx - k, cy + rad, cx, cy + rad },
	};
	double m[2] = { cx, cy + rad };
	int r, i;

	if (!b)
		return sp_err(ei, SP_ERR_INTERNAL, "no page");
	if ((r = stroke_style(b, lw, stroke_rgb, dash)) < 0 || (r = nums(b, m, 2, "m ")) < 0)
		goto fail;
	for (i = 0; i < 4; i++)
		if ((r = nums(b, v[i], 6, "c ")) < 0)
			goto fail;
	if ((r = sp_buf_addstr(b, "S Q\n")) < 0)
		goto fail;
	return SP_OK;
fail:
	return sp_err(ei, r, "writing a circle: %s", sp_strerror(r));
}

/* Write the image and its soft mask once; the same PNG bytes reuse them. */
static int
image_obj(struct gen *g, const unsigned char *png, size_t len, size_t *index, struct sp_errinfo *ei)
{
	int r = SP_ERR_INTERNAL;
	struct pdf_image im = { 0 };
	unsigned char d[32], *z = NULL;
	size_t zlen = 0, i;
	unsigned dl = 0;
	int num, smask;
	char dict[256];
	struct gen_img *ni;

	if (EVP_Digest(png, len, d, &dl, EVP_sha256(), NULL) != 1)
		return sp_err(ei, SP_ERR_INTERNAL, "hashing an image failed");
	for (i = 0; i < g->nimgs; i++)
		if (memcmp(g->imgs[i].digest, d, 32) == 0) {
			*index = i;
			return SP_OK;
		}
	if ((r = pdf_image_decode_png(png, len, &im, ei)) < 0)
		return r;
	if ((num = gen_obj_reserve(g)) < 0 || (smask = gen_obj_reserve(g)) < 0 ||
	    !(ni = realloc(g->imgs, (g->nimgs + 1) * sizeof(*ni)))) {
		r = sp_err(ei, SP_ERR_NOMEM, "out of memory");
		goto out;
	}
	g->imgs = ni;
	if ((r = pdf_zlib_compress(im.rgb, (size_t)im.width * im.height * 3, &z, &zlen, ei)) < 0)
		goto out;
	snprintf(dict, sizeof(dict),
		 "/Type /XObject /Subtype /Image /Width %u /Height %u /ColorSpace /DeviceRGB "
		 "/BitsPerComponent 8 /Filter /FlateDecode /SMask %d 0 R",
		 im.width, im.height, smask);
	if ((r = gen_obj_stream(g, num, dict, z, zlen, ei)) < 0)
		goto out;
	free(z);
	z = NULL;
	if ((r = pdf_zlib_compress(im.alpha, (size_t)im.width * im.height, &z, &zlen, ei)) < 0)
		goto out;
	snprintf(dict, sizeof(dict),
		 "/Type /XObject /Subtype /Image /Width %u /Height %u /ColorSpace /DeviceGray "
		 "/BitsPerComponent 8 /Filter /FlateDecode",
		 im.width, im.height);
	if ((r = gen_obj_stream(g, smask, dict, z, zlen, ei)) < 0)
		goto out;
	g->imgs[g->nimgs].num = num;
	memcpy(g->imgs[g->nimgs].digest, d, 32);
	*index = g->nimgs++;
	r = SP_OK;
out:
	free(z);
	pdf_image_cleanup(&im);
	return r;
}

int
gen_image_png(struct gen *g, const unsigned char *png, size_t len, double x, double y, double w,
	      double h, struct sp_errinfo *ei)
{
	struct gen_page *pg;
	size_t idx = 0, i;
	double v[6] = { w, 0, 0, h, x, y };
	int r;

	if (g->cur < 0)
		return sp_err(ei, SP_ERR_INTERNAL, "no page");
	pg = &g->pages[g->cur];
	if ((r = image_obj(g, png, len, &idx, ei)) < 0)
		return r;
	for (i = 0; i < pg->nimgs; i++)
		if (pg->imgs[i] == (int)idx)
			break;
	if (i == pg->nimgs) {
		int *ni = realloc(pg->imgs, (pg->nimgs + 1) * sizeof(*ni));
		if (!ni)
			return sp_err(ei, SP_ERR_NOMEM, "out of memory");
		pg->imgs = ni;
		pg->imgs[pg->nimgs++] = (int)idx;
	}
	if ((r = sp_buf_addstr(&pg->content, "q ")) < 0 ||
	    (r = nums(&pg->content, v, 6, "cm")) < 0 ||
	    (r = sp_buf_printf(&pg->content, " /Im%zu Do Q\n", idx + 1)) < 0)
		return sp_err(ei, r, "writing an image: %s", sp_strerror(r));
	return SP_OK;
}

int
gen_attach(struct gen *g, const char *filename, const char *mime, const char *desc,
	   const unsigned char *data, size_t len, struct sp_errinfo *ei)
{
	int r = SP_ERR_INTERNAL, ef, fs;
	unsigned char md5[16];
	unsigned dl = 0;
	struct sp_buf *b, d;
	struct gen_att *na;

	sp_buf_init(&d, 4096);
	if ((ef = gen_obj_reserve(g)) < 0 || (fs = gen_obj_reserve(g)) < 0 ||
	    !(na = realloc(g->atts, (g->natts + 1) * sizeof(*na)))) {
		r = sp_err(ei, SP_ERR_NOMEM, "out of memory");
		goto out;
	}
	g->atts = na;
	if (EVP_Digest(data, len, md5, &dl, EVP_md5(), NULL) != 1) {
		r = sp_err(ei, SP_ERR_INTERNAL, "MD5 of the attachment failed");
		goto out;
	}
	/* /Params /CheckSum is the MD5 of the file (ISO 32000 7.11.4). */
	if ((r = sp_buf_addstr(&d, "/Type /EmbeddedFile /Subtype ")) < 0 ||
	    (r = pdfw_name(&d, mime)) < 0 ||
	    (r = sp_buf_printf(&d, " /Params << /Size %zu /CheckSum ", len)) < 0 ||
	    (r = pdfw_hexstr(&d, md5, 16)) < 0 || (r = sp_buf_addstr(&d, " >>")) < 0)
		goto fail;
	if ((r = gen_obj_stream(g, ef, (const char *)d.data, data, len, ei)) < 0)
		goto out;
	if ((r = gen_obj_begin(g, fs, &b, ei)) < 0)
		goto out;
	if ((r = sp_buf_addstr(b, "<< /Type /Filespec /F ")) < 0 ||
	    (r = pdfw_textstr(b, filename)) < 0 || (r = sp_buf_addstr(b, " /UF ")) < 0 ||
	    (r = pdfw_textstr(b, filename)) < 0 || (r = sp_buf_addstr(b, " /Desc ")) < 0 ||
	    (r = pdfw_textstr(b, desc ? desc : "")) < 0 ||
	    (r = sp_buf_printf(b, " /AFRelationship /Source /EF << /F %d 0 R /UF %d 0 R >> >>", ef,
			       ef)) < 0 ||
	    (r = gen_obj_end(g)) < 0)
		goto fail;
	if (!(g->atts[g->natts].name = strdup(filename))) {
		r = sp_err(ei, SP_ERR_NOMEM, "out of memory");
		goto out;
	}
	g->atts[g->natts++].num = fs;
	r = SP_OK;
	goto out;
fail:
	r = sp_err(ei, r, "writing the attachment: %s", sp_strerror(r));
out:
	sp_buf_cleanup(&d);
	return r;
}

static int
att_cmp(const void *a, const void *b)
{
	return strcmp(((const struct gen_att *)a)->name, ((const struct gen_att *)b)->name);
}

static int
write_pages(struct gen *g, int pages_num, struct sp_errinfo *ei)
{
	int i, r, *nums_ = NULL;
	struct sp_buf *b;
	size_t k;

	if (!(nums_ = malloc((size_t)g->npages * 2 * sizeof(*nums_))))
		return sp_err(ei, SP_ERR_NOMEM, "out of memory");
	for (i = 0; i < 2 * g->npages; i++)
		if ((nums_[i] = gen_obj_reserve(g)) < 0) {
			r = sp_err(ei, SP_ERR_LIMIT, "too many objects");
			goto out;
		}
	for (i = 0; i < g->npages; i++) {
		struct gen_page *pg = &g->pages[i];
		unsigned char *z = NULL;
		size_t zlen = 0;
		if ((r = pdf_zlib_compress(pg->content.data ? pg->content.data
							    : (const unsigned char *)"",
					   pg->content.len, &z, &zlen, ei)) < 0)
			goto out;
		/* NOLINTNEXTLINE(clang-analyzer-core.CallAndMessage): the loop above set all 2 * npages */
		r = gen_obj_stream(g, nums_[2 * i + 1], "/Filter /FlateDecode", z, zlen, ei);
		free(z);
		if (r < 0)
			goto out;
		if ((r = gen_obj_begin(g, nums_[2 * i], &b, ei)) < 0)
			goto out;
		if ((r = sp_buf_printf(b, "<< /Type /Page /Parent %d 0 R /MediaBox [0 0 ",
				       pages_num)) < 0 ||
		    (r = pdfw_num(b, pg->w)) < 0 || (r = sp_buf_addstr(b, " ")) < 0 ||
		    (r = pdfw_num(b, pg->h)) < 0 ||
		    (r = sp_buf_printf(b,
				       "]\n/Resources << /ProcSet [/PDF /Text /ImageC] /Font << "
				       "/F1 %d 0 R >>",
				       g->font_num)) < 0)
			goto fail;
		if (pg->nimgs) {
			if ((r = sp_buf_addstr(b, " /XObject <<")) < 0)
				goto fail;
			for (k = 0; k < pg->nimgs; k++)
				if ((r = sp_buf_printf(b, " /Im%d %d 0 R", pg->imgs[k] + 1,
						       g->imgs[pg->imgs[k]].num)) < 0)
					goto fail;
			if ((r = sp_buf_addstr(b, " >>")) < 0)
				goto fail;
		}
		if ((r = sp_buf_printf(b, " >>\n/Contents %d 0 R >>", nums_[2 * i + 1])) < 0 ||
		    (r = gen_obj_end(g)) < 0)
			goto fail;
	}
	if ((r = gen_obj_begin(g, pages_num, &b, ei)) < 0)
		goto out;
	if ((r = sp_buf_addstr(b, "<< /Type /Pages /Kids [")) < 0)
		goto fail;
	for (i = 0; i < g->npages; i++)
		/* NOLINTNEXTLINE(clang-analyzer-core.CallAndMessage): the first loop set all 2 * npages */
		if ((r = sp_buf_printf(b, "%s%d 0 R", i ? " " : "", nums_[2 * i])) < 0)
			goto fail;
	if ((r = sp_buf_printf(b, "] /Count %d >>", g->npages)) < 0 || (r = gen_obj_end(g)) < 0)
		goto fail;
	r = SP_OK;
	goto out;
fail:
	r = sp_err(ei, r, "writing the pages: %s", sp_strerror(r));
out:
	free(nums_);
	return r;
}

int
gen_finish(struct gen *g, const char *title, unsigned char **pdf, size_t *len,
	   struct sp_errinfo *ei)
{
	int r = SP_ERR_INTERNAL, pages_num, cat_num, info_num, i;
	struct sp_buf *b;
	unsigned char id[32];
	unsigned dl = 0;
	size_t xref, k;

	*pdf = NULL;
	*len = 0;
	if (g->npages == 0)
		return sp_err(ei, SP_ERR_INTERNAL, "a document without pages");
	if ((pages_num = gen_obj_reserve(g)) < 0 || (cat_num = gen_obj_reserve(g)) < 0 ||
	    (info_num = gen_obj_reserve(g)) < 0)
		return sp_err(ei, SP_ERR_LIMIT, "too many objects");
	if ((r = cjk_font_write(g->font, g, g->font_num, ei)) < 0 ||
	    (r = write_pages(g, pages_num, ei)) < 0)
		return r;
	if (g->natts > 1)
		qsort(g->atts, g->natts, sizeof(*g->atts), att_cmp);
	if ((r = gen_obj_begin(g, cat_num, &b, ei)) < 0)
		return r;
	if ((r = sp_buf_printf(b, "<< /Type /Catalog /Pages %d 0 R", pages_num)) < 0)
		goto fail;
	if (g->natts) {
		if ((r = sp_buf_addstr(b, "\n/Names << /EmbeddedFiles << /Names [")) < 0)
			goto fail;
		for (k = 0; k < g->natts; k++)
			if ((r = pdfw_textstr(b, g->atts[k].name)) < 0 ||
			    (r = sp_buf_printf(b, " %d 0 R ", g->atts[k].num)) < 0)
				goto fail;
		if ((r = sp_buf_addstr(b, "] >> >>\n/AF [")) < 0)
			goto fail;
		for (k = 0; k < g->natts; k++)
			if ((r = sp_buf_printf(b, "%s%d 0 R", k ? " " : "", g->atts[k].num)) < 0)
				goto fail;
		if ((r = sp_buf_addstr(b, "] /PageMode /UseAttachments")) < 0)
			goto fail;
	}
	if ((r = sp_buf_addstr(b, " >>")) < 0 || (r = gen_obj_end(g)) < 0)
		goto fail;
	if ((r = gen_obj_begin(g, info_num, &b, ei)) < 0)
		return r;
	if ((r = sp_buf_addstr(b, "<< /Producer (sealpact) /Title ")) < 0 ||
	    (r = pdfw_textstr(b, title)) < 0 || (r = sp_buf_addstr(b, " >>")) < 0 ||
	    (r = gen_obj_end(g)) < 0)
		goto fail;
	for (i = 1; i < g->nobj; i++)
		if (!g->off[i])
			return sp_err(ei, SP_ERR_INTERNAL, "object %d reserved but not written", i);
	if (EVP_Digest(g->out.data, g->out.len, id, &dl, EVP_sha256(), NULL) != 1)
		return sp_err(ei, SP_ERR_INTERNAL, "hashing the document failed");
	xref = g->out.len;
	if ((r = sp_buf_printf(&g->out, "xref\n0 %d\n0000000000 65535 f \n", g->nobj)) < 0)
		goto fail;
	for (i = 1; i < g->nobj; i++)
		if ((r = sp_buf_printf(&g->out, "%010zu 00000 n \n", g->off[i])) < 0)
			goto fail;
	if ((r = sp_buf_printf(&g->out, "trailer\n<< /Size %d /Root %d 0 R /Info %d 0 R /ID [",
			       g->nobj, cat_num, info_num)) < 0 ||
	    (r = pdfw_hexstr(&g->out, id, 16)) < 0 || (r = pdfw_hexstr(&g->out, id, 16)) < 0 ||
	    (r = sp_buf_printf(&g->out, "] >>\nstartxref\n%zu\n%%%%EOF\n", xref)) < 0)
		goto fail;
	*pdf = sp_buf_take(&g->out, len);
	return SP_OK;
fail:
	return sp_err(ei, r, "writing the document: %s", sp_strerror(r));
}
