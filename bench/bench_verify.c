/*
 * bench_verify.c: `sealpact verify` against poppler's pdfsig, whole process
 * each (start-up, dynamic loading and NSS / OpenSSL initialization
 * included: what a caller pays), on the same files with 1, 3, 10 and 20
 * signatures (RSA-2048 + built-in TSA, signed through the real path): the
 * median of several runs each, run alternately, and their ratio (wall time,
 * the fastest wall time, and CPU time: the last two a loaded machine disturbs
 * less). Then the engine's cost on a 30 MB contract with 10, 50 and 100
 * signatures: wall time and peak RSS of `sealpact verify`, each of which must
 * verify valid (exit 0).
 * Usage: bench_verify [runs per figure, default 7] [MB of the large document, default 30]
 */
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../tests/unit/test_verify_corpus.h"
#include "util.h"

static char sealpact[PATH_MAX];

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int
cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double last_cpu; /* user + system seconds of the last timed() child */

/* Run argv once: wall seconds, its exit status, its peak RSS in KiB. */
static double
timed(char *const argv[], int *status, long *rss_kib)
{
	struct rusage ru;
	int st = 0;
	double t0;
	pid_t pid;

	fflush(NULL);
	t0 = now_s();
	pid = fork();

	if (pid == 0) {
		if (!freopen("/dev/null", "w", stdout) || !freopen("/dev/null", "w", stderr))
			_exit(127);
		execvp(argv[0], argv);
		_exit(127);
	}
	if (pid < 0 || wait4(pid, &st, 0, &ru) < 0) {
		*status = -1;
		return 0;
	}
	*status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	last_cpu = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
		   (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
	if (rss_kib)
		*rss_kib = ru.ru_maxrss;
	return now_s() - t0;
}

/* Median wall time of `runs` runs; -1 when a run does not exit with `want`. */
static double
median(char *const argv[], int runs, int want, long *rss)
{
	double t[64];
	int i, st;

	if (runs > 64)
		runs = 64;
	for (i = 0; i < runs; i++) {
		t[i] = timed(argv, &st, rss);
		if (want >= 0 && st != want)
			return -1;
	}
	/* cppcheck-suppress uninitvar ; every caller asks for 1 run or more (main's runs >= 1) */
	qsort(t, (size_t)runs, sizeof(t[0]), cmp_d);
	return t[runs / 2];
}

/*
 * Both programs `runs` times, alternately, so that both see the same load of
 * a shared machine: median wall and CPU seconds of each, and the fastest wall
 * time (the run least disturbed by others). 0 when sealpact does not exit 0
 * (valid) every time.
 */
static int
race(char *const sv[], char *const pv[], int runs, double wall[2], double cpu[2], double fast[2])
{
	double w[2][64], c[2][64];
	int i, st;

	if (runs > 64)
		runs = 64;
	for (i = 0; i < runs; i++) {
		w[0][i] = timed(sv, &st, NULL);
		c[0][i] = last_cpu;
		if (st != 0)
			return 0;
		w[1][i] = timed(pv, &st, NULL);
		c[1][i] = last_cpu;
	}
	for (i = 0; i < 2; i++) {
		qsort(w[i], (size_t)runs, sizeof(double), cmp_d);
		qsort(c[i], (size_t)runs, sizeof(double), cmp_d);
		wall[i] = w[i][runs / 2];
		fast[i] = w[i][0];
		cpu[i] = c[i][runs / 2];
	}
	return 1;
}

/* A contract of about mb MB: vc_base's objects and an incompressible image on page 1. */
static unsigned char *
large_base(size_t mb, size_t *n)
{
	size_t img = mb * 1024 * 1024, i;
	char *big = malloc(img + 512), c3[512];
	const char *objs[8];
	unsigned int x = 12345;
	int hl;

	hl = snprintf(big, 512,
		      "<< /Type /XObject /Subtype /Image /Width %zu /Height 1024 /ColorSpace "
		      "/DeviceGray /BitsPerComponent 8 /Length %zu >>\nstream\n",
		      img / 1024, img);
	/* printable bytes: the writer takes object bodies as C strings */
	for (i = 0; i < img; i++) {
		x = x * 1103515245u + 12345u;
		big[hl + i] = (char)('0' + ((x >> 16) % 64));
	}
	memcpy(big + hl + img, "\nendstream", 11);
	snprintf(c3, sizeof(c3),
		 "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
		 "/Resources << /Font << /F1 5 0 R >> /XObject << /X1 6 0 R /Im 8 0 R >> >> "
		 "/Annots [7 0 R] >>");
	objs[0] = "<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [7 0 R] >> >>";
	objs[1] = "<< /Type /Pages /Kids [3 0 R] /Count 1 >>";
	objs[2] = c3;
	objs[3] = "<< /Length 55 >>\nstream\nBT /F1 12 Tf 72 700 Td (Pay 100 EUR) Tj ET q /X1 Do "
		  "Q\nendstream";
	objs[4] =
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>";
	objs[5] = "<< /Type /XObject /Subtype /Form /BBox [0 0 100 100] /Length 24 >>\nstream\n0 "
		  "0 1 rg 0 0 10 10 re f\nendstream";
	objs[6] = "<< /Type /Annot /Subtype /Widget /FT /Tx /T (amount) /V (100) "
		  "/Rect [72 600 200 620] /P 3 0 R >>";
	objs[7] = big;
	{
		unsigned char *d = make_pdf_objs(objs, 8, n);
		free(big);
		return d;
	}
}

static unsigned char *
sign_to(unsigned char *d, size_t *n, int *have, int want)
{
	unsigned char *next;
	size_t nn;

	for (; *have < want; (*have)++) {
		next = vc_sign(d, *n, "rsa", 1, 0, &nn);
		free(d);
		d = next;
		*n = nn;
	}
	return d;
}

int
main(int argc, char **argv)
{
	static const int counts[] = { 1, 3, 10, 20 }, large[] = { 10, 50, 100 };
	int runs = (int)bench_arg(argc, argv, 1, 7, 1, 100000), have = 0, ok = 1;
	size_t mb = (size_t)bench_arg(argc, argv, 2, 30, 1, 4096), n, i;
	char exe[PATH_MAX], name[64], nss[PATH_MAX], ca[PATH_MAX], *path;
	unsigned char *d;
	ssize_t el;
	long rss;
	double ts, t0, wall[2], cpu[2], fast[2];

	if (runs < 1)
		runs = 7;
	if ((el = readlink("/proc/self/exe", exe, sizeof(exe) - 1)) < 0)
		return 1;
	exe[el] = 0;
	snprintf(sealpact, sizeof(sealpact), "%s/../client/sealpact", dirname(exe));
	if (access(sealpact, X_OK) != 0) {
		fprintf(stderr, "bench_verify: %s not built\n", sealpact);
		return 1;
	}
	if (vc_pki_make() != 0) {
		fprintf(stderr, "bench_verify: making the test PKI failed (openssl, certutil)\n");
		return 1;
	}
	snprintf(nss, sizeof(nss), "sql:%s", vc_path("nss"));
	snprintf(ca, sizeof(ca), "%s", vc_path("ca.pem"));
	printf("whole process, median of %d runs each, alternately\n", runs);
	printf("%-10s %8s | %8s %8s %5s | %8s %8s %5s | %8s %8s %5s\n", "signatures", "bytes",
	       "sealpact", "pdfsig", "ratio", "fastest", "fastest", "ratio", "cpu", "cpu", "ratio");
	printf("%-10s %8s | %23s | %23s | %23s\n", "", "", "median wall ms", "fastest wall ms",
	       "median cpu ms");
	d = vc_base(0, &n);
	for (i = 0; i < SP_ARRAY_LEN(counts); i++) {
		d = sign_to(d, &n, &have, counts[i]);
		snprintf(name, sizeof(name), "sigs%d.pdf", counts[i]);
		path = vc_path(name);
		write_file(path, d, n);
		{
			char *sv[] = { sealpact, "verify", "--cacert", ca, path, NULL };
			char *pv[] = { "pdfsig", "-nssdir", nss, path, NULL };
			/* interleaved warm-up: both read the file from the page cache */
			(void)median(sv, 1, -1, NULL);
			(void)median(pv, 1, -1, NULL);
			if (!race(sv, pv, runs, wall, cpu, fast)) {
				fprintf(stderr, "bench_verify: %s does not verify valid\n", name);
				ok = 0;
				continue;
			}
		}
		printf("%-10d %8zu | %8.1f %8.1f %5.2f | %8.1f %8.1f %5.2f | %8.1f %8.1f %5.2f\n",
		       counts[i], n, 1000 * wall[0], 1000 * wall[1], wall[0] / wall[1],
		       1000 * fast[0], 1000 * fast[1], fast[0] / fast[1], 1000 * cpu[0],
		       1000 * cpu[1], cpu[0] / cpu[1]);
	}
	free(d);
	printf("\n%zu MB contract, sealpact verify once each\n", mb);
	printf("%-11s %12s %12s %12s\n", "signatures", "MB", "seconds", "peak RSS MiB");
	t0 = now_s();
	d = large_base(mb, &n);
	have = 0;
	for (i = 0; i < SP_ARRAY_LEN(large); i++) {
		d = sign_to(d, &n, &have, large[i]);
		snprintf(name, sizeof(name), "large%d.pdf", large[i]);
		path = vc_path(name);
		write_file(path, d, n);
		{
			char *sv[] = { sealpact, "verify", "--cacert", ca, path, NULL };
			ts = median(sv, 1, 0, &rss);
		}
		if (ts < 0) {
			fprintf(stderr, "bench_verify: %s does not verify valid\n", name);
			ok = 0;
			continue;
		}
		printf("%-11d %12.1f %12.2f %12.1f\n", large[i], n / 1048576.0, ts, rss / 1024.0);
		(void)unlink(path);
	}
	fprintf(stderr, "(building the signed documents took %.0f s)\n", now_s() - t0);
	free(d);
	vc_pki_free();
	return ok ? 0 : 1;
}
