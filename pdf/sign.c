/*
 * sign.c: one signature as one incremental update. The signature field gets
 * one widget per resolved placement (or an empty field's widgets are signed
 * into); each widget's appearance (sign_ap.c) draws the seal image or the
 * date stamp. Pages' /Annots and the AcroForm are written as new versions of
 * their objects, every other key kept as it was.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pdf_sign_int.h"

#define BR_WIDTH 10 /* digits reserved for each /ByteRange number */

static int field_keys(struct sign_ctx *c, struct sp_errinfo *ei);

static int rewrite_dict_skip(struct sign_ctx *c, qpdf_oh obj, const char *const *skip, size_t nskip,
			     struct sp_buf *extra, struct sp_errinfo *ei);

/*
 * The empty field's widget i, a new version of its object: every key kept but
 * the appearance, which becomes ours (ap, 0: invisible, the old one kept),
 * and the value, our signature: the field's own when they are one object,
 * else repeated on the kid as on ours (write_widgets: poppler before 25
 * reads the kid as a field of its own, and found this one unsigned).
 */
static int
write_filled_widget(struct sign_ctx *c, size_t i, int ap, struct sp_errinfo *ei)
{
	qpdf_data q = c->doc->q;
	qpdf_oh wdg = qpdf_get_object_by_id(q, c->slot.widgets[i].obj, c->slot.widgets[i].gen);
	const char *skip[2] = { "/V", ap ? "/AP" : NULL };
	struct sp_buf extra;
	int r = SP_OK;

	sp_buf_init(&extra, 1 << 10);
	if (sp_buf_printf(&extra, " /V %d 0 R", c->sig) < 0 ||
	    (ap && sp_buf_printf(&extra, " /AP <</N %d 0 R>>", ap) < 0))
		r = sign_nomem(ei);
	if (r == SP_OK)
		r = rewrite_dict_skip(c, wdg, skip, 2, &extra, ei);
	sp_buf_cleanup(&extra);
	return r;
}

static int
write_widgets(struct sign_ctx *c, struct sp_errinfo *ei)
{
	size_t i;
	int r, ap;

	for (i = 0; i < c->nrects; i++) {
		const struct pdf_widget_rect *wr = &c->rects[i];
		qpdf_oh page = c->doc->pages[wr->page - 1];
		if (wr->nslices == 0) { /* invisible signature: no appearance */
			ap = 0;
		} else if ((ap = sign_ap_shared(c, i)) == 0 && (ap = sign_ap_write(c, i, ei)) < 0) {
			return ap;
		}
		c->apobj[i] = ap;
		if (c->fill) {
			if ((r = write_filled_widget(c, i, ap, ei)) < 0)
				return r;
			continue;
		}
		if ((r = pdfw_begin(&c->w, c->wobj[i], 0, ei)) < 0)
			return r;
		if (sp_buf_addstr(&c->w.b, "<</Type /Annot /Subtype /Widget ") < 0)
			return sign_nomem(ei);
		if (c->wobj[i] == c->field) {
			/* One widget: field and widget merged, as most signers write it. */
			if ((r = field_keys(c, ei)) < 0)
				return r;
		} else if (sp_buf_printf(&c->w.b, "/Parent %d 0 R /V %d 0 R ", c->field, c->sig) <
			   0) {
			/* /V repeated on each kid: poppler before 25 reads a signature
			 * field's widgets as fields of their own and finds no value. */
			return sign_nomem(ei);
		}
		if (sp_buf_printf(&c->w.b, " /F 132 /P %d %d R /Rect [",
				  qpdf_oh_get_object_id(c->doc->q, page),
				  qpdf_oh_get_generation(c->doc->q, page)) < 0 ||
		    pdfw_num(&c->w.b, wr->rect.x0) < 0 || sp_buf_add(&c->w.b, " ", 1) < 0 ||
		    pdfw_num(&c->w.b, wr->rect.y0) < 0 || sp_buf_add(&c->w.b, " ", 1) < 0 ||
		    pdfw_num(&c->w.b, wr->rect.x1) < 0 || sp_buf_add(&c->w.b, " ", 1) < 0 ||
		    pdfw_num(&c->w.b, wr->rect.y1) < 0 || sp_buf_add(&c->w.b, "]", 1) < 0 ||
		    (ap && sp_buf_printf(&c->w.b, " /AP <</N %d 0 R>>", ap) < 0) ||
		    (c->tag_key0 >= 0 &&
		     sp_buf_printf(&c->w.b, " /StructParent %d", c->tag_key0 + (int)i) < 0) ||
		    sp_buf_addstr(&c->w.b, ">>") < 0 || pdfw_end(&c->w) < 0)
			return sign_nomem(ei);
	}
	return SP_OK;
}

/*
 * "[old items... new refs]" where old is an array handle (or not an array),
 * written in the object whose keys k are. old is the value under key of
 * doc's object onum (generation ogen; "" that object itself, 0: none named).
 */
static int
array_plus(struct sp_buf *b, struct pdf_doc *doc, int onum, int ogen, const char *key, qpdf_oh old,
	   const struct pdf_okey *k_, const int *add, size_t nadd)
{
	qpdf_data q = doc->q;
	int i, n = qpdf_oh_is_array(q, old) ? qpdf_oh_get_array_n_items(q, old) : 0, *refs = NULL;
	size_t k;

	if (sp_buf_add(b, "[", 1) < 0)
		return SP_ERR_TOO_LARGE;
	/* only references (every earlier signer's field or widget): the same bytes, in bulk,
	   as the document keeps them read (pdf_doc_key_refs): the completion that stored
	   these bytes read the page's /Annots and the form's /Fields, k items each at a
	   contract's k-th signing, and handed its reads on with its parse */
	if (n > 0 && pdf_doc_key_refs(doc, onum, ogen, key, old, n, &refs)) {
		i = pdfw_refs(b, refs, n, ' ', 1);
		free(refs);
		if (i < 0)
			return SP_ERR_TOO_LARGE;
		n = 0;
	}
	for (i = 0; i < n; i++)
		if (pdfw_obj(b, q, qpdf_oh_get_array_item(q, old, i), k_, 1) < 0 ||
		    sp_buf_add(b, " ", 1) < 0)
			return SP_ERR_TOO_LARGE;
	for (k = 0; k < nadd; k++)
		if (sp_buf_printf(b, "%s%d 0 R", k ? " " : "", add[k]) < 0)
			return SP_ERR_TOO_LARGE;
	return sp_buf_add(b, "]", 1);
}

/* The keys of indirect object obj (qpdf's handle) in the file being written. */
static void
okey_of(const struct sign_ctx *c, qpdf_oh obj, struct pdf_okey *k)
{
	pdfw_okey(&c->w, qpdf_oh_get_object_id(c->doc->q, obj),
		  qpdf_oh_get_generation(c->doc->q, obj), k);
}

/*
 * A new version of an existing indirect object: "N G obj <<body extra>>
 * endobj"; extra's strings are encrypted for obj already.
 */
static int
rewrite_dict_skip(struct sign_ctx *c, qpdf_oh obj, const char *const *skip, size_t nskip,
		  struct sp_buf *extra, struct sp_errinfo *ei)
{
	qpdf_data q = c->doc->q;
	struct pdf_okey k;
	int r;

	if ((r = pdfw_begin(&c->w, qpdf_oh_get_object_id(q, obj), qpdf_oh_get_generation(q, obj),
			    ei)) < 0)
		return r;
	okey_of(c, obj, &k);
	if (sp_buf_addstr(&c->w.b, "<<\n") < 0 ||
	    pdfw_dict_body_skip(&c->w.b, q, obj, skip, nskip, &k, 0) < 0 ||
	    sp_buf_add(&c->w.b, extra->data, extra->len) < 0 || sp_buf_addstr(&c->w.b, ">>") < 0 ||
	    pdfw_end(&c->w) < 0)
		return sp_err(ei, SP_ERR_PDF, "cannot write a new version of object %d",
			      qpdf_oh_get_object_id(q, obj));
	return SP_OK;
}

int
sign_rewrite_dict(struct sign_ctx *c, qpdf_oh obj, const char *const *skip, size_t nskip,
		  struct sp_buf *extra, struct sp_errinfo *ei)
{
	return rewrite_dict_skip(c, obj, skip, nskip, extra, ei);
}

static int
rewrite_dict(struct sign_ctx *c, qpdf_oh obj, const char *skip1, const char *skip2,
	     struct sp_buf *extra, struct sp_errinfo *ei)
{
	const char *skip[2] = { skip1, skip2 };

	return rewrite_dict_skip(c, obj, skip, 2, extra, ei);
}

static int
rewrite_array(struct sign_ctx *c, qpdf_oh arr, const int *add, size_t nadd, struct sp_errinfo *ei)
{
	qpdf_data q = c->doc->q;
	struct pdf_okey k;
	int r;

	if ((r = pdfw_begin(&c->w, qpdf_oh_get_object_id(q, arr), qpdf_oh_get_generation(q, arr),
			    ei)) < 0)
		return r;
	okey_of(c, arr, &k);
	if (array_plus(&c->w.b, c->doc, qpdf_oh_get_object_id(q, arr),
		       qpdf_oh_get_generation(q, arr), "", arr, &k, add, nadd) < 0 ||
	    pdfw_end(&c->w) < 0)
		return sign_nomem(ei);
	return SP_OK;
}

static int
cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y);
}

/*
 * Each sealed page gets its widgets appended to /Annots: a new version of
 * the page's own indirect /Annots array, or of the page itself when the
 * array is direct, absent, or shared with another page (the widgets must
 * not appear on that page too).
 */
static int
update_annots(struct sign_ctx *c, struct sp_errinfo *ei)
{
	qpdf_data q = c->doc->q;
	int np = c->doc->npages, *add = NULL, *ids = NULL, *sorted = NULL, p, r = SP_OK;
	int shared_matters = 0;
	size_t i, n, *start = NULL, *order = NULL;
	unsigned char *spliced = NULL;
	struct sp_buf extra;
	struct pdf_okey pk;

	if (c->fill)
		return SP_OK; /* the field's widget is on its page already */
	sp_buf_init(&extra, (size_t)64 << 20);
	if (!(add = calloc(c->nrects, sizeof(*add))) || !(ids = calloc((size_t)np, sizeof(*ids))) ||
	    !(sorted = calloc((size_t)np, sizeof(*sorted))) ||
	    !(start = calloc((size_t)np + 2, sizeof(*start))) ||
	    !(order = calloc(c->nrects, sizeof(*order))) ||
	    !(spliced = calloc((size_t)np + 1, 1))) {
		r = sp_err(ei, SP_ERR_NOMEM, "out of memory");
		goto out;
	}
	/* Widgets grouped by page, in placement order (a counting sort). */
	for (i = 0; i < c->nrects; i++)
		start[c->rects[i].page + 1]++;
	for (p = 1; p <= np + 1; p++)
		start[p] += start[p - 1];
	for (i = 0; i < c->nrects; i++)
		order[start[c->rects[i].page]++] = i;
	for (p = np + 1; p > 0; p--)
		start[p] = start[p - 1];
	start[0] = 0;
	/* a page whose bytes take the widgets as they are (sign_splice.c): done */
	for (p = 1; p <= np && r >= 0; p++) {
		for (i = start[p], n = 0; i < start[p + 1]; i++)
			add[n++] = c->wobj[order[i]];
		if (n > 0 && (r = sign_annots_splice(c, p, add, n, ei)) == 1)
			spliced[p] = 1; /* its widgets are written */
	}
	if (r < 0)
		goto out;
	r = SP_OK;
	/* Whether an indirect array is shared asks every page for its /Annots, which
	   parses every page object of the document (prepare otherwise reads only the
	   pages it seals: pdf_page_get): only when a sealed page has one. */
	for (p = 1; p <= np && !shared_matters; p++)
		if (start[p] < start[p + 1] && !spliced[p] &&
		    qpdf_oh_is_indirect(q, qpdf_oh_get_key(q, c->doc->pages[p - 1], "/Annots")))
			shared_matters = 1;
	for (p = 0; p < np && shared_matters; p++) {
		qpdf_oh a = qpdf_oh_get_key(q, c->doc->pages[p], "/Annots");
		if (qpdf_oh_is_indirect(q, a) && qpdf_oh_is_array(q, a))
			ids[p] = qpdf_oh_get_object_id(q, a);
		sorted[p] = ids[p];
	}
	if (shared_matters)
		qsort(sorted, (size_t)np, sizeof(*sorted), cmp_int);
	for (p = 1; p <= np && r >= 0; p++) {
		qpdf_oh page = c->doc->pages[p - 1], annots;
		int *hit, tabs;
		for (i = start[p], n = 0; i < start[p + 1]; i++)
			add[n++] = c->wobj[order[i]];
		if (!n || spliced[p])
			continue;
		annots = qpdf_oh_get_key(q, page, "/Annots");
		hit = ids[p - 1]
			      ? bsearch(&ids[p - 1], sorted, (size_t)np, sizeof(*sorted), cmp_int)
			      : NULL;
		/* PDF/UA-1 §7.18.3: a tagged document's page with annotations orders
		   them by the structure tree (tag_widgets.c tags ours) */
		tabs = c->tag_key0 >= 0 && !qpdf_oh_has_key(q, page, "/Tabs");
		sp_buf_reset(&extra);
		if (tabs && sp_buf_addstr(&extra, "/Tabs /S ") < 0) {
			r = sign_nomem(ei);
			break;
		}
		if (hit && !(hit > sorted && hit[-1] == *hit) &&
		    !(hit + 1 < sorted + np && hit[1] == *hit)) {
			r = rewrite_array(c, annots, add, n, ei);
			if (r >= 0 && tabs)
				r = rewrite_dict(c, page, NULL, NULL, &extra, ei);
			continue;
		}
		okey_of(c, page, &pk);
		if (sp_buf_addstr(&extra, "/Annots ") < 0 ||
		    array_plus(&extra, c->doc, qpdf_oh_get_object_id(q, page),
			       qpdf_oh_get_generation(q, page), "/Annots", annots, &pk, add, n) < 0)
			r = sign_nomem(ei);
		else
			r = rewrite_dict(c, page, "/Annots", NULL, &extra, ei);
	}
out:
	sp_buf_cleanup(&extra);
	free(add);
	free(ids);
	free(sorted);
	free(start);
	free(order);
	free(spliced);
	return r;
}

/*
 * /Fields (+ our field) and /SigFlags 3 into the AcroForm, wherever it lives.
 * A new one also says /Type /AcroForm (optional, ignored by readers): the npm
 * registry's @signpdf plain placeholder finds the form to extend by that text,
 * and without it wrote a broken update over our signature.
 */
static int
update_acroform(struct sign_ctx *c, struct sp_errinfo *ei)
{
	qpdf_data q = c->doc->q;
	qpdf_oh root = qpdf_get_root(q), af = qpdf_oh_get_key(q, root, "/AcroForm"), fields;
	struct sp_buf inner, extra;
	struct pdf_okey k; /* of the object the AcroForm's entries are written in */
	int r = SP_ERR_INTERNAL;
	char name[64];
	/*
	 * A form asking viewers to draw its fields (/NeedAppearances) has Adobe
	 * Reader and poppler draw none of our seals: the new version leaves the
	 * key out when every field with a value has its appearance (nothing any
	 * viewer shows of the form changes; the verifier allows it after a
	 * signature). In a certified document too: it is what a form filler
	 * does once the fields have their appearances, which DocMDP P=2 and 3
	 * permit (pyHanko's diff policy, modelled on Acrobat's, lets a form
	 * update change the key; PDFBox's note on PDFBOX-3738 feared Adobe might
	 * not), and P=1 is never signed. Kept, every seal stayed invisible there.
	 */
	int drop = pdf_form_undrawn(c->doc, name, sizeof(name)) == 1;
	const char *skip[3] = { "/Fields", "/SigFlags", drop ? "/NeedAppearances" : NULL };
	size_t nadd = c->fill ? 0 : 1; /* a filled field is in the form already */

	sp_buf_init(&inner, (size_t)16 << 20);
	sp_buf_init(&extra, (size_t)16 << 20);
	if (!qpdf_oh_is_dictionary(q, af)) {
		int num = pdfw_alloc(&c->w);
		if ((r = pdfw_begin(&c->w, num, 0, ei)) < 0)
			goto out;
		if (sp_buf_printf(&c->w.b, "<</Type /AcroForm /Fields [%d 0 R] /SigFlags 3>>",
				  c->field) < 0 ||
		    pdfw_end(&c->w) < 0 || sp_buf_printf(&extra, "/AcroForm %d 0 R", num) < 0) {
			r = sign_nomem(ei);
			goto out;
		}
		r = rewrite_dict(c, root, "/AcroForm", NULL, &extra, ei);
		goto out;
	}
	okey_of(c, qpdf_oh_is_indirect(q, af) ? af : root, &k);
	/* /Fields: a new version of an indirect array, or a direct copy plus ours. */
	fields = qpdf_oh_get_key(q, af, "/Fields");
	if (qpdf_oh_is_indirect(q, fields) && qpdf_oh_is_array(q, fields)) {
		if (nadd && (r = rewrite_array(c, fields, &c->field, 1, ei)) < 0)
			goto out;
		if (sp_buf_printf(&inner, "/Fields %d %d R /SigFlags 3",
				  qpdf_oh_get_object_id(q, fields),
				  qpdf_oh_get_generation(q, fields)) < 0) {
			r = sign_nomem(ei);
			goto out;
		}
	} else if (sp_buf_addstr(&inner, "/Fields ") < 0 ||
		   array_plus(&inner, c->doc,
			      qpdf_oh_is_indirect(q, af) ? qpdf_oh_get_object_id(q, af) : 0,
			      qpdf_oh_is_indirect(q, af) ? qpdf_oh_get_generation(q, af) : 0,
			      "/Fields", fields, &k, &c->field, nadd) < 0 ||
		   sp_buf_addstr(&inner, " /SigFlags 3") < 0) {
		r = sign_nomem(ei);
		goto out;
	}
	if (qpdf_oh_is_indirect(q, af)) {
		r = rewrite_dict_skip(c, af, skip, 3, &inner, ei);
		goto out;
	}
	if (sp_buf_addstr(&extra, "/AcroForm <<\n") < 0 ||
	    pdfw_dict_body_skip(&extra, q, af, skip, 3, &k, 1) < 0 ||
	    sp_buf_add(&extra, inner.data, inner.len) < 0 || sp_buf_addstr(&extra, ">>") < 0) {
		r = sign_nomem(ei);
		goto out;
	}
	r = rewrite_dict(c, root, "/AcroForm", NULL, &extra, ei);
out:
	sp_buf_cleanup(&inner);
	sp_buf_cleanup(&extra);
	return r;
}

static int
name_taken(const struct pdf_doc *doc, const char *name)
{
	size_t i;

	for (i = 0; i < doc->nfieldnames; i++)
		if (strcmp(doc->fieldnames[i], name) == 0)
			return 1;
	return 0;
}

static int
pick_field_name(struct sign_ctx *c, char *out, size_t outsz, struct sp_errinfo *ei)
{
	int n;

	if (c->par->field_name) {
		size_t len = strlen(c->par->field_name);
		if (len == 0 || len >= outsz || strchr(c->par->field_name, '.'))
			return sp_err_reason(ei, SP_ERR_INVALID, "field_name",
					     "signature field name must be 1..%zu characters "
					     "without '.'",
					     outsz - 1);
		if (name_taken(c->doc, c->par->field_name))
			return sp_err_reason(ei, SP_ERR_CONFLICT, "field_name",
					     "a field named \"%.60s\" already exists",
					     c->par->field_name);
		snprintf(out, outsz, "%s", c->par->field_name);
		return SP_OK;
	}
	for (n = c->doc->info.nsigfields + 1; n < 1000000; n++) {
		snprintf(out, outsz, "Signature%d", n);
		if (!name_taken(c->doc, out))
			return SP_OK;
	}
	return sp_err(ei, SP_ERR_LIMIT, "no free signature field name");
}

static void
pdf_date(time_t t, int off_min, char out[64])
{
	time_t lt = t + (time_t)off_min * 60;
	struct tm tm;
	int a = off_min < 0 ? -off_min : off_min;

	gmtime_r(&lt, &tm);
	if (off_min == 0)
		snprintf(out, 64, "D:%04d%02d%02d%02d%02d%02dZ", (tm.tm_year + 1900) % 10000,
			 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	else
		snprintf(out, 64, "D:%04d%02d%02d%02d%02d%02d%c%02d'%02d'",
			 (tm.tm_year + 1900) % 10000, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
			 tm.tm_min, tm.tm_sec, off_min < 0 ? '-' : '+', (a / 60) % 100, a % 60);
}

/*
 * The field signed into locks fields when it is signed (its /Lock, ISO
 * 32000-2 §12.7.5.5): the signature says so in a FieldMDP reference
 * (§12.8.2.4) with the lock's /Action, /Fields and /P, as Acrobat and
 * pyHanko write it. Verifiers read the lock there (pyHanko, Acrobat: only
 * there; ours replaces the field's /Lock with it), so a later update to a
 * locked field is a change this signature does not permit for them too.
 * k: the signature dictionary's keys (its strings encrypted with them).
 */
static int
write_lock_ref(struct sign_ctx *c, const struct pdf_okey *k, struct sp_errinfo *ei)
{
	qpdf_data q = c->doc->q;
	qpdf_oh lk = qpdf_oh_get_key_if_dict(q,
					     qpdf_get_object_by_id(q, c->slot.field_obj,
								   c->slot.field_gen),
					     "/Lock"),
		root = qpdf_get_root(q), v;
	struct sp_buf *b = &c->w.b;

	if (!qpdf_oh_is_dictionary(q, lk))
		return SP_OK;
	if (sp_buf_addstr(b, "\n/Reference [<< /Type /SigRef /TransformMethod /FieldMDP "
			     "/TransformParams << /Type /TransformParams") < 0)
		return sign_nomem(ei);
	if (qpdf_oh_has_key(q, lk, "/Action") &&
	    (sp_buf_addstr(b, " /Action ") < 0 ||
	     pdfw_obj(b, q, qpdf_oh_get_key(q, lk, "/Action"), k, 1) < 0))
		return sign_nomem(ei);
	if (qpdf_oh_has_key(q, lk, "/Fields") &&
	    (sp_buf_addstr(b, " /Fields ") < 0 ||
	     pdfw_obj(b, q, qpdf_oh_get_key(q, lk, "/Fields"), k, 1) < 0))
		return sign_nomem(ei);
	v = qpdf_oh_get_key(q, lk, "/P");
	if (qpdf_oh_is_integer(q, v) &&
	    sp_buf_printf(b, " /P %lld", qpdf_oh_get_int_value(q, v)) < 0)
		return sign_nomem(ei);
	/* /Data: the object the changes are judged from, the catalog (ISO 32000-1 Table 253) */
	if (sp_buf_printf(b, " /V /1.2 >> /Data %d %d R >>]", qpdf_oh_get_object_id(q, root),
			  qpdf_oh_get_generation(q, root)) < 0)
		return sign_nomem(ei);
	return SP_OK;
}

/* The signature dictionary, with /ByteRange and /Contents placeholders. */
static int
write_sigdict(struct sign_ctx *c, size_t contents_max, struct sp_errinfo *ei)
{
	static const char zeros[] =
		"0000000000000000000000000000000000000000000000000000000000000000"
		"0000000000000000000000000000000000000000000000000000000000000000";
	struct sp_buf *b = &c->w.b;
	struct pdf_okey k;
	char m[64];
	size_t i, n;
	int r;

	pdf_date(c->par->signing_time, c->par->utc_offset_min, m);
	if ((r = pdfw_begin(&c->w, c->sig, 0, ei)) < 0)
		return r;
	/* its strings encrypted in an encrypted file, all but /Contents (ISO 32000-2
	   §7.6.2: a signature's value is never encrypted) */
	pdfw_okey(&c->w, c->sig, 0, &k);
	if (c->par->doc_timestamp) {
		/* ISO 32000-2 §12.8.5: the time is the token's; no /M, /Reason, /Location */
		if (sp_buf_addstr(b, "<</Type /DocTimeStamp /Filter /Adobe.PPKLite "
				     "/SubFilter /ETSI.RFC3161") < 0)
			return sign_nomem(ei);
	} else if (sp_buf_addstr(b, "<</Type /Sig /Filter /Adobe.PPKLite /SubFilter "
				    "/ETSI.CAdES.detached /M ") < 0 ||
		   (k.c == NULL ? sp_buf_printf(b, "(%s)", m)
				: pdfw_str(b, &k, (const unsigned char *)m, strlen(m))) < 0)
		return sign_nomem(ei);
	if (c->par->reason && !c->par->doc_timestamp &&
	    (sp_buf_addstr(b, " /Reason ") < 0 || pdfw_textstr_k(b, &k, c->par->reason) < 0))
		return sign_nomem(ei);
	if (c->par->location && !c->par->doc_timestamp &&
	    (sp_buf_addstr(b, " /Location ") < 0 || pdfw_textstr_k(b, &k, c->par->location) < 0))
		return sign_nomem(ei);
	if (c->fill && (r = write_lock_ref(c, &k, ei)) < 0)
		return r;
	if (sp_buf_addstr(b, "\n/ByteRange [0 ") < 0)
		return sign_nomem(ei);
	c->br_off = b->len;
	for (i = 0; i < 3; i++)
		if (sp_buf_printf(b, "%0*d%s", BR_WIDTH, 0, i < 2 ? " " : "]\n/Contents ") < 0)
			return sign_nomem(ei);
	c->contents_off = pdfw_off(&c->w);
	c->contents_len = 2 * contents_max + 2;
	if (sp_buf_add(b, "<", 1) < 0)
		return sign_nomem(ei);
	/* the zeros in chunks: one call per byte was 9,000 calls for a 4.5 KB signature */
	for (i = 0; i < 2 * contents_max; i += n) {
		n = 2 * contents_max - i < sizeof(zeros) - 1 ? 2 * contents_max - i
							     : sizeof(zeros) - 1;
		if (sp_buf_add(b, zeros, n) < 0)
			return sign_nomem(ei);
	}
	if (sp_buf_addstr(b, ">>>") < 0 || pdfw_end(&c->w) < 0)
		return sign_nomem(ei);
	return SP_OK;
}

/* /FT /Sig /T (name) /V ref: the field's own keys. */
static int
field_keys(struct sign_ctx *c, struct sp_errinfo *ei)
{
	struct sp_buf *b = &c->w.b;
	struct pdf_okey k;
	char name[128];
	int r;

	if ((r = pick_field_name(c, name, sizeof(name), ei)) < 0)
		return r;
	snprintf(c->name, sizeof(c->name), "%s", name);
	pdfw_okey(&c->w, c->field, 0, &k);
	if (sp_buf_addstr(b, "/FT /Sig /T ") < 0 || pdfw_textstr_k(b, &k, name) < 0 ||
	    sp_buf_printf(b, " /V %d 0 R", c->sig) < 0 ||
	    (c->tag_key0 >= 0 &&
	     (sp_buf_addstr(b, " /TU ") < 0 || pdfw_textstr_k(b, &k, c->tag_name) < 0)))
		return sign_nomem(ei);
	return SP_OK;
}

/* A field of its own with the widgets as /Kids (several placements). */
static int
write_field(struct sign_ctx *c, struct sp_errinfo *ei)
{
	struct sp_buf *b = &c->w.b;
	size_t i;
	int r;

	if (c->fill && !c->slot.merged) {
		/* the empty field's new version: its value, every other key kept */
		const char *skip[1] = { "/V" };
		struct sp_buf extra;
		sp_buf_init(&extra, 64);
		r = sp_buf_printf(&extra, " /V %d 0 R", c->sig) < 0
			    ? sign_nomem(ei)
			    : rewrite_dict_skip(c,
						qpdf_get_object_by_id(c->doc->q, c->slot.field_obj,
								      c->slot.field_gen),
						skip, 1, &extra, ei);
		sp_buf_cleanup(&extra);
		return r;
	}
	if (c->nrects == 1)
		return SP_OK; /* merged into the widget */
	if ((r = pdfw_begin(&c->w, c->field, 0, ei)) < 0)
		return r;
	if (sp_buf_addstr(b, "<<") < 0)
		return sign_nomem(ei);
	if ((r = field_keys(c, ei)) < 0)
		return r;
	if (sp_buf_addstr(b, " /Kids [") < 0)
		return sign_nomem(ei);
	for (i = 0; i < c->nrects; i++)
		if (sp_buf_printf(b, "%s%d 0 R", i ? " " : "", c->wobj[i]) < 0)
			return sign_nomem(ei);
	if (sp_buf_addstr(b, "]>>") < 0 || pdfw_end(&c->w) < 0)
		return sign_nomem(ei);
	return SP_OK;
}

/* Exactly BR_WIDTH characters per number, left-aligned and space padded. */
static void
patch_byte_range(unsigned char *p, const long long br[4])
{
	char s[BR_WIDTH + 2];
	int i;

	for (i = 1; i < 4; i++) {
		snprintf(s, sizeof(s), "%-*lld", BR_WIDTH, br[i]);
		memcpy(p + (size_t)(i - 1) * (BR_WIDTH + 1), s, BR_WIDTH);
	}
}

static void
ctx_cleanup(struct sign_ctx *c)
{
	pdfw_cleanup(&c->w);
	sp_buf_cleanup(&c->t);
	free(c->rects);
	free(c->wobj);
	free(c->apobj);
	free(c->so);
}

static int
prepare(struct pdf_doc *doc, const struct pdf_sig_params *params, const struct pdf_seal *seals,
	size_t nseals, const struct pdf_placement *pl, size_t npl, int update_only,
	struct pdf_sig_prepared *out, struct sp_errinfo *ei)
{
	int r = SP_ERR_INTERNAL;
	struct sign_ctx c;
	size_t i, contents_max;
	int undrawn, xfa;

	memset(out, 0, sizeof(*out));
	memset(&c, 0, sizeof(c));
	c.stencil = -1; /* asked with the first seal picture (sign_ap.c) */
	sp_buf_init(&c.t, (size_t)1 << 20);
	if (!doc || !params) {
		r = sp_err(ei, SP_ERR_INVALID, "no document or parameters");
		goto out;
	}
	if (doc->info.damaged) {
		/* refused, not repaired: an incremental signature keeps the bytes as
		   they are, and readers rebuild a damaged file each their own way */
		r = sp_err_reason(ei, SP_ERR_PDF, "pdf_damaged",
				  "the PDF is damaged (its cross-reference data had to be "
				  "repaired): readers repair such a file each their own way, "
				  "so it cannot be signed incrementally; rewrite it whole "
				  "first if it carries no signature (qpdf IN.pdf OUT.pdf, as "
				  "an upload to the server is rewritten)");
		goto out;
	}
	/* a form that has viewers draw its fields has them draw none of our seals
	   either (form_drawn.c): refused, as an upload of it is (normalize.c); a
	   signature that shows nothing (a document timestamp) loses nothing there */
	if (npl > 0 && !params->doc_timestamp &&
	    (r = pdf_form_drawn_check(doc, &undrawn, ei)) != SP_OK)
		goto out;
	/* and one whose pages only Adobe's viewers replace with the form (a dynamic
	   XFA form): what is signed would read differently in each */
	if (!params->doc_timestamp && (r = pdf_form_xfa_check(doc, &xfa, ei)) != SP_OK)
		goto out;
	if ((r = pdf_crypt_may_sign(doc->crypt,
				    params->doc_timestamp ? "a document timestamp" : "signing",
				    ei)) < 0)
		goto out;
	contents_max = params->contents_max ? params->contents_max : PDF_SIG_CONTENTS_DEFAULT;
	if (contents_max < 1024 || contents_max > PDF_SIG_CONTENTS_MAX) {
		r = sp_err(ei, SP_ERR_INVALID, "signature placeholder of %zu bytes out of range",
			   contents_max);
		goto out;
	}
	c.doc = doc;
	c.par = params;
	c.seals = seals;
	c.ncomp = pdf_intent_ncomp(doc);
	c.srgb = -1; /* asked when first drawn in (sign_ap.c) */
	if (params->doc_timestamp)
		npl = 0; /* a document timestamp shows nothing */
	if ((r = pdf_placements_resolve(doc, seals, nseals, pl, npl, &c.rects, &c.nrects, ei)) < 0)
		goto out;
	/* a field placement resolves alone, to its field's widgets */
	c.fill = c.nrects >= 1 && c.rects[0].mode == PDF_PLACE_FIELD;
	if (c.fill &&
	    ((r = pdf_sig_slot_find(doc, pl[c.rects[0].placement].field, &c.slot, ei)) < 0 ||
	     (r = pdf_sig_slot_seed_check(doc, &c.slot, params, ei)) < 0))
		goto out;
	/* the certification the catalog names, cheaply here (filling its empty
	   field is signing, which P=2 permits); pdf_docmdp_check_signable judges
	   every signature's */
	if (c.nrects > 0 && !c.fill && (r = pdf_docmdp_visible_check(doc, ei)) < 0)
		goto out;
	if (c.nrects == 0) {
		/* An invisible signature still needs one widget, zero-sized, on page 1. */
		if (!(c.rects = calloc(1, sizeof(*c.rects)))) {
			r = sp_err(ei, SP_ERR_NOMEM, "out of memory");
			goto out;
		}
		c.rects[0].page = 1;
		c.nrects = 1;
	}
	/* the widgets' pages checked and measured (a placement did; the invisible one's too) */
	for (i = 0; i < c.nrects; i++) {
		const struct pdf_page_info *pi;

		if ((r = pdf_page_get(doc, c.rects[i].page, &pi, ei)) < 0)
			goto out;
	}
	if (!(c.wobj = calloc(c.nrects, sizeof(*c.wobj))) ||
	    !(c.apobj = calloc(c.nrects, sizeof(*c.apobj))) ||
	    !(c.so = calloc(nseals ? nseals : 1, sizeof(*c.so)))) {
		r = sp_err(ei, SP_ERR_NOMEM, "out of memory");
		goto out;
	}
	if ((r = update_only ? pdfw_init_update(&c.w, doc, ei) : pdfw_init(&c.w, doc, ei)) < 0)
		goto out;
	c.sig = pdfw_alloc(&c.w);
	if (c.fill) {
		if (c.slot.nwidgets != c.nrects) {
			/* the field's widgets changed between the two reads: never */
			r = sp_err(ei, SP_ERR_INTERNAL, "signature field read twice differently");
			goto out;
		}
		c.field = c.slot.field_obj;
		for (i = 0; i < c.nrects; i++)
			c.wobj[i] = c.slot.widgets[i].obj;
		snprintf(c.name, sizeof(c.name), "%s", c.slot.name);
	} else {
		c.field = pdfw_alloc(&c.w);
		for (i = 0; i < c.nrects; i++)
			c.wobj[i] = c.nrects == 1 ? c.field : pdfw_alloc(&c.w);
	}
	sign_tags_plan(&c);
	if ((r = write_sigdict(&c, contents_max, ei)) < 0 || (r = write_field(&c, ei)) < 0 ||
	    (r = sign_ap_images_write(&c, seals, ei)) < 0 || (r = write_widgets(&c, ei)) < 0 ||
	    (r = sign_tags_write(&c, ei)) < 0 || (r = update_annots(&c, ei)) < 0 ||
	    (r = update_acroform(&c, ei)) < 0 || (r = pdfw_finish(&c.w, doc, ei)) < 0)
		goto out;
	/* qpdf answers a broken object with a default value and a pending error,
	 * and repairs a bad xref offset when it first meets it: an update built
	 * on either is refused. */
	pdf_doc_scan_warnings(doc);
	if (doc->info.damaged) {
		r = sp_err_reason(ei, SP_ERR_PDF, "pdf_damaged",
				  "the PDF is damaged (qpdf repaired it while building the "
				  "update)");
		goto out;
	}
	if (qpdf_has_error(doc->q)) {
		qpdf_error e = qpdf_get_error(doc->q);
		const char *m = qpdf_get_error_message_detail(doc->q, e);
		r = sp_err_reason(ei, SP_ERR_PDF, "pdf_damaged",
				  "reading the PDF for the update: %s", m ? m : "qpdf error");
		goto out;
	}
	out->byte_range[0] = 0;
	out->byte_range[1] = (long long)c.contents_off;
	out->byte_range[2] = (long long)c.contents_off + (long long)c.contents_len;
	out->byte_range[3] = (long long)(pdfw_off(&c.w) - c.contents_off - c.contents_len);
	patch_byte_range(c.w.b.data + c.br_off, out->byte_range);
	if ((r = pdfw_digest(update_only ? doc->data : NULL, c.w.base,
			     update_only ? params->orig_hash : NULL, c.w.b.data, c.w.b.len,
			     c.contents_off, c.contents_off + c.contents_len,
			     params->digest_sm3 ? NULL : out->sha256,
			     params->digest_sm3 ? out->sm3 : NULL,
			     update_only ? out->orig_sha256 : NULL, ei)) < 0)
		goto out;
	out->contents_off = c.contents_off;
	out->contents_len = c.contents_len;
	out->orig_len = doc->len;
	out->len = pdfw_off(&c.w);
	if (update_only)
		out->update = sp_buf_take(&c.w.b, &out->update_len);
	else
		out->data = sp_buf_take(&c.w.b, NULL);
	out->rects = c.rects;
	out->nrects = c.nrects;
	snprintf(out->field, sizeof(out->field), "%s", c.name);
	out->filled = c.fill;
	for (i = 0; i < c.nrects && !c.fill; i++)
		out->visible_new += c.rects[i].nslices > 0;
	c.rects = NULL; /* transferred */
	r = SP_OK;
out:
	ctx_cleanup(&c);
	if (r < 0)
		pdf_sig_prepared_cleanup(out);
	return r;
}

int
pdf_sig_prepare(struct pdf_doc *doc, const struct pdf_sig_params *params,
		const struct pdf_seal *seals, size_t nseals, const struct pdf_placement *pl,
		size_t npl, struct pdf_sig_prepared *out, struct sp_errinfo *ei)
{
	return prepare(doc, params, seals, nseals, pl, npl, 0, out, ei);
}

int
pdf_sig_prepare_update(struct pdf_doc *doc, const struct pdf_sig_params *params,
		       const struct pdf_seal *seals, size_t nseals, const struct pdf_placement *pl,
		       size_t npl, struct pdf_sig_prepared *out, struct sp_errinfo *ei)
{
	return prepare(doc, params, seals, nseals, pl, npl, 1, out, ei);
}

void
pdf_sig_prepared_cleanup(struct pdf_sig_prepared *p)
{
	if (!p)
		return;
	free(p->data);
	free(p->update);
	free(p->rects);
	memset(p, 0, sizeof(*p));
}

/* p[0..len) is all '0': the first block byte by byte, then each next one against it */
static int
all_zeros(const unsigned char *p, size_t len)
{
	size_t i, n, block = len < 256 ? len : 256;

	for (i = 0; i < block; i++)
		if (p[i] != '0')
			return 0;
	for (; i < len; i += n) {
		n = len - i < block ? len - i : block;
		if (memcmp(p + i, p, n) != 0)
			return 0;
	}
	return 1;
}

int
pdf_sig_fill(unsigned char *data, size_t len, size_t contents_off, size_t contents_len,
	     const unsigned char *der, size_t der_len, struct sp_errinfo *ei)
{
	/* written a block at a time, not a call per byte (the fill was 1 % of the server's
	   CPU per signing) */
	char hx[2 * 128 + 1];
	size_t i, n;

	if (!data || contents_len < 2 || contents_off > len || contents_len > len - contents_off ||
	    data[contents_off] != '<' || data[contents_off + contents_len - 1] != '>')
		return sp_err_reason(ei, SP_ERR_INVALID, "sig_placeholder",
				     "no /Contents placeholder at offset %zu", contents_off);
	if (!all_zeros(data + contents_off + 1, contents_len - 2))
		return sp_err_reason(ei, SP_ERR_INVALID, "sig_placeholder",
				     "the /Contents placeholder was already filled");
	if (!der || der_len == 0)
		return sp_err(ei, SP_ERR_INVALID, "empty signature");
	if (der_len > (contents_len - 2) / 2)
		return sp_err_reason(ei, SP_ERR_TOO_LARGE, "sig_too_large",
				     "signature of %zu bytes does not fit the %zu-byte placeholder",
				     der_len, (contents_len - 2) / 2);
	for (i = 0; i < der_len; i += n) {
		n = der_len - i < 128 ? der_len - i : 128;
		sp_hex_upper(der + i, n, hx);
		memcpy(data + contents_off + 1 + 2 * i, hx, 2 * n);
	}
	return SP_OK;
}
