/*
 * diff.c: what one incremental update changed, object by object, and
 * whether a signature made before it may tolerate it (after pyHanko's
 * difference analysis and the PDF signature attack papers): only objects
 * the update's own xref section lists can change, so those are the ones
 * compared with the previous revision. Allowed: new objects nothing old
 * refers to, new signature fields and their widgets, the AcroForm entries
 * and page /Annots additions for them, /SigFlags, DSS, /Info and XMP
 * metadata. Everything else is disallowed and named: fail closed.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diff_int.h"

#define XREF_ENTRIES_MAX 1000000
#define WALK_MAX 200000
#define CHANGES_MAX 256

/* AcroForm entries a signer's tool may set (ISO 32000-2 §12.7.3, §12.8.2.2). */
static const char *const af_free[] = { "/SigFlags", "/DA", "/DR", NULL };

struct xent {
	int num, gen, type; /* type 0 free, 1 in use, 2 in an object stream */
};

struct ctx {
	struct pdf_doc *o, *n;
	struct pdf_diff *d;
	int root, info, acroform, fields, metadata, dss;
	const struct pdf_refs *refs; /* numbers some revision up to older refers to */
	char key[64];                /* the key dict_allowed() refused */
};

static void note(struct pdf_diff *d, int obj, int gen, int allowed, int visible, const char *fmt,
		 ...) SP_PRINTF(6, 7);

static void
note(struct pdf_diff *d, int obj, int gen, int allowed, int visible, const char *fmt, ...)
{
	struct pdf_change *c;
	va_list ap;

	if (allowed)
		d->nallowed++;
	else
		d->ndisallowed++;
	d->visible_widgets += visible;
	if (d->n == CHANGES_MAX)
		return;
	c = &d->c[d->n++];
	c->obj = obj;
	c->gen = gen;
	c->allowed = allowed;
	va_start(ap, fmt);
	vsnprintf(c->what, sizeof(c->what), fmt, ap);
	va_end(ap);
}

static long long
num_at(const unsigned char *d, size_t len, size_t *p)
{
	long long v = 0;
	int digits = 0;

	while (*p < len && isspace(d[*p]))
		(*p)++;
	while (*p < len && isdigit(d[*p]) && digits < 15) {
		v = v * 10 + (d[*p] - '0');
		(*p)++;
		digits++;
	}
	return digits ? v : -1;
}

static int
xadd(struct xent **x, size_t *n, size_t *cap, int num, int gen, int type)
{
	if (*n == XREF_ENTRIES_MAX)
		return -1;
	if (*n == *cap) {
		void *nv = realloc(*x, (*cap ? 2 * *cap : 64) * sizeof(**x));
		if (!nv)
			return -1;
		*x = nv;
		*cap = *cap ? 2 * *cap : 64;
	}
	(*x)[*n].num = num;
	(*x)[*n].gen = gen;
	(*x)[(*n)++].type = type;
	return 0;
}

/* The entries of a classic xref table at p. */
static int
table_entries(const unsigned char *d, size_t len, size_t p, struct xent **x, size_t *n, size_t *cap)
{
	long long start, count, i, off, gen;

	p += 4;
	for (;;) {
		while (p < len && isspace(d[p]))
			p++;
		if (len - p >= 7 && memcmp(d + p, "trailer", 7) == 0)
			return 0;
		if ((start = num_at(d, len, &p)) < 0 || (count = num_at(d, len, &p)) < 0 ||
		    start > INT32_MAX || count > XREF_ENTRIES_MAX)
			return -1;
		for (i = 0; i < count; i++) {
			if ((off = num_at(d, len, &p)) < 0 || (gen = num_at(d, len, &p)) < 0 ||
			    gen > 65535)
				return -1;
			while (p < len && isspace(d[p]))
				p++;
			if (p >= len || (d[p] != 'n' && d[p] != 'f') || start + i > INT32_MAX)
				return -1;
			if (xadd(x, n, cap, (int)(start + i), (int)gen, d[p] == 'n') < 0)
				return -1;
			p++;
		}
	}
}

/* The entries of an xref stream "N G obj" at p, decoded by qpdf. */
static int
stream_entries(struct pdf_doc *doc, size_t p, int *self, struct xent **x, size_t *n, size_t *cap)
{
	qpdf_data q = doc->q;
	long long num, gen, w[3], idx[2 * 64], i, j, k;
	qpdf_oh s, wa, ia, it;
	unsigned char *buf = NULL;
	size_t blen = 0, at = 0, row;
	int filtered = 0, nidx, r = -1;
	size_t p0 = p;

	if ((num = num_at(doc->data, doc->len, &p)) < 0 ||
	    (gen = num_at(doc->data, doc->len, &p)) < 0 || num > INT32_MAX || gen > 65535)
		return -1;
	*self = (int)num;
	s = qpdf_get_object_by_id(q, (int)num, (int)gen);
	if (qpdf_oh_is_stream(q, s)) {
		if (qpdf_oh_get_stream_data(q, s, qpdf_dl_generalized, &filtered, &buf, &blen) !=
			    QPDF_SUCCESS ||
		    !filtered)
			goto out;
		s = qpdf_oh_get_dict(q, s);
	} else if (diff_xref_stream_read(doc, p0, &s, &buf, &blen) < 0) {
		/* qpdf need not expose an xref stream that does not list itself */
		return -1;
	}
	wa = qpdf_oh_get_key_if_dict(q, s, "/W");
	ia = qpdf_oh_get_key_if_dict(q, s, "/Index");
	if (!qpdf_oh_is_array(q, wa) || qpdf_oh_get_array_n_items(q, wa) != 3)
		goto out;
	for (i = 0; i < 3; i++) {
		it = qpdf_oh_get_array_item(q, wa, (int)i);
		w[i] = qpdf_oh_is_integer(q, it) ? qpdf_oh_get_int_value(q, it) : -1;
		if (w[i] < 0 || w[i] > 8)
			goto out;
	}
	if (qpdf_oh_is_array(q, ia)) {
		nidx = qpdf_oh_get_array_n_items(q, ia);
		if (nidx % 2 || nidx > (int)SP_ARRAY_LEN(idx))
			goto out;
		for (i = 0; i < nidx; i++) {
			it = qpdf_oh_get_array_item(q, ia, (int)i);
			if (!qpdf_oh_is_integer(q, it) ||
			    (idx[i] = qpdf_oh_get_int_value(q, it)) < 0 ||
			    idx[i] > XREF_ENTRIES_MAX * 4LL)
				goto out;
		}
	} else {
		it = qpdf_oh_get_key_if_dict(q, s, "/Size");
		if (!qpdf_oh_is_integer(q, it))
			goto out;
		idx[0] = 0;
		idx[1] = qpdf_oh_get_int_value(q, it);
		nidx = 2;
	}
	row = (size_t)(w[0] + w[1] + w[2]);
	if (row == 0)
		goto out;
	for (i = 0; i < nidx; i += 2) {
		for (j = 0; j < idx[i + 1]; j++) {
			if (blen - at < row || idx[i] + j > INT32_MAX)
				goto out;
			k = w[0] ? (long long)sp_load_ben(buf + at, (size_t)w[0]) : 1;
			if (k < 0 || k > 2)
				goto out;
			gen = k == 1 ? (long long)sp_load_ben(buf + at + w[0] + w[1], (size_t)w[2])
				     : 0;
			if (gen > 65535 || xadd(x, n, cap, (int)(idx[i] + j), (int)gen, (int)k) < 0)
				goto out;
			at += row;
		}
	}
	r = 0;
out:
	free(buf);
	return r;
}

#define REF_SET(r, id) ((r)->bits[(size_t)(id) >> 3] |= (unsigned char)(1u << ((id)&7)))
#define REF_HAS(r, id) (((r)->bits[(size_t)(id) >> 3] >> ((id)&7)) & 1)

/*
 * Mark the object numbers h refers to. follow: walk through the references
 * into what they point to (the whole reachable document, each object once);
 * otherwise only h's own (direct) contents.
 */
static int
refs_walk(qpdf_data q, qpdf_oh start, int follow, struct pdf_refs *r, unsigned char *seen,
	  struct sp_errinfo *ei)
{
	qpdf_oh *st = NULL;
	size_t sp = 0, cap = 256, steps = 0;
	int rc = SP_ERR_INTERNAL, i, nitems, id;
	const char *k;

	if (!(st = malloc(cap * sizeof(*st))))
		return sp_err(ei, SP_ERR_NOMEM, "out of memory");
	st[sp++] = start;
	while (sp > 0) {
		qpdf_oh h = st[--sp];
		if (++steps > WALK_MAX) {
			rc = sp_err_reason(ei, SP_ERR_LIMIT, "pdf_limit",
					   "more than %d objects to compare", WALK_MAX);
			goto out;
		}
		if (qpdf_oh_is_indirect(q, h) && steps > 1) {
			id = qpdf_oh_get_object_id(q, h);
			if (id <= 0 || (size_t)id >= r->n)
				continue;
			REF_SET(r, id);
			if (!follow || !seen || seen[id])
				continue;
			seen[id] = 1;
		}
		if (sp + 2 >= cap) {
			void *nv = realloc(st, 2 * cap * sizeof(*st));
			if (!nv) {
				rc = sp_err(ei, SP_ERR_NOMEM, "out of memory");
				goto out;
			}
			st = nv;
			cap *= 2;
		}
		if (qpdf_oh_is_array(q, h)) {
			nitems = qpdf_oh_get_array_n_items(q, h);
			for (i = 0; i < nitems; i++) {
				if (sp + 2 >= cap) {
					void *nv = realloc(st, 2 * cap * sizeof(*st));
					if (!nv) {
						rc = sp_err(ei, SP_ERR_NOMEM, "out of memory");
						goto out;
					}
					st = nv;
					cap *= 2;
				}
				st[sp++] = qpdf_oh_get_array_item(q, h, i);
			}
		} else if (qpdf_oh_is_dictionary(q, h) || qpdf_oh_is_stream(q, h)) {
			qpdf_oh dict = qpdf_oh_is_stream(q, h) ? qpdf_oh_get_dict(q, h) : h;
			qpdf_oh_begin_dict_key_iter(q, dict);
			while (qpdf_oh_dict_more_keys(q)) {
				if (sp + 2 >= cap) {
					void *nv = realloc(st, 2 * cap * sizeof(*st));
					if (!nv) {
						rc = sp_err(ei, SP_ERR_NOMEM, "out of memory");
						goto out;
					}
					st = nv;
					cap *= 2;
				}
				k = qpdf_oh_dict_next_key(q);
				st[sp++] = qpdf_oh_get_key_if_dict(q, dict, k);
			}
		}
	}
	rc = SP_OK;
out:
	free(st);
	return rc;
}

int
pdf_refs_init(struct pdf_doc *first, struct pdf_refs *r, struct sp_errinfo *ei)
{
	unsigned char *seen = NULL;
	int rc;

	memset(r, 0, sizeof(*r));
	r->n = PDF_DOC_MAX_OBJECTS + 1;
	if (!(r->bits = calloc(r->n / 8 + 1, 1)) || !(seen = calloc(r->n, 1))) {
		free(r->bits);
		r->bits = NULL;
		return sp_err(ei, SP_ERR_NOMEM, "out of memory");
	}
	/* the trailer itself is not an indirect object: start from it, step 1 */
	rc = refs_walk(first->q, qpdf_get_trailer(first->q), 1, r, seen, ei);
	free(seen);
	if (rc == SP_OK && qpdf_has_error(first->q))
		rc = sp_err_reason(ei, SP_ERR_PDF, "pdf_unreadable",
				   "objects of the first revision cannot be read");
	return rc;
}

void
pdf_refs_cleanup(struct pdf_refs *r)
{
	if (!r)
		return;
	free(r->bits);
	memset(r, 0, sizeof(*r));
}

static char *
unparse(qpdf_data q, qpdf_oh h)
{
	const char *s = qpdf_oh_unparse_resolved(q, h);

	return strdup(s ? s : "");
}

/* Same value in both documents (references compared as references). */
static int
same(qpdf_data qa, qpdf_oh a, qpdf_data qb, qpdf_oh b)
{
	const char *sa = qpdf_oh_is_indirect(qa, a) ? NULL : qpdf_oh_unparse(qa, a);
	char *x = NULL;
	int eq;

	if (qpdf_oh_is_indirect(qa, a) || qpdf_oh_is_indirect(qb, b))
		return qpdf_oh_is_indirect(qa, a) && qpdf_oh_is_indirect(qb, b) &&
		       qpdf_oh_get_object_id(qa, a) == qpdf_oh_get_object_id(qb, b) &&
		       qpdf_oh_get_generation(qa, a) == qpdf_oh_get_generation(qb, b);
	x = strdup(sa ? sa : "");
	eq = x && strcmp(x, qpdf_oh_unparse(qb, b)) == 0;
	free(x);
	return eq;
}

/* A signature field, or a widget whose field is one. */
static int
is_sig_field(qpdf_data q, qpdf_oh h, int *visible)
{
	qpdf_oh p = qpdf_oh_get_key_if_dict(q, h, "/Parent"), rect, f;
	int sig = qpdf_oh_is_name_and_equals(q, qpdf_oh_get_key_if_dict(q, h, "/FT"), "/Sig") ||
		  (qpdf_oh_is_dictionary(q, p) &&
		   qpdf_oh_is_name_and_equals(q, qpdf_oh_get_key_if_dict(q, p, "/FT"), "/Sig"));
	double v[4];
	int i;

	*visible = 0;
	rect = qpdf_oh_get_key_if_dict(q, h, "/Rect");
	f = qpdf_oh_get_key_if_dict(q, h, "/F");
	if (qpdf_oh_is_array(q, rect) && qpdf_oh_get_array_n_items(q, rect) == 4) {
		for (i = 0; i < 4; i++)
			v[i] = qpdf_oh_get_numeric_value(q, qpdf_oh_get_array_item(q, rect, i));
		*visible = v[0] != v[2] && v[1] != v[3] &&
			   !(qpdf_oh_is_integer(q, f) && (qpdf_oh_get_int_value(q, f) & 2));
	}
	return sig;
}

/*
 * An array that may only grow by signature fields or widgets: the old items
 * in place, each new one a signature field (widget if annots). 1 when so.
 */
static int
grows_by_sigs(struct ctx *c, qpdf_oh old, qpdf_oh nw, int annots, int *visible)
{
	qpdf_data qo = c->o->q, qn = c->n->q;
	int no = qpdf_oh_is_array(qo, old) ? qpdf_oh_get_array_n_items(qo, old) : 0;
	int nn = qpdf_oh_is_array(qn, nw) ? qpdf_oh_get_array_n_items(qn, nw) : -1, i, vis;

	*visible = 0;
	if (!qpdf_oh_is_null(qo, old) && !qpdf_oh_is_array(qo, old))
		return 0;
	if (nn < no)
		return 0;
	for (i = 0; i < no; i++)
		if (!same(qo, qpdf_oh_get_array_item(qo, old, i), qn,
			  qpdf_oh_get_array_item(qn, nw, i)))
			return 0;
	for (i = no; i < nn; i++) {
		qpdf_oh it = qpdf_oh_get_array_item(qn, nw, i);
		if (!qpdf_oh_is_indirect(qn, it) || !qpdf_oh_is_dictionary(qn, it) ||
		    !is_sig_field(qn, it, &vis) ||
		    (annots &&
		     !qpdf_oh_is_name_and_equals(qn, qpdf_oh_get_key_if_dict(qn, it, "/Subtype"),
						 "/Widget")))
			return 0;
		*visible += vis;
	}
	return 1;
}

/*
 * Compare two dictionaries key by key; keys in `free_keys` may change at
 * will, /Fields and /Annots by grows_by_sigs, /AcroForm recursively.
 * Returns 1 when every difference is allowed; *what names the first that is not.
 */
static int
dict_allowed(struct ctx *c, qpdf_oh old, qpdf_oh nw, const char *const *free_keys, int depth,
	     int *visible, const char **what)
{
	qpdf_data qo = c->o->q, qn = c->n->q;
	const char *keys[2][128];
	int nk[2] = { 0, 0 }, s, i, vis;
	size_t j;

	*what = NULL;
	if (depth > 2)
		return 0;
	for (s = 0; s < 2; s++) {
		qpdf_data q = s ? qn : qo;
		qpdf_oh h = s ? nw : old;
		if (qpdf_oh_is_null(q, h))
			continue;
		if (!qpdf_oh_is_dictionary(q, h))
			return 0;
		qpdf_oh_begin_dict_key_iter(q, h);
		while (qpdf_oh_dict_more_keys(q)) {
			if (nk[s] == 128)
				return 0;
			keys[s][nk[s]++] = strdup(qpdf_oh_dict_next_key(q));
		}
	}
	s = 1;
	for (i = 0; i < nk[0] + nk[1] && s; i++) {
		const char *k = i < nk[0] ? keys[0][i] : keys[1][i - nk[0]];
		qpdf_oh a = qpdf_oh_get_key_if_dict(qo, old, k),
			b = qpdf_oh_get_key_if_dict(qn, nw, k);
		int ok = 0;
		if (!k)
			s = 0;
		else if (same(qo, a, qn, b))
			ok = 1;
		for (j = 0; free_keys[j] && !ok && k; j++)
			ok = strcmp(free_keys[j], k) == 0;
		if (!ok && k && (!strcmp(k, "/Fields") || !strcmp(k, "/Annots")) &&
		    grows_by_sigs(c, a, b, !strcmp(k, "/Annots"), &vis)) {
			ok = 1;
			*visible += vis;
		}
		/* a viewer told to redraw appearances could repaint signed fields */
		if (!ok && k && !strcmp(k, "/NeedAppearances") && depth > 0 &&
		    !(qpdf_oh_is_bool(qn, b) && qpdf_oh_get_bool_value(qn, b)))
			ok = 1;
		if (!ok && k && !strcmp(k, "/AcroForm")) {
			const char *w2;
			ok = dict_allowed(c, a, b, af_free, depth + 1, visible, &w2);
		}
		if (!ok) {
			snprintf(c->key, sizeof(c->key), "%s", k ? k : "a key");
			*what = c->key;
			s = 0;
		}
	}
	for (i = 0; i < nk[0] + nk[1]; i++)
		free((void *)(i < nk[0] ? keys[0][i] : keys[1][i - nk[0]]));
	return s;
}

static int
ref_id(qpdf_data q, qpdf_oh parent, const char *key)
{
	qpdf_oh h = qpdf_oh_get_key_if_dict(q, parent, key);

	return qpdf_oh_is_indirect(q, h) ? qpdf_oh_get_object_id(q, h) : 0;
}

/* The page whose /Annots array is object id, 0 if none. */
static int
is_annots(struct ctx *c, int id)
{
	int i;

	for (i = 0; i < c->o->npages; i++)
		if (ref_id(c->o->q, c->o->pages[i], "/Annots") == id)
			return i + 1;
	return 0;
}

static int
is_page(struct ctx *c, int id)
{
	int i;

	for (i = 0; i < c->o->npages; i++)
		if (qpdf_oh_get_object_id(c->o->q, c->o->pages[i]) == id)
			return i + 1;
	return 0;
}

/* The change just noted only adds validation data (PAdES B-LT). */
static void
mark_ltv(struct pdf_diff *d)
{
	d->nltv++;
	if (d->n > 0)
		d->c[d->n - 1].ltv = 1;
}

/* An object the update redefined: allowed or not, and why. */
static void
classify(struct ctx *c, int num, int gen)
{
	qpdf_data qo = c->o->q, qn = c->n->q;
	qpdf_oh old = qpdf_get_object_by_id(qo, num, gen), nw = qpdf_get_object_by_id(qn, num, gen),
		od;
	unsigned char *ba = NULL, *bb = NULL;
	size_t la = 0, lb = 0;
	int fa = 0, fb = 0, page, vis = 0, eq;
	char *ua, *ub;
	const char *what;
	/* what ISO 32000-2 §12.8.2.2 and PAdES let a later signer add to the catalog:
	   validation data, metadata, extension levels (ESIC) and permissions */
	static const char *const root_free[] = { "/DSS", "/Metadata", "/Extensions", "/Perms",
						 NULL };
	static const char *const sigfield_free[] = { "/V", NULL };

	if (qpdf_oh_is_null(qo, old)) {
		if (gen != 0 && !qpdf_oh_is_null(qo, qpdf_get_object_by_id(qo, num, 0)))
			note(c->d, num, gen, 0, 0, "object %d redefined with generation %d", num,
			     gen);
		else if ((size_t)num < c->refs->n && REF_HAS(c->refs, num))
			note(c->d, num, gen, 0, 0,
			     "new object %d fills a reference the signed revision already made",
			     num);
		return; /* a new object: only what refers to it can show it */
	}
	if (qpdf_oh_is_null(qn, nw)) {
		note(c->d, num, gen, 0, 0, "object %d deleted", num);
		return;
	}
	od = qpdf_oh_is_stream(qo, old) ? qpdf_oh_get_dict(qo, old) : old;
	ua = unparse(qo, old);
	ub = unparse(qn, nw);
	eq = ua && ub && strcmp(ua, ub) == 0;
	free(ua);
	free(ub);
	if (eq && qpdf_oh_is_stream(qo, old)) {
		eq = qpdf_oh_is_stream(qn, nw) &&
		     qpdf_oh_get_stream_data(qo, old, qpdf_dl_none, &fa, &ba, &la) ==
			     QPDF_SUCCESS &&
		     qpdf_oh_get_stream_data(qn, nw, qpdf_dl_none, &fb, &bb, &lb) == QPDF_SUCCESS &&
		     la == lb && memcmp(ba, bb, la) == 0;
		free(ba);
		free(bb);
	}
	if (eq)
		return;
	if (num == c->info) {
		note(c->d, num, gen, 1, 0, "document information (/Info)");
	} else if (num == c->metadata) {
		note(c->d, num, gen, 1, 0, "XMP metadata");
	} else if (num == c->dss ||
		   (c->dss &&
		    qpdf_oh_is_name_and_equals(qo, qpdf_oh_get_key_if_dict(qo, od, "/Type"),
					       "/DSS"))) {
		note(c->d, num, gen, 1, 0, "document security store (DSS)");
		mark_ltv(c->d);
	} else if (qpdf_oh_is_name_and_equals(qo, qpdf_oh_get_key_if_dict(qo, od, "/Type"),
					      "/XRef") ||
		   qpdf_oh_is_name_and_equals(qo, qpdf_oh_get_key_if_dict(qo, od, "/Type"),
					      "/ObjStm")) {
		return; /* file structure, not content: what it holds is compared object by object */
	} else if (num == c->root) {
		static const char *const dss_only[] = { "/DSS", NULL };
		int v1 = 0;
		/* validation data only: /DSS is the one key that differs */
		if (same(qo, qpdf_oh_get_key_if_dict(qo, old, "/AcroForm"), qn,
			 qpdf_oh_get_key_if_dict(qn, nw, "/AcroForm")) &&
		    dict_allowed(c, old, nw, dss_only, 0, &v1, &what) && v1 == 0) {
			note(c->d, num, gen, 1, 0, "catalog: document security store (DSS) added");
			mark_ltv(c->d);
		} else if (dict_allowed(c, old, nw, root_free, 0, &vis, &what))
			note(c->d, num, gen, 1, vis,
			     "catalog: signature form entries, DSS or metadata");
		else
			note(c->d, num, gen, 0, 0, "catalog (/Root) changed (%s)", what);
	} else if (num == c->acroform) {
		if (dict_allowed(c, old, nw, af_free, 1, &vis, &what))
			note(c->d, num, gen, 1, vis, "AcroForm: signature fields added");
		else
			note(c->d, num, gen, 0, 0, "AcroForm changed (%s)", what);
	} else if (num == c->fields) {
		if (grows_by_sigs(c, old, nw, 0, &vis))
			note(c->d, num, gen, 1, vis, "AcroForm /Fields: signature fields added");
		else
			note(c->d, num, gen, 0, 0, "AcroForm /Fields changed");
	} else if ((page = is_page(c, num)) > 0) {
		static const char *const page_free[] = { NULL };
		if (dict_allowed(c, old, nw, page_free, 1, &vis, &what))
			note(c->d, num, gen, 1, vis, "page %d: signature widgets added", page);
		else
			note(c->d, num, gen, 0, 0, "page %d changed (%s)", page, what);
	} else if ((page = is_annots(c, num)) > 0) {
		if (grows_by_sigs(c, old, nw, 1, &vis))
			note(c->d, num, gen, 1, vis, "page %d /Annots: signature widgets added",
			     page);
		else
			note(c->d, num, gen, 0, 0, "page %d /Annots: annotations added or changed",
			     page);
	} else if (qpdf_oh_is_name_and_equals(qo, qpdf_oh_get_key_if_dict(qo, old, "/FT"),
					      "/Sig") &&
		   !qpdf_oh_has_key(qo, old, "/V") &&
		   dict_allowed(c, old, nw, sigfield_free, 1, &vis, &what)) {
		note(c->d, num, gen, 1, 0, "empty signature field signed");
	} else {
		note(c->d, num, gen, 0, 0, "object %d changed (%s)", num,
		     qpdf_oh_is_stream(qo, old) ? "a stream: content, image, font or form XObject"
						: "not a signature, form or metadata entry");
	}
}

int
pdf_revision_diff(struct pdf_doc *older, struct pdf_doc *newer, const struct pdf_revision *rev,
		  struct pdf_refs *refs, struct pdf_diff *out, struct sp_errinfo *ei)
{
	struct ctx c;
	struct xent *x = NULL;
	size_t nx = 0, capx = 0, i;
	int r = SP_ERR_INTERNAL, self = -1, rc;
	qpdf_oh to, tn;

	memset(out, 0, sizeof(*out));
	memset(&c, 0, sizeof(c));
	if (!(out->c = calloc(CHANGES_MAX, sizeof(*out->c))))
		return sp_err(ei, SP_ERR_NOMEM, "out of memory");
	if (rev->xref < 0 || (size_t)rev->xref >= newer->len)
		return sp_err_reason(ei, SP_ERR_PDF, "revision_structure",
				     "xref outside the revision");
	c.o = older;
	c.n = newer;
	c.d = out;
	to = qpdf_get_trailer(older->q);
	tn = qpdf_get_trailer(newer->q);
	c.root = ref_id(older->q, to, "/Root");
	c.info = ref_id(older->q, to, "/Info");
	c.acroform = ref_id(older->q, qpdf_get_root(older->q), "/AcroForm");
	c.fields = ref_id(older->q,
			  qpdf_oh_get_key_if_dict(older->q, qpdf_get_root(older->q), "/AcroForm"),
			  "/Fields");
	c.metadata = ref_id(older->q, qpdf_get_root(older->q), "/Metadata");
	c.dss = ref_id(older->q, qpdf_get_root(older->q), "/DSS");
	if (ref_id(newer->q, tn, "/Root") != c.root || c.root == 0)
		note(out, 0, 0, 0, 0, "the trailer's /Root was replaced");
	if (qpdf_oh_has_key(newer->q, tn, "/Encrypt"))
		note(out, 0, 0, 0, 0, "encryption added");
	c.refs = refs;
	if (newer->len - (size_t)rev->xref >= 4 &&
	    memcmp(newer->data + rev->xref, "xref", 4) == 0) {
		rc = table_entries(newer->data, newer->len, (size_t)rev->xref, &x, &nx, &capx);
		/* a hybrid-reference update lists more objects in its /XRefStm stream */
		if (rc == 0 && rev->xrefstm > 0)
			rc = stream_entries(newer, (size_t)rev->xrefstm, &self, &x, &nx, &capx);
	} else {
		rc = stream_entries(newer, (size_t)rev->xref, &self, &x, &nx, &capx);
	}
	if (rc < 0) {
		r = sp_err_reason(ei, SP_ERR_PDF, "revision_structure",
				  "the xref section at %lld cannot be read", rev->xref);
		goto out;
	}
	for (i = 0; i < nx; i++) {
		if (x[i].num <= 0 || x[i].num == self)
			continue;
		if (x[i].type == 0) {
			if (!qpdf_oh_is_null(older->q,
					     qpdf_get_object_by_id(older->q, x[i].num, 0)) ||
			    (x[i].gen > 0 &&
			     !qpdf_oh_is_null(older->q, qpdf_get_object_by_id(older->q, x[i].num,
									      x[i].gen - 1))))
				note(out, x[i].num, 0, 0, 0, "object %d deleted", x[i].num);
			continue;
		}
		classify(&c, x[i].num, x[i].gen);
	}
	/* what this update's objects refer to, for the next update's new objects */
	for (i = 0; i < nx; i++)
		if (x[i].num > 0 && x[i].type != 0 &&
		    (r = refs_walk(newer->q, qpdf_get_object_by_id(newer->q, x[i].num, x[i].gen), 0,
				   refs, NULL, ei)) < 0)
			goto out;
	if ((r = refs_walk(newer->q, qpdf_get_trailer(newer->q), 0, refs, NULL, ei)) < 0)
		goto out;
	if (qpdf_has_error(older->q) || qpdf_has_error(newer->q)) {
		r = sp_err_reason(ei, SP_ERR_PDF, "pdf_unreadable",
				  "objects of the revisions cannot be read");
		goto out;
	}
	r = SP_OK;
out:
	free(x);
	return r;
}

void
pdf_diff_cleanup(struct pdf_diff *d)
{
	if (!d)
		return;
	free(d->c);
	memset(d, 0, sizeof(*d));
}
