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

/* what a structure object's change may touch: its role in the tree */
enum tag_role { TAG_NONE, TAG_ROOT, TAG_PARENT_TREE, TAG_ELEM };

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
 * (a pair's key an integer past every key old has and every pair added
 * before it, its value the tag); *kind raised to the greatest new_tag(). A
 * /K that is one item is read as an array of it. A pair under a key in use
 * would map that key's marked content anew, which readers resolve each
 * their own way (review51: a second pair under a sealed page's
 * /StructParents key passed as a signature field tagged); a writer takes a
 * new key from /ParentTreeNextKey, past all of them.
 */
static int
items_grow(struct diff_ctx *c, qpdf_oh old, qpdf_oh nw, int stride, int *kind)
{
	qpdf_data qo = c->o->q, qn = c->n->q;
	int no, nn, i = 0, j = 0, s, t, oa = qpdf_oh_is_array(qo, old),
		    na = qpdf_oh_is_array(qn, nw);
	qpdf_oh a, b;
	long long key, past = LLONG_MIN; /* a new pair's key is greater */

	no = oa ? qpdf_oh_get_array_n_items(qo, old) : qpdf_oh_is_null(qo, old) ? 0 : 1;
	nn = na ? qpdf_oh_get_array_n_items(qn, nw) : qpdf_oh_is_null(qn, nw) ? 0 : 1;
	if (nn > PDF_TAG_ITEMS_MAX || no % stride || nn % stride || (stride > 1 && (!oa || !na)))
		return 0;
	for (s = 0; stride > 1 && s < no; s += stride) {
		a = qpdf_oh_get_array_item(qo, old, s);
		if (qpdf_oh_is_integer(qo, a) && qpdf_oh_get_int_value(qo, a) > past)
			past = qpdf_oh_get_int_value(qo, a);
	}
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
			if (!qpdf_oh_is_integer(qn, a) ||
			    (key = qpdf_oh_get_int_value(qn, a)) <= past)
				return 0;
			past = key;
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
 * old and nw, the same structure object of the role given, differ only in
 * what tags added change (items_grow); every other key the same. 1 when so.
 */
static int
tags_only(struct diff_ctx *c, enum tag_role role, qpdf_oh old, qpdf_oh nw, int *kind)
{
	qpdf_data qo = c->o->q, qn = c->n->q;
	char *keys[2][TAG_KEYS];
	int nk[2] = { 0, 0 }, ok, s, i;
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
			if (role == TAG_PARENT_TREE && !strcmp(k, "/Nums"))
				ok = items_grow(c, a, b, 2, kind);
			else if (role != TAG_PARENT_TREE && !strcmp(k, "/K"))
				ok = items_grow(c, a, b, 1, kind);
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
				     tags_only(c, TAG_PARENT_TREE, a, b, kind);
			else
				ok = diff_same(qo, a, qn, b);
		}
	for (s = 0; s < 2; s++)
		for (i = 0; i < nk[s]; i++)
			free(keys[s][i]);
	return ok;
}

int
diff_tags_added(struct diff_ctx *c, int num, qpdf_oh old, qpdf_oh nw)
{
	qpdf_data qo = c->o->q, qn = c->n->q;
	qpdf_oh sr;
	int sroot, kind = 0;
	enum tag_role role = TAG_NONE;

	if (!qpdf_oh_is_dictionary(qo, old) || qpdf_oh_is_stream(qo, old) ||
	    !qpdf_oh_is_dictionary(qn, nw) || qpdf_oh_is_stream(qn, nw))
		return 0;
	sroot = diff_ref_id(qo, qpdf_get_root(qo), "/StructTreeRoot");
	sr = qpdf_oh_get_key_if_dict(qo, qpdf_get_root(qo), "/StructTreeRoot");
	if (sroot > 0 && num == sroot)
		role = TAG_ROOT;
	else if (num == diff_ref_id(qo, sr, "/ParentTree") && !qpdf_oh_has_key(qo, old, "/Kids"))
		role = TAG_PARENT_TREE;
	else if (qpdf_oh_is_name_and_equals(qo, qpdf_oh_get_key_if_dict(qo, old, "/Type"),
					    "/StructElem"))
		role = TAG_ELEM;
	/* a structure object the older revision uses otherwise too (a page's resource,
	   say) is that too: its change is judged as such */
	if (role == TAG_NONE || diff_annot_shared(c, num) || !tags_only(c, role, old, nw, &kind) ||
	    kind == 0)
		return 0;
	return kind;
}
