/*
 * webhooks.c: an organization's webhooks: register (POST, the secret is in
 * that response only: a replay with the same Idempotency-Key answers without
 * it, "secret_shown_once": true), list (GET), remove (DELETE) and read the
 * delivery log (GET /api/v1/webhooks/{id}/deliveries). A receiver URL must
 * pass crypto_http_url_check() under the webhooks section of the
 * configuration (https only unless allow_http; no internal address unless
 * allow_hosts allows it); delivery checks the address connected to again. Registering and removing are
 * audited with the caller's address and User-Agent (db/webhooks.c).
 * Delivery itself is in jobs/webhook_delivery.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "api.h"
#include "config.h"
#include "contracts_int.h"
#include "crypto.h"

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

/*
 * 1 when url may receive this server's webhooks under the configuration's
 * address policy; else 0 after answering 400 url_invalid or url_forbidden.
 */
static int
receiver_allowed(struct request *r, const char *url)
{
	const struct config *cfg = request_config(r);
	struct sp_errinfo ei;

	sp_errinfo_init(&ei);
	if (crypto_http_url_check(url, !cfg->webhooks.allow_http, 1, cfg->webhooks.allow_hosts,
				  &ei) == SP_OK)
		return 1;
	request_reply_error(r, ei.code, &ei);
	return 0;
}

static void
create_step(struct request *r, const struct principal *who)
{
	unsigned char raw[32];
	struct db_actor actor;
	char secret[65];
	json_t *doc = NULL;
	struct sp_errinfo ei;
	const char *url, *key;
	int rc;

	if (request_json_body(r, &doc) != SP_OK)
		return; /* answered */
	if (!json_is_object(doc) || json_object_size(doc) != 1 ||
	    (url = json_string_value(json_object_get(doc, "url"))) == NULL) {
		json_decref(doc);
		request_problem(r, P_INVALID, "the body must be {\"url\": string}");
		return;
	}
	sp_errinfo_init(&ei);
	if (api_text_check("url", json_object_get(doc, "url"), &ei) != SP_OK) {
		json_decref(doc);
		request_reply_error(r, ei.code, &ei);
		return;
	}
	if (api_idempotency_key(r, &key, &ei) != SP_OK) {
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
	rc = SP_OK;
	if (receiver_allowed(r, url)) /* else answered */
		rc = db_webhook_create(request_db(r), &actor, url, secret, key,
				       request_config(r)->webhooks.max_created_per_day, on_created,
				       r);
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

/*
 * Registering and removing a webhook decide where the organization's contract
 * events go: members only, like API keys themselves, so a leaked API key
 * cannot redirect them. An organization's systems (API keys) may read the
 * registrations and the delivery log, which carry no secret.
 */
void
webhooks_collection(struct request *r)
{
	if (request_method(r) == HTTP_POST)
		auth_then(r, PRINCIPAL_MEMBER, create_step);
	else
		auth_then(r, PRINCIPAL_ORG, list_step);
}

void
webhooks_item_delete(struct request *r)
{
	auth_then(r, PRINCIPAL_MEMBER, delete_step);
}

void
webhooks_deliveries_get(struct request *r)
{
	auth_then(r, PRINCIPAL_ORG, deliveries_step);
}
