/*
 * fuzz_http_framing.c: libFuzzer target, differential. framing.c judges the
 * raw bytes of a connection before evhttp parses them (request smuggling,
 * oversize heads, bodies against the process's budget), and TCP hands those
 * bytes over in pieces of any size. The input's first byte seeds the sizes
 * of the pieces; the rest is the connection. Fed whole and fed in pieces, the
 * framer must reach the same verdict (the same problem and detail, the same
 * heads, bodies and budget taken); the budget never goes past its cap nor
 * holds more than the heads declared; giving everything back empties it.
 * Anything else aborts.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* small caps, so that the fuzzer reaches them: a head of 300 bytes, a body of 5,000, a
   budget of two such bodies */
enum { MAX_HEAD = 300, MAX_BODY = 5000, BUDGET = 10000 };

struct run {
	struct body_budget budget;
	struct http_framer f;
	int r;
};

/* Feed p[0..n) in pieces whose sizes come from seed (0: whole). */
static void
run(struct run *x, const uint8_t *p, size_t n, unsigned seed)
{
	size_t i = 0, k;

	x->budget.cap = BUDGET;
	x->budget.used = 0;
	framer_init(&x->f, MAX_HEAD, MAX_BODY, &x->budget);
	x->r = 0;
	while (i < n && x->r == 0) {
		if (seed == 0) {
			k = n;
		} else {
			seed = seed * 1103515245u + 12345u;
			k = 1 + (seed >> 16) % 64;
		}
		if (k > n - i)
			k = n - i;
		x->r = framer_feed(&x->f, p + i, k);
		if (x->budget.used > x->budget.cap || x->f.held != x->budget.used)
			goto bad;
		i += k;
	}
	return;
bad:
	fprintf(stderr, "fuzz_http_framing: budget used %llu of %llu, held %llu\n",
		(unsigned long long)x->budget.used, (unsigned long long)x->budget.cap,
		(unsigned long long)x->f.held);
	abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct run whole, pieces;

	if (size < 1)
		return 0;
	run(&whole, data + 1, size - 1, 0);
	run(&pieces, data + 1, size - 1, (unsigned)data[0] + 1);
	if (whole.r != pieces.r || whole.f.bad != pieces.f.bad ||
	    whole.f.detail != pieces.f.detail || whole.f.heads != pieces.f.heads ||
	    whole.f.held != pieces.f.held || whole.f.body_left != pieces.f.body_left) {
		fprintf(stderr,
			"fuzz_http_framing: whole %d (%d, %s, %lu heads), in pieces %d (%d, %s, "
			"%lu heads)\n",
			whole.r, (int)whole.f.bad, whole.f.detail ? whole.f.detail : "-",
			whole.f.heads, pieces.r, (int)pieces.f.bad,
			pieces.f.detail ? pieces.f.detail : "-", pieces.f.heads);
		abort();
	}
	/* a refused head takes nothing; the connection closing gives back what it took */
	framer_give_back(&whole.f);
	framer_give_back(&pieces.f);
	if (whole.budget.used != 0 || pieces.budget.used != 0)
		abort();
	framer_free(&whole.f);
	framer_free(&pieces.f);
	return 0;
}
