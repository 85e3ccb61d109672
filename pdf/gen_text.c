/*
 * gen_text.c: text for the page composer: HarfBuzz-shaped runs shown with
 * TJ (codes are CIDs, positions from the shaper's advances), line breaking
 * for wrapped text (between ideographs, at spaces, an over-long word
 * anywhere, no closing punctuation at a line start), and the input checks
 * and sanitizing of text the documents show.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gen_int.h"
#include "pdf_int.h"

/* Per glyph: the length of its cluster's text (0 for a cluster's later glyphs). */
static void
cluster_text(const struct cjk_glyph *gl, size_t n, size_t len, size_t *tlen)
{
	size_t i, k;

	/* Left-to-right shaping keeps clusters in ascending order. */
	for (i = 0; i < n; i++) {
		if (i > 0 && gl[i].cluster == gl[i - 1].cluster) {
			tlen[i] = 0;
			continue;
		}
		for (k = i + 1; k < n && gl[k].cluster == gl[i].cluster; k++)
			;
		tlen[i] = (k < n && gl[k].cluster > gl[i].cluster ? gl[k].cluster : len) -
			  gl[i].cluster;
	}
}

/*
 * Shape utf8[0..len) into *gl (*n glyphs) with each glyph's cluster text
 * length in *tlen (cluster_text); both malloc'd, NULL on failure.
 */
static int
shape_clusters(struct gen *g, const char *utf8, size_t len, struct cjk_glyph **gl, size_t *n,
	       size_t **tlen, struct sp_errinfo *ei)
{
	int r;

	*tlen = NULL;
	if ((r = cjk_shape(gen_font(g), utf8, len, gl, n, ei)) < 0)
		return r;
	if (*n && !(*tlen = malloc(*n * sizeof(**tlen)))) {
		free(*gl);
		*gl = NULL;
		return sp_err(ei, SP_ERR_NOMEM, "out of memory");
	}
	cluster_text(*gl, *n, len, *tlen);
	return SP_OK;
}

/*
 * Show glyphs gl[0..n) with their left end at x, baseline y. A cluster the
 * font's ToUnicode would read back wrong (its glyph's entry is another
 * text's, or it is more than one glyph) is shown in a span of its own whose
 * /ActualText is the cluster's text (ISO 32000-1 §14.9.4), so that copying
 * and searching it give the characters written.
 */
static int
emit(struct gen *g, const struct cjk_glyph *gl, const size_t *tlen, size_t n, const char *text,
     double x, double y, double size, uint32_t rgb, int flags)
{
	struct sp_buf *b = gen_content(g);
	struct cjk_font *f = gen_font(g);
	unsigned upem = cjk_font_upem(f);
	long long pen = 0, want = 0; /* font units */
	size_t i, j, k;
	int r, plain, open = 0;

	if (!b)
		return SP_ERR_INTERNAL;
	if (n == 0)
		return SP_OK;
	if ((r = sp_buf_addstr(b, "BT ")) < 0 || (r = gen_colour(b, rgb, "rg")) < 0)
		return r;
	if (flags & GEN_BOLD) {
		if ((r = gen_colour(b, rgb, "RG")) < 0 || (r = sp_buf_addstr(b, "2 Tr ")) < 0 ||
		    (r = pdfw_num(b, size * 0.035)) < 0 || (r = sp_buf_addstr(b, " w ")) < 0)
			return r;
	} else if ((r = sp_buf_addstr(b, "0 Tr ")) < 0) {
		return r;
	}
	if ((r = sp_buf_printf(b, "/F1 ")) < 0 || (r = pdfw_num(b, size)) < 0 ||
	    (r = sp_buf_addstr(b, " Tf 1 0 0 1 ")) < 0 || (r = pdfw_num(b, x)) < 0 ||
	    (r = sp_buf_addstr(b, " ")) < 0 || (r = pdfw_num(b, y)) < 0 ||
	    (r = sp_buf_addstr(b, " Tm ")) < 0)
		return r;
	for (i = 0; i < n; i = k) {
		for (k = i + 1; k < n && gl[k].cluster == gl[i].cluster; k++)
			;
		if ((r = cjk_font_use(f, &gl[i], text + gl[i].cluster, tlen[i])) < 0)
			return r;
		plain = r == 1 && k == i + 1;
		for (j = i + 1; j < k; j++)
			if ((r = cjk_font_use(f, &gl[j], text + gl[j].cluster, 0)) < 0)
				return r;
		if (!plain) {
			/* TJ arrays end and start again: the text position carries on */
			if ((open && (r = sp_buf_addstr(b, "] TJ ")) < 0) ||
			    (r = sp_buf_addstr(b, "/Span <</ActualText <FEFF")) < 0 ||
			    (r = cjk_utf16_hex(b, text + gl[i].cluster, tlen[i])) < 0 ||
			    (r = sp_buf_addstr(b, ">>> BDC ")) < 0)
				return r;
			open = 0;
		}
		if (!open && (r = sp_buf_addstr(b, "[")) < 0)
			return r;
		open = 1;
		for (j = i; j < k; j++) {
			long long target = want + gl[j].dx;
			int32_t w = (int32_t)hb_font_get_glyph_h_advance(cjk_font_hb(f), gl[j].gid);
			if (target != pen) {
				/* TJ moves by -n/1000 text space units. */
				if ((r = sp_buf_printf(b, "%lld",
						       -llround((double)(target - pen) * 1000.0 /
								upem))) < 0)
					return r;
				pen = target;
			}
			if ((r = sp_buf_printf(b, "<%04X>", (unsigned)gl[j].cid)) < 0)
				return r;
			pen += w;
			want += gl[j].adv;
		}
		if (!plain) {
			if ((r = sp_buf_addstr(b, "] TJ EMC ")) < 0)
				return r;
			open = 0;
		}
	}
	return sp_buf_addstr(b, open ? "] TJ ET\n" : "ET\n");
}

static long long
sum_adv(const struct cjk_glyph *gl, size_t n)
{
	long long s = 0;
	size_t i;

	for (i = 0; i < n; i++)
		s += gl[i].adv;
	return s;
}

int
gen_text_width(struct gen *g, const char *utf8, double size, double *w, struct sp_errinfo *ei)
{
	struct cjk_glyph *gl = NULL;
	size_t n = 0;
	int r;

	*w = 0;
	if ((r = cjk_shape(gen_font(g), utf8, strlen(utf8), &gl, &n, ei)) < 0)
		return r;
	*w = (double)sum_adv(gl, n) * size / cjk_font_upem(gen_font(g));
	free(gl);
	return SP_OK;
}

int
gen_text(struct gen *g, double x, double y, double size, uint32_t rgb, int flags, const char *utf8,
	 struct sp_errinfo *ei)
{
	struct cjk_glyph *gl = NULL;
	size_t n = 0, len = strlen(utf8), *tlen = NULL;
	double w;
	int r;

	if ((r = shape_clusters(g, utf8, len, &gl, &n, &tlen, ei)) < 0)
		return r;
	w = (double)sum_adv(gl, n) * size / cjk_font_upem(gen_font(g));
	if ((flags & 3) == GEN_CENTER)
		x -= w / 2;
	else if ((flags & 3) == GEN_RIGHT)
		x -= w;
	if ((r = emit(g, gl, tlen, n, utf8, x, y, size, rgb, flags)) < 0)
		r = sp_err(ei, r, "writing text: %s", sp_strerror(r));
	free(tlen);
	free(gl);
	return r;
}

static int
is_cjk(uint32_t c)
{
	return (c >= 0x2e80 && c <= 0x9fff) || (c >= 0xac00 && c <= 0xd7af) ||
	       (c >= 0xf900 && c <= 0xfaff) || (c >= 0xff00 && c <= 0xffef) || c >= 0x20000;
}

/* Characters a line does not start with (closing punctuation). */
static int
no_start(uint32_t c)
{
	static const uint32_t k[] = { 0xff0c, 0x3002, 0x3001, 0xff1b, 0xff1a, 0xff01, 0xff1f,
				      0xff09, 0x300b, 0x300d, 0x300f, 0x3011, ',',    '.',
				      ';',    ':',    '!',    '?',    ')',    ']' };
	size_t i;

	for (i = 0; i < SP_ARRAY_LEN(k); i++)
		if (k[i] == c)
			return 1;
	return 0;
}

static uint32_t
cp_at(const char *s, size_t len, size_t at)
{
	uint32_t c = 0;

	if (at >= len || !sp_utf8_next((const unsigned char *)s + at, len - at, &c))
		return 0;
	return c;
}

/* One paragraph (no '\n'). */
static int
wrap_para(struct gen *g, double x, double *y, double width, double size, double leading,
	  uint32_t rgb, int flags, const char *p, size_t len, int draw, int *nlines,
	  struct sp_errinfo *ei)
{
	struct cjk_glyph *gl = NULL;
	size_t n = 0, *tlen = NULL, start = 0, i, brk;
	double k = size / cjk_font_upem(gen_font(g));
	long long maxw = (long long)(width / k);
	int r;

	if ((r = shape_clusters(g, p, len, &gl, &n, &tlen, ei)) < 0)
		return r;
	if (n == 0) {
		(*nlines)++;
		*y -= leading;
		r = SP_OK;
		goto out;
	}
	while (start < n) {
		long long w = 0;
		size_t end, last_ok = 0;
		/* Lines do not start with a space. */
		while (start < n && cp_at(p, len, gl[start].cluster) == ' ')
			start++;
		if (start >= n)
			break;
		for (i = start; i < n; i++) {
			uint32_t c = cp_at(p, len, gl[i].cluster);
			if (i > start && gl[i].cluster != gl[i - 1].cluster) {
				uint32_t pc = cp_at(p, len, gl[i - 1].cluster);
				if ((pc == ' ' || c == ' ' || is_cjk(c) || is_cjk(pc)) &&
				    !no_start(c))
					last_ok = i;
			}
			if (w + gl[i].adv > maxw && i > start && c != ' ')
				break;
			w += gl[i].adv;
		}
		if (i >= n) {
			end = n;
		} else if (last_ok > start) {
			end = last_ok;
		} else {
			/* A word longer than the line: break it at a cluster boundary. */
			for (brk = i; brk > start + 1 && gl[brk].cluster == gl[brk - 1].cluster;
			     brk--)
				;
			end = brk > start ? brk : start + 1;
		}
		{
			size_t e = end;
			while (e > start && cp_at(p, len, gl[e - 1].cluster) == ' ')
				e--;
			if (draw && (r = emit(g, gl + start, tlen + start, e - start, p, x, *y,
					      size, rgb, flags)) < 0) {
				r = sp_err(ei, r, "writing text: %s", sp_strerror(r));
				goto out;
			}
		}
		(*nlines)++;
		*y -= leading;
		start = end;
	}
	r = SP_OK;
out:
	free(tlen);
	free(gl);
	return r;
}

int
gen_text_wrap(struct gen *g, double x, double y, double width, double size, double leading,
	      uint32_t rgb, int flags, const char *utf8, int draw, int *nlines,
	      struct sp_errinfo *ei)
{
	const char *p = utf8, *nl;
	int r;

	*nlines = 0;
	for (;;) {
		nl = strchr(p, '\n');
		if ((r = wrap_para(g, x, &y, width, size, leading, rgb, flags, p,
				   nl ? (size_t)(nl - p) : strlen(p), draw, nlines, ei)) < 0)
			return r;
		if (!nl)
			break;
		p = nl + 1;
	}
	return SP_OK;
}

int
gen_check_text(const char *what, const char *s, size_t min_cp, size_t max_cp, struct sp_errinfo *ei)
{
	size_t len, at = 0, i = 0, n = 0, k;
	uint32_t cp = 0;

	if (!s)
		return sp_err_reason(ei, SP_ERR_INVALID, "text_invalid", "%s is missing", what);
	len = strlen(s);
	if (sp_text_check(s, len, &at, &cp) != SP_OK)
		return sp_err_reason(ei, SP_ERR_INVALID, "text_invalid",
				     "%s has a malformed or control character at byte %zu", what,
				     at);
	while (i < len && (k = sp_utf8_next((const unsigned char *)s + i, len - i, &cp))) {
		i += k;
		n++;
	}
	if (n < min_cp || n > max_cp) {
		if (n == 0)
			return sp_err_reason(ei, SP_ERR_INVALID, "text_invalid", "%s is empty",
					     what);
		return sp_err_reason(ei, SP_ERR_INVALID, "text_invalid",
				     "%s has %zu characters (%zu..%zu allowed)", what, n, min_cp,
				     max_cp);
	}
	return SP_OK;
}

int
gen_sanitize(struct gen *g, const char *in, char **out)
{
	struct sp_buf b;
	size_t n = in ? strlen(in) : 0, i = 0, k;
	uint32_t cp;
	hb_codepoint_t gid;
	int r = SP_OK;

	*out = NULL;
	sp_buf_init(&b, 4 * n + 16);
	while (i < n && r == SP_OK) {
		if (!(k = sp_utf8_next((const unsigned char *)in + i, n - i, &cp))) {
			r = sp_buf_add(&b, "?", 1);
			i++;
			continue;
		}
		if (sp_text_cp_unsafe(cp))
			r = sp_buf_add(&b, " ", 1);
		else if (!hb_font_get_nominal_glyph(cjk_font_hb(gen_font(g)), cp, &gid) || gid == 0)
			r = sp_buf_add(&b, "?", 1);
		else
			r = sp_buf_add(&b, in + i, k);
		i += k;
	}
	if (r < 0) {
		sp_buf_cleanup(&b);
		return r;
	}
	*out = b.data ? (char *)sp_buf_take(&b, &n) : strdup("");
	return *out ? SP_OK : SP_ERR_NOMEM;
}
