/*
 * test_pdf_text_ops.h: small hand-made PDFs for the text locator's tests
 * (test_pdf_text_ops.c, test_pdf_text_marked.c) and what they assert of
 * them. Header-only (static): each test file uses every helper.
 */
#ifndef SP_TEST_PDF_TEXT_OPS_H
#define SP_TEST_PDF_TEXT_OPS_H

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pdf.h"
#include "text_int.h"

#define EPS 0.02

#define HELV "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"

/* A one-page PDF: obj 4 = resources, 5 = content, 6.. = extras. */
static unsigned char *
build_bin(const unsigned char *content, size_t clen, const char *cdict, const char *contents_ref,
	  const char *resources, const char *pageextra, const char **extras, int nextra,
	  size_t *len)
{
	struct sp_buf b;
	size_t off[32];
	int i, n = 5 + nextra;
	unsigned char *out;

	ck_assert(n < 32);
	sp_buf_init(&b, 1 << 20);
	ck_assert(sp_buf_addstr(&b, "%PDF-1.7\n%\xe2\xe3\xcf\xd3\n") == SP_OK);
	for (i = 1; i <= n; i++) {
		off[i] = b.len;
		ck_assert(sp_buf_printf(&b, "%d 0 obj\n", i) == SP_OK);
		if (i == 1)
			ck_assert(sp_buf_addstr(&b, "<< /Type /Catalog /Pages 2 0 R >>") == SP_OK);
		else if (i == 2)
			ck_assert(sp_buf_addstr(&b, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>") ==
				  SP_OK);
		else if (i == 3)
			ck_assert(sp_buf_printf(&b,
						"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 600 "
						"800] "
						"/Resources 4 0 R /Contents %s %s >>",
						contents_ref, pageextra ? pageextra : "") == SP_OK);
		else if (i == 4)
			ck_assert(sp_buf_addstr(&b, resources) == SP_OK);
		else if (i == 5)
			ck_assert(sp_buf_printf(&b, "<< /Length %zu %s >>\nstream\n", clen,
						cdict) == SP_OK &&
				  sp_buf_add(&b, content, clen) == SP_OK &&
				  sp_buf_addstr(&b, "\nendstream") == SP_OK);
		else
			ck_assert(sp_buf_addstr(&b, extras[i - 6]) == SP_OK);
		ck_assert(sp_buf_addstr(&b, "\nendobj\n") == SP_OK);
	}
	off[0] = b.len;
	ck_assert(sp_buf_printf(&b, "xref\n0 %d\n0000000000 65535 f \n", n + 1) == SP_OK);
	for (i = 1; i <= n; i++)
		ck_assert(sp_buf_printf(&b, "%010zu 00000 n \n", off[i]) == SP_OK);
	ck_assert(sp_buf_printf(&b,
				"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%zu\n%%%%EOF\n",
				n + 1, off[0]) == SP_OK);
	out = sp_buf_take(&b, len);
	sp_buf_cleanup(&b);
	return out;
}

static unsigned char *
build(const char *content, const char *resources, const char *pageextra, const char **extras,
      int nextra, size_t *len)
{
	return build_bin((const unsigned char *)content, strlen(content), "", "5 0 R", resources,
			 pageextra, extras, nextra, len);
}

/* A stream object body. */
static char *
sobj(const char *dict, const char *data)
{
	char *s = NULL;

	ck_assert_int_ge(asprintf(&s, "<< %s /Length %zu >>\nstream\n%s\nendstream", dict,
				  strlen(data), data),
			 0);
	return s;
}

static struct pdf_doc *
open_built(const char *content, const char *resources, const char *pageextra, const char **extras,
	   int nextra)
{
	size_t len;
	unsigned char *pdf = build(content, resources, pageextra, extras, nextra, &len);
	struct pdf_doc *doc = NULL;
	struct sp_errinfo ei;

	sp_errinfo_init(&ei);
	ck_assert_msg(pdf_doc_open(pdf, len, &doc, &ei) == SP_OK, "open: %s", ei.msg);
	free(pdf);
	return doc;
}

static struct pdf_doc *
helv_doc(const char *content, const char *pageextra)
{
	static const char *ex[] = { HELV };

	return open_built(content, "<< /Font << /F1 6 0 R >> >>", pageextra, ex, 1);
}

/* Exactly one hit for needle, at the given box. */
static void
expect_box(struct pdf_doc *doc, const char *needle, double x0, double y0, double x1, double y1)
{
	struct pdf_text_hit *h = NULL;
	size_t n = 0;
	struct sp_errinfo ei;

	sp_errinfo_init(&ei);
	ck_assert_msg(pdf_text_find(doc, needle, &h, &n, &ei) == SP_OK, "%s: %s", needle, ei.msg);
	ck_assert_msg(n == 1, "%s: %zu hits", needle, n);
	ck_assert_msg(h[0].page == 1 && fabs(h[0].x0 - x0) < EPS && fabs(h[0].y0 - y0) < EPS &&
			      fabs(h[0].x1 - x1) < EPS && fabs(h[0].y1 - y1) < EPS,
		      "%s: got [%.3f %.3f %.3f %.3f], want [%.3f %.3f %.3f %.3f]", needle, h[0].x0,
		      h[0].y0, h[0].x1, h[0].y1, x0, y0, x1, y1);
	free(h);
}

static void
expect_text(struct pdf_doc *doc, const char *want)
{
	char *t = NULL;
	size_t len;
	struct sp_errinfo ei;

	sp_errinfo_init(&ei);
	ck_assert_msg(pdf_page_text(doc, 1, &t, &len, &ei) == SP_OK, "%s", ei.msg);
	ck_assert_msg(strcmp(t, want) == 0, "page text \"%s\", want \"%s\"", t, want);
	free(t);
}

/* content c[0..clen) with its stream's cdict, /Contents ref and resources res */
static struct pdf_doc *
open_bin_res(const unsigned char *c, size_t clen, const char *cdict, const char *ref,
	     const char *res, const char **extras, int nextra)
{
	size_t len;
	unsigned char *pdf = build_bin(c, clen, cdict, ref, res, NULL, extras, nextra, &len);
	struct pdf_doc *doc = NULL;
	struct sp_errinfo ei;

	sp_errinfo_init(&ei);
	ck_assert_msg(pdf_doc_open(pdf, len, &doc, &ei) == SP_OK, "open: %s", ei.msg);
	free(pdf);
	return doc;
}

#endif /* SP_TEST_PDF_TEXT_OPS_H */
