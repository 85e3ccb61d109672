/*
 * test_verify_handed_sig.c: verify once, the signature: a completion hands
 * the next verification the signature value it checked and the digest it
 * matched (crypto_sig_checked), and an upload's first signature the upload
 * as opened with the references its normalization found (given_len). Each
 * spares the work and never the check: other bytes under the same value
 * are checked again, and the report is the one a full verification gives.
 * A part of test_verify (one executable, one corpus PKI): test_verify.h.
 */
#define TEST_PART
#include "test_verify.h"

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
/*
 * An upload's first signature (completion): given_len hands the engine the
 * upload as opened and the numbers it refers to (as its normalization found
 * them), so it neither opens nor walks it again; nothing in it counts as
 * verified (its own signatures are checked in full), and the report and
 * the set handed on are the ones of a verification that walked it.
 */
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

void
verify_handed_sig_add(TCase *tc)
{
	tcase_add_test(tc, checked_signature_and_digest_handed_on);
	tcase_add_test(tc, given_len_spares_the_walk_not_the_check);
}
