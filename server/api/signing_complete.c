/*
 * signing_complete.c: steps 2-3 of DESIGN.md §5, and abort.
 *
 *   POST /api/v1/signing-sessions/{id}/complete {"signature": base64}
 *     -> 200 {"session", "seq", "sha256", "length", "timestamp", "contract"}
 *   DELETE /api/v1/signing-sessions/{id} -> 200 {"session", "state": "aborted"}
 *
 * Complete: one query claims the session's stored inputs and a TSA serial
 * (signing_session_claim; a used, aborted, expired or stale session fails
 * there); a worker checks the token's signature against the certificate
 * (a wrong value is 422 and changes nothing: the session stays usable),
 * gets a checked RFC 3161 token over it (no token, no signature: it fails),
 * assembles the CMS, fills the placeholder and verifies the new revision;
 * one more call (signing_session_complete) stores the delta, marks the
 * party signed, consumes the session and appends the audit event.
 */
#include <ctype.h>
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
#include "http_int.h"
#include "signing_int.h"

#define MAX_CHAIN 16

struct done_job {
	struct request *r;
	const struct config *cfg;
	char id[37], org[24], user[24];
	int has_user;
	uint8_t *sig;
	size_t siglen;
	/* from signing_session_claim */
	unsigned char *doc;   /* the prepared file, filled in place by work() */
	size_t doc_len, orig_len, contents_off, contents_len;
	unsigned char *attrs, *chain, *cert;
	size_t attrs_len, chain_len, cert_len;
	char alg[32];
	uint64_t serial;
	/* results of work() */
	char sha_hex[65], length[24], tsa_time[24];
};

static void
done_job_free(struct done_job *j)
{
	if (j == NULL)
		return;
	free(j->sig);
	free(j->doc);
	free(j->attrs);
	free(j->chain);
	free(j->cert);
	free(j);
}

static int
uuid_ok(const char *s)
{
	size_t i;

	if (s == NULL || strlen(s) != 36)
		return 0;
	for (i = 0; i < 36; i++)
		if ((i == 8 || i == 13 || i == 18 || i == 23) ? s[i] != '-'
		    : !isxdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

/* ---- the worker ------------------------------------------------------------------------- */

static int
chain_load(const unsigned char *p, size_t n, STACK_OF(X509) **out, struct sp_errinfo *ei)
{
	X509 *x = NULL;
	size_t len;
	int r;

	if ((*out = sk_X509_new_null()) == NULL)
		return sp_err(ei, SP_ERR_NOMEM, "out of memory");
	while (n > 0) {
		if (n < 4 || (len = (size_t)p[0] << 24 | (size_t)p[1] << 16 | (size_t)p[2] << 8 |
			      p[3]) > n - 4 || sk_X509_num(*out) >= MAX_CHAIN)
			return sp_err(ei, SP_ERR_INTERNAL, "stored chain is malformed");
		if ((r = crypto_cert_parse(p + 4, len, &x, ei)) != SP_OK)
			return r;
		if (sk_X509_push(*out, x) <= 0) {
			X509_free(x);
			return sp_err(ei, SP_ERR_NOMEM, "out of memory");
		}
		p += 4 + len;
		n -= 4 + len;
	}
	return SP_OK;
}

/*
 * The new revision, checked again from its bytes: it opens as an undamaged
 * PDF with one more signed field than its base, and the signed attributes
 * rebuilt over the digest of its byte ranges are exactly the ones the token
 * signed (so the message digest covers this file).
 */
static int
revision_check(struct done_job *j, X509 *cert, enum crypto_sigalg alg, struct sp_errinfo *ei)
{
	struct pdf_doc *base = NULL, *doc = NULL;
	struct pdf_doc_info bi, ni;
	struct crypto_digest_ctx *dc = NULL;
	uint8_t d[CRYPTO_DIGEST_MAX], *attrs = NULL;
	size_t dlen = 0, alen = 0, end = j->contents_off + j->contents_len;
	int r = SP_ERR_INTERNAL;

	if ((r = pdf_doc_open(j->doc, j->orig_len, &base, ei)) != SP_OK ||
	    (r = pdf_doc_open(j->doc, j->doc_len, &doc, ei)) != SP_OK)
		goto out;
	pdf_doc_info_get(base, &bi);
	pdf_doc_info_get(doc, &ni);
	if (ni.damaged || ni.nsigned != bi.nsigned + 1) {
		r = sp_err_reason(ei, SP_ERR_PDF, "verification_failed",
				  "the signed revision does not read back as one more signature");
		goto out;
	}
	if ((r = crypto_digest_ctx_new(crypto_sigalg_digest(alg), &dc, ei)) != SP_OK ||
	    (r = crypto_digest_ctx_update(dc, j->doc, j->contents_off, ei)) != SP_OK ||
	    (r = crypto_digest_ctx_update(dc, j->doc + end, j->doc_len - end, ei)) != SP_OK ||
	    (r = crypto_digest_ctx_final(dc, d, &dlen, ei)) != SP_OK ||
	    (r = crypto_cms_signed_attrs(cert, alg, d, dlen, &attrs, &alen, ei)) != SP_OK)
		goto out;
	if (alen != j->attrs_len || memcmp(attrs, j->attrs, alen) != 0) {
		r = sp_err_reason(ei, SP_ERR_CRYPTO, "verification_failed",
				  "the signed revision's digest does not match what was signed");
		goto out;
	}
	r = SP_OK;
out:
	free(attrs);
	crypto_digest_ctx_free(dc);
	pdf_doc_free(doc);
	pdf_doc_free(base);
	return r;
}

/*
 * The whole new revision through the verification engine (DESIGN §6): the
 * new signature (the one whose range ends at the end of the file) must be
 * valid, with its timestamp, and no earlier signature may have become
 * invalid (an earlier one may be indeterminate, e.g. revocation unknown now).
 */
static int
engine_check(struct done_job *j, struct sp_errinfo *ei)
{
	struct crypto_verify_opts vo;
	struct crypto_verify_report *rep = NULL;
	const struct crypto_sig_report *s;
	size_t i, nnew = 0;
	int r = SP_ERR_INTERNAL;

	memset(&vo, 0, sizeof(vo));
	if ((r = server_trust_get(j->cfg, &vo.trust, ei)) != SP_OK ||
	    (r = tsa_provider_trust(j->cfg, &vo.ts_trust, ei)) != SP_OK ||
	    (r = crypto_pdf_verify(j->doc, j->doc_len, &vo, &rep, ei)) != SP_OK)
		goto out;
	for (i = 0; i < rep->nsigs; i++) {
		s = &rep->sigs[i];
		if (s->byte_range[2] + s->byte_range[3] == (long long)j->doc_len) {
			nnew++;
			if ((s->verdict != CRYPTO_VERDICT_VALID &&
			     s->verdict != CRYPTO_VERDICT_VALID_ALLOWED_CHANGES) || !s->has_timestamp) {
				r = sp_err(ei, SP_ERR_CRYPTO, "the new signature is %s: %s",
					   crypto_verdict_name(s->verdict), s->nreasons > 0
					   ? s->reasons[0] : "no timestamp");
				goto out;
			}
		} else if (s->verdict == CRYPTO_VERDICT_INVALID) {
			r = sp_err(ei, SP_ERR_CRYPTO, "earlier signature %s became invalid: %s",
				   s->field, s->nreasons > 0 ? s->reasons[0] : "invalid");
			goto out;
		}
	}
	if (nnew != 1) {
		r = sp_err(ei, SP_ERR_CRYPTO, "the new revision carries %zu signatures over the "
			   "whole file", nnew);
		goto out;
	}
	r = SP_OK;
out:
	crypto_verify_report_free(rep);
	return r;
}

static int
done_work(void *arg, struct sp_errinfo *ei)
{
	struct done_job *j = arg;
	enum crypto_sigalg alg, want;
	STACK_OF(X509) *chain = NULL;
	X509 *cert = NULL;
	uint8_t *tok = NULL, *cms = NULL, dig[32];
	size_t toklen = 0, cmslen = 0, dlen = 0;
	struct sp_errinfo vei;
	time_t gen = 0;
	int r = SP_ERR_INTERNAL;

	if ((r = crypto_cert_parse(j->cert, j->cert_len, &cert, ei)) != SP_OK ||
	    (r = chain_load(j->chain, j->chain_len, &chain, ei)) != SP_OK ||
	    (r = crypto_sigalg_for_cert(cert, &alg, ei)) != SP_OK)
		goto out;
	want = crypto_sigalg_from_name(j->alg);
	if (want != alg) {
		r = sp_err(ei, SP_ERR_INTERNAL, "stored algorithm does not fit the certificate");
		goto out;
	}
	/* Before anything else: a wrong value must change nothing. */
	if ((r = crypto_sig_verify(cert, alg, j->attrs, j->attrs_len, j->sig, j->siglen, ei))
	    != SP_OK)
		goto out;
	if ((r = tsa_provider_timestamp(j->cfg, j->sig, j->siglen, j->serial, &tok, &toklen,
					&gen, ei)) != SP_OK)
		goto out;
	if ((r = crypto_cms_assemble(cert, chain, j->attrs, j->attrs_len, j->sig, j->siglen, tok,
				     toklen, &cms, &cmslen, ei)) != SP_OK)
		goto out;
	if ((r = pdf_sig_fill(j->doc, j->doc_len, j->contents_off, j->contents_len, cms, cmslen,
			      ei)) != SP_OK)
		goto out;
	sp_errinfo_init(&vei);
	if (revision_check(j, cert, alg, &vei) != SP_OK || engine_check(j, &vei) != SP_OK) {
		/* Whatever failed, the answer is the same: the new revision is not good. */
		r = sp_err_reason(ei, SP_ERR_CRYPTO, "verification_failed",
				  "the signed revision failed verification: %s", vei.msg);
		goto out;
	}
	if ((r = crypto_digest(CRYPTO_DIGEST_SHA256, j->doc, j->doc_len, dig, &dlen, ei)) != SP_OK)
		goto out;
	sp_hex(dig, 32, j->sha_hex);
	snprintf(j->length, sizeof(j->length), "%zu", j->doc_len);
	snprintf(j->tsa_time, sizeof(j->tsa_time), "%lld", (long long)gen);
	r = SP_OK;
out:
	free(tok);
	free(cms);
	X509_free(cert);
	sk_X509_pop_free(chain, X509_free);
	return r;
}

/* ---- the loop side ------------------------------------------------------------------------ */

static void
done_stored(void *arg, const PGresult *res, const struct sp_errinfo *err)
{
	struct done_job *j = arg;
	struct request *r = j->r;

	done_job_free(j);
	if (signing_reply_failed(r, err))
		return;
	signing_reply_json(r, res, 200);
}

static void
done_done(void *arg, int rc, const struct sp_errinfo *ei)
{
	static const char sql[] =
		"SELECT signing_session_complete($1::uuid, $2::bigint, $3::bigint, $4::bytea, "
		"$5::bigint, $6, to_timestamp($7::bigint), NULL)::text";
	struct done_job *j = arg;
	struct request *r = j->r;
	struct db_param p[7];
	const char *reason = ei->reason;

	if (rc != SP_OK) {
		done_job_free(j);
		if (strcmp(reason, "bad_signature") == 0 || strcmp(reason, "alg_mismatch") == 0)
			request_problem(r, P_BAD_SIGNATURE,
					      "the signature value does not verify against the "
					      "certificate over to_be_signed; nothing was stored");
		else if (strncmp(reason, "ts_", 3) == 0 || strncmp(reason, "tsa_", 4) == 0 ||
			 rc == SP_ERR_TIMEOUT || rc == SP_ERR_UNAVAILABLE)
			request_problem(r, rc == SP_ERR_CONFIG ? P_TSA_NOT_CONFIGURED
							       : P_TIMESTAMP_FAILED, ei->msg);
		else if (strcmp(reason, "verification_failed") == 0) {
			/* Our own output failed our own check: an operator must look. */
			log_event(LOG_ERROR, request_id(r), "signed revision failed verification",
				  "{s:s}", "detail", ei->msg);
			request_problem(r, P_VERIFICATION_FAILED, ei->msg);
		}
		else
			request_reply_error(r, rc, ei);
		return;
	}
	memset(p, 0, sizeof(p));
	p[0].value = j->id;
	p[1].value = j->org;
	p[2].value = j->has_user ? j->user : NULL;
	p[3].value = (const char *)j->doc + j->orig_len;
	p[3].len = (int)(j->doc_len - j->orig_len);
	p[3].binary = 1;
	p[4].value = j->length;
	p[5].value = j->sha_hex;
	p[6].value = j->tsa_time;
	if ((rc = db_query_send(request_db(r), sql, 7, p, 0, 0, done_stored, j)) != SP_OK) {
		done_job_free(j);
		request_reply_error(r, rc, NULL);
	}
}

static uint64_t
be64(const char *p)
{
	const unsigned char *u = (const unsigned char *)p;
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = v << 8 | u[i];
	return v;
}

static int
col_copy(const PGresult *res, int c, unsigned char **out, size_t *len)
{
	int n = PQgetlength(res, 0, c);

	*out = malloc(n > 0 ? (size_t)n : 1);
	if (*out == NULL)
		return -1;
	memcpy(*out, PQgetvalue(res, 0, c), (size_t)n);
	*len = (size_t)n;
	return 0;
}

/* Columns of signing_session_claim, binary. */
enum { C_NUMBER, C_BASE, C_DOC, C_ORIG, C_COFF, C_CLEN, C_ATTRS, C_ALG, C_CHAIN, C_CERT,
       C_SERIAL, C_N };

static void
done_claimed(void *arg, const PGresult *res, const struct sp_errinfo *err)
{
	struct done_job *j = arg;
	struct request *r = j->r;
	int rc, c;

	if (signing_reply_failed(r, err)) {
		done_job_free(j);
		return;
	}
	for (c = 0; PQntuples(res) == 1 && PQnfields(res) == C_N && c < C_N; c++)
		if (PQgetisnull(res, 0, c))
			break;
	if (c != C_N || PQgetlength(res, 0, C_ORIG) != 8 || PQgetlength(res, 0, C_COFF) != 8 ||
	    PQgetlength(res, 0, C_CLEN) != 8 || PQgetlength(res, 0, C_SERIAL) != 8 ||
	    PQgetlength(res, 0, C_ALG) >= (int)sizeof(j->alg) ||
	    col_copy(res, C_DOC, &j->doc, &j->doc_len) != 0 ||
	    col_copy(res, C_ATTRS, &j->attrs, &j->attrs_len) != 0 ||
	    col_copy(res, C_CHAIN, &j->chain, &j->chain_len) != 0 ||
	    col_copy(res, C_CERT, &j->cert, &j->cert_len) != 0) {
		done_job_free(j);
		request_reply_error(r, SP_ERR_INTERNAL, NULL);
		return;
	}
	j->orig_len = (size_t)be64(PQgetvalue(res, 0, C_ORIG));
	j->contents_off = (size_t)be64(PQgetvalue(res, 0, C_COFF));
	j->contents_len = (size_t)be64(PQgetvalue(res, 0, C_CLEN));
	j->serial = be64(PQgetvalue(res, 0, C_SERIAL));
	memcpy(j->alg, PQgetvalue(res, 0, C_ALG), (size_t)PQgetlength(res, 0, C_ALG));
	if (j->orig_len >= j->doc_len || j->contents_off < j->orig_len ||
	    j->contents_len > j->doc_len - j->contents_off) {
		done_job_free(j);
		request_reply_error(r, SP_ERR_INTERNAL, NULL);
		return;
	}
	if ((rc = jobs_submit(request_jobs(r), done_work, done_done, j)) != SP_OK) {
		done_job_free(j);
		request_reply_error(r, rc, NULL);
	}
}

void
signing_complete_step(struct request *r, const struct principal *who)
{
	const char *id = request_param(r, "id");
	struct done_job *j = NULL;
	struct db_param p[2];
	json_t *doc = NULL, *v;
	int rc;

	if (!uuid_ok(id)) {
		request_problem(r, P_NOT_FOUND, "no such signing session");
		return;
	}
	if (request_json_body(r, &doc) != SP_OK)
		return; /* answered */
	v = json_object_get(doc, "signature");
	if ((j = calloc(1, sizeof(*j))) == NULL) {
		json_decref(doc);
		request_reply_error(r, SP_ERR_NOMEM, NULL);
		return;
	}
	if (!json_is_string(v) || sp_b64_decode(json_string_value(v), SIZE_MAX, CRYPTO_SIG_MAX, 0,
						 &j->sig, &j->siglen) != SP_OK || j->siglen == 0) {
		json_decref(doc);
		done_job_free(j);
		request_problem(r, P_INVALID,
				      "signature must be the token's signature value, base64");
		return;
	}
	json_decref(doc);
	j->r = r;
	j->cfg = request_config(r);
	snprintf(j->id, sizeof(j->id), "%s", id);
	snprintf(j->org, sizeof(j->org), "%lld", (long long)who->organization_id);
	snprintf(j->user, sizeof(j->user), "%lld", (long long)who->user_id);
	j->has_user = who->user_id > 0;
	memset(p, 0, sizeof(p));
	p[0].value = j->id;
	p[1].value = j->org;
	rc = db_query_send(request_db(r),
			   "SELECT contract_number, base_seq, document, orig_len, contents_off, "
			   "contents_len, signed_attrs, algorithm, chain, cert_der, tsa_serial "
			   "FROM signing_session_claim($1::uuid, $2::bigint)", 2, p, 1, 0,
			   done_claimed, j);
	if (rc != SP_OK) {
		done_job_free(j);
		request_reply_error(r, rc, NULL);
	}
}

static void
abort_done(void *arg, const PGresult *res, const struct sp_errinfo *err)
{
	struct request *r = arg;

	if (signing_reply_failed(r, err))
		return;
	signing_reply_json(r, res, 200);
}

void
signing_abort_step(struct request *r, const struct principal *who)
{
	const char *id = request_param(r, "id");
	struct db_param p[3];
	char org[24], user[24];
	int rc;

	if (!uuid_ok(id)) {
		request_problem(r, P_NOT_FOUND, "no such signing session");
		return;
	}
	snprintf(org, sizeof(org), "%lld", (long long)who->organization_id);
	snprintf(user, sizeof(user), "%lld", (long long)who->user_id);
	memset(p, 0, sizeof(p));
	p[0].value = id;
	p[1].value = org;
	p[2].value = who->user_id > 0 ? user : NULL;
	rc = db_query_send(request_db(r),
			   "SELECT signing_session_abort($1::uuid, $2::bigint, $3::bigint, NULL)::text",
			   3, p, 0, 0, abort_done, r);
	if (rc != SP_OK)
		request_reply_error(r, rc, NULL);
}
