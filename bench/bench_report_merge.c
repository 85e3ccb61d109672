/*
 * bench_report_merge.c: completion's report work in process, at each k: the
 * stored report of k - 1 signatures (tests/support/report_chain.h, the
 * shape and size the server stores: ~2.8 KB a signature with its listed
 * changes) merged with the engine's report of the k-th completion, the
 * jansson way (json_loads, verify_report_merge_json: what completion did
 * before) and by the splice (verify_report_base_open, _covers, _merge:
 * what it does now), each checked to give the same bytes. Median CPU
 * microseconds of the calling thread over RUNS runs, the two alternated.
 *
 * Usage: bench_report_merge [RUNS, default 200] [K, default 20: k = 2..K]
 *        [jansson|splice: time only that way, at k = K only (for callgrind)]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../tests/support/report_chain.h"
#include "util.h"
#include "verify_report.h"

static double
cpu_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int
cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The jansson way: parse the whole stored report, merge, dump. */
static char *
by_jansson(const char *base, const struct crypto_verify_report *rep, size_t size)
{
	json_t *j = json_loads(base, 0, NULL);
	char *out = NULL;
	size_t len;
	int covers = json_is_object(j) &&
		     json_integer_value(json_object_get(j, "size")) == (json_int_t)size;

	if (!covers || verify_report_merge_json(j, rep, 1 << 24, &out, &len) != SP_OK)
		out = NULL;
	json_decref(j);
	return out;
}

/* The splice: index the stored text in place, merge by copying it with the news. */
static char *
by_splice(const char *base, const struct crypto_verify_report *rep, size_t size)
{
	struct verify_report_base *b = NULL;
	char *out = NULL;
	size_t len;

	if (verify_report_base_open(base, &b) != SP_OK || !verify_report_base_covers(b, size) ||
	    verify_report_base_merge(b, rep, 1 << 24, &out, &len, NULL, NULL) != SP_OK)
		out = NULL;
	verify_report_base_free(b);
	return out;
}

int
main(int argc, char **argv)
{
	int runs = (int)bench_arg(argc, argv, 1, 200, 1, 1000000), i, r = 1;
	size_t kmax = (size_t)bench_arg(argc, argv, 2, 20, 1, 1000), k, len, bsize;
	const char *only = argc > 3 ? argv[3] : NULL;
	struct crypto_verify_report rep = { 0 };
	char *base = NULL, *a = NULL, *b = NULL;
	double *tj = NULL, *ts = NULL, t0;

	if (runs < 1 || kmax < 2 || kmax > 200)
		return 2;
	/* One way out, so that a failure at any k frees what it holds (a bench run
	 * under valgrind or ASan reports only what the bench itself leaks). */
	if (!(tj = calloc((size_t)runs, sizeof(double))) ||
	    !(ts = calloc((size_t)runs, sizeof(double))))
		goto out;
	if (chain_rep(&rep, 1, 0) != 0 || verify_report_text(&rep, 1 << 24, &base, &len) != SP_OK)
		goto out;
	chain_rep_free(&rep);
	if (only == NULL)
		printf("bench_report_merge: the k-th completion's report merge, median CPU us of "
		       "%d runs\n    k  stored bytes   jansson    splice\n",
		       runs);
	for (k = 2; k <= kmax; k++) {
		if (chain_rep(&rep, k, 0) != 0)
			goto out;
		/* the stored base covers the bytes of completion k - 1 (report_chain.h's sizes) */
		bsize = rep.size - 1050;
		a = by_jansson(base, &rep, bsize);
		b = by_splice(base, &rep, bsize);
		if (a == NULL || b == NULL || strcmp(a, b) != 0) {
			fprintf(stderr, "bench_report_merge: k=%zu: the two ways differ\n", k);
			goto out;
		}
		free(b);
		b = NULL;
		if (only == NULL || k == kmax) {
			for (i = 0; i < runs; i++) {
				if (only == NULL || strcmp(only, "jansson") == 0) {
					t0 = cpu_us();
					free(by_jansson(base, &rep, bsize));
					tj[i] = cpu_us() - t0;
				}
				if (only == NULL || strcmp(only, "splice") == 0) {
					t0 = cpu_us();
					free(by_splice(base, &rep, bsize));
					ts[i] = cpu_us() - t0;
				}
			}
			qsort(tj, (size_t)runs, sizeof(double), cmp_d);
			qsort(ts, (size_t)runs, sizeof(double), cmp_d);
			printf("  %3zu  %11zu  %8.1f  %8.1f\n", k, strlen(base), tj[runs / 2],
			       ts[runs / 2]);
		}
		chain_rep_free(&rep);
		free(base);
		base = a;
		a = NULL;
	}
	r = 0;
out:
	chain_rep_free(&rep);
	free(a);
	free(b);
	free(base);
	free(tj);
	free(ts);
	return r;
}
