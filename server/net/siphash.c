/*
 * siphash.c: SipHash-2-4, written from the paper's description
 * ("SipHash: a fast short-input PRF", section 2): four 64-bit words of
 * state from the key, two rounds per 8-byte little-endian word of input, the
 * last word carrying the length in its top byte, four rounds to finish.
 */
#include "siphash.h"

static uint64_t
rotl(uint64_t x, int b)
{
	return (x << b) | (x >> (64 - b));
}

static uint64_t
le64(const unsigned char *p)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static void
rounds(uint64_t v[4], int n)
{
	while (n-- > 0) {
		v[0] += v[1];
		v[1] = rotl(v[1], 13);
		v[1] ^= v[0];
		v[0] = rotl(v[0], 32);
		v[2] += v[3];
		v[3] = rotl(v[3], 16);
		v[3] ^= v[2];
		v[0] += v[3];
		v[3] = rotl(v[3], 21);
		v[3] ^= v[0];
		v[2] += v[1];
		v[1] = rotl(v[1], 17);
		v[1] ^= v[2];
		v[2] = rotl(v[2], 32);
	}
}

static void
absorb(uint64_t v[4], uint64_t m)
{
	v[3] ^= m;
	rounds(v, 2);
	v[0] ^= m;
}

uint64_t
siphash24(const unsigned char key[SIPHASH_KEY_LEN], const void *p, size_t n)
{
	const unsigned char *in = p;
	uint64_t k0 = le64(key), k1 = le64(key + 8), last = (uint64_t)n << 56;
	uint64_t v[4] = { k0 ^ 0x736f6d6570736575ULL, k1 ^ 0x646f72616e646f6dULL,
			  k0 ^ 0x6c7967656e657261ULL, k1 ^ 0x7465646279746573ULL };
	size_t i, tail = n & 7;

	for (i = 0; i + 8 <= n; i += 8)
		absorb(v, le64(in + i));
	for (i = 0; i < tail; i++)
		last |= (uint64_t)in[n - tail + i] << (8 * i);
	absorb(v, last);
	v[2] ^= 0xff;
	rounds(v, 4);
	return v[0] ^ v[1] ^ v[2] ^ v[3];
}
