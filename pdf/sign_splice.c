/*
 * sign_splice.c: a sealed page's new version written from its own bytes,
 * the widgets' references spliced into its /Annots, without qpdf parsing
 * the page (see sign_annots_splice).
 */
#include <stdlib.h>

#include "pdf_sign_int.h"

/*
 * Page p's new version (p from 1) written by splicing add[0..n) as " N 0 R"
 * before the closing ']' of the direct /Annots array in the page's own
 * bytes, where the newest two sections place a plainly written page
 * (pdf_obj_dict_bytes): 1 when written so, 0 when the qpdf path must write
 * it, an error. The page's /Annots holds 2k references at a contract's
 * k-th signing, which qpdf parsed at 5 to 8 K instructions each only for
 * them to be written again as they were (the prepare after a DSS update
 * reads a page no completion parsed). Every byte of the old object is
 * kept, so the new version says what the old one said plus the widgets:
 * the same object number and generation (an encrypted file's strings
 * would keep their key too, but such a file is left to qpdf's path), a
 * direct array of references only (an indirect one is written as its own
 * object there), and /Tabs /S put first when a tagged document's page has
 * none, as the qpdf path appends it.
 */
int
sign_annots_splice(struct sign_ctx *c, int p, const int *add, size_t n, struct sp_errinfo *ei)
{
	struct pdf_doc *doc = c->doc;
	qpdf_data q = doc->q;
	const unsigned char *d = doc->data;
	struct pdf_obj_dict *dict = NULL;
	const struct pdf_obj_key *a, *t;
	int num = qpdf_oh_get_object_id(q, doc->pages[p - 1]), gen, r = 0;
	size_t end;

	gen = qpdf_oh_get_generation(q, doc->pages[p - 1]);
	if (doc->crypt != NULL || doc->pages_walked)
		return 0;
	if (!(dict = malloc(sizeof(*dict))))
		return sign_nomem(ei);
	if (!pdf_doc_dict_bytes(doc, num, gen, dict) ||
	    (a = pdf_obj_dict_get(d, dict, "/Annots")) == NULL || pdf_obj_value_nrefs(d, a) < 0 ||
	    pdf_obj_dict_get(d, dict, "/Kids") != NULL)
		goto out;
	/* a tagged page's /Tabs that is no name (null, a reference): the qpdf path reads
	   it as absent and writes /S, which a splice would not (review53) */
	if (c->tag_key0 >= 0 && (t = pdf_obj_dict_get(d, dict, "/Tabs")) != NULL &&
	    (t->vn == 0 || d[t->v] != '/'))
		goto out;
	end = a->v + a->vn - 1; /* its ']' */
	if ((r = pdfw_begin(&c->w, num, gen, ei)) < 0)
		goto out;
	r = SP_ERR_NOMEM;
	if (sp_buf_addstr(&c->w.b, "<<") < 0 ||
	    (c->tag_key0 >= 0 && pdf_obj_dict_get(d, dict, "/Tabs") == NULL &&
	     sp_buf_addstr(&c->w.b, "/Tabs /S ") < 0) ||
	    sp_buf_add(&c->w.b, d + dict->open + 2, end - dict->open - 2) < 0)
		goto fail;
	for (size_t i = 0; i < n; i++)
		if (sp_buf_printf(&c->w.b, " %d 0 R", add[i]) < 0)
			goto fail;
	if (sp_buf_add(&c->w.b, d + end, dict->close - end) < 0 || pdfw_end(&c->w) < 0)
		goto fail;
	r = 1;
	goto out;
fail:
	r = sign_nomem(ei);
out:
	free(dict);
	return r;
}
