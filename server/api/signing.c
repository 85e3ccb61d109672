/*
 * signing.c: signing sessions, step 1 of DESIGN.md §5 (prepare).
 *
 *   POST /api/v1/contracts/{number}/signing-sessions   (member)
 *     {"certificate": base64 DER, "chain": [base64 DER, ...],
 *      "placements": [{"mode": "normal"|"multi"|"seam"|"keyword"|"date", ...}]}
 *   -> 201 {"session", "to_be_signed", "algorithm", "rects", "expires_at", "base_seq"}
 *
 * Flow: one query loads the latest revision after checking the party's turn
 * (signing_prepare_load); a worker checks the certificate (chain, validity,
 * key usage, revocation, organizationIdentifier = the caller's credit code),
 * builds the incremental update with pdf_sig_prepare and the CMS signed
 * attributes; one INSERT (signing_session_create) stores what completion
 * needs, re-checking the turn and that no revision landed meanwhile.
 * The update is stored, not re-created, so completion does not depend on
 * this process's code or clock being the same.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "auth_int.h"
#include "config.h"
#include "contracts_int.h"
#include "crypto.h"
#include "pdf.h"
#include "signing_int.h"

#define MAX_PLACEMENTS 64
#define MAX_CHAIN 16
#define MAX_CERT 65536
#define SEAL_MAX (4u * 1024 * 1024)
#define SIGN_UTC_OFFSET_MIN 480 /* China Standard Time in /M and the date stamp */

struct prep_job {
	struct request *r;
	const struct config *cfg;
	unsigned char *body;
	size_t body_len;
	char number[24], org[24], user[24];
	int has_user;
	char credit_code[19];
	/* from signing_prepare_load */
	int base_seq;
	unsigned char *doc;
	size_t doc_len;
	/* results of work() */
	struct pdf_sig_prepared prep;
	unsigned char *attrs;
	size_t attrs_len;
	unsigned char *cert_der;
	size_t cert_len;
	struct sp_buf chain;       /* length-prefixed DER certificates */
	struct crypto_cert_info info;
	const char *alg_name;
	char *rects_json;
	char serial_lc[82];
	char nb[24], na[24], base[16], coff[24], clen[24], ttl[16];
};

static void
prep_job_free(struct prep_job *j)
{
	if (j == NULL)
		return;
	free(j->body);
	free(j->doc);
	pdf_sig_prepared_cleanup(&j->prep);
	free(j->attrs);
	free(j->cert_der);
	sp_buf_cleanup(&j->chain);
	free(j->rects_json);
	free(j);
}

/* ---- replies shared with signing_complete.c ----------------------------------------- */

int
signing_reply_failed(struct request *r, const struct sp_errinfo *err)
{
	return wf_reply_failed(r, err);
}

void
signing_reply_json(struct request *r, const PGresult *res, int ok_status)
{
	json_error_t je;
	json_t *doc;

	if (PQntuples(res) < 1 || PQgetisnull(res, 0, 0) ||
	    (doc = json_loads(PQgetvalue(res, 0, 0), JSON_DECODE_ANY, &je)) == NULL) {
		request_reply_error(r, SP_ERR_INTERNAL, NULL);
		return;
	}
	request_reply_json(r, ok_status, doc);
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

/* Only the organization's default seal exists until seals can be installed. */
static int
seal_ref_ok(json_t *seal)
{
	return seal == NULL || json_is_null(seal) || (json_is_integer(seal) &&
		json_integer_value(seal) == 0) || (json_is_string(seal) &&
		strcmp(json_string_value(seal), "default") == 0);
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
	json_array_foreach(arr, i, o) {
		struct pdf_placement *p = &pl[i];
		const char *mode = json_string_value(json_object_get(o, "mode"));

		memset(p, 0, sizeof(*p));
		if (!json_is_object(o) || mode == NULL ||
		    pdf_place_mode_parse(mode, &p->mode, ei) != SP_OK)
			return sp_err_reason(ei, SP_ERR_INVALID, "invalid",
					     "placement %zu: mode must be normal, multi, seam, "
					     "keyword or date", i + 1);
		if (p->mode != PDF_PLACE_DATE) {
			if (!seal_ref_ok(json_object_get(o, "seal")))
				return sp_err_reason(ei, SP_ERR_INVALID, "seal_not_found",
						     "placement %zu: unknown seal (only the "
						     "organization's default seal, \"default\", exists)",
						     i + 1);
			*needs_seal = 1;
		}
		v = json_object_get(o, "page");
		if (v != NULL && !json_is_integer(v))
			return sp_err_reason(ei, SP_ERR_INVALID, "invalid",
					     "placement %zu: page must be an integer", i + 1);
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
	static const char *const modes[] = {"", "normal", "multi", "seam", "keyword", "date"};
	json_t *a = json_array();
	size_t i;

	for (i = 0; a != NULL && i < n; i++)
		json_array_append_new(a, json_pack("{s:i,s:i,s:s,s:i,s:i,s:f,s:f,s:f,s:f}",
			"page", w[i].page, "placement", (int)w[i].placement + 1,
			"mode", modes[w[i].mode], "slice", w[i].slice, "slices", w[i].nslices,
			"x0", w[i].view.x0, "y0", w[i].view.y0, "x1", w[i].view.x1,
			"y1", w[i].view.y1));
	return a;
}

/* ---- the worker ------------------------------------------------------------------------- */

static int
chain_parse(json_t *arr, STACK_OF(X509) **out, struct sp_errinfo *ei)
{
	unsigned char *der = NULL;
	size_t i, len;
	X509 *x = NULL;
	json_t *v;
	int r = SP_ERR_INTERNAL;

	*out = NULL;
	if (arr == NULL || json_is_null(arr))
		return SP_OK;
	if (!json_is_array(arr) || json_array_size(arr) > MAX_CHAIN)
		return sp_err_reason(ei, SP_ERR_INVALID, "invalid",
				     "chain must be an array of at most %d certificates", MAX_CHAIN);
	if ((*out = sk_X509_new_null()) == NULL)
		return sp_err(ei, SP_ERR_NOMEM, "out of memory");
	json_array_foreach(arr, i, v) {
		if ((r = b64_field(v, "a chain certificate", MAX_CERT, &der, &len, ei)) != SP_OK ||
		    (r = crypto_cert_parse(der, len, &x, ei)) != SP_OK)
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
 * The verified chain without the leaf (issuing CAs up to the root), each DER
 * certificate prefixed by its 4-byte length: what the CMS will carry, so that
 * verifiers that know only the root (pdfsig) can build the path even when
 * the token holds just the leaf.
 */
static int
chain_store(STACK_OF(X509) *chain, struct sp_buf *buf, struct sp_errinfo *ei)
{
	unsigned char *der, hdr[4];
	int i, n;

	for (i = 1; i < sk_X509_num(chain); i++) {
		der = NULL;
		if ((n = i2d_X509(sk_X509_value(chain, i), &der)) <= 0)
			return sp_err(ei, SP_ERR_CRYPTO, "cannot encode the chain");
		hdr[0] = (unsigned char)((unsigned)n >> 24);
		hdr[1] = (unsigned char)((unsigned)n >> 16);
		hdr[2] = (unsigned char)((unsigned)n >> 8);
		hdr[3] = (unsigned char)n;
		if (sp_buf_add(buf, hdr, 4) != SP_OK || sp_buf_add(buf, der, (size_t)n) != SP_OK) {
			OPENSSL_free(der);
			return sp_err(ei, SP_ERR_TOO_LARGE, "the chain is too large");
		}
		OPENSSL_free(der);
	}
	return SP_OK;
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
	struct crypto_trust *trust;
	struct pdf_doc *pdoc = NULL;
	enum crypto_sigalg alg;
	STACK_OF(X509) *chain = NULL;
	unsigned char *png = NULL;
	size_t png_len = 0, npl = 0;
	X509 *cert = NULL;
	json_t *doc = NULL, *rects = NULL;
	json_error_t je;
	int needs_seal, r = SP_ERR_INTERNAL;

	memset(&res, 0, sizeof(res));
	doc = json_loadb((const char *)j->body, j->body_len, 0, &je);
	if (doc == NULL || !json_is_object(doc)) {
		r = sp_err_reason(ei, SP_ERR_INVALID, "malformed_json",
				  "the body must be a JSON object: %s",
				  doc == NULL ? je.text : "not an object");
		goto out;
	}
	if ((r = b64_field(json_object_get(doc, "certificate"), "certificate", MAX_CERT,
			   &j->cert_der, &j->cert_len, ei)) != SP_OK ||
	    (r = crypto_cert_parse(j->cert_der, j->cert_len, &cert, ei)) != SP_OK ||
	    (r = chain_parse(json_object_get(doc, "chain"), &chain, ei)) != SP_OK ||
	    (r = placements_parse(json_object_get(doc, "placements"), pl, &npl, &needs_seal, occ,
				  ei)) != SP_OK)
		goto out;
	if ((r = crypto_sigalg_for_cert(cert, &alg, ei)) != SP_OK)
		goto out;
	if ((r = server_trust_get(j->cfg, &trust, ei)) != SP_OK ||
	    (r = crypto_cert_check(trust, cert, chain, 0, &res, ei)) != SP_OK)
		goto out;
	if (strcmp(res.info.org_id, j->credit_code) != 0) {
		r = sp_err_reason(ei, SP_ERR_FORBIDDEN, "certificate_not_yours",
				  "the certificate's organizationIdentifier (%s) is not your "
				  "organization's credit code", res.info.org_id[0] ? res.info.org_id
				  : "absent");
		goto out;
	}
	j->info = res.info;
	if ((r = chain_store(res.chain, &j->chain, ei)) != SP_OK)
		goto out;
	memset(&seal, 0, sizeof(seal));
	if (needs_seal) {
		if (j->cfg->signing.default_seal_image == NULL) {
			r = sp_err_reason(ei, SP_ERR_INVALID, "seal_not_found",
					  "your organization has no seal yet (and no default seal "
					  "image is configured): use a date placement or none");
			goto out;
		}
		if ((r = sp_file_read(j->cfg->signing.default_seal_image, SEAL_MAX, &png,
				      &png_len, ei)) != SP_OK) {
			r = sp_err(ei, SP_ERR_CONFIG, "the default seal image cannot be read");
			goto out;
		}
		seal.png = png;
		seal.png_len = png_len;
	}
	if ((r = pdf_doc_open(j->doc, j->doc_len, &pdoc, ei)) != SP_OK)
		goto out;
	memset(&params, 0, sizeof(params));
	params.signing_time = time(NULL);
	params.utc_offset_min = SIGN_UTC_OFFSET_MIN;
	if ((r = pdf_sig_prepare(pdoc, &params, &seal, needs_seal ? 1 : 0, pl, npl, &j->prep,
				 ei)) != SP_OK)
		goto out;
	if (j->prep.orig_len != j->doc_len) {
		r = sp_err(ei, SP_ERR_INTERNAL, "the update does not extend the stored revision");
		goto out;
	}
	if ((r = crypto_cms_signed_attrs(cert, alg, alg == CRYPTO_SIGALG_SM2_SM3 ? j->prep.sm3
					 : j->prep.sha256, 32, &j->attrs, &j->attrs_len, ei))
	    != SP_OK)
		goto out;
	j->alg_name = crypto_sigalg_name(alg);
	if ((rects = rects_json(j->prep.rects, j->prep.nrects)) == NULL ||
	    (j->rects_json = json_dumps(rects, JSON_COMPACT)) == NULL) {
		r = sp_err(ei, SP_ERR_NOMEM, "out of memory");
		goto out;
	}
	r = SP_OK;
out:
	crypto_cert_result_cleanup(&res);
	pdf_doc_free(pdoc);
	free(png);
	X509_free(cert);
	sk_X509_pop_free(chain, X509_free);
	json_decref(rects);
	json_decref(doc);
	return r;
}

/* ---- the loop side ------------------------------------------------------------------------ */

static void
prep_stored(void *arg, const PGresult *res, const struct sp_errinfo *err)
{
	struct prep_job *j = arg;
	struct request *r = j->r;
	json_error_t je;
	json_t *out = NULL, *rects;
	char *tbs;

	if (signing_reply_failed(r, err)) {
		prep_job_free(j);
		return;
	}
	if (PQntuples(res) != 1 ||
	    (out = json_loads(PQgetvalue(res, 0, 0), 0, &je)) == NULL ||
	    (tbs = sp_b64_encode(j->attrs, j->attrs_len, 0)) == NULL) {
		json_decref(out);
		prep_job_free(j);
		request_reply_error(r, SP_ERR_INTERNAL, NULL);
		return;
	}
	rects = json_loads(j->rects_json, 0, &je);
	json_object_set_new(out, "to_be_signed", json_string(tbs));
	json_object_set_new(out, "algorithm", json_string(j->alg_name));
	json_object_set_new(out, "rects", rects != NULL ? rects : json_array());
	json_object_set_new(out, "certificate_subject", json_string(j->info.subject));
	free(tbs);
	prep_job_free(j);
	request_reply_json(r, 201, out);
}

static void
prep_done(void *arg, int rc, const struct sp_errinfo *ei)
{
	static const char sql[] =
		"SELECT signing_session_create($1::bigint, $2::bigint, $3::bigint, $4::integer, "
		"$5::bytea, $6::bigint, $7::bigint, $8::bytea, $9, $10::bytea, $11::jsonb, "
		"$12::integer, $13::bytea, $14, $15, $16, to_timestamp($17::bigint), "
		"to_timestamp($18::bigint), NULL)::text";
	struct prep_job *j = arg;
	struct request *r = j->r;
	struct db_param p[18];
	size_t i;

	if (rc != SP_OK) {
		prep_job_free(j);
		request_reply_job_error(r, rc, ei, P_UNPROCESSABLE);
		return;
	}
	snprintf(j->serial_lc, sizeof(j->serial_lc), "%s", j->info.serial_hex);
	for (i = 0; j->serial_lc[i] != '\0'; i++)
		if (j->serial_lc[i] >= 'A' && j->serial_lc[i] <= 'F')
			j->serial_lc[i] = (char)(j->serial_lc[i] - 'A' + 'a');
	snprintf(j->base, sizeof(j->base), "%d", j->base_seq);
	snprintf(j->coff, sizeof(j->coff), "%zu", j->prep.contents_off);
	snprintf(j->clen, sizeof(j->clen), "%zu", j->prep.contents_len);
	snprintf(j->ttl, sizeof(j->ttl), "%d", j->cfg->signing.session_ttl_s);
	snprintf(j->nb, sizeof(j->nb), "%lld", (long long)j->info.not_before);
	snprintf(j->na, sizeof(j->na), "%lld", (long long)j->info.not_after);
	memset(p, 0, sizeof(p));
	p[0].value = j->number;
	p[1].value = j->org;
	p[2].value = j->has_user ? j->user : NULL;
	p[3].value = j->base;
	p[4].value = (const char *)j->prep.data + j->prep.orig_len;
	p[4].len = (int)(j->prep.len - j->prep.orig_len);
	p[4].binary = 1;
	p[5].value = j->coff;
	p[6].value = j->clen;
	p[7].value = (const char *)j->attrs;
	p[7].len = (int)j->attrs_len;
	p[7].binary = 1;
	p[8].value = j->alg_name;
	p[9].value = j->chain.len > 0 ? (const char *)j->chain.data : "";
	p[9].len = (int)j->chain.len;
	p[9].binary = 1;
	p[10].value = j->rects_json;
	p[11].value = j->ttl;
	p[12].value = (const char *)j->cert_der;
	p[12].len = (int)j->cert_len;
	p[12].binary = 1;
	p[13].value = j->info.subject;
	p[14].value = j->info.issuer;
	p[15].value = j->serial_lc;
	p[16].value = j->nb;
	p[17].value = j->na;
	if ((rc = db_query_send(request_db(r), sql, 18, p, 0, 0, prep_stored, j)) != SP_OK) {
		prep_job_free(j);
		request_reply_error(r, rc, NULL);
	}
}

static uint32_t
be32(const char *p)
{
	const unsigned char *u = (const unsigned char *)p;

	return (uint32_t)u[0] << 24 | (uint32_t)u[1] << 16 | (uint32_t)u[2] << 8 | u[3];
}

static void
prep_loaded(void *arg, const PGresult *res, const struct sp_errinfo *err)
{
	struct prep_job *j = arg;
	struct request *r = j->r;
	int rc, len;

	if (signing_reply_failed(r, err)) {
		prep_job_free(j);
		return;
	}
	if (PQntuples(res) != 1 || PQgetisnull(res, 0, 1) || PQgetlength(res, 0, 0) != 4 ||
	    (len = PQgetlength(res, 0, 1)) <= 0 || (j->doc = malloc((size_t)len)) == NULL) {
		prep_job_free(j);
		request_reply_error(r, SP_ERR_INTERNAL, NULL);
		return;
	}
	j->base_seq = (int)be32(PQgetvalue(res, 0, 0));
	memcpy(j->doc, PQgetvalue(res, 0, 1), (size_t)len);
	j->doc_len = (size_t)len;
	if ((rc = jobs_submit(request_jobs(r), prep_work, prep_done, j)) != SP_OK) {
		prep_job_free(j);
		request_reply_error(r, rc, NULL);
	}
}

static void
prepare_step(struct request *r, const struct principal *who)
{
	struct prep_job *j = NULL;
	const unsigned char *body;
	struct db_param p[2];
	size_t len;
	int64_t n;
	int rc;

	if (snowflake_parse(request_param(r, "number"), &n) != SP_OK) {
		request_problem(r, P_NOT_FOUND, "no such contract");
		return;
	}
	if (request_body(r, &body, &len) != SP_OK) {
		request_reply_error(r, SP_ERR_UNAVAILABLE, NULL);
		return;
	}
	if (len == 0) {
		request_problem(r, P_EMPTY_BODY, "The request body is empty.");
		return;
	}
	if ((j = calloc(1, sizeof(*j))) == NULL || (j->body = malloc(len)) == NULL) {
		prep_job_free(j);
		request_reply_error(r, SP_ERR_NOMEM, NULL);
		return;
	}
	memcpy(j->body, body, len);
	j->body_len = len;
	j->r = r;
	j->cfg = request_config(r);
	sp_buf_init(&j->chain, (size_t)MAX_CHAIN * (MAX_CERT + 4));
	snprintf(j->number, sizeof(j->number), "%lld", (long long)n);
	snprintf(j->org, sizeof(j->org), "%lld", (long long)who->organization_id);
	snprintf(j->user, sizeof(j->user), "%lld", (long long)who->user_id);
	snprintf(j->credit_code, sizeof(j->credit_code), "%s", who->credit_code);
	j->has_user = who->user_id > 0;
	memset(p, 0, sizeof(p));
	p[0].value = j->number;
	p[1].value = j->org;
	rc = db_query_send(request_db(r),
			   "SELECT base_seq, document FROM signing_prepare_load($1::bigint, "
			   "$2::bigint)", 2, p, 1, 0, prep_loaded, j);
	if (rc != SP_OK) {
		prep_job_free(j);
		request_reply_error(r, rc, NULL);
	}
}

static void
prepare_handle(struct request *r)
{
	auth_then(r, PRINCIPAL_MEMBER, prepare_step);
}

static void
complete_handle(struct request *r)
{
	auth_then(r, PRINCIPAL_MEMBER, signing_complete_step);
}

static void
abort_handle(struct request *r)
{
	auth_then(r, PRINCIPAL_MEMBER, signing_abort_step);
}

int
routes_signing_register(struct router *rt, struct sp_errinfo *ei)
{
	int r;

	if ((r = router_route_add(rt, HTTP_POST, "/api/v1/contracts/{number}/signing-sessions",
				  prepare_handle, 0, ei)) != SP_OK ||
	    (r = router_route_add(rt, HTTP_POST, "/api/v1/signing-sessions/{id}/complete",
				  complete_handle, 0, ei)) != SP_OK ||
	    (r = router_route_add(rt, HTTP_DELETE, "/api/v1/signing-sessions/{id}",
				  abort_handle, 0, ei)) != SP_OK)
		return r;
	return routes_tsa_register(rt, ei);
}
