/*
 * doc_pages.c: a document's pages once it is open: each page's geometry,
 * read when the page is first used (inherited boxes, /Rotate, /UserUnit),
 * the page list handed to a later open of the same bytes, and whether an
 * update keeps the page tree as it was (so that list still holds).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pdf_int.h"

/* v[0..4) as a box: finite, at most 1e6, at least 1 by 1; 0, or -1 */
static int
rect_of(const double v[4], struct pdf_rect *r)
{
	int i;

	for (i = 0; i < 4; i++)
		if (!isfinite(v[i]) || fabs(v[i]) > 1e6)
			return -1;
	r->x0 = fmin(v[0], v[2]);
	r->x1 = fmax(v[0], v[2]);
	r->y0 = fmin(v[1], v[3]);
	r->y1 = fmax(v[1], v[3]);
	return (r->x1 - r->x0 < 1 || r->y1 - r->y0 < 1) ? -1 : 0;
}

static int
read_rect(qpdf_data q, qpdf_oh a, struct pdf_rect *r)
{
	double v[4];
	int i;

	if (!qpdf_oh_is_array(q, a) || qpdf_oh_get_array_n_items(q, a) != 4)
		return -1;
	for (i = 0; i < 4; i++) {
		qpdf_oh it = qpdf_oh_get_array_item(q, a, i);
		int ok = qpdf_oh_get_value_as_number(q, it, &v[i]);

		qpdf_oh_release(q, it);
		if (!ok)
			return -1;
	}
	return rect_of(v, r);
}

/*
 * The value of an inheritable page attribute (null when none) from node
 * (depth0 levels below the page) up through /Parent, a handle the caller
 * releases; the parents' handles are released here. qpdf's C API keeps
 * every handle it gives until it is released: a verification of a
 * 10,000-page file held some 27 MB of them (review46's file).
 */
static qpdf_oh
inherited_at(qpdf_data q, qpdf_oh node, int depth0, const char *key)
{
	qpdf_oh n = node, v = 0, up;
	int depth;

	for (depth = depth0; depth < PDF_MAX_DEPTH && qpdf_oh_is_dictionary(q, n); depth++) {
		if (qpdf_oh_has_key(q, n, key)) {
			v = qpdf_oh_get_key(q, n, key);
			break;
		}
		up = qpdf_oh_get_key(q, n, "/Parent");
		if (n != node)
			qpdf_oh_release(q, n);
		n = up;
	}
	if (n != node)
		qpdf_oh_release(q, n);
	return v ? v : qpdf_oh_new_null(q);
}

/* What a page's geometry is made of, as read (by qpdf or from the page's bytes). */
struct page_raw {
	int media_ok, crop_ok; /* read_rect() of each was 0 */
	struct pdf_rect media, crop;
	long long rot; /* 0 when not an integer */
	double unit;   /* the page's own /UserUnit, 0 when not a number */
};

/* an inheritable box from node up (depth0 below the page): read_rect()'s answer */
static int
raw_rect(qpdf_data q, qpdf_oh node, int depth0, const char *key, struct pdf_rect *r)
{
	qpdf_oh a = inherited_at(q, node, depth0, key);
	int rc = read_rect(q, a, r);

	qpdf_oh_release(q, a);
	return rc;
}

static long long
raw_rot(qpdf_data q, qpdf_oh node, int depth0)
{
	qpdf_oh uu = inherited_at(q, node, depth0, "/Rotate");
	long long rot = 0;

	(void)qpdf_oh_get_value_as_longlong(q, uu, &rot);
	qpdf_oh_release(q, uu);
	return rot;
}

static void
raw_qpdf(struct pdf_doc *doc, int i, struct page_raw *w)
{
	qpdf_data q = doc->q;
	qpdf_oh uu;

	w->media_ok = raw_rect(q, doc->pages[i], 0, "/MediaBox", &w->media) == 0;
	w->crop_ok = raw_rect(q, doc->pages[i], 0, "/CropBox", &w->crop) == 0;
	w->rot = raw_rot(q, doc->pages[i], 0);
	uu = qpdf_oh_get_key(q, doc->pages[i], "/UserUnit");
	if (!qpdf_oh_get_value_as_number(q, uu, &w->unit))
		w->unit = 0;
	qpdf_oh_release(q, uu);
}

/* an inheritable box: the page's own from its bytes (dict), or its parents' through
   qpdf; *ok as raw_rect's answer is 0; -1 when the page's own is not plainly a box */
static int
box_bytes(qpdf_data q, const unsigned char *d, const struct pdf_obj_dict *dict, qpdf_oh parent,
	  const char *key, struct pdf_rect *r, int *ok)
{
	const struct pdf_obj_key *e = pdf_obj_dict_get(d, dict, key);
	double v[4];

	if (e == NULL) {
		*ok = parent && raw_rect(q, parent, 1, key, r) == 0;
		return 0;
	}
	if (!pdf_obj_value_rect(d, e, v))
		return -1;
	*ok = rect_of(v, r) == 0;
	return 0;
}

/*
 * The page's raw geometry from its bytes: 1 when they decide, 0 when qpdf's
 * parse must (raw_qpdf). A contract's page carries 2k references in its
 * /Annots at the k-th signing, which qpdf parses at some 5 to 8 K
 * instructions each when the page is first asked for a key; where the
 * newest two sections place a plainly written page (pdf_obj_dict_bytes),
 * its own entries are read from its bytes, and an attribute it does not
 * have is inherited through qpdf from the /Parent its bytes name (the tree
 * nodes above: not what grows). Each entry must be what qpdf reads the
 * same way: a direct box of four plain numbers, an integer /Rotate, a
 * number /UserUnit, a reference /Parent; a null, a reference or anything
 * else leaves the page to qpdf, and so does a /Kids (no page).
 */
static int
raw_bytes(struct pdf_doc *doc, int i, struct page_raw *w)
{
	qpdf_data q = doc->q;
	const unsigned char *d = doc->data;
	struct pdf_obj_dict *dict = NULL;
	const struct pdf_obj_key *e;
	int num = qpdf_oh_get_object_id(q, doc->pages[i]), gen, pn = 0, pg = 0, integer, ok = 0;
	qpdf_oh parent = 0;
	double x;

	gen = qpdf_oh_get_generation(q, doc->pages[i]);
	/* a walk of the page tree parsed every page already: nothing to spare */
	if (doc->pages_walked || !(dict = malloc(sizeof(*dict))) ||
	    !pdf_doc_dict_bytes(doc, num, gen, dict) || pdf_obj_dict_get(d, dict, "/Kids") != NULL)
		goto out;
	if ((e = pdf_obj_dict_get(d, dict, "/Parent")) != NULL) {
		if (!pdf_obj_value_ref(d, e, &pn, &pg))
			goto out;
		parent = qpdf_get_object_by_id(q, pn, pg);
	}
	/* each inheritable attribute: the page's own, or its parents' as qpdf reads them */
	if (box_bytes(q, d, dict, parent, "/MediaBox", &w->media, &w->media_ok) < 0 ||
	    box_bytes(q, d, dict, parent, "/CropBox", &w->crop, &w->crop_ok) < 0)
		goto out;
	if ((e = pdf_obj_dict_get(d, dict, "/Rotate")) != NULL) {
		if (!pdf_obj_value_number(d, e, &x, &integer) || !integer)
			goto out;
		w->rot = (long long)x;
	} else {
		w->rot = parent ? raw_rot(q, parent, 1) : 0;
	}
	w->unit = 0;
	if ((e = pdf_obj_dict_get(d, dict, "/UserUnit")) != NULL &&
	    !pdf_obj_value_number(d, e, &w->unit, &integer))
		goto out;
	ok = 1;
out:
	if (parent)
		qpdf_oh_release(q, parent);
	free(dict);
	return ok;
}

static int
page_geometry(struct pdf_doc *doc, int i, struct sp_errinfo *ei)
{
	struct pdf_page_info *pi = &doc->pinfo[i];
	struct page_raw w;
	struct pdf_rect c;

	memset(&w, 0, sizeof(w));
	if (!raw_bytes(doc, i, &w)) {
		memset(&w, 0, sizeof(w));
		/* as the page tree walk checks what it finds (a known page is no tree node) */
		if (!qpdf_oh_is_dictionary(doc->q, doc->pages[i]) ||
		    !qpdf_oh_is_indirect(doc->q, doc->pages[i]) ||
		    qpdf_oh_has_key(doc->q, doc->pages[i], "/Kids"))
			return sp_err_reason(ei, SP_ERR_PDF, "pdf_bad_page",
					     "page %d is not an indirect dictionary", i + 1);
		raw_qpdf(doc, i, &w);
	}
	if (!w.media_ok)
		return sp_err_reason(ei, SP_ERR_PDF, "pdf_bad_page",
				     "page %d has no valid /MediaBox", i + 1);
	pi->media = w.media;
	pi->crop = pi->media;
	if (w.crop_ok) {
		c = w.crop;
		c.x0 = fmax(c.x0, pi->media.x0);
		c.y0 = fmax(c.y0, pi->media.y0);
		c.x1 = fmin(c.x1, pi->media.x1);
		c.y1 = fmin(c.y1, pi->media.y1);
		if (c.x1 - c.x0 >= 1 && c.y1 - c.y0 >= 1)
			pi->crop = c;
	}
	if (w.rot % 90 != 0)
		return sp_err_reason(ei, SP_ERR_PDF, "pdf_bad_page",
				     "page %d has /Rotate %lld, not a multiple of 90", i + 1,
				     w.rot);
	pi->rotate = (int)(((w.rot % 360) + 360) % 360);
	/* the page's own entry (not inherited); one that is not a number in (0, 75000]
	   (ISO 32000-1 Annex C's cap) is ignored, as viewers ignore it */
	pi->unit = w.unit;
	if (!isfinite(pi->unit) || pi->unit <= 0 || pi->unit > 75000)
		pi->unit = 1;
	if (pi->rotate == 90 || pi->rotate == 270) {
		pi->width = (pi->crop.y1 - pi->crop.y0) * pi->unit;
		pi->height = (pi->crop.x1 - pi->crop.x0) * pi->unit;
	} else {
		pi->width = (pi->crop.x1 - pi->crop.x0) * pi->unit;
		pi->height = (pi->crop.y1 - pi->crop.y0) * pi->unit;
	}
	return SP_OK;
}

int
pdf_doc_page_objs(const struct pdf_doc *doc, int **out, size_t *n, struct sp_errinfo *ei)
{
	int *v = NULL, id;
	int i, j;

	*out = NULL;
	*n = 0;
	if (doc->npages <= 0)
		return sp_err(ei, SP_ERR_INVALID, "the document has no page list");
	if (!(v = malloc((size_t)doc->npages * 2 * sizeof(*v))))
		return sp_err(ei, SP_ERR_NOMEM, "out of memory");
	for (i = 0; i < doc->npages; i++) {
		id = qpdf_oh_get_object_id(doc->q, doc->pages[i]);
		/* a page qpdf made itself (a page listed twice is copied) is no object of
		   the file's: such a list cannot be given to another open */
		for (j = 0; j < i; j++)
			if (v[2 * j] == id)
				id = 0;
		if (id <= 0 || id >= doc->info.size) {
			free(v);
			return sp_err(ei, SP_ERR_UNSUPPORTED,
				      "page %d is not an object of the file", i + 1);
		}
		v[2 * i] = id;
		v[2 * i + 1] = qpdf_oh_get_generation(doc->q, doc->pages[i]);
	}
	*out = v;
	*n = (size_t)doc->npages;
	return SP_OK;
}

/* 1 when h (in q) is or may be a node of a page tree: a dictionary with /Kids. */
static int
tree_node(qpdf_data q, qpdf_oh h)
{
	return qpdf_oh_is_dictionary(q, h) && qpdf_oh_has_key(q, h, "/Kids");
}

/* The index of page object num (generation gen) in doc's list, or -1. */
static int
page_index(const struct pdf_doc *doc, int num)
{
	int i;

	for (i = 0; i < doc->npages; i++)
		if (qpdf_oh_get_object_id(doc->q, doc->pages[i]) == num)
			return i;
	return -1;
}

/* 1 when doc's bytes, where its newest two sections place object num (generation
   gen), plainly hold a dictionary (pdf_obj_dict_bytes) with no /Kids */
static int
leaf_bytes(struct pdf_doc *doc, int num, int gen)
{
	struct pdf_obj_dict *dict;
	size_t off;
	int ok;

	if (!pdf_doc_newest_place(doc, num, gen, &off) || !(dict = malloc(sizeof(*dict))))
		return 0;
	ok = pdf_obj_dict_bytes(doc->data, doc->len, off, num, gen, dict) &&
	     pdf_obj_dict_get(doc->data, dict, "/Kids") == NULL;
	free(dict);
	return ok;
}

/*
 * Whether an object rev's update lists could change which objects the page
 * tree reaches (see pdf_pages_kept): 0 when it cannot, 1 when it may.
 */
static int
listed_touches_tree(struct pdf_doc *older, struct pdf_doc *newer, int num)
{
	qpdf_data qo = older->q, qn = newer->q;
	qpdf_oh o, it;
	int i, n, at;

	if (num <= 0 || num >= older->info.size)
		return 0; /* the free list's head, or new: only a changed node or /Kids array
			     could bring a new object in */
	/* the DSS as a read of older's bytes told it, a dictionary of /Type /DSS, item
	   arrays and /VRI (pdf_doc_dss_tell): no node, and not parsed to be told so (the
	   page list is asked first: an object listed as a page is checked as one) */
	if (num == older->dss_obj && older->dss_gen == 0 && older->dss_keys_known &&
	    page_index(older, num) < 0)
		return 0;
	/* a page of older's list that both sides' bytes plainly give as a dictionary
	   without /Kids (a leaf stays a leaf, as below): told from the bytes, not from
	   qpdf's parse of the page's 2k-item /Annots at a contract's k-th signing, on
	   either side (the prepare that wrote the update spliced the widgets into
	   those bytes and parsed neither) */
	if ((at = page_index(older, num)) >= 0 &&
	    qpdf_oh_get_generation(qo, older->pages[at]) == 0 && leaf_bytes(older, num, 0) &&
	    leaf_bytes(newer, num, 0))
		return 0;
	o = qpdf_get_object_by_id(qo, num, 0);
	if (qpdf_oh_is_null(qo, o))
		return 1; /* free, or of another generation: not told apart here */
	if ((at = page_index(older, num)) >= 0) {
		/* a leaf stays a leaf: a dictionary without /Kids */
		it = qpdf_get_object_by_id(qn, num, qpdf_oh_get_generation(qo, older->pages[at]));
		return !qpdf_oh_is_dictionary(qn, it) || qpdf_oh_has_key(qn, it, "/Kids");
	}
	if (tree_node(qo, o) || qpdf_oh_is_stream(qo, o))
		return 1; /* a node, or a stream (an object stream may hold any of them) */
	if (!qpdf_oh_is_array(qo, o))
		return 0;
	/* an indirect array: a /Kids array holds pages or nodes; or none, which does not
	   tell it apart from any other array, and an update may put pages in it */
	n = qpdf_oh_get_array_n_items(qo, o);
	if (n == 0)
		return 1;
	for (i = 0; i < n; i++) {
		it = qpdf_oh_get_array_item(qo, o, i);
		if (qpdf_oh_is_indirect(qo, it) &&
		    (page_index(older, qpdf_oh_get_object_id(qo, it)) >= 0 || tree_node(qo, it)))
			return 1;
	}
	return 0;
}

int
pdf_pages_kept(struct pdf_doc *older, struct pdf_doc *newer, const struct pdf_revision *rev)
{
	qpdf_data qo = older->q, qn = newer->q;
	qpdf_oh po, pn;
	struct sp_errinfo ign;
	int *nums = NULL, kept = 0;
	size_t n = 0, i;

	if (older->npages <= 0 || pdf_doc_damaged(older) || pdf_doc_damaged(newer))
		return 0;
	/* the catalog's /Pages is the same node (a new /Root may hold it) */
	po = qpdf_oh_get_key_if_dict(qo, qpdf_get_root(qo), "/Pages");
	pn = qpdf_oh_get_key_if_dict(qn, qpdf_get_root(qn), "/Pages");
	if (!qpdf_oh_is_indirect(qo, po) || !qpdf_oh_is_indirect(qn, pn) ||
	    qpdf_oh_get_object_id(qo, po) != qpdf_oh_get_object_id(qn, pn) ||
	    qpdf_oh_get_generation(qo, po) != qpdf_oh_get_generation(qn, pn))
		return 0;
	sp_errinfo_init(&ign);
	if (pdf_revision_listed(newer, rev, &nums, &n, &ign) != SP_OK)
		return 0;
	for (i = 0; i < n && !listed_touches_tree(older, newer, nums[i]); i++)
		;
	kept = i == n && !pdf_doc_damaged(older) && !pdf_doc_damaged(newer) &&
	       !qpdf_has_error(qo) && !qpdf_has_error(qn);
	free(nums);
	return kept;
}

int
pdf_doc_page_count(const struct pdf_doc *doc)
{
	return doc ? doc->npages : 0;
}

int
pdf_page_get(struct pdf_doc *doc, int page, const struct pdf_page_info **out, struct sp_errinfo *ei)
{
	int r, i = page - 1;

	*out = NULL;
	if (doc && doc->pinfo == NULL)
		return sp_err(ei, SP_ERR_INVALID, "the pages of this view were not read");
	if (!doc || page < 1 || page > doc->npages)
		return sp_err(ei, SP_ERR_INVALID, "page %d out of range 1..%d", page,
			      doc ? doc->npages : 0);
	if (!doc->pread[i]) {
		if ((r = page_geometry(doc, i, ei)) < 0)
			return r;
		doc->pread[i] = 1;
	}
	*out = &doc->pinfo[i];
	return SP_OK;
}

int
pdf_doc_page_info(struct pdf_doc *doc, int page, struct pdf_page_info *out, struct sp_errinfo *ei)
{
	const struct pdf_page_info *pi;
	int r;

	memset(out, 0, sizeof(*out));
	if ((r = pdf_page_get(doc, page, &pi, ei)) < 0)
		return r;
	*out = *pi;
	return SP_OK;
}
