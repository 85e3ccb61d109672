/*
 * diff_pages.c: what the difference analysis asks of the older revision's
 * pages, read once per diff (pages_indexed): which object is a page, a
 * page's /Annots array, an annotation on a page; and whether an annotation
 * is also used otherwise (diff_annot_shared).
 */
#include <stdlib.h>

#include "diff_int.h"

/*
 * 1 when the older revision uses annotation id other than as an item of a
 * page's /Annots: the page also draws with it, or the form or the catalog
 * holds it (diff_uses_walk). Not from c->refs, which counts again what an
 * update's objects name again (a page whose /Annots a signature's widget
 * grew lists its comments once more). The walk is made once per diff, for an
 * annotation changed (DocMDP P=3), and one that cannot be made counts as
 * shared.
 */
int
diff_annot_shared(struct diff_ctx *c, int id)
{
	struct sp_errinfo ei;

	if (!c->annot_refs) {
		sp_errinfo_init(&ei);
		if (!(c->annot_refs = calloc(1, sizeof(*c->annot_refs))))
			return 1;
		if (diff_uses_walk(c, c->annot_refs, &ei) != SP_OK)
			pdf_refs_cleanup(c->annot_refs); /* bits NULL: every annotation shared */
	}
	/* a number past the set's room is in it only when past any a walk marks */
	return c->annot_refs->bits == NULL || id <= 0 || id > PDF_DOC_MAX_OBJECTS ||
	       ((size_t)id < c->annot_refs->n && REF_HAS(c->annot_refs, id));
}

static int
cmp_id_page(const void *a, const void *b)
{
	const struct diff_id_page *x = a, *y = b;

	return (x->id > y->id) - (x->id < y->id);
}

/* The page (from 1) keyed id in the sorted ix[0..n), 0 if none. */
static int
id_page(const struct diff_id_page *ix, size_t n, int id)
{
	struct diff_id_page key = { id, 0 }, *f;

	f = n > 0 ? bsearch(&key, ix, n, sizeof(*ix), cmp_id_page) : NULL;
	return f != NULL ? f->page : 0;
}

/* what pages_indexed() reads: the pages' numbers, their /Annots arrays', the annotations */
enum pages_ix { IX_PAGES, IX_ANNOTS, IX_ITEMS };

/*
 * The older revision's pages read once per diff, each part when first
 * asked (what): the pages' numbers, their /Annots arrays' (each table
 * sorted by object number), the annotations those list (ANNOTS_EDIT_MAX an
 * array), a bit per object number. Only the numbers parse no page: read
 * with them, the arrays had a completion parse every page of the signed
 * revision (some 70 K instructions a page). Every object an update
 * redefines asks them: asking each
 * page again was objects x pages (x annotations) qpdf calls on a hostile
 * file. An array many pages share is read once, and the bits take the same
 * room however many pages list how many annotations: an entry per page and
 * item took 77 MB for 10,000 pages sharing one array of 512 (review46);
 * the sets are sized by the numbers met (diff_refs_room), not two of
 * PDF_DOC_MAX_OBJECTS bits zeroed for each diff that asks. 0 out of memory.
 */
static int
pages_indexed(struct diff_ctx *c, enum pages_ix what)
{
	qpdf_data q = c->o->q;
	qpdf_oh a;
	int i, j, n, id, *refs = NULL;
	size_t np = c->o->npages > 0 ? (size_t)c->o->npages : 0;
	struct pdf_refs arrays;

	/* the pages' numbers, which parse no page (a completion parses none else) */
	if (!c->pages_read) {
		c->pages_read = 1;
		if (np > 0 && !(c->page_ix = malloc(np * sizeof(*c->page_ix))))
			return 0;
		for (i = 0; i < (int)np; i++)
			c->page_ix[c->npage_ix++] =
				(struct diff_id_page){ qpdf_oh_get_object_id(q, c->o->pages[i]),
						       i + 1 };
		qsort(c->page_ix, c->npage_ix, sizeof(*c->page_ix), cmp_id_page);
	}
	if (c->npage_ix != np)
		return 0;
	if (what == IX_PAGES)
		return 1;
	/* their /Annots arrays' numbers: every page parsed */
	if (what == IX_ANNOTS) {
		if (!c->annots_read) {
			c->annots_read = 2; /* until whole and sorted: not to be searched */
			if (np > 0 && !(c->annots_ix = malloc(np * sizeof(*c->annots_ix))))
				return 0;
			for (i = 0; i < (int)np; i++)
				if ((id = diff_ref_id(q, c->o->pages[i], "/Annots")) > 0)
					c->annots_ix[c->nannots_ix++] =
						(struct diff_id_page){ id, i + 1 };
			qsort(c->annots_ix, c->nannots_ix, sizeof(*c->annots_ix), cmp_id_page);
			c->annots_read = 1;
		}
		return c->annots_read == 1;
	}
	if (c->items_read)
		return c->items_read == 1;
	c->items_read = 2; /* until whole: not to be asked */
	memset(&arrays, 0, sizeof(arrays));
	for (i = 0; i < (int)np; i++) {
		/* an indirect array once (the numbers are PDF_DOC_MAX_OBJECTS at most) */
		if ((id = diff_ref_id(q, c->o->pages[i], "/Annots")) > 0 &&
		    id <= PDF_DOC_MAX_OBJECTS) {
			if ((size_t)id < arrays.n && REF_HAS(&arrays, id))
				continue;
			if (refs_mark(&arrays, id, 0) < 0)
				goto out;
		}
		a = qpdf_oh_get_key_if_dict(q, c->o->pages[i], "/Annots");
		if (!qpdf_oh_is_array(q, a) || (n = qpdf_oh_get_array_n_items(q, a)) <= 0)
			continue;
		n = n > ANNOTS_EDIT_MAX ? ANNOTS_EDIT_MAX : n;
		if (pdf_array_refs(q, a, n, &refs)) {
			for (j = 0; j < n; j++)
				if (refs[2 * j] > 0 && refs[2 * j] <= PDF_DOC_MAX_OBJECTS &&
				    refs_mark(&c->on_page, refs[2 * j], 0) < 0)
					break;
			free(refs);
			refs = NULL;
			if (j < n)
				goto out;
			continue;
		}
		for (j = 0; j < n; j++)
			if ((id = qpdf_oh_get_object_id(q, qpdf_oh_get_array_item(q, a, j))) > 0 &&
			    id <= PDF_DOC_MAX_OBJECTS && refs_mark(&c->on_page, id, 0) < 0)
				goto out;
	}
	c->items_read = 1;
out:
	pdf_refs_cleanup(&arrays);
	return c->items_read == 1;
}

/* The page whose /Annots array is object id, 0 if none. */
int
diff_is_annots(struct diff_ctx *c, int id)
{
	int i;

	if (pages_indexed(c, IX_ANNOTS))
		return id_page(c->annots_ix, c->nannots_ix, id);
	for (i = 0; i < c->o->npages; i++)
		if (diff_ref_id(c->o->q, c->o->pages[i], "/Annots") == id)
			return i + 1;
	return 0;
}

int
diff_is_page(struct diff_ctx *c, int id)
{
	int i;

	if (pages_indexed(c, IX_PAGES))
		return id_page(c->page_ix, c->npage_ix, id);
	for (i = 0; i < c->o->npages; i++)
		if (qpdf_oh_get_object_id(c->o->q, c->o->pages[i]) == id)
			return i + 1;
	return 0;
}

/* Whether object id is in some page's /Annots in the older revision. */
int
diff_on_a_page(struct diff_ctx *c, int id)
{
	qpdf_data q = c->o->q;
	qpdf_oh a;
	int i, j, n;

	if (pages_indexed(c, IX_ITEMS))
		return id > 0 && (size_t)id < c->on_page.n && REF_HAS(&c->on_page, id);
	for (i = 0; i < c->o->npages; i++) {
		a = qpdf_oh_get_key_if_dict(q, c->o->pages[i], "/Annots");
		n = qpdf_oh_is_array(q, a) ? qpdf_oh_get_array_n_items(q, a) : 0;
		for (j = 0; j < n && j < ANNOTS_EDIT_MAX; j++)
			if (qpdf_oh_get_object_id(q, qpdf_oh_get_array_item(q, a, j)) == id)
				return 1;
	}
	return 0;
}
