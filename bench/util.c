/*
 * util.c: what the C benchmarks share (util.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "util.h"

double
bench_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

int
bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int
bench_sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	/* NOLINTNEXTLINE(cert-env33-c): the benchmarks' own commands (util.h), nothing from input */
	return system(cmd);
}

long
bench_arg(int argc, char **argv, int i, long dflt, long lo, long hi)
{
	int64_t v;

	if (i >= argc)
		return dflt;
	if (sp_parse_i64(argv[i], lo, hi, &v) != SP_OK) {
		fprintf(stderr, "%s: argument %d: '%s' is not a number from %ld to %ld\n",
			program_invocation_short_name, i, argv[i], lo, hi);
		exit(2);
	}
	return (long)v;
}

void
bench_die(const char *what, const struct sp_errinfo *ei)
{
	/* the program's own name, as each benchmark printed it */
	fprintf(stderr, "%s: %s: %s\n", program_invocation_short_name, what,
		ei ? ei->msg : "failed");
	exit(1);
}
