/*
 * signing.c: signing sessions, step 1 of DESIGN.md §5 (prepare).
 *
 *   POST /api/v1/contracts/{number}/signing-sessions   (member)
 *     {"certificate": base64 DER, "chain": [base64 DER, ...],
 *      "placements": [{"mode": "normal"|"multi"|"seam"|"keyword"|"date", ...}]}
 *   -> 201 {"session", "to_be_signed", "algorithm", "rects", "expires_at", "base_seq",
 *           "date_seal_zone"}
 *
 * Flow: one query authenticates the member (db_signing_prepare_load_auth)
 * and loads the latest revision after checking the party's turn
 * and, when the placements name one, the seal (db_signing_prepare_load_seal:
 * the organization's own, approved or installed, valid now); a worker checks the certificate (chain,
 * validity, key usage, revocation, organizationIdentifier = the caller's
 * credit code), builds the incremental update with pdf_sig_prepare and the
 * CMS signed attributes; one call (db_signing_session_create) stores what
 * completion needs, re-checking the turn and that no revision landed
 * meanwhile.
 * The update is stored, not re-created, so completion does not depend on
 * this process's code or clock being the same.
 *
 * One trip (migration 036, prep_held_try): when this process holds all the
 * load would send - the contract's latest revision (doc_cache), the member
 * session of the token (a recent load's or one-trip statement's, state.h
 * prep_memo) and the seal the placements name (picture and facts, as a
 * load sent them) - the worker runs first and one statement does the
 * load's checks and the create (db_signing_session_create_held). Why every
 * answer, error and its precedence stays the two statements':
 * - the statement runs each check of the load, in the load's order, and
 *   fails as the load fails; such a failure is answered as the load's
 *   (prep_refused): on the two-statement path it came before the worker,
 *   and was the answer whatever the worker would have said;
 * - when a check reads something else than the worker used (another
 *   revision landed, the seal's picture or facts changed, the token names
 *   another session), nothing is stored (SQLSTATE SPH01) and the request
 *   goes down the two-statement path from its load (prep_fallback), so the
 *   worker works on what the load sends;
 * - when the worker refuses, the request goes down that path too: a load's
 *   refusal still comes first, else the worker refuses the same inputs
 *   again;
 * - after the checks the statement is the create (the same SQL body) with
 *   the create's errors, after checks that read what the load would have.
 * The memo decides only whether to try: the statement checks the token.
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

#define MAX_PLACEMENTS 64
#define MAX_CERT 65536

struct prep_job {
	struct request *r;
	const struct config *cfg;
	struct crypto_trust *trust; /* the process's (NULL: none); outlives the job */
	const struct tsa_provider *tsa;
	struct blob_cache *seal_images; /* the process's (state.h); outlives the job */
	struct blob_cache *reads;       /* the signature reads completion keeps per revision */
	struct blob_cache *updates;     /* the process's session updates (signing_update_keep) */
	const uint8_t *default_seal;    /* the demo seal's picture, the process's */
	size_t default_seal_len;
	const uint8_t *default_seal_sha256; /* its SHA-256, the process's */
	json_t *doc;     /* the body, parsed on the loop (the seal id is needed first) */
	int64_t seal_id; /* the seal the placements name, 0: none or the demo seal */
	int64_t number, org_id, user_id;
	char credit_code[19];
	int authed;          /* the load authenticated the request (db_signing_prepare_load_auth) */
	char token_hash[65]; /* authed: the bearer token's SHA-256 it checked */
	/* prep_held_try: built before loading (the worker's inputs from what this process
	   holds), to be stored by db_signing_session_create_held; again: the body for the
	   load after a try that did not store */
	struct prep_memo *memo;
	int held_try;
	json_t *again;
	struct db_revision_doc *base; /* from db_signing_prepare_load */
	/* the stored document this process holds of the contract (state.h doc_cache):
	   the load sent only the updates after it when base->from_seq is its seq */
	struct doc_cache *docs;
	const struct doc_cached *held;
	uint8_t base_dig[32]; /* the stored revision's SHA-256 (base_open) */
	/* results of work() */
	struct pdf_sig_prepared prep;
	unsigned char *attrs;
	size_t attrs_len;
	unsigned char *cert_der;
	size_t cert_len;
	uint8_t *chain; /* crypto_chain_to_der of the issuing CAs */
	size_t chain_len;
	struct crypto_cert_info info;
	const char *alg_name;
	char *rects_json;
	/* the reply's members after the stored session's, as JSON object text, made on the
	   worker: {"to_be_signed", "algorithm", "rects", "certificate_subject",
	   "date_seal_zone", "seal"?} */
	char *reply_more;
	/* what the session's claim would return, kept here once it is stored
	   (signing_kept_pack, signing_session_keep); NULL: none */
	uint8_t *kept;
	size_t kept_len;
	time_t signing_time; /* taken on the event loop, with its zone's offset: */
	int utc_offset_min;  /* sp_tz_offset() switches TZ, which no worker may see */
};

/* What the load and the worker gave (a try that did not store leaves none behind). */
static void
prep_results_free(struct prep_job *j)
{
	db_revision_doc_free(j->base);
	j->base = NULL;
	pdf_sig_prepared_cleanup(&j->prep);
	free(j->attrs);
	free(j->cert_der);
	free(j->chain);
	free(j->rects_json);
	free(j->reply_more);
	j->attrs = j->cert_der = NULL;
	j->chain = NULL;
	j->rects_json = j->reply_more = NULL;
	j->attrs_len = j->cert_len = j->chain_len = 0;
	memset(&j->info, 0, sizeof(j->info));
	j->alg_name = NULL;
	free(j->kept);
	j->kept = NULL;
	j->kept_len = 0;
}

static void
prep_job_free(struct prep_job *j)
{
	if (j == NULL)
		return;
	json_decref(j->doc);
	json_decref(j->again);
	doc_cache_release(j->docs, j->held);
	prep_results_free(j);
	free(j);
}

/* ---- shared with signing_complete.c --------------------------------------------------- */

void
signing_actor_fill(struct db_actor *a, const struct request *r, int64_t org_id, int64_t user_id)
{
	memset(a, 0, sizeof(*a));
	a->org_id = org_id;
	a->user_id = user_id;
	a->ip = request_remote(r);
	a->user_agent = request_header(r, "User-Agent");
}

/* ---- the request body ------------------------------------------------------------------ */

static int
b64_field(json_t *v, const char *what, size_t max, unsigned char **out, size_t *len,
	  struct sp_errinfo *ei)
{
	int rc;

	if (!json_is_string(v))
		return sp_err_reason(ei, SP_ERR_INVALID, "invalid", "%s must be a base64 string",
				     what);
	rc = sp_b64_decode(json_string_value(v), SIZE_MAX, max, 0, out, len);
	if (rc == SP_ERR_NOMEM)
		return sp_err(ei, rc, "out of memory");
	if (rc != SP_OK)
		return sp_err_reason(ei, SP_ERR_INVALID, "invalid",
				     "%s is not base64 of at most %zu bytes", what, max);
	return SP_OK;
}

/* No seal named, or the development demo seal (signing.default_seal_image). */
static int
seal_ref_default(json_t *seal)
{
	return seal == NULL || json_is_null(seal) ||
	       (json_is_integer(seal) && json_integer_value(seal) == 0) ||
	       (json_is_string(seal) && strcmp(json_string_value(seal), "default") == 0);
}

/*
 * The seal the placements of doc name (*seal_id, 0 for the demo seal or
 * none): a seal id as an integer or a decimal string; every seal placement
 * of one signature names the same seal, whose picture the appearance shows
 * and which is recorded with the signature. Loop thread (cheap: no I/O).
 */
static int
placements_seal(json_t *doc, int64_t *seal_id, struct sp_errinfo *ei)
{
	json_t *arr = json_object_get(doc, "placements"), *o, *v;
	int64_t id;
	size_t i;
	int seen = 0;

	*seal_id = 0;
	if (!json_is_array(arr))
		return SP_OK; /* placements_parse() judges the rest */
	json_array_foreach(arr, i, o)
	{
		const char *mode = json_string_value(json_object_get(o, "mode"));

		if (mode == NULL || strcmp(mode, "date") == 0)
			continue;
		v = json_object_get(o, "seal");
		id = 0;
		if (!seal_ref_default(v) &&
		    !(json_is_integer(v) && (id = json_integer_value(v)) > 0) &&
		    !(json_is_string(v) && json_string_value(v)[0] >= '0' &&
		      json_string_value(v)[0] <= '9' &&
		      sp_parse_i64(json_string_value(v), 1, INT64_MAX, &id) == SP_OK))
			return sp_err_reason(ei, SP_ERR_INVALID, "seal_not_found",
					     "placement %zu: seal must be the id of one of your "
					     "organization's seals",
					     i + 1);
		if (seen && id != *seal_id)
			return sp_err_reason(ei, SP_ERR_INVALID, "placement_seal",
					     "placement %zu: all placements of one signature use "
					     "the same seal",
					     i + 1);
		seen = 1;
		*seal_id = id;
	}
	return SP_OK;
}

static double
num(json_t *o, const char *k, int *bad)
{
	json_t *v = json_object_get(o, k);

	if (v == NULL)
		return 0;
	if (!json_is_number(v)) {
		*bad = 1;
		return 0;
	}
	return json_number_value(v);
}

/* placements (borrowing strings from doc) into pl; *needs_seal when one uses the seal. */
static int
placements_parse(json_t *arr, struct pdf_placement *pl, size_t *npl, int *needs_seal,
		 char occ[][16], struct sp_errinfo *ei)
{
	json_t *o, *v;
	size_t i;
	int bad = 0;

	*npl = 0;
	*needs_seal = 0;
	if (arr == NULL || json_is_null(arr))
		return SP_OK;
	if (!json_is_array(arr) || json_array_size(arr) > MAX_PLACEMENTS)
		return sp_err_reason(ei, SP_ERR_INVALID, "invalid",
				     "placements must be an array of at most %d entries",
				     MAX_PLACEMENTS);
	json_array_foreach(arr, i, o)
	{
		struct pdf_placement *p = &pl[i];
		const char *mode = json_string_value(json_object_get(o, "mode"));

		memset(p, 0, sizeof(*p));
		if (!json_is_object(o) || mode == NULL ||
		    pdf_place_mode_parse(mode, &p->mode, ei) != SP_OK)
			return sp_err_reason(ei, SP_ERR_INVALID, "invalid",
					     "placement %zu: mode must be normal, multi, seam, "
					     "keyword or date",
					     i + 1);
		if (p->mode != PDF_PLACE_DATE)
			*needs_seal = 1; /* which seal: placements_seal() on the loop */
		v = json_object_get(o, "page");
		if (v != NULL && (!json_is_integer(v) || json_integer_value(v) < 1 ||
				  json_integer_value(v) > PDF_DOC_MAX_PAGES))
			return sp_err_reason(ei, SP_ERR_INVALID, "invalid",
					     "placement %zu: page must be an integer 1..%d", i + 1,
					     PDF_DOC_MAX_PAGES);
		p->page = v != NULL ? (int)json_integer_value(v) : 0;
		v = json_object_get(o, "pages");
		if (v != NULL && json_is_integer(v))
			return sp_err_reason(ei, SP_ERR_INVALID, "invalid",
					     "placement %zu: pages is a range text such as \"1-3\"",
					     i + 1);
		p->pages = json_string_value(v);
		p->keyword = json_string_value(json_object_get(o, "keyword"));
		v = json_object_get(o, "occurrence");
		if (v == NULL)
			v = json_object_get(o, "occurrences");
		if (json_is_integer(v)) {
			if (json_integer_value(v) < 1 || json_integer_value(v) > INT_MAX)
				return sp_err_reason(ei, SP_ERR_INVALID, "invalid",
						     "placement %zu: occurrence must be 1 or more",
						     i + 1);
			snprintf(occ[i], 16, "%lld", (long long)json_integer_value(v));
			p->occurrences = occ[i];
		} else {
			p->occurrences = json_string_value(v);
		}
		p->x = num(o, "x", &bad);
		p->y = num(o, "y", &bad);
		p->dx = num(o, "dx", &bad);
		p->dy = num(o, "dy", &bad);
		if (bad)
			return sp_err_reason(ei, SP_ERR_INVALID, "invalid",
					     "placement %zu: x, y, dx, dy must be numbers", i + 1);
	}
	*npl = json_array_size(arr);
	return SP_OK;
}

static json_t *
rects_json(const struct pdf_widget_rect *w, size_t n)
{
	static const char *const modes[] = { "", "normal", "multi", "seam", "keyword", "date" };
	json_t *a = json_array();
	size_t i;

	for (i = 0; a != NULL && i < n; i++)
		json_array_append_new(a, json_pack("{s:i,s:i,s:s,s:i,s:i,s:f,s:f,s:f,s:f}", "page",
						   w[i].page, "placement", (int)w[i].placement + 1,
						   "mode", modes[w[i].mode], "slice", w[i].slice,
						   "slices", w[i].nslices, "x0", w[i].view.x0, "y0",
						   w[i].view.y0, "x1", w[i].view.x1, "y1",
						   w[i].view.y1));
	return a;
}

/* ---- the worker ------------------------------------------------------------------------- */

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
		if ((r = b64_field(v, "a chain certificate", MAX_CERT, &der, &len, ei)) != SP_OK ||
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
 * restart) and the list kept then; the form's facts are kept by prep_work
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
 * The stored revision may take another signature (no DocMDP P=1). Its
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
	r = pdf_docmdp_check_signable_known(doc, reads, len, ei);
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
	k.last_signer = -1; /* signing_session_create's statement tells (signing_session_keep) */
	if (signing_kept_pack(&k, &j->kept, &j->kept_len) != SP_OK) {
		j->kept = NULL;
		j->kept_len = 0;
	}
}

static int
prep_work(void *arg, struct sp_errinfo *ei)
{
	struct prep_job *j = arg;
	struct pdf_placement pl[MAX_PLACEMENTS];
	char occ[MAX_PLACEMENTS][16];
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
	const uint8_t *data = NULL;
	size_t len = 0;
	int needs_seal, r = SP_ERR_INTERNAL;

	memset(&res, 0, sizeof(res));
	j->doc = NULL; /* transferred: freed below */
	if ((r = b64_field(json_object_get(doc, "certificate"), "certificate", MAX_CERT,
			   &j->cert_der, &j->cert_len, ei)) != SP_OK ||
	    (r = crypto_trust_cert_parse(j->trust, j->cert_der, j->cert_len, &cert, ei)) != SP_OK ||
	    (r = chain_parse(j->trust, json_object_get(doc, "chain"), &chain, ei)) != SP_OK ||
	    (r = placements_parse(json_object_get(doc, "placements"), pl, &npl, &needs_seal, occ,
				  ei)) != SP_OK)
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
	/* The placeholder holds exactly what this signer's CMS can take. */
	if ((r = tsa_provider_contents_max(j->tsa, cert, alg, res.chain, &params.contents_max,
					   ei)) != SP_OK)
		goto out;
	params.signing_time = j->signing_time;
	params.utc_offset_min = j->utc_offset_min;
	params.digest_sm3 = alg == CRYPTO_SIGALG_SM2_SM3;
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
		if (pdf_docmdp_check_signable(pdoc, &mei) != SP_OK) {
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
	form_keep(j, pdoc);
	if ((r = crypto_cms_signed_attrs(cert, alg,
					 alg == CRYPTO_SIGALG_SM2_SM3 ? j->prep.sm3
								      : j->prep.sha256,
					 32, &j->attrs, &j->attrs_len, ei)) != SP_OK)
		goto out;
	j->alg_name = crypto_sigalg_name(alg);
	if ((rects = rects_json(j->prep.rects, j->prep.nrects)) == NULL ||
	    (j->rects_json = json_dumps(rects, JSON_COMPACT)) == NULL ||
	    (r = reply_more(j, ei)) != SP_OK) {
		r = sp_err(ei, SP_ERR_NOMEM, "out of memory");
		goto out;
	}
	kept_pack(j);
	r = SP_OK;
out:
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
	if (r == SP_OK && j->base->data != NULL && data == j->base->data)
		signing_base_keep(j->docs, j->base, j->prep.orig_sha256);
	free(j->base->data);
	j->base->data = NULL;
	return r;
}

/* ---- the loop side ------------------------------------------------------------------------ */

static void prep_load(struct prep_job *j);

/* What a try held of the member and the seal, forgotten: a load confirms it again. */
static void
prep_memo_forget(struct prep_job *j)
{
	prep_memo_member_drop(j->memo, j->token_hash);
	if (j->seal_id > 0)
		prep_memo_seal_drop(j->memo, j->org_id, j->seal_id);
}

/*
 * A try that did not store (the worker refused, the one statement found
 * something else, or the try could not start): forget what it held of the
 * member and the seal (the load confirms them again), and prepare as
 * without it, from the load, with the body as it came. The stored revision
 * held stays (the load checks it as it always does). Loop thread.
 */
static void
prep_fallback(struct prep_job *j)
{
	prep_memo_count(j->memo, 0);
	prep_memo_forget(j);
	prep_results_free(j);
	json_decref(j->doc);
	j->doc = j->again;
	j->again = NULL;
	j->held_try = 0;
	prep_load(j);
}

/* The try may go back to the load: it is not answered yet and its client is there. */
static int
prep_may_fall_back(const struct prep_job *j)
{
	return j->held_try && j->again != NULL && !request_is_gone(j->r);
}

/*
 * A prepare stored with this member session and seal, as its load (or the
 * one statement) checked them: what the next prepare of the token may be
 * built from before loading. Only a prepare that stored: one the worker
 * refuses does not make the next one try (it would build twice).
 */
static void
prep_memo_keep(struct prep_job *j)
{
	const struct db_credential *c = &j->base->cred;
	struct prep_member who;
	int64_t now = prep_memo_now();

	if (!j->authed)
		return;
	memset(&who, 0, sizeof(who));
	who.organization_id = c->organization_id;
	who.user_id = c->user_id;
	who.credential_id = c->credential_id;
	who.certificate_id = c->certificate_id;
	memcpy(who.credit_code, c->credit_code, sizeof(who.credit_code));
	prep_memo_member_put(j->memo, j->token_hash, now, &who);
	if (j->seal_id > 0 && j->base->seal_png != NULL && j->base->seal_info != NULL &&
	    j->base->seal_sha256_known)
		prep_memo_seal_put(j->memo, c->organization_id, j->seal_id, now, j->base->seal_png,
				   j->base->seal_png_len, j->base->seal_sha256, j->base->seal_info);
}

/* A refusal of the load's checks (authed: they checked the credential too), answered. */
static void
prep_refused(struct request *r, int authed, const struct sp_errinfo *err)
{
	if (authed && auth_reply_credential(r, err))
		return;
	/* seal_not_found: 422 like the worker's placement refusals */
	if (err->code == SP_ERR_INVALID && strncmp(err->reason, "seal_", 5) == 0)
		request_problem_ei(r, P_UNPROCESSABLE, err);
	else
		request_reply_error(r, err->code, err);
}

/*
 * The reply: the stored session's document as PostgreSQL wrote it, with
 * the members the worker made (reply_more) added before its closing brace:
 * joined as text, neither parsed on the event loop.
 */
static void
prep_stored(void *arg, const char *text, size_t len, int last_signer, const struct sp_errinfo *err)
{
	struct prep_job *j = arg;
	struct request *r = j->r;
	size_t end = len, more;
	char *out;
	int held_try;

	if (err->code != SP_OK) {
		held_try = j->held_try;
		/* the one statement's checks read something else: nothing was stored */
		if (held_try && err->code == SP_ERR_CONFLICT &&
		    strcmp(err->reason, "prepare_held_stale") == 0 && prep_may_fall_back(j)) {
			prep_fallback(j);
			return;
		}
		if (held_try) {
			prep_memo_count(j->memo, 1);
			prep_memo_forget(j); /* a revoked token is not tried again */
		}
		prep_job_free(j);
		/* its load's refusals as the load's; the create's are not those (never a
		   credential's, nor seal_not_found): request_reply_error() as after a load */
		if (held_try)
			prep_refused(r, 1, err);
		else
			request_reply_error(r, err->code, err);
		return;
	}
	while (end > 0 && (text[end - 1] == ' ' || text[end - 1] == '\n'))
		end--;
	more = strlen(j->reply_more);
	/* an object with members ({...}), and ours ({"to_be_signed":...}) */
	if (end < 3 || text[0] != '{' || text[end - 1] != '}' || more < 3 ||
	    j->reply_more[0] != '{') {
		prep_job_free(j);
		request_reply_error(r, SP_ERR_INTERNAL, NULL);
		return;
	}
	if ((out = malloc(end + more)) == NULL) {
		prep_job_free(j);
		request_reply_error(r, SP_ERR_NOMEM, NULL);
		return;
	}
	if (j->held_try)
		prep_memo_count(j->memo, 1);
	/* the member session and the seal the statements checked, for the next prepare */
	prep_memo_keep(j);
	/* its completion's claim, when it comes here, sends what this process holds: the
	   stored revision, and the update just stored (the statement succeeded) */
	signing_session_note(j->docs, text, end, j->number);
	signing_session_keep(j->updates, text, end, j->kept, j->kept_len, last_signer);
	j->kept = NULL; /* taken */
	/* and a TSA serial for it, when it may complete in one trip here */
	if (j->authed)
		tsa_serials_want(request_tsa_serials(r), request_db(r));
	memcpy(out, text, end - 1);
	out[end - 1] = ',';
	memcpy(out + end, j->reply_more + 1, more - 1);
	prep_job_free(j);
	request_reply_json_text(r, 201, out, end + more - 1);
	free(out);
}

static void
prep_done(void *arg, int rc, const struct sp_errinfo *ei)
{
	struct prep_job *j = arg;
	struct request *r = j->r;
	struct db_signing_new s;
	struct db_prepare_held h;
	struct db_actor who;

	if (rc != SP_OK) {
		/* the load's refusals come before the worker's: it answers after one */
		if (prep_may_fall_back(j)) {
			prep_fallback(j);
			return;
		}
		prep_job_free(j);
		request_reply_job_error(r, rc, ei, P_UNPROCESSABLE);
		return;
	}
	memset(&s, 0, sizeof(s));
	s.contract_number = j->number;
	s.base_seq = j->base->seq;
	s.delta = j->prep.update;
	s.delta_len = j->prep.update_len;
	s.contents_off = j->prep.contents_off;
	s.contents_len = j->prep.contents_len;
	s.signed_attrs = j->attrs;
	s.signed_attrs_len = j->attrs_len;
	s.algorithm = j->alg_name;
	s.chain = j->chain;
	s.chain_len = j->chain_len;
	s.rects_json = j->rects_json;
	s.ttl_s = j->cfg->signing.session_ttl_s;
	s.cert_der = j->cert_der;
	s.cert_len = j->cert_len;
	s.cert_subject = j->info.subject;
	s.cert_issuer = j->info.issuer;
	s.cert_serial_hex = j->info.serial_hex;
	s.cert_not_before = j->info.not_before;
	s.cert_not_after = j->info.not_after;
	s.seal_id = j->seal_id;
	signing_actor_fill(&who, r, j->org_id, j->user_id);
	if (j->held_try) {
		memset(&h, 0, sizeof(h));
		h.token_hash = j->token_hash;
		h.credit_code = j->credit_code;
		h.base_len = j->base->length;
		h.base_sha256_hex = j->base->sha256;
		h.seal_sha256 = j->base->seal_png != NULL ? j->base->seal_sha256 : NULL;
		h.seal_info = j->base->seal_info;
		rc = db_signing_session_create_held(request_db(r), &who, &h, &s, prep_stored, j);
		if (rc != SP_OK && prep_may_fall_back(j)) {
			prep_fallback(j);
			return;
		}
	} else {
		rc = db_signing_session_create(request_db(r), &who, &s, prep_stored, j);
	}
	if (rc != SP_OK) {
		prep_job_free(j);
		request_reply_error(r, rc, NULL);
	}
}

/*
 * The worker's start once the base is known (loaded, or held): who signs,
 * the signing time, the job. SP_OK: submitted; else *ei says why when it
 * was the date seal's zone (else ei stays empty), and j is still the caller's.
 */
static int
prep_start(struct prep_job *j, struct sp_errinfo *ei)
{
	struct request *r = j->r;

	if (j->authed) {
		j->org_id = j->base->cred.organization_id;
		j->user_id = j->base->cred.user_id;
		request_caller_set(r, j->org_id, j->user_id);
		memcpy(j->credit_code, j->base->cred.credit_code, sizeof(j->credit_code));
	}
	j->signing_time = time(NULL);
	if (sp_tz_offset(j->cfg->signing.date_seal_zone, j->signing_time, &j->utc_offset_min, ei) !=
	    SP_OK)
		return SP_ERR_CONFIG;
	return request_jobs_submit(r, prep_work, prep_done, j);
}

static void
prep_loaded(void *arg, struct db_revision_doc *base, const struct sp_errinfo *err)
{
	struct prep_job *j = arg;
	struct request *r = j->r;
	struct sp_errinfo ei;
	int rc, authed;

	if (err->code != SP_OK) {
		authed = j->authed;
		prep_job_free(j);
		prep_refused(r, authed, err);
		return;
	}
	j->base = base;
	if (signing_held_check(j->docs, &j->held, base->from_seq, base->held_len,
			       base->held_sha256) != SP_OK) {
		prep_job_free(j);
		request_reply_error(r, SP_ERR_INTERNAL, NULL);
		return;
	}
	sp_errinfo_init(&ei);
	if ((rc = prep_start(j, &ei)) != SP_OK) {
		prep_job_free(j);
		request_reply_error(r, rc, rc == SP_ERR_CONFIG ? &ei : NULL);
	}
}

/*
 * The one-trip prepare (see the top): when this process holds the
 * contract's latest revision as stored, a recent member session of the
 * token and the seal the placements name, the base is what the load would
 * have sent (the held revision with no update after it, the seal's picture
 * and facts, the session) and the worker starts at once. SP_OK: it did;
 * otherwise nothing changed and the caller loads.
 */
static int
prep_held_try(struct prep_job *j)
{
	struct db_revision_doc *b;
	struct prep_member who;
	struct sp_errinfo ei;
	int64_t now = prep_memo_now();
	int rc;

	if (j->held == NULL || prep_memo_member_get(j->memo, j->token_hash, now, &who) != SP_OK ||
	    (b = calloc(1, sizeof(*b))) == NULL)
		return SP_ERR_NOT_FOUND;
	if (j->seal_id > 0 &&
	    prep_memo_seal_get(j->memo, who.organization_id, j->seal_id, now, &b->seal_png,
			       &b->seal_png_len, b->seal_sha256, &b->seal_info) != SP_OK) {
		db_revision_doc_free(b);
		return SP_ERR_NOT_FOUND;
	}
	b->seal_sha256_known = j->seal_id > 0;
	b->contract_number = j->number;
	b->seq = b->from_seq = j->held->seq;
	b->held_len = b->length = j->held->len;
	memcpy(b->held_sha256, j->held->sha256_hex, sizeof(b->held_sha256));
	memcpy(b->sha256, j->held->sha256_hex, sizeof(b->sha256));
	b->cred.kind = DB_CREDENTIAL_MEMBER;
	b->cred.organization_id = who.organization_id;
	b->cred.user_id = who.user_id;
	b->cred.credential_id = who.credential_id;
	b->cred.certificate_id = who.certificate_id;
	memcpy(b->cred.credit_code, who.credit_code, sizeof(b->cred.credit_code));
	j->base = b;
	j->held_try = 1;
	j->again = json_incref(j->doc); /* prep_work takes j->doc */
	sp_errinfo_init(&ei);
	if ((rc = prep_start(j, &ei)) != SP_OK) {
		/* answered after the load, as the load's path answers it */
		request_header_remove(j->r, "Retry-After");
		prep_fallback(j);
	}
	return SP_OK;
}

/*
 * The request's own checks before any database work: the contract number,
 * a JSON object body, the seal the placements name. With reply 0 a failure
 * is not answered: the caller authenticates first and asks again (a bad
 * credential is answered 401 before a bad body, as always).
 */
static int
prep_parse(struct request *r, int reply, struct prep_job **out)
{
	struct prep_job *j = NULL;
	const unsigned char *body;
	struct sp_errinfo ei;
	json_error_t je;
	size_t len;
	int64_t n;
	int rc;

	*out = NULL;
	if (snowflake_parse(request_param(r, "number"), &n) != SP_OK) {
		if (reply)
			request_problem(r, P_NOT_FOUND, "no such contract");
		return SP_ERR_NOT_FOUND;
	}
	if ((rc = request_body(r, &body, &len)) != SP_OK) {
		if (reply)
			request_reply_error(r, SP_ERR_UNAVAILABLE, NULL);
		return SP_ERR_UNAVAILABLE;
	}
	if (len == 0) {
		if (reply)
			request_problem(r, P_EMPTY_BODY, "The request body is empty.");
		return SP_ERR_INVALID;
	}
	if ((j = calloc(1, sizeof(*j))) == NULL) {
		if (reply)
			request_reply_error(r, SP_ERR_NOMEM, NULL);
		return SP_ERR_NOMEM;
	}
	j->doc = json_loadb((const char *)body, len, 0, &je);
	if (j->doc == NULL || !json_is_object(j->doc)) {
		if (reply)
			request_problem(r, P_MALFORMED_JSON,
					j->doc == NULL ? je.text
						       : "the body must be a JSON object");
		prep_job_free(j);
		return SP_ERR_INVALID;
	}
	sp_errinfo_init(&ei);
	if (placements_seal(j->doc, &j->seal_id, &ei) != SP_OK) {
		/* 422 like every placement refusal of the worker */
		if (reply)
			request_problem_ei(r, P_UNPROCESSABLE, &ei);
		prep_job_free(j);
		return SP_ERR_INVALID;
	}
	j->r = r;
	j->cfg = request_config(r);
	j->trust = request_trust(r);
	j->tsa = request_tsa(r);
	j->seal_images = request_seal_images(r);
	j->reads = request_revision_reads(r);
	j->updates = request_session_updates(r);
	j->default_seal = request_default_seal(r, &j->default_seal_len, &j->default_seal_sha256);
	j->number = n;
	j->docs = request_documents(r);
	j->held = doc_cache_get(j->docs, n);
	j->memo = request_prep_memo(r);
	*out = j;
	return SP_OK;
}

static void
prepare_step(struct request *r, const struct principal *who)
{
	struct db_doc_held held;
	struct prep_job *j;
	int rc;

	if (prep_parse(r, 1, &j) != SP_OK)
		return; /* answered */
	j->org_id = who->organization_id;
	j->user_id = who->user_id;
	snprintf(j->credit_code, sizeof(j->credit_code), "%s", who->credit_code);
	rc = db_signing_prepare_load_seal(request_db(r), j->number, who->organization_id,
					  j->seal_id, signing_held(j->held, &held), prep_loaded, j);
	if (rc != SP_OK) {
		prep_job_free(j);
		request_reply_error(r, rc, NULL);
	}
}

/* The load with the member's token (prep_loaded goes on). Loop thread. */
static void
prep_load(struct prep_job *j)
{
	struct db_doc_held held;
	struct request *r = j->r;
	int rc;

	rc = db_signing_prepare_load_auth(request_db(r), j->token_hash, j->number, j->seal_id,
					  signing_held(j->held, &held), prep_loaded, j);
	if (rc != SP_OK) {
		prep_job_free(j);
		request_reply_error(r, rc, NULL);
	}
}

/*
 * One trip in: a member's bearer token is checked by the statement that
 * loads the contract (db_signing_prepare_load_auth), which then runs as its
 * organization, or by the one statement that stores the session when this
 * process holds what the load would send (prep_held_try). Anything else
 * (no or a malformed credential, an API key, a request that fails its own
 * checks) takes auth_then() first, which answers in the usual order.
 */
void
signing_prepare_post(struct request *r)
{
	struct prep_job *j;
	char hash[65];

	if (auth_member_hash(r, hash) != SP_OK || prep_parse(r, 0, &j) != SP_OK) {
		auth_then(r, PRINCIPAL_MEMBER, prepare_step);
		return;
	}
	j->authed = 1;
	memcpy(j->token_hash, hash, sizeof(j->token_hash));
	if (prep_held_try(j) != SP_OK)
		prep_load(j);
}

void
signing_abort_delete(struct request *r)
{
	auth_then(r, PRINCIPAL_MEMBER, signing_abort_step);
}
