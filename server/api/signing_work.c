/*
 * signing_work.c: a prepare's work on the worker pool (see signing.c for
 * the flow): the certificate and its chain checked, the stored revision
 * opened (from what this process keeps of it when it can), the seal's
 * picture encoded once, the update and the CMS signed attributes built, and
 * the reply's members made as JSON text. Nothing here touches the event
 * loop or the database.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "api.h"
#include "auth_int.h"
#include "config.h"
#include "contracts_int.h"
#include "crypto.h"
#include "pdf.h"
#include "signing_int.h"
#include "signing_prep.h"

/* The CA certificates the client sends: the trust's own ones are not decoded again. */
static int
chain_parse(const struct crypto_trust *trust, json_t *arr, STACK_OF(X509) * *out,
	    struct sp_errinfo *ei)
{
	unsigned char *der = NULL;
	size_t i, len;
	X509 *x = NULL;
	json_t *v;
	int r = SP_ERR_INTERNAL;

	*out = NULL;
	if (arr == NULL || json_is_null(arr))
		return SP_OK;
	if (!json_is_array(arr) || json_array_size(arr) > CRYPTO_CHAIN_MAX)
		return sp_err_reason(ei, SP_ERR_INVALID, "invalid",
				     "chain must be an array of at most %d certificates",
				     CRYPTO_CHAIN_MAX);
	if ((*out = sk_X509_new_null()) == NULL)
		return sp_err(ei, SP_ERR_NOMEM, "out of memory");
	json_array_foreach(arr, i, v)
	{
		if ((r = signing_b64_field(v, "a chain certificate", MAX_CERT, &der, &len, ei)) !=
			    SP_OK ||
		    (r = crypto_trust_cert_parse(trust, der, len, &x, ei)) != SP_OK)
			goto out;
		if (sk_X509_push(*out, x) <= 0) {
			r = sp_err(ei, SP_ERR_NOMEM, "out of memory");
			goto out;
		}
		x = NULL; /* transferred */
		free(der);
		der = NULL;
	}
	r = SP_OK;
out:
	free(der);
	X509_free(x);
	return r;
}

/*
 * The verified chain without the leaf (issuing CAs up to the root), as DER:
 * what the CMS will carry, so that verifiers that know only the root
 * (pdfsig) can build the path even when the token holds just the leaf.
 */
static int
chain_store(STACK_OF(X509) * chain, uint8_t **der, size_t *len, struct sp_errinfo *ei)
{
	STACK_OF(X509) *cas = NULL;
	int r = SP_ERR_INTERNAL;

	/* A shallow copy: the certificates stay the chain's. */
	if ((cas = sk_X509_dup(chain)) == NULL) {
		r = sp_err(ei, SP_ERR_NOMEM, "out of memory");
		goto out;
	}
	(void)sk_X509_shift(cas);
	r = crypto_chain_to_der(cas, der, len, ei);
out:
	sk_X509_free(cas);
	return r;
}

/*
 * The seal picture's image data (pdf_seal_image_encode) from the process
 * cache, by the SHA-256 of the PNG (key: computed here unless *known; the
 * memo that held the picture computed it when it took it in): a picture is
 * decoded and compressed once, not at every prepare. Made and kept on a
 * miss; *enc (the caller's) backs seal->image.
 */
static int
seal_image(struct blob_cache *c, struct pdf_seal *seal, uint8_t key[32], int *known, uint8_t **enc,
	   struct sp_errinfo *ei)
{
	size_t klen = 0, len = 0;
	int r;

	if (!*known) {
		if ((r = crypto_digest(CRYPTO_DIGEST_SHA256, seal->png, seal->png_len, key, &klen,
				       ei)) != SP_OK)
			return r;
		*known = 1;
	}
	if (blob_cache_get(c, key, enc, &len) != SP_OK) {
		if ((r = pdf_seal_image_encode(seal->png, seal->png_len, enc, &len, ei)) != SP_OK)
			return r;
		blob_cache_put(c, key, *enc, len);
	}
	seal->image = *enc;
	seal->image_len = len;
	return SP_OK;
}

/*
 * The stored revision, opened without walking its page tree when the pages
 * of these very bytes are kept (blob_cache_key("page", their SHA-256): put
 * by the upload's create, by the completion that stored them, or by an
 * earlier prepare's walk, each from a walk of these bytes or of a revision
 * they were shown to keep, pdf_pages_kept); each page is still checked and
 * its geometry read as the walk does. Its form likewise from the facts kept
 * for these bytes (blob_cache_key("form", ...): put by the create, by the
 * completion that stored them, carried over its update, or by an earlier
 * prepare's walk, form_keep), so neither the open nor the DocMDP check
 * walks every earlier signature field. Walked on a miss (another process, a
 * restart) and the list kept then; the form's facts are kept by signing_prep_work
 * once the check read the same fields. *bh: the bytes' SHA-256 state, from
 * which the update's digest goes on (they are hashed once). Worker thread.
 */
static int
base_open(struct prep_job *j, const uint8_t *data, size_t dlen, const struct doc_cached *from,
	  struct pdf_sha256 **bh, struct pdf_doc **pdoc, struct sp_errinfo *ei)
{
	uint8_t dig[32], key[32], fkey[32], *v = NULL, *form = NULL;
	int *pages = NULL;
	size_t len = 0, n = 0, flen = 0;
	struct sp_errinfo kei;
	int r;

	/* from: the held revision data starts with, its SHA-256 state kept (a 10 MB
	   contract's bytes are not hashed again at every signer's prepare) */
	if ((r = from != NULL && from->sha256_ctx != NULL
			 ? pdf_sha256_resume(data, dlen, crypto_digest_ctx_evp(from->sha256_ctx),
					     from->len, bh, dig, ei)
			 : pdf_sha256_new(data, dlen, bh, dig, ei)) != SP_OK)
		return r;
	memcpy(j->base_dig, dig, sizeof(dig));
	blob_cache_key("page", dig, key);
	blob_cache_key("form", dig, fkey);
	if (blob_cache_get(j->reads, fkey, &form, &flen) != SP_OK)
		form = NULL;
	sp_errinfo_init(&kei);
	/* data is from's bytes: qpdf's parse of them as the last open here left it (the
	   completion that stored them, or the last prepare), the xref chain not read again */
	if (blob_cache_get(j->reads, key, &v, &len) == SP_OK && len > 0 &&
	    len % (2 * sizeof(int)) == 0 &&
	    pdf_doc_open_stored_kept_from(data, dlen, (const int *)(void *)v,
					  len / (2 * sizeof(int)), form, flen, dig,
					  from != NULL && from->data == data && from->len == dlen
						  ? doc_cache_parsed_take(j->docs, from)
						  : NULL,
					  pdoc, &kei) == SP_OK) {
		free(v);
		free(form);
		return SP_OK;
	}
	free(v);
	free(form);
	/* not kept, or not these bytes' after all: the walk decides */
	if ((r = pdf_doc_open_stored(data, dlen, pdoc, ei)) != SP_OK)
		return r;
	sp_errinfo_init(&kei);
	if (!pdf_doc_damaged(*pdoc) && pdf_doc_page_objs(*pdoc, &pages, &n, &kei) == SP_OK)
		blob_cache_put(j->reads, key, (const uint8_t *)pages, n * 2 * sizeof(int));
	free(pages);
	return SP_OK;
}

/*
 * The form's facts of a stored revision whose form prepare walked (none
 * were kept for it here), kept for the next prepare of the same bytes:
 * taken after the DocMDP check so that the export reads only what the
 * open's and the check's walks read. Best effort. Worker thread.
 */
static void
form_keep(struct prep_job *j, struct pdf_doc *doc)
{
	uint8_t key[32], *facts = NULL;
	size_t len = 0;
	struct sp_errinfo ign;

	if (!pdf_doc_form_walked(doc))
		return;
	sp_errinfo_init(&ign);
	if (pdf_doc_form_export(doc, j->base_dig, &facts, &len, &ign) != SP_OK)
		return;
	blob_cache_key("form", j->base_dig, key);
	blob_cache_put(j->reads, key, facts, len);
	free(facts);
}

/*
 * pdf_revisions_room_check() of the stored revision data[0..len) with the
 * prepared update: its reads count as the completion that stored it here left
 * it (reads cache "room"), else counted now (every stored section walked) and
 * left for the completion to extend.
 */
static int
room_check(struct prep_job *j, const uint8_t *data, size_t len, struct sp_errinfo *ei)
{
	struct pdf_reads_count c;
	uint8_t key[32], *v = NULL;
	size_t vlen = 0;
	int r;

	blob_cache_key("room", j->base_dig, key);
	if (blob_cache_get(j->reads, key, &v, &vlen) == SP_OK && vlen == sizeof(c)) {
		memcpy(&c, v, sizeof(c));
		free(v);
	} else {
		free(v);
		if ((r = pdf_reads_count_find(data, len, &c)) == SP_ERR_NOMEM)
			return sp_err(ei, SP_ERR_NOMEM, "out of memory");
		if (r != SP_OK)
			return SP_OK; /* refused when it was stored: nothing to count */
		blob_cache_put(j->reads, key, (const uint8_t *)&c, sizeof(c));
	}
	return pdf_revisions_room_check_known(&c, len, pdf_header_offset(data, len), j->prep.update,
					      j->prep.update_len,
					      (unsigned)ltv_level_code(j->cfg->signing.level), ei);
}

/*
 * The stored revision may take the prepared update (no DocMDP P=1, no new
 * visible widget after P=2, no locked field filled). Its
 * earlier signatures as the completion that stored these very bytes read
 * them (the process's cache, by the digest the update's hashing took of
 * them on the way) are not parsed again; on a miss (another process, a
 * restart, the upload) they are. Worker thread.
 */
static int
signable(struct prep_job *j, struct pdf_doc *doc, struct sp_errinfo *ei)
{
	uint8_t key[32];
	const uint8_t *reads = NULL;
	struct blob_ref *ref = NULL;
	size_t len = 0;
	int r;

	/* lent, not copied: every earlier /Contents (some 170 KB at a 20th signing) */
	blob_cache_key("sigs", j->prep.orig_sha256, key);
	if (blob_cache_borrow(j->reads, key, &reads, &len, &ref) != SP_OK)
		reads = NULL;
	r = pdf_docmdp_check_signable_known(doc, &j->prep, reads, len, ei);
	blob_cache_return(ref);
	return r;
}

/*
 * What the reply adds to the stored session's document, as JSON object
 * text (prep_stored() joins the two without parsing either). The seal's
 * facts are PostgreSQL's JSON text, put in as they came; the rects are
 * j->rects_json, the text the session stores, put in the same way: the
 * array was dumped once (jansson writes each real with snprintf's %.17g,
 * most of what dumping the reply cost), in the place json_dumps() of the
 * whole object gives it. Worker thread.
 */
static int
reply_more(struct prep_job *j, struct sp_errinfo *ei)
{
	json_t *head = NULL, *tail = NULL;
	char *tbs = NULL, *h = NULL, *t = NULL, *p;
	size_t hn, tn, rn, sl = 0;
	int r = SP_ERR_NOMEM;

	/* {"to_be_signed","algorithm"} and {"certificate_subject","date_seal_zone"}: the
	   members before and after "rects", in the order one object would have them */
	if ((tbs = sp_b64_encode(j->attrs, j->attrs_len, 0)) == NULL ||
	    (head = json_object()) == NULL || (tail = json_object()) == NULL ||
	    json_object_set_new(head, "to_be_signed", json_string(tbs)) != 0 ||
	    json_object_set_new(head, "algorithm", json_string(j->alg_name)) != 0 ||
	    json_object_set_new(tail, "certificate_subject", json_string(j->info.subject)) != 0 ||
	    json_object_set_new(tail, "date_seal_zone",
				json_string(j->cfg->signing.date_seal_zone)) != 0 ||
	    (h = json_dumps(head, JSON_COMPACT)) == NULL ||
	    (t = json_dumps(tail, JSON_COMPACT)) == NULL)
		goto out;
	hn = strlen(h);
	tn = strlen(t);
	rn = strlen(j->rects_json);
	if (j->base->seal_info != NULL)
		sl = strlen(j->base->seal_info);
	/* {...} + ,"rects": + [...] + , + ...} (tail less its "{"), then ,"seal":<seal_info>
	   before the closing brace when the seal has facts */
	if (hn < 2 || tn < 2 || (j->reply_more = malloc(hn + rn + tn + sl + 18)) == NULL)
		goto out;
	p = j->reply_more;
	/* the reply is built in parts, ended by the last copy's NUL */
	/* NOLINTBEGIN(bugprone-not-null-terminated-result) */
	memcpy(p, h, hn - 1);
	p += hn - 1;
	memcpy(p, ",\"rects\":", 9);
	p += 9;
	memcpy(p, j->rects_json, rn);
	p += rn;
	*p++ = ',';
	memcpy(p, t + 1, tn - 2);
	p += tn - 2;
	if (j->base->seal_info != NULL) {
		memcpy(p, ",\"seal\":", 8);
		p += 8;
		memcpy(p, j->base->seal_info, sl);
		p += sl;
	}
	memcpy(p, "}", 2);
	/* NOLINTEND(bugprone-not-null-terminated-result) */
	r = SP_OK;
out:
	free(tbs);
	free(h);
	free(t);
	json_decref(head);
	json_decref(tail);
	return r != SP_OK ? sp_err(ei, r, "out of memory") : SP_OK;
}

/*
 * What the session's claim would return of what this prepare stores, and
 * the credential that asked, as one record (j->kept) kept under the
 * session's id once signing_session_create stored it (prep_stored): the
 * claim here then leaves the update out, and the completion here may skip
 * the claim (signing_complete.c). Best effort: none, and the claim sends
 * everything. Worker thread.
 */
static void
kept_pack(struct prep_job *j)
{
	struct signing_kept k;

	memset(&k, 0, sizeof(k));
	k.update = j->prep.update;
	k.update_len = j->prep.update_len;
	k.signed_attrs = j->attrs;
	k.signed_attrs_len = j->attrs_len;
	k.chain = j->chain;
	k.chain_len = j->chain_len;
	k.cert_der = j->cert_der;
	k.cert_len = j->cert_len;
	k.algorithm = j->alg_name;
	k.contract_number = j->number;
	k.base_seq = j->base->seq;
	k.orig_len = j->prep.orig_len;
	k.contents_off = j->prep.contents_off;
	k.contents_len = j->prep.contents_len;
	if (j->authed)
		memcpy(k.token_hash, j->token_hash, sizeof(k.token_hash));
	k.org_id = j->org_id;
	k.user_id = j->user_id;
	/* signing_session_create's statement tells (signing_session_keep) */
	k.last_signer = -1;
	k.signers_left = -1;
	if (signing_kept_pack(&k, &j->kept, &j->kept_len) != SP_OK) {
		j->kept = NULL;
		j->kept_len = 0;
	}
}

int
signing_prep_work(void *arg, struct sp_errinfo *ei)
{
	struct prep_job *j = arg;
	struct pdf_placement pl[SIGNING_MAX_PLACEMENTS];
	char occ[SIGNING_MAX_PLACEMENTS][16];
	struct pdf_sig_params params;
	struct pdf_seal seal;
	struct crypto_cert_result res;
	struct pdf_doc *pdoc = NULL;
	struct pdf_sha256 *bh = NULL;
	const struct doc_cached *held = NULL;
	enum crypto_sigalg alg;
	STACK_OF(X509) *chain = NULL;
	unsigned char *enc = NULL;
	size_t npl = 0;
	X509 *cert = NULL;
	json_t *doc = j->doc, *rects = NULL;
	const uint8_t *data = NULL, *xm = NULL;
	size_t len = 0, xmlen = 0;
	struct blob_ref *xref = NULL;
	uint8_t xkey[32];
	int needs_seal, r = SP_ERR_INTERNAL;

	memset(&res, 0, sizeof(res));
	j->doc = NULL; /* transferred: freed below */
	if ((r = signing_b64_field(json_object_get(doc, "certificate"), "certificate", MAX_CERT,
				   &j->cert_der, &j->cert_len, ei)) != SP_OK ||
	    (r = crypto_trust_cert_parse(j->trust, j->cert_der, j->cert_len, &cert, ei)) != SP_OK ||
	    (r = chain_parse(j->trust, json_object_get(doc, "chain"), &chain, ei)) != SP_OK ||
	    (r = signing_placements_parse(json_object_get(doc, "placements"), pl, &npl, &needs_seal,
					  occ, ei)) != SP_OK)
		goto out;
	if ((r = crypto_sigalg_for_cert(cert, &alg, ei)) != SP_OK)
		goto out;
	if ((r = trust_store_need(j->trust, ei)) != SP_OK ||
	    (r = auth_cert_check(j->trust, cert, chain, &res, ei)) != SP_OK)
		goto out;
	if (strcmp(res.info.org_id, j->credit_code) != 0) {
		r = sp_err_reason(ei, SP_ERR_FORBIDDEN, "certificate_not_yours",
				  "the certificate's organizationIdentifier (%s) is not your "
				  "organization's credit code",
				  res.info.org_id[0] ? res.info.org_id : "absent");
		goto out;
	}
	j->info = res.info;
	if ((r = chain_store(res.chain, &j->chain, &j->chain_len, ei)) != SP_OK)
		goto out;
	memset(&seal, 0, sizeof(seal));
	if (needs_seal && j->base->seal_png != NULL) {
		/* The organization's own seal, checked by the loading statement. */
		seal.png = j->base->seal_png;
		seal.png_len = j->base->seal_png_len;
	} else if (needs_seal) {
		/* The demo seal: development only (production leaves it unset). */
		if (j->default_seal == NULL) {
			r = sp_err_reason(ei, SP_ERR_INVALID, "seal_not_found",
					  "name one of your organization's approved seals in the "
					  "placements (\"seal\": its id): there is no default "
					  "seal");
			goto out;
		}
		seal.png = j->default_seal;
		seal.png_len = j->default_seal_len;
		memcpy(j->base->seal_sha256, j->default_seal_sha256, 32);
		j->base->seal_sha256_known = 1;
	}
	if (needs_seal && (r = seal_image(j->seal_images, &seal, j->base->seal_sha256,
					  &j->base->seal_sha256_known, &enc, ei)) != SP_OK)
		goto out;
	/* the stored revision: opened whole at upload, verified at completion; the bytes
	   this process holds, and the updates stored since, put together here, off the loop */
	held = j->base->from_seq >= 0 ? j->held : NULL; /* what data will start with */
	if ((r = signing_base_bytes(j->base, j->held, &data, &len, ei)) != SP_OK ||
	    (r = base_open(j, data, len, held, &bh, &pdoc, ei)) != SP_OK)
		goto out;
	memset(&params, 0, sizeof(params));
	params.orig_hash = bh;
	/* the merged cross-reference entries the completion that stored these bytes kept
	   (reads "xmrg", their digest): a date stamp finds an earlier update's font through
	   them, not through a read of every section */
	blob_cache_key("xmrg", j->base_dig, xkey);
	if (blob_cache_borrow(j->reads, xkey, &xm, &xmlen, &xref) == SP_OK) {
		params.xref_entries = xm;
		params.xref_entries_len = xmlen;
	}
	/* The placeholder holds exactly what this signer's CMS can take. */
	if ((r = tsa_provider_contents_max(j->tsa, cert, alg, res.chain, &params.contents_max,
					   ei)) != SP_OK)
		goto out;
	params.signing_time = j->signing_time;
	params.utc_offset_min = j->utc_offset_min;
	params.digest_sm3 = alg == CRYPTO_SIGALG_SM2_SM3;
	params.signer_name = res.info.org;
	/*
	 * The update alone: the stored revision is ours already, and only the
	 * update is stored. Its hashing gives the stored bytes' digest that
	 * signable() looks up; a refusal of the document still comes before the
	 * placements' (it was checked first).
	 */
	if ((r = pdf_sig_prepare_update(pdoc, &params, &seal, needs_seal ? 1 : 0, pl, npl, &j->prep,
					ei)) != SP_OK) {
		struct sp_errinfo mei;

		sp_errinfo_init(&mei);
		if (pdf_docmdp_check_signable(pdoc, NULL, &mei) != SP_OK) {
			*ei = mei;
			r = mei.code;
		}
		goto out;
	}
	if (j->prep.orig_len != len) {
		r = sp_err(ei, SP_ERR_INTERNAL, "the update does not extend the stored revision");
		goto out;
	}
	if ((r = signable(j, pdoc, ei)) != SP_OK)
		goto out;
	/*
	 * The contract stays verifiable whole (sec37): each revision this signing
	 * appends reads every stored section again, and an upload kept just within
	 * the verifier's reading budget went past it after a few signings (a fresh
	 * verification 422, the evidence report 500). Counted with the long-term
	 * updates the level appends; at B-LTA the document timestamp too, for any
	 * signer may turn out the last.
	 */
	if ((r = room_check(j, data, len, ei)) != SP_OK)
		goto out;
	form_keep(j, pdoc);
	if ((r = crypto_cms_signed_attrs(cert, alg,
					 alg == CRYPTO_SIGALG_SM2_SM3 ? j->prep.sm3
								      : j->prep.sha256,
					 32, &j->attrs, &j->attrs_len, ei)) != SP_OK)
		goto out;
	j->alg_name = crypto_sigalg_name(alg);
	if ((rects = signing_rects_json(j->prep.rects, j->prep.nrects)) == NULL ||
	    (j->rects_json = json_dumps(rects, JSON_COMPACT)) == NULL ||
	    reply_more(j, ei) != SP_OK) {
		r = sp_err(ei, SP_ERR_NOMEM, "out of memory");
		goto out;
	}
	kept_pack(j);
	r = SP_OK;
out:
	blob_cache_return(xref);
	crypto_cert_result_cleanup(&res);
	/* qpdf's parse of the held revision back with it, for the next open of it here */
	if (pdoc != NULL && held != NULL)
		doc_cache_parsed_put(j->docs, held, pdf_doc_parsed_take(pdoc));
	pdf_doc_free(pdoc);
	pdf_sha256_free(bh);
	free(enc);
	X509_free(cert);
	sk_X509_pop_free(chain, X509_free);
	json_decref(rects);
	json_decref(doc);
	/* the stored revision is not needed again (the view on it is closed): kept for the
	   next prepare or claim when PostgreSQL sent bytes of it and they are what it stored
	   (the update's hashing took their digest), else freed here, not on the event loop */
	if (r == SP_OK && j->base->data != NULL && data == j->base->data) {
		signing_refs_keep(j->refs, j->base, j->prep.orig_sha256);
		signing_base_keep(j->docs, j->base, j->prep.orig_sha256);
	}
	free(j->base->data);
	j->base->data = NULL;
	return r;
}
