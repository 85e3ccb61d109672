/*
 * pdf.h: sealpact's PDF library: reading with qpdf's C API, incremental
 * signature updates with seal appearances, placement resolution (normal,
 * multi-page, seam, keyword, date) and a text locator for keywords.
 *
 * Pure and synchronous: no event loop, no database, no network. Every
 * function may be called from any thread on objects that thread owns.
 */
#ifndef SP_PDF_H
#define SP_PDF_H

#include <stddef.h>
#include <stdint.h>

#include "sp.h"

/* ==== section: document, writer, appearances, placements ==== */
/* ==== end section: document, writer, appearances, placements ==== */

/* ==== section: text locator ==== */
/* ==== end section: text locator ==== */

#endif /* SP_PDF_H */
