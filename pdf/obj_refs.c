/*
 * obj_refs.c: an array of references read from the bytes of the object that
 * holds it, as qpdf's tokenizer reads them, instead of from qpdf's unparse of
 * its parse (pdf_doc_key_refs).
 *
 * A contract's k-th completion reads the new revision's page /Annots (2k
 * references with a seal and a date seal) and the AcroForm's /Fields (k):
 * qpdf unparses each array to text (some 1,000 instructions an item), which
 * pdf_array_refs then scans. Both objects are the update's own, which the
 * newest xref table places (pdf_doc_newest_place): their bytes say the same
 * in a tenth of that (and at B-LT, where the DSS's update follows, the
 * next prepare's read of the same two in the section before it). Only
 * plainly written objects are read: "N G obj", one
 * dictionary (or the array itself) and "endobj"; names, numbers, strings,
 * booleans, null, references, arrays and dictionaries in it; no comment, no
 * stream, no top-level key with a # escape (which qpdf reads as another
 * name), the key once, its value a direct array of "N G R" items alone.
 * Anything else, or another count than qpdf's, is 0: qpdf's unparse answers
 * then, as before.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "pdf_int.h"

/* nesting read inside a value (qpdf refuses 500) */
#define REFS_DEPTH 64

struct rd {
	const unsigned char *d;
	size_t len, p;
	/* each reference read in a value, to whom it is told (NULL: none), and whether
	   the value being read is a dictionary's (else an array's item, or the object) */
	void (*ref)(void *arg, int num, int gen, int in_dict);
	void *arg;
	int in_dict;
};

static void
ws(struct rd *r)
{
	while (r->p < r->len && pdf_space(r->d[r->p]))
		r->p++;
}

/* a regular token at r->p: its length (0 at a delimiter or the end) */
static size_t
regular(const struct rd *r)
{
	size_t q = r->p;

	while (q < r->len && pdf_regular(r->d[q]))
		q++;
	return q - r->p;
}

/* the token at r->p of n bytes is word */
static int
word_is(const struct rd *r, size_t n, const char *word)
{
	return n == strlen(word) && memcmp(r->d + r->p, word, n) == 0;
}

/* a number as qpdf reads one: a sign, digits and at most one point */
static int
number(const struct rd *r, size_t n)
{
	size_t i = 0, nd = 0, pt = 0;

	if (n > 0 && (r->d[r->p] == '+' || r->d[r->p] == '-'))
		i++;
	for (; i < n; i++) {
		if (r->d[r->p + i] == '.')
			pt++;
		else if (pdf_char_class[r->d[r->p + i]] & PDF_CH_DIGIT)
			nd++;
		else
			return 0;
	}
	return nd > 0 && pt <= 1;
}

/* an integer token of at most 10 digits at *p, within int, into *v (*p past it): 0, or -1 */
static int
uint_at(const unsigned char *d, size_t len, size_t *p, long long *v)
{
	size_t s = *p;
	long long x = 0;

	while (*p < len && (pdf_char_class[d[*p]] & PDF_CH_DIGIT) && *p - s < 11)
		x = x * 10 + (d[(*p)++] - '0');
	if (*p == s || *p - s > 10 || (*p < len && pdf_regular(d[*p])) || x > INT_MAX)
		return -1;
	*v = x;
	return 0;
}

/*
 * "N G R" at r->p (N > 0, G at most 65535), consumed into *num, *gen: 1;
 * else 0 and r->p as it was. One pass over its bytes: 2k items at a
 * contract's k-th page /Annots.
 */
static int
reference(struct rd *r, int *num, int *gen)
{
	const unsigned char *d = r->d;
	size_t p = r->p, len = r->len;
	long long a, b;

	if (uint_at(d, len, &p, &a) < 0 || a <= 0)
		return 0;
	while (p < len && pdf_space(d[p]))
		p++;
	if (uint_at(d, len, &p, &b) < 0 || b > 65535)
		return 0;
	while (p < len && pdf_space(d[p]))
		p++;
	if (p >= len || d[p] != 'R' || (p + 1 < len && pdf_regular(d[p + 1])))
		return 0;
	r->p = p + 1;
	*num = (int)a;
	*gen = (int)b;
	return 1;
}

/* an integer token at r->p (white space after it skipped) into *v: 0, or -1 */
static int
uint_token(struct rd *r, int *v)
{
	long long x;

	if (uint_at(r->d, r->len, &r->p, &x) < 0)
		return -1;
	ws(r);
	*v = (int)x;
	return 0;
}

/* a literal string at '(': balanced parentheses, a backslash escaping the next byte */
static int
literal(struct rd *r)
{
	int depth = 0;

	for (; r->p < r->len; r->p++) {
		if (r->d[r->p] == '\\')
			r->p++;
		else if (r->d[r->p] == '(')
			depth++;
		else if (r->d[r->p] == ')' && --depth == 0) {
			r->p++;
			return 0;
		}
	}
	return -1;
}

/* a hex string at '<': hex digits and white space to its '>' (another byte: qpdf reads
   on otherwise) */
static int
hex(struct rd *r)
{
	for (r->p++; r->p < r->len && r->d[r->p] != '>'; r->p++)
		if (!(pdf_char_class[r->d[r->p]] & (PDF_CH_HEX | PDF_CH_SPACE)))
			return -1;
	if (r->p >= r->len)
		return -1;
	r->p++;
	return 0;
}

/*
 * One value at r->p (white space before it skipped), consumed: 0, or -1
 * when it is not one read here. depth: the containers it is in.
 */
static int
value(struct rd *r, int depth)
{
	int num, gen, in, nk, i;
	size_t n, at, ks[PDF_OBJ_KEYS_MAX], kl[PDF_OBJ_KEYS_MAX];

	ws(r);
	if (r->p >= r->len || depth > REFS_DEPTH)
		return -1;
	switch (r->d[r->p]) {
	case '/':
		r->p++;
		r->p += regular(r);
		return 0;
	case '(':
		return literal(r);
	case '<':
		if (r->p + 1 < r->len && r->d[r->p + 1] == '<') {
			r->p += 2;
			for (nk = 0;; nk++) {
				ws(r);
				if (r->len - r->p >= 2 && r->d[r->p] == '>' &&
				    r->d[r->p + 1] == '>') {
					r->p += 2;
					return 0;
				}
				if (r->p >= r->len || r->d[r->p] != '/' || nk == PDF_OBJ_KEYS_MAX)
					return -1;
				/* a key with a # escape or a key twice, as at the top
				   (pdf_obj_dict_bytes): which value qpdf keeps is not told
				   here (review53: /F1 twice, qpdf keeps the last) */
				at = r->p++;
				r->p += regular(r);
				ks[nk] = at;
				kl[nk] = r->p - at;
				if (memchr(r->d + at, '#', kl[nk]) != NULL)
					return -1;
				for (i = 0; i < nk; i++)
					if (kl[i] == kl[nk] &&
					    memcmp(r->d + ks[i], r->d + at, kl[nk]) == 0)
						return -1;
				in = r->in_dict;
				r->in_dict = 1;
				if (value(r, depth + 1) < 0)
					return -1;
				r->in_dict = in;
			}
		}
		return hex(r);
	case '[':
		r->p++;
		in = r->in_dict;
		r->in_dict = 0;
		for (;;) {
			ws(r);
			if (r->p < r->len && r->d[r->p] == ']') {
				r->p++;
				r->in_dict = in;
				return 0;
			}
			if (value(r, depth + 1) < 0)
				return -1;
		}
	default:
		/* a comment, a stray delimiter: left to qpdf */
		if (!pdf_regular(r->d[r->p]))
			return -1;
		if (reference(r, &num, &gen)) {
			if (r->ref != NULL)
				r->ref(r->arg, num, gen, r->in_dict);
			return 0;
		}
		n = regular(r);
		if (!number(r, n) && !word_is(r, n, "true") && !word_is(r, n, "false") &&
		    !word_is(r, n, "null"))
			return -1;
		r->p += n;
		return 0;
	}
}

/* "[N G R ...]" at r->p: its references into refs[0..2 * cap) (*n of them), -1 when not so */
static int
refs_array(struct rd *r, int *refs, int cap, int *n)
{
	int num, gen;

	*n = 0;
	ws(r);
	if (r->p >= r->len || r->d[r->p] != '[')
		return -1;
	for (r->p++;;) {
		ws(r);
		if (r->p < r->len && r->d[r->p] == ']') {
			r->p++;
			return 0;
		}
		if (*n == cap || !reference(r, &num, &gen))
			return -1;
		refs[2 * *n] = num;
		refs[2 * *n + 1] = gen;
		(*n)++;
	}
}

/* "num gen obj" at r->p, consumed with the white space after it: 0, or -1 */
static int
obj_head(struct rd *r, int num, int gen)
{
	int hn, hg;
	size_t kn;

	/* what qpdf checks at the offset its table gives */
	if (uint_token(r, &hn) < 0 || hn != num || uint_token(r, &hg) < 0 || hg != gen)
		return -1;
	kn = regular(r);
	if (!word_is(r, kn, "obj"))
		return -1;
	r->p += kn;
	ws(r);
	return 0;
}

/* nothing but white space and "endobj" at r->p: the object ends (no stream) */
static int
obj_tail(struct rd *r)
{
	size_t kn;

	ws(r);
	kn = regular(r);
	return word_is(r, kn, "endobj") ? 0 : -1;
}

int
pdf_obj_dict_bytes(const unsigned char *d, size_t len, size_t off, int num, int gen,
		   struct pdf_obj_dict *out)
{
	struct rd r = { .d = d, .len = len, .p = off, .in_dict = 1 };
	struct pdf_obj_key *e;
	size_t at, kn;
	int i;

	memset(out, 0, sizeof(*out));
	if (off >= len || obj_head(&r, num, gen) < 0 || r.len - r.p < 2 ||
	    memcmp(r.d + r.p, "<<", 2) != 0)
		return 0;
	out->open = r.p;
	for (r.p += 2;;) {
		ws(&r);
		if (r.len - r.p >= 2 && r.d[r.p] == '>' && r.d[r.p + 1] == '>') {
			r.p += 2;
			break;
		}
		if (r.p >= r.len || r.d[r.p] != '/' || out->n == PDF_OBJ_KEYS_MAX)
			return 0;
		at = r.p++;
		r.p += regular(&r);
		kn = r.p - at;
		/* a # escape reads as another name: which key qpdf has is not told here */
		if (memchr(r.d + at, '#', kn) != NULL)
			return 0;
		/* a key twice: which value qpdf keeps is not told here */
		for (i = 0; i < out->n; i++)
			if (out->e[i].kn == kn && memcmp(r.d + out->e[i].k, r.d + at, kn) == 0)
				return 0;
		e = &out->e[out->n++];
		e->k = at;
		e->kn = kn;
		ws(&r);
		e->v = r.p;
		if (value(&r, 1) < 0)
			return 0;
		e->vn = r.p - e->v;
	}
	out->close = r.p;
	return obj_tail(&r) == 0;
}

int
pdf_obj_dict_refs(const unsigned char *d, const struct pdf_obj_dict *dict,
		  void (*ref)(void *arg, int num, int gen, int in_dict), void *arg)
{
	struct rd r = { .d = d, .len = dict->close, .p = dict->open, .ref = ref, .arg = arg };

	return value(&r, 0) == 0 && r.p == dict->close;
}

const struct pdf_obj_key *
pdf_obj_dict_get(const unsigned char *d, const struct pdf_obj_dict *dict, const char *key)
{
	size_t klen = strlen(key);
	int i;

	for (i = 0; i < dict->n; i++)
		if (dict->e[i].kn == klen && memcmp(d + dict->e[i].k, key, klen) == 0)
			return &dict->e[i];
	return NULL;
}

int
pdf_obj_value_refs(const unsigned char *d, const struct pdf_obj_key *e, int n, int **out)
{
	struct rd r = { .d = d, .len = e->v + e->vn, .p = e->v };
	int *refs = NULL, got = -1;

	*out = NULL;
	if (n <= 0 || !(refs = malloc((size_t)n * 2 * sizeof(*refs))))
		return 0;
	if (refs_array(&r, refs, n, &got) < 0 || got != n || r.p != r.len) {
		free(refs);
		return 0;
	}
	*out = refs;
	return 1;
}

int
pdf_obj_value_nrefs(const unsigned char *d, const struct pdf_obj_key *e)
{
	struct rd r = { .d = d, .len = e->v + e->vn, .p = e->v };
	int num, gen, n = 0;

	if (r.p >= r.len || d[r.p] != '[')
		return -1;
	for (r.p++;;) {
		ws(&r);
		if (r.p < r.len && d[r.p] == ']')
			return r.p + 1 == r.len ? n : -1;
		if (n == INT_MAX || !reference(&r, &num, &gen))
			return -1;
		n++;
	}
}

int
pdf_obj_value_ref(const unsigned char *d, const struct pdf_obj_key *e, int *num, int *gen)
{
	struct rd r = { .d = d, .len = e->v + e->vn, .p = e->v };

	*num = *gen = 0;
	return reference(&r, num, gen) && r.p == r.len;
}

int
pdf_obj_value_number(const unsigned char *d, const struct pdf_obj_key *e, double *v, int *integer)
{
	char t[24];
	struct rd r = { .d = d, .len = e->v + e->vn, .p = e->v };

	*v = 0;
	*integer = 0;
	/* a plain number of a few digits (a longer one: how qpdf reads it is not told here) */
	if (e->vn == 0 || e->vn >= 16 || !number(&r, e->vn))
		return 0;
	memcpy(t, d + e->v, e->vn);
	t[e->vn] = '\0';
	*v = strtod(t, NULL);
	*integer = memchr(t, '.', e->vn) == NULL;
	return 1;
}

int
pdf_obj_value_rect(const unsigned char *d, const struct pdf_obj_key *e, double v[4])
{
	struct rd r = { .d = d, .len = e->v + e->vn, .p = e->v };
	struct pdf_obj_key it;
	int i, integer;
	size_t n;

	if (r.p >= r.len || d[r.p] != '[')
		return 0;
	r.p++;
	for (i = 0; i < 4; i++) {
		ws(&r);
		n = regular(&r);
		it.v = r.p;
		it.vn = n;
		if (n == 0 || !pdf_obj_value_number(d, &it, &v[i], &integer))
			return 0;
		r.p += n;
	}
	ws(&r);
	return r.p + 1 == r.len && d[r.p] == ']';
}

int
pdf_obj_key_refs_bytes(const unsigned char *d, size_t len, size_t off, int num, int gen,
		       const char *key, int n, int **out)
{
	struct rd r = { .d = d, .len = len, .p = off };
	struct pdf_obj_dict dict;
	const struct pdf_obj_key *e;
	int *refs = NULL, got = -1;

	*out = NULL;
	if (n <= 0 || off >= len)
		return 0;
	if (key[0] != '\0') {
		if (!pdf_obj_dict_bytes(d, len, off, num, gen, &dict) ||
		    (e = pdf_obj_dict_get(d, &dict, key)) == NULL)
			return 0;
		return pdf_obj_value_refs(d, e, n, out);
	}
	if (!(refs = malloc((size_t)n * 2 * sizeof(*refs))))
		return 0;
	if (obj_head(&r, num, gen) < 0 || refs_array(&r, refs, n, &got) < 0 || obj_tail(&r) < 0 ||
	    got != n) {
		free(refs);
		return 0;
	}
	*out = refs;
	return 1;
}

int
pdf_obj_grown_bytes(const unsigned char *od, const struct pdf_obj_dict *a, const unsigned char *nd,
		    const struct pdf_obj_dict *b, const char *key, int **refs, int *no, int *nn)
{
	const struct pdf_obj_key *x, *y;
	size_t klen = strlen(key);
	int *ro = NULL, *rn = NULL, i, grown = 0, ok = 0;

	*refs = NULL;
	*no = *nn = 0;
	if (a->n != b->n)
		goto out;
	/* entry by entry, in their order: the same key's bytes, the same value's bytes */
	for (i = 0; i < a->n; i++) {
		x = &a->e[i];
		y = &b->e[i];
		if (x->kn != y->kn || memcmp(od + x->k, nd + y->k, x->kn) != 0)
			goto out;
		if (x->kn == klen && memcmp(od + x->k, key, klen) == 0) {
			/* the key's array: old's references first in new's */
			if ((*no = pdf_obj_value_nrefs(od, x)) < 0 ||
			    (*nn = pdf_obj_value_nrefs(nd, y)) < *no ||
			    (*no > 0 && !pdf_obj_value_refs(od, x, *no, &ro)) ||
			    (*nn > 0 && !pdf_obj_value_refs(nd, y, *nn, &rn)) ||
			    (*no > 0 && memcmp(ro, rn, (size_t)*no * 2 * sizeof(*ro)) != 0))
				goto out;
			grown = 1;
		} else if (x->vn != y->vn || memcmp(od + x->v, nd + y->v, x->vn) != 0) {
			goto out;
		}
	}
	ok = grown;
out:
	if (ok) {
		*refs = rn;
		rn = NULL; /* transferred */
	} else {
		*no = *nn = 0;
	}
	free(ro);
	free(rn);
	return ok;
}
