/*
 * objser.c: PDF object syntax for the incremental writer. Existing objects
 * read by qpdf are written back value for value (indirect references stay
 * references); new objects are composed with the same primitives.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pdf_int.h"

#define MAX_KEYS 4096

int
pdfw_num(struct sp_buf *b, double v)
{
	char s[64];
	size_t n;

	if (!isfinite(v))
		v = 0;
	if (fabs(v - llround(v)) < 1e-9)
		return sp_buf_printf(b, "%lld", (long long)llround(v));
	snprintf(s, sizeof(s), "%.4f", v);
	/* Trim trailing zeros: shorter and stable. */
	n = strlen(s);
	while (n > 0 && s[n - 1] == '0')
		s[--n] = '\0';
	if (n > 0 && s[n - 1] == '.')
		s[--n] = '\0';
	if (strcmp(s, "-0") == 0)
		strcpy(s, "0");
	return sp_buf_addstr(b, s);
}

/* name includes its leading '/'; bytes outside the regular set become #xx. */
int
pdfw_name(struct sp_buf *b, const char *name)
{
	const unsigned char *p = (const unsigned char *)name;
	int r;

	if (*p == '/')
		p++;
	if ((r = sp_buf_add(b, "/", 1)) < 0)
		return r;
	for (; *p; p++) {
		if (*p < 0x21 || *p > 0x7e || strchr("#()<>[]{}/%", *p))
			r = sp_buf_printf(b, "#%02X", *p);
		else
			r = sp_buf_add(b, p, 1);
		if (r < 0)
			return r;
	}
	return SP_OK;
}

int
pdfw_hexstr(struct sp_buf *b, const unsigned char *p, size_t n)
{
	char c[2 * 64 + 1];
	size_t i, k;
	int r;

	if ((r = sp_buf_add(b, "<", 1)) < 0)
		return r;
	for (i = 0; i < n; i += k) {
		k = n - i < 64 ? n - i : 64;
		sp_hex_upper(p + i, k, c);
		if ((r = sp_buf_add(b, c, 2 * k)) < 0)
			return r;
	}
	return sp_buf_add(b, ">", 1);
}

int
pdfw_str(struct sp_buf *b, const struct pdf_okey *k, const unsigned char *p, size_t n)
{
	unsigned char *e = NULL;
	size_t en = 0;
	int r;

	if (k == NULL || k->c == NULL || k->m[0] == PDF_CM_NONE)
		return pdfw_hexstr(b, p, n);
	if ((r = pdf_crypt_encrypt(k, 0, p, n, &e, &en)) < 0)
		return r;
	r = pdfw_hexstr(b, e, en);
	free(e);
	return r;
}

int
pdfw_textstr(struct sp_buf *b, const char *utf8)
{
	return pdfw_textstr_k(b, NULL, utf8);
}

/* A PDF text string: ASCII as is (hex), otherwise UTF-16BE with a BOM. */
int
pdfw_textstr_k(struct sp_buf *b, const struct pdf_okey *k, const char *utf8)
{
	const unsigned char *s = (const unsigned char *)utf8;
	size_t n = strlen(utf8), i, o = 0;
	unsigned char *u;
	int ascii = 1, r;

	for (i = 0; i < n; i++)
		if (s[i] >= 0x80)
			ascii = 0;
	if (ascii)
		return pdfw_str(b, k, s, n);
	if (!(u = malloc(2 + 4 * n)))
		return SP_ERR_NOMEM;
	u[o++] = 0xfe;
	u[o++] = 0xff;
	for (i = 0; i < n;) {
		unsigned long cp;
		int extra;
		if (s[i] < 0x80) {
			cp = s[i];
			extra = 0;
		} else if ((s[i] & 0xe0) == 0xc0) {
			cp = s[i] & 0x1f;
			extra = 1;
		} else if ((s[i] & 0xf0) == 0xe0) {
			cp = s[i] & 0x0f;
			extra = 2;
		} else if ((s[i] & 0xf8) == 0xf0) {
			cp = s[i] & 0x07;
			extra = 3;
		} else {
			cp = 0xfffd;
			extra = 0;
		}
		i++;
		for (; extra > 0; extra--, i++) {
			if (i >= n || (s[i] & 0xc0) != 0x80) {
				cp = 0xfffd;
				break;
			}
			cp = (cp << 6) | (s[i] & 0x3f);
		}
		if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			cp = 0xfffd;
		if (cp >= 0x10000) {
			unsigned long hi = 0xd800 + ((cp - 0x10000) >> 10);
			unsigned long lo = 0xdc00 + ((cp - 0x10000) & 0x3ff);
			u[o++] = (unsigned char)(hi >> 8);
			u[o++] = (unsigned char)hi;
			u[o++] = (unsigned char)(lo >> 8);
			u[o++] = (unsigned char)lo;
		} else {
			u[o++] = (unsigned char)(cp >> 8);
			u[o++] = (unsigned char)cp;
		}
	}
	r = pdfw_str(b, k, u, o);
	free(u);
	return r;
}

/* qpdf's key iterator is one shared cursor: copy the keys before recursing. */
static int
dict_keys(qpdf_data q, qpdf_oh d, char ***keys, size_t *n)
{
	char **v = NULL;
	size_t k = 0;

	*keys = NULL;
	*n = 0;
	qpdf_oh_begin_dict_key_iter(q, d);
	while (qpdf_oh_dict_more_keys(q)) {
		const char *key = qpdf_oh_dict_next_key(q);
		char **nv;
		if (k >= MAX_KEYS)
			goto fail;
		if (!(nv = realloc(v, (k + 1) * sizeof(*v))))
			goto fail;
		v = nv;
		if (!(v[k] = strdup(key ? key : "/")))
			goto fail;
		k++;
	}
	*keys = v;
	*n = k;
	return SP_OK;
fail:
	while (k > 0)
		free(v[--k]);
	free(v);
	return SP_ERR_LIMIT;
}

static void
free_keys(char **keys, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(keys[i]);
	free(keys);
}

/* Keys of dict (minus skip1/skip2), each "/Key value", without the << >>. */
int
pdfw_dict_body(struct sp_buf *b, qpdf_data q, qpdf_oh dict, const char *skip1, const char *skip2,
	       const struct pdf_okey *k, int depth)
{
	const char *skip[2] = { skip1, skip2 };

	return pdfw_dict_body_skip(b, q, dict, skip, 2, k, depth);
}

int
pdfw_dict_body_skip(struct sp_buf *b, qpdf_data q, qpdf_oh dict, const char *const *skip,
		    size_t nskip, const struct pdf_okey *k, int depth)
{
	char **keys = NULL;
	size_t nkeys = 0, i, j;
	int r;

	if ((r = dict_keys(q, dict, &keys, &nkeys)) < 0)
		return r;
	for (i = 0; i < nkeys; i++) {
		qpdf_oh v;
		for (j = 0; j < nskip && !(skip[j] && strcmp(keys[i], skip[j]) == 0); j++)
			;
		if (j < nskip)
			continue;
		v = qpdf_oh_get_key(q, dict, keys[i]);
		/* A null value means an absent key (PDF 7.3.7): drop it. */
		if (!qpdf_oh_is_indirect(q, v) && qpdf_oh_is_null(q, v))
			continue;
		if ((r = pdfw_name(b, keys[i])) < 0 || (r = sp_buf_add(b, " ", 1)) < 0 ||
		    (r = pdfw_obj(b, q, v, k, depth + 1)) < 0 || (r = sp_buf_add(b, "\n", 1)) < 0)
			break;
	}
	free_keys(keys, nkeys);
	return r;
}

/* Reads a decimal of at most 9 digits at *p (no sign); -1 when there is none. */
static long
ref_num(const char **p)
{
	long v = 0;
	int n = 0;

	for (; isdigit((unsigned char)**p) && n < 10; (*p)++, n++)
		v = v * 10 + (**p - '0');
	return n == 0 || n > 9 ? -1 : v;
}

/* 1 when arr's first item is an indirect reference */
static int
first_is_ref(qpdf_data q, qpdf_oh arr)
{
	qpdf_oh it = qpdf_oh_get_array_item(q, arr, 0);
	int r = qpdf_oh_is_indirect(q, it);

	qpdf_oh_release(q, it);
	return r;
}

int
pdf_array_refs(qpdf_data q, qpdf_oh arr, int n, int **out)
{
	const char *p;
	int *v = NULL, i = 0;
	long num, gen;

	*out = NULL;
	/* a first item that is no reference unparses to none: not unparsed (the numbers of
	   a /Rect, a /BBox, a /MediaBox that a walk of the update's objects meets) */
	if (n <= 0 || !first_is_ref(q, arr) || (p = qpdf_oh_unparse_resolved(q, arr)) == NULL ||
	    !(v = malloc((size_t)n * 2 * sizeof(*v))))
		goto no;
	while (isspace((unsigned char)*p))
		p++;
	if (*p++ != '[')
		goto no;
	for (;;) {
		while (isspace((unsigned char)*p))
			p++;
		if (*p == ']')
			break;
		if (i == n || (num = ref_num(&p)) < 0 || !isspace((unsigned char)*p))
			goto no;
		while (isspace((unsigned char)*p))
			p++;
		if ((gen = ref_num(&p)) < 0 || !isspace((unsigned char)*p))
			goto no;
		while (isspace((unsigned char)*p))
			p++;
		if (*p++ != 'R' || (!isspace((unsigned char)*p) && *p != ']'))
			goto no;
		v[2 * i] = (int)num;
		v[2 * i + 1] = (int)gen;
		i++;
	}
	for (p++; isspace((unsigned char)*p); p++)
		;
	if (*p != 0 || i != n)
		goto no;
	*out = v;
	return 1;
no:
	free(v);
	return 0;
}

/* one read of pdf_doc_key_refs: refs NULL when the array is not only references */
struct pdf_key_refs {
	int num, gen, n;
	char key[24];
	int *refs;
};

/* a completion reads a handful (the new /Fields and /Annots, their objects' own) */
#define KEY_REFS_MAX 16

int
pdf_doc_key_refs(struct pdf_doc *doc, int num, int gen, const char *key, qpdf_oh arr, int n,
		 int **out)
{
	struct pdf_key_refs *e;
	size_t i, klen = strlen(key), off;
	int ok;

	*out = NULL;
	if (num <= 0 || klen >= sizeof(e->key) || n <= 0)
		return pdf_array_refs(doc->q, arr, n, out);
	for (i = 0; i < doc->nkrefs; i++) {
		e = &doc->krefs[i];
		if (e->num == num && e->gen == gen && e->n == n && strcmp(e->key, key) == 0) {
			if (e->refs == NULL || !(*out = malloc((size_t)n * 2 * sizeof(int))))
				return 0;
			memcpy(*out, e->refs, (size_t)n * 2 * sizeof(int));
			return 1;
		}
	}
	/* an object the newest section lists (the update's page and form) from its bytes,
	   which qpdf parsed: its unparse is some 1,000 instructions an item */
	ok = first_is_ref(doc->q, arr) &&
	     ((pdf_doc_newest_place(doc, num, gen, &off) &&
	       pdf_obj_key_refs_bytes(doc->data, doc->len, off, num, gen, key, n, out)) ||
	      pdf_array_refs(doc->q, arr, n, out));
	if (doc->nkrefs == KEY_REFS_MAX ||
	    (doc->krefs == NULL && !(doc->krefs = calloc(KEY_REFS_MAX, sizeof(*doc->krefs)))))
		return ok;
	e = &doc->krefs[doc->nkrefs];
	e->refs = NULL;
	if (ok && !(e->refs = malloc((size_t)n * 2 * sizeof(int))))
		return ok; /* not kept: the next reader reads it again */
	if (ok)
		memcpy(e->refs, *out, (size_t)n * 2 * sizeof(int));
	e->num = num;
	e->gen = gen;
	e->n = n;
	memcpy(e->key, key, klen + 1);
	doc->nkrefs++;
	return ok;
}

void
pdf_key_refs_release(struct pdf_key_refs *k, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(k[i].refs);
	free(k);
}

void
pdf_doc_key_refs_free(struct pdf_doc *doc)
{
	pdf_key_refs_release(doc->krefs, doc->nkrefs);
	doc->krefs = NULL;
	doc->nkrefs = 0;
}

/* v (0 or more) in decimal at the end of t[0..12): its first digit's index */
static size_t
dec(char t[12], unsigned v)
{
	size_t n = 12;

	do {
		t[--n] = (char)('0' + v % 10);
		v /= 10;
	} while (v > 0);
	return n;
}

int
pdfw_refs(struct sp_buf *b, const int *refs, int n, char sep, int last_sep)
{
	char t[32], d[12];
	size_t m, k;
	int i;

	for (i = 0; i < n; i++) {
		if (refs[2 * i] < 0 || refs[2 * i + 1] < 0)
			return SP_ERR_INVALID;
		k = dec(d, (unsigned)refs[2 * i]);
		memcpy(t, d + k, m = 12 - k);
		t[m++] = ' ';
		k = dec(d, (unsigned)refs[2 * i + 1]);
		memcpy(t + m, d + k, 12 - k);
		m += 12 - k;
		t[m++] = ' ';
		t[m++] = 'R';
		if (last_sep || i + 1 < n)
			t[m++] = sep;
		if (sp_buf_add(b, t, m) < 0)
			return SP_ERR_TOO_LARGE;
	}
	return SP_OK;
}

int
pdfw_obj(struct sp_buf *b, qpdf_data q, qpdf_oh oh, const struct pdf_okey *k, int depth)
{
	int r = SP_OK, i, n, *refs = NULL;

	if (depth > PDF_MAX_DEPTH)
		return SP_ERR_LIMIT;
	if (qpdf_oh_is_indirect(q, oh))
		return sp_buf_printf(b, "%d %d R", qpdf_oh_get_object_id(q, oh),
				     qpdf_oh_get_generation(q, oh));
	switch (qpdf_oh_get_type_code(q, oh)) {
	case ot_null:
		return sp_buf_addstr(b, "null");
	case ot_boolean:
		return sp_buf_addstr(b, qpdf_oh_get_bool_value(q, oh) ? "true" : "false");
	case ot_integer:
		return sp_buf_printf(b, "%lld", qpdf_oh_get_int_value(q, oh));
	case ot_real:
		return sp_buf_addstr(b, qpdf_oh_get_real_value(q, oh));
	case ot_name:
		return pdfw_name(b, qpdf_oh_get_name(q, oh));
	case ot_string: {
		size_t len = 0;
		const char *s = qpdf_oh_get_binary_string_value(q, oh, &len);
		return pdfw_str(b, k, (const unsigned char *)s, s ? len : 0);
	}
	case ot_array:
		n = qpdf_oh_get_array_n_items(q, oh);
		if ((r = sp_buf_add(b, "[", 1)) < 0)
			return r;
		/* only references (a page's /Annots, /Kids, a DSS's /VRI entries): the same
		   bytes, read in bulk (an array of numbers costs one unparse more) */
		if (n >= 2 && pdf_array_refs(q, oh, n, &refs)) {
			r = pdfw_refs(b, refs, n, ' ', 0);
			free(refs);
			return r < 0 ? r : sp_buf_add(b, "]", 1);
		}
		for (i = 0; i < n; i++) {
			if ((i && (r = sp_buf_add(b, " ", 1)) < 0) ||
			    (r = pdfw_obj(b, q, qpdf_oh_get_array_item(q, oh, i), k, depth + 1)) <
				    0)
				return r;
		}
		return sp_buf_add(b, "]", 1);
	case ot_dictionary:
		if ((r = sp_buf_addstr(b, "<<\n")) < 0 ||
		    (r = pdfw_dict_body(b, q, oh, NULL, NULL, k, depth)) < 0)
			return r;
		return sp_buf_add(b, ">>", 2);
	default:
		/* A direct stream or an operator cannot appear inside an object. */
		return SP_ERR_PDF;
	}
}
