/*
 * codec.c: the one implementation of each encoding sealpact reads or writes:
 * hex, base64 (standard and URL alphabets), and decimal integers. The
 * big-endian loads and stores are inline in sp.h. Decoders refuse anything
 * that is not exactly the encoding (see sp.h for the whitespace policy), so a
 * value has one spelling and a check done on the text holds for the bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sp.h"

/* Enough for any caller (the largest is a PDF, capped far lower) and far from overflow. */
#define B64_ENCODE_MAX ((size_t)1 << 30)

/*
 * Eight bytes at a time where the host is little-endian (the x86-64 and
 * arm64 servers): a byte's two digits are its nibbles plus '0', and plus
 * ('a' or 'A') - '0' - 10 more when the nibble is 10 or more, worked out for
 * eight nibbles in one 64-bit word with no carry between its bytes (every
 * sum stays under 0x80). A signature's /Contents is written so at every
 * completion (some 5,000 bytes, 12 instructions each a byte at a time).
 */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define HEX_SWAR 1
#define ONES UINT64_C(0x0101010101010101)
#define HIGHS UINT64_C(0x8080808080808080)
#endif

static void
hex_with(const char *digits, const unsigned char *p, size_t n, char *out)
{
	size_t i = 0;
#ifdef HEX_SWAR
	/* 0x27 ('a' - '0' - 10) or 0x07 ('A' - '0' - 10) */
	const uint64_t letter = (uint64_t)(digits[10] - '0' - 10);
	uint64_t x, v;
	uint32_t w;

	for (; i + 4 <= n; i += 4) {
		memcpy(&w, p + i, 4);
		x = w;
		/* byte k to the low byte of 16-bit lane k */
		x = (x | x << 16) & UINT64_C(0x0000ffff0000ffff);
		x = (x | x << 8) & UINT64_C(0x00ff00ff00ff00ff);
		/* its high nibble first (byte 2k), its low one after (byte 2k + 1) */
		v = (x >> 4 & UINT64_C(0x000f000f000f000f)) | (x & UINT64_C(0x000f000f000f000f))
								      << 8;
		v += 0x30 * ONES + ((v + 0x76 * ONES) >> 7 & ONES) * letter;
		memcpy(out + 2 * i, &v, 8);
	}
#endif
	for (; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = '\0';
}

void
sp_hex(const unsigned char *p, size_t n, char *out)
{
	hex_with("0123456789abcdef", p, n, out);
}

void
sp_hex_upper(const unsigned char *p, size_t n, char *out)
{
	hex_with("0123456789ABCDEF", p, n, out);
}

/* each ASCII character's hex value, -1 for none: one load per character instead of up to
   six comparisons (a signature's /Contents is read a character at a time: 14,000 of them) */
static const signed char hex_vals[128] = {
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, 0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  -1, -1, -1, -1, -1, -1, -1, 10,
	11, 12, 13, 14, 15, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, 10, 11, 12, 13, 14, 15, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
};

int
sp_hex_val(int c)
{
	return c >= 0 && c < 128 ? hex_vals[c] : -1;
}

#ifdef HEX_SWAR
/* 0 unless the eight characters at s are all hex digits (ASCII, then '0'-'9' or, any case,
   'a'-'f'): range tests on all eight bytes of a word at once (each sum stays under 0x100) */
static int
hex8_ok(const char *s)
{
	uint64_t x, y, dig, let;

	memcpy(&x, s, 8);
	if (x & HIGHS)
		return 0;
	dig = (x + (0x80 - 0x30) * ONES) & ~(x + (0x7f - 0x39) * ONES);
	y = x | 0x20 * ONES;
	let = (y + (0x80 - 0x61) * ONES) & ~(y + (0x7f - 0x66) * ONES);
	return ((dig | let) & HIGHS) == HIGHS;
}

/* the four bytes eight checked hex digits at s spell */
static void
hex8_decode(const char *s, unsigned char *out)
{
	uint64_t x, v;
	uint32_t w;

	memcpy(&x, s, 8);
	/* a digit's value is its low nibble, a letter's (bit 6 set) that plus 9 */
	v = (x & 0x0f * ONES) + (x >> 6 & ONES) * 9;
	/* two digits to a byte in the low byte of each 16-bit lane, then the lanes together */
	v = (v & UINT64_C(0x00ff00ff00ff00ff)) << 4 | (v >> 8 & UINT64_C(0x00ff00ff00ff00ff));
	v = (v | v >> 8) & UINT64_C(0x0000ffff0000ffff);
	v = (v | v >> 16) & UINT64_C(0x00000000ffffffff);
	w = (uint32_t)v;
	memcpy(out, &w, 4);
}
#endif

int
sp_hex_decode(const char *s, size_t len, unsigned char *out, size_t max, size_t *outlen)
{
	size_t i = 0;
	unsigned char hi, lo, bad; /* hi, lo: 0..15, every digit is checked first */

	*outlen = 0;
	if (len % 2 != 0)
		return SP_ERR_INVALID;
	if (len / 2 > max)
		return SP_ERR_TOO_LARGE;
		/* Check everything first so that out is untouched on failure: bit 7 of bad is set by a
	   character past ASCII or one hex_vals says is none (-1), without a branch or a call per
	   character (a signature's /Contents is decoded at every completion: 16,000 of them);
	   eight at a time where hex8_ok can */
#ifdef HEX_SWAR
	for (; i + 8 <= len; i += 8)
		if (!hex8_ok(s + i))
			return SP_ERR_INVALID;
#endif
	for (bad = 0; i < len; i++)
		bad |= (unsigned char)(s[i] & 0x80) | (unsigned char)hex_vals[s[i] & 0x7f];
	if (bad & 0x80)
		return SP_ERR_INVALID;
	i = 0;
#ifdef HEX_SWAR
	for (; 2 * i + 8 <= len; i += 4)
		hex8_decode(s + 2 * i, out + i);
#endif
	for (; i < len / 2; i++) {
		hi = hex_vals[(unsigned char)s[2 * i]];
		lo = hex_vals[(unsigned char)s[2 * i + 1]];
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	*outlen = len / 2;
	return SP_OK;
}

/* ---- base64 ---------------------------------------------------------------- */

static const char b64_std[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char b64_url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* 1 + the 6-bit value of each letter and digit (0: another character): a lookup, not
   three range tests per character (base64 decoding was 1 % of the server's CPU per
   signing, the certificate in every prepare) */
static const unsigned char b64_alnum[256] = {
	['A'] = 1,  ['B'] = 2,  ['C'] = 3,  ['D'] = 4,  ['E'] = 5,  ['F'] = 6,  ['G'] = 7,
	['H'] = 8,  ['I'] = 9,  ['J'] = 10, ['K'] = 11, ['L'] = 12, ['M'] = 13, ['N'] = 14,
	['O'] = 15, ['P'] = 16, ['Q'] = 17, ['R'] = 18, ['S'] = 19, ['T'] = 20, ['U'] = 21,
	['V'] = 22, ['W'] = 23, ['X'] = 24, ['Y'] = 25, ['Z'] = 26, ['a'] = 27, ['b'] = 28,
	['c'] = 29, ['d'] = 30, ['e'] = 31, ['f'] = 32, ['g'] = 33, ['h'] = 34, ['i'] = 35,
	['j'] = 36, ['k'] = 37, ['l'] = 38, ['m'] = 39, ['n'] = 40, ['o'] = 41, ['p'] = 42,
	['q'] = 43, ['r'] = 44, ['s'] = 45, ['t'] = 46, ['u'] = 47, ['v'] = 48, ['w'] = 49,
	['x'] = 50, ['y'] = 51, ['z'] = 52, ['0'] = 53, ['1'] = 54, ['2'] = 55, ['3'] = 56,
	['4'] = 57, ['5'] = 58, ['6'] = 59, ['7'] = 60, ['8'] = 61, ['9'] = 62
};

/* The 6-bit value of c in the chosen alphabet, or -1. */
static int
b64_val(int c, unsigned flags)
{
	if (b64_alnum[c & 0xff] != 0)
		return b64_alnum[c & 0xff] - 1;
	if (flags & SP_B64_URL)
		return c == '-' ? 62 : c == '_' ? 63 : -1;
	return c == '+' ? 62 : c == '/' ? 63 : -1;
}

static int
b64_space(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

size_t
sp_b64_len(size_t n, unsigned flags)
{
	if (flags & SP_B64_URL)
		return n / 3 * 4 + (n % 3 == 0 ? 0 : n % 3 + 1);
	return (n + 2) / 3 * 4;
}

void
sp_b64_encode_to(const void *data, size_t n, unsigned flags, char *out)
{
	const char *a = (flags & SP_B64_URL) ? b64_url : b64_std;
	const unsigned char *p = data;
	size_t i, o = 0;
	uint32_t v;

	for (i = 0; i + 3 <= n; i += 3) {
		v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		out[o++] = a[v >> 18];
		out[o++] = a[v >> 12 & 63];
		out[o++] = a[v >> 6 & 63];
		out[o++] = a[v & 63];
	}
	if (n - i > 0) {
		v = (uint32_t)p[i] << 16 | (n - i == 2 ? (uint32_t)p[i + 1] << 8 : 0);
		out[o++] = a[v >> 18];
		out[o++] = a[v >> 12 & 63];
		if (n - i == 2)
			out[o++] = a[v >> 6 & 63];
		if (!(flags & SP_B64_URL)) {
			if (n - i == 1)
				out[o++] = '=';
			out[o++] = '=';
		}
	}
	out[o] = '\0';
}

char *
sp_b64_encode(const void *p, size_t n, unsigned flags)
{
	char *s;

	if (n > B64_ENCODE_MAX || (s = malloc(sp_b64_len(n, flags) + 1)) == NULL)
		return NULL;
	sp_b64_encode_to(p, n, flags, s);
	return s;
}

int
sp_b64_decode(const char *s, size_t len, size_t max, unsigned flags, unsigned char **out,
	      size_t *outlen)
{
	unsigned char *buf = NULL;
	size_t i, chars = 0, pad = 0, need, o = 0, k = 0;
	uint32_t acc = 0;
	int c, v, r = SP_ERR_INVALID;

	*out = NULL;
	*outlen = 0;
	if (s == NULL)
		return SP_ERR_INVALID;
	/* First pass: validate and count, so the size is known before allocating. */
	for (i = 0; i < len && s[i] != '\0'; i++) {
		c = (unsigned char)s[i];
		if ((flags & SP_B64_WS) && b64_space(c))
			continue;
		if (c == '=' && !(flags & SP_B64_URL)) {
			pad++;
			continue;
		}
		if (pad > 0 || b64_val(c, flags) < 0)
			return SP_ERR_INVALID; /* a character after padding, or not base64 */
		chars++;
	}
	len = i;
	if (flags & SP_B64_URL) {
		if (chars == 0 || chars % 4 == 1)
			return SP_ERR_INVALID;
	} else if (chars == 0 || pad > 2 || (chars + pad) % 4 != 0 ||
		   (pad > 0 && chars % 4 != 4 - pad)) {
		return SP_ERR_INVALID;
	}
	need = chars / 4 * 3 + (chars % 4 == 0 ? 0 : chars % 4 - 1);
	if (need > max)
		return SP_ERR_TOO_LARGE;
	if ((buf = malloc(need + 1)) == NULL)
		return SP_ERR_NOMEM;
	for (i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		if ((v = b64_val(c, flags)) < 0)
			continue; /* whitespace or padding, validated above */
		acc = acc << 6 | (uint32_t)v;
		if (++k == 4) {
			buf[o++] = (unsigned char)(acc >> 16);
			buf[o++] = (unsigned char)(acc >> 8);
			buf[o++] = (unsigned char)acc;
			acc = 0;
			k = 0;
		}
	}
	/* The tail: 2 characters carry 1 byte, 3 carry 2; the unused bits must be zero. */
	if (k == 2) {
		if (acc & 0xf)
			goto out;
		buf[o++] = (unsigned char)(acc >> 4);
	} else if (k == 3) {
		if (acc & 0x3)
			goto out;
		buf[o++] = (unsigned char)(acc >> 10);
		buf[o++] = (unsigned char)(acc >> 2);
	}
	buf[o] = '\0';
	*out = buf;
	buf = NULL; /* transferred */
	*outlen = o;
	r = SP_OK;
out:
	free(buf);
	return r;
}

/* ---- decimal --------------------------------------------------------------- */

/* The magnitude of n digits at s, refusing overflow past lim. */
static int
digits_u64(const char *s, size_t n, uint64_t lim, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;
	unsigned d;

	if (n == 0)
		return SP_ERR_INVALID;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return SP_ERR_INVALID;
		d = (unsigned)(s[i] - '0');
		if (v > (lim - d) / 10)
			return SP_ERR_INVALID;
		v = v * 10 + d;
	}
	*out = v;
	return SP_OK;
}

int
sp_parse_u64n(const char *s, size_t n, uint64_t lo, uint64_t hi, uint64_t *out)
{
	uint64_t v;

	if (s == NULL || digits_u64(s, n, UINT64_MAX, &v) != SP_OK || v < lo || v > hi)
		return SP_ERR_INVALID;
	*out = v;
	return SP_OK;
}

int
sp_parse_i64n(const char *s, size_t n, int64_t lo, int64_t hi, int64_t *out)
{
	uint64_t mag;
	int64_t v;
	int neg = 0;

	if (s == NULL || n == 0)
		return SP_ERR_INVALID;
	if (s[0] == '-' || s[0] == '+') {
		neg = s[0] == '-';
		s++;
		n--;
	}
	/* INT64_MIN's magnitude is one more than INT64_MAX's. */
	if (digits_u64(s, n, neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX, &mag) != SP_OK)
		return SP_ERR_INVALID;
	if (neg)
		v = mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag;
	else
		v = (int64_t)mag;
	if (v < lo || v > hi)
		return SP_ERR_INVALID;
	*out = v;
	return SP_OK;
}

int
sp_parse_u64(const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
	return s == NULL ? SP_ERR_INVALID : sp_parse_u64n(s, strlen(s), lo, hi, out);
}

int
sp_parse_i64(const char *s, int64_t lo, int64_t hi, int64_t *out)
{
	return s == NULL ? SP_ERR_INVALID : sp_parse_i64n(s, strlen(s), lo, hi, out);
}
