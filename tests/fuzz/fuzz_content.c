/*
 * fuzz_content.c: libFuzzer target for the content-stream tokenizer and the
 * text-state interpreter: the input is run as a page's content stream
 * against a fixed set of resources: a Helvetica with WinAnsi, a Type0
 * Identity-H font with /W and a ToUnicode CMap, a simple font with
 * /Differences and a Form XObject that paints itself.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pdf.h"
#include "text_int.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct pdf_doc *doc;
static qpdf_oh res;

static const char *objs[] = {
	"<< /Type /Catalog /Pages 2 0 R >>",
	"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
	"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 600 800] /Resources 4 0 R /Contents 5 0 R >>",
	"<< /Font << /F1 6 0 R /F2 7 0 R /F3 10 0 R >> /XObject << /X1 11 0 R >> >>",
	"<< /Length 0 >>\nstream\n\nendstream",
	"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
	"<< /Type /Font /Subtype /Type0 /BaseFont /Bar /Encoding /Identity-H /DescendantFonts [8 0 "
	"R] "
	"/ToUnicode 9 0 R >>",
	"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /Bar /DW 1000 /W [1 [500 600] 10 20 700] "
	">>",
	NULL, /* 9: the ToUnicode stream, built below */
	"<< /Type /Font /Subtype /Type1 /BaseFont /Foo /FirstChar 65 /Widths [500 600] "
	"/Encoding << /Differences [65 /uni4E59 /quoteright] >> >>",
	NULL, /* 11: a Form XObject, built below */
};

static const char cmap[] =
	"/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n"
	"1 begincodespacerange <0000> <FFFF> endcodespacerange\n"
	"2 beginbfchar <0001> <4E59> <0002> <D83DDE00> endbfchar\n"
	"2 beginbfrange <000A> <000C> [<7532> <65B9> <0028>] <0014> <0016> <FF08> endbfrange\n"
	"endcmap CMapName currentdict /CMap defineresource pop end end";

static const char form[] = "BT /F1 10 Tf 10 10 Td (AB) Tj ET /X1 Do";

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct sp_buf b;
	size_t off[16], len, i, xref, n = SP_ARRAY_LEN(objs);
	unsigned char *pdf;
	struct sp_errinfo ei;
	int ok = 1;

	(void)argc;
	(void)argv;
	sp_buf_init(&b, 1 << 20);
	ok &= sp_buf_addstr(&b, "%PDF-1.7\n") == SP_OK;
	for (i = 0; i < n; i++) {
		off[i] = b.len;
		ok &= sp_buf_printf(&b, "%zu 0 obj\n", i + 1) == SP_OK;
		if (i == 8)
			ok &= sp_buf_printf(&b, "<< /Length %zu >>\nstream\n%s\nendstream",
					    strlen(cmap), cmap) == SP_OK;
		else if (i == 10)
			ok &= sp_buf_printf(&b,
					    "<< /Type /XObject /Subtype /Form /BBox [0 0 100 100] "
					    "/Matrix [1 0 0 1 5 5] /Length %zu "
					    ">>\nstream\n%s\nendstream",
					    strlen(form), form) == SP_OK;
		else
			ok &= sp_buf_addstr(&b, objs[i]) == SP_OK;
		ok &= sp_buf_addstr(&b, "\nendobj\n") == SP_OK;
	}
	xref = b.len;
	ok &= sp_buf_printf(&b, "xref\n0 %zu\n0000000000 65535 f \n", n + 1) == SP_OK;
	for (i = 0; i < n; i++)
		ok &= sp_buf_printf(&b, "%010zu 00000 n \n", off[i]) == SP_OK;
	ok &= sp_buf_printf(&b, "trailer\n<< /Size %zu /Root 1 0 R >>\nstartxref\n%zu\n%%%%EOF\n",
			    n + 1, xref) == SP_OK;
	if (!ok)
		abort();
	pdf = sp_buf_take(&b, &len);
	sp_errinfo_init(&ei);
	if (pdf_doc_open(pdf, len, &doc, &ei) != SP_OK) {
		fprintf(stderr, "fuzz_content: setup: %s\n", ei.msg);
		abort();
	}
	free(pdf);
	res = tobj_key(doc, doc->pages[0], "/Resources");
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct text_page tp = { 0 };
	struct sp_errinfo ei;
	size_t i;

	sp_errinfo_init(&ei);
	if (text_stream_extract(doc, data, size, res, NULL, &tp, &ei) == SP_OK) {
		for (i = 0; i < tp.n; i++)
			if (!(tp.c[i].x0 <= tp.c[i].x1) || !(tp.c[i].y0 <= tp.c[i].y1))
				abort(); /* boxes are ordered and never NaN */
	}
	text_page_cleanup(&tp);
	tobj_drain(doc);
	return 0;
}
