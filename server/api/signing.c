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
 *
 * Here: the loop side (parsing, the load or the one-trip try, storing, the
 * reply). The request body's parsing is signing_body.c, the worker's part
 * signing_work.c, the job both sides share signing_prep.h.
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
prep_stored(void *arg, const char *text, size_t len, int signers_left, const struct sp_errinfo *err)
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
	signing_session_keep(j->updates, text, end, j->kept, j->kept_len, signers_left);
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
	return request_jobs_submit(r, signing_prep_work, prep_done, j);
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
	j->again = json_incref(j->doc); /* signing_prep_work takes j->doc */
	sp_errinfo_init(&ei);
	if (prep_start(j, &ei) != SP_OK) {
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

	*out = NULL;
	if (snowflake_parse(request_param(r, "number"), &n) != SP_OK) {
		if (reply)
			request_problem(r, P_NOT_FOUND, "no such contract");
		return SP_ERR_NOT_FOUND;
	}
	if (request_body(r, &body, &len) != SP_OK) {
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
	/* a key twice is refused as on every other route (request_json_body): what a
	   proxy or log read first is not what would be signed (sec37) */
	j->doc = json_loadb((const char *)body, len, JSON_REJECT_DUPLICATES, &je);
	if (j->doc == NULL || !json_is_object(j->doc)) {
		if (reply)
			request_problem(r, P_MALFORMED_JSON,
					j->doc == NULL ? je.text
						       : "the body must be a JSON object");
		prep_job_free(j);
		return SP_ERR_INVALID;
	}
	sp_errinfo_init(&ei);
	if (signing_placements_seal(j->doc, &j->seal_id, &ei) != SP_OK) {
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
	j->refs = request_revision_refs(r);
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
