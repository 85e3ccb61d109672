/*
 * seal_art.c: the generated standard round seal (GA 241-2000 style): a red
 * ring, a five-pointed star in the centre, the organization's name along the
 * upper arc (each character upright towards the ring, rotated to the
 * tangent, evenly spaced over about 240 degrees), the seal type straight
 * below the star and an optional code along the lower arc, on a transparent
 * background. Glyph outlines come from HarfBuzz (hb_font_get_glyph_shape)
 * and are filled by raster.c; characters are drawn narrow and heavy, as seal
 * engravers cut them.
 */
#include <hb-ot.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gen_int.h"

#define SEAL_RED 0xdd1a21u
#define SEAL_NAME_MAX 40
#define SEAL_TYPE_MAX 12
#define SEAL_CODE_MAX 20

/* Where one glyph goes: its em-box centre, axes and scale, all in pixels. */
struct place {
	struct raster *r;
	double cx, cy; /* the picture's centre, pixels (y down) */
	double ox, oy; /* glyph em-box centre, seal coordinates (y up) */
	double rx, ry; /* the glyph's right direction (unit) */
	double ux, uy; /* its up direction (unit) */
	double sx, sy; /* pixels per font unit, horizontally and vertically */
	double gu, gv; /* em-box centre in font units */
	double bx, by; /* emboldening offset of this copy, pixels */
	int err;
};

static void
map(const struct place *p, float u, float v, double *x, double *y)
{
	double a = (u - p->gu) * p->sx, b = (v - p->gv) * p->sy;
	double X = p->ox + a * p->rx + b * p->ux, Y = p->oy + a * p->ry + b * p->uy;

	*x = p->cx + X + p->bx;
	*y = p->cy - Y + p->by;
}

static void
d_move(hb_draw_funcs_t *df, void *d, hb_draw_state_t *st, float x, float y, void *u)
{
	struct place *p = d;
	double px, py;

	map(p, x, y, &px, &py);
	if (!p->err)
		p->err = raster_move(p->r, px, py);
}

static void
d_line(hb_draw_funcs_t *df, void *d, hb_draw_state_t *st, float x, float y, void *u)
{
	struct place *p = d;
	double px, py;

	map(p, x, y, &px, &py);
	if (!p->err)
		p->err = raster_line(p->r, px, py);
}

static void
d_quad(hb_draw_funcs_t *df, void *d, hb_draw_state_t *st, float cx, float cy, float x, float y,
       void *u)
{
	struct place *p = d;
	double a, b, px, py;

	map(p, cx, cy, &a, &b);
	map(p, x, y, &px, &py);
	if (!p->err)
		p->err = raster_quad(p->r, a, b, px, py);
}

static void
d_cubic(hb_draw_funcs_t *df, void *d, hb_draw_state_t *st, float c1x, float c1y, float c2x,
	float c2y, float x, float y, void *u)
{
	struct place *p = d;
	double a, b, c, e, px, py;

	map(p, c1x, c1y, &a, &b);
	map(p, c2x, c2y, &c, &e);
	map(p, x, y, &px, &py);
	if (!p->err)
		p->err = raster_cubic(p->r, a, b, c, e, px, py);
}

static void
d_close(hb_draw_funcs_t *df, void *d, hb_draw_state_t *st, void *u)
{
	raster_close(((struct place *)d)->r);
}

/*
 * Add glyph gid's outline (with emboldening copies `bold` pixels around it)
 * to the raster's path. The caller fills.
 */
static int
glyph(struct place *p, hb_font_t *font, hb_draw_funcs_t *df, uint32_t gid, double bold)
{
	int k, n = bold > 0.05 ? 12 : 0;

	for (k = -1; k < n; k++) {
		p->bx = k < 0 ? 0 : bold * cos(2 * M_PI * k / n);
		p->by = k < 0 ? 0 : bold * sin(2 * M_PI * k / n);
		hb_font_get_glyph_shape(font, gid, df, p);
		raster_close(p->r);
		if (p->err)
			return p->err;
	}
	return SP_OK;
}

static int
circle(struct raster *r, double cx, double cy, double rad, int ccw)
{
	int n = 720, i, e = SP_OK;

	for (i = 0; i <= n && e == SP_OK; i++) {
		double t = 2 * M_PI * i / n * (ccw ? 1 : -1);
		double x = cx + rad * cos(t), y = cy - rad * sin(t);
		e = i == 0 ? raster_move(r, x, y) : raster_line(r, x, y);
	}
	raster_close(r);
	return e;
}

static int
star(struct raster *r, double cx, double cy, double rad)
{
	double inner = rad * sin(M_PI / 10) / sin(3 * M_PI / 10); /* a regular star */
	int i, e = SP_OK;

	for (i = 0; i < 10 && e == SP_OK; i++) {
		double a = M_PI / 2 + i * M_PI / 5, rr = (i & 1) ? inner : rad;
		double x = cx + rr * cos(a), y = cy - rr * sin(a);
		e = i == 0 ? raster_move(r, x, y) : raster_line(r, x, y);
	}
	raster_close(r);
	return e;
}

static int
check_code(const char *code, struct sp_errinfo *ei)
{
	size_t i, n = strlen(code);

	if (n == 0 || n > SEAL_CODE_MAX)
		return sp_err_reason(ei, SP_ERR_INVALID, "seal_code",
				     "the seal code has %zu characters (1..%d allowed)", n,
				     SEAL_CODE_MAX);
	for (i = 0; i < n; i++)
		if (!((code[i] >= '0' && code[i] <= '9') || (code[i] >= 'A' && code[i] <= 'Z') ||
		      (code[i] >= 'a' && code[i] <= 'z')))
			return sp_err_reason(ei, SP_ERR_INVALID, "seal_code",
					     "the seal code may hold only digits and letters");
	return SP_OK;
}

int
pdf_seal_round_png(const char *font_path, int font_index, const struct pdf_seal_art *a,
		   unsigned char **png, size_t *png_len, struct sp_errinfo *ei)
{
	int r = SP_ERR_INTERNAL, eb = 0, et = 0;
	struct cjk_font *f = NULL;
	struct raster *ras = NULL;
	hb_draw_funcs_t *df = NULL;
	struct cjk_glyph *ng = NULL, *tg = NULL, *cg = NULL;
	size_t nn = 0, nt = 0, nc = 0, i;
	const char *type = a && a->type_text ? a->type_text : "";
	double S, R, Ri, c, upem, E, h, w, rn, step, span;
	struct place p;
	hb_font_t *hf;

	*png = NULL;
	*png_len = 0;
	if (!a)
		return sp_err(ei, SP_ERR_INVALID, "no seal description");
	if (a->size_px < 120 || a->size_px > 1024)
		return sp_err_reason(ei, SP_ERR_INVALID, "seal_size",
				     "seal picture size %u px is outside 120..1024", a->size_px);
	if ((r = gen_check_text("the organization name", a->org_name, 1, SEAL_NAME_MAX, ei)) < 0)
		return r;
	if (*type && (r = gen_check_text("the seal type text", type, 0, SEAL_TYPE_MAX, ei)) < 0)
		return r;
	if (a->code && (r = check_code(a->code, ei)) < 0)
		return r;
	if ((r = cjk_font_open(font_path, font_index, &f, ei)) < 0)
		return r;
	hf = cjk_font_hb(f);
	upem = cjk_font_upem(f);
	cjk_font_embox(f, &eb, &et);
	if ((r = cjk_shape(f, a->org_name, strlen(a->org_name), &ng, &nn, ei)) < 0 ||
	    (*type && (r = cjk_shape(f, type, strlen(type), &tg, &nt, ei)) < 0) ||
	    (a->code && (r = cjk_shape(f, a->code, strlen(a->code), &cg, &nc, ei)) < 0))
		goto out;
	if ((r = raster_new(a->size_px, a->size_px, &ras, ei)) < 0)
		goto out;
	if (!(df = hb_draw_funcs_create())) {
		r = sp_err(ei, SP_ERR_NOMEM, "out of memory");
		goto out;
	}
	hb_draw_funcs_set_move_to_func(df, d_move, NULL, NULL);
	hb_draw_funcs_set_line_to_func(df, d_line, NULL, NULL);
	hb_draw_funcs_set_quadratic_to_func(df, d_quad, NULL, NULL);
	hb_draw_funcs_set_cubic_to_func(df, d_cubic, NULL, NULL);
	hb_draw_funcs_set_close_path_func(df, d_close, NULL, NULL);
	hb_draw_funcs_make_immutable(df);

	S = a->size_px;
	c = S / 2;
	R = S * 0.48;
	Ri = R - R * 0.068;
	/* The ring: outer circle one way, inner the other (non-zero leaves a hole). */
	if ((r = circle(ras, c, c, R, 1)) < 0 || (r = circle(ras, c, c, Ri, 0)) < 0 ||
	    (r = star(ras, c, c, R * 0.33)) < 0 || (r = raster_fill(ras, SEAL_RED, ei)) < 0)
		goto fail;

	memset(&p, 0, sizeof(p));
	p.r = ras;
	p.cx = p.cy = c;
	p.gv = (eb + et) / 2.0;

	/* The name: cells of height h and width w centred on radius rn. */
	E = R * 0.29;
	h = E;
	rn = Ri - R * 0.05 - h / 2;
	/* Long names take a wider arc; short ones are spread, never crowded at the top. */
	span = (nn > 16 ? 250 : 240) * M_PI / 180;
	step = 0;
	for (i = 0; i < 3; i++) {
		step = nn > 1 ? fmin(span / (double)(nn - 1), E * 2.0 / rn) : 0;
		/* A cell is as wide as the arc allows at its inner edge, at most 1:2. */
		w = nn > 1 ? fmin(0.80 * E, 0.80 * step * (rn - h / 2)) : 0.80 * E;
		h = fmin(E, w / 0.5);
		rn = Ri - R * 0.05 - h / 2;
	}
	for (i = 0; i < nn; i++) {
		/* From the left end clockwise; angle 90 degrees is the top. */
		double th = M_PI / 2 + step * ((double)(nn - 1) / 2 - (double)i);
		double adv = ng[i].adv > 0 ? ng[i].adv : upem;
		p.ox = rn * cos(th);
		p.oy = rn * sin(th);
		p.ux = cos(th);
		p.uy = sin(th);
		p.rx = sin(th);
		p.ry = -cos(th);
		p.sy = h / (et - eb);
		p.sx = w / upem; /* narrower (Latin) glyphs stay narrow, centred in their cell */
		p.gu = adv / 2;
		if ((r = glyph(&p, hf, df, ng[i].gid, fmin(w, h) * 0.028)) < 0)
			goto fail;
	}
	if ((r = raster_fill(ras, SEAL_RED, ei)) < 0)
		goto out;

	/* The type, straight below the star, as wide as the space allows. */
	if (nt) {
		double th_ = R * 0.175, tot = 0, maxw = R * 1.15, xr = 0.92, x, y = -R * 0.52;
		for (i = 0; i < nt; i++)
			tot += tg[i].adv * 1.1;
		tot *= th_ / (et - eb);
		if (tot * xr > maxw)
			xr = maxw / tot;
		x = -tot * xr / 2;
		for (i = 0; i < nt; i++) {
			double cw = tg[i].adv * 1.1 * th_ / (et - eb) * xr;
			p.ox = x + cw / 2;
			p.oy = y;
			p.rx = 1;
			p.ry = 0;
			p.ux = 0;
			p.uy = 1;
			p.sy = th_ / (et - eb);
			p.sx = p.sy * xr;
			p.gu = tg[i].adv / 2.0;
			if ((r = glyph(&p, hf, df, tg[i].gid, th_ * 0.02)) < 0)
				goto fail;
			x += cw;
		}
		if ((r = raster_fill(ras, SEAL_RED, ei)) < 0)
			goto out;
	}

	/* The code along the lower arc, reading left to right, tops inwards. */
	if (nc) {
		double hc = R * 0.105, rc = Ri - R * 0.035 - hc / 2, sy = hc / (et - eb), tot = 0,
		       th;
		for (i = 0; i < nc; i++)
			tot += cg[i].adv * sy * 1.25;
		/* Never more than the lower 100 degrees, below the name's ends. */
		if (tot > rc * 100 * M_PI / 180) {
			sy *= rc * 100 * M_PI / 180 / tot;
			tot = rc * 100 * M_PI / 180;
		}
		th = 3 * M_PI / 2 - tot / rc / 2;
		for (i = 0; i < nc; i++) {
			double cw = cg[i].adv * sy * 1.25, t = th + cw / 2 / rc;
			p.ox = rc * cos(t);
			p.oy = rc * sin(t);
			p.ux = -cos(t);
			p.uy = -sin(t);
			p.rx = -sin(t);
			p.ry = cos(t);
			p.sx = p.sy = sy;
			p.gu = cg[i].adv / 2.0;
			if ((r = glyph(&p, hf, df, cg[i].gid, hc * 0.015)) < 0)
				goto fail;
			th += cw / rc;
		}
		if ((r = raster_fill(ras, SEAL_RED, ei)) < 0)
			goto out;
	}
	r = raster_png(ras, png, png_len, ei);
	goto out;
fail:
	r = sp_err(ei, r, "drawing the seal: %s", sp_strerror(r));
out:
	hb_draw_funcs_destroy(df);
	raster_free(ras);
	free(ng);
	free(tg);
	free(cg);
	cjk_font_free(f);
	return r;
}
