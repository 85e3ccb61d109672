/*
 * form_kept.c: the AcroForm read once per revision.
 *
 * Every prepare needs the form's facts (the field names a new field must
 * avoid, how many signature fields there are, and each signed field's
 * value and /Lock for the DocMDP check), and every completion's engine
 * lists the signed fields again. Walking /Fields for them at each request
 * made a contract's k-th signing cost O(k). Here the walk's findings are
 * kept per /Fields entry (struct form_kept), with every indirect object the
 * entry's walk consulted (its dependencies), so that they can be:
 *
 *   - packed with the revision's SHA-256 and length (pdf_doc_form_export)
 *     and loaded into a later open of exactly those bytes instead of a walk
 *     (pdf_doc_form_load_kept);
 *   - carried over an incremental update (pdf_doc_form_keep): an entry
 *     whose object and dependencies the update does not list reads as
 *     before; any other entry is walked again in the newer revision.
 *
 * Why carrying over is sound: a PDF reader resolves an object number through
 * the newest xref section that lists it, so an object no later section lists
 * resolves as before, unless what locates it changes: an object stream it
 * is in (a stream), a stream's or object stream's indirect /Length, /N or
 * /First (an integer object), or, for an object that did not resolve at
 * all, a new object (it, or an object stream holding it); and how an
 * object stream decodes, which its dictionary decides, with whatever it
 * refers to (an indirect /DecodeParms or /Filter: a dictionary or an array
 * too). So an update that lists an existing object other than a dictionary
 * or an array, an object older's cross-reference streams name as an object
 * stream, anything such a stream's dictionary reaches, or an object of a
 * generation other than 0, keeps nothing; and an entry whose walk read a
 * missing object is walked again at every update. The reference to a signature value is
 * part of its field; what the value is never counts (the listing reads it
 * when it must, from the document at hand). The /Fields array itself, the
 * AcroForm and the catalog are read again in the newer revision at every
 * update, so a rewritten array (entries added, removed, moved, replaced)
 * is followed entry by entry. A direct entry has no object of its own: it
 * is walked again every time. A hybrid or linearized section, a damaged
 * file, a shrinking /Size: nothing is kept.
 *
 * The facts answer exactly what the walks answer (form_read's names and
 * counts, the lazy listing's signed fields); a form they cannot reproduce
 * (a signature value that is a direct object, a walk over a cap) is not
 * kept, and the walk decides as before.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diff_int.h"
#include "form_kept_int.h"

void
form_kept_free(struct form_kept *k)
{
	if (k == NULL)
		return;
	free(k->e);
	free(k->text);
	free(k->s);
	free(k->deps);
	free(k->names);
	free(k);
}

static int
grow(void **v, size_t *cap, size_t need, size_t size)
{
	size_t nc = *cap ? *cap : 16;
	void *nv;

	if (need <= *cap)
		return 0;
	while (nc < need)
		nc *= 2;
	if (!(nv = realloc(*v, nc * size)))
		return -1;
	*v = nv;
	*cap = nc;
	return 0;
}

/* ---- the walks ---- */

/* Where a walk puts what it finds: doc's info and names (form_read), or k's entry. */
struct form_acc {
	qpdf_data q;
	struct pdf_doc *doc; /* form_read */
	struct form_kept *k; /* or an entry of k (the last one), with its dependencies */
	size_t budget;       /* form_read's steps left */
	int unkeepable;      /* the facts cannot reproduce the walk */
};

/* h's object when it is a reference: what the entry's walk read depends on it */
static int
dep(struct form_acc *a, qpdf_oh h)
{
	struct form_kept *k = a->k;

	if (k == NULL || !qpdf_oh_is_indirect(a->q, h))
		return 0;
	if (grow((void **)&k->deps, &k->dcap, k->ndeps + 1, sizeof(*k->deps)) < 0)
		return -1;
	k->deps[k->ndeps++] = qpdf_oh_get_object_id(a->q, h);
	k->e[k->ne - 1].ndeps++;
	return 0;
}

/* A fully qualified name into the walk's names; its first outsz - 1 bytes into out. */
static int
add_name(struct form_acc *a, const char *prefix, const char *t, char *out, size_t outsz)
{
	size_t n = strlen(prefix) + strlen(t) + 2;
	char *s, **v;

	if (a->k != NULL) {
		struct form_kept *k = a->k;
		if (k->nnames >= FORM_MAX_FIELDS)
			return SP_ERR_LIMIT;
		if (grow((void **)&k->text, &k->text_cap, k->text_len + n, 1) < 0)
			return SP_ERR_NOMEM;
		s = k->text + k->text_len;
		snprintf(s, n, "%s%s%s", prefix, *prefix ? "." : "", t);
		k->text_len += strlen(s) + 1;
		k->nnames++;
		k->e[k->ne - 1].nnames++;
	} else {
		struct pdf_doc *doc = a->doc;
		if (doc->nfieldnames >= FORM_MAX_FIELDS)
			return SP_ERR_LIMIT;
		v = realloc(doc->fieldnames, (doc->nfieldnames + 1) * sizeof(*v));
		if (!v)
			return SP_ERR_NOMEM;
		doc->fieldnames = v;
		if (!(s = malloc(n)))
			return SP_ERR_NOMEM;
		snprintf(s, n, "%s%s%s", prefix, *prefix ? "." : "", t);
		doc->fieldnames[doc->nfieldnames++] = s;
	}
	snprintf(out, outsz, "%s", s);
	return SP_OK;
}

/*
 * Whether a signature field has a value. An indirect /V counts without being
 * read: reading it parses the signature dictionary with its /Contents (the
 * largest object of every signature), and a form read at each open would make
 * every request cost O(k) in the file's earlier signatures. A reference to a
 * missing object therefore counts too; the verifier reads each value and
 * reports such a signature unreadable.
 */
static int
sig_value_present(struct form_acc *a, qpdf_oh f)
{
	qpdf_data q = a->q;
	/* not qpdf_oh_has_key: it resolves the value to tell null from absent */
	qpdf_oh v = qpdf_oh_get_key(q, f, "/V");

	/* what an indirect value is does not count (only the reference, in f): not a
	   dependency */
	return qpdf_oh_is_indirect(q, v) || !qpdf_oh_is_null(q, v);
}

static void
count(struct form_acc *a, int sigfield, int sigvalue, int top)
{
	if (a->k != NULL) {
		struct form_entry *e = &a->k->e[a->k->ne - 1];
		e->nsigfields += sigfield;
		e->nsigned += sigvalue;
		e->is_dict |= top;
	} else {
		a->doc->info.nsigfields += sigfield;
		a->doc->info.nsigned += sigvalue;
		a->doc->info.nfields += top;
	}
}

/* Walk one field and its kids: names, and whether signature fields are signed. */
static int
walk_field(struct form_acc *a, qpdf_oh f, const char *prefix, int is_sig, int top, int depth,
	   struct sp_errinfo *ei)
{
	qpdf_data q = a->q;
	char name[512];
	qpdf_oh kids, ft, t;
	int i, n, r, sv;

	/* The budget stops shared kids from multiplying the walk (2^depth). */
	if (depth > PDF_MAX_DEPTH || a->budget-- == 0)
		return sp_err(ei, SP_ERR_LIMIT, "AcroForm field tree too deep or too large");
	if (a->k != NULL) {
		a->k->e[a->k->ne - 1].rf_nodes++;
		if (dep(a, f) < 0)
			return sp_err(ei, SP_ERR_NOMEM, "out of memory");
	}
	if (!qpdf_oh_is_dictionary(q, f))
		return SP_OK;
	/* /FT is inheritable; qpdf's returned strings are short-lived, compare now. */
	ft = qpdf_oh_get_key(q, f, "/FT");
	if (dep(a, ft) < 0)
		return sp_err(ei, SP_ERR_NOMEM, "out of memory");
	if (qpdf_oh_is_name(q, ft))
		is_sig = qpdf_oh_is_name_and_equals(q, ft, "/Sig");
	snprintf(name, sizeof(name), "%s", prefix);
	/* the key's value is a dependency even when it reads as absent (a missing object) */
	if (a->k != NULL && dep(a, qpdf_oh_get_key(q, f, "/T")) < 0)
		return sp_err(ei, SP_ERR_NOMEM, "out of memory");
	if (qpdf_oh_has_key(q, f, "/T")) {
		t = qpdf_oh_get_key(q, f, "/T");
		const char *ts = qpdf_oh_get_utf8_value(q, t);
		if ((r = add_name(a, prefix, ts ? ts : "", name, sizeof(name))) < 0)
			return sp_err(ei, r, "too many AcroForm fields");
		if (is_sig) {
			sv = sig_value_present(a, f);
			count(a, 1, sv, 0);
		}
	}
	if (top)
		count(a, 0, 0, 1);
	kids = qpdf_oh_get_key(q, f, "/Kids");
	if (dep(a, kids) < 0)
		return sp_err(ei, SP_ERR_NOMEM, "out of memory");
	if (!qpdf_oh_is_array(q, kids))
		return SP_OK;
	n = qpdf_oh_get_array_n_items(q, kids);
	for (i = 0; i < n; i++) {
		r = walk_field(a, qpdf_oh_get_array_item(q, kids, i), name, is_sig, 0, depth + 1,
			       ei);
		if (r < 0)
			return r;
	}
	return SP_OK;
}

int
form_read(struct pdf_doc *doc, struct sp_errinfo *ei)
{
	qpdf_data q = doc->q;
	qpdf_oh root = qpdf_get_root(q), af, fields;
	struct form_acc a;
	int i, n, r;

	memset(&a, 0, sizeof(a));
	a.q = q;
	a.doc = doc;
	a.budget = FORM_WALK_BUDGET;
	doc->form_read = 1;
	doc->form_walked = 1;
	af = qpdf_oh_get_key(q, root, "/AcroForm");
	if (!qpdf_oh_is_dictionary(q, af))
		return SP_OK;
	doc->info.has_acroform = 1;
	fields = qpdf_oh_get_key(q, af, "/Fields");
	if (!qpdf_oh_is_array(q, fields))
		return SP_OK;
	n = qpdf_oh_get_array_n_items(q, fields);
	if (n > FORM_MAX_FIELDS)
		return sp_err(ei, SP_ERR_LIMIT, "AcroForm has %d fields (cap %d)", n,
			      FORM_MAX_FIELDS);
	for (i = 0; i < n; i++)
		if ((r = walk_field(&a, qpdf_oh_get_array_item(q, fields, i), "", 0, 1, 0, ei)) < 0)
			return r;
	return SP_OK;
}

/* The field's /Lock as pdf_sig_field_lock reads it, and what it depends on. */
static int
lock_deps(struct form_acc *a, qpdf_oh field)
{
	qpdf_data q = a->q;
	qpdf_oh lk = qpdf_oh_get_key_if_dict(q, field, "/Lock"), f;
	int i, n;

	if (dep(a, lk) < 0)
		return -1;
	if (!qpdf_oh_is_dictionary(q, lk))
		return 0;
	f = qpdf_oh_get_key_if_dict(q, lk, "/Fields");
	if (dep(a, qpdf_oh_get_key_if_dict(q, lk, "/Action")) < 0 || dep(a, f) < 0 ||
	    dep(a, qpdf_oh_get_key_if_dict(q, lk, "/P")) < 0)
		return -1;
	n = qpdf_oh_is_array(q, f) ? qpdf_oh_get_array_n_items(q, f) : 0;
	for (i = 0; i < n; i++)
		if (dep(a, qpdf_oh_get_array_item(q, f, i)) < 0)
			return -1;
	return 0;
}

/*
 * A field of one entry's listing walk (pdf_field_walk, as sig_fields.c's
 * list() walks with lazy values and none known): a signed signature field is
 * kept, its indirect value unread. A direct value (list() reads it at once)
 * or one field over list()'s cap makes the form unkeepable.
 */
static int
sig_visit(void *arg, const struct pdf_field_node *f, struct sp_errinfo *ei)
{
	struct form_acc *a = arg;
	struct form_kept *k = a->k;
	qpdf_data q = a->q;
	struct pdf_sig_field lk;
	struct form_sig *s;

	if (f->is_sig && qpdf_oh_is_indirect(q, f->v)) {
		if (k->ns >= SIG_FIELDS_MAX) {
			a->unkeepable = 1; /* list() refuses one more */
			return PDF_FIELD_STOP;
		}
		if (grow((void **)&k->s, &k->scap, k->ns + 1, sizeof(*k->s)) < 0 ||
		    lock_deps(a, f->oh) < 0)
			return sp_err(ei, SP_ERR_NOMEM, "out of memory");
		s = &k->s[k->ns++];
		k->e[k->ne - 1].nsig++;
		memset(s, 0, sizeof(*s));
		memcpy(s->name, f->name, sizeof(s->name));
		s->field_obj = qpdf_oh_get_object_id(q, f->oh);
		s->sig_obj = qpdf_oh_get_object_id(q, f->v);
		s->sig_gen = qpdf_oh_get_generation(q, f->v);
		s->kids = qpdf_oh_is_array(q, f->kids);
		memset(&lk, 0, sizeof(lk));
		pdf_sig_field_lock(q, f->oh, &lk);
		s->lock = lk.lock;
		s->lock_p = lk.lock_p;
		memcpy(s->lock_fields, lk.lock_fields, sizeof(s->lock_fields));
		return PDF_FIELD_SKIP;
	}
	if (f->is_sig && !qpdf_oh_is_null(q, f->v)) {
		a->unkeepable = 1; /* a direct value: list() reads it whole */
		return PDF_FIELD_STOP;
	}
	return PDF_FIELD_DESCEND;
}

/* The signed signature fields of one entry (root). 0, or -1 out of memory. */
static int
sigs_walk(struct form_acc *a, qpdf_oh root)
{
	struct form_entry *e = &a->k->e[a->k->ne - 1];
	struct sp_errinfo ei;
	size_t nodes = a->k->ls_nodes;
	int r;

	sp_errinfo_init(&ei);
	r = pdf_field_walk(a->q, root, 0, &nodes, sig_visit, a, &ei);
	e->ls_nodes = nodes - a->k->ls_nodes;
	if (r == SP_ERR_NOMEM)
		return -1;
	if (r < 0)
		a->unkeepable = 1; /* past list()'s caps: list() refuses, it decides */
	return 0;
}

static int
cmp_int(const void *x, const void *y)
{
	int a = *(const int *)x, b = *(const int *)y;

	return (a > b) - (a < b);
}

/*
 * 1 when one of deps[0..n) does not resolve (generation 0: another one does
 * not count as resolving): the walk read it as nothing, and an update that
 * defines an object stream it is in changes that without listing it.
 * Each was resolved by the walk already (qpdf keeps it): no parsing here.
 */
static int
null_deps(qpdf_data q, const int *deps, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (qpdf_oh_is_null(q, qpdf_get_object_by_id(q, deps[i], 0)))
			return 1;
	return 0;
}

/* 1 when one of deps[0..n) is in listed[0..nl) (ascending) */
static int
touched(const int *deps, size_t n, const int *listed, size_t nl)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (bsearch(&deps[i], listed, nl, sizeof(*listed), cmp_int) != NULL)
			return 1;
	return 0;
}

/* An entry of old (its names, signatures and dependencies) appended to k. */
static int
entry_copy(struct form_kept *k, const struct form_kept *old, size_t at, size_t text_off,
	   size_t sig0, size_t dep0)
{
	const struct form_entry *oe = &old->e[at];
	size_t tl = 0, i;

	for (i = 0; i < oe->nnames; i++)
		tl += strlen(old->text + text_off + tl) + 1;
	if (grow((void **)&k->e, &k->ecap, k->ne + 1, sizeof(*k->e)) < 0 ||
	    grow((void **)&k->text, &k->text_cap, k->text_len + tl, 1) < 0 ||
	    grow((void **)&k->s, &k->scap, k->ns + oe->nsig, sizeof(*k->s)) < 0 ||
	    grow((void **)&k->deps, &k->dcap, k->ndeps + oe->ndeps, sizeof(*k->deps)) < 0)
		return -1;
	k->e[k->ne++] = *oe;
	/* (an empty part may be a NULL array: no pointer arithmetic on it) */
	if (tl > 0)
		memcpy(k->text + k->text_len, old->text + text_off, tl);
	k->text_len += tl;
	k->nnames += oe->nnames;
	if (oe->nsig > 0)
		memcpy(k->s + k->ns, old->s + sig0, oe->nsig * sizeof(*k->s));
	k->ns += oe->nsig;
	if (oe->ndeps > 0)
		memcpy(k->deps + k->ndeps, old->deps + dep0, oe->ndeps * sizeof(*k->deps));
	k->ndeps += oe->ndeps;
	k->rf_nodes += oe->rf_nodes;
	k->ls_nodes += oe->ls_nodes;
	return 0;
}

/* Where each old entry's names, signatures and dependencies start. */
struct old_at {
	int obj, gen;
	size_t idx, text_off, sig0, dep0;
};

static int
cmp_old(const void *x, const void *y)
{
	const struct old_at *a = x, *b = y;

	if (a->obj != b->obj)
		return (a->obj > b->obj) - (a->obj < b->obj);
	if (a->gen != b->gen)
		return (a->gen > b->gen) - (a->gen < b->gen);
	return (a->idx > b->idx) - (a->idx < b->idx);
}

/*
 * doc's form facts: each /Fields entry walked, or (old, with listed[0..nl)
 * the objects the update from old's revision to doc lists, ascending)
 * carried over when neither its object nor a dependency is listed.
 * SP_OK with *out, 1 when the facts cannot reproduce the walks (the walks
 * decide then), or an error (out of memory).
 */
static int
kept_build(struct pdf_doc *doc, const struct form_kept *old, const int *listed, size_t nl,
	   struct form_kept **out)
{
	qpdf_data q = doc->q;
	qpdf_oh root = qpdf_get_root(q), af, fields, h;
	struct form_kept *k = NULL;
	struct old_at *idx = NULL, key, *hit;
	int *refs = NULL;
	struct form_acc a;
	struct sp_errinfo ign;
	size_t i, no = 0, t = 0, s0 = 0, d0 = 0;
	int n, r = 1;

	*out = NULL;
	if (!(k = calloc(1, sizeof(*k))))
		return SP_ERR_NOMEM;
	memset(&a, 0, sizeof(a));
	a.q = q;
	a.k = k;
	af = qpdf_oh_get_key(q, root, "/AcroForm");
	if (!qpdf_oh_is_dictionary(q, af))
		goto done;
	k->has_acroform = 1;
	fields = qpdf_oh_get_key(q, af, "/Fields");
	if (!qpdf_oh_is_array(q, fields))
		goto done;
	n = qpdf_oh_get_array_n_items(q, fields);
	if (n > FORM_MAX_FIELDS)
		goto out; /* form_read refuses */
	/* room for what the old facts hold and one more update's, at once: grown one
	   entry at a time, the k entries of a contract's k-th signing (each with its
	   names, signatures and dependencies) were moved by realloc as they doubled */
	if (grow((void **)&k->e, &k->ecap, (size_t)n, sizeof(*k->e)) < 0 ||
	    (old != NULL &&
	     (grow((void **)&k->text, &k->text_cap, old->text_len + 256, 1) < 0 ||
	      grow((void **)&k->s, &k->scap, old->ns + 4, sizeof(*k->s)) < 0 ||
	      grow((void **)&k->deps, &k->dcap, old->ndeps + 16, sizeof(*k->deps)) < 0))) {
		r = SP_ERR_NOMEM;
		goto out;
	}
	/* the old entries by object, each with where its facts start */
	if (old != NULL && old->ne > 0) {
		if (!(idx = calloc(old->ne, sizeof(*idx)))) {
			r = SP_ERR_NOMEM;
			goto out;
		}
		for (i = 0; i < old->ne; i++) {
			if (old->e[i].obj > 0) {
				idx[no].obj = old->e[i].obj;
				idx[no].gen = old->e[i].gen;
				idx[no].idx = i;
				idx[no].text_off = t;
				idx[no].sig0 = s0;
				idx[no++].dep0 = d0;
			}
			for (size_t j = 0; j < old->e[i].nnames; j++)
				t += strlen(old->text + t) + 1;
			s0 += old->e[i].nsig;
			d0 += old->e[i].ndeps;
		}
		qsort(idx, no, sizeof(*idx), cmp_old);
	}
	/* the entries' references read in bulk (pdf_array_refs: the numbers qpdf gives) when
	   every entry is one, so that an unchanged entry is found by them without a handle
	   and three C API calls each (k entries at a contract's k-th signing); the handle
	   is made for an entry walked below. Otherwise entry by entry, as before. */
	if (no > 0 && n > 0 &&
	    !(qpdf_oh_is_indirect(q, af)
		      ? pdf_doc_key_refs(doc, qpdf_oh_get_object_id(q, af),
					 qpdf_oh_get_generation(q, af), "/Fields", fields, n, &refs)
		      : pdf_array_refs(q, fields, n, &refs)))
		refs = NULL;
	for (i = 0; i < (size_t)n; i++) {
		h = refs != NULL ? 0 : qpdf_oh_get_array_item(q, fields, (int)i);
		hit = NULL;
		if (no > 0 && (refs != NULL || qpdf_oh_is_indirect(q, h))) {
			key.obj = refs != NULL ? refs[2 * i] : qpdf_oh_get_object_id(q, h);
			key.gen = refs != NULL ? refs[2 * i + 1] : qpdf_oh_get_generation(q, h);
			key.idx = 0;
			/* the first old entry of that object (idx 0 sorts first among equals) */
			size_t lo = 0, hi = no;
			while (lo < hi) {
				size_t mid = lo + (hi - lo) / 2;
				if (cmp_old(&idx[mid], &key) < 0)
					lo = mid + 1;
				else
					hi = mid;
			}
			if (lo < no && idx[lo].obj == key.obj && idx[lo].gen == key.gen)
				hit = &idx[lo];
		}
		/* unchanged: neither the entry's object nor anything its walk read is listed,
		   and it read nothing as missing (an update may make that resolve without
		   listing it: as an object stream that holds it, old or new) */
		if (hit != NULL && !old->e[hit->idx].null_dep &&
		    !touched(old->deps + hit->dep0, old->e[hit->idx].ndeps, listed, nl)) {
			if (entry_copy(k, old, hit->idx, hit->text_off, hit->sig0, hit->dep0) < 0) {
				r = SP_ERR_NOMEM;
				goto out;
			}
			continue;
		}
		/* new or changed: walked here, as form_read and list() walk it */
		if (refs != NULL)
			h = qpdf_oh_get_array_item(q, fields, (int)i);
		if (grow((void **)&k->e, &k->ecap, k->ne + 1, sizeof(*k->e)) < 0) {
			r = SP_ERR_NOMEM;
			goto out;
		}
		memset(&k->e[k->ne], 0, sizeof(k->e[0]));
		if (qpdf_oh_is_indirect(q, h)) {
			k->e[k->ne].obj = qpdf_oh_get_object_id(q, h);
			k->e[k->ne].gen = qpdf_oh_get_generation(q, h);
		}
		k->ne++;
		a.budget = k->rf_nodes < FORM_WALK_BUDGET ? FORM_WALK_BUDGET - k->rf_nodes : 0;
		sp_errinfo_init(&ign);
		if (walk_field(&a, h, "", 0, 1, 0, &ign) < 0 || sigs_walk(&a, h) < 0 ||
		    a.unkeepable) {
			r = ign.code == SP_ERR_NOMEM ? SP_ERR_NOMEM : 1;
			goto out;
		}
		k->rf_nodes += k->e[k->ne - 1].rf_nodes;
		k->ls_nodes += k->e[k->ne - 1].ls_nodes;
		k->e[k->ne - 1].null_dep = null_deps(q, k->deps + k->ndeps - k->e[k->ne - 1].ndeps,
						     k->e[k->ne - 1].ndeps);
	}
	/* the walks' caps over the whole form (form_read's, list()'s) */
	if (k->rf_nodes > FORM_WALK_BUDGET || k->nnames > FORM_MAX_FIELDS ||
	    k->ls_nodes > FIELD_NODES_MAX || k->ns > SIG_FIELDS_MAX)
		goto out;
done:
	if (qpdf_has_error(q))
		goto out;
	*out = k;
	k = NULL; /* transferred */
	r = SP_OK;
out:
	free(refs);
	free(idx);
	form_kept_free(k);
	return r;
}

/* ---- the listing from the facts ---- */

int
form_kept_list(struct pdf_doc *doc, const struct pdf_sig_field *kn, size_t nkn, const int *skip,
	       size_t nskip, struct pdf_sig_field **out, size_t *nout, struct sp_errinfo *ei)
{
	const struct form_kept *k = doc->kept;
	struct pdf_sig_field *arr = NULL, *s;
	qpdf_oh v;
	size_t i, j;
	int r;

	if (k->ns > 0 && !(arr = calloc(k->ns, sizeof(*arr))))
		return sp_err(ei, SP_ERR_NOMEM, "out of memory");
	for (i = 0; i < k->ns; i++) {
		const struct form_sig *f = &k->s[i];
		s = &arr[i];
		memcpy(s->name, f->name, sizeof(s->name));
		s->field_obj = f->field_obj;
		s->lock = f->lock;
		s->lock_p = f->lock_p;
		memcpy(s->lock_fields, f->lock_fields, sizeof(s->lock_fields));
		s->sig_obj = f->sig_obj;
		s->sig_gen = f->sig_gen;
		s->unread = 1;
		if (!f->kids)
			continue;
		/* a field with kids: its value is left unread when known to be a dictionary,
		   else read as list() reads it (it goes down the kids when it is nothing) */
		for (j = 0; j < nkn; j++)
			if (kn[j].self_contained && kn[j].sig_obj == f->sig_obj &&
			    kn[j].sig_gen == f->sig_gen)
				break;
		if (j < nkn)
			continue;
		/* one the caller drops: the walk goes no further there either */
		for (j = 0; j < nskip && skip[j] != f->sig_obj; j++)
			;
		if (j < nskip)
			continue;
		v = qpdf_get_object_by_id(doc->q, f->sig_obj, f->sig_gen);
		if (qpdf_oh_is_null(doc->q, v)) {
			pdf_sig_fields_free(arr, k->ns);
			return 1;
		}
		if ((r = pdf_sig_read_value(doc, v, s, ei)) < 0) {
			pdf_sig_fields_free(arr, k->ns);
			return r;
		}
	}
	if (qpdf_has_error(doc->q)) {
		pdf_sig_fields_free(arr, k->ns);
		return sp_err_reason(ei, SP_ERR_PDF, "pdf_unreadable",
				     "the form fields cannot be read");
	}
	*out = arr;
	*nout = k->ns;
	return SP_OK;
}

/* k as doc's form: its info's counts and field names, and its listing's facts. */
static int
install(struct pdf_doc *doc, struct form_kept *k)
{
	size_t i, at = 0;

	if (k->nnames > 0 && !(k->names = malloc(k->nnames * sizeof(*k->names))))
		return SP_ERR_NOMEM;
	for (i = 0; i < k->nnames; i++) {
		k->names[i] = k->text + at;
		at += strlen(k->text + at) + 1;
	}
	doc->info.has_acroform = k->has_acroform;
	doc->info.nfields = doc->info.nsigfields = doc->info.nsigned = 0;
	for (i = 0; i < k->ne; i++) {
		doc->info.nfields += k->e[i].is_dict;
		doc->info.nsigfields += k->e[i].nsigfields;
		doc->info.nsigned += k->e[i].nsigned;
	}
	doc->fieldnames = k->names;
	doc->nfieldnames = k->nnames;
	doc->fieldnames_kept = 1;
	doc->form_read = 1;
	doc->form_walked = 0;
	doc->kept = k;
	return SP_OK;
}

/* ---- the API ---- */

int
pdf_doc_form_load_kept(struct pdf_doc *doc, const uint8_t *kept, size_t len,
		       const uint8_t sha256[32], struct sp_errinfo *ei)
{
	struct form_kept *k = NULL;
	int r;

	if (doc->form_read || doc->kept != NULL)
		return sp_err(ei, SP_ERR_INVALID, "the form of this document is read already");
	if (form_kept_unpack(kept, len, sha256, doc->len, &k) < 0)
		return sp_err(ei, SP_ERR_INVALID, "the kept form facts are not these bytes'");
	if ((r = install(doc, k)) < 0) {
		form_kept_free(k);
		return sp_err(ei, r, "out of memory");
	}
	return SP_OK;
}

int
pdf_doc_form_walked(const struct pdf_doc *doc)
{
	return doc->form_walked;
}

int
pdf_doc_form_export(struct pdf_doc *doc, const uint8_t sha256[32], uint8_t **out, size_t *len,
		    struct sp_errinfo *ei)
{
	struct form_kept *k = NULL;
	int r;

	*out = NULL;
	*len = 0;
	if (doc->kept == NULL) {
		if (pdf_doc_damaged(doc))
			return sp_err(ei, SP_ERR_UNSUPPORTED,
				      "a damaged document's form is not kept");
		if ((r = kept_build(doc, NULL, NULL, 0, &k)) != SP_OK)
			return r == 1 ? sp_err(ei, SP_ERR_UNSUPPORTED,
					       "this form's facts cannot be kept")
				      : sp_err(ei, r, "out of memory");
		/* the build read objects the walk had not (a /Lock): damage met there too */
		if (pdf_doc_damaged(doc)) {
			form_kept_free(k);
			return sp_err(ei, SP_ERR_UNSUPPORTED,
				      "a damaged document's form is not kept");
		}
		/* the listing answers from them too from now on (what the walk answers) */
		doc->kept = k;
	}
	if ((r = form_kept_pack(doc->kept, sha256, doc->len, out, len)) < 0)
		return sp_err(ei, r, "out of memory");
	return SP_OK;
}

int
pdf_doc_form_keep(struct pdf_doc *older, struct pdf_doc *newer, const struct pdf_revision *revs,
		  size_t nrevs, struct sp_errinfo *ei)
{
	const struct pdf_revision *rev = nrevs >= 2 ? &revs[nrevs - 1] : NULL;
	struct form_kept *k = NULL;
	int *nums = NULL, *osr = NULL, r;
	size_t n = 0, nosr = 0, i;
	qpdf_oh o;

	if (older->kept == NULL || newer->kept != NULL || newer->form_read)
		return sp_err(ei, SP_ERR_INVALID, "no older facts, or the newer form is read");
	/* exactly one plain update after older's bytes */
	if (rev == NULL || revs[nrevs - 2].end != older->len || rev->end != newer->len ||
	    rev->trailing_garbage || rev->xrefstm != 0 || rev->linearized_main != 0 ||
	    older->len >= newer->len ||
	    (older->data != newer->data && memcmp(older->data, newer->data, older->len) != 0))
		return sp_err(ei, SP_ERR_UNSUPPORTED, "not one update after the older revision");
	if (pdf_doc_damaged(older) || pdf_doc_damaged(newer) || newer->info.size < older->info.size)
		return sp_err(ei, SP_ERR_UNSUPPORTED, "damaged, or the update shrinks the file");
	if ((r = pdf_revision_listed(newer, rev, &nums, &n, ei)) != SP_OK)
		return r;
	if ((r = diff_objstm_reads(older, revs, nrevs - 1, &osr, &nosr)) != SP_OK) {
		free(nums);
		return r == SP_ERR_UNSUPPORTED
			       ? sp_err(ei, r,
					"the older revision's object streams are not bounded")
			       : sp_err(ei, r, "out of memory");
	}
	/*
	 * What the update lists beyond the dependencies it may hit: an object
	 * older has must be a dictionary or an array (a stream may be an object
	 * stream, whose objects change without being listed; an integer may be
	 * a stream's /Length or an object stream's /N or /First). One older does
	 * not have is new (or was missing): it can only make a dependency that
	 * read as missing resolve, and entries that read one are walked again
	 * at every update (kept_build).
	 */
	for (i = 0; i < n; i++) {
		if (nums[i] <= 0)
			continue; /* the free list's head */
		/* the DSS, a dictionary as a read of older's bytes told it (pdf_doc_dss_tell):
		   not parsed for that (some 3k references at a B-LT contract's k-th DSS) */
		if (nums[i] == older->dss_obj && older->dss_gen == 0)
			continue;
		/* a dictionary as older's bytes plainly give it (pdf_doc_dict_bytes): not
		   parsed for that (the page a signature's widgets are spliced into, 2k
		   references at a contract's k-th signing) */
		if (pdf_doc_dict_bytes(older, nums[i], 0, NULL))
			continue;
		o = qpdf_get_object_by_id(older->q, nums[i], 0);
		if (!qpdf_oh_is_null(older->q, o) && !qpdf_oh_is_dictionary(older->q, o) &&
		    !qpdf_oh_is_array(older->q, o))
			break;
	}
	/* nor what decides how older's object streams decode */
	if (touched(osr, nosr, nums, n)) {
		free(osr);
		free(nums);
		return sp_err(ei, SP_ERR_UNSUPPORTED,
			      "the update redefines what an object stream's dictionary reaches");
	}
	free(osr);
	if (i < n) {
		int num = nums[i];

		free(nums);
		return sp_err(ei, SP_ERR_UNSUPPORTED, "the update redefines object %d", num);
	}
	/* an entry of another generation than 0: looked up above by generation 0 */
	if ((r = diff_update_gens_zero(newer, rev)) != SP_OK) {
		free(nums);
		return sp_err(ei, r, "the update lists an object of a generation other than 0");
	}
	r = kept_build(newer, older->kept, nums, n, &k);
	free(nums);
	if (r != SP_OK)
		return r == 1 ? sp_err(ei, SP_ERR_UNSUPPORTED, "this form's facts cannot be kept")
			      : sp_err(ei, r, "out of memory");
	if (pdf_doc_damaged(older) || pdf_doc_damaged(newer)) {
		form_kept_free(k);
		return sp_err(ei, SP_ERR_UNSUPPORTED, "damaged on the way");
	}
	newer->kept = k;
	return SP_OK;
}
