/*
 * numtree.c: a number tree (ISO 32000-2 §7.9.7) read as a reader looks a
 * key up in it. Acrobat and LibreOffice write a large document's
 * /ParentTree with /Kids: a reader goes down through each kid whose
 * /Limits hold the key, so a tree is only what it says when its keys
 * ascend through the leaves in order and every kid's /Limits are its
 * least and greatest key. A signature's tags are appended to such a tree
 * (tag_widgets.c) and judged (diff_tags.c) through this one reading: a tree
 * read otherwise would have its new keys hidden, or hide old ones.
 */
#include <string.h>

#include "pdf_int.h"

/* The least and greatest key under h, read into t; 1 when h is a sound node. */
static int
node_read(qpdf_data q, qpdf_oh h, int depth, struct pdf_numtree *t, long long *lo, long long *hi,
	  int *any)
{
	qpdf_oh nums = qpdf_oh_get_key_if_dict(q, h, "/Nums"),
		kids = qpdf_oh_get_key_if_dict(q, h, "/Kids"),
		lim = qpdf_oh_get_key_if_dict(q, h, "/Limits"), k;
	long long key, klo, khi;
	int i, n, kany, leaf = qpdf_oh_is_array(q, nums);

	*any = 0;
	if (depth > PDF_MAX_DEPTH || !qpdf_oh_is_dictionary(q, h) || qpdf_oh_is_stream(q, h) ||
	    leaf == qpdf_oh_is_array(q, kids) || (depth == 0) != qpdf_oh_is_null(q, lim))
		return 0;
	n = qpdf_oh_get_array_n_items(q, leaf ? nums : kids);
	if ((t->items += n) > PDF_TAG_ITEMS_MAX || (leaf && n % 2))
		return 0;
	for (i = 0; i < n; i += leaf ? 2 : 1) {
		k = qpdf_oh_get_array_item(q, leaf ? nums : kids, i);
		if (leaf) {
			if (!qpdf_oh_is_integer(q, k))
				return 0;
			klo = khi = key = qpdf_oh_get_int_value(q, k);
			kany = 1;
		} else if (!qpdf_oh_is_indirect(q, k) ||
			   !node_read(q, k, depth + 1, t, &klo, &khi, &kany) || !kany) {
			return 0; /* a kid is an object with keys (its /Limits say which) */
		}
		/* keys ascend, and no two kids' ranges meet */
		if (*any && klo <= *hi)
			return 0;
		*lo = *any ? *lo : klo;
		*hi = khi;
		*any = 1;
	}
	/* an intermediate or leaf node says its least and greatest key, exactly */
	return depth == 0 ||
	       (*any && qpdf_oh_is_array(q, lim) && qpdf_oh_get_array_n_items(q, lim) == 2 &&
		qpdf_oh_is_integer(q, qpdf_oh_get_array_item(q, lim, 0)) &&
		qpdf_oh_is_integer(q, qpdf_oh_get_array_item(q, lim, 1)) &&
		qpdf_oh_get_int_value(q, qpdf_oh_get_array_item(q, lim, 0)) == *lo &&
		qpdf_oh_get_int_value(q, qpdf_oh_get_array_item(q, lim, 1)) == *hi);
}

int
pdf_numtree_read(qpdf_data q, qpdf_oh root, struct pdf_numtree *t)
{
	qpdf_oh h = root, kids;
	long long lo = 0, hi = 0;
	int any = 0, n;

	memset(t, 0, sizeof(*t));
	if (!node_read(q, root, 0, t, &lo, &hi, &any))
		return 0;
	t->any = any;
	t->max = hi;
	/* the last kid at every level: where keys past the greatest go */
	while (qpdf_oh_is_array(q, kids = qpdf_oh_get_key_if_dict(q, h, "/Kids")) &&
	       (n = qpdf_oh_get_array_n_items(q, kids)) > 0 && t->npath < PDF_MAX_DEPTH) {
		h = qpdf_oh_get_array_item(q, kids, n - 1);
		t->path[t->npath++] = qpdf_oh_get_object_id(q, h);
	}
	return 1;
}
