/*
 * bench_ltv.c: what long-term validation costs, in process (no HTTP, no
 * database, no network): a contract signed by three signers, each
 * signature PAdES B-T (prepare, RSA-2048 signature, built-in timestamp,
 * CMS, fill), then the B-LT update after each (evidence: chain + CRL,
 * crypto_ltv_add_dss) and the B-LTA document timestamp after the last
 * (crypto_ltv_doc_timestamp). Prints, per signing and per contract, the
 * time (p50/p99 ms) and bytes of B-T and what B-LT and B-LTA add, and the
 * verification time of the finished file at both levels.
 *
 *   bench_ltv PDF [ROUNDS]     (default 20 rounds of a 3-signer contract)
 *
 * Revocation here comes from a CRL in the trust store; on the server the
 * signer's and the TSA's OCSP responses are usually already in the OCSP
 * cache from the completion's own check (one request each otherwise).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "crypto.h"
#include "pdf.h"
#include "util.h"

#define SIGNERS 3
#define ROUNDS_MAX 1000

enum { T_BT, T_LT, T_LT_FIRST, T_LTA, T_CONTRACT, T_VERIFY_BT, T_VERIFY_LTA, T_N };

static double tm_[T_N][ROUNDS_MAX * SIGNERS];
static size_t nt[T_N];
static double by[T_N][ROUNDS_MAX * SIGNERS];

static struct crypto_tsa *tsa;
static EVP_PKEY *key;
static X509 *cert, *ca;
static uint64_t serial = 1;

static void *
pem_read(const char *dir, const char *name, int is_key)
{
	char path[512];
	FILE *f;
	void *x;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "r")) == NULL)
		bench_die(path, NULL);
	x = is_key ? (void *)PEM_read_PrivateKey(f, NULL, NULL, NULL)
		   : (void *)PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	if (!x)
		bench_die(path, NULL);
	return x;
}

/* An empty CRL of the root, valid a day, as PEM in dir/crl.pem. */
static void
write_crl(const char *dir, EVP_PKEY *cakey)
{
	X509_CRL *crl = X509_CRL_new();
	ASN1_TIME *a = ASN1_TIME_set(NULL, time(NULL) - 60),
		  *b = ASN1_TIME_set(NULL, time(NULL) + 86400);
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/crl.pem", dir);
	if (!crl || !a || !b || !X509_CRL_set_version(crl, 1) ||
	    !X509_CRL_set_issuer_name(crl, X509_get_subject_name(ca)) ||
	    !X509_CRL_set1_lastUpdate(crl, a) || !X509_CRL_set1_nextUpdate(crl, b) ||
	    X509_CRL_sign(crl, cakey, EVP_sha256()) <= 0 || (f = fopen(path, "w")) == NULL)
		bench_die("crl", NULL);
	PEM_write_X509_CRL(f, crl);
	fclose(f);
	ASN1_TIME_free(a);
	ASN1_TIME_free(b);
	X509_CRL_free(crl);
}

/* One B-T signature over *data (replaced by the signed file). */
static void
sign_bt(unsigned char **data, size_t *len)
{
	struct pdf_doc *doc = NULL;
	struct pdf_sig_prepared prep;
	struct pdf_sig_params params;
	struct sp_errinfo ei;
	uint8_t *attrs = NULL, *sig = NULL, *q = NULL, *resp = NULL, *tok = NULL, *cms = NULL;
	size_t alen = 0, siglen = 0, qlen = 0, rlen = 0, toklen = 0, cmslen = 0;
	EVP_MD_CTX *md;

	sp_errinfo_init(&ei);
	memset(&params, 0, sizeof(params));
	params.signing_time = time(NULL);
	params.contents_max = 8192;
	if (pdf_doc_open(*data, *len, &doc, &ei) != SP_OK ||
	    pdf_sig_prepare(doc, &params, NULL, 0, NULL, 0, &prep, &ei) != SP_OK ||
	    crypto_cms_signed_attrs(cert, CRYPTO_SIGALG_RSA_SHA256, prep.sha256, 32, &attrs, &alen,
				    &ei) != SP_OK)
		bench_die("prepare", &ei);
	siglen = (size_t)EVP_PKEY_get_size(key);
	if ((sig = malloc(siglen)) == NULL || (md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) != 1 ||
	    EVP_DigestSign(md, sig, &siglen, attrs, alen) != 1)
		bench_die("sign", NULL);
	EVP_MD_CTX_free(md);
	if (crypto_ts_query_new(sig, siglen, NULL, &q, &qlen, &ei) != SP_OK ||
	    crypto_tsa_respond(tsa, q, qlen, serial++, 0, &resp, &rlen, &ei) != SP_OK ||
	    crypto_ts_response_check(resp, rlen, q, qlen, NULL, &tok, &toklen, NULL, &ei) !=
		    SP_OK ||
	    crypto_cms_assemble(cert, NULL, attrs, alen, sig, siglen, tok, toklen, &cms, &cmslen,
				&ei) != SP_OK ||
	    pdf_sig_fill(prep.data, prep.len, prep.contents_off, prep.contents_len, cms, cmslen,
			 &ei) != SP_OK)
		bench_die("timestamp/assemble", &ei);
	free(*data);
	*data = prep.data;
	*len = prep.len;
	prep.data = NULL;
	pdf_sig_prepared_cleanup(&prep);
	pdf_doc_free(doc);
	free(attrs);
	free(sig);
	free(q);
	free(resp);
	free(tok);
	free(cms);
}

static int
local_ts(void *arg, const uint8_t sha256[32], uint8_t **tok, size_t *toklen, time_t *gen,
	 struct sp_errinfo *ei)
{
	uint8_t *q = NULL, *resp = NULL;
	size_t qlen = 0, rlen = 0;
	int r;

	(void)arg;
	if ((r = crypto_ts_query_new_digest(sha256, NULL, &q, &qlen, ei)) == SP_OK &&
	    (r = crypto_tsa_respond(tsa, q, qlen, serial++, 0, &resp, &rlen, ei)) == SP_OK)
		r = crypto_ts_response_check(resp, rlen, q, qlen, NULL, tok, toklen, gen, ei);
	free(q);
	free(resp);
	return r;
}

static void
verify_time(int slot, const unsigned char *d, size_t n, struct crypto_trust *trust,
	    const char *want)
{
	struct crypto_verify_opts vo = { .trust = trust };
	struct crypto_verify_report *rep = NULL;
	struct sp_errinfo ei;
	double t0 = bench_now_ms();
	size_t i;

	sp_errinfo_init(&ei);
	if (crypto_pdf_verify(d, n, &vo, &rep, &ei) != SP_OK)
		bench_die("verify", &ei);
	tm_[slot][nt[slot]] = bench_now_ms() - t0;
	by[slot][nt[slot]++] = (double)n;
	for (i = 0; i < rep->nsigs; i++)
		if (!rep->sigs[i].doc_timestamp && strcmp(rep->sigs[i].level, want) != 0) {
			fprintf(stderr, "bench_ltv: level %s, expected %s (%s)\n",
				rep->sigs[i].level, want, rep->sigs[i].message);
			exit(1);
		}
	crypto_verify_report_free(rep);
}

static void
row(const char *what, int slot)
{
	size_t n = nt[slot];

	qsort(tm_[slot], n, sizeof(double), bench_cmp_double);
	qsort(by[slot], n, sizeof(double), bench_cmp_double);
	printf("  %-40s p50 %7.2f ms  p99 %7.2f ms  %8.0f bytes\n", what, tm_[slot][n / 2],
	       tm_[slot][(n * 99) / 100 < n ? (n * 99) / 100 : n - 1], by[slot][n / 2]);
}

int
main(int argc, char **argv)
{
	char dir[] = "/tmp/sp-bench-ltv.XXXXXX", roots[512], crls[512];
	const char *rp[1], *cp[1];
	unsigned char *pdf = NULL;
	size_t len = 0;
	int rounds = (int)bench_arg(argc, argv, 2, 20, 1, 100000), i, s;
	struct crypto_trust *trust = NULL;
	struct sp_errinfo ei;
	EVP_PKEY *cakey;

	if (argc < 2 || rounds < 1 || rounds > ROUNDS_MAX) {
		fprintf(stderr, "usage: bench_ltv PDF [ROUNDS (1..%d)]\n", ROUNDS_MAX);
		return 64;
	}
	sp_errinfo_init(&ei);
	if (sp_file_read(argv[1], PDF_DOC_MAX_BYTES, &pdf, &len, &ei) != SP_OK)
		bench_die(argv[1], &ei);
	if (mkdtemp(dir) == NULL ||
	    bench_sh("cd %s && ( openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out "
		     "ca.pem "
		     "-days 30 -subj /CN=bench-root -addext basicConstraints=critical,CA:true "
		     "-addext keyUsage=critical,keyCertSign,cRLSign && "
		     "printf 'keyUsage=critical,digitalSignature\\n' >leaf.ext && "
		     "printf 'extendedKeyUsage=critical,timeStamping\\n' >tsa.ext && "
		     "openssl req -new -newkey rsa:2048 -nodes -keyout k.pem -out k.csr -subj "
		     "/CN=signer "
		     "&& openssl x509 -req -in k.csr -CA ca.pem -CAkey ca.key -set_serial 2 -days "
		     "20 "
		     "-extfile leaf.ext -out c.pem && "
		     "openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "
		     "tk.pem "
		     "-out t.csr -subj /CN=tsa && openssl x509 -req -in t.csr -CA ca.pem -CAkey "
		     "ca.key "
		     "-set_serial 3 -days 20 -extfile tsa.ext -out tc.pem ) >/dev/null 2>&1",
		     dir) != 0)
		bench_die("openssl", NULL);
	key = pem_read(dir, "k.pem", 1);
	cert = pem_read(dir, "c.pem", 0);
	ca = pem_read(dir, "ca.pem", 0);
	cakey = pem_read(dir, "ca.key", 1);
	write_crl(dir, cakey);
	{
		char tc[512], tk[512];
		snprintf(tc, sizeof(tc), "%s/tc.pem", dir);
		snprintf(tk, sizeof(tk), "%s/tk.pem", dir);
		if (crypto_tsa_new(tc, tk, NULL, "1.3.6.1.4.1.99999.1.1", 1000, &tsa, &ei) != SP_OK)
			bench_die("tsa", &ei);
	}
	snprintf(roots, sizeof(roots), "%s/ca.pem", dir);
	snprintf(crls, sizeof(crls), "%s/crl.pem", dir);
	rp[0] = roots;
	cp[0] = crls;
	if (crypto_trust_new(rp, 1, NULL, 0, cp, 1, NULL, &trust, &ei) != SP_OK)
		bench_die("trust", &ei);

	for (i = 0; i < rounds; i++) {
		unsigned char *bt = malloc(len), *lt = malloc(len), *fin = NULL, *mid = NULL;
		size_t btn = len, ltn = len, finn = 0, midn = 0, before;
		time_t until, gen;
		double t0, cms_ = 0, cbytes = 0;

		if (!bt || !lt)
			bench_die("memory", NULL);
		memcpy(bt, pdf, len);
		memcpy(lt, pdf, len);
		for (s = 0; s < SIGNERS; s++) {
			/* the B-T chain, for comparison */
			before = btn;
			t0 = bench_now_ms();
			sign_bt(&bt, &btn);
			tm_[T_BT][nt[T_BT]] = bench_now_ms() - t0;
			by[T_BT][nt[T_BT]++] = (double)(btn - before);
			/* the B-LT chain: the same signature, then its DSS */
			sign_bt(&lt, &ltn);
			before = ltn;
			t0 = bench_now_ms();
			if (crypto_ltv_add_dss(trust, NULL, NULL, lt, ltn, 0, NULL, &mid, &midn,
					       &ei) != SP_OK ||
			    !mid)
				bench_die("dss", &ei);
			tm_[T_LT][nt[T_LT]] = bench_now_ms() - t0;
			by[T_LT][nt[T_LT]] = (double)(midn - before);
			cms_ += tm_[T_LT][nt[T_LT]];
			cbytes += by[T_LT][nt[T_LT]];
			if (s == 0) {
				tm_[T_LT_FIRST][nt[T_LT_FIRST]] = tm_[T_LT][nt[T_LT]];
				by[T_LT_FIRST][nt[T_LT_FIRST]++] = by[T_LT][nt[T_LT]];
			}
			nt[T_LT]++;
			free(lt);
			lt = mid;
			ltn = midn;
			mid = NULL;
		}
		before = ltn;
		t0 = bench_now_ms();
		if (crypto_ltv_doc_timestamp(trust, lt, ltn, 0, NULL, local_ts, NULL, &fin, &finn,
					     &until, &gen, &ei) != SP_OK)
			bench_die("document timestamp", &ei);
		tm_[T_LTA][nt[T_LTA]] = bench_now_ms() - t0;
		by[T_LTA][nt[T_LTA]] = (double)(finn - before);
		tm_[T_CONTRACT][nt[T_CONTRACT]] = cms_ + tm_[T_LTA][nt[T_LTA]];
		by[T_CONTRACT][nt[T_CONTRACT]++] = cbytes + by[T_LTA][nt[T_LTA]];
		nt[T_LTA]++;
		verify_time(T_VERIFY_BT, bt, btn, trust, "pades_b_t");
		verify_time(T_VERIFY_LTA, fin, finn, trust, "pades_b_lta");
		free(bt);
		free(lt);
		free(fin);
	}
	printf("bench_ltv: %s (%zu bytes), %d contracts of %d signers\n", argv[1], len, rounds,
	       SIGNERS);
	printf("per signing:\n");
	row("B-T signature (prepare..fill)", T_BT);
	row("+ B-LT: evidence + DSS update (any)", T_LT);
	row("+ B-LT: the first DSS (new certs, CRL)", T_LT_FIRST);
	printf("per contract:\n");
	row("+ B-LTA: document timestamp update", T_LTA);
	row("+ B-LT x3 and B-LTA together", T_CONTRACT);
	row("verify the B-T contract (bytes: file)", T_VERIFY_BT);
	row("verify the B-LTA contract (bytes: file)", T_VERIFY_LTA);
	crypto_trust_free(trust);
	crypto_tsa_free(tsa);
	EVP_PKEY_free(key);
	EVP_PKEY_free(cakey);
	X509_free(cert);
	X509_free(ca);
	free(pdf);
	bench_sh("rm -rf %s", dir);
	return 0;
}
