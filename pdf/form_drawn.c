/*
 * form_drawn.c: whether a form asks viewers to draw its fields
 * (/NeedAppearances) and whether it may stop asking: the upload's rewrite
 * and the writer's new AcroForm drop the key when nothing it shows depends
 * on it, so that the seals signed into the form are drawn everywhere; and
 * whether an XFA form draws the pages at all.
 */
#include <stdio.h>
#include <string.h>

#include "pdf_int.h"

#define FIELD_DEPTH 32

/* s cut short by snprintf: a character its end split is dropped (messages stay UTF-8). */
static void
utf8_trim(char *s)
{
	size_t l = strlen(s), j = l, need;
	unsigned char c;

	while (j > 0 && ((unsigned char)s[j - 1] & 0xC0) == 0x80)
		j--;
	if (j == 0 || (c = (unsigned char)s[j - 1]) < 0xC0)
		return;
	need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
	if (l - (j - 1) < need)
		s[j - 1] = '\0';
}

/*
 * The value of widget w's field (w's own /V, else its /Parent's): 1 when it
 * has one a viewer would draw. A signature field's value is its signature,
 * which no viewer draws from /V.
 */
static int
has_value(qpdf_data q, qpdf_oh w, char *name, size_t cap)
{
	qpdf_oh f = w, v;
	int depth;

	for (depth = 0; depth < FIELD_DEPTH && qpdf_oh_is_dictionary(q, f); depth++) {
		if (qpdf_oh_is_name_and_equals(q, qpdf_oh_get_key(q, f, "/FT"), "/Sig"))
			return 0;
		if (!name[0] && qpdf_oh_is_string(q, qpdf_oh_get_key(q, f, "/T"))) {
			snprintf(name, cap, "%s",
				 qpdf_oh_get_utf8_value(q, qpdf_oh_get_key(q, f, "/T")));
			utf8_trim(name);
		}
		if (qpdf_oh_has_key(q, f, "/V")) {
			v = qpdf_oh_get_key(q, f, "/V");
			return !qpdf_oh_is_null(q, v) && !(qpdf_oh_is_string(q, v) &&
							   qpdf_oh_get_utf8_value(q, v)[0] == '\0');
		}
		f = qpdf_oh_get_key(q, f, "/Parent");
	}
	return 0;
}

/*
 * The form's /NeedAppearances (ISO 32000-1 §12.7.2): 0 not set; 1 set, and
 * every widget whose field has a value has its appearance; 2 set, and the
 * widget of field `name` has a value it has no appearance for. With it,
 * viewers draw the fields themselves, and Adobe Reader and poppler then draw
 * no signature's appearance either: every seal of the contract would be
 * invisible there (PDFBOX-3738, pyHanko #416; pdftoppm shows it).
 */
int
pdf_form_undrawn(struct pdf_doc *doc, char *name, size_t cap)
{
	qpdf_data q = doc->q;
	/* (_if_dict: a lookup in what is no dictionary queues no qpdf warning, which
	   later readers would take for a reading error: pdf_pdfa_part) */
	qpdf_oh af = qpdf_oh_get_key_if_dict(q, qpdf_get_root(q), "/AcroForm"), annots, a, ap;
	qpdf_oh na = qpdf_oh_get_key_if_dict(q, af, "/NeedAppearances");
	int i, k, n;

	name[0] = '\0';
	if (!qpdf_oh_is_bool(q, na) || !qpdf_oh_get_bool_value(q, na))
		return 0;
	if (doc->pages == NULL || doc->npages <= 0)
		return 2; /* no page list to look for widgets in: the key stays */
	for (i = 0; i < doc->npages; i++) {
		annots = qpdf_oh_get_key_if_dict(q, doc->pages[i], "/Annots");
		n = qpdf_oh_is_array(q, annots) ? qpdf_oh_get_array_n_items(q, annots) : 0;
		for (k = 0; k < n; k++) {
			a = qpdf_oh_get_array_item(q, annots, k);
			if (!qpdf_oh_is_name_and_equals(q,
							qpdf_oh_get_key_if_dict(q, a, "/Subtype"),
							"/Widget"))
				continue;
			ap = qpdf_oh_get_key_if_dict(q, qpdf_oh_get_key_if_dict(q, a, "/AP"), "/N");
			name[0] = '\0';
			if (!qpdf_oh_is_dictionary(q, ap) && !qpdf_oh_is_stream(q, ap) &&
			    has_value(q, a, name, cap))
				return 2;
		}
	}
	return 1;
}

int
pdf_form_drawn_check(struct pdf_doc *doc, int *undrawn, struct sp_errinfo *ei)
{
	char field[64];

	if ((*undrawn = pdf_form_undrawn(doc, field, sizeof(field))) != 2)
		return SP_OK;
	return sp_err_reason(ei, SP_ERR_UNSUPPORTED, "pdf_need_appearances",
			     "the form's field \"%s\" has a value but no appearance: the form "
			     "asks viewers to draw it (/NeedAppearances), and Adobe Reader and "
			     "poppler then show no seal signed into it; save the form with its "
			     "appearances (print it to PDF) first",
			     field);
}

/*
 * An XFA form (ISO 32000-1 §12.7.8): 0 none, 1 static (the pages hold the
 * content, the XFA stream drives the fields in Adobe's viewers alone), 2
 * dynamic (the catalog's /NeedsRendering: the pages are a placeholder that
 * only an XFA renderer replaces).
 */
int
pdf_form_xfa_check(struct pdf_doc *doc, int *kind, struct sp_errinfo *ei)
{
	qpdf_data q = doc->q;
	qpdf_oh root = qpdf_get_root(q), af = qpdf_oh_get_key_if_dict(q, root, "/AcroForm");
	qpdf_oh nr = qpdf_oh_get_key_if_dict(q, root, "/NeedsRendering");

	*kind = 0;
	if (!qpdf_oh_is_dictionary(q, af) || !qpdf_oh_has_key(q, af, "/XFA"))
		return SP_OK;
	*kind = qpdf_oh_is_bool(q, nr) && qpdf_oh_get_bool_value(q, nr) ? 2 : 1;
	if (*kind == 1)
		return SP_OK;
	return sp_err_reason(ei, SP_ERR_UNSUPPORTED, "pdf_xfa_dynamic",
			     "the PDF is a dynamic XFA form, which only Adobe's viewers show as "
			     "a form (every other one shows a placeholder page); save or print "
			     "it as a plain PDF first");
}
