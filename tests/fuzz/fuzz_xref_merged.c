/*
 * fuzz_xref_merged.c: libFuzzer target, differential. A completion opens the
 * revision it wrote through pdf_xref_merged()'s one table instead of letting
 * qpdf read the chain, and the bytes before our update are the uploader's.
 * Whenever a chain is merged and qpdf reads it without a repair, qpdf must
 * read from the merged table exactly what it reads from the chain: the same
 * objects, the same trailer but /Prev, and no repair either. Anything else
 * aborts.
 */
#include <stdint.h>
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

/* Every key of a's trailer but /Prev is b's with the same value, and b has no other. */
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
	qpdf_oh_begin_dict_key_iter(b->q, tb);
	while (qpdf_oh_dict_more_keys(b->q)) {
		(void)qpdf_oh_dict_next_key(b->q);
		nb++;
	}
	return same && na == nb;
}

/*
 * qpdf's trailer is the newest section's (its /Prev the section before). A
 * newest trailer qpdf cannot parse (a broken token) leaves it an older one
 * without a warning it calls a repair; the completion never meets that, since
 * the newest trailer is the one sign.c wrote from qpdf's own objects.
 */
static int
newest_trailer(struct pdf_doc *d, long long prev)
{
	qpdf_oh p = qpdf_oh_get_key(d->q, qpdf_get_trailer(d->q), "/Prev");

	return qpdf_oh_is_integer(d->q, p) && qpdf_oh_get_int_value(d->q, p) == prev;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pdf_revision revs[REVS_MAX];
	struct pdf_doc *plain = NULL, *merged = NULL;
	struct pdf_doc_info a, b;
	struct sp_errinfo ei;
	unsigned char *tail = NULL, *buf = NULL;
	size_t nrevs = 0, tlen = 0;
	int num, last, same = 1;

	sp_errinfo_init(&ei);
	if (pdf_revisions_find(data, size, revs, REVS_MAX, &nrevs, &ei) != SP_OK || nrevs < 2 ||
	    pdf_xref_merged(data, size, revs, nrevs, &tail, &tlen, &ei) != SP_OK)
		return 0;
	if ((buf = malloc(size + tlen)) == NULL)
		abort();
	memcpy(buf, data, size);
	memcpy(buf + size, tail, tlen);
	if (pdf_doc_open_known(buf, size, NULL, 0, &plain, &ei) != SP_OK ||
	    !newest_trailer(plain, revs[nrevs - 2].xref))
		goto done;
	if (pdf_doc_open_known_merged(buf, size, size + tlen, revs[nrevs - 2].xref, NULL, 0,
				      &merged, &ei) != SP_OK) {
		same = 0;
		for (num = 1; num < OBJECTS_MAX; num++) /* for the repair, if any */
			(void)qpdf_oh_unparse_resolved(plain->q,
						       qpdf_get_object_by_id(plain->q, num, 0));
	} else {
		pdf_doc_info_get(plain, &a);
		pdf_doc_info_get(merged, &b);
		last = a.size < OBJECTS_MAX ? (int)a.size : OBJECTS_MAX;
		for (num = 1; num < last; num++)
			same &= same_object(plain, merged, num);
		same &= a.size == b.size && a.root_obj == b.root_obj &&
			a.startxref == b.startxref && same_trailer(plain, merged) &&
			!pdf_doc_damaged(merged);
	}
	/* A chain qpdf reads as it is, the merged table reads alike. One qpdf repairs is
	   left alone: the completion never meets it (a damaged base is not signable,
	   and the newest section is the one sign.c wrote), so a merged table that
	   reads it otherwise is no difference a user could see. */
	if (!pdf_doc_damaged(plain) && !same)
		abort();
done:
	pdf_doc_free(merged);
	pdf_doc_free(plain);
	free(buf);
	free(tail);
	return 0;
}
