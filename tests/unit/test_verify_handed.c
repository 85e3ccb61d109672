/*
 * test_verify_handed.c: verify once: what a completion hands forward to the
 * next verification (the length verified, the hashed prefix, the parsed
 * revisions, the checked signature and digest, the earlier signatures'
 * reports) spares the work and never the check: each verification with it
 * gives the report a full one gives, and a change after it is still judged.
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

/* What a walk of data[0..len) refers to (the engine's own way), as numbers. */
static int *
walk_refs(const unsigned char *d, size_t len, size_t *n)
{
	struct pdf_doc *doc = NULL;
	struct pdf_refs refs;
	struct sp_errinfo ei;
	int *nums = NULL;

	sp_errinfo_init(&ei);
	ck_assert_msg(pdf_doc_open_view(d, len, &doc, &ei) == SP_OK, "%s", ei.msg);
	ck_assert_msg(pdf_refs_init(doc, &refs, &ei) == SP_OK, "%s", ei.msg);
	ck_assert_msg(pdf_refs_export(&refs, &nums, n, &ei) == SP_OK, "%s", ei.msg);
	pdf_refs_cleanup(&refs);
	pdf_doc_free(doc);
	return nums;
}

/*
 * An upload's first signature (completion): given_len hands the engine the
 * upload as opened and the numbers it refers to (as its normalization found
 * them), so it neither opens nor walks it again; nothing in it counts as
 * verified (its own signatures are checked in full), and the report and
 * the set handed on are the ones of a verification that walked it.
 */
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

/*
 * What d's last signature signed: its signer's certificate, its signed
 * attributes as signed, its value and byte range (all the caller's).
 */
static void
signed_parts(const unsigned char *d, size_t n, X509 **cert, unsigned char **tbs, size_t *tbslen,
	     unsigned char **sig, size_t *siglen, long long br[4])
{
	struct pdf_doc *doc = NULL;
	struct pdf_sig_field *f = NULL;
	size_t nf = 0;
	struct sp_errinfo ei;
	const unsigned char *p;
	CMS_ContentInfo *cms;
	CMS_SignerInfo *si;
	STACK_OF(X509) * certs;
	STACK_OF(X509_ATTRIBUTE) *sk = sk_X509_ATTRIBUTE_new_null();
	ASN1_OCTET_STRING *v;
	unsigned char *der = NULL;
	int i, len;

	sp_errinfo_init(&ei);
	ck_assert_int_eq(pdf_doc_open(d, n, &doc, &ei), SP_OK);
	ck_assert_int_eq(pdf_sig_fields_list(doc, &f, &nf, &ei), SP_OK);
	ck_assert_uint_gt(nf, 0);
	memcpy(br, f[nf - 1].byterange, 4 * sizeof(long long));
	p = f[nf - 1].contents;
	ck_assert_ptr_nonnull(cms = d2i_CMS_ContentInfo(NULL, &p, (long)f[nf - 1].contents_len));
	si = sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(cms), 0);
	certs = CMS_get1_certs(cms);
	for (*cert = NULL, i = 0; i < sk_X509_num(certs) && !*cert; i++)
		if (CMS_SignerInfo_cert_cmp(si, sk_X509_value(certs, i)) == 0)
			*cert = X509_dup(sk_X509_value(certs, i));
	ck_assert_ptr_nonnull(*cert);
	for (i = 0; i < CMS_signed_get_attr_count(si); i++)
		sk_X509_ATTRIBUTE_push(sk, CMS_signed_get_attr(si, i));
	len = ASN1_item_i2d((ASN1_VALUE *)sk, &der, ASN1_ITEM_rptr(PKCS7_ATTR_VERIFY));
	ck_assert_int_gt(len, 0);
	*tbs = malloc((size_t)len);
	memcpy(*tbs, der, (size_t)len);
	*tbslen = (size_t)len;
	v = CMS_SignerInfo_get0_signature(si);
	*siglen = (size_t)ASN1_STRING_length(v);
	*sig = malloc(*siglen);
	memcpy(*sig, ASN1_STRING_get0_data(v), *siglen);
	OPENSSL_free(der);
	sk_X509_ATTRIBUTE_free(sk);
	sk_X509_pop_free(certs, X509_free);
	CMS_ContentInfo_free(cms);
	pdf_sig_fields_free(f, nf);
	pdf_doc_free(doc);
}

/* d with the first byte of the hex of v[0..vl) in it changed (NULL: not there). */
static unsigned char *
hex_flipped(const unsigned char *d, size_t n, const unsigned char *v, size_t vl)
{
	char *hex = malloc(2 * vl + 1);
	unsigned char *out = NULL, *hit;
	int upper;
	size_t i;

	for (upper = 0; upper < 2 && !out; upper++) {
		for (i = 0; i < vl; i++)
			snprintf(hex + 2 * i, 3, upper ? "%02X" : "%02x", v[i]);
		if ((hit = memmem(d, n, hex, 2 * vl)) != NULL) {
			out = malloc(n);
			memcpy(out, d, n);
			out[hit - d] = hit[0] == '0' ? '1' : '0';
		}
	}
	free(hex);
	return out;
}

static struct crypto_verify_report *
verify_with(const unsigned char *d, size_t n, const struct crypto_sig_checked *sc,
	    const struct crypto_ranges_digest *rk)
{
	struct crypto_verify_opts o = { .trust = trust, .sig_checked = sc, .ranges_known = rk };
	struct crypto_verify_report *r = NULL;
	struct sp_errinfo ei;

	sp_errinfo_init(&ei);
	ck_assert_msg(crypto_pdf_verify(d, n, &o, &r, &ei) == SP_OK, "%s", ei.msg);
	return r;
}

/*
 * A completion verified the signer's value before it built the CMS around
 * it, and hashed the signed ranges to check the signed attributes: it
 * hands both on (opts.sig_checked, opts.ranges_known) and the report is
 * the one checking them again gives. They count only for the very bytes
 * they name: a signature value other than the one checked is verified (and
 * is bad), a digest of other ranges or in another algorithm is not taken,
 * and one of these very ranges is the one used (a wrong one mismatches).
 */
START_TEST(checked_signature_and_digest_handed_on)
{
	struct crypto_verify_report *full = verify(good, good_len), *r;
	struct crypto_sig_checked sc = { .alg = CRYPTO_SIGALG_RSA_SHA256 };
	struct crypto_ranges_digest rk = { .alg = CRYPTO_DIGEST_SHA256 };
	unsigned char *tbs = NULL, *sig = NULL, *bad;
	size_t tbslen = 0, siglen = 0, dl = 0;
	long long br[4];
	struct crypto_digest_ctx *c = NULL;
	struct sp_errinfo ei;

	sp_errinfo_init(&ei);
	signed_parts(good, good_len, &sc.cert, &tbs, &tbslen, &sig, &siglen, br);
	sc.tbs = tbs;
	sc.tbslen = tbslen;
	sc.sig = sig;
	sc.siglen = siglen;
	ck_assert_int_eq(crypto_digest_ctx_new(CRYPTO_DIGEST_SHA256, &c, &ei), SP_OK);
	ck_assert_int_eq(crypto_digest_ctx_update(c, good, (size_t)br[1], &ei), SP_OK);
	ck_assert_int_eq(crypto_digest_ctx_update(c, good + br[2], (size_t)br[3], &ei), SP_OK);
	ck_assert_int_eq(crypto_digest_ctx_final(c, rk.d, &dl, &ei), SP_OK);
	crypto_digest_ctx_free(c);
	rk.dlen = dl;
	rk.a = (size_t)br[1];
	rk.b = (size_t)br[2];
	rk.end = (size_t)(br[2] + br[3]);

	/* both handed on: the same report */
	r = verify_with(good, good_len, &sc, &rk);
	ck_assert_uint_eq(r->nsigs, 1);
	ck_assert_int_eq(r->sigs[0].verdict, full->sigs[0].verdict);
	ck_assert_int_eq(r->sigs[0].verdict, CRYPTO_VERDICT_VALID);
	assert_all_checks(&r->sigs[0], 1);
	ck_assert_str_eq(r->sigs[0].sig_alg, full->sigs[0].sig_alg);
	crypto_verify_report_free(r);

	/* a value other than the one checked is verified here: bad */
	ck_assert_ptr_nonnull(bad = hex_flipped(good, good_len, sig + siglen - 8, 8));
	r = verify_with(bad, good_len, NULL, NULL);
	ck_assert_int_eq(r->sigs[0].verdict, CRYPTO_VERDICT_INVALID);
	ck_assert(has_reason(&r->sigs[0], "bad_signature"));
	crypto_verify_report_free(r);
	r = verify_with(bad, good_len, &sc, &rk);
	ck_assert_int_eq(r->sigs[0].verdict, CRYPTO_VERDICT_INVALID);
	ck_assert(has_reason(&r->sigs[0], "bad_signature"));
	crypto_verify_report_free(r);
	free(bad);
	/* checked with another algorithm than the key's: verified here (and good) */
	sc.alg = CRYPTO_SIGALG_ECDSA_SHA256;
	r = verify_with(good, good_len, &sc, NULL);
	assert_all_checks(&r->sigs[0], 1);
	crypto_verify_report_free(r);
	sc.alg = CRYPTO_SIGALG_RSA_SHA256;

	/* the digest of these very ranges is the one used: a wrong one mismatches */
	rk.d[0] ^= 1;
	r = verify_with(good, good_len, NULL, &rk);
	ck_assert_int_eq(r->sigs[0].verdict, CRYPTO_VERDICT_INVALID);
	ck_assert(has_reason(&r->sigs[0], "digest_mismatch"));
	crypto_verify_report_free(r);
	/* of other ranges, or in another algorithm: not taken */
	rk.a--;
	r = verify_with(good, good_len, NULL, &rk);
	assert_all_checks(&r->sigs[0], 1);
	crypto_verify_report_free(r);
	rk.a++;
	rk.alg = CRYPTO_DIGEST_SM3;
	r = verify_with(good, good_len, NULL, &rk);
	assert_all_checks(&r->sigs[0], 1);
	crypto_verify_report_free(r);

	X509_free(sc.cert);
	free(tbs);
	free(sig);
	crypto_verify_report_free(full);
}
END_TEST

START_TEST(given_len_spares_the_walk_not_the_check)
{
	size_t nb, nw, nfull = 0, ngot = 0, n2, i;
	unsigned char *base = vc_base(0, &nb), *two;
	int *walked = walk_refs(base, nb, &nw), *bogus, *full_out = NULL, *got = NULL;
	struct crypto_verify_opts o = { .trust = trust };
	struct crypto_verify_report *full = NULL, *r = NULL;
	struct pdf_doc *up = NULL;
	struct sp_errinfo ei;

	sp_errinfo_init(&ei);
	ck_assert_uint_gt(nw, 2);
	/* good is base plus one signed update */
	ck_assert_mem_eq(good, base, nb);
	o.refs_out = &full_out;
	o.nrefs_out = &nfull;
	ck_assert_int_eq(crypto_pdf_verify(good, good_len, &o, &full, &ei), SP_OK);
	ck_assert_ptr_nonnull(full_out);

	ck_assert_int_eq(pdf_doc_open_view(good, nb, &up, &ei), SP_OK);
	o.given_len = nb;
	o.verified_doc = up;
	o.verified_refs = walked;
	o.nverified_refs = nw;
	o.refs_out = &got;
	o.nrefs_out = &ngot;
	ck_assert_int_eq(crypto_pdf_verify(good, good_len, &o, &r, &ei), SP_OK);
	ck_assert_uint_eq(r->nsigs, 1);
	ck_assert_int_eq(r->sigs[0].prior, 0);
	ck_assert_int_eq(r->sigs[0].verdict, full->sigs[0].verdict);
	ck_assert_int_eq(r->verdict, full->verdict);
	assert_all_checks(&r->sigs[0], 1);
	ck_assert_uint_eq(ngot, nfull);
	ck_assert_mem_eq(got, full_out, nfull * sizeof(int));
	crypto_verify_report_free(r);
	free(got);
	got = NULL;

	/* the set given is the one used: a number the upload does not have comes back
	   (before the last 0 that says the upload hides no reference, where it has one) */
	ck_assert_ptr_nonnull(bogus = malloc((nw + 1) * sizeof(int)));
	memcpy(bogus, walked, nw * sizeof(int));
	bogus[nw] = 3999999;
	if (walked[nw - 1] == 0) {
		bogus[nw - 1] = 3999999;
		bogus[nw] = 0;
	}
	o.verified_refs = bogus;
	o.nverified_refs = nw + 1;
	ck_assert_int_eq(crypto_pdf_verify(good, good_len, &o, &r, &ei), SP_OK);
	ck_assert_uint_eq(ngot, nfull + 1);
	/* cppcheck-suppress nullPointer ; crypto_pdf_verify set it through o.refs_out */
	ck_assert_int_eq(got[ngot - 1 - (got[ngot - 1] == 0)], 3999999);
	crypto_verify_report_free(r);
	free(got);
	got = NULL;
	pdf_doc_free(up);
	up = NULL;

	/* a signed upload given so: its signature is verified, not taken as prior */
	two = vc_sign(good, good_len, "ec", 1, 0, &n2);
	ck_assert_int_eq(pdf_doc_open_view(two, good_len, &up, &ei), SP_OK);
	memset(&o, 0, sizeof(o));
	o.trust = trust;
	o.given_len = good_len;
	o.verified_doc = up;
	ck_assert_int_eq(crypto_pdf_verify(two, n2, &o, &r, &ei), SP_OK);
	ck_assert_uint_eq(r->nsigs, 2);
	for (i = 0; i < 2; i++) {
		ck_assert_int_eq(r->sigs[i].prior, 0);
		assert_all_checks(&r->sigs[i], 1);
	}
	crypto_verify_report_free(r);
	pdf_doc_free(up);
	crypto_verify_report_free(full);
	free(full_out);
	free(bogus);
	free(walked);
	free(two);
	free(base);
}
END_TEST

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
verify_handed_add(TCase *tc)
{
	tcase_add_test(tc, verified_len_checks_what_is_new);
	tcase_add_test(tc, hashed_prefix_handed_on);
	tcase_add_test(tc, revisions_handed_on);
	tcase_add_test(tc, update_array_references_count);
	tcase_add_test(tc, checked_signature_and_digest_handed_on);
	tcase_add_test(tc, given_len_spares_the_walk_not_the_check);
	tcase_add_test(tc, earlier_signatures_handed_forward);
}
