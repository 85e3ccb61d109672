/*
 * diff_form.c: the form's and the annotations' part of the difference
 * analysis (diff.c): what a signer's tool adds to /Fields and a page's
 * /Annots (signature fields, their widgets, a parent field gathering them),
 * a field signed or filled in, a markup annotation added or changed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diff_int.h"

/*
 * A widget (no field of its own) of a signature field that had no value
 * and has one now: the widget of an empty field being signed.
 */
int
diff_sig_widget_filled(qpdf_data qo, qpdf_oh old, qpdf_data qn, qpdf_oh nw)
{
	qpdf_oh po = qpdf_oh_get_key_if_dict(qo, old, "/Parent"),
		pn = qpdf_oh_get_key_if_dict(qn, nw, "/Parent");

	return !qpdf_oh_is_stream(qo, old) && !qpdf_oh_has_key(qo, old, "/FT") &&
	       !qpdf_oh_has_key(qo, old, "/T") && !qpdf_oh_has_key(qo, old, "/V") &&
	       qpdf_oh_is_name_and_equals(qo, qpdf_oh_get_key_if_dict(qo, po, "/FT"), "/Sig") &&
	       !qpdf_oh_has_key(qo, po, "/V") && qpdf_oh_is_indirect(qo, po) &&
	       qpdf_oh_get_object_id(qo, po) == qpdf_oh_get_object_id(qn, pn) &&
	       qpdf_oh_has_key(qn, pn, "/V");
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

#define SIG_PARENT_DEPTH 8
#define SIG_PARENT_KIDS 64
/* The kids sig_parent may look at in one diff: a hostile file's parents sharing their
   kids (each level's 64 kids one next parent) are 64^8 walks without it (review45) */
#define SIG_PARENT_STEPS 4096

/*
 * A new field of the form that only gathers signature fields: an object
 * older does not have, no field type but /Sig, no value, and /Kids each a
 * signature field or such a field again (depth bounded). A signer's tool
 * names its field "Parties.Countersignature" so (Acrobat's dotted names,
 * ISO 32000-2 §12.7.4.2): the new parent holds nothing but the signature.
 * 1 when so; *visible counts the visible widgets under it.
 */
static int
sig_parent(struct diff_ctx *c, qpdf_oh h, int depth, int *visible)
{
	qpdf_data qn = c->n->q;
	qpdf_oh kids = qpdf_oh_get_key_if_dict(qn, h, "/Kids"), ft, k;
	int n, i, vis;

	if (depth > SIG_PARENT_DEPTH || !qpdf_oh_is_indirect(qn, h) ||
	    !qpdf_oh_is_dictionary(qn, h) || qpdf_oh_is_stream(qn, h) ||
	    !qpdf_oh_is_null(c->o->q, qpdf_get_object_by_id(c->o->q, qpdf_oh_get_object_id(qn, h),
							    qpdf_oh_get_generation(qn, h))))
		return 0;
	ft = qpdf_oh_get_key_if_dict(qn, h, "/FT");
	if ((!qpdf_oh_is_null(qn, ft) && !qpdf_oh_is_name_and_equals(qn, ft, "/Sig")) ||
	    qpdf_oh_has_key(qn, h, "/V") || !qpdf_oh_is_array(qn, kids) ||
	    (n = qpdf_oh_get_array_n_items(qn, kids)) < 1 || n > SIG_PARENT_KIDS ||
	    /* viewers take /AA through /Parent (pdf.js collectActions): a parent's
	       script runs for every widget under it (review50) */
	    pdf_actions_held(qn, h))
		return 0;
	for (i = 0; i < n; i++) {
		k = qpdf_oh_get_array_item(qn, kids, i);
		/* past the budget: no such parent (a disallowed change, never a long walk) */
		if (++c->sig_parent_steps > SIG_PARENT_STEPS || !qpdf_oh_is_indirect(qn, k) ||
		    !qpdf_oh_is_dictionary(qn, k))
			return 0;
		if (qpdf_oh_has_key(qn, k, "/Kids")) {
			vis = 0; /* sig_parent adds to it */
			if (!sig_parent(c, k, depth + 1, &vis))
				return 0;
		} else if (!is_sig_field(qn, k, &vis) || pdf_actions_held(qn, k)) {
			return 0;
		}
		*visible += vis;
	}
	return 1;
}

/* 1 when one of the n items of arr refers to object id. */
static int
in_refs(qpdf_data q, qpdf_oh arr, int n, int id)
{
	int i;

	for (i = 0; i < n; i++)
		if (qpdf_oh_get_object_id(q, qpdf_oh_get_array_item(q, arr, i)) == id)
			return 1;
	return 0;
}

/*
 * newer's /Fields (n items) as their object numbers (0: a direct item),
 * sorted, into c: read once per diff, for in_form asks it of every new
 * widget (n widgets against n fields: n^2 reads of the array, review45).
 * 0 when it cannot be had.
 */
static int
fields_sorted(struct diff_ctx *c, qpdf_oh af, qpdf_oh fields, int n)
{
	qpdf_data qn = c->n->q;
	int i, *refs = NULL;

	if (c->fields_read)
		return c->fields_sorted != NULL;
	c->fields_read = 1;
	if (n <= 0)
		return 0;
	/* as newer keeps its form's /Fields read (the form's carry-over read it) */
	if (qpdf_oh_is_indirect(qn, af) && !qpdf_oh_is_indirect(qn, fields)
		    ? pdf_doc_key_refs(c->n, qpdf_oh_get_object_id(qn, af),
				       qpdf_oh_get_generation(qn, af), "/Fields", fields, n, &refs)
		    : pdf_array_refs(qn, fields, n, &refs)) {
		for (i = 0; i < n; i++)
			refs[i] = refs[2 * i];
	} else {
		if (!(refs = malloc((size_t)n * sizeof(*refs))))
			return 0;
		for (i = 0; i < n; i++)
			refs[i] = qpdf_oh_get_object_id(qn, qpdf_oh_get_array_item(qn, fields, i));
	}
	qsort(refs, (size_t)n, sizeof(*refs), diff_cmp_int);
	c->fields_sorted = refs;
	c->nfields_sorted = (size_t)n;
	return 1;
}

/*
 * 1 when widget h (of newer) is a field of newer's form: h, or the field
 * its /Parent chain ends in, is an item of the AcroForm's /Fields. A
 * signature widget no field of the form lists is no signature (viewers
 * differ: pdfsig lists it, the form does not): an annotation added. Every
 * field up the chain may hold no action that runs: viewers take /AA up
 * /Parent (pdf.js getInheritableProperty), whether or not a /Kids lists the
 * field (review51: a new parent between the widget and the listed field,
 * with /AA /PO JavaScript, passed).
 */
static int
in_form(struct diff_ctx *c, qpdf_oh h)
{
	qpdf_data qn = c->n->q;
	qpdf_oh af = qpdf_oh_get_key_if_dict(qn, qpdf_get_root(qn), "/AcroForm"),
		fields = qpdf_oh_get_key_if_dict(qn, af, "/Fields"), p;
	int depth, n, id;

	for (depth = 0; depth < SIG_PARENT_DEPTH; depth++) {
		p = qpdf_oh_get_key_if_dict(qn, h, "/Parent");
		if (!qpdf_oh_is_dictionary(qn, p))
			break;
		if (pdf_actions_held(qn, p))
			return 0;
		h = p;
	}
	if (!qpdf_oh_is_indirect(qn, h) || !qpdf_oh_is_array(qn, fields))
		return 0;
	id = qpdf_oh_get_object_id(qn, h);
	n = qpdf_oh_get_array_n_items(qn, fields);
	if (fields_sorted(c, af, fields, n))
		return id > 0 && bsearch(&id, c->fields_sorted, c->nfields_sorted, sizeof(int),
					 diff_cmp_int) != NULL;
	return in_refs(qn, fields, n, id);
}

/*
 * An array that may only grow by signature fields or widgets: the old items
 * in place, each new one a signature field (widget if annots). 1 when so.
 * key: old and nw are the value of key in object c->dnum ("" that object
 * itself) of each document, as it keeps them read (pdf_doc_key_refs: the
 * older one's /Annots and /Fields, handed on with its parse, were read as
 * the newer side of the completion that stored it); NULL: not named.
 */
int
diff_grows_by_sigs(struct diff_ctx *c, qpdf_oh old, qpdf_oh nw, const char *key, int annots,
		   int *visible)
{
	qpdf_data qo = c->o->q, qn = c->n->q;
	int no = qpdf_oh_is_array(qo, old) ? qpdf_oh_get_array_n_items(qo, old) : 0;
	int nn = qpdf_oh_is_array(qn, nw) ? qpdf_oh_get_array_n_items(qn, nw) : -1, i, vis;
	int *ro = NULL, *rn = NULL;

	*visible = 0;
	if (!qpdf_oh_is_null(qo, old) && !qpdf_oh_is_array(qo, old))
		return 0;
	if (nn < no)
		return 0;
	/* the old items in place: as references read in bulk when both are only that
	   (pdf_array_refs), not with two C API calls and a new handle per item: k items at
	   a contract's k-th signing */
	if (no > 0 &&
	    (key != NULL && c->dnum > 0
		     ? pdf_doc_key_refs(c->o, c->dnum, c->dgen, key, old, no, &ro)
		     : pdf_array_refs(qo, old, no, &ro)) &&
	    (key != NULL && c->dnum > 0 ? pdf_doc_key_refs(c->n, c->dnum, c->dgen, key, nw, nn, &rn)
					: pdf_array_refs(qn, nw, nn, &rn))) {
		i = memcmp(ro, rn, (size_t)no * 2 * sizeof(*ro)) == 0;
		free(ro);
		free(rn);
		if (!i)
			return 0;
	} else {
		free(ro);
		for (i = 0; i < no; i++)
			if (!diff_same(qo, qpdf_oh_get_array_item(qo, old, i), qn,
				       qpdf_oh_get_array_item(qn, nw, i)))
				return 0;
	}
	for (i = no; i < nn; i++) {
		qpdf_oh it = qpdf_oh_get_array_item(qn, nw, i);
		vis = 0;
		/* a signature field has no use for a script or an action that runs (active.c) */
		if (pdf_actions_held(qn, it))
			return 0;
		if (!annots && sig_parent(c, it, 0, &vis)) {
			*visible += vis;
			continue;
		}
		if (!qpdf_oh_is_indirect(qn, it) || !qpdf_oh_is_dictionary(qn, it) ||
		    !is_sig_field(qn, it, &vis) ||
		    (annots &&
		     (!qpdf_oh_is_name_and_equals(qn, qpdf_oh_get_key_if_dict(qn, it, "/Subtype"),
						  "/Widget") ||
		      !in_form(c, it))))
			return 0;
		*visible += vis;
	}
	return 1;
}

/* A popup's /Parent: an annotation (not a field: no /FT, no /Parent of its own). */
static int
popup_parent_ok(qpdf_data q, qpdf_oh p)
{
	qpdf_oh st = qpdf_oh_get_key_if_dict(q, p, "/Subtype");

	return qpdf_oh_is_dictionary(q, p) && !qpdf_oh_is_stream(q, p) && qpdf_oh_is_name(q, st) &&
	       !qpdf_oh_is_name_and_equals(q, st, "/Widget") &&
	       !qpdf_oh_is_name_and_equals(q, st, "/Popup") && !qpdf_oh_has_key(q, p, "/FT") &&
	       !qpdf_oh_has_key(q, p, "/Parent");
}

/*
 * The annotation types of ISO 32000-2 Table 171 but the form's widget: a
 * dictionary with another /Subtype (a font's /Type1, a form's /Form) is
 * none, whatever else it carries.
 */
static const char *const annot_subtypes[] = {
	"/Text",    "/Link",       "/FreeText",    "/Line",      "/Square",         "/Circle",
	"/Polygon", "/PolyLine",   "/Highlight",   "/Underline", "/Squiggly",       "/StrikeOut",
	"/Caret",   "/Stamp",      "/Ink",         "/Popup",     "/FileAttachment", "/Sound",
	"/Movie",   "/Screen",     "/PrinterMark", "/TrapNet",   "/Watermark",      "/3D",
	"/Redact",  "/Projection", "/RichMedia",
};

/*
 * An annotation that is no form widget (those DocMDP P=3 lets a later signer
 * edit). A /Parent makes it part of a field, but for a popup's: that names
 * the annotation it shows (ISO 32000-2 §12.5.6.14), whose /Open Acrobat
 * saves when a reader opens the comment.
 */
int
diff_is_markup_annot(qpdf_data q, qpdf_oh h)
{
	qpdf_oh st = qpdf_oh_get_key_if_dict(q, h, "/Subtype");
	const char *name;
	size_t i;

	if (!qpdf_oh_is_dictionary(q, h) || qpdf_oh_is_stream(q, h) || !qpdf_oh_is_name(q, st) ||
	    qpdf_oh_has_key(q, h, "/FT") ||
	    (qpdf_oh_has_key(q, h, "/Parent") &&
	     !(qpdf_oh_is_name_and_equals(q, st, "/Popup") &&
	       popup_parent_ok(q, qpdf_oh_get_key_if_dict(q, h, "/Parent")))) ||
	    !(qpdf_oh_is_name_and_equals(q, qpdf_oh_get_key_if_dict(q, h, "/Type"), "/Annot") ||
	      qpdf_oh_is_array(q, qpdf_oh_get_key_if_dict(q, h, "/Rect"))))
		return 0;
	name = qpdf_oh_get_name(q, st);
	for (i = 0; i < sizeof(annot_subtypes) / sizeof(annot_subtypes[0]); i++)
		if (!strcmp(name, annot_subtypes[i]))
			return 1;
	return 0;
}

/*
 * A page's /Annots that gained or lost annotations (ISO 32000-2 §12.8.2.2.2,
 * P=3: "annotation creation, deletion and modification"): every item a
 * reference; every widget of the old array still there; every item added a
 * markup annotation or a signature widget, every item removed a markup
 * annotation. 1 when so.
 */
int
diff_annots_edit(struct diff_ctx *c, qpdf_oh old, qpdf_oh nw)
{
	qpdf_data qo = c->o->q, qn = c->n->q;
	int no = qpdf_oh_is_array(qo, old) ? qpdf_oh_get_array_n_items(qo, old) : 0;
	int nn = qpdf_oh_is_array(qn, nw) ? qpdf_oh_get_array_n_items(qn, nw) : 0, i, id, vis;
	qpdf_oh it;

	if ((!qpdf_oh_is_null(qo, old) && !qpdf_oh_is_array(qo, old)) ||
	    (!qpdf_oh_is_null(qn, nw) && !qpdf_oh_is_array(qn, nw)) || no > ANNOTS_EDIT_MAX ||
	    nn > ANNOTS_EDIT_MAX)
		return 0;
	for (i = 0; i < no; i++) {
		it = qpdf_oh_get_array_item(qo, old, i);
		if (!qpdf_oh_is_indirect(qo, it))
			return 0;
		id = qpdf_oh_get_object_id(qo, it);
		if (!in_refs(qn, nw, nn, id) && !diff_is_markup_annot(qo, it))
			return 0;
	}
	for (i = 0; i < nn; i++) {
		it = qpdf_oh_get_array_item(qn, nw, i);
		if (!qpdf_oh_is_indirect(qn, it))
			return 0;
		id = qpdf_oh_get_object_id(qn, it);
		if (!in_refs(qo, old, no, id) &&
		    ((!diff_is_markup_annot(qn, it) &&
		      !(is_sig_field(qn, it, &vis) &&
			qpdf_oh_is_name_and_equals(qn, qpdf_oh_get_key_if_dict(qn, it, "/Subtype"),
						   "/Widget"))) ||
		     pdf_actions_held(qn, it)))
			return 0;
	}
	return 1;
}

/*
 * nw carries a script or an action that runs (active.c) that old, the same
 * object in the signed revision, did not carry as it is: a comment DocMDP
 * P=3 lets a later signer edit may not gain one (a viewer runs it on opening
 * the signed document, or on a click). An annotation whose content plays or
 * runs (pdf_annot_plays) may not change at all.
 */
int
diff_actions_added(qpdf_data qo, qpdf_oh old, qpdf_data qn, qpdf_oh nw)
{
	/* (a 3D model's or a movie's content is no action: any change to one may
	   bring a script, such as a new /3DD stream's /OnInstantiate) */
	if (pdf_annot_plays(qn, nw))
		return 1;
	return pdf_actions_held(qn, nw) && !(diff_same(qo, qpdf_oh_get_key_if_dict(qo, old, "/A"),
						       qn, qpdf_oh_get_key_if_dict(qn, nw, "/A")) &&
					     diff_same(qo, qpdf_oh_get_key_if_dict(qo, old, "/AA"),
						       qn, qpdf_oh_get_key_if_dict(qn, nw, "/AA")));
}

/*
 * The form field h is (a field dictionary, or a widget whose /Parent is
 * one): its field type, inherited, into ft and its fully qualified name
 * (ISO 32000-2 §12.7.4.2) into name. 0 when h is not part of a field.
 */
int
diff_field_of(qpdf_data q, qpdf_oh h, char *ft, size_t ftcap, char *name, size_t cap)
{
	const char *parts[16];
	char *dup[16];
	qpdf_oh t, f;
	int n = 0, depth, i, found = 0;
	size_t at = 0;

	ft[0] = name[0] = 0;
	for (depth = 0; depth < 16 && qpdf_oh_is_dictionary(q, h); depth++) {
		f = qpdf_oh_get_key_if_dict(q, h, "/FT");
		if (!ft[0] && qpdf_oh_is_name(q, f)) {
			snprintf(ft, ftcap, "%s", qpdf_oh_get_name(q, f));
			found = 1;
		}
		t = qpdf_oh_get_key_if_dict(q, h, "/T");
		dup[n] = qpdf_oh_is_string(q, t) ? strdup(qpdf_oh_get_utf8_value(q, t)) : NULL;
		parts[n] = dup[n];
		n++;
		h = qpdf_oh_get_key_if_dict(q, h, "/Parent");
	}
	if (depth == 16)
		found = 0; /* a loop of parents: no field */
	for (i = n; i-- > 0;)
		if (parts[i] && at < cap)
			at += (size_t)snprintf(name + at, cap - at, "%s%s", at ? "." : "",
					       parts[i]);
	for (i = 0; i < n; i++)
		free(dup[i]);
	return found && name[0] != 0;
}
