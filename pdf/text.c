/*
 * text.c: the text-state interpreter (ISO 32000-1 §9.3, §9.4). It runs a
 * page's content streams (and the Form XObjects they paint) and records,
 * for every shown code, its Unicode and its glyph box in the page's default
 * user space: the box [0, descent]..[w0, ascent] in text space, through
 * Trm = [Tfs*Th 0 0 Tfs 0 Trise] x Tm x CTM. Graphics other than text are
 * ignored. Every loop is bounded: operand count, q depth, form depth,
 * total bytes run per page and characters per page.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text_int.h"

/* O_DICT: num 1 when it has an /ActualText string (off, len: its bytes in strs) */
enum opnd_type { O_NUM, O_STR, O_NAME, O_ARRAY, O_DICT, O_OTHER };

struct opnd {
	enum opnd_type t;
	double num;
	size_t off, len; /* O_STR/O_NAME: bytes in strs; O_ARRAY: element count */
};

struct gstate {
	double ctm[6];
	double tc, tw, th, tl, tfs, trise;
	struct font *font;
};

#define FONT_HASH_SLOTS (2 * TEXT_MAX_FONTS) /* a power of two, twice the fonts at most */
#define FONT_MEMO_SLOTS 64
#define FONT_MEMO_NAME 64

struct interp {
	struct pdf_doc *doc;
	struct text_page *tp;
	struct sp_errinfo *ei;
	struct gstate gs;
	struct gstate stack[TEXT_MAX_GSTACK];
	int sp;
	double tm[6], tlm[6];
	struct font *fonts; /* loaded fonts, owned */
	size_t nfonts;
	/* the same fonts by (objid, gen, dkey), open addressing: a content stream
	   that switches among thousands of fonts finds each in a probe or two */
	struct font *fhash[FONT_HASH_SLOTS];
	/* the last font each (resources, name) selected: a Tf again reads nothing */
	struct {
		qpdf_oh res;
		struct font *f;
		char name[FONT_MEMO_NAME];
	} memo[FONT_MEMO_SLOTS];
	struct font *deffont; /* not owned */
	size_t work;
	int depth;
	int forms[TEXT_MAX_FORM_DEPTH];
	/* line tracking */
	int have_last;
	double last_ox, last_oy, last_dx, last_dy, last_h;
	struct opnd *ops; /* grows up to TEXT_MAX_OPERANDS */
	size_t nops, capops;
	struct sp_buf strs;
	unsigned ticks; /* tokens lexed: the cancel check every TEXT_CANCEL_TICKS */
	/* marked content: BMC / BDC depth, and the /ActualText span open in it */
	int mc_depth, mc_base; /* mc_base: the depth the running form started at */
	struct text_span span;
	/* the dictionary operand being lexed: its /ActualText string's bytes in strs */
	int dict_at, dict_at_next;
	size_t dict_at_off, dict_at_len;
};

static void
mat_mul(const double a[6], const double b[6], double out[6])
{
	double r[6];

	r[0] = a[0] * b[0] + a[1] * b[2];
	r[1] = a[0] * b[1] + a[1] * b[3];
	r[2] = a[2] * b[0] + a[3] * b[2];
	r[3] = a[2] * b[1] + a[3] * b[3];
	r[4] = a[4] * b[0] + a[5] * b[2] + b[4];
	r[5] = a[4] * b[1] + a[5] * b[3] + b[5];
	memcpy(out, r, sizeof(r));
}

static void
mat_apply(const double m[6], double x, double y, double *ox, double *oy)
{
	*ox = x * m[0] + y * m[2] + m[4];
	*oy = x * m[1] + y * m[3] + m[5];
}

static void
mat_ident(double m[6])
{
	m[0] = m[3] = 1;
	m[1] = m[2] = m[4] = m[5] = 0;
}

static int
finite6(const double m[6])
{
	int i;

	for (i = 0; i < 6; i++)
		if (!isfinite(m[i]) || fabs(m[i]) > 1e9)
			return 0;
	return 1;
}

void
text_page_cleanup(struct text_page *tp)
{
	if (!tp)
		return;
	struct text_budget *b = tp->budget;

	free(tp->c);
	memset(tp, 0, sizeof(*tp));
	tp->budget = b;
}

int
text_page_push(struct text_page *tp, uint32_t cp, int line, const double box[4],
	       struct sp_errinfo *ei)
{
	if (tp->budget != NULL && ++tp->budget->chars > TEXT_MAX_DOC_CHARS)
		return sp_err_reason(ei, SP_ERR_LIMIT, "pdf_limit",
				     "more than %d characters in the document's text",
				     TEXT_MAX_DOC_CHARS);
	if (tp->n == tp->cap) {
		size_t ncap = tp->cap ? tp->cap * 2 : 256;
		struct text_char *nc;
		if (tp->n >= TEXT_MAX_CHARS)
			return sp_err_reason(ei, SP_ERR_LIMIT, "pdf_limit",
					     "more than %d characters on a page", TEXT_MAX_CHARS);
		if (!(nc = realloc(tp->c, ncap * sizeof(*nc))))
			return sp_err(ei, SP_ERR_NOMEM, "text: out of memory");
		tp->c = nc;
		tp->cap = ncap;
	}
	tp->c[tp->n].cp = cp;
	tp->c[tp->n].line = line;
	tp->c[tp->n].x0 = box[0];
	tp->c[tp->n].y0 = box[1];
	tp->c[tp->n].x1 = box[2];
	tp->c[tp->n].y1 = box[3];
	tp->n++;
	return SP_OK;
}

/*
 * A new line starts when the glyph leaves the previous glyph's baseline by
 * more than half its height or turns. A jump back along the same baseline
 * is not one: writers (LibreOffice) draw runs of one line out of order.
 */
static int
line_of(struct interp *in, double ox, double oy, double dx, double dy, double h)
{
	int line = in->tp->n ? in->tp->c[in->tp->n - 1].line : 0;

	if (in->have_last) {
		double px = ox - in->last_ox, py = oy - in->last_oy;
		double perp = fabs(px * in->last_dy - py * in->last_dx);
		if (perp > 0.5 * in->last_h || dx * in->last_dx + dy * in->last_dy < 0.5)
			line++;
	}
	in->have_last = 1;
	in->last_ox = ox;
	in->last_oy = oy;
	in->last_dx = dx;
	in->last_dy = dy;
	in->last_h = h > 0.01 ? h : 0.01;
	return line;
}

static int
show_string(struct interp *in, const unsigned char *s, size_t len)
{
	struct gstate *g = &in->gs;
	struct font *f = g->font;
	size_t pos = 0, i, nuni;
	uint32_t uni[FONT_MAX_UNI], cid;
	double w, trm[6], scale[6], box[4], x, y, ox, oy, dx, dy, tx, h, dl, w1, vx, vy;
	/* the glyph's cell from the current point (text space, per unit font size) and
	   its direction: along the baseline, or (vertical writing) down the column */
	double cx0, cx1, cy0, cy1, ux, uy;
	int is_space, line, r;

	if (!f)
		return SP_OK; /* no usable font: nothing we can decode */
	while (pos < len) {
		pos += font_next_code(f, s + pos, len - pos, uni, &nuni, &w, &is_space, &cid);
		if (f->vertical) {
			/* ISO 32000-2 §9.7.4.3: the horizontal origin is the current point less
			   the position vector; the cell spans the width across the column and the
			   displacement down it */
			font_vmetrics(f, cid, w, &w1, &vx, &vy);
			w1 *= f->wscale;
			cx0 = -vx * f->wscale;
			cx1 = (w - vx) * f->wscale;
			cy0 = fmin(w1, 0);
			cy1 = fmax(w1, 0);
			ux = 0;
			uy = w1 < 0 ? -1 : 1;
			w *= f->wscale;
		} else {
			w *= f->wscale;
			cx0 = 0;
			cx1 = w;
			cy0 = f->descent;
			cy1 = f->ascent;
			ux = 1;
			uy = 0;
		}
		scale[0] = g->tfs * g->th;
		scale[1] = scale[2] = 0;
		scale[3] = g->tfs;
		scale[4] = 0;
		scale[5] = g->trise;
		mat_mul(scale, in->tm, trm);
		mat_mul(trm, g->ctm, trm);
		box[0] = box[1] = HUGE_VAL;
		box[2] = box[3] = -HUGE_VAL;
		for (i = 0; i < 4; i++) {
			mat_apply(trm, (i & 1) ? cx1 : cx0, (i & 2) ? cy1 : cy0, &x, &y);
			box[0] = fmin(box[0], x);
			box[1] = fmin(box[1], y);
			box[2] = fmax(box[2], x);
			box[3] = fmax(box[3], y);
		}
		mat_apply(trm, 0, 0, &ox, &oy);
		mat_apply(trm, ux, uy, &dx, &dy);
		dx -= ox;
		dy -= oy;
		dl = hypot(dx, dy);
		/* the extent across the line (column) */
		h = f->vertical ? hypot(trm[0], trm[1]) * (cx1 - cx0)
				: hypot(trm[2], trm[3]) * (f->ascent - f->descent);
		if (dl > 1e-9 && isfinite(box[0]) && isfinite(box[1]) && isfinite(box[2]) &&
		    isfinite(box[3])) {
			line = line_of(in, ox, oy, dx / dl, dy / dl, h);
			/* in an /ActualText span: the glyph's box, for the span's text */
			for (i = 0; i < (in->span.open ? 1 : nuni); i++)
				if ((r = text_page_push(in->tp, in->span.open ? 0 : uni[i], line,
							box, in->ei)) != SP_OK)
					return r;
		}
		if (f->vertical) {
			/* ty = w1 Tfs + Tc + Tw, along the text space's y axis (no Th) */
			tx = w1 * g->tfs + g->tc + (is_space ? g->tw : 0);
			in->tm[4] += tx * in->tm[2];
			in->tm[5] += tx * in->tm[3];
			continue;
		}
		tx = (w * g->tfs + g->tc + (is_space ? g->tw : 0)) * g->th;
		in->tm[4] += tx * in->tm[0];
		in->tm[5] += tx * in->tm[1];
	}
	return SP_OK;
}

static void
td(struct interp *in, double x, double y)
{
	double t[6] = { 1, 0, 0, 1, x, y };

	mat_mul(t, in->tlm, in->tlm);
	memcpy(in->tm, in->tlm, sizeof(in->tm));
}

/*
 * Content bytes run (or font dictionaries read as text) count against the
 * page's and, in a search, the document's work: the same content drawn by
 * many pages or forms costs once per use.
 */
static int
charge(struct interp *in, size_t len)
{
	if (len > TEXT_MAX_PAGE_WORK - in->work)
		return sp_err_reason(in->ei, SP_ERR_LIMIT, "pdf_limit",
				     "page content too large to run");
	in->work += len;
	if (in->tp->budget != NULL) {
		if (len > TEXT_MAX_DOC_WORK - in->tp->budget->work)
			return sp_err_reason(in->ei, SP_ERR_LIMIT, "pdf_limit",
					     "the document's content is too large to search "
					     "(more than %d MiB run)",
					     TEXT_MAX_DOC_WORK >> 20);
		in->tp->budget->work += len;
	}
	return SP_OK;
}

/* The font resource name in res, from the cache or loaded. */
static int
set_font(struct interp *in, qpdf_oh res, const char *name)
{
	struct pdf_doc *doc = in->doc;
	qpdf_oh fonts = 0, fd = 0;
	struct font *f;
	char key[TEXT_MAX_TOKEN / 64];
	int r = SP_ERR_INTERNAL, id, gen;
	uint64_t dkey = 0, mh = 1469598103934665603ULL;
	size_t slot, mslot, nlen;

	in->gs.font = NULL;
	if (!res || strlen(name) + 2 > sizeof(key)) {
		in->gs.font = in->deffont;
		return SP_OK;
	}
	nlen = strlen(name);
	for (mslot = 0; mslot < nlen; mslot++)
		mh = (mh ^ (unsigned char)name[mslot]) * 1099511628211ULL;
	mslot = (size_t)((mh ^ (uint64_t)res) & (FONT_MEMO_SLOTS - 1));
	if (nlen < FONT_MEMO_NAME && in->memo[mslot].f != NULL && in->memo[mslot].res == res &&
	    strcmp(in->memo[mslot].name, name) == 0) {
		in->gs.font = in->memo[mslot].f;
		return SP_OK;
	}
	key[0] = '/';
	memcpy(key + 1, name, nlen + 1);
	fonts = tobj_key(doc, res, "/Font");
	fd = tobj_key(doc, fonts, key);
	if (!qpdf_oh_is_dictionary(doc->q, fd)) {
		in->gs.font = in->deffont;
		r = SP_OK;
		goto out;
	}
	id = qpdf_oh_get_object_id(doc->q, fd);
	gen = qpdf_oh_get_generation(doc->q, fd);
	if (id <= 0) {
		/* a direct font dictionary: known by a hash of its text, so that
		 * repeated Tf of the same direct font does not reload it */
		const char *u = qpdf_oh_unparse(doc->q, fd);
		/* read as text: as costly as content of its length */
		if ((r = charge(in, u ? strlen(u) : 0)) != SP_OK)
			goto out;
		id = 0;
		gen = 0;
		for (dkey = 1469598103934665603ULL; u && *u; u++)
			dkey = (dkey ^ (unsigned char)*u) * 1099511628211ULL;
	}
	slot = (size_t)(((uint64_t)(unsigned)id * 0x9E3779B97F4A7C15ULL) ^ (uint64_t)(unsigned)gen ^
			dkey) &
	       (FONT_HASH_SLOTS - 1);
	for (; (f = in->fhash[slot]) != NULL; slot = (slot + 1) & (FONT_HASH_SLOTS - 1))
		if (f->objid == id && f->gen == gen && (id > 0 || f->dkey == dkey))
			break;
	if (!f) {
		if (in->nfonts >= TEXT_MAX_FONTS) {
			r = sp_err_reason(in->ei, SP_ERR_LIMIT, "pdf_limit", "more than %d fonts",
					  TEXT_MAX_FONTS);
			goto out;
		}
		if ((r = font_load(doc, fd, &f, in->ei)) != SP_OK)
			goto out;
		f->dkey = dkey;
		f->next = in->fonts;
		in->fonts = f;
		in->nfonts++;
		in->fhash[slot] = f; /* the empty slot the probe ended on */
	}
	in->gs.font = f;
	if (nlen < FONT_MEMO_NAME) {
		in->memo[mslot].res = res;
		in->memo[mslot].f = f;
		memcpy(in->memo[mslot].name, name, nlen + 1);
	}
	r = SP_OK;
out:
	tobj_release(doc, fd);
	tobj_release(doc, fonts);
	return r;
}

static int run(struct interp *in, const unsigned char *p, size_t len, qpdf_oh res);

static int
do_xobject(struct interp *in, qpdf_oh res, const char *name)
{
	struct pdf_doc *doc = in->doc;
	qpdf_oh xo = 0, fres = 0, mat = 0;
	char sub[16];
	unsigned char *data = NULL;
	size_t len = 0;
	double m[6];
	int r = SP_ERR_INTERNAL, id, i, mc_base;
	struct gstate saved = in->gs;
	double stm[6], stlm[6];

	if (!res)
		return SP_OK;
	xo = tobj_resource(doc, res, "/XObject", name);
	if (!qpdf_oh_is_stream(doc->q, xo) || !tobj_name(doc, xo, "/Subtype", sub, sizeof(sub)) ||
	    strcmp(sub, "Form") != 0) {
		r = SP_OK; /* images and the like carry no text */
		goto out;
	}
	id = qpdf_oh_get_object_id(doc->q, xo);
	for (i = 0; i < in->depth; i++)
		if (in->forms[i] == id) {
			r = SP_OK; /* a form that paints itself: stop the cycle */
			goto out;
		}
	if (in->depth >= TEXT_MAX_FORM_DEPTH) {
		r = sp_err_reason(in->ei, SP_ERR_LIMIT, "pdf_limit",
				  "Form XObjects nested deeper than %d", TEXT_MAX_FORM_DEPTH);
		goto out;
	}
	if ((r = text_stream_data(doc, xo, &data, &len, in->ei)) != SP_OK)
		goto out;
	mat = tobj_key(doc, xo, "/Matrix");
	mat_ident(m);
	if (qpdf_oh_is_array(doc->q, mat) && qpdf_oh_get_array_n_items(doc->q, mat) == 6) {
		for (i = 0; i < 6; i++)
			if (!tobj_item_num(doc, mat, i, &m[i]))
				break;
		if (i < 6 || !finite6(m))
			mat_ident(m);
	}
	mat_mul(m, in->gs.ctm, in->gs.ctm);
	fres = tobj_key(doc, xo, "/Resources");
	memcpy(stm, in->tm, sizeof(stm));
	memcpy(stlm, in->tlm, sizeof(stlm));
	in->forms[in->depth++] = id;
	mc_base = in->mc_base;
	in->mc_base = in->mc_depth;
	r = run(in, data, len, qpdf_oh_is_dictionary(doc->q, fres) ? fres : res);
	/* marked content is whole in one stream (§14.6): what the form left open ends */
	if (r == SP_OK && in->span.open && in->span.depth > in->mc_base)
		r = text_span_end(&in->span, in->tp, in->ei);
	in->mc_depth = in->mc_base;
	in->mc_base = mc_base;
	in->depth--;
	memcpy(in->tm, stm, sizeof(stm));
	memcpy(in->tlm, stlm, sizeof(stlm));
	in->gs = saved;
out:
	free(data);
	tobj_release(doc, fres);
	tobj_release(doc, mat);
	tobj_release(doc, xo);
	return r;
}

/* The last n operands as numbers; 0 when they are not all numbers. */
static int
nums(struct interp *in, size_t n, double *v)
{
	size_t i;

	if (in->nops < n)
		return 0;
	for (i = 0; i < n; i++) {
		const struct opnd *o = &in->ops[in->nops - n + i];
		if (o->t != O_NUM)
			return 0;
		v[i] = o->num;
	}
	return 1;
}

static const struct opnd *
last(struct interp *in, enum opnd_type t)
{
	if (in->nops == 0 || in->ops[in->nops - 1].t != t)
		return NULL;
	return &in->ops[in->nops - 1];
}

static const char *
opnd_name(struct interp *in, const struct opnd *o)
{
	return (const char *)in->strs.data + o->off;
}

static int
show_opnd(struct interp *in, const struct opnd *o)
{
	return show_string(in, in->strs.data + o->off, o->len);
}

static int
op_tj_array(struct interp *in)
{
	size_t i, start, end;
	int r;

	for (start = in->nops; start > 0; start--)
		if (in->ops[start - 1].t == O_ARRAY)
			break;
	if (start == 0)
		return SP_OK;
	/* the outermost array that ends at the last operand */
	for (i = 0; i < in->nops; i++)
		if (in->ops[i].t == O_ARRAY && i + 1 + in->ops[i].len == in->nops) {
			start = i + 1;
			break;
		}
	end = in->nops;
	for (i = start; i < end; i++) {
		const struct opnd *o = &in->ops[i];
		if (o->t == O_STR) {
			if ((r = show_opnd(in, o)) != SP_OK)
				return r;
		} else if (o->t == O_NUM && isfinite(o->num) && fabs(o->num) < 1e7 &&
			   in->gs.font != NULL && in->gs.font->vertical) {
			/* vertical writing: along the column, without Th */
			double ty = -o->num / 1000.0 * in->gs.tfs;
			in->tm[4] += ty * in->tm[2];
			in->tm[5] += ty * in->tm[3];
		} else if (o->t == O_NUM && isfinite(o->num) && fabs(o->num) < 1e7) {
			double tx = -o->num / 1000.0 * in->gs.tfs * in->gs.th;
			in->tm[4] += tx * in->tm[0];
			in->tm[5] += tx * in->tm[1];
		} else if (o->t == O_ARRAY) {
			i += o->len; /* nested arrays are not text */
		}
	}
	return SP_OK;
}

#define OP(s) (oplen == sizeof(s) - 1 && memcmp(op, s, oplen) == 0)

static int
operator(struct interp *in, const char *op, size_t oplen, qpdf_oh res)
{
	struct gstate *g = &in->gs;
	const struct opnd *o;
	double v[6];
	int r = SP_OK;

	if (OP("BT")) {
		mat_ident(in->tm);
		mat_ident(in->tlm);
	} else if (OP("q")) {
		if (in->sp >= TEXT_MAX_GSTACK)
			return sp_err_reason(in->ei, SP_ERR_LIMIT, "pdf_limit",
					     "q nested deeper than %d", TEXT_MAX_GSTACK);
		in->stack[in->sp++] = *g;
	} else if (OP("Q")) {
		if (in->sp > 0)
			*g = in->stack[--in->sp];
	} else if (OP("cm")) {
		if (nums(in, 6, v) && finite6(v))
			mat_mul(v, g->ctm, g->ctm);
	} else if (OP("Tm")) {
		if (nums(in, 6, v) && finite6(v)) {
			memcpy(in->tm, v, sizeof(in->tm));
			memcpy(in->tlm, v, sizeof(in->tlm));
		}
	} else if (OP("Td")) {
		if (nums(in, 2, v) && fabs(v[0]) < 1e7 && fabs(v[1]) < 1e7)
			td(in, v[0], v[1]);
	} else if (OP("TD")) {
		if (nums(in, 2, v) && fabs(v[0]) < 1e7 && fabs(v[1]) < 1e7) {
			g->tl = -v[1];
			td(in, v[0], v[1]);
		}
	} else if (OP("T*")) {
		td(in, 0, -g->tl);
	} else if (OP("TL") || OP("Tc") || OP("Tw") || OP("Tz") || OP("Ts")) {
		if (nums(in, 1, v) && fabs(v[0]) < 1e7) {
			if (OP("TL"))
				g->tl = v[0];
			else if (OP("Tc"))
				g->tc = v[0];
			else if (OP("Tw"))
				g->tw = v[0];
			else if (OP("Tz"))
				g->th = v[0] / 100.0;
			else
				g->trise = v[0];
		}
	} else if (OP("Tf")) {
		if (in->nops >= 2 && in->ops[in->nops - 2].t == O_NAME && nums(in, 1, v) &&
		    fabs(v[0]) < 1e7) {
			g->tfs = v[0];
			r = set_font(in, res, opnd_name(in, &in->ops[in->nops - 2]));
		}
	} else if (OP("Tj")) {
		if ((o = last(in, O_STR)))
			r = show_opnd(in, o);
	} else if (OP("'")) {
		td(in, 0, -g->tl);
		if ((o = last(in, O_STR)))
			r = show_opnd(in, o);
	} else if (OP("\"")) {
		if (in->nops >= 3 && in->ops[in->nops - 1].t == O_STR &&
		    in->ops[in->nops - 2].t == O_NUM && in->ops[in->nops - 3].t == O_NUM) {
			g->tw = in->ops[in->nops - 3].num;
			g->tc = in->ops[in->nops - 2].num;
			td(in, 0, -g->tl);
			r = show_opnd(in, &in->ops[in->nops - 1]);
		}
	} else if (OP("TJ")) {
		r = op_tj_array(in);
	} else if (OP("BMC") || OP("BDC")) {
		in->mc_depth++;
		/* an /ActualText span (inline or a named property list); one inside
		   another is the outer one's text already */
		if (OP("BDC") && !in->span.open && in->nops >= 1) {
			o = &in->ops[in->nops - 1];
			if (o->t == O_DICT && o->num == 1)
				r = text_span_begin(in->doc, &in->span, in->tp, in->mc_depth,
						    in->strs.data + o->off, o->len, in->ei);
			else if (o->t == O_NAME)
				r = text_span_begin_named(in->doc, &in->span, in->tp, in->mc_depth,
							  res, opnd_name(in, o), in->ei);
		}
	} else if (OP("EMC")) {
		/* (a form's EMC closes nothing its painter opened) */
		if (in->mc_depth > in->mc_base) {
			if (in->span.open && in->mc_depth == in->span.depth)
				r = text_span_end(&in->span, in->tp, in->ei);
			in->mc_depth--;
		}
	} else if (OP("Do")) {
		if ((o = last(in, O_NAME))) {
			char name[256];
			if (o->len < sizeof(name)) {
				memcpy(name, opnd_name(in, o), o->len + 1);
				in->nops = 0;
				sp_buf_reset(&in->strs);
				r = do_xobject(in, res, name);
			}
		}
	}
	return r;
}

static int
push(struct interp *in, enum opnd_type t, double num, const unsigned char *s, size_t len)
{
	struct opnd *o;

	if (in->nops >= TEXT_MAX_OPERANDS)
		return sp_err_reason(in->ei, SP_ERR_LIMIT, "pdf_limit", "more than %d operands",
				     TEXT_MAX_OPERANDS);
	if (in->nops == in->capops) {
		size_t ncap = in->capops ? in->capops * 2 : 64;
		struct opnd *no = realloc(in->ops, ncap * sizeof(*no));
		if (!no)
			return sp_err(in->ei, SP_ERR_NOMEM, "text: out of memory");
		in->ops = no;
		in->capops = ncap;
	}
	o = &in->ops[in->nops++];
	o->t = t;
	o->num = num;
	o->off = in->strs.len;
	o->len = len;
	if (t == O_STR || t == O_NAME) {
		static const unsigned char nul = 0;
		/* NUL-terminated so names can be used as C strings */
		if (sp_buf_add(&in->strs, s, len) != SP_OK ||
		    sp_buf_add(&in->strs, &nul, 1) != SP_OK)
			return sp_err_reason(in->ei, SP_ERR_LIMIT, "pdf_limit",
					     "operands too large");
	}
	return SP_OK;
}

static int
run(struct interp *in, const unsigned char *p, size_t len, qpdf_oh res)
{
	struct clex *lx;
	struct ctok t;
	size_t arr[TEXT_MAX_NESTING];
	int narr = 0, dict = 0, r = SP_ERR_INTERNAL;

	if ((r = charge(in, len)) != SP_OK)
		return r;
	if (!(lx = malloc(sizeof(*lx))))
		return sp_err(in->ei, SP_ERR_NOMEM, "text: out of memory");
	clex_init(lx, p, len);
	in->nops = 0;
	sp_buf_reset(&in->strs);
	for (;;) {
		enum ctok_type tt = clex_next(lx, &t);
		if (tt == CT_EOF)
			break;
		if ((++in->ticks & (TEXT_CANCEL_TICKS - 1)) == 0 &&
		    (r = sp_cancel_check(in->ei)) != SP_OK)
			goto out;
		if (tt == CT_BAD) {
			r = sp_err(in->ei, SP_ERR_PDF, "malformed content stream near byte %zu",
				   lx->pos);
			goto out;
		}
		if (dict) {
			/* dictionaries (marked content, inline images) carry no text,
			   but a marked-content span's /ActualText is its text */
			if (dict == 1 && tt == CT_STR && in->dict_at_next) {
				in->dict_at_off = in->strs.len;
				in->dict_at_len = t.len;
				in->dict_at = 1;
				if (sp_buf_add(&in->strs, t.s, t.len) != SP_OK) {
					r = sp_err_reason(in->ei, SP_ERR_LIMIT, "pdf_limit",
							  "operands too large");
					goto out;
				}
			}
			in->dict_at_next = dict == 1 && tt == CT_NAME && t.len == 10 &&
					   memcmp(t.s, "ActualText", 10) == 0;
			if (tt == CT_DICT_OPEN && ++dict > TEXT_MAX_NESTING) {
				r = sp_err_reason(in->ei, SP_ERR_LIMIT, "pdf_limit",
						  "dictionaries nested too deep");
				goto out;
			}
			if (tt == CT_DICT_CLOSE && --dict == 0) {
				if ((r = push(in, O_DICT, in->dict_at, NULL, 0)) != SP_OK)
					goto out;
				in->ops[in->nops - 1].off = in->dict_at_off;
				in->ops[in->nops - 1].len = in->dict_at_len;
			}
			continue;
		}
		r = SP_OK;
		switch (tt) {
		case CT_NUM:
			r = push(in, O_NUM, t.num, NULL, 0);
			break;
		case CT_STR:
			r = push(in, O_STR, 0, t.s, t.len);
			break;
		case CT_NAME:
			r = push(in, O_NAME, 0, t.s, t.len);
			break;
		case CT_ARR_OPEN:
			if (narr >= TEXT_MAX_NESTING) {
				r = sp_err_reason(in->ei, SP_ERR_LIMIT, "pdf_limit",
						  "arrays nested too deep");
				break;
			}
			arr[narr++] = in->nops;
			r = push(in, O_ARRAY, 0, NULL, 0);
			break;
		case CT_ARR_CLOSE:
			if (narr > 0) {
				size_t at = arr[--narr];
				in->ops[at].len = in->nops - at - 1;
			}
			break;
		case CT_DICT_OPEN:
			dict = 1;
			in->dict_at = in->dict_at_next = 0;
			in->dict_at_len = 0;
			break;
		case CT_DICT_CLOSE:
			break;
		case CT_OP:
			if (narr > 0) { /* true/false/null inside an array */
				r = push(in, O_OTHER, 0, NULL, 0);
				break;
			}
			if (t.len == 2 && memcmp(t.s, "BI", 2) == 0) {
				/* the inline image dictionary, then its data */
				while ((tt = clex_next(lx, &t)) != CT_EOF && tt != CT_BAD &&
				       !(tt == CT_OP && t.len == 2 && memcmp(t.s, "ID", 2) == 0))
					;
				if (tt == CT_OP)
					clex_skip_inline_image(lx);
			} else {
				r = operator(in, (const char *)t.s, t.len, res);
			}
			in->nops = 0;
			sp_buf_reset(&in->strs);
			break;
		default:
			break;
		}
		if (r != SP_OK)
			goto out;
	}
	r = SP_OK;
out:
	free(lx);
	return r;
}

static void
interp_init(struct interp *in, struct pdf_doc *doc, struct text_page *tp, struct sp_errinfo *ei)
{
	memset(in, 0, sizeof(*in));
	in->doc = doc;
	in->tp = tp;
	in->ei = ei;
	mat_ident(in->gs.ctm);
	mat_ident(in->tm);
	mat_ident(in->tlm);
	in->gs.th = 1;
	sp_buf_init(&in->strs, 16 * 1024 * 1024);
}

static void
interp_cleanup(struct interp *in)
{
	struct font *f, *next;

	for (f = in->fonts; f; f = next) {
		next = f->next;
		font_free(f);
	}
	sp_buf_cleanup(&in->strs);
	free(in->ops);
	text_span_cleanup(&in->span);
}

int
text_stream_extract(struct pdf_doc *doc, const unsigned char *p, size_t len, qpdf_oh res,
		    struct font *deffont, struct text_page *tp, struct sp_errinfo *ei)
{
	struct interp *in;
	int r;

	if (!(in = malloc(sizeof(*in))))
		return sp_err(ei, SP_ERR_NOMEM, "text: out of memory");
	interp_init(in, doc, tp, ei);
	in->deffont = deffont;
	in->gs.font = deffont;
	r = run(in, p, len, res);
	if (r == SP_OK)
		r = text_span_end(&in->span, tp, ei); /* one left open ends with the stream */
	interp_cleanup(in);
	free(in);
	return r;
}

int
text_page_extract(struct pdf_doc *doc, int page, struct text_page *tp, struct sp_errinfo *ei)
{
	int r = SP_ERR_INTERNAL;
	unsigned char *data = NULL;
	size_t len = 0;
	qpdf_oh res = 0;
	struct interp *in = NULL;

	if (!doc || page < 1 || page > doc->npages) {
		r = sp_err(ei, SP_ERR_INVALID, "page %d out of range", page);
		goto out;
	}
	if ((r = sp_cancel_check(ei)) != SP_OK)
		goto out;
	if ((r = tobj_page_content(doc, doc->pages[page - 1], &data, &len, ei)) != SP_OK) {
		char what[32];
		snprintf(what, sizeof(what), "page %d", page);
		sp_errinfo_prefix(ei, what);
		goto out;
	}
	res = tobj_page_resources(doc, doc->pages[page - 1]);
	if (!(in = malloc(sizeof(*in)))) {
		r = sp_err(ei, SP_ERR_NOMEM, "text: out of memory");
		goto out;
	}
	interp_init(in, doc, tp, ei);
	/* a span left open ends with the page's content */
	if ((r = run(in, data, len, res)) != SP_OK ||
	    (r = text_span_end(&in->span, tp, ei)) != SP_OK) {
		char what[32];
		snprintf(what, sizeof(what), "page %d", page);
		sp_errinfo_prefix(ei, what);
		goto out;
	}
	r = SP_OK;
out:
	if (in) {
		interp_cleanup(in);
		free(in);
	}
	tobj_release(doc, res);
	if (doc)
		tobj_drain(doc);
	free(data);
	return r;
}
