/*
 * test_verify_signable.h: prepare's DocMDP check as sealpactd runs it, from
 * the signature reads a verification hands on, for the tests that compare it
 * with reading every signature again (test_verify_mdp.c, test_verify_world.c).
 * Header-only (static), as test_verify_corpus.h.
 */
#ifndef TEST_VERIFY_SIGNABLE_H
#define TEST_VERIFY_SIGNABLE_H

#include <check.h>
#include <stdlib.h>

#include "crypto.h"
#include "pdf.h"

/*
 * pdf_docmdp_check_signable_known with the signature reads a verification of
 * exactly d[0..n) against t hands on (what sealpactd's prepare is given):
 * the same answer, and the same reason, as reading every signature again.
 * *nreads: how many.
 */
static __attribute__((unused)) int
signable_known(struct crypto_trust *t, const unsigned char *d, size_t n, struct sp_errinfo *ei,
	       size_t *nreads)
{
	struct crypto_verify_opts o = { .trust = t };
	struct crypto_verify_report *rep = NULL;
	struct pdf_sig_field *reads = NULL;
	struct pdf_doc *doc = NULL;
	uint8_t *s = NULL;
	size_t l = 0;
	int r;

	o.sigs_out = &s;
	o.sigs_out_len = &l;
	ck_assert_msg(crypto_pdf_verify(d, n, &o, &rep, ei) == SP_OK, "%s", ei->msg);
	crypto_verify_report_free(rep);
	*nreads = 0;
	if (s != NULL) {
		ck_assert_int_eq(pdf_sig_reads_unpack(s, l, &reads, nreads, ei), SP_OK);
		pdf_sig_fields_free(reads, *nreads);
	}
	ck_assert_int_eq(pdf_doc_open_stored(d, n, &doc, ei), SP_OK);
	r = pdf_docmdp_check_signable_known(doc, NULL, s, l, ei);
	pdf_doc_free(doc);
	free(s);
	return r;
}

#endif
