/*
 * test_pdf.h: the fixture and helpers of test_pdf.c (the reader, page
 * ranges, placements and the incremental signature writer) and
 * test_pdf_revisions.c (finding and extending revisions, what is handed on
 * to the next signing): a scratch directory and a seal picture for each
 * test, qpdf as the judge, a prepare of every placement kind. Header-only
 * (static), as test_pdf_sign.h, because each test is its own executable.
 */
#ifndef TEST_PDF_H
#define TEST_PDF_H

#define PDF_FN static __attribute__((unused))

#include <stdarg.h>
#include <check.h>
#include <openssl/evp.h>
#include <qpdf/qpdf-c.h>

#include "pdf.h"
#include "pdf_int.h"
#include "../fixtures/pdf-writer/pdfgen.h"
#include "support_tmp.h"

static const char *dir;
static unsigned char *seal;
static size_t seal_len;
static const time_t T0 = 1795000000; /* 2026-11-18 11:06:40 UTC */

PDF_FN struct pdf_doc *
open_ok(const unsigned char *d, size_t n)
{
	struct sp_errinfo ei;
	struct pdf_doc *doc = NULL;

	sp_errinfo_init(&ei);
	ck_assert_msg(pdf_doc_open(d, n, &doc, &ei) == SP_OK, "open: %s", ei.msg);
	return doc;
}

/* Convert the file with the qpdf CLI (e.g. "--object-streams=generate"). */
PDF_FN unsigned char *
qpdf_variant(const unsigned char *d, size_t n, const char *args, size_t *outn)
{
	char in[512], out[512];
	unsigned char *r;

	snprintf(in, sizeof(in), "%s/variant-in.pdf", dir);
	snprintf(out, sizeof(out), "%s/variant-out.pdf", dir);
	write_file(in, d, n);
	ck_assert_int_eq(run("qpdf %s %s %s", args, in, out), 0);
	r = read_file(out, outn);
	ck_assert_ptr_nonnull(r);
	return r;
}

/* Count /Annots on each page and signature fields, reading the file with qpdf. */
PDF_FN void
qpdf_counts(const unsigned char *d, size_t n, int *annots, int maxpages, int *sigfields)
{
	qpdf_data q = qpdf_init();
	qpdf_oh root, fields;
	int i, np;

	qpdf_silence_errors(q);
	ck_assert_int_eq(qpdf_read_memory(q, "out.pdf", (const char *)d, n, "") & QPDF_ERRORS, 0);
	np = qpdf_get_num_pages(q);
	for (i = 0; i < np && i < maxpages; i++) {
		qpdf_oh a = qpdf_oh_get_key(q, qpdf_get_page_n(q, (size_t)i), "/Annots");
		annots[i] = qpdf_oh_is_array(q, a) ? qpdf_oh_get_array_n_items(q, a) : 0;
	}
	root = qpdf_get_root(q);
	fields = qpdf_oh_get_key(q, qpdf_oh_get_key(q, root, "/AcroForm"), "/Fields");
	*sigfields = 0;
	for (i = 0; qpdf_oh_is_array(q, fields) && i < qpdf_oh_get_array_n_items(q, fields); i++) {
		qpdf_oh f = qpdf_oh_get_array_item(q, fields, i);
		if (qpdf_oh_is_name_and_equals(q, qpdf_oh_get_key(q, f, "/FT"), "/Sig"))
			(*sigfields)++;
	}
	ck_assert_int_eq(qpdf_oh_get_int_value(q, qpdf_oh_get_key(q,
								  qpdf_oh_get_key(q, root,
										  "/AcroForm"),
								  "/SigFlags")),
			 3);
	qpdf_cleanup(&q);
}

/* /Info and /ID of the original survive the updates. */
PDF_FN void
trailer_kept(const unsigned char *d, size_t n)
{
	qpdf_data q = qpdf_init();
	qpdf_oh tr;
	size_t len = 0;
	const char *id;

	qpdf_silence_errors(q);
	ck_assert_int_eq(qpdf_read_memory(q, "out.pdf", (const char *)d, n, "") & QPDF_ERRORS, 0);
	tr = qpdf_get_trailer(q);
	ck_assert_str_eq(qpdf_oh_get_utf8_value(q,
						qpdf_oh_get_key(q, qpdf_oh_get_key(q, tr, "/Info"),
								"/Title")),
			 "Contract");
	id = qpdf_oh_get_binary_string_value(q,
					     qpdf_oh_get_array_item(q,
								    qpdf_oh_get_key(q, tr, "/ID"),
								    0),
					     &len);
	ck_assert_uint_eq(len, 16);
	ck_assert_mem_eq(id, "\x00\x11\x22\x33\x44\x55\x66\x77\x88\x99\xaa\xbb\xcc\xdd\xee\xff",
			 16);
	qpdf_cleanup(&q);
}

/* What every prepared file must satisfy; writes it as name and runs qpdf --check. */
PDF_FN void
check_prepared(const struct pdf_sig_prepared *p, const unsigned char *orig, size_t orig_len,
	       enum pdf_xref_kind kind, const char *name)
{
	char path[512];
	const char *br;
	long long a, b, c, z;
	unsigned char md[32];
	unsigned int mdlen = 0;
	EVP_MD_CTX *mc = EVP_MD_CTX_new();

	ck_assert_uint_eq(p->orig_len, orig_len);
	ck_assert_msg(p->len > orig_len && memcmp(p->data, orig, orig_len) == 0,
		      "original bytes are not an exact prefix");
	ck_assert_int_eq(p->byte_range[0], 0);
	ck_assert_int_eq(p->byte_range[1], (long long)p->contents_off);
	ck_assert_int_eq(p->byte_range[2], (long long)(p->contents_off + p->contents_len));
	ck_assert_int_eq(p->byte_range[2] + p->byte_range[3], (long long)p->len);
	ck_assert_int_eq(p->data[p->contents_off], '<');
	ck_assert_int_eq(p->data[p->contents_off + p->contents_len - 1], '>');
	/* The /ByteRange written in the file says the same. */
	br = memmem(p->data + orig_len, p->len - orig_len, "/ByteRange [", 12);
	ck_assert_ptr_nonnull(br);
	ck_assert_int_eq(sscanf(br + 12, "%lld %lld %lld %lld", &z, &a, &b, &c), 4);
	ck_assert(z == 0 && a == p->byte_range[1] && b == p->byte_range[2] &&
		  c == p->byte_range[3]);
	ck_assert(EVP_DigestInit_ex(mc, EVP_sha256(), NULL) &&
		  EVP_DigestUpdate(mc, p->data, (size_t)a) &&
		  EVP_DigestUpdate(mc, p->data + b, (size_t)c) &&
		  EVP_DigestFinal_ex(mc, md, &mdlen));
	EVP_MD_CTX_free(mc);
	ck_assert_mem_eq(md, p->sha256, 32);
	/* The new section is of the previous revision's xref kind. */
	if (kind == PDF_XREF_STREAM)
		ck_assert_ptr_nonnull(
			memmem(p->data + orig_len, p->len - orig_len, "/Type /XRef", 11));
	else
		ck_assert_ptr_nonnull(memmem(p->data + orig_len, p->len - orig_len, "\nxref\n", 6));
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	write_file(path, p->data, p->len);
	ck_assert_msg(run("qpdf --check %s >/dev/null 2>&1", path) == 0, "qpdf --check %s", path);
}

PDF_FN void
setup(void)
{
	dir = test_tmpdir_new("pdf");
	seal = make_seal_png(200, &seal_len);
}

PDF_FN void
teardown(void)
{
	run("rm -rf %s", dir);
	free(seal);
}

/* A prepare of the placements on d, with the seal at its size and at 30 mm. */

PDF_FN int
prepare(const unsigned char *d, size_t n, const struct pdf_placement *pl, size_t npl,
	struct pdf_sig_prepared *p, struct sp_errinfo *ei)
{
	struct pdf_seal s[2] = { { .png = seal, .png_len = seal_len, .width_mm = 0 },
				 { .png = seal, .png_len = seal_len, .width_mm = 30 } };
	struct pdf_sig_params par = { .signing_time = T0,
				      .utc_offset_min = 480,
				      .contents_max = 4096,
				      .reason = "签署合同",
				      .location = "Beijing" };
	struct pdf_doc *doc;
	int r;

	doc = open_ok(d, n);
	sp_errinfo_init(ei);
	r = pdf_sig_prepare(doc, &par, s, 2, pl, npl, p, ei);
	pdf_doc_free(doc);
	return r;
}

#endif
