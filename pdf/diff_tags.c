/*
 * diff_tags.c: a tagged PDF's structure tree (ISO 32000-2 §14.7) grown by
 * the tags of annotations an update adds. Acrobat, adding a comment or a
 * signature to a tagged document, tags it in the same update: a new
 * structure element whose object reference (/OBJR) names the new
 * annotation, listed in an element's or the root's /K, with its /StructParent
 * key in the /ParentTree and the root's /ParentTreeNextKey raised. Tags draw
 * nothing; what they say of the page (/ActualText, /Alt, the marked content
 * they claim) is not changed here: only items added, each a new element
 * tagging annotations alone, and the next key raised. A new element may
 * describe its annotation (/Alt: PDF/UA's way to name a form field, no more
 * than the annotation's own /Contents or /TU say), but not stand for text
 * (/ActualText, /E): readers extract and speak those in place of content.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "diff_int.h"

/* the most keys of a structure object, and items of its /K or /Nums, compared */
#define TAG_KEYS 64
#define TAG_OBJRS 16

/* what a structure object's change may touch: its role in the tree (a node of
   the /ParentTree below its root: TAG_PT_NODE) */
enum tag_role { TAG_NONE, TAG_ROOT, TAG_PARENT_TREE, TAG_PT_NODE, TAG_ELEM };

/* the older revision's /ParentTree: whether it has /Kids, and then the key every
   new key must pass (its greatest) */
struct tag_tree {
	int kids;
	long long floor;
};

/*
 * What the reference h (newer's) tags, when it is an element new in this
 * update whose /K is object references (one, or an array of them) to
 * annotations only: 1 signature widgets alone, 2 other annotations too;
 * 0 anything else (an element claiming the page's marked content, an old
 * element, not an element).
 */
static int
new_tag(struct diff_ctx *c, qpdf_oh h)
{
	qpdf_data qn = c->n->q;
	qpdf_oh k, r, a;
	char ft[32], name[128];
	int n, i, kind = 1, id;

	if (!qpdf_oh_is_indirect(qn, h) || (id = qpdf_oh_get_object_id(qn, h)) <= 0 ||
	    !qpdf_oh_is_null(c->o->q,
			     qpdf_get_object_by_id(c->o->q, id, qpdf_oh_get_generation(qn, h))) ||
	    !qpdf_oh_is_dictionary(qn, h) || qpdf_oh_is_stream(qn, h) ||
	    !qpdf_oh_is_name_and_equals(qn, qpdf_oh_get_key_if_dict(qn, h, "/Type"),
					"/StructElem") ||
	    qpdf_oh_has_key(qn, h, "/ActualText") || qpdf_oh_has_key(qn, h, "/E"))
		return 0;
	k = qpdf_oh_get_key_if_dict(qn, h, "/K");
	n = qpdf_oh_is_array(qn, k) ? qpdf_oh_get_array_n_items(qn, k) : 1;
	if (n < 1 || n > TAG_OBJRS)
		return 0;
	for (i = 0; i < n; i++) {
		r = qpdf_oh_is_array(qn, k) ? qpdf_oh_get_array_item(qn, k, i) : k;
		a = qpdf_oh_get_key_if_dict(qn, r, "/Obj");
		if (!qpdf_oh_is_dictionary(qn, r) ||
		    !qpdf_oh_is_name_and_equals(qn, qpdf_oh_get_key_if_dict(qn, r, "/Type"),
						"/OBJR") ||
		    !qpdf_oh_is_indirect(qn, a))
			return 0;
		if (diff_is_markup_annot(qn, a))
			kind = 2;
		else if (!(qpdf_oh_is_name_and_equals(qn,
						      qpdf_oh_get_key_if_dict(qn, a, "/Subtype"),
						      "/Widget") &&
			   diff_field_of(qn, a, ft, sizeof(ft), name, sizeof(name)) &&
			   !strcmp(ft, "/Sig")))
			return 0;
	}
	return kind;
}

/*
 * Whether the items of old's value (a /K, or a /Nums of key-value pairs:
 * stride 2) are all in nw's, in order, and each item nw adds is a new tag
 * (a pair's key an integer, its value the tag); *kind raised to the
 * greatest new_tag(). A /K that is one item is read as an array of it.
 * A pair added comes after the old ones, its key past floor, old's keys and
 * the pairs added before it: a key that repeats one, or sits where a reader
 * bisecting the array would not look, hides the old entry or the new one.
 * (review51: a second pair under a sealed page's /StructParents key passed
 * as a signature field tagged; review52: a new key before an old pair.)
 */
static int
items_grow(struct diff_ctx *c, qpdf_oh old, qpdf_oh nw, int stride, long long floor, int *kind)
{
	qpdf_data qo = c->o->q, qn = c->n->q;
	int no, nn, i = 0, j = 0, s, t, oa = qpdf_oh_is_array(qo, old),
		    na = qpdf_oh_is_array(qn, nw);
	qpdf_oh a, b;

	no = oa ? qpdf_oh_get_array_n_items(qo, old) : qpdf_oh_is_null(qo, old) ? 0 : 1;
	nn = na ? qpdf_oh_get_array_n_items(qn, nw) : qpdf_oh_is_null(qn, nw) ? 0 : 1;
	if (nn > PDF_TAG_ITEMS_MAX || no % stride || nn % stride ||
	    (stride > 1 && ((no && !oa) || !na)))
		return 0;
	for (i = 0; stride > 1 && i < no; i += stride) {
		a = qpdf_oh_get_array_item(qo, old, i);
		if (qpdf_oh_is_integer(qo, a) && qpdf_oh_get_int_value(qo, a) > floor)
			floor = qpdf_oh_get_int_value(qo, a);
	}
	i = 0;
	while (j < nn) {
		/* the old item next, kept */
		for (s = 0; i < no && s < stride; s++) {
			a = oa ? qpdf_oh_get_array_item(qo, old, i + s) : old;
			b = na ? qpdf_oh_get_array_item(qn, nw, j + s) : nw;
			if (!diff_same(qo, a, qn, b))
				break;
		}
		if (i < no && s == stride) {
			i += stride;
			j += stride;
			continue;
		}
		/* else an item added: a new tag (a pair: under an integer key) */
		b = na ? qpdf_oh_get_array_item(qn, nw, j + stride - 1) : nw;
		if (stride > 1) {
			a = qpdf_oh_get_array_item(qn, nw, j);
			if (i < no || !qpdf_oh_is_integer(qn, a) ||
			    qpdf_oh_get_int_value(qn, a) <= floor)
				return 0;
			floor = qpdf_oh_get_int_value(qn, a);
		}
		if ((t = new_tag(c, b)) == 0)
			return 0;
		*kind = t > *kind ? t : *kind;
		j += stride;
	}
	return i == no;
}

/* The keys of dictionary h (strdup'd into keys, *n of them); 0 past TAG_KEYS or out of memory. */
static int
keys_of(qpdf_data q, qpdf_oh h, char **keys, int *n)
{
	*n = 0;
	qpdf_oh_begin_dict_key_iter(q, h);
	while (qpdf_oh_dict_more_keys(q) && *n < TAG_KEYS)
		if (!(keys[(*n)++] = strdup(qpdf_oh_dict_next_key(q))))
			return 0;
	return !qpdf_oh_dict_more_keys(q);
}

/* 1 when k is among keys[0..n) */
static int
listed(char *const *keys, int n, const char *k)
{
	int i;

	for (i = 0; i < n; i++)
		if (!strcmp(keys[i], k))
			return 1;
	return 0;
}

/*
 * Whether the /Kids of a /ParentTree node, old's and nw's, differ only by
 * new leaves after old's kids, each an object new in this update holding
 * /Nums of new tags (items_grow, past floor) and its /Limits, no more;
 * whether the /Limits are right is numtree.c's reading of the whole new
 * tree (diff_tags_added).
 */
static int
kids_grow(struct diff_ctx *c, qpdf_oh old, qpdf_oh nw, long long floor, int *kind)
{
	qpdf_data qo = c->o->q, qn = c->n->q;
	char *keys[TAG_KEYS];
	qpdf_oh b, nums;
	int no, nn, i, nk = 0, ok = 1;

	if (!qpdf_oh_is_array(qo, old) || !qpdf_oh_is_array(qn, nw) ||
	    (no = qpdf_oh_get_array_n_items(qo, old)) > (nn = qpdf_oh_get_array_n_items(qn, nw)) ||
	    nn > PDF_TAG_ITEMS_MAX)
		return 0;
	for (i = 0; i < no && ok; i++)
		ok = diff_same(qo, qpdf_oh_get_array_item(qo, old, i), qn,
			       qpdf_oh_get_array_item(qn, nw, i));
	for (i = no; i < nn && ok; i++) {
		b = qpdf_oh_get_array_item(qn, nw, i);
		nums = qpdf_oh_get_key_if_dict(qn, b, "/Nums");
		ok = qpdf_oh_is_indirect(qn, b) && qpdf_oh_get_object_id(qn, b) > 0 &&
		     qpdf_oh_is_null(qo, qpdf_get_object_by_id(qo, qpdf_oh_get_object_id(qn, b),
							       qpdf_oh_get_generation(qn, b))) &&
		     qpdf_oh_is_dictionary(qn, b) && !qpdf_oh_is_stream(qn, b) &&
		     keys_of(qn, b, keys, &nk) && nk == 2 && qpdf_oh_has_key(qn, b, "/Limits") &&
		     qpdf_oh_get_array_n_items(qn, nums) >= 2 &&
		     items_grow(c, qpdf_oh_new_null(qo), nums, 2, floor, kind);
		while (nk > 0)
			free(keys[--nk]);
		/* the next leaf's keys past this one's */
		if (ok)
			floor = qpdf_oh_get_int_value(
				qn,
				qpdf_oh_get_array_item(qn, nums,
						       qpdf_oh_get_array_n_items(qn, nums) - 2));
	}
	return ok;
}

/*
 * old and nw, the same structure object of the role given, differ only in
 * what tags added change (items_grow; a /ParentTree with kids: kids_grow,
 * and a node's /Limits, which numtree.c judges); every other key the same.
 * 1 when so.
 */
static int
tags_only(struct diff_ctx *c, enum tag_role role, const struct tag_tree *tt, qpdf_oh old,
	  qpdf_oh nw, int *kind)
{
	qpdf_data qo = c->o->q, qn = c->n->q;
	char *keys[2][TAG_KEYS];
	int nk[2] = { 0, 0 }, ok, s, i, is_pt = role == TAG_PARENT_TREE || role == TAG_PT_NODE;
	const char *k;
	qpdf_oh a, b;

	ok = keys_of(qo, old, keys[0], &nk[0]) && keys_of(qn, nw, keys[1], &nk[1]);
	for (s = 0; s < 2 && ok; s++)
		for (i = 0; i < nk[s] && ok; i++) {
			k = keys[s][i];
			/* a key both have: compared under old's */
			if (s == 1 && listed(keys[0], nk[0], k))
				continue;
			a = qpdf_oh_get_key_if_dict(qo, old, k);
			b = qpdf_oh_get_key_if_dict(qn, nw, k);
			if (is_pt && !strcmp(k, "/Nums"))
				ok = items_grow(c, a, b, 2, tt->floor, kind);
			else if (is_pt && tt->kids && !strcmp(k, "/Kids"))
				ok = kids_grow(c, a, b, tt->floor, kind);
			else if (role == TAG_PT_NODE && !strcmp(k, "/Limits")) {
				/* raised alone: keys were added below the node, in a leaf
				   whose own change says what they tag */
				ok = 1;
				*kind = *kind == 0 ? 1 : *kind;
			} else if (!is_pt && !strcmp(k, "/K"))
				ok = items_grow(c, a, b, 1, LLONG_MIN, kind);
			else if (role == TAG_ROOT && !strcmp(k, "/ParentTreeNextKey")) {
				ok = qpdf_oh_is_integer(qn, b) &&
				     (qpdf_oh_is_null(qo, a) ||
				      (qpdf_oh_is_integer(qo, a) &&
				       qpdf_oh_get_int_value(qn, b) >=
					       qpdf_oh_get_int_value(qo, a)));
				/* raised alone: the tags are under an element (a /Document:
				   tag_widgets.c), the root only says where the next keys begin */
				*kind = ok && *kind == 0 ? 1 : *kind;
			} else if (role == TAG_ROOT && !strcmp(k, "/ParentTree") &&
				   !qpdf_oh_is_indirect(qo, a) && !qpdf_oh_is_indirect(qn, b))
				ok = qpdf_oh_is_dictionary(qo, a) && qpdf_oh_is_dictionary(qn, b) &&
				     tags_only(c, TAG_PARENT_TREE, tt, a, b, kind);
			else
				ok = diff_same(qo, a, qn, b);
		}
	for (s = 0; s < 2; s++)
		for (i = 0; i < nk[s]; i++)
			free(keys[s][i]);
	return ok;
}

/* 1 when num is the last kid at some level of the /ParentTree pt (in q): a
   node keys past the greatest are added under (numtree.c's path, walked here
   without reading the whole tree, for any changed object) */
static int
on_last_path(qpdf_data q, qpdf_oh pt, int num)
{
	qpdf_oh kids;
	int depth, n;

	for (depth = 0; depth < PDF_MAX_DEPTH &&
			qpdf_oh_is_array(q, kids = qpdf_oh_get_key_if_dict(q, pt, "/Kids")) &&
			(n = qpdf_oh_get_array_n_items(q, kids)) > 0;
	     depth++) {
		pt = qpdf_oh_get_array_item(q, kids, n - 1);
		if (qpdf_oh_get_object_id(q, pt) == num)
			return 1;
	}
	return 0;
}

int
diff_tags_added(struct diff_ctx *c, int num, qpdf_oh old, qpdf_oh nw)
{
	qpdf_data qo = c->o->q, qn = c->n->q;
	qpdf_oh sr, pt;
	struct tag_tree tt = { 0, LLONG_MIN };
	struct pdf_numtree t;
	int sroot, kind = 0;
	enum tag_role role = TAG_NONE;

	if (!qpdf_oh_is_dictionary(qo, old) || qpdf_oh_is_stream(qo, old) ||
	    !qpdf_oh_is_dictionary(qn, nw) || qpdf_oh_is_stream(qn, nw))
		return 0;
	sroot = diff_ref_id(qo, qpdf_get_root(qo), "/StructTreeRoot");
	sr = qpdf_oh_get_key_if_dict(qo, qpdf_get_root(qo), "/StructTreeRoot");
	pt = qpdf_oh_get_key_if_dict(qo, sr, "/ParentTree");
	if (sroot > 0 && num == sroot)
		role = TAG_ROOT;
	else if (num == diff_ref_id(qo, sr, "/ParentTree"))
		role = TAG_PARENT_TREE;
	else if (qpdf_oh_has_key(qo, old, "/Limits") && on_last_path(qo, pt, num))
		role = TAG_PT_NODE;
	else if (qpdf_oh_is_name_and_equals(qo, qpdf_oh_get_key_if_dict(qo, old, "/Type"),
					    "/StructElem"))
		role = TAG_ELEM;
	/* a tree with kids that this object holds or is a node of, before and after:
	   read as a reader looks keys up, every key of the old found, the new past
	   them, each /Limits right (a root whose /ParentTree is an object of its own
	   leaves the tree to that object's change) */
	if ((role == TAG_PARENT_TREE || role == TAG_PT_NODE ||
	     (role == TAG_ROOT && !qpdf_oh_is_indirect(qo, pt))) &&
	    qpdf_oh_has_key(qo, pt, "/Kids")) {
		if (!pdf_numtree_read(qo, pt, &t))
			return 0;
		tt.kids = 1;
		tt.floor = t.any ? t.max : LLONG_MIN;
	}
	/* a structure object the older revision uses otherwise too (a page's resource,
	   say) is that too: its change is judged as such */
	if (role == TAG_NONE || diff_annot_shared(c, num) ||
	    !tags_only(c, role, &tt, old, nw, &kind) || kind == 0 ||
	    (tt.kids &&
	     !pdf_numtree_read(qn,
			       qpdf_oh_get_key_if_dict(qn,
						       qpdf_oh_get_key_if_dict(qn,
									       qpdf_get_root(qn),
									       "/StructTreeRoot"),
						       "/ParentTree"),
			       &t)))
		return 0;
	return kind;
}
