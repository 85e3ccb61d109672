/*
 * ltv.c: PAdES B-LT and B-LTA for the server (DESIGN §5, ETSI EN 319 142-1
 * §5.4-5.5). Given the bytes of a signed contract, append the revocation
 * evidence of each signature not yet covered (a new /DSS version with a
 * /VRI entry per signature) and, for an archive, a document timestamp over
 * the whole file. Used by signing completion (after the signature is
 * verified) and by the archive-timestamp renewal job; both store the
 * result as the contract's next bytes. Pure apart from the TSA and OCSP
 * calls it makes through the provider and the trust store: worker threads.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto.h"
#include "pdf.h"
#include "state.h"

/* The document timestamp's /Contents: a token of the built-in TSA is ~3 KiB. */
#define DOC_TS_CONTENTS 8192

int
ltv_level_code(const char *level)
{
	if (level && strcmp(level, "B-LTA") == 0)
		return 2;
	if (level && strcmp(level, "B-LT") == 0)
		return 1;
	return 0;
}

void
ltv_result_cleanup(struct ltv_result *r)
{
	if (!r)
		return;
	free(r->data);
	memset(r, 0, sizeof(*r));
}

/* The DSS update: evidence for every signature the DSS has no /VRI entry for. */
static int
add_dss(struct crypto_trust *t, const struct tsa_provider *tsa, const uint8_t *data, size_t len,
	uint8_t **out, size_t *outlen, struct sp_errinfo *ei)
{
	struct pdf_doc *doc = NULL;
	struct pdf_sig_field *sigs = NULL;
	struct pdf_dss dss;
	struct crypto_evidence ev;
	struct pdf_dss_add add;
	X509_STORE *ts_store = NULL;
	char(*vri)[41] = NULL;
	size_t nsigs = 0, nvri = 0, i;
	int r = SP_ERR_INTERNAL;

	*out = NULL;
	*outlen = 0;
	memset(&dss, 0, sizeof(dss));
	memset(&ev, 0, sizeof(ev));
	memset(&add, 0, sizeof(add));
	if (tsa_provider_trust(tsa, &ts_store, ei) != SP_OK)
		ts_store = NULL; /* the TSA chain then runs through the signer roots */
	sp_errinfo_init(ei);
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
		if ((r = pdf_vri_key(s->contents, s->contents_len, vri[nvri])) != SP_OK) {
			r = sp_err(ei, r, "cannot hash a signature's /Contents");
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

/* The document timestamp update over data (the DSS already added). */
static int
add_doc_timestamp(const struct tsa_provider *tsa, const uint8_t *data, size_t len, uint64_t serial,
		  struct ltv_result *res, struct sp_errinfo *ei)
{
	struct pdf_doc *doc = NULL;
	struct pdf_sig_params par;
	struct pdf_sig_prepared prep;
	uint8_t *tok = NULL;
	size_t toklen = 0;
	time_t gen = 0;
	int r = SP_ERR_INTERNAL;

	memset(&prep, 0, sizeof(prep));
	memset(&par, 0, sizeof(par));
	par.signing_time = time(NULL);
	par.contents_max = DOC_TS_CONTENTS;
	par.doc_timestamp = 1;
	if ((r = pdf_doc_open(data, len, &doc, ei)) != SP_OK ||
	    (r = pdf_sig_prepare(doc, &par, NULL, 0, NULL, 0, &prep, ei)) != SP_OK)
		goto out;
	if ((r = tsa_provider_timestamp_digest(tsa, prep.sha256, serial, &tok, &toklen, &gen,
					       ei)) != SP_OK)
		goto out;
	if ((r = pdf_sig_fill(prep.data, prep.len, prep.contents_off, prep.contents_len, tok,
			      toklen, ei)) != SP_OK ||
	    (r = crypto_ts_token_tsa_expiry(tok, toklen, &res->archive_until, ei)) != SP_OK)
		goto out;
	res->archive_time = gen;
	res->data = prep.data;
	res->len = prep.len;
	prep.data = NULL; /* transferred */
	r = SP_OK;
out:
	free(tok);
	pdf_sig_prepared_cleanup(&prep);
	pdf_doc_free(doc);
	return r;
}

int
ltv_extend(struct crypto_trust *t, const struct tsa_provider *tsa, const uint8_t *data, size_t len,
	   int archive, uint64_t serial, struct ltv_result *out, struct sp_errinfo *ei)
{
	uint8_t *mid = NULL;
	size_t midlen = 0;
	int r = SP_ERR_INTERNAL;

	memset(out, 0, sizeof(*out));
	if ((r = add_dss(t, tsa, data, len, &mid, &midlen, ei)) != SP_OK)
		goto out;
	if (archive) {
		r = add_doc_timestamp(tsa, mid ? mid : data, mid ? midlen : len, serial, out, ei);
		goto out;
	}
	if (!mid) {
		if (!(mid = malloc(len))) {
			r = sp_err(ei, SP_ERR_NOMEM, "out of memory");
			goto out;
		}
		memcpy(mid, data, len);
		midlen = len;
	}
	out->data = mid;
	out->len = midlen;
	mid = NULL; /* transferred */
	r = SP_OK;
out:
	free(mid);
	if (r != SP_OK)
		ltv_result_cleanup(out);
	return r;
}
