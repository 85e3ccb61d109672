/*
 * refs_pack.c: pdf_refs_export()'s numbers as bytes to store with the
 * revision they describe, and back.
 *
 * A completion's engine ends with the set of objects the stored revision
 * refers to; the next completion of the contract needs that set for its
 * base, and walks the whole base with qpdf when it does not have it (some
 * 2.7 M instructions a signature of a 10-page contract, growing with every
 * signature). Processes are stateless, so the next completion usually runs
 * where no cache holds the set: it is stored with the revision instead.
 *
 * What comes back from storage is bound to the bytes it describes (their
 * SHA-256, compared on unpacking) and read with every bound checked: a value
 * for another revision, truncated, padded or out of order is refused, and
 * the caller walks the base as it would without one.
 *
 * The numbers run nearly unbroken (qpdf's rewrite numbers every object of an
 * upload from 1 and drops the unreferenced; each update adds a short run),
 * so they are kept as runs: some tens of bytes where the numbers take
 * kilobytes.
 *
 * Format: "SPR1", the SHA-256 (32 bytes), a flags byte (bit 0: the last
 * number is export's 0, no_hidden), the count of the other numbers
 * (varint), then per run of consecutive numbers of one sign: varint
 * (gap << 1 | negated), varint (length - 1), gap being the run's first
 * number less one past the previous run's last (0 before the first).
 * Varints are LEB128, at most 5 bytes, no longer than needed.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "pdf.h"

#define PACK_MAGIC "SPR1"
#define PACK_HEAD (4 + 32 + 1)

static size_t
put_varint(uint8_t *p, uint32_t v)
{
	size_t k = 0;

	while (v >= 0x80) {
		p[k++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	p[k++] = (uint8_t)v;
	return k;
}

/* 0 and *v, or -1: past the end, over 32 bits, or not in its shortest form */
static int
get_varint(const uint8_t *p, size_t len, size_t *at, uint32_t *v)
{
	uint64_t x = 0;
	size_t k;

	for (k = 0; k < 5 && *at + k < len; k++) {
		x |= (uint64_t)(p[*at + k] & 0x7f) << (7 * k);
		if (!(p[*at + k] & 0x80)) {
			if (x > UINT32_MAX || (k > 0 && p[*at + k] == 0))
				return -1;
			*at += k + 1;
			*v = (uint32_t)x;
			return 0;
		}
	}
	return -1;
}

int
pdf_refs_pack(const int *nums, size_t n, const uint8_t sha256[32], uint8_t **out, size_t *len,
	      struct sp_errinfo *ei)
{
	int r = SP_ERR_INTERNAL, last = 0, flags = 0, neg, id;
	uint8_t *b = NULL;
	size_t i, at, run;

	*out = NULL;
	*len = 0;
	if (n > 0 && nums[n - 1] == 0) {
		flags = 1;
		n--;
	}
	if (n > PDF_DOC_MAX_OBJECTS)
		return sp_err(ei, SP_ERR_TOO_LARGE, "too many references to pack");
	/* at most two varints of 5 bytes a number, a run each */
	if ((b = malloc(PACK_HEAD + 5 + n * 10)) == NULL)
		return sp_err(ei, SP_ERR_NOMEM, "out of memory");
	memcpy(b, PACK_MAGIC, 4);
	memcpy(b + 4, sha256, 32);
	b[36] = (uint8_t)flags;
	at = PACK_HEAD + put_varint(b + PACK_HEAD, (uint32_t)n);
	for (i = 0; i < n; i += run) {
		neg = nums[i] < 0;
		id = neg ? (nums[i] == INT_MIN ? 0 : -nums[i]) : nums[i];
		/* export's order: ascending, each number once, none 0 but the last */
		if (id <= last || id > PDF_DOC_MAX_OBJECTS) {
			r = sp_err(ei, SP_ERR_INVALID, "references not in export's order at %zu",
				   i);
			goto out;
		}
		for (run = 1;
		     i + run < n && nums[i + run] == (neg ? -(id + (int)run) : id + (int)run);
		     run++)
			;
		at += put_varint(b + at, (uint32_t)(id - last - 1) << 1 | (uint32_t)neg);
		at += put_varint(b + at, (uint32_t)(run - 1));
		last = id + (int)run - 1;
	}
	*out = b;
	*len = at;
	b = NULL; /* transferred */
	r = SP_OK;
out:
	free(b);
	return r;
}

int
pdf_refs_unpack(const uint8_t *in, size_t len, const uint8_t sha256[32], int **nums, size_t *n,
		struct sp_errinfo *ei)
{
	int r = SP_ERR_INTERNAL, *v = NULL;
	uint32_t count, gap, run;
	size_t at = PACK_HEAD, k = 0, j;
	uint64_t id, last = 0;

	*nums = NULL;
	*n = 0;
	if (in == NULL || len < PACK_HEAD + 1 || memcmp(in, PACK_MAGIC, 4) != 0 || in[36] > 1)
		return sp_err(ei, SP_ERR_INVALID, "not packed references");
	/* the set of other bytes is not this one's */
	if (memcmp(in + 4, sha256, 32) != 0)
		return sp_err(ei, SP_ERR_INVALID, "the references describe other bytes");
	if (get_varint(in, len, &at, &count) != 0 || count > PDF_DOC_MAX_OBJECTS)
		return sp_err(ei, SP_ERR_INVALID, "packed references: bad count");
	if ((v = malloc(((size_t)count + 1) * sizeof(*v))) == NULL)
		return sp_err(ei, SP_ERR_NOMEM, "out of memory");
	while (k < count) {
		if (get_varint(in, len, &at, &gap) != 0 || get_varint(in, len, &at, &run) != 0 ||
		    (uint64_t)run + 1 > count - k) {
			r = sp_err(ei, SP_ERR_INVALID, "packed references: bad run at %zu", k);
			goto out;
		}
		id = last + (gap >> 1) + 1;
		if (id + run > PDF_DOC_MAX_OBJECTS) {
			r = sp_err(ei, SP_ERR_INVALID, "packed references: number out of range");
			goto out;
		}
		for (j = 0; j <= run; j++)
			v[k++] = (gap & 1) ? -(int)(id + j) : (int)(id + j);
		last = id + run;
	}
	/* nothing after the last run */
	if (at != len) {
		r = sp_err(ei, SP_ERR_INVALID, "packed references: %zu bytes after the end",
			   len - at);
		goto out;
	}
	if (in[36] & 1)
		v[k++] = 0;
	*nums = v;
	*n = k;
	v = NULL; /* transferred */
	r = SP_OK;
out:
	free(v);
	return r;
}
