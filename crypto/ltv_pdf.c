/*
 * ltv_pdf.c: the two incremental updates of long-term validation, shared by
 * the server (completion, archive renewal) and the offline client: a /DSS
 * with the evidence of every signature not yet covered by a /VRI entry
 * (PAdES B-LT), and a document timestamp over the whole file (B-LTA).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto_int.h"

/*
 * The document timestamp's /Contents is sized from the timestamp tokens the
 * file already holds (a token of the same TSA has about the same size: its
 * certificates and signature do not depend on the digest), with room to
 * spare; without any, 8 KiB, which holds a token with a long chain.
 */
#define DOC_TS_CONTENTS_DEFAULT 8192
#define DOC_TS_CONTENTS_MIN 2048
#define DOC_TS_MARGIN 1024

#include <openssl/cms.h>
#include <openssl/err.h>

/* The DER length of the TimeStampToken of one /Contents (CMS or token), 0 if none. */
static size_t
token_len(const struct pdf_sig_field *s)
{
	const unsigned char *p = s->contents;
	CMS_ContentInfo *cms = NULL;
	CMS_SignerInfo *si;
	ASN1_TYPE *at;
	long n = 0;
	int tag, cls, idx;
	size_t out = 0, used = 0;

	if (strcmp(s->type, "/DocTimeStamp") == 0) {
		if (ASN1_get_object(&p, &n, &tag, &cls, (long)s->contents_len) & 0x80)
			goto out;
		out = (size_t)(p - s->contents) + (size_t)n;
		goto out;
	}
	/* only the unsigned attributes are read: the certificates are not decoded */
	if (!(cms = cert_cache_cms_d2i_bare(s->contents, s->contents_len, &used)) ||
	    sk_CMS_SignerInfo_num(CMS_get0_SignerInfos(cms)) != 1)
		goto out;
	si = sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(cms), 0);
	if ((idx = CMS_unsigned_get_attr_by_NID(si, NID_id_smime_aa_timeStampToken, -1)) >= 0 &&
	    (at = X509_ATTRIBUTE_get0_type(CMS_unsigned_get_attr(si, idx), 0)) &&
	    at->type == V_ASN1_SEQUENCE)
		out = (size_t)at->value.sequence->length;
out:
	ERR_clear_error();
	CMS_ContentInfo_free(cms);
	return out > s->contents_len ? 0 : out;
}

static size_t
doc_ts_contents(struct pdf_doc *doc)
{
	struct pdf_sig_field *sigs = NULL;
	size_t n = 0, i, m = 0, k;
	struct sp_errinfo ei;

	sp_errinfo_init(&ei);
	if (pdf_sig_fields_list(doc, &sigs, &n, &ei) != SP_OK)
		return DOC_TS_CONTENTS_DEFAULT;
	for (i = 0; i < n; i++)
		if (sigs[i].contents_state == PDF_SIG_KEY_OK && (k = token_len(&sigs[i])) > m)
			m = k;
	pdf_sig_fields_free(sigs, n);
	if (m == 0)
		return DOC_TS_CONTENTS_DEFAULT;
	m += m / 4 + DOC_TS_MARGIN;
	return m < DOC_TS_CONTENTS_MIN    ? DOC_TS_CONTENTS_MIN
	       : m > PDF_SIG_CONTENTS_MAX ? PDF_SIG_CONTENTS_MAX
					  : m;
}

/* data opened for an update: whole, or as a stored document (CRYPTO_LTV_STORED). */
static int
ltv_open(const uint8_t *data, size_t len, unsigned flags, struct pdf_doc **doc,
	 struct sp_errinfo *ei)
{
	return (flags & CRYPTO_LTV_STORED) ? pdf_doc_open_stored(data, len, doc, ei)
					   : pdf_doc_open(data, len, doc, ei);
}

int
crypto_ltv_add_dss(struct crypto_trust *t, X509_STORE *ts_store,
		   const struct crypto_evidence *extra, const uint8_t *data, size_t len,
		   unsigned flags, uint8_t **out, size_t *outlen, struct sp_errinfo *ei)
{
	struct pdf_doc *doc = NULL;
	struct pdf_sig_field *sigs = NULL;
	struct pdf_dss dss;
	struct crypto_evidence ev;
	struct pdf_dss_add add;
	struct sp_errinfo ce;
	char(*vri)[41] = NULL;
	size_t nsigs = 0, nvri = 0, i, k;
	int r = SP_ERR_INTERNAL;

	*out = NULL;
	*outlen = 0;
	memset(&dss, 0, sizeof(dss));
	memset(&ev, 0, sizeof(ev));
	memset(&add, 0, sizeof(add));
	if ((r = ltv_open(data, len, flags, &doc, ei)) != SP_OK ||
	    (r = pdf_sig_fields_list(doc, &sigs, &nsigs, ei)) != SP_OK ||
	    (r = pdf_dss_read(doc, &dss, ei)) != SP_OK)
		goto out;
	if (nsigs > 0 && !(vri = calloc(nsigs, sizeof(*vri)))) {
		r = sp_err(ei, SP_ERR_NOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < nsigs; i++) {
		const struct pdf_sig_field *s = &sigs[i];
		if (s->contents_state != PDF_SIG_KEY_OK || !s->contents_len)
			continue;
		if (pdf_vri_key(s->contents, s->contents_len, vri[nvri]) != SP_OK) {
			r = sp_err(ei, SP_ERR_CRYPTO, "cannot hash a signature's /Contents");
			goto out;
		}
		if (pdf_dss_has_vri(&dss, vri[nvri]))
			continue;
		/* a signature this store cannot read (another tool's, malformed) gets no
		   /VRI entry; the others still get theirs */
		sp_errinfo_init(&ce);
		r = crypto_evidence_collect(t, ts_store, s->contents, s->contents_len,
					    strcmp(s->type, "/DocTimeStamp") == 0, &ev, &ce);
		if (r == SP_ERR_NOMEM) {
			*ei = ce;
			goto out;
		}
		if (r != SP_OK)
			continue;
		nvri++;
	}
	if (nvri == 0) {
		r = SP_OK; /* nothing new to prove: no update */
		goto out;
	}
	r = SP_OK;
	for (k = 0; extra && k < 3; k++)
		for (i = 0; i < extra->n[k]; i++)
			if ((r = crypto_evidence_add(&ev, (int)k, extra->item[k][i].data,
						     extra->item[k][i].len, ei)) != SP_OK)
				goto out;
	add.certs = ev.item[PDF_DSS_CERTS];
	add.ncerts = ev.n[PDF_DSS_CERTS];
	add.ocsps = ev.item[PDF_DSS_OCSPS];
	add.nocsps = ev.n[PDF_DSS_OCSPS];
	add.crls = ev.item[PDF_DSS_CRLS];
	add.ncrls = ev.n[PDF_DSS_CRLS];
	add.vri = (const char(*)[41])vri;
	add.nvri = nvri;
	if ((r = pdf_dss_append(doc, &add, out, outlen, ei)) == SP_OK && pdf_doc_damaged(doc)) {
		free(*out);
		*out = NULL;
		*outlen = 0;
		r = sp_err_reason(ei, SP_ERR_PDF, "pdf_damaged",
				  "the signed PDF is damaged (qpdf had to repair it)");
	}
out:
	free(vri);
	crypto_evidence_cleanup(&ev);
	pdf_dss_cleanup(&dss);
	pdf_sig_fields_free(sigs, nsigs);
	pdf_doc_free(doc);
	return r;
}

int
crypto_ltv_doc_timestamp(const struct crypto_trust *t, const uint8_t *data, size_t len,
			 unsigned flags, crypto_ts_digest_fn ts, void *arg, uint8_t **out,
			 size_t *outlen, time_t *tsa_until, time_t *gen_time, struct sp_errinfo *ei)
{
	struct pdf_doc *doc = NULL;
	struct pdf_sig_params par;
	struct pdf_sig_prepared prep;
	uint8_t *tok = NULL;
	size_t toklen = 0;
	int r = SP_ERR_INTERNAL;

	*out = NULL;
	*outlen = 0;
	*tsa_until = *gen_time = 0;
	memset(&prep, 0, sizeof(prep));
	memset(&par, 0, sizeof(par));
	par.signing_time = time(NULL);
	par.doc_timestamp = 1;
	if ((r = ltv_open(data, len, flags, &doc, ei)) != SP_OK)
		goto out;
	par.contents_max = doc_ts_contents(doc);
	if ((r = pdf_sig_prepare(doc, &par, NULL, 0, NULL, 0, &prep, ei)) != SP_OK ||
	    (r = ts(arg, prep.sha256, &tok, &toklen, gen_time, ei)) != SP_OK)
		goto out;
	if ((r = pdf_sig_fill(prep.data, prep.len, prep.contents_off, prep.contents_len, tok,
			      toklen, ei)) != SP_OK ||
	    (r = crypto_ts_token_tsa_expiry(t, tok, toklen, tsa_until, ei)) != SP_OK)
		goto out;
	*out = prep.data;
	*outlen = prep.len;
	prep.data = NULL; /* transferred */
	r = SP_OK;
out:
	if (r != SP_OK)
		*tsa_until = *gen_time = 0;
	free(tok);
	pdf_sig_prepared_cleanup(&prep);
	pdf_doc_free(doc);
	return r;
}
