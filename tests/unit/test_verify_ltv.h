/*
 * test_verify_ltv.h: the fixture and helpers of test_verify_ltv.c (what
 * long-term validation reads and writes) and test_verify_ltv_reuse.c (what
 * a completion hands on reads as what it would compute): the corpus PKI and
 * base document, CRLs of the root CA, DSS and document timestamp updates,
 * and the independent judges. Header-only (static), as test_verify_corpus.h,
 * because each test is its own executable.
 */
#ifndef TEST_VERIFY_LTV_H
#define TEST_VERIFY_LTV_H

#include <check.h>

#include "support_suite.h"

#include <openssl/ocsp.h>
#include <openssl/x509v3.h>

#include "test_verify_corpus.h"
#include "verify_int.h"

#define LTV_FN static __attribute__((unused))

static struct crypto_trust *trust;
/* the root and a current CRL of it: what gathers a DSS that answers (crypto_ltv_add_dss) */
static struct crypto_trust *gather;
static unsigned char *base;
static size_t base_len;

LTV_FN void
setup(void)
{
	ck_assert_ptr_nonnull(trust = vc_pki_trust());
	ck_assert_ptr_nonnull(gather = vc_crl_trust());
	base = vc_base(0, &base_len);
}

LTV_FN void
teardown(void)
{
	crypto_trust_free(trust);
	crypto_trust_free(gather);
	free(base);
	vc_pki_free();
}

LTV_FN struct crypto_verify_report *
verify_at(const unsigned char *d, size_t n, time_t at)
{
	struct crypto_verify_opts o = { .trust = trust, .at = at };
	struct crypto_verify_report *r = NULL;
	struct sp_errinfo ei;

	sp_errinfo_init(&ei);
	ck_assert_msg(crypto_pdf_verify(d, n, &o, &r, &ei) == SP_OK, "%s", ei.msg);
	return r;
}

/* vc_crl_at, which must be made. */
LTV_FN unsigned char *
make_crl_at(long serial, time_t when, time_t last, time_t next, size_t *len)
{
	unsigned char *out = vc_crl_at(serial, when, last, next, len);

	ck_assert_ptr_nonnull(out);
	return out;
}

/* As make_crl_at, issued a minute ago and current for a day. */
LTV_FN unsigned char *
make_crl(long serial, time_t when, size_t *len)
{
	return make_crl_at(serial, when, time(NULL) - 60, time(NULL) + 86400, len);
}

LTV_FN void
cert_der(const char *who, struct pdf_blob *b)
{
	X509 *x = vc_cert(who);
	unsigned char *der = NULL;
	int n = i2d_X509(x, &der);

	ck_assert_int_gt(n, 0);
	b->data = malloc((size_t)n);
	memcpy(b->data, der, (size_t)n);
	b->len = (size_t)n;
	OPENSSL_free(der);
	X509_free(x);
}

/* The /VRI key of signature i of d. */
LTV_FN void
vri_of(const unsigned char *d, size_t n, size_t i, char key[41])
{
	struct pdf_doc *doc = NULL;
	struct pdf_sig_field *f = NULL;
	size_t nf = 0;
	struct sp_errinfo ei;

	sp_errinfo_init(&ei);
	ck_assert(pdf_doc_open(d, n, &doc, &ei) == SP_OK);
	ck_assert(pdf_sig_fields_list(doc, &f, &nf, &ei) == SP_OK && nf > i);
	ck_assert(pdf_vri_key(f[i].contents, f[i].contents_len, key) == SP_OK);
	pdf_sig_fields_free(f, nf);
	pdf_doc_free(doc);
}

/* with_dss_of's si for a DSS without /VRI entries (as EU DSS writes one) */
#define NO_VRI ((size_t)-1)

/*
 * d plus a DSS update: the root and the signer's certificate, the OCSP
 * responses and CRLs given, a /VRI entry for signature si (none: NO_VRI).
 */
LTV_FN unsigned char *
with_dss_items(const unsigned char *d, size_t n, size_t si, const char *who,
	       const struct pdf_blob *ocsps, size_t nocsps, const struct pdf_blob *crls,
	       size_t ncrls, size_t *outn)
{
	struct pdf_blob certs[3];
	char vri[1][41];
	struct pdf_dss_add add;
	struct pdf_dss old;
	struct pdf_doc *doc = NULL;
	struct sp_errinfo ei;
	unsigned char *out = NULL;

	cert_der("ca", &certs[0]);
	cert_der(who, &certs[1]);
	cert_der("ca", &certs[2]); /* twice in one update: stored once */
	memset(&add, 0, sizeof(add));
	if (si != NO_VRI) {
		vri_of(d, n, si, vri[0]);
		add.vri = (const char(*)[41])vri;
		add.nvri = 1;
	}
	add.certs = certs;
	add.ncerts = 3;
	add.ocsps = ocsps;
	add.nocsps = nocsps;
	add.crls = crls;
	add.ncrls = ncrls;
	sp_errinfo_init(&ei);
	ck_assert(pdf_doc_open(d, n, &doc, &ei) == SP_OK);
	ck_assert(pdf_dss_read(doc, &old, &ei) == SP_OK);
	ck_assert_msg(pdf_dss_append(doc, &old, &add, &out, outn, &ei) == SP_OK, "%s", ei.msg);
	pdf_dss_cleanup(&old);
	pdf_doc_free(doc);
	free(certs[0].data);
	free(certs[1].data);
	free(certs[2].data);
	return out;
}

/* with_dss_items with one CRL (none: NULL) and no OCSP response. */
LTV_FN unsigned char *
with_dss_of(const unsigned char *d, size_t n, size_t si, const char *who, struct pdf_blob *crl,
	    size_t *outn)
{
	return with_dss_items(d, n, si, who, NULL, 0, crl, crl ? 1 : 0, outn);
}

LTV_FN unsigned char *
with_dss(const unsigned char *d, size_t n, const char *who, struct pdf_blob *crl, size_t *outn)
{
	return with_dss_of(d, n, 0, who, crl, outn);
}

/* A document timestamp over d, written by sealpact's writer, from the corpus TSA. */
LTV_FN unsigned char *
with_doc_ts(const unsigned char *d, size_t n, size_t *outn)
{
	struct pdf_sig_params par = { .signing_time = time(NULL),
				      .contents_max = 8192,
				      .doc_timestamp = 1 };
	struct pdf_sig_prepared p;
	struct pdf_doc *doc = NULL;
	struct sp_errinfo ei;
	uint8_t *q = NULL, *resp = NULL, *tok = NULL;
	size_t qlen = 0, rlen = 0, toklen = 0;
	unsigned char *out;

	sp_errinfo_init(&ei);
	ck_assert(pdf_doc_open(d, n, &doc, &ei) == SP_OK);
	ck_assert_msg(pdf_sig_prepare(doc, &par, NULL, 0, NULL, 0, &p, &ei) == SP_OK, "%s", ei.msg);
	ck_assert(crypto_ts_query_new_digest(p.sha256, NULL, &q, &qlen, &ei) == SP_OK);
	ck_assert(crypto_tsa_respond(vc_tsa, q, qlen, 7, 0, &resp, &rlen, &ei) == SP_OK);
	ck_assert(crypto_ts_response_check(resp, rlen, q, qlen, NULL, &tok, &toklen, NULL, &ei) ==
		  SP_OK);
	ck_assert(pdf_sig_fill(p.data, p.len, p.contents_off, p.contents_len, tok, toklen, &ei) ==
		  SP_OK);
	ck_assert(memmem(p.data + n, p.len - n, "/Type /DocTimeStamp", 19) != NULL);
	ck_assert(memmem(p.data + n, p.len - n, "/ETSI.RFC3161", 13) != NULL);
	ck_assert(memmem(p.data + n, p.len - n, "/M (", 4) == NULL);
	out = p.data;
	*outn = p.len;
	p.data = NULL; /* transferred */
	pdf_sig_prepared_cleanup(&p);
	pdf_doc_free(doc);
	free(q);
	free(resp);
	free(tok);
	return out;
}

LTV_FN void
judges_agree(const unsigned char *d, size_t n, const char *name)
{
	write_file(vc_path(name), d, n);
	ck_assert_msg(run("qpdf --check %s >/dev/null 2>&1", vc_path(name)) == 0, "%s: qpdf", name);
	ck_assert_msg(run("cd %s && pdfsig -nssdir sql:nss %s 2>&1 | grep -q 'Signature is Valid'",
			  vc_dir, name) == 0,
		      "%s: pdfsig", name);
}

/* verify_at with the verified part's /VRI keys given (verified_vri) and the report's kept
   (vri_out). */
LTV_FN struct crypto_verify_report *
verify_vri(const unsigned char *d, size_t n, size_t verified, int tail, const uint8_t *vri,
	   size_t vlen, time_t at, uint8_t **out, size_t *outlen)
{
	struct crypto_verify_opts o = { .trust = trust,
					.at = at,
					.verified_len = verified,
					.verified_tail = tail,
					.verified_vri = vri,
					.verified_vri_len = vlen,
					.vri_out = out,
					.vri_out_len = outlen };
	struct crypto_verify_report *r = NULL;
	struct sp_errinfo ei;

	sp_errinfo_init(&ei);
	ck_assert_msg(crypto_pdf_verify(d, n, &o, &r, &ei) == SP_OK, "%s", ei.msg);
	return r;
}

/* a and b say the same of every signature */
LTV_FN void
same_report(const struct crypto_verify_report *a, const struct crypto_verify_report *b)
{
	size_t i;

	ck_assert_int_eq(a->verdict, b->verdict);
	ck_assert_uint_eq(a->nsigs, b->nsigs);
	for (i = 0; i < a->nsigs; i++) {
		ck_assert_int_eq(a->sigs[i].verdict, b->sigs[i].verdict);
		ck_assert_int_eq(a->sigs[i].prior, b->sigs[i].prior);
		ck_assert_int_eq(a->sigs[i].rev_dss, b->sigs[i].rev_dss);
		ck_assert_str_eq(a->sigs[i].level, b->sigs[i].level);
	}
}

#endif
