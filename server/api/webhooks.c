/*
 * webhooks.c: an organization's webhooks: register (POST, the secret is in
 * that response only), list (GET), remove (DELETE) and read the delivery log
 * (GET /api/v1/webhooks/{id}/deliveries). Registering and removing are
 * audited with the caller's address and User-Agent (db/webhooks.c).
 * Delivery itself is in jobs/webhook_delivery.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "api.h"
#include "contracts_int.h"

/* The {id} path parameter: a positive decimal int64, else answered 404. */
static int
path_id(struct request *r, int64_t *out)
{
	const char *s = request_param(r, "id");

	if (s == NULL || s[0] == '+' || s[0] == '-' ||
	    sp_parse_i64(s, 1, INT64_MAX, out) != SP_OK) {
		request_problem(r, P_NOT_FOUND, "no such webhook");
		return 0;
	}
	return 1;
}

static void
reply_doc(struct request *r, int status, json_t *doc, const struct sp_errinfo *err)
{
	if (err->code != SP_OK)
		request_reply_error(r, err->code, err);
	else
		request_reply_json(r, status, doc);
}

static void
on_created(void *arg, json_t *doc, const struct sp_errinfo *err)
{
	reply_doc(arg, 201, doc, err);
}

static void
on_doc(void *arg, json_t *doc, const struct sp_errinfo *err)
{
	reply_doc(arg, 200, doc, err);
}

static void
create_step(struct request *r, const struct principal *who)
{
	unsigned char raw[32];
	struct db_actor actor;
	char secret[65];
	json_t *doc = NULL;
	struct sp_errinfo ei;
	const char *url;
	int rc;

	if (request_json_body(r, &doc) != SP_OK)
		return; /* answered */
	if ((url = json_string_value(json_object_get(doc, "url"))) == NULL) {
		json_decref(doc);
		request_problem(r, P_INVALID, "url (a string) is required");
		return;
	}
	sp_errinfo_init(&ei);
	if (api_text_check("url", json_object_get(doc, "url"), &ei) != SP_OK) {
		json_decref(doc);
		request_reply_error(r, ei.code, &ei);
		return;
	}
	if (RAND_bytes(raw, sizeof(raw)) != 1) {
		json_decref(doc);
		request_reply_error(r, SP_ERR_CRYPTO, NULL);
		return;
	}
	sp_hex(raw, sizeof(raw), secret);
	auth_actor(r, who, &actor);
	rc = db_webhook_create(request_db(r), &actor, url, secret,
			       request_header(r, "Idempotency-Key"), on_created, r);
	json_decref(doc);
	sp_wipe(raw, sizeof(raw));
	sp_wipe(secret, sizeof(secret));
	if (rc != SP_OK)
		request_reply_error(r, rc, NULL);
}

static void
list_step(struct request *r, const struct principal *who)
{
	int rc;

	if ((rc = db_webhook_list(request_db(r), who->organization_id, on_doc, r)) != SP_OK)
		request_reply_error(r, rc, NULL);
}

static void
deleted(void *arg, const struct sp_errinfo *err)
{
	struct request *r = arg;

	if (err->code != SP_OK)
		request_reply_error(r, err->code,
				    err); /* not_found: none live in this organization */
	else
		request_reply_data(r, 204, "text/plain", "", 0);
}

static void
delete_step(struct request *r, const struct principal *who)
{
	struct db_actor actor;
	int64_t id;
	int rc;

	if (!path_id(r, &id))
		return;
	auth_actor(r, who, &actor);
	if ((rc = db_webhook_delete(request_db(r), &actor, id, deleted, r)) != SP_OK)
		request_reply_error(r, rc, NULL);
}

static void
deliveries_step(struct request *r, const struct principal *who)
{
	int64_t id;
	int rc;

	if (!path_id(r, &id))
		return;
	rc = db_webhook_deliveries_get(request_db(r), who->organization_id, id, on_doc, r);
	if (rc != SP_OK)
		request_reply_error(r, rc, NULL);
}

void
webhooks_collection(struct request *r)
{
	auth_then(r, PRINCIPAL_ORG, request_method(r) == HTTP_POST ? create_step : list_step);
}

void
webhooks_item_delete(struct request *r)
{
	auth_then(r, PRINCIPAL_ORG, delete_step);
}

void
webhooks_deliveries_get(struct request *r)
{
	auth_then(r, PRINCIPAL_ORG, deliveries_step);
}
