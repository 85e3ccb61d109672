/*
 * signing_complete.c: steps 2-3 of DESIGN.md §5, and abort.
 *
 *   POST /api/v1/signing-sessions/{id}/complete {"signature": base64}
 *     -> 200 {"session", "seq", "sha256", "length", "timestamp", "contract"}
 *   DELETE /api/v1/signing-sessions/{id} -> 200 {"session", "state": "aborted"}
 *
 * Complete: one query authenticates the member and claims the session's
 * stored inputs and a TSA serial (db_signing_session_claim_auth; a bad
 * credential, then a used, aborted, expired or stale session fails there),
 * unless this process prepared the session for the same credential and
 * holds all of that (one_trip_start: then the claim's checks run in the
 * statement that stores, and any doubt takes this path after all); a
 * worker checks the token's signature against the certificate
 * (a wrong value is 422 and changes nothing: the session stays usable),
 * gets a checked RFC 3161 token over it (no token, no signature: it fails),
 * assembles the CMS, fills the placeholder and verifies the new revision;
 * one more call (db_signing_session_complete) stores the delta, marks the
 * party signed, consumes the session and appends the audit event; of two
 * concurrent completions of one session exactly one stores.
 *
 * This file is the loop side (the claim or the one trip, the store, the
 * reply); the worker's side is signing_done_work.c and signing_done_open.c,
 * the job they share signing_done.h.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "api.h"
#include "auth_int.h"
#include "config.h"
#include "crypto.h"
#include "pdf.h"
#include "http_int.h"
#include "signing_int.h"
#include "state.h"
#include "signing_done.h"
#include "verify_report.h"

/*
 * Whether this completion is the contract's last signature (every other
 * signer has signed): the claim's last_signer, or, in one trip, what
 * signing_session_create's statement said it would be (the statement that
 * stores compares it at B-LTA only: below, a signer who joined since makes
 * this a guess, which decides what the cache keeps, never what is stored).
 */
int
signers_done(const struct done_job *j)
{
	return j->one_trip ? j->kept.last_signer == 1 : j->s->last_signer != 0;
}

void
done_job_free(struct done_job *j)
{
	if (j == NULL)
		return;
	pdf_parsed_free(j->stored_parsed); /* before the bytes it reads (j->s) */
	pdf_parsed_free(j->spent_parsed);
	while (j->nspent_docs > 0)
		pdf_doc_free(j->spent_docs[--j->nspent_docs]);
	free(j->sig);
	free(j->report);
	free(j->report_index);
	free(j->refs_out);
	free(j->refs_packed);
	free(j->sigs_out);
	free(j->vri_out);
	free(j->dss_out);
	free(j->vri_memo);
	pdf_dss_cleanup(&j->dss_known);
	free(j->pages);
	free(j->revs);
	free(j->xm_signed);
	free(j->xm_ltv);
	crypto_digest_ctx_free(j->tail);
	db_signing_session_free(j->s); /* not the held buffer it may borrow */
	/* the held buffer's room, written but not kept: the next completion's */
	if (j->room)
		doc_cache_room_return(j->docs, j->held);
	doc_cache_release(j->docs, j->held);
	blob_cache_return(j->update_ref);
	crypto_digest_ctx_free(j->stored_ctx);
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

/* ---- the loop side ------------------------------------------------------------------------ */

/*
 * A parse of bytes nobody opens again (spent_parsed) and the views nobody
 * reads again (spent_docs), freed by a worker: the loop never runs qpdf's
 * teardown. When the pool takes no job (busy, stopping) they are freed
 * here after all. qpdf's teardown reads none of the bytes the parse was
 * made from (they are only wrapped, not owned or read), nor does
 * pdf_doc_free() read a view's borrowed bytes, so the document cache and
 * the job may release them meanwhile.
 */
struct spent {
	struct pdf_parsed *p;
	struct pdf_doc *docs[2];
	size_t ndocs;
};

static void
spent_free(struct spent *s)
{
	pdf_parsed_free(s->p);
	s->p = NULL;
	while (s->ndocs > 0)
		pdf_doc_free(s->docs[--s->ndocs]);
}

static int
spent_work(void *arg, struct sp_errinfo *ei)
{
	struct spent *s = arg;

	(void)ei;
	spent_free(s);
	return SP_OK;
}

static void
spent_done(void *arg, int rc, const struct sp_errinfo *ei)
{
	struct spent *s = arg;

	(void)rc;
	(void)ei;
	spent_free(s); /* the pool stopped before a worker took it */
	free(s);
}

/* j's spent parse and views into *t, taken from j (which keeps none) */
static void
spent_take(struct done_job *j, struct spent *t)
{
	memset(t, 0, sizeof(*t));
	t->p = j->spent_parsed;
	j->spent_parsed = NULL;
	for (; j->nspent_docs > 0 && t->ndocs < sizeof(t->docs) / sizeof(t->docs[0]); t->ndocs++)
		t->docs[t->ndocs] = j->spent_docs[--j->nspent_docs];
}

/* what spent_take() took, to a worker */
static void
spent_drop(struct jobs *pool, struct spent *t)
{
	struct spent *s;

	if (t->p == NULL && t->ndocs == 0)
		return;
	if (pool == NULL || (s = malloc(sizeof(*s))) == NULL) {
		spent_free(t);
		return;
	}
	*s = *t;
	if (jobs_submit(pool, spent_work, spent_done, s) != SP_OK) {
		spent_free(s);
		free(s);
	}
}

static void done_fallback(struct done_job *j);

static void
done_stored(void *arg, const char *text, size_t len, const struct sp_errinfo *err)
{
	struct done_job *j = arg;
	struct request *r = j->r;
	int minimal = j->minimal;
	struct jobs *pool = request_jobs(r);
	struct spent spent;

	/* dropped after the reply */
	spent_take(j, &spent);
	/* a check of the claim did not hold in the statement that stores: nothing changed,
	   and the claim's path answers */
	if (j->one_trip && err->code == SP_ERR_CONFLICT &&
	    strcmp(err->reason, "claim_needed") == 0) {
		spent_drop(pool, &spent);
		done_fallback(j);
		return;
	}
	if (j->one_trip && err->code == SP_OK)
		tsa_serials_outcome(request_tsa_serials(r), 1);

	/* stored: the next prepare and claim of the contract here start from these bytes,
	   and the next completion from the report stored with them; after the last
	   signature nobody opens them again, and they give way first (doc_cache.c) */
	if (err->code == SP_OK) {
		/* on the held buffer's room (done_join), or in a buffer of its own with room
		   after it for the next signers' updates (doc_keep), or without */
		int on_room = j->s->document_borrowed;

		doc_cache_put_room_take(j->docs, j->s->contract_number, j->s->base_seq + 1,
					j->s->document, j->s->document_len,
					on_room || j->doc_keep ? j->doc_cap : j->s->document_len,
					on_room ? j->held : NULL, j->sha_hex, j->stored_ctx,
					j->report, j->report_index, j->report_index_len,
					j->stored_parsed, !signers_done(j));
		if (on_room)
			j->room = 0;   /* the stored entry's now, kept or given back */
		j->s->document = NULL; /* transferred */
		j->s->document_borrowed = 0;
		j->stored_ctx = NULL;
		j->report = NULL;
		j->report_index = NULL;
		j->stored_parsed = NULL;
	}
	done_job_free(j);
	if (err->code != SP_OK)
		request_reply_error(r, err->code, err);
	else {
		if (minimal)
			request_header_add(r, "Preference-Applied", "return=minimal");
		request_reply_json_text(r, 200, text, len);
	}
	spent_drop(pool, &spent);
}

static void
done_done(void *arg, int rc, const struct sp_errinfo *ei)
{
	struct done_job *j = arg;
	struct request *r = j->r;
	struct db_signed_revision rev;
	struct db_actor who;
	const char *reason = ei->reason;

	/* whatever failed, the claim's path does it again and answers: its checks come
	   first there (a used or expired session is told so, not a bad signature) */
	if (rc != SP_OK && j->one_trip) {
		done_fallback(j);
		return;
	}
	if (rc != SP_OK) {
		done_job_free(j);
		if (strcmp(reason, "bad_signature") == 0 || strcmp(reason, "alg_mismatch") == 0)
			request_problem(r, P_BAD_SIGNATURE,
					"the signature value does not verify against the "
					"certificate over to_be_signed; nothing was stored");
		else if (strncmp(reason, "ts_", 3) == 0 || strncmp(reason, "tsa_", 4) == 0 ||
			 rc == SP_ERR_TIMEOUT || rc == SP_ERR_UNAVAILABLE)
			request_problem_upstream(r,
						 rc == SP_ERR_CONFIG ? P_TSA_NOT_CONFIGURED
								     : P_TIMESTAMP_FAILED,
						 ei);
		else if (strcmp(reason, "verification_failed") == 0) {
			/* Our own output failed our own check: an operator must look. */
			log_event(LOG_ERROR, request_id(r), "signed revision failed verification",
				  "{s:s}", "detail", ei->msg);
			request_problem(r, P_VERIFICATION_FAILED, ei->msg);
		} else
			request_reply_error(r, rc, ei);
		return;
	}
	if (j->ltv_err[0])
		log_event(LOG_WARN, request_id(r), "long-term validation data not added", "{s:s}",
			  "detail", j->ltv_err);
	memset(&rev, 0, sizeof(rev));
	rev.delta = j->s->document + j->s->orig_len;
	rev.delta_len = j->s->document_len - j->s->orig_len;
	rev.length = j->s->document_len;
	rev.sha256_hex = j->sha_hex;
	rev.tsa_time = j->tsa_time;
	rev.archive_until = j->archive_until;
	rev.signed_length = j->signed_len;
	rev.verification = j->report;
	rev.refs = j->refs_packed;
	rev.refs_len = j->refs_packed_len;
	if (j->refs_from == DONE_REFS_STORED || j->refs_from == DONE_REFS_REFUSED)
		request_refs_stored_count(r, j->refs_from == DONE_REFS_STORED);
	/* stored with the base by an earlier completion, and not for its bytes: an edit */
	if (j->refs_from == DONE_REFS_REFUSED)
		log_event(LOG_WARN, request_id(r), "the base's stored references were refused",
			  "{s:i}", "seq", j->s->base_seq);
	signing_actor_fill(&who, r, j->org_id, j->user_id);
	if (j->one_trip) {
		struct db_session_held h;

		memset(&h, 0, sizeof(h));
		h.token_hash = j->token_hash;
		h.contract_number = j->s->contract_number;
		h.base_seq = j->s->base_seq;
		h.base_len = j->held->len;
		h.base_sha256_hex = j->held->sha256_hex;
		h.report_len = j->held->report != NULL ? j->held->report_len : 0;
		h.last_signer = j->level >= 2 ? j->s->last_signer : -1;
		rc = db_signing_session_complete_held(request_db(r), j->id, &h, &who, &rev,
						      j->minimal, done_stored, j);
	} else {
		rc = db_signing_session_complete(request_db(r), j->id, &who, &rev, j->minimal,
						 done_stored, j);
	}
	if (rc != SP_OK) {
		done_job_free(j);
		request_reply_error(r, rc, NULL);
	}
}

static void
done_claimed(void *arg, struct db_signing_session *s, const struct sp_errinfo *err)
{
	struct done_job *j = arg;
	struct request *r = j->r;
	int rc, authed;

	if (err->code != SP_OK) {
		authed = j->authed;
		done_job_free(j);
		if (authed && auth_reply_credential(r, err))
			return;
		request_reply_error(r, err->code, err);
		return;
	}
	j->s = s;
	/* the claim copied the update it left out into s->document */
	blob_cache_return(j->update_ref);
	j->update_ref = NULL;
	j->update = NULL;
	j->have_kept = 0;
	if (signing_held_check(j->docs, &j->held, s->from_seq, s->held_len, s->held_sha256) !=
	    SP_OK) {
		done_job_free(j);
		request_reply_error(r, SP_ERR_INTERNAL, NULL);
		return;
	}
	if (j->authed) {
		j->org_id = s->cred.organization_id;
		j->user_id = s->cred.user_id;
		request_caller_set(r, j->org_id, j->user_id);
	}
	if ((rc = request_jobs_submit(r, done_work, done_done, j)) != SP_OK) {
		done_job_free(j);
		request_reply_error(r, rc, NULL);
	}
}

/* The session's update, when a prepare here kept it: lent to the claim; and the rest
   of what that prepare kept (j->kept). */
static void
update_borrow(struct done_job *j, struct blob_cache *c)
{
	uint8_t key[32];
	const uint8_t *rec = NULL;
	size_t len = 0;

	j->update = NULL;
	j->update_len = 0;
	j->update_ref = NULL;
	j->have_kept = 0;
	if (c == NULL || signing_update_key(j->id, key) != 0 ||
	    blob_cache_borrow(c, key, &rec, &len, &j->update_ref) != SP_OK)
		return;
	if (signing_kept_read(rec, len, &j->kept) != 0) {
		blob_cache_return(j->update_ref);
		j->update_ref = NULL;
		return;
	}
	j->have_kept = 1;
	j->update = j->kept.update;
	j->update_len = j->kept.update_len;
}

/*
 * The request's own checks before any database work: the session id and a
 * JSON body with the signature. With reply 0 a failure is not answered (the
 * caller authenticates first and asks again).
 */
static int
done_parse(struct request *r, int reply, struct done_job **out)
{
	const char *id = request_param(r, "id");
	struct done_job *j = NULL;
	json_t *doc = NULL, *v;

	*out = NULL;
	if (!uuid_ok(id)) {
		if (reply)
			request_problem(r, P_NOT_FOUND, "no such signing session");
		return SP_ERR_NOT_FOUND;
	}
	if ((reply ? request_json_body(r, &doc) : request_json_body_peek(r, &doc)) != SP_OK)
		return SP_ERR_INVALID; /* answered when reply */
	v = json_object_get(doc, "signature");
	if ((j = calloc(1, sizeof(*j))) == NULL) {
		json_decref(doc);
		if (reply)
			request_reply_error(r, SP_ERR_NOMEM, NULL);
		return SP_ERR_NOMEM;
	}
	if (!json_is_string(v) ||
	    sp_b64_decode(json_string_value(v), SIZE_MAX, CRYPTO_SIG_MAX, 0, &j->sig, &j->siglen) !=
		    SP_OK ||
	    j->siglen == 0) {
		json_decref(doc);
		done_job_free(j);
		if (reply)
			request_problem(r, P_INVALID,
					"signature must be the token's signature value, base64");
		return SP_ERR_INVALID;
	}
	json_decref(doc);
	j->r = r;
	j->minimal = request_prefers_minimal(r);
	j->trust = request_trust(r);
	j->tsa = request_tsa(r);
	j->max_work = (unsigned long long)request_config(r)->server.max_verify_work;
	j->refs_cache = request_revision_refs(r);
	j->reads_cache = request_revision_reads(r);
	j->level = ltv_level_code(request_config(r)->signing.level);
	snprintf(j->id, sizeof(j->id), "%s", id);
	j->docs = request_documents(r);
	j->held = signing_session_held(j->docs, j->id);
	update_borrow(j, request_session_updates(r));
	*out = j;
	return SP_OK;
}

/* The claim's held revision and update (NULL: neither); loop thread. */
static const struct db_doc_held *
claim_held(const struct done_job *j, struct db_doc_held *out)
{
	return signing_update_held(signing_held(j->held, out), out, j->update, j->update_len);
}

/*
 * The claim's path after a completion in one trip did not store: the
 * statement found a check of the claim not holding (nothing changed), or
 * the work failed. The request starts over as if it had just come: its
 * body parsed again (it was once), then the claim with the credential's
 * hash, which answers as it always does, in its order (a revoked
 * credential, a used, aborted or expired session, a newer revision, another
 * organization), and else takes a fresh TSA serial for the work done again.
 */
static void
done_fallback(struct done_job *j)
{
	struct request *r = j->r;
	struct db_doc_held held;
	struct done_job *nj;
	char hash[65];
	int rc;

	memcpy(hash, j->token_hash, sizeof(hash));
	tsa_serials_outcome(request_tsa_serials(r), 0);
	done_job_free(j);
	if (request_is_gone(r)) {
		request_reply_error(r, SP_ERR_UNAVAILABLE,
				    NULL); /* nobody to answer: nothing more */
		return;
	}
	if ((rc = done_parse(r, 0, &nj)) != SP_OK) {
		request_reply_error(r, rc == SP_ERR_NOMEM ? rc : SP_ERR_INTERNAL, NULL);
		return;
	}
	nj->authed = 1;
	rc = db_signing_session_claim_auth(request_db(r), hash, nj->id, claim_held(nj, &held),
					   done_claimed, nj);
	if (rc != SP_OK) {
		done_job_free(nj);
		request_reply_error(r, rc, NULL);
	}
}

/*
 * The completion without its claim (migration 035), when the prepare of
 * this session ran here for the very credential presented (compared in
 * constant time) and this process holds all the claim would return: the
 * session's columns as that prepare wrote them (j->kept; written once, 034
 * and 035's triggers), the base revision it extended (the document cache's
 * entry of that seq and length, whose stored SHA-256 and report length the
 * statement compares), the claim's last_signer as signing_session_create's
 * statement said it (at B-LTA it decides done_ltv's archive timestamp; the
 * statement compares it too; below, nothing reads it), and TSA serials
 * reserved ahead (state.h tsa_serials) for the claim's nextval (two for a
 * last signer's B-LTA, as the claim takes). The work runs at once;
 * signing_session_complete_held then checks in the statement that stores
 * what the claim would have checked, and the completion's own checks under
 * its locks follow as always. So what is
 * stored, its audit events and the reply are the ones the claim's path
 * gives; on any doubt (a check, the work failing) that path runs from the
 * start (done_fallback) and answers. 1: started; 0: take the claim's path.
 */
static int
one_trip_start(struct done_job *j, const char hash[65])
{
	struct request *r = j->r;
	const struct signing_kept *k = &j->kept;
	struct db_signing_session *s;
	uint64_t serial = 0, archive = 0;
	int archiving = j->level >= 2 && k->last_signer == 1;
	size_t total;

	if (!j->have_kept || k->token_hash[0] == '\0' || (j->level >= 2 && k->last_signer < 0) ||
	    j->held == NULL || j->held->seq != k->base_seq || j->held->len != k->orig_len ||
	    k->contract_number != j->held->number || !sp_secret_equal(k->token_hash, hash, 64))
		return 0;
	/* a signed base's report known here (NULL is "not known", not "none"): the
	   statement compares its length with the stored one's */
	if (k->base_seq > 0 && j->held->report == NULL)
		return 0;
	/* the placeholder lies in the update, as the claim's decode checks */
	total = k->orig_len + k->update_len;
	if (k->contents_off < k->orig_len || k->contents_off > total ||
	    k->contents_len > total - k->contents_off ||
	    strlen(k->algorithm) >= sizeof(s->algorithm))
		return 0;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return 0;
	if ((s->document = malloc(k->update_len)) == NULL ||
	    (s->signed_attrs = malloc(k->signed_attrs_len + 1)) == NULL ||
	    (s->chain = malloc(k->chain_len + 1)) == NULL ||
	    (s->cert_der = malloc(k->cert_len + 1)) == NULL ||
	    tsa_serials_take(request_tsa_serials(r), request_db(r), &serial) != SP_OK ||
	    (archiving &&
	     tsa_serials_take(request_tsa_serials(r), request_db(r), &archive) != SP_OK)) {
		db_signing_session_free(s);
		return 0;
	}
	memcpy(s->id, j->id, sizeof(s->id));
	s->contract_number = k->contract_number;
	s->base_seq = k->base_seq;
	/* the update after the held base, joined with it on the worker (done_work) */
	memcpy(s->document, k->update, k->update_len);
	s->document_len = k->update_len;
	s->orig_len = k->orig_len;
	s->from_seq = j->held->seq;
	s->held_len = j->held->len;
	memcpy(s->held_sha256, j->held->sha256_hex, sizeof(s->held_sha256));
	s->contents_off = k->contents_off;
	s->contents_len = k->contents_len;
	memcpy(s->signed_attrs, k->signed_attrs, k->signed_attrs_len);
	s->signed_attrs_len = k->signed_attrs_len;
	snprintf(s->algorithm, sizeof(s->algorithm), "%s", k->algorithm);
	memcpy(s->chain, k->chain, k->chain_len);
	s->chain_len = k->chain_len;
	memcpy(s->cert_der, k->cert_der, k->cert_len);
	s->cert_len = k->cert_len;
	s->tsa_serial = serial;
	s->last_signer = archiving; /* below B-LTA nothing reads it */
	s->signers_left = k->signers_left;
	s->archive_serial = archive;
	/* the base's report as held (engine_check); the statement compares its length */
	s->base_verification_held = j->held->report != NULL;
	s->update_held = 1;
	j->s = s;
	j->one_trip = 1;
	memcpy(j->token_hash, hash, sizeof(j->token_hash));
	j->org_id = k->org_id;
	j->user_id = k->user_id;
	request_caller_set(r, j->org_id, j->user_id);
	/* copied: the record goes back to the cache */
	blob_cache_return(j->update_ref);
	j->update_ref = NULL;
	j->update = NULL;
	j->have_kept = 0;
	if (request_jobs_submit(r, done_work, done_done, j) != SP_OK)
		done_fallback(j); /* the claim's path answers, in its order */
	return 1;
}

void
signing_complete_step(struct request *r, const struct principal *who)
{
	struct db_doc_held held;
	struct done_job *j;
	int rc;

	if (done_parse(r, 1, &j) != SP_OK)
		return; /* answered */
	j->org_id = who->organization_id;
	j->user_id = who->user_id;
	rc = db_signing_session_claim(request_db(r), j->id, who->organization_id,
				      claim_held(j, &held), done_claimed, j);
	if (rc != SP_OK) {
		done_job_free(j);
		request_reply_error(r, rc, NULL);
	}
}

/*
 * One trip in: a member's bearer token is checked by the statement that
 * claims the session (db_signing_session_claim_auth), for its organization.
 * Anything else takes auth_then() first, which answers in the usual order.
 */
void
signing_complete_post(struct request *r)
{
	struct db_doc_held held;
	struct done_job *j;
	char hash[65];
	int rc;

	if (auth_member_hash(r, hash) != SP_OK || done_parse(r, 0, &j) != SP_OK) {
		auth_then(r, PRINCIPAL_MEMBER, signing_complete_step);
		return;
	}
	j->authed = 1;
	if (one_trip_start(j, hash))
		return;
	rc = db_signing_session_claim_auth(request_db(r), hash, j->id, claim_held(j, &held),
					   done_claimed, j);
	if (rc != SP_OK) {
		done_job_free(j);
		request_reply_error(r, rc, NULL);
	}
}

static void
abort_done(void *arg, const char *text, size_t len, const struct sp_errinfo *err)
{
	struct request *r = arg;

	if (err->code != SP_OK) {
		request_reply_error(r, err->code, err);
		return;
	}
	request_reply_json_text(r, 200, text, len);
}

void
signing_abort_step(struct request *r, const struct principal *who)
{
	const char *id = request_param(r, "id");
	struct db_actor actor;
	int rc;

	if (!uuid_ok(id)) {
		request_problem(r, P_NOT_FOUND, "no such signing session");
		return;
	}
	signing_actor_fill(&actor, r, who->organization_id, who->user_id);
	rc = db_signing_session_abort(request_db(r), id, &actor, abort_done, r);
	if (rc != SP_OK)
		request_reply_error(r, rc, NULL);
}
