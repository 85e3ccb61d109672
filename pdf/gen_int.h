/*
 * gen_int.h: generated documents inside pdf/: a CJK font (HarfBuzz shaping,
 * hb-subset subsets), a small page composer that writes a whole new PDF, and
 * an anti-aliased polygon rasterizer for generated pictures.
 */
#ifndef SP_PDF_GEN_INT_H
#define SP_PDF_GEN_INT_H

#include <hb.h>
#include <stdint.h>

#include "pdf.h"
#include "sp.h"

/* ---- cjk.c: an OpenType CFF font ---------------------------------------- */
struct cjk_font;

/* One shaped glyph; advance and offsets in font units. cluster: byte offset. */
struct cjk_glyph {
	uint32_t gid, cid; /* cid: the code the PDF shows (the CFF charset's CID) */
	int32_t adv, dx, dy;
	uint32_t cluster;
};

/*
 * Open face `index` of the OpenType file at path (a .ttc collection or an
 * .otf); the font must have CFF outlines. SP_ERR_IO (reason font_unreadable)
 * for a missing or unreadable file, SP_ERR_INVALID (font_index) for an index
 * outside the collection, SP_ERR_UNSUPPORTED (font_not_cff) otherwise.
 */
int cjk_font_open(const char *path, int index, struct cjk_font **out, struct sp_errinfo *ei) SP_WUR;
void cjk_font_free(struct cjk_font *f);
unsigned cjk_font_upem(const struct cjk_font *f);
hb_font_t *cjk_font_hb(struct cjk_font *f);
/* The ideographic em box (bottom, top) in font units. */
void cjk_font_embox(struct cjk_font *f, int *bottom, int *top);

/*
 * Shape utf8[0..len) (valid UTF-8, no control characters) into *g (malloc'd,
 * *n entries). A character the font has no glyph for fails with
 * SP_ERR_INVALID (reason font_missing_glyph) naming it.
 */
int cjk_shape(struct cjk_font *f, const char *utf8, size_t len, struct cjk_glyph **g, size_t *n,
	      struct sp_errinfo *ei) SP_WUR;

/*
 * Remember that the PDF shows glyph g for text[0..len) (ToUnicode). A glyph
 * has one ToUnicode entry, the first text seen for it, though several texts
 * may shape to it (a compatibility ideograph and its unified form, a
 * precomposed letter and its decomposition, "fi" and U+FB01): 1 when its
 * entry is text[0..len), 0 when it is not (the caller marks what it shows
 * with /ActualText), < 0 on failure.
 */
int cjk_font_use(struct cjk_font *f, const struct cjk_glyph *g, const char *text,
		 size_t len) SP_WUR;
/* UTF-8 s[0..n) as UTF-16BE hex digits (a PDF text string's, without the BOM). */
int cjk_utf16_hex(struct sp_buf *b, const char *s, size_t n) SP_WUR;

/*
 * Write the Type0 font of the glyphs used so far (subset with hb-subset):
 * objects type0_num (the font the pages refer to) and four new ones from
 * *next_num on (*next_num advances). Objects go into out as "n 0 obj ...
 * endobj" with their offsets recorded by the callback.
 */
struct gen;
int cjk_font_write(struct cjk_font *f, struct gen *g, int type0_num, struct sp_errinfo *ei) SP_WUR;

/* ---- gen.c: the page composer -------------------------------------------- */
#define GEN_A4_W 595.276
#define GEN_A4_H 841.89

enum gen_align { GEN_LEFT = 0, GEN_CENTER = 1, GEN_RIGHT = 2 };
#define GEN_BOLD 0x10 /* fill + thin stroke: a heavier face of the one font */

int gen_new(const char *font_path, int font_index, struct gen **out, struct sp_errinfo *ei) SP_WUR;
void gen_free(struct gen *g);
struct cjk_font *gen_font(struct gen *g);
/* A new page (points); it becomes the current page. Returns its index or < 0. */
int gen_page_add(struct gen *g, double w, double h, struct sp_errinfo *ei) SP_WUR;
int gen_page_count(const struct gen *g);
void gen_page_select(struct gen *g, int index);

/* The current page's content stream (NULL before the first page). */
struct sp_buf *gen_content(struct gen *g);
/* "r g b op " for a 0xRRGGBB colour (op: rg fill, RG stroke). */
int gen_colour(struct sp_buf *b, uint32_t rgb, const char *op) SP_WUR;

/* Reserve an object number; write objects (the whole "n 0 obj ... endobj"). */
int gen_obj_reserve(struct gen *g);
int gen_obj_begin(struct gen *g, int num, struct sp_buf **b, struct sp_errinfo *ei) SP_WUR;
int gen_obj_end(struct gen *g) SP_WUR;
/* A whole stream object; dict_body without << >>, /Length is added. */
int gen_obj_stream(struct gen *g, int num, const char *dict_body, const unsigned char *data,
		   size_t len, struct sp_errinfo *ei) SP_WUR;

/* Width in points of utf8 at size. */
int gen_text_width(struct gen *g, const char *utf8, double size, double *w,
		   struct sp_errinfo *ei) SP_WUR;
/* One line of text; x is the left, centre or right end by flags (enum gen_align | GEN_BOLD). */
int gen_text(struct gen *g, double x, double y, double size, uint32_t rgb, int flags,
	     const char *utf8, struct sp_errinfo *ei) SP_WUR;
/*
 * Text wrapped to width (CJK breaks between any two ideographs, Latin at
 * spaces, an over-long word anywhere), first baseline at y, lines `leading`
 * apart; '\n' starts a new line. draw = 0 only measures. *nlines gets the
 * number of lines.
 */
int gen_text_wrap(struct gen *g, double x, double y, double width, double size, double leading,
		  uint32_t rgb, int flags, const char *utf8, int draw, int *nlines,
		  struct sp_errinfo *ei) SP_WUR;
int gen_line(struct gen *g, double x0, double y0, double x1, double y1, double lw, uint32_t rgb,
	     double dash, struct sp_errinfo *ei) SP_WUR;
/* fill_rgb / stroke_rgb: GEN_NONE for none. */
#define GEN_NONE 0xffffffffu
int gen_rect(struct gen *g, double x, double y, double w, double h, double lw, uint32_t stroke_rgb,
	     uint32_t fill_rgb, double dash, struct sp_errinfo *ei) SP_WUR;
int gen_circle(struct gen *g, double cx, double cy, double r, double lw, uint32_t stroke_rgb,
	       double dash, struct sp_errinfo *ei) SP_WUR;
/* A PNG (with alpha) scaled into the box x, y, w, h. */
int gen_image_png(struct gen *g, const unsigned char *png, size_t len, double x, double y, double w,
		  double h, struct sp_errinfo *ei) SP_WUR;
/* An embedded file: /EmbeddedFiles and the catalog's /AF. */
int gen_attach(struct gen *g, const char *filename, const char *mime, const char *desc,
	       const unsigned char *data, size_t len, struct sp_errinfo *ei) SP_WUR;
/*
 * A copy of in (NULL: "") safe to show: malformed bytes and characters the
 * font lacks become "?", control and bidi characters a space. *out malloc'd.
 */
int gen_sanitize(struct gen *g, const char *in, char **out) SP_WUR;
/* Subset the font, write the whole file; *pdf malloc'd. The composer is spent. */
int gen_finish(struct gen *g, const char *title, unsigned char **pdf, size_t *len,
	       struct sp_errinfo *ei) SP_WUR;

/* ---- raster.c: anti-aliased fill and PNG -------------------------------- */
struct raster;
int raster_new(unsigned w, unsigned h, struct raster **out, struct sp_errinfo *ei) SP_WUR;
void raster_free(struct raster *r);
/* The current path, in pixel coordinates (y down). */
int raster_move(struct raster *r, double x, double y) SP_WUR;
int raster_line(struct raster *r, double x, double y) SP_WUR;
int raster_quad(struct raster *r, double cx, double cy, double x, double y) SP_WUR;
int raster_cubic(struct raster *r, double c1x, double c1y, double c2x, double c2y, double x,
		 double y) SP_WUR;
void raster_close(struct raster *r);
/* Fill the path (non-zero winding) in colour rgb over what is there; clears the path. */
int raster_fill(struct raster *r, uint32_t rgb, struct sp_errinfo *ei) SP_WUR;
/* RGBA pixel at x, y (for tests of the picture). */
uint32_t raster_pixel(const struct raster *r, unsigned x, unsigned y);
int raster_png(const struct raster *r, unsigned char **png, size_t *len,
	       struct sp_errinfo *ei) SP_WUR;

/* ---- shared input checks -------------------------------------------------- */
/* s is non-NULL, well-formed UTF-8 without control characters, 1..max_cp code points. */
int gen_check_text(const char *what, const char *s, size_t min_cp, size_t max_cp,
		   struct sp_errinfo *ei) SP_WUR;

#endif /* SP_PDF_GEN_INT_H */
