/*
 * fuzz_xref_merged.c: libFuzzer target, differential. A completion opens the
 * revision it wrote through pdf_xref_merged()'s one table instead of letting
 * qpdf read the chain, and the bytes before our update are the uploader's:
 * the input is such a base (read without a repair, as a signable upload is),
 * and an update is appended to it as sign.c writes one.
 * Whenever a chain is merged and qpdf reads it without a repair, qpdf must
 * read from the merged table exactly what it reads from the chain: the same
 * objects, the same trailer but /Prev, and no repair either. Anything else
 * aborts.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pdf.h"
#include "pdf_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { REVS_MAX = 64, OBJECTS_MAX = 2048 };

static int
same_object(struct pdf_doc *a, struct pdf_doc *b, int num)
{
	qpdf_oh x = qpdf_get_object_by_id(a->q, num, 0), y = qpdf_get_object_by_id(b->q, num, 0);
	char *s = strdup(qpdf_oh_unparse_resolved(a->q, x));
	int same = s != NULL && strcmp(s, qpdf_oh_unparse_resolved(b->q, y)) == 0;

	free(s);
	return same;
}

/* Every key of a's trailer but /Prev is b's with the same value, and b has no other
   but its stream's. */
static int
same_trailer(struct pdf_doc *a, struct pdf_doc *b)
{
	qpdf_oh ta = qpdf_get_trailer(a->q), tb = qpdf_get_trailer(b->q);
	int na = 0, nb = 0, same = 1;

	qpdf_oh_begin_dict_key_iter(a->q, ta);
	while (same && qpdf_oh_dict_more_keys(a->q)) {
		const char *k = qpdf_oh_dict_next_key(a->q);
		char *s;
		if (strcmp(k, "/Prev") == 0)
			continue;
		na++;
		s = strdup(qpdf_oh_unparse(a->q, qpdf_oh_get_key(a->q, ta, k)));
		same = s != NULL && qpdf_oh_has_key(b->q, tb, k) &&
		       strcmp(s, qpdf_oh_unparse(b->q, qpdf_oh_get_key(b->q, tb, k))) == 0;
		free(s);
	}
	/* the merged table is an xref stream: its own keys are b's alone (a trailer
	   that has one is not merged) */
	qpdf_oh_begin_dict_key_iter(b->q, tb);
	while (qpdf_oh_dict_more_keys(b->q)) {
		const char *k = qpdf_oh_dict_next_key(b->q);
		nb += strcmp(k, "/Type") != 0 && strcmp(k, "/W") != 0 && strcmp(k, "/Index") != 0 &&
		      strcmp(k, "/Length") != 0;
	}
	return same && na == nb;
}

/* Every object of doc up to its /Size (bounded) resolved: qpdf repairs lazily. */
static void
touch_all(struct pdf_doc *doc)
{
	struct pdf_doc_info in;
	int num;

	pdf_doc_info_get(doc, &in);
	for (num = 1; num < in.size && num < OBJECTS_MAX; num++)
		(void)qpdf_oh_unparse_resolved(doc->q, qpdf_get_object_by_id(doc->q, num, 0));
}

/*
 * The base (data: any bytes a signable upload could be) and, after it, an
 * update written as sign.c writes one: a new object, a plain table, and the
 * trailer's /Size, /Root, /Info, /ID from qpdf's objects, /Prev last.
 */
static unsigned char *
signed_update(const uint8_t *data, size_t size, size_t *n)
{
	struct pdf_doc *base = NULL;
	struct pdf_doc_info in;
	struct sp_errinfo ei;
	struct sp_buf b;
	qpdf_oh tr, info, id;
	size_t at;

	sp_errinfo_init(&ei);
	sp_buf_init(&b, SIZE_MAX / 2);
	if (pdf_doc_open_known(data, size, NULL, 0, &base, &ei) != SP_OK)
		return NULL;
	touch_all(base);
	pdf_doc_info_get(base, &in);
	if (in.damaged || in.header != 0 || in.size < 1 || in.size >= OBJECTS_MAX) {
		pdf_doc_free(base);
		return NULL;
	}
	tr = qpdf_get_trailer(base->q);
	info = qpdf_oh_get_key(base->q, tr, "/Info");
	id = qpdf_oh_get_key(base->q, tr, "/ID");
	if (sp_buf_add(&b, data, size) < 0 ||
	    sp_buf_printf(&b, "%lld 0 obj\n<< /Fuzz true >>\nendobj\n", in.size) < 0)
		abort();
	at = b.len;
	if (sp_buf_printf(&b, "xref\n%lld 1\n%010zu 00000 n \ntrailer\n<< /Size %lld /Root %d %d R",
			  in.size, size, in.size + 1, in.root_obj, in.root_gen) < 0 ||
	    (qpdf_oh_is_indirect(base->q, info) &&
	     sp_buf_printf(&b, " /Info %d %d R", qpdf_oh_get_object_id(base->q, info),
			   qpdf_oh_get_generation(base->q, info)) < 0) ||
	    (in.has_id && sp_buf_printf(&b, " /ID %s", qpdf_oh_unparse(base->q, id)) < 0) ||
	    sp_buf_printf(&b, " /Prev %lld >>\nstartxref\n%zu\n%%%%EOF\n", in.startxref, at) < 0)
		abort();
	pdf_doc_free(base);
	return sp_buf_take(&b, n);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pdf_revision revs[REVS_MAX];
	struct pdf_doc *plain = NULL, *merged = NULL;
	struct pdf_doc_info a, b;
	struct sp_errinfo ei;
	unsigned char *full, *tail = NULL, *buf = NULL;
	size_t nrevs = 0, tlen = 0, n = 0;
	int num, last, same = 1, bad = 0;
	const char *why = "";

	sp_errinfo_init(&ei);
	if ((full = signed_update(data, size, &n)) == NULL)
		return 0;
	if (pdf_revisions_find(full, n, revs, REVS_MAX, &nrevs, &ei) != SP_OK || nrevs < 2 ||
	    pdf_xref_merged(full, n, revs, nrevs, &tail, &tlen, &ei) != SP_OK)
		goto done;
	if ((buf = malloc(n + tlen)) == NULL)
		abort();
	memcpy(buf, full, n);
	memcpy(buf + n, tail, tlen);
	if (pdf_doc_open_known(buf, n, NULL, 0, &plain, &ei) != SP_OK)
		goto done;
	if (pdf_doc_open_known_merged(buf, n, n + tlen, revs[nrevs - 2].xref, NULL, 0, &merged,
				      &ei) != SP_OK) {
		same = 0;
		why = ei.msg;
		touch_all(plain);
	} else {
		pdf_doc_info_get(plain, &a);
		pdf_doc_info_get(merged, &b);
		last = a.size < OBJECTS_MAX ? (int)a.size : OBJECTS_MAX;
		for (num = 1; num < last && same; num++)
			if (!same_object(plain, merged, num))
				why = "an object", same = 0, bad = num;
		if (same &&
		    (a.size != b.size || a.root_obj != b.root_obj || a.startxref != b.startxref))
			why = "/Size, /Root or startxref", same = 0;
		if (same && !same_trailer(plain, merged))
			why = "the trailer", same = 0;
		if (same && pdf_doc_damaged(merged))
			why = "a repair of the merged table", same = 0;
	}
	/* A chain qpdf reads as it is, the merged table reads alike. One qpdf repairs
	   (though the base alone read without one) is left alone: the completion's
	   check of the document it signed reports the repair either way. */
	if (!pdf_doc_damaged(plain) && !same) {
		fprintf(stderr,
			"fuzz_xref_merged: the merged table differs from the chain: %s %d\n", why,
			bad);
		abort();
	}
done:
	pdf_doc_free(merged);
	pdf_doc_free(plain);
	free(buf);
	free(tail);
	free(full);
	return 0;
}
