/*
 * fuzz_seal_place.c: libFuzzer target over a seal image and one placement
 * as a client sends them: the PNG through pdf_image_png_size and
 * pdf_image_decode_png (what the appearance writer embeds), and the
 * placement through pdf_placements_resolve on a fixed three-page PDF
 * (embedded below: an upright page, one with a CropBox and /Rotate 90, one
 * landscape with /Rotate 270; each says "Party B seal"). Input layout:
 *
 *   byte 0      mode (0..6: 1..5 are the modes, 0 and 6 invalid)
 *   byte 1      page (signed)
 *   bytes 2-5   x, y (signed big-endian 16-bit points)
 *   byte 6      seal index (0 valid, else out of range)
 *   byte 7      seal width in mm (signed; <= 0 means the default)
 *   bytes       page range / occurrences, NUL-terminated
 *   bytes       keyword, NUL-terminated
 *   rest        the PNG
 *
 * Checks the documented contract of a resolved rectangle: on its page,
 * non-empty, and the seam slices numbered within their count.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pdf.h"
#include "pdf_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char tiny_pdf[] =
	"%PDF-1.7\n"
	"1 0 obj\n"
	"<< /Type /Catalog /Pages 2 0 R >>\n"
	"endobj\n"
	"2 0 obj\n"
	"<< /Type /Pages /Kids [3 0 R 4 0 R 5 0 R] /Count 3 >>\n"
	"endobj\n"
	"3 0 obj\n"
	"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 6 0 R /Resources << /Font "
	"<< /F1 7 0 R >> >> >>\n"
	"endobj\n"
	"4 0 obj\n"
	"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /CropBox [10 20 585 822] /Rotate 90 "
	"/Contents 6 0 R /Resources << /Font << /F1 7 0 R >> >> >>\n"
	"endobj\n"
	"5 0 obj\n"
	"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 842 595] /Rotate 270 /Contents 6 0 R "
	"/Resources << /Font << /F1 7 0 R >> >> >>\n"
	"endobj\n"
	"6 0 obj\n"
	"<< /Length 44 >>\n"
	"stream\n"
	"BT /F1 12 Tf 100 700 Td (Party B seal) Tj ET\n"
	"endstream\n"
	"endobj\n"
	"7 0 obj\n"
	"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>\n"
	"endobj\n"
	"xref\n"
	"0 8\n"
	"0000000000 65535 f \n"
	"0000000009 00000 n \n"
	"0000000058 00000 n \n"
	"0000000127 00000 n \n"
	"0000000253 00000 n \n"
	"0000000415 00000 n \n"
	"0000000553 00000 n \n"
	"0000000647 00000 n \n"
	"trailer\n"
	"<< /Size 8 /Root 1 0 R >>\n"
	"startxref\n"
	"744\n"
	"%%EOF\n";

static struct pdf_doc *doc;

/* A NUL-terminated string from the input, copied; NULL when there is none. */
static char *
take_str(const uint8_t **p, size_t *left)
{
	const uint8_t *z = memchr(*p, '\0', *left);
	char *s;
	size_t n;

	if (z == NULL)
		return NULL;
	n = (size_t)(z - *p);
	if ((s = malloc(n + 1)) == NULL)
		abort();
	memcpy(s, *p, n + 1);
	*p += n + 1;
	*left -= n + 1;
	return s;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sp_errinfo ei;
	struct pdf_seal seal = { 0 };
	struct pdf_placement pl;
	struct pdf_widget_rect *w = NULL;
	struct pdf_image img;
	const uint8_t *p;
	char *spec = NULL, *kw = NULL;
	size_t left, nw = 0, i;
	unsigned pw, ph;

	if (doc == NULL) {
		sp_errinfo_init(&ei);
		if (pdf_doc_open((const unsigned char *)tiny_pdf, sizeof(tiny_pdf) - 1, &doc,
				 &ei) != SP_OK)
			abort();
	}
	if (size < 8)
		return 0;
	memset(&pl, 0, sizeof(pl));
	pl.mode = (enum pdf_place_mode)(data[0] % 7);
	/* NOLINTNEXTLINE(bugprone-signed-char-misuse,cert-str34-c): negative pages on purpose */
	pl.page = (int8_t)data[1];
	pl.x = (int16_t)(data[2] << 8 | data[3]);
	pl.y = (int16_t)(data[4] << 8 | data[5]);
	pl.seal = data[6];
	seal.width_mm = (int8_t)data[7];
	p = data + 8;
	left = size - 8;
	if ((spec = take_str(&p, &left)) == NULL || (kw = take_str(&p, &left)) == NULL)
		goto out;
	pl.pages = spec;
	pl.occurrences = spec[0] ? spec : NULL;
	pl.keyword = kw;
	pl.dx = pl.x / 10;
	pl.dy = pl.y / 10;
	seal.png = p;
	seal.png_len = left;

	sp_errinfo_init(&ei);
	if (pdf_image_png_size(p, left, &pw, &ph, &ei) == SP_OK) {
		if (pw == 0 || ph == 0 || pw > PDF_SEAL_MAX_SIDE || ph > PDF_SEAL_MAX_SIDE)
			abort();
		sp_errinfo_init(&ei);
		if (pdf_image_decode_png(p, left, &img, &ei) == SP_OK) {
			if (img.width != pw || img.height != ph || img.rgb == NULL ||
			    img.alpha == NULL)
				abort();
			pdf_image_cleanup(&img);
		}
	}
	sp_errinfo_init(&ei);
	if (pdf_placements_resolve(doc, &seal, 1, &pl, 1, &w, &nw, &ei) == SP_OK) {
		if (nw == 0 || w == NULL)
			abort();
		for (i = 0; i < nw; i++) {
			struct pdf_page_info pi;

			if (w[i].page < 1 || w[i].page > pdf_doc_page_count(doc) ||
			    !(w[i].rect.x0 < w[i].rect.x1) || !(w[i].rect.y0 < w[i].rect.y1) ||
			    w[i].slice < 0 || w[i].slice >= w[i].nslices)
				abort();
			sp_errinfo_init(&ei);
			if (pdf_doc_page_info(doc, w[i].page, &pi, &ei) != SP_OK)
				abort();
			/* Every accepted box lies wholly on its visible page. */
			if (!(w[i].view.x0 >= -1e-6 && w[i].view.y0 >= -1e-6 &&
			      w[i].view.x1 <= pi.width + 1e-6 && w[i].view.y1 <= pi.height + 1e-6))
				abort();
		}
	} else if (w != NULL || nw != 0) {
		abort();
	}
out:
	free(w);
	free(spec);
	free(kw);
	return 0;
}
