/*
 * test_pdf_form_kept.h: the helpers of test_pdf_form_kept.c (the kept facts
 * answer what a walk answers, carried over signings) and
 * test_pdf_form_kept_hostile.c (no hostile update carries them over): the
 * fixtures read, the kept and the walked form compared, the DocMDP check on
 * bytes, a signing, the facts carried over an update, a file signed twice.
 * Header-only (static), as test_pdf_sign.h, because each test is its own
 * executable.
 */
#ifndef TEST_PDF_FORM_KEPT_H
#define TEST_PDF_FORM_KEPT_H

#define FK_FN static __attribute__((unused))

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "pdf_int.h"

FK_FN unsigned char *
slurp(const char *rel, size_t *n)
{
	char path[1024];
	unsigned char *d = NULL;
	struct sp_errinfo ei;
	const char *src = getenv("SEALPACT_SOURCE_DIR");

	snprintf(path, sizeof(path), "%s/%s", src ? src : ".", rel);
	sp_errinfo_init(&ei);
	if (sp_file_read(path, PDF_DOC_MAX_BYTES, &d, n, &ei) != SP_OK)
		return NULL;
	return d;
}

FK_FN void
sha(const unsigned char *d, size_t n, uint8_t out[32])
{
	unsigned int l = 0;

	ck_assert_int_eq(EVP_Digest(d, n, out, &l, EVP_sha256(), NULL), 1);
}

/*
 * The listing of the signatures other than skip's (pdf_sig_fields_list_new:
 * the verifier's search for signatures a later revision hides), from the
 * facts and walked: the same fields, in the same order, read the same.
 */
FK_FN void
same_list_new(struct pdf_doc *kept, struct pdf_doc *walked, const int *skip, size_t nskip)
{
	struct pdf_sig_field *x = NULL, *y = NULL;
	size_t nx = 0, ny = 0, i;
	struct sp_errinfo e1, e2;
	int r1, r2;

	sp_errinfo_init(&e1);
	sp_errinfo_init(&e2);
	r1 = pdf_sig_fields_list_new(kept, skip, nskip, &x, &nx, &e1);
	r2 = pdf_sig_fields_list_new(walked, skip, nskip, &y, &ny, &e2);
	ck_assert_int_eq(r1, r2);
	ck_assert_uint_eq(nx, ny);
	for (i = 0; i < nx; i++) {
		ck_assert_str_eq(x[i].name, y[i].name);
		ck_assert_int_eq(x[i].field_obj, y[i].field_obj);
		ck_assert_int_eq(x[i].sig_obj, y[i].sig_obj);
		ck_assert_int_eq(x[i].sig_gen, y[i].sig_gen);
		ck_assert_int_eq(x[i].unread, y[i].unread);
		ck_assert_int_eq(x[i].unread, 0);
		ck_assert_str_eq(x[i].type, y[i].type);
		ck_assert_str_eq(x[i].subfilter, y[i].subfilter);
		ck_assert_int_eq(x[i].contents_state, y[i].contents_state);
		ck_assert_int_eq(x[i].byterange_state, y[i].byterange_state);
		ck_assert_int_eq(x[i].self_contained, y[i].self_contained);
		ck_assert_uint_eq(x[i].contents_len, y[i].contents_len);
		if (x[i].contents_len > 0)
			ck_assert(memcmp(x[i].contents, y[i].contents, x[i].contents_len) == 0);
		ck_assert(memcmp(x[i].byterange, y[i].byterange, sizeof(x[i].byterange)) == 0);
		ck_assert_int_eq(x[i].lock, y[i].lock);
		ck_assert_int_eq(x[i].docmdp_p, y[i].docmdp_p);
	}
	pdf_sig_fields_free(x, nx);
	pdf_sig_fields_free(y, ny);
}

/* What a user of the document sees of its form: walked (no facts) or from facts. */
FK_FN void
same_form(struct pdf_doc *kept, struct pdf_doc *walked)
{
	struct pdf_doc_info a, b;
	struct pdf_sig_field *x = NULL, *y = NULL;
	size_t nx = 0, ny = 0, i;
	struct sp_errinfo e1, e2;
	int r1, r2;

	pdf_doc_info_get(kept, &a);
	pdf_doc_info_get(walked, &b);
	ck_assert_int_eq(a.has_acroform, b.has_acroform);
	ck_assert_int_eq(a.nfields, b.nfields);
	ck_assert_int_eq(a.nsigfields, b.nsigfields);
	ck_assert_int_eq(a.nsigned, b.nsigned);
	ck_assert_uint_eq(kept->nfieldnames, walked->nfieldnames);
	for (i = 0; i < kept->nfieldnames; i++)
		ck_assert_str_eq(kept->fieldnames[i], walked->fieldnames[i]);
	sp_errinfo_init(&e1);
	sp_errinfo_init(&e2);
	r1 = pdf_sig_fields_list_lazy(kept, &x, &nx, &e1);
	r2 = pdf_sig_fields_list_lazy(walked, &y, &ny, &e2);
	ck_assert_int_eq(r1, r2);
	ck_assert_uint_eq(nx, ny);
	for (i = 0; i < nx; i++) {
		ck_assert_str_eq(x[i].name, y[i].name);
		ck_assert_int_eq(x[i].field_obj, y[i].field_obj);
		ck_assert_int_eq(x[i].sig_obj, y[i].sig_obj);
		ck_assert_int_eq(x[i].sig_gen, y[i].sig_gen);
		ck_assert_int_eq(x[i].unread, y[i].unread);
		ck_assert_int_eq(x[i].lock, y[i].lock);
		ck_assert_int_eq(x[i].lock_p, y[i].lock_p);
		ck_assert_int_eq(x[i].docmdp_p, y[i].docmdp_p);
		ck_assert(memcmp(x[i].lock_fields, y[i].lock_fields, sizeof(x[i].lock_fields)) ==
			  0);
	}
	/* and with each signature left out in turn, and with a number none is */
	{
		int skip[2] = { 999999, 0 };
		same_list_new(kept, walked, skip, 1);
		for (i = 0; i < nx; i++) {
			skip[1] = x[i].sig_obj;
			same_list_new(kept, walked, skip, 2);
		}
	}
	pdf_sig_fields_free(x, nx);
	pdf_sig_fields_free(y, ny);
	sp_errinfo_init(&e1);
	sp_errinfo_init(&e2);
	r1 = pdf_docmdp_check_signable_known(kept, NULL, NULL, 0, &e1);
	r2 = pdf_docmdp_check_signable_known(walked, NULL, NULL, 0, &e2);
	ck_assert_int_eq(r1, r2);
	ck_assert_str_eq(e1.msg, e2.msg);
}

/* d opened with facts (made by a walk, or given) against d walked; 1 when it opened. */
FK_FN int
check_bytes(const unsigned char *d, size_t n, const uint8_t *facts, size_t flen)
{
	struct pdf_doc *w = NULL, *k = NULL;
	struct sp_errinfo ei;
	uint8_t dig[32], *mine = NULL;
	int *pages = NULL;
	size_t np = 0, mlen = 0;

	sp_errinfo_init(&ei);
	if (pdf_doc_open_stored(d, n, &w, &ei) != SP_OK)
		return 0;
	if (pdf_doc_page_objs(w, &pages, &np, &ei) != SP_OK) {
		pdf_doc_free(w);
		return 0;
	}
	sha(d, n, dig);
	if (facts == NULL) {
		struct pdf_doc *x = NULL;
		/* made by a walk of its own document (not w's: its listing would use them) */
		ck_assert_int_eq(pdf_doc_open_stored(d, n, &x, &ei), SP_OK);
		if (pdf_doc_form_export(x, dig, &mine, &mlen, &ei) != SP_OK) {
			pdf_doc_free(x);
			pdf_doc_free(w);
			free(pages);
			return 0; /* not keepable: the walk decides */
		}
		pdf_doc_free(x);
		facts = mine;
		flen = mlen;
	}
	ck_assert_int_eq(pdf_doc_open_stored_kept(d, n, pages, np, facts, flen, dig, &k, &ei),
			 SP_OK);
	ck_assert_int_eq(pdf_doc_form_walked(k), 0);
	ck_assert_int_eq(pdf_doc_form_walked(w), 1);
	same_form(k, w);
	pdf_doc_free(k);
	/* facts of other bytes are not used: the form is walked */
	dig[0] ^= 1;
	ck_assert_int_eq(pdf_doc_open_stored_kept(d, n, pages, np, facts, flen, dig, &k, &ei),
			 SP_OK);
	ck_assert_int_eq(pdf_doc_form_walked(k), 1);
	pdf_doc_free(k);
	pdf_doc_free(w);
	free(pages);
	free(mine);
	return 1;
}

/* pdf_docmdp_check_signable_known's answer for d opened with facts (NULL: walked). */
FK_FN int
signable(const unsigned char *d, size_t n, const uint8_t *facts, size_t flen)
{
	struct pdf_doc *w = NULL, *k = NULL;
	struct sp_errinfo ei;
	int *pages = NULL, r;
	size_t np = 0;
	uint8_t dig[32];

	sp_errinfo_init(&ei);
	ck_assert_int_eq(pdf_doc_open_stored(d, n, &w, &ei), SP_OK);
	ck_assert_int_eq(pdf_doc_page_objs(w, &pages, &np, &ei), SP_OK);
	sha(d, n, dig);
	ck_assert_int_eq(pdf_doc_open_stored_kept(d, n, pages, np, facts, flen, dig, &k, &ei),
			 SP_OK);
	ck_assert_int_eq(pdf_doc_form_walked(k), facts == NULL);
	r = pdf_docmdp_check_signable_known(k, NULL, NULL, 0, &ei);
	pdf_doc_free(k);
	pdf_doc_free(w);
	free(pages);
	return r;
}

FK_FN unsigned char *
sign(const unsigned char *d, size_t n, int widgets, const char *name, size_t *outn)
{
	struct pdf_doc *doc = NULL;
	struct pdf_sig_params p;
	struct pdf_sig_prepared out;
	struct pdf_placement pl[2];
	struct sp_errinfo ei;
	unsigned char *r;
	int i;

	sp_errinfo_init(&ei);
	memset(&p, 0, sizeof(p));
	memset(pl, 0, sizeof(pl));
	p.signing_time = 1700000000;
	p.contents_max = 2048;
	p.field_name = name;
	for (i = 0; i < widgets; i++) {
		pl[i].mode = PDF_PLACE_DATE;
		pl[i].page = 1;
		pl[i].x = 100 + 150 * i;
		pl[i].y = 100;
	}
	ck_assert_int_eq(pdf_doc_open(d, n, &doc, &ei), SP_OK);
	ck_assert_msg(pdf_sig_prepare(doc, &p, NULL, 0, pl, (size_t)widgets, &out, &ei) == SP_OK,
		      "%s", ei.msg);
	pdf_doc_free(doc);
	r = out.data;
	*outn = out.len;
	out.data = NULL;
	pdf_sig_prepared_cleanup(&out);
	return r;
}

/*
 * The facts of older (older_facts, for older's bytes) carried over the last
 * update of newer: SP_OK and newer's facts packed in *out, or the refusal.
 */
FK_FN int
carry(const unsigned char *older, size_t on, const uint8_t *older_facts, size_t oflen,
      const unsigned char *newer, size_t nn, uint8_t **out, size_t *outlen)
{
	struct pdf_doc *o = NULL, *nw = NULL;
	struct pdf_revision revs[PDF_REVISIONS_MAX];
	struct sp_errinfo ei;
	uint8_t od[32], nd[32];
	size_t nrev = 0;
	int r;

	sp_errinfo_init(&ei);
	sha(older, on, od);
	sha(newer, nn, nd);
	*out = NULL;
	ck_assert_int_eq(pdf_doc_open_view(older, on, &o, &ei), SP_OK);
	ck_assert_int_eq(pdf_doc_open_known(newer, nn, NULL, 0, &nw, &ei), SP_OK);
	ck_assert_int_eq(pdf_doc_form_load_kept(o, older_facts, oflen, od, &ei), SP_OK);
	ck_assert_int_eq(pdf_revisions_find(newer, nn, revs, PDF_REVISIONS_MAX, &nrev, &ei), SP_OK);
	r = pdf_doc_form_keep(o, nw, revs, nrev, &ei);
	if (r == SP_OK)
		ck_assert_int_eq(pdf_doc_form_export(nw, nd, out, outlen, &ei), SP_OK);
	pdf_doc_free(nw);
	pdf_doc_free(o);
	return r;
}

FK_FN uint8_t *
facts_of(const unsigned char *d, size_t n, size_t *len)
{
	struct pdf_doc *doc = NULL;
	struct sp_errinfo ei;
	uint8_t dig[32], *f = NULL;

	sp_errinfo_init(&ei);
	sha(d, n, dig);
	ck_assert_int_eq(pdf_doc_open_stored(d, n, &doc, &ei), SP_OK);
	ck_assert_int_eq(pdf_doc_form_export(doc, dig, &f, len, &ei), SP_OK);
	pdf_doc_free(doc);
	return f;
}

/* Two signed fields: the second with /Kids. */
FK_FN unsigned char *
two_signed(size_t *n, uint8_t **facts, size_t *flen)
{
	size_t n0, n1;
	unsigned char *d = slurp("tests/fixtures/contracts/contract30.pdf", &n0), *a, *b;

	ck_assert_ptr_nonnull(d);
	a = sign(d, n0, 1, "First", &n1);
	b = sign(a, n1, 2, "Second", n);
	free(d);
	free(a);
	*facts = facts_of(b, *n, flen);
	return b;
}

#endif
