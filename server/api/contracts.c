/*
 * contracts.c: drafts (create, edit, delete), detail and the workflow
 * transitions (documents and audit verification: documents.c). Every state
 * change is one typed call of db/contracts.c (one SQL function of
 * migrations/, which checks the caller's organization, role, the current
 * state and whose turn it is under row locks, and records the caller's
 * address and User-Agent in the audit event).
 *
 * Create: POST /api/v1/contracts with a JSON body
 *   {"name", "business_type"?, "deadline"? (RFC 3339), "parties"?: [{"credit_code",
 *    "name"? (needed for an organization not registered yet), "role": "signer"|"cc",
 *    "routing_order"?}], "pdf_base64"}
 * JSON keeps one body format for the API and the CLI; the route takes upload-
 * sized bodies, and parsing, base64 and the qpdf rewrite run on the worker pool.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api.h"
#include "config.h"
#include "contracts_int.h"
#include "crypto.h"
#include "http_int.h"
#include "pdf.h"
#include "signing_int.h"

/* The routing orders migrations/001_initial.sql accepts. */
#define PARTY_ORDER_MAX 1000

/*
 * The deadline member of doc into *out (NULL when absent or null): an RFC
 * 3339 time with a zone, in the future and at most WF_DEADLINE_MAX_YEARS
 * ahead. The database would also take "tomorrow" or "infinity".
 */
static int
deadline_get(json_t *doc, char **out, struct sp_errinfo *ei)
{
	json_t *v = json_object_get(doc, "deadline");
	int64_t t, now = (int64_t)time(NULL);
	const char *why = "not a string";

	*out = NULL;
	if (v == NULL || json_is_null(v))
		return SP_OK;
	if (!json_is_string(v) || sp_time_parse(json_string_value(v), &t, &why) != SP_OK)
		return sp_err_reason(ei, SP_ERR_INVALID, "invalid",
				     "deadline must be an RFC 3339 time with a zone, such as "
				     "2026-12-31T18:00:00+08:00; it is %s",
				     why);
	if (t <= now || t > now + (int64_t)WF_DEADLINE_MAX_YEARS * 366 * 86400)
		return sp_err_reason(ei, SP_ERR_INVALID, "invalid",
				     "deadline must be in the future and at most %d years ahead",
				     WF_DEADLINE_MAX_YEARS);
	if ((*out = strdup(json_string_value(v))) == NULL)
		return sp_err(ei, SP_ERR_NOMEM, "out of memory");
	return SP_OK;
}

/* ---- replies from typed calls ------------------------------------------------------ */

int
wf_reply_failed(struct request *r, const struct sp_errinfo *err)
{
	if (err->code == SP_OK)
		return 0;
	/* db/ mapped the SQLSTATE to a class and a problem code (db/errors.c). */
	if (err->reason[0] == '\0')
		log_event(LOG_WARN, request_id(r), "workflow query failed", "{s:s,s:s,s:s}",
			  "error", sp_errname(err->code), "sqlstate", err->sqlstate, "detail",
			  err->msg);
	request_reply_error(r, err->code, err);
	return 1;
}

void
wf_reply_doc(void *arg, const char *text, size_t len, const struct sp_errinfo *err)
{
	struct request *r = arg;

	if (!wf_reply_failed(r, err))
		request_reply_json_text(r, 200, text, len);
}

void
wf_reply_doc_created(void *arg, const char *text, size_t len, const struct sp_errinfo *err)
{
	struct request *r = arg;

	if (!wf_reply_failed(r, err))
		request_reply_json_text(r, 201, text, len);
}

/* ---- small helpers ------------------------------------------------------------------------ */

void
wf_actor_fill(struct db_actor *a, const struct request *r, const struct principal *who)
{
	memset(a, 0, sizeof(*a));
	a->org_id = who->organization_id;
	a->user_id = who->user_id;
	a->ip = request_remote(r);
	a->user_agent = request_header(r, "User-Agent");
}

int
wf_path_number(struct request *r, int64_t *out)
{
	if (snowflake_parse(request_param(r, "number"), out) != SP_OK) {
		request_problem(r, P_NOT_FOUND, "no such contract");
		return 0;
	}
	return 1;
}

/* A typed call that was not accepted (queue full, bad arguments) is answered here. */
static void
sent_or_fail(struct request *r, int rc)
{
	if (rc != SP_OK)
		request_reply_error(r, rc, NULL);
}

/* ---- create ------------------------------------------------------------------------------- */

struct create_job {
	struct request *r;
	unsigned char *body; /* copy of the request body */
	size_t body_len;
	size_t max_pdf;
	struct blob_cache *refs_cache;  /* the process's (state.h); outlives the job */
	struct blob_cache *reads_cache; /* likewise */
	struct doc_cache *docs;         /* likewise: the stored upload is kept there */
	int64_t number;                 /* the contract's, once numbered */
	struct principal who;
	char *idem_key;
	/* results of work() */
	char *name, *business_type, *deadline, *parties;
	struct pdf_normalized pdf;
	char sha_hex[65];
	uint8_t *refs_packed; /* pdf.refs packed for pdf.sha256, stored with revision 0; or NULL */
	size_t refs_packed_len;
	struct sp_errinfo ei;
};

static void
create_job_free(struct create_job *j)
{
	if (j == NULL)
		return;
	free(j->body);
	free(j->idem_key);
	free(j->name);
	free(j->business_type);
	free(j->deadline);
	free(j->parties);
	pdf_normalized_cleanup(&j->pdf);
	free(j->refs_packed);
	free(j);
}

static int
opt_string(json_t *doc, const char *key, int required, size_t max, char **out,
	   struct sp_errinfo *ei)
{
	json_t *v = json_object_get(doc, key);

	*out = NULL;
	if (v == NULL || json_is_null(v)) {
		if (required)
			return sp_err_reason(ei, SP_ERR_INVALID, "invalid", "%s is required", key);
		return SP_OK;
	}
	if (!json_is_string(v) || json_string_length(v) > max)
		return sp_err_reason(ei, SP_ERR_INVALID, "invalid",
				     "%s must be a string of at most %zu bytes", key, max);
	if (api_text_take(key, v, ei) != SP_OK)
		return ei->code;
	if (json_string_length(v) > max) /* NFC may lengthen a little */
		return sp_err_reason(ei, SP_ERR_INVALID, "invalid",
				     "%s must be a string of at most %zu bytes", key, max);
	if ((*out = strdup(json_string_value(v))) == NULL)
		return sp_err(ei, SP_ERR_NOMEM, "out of memory");
	return SP_OK;
}

/* The parties' routing orders: integers 1..PARTY_ORDER_MAX where given. */
static int
orders_check(json_t *parties, struct sp_errinfo *ei)
{
	json_t *p, *ord;
	size_t i;

	json_array_foreach(parties, i, p)
	{
		ord = json_object_get(p, "routing_order");
		if (ord != NULL && (!json_is_integer(ord) || json_integer_value(ord) < 1 ||
				    json_integer_value(ord) > PARTY_ORDER_MAX))
			return sp_err_reason(ei, SP_ERR_INVALID, "invalid",
					     "party %zu: routing_order must be an integer 1..%d",
					     i + 1, PARTY_ORDER_MAX);
	}
	return SP_OK;
}

/*
 * A party's name, for an organization not registered yet (the row its list
 * makes shows it until the organization logs in), with its name keys
 * (names.c) beside it: migration 064's wf_parties_set refuses one that shows
 * like a registered organization's. Keys a client sent are not kept.
 */
static int
party_name_keys(json_t *p, struct sp_errinfo *ei)
{
	char nfc[API_NAME_KEY_MAX], key[API_NAME_KEY_MAX], key2[API_NAME_KEY_MAX];
	const char *name = json_string_value(json_object_get(p, "name"));

	json_object_del(p, "name_key");
	json_object_del(p, "name_key2");
	if (name == NULL)
		return SP_OK;
	if (api_name_forms(name, nfc, sizeof(nfc), key, key2, sizeof(key)) != SP_OK)
		return sp_err_reason(ei, SP_ERR_INVALID, "invalid", "party name is too long");
	if (json_object_set_new(p, "name_key", json_string(key)) != 0 ||
	    json_object_set_new(p, "name_key2", json_string(key2)) != 0)
		return sp_err(ei, SP_ERR_NOMEM, "out of memory");
	return SP_OK;
}

/* Parties: an array whose credit codes carry a valid check character. */
static int
parties_check(json_t *parties, char **out, struct sp_errinfo *ei)
{
	size_t i;
	json_t *p;
	int r;

	*out = NULL;
	if (parties == NULL || json_is_null(parties))
		return SP_OK;
	if (!json_is_array(parties) || json_array_size(parties) > 100)
		return sp_err_reason(ei, SP_ERR_INVALID, "invalid",
				     "parties must be an array of at most 100 entries");
	json_array_foreach(parties, i, p)
	{
		const char *code = json_string_value(json_object_get(p, "credit_code"));

		if (!json_is_object(p) || code == NULL)
			return sp_err_reason(ei, SP_ERR_INVALID, "invalid",
					     "party %zu needs a credit_code", i + 1);
		if (crypto_credit_code_check(code, ei) != SP_OK) {
			sp_errinfo_prefix(ei, "party credit_code");
			return SP_ERR_INVALID;
		}
		if (api_text_take("party name", json_object_get(p, "name"), ei) != SP_OK)
			return ei->code;
		if ((r = party_name_keys(p, ei)) != SP_OK)
			return r;
	}
	if ((*out = json_dumps(parties, JSON_COMPACT)) == NULL)
		return sp_err(ei, SP_ERR_NOMEM, "out of memory");
	return SP_OK;
}

/* pdf_base64, line-wrapped or not (base64(1) wraps at 76 columns). */
static int
base64_decode(const char *in, size_t max, unsigned char **out, size_t *outlen,
	      struct sp_errinfo *ei)
{
	int r = sp_b64_decode(in, SIZE_MAX, max, SP_B64_WS, out, outlen);

	if (r == SP_ERR_TOO_LARGE)
		return sp_err_reason(ei, r, "payload_too_large", "the PDF exceeds %zu bytes", max);
	if (r == SP_ERR_NOMEM)
		return sp_err(ei, r, "out of memory");
	if (r != SP_OK)
		return sp_err_reason(ei, SP_ERR_INVALID, "invalid",
				     "pdf_base64 is not valid base64");
	return SP_OK;
}

/*
 * What the upload refers to, packed for the SHA-256 of the bytes stored as
 * revision 0, to store with it (migration 070): a completion in another
 * process or after a restart reads it instead of walking the upload. Not
 * packed: nothing stored, and that completion walks the upload.
 */
static void
create_refs_pack(struct create_job *j)
{
	struct sp_errinfo ign;

	if (j->pdf.refs == NULL)
		return;
	sp_errinfo_init(&ign);
	if (pdf_refs_pack(j->pdf.refs, j->pdf.nrefs, j->pdf.sha256, &j->refs_packed,
			  &j->refs_packed_len, &ign) != SP_OK) {
		j->refs_packed = NULL;
		j->refs_packed_len = 0;
	}
}

/* Worker thread: parse, decode and normalize; nothing of the loop is touched. */
static int
create_work(void *arg, struct sp_errinfo *ei)
{
	struct create_job *j = arg;
	json_t *doc = NULL;
	json_error_t je;
	unsigned char *pdf = NULL;
	size_t pdf_len = 0;
	const char *b64;
	int r = SP_ERR_INTERNAL;

	doc = json_loadb((const char *)j->body, j->body_len, JSON_REJECT_DUPLICATES, &je);
	if (doc == NULL || !json_is_object(doc)) {
		r = sp_err_reason(ei, SP_ERR_INVALID, "malformed_json",
				  "the body must be a JSON object: %s (line %d)",
				  doc == NULL ? je.text : "not an object", je.line);
		goto out;
	}
	if ((r = opt_string(doc, "name", 1, 800, &j->name, ei)) != SP_OK ||
	    (r = opt_string(doc, "business_type", 0, 64, &j->business_type, ei)) != SP_OK ||
	    (r = deadline_get(doc, &j->deadline, ei)) != SP_OK ||
	    (r = parties_check(json_object_get(doc, "parties"), &j->parties, ei)) != SP_OK ||
	    (r = orders_check(json_object_get(doc, "parties"), ei)) != SP_OK)
		goto out;
	b64 = json_string_value(json_object_get(doc, "pdf_base64"));
	if (b64 == NULL) {
		r = sp_err_reason(ei, SP_ERR_INVALID, "invalid",
				  "pdf_base64 (the contract PDF, base64) is required");
		goto out;
	}
	if ((r = base64_decode(b64, j->max_pdf, &pdf, &pdf_len, ei)) != SP_OK)
		goto out;
	if ((r = pdf_upload_normalize(pdf, pdf_len, &j->pdf, ei)) != SP_OK)
		goto out;
	sp_hex(j->pdf.sha256, 32, j->sha_hex);
	/*
	 * What the upload refers to, by the digest of the bytes stored as
	 * revision 0, where the first signature's completion looks for it (it
	 * need not walk the upload again when it lands in this process).
	 */
	if (j->pdf.refs != NULL)
		blob_cache_put(j->refs_cache, j->pdf.sha256, (const uint8_t *)j->pdf.refs,
			       j->pdf.nrefs * sizeof(int));
	/* and stored with it, for that completion in another process (070) */
	create_refs_pack(j);
	/* and its pages, with which that completion opens it without walking the tree */
	if (j->pdf.page_objs != NULL) {
		uint8_t key[32];

		blob_cache_key("page", j->pdf.sha256, key);
		blob_cache_put(j->reads_cache, key, (const uint8_t *)j->pdf.page_objs,
			       j->pdf.npage_objs * 2 * sizeof(int));
	}
	/* and its form's facts, with which the first prepare opens it without walking the form */
	if (j->pdf.form != NULL) {
		uint8_t key[32];

		blob_cache_key("form", j->pdf.sha256, key);
		blob_cache_put(j->reads_cache, key, j->pdf.form, j->pdf.form_len);
	}
	r = SP_OK;
out:
	free(pdf);
	json_decref(doc);
	return r;
}

/*
 * The upload as stored (revision 0) for the first signer's prepare, when
 * the reply is the contract created under this request's number (an
 * idempotent replay answers with an earlier one: nothing of it is kept).
 */
static void
create_keep(struct create_job *j, const char *text, size_t len)
{
	char want[32];
	int n = snprintf(want, sizeof(want), "\"%lld\"", (long long)j->number);
	struct crypto_digest_ctx *ctx = NULL;
	struct sp_errinfo ign;

	/* the number is new (snowflake): only the contract created now carries it */
	if (j->docs == NULL || n <= 0 || memmem(text, len, want, (size_t)n) == NULL)
		return;
	/* with the upload's SHA-256 state: the first prepare and completion go on from it */
	sp_errinfo_init(&ign);
	if (crypto_digest_ctx_adopt(CRYPTO_DIGEST_SHA256, j->pdf.sha256_state, &ctx, &ign) != SP_OK)
		ctx = NULL;         /* kept without: the first signer's requests hash the upload */
	j->pdf.sha256_state = NULL; /* transferred */
	doc_cache_put_take(j->docs, j->number, 0, j->pdf.data, j->pdf.len, j->sha_hex, ctx);
	j->pdf.data = NULL; /* transferred */
}

static void
create_db_done(void *arg, const char *text, size_t len, const struct sp_errinfo *err)
{
	struct create_job *j = arg;
	struct request *r = j->r;

	/*
	 * Every process numbers on a node of its own, so a number_taken conflict
	 * (the unique key is the backstop) means two servers were configured with
	 * overlapping server.node_id ranges: the 409 says so.
	 */
	if (err->code == SP_OK && j->pdf.repaired)
		log_event(LOG_INFO, request_id(r), "upload repaired", "{s:s}", "sha256",
			  j->sha_hex);
	if (err->code == SP_OK && j->pdf.xfa_removed)
		log_event(LOG_INFO, request_id(r), "upload XFA removed", "{s:s}", "sha256",
			  j->sha_hex);
	if (err->code == SP_OK && j->pdf.actions_removed > 0)
		log_event(LOG_INFO, request_id(r), "upload actions removed", "{s:s,s:I}", "sha256",
			  j->sha_hex, "actions", (json_int_t)j->pdf.actions_removed);
	if (err->code == SP_OK)
		create_keep(j, text, len);
	create_job_free(j);
	wf_reply_doc_created(r, text, len, err);
}

static void
create_send(struct create_job *j)
{
	struct request *r = j->r;
	struct db_contract_new c;
	struct db_actor who;
	int rc;

	memset(&c, 0, sizeof(c));
	if ((rc = snowflake_next(request_numbers(r), snowflake_now_ms(), &c.number)) != SP_OK) {
		create_job_free(j);
		request_reply_error(r, rc, NULL);
		return;
	}
	j->number = c.number;
	c.name = j->name;
	c.business_type = j->business_type;
	c.deadline = j->deadline;
	c.parties = j->parties;
	c.pdf = j->pdf.data;
	c.pdf_len = j->pdf.len;
	c.sha256 = j->sha_hex;
	c.pages = j->pdf.pages;
	c.refs = j->refs_packed;
	c.refs_len = j->refs_packed_len;
	c.idem_key = j->idem_key;
	c.max_drafts = request_config(r)->contracts.max_drafts;
	c.max_draft_bytes = request_config(r)->contracts.max_draft_bytes;
	c.max_created_per_day = request_config(r)->contracts.max_created_per_day;
	wf_actor_fill(&who, r, &j->who);
	if ((rc = db_contract_create(request_db(r), &who, &c, create_db_done, j)) != SP_OK) {
		create_job_free(j);
		request_reply_error(r, rc, NULL);
	}
}

static void
create_job_done(void *arg, int rc, const struct sp_errinfo *ei)
{
	struct create_job *j = arg;
	struct request *r = j->r;

	if (rc != SP_OK) {
		create_job_free(j);
		/* What is wrong with the upload is the client's to fix: say what, as a 4xx. */
		if (rc == SP_ERR_INVALID) /* the request itself (e.g. bad base64), not the PDF */
			request_reply_error(r, rc, ei);
		else
			request_reply_job_error(r, rc, ei, P_PDF_UNREADABLE);
		return;
	}
	create_send(j);
}

static void
create_step(struct request *r, const struct principal *who)
{
	struct create_job *j = NULL;
	const unsigned char *body;
	const char *key;
	struct sp_errinfo ei;
	size_t len;
	int rc;

	if (request_body(r, &body, &len) != SP_OK) {
		request_reply_error(r, SP_ERR_UNAVAILABLE, NULL);
		return;
	}
	if (len == 0) {
		request_problem(r, P_EMPTY_BODY, "The request body is empty.");
		return;
	}
	sp_errinfo_init(&ei);
	if (api_idempotency_key(r, &key, &ei) != SP_OK) {
		request_reply_error(r, ei.code, &ei);
		return;
	}
	if ((j = calloc(1, sizeof(*j))) == NULL || (j->body = malloc(len)) == NULL ||
	    (key != NULL && (j->idem_key = strdup(key)) == NULL)) {
		create_job_free(j);
		request_reply_error(r, SP_ERR_NOMEM, NULL);
		return;
	}
	memcpy(j->body, body, len);
	j->body_len = len;
	j->r = r;
	j->max_pdf = request_config(r)->server.max_upload_bytes;
	j->refs_cache = request_revision_refs(r);
	j->reads_cache = request_revision_reads(r);
	j->docs = request_documents(r);
	j->who = *who;
	if ((rc = request_jobs_submit(r, create_work, create_job_done, j)) != SP_OK) {
		create_job_free(j);
		request_reply_error(r, rc, NULL);
	}
}

void
contracts_create_post(struct request *r)
{
	const char *ct = request_header(r, "Content-Type");

	if (ct == NULL || strncmp(ct, "application/json", 16) != 0) {
		request_problem(r, P_UNSUPPORTED_MEDIA_TYPE,
				"Send application/json with the PDF in pdf_base64.");
		return;
	}
	auth_then(r, PRINCIPAL_ORG, create_step);
}

/* ---- detail, edit, delete --------------------------------------------------------------- */

static void
detail_step(struct request *r, const struct principal *who)
{
	int64_t n;

	if (!wf_path_number(r, &n))
		return;
	sent_or_fail(r, db_contract_get(request_db(r), n, who->organization_id, wf_reply_doc, r));
}

static void
patch_with_body(struct request *r, const struct principal *who, json_t *doc)
{
	struct db_contract_edit e;
	struct db_actor a;
	struct sp_errinfo ei;
	char *name = NULL, *bt = NULL, *deadline = NULL, *parties = NULL;
	json_t *dl = json_object_get(doc, "deadline");
	int64_t n;

	sp_errinfo_init(&ei);
	if (!wf_path_number(r, &n))
		return;
	if (opt_string(doc, "name", 0, 800, &name, &ei) != SP_OK ||
	    opt_string(doc, "business_type", 0, 64, &bt, &ei) != SP_OK ||
	    deadline_get(doc, &deadline, &ei) != SP_OK ||
	    parties_check(json_object_get(doc, "parties"), &parties, &ei) != SP_OK ||
	    orders_check(json_object_get(doc, "parties"), &ei) != SP_OK) {
		request_reply_error(r, ei.code, &ei);
		goto out;
	}
	memset(&e, 0, sizeof(e));
	e.name = name;
	e.business_type = bt;
	e.deadline = deadline;
	e.clear_deadline = dl != NULL && json_is_null(dl);
	e.parties = parties;
	e.max_per_day = request_config(r)->contracts.max_edits_per_day;
	wf_actor_fill(&a, r, who);
	sent_or_fail(r, db_contract_update(request_db(r), n, &a, &e, wf_reply_doc, r));
out:
	free(name);
	free(bt);
	free(deadline);
	free(parties);
}

static void
patch_step(struct request *r, const struct principal *who)
{
	json_t *doc = NULL;

	if (request_json_body(r, &doc) != SP_OK)
		return; /* answered */
	if (!json_is_object(doc))
		request_problem(r, P_INVALID, "the body must be a JSON object");
	else
		patch_with_body(r, who, doc);
	json_decref(doc);
}

static void
deleted_done(void *arg, const struct sp_errinfo *err)
{
	struct request *r = arg;

	if (wf_reply_failed(r, err))
		return;
	request_reply_data(r, 204, "text/plain", "", 0);
}

static void
delete_step(struct request *r, const struct principal *who)
{
	struct db_actor a;
	int64_t n;

	if (!wf_path_number(r, &n))
		return;
	wf_actor_fill(&a, r, who);
	sent_or_fail(r, db_contract_delete(request_db(r), n, &a, deleted_done, r));
}

void
contracts_item(struct request *r)
{
	if (request_method(r) == HTTP_PATCH)
		auth_then(r, PRINCIPAL_ORG, patch_step);
	else if (request_method(r) == HTTP_DELETE)
		auth_then(r, PRINCIPAL_ORG, delete_step);
	else
		auth_then(r, PRINCIPAL_ORG, detail_step);
}

/* ---- transitions ------------------------------------------------------------------------- */

typedef int (*transition_fn)(struct db_pool *pool, int64_t number, const struct db_actor *who,
			     db_text_fn cb, void *arg);

static void
transition(struct request *r, const struct principal *who, transition_fn call)
{
	struct db_actor a;
	int64_t n;

	if (!wf_path_number(r, &n))
		return;
	wf_actor_fill(&a, r, who);
	sent_or_fail(r, call(request_db(r), n, &a, wf_reply_doc, r));
}

static void
send_step(struct request *r, const struct principal *who)
{
	struct db_actor a;
	int64_t n;

	if (!wf_path_number(r, &n))
		return;
	wf_actor_fill(&a, r, who);
	sent_or_fail(r, db_contract_send(request_db(r), n, &a,
					 request_server(r)->cfg->contracts.max_sent_per_day,
					 wf_reply_doc, r));
}

static void
receive_step(struct request *r, const struct principal *who)
{
	transition(r, who, db_contract_receive);
}

static void
cancel_step(struct request *r, const struct principal *who)
{
	transition(r, who, db_contract_cancel);
}

static void
reject_step(struct request *r, const struct principal *who)
{
	struct db_actor a;
	struct sp_errinfo ei;
	json_t *doc = NULL;
	const char *reason;
	int64_t n;

	if (request_json_body(r, &doc) != SP_OK)
		return; /* answered */
	reason = json_string_value(json_object_get(doc, "reason"));
	sp_errinfo_init(&ei);
	if (reason == NULL) {
		request_problem(r, P_INVALID, "reason (a string) is required");
	} else if (api_text_take("reason", json_object_get(doc, "reason"), &ei) != SP_OK) {
		request_reply_error(r, ei.code, &ei);
	} else if (wf_path_number(r, &n)) {
		reason = json_string_value(json_object_get(doc, "reason")); /* its NFC form */
		wf_actor_fill(&a, r, who);
		sent_or_fail(r, db_contract_reject(request_db(r), n, &a, reason, wf_reply_doc, r));
	}
	json_decref(doc);
}

static void
receive_all_step(struct request *r, const struct principal *who)
{
	struct db_actor a;

	wf_actor_fill(&a, r, who);
	sent_or_fail(r, db_contract_receive_all(request_db(r), &a, wf_reply_doc, r));
}

void
contracts_send_post(struct request *r)
{
	auth_then(r, PRINCIPAL_ORG, send_step);
}

void
contracts_receive_post(struct request *r)
{
	auth_then(r, PRINCIPAL_ORG, receive_step);
}

void
contracts_cancel_post(struct request *r)
{
	auth_then(r, PRINCIPAL_ORG, cancel_step);
}

void
contracts_reject_post(struct request *r)
{
	auth_then(r, PRINCIPAL_ORG, reject_step);
}

void
contracts_receive_all_post(struct request *r)
{
	auth_then(r, PRINCIPAL_ORG, receive_all_step);
}
