/*
 * fuzz_proxy_header.c: libFuzzer target, differential. A trusted balancer's
 * PROXY header (server/net/proxy.c) is read off the socket in pieces of any
 * size, the parser handed everything so far each time, and conn.c consumes
 * what it says is surely header. The input's first byte seeds the sizes of
 * the pieces; the rest is the connection. Whatever the pieces: a verdict
 * reached on a prefix (not a header, malformed, a whole header and what it
 * names) is the verdict on the whole; what a prefix says is header never
 * shrinks, never passes what it was shown nor the header's end, and is
 * nothing when the bytes turn out not to be a header; nothing is longer than
 * PROXY_HEADER_MAX. Anything else aborts.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proxy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fail(const char *what, size_t k, int r, int whole)
{
	fprintf(stderr, "fuzz_proxy_header: %s at %zu bytes (%d; whole %d)\n", what, k, r, whole);
	abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proxy_header whole, h;
	const uint8_t *p = data + 1;
	size_t n, k = 0, sure = 0;
	unsigned seed;
	int rw, r;

	if (size < 1)
		return 0;
	seed = (unsigned)data[0] + 1;
	n = size - 1;
	rw = proxy_header_parse(p, n, &whole);
	if ((rw == PROXY_DONE || rw == PROXY_MORE) && whole.len > PROXY_HEADER_MAX)
		fail("longer than PROXY_HEADER_MAX", n, rw, rw);
	if (rw == PROXY_DONE && (whole.len > n || whole.len == 0))
		fail("a header outside the input", n, rw, rw);
	if (rw == PROXY_BAD && whole.detail == NULL)
		fail("refused without a reason", n, rw, rw);
	while (k < n) {
		seed = seed * 1103515245u + 12345u;
		k += 1 + (seed >> 16) % 64;
		if (k > n)
			k = n;
		r = proxy_header_parse(p, k, &h);
		if (r == PROXY_MORE) {
			if (h.len > k || h.len < sure)
				fail("what is surely header shrank or passed the input", k, r, rw);
			if (rw == PROXY_NONE && h.len != 0)
				fail("bytes of no header consumed", k, r, rw);
			if (rw == PROXY_DONE && h.len > whole.len)
				fail("bytes past the header consumed", k, r, rw);
			sure = h.len;
			continue;
		}
		if (r != rw)
			fail("a prefix's verdict is not the whole's", k, r, rw);
		if (r == PROXY_DONE &&
		    (h.len != whole.len || h.family != whole.family || h.port != whole.port ||
		     memcmp(h.addr, whole.addr, 16) != 0 || h.len < sure))
			fail("a prefix read another header", k, r, rw);
		if (r == PROXY_BAD && strcmp(h.detail, whole.detail) != 0)
			fail("a prefix refused for another reason", k, r, rw);
		break;
	}
	return 0;
}
