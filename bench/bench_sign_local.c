/*
 * bench_sign_local.c: where the time of one signing goes, in process (no
 * HTTP, no database): for a contract PDF, per step, the p50/p99 in
 * milliseconds of open, prepare (update + digest + signed attributes), the
 * token's signature (here an RSA-2048 PEM key), the built-in timestamp,
 * CMS assembly + fill, and the verification engine over the result. Compare
 * with bench/bench_sign.py (the same work through sealpactd) and with
 * `openssl speed` (the floor).
 *
 *   bench_sign_local PDF [ROUNDS]     (e.g. a 10-page contract; default 50 rounds)
 *
 * The key, certificate and TSA are throwaway ones made with the openssl CLI
 * in a temporary directory.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "crypto.h"
#include "pdf.h"
#include "util.h"

enum { S_OPEN, S_PREPARE, S_SIGN, S_TSA, S_ASSEMBLE, S_VERIFY, S_N };
static const char *const names[S_N] = {
	"open",          "prepare+attrs",  "token sign (RSA-2048)", "timestamp (built-in)",
	"assemble+fill", "verify (engine)"
};

int
main(int argc, char **argv)
{
	static double t[S_N][10000];
	char dir[] = "/tmp/sp-bench-sign.XXXXXX", path[512];
	unsigned char *pdf = NULL;
	size_t len = 0;
	int rounds = (int)bench_arg(argc, argv, 2, 50, 1, 100000), i, s;
	struct sp_errinfo ei;
	struct crypto_tsa *tsa = NULL;
	EVP_PKEY *key;
	X509 *cert;
	FILE *f;

	if (argc < 2 || rounds < 1 || rounds > 10000) {
		fprintf(stderr, "usage: bench_sign_local PDF [ROUNDS (1..10000)]\n");
		return 64;
	}
	sp_errinfo_init(&ei);
	if (sp_file_read(argv[1], PDF_DOC_MAX_BYTES, &pdf, &len, &ei) != SP_OK)
		bench_die(argv[1], &ei);
	if (mkdtemp(dir) == NULL ||
	    bench_sh("cd %s && openssl req -x509 -newkey rsa:2048 -nodes -keyout k.pem -out c.pem "
		     "-days 2 -subj /CN=bench -addext keyUsage=critical,digitalSignature "
		     ">/dev/null 2>&1 && openssl req -x509 -newkey ec -pkeyopt "
		     "ec_paramgen_curve:P-256 "
		     "-nodes -keyout tk.pem -out tc.pem -days 2 -subj /CN=tsa -addext "
		     "extendedKeyUsage=critical,timeStamping >/dev/null 2>&1",
		     dir) != 0)
		bench_die("openssl req", NULL);
	snprintf(path, sizeof(path), "%s/k.pem", dir);
	if ((f = fopen(path, "r")) == NULL ||
	    (key = PEM_read_PrivateKey(f, NULL, NULL, NULL)) == NULL)
		bench_die("key", NULL);
	fclose(f);
	snprintf(path, sizeof(path), "%s/c.pem", dir);
	if ((f = fopen(path, "r")) == NULL || (cert = PEM_read_X509(f, NULL, NULL, NULL)) == NULL)
		bench_die("cert", NULL);
	fclose(f);
	{
		char tc[512], tk[512];

		snprintf(tc, sizeof(tc), "%s/tc.pem", dir);
		snprintf(tk, sizeof(tk), "%s/tk.pem", dir);
		if (crypto_tsa_new(tc, tk, NULL, "1.3.6.1.4.1.99999.1.1", 1000, &tsa, &ei) != SP_OK)
			bench_die("tsa", &ei);
	}
	for (i = 0; i < rounds; i++) {
		struct pdf_doc *doc = NULL;
		struct pdf_sig_prepared prep;
		struct pdf_sig_params params;
		struct pdf_placement pl[2];
		struct crypto_verify_report *rep = NULL;
		struct crypto_verify_opts vo = { 0 };
		uint8_t *attrs = NULL, *sig = NULL, *q = NULL, *resp = NULL, *tok = NULL,
			*cms = NULL;
		size_t alen = 0, siglen = 0, qlen = 0, rlen = 0, toklen = 0, cmslen = 0;
		EVP_MD_CTX *md;
		double t0;

		memset(pl, 0, sizeof(pl));
		pl[0].mode = PDF_PLACE_DATE;
		pl[0].page = 1;
		pl[0].x = 400;
		pl[0].y = 120;
		memset(&params, 0, sizeof(params));
		params.signing_time = time(NULL);
		t0 = bench_now_ms();
		if (pdf_doc_open(pdf, len, &doc, &ei) != SP_OK)
			bench_die("open", &ei);
		t[S_OPEN][i] = bench_now_ms() - t0;
		t0 = bench_now_ms();
		if (pdf_sig_prepare(doc, &params, NULL, 0, pl, 1, &prep, &ei) != SP_OK ||
		    crypto_cms_signed_attrs(cert, CRYPTO_SIGALG_RSA_SHA256, prep.sha256, 32, &attrs,
					    &alen, &ei) != SP_OK)
			bench_die("prepare", &ei);
		t[S_PREPARE][i] = bench_now_ms() - t0;
		t0 = bench_now_ms();
		siglen = (size_t)EVP_PKEY_get_size(key);
		if ((sig = malloc(siglen)) == NULL || (md = EVP_MD_CTX_new()) == NULL ||
		    EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) != 1 ||
		    EVP_DigestSign(md, sig, &siglen, attrs, alen) != 1)
			bench_die("sign", NULL);
		EVP_MD_CTX_free(md);
		t[S_SIGN][i] = bench_now_ms() - t0;
		t0 = bench_now_ms();
		if (crypto_ts_query_new(sig, siglen, NULL, &q, &qlen, &ei) != SP_OK ||
		    crypto_tsa_respond(tsa, q, qlen, (uint64_t)i + 1, 0, &resp, &rlen, &ei) !=
			    SP_OK ||
		    crypto_ts_response_check(resp, rlen, q, qlen, NULL, &tok, &toklen, NULL, &ei) !=
			    SP_OK)
			bench_die("timestamp", &ei);
		t[S_TSA][i] = bench_now_ms() - t0;
		t0 = bench_now_ms();
		if (crypto_cms_assemble(cert, NULL, attrs, alen, sig, siglen, tok, toklen, &cms,
					&cmslen, &ei) != SP_OK ||
		    pdf_sig_fill(prep.data, prep.len, prep.contents_off, prep.contents_len, cms,
				 cmslen, &ei) != SP_OK)
			bench_die("assemble", &ei);
		t[S_ASSEMBLE][i] = bench_now_ms() - t0;
		t0 = bench_now_ms();
		memset(&vo, 0, sizeof(vo));
		if (crypto_pdf_verify(prep.data, prep.len, &vo, &rep, &ei) != SP_OK ||
		    rep->nsigs < 1)
			bench_die("verify", &ei);
		t[S_VERIFY][i] = bench_now_ms() - t0;
		crypto_verify_report_free(rep);
		pdf_sig_prepared_cleanup(&prep);
		pdf_doc_free(doc);
		free(attrs);
		free(sig);
		free(q);
		free(resp);
		free(tok);
		free(cms);
	}
	printf("bench_sign_local: %s (%zu bytes), %d rounds, ms per step:\n", argv[1], len, rounds);
	for (s = 0; s < S_N; s++) {
		qsort(t[s], (size_t)rounds, sizeof(double), bench_cmp_double);
		printf("  %-22s p50 %7.2f  p99 %7.2f\n", names[s], t[s][rounds / 2],
		       t[s][(rounds * 99) / 100 < rounds ? (rounds * 99) / 100 : rounds - 1]);
	}
	crypto_tsa_free(tsa);
	EVP_PKEY_free(key);
	X509_free(cert);
	free(pdf);
	bench_sh("rm -rf %s", dir);
	return 0;
}
