/*
 * test_crypto_cms_pdfsig.c: the CMS from crypto_cms_assemble inside a real
 * (minimal) PDF signature, judged by poppler's pdfsig (NSS) and qpdf — tools
 * nobody here wrote. RSA and ECDSA P-256 (NSS has no SM2). The PKI is made
 * with the openssl command line; the PDF is written here byte by byte so the
 * test depends on crypto/ only.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "crypto.h"
#include "support_tmp.h"

#define CONTENTS_HEX 16384 /* room for the CMS in /Contents, in hex digits */

static char dir[64];

static int
sh(const char *cmd)
{
	char line[2048];

	snprintf(line, sizeof(line), "cd '%s' && ( %s ) >>log.txt 2>&1", dir, cmd);
	return system(line);
}

/* Run cmd and return its output (malloc'd), for reading pdfsig's verdict. */
static char *
sh_out(const char *cmd)
{
	char line[1024];
	struct sp_errinfo ei;
	unsigned char *out = NULL;
	size_t n;

	snprintf(line, sizeof(line), "cd '%s' && ( %s ) >out.txt 2>&1", dir, cmd);
	if (system(line) == -1)
		return NULL;
	snprintf(line, sizeof(line), "%s/out.txt", dir);
	sp_errinfo_init(&ei);
	ck_assert_int_eq(sp_file_read(line, 1 << 20, &out, &n, &ei), SP_OK);
	return (char *)out;
}

static void
pki_setup(void)
{
	/* (the paths made from it are sized for a short one: say so, not truncate) */
	ck_assert_uint_lt((size_t)snprintf(dir, sizeof(dir), "%s", test_tmpdir_new("pdfsig")),
			  sizeof(dir));
	ck_assert_int_eq(
		sh("openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem "
		   "-subj '/CN=pdfsig test root' -days 3 -addext basicConstraints=critical,CA:TRUE "
		   "-addext keyUsage=critical,keyCertSign,cRLSign && "
		   "printf "
		   "'basicConstraints=critical,CA:FALSE\\nkeyUsage=critical,digitalSignature,"
		   "nonRepudiation\\n' >leaf.ext && "
		   "printf "
		   "'basicConstraints=critical,CA:FALSE\\nkeyUsage=critical,digitalSignature\\n"
		   "extendedKeyUsage=critical,timeStamping\\n' >tsa.ext && "
		   "openssl req -new -newkey rsa:2048 -nodes -keyout rsa.key -out rsa.csr "
		   "-subj '/CN=rsa signer/O=Org' && "
		   "openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "
		   "ec.key "
		   "-out ec.csr -subj '/CN=ec signer/O=Org' && "
		   "openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
		   "-keyout tsa.key -out tsa.csr -subj '/CN=pdfsig test TSA' && "
		   "openssl x509 -req -in rsa.csr -CA ca.pem -CAkey ca.key -set_serial 2 -days 3 "
		   "-extfile leaf.ext -out rsa.pem && "
		   "openssl x509 -req -in ec.csr -CA ca.pem -CAkey ca.key -set_serial 3 -days 3 "
		   "-extfile leaf.ext -out ec.pem && "
		   "openssl x509 -req -in tsa.csr -CA ca.pem -CAkey ca.key -set_serial 4 -days 3 "
		   "-extfile tsa.ext -out tsa.pem && "
		   "mkdir nss && certutil -N -d sql:nss --empty-password && "
		   "certutil -A -d sql:nss -n root -t CT,C,C -i ca.pem"),
		0);
}

static void
pki_teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
}

/*
 * A one-page PDF with one signature field whose /Contents is a zero-filled
 * placeholder; *c0 is the offset of '<', the byte ranges are [0, c0) and
 * [c0 + CONTENTS_HEX + 2, len).
 */
static char *
pdf_make(size_t *len, size_t *c0)
{
	static const char *const objs[] = {
		"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [4 0 R] /SigFlags 3 >> >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Annots [4 0 R] >>",
		/* NOLINTNEXTLINE(bugprone-suspicious-missing-comma): one object in two lines */
		"<< /Type /Annot /Subtype /Widget /FT /Sig /Rect [0 0 0 0] /T (Sig1) /P 3 0 R /F 4 "
		"/V 5 0 R >>",
		NULL, /* the signature dictionary, written below */
	};
	struct sp_buf b;
	size_t offs[5], xref, br = 0, i, a;
	char num[80];

	*c0 = 0;
	sp_buf_init(&b, 1 << 20);
	ck_assert_int_eq(sp_buf_addstr(&b, "%PDF-1.7\n"), SP_OK);
	for (i = 0; i < 5; i++) {
		offs[i] = b.len;
		ck_assert_int_eq(sp_buf_printf(&b, "%zu 0 obj\n", i + 1), SP_OK);
		if (objs[i] != NULL) {
			ck_assert_int_eq(sp_buf_addstr(&b, objs[i]), SP_OK);
		} else {
			ck_assert_int_eq(sp_buf_addstr(&b, "<< /Type /Sig /Filter /Adobe.PPKLite "
							   "/SubFilter /ETSI.CAdES.detached "
							   "/M (D:20260101000000Z) /ByteRange "),
					 SP_OK);
			br = b.len;
			ck_assert_int_eq(sp_buf_printf(&b, "[0 %010d %010d %010d] /Contents <", 0,
						       0, 0),
					 SP_OK);
			*c0 = b.len - 1;
			for (a = 0; a < CONTENTS_HEX; a++)
				ck_assert_int_eq(sp_buf_add(&b, "0", 1), SP_OK);
			ck_assert_int_eq(sp_buf_addstr(&b, "> >>"), SP_OK);
		}
		ck_assert_int_eq(sp_buf_addstr(&b, "\nendobj\n"), SP_OK);
	}
	xref = b.len;
	ck_assert_int_eq(sp_buf_addstr(&b, "xref\n0 6\n0000000000 65535 f \n"), SP_OK);
	for (i = 0; i < 5; i++)
		ck_assert_int_eq(sp_buf_printf(&b, "%010zu 00000 n \n", offs[i]), SP_OK);
	ck_assert_int_eq(sp_buf_printf(&b,
				       "trailer\n<< /Size 6 /Root 1 0 R >>\nstartxref\n%zu\n"
				       "%%%%EOF\n",
				       xref),
			 SP_OK);
	/* Now the ranges are known: same width, so no offset moves. */
	a = *c0 + CONTENTS_HEX + 2;
	snprintf(num, sizeof(num), "[0 %010zu %010zu %010zu]", *c0, a, b.len - a);
	memcpy(b.data + br, num, strlen(num));
	return (char *)sp_buf_take(&b, len);
}

static void
sign_pdf(const char *name, const char *out)
{
	struct sp_errinfo ei;
	char path[128], tsa_c[128], tsa_k[128];
	size_t len, c0, a, dlen, alen, siglen, qlen, rlen, toklen, cmslen;
	char *pdf, *hex;
	struct crypto_digest_ctx *dc;
	uint8_t d[CRYPTO_DIGEST_MAX], sig[CRYPTO_SIG_MAX], *attrs, *q, *resp, *tok, *cms;
	enum crypto_sigalg alg;
	struct crypto_tsa *tsa;
	EVP_PKEY *key;
	EVP_MD_CTX *m;
	X509 *cert;
	FILE *f;

	pdf = pdf_make(&len, &c0);
	snprintf(path, sizeof(path), "%s/%s.pem", dir, name);
	ck_assert_ptr_nonnull(f = fopen(path, "r"));
	ck_assert_ptr_nonnull(cert = PEM_read_X509(f, NULL, NULL, NULL));
	fclose(f);
	snprintf(path, sizeof(path), "%s/%s.key", dir, name);
	ck_assert_ptr_nonnull(f = fopen(path, "r"));
	ck_assert_ptr_nonnull(key = PEM_read_PrivateKey(f, NULL, NULL, NULL));
	fclose(f);

	/* prepare: digest the byte ranges, signed attributes */
	sp_errinfo_init(&ei);
	ck_assert_int_eq(crypto_sigalg_for_cert(cert, &alg, &ei), SP_OK);
	a = c0 + CONTENTS_HEX + 2;
	ck_assert_int_eq(crypto_digest_ctx_new(crypto_sigalg_digest(alg), &dc, &ei), SP_OK);
	ck_assert_int_eq(crypto_digest_ctx_update(dc, pdf, c0, &ei), SP_OK);
	ck_assert_int_eq(crypto_digest_ctx_update(dc, pdf + a, len - a, &ei), SP_OK);
	ck_assert_int_eq(crypto_digest_ctx_final(dc, d, &dlen, &ei), SP_OK);
	crypto_digest_ctx_free(dc);
	ck_assert_int_eq(crypto_cms_signed_attrs(cert, alg, d, dlen, &attrs, &alen, &ei), SP_OK);
	/* the token */
	m = EVP_MD_CTX_new();
	siglen = sizeof(sig);
	ck_assert_int_eq(EVP_DigestSignInit(m, NULL, EVP_sha256(), NULL, key), 1);
	ck_assert_int_eq(EVP_DigestSign(m, sig, &siglen, attrs, alen), 1);
	EVP_MD_CTX_free(m);
	/* complete: timestamp, assemble, fill the placeholder */
	snprintf(tsa_c, sizeof(tsa_c), "%s/tsa.pem", dir);
	snprintf(tsa_k, sizeof(tsa_k), "%s/tsa.key", dir);
	ck_assert_int_eq(crypto_tsa_new(tsa_c, tsa_k, NULL, "1.3.6.1.4.1.99999.2", 1000, &tsa, &ei),
			 SP_OK);
	ck_assert_int_eq(crypto_ts_query_new(sig, siglen, NULL, &q, &qlen, &ei), SP_OK);
	ck_assert_int_eq(crypto_tsa_respond(tsa, q, qlen, 1, 0, &resp, &rlen, &ei), SP_OK);
	ck_assert_int_eq(crypto_ts_response_check(resp, rlen, q, qlen, NULL, &tok, &toklen, NULL,
						  &ei),
			 SP_OK);
	ck_assert_msg(crypto_cms_assemble(cert, NULL, attrs, alen, sig, siglen, tok, toklen, &cms,
					  &cmslen, &ei) == SP_OK,
		      "%s", ei.msg);
	ck_assert_uint_le(2 * cmslen, CONTENTS_HEX);
	hex = malloc(2 * cmslen + 1);
	sp_hex(cms, cmslen, hex);
	memcpy(pdf + c0 + 1, hex, 2 * cmslen);
	snprintf(path, sizeof(path), "%s/%s", dir, out);
	ck_assert_int_eq(sp_file_write(path, pdf, len, 0600, &ei), SP_OK);

	free(hex);
	free(cms);
	free(tok);
	free(resp);
	free(q);
	free(attrs);
	free(pdf);
	crypto_tsa_free(tsa);
	EVP_PKEY_free(key);
	X509_free(cert);
}

START_TEST(pdfsig_accepts_the_signature)
{
	static const char *const names[] = { "rsa", "ec" };
	char out[64], cmd[256], *verdict;

	snprintf(out, sizeof(out), "%s.pdf", names[_i]);
	sign_pdf(names[_i], out);
	snprintf(cmd, sizeof(cmd), "pdfsig -nssdir sql:nss %s", out);
	verdict = sh_out(cmd);
	ck_assert_ptr_nonnull(verdict);
	ck_assert_msg(strstr(verdict, "Signature is Valid.") != NULL, "pdfsig: %s", verdict);
	ck_assert_msg(strstr(verdict, "Certificate is Trusted.") != NULL, "pdfsig: %s", verdict);
	ck_assert_ptr_nonnull(strstr(verdict, "Total document signed"));
	ck_assert_ptr_nonnull(strstr(verdict, "ETSI.CAdES.detached"));
	free(verdict);
	snprintf(cmd, sizeof(cmd), "qpdf --check %s", out);
	ck_assert_int_eq(sh(cmd), 0);

	/* One signed byte changed (the page's MediaBox): pdfsig sees it. */
	snprintf(cmd, sizeof(cmd),
		 "sed -i 's|0 0 200 200|0 0 300 200|' %s && pdfsig -nssdir "
		 "sql:nss %s",
		 out, out);
	verdict = sh_out(cmd);
	ck_assert_msg(strstr(verdict, "Digest Mismatch") != NULL, "pdfsig: %s", verdict);
	free(verdict);
}
END_TEST

static Suite *
crypto_cms_pdfsig_suite(void)
{
	Suite *s = suite_create("crypto_cms_pdfsig");
	TCase *tc = tcase_create("pdfsig");

	tcase_add_unchecked_fixture(tc, pki_setup, pki_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, pdfsig_accepts_the_signature, 0, 2);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(crypto_cms_pdfsig_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
