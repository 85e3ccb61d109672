/*
 * test_verify_ltv.c: long-term validation in pdf/ and crypto/: the DSS
 * writer (items stored once, /VRI keys, an existing DSS kept, the update an
 * allowed change that leaves the file signed), document timestamps written
 * by pdf_sig_prepare, and the verifier's levels (B-T, B-LT, B-LTA) and its
 * use of the embedded revocation data at a moved verification time.
 */
#include "test_verify_ltv.h"

/* The DSS as written: items once, /VRI, and a second DSS keeps the first. */
START_TEST(dss_written_and_merged)
{
	size_t n1, n2, n3, crllen;
	unsigned char *one = vc_sign(base, base_len, "rsa", 1, 0, &n1), *two, *three;
	struct pdf_blob crl;
	struct pdf_doc *doc = NULL;
	struct pdf_dss dss;
	struct sp_errinfo ei;
	char k1[41], k2[41];

	crl.data = make_crl(0, 0, &crllen);
	crl.len = crllen;
	two = with_dss(one, n1, "rsa", &crl, &n2);
	ck_assert(memcmp(two, one, n1) == 0); /* an incremental update */
	sp_errinfo_init(&ei);
	ck_assert(pdf_doc_open(two, n2, &doc, &ei) == SP_OK);
	ck_assert(pdf_dss_read(doc, &dss, &ei) == SP_OK);
	ck_assert_int_eq(dss.present, 1);
	ck_assert_uint_eq(dss.n[PDF_DSS_CERTS], 2);
	ck_assert_uint_eq(dss.n[PDF_DSS_CRLS], 1);
	ck_assert_uint_eq(dss.n[PDF_DSS_OCSPS], 0);
	ck_assert(dss.item[PDF_DSS_CRLS][0].len == crllen &&
		  !memcmp(dss.item[PDF_DSS_CRLS][0].data, crl.data, crllen));
	vri_of(one, n1, 0, k1);
	ck_assert_int_eq(pdf_dss_has_vri(&dss, k1), 1);
	ck_assert_uint_eq(strspn(k1, "0123456789ABCDEF"), 40);
	pdf_dss_cleanup(&dss);
	pdf_doc_free(doc);
	judges_agree(two, n2, "dss1.pdf");

	/* a second signer and its DSS: the first DSS's items and /VRI stay */
	three = vc_sign(two, n2, "ec", 1, 0, &n3);
	free(two);
	two = with_dss_of(three, n3, 1, "ec", NULL, &n2);
	ck_assert(pdf_doc_open(two, n2, &doc, &ei) == SP_OK);
	ck_assert(pdf_dss_read(doc, &dss, &ei) == SP_OK);
	ck_assert_uint_eq(dss.n[PDF_DSS_CERTS], 3); /* root once, both signers */
	ck_assert_uint_eq(dss.n[PDF_DSS_CRLS], 1);
	vri_of(three, n3, 1, k2);
	ck_assert_int_eq(pdf_dss_has_vri(&dss, k1), 1);
	ck_assert_int_eq(pdf_dss_has_vri(&dss, k2), 1);
	pdf_dss_cleanup(&dss);
	pdf_doc_free(doc);
	judges_agree(two, n2, "dss2.pdf");
	free(three);
	free(two);
	free(one);
	free(crl.data);
}
END_TEST

/* The last revision of d[0..n) (its update follows the one ending at prev). */
static struct pdf_revision
last_rev(const unsigned char *d, size_t n, size_t prev)
{
	struct pdf_revision revs[16];
	struct sp_errinfo ei;
	size_t nrev = 0;

	sp_errinfo_init(&ei);
	ck_assert_int_eq(pdf_revisions_find(d, n, revs, 16, &nrev, &ei), SP_OK);
	ck_assert_uint_ge(nrev, 2);
	ck_assert_uint_eq(revs[nrev - 2].end, prev);
	return revs[nrev - 1];
}

/*
 * Completion at B-LT: the stored revision (a signature and its DSS), the
 * next signer's revision and its DSS. With the caller's documents (the base
 * as read, the signed revision with the base's page list as rev_doc, the
 * final one without pages) the report is the full verification's, and the
 * page list goes on through both updates (pdf_pages_kept).
 */
START_TEST(completion_views_at_b_lt)
{
	size_t n1, n2, n3, n4, np = 0, i, crllen;
	unsigned char *one = vc_sign(base, base_len, "rsa", 1, 0, &n1), *two, *three, *four;
	struct crypto_verify_report *full, *r = NULL;
	struct pdf_doc *b = NULL, *sd = NULL, *fd = NULL;
	struct pdf_revision rv;
	struct pdf_blob crl;
	struct sp_errinfo ei;
	int *pages = NULL;

	crl.data = make_crl(0, 0, &crllen);
	crl.len = crllen;
	two = with_dss(one, n1, "rsa", &crl, &n2);
	three = vc_sign(two, n2, "ec", 1, 0, &n3);
	four = with_dss_of(three, n3, 1, "ec", &crl, &n4);
	ck_assert(memcmp(four, three, n3) == 0);
	full = verify_at(four, n4, 0);
	sp_errinfo_init(&ei);
	ck_assert_int_eq(pdf_doc_open_view(four, n2, &b, &ei), SP_OK);
	ck_assert_int_eq(pdf_doc_page_objs(b, &pages, &np, &ei), SP_OK);
	ck_assert_int_eq(pdf_doc_open_known(four, n3, pages, np, &sd, &ei), SP_OK);
	ck_assert_int_eq(pdf_doc_open_known(four, n4, NULL, 0, &fd, &ei), SP_OK);
	rv = last_rev(four, n3, n2);
	ck_assert_int_eq(pdf_pages_kept(b, sd, &rv), 1);
	rv = last_rev(four, n4, n3);
	ck_assert_int_eq(pdf_pages_kept(sd, fd, &rv), 1);
	{
		struct crypto_verify_opts o = { .trust = trust,
						.verified_len = n2,
						.verified_tail = 1,
						.doc = fd,
						.verified_doc = b,
						.rev_doc = sd,
						.rev_len = n3 };
		ck_assert_msg(crypto_pdf_verify(four, n4, &o, &r, &ei) == SP_OK, "%s", ei.msg);
	}
	ck_assert_uint_eq(r->nsigs, full->nsigs);
	ck_assert_uint_eq(r->nsigs, 2);
	ck_assert_uint_eq(r->nlisted, 2);
	/* the first was verified before (prior: only what changed since is news) */
	ck_assert_int_eq(r->sigs[0].prior, 1);
	for (i = 0; i < r->nsigs; i++)
		ck_assert_int_eq(r->sigs[i].verdict, full->sigs[i].verdict);
	ck_assert_int_eq(r->sigs[1].prior, 0);
	ck_assert_str_eq(r->sigs[1].level, full->sigs[1].level);
	ck_assert(r->sigs[1].digest_ok == 1 && r->sigs[1].signature_ok == 1 &&
		  r->sigs[1].chain_ok == 1 && r->sigs[1].timestamp_ok == 1 &&
		  r->sigs[1].changes_ok == 1);
	ck_assert_str_eq(r->sigs[1].level, "pades_b_lt");
	ck_assert_int_eq(r->verdict, full->verdict);
	ck_assert_int_eq(r->verdict, CRYPTO_VERDICT_VALID_ALLOWED_CHANGES);
	/* the caller's documents are the caller's: still usable, freed here */
	ck_assert_int_eq(pdf_doc_damaged(sd), 0);
	pdf_doc_free(fd);
	pdf_doc_free(sd);
	pdf_doc_free(b);
	crypto_verify_report_free(r);
	crypto_verify_report_free(full);
	free(pages);
	free(four);
	free(three);
	free(two);
	free(one);
	free(crl.data);
}
END_TEST

/*
 * A verification's work budget grows with the file: a unit every
 * CRYPTO_VERIFY_BYTES_A_WORK bytes on top of the configured one, so a big
 * contract signed many times verifies as the work its size is. With a
 * budget of 16 units, a B-LT contract's verification (3 revisions of a
 * page, and the walks of its updates) needs more than the budget, and less
 * than its bytes allow.
 */
START_TEST(work_budget_grows_with_the_file)
{
	size_t n1, n2, crllen;
	unsigned char *one = vc_sign(base, base_len, "rsa", 1, 0, &n1), *two;
	struct pdf_blob crl;
	struct crypto_verify_opts o = { .trust = trust, .max_work = 16 };
	struct crypto_verify_report *r = NULL;
	struct sp_errinfo ei;

	crl.data = make_crl(0, 0, &crllen);
	crl.len = crllen;
	two = with_dss(one, n1, "rsa", &crl, &n2);
	sp_errinfo_init(&ei);
	ck_assert_msg(crypto_pdf_verify(two, n2, &o, &r, &ei) == SP_OK,
		      "a %zu-byte B-LT contract under a budget of 16 units: %s", n2, ei.msg);
	ck_assert_str_eq(r->sigs[0].level, "pades_b_lt");
	ck_assert_int_eq(r->verdict, CRYPTO_VERDICT_VALID_ALLOWED_CHANGES);
	crypto_verify_report_free(r);
	free(two);
	free(one);
	free(crl.data);
}
END_TEST

/*
 * Our own output within the default budget (review49): a 1,000-page
 * contract (each page its own object and content stream) signed
 * LONG_SIGNERS times through sealpact's writer, each signature timestamped
 * and followed by a DSS update answering it (two revisions a signer, as a
 * B-LT completion writes them), then a document timestamp (B-LTA). Every
 * signature is valid; POST /api/v1/verify and a fresh verification use the
 * default budget (1,000,000 and a unit every 4 bytes). 100 parties a
 * contract are allowed (server/api/contracts.c).
 */
#define LONG_PAGES 1000
#define LONG_SIGNERS 45
START_TEST(a_long_contract_signed_many_times_verifies_within_the_default_budget)
{
	struct tpage *pages = calloc(LONG_PAGES, sizeof(*pages));
	size_t n, m, i, crllen;
	unsigned char *d, *u;
	struct pdf_blob crl;
	struct crypto_verify_opts o = { .trust = trust };
	struct crypto_verify_report *r = NULL;
	struct sp_errinfo ei;
	int k;

	d = make_pdf(pages, LONG_PAGES, &n);
	free(pages);
	crl.data = make_crl(0, 0, &crllen);
	crl.len = crllen;
	for (k = 0; k < LONG_SIGNERS; k++) {
		u = vc_sign(d, n, "rsa", 1, 0, &m);
		free(d);
		d = with_dss_of(u, m, (size_t)k, "rsa", &crl, &n);
		free(u);
	}
	u = with_doc_ts(d, n, &m);
	free(d);
	sp_errinfo_init(&ei);
	ck_assert_msg(crypto_pdf_verify(u, m, &o, &r, &ei) == SP_OK,
		      "%d pages signed %d times (%d revisions, %zu bytes): %s", LONG_PAGES,
		      LONG_SIGNERS, 2 * LONG_SIGNERS + 2, m, ei.msg);
	ck_assert_uint_eq(r->nsigs, LONG_SIGNERS + 1);
	for (i = 0; i < r->nsigs; i++)
		ck_assert_msg(r->sigs[i].verdict == CRYPTO_VERDICT_VALID ||
				      r->sigs[i].verdict == CRYPTO_VERDICT_VALID_ALLOWED_CHANGES,
			      "signature %zu: %s", i + 1, crypto_verdict_name(r->sigs[i].verdict));
	crypto_verify_report_free(r);
	free(u);
	free(crl.data);
}
END_TEST

/* B-T, then B-LT (the DSS an allowed, validation-only tail), then B-LTA. */
START_TEST(levels)
{
	size_t n1, n2, n3, n4, crllen;
	unsigned char *one = vc_sign(base, base_len, "rsa", 1, 0, &n1), *two, *three, *four;
	struct crypto_verify_report *r;
	struct pdf_blob crl;

	r = verify_at(one, n1, 0);
	ck_assert_str_eq(r->sigs[0].level, "pades_b_t");
	crypto_verify_report_free(r);

	crl.data = make_crl(0, 0, &crllen);
	crl.len = crllen;
	two = with_dss(one, n1, "rsa", &crl, &n2);
	r = verify_at(two, n2, 0);
	ck_assert_str_eq(r->sigs[0].level, "pades_b_lt");
	ck_assert_int_eq(r->last_revision_signed, 1);
	ck_assert_int_eq(r->sigs[0].rev_dss, 1);
	ck_assert_msg(r->verdict == CRYPTO_VERDICT_VALID_ALLOWED_CHANGES, "%s %s",
		      crypto_verdict_name(r->verdict), r->message);
	crypto_verify_report_free(r);

	three = with_doc_ts(two, n2, &n3);
	r = verify_at(three, n3, 0);
	ck_assert_uint_eq(r->nsigs, 2);
	ck_assert_str_eq(r->sigs[0].level, "pades_b_lta");
	ck_assert_int_eq(r->sigs[1].doc_timestamp, 1);
	ck_assert_int_eq(r->sigs[1].verdict, CRYPTO_VERDICT_VALID);
	ck_assert_int_eq(r->verdict, CRYPTO_VERDICT_VALID_ALLOWED_CHANGES);
	crypto_verify_report_free(r);
	write_file(vc_path("lta.pdf"), three, n3);
	ck_assert_int_eq(run("qpdf --check %s >/dev/null 2>&1", vc_path("lta.pdf")), 0);

	/* a document timestamp over a file without a DSS does not make B-LTA */
	four = with_doc_ts(one, n1, &n4);
	r = verify_at(four, n4, 0);
	ck_assert_str_eq(r->sigs[0].level, "pades_b_t");
	crypto_verify_report_free(r);

	/* an unsigned update that is not only a DSS still leaves the file unsigned */
	free(four);
	{
		int nums[1] = { 0 };
		const char *objs[1] = { "<< /Producer (x) >>" };
		struct pdf_doc *d = NULL;
		struct pdf_doc_info info;
		struct sp_errinfo ei;
		sp_errinfo_init(&ei);
		ck_assert(pdf_doc_open(two, n2, &d, &ei) == SP_OK);
		pdf_doc_info_get(d, &info);
		nums[0] = (int)info.size;
		pdf_doc_free(d);
		four = vc_update(two, n2, nums, objs, 1, 0, NULL, &n4);
	}
	r = verify_at(four, n4, 0);
	ck_assert_int_eq(r->last_revision_signed, 0);
	ck_assert_int_eq(r->verdict, CRYPTO_VERDICT_INDETERMINATE);
	crypto_verify_report_free(r);
	free(four);
	free(three);
	free(two);
	free(one);
	free(crl.data);
}
END_TEST

/*
 * one[0..n1) with a DSS of the rsa signer's chain and a CRL of the CA
 * issued at last, current until next, listing serial (0: none) revoked at
 * when, verified at `at`: the report.
 */
static struct crypto_verify_report *
verify_under_crl(const unsigned char *one, size_t n1, long serial, time_t when, time_t last,
		 time_t next, time_t at)
{
	struct crypto_verify_report *r;
	struct pdf_blob crl;
	unsigned char *two;
	size_t crllen, n2;

	crl.data = make_crl_at(serial, when, last, next, &crllen);
	crl.len = crllen;
	two = with_dss(one, n1, "rsa", &crl, &n2);
	r = verify_at(two, n2, at);
	free(two);
	free(crl.data);
	return r;
}

/* verify_under_crl with a CRL issued a minute ago and current for a day (make_crl's). */
static struct crypto_verify_report *
verify_under_current_crl(const unsigned char *one, size_t n1, long serial, time_t when, time_t at)
{
	return verify_under_crl(one, n1, serial, when, time(NULL) - 60, time(NULL) + 86400, at);
}

/*
 * The embedded evidence answers revocation, also at a verification time
 * after every certificate expired (the leaves live 20 days): good, and
 * revoked before the timestamp (invalid); without a timestamp, expired.
 */
START_TEST(embedded_revocation_after_expiry)
{
	size_t n1;
	unsigned char *one = vc_sign(base, base_len, "rsa", 1, 0, &n1);
	time_t later = time(NULL) + 400 * 86400;
	struct crypto_verify_report *r;

	r = verify_under_current_crl(one, n1, 0, 0, later);
	ck_assert_msg(r->sigs[0].verdict == CRYPTO_VERDICT_VALID_ALLOWED_CHANGES, "%s: %s",
		      crypto_verdict_name(r->sigs[0].verdict), r->sigs[0].message);
	ck_assert_int_eq(r->sigs[0].rev_dss, 1);
	ck_assert_int_eq(r->sigs[0].checked_at, r->sigs[0].ts_time);
	crypto_verify_report_free(r);

	/* revoked (serial 2 is the rsa signer) an hour before it signed */
	r = verify_under_current_crl(one, n1, 2, time(NULL) - 3600, later);
	ck_assert_int_eq(r->sigs[0].verdict, CRYPTO_VERDICT_INVALID);
	ck_assert_str_eq(r->sigs[0].reasons[0], "cert_revoked");
	crypto_verify_report_free(r);

	/* revoked a day after it signed (the timestamp proves it): still valid */
	r = verify_under_current_crl(one, n1, 2, time(NULL) + 86400, later);
	ck_assert_msg(r->sigs[0].verdict == CRYPTO_VERDICT_VALID_ALLOWED_CHANGES, "%s",
		      r->sigs[0].message);
	crypto_verify_report_free(r);

	/* a CRL that was out of date before the signature says nothing about it: an old
	   "not listed" cannot hide a revocation that came in between */
	r = verify_under_crl(one, n1, 0, 0, time(NULL) - 3 * 86400, time(NULL) - 2 * 86400, later);
	ck_assert_int_eq(r->sigs[0].rev_dss, 0);
	crypto_verify_report_free(r);
	free(one);

	/* no timestamp: nothing proves when it was made; at `later` it has expired */
	one = vc_sign(base, base_len, "rsa", 0, 0, &n1);
	r = verify_at(one, n1, later);
	ck_assert_int_eq(r->sigs[0].verdict, CRYPTO_VERDICT_INDETERMINATE);
	ck_assert_str_eq(r->sigs[0].reasons[0], "cert_expired");
	crypto_verify_report_free(r);
	free(one);
}
END_TEST

/*
 * An OCSP response about `who` from the CA, produced `age` seconds ago,
 * current for a day; forged: one bit of its signature flipped.
 */
static unsigned char *
make_ocsp(const char *who, int forged, int status, time_t revoked, time_t age, size_t *len)
{
	X509 *ca = vc_cert("ca"), *leaf = vc_cert(who);
	EVP_PKEY *key = vc_key("ca");
	ASN1_BIT_STRING *sig;
	OCSP_BASICRESP *bs = OCSP_BASICRESP_new();
	OCSP_CERTID *id = OCSP_cert_to_id(NULL, leaf, ca);
	ASN1_TIME *now = ASN1_TIME_set(NULL, time(NULL) - age),
		  *next = ASN1_TIME_set(NULL, time(NULL) - age + 86400),
		  *rt = ASN1_TIME_set(NULL, revoked);
	OCSP_RESPONSE *r;
	unsigned char *d = NULL, *out;
	int n;

	ck_assert(bs && id && now && next && rt);
	ck_assert_ptr_nonnull(OCSP_basic_add1_status(bs, id, status,
						     OCSP_REVOKED_STATUS_KEYCOMPROMISE, rt, now,
						     next));
	ck_assert_int_eq(OCSP_basic_sign(bs, ca, key, EVP_sha256(), NULL, 0), 1);
	if (forged) {
		sig = (ASN1_BIT_STRING *)OCSP_resp_get0_signature(bs);
		sig->data[sig->length / 2] ^= 1;
	}
	ck_assert_ptr_nonnull(r = OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL, bs));
	ck_assert_int_gt(n = i2d_OCSP_RESPONSE(r, &d), 0);
	out = malloc((size_t)n);
	memcpy(out, d, (size_t)n);
	*len = (size_t)n;
	OPENSSL_free(d);
	OCSP_RESPONSE_free(r);
	OCSP_BASICRESP_free(bs);
	OCSP_CERTID_free(id);
	ASN1_TIME_free(now);
	ASN1_TIME_free(next);
	ASN1_TIME_free(rt);
	EVP_PKEY_free(key);
	X509_free(ca);
	X509_free(leaf);
	return out;
}

/* What an embedded OCSP response says of who at `at`: SP_OK and *rev, or not. */
static int
ocsp_says(const unsigned char *der, size_t len, const char *who, time_t at, struct trust_rev *rev)
{
	struct crypto_evidence ev;
	struct sp_errinfo ei;
	X509 *ca = vc_cert("ca"), *leaf = vc_cert(who);
	int r;

	memset(&ev, 0, sizeof(ev));
	sp_errinfo_init(&ei);
	ck_assert(crypto_evidence_add(&ev, PDF_DSS_OCSPS, der, len, &ei) == SP_OK);
	r = trust_evidence_status(trust, &ev, leaf, ca, NULL, at, rev, &ei);
	crypto_evidence_cleanup(&ev);
	X509_free(ca);
	X509_free(leaf);
	return r;
}

/*
 * Embedded OCSP responses are parsed and verified once per process
 * (ocsp_verified.c): asked again, the answer is the first one's, for the
 * certificate and the time asked; a forged response (the genuine one's
 * content, another key's signature) is refused after the genuine one was
 * kept, and so is the genuine response asked about another certificate or
 * about a time it cannot speak for.
 */
START_TEST(embedded_ocsp_verified_once)
{
	size_t glen, flen, rlen;
	unsigned char *good = make_ocsp("rsa", 0, V_OCSP_CERTSTATUS_GOOD, 0, 60, &glen);
	unsigned char *forged = make_ocsp("rsa", 1, V_OCSP_CERTSTATUS_GOOD, 0, 60, &flen);
	unsigned char *revoked =
		make_ocsp("rsa", 0, V_OCSP_CERTSTATUS_REVOKED, time(NULL) - 7200, 60, &rlen);
	struct trust_rev rev;
	int round;

	for (round = 0; round < 2; round++) {
		ck_assert_int_eq(ocsp_says(good, glen, "rsa", 0, &rev), SP_OK);
		ck_assert_int_eq(rev.status, CRYPTO_REV_GOOD);
		ck_assert_int_eq(rev.source, CRYPTO_REV_SRC_DSS);
		/* not about the TSA's certificate */
		ck_assert_int_eq(ocsp_says(good, glen, "tsa", 0, &rev), SP_ERR_NOT_FOUND);
		/* a "good" of a minute ago says nothing about a week from now */
		ck_assert_int_eq(ocsp_says(good, glen, "rsa", time(NULL) + 7 * 86400, &rev),
				 SP_ERR_NOT_FOUND);
		ck_assert_int_eq(ocsp_says(forged, flen, "rsa", 0, &rev), SP_ERR_NOT_FOUND);
		ck_assert_int_eq(ocsp_says(revoked, rlen, "rsa", 0, &rev), SP_OK);
		ck_assert_int_eq(rev.status, CRYPTO_REV_REVOKED);
		ck_assert_int_eq(rev.reason, OCSP_REVOKED_STATUS_KEYCOMPROMISE);
		ck_assert(rev.revoked_at > time(NULL) - 7300 && rev.revoked_at < time(NULL) - 7100);
	}
	free(good);
	free(forged);
	free(revoked);
}
END_TEST

/* The embedded evidence also judges the TSA: revoked before it stamped, invalid. */
START_TEST(tsa_revoked_in_evidence)
{
	size_t n1;
	unsigned char *one = vc_sign(base, base_len, "rsa", 1, 0, &n1);
	struct crypto_verify_report *r;

	/* serial 6 is the corpus TSA */
	r = verify_under_current_crl(one, n1, 6, time(NULL) - 3600, 0);
	ck_assert_int_eq(r->sigs[0].verdict, CRYPTO_VERDICT_INVALID);
	ck_assert_str_eq(r->sigs[0].reasons[0], "ts_revoked");
	ck_assert_int_eq(r->sigs[0].timestamp_ok, 0);
	crypto_verify_report_free(r);
	/* revoked after it stamped: the timestamp stands */
	r = verify_under_current_crl(one, n1, 6, time(NULL) + 3600, 0);
	ck_assert_msg(r->sigs[0].verdict == CRYPTO_VERDICT_VALID_ALLOWED_CHANGES, "%s",
		      r->sigs[0].message);
	crypto_verify_report_free(r);
	free(one);
}
END_TEST

/* A document timestamp whose token was altered is invalid, and so is the file. */
START_TEST(broken_archive_timestamp)
{
	size_t n1, n2, n3, crllen, i;
	unsigned char *one = vc_sign(base, base_len, "rsa", 1, 0, &n1), *two, *three, *c, *e;
	struct crypto_verify_report *r;
	struct pdf_blob crl;

	crl.data = make_crl(0, 0, &crllen);
	crl.len = crllen;
	two = with_dss(one, n1, "rsa", &crl, &n2);
	three = with_doc_ts(two, n2, &n3);
	c = memmem(three + n2, n3 - n2, "/Contents <", 11);
	ck_assert_ptr_nonnull(c);
	c += 11;
	e = memchr(c, '>', n3 - (size_t)(c - three));
	for (i = (size_t)(e - c); i > 0 && c[i - 1] == '0'; i--)
		;
	c[i - 40] = c[i - 40] == '1' ? '2' : '1'; /* inside the TSA's signature */
	r = verify_at(three, n3, 0);
	ck_assert_int_eq(r->sigs[1].doc_timestamp, 1);
	ck_assert_int_eq(r->sigs[1].verdict, CRYPTO_VERDICT_INVALID);
	ck_assert_int_eq(r->verdict, CRYPTO_VERDICT_INVALID);
	ck_assert_str_eq(r->sigs[0].level, "pades_b_lt");
	crypto_verify_report_free(r);
	free(three);
	free(two);
	free(one);
	free(crl.data);
}
END_TEST

/* The level signature 0 of d reaches, verified now. */
static void
level_is(const unsigned char *d, size_t n, const char *want)
{
	struct crypto_verify_report *r = verify_at(d, n, 0);

	ck_assert_msg(r->sigs[0].verdict == CRYPTO_VERDICT_VALID_ALLOWED_CHANGES, "%s",
		      r->sigs[0].message);
	ck_assert_str_eq(r->sigs[0].level, want);
	crypto_verify_report_free(r);
}

/*
 * The level signature 0 of one[0..n1) reaches under a DSS update with the
 * OCSP responses o[0..no) and a /VRI entry for it (vri 0) or none (NO_VRI),
 * and, unless want_ts is NULL, under a document timestamp over that update.
 */
static void
levels_with_dss(const unsigned char *one, size_t n1, size_t vri, const struct pdf_blob *o,
		size_t no, const char *want, const char *want_ts)
{
	size_t n, n2;
	unsigned char *f = with_dss_items(one, n1, vri, "rsa", o, no, NULL, 0, &n), *g;

	level_is(f, n, want);
	if (want_ts) {
		g = with_doc_ts(f, n, &n2);
		level_is(g, n2, want_ts);
		free(g);
	}
	free(f);
}

/*
 * B-LT is what the DSS answers, not that it names the signature: a
 * revocation answer for every certificate below the root of the signer's
 * chain and of its timestamp's TSA chain (LtaCheck's rule, EN 319 142-1
 * §5.4). A /VRI entry with certificates only, or with the signer's OCSP
 * response and nothing for the TSA, leaves it B-T, and a document timestamp
 * over that DSS does not make it B-LTA.
 */
START_TEST(level_is_what_the_dss_answers)
{
	size_t n1, lo[2];
	unsigned char *one = vc_sign(base, base_len, "rsa", 1, 0, &n1);
	struct pdf_blob o[2];

	o[0].data = make_ocsp("rsa", 0, V_OCSP_CERTSTATUS_GOOD, 0, 60, &lo[0]);
	o[0].len = lo[0];
	o[1].data = make_ocsp("tsa", 0, V_OCSP_CERTSTATUS_GOOD, 0, 60, &lo[1]);
	o[1].len = lo[1];
	/* a /VRI entry, certificates only */
	levels_with_dss(one, n1, 0, NULL, 0, "pades_b_t", "pades_b_t");
	/* the signer answered, the TSA not: with a /VRI entry and without */
	levels_with_dss(one, n1, 0, o, 1, "pades_b_t", "pades_b_t");
	levels_with_dss(one, n1, NO_VRI, o, 1, "pades_b_t", NULL);
	/* both answered: B-LT, and B-LTA under a document timestamp */
	levels_with_dss(one, n1, 0, o, 2, "pades_b_lt", "pades_b_lta");
	levels_with_dss(one, n1, NO_VRI, o, 2, "pades_b_lt", NULL);
	free(o[0].data);
	free(o[1].data);
	free(one);
}
END_TEST

START_TEST(levels_without_vri)
{
	size_t n1, n2, n3, n4, n5, crllen;
	unsigned char *one = vc_sign(base, base_len, "rsa", 1, 0, &n1), *two, *three, *four, *five;
	struct crypto_verify_report *r, *fresh;
	struct pdf_blob crl;

	crl.data = make_crl(0, 0, &crllen);
	crl.len = crllen;
	two = with_dss_of(one, n1, NO_VRI, "rsa", &crl, &n2);
	{
		struct pdf_doc *d = NULL;
		struct pdf_dss dss;
		struct sp_errinfo ei;
		sp_errinfo_init(&ei);
		ck_assert(pdf_doc_open(two, n2, &d, &ei) == SP_OK &&
			  pdf_dss_read(d, &dss, &ei) == SP_OK);
		ck_assert(dss.present && dss.nvri == 0 && dss.n[PDF_DSS_CRLS] == 1);
		pdf_dss_cleanup(&dss);
		pdf_doc_free(d);
	}
	r = verify_at(two, n2, 0);
	ck_assert_int_eq(r->sigs[0].rev_dss, 1);
	ck_assert_uint_eq(r->sigs[0].rev_item, 1);
	ck_assert_int_eq(r->sigs[0].rev_item_crl, 1);
	ck_assert_str_eq(r->sigs[0].level, "pades_b_lt");
	ck_assert_int_eq(r->last_revision_signed, 1);
	crypto_verify_report_free(r);
	three = with_doc_ts(two, n2, &n3);
	r = verify_at(three, n3, 0);
	ck_assert_str_eq(r->sigs[0].level, "pades_b_lta");
	ck_assert_int_eq(r->sigs[1].verdict, CRYPTO_VERDICT_VALID);
	crypto_verify_report_free(r);
	judges_agree(three, n3, "lta_no_vri.pdf");
	/* verified before up to the DSS: checked again (no /VRI says whether it is news) */
	fresh = verify_at(three, n3, 0);
	r = verify_vri(three, n3, n2, 1, NULL, 0, 0, NULL, NULL);
	ck_assert_int_eq(r->sigs[0].prior, 0);
	same_report(r, fresh);
	crypto_verify_report_free(r);
	crypto_verify_report_free(fresh);
	/* a DSS of certificates only: nothing answered the check from it */
	four = with_dss_of(one, n1, NO_VRI, "rsa", NULL, &n4);
	r = verify_at(four, n4, 0);
	ck_assert_int_eq(r->sigs[0].rev_dss, 0);
	ck_assert_str_eq(r->sigs[0].level, "pades_b_t");
	crypto_verify_report_free(r);
	free(four);
	/* the CRL was in the DSS before the signature: not added for it */
	four = with_dss_of(base, base_len, NO_VRI, "rsa", &crl, &n4);
	five = vc_sign(four, n4, "rsa", 1, 0, &n5);
	r = verify_at(five, n5, 0);
	ck_assert_int_eq(r->sigs[0].rev_dss, 1);
	ck_assert_str_eq(r->sigs[0].level, "pades_b_t");
	crypto_verify_report_free(r);
	free(five);
	free(four);
	free(three);
	free(two);
	free(one);
	free(crl.data);
}
END_TEST

/* How often s occurs in d[0..n). */
static size_t
count_in(const unsigned char *d, size_t n, const char *s)
{
	size_t c = 0, l = strlen(s);
	const unsigned char *p = d, *end = d + n, *f;

	while ((f = memmem(p, (size_t)(end - p), s, l)) != NULL) {
		c++;
		p = f + l;
	}
	return c;
}

/*
 * A DSS update writes each /VRI value as an object of its own, and the next
 * update keeps an earlier entry by reference: it adds its new entry only
 * (the /VRI dictionary grew by a whole entry per signature, which every
 * later update wrote and every reader parsed again). The DSS read of a
 * later revision whose update leaves the DSS alone is the earlier read,
 * taken whole; the file is what qpdf and pdfsig accept.
 */
START_TEST(vri_entries_kept_by_reference)
{
	size_t n1, n2, n3, n4, crllen, nl = 0, nrev = 0;
	unsigned char *one = vc_sign(base, base_len, "rsa", 1, 0, &n1), *two, *three, *four;
	struct pdf_revision *revs = malloc(PDF_REVISIONS_MAX * sizeof(*revs));
	struct pdf_blob crl;
	struct pdf_doc *doc = NULL;
	struct pdf_dss known, fresh, got;
	struct sp_errinfo ei;
	char k1[41], k2[41], ref[64];
	int *later = NULL;

	crl.data = make_crl(0, 0, &crllen);
	crl.len = crllen;
	two = with_dss(one, n1, "rsa", &crl, &n2);
	three = vc_sign(two, n2, "ec", 1, 0, &n3);
	four = with_dss_of(three, n3, 1, "ec", NULL, &n4);
	vri_of(one, n1, 0, k1);
	vri_of(three, n3, 1, k2);
	/* the second DSS update: the first entry a reference, one entry's value written */
	snprintf(ref, sizeof(ref), "/%s ", k1);
	ck_assert_uint_eq(count_in(four + n3, n4 - n3, ref), 1);
	ck_assert_uint_eq(count_in(four + n3, n4 - n3, "/Cert "), 1);
	ck_assert_uint_eq(count_in(four + n3, n4 - n3, "/CRL "), 0);
	{
		const unsigned char *at = memmem(four + n3, n4 - n3, ref, strlen(ref));
		int num = 0, gen = -1, used = 0;
		ck_assert(at != NULL);
		ck_assert_int_eq(sscanf((const char *)at + strlen(ref), "%d %d R%n", &num, &gen,
					&used),
				 2);
		ck_assert_int_gt(used, 0);
		ck_assert_int_gt(num, 0);
		ck_assert_int_eq(gen, 0);
	}
	sp_errinfo_init(&ei);
	ck_assert(pdf_doc_open(four, n4, &doc, &ei) == SP_OK);
	ck_assert(pdf_dss_read(doc, &fresh, &ei) == SP_OK);
	ck_assert_int_eq(pdf_dss_has_vri(&fresh, k1), 1);
	ck_assert_int_eq(pdf_dss_has_vri(&fresh, k2), 1);
	ck_assert_int_eq(fresh.vri_refs, 1);
	ck_assert_int_eq(fresh.closed, 1);
	pdf_dss_cleanup(&fresh);
	pdf_doc_free(doc);
	judges_agree(four, n4, "dss_refs.pdf");

	/* the second signature's revision reads the first DSS update's DSS, taken whole */
	ck_assert(pdf_doc_open(two, n2, &doc, &ei) == SP_OK);
	ck_assert(pdf_dss_read(doc, &known, &ei) == SP_OK);
	pdf_doc_free(doc);
	ck_assert(pdf_doc_open(three, n3, &doc, &ei) == SP_OK);
	ck_assert(pdf_dss_read(doc, &fresh, &ei) == SP_OK);
	ck_assert(pdf_revisions_find(three, n3, revs, PDF_REVISIONS_MAX, &nrev, &ei) == SP_OK);
	ck_assert(pdf_revisions_listed_after(doc, revs, nrev, n2, &later, &nl));
	ck_assert(pdf_dss_read_known(doc, &known, later, nl, &got, &ei) == SP_OK);
	ck_assert_int_eq(got.nvri, fresh.nvri);
	ck_assert_int_eq(got.vri_obj[0], fresh.vri_obj[0]);
	ck_assert_int_eq(got.size, fresh.size);
	ck_assert_int_eq(got.closed, 1);
	ck_assert_uint_eq(got.n[PDF_DSS_CRLS], 1);
	ck_assert(got.item[PDF_DSS_CRLS][0].len == crllen &&
		  !memcmp(got.item[PDF_DSS_CRLS][0].data, crl.data, crllen));
	pdf_dss_cleanup(&got);
	pdf_dss_cleanup(&fresh);
	pdf_doc_free(doc);
	free(later);
	later = NULL;

	/* not when a later update makes the first entry's value null: a read leaves the key
	   out (qpdf lists no key whose value is null), so the earlier read is not taken */
	{
		const char *objs[1] = { "null" };
		int nums[1] = { known.vri_obj[0] };
		unsigned char *f = vc_update(three, n3, nums, objs, 1, 0, NULL, &n4);

		ck_assert(pdf_doc_open(f, n4, &doc, &ei) == SP_OK);
		ck_assert(pdf_dss_read(doc, &fresh, &ei) == SP_OK);
		ck_assert_int_eq(pdf_dss_has_vri(&fresh, k1), 0);
		ck_assert(pdf_revisions_find(f, n4, revs, PDF_REVISIONS_MAX, &nrev, &ei) == SP_OK);
		ck_assert(pdf_revisions_listed_after(doc, revs, nrev, n2, &later, &nl));
		ck_assert(pdf_dss_read_known(doc, &known, later, nl, &got, &ei) == SP_OK);
		ck_assert_int_eq(pdf_dss_has_vri(&got, k1), 0);
		ck_assert_int_eq(got.nvri, fresh.nvri);
		pdf_dss_cleanup(&got);
		pdf_dss_cleanup(&fresh);
		pdf_doc_free(doc);
		free(later);
		free(f);
	}
	pdf_dss_cleanup(&known);
	free(revs);
	free(four);
	free(three);
	free(two);
	free(one);
	free(crl.data);
}
END_TEST

/*
 * An OCSP response counts only when its responder's chain was valid when it
 * says it answered (its producedAt): a check at any other time (a fetch
 * checks at the time it reads) does not make it count, nor keep it as
 * verified (trust_ocsp_verified_keep, shared by the DSS's check and the fetch
 * since the fetch keeps what it read for the DSS a completion writes). Here
 * a response of today about the signer, signed by the CA, that says it was
 * produced a day before the CA's certificate was issued.
 */
START_TEST(ocsp_counts_at_its_own_time)
{
	X509 *ca = vc_cert("ca");
	struct tm tm;
	time_t before;
	size_t glen, blen, n0 = ocsp_verified_count(trust->ocsps);
	unsigned char *good = make_ocsp("rsa", 0, V_OCSP_CERTSTATUS_GOOD, 0, 60, &glen);
	unsigned char *early, *d = NULL;
	const unsigned char *p;
	OCSP_RESPONSE *rsp;
	OCSP_BASICRESP *bs;
	EVP_PKEY *key = vc_key("ca");
	struct trust_rev rev;
	time_t produced;
	int n;

	ck_assert_int_eq(ASN1_TIME_to_tm(X509_get0_notBefore(ca), &tm), 1);
	before = timegm(&tm) - 86400;
	/* the same response, produced (and signed again) before the CA was */
	p = good;
	ck_assert_ptr_nonnull(rsp = d2i_OCSP_RESPONSE(NULL, &p, (long)glen));
	ck_assert_ptr_nonnull(bs = OCSP_response_get1_basic(rsp));
	OCSP_RESPONSE_free(rsp);
	ck_assert_ptr_nonnull(
		ASN1_GENERALIZEDTIME_set((ASN1_GENERALIZEDTIME *)OCSP_resp_get0_produced_at(bs),
					 before));
	ck_assert_int_eq(OCSP_basic_sign(bs, ca, key, EVP_sha256(), NULL, OCSP_NOTIME), 1);
	ck_assert_ptr_nonnull(rsp = OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL, bs));
	ck_assert_int_gt(n = i2d_OCSP_RESPONSE(rsp, &d), 0);
	early = d;
	blen = (size_t)n;
	/* kept and counted only as its producedAt allows */
	ck_assert_int_eq(trust_ocsp_verified_keep(trust, early, blen, bs, NULL, &produced), 0);
	ck_assert_uint_eq(ocsp_verified_count(trust->ocsps), n0);
	ck_assert_int_eq(ocsp_says(early, blen, "rsa", 0, &rev), SP_ERR_NOT_FOUND);
	OCSP_BASICRESP_free(bs);
	/* the genuine one, produced now */
	p = good;
	OCSP_RESPONSE_free(rsp);
	ck_assert_ptr_nonnull(rsp = d2i_OCSP_RESPONSE(NULL, &p, (long)glen));
	ck_assert_ptr_nonnull(bs = OCSP_response_get1_basic(rsp));
	ck_assert_int_eq(trust_ocsp_verified_keep(trust, good, glen, bs, NULL, &produced), 1);
	ck_assert(produced > time(NULL) - 120 && produced <= time(NULL));
	ck_assert_uint_eq(ocsp_verified_count(trust->ocsps), n0 + 1);
	ck_assert_int_eq(ocsp_says(good, glen, "rsa", 0, &rev), SP_OK);
	ck_assert_int_eq(rev.status, CRYPTO_REV_GOOD);
	/* the early one stays refused after the genuine one was kept */
	ck_assert_int_eq(ocsp_says(early, blen, "rsa", 0, &rev), SP_ERR_NOT_FOUND);
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(rsp);
	OPENSSL_free(early);
	EVP_PKEY_free(key);
	X509_free(ca);
	free(good);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("verify_ltv");
	TCase *tc = test_tcase(s, "ltv", setup, teardown, 0, 120);

	tcase_add_test(tc, dss_written_and_merged);
	tcase_add_test(tc, levels);
	tcase_add_test(tc, work_budget_grows_with_the_file);
	tcase_add_test(tc, a_long_contract_signed_many_times_verifies_within_the_default_budget);
	tcase_add_test(tc, completion_views_at_b_lt);
	tcase_add_test(tc, embedded_revocation_after_expiry);
	tcase_add_test(tc, broken_archive_timestamp);
	tcase_add_test(tc, tsa_revoked_in_evidence);
	tcase_add_test(tc, embedded_ocsp_verified_once);
	tcase_add_test(tc, ocsp_counts_at_its_own_time);
	tcase_add_test(tc, levels_without_vri);
	tcase_add_test(tc, level_is_what_the_dss_answers);
	tcase_add_test(tc, vri_entries_kept_by_reference);
	return test_suite_run(s);
}
