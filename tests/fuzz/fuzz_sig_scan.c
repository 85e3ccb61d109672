/*
 * fuzz_sig_scan.c: libFuzzer target, differential. pdf_doc_sigs_preload()
 * reads signature dictionaries from the file's bytes into qpdf's object
 * cache instead of letting qpdf parse them, in every verification and
 * completion: what it accepts must be what qpdf's parse of the same bytes
 * gives. The input opened twice, one preloaded: every object reads the
 * same, and so does every signature field (contents, byte range, names,
 * states), unless qpdf repairs the file. Anything else aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pdf.h"
#include "pdf_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { OBJECTS_MAX = 2048 };

static int
same_sig(const struct pdf_sig_field *a, const struct pdf_sig_field *b)
{
	return a->sig_obj == b->sig_obj && strcmp(a->type, b->type) == 0 &&
	       strcmp(a->filter, b->filter) == 0 && strcmp(a->subfilter, b->subfilter) == 0 &&
	       a->contents_state == b->contents_state && a->byterange_state == b->byterange_state &&
	       a->docmdp_p == b->docmdp_p && a->contents_len == b->contents_len &&
	       (a->contents_len == 0 || memcmp(a->contents, b->contents, a->contents_len) == 0) &&
	       memcmp(a->byterange, b->byterange, sizeof(a->byterange)) == 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pdf_doc *a = NULL, *b = NULL;
	struct pdf_sig_field *sa = NULL, *sb = NULL;
	struct pdf_doc_info in;
	struct sp_errinfo ea, eb;
	size_t na = 0, nb = 0, i;
	int num, same = 1, ra, rb, sections;

	sp_errinfo_init(&ea);
	sp_errinfo_init(&eb);
	if (pdf_doc_open_view(data, size, &a, &ea) != SP_OK)
		return 0;
	if (pdf_doc_open_view(data, size, &b, &eb) != SP_OK)
		abort(); /* the same bytes */
	sections = size > 0 && (data[size - 1] & 1) ? 1 : 2;
	if (pdf_doc_sigs_preload(b, sections) == 0)
		goto done; /* nothing preloaded: both are qpdf's parse */
	pdf_doc_info_get(a, &in);
	for (num = 1; num < in.size && num < OBJECTS_MAX && same; num++) {
		char *x =
			strdup(qpdf_oh_unparse_resolved(a->q, qpdf_get_object_by_id(a->q, num, 0)));
		same = x != NULL &&
		       strcmp(x, qpdf_oh_unparse_resolved(b->q, qpdf_get_object_by_id(b->q, num,
										      0))) == 0;
		free(x);
	}
	ra = pdf_sig_fields_list(a, &sa, &na, &ea);
	rb = pdf_sig_fields_list(b, &sb, &nb, &eb);
	same &= ra == rb && na == nb;
	for (i = 0; same && i < na; i++)
		same = same_sig(&sa[i], &sb[i]);
	/* what was preloaded reads as qpdf parses it, without a repair of its own */
	if (!pdf_doc_damaged(a) && (!same || pdf_doc_damaged(b)))
		abort();
done:
	pdf_sig_fields_free(sa, na);
	pdf_sig_fields_free(sb, nb);
	pdf_doc_free(a);
	pdf_doc_free(b);
	return 0;
}
