/*
 * test_verify_ltv_reuse.c: what a completion hands on to the next step reads
 * as what that step would compute itself: the DSS read from kept reads, a
 * document timestamp from the base's hash, /VRI keys handed to the
 * verification, and the /VRI memo given to the DSS update (the DSS reads
 * handed on: test_verify_ltv_dss.c). Each compares the handed-on result
 * with the one computed anew.
 */
#include "test_verify_ltv.h"

/*
 * crypto_ltv_add_dss over d[0..n), whose prefix d[0..given) a verification
 * read (reads, its sigs_out; NULL: none given): the whole new file, and in
 * *nlisted what the known listing counted (-1: not used). opened: d is given
 * opened as a completion's view of it (crypto_ltv_known.doc), not opened there,
 * with its revisions (crypto_ltv_known.revs), not found there.
 */
static unsigned char *
dss_known_doc(const unsigned char *d, size_t n, size_t given, const uint8_t *reads, size_t rlen,
	      int opened, size_t *outn, int *nlisted, int *rc)
{
	struct crypto_ltv_known kn = { .given_len = given, .reads = reads, .reads_len = rlen };
	struct pdf_doc *g = NULL, *all = NULL;
	struct pdf_revision revs[64];
	struct sp_errinfo ei;
	uint8_t *out = NULL;
	int *pages = NULL, r;

	sp_errinfo_init(&ei);
	if (reads != NULL) {
		ck_assert_int_eq(pdf_doc_open_view(d, given, &g, &ei), SP_OK);
		/* and d's pages, as a completion hands them on: the tree not walked */
		ck_assert_int_eq(pdf_doc_open_view(d, n, &all, &ei), SP_OK);
		ck_assert_int_eq(pdf_doc_page_objs(all, &pages, &kn.npages, &ei), SP_OK);
		kn.pages = pages;
	}
	if (opened) {
		ck_assert_ptr_nonnull(reads);
		pdf_doc_free(all);
		ck_assert_int_eq(pdf_doc_open_known(d, n, pages, kn.npages, &all, &ei), SP_OK);
		kn.doc = all;
		/* and its revisions, as the completion found them (the listing takes them) */
		ck_assert_int_eq(pdf_revisions_find(d, n, revs, 64, &kn.nrevs, &ei), SP_OK);
		kn.revs = revs;
		kn.revs_len = n;
	}
	kn.given = g;
	r = crypto_ltv_add_dss(gather, NULL, NULL, d, n, CRYPTO_LTV_STORED,
			       reads != NULL ? &kn : NULL, &out, outn, &ei);
	if (rc != NULL)
		*rc = r;
	else
		ck_assert_msg(r == SP_OK && out != NULL, "%s", ei.msg);
	*nlisted = reads != NULL ? kn.nlisted : -1;
	free(kn.vri_memo);
	free(pages);
	pdf_doc_free(all);
	pdf_doc_free(g);
	return out;
}

#ifndef __SANITIZE_ADDRESS__
/*
 * An allocation that fails: the oom_left-th of oom_size bytes once armed
 * (the size of one buffer of the code under test), every other one served.
 * Not under ASan, whose malloc this would replace.
 */
/* NOLINTNEXTLINE(bugprone-reserved-identifier,cert-dcl37-c,cert-dcl51-cpp): glibc's name */
void *__libc_malloc(size_t n);
static size_t oom_size;
static int oom_left;

void *
malloc(size_t n)
{
	if (oom_size != 0 && n == oom_size && --oom_left == 0) {
		oom_size = 0;
		return NULL;
	}
	return __libc_malloc(n);
}
#endif

static unsigned char *
dss_known(const unsigned char *d, size_t n, size_t given, const uint8_t *reads, size_t rlen,
	  size_t *outn, int *nlisted)
{
	return dss_known_doc(d, n, given, reads, rlen, 0, outn, nlisted, NULL);
}

/* The signature reads a verification of d[0..n) hands on (sigs_out). */
static uint8_t *
reads_of(const unsigned char *d, size_t n, size_t *rlen)
{
	uint8_t *reads = NULL;
	struct crypto_verify_opts o = { .trust = trust, .sigs_out = &reads, .sigs_out_len = rlen };
	struct crypto_verify_report *r = NULL;
	struct sp_errinfo ei;

	sp_errinfo_init(&ei);
	ck_assert_msg(crypto_pdf_verify(d, n, &o, &r, &ei) == SP_OK, "%s", ei.msg);
	crypto_verify_report_free(r);
	ck_assert_ptr_nonnull(reads);
	return reads;
}

/* The length of d[0..n) with a document timestamp, its prefix's reads given or not. */
static size_t
doc_ts_len(const unsigned char *d, size_t n, size_t given, const uint8_t *reads, size_t rlen)
{
	struct crypto_ltv_known kn = { .given_len = given, .reads = reads, .reads_len = rlen };
	struct pdf_doc *g = NULL;
	struct sp_errinfo ei;
	uint8_t *out = NULL;
	size_t outn = 0;
	time_t until, gen;

	sp_errinfo_init(&ei);
	if (reads != NULL)
		ck_assert_int_eq(pdf_doc_open_view(d, given, &g, &ei), SP_OK);
	kn.given = g;
	ck_assert_msg(crypto_ltv_doc_timestamp(trust, d, n, CRYPTO_LTV_STORED,
					       reads != NULL ? &kn : NULL, vc_ts_digest, NULL, &out,
					       &outn, &until, &gen, &ei) == SP_OK,
		      "%s", ei.msg);
	free(out);
	pdf_doc_free(g);
	return outn;
}

/*
 * A completion's DSS from the base's kept signature reads (only the new
 * signature parsed) is the DSS of the full read, byte for byte, along a
 * chain of signers at B-LT with a document timestamp (B-LTA) in it, and for
 * a signature still without a /VRI entry too (its evidence then comes from
 * its kept /Contents), and the document timestamp's /Contents is sized
 * alike; reads that do not fit (not pack's, another prefix) do the full
 * read; and so is the DSS of the signed revision opened by the caller (a
 * completion's view, crypto_ltv_known.doc) instead of an open of its own.
 */
START_TEST(dss_from_kept_reads)
{
	static const char *const who[] = { "rsa", "ec", "rsa", "ec" };
	unsigned char *cur, *next, *full, *kept;
	size_t n, nn, nf, nk, rlen = 0, i;
	uint8_t *reads;
	int nl = 0;

	/* the first signature has no DSS yet: its /VRI entry comes from its kept read */
	cur = vc_sign(base, base_len, "rsa", 1, 0, &n);
	for (i = 0; i < 4; i++) {
		if (i == 2) {
			/* the last signer's document timestamp (B-LTA), then one more DSS */
			next = with_doc_ts(cur, n, &nn);
			full = dss_known(next, nn, 0, NULL, 0, &nf, &nl);
			free(next);
			free(cur);
			cur = full;
			n = nf;
		}
		reads = reads_of(cur, n, &rlen);
		next = vc_sign(cur, n, who[i], 1, 0, &nn);
		ck_assert_ptr_nonnull(next);
		full = dss_known(next, nn, 0, NULL, 0, &nf, &nl);
		kept = dss_known(next, nn, n, reads, rlen, &nk, &nl);
		ck_assert_uint_eq(nk, nf);
		ck_assert(memcmp(kept, full, nf) == 0);
		/* the known listing counted the signed revision's fields: every signature
		   so far and the document timestamp */
		ck_assert_int_eq(nl, (int)(i + 2 + (i >= 2)));
		free(kept);
		/* the signed revision given opened, as a completion has it: the same */
		kept = dss_known_doc(next, nn, n, reads, rlen, 1, &nk, &nl, NULL);
		ck_assert_int_eq(nl, (int)(i + 2 + (i >= 2)));
		ck_assert(nk == nf && memcmp(kept, full, nf) == 0);
		free(kept);
		/* reads of another prefix, or not reads at all: the full read, the same */
		kept = dss_known(next, nn, n - 1, reads, rlen, &nk, &nl);
		ck_assert_int_eq(nl, -1);
		ck_assert(nk == nf && memcmp(kept, full, nf) == 0);
		free(kept);
		kept = dss_known(next, nn, n, reads, rlen - 1, &nk, &nl);
		ck_assert_int_eq(nl, -1);
		ck_assert(nk == nf && memcmp(kept, full, nf) == 0);
		free(kept);
		/* the last signer's document timestamp: its /Contents sized alike */
		if (i == 3)
			ck_assert_uint_eq(doc_ts_len(full, nf, n, reads, rlen),
					  doc_ts_len(full, nf, 0, NULL, 0));
		free(reads);
		free(next);
		free(cur);
		cur = full;
		n = nf;
	}
	free(cur);
}
END_TEST

/* d[0..n) with a document timestamp made with kn (NULL: none). */
static unsigned char *
doc_ts_with(const unsigned char *d, size_t n, struct crypto_ltv_known *kn, size_t *outn)
{
	struct sp_errinfo ei;
	uint8_t *out = NULL;
	time_t until, gen;

	sp_errinfo_init(&ei);
	ck_assert_msg(crypto_ltv_doc_timestamp(trust, d, n, CRYPTO_LTV_STORED, kn, vc_ts_digest,
					       NULL, &out, outn, &until, &gen, &ei) == SP_OK,
		      "%s", ei.msg);
	return out;
}

/*
 * A completion's document timestamp goes on from its hash of the base and
 * opens the file with the signed revision's pages: the same bytes as one
 * made from scratch (but the token in the gap), and it verifies. A hash
 * that is not of the bytes the file starts with (here: one byte of them
 * changed) gives a timestamp over the wrong digest, which the verification
 * that follows every completion's long-term data refuses.
 */
START_TEST(doc_timestamp_from_the_base_hash)
{
	unsigned char *one, *two, *lt, *a, *b, *c;
	size_t n1 = 0, n2, nl, na, nb, nc, npages = 0;
	struct crypto_ltv_known kn;
	struct crypto_digest_ctx *h = NULL, *bad = NULL;
	struct crypto_verify_report *r;
	struct pdf_doc *doc = NULL;
	struct sp_errinfo ei;
	unsigned char *wrong;
	int *pages = NULL, nlisted;

	one = vc_sign(base, base_len, "rsa", 1, 0, &n1);
	two = vc_sign(one, n1, "ec", 1, 0, &n2);
	lt = dss_known(two, n2, 0, NULL, 0, &nl, &nlisted);
	ck_assert_uint_gt(nl, n2);
	sp_errinfo_init(&ei);
	ck_assert_int_eq(pdf_doc_open(two, n2, &doc, &ei), SP_OK);
	ck_assert_int_eq(pdf_doc_page_objs(doc, &pages, &npages, &ei), SP_OK);
	pdf_doc_free(doc);
	/* the base (one) hashed, as done_work hashes it */
	ck_assert_int_eq(crypto_digest_ctx_new(CRYPTO_DIGEST_SHA256, &h, &ei), SP_OK);
	ck_assert_int_eq(crypto_digest_ctx_update(h, lt, n1, &ei), SP_OK);
	a = doc_ts_with(lt, nl, NULL, &na);
	memset(&kn, 0, sizeof(kn));
	kn.nlisted = -1;
	kn.hashed = h;
	kn.hashed_len = n1;
	kn.pages = pages;
	kn.npages = npages;
	b = doc_ts_with(lt, nl, &kn, &nb);
	ck_assert_uint_eq(na, nb);
	r = verify_at(b, nb, 0);
	ck_assert_uint_eq(r->nsigs, 3);
	ck_assert(r->sigs[2].doc_timestamp);
	ck_assert_int_eq(r->sigs[2].digest_ok, 1);
	ck_assert_int_eq(r->sigs[2].verdict, CRYPTO_VERDICT_VALID);
	/* the same bytes outside the token's gap */
	ck_assert(memcmp(a, b, (size_t)r->sigs[2].byte_range[1]) == 0);
	ck_assert(memcmp(a + r->sigs[2].byte_range[2], b + r->sigs[2].byte_range[2],
			 (size_t)r->sigs[2].byte_range[3]) == 0);
	crypto_verify_report_free(r);
	/* its open of what it timestamps handed out: a verification given it for that
	   revision (as a completion's) reports what one that opens it reports */
	kn.keep_ts_doc = 1;
	free(b);
	b = doc_ts_with(lt, nl, &kn, &nb);
	ck_assert_ptr_nonnull(kn.ts_doc);
	ck_assert_uint_eq(kn.ts_doc_len, nl);
	{
		struct crypto_verify_opts o = { .trust = trust,
						.rev_doc2 = kn.ts_doc,
						.rev_len2 = kn.ts_doc_len };
		struct crypto_verify_report *g = verify_at(b, nb, 0);
		size_t i;

		r = NULL;
		ck_assert_int_eq(crypto_pdf_verify(b, nb, &o, &r, &ei), SP_OK);
		ck_assert_uint_eq(r->nsigs, g->nsigs);
		ck_assert_uint_eq(r->nrevisions, g->nrevisions);
		ck_assert_int_eq(r->verdict, g->verdict);
		for (i = 0; i < r->nsigs; i++) {
			ck_assert_int_eq(r->sigs[i].verdict, g->sigs[i].verdict);
			ck_assert_str_eq(r->sigs[i].level, g->sigs[i].level);
			ck_assert_int_eq(r->sigs[i].changes_ok, g->sigs[i].changes_ok);
			ck_assert_uint_eq(r->sigs[i].nchanges, g->sigs[i].nchanges);
		}
		ck_assert_str_eq(r->sigs[1].level, "pades_b_lta");
		crypto_verify_report_free(g);
		crypto_verify_report_free(r);
	}
	pdf_doc_free(kn.ts_doc);
	kn.keep_ts_doc = 0;
	/* a hash of other bytes: the timestamp does not verify */
	ck_assert_ptr_nonnull(wrong = malloc(n1));
	memcpy(wrong, lt, n1);
	wrong[n1 / 2] ^= 1;
	ck_assert_int_eq(crypto_digest_ctx_new(CRYPTO_DIGEST_SHA256, &bad, &ei), SP_OK);
	ck_assert_int_eq(crypto_digest_ctx_update(bad, wrong, n1, &ei), SP_OK);
	kn.hashed = bad;
	c = doc_ts_with(lt, nl, &kn, &nc);
	r = verify_at(c, nc, 0);
	ck_assert_uint_eq(r->nsigs, 3);
	ck_assert_int_eq(r->sigs[2].digest_ok, 0);
	ck_assert_int_eq(r->sigs[2].verdict, CRYPTO_VERDICT_INVALID);
	crypto_verify_report_free(r);
	crypto_digest_ctx_free(h);
	crypto_digest_ctx_free(bad);
	free(wrong);
	free(pages);
	free(a);
	free(b);
	free(c);
	free(lt);
	free(two);
	free(one);
}
END_TEST

/*
 * The /VRI keys crypto_ltv_add_dss hashed, handed to the verification of
 * its result (vri_memo): the report is the one without them. A memo entry
 * is taken only for the very /Contents it hashed: entries for other bytes
 * (one byte changed) are not used, and one packed wrongly is left there;
 * that an entry is taken shows in a key changed for the same bytes: the
 * DSS then has no entry for the signature, so a verification of the file
 * plus a document timestamp, given the file as verified before, checks it
 * again (prior 0) for the evidence without an entry, where its entry kept
 * it prior. (Its level
 * stays B-LT either way: the DSS answers its chains, entry or not.)
 */
START_TEST(vri_keys_handed_to_the_verification)
{
	size_t n1, n2, nl, nlta, i, at, len;
	unsigned char *one = vc_sign(base, base_len, "rsa", 1, 0, &n1);
	unsigned char *two = vc_sign(one, n1, "ec", 1, 0, &n2), *lt = NULL, *lta;
	struct crypto_ltv_known kn;
	struct crypto_verify_report *g, *r;
	struct sp_errinfo ei;
	uint8_t *m;
	int round;

	memset(&kn, 0, sizeof(kn));
	sp_errinfo_init(&ei);
	ck_assert_msg(crypto_ltv_add_dss(gather, NULL, NULL, two, n2, CRYPTO_LTV_STORED, &kn, &lt,
					 &nl, &ei) == SP_OK,
		      "%s", ei.msg);
	ck_assert_ptr_nonnull(kn.vri_memo);
	g = verify_at(lt, nl, 0);
	ck_assert_uint_eq(g->nsigs, 2);
	ck_assert_str_eq(g->sigs[0].level, "pades_b_lt");
	ck_assert_str_eq(g->sigs[1].level, "pades_b_lt");
	lta = with_doc_ts(lt, nl, &nlta);
	ck_assert_ptr_nonnull(m = malloc(kn.vri_memo_len));
	for (round = 0; round < 4; round++) {
		struct crypto_verify_opts o = { .trust = trust,
						.vri_memo = m,
						.vri_memo_len = kn.vri_memo_len };

		memcpy(m, kn.vri_memo, kn.vri_memo_len);
		/* 0: as made; 1: every entry's bytes another's; 2: packed wrongly; 3: every key
		   another for the same bytes */
		for (at = 0; round > 0 && at + 44 <= kn.vri_memo_len; at += 44 + len) {
			len = sp_load_be32(m + at);
			if (round == 1)
				m[at + 44 + len / 2] ^= 1;
			else if (round == 2)
				sp_store_be32(m + at, (uint32_t)kn.vri_memo_len);
			else
				m[at + 4] = m[at + 4] == 'A' ? 'B' : 'A';
			if (round == 2)
				break;
		}
		r = NULL;
		ck_assert_int_eq(crypto_pdf_verify(lt, nl, &o, &r, &ei), SP_OK);
		ck_assert_uint_eq(r->nsigs, g->nsigs);
		for (i = 0; i < r->nsigs; i++) {
			ck_assert_int_eq(r->sigs[i].verdict, g->sigs[i].verdict);
			ck_assert_str_eq(r->sigs[i].level, g->sigs[i].level);
		}
		crypto_verify_report_free(r);
		r = NULL;
		o.verified_len = nl;
		o.verified_tail = 1;
		ck_assert_int_eq(crypto_pdf_verify(lta, nlta, &o, &r, &ei), SP_OK);
		ck_assert_uint_eq(r->nsigs, 3);
		for (i = 0; i < 2; i++)
			ck_assert_int_eq(r->sigs[i].prior, round < 3);
		crypto_verify_report_free(r);
	}
	crypto_verify_report_free(g);
	free(m);
	free(kn.vri_memo);
	free(lta);
	free(lt);
	free(two);
	free(one);
}
END_TEST

/*
 * The /VRI keys of the verified part handed on (verified_vri, from the
 * vri_out of a verification of exactly those bytes) instead of reading its
 * DSS again: the report is the read's, byte for byte in every verdict,
 * also for a hostile later DSS that brings revoked evidence for a
 * signature verified before (it is verified again and found invalid: the
 * keys say it had no entry before); keys of a part that ends elsewhere
 * are not used.
 */
START_TEST(vri_handed_on)
{
	size_t n1, n2, n3, n4, n5, crllen, vlen1 = 0, vlen3 = 0, vlen = 0;
	unsigned char *one = vc_sign(base, base_len, "rsa", 1, 0, &n1), *two, *three, *four, *five;
	time_t later = time(NULL) + 400 * 86400;
	struct crypto_verify_report *read, *given;
	uint8_t *vri1 = NULL, *vri3 = NULL, *v = NULL;
	struct pdf_blob crl, bad;

	crl.data = make_crl(0, 0, &crllen);
	crl.len = crllen;
	/* revoked (serial 2 is the rsa signer) an hour before it signed */
	bad.data = make_crl(2, time(NULL) - 3600, &crllen);
	bad.len = crllen;
	/* the first signature at B-T: its keys are none (no DSS), packed all the same */
	read = verify_vri(one, n1, 0, 0, NULL, 0, 0, &vri1, &vlen1);
	ck_assert_ptr_nonnull(vri1);
	ck_assert_uint_eq(vlen1, 1);
	crypto_verify_report_free(read);
	/* a second signer, then a DSS whose /VRI brings the first one's cert revoked */
	two = vc_sign(one, n1, "ec", 1, 0, &n2);
	three = with_dss_of(two, n2, 0, "rsa", &bad, &n3);
	read = verify_vri(three, n3, n1, 1, NULL, 0, later, &vri3, &vlen3);
	given = verify_vri(three, n3, n1, 1, vri1, vlen1, later, &v, &vlen);
	ck_assert_int_eq(read->sigs[0].prior, 0);
	ck_assert_int_eq(read->sigs[0].verdict, CRYPTO_VERDICT_INVALID);
	same_report(read, given);
	/* and the keys it hands on are those of its DSS: one entry */
	ck_assert_uint_eq(vlen3, 41);
	ck_assert(vlen == vlen3 && memcmp(v, vri3, vlen) == 0);
	crypto_verify_report_free(read);
	crypto_verify_report_free(given);
	free(v);
	v = NULL;
	/* the next signer and its DSS: the first's entry was there before, no news; the
	   keys of three given, as a completion has them (its DSS verified too: tail) */
	four = vc_sign(three, n3, "rsa", 1, 0, &n4);
	five = with_dss_of(four, n4, 2, "rsa", &crl, &n5);
	read = verify_vri(five, n5, n3, 1, NULL, 0, later, NULL, NULL);
	given = verify_vri(five, n5, n3, 1, vri3, vlen3, later, NULL, NULL);
	ck_assert_int_eq(read->sigs[0].prior, 1);
	same_report(read, given);
	crypto_verify_report_free(given);
	/* they are what decides (the DSS is not read): keys saying the first had no entry
	   then (another part's: a caller's mistake) have it verified again */
	given = verify_vri(five, n5, n3, 1, vri1, vlen1, later, NULL, NULL);
	ck_assert_int_eq(given->sigs[0].prior, 0);
	crypto_verify_report_free(given);
	crypto_verify_report_free(read);
	/* keys that are not of the verified part's end (its unsigned DSS checked again:
	   it ends with the second signature), or not packed as they are, are not used:
	   the DSS is read */
	read = verify_vri(five, n5, n3, 0, NULL, 0, later, NULL, NULL);
	ck_assert_int_eq(read->sigs[0].prior, 0);
	given = verify_vri(five, n5, n3, 0, vri3, vlen3, later, NULL, NULL);
	same_report(read, given);
	crypto_verify_report_free(given);
	crypto_verify_report_free(read);
	read = verify_vri(five, n5, n3, 1, NULL, 0, later, NULL, NULL);
	given = verify_vri(five, n5, n3, 1, vri3, vlen3 - 1, later, NULL, NULL);
	same_report(read, given);
	crypto_verify_report_free(given);
	crypto_verify_report_free(read);
	free(vri1);
	free(vri3);
	free(five);
	free(four);
	free(three);
	free(two);
	free(one);
	free(crl.data);
	free(bad.data);
}
END_TEST

/* The /VRI keys of the DSS of d[0..n), sorted into one string. */
static char *
vri_keys_of(const unsigned char *d, size_t n)
{
	struct pdf_doc *doc = NULL;
	struct pdf_dss dss;
	struct sp_errinfo ei;
	char *all;
	size_t i, j;

	sp_errinfo_init(&ei);
	ck_assert(pdf_doc_open_view(d, n, &doc, &ei) == SP_OK);
	ck_assert(pdf_dss_read(doc, &dss, &ei) == SP_OK);
	for (i = 1; i < dss.nvri; i++)
		for (j = i; j > 0 && strcmp(dss.vri[j - 1], dss.vri[j]) > 0; j--) {
			char t[41];
			memcpy(t, dss.vri[j], 41);
			memcpy(dss.vri[j], dss.vri[j - 1], 41);
			memcpy(dss.vri[j - 1], t, 41);
		}
	ck_assert_ptr_nonnull(all = calloc(dss.nvri * 41 + 1, 1));
	for (i = 0; i < dss.nvri; i++)
		memcpy(all + 41 * i, dss.vri[i], 40), all[41 * i + 40] = ' ';
	pdf_dss_cleanup(&dss);
	pdf_doc_free(doc);
	return all;
}

/*
 * A /VRI key memo an earlier completion made, given to the DSS update
 * (crypto_ltv_known.vri_given): a signature whose /Contents is, byte for
 * byte, one there takes its key from there (a memo whose keys are altered
 * shows it), one whose bytes differ is hashed (a memo whose /Contents are
 * altered changes nothing).
 */
START_TEST(vri_memo_given_to_the_dss_update)
{
	size_t n1, n2, nl, at, len;
	unsigned char *one = vc_sign(base, base_len, "rsa", 1, 0, &n1);
	unsigned char *two = vc_sign(one, n1, "ec", 1, 0, &n2), *lt = NULL;
	struct crypto_ltv_known kn;
	struct sp_errinfo ei;
	uint8_t *memo, *m;
	size_t mlen;
	char *want, *got;
	int round;

	sp_errinfo_init(&ei);
	memset(&kn, 0, sizeof(kn));
	ck_assert_msg(crypto_ltv_add_dss(gather, NULL, NULL, two, n2, CRYPTO_LTV_STORED, &kn, &lt,
					 &nl, &ei) == SP_OK,
		      "%s", ei.msg);
	memo = kn.vri_memo;
	mlen = kn.vri_memo_len;
	ck_assert_ptr_nonnull(memo);
	want = vri_keys_of(lt, nl);
	ck_assert_uint_eq(strlen(want), 2 * 41);
	free(lt);
	ck_assert_ptr_nonnull(m = malloc(mlen));
	for (round = 0; round < 3; round++) {
		memcpy(m, memo, mlen);
		/* 0: as made; 1: every entry's bytes another's; 2: every key another */
		for (at = 0; round > 0 && at + 44 <= mlen; at += 44 + len) {
			len = sp_load_be32(m + at);
			if (round == 1)
				m[at + 44 + len / 2] ^= 1;
			else
				m[at + 4] = m[at + 4] == 'A' ? 'B' : 'A';
		}
		memset(&kn, 0, sizeof(kn));
		kn.vri_given = m;
		kn.vri_given_len = mlen;
		lt = NULL;
		ck_assert_msg(crypto_ltv_add_dss(gather, NULL, NULL, two, n2, CRYPTO_LTV_STORED,
						 &kn, &lt, &nl, &ei) == SP_OK,
			      "%s", ei.msg);
		got = vri_keys_of(lt, nl);
		if (round < 2)
			ck_assert_str_eq(got, want);
		else
			ck_assert_str_ne(got, want);
		free(got);
		free(lt);
		free(kn.vri_memo);
	}
	free(m);
	free(memo);
	free(want);
	free(two);
	free(one);
}
END_TEST

/*
 * An allocation that fails on the way of a DSS update with kept reads (each
 * of the first of the size of the new signature's /Contents, which the kept
 * reads lack) fails the update cleanly or leaves it to the full listing: the
 * same DSS. The listing with kept reads, when reading such a signature failed,
 * freed its array from that field on as if it were one (s + i, no pointer
 * malloc gave: glibc aborted).
 */
#ifndef __SANITIZE_ADDRESS__
/* 1 under valgrind's memcheck (deploy/lint.sh --valgrind), whose preloaded malloc stands
   in front of this file's, as ASan's does: no allocation fails there */
static int
under_valgrind(void)
{
	const char *pre = getenv("LD_PRELOAD");

	return pre != NULL && strstr(pre, "vgpreload") != NULL;
}
#endif

START_TEST(kept_reads_out_of_memory)
{
#ifdef __SANITIZE_ADDRESS__
	return; /* (no failing allocation under ASan) */
#else
	unsigned char *cur, *next, *full, *kept;
	struct pdf_sig_field *f = NULL;
	struct pdf_doc *doc = NULL;
	struct sp_errinfo ei;
	size_t n, nn, nf, nk, nsig = 0, rlen = 0, size = 0, i;
	uint8_t *reads;
	int nl = 0, rc, nth, failed, gave_way = 0;

	if (under_valgrind())
		return;
	sp_errinfo_init(&ei);
	cur = vc_sign(base, base_len, "rsa", 1, 0, &n);
	reads = reads_of(cur, n, &rlen);
	next = vc_sign(cur, n, "ec", 1, 0, &nn);
	ck_assert_ptr_nonnull(next);
	full = dss_known(next, nn, 0, NULL, 0, &nf, &nl);
	ck_assert_int_eq(pdf_doc_open(next, nn, &doc, &ei), SP_OK);
	ck_assert_int_eq(pdf_sig_fields_list(doc, &f, &nsig, &ei), SP_OK);
	ck_assert_uint_eq(nsig, 2);
	for (i = 0; i < nsig; i++)
		if ((size_t)(f[i].byterange[2] + f[i].byterange[3]) == nn)
			size = f[i].contents_len;
	pdf_sig_fields_free(f, nsig);
	pdf_doc_free(doc);
	ck_assert_uint_ne(size, 0);
	for (nth = 1; nth <= 8; nth++) {
		oom_size = size;
		oom_left = nth;
		kept = dss_known_doc(next, nn, n, reads, rlen, 0, &nk, &nl, &rc);
		failed = oom_size == 0;
		oom_size = 0;
		if (rc == SP_OK) {
			ck_assert(nk == nf && memcmp(kept, full, nf) == 0);
			gave_way += failed && nl == -1;
		} else {
			ck_assert_int_eq(rc, SP_ERR_NOMEM);
			ck_assert(failed);
		}
		free(kept);
	}
	ck_assert_int_gt(gave_way, 0); /* the full listing answered after a failure */
	free(full);
	free(next);
	free(reads);
	free(cur);
#endif
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("verify_ltv_reuse");
	TCase *tc = test_tcase(s, "reuse", setup, teardown, 0, 120);

	tcase_add_test(tc, dss_from_kept_reads);
	tcase_add_test(tc, doc_timestamp_from_the_base_hash);
	tcase_add_test(tc, vri_keys_handed_to_the_verification);
	tcase_add_test(tc, vri_handed_on);
	tcase_add_test(tc, vri_memo_given_to_the_dss_update);
	tcase_add_test(tc, kept_reads_out_of_memory);
	return test_suite_run(s);
}
