/*
 * bench_verify.c: verifications per second of the engine (crypto_pdf_verify:
 * revisions, structure, CMS, timestamp, chain, revision differences) on
 * documents with 1, 3 and 10 signatures (RSA-2048 + built-in TSA, signed
 * through the real path), next to poppler's pdfsig on the same files (one
 * process per run, so its figure includes start-up and NSS initialization:
 * that is what a caller of pdfsig pays). Single thread.
 * Usage: bench_verify [seconds per figure, default 2]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../tests/unit/test_verify_corpus.h"
#include "client.h"

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	static const int counts[] = { 1, 3, 10 };
	double budget = argc > 1 ? atof(argv[1]) : 2.0, t0, el;
	const char *roots[1];
	struct crypto_trust *trust = NULL;
	struct crypto_verify_opts o;
	struct sp_errinfo ei;
	unsigned char *d, *next;
	size_t n, nn, i;
	int k, done, runs;
	char name[64];

	if (budget <= 0)
		budget = 2.0;
	if (vc_pki_make() != 0) {
		fprintf(stderr, "bench_verify: making the test PKI failed (openssl, certutil)\n");
		return 1;
	}
	roots[0] = vc_path("ca.pem");
	sp_errinfo_init(&ei);
	if (crypto_trust_new(roots, 1, NULL, 0, NULL, 0, NULL, &trust, &ei) != SP_OK) {
		fprintf(stderr, "bench_verify: %s\n", ei.msg);
		return 1;
	}
	o.trust = trust;
	o.ts_trust = NULL;
	printf("%-11s %10s %14s %12s %14s\n", "signatures", "bytes", "sealpact/s", "ms each",
	       "pdfsig ms");
	d = vc_base(0, &n);
	done = 0;
	for (i = 0; i < SP_ARRAY_LEN(counts); i++) {
		for (; done < counts[i]; done++) {
			next = vc_sign(d, n, "rsa", 1, 0, &nn);
			free(d);
			d = next;
			n = nn;
		}
		runs = 0;
		t0 = now_s();
		do {
			struct crypto_verify_report *rep = NULL;
			if (crypto_pdf_verify(d, n, &o, &rep, &ei) != SP_OK ||
			    client_verify_exit_code(rep) != 0) {
				fprintf(stderr, "bench_verify: the document does not verify: %s\n",
					ei.msg);
				return 1;
			}
			crypto_verify_report_free(rep);
			runs++;
		} while ((el = now_s() - t0) < budget);
		snprintf(name, sizeof(name), "sigs%d.pdf", counts[i]);
		write_file(vc_path(name), d, n);
		/* pdfsig: whole runs (start-up included) for the same budget */
		t0 = now_s();
		for (k = 0; k == 0 || now_s() - t0 < budget; k++)
			if (run("pdfsig -nssdir sql:%s/nss %s >/dev/null 2>&1", vc_dir,
				vc_path(name)) < 0)
				break;
		printf("%-11d %10zu %14.1f %12.2f %14.2f\n", counts[i], n, runs / el,
		       1000.0 * el / runs, 1000.0 * (now_s() - t0) / k);
	}
	free(d);
	crypto_trust_free(trust);
	vc_pki_free();
	return 0;
}
