/*
 * tag_widgets.c: a signature's widgets tagged in a tagged document's
 * structure tree, in the signature's own update. PDF/UA-1 §7.18.1 and
 * §7.18.4 and PDF/A-2a/3a (ISO 19005-2 §6.8) ask every annotation of a
 * tagged file to be in the tree, a widget in a /Form element (ISO 32000-2
 * §14.8.4.4.2) that names it by an object reference (/OBJR, §14.7.5.3) and
 * that it names back by its /StructParent key in the /ParentTree
 * (§14.7.5.4); the form field says what it is for assistive technology
 * (/TU, and the element's /Alt). Untagged, a tagged contract we sign stops
 * being PDF/UA or PDF/A-a.
 *
 * What is written is exactly what pdf/diff_tags.c accepts from any later
 * signer: new /Form elements whose /K is one /OBJR to a signature widget
 * (no /ActualText, no /E), appended to the /K of the tree's one top
 * element (or the root's when there is not exactly one), keyed at the end
 * of a flat /ParentTree's /Nums or in a new leaf at the end of the /Kids
 * of one with kids (numtree.c), the root's /ParentTreeNextKey raised when
 * it has one. A tree this does not cover (a /ParentTree a reader would not
 * find every key in, an element without /Type, lists past
 * PDF_TAG_ITEMS_MAX) is left as it is: the document is signed untagged, as
 * before.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pdf_sign_int.h"

/* The items of h (an array; one item when not; none when null). */
static int
n_items(qpdf_data q, qpdf_oh h)
{
	return qpdf_oh_is_array(q, h)  ? qpdf_oh_get_array_n_items(q, h)
	       : qpdf_oh_is_null(q, h) ? 0
				       : 1;
}

static int
is_elem(qpdf_data q, qpdf_oh h)
{
	return qpdf_oh_is_indirect(q, h) && qpdf_oh_is_dictionary(q, h) &&
	       !qpdf_oh_is_stream(q, h) &&
	       qpdf_oh_is_name_and_equals(q, qpdf_oh_get_key_if_dict(q, h, "/Type"), "/StructElem");
}

void
sign_tags_plan(struct sign_ctx *c)
{
	qpdf_data q = c->doc->q;
	qpdf_oh root = qpdf_oh_get_key_if_dict(q, qpdf_get_root(q), "/StructTreeRoot"), pt, nums, k,
		v, top;
	struct pdf_numtree tree;
	long long next = 0, key;
	int i, n = 0;

	c->tag_key0 = -1;
	/* an empty field filled keeps its widgets as they are (tagged or not by whoever
	   made them); a document timestamp's widget is tagged as any signature's */
	if (c->fill || !qpdf_oh_is_indirect(q, root) || !qpdf_oh_is_dictionary(q, root) ||
	    qpdf_oh_is_stream(q, root))
		return;
	pt = qpdf_oh_get_key_if_dict(q, root, "/ParentTree");
	nums = qpdf_oh_get_key_if_dict(q, pt, "/Nums");
	if (!qpdf_oh_is_dictionary(q, pt) || qpdf_oh_is_stream(q, pt))
		return;
	c->tag_kids = qpdf_oh_has_key(q, pt, "/Kids");
	if (c->tag_kids) {
		/* a tree of leaves (Acrobat's, a long document's): ours a new leaf at the
		   end of the root's /Kids, its keys past every key the tree holds, which
		   a reader then finds by the /Limits it passes through */
		if (!pdf_numtree_read(q, pt, &tree) ||
		    n_items(q, qpdf_oh_get_key_if_dict(q, pt, "/Kids")) + 1 > PDF_TAG_ITEMS_MAX)
			return;
		if (tree.any && tree.max >= INT_MAX)
			return;
		next = tree.any ? tree.max + 1 : 0;
	} else if (!qpdf_oh_is_array(q, nums) || (n = qpdf_oh_get_array_n_items(q, nums)) % 2 ||
		   n + 2 * (long long)c->nrects > PDF_TAG_ITEMS_MAX) {
		return;
	}
	/* the next key: past every key in use and the one the root says is next */
	for (i = 0; !c->tag_kids && i < n; i += 2) {
		k = qpdf_oh_get_array_item(q, nums, i);
		if (!qpdf_oh_is_integer(q, k))
			return;
		key = qpdf_oh_get_int_value(q, k);
		next = key >= next ? key + 1 : next;
	}
	v = qpdf_oh_get_key_if_dict(q, root, "/ParentTreeNextKey");
	if (qpdf_oh_is_integer(q, v) && qpdf_oh_get_int_value(q, v) > next)
		next = qpdf_oh_get_int_value(q, v);
	if (next < 0 || next > INT_MAX - (long long)c->nrects - 1)
		return;
	/* the elements' parent: the one top element (a /Document, as PDF/UA-2 asks),
	   else the root */
	k = qpdf_oh_get_key_if_dict(q, root, "/K");
	top = qpdf_oh_is_array(q, k) && n_items(q, k) == 1 ? qpdf_oh_get_array_item(q, k, 0) : k;
	c->tag_parent = is_elem(q, top) ? top : root;
	if (n_items(q, qpdf_oh_get_key_if_dict(q, c->tag_parent, "/K")) + (long long)c->nrects >
	    PDF_TAG_ITEMS_MAX)
		return;
	c->tag_root = root;
	c->tag_key0 = (int)next;
	/* a name too long for it is left out whole, not cut inside a character */
	if (c->par->signer_name && c->par->signer_name[0] &&
	    strlen(c->par->signer_name) < sizeof(c->tag_name) - sizeof("Electronic seal of "))
		snprintf(c->tag_name, sizeof(c->tag_name), "Electronic seal of %s",
			 c->par->signer_name);
	else
		snprintf(c->tag_name, sizeof(c->tag_name), "Electronic seal");
}

/* The text each widget's element gives for it: its seal's, or the date's. */
static void
alt_text(const struct sign_ctx *c, size_t i, char *out, size_t n)
{
	char date[16];

	if (c->rects[i].mode == PDF_PLACE_DATE) {
		pdf_date_text(c->par->signing_time, c->par->utc_offset_min, date);
		snprintf(out, n, "Date of signing: %s", date);
	} else if (c->par->doc_timestamp) {
		snprintf(out, n, "Document timestamp");
	} else {
		snprintf(out, n, "%s", c->tag_name);
	}
}

/*
 * "[items of old... add...]" into b (add: nadd object numbers; pairs: each
 * after its key, c->tag_key0 on), old's strings written with k's keys.
 */
static int
items_plus(struct sign_ctx *c, struct sp_buf *b, qpdf_oh old, const struct pdf_okey *k,
	   const int *add, size_t nadd, int pairs)
{
	qpdf_data q = c->doc->q;
	int i, n = n_items(q, old);
	size_t j;

	if (sp_buf_add(b, "[", 1) < 0)
		return SP_ERR_TOO_LARGE;
	for (i = 0; i < n; i++)
		if (pdfw_obj(b, q,
			     qpdf_oh_is_array(q, old) ? qpdf_oh_get_array_item(q, old, i) : old, k,
			     2) < 0 ||
		    sp_buf_add(b, " ", 1) < 0)
			return SP_ERR_TOO_LARGE;
	for (j = 0; j < nadd; j++)
		if ((pairs && sp_buf_printf(b, "%d ", c->tag_key0 + (int)j) < 0) ||
		    sp_buf_printf(b, "%d 0 R%s", add[j], j + 1 < nadd ? " " : "") < 0)
			return SP_ERR_TOO_LARGE;
	return sp_buf_add(b, "]", 1);
}

/* A new version of obj: every key kept but key, which becomes " key [old items... add]". */
static int
grown(struct sign_ctx *c, qpdf_oh obj, const char *key, const int *add, size_t nadd, int pairs,
      struct sp_errinfo *ei)
{
	qpdf_data q = c->doc->q;
	const char *skip[1] = { key };
	struct sp_buf extra;
	struct pdf_okey k;
	int r;

	sp_buf_init(&extra, (size_t)64 << 20);
	pdfw_okey(&c->w, qpdf_oh_get_object_id(q, obj), qpdf_oh_get_generation(q, obj), &k);
	r = sp_buf_printf(&extra, " %s ", key) < 0 ||
			    items_plus(c, &extra, qpdf_oh_get_key_if_dict(q, obj, key), &k, add,
				       nadd, pairs) < 0
		    ? sign_nomem(ei)
		    : sign_rewrite_dict(c, obj, skip, 1, &extra, ei);
	sp_buf_cleanup(&extra);
	return r;
}

/* The /ParentTree's key that grows: a flat tree's /Nums, or the /Kids a leaf joins. */
static const char *
pt_key(const struct sign_ctx *c)
{
	return c->tag_kids ? "/Kids" : "/Nums";
}

/*
 * The root's new version, when it changes: its /K grown by elem when it is
 * the elements' parent, its /ParentTree by pt (npt items: elem's keyed
 * pairs, or a new leaf) when written in it, /ParentTreeNextKey raised past
 * ours when it keeps one; nothing written when none of these.
 */
static int
root_grown(struct sign_ctx *c, const int *elem, const int *pt_add, size_t npt,
	   struct sp_errinfo *ei)
{
	qpdf_data q = c->doc->q;
	qpdf_oh root = c->tag_root, pt = qpdf_oh_get_key_if_dict(q, root, "/ParentTree");
	int own_k = qpdf_oh_get_object_id(q, c->tag_parent) == qpdf_oh_get_object_id(q, root),
	    own_pt = !qpdf_oh_is_indirect(q, pt),
	    next = qpdf_oh_has_key(q, root, "/ParentTreeNextKey"), r;
	const char *skip[3] = { own_k ? "/K" : NULL, own_pt ? "/ParentTree" : NULL,
				next ? "/ParentTreeNextKey" : NULL };
	struct sp_buf extra;
	struct pdf_okey k;

	if (!own_k && !own_pt && !next)
		return SP_OK;
	sp_buf_init(&extra, (size_t)64 << 20);
	pdfw_okey(&c->w, qpdf_oh_get_object_id(q, root), qpdf_oh_get_generation(q, root), &k);
	r = (own_k && (sp_buf_addstr(&extra, " /K ") < 0 ||
		       items_plus(c, &extra, qpdf_oh_get_key_if_dict(q, root, "/K"), &k, elem,
				  c->nrects, 0) < 0)) ||
			    (own_pt &&
			     (sp_buf_addstr(&extra, " /ParentTree <<") < 0 ||
			      pdfw_dict_body(&extra, q, pt, pt_key(c), NULL, &k, 1) < 0 ||
			      sp_buf_printf(&extra, " %s ", pt_key(c)) < 0 ||
			      items_plus(c, &extra, qpdf_oh_get_key_if_dict(q, pt, pt_key(c)), &k,
					 pt_add, npt, !c->tag_kids) < 0 ||
			      sp_buf_addstr(&extra, ">>") < 0)) ||
			    (next && sp_buf_printf(&extra, " /ParentTreeNextKey %d",
						   c->tag_key0 + (int)c->nrects) < 0)
		    ? sign_nomem(ei)
		    : sign_rewrite_dict(c, root, skip, 3, &extra, ei);
	sp_buf_cleanup(&extra);
	return r;
}

int
sign_tags_write(struct sign_ctx *c, struct sp_errinfo *ei)
{
	qpdf_data q = c->doc->q;
	qpdf_oh pt, page;
	int *elem = NULL, r = SP_OK, leaf = 0;
	char alt[sizeof(c->tag_name)];
	struct pdf_okey k;
	size_t i;

	if (c->tag_key0 < 0)
		return SP_OK;
	if (!(elem = calloc(c->nrects, sizeof(*elem))))
		return sp_err(ei, SP_ERR_NOMEM, "out of memory");
	/* one /Form element a widget, on the widget's page */
	for (i = 0; i < c->nrects && r >= 0; i++) {
		page = c->doc->pages[c->rects[i].page - 1];
		elem[i] = pdfw_alloc(&c->w);
		alt_text(c, i, alt, sizeof(alt));
		pdfw_okey(&c->w, elem[i], 0, &k);
		if ((r = pdfw_begin(&c->w, elem[i], 0, ei)) < 0)
			break;
		if (sp_buf_printf(&c->w.b,
				  "<</Type /StructElem /S /Form /P %d %d R /Pg %d %d R /K <</Type "
				  "/OBJR /Obj %d 0 R /Pg %d %d R>> /Alt ",
				  qpdf_oh_get_object_id(q, c->tag_parent),
				  qpdf_oh_get_generation(q, c->tag_parent),
				  qpdf_oh_get_object_id(q, page), qpdf_oh_get_generation(q, page),
				  c->wobj[i], qpdf_oh_get_object_id(q, page),
				  qpdf_oh_get_generation(q, page)) < 0 ||
		    pdfw_textstr_k(&c->w.b, &k, alt) < 0 || sp_buf_addstr(&c->w.b, ">>") < 0 ||
		    pdfw_end(&c->w) < 0)
			r = sign_nomem(ei);
	}
	/* a tree with kids: the keys in a leaf of their own, its /Limits their first
	   and last */
	if (r >= 0 && c->tag_kids) {
		leaf = pdfw_alloc(&c->w);
		if ((r = pdfw_begin(&c->w, leaf, 0, ei)) >= 0 &&
		    (sp_buf_printf(&c->w.b, "<</Limits [%d %d] /Nums ", c->tag_key0,
				   c->tag_key0 + (int)c->nrects - 1) < 0 ||
		     items_plus(c, &c->w.b, qpdf_oh_new_null(q), NULL, elem, c->nrects, 1) < 0 ||
		     sp_buf_addstr(&c->w.b, ">>") < 0 || pdfw_end(&c->w) < 0))
			r = sign_nomem(ei);
	}
	pt = qpdf_oh_get_key_if_dict(q, c->tag_root, "/ParentTree");
	if (r >= 0 && qpdf_oh_is_indirect(q, pt))
		r = c->tag_kids ? grown(c, pt, "/Kids", &leaf, 1, 0, ei)
				: grown(c, pt, "/Nums", elem, c->nrects, 1, ei);
	if (r >= 0 &&
	    qpdf_oh_get_object_id(q, c->tag_parent) != qpdf_oh_get_object_id(q, c->tag_root))
		r = grown(c, c->tag_parent, "/K", elem, c->nrects, 0, ei);
	if (r >= 0)
		r = c->tag_kids ? root_grown(c, elem, &leaf, 1, ei)
				: root_grown(c, elem, elem, c->nrects, ei);
	free(elem);
	return r;
}
