/*
 * pdf_int.h: declarations shared inside pdf/ only.
 *
 * struct pdf_doc is the opened document. The writer/placement code owns this
 * struct and may add fields; the text locator relies on the fields marked
 * "shared" below and on nothing else.
 */
#ifndef SP_PDF_INT_H
#define SP_PDF_INT_H

#include <qpdf/qpdf-c.h>

#include "pdf.h"

struct pdf_doc {
	qpdf_data q;                 /* shared: the qpdf handle, opened on data */
	const unsigned char *data;   /* shared: the original bytes (owned by the doc) */
	size_t len;                  /* shared: their length */
	int npages;                  /* shared: page count */
	qpdf_oh *pages;              /* shared: page dictionaries, index 0 = page 1 */
};

#endif /* SP_PDF_INT_H */
