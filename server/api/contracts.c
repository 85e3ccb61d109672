/*
 * contracts.c: drafts (create, edit, delete), detail and the workflow
 * transitions (documents and audit verification: documents.c). Every state change is one
 * call of a SQL function of migrations/003_workflow.sql, which checks the
 * caller's organization, role and the current state under row locks.
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


#include "config.h"
#include "contracts_int.h"
#include "crypto.h"
#include "http_int.h"
#include "pdf.h"

#define CREATE_TRIES 3

static struct snowflake numbers;
static int numbers_ready;

/* ---- replies from workflow SQL functions ------------------------------------------ */

int
wf_reply_failed(struct request *r, const struct sp_errinfo *err)
{
	if (err->code == SP_OK)
		return 0;
	/* db/ mapped the SQLSTATE to a class and a problem code (db/errors.c). */
	if (err->reason[0] == '\0')
		log_event(LOG_WARN, request_id(r), "workflow query failed", "{s:s,s:s,s:s}", "error",
			  sp_errname(err->code), "sqlstate", err->sqlstate, "detail", err->msg);
	request_reply_error(r, err->code, err);
	return 1;
}

static void
reply_json_status(void *arg, const PGresult *res, const struct sp_errinfo *err, int status)
{
	struct request *r = arg;
	json_t *doc;
	json_error_t je;

	if (wf_reply_failed(r, err))
		return;
	if (PQntuples(res) < 1 || PQgetisnull(res, 0, 0)) {
		request_problem(r, P_NOT_FOUND, "not found");
		return;
	}
	doc = json_loads(PQgetvalue(res, 0, 0), JSON_DECODE_ANY, &je);
	if (doc == NULL) {
		request_reply_error(r, SP_ERR_INTERNAL, NULL);
		return;
	}
	request_reply_json(r, status, doc);
}

void
wf_reply_json(void *arg, const PGresult *res, const struct sp_errinfo *err)
{
	reply_json_status(arg, res, err, 200);
}

void
wf_reply_json_created(void *arg, const PGresult *res, const struct sp_errinfo *err)
{
	reply_json_status(arg, res, err, 201);
}

/* ---- small helpers ------------------------------------------------------------------------ */

void
wf_ids_fill(struct wf_ids *ids, const struct principal *who, int64_t number)
{
	snprintf(ids->org, sizeof(ids->org), "%lld", (long long)who->organization_id);
	snprintf(ids->user, sizeof(ids->user), "%lld", (long long)who->user_id);
	snprintf(ids->number, sizeof(ids->number), "%lld", (long long)number);
	ids->user_or_null = who->user_id > 0 ? ids->user : NULL;
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

static void
send_or_fail(struct request *r, const char *sql, int n, const struct db_param *p, db_done_fn cb)
{
	int rc = db_query_send(request_db(r), sql, n, p, 0, 0, cb, r);

	if (rc != SP_OK)
		request_reply_error(r, rc, NULL);
}

void
wf_contract_query(struct request *r, const struct principal *who, const char *sql,
		  int binary_result, db_done_fn cb)
{
	struct db_param p[2];
	struct wf_ids ids;
	int64_t n;
	int rc;

	if (!wf_path_number(r, &n))
		return;
	wf_ids_fill(&ids, who, n);
	memset(p, 0, sizeof(p));
	p[0].value = ids.number;
	p[1].value = ids.org;
	rc = db_query_send(request_db(r), sql, 2, p, binary_result, 0, cb, r);
	if (rc != SP_OK)
		request_reply_error(r, rc, NULL);
}

/* ---- create ------------------------------------------------------------------------------- */

struct create_job {
	struct request *r;
	unsigned char *body;        /* copy of the request body */
	size_t body_len;
	size_t max_pdf;
	char org[24], user[24];
	int has_user;
	char *idem_key;
	/* results of work() */
	char *name, *business_type, *deadline, *parties;
	struct pdf_normalized pdf;
	char sha_hex[65];
	int tries;
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
	if ((*out = strdup(json_string_value(v))) == NULL)
		return sp_err(ei, SP_ERR_NOMEM, "out of memory");
	return SP_OK;
}

/* Parties: an array whose credit codes carry a valid check character. */
static int
parties_check(json_t *parties, char **out, struct sp_errinfo *ei)
{
	size_t i;
	json_t *p;

	*out = NULL;
	if (parties == NULL || json_is_null(parties))
		return SP_OK;
	if (!json_is_array(parties) || json_array_size(parties) > 100)
		return sp_err_reason(ei, SP_ERR_INVALID, "invalid",
				     "parties must be an array of at most 100 entries");
	json_array_foreach(parties, i, p) {
		const char *code = json_string_value(json_object_get(p, "credit_code"));

		if (!json_is_object(p) || code == NULL)
			return sp_err_reason(ei, SP_ERR_INVALID, "invalid",
					     "party %zu needs a credit_code", i + 1);
		if (crypto_credit_code_check(code, ei) != SP_OK) {
			sp_errinfo_prefix(ei, "party credit_code");
			return SP_ERR_INVALID;
		}
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
		return sp_err_reason(ei, SP_ERR_INVALID, "invalid", "pdf_base64 is not valid base64");
	return SP_OK;
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

	doc = json_loadb((const char *)j->body, j->body_len, 0, &je);
	if (doc == NULL || !json_is_object(doc)) {
		r = sp_err_reason(ei, SP_ERR_INVALID, "malformed_json",
				  "the body must be a JSON object: %s (line %d)",
				  doc == NULL ? je.text : "not an object", je.line);
		goto out;
	}
	if ((r = opt_string(doc, "name", 1, 800, &j->name, ei)) != SP_OK ||
	    (r = opt_string(doc, "business_type", 0, 64, &j->business_type, ei)) != SP_OK ||
	    (r = opt_string(doc, "deadline", 0, 64, &j->deadline, ei)) != SP_OK ||
	    (r = parties_check(json_object_get(doc, "parties"), &j->parties, ei)) != SP_OK)
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
	r = SP_OK;
out:
	free(pdf);
	json_decref(doc);
	return r;
}

static void create_send(struct create_job *j);

static void
create_db_done(void *arg, const PGresult *res, const struct sp_errinfo *err)
{
	struct create_job *j = arg;
	struct request *r = j->r;

	if (err->code == SP_ERR_CONFLICT && strcmp(err->reason, "number_taken") == 0 &&
	    ++j->tries < CREATE_TRIES) {
		/* Two processes share a node id: take a fresh number. */
		create_send(j);
		return;
	}
	create_job_free(j);
	wf_reply_json_created(r, res, err);
}

static void
create_send(struct create_job *j)
{
	static const char sql[] =
		"SELECT contract_create($1::bigint, $2::bigint, $3::bigint, $4, $5, "
		"$6::timestamptz, $7::jsonb, $8::bytea, $9, $10::integer, $11, NULL)::text";
	struct request *r = j->r;
	struct db_param p[11];
	char number[24], pages[16];
	int64_t n;
	int rc;

	if ((rc = snowflake_next(&numbers, snowflake_now_ms(), &n)) != SP_OK) {
		create_job_free(j);
		request_reply_error(r, rc, NULL);
		return;
	}
	snprintf(number, sizeof(number), "%lld", (long long)n);
	snprintf(pages, sizeof(pages), "%d", j->pdf.pages);
	memset(p, 0, sizeof(p));
	p[0].value = number;
	p[1].value = j->org;
	p[2].value = j->has_user ? j->user : NULL;
	p[3].value = j->name;
	p[4].value = j->business_type;
	p[5].value = j->deadline;
	p[6].value = j->parties;
	p[7].value = (const char *)j->pdf.data;
	p[7].len = (int)j->pdf.len;
	p[7].binary = 1;
	p[8].value = j->sha_hex;
	p[9].value = pages;
	p[10].value = j->idem_key;
	if ((rc = db_query_send(request_db(r), sql, 11, p, 0, 0, create_db_done, j)) != SP_OK) {
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
	const char *key = request_header(r, "Idempotency-Key");
	struct sp_errinfo ei;
	size_t len;
	int rc;

	sp_errinfo_init(&ei);
	if (!numbers_ready) {
		if (snowflake_init(&numbers, request_config(r)->server.node_id, &ei) != SP_OK) {
			request_reply_error(r, SP_ERR_INTERNAL, NULL);
			return;
		}
		numbers_ready = 1;
	}
	if (request_body(r, &body, &len) != SP_OK) {
		request_reply_error(r, SP_ERR_UNAVAILABLE, NULL);
		return;
	}
	if (len == 0) {
		request_problem(r, P_EMPTY_BODY, "The request body is empty.");
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
	snprintf(j->org, sizeof(j->org), "%lld", (long long)who->organization_id);
	snprintf(j->user, sizeof(j->user), "%lld", (long long)who->user_id);
	j->has_user = who->user_id > 0;
	if ((rc = jobs_submit(request_jobs(r), create_work, create_job_done, j)) != SP_OK) {
		create_job_free(j);
		request_reply_error(r, rc, NULL);
	}
}

static void
create(struct request *r)
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
	static const char sql[] = "SELECT contract_json(c.number, $2)::text FROM contracts c "
				  "WHERE c.number = $1 AND " VISIBLE;

	wf_contract_query(r, who, sql, 0, wf_reply_json);
}

static void
patch_with_body(struct request *r, const struct principal *who, json_t *doc)
{
	static const char sql[] = "SELECT contract_update($1::bigint, $2::bigint, $3::bigint, $4, "
				  "$5, $6::timestamptz, $7::boolean, $8::jsonb, NULL)::text";
	struct db_param p[8];
	struct sp_errinfo ei;
	struct wf_ids ids;
	char *name = NULL, *bt = NULL, *deadline = NULL, *parties = NULL;
	json_t *dl = json_object_get(doc, "deadline");
	int64_t n;

	sp_errinfo_init(&ei);
	if (!wf_path_number(r, &n))
		return;
	wf_ids_fill(&ids, who, n);
	if (opt_string(doc, "name", 0, 800, &name, &ei) != SP_OK ||
	    opt_string(doc, "business_type", 0, 64, &bt, &ei) != SP_OK ||
	    opt_string(doc, "deadline", 0, 64, &deadline, &ei) != SP_OK ||
	    parties_check(json_object_get(doc, "parties"), &parties, &ei) != SP_OK) {
		request_reply_error(r, ei.code, &ei);
		goto out;
	}
	memset(p, 0, sizeof(p));
	p[0].value = ids.number;
	p[1].value = ids.org;
	p[2].value = ids.user_or_null;
	p[3].value = name;
	p[4].value = bt;
	p[5].value = deadline;
	p[6].value = (dl != NULL && json_is_null(dl)) ? "true" : "false";
	p[7].value = parties;
	send_or_fail(r, sql, 8, p, wf_reply_json);
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
deleted_done(void *arg, const PGresult *res, const struct sp_errinfo *err)
{
	struct request *r = arg;

	(void)res;
	if (wf_reply_failed(r, err))
		return;
	request_reply_data(r, 204, "text/plain", "", 0);
}

static void
delete_step(struct request *r, const struct principal *who)
{
	static const char sql[] = "SELECT contract_delete($1::bigint, $2::bigint, $3::bigint, NULL)";
	struct db_param p[3];
	struct wf_ids ids;
	int64_t n;

	if (!wf_path_number(r, &n))
		return;
	wf_ids_fill(&ids, who, n);
	memset(p, 0, sizeof(p));
	p[0].value = ids.number;
	p[1].value = ids.org;
	p[2].value = ids.user_or_null;
	send_or_fail(r, sql, 3, p, deleted_done);
}

static void
contract_item(struct request *r)
{
	if (request_method(r) == HTTP_PATCH)
		auth_then(r, PRINCIPAL_ORG, patch_step);
	else if (request_method(r) == HTTP_DELETE)
		auth_then(r, PRINCIPAL_ORG, delete_step);
	else
		auth_then(r, PRINCIPAL_ORG, detail_step);
}

/* ---- transitions ------------------------------------------------------------------------- */

static void
transition(struct request *r, const struct principal *who, const char *sql, const char *reason)
{
	struct db_param p[4];
	struct wf_ids ids;
	int64_t n;

	if (!wf_path_number(r, &n))
		return;
	wf_ids_fill(&ids, who, n);
	memset(p, 0, sizeof(p));
	p[0].value = ids.number;
	p[1].value = ids.org;
	p[2].value = ids.user_or_null;
	p[3].value = reason;
	send_or_fail(r, sql, reason != NULL ? 4 : 3, p, wf_reply_json);
}

static void
send_step(struct request *r, const struct principal *who)
{
	transition(r, who, "SELECT contract_send($1::bigint, $2::bigint, $3::bigint, NULL)::text",
		   NULL);
}

static void
receive_step(struct request *r, const struct principal *who)
{
	transition(r, who,
		   "SELECT contract_receive($1::bigint, $2::bigint, $3::bigint, NULL)::text", NULL);
}

static void
cancel_step(struct request *r, const struct principal *who)
{
	transition(r, who,
		   "SELECT contract_cancel($1::bigint, $2::bigint, $3::bigint, NULL)::text", NULL);
}

static void
reject_step(struct request *r, const struct principal *who)
{
	json_t *doc = NULL;
	const char *reason;

	if (request_json_body(r, &doc) != SP_OK)
		return; /* answered */
	reason = json_string_value(json_object_get(doc, "reason"));
	if (reason == NULL)
		request_problem(r, P_INVALID, "reason (a string) is required");
	else
		transition(r, who, "SELECT contract_reject($1::bigint, $2::bigint, $3::bigint, "
			   "$4, NULL)::text", reason);
	json_decref(doc);
}

static void
receive_all_step(struct request *r, const struct principal *who)
{
	static const char sql[] = "SELECT jsonb_build_object('received', "
				  "contract_receive_all($1::bigint, $2::bigint, NULL))::text";
	struct db_param p[2];
	struct wf_ids ids;

	wf_ids_fill(&ids, who, 0);
	memset(p, 0, sizeof(p));
	p[0].value = ids.org;
	p[1].value = ids.user_or_null;
	send_or_fail(r, sql, 2, p, wf_reply_json);
}

static void route_send(struct request *r) { auth_then(r, PRINCIPAL_ORG, send_step); }
static void route_receive(struct request *r) { auth_then(r, PRINCIPAL_ORG, receive_step); }
static void route_cancel(struct request *r) { auth_then(r, PRINCIPAL_ORG, cancel_step); }
static void route_reject(struct request *r) { auth_then(r, PRINCIPAL_ORG, reject_step); }
static void route_receive_all(struct request *r) { auth_then(r, PRINCIPAL_ORG, receive_all_step); }

int
routes_contracts_register(struct router *rt, struct sp_errinfo *ei)
{
	static const char base[] = "/api/v1/contracts";
	int r;

	if ((r = router_route_add(rt, HTTP_POST, base, create, ROUTE_UPLOAD, ei)) != SP_OK ||
	    (r = router_route_add(rt, HTTP_GET | HTTP_PATCH | HTTP_DELETE,
				  "/api/v1/contracts/{number}", contract_item, 0, ei)) != SP_OK ||
	    (r = router_route_add(rt, HTTP_POST, "/api/v1/contracts/{number}/send", route_send, 0,
				  ei)) != SP_OK ||
	    (r = router_route_add(rt, HTTP_POST, "/api/v1/contracts/{number}/receive",
				  route_receive, 0, ei)) != SP_OK ||
	    (r = router_route_add(rt, HTTP_POST, "/api/v1/contracts/{number}/reject", route_reject,
				  0, ei)) != SP_OK ||
	    (r = router_route_add(rt, HTTP_POST, "/api/v1/contracts/{number}/cancel", route_cancel,
				  0, ei)) != SP_OK ||
	    (r = router_route_add(rt, HTTP_POST, "/api/v1/contracts/receive-all", route_receive_all,
				  0, ei)) != SP_OK ||
	    (r = routes_documents_register(rt, ei)) != SP_OK ||
	    (r = routes_lists_register(rt, ei)) != SP_OK ||
	    (r = routes_webhooks_register(rt, ei)) != SP_OK)
		return r;
	return SP_OK;
}
