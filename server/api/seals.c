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
 * Reviewers: seals_review.c; the form, the seal preview and the generated
 * picture: seals_art.c; the scan's upload: seals_scan.c.
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
#include "seals_int.h"
#include "state.h"

#define SEAL_NAME_MAX 40 /* characters, after trimming */
#define PAGE_SIZE_MAX 100

/* ---- shared ----------------------------------------------------------------------- */

void
seals_reply_200(void *arg, json_t *doc, const struct sp_errinfo *err)
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
int
seals_path_id(struct request *r, int64_t *id)
{
	const char *s = request_param(r, "id");

	if (s == NULL || s[0] < '0' || s[0] > '9' || sp_parse_i64(s, 1, INT64_MAX, id) != SP_OK) {
		request_problem(r, P_NOT_FOUND, "no such seal application or seal");
		return 0;
	}
	return 1;
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

	if (!json_is_string(v) || api_text_take("name", v, ei) != SP_OK)
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
int
seals_members_only(json_t *doc, const char *const *allowed, struct sp_errinfo *ei)
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
	if (seals_members_only(doc, allowed, &ei) != SP_OK ||
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
				request_config(r)->seals.max_open_applications,
				request_config(r)->seals.max_applications_per_day, reply_json_201,
				r);
	if (rc != SP_OK)
		request_reply_error(r, rc, NULL);
out:
	json_decref(doc);
}

static void
apps_list(struct request *r, const struct principal *who)
{
	long page = request_query_count(r, "page", 1, 100000L);
	long size = request_query_count(r, "page_size", 10, PAGE_SIZE_MAX);
	int rc;

	if (page < 0 || size < 0) {
		request_problem(r, P_INVALID, "page must be 1..100000 and page_size 1..100");
		return;
	}
	rc = db_seal_app_list(request_db(r), who->organization_id, size, (page - 1) * size,
			      seals_reply_200, r);
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
	if (seals_members_only(doc, allowed, &ei) != SP_OK ||
	    (name != NULL && name_check(name, &ei) != SP_OK) ||
	    (type != NULL && type_check(type, &ei) != SP_OK)) {
		request_reply_error(r, ei.code, &ei);
		goto out;
	}
	auth_actor(r, who, &actor);
	rc = db_seal_app_modify(request_db(r), &actor, id, json_string_value(name),
				json_string_value(type),
				request_config(r)->seals.max_changes_per_day, seals_reply_200, r);
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

	if (!seals_path_id(r, &id))
		return;
	if (request_method(r) == HTTP_PATCH) {
		app_modify(r, who, id);
		return;
	}
	rc = db_seal_app_get(request_db(r), who->organization_id, id, seals_reply_200, r);
	if (rc != SP_OK)
		request_reply_error(r, rc, NULL);
}

void
seals_app_item(struct request *r)
{
	auth_then(r, PRINCIPAL_MEMBER, app_item);
}

static void
app_step(struct request *r, const struct principal *who, enum db_seal_step step)
{
	struct db_actor actor;
	int64_t id;
	int rc;

	if (!seals_path_id(r, &id))
		return;
	auth_actor(r, who, &actor);
	rc = db_seal_app_step(request_db(r), &actor, id, step, seals_reply_200, r);
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
	long page = request_query_count(r, "page", 1, 100000L);
	long size = request_query_count(r, "page_size", 10, PAGE_SIZE_MAX);
	int rc;

	if (page < 0 || size < 0) {
		request_problem(r, P_INVALID, "page must be 1..100000 and page_size 1..100");
		return;
	}
	rc = db_seal_list(request_db(r), who->organization_id, size, (page - 1) * size,
			  seals_reply_200, r);
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

	if (!seals_path_id(r, &id))
		return;
	rc = db_seal_get(request_db(r), who->organization_id, id, seals_reply_200, r);
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

	if (!seals_path_id(r, &id))
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

	if (!seals_path_id(r, &id))
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
