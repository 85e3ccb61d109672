/*
 * raster.c: an anti-aliased polygon filler for generated pictures (the
 * round seal). Paths are flattened to edges; a fill samples each pixel row
 * on RASTER_SS sub-scanlines, finds the crossings of the active edges,
 * keeps the spans where the non-zero winding number holds and adds their
 * exact horizontal coverage, so edges are smooth both ways. The picture is
 * one RGBA buffer (straight alpha), written out with libpng.
 */
#include <math.h>
#include <png.h>
#include <stdlib.h>
#include <string.h>

#include "gen_int.h"

#define RASTER_SS 16             /* sub-scanlines per pixel row */
#define RASTER_MAX_EDGES 4000000 /* per fill */

struct edge {
	double x0, y0, x1, y1; /* y0 < y1 */
	int dir;               /* +1 downwards in the path, -1 upwards */
	double dxdy;
};

struct raster {
	unsigned w, h;
	unsigned char *rgba;
	struct edge *e;
	size_t ne, cape;
	double sx, sy, cx, cy; /* subpath start and current point */
	int open, failed;
};

int
raster_new(unsigned w, unsigned h, struct raster **out, struct sp_errinfo *ei)
{
	struct raster *r;

	*out = NULL;
	if (!(r = calloc(1, sizeof(*r))) || !(r->rgba = calloc((size_t)w * h, 4))) {
		free(r);
		return sp_err(ei, SP_ERR_NOMEM, "out of memory for a %ux%u picture", w, h);
	}
	r->w = w;
	r->h = h;
	*out = r;
	return SP_OK;
}

void
raster_free(struct raster *r)
{
	if (!r)
		return;
	free(r->rgba);
	free(r->e);
	free(r);
}

static int
add_edge(struct raster *r, double x0, double y0, double x1, double y1)
{
	struct edge *e;

	if (y0 == y1)
		return SP_OK; /* horizontal edges cross no sub-scanline */
	if (r->ne >= RASTER_MAX_EDGES) {
		r->failed = SP_ERR_LIMIT;
		return SP_ERR_LIMIT;
	}
	if (r->ne == r->cape) {
		size_t nc = r->cape ? 2 * r->cape : 1024;
		struct edge *ne = realloc(r->e, nc * sizeof(*ne));
		if (!ne) {
			r->failed = SP_ERR_NOMEM;
			return SP_ERR_NOMEM;
		}
		r->e = ne;
		r->cape = nc;
	}
	e = &r->e[r->ne++];
	if (y0 < y1) {
		*e = (struct edge){ x0, y0, x1, y1, 1, 0 };
	} else {
		*e = (struct edge){ x1, y1, x0, y0, -1, 0 };
	}
	e->dxdy = (e->x1 - e->x0) / (e->y1 - e->y0);
	return SP_OK;
}

void
raster_close(struct raster *r)
{
	if (r->open && (r->cx != r->sx || r->cy != r->sy))
		(void)add_edge(r, r->cx, r->cy, r->sx, r->sy);
	r->cx = r->sx;
	r->cy = r->sy;
	r->open = 0;
}

int
raster_move(struct raster *r, double x, double y)
{
	raster_close(r);
	r->sx = r->cx = x;
	r->sy = r->cy = y;
	r->open = 1;
	return r->failed;
}

int
raster_line(struct raster *r, double x, double y)
{
	int e;

	if (!r->open)
		return raster_move(r, x, y);
	e = add_edge(r, r->cx, r->cy, x, y);
	r->cx = x;
	r->cy = y;
	return e;
}

/* Segments for a curve whose control polygon is `len` pixels long. */
static int
nseg(double len)
{
	int n = (int)ceil(sqrt(len) * 1.5);
	return n < 2 ? 2 : n > 200 ? 200 : n;
}

int
raster_quad(struct raster *r, double cx, double cy, double x, double y)
{
	double x0 = r->cx, y0 = r->cy;
	int n = nseg(hypot(cx - x0, cy - y0) + hypot(x - cx, y - cy)), i, e;

	for (i = 1; i <= n; i++) {
		double t = (double)i / n, u = 1 - t;
		if ((e = raster_line(r, u * u * x0 + 2 * u * t * cx + t * t * x,
				     u * u * y0 + 2 * u * t * cy + t * t * y)) < 0)
			return e;
	}
	return SP_OK;
}

int
raster_cubic(struct raster *r, double c1x, double c1y, double c2x, double c2y, double x, double y)
{
	double x0 = r->cx, y0 = r->cy;
	int n = nseg(hypot(c1x - x0, c1y - y0) + hypot(c2x - c1x, c2y - c1y) +
		     hypot(x - c2x, y - c2y)),
	    i, e;

	for (i = 1; i <= n; i++) {
		double t = (double)i / n, u = 1 - t;
		double a = u * u * u, b = 3 * u * u * t, c = 3 * u * t * t, d = t * t * t;
		if ((e = raster_line(r, a * x0 + b * c1x + c * c2x + d * x,
				     a * y0 + b * c1y + c * c2y + d * y)) < 0)
			return e;
	}
	return SP_OK;
}

static int
edge_cmp(const void *a, const void *b)
{
	const struct edge *x = a, *y = b;
	return x->y0 < y->y0 ? -1 : x->y0 > y->y0;
}

struct xing {
	double x;
	int dir;
	size_t e; /* the edge */
};

static void
span(float *acc, unsigned w, double a, double b, float wt)
{
	long ia, ib, i;

	if (a < 0)
		a = 0;
	if (b > w)
		b = w;
	if (b <= a)
		return;
	ia = (long)floor(a);
	ib = (long)floor(b);
	if (ia == ib) {
		acc[ia] += (float)(b - a) * wt;
		return;
	}
	acc[ia] += (float)(ia + 1 - a) * wt;
	for (i = ia + 1; i < ib; i++)
		acc[i] += wt;
	if (ib < (long)w)
		acc[ib] += (float)(b - ib) * wt;
}

int
raster_fill(struct raster *r, uint32_t rgb, struct sp_errinfo *ei)
{
	int rc = SP_ERR_INTERNAL;
	size_t *act = NULL, nact = 0, next = 0, i;
	struct xing *xs = NULL;
	float *acc = NULL;
	unsigned row, s, x;

	raster_close(r);
	if (r->failed) {
		rc = sp_err(ei, r->failed, "the picture's path is too large");
		goto out;
	}
	if (r->ne == 0) {
		rc = SP_OK;
		goto out;
	}
	qsort(r->e, r->ne, sizeof(*r->e), edge_cmp);
	if (!(act = malloc(r->ne * sizeof(*act))) || !(xs = malloc(r->ne * sizeof(*xs))) ||
	    !(acc = malloc(((size_t)r->w + 1) * sizeof(*acc)))) {
		rc = sp_err(ei, SP_ERR_NOMEM, "out of memory filling the picture");
		goto out;
	}
	for (row = 0; row < r->h; row++) {
		int any = 0;
		memset(acc, 0, ((size_t)r->w + 1) * sizeof(*acc));
		for (s = 0; s < RASTER_SS; s++) {
			double y = row + (s + 0.5) / RASTER_SS;
			size_t nx = 0;
			int wind = 0;
			while (next < r->ne && r->e[next].y0 <= y)
				act[nact++] = next++;
			for (i = 0; i < nact; i++) {
				const struct edge *e = &r->e[act[i]];
				if (e->y1 <= y)
					continue; /* finished: dropped below */
				xs[nx].x = e->x0 + (y - e->y0) * e->dxdy;
				xs[nx].dir = e->dir;
				xs[nx++].e = act[i];
			}
			/*
			 * The active list stays in the order of the last
			 * sub-scanline, so it is nearly sorted: insertion sort
			 * is linear but for the few edges that crossed or began.
			 */
			for (i = 1; i < nx; i++) {
				struct xing t = xs[i];
				size_t j = i;
				for (; j > 0 && xs[j - 1].x > t.x; j--)
					xs[j] = xs[j - 1];
				xs[j] = t;
			}
			for (i = 0; i < nx; i++)
				act[i] = xs[i].e;
			nact = nx;
			if (nx < 2)
				continue;
			for (i = 0; i + 1 < nx; i++) {
				wind += xs[i].dir;
				if (wind != 0) {
					span(acc, r->w, xs[i].x, xs[i + 1].x, 1.0f / RASTER_SS);
					any = 1;
				}
			}
		}
		if (!any)
			continue;
		for (x = 0; x < r->w; x++) {
			unsigned char *p = r->rgba + ((size_t)row * r->w + x) * 4;
			double c = acc[x] > 1 ? 1 : acc[x], a0 = p[3] / 255.0, a;
			if (c <= 0)
				continue;
			/* One colour over another: straight alpha "over". */
			a = c + a0 * (1 - c);
			p[0] = (unsigned char)lround(
				(((rgb >> 16) & 0xff) * c + p[0] * a0 * (1 - c)) / a);
			p[1] = (unsigned char)lround(
				(((rgb >> 8) & 0xff) * c + p[1] * a0 * (1 - c)) / a);
			p[2] = (unsigned char)lround(((rgb & 0xff) * c + p[2] * a0 * (1 - c)) / a);
			p[3] = (unsigned char)lround(a * 255);
		}
	}
	rc = SP_OK;
out:
	free(act);
	free(xs);
	free(acc);
	r->ne = 0;
	r->open = 0;
	r->failed = 0;
	return rc;
}

uint32_t
raster_pixel(const struct raster *r, unsigned x, unsigned y)
{
	const unsigned char *p;

	if (x >= r->w || y >= r->h)
		return 0;
	p = r->rgba + ((size_t)y * r->w + x) * 4;
	return sp_load_be32(p);
}

int
raster_png(const struct raster *r, unsigned char **png, size_t *len, struct sp_errinfo *ei)
{
	png_image im;
	png_alloc_size_t n = 0;
	unsigned char *buf = NULL;

	*png = NULL;
	*len = 0;
	memset(&im, 0, sizeof(im));
	im.version = PNG_IMAGE_VERSION;
	im.width = r->w;
	im.height = r->h;
	im.format = PNG_FORMAT_RGBA;
	/* First the size, then the bytes (libpng's simplified writer). */
	if (!png_image_write_get_memory_size(im, n, 0, r->rgba, 0, NULL))
		return sp_err(ei, SP_ERR_INTERNAL, "PNG encoding failed: %s", im.message);
	if (!(buf = malloc(n)))
		return sp_err(ei, SP_ERR_NOMEM, "out of memory encoding the PNG");
	if (!png_image_write_to_memory(&im, buf, &n, 0, r->rgba, 0, NULL)) {
		free(buf);
		return sp_err(ei, SP_ERR_INTERNAL, "PNG encoding failed: %s", im.message);
	}
	*png = buf;
	*len = n;
	return SP_OK;
}
