/*
 * diff_refs.c: the object numbers a revision refers to (struct pdf_refs),
 * which the difference analysis asks of an update's new objects: a new
 * object that fills a reference the signed revision already made changes
 * what that revision reads as. Built once from the first revision (every
 * reachable object), then grown by each update's own objects, and handed
 * from one verification to the next (export, import).
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "diff_int.h"

#define WALK_MAX 200000

/* diff_refs_walk's stack: a handle, and for a direct value of the start object (an
   indirect dictionary) the index of its key there (-1: none), for pdf_doc_key_refs; the
   number of the indirect object the handle is part of (0: the trailer), for WALK_FILLS */
struct walk_item {
	qpdf_oh h;
	int kix;
	int from;
};

/* What a following walk leaves out (refs_whole): nothing; a page's /Annots and the
   catalog's /StructTreeRoot (WALK_USES, diff_uses_walk); a reference made by the trailer or by an object the update lists
   (WALK_FILLS, diff_fills_walk: only the references the older revision made remain) */
enum walk_mode { WALK_ALL, WALK_USES, WALK_FILLS };

/* start's keys that diff_refs_walk can name to pdf_doc_key_refs (longer ones, or more: not) */
#define WALK_KEYS 32
#define WALK_KEY_LEN 24

/* room for two more items on the stack */
static int
walk_room(struct walk_item **st, size_t sp, size_t *cap)
{
	void *nv;

	if (sp + 2 < *cap)
		return 0;
	if (!(nv = realloc(*st, 2 * *cap * sizeof(**st))))
		return -1;
	*st = nv;
	*cap *= 2;
	return 0;
}

/*
 * The references of start's /VRI value v, taken from dss (the DSS object
 * start is, as read: dss->vri_obj) instead of listing v's keys through
 * qpdf, which resolves every value of a dictionary to leave null ones out:
 * at a B-LT contract's k-th completion, k objects parsed for their numbers
 * alone. Only for a direct dictionary v whose every value the read found a
 * reference (dss->vri_refs); the steps counted as the walk would count them.
 * 1 when marked, 0 when v is to be walked, -1 past WALK_MAX, -2 out of memory.
 */
static int
vri_known(qpdf_data q, qpdf_oh v, const struct pdf_dss *dss, int counted, struct pdf_refs *r,
	  size_t *steps)
{
	size_t i;

	if (!dss->vri_refs || (dss->nvri > 0 && (!dss->vri_obj || !dss->vri_gen)) ||
	    qpdf_oh_is_indirect(q, v) || qpdf_oh_get_type_code(q, v) != ot_dictionary)
		return 0;
	for (i = 0; i < dss->nvri; i++)
		if (dss->vri_obj[i] <= 0)
			return 0; /* a direct value: walked */
	if ((*steps += 1 + dss->nvri) > WALK_MAX)
		return -1;
	for (i = 0; i < dss->nvri; i++)
		if (dss->vri_obj[i] <= PDF_DOC_MAX_OBJECTS &&
		    refs_mark(r, dss->vri_obj[i], counted) < 0)
			return -2;
	return 1;
}

/*
 * Mark the object numbers h refers to. follow: walk through the references
 * into what they point to (the whole reachable document, each object once);
 * otherwise only h's own (direct) contents. doc (not following): the
 * document q is, and start its object num (generation gen; 0: not an
 * object), so that an array of references that is start or one of its
 * values is read as pdf_doc_key_refs keeps it (the form's carry-over and
 * the growth test read the same /Fields and /Annots); NULL: as before.
 * dss (not following; NULL: none): start is that DSS object, as read, whose
 * /VRI value's references are taken from the read (vri_known).
 * refs_walk is that walk; mode (following only) what it leaves out, of the
 * diff c: its older revision is q for WALK_USES, its newer for WALK_FILLS.
 * Neither a page's /Annots nor the structure tree draws what it names: the
 * structure tree of a tagged PDF (ISO 32000-2 §14.7, Acrobat's and
 * LibreOffice's) names each annotation once more, through an object
 * reference (/OBJR), which is no other use of it; and its own objects are
 * used otherwise only when something else reaches them (diff_tags_added).
 */
static int
refs_walk(qpdf_data q, qpdf_oh start, int follow, struct pdf_doc *doc, int num, int gen,
	  const struct pdf_dss *dss, int counted, struct pdf_refs *r, struct pdf_refs *seen,
	  struct diff_ctx *c, enum walk_mode mode, struct sp_errinfo *ei)
{
	struct walk_item *st = NULL;
	char keys[WALK_KEYS][WALK_KEY_LEN];
	size_t sp = 0, cap = 256, steps = 0, nkeys = 0, klen;
	int rc = SP_ERR_INTERNAL, i, nitems, id, *refs = NULL, kix, got, known, holder, from;
	qpdf_oh done = 0;
	enum qpdf_object_type_e t;
	const char *k;

	if (follow || num <= 0) {
		doc = NULL;
		dss = NULL;
	}
	if (!(st = malloc(cap * sizeof(*st))))
		return sp_err(ei, SP_ERR_NOMEM, "out of memory");
	if (!follow)
		mode = WALK_ALL;
	st[sp].h = start;
	st[sp].from = 0;
	st[sp++].kix = -1;
	while (sp > 0) {
		qpdf_oh h = st[--sp].h;
		/* the item walked before, released: qpdf's C API keeps every handle it gives
		   until then (a whole-document walk's took megabytes) */
		if (done)
			qpdf_oh_release(q, done);
		done = h != start ? h : 0;
		kix = st[sp].kix;
		from = st[sp].from;
		if (++steps > WALK_MAX) {
			rc = sp_err_reason(ei, SP_ERR_LIMIT, "pdf_limit",
					   "more than %d objects to compare", WALK_MAX);
			goto out;
		}
		if (qpdf_oh_is_indirect(q, h) && steps > 1) {
			id = qpdf_oh_get_object_id(q, h);
			if (id <= 0 || id > PDF_DOC_MAX_OBJECTS)
				continue;
			if ((mode != WALK_FILLS || (from > 0 && !pdf_diff_lists(c->d, from))) &&
			    refs_mark(r, id, counted) < 0) {
				rc = sp_err(ei, SP_ERR_NOMEM, "out of memory");
				goto out;
			}
			from = id;
			/* seen: a set of its own, as r */
			if (!follow || !seen || ((size_t)id < seen->n && REF_HAS(seen, id)))
				continue;
			if (refs_mark(seen, id, 0) < 0) {
				rc = sp_err(ei, SP_ERR_NOMEM, "out of memory");
				goto out;
			}
		}
		if (walk_room(&st, sp, &cap) < 0) {
			rc = sp_err(ei, SP_ERR_NOMEM, "out of memory");
			goto out;
		}
		/* one call for the type (each call of qpdf's C API costs a handle lookup) */
		t = qpdf_oh_get_type_code(q, h);
		if (t == ot_array) {
			nitems = qpdf_oh_get_array_n_items(q, h);
			/*
			 * Only references (/Fields, a page's /Annots: k items at a
			 * contract's k-th signing) and none to follow: their numbers
			 * read in bulk (pdf_array_refs), each marked as its pop below
			 * would mark it (an indirect item: its number when in range,
			 * nothing walked into) and counted as a step, not a handle and
			 * three calls of qpdf's C API each. start itself, or one of its
			 * values: as the document keeps it read (pdf_doc_key_refs).
			 */
			got = 0;
			if (!follow && nitems >= 2)
				got = doc != NULL && (steps == 1 || kix >= 0)
					      ? pdf_doc_key_refs(doc, num, gen,
								 steps == 1 ? "" : keys[kix], h,
								 nitems, &refs)
					      : pdf_array_refs(q, h, nitems, &refs);
			if (got) {
				for (i = 0; i < nitems; i++) {
					id = refs[2 * i];
					if (id > 0 && id <= PDF_DOC_MAX_OBJECTS &&
					    refs_mark(r, id, counted) < 0)
						break;
				}
				free(refs);
				refs = NULL;
				if (i < nitems) {
					rc = sp_err(ei, SP_ERR_NOMEM, "out of memory");
					goto out;
				}
				if ((steps += (size_t)nitems) > WALK_MAX) {
					rc = sp_err_reason(ei, SP_ERR_LIMIT, "pdf_limit",
							   "more than %d objects to compare",
							   WALK_MAX);
					goto out;
				}
				continue;
			}
			for (i = 0; i < nitems; i++) {
				if (walk_room(&st, sp, &cap) < 0) {
					rc = sp_err(ei, SP_ERR_NOMEM, "out of memory");
					goto out;
				}
				st[sp].h = qpdf_oh_get_array_item(q, h, i);
				st[sp].from = from;
				st[sp++].kix = -1;
			}
		} else if (t == ot_dictionary || t == ot_stream) {
			qpdf_oh dict = t == ot_stream ? qpdf_oh_get_dict(q, h) : h;
			/* a page's own object (WALK_USES): its /Annots is not entered; the
			   catalog's /StructTreeRoot neither */
			holder =
				mode == WALK_USES && t == ot_dictionary && qpdf_oh_is_indirect(q, h)
					? qpdf_oh_get_object_id(q, h)
					: 0;
			qpdf_oh_begin_dict_key_iter(q, dict);
			while (qpdf_oh_dict_more_keys(q)) {
				if (walk_room(&st, sp, &cap) < 0) {
					rc = sp_err(ei, SP_ERR_NOMEM, "out of memory");
					goto out;
				}
				k = qpdf_oh_dict_next_key(q);
				/* the DSS's /VRI: its values' numbers as the DSS was read */
				if (dss != NULL && steps == 1 && t == ot_dictionary &&
				    strcmp(k, "/VRI") == 0) {
					qpdf_oh v = qpdf_oh_get_key_if_dict(q, dict, k);
					known = vri_known(q, v, dss, counted, r, &steps);
					qpdf_oh_release(q, v); /* kept by qpdf until released */
					if (known > 0)
						continue;
					if (known == -2) {
						rc = sp_err(ei, SP_ERR_NOMEM, "out of memory");
						goto out;
					}
					if (known < 0) {
						rc = sp_err_reason(ei, SP_ERR_LIMIT, "pdf_limit",
								   "more than %d objects to "
								   "compare",
								   WALK_MAX);
						goto out;
					}
				}
				if (holder > 0 && strcmp(k, "/Annots") == 0 &&
				    diff_is_page(c, holder) > 0)
					continue;
				if (holder > 0 && holder == c->root &&
				    strcmp(k, "/StructTreeRoot") == 0)
					continue;
				st[sp].kix = -1;
				st[sp].from = from;
				/* a value of start, a dictionary: named by its key */
				if (doc != NULL && steps == 1 && t == ot_dictionary &&
				    nkeys < WALK_KEYS && (klen = strlen(k)) < WALK_KEY_LEN) {
					memcpy(keys[nkeys], k, klen + 1);
					st[sp].kix = (int)nkeys++;
				}
				st[sp++].h = qpdf_oh_get_key_if_dict(q, dict, k);
			}
			if (dict != h)
				qpdf_oh_release(q, dict);
		}
	}
	rc = SP_OK;
out:
	if (c != NULL)
		c->d->walked += steps;
	if (done)
		qpdf_oh_release(q, done);
	free(st);
	return rc;
}

/* what refs_bytes() tells each reference to */
struct bytes_mark {
	qpdf_data q;
	struct pdf_refs *r;
	int counted;
	int nomem; /* a mark found no room */
};

static void
bytes_mark(void *arg, int num, int gen, int in_dict)
{
	struct bytes_mark *m = arg;

	/* in range, as the walk marks an indirect item it pops; a dictionary's value only
	   when what it names is no null, as qpdf lists the keys the walk goes through */
	if (num <= 0 || num > PDF_DOC_MAX_OBJECTS ||
	    (in_dict && qpdf_oh_is_null(m->q, qpdf_get_object_by_id(m->q, num, gen))))
		return;
	/* (the set grows to num: its room is not the bound, PDF_DOC_MAX_OBJECTS is) */
	if (refs_mark(m->r, num, m->counted) < 0)
		m->nomem = 1;
}

int
diff_refs_bytes(struct pdf_doc *doc, int num, int gen, int counted, struct pdf_refs *r)
{
	struct bytes_mark m = { doc->q, r, counted, 0 };
	struct pdf_obj_dict *dict;
	int ok;

	if (!(dict = malloc(sizeof(*dict))))
		return 0;
	/* read whole first (pdf_doc_dict_bytes), then marked: a second mark of a number is a
	   second use; and a walk's steps are at most its object's bytes: only one that
	   cannot reach WALK_MAX */
	ok = pdf_doc_dict_bytes(doc, num, gen, dict) && dict->close - dict->open < WALK_MAX / 2 &&
	     pdf_obj_dict_refs(doc->data, dict, bytes_mark, &m);
	free(dict);
	return m.nomem ? -1 : ok;
}

int
diff_refs_walk(qpdf_data q, qpdf_oh start, int follow, struct pdf_doc *doc, int num, int gen,
	       const struct pdf_dss *dss, int counted, struct pdf_refs *r, struct pdf_refs *seen,
	       struct sp_errinfo *ei)
{
	return refs_walk(q, start, follow, doc, num, gen, dss, counted, r, seen, NULL, WALK_ALL,
			 ei);
}

int
diff_refs_dss(const struct pdf_dss *dss, int counted, struct pdf_refs *r, struct sp_errinfo *ei)
{
	size_t k, i, steps = 2; /* the dictionary, its /Type's name */

	if (!dss->keys_known || !dss->closed || !dss->vri_refs ||
	    (dss->nvri > 0 && (!dss->vri_obj || !dss->vri_gen)))
		return 0;
	for (i = 0; i < dss->nvri; i++)
		if (dss->vri_obj[i] <= 0)
			return 0; /* a direct value: walked */
	/* the steps the walk counts: each array and its items, /VRI and its values */
	for (k = 0; k < 3; k++)
		steps += dss->n[k] > 0 ? 1 + dss->n[k] : 0;
	if (steps + 1 + dss->nvri > WALK_MAX)
		return sp_err_reason(ei, SP_ERR_LIMIT, "pdf_limit",
				     "more than %d objects to compare", WALK_MAX);
	for (k = 0; k < 3; k++)
		for (i = 0; i < dss->n[k]; i++)
			if (dss->obj[k][i] > 0 && dss->obj[k][i] <= PDF_DOC_MAX_OBJECTS &&
			    refs_mark(r, dss->obj[k][i], counted) < 0)
				return sp_err(ei, SP_ERR_NOMEM, "out of memory");
	for (i = 0; i < dss->nvri; i++)
		if (dss->vri_obj[i] <= PDF_DOC_MAX_OBJECTS &&
		    refs_mark(r, dss->vri_obj[i], counted) < 0)
			return sp_err(ei, SP_ERR_NOMEM, "out of memory");
	return 1;
}

int
diff_refs_room(struct pdf_refs *r, int id)
{
	size_t n = r->n > 0 ? r->n : 1024, was = r->n / 8;
	unsigned char *b, *m;

	if (id < 0 || id > PDF_DOC_MAX_OBJECTS)
		return -1; /* a broken invariant: callers mark numbers in range only */
	while (n <= (size_t)id)
		n *= 2;
	if (n > PDF_DOC_MAX_OBJECTS + 1)
		n = (PDF_DOC_MAX_OBJECTS + 8) & ~(size_t)7;
	if (n == r->n)
		return 0;
	if (!(b = realloc(r->bits, n / 8)))
		return -1;
	r->bits = b;
	if (!(m = realloc(r->multi, n / 8)))
		return -1; /* bits grown, n not: both still hold numbers below n */
	r->multi = m;
	memset(b + was, 0, n / 8 - was);
	memset(m + was, 0, n / 8 - was);
	r->n = n;
	return 0;
}

/* An empty set with room for numbers below hint (more as they are marked). */
static int
refs_alloc(struct pdf_refs *r, long long hint, struct sp_errinfo *ei)
{
	memset(r, 0, sizeof(*r));
	if (hint > PDF_DOC_MAX_OBJECTS)
		hint = PDF_DOC_MAX_OBJECTS;
	if (diff_refs_room(r, hint > 0 ? (int)hint : 0) < 0) {
		pdf_refs_cleanup(r);
		return sp_err(ei, SP_ERR_NOMEM, "out of memory");
	}
	return SP_OK;
}

/* Every reference the revision doc makes, but what mode leaves out of the diff c (refs_walk). */
static int
refs_whole(struct pdf_doc *doc, struct pdf_refs *r, struct diff_ctx *c, enum walk_mode mode,
	   struct sp_errinfo *ei)
{
	struct pdf_refs seen;
	int rc;

	/* sized by the file's /Size: a reference past it (to an object the file lacks,
	   which a later update may fill) grows the set */
	if ((rc = refs_alloc(r, doc->info.size, ei)) != SP_OK)
		return rc;
	if ((rc = refs_alloc(&seen, doc->info.size, ei)) != SP_OK) {
		pdf_refs_cleanup(r);
		return rc;
	}
	/* the trailer itself is not an indirect object: start from it, step 1; every
	   object walked into once, so a number marked twice is named twice */
	rc = refs_walk(doc->q, qpdf_get_trailer(doc->q), 1, NULL, 0, 0, NULL, 1, r, &seen, c, mode,
		       ei);
	pdf_refs_cleanup(&seen);
	if (rc == SP_OK && qpdf_has_error(doc->q))
		rc = sp_err_reason(ei, SP_ERR_PDF, "pdf_unreadable",
				   "objects of the first revision cannot be read");
	return rc;
}

int
pdf_refs_init(struct pdf_doc *first, struct pdf_refs *r, struct sp_errinfo *ei)
{
	int rc = refs_whole(first, r, NULL, WALK_ALL, ei);

	/* whether first hides a reference, told from its bytes (no walk of each later
	   update's newer revision when it hides none: orphans_named) */
	if (rc == SP_OK)
		r->no_hidden = !diff_doc_names_missing(first, r);
	return rc;
}

int
diff_uses_walk(struct diff_ctx *c, struct pdf_refs *r, struct sp_errinfo *ei)
{
	return refs_whole(c->o, r, c, WALK_USES, ei);
}

int
diff_fills_walk(struct diff_ctx *c, struct pdf_refs *r, struct sp_errinfo *ei)
{
	return refs_whole(c->n, r, c, WALK_FILLS, ei);
}

int
pdf_refs_export(const struct pdf_refs *r, int **nums, size_t *n, struct sp_errinfo *ei)
{
	size_t i, k = 0, cnt = 0, cap = 0;
	int *v = NULL;

	*nums = NULL;
	*n = 0;
	/* only up to the highest number set: the bit set is sized for the largest file */
	for (i = 0; i < (r->hi + 7) / 8; i++)
		if (r->bits[i])
			cnt += (size_t)__builtin_popcount(r->bits[i]);
	if (!(v = malloc((cnt + 1) * sizeof(*v))))
		return sp_err(ei, SP_ERR_NOMEM, "out of memory");
	cap = cnt;
	for (i = 0; i < (r->hi + 7) / 8 && k < cap; i++) {
		unsigned b = r->bits[i], j;
		for (j = 0; b && j < 8; j++, b >>= 1)
			if ((b & 1) && i * 8 + j < r->n)
				v[k++] = (r->multi[i] >> j) & 1 ? -(int)(i * 8 + j)
								: (int)(i * 8 + j);
	}
	if (r->no_hidden)
		v[k++] = 0;
	*nums = v;
	*n = k;
	return SP_OK;
}

int
pdf_refs_import(const int *nums, size_t n, struct pdf_refs *r, struct sp_errinfo *ei)
{
	size_t i;
	int rc, last = n > 0 ? nums[n - 1 - (n > 1 && nums[n - 1] == 0)] : 0;

	/* room for the last number (export gives them ascending) */
	if ((rc = refs_alloc(r, last < 0 && last != INT_MIN ? -last : last, ei)) != SP_OK)
		return rc;
	if (n > 0 && nums[n - 1] == 0) {
		r->no_hidden = 1;
		n--;
	}
	for (i = 0; i < n; i++) {
		int id = nums[i] < 0 && nums[i] != INT_MIN ? -nums[i] : nums[i];
		if (id <= 0 || id > PDF_DOC_MAX_OBJECTS) {
			pdf_refs_cleanup(r);
			return sp_err(ei, SP_ERR_INVALID, "object number %d out of range", nums[i]);
		}
		if ((size_t)id >= r->n && diff_refs_room(r, id) < 0) {
			pdf_refs_cleanup(r);
			return sp_err(ei, SP_ERR_NOMEM, "out of memory");
		}
		REF_SET(r, id);
		if (nums[i] < 0)
			r->multi[(size_t)id >> 3] |= (unsigned char)(1u << (id & 7));
	}
	return SP_OK;
}

void
pdf_refs_cleanup(struct pdf_refs *r)
{
	if (!r)
		return;
	free(r->bits);
	free(r->multi);
	memset(r, 0, sizeof(*r));
}
