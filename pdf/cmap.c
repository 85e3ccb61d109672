/*
 * cmap.c: a bounded parser for CMap streams (Adobe TN 5014, 5099 and
 * ISO 32000-1 §9.10.3): codespace ranges, bfchar / bfrange (both the
 * incrementing and the array form) with UTF-16BE destinations (surrogate
 * pairs included), and cidchar / cidrange for embedded Type0 encodings.
 * PostScript around the sections is skipped token by token.
 */
#include <stdlib.h>
#include <string.h>

#include "text_int.h"

#define CMAP_MAX_DST 256   /* code points in one destination */
#define CMAP_MAX_SPACE 256 /* codespace ranges */

enum section { SEC_NONE, SEC_SPACE, SEC_BFCHAR, SEC_BFRANGE, SEC_CIDCHAR, SEC_CIDRANGE };

struct parser {
	struct cmap *cm;
	size_t capbf, capcid, capdst, capspace;
	struct sp_errinfo *ei;
};

static int
grow(void **p, size_t *cap, size_t need, size_t elem, size_t max)
{
	size_t ncap;
	void *np;

	if (need <= *cap)
		return SP_OK;
	if (need > max)
		return SP_ERR_LIMIT;
	ncap = *cap ? *cap * 2 : 64;
	while (ncap < need)
		ncap *= 2;
	if (ncap > max)
		ncap = max;
	if (!(np = realloc(*p, ncap * elem)))
		return SP_ERR_NOMEM;
	*p = np;
	*cap = ncap;
	return SP_OK;
}

/* A character code of n (1..4) bytes, big-endian. */
static uint32_t
be_code(const unsigned char *s, size_t n)
{
	return (uint32_t)sp_load_ben(s, n);
}

/* UTF-16BE to code points; unpaired surrogates become U+FFFD. */
static size_t
utf16_decode(const unsigned char *s, size_t n, uint32_t *out, size_t max)
{
	size_t i = 0, k = 0;

	while (i + 1 < n && k < max) {
		uint32_t u = sp_load_be16(s + i);
		i += 2;
		if (u >= 0xD800 && u <= 0xDBFF && i + 1 < n) {
			uint32_t lo = sp_load_be16(s + i);
			if (lo >= 0xDC00 && lo <= 0xDFFF) {
				u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
				i += 2;
			} else {
				u = 0xFFFD;
			}
		} else if (u >= 0xD800 && u <= 0xDFFF) {
			u = 0xFFFD;
		}
		out[k++] = u;
	}
	if (i < n && k < max) /* a stray odd byte: some writers emit 1-byte destinations */
		out[k++] = s[i];
	return k;
}

static int
add_map(struct parser *ps, int cid, uint32_t lo, uint32_t hi, size_t nbytes, int is_range,
	const uint32_t *dst, size_t dlen, uint32_t cidv)
{
	struct cmap *cm = ps->cm;
	struct cmap_map *m;
	int r;

	if (nbytes < 1 || nbytes > 4 || hi < lo || (!cid && dlen == 0))
		return SP_OK; /* ignore a malformed or empty entry, as viewers do */
	if (cid) {
		if ((r = grow((void **)&cm->cid, &ps->capcid, cm->ncid + 1, sizeof(*m),
			      TEXT_MAX_CMAP_MAPS)) != SP_OK)
			return sp_err(ps->ei, r, "CMap: too many cid mappings");
		m = &cm->cid[cm->ncid++];
		m->doff = cidv;
		m->dlen = 0;
	} else {
		if ((r = grow((void **)&cm->bf, &ps->capbf, cm->nbf + 1, sizeof(*m),
			      TEXT_MAX_CMAP_MAPS)) != SP_OK ||
		    (r = grow((void **)&cm->dst, &ps->capdst, cm->ndst + dlen, sizeof(uint32_t),
			      (size_t)TEXT_MAX_CMAP_MAPS * 4)) != SP_OK)
			return sp_err(ps->ei, r, "CMap: too many bf mappings");
		m = &cm->bf[cm->nbf++];
		m->doff = (uint32_t)cm->ndst;
		m->dlen = (uint16_t)dlen;
		memcpy(cm->dst + cm->ndst, dst, dlen * sizeof(uint32_t));
		cm->ndst += dlen;
	}
	m->lo = lo;
	m->hi = hi;
	m->nbytes = (uint8_t)nbytes;
	m->is_range = (uint8_t)is_range;
	return SP_OK;
}

static int
map_cmp(const void *a, const void *b)
{
	const struct cmap_map *x = a, *y = b;

	if (x->nbytes != y->nbytes)
		return x->nbytes < y->nbytes ? -1 : 1;
	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	return 0;
}

void
cmap_free(struct cmap *cm)
{
	if (!cm)
		return;
	free(cm->space);
	free(cm->bf);
	free(cm->cid);
	free(cm->dst);
	free(cm);
}

int
cmap_parse(const unsigned char *p, size_t len, struct cmap **out, struct sp_errinfo *ei)
{
	int r = SP_ERR_INTERNAL;
	struct parser ps;
	struct clex *lx = NULL;
	struct ctok t;
	enum section sec = SEC_NONE;
	unsigned char a[4], b[4];
	size_t alen = 0, blen = 0;
	int have = 0; /* operands collected in the current entry */
	int in_array = 0;
	uint32_t dst[CMAP_MAX_DST];
	size_t dlen, k = 0;

	*out = NULL;
	memset(&ps, 0, sizeof(ps));
	ps.ei = ei;
	if (!(ps.cm = calloc(1, sizeof(*ps.cm))) || !(lx = malloc(sizeof(*lx)))) {
		r = sp_err(ei, SP_ERR_NOMEM, "CMap: out of memory");
		goto out;
	}
	clex_init(lx, p, len);
	for (;;) {
		enum ctok_type tt = clex_next(lx, &t);
		if (tt == CT_EOF)
			break;
		if (tt == CT_BAD) {
			r = sp_err(ei, SP_ERR_PDF, "CMap: malformed token at byte %zu", lx->pos);
			goto out;
		}
		if (tt == CT_OP) {
			/* section keywords; everything else (PostScript) is skipped */
#define KW(kw) (t.len == sizeof(kw) - 1 && memcmp(t.s, kw, t.len) == 0)
			if (KW("begincodespacerange"))
				sec = SEC_SPACE;
			else if (KW("beginbfchar"))
				sec = SEC_BFCHAR;
			else if (KW("beginbfrange"))
				sec = SEC_BFRANGE;
			else if (KW("begincidchar"))
				sec = SEC_CIDCHAR;
			else if (KW("begincidrange"))
				sec = SEC_CIDRANGE;
			else if (t.len > 3 && memcmp(t.s, "end", 3) == 0)
				sec = SEC_NONE;
#undef KW
			have = 0;
			in_array = 0;
			continue;
		}
		if (sec == SEC_NONE)
			continue;
		if (sec == SEC_BFRANGE && have == 2) {
			/* destination: a string, or an array of strings one per code */
			if (tt == CT_ARR_OPEN) {
				in_array = 1;
				k = 0;
				continue;
			}
			if (in_array) {
				uint32_t lo = be_code(a, alen), hi = be_code(b, blen);
				if (tt == CT_ARR_CLOSE) {
					in_array = 0;
					have = 0;
					continue;
				}
				if (tt != CT_STR)
					continue;
				dlen = utf16_decode(t.s, t.len, dst, CMAP_MAX_DST);
				if (lo + k <= hi && lo + k >= lo &&
				    (r = add_map(&ps, 0, lo + (uint32_t)k, lo + (uint32_t)k, alen,
						 0, dst, dlen, 0)) != SP_OK)
					goto out;
				k++;
				continue;
			}
			if (tt == CT_STR) {
				dlen = utf16_decode(t.s, t.len, dst, CMAP_MAX_DST);
				if (dlen && (r = add_map(&ps, 0, be_code(a, alen), be_code(b, blen),
							 alen, 1, dst, dlen, 0)) != SP_OK)
					goto out;
			}
			have = 0;
			continue;
		}
		if (have == 0) {
			if (tt != CT_STR || t.len < 1 || t.len > 4)
				continue; /* resynchronise on the next source code */
			memcpy(a, t.s, t.len);
			alen = t.len;
			have = 1;
			continue;
		}
		if (have == 1 && (sec == SEC_SPACE || sec == SEC_BFRANGE || sec == SEC_CIDRANGE)) {
			if (tt != CT_STR || t.len != alen) {
				have = 0;
				continue;
			}
			memcpy(b, t.s, t.len);
			blen = t.len;
			have = 2;
			if (sec == SEC_SPACE) {
				struct cmap *cm = ps.cm;
				if ((r = grow((void **)&cm->space, &ps.capspace, cm->nspace + 1,
					      sizeof(*cm->space), CMAP_MAX_SPACE)) != SP_OK) {
					r = sp_err(ei, r, "CMap: too many codespace ranges");
					goto out;
				}
				cm->space[cm->nspace].lo = be_code(a, alen);
				cm->space[cm->nspace].hi = be_code(b, blen);
				cm->space[cm->nspace].nbytes = (uint8_t)alen;
				cm->nspace++;
				have = 0;
			}
			continue;
		}
		/* the destination of bfchar (have 1), cidchar (have 1), cidrange (have 2) */
		if (sec == SEC_BFCHAR && tt == CT_STR) {
			dlen = utf16_decode(t.s, t.len, dst, CMAP_MAX_DST);
			if (dlen && (r = add_map(&ps, 0, be_code(a, alen), be_code(a, alen), alen,
						 0, dst, dlen, 0)) != SP_OK)
				goto out;
		} else if (sec == SEC_CIDCHAR && tt == CT_NUM && t.num >= 0 &&
			   t.num < 4294967295.0) {
			if ((r = add_map(&ps, 1, be_code(a, alen), be_code(a, alen), alen, 0, NULL,
					 0, (uint32_t)t.num)) != SP_OK)
				goto out;
		} else if (sec == SEC_CIDRANGE && tt == CT_NUM && t.num >= 0 &&
			   t.num < 4294967295.0) {
			if ((r = add_map(&ps, 1, be_code(a, alen), be_code(b, blen), alen, 1, NULL,
					 0, (uint32_t)t.num)) != SP_OK)
				goto out;
		}
		have = 0;
	}
	if (ps.cm->nbf)
		qsort(ps.cm->bf, ps.cm->nbf, sizeof(*ps.cm->bf), map_cmp);
	if (ps.cm->ncid)
		qsort(ps.cm->cid, ps.cm->ncid, sizeof(*ps.cm->cid), map_cmp);
	*out = ps.cm;
	ps.cm = NULL; /* transferred */
	r = SP_OK;
out:
	cmap_free(ps.cm);
	free(lx);
	return r;
}

size_t
cmap_code_len(const struct cmap *cm, const unsigned char *p, size_t avail, size_t def)
{
	size_t n, i;

	if (avail == 0)
		return 1; /* callers never ask with nothing left; keep the promise >= 1 */
	if (cm && cm->nspace) {
		for (n = 1; n <= 4 && n <= avail; n++) {
			uint32_t v = be_code(p, n);
			for (i = 0; i < cm->nspace; i++)
				if (cm->space[i].nbytes == n && v >= cm->space[i].lo &&
				    v <= cm->space[i].hi)
					return n;
		}
		/* no range matches: consume as many bytes as the shortest range uses */
		n = 4;
		for (i = 0; i < cm->nspace; i++)
			if (cm->space[i].nbytes < n)
				n = cm->space[i].nbytes;
		return n <= avail ? n : avail;
	}
	return def <= avail ? def : avail;
}

/* The last map with lo <= code among those of nbytes, or NULL. */
static const struct cmap_map *
find(const struct cmap_map *m, size_t n, uint32_t code, size_t nbytes)
{
	size_t lo = 0, hi = n;
	const struct cmap_map *best = NULL;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (m[mid].nbytes < nbytes || (m[mid].nbytes == nbytes && m[mid].lo <= code))
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo > 0 && m[lo - 1].nbytes == nbytes && m[lo - 1].lo <= code && code <= m[lo - 1].hi)
		best = &m[lo - 1];
	return best;
}

size_t
cmap_lookup_bf(const struct cmap *cm, uint32_t code, size_t nbytes, uint32_t *out, size_t max)
{
	const struct cmap_map *m;
	size_t n;

	if (!cm || !(m = find(cm->bf, cm->nbf, code, nbytes)))
		return 0;
	n = m->dlen < max ? m->dlen : max;
	memcpy(out, cm->dst + m->doff, n * sizeof(uint32_t));
	if (m->is_range && n)
		out[n - 1] += code - m->lo;
	return n;
}

int
cmap_lookup_cid(const struct cmap *cm, uint32_t code, size_t nbytes, uint32_t *cid)
{
	const struct cmap_map *m;

	if (!cm || !(m = find(cm->cid, cm->ncid, code, nbytes)))
		return 0;
	*cid = m->doff + (m->is_range ? code - m->lo : 0);
	return 1;
}
