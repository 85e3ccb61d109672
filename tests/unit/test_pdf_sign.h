/*
 * test_pdf_sign.h: what the writer's judges share (test_pdf_sign*.c): a
 * scratch directory with an openssl key and certificate and an NSS
 * database for pdfsig, the seal picture, a fixture reader, a prepare signed
 * with the openssl CLI and filled, pdfsig's verdict, and red seal pixels of
 * a page pdftoppm rendered.
 */
#ifndef TEST_PDF_SIGN_H
#define TEST_PDF_SIGN_H

#include <check.h>

#include "support_suite.h"

#include <openssl/evp.h>

#include "pdf.h"
#include "pdf_int.h"
#include "../fixtures/pdf-writer/pdfgen.h"
#include "support_tmp.h"

#define PS_FN static __attribute__((unused))

PS_FN const char *dir;
PS_FN unsigned char *seal;
PS_FN size_t seal_len;
PS_FN const time_t T0 = 1795000000;

PS_FN void
setup(void)
{
	dir = test_tmpdir_new("pdf");
	seal = make_seal_png(240, &seal_len);
	ck_assert_int_eq(run("cd %s && openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem "
			     "-out cert.pem -days 30 -subj /CN=sealpact-pdf-test >/dev/null 2>&1 "
			     "&& "
			     "mkdir nss && certutil -N -d sql:nss --empty-password",
			     dir),
			 0);
}

PS_FN void
teardown(void)
{
	run("rm -rf %s", dir);
	free(seal);
}

/* The fixture at tests/fixtures/REL of the source tree (malloc'd, *n bytes); asserts it is there. */
PS_FN unsigned char *
read_fixture(const char *rel, size_t *n)
{
	const char *src = getenv("SEALPACT_SOURCE_DIR");
	char path[512];
	unsigned char *d;

	snprintf(path, sizeof(path), "%s/tests/fixtures/%s", src ? src : "../..", rel);
	d = read_file(path, n);
	ck_assert_msg(d != NULL, "missing fixture %s", path);
	return d;
}

/* Prepare on d, sign the covered bytes with openssl cms, fill. Returns the new file. */
PS_FN unsigned char *
sign_with_openssl(const unsigned char *d, size_t n, const struct pdf_placement *pl, size_t npl,
		  size_t *outn)
{
	struct pdf_seal s = { .png = seal, .png_len = seal_len, .width_mm = 0 };
	struct pdf_sig_params par = { .signing_time = T0, .utc_offset_min = 480, .digest_sm3 = 1 };
	static const unsigned char zero[32];
	struct pdf_sig_prepared p;
	struct sp_errinfo ei;
	struct pdf_doc *doc = NULL;
	char path[512];
	unsigned char *covered, *der, *out;
	size_t dn;
	FILE *f;

	sp_errinfo_init(&ei);
	ck_assert_msg(pdf_doc_open(d, n, &doc, &ei) == SP_OK, "%s", ei.msg);
	ck_assert_msg(pdf_sig_prepare(doc, &par, &s, 1, pl, npl, &p, &ei) == SP_OK, "%s", ei.msg);
	pdf_doc_free(doc);
	snprintf(path, sizeof(path), "%s/covered.bin", dir);
	f = fopen(path, "wb");
	ck_assert_ptr_nonnull(f);
	covered = p.data;
	ck_assert(fwrite(covered, 1, (size_t)p.byte_range[1], f) == (size_t)p.byte_range[1]);
	ck_assert(fwrite(covered + p.byte_range[2], 1, (size_t)p.byte_range[3], f) ==
		  (size_t)p.byte_range[3]);
	fclose(f);
	/* The SM3 digest the writer returns is OpenSSL's SM3 of the covered bytes. */
	ck_assert_int_eq(run("cd %s && openssl dgst -sm3 -binary covered.bin > sm3.bin", dir), 0);
	snprintf(path, sizeof(path), "%s/sm3.bin", dir);
	der = read_file(path, &dn);
	ck_assert(der != NULL && dn == 32);
	ck_assert_mem_eq(der, p.sm3, 32);
	/* Only the digest asked for is computed: an SM2 signer's prepare skips SHA-256. */
	ck_assert_mem_eq(p.sha256, zero, 32);
	free(der);
	ck_assert_int_eq(run("cd %s && openssl cms -sign -binary -in covered.bin -signer cert.pem "
			     "-inkey key.pem -md sha256 -nosmimecap -outform DER -out sig.der",
			     dir),
			 0);
	snprintf(path, sizeof(path), "%s/sig.der", dir);
	der = read_file(path, &dn);
	ck_assert_ptr_nonnull(der);
	ck_assert_msg(pdf_sig_fill(p.data, p.len, p.contents_off, p.contents_len, der, dn, &ei) ==
			      SP_OK,
		      "%s", ei.msg);
	free(der);
	out = p.data;
	*outn = p.len;
	p.data = NULL; /* transferred */
	pdf_sig_prepared_cleanup(&p);
	return out;
}

/* pdfsig's verdict on signature #k (1-based): valid? total? */
PS_FN void
pdfsig_verdict(const char *file, int k, int *valid, int *total, int *count)
{
	char path[512], key[32];
	unsigned char *txt;
	const char *sec, *next;
	size_t n;

	snprintf(path, sizeof(path), "%s/pdfsig.txt", dir);
	/* pdfsig exits 0 even on a digest mismatch: the text is the verdict. */
	ck_assert_int_eq(run("pdfsig -nssdir sql:%s/nss %s/%s > %s 2>&1", dir, dir, file, path), 0);
	txt = read_file(path, &n);
	ck_assert_ptr_nonnull(txt);
	*count = 0;
	for (sec = (char *)txt; (sec = strstr(sec, "Signature #")); sec++)
		(*count)++;
	snprintf(key, sizeof(key), "Signature #%d:", k);
	sec = strstr((char *)txt, key);
	ck_assert_msg(sec != NULL, "pdfsig output lacks %s:\n%s", key, txt);
	snprintf(key, sizeof(key), "Signature #%d:", k + 1);
	next = strstr(sec, key);
	if (!next)
		next = sec + strlen(sec);
	*valid = memmem(sec, (size_t)(next - sec), "Signature Validation: Signature is Valid.",
			41) != NULL;
	*total = memmem(sec, (size_t)(next - sec), "Total document signed", 21) != NULL &&
		 memmem(sec, (size_t)(next - sec), "Not total document signed", 25) == NULL;
	free(txt);
}

/* Red seal pixels of a rendered page, in a column range [cx0, cx1). */
PS_FN long
red_pixels(const char *png, unsigned *w, unsigned *h, double fx0, double fx1)
{
	png_image im;
	unsigned char *px;
	unsigned x, y;
	long n = 0;

	memset(&im, 0, sizeof(im));
	im.version = PNG_IMAGE_VERSION;
	ck_assert_msg(png_image_begin_read_from_file(&im, png), "cannot read %s", png);
	im.format = PNG_FORMAT_RGB;
	px = malloc(PNG_IMAGE_SIZE(im));
	ck_assert(png_image_finish_read(&im, NULL, px, 0, NULL));
	*w = im.width;
	*h = im.height;
	for (y = 0; y < im.height; y++)
		for (x = (unsigned)(fx0 * im.width); x < (unsigned)(fx1 * im.width); x++) {
			unsigned char *p = px + 3 * ((size_t)y * im.width + x);
			if (p[0] > 150 && p[1] < 90 && p[2] < 90)
				n++;
		}
	free(px);
	return n;
}

/*
 * Red pixels of page 1 of s[0..sn) rendered at 72 dpi, in the columns from
 * fraction fx0 of its width on; written as NAME.pdf in dir, checked by qpdf.
 */
PS_FN long
page1_red(const unsigned char *s, size_t sn, const char *name, double fx0)
{
	char path[512], png[600];
	unsigned w, h;

	snprintf(path, sizeof(path), "%s/%s.pdf", dir, name);
	write_file(path, s, sn);
	ck_assert_int_eq(run("qpdf --check %s >/dev/null", path), 0);
	ck_assert_int_eq(run("pdftoppm -r 72 -png -f 1 -l 1 %s %s/%s", path, dir, name), 0);
	snprintf(png, sizeof(png), "%s/%s-1.png", dir, name);
	return red_pixels(png, &w, &h, fx0, 1);
}

#endif
