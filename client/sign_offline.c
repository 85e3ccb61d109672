/*
 * sign_offline.c: `sealpact sign --offline IN.pdf -o OUT.pdf`: the same pdf/
 * and crypto/ code as the server, with no server: prepare the incremental
 * update, sign the CMS signed attributes on the token (or a PEM key), get a
 * timestamp (an external TSA with --tsa URL, or a development built-in TSA
 * with --tsa-cert/--tsa-key; none otherwise, and the output says so),
 * assemble, fill and write.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "crypto.h"
#include "client.h"
#include "sign_int.h"

#define SEAL_MAX (4u * 1024 * 1024)
#define TSA_TIMEOUT_MS 15000

static int
timestamp(const struct sign_opts *o, const uint8_t *sig, size_t siglen, const uint8_t *sha256,
	  uint8_t **tok, size_t *toklen, time_t *gen, struct sp_errinfo *ei)
{
	struct crypto_tsa *tsa = NULL;
	X509_STORE *trust = NULL;
	uint8_t *q = NULL, *resp = NULL;
	size_t qlen = 0, rlen = 0;
	uint64_t serial;
	int r = SP_ERR_INTERNAL;

	if (o->tsa_trust != NULL && (r = crypto_ts_trust_load(o->tsa_trust, &trust, ei)) != SP_OK)
		goto out;
	if ((r = sha256 ? crypto_ts_query_new_digest(sha256, NULL, &q, &qlen, ei)
			: crypto_ts_query_new(sig, siglen, NULL, &q, &qlen, ei)) != SP_OK)
		goto out;
	if (o->tsa_url != NULL) {
		r = crypto_ts_fetch(o->tsa_url, q, qlen, TSA_TIMEOUT_MS, NULL, NULL, o->cafile,
				    &resp, &rlen, ei);
	} else {
		if ((r = crypto_tsa_new(o->tsa_cert, o->tsa_key, o->chain_pem,
					"1.3.6.1.4.1.99999.1.1", 1000, &tsa, ei)) != SP_OK ||
		    (r = crypto_tsa_serial_make(&serial, ei)) != SP_OK)
			goto out;
		r = crypto_tsa_respond(tsa, q, qlen, serial, 0, &resp, &rlen, ei);
	}
	if (r != SP_OK)
		goto out;
	r = crypto_ts_response_check(resp, rlen, q, qlen, trust, tok, toklen, gen, ei);
out:
	crypto_tsa_free(tsa);
	X509_STORE_free(trust);
	free(q);
	free(resp);
	return r;
}

/* The document timestamp's TSA: the same as the signature's. */
static int
doc_ts(void *arg, const uint8_t sha256[32], uint8_t **tok, size_t *toklen, time_t *gen,
       struct sp_errinfo *ei)
{
	return timestamp(arg, NULL, 0, sha256, tok, toklen, gen, ei);
}

/*
 * B-LT and B-LTA offline: the DSS with the evidence fetched now (OCSP from
 * the certificates' AIA, public addresses only unless --ocsp-allow; the
 * --crl files where OCSP gives none, else the CRL distribution point's,
 * under the same address policy; the --ocsp files as they are), then for
 * B-LTA a document timestamp. *data is replaced by the longer file.
 */
static int
extend(const struct sign_opts *o, unsigned char **data, size_t *len, struct sp_errinfo *ei)
{
	struct crypto_revocation_opts ro;
	struct crypto_trust *t = NULL;
	struct crypto_evidence extra;
	X509_STORE *ts_store = NULL;
	const char *inter[1];
	uint8_t *mid = NULL, *fin = NULL, *f = NULL;
	size_t midlen = 0, finlen = 0, flen = 0, i;
	time_t until = 0, gen = 0;
	int r = SP_ERR_INTERNAL;

	memset(&extra, 0, sizeof(extra));
	memset(&ro, 0, sizeof(ro));
	ro.ocsp = 1;
	ro.timeout_ms = 10000;
	inter[0] = o->chain_pem;
	if ((r = crypto_trust_new(o->roots, o->nroots, inter, o->chain_pem ? 1 : 0, o->crls,
				  o->ncrls, &ro, &t, ei)) != SP_OK ||
	    (r = crypto_trust_set_url_policy(t, 1, o->ocsp_allow, ei)) != SP_OK)
		goto out;
	crypto_trust_set_fetch_crls(t, 1);
	if (o->tsa_trust && (r = crypto_ts_trust_load(o->tsa_trust, &ts_store, ei)) != SP_OK)
		goto out;
	for (i = 0; i < o->nocsps; i++) {
		if ((r = sp_file_read(o->ocsps[i], 64 * 1024, &f, &flen, ei)) != SP_OK ||
		    (r = crypto_evidence_add(&extra, PDF_DSS_OCSPS, f, flen, ei)) != SP_OK)
			goto out;
		free(f);
		f = NULL;
	}
	if ((r = crypto_ltv_add_dss(t, ts_store, &extra, *data, *len, 0, NULL, &mid, &midlen,
				    ei)) != SP_OK)
		goto out;
	if (o->level >= 3 &&
	    (r = crypto_ltv_doc_timestamp(t, mid ? mid : *data, mid ? midlen : *len, 0, NULL,
					  doc_ts, (void *)o, &fin, &finlen, &until, &gen, ei)) !=
		    SP_OK) {
		sp_errinfo_prefix(ei, "document timestamp");
		goto out;
	}
	if (fin) {
		free(*data);
		*data = fin;
		*len = finlen;
		fin = NULL; /* transferred */
	} else if (mid) {
		free(*data);
		*data = mid;
		*len = midlen;
		mid = NULL; /* transferred */
	}
	r = SP_OK;
out:
	free(f);
	free(mid);
	free(fin);
	crypto_evidence_cleanup(&extra);
	X509_STORE_free(ts_store);
	crypto_trust_free(t);
	return r;
}

/* The CA certificates of a PEM file (at most 16), to embed beside the signer. */
static int
chain_load(const char *path, STACK_OF(X509) * *out, struct sp_errinfo *ei)
{
	X509 *x;
	FILE *f;

	*out = NULL;
	if (path == NULL)
		return SP_OK;
	if ((f = fopen(path, "r")) == NULL)
		return sp_err(ei, SP_ERR_IO, "cannot open %s: %s", path, strerror(errno));
	if ((*out = sk_X509_new_null()) == NULL) {
		fclose(f);
		return sp_err(ei, SP_ERR_NOMEM, "out of memory");
	}
	while (sk_X509_num(*out) < 16 && (x = PEM_read_X509(f, NULL, NULL, NULL)) != NULL)
		if (sk_X509_push(*out, x) <= 0) {
			X509_free(x);
			break;
		}
	fclose(f);
	ERR_clear_error(); /* the end of the file */
	if (sk_X509_num(*out) == 0)
		return sp_err(ei, SP_ERR_INVALID, "%s holds no PEM certificate", path);
	return SP_OK;
}

/*
 * The /Contents placeholder sized from this signer's certificate, --chain, the
 * algorithm and the timestamp, as the server sizes it (not a fixed 16 KiB):
 * the token comes after the placeholder is fixed, so a TSA's is bounded by
 * CRYPTO_TS_TOKEN_MAX_UNKNOWN.
 */
static int
contents_max(const struct sign_opts *o, X509 *cert, enum crypto_sigalg alg, STACK_OF(X509) * chain,
	     size_t *out, struct sp_errinfo *ei)
{
	return crypto_cms_contents_max(cert, alg, chain,
				       o->tsa_url != NULL || o->tsa_cert != NULL
					       ? CRYPTO_TS_TOKEN_MAX_UNKNOWN
					       : 0,
				       out, ei);
}

/*
 * What a failed step of an offline signing was doing, and so its exit status
 * (README, "sealpact sign --offline: exit status"): one status for each kind
 * of cause, so that a script can tell a file it must fix from a network it
 * may retry.
 */
enum step {
	STEP_INPUT,    /* the files named: certificate, chain */
	STEP_DOCUMENT, /* the PDF and the seal picture, as the placements ask */
	STEP_OPTION,   /* an option's value only known to be bad once used */
	STEP_SIGNER,   /* the PIN, the token or the key, their signature */
	STEP_NETWORK,  /* the timestamp authority, OCSP and CRL fetches */
	STEP_OUTPUT    /* the signed file */
};

static int
step_exit(enum step step, int code)
{
	if (code == SP_ERR_NOMEM || code == SP_ERR_INTERNAL)
		return EX_SOFTWARE;
	if (step == STEP_OUTPUT)
		return EX_CANTCREAT;
	if (code == SP_ERR_IO)
		return EX_NOINPUT; /* a file the command line names cannot be read */
	if (code == SP_ERR_UNAVAILABLE || code == SP_ERR_TIMEOUT)
		return EX_UNAVAILABLE;
	switch (step) {
	case STEP_INPUT:
	case STEP_DOCUMENT:
		return EX_DATAERR;
	case STEP_OPTION:
		return EX_USAGE;
	default:
		return 1;
	}
}

int
sign_run_offline(struct sign_opts *o, const char *in, const char *outp)
{
	struct client_signer *signer = NULL;
	struct pdf_doc *doc = NULL;
	struct pdf_sig_prepared prep;
	struct pdf_sig_params params;
	struct crypto_cert_info ci;
	struct sp_errinfo cei;
	struct pdf_seal seal;
	struct pdf_widget_rect *rects = NULL;
	struct sp_errinfo ei;
	enum crypto_sigalg alg;
	unsigned char *pdf = NULL, *png = NULL, *der = NULL;
	const unsigned char *p;
	uint8_t *attrs = NULL, *sig = NULL, *tok = NULL, *cms = NULL;
	size_t pdflen = 0, pnglen = 0, derlen = 0, alen = 0, siglen = 0, toklen = 0, cmslen = 0;
	size_t nrects = 0, i;
	const char *algname, *zone;
	char pin[SIGN_PIN_MAX], when[32], msgc[512], inc[PATH_MAX], outc[PATH_MAX];
	struct tm tm;
	X509 *cert = NULL;
	STACK_OF(X509) *chain = NULL;
	time_t gen = 0;
	int needs_seal = 0, st = 1;
	enum step step = STEP_INPUT;
	json_t *rj = NULL;

	memset(&prep, 0, sizeof(prep));
	memset(&seal, 0, sizeof(seal));
	memset(pin, 0, sizeof(pin));
	sp_errinfo_init(&ei);
	for (i = 0; i < o->npl; i++)
		if (o->pl[i].mode != PDF_PLACE_DATE)
			needs_seal = 1;
	if (needs_seal && o->seal_png == NULL) {
		fprintf(stderr, "sealpact: sign: seal placements need --seal PNG offline\n");
		return EX_USAGE;
	}
	if (sp_file_read(in, PDF_DOC_MAX_BYTES, &pdf, &pdflen, &ei) != SP_OK ||
	    (needs_seal && sp_file_read(o->seal_png, SEAL_MAX, &png, &pnglen, &ei) != SP_OK)) {
		fprintf(stderr, "sealpact: sign: %s\n",
			client_text_clean(ei.msg, msgc, sizeof(msgc)));
		st = EX_NOINPUT;
		goto out; /* frees the document when the seal's image was not read */
	}
	seal.png = png;
	seal.png_len = pnglen;
	if (sign_signer_check(&o->so, &ei) != SP_OK) {
		fprintf(stderr, "sealpact: sign: %s\n", ei.msg);
		st = EX_USAGE;
		goto out;
	}
	if (chain_load(o->chain_pem, &chain, &ei) != SP_OK)
		goto fail;
	/* the certificate on a token is the signer's (not inserted: 1), a --cert file an input */
	if (o->so.key_pem == NULL)
		step = STEP_SIGNER;
	if (sign_cert_read(&o->so, &der, &derlen, &ei) != SP_OK ||
	    (p = der, cert = d2i_X509(NULL, &p, (long)derlen)) == NULL ||
	    crypto_sigalg_for_cert(cert, &alg, &ei) != SP_OK)
		goto fail;
	step = STEP_DOCUMENT;
	if (pdf_doc_open(pdf, pdflen, &doc, &ei) != SP_OK ||
	    pdf_placements_resolve(doc, &seal, needs_seal, o->pl, o->npl, &rects, &nrects, &ei) !=
		    SP_OK)
		goto fail;
	/* Show the rectangles before the PIN, as online. */
	rj = json_array();
	for (i = 0; i < nrects; i++)
		json_array_append_new(rj,
				      json_pack("{s:i,s:s,s:i,s:i,s:i,s:f,s:f,s:f,s:f}",
						"placement", (int)rects[i].placement + 1, "mode",
						rects[i].mode == PDF_PLACE_DATE      ? "date"
						: rects[i].mode == PDF_PLACE_SEAM    ? "seam"
						: rects[i].mode == PDF_PLACE_KEYWORD ? "keyword"
						: rects[i].mode == PDF_PLACE_MULTI   ? "multi"
						: rects[i].mode == PDF_PLACE_FIELD   ? "field"
										     : "normal",
						"page", rects[i].page, "slice", rects[i].slice,
						"slices", rects[i].nslices, "x0", rects[i].view.x0,
						"y0", rects[i].view.y0, "x1", rects[i].view.x1,
						"y1", rects[i].view.y1));
	memset(&params, 0, sizeof(params));
	params.signing_time = time(NULL);
	zone = o->date_zone != NULL ? o->date_zone : SP_TZ_DEFAULT;
	if (sp_tz_offset(zone, params.signing_time, &params.utc_offset_min, &ei) != SP_OK) {
		sp_errinfo_prefix(&ei, "--date-zone");
		step = STEP_OPTION;
		goto fail;
	}
	sign_rects_print(rj);
	printf("Date seal and signing time in %s (UTC%c%02d:%02d)\n", zone,
	       params.utc_offset_min < 0 ? '-' : '+', abs(params.utc_offset_min) / 60,
	       abs(params.utc_offset_min) % 60);
	fflush(stdout);
	params.reason = o->reason;
	params.digest_sm3 = alg == CRYPTO_SIGALG_SM2_SM3;
	/* the name a tagged document gives the seals (none from a subject past its
	   buffers: the signature does not depend on it) */
	sp_errinfo_init(&cei);
	if (crypto_cert_info_get(cert, &ci, &cei) == SP_OK)
		params.signer_name = ci.org;
	if (contents_max(o, cert, alg, chain, &params.contents_max, &ei) != SP_OK ||
	    pdf_docmdp_check_signable(doc, NULL, &ei) != SP_OK ||
	    pdf_sig_prepare(doc, &params, &seal, needs_seal, o->pl, o->npl, &prep, &ei) != SP_OK ||
	    pdf_docmdp_check_signable(doc, &prep, &ei) != SP_OK ||
	    crypto_cms_signed_attrs(cert, alg,
				    alg == CRYPTO_SIGALG_SM2_SM3 ? prep.sm3 : prep.sha256, 32,
				    &attrs, &alen, &ei) != SP_OK)
		goto fail;
	/* a development key (--key PEM) has no PIN to ask, as online */
	step = STEP_SIGNER;
	if (o->so.key_pem == NULL && client_pin_read(o->pin_file, pin, sizeof(pin), &ei) != SP_OK)
		goto fail;
	o->so.pin = pin;
	if (client_signer_open(&o->so, &signer, &ei) != SP_OK ||
	    client_signer_sign(signer, attrs, alen, &sig, &siglen, &algname, &ei) != SP_OK ||
	    crypto_sig_verify(cert, alg, attrs, alen, sig, siglen, &ei) != SP_OK)
		goto fail;
	step = STEP_NETWORK;
	if (o->tsa_url != NULL || o->tsa_cert != NULL) {
		if (timestamp(o, sig, siglen, NULL, &tok, &toklen, &gen, &ei) != SP_OK) {
			sp_errinfo_prefix(&ei, "timestamp");
			goto fail;
		}
	}
	step = STEP_SIGNER;
	if (crypto_cms_assemble(cert, chain, attrs, alen, sig, siglen, tok, toklen, &cms, &cmslen,
				&ei) != SP_OK ||
	    pdf_sig_fill(prep.data, prep.len, prep.contents_off, prep.contents_len, cms, cmslen,
			 &ei) != SP_OK)
		goto fail;
	step = STEP_NETWORK;
	if (o->level >= 2 && extend(o, &prep.data, &prep.len, &ei) != SP_OK) {
		sp_errinfo_prefix(&ei, "long-term validation data");
		goto fail;
	}
	step = STEP_OUTPUT;
	if (sp_file_write(outp, prep.data, prep.len, 0644, &ei) != SP_OK)
		goto fail;
	/* a file's name is whoever sent the file's to choose: never raw on the terminal */
	client_text_clean(in, inc, sizeof(inc));
	client_text_clean(outp, outc, sizeof(outc));
	if (tok != NULL) {
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&gen, &tm));
		printf("Signed %s -> %s (%s), timestamp %s, PAdES %s\n", inc, outc, algname, when,
		       o->level >= 3   ? "B-LTA"
		       : o->level == 2 ? "B-LT"
				       : "B-T");
	} else {
		printf("Signed %s -> %s (%s), WITHOUT a timestamp (PAdES B-B): pass --tsa URL "
		       "for one\n",
		       inc, outc, algname);
	}
	st = 0;
	goto out;
fail:
	/* The message may quote the PDF (qpdf's or the text locator's words). */
	fprintf(stderr, "sealpact: sign: %s\n", client_text_clean(ei.msg, msgc, sizeof(msgc)));
	st = step_exit(step, ei.code);
out:
	OPENSSL_cleanse(pin, sizeof(pin));
	o->so.pin = NULL;
	json_decref(rj);
	client_signer_free(signer);
	pdf_sig_prepared_cleanup(&prep);
	pdf_doc_free(doc);
	free(rects);
	X509_free(cert);
	sk_X509_pop_free(chain, X509_free);
	free(pdf);
	free(png);
	free(der);
	free(attrs);
	free(sig);
	free(tok);
	free(cms);
	return st;
}
