/*
 * test_verify_handed_reports.c: verify once, the earlier signatures: a
 * completion hands the signature dictionaries it read to the next one
 * (verified_sigs / sigs_out), and the report is the one a verification
 * without them gives, whatever a later update rewrites.
 * A part of test_verify (one executable, one corpus PKI): test_verify.h.
 */
#define TEST_PART
#include "test_verify.h"

/* Two reports say the same of every signature (what a reader of either would see). */
static void
assert_same_report(const struct crypto_verify_report *a, const struct crypto_verify_report *b)
{
	size_t i, j;

	ck_assert_uint_eq(a->nsigs, b->nsigs);
	ck_assert_int_eq(a->verdict, b->verdict);
	ck_assert_str_eq(a->reason, b->reason);
	ck_assert_uint_eq(a->nrevisions, b->nrevisions);
	for (i = 0; i < a->nsigs; i++) {
		const struct crypto_sig_report *x = &a->sigs[i], *y = &b->sigs[i];
		ck_assert_str_eq(x->field, y->field);
		ck_assert_int_eq(x->sig_obj, y->sig_obj);
		ck_assert_str_eq(x->subfilter, y->subfilter);
		ck_assert_int_eq(x->verdict, y->verdict);
		ck_assert_int_eq(x->prior, y->prior);
		ck_assert_uint_eq(x->revision, y->revision);
		ck_assert_uint_eq(x->nreasons, y->nreasons);
		for (j = 0; j < x->nreasons; j++)
			ck_assert_str_eq(x->reasons[j], y->reasons[j]);
		ck_assert_str_eq(x->message, y->message);
		for (j = 0; j < 4; j++)
			ck_assert_int_eq(x->byte_range[j], y->byte_range[j]);
		ck_assert_int_eq(x->structure_ok, y->structure_ok);
		ck_assert_int_eq(x->digest_ok, y->digest_ok);
		ck_assert_int_eq(x->signature_ok, y->signature_ok);
		ck_assert_int_eq(x->chain_ok, y->chain_ok);
		ck_assert_int_eq(x->timestamp_ok, y->timestamp_ok);
		ck_assert_int_eq(x->changes_ok, y->changes_ok);
		ck_assert_uint_eq(x->nchanges, y->nchanges);
		ck_assert_uint_eq(x->nallowed, y->nallowed);
		ck_assert_uint_eq(x->ndisallowed, y->ndisallowed);
	}
}

/* how many signed fields the given revision lists (crypto_verify_opts.verified_nlisted) */
static size_t vg_nlisted;

/* data verified with the revision ending at vlen given (opened here), and sigs as known. */
static struct crypto_verify_report *
verify_given(const unsigned char *data, size_t n, size_t vlen, const uint8_t *sigs, size_t slen,
	     uint8_t **sigs_out, size_t *sigs_out_len)
{
	struct crypto_verify_opts o = { .trust = trust, .verified_len = vlen };
	struct crypto_verify_report *rep = NULL;
	struct pdf_doc *d = NULL, *v = NULL;
	struct sp_errinfo ei;

	sp_errinfo_init(&ei);
	ck_assert_int_eq(pdf_doc_open_view(data, n, &d, &ei), SP_OK);
	if (vlen > 0)
		ck_assert_int_eq(pdf_doc_open_view(data, vlen, &v, &ei), SP_OK);
	o.doc = d;
	o.verified_doc = v;
	o.verified_sigs = sigs;
	o.verified_sigs_len = slen;
	o.verified_nlisted = sigs != NULL ? vg_nlisted : 0;
	o.sigs_out = sigs_out;
	o.sigs_out_len = sigs_out_len;
	ck_assert_msg(crypto_pdf_verify(data, n, &o, &rep, &ei) == SP_OK, "%s", ei.msg);
	pdf_doc_free(v);
	pdf_doc_free(d);
	return rep;
}

/*
 * A completion hands the signature dictionaries it read to the next one
 * (verified_sigs / sigs_out), so that a contract's earlier signatures are
 * not parsed again at every signing. The report is the one a verification
 * without them gives, and only what the later updates leave alone is taken:
 * an update that rewrites an earlier signature's dictionary is judged
 * exactly as without the hand-over.
 */
START_TEST(earlier_signatures_handed_forward)
{
	size_t n2, n3, n4, nb, l2 = 0, l3 = 0, l4 = 0, nr, i;
	unsigned char *two = vc_sign(good, good_len, "ec", 1, 0, &n2);
	unsigned char *three = vc_sign(two, n2, "rsa", 1, 0, &n3), *four, *bad, *badsig;
	uint8_t *s2 = NULL, *s3 = NULL, *s4 = NULL, *forged;
	struct crypto_verify_report *r2, *plain, *handed, *r4, *p4;
	struct pdf_sig_field *reads = NULL;
	struct sp_errinfo ei;
	int nums[1];
	const char *objs[1];
	char body[256];

	sp_errinfo_init(&ei);
	/* the upload's first verification reads every signature and hands them on */
	r2 = verify_given(two, n2, 0, NULL, 0, &s2, &l2);
	ck_assert_ptr_nonnull(s2);
	ck_assert_int_eq(pdf_sig_reads_unpack(s2, l2, &reads, &nr, &ei), SP_OK);
	ck_assert_uint_eq(nr, r2->nsigs);
	for (i = 0; i < nr; i++) {
		ck_assert(reads[i].self_contained);
		ck_assert_int_eq(reads[i].sig_obj, r2->sigs[i].sig_obj);
		ck_assert_int_eq(reads[i].byterange[3], r2->sigs[i].byte_range[3]);
		ck_assert_uint_gt(reads[i].contents_len, 100);
	}
	pdf_sig_fields_free(reads, nr);
	/* the next signing: the same report with and without them (and with the count
	   the upload's verification listed: its form is then not walked for hidden ones) */
	ck_assert_uint_eq(r2->nlisted, 2);
	vg_nlisted = r2->nlisted;
	plain = verify_given(three, n3, n2, NULL, 0, NULL, NULL);
	handed = verify_given(three, n3, n2, s2, l2, &s3, &l3);
	ck_assert_uint_eq(handed->nlisted, 3);
	assert_same_report(plain, handed);
	ck_assert_uint_eq(handed->nsigs, 3);
	ck_assert_int_eq(handed->sigs[2].verdict, CRYPTO_VERDICT_VALID);
	ck_assert_ptr_nonnull(s3);
	crypto_verify_report_free(plain);
	crypto_verify_report_free(handed);
	/* and the one after, from what that one handed on */
	vg_nlisted = 3;
	four = vc_sign(three, n3, "ec", 1, 0, &n4);
	plain = verify_given(four, n4, n3, NULL, 0, NULL, NULL);
	r4 = verify_given(four, n4, n3, s3, l3, &s4, &l4);
	assert_same_report(plain, r4);
	ck_assert_uint_eq(r4->nsigs, 4);
	ck_assert_int_eq(pdf_sig_reads_unpack(s4, l4, &reads, &nr, &ei), SP_OK);
	ck_assert_uint_eq(nr, 4);
	/* each gap was found to be its /Contents (the earlier ones by a verification before,
	   of the bytes this file starts with): the next one need not compare them again */
	for (i = 0; i < nr; i++)
		ck_assert_int_eq(reads[i].gap_ok, 1);
	/* the prepare's DocMDP check takes the same reads without their /Contents */
	{
		struct pdf_sig_field *heads = NULL;
		size_t nh = 0;

		ck_assert_int_eq(pdf_sig_reads_heads(s4, l4, &heads, &nh, &ei), SP_OK);
		ck_assert_uint_eq(nh, nr);
		for (i = 0; i < nr; i++) {
			ck_assert_ptr_null(heads[i].contents);
			ck_assert_uint_eq(heads[i].contents_len, reads[i].contents_len);
			heads[i].contents = reads[i].contents;
			ck_assert_mem_eq(&heads[i], &reads[i], sizeof(heads[i]));
			heads[i].contents = NULL;
		}
		pdf_sig_fields_free(heads, nh);
		/* and refuses what pack did not make, as unpack does */
		ck_assert_int_eq(pdf_sig_reads_heads(s4, l4 - 1, &heads, &nh, &ei), SP_ERR_INVALID);
		ck_assert_ptr_null(heads);
	}
	pdf_sig_fields_free(reads, nr);
	crypto_verify_report_free(plain);

	/* and that is what is used: a hand-over whose first /Contents is not its gap's is
	   taken as found when it says so (process memory, never input), and compared with
	   the gap when it does not */
	ck_assert_int_eq(pdf_sig_reads_unpack(s3, l3, &reads, &nr, &ei), SP_OK);
	ck_assert_int_eq(reads[0].gap_ok, 1);
	reads[0].contents[0] ^= 1;
	ck_assert_int_eq(pdf_sig_reads_pack(reads, nr, &forged, &l4, &ei), SP_OK);
	p4 = verify_given(four, n4, n3, forged, l4, NULL, NULL);
	ck_assert_int_eq(p4->sigs[0].structure_ok, 1);
	crypto_verify_report_free(p4);
	free(forged);
	reads[0].gap_ok = 0;
	ck_assert_int_eq(pdf_sig_reads_pack(reads, nr, &forged, &l4, &ei), SP_OK);
	pdf_sig_fields_free(reads, nr);
	p4 = verify_given(four, n4, n3, forged, l4, NULL, NULL);
	ck_assert_int_eq(p4->sigs[0].structure_ok, 0);
	ck_assert_int_eq(p4->sigs[0].verdict, CRYPTO_VERDICT_INVALID);
	ck_assert(has_reason(&p4->sigs[0], "gap_not_contents"));
	crypto_verify_report_free(p4);
	free(forged);
	forged = NULL;

	/* they are what is used: a hand-over that lies about a range shows (it is the
	   process's own memory, never input; this only proves the reads are taken) */
	ck_assert_ptr_nonnull(forged = malloc(l3));
	memcpy(forged, s3, l3);
	ck_assert_int_eq(pdf_sig_reads_unpack(forged, l3, &reads, &nr, &ei), SP_OK);
	reads[0].byterange[3] += 1;
	free(forged);
	forged = NULL;
	ck_assert_int_eq(pdf_sig_reads_pack(reads, nr, &forged, &l4, &ei), SP_OK);
	pdf_sig_fields_free(reads, nr);
	p4 = verify_given(four, n4, n3, forged, l4, NULL, NULL);
	ck_assert_int_ne(p4->sigs[0].byte_range[3], r4->sigs[0].byte_range[3]);
	crypto_verify_report_free(p4);
	free(forged);
	crypto_verify_report_free(r4);

	/* an update rewriting the first signature's dictionary, then a signature over it:
	   that dictionary is read from the file, and judged as without the hand-over */
	nums[0] = r2->sigs[0].sig_obj;
	snprintf(body, sizeof(body),
		 "<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached "
		 "/ByteRange [0 10 20 30] /Contents <3000> >>");
	objs[0] = body;
	bad = vc_update(three, n3, nums, objs, 1, 0, NULL, &nb);
	badsig = vc_sign(bad, nb, "rsa", 1, 0, &n4);
	plain = verify_given(badsig, n4, n3, NULL, 0, NULL, NULL);
	handed = verify_given(badsig, n4, n3, s3, l3, NULL, NULL);
	assert_same_report(plain, handed);
	ck_assert_int_eq(handed->sigs[0].byte_range[1], 10);
	ck_assert_int_eq(handed->sigs[0].verdict, CRYPTO_VERDICT_INVALID);
	crypto_verify_report_free(plain);
	crypto_verify_report_free(handed);
	/* an update that unhooks every earlier signature (a catalog without the form), then
	   a signature over it: the given revision's are found as the walk finds them */
	{
		qpdf_data q = qpdf_init();
		struct pdf_doc *d = NULL;
		struct pdf_doc_info in;
		int pages;

		qpdf_silence_errors(q);
		ck_assert_int_eq(qpdf_read_memory(q, "3.pdf", (const char *)three, n3, "") &
					 QPDF_ERRORS,
				 0);
		pages = qpdf_oh_get_object_id(q, qpdf_oh_get_key(q, qpdf_get_root(q), "/Pages"));
		qpdf_cleanup(&q);
		ck_assert_int_eq(pdf_doc_open_view(three, n3, &d, &ei), SP_OK);
		pdf_doc_info_get(d, &in);
		pdf_doc_free(d);
		nums[0] = in.root_obj;
		snprintf(body, sizeof(body), "<< /Type /Catalog /Pages %d 0 R >>", pages);
		objs[0] = body;
		free(bad);
		free(badsig);
		bad = vc_update(three, n3, nums, objs, 1, 0, NULL, &nb);
		badsig = vc_sign(bad, nb, "rsa", 1, 0, &n4);
		plain = verify_given(badsig, n4, n3, NULL, 0, NULL, NULL);
		handed = verify_given(badsig, n4, n3, s3, l3, NULL, NULL);
		assert_same_report(plain, handed);
		ck_assert_uint_eq(handed->nsigs, 4); /* the three hidden ones and the new one */
		ck_assert_uint_eq(handed->nlisted, 1);
		crypto_verify_report_free(plain);
		crypto_verify_report_free(handed);
	}
	/* an update whose /Prev skips the second signature's update, then a signature
	   over it: the given revision is no revision of that file, nothing is taken */
	{
		char *pv, num[32];
		long long at;
		size_t w;
		struct pdf_doc *d = NULL;
		struct pdf_doc_info in;

		ck_assert_int_eq(pdf_doc_open_view(good, good_len, &d, &ei), SP_OK);
		pdf_doc_info_get(d, &in);
		pdf_doc_free(d);
		nums[0] = 90;
		objs[0] = "<< /Hello 1 >>";
		free(bad);
		free(badsig);
		bad = vc_update(three, n3, nums, objs, 1, 0, NULL, &nb);
		pv = strstr((char *)bad + n3, "/Prev ");
		ck_assert_ptr_nonnull(pv);
		pv += 6;
		at = strtoll(pv, NULL, 10);
		w = (size_t)snprintf(num, sizeof(num), "%lld", at);
		ck_assert_int_le(snprintf(num, sizeof(num), "%0*lld", (int)w, in.startxref),
				 (int)w);
		memcpy(pv, num, w);
		badsig = vc_sign(bad, nb, "rsa", 1, 0, &n4);
		plain = verify_given(badsig, n4, n3, NULL, 0, NULL, NULL);
		handed = verify_given(badsig, n4, n3, s3, l3, NULL, NULL);
		assert_same_report(plain, handed);
		crypto_verify_report_free(plain);
		crypto_verify_report_free(handed);
	}
	/* an update that adds a second field whose value is the first signature's very
	   dictionary, then a signature over it: the read handed on serves the first field,
	   and the second reads that dictionary as without the hand-over (the hand-over's
	   /Contents is moved to the first, not copied) */
	{
		qpdf_data q = qpdf_init();
		const char *cat;
		char *root, *fl, field[160];
		int rnum, two_nums[2], j;
		uint8_t *sp = NULL, *sh = NULL;
		size_t lp = 0, lh = 0;
		const char *two_objs[2];

		qpdf_silence_errors(q);
		ck_assert_int_eq(qpdf_read_memory(q, "3.pdf", (const char *)three, n3, "") &
					 QPDF_ERRORS,
				 0);
		rnum = qpdf_oh_get_object_id(q, qpdf_get_root(q));
		cat = qpdf_oh_unparse_resolved(q, qpdf_get_root(q));
		ck_assert_ptr_nonnull(root = malloc(strlen(cat) + 32));
		fl = strstr(cat, "/Fields [");
		ck_assert_ptr_nonnull(fl);
		fl += 9;
		snprintf(root, strlen(cat) + 32, "%.*s 92 0 R %s", (int)(fl - cat), cat, fl);
		qpdf_cleanup(&q);
		snprintf(field, sizeof(field),
			 "<< /FT /Sig /T (twin) /V %d 0 R /Rect [0 0 0 0] /Subtype /Widget "
			 "/Type /Annot >>",
			 r2->sigs[0].sig_obj);
		two_nums[0] = rnum;
		two_objs[0] = root;
		two_nums[1] = 92;
		two_objs[1] = field;
		free(bad);
		free(badsig);
		bad = vc_update(three, n3, two_nums, two_objs, 2, 0, NULL, &nb);
		free(root);
		badsig = vc_sign(bad, nb, "rsa", 1, 0, &n4);
		plain = verify_given(badsig, n4, n3, NULL, 0, &sp, &lp);
		handed = verify_given(badsig, n4, n3, s3, l3, &sh, &lh);
		assert_same_report(plain, handed);
		/* and what it hands on is what a verification without the hand-over reads */
		ck_assert_ptr_nonnull(sp);
		ck_assert_ptr_nonnull(sh);
		ck_assert_uint_eq(lh, lp);
		ck_assert(memcmp(sh, sp, lp) == 0);
		free(sp);
		free(sh);
		ck_assert_uint_eq(handed->nsigs, 5);
		for (i = 0; i < handed->nsigs && strcmp(handed->sigs[i].field, "twin") != 0; i++)
			;
		ck_assert_uint_lt(i, handed->nsigs);
		ck_assert_int_eq(handed->sigs[i].sig_obj, r2->sigs[0].sig_obj);
		for (j = 0; j < 4; j++)
			ck_assert_int_eq(handed->sigs[i].byte_range[j], r2->sigs[0].byte_range[j]);
		ck_assert_int_eq(handed->sigs[i].verdict, plain->sigs[i].verdict);
		crypto_verify_report_free(plain);
		crypto_verify_report_free(handed);
	}
	/* an update that adds a markup annotation to the page, then a signature over it:
	   the earlier signatures judged as without the hand-over */
	{
		qpdf_data q = qpdf_init();
		const char *pg;
		char *page, *ann;
		int pnum, two_nums[2];
		const char *two_objs[2];

		qpdf_silence_errors(q);
		ck_assert_int_eq(qpdf_read_memory(q, "3.pdf", (const char *)three, n3, "") &
					 QPDF_ERRORS,
				 0);
		pnum = qpdf_oh_get_object_id(q, qpdf_get_page_n(q, 0));
		pg = qpdf_oh_unparse_resolved(q, qpdf_get_page_n(q, 0));
		ck_assert_ptr_nonnull(page = malloc(strlen(pg) + 32));
		ann = strstr(pg, "/Annots [");
		ck_assert_ptr_nonnull(ann);
		ann += 9;
		snprintf(page, strlen(pg) + 32, "%.*s 91 0 R%s", (int)(ann - pg), pg, ann);
		qpdf_cleanup(&q);
		two_nums[0] = pnum;
		two_objs[0] = page;
		two_nums[1] = 91;
		two_objs[1] =
			"<< /Type /Annot /Subtype /Text /Rect [10 10 30 30] /Contents (note) >>";
		free(bad);
		free(badsig);
		bad = vc_update(three, n3, two_nums, two_objs, 2, 0, NULL, &nb);
		free(page);
		badsig = vc_sign(bad, nb, "rsa", 1, 0, &n4);
		plain = verify_given(badsig, n4, n3, NULL, 0, NULL, NULL);
		handed = verify_given(badsig, n4, n3, s3, l3, NULL, NULL);
		assert_same_report(plain, handed);
		ck_assert_uint_eq(handed->nsigs, 4);
		ck_assert_uint_gt(handed->sigs[0].ndisallowed, 0); /* no DocMDP P=3 here */
		crypto_verify_report_free(plain);
		crypto_verify_report_free(handed);
	}
	vg_nlisted = 0;
	/* nor does a hand-over for other bytes count: the unpacker refuses garbage */
	ck_assert_int_eq(pdf_sig_reads_unpack((const uint8_t *)"garbage", 7, &reads, &nr, &ei),
			 SP_ERR_INVALID);

	crypto_verify_report_free(r2);
	free(s2);
	free(s3);
	free(s4);
	free(badsig);
	free(bad);
	free(four);
	free(three);
	free(two);
}
END_TEST

void
verify_handed_reports_add(TCase *tc)
{
	tcase_add_test(tc, earlier_signatures_handed_forward);
}
