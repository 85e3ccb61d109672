/*
 * sig_slot.c: an empty signature field another party's tool placed for a
 * signer (a certifier's, a template's), found by its full name so that a
 * signature can be written into it: its value set and its widget given the
 * seal's appearance, where the field sits. Filling an empty signature field
 * is what DocMDP P=2 permits (ISO 32000-2 §12.8.2.2), where a new visible
 * widget is not (pyHanko by default, and our verifier).
 */
#include <stdio.h>
#include <string.h>

#include "pdf_int.h"

#define SLOT_DEPTH 32
#define SLOT_NODES 20000

struct walk {
	qpdf_data q;
	const char *want;
	size_t nodes;
	qpdf_oh found; /* the field whose full name is want, else 0 */
	int ft_sig;    /* its /FT, inherited, is /Sig */
};

/* name: the full name so far ("" at the top); ft_sig: an ancestor said /FT /Sig. */
static void
walk(struct walk *w, qpdf_oh f, const char *name, int ft_sig, int depth)
{
	qpdf_data q = w->q;
	qpdf_oh t = qpdf_oh_get_key_if_dict(q, f, "/T"), kids, ft;
	char full[256];
	int i, n;

	if (w->found || depth > SLOT_DEPTH || ++w->nodes > SLOT_NODES ||
	    !qpdf_oh_is_dictionary(q, f))
		return;
	ft = qpdf_oh_get_key_if_dict(q, f, "/FT");
	if (qpdf_oh_is_name(q, ft))
		ft_sig = qpdf_oh_is_name_and_equals(q, ft, "/Sig");
	if (qpdf_oh_is_string(q, t))
		snprintf(full, sizeof(full), "%s%s%s", name, name[0] ? "." : "",
			 qpdf_oh_get_utf8_value(q, t));
	else
		snprintf(full, sizeof(full), "%s", name);
	if (qpdf_oh_is_string(q, t) && strcmp(full, w->want) == 0) {
		w->found = f;
		w->ft_sig = ft_sig;
		return;
	}
	kids = qpdf_oh_get_key_if_dict(q, f, "/Kids");
	n = qpdf_oh_is_array(q, kids) ? qpdf_oh_get_array_n_items(q, kids) : 0;
	/* only a prefix of want can lead to it */
	if (full[0] && !(strncmp(w->want, full, strlen(full)) == 0 && w->want[strlen(full)] == '.'))
		return;
	for (i = 0; i < n && !w->found; i++)
		walk(w, qpdf_oh_get_array_item(q, kids, i), full, ft_sig, depth + 1);
}

/* 1 when arr (an array) holds a reference to object id. */
static int
holds(qpdf_data q, qpdf_oh arr, int id)
{
	int i, n = qpdf_oh_is_array(q, arr) ? qpdf_oh_get_array_n_items(q, arr) : 0;

	for (i = 0; i < n; i++)
		if (qpdf_oh_get_object_id(q, qpdf_oh_get_array_item(q, arr, i)) == id)
			return 1;
	return 0;
}

static int
not_usable(struct sp_errinfo *ei, const char *name, const char *why)
{
	return sp_err_reason(ei, SP_ERR_INVALID, "field_unsupported",
			     "signature field \"%.60s\" cannot be signed into: %s", name, why);
}

/* widget wdg's rectangle, page and NoRotate flag into w; NULL, or why it cannot be signed */
static const char *
widget_read(struct pdf_doc *doc, qpdf_oh wdg, struct pdf_slot_widget *w)
{
	qpdf_data q = doc->q;
	qpdf_oh rect = qpdf_oh_get_key_if_dict(q, wdg, "/Rect"), pg;
	long long flags = 0;
	double v[4];
	int i, id;

	if (!qpdf_oh_is_array(q, rect) || qpdf_oh_get_array_n_items(q, rect) != 4)
		return "its widget has no /Rect";
	for (i = 0; i < 4; i++) {
		qpdf_oh it = qpdf_oh_get_array_item(q, rect, i);
		if (!qpdf_oh_is_number(q, it))
			return "its widget's /Rect is not four numbers";
		v[i] = qpdf_oh_get_numeric_value(q, it);
	}
	/* its page: the one whose /Annots holds it (/P first, as it should say) */
	id = qpdf_oh_get_object_id(q, wdg);
	pg = qpdf_oh_get_key_if_dict(q, wdg, "/P");
	w->page = 0;
	for (i = 0; doc->pages != NULL && i < doc->npages && !w->page; i++)
		if (qpdf_oh_get_object_id(q, doc->pages[i]) == qpdf_oh_get_object_id(q, pg) &&
		    holds(q, qpdf_oh_get_key(q, doc->pages[i], "/Annots"), id))
			w->page = i + 1;
	for (i = 0; doc->pages != NULL && i < doc->npages && !w->page; i++)
		if (holds(q, qpdf_oh_get_key(q, doc->pages[i], "/Annots"), id))
			w->page = i + 1;
	if (!w->page)
		return "its widget is on no page";
	w->obj = id;
	w->gen = qpdf_oh_get_generation(q, wdg);
	/* annotation flags (ISO 32000-1 Table 165): bit 5, NoRotate, is 16 */
	if (qpdf_oh_get_value_as_longlong(q, qpdf_oh_get_key_if_dict(q, wdg, "/F"), &flags))
		w->norotate = (flags & 16) != 0;
	w->rect.x0 = v[0] < v[2] ? v[0] : v[2];
	w->rect.x1 = v[0] < v[2] ? v[2] : v[0];
	w->rect.y0 = v[1] < v[3] ? v[1] : v[3];
	w->rect.y1 = v[1] < v[3] ? v[3] : v[1];
	return NULL;
}

int
pdf_sig_slot_find(struct pdf_doc *doc, const char *name, struct pdf_sig_slot *out,
		  struct sp_errinfo *ei)
{
	qpdf_data q = doc->q;
	qpdf_oh af = qpdf_oh_get_key(q, qpdf_get_root(q), "/AcroForm"), fields, kids;
	struct walk w = { q, name, 0, 0, 0 };
	const char *why;
	int i, n;

	memset(out, 0, sizeof(*out));
	if (name == NULL || !*name || strlen(name) >= sizeof(out->name))
		return sp_err_reason(ei, SP_ERR_INVALID, "field_not_found",
				     "a field placement names the signature field to sign into");
	fields = qpdf_oh_get_key_if_dict(q, af, "/Fields");
	n = qpdf_oh_is_array(q, fields) ? qpdf_oh_get_array_n_items(q, fields) : 0;
	for (i = 0; i < n && !w.found; i++)
		walk(&w, qpdf_oh_get_array_item(q, fields, i), "", 0, 0);
	if (!w.found || !w.ft_sig)
		return sp_err_reason(ei, SP_ERR_INVALID, "field_not_found",
				     "the document has no signature field \"%.60s\"%s", name,
				     w.found ? " (a field of that name is not a signature field)"
					     : "");
	if (qpdf_oh_has_key(q, w.found, "/V") &&
	    !qpdf_oh_is_null(q, qpdf_oh_get_key(q, w.found, "/V")))
		return sp_err_reason(ei, SP_ERR_CONFLICT, "field_signed",
				     "signature field \"%.60s\" is signed already", name);
	if (!qpdf_oh_is_indirect(q, w.found))
		return not_usable(ei, name, "it is not an object of its own");
	/* its widgets: the field itself (merged, as most signers write it) or its kids,
	   each a widget of this field alone (a kid with a name is a field of its own) */
	kids = qpdf_oh_get_key_if_dict(q, w.found, "/Kids");
	if (qpdf_oh_is_array(q, kids)) {
		n = qpdf_oh_get_array_n_items(q, kids);
		if (n == 0)
			return not_usable(ei, name, "it has no widget");
		if (n > PDF_SLOT_WIDGETS)
			return not_usable(ei, name,
					  "it has more widgets than a signature may show");
		for (i = 0; i < n; i++) {
			qpdf_oh wdg = qpdf_oh_get_array_item(q, kids, i);
			size_t j;

			if (!qpdf_oh_is_indirect(q, wdg) || qpdf_oh_has_key(q, wdg, "/T") ||
			    qpdf_oh_get_object_id(q, qpdf_oh_get_key(q, wdg, "/Parent")) !=
				    qpdf_oh_get_object_id(q, w.found))
				return not_usable(ei, name, "a kid is not its widget");
			if ((why = widget_read(doc, wdg, &out->widgets[i])) != NULL)
				return not_usable(ei, name, why);
			for (j = 0; j < (size_t)i; j++)
				if (out->widgets[j].obj == out->widgets[i].obj)
					return not_usable(ei, name, "it lists a widget twice");
		}
		out->nwidgets = (size_t)n;
	} else {
		if ((why = widget_read(doc, w.found, &out->widgets[0])) != NULL)
			return not_usable(ei, name, why);
		out->nwidgets = 1;
		out->merged = 1;
	}
	out->field_obj = qpdf_oh_get_object_id(q, w.found);
	out->field_gen = qpdf_oh_get_generation(q, w.found);
	snprintf(out->name, sizeof(out->name), "%s", name);
	return SP_OK;
}

/* 1 when f or a field under it is an empty signature field; its full name into name. */
static int
first_empty(qpdf_data q, qpdf_oh f, const char *prefix, int ft_sig, int depth, size_t *nodes,
	    char *name, size_t cap)
{
	qpdf_oh t = qpdf_oh_get_key_if_dict(q, f, "/T"), ft = qpdf_oh_get_key_if_dict(q, f, "/FT"),
		kids;
	char full[256];
	int i, n;

	if (depth > SLOT_DEPTH || ++*nodes > SLOT_NODES || !qpdf_oh_is_dictionary(q, f))
		return 0;
	if (qpdf_oh_is_name(q, ft))
		ft_sig = qpdf_oh_is_name_and_equals(q, ft, "/Sig");
	snprintf(full, sizeof(full), "%s%s%s", prefix,
		 prefix[0] && qpdf_oh_is_string(q, t) ? "." : "",
		 qpdf_oh_is_string(q, t) ? qpdf_oh_get_utf8_value(q, t) : "");
	if (qpdf_oh_has_key(q, f, "/V") && !qpdf_oh_is_null(q, qpdf_oh_get_key(q, f, "/V")))
		return 0;
	kids = qpdf_oh_get_key_if_dict(q, f, "/Kids");
	n = qpdf_oh_is_array(q, kids) ? qpdf_oh_get_array_n_items(q, kids) : 0;
	/* a field of its own (a name) whose kids, if any, are its widgets */
	if (ft_sig && qpdf_oh_is_string(q, t) && full[0] &&
	    (n == 0 || !qpdf_oh_has_key(q, qpdf_oh_get_array_item(q, kids, 0), "/T"))) {
		snprintf(name, cap, "%s", full);
		return 1;
	}
	for (i = 0; i < n; i++)
		if (first_empty(q, qpdf_oh_get_array_item(q, kids, i), full, ft_sig, depth + 1,
				nodes, name, cap))
			return 1;
	return 0;
}

int
pdf_sig_slot_first_empty(struct pdf_doc *doc, char *name, size_t cap)
{
	qpdf_data q = doc->q;
	qpdf_oh fields =
		qpdf_oh_get_key_if_dict(q, qpdf_oh_get_key(q, qpdf_get_root(q), "/AcroForm"),
					"/Fields");
	int i, n = qpdf_oh_is_array(q, fields) ? qpdf_oh_get_array_n_items(q, fields) : 0;
	size_t nodes = 0;

	name[0] = '\0';
	for (i = 0; i < n; i++)
		if (first_empty(q, qpdf_oh_get_array_item(q, fields, i), "", 0, 0, &nodes, name,
				cap))
			return 1;
	return 0;
}

/*
 * Seed values (ISO 32000-2 §12.7.5.5, Table 234): what the field's author
 * requires of the signature that fills it. A set bit of /Ff makes its entry
 * a required constraint, which Acrobat and pyHanko refuse to sign against
 * when they cannot meet it (pdfsig reads none); an entry without its bit is
 * a hint they may ignore, as we do. /MDP and a /Cert with required entries
 * bind without a bit of /Ff.
 */
#define SV_FILTER 1
#define SV_SUBFILTER 2
#define SV_V 4
#define SV_REASONS 8
#define SV_LEGAL 16
#define SV_REVINFO 32
#define SV_DIGEST 64
#define SV_LOCKDOC 128
#define SV_APPEARANCE 256

/* 1 when arr's first item is the name n: the format the signer shall use (ISO 32000-2
   Table 234: the first one it supports; pyHanko's check holds a signature to the first) */
static int
first_name(qpdf_data q, qpdf_oh arr, const char *n)
{
	return qpdf_oh_is_array(q, arr) && qpdf_oh_get_array_n_items(q, arr) > 0 &&
	       qpdf_oh_is_name_and_equals(q, qpdf_oh_get_array_item(q, arr, 0), n);
}

/* 1 when arr (an array) holds the name n ("/SHA256"). */
static int
holds_name(qpdf_data q, qpdf_oh arr, const char *n)
{
	int i, k = qpdf_oh_is_array(q, arr) ? qpdf_oh_get_array_n_items(q, arr) : 0;

	for (i = 0; i < k && i < 64; i++)
		if (qpdf_oh_is_name_and_equals(q, qpdf_oh_get_array_item(q, arr, i), n))
			return 1;
	return 0;
}

/* The reason constraint: NULL when reason meets it, else why not. */
static const char *
reasons_unmet(qpdf_data q, qpdf_oh reasons, const char *reason)
{
	int i, n = qpdf_oh_is_array(q, reasons) ? qpdf_oh_get_array_n_items(q, reasons) : 0;
	const char *s0 = n == 1 && qpdf_oh_is_string(q, qpdf_oh_get_array_item(q, reasons, 0))
				 ? qpdf_oh_get_utf8_value(q, qpdf_oh_get_array_item(q, reasons, 0))
				 : NULL;

	/* none listed, or a period alone: no reason may be given (as pyHanko reads it) */
	if (n == 0 || (s0 != NULL && !strcmp(s0, ".")))
		return reason && *reason ? "its seed values forbid a reason" : NULL;
	for (i = 0; reason && i < n && i < 256; i++) {
		qpdf_oh it = qpdf_oh_get_array_item(q, reasons, i);
		if (qpdf_oh_is_string(q, it) && !strcmp(qpdf_oh_get_utf8_value(q, it), reason))
			return NULL;
	}
	return "its seed values require one of the reasons they list";
}

int
pdf_sig_slot_seed_check(struct pdf_doc *doc, const struct pdf_sig_slot *slot,
			const struct pdf_sig_params *par, struct sp_errinfo *ei)
{
	qpdf_data q = doc->q;
	qpdf_oh f = qpdf_get_object_by_id(q, slot->field_obj, slot->field_gen),
		sv = qpdf_oh_get_key_if_dict(q, f, "/SV"), v, cert;
	long long ff;
	const char *why = NULL;

	if (!qpdf_oh_has_key(q, f, "/SV") || qpdf_oh_is_null(q, sv))
		return SP_OK;
	if (!qpdf_oh_is_dictionary(q, sv))
		return not_usable(ei, slot->name, "its seed value dictionary is no dictionary");
	v = qpdf_oh_get_key(q, sv, "/Ff");
	ff = qpdf_oh_is_integer(q, v) ? qpdf_oh_get_int_value(q, v) : 0;
	v = qpdf_oh_get_key_if_dict(q, qpdf_oh_get_key_if_dict(q, sv, "/MDP"), "/P");
	cert = qpdf_oh_get_key_if_dict(q, sv, "/Cert");
	if (qpdf_oh_is_integer(q, v) && qpdf_oh_get_int_value(q, v) != 0)
		why = "its seed values require a certification signature (/MDP), ours approve";
	else if ((ff & SV_V) && qpdf_oh_is_integer(q, v = qpdf_oh_get_key(q, sv, "/V")) &&
		 qpdf_oh_get_int_value(q, v) > 3)
		why = "its seed values are of a version this signer does not know (/V)";
	else if ((ff & SV_FILTER) && qpdf_oh_has_key(q, sv, "/Filter") &&
		 !qpdf_oh_is_name_and_equals(q, qpdf_oh_get_key(q, sv, "/Filter"),
					     "/Adobe.PPKLite"))
		why = "its seed values require another signature handler (/Filter)";
	else if ((ff & SV_SUBFILTER) && qpdf_oh_has_key(q, sv, "/SubFilter") &&
		 !first_name(q, qpdf_oh_get_key(q, sv, "/SubFilter"), "/ETSI.CAdES.detached"))
		why = "its seed values require a signature format other than "
		      "ETSI.CAdES.detached (/SubFilter)";
	else if ((ff & SV_DIGEST) && qpdf_oh_has_key(q, sv, "/DigestMethod") &&
		 !holds_name(q, qpdf_oh_get_key(q, sv, "/DigestMethod"),
			     par->digest_sm3 ? "/SM3" : "/SHA256"))
		why = par->digest_sm3 ? "its seed values require a digest other than SM3 "
					"(/DigestMethod)"
				      : "its seed values require a digest other than SHA-256 "
					"(/DigestMethod)";
	else if ((ff & SV_REASONS) &&
		 (why = reasons_unmet(q, qpdf_oh_get_key(q, sv, "/Reasons"), par->reason)) != NULL)
		;
	else if ((ff & SV_LEGAL) &&
		 qpdf_oh_is_array(q, v = qpdf_oh_get_key(q, sv, "/LegalAttestation")) &&
		 qpdf_oh_get_array_n_items(q, v) > 0)
		why = "its seed values require a legal attestation (/LegalAttestation)";
	else if ((ff & SV_REVINFO) &&
		 qpdf_oh_is_bool(q, v = qpdf_oh_get_key(q, sv, "/AddRevInfo")) &&
		 qpdf_oh_get_bool_value(q, v))
		/* revocation data in the signed attributes, adbe.pkcs7.detached's way; ours
		   goes into the document's /DSS after the signature */
		why = "its seed values require revocation data inside the signature (/AddRevInfo)";
	else if ((ff & SV_LOCKDOC) &&
		 qpdf_oh_is_name_and_equals(q, qpdf_oh_get_key(q, sv, "/LockDocument"), "/true"))
		why = "its seed values require the signature to lock the document (/LockDocument)";
	else if ((ff & SV_APPEARANCE) && qpdf_oh_has_key(q, sv, "/AppearanceFilter"))
		why = "its seed values require a named appearance (/AppearanceFilter)";
	else if (qpdf_oh_is_dictionary(q, cert) &&
		 qpdf_oh_is_integer(q, v = qpdf_oh_get_key(q, cert, "/Ff")) &&
		 qpdf_oh_get_int_value(q, v) != 0)
		/* the signer's certificate is the server's to judge, not the PDF's: fail
		   closed rather than sign against constraints nobody checked */
		why = "its seed values constrain the signer's certificate (/Cert), which is "
		      "not supported";
	return why ? not_usable(ei, slot->name, why) : SP_OK;
}
