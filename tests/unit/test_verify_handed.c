/*
 * test_verify_handed.c: verify once: what a completion hands forward to the
 * next verification spares the work and never the check. This part: the
 * document's own facts (the length verified, the hashed prefix, the
 * references an update adds, the parsed revisions); each verification with
 * them gives the report a full one gives, and a change after them is still
 * judged. The checked signature and digest: test_verify_handed_sig.c; the
 * earlier signatures' reports: test_verify_handed_reports.c.
 * A part of test_verify (one executable, one corpus PKI): test_verify.h.
 */
#define TEST_PART
#include "test_verify.h"

/*
 * Verify once (completion): with verified_len at the end of what was
 * verified before, the earlier signatures are not checked again (prior)
 * but still judged by what the later updates change, and the verdicts of
 * a sound file are the ones a full verification gives.
 */
START_TEST(verified_len_checks_what_is_new)
{
	int nums[1] = { 4 };
	const char *objs[1] = { "<< /Length 42 >>\nstream\nBT /F1 12 Tf 72 700 Td (Pay 999 EUR) Tj "
				"ET\nendstream" };
	size_t n2, n3, nb, n4, i;
	unsigned char *two = vc_sign(good, good_len, "ec", 1, 0, &n2);
	unsigned char *three = vc_sign(two, n2, "rsa", 1, 0, &n3), *bad, *badsig;
	struct crypto_verify_opts o = { .trust = trust, .verified_len = n2 };
	struct crypto_verify_report *full = verify(three, n3), *part = NULL;
	struct sp_errinfo ei;

	sp_errinfo_init(&ei);
	ck_assert_int_eq(crypto_pdf_verify(three, n3, &o, &part, &ei), SP_OK);
	ck_assert_uint_eq(part->nsigs, 3);
	ck_assert_uint_eq(full->nsigs, 3);
	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(part->sigs[i].prior, i < 2);
		ck_assert_int_eq(full->sigs[i].prior, 0);
		ck_assert_int_eq(part->sigs[i].verdict, full->sigs[i].verdict);
	}
	ck_assert_int_eq(part->sigs[2].verdict, CRYPTO_VERDICT_VALID);
	ck_assert_int_eq(part->sigs[2].has_timestamp, 1);
	assert_all_checks(&part->sigs[2], 1);
	ck_assert_int_eq(part->verdict, full->verdict);
	crypto_verify_report_free(part);
	part = NULL;
	/* The same with the documents opened by the caller (completion opens each once) */
	{
		struct crypto_verify_report *given = NULL;
		struct pdf_doc *d3 = NULL, *d2 = NULL;
		ck_assert_int_eq(pdf_doc_open(three, n3, &d3, &ei), SP_OK);
		ck_assert_int_eq(pdf_doc_open(two, n2, &d2, &ei), SP_OK);
		o.doc = d3;
		o.verified_doc = d2;
		ck_assert_int_eq(crypto_pdf_verify(three, n3, &o, &given, &ei), SP_OK);
		ck_assert_int_eq(crypto_pdf_verify(three, n3, &o, &part, &ei), SP_OK);
		o.doc = o.verified_doc = NULL;
		ck_assert_uint_eq(given->nsigs, 3);
		for (i = 0; i < 3; i++) {
			ck_assert_int_eq(given->sigs[i].prior, i < 2);
			ck_assert_int_eq(given->sigs[i].verdict, full->sigs[i].verdict);
			ck_assert_uint_eq(given->sigs[i].nchanges, part->sigs[i].nchanges);
			ck_assert_uint_eq(given->sigs[i].nallowed, part->sigs[i].nallowed);
		}
		assert_all_checks(&given->sigs[2], 1);
		crypto_verify_report_free(given);
		crypto_verify_report_free(part);
		part = NULL;
		pdf_doc_free(d3); /* still the caller's after two verifications */
		pdf_doc_free(d2);
	}
	/* A signed update that changes the content: the earlier signatures are still invalid. */
	bad = vc_update(two, n2, nums, objs, 1, 0, NULL, &nb);
	badsig = vc_sign(bad, nb, "rsa", 1, 0, &n4);
	ck_assert_int_eq(crypto_pdf_verify(badsig, n4, &o, &part, &ei), SP_OK);
	ck_assert_uint_eq(part->nsigs, 3);
	for (i = 0; i < 2; i++) {
		ck_assert_int_eq(part->sigs[i].prior, 1);
		ck_assert_int_eq(part->sigs[i].verdict, CRYPTO_VERDICT_INVALID);
		ck_assert(has_reason(&part->sigs[i], "disallowed_changes"));
	}
	ck_assert_int_eq(part->sigs[2].prior, 0);
	crypto_verify_report_free(part);
	part = NULL;
	/* Even when that unsigned update lies within verified_len: it is checked again. */
	o.verified_len = nb;
	ck_assert_int_eq(crypto_pdf_verify(badsig, n4, &o, &part, &ei), SP_OK);
	for (i = 0; i < 2; i++) {
		ck_assert_int_eq(part->sigs[i].prior, 1);
		ck_assert_int_eq(part->sigs[i].verdict, CRYPTO_VERDICT_INVALID);
	}
	crypto_verify_report_free(part);
	crypto_verify_report_free(full);
	free(badsig);
	free(bad);
	free(three);
	free(two);
}
END_TEST

/*
 * A caller that hashed the base already (completion: the stored revision)
 * hands that digest state on (opts.hashed): the new signature's digest goes
 * on from it and the report is the one hashing from the start gives; a
 * state fed with other bytes makes that digest not match, so it is the one
 * used. The report counts the signed fields the final revision lists.
 */
START_TEST(hashed_prefix_handed_on)
{
	size_t n2, i;
	unsigned char *two = vc_sign(good, good_len, "ec", 1, 0, &n2), *other;
	struct crypto_verify_opts o = { .trust = trust, .verified_len = good_len };
	struct crypto_verify_report *full = verify(two, n2), *r = NULL;
	struct crypto_digest_ctx *c = NULL;
	struct sp_errinfo ei;

	ck_assert_uint_eq(full->nlisted, 2);
	sp_errinfo_init(&ei);
	ck_assert_int_eq(crypto_digest_ctx_new(CRYPTO_DIGEST_SHA256, &c, &ei), SP_OK);
	ck_assert_int_eq(crypto_digest_ctx_update(c, two, good_len, &ei), SP_OK);
	o.hashed = c;
	o.hashed_len = good_len;
	ck_assert_int_eq(crypto_pdf_verify(two, n2, &o, &r, &ei), SP_OK);
	ck_assert_uint_eq(r->nsigs, 2);
	ck_assert_uint_eq(r->nlisted, 2);
	for (i = 0; i < 2; i++)
		ck_assert_int_eq(r->sigs[i].verdict, full->sigs[i].verdict);
	ck_assert_int_eq(r->sigs[1].verdict, CRYPTO_VERDICT_VALID);
	assert_all_checks(&r->sigs[1], 1);
	crypto_verify_report_free(r);
	r = NULL;
	/* not changed by the engine: it verifies the same way again */
	ck_assert_int_eq(crypto_pdf_verify(two, n2, &o, &r, &ei), SP_OK);
	ck_assert_int_eq(r->sigs[1].verdict, CRYPTO_VERDICT_VALID);
	crypto_verify_report_free(r);
	r = NULL;
	crypto_digest_ctx_free(c);
	/* a state of other bytes: the digest does not match (the state is what is used) */
	other = malloc(good_len);
	memcpy(other, two, good_len);
	other[good_len / 2] ^= 1;
	ck_assert_int_eq(crypto_digest_ctx_new(CRYPTO_DIGEST_SHA256, &c, &ei), SP_OK);
	ck_assert_int_eq(crypto_digest_ctx_update(c, other, good_len, &ei), SP_OK);
	o.hashed = c;
	ck_assert_int_eq(crypto_pdf_verify(two, n2, &o, &r, &ei), SP_OK);
	ck_assert_int_eq(r->sigs[1].verdict, CRYPTO_VERDICT_INVALID);
	ck_assert(has_reason(&r->sigs[1], "digest_mismatch"));
	crypto_verify_report_free(r);
	crypto_digest_ctx_free(c);
	free(other);
	crypto_verify_report_free(full);
	free(two);
}
END_TEST

/*
 * What an update's objects refer to counts for the next update's new
 * objects: an unsigned update adds an array of references (read in bulk by
 * the difference check) naming object 99 that does not exist yet; a later
 * update that defines 99 fills a reference already made, which the first
 * signature does not allow; one that defines 97, named by nothing, it does.
 */
START_TEST(update_array_references_count)
{
	static const int n90[1] = { 90 }, n99[1] = { 99 }, n97[1] = { 97 };
	const char *arr[1] = { "[7 0 R 99 0 R 98 0 R]" }, *obj[1] = { "<< /Hello 1 >>" };
	size_t n1, n2, n3;
	unsigned char *u1 = vc_update(good, good_len, n90, arr, 1, 0, NULL, &n1), *u2, *u3;
	struct crypto_verify_report *r;
	size_t i;
	int found = 0;

	u2 = vc_update(u1, n1, n99, obj, 1, 0, NULL, &n2);
	r = verify(u2, n2);
	ck_assert_uint_eq(r->nsigs, 1);
	ck_assert_int_eq(r->sigs[0].verdict, CRYPTO_VERDICT_INVALID);
	ck_assert(has_reason(&r->sigs[0], "disallowed_changes"));
	for (i = 0; i < r->sigs[0].nchanges; i++)
		if (r->sigs[0].changes[i].obj == 99 && !r->sigs[0].changes[i].allowed &&
		    strstr(r->sigs[0].changes[i].what, "fills a reference"))
			found = 1;
	ck_assert(found);
	crypto_verify_report_free(r);
	u3 = vc_update(u1, n1, n97, obj, 1, 0, NULL, &n3);
	r = verify(u3, n3);
	ck_assert_uint_eq(r->sigs[0].ndisallowed, 0);
	ck_assert_int_ne(r->sigs[0].verdict, CRYPTO_VERDICT_INVALID);
	crypto_verify_report_free(r);
	free(u3);
	free(u2);
	free(u1);
}
END_TEST

/*
 * A set of references has room for the numbers a file names, grown as they
 * come (pdf/diff_refs.c), not for the most any file may have: a reference
 * past the file's /Size, just past the first room and near the cap, still
 * counts. An unsigned update names 2000 and 3999999 in an array (/Size 91);
 * a later update that defines either fills a reference already made, which
 * the signature does not allow; as in update_array_references_count.
 */
START_TEST(references_past_the_files_size_count)
{
	static const int n90[1] = { 90 }, fill[3] = { 2000, 3999999, 1999 };
	const char *arr[1] = { "[7 0 R 2000 0 R 3999999 0 R]" }, *obj[1] = { "<< /Hello 1 >>" };
	size_t n1, n2, i, k;
	unsigned char *u1 = vc_update(good, good_len, n90, arr, 1, 0, NULL, &n1), *u2;
	struct crypto_verify_report *r;
	int found;

	for (k = 0; k < 3; k++) {
		u2 = vc_update(u1, n1, &fill[k], obj, 1, 0, NULL, &n2);
		r = verify(u2, n2);
		ck_assert_uint_eq(r->nsigs, 1);
		found = 0;
		for (i = 0; i < r->sigs[0].nchanges; i++)
			if (r->sigs[0].changes[i].obj == fill[k] &&
			    !r->sigs[0].changes[i].allowed &&
			    strstr(r->sigs[0].changes[i].what, "fills a reference"))
				found = 1;
		/* 1999, named by nothing, may be added */
		ck_assert_msg(found == (fill[k] != 1999),
			      "object %d defined after the update that names it past /Size 91: "
			      "verdict %s, %zu disallowed change(s), filling reference found: %d",
			      fill[k], crypto_verdict_name(r->sigs[0].verdict),
			      r->sigs[0].ndisallowed, found);
		ck_assert_int_eq(r->sigs[0].verdict,
				 fill[k] != 1999 ? CRYPTO_VERDICT_INVALID : r->sigs[0].verdict);
		if (fill[k] == 1999)
			ck_assert_uint_eq(r->sigs[0].ndisallowed, 0);
		crypto_verify_report_free(r);
		free(u2);
	}
	free(u1);
}
END_TEST

/*
 * Every change an update makes is counted and the first ones listed, however
 * few or many (pdf/diff_note.c grows the list as changes are noted): an
 * unsigned update names 1000..1299 in an array, and a later one defines all
 * 300, each filling a reference already made. The report counts 300
 * disallowed changes and lists the first CRYPTO_VERIFY_CHANGES_MAX, in order.
 */
START_TEST(many_changes_of_one_update_are_listed)
{
	static const int n90[1] = { 90 };
	enum { NFILL = 300 };
	char arr[NFILL * 12 + 8], *objv = "<< /Hello 1 >>";
	const char *arrp[1] = { arr }, *objs[NFILL];
	int nums[NFILL];
	size_t n1, n2, i, at = 0;
	unsigned char *u1, *u2;
	struct crypto_verify_report *r;

	at += (size_t)snprintf(arr + at, sizeof(arr) - at, "[");
	for (i = 0; i < NFILL; i++) {
		nums[i] = 1000 + (int)i;
		objs[i] = objv;
		at += (size_t)snprintf(arr + at, sizeof(arr) - at, "%d 0 R ", nums[i]);
	}
	snprintf(arr + at, sizeof(arr) - at, "]");
	u1 = vc_update(good, good_len, n90, arrp, 1, 0, NULL, &n1);
	u2 = vc_update(u1, n1, nums, objs, NFILL, 0, NULL, &n2);
	r = verify(u2, n2);
	ck_assert_uint_eq(r->nsigs, 1);
	ck_assert_int_eq(r->sigs[0].verdict, CRYPTO_VERDICT_INVALID);
	ck_assert_msg(r->sigs[0].ndisallowed == NFILL &&
			      r->sigs[0].nchanges == CRYPTO_VERIFY_CHANGES_MAX,
		      "an update filling %d references: %zu disallowed, %zu listed (of %d)", NFILL,
		      r->sigs[0].ndisallowed, r->sigs[0].nchanges, CRYPTO_VERIFY_CHANGES_MAX);
	for (i = 0; i < r->sigs[0].nchanges; i++) {
		ck_assert_int_eq(r->sigs[0].changes[i].obj, 1000 + (int)i);
		ck_assert(strstr(r->sigs[0].changes[i].what, "fills a reference") != NULL);
	}
	crypto_verify_report_free(r);
	free(u2);
	free(u1);
}
END_TEST

/*
 * The same through a page's bytes (pdf/diff_refs.c diff_refs_bytes: a page
 * plainly written is not parsed by qpdf for its references): an unsigned
 * update appends 3999999 0 R to page 1's /Annots, far past the set's first
 * room; a later update that defines 3999999 fills a reference already made.
 */
START_TEST(page_references_past_the_files_size_count)
{
	static const int fill[1] = { 3999999 };
	const char *obj[1] = { "<< /Hello 1 >>" }, *pg, *ann;
	char *page;
	int pnum;
	size_t n1, n2, i, len;
	unsigned char *u1, *u2;
	struct crypto_verify_report *r;
	qpdf_data q = qpdf_init();
	int found = 0;

	qpdf_silence_errors(q);
	ck_assert_int_eq(qpdf_read_memory(q, "good.pdf", (const char *)good, good_len, "") &
				 QPDF_ERRORS,
			 0);
	pnum = qpdf_oh_get_object_id(q, qpdf_get_page_n(q, 0));
	pg = qpdf_oh_unparse_resolved(q, qpdf_get_page_n(q, 0));
	len = strlen(pg);
	ck_assert_ptr_nonnull(page = malloc(len + 64));
	if ((ann = strstr(pg, "/Annots [")) != NULL)
		snprintf(page, len + 64, "%.*s 3999999 0 R%s", (int)(ann + 9 - pg), pg, ann + 9);
	else /* before the dictionary's closing ">>" */
		snprintf(page, len + 64, "%.*s /Annots [3999999 0 R] >>", (int)(len - 2), pg);
	qpdf_cleanup(&q);
	u1 = vc_update(good, good_len, &pnum, (const char *const *)&page, 1, 0, NULL, &n1);
	u2 = vc_update(u1, n1, fill, obj, 1, 0, NULL, &n2);
	r = verify(u2, n2);
	ck_assert_uint_eq(r->nsigs, 1);
	for (i = 0; i < r->sigs[0].nchanges; i++)
		if (r->sigs[0].changes[i].obj == fill[0] && !r->sigs[0].changes[i].allowed &&
		    strstr(r->sigs[0].changes[i].what, "fills a reference"))
			found = 1;
	ck_assert_msg(found,
		      "object 3999999 defined after the update whose page names it: verdict %s, "
		      "%zu disallowed change(s), filling reference found: %d",
		      crypto_verdict_name(r->sigs[0].verdict), r->sigs[0].ndisallowed, found);
	crypto_verify_report_free(r);
	free(u2);
	free(u1);
	free(page);
}
END_TEST

/*
 * A caller that found the file's revisions already (completion: for the
 * page and form checks) hands them on (opts.revs_known): the report is the
 * one the engine's own find gives; a list that is not these bytes' (the
 * last revision ending elsewhere) is what is used, so the new signature's
 * range no longer ends a revision.
 */
START_TEST(revisions_handed_on)
{
	size_t n2, nrev = 0, i;
	unsigned char *two = vc_sign(good, good_len, "ec", 1, 0, &n2);
	struct pdf_revision revs[PDF_REVISIONS_MAX];
	struct crypto_verify_opts o = { .trust = trust, .verified_len = good_len };
	struct crypto_verify_report *full = NULL, *r = NULL;
	struct sp_errinfo ei;

	sp_errinfo_init(&ei);
	ck_assert_int_eq(crypto_pdf_verify(two, n2, &o, &full, &ei), SP_OK);
	ck_assert_int_eq(pdf_revisions_find(two, n2, revs, PDF_REVISIONS_MAX, &nrev, &ei), SP_OK);
	ck_assert_uint_eq(nrev, 3); /* the upload, the first signature's, the second's */
	o.revs_known = revs;
	o.nrevs_known = nrev;
	ck_assert_int_eq(crypto_pdf_verify(two, n2, &o, &r, &ei), SP_OK);
	ck_assert_uint_eq(r->nsigs, full->nsigs);
	ck_assert_uint_eq(r->nrevisions, full->nrevisions);
	ck_assert_int_eq(r->verdict, full->verdict);
	for (i = 0; i < r->nsigs; i++) {
		ck_assert_int_eq(r->sigs[i].verdict, full->sigs[i].verdict);
		ck_assert_uint_eq(r->sigs[i].revision, full->sigs[i].revision);
		ck_assert_int_eq(r->sigs[i].prior, full->sigs[i].prior);
		ck_assert_uint_eq(r->sigs[i].nreasons, full->sigs[i].nreasons);
	}
	ck_assert_int_eq(r->sigs[1].verdict, CRYPTO_VERDICT_VALID);
	crypto_verify_report_free(r);
	r = NULL;
	/* another file's list: used as given */
	revs[2].end = revs[2].eof_end = n2 - 1;
	ck_assert_int_eq(crypto_pdf_verify(two, n2, &o, &r, &ei), SP_OK);
	ck_assert_int_eq(r->sigs[1].verdict, CRYPTO_VERDICT_INVALID);
	ck_assert(has_reason(&r->sigs[1], "byterange_not_revision_end"));
	crypto_verify_report_free(r);
	crypto_verify_report_free(full);
	free(two);
}
END_TEST

void
verify_handed_add(TCase *tc)
{
	tcase_add_test(tc, verified_len_checks_what_is_new);
	tcase_add_test(tc, hashed_prefix_handed_on);
	tcase_add_test(tc, revisions_handed_on);
	tcase_add_test(tc, update_array_references_count);
	tcase_add_test(tc, references_past_the_files_size_count);
	tcase_add_test(tc, page_references_past_the_files_size_count);
	tcase_add_test(tc, many_changes_of_one_update_are_listed);
}
