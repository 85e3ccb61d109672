/*
 * seals.c: electronic seals, from application to installation (members) and
 * the review queue (reviewers). The routes and their JSON are openapi.yaml's
 * "seals" and "review" tags; each state change is one db/seals.c call (one
 * SQL function of migrations/009_seals.sql, audited).
 *
 * Members (a session of an organization member, who holds a certificate):
 *   POST/GET /api/v1/seal-applications, GET/PATCH .../{id},
 *   PUT .../{id}/scan, POST .../{id}/submit|cancel,
 *   GET /api/v1/seals, GET /api/v1/seals/{id}[/image|/seseal],
 *   POST /api/v1/seals/{id}/installed
 * Reviewers (a reviewer session; members get 403):
 *   GET /api/v1/review/applications, GET .../{id}, POST|DELETE .../{id}/claim,
 *   GET .../{id}/scan, POST .../{id}/approve|reject (seals_art.c: the form,
 *   the seal preview and the generated picture)
 *
 * Who may act is decided twice: here by the principal's kind (auth_then),
 * and in SQL by the row (an organization's own application; the live claim
 * of the reviewer, under the row's lock).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api.h"
#include "auth_int.h"
#include "config.h"
#include "contracts_int.h"
#include "crypto.h"
#include "db.h"
#include "pdf.h"
#include "seals_int.h"
#include "state.h"

#define SEAL_NAME_MAX 40 /* characters, after trimming */
#define REJECT_REASON_MAX 1000
#define SCAN_MAX (10u * 1024 * 1024)
#define PAGE_SIZE_MAX 100
#define VALIDITY_MAX_S ((int64_t)(10 * 366 + 3) * 86400)

/* ---- shared ----------------------------------------------------------------------- */

static void
reply_json_200(void *arg, json_t *doc, const struct sp_errinfo *err)
{
	struct request *r = arg;

	if (err->code != SP_OK)
		request_reply_error(r, err->code, err);
	else
		request_reply_json(r, 200, doc);
}

static void
reply_json_201(void *arg, json_t *doc, const struct sp_errinfo *err)
{
	struct request *r = arg;

	if (err->code != SP_OK)
		request_reply_error(r, err->code, err);
	else
		request_reply_json(r, 201, doc);
}

/* The {id} path parameter, or 404 answered (ids are not guessed at by shape). */
static int
path_id(struct request *r, int64_t *id)
{
	const char *s = request_param(r, "id");

	if (s == NULL || s[0] < '0' || s[0] > '9' || sp_parse_i64(s, 1, INT64_MAX, id) != SP_OK) {
		request_problem(r, P_NOT_FOUND, "no such seal application or seal");
		return 0;
	}
	return 1;
}

/* A positive integer query parameter in [1, max], def when absent; -1 when malformed. */
static long
query_int(struct request *r, const char *name, long def, long max)
{
	const char *s = request_query(r, name);
	uint64_t v;

	if (s == NULL)
		return def;
	return sp_parse_u64(s, 1, (uint64_t)max, &v) == SP_OK ? (long)v : -1;
}

const char *
seals_type_text(const char *type)
{
	return strcmp(type, "official") == 0 ? "公章" : "合同专用章";
}

/*
 * A seal name: printable UTF-8 (api_text_check), 1..SEAL_NAME_MAX characters
 * after trimming spaces. 400 seal_name_invalid.
 */
static int
name_check(json_t *v, struct sp_errinfo *ei)
{
	const char *s;
	size_t n, chars = 0, i, a, b;

	if (!json_is_string(v) || api_text_check("name", v, ei) != SP_OK)
		return sp_err_reason(ei, SP_ERR_INVALID, "seal_name_invalid",
				     "name must be the physical seal's name: 1-%d printable "
				     "characters",
				     SEAL_NAME_MAX);
	s = json_string_value(v);
	n = strlen(s);
	if (n != json_string_length(v))
		return sp_err_reason(ei, SP_ERR_INVALID, "seal_name_invalid",
				     "name must not contain NUL");
	for (a = 0; a < n && s[a] == ' '; a++)
		;
	for (b = n; b > a && s[b - 1] == ' '; b--)
		;
	for (i = a; i < b; i++)
		chars += ((unsigned char)s[i] & 0xc0) != 0x80;
	if (chars == 0 || chars > SEAL_NAME_MAX)
		return sp_err_reason(ei, SP_ERR_INVALID, "seal_name_invalid",
				     "name has %zu characters: it must have 1-%d (the physical "
				     "seal's name)",
				     chars, SEAL_NAME_MAX);
	return SP_OK;
}

static int
type_check(json_t *v, struct sp_errinfo *ei)
{
	if (!json_is_string(v) || (strcmp(json_string_value(v), "official") != 0 &&
				   strcmp(json_string_value(v), "contract") != 0))
		return sp_err_reason(ei, SP_ERR_INVALID, "invalid",
				     "type must be \"official\" (公章) or \"contract\" "
				     "(合同专用章)");
	return SP_OK;
}

/* Only these members: anything else is a client's mistake worth a 400. */
static int
members_only(json_t *doc, const char *const *allowed, struct sp_errinfo *ei)
{
	const char *k;
	json_t *v;
	size_t i;

	json_object_foreach(doc, k, v)
	{
		for (i = 0; allowed[i] != NULL && strcmp(allowed[i], k) != 0; i++)
			;
		if (allowed[i] == NULL)
			return sp_err_reason(ei, SP_ERR_INVALID, "invalid", "unknown member \"%s\"",
					     k);
	}
	return SP_OK;
}

/* ---- members: applications ------------------------------------------------------ */

static void
apps_create(struct request *r, const struct principal *who)
{
	static const char *const allowed[] = { "name", "type", "replaces_seal_id", NULL };
	struct sp_errinfo ei;
	struct db_actor actor;
	json_t *doc = NULL, *rep;
	int64_t replaces = 0;
	int rc;

	if (request_json_body(r, &doc) != SP_OK)
		return; /* answered */
	sp_errinfo_init(&ei);
	if (!json_is_object(doc)) {
		request_problem(r, P_INVALID, "the body must be a JSON object");
		goto out;
	}
	rep = json_object_get(doc, "replaces_seal_id");
	if (members_only(doc, allowed, &ei) != SP_OK ||
	    name_check(json_object_get(doc, "name"), &ei) != SP_OK ||
	    type_check(json_object_get(doc, "type"), &ei) != SP_OK) {
		request_reply_error(r, ei.code, &ei);
		goto out;
	}
	if (rep != NULL && !json_is_null(rep) &&
	    !(json_is_string(rep) && json_string_value(rep)[0] >= '0' &&
	      json_string_value(rep)[0] <= '9' &&
	      sp_parse_i64(json_string_value(rep), 1, INT64_MAX, &replaces) == SP_OK)) {
		request_problem(r, P_INVALID,
				"replaces_seal_id must be a seal id (a decimal string)");
		goto out;
	}
	auth_actor(r, who, &actor);
	rc = db_seal_app_create(request_db(r), &actor, who->certificate_id,
				json_string_value(json_object_get(doc, "name")),
				json_string_value(json_object_get(doc, "type")), replaces,
				reply_json_201, r);
	if (rc != SP_OK)
		request_reply_error(r, rc, NULL);
out:
	json_decref(doc);
}

static void
apps_list(struct request *r, const struct principal *who)
{
	long page = query_int(r, "page", 1, 100000L);
	long size = query_int(r, "page_size", 10, PAGE_SIZE_MAX);
	int rc;

	if (page < 0 || size < 0) {
		request_problem(r, P_INVALID, "page must be 1..100000 and page_size 1..100");
		return;
	}
	rc = db_seal_app_list(request_db(r), who->organization_id, size, (page - 1) * size,
			      reply_json_200, r);
	if (rc != SP_OK)
		request_reply_error(r, rc, NULL);
}

void
seals_apps_collection(struct request *r)
{
	auth_then(r, PRINCIPAL_MEMBER, request_method(r) == HTTP_POST ? apps_create : apps_list);
}

static void
app_modify(struct request *r, const struct principal *who, int64_t id)
{
	static const char *const allowed[] = { "name", "type", NULL };
	struct sp_errinfo ei;
	struct db_actor actor;
	json_t *doc = NULL, *name, *type;
	int rc;

	if (request_json_body(r, &doc) != SP_OK)
		return; /* answered */
	sp_errinfo_init(&ei);
	if (!json_is_object(doc) || json_object_size(doc) == 0) {
		request_problem(r, P_INVALID,
				"the body must be {\"name\"?, \"type\"?} with one of them");
		goto out;
	}
	name = json_object_get(doc, "name");
	type = json_object_get(doc, "type");
	if (members_only(doc, allowed, &ei) != SP_OK ||
	    (name != NULL && name_check(name, &ei) != SP_OK) ||
	    (type != NULL && type_check(type, &ei) != SP_OK)) {
		request_reply_error(r, ei.code, &ei);
		goto out;
	}
	auth_actor(r, who, &actor);
	rc = db_seal_app_modify(request_db(r), &actor, id, json_string_value(name),
				json_string_value(type), reply_json_200, r);
	if (rc != SP_OK)
		request_reply_error(r, rc, NULL);
out:
	json_decref(doc);
}

static void
app_item(struct request *r, const struct principal *who)
{
	int64_t id;
	int rc;

	if (!path_id(r, &id))
		return;
	if (request_method(r) == HTTP_PATCH) {
		app_modify(r, who, id);
		return;
	}
	rc = db_seal_app_get(request_db(r), who->organization_id, id, reply_json_200, r);
	if (rc != SP_OK)
		request_reply_error(r, rc, NULL);
}

void
seals_app_item(struct request *r)
{
	auth_then(r, PRINCIPAL_MEMBER, app_item);
}

/* The type of a scan by its first bytes: PDF, PNG or JPEG; NULL otherwise. */
static const char *
scan_type(const unsigned char *b, size_t n)
{
	static const unsigned char png[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };

	if (n >= 8 && memcmp(b, png, 8) == 0)
		return "image/png";
	if (n >= 4 && b[0] == 0xff && b[1] == 0xd8 && b[2] == 0xff)
		return "image/jpeg";
	if (n >= 8 && memcmp(b, "%PDF-", 5) == 0)
		return "application/pdf";
	return NULL;
}

static void
app_scan(struct request *r, const struct principal *who)
{
	const unsigned char *body;
	const char *type;
	struct sp_errinfo ei;
	struct db_actor actor;
	size_t len;
	int64_t id;
	int rc;

	if (!path_id(r, &id))
		return;
	if (request_body(r, &body, &len) != SP_OK) {
		request_reply_error(r, SP_ERR_UNAVAILABLE, NULL);
		return;
	}
	sp_errinfo_init(&ei);
	if (len == 0) {
		request_problem(r, P_EMPTY_BODY,
				"The request body is empty: send the scanned form.");
		return;
	}
	if (len > SCAN_MAX) {
		sp_err_reason(&ei, SP_ERR_TOO_LARGE, "scan_too_large",
			      "the scan has %zu bytes; at most %u are accepted", len, SCAN_MAX);
		request_reply_error(r, ei.code, &ei);
		return;
	}
	if ((type = scan_type(body, len)) == NULL) {
		sp_err_reason(&ei, SP_ERR_UNSUPPORTED, "scan_type",
			      "the scan must be a PDF, PNG or JPEG file (judged by its content)");
		request_problem_ei(r, P_UNSUPPORTED_MEDIA_TYPE, &ei);
		return;
	}
	auth_actor(r, who, &actor);
	rc = db_seal_app_scan(request_db(r), &actor, id, body, len, type, reply_json_200, r);
	if (rc != SP_OK)
		request_reply_error(r, rc, NULL);
}

void
seals_app_scan_put(struct request *r)
{
	auth_then(r, PRINCIPAL_MEMBER, app_scan);
}

static void
app_step(struct request *r, const struct principal *who, enum db_seal_step step)
{
	struct db_actor actor;
	int64_t id;
	int rc;

	if (!path_id(r, &id))
		return;
	auth_actor(r, who, &actor);
	rc = db_seal_app_step(request_db(r), &actor, id, step, reply_json_200, r);
	if (rc != SP_OK)
		request_reply_error(r, rc, NULL);
}

static void
app_submit(struct request *r, const struct principal *who)
{
	app_step(r, who, DB_SEAL_SUBMIT);
}

static void
app_cancel(struct request *r, const struct principal *who)
{
	app_step(r, who, DB_SEAL_CANCEL);
}

static void
seal_installed(struct request *r, const struct principal *who)
{
	app_step(r, who, DB_SEAL_INSTALLED);
}

void
seals_app_submit_post(struct request *r)
{
	auth_then(r, PRINCIPAL_MEMBER, app_submit);
}

void
seals_app_cancel_post(struct request *r)
{
	auth_then(r, PRINCIPAL_MEMBER, app_cancel);
}

void
seals_installed_post(struct request *r)
{
	auth_then(r, PRINCIPAL_MEMBER, seal_installed);
}

/* ---- members: issued seals -------------------------------------------------------- */

static void
seals_list(struct request *r, const struct principal *who)
{
	long page = query_int(r, "page", 1, 100000L);
	long size = query_int(r, "page_size", 10, PAGE_SIZE_MAX);
	int rc;

	if (page < 0 || size < 0) {
		request_problem(r, P_INVALID, "page must be 1..100000 and page_size 1..100");
		return;
	}
	rc = db_seal_list(request_db(r), who->organization_id, size, (page - 1) * size,
			  reply_json_200, r);
	if (rc != SP_OK)
		request_reply_error(r, rc, NULL);
}

void
seals_collection_get(struct request *r)
{
	auth_then(r, PRINCIPAL_MEMBER, seals_list);
}

static void
seal_get(struct request *r, const struct principal *who)
{
	int64_t id;
	int rc;

	if (!path_id(r, &id))
		return;
	rc = db_seal_get(request_db(r), who->organization_id, id, reply_json_200, r);
	if (rc != SP_OK)
		request_reply_error(r, rc, NULL);
}

void
seals_item_get(struct request *r)
{
	auth_then(r, PRINCIPAL_MEMBER, seal_get);
}

static void
on_image(void *arg, const unsigned char *data, size_t len, const char *type,
	 const struct sp_errinfo *err)
{
	struct request *r = arg;

	(void)type;
	if (err->code != SP_OK) {
		request_reply_error(r, err->code, err);
		return;
	}
	request_header_add(r, "Cache-Control", "private, max-age=300");
	request_reply_data(r, 200, "image/png", data, len);
}

static void
seal_image(struct request *r, const struct principal *who)
{
	int64_t id;
	int rc;

	if (!path_id(r, &id))
		return;
	rc = db_seal_blob(request_db(r), who->organization_id, id, DB_SEAL_BLOB_IMAGE, on_image, r);
	if (rc != SP_OK)
		request_reply_error(r, rc, NULL);
}

void
seals_image_get(struct request *r)
{
	auth_then(r, PRINCIPAL_MEMBER, seal_image);
}

static void
on_seseal(void *arg, const unsigned char *data, size_t len, const char *type,
	  const struct sp_errinfo *err)
{
	struct request *r = arg;
	X509 *maker;
	EVP_PKEY *key;
	unsigned char *der = NULL;
	char *b64 = NULL;
	int n;

	(void)type;
	if (err->code != SP_OK) {
		request_reply_error(r, err->code, err);
		return;
	}
	/* The maker's certificate, for a client that has none configured; it
	 * still checks the certificate's chain against its own trust. */
	if (seal_maker_get(request_seal_maker(r), &maker, &key, NULL) == SP_OK &&
	    (n = i2d_X509(maker, &der)) > 0 && (b64 = sp_b64_encode(der, (size_t)n, 0)) != NULL)
		request_header_add(r, "X-Seal-Maker-Certificate", b64);
	else
		request_header_add(r, "X-Seal-Maker-Certificate", "");
	request_header_add(r, "Content-Disposition", "attachment; filename=\"seal.seseal\"");
	request_reply_data(r, 200, "application/octet-stream", data, len);
	OPENSSL_free(der);
	free(b64);
}

static void
seal_seseal(struct request *r, const struct principal *who)
{
	int64_t id;
	int rc;

	if (!path_id(r, &id))
		return;
	rc = db_seal_blob(request_db(r), who->organization_id, id, DB_SEAL_BLOB_SESEAL, on_seseal,
			  r);
	if (rc != SP_OK)
		request_reply_error(r, rc, NULL);
}

void
seals_seseal_get(struct request *r)
{
	auth_then(r, PRINCIPAL_MEMBER, seal_seseal);
}

/* ---- reviewers ---------------------------------------------------------------------- */

static void
review_list(struct request *r, const struct principal *who)
{
	static const char *const statuses[] = { "under_review", "approved",  "installed",
						"rejected",     "cancelled", "revoked" };
	struct db_review_query q;
	const char *status = request_query(r, "status"), *cursor = request_query(r, "cursor");
	long limit = query_int(r, "limit", 20, 100);
	const char *dot;
	size_t i;
	int rc;

	memset(&q, 0, sizeof(q));
	q.status = status != NULL ? status : "under_review";
	for (i = 0; i < SP_ARRAY_LEN(statuses) && strcmp(statuses[i], q.status) != 0; i++)
		;
	if (i == SP_ARRAY_LEN(statuses)) {
		request_problem(r, P_INVALID,
				"status must be under_review, approved, installed, rejected, "
				"cancelled or revoked");
		return;
	}
	if (limit < 0) {
		request_problem(r, P_INVALID, "limit must be 1..100");
		return;
	}
	q.limit = (int)limit;
	q.q = request_query(r, "q");
	if (q.q != NULL && (q.q[0] == '\0' || strlen(q.q) > 200 ||
			    sp_text_check(q.q, strlen(q.q), NULL, NULL) != SP_OK)) {
		request_problem(r, P_INVALID, "q must be 1-100 printable characters");
		return;
	}
	if (cursor != NULL) {
		dot = strchr(cursor, '.');
		if (dot == NULL ||
		    sp_parse_i64n(cursor, (size_t)(dot - cursor), 0, INT64_MAX, &q.cursor_us) !=
			    SP_OK ||
		    sp_parse_i64(dot + 1, 1, INT64_MAX, &q.cursor_id) != SP_OK) {
			request_problem(r, P_INVALID, "cursor is not one this server gave out");
			return;
		}
	}
	rc = db_review_list(request_db(r), who->user_id, &q, reply_json_200, r);
	if (rc != SP_OK)
		request_reply_error(r, rc, NULL);
}

void
seals_review_list_get(struct request *r)
{
	auth_then(r, PRINCIPAL_REVIEWER, review_list);
}

static void
review_get(struct request *r, const struct principal *who)
{
	int64_t id;
	int rc;

	if (!path_id(r, &id))
		return;
	rc = db_review_get(request_db(r), who->user_id, id, reply_json_200, r);
	if (rc != SP_OK)
		request_reply_error(r, rc, NULL);
}

void
seals_review_item_get(struct request *r)
{
	auth_then(r, PRINCIPAL_REVIEWER, review_get);
}

static void
on_released(void *arg, const struct sp_errinfo *err)
{
	struct request *r = arg;

	if (err->code != SP_OK)
		request_reply_error(r, err->code, err);
	else
		request_reply_data(r, 204, "text/plain", "", 0);
}

static void
review_claim(struct request *r, const struct principal *who)
{
	struct db_actor actor;
	int64_t id;
	int rc;

	if (!path_id(r, &id))
		return;
	auth_actor(r, who, &actor);
	if (request_method(r) == HTTP_DELETE)
		rc = db_review_release(request_db(r), &actor, id, on_released, r);
	else
		rc = db_review_claim(request_db(r), &actor, id, request_config(r)->seals.claim_ttl,
				     reply_json_200, r);
	if (rc != SP_OK)
		request_reply_error(r, rc, NULL);
}

void
seals_review_claim(struct request *r)
{
	auth_then(r, PRINCIPAL_REVIEWER, review_claim);
}

static void
on_scan(void *arg, const unsigned char *data, size_t len, const char *type,
	const struct sp_errinfo *err)
{
	struct request *r = arg;

	if (err->code != SP_OK) {
		request_reply_error(r, err->code, err);
		return;
	}
	/* Shown inline in the console, never run: no sniffing, a sandbox for a PDF. */
	request_header_add(r, "X-Content-Type-Options", "nosniff");
	request_header_add(r, "Content-Security-Policy", "sandbox; default-src 'none'");
	request_header_add(r, "Cache-Control", "private, no-store");
	request_reply_data(r, 200, type, data, len);
}

static void
review_scan(struct request *r, const struct principal *who)
{
	int64_t id;
	int rc;

	if (!path_id(r, &id))
		return;
	rc = db_review_scan(request_db(r), who->user_id, id, on_scan, r);
	if (rc != SP_OK)
		request_reply_error(r, rc, NULL);
}

void
seals_review_scan_get(struct request *r)
{
	auth_then(r, PRINCIPAL_REVIEWER, review_scan);
}

static void
review_reject(struct request *r, const struct principal *who)
{
	static const char *const allowed[] = { "reason", NULL };
	struct sp_errinfo ei;
	struct db_actor actor;
	json_t *doc = NULL, *reason;
	size_t chars = 0, i;
	const char *s;
	int64_t id;
	int rc;

	if (!path_id(r, &id))
		return;
	if (request_json_body(r, &doc) != SP_OK)
		return; /* answered */
	sp_errinfo_init(&ei);
	reason = json_object_get(doc, "reason");
	if (!json_is_object(doc) || members_only(doc, allowed, &ei) != SP_OK ||
	    !json_is_string(reason) || api_text_check("reason", reason, &ei) != SP_OK) {
		if (ei.code == SP_OK)
			sp_err_reason(&ei, SP_ERR_INVALID, "invalid",
				      "the body must be {\"reason\": 1-%d characters}",
				      REJECT_REASON_MAX);
		request_reply_error(r, ei.code, &ei);
		goto out;
	}
	s = json_string_value(reason);
	for (i = 0; s[i] != '\0'; i++)
		chars += ((unsigned char)s[i] & 0xc0) != 0x80;
	if (chars == 0 || chars > REJECT_REASON_MAX || strspn(s, " ") == strlen(s)) {
		request_problem(r, P_INVALID, "reason must have 1-1000 characters");
		goto out;
	}
	auth_actor(r, who, &actor);
	rc = db_review_reject(request_db(r), &actor, id, s, reply_json_200, r);
	if (rc != SP_OK)
		request_reply_error(r, rc, NULL);
out:
	json_decref(doc);
}

void
seals_review_reject_post(struct request *r)
{
	auth_then(r, PRINCIPAL_REVIEWER, review_reject);
}

/* ---- approve: the claim holder issues the seal ---------------------------------------- */

struct approve_job {
	struct request *r;
	const struct config *cfg;
	const struct seal_maker *maker;
	int64_t id;
	struct db_actor_copy {
		int64_t user_id;
		char ip[64];
		char ua[DB_USER_AGENT_MAX + 1];
	} who;
	char valid_from[48], valid_until[48];
	int64_t from, until;
	char code[21];
	int generated;
	char *image_b64; /* the uploaded PNG, base64 */
	/* from db_review_material */
	char *name, *type, *org_name, *cert_b64;
	/* results of work() */
	unsigned char *png, *seseal;
	size_t png_len, seseal_len;
};

static void
approve_job_free(struct approve_job *j)
{
	if (j == NULL)
		return;
	free(j->image_b64);
	free(j->name);
	free(j->type);
	free(j->org_name);
	free(j->cert_b64);
	free(j->png);
	free(j->seseal);
	free(j);
}

static int
approve_work(void *arg, struct sp_errinfo *ei)
{
	struct approve_job *j = arg;
	struct crypto_seseal_in in;
	unsigned char *cert = NULL, *raw = NULL;
	size_t cert_len = 0, raw_len = 0;
	X509 *mcert;
	EVP_PKEY *mkey;
	char es_id[64];
	int r = SP_ERR_INTERNAL;

	if ((r = seal_maker_get(j->maker, &mcert, &mkey, ei)) != SP_OK)
		goto out;
	if (j->generated) {
		if ((r = seals_generated_png(j->cfg, j->org_name, seals_type_text(j->type),
					     j->code[0] ? j->code : NULL, &j->png, &j->png_len,
					     ei)) != SP_OK)
			goto out;
	} else {
		r = sp_b64_decode(j->image_b64, strlen(j->image_b64), SEALS_PNG_MAX, 0, &raw,
				  &raw_len);
		if (r == SP_ERR_TOO_LARGE) {
			r = sp_err_reason(ei, SP_ERR_INVALID, "seal_too_large",
					  "the seal picture is larger than %u bytes",
					  SEALS_PNG_MAX);
			goto out;
		}
		if (r != SP_OK) {
			r = sp_err_reason(ei, SP_ERR_INVALID, "invalid",
					  "image must be \"generated\" or a base64 PNG");
			goto out;
		}
		if ((r = pdf_seal_png_check(raw, raw_len, SEALS_SIDE_MIN, SEALS_SIDE_MAX, ei)) !=
		    SP_OK)
			goto out;
		j->png = raw;
		j->png_len = raw_len;
		raw = NULL; /* transferred */
	}
	if (sp_b64_decode(j->cert_b64, strlen(j->cert_b64), 65536, SP_B64_WS, &cert, &cert_len) !=
	    SP_OK) {
		r = sp_err(ei, SP_ERR_INTERNAL, "the applicant's certificate does not decode");
		goto out;
	}
	snprintf(es_id, sizeof(es_id), "sealpact-%lld", (long long)j->id);
	memset(&in, 0, sizeof(in));
	in.es_id = es_id;
	in.vid = "sealpact";
	in.type = strcmp(j->type, "official") == 0 ? CRYPTO_SEAL_TYPE_OFFICIAL
						   : CRYPTO_SEAL_TYPE_CONTRACT;
	in.name = j->name;
	in.org_cert_der = cert;
	in.org_cert_len = cert_len;
	in.created = time(NULL);
	in.valid_start = (time_t)j->from;
	in.valid_end = (time_t)j->until;
	in.png = j->png;
	in.png_len = j->png_len;
	in.width_mm = in.height_mm = (int)PDF_SEAL_DEFAULT_MM;
	r = crypto_seseal_build(&in, mcert, mkey, &j->seseal, &j->seseal_len, ei);
out:
	free(cert);
	free(raw);
	return r;
}

static void
approve_done(void *arg, int rc, const struct sp_errinfo *ei)
{
	struct approve_job *j = arg;
	struct request *r = j->r;
	struct db_seal_approval a;
	struct db_actor actor;

	if (rc != SP_OK) {
		approve_job_free(j);
		request_reply_job_error(r, rc, ei, P_INVALID);
		return;
	}
	memset(&a, 0, sizeof(a));
	a.id = j->id;
	a.valid_from = j->valid_from;
	a.valid_until = j->valid_until;
	a.png = j->png;
	a.png_len = j->png_len;
	a.image_source = j->generated ? "generated" : "uploaded";
	a.code = j->code[0] ? j->code : NULL;
	a.seseal = j->seseal;
	a.seseal_len = j->seseal_len;
	memset(&actor, 0, sizeof(actor));
	actor.user_id = j->who.user_id;
	actor.ip = j->who.ip;
	actor.user_agent = j->who.ua;
	rc = db_review_approve(request_db(r), &actor, &a, reply_json_200, r);
	approve_job_free(j);
	if (rc != SP_OK)
		request_reply_error(r, rc, NULL);
}

static char *
dup_member(json_t *doc, const char *k)
{
	const char *s = json_string_value(json_object_get(doc, k));

	return s != NULL ? strdup(s) : NULL;
}

static void
on_material(void *arg, json_t *doc, const struct sp_errinfo *err)
{
	struct approve_job *j = arg;
	struct request *r = j->r;
	int rc;

	if (err->code != SP_OK) {
		approve_job_free(j);
		request_reply_error(r, err->code, err);
		return;
	}
	j->name = dup_member(doc, "name");
	j->type = dup_member(doc, "type");
	j->org_name = dup_member(doc, "org_name");
	j->cert_b64 = dup_member(doc, "certificate");
	json_decref(doc);
	if (j->name == NULL || j->type == NULL || j->org_name == NULL || j->cert_b64 == NULL) {
		approve_job_free(j);
		request_reply_error(r, SP_ERR_INTERNAL, NULL);
		return;
	}
	if ((rc = jobs_submit(request_jobs(r), approve_work, approve_done, j)) != SP_OK) {
		approve_job_free(j);
		request_reply_error(r, rc, NULL);
	}
}

/* A time member: RFC 3339 with a zone, into buf and *t. */
static int
time_member(json_t *doc, const char *k, char *buf, size_t n, int64_t *t, struct sp_errinfo *ei)
{
	const char *s = json_string_value(json_object_get(doc, k));

	if (s == NULL || strlen(s) >= n || wf_time_parse(s, t) != SP_OK)
		return sp_err_reason(ei, SP_ERR_INVALID, "validity_invalid",
				     "%s must be an RFC 3339 time with a zone, such as "
				     "2027-01-01T00:00:00+08:00",
				     k);
	snprintf(buf, n, "%s", s);
	return SP_OK;
}

/* The code member (optional): 1-20 digits or ASCII letters, into buf. */
int
seals_code_member(json_t *doc, char buf[21], struct sp_errinfo *ei)
{
	json_t *v = json_object_get(doc, "code");
	const char *s;
	size_t n;

	buf[0] = '\0';
	if (v == NULL || json_is_null(v))
		return SP_OK;
	s = json_string_value(v);
	if (s == NULL || (n = strlen(s)) == 0 || n > 20 || n != json_string_length(v) ||
	    strspn(s, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") != n)
		return sp_err_reason(ei, SP_ERR_INVALID, "invalid",
				     "code must be 1-20 digits or ASCII letters");
	memcpy(buf, s, n + 1);
	return SP_OK;
}

static void
review_approve(struct request *r, const struct principal *who)
{
	static const char *const allowed[] = { "valid_from", "valid_until", "image", "code", NULL };
	struct approve_job *j = NULL;
	struct sp_errinfo ei;
	struct db_actor actor;
	json_t *doc = NULL;
	const char *image;
	int64_t id, now = (int64_t)time(NULL);
	int rc;

	if (!path_id(r, &id))
		return;
	if (request_json_body(r, &doc) != SP_OK)
		return; /* answered */
	sp_errinfo_init(&ei);
	if ((j = calloc(1, sizeof(*j))) == NULL) {
		request_reply_error(r, SP_ERR_NOMEM, NULL);
		goto out;
	}
	image = json_string_value(json_object_get(doc, "image"));
	if (!json_is_object(doc) || members_only(doc, allowed, &ei) != SP_OK ||
	    time_member(doc, "valid_from", j->valid_from, sizeof(j->valid_from), &j->from, &ei) !=
		    SP_OK ||
	    time_member(doc, "valid_until", j->valid_until, sizeof(j->valid_until), &j->until,
			&ei) != SP_OK ||
	    seals_code_member(doc, j->code, &ei) != SP_OK) {
		if (ei.code == SP_OK)
			sp_err_reason(&ei, SP_ERR_INVALID, "invalid", "the body must be an object");
		request_reply_error(r, ei.code, &ei);
		goto out;
	}
	if (image == NULL || image[0] == '\0') {
		request_problem(r, P_INVALID, "image must be \"generated\" or a base64 PNG");
		goto out;
	}
	/* Refused before any work; the database checks the same again. */
	if (j->from >= j->until || j->until - j->from > VALIDITY_MAX_S) {
		sp_err_reason(&ei, SP_ERR_INVALID, "validity_invalid",
			      "valid_from must be before valid_until, at most ten years apart");
		request_reply_error(r, ei.code, &ei);
		goto out;
	}
	if (j->until <= now) {
		sp_err_reason(&ei, SP_ERR_INVALID, "validity_expired",
			      "valid_until lies in the past: the seal would be expired");
		request_reply_error(r, ei.code, &ei);
		goto out;
	}
	j->generated = strcmp(image, "generated") == 0;
	if (!j->generated && (j->image_b64 = strdup(image)) == NULL) {
		request_reply_error(r, SP_ERR_NOMEM, NULL);
		goto out;
	}
	j->r = r;
	j->cfg = request_config(r);
	j->maker = request_seal_maker(r);
	j->id = id;
	auth_actor(r, who, &actor);
	j->who.user_id = who->user_id;
	snprintf(j->who.ip, sizeof(j->who.ip), "%s", actor.ip != NULL ? actor.ip : "");
	snprintf(j->who.ua, sizeof(j->who.ua), "%s",
		 actor.user_agent != NULL ? actor.user_agent : "");
	if (seal_maker_get(j->maker, &(X509 *){ NULL }, &(EVP_PKEY *){ NULL }, &ei) != SP_OK) {
		request_problem_ei(r, P_UNAVAILABLE, &ei); /* seal_maker_not_configured */
		goto out;
	}
	if ((rc = db_review_material(request_db(r), who->user_id, id, on_material, j)) != SP_OK) {
		request_reply_error(r, rc, NULL);
		goto out;
	}
	j = NULL; /* transferred */
out:
	approve_job_free(j);
	json_decref(doc);
}

void
seals_review_approve_post(struct request *r)
{
	auth_then(r, PRINCIPAL_REVIEWER, review_approve);
}
