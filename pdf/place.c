/*
 * place.c: turning placements (as a client asks for them, in displayed page
 * coordinates) into widget rectangles in each page's default user space.
 *
 * Displayed coordinates: origin at the bottom-left of the visible CropBox
 * area after /Rotate, x right, y up, in points (a page's /UserUnit scales
 * its user space: one unit is that many points). /Rotate turns the page
 * clockwise for display, so a displayed point (u, v) on a page whose CropBox
 * is w x h (unrotated) at (cx, cy) is, in user space:
 *   0: (cx + u, cy + v)          90: (cx + w - v, cy + u)
 * 180: (cx + w - u, cy + h - v) 270: (cx + v, cy + h - u)
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pdf_int.h"

#define MM_TO_PT (72.0 / 25.4)
#define MAX_RANGE_SPEC 4096
#define MAX_WIDGETS 20000

static void
view_to_user(const struct pdf_page_info *pi, double u, double v, double *x, double *y)
{
	double w = pi->crop.x1 - pi->crop.x0, h = pi->crop.y1 - pi->crop.y0;

	u /= pi->unit;
	v /= pi->unit;
	switch (pi->rotate) {
	case 90:
		*x = w - v;
		*y = u;
		break;
	case 180:
		*x = w - u;
		*y = h - v;
		break;
	case 270:
		*x = v;
		*y = h - u;
		break;
	default:
		*x = u;
		*y = v;
		break;
	}
	*x += pi->crop.x0;
	*y += pi->crop.y0;
}

static void
user_to_view(const struct pdf_page_info *pi, double x, double y, double *u, double *v)
{
	double w = pi->crop.x1 - pi->crop.x0, h = pi->crop.y1 - pi->crop.y0;

	x -= pi->crop.x0;
	y -= pi->crop.y0;
	switch (pi->rotate) {
	case 90:
		*u = y;
		*v = w - x;
		break;
	case 180:
		*u = w - x;
		*v = h - y;
		break;
	case 270:
		*u = h - y;
		*v = x;
		break;
	default:
		*u = x;
		*v = y;
		break;
	}
	*u *= pi->unit;
	*v *= pi->unit;
}

static struct pdf_rect
view_rect_to_user(const struct pdf_page_info *pi, struct pdf_rect vr)
{
	struct pdf_rect r;
	double ax, ay, bx, by;

	view_to_user(pi, vr.x0, vr.y0, &ax, &ay);
	view_to_user(pi, vr.x1, vr.y1, &bx, &by);
	r.x0 = fmin(ax, bx);
	r.y0 = fmin(ay, by);
	r.x1 = fmax(ax, bx);
	r.y1 = fmax(ay, by);
	return r;
}

void
pdf_date_text(time_t t, int utc_offset_min, char out[16])
{
	time_t lt = t + (time_t)utc_offset_min * 60;
	struct tm tm;

	gmtime_r(&lt, &tm);
	snprintf(out, 16, "%04d-%02d-%02d", (tm.tm_year + 1900) % 10000, (tm.tm_mon + 1) % 100,
		 tm.tm_mday % 100);
}

/* Helvetica: digits are 556/1000 em and '-' 333: "YYYY-MM-DD" plus padding. */
void
pdf_date_stamp_size(double *w, double *h)
{
	*w = (8 * 556 + 2 * 333) / 1000.0 * PDF_DATE_FONT_SIZE + 8;
	*h = PDF_DATE_FONT_SIZE + 8;
}

int
pdf_place_mode_parse(const char *name, enum pdf_place_mode *out, struct sp_errinfo *ei)
{
	static const struct {
		const char *n;
		enum pdf_place_mode m;
	} t[] = {
		{ "normal", PDF_PLACE_NORMAL }, { "multi", PDF_PLACE_MULTI },
		{ "seam", PDF_PLACE_SEAM },     { "keyword", PDF_PLACE_KEYWORD },
		{ "date", PDF_PLACE_DATE },     { "field", PDF_PLACE_FIELD },
	};
	size_t i;

	*out = 0;
	for (i = 0; name && i < SP_ARRAY_LEN(t); i++) {
		if (strcmp(name, t[i].n) == 0) {
			*out = t[i].m;
			return SP_OK;
		}
	}
	return sp_err_reason(ei, SP_ERR_INVALID, "placement_mode",
			     "unknown placement mode \"%.40s\" (normal, multi, seam, keyword, "
			     "date, field)",
			     name ? name : "");
}

static int
parse_uint(const char **pp, long *v)
{
	const char *p = *pp;
	long n = 0;

	if (!isdigit((unsigned char)*p))
		return -1;
	for (; isdigit((unsigned char)*p); p++) {
		n = n * 10 + (*p - '0');
		if (n > 1000000)
			return -1;
	}
	*v = n;
	*pp = p;
	return 0;
}

int
pdf_page_range_parse(const char *spec, int npages, int **pages, size_t *npages_out,
		     struct sp_errinfo *ei)
{
	int r = SP_ERR_INTERNAL, *v = NULL;
	unsigned char *seen = NULL;
	const char *p = spec;
	size_t n = 0;
	long a, b, k;

	*pages = NULL;
	*npages_out = 0;
	if (!spec || !*spec || strlen(spec) > MAX_RANGE_SPEC || npages < 1) {
		r = sp_err_reason(ei, SP_ERR_INVALID, "page_range", "empty or overlong page range");
		goto out;
	}
	if (!(v = calloc((size_t)npages, sizeof(*v))) || !(seen = calloc((size_t)npages + 1, 1))) {
		r = sp_err(ei, SP_ERR_NOMEM, "out of memory parsing a page range");
		goto out;
	}
	while (isspace((unsigned char)*p))
		p++;
	if (strncmp(p, "all", 3) == 0) {
		for (p += 3; isspace((unsigned char)*p); p++)
			;
		if (*p) {
			r = sp_err_reason(ei, SP_ERR_INVALID, "page_range",
					  "page range \"%.40s\": nothing may follow \"all\"", spec);
			goto out;
		}
		for (k = 1; k <= npages; k++)
			v[n++] = (int)k;
		goto done;
	}
	for (;;) {
		while (isspace((unsigned char)*p))
			p++;
		if (parse_uint(&p, &a) < 0) {
			r = sp_err_reason(ei, SP_ERR_INVALID, "page_range",
					  "page range \"%.40s\": expected a page number at "
					  "\"%.10s\"",
					  spec, p);
			goto out;
		}
		b = a;
		while (isspace((unsigned char)*p))
			p++;
		if (*p == '-') {
			p++;
			while (isspace((unsigned char)*p))
				p++;
			if (parse_uint(&p, &b) < 0) {
				r = sp_err_reason(ei, SP_ERR_INVALID, "page_range",
						  "page range \"%.40s\": expected a page after '-'",
						  spec);
				goto out;
			}
		}
		if (a < 1 || b > npages || a > npages || b < a) {
			r = sp_err_reason(ei, SP_ERR_INVALID, "page_range",
					  "page range \"%.40s\": %ld-%ld is not within 1..%d or "
					  "not ascending",
					  spec, a, b, npages);
			goto out;
		}
		for (k = a; k <= b; k++) {
			if (seen[k]) {
				r = sp_err_reason(ei, SP_ERR_INVALID, "page_range",
						  "page range \"%.40s\": page %ld appears twice",
						  spec, k);
				goto out;
			}
			seen[k] = 1;
			v[n++] = (int)k;
		}
		while (isspace((unsigned char)*p))
			p++;
		if (*p == '\0')
			break;
		if (*p != ',') {
			r = sp_err_reason(ei, SP_ERR_INVALID, "page_range",
					  "page range \"%.40s\": unexpected \"%.10s\"", spec, p);
			goto out;
		}
		p++;
	}
	/* In page order whatever the order given: a seam seal's slices run across
	 * the stacked sheets left to right, so "3,1,2" must lay slice 0 on page 1. */
	for (n = 0, k = 1; k <= npages; k++)
		if (seen[k])
			v[n++] = (int)k;
done:
	*pages = v;
	*npages_out = n;
	v = NULL; /* transferred */
	r = SP_OK;
out:
	free(v);
	free(seen);
	return r;
}

struct wlist {
	struct pdf_widget_rect *v;
	size_t n, cap;
};

static int
wl_add(struct wlist *l, const struct pdf_widget_rect *w, struct sp_errinfo *ei)
{
	if (l->n >= MAX_WIDGETS)
		return sp_err(ei, SP_ERR_LIMIT, "more than %d seal widgets", MAX_WIDGETS);
	if (l->n == l->cap) {
		size_t nc = l->cap ? l->cap * 2 : 16;
		struct pdf_widget_rect *nv = realloc(l->v, nc * sizeof(*nv));
		if (!nv)
			return sp_err(ei, SP_ERR_NOMEM, "out of memory resolving placements");
		l->v = nv;
		l->cap = nc;
	}
	l->v[l->n++] = *w;
	return SP_OK;
}

/*
 * Rounding slack when comparing a box with the page: a seam slice computed as
 * width - slw/2 +- slw/2 may land a few ulps past the edge it sits on.
 */
#define EDGE_EPS 1e-6

/* The whole box, not only its centre, must lie within the visible page. */
static int
box_inside(const struct pdf_page_info *pi, const struct pdf_rect *b)
{
	return isfinite(b->x0) && isfinite(b->y0) && isfinite(b->x1) && isfinite(b->y1) &&
	       b->x0 >= -EDGE_EPS && b->y0 >= -EDGE_EPS && b->x1 <= pi->width + EDGE_EPS &&
	       b->y1 <= pi->height + EDGE_EPS;
}

static const char *
box_name(enum pdf_place_mode m)
{
	switch (m) {
	case PDF_PLACE_DATE:
		return "date stamp";
	case PDF_PLACE_SEAM:
		return "seam slice";
	default:
		return "seal";
	}
}

/*
 * A box of sw x sh centred at (u, v) on page. A box that does not fit
 * entirely inside the visible page (the CropBox after /Rotate) is refused,
 * never moved: the signer sees the refusal before any PIN is asked and places
 * it again, so what is signed is exactly what was asked for.
 */
static int
add_centred(struct pdf_doc *doc, struct wlist *l, size_t idx, const struct pdf_placement *p,
	    int page, double u, double v, double sw, double sh, struct sp_errinfo *ei)
{
	const struct pdf_page_info *pi;
	struct pdf_widget_rect w;
	int r;

	if (page < 1 || page > doc->npages)
		return sp_err_reason(ei, SP_ERR_INVALID, "placement_page",
				     "placement %zu: page %d out of range 1..%d", idx + 1, page,
				     doc->npages);
	if ((r = pdf_page_get(doc, page, &pi, ei)) < 0)
		return r;
	memset(&w, 0, sizeof(w));
	w.page = page;
	w.placement = idx;
	w.mode = p->mode;
	w.seal = p->mode == PDF_PLACE_DATE ? 0 : p->seal;
	w.nslices = 1;
	w.view.x0 = u - sw / 2;
	w.view.x1 = u + sw / 2;
	w.view.y0 = v - sh / 2;
	w.view.y1 = v + sh / 2;
	if (!box_inside(pi, &w.view))
		return sp_err_reason(
			ei, SP_ERR_INVALID, "placement_outside",
			"placement %zu: the %s %.1f,%.1f - %.1f,%.1f (centre %.1f,%.1f) "
			"reaches outside page %d, whose visible box is 0,0 - %.1f,%.1f "
			"(points, bottom-left origin): place it so that all of it is on "
			"the page",
			idx + 1, box_name(p->mode), w.view.x0, w.view.y0, w.view.x1, w.view.y1, u,
			v, page, pi->width, pi->height);
	w.rect = view_rect_to_user(pi, w.view);
	return wl_add(l, &w, ei);
}

static int
seal_size(const struct pdf_seal *s, double *w, double *h, struct sp_errinfo *ei)
{
	unsigned pw, ph;
	int r;

	if ((r = pdf_image_png_size(s->png, s->png_len, &pw, &ph, ei)) < 0)
		return r;
	if (!isfinite(s->width_mm) || s->width_mm > 1000)
		return sp_err(ei, SP_ERR_INVALID, "seal width %.1f mm is out of range",
			      s->width_mm);
	*w = (s->width_mm > 0 ? s->width_mm : PDF_SEAL_DEFAULT_MM) * MM_TO_PT;
	*h = *w * ph / pw;
	return SP_OK;
}

/*
 * The keyword searches of one resolve: run together (pdf_text_find_many) when
 * the first keyword placement is reached, for it and every later one, so
 * that the document's text is extracted once for all of them; each
 * placement takes its own result, its error reported in its turn as before.
 */
struct searches {
	const struct pdf_placement *pl;
	size_t npl;
	struct pdf_text_found *f; /* npl of them, once run */
};

static int
searches_run(struct pdf_doc *doc, struct searches *s, size_t from, struct sp_errinfo *ei)
{
	const char **needles;
	size_t *at, n = 0, i;
	int r;

	if (!(s->f = calloc(s->npl, sizeof(*s->f))) ||
	    !(needles = calloc(s->npl, sizeof(*needles))))
		return sp_err(ei, SP_ERR_NOMEM, "out of memory");
	if (!(at = calloc(s->npl, sizeof(*at)))) {
		free(needles);
		return sp_err(ei, SP_ERR_NOMEM, "out of memory");
	}
	for (i = from; i < s->npl; i++)
		if (s->pl[i].mode == PDF_PLACE_KEYWORD && s->pl[i].keyword && *s->pl[i].keyword) {
			at[n] = i;
			needles[n++] = s->pl[i].keyword;
		}
	/* the results land at the front, then move to their placements' slots */
	r = pdf_text_find_many(doc, needles, n, s->f, ei);
	for (i = n; r == SP_OK && i-- > 0;)
		if (at[i] != i) {
			s->f[at[i]] = s->f[i];
			memset(&s->f[i], 0, sizeof(s->f[i]));
		}
	free(at);
	free(needles);
	return r;
}

static void
searches_cleanup(struct searches *s)
{
	size_t i;

	for (i = 0; s->f != NULL && i < s->npl; i++)
		free(s->f[i].hits);
	free(s->f);
}

static int
resolve_keyword(struct pdf_doc *doc, struct wlist *l, size_t idx, const struct pdf_placement *p,
		double sw, double sh, struct searches *s, struct sp_errinfo *ei)
{
	int r = SP_ERR_INTERNAL, *sel = NULL;
	struct pdf_text_hit *hits = NULL;
	size_t nhits = 0, nsel = 0, i;

	if (!p->keyword || !*p->keyword) {
		r = sp_err_reason(ei, SP_ERR_INVALID, "placement_keyword",
				  "placement %zu: keyword mode needs a keyword", idx + 1);
		goto out;
	}
	if (s->f == NULL && (r = searches_run(doc, s, idx, ei)) < 0)
		goto out;
	if ((r = s->f[idx].rc) < 0) {
		if (ei != NULL && ei->code == SP_OK)
			*ei = s->f[idx].ei;
		goto out;
	}
	hits = s->f[idx].hits;
	nhits = s->f[idx].nhits;
	s->f[idx].hits = NULL; /* ours to free */
	if (nhits == 0) {
		r = sp_err_reason(ei, SP_ERR_INVALID, "keyword_not_found",
				  "placement %zu: keyword \"%.80s\" not found", idx + 1,
				  p->keyword);
		goto out;
	}
	if (nhits > INT32_MAX) {
		r = sp_err(ei, SP_ERR_LIMIT, "too many keyword hits");
		goto out;
	}
	/* Occurrences use the page-range syntax over the hits, in reading order. */
	if ((r = pdf_page_range_parse(p->occurrences ? p->occurrences : "all", (int)nhits, &sel,
				      &nsel, ei)) < 0) {
		/* Said in the user's terms: occurrences, not pages. */
		if (r == SP_ERR_INVALID) {
			sp_errinfo_init(ei);
			r = sp_err_reason(ei, SP_ERR_INVALID, "keyword_occurrence",
					  "placement %zu: occurrences \"%.40s\": keyword \"%.80s\" "
					  "occurs %zu time%s in the whole document (counted across "
					  "all pages, in reading order); give numbers within "
					  "1..%zu, "
					  "ranges such as 1-2, or \"all\"",
					  idx + 1, p->occurrences ? p->occurrences : "all",
					  p->keyword, nhits, nhits == 1 ? "" : "s", nhits);
		}
		goto out;
	}
	for (i = 0; i < nsel; i++) {
		const struct pdf_text_hit *h = &hits[sel[i] - 1];
		const struct pdf_page_info *pi;
		double u, v;
		if (h->page < 1 || h->page > doc->npages) {
			r = sp_err(ei, SP_ERR_INTERNAL, "text locator returned page %d", h->page);
			goto out;
		}
		if ((r = pdf_page_get(doc, h->page, &pi, ei)) < 0)
			goto out;
		user_to_view(pi, (h->x0 + h->x1) / 2, (h->y0 + h->y1) / 2, &u, &v);
		if ((r = add_centred(doc, l, idx, p, h->page, u + p->dx, v + p->dy, sw, sh, ei)) <
		    0)
			goto out;
	}
	r = SP_OK;
out:
	free(hits);
	free(sel);
	return r;
}

/*
 * The empty signature field p names, as the widgets it has: the seal goes
 * where the field's author put each, whatever its size (drawn within it, see
 * sign.c), invisible where a widget is (a zero-sized rectangle).
 */
static int
resolve_field(struct pdf_doc *doc, struct wlist *l, size_t idx, const struct pdf_placement *p,
	      struct sp_errinfo *ei)
{
	const struct pdf_page_info *pi;
	struct pdf_sig_slot slot;
	struct pdf_widget_rect w;
	double ax, ay, bx, by;
	char what[32];
	size_t i;
	int r;

	if ((r = pdf_sig_slot_find(doc, p->field, &slot, ei)) < 0)
		goto fail;
	/* one rectangle per widget, in the field's order (sign.c writes them so) */
	for (i = 0; i < slot.nwidgets; i++) {
		const struct pdf_slot_widget *sw = &slot.widgets[i];

		if ((r = pdf_page_get(doc, sw->page, &pi, ei)) < 0)
			goto fail;
		memset(&w, 0, sizeof(w));
		w.page = sw->page;
		w.placement = idx;
		w.mode = p->mode;
		w.seal = p->seal;
		w.rect = sw->rect;
		w.nslices = sw->rect.x1 - sw->rect.x0 > 0 && sw->rect.y1 - sw->rect.y0 > 0;
		if (sw->norotate) {
			/* NoRotate: a viewer does not turn it with the page; the upper-left
			   corner of its /Rect stays where the page shows that point, and
			   it extends right and down from there, upright (ISO 32000-1
			   §12.5.3) */
			user_to_view(pi, sw->rect.x0, sw->rect.y1, &ax, &ay);
			w.view.x0 = ax;
			w.view.y1 = ay;
			w.view.x1 = ax + (sw->rect.x1 - sw->rect.x0) * pi->unit;
			w.view.y0 = ay - (sw->rect.y1 - sw->rect.y0) * pi->unit;
		} else {
			user_to_view(pi, sw->rect.x0, sw->rect.y0, &ax, &ay);
			user_to_view(pi, sw->rect.x1, sw->rect.y1, &bx, &by);
			w.view.x0 = fmin(ax, bx);
			w.view.y0 = fmin(ay, by);
			w.view.x1 = fmax(ax, bx);
			w.view.y1 = fmax(ay, by);
		}
		if ((r = wl_add(l, &w, ei)) < 0)
			return r;
	}
	return SP_OK;
fail:
	snprintf(what, sizeof(what), "placement %zu", idx + 1);
	sp_errinfo_prefix(ei, what);
	return r;
}

static int
resolve_one(struct pdf_doc *doc, struct wlist *l, size_t idx, const struct pdf_seal *seals,
	    size_t nseals, const struct pdf_placement *p, struct searches *s, struct sp_errinfo *ei)
{
	int r = SP_ERR_INTERNAL, *pages = NULL;
	size_t n = 0, i;
	double sw = 0, sh = 0;

	if (p->mode == PDF_PLACE_DATE) {
		pdf_date_stamp_size(&sw, &sh);
	} else if ((p->mode >= PDF_PLACE_NORMAL && p->mode <= PDF_PLACE_KEYWORD) ||
		   p->mode == PDF_PLACE_FIELD) {
		if (p->seal >= nseals) {
			r = sp_err_reason(ei, SP_ERR_INVALID, "placement_seal",
					  "placement %zu: seal %zu does not exist (%zu given)",
					  idx + 1, p->seal, nseals);
			goto out;
		}
		if ((r = seal_size(&seals[p->seal], &sw, &sh, ei)) < 0)
			goto out;
	} else {
		r = sp_err_reason(ei, SP_ERR_INVALID, "placement_mode",
				  "placement %zu: unknown mode %d", idx + 1, (int)p->mode);
		goto out;
	}
	switch (p->mode) {
	case PDF_PLACE_NORMAL:
	case PDF_PLACE_DATE:
		r = add_centred(doc, l, idx, p, p->page, p->x, p->y, sw, sh, ei);
		break;
	case PDF_PLACE_MULTI:
		if ((r = pdf_page_range_parse(p->pages, doc->npages, &pages, &n, ei)) < 0)
			break;
		for (i = 0; i < n && r >= 0; i++)
			r = add_centred(doc, l, idx, p, pages[i], p->x, p->y, sw, sh, ei);
		break;
	case PDF_PLACE_SEAM:
		if ((r = pdf_page_range_parse(p->pages, doc->npages, &pages, &n, ei)) < 0)
			break;
		if (n < 2) {
			r = sp_err_reason(ei, SP_ERR_INVALID, "seam_pages",
					  "placement %zu: a seam seal needs at least 2 pages",
					  idx + 1);
			break;
		}
		for (i = 0; i < n && r >= 0; i++) {
			const struct pdf_page_info *pi;
			double slw = sw / (double)n;
			size_t at = l->n;
			if ((r = pdf_page_get(doc, pages[i], &pi, ei)) < 0)
				break;
			r = add_centred(doc, l, idx, p, pages[i], pi->width - slw / 2, p->y, slw,
					sh, ei);
			if (r >= 0) {
				l->v[at].slice = (int)i;
				l->v[at].nslices = (int)n;
			}
		}
		break;
	case PDF_PLACE_KEYWORD:
		r = resolve_keyword(doc, l, idx, p, sw, sh, s, ei);
		break;
	case PDF_PLACE_FIELD:
		r = resolve_field(doc, l, idx, p, ei);
		break;
	}
out:
	free(pages);
	return r;
}

int
pdf_placements_resolve(struct pdf_doc *doc, const struct pdf_seal *seals, size_t nseals,
		       const struct pdf_placement *pl, size_t npl, struct pdf_widget_rect **out,
		       size_t *nout, struct sp_errinfo *ei)
{
	int r = SP_ERR_INTERNAL;
	struct wlist l = { 0 };
	struct searches s = { pl, npl, NULL };
	size_t i;

	*out = NULL;
	*nout = 0;
	if (!doc || (npl && !pl) || (nseals && !seals)) {
		r = sp_err(ei, SP_ERR_INVALID, "no document or placements");
		goto out;
	}
	for (i = 0; i < npl; i++) {
		/* the field's widget is the signature's one: no other of its own */
		if (pl[i].mode == PDF_PLACE_FIELD && npl > 1) {
			r = sp_err_reason(ei, SP_ERR_INVALID, "placement_field",
					  "placement %zu: a field placement signs into that field "
					  "alone; give no other placements with it",
					  i + 1);
			goto out;
		}
		if ((r = resolve_one(doc, &l, i, seals, nseals, &pl[i], &s, ei)) < 0)
			goto out;
	}
	*out = l.v;
	*nout = l.n;
	l.v = NULL; /* transferred */
	r = SP_OK;
out:
	searches_cleanup(&s);
	free(l.v);
	return r;
}
