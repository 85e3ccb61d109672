/*
 * test_verify_ltv_dss.c: a DSS read handed on reads as a read of its own
 * would: packed for the next completion and back, an earlier revision's
 * read taken for a later one's only where it reads the same, and the DSS
 * update's read of what it wrote handed to the verification of the result.
 * (Split from test_verify_ltv_reuse.c along that seam.)
 */
#include "test_verify_ltv.h"

/*
 * The object numbers the sections of d[0..n) after its first `end` bytes
 * list (sorted), as the engine gives pdf_dss_read_known().
 */
static int *
listed_after(const unsigned char *d, size_t n, size_t end, size_t *nl)
{
	struct pdf_revision revs[16];
	struct pdf_doc *doc = NULL;
	struct sp_errinfo ei;
	size_t nrev = 0, i, k, m = 0;
	int *all = malloc(4096 * sizeof(int)), *one;

	sp_errinfo_init(&ei);
	ck_assert_ptr_nonnull(all);
	ck_assert_int_eq(pdf_revisions_find(d, n, revs, 16, &nrev, &ei), SP_OK);
	ck_assert(pdf_doc_open_view(d, n, &doc, &ei) == SP_OK);
	for (i = 0; i < nrev; i++) {
		if (revs[i].end <= end)
			continue;
		ck_assert_int_eq(pdf_revision_listed(doc, &revs[i], &one, &k, &ei), SP_OK);
		ck_assert_uint_le(m + k, 4096);
		memcpy(all + m, one, k * sizeof(int));
		m += k;
		free(one);
	}
	pdf_doc_free(doc);
	for (i = 1; i < m; i++) /* sorted (a few numbers) */
		for (k = i; k > 0 && all[k - 1] > all[k]; k--) {
			int t = all[k];
			all[k] = all[k - 1];
			all[k - 1] = t;
		}
	*nl = m;
	return all;
}

/* pdf_dss_read of d[0..n) (fresh), or with known and what follows known's bytes. */
static void
dss_of(const unsigned char *d, size_t n, const struct pdf_dss *known, size_t known_end,
       struct pdf_dss *out)
{
	struct pdf_doc *doc = NULL;
	struct sp_errinfo ei;
	size_t nl = 0;
	int *later = known ? listed_after(d, n, known_end, &nl) : NULL;

	sp_errinfo_init(&ei);
	ck_assert(pdf_doc_open_view(d, n, &doc, &ei) == SP_OK);
	ck_assert_int_eq(pdf_dss_read_known(doc, known, later, nl, out, &ei), SP_OK);
	pdf_doc_free(doc);
	free(later);
}

/* 1 when a and b hold the same items (bytes, objects) and /VRI keys. */
static int
dss_same(const struct pdf_dss *a, const struct pdf_dss *b)
{
	size_t k, i;

	if (a->present != b->present || a->dss_obj != b->dss_obj || a->nvri != b->nvri)
		return 0;
	for (k = 0; k < 3; k++) {
		if (a->n[k] != b->n[k])
			return 0;
		for (i = 0; i < a->n[k]; i++)
			if (a->obj[k][i] != b->obj[k][i] || a->gen[k][i] != b->gen[k][i] ||
			    a->item[k][i].len != b->item[k][i].len ||
			    memcmp(a->item[k][i].data, b->item[k][i].data, a->item[k][i].len) != 0)
				return 0;
	}
	for (i = 0; i < a->nvri; i++)
		if (strcmp(a->vri[i], b->vri[i]) != 0)
			return 0;
	return 1;
}

/*
 * pdf_dss_pack / pdf_dss_unpack: a DSS read handed to the next completion
 * (the reads cache) comes back field for field, serves as the known read of
 * a later revision as the read itself does, and anything cut or altered in
 * its layout is refused.
 */
START_TEST(dss_pack_round_trip)
{
	size_t n1, n2, n3, crllen, plen = 0, k, i;
	unsigned char *one = vc_sign(base, base_len, "rsa", 1, 0, &n1), *two, *f;
	uint8_t *packed = NULL;
	struct pdf_blob crl;
	struct pdf_dss known, back, fresh, got;
	const char *objs[1] = { "<< /Unrelated true >>" };
	int nums[1];

	crl.data = make_crl(0, 0, &crllen);
	crl.len = crllen;
	two = with_dss(one, n1, "rsa", &crl, &n2);
	dss_of(two, n2, NULL, 0, &known);
	ck_assert_int_eq(pdf_dss_pack(&known, &packed, &plen), SP_OK);
	ck_assert_int_eq(pdf_dss_unpack(packed, plen, &back), SP_OK);
	ck_assert(dss_same(&known, &back));
	ck_assert_int_eq(back.dss_gen, known.dss_gen);
	ck_assert_int_eq(back.size, known.size);
	ck_assert_int_eq(back.encrypted, known.encrypted);
	for (k = 0; k < 3; k++)
		for (i = 0; i < known.n[k]; i++)
			ck_assert_int_eq(back.plain[k][i], known.plain[k][i]);
	/* as the known read of a later revision: what the read itself gives */
	nums[0] = (int)known.size;
	f = vc_update(two, n2, nums, objs, 1, 0, NULL, &n3);
	dss_of(f, n3, NULL, 0, &fresh);
	dss_of(f, n3, &back, n2, &got);
	ck_assert(dss_same(&fresh, &got));
	pdf_dss_cleanup(&fresh);
	pdf_dss_cleanup(&got);
	pdf_dss_cleanup(&back);
	/* cut short, or a byte too many: refused, nothing left */
	ck_assert_int_eq(pdf_dss_unpack(packed, plen - 1, &back), SP_ERR_INVALID);
	ck_assert_uint_eq(back.n[PDF_DSS_CERTS], 0);
	ck_assert_int_eq(pdf_dss_unpack(packed, 10, &back), SP_ERR_INVALID);
	packed[0] ^= 1;
	ck_assert_int_eq(pdf_dss_unpack(packed, plen, &back), SP_ERR_INVALID);
	free(packed);
	pdf_dss_cleanup(&known);
	free(f);
	free(crl.data);
	free(two);
	free(one);
}
END_TEST

/*
 * pdf_dss_read_known: an item of a later revision's DSS that is the same
 * object as the known read's (unlisted since, its stream's dictionary
 * referring to nothing) is taken as read, the rest is read; hostile updates
 * that redefine an item, point at another generation of it, or change an
 * object an item's /Length refers to leave those items read from the file.
 * The known read's bytes are altered here, so that a take shows.
 */
START_TEST(dss_read_known_takes_only_what_reads_the_same)
{
	size_t n1, n2, n3, crllen, k, i, taken;
	unsigned char *one = vc_sign(base, base_len, "rsa", 1, 0, &n1), *two, *f;
	struct pdf_blob crl;
	struct pdf_dss known, fresh, got;
	char obj[4][256];
	const char *objs[4];
	int nums[4], crl_obj, dss_obj, size;
	struct pdf_doc *doc = NULL;
	struct pdf_doc_info info;
	struct sp_errinfo ei;

	crl.data = make_crl(0, 0, &crllen);
	crl.len = crllen;
	two = with_dss(one, n1, "rsa", &crl, &n2);
	dss_of(two, n2, NULL, 0, &known);
	ck_assert_uint_eq(known.n[PDF_DSS_CERTS], 2);
	ck_assert_uint_eq(known.n[PDF_DSS_CRLS], 1);
	for (k = 0; k < 3; k++)
		for (i = 0; i < known.n[k]; i++) {
			ck_assert_int_eq(known.plain[k][i], 1); /* as the DSS writer writes them */
			known.item[k][i].data[0] ^= 0x55;       /* a take shows */
		}
	crl_obj = known.obj[PDF_DSS_CRLS][0];
	dss_obj = known.dss_obj;
	ck_assert_int_gt(dss_obj, 0);
	sp_errinfo_init(&ei);
	ck_assert(pdf_doc_open(two, n2, &doc, &ei) == SP_OK);
	pdf_doc_info_get(doc, &info);
	pdf_doc_free(doc);
	size = (int)info.size;

	/* 1: an update that touches no item: every item taken */
	nums[0] = size;
	objs[0] = "<< /Unrelated true >>";
	f = vc_update(two, n2, nums, objs, 1, 0, NULL, &n3);
	dss_of(f, n3, NULL, 0, &fresh);
	dss_of(f, n3, &known, n2, &got);
	ck_assert(!dss_same(&fresh, &got));
	for (k = 0, taken = 0; k < 3; k++)
		for (i = 0; i < got.n[k]; i++)
			taken += got.item[k][i].len == known.item[k][i].len &&
				 memcmp(got.item[k][i].data, known.item[k][i].data,
					known.item[k][i].len) == 0;
	ck_assert_uint_eq(taken, 3);
	pdf_dss_cleanup(&fresh);
	pdf_dss_cleanup(&got);
	/* a known read of a document with a larger /Size: nothing taken */
	known.size = size + 2;
	dss_of(f, n3, &known, n2, &got);
	dss_of(f, n3, NULL, 0, &fresh);
	ck_assert(dss_same(&fresh, &got));
	pdf_dss_cleanup(&fresh);
	pdf_dss_cleanup(&got);
	known.size = size;
	free(f);

	/* 2: the CRL's object redefined (another stream): read again, the certificates
	   still taken */
	nums[0] = crl_obj;
	objs[0] = "<< /Length 5 >>\nstream\nother\nendstream";
	f = vc_update(two, n2, nums, objs, 1, 0, NULL, &n3);
	dss_of(f, n3, NULL, 0, &fresh);
	dss_of(f, n3, &known, n2, &got);
	ck_assert_uint_eq(got.n[PDF_DSS_CRLS], 1);
	ck_assert(got.item[PDF_DSS_CRLS][0].len == 5 &&
		  memcmp(got.item[PDF_DSS_CRLS][0].data, "other", 5) == 0);
	ck_assert(memcmp(got.item[PDF_DSS_CERTS][0].data, known.item[PDF_DSS_CERTS][0].data,
			 known.item[PDF_DSS_CERTS][0].len) == 0);
	pdf_dss_cleanup(&fresh);
	pdf_dss_cleanup(&got);
	free(f);

	/* 3: a new DSS that names the CRL's object at another generation, and a stream
	   whose /Length is an object the next update changes: both read from the file */
	snprintf(obj[0], sizeof(obj[0]), "<< /Type /DSS /CRLs [%d 1 R %d 0 R] /Certs [%d 0 R] >>",
		 crl_obj, size + 1, known.obj[PDF_DSS_CERTS][0]);
	snprintf(obj[1], sizeof(obj[1]), "5");
	snprintf(obj[2], sizeof(obj[2]), "<< /Length %d 0 R >>\nstream\nhello\nendstream", size);
	nums[0] = dss_obj;
	objs[0] = obj[0];
	nums[1] = size;
	objs[1] = obj[1];
	nums[2] = size + 1;
	objs[2] = obj[2];
	f = vc_update(two, n2, nums, objs, 3, 0, NULL, &n3);
	dss_of(f, n3, NULL, 0, &fresh);
	ck_assert_uint_eq(fresh.n[PDF_DSS_CRLS], 1); /* the other generation is none */
	ck_assert_int_eq(fresh.plain[PDF_DSS_CRLS][0], 0);
	dss_of(f, n3, &known, n2, &got);
	ck_assert_uint_eq(got.n[PDF_DSS_CRLS], 1);
	ck_assert(got.item[PDF_DSS_CRLS][0].len == 5 &&
		  memcmp(got.item[PDF_DSS_CRLS][0].data, "hello", 5) == 0);
	/* that read known for the next update, which makes the /Length 3 */
	{
		unsigned char *g;
		size_t ng;
		struct pdf_dss k2, fresh2, got2;

		pdf_dss_cleanup(&got);
		dss_of(f, n3, NULL, 0, &k2);
		k2.item[PDF_DSS_CRLS][0].data[0] ^= 0x55;
		nums[0] = size;
		objs[0] = "3";
		g = vc_update(f, n3, nums, objs, 1, 0, NULL, &ng);
		dss_of(g, ng, NULL, 0, &fresh2);
		dss_of(g, ng, &k2, n3, &got2);
		ck_assert(dss_same(&fresh2, &got2) ||
			  /* the certificate taken (altered nowhere here), the stream read */
			  memcmp(got2.item[PDF_DSS_CRLS][0].data, fresh2.item[PDF_DSS_CRLS][0].data,
				 fresh2.item[PDF_DSS_CRLS][0].len) == 0);
		ck_assert(got2.item[PDF_DSS_CRLS][0].data[0] == 'h');
		pdf_dss_cleanup(&k2);
		pdf_dss_cleanup(&fresh2);
		pdf_dss_cleanup(&got2);
		free(g);
	}
	pdf_dss_cleanup(&fresh);
	free(f);

	/* 4: an update whose /Prev skips the known bytes' last section (the DSS update), so
	   that an object could read as the section before defines it: no revision of that
	   file ends where the known bytes end, which is what the engine asks before it takes
	   anything (later_listed) */
	{
		struct pdf_revision revs[16];
		size_t nrev = 0, j, tail;
		char was[32], now[32], *at;
		long long sx1 = atoll(strstr((const char *)one + n1 - 30, "startxref") + 10);
		long long sx2 = atoll(strstr((const char *)two + n2 - 30, "startxref") + 10);

		nums[0] = size;
		objs[0] = "<< /Unrelated true >>";
		f = vc_update(two, n2, nums, objs, 1, 0, NULL, &n3);
		snprintf(was, sizeof(was), "/Prev %lld ", sx2);
		snprintf(now, sizeof(now), "/Prev %lld", sx1);
		ck_assert_uint_le(strlen(now), strlen(was));
		tail = n3 - n2;
		ck_assert_ptr_nonnull(at = memmem(f + n2, tail, was, strlen(was)));
		memset(at, ' ', strlen(was));
		memcpy(at, now, strlen(now));
		sp_errinfo_init(&ei);
		if (pdf_revisions_find(f, n3, revs, 16, &nrev, &ei) == SP_OK)
			for (j = 0; j < nrev; j++)
				ck_assert_uint_ne(revs[j].end, n2);
		free(f);
	}
	pdf_dss_cleanup(&known);
	free(two);
	free(one);
	free(crl.data);
}
END_TEST

/*
 * The DSS update's read of the DSS it wrote (told from what it wrote, not
 * parsed: a fresh read's) handed to the verification of the result
 * (crypto_verify_opts.dss_known, to its len): the report is the one
 * without it, at B-LT with two signers' evidence. With no update to make,
 * the read of the file given.
 */
START_TEST(dss_known_handed_to_the_verification)
{
	size_t n1, n2, n3, nl, nl2;
	unsigned char *one = vc_sign(base, base_len, "rsa", 1, 0, &n1), *two, *three, *lt = NULL,
		      *lt2 = NULL;
	struct crypto_ltv_known kn;
	struct pdf_dss d1, d2;
	struct crypto_verify_report *g, *r;
	struct sp_errinfo ei;

	sp_errinfo_init(&ei);
	memset(&kn, 0, sizeof(kn));
	memset(&d1, 0, sizeof(d1));
	kn.dss_out = &d1;
	ck_assert_msg(crypto_ltv_add_dss(gather, NULL, NULL, one, n1, CRYPTO_LTV_STORED, &kn, &lt,
					 &nl, &ei) == SP_OK,
		      "%s", ei.msg);
	free(kn.vri_memo);
	ck_assert_int_eq(d1.present, 1); /* the DSS the update wrote, as a read gives it */
	ck_assert_uint_eq(d1.len, nl);
	dss_of(lt, nl, NULL, 0, &d2);
	ck_assert(dss_same(&d1, &d2) && d1.closed && d2.closed && d1.vri_refs && d2.vri_refs);
	pdf_dss_cleanup(&d2);
	two = lt;
	n2 = nl;
	three = vc_sign(two, n2, "ec", 1, 0, &n3);
	memset(&kn, 0, sizeof(kn));
	memset(&d2, 0, sizeof(d2));
	kn.dss_out = &d2;
	ck_assert_msg(crypto_ltv_add_dss(gather, NULL, NULL, three, n3, CRYPTO_LTV_STORED, &kn,
					 &lt2, &nl2, &ei) == SP_OK,
		      "%s", ei.msg);
	free(kn.vri_memo);
	ck_assert_int_eq(d2.present, 1);
	ck_assert_uint_gt(d2.n[PDF_DSS_CERTS], 0);
	ck_assert_uint_eq(d2.len, nl2);
	g = verify_at(lt2, nl2, 0);
	{
		struct crypto_verify_opts o = { .trust = trust,
						.dss_known = &d2,
						.dss_known_len = d2.len };
		r = NULL;
		ck_assert_int_eq(crypto_pdf_verify(lt2, nl2, &o, &r, &ei), SP_OK);
	}
	same_report(g, r);
	ck_assert_str_eq(r->sigs[0].level, "pades_b_lt");
	ck_assert_str_eq(r->sigs[1].level, "pades_b_lt");
	crypto_verify_report_free(g);
	crypto_verify_report_free(r);
	/* every signature covered: no update, and the read of the file given */
	pdf_dss_cleanup(&d1);
	memset(&kn, 0, sizeof(kn));
	kn.dss_out = &d1;
	ck_assert(crypto_ltv_add_dss(gather, NULL, NULL, lt2, nl2, CRYPTO_LTV_STORED, &kn, &lt, &nl,
				     &ei) == SP_OK &&
		  lt == NULL);
	free(kn.vri_memo);
	ck_assert(d1.len == nl2 && dss_same(&d1, &d2));
	pdf_dss_cleanup(&d1);
	pdf_dss_cleanup(&d2);
	free(lt2);
	free(three);
	free(two);
	free(one);
}
END_TEST

/* The change the report of sig 0 lists for object obj in revision rev (NULL: none). */
static const struct crypto_change *
change_of(const struct crypto_verify_report *r, int obj, size_t rev)
{
	size_t i;

	for (i = 0; i < r->sigs[0].nchanges; i++)
		if (r->sigs[0].changes[i].obj == obj && r->sigs[0].changes[i].revision == rev)
			return &r->sigs[0].changes[i];
	return NULL;
}

/* The DSS dictionary d's update after its first n1 bytes wrote (malloc'd). */
static char *
dss_body_of(const unsigned char *d, size_t n1, size_t n)
{
	const unsigned char *at = memmem(d + n1, n - n1, "<</Type /DSS", 12), *end;
	char *body;

	ck_assert_ptr_nonnull(at);
	end = memmem(at, n - (size_t)(at - d), ">>>>", 4);
	ck_assert_ptr_nonnull(end);
	ck_assert_ptr_nonnull(body = strndup((const char *)at, (size_t)(end - at) + 4));
	return body;
}

/*
 * A DSS dictionary an update writes again is a change (allowed: validation
 * data) only when it reads differently. The difference analysis tells a DSS
 * whose item arrays grew without reading its /VRI values (each an object
 * of its own); one whose arrays are as they were is compared whole: written
 * again as it was it is no change, with a /VRI entry fewer it is one.
 */
START_TEST(dss_rewritten_is_a_change_only_when_it_differs)
{
	size_t n1, n2, n3, n4, n5, crllen;
	unsigned char *one = vc_sign(base, base_len, "rsa", 1, 0, &n1), *two, *three, *four, *five;
	struct crypto_verify_report *r;
	const struct crypto_change *c;
	struct pdf_blob crl;
	struct pdf_doc *doc = NULL;
	struct pdf_dss dss;
	struct sp_errinfo ei;
	char *body, *novri;
	const char *objs[1];
	int num;

	crl.data = make_crl(0, 0, &crllen);
	crl.len = crllen;
	two = with_dss(one, n1, "rsa", &crl, &n2);
	sp_errinfo_init(&ei);
	ck_assert(pdf_doc_open(two, n2, &doc, &ei) == SP_OK);
	ck_assert(pdf_dss_read(doc, &dss, &ei) == SP_OK);
	num = dss.dss_obj;
	ck_assert_int_gt(num, 0);
	ck_assert_int_eq(dss.nvri, 1);
	pdf_dss_cleanup(&dss);
	pdf_doc_free(doc);
	/* the DSS dictionary as the update wrote it */
	body = dss_body_of(two, n1, n2);
	ck_assert_ptr_nonnull(strstr(body, "/VRI <</"));

	/* another signer's evidence: /Certs grew */
	three = with_dss_of(two, n2, 0, "ec", NULL, &n3);
	r = verify_at(three, n3, 0);
	c = change_of(r, num, r->nrevisions);
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(c->allowed, 1);
	ck_assert_ptr_nonnull(strstr(c->what, "document security store (DSS)"));
	ck_assert_int_eq(r->sigs[0].ndisallowed, 0);
	ck_assert_int_eq(r->sigs[0].verdict, CRYPTO_VERDICT_VALID_ALLOWED_CHANGES);
	crypto_verify_report_free(r);

	/* written again as it was: nothing changed */
	objs[0] = body;
	four = vc_update(two, n2, &num, objs, 1, 0, NULL, &n4);
	r = verify_at(four, n4, 0);
	ck_assert_ptr_null(change_of(r, num, r->nrevisions));
	ck_assert_int_eq(r->sigs[0].ndisallowed, 0);
	crypto_verify_report_free(r);

	/* the same items, its /VRI entry gone: a change, found by comparing it whole */
	novri = strdup(body);
	ck_assert_ptr_nonnull(novri);
	strcpy(strstr(novri, "/VRI <<") + 7, ">>>>");
	objs[0] = novri;
	five = vc_update(two, n2, &num, objs, 1, 0, NULL, &n5);
	r = verify_at(five, n5, 0);
	c = change_of(r, num, r->nrevisions);
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(c->allowed, 1);
	ck_assert_ptr_nonnull(strstr(c->what, "document security store (DSS)"));
	crypto_verify_report_free(r);

	free(novri);
	free(body);
	free(five);
	free(four);
	free(three);
	free(two);
	free(one);
	free(crl.data);
}
END_TEST

/*
 * The diff of d[0..n)'s last update (after its first prev_n bytes) as a
 * completion makes it: the older side told its DSS by told (a read of
 * d[0..prev_n); NULL: not told) and newer's read nw given (NULL: none).
 * Its changes into *out, the references it ends with into *nums; returns
 * whether the update keeps older's pages (pdf_pages_kept).
 */
static int
diff_told(const unsigned char *d, size_t n, size_t prev_n, const struct pdf_dss *told,
	  const struct pdf_dss *nw, struct pdf_diff *out, int **nums, size_t *nn)
{
	struct pdf_revision revs[16];
	struct pdf_doc *older = NULL, *newer = NULL;
	struct pdf_refs refs;
	struct sp_errinfo ei;
	size_t nrev = 0;
	int kept;

	sp_errinfo_init(&ei);
	ck_assert_int_eq(pdf_revisions_find(d, n, revs, 16, &nrev, &ei), SP_OK);
	ck_assert_uint_eq(revs[nrev - 2].end, prev_n);
	/* older with its pages (pdf_pages_kept compares with them) */
	ck_assert_int_eq(pdf_doc_open(d, prev_n, &older, &ei), SP_OK);
	ck_assert_int_eq(pdf_doc_open_view(d, n, &newer, &ei), SP_OK);
	if (told != NULL)
		ck_assert_int_eq(pdf_doc_dss_tell(older, told), 1);
	ck_assert_int_eq(pdf_refs_init(older, &refs, &ei), SP_OK);
	ck_assert_msg(pdf_revision_diff_dss(older, newer, &revs[nrev - 1], nw, &refs, out, &ei) ==
			      SP_OK,
		      "%s", ei.msg);
	ck_assert_int_eq(pdf_refs_export(&refs, nums, nn, &ei), SP_OK);
	/* and the DSS is no object stream, told or not */
	ck_assert_int_eq(pdf_obj_is_objstm(older, told ? told->dss_obj : 1), 0);
	kept = pdf_pages_kept(older, newer, &revs[nrev - 1]);
	pdf_refs_cleanup(&refs);
	pdf_doc_free(older);
	pdf_doc_free(newer);
	return kept;
}

/* The change the diff lists for object obj, or NULL. */
static const struct pdf_change *
diff_change_of(const struct pdf_diff *d, int obj)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		if (d->c[i].obj == obj)
			return &d->c[i];
	return NULL;
}

/*
 * d's last update judged with the DSS told on both sides (pdf_doc_dss_tell
 * for the older, the newer's read given) as without: the same changes,
 * verdicts and references; the DSS's change the allowed one of validation
 * data, the pages kept or not alike. Returns the number of disallowed
 * changes, and 100 more when the pages were kept.
 */
static size_t
told_as_parsed(const unsigned char *d, size_t n, size_t prev_n, const struct pdf_dss *told,
	       const struct pdf_dss *nw, int dssnum)
{
	struct pdf_diff a, b;
	const struct pdf_change *c;
	int *na = NULL, *nb = NULL;
	size_t la = 0, lb = 0, i, bad;
	int kept = diff_told(d, n, prev_n, NULL, NULL, &a, &na, &la);

	ck_assert_int_eq(diff_told(d, n, prev_n, told, nw, &b, &nb, &lb), kept);
	ck_assert_uint_eq(a.n, b.n);
	ck_assert_uint_eq(a.nallowed, b.nallowed);
	ck_assert_uint_eq(a.ndisallowed, b.ndisallowed);
	ck_assert_uint_eq(a.nltv, b.nltv);
	for (i = 0; i < a.n; i++) {
		ck_assert_int_eq(a.c[i].obj, b.c[i].obj);
		ck_assert_int_eq(a.c[i].allowed, b.c[i].allowed);
		ck_assert_int_eq(a.c[i].ltv, b.c[i].ltv);
		ck_assert_str_eq(a.c[i].what, b.c[i].what);
	}
	c = diff_change_of(&b, dssnum);
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(c->allowed, 1);
	ck_assert_int_eq(c->ltv, 1);
	ck_assert_str_eq(c->what, "document security store (DSS)");
	ck_assert_uint_eq(la, lb);
	ck_assert(la == 0 || memcmp(na, nb, la * sizeof(*na)) == 0);
	bad = b.ndisallowed + (kept ? 100 : 0);
	pdf_diff_cleanup(&a);
	pdf_diff_cleanup(&b);
	free(na);
	free(nb);
	return bad;
}

/*
 * A completion tells the signed revision its DSS as the DSS update read it
 * (pdf_doc_dss_tell), and the difference analysis of that update takes the
 * DSS object from the reads on both sides, not from qpdf: what it says is
 * what it says parsing both. The DSS written again by pdf_dss_append_read
 * (its read of what it wrote, keys_known) and one written by hand with a
 * grown /Certs array: the allowed DSS change, the same references; next to
 * it an earlier DSS item rewritten is still the disallowed change it is.
 * A read of other bytes is not told, and keys_known survives a pack.
 */
START_TEST(dss_told_judged_as_parsed)
{
	size_t n1, n2, n3, n4, n5, crllen, plen = 0, blen;
	unsigned char *one = vc_sign(base, base_len, "rsa", 1, 0, &n1), *two, *three, *four, *five;
	const char *certs;
	struct pdf_doc *doc = NULL;
	struct pdf_blob crl, item;
	struct pdf_dss d2, d4, after, back;
	struct pdf_dss_add add;
	struct sp_errinfo ei;
	char *body, *grown;
	const char *objs[2];
	int nums[2];
	uint8_t *packed = NULL;

	crl.data = make_crl(0, 0, &crllen);
	crl.len = crllen;
	two = with_dss(one, n1, "rsa", &crl, &n2);
	dss_of(two, n2, NULL, 0, &d2);
	ck_assert_int_eq(d2.closed, 1);
	ck_assert_uint_gt(d2.n[PDF_DSS_CERTS], 0);
	ck_assert_uint_gt(d2.n[PDF_DSS_CRLS], 0);
	/* pdf_dss_append wrote it (with_dss): its keys as its read of it would say */
	ck_assert_int_eq(d2.keys_known, 0);
	d2.keys_known = 1;

	/* the next DSS as the writer writes it, with its read of what it wrote: one more
	   certificate, no /VRI entry (whose value would refer to it too) */
	sp_errinfo_init(&ei);
	ck_assert(pdf_doc_open(two, n2, &doc, &ei) == SP_OK);
	memset(&add, 0, sizeof(add));
	item.data = (unsigned char *)"evidence the DSS does not hold";
	item.len = strlen((const char *)item.data);
	add.certs = &item;
	add.ncerts = 1;
	ck_assert_msg(pdf_dss_append_read(doc, &d2, &add, &three, &n3, &after, &ei) == SP_OK, "%s",
		      ei.msg);
	pdf_doc_free(doc);
	ck_assert_int_eq(after.keys_known, 1);
	ck_assert_int_eq(after.closed, 1);
	ck_assert_int_ge(after.obj[PDF_DSS_CERTS][after.n[PDF_DSS_CERTS] - 1], (int)d2.size);
	ck_assert_int_eq(told_as_parsed(three, n3, n2, &d2, &after, d2.dss_obj), 100);
	/* packed for the next completion and back: still told as written */
	ck_assert_int_eq(pdf_dss_pack(&after, &packed, &plen), SP_OK);
	ck_assert_int_eq(pdf_dss_unpack(packed, plen, &back), SP_OK);
	ck_assert_int_eq(back.keys_known, 1);
	pdf_dss_cleanup(&back);
	free(packed);

	/* by hand: /Certs one item longer (its first again), read as a reader reads it */
	body = dss_body_of(two, n1, n2);
	ck_assert_ptr_nonnull(certs = strstr(body, "/Certs ["));
	blen = strlen(body) + 32;
	ck_assert_ptr_nonnull(grown = malloc(blen));
	snprintf(grown, blen, "%.*s%d %d R %s", (int)(certs - body) + 8, body,
		 d2.obj[PDF_DSS_CERTS][0], d2.gen[PDF_DSS_CERTS][0], certs + 8);
	nums[0] = d2.dss_obj;
	objs[0] = grown;
	four = vc_update(two, n2, nums, objs, 1, 0, NULL, &n4);
	dss_of(four, n4, NULL, 0, &d4);
	ck_assert_int_eq(d4.closed, 1);
	ck_assert_uint_eq(d4.n[PDF_DSS_CERTS], d2.n[PDF_DSS_CERTS] + 1);
	ck_assert_int_eq(told_as_parsed(four, n4, n2, &d2, &d4, d2.dss_obj), 100);
	pdf_dss_cleanup(&d4);

	/* and with an earlier DSS item (its CRL) made a dictionary in the same update: that
	   change disallowed, and the pages not known to be kept (a stream redefined) */
	nums[1] = d2.obj[PDF_DSS_CRLS][0];
	objs[1] = "<< /Unrelated true >>";
	five = vc_update(two, n2, nums, objs, 2, 0, NULL, &n5);
	dss_of(five, n5, NULL, 0, &d4);
	ck_assert_uint_eq(told_as_parsed(five, n5, n2, &d2, &d4, d2.dss_obj), 1);
	pdf_dss_cleanup(&d4);

	/* a read of other bytes is not told: the next revision's, or of a longer file */
	ck_assert(pdf_doc_open_view(two, n2, &doc, &ei) == SP_OK);
	ck_assert_int_eq(pdf_doc_dss_tell(doc, &after), 0);
	ck_assert_int_eq(pdf_doc_dss_tell(doc, &d2), 1);
	pdf_doc_free(doc);
	ck_assert(pdf_doc_open_view(two, n1, &doc, &ei) == SP_OK);
	ck_assert_int_eq(pdf_doc_dss_tell(doc, &d2), 0);
	pdf_doc_free(doc);

	pdf_dss_cleanup(&after);
	pdf_dss_cleanup(&d2);
	free(grown);
	free(body);
	free(five);
	free(four);
	free(three);
	free(two);
	free(one);
	free(crl.data);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("verify_ltv_dss");
	TCase *tc = test_tcase(s, "dss", setup, teardown, 0, 120);

	tcase_add_test(tc, dss_read_known_takes_only_what_reads_the_same);
	tcase_add_test(tc, dss_pack_round_trip);
	tcase_add_test(tc, dss_known_handed_to_the_verification);
	tcase_add_test(tc, dss_rewritten_is_a_change_only_when_it_differs);
	tcase_add_test(tc, dss_told_judged_as_parsed);
	return test_suite_run(s);
}
