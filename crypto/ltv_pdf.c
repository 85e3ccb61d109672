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

/* A token of the built-in TSA with its chain is ~3 KiB; 8 KiB leaves room. */
#define DOC_TS_CONTENTS 8192

int
crypto_ltv_add_dss(struct crypto_trust *t, X509_STORE *ts_store,
		   const struct crypto_evidence *extra, const uint8_t *data, size_t len,
		   uint8_t **out, size_t *outlen, struct sp_errinfo *ei)
{
	struct pdf_doc *doc = NULL;
	struct pdf_sig_field *sigs = NULL;
	struct pdf_dss dss;
	struct crypto_evidence ev;
	struct pdf_dss_add add;
	char(*vri)[41] = NULL;
	size_t nsigs = 0, nvri = 0, i, k;
	int r = SP_ERR_INTERNAL;

	*out = NULL;
	*outlen = 0;
	memset(&dss, 0, sizeof(dss));
	memset(&ev, 0, sizeof(ev));
	memset(&add, 0, sizeof(add));
	if ((r = pdf_doc_open(data, len, &doc, ei)) != SP_OK ||
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
		if ((r = crypto_evidence_collect(t, ts_store, s->contents, s->contents_len,
						 strcmp(s->type, "/DocTimeStamp") == 0, &ev, ei)) !=
		    SP_OK) {
			sp_errinfo_prefix(ei, "revocation evidence");
			goto out;
		}
		nvri++;
	}
	if (nvri == 0) {
		r = SP_OK; /* nothing new to prove: no update */
		goto out;
	}
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
	r = pdf_dss_append(doc, &add, out, outlen, ei);
out:
	free(vri);
	crypto_evidence_cleanup(&ev);
	pdf_dss_cleanup(&dss);
	pdf_sig_fields_free(sigs, nsigs);
	pdf_doc_free(doc);
	return r;
}

int
crypto_ltv_doc_timestamp(const uint8_t *data, size_t len, crypto_ts_digest_fn ts, void *arg,
			 uint8_t **out, size_t *outlen, time_t *tsa_until, time_t *gen_time,
			 struct sp_errinfo *ei)
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
	par.contents_max = DOC_TS_CONTENTS;
	par.doc_timestamp = 1;
	if ((r = pdf_doc_open(data, len, &doc, ei)) != SP_OK ||
	    (r = pdf_sig_prepare(doc, &par, NULL, 0, NULL, 0, &prep, ei)) != SP_OK ||
	    (r = ts(arg, prep.sha256, &tok, &toklen, gen_time, ei)) != SP_OK)
		goto out;
	if ((r = pdf_sig_fill(prep.data, prep.len, prep.contents_off, prep.contents_len, tok,
			      toklen, ei)) != SP_OK ||
	    (r = crypto_ts_token_tsa_expiry(tok, toklen, tsa_until, ei)) != SP_OK)
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
