/*
 * fuzz_report_merge.c: libFuzzer target over completion's merge into a
 * stored report (server/api/verify_report_splice.c). The input's first two
 * bytes pick the engine's report (k = 2..20 signatures, a report_chain.h
 * variant); the rest is the stored text. The splice must give exactly what
 * jansson's merge gives (the same result code, the same bytes) or leave the
 * text to jansson; and a text it indexes must be one jansson reads and
 * writes back unchanged. Seeds (corpus/report_merge): stored reports the
 * chain makes, k = 1..4, written by `fuzz_report_merge -seeds DIR`.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "../support/report_chain.h"
#include "crypto.h"
#include "verify_report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static void
check(const char *base, const struct crypto_verify_report *rep, size_t max)
{
	json_t *j = json_loads(base, 0, NULL);
	struct verify_report_base *vb = NULL;
	char *a = NULL, *b = NULL, *back;
	void *idx = NULL;
	size_t al = 0, bl = 0, size, idxlen = 0;
	int ra, rb;

	ra = verify_report_merge_json(j, rep, max, &a, &al);
	if (verify_report_base_open(base, &vb) != SP_OK)
		abort();
	size = (size_t)json_integer_value(json_object_get(j, "size"));
	if (verify_report_base_covers(vb, size) != json_is_object(j))
		abort();
	rb = verify_report_base_merge(vb, rep, max, &b, &bl, &idx, &idxlen);
	if (ra != rb || (a == NULL) != (b == NULL) ||
	    (a != NULL && (al != bl || memcmp(a, b, al) != 0)))
		abort(); /* the splice wrote something else than jansson */
	if (idx != NULL && (b == NULL || !verify_report_index_matches(b, idx, idxlen)))
		abort(); /* the index of the result is not what a scan of it finds */
	free(idx);
	if (verify_report_base_spliced(vb)) {
		if ((back = json_dumps(j, JSON_COMPACT)) == NULL || strcmp(back, base) != 0)
			abort(); /* indexed a text jansson would write otherwise */
		free(back);
	}
	verify_report_base_free(vb);
	json_decref(j);
	free(a);
	free(b);
}

/* With -seeds DIR: write the seed corpus there and exit. */
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct crypto_verify_report rep;
	char path[4096], *text = NULL, *next;
	size_t k, len;
	unsigned v;
	FILE *f;

	if (*argc < 3 || strcmp((*argv)[1], "-seeds") != 0)
		return 0;
	for (v = 0; v < 64; v += 21) {
		if (chain_rep(&rep, 1, v) != 0 || verify_report_text(&rep, 1 << 24, &text, &len))
			exit(1);
		chain_rep_free(&rep);
		for (k = 1; k <= 4; k++) {
			snprintf(path, sizeof(path), "%s/v%02u_k%zu", (*argv)[2], v, k);
			if ((f = fopen(path, "wb")) == NULL)
				exit(1);
			/* the selectors: the next completion (k + 1), this variant */
			fputc((int)(k - 1), f);
			fputc((int)v, f);
			fwrite(text, 1, strlen(text), f);
			fclose(f);
			if (chain_rep(&rep, k + 1, v) != 0 ||
			    verify_report_merge(text, &rep, 1 << 24, &next, &len) != SP_OK ||
			    next == NULL)
				exit(1);
			chain_rep_free(&rep);
			free(text);
			text = next;
		}
		free(text);
	}
	exit(0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct crypto_verify_report rep;
	char *base;

	if (size < 2 || (base = malloc(size - 1)) == NULL)
		return 0;
	/* the stored text: the input after the selectors, up to a NUL */
	memcpy(base, data + 2, size - 2);
	base[size - 2] = '\0';
	/* the engine's report: k = 2..20 signatures, variant 0..63 */
	if (chain_rep(&rep, (size_t)(data[0] % 19) + 2, (unsigned)(data[1] & 63)) != 0) {
		free(base);
		return 0;
	}
	check(base, &rep, 1 << 24);
	check(base, &rep, size / 2); /* and one too small for the result, usually */
	chain_rep_free(&rep);
	free(base);
	return 0;
}
