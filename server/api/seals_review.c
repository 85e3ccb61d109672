/*
 * seals_review.c: the review queue of seal applications (reviewers; members
 * get 403): GET /api/v1/review/applications, GET .../{id},
 * POST|DELETE .../{id}/claim, GET .../{id}/scan, POST .../{id}/approve|reject.
 * A reviewer acts only on an application whose live claim they hold; the
 * claim is taken and checked in SQL under the row's lock (009_seals.sql),
 * so no two reviewers ever hold one. Each step is audited.
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

#define REJECT_REASON_MAX 1000
#define REVIEW_Q_MAX 100 /* characters of the queue's search, as its 400 says */
#define VALIDITY_MAX_S ((int64_t)(10 * 366 + 3) * 86400)

/* ---- reviewers ---------------------------------------------------------------------- */

static void
review_list(struct request *r, const struct principal *who)
{
	static const char *const statuses[] = { "under_review", "approved",  "installed",
						"rejected",     "cancelled", "revoked" };
	struct db_review_query q;
	const char *status = request_query(r, "status"), *cursor = request_query(r, "cursor");
	long limit = request_query_count(r, "limit", 20, 100);
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
	if (q.q != NULL && !api_query_text_ok(q.q, REVIEW_Q_MAX)) {
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
	rc = db_review_list(request_db(r), who->user_id, &q, seals_reply_200, r);
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

	if (!seals_path_id(r, &id))
		return;
	rc = db_review_get(request_db(r), who->user_id, id, seals_reply_200, r);
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

	if (!seals_path_id(r, &id))
		return;
	auth_actor(r, who, &actor);
	if (request_method(r) == HTTP_DELETE)
		rc = db_review_release(request_db(r), &actor, id, on_released, r);
	else
		rc = db_review_claim(request_db(r), &actor, id, request_config(r)->seals.claim_ttl,
				     seals_reply_200, r);
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
	char disp[80];

	if (err->code != SP_OK) {
		request_reply_error(r, err->code, err);
		return;
	}
	/*
	 * The console fetches it (a picture shown inline from a blob, a PDF offered as a
	 * download); a browser sent to this address itself gets it as a file, never a page
	 * to render or run: no sniffing, a sandbox, an attachment named by the server
	 * (the type is one of the three the upload judged by content, the id digits).
	 */
	snprintf(disp, sizeof(disp), "attachment; filename=\"scan-%.24s.%s\"",
		 request_param(r, "id"), /* digits: seals_path_id */
		 strcmp(type, "application/pdf") == 0 ? "pdf"
		 : strcmp(type, "image/png") == 0     ? "png"
						      : "jpg");
	request_header_add(r, "Content-Disposition", disp);
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

	if (!seals_path_id(r, &id))
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

	if (!seals_path_id(r, &id))
		return;
	if (request_json_body(r, &doc) != SP_OK)
		return; /* answered */
	sp_errinfo_init(&ei);
	reason = json_object_get(doc, "reason");
	if (!json_is_object(doc) || seals_members_only(doc, allowed, &ei) != SP_OK ||
	    !json_is_string(reason) || api_text_take("reason", reason, &ei) != SP_OK) {
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
	rc = db_review_reject(request_db(r), &actor, id, s, seals_reply_200, r);
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
	rc = db_review_approve(request_db(r), &actor, &a, seals_reply_200, r);
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
	if ((rc = request_jobs_submit(r, approve_work, approve_done, j)) != SP_OK) {
		approve_job_free(j);
		request_reply_error(r, rc, NULL);
	}
}

/* A time member: RFC 3339 with a zone, into buf and *t. */
static int
time_member(json_t *doc, const char *k, char *buf, size_t n, int64_t *t, struct sp_errinfo *ei)
{
	const char *s = json_string_value(json_object_get(doc, k));
	const char *why = "not a string";

	if (s == NULL || (strlen(s) >= n && (why = "too long")) ||
	    sp_time_parse(s, t, &why) != SP_OK)
		return sp_err_reason(ei, SP_ERR_INVALID, "validity_invalid",
				     "%s must be an RFC 3339 time with a zone, such as "
				     "2027-01-01T00:00:00+08:00; it is %s",
				     k, why);
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

	if (!seals_path_id(r, &id))
		return;
	if (request_json_body(r, &doc) != SP_OK)
		return; /* answered */
	sp_errinfo_init(&ei);
	if ((j = calloc(1, sizeof(*j))) == NULL) {
		request_reply_error(r, SP_ERR_NOMEM, NULL);
		goto out;
	}
	image = json_string_value(json_object_get(doc, "image"));
	if (!json_is_object(doc) || seals_members_only(doc, allowed, &ei) != SP_OK ||
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
