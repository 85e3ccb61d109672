/*
 * verification.c: PDF signature verification over HTTP, with the engine of
 * crypto/ (crypto_pdf_verify) on the worker pool:
 *
 *   POST /api/v1/verify                         any PDF (application/pdf), no login
 *   GET  /api/v1/contracts/{number}/verification  the latest revision of a contract
 *        [?fresh=true]
 *
 * A contract's revision carries the report completion built when it stored
 * it (db/ 012): that report is the answer, unless the file has grown since
 * or the caller asks for fresh=true, a verification of the whole file
 * against the server's trust as it is now (new roots, revocations).
 *
 * Both answer 200 with the JSON report of api/verify_report.c whatever the
 * verdict (a report on an invalid signature is a successful verification);
 * a body that is not a readable PDF gets 422. The anonymous route is capped
 * by the upload size and by a per-IP rate limit kept in memory (the serving
 * process's request_verify_limiter()): it protects the workers from abuse,
 * it is not state worth sharing between processes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api.h"
#include "auth_int.h"
#include "config.h"
#include "contracts_int.h"
#include "crypto.h"
#include "signing_int.h"
#include "verify_report.h"

#define VERIFY_REPORT_MAX (4 * 1024 * 1024)

/* ---- the job ---- */

struct vjob {
	struct request *r;          /* answered by done(); never touched by work() */
	struct crypto_trust *trust; /* the process's (NULL: none); outlives the jobs */
	const struct tsa_provider *tsa;
	unsigned char *pdf;
	size_t len;
	unsigned char *json; /* the report (work's result) */
	size_t jsonlen;
	json_t *trust_used;          /* what the report says it was verified against (owned) */
	char *seals;                 /* a contract's {"<revision length>": seal} (db), or NULL */
	char *stored;                /* the report stored with the revision (db), or NULL: verify */
	int outside;                 /* a file from outside (POST /verify), not a stored revision */
	unsigned long long max_work; /* server.max_verify_work */
};

static void
vjob_free(struct vjob *j)
{
	if (!j)
		return;
	free(j->pdf);
	free(j->json);
	json_decref(j->trust_used);
	free(j->seals);
	free(j->stored);
	free(j);
}

/*
 * The same file can be judged differently against different trust (the
 * terminal's `sealpact verify` uses the files it is given): the report says
 * which trust the server used, by count only (its file names are its own).
 */
static json_t *
trust_used_new(const struct config *cfg)
{
	return json_pack("{s:s,s:i,s:i,s:i,s:b,s:s}", "source", "server", "roots",
			 (int)cfg->trust.nroots, "intermediates", (int)cfg->trust.nintermediates,
			 "crls", (int)cfg->trust.ncrls, "ocsp", cfg->trust.ocsp, "note",
			 "the server's configured trust.roots and trust.intermediates, and the "
			 "CA certificates embedded in the signature");
}

/* Where a signature's byte range ends (-1 without one). */
static long long
range_end(json_t *sig)
{
	json_t *br = json_object_get(sig, "byte_range");

	if (json_array_size(br) != 4)
		return -1;
	return (long long)(json_integer_value(json_array_get(br, 2)) +
			   json_integer_value(json_array_get(br, 3)));
}

/*
 * A contract's signatures with the seal each shows. The database recorded
 * the seal of each signed revision, keyed by the revision's length; a stored
 * revision ends with its signature, or after it with the DSS and document
 * timestamp that completion appends (PAdES B-LT/B-LTA). So a signature's
 * revision is the first one that ends at or after its byte range, unless
 * another signature ends in between (then that length is that one's: each
 * stored revision carries one party's signature).
 */
static void
seals_add(json_t *doc, const char *seals_text)
{
	json_t *seals = json_loads(seals_text, 0, NULL), *sigs = json_object_get(doc, "signatures");
	json_t *sig, *other, *seal, *best;
	const char *key;
	long long end, k, bestk, e2;
	size_t i, m;

	json_array_foreach(sigs, i, sig)
	{
		best = NULL;
		bestk = -1;
		end = range_end(sig);
		if (end >= 0 && !json_is_true(json_object_get(sig, "doc_timestamp")))
			json_object_foreach(seals, key, seal)
			{
				k = strtoll(key, NULL, 10);
				if (k >= end && (bestk < 0 || k < bestk)) {
					bestk = k;
					best = seal;
				}
			}
		json_array_foreach(sigs, m, other)
		{
			e2 = range_end(other);
			if (best != NULL && m != i &&
			    !json_is_true(json_object_get(other, "doc_timestamp")) && e2 > end &&
			    e2 <= bestk)
				best = NULL;
		}
		json_object_set(sig, "seal", best != NULL ? best : json_null());
	}
	json_decref(seals);
}

static int
trust_used_add(struct vjob *j, struct sp_errinfo *ei)
{
	json_t *doc = json_loadb((const char *)j->json, j->jsonlen, 0, NULL);
	char *text = NULL;

	if (doc != NULL && j->seals != NULL)
		seals_add(doc, j->seals);
	if (doc == NULL || !json_is_object(doc) ||
	    json_object_set(doc, "trust", j->trust_used) != 0 ||
	    (text = json_dumps(doc, JSON_COMPACT)) == NULL) {
		json_decref(doc);
		return sp_err(ei, SP_ERR_NOMEM, "out of memory");
	}
	json_decref(doc);
	free(j->json);
	j->json = (unsigned char *)text;
	j->jsonlen = strlen(text);
	return SP_OK;
}

/*
 * The stored report when it is about this very file (its size is the
 * file's: revisions only grow, so the same size is the same bytes). Its
 * text becomes the job's result.
 */
static int
stored_take(struct vjob *j)
{
	json_t *doc;
	int same;

	if (j->stored == NULL)
		return 0;
	doc = json_loads(j->stored, 0, NULL);
	same = json_is_object(doc) &&
	       json_integer_value(json_object_get(doc, "size")) == (json_int_t)j->len;
	json_decref(doc);
	if (!same)
		return 0;
	j->json = (unsigned char *)j->stored;
	j->jsonlen = strlen(j->stored);
	j->stored = NULL; /* transferred */
	return 1;
}

static int
verify_work(void *arg, struct sp_errinfo *ei)
{
	struct vjob *j = arg;
	struct crypto_verify_report *rep = NULL;
	struct crypto_verify_opts o = { 0 };
	struct sp_errinfo tei;
	char *text = NULL;
	int r = SP_ERR_INTERNAL;

	sp_errinfo_init(&tei);
	if (stored_take(j))
		return trust_used_add(j, ei);
	/* verify everything: no verified_len, no documents opened before */
	memset(&o, 0, sizeof(o));
	/* without configured roots every chain is reported untrusted (indeterminate) */
	o.trust = j->trust;
	o.max_work = j->max_work;
	/* the signing protocol's TSA store (tsa.trust, else trust.roots[0]); NULL: trust's roots */
	if (tsa_provider_trust(j->tsa, &o.ts_trust, &tei) != SP_OK)
		o.ts_trust = NULL;
	/* a file from outside is within the parser's caps before qpdf reads it (a
	   stored revision was checked when it was uploaded) */
	if ((j->outside && (r = pdf_bytes_check(j->pdf, j->len, ei)) != SP_OK) ||
	    (r = crypto_pdf_verify(j->pdf, j->len, &o, &rep, ei)) != SP_OK)
		goto out;
	if ((r = verify_report_text(rep, VERIFY_REPORT_MAX, &text, &j->jsonlen)) != SP_OK) {
		r = sp_err(ei, r,
			   r == SP_ERR_TOO_LARGE ? "the verification report is too large"
						 : "out of memory");
		goto out;
	}
	j->json = (unsigned char *)text;
	if ((r = trust_used_add(j, ei)) != SP_OK)
		goto out;
	r = SP_OK;
out:
	crypto_verify_report_free(rep);
	return r;
}

static void
verify_done(void *arg, int rc, const struct sp_errinfo *ei)
{
	struct vjob *j = arg;

	if (rc == SP_OK) {
		request_reply_data(j->r, 200, "application/json", j->json, j->jsonlen);
	} else {
		request_reply_job_error(j->r, rc, ei, P_PDF_UNREADABLE);
	}
	vjob_free(j);
}

/*
 * Queue the verification of *pdf (malloc'd, len bytes), taking it: *pdf is
 * NULL afterwards, whatever happens. Answers r in every case.
 */
static void
verify_submit_take(struct request *r, unsigned char **pdf, size_t len, char **seals, char **stored)
{
	struct vjob *j = calloc(1, sizeof(*j));
	int rc;

	if (!j) {
		free(*pdf);
		*pdf = NULL;
		if (seals != NULL) {
			free(*seals);
			*seals = NULL;
		}
		if (stored != NULL) {
			free(*stored);
			*stored = NULL;
		}
		request_reply_error(r, SP_ERR_NOMEM, NULL);
		return;
	}
	j->pdf = *pdf;
	*pdf = NULL; /* transferred */
	if (seals != NULL) {
		j->seals = *seals;
		*seals = NULL; /* transferred */
	}
	if (stored != NULL) {
		j->stored = *stored;
		*stored = NULL; /* transferred */
	}
	j->len = len;
	j->outside = seals == NULL;
	j->r = r;
	j->trust = request_trust(r);
	j->tsa = request_tsa(r);
	j->max_work = (unsigned long long)request_config(r)->server.max_verify_work;
	if ((j->trust_used = trust_used_new(request_config(r))) == NULL) {
		vjob_free(j);
		request_reply_error(r, SP_ERR_NOMEM, NULL);
		return;
	}
	if ((rc = request_jobs_submit(r, verify_work, verify_done, j)) != SP_OK) {
		vjob_free(j);
		if (rc == SP_ERR_RATE_LIMITED)
			request_reply_error(r, rc, NULL);
		else
			request_problem(r, P_BUSY, "the verification workers are busy");
	}
}

void
verification_upload_post(struct request *r)
{
	const char *ct = request_header(r, "Content-Type");
	const unsigned char *body;
	unsigned char *copy;
	size_t len;

	if (request_rate_limited(r, request_verify_limiter(r),
				 "too many verifications from this address; retry in a minute"))
		return;
	if (!ct || strncasecmp(ct, "application/pdf", 15) != 0) {
		request_problem(r, P_UNSUPPORTED_MEDIA_TYPE,
				"send the PDF as the body with Content-Type application/pdf");
		return;
	}
	if (request_body(r, &body, &len) != SP_OK) {
		request_reply_error(r, SP_ERR_UNAVAILABLE, NULL);
		return;
	}
	if (len == 0) {
		request_problem(r, P_EMPTY_BODY, "no PDF in the body");
		return;
	}
	if ((copy = malloc(len)) == NULL) {
		request_reply_error(r, SP_ERR_NOMEM, NULL);
		return;
	}
	memcpy(copy, body, len);
	verify_submit_take(r, &copy, len, NULL, NULL);
}

/* ---- a contract's latest revision ---- */

/* The contract's load: the stored document this process holds of it (state.h doc_cache). */
struct contract_load {
	struct request *r;
	struct doc_cache *docs;
	const struct doc_cached *held;
};

/*
 * The document's bytes go to the job as they are: no copy of a large file;
 * when the load sent only what follows the revision this process holds,
 * the two are put together first (one copy, instead of receiving it all).
 */
static void
contract_doc_done(void *arg, struct db_revision_doc *doc, const struct sp_errinfo *err)
{
	struct contract_load *l = arg;
	struct request *r = l->r;
	const char *fresh = request_query(r, "fresh");
	int rc = SP_OK;

	if (err->code == SP_OK &&
	    ((rc = signing_held_check(l->docs, &l->held, doc->from_seq, doc->held_len,
				      doc->held_sha256)) != SP_OK ||
	     (doc->from_seq >= 0 &&
	      (rc = db_revision_doc_join(doc, l->held->data, l->held->len)) != SP_OK))) {
		doc_cache_release(l->docs, l->held);
		free(l);
		db_revision_doc_free(doc);
		request_reply_error(r, rc, NULL);
		return;
	}
	doc_cache_release(l->docs, l->held);
	free(l);
	if (err->code != SP_OK) {
		request_reply_error(r, err->code, err);
		return;
	}
	/* fresh=true: verify the file whatever was stored */
	if (fresh != NULL && strcmp(fresh, "true") == 0) {
		free(doc->verification);
		doc->verification = NULL;
	}
	verify_submit_take(r, &doc->data, doc->len, &doc->seal_info, &doc->verification);
	db_revision_doc_free(doc);
}

static void
contract_step(struct request *r, const struct principal *who)
{
	struct contract_load *l;
	struct db_doc_held held;
	int64_t n;
	int rc;

	const char *fresh = request_query(r, "fresh");

	if (!wf_path_number(r, &n))
		return; /* answered */
	if (fresh != NULL && strcmp(fresh, "true") != 0 && strcmp(fresh, "false") != 0) {
		request_problem(r, P_INVALID, "fresh must be true or false");
		return;
	}
	if ((l = calloc(1, sizeof(*l))) == NULL) {
		request_reply_error(r, SP_ERR_NOMEM, NULL);
		return;
	}
	l->r = r;
	l->docs = request_documents(r);
	l->held = doc_cache_get(l->docs, n);
	rc = db_verification_document_load(request_db(r), n, who->organization_id,
					   signing_held(l->held, &held), contract_doc_done, l);
	if (rc != SP_OK) {
		doc_cache_release(l->docs, l->held);
		free(l);
		request_reply_error(r, rc, NULL);
	}
}

void
verification_contract_get(struct request *r)
{
	auth_then(r, PRINCIPAL_ORG, contract_step);
}
