/*
 * test_pdf_crypt.c: pdf_crypt_open (pdf/crypt.c) on /Encrypt dictionaries an
 * uploader edited: the key we would encrypt our update with must be the
 * one every reader (qpdf first) decrypts it with, and the permissions the
 * one the author wrote; anything else is refused as pdf_encrypted, never
 * signed into. Files are made with qpdf --encrypt from the test contract at
 * test time, then edited byte for byte inside the /Encrypt object (the same
 * length, so the xref stays right).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pdf_int.h"

struct file {
	char *p;
	size_t n;
};

static void
make(struct file *f, const char *args)
{
	const char *src = getenv("SEALPACT_SOURCE_DIR");
	char out[] = "/tmp/sp-crypt-XXXXXX", cmd[1024];
	int fd = mkstemp(out);
	FILE *in;
	long n;

	ck_assert_ptr_nonnull(src);
	ck_assert_int_ge(fd, 0);
	close(fd);
	snprintf(cmd, sizeof(cmd), "qpdf %s %s/tests/fixtures/contracts/contract30.pdf %s", args,
		 src, out);
	ck_assert_int_eq(system(cmd), 0);
	ck_assert_ptr_nonnull(in = fopen(out, "rb"));
	fseek(in, 0, SEEK_END);
	n = ftell(in);
	rewind(in);
	ck_assert_ptr_nonnull(f->p = malloc((size_t)n));
	ck_assert_uint_eq(fread(f->p, 1, (size_t)n, in), (size_t)n);
	f->n = (size_t)n;
	fclose(in);
	unlink(out);
}

/* from replaced by to (the same length) inside the /Encrypt dictionary; once. */
static void
edit(struct file *f, const char *from, const char *to)
{
	char *h = memmem(f->p, f->n, "/Filter /Standard", 17), *lo, *hi, *at;

	ck_assert_uint_eq(strlen(from), strlen(to));
	ck_assert_ptr_nonnull(h);
	lo = h - 600 > f->p ? h - 600 : f->p;
	hi = h + 600 < f->p + f->n ? h + 600 : f->p + f->n;
	at = memmem(lo, (size_t)(hi - lo), from, strlen(from));
	ck_assert_msg(at != NULL, "no %s in /Encrypt", from);
	memcpy(at, to, strlen(to));
}

/*
 * pdf_crypt_open on f: SP_OK, or the code with ei's message into msg; a file
 * qpdf does not open with the empty password is SP_ERR_UNSUPPORTED,
 * "pdf_encrypted|qpdf" (as the reader reports it).
 */
static int
open_key(const struct file *f, char msg[512])
{
	qpdf_data q = qpdf_init();
	struct pdf_crypt *c = NULL;
	struct sp_errinfo ei;
	int r;

	sp_errinfo_init(&ei);
	qpdf_silence_errors(q);
	qpdf_set_suppress_warnings(q, 1);
	if (qpdf_read_memory(q, "x.pdf", f->p, f->n, "") & QPDF_ERRORS) {
		qpdf_cleanup(&q);
		snprintf(msg, 512, "pdf_encrypted|qpdf");
		return SP_ERR_UNSUPPORTED;
	}
	r = pdf_crypt_open(q, &c, &ei);
	snprintf(msg, 512, "%.64s|%.440s", ei.reason, ei.msg);
	if (r == SP_OK)
		ck_assert_ptr_nonnull(c);
	pdf_crypt_free(c);
	qpdf_cleanup(&q);
	return r;
}

/*
 * V5 derives no per-object key (the file key is every object's, ISO 32000-2
 * §7.6.2 Algorithm 1.A), so a V5 crypt filter can only be /AESV3 (or
 * /Identity, /None): RC4 or AESV2 strings there are read by qpdf with the
 * file key as is, and we would have written them with an MD5-derived one
 * (silently wrong strings in the signature dictionary and the fields).
 */
START_TEST(v5_filters_other_than_aesv3_refused)
{
	static const char *const cfm[] = { "/V2   ", "/AESV2" };
	struct file f;
	char cf[80], msg[512];

	make(&f, "--encrypt '' owner 256 --");
	ck_assert_msg(open_key(&f, msg) == SP_OK, "%s", msg);
	snprintf(cf, sizeof(cf), "/CF << /StdCF << /CFM /AESV3 >> /X << /CFM %s >>           >>",
		 cfm[_i]);
	edit(&f, "/CF << /StdCF << /AuthEvent /DocOpen /CFM /AESV3 /Length 32 >> >>", cf);
	edit(&f, "/StrF /StdCF", "/StrF /X    ");
	ck_assert_int_eq(open_key(&f, msg), SP_ERR_UNSUPPORTED);
	ck_assert_msg(strncmp(msg, "pdf_encrypted|", 14) == 0 && strstr(msg, "in V5"), "%s", msg);
	free(f.p);
}
END_TEST

/*
 * sec35: a named crypt filter whose /CFM is /None (or absent, which means
 * /None) leaves decryption to the security handler itself (ISO 32000-1
 * table 25); it is not /Identity. qpdf reads it as an unknown method
 * ("streams may be decrypted improperly") while we would have written plain
 * bytes: refused like any other method we cannot write.
 */
START_TEST(named_filter_none_refused)
{
	static const char *const cfm[][2] = { { "/CFM /AESV2", "/CFM /None " },
					      { "/CFM /AESV2", "           " } };
	struct file f;
	char msg[512];

	make(&f, "--encrypt '' owner 128 --use-aes=y --");
	ck_assert_msg(open_key(&f, msg) == SP_OK, "%s", msg);
	edit(&f, cfm[_i][0], cfm[_i][1]);
	ck_assert_int_eq(open_key(&f, msg), SP_ERR_UNSUPPORTED);
	ck_assert_msg(strncmp(msg, "pdf_encrypted|", 14) == 0 && strstr(msg, "crypt filter"), "%s",
		      msg);
	free(f.p);
}
END_TEST

/*
 * /P raised by whoever had the file: R2-R4 mix /P into the key (the key
 * check fails); R5 and R6 keep it in /Perms, encrypted with the file key.
 * R5 (Adobe's extension level 3) writes /Perms as R6 does: it is checked
 * too, or a file whose author forbade signing was signed after a byte edit.
 */
START_TEST(raised_permissions_refused)
{
	static const char *const how[] = {
		"--encrypt '' owner 256 --force-R5 --annotate=n --",
		"--encrypt '' owner 256 --annotate=n --",
		"--encrypt '' owner 128 --use-aes=y --annotate=n --",
		"--allow-weak-crypto --encrypt '' owner 128 --use-aes=n --annotate=n --",
	};
	struct file f;
	char msg[512];

	make(&f, how[_i]);
	ck_assert_msg(open_key(&f, msg) == SP_OK, "%s", msg);
	edit(&f, "/P -36", "/P -4 ");
	ck_assert_int_eq(open_key(&f, msg), SP_ERR_UNSUPPORTED);
	ck_assert_msg(strncmp(msg, "pdf_encrypted|", 14) == 0, "%s", msg);
	if (_i < 2)
		ck_assert_msg(strstr(msg, "/Perms does not match /P") != NULL, "%s", msg);
	free(f.p);
}
END_TEST

/*
 * /V, /R and /Length that are unknown or do not go together: refused as
 * pdf_encrypted by qpdf's open or by ours, never a key guessed.
 */
START_TEST(unknown_v_r_length_refused)
{
	static const struct {
		const char *how, *from, *to;
	} e[] = {
		{ "--encrypt '' owner 256 --", "/V 5", "/V 3" },
		{ "--encrypt '' owner 256 --", "/V 5", "/V 6" },
		{ "--encrypt '' owner 256 --", "/R 6", "/R 4" },
		{ "--encrypt '' owner 256 --", "/R 6", "/R 7" },
		{ "--encrypt '' owner 256 --", "/V 5", "/V 4" },
		{ "--encrypt '' owner 128 --use-aes=y --", "/V 4", "/V 5" },
		{ "--encrypt '' owner 128 --use-aes=y --", "/CFM /AESV2", "/CFM /AESV9" },
		{ "--encrypt '' owner 128 --use-aes=y --", "/StmF /StdCF", "/StmF /NoCF " },
		{ "--allow-weak-crypto --encrypt '' owner 128 --use-aes=n --", "/Length 128",
		  "/Length 136" },
		{ "--allow-weak-crypto --encrypt '' owner 128 --use-aes=n --", "/Length 128",
		  "/Length 120" },
		{ "--allow-weak-crypto --encrypt '' owner 128 --use-aes=n --", "/R 3", "/R 5" },
		{ "--allow-weak-crypto --encrypt '' owner 128 --use-aes=n --", "/R 3", "/R 1" },
	};
	struct file f;
	qpdf_data q;
	struct pdf_crypt *c = NULL;
	struct sp_errinfo ei;

	make(&f, e[_i].how);
	edit(&f, e[_i].from, e[_i].to);
	q = qpdf_init();
	qpdf_silence_errors(q);
	qpdf_set_suppress_warnings(q, 1);
	sp_errinfo_init(&ei);
	/* qpdf refuses some itself (the reader reports those as pdf_encrypted) */
	if (!(qpdf_read_memory(q, "x.pdf", f.p, f.n, "") & QPDF_ERRORS)) {
		ck_assert_int_eq(pdf_crypt_open(q, &c, &ei), SP_ERR_UNSUPPORTED);
		ck_assert_str_eq(ei.reason, "pdf_encrypted");
		ck_assert_ptr_null(c);
	}
	qpdf_cleanup(&q);
	free(f.p);
}
END_TEST

/*
 * An object's key is from its number and generation (Algorithm 1), and a
 * new version of it keeps both: a /DSS at generation 1 whose certificate is
 * at generation 2 (an update that reused freed numbers) is written as
 * "5 1 obj" (its strings keyed so) and keeps "6 2 R"; it was written as
 * "5 0 obj" (another object, the catalog's "5 1 R" still the old one) with
 * "6 0 R" (nothing), keyed for generation 0.
 */
START_TEST(dss_of_generation_above_zero_keeps_it)
{
	static const char *const obj[] = {
		"1 0 obj\n<< /Type /Catalog /Pages 2 0 R /DSS 5 1 R >>\nendobj\n",
		"2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n",
		"3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>\nendobj\n",
		"5 1 obj\n<< /Type /DSS /Certs [6 2 R] >>\nendobj\n",
		"6 2 obj\n<< /Length 3 >>\nstream\nabc\nendstream\nendobj\n",
	};
	static const int num[] = { 1, 2, 3, 5, 6 }, gen[] = { 0, 0, 0, 1, 2 };
	char f[4096], *e = f;
	long off[7] = { 0 };
	int i, j, n;
	struct pdf_doc *doc = NULL;
	struct pdf_dss old, now;
	struct pdf_blob cert = { (unsigned char *)"xyz", 3 };
	struct pdf_dss_add add = { .certs = &cert, .ncerts = 1 };
	struct sp_errinfo ei;
	unsigned char *out = NULL;
	size_t outn = 0;

	e += sprintf(e, "%%PDF-1.7\n");
	for (i = 0; i < 5; i++) {
		off[num[i]] = e - f;
		e += sprintf(e, "%s", obj[i]);
	}
	n = (int)(e - f);
	e += sprintf(e, "xref\n0 7\n0000000000 65535 f \n");
	for (j = 1; j < 7; j++) {
		for (i = 0; i < 5 && num[i] != j; i++)
			;
		if (i < 5)
			e += sprintf(e, "%010ld %05d n \n", off[j], gen[i]);
		else
			e += sprintf(e, "0000000000 00000 f \n");
	}
	e += sprintf(e,
		     "trailer\n<< /Size 7 /Root 1 0 R /ID [<0123456789abcdef0123456789abcdef> "
		     "<0123456789abcdef0123456789abcdef>] >>\nstartxref\n%d\n%%%%EOF\n",
		     n);
	sp_errinfo_init(&ei);
	ck_assert_msg(pdf_doc_open((unsigned char *)f, (size_t)(e - f), &doc, &ei) == SP_OK, "%s",
		      ei.msg);
	ck_assert_int_eq(pdf_dss_read(doc, &old, &ei), SP_OK);
	ck_assert_int_eq(old.n[PDF_DSS_CERTS], 1);
	ck_assert_msg(pdf_dss_append(doc, &old, &add, &out, &outn, &ei) == SP_OK, "%s", ei.msg);
	ck_assert_ptr_nonnull(memmem(out + (e - f), outn - (size_t)(e - f), "5 1 obj", 7));
	ck_assert_ptr_nonnull(memmem(out + (e - f), outn - (size_t)(e - f), "6 2 R", 5));
	pdf_dss_cleanup(&old);
	pdf_doc_free(doc);
	/* read back: both certificates */
	doc = NULL;
	ck_assert_msg(pdf_doc_open(out, outn, &doc, &ei) == SP_OK, "%s", ei.msg);
	ck_assert_int_eq(pdf_dss_read(doc, &now, &ei), SP_OK);
	ck_assert_int_eq(now.n[PDF_DSS_CERTS], 2);
	ck_assert_int_eq(memcmp(now.item[PDF_DSS_CERTS][0].data, "abc", 3), 0);
	ck_assert_int_eq(memcmp(now.item[PDF_DSS_CERTS][1].data, "xyz", 3), 0);
	pdf_dss_cleanup(&now);
	pdf_doc_free(doc);
	free(out);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("pdf_crypt");
	TCase *tc = tcase_create("crypt");

	tcase_add_loop_test(tc, v5_filters_other_than_aesv3_refused, 0, 2);
	tcase_add_loop_test(tc, raised_permissions_refused, 0, 4);
	tcase_add_loop_test(tc, named_filter_none_refused, 0, 2);
	tcase_add_loop_test(tc, unknown_v_r_length_refused, 0, 12);
	tcase_add_test(tc, dss_of_generation_above_zero_keeps_it);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(suite());
	int nf;

	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
