/*
 * fuzz_pdf_open.c: libFuzzer target over reading: arbitrary bytes through
 * pdf_doc_open (qpdf), then the text locator on every page: the keyword
 * search and the page text of the first pages.
 */
#include <stdint.h>
#include <stdlib.h>

#include "pdf.h"
#include "pdf_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pdf_doc *doc = NULL;
	struct pdf_text_hit *hits = NULL;
	size_t nhits = 0, len, i;
	struct sp_errinfo ei;
	char *text = NULL;
	int p;

	sp_errinfo_init(&ei);
	if (pdf_doc_open(data, size, &doc, &ei) != SP_OK)
		return 0;
	if (pdf_text_find(doc, "乙方（盖章）", &hits, &nhits, &ei) == SP_OK) {
		for (i = 0; i < nhits; i++)
			if (hits[i].page < 1 || hits[i].page > doc->npages ||
			    !(hits[i].x0 < hits[i].x1) || !(hits[i].y0 < hits[i].y1))
				abort(); /* the documented contract of a hit */
	}
	free(hits);
	for (p = 1; p <= doc->npages && p <= 4; p++) {
		sp_errinfo_init(&ei);
		if (pdf_page_text(doc, p, &text, &len, &ei) == SP_OK)
			free(text);
		text = NULL;
	}
	pdf_doc_free(doc);
	return 0;
}
