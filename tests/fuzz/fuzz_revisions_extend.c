/*
 * fuzz_revisions_extend.c: libFuzzer target, differential. A completion
 * finds the revisions of the file it signed from those of the stored base
 * (pdf_revisions_extend), walking only what the update added; the bytes of
 * the base are the uploader's and the update could be anyone's in a
 * verification that reuses stored results. Whenever the extension answers,
 * it must be exactly what pdf_revisions_find() finds in the whole file, for
 * every prefix the known revisions could have been found in. And whenever
 * pdf_revisions_find() accepts the bytes and qpdf reads them without a
 * repair, both read the same newest section: qpdf's trailer names in /Prev
 * the section before it that the chain found (none for one revision). qpdf
 * goes back to an earlier startxref, without a word, when the last is not
 * followed by an integer: "startxref 821abc" read as 821 here was a chain
 * one revision longer than qpdf's. Anything else aborts.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "pdf.h"
#include "pdf_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { REVS_MAX = 64 };

static int
same_rev(const struct pdf_revision *a, const struct pdf_revision *b)
{
	return a->xref == b->xref && a->xref_stream == b->xref_stream && a->xrefstm == b->xrefstm &&
	       a->linearized_main == b->linearized_main && a->eof_end == b->eof_end &&
	       a->end == b->end && a->trailing_garbage == b->trailing_garbage;
}

/* Known revisions found in data[0..known_len), then extended over the whole. */
static void
check_split(const uint8_t *data, size_t size, size_t known_len, int whole_ok,
	    const struct pdf_revision *whole, size_t nwhole)
{
	struct pdf_revision known[REVS_MAX], ext[REVS_MAX];
	size_t nknown = 0, next = 0, i;
	struct sp_errinfo ei;

	sp_errinfo_init(&ei);
	if (known_len == 0 || known_len > size ||
	    pdf_revisions_find(data, known_len, known, REVS_MAX, &nknown, &ei) != SP_OK ||
	    pdf_revisions_extend(data, size, known, nknown, known_len, ext, REVS_MAX, &next) != 1)
		return;
	if (!whole_ok || next != nwhole)
		abort();
	for (i = 0; i < next; i++)
		if (!same_rev(&ext[i], &whole[i]))
			abort();
}

/* qpdf's reading of data, when it needs no repair, ends the chain where whole does. */
static void
check_qpdf(const uint8_t *data, size_t size, const struct pdf_revision *whole, size_t n)
{
	struct pdf_doc *doc = NULL;
	struct sp_errinfo ei;
	qpdf_oh prev;
	long long at = 0;
	size_t i, h = pdf_header_offset(data, size);

	/* a linearized file's first-page trailer names the main section after it */
	for (i = 0; i < n; i++)
		if (whole[i].linearized_main != 0)
			return;
	sp_errinfo_init(&ei);
	if (pdf_doc_open_known(data, size, NULL, 0, &doc, &ei) != SP_OK)
		return;
	if (pdf_doc_damaged(doc)) {
		pdf_doc_free(doc);
		return;
	}
	prev = qpdf_oh_get_key(doc->q, qpdf_get_trailer(doc->q), "/Prev");
	if (qpdf_oh_is_integer(doc->q, prev) && qpdf_oh_get_int_value(doc->q, prev) > 0 &&
	    qpdf_oh_get_int_value(doc->q, prev) < (long long)(size - h)) {
		/* where the section it names starts, past white space, as whole[].xref */
		for (i = (size_t)qpdf_oh_get_int_value(doc->q, prev) + h;
		     i < size && pdf_space(data[i]); i++)
			;
		at = (long long)i;
	}
	if (at != (n > 1 ? whole[n - 2].xref : 0)) {
		fprintf(stderr,
			"fuzz_revisions_extend: qpdf's newest trailer names %lld before it, the "
			"chain of %zu revisions %lld\n",
			at, n, n > 1 ? whole[n - 2].xref : 0);
		abort();
	}
	pdf_doc_free(doc);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pdf_revision whole[REVS_MAX];
	size_t nwhole = 0, i;
	struct sp_errinfo ei;
	int ok;

	sp_errinfo_init(&ei);
	ok = pdf_revisions_find(data, size, whole, REVS_MAX, &nwhole, &ei) == SP_OK;
	if (ok)
		check_qpdf(data, size, whole, nwhole);
	/* where a stored base ends: after a revision's %%EOF and its end of line, or not */
	for (i = 0; ok && i + 1 < nwhole; i++) {
		check_split(data, size, whole[i].end, ok, whole, nwhole);
		check_split(data, size, whole[i].eof_end, ok, whole, nwhole);
	}
	/* and anywhere else a prefix happens to be a file of its own */
	for (i = 1; i < 8; i++)
		check_split(data, size, size * i / 8, ok, whole, nwhole);
	return 0;
}
