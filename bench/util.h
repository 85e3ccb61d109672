/*
 * util.h: what the C benchmarks share (util.c, linked into each): a
 * monotonic clock, the comparison qsort sorts timings with, a shell
 * command, and the exit on a failure.
 */
#ifndef SP_BENCH_UTIL_H
#define SP_BENCH_UTIL_H

#include "sp.h"

/* CLOCK_MONOTONIC in ms. */
double bench_now_ms(void);

/* qsort's comparison of two doubles, ascending. */
int bench_cmp_double(const void *a, const void *b);

/* Run the command printf(fmt, ...) makes (at most 4 KiB) with system(): its status. */
int bench_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * argv[i] as an integer in lo..hi, or dflt when there are not that many
 * arguments; anything else ("abc", "10x", out of range: atoi read those as
 * 0 or a wrapped count) is "PROGRAM: argument i: ..." on stderr and exit 2.
 */
long bench_arg(int argc, char **argv, int i, long dflt, long lo, long hi);

/* "PROGRAM: what: ei's message" (or "failed" without ei) on stderr, and exit 1. */
_Noreturn void bench_die(const char *what, const struct sp_errinfo *ei);

#endif
